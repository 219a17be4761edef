//! Tauri commands: thin delegations to `eventhub_core`, one module per feature.

pub mod db;
pub mod events;
pub mod settings;
