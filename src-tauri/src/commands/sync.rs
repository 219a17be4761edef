//! Sync with a remote MongoDB (Atlas): the remote's connection string lives in the OS
//! keychain (or this session's memory where there is none), progress goes to the UI on a
//! channel, and conflicts wait for the user.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use eventhub_core::{
    config, secrets,
    sync::{self, Choice, Conflict, SyncProgress, SyncReport},
    Code, Core, Error,
};
use serde::Serialize;
use tauri::{ipc::Channel, State};
use tokio::sync::Mutex;

use crate::{error::CmdResult, state::AppState};

const REMOTE_SECRET: &str = "sync_remote_uri";

#[derive(Default)]
pub struct SyncState {
    session_uri: Mutex<Option<String>>,
    cancel: Arc<AtomicBool>,
    running: AtomicBool,
}

#[derive(Serialize)]
pub struct SyncStatus {
    /// The remote, password hidden; None when not configured.
    remote: Option<String>,
    /// `keychain`, `session` or `none`.
    stored: &'static str,
    conflicts: usize,
    /// Local changes since the last sync.
    pending: u64,
    /// Whether the remote answered just now (None when not configured).
    online: Option<bool>,
    running: bool,
    last_sync: Option<String>,
}

async fn remote_uri(st: &SyncState) -> (Option<String>, &'static str) {
    let from_keychain = tokio::task::spawn_blocking(|| secrets::get(REMOTE_SECRET).ok().flatten())
        .await
        .ok()
        .flatten();
    if let Some(u) = from_keychain {
        return (Some(u), "keychain");
    }
    match st.session_uri.lock().await.clone() {
        Some(u) => (Some(u), "session"),
        None => (None, "none"),
    }
}

async fn remote_core(st: &SyncState) -> CmdResult<Core> {
    let (uri, _) = remote_uri(st).await;
    let uri = uri.ok_or_else(|| {
        Error::new(
            Code::Validation,
            "set the remote (Atlas) connection string before syncing",
        )
    })?;
    connect_remote(&uri).await
}

/// Open the remote: the database named in its URI, else the app's database name.
async fn connect_remote(uri: &str) -> CmdResult<Core> {
    let db = config::db_in_uri(uri).unwrap_or_else(config::db_name);
    Ok(Core::connect(uri, &db).await?)
}

#[tauri::command]
pub async fn sync_status(
    state: State<'_, AppState>,
    st: State<'_, SyncState>,
) -> CmdResult<SyncStatus> {
    let core = state.core().await?;
    let (uri, stored) = remote_uri(&st).await;
    let conflicts = sync::conflicts(&core).await?.len();
    let last_sync = sync::last_sync(&core).await?.map(|t| t.to_rfc3339());
    let pending = sync::pending(&core).await?;
    let online = match &uri {
        Some(u) => Some(eventhub_core::db::reachable(u, std::time::Duration::from_secs(3)).await),
        None => None,
    };
    Ok(SyncStatus {
        remote: uri.map(|u| config::redact_uri(&u)),
        stored,
        conflicts,
        pending,
        online,
        running: st.running.load(Ordering::Relaxed),
        last_sync,
    })
}

/// Check and remember the remote's connection string.
#[tauri::command]
pub async fn sync_set_remote(st: State<'_, SyncState>, uri: String) -> CmdResult<&'static str> {
    let uri = uri.trim().to_owned();
    // Refuse a remote we cannot reach now, with the driver's reason.
    connect_remote(&uri).await?;
    let u = uri.clone();
    let saved = tokio::task::spawn_blocking(move || secrets::set(REMOTE_SECRET, &u))
        .await
        .map_err(|e| Error::internal(e.to_string()))?;
    Ok(match saved {
        Ok(()) => "keychain",
        Err(_) => {
            *st.session_uri.lock().await = Some(uri);
            "session"
        }
    })
}

#[tauri::command]
pub async fn sync_run(
    state: State<'_, AppState>,
    st: State<'_, SyncState>,
    dry_run: bool,
    on_progress: Channel<SyncProgress>,
) -> CmdResult<SyncReport> {
    if st.running.swap(true, Ordering::SeqCst) {
        return Err(Error::new(Code::Conflict, "a sync is already running").into());
    }
    let result = async {
        let local = state.core().await?;
        let remote = remote_core(&st).await?;
        st.cancel.store(false, Ordering::Relaxed);
        let report = move |p: &SyncProgress| {
            let _ = on_progress.send(p.clone());
        };
        Ok::<_, crate::error::CmdError>(
            sync::sync(&local, &remote, dry_run, &report, &st.cancel).await?,
        )
    }
    .await;
    st.running.store(false, Ordering::SeqCst);
    result
}

#[tauri::command]
pub async fn sync_cancel(st: State<'_, SyncState>) -> CmdResult<()> {
    st.cancel.store(true, Ordering::Relaxed);
    Ok(())
}

#[tauri::command]
pub async fn sync_conflicts(state: State<'_, AppState>) -> CmdResult<Vec<Conflict>> {
    Ok(sync::conflicts(&state.core().await?).await?)
}

#[tauri::command]
pub async fn sync_resolve(
    state: State<'_, AppState>,
    st: State<'_, SyncState>,
    id: String,
    choices: HashMap<String, Choice>,
) -> CmdResult<()> {
    let local = state.core().await?;
    let remote = remote_core(&st).await?;
    sync::resolve(&local, &remote, &id, &choices).await?;
    Ok(())
}
