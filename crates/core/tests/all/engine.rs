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
