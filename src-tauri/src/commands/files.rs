//! Files chosen by the user: the native dialogs of tauri-plugin-dialog, and the end-to-end
//! hooks that replace them (`EVENTHUB_E2E_OPEN_FILE`, `EVENTHUB_E2E_SOCIAL_FILE`,
//! `EVENTHUB_E2E_SAVE_DIR`: WebDriver cannot drive a native dialog). Shared by every
//! command that opens or saves a file.

use std::path::PathBuf;

use eventhub_core::Error;
use serde::Serialize;
use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::{DialogExt, FilePath};

use crate::error::CmdResult;

/// The folder that replaces every save dialog in end-to-end tests.
pub const E2E_SAVE_DIR: &str = "EVENTHUB_E2E_SAVE_DIR";

/// A non-empty environment variable (an e2e hook).
pub(crate) fn env_path(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// The path a dialog answered with (`None` when cancelled).
fn local_path(picked: Option<FilePath>) -> CmdResult<Option<PathBuf>> {
    match picked {
        None => Ok(None),
        Some(p) => p
            .into_path()
            .map(Some)
            .map_err(|e| Error::invalid("path", e.to_string()).into()),
    }
}

/// Ask for a file to open with the native dialog; `None` when the user cancels. The dialog
/// answers through a callback (it runs on the main thread), awaited here.
pub(crate) async fn pick_file<R: Runtime>(
    app: &AppHandle<R>,
    filter: &str,
    exts: &[&str],
) -> CmdResult<Option<PathBuf>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(filter)
        .add_filter(filter, exts)
        .pick_file(move |p| {
            let _ = tx.send(p);
        });
    local_path(rx.await.unwrap_or(None))
}

/// Where to save `name`: the e2e folder, else the save dialog (`None` when cancelled).
pub(crate) async fn save_path<R: Runtime>(
    app: &AppHandle<R>,
    name: String,
    ext: &'static str,
) -> CmdResult<Option<PathBuf>> {
    if let Some(dir) = env_path(E2E_SAVE_DIR) {
        return Ok(Some(PathBuf::from(dir).join(&name)));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .add_filter(ext.to_uppercase(), &[ext])
        .set_file_name(name)
        .save_file(move |p| {
            let _ = tx.send(p);
        });
    local_path(rx.await.unwrap_or(None))
}

/// A file name from an event title: its folded words joined by `-` (`event` if none).
pub(crate) fn slug(title: &str) -> String {
    let s: String = eventhub_core::text::words(title)
        .collect::<Vec<_>>()
        .join("-")
        .chars()
        .take(60)
        .collect();
    if s.is_empty() {
        "event".into()
    } else {
        s
    }
}

#[derive(Serialize, ts_rs::TS)]
pub struct Exported {
    path: String,
    bytes: usize,
}

/// Save `content` as `name` (dialog or e2e folder). `None` when the user cancels.
pub(crate) async fn save<R: Runtime>(
    app: &AppHandle<R>,
    name: String,
    ext: &'static str,
    content: String,
) -> CmdResult<Option<Exported>> {
    let Some(path) = save_path(app, name, ext).await? else {
        return Ok(None);
    };
    let bytes = content.len();
    tokio::fs::write(&path, content).await.map_err(|e| {
        Error::invalid("path", format!("cannot write {}: {e}", path.display()))
            .with_reason("cannot_write", [("value", path.display().to_string())])
    })?;
    Ok(Some(Exported {
        path: path.display().to_string(),
        bytes,
    }))
}
