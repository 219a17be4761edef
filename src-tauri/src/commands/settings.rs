use serde::Serialize;
use serde_json::json;
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

use crate::error::CmdResult;
use eventhub_core::{config, Error};

/// Non-secret preferences, kept by tauri-plugin-store in the app's config folder.
pub const STORE: &str = "settings.json";

#[derive(Serialize)]
pub struct Settings {
    language: String,
    /// The remembered connection string with its password hidden, if any.
    saved_uri: Option<String>,
}

#[tauri::command]
pub async fn settings_get<R: Runtime>(app: AppHandle<R>) -> CmdResult<Settings> {
    let store = app.store(STORE)?;
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
    let store = app.store(STORE)?;
    store.set("language", json!(language));
    store.save()?;
    Ok(())
}
