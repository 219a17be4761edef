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

/// When the app was launched (set by `run`), for the start-up times in the log.
pub static LAUNCHED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Milliseconds since launch, for the log (0 when the launch time is not known: tests).
fn since_launch() -> u128 {
    LAUNCHED.get().map_or(0, |t| t.elapsed().as_millis())
}

async fn saved_uri() -> Option<String> {
    tokio::task::spawn_blocking(|| secrets::get(URI_SECRET).ok().flatten())
        .await
        .ok()
        .flatten()
}

/// Connect following the default order and publish the outcome. The embedded engine is
/// the usual outcome, and its start is most of the time to a usable app: unless a
/// connection string is set in the environment or was saved on this machine, the engine
/// starts at once, while the keychain is read (a D-Bus round trip, or an unlock prompt);
/// if a saved connection string turns up after all, that engine is stopped again.
pub async fn connect_default<R: Runtime>(app: &tauri::AppHandle<R>) -> DbStatus {
    // Held throughout: a connection the user asks for meanwhile (the window is usable while
    // the engine starts) comes after this one rather than being overridden by it.
    let state = app.state::<AppState>();
    let _guard = state.connecting.lock().await;
    let early = (config::env_uri().is_none() && !remote_remembered()).then(|| {
        let handle = app.clone();
        tauri::async_runtime::spawn(async move { start_engine(&handle).await })
    });
    if let Some(uri) = saved_uri().await {
        set_remote_remembered(true);
        if let Some(task) = early {
            let handle = app.clone();
            tauri::async_runtime::spawn(async move {
                let _ = task.await;
                if let Some(mut e) = handle.state::<AppState>().engine.lock().await.take() {
                    e.stop().await;
                }
            });
        }
        return connect_uri_locked(app, &uri, Source::Settings).await;
    }
    set_remote_remembered(false);
    if let Some(uri) = config::env_uri() {
        return connect_uri_locked(app, &uri, Source::Env).await;
    }
    let started = match early {
        Some(task) => task
            .await
            .unwrap_or_else(|e| Err(Error::internal(e.to_string()))),
        None => Ok(()),
    };
    connect_local_started(app, started).await
}

/// The file whose presence says that a connection string is saved in the keychain, so
/// that the next start reads the keychain before deciding to start the local engine. It
/// holds nothing secret.
fn remote_marker() -> std::path::PathBuf {
    config::data_dir().join("saved-connection")
}

/// Whether a connection string is saved in the keychain (the marker file is there).
pub(crate) fn remote_remembered() -> bool {
    remote_marker().is_file()
}

fn set_remote_remembered(saved: bool) {
    let path = remote_marker();
    if saved && !path.is_file() {
        let _ = std::fs::create_dir_all(config::data_dir());
        let _ = std::fs::write(
            &path,
            "A connection string is saved in the keychain for this app.\n",
        );
    } else if !saved && path.exists() {
        let _ = std::fs::remove_file(&path);
    }
}

/// Start (or adopt) the local engine into the app's engine slot, unless one is there.
async fn start_engine<R: Runtime>(app: &tauri::AppHandle<R>) -> Result<()> {
    let state = app.state::<AppState>();
    let mut slot = state.engine.lock().await;
    if slot.is_none() {
        *slot = Some(engine::start_default().await?);
        tracing::info!(ms_since_launch = since_launch(), "local engine answering");
    }
    Ok(())
}

/// Connect to a given connection string.
pub async fn connect_uri<R: Runtime>(
    app: &tauri::AppHandle<R>,
    uri: &str,
    source: Source,
) -> DbStatus {
    let state = app.state::<AppState>();
    let _guard = state.connecting.lock().await;
    connect_uri_locked(app, uri, source).await
}

/// [`connect_uri`], the caller holding the `connecting` lock.
async fn connect_uri_locked<R: Runtime>(
    app: &tauri::AppHandle<R>,
    uri: &str,
    source: Source,
) -> DbStatus {
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
    connect_local_started(app, Ok(())).await
}

/// [`connect_local`] once an earlier start of the engine ended with `started` (an engine
/// already in the slot is used as it is), the caller holding the `connecting` lock.
async fn connect_local_started<R: Runtime>(
    app: &tauri::AppHandle<R>,
    started: Result<()>,
) -> DbStatus {
    let state = app.state::<AppState>();
    publish(app, None, DbStatus::connecting(Some(Source::Local))).await;
    let started = match started {
        Ok(()) => start_engine(app).await,
        Err(e) => Err(e),
    };
    if let Err(err) = started {
        let status = finish(Err(&err), Some(Source::Local), None);
        publish(app, None, status.clone()).await;
        return status;
    }
    let slot = state.engine.lock().await;
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
    tracing::info!(
        ms_since_launch = since_launch(),
        ok = result.is_ok(),
        "local database connection"
    );
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
    // The answer tallies' follower leaves between two of its transactions.
    if let Some(core) = state.current().await {
        eventhub_core::feedback::follow::stop(&core).await;
    }
    if let Some(mut e) = state.engine.lock().await.take() {
        e.stop().await;
    }
}

/// Remember (or forget) a connection string in the keychain.
pub async fn remember_uri(uri: Option<String>) -> Result<()> {
    let saved = uri.is_some();
    tokio::task::spawn_blocking(move || match uri {
        Some(u) => secrets::set(URI_SECRET, &u),
        None => secrets::delete(URI_SECRET),
    })
    .await
    .map_err(|e| Error::internal(e.to_string()))??;
    set_remote_remembered(saved);
    Ok(())
}
