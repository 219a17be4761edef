//! The core's integration tests, one binary (one link instead of thirteen): each module
//! covers one feature against a real database engine (`MONGODB_URI`, a fresh database per
//! test).

mod backup;
mod dashboard;
mod disk_full;
mod engine;
mod events;
mod events_windows;
mod feedback;
mod handler_bench;
mod invitations;
mod lab;
mod mail;
mod networking;
mod participant_edit;
mod participants;
mod report;
mod seating;
mod social;
mod supervise;
mod sync;
mod sync_offline;
mod sync_tombstones;
mod sync_vanished;
mod tally_follower;
