//! The data folder's disk fills up under a running import: the write fails with the
//! `disk_full` code (or the engine stops and the supervisor says `disk_full`), what was
//! written is kept as a job to finish, and once space is freed the engine answers again
//! and the import is finished with every row. Runs on a 400 MB tmpfs, which needs root
//! (`mount -t tmpfs`): elsewhere the test says it was skipped and why.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    sync::{atomic::AtomicBool, Arc},
    time::{Duration, Instant},
};

use bson::doc;
use eventhub_core::{
    engine::{self, LocalEngine},
    error::Code,
    events, jobs,
    participants::csv_import::{self, ImportOptions},
    supervise::{self, Supervisor},
    Core,
};
use serde_json::json;

/// A size-limited tmpfs, unmounted when dropped.
struct SmallFs(PathBuf);

impl SmallFs {
    fn mount(dir: &Path, size: &str) -> Result<SmallFs, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if out.status.success() {
            Ok(SmallFs(dir.to_owned()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
        }
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fill the filesystem of `dir` with a file until the OS says it is full.
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0_u8; 1 << 20];
    while f.write_all(&chunk).and_then(|_| f.sync_data()).is_ok() {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_an_import_cleanly_and_the_app_recovers() {
    let Some(bin) = engine::find() else {
        eprintln!("disk_full: skipped: no database engine binary on this machine");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    std::fs::create_dir_all(&mnt).unwrap();
    let _fs = match SmallFs::mount(&mnt, "400m") {
        Ok(fs) => fs,
        Err(why) => {
            eprintln!("disk_full: skipped: cannot mount a 400 MB tmpfs here ({why}); run as root to cover it");
            return;
        }
    };
    let data = mnt.join("data");
    let engine = LocalEngine::start(bin, &data, Duration::from_secs(60))
        .await
        .unwrap();
    let uri = engine.uri();
    let slot: supervise::EngineSlot = Arc::new(tokio::sync::Mutex::new(Some(engine)));
    let core = Core::connect(&uri, "disk_full").await.unwrap();
    let sup = Supervisor::spawn(
        core.clone(),
        Some(slot.clone()),
        supervise::Options::default(),
        |_| {},
    );
    let rx = sup.subscribe();
    let ev = events::create(
        &core,
        events::input_from_json(json!({
            "title": "Forum",
            "starts_at": "2031-10-01T08:00:00Z",
            "ends_at": "2031-10-01T18:00:00Z",
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let csv = tmp.path().join("big.csv");
    let rows = 40_000_u64;
    std::fs::write(&csv, csv_import::synthetic_csv(rows as usize)).unwrap();

    // The disk fills up (another program, a big download…).
    let filler = mnt.join("filler");
    fill(&filler);
    let t = Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(120),
        csv_import::import(
            &core,
            &ev.id,
            &csv,
            &ImportOptions::default(),
            &|_| {},
            &AtomicBool::new(false),
        ),
    )
    .await
    .expect("the import ends instead of hanging")
    .expect_err("a full disk cannot take 40,000 rows");
    eprintln!(
        "disk_full: the import stopped after {} ms with [{}] {}",
        t.elapsed().as_millis(),
        err.code.as_str(),
        err.message
    );
    assert!(
        matches!(err.code, Code::DiskFull | Code::DbUnavailable),
        "a clear error naming the cause: {err:?}"
    );
    assert!(
        !err.message.contains("Kind:"),
        "no driver text: {}",
        err.message
    );
    // Space is freed: the engine answers again, and the import is finished.
    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    // Writes work again (the supervisor restarts the engine if its storage failed).
    let scratch = core.db().collection::<bson::Document>("scratch");
    let deadline = Instant::now() + Duration::from_secs(90);
    while scratch.insert_one(doc! { "x": 1 }).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "writes never worked again: {:?}",
            rx.borrow()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "disk_full: writes work again {} ms after space was freed ({} engine restart(s))",
        freed.elapsed().as_millis(),
        rx.borrow().restarts
    );
    let count = || async {
        core.db()
            .collection::<bson::Document>("participants")
            .count_documents(doc! { "event_id": &ev.id })
            .await
            .unwrap()
    };
    let written = count().await;
    let left = jobs::list(&core, false).await.unwrap();
    if written > 0 {
        assert_eq!(
            left.len(),
            1,
            "what was written is a job to finish: {left:?}"
        );
        // The engine's storage may fail after the full disk (seen with secantusd-rs: a
        // panic at its next checkpoint): the supervisor restarts it; the user tries again.
        let deadline = Instant::now() + Duration::from_secs(90);
        let report = loop {
            match jobs::resume_import(&core, &left[0].id, &|_| {}, &AtomicBool::new(false)).await {
                Ok(r) => break r,
                Err(e) if e.code == Code::DbUnavailable && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                Err(e) => panic!("cannot finish the import: {e:?} ({:?})", rx.borrow()),
            }
        };
        eprintln!(
            "disk_full: import finished {} ms after space was freed ({} engine restart(s))",
            freed.elapsed().as_millis(),
            rx.borrow().restarts
        );
        assert_eq!(report.rejected, 0);
        assert_eq!(report.already_present, written);
    } else {
        // Nothing was written: a plain new import does it all.
        csv_import::import(
            &core,
            &ev.id,
            &csv,
            &ImportOptions::default(),
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap();
    }
    assert_eq!(count().await, rows);
    sup.stop();
    let e = slot.lock().await.take();
    if let Some(mut e) = e {
        e.stop().await;
    }
}
