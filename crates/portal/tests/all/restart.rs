//! The portal while its embedded engine is killed (`kill -9`) and restarted by the
//! supervisor: an error page during the outage, never a hang, and the RSVP page again after
//! (needs `secantusd-rs` or `mongod`, as the core's `engine.rs` tests).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{body::Body, http::Request};
use eventhub_core::{
    engine::{self, LocalEngine},
    events, invitations,
    participants::{self, ParticipantInput},
    supervise::{self, Health, State, Supervisor},
    Core,
};
use eventhub_portal as portal;
use serde_json::json;
use tower::ServiceExt;

fn binary() -> engine::Binary {
    engine::find().expect(
        "no mongod or secantusd-rs found: scripts/test.sh installs secantusd-rs (or set EVENTHUB_ENGINE)",
    )
}

fn kill9(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -9 {pid}");
}

/// Wait until the supervisor reports a health matching `f`, up to `limit`.
async fn wait_for(
    rx: &mut tokio::sync::watch::Receiver<Health>,
    limit: Duration,
    f: impl Fn(&Health) -> bool,
) -> Option<Health> {
    let deadline = Instant::now() + limit;
    loop {
        {
            let h = rx.borrow_and_update();
            if f(&h) {
                return Some(h.clone());
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || tokio::time::timeout(left, rx.changed()).await.is_err() {
            return None;
        }
    }
}

async fn start_engine(dir: &std::path::Path) -> (supervise::EngineSlot, u32, u16, String) {
    let e = LocalEngine::start(binary(), dir, Duration::from_secs(60))
        .await
        .unwrap();
    let (pid, port, uri) = (e.pid(), e.port, e.uri());
    (Arc::new(tokio::sync::Mutex::new(Some(e))), pid, port, uri)
}

async fn stop_engine(slot: &supervise::EngineSlot) {
    let engine = slot.lock().await.take();
    if let Some(mut e) = engine {
        e.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_answers_during_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (slot, pid, _port, uri) = start_engine(dir.path()).await;
    let core = Core::connect(&uri, "supervise_portal").await.unwrap();
    let ev = events::create(
        &core,
        events::input_from_json(json!({
            "title": "Portes ouvertes",
            "starts_at": "2031-04-01T08:00:00Z",
            "ends_at": "2031-04-01T18:00:00Z",
            "status": "published",
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let p = participants::create(
        &core,
        &ev.id,
        ParticipantInput {
            name: "Bob".into(),
            email: "bob@example.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let token = invitations::issue_token(&core, &p.id, None).await.unwrap();
    let app = portal::router(core.clone());
    assert_eq!(get(&app, &format!("/r/{token}")).await, 200);

    // Killed with no supervisor yet: the portal must answer (an error page), not hang.
    kill9(pid);
    let t = Instant::now();
    let during = get(&app, &format!("/r/{token}")).await;
    assert!(during >= 500, "while the database is down: {during}");
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "the portal answered in {:?}",
        t.elapsed()
    );

    let sup = Supervisor::spawn(
        core.clone(),
        Some(slot.clone()),
        supervise::Options::default(),
        |_| {},
    );
    let mut rx = sup.subscribe();
    wait_for(&mut rx, Duration::from_secs(30), |h| {
        h.state == State::Ok && h.restarts == 1
    })
    .await
    .expect("restarted");
    // The portal recovers by itself (it may keep answering 503 for a short while).
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut status = get(&app, &format!("/r/{token}")).await;
    while status != 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        status = get(&app, &format!("/r/{token}")).await;
    }
    assert_eq!(status, 200, "the portal answers again after the restart");
    sup.stop();
    stop_engine(&slot).await;
}

async fn get(app: &axum::Router, uri: &str) -> u16 {
    let req = Request::builder()
        .uri(uri)
        .header("accept-language", "fr")
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(req).await.unwrap().status().as_u16()
}
