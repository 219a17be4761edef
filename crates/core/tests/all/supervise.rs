//! The embedded engine killed under a running core (`kill -9`, as a crash or the
//! out-of-memory killer would): the supervisor notices, restarts it on the same folder and
//! port, the same connection works again, no acknowledged write is lost, and live views
//! (a dashboard watch) resume by themselves. Each test starts its own engine
//! in a temporary folder (needs `secantusd-rs` or `mongod`, as `engine.rs`).

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use bson::{doc, Document};
use eventhub_core::{
    dashboard::live,
    engine::{self, LocalEngine},
    events,
    participants::{self, ParticipantInput},
    supervise::{self, Health, Reason, State, Supervisor},
    Core,
};
use serde_json::json;

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

/// A zombie keeps its `/proc` entry (state `Z`) until its parent reaps it.
fn zombie_or_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_engine_is_restarted_and_nothing_acknowledged_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (slot, pid, port, uri) = start_engine(dir.path()).await;
    let core = Core::connect(&uri, "supervise_test").await.unwrap();
    let sup = Supervisor::spawn(
        core.clone(),
        Some(slot.clone()),
        supervise::Options::default(),
        |_| {},
    );
    let mut rx = sup.subscribe();

    // A live view opened before the crash: a dashboard watch.
    let ev = events::create(
        &core,
        events::input_from_json(json!({
            "title": "Salon",
            "starts_at": "2031-03-01T08:00:00Z",
            "ends_at": "2031-03-01T18:00:00Z",
            "status": "published",
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let seen2 = seen.clone();
    let watch = live::watch(&core, &ev.id, move |c| {
        seen2.fetch_add(c.participants.max(1), Ordering::SeqCst);
    })
    .await
    .unwrap();

    // A writer that never stops: every insert the server acknowledged is remembered.
    let acked = Arc::new(Mutex::new(Vec::<i64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (core, acked, stop) = (core.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let coll = core.db().collection::<Document>("acks");
            let mut i = 0_i64;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let w = tokio::time::timeout(
                    Duration::from_secs(2),
                    coll.insert_one(doc! { "_id": i }),
                )
                .await;
                if let Ok(Ok(_)) = w {
                    acked.lock().unwrap().push(i);
                } else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before = acked.lock().unwrap().len();
    assert!(before > 0, "the writer writes before the crash");

    kill9(pid);
    let killed = Instant::now();
    let down = wait_for(&mut rx, Duration::from_secs(10), |h| h.state != State::Ok)
        .await
        .expect("the crash is noticed");
    let detected = killed.elapsed();
    assert_eq!(down.reason, Some(Reason::EngineExited), "{down:?}");
    assert!(
        !zombie_or_alive(pid),
        "the dead engine was reaped (no zombie)"
    );
    let back = wait_for(&mut rx, Duration::from_secs(30), |h| {
        h.state == State::Ok && h.restarts == 1
    })
    .await
    .expect("the engine is restarted");
    let repaired = killed.elapsed();
    let new_pid = slot.lock().await.as_ref().unwrap().pid();
    assert_ne!(new_pid, pid);
    assert_eq!(
        slot.lock().await.as_ref().unwrap().port,
        port,
        "restarted on the same port"
    );
    assert_eq!(back.uri.as_deref(), Some(uri.as_str()));

    // The same connection works again, and writes continue.
    let n_at_repair = acked.lock().unwrap().len();
    let deadline = Instant::now() + Duration::from_secs(10);
    while acked.lock().unwrap().len() < n_at_repair + 20 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reconnected = killed.elapsed();
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= n_at_repair + 20,
        "writes resume after the restart ({} then {})",
        n_at_repair,
        acked.len()
    );
    let stored: Vec<i64> = {
        use futures_util::TryStreamExt;
        let docs: Vec<Document> = core
            .db()
            .collection::<Document>("acks")
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        docs.iter().filter_map(|d| d.get_i64("_id").ok()).collect()
    };
    let missing: Vec<&i64> = acked.iter().filter(|i| !stored.contains(i)).collect();
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");

    // The dashboard watch opened before the crash reports changes made after it.
    let seen_before = seen.load(Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut k = 0;
    while seen.load(Ordering::SeqCst) == seen_before && Instant::now() < deadline {
        k += 1;
        participants::create(
            &core,
            &ev.id,
            ParticipantInput {
                name: format!("After {k}"),
                email: format!("after{k}@example.org"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert!(
        seen.load(Ordering::SeqCst) > seen_before,
        "the dashboard watch resumed after the restart"
    );
    drop(watch);

    eprintln!(
        "supervise: detected in {} ms, restarted and answering in {} ms, writes resumed in {} ms; \
         {} acknowledged writes, none lost",
        detected.as_millis(),
        repaired.as_millis(),
        reconnected.as_millis(),
        acked.len()
    );
    assert!(
        detected < Duration::from_secs(5),
        "detected in {detected:?}"
    );
    assert!(
        repaired < Duration::from_secs(15),
        "repaired in {repaired:?}"
    );

    sup.stop();
    stop_engine(&slot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_that_stops_answering_is_reported_then_recovers() {
    // A server the supervisor cannot restart (a remote): stopped with SIGSTOP, resumed with
    // SIGCONT.
    let dir = tempfile::tempdir().unwrap();
    let (slot, pid, _port, uri) = start_engine(dir.path()).await;
    let core = Core::connect(&uri, "supervise_remote").await.unwrap();
    let opts = supervise::Options {
        remote_down_after: Duration::from_secs(3),
        ..Default::default()
    };
    let sup = Supervisor::spawn(core.clone(), None, opts, |_| {});
    let mut rx = sup.subscribe();
    let signal = |s: &str| {
        std::process::Command::new("kill")
            .args([s, &pid.to_string()])
            .status()
            .unwrap();
    };
    signal("-STOP");
    let t = Instant::now();
    let h = wait_for(&mut rx, Duration::from_secs(6), |h| {
        h.state == State::Reconnecting
    })
    .await
    .expect("a silent server is noticed");
    assert_eq!(h.reason, Some(Reason::NotAnswering));
    assert!(!h.local);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let h = wait_for(&mut rx, Duration::from_secs(10), |h| h.state == State::Down)
        .await
        .expect("then reported down");
    assert!(h.detail.is_some());
    signal("-CONT");
    wait_for(&mut rx, Duration::from_secs(15), |h| h.state == State::Ok)
        .await
        .expect("and fine again once it answers");
    sup.stop();
    stop_engine(&slot).await;
}
