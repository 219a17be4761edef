//! The portal's integration tests, one binary: HTTP through the real router (tower
//! `oneshot`) or a real listener, against a real database engine (`MONGODB_URI`, a fresh
//! database per test via `eventhub_core::testing::fresh_core`).

mod burst;
mod feedback_pages;
mod invitation_pages;
mod listener;
mod networking_portal;
mod portal_rules;
mod portal_social;
mod restart;
mod screens;
mod seat_page;
