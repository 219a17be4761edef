//! Offline work on two laptops meeting through a remote: derived data rebuilt after a
//! pull, seat collisions, an organiser's merge replayed on the other stores.

use bson::{doc, Document};
use eventhub_core::{
    dashboard, events, feedback, participants, participants::RsvpStatus, sync, Core,
};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::sync::{contents, open_rating, run, stores, Stores};

impl Stores {
    /// Everyone syncs until a whole round moves nothing (at most 4 rounds); every pass
    /// without a failure.
    async fn settle(&self) {
        let mut last = vec![];
        for _ in 0..4 {
            last.clear();
            for c in [&self.a, &self.b] {
                let r = run(c, &self.r).await;
                assert!(r.all_failures().is_empty(), "{:#?}", r.all_failures());
                if r.unsettled() {
                    last.extend(r.collections.into_iter().filter(|c| {
                        c.pushed + c.pulled + c.merged + c.deferred > 0 || !c.duplicates.is_empty()
                    }));
                }
            }
            if last.is_empty() {
                return;
            }
        }
        panic!("the stores did not settle in 4 rounds: {last:#?}");
    }
}

fn no_failures(r: &sync::SyncReport) {
    assert!(r.all_failures().is_empty(), "{:#?}", r.all_failures());
}

async fn person(core: &Core, ev: &str, name: &str, status: RsvpStatus) -> String {
    let p = participants::create(
        core,
        ev,
        participants::ParticipantInput {
            name: name.into(),
            email: format!("{}@exemple.fr", name.to_lowercase()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    participants::set_status(core, &p.id, None, status)
        .await
        .unwrap();
    p.id
}

async fn shared_event(s: &Stores, title: &str) -> events::Event {
    let ev = events::create(
        &s.a,
        events::input_from_json(json!({
            "title": title,
            "starts_at": "2027-06-01T07:00:00Z",
            "ends_at": "2027-06-01T16:00:00Z",
            "capacity": 100,
            "seating": [{ "room": "Amphi", "layout": { "kind": "grid", "rows": 2, "seats_per_row": 3 } }],
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    ev
}

/// Answers given on laptop A reach laptop B, whose dashboard already had its tallies:
/// they are rebuilt for that event, and the tallies agree with the pipelines on both.
#[tokio::test]
async fn answers_pulled_by_a_sync_show_in_the_dashboard_counters() {
    let s = stores("sync_tallies").await;
    let ev = shared_event(&s, "Tallies").await;
    let mut people = vec![];
    for n in ["Ann", "Bob", "Cleo", "Dan"] {
        people.push(person(&s.a, &ev.id, n, RsvpStatus::Accepted).await);
    }
    let q = open_rating(&s.a, &ev.id).await;
    s.settle().await;

    // B answers for Dan and looks at its dashboard: its tallies are built and trusted.
    let dan = feedback::Respondent::Participant(people[3].clone());
    feedback::answer(&s.b, &q, &dan, &feedback::RawValue::Number(1.0))
        .await
        .unwrap();
    let before = dashboard::event_dashboard(&s.b, &ev.id, false)
        .await
        .unwrap();
    assert_eq!(before.total_answers, 1);
    assert!(dashboard::check(&s.b, &ev.id).await.unwrap().is_empty());

    // Offline on A: three answers, one of them changed afterwards.
    for (i, p) in people[..3].iter().enumerate() {
        let who = feedback::Respondent::Participant(p.clone());
        feedback::answer(&s.a, &q, &who, &feedback::RawValue::Number(3.0 + i as f64))
            .await
            .unwrap();
    }
    let ann = feedback::Respondent::Participant(people[0].clone());
    feedback::answer(&s.a, &q, &ann, &feedback::RawValue::Number(5.0))
        .await
        .unwrap();

    s.settle().await;
    for (name, core) in [("A", &s.a), ("B", &s.b)] {
        let m = dashboard::check(core, &ev.id).await.unwrap();
        assert!(
            m.is_empty(),
            "{name}: tallies differ from the answers: {m:#?}"
        );
        let d = dashboard::event_dashboard(core, &ev.id, false)
            .await
            .unwrap();
        assert_eq!(d.total_answers, 4, "{name}");
        assert_eq!(d.respondents, 4, "{name}");
    }
    assert_eq!(contents(&s.a).await, contents(&s.b).await);
    s.done().await;
}

async fn seat_of(core: &Core, id: &str) -> Option<String> {
    participants::get(core, id)
        .await
        .unwrap()
        .seat
        .map(|s| s.label)
}

/// Two laptops give seat A1 to two people offline (Ann first, then Bob), and Cleo two
/// different seats: whichever laptop syncs first, Ann keeps A1 everywhere, Bob is
/// unseated with a conflict saying so, Cleo's two seats wait for the user; no pass fails.
#[tokio::test]
async fn two_people_seated_on_one_seat_offline_settle_on_the_earlier_one() {
    for a_first in [true, false] {
        let s = stores(if a_first {
            "sync_seat_ab"
        } else {
            "sync_seat_ba"
        })
        .await;
        let ev = shared_event(&s, "Seats").await;
        let plan = ev.input.seating[0].id.clone();
        let ann = person(&s.a, &ev.id, "Ann", RsvpStatus::Accepted).await;
        let bob = person(&s.a, &ev.id, "Bob", RsvpStatus::Accepted).await;
        let cleo = person(&s.a, &ev.id, "Cleo", RsvpStatus::Accepted).await;
        s.settle().await;

        participants::seating::assign(&s.a, &ann, &plan, "A1")
            .await
            .unwrap();
        participants::seating::assign(&s.a, &cleo, &plan, "A2")
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        participants::seating::assign(&s.b, &bob, &plan, "A1")
            .await
            .unwrap();
        participants::seating::assign(&s.b, &cleo, &plan, "A3")
            .await
            .unwrap();

        let (first, second) = if a_first { (&s.a, &s.b) } else { (&s.b, &s.a) };
        no_failures(&run(first, &s.r).await);
        no_failures(&run(second, &s.r).await);
        s.settle().await;

        for (name, core) in [("A", &s.a), ("B", &s.b), ("remote", &s.r)] {
            assert_eq!(seat_of(core, &ann).await.as_deref(), Some("A1"), "{name}");
            assert_eq!(seat_of(core, &bob).await, None, "{name}");
        }
        // Identical stores but for Cleo, whose two seats wait for the user.
        let but_cleo = |v: Vec<(String, String, String)>| {
            v.into_iter()
                .filter(|(_, id, _)| !id.contains(&cleo))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            but_cleo(contents(&s.a).await),
            but_cleo(contents(&s.r).await)
        );
        assert_eq!(
            but_cleo(contents(&s.b).await),
            but_cleo(contents(&s.r).await)
        );
        let mut all = sync::conflicts(&s.a).await.unwrap();
        all.extend(sync::conflicts(&s.b).await.unwrap());
        let lost: Vec<&sync::Conflict> = all
            .iter()
            .filter(|c| c.doc_id == bob && c.fields.iter().any(|f| f.field == "seat"))
            .collect();
        assert_eq!(lost.len(), 1, "a_first {a_first}: {all:#?}");
        assert_eq!(lost[0].label, "Bob");
        assert!(
            lost[0].fields[0]
                .local
                .as_ref()
                .is_some_and(|v| v.to_string().contains("A1")),
            "{lost:#?}"
        );
        // Cleo given two seats: an ordinary conflict on her seat, nothing overwritten.
        assert!(
            all.iter().any(|c| c.doc_id == cleo),
            "a_first {a_first}: {all:#?}"
        );
        assert_eq!(seat_of(&s.a, &cleo).await.as_deref(), Some("A2"));
        assert_eq!(seat_of(&s.b, &cleo).await.as_deref(), Some("A3"));

        // Acknowledging Bob's lost seat changes nothing more and leaves nothing to fail.
        let (holder, c) = if sync::conflicts(&s.a)
            .await
            .unwrap()
            .iter()
            .any(|c| c.id == lost[0].id)
        {
            (&s.a, lost[0].clone())
        } else {
            (&s.b, lost[0].clone())
        };
        let choices = [("seat".to_owned(), sync::Choice::Local)]
            .into_iter()
            .collect();
        sync::resolve(holder, &s.r, &c.id, &choices).await.unwrap();
        s.settle().await;
        for core in [&s.a, &s.b, &s.r] {
            assert_eq!(seat_of(core, &bob).await, None);
            assert_eq!(seat_of(core, &ann).await.as_deref(), Some("A1"));
        }
        s.done().await;
    }
}

/// Every answer of every store, as (respondent, number).
async fn answers(core: &Core) -> Vec<(String, i64)> {
    let docs: Vec<Document> = feedback::answers(core)
        .clone_with_type::<Document>()
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut v: Vec<(String, i64)> = docs
        .iter()
        .map(|d| {
            (
                d.get_str("respondent").unwrap_or_default().to_owned(),
                d.get("num")
                    .and_then(|n| n.as_i32().map(i64::from).or_else(|| n.as_i64()))
                    .unwrap_or(-1),
            )
        })
        .collect();
    v.sort();
    v
}

/// The organiser merges two records of one person on laptop A while laptop B, offline,
/// recorded the other record's RSVP and an answer: after the syncs, in either order, every
/// store holds the survivor only, with B's answer moved to it, and no pass fails.
#[tokio::test]
async fn an_organisers_merge_replays_on_every_store() {
    for a_first in [true, false] {
        let s = stores(if a_first {
            "sync_merge_ab"
        } else {
            "sync_merge_ba"
        })
        .await;
        let ev = shared_event(&s, "Merge").await;
        let keep = person(&s.a, &ev.id, "Ann", RsvpStatus::Accepted).await;
        let other = person(&s.a, &ev.id, "Annie", RsvpStatus::Invited).await;
        let q1 = feedback::create_question(
            &s.a,
            &ev.id,
            feedback::input_from_json(json!({"kind": "rating", "label": {"fr": "Accueil"}}))
                .unwrap(),
        )
        .await
        .unwrap();
        let q1 = feedback::set_status(&s.a, &q1.id, feedback::QuestionStatus::Open)
            .await
            .unwrap();
        let q2 = feedback::create_question(
            &s.a,
            &ev.id,
            feedback::input_from_json(json!({"kind": "rating", "label": {"fr": "Repas"}})).unwrap(),
        )
        .await
        .unwrap();
        let q2 = feedback::set_status(&s.a, &q2.id, feedback::QuestionStatus::Open)
            .await
            .unwrap();
        // Before anyone goes offline: Annie answered q1 (on A).
        let annie = feedback::Respondent::Participant(other.clone());
        feedback::answer(&s.a, &q1, &annie, &feedback::RawValue::Number(2.0))
            .await
            .unwrap();
        s.settle().await;

        // Offline on B: Annie accepts and answers q2.
        participants::set_status(&s.b, &other, None, RsvpStatus::Accepted)
            .await
            .unwrap();
        feedback::answer(&s.b, &q2, &annie, &feedback::RawValue::Number(4.0))
            .await
            .unwrap();
        // Offline on A: the organiser merges Annie into Ann.
        let rep = participants::merge(&s.a, &keep, &other).await.unwrap();
        assert_eq!(rep.answers_moved, 1);

        let (first, second) = if a_first { (&s.a, &s.b) } else { (&s.b, &s.a) };
        no_failures(&run(first, &s.r).await);
        no_failures(&run(second, &s.r).await);
        s.settle().await;

        for (name, core) in [("A", &s.a), ("B", &s.b), ("remote", &s.r)] {
            let raw = participants::schema::PARTICIPANTS;
            let d = core
                .db()
                .collection::<Document>(raw)
                .find_one(doc! { "_id": &other })
                .await
                .unwrap()
                .unwrap();
            assert_eq!(d.get_str("merged_into").ok(), Some(keep.as_str()), "{name}");
            assert!(
                d.get_datetime("deleted_at").is_ok(),
                "{name} (a_first {a_first}): the merged record is still live: {d:?}"
            );
            assert_eq!(
                answers(core).await,
                vec![(keep.clone(), 2), (keep.clone(), 4)],
                "{name} (a_first {a_first})"
            );
            let m = dashboard::check(core, &ev.id).await.unwrap();
            assert!(m.is_empty(), "{name}: {m:#?}");
        }
        assert_eq!(
            contents(&s.a).await,
            contents(&s.r).await,
            "a_first {a_first}"
        );
        assert_eq!(
            contents(&s.b).await,
            contents(&s.r).await,
            "a_first {a_first}"
        );
        s.done().await;
    }
}

/// An answer whose key was rewritten on one store only (moved to another respondent, as a
/// merge does) is the same document on both: the newer version wins by its `_id` instead
/// of two inserts refused forever.
#[tokio::test]
async fn a_keyed_document_rewritten_on_one_side_converges_by_its_id() {
    let s = stores("sync_rekey").await;
    let ev = shared_event(&s, "Rekey").await;
    let ann = person(&s.a, &ev.id, "Ann", RsvpStatus::Accepted).await;
    let bob = person(&s.a, &ev.id, "Bob", RsvpStatus::Accepted).await;
    let q = open_rating(&s.a, &ev.id).await;
    let who = feedback::Respondent::Participant(ann.clone());
    let a = feedback::answer(&s.a, &q, &who, &feedback::RawValue::Number(3.0))
        .await
        .unwrap();
    s.settle().await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    feedback::answers(&s.a)
        .update_one(
            doc! { "_id": &a.id },
            eventhub_core::db::stamp(
                &s.a,
                doc! { "$set": { "respondent": &bob, "participant_id": &bob } },
                chrono::Utc::now(),
            ),
        )
        .await
        .unwrap();
    s.settle().await;
    for (name, core) in [("A", &s.a), ("B", &s.b), ("remote", &s.r)] {
        assert_eq!(answers(core).await, vec![(bob.clone(), 3)], "{name}");
    }
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    assert_eq!(contents(&s.b).await, contents(&s.r).await);
    s.done().await;
}

/// A seat freed by the app on one laptop and given again elsewhere comes back to that
/// laptop. B seats Ann on A1 and Bob on A2, A receives them; on A, Ann stops coming (her
/// seat freed by the RSVP) and Bob moves to A3; then on B Ann comes after all and gets A1
/// back, and Cleo takes A2. The sync writes these new versions on A, taking seats the
/// app's own updates freed there: every pass succeeds and every store ends with the same
/// seats (soak seeds 1796089873901294408 and 1796089964053321114: on SecantusDB a unique
/// value a document held since its insert stays claimed after an update moves it away,
/// and the sync's delete + insert giving it back, to that person or another, was refused
/// at every pass).
#[tokio::test]
async fn a_seat_freed_by_the_app_and_given_again_elsewhere_syncs_back() {
    let s = stores("sync_seat_again").await;
    let ev = shared_event(&s, "Sièges").await;
    let plan = ev.input.seating[0].id.clone();
    let ann = person(&s.a, &ev.id, "Ann", RsvpStatus::Accepted).await;
    let bob = person(&s.a, &ev.id, "Bob", RsvpStatus::Accepted).await;
    let cleo = person(&s.a, &ev.id, "Cleo", RsvpStatus::Accepted).await;
    s.settle().await;
    for (p, seat) in [(&ann, "A1"), (&bob, "A2")] {
        participants::seating::assign(&s.b, p, &plan, seat)
            .await
            .unwrap();
    }
    s.settle().await;
    assert_eq!(seat_of(&s.a, &bob).await.as_deref(), Some("A2"));

    // On A, through the app: Ann is no longer sure (her seat is freed), Bob moves.
    participants::set_status(&s.a, &ann, None, RsvpStatus::Tentative)
        .await
        .unwrap();
    participants::seating::assign(&s.a, &bob, &plan, "A3")
        .await
        .unwrap();
    s.settle().await;
    assert_eq!(seat_of(&s.b, &ann).await, None);

    // On B: Ann comes after all and gets her seat back; Cleo takes Bob's old seat.
    participants::set_status(&s.b, &ann, None, RsvpStatus::Accepted)
        .await
        .unwrap();
    for (p, seat) in [(&ann, "A1"), (&cleo, "A2")] {
        participants::seating::assign(&s.b, p, &plan, seat)
            .await
            .unwrap();
    }
    s.settle().await;
    for (name, core) in [("A", &s.a), ("B", &s.b), ("remote", &s.r)] {
        assert_eq!(seat_of(core, &ann).await.as_deref(), Some("A1"), "{name}");
        assert_eq!(seat_of(core, &bob).await.as_deref(), Some("A3"), "{name}");
        assert_eq!(seat_of(core, &cleo).await.as_deref(), Some("A2"), "{name}");
    }
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    assert_eq!(contents(&s.b).await, contents(&s.r).await);
    s.done().await;
}

/// Two chained organiser's merges on laptop A (Zoé into Xavier, then Xavier into Yann)
/// while laptop B gave Zoé a networking profile: the profile ends on Yann, the one person
/// left, on every store, whatever the order in which each store learns of the two merges
/// (soak seed 1796092531737676624: it was moved to Xavier, already merged away, and that
/// stale copy was refused, conflicted and never settled).
#[tokio::test]
async fn a_profile_follows_two_chained_merges_to_the_last_survivor() {
    use eventhub_core::networking;
    let s = stores("sync_chained_merges").await;
    let ev = shared_event(&s, "Chaîne").await;
    let xavier = person(&s.a, &ev.id, "Xavier", RsvpStatus::Accepted).await;
    let yann = person(&s.a, &ev.id, "Yann", RsvpStatus::Accepted).await;
    let zoe = person(&s.a, &ev.id, "Zoe", RsvpStatus::Accepted).await;
    s.settle().await;

    // B: Zoé's profile, synced. A, offline: Zoé is Xavier, and Xavier is Yann.
    let input = networking::ProfileInput {
        opted_in: true,
        company: "Acme".into(),
        ..Default::default()
    };
    let profile = networking::save_profile(&s.b, &zoe, input).await.unwrap();
    no_failures(&run(&s.b, &s.r).await);
    participants::merge(&s.a, &xavier, &zoe).await.unwrap();
    participants::merge(&s.a, &yann, &xavier).await.unwrap();
    s.settle().await;

    for (name, core) in [("A", &s.a), ("B", &s.b), ("remote", &s.r)] {
        let p = networking::profile(core, &yann).await.unwrap();
        assert_eq!(
            p.as_ref()
                .map(|p| (p.id.as_str(), p.input.company.as_str())),
            Some((profile.id.as_str(), "Acme")),
            "{name}"
        );
        for gone in [&xavier, &zoe] {
            assert!(
                networking::profile(core, gone).await.unwrap().is_none(),
                "{name}"
            );
        }
    }
    assert!(sync::conflicts(&s.a).await.unwrap().is_empty());
    assert!(sync::conflicts(&s.b).await.unwrap().is_empty());
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    assert_eq!(contents(&s.b).await, contents(&s.r).await);
    s.done().await;
}

/// Xavier's profile is edited on both laptops (a conflict on B), then B's organiser merges
/// Xavier into Yann, who has a profile: Xavier's is deleted on B. The conflict has nothing
/// left to choose on B: resolving it closes it (nothing written without an id: soak seed
/// 1796092531737676624 wrote a document the schema refused), and the stores settle with
/// one profile for Yann and none for Xavier.
#[tokio::test]
async fn a_conflict_on_a_profile_deleted_by_a_merge_is_closed() {
    use eventhub_core::networking;
    let s = stores("sync_conflict_merged_profile").await;
    let ev = shared_event(&s, "Profils").await;
    let xavier = person(&s.a, &ev.id, "Xavier", RsvpStatus::Accepted).await;
    let yann = person(&s.a, &ev.id, "Yann", RsvpStatus::Accepted).await;
    let company = |c: &str| networking::ProfileInput {
        opted_in: true,
        company: c.into(),
        ..Default::default()
    };
    let px = networking::save_profile(&s.a, &xavier, company("Acme"))
        .await
        .unwrap();
    networking::save_profile(&s.a, &yann, company("Globex"))
        .await
        .unwrap();
    s.settle().await;
    networking::save_profile(&s.a, &xavier, company("Initech"))
        .await
        .unwrap();
    networking::save_profile(&s.b, &xavier, company("Umbrella"))
        .await
        .unwrap();
    no_failures(&run(&s.a, &s.r).await);
    no_failures(&run(&s.b, &s.r).await);
    let open = sync::conflicts(&s.b).await.unwrap();
    let c = open
        .iter()
        .find(|c| c.doc_id == px.id)
        .expect("a conflict on Xavier's profile");

    participants::merge(&s.b, &yann, &xavier).await.unwrap();
    let choices = [("company".to_owned(), sync::Choice::Remote)]
        .into_iter()
        .collect();
    let e = sync::resolve(&s.b, &s.r, &c.id, &choices)
        .await
        .unwrap_err();
    assert_eq!(e.code, eventhub_core::Code::NotFound, "{e:?}");
    assert!(sync::conflicts(&s.b)
        .await
        .unwrap()
        .iter()
        .all(|o| o.doc_id != px.id));
    s.settle().await;
    for (name, core) in [("A", &s.a), ("B", &s.b), ("remote", &s.r)] {
        assert!(
            networking::profile(core, &xavier).await.unwrap().is_none(),
            "{name}"
        );
        assert!(
            networking::profile(core, &yann).await.unwrap().is_some(),
            "{name}"
        );
    }
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    assert_eq!(contents(&s.b).await, contents(&s.r).await);
    s.done().await;
}

/// A newcomer given, on B, the seat Ann left on A: B seats Ann on A1 (A receives her),
/// Ann stops coming on A (the RSVP frees A1 there), and B seats Dan, new, on A1. A
/// receives Dan as a new document holding the seat the app freed there: every pass
/// succeeds and every store has Dan on A1.
#[tokio::test]
async fn a_newcomer_on_a_seat_freed_by_the_app_syncs_in() {
    let s = stores("sync_seat_newcomer").await;
    let ev = shared_event(&s, "Sièges").await;
    let plan = ev.input.seating[0].id.clone();
    let ann = person(&s.a, &ev.id, "Ann", RsvpStatus::Accepted).await;
    s.settle().await;
    participants::seating::assign(&s.b, &ann, &plan, "A1")
        .await
        .unwrap();
    s.settle().await;
    participants::set_status(&s.a, &ann, None, RsvpStatus::Tentative)
        .await
        .unwrap();
    s.settle().await;
    let dan = person(&s.b, &ev.id, "Dan", RsvpStatus::Accepted).await;
    participants::seating::assign(&s.b, &dan, &plan, "A1")
        .await
        .unwrap();
    s.settle().await;
    for (name, core) in [("A", &s.a), ("B", &s.b), ("remote", &s.r)] {
        assert_eq!(seat_of(core, &dan).await.as_deref(), Some("A1"), "{name}");
        assert_eq!(seat_of(core, &ann).await, None, "{name}");
    }
    assert_eq!(contents(&s.a).await, contents(&s.r).await);
    s.done().await;
}
