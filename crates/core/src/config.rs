//! Where EventHub keeps its data and which database it uses.
//!
//! Environment overrides (all optional): `MONGODB_URI` (an external server),
//! `EVENTHUB_DB` (database name, default `eventhub`), `EVENTHUB_DATA_DIR` (the folder of
//! the embedded local engine's data and of the desktop app's settings file, default the OS
//! app-data folder).

use std::path::PathBuf;

pub const DEFAULT_DB: &str = "eventhub";

/// The database name: `EVENTHUB_DB` or `eventhub`.
pub fn db_name() -> String {
    std::env::var("EVENTHUB_DB")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_DB.to_owned())
}

/// `MONGODB_URI` when set and not empty.
pub fn env_uri() -> Option<String> {
    std::env::var("MONGODB_URI")
        .ok()
        .filter(|s| !s.trim().is_empty())
}

/// The OS app-data folder for EventHub (`~/.local/share/eventhub` on Linux,
/// `~/Library/Application Support/app.eventhub.desktop` on macOS, `%APPDATA%` on Windows),
/// or `EVENTHUB_DATA_DIR`.
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("EVENTHUB_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("app", "eventhub", "desktop")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("eventhub"))
}

/// Who is making changes on this machine (recorded as `updated_by`, used by sync to tell
/// organisers apart): `EVENTHUB_ACTOR`, else the OS user name and host.
pub fn actor() -> String {
    if let Ok(a) = std::env::var("EVENTHUB_ACTOR") {
        if !a.trim().is_empty() {
            return a;
        }
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "organiser".into());
    let host = std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|s| s.trim().to_owned())
        })
        .filter(|h| !h.is_empty());
    match host {
        Some(h) => format!("{user}@{h}"),
        None => user,
    }
}

/// The database named in a connection string's path (`mongodb+srv://host/eventhub?…`), if
/// any.
pub fn db_in_uri(uri: &str) -> Option<String> {
    let rest = &uri[uri.find("://")? + 3..];
    let path = &rest[rest.find('/')? + 1..];
    let db = path.split('?').next().unwrap_or_default();
    (!db.is_empty()).then(|| db.to_owned())
}

/// Remove the password from a connection string before showing or logging it.
pub fn redact_uri(uri: &str) -> String {
    let Some(scheme_end) = uri.find("://") else {
        return uri.to_owned();
    };
    let rest = &uri[scheme_end + 3..];
    let host_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..host_end];
    match authority.rfind('@') {
        Some(at) => {
            let creds = &authority[..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}://{}:***@{}", &uri[..scheme_end], user, &rest[at + 1..])
        }
        None => uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_in_a_uri() {
        assert_eq!(
            db_in_uri("mongodb+srv://a:b@c.net/ev?x=1").as_deref(),
            Some("ev")
        );
        assert_eq!(
            db_in_uri("mongodb://127.0.0.1:27017/?directConnection=true"),
            None
        );
        assert_eq!(db_in_uri("mongodb://127.0.0.1:27017"), None);
    }

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(
            redact_uri("mongodb+srv://ann:s3cr3t@cluster0.example.net/db?retryWrites=true"),
            "mongodb+srv://ann:***@cluster0.example.net/db?retryWrites=true"
        );
        assert_eq!(
            redact_uri("mongodb://127.0.0.1:27017"),
            "mongodb://127.0.0.1:27017"
        );
    }
}
