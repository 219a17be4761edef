//! Choosing and opening the database at start-up (and when the user changes it):
//! a saved connection string (keychain) → `MONGODB_URI` → the embedded local engine.

use eventhub_core::{
    config, engine, secrets,
    supervise::{self, Supervisor},
    Core, Error, Result,
};
use tauri::{Emitter, Manager, Runtime};

use crate::state::{AppState, DbStatus, EngineInfo, Source};

/// Keychain entry of the remembered connection string.
pub const URI_SECRET: &str = "mongodb_uri";

async fn saved_uri() -> Option<String> {
    tokio::task::spawn_blocking(|| secrets::get(URI_SECRET).ok().flatten())
        .await
        .ok()
        .flatten()
}

/// Connect following the default order and publish the outcome.
pub async fn connect_default<R: Runtime>(app: &tauri::AppHandle<R>) -> DbStatus {
    if let Some(uri) = saved_uri().await {
        return connect_uri(app, &uri, Source::Settings).await;
    }
    if let Some(uri) = config::env_uri() {
        return connect_uri(app, &uri, Source::Env).await;
    }
    connect_local(app).await
}

/// Connect to a given connection string.
pub async fn connect_uri<R: Runtime>(
    app: &tauri::AppHandle<R>,
    uri: &str,
    source: Source,
) -> DbStatus {
    let state = app.state::<AppState>();
    let _guard = state.connecting.lock().await;
    publish(app, None, DbStatus::connecting(Some(source))).await;
    let result = Core::connect(uri, &config::db_name()).await;
    let status = finish(
        result.as_ref().map(|c| c.info().clone()),
        Some(source),
        None,
    );
    let core = result.ok();
    publish(app, core.clone(), status.clone()).await;
    watch_health(app, core, false);
    status
}

/// Start (or adopt) the local engine and connect to it.
pub async fn connect_local<R: Runtime>(app: &tauri::AppHandle<R>) -> DbStatus {
    let state = app.state::<AppState>();
    let _guard = state.connecting.lock().await;
    publish(app, None, DbStatus::connecting(Some(Source::Local))).await;
    let mut slot = state.engine.lock().await;
    if slot.is_none() {
        match engine::start_default().await {
            Ok(e) => *slot = Some(e),
            Err(err) => {
                let status = finish(Err(&err), Some(Source::Local), None);
                publish(app, None, status.clone()).await;
                return status;
            }
        }
    }
    let (uri, info) = match slot.as_ref() {
        Some(e) => (
            e.uri(),
            EngineInfo {
                kind: e.binary.kind,
                path: e.binary.path.display().to_string(),
                data_dir: e.data_dir.display().to_string(),
                started_here: e.started_here,
            },
        ),
        None => unreachable_engine(),
    };
    drop(slot);
    let result = Core::connect(&uri, &config::db_name()).await;
    let status = finish(
        result.as_ref().map(|c| c.info().clone()),
        Some(Source::Local),
        Some(info),
    );
    let core = result.ok();
    publish(app, core.clone(), status.clone()).await;
    watch_health(app, core, true);
    status
}

/// Start watching a new connection (the previous watcher stops). Each change of health is
/// kept in the status and sent to the UI as `db://health`; when a restarted local engine
/// had to move to another port, the app connects to it again.
fn watch_health<R: Runtime>(app: &tauri::AppHandle<R>, core: Option<Core>, local: bool) {
    let state = app.state::<AppState>();
    let Some(core) = core else {
        state.set_supervisor(None);
        return;
    };
    let engine = local.then(|| state.engine.clone());
    let handle = app.clone();
    let shown_uri = core.info().uri.clone();
    let supervisor = Supervisor::spawn(core, engine, supervise::Options::default(), move |h| {
        let health = h.clone();
        let handle = handle.clone();
        let moved = local
            && health.state == supervise::State::Ok
            && health
                .uri
                .as_deref()
                .is_some_and(|u| config::redact_uri(u) != shown_uri);
        tauri::async_runtime::spawn(async move {
            handle.state::<AppState>().set_health(health.clone()).await;
            let _ = handle.emit("db://health", health);
            if moved {
                connect_local(&handle).await;
            }
        });
    });
    state.set_supervisor(Some(supervisor));
}

fn unreachable_engine() -> (String, EngineInfo) {
    // The slot was filled just above; keep a harmless value rather than panic.
    (
        String::new(),
        EngineInfo {
            kind: engine::Kind::Secantus,
            path: String::new(),
            data_dir: String::new(),
            started_here: false,
        },
    )
}

fn finish(
    result: std::result::Result<eventhub_core::ServerInfo, &Error>,
    source: Option<Source>,
    engine: Option<EngineInfo>,
) -> DbStatus {
    match result {
        Ok(info) => DbStatus {
            state: crate::state::ConnState::Ready,
            source,
            server: Some(info),
            engine,
            error: None,
            health: None,
        },
        Err(e) => DbStatus {
            state: crate::state::ConnState::Failed,
            source,
            server: None,
            engine,
            error: Some(e.clone()),
            health: None,
        },
    }
}

async fn publish<R: Runtime>(app: &tauri::AppHandle<R>, core: Option<Core>, status: DbStatus) {
    if let Some(e) = &status.error {
        tracing::warn!(code = e.code.as_str(), "database: {}", e.message);
    }
    app.state::<AppState>().set(core, status.clone()).await;
    let _ = app.emit("db://status", status);
}

/// Stop the local engine on exit — also one adopted from an earlier run that crashed,
/// since this app then owns it.
pub async fn shutdown(state: &AppState) {
    state.set_supervisor(None);
    if let Some(mut e) = state.engine.lock().await.take() {
        e.stop().await;
    }
}

/// Remember (or forget) a connection string in the keychain.
pub async fn remember_uri(uri: Option<String>) -> Result<()> {
    tokio::task::spawn_blocking(move || match uri {
        Some(u) => secrets::set(URI_SECRET, &u),
        None => secrets::delete(URI_SECRET),
    })
    .await
    .map_err(|e| Error::internal(e.to_string()))?
}
