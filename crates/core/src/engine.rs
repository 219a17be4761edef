//! The embedded local database: find a server binary on this machine, start it with its
//! data in the OS app-data folder, wait until it answers, and stop it on exit.
//!
//! Order of preference: `EVENTHUB_ENGINE`, the engine shipped beside the app's executable
//! (the installers bundle `secantusd-rs` as a Tauri sidecar), a real `mongod` (started as a
//! one-node replica set, so change streams and transactions work), else SecantusDB's
//! `secantusd-rs` on PATH or in `~/.cargo/bin`. The process and port
//! are recorded in `engine.json` beside the data; at the next start a healthy engine left
//! running (e.g. after a crash) is adopted, an unresponsive one is killed and restarted.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};
use tokio::process::{Child, Command};

use crate::{error::Code, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "EngineKind")]
pub enum Kind {
    Mongod,
    Secantus,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Mongod => "mongod",
            Kind::Secantus => "secantusd-rs",
        }
    }
}

/// A server binary found on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binary {
    pub kind: Kind,
    pub path: PathBuf,
}

/// What the user is told when no engine is found.
pub const MISSING_HELP: &str =
    "No local database engine was found. Install MongoDB Community Server \
(mongod 7 or 8: https://www.mongodb.com/try/download/community) or SecantusDB \
(`cargo install secantus-mdb --version 0.5.3-beta.196 --ignore-rust-version --locked`), \
or enter a MongoDB Atlas connection string.";

fn exe(name: &str) -> String {
    if cfg!(windows) {
        format!("{name}.exe")
    } else {
        name.to_owned()
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(exe(name)))
        .find(|p| p.is_file())
}

/// Usual install places of `mongod` outside PATH.
fn mongod_candidates() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = [
        "/usr/bin/mongod",
        "/usr/local/bin/mongod",
        "/opt/homebrew/bin/mongod",
        "/opt/mongodb/bin/mongod",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    if cfg!(windows) {
        let base = PathBuf::from(r"C:\Program Files\MongoDB\Server");
        if let Ok(rd) = std::fs::read_dir(&base) {
            let mut versions: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
            versions.sort();
            for v_dir in versions.into_iter().rev() {
                v.push(v_dir.join("bin").join("mongod.exe"));
            }
        }
    }
    v
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from)
}

/// The engine shipped with the app: `secantusd-rs` in the folder of the running executable
/// (where Tauri puts a sidecar: `/usr/bin` from the .deb and .rpm, `Contents/MacOS` in the
/// macOS bundle, the install folder on Windows).
pub fn bundled() -> Option<PathBuf> {
    let exe_path = std::env::current_exe().ok()?;
    let p = exe_path.parent()?.join(exe("secantusd-rs"));
    p.is_file().then_some(p)
}

/// Find a server binary: `EVENTHUB_ENGINE` (a path), else the engine bundled beside the
/// executable, else `mongod`, else `secantusd-rs`.
pub fn find() -> Option<Binary> {
    if let Some(p) = std::env::var_os("EVENTHUB_ENGINE").map(PathBuf::from) {
        if p.is_file() {
            let kind = if p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains("mongod"))
            {
                Kind::Mongod
            } else {
                Kind::Secantus
            };
            return Some(Binary { kind, path: p });
        }
    }
    if let Some(path) = bundled() {
        return Some(Binary {
            kind: Kind::Secantus,
            path,
        });
    }
    if let Some(p) =
        on_path("mongod").or_else(|| mongod_candidates().into_iter().find(|p| p.is_file()))
    {
        return Some(Binary {
            kind: Kind::Mongod,
            path: p,
        });
    }
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".cargo")))
        .map(|c| c.join("bin").join(exe("secantusd-rs")));
    on_path("secantusd-rs")
        .or_else(|| cargo_bin.filter(|p| p.is_file()))
        .map(|path| Binary {
            kind: Kind::Secantus,
            path,
        })
}

/// What is recorded about a running engine beside its data.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    pid: u32,
    port: u16,
    kind: Kind,
}

/// A running local engine. Stop it with [`LocalEngine::stop`]; if it is only dropped, the
/// process is killed.
pub struct LocalEngine {
    child: Option<Child>,
    pid: u32,
    pub port: u16,
    pub binary: Binary,
    pub data_dir: PathBuf,
    /// False when an engine left running by an earlier start was adopted.
    pub started_here: bool,
}

impl LocalEngine {
    pub fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}/?directConnection=true", self.port)
    }

    /// Start (or adopt) the engine for `data_dir`. Waits up to `timeout` for it to answer.
    pub async fn start(binary: Binary, data_dir: &Path, timeout: Duration) -> Result<LocalEngine> {
        LocalEngine::start_on(binary, data_dir, None, timeout).await
    }

    /// [`LocalEngine::start`] on a given port (a free one when `None`).
    async fn start_on(
        binary: Binary,
        data_dir: &Path,
        port: Option<u16>,
        timeout: Duration,
    ) -> Result<LocalEngine> {
        let db_dir = data_dir.join("db");
        std::fs::create_dir_all(&db_dir).map_err(|e| {
            Error::new(
                Code::EngineMissing,
                format!("cannot create the data folder {}: {e}", db_dir.display()),
            )
        })?;
        let record_path = data_dir.join("engine.json");
        if let Some(rec) = read_record(&record_path) {
            if engine_alive(rec.pid) {
                if ping(rec.port, Duration::from_secs(3)).await {
                    tracing::info!(pid = rec.pid, port = rec.port, "adopting running engine");
                    return Ok(LocalEngine {
                        child: None,
                        pid: rec.pid,
                        port: rec.port,
                        binary,
                        data_dir: data_dir.to_owned(),
                        started_here: false,
                    });
                }
                // It does not answer, so it cannot be asked to shut down: SIGTERM, then kill.
                tracing::warn!(pid = rec.pid, "stale engine does not answer: stopping it");
                stop_pid(rec.pid, 0, None).await;
            }
            let _ = std::fs::remove_file(&record_path);
        }
        // A process that died hard can leave mongod's lock file behind; it is safe to
        // remove once no process owns the folder (checked above).
        let lock = db_dir.join("mongod.lock");
        if lock.exists() && binary.kind == Kind::Mongod {
            let _ = std::fs::remove_file(&lock);
        }
        let port = match port {
            Some(p) => p,
            None => free_port()?,
        };
        let log_path = data_dir.join("logs").join("engine.log");
        let _ = std::fs::create_dir_all(data_dir.join("logs"));
        let log = std::fs::File::create(&log_path).map_err(|e| {
            Error::new(
                Code::EngineMissing,
                format!("cannot write {}: {e}", log_path.display()),
            )
        })?;
        let log2 = log
            .try_clone()
            .map_err(|e| Error::internal(e.to_string()))?;
        let mut cmd = Command::new(&binary.path);
        match binary.kind {
            Kind::Mongod => {
                cmd.arg("--dbpath")
                    .arg(&db_dir)
                    .args(["--bind_ip", "127.0.0.1", "--port", &port.to_string()])
                    .args(["--replSet", "eventhub", "--quiet"]);
            }
            Kind::Secantus => {
                cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
                    .arg("--storage-path")
                    .arg(&db_dir)
                    .args(["--cache-size", &cache_size(), "--sync-on-commit"]);
            }
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .kill_on_drop(true);
        // No console window for the engine on Windows.
        #[cfg(windows)]
        cmd.creation_flags(CREATE_NO_WINDOW);
        let child = cmd.spawn().map_err(|e| {
            Error::new(
                Code::EngineMissing,
                format!("cannot start {}: {e}", binary.path.display()),
            )
        })?;
        let pid = child.id().unwrap_or_default();
        let mut engine = LocalEngine {
            child: Some(child),
            pid,
            port,
            binary,
            data_dir: data_dir.to_owned(),
            started_here: true,
        };
        let _ = std::fs::write(
            &record_path,
            serde_json::to_vec(&Record {
                pid,
                port,
                kind: engine.binary.kind,
            })
            .unwrap_or_default(),
        );
        let deadline = Instant::now() + timeout;
        loop {
            // A refused TCP connection costs microseconds, a driver ping to a port nobody
            // listens on its whole selection timeout: knock first, often, and ping once
            // the port is open, so the start is noticed within a few milliseconds.
            if listening(port).await && ping(port, Duration::from_secs(2)).await {
                break;
            }
            if let Some(child) = engine.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    let tail = std::fs::read_to_string(&log_path).unwrap_or_default();
                    let tail: String = tail.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
                    let _ = std::fs::remove_file(&record_path);
                    return Err(Error::new(
                        Code::EngineMissing,
                        format!("the local database stopped at start-up ({status}): {tail}"),
                    ));
                }
            }
            if Instant::now() > deadline {
                engine.stop().await;
                return Err(Error::new(
                    Code::DbUnavailable,
                    format!(
                        "the local database did not answer within {} s (log: {})",
                        timeout.as_secs(),
                        log_path.display()
                    ),
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if engine.binary.kind == Kind::Mongod {
            init_replica_set(port).await?;
        }
        shorten_transactions(port).await;
        Ok(engine)
    }

    /// Stop the engine gracefully and forget its record: the `shutdown` admin command where
    /// the engine has it (`mongod`, every OS), else SIGTERM on Unix, then a kill after 10 s
    /// in all.
    pub async fn stop(&mut self) {
        stop_pid(self.pid, self.port, self.child.as_mut()).await;
        self.child = None;
        let _ = std::fs::remove_file(self.data_dir.join("engine.json"));
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }
}

/// Find and start the local engine in EventHub's data folder, or explain what is missing.
/// Data left in the folders of earlier versions is moved there first.
pub async fn start_default() -> Result<LocalEngine> {
    let data_dir = crate::config::data_dir();
    move_legacy_data(&crate::config::legacy_data_dirs(), &data_dir).await;
    let binary = find().ok_or_else(|| Error::new(Code::EngineMissing, MISSING_HELP))?;
    LocalEngine::start(binary, &data_dir, Duration::from_secs(60)).await
}

/// Move EventHub's data from the folders of earlier versions into `target`
/// ([`crate::config::move_legacy_data`]), after stopping an engine still running on an old
/// folder (the move needs the engine stopped). A failure is logged and leaves the old data
/// where it was: it is never deleted.
pub async fn move_legacy_data(legacy: &[PathBuf], target: &Path) -> crate::config::Moved {
    for old in legacy {
        // On Linux the folder of one earlier layout is the data folder itself: its running
        // engine is the one this start adopts, never one to stop.
        if crate::config::same_dir(old, target) {
            continue;
        }
        let record_path = old.join("engine.json");
        if let Some(rec) = read_record(&record_path) {
            if engine_alive(rec.pid) {
                tracing::info!(pid = rec.pid, "stopping the engine of an older data folder");
                stop_pid(rec.pid, rec.port, None).await;
            }
            let _ = std::fs::remove_file(&record_path);
        }
    }
    match crate::config::move_legacy_data(legacy, target) {
        Ok(m) => {
            for p in &m.moved {
                tracing::info!("moved older data to {}", p.display());
            }
            for p in &m.kept {
                tracing::warn!(
                    "kept {} where it is: the data folder already has one",
                    p.display()
                );
            }
            m
        }
        Err(e) => {
            tracing::warn!("could not move older data to {}: {e}", target.display());
            crate::config::Moved::default()
        }
    }
}

fn read_record(path: &Path) -> Option<Record> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::internal(format!("no free local port: {e}")))?;
    Ok(l.local_addr()
        .map_err(|e| Error::internal(e.to_string()))?
        .port())
}

/// Whether something accepts TCP connections on the local `port`.
async fn listening(port: u16) -> bool {
    let connect = tokio::net::TcpStream::connect(("127.0.0.1", port));
    matches!(
        tokio::time::timeout(Duration::from_millis(200), connect).await,
        Ok(Ok(_))
    )
}

async fn ping(port: u16, timeout: Duration) -> bool {
    let uri = format!("mongodb://127.0.0.1:{port}/?directConnection=true");
    crate::db::reachable(&uri, timeout).await
}

/// How long the app's own engine lets a transaction stay open (MongoDB's default: 60 s).
pub const TRANSACTION_LIFETIME_S: i32 = 10;

/// Expire a transaction left open after [`TRANSACTION_LIFETIME_S`]. SecantusDB delivers no
/// change to any change stream while a write transaction is open (MongoDB does), so a
/// process killed inside one of the answer tallies' transactions (`feedback::follow`)
/// would hold the live dashboard and the tallies back for a minute. Best effort: an engine
/// refusing the parameter keeps its own.
async fn shorten_transactions(port: u16) {
    let uri = format!("mongodb://127.0.0.1:{port}/?directConnection=true");
    if let Ok(client) = mongodb::Client::with_uri_str(&uri).await {
        let _ = client
            .database("admin")
            .run_command(bson::doc! {
                "setParameter": 1, "transactionLifetimeLimitSeconds": TRANSACTION_LIFETIME_S,
            })
            .await;
        client.shutdown().immediate(true).await;
    }
}

async fn init_replica_set(port: u16) -> Result<()> {
    let client =
        mongodb::Client::with_uri_str(format!("mongodb://127.0.0.1:{port}/?directConnection=true"))
            .await?;
    let admin = client.database("admin");
    let status = admin
        .run_command(bson::doc! { "replSetGetStatus": 1 })
        .await;
    if status.is_err() {
        admin
            .run_command(bson::doc! { "replSetInitiate": {
                "_id": "eventhub",
                "members": [{ "_id": 0, "host": format!("127.0.0.1:{port}") }],
            } })
            .await?;
    }
    // Wait for the node to become primary.
    for _ in 0..100 {
        let hello = admin.run_command(bson::doc! { "hello": 1 }).await?;
        if hello.get_bool("isWritablePrimary").unwrap_or(false) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(Error::new(
        Code::DbUnavailable,
        "the local mongod did not become primary",
    ))
}

/// `CREATE_NO_WINDOW`: a child process of a windowed app gets no console window.
#[cfg(windows)]
pub const CREATE_NO_WINDOW: u32 = 0x0800_0000;

/// The process `pid` if it is alive (not a zombie).
fn live_process(sys: &mut sysinfo::System, pid: u32) -> Option<&sysinfo::Process> {
    if pid == 0 {
        return None;
    }
    let pid = sysinfo::Pid::from_u32(pid);
    sys.refresh_processes_specifics(
        sysinfo::ProcessesToUpdate::Some(&[pid]),
        true,
        sysinfo::ProcessRefreshKind::nothing(),
    );
    sys.process(pid)
        .filter(|p| p.status() != sysinfo::ProcessStatus::Zombie)
}

/// Whether `pid` is a running database engine — not another program that was given the
/// number of an engine gone since (process ids are reused).
pub fn engine_alive(pid: u32) -> bool {
    let mut sys = sysinfo::System::new();
    live_process(&mut sys, pid).is_some_and(|p| {
        let name = p.name().to_string_lossy().to_lowercase();
        name.contains("secantus") || name.contains("mongod")
    })
}

fn process_alive(pid: u32) -> bool {
    let mut sys = sysinfo::System::new();
    live_process(&mut sys, pid).is_some()
}

/// Ask the engine on `port` to shut down (the `shutdown` admin command). The engine drops
/// the connection as it exits, so the answer is not awaited for long. False when the
/// engine refused the command: SecantusDB has no `shutdown` command (it answers
/// `CommandNotFound`) and stops on SIGTERM instead.
async fn request_shutdown(port: u16) -> bool {
    let uri = format!(
        "mongodb://127.0.0.1:{port}/?directConnection=true&serverSelectionTimeoutMS=2000&connectTimeoutMS=2000"
    );
    let Ok(client) = mongodb::Client::with_uri_str(&uri).await else {
        return false;
    };
    let admin = client.database("admin");
    let cmd = admin.run_command(bson::doc! { "shutdown": 1, "force": true });
    match tokio::time::timeout(Duration::from_secs(5), cmd).await {
        // The server answered: it did not shut down.
        Ok(Ok(_)) => false,
        Ok(Err(e)) => !matches!(*e.kind, mongodb::error::ErrorKind::Command(_)),
        Err(_) => true,
    }
}

/// Stop the engine `pid` listening on `port`: the `shutdown` command (`mongod`), SIGTERM
/// on Unix, then a kill; 10 s in all before the kill. On Windows an engine without the
/// `shutdown` command is ended at once (it runs with `--sync-on-commit`: every
/// acknowledged write is already on disk). `child` is the process when this app started
/// it (then it is also reaped).
async fn stop_pid(pid: u32, port: u16, mut child: Option<&mut Child>) {
    if pid == 0 {
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut gone = false;
    if port != 0 && request_shutdown(port).await {
        gone = wait_exit(pid, child.as_deref_mut(), Duration::from_secs(5)).await;
    }
    #[cfg(unix)]
    if !gone {
        signal(pid, sysinfo::Signal::Term);
        let left = deadline.saturating_duration_since(Instant::now());
        gone = wait_exit(pid, child.as_deref_mut(), left).await;
    }
    if !gone {
        if Instant::now() < deadline {
            tracing::info!(pid, "ending the engine");
        } else {
            tracing::warn!(pid, "the engine did not stop in time: killing it");
        }
        match child {
            Some(c) => {
                let _ = c.start_kill();
                let _ = c.wait().await;
            }
            None => {
                signal(pid, sysinfo::Signal::Kill);
                wait_gone(pid, Duration::from_secs(5)).await;
            }
        }
    }
}

/// Wait for `pid` to end (reaping it when it is our child).
async fn wait_exit(pid: u32, child: Option<&mut Child>, timeout: Duration) -> bool {
    match child {
        Some(c) => tokio::time::timeout(timeout, c.wait()).await.is_ok(),
        None => wait_gone(pid, timeout).await,
    }
}

fn signal(pid: u32, sig: sysinfo::Signal) {
    let mut sys = sysinfo::System::new();
    if let Some(p) = live_process(&mut sys, pid) {
        if p.kill_with(sig).is_none() {
            // A signal this OS does not have (SIGTERM on Windows): end the process.
            p.kill();
        }
    }
}

async fn wait_gone(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if !process_alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    !process_alive(pid)
}

/// The storage cache of an embedded secantusd-rs: MongoDB's own WiredTiger rule — half of
/// (RAM − 1 GB), at least 256 MB — capped at 4 GB for a laptop app; `EVENTHUB_ENGINE_CACHE`
/// (e.g. `1G`) overrides it. With a cache far smaller than the data (the first version used
/// 256 MB), the engine answered a 1M-document index build with endless write-conflict
/// retries (see `docs/performance.md`).
pub fn cache_size() -> String {
    if let Ok(v) = std::env::var("EVENTHUB_ENGINE_CACHE") {
        if !v.trim().is_empty() {
            return v.trim().to_owned();
        }
    }
    let mb = total_memory_mb()
        .map(|total| (total.saturating_sub(1024) / 2).clamp(256, 4096))
        .unwrap_or(1024);
    format!("{mb}M")
}

/// Total memory in MB, on every OS.
fn total_memory_mb() -> Option<u64> {
    let sys = sysinfo::System::new_with_specifics(
        sysinfo::RefreshKind::nothing()
            .with_memory(sysinfo::MemoryRefreshKind::nothing().with_ram()),
    );
    let bytes = sys.total_memory();
    (bytes > 0).then_some(bytes / 1024 / 1024)
}

/// What the supervisor (`crate::supervise`) needs to notice an engine that died and start
/// it again in place.
impl LocalEngine {
    /// The engine's log (the previous run's is kept as `engine.log.1` by a restart).
    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join("logs").join("engine.log")
    }

    /// Whether the process has ended, with its exit status in words. A child of this app
    /// is reaped (no zombie is left); an adopted engine is checked by its process id.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.as_mut() {
            Some(child) => match child.try_wait() {
                Ok(Some(status)) => {
                    self.child = None;
                    Some(status.to_string())
                }
                Ok(None) => None,
                Err(e) => Some(e.to_string()),
            },
            None if self.pid == 0 => Some("no process".into()),
            None => (!process_alive(self.pid)).then(|| "the process is gone".into()),
        }
    }

    /// Kill a process that no longer answers (SIGKILL) and reap it.
    pub async fn kill_now(&mut self) {
        signal(self.pid, sysinfo::Signal::Kill);
        match self.child.as_mut() {
            Some(child) => {
                let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
            }
            None => {
                wait_gone(self.pid, Duration::from_secs(10)).await;
            }
        }
        self.child = None;
    }

    /// Start the engine again on the same data folder, and on the same port when it is
    /// still free (so that clients reconnect to the same address by themselves); `self`
    /// then describes the new process. The log of the run that ended is kept as
    /// `engine.log.1`.
    pub async fn restart(&mut self, timeout: Duration) -> Result<()> {
        if self.exited().is_none() {
            self.kill_now().await;
        }
        let log = self.log_path();
        if log.exists() {
            let _ = std::fs::rename(&log, log.with_extension("log.1"));
        }
        let port = TcpListener::bind(("127.0.0.1", self.port))
            .is_ok()
            .then_some(self.port);
        let fresh =
            LocalEngine::start_on(self.binary.clone(), &self.data_dir, port, timeout).await?;
        *self = fresh;
        Ok(())
    }
}

#[cfg(test)]
mod cache_tests {
    #[test]
    fn the_cache_follows_memory_within_bounds() {
        let c = super::cache_size();
        let mb: u64 = c.trim_end_matches('M').parse().unwrap_or(0);
        if std::env::var("EVENTHUB_ENGINE_CACHE").is_err() {
            assert!((256..=4096).contains(&mb), "{c}");
        }
    }
}
