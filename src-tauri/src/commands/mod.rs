//! Tauri commands: thin delegations to `eventhub_core`, one module per feature.

pub mod db;
pub mod events;
pub mod invitations;
pub mod lab;
pub mod mail;
pub mod participants;
pub mod settings;
