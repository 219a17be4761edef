//! Tauri commands: thin delegations to `eventhub_core`, one module per feature.

pub mod dashboard;
pub mod db;
pub mod events;
pub mod feedback;
pub mod files;
pub mod invitations;
pub mod lab;
pub mod mail;
pub mod networking;
pub mod participants;
pub mod recover;
pub mod report;
pub mod settings;
pub mod social;
pub mod sync;
