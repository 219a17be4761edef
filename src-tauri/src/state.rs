//! The app's shared state: the connection (a `Core`, cheap to clone) once it is ready, and
//! the local engine process when the app started one. The lock guards the *state of the
//! connection*, not the client: commands clone the `Core` out and release it at once.

use eventhub_core::{
    supervise::{EngineSlot, Health, Supervisor},
    Code, Core, Error, Result, ServerInfo,
};
use serde::Serialize;
use tokio::sync::{Mutex, RwLock};

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
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            core: RwLock::new(None),
            status: RwLock::new(DbStatus::connecting(None)),
            engine: EngineSlot::default(),
            supervisor: std::sync::Mutex::new(None),
            connecting: Mutex::new(()),
        }
    }
}

impl AppState {
    /// The connection, or a clear error while there is none.
    pub async fn core(&self) -> Result<Core> {
        if let Some(c) = self.core.read().await.as_ref() {
            return Ok(c.clone());
        }
        let st = self.status.read().await;
        Err(match &st.error {
            Some(e) => e.clone(),
            None => Error::new(
                Code::DbUnavailable,
                "the database is still starting; try again in a moment",
            )
            .with_reason("db_starting", []),
        })
    }

    pub async fn status(&self) -> DbStatus {
        self.status.read().await.clone()
    }

    pub async fn set(&self, core: Option<Core>, status: DbStatus) {
        *self.core.write().await = core;
        *self.status.write().await = status;
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
