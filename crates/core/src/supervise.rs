//! Watching the database while the app runs, and repairing the embedded engine.
//!
//! A [`Supervisor`] is a tokio task beside a connected [`Core`]:
//! - every [`Options::check_every`] it pings the server with a short timeout — the local
//!   engine and a remote server alike — so the status shown is measured, not assumed;
//! - for the embedded engine it also looks at the process every [`Options::reap_every`]:
//!   an engine that exited is reaped at once (no zombie), started again on the same data
//!   folder and port with a bounded exponential backoff, and the existing connection
//!   reconnects by itself (the driver rediscovers a server at the same address);
//! - an engine that still runs but has stopped answering for [`Options::hung_after`] is
//!   killed and restarted the same way;
//! - when the engine cannot start again, the reason is told in words the UI translates
//!   ([`Reason`]: disk full, data folder locked, data damaged…) with where its log is.
//!
//! The core never sees the GUI: each change of [`Health`] goes to a callback and to a
//! `tokio::sync::watch` channel ([`Supervisor::subscribe`]).

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use bson::doc;
use serde::Serialize;
use tokio::{
    sync::{watch, Mutex},
    task::JoinHandle,
};

use crate::{engine::LocalEngine, Core, Error};

/// How the database is doing, in three words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "HealthState")]
pub enum State {
    /// The last check answered in time.
    Ok,
    /// The database does not answer and is being restarted or waited for.
    Reconnecting,
    /// It cannot be repaired automatically: the user has something to do ([`Reason`]).
    Down,
}

/// Why the database is not `ok`. The UI translates each into words and advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "HealthReason")]
pub enum Reason {
    /// The embedded engine's process ended (crash, out-of-memory killer, `kill -9`).
    EngineExited,
    /// The server does not answer the health check (a remote server or the network is
    /// down, or the local engine hangs).
    NotAnswering,
    /// The data folder's disk is full.
    DiskFull,
    /// Another program holds the data folder.
    DataLocked,
    /// The engine refuses its data files (damaged).
    DataCorrupt,
    /// The engine does not start, for another reason (see its log).
    StartFailed,
}

/// What the supervisor publishes after every change.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Health {
    pub state: State,
    pub reason: Option<Reason>,
    /// Details in English for the log and the details panel (exit status, the engine's
    /// last log line); never a password.
    pub detail: Option<String>,
    /// Whether this is the embedded engine (which the supervisor can restart).
    pub local: bool,
    /// Restarts of the embedded engine since the supervisor started.
    pub restarts: u32,
    /// The embedded engine's log file.
    pub log_path: Option<String>,
    /// The embedded engine's data folder.
    pub data_dir: Option<String>,
    /// The embedded engine's connection string: it changes only when its port was taken
    /// by another program during a restart (then the caller must connect again).
    pub uri: Option<String>,
    /// Round trip of the last successful check.
    pub latency_ms: Option<u64>,
    /// When the state last changed (ms since the epoch).
    pub since_ms: i64,
}

/// Timings of the supervisor (defaults: check every 2 s with a 1 s timeout).
#[derive(Debug, Clone)]
pub struct Options {
    pub check_every: Duration,
    pub ping_timeout: Duration,
    /// How often the embedded engine's process is looked at.
    pub reap_every: Duration,
    /// First and longest wait between two restart attempts.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// How long one start may take to answer.
    pub start_timeout: Duration,
    /// Restart attempts before the state becomes `down` (attempts continue, at
    /// `backoff_max`, so that freeing disk space is enough to recover).
    pub attempts_before_down: u32,
    /// A running local engine that has not answered for this long is killed and restarted.
    pub hung_after: Duration,
    /// A remote server that has not answered for this long is reported `down`.
    pub remote_down_after: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            check_every: Duration::from_secs(2),
            ping_timeout: Duration::from_secs(1),
            reap_every: Duration::from_millis(250),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(10),
            start_timeout: Duration::from_secs(30),
            attempts_before_down: 3,
            hung_after: Duration::from_secs(20),
            remote_down_after: Duration::from_secs(10),
        }
    }
}

/// The embedded engine, shared with whoever stops it at exit.
pub type EngineSlot = Arc<Mutex<Option<LocalEngine>>>;

/// A running supervisor; dropping it (or [`Supervisor::stop`]) ends it.
pub struct Supervisor {
    task: JoinHandle<()>,
    rx: watch::Receiver<Health>,
}

impl Supervisor {
    /// Watch `core`'s server; with `engine`, also supervise that embedded engine (the
    /// supervisor stops by itself when the slot is emptied, e.g. at exit). `on_change` is
    /// called (from a tokio task) with every new [`Health`], starting with the first.
    pub fn spawn(
        core: Core,
        engine: Option<EngineSlot>,
        opts: Options,
        on_change: impl Fn(&Health) + Send + Sync + 'static,
    ) -> Supervisor {
        let first = Health {
            state: State::Ok,
            reason: None,
            detail: None,
            local: engine.is_some(),
            restarts: 0,
            log_path: None,
            data_dir: None,
            uri: None,
            latency_ms: None,
            since_ms: now_ms(),
        };
        let (tx, rx) = watch::channel(first.clone());
        let run = Run {
            core,
            engine,
            opts,
            health: first,
            tx,
            on_change: Box::new(on_change),
        };
        Supervisor {
            task: tokio::spawn(run.run()),
            rx,
        }
    }

    /// The latest health.
    pub fn health(&self) -> Health {
        self.rx.borrow().clone()
    }

    /// A channel that sees every change.
    pub fn subscribe(&self) -> watch::Receiver<Health> {
        self.rx.clone()
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Callback = Box<dyn Fn(&Health) + Send + Sync>;

struct Run {
    core: Core,
    engine: Option<EngineSlot>,
    opts: Options,
    health: Health,
    tx: watch::Sender<Health>,
    on_change: Callback,
}

/// What one look at the embedded engine found.
enum Look {
    Running,
    Exited(String),
    /// The slot was emptied: the app is stopping the engine.
    Gone,
}

impl Run {
    async fn run(mut self) {
        if let Some(slot) = &self.engine {
            if let Some(e) = slot.lock().await.as_ref() {
                self.health.log_path = Some(e.log_path().display().to_string());
                self.health.data_dir = Some(e.data_dir.display().to_string());
                self.health.uri = Some(e.uri());
            }
        }
        self.publish();
        let mut next_check = Instant::now();
        // Since when checks fail (None while they succeed).
        let mut failing_since: Option<Instant> = None;
        loop {
            tokio::time::sleep(self.opts.reap_every).await;
            match self.look().await {
                Look::Gone => return,
                Look::Exited(status) => {
                    tracing::warn!(%status, "the local database engine exited: restarting it");
                    self.set(
                        State::Reconnecting,
                        Some(Reason::EngineExited),
                        Some(format!("the engine exited ({status})")),
                    );
                    if !self.restart().await {
                        return;
                    }
                    failing_since = None;
                    next_check = Instant::now();
                    continue;
                }
                Look::Running => {}
            }
            if Instant::now() < next_check {
                continue;
            }
            next_check = Instant::now() + self.opts.check_every;
            let local = self.engine.is_some();
            match check(&self.core, self.opts.ping_timeout, local).await {
                Ok(latency) => {
                    failing_since = None;
                    self.health.latency_ms = Some(latency.as_millis() as u64);
                    if self.health.state != State::Ok {
                        tracing::info!("the database answers again");
                        self.set(State::Ok, None, None);
                    }
                }
                Err(detail) => {
                    let since = *failing_since.get_or_insert_with(Instant::now);
                    // A storage engine that panicked (e.g. on a full disk) answers `ping`
                    // but nothing else until it is restarted.
                    let broken = detail.to_lowercase().contains("panic");
                    if local && (broken || since.elapsed() >= self.opts.hung_after) {
                        tracing::warn!("the local database engine hangs: restarting it");
                        self.set(
                            State::Reconnecting,
                            Some(Reason::NotAnswering),
                            Some(detail),
                        );
                        if !self.restart().await {
                            return;
                        }
                        failing_since = None;
                        next_check = Instant::now();
                    } else if !local && since.elapsed() >= self.opts.remote_down_after {
                        if self.health.state != State::Down {
                            self.set(State::Down, Some(Reason::NotAnswering), Some(detail));
                        }
                    } else if self.health.state == State::Ok {
                        self.set(
                            State::Reconnecting,
                            Some(Reason::NotAnswering),
                            Some(detail),
                        );
                    }
                }
            }
        }
    }

    async fn look(&self) -> Look {
        let Some(slot) = &self.engine else {
            return Look::Running;
        };
        let mut guard = slot.lock().await;
        match guard.as_mut() {
            None => Look::Gone,
            Some(e) => match e.exited() {
                Some(status) => Look::Exited(status),
                None => Look::Running,
            },
        }
    }

    /// Start the embedded engine again until it answers, waiting longer after each
    /// failure (bounded). False when the slot was emptied meanwhile (the app stops).
    async fn restart(&mut self) -> bool {
        let Some(slot) = self.engine.clone() else {
            return true;
        };
        let mut delay = self.opts.backoff_min;
        let mut attempt = 0_u32;
        loop {
            attempt += 1;
            let outcome = {
                let mut guard = slot.lock().await;
                let Some(engine) = guard.as_mut() else {
                    return false;
                };
                match engine.restart(self.opts.start_timeout).await {
                    Ok(()) => Ok((engine.uri(), engine.pid())),
                    Err(e) => Err((e, engine.data_dir.clone(), engine.log_path())),
                }
            };
            match outcome {
                Ok((uri, pid)) => {
                    self.health.restarts += 1;
                    tracing::info!(pid, attempt, "the local database engine was restarted");
                    self.health.uri = Some(uri);
                    // The connection finds the server again by itself; wait until it does
                    // (a bounded wait: the regular checks take over afterwards).
                    let deadline = Instant::now() + self.opts.start_timeout;
                    while Instant::now() < deadline {
                        if let Ok(l) = ping(&self.core, self.opts.ping_timeout).await {
                            self.health.latency_ms = Some(l.as_millis() as u64);
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    self.set(State::Ok, None, None);
                    return true;
                }
                Err((err, data_dir, log)) => {
                    let reason = classify(&err, &data_dir, &log);
                    tracing::warn!(
                        attempt,
                        ?reason,
                        "the local database engine does not start: {}",
                        err.message
                    );
                    let state = if reason != Reason::StartFailed
                        || attempt >= self.opts.attempts_before_down
                    {
                        State::Down
                    } else {
                        State::Reconnecting
                    };
                    let detail = crate::db::first_line(&err.message);
                    if self.health.state != state || self.health.reason != Some(reason) {
                        self.set(state, Some(reason), Some(detail));
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(self.opts.backoff_max);
                }
            }
        }
    }

    fn set(&mut self, state: State, reason: Option<Reason>, detail: Option<String>) {
        self.health.state = state;
        self.health.reason = reason;
        self.health.detail = detail;
        self.health.since_ms = now_ms();
        self.publish();
    }

    fn publish(&self) {
        let _ = self.tx.send(self.health.clone());
        (self.on_change)(&self.health);
    }
}

/// Where the embedded engine's check writes (one tiny document, local to this store).
pub const PROBE: &str = "_eventhub_health";

/// The supervisor's check: `ping`, and for the embedded engine also a tiny write (a storage
/// engine that failed, e.g. on a full disk, can still answer `ping`).
async fn check(core: &Core, timeout: Duration, local: bool) -> Result<Duration, String> {
    let latency = ping(core, timeout).await?;
    if local {
        let probe = core.db().collection::<bson::Document>(PROBE);
        let write = probe
            .update_one(doc! { "_id": "probe" }, doc! { "$inc": { "n": 1_i64 } })
            .upsert(true);
        match tokio::time::timeout(timeout, write).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(crate::db::first_line(&e.to_string())),
            Err(_) => return Err(format!("no answer within {} ms", timeout.as_millis())),
        }
    }
    Ok(latency)
}

/// One health check: `ping` within `timeout`, with its round trip, or what failed.
pub async fn ping(core: &Core, timeout: Duration) -> Result<Duration, String> {
    let t = Instant::now();
    match tokio::time::timeout(
        timeout,
        core.client()
            .database("admin")
            .run_command(doc! { "ping": 1 }),
    )
    .await
    {
        Ok(Ok(_)) => Ok(t.elapsed()),
        Ok(Err(e)) => Err(Error::from(e).message),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

/// Why an engine does not start, from its error and the end of its log.
pub fn classify(err: &Error, data_dir: &Path, log: &Path) -> Reason {
    let mut text = err.message.to_lowercase();
    text.push('\n');
    text.push_str(&log_tail(log, 40).to_lowercase());
    if disk_full_text(&text) || free_space(data_dir).is_some_and(|b| b < LOW_SPACE) {
        Reason::DiskFull
    } else if ["lock", "resource temporarily unavailable", "already in use"]
        .iter()
        .any(|k| text.contains(k))
    {
        Reason::DataLocked
    } else if [
        "corrupt",
        "checksum",
        "wt_panic",
        "wt_error",
        "invalid argument",
        "read error",
        "unable to read",
    ]
    .iter()
    .any(|k| text.contains(k))
    {
        Reason::DataCorrupt
    } else {
        Reason::StartFailed
    }
}

/// Below this much free space an engine's start is blamed on the disk.
const LOW_SPACE: u64 = 16 * 1024 * 1024;

/// Whether an error text says the disk is full (the OS's words, as engines relay them).
pub fn disk_full_text(text: &str) -> bool {
    let t = text.to_lowercase();
    [
        "no space left",
        "enospc",
        "disk full",
        "out of disk",
        "outofdiskspace",
        "os error 28",
        "not enough space",
        "insufficient disk",
    ]
    .iter()
    .any(|k| t.contains(k))
}

/// Free bytes on the filesystem of `dir`, where the OS tells it.
pub fn free_space(dir: &Path) -> Option<u64> {
    fs4::available_space(dir).ok()
}

/// The last `n` lines of a log file.
pub fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Where the embedded engine's logs are (its current and previous run).
pub fn log_files(data_dir: &Path) -> Vec<PathBuf> {
    ["engine.log", "engine.log.1"]
        .iter()
        .map(|f| data_dir.join("logs").join(f))
        .filter(|p| p.exists())
        .collect()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_failures_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("engine.log");
        let e = |m: &str| Error::new(crate::Code::EngineMissing, m);
        std::fs::write(
            &log,
            "opening storage\nError: No space left on device (os error 28)\n",
        )
        .unwrap();
        assert_eq!(classify(&e("stopped"), dir.path(), &log), Reason::DiskFull);
        std::fs::write(&log, "WiredTiger.lock: Resource temporarily unavailable\n").unwrap();
        assert_eq!(
            classify(&e("stopped"), dir.path(), &log),
            Reason::DataLocked
        );
        std::fs::write(&log, "WT_PANIC: checksum mismatch\n").unwrap();
        assert_eq!(
            classify(&e("stopped"), dir.path(), &log),
            Reason::DataCorrupt
        );
        std::fs::write(&log, "something else\n").unwrap();
        assert_eq!(
            classify(&e("stopped"), dir.path(), &log),
            Reason::StartFailed
        );
    }

    #[test]
    fn health_serialises_for_the_ui() {
        let h = Health {
            state: State::Reconnecting,
            reason: Some(Reason::EngineExited),
            detail: None,
            local: true,
            restarts: 1,
            log_path: None,
            data_dir: None,
            uri: None,
            latency_ms: None,
            since_ms: 0,
        };
        let v = serde_json::to_value(&h).unwrap();
        assert_eq!(v["state"], "reconnecting");
        assert_eq!(v["reason"], "engine_exited");
    }
}
