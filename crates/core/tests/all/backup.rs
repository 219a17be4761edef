//! Backup and restore of a whole store: one file with every collection and the sync
//! state; restored into another database, which then syncs normally with a remote that
//! moved on meanwhile. Damaged files change nothing.

use std::io::Write;

use bson::{doc, Document};
use eventhub_core::{
    backup,
    error::Code,
    events,
    participants::{self, ParticipantInput},
    testing::{cleanup, fresh_core},
    Core,
};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::sync::{contents, run};

async fn all_docs(core: &Core, coll: &str) -> Vec<Document> {
    core.db()
        .collection::<Document>(coll)
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

async fn event(core: &Core, title: &str) -> events::Event {
    events::create(
        core,
        events::input_from_json(json!({
            "title": title,
            "starts_at": "2031-09-01T07:00:00Z",
            "ends_at": "2031-09-01T16:00:00Z",
        }))
        .unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_restored_store_syncs_on_with_a_remote_that_moved_on() {
    let a = fresh_core("bk_a").await.with_actor("alice@laptop");
    let b = fresh_core("bk_b").await.with_actor("bob@laptop");
    let r = fresh_core("bk_r").await;
    let e = event(&a, "Journée Portes Ouvertes").await;
    for (n, m) in [("Zoé Lefèvre", "zoe@x.org"), ("Bob", "bob@x.org")] {
        participants::create(
            &a,
            &e.id,
            ParticipantInput {
                name: n.into(),
                email: m.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    run(&a, &r).await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.backup.gz");
    let made = backup::backup(&a, &file, &|_| {}).await.unwrap();
    assert_eq!(made.counts["events"], 1);
    assert_eq!(made.counts["participants"], 2);
    assert!(
        made.counts.keys().any(|c| c.starts_with("_sync")),
        "the sync state is in the backup: {:?}",
        made.counts
    );
    assert!(!dir.path().join("a.backup.partial").exists());

    // The remote moves on: laptop B adds an event and renames A's.
    run(&b, &r).await;
    event(&b, "Salon de Bob").await;
    let eb = events::get(&b, &e.id).await.unwrap();
    let mut input = eb.input.clone();
    input.title = "Journée Portes Ouvertes 2031".into();
    events::update(&b, &e.id, eb.version, input).await.unwrap();
    run(&b, &r).await;

    // Restored on another machine (a new database), every document is back as it was.
    let c = fresh_core("bk_c").await.with_actor("alice@new-laptop");
    let restored = backup::restore(&c, &file, false, &|_| {}).await.unwrap();
    assert_eq!(restored.counts, made.counts);
    for coll in made.counts.keys() {
        assert_eq!(
            all_docs(&c, coll).await,
            all_docs(&a, coll).await,
            "{coll} restored identically (types included)"
        );
    }
    // Its indexes are there: the same e-mail twice is still refused.
    let dup = participants::create(
        &c,
        &e.id,
        ParticipantInput {
            name: "Zoé bis".into(),
            email: "ZOE@x.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(dup.code, Code::Duplicate);

    // It then syncs normally: it gets B's changes, and everyone converges.
    let rep = run(&c, &r).await;
    assert_eq!(rep.total(|x| x.conflicts), 0, "{rep:?}");
    assert_eq!(
        events::get(&c, &e.id).await.unwrap().input.title,
        "Journée Portes Ouvertes 2031"
    );
    let n = events::list(&c, &serde_json::from_value(json!({})).unwrap())
        .await
        .unwrap()
        .total;
    assert_eq!(n, Some(2), "B's new event arrived");
    run(&b, &r).await;
    assert_eq!(contents(&c).await, contents(&r).await);
    assert_eq!(contents(&b).await, contents(&r).await);

    // A second restore into a database with data is refused unless asked to replace.
    let e2 = backup::restore(&c, &file, false, &|_| {})
        .await
        .unwrap_err();
    assert_eq!(e2.code, Code::Conflict);
    backup::restore(&c, &file, true, &|_| {}).await.unwrap();
    assert_eq!(all_docs(&c, "events").await, all_docs(&a, "events").await);

    for core in [a, b, r, c] {
        cleanup(&core).await.unwrap();
    }
}

#[tokio::test]
async fn damaged_backups_are_refused_and_change_nothing() {
    let a = fresh_core("bk_bad_a").await;
    event(&a, "Atelier").await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.backup.gz");
    backup::backup(&a, &good, &|_| {}).await.unwrap();
    let c = fresh_core("bk_bad_c").await;

    // Cut short: the end line is missing.
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.backup.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    // Not gzip at all, gzip of something else, and a manifest of a newer format.
    let text = dir.path().join("text.backup.gz");
    std::fs::write(&text, "Nom;Email\n").unwrap();
    let other = dir.path().join("other.backup.gz");
    let newer = dir.path().join("newer.backup.gz");
    for (path, body) in [
        (&other, "{\"hello\": 1}\n".to_owned()),
        (
            &newer,
            "{\"format\":\"eventhub-backup\",\"version\":99,\"created_at\":\"\",\"database\":\"x\",\"app_version\":\"9\",\"collections\":[]}\n{\"end\":{}}\n".to_owned(),
        ),
    ] {
        let mut enc =
            flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), Default::default());
        enc.write_all(body.as_bytes()).unwrap();
        enc.finish().unwrap();
    }
    for (path, code) in [
        (&cut, Code::Validation),
        (&text, Code::Validation),
        (&other, Code::Validation),
        (&newer, Code::Unsupported),
        (&dir.path().join("missing.gz"), Code::Validation),
    ] {
        let e = backup::restore(&c, path, true, &|_| {}).await.unwrap_err();
        assert_eq!(e.code, code, "{}: {}", path.display(), e.message);
        assert!(
            !e.message.contains("Kind:"),
            "no driver text: {}",
            e.message
        );
        assert!(all_docs(&c, "events").await.is_empty(), "nothing written");
    }
    cleanup(&a).await.unwrap();
    cleanup(&c).await.unwrap();
}
