//! Files chosen by the user: native dialogs (`rfd`) run on the main (GTK) thread, and the
//! end-to-end hooks that replace them (`EVENTHUB_E2E_OPEN_FILE`, `EVENTHUB_E2E_SOCIAL_FILE`,
//! `EVENTHUB_E2E_SAVE_DIR`: WebDriver cannot drive a native dialog). Shared by every
//! command that opens or saves a file.

use std::path::PathBuf;

use eventhub_core::Error;
use serde::Serialize;
use tauri::{AppHandle, Runtime};

use crate::error::CmdResult;

/// The folder that replaces every save dialog in end-to-end tests.
pub const E2E_SAVE_DIR: &str = "EVENTHUB_E2E_SAVE_DIR";

/// A non-empty environment variable (an e2e hook).
pub(crate) fn env_path(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// Run a blocking native dialog on the main (GTK) thread and wait for its answer.
pub(crate) async fn on_main<R: Runtime, T: Send + 'static>(
    app: &AppHandle<R>,
    f: impl FnOnce() -> T + Send + 'static,
) -> CmdResult<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.run_on_main_thread(move || {
        let _ = tx.send(f());
    })?;
    rx.await
        .map_err(|_| Error::internal("the file dialog was closed unexpectedly").into())
}

/// Where to save `name`: the e2e folder, else the save dialog (`None` when cancelled).
pub(crate) async fn save_path<R: Runtime>(
    app: &AppHandle<R>,
    name: String,
    ext: &'static str,
) -> CmdResult<Option<PathBuf>> {
    match env_path(E2E_SAVE_DIR) {
        Some(dir) => Ok(Some(PathBuf::from(dir).join(&name))),
        None => {
            on_main(app, move || {
                rfd::FileDialog::new()
                    .add_filter(ext.to_uppercase(), &[ext])
                    .set_file_name(name)
                    .save_file()
            })
            .await
        }
    }
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

#[derive(Serialize)]
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
    tokio::fs::write(&path, content)
        .await
        .map_err(|e| Error::invalid("path", format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(Exported {
        path: path.display().to_string(),
        bytes,
    }))
}
