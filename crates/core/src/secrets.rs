//! Secrets (a remote connection string with its password, later the SMTP password) live in
//! the OS keychain — macOS Keychain, Windows Credential Manager, the Secret Service on
//! Linux — never in a settings file or a log.
//!
//! The keychain API is blocking; call these from `spawn_blocking` in async code.

use crate::{error::Code, Error, Result};

const SERVICE: &str = "app.eventhub.desktop";

fn entry(name: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, name).map_err(unavailable)
}

fn unavailable(e: keyring::Error) -> Error {
    Error::new(
        Code::Unsupported,
        format!("the system keychain is not available ({e}); the secret was not saved"),
    )
}

/// Store a secret under `name`.
pub fn set(name: &str, value: &str) -> Result<()> {
    entry(name)?.set_password(value).map_err(unavailable)
}

/// Read the secret `name`, `None` if there is none.
pub fn get(name: &str) -> Result<Option<String>> {
    match entry(name)?.get_password() {
        Ok(v) => Ok(Some(v)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(unavailable(e)),
    }
}

/// Forget the secret `name` (no error if there was none).
pub fn delete(name: &str) -> Result<()> {
    match entry(name)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}
