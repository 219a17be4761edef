//! The embedded local engine: start, adopt a healthy one left running, replace a stale one.
//! Needs a server binary on this machine (mongod or secantusd-rs; scripts/test.sh installs
//! secantusd-rs).

use std::time::Duration;

use eventhub_core::{engine, Core};

fn binary() -> engine::Binary {
    engine::find().expect(
        "no mongod or secantusd-rs found: scripts/test.sh installs secantusd-rs (or set EVENTHUB_ENGINE)",
    )
}

fn signal(pid: u32, sig: &str) {
    std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
}

#[tokio::test]
async fn starts_adopts_and_replaces_a_stale_engine() {
    let dir = tempfile::tempdir().unwrap();
    let t = Duration::from_secs(60);

    let mut first = engine::LocalEngine::start(binary(), dir.path(), t)
        .await
        .unwrap();
    assert!(first.started_here);
    let core = Core::connect(&first.uri(), "engine_test").await.unwrap();
    assert!(!core.info().version.is_empty());
    // A transaction left open by a killed process expires after 10 s, not 60.
    let p = core
        .client()
        .database("admin")
        .run_command(bson::doc! { "getParameter": 1, "transactionLifetimeLimitSeconds": 1 })
        .await
        .unwrap();
    assert_eq!(
        p.get_i32("transactionLifetimeLimitSeconds").or_else(|_| p
            .get_i64("transactionLifetimeLimitSeconds")
            .map(|v| v as i32)),
        Ok(engine::TRANSACTION_LIFETIME_S),
        "{p:?}"
    );
    assert!(
        dir.path().join("engine.json").exists(),
        "the running engine is recorded"
    );

    // A second start (the app after a crash, or the CLI beside the app) joins the running
    // engine instead of fighting over the data folder.
    let adopted = engine::LocalEngine::start(binary(), dir.path(), t)
        .await
        .unwrap();
    assert!(!adopted.started_here);
    assert_eq!(adopted.port, first.port);
    assert_eq!(adopted.pid(), first.pid());

    // A process that holds the folder but no longer answers is killed and replaced.
    signal(first.pid(), "-STOP");
    let mut fresh = engine::LocalEngine::start(binary(), dir.path(), t)
        .await
        .unwrap();
    assert!(fresh.started_here);
    assert_ne!(fresh.pid(), first.pid());
    let core = Core::connect(&fresh.uri(), "engine_test").await.unwrap();
    core.ensure_schema().await.unwrap();

    fresh.stop().await;
    assert!(
        !dir.path().join("engine.json").exists(),
        "a clean stop forgets the record"
    );
    first.stop().await;
}

#[tokio::test]
async fn a_missing_binary_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = engine::Binary {
        kind: engine::Kind::Secantus,
        path: dir.path().join("no-such-engine"),
    };
    let err = match engine::LocalEngine::start(bogus, dir.path(), Duration::from_secs(5)).await {
        Err(e) => e,
        Ok(_) => panic!("a missing binary cannot start"),
    };
    assert_eq!(err.code, eventhub_core::Code::EngineMissing);
    assert!(err.message.contains("no-such-engine"), "{}", err.message);
}

/// Data of an earlier version, in an older folder with its engine still running, moves into
/// the new data folder: the old engine is stopped first, the database comes along and opens
/// in the new folder with everything in it, the settings file moves, other programs' files
/// stay, and nothing is overwritten.
#[tokio::test]
async fn older_data_moves_into_the_data_folder_with_the_engine_stopped() {
    use bson::{doc, Document};

    let base = tempfile::tempdir().unwrap();
    let old = base.path().join("share").join("desktop");
    let roaming = base.path().join("roaming").join("app.eventhub.desktop");
    let target = base.path().join("local").join("app.eventhub.desktop");
    let t = Duration::from_secs(60);

    // An earlier version's engine, running on the old folder, with a document in it.
    let mut running = engine::LocalEngine::start(binary(), &old, t).await.unwrap();
    let old_pid = running.pid();
    {
        let core = Core::connect(&running.uri(), "engine_move").await.unwrap();
        core.db()
            .collection::<Document>("kept")
            .insert_one(doc! { "_id": "a", "title": "Avant le déménagement" })
            .await
            .unwrap();
    }
    std::fs::write(old.join("other-program.txt"), "not ours").unwrap();
    std::fs::create_dir_all(&roaming).unwrap();
    std::fs::write(roaming.join("settings.json"), r#"{"language":"en"}"#).unwrap();
    // The new folder exists already with an empty database folder (an earlier start that
    // found no engine): it does not count as data.
    std::fs::create_dir_all(target.join("db")).unwrap();

    let moved = engine::move_legacy_data(&[old.clone(), roaming.clone()], &target).await;
    assert!(
        !engine::engine_alive(old_pid),
        "the engine of the old folder was stopped before the move"
    );
    assert!(moved.moved.contains(&target.join("db")), "{moved:?}");
    assert!(
        moved.moved.contains(&target.join("settings.json")),
        "{moved:?}"
    );
    assert!(moved.kept.is_empty(), "{moved:?}");
    assert!(!old.join("db").exists());
    assert!(
        !old.join("engine.json").exists(),
        "the stale record is gone"
    );
    assert_eq!(
        std::fs::read_to_string(old.join("other-program.txt")).unwrap(),
        "not ours",
        "files that are not EventHub's stay where they were"
    );
    assert!(
        !roaming.exists(),
        "an old folder emptied by the move is removed"
    );
    assert_eq!(
        std::fs::read_to_string(target.join("settings.json")).unwrap(),
        r#"{"language":"en"}"#
    );

    // The moved database opens in the new folder with its document.
    let mut fresh = engine::LocalEngine::start(binary(), &target, t)
        .await
        .unwrap();
    assert!(fresh.started_here);
    let core = Core::connect(&fresh.uri(), "engine_move").await.unwrap();
    let back = core
        .db()
        .collection::<Document>("kept")
        .find_one(doc! { "_id": "a" })
        .await
        .unwrap()
        .expect("the document moved with the database");
    assert_eq!(back.get_str("title").unwrap(), "Avant le déménagement");

    // A second move finds the new folder occupied: the old copy is kept, not overwritten.
    std::fs::create_dir_all(&roaming).unwrap();
    std::fs::write(roaming.join("settings.json"), r#"{"language":"fr"}"#).unwrap();
    let again = engine::move_legacy_data(std::slice::from_ref(&roaming), &target).await;
    assert!(again.moved.is_empty(), "{again:?}");
    assert_eq!(again.kept, vec![roaming.join("settings.json")]);
    assert_eq!(
        std::fs::read_to_string(target.join("settings.json")).unwrap(),
        r#"{"language":"en"}"#
    );
    assert!(roaming.join("settings.json").exists(), "nothing is lost");

    // An older layout that is the data folder itself (Linux) is not "older": its running
    // engine is left alone.
    let same = engine::move_legacy_data(std::slice::from_ref(&target), &target).await;
    assert_eq!(same, eventhub_core::config::Moved::default());
    assert!(
        engine::engine_alive(fresh.pid()),
        "the engine of the data folder itself keeps running"
    );
    assert!(target.join("engine.json").exists());

    fresh.stop().await;
    assert!(
        !engine::engine_alive(fresh.pid()),
        "a stop leaves no engine"
    );
    running.stop().await;
}

/// The stop asks the engine to shut down (SIGTERM for SecantusDB) and waits for it: no
/// engine process remains, and its record is gone.
#[tokio::test]
async fn a_stop_leaves_no_engine_process() {
    let dir = tempfile::tempdir().unwrap();
    let mut e = engine::LocalEngine::start(binary(), dir.path(), Duration::from_secs(60))
        .await
        .unwrap();
    let pid = e.pid();
    assert!(engine::engine_alive(pid));
    let started = std::time::Instant::now();
    e.stop().await;
    assert!(!engine::engine_alive(pid));
    assert!(!dir.path().join("engine.json").exists());
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "the engine stopped gracefully instead of waiting for the kill at 10 s ({:?})",
        started.elapsed()
    );
}
