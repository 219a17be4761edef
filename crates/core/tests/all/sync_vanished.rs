//! A conflict whose document is then deleted on every store: a participant's networking
//! profile, in conflict on one laptop (its company set differently on two laptops), erased
//! by the participant on another laptop. The erasure stands everywhere, the conflict is
//! closed by the next sync (nothing is left to choose) and the stores settle; resolving
//! such a conflict writes nothing back.

use bson::{doc, Document};
use eventhub_core::{
    networking::{self, ProfileInput},
    participants,
    sync::{self, Choice},
    Code, Core,
};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::sync::{contents, run, stores, Stores};

impl Stores {
    fn all(&self) -> [(&str, &Core); 3] {
        [("A", &self.a), ("B", &self.b), ("remote", &self.r)]
    }
}

/// An event with one participant, known to A, B and the remote.
async fn setup(s: &Stores) -> String {
    let ev = eventhub_core::events::create(
        &s.a,
        eventhub_core::events::input_from_json(json!({
            "title": "Rencontres",
            "starts_at": "2027-06-01T07:00:00Z",
            "ends_at": "2027-06-01T16:00:00Z",
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let p = participants::create(
        &s.a,
        &ev.id,
        participants::ParticipantInput {
            name: "Ann".into(),
            email: "ann@x.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    run(&s.a, &s.r).await;
    run(&s.b, &s.r).await;
    p.id
}

async fn profile(core: &Core, who: &str, company: &str) -> networking::Profile {
    networking::save_profile(
        core,
        who,
        ProfileInput {
            opted_in: true,
            company: company.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// Every profile document on `core`.
async fn profiles(core: &Core) -> Vec<Document> {
    core.db()
        .collection::<Document>(networking::PROFILES)
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

fn no_failures(r: &sync::SyncReport) {
    assert!(r.all_failures().is_empty(), "{:?}", r.all_failures());
}

/// How the conflict on the profile came about.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// The participant made her profile on each laptop: the sync merged the two copies
    /// into one (the first made), the other's company in conflict.
    TwoCopies,
    /// One profile, its company changed on both laptops.
    OneProfileEditedTwice,
}

/// A profile conflict on A; returns (participant, conflict id, profile id).
async fn conflict_on_a(s: &Stores, kind: Kind) -> (String, String, String) {
    let p = setup(s).await;
    let id = match kind {
        Kind::TwoCopies => {
            let pa = profile(&s.a, &p, "Société 6").await;
            let pb = profile(&s.b, &p, "Société 19").await;
            no_failures(&run(&s.b, &s.r).await);
            let r = run(&s.a, &s.r).await;
            no_failures(&r);
            let dup = r.collections.iter().flat_map(|c| &c.duplicates);
            assert_eq!(dup.count(), 1, "{r:?}");
            let c = sync::conflicts(&s.a).await.unwrap();
            assert_eq!(c.len(), 1, "{c:?}");
            assert_eq!(c[0].doc_id, pa.id);
            assert_eq!(c[0].merged_from.as_deref(), Some(pb.id.as_str()));
            pa.id
        }
        Kind::OneProfileEditedTwice => {
            let pa = profile(&s.a, &p, "Société 1").await;
            run(&s.a, &s.r).await;
            run(&s.b, &s.r).await;
            profile(&s.a, &p, "Société 6").await;
            profile(&s.b, &p, "Société 19").await;
            no_failures(&run(&s.b, &s.r).await);
            no_failures(&run(&s.a, &s.r).await);
            let c = sync::conflicts(&s.a).await.unwrap();
            assert_eq!(c.len(), 1, "{c:?}");
            assert_eq!(c[0].doc_id, pa.id);
            assert_eq!(c[0].fields[0].field, "company");
            assert_eq!(c[0].merged_from, None);
            pa.id
        }
    };
    let c = sync::conflicts(&s.a).await.unwrap().remove(0);
    (p, c.id, id)
}

/// The situation the seeded soak found: A holds a conflict on a profile, the participant
/// erases her data on B, and the erasure reaches every store. The profile is gone
/// everywhere, A's conflict with it; the stores settle and hold the same documents.
#[tokio::test]
async fn a_conflict_on_a_profile_erased_elsewhere_is_closed_by_the_sync() {
    for kind in [Kind::TwoCopies, Kind::OneProfileEditedTwice] {
        let s = stores("sync_vanished").await;
        let (p, _, id) = conflict_on_a(&s, kind).await;

        networking::erase(&s.b, &p).await.unwrap();
        no_failures(&run(&s.b, &s.r).await);
        let r = run(&s.a, &s.r).await;
        no_failures(&r);

        for (name, core) in s.all() {
            assert_eq!(
                profiles(core).await,
                vec![],
                "{kind:?}: profile left on {name}"
            );
            let erased = core
                .db()
                .collection::<Document>(networking::ERASURES)
                .find_one(doc! { "_id": &p })
                .await
                .unwrap();
            assert!(erased.is_some(), "{kind:?}: no erasure on {name}");
        }
        assert_eq!(
            sync::conflicts(&s.a).await.unwrap(),
            vec![],
            "{kind:?}: the conflict on {id} is still offered"
        );
        // Settled: every store syncs once more, nothing moves, nothing is in conflict.
        for core in [&s.a, &s.b, &s.a] {
            let again = run(core, &s.r).await;
            assert!(!again.unsettled(), "{kind:?}: {again:?}");
            assert_eq!(again.total(|c| c.conflicts), 0, "{kind:?}: {again:?}");
        }
        for core in [&s.a, &s.b] {
            assert_eq!(sync::conflicts(core).await.unwrap(), vec![], "{kind:?}");
            assert_eq!(contents(core).await, contents(&s.r).await, "{kind:?}");
        }
        s.done().await;
    }
}

/// Resolving a conflict whose document was deleted on both sides before any sync could
/// close it (erased on the laptop and, through the portal, on the remote): refused with
/// `not_found`, the conflict closed, and nothing written back — no profile reappears.
#[tokio::test]
async fn resolving_a_conflict_whose_document_is_gone_writes_nothing() {
    for kind in [Kind::TwoCopies, Kind::OneProfileEditedTwice] {
        let s = stores("sync_vanished_resolve").await;
        let (p, conflict, _) = conflict_on_a(&s, kind).await;
        networking::erase(&s.a, &p).await.unwrap();
        networking::erase(&s.r, &p).await.unwrap();

        let choices = [("company".to_owned(), Choice::Remote)].into();
        let err = sync::resolve(&s.a, &s.r, &conflict, &choices)
            .await
            .unwrap_err();
        assert_eq!(err.code, Code::NotFound, "{kind:?}: {err:?}");
        assert_eq!(sync::conflicts(&s.a).await.unwrap(), vec![], "{kind:?}");
        for core in [&s.a, &s.r] {
            assert_eq!(
                profiles(core).await,
                vec![],
                "{kind:?}: profile written back"
            );
        }
        // The syncs carry the erasure to B and settle.
        no_failures(&run(&s.b, &s.r).await);
        no_failures(&run(&s.a, &s.r).await);
        for (name, core) in s.all() {
            assert_eq!(profiles(core).await, vec![], "{kind:?}: profile on {name}");
        }
        assert_eq!(contents(&s.a).await, contents(&s.r).await, "{kind:?}");
        assert_eq!(contents(&s.b).await, contents(&s.r).await, "{kind:?}");
        s.done().await;
    }
}
