//! Where EventHub keeps its data and which database it uses.
//!
//! Environment overrides (all optional): `MONGODB_URI` (an external server),
//! `EVENTHUB_DB` (database name, default `eventhub`), `EVENTHUB_DATA_DIR` (the folder of
//! the embedded local engine's data, the desktop app's settings and its logs, default the
//! OS local app-data folder named after the app's identifier, see [`data_dir`]).

use std::path::{Path, PathBuf};

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

/// The app's identifier (as in `tauri.conf.json`): the name of its data folder.
pub const APP_IDENTIFIER: &str = "app.eventhub.desktop";

/// The file names EventHub keeps in its data folder (moved from an older folder on first
/// start): the local engine's database, the app's settings (tauri-plugin-store), the saved
/// window size and position, and the logs.
pub const DATA_ENTRIES: &[&str] = &["db", "settings.json", "window-state.json", "logs"];

/// EventHub's one data folder — database, settings and logs — or `EVENTHUB_DATA_DIR`:
/// the OS local app-data folder named after the identifier, where Tauri's
/// `app_local_data_dir` also points: `~/.local/share/app.eventhub.desktop` on Linux
/// (`$XDG_DATA_HOME` when set), `~/Library/Application Support/app.eventhub.desktop` on
/// macOS, `%LOCALAPPDATA%\app.eventhub.desktop` on Windows (local, not roaming: a
/// database does not belong in a roaming profile).
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("EVENTHUB_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    default_data_dir().unwrap_or_else(|| std::env::temp_dir().join(APP_IDENTIFIER))
}

/// The OS data folder, ignoring `EVENTHUB_DATA_DIR`.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|b| b.data_local_dir().join(APP_IDENTIFIER))
}

/// Where the app's rotating log files go: `logs/` in the data folder.
pub fn logs_dir() -> PathBuf {
    data_dir().join("logs")
}

/// The folders earlier versions used, which may hold data to move: the database folder of
/// `ProjectDirs::from("app", "eventhub", "desktop")` (`~/.local/share/desktop` on Linux,
/// `%APPDATA%\eventhub\desktop\data` on Windows) and Tauri's roaming app-data folder
/// where the settings file was (`%APPDATA%\app.eventhub.desktop` on Windows; the same as
/// the new folder on Linux and macOS, so nothing moves there). Empty when
/// `EVENTHUB_DATA_DIR` is set: an explicit folder never takes data from elsewhere.
pub fn legacy_data_dirs() -> Vec<PathBuf> {
    if std::env::var_os("EVENTHUB_DATA_DIR").is_some_and(|d| !d.is_empty()) {
        return Vec::new();
    }
    let mut v = Vec::new();
    if let Some(p) = directories::ProjectDirs::from("app", "eventhub", "desktop") {
        v.push(p.data_dir().to_path_buf());
    }
    if let Some(b) = directories::BaseDirs::new() {
        v.push(b.data_dir().join(APP_IDENTIFIER));
    }
    v
}

/// What [`move_legacy_data`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Moved {
    /// Entries moved into the data folder (their new paths).
    pub moved: Vec<PathBuf>,
    /// Entries left where they were because the data folder already has one of that name
    /// (their old paths): nothing is overwritten and nothing is deleted.
    pub kept: Vec<PathBuf>,
}

/// Move EventHub's entries ([`DATA_ENTRIES`]) from older folders into `target`. Only
/// those names are touched (an old folder such as `~/.local/share/desktop` may hold other
/// programs' files); an entry the target already has (an empty folder does not count) is
/// left in place; an old folder emptied by the move is removed. A move across file systems
/// copies, then removes the original only once the copy is complete. The local engine must
/// not be running on either folder (see `engine::move_legacy_data`).
pub fn move_legacy_data(legacy: &[PathBuf], target: &Path) -> std::io::Result<Moved> {
    let mut out = Moved::default();
    for old in legacy {
        if !old.is_dir() || same_dir(old, target) {
            continue;
        }
        for name in DATA_ENTRIES {
            let src = old.join(name);
            if std::fs::symlink_metadata(&src).is_err() {
                continue;
            }
            let dst = target.join(name);
            if occupied(&dst) {
                out.kept.push(src);
                continue;
            }
            std::fs::create_dir_all(target)?;
            if dst.is_dir() {
                // An empty folder left by an earlier start: the old data takes its place.
                std::fs::remove_dir(&dst)?;
            }
            move_entry(&src, &dst)?;
            out.moved.push(dst);
        }
        // The record of an engine that is no longer running means nothing once its data
        // has moved.
        if out.moved.iter().any(|p| p.ends_with("db")) {
            let _ = std::fs::remove_file(old.join("engine.json"));
        }
        if std::fs::read_dir(old).is_ok_and(|mut d| d.next().is_none()) {
            let _ = std::fs::remove_dir(old);
        }
    }
    Ok(out)
}

/// Whether two paths name the same folder (after resolving links, when both exist).
pub fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// A file, or a folder with something in it.
fn occupied(p: &Path) -> bool {
    match std::fs::symlink_metadata(p) {
        Err(_) => false,
        Ok(m) if m.is_dir() => std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_some()),
        Ok(_) => true,
    }
}

fn move_entry(src: &Path, dst: &Path) -> std::io::Result<()> {
    if std::fs::rename(src, dst).is_ok() {
        return Ok(());
    }
    // Another file system (or a Windows rename refused): copy everything, then remove.
    if let Err(e) = copy_tree(src, dst) {
        let _ = if dst.is_dir() {
            std::fs::remove_dir_all(dst)
        } else {
            std::fs::remove_file(dst)
        };
        return Err(e);
    }
    if src.is_dir() {
        std::fs::remove_dir_all(src)
    } else {
        std::fs::remove_file(src)
    }
}

fn copy_tree(src: &Path, dst: &Path) -> std::io::Result<()> {
    if src.is_dir() {
        std::fs::create_dir_all(dst)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            copy_tree(&entry.path(), &dst.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(src, dst).map(|_| ())
    }
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
    fn the_data_folder_is_named_after_the_identifier() {
        let d = default_data_dir().expect("a home folder");
        assert!(d.ends_with(APP_IDENTIFIER), "{}", d.display());
        let base = directories::BaseDirs::new().unwrap();
        // The local (not roaming) app-data folder, where Tauri's app_local_data_dir points.
        assert_eq!(d.parent(), Some(base.data_local_dir()));
        if std::env::var_os("EVENTHUB_DATA_DIR").is_none() {
            assert_eq!(data_dir(), d);
            assert_eq!(logs_dir(), d.join("logs"));
            let legacy = legacy_data_dirs();
            #[cfg(target_os = "linux")]
            assert!(
                legacy.contains(&base.data_dir().join("desktop")),
                "the folder of ProjectDirs(app, eventhub, desktop): {legacy:?}"
            );
            assert!(legacy.contains(&base.data_dir().join(APP_IDENTIFIER)));
        }
    }

    #[test]
    fn only_eventhubs_entries_move_and_nothing_is_overwritten() {
        let base = tempfile::tempdir().unwrap();
        let old = base.path().join("old");
        let new = base.path().join("new");
        std::fs::create_dir_all(old.join("db").join("journal")).unwrap();
        std::fs::write(
            old.join("db").join("journal").join("WiredTigerLog.1"),
            "wal",
        )
        .unwrap();
        std::fs::write(old.join("settings.json"), "{}").unwrap();
        std::fs::write(old.join("notes.txt"), "someone else's").unwrap();
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join("window-state.json"), "new").unwrap();
        std::fs::write(old.join("window-state.json"), "old").unwrap();

        let m = move_legacy_data(std::slice::from_ref(&old), &new).unwrap();
        assert_eq!(m.moved, vec![new.join("db"), new.join("settings.json")]);
        assert_eq!(m.kept, vec![old.join("window-state.json")]);
        assert_eq!(
            std::fs::read_to_string(new.join("db").join("journal").join("WiredTigerLog.1"))
                .unwrap(),
            "wal"
        );
        assert_eq!(
            std::fs::read_to_string(new.join("window-state.json")).unwrap(),
            "new"
        );
        assert_eq!(
            std::fs::read_to_string(old.join("window-state.json")).unwrap(),
            "old"
        );
        assert!(old.join("notes.txt").exists());
        // Idempotent: a second start moves nothing more.
        let again = move_legacy_data(std::slice::from_ref(&old), &new).unwrap();
        assert!(again.moved.is_empty());
        // The data folder itself listed as an old one is left alone.
        let same = move_legacy_data(std::slice::from_ref(&new), &new).unwrap();
        assert_eq!(same, Moved::default());
    }

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
