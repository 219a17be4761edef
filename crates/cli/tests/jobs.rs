//! A CSV import killed with `kill -9` half-way (the CLI process, as a crash would) is
//! found by `eventhub-cli jobs list`, then finished (`jobs resume`: the rows already
//! written count as already present, none as rejected) or rolled back (`jobs rollback`).
//! Needs the test database (`MONGODB_URI`).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use bson::doc;
use eventhub_core::{
    events,
    participants::csv_import,
    testing::{cleanup, fresh_core, uri},
    Core,
};
use serde_json::Value;

const ROWS: usize = 60_000;

fn cli(db: &str, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_eventhub-cli"))
        .args(["--uri", &uri(), "--db", db, "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "eventhub-cli {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn count(core: &Core, ev: &str) -> u64 {
    core.db()
        .collection::<bson::Document>("participants")
        .count_documents(doc! { "event_id": ev })
        .await
        .unwrap()
}

/// Start an import of `file` into `ev` with the CLI and kill it once part is written.
async fn import_killed_halfway(core: &Core, ev: &str, file: &std::path::Path) -> u64 {
    let db = core.info().database.clone();
    let mut child = Command::new(env!("CARGO_BIN_EXE_eventhub-cli"))
        .args(["--uri", &uri(), "--db", &db, "participants", "import", ev])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n = count(core, ev).await;
        if n >= 2000 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be killed"
        );
        assert!(
            Instant::now() < deadline,
            "the import never started writing"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    // A batch already sent when the process died is still applied by the server.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let n = count(core, ev).await;
    assert!(
        n > 0 && n < ROWS as u64,
        "killed half-way: {n} rows written"
    );
    n
}

async fn event(core: &Core) -> String {
    events::create(
        core,
        events::input_from_json(serde_json::json!({
            "title": "Congrès",
            "starts_at": "2031-06-01T08:00:00Z",
            "ends_at": "2031-06-01T18:00:00Z",
        }))
        .unwrap(),
    )
    .await
    .unwrap()
    .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_halfway_is_found_then_finished_or_rolled_back() {
    let core = fresh_core("cli_jobs").await;
    let db = core.info().database.clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("inscrits.csv");
    std::fs::write(&file, csv_import::synthetic_csv(ROWS)).unwrap();

    // Killed, found, finished.
    let ev = event(&core).await;
    let partial = import_killed_halfway(&core, &ev, &file).await;
    let jobs = cli(&db, &["jobs", "list"]);
    let jobs = jobs.as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["work"]["kind"], "import");
    assert_eq!(jobs[0]["event_id"], ev.as_str());
    let id = jobs[0]["_id"].as_str().unwrap().to_owned();
    let report = cli(&db, &["jobs", "resume", &id]);
    assert_eq!(report["rejected"], 0, "{report}");
    assert_eq!(report["already_present"], partial, "{report}");
    assert_eq!(report["imported"], ROWS as u64 - partial, "{report}");
    assert!(report["errors"].as_array().unwrap().is_empty());
    assert_eq!(count(&core, &ev).await, ROWS as u64);
    assert!(cli(&db, &["jobs", "list"]).as_array().unwrap().is_empty());

    // A plain re-import of the same file adds nothing and rejects nothing.
    let again = cli(
        &db,
        &["participants", "import", &ev, file.to_str().unwrap()],
    );
    assert_eq!(
        (
            &again["imported"],
            &again["rejected"],
            &again["already_present"]
        ),
        (&Value::from(0), &Value::from(0), &Value::from(ROWS as u64))
    );

    // Killed, found, rolled back: nothing of it is left.
    let ev2 = event(&core).await;
    import_killed_halfway(&core, &ev2, &file).await;
    let jobs = cli(&db, &["jobs", "list"]);
    let id = jobs[0]["_id"].as_str().unwrap().to_owned();
    let undone = cli(&db, &["jobs", "rollback", &id]);
    assert!(undone["undone"].as_u64().unwrap() > 0);
    assert_eq!(count(&core, &ev2).await, 0);
    assert!(cli(&db, &["jobs", "list"]).as_array().unwrap().is_empty());
    // A finished job cannot be rolled back a second time.
    let out = Command::new(env!("CARGO_BIN_EXE_eventhub-cli"))
        .args(["--uri", &uri(), "--db", &db, "jobs", "rollback", &id])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("conflict"));
    cleanup(&core).await.unwrap();
}
