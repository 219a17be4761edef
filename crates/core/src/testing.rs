//! Helpers for tests against a real server (never a mock): each test gets a fresh database
//! of its own, so tests run in parallel. The server is `MONGODB_URI`, default
//! `mongodb://127.0.0.1:27017` (`scripts/test.sh` starts one there).

use crate::{Core, Result};

pub fn uri() -> String {
    crate::config::env_uri().unwrap_or_else(|| "mongodb://127.0.0.1:27017".into())
}

/// A connected core on a new, empty database named after the test.
pub async fn fresh_core(test: &str) -> Core {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let mut name: String = format!("t_{test}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect();
    name.push('_');
    name.push_str(&suffix[..8]);
    match Core::connect(&uri(), &name).await {
        Ok(c) => {
            short_lived_transactions(&c).await;
            c
        }
        Err(e) => panic!(
            "cannot reach the test database at {} ({e}). Start one with scripts/test.sh, \
             or set MONGODB_URI.",
            crate::config::redact_uri(&uri())
        ),
    }
}

/// On the test engine, a transaction left open expires after 5 s instead of 60. The
/// engine holds every change stream back while a transaction is open (MongoDB writes a
/// transaction's changes at its commit and does not), and a test that ends — its runtime
/// dropped — while a task of it is between a transaction's first write and its commit
/// leaves that transaction open: the tallies' follower and the live dashboards of the
/// other tests would wait for it. The follower's own transactions last milliseconds.
async fn short_lived_transactions(core: &Core) {
    static SET: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    if core.info().engine != "SecantusDB" {
        return;
    }
    SET.get_or_init(|| async {
        let _ = core
            .client()
            .database("admin")
            .run_command(bson::doc! { "setParameter": 1, "transactionLifetimeLimitSeconds": 5 })
            .await;
    })
    .await;
}

/// Drop the test's database (call at the end of a test).
pub async fn cleanup(core: &Core) -> Result<()> {
    core.drop_database().await
}

/// A real SMTP server on loopback that keeps what it receives: Python's `aiosmtpd` with
/// its Mailbox handler writing a Maildir (Debian package `python3-aiosmtpd`, installed by
/// `scripts/setup.sh test`). Stopped when dropped.
pub struct SmtpSink {
    child: std::process::Child,
    pub port: u16,
    dir: std::path::PathBuf,
}

impl SmtpSink {
    pub fn start(dir: &std::path::Path) -> SmtpSink {
        SmtpSink::try_start(dir).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`SmtpSink::start`], with the problem as an error (for the CLI bench).
    pub fn try_start(dir: &std::path::Path) -> std::result::Result<SmtpSink, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| format!("no free port: {e}"))?;
        let python =
            std::env::var("EVENTHUB_SMTP_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let maildir = dir.join("maildir");
        let mut cmd = std::process::Command::new(&python);
        #[cfg(windows)]
        {
            use std::os::windows::process::CommandExt;
            cmd.creation_flags(crate::engine::CREATE_NO_WINDOW);
        }
        let child = cmd
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start {python} -m aiosmtpd (apt install python3-aiosmtpd): {e}")
            })?;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(SmtpSink {
                    child,
                    port,
                    dir: maildir,
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let mut child = child;
        let _ = child.kill();
        Err(format!("the SMTP sink did not start on port {port}"))
    }

    /// Raw messages received so far (RFC 5322 bytes).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut out = vec![];
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.dir.join(sub)) {
                let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
                files.sort();
                out.extend(files.into_iter().filter_map(|p| std::fs::read(p).ok()));
            }
        }
        out
    }

    /// Wait until at least `n` messages arrived (up to 10 s), then return them.
    pub fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        for _ in 0..200 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        self.messages()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The connection string a core was opened with, for opening a scratch database beside
/// it (benchmarks). The password, if any, is not kept by `ServerInfo`, so this falls back
/// to `MONGODB_URI` / the default when the shown URI was redacted.
pub fn uri_of(core: &Core) -> String {
    let shown = &core.info().uri;
    if shown.contains(":***@") {
        uri()
    } else {
        shown.clone()
    }
}
