//! Tombstones and the unique indexes: a participant deleted, merged into another or erased
//! leaves `event_email_unique`, so the same address can be registered again in the event —
//! on the store that wrote the tombstone, and on every store after the syncs, whatever
//! their order.

use std::sync::atomic::AtomicBool;

use bson::{doc, Bson, Document};
use eventhub_core::{
    participants::{self, RsvpStatus},
    testing::{cleanup, fresh_core},
    Core,
};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::sync::{contents, run};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Delete,
    Merge,
    Erase,
}

async fn event(core: &Core) -> String {
    eventhub_core::events::create(
        core,
        eventhub_core::events::input_from_json(json!({
            "title": "Tombstones",
            "starts_at": "2027-06-01T07:00:00Z",
            "ends_at": "2027-06-01T16:00:00Z",
            "capacity": 50,
        }))
        .unwrap(),
    )
    .await
    .unwrap()
    .id
}

async fn person(core: &Core, ev: &str, name: &str, email: &str) -> eventhub_core::Result<String> {
    participants::create(
        core,
        ev,
        participants::ParticipantInput {
            name: name.into(),
            email: email.into(),
            ..Default::default()
        },
    )
    .await
    .map(|p| p.id)
}

/// Every participant document of `ev` on `core`, by id.
async fn people(core: &Core, ev: &str) -> Vec<Document> {
    let mut v: Vec<Document> = core
        .db()
        .collection::<Document>(participants::schema::PARTICIPANTS)
        .find(doc! { "event_id": ev })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    v.sort_by(|a, b| a.get_str("_id").unwrap().cmp(b.get_str("_id").unwrap()));
    v
}

fn doc_of<'a>(all: &'a [Document], id: &str) -> &'a Document {
    all.iter()
        .find(|d| d.get_str("_id") == Ok(id))
        .unwrap_or_else(|| panic!("{id} is missing: {all:#?}"))
}

fn version(d: &Document) -> i64 {
    match d.get("version") {
        Some(Bson::Int32(v)) => i64::from(*v),
        Some(Bson::Int64(v)) => *v,
        other => panic!("no version: {other:?}"),
    }
}

fn is_tombstone(d: &Document) -> bool {
    matches!(d.get("deleted_at"), Some(Bson::DateTime(_)))
}

/// Make `id` a tombstone the way `kind` does (merging it into `keep`).
async fn retire(core: &Core, kind: Kind, id: &str, keep: &str) {
    match kind {
        Kind::Delete => participants::delete(core, id, None).await.unwrap(),
        Kind::Merge => {
            participants::merge(core, keep, id).await.unwrap();
        }
        Kind::Erase => {
            participants::erase(core, id).await.unwrap();
        }
    }
}

/// What `kind` leaves of the record `id` (read before at `before`): a tombstone, one
/// version later, emptied by an erasure, pointing at the survivor after a merge.
fn check_tombstone(d: &Document, kind: Kind, before: i64, keep: &str, ctx: &str) {
    assert!(is_tombstone(d), "{ctx}: still live: {d:?}");
    assert_eq!(version(d), before + 1, "{ctx}: one new version: {d:?}");
    assert!(d.get_datetime("updated_at").is_ok(), "{ctx}");
    assert!(d.get_str("updated_by").is_ok(), "{ctx}");
    assert!(d.get("seat").is_none(), "{ctx}");
    match kind {
        Kind::Delete => assert_eq!(d.get_str("email_norm"), Ok("ann@x.org"), "{ctx}"),
        Kind::Merge => assert_eq!(d.get_str("merged_into"), Ok(keep), "{ctx}"),
        Kind::Erase => {
            assert_eq!(
                d.get_str("email_norm"),
                Ok(participants::edit::ERASED),
                "{ctx}"
            );
            assert_eq!(d.get_str("name"), Ok(""), "{ctx}");
        }
    }
}

/// Live documents of `ev` holding `email_norm`, by id.
fn live_with(all: &[Document], email: &str) -> Vec<String> {
    all.iter()
        .filter(|d| !is_tombstone(d) && d.get_str("email_norm") == Ok(email))
        .map(|d| d.get_str("_id").unwrap().to_owned())
        .collect()
}

/// On one store: after a delete, a merge or an erasure, the address registers again (by
/// hand and by a CSV import), and the store holds one live participant with it and the
/// tombstone one version later.
#[tokio::test]
async fn a_deleted_merged_or_erased_address_registers_again_on_the_same_store() {
    for kind in [Kind::Delete, Kind::Merge, Kind::Erase] {
        let core = fresh_core(&format!("tomb_local_{kind:?}").to_lowercase()).await;
        let ev = event(&core).await;
        let keep = person(&core, &ev, "Bob", "bob@x.org").await.unwrap();
        let ann = person(&core, &ev, "Ann", "Ann@X.org").await.unwrap();
        participants::set_status(&core, &ann, None, RsvpStatus::Accepted)
            .await
            .unwrap();
        let before = version(doc_of(&people(&core, &ev).await, &ann));
        retire(&core, kind, &ann, &keep).await;

        // The same person registers again: by hand...
        let again = person(&core, &ev, "Ann", "ann@x.org")
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: refused again: {e:?}"));
        let all = people(&core, &ev).await;
        check_tombstone(
            doc_of(&all, &ann),
            kind,
            before,
            &keep,
            &format!("{kind:?}"),
        );
        assert_eq!(
            live_with(&all, "ann@x.org"),
            vec![again.clone()],
            "{kind:?}"
        );
        // ...is refused a second time while live (the index still holds live people)...
        let dup = person(&core, &ev, "Ann", "ANN@x.org").await.unwrap_err();
        assert_eq!(dup.code, eventhub_core::Code::Duplicate, "{kind:?}");
        // ...and after a second delete, comes back through a CSV import.
        participants::delete(&core, &again, None).await.unwrap();
        let r = participants::csv_import::import_bytes(
            &core,
            &ev,
            "people.csv",
            b"name,email\nAnn,ann@x.org\n",
            &Default::default(),
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap();
        assert_eq!(r.imported, 1, "{kind:?}: {r:?}");
        let all = people(&core, &ev).await;
        let live = live_with(&all, "ann@x.org");
        assert_eq!(live.len(), 1, "{kind:?}: {all:#?}");
        assert!(live[0] != ann && live[0] != again, "{kind:?}");
        assert!(is_tombstone(doc_of(&all, &again)), "{kind:?}");
        // The survivor of a merge is untouched by the re-registration.
        assert_eq!(live_with(&all, "bob@x.org"), vec![keep.clone()], "{kind:?}");
        cleanup(&core).await.unwrap();
    }
}

/// Two laptops and a remote. Laptop A deletes, merges or erases Ann and registers her
/// again; after the syncs (A first, or B first) laptop B deletes that new record and
/// registers her once more. Every store ends with the two tombstones, one live Ann (the
/// last one) and identical contents, and no pass fails or stays stuck.
#[tokio::test]
async fn a_retired_address_registers_again_after_syncs_in_either_order() {
    for kind in [Kind::Delete, Kind::Merge, Kind::Erase] {
        for a_first in [true, false] {
            let name =
                format!("tomb_{kind:?}_{}", if a_first { "ab" } else { "ba" }).to_lowercase();
            let a = fresh_core(&format!("{name}_a"))
                .await
                .with_actor("alice@laptop");
            let b = fresh_core(&format!("{name}_b"))
                .await
                .with_actor("bob@laptop");
            let r = fresh_core(&format!("{name}_r")).await;
            let ctx = format!("{kind:?}, a_first {a_first}");
            let settle = || async {
                for _ in 0..4 {
                    let mut moved = false;
                    for c in [&a, &b] {
                        let rep = run(c, &r).await;
                        assert!(
                            rep.all_failures().is_empty(),
                            "{ctx}: {:#?}",
                            rep.all_failures()
                        );
                        moved |= rep.unsettled();
                    }
                    if !moved {
                        return;
                    }
                }
                panic!("{ctx}: the stores did not settle");
            };

            let ev = event(&a).await;
            let keep = person(&a, &ev, "Bob", "bob@x.org").await.unwrap();
            let ann = person(&a, &ev, "Ann", "ann@x.org").await.unwrap();
            settle().await;
            let before = version(doc_of(&people(&a, &ev).await, &ann));

            // Offline on A: Ann goes, and registers again.
            retire(&a, kind, &ann, &keep).await;
            let again = person(&a, &ev, "Ann", "ann@x.org")
                .await
                .unwrap_or_else(|e| panic!("{ctx}: refused on A: {e:?}"));
            let (first, second) = if a_first { (&a, &b) } else { (&b, &a) };
            for c in [first, second] {
                let rep = run(c, &r).await;
                assert!(
                    rep.all_failures().is_empty(),
                    "{ctx}: {:#?}",
                    rep.all_failures()
                );
            }
            settle().await;

            // On B, which received both through the sync: the new record goes too, and
            // Ann registers a third time.
            participants::delete(&b, &again, None).await.unwrap();
            let third = person(&b, &ev, "Ann", "ann@x.org")
                .await
                .unwrap_or_else(|e| panic!("{ctx}: refused on B: {e:?}"));
            let (first, second) = if a_first { (&a, &b) } else { (&b, &a) };
            for c in [first, second] {
                let rep = run(c, &r).await;
                assert!(
                    rep.all_failures().is_empty(),
                    "{ctx}: {:#?}",
                    rep.all_failures()
                );
            }
            settle().await;

            for (store, core) in [("A", &a), ("B", &b), ("remote", &r)] {
                let all = people(core, &ev).await;
                let ctx = format!("{ctx}, {store}");
                check_tombstone(doc_of(&all, &ann), kind, before, &keep, &ctx);
                assert!(is_tombstone(doc_of(&all, &again)), "{ctx}");
                assert_eq!(live_with(&all, "ann@x.org"), vec![third.clone()], "{ctx}");
                assert_eq!(live_with(&all, "bob@x.org"), vec![keep.clone()], "{ctx}");
                assert_eq!(all.len(), 4, "{ctx}: {all:#?}");
            }
            assert_eq!(contents(&a).await, contents(&r).await, "{ctx}");
            assert_eq!(contents(&b).await, contents(&r).await, "{ctx}");
            for c in [&a, &b, &r] {
                cleanup(c).await.unwrap();
            }
        }
    }
}

/// An address edited away is free too: Ann becomes anne@… on laptop A and a new Ann
/// registers with the old address there; laptop B receives both in one sync, then deletes
/// that new record and registers Ann itself. Every store ends with the edited record, the
/// last new one live, the other a tombstone, and identical contents.
#[tokio::test]
async fn an_address_edited_away_registers_again_on_every_store() {
    let a = fresh_core("tomb_edit_a").await.with_actor("alice@laptop");
    let b = fresh_core("tomb_edit_b").await.with_actor("bob@laptop");
    let r = fresh_core("tomb_edit_r").await;
    let ev = event(&a).await;
    let ann = person(&a, &ev, "Ann", "ann@x.org").await.unwrap();
    for c in [&a, &b] {
        assert!(run(c, &r).await.all_failures().is_empty());
    }
    let p = participants::get(&a, &ann).await.unwrap();
    let mut input = p.input.clone();
    input.email = "anne@x.org".into();
    let edited = participants::update(&a, &ann, p.version, input)
        .await
        .unwrap();
    assert_eq!(edited.version, p.version + 1);
    assert_eq!(edited.email_norm, "anne@x.org");
    // On A at once.
    let new_a = person(&a, &ev, "Ann", "ann@x.org")
        .await
        .unwrap_or_else(|e| panic!("refused on A: {e:?}"));
    // B receives the edit and the new record in one sync: the edit frees the address
    // before the new record takes it.
    let rep = run(&a, &r).await;
    assert!(rep.all_failures().is_empty(), "{:#?}", rep.all_failures());
    let rep = run(&b, &r).await;
    assert!(rep.all_failures().is_empty(), "{:#?}", rep.all_failures());
    let all_b = people(&b, &ev).await;
    assert_eq!(live_with(&all_b, "ann@x.org"), vec![new_a.clone()]);
    assert_eq!(live_with(&all_b, "anne@x.org"), vec![ann.clone()]);
    // B deletes A's new Ann and registers her itself: A receives both.
    participants::delete(&b, &new_a, None).await.unwrap();
    let new_b = person(&b, &ev, "Ann", "ann@x.org")
        .await
        .unwrap_or_else(|e| panic!("refused on B: {e:?}"));
    for _ in 0..2 {
        for c in [&b, &a] {
            let rep = run(c, &r).await;
            assert!(rep.all_failures().is_empty(), "{:#?}", rep.all_failures());
        }
    }
    for (store, core) in [("A", &a), ("B", &b), ("remote", &r)] {
        let all = people(core, &ev).await;
        assert_eq!(live_with(&all, "ann@x.org"), vec![new_b.clone()], "{store}");
        assert_eq!(live_with(&all, "anne@x.org"), vec![ann.clone()], "{store}");
        assert_eq!(version(doc_of(&all, &ann)), p.version + 1, "{store}");
        assert!(is_tombstone(doc_of(&all, &new_a)), "{store}");
    }
    assert_eq!(contents(&a).await, contents(&r).await);
    assert_eq!(contents(&b).await, contents(&r).await);
    for c in [&a, &b, &r] {
        cleanup(c).await.unwrap();
    }
}
