//! Start-up: the local engine starts while the window opens, and what the UI asks for
//! meanwhile waits for the engine instead of failing; when the engine cannot start, the
//! waiting command gets the reason as soon as it is known.
//!
//! The engine is the real one found on this machine (as `engine::find` finds it), started
//! through a small shell script that first sleeps, so that the commands are certainly
//! issued while it is starting.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use eventhub_app::{
    connect,
    state::{ConnState, Source},
    AppState,
};
use serde_json::json;
use tauri::{test::MockRuntime, Manager};

use crate::common::{env_lock, invoke, unconnected_app};

/// An executable script in `dir` named after the engine kind (the kind is read from the
/// file name) that runs `body`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Start the local engine in the background, as the app does at launch, and return once
/// the app says the engine is starting.
fn start_local(app: &tauri::App<MockRuntime>) -> tauri::async_runtime::JoinHandle<()> {
    let handle = app.handle().clone();
    let task = tauri::async_runtime::spawn(async move {
        connect::connect_local(&handle).await;
    });
    let state = app.state::<AppState>();
    let t0 = Instant::now();
    loop {
        let st = tauri::async_runtime::block_on(state.status());
        if st.source == Some(Source::Local) {
            assert_eq!(st.state, ConnState::Connecting, "{st:?}");
            return task;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "never said starting"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn event(title: &str) -> serde_json::Value {
    json!({
        "title": title,
        "starts_at": "2027-06-01T07:00:00.000Z",
        "ends_at": "2027-06-01T16:00:00.000Z",
        "timezone": "Europe/Paris",
        "venue": { "name": "Station F", "address": "Paris" },
        "status": "draft",
        "tags": [],
        "speakers": [],
        "sessions": [],
        "seating": [],
        "custom": {}
    })
}

#[test]
fn a_command_issued_while_the_engine_starts_waits_and_succeeds() {
    let _env = env_lock();
    let real = eventhub_core::engine::find().expect("a database engine on this machine");
    let dir = tempfile::tempdir().unwrap();
    let slow = script(
        dir.path(),
        &format!("slow-{}", real.kind.label()),
        &format!("sleep 1\nexec '{}' \"$@\"", real.path.display()),
    );
    let data = dir.path().join("data");
    std::env::set_var("EVENTHUB_DATA_DIR", &data);
    std::env::set_var("EVENTHUB_ENGINE", &slow);

    let (app, window) = unconnected_app();
    let start = start_local(&app);
    let issued = Instant::now();
    let created = invoke(
        &window,
        "events_create",
        json!({ "input": event("Salon au démarrage") }),
    );
    let waited = issued.elapsed();
    let created = created.expect("the command succeeds once the engine is up");
    assert_eq!(created["title"], "Salon au démarrage");
    assert!(
        waited >= Duration::from_millis(500),
        "the command was issued while the engine slept, so it waited: {waited:?}"
    );
    let state = app.state::<AppState>();
    let st = tauri::async_runtime::block_on(state.status());
    assert_eq!(st.state, ConnState::Ready, "{st:?}");
    assert!(st.engine.is_some_and(|e| e.started_here));
    // What was written is in the local engine's database.
    let page = invoke(
        &window,
        "events_list",
        json!({ "query": { "q": "salon demarrage" } }),
    )
    .unwrap();
    assert_eq!(page["total"], 1, "{page}");
    assert!(
        data.join("db").is_dir(),
        "the engine works in the data folder"
    );

    tauri::async_runtime::block_on(start).unwrap();
    tauri::async_runtime::block_on(connect::shutdown(&state));
    assert!(
        !data.join("engine.json").exists(),
        "the engine was stopped and forgotten"
    );
    std::env::remove_var("EVENTHUB_ENGINE");
    std::env::remove_var("EVENTHUB_DATA_DIR");
}

#[test]
fn a_command_issued_while_the_engine_fails_to_start_gets_the_reason() {
    let _env = env_lock();
    let dir = tempfile::tempdir().unwrap();
    let broken = script(
        dir.path(),
        "broken-secantusd-rs",
        "sleep 0.5\necho 'storage: permission denied' >&2\nexit 3",
    );
    std::env::set_var("EVENTHUB_DATA_DIR", dir.path().join("data"));
    std::env::set_var("EVENTHUB_ENGINE", &broken);

    let (app, window) = unconnected_app();
    let start = start_local(&app);
    let issued = Instant::now();
    let err = invoke(&window, "events_list", json!({ "query": {} }))
        .expect_err("no database: the command fails");
    assert_eq!(err["code"], "engine_missing", "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap_or("")
            .contains("permission denied"),
        "the engine's own words: {err}"
    );
    assert!(
        issued.elapsed() < Duration::from_secs(20),
        "answered as soon as the start failed, not after the full wait"
    );
    tauri::async_runtime::block_on(start).unwrap();
    let st = tauri::async_runtime::block_on(app.state::<AppState>().status());
    assert_eq!(st.state, ConnState::Failed, "{st:?}");

    std::env::remove_var("EVENTHUB_ENGINE");
    std::env::remove_var("EVENTHUB_DATA_DIR");
}
