//! The embedded local database: find a server binary on this machine, start it with its
//! data in the OS app-data folder, wait until it answers, and stop it on exit.
//!
//! Order of preference: a real `mongod` (started as a one-node replica set, so change
//! streams and transactions work), else SecantusDB's `secantusd-rs`. The process and port
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// Find a server binary: `EVENTHUB_ENGINE` (a path), else `mongod`, else `secantusd-rs`.
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
            if process_alive(rec.pid) {
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
                tracing::warn!(pid = rec.pid, "stale engine does not answer: killing it");
                kill(rec.pid, true);
                wait_gone(rec.pid, Duration::from_secs(10)).await;
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
        let log_path = data_dir.join("engine.log");
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
            if ping(port, Duration::from_millis(500)).await {
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
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        if engine.binary.kind == Kind::Mongod {
            init_replica_set(port).await?;
        }
        Ok(engine)
    }

    /// Stop the engine gracefully (SIGTERM, then kill after 10 s) and forget its record.
    pub async fn stop(&mut self) {
        kill(self.pid, false);
        let gone = match self.child.as_mut() {
            Some(child) => tokio::time::timeout(Duration::from_secs(10), child.wait())
                .await
                .is_ok(),
            None => wait_gone(self.pid, Duration::from_secs(10)).await,
        };
        if !gone {
            kill(self.pid, true);
            if let Some(child) = self.child.as_mut() {
                let _ = child.wait().await;
            }
        }
        self.child = None;
        let _ = std::fs::remove_file(self.data_dir.join("engine.json"));
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }
}

/// Find and start the local engine in EventHub's data folder, or explain what is missing.
pub async fn start_default() -> Result<LocalEngine> {
    let binary = find().ok_or_else(|| Error::new(Code::EngineMissing, MISSING_HELP))?;
    LocalEngine::start(binary, &crate::config::data_dir(), Duration::from_secs(60)).await
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

async fn ping(port: u16, timeout: Duration) -> bool {
    let uri = format!("mongodb://127.0.0.1:{port}/?directConnection=true");
    crate::db::reachable(&uri, timeout).await
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

fn process_alive(pid: u32) -> bool {
    if pid == 0 {
        return false;
    }
    #[cfg(unix)]
    {
        std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
    #[cfg(windows)]
    {
        std::process::Command::new("tasklist")
            .args(["/FI", &format!("PID eq {pid}"), "/NH"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&pid.to_string()))
    }
}

fn kill(pid: u32, force: bool) {
    if pid == 0 {
        return;
    }
    #[cfg(unix)]
    {
        let sig = if force { "-KILL" } else { "-TERM" };
        let _ = std::process::Command::new("kill")
            .args([sig, &pid.to_string()])
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(windows)]
    {
        let mut c = std::process::Command::new("taskkill");
        c.args(["/PID", &pid.to_string()]);
        if force {
            c.arg("/F");
        }
        let _ = c.status();
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

/// Total memory in MB where the OS tells it simply (Linux); `None` elsewhere.
fn total_memory_mb() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// What the supervisor (`crate::supervise`) needs to notice an engine that died and start
/// it again in place.
impl LocalEngine {
    /// The engine's log (the previous run's is kept as `engine.log.1` by a restart).
    pub fn log_path(&self) -> PathBuf {
        self.data_dir.join("engine.log")
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
        kill(self.pid, true);
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
            let _ = std::fs::rename(&log, self.data_dir.join("engine.log.1"));
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
