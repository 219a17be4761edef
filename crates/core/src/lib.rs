//! EventHub's domain and all MongoDB access, free of any GUI.
//!
//! Every front end — the Tauri commands, the CLI, the tests (and later the participant
//! portal) — calls these functions with a [`Core`]: one cloned `mongodb::Client`-backed
//! handle, never wrapped in a lock. See `docs/ARCHITECTURE.md`.

pub mod backup;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod engine;
pub mod error;
pub mod events;
pub mod feedback;
pub mod invitations;
pub mod jobs;
pub mod lab;
pub mod mail;
pub mod networking;
pub mod participants;
pub mod report;
pub mod schema;
pub mod secrets;
pub mod seed;
pub mod social;
pub mod supervise;
pub mod sync;
pub mod text;
pub mod time;

pub use db::{Capabilities, Core, ServerInfo};
pub use error::{Code, Error, Problem, Result};
pub mod testing;
