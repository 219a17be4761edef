use tauri::{AppHandle, Runtime, State};

use crate::{
    connect,
    error::CmdResult,
    state::{AppState, DbStatus, Source},
};

#[tauri::command]
pub async fn db_status(state: State<'_, AppState>) -> CmdResult<DbStatus> {
    Ok(state.status().await)
}

/// Connect to a MongoDB / Atlas connection string; with `remember`, keep it in the OS
/// keychain for the next start.
#[tauri::command]
pub async fn db_connect<R: Runtime>(
    app: AppHandle<R>,
    uri: String,
    remember: bool,
) -> CmdResult<DbStatus> {
    let status = connect::connect_uri(&app, uri.trim(), Source::Settings).await;
    if remember && status.error.is_none() {
        connect::remember_uri(Some(uri.trim().to_owned())).await?;
    }
    Ok(status)
}

/// Forget any saved connection string and use the embedded local engine.
#[tauri::command]
pub async fn db_use_local<R: Runtime>(app: AppHandle<R>) -> CmdResult<DbStatus> {
    // Forgetting is best effort: without a keychain nothing was saved in the first place.
    let _ = connect::remember_uri(None).await;
    Ok(connect::connect_local(&app).await)
}
