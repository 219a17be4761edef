//! The TypeScript types of what crosses IPC, generated from the Rust types by ts-rs into
//! `ui/src/gen/` (one file per type; the UI's `api*.ts` import them). `cargo test`
//! regenerates them: the test fails when the committed files were stale, leaving the fresh
//! ones in place to review and commit.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use ts_rs::{Config, TS};

/// Every type a command returns or takes, with what it contains (exported with it).
fn export_all(dir: &Path) {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    macro_rules! export {
        ($($t:ty),* $(,)?) => {
            $( <$t>::export_all(&cfg).unwrap_or_else(|e| panic!("{}: {e}", stringify!($t))); )*
        };
    }
    export!(
        eventhub_core::Error,
        crate::state::DbStatus,
        eventhub_core::supervise::Health,
        crate::commands::sync::SyncStatus,
        crate::commands::sync::AutoResult,
        eventhub_core::sync::SyncReport,
        eventhub_core::sync::SyncProgress,
        eventhub_core::sync::Conflict,
        eventhub_core::sync::Choice,
        crate::commands::settings::Settings,
        eventhub_core::events::Event,
        eventhub_core::events::EventInput,
        eventhub_core::events::EventQuery,
        eventhub_core::events::Page<eventhub_core::events::EventSummary>,
        eventhub_core::events::Total,
        eventhub_core::participants::Participant,
        eventhub_core::participants::ParticipantInput,
        eventhub_core::participants::ParticipantQuery,
        eventhub_core::participants::ParticipantPage,
        eventhub_core::participants::AuditEntry,
        eventhub_core::feedback::Question,
        eventhub_core::feedback::QuestionWithCount,
        eventhub_core::feedback::QuestionInput,
        eventhub_core::dashboard::Dashboard,
        eventhub_core::dashboard::OverviewRow,
        eventhub_core::dashboard::live::Change,
        crate::commands::dashboard::WatchInfo,
        eventhub_core::participants::seating::Overview,
        eventhub_core::participants::seating::AutoReport,
        eventhub_core::participants::csv_import::Preview,
        eventhub_core::participants::csv_import::ImportOptions,
        eventhub_core::participants::csv_import::ImportReport,
        eventhub_core::participants::csv_import::Progress,
        eventhub_core::participants::MergeReport,
        eventhub_core::networking::Erasure,
        crate::commands::invitations::PortalInfo,
        crate::commands::invitations::Link,
        crate::commands::invitations::InvitationCount,
        crate::commands::files::Exported,
        crate::commands::participants::Exported,
        crate::commands::feedback::PollLink,
    );
}

fn ts_files(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "ts") {
            let name = PathBuf::from(p.file_name().unwrap_or_default());
            out.insert(name, fs::read_to_string(&p).unwrap_or_default());
        }
    }
    out
}

#[test]
fn generated_ipc_types_are_current() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/gen");
    let fresh_dir = std::env::temp_dir().join(format!("eventhub-ipc-types-{}", std::process::id()));
    let _ = fs::remove_dir_all(&fresh_dir);
    export_all(&fresh_dir);
    let fresh = ts_files(&fresh_dir);
    let _ = fs::remove_dir_all(&fresh_dir);
    assert!(
        fresh.contains_key(Path::new("SyncStatus.ts")),
        "types were exported"
    );
    let old = ts_files(&committed);
    if fresh == old {
        return;
    }
    fs::create_dir_all(&committed).expect("ui/src/gen");
    let mut changed: Vec<String> = Vec::new();
    for (name, text) in &fresh {
        if old.get(name) != Some(text) {
            fs::write(committed.join(name), text).expect("write a generated type");
            changed.push(name.display().to_string());
        }
    }
    for name in old.keys().filter(|n| !fresh.contains_key(*n)) {
        fs::remove_file(committed.join(name)).expect("remove a stale type");
        changed.push(format!("{} (removed)", name.display()));
    }
    panic!(
        "the IPC types in ui/src/gen were stale and have been regenerated: {}; review and commit them",
        changed.join(", ")
    );
}
