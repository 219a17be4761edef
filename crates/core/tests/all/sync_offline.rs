//! Offline work on two laptops meeting through a remote: derived data rebuilt after a
//! pull, seat collisions, an organiser's merge replayed on the other stores.

use bson::{doc, Document};
use eventhub_core::{
    dashboard, events, feedback, participants,
    participants::RsvpStatus,
    sync,
    testing::{cleanup, fresh_core},
    Core,
};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::sync::{contents, run};

struct Stores {
    a: Core,
    b: Core,
    r: Core,
}

async fn stores(name: &str) -> Stores {
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
    async fn done(self) {
        for c in [self.a, self.b, self.r] {
            cleanup(&c).await.unwrap();
        }
    }

    /// Everyone syncs until a whole round moves nothing (at most 4 rounds); every pass
    /// without a failure.
    async fn settle(&self) {
        for _ in 0..4 {
            let mut moved = false;
            for c in [&self.a, &self.b] {
                let r = run(c, &self.r).await;
                assert!(r.all_failures().is_empty(), "{:#?}", r.all_failures());
                moved |= r.unsettled();
            }
            if !moved {
                return;
            }
        }
        panic!("the stores did not settle in 4 rounds");
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
    let q = feedback::create_question(
        &s.a,
        &ev.id,
        feedback::input_from_json(json!({"kind": "rating", "label": {"fr": "Note"}})).unwrap(),
    )
    .await
    .unwrap();
    let q = feedback::set_status(&s.a, &q.id, feedback::QuestionStatus::Open)
        .await
        .unwrap();
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
