//! The Tauri commands through real IPC (the mock runtime, no window), one binary: argument
//! names, JSON shapes, progress channels and the `{code, message, field}` errors the UI
//! branches on, each module against a fresh database of its own.

mod common;

mod dashboard;
mod events;
mod invitations;
mod lab;
mod mail;
mod participants;
mod settings;
mod social;
mod startup;
mod sync;
