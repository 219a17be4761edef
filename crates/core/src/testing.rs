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
        Ok(c) => c,
        Err(e) => panic!(
            "cannot reach the test database at {} ({e}). Start one with scripts/test.sh, \
             or set MONGODB_URI.",
            crate::config::redact_uri(&uri())
        ),
    }
}

/// Drop the test's database (call at the end of a test).
pub async fn cleanup(core: &Core) -> Result<()> {
    core.drop_database().await
}
