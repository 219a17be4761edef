//! The app's shared state: the connection (a `Core`, cheap to clone) once it is ready, and
//! the local engine process when the app started one. The lock guards the *state of the
//! connection*, not the client: commands clone the `Core` out and release it at once.
//! While a connection is being made (the local engine starting, a server being reached),
//! commands wait for its outcome rather than fail.

use std::time::Duration;

use eventhub_core::{
    supervise::{EngineSlot, Health, Supervisor},
    Code, Core, Error, Result, ServerInfo,
};
use serde::Serialize;
use tokio::sync::{watch, Mutex, RwLock};

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnState {
    Connecting,
    Ready,
    Failed,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "DbSource")]
pub enum Source {
    /// A connection string saved by the user (kept in the OS keychain).
    Settings,
    /// `MONGODB_URI`.
    Env,
    /// The embedded local engine.
    Local,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct EngineInfo {
    pub kind: eventhub_core::engine::Kind,
    pub path: String,
    pub data_dir: String,
    pub started_here: bool,
}

/// What the UI shows about the database (also the payload of the `db://status` event).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct DbStatus {
    pub state: ConnState,
    pub source: Option<Source>,
    pub server: Option<ServerInfo>,
    pub engine: Option<EngineInfo>,
    pub error: Option<Error>,
    /// The latest health check of the connected server (also sent alone as the
    /// `db://health` event), once connected.
    pub health: Option<Health>,
}

impl DbStatus {
    pub fn connecting(source: Option<Source>) -> Self {
        DbStatus {
            state: ConnState::Connecting,
            source,
            server: None,
            engine: None,
            error: None,
            health: None,
        }
    }
}

pub struct AppState {
    core: RwLock<Option<Core>>,
    status: RwLock<DbStatus>,
    /// The embedded engine, shared with its supervisor.
    pub engine: EngineSlot,
    /// Watches the connected server (and restarts the embedded engine).
    pub supervisor: std::sync::Mutex<Option<Supervisor>>,
    /// Serialises (re)connection attempts.
    pub connecting: Mutex<()>,
    /// Bumped at every change of the connection, to wake the commands waiting for it.
    changed: watch::Sender<u64>,
}

/// How long a command waits for a connection being made: the local engine's own start
/// timeout (60 s) and the first connection to it, with some room.
pub const CONNECT_WAIT: Duration = Duration::from_secs(90);

impl Default for AppState {
    fn default() -> Self {
        AppState {
            core: RwLock::new(None),
            status: RwLock::new(DbStatus::connecting(None)),
            engine: EngineSlot::default(),
            supervisor: std::sync::Mutex::new(None),
            connecting: Mutex::new(()),
            changed: watch::channel(0).0,
        }
    }
}

fn starting() -> Error {
    Error::new(
        Code::DbUnavailable,
        "the database is still starting; try again in a moment",
    )
    .with_reason("db_starting", [])
}

impl AppState {
    /// The connection. While one is being made (at start-up the local engine may still be
    /// starting) this waits for it, up to [`CONNECT_WAIT`]; when there is none, the error
    /// that says why.
    pub async fn core(&self) -> Result<Core> {
        let deadline = tokio::time::Instant::now() + CONNECT_WAIT;
        // Subscribed before looking, so that a change made in between is not missed.
        let mut changes = self.changed.subscribe();
        loop {
            if let Some(c) = self.core.read().await.as_ref() {
                return Ok(c.clone());
            }
            {
                let st = self.status.read().await;
                if let Some(e) = &st.error {
                    return Err(e.clone());
                }
                if st.state != ConnState::Connecting {
                    return Err(starting());
                }
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                // The deadline passed (or the state is being dropped).
                _ => return Err(starting()),
            }
        }
    }

    /// The connection if there is one now (no waiting).
    pub async fn current(&self) -> Option<Core> {
        self.core.read().await.clone()
    }

    pub async fn status(&self) -> DbStatus {
        self.status.read().await.clone()
    }

    pub async fn set(&self, core: Option<Core>, status: DbStatus) {
        *self.core.write().await = core;
        *self.status.write().await = status;
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Record the latest health check in the status.
    pub async fn set_health(&self, health: Health) {
        self.status.write().await.health = Some(health);
    }

    /// Replace the supervisor (the previous one stops).
    pub fn set_supervisor(&self, s: Option<Supervisor>) {
        let old = match self.supervisor.lock() {
            Ok(mut g) => std::mem::replace(&mut *g, s),
            Err(p) => std::mem::replace(&mut *p.into_inner(), s),
        };
        if let Some(old) = old {
            old.stop();
        }
    }
}
