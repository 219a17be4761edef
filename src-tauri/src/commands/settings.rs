use serde::Serialize;
use serde_json::json;
use tauri::{AppHandle, Runtime};
use tauri_plugin_opener::OpenerExt;
use tauri_plugin_store::StoreExt;

use crate::error::CmdResult;
use eventhub_core::{config, Error};

/// Non-secret preferences, kept by tauri-plugin-store: `settings.json` in EventHub's data
/// folder, beside the database and the logs ([`config::data_dir`], or `EVENTHUB_DATA_DIR`
/// when that is set: the end-to-end tests start from a fresh folder, so a language chosen
/// on the machine does not leak into them).
pub fn store_path() -> std::path::PathBuf {
    config::data_dir().join("settings.json")
}

#[derive(Serialize, ts_rs::TS)]
pub struct Settings {
    #[ts(type = "\"fr\" | \"en\"")]
    language: String,
    /// The remembered connection string with its password hidden, if any.
    saved_uri: Option<String>,
}

#[tauri::command]
pub async fn settings_get<R: Runtime>(app: AppHandle<R>) -> CmdResult<Settings> {
    let store = app.store(store_path())?;
    let language = store
        .get("language")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "fr".into());
    // The keychain (a D-Bus round trip on Linux, possibly an unlock prompt) is read only
    // when a connection string was saved: the first screen asks for the settings.
    let saved_uri = if crate::connect::remote_remembered() {
        tokio::task::spawn_blocking(|| {
            eventhub_core::secrets::get(crate::connect::URI_SECRET)
                .ok()
                .flatten()
        })
        .await
        .ok()
        .flatten()
        .map(|u| config::redact_uri(&u))
    } else {
        None
    };
    Ok(Settings {
        language,
        saved_uri,
    })
}

#[tauri::command]
pub async fn settings_set_language<R: Runtime>(
    app: AppHandle<R>,
    language: String,
) -> CmdResult<()> {
    if language != "fr" && language != "en" {
        return Err(Error::invalid("language", "must be \"fr\" or \"en\"").into());
    }
    let store = app.store(store_path())?;
    store.set("language", json!(language));
    store.save()?;
    Ok(())
}

/// Open the folder of the log files (the app's and the local engine's) in the system's file
/// manager, and return its path. With `EVENTHUB_E2E_OPEN_LOG` set (end-to-end tests) the
/// path is written to that file instead.
#[tauri::command]
pub async fn settings_open_logs<R: Runtime>(app: AppHandle<R>) -> CmdResult<String> {
    let dir = config::logs_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::internal(format!("{}: {e}", dir.display())))?;
    let shown = dir.display().to_string();
    if let Some(log) = crate::commands::files::env_path("EVENTHUB_E2E_OPEN_LOG") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| Error::internal(format!("{log}: {e}")))?;
        writeln!(f, "{shown}").map_err(|e| Error::internal(format!("{log}: {e}")))?;
        return Ok(shown);
    }
    app.opener()
        .open_path(shown.clone(), None::<&str>)
        .map_err(|e| {
            Error::new(
                eventhub_core::Code::Unsupported,
                format!("cannot open the folder: {e}"),
            )
            .with_reason("cannot_open_folder", [])
        })?;
    Ok(shown)
}
