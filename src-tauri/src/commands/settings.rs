use serde::Serialize;
use serde_json::json;
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

use crate::error::CmdResult;
use eventhub_core::{config, Error};

/// Non-secret preferences, kept by tauri-plugin-store: `settings.json` in the app's data
/// folder, or in `EVENTHUB_DATA_DIR` when that is set (the end-to-end tests start from a
/// fresh folder, so a language chosen on the machine does not leak into them).
pub fn store_path() -> std::path::PathBuf {
    match std::env::var_os("EVENTHUB_DATA_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => std::path::PathBuf::from(dir).join("settings.json"),
        None => "settings.json".into(),
    }
}

#[derive(Serialize)]
pub struct Settings {
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
    let saved_uri = tokio::task::spawn_blocking(|| {
        eventhub_core::secrets::get(crate::connect::URI_SECRET)
            .ok()
            .flatten()
    })
    .await
    .ok()
    .flatten()
    .map(|u| config::redact_uri(&u));
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
