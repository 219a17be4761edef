//! Sync between stores: two laptops and a remote, each its own database (and, in one
//! test, its own engine process), converging to identical contents.

use std::{collections::HashMap, sync::atomic::AtomicBool};

use bson::{doc, Document};
use eventhub_core::{
    events, participants,
    sync::{self, Choice},
    testing::{cleanup, fresh_core},
    Core,
};
use futures_util::TryStreamExt;
use serde_json::json;

pub(crate) async fn run(local: &Core, remote: &Core) -> sync::SyncReport {
    sync::sync(local, remote, false, &|_| {}, &AtomicBool::new(false))
        .await
        .unwrap()
}

/// Every synced collection's documents, by id, as canonical hashes.
pub(crate) async fn contents(core: &Core) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for (coll, _) in sync::synced_collections() {
        let docs: Vec<Document> = core
            .db()
            .collection::<Document>(coll)
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        for d in docs {
            out.push((
                coll.to_owned(),
                d.get("_id").unwrap().to_string(),
                sync::hash(&d),
            ));
        }
    }
    out.sort();
    out
}

async fn event(core: &Core, title: &str) -> events::Event {
    events::create(
        core,
        events::input_from_json(json!({
            "title": title,
            "starts_at": "2027-06-01T07:00:00Z",
            "ends_at": "2027-06-01T16:00:00Z",
            "venue": { "name": "Station F", "address": "Paris" },
        }))
        .unwrap(),
    )
    .await
    .unwrap()
}

/// Two laptops (Alice's, Bob's) and the shared remote, each a fresh database.
pub(crate) struct Stores {
    pub a: Core,
    pub b: Core,
    pub r: Core,
}

pub(crate) async fn stores(name: &str) -> Stores {
    Stores {
        a: fresh_core(&format!("{name}_a"))
            .await
            .with_actor("alice@laptop"),
        b: fresh_core(&format!("{name}_b"))
            .await
            .with_actor("bob@laptop"),
        r: fresh_core(&format!("{name}_r")).await,
    }
}

impl Stores {
    pub(crate) async fn done(self) {
        for c in [self.a, self.b, self.r] {
            cleanup(&c).await.unwrap();
        }
    }
}

#[tokio::test]
async fn edits_on_two_laptops_converge_everywhere() {
    let s = stores("sync_conv").await;
    let e = event(&s.a, "Forum Emploi").await;
    for (n, m) in [("Ann", "ann@x.org"), ("Bob", "bob@x.org")] {
        participants::create(
            &s.a,
            &e.id,
            participants::ParticipantInput {
                name: n.into(),
                email: m.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let first = run(&s.a, &s.r).await;
    assert!(first.total(|c| c.pushed) >= 3, "{first:?}");
    run(&s.b, &s.r).await;
    assert_eq!(
        contents(&s.b).await,
        contents(&s.a).await,
        "laptop B pulled everything"
    );

    // Different fields edited on each laptop.
    let mut ia = e.input.clone();
    ia.title = "Forum Emploi Tech".into();
    events::update(&s.a, &e.id, e.version, ia).await.unwrap();
    let eb = events::get(&s.b, &e.id).await.unwrap();
    let mut ib = eb.input.clone();
    ib.venue.name = "Halle Freyssinet".into();
    events::update(&s.b, &e.id, eb.version, ib).await.unwrap();

    run(&s.a, &s.r).await;
    let rb = run(&s.b, &s.r).await;
    assert_eq!(rb.total(|c| c.merged), 1, "{rb:?}");
    assert_eq!(rb.total(|c| c.conflicts), 0);
    run(&s.a, &s.r).await;
    let (ca, cb, cr) = (
        contents(&s.a).await,
        contents(&s.b).await,
        contents(&s.r).await,
    );
    assert_eq!(ca, cr);
    assert_eq!(cb, cr);
    let merged = events::get(&s.a, &e.id).await.unwrap();
    assert_eq!(merged.input.title, "Forum Emploi Tech");
    assert_eq!(merged.input.venue.name, "Halle Freyssinet");

    // Nothing waits after a sync; a new local edit is counted.
    assert_eq!(sync::pending(&s.a).await.unwrap(), 0);
    let e2 = events::get(&s.a, &e.id).await.unwrap();
    let mut again_input = e2.input.clone();
    again_input.description = "Stands et conférences".into();
    events::update(&s.a, &e.id, e2.version, again_input)
        .await
        .unwrap();
    assert_eq!(sync::pending(&s.a).await.unwrap(), 1);
    run(&s.a, &s.r).await;
    let ca = contents(&s.a).await;

    // Idempotent: nothing moves the second time.
    let again = run(&s.a, &s.r).await;
    assert_eq!(
        again.total(|c| c.pushed + c.pulled + c.merged + c.conflicts),
        0,
        "{again:?}"
    );
    assert_eq!(contents(&s.a).await, ca);
    s.done().await;
}

/// A pass without conflicts leaves its collections settled: the next pass skips them (two
/// aggregations instead of reading both sides) until anything changes on either side — an
/// edit, an insert or an outright delete, made on the remote by another laptop.
#[tokio::test]
async fn quiet_collections_are_skipped_until_either_side_changes() {
    let s = stores("sync_quiet").await;
    let e = event(&s.a, "Salon Quiet").await;
    let p = participants::create(
        &s.a,
        &e.id,
        participants::ParticipantInput {
            name: "Ann".into(),
            email: "ann@x.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let first = run(&s.a, &s.r).await;
    assert!(first.total(|c| c.pushed) >= 2, "{first:?}");
    run(&s.b, &s.r).await;
    let skipped = |r: &sync::SyncReport| -> Vec<String> {
        r.collections
            .iter()
            .filter(|c| c.skipped)
            .map(|c| c.collection.clone())
            .collect()
    };
    // The fingerprint: count, Σ updated_at (ms), Σ version, computed by the server.
    let fp = sync::fingerprint(&s.a, "events").await.unwrap();
    assert_eq!(
        (fp.n, fp.at, fp.v),
        (1, e.updated_at.timestamp_millis(), e.version),
        "{fp:?}"
    );
    // The pass after the one that pushed (and laptop B's, which only pulled) skips every
    // collection, and says how many documents it left.
    let quiet = run(&s.a, &s.r).await;
    assert_eq!(
        skipped(&quiet).len(),
        sync::synced_collections().len(),
        "{quiet:?}"
    );
    let events_row = quiet
        .collections
        .iter()
        .find(|c| c.collection == "events")
        .unwrap();
    assert_eq!(events_row.unchanged, 1);

    // Laptop B accepts the invitation for Ann and syncs: the remote changed.
    participants::set_status(&s.b, &p.id, None, participants::RsvpStatus::Accepted)
        .await
        .unwrap();
    run(&s.b, &s.r).await;
    let after_edit = run(&s.a, &s.r).await;
    let row = |r: &sync::SyncReport, coll: &str| {
        r.collections
            .iter()
            .find(|c| c.collection == coll)
            .cloned()
            .unwrap()
    };
    assert!(!row(&after_edit, "participants").skipped);
    assert_eq!(row(&after_edit, "participants").pulled, 1);
    assert!(row(&after_edit, "events").skipped, "{after_edit:?}");
    assert_eq!(
        participants::get(&s.a, &p.id).await.unwrap().status,
        participants::RsvpStatus::Accepted
    );

    // A document deleted outright on the remote (not through the app) is seen too.
    run(&s.a, &s.r).await;
    run(&s.a, &s.r).await;
    s.r.db()
        .collection::<Document>(participants::schema::AUDIT)
        .delete_one(doc! {})
        .await
        .unwrap();
    let after_delete = run(&s.a, &s.r).await;
    let audit = row(&after_delete, participants::schema::AUDIT);
    assert!(!audit.skipped, "{after_delete:?}");
    assert_eq!(audit.pushed, 1, "append-only: copied back");

    // A dry run skips quiet collections too but records nothing.
    let dry = sync::sync(&s.a, &s.r, true, &|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    assert!(row(&dry, "events").skipped);
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    s.done().await;
}

/// A sync stopped midway (cancelled here; killed is the same) has checkpointed the
/// collections it finished: the next run skips them and carries on with the rest.
#[tokio::test]
async fn a_stopped_sync_resumes_after_the_collections_it_finished() {
    let s = stores("sync_resume").await;
    let e = event(&s.a, "Salon Reprise").await;
    participants::create(
        &s.a,
        &e.id,
        participants::ParticipantInput {
            name: "Ann".into(),
            email: "ann@x.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Stop as soon as the participants are being compared: events are done by then.
    let cancel = AtomicBool::new(false);
    let stopped = sync::sync(
        &s.a,
        &s.r,
        false,
        &|p| {
            if p.collection == "participants" {
                cancel.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        },
        &cancel,
    )
    .await
    .unwrap();
    assert!(stopped.cancelled, "{stopped:?}");
    let done: Vec<&str> = stopped
        .collections
        .iter()
        .map(|c| c.collection.as_str())
        .collect();
    assert_eq!(done, ["events", "participants"], "{stopped:?}");

    let resumed = run(&s.a, &s.r).await;
    let row = |coll: &str| {
        resumed
            .collections
            .iter()
            .find(|c| c.collection == coll)
            .cloned()
            .unwrap()
    };
    assert!(
        row("events").skipped && row("participants").skipped,
        "{resumed:?}"
    );
    let audit = row(participants::schema::AUDIT);
    assert!(!audit.skipped && audit.pushed >= 1, "{resumed:?}");
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    s.done().await;
}

#[tokio::test]
async fn the_same_field_changed_twice_waits_for_the_user() {
    let s = stores("sync_conflict").await;
    let e = event(&s.a, "Séminaire").await;
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;
    let mut ia = e.input.clone();
    ia.title = "Séminaire (Alice)".into();
    events::update(&s.a, &e.id, e.version, ia).await.unwrap();
    let mut ib = e.input.clone();
    ib.title = "Séminaire (Bob)".into();
    events::update(&s.b, &e.id, e.version, ib).await.unwrap();
    run(&s.a, &s.r).await;
    let rb = run(&s.b, &s.r).await;
    assert_eq!(rb.total(|c| c.conflicts), 1);
    assert_eq!(
        events::get(&s.b, &e.id).await.unwrap().input.title,
        "Séminaire (Bob)",
        "nothing overwritten"
    );
    assert_eq!(
        events::get(&s.r, &e.id).await.unwrap().input.title,
        "Séminaire (Alice)",
        "nothing overwritten"
    );
    let conflicts = sync::conflicts(&s.b).await.unwrap();
    assert_eq!(conflicts.len(), 1);
    let c = &conflicts[0];
    assert_eq!(c.fields.len(), 1);
    assert_eq!(c.fields[0].field, "title");
    assert_eq!(c.local_by, "bob@laptop");
    assert_eq!(c.remote_by, "alice@laptop");

    let err = sync::resolve(&s.b, &s.r, &c.id, &HashMap::new())
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("choices.title"));
    let choices = HashMap::from([("title".to_owned(), Choice::Remote)]);
    sync::resolve(&s.b, &s.r, &c.id, &choices).await.unwrap();
    assert!(sync::conflicts(&s.b).await.unwrap().is_empty());
    run(&s.a, &s.r).await;
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    assert_eq!(contents(&s.b).await, contents(&s.r).await);
    assert_eq!(
        events::get(&s.a, &e.id).await.unwrap().input.title,
        "Séminaire (Alice)"
    );
    s.done().await;
}

#[tokio::test]
async fn a_delete_against_an_edit_is_a_conflict() {
    let s = stores("sync_delete").await;
    let e = event(&s.a, "Gala").await;
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;
    events::delete(&s.a, &e.id, None).await.unwrap();
    let mut ib = e.input.clone();
    ib.description = "Dress code: black tie".into();
    events::update(&s.b, &e.id, e.version, ib).await.unwrap();
    run(&s.a, &s.r).await;
    let rb = run(&s.b, &s.r).await;
    assert_eq!(rb.total(|c| c.conflicts), 1, "{rb:?}");
    let c = &sync::conflicts(&s.b).await.unwrap()[0];
    assert!(c.fields.iter().any(|f| f.field == "deleted_at"), "{c:?}");
    s.done().await;
}

#[tokio::test]
async fn dry_run_writes_nothing_and_a_half_done_sync_completes_cleanly() {
    let s = stores("sync_resume").await;
    for i in 0..40 {
        event(&s.a, &format!("Atelier {i}")).await;
    }
    let dry = sync::sync(&s.a, &s.r, true, &|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    assert_eq!(dry.total(|c| c.pushed), 40);
    assert!(contents(&s.r).await.is_empty(), "a dry run writes nothing");

    // An interrupted run: half the documents reached the remote, no base was recorded.
    let half: Vec<Document> =
        s.a.db()
            .collection::<Document>("events")
            .find(doc! {})
            .limit(20)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
    s.r.db()
        .collection::<Document>("events")
        .insert_many(half)
        .await
        .unwrap();
    let report = run(&s.a, &s.r).await;
    assert_eq!(report.total(|c| c.pushed), 20);
    assert_eq!(report.total(|c| c.conflicts), 0);
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    assert_eq!(
        s.r.db()
            .collection::<Document>("events")
            .count_documents(doc! {})
            .await
            .unwrap(),
        40,
        "nothing duplicated"
    );
    s.done().await;
}

/// The remote is its own engine process, killed in the middle of a sync: the sync fails
/// with a clear error, nothing local is lost, and once the remote is back the next sync
/// completes with every document exactly once.
#[tokio::test]
async fn a_remote_that_disappears_mid_sync_loses_nothing() {
    use std::time::Duration;
    let local = fresh_core("sync_kill_local").await;
    let n = 3000;
    let input = events::input_from_json(json!({
        "title": "x", "starts_at": "2027-06-01T07:00:00Z", "ends_at": "2027-06-01T16:00:00Z"
    }))
    .unwrap();
    let docs: Vec<Document> = (0..n)
        .map(|i| {
            let mut d = eventhub_core::time::to_doc(&input).unwrap();
            d.insert("_id", format!("ev-{i:05}"));
            d.insert("title", format!("Event {i}"));
            d.insert("version", 1_i64);
            d.insert("created_at", bson::DateTime::now());
            d.insert("updated_at", bson::DateTime::now());
            d.insert("updated_by", "alice");
            d.insert("deleted_at", bson::Bson::Null);
            d
        })
        .collect();
    local
        .db()
        .collection::<Document>("events")
        .insert_many(docs)
        .await
        .unwrap();
    let before = contents(&local).await;

    let dir = tempfile::tempdir().unwrap();
    let bin = eventhub_core::engine::find().expect("a server binary (secantusd-rs or mongod)");
    let t = Duration::from_secs(60);
    let mut remote_engine = eventhub_core::engine::LocalEngine::start(bin.clone(), dir.path(), t)
        .await
        .unwrap();
    let remote = Core::connect(&remote_engine.uri(), "eventhub")
        .await
        .unwrap();

    let l2 = local.clone();
    let r2 = remote.clone();
    let running =
        tokio::spawn(
            async move { sync::sync(&l2, &r2, false, &|_| {}, &AtomicBool::new(false)).await },
        );
    tokio::time::sleep(Duration::from_millis(300)).await;
    remote_engine.stop().await;
    let outcome = running.await.unwrap();
    if let Err(e) = &outcome {
        assert!(
            matches!(
                e.code,
                eventhub_core::Code::DbUnavailable | eventhub_core::Code::Internal
            ),
            "{e:?}"
        );
    }
    assert_eq!(
        contents(&local).await,
        before,
        "nothing local changed or lost"
    );

    // The remote comes back (same data folder); syncing again completes.
    let remote_engine = eventhub_core::engine::LocalEngine::start(bin, dir.path(), t)
        .await
        .unwrap();
    let remote = Core::connect(&remote_engine.uri(), "eventhub")
        .await
        .unwrap();
    run(&local, &remote).await;
    assert_eq!(contents(&remote).await, contents(&local).await);
    assert_eq!(
        remote
            .db()
            .collection::<Document>("events")
            .count_documents(doc! {})
            .await
            .unwrap(),
        n as u64,
        "every event exactly once"
    );
    let mut remote_engine = remote_engine;
    remote_engine.stop().await;
    cleanup(&local).await.unwrap();
}

/// Feedback answers (keyed by question and respondent: the newer wins, `_id` included),
/// questions, imported social posts (the same file imported on two laptops), networking, and
/// an erasure on one laptop carried out everywhere.
#[tokio::test]
async fn feedback_social_and_networking_sync_and_an_erasure_reaches_every_store() {
    use eventhub_core::{feedback, networking, social};
    let s = stores("sync_more").await;
    let ev = event(&s.a, "Forum").await;
    let mut people = vec![];
    for (name, email) in [("Ann", "ann@example.org"), ("Bob", "bob@example.org")] {
        let p = participants::create(
            &s.a,
            &ev.id,
            participants::ParticipantInput {
                name: name.into(),
                email: email.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        participants::set_status(&s.a, &p.id, None, participants::RsvpStatus::Accepted)
            .await
            .unwrap();
        people.push(p.id);
    }
    let q = open_rating(&s.a, &ev.id).await;
    for pid in &people {
        networking::save_profile(
            &s.a,
            pid,
            networking::ProfileInput {
                opted_in: true,
                company: "Acme".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let c = networking::request(&s.a, &people[0], &people[1])
        .await
        .unwrap();
    networking::respond(&s.a, &people[1], &c.id, true)
        .await
        .unwrap();
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;
    assert_eq!(contents(&s.a).await.len(), contents(&s.b).await.len());

    // Ann answers on A, then later differently on B (another `_id` for the same answer);
    // both laptops import the same posts file.
    let ann = feedback::Respondent::Participant(people[0].clone());
    feedback::answer(&s.a, &q, &ann, &feedback::RawValue::Number(2.0))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    feedback::answer(&s.b, &q, &ann, &feedback::RawValue::Number(5.0))
        .await
        .unwrap();
    let posts = include_bytes!("../fixtures/social/mastodon.json");
    for core in [&s.a, &s.b] {
        let r = social::import::import_bytes(
            core,
            &ev.id,
            "mastodon.json",
            posts,
            &social::import::ImportOptions::default(),
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap();
        assert!(r.imported > 0, "{r:?}");
    }
    let n_posts =
        s.a.db()
            .collection::<Document>(social::POSTS)
            .count_documents(doc! {})
            .await
            .unwrap();
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;
    run(&s.a, &s.r).await;
    let (ca, cb, cr) = (
        contents(&s.a).await,
        contents(&s.b).await,
        contents(&s.r).await,
    );
    assert_eq!(ca, cr, "A and the remote are identical");
    assert_eq!(cb, cr, "B and the remote are identical");
    let answers: Vec<Document> =
        s.a.db()
            .collection::<Document>(feedback::ANSWERS)
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
    assert_eq!(answers.len(), 1, "one answer per person and question");
    assert_eq!(
        answers[0].get_i32("num").unwrap(),
        5,
        "the newer answer wins"
    );
    let posts_after =
        s.b.db()
            .collection::<Document>(social::POSTS)
            .count_documents(doc! {})
            .await
            .unwrap();
    assert_eq!(posts_after, n_posts, "the same posts are not doubled");

    // Bob erases his data on B; after syncing, nothing of it is left anywhere.
    networking::erase(&s.b, &people[1]).await.unwrap();
    run(&s.b, &s.r).await;
    run(&s.a, &s.r).await;
    for core in [&s.a, &s.b, &s.r] {
        let db = core.db();
        let left = db
            .collection::<Document>(networking::PROFILES)
            .count_documents(doc! { "participant_id": &people[1] })
            .await
            .unwrap()
            + db.collection::<Document>(networking::CONNECTIONS)
                .count_documents(doc! { "$or": [{ "a": &people[1] }, { "b": &people[1] }] })
                .await
                .unwrap();
        assert_eq!(left, 0, "Bob's networking data is gone from {}", db.name());
        assert_eq!(
            db.collection::<Document>(networking::PROFILES)
                .count_documents(doc! { "participant_id": &people[0] })
                .await
                .unwrap(),
            1,
            "Ann's profile stays"
        );
    }
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    s.done().await;
}

/// Seat counters are per store: after a sync brought accepted participants, the other
/// laptop's capacity holds (a third acceptance waits) without any counter being synced.
#[tokio::test]
async fn capacity_holds_on_the_laptop_that_pulled_the_participants() {
    let s = stores("sync_seats").await;
    let ev = events::create(
        &s.a,
        events::input_from_json(json!({
            "title": "Atelier",
            "starts_at": "2027-06-01T07:00:00Z",
            "ends_at": "2027-06-01T16:00:00Z",
            "capacity": 2,
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let mut ids = vec![];
    for i in 0..3 {
        let p = participants::create(
            &s.a,
            &ev.id,
            participants::ParticipantInput {
                name: format!("P{i}"),
                email: format!("p{i}@example.org"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        ids.push(p.id);
    }
    for id in &ids[..2] {
        participants::set_status(&s.a, id, None, participants::RsvpStatus::Accepted)
            .await
            .unwrap();
    }
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;
    let third = participants::set_status(&s.b, &ids[2], None, participants::RsvpStatus::Accepted)
        .await
        .unwrap();
    assert_eq!(
        third.status,
        participants::RsvpStatus::Waitlisted,
        "the event is full on laptop B too"
    );
    assert_eq!(participants::rsvp::recount(&s.b, &ev.id).await.unwrap(), 2);
    s.done().await;
}

/// One sync of `local` with `remote` that runs `hook` before it applies each collection (a
/// write through the app while the sync runs).
async fn sync_with_hook(local: &Core, remote: &Core, hook: &sync::BeforeApply) -> sync::SyncReport {
    sync::sync_with(
        local,
        remote,
        &sync::SyncOptions {
            dry_run: false,
            progress: &|_| {},
            cancel: &AtomicBool::new(false),
            before_apply: Some(hook),
        },
    )
    .await
    .unwrap()
}

async fn import_csv(core: &Core, event_id: &str, csv: &str) {
    let r = participants::csv_import::import_bytes(
        core,
        event_id,
        "people.csv",
        csv.as_bytes(),
        &Default::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert!(r.imported > 0, "{r:?}");
}

/// Live participants of a store by e-mail.
async fn live_people(core: &Core) -> Vec<(String, String)> {
    let docs: Vec<Document> = core
        .db()
        .collection::<Document>(participants::schema::PARTICIPANTS)
        .find(doc! { "deleted_at": null })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut v: Vec<(String, String)> = docs
        .iter()
        .map(|d| {
            (
                d.get_str("email_norm").unwrap().to_owned(),
                d.get_str("_id").unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Ann (ann@x.org) registered on `core` for `event_id`: her participant id.
async fn ann(core: &Core, event_id: &str) -> String {
    participants::create(
        core,
        event_id,
        participants::ParticipantInput {
            name: "Ann".into(),
            email: "ann@x.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

/// A rating question ("Note") of event `event_id`, open for answers.
pub(crate) async fn open_rating(core: &Core, event_id: &str) -> eventhub_core::feedback::Question {
    use eventhub_core::feedback;
    let q = feedback::create_question(
        core,
        event_id,
        feedback::input_from_json(json!({"kind": "rating", "label": {"fr": "Note"}})).unwrap(),
    )
    .await
    .unwrap();
    feedback::set_status(core, &q.id, feedback::QuestionStatus::Open)
        .await
        .unwrap()
}

fn no_failures(r: &sync::SyncReport) {
    assert!(r.all_failures().is_empty(), "{:?}", r.all_failures());
}

/// Two laptops import the same person into one event: the copies merge into the one
/// created first, on every store, with what the other copy held (an RSVP, a profile, an
/// answer) moved onto it; nobody is stuck and Bob arrives everywhere.
#[tokio::test]
async fn the_same_person_imported_on_two_laptops_merges_into_one() {
    use eventhub_core::{feedback, networking};
    let s = stores("sync_natkey").await;
    let ev = event(&s.a, "Forum Emploi").await;
    let q = open_rating(&s.a, &ev.id).await;
    no_failures(&run(&s.a, &s.r).await);
    no_failures(&run(&s.b, &s.r).await);

    import_csv(&s.a, &ev.id, "name,email\nAnn,ann@x.org\n").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    import_csv(
        &s.b,
        &ev.id,
        "name,email,company\nAnn Smith,ANN@x.org,Acme\nBob,bob@x.org,\n",
    )
    .await;
    let ann_a = live_people(&s.a).await[0].1.clone();
    let ann_b = live_people(&s.b).await[0].1.clone();
    assert_ne!(ann_a, ann_b);
    // On laptop B, B's Ann accepts, opts in to networking and answers the poll.
    participants::set_status(&s.b, &ann_b, None, participants::RsvpStatus::Accepted)
        .await
        .unwrap();
    networking::save_profile(
        &s.b,
        &ann_b,
        networking::ProfileInput {
            opted_in: true,
            headline: "Data".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    feedback::answer(
        &s.b,
        &q,
        &feedback::Respondent::Participant(ann_b.clone()),
        &feedback::RawValue::Number(4.0),
    )
    .await
    .unwrap();

    no_failures(&run(&s.a, &s.r).await);
    let rb = run(&s.b, &s.r).await;
    no_failures(&rb);
    let dups: Vec<_> = rb.collections.iter().flat_map(|c| &c.duplicates).collect();
    assert_eq!(dups.len(), 1, "{rb:?}");
    assert_eq!(
        (dups[0].survivor.as_str(), dups[0].merged.as_str()),
        (ann_a.as_str(), ann_b.as_str())
    );
    for _ in 0..2 {
        no_failures(&run(&s.a, &s.r).await);
        no_failures(&run(&s.b, &s.r).await);
    }
    for core in [&s.a, &s.b, &s.r] {
        let people = live_people(core).await;
        assert_eq!(
            people,
            vec![
                ("ann@x.org".to_owned(), ann_a.clone()),
                ("bob@x.org".to_owned(), people[1].1.clone())
            ],
            "{}",
            core.db().name()
        );
        let ann = participants::get(core, &ann_a).await.unwrap();
        assert_eq!(
            ann.status,
            participants::RsvpStatus::Accepted,
            "B's RSVP kept"
        );
        assert_eq!(ann.input.company, "Acme", "what only B's copy had is kept");
        assert_eq!(ann.input.name, "Ann", "the survivor's own value stays");
        let profile = networking::profile(core, &ann_a)
            .await
            .unwrap()
            .expect("profile moved");
        assert_eq!(profile.input.headline, "Data");
        let answers = feedback::answers_of(
            core,
            &ev.id,
            &feedback::Respondent::Participant(ann_a.clone()),
        )
        .await
        .unwrap();
        assert_eq!(answers.len(), 1, "the answer moved to the survivor");
        assert_eq!(
            core.db()
                .collection::<Document>(participants::schema::AUDIT)
                .count_documents(doc! { "participant_id": &ann_b })
                .await
                .unwrap(),
            0,
            "the audit trail moved"
        );
    }
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    assert_eq!(contents(&s.b).await, contents(&s.r).await);
    // Both names were chosen: the difference waits for the user, who may take B's.
    let conflicts = sync::conflicts(&s.b).await.unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let c = &conflicts[0];
    assert_eq!(c.merged_from.as_deref(), Some(ann_b.as_str()));
    assert!(c.fields.iter().any(|f| f.field == "name"), "{c:?}");
    let choices = c
        .fields
        .iter()
        .map(|f| (f.field.clone(), Choice::Remote))
        .collect();
    sync::resolve(&s.b, &s.r, &c.id, &choices).await.unwrap();
    no_failures(&run(&s.a, &s.r).await);
    assert_eq!(
        participants::get(&s.a, &ann_a).await.unwrap().input.name,
        "Ann Smith"
    );
    s.done().await;
}

/// A document the other side refuses is reported (collection, id, a code and words — no
/// server text) and the sync carries on with the other documents and collections; once
/// it is fixed, the next pass takes it.
#[tokio::test]
async fn a_refused_document_is_reported_and_the_rest_still_syncs() {
    let s = stores("sync_refused").await;
    let good = event(&s.a, "Bon").await;
    // A broken event (no title) slipped into the local store past its validator.
    let mut bad = eventhub_core::time::to_doc(&good).unwrap();
    bad.insert("_id", "broken-event");
    bad.remove("title");
    s.a.db()
        .collection::<Document>("events")
        .insert_one(bad)
        .bypass_document_validation(true)
        .await
        .unwrap();
    participants::create(
        &s.a,
        &good.id,
        participants::ParticipantInput {
            name: "Ann".into(),
            email: "ann@x.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let r = run(&s.a, &s.r).await;
    let failures = r.all_failures();
    assert_eq!(failures.len(), 1, "{r:?}");
    let f = failures[0];
    assert_eq!(
        (f.collection.as_str(), f.id.as_str()),
        ("events", "broken-event")
    );
    assert_eq!(f.code, eventhub_core::Code::Validation);
    assert!(
        !f.reason.contains("E11000") && !f.reason.contains("121") && !f.reason.contains("Kind"),
        "{f:?}"
    );
    assert!(
        events::get(&s.r, &good.id).await.is_ok(),
        "the good event went"
    );
    assert_eq!(live_people(&s.r).await.len(), 1, "later collections went");
    // Still refused next pass (tried again, reported again), and nothing else moves.
    let again = run(&s.a, &s.r).await;
    assert_eq!(again.all_failures().len(), 1);
    s.a.db()
        .collection::<Document>("events")
        .update_one(
            doc! { "_id": "broken-event" },
            doc! { "$set": { "title": "Réparé" }, "$inc": { "version": 1 } },
        )
        .await
        .unwrap();
    no_failures(&run(&s.a, &s.r).await);
    assert!(events::get(&s.r, "broken-event").await.is_ok());
    s.done().await;
}

/// Writes made through the app between the sync's reading and its writing (a check-in, an
/// RSVP, a poll answer — as the portal and the door do on the same local store) are never
/// overwritten: the document is left for the next pass, which merges it.
#[tokio::test]
async fn writes_made_during_a_sync_are_never_overwritten() {
    use eventhub_core::feedback;
    use std::sync::{atomic::Ordering, Arc};
    let s = stores("sync_meanwhile").await;
    let ev = events::create(
        &s.a,
        events::input_from_json(json!({
            "title": "Forum",
            "starts_at": "2027-06-01T07:00:00Z",
            "ends_at": "2027-06-01T16:00:00Z",
            "sessions": [{ "title": "Atelier", "starts_at": "2027-06-01T09:00:00Z",
                            "ends_at": "2027-06-01T10:00:00Z" }],
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let sid = ev.input.sessions[0].id.clone();
    let mut ids = vec![];
    for (n, m) in [("Ann", "ann@x.org"), ("Bob", "bob@x.org")] {
        let p = participants::create(
            &s.a,
            &ev.id,
            participants::ParticipantInput {
                name: n.into(),
                email: m.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        participants::set_status(&s.a, &p.id, None, participants::RsvpStatus::Accepted)
            .await
            .unwrap();
        ids.push(p.id);
    }
    let q = open_rating(&s.a, &ev.id).await;
    let ann = feedback::Respondent::Participant(ids[0].clone());
    feedback::answer(&s.a, &q, &ann, &feedback::RawValue::Number(2.0))
        .await
        .unwrap();
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;
    // Laptop B: Ann joins the session, Bob declines, Ann's answer becomes 5; B syncs.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    participants::join_session(&s.b, &ids[0], &sid)
        .await
        .unwrap();
    participants::set_status(&s.b, &ids[1], None, participants::RsvpStatus::Declined)
        .await
        .unwrap();
    feedback::answer(&s.b, &q, &ann, &feedback::RawValue::Number(5.0))
        .await
        .unwrap();
    run(&s.b, &s.r).await;

    // Laptop A syncs; while it has planned to take B's changes, the door checks Ann in,
    // Bob RSVPs again and Ann answers 3 — all on A's local store.
    let fired = Arc::new(AtomicBool::new(false));
    let (a, qq, ann_id, bob_id, f2) = (
        s.a.clone(),
        q.clone(),
        ids[0].clone(),
        ids[1].clone(),
        fired.clone(),
    );
    let hook = move |coll: &str| -> futures_util::future::BoxFuture<'static, ()> {
        let (a, qq, ann_id, bob_id, f2) = (
            a.clone(),
            qq.clone(),
            ann_id.clone(),
            bob_id.clone(),
            f2.clone(),
        );
        let coll = coll.to_owned();
        Box::pin(async move {
            if coll == participants::schema::PARTICIPANTS && !f2.swap(true, Ordering::SeqCst) {
                participants::check_in(&a, &ann_id).await.unwrap();
                participants::set_status(&a, &bob_id, None, participants::RsvpStatus::Tentative)
                    .await
                    .unwrap();
            }
            if coll == feedback::ANSWERS {
                feedback::answer(
                    &a,
                    &qq,
                    &feedback::Respondent::Participant(ann_id.clone()),
                    &feedback::RawValue::Number(3.0),
                )
                .await
                .unwrap();
            }
        })
    };
    let during = sync_with_hook(&s.a, &s.r, &hook).await;
    assert!(fired.load(Ordering::SeqCst));
    assert!(during.total(|c| c.deferred) >= 2, "{during:?}");
    // Nothing written meanwhile was lost on A.
    let ann_now = participants::get(&s.a, &ids[0]).await.unwrap();
    assert_eq!(ann_now.status, participants::RsvpStatus::CheckedIn);
    assert_eq!(
        participants::get(&s.a, &ids[1]).await.unwrap().status,
        participants::RsvpStatus::Tentative
    );
    // The next passes merge: Ann checked in and in the session; Bob's two answers differ
    // (declined on B, tentative on A): a conflict, not an overwrite; Ann's answer is 3.
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;
    run(&s.a, &s.r).await;
    for core in [&s.a, &s.b, &s.r] {
        let ann_p = participants::get(core, &ids[0]).await.unwrap();
        assert_eq!(
            ann_p.status,
            participants::RsvpStatus::CheckedIn,
            "{}",
            core.db().name()
        );
        assert_eq!(ann_p.sessions, vec![sid.clone()]);
        let answers = feedback::answers_of(core, &ev.id, &ann).await.unwrap();
        assert_eq!(answers[0].num, Some(3), "{}", core.db().name());
    }
    let open = sync::conflicts(&s.a).await.unwrap();
    assert!(
        open.iter()
            .any(|c| c.doc_id == ids[1] && c.fields.iter().any(|f| f.field == "status")),
        "{open:?}"
    );
    s.done().await;
}

/// An erasure removes what existed up to it, on every store — and spares what the person
/// creates afterwards (opting in again), however many syncs follow.
#[tokio::test]
async fn data_created_after_an_erasure_survives_every_sync() {
    use eventhub_core::{feedback, networking};
    let s = stores("sync_erase_again").await;
    let ev = event(&s.a, "Forum").await;
    let mut people = vec![];
    for (name, email) in [("Ann", "ann@x.org"), ("Bob", "bob@x.org")] {
        let p = participants::create(
            &s.a,
            &ev.id,
            participants::ParticipantInput {
                name: name.into(),
                email: email.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        participants::set_status(&s.a, &p.id, None, participants::RsvpStatus::Accepted)
            .await
            .unwrap();
        people.push(p.id);
    }
    let q = open_rating(&s.a, &ev.id).await;
    let opt_in = |company: &str| networking::ProfileInput {
        opted_in: true,
        company: company.into(),
        ..Default::default()
    };
    let ann = feedback::Respondent::Participant(people[0].clone());
    for pid in &people {
        networking::save_profile(&s.a, pid, opt_in("Old"))
            .await
            .unwrap();
    }
    networking::request(&s.a, &people[0], &people[1])
        .await
        .unwrap();
    feedback::answer(&s.a, &q, &ann, &feedback::RawValue::Number(1.0))
        .await
        .unwrap();
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;

    networking::erase(&s.a, &people[0]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    // Ann opts in again on A: a new profile, a new connection with Bob, a new answer.
    networking::save_profile(&s.a, &people[0], opt_in("New"))
        .await
        .unwrap();
    let c = networking::request(&s.a, &people[0], &people[1])
        .await
        .unwrap();
    networking::respond(&s.a, &people[1], &c.id, true)
        .await
        .unwrap();
    feedback::answer(&s.a, &q, &ann, &feedback::RawValue::Number(5.0))
        .await
        .unwrap();
    for _ in 0..2 {
        run(&s.a, &s.r).await;
        run(&s.b, &s.r).await;
    }
    for core in [&s.a, &s.b, &s.r] {
        let name = core.db().name().to_owned();
        let p = networking::profile(core, &people[0]).await.unwrap();
        assert_eq!(p.map(|p| p.input.company), Some("New".into()), "{name}");
        let conn = networking::connection_between(core, &ev.id, &people[0], &people[1])
            .await
            .unwrap()
            .expect("the new connection survives");
        assert_eq!(conn.id, c.id, "{name}");
        let answers = feedback::answers_of(core, &ev.id, &ann).await.unwrap();
        assert_eq!(
            answers.iter().map(|a| a.num).collect::<Vec<_>>(),
            vec![Some(5)],
            "{name}"
        );
    }
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    assert_eq!(contents(&s.b).await, contents(&s.r).await);
    s.done().await;
}

/// Laptop A registered Ann after laptop B did, and B's sync merged A's copy into B's
/// (tombstone on the remote). When A syncs, it plans to take the tombstone and B's Ann;
/// meanwhile the app changes A's copy (an RSVP). That copy is left for the next pass, and
/// so is B's Ann, whose e-mail A's copy still holds: no failure, and the next pass
/// settles it (soak seed 1796089923129305272: B's Ann was refused as a duplicate).
#[tokio::test]
async fn a_copy_written_during_the_sync_that_merges_it_away_holds_back_the_survivor() {
    use std::sync::{atomic::Ordering, Arc};
    let s = stores("sync_merge_meanwhile").await;
    let ev = event(&s.a, "Gala").await;
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;
    let on_b = ann(&s.b, &ev.id).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let on_a = ann(&s.a, &ev.id).await;
    run(&s.a, &s.r).await;
    let merged = run(&s.b, &s.r).await;
    assert!(merged.collections.iter().any(|c| c
        .duplicates
        .iter()
        .any(|d| d.survivor == on_b && d.merged == on_a)));

    let fired = Arc::new(AtomicBool::new(false));
    let (a, id, f2) = (s.a.clone(), on_a.clone(), fired.clone());
    let hook = move |coll: &str| -> futures_util::future::BoxFuture<'static, ()> {
        let (a, id, f2) = (a.clone(), id.clone(), f2.clone());
        let go = coll == participants::schema::PARTICIPANTS;
        Box::pin(async move {
            if go && !f2.swap(true, Ordering::SeqCst) {
                participants::set_status(&a, &id, None, participants::RsvpStatus::Tentative)
                    .await
                    .unwrap();
            }
        })
    };
    let during = sync_with_hook(&s.a, &s.r, &hook).await;
    assert!(fired.load(Ordering::SeqCst));
    assert!(
        during.all_failures().is_empty(),
        "{:#?}",
        during.all_failures()
    );
    let p = during
        .collections
        .iter()
        .find(|c| c.collection == participants::schema::PARTICIPANTS)
        .unwrap();
    assert!(p.deferred >= 2, "{p:?}");
    assert!(participants::get(&s.a, &on_b).await.is_err());

    // The next passes: the merge stands on A, B's Ann arrives, nothing fails.
    for _ in 0..3 {
        let r = run(&s.a, &s.r).await;
        assert!(r.all_failures().is_empty(), "{:#?}", r.all_failures());
    }
    let kept = participants::get(&s.a, &on_b).await.unwrap();
    assert_eq!(kept.input.email, "ann@x.org");
    let copy: Document =
        s.a.db()
            .collection::<Document>(participants::schema::PARTICIPANTS)
            .find_one(doc! { "_id": &on_a })
            .await
            .unwrap()
            .unwrap();
    assert_eq!(copy.get_str("merged_into").ok(), Some(on_b.as_str()));
    s.done().await;
}

/// Random operations through the app on three laptops and random syncs, then everyone
/// syncs until quiet: no sync fails, every store equals the remote, no acknowledged write
/// is lost, no natural key is held twice.
///
/// The sequences are seeded so that every run is reproducible: by default the seeds of
/// [`SOAK_SEEDS`] (the same on every machine, so a red CI names a change, never a draw);
/// `EVENTHUB_SOAK_SEED=<seed>` replays one, `EVENTHUB_SOAK_RANDOM=1` draws a new one and
/// prints it (exploration: a seed found failing is fixed, then added to the list), and
/// `EVENTHUB_SOAK_OPS` makes the run longer.
#[tokio::test]
async fn random_operations_and_syncs_converge() {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let seeds = match (env("EVENTHUB_SOAK_SEED"), env("EVENTHUB_SOAK_RANDOM")) {
        (Some(seed), _) => vec![seed],
        (None, Some(_)) => vec![std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7)],
        (None, None) => SOAK_SEEDS.to_vec(),
    };
    let ops = env("EVENTHUB_SOAK_OPS").unwrap_or(200) as usize;
    for seed in seeds {
        eprintln!("sync soak: seed {seed}, {ops} operations (replay: EVENTHUB_SOAK_SEED={seed})");
        let r = soak_once("sync_soak", seed, ops).await;
        assert!(r.problems.is_empty(), "seed {seed}: {:#?}", r.problems);
        assert!(r.syncs >= 3 && r.ops == ops, "{r:?}");
    }
}

/// The soak's seeds on every run: a first draw, and seeds that once failed and were fixed:
/// - 1796088208099552962: an answer moved to the person a sync merged was dated at the
///   move and replaced that person's later answer everywhere;
/// - 1796089873901294408, 1796089964053321114: a seat freed by the app's RSVP (an update)
///   and given back by another store was refused on SecantusDB at every pass (see
///   `sync_offline::a_seat_freed_by_the_app_and_given_again_elsewhere_syncs_back`);
/// - 1796089923129305272: a person's copy written by the app while the sync merged it
///   away still held the e-mail, and the survivor was refused (see
///   `sync::a_copy_written_during_the_sync_that_merges_it_away_holds_back_the_survivor`);
/// - 1796092531737676624: a profile moved by a merge onto a person already merged into
///   another (two chained organiser's merges), and a conflict on a profile deleted on one
///   side by a merge written without an id (see
///   `sync_offline::a_profile_follows_two_chained_merges_to_the_last_survivor` and
///   `sync_offline::a_conflict_on_a_profile_deleted_by_a_merge_is_closed`).
///
/// A seed the exploration finds failing is fixed (a test reproducing its cause first),
/// then added here.
const SOAK_SEEDS: [u64; 6] = [
    1_796_095_000_000_000_001,
    1_796_088_208_099_552_962,
    1_796_089_873_901_294_408,
    1_796_089_964_053_321_114,
    1_796_089_923_129_305_272,
    1_796_092_531_737_676_624,
];

async fn soak_once(name: &str, seed: u64, ops: usize) -> sync::soak::SoakReport {
    let mut locals = vec![];
    for (i, who) in ["alice@laptop", "bob@laptop", "cleo@laptop"]
        .iter()
        .enumerate()
    {
        locals.push(fresh_core(&format!("{name}_{i}")).await.with_actor(who));
    }
    let remote = fresh_core(&format!("{name}_r")).await;
    let r = sync::soak::soak(&locals, &remote, ops, seed).await.unwrap();
    eprintln!("{r:?}");
    // `EVENTHUB_SOAK_KEEP=1` keeps the stores of a failed run to look at.
    if r.problems.is_empty() || std::env::var_os("EVENTHUB_SOAK_KEEP").is_none() {
        for c in locals.iter().chain([&remote]) {
            cleanup(c).await.unwrap();
        }
    }
    r
}

/// A seed the soak once failed with, replayed on every run: a networking profile whose two
/// copies one laptop merged (their companies in conflict there) was erased on another
/// laptop; the conflict stayed open with nothing left to resolve and the stores never
/// settled. 130 operations reach it (the full run has 200).
#[tokio::test]
async fn soak_seed_with_a_conflict_on_an_erased_profile_converges() {
    let seed = 1_796_085_350_558_260_715;
    let r = soak_once("sync_soak_seed", seed, 130).await;
    assert!(r.problems.is_empty(), "seed {seed}: {:#?}", r.problems);
    assert!(r.duplicates_merged > 0 && r.conflicts_resolved > 0, "{r:?}");
}

/// One person registered on both laptops answers a question on B, then again, later and
/// differently, on A (her other record). The sync merges the two records and moves B's
/// answer to the survivor: the move is no new answer, so her last answer — A's — stands on
/// every store (the moved copy used to be dated at the move and win everywhere).
#[tokio::test]
async fn the_last_answer_of_a_person_merged_by_the_sync_stands_everywhere() {
    use eventhub_core::feedback;
    let s = stores("sync_moved_answer").await;
    let ev = event(&s.a, "Forum").await;
    let q = open_rating(&s.a, &ev.id).await;
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;
    // A's record is made first: it is the one kept.
    let kept = ann(&s.a, &ev.id).await;
    let other = ann(&s.b, &ev.id).await;
    let answer = |core: &Core, who: &str, v: f64| {
        let (core, q) = (core.clone(), q.clone());
        let who = feedback::Respondent::Participant(who.to_owned());
        async move {
            feedback::answer(&core, &q, &who, &feedback::RawValue::Number(v))
                .await
                .unwrap();
        }
    };
    answer(&s.b, &other, 2.0).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    answer(&s.a, &kept, 4.0).await;

    no_failures(&run(&s.b, &s.r).await);
    let r = run(&s.a, &s.r).await;
    no_failures(&r);
    let merged: Vec<_> = r.collections.iter().flat_map(|c| &c.duplicates).collect();
    assert!(
        merged
            .iter()
            .any(|d| d.survivor == kept && d.merged == other),
        "{merged:?}"
    );
    no_failures(&run(&s.b, &s.r).await);
    no_failures(&run(&s.a, &s.r).await);
    for (name, core) in [("A", &s.a), ("B", &s.b), ("remote", &s.r)] {
        let answers: Vec<Document> = core
            .db()
            .collection::<Document>(feedback::ANSWERS)
            .find(doc! { "question_id": &q.id })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(answers.len(), 1, "{name}: {answers:#?}");
        assert_eq!(answers[0].get_str("respondent").unwrap(), kept, "{name}");
        let num = match answers[0].get("num") {
            Some(bson::Bson::Int32(v)) => f64::from(*v),
            Some(bson::Bson::Int64(v)) => *v as f64,
            Some(bson::Bson::Double(v)) => *v,
            _ => f64::NAN,
        };
        assert_eq!(num, 4.0, "{name}: her last answer was lost: {answers:#?}");
    }
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    assert_eq!(contents(&s.b).await, contents(&s.r).await);
    s.done().await;
}

/// Every public write of a versioned, synced collection bumps `version` (and never moves
/// `updated_at` back): the sync's fingerprints and conditional writes rely on it.
#[tokio::test]
async fn every_write_path_bumps_the_version() {
    use eventhub_core::{feedback, networking};
    let core = fresh_core("sync_versions").await;
    let v = |coll: &'static str, id: String| {
        let core = core.clone();
        async move {
            let d = core
                .db()
                .collection::<Document>(coll)
                .find_one(doc! { "_id": &id })
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{coll} {id}"));
            (
                match d.get("version") {
                    Some(bson::Bson::Int64(n)) => *n,
                    Some(bson::Bson::Int32(n)) => i64::from(*n),
                    _ => 0,
                },
                d.get_datetime("updated_at")
                    .map(|t| t.timestamp_millis())
                    .unwrap_or(0),
            )
        }
    };
    let mut seen: Vec<String> = vec![];
    let mut check = |what: &str, before: (i64, i64), after: (i64, i64)| {
        assert!(after.0 > before.0, "{what}: version {before:?} → {after:?}");
        assert!(after.1 >= before.1, "{what}: updated_at went back");
        seen.push(what.to_owned());
    };
    let ev = events::create(
        &core,
        events::input_from_json(json!({
            "title": "Versions",
            "starts_at": "2027-06-01T07:00:00Z",
            "ends_at": "2027-06-01T16:00:00Z",
            "sessions": [{ "title": "Atelier", "starts_at": "2027-06-01T09:00:00Z",
                            "ends_at": "2027-06-01T10:00:00Z" }],
            "seating": [{ "room": "Amphi", "layout": { "kind": "grid", "rows": 2, "seats_per_row": 3 } }],
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let sid = ev.input.sessions[0].id.clone();
    let plan = ev.input.seating[0].id.clone();
    let b = v("events", ev.id.clone()).await;
    let mut input = ev.input.clone();
    input.title = "Versions 2".into();
    events::update(&core, &ev.id, ev.version, input)
        .await
        .unwrap();
    check("events::update", b, v("events", ev.id.clone()).await);

    let mut people = vec![];
    for m in ["ann@x.org", "bob@x.org"] {
        let p = participants::create(
            &core,
            &ev.id,
            participants::ParticipantInput {
                name: m.into(),
                email: m.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let b = v("participants", p.id.clone()).await;
        participants::set_status(&core, &p.id, None, participants::RsvpStatus::Accepted)
            .await
            .unwrap();
        check(
            "participants::set_status",
            b,
            v("participants", p.id.clone()).await,
        );
        people.push(p.id);
    }
    let (ann, bob) = (people[0].clone(), people[1].clone());
    let b = v("participants", ann.clone()).await;
    participants::join_session(&core, &ann, &sid).await.unwrap();
    check(
        "participants::join_session",
        b,
        v("participants", ann.clone()).await,
    );
    let b = v("participants", ann.clone()).await;
    participants::leave_session(&core, &ann, &sid)
        .await
        .unwrap();
    check(
        "participants::leave_session",
        b,
        v("participants", ann.clone()).await,
    );
    let b = v("participants", ann.clone()).await;
    participants::seating::assign(&core, &ann, &plan, "A1")
        .await
        .unwrap();
    check("seating::assign", b, v("participants", ann.clone()).await);
    let b = v("participants", ann.clone()).await;
    participants::seating::unassign(&core, &ann).await.unwrap();
    check("seating::unassign", b, v("participants", ann.clone()).await);
    let b = v("participants", ann.clone()).await;
    let cur = participants::get(&core, &ann).await.unwrap();
    let mut pin = cur.input.clone();
    pin.company = "ACME".into();
    participants::update(&core, &ann, cur.version, pin)
        .await
        .unwrap();
    check(
        "participants::update",
        b,
        v("participants", ann.clone()).await,
    );
    let b = v("participants", ann.clone()).await;
    let token = eventhub_core::invitations::issue_token(&core, &ann, None)
        .await
        .unwrap();
    assert!(!token.is_empty());
    check(
        "invitations::issue_token",
        b,
        v("participants", ann.clone()).await,
    );
    let b = v("participants", ann.clone()).await;
    eventhub_core::invitations::mark_opened(&core, &ann)
        .await
        .unwrap();
    check(
        "invitations::mark_opened",
        b,
        v("participants", ann.clone()).await,
    );
    let b = v("participants", bob.clone()).await;
    assert!(
        eventhub_core::invitations::queue(&core, &ev.id, None, false)
            .await
            .unwrap()
            >= 1
    );
    check(
        "invitations::queue",
        b,
        v("participants", bob.clone()).await,
    );
    let b = v("participants", bob.clone()).await;
    eventhub_core::invitations::unqueue(&core, &ev.id)
        .await
        .unwrap();
    check(
        "invitations::unqueue",
        b,
        v("participants", bob.clone()).await,
    );
    use eventhub_core::invitations::settings;
    settings::update(
        &core,
        &ev.id,
        &settings::SettingsPatch {
            registration_open: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let b = v(settings::PORTAL_SETTINGS, ev.id.clone()).await;
    settings::update(
        &core,
        &ev.id,
        &settings::SettingsPatch {
            registration_open: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    check(
        "settings::update",
        b,
        v(settings::PORTAL_SETTINGS, ev.id.clone()).await,
    );
    let b = v("participants", ann.clone()).await;
    participants::check_in(&core, &ann).await.unwrap();
    check(
        "participants::check_in",
        b,
        v("participants", ann.clone()).await,
    );

    let q = feedback::create_question(
        &core,
        &ev.id,
        feedback::input_from_json(json!({"kind": "rating", "label": {"fr": "Note"}})).unwrap(),
    )
    .await
    .unwrap();
    let b = v(feedback::QUESTIONS, q.id.clone()).await;
    let q = feedback::set_status(&core, &q.id, feedback::QuestionStatus::Open)
        .await
        .unwrap();
    check(
        "feedback::set_status",
        b,
        v(feedback::QUESTIONS, q.id.clone()).await,
    );
    let b = v(feedback::QUESTIONS, q.id.clone()).await;
    let q = feedback::update_question(
        &core,
        &q.id,
        q.version,
        feedback::input_from_json(json!({"kind": "rating", "label": {"fr": "Note /5"}})).unwrap(),
    )
    .await
    .unwrap();
    check(
        "feedback::update_question",
        b,
        v(feedback::QUESTIONS, q.id.clone()).await,
    );
    let who = feedback::Respondent::Participant(ann.clone());
    let a = feedback::answer(&core, &q, &who, &feedback::RawValue::Number(2.0))
        .await
        .unwrap();
    let b = v(feedback::ANSWERS, a.id.clone()).await;
    feedback::answer(&core, &q, &who, &feedback::RawValue::Number(4.0))
        .await
        .unwrap();
    check(
        "feedback::answer (again)",
        b,
        v(feedback::ANSWERS, a.id.clone()).await,
    );

    let opt_in = |company: &str| networking::ProfileInput {
        opted_in: true,
        company: company.into(),
        ..Default::default()
    };
    let prof = networking::save_profile(&core, &ann, opt_in("A"))
        .await
        .unwrap();
    networking::save_profile(&core, &bob, opt_in("B"))
        .await
        .unwrap();
    let b = v(networking::PROFILES, prof.id.clone()).await;
    networking::save_profile(&core, &ann, opt_in("A2"))
        .await
        .unwrap();
    check(
        "networking::save_profile (again)",
        b,
        v(networking::PROFILES, prof.id.clone()).await,
    );
    let c = networking::request(&core, &ann, &bob).await.unwrap();
    let b = v(networking::CONNECTIONS, c.id.clone()).await;
    networking::respond(&core, &bob, &c.id, true).await.unwrap();
    check(
        "networking::respond",
        b,
        v(networking::CONNECTIONS, c.id.clone()).await,
    );
    let b = v(networking::CONNECTIONS, c.id.clone()).await;
    networking::set_note(&core, &ann, &c.id, "à revoir")
        .await
        .unwrap();
    check(
        "networking::set_note",
        b,
        v(networking::CONNECTIONS, c.id.clone()).await,
    );
    let slot = chrono::DateTime::parse_from_rfc3339("2027-06-01T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let m = networking::propose_meeting(&core, &ann, &c.id, vec![slot], 30, "Stand 4")
        .await
        .unwrap();
    let b = v(networking::MEETINGS, m.id.clone()).await;
    networking::answer_meeting(&core, &bob, &m.id, Some(0))
        .await
        .unwrap();
    check(
        "networking::answer_meeting",
        b,
        v(networking::MEETINGS, m.id.clone()).await,
    );
    let b = v(networking::MEETINGS, m.id.clone()).await;
    networking::cancel_meeting(&core, &ann, &m.id)
        .await
        .unwrap();
    check(
        "networking::cancel_meeting",
        b,
        v(networking::MEETINGS, m.id.clone()).await,
    );

    let b = v(feedback::QUESTIONS, q.id.clone()).await;
    feedback::delete_question(&core, &q.id).await.unwrap();
    check(
        "feedback::delete_question",
        b,
        v(feedback::QUESTIONS, q.id.clone()).await,
    );
    // A third person merged into Bob: both records get a new version (the loser becomes
    // a tombstone pointing at the survivor).
    let cleo = participants::create(
        &core,
        &ev.id,
        participants::ParticipantInput {
            name: "Cléo".into(),
            email: "cleo@x.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let (bk, bc) = (
        v("participants", bob.clone()).await,
        v("participants", cleo.clone()).await,
    );
    participants::merge(&core, &bob, &cleo).await.unwrap();
    check(
        "participants::merge (survivor)",
        bk,
        v("participants", bob.clone()).await,
    );
    check(
        "participants::merge (merged)",
        bc,
        v("participants", cleo.clone()).await,
    );
    let b = v("participants", bob.clone()).await;
    participants::delete(&core, &bob, None).await.unwrap();
    check(
        "participants::delete",
        b,
        v("participants", bob.clone()).await,
    );
    let b = v("events", ev.id.clone()).await;
    events::delete(&core, &ev.id, None).await.unwrap();
    check("events::delete", b, v("events", ev.id.clone()).await);
    assert_eq!(seen.len(), 27, "{seen:?}");
    // Every document of every synced, versioned collection carries the block the helper
    // writes: a version and who wrote it.
    for spec in eventhub_core::schema::synced() {
        if spec.policy != eventhub_core::schema::Policy::Versioned {
            continue;
        }
        let docs: Vec<Document> = core
            .db()
            .collection::<Document>(spec.name)
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        for d in docs {
            assert!(
                matches!(d.get("version"), Some(bson::Bson::Int64(n)) if *n >= 1),
                "{}: {d:?}",
                spec.name
            );
            assert!(d.get_datetime("updated_at").is_ok(), "{}: {d:?}", spec.name);
        }
    }
    cleanup(&core).await.unwrap();
}
