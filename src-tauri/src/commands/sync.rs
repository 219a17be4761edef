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
use serde_json::json;
use tauri::{ipc::Channel, AppHandle, Emitter, Manager, Runtime, State};
use tauri_plugin_store::StoreExt;
use tokio::sync::Mutex;

use crate::{error::CmdResult, state::AppState};

const REMOTE_SECRET: &str = "sync_remote_uri";

#[derive(Default)]
pub struct SyncState {
    session_uri: Mutex<Option<String>>,
    cancel: Arc<AtomicBool>,
    running: AtomicBool,
    auto: Mutex<AutoSync>,
}

/// Automatic sync (opt-in, remembered in the settings store): a background task checks the
/// remote every [`auto_every`]; when it answers and there is something to do (local
/// changes waiting, or it just became reachable again) a sync runs, exactly like the
/// button, and the UI hears about it (event `sync-auto`).
#[derive(Default, Clone, Serialize, ts_rs::TS)]
pub struct AutoSync {
    enabled: bool,
    /// When the last automatic sync ended, and what came of it.
    last_run: Option<String>,
    last_result: Option<AutoResult>,
    #[serde(skip)]
    last_online: Option<bool>,
}

/// What an automatic sync did, as figures (or the error it stopped on, as a code): the UI
/// words it in the user's language.
#[derive(Clone, Serialize, ts_rs::TS)]
pub struct AutoResult {
    pushed: u64,
    pulled: u64,
    merged: u64,
    conflicts: u64,
    /// Why it stopped, when it did (`{code, reason?, params?}`; the message is not shown).
    error: Option<Error>,
}

impl AutoResult {
    fn of(outcome: &Result<SyncReport, Error>) -> Self {
        match outcome {
            Ok(r) => AutoResult {
                pushed: r.total(|c| c.pushed),
                pulled: r.total(|c| c.pulled),
                merged: r.total(|c| c.merged),
                conflicts: r.total(|c| c.conflicts),
                error: None,
            },
            Err(e) => AutoResult {
                pushed: 0,
                pulled: 0,
                merged: 0,
                conflicts: 0,
                error: Some(e.clone()),
            },
        }
    }
}

const AUTO_KEY: &str = "sync_auto";

/// How often the automatic sync looks at the remote (`EVENTHUB_SYNC_AUTO_SECS` in tests).
fn auto_every() -> std::time::Duration {
    let secs = std::env::var("EVENTHUB_SYNC_AUTO_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(30);
    std::time::Duration::from_secs(secs)
}

#[derive(Serialize, ts_rs::TS)]
pub struct SyncStatus {
    /// The remote, password hidden; None when not configured.
    remote: Option<String>,
    /// `keychain`, `session` or `none`.
    #[ts(type = "\"keychain\" | \"session\" | \"none\"")]
    stored: &'static str,
    conflicts: usize,
    /// Local changes since the last sync.
    pending: u64,
    /// Whether the remote answered just now (None when not configured).
    online: Option<bool>,
    running: bool,
    last_sync: Option<String>,
    auto: AutoSync,
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
        .with_reason("no_remote", [])
    })?;
    connect_remote(&uri).await
}

/// Open the remote: the database named in its URI, else the app's database name.
async fn connect_remote(uri: &str) -> CmdResult<Core> {
    Ok(open_remote(uri).await?)
}

async fn open_remote(uri: &str) -> eventhub_core::Result<Core> {
    let db = config::db_in_uri(uri).unwrap_or_else(config::db_name);
    Core::connect(uri, &db).await
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
        auto: st.auto.lock().await.clone(),
    })
}

/// Turn automatic sync on or off (remembered).
#[tauri::command]
pub async fn sync_set_auto<R: Runtime>(
    app: AppHandle<R>,
    st: State<'_, SyncState>,
    enabled: bool,
) -> CmdResult<()> {
    let store = app.store(super::settings::store_path())?;
    store.set(AUTO_KEY, json!(enabled));
    store.save()?;
    let mut a = st.auto.lock().await;
    a.enabled = enabled;
    a.last_online = None;
    Ok(())
}

/// The automatic sync loop, started with the app.
pub async fn auto_loop<R: Runtime>(app: AppHandle<R>) {
    let enabled = app
        .store(super::settings::store_path())
        .ok()
        .and_then(|s| s.get(AUTO_KEY))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    app.state::<SyncState>().auto.lock().await.enabled = enabled;
    loop {
        tokio::time::sleep(auto_every()).await;
        let st = app.state::<SyncState>();
        if !st.auto.lock().await.enabled || st.running.load(Ordering::Relaxed) {
            continue;
        }
        let (Some(uri), _) = remote_uri(&st).await else {
            continue;
        };
        let Ok(local) = app.state::<AppState>().core().await else {
            continue;
        };
        let online = eventhub_core::db::reachable(&uri, std::time::Duration::from_secs(3)).await;
        let came_back = {
            let mut a = st.auto.lock().await;
            let back = online && a.last_online != Some(true);
            a.last_online = Some(online);
            back
        };
        if !online {
            continue;
        }
        let pending = sync::pending(&local).await.unwrap_or(0);
        if pending == 0 && !came_back {
            continue;
        }
        if st.running.swap(true, Ordering::SeqCst) {
            continue;
        }
        st.cancel.store(false, Ordering::Relaxed);
        let outcome = match open_remote(&uri).await {
            Ok(remote) => sync::sync(&local, &remote, false, &|_| {}, &st.cancel).await,
            Err(e) => Err(e),
        };
        st.running.store(false, Ordering::SeqCst);
        let result = AutoResult::of(&outcome);
        match &outcome {
            Ok(_) => tracing::info!(
                target: "eventhub::sync",
                "automatic sync: pushed {} · pulled {} · merged {} · conflicts {}",
                result.pushed,
                result.pulled,
                result.merged,
                result.conflicts
            ),
            Err(e) => tracing::warn!(target: "eventhub::sync", "automatic sync failed: {e}"),
        }
        {
            let mut a = st.auto.lock().await;
            a.last_run = Some(eventhub_core::time::now().to_rfc3339());
            a.last_result = Some(result.clone());
        }
        let _ = app.emit("sync-auto", result);
    }
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
        return Err(Error::new(Code::Conflict, "a sync is already running")
            .with_reason("sync_running", [])
            .into());
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
