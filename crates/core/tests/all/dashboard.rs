//! Dashboard pipelines on known data (exact figures), the cross-event overview, the CSV
//! export and the live watch (change stream and polling fallback) delivering a change.

use std::time::Duration;

use eventhub_core::{
    dashboard::{self, live},
    events,
    feedback::{self, QuestionStatus, RawValue, Respondent},
    participants::{self, ParticipantInput, RsvpStatus},
    testing::{cleanup, fresh_core},
    Core,
};
use serde_json::json;

async fn setup(core: &Core) -> (events::Event, Vec<String>) {
    let ev = events::create(
        core,
        events::input_from_json(json!({
            "title": "Rencontres 2027",
            "starts_at": "2027-05-10T08:00:00Z",
            "ends_at": "2027-05-10T17:00:00Z",
            "capacity": 100,
            "sessions": [
                {"title": "Ouverture", "starts_at": "2027-05-10T09:00:00Z", "ends_at": "2027-05-10T10:00:00Z", "capacity": 4},
                {"title": "Atelier", "starts_at": "2027-05-10T10:00:00Z", "ends_at": "2027-05-10T11:00:00Z", "capacity": 10}
            ]
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let mut ids = vec![];
    for i in 0..6 {
        let p = participants::create(
            core,
            &ev.id,
            ParticipantInput {
                name: format!("P{i}"),
                email: format!("p{i}@example.org"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        ids.push(p.id);
    }
    // 6 invited: 4 accept, of whom 2 check in; 1 declines.
    for id in &ids[0..4] {
        participants::set_status(core, id, None, RsvpStatus::Accepted)
            .await
            .unwrap();
    }
    for id in &ids[0..2] {
        participants::check_in(core, id).await.unwrap();
    }
    participants::set_status(core, &ids[4], None, RsvpStatus::Declined)
        .await
        .unwrap();
    (ev, ids)
}

async fn poll(core: &Core, ev: &str, v: serde_json::Value) -> feedback::Question {
    let q = feedback::create_question(core, ev, feedback::input_from_json(v).unwrap())
        .await
        .unwrap();
    feedback::set_status(core, &q.id, QuestionStatus::Open)
        .await
        .unwrap()
}

async fn ans(core: &Core, q: &feedback::Question, who: &str, v: RawValue) {
    feedback::answer(core, q, &Respondent::Participant(who.into()), &v)
        .await
        .unwrap();
}

#[tokio::test]
async fn pipelines_give_exact_figures() {
    let core = fresh_core("dashboard_exact").await;
    let (ev, p) = setup(&core).await;
    let s1 = ev.input.sessions[0].id.clone();
    let r1 = poll(
        &core,
        &ev.id,
        json!({"kind": "rating", "label": {"fr": "Note ouverture"}, "session_id": s1}),
    )
    .await;
    let nps = poll(
        &core,
        &ev.id,
        json!({"kind": "nps", "label": {"fr": "NPS"}, "mode": "survey"}),
    )
    .await;
    let single = poll(&core, &ev.id, json!({"kind": "single", "label": {"fr": "Repas", "en": "Meal"}, "choices": [{"id": "veg", "label": {"fr": "Végé", "en": "Veggie"}}, {"id": "fish", "label": {"fr": "Poisson"}}]})).await;
    let multi = poll(&core, &ev.id, json!({"kind": "multiple", "label": {"fr": "Sujets"}, "choices": [{"id": "a", "label": {"fr": "A"}}, {"id": "b", "label": {"fr": "B"}}, {"id": "c", "label": {"fr": "C"}}]})).await;
    let text = poll(
        &core,
        &ev.id,
        json!({"kind": "text", "label": {"fr": "Commentaire"}}),
    )
    .await;
    // Ratings of session 1: 5, 4, 3 (the first person changes 1 → 5: counted once).
    ans(&core, &r1, &p[0], RawValue::Number(1.0)).await;
    ans(&core, &r1, &p[0], RawValue::Number(5.0)).await;
    ans(&core, &r1, &p[1], RawValue::Number(4.0)).await;
    ans(&core, &r1, &p[2], RawValue::Number(3.0)).await;
    // NPS: 10, 9 promoters; 8 passive; 3, 0 detractors → (2 − 2) / 5 = 0; then one more 10 → 16.7.
    for (who, v) in [(0, 10.0), (1, 9.0), (2, 8.0), (3, 3.0), (4, 0.0), (5, 10.0)] {
        ans(&core, &nps, &p[who], RawValue::Number(v)).await;
    }
    ans(&core, &single, &p[0], RawValue::Text("veg".into())).await;
    ans(&core, &single, &p[1], RawValue::Text("veg".into())).await;
    ans(&core, &single, &p[2], RawValue::Text("fish".into())).await;
    ans(
        &core,
        &multi,
        &p[0],
        RawValue::List(vec!["a".into(), "b".into()]),
    )
    .await;
    ans(&core, &multi, &p[1], RawValue::List(vec!["b".into()])).await;
    ans(
        &core,
        &text,
        &p[0],
        RawValue::Text("Très bien, <merci>".into()),
    )
    .await;

    let d = dashboard::event_dashboard(&core, &ev.id, false)
        .await
        .unwrap();
    assert_eq!(
        (
            d.funnel.invited,
            d.funnel.accepted,
            d.funnel.checked_in,
            d.funnel.declined
        ),
        (6, 4, 2, 1)
    );
    assert_eq!(d.funnel.acceptance_rate, 0.67);
    assert_eq!(d.funnel.show_rate, 0.5);
    let s = &d.sessions[0];
    assert_eq!(
        (s.attendees, s.ratings, s.avg_rating, s.fill_rate),
        (3, 3, Some(4.0), Some(0.75))
    );
    assert_eq!(
        (d.sessions[1].attendees, d.sessions[1].avg_rating),
        (0, None)
    );
    assert_eq!(
        (
            d.nps.promoters,
            d.nps.passives,
            d.nps.detractors,
            d.nps.total
        ),
        (3, 1, 2, 6)
    );
    assert_eq!(d.nps.score, 16.7);
    let dist = |id: &str| {
        d.distributions
            .iter()
            .find(|x| x.question_id == id)
            .unwrap()
    };
    let counts = |id: &str| dist(id).buckets.iter().map(|b| b.count).collect::<Vec<_>>();
    assert_eq!(counts(&r1.id), vec![0, 0, 1, 1, 1]);
    assert_eq!(dist(&r1.id).average, Some(4.0));
    assert_eq!(counts(&single.id), vec![2, 1]);
    assert_eq!(dist(&single.id).buckets[0].label, "Végé");
    assert_eq!(
        (counts(&multi.id), dist(&multi.id).answers),
        (vec![1, 2, 0], 2)
    );
    assert_eq!(counts(&nps.id).len(), 11);
    assert_eq!(d.texts.len(), 1);
    assert_eq!(d.texts[0].text, "Très bien, <merci>");
    assert_eq!((d.total_answers, d.respondents), (15, 6));
    assert_eq!(d.timeline.iter().map(|t| t.answers).sum::<i64>(), 15);
    assert_eq!(d.timeline.iter().map(|t| t.check_ins).sum::<i64>(), 2);
    let en = dashboard::event_dashboard(&core, &ev.id, true)
        .await
        .unwrap();
    assert_eq!(
        en.distributions
            .iter()
            .find(|x| x.question_id == single.id)
            .unwrap()
            .label,
        "Meal"
    );

    let csv = dashboard::export::csv(&d);
    assert!(csv.contains("funnel,invited,,,6\r\n"), "{csv}");
    assert!(csv.contains("nps,score,,16.7,6"));
    assert!(csv.contains("\"Très bien, <merci>\""));

    // Cross-event overview: a second, empty event side by side.
    let other = events::create(&core, events::input_from_json(json!({"title": "Autre", "starts_at": "2027-01-10T08:00:00Z", "ends_at": "2027-01-10T12:00:00Z"})).unwrap()).await.unwrap();
    let o = dashboard::overview(&core, 10).await.unwrap();
    assert_eq!(o.len(), 2);
    assert_eq!(o[0].event_id, ev.id, "most recent first");
    assert_eq!(
        (o[0].funnel.invited, o[0].answers, o[0].avg_rating, o[0].nps),
        (6, 15, Some(4.0), Some(16.7))
    );
    assert_eq!(
        (o[1].event_id.as_str(), o[1].answers, o[1].nps),
        (other.id.as_str(), 0, None)
    );

    // Every dashboard pipeline uses an index.
    for x in dashboard::explain(&core, &ev.id).await.unwrap() {
        assert!(
            !x.stats.is_collscan(),
            "{} scans the collection: {:?}",
            x.name,
            x.stats
        );
    }
    cleanup(&core).await.unwrap();
}

async fn live_delivers(polling: bool) {
    let core = fresh_core(if polling {
        "dashboard_live_poll"
    } else {
        "dashboard_live_cs"
    })
    .await;
    let (ev, p) = setup(&core).await;
    let q = poll(
        &core,
        &ev.id,
        json!({"kind": "rating", "label": {"fr": "Note"}}),
    )
    .await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let w = live::watch_using(&core, &ev.id, polling, move |c| {
        let _ = tx.send(c);
    })
    .await
    .unwrap();
    assert_eq!(w.mode, if polling { "polling" } else { "change_stream" });
    ans(&core, &q, &p[0], RawValue::Number(5.0)).await;
    let c = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a change arrives")
        .unwrap();
    assert!(c.answers >= 1, "{c:?}");
    participants::check_in(&core, &p[2]).await.unwrap();
    let mut seen = false;
    while let Ok(Some(c)) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        if c.participants >= 1 {
            seen = true;
            break;
        }
    }
    assert!(seen, "a check-in is reported");
    w.stop();
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn live_watch_reports_answers_and_check_ins_with_change_streams() {
    live_delivers(false).await;
}

#[tokio::test]
async fn live_watch_reports_answers_and_check_ins_by_polling() {
    live_delivers(true).await;
}

/// A live refresh from change-stream notifications gives exactly what a full refresh gives:
/// new answers and resubmissions on every kind of question, a new respondent, a check-in.
#[tokio::test]
async fn live_refresh_of_what_changed_equals_a_full_refresh() {
    let core = fresh_core("dashboard_live_refresh").await;
    if !core.caps().change_streams {
        eprintln!("skipped: no change streams on this server");
        return;
    }
    let (ev, p) = setup(&core).await;
    let s0 = ev.input.sessions[0].id.clone();
    let s1 = ev.input.sessions[1].id.clone();
    let rate0 = poll(
        &core,
        &ev.id,
        json!({"kind": "rating", "label": {"fr": "Note ouverture"}, "session_id": s0}),
    )
    .await;
    let rate1 = poll(
        &core,
        &ev.id,
        json!({"kind": "rating", "label": {"fr": "Note atelier"}, "session_id": s1}),
    )
    .await;
    let nps = poll(
        &core,
        &ev.id,
        json!({"kind": "nps", "label": {"fr": "Recommanderiez-vous ?"}}),
    )
    .await;
    let single = poll(&core, &ev.id, json!({"kind": "single", "label": {"fr": "Repas"}, "choices": [{"label": {"fr": "Viande"}}, {"label": {"fr": "Poisson"}}]})).await;
    let multi = poll(&core, &ev.id, json!({"kind": "multiple", "label": {"fr": "Thèmes"}, "choices": [{"label": {"fr": "IA"}}, {"label": {"fr": "Data"}}, {"label": {"fr": "Web"}}]})).await;
    let text = poll(
        &core,
        &ev.id,
        json!({"kind": "text", "label": {"fr": "Un mot ?"}}),
    )
    .await;
    let c = |q: &feedback::Question, i: usize| q.input.choices[i].id.clone();
    ans(&core, &rate0, &p[0], RawValue::Number(4.0)).await;
    ans(&core, &rate1, &p[1], RawValue::Number(2.0)).await;
    ans(&core, &nps, &p[0], RawValue::Number(9.0)).await;
    ans(&core, &single, &p[1], RawValue::Text(c(&single, 0))).await;
    ans(
        &core,
        &multi,
        &p[0],
        RawValue::List(vec![c(&multi, 0), c(&multi, 2)]),
    )
    .await;
    ans(&core, &text, &p[0], RawValue::Text("Très bien".into())).await;
    feedback::follow::settle(&core).await.unwrap();
    let before = dashboard::event_dashboard(&core, &ev.id, false)
        .await
        .unwrap();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let w = live::watch(&core, &ev.id, move |c| {
        let _ = tx.send(c);
    })
    .await
    .unwrap();
    // Resubmissions, new answers by known respondents, a new respondent (p3), a check-in.
    ans(&core, &rate0, &p[0], RawValue::Number(1.0)).await;
    ans(&core, &rate0, &p[3], RawValue::Number(5.0)).await;
    ans(&core, &rate1, &p[0], RawValue::Number(5.0)).await;
    ans(&core, &nps, &p[1], RawValue::Number(3.0)).await;
    ans(&core, &single, &p[1], RawValue::Text(c(&single, 1))).await;
    ans(&core, &multi, &p[3], RawValue::List(vec![c(&multi, 1)])).await;
    ans(&core, &text, &p[1], RawValue::Text("Trop court".into())).await;
    participants::check_in(&core, &p[2]).await.unwrap();
    let writes = 7;

    let mut change = live::Change::default();
    while change.answers < writes || change.participants < 1 {
        let c = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("every change is reported")
            .unwrap();
        change.merge(c);
    }
    w.stop();
    assert!(!change.full, "{change:?}");
    assert_eq!(change.inserted, 5, "{change:?}");
    assert_eq!(change.questions.len(), 6, "{change:?}");

    // The tallies follow the answers' change stream: read them once every answer is in.
    feedback::follow::settle(&core).await.unwrap();
    let live = dashboard::refresh(&core, before.clone(), &change, false)
        .await
        .unwrap();
    let full = dashboard::event_dashboard(&core, &ev.id, false)
        .await
        .unwrap();
    let same = |mut d: dashboard::Dashboard| {
        d.generated_at = full.generated_at;
        d.took_ms = 0;
        d
    };
    assert_ne!(
        same(before),
        same(full.clone()),
        "the changes changed the figures"
    );
    assert_eq!(same(live.clone()), same(full.clone()));
    assert_eq!(live.respondents, 3);
    // A notification that overlaps what a dashboard already counted (it arrived during a
    // full refresh, or twice) changes nothing.
    let again = dashboard::refresh(&core, live.clone(), &change, false)
        .await
        .unwrap();
    assert_eq!(same(again), same(full.clone()));
    let over_full = dashboard::refresh(&core, full.clone(), &change, false)
        .await
        .unwrap();
    assert_eq!(same(over_full), same(full.clone()));
    assert_eq!(live.total_answers, 11);
    cleanup(&core).await.unwrap();
}

/// Networking connections and social mentions join the interactions over time, and reach
/// an open dashboard through the live watch: the live refresh equals a full refresh.
#[tokio::test]
async fn connections_and_mentions_join_the_timeline_live() {
    use eventhub_core::{networking, social::import};
    let core = fresh_core("dashboard_live_interactions").await;
    let (ev, p) = setup(&core).await;
    let profile = || networking::ProfileInput {
        opted_in: true,
        headline: "Engineer".into(),
        ..Default::default()
    };
    for who in &p[0..3] {
        networking::save_profile(&core, who, profile())
            .await
            .unwrap();
    }
    let first = networking::request(&core, &p[0], &p[1]).await.unwrap();
    networking::respond(&core, &p[1], &first.id, true)
        .await
        .unwrap();
    let before = dashboard::event_dashboard(&core, &ev.id, false)
        .await
        .unwrap();
    let sum = |d: &dashboard::Dashboard, f: fn(&dashboard::TimePoint) -> i64| -> i64 {
        d.timeline.iter().map(f).sum()
    };
    assert_eq!(sum(&before, |t| t.connections), 1);
    assert_eq!(sum(&before, |t| t.mentions), 0);

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let w = live::watch(&core, &ev.id, move |c| {
        let _ = tx.send(c);
    })
    .await
    .unwrap();
    // A pending request is not a connection yet; its acceptance is.
    let second = networking::request(&core, &p[2], &p[0]).await.unwrap();
    networking::respond(&core, &p[0], &second.id, true)
        .await
        .unwrap();
    let csv = "author,text,date\nana,Super #Rencontres2027,2027-05-10 09:15\nbob,Bravo !,2027-05-10 09:40\n";
    let r = import::import_bytes(
        &core,
        &ev.id,
        "mentions.csv",
        csv.as_bytes(),
        &import::ImportOptions::default(),
        &|_| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert_eq!(r.imported, 2, "{r:?}");

    let mut change = live::Change::default();
    while change.connections < 2 || change.mentions < 2 {
        let c = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("connections and posts are reported")
            .unwrap();
        change.merge(c);
    }
    w.stop();
    let live = dashboard::refresh(&core, before.clone(), &change, false)
        .await
        .unwrap();
    let full = dashboard::event_dashboard(&core, &ev.id, false)
        .await
        .unwrap();
    assert_eq!(sum(&full, |t| t.connections), 2);
    assert_eq!(sum(&full, |t| t.mentions), 2);
    let same = |mut d: dashboard::Dashboard| {
        d.generated_at = full.generated_at;
        d.took_ms = 0;
        d
    };
    assert_eq!(same(live), same(full.clone()));
    // The CSV export lists each series of the timeline.
    let out = dashboard::export::csv(&full);
    assert!(
        out.contains(",connections,,1\r\n") || out.contains(",connections,,2\r\n"),
        "{out}"
    );
    assert!(out.contains(",mentions,,1\r\n"), "{out}");
    cleanup(&core).await.unwrap();
}

/// The synthetic event of the performance figures: its answers, connections and posts are
/// all on the dashboard, in the right totals.
#[tokio::test]
async fn the_synthetic_event_fills_every_interaction_series() {
    let core = fresh_core("dashboard_synthetic").await;
    let g = dashboard::synthetic::generate(&core, 60, 7).await.unwrap();
    assert_eq!(
        (g.participants, g.questions, g.answers),
        (60, 20, 1200),
        "{g:?}"
    );
    assert_eq!((g.connections, g.posts), (12, 30), "{g:?}");
    // The seats taken follow the statuses (the generator inserts participants directly).
    let counts = participants::status_counts(&core, &g.event_id)
        .await
        .unwrap();
    let cap = participants::capacity(&core, &g.event_id, &counts)
        .await
        .unwrap();
    let seated: i64 = counts
        .iter()
        .filter(|c| matches!(c.status, RsvpStatus::Accepted | RsvpStatus::CheckedIn))
        .map(|c| c.count as i64)
        .sum();
    assert!(seated > 0);
    assert_eq!(cap.taken, seated, "{cap:?}");
    let d = dashboard::event_dashboard(&core, &g.event_id, false)
        .await
        .unwrap();
    let sum = |f: fn(&dashboard::TimePoint) -> i64| d.timeline.iter().map(f).sum::<i64>();
    assert_eq!(sum(|t| t.answers), 1200);
    assert_eq!(sum(|t| t.connections), 12);
    assert_eq!(sum(|t| t.mentions), 30);
    assert_eq!(sum(|t| t.check_ins), d.funnel.checked_in);
    assert_eq!(
        (d.bucket.as_str(), d.bucket_size),
        ("minute", 10),
        "a one-day event is bucketed by 10 minutes"
    );
    assert!(
        d.timeline
            .iter()
            .all(|p| p.at.timestamp_millis() % 600_000 == 0),
        "buckets start on whole 10 minutes"
    );
    assert!(d.timeline.len() <= 6 * 24, "{}", d.timeline.len());
    cleanup(&core).await.unwrap();
}

fn comparable(mut d: dashboard::Dashboard) -> dashboard::Dashboard {
    d.generated_at = chrono::DateTime::UNIX_EPOCH;
    d.took_ms = 0;
    d
}

/// What `dashboard live` found on the synthetic event: its answers are dated on the event
/// day (in the future), new answers are dated now. The live refresh must still count the
/// new respondent, their session and their answer, and equal a full refresh every round.
#[tokio::test]
async fn live_refresh_equals_a_full_refresh_on_the_synthetic_event() {
    let core = fresh_core("dashboard_live_synthetic").await;
    if !core.caps().change_streams {
        eprintln!("skipped: no change streams on this server");
        return;
    }
    let g = dashboard::synthetic::generate(&core, 40, 3).await.unwrap();
    let ev = &g.event_id;
    let qs = feedback::open_questions(&core, ev, true).await.unwrap();
    let rating = qs
        .iter()
        .find(|q| q.input.kind == feedback::QuestionKind::Rating)
        .unwrap();
    let single = qs
        .iter()
        .find(|q| q.input.kind == feedback::QuestionKind::Single)
        .unwrap();
    let someone = participants::list(
        &core,
        ev,
        &participants::ParticipantQuery {
            per_page: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .remove(0);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let w = live::watch(&core, ev, move |c| {
        let _ = tx.send(c);
    })
    .await
    .unwrap();
    let mut prev = dashboard::event_dashboard(&core, ev, false).await.unwrap();
    // Resubmissions that change the rating: other values than the stored one.
    let stored = feedback::answers_of(&core, ev, &Respondent::Participant(someone.id.clone()))
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.question_id == rating.id)
        .and_then(|a| a.num)
        .unwrap();
    let (v0, v2) = (f64::from(stored % 5 + 1), f64::from((stored + 1) % 5 + 1));
    for round in 0..3 {
        let before = prev.clone();
        match round {
            0 => ans(&core, rating, &someone.id, RawValue::Number(v0)).await,
            1 => {
                let p = participants::create(
                    &core,
                    ev,
                    ParticipantInput {
                        name: "Nouvelle".into(),
                        email: "nouvelle@example.org".into(),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
                let choice = RawValue::Text(single.input.choices[0].id.clone());
                ans(&core, single, &p.id, choice).await;
            }
            _ => ans(&core, rating, &someone.id, RawValue::Number(v2)).await,
        }
        let mut change = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a notification")
            .unwrap();
        while let Ok(Some(c)) = tokio::time::timeout(Duration::from_millis(600), rx.recv()).await {
            change.merge(c);
        }
        feedback::follow::settle(&core).await.unwrap();
        let live = dashboard::refresh(&core, prev, &change, false)
            .await
            .unwrap();
        let full = dashboard::event_dashboard(&core, ev, false).await.unwrap();
        assert_ne!(
            comparable(before.clone()),
            comparable(full.clone()),
            "round {round}"
        );
        assert_eq!(
            comparable(live.clone()),
            comparable(full.clone()),
            "round {round}"
        );
        if round == 1 {
            assert_eq!(full.respondents, before.respondents + 1);
            assert_eq!(full.total_answers, before.total_answers + 1);
        }
        // The reference: the pipelines over the raw answers find the same figures.
        assert!(dashboard::check(&core, ev).await.unwrap().is_empty());
        prev = live;
    }
    w.stop();
    cleanup(&core).await.unwrap();
}

/// The tallies kept with each answer write equal what the pipelines recompute from the raw
/// answers: after first answers, changed answers (rating, choices), anonymous answers and
/// an erasure; a rebuild from the raw answers gives the same.
#[tokio::test]
async fn tallies_equal_the_pipelines_after_changes_and_erasures() {
    tallies_after_changes_and_erasures(false).await;
}

/// The same where the tallies are written with each answer (a server without change
/// streams or transactions).
#[tokio::test]
async fn tallies_written_with_the_answers_equal_the_pipelines() {
    tallies_after_changes_and_erasures(true).await;
}

/// A fresh database whose tallies follow the answers' change stream where the server has
/// one (`inline`: written with each answer instead).
async fn tally_core(test: &str, inline: bool) -> Core {
    let core = fresh_core(test).await;
    if inline {
        core.with_inline_tallies()
    } else {
        assert_eq!(
            feedback::counters::followed(&core),
            core.caps().change_streams && core.caps().transactions
        );
        core
    }
}

async fn tallies_after_changes_and_erasures(inline: bool) {
    use eventhub_core::networking;
    let core = tally_core("dashboard_tallies", inline).await;
    let (ev, p) = setup(&core).await;
    let s0 = ev.input.sessions[0].id.clone();
    let s1 = ev.input.sessions[1].id.clone();
    let r0 = poll(
        &core,
        &ev.id,
        json!({"kind": "rating", "label": {"fr": "Note"}, "session_id": s0}),
    )
    .await;
    let r1 = poll(
        &core,
        &ev.id,
        json!({"kind": "rating", "label": {"fr": "Note 2"}, "session_id": s1, "anonymous": true}),
    )
    .await;
    let nps = poll(
        &core,
        &ev.id,
        json!({"kind": "nps", "label": {"fr": "NPS"}}),
    )
    .await;
    let multi = poll(&core, &ev.id, json!({"kind": "multiple", "label": {"fr": "Thèmes"}, "session_id": s0, "choices": [{"label": {"fr": "IA"}}, {"label": {"fr": "Data"}}, {"label": {"fr": "Web"}}]})).await;
    let text = poll(
        &core,
        &ev.id,
        json!({"kind": "text", "label": {"fr": "Un mot ?"}}),
    )
    .await;
    let c = |i: usize| multi.input.choices[i].id.clone();
    let check = |step: &'static str| {
        let core = core.clone();
        let id = ev.id.clone();
        async move {
            let diff = dashboard::check(&core, &id).await.unwrap();
            assert!(diff.is_empty(), "{step}: {diff:?}");
        }
    };
    check("no answers").await;
    ans(&core, &r0, &p[0], RawValue::Number(4.0)).await;
    ans(&core, &r0, &p[1], RawValue::Number(3.0)).await;
    ans(&core, &nps, &p[0], RawValue::Number(10.0)).await;
    ans(&core, &nps, &p[2], RawValue::Number(6.0)).await;
    ans(&core, &multi, &p[0], RawValue::List(vec![c(0), c(1)])).await;
    ans(&core, &text, &p[1], RawValue::Text("Bravo".into())).await;
    feedback::answer(
        &core,
        &r1,
        &Respondent::Device("phone-1".into()),
        &RawValue::Number(2.0),
    )
    .await
    .unwrap();
    check("first answers").await;
    let d = dashboard::event_dashboard(&core, &ev.id, false)
        .await
        .unwrap();
    assert_eq!((d.total_answers, d.respondents), (7, 4));
    assert_eq!(d.sessions[0].attendees, 2);
    assert_eq!(d.sessions[0].avg_rating, Some(3.5));
    assert_eq!(
        (d.nps.promoters, d.nps.detractors, d.nps.score),
        (1, 1, 0.0)
    );
    // Changed answers move between values and choices; the counts stay.
    ans(&core, &r0, &p[0], RawValue::Number(1.0)).await;
    ans(&core, &multi, &p[0], RawValue::List(vec![c(2)])).await;
    ans(&core, &nps, &p[2], RawValue::Number(9.0)).await;
    check("changed answers").await;
    let d = dashboard::event_dashboard(&core, &ev.id, false)
        .await
        .unwrap();
    assert_eq!(d.sessions[0].avg_rating, Some(2.0));
    assert_eq!(
        (d.nps.promoters, d.nps.detractors, d.nps.score),
        (2, 0, 100.0)
    );
    let m = d
        .distributions
        .iter()
        .find(|x| x.question_id == multi.id)
        .unwrap();
    assert_eq!(
        m.buckets.iter().map(|b| b.count).collect::<Vec<_>>(),
        [0, 0, 1]
    );
    // An erasure takes the person's answers out of every figure.
    networking::export::erase_data(&core, &p[0]).await.unwrap();
    check("after an erasure").await;
    let d = dashboard::event_dashboard(&core, &ev.id, false)
        .await
        .unwrap();
    assert_eq!((d.total_answers, d.respondents), (4, 3));
    assert_eq!(d.sessions[0].attendees, 1);
    // Answers written behind the app's back are caught by the check and fixed by a rebuild.
    feedback::answers(&core)
        .delete_many(bson::doc! { "respondent": &p[1] })
        .await
        .unwrap();
    assert!(!dashboard::check(&core, &ev.id).await.unwrap().is_empty());
    feedback::counters::rebuild(&core, &ev.id).await.unwrap();
    check("after a rebuild").await;
    cleanup(&core).await.unwrap();
}

/// A seeded pseudo-random sequence (splitmix64): the same seed replays the same answers.
struct Seq(u64);
impl Seq {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Answers arriving together are counted together (by the follower of the answers' change
/// stream, `feedback::follow`, one transaction per batch): rounds of concurrent first
/// answers, the same person's two first answers racing, changed answers, anonymous phones,
/// a phone whose answers are deleted and who answers again, and an erasure. After every round the tallies equal what
/// the pipelines recompute from the raw answers, and no presence count is left at zero.
/// Seeded; replay with `EVENTHUB_TALLY_SEED=<seed>`.
#[tokio::test]
async fn tallies_stay_exact_when_answers_arrive_together() {
    tallies_under_races(false).await;
}

/// The same where the tallies are written with each answer (the group commit of
/// `feedback::counters::Queue`).
#[tokio::test]
async fn tallies_written_with_the_answers_stay_exact_when_answers_arrive_together() {
    tallies_under_races(true).await;
}

async fn tallies_under_races(inline: bool) {
    use eventhub_core::networking;
    use futures_util::future::join_all;
    let seed: u64 = std::env::var("EVENTHUB_TALLY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_130);
    eprintln!("tally race: seed {seed} (replay: EVENTHUB_TALLY_SEED={seed})");
    let mut rng = Seq(seed);
    let core = tally_core("dashboard_tally_race", inline).await;
    let (ev, p) = setup(&core).await;
    let s0 = ev.input.sessions[0].id.clone();
    let s1 = ev.input.sessions[1].id.clone();
    let rating = poll(
        &core,
        &ev.id,
        json!({"kind": "rating", "label": {"fr": "Note"}, "session_id": s0, "anonymous": true}),
    )
    .await;
    let multi = poll(&core, &ev.id, json!({"kind": "multiple", "label": {"fr": "Thèmes"}, "session_id": s1, "anonymous": true, "choices": [{"label": {"fr": "IA"}}, {"label": {"fr": "Data"}}, {"label": {"fr": "Web"}}]})).await;
    let nps = poll(
        &core,
        &ev.id,
        json!({"kind": "nps", "label": {"fr": "NPS"}, "anonymous": true}),
    )
    .await;
    let polls = [&rating, &multi, &nps];
    let check = |step: String| {
        let core = core.clone();
        let id = ev.id.clone();
        async move {
            let diff = dashboard::check(&core, &id).await.unwrap();
            assert!(diff.is_empty(), "seed {seed}, {step}: {diff:?}");
            let zeros = core
                .db()
                .collection::<bson::Document>(feedback::counters::PRESENCE)
                .count_documents(bson::doc! { "n": { "$lte": 0 } })
                .await
                .unwrap();
            assert_eq!(zeros, 0, "seed {seed}, {step}: presence counts left at 0");
        }
    };
    let mut who: Vec<Respondent> = p[1..]
        .iter()
        .map(|id| Respondent::Participant(id.clone()))
        .collect();
    who.extend((0..24).map(|i| Respondent::Device(format!("phone-{i}"))));
    let value = |rng: &mut Seq, q: &feedback::Question| match q.input.kind.as_str() {
        "multiple" => RawValue::List(
            (0..3)
                .filter(|_| rng.below(2) == 0)
                .map(|i| q.input.choices[i].id.clone())
                .collect::<Vec<_>>()
                .into_iter()
                .chain(std::iter::once(q.input.choices[0].id.clone()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
        ),
        "nps" => RawValue::Number(rng.below(11) as f64),
        _ => RawValue::Number((1 + rng.below(5)) as f64),
    };
    for round in 0..4 {
        let mut calls = vec![];
        for w in &who {
            for q in polls {
                // Most answer; some answer twice at once (two first answers racing, or a
                // change racing the first one).
                let times = match rng.below(10) {
                    0..=2 => 0,
                    3..=7 => 1,
                    _ => 2,
                };
                for _ in 0..times {
                    let (core, q, w, v) =
                        (core.clone(), (*q).clone(), w.clone(), value(&mut rng, q));
                    calls.push(async move { feedback::answer(&core, &q, &w, &v).await });
                }
            }
        }
        let n = calls.len();
        for r in join_all(calls).await {
            r.unwrap();
        }
        check(format!("round {round} ({n} answers at once)")).await;
    }
    // A phone's answers deleted (read first, as an erasure does), then it answers again:
    // it is a respondent and an attendee anew.
    let phone = Respondent::Device("phone-3".into());
    let gone = feedback::counters::answers_matching(
        &core,
        bson::doc! { "event_id": &ev.id, "respondent": phone.key() },
    )
    .await
    .unwrap();
    feedback::answers(&core)
        .delete_many(bson::doc! { "event_id": &ev.id, "respondent": phone.key() })
        .await
        .unwrap();
    feedback::counters::forget(&core, &gone).await.unwrap();
    check("a phone's answers deleted".into()).await;
    let before = dashboard::event_dashboard(&core, &ev.id, false)
        .await
        .unwrap()
        .respondents;
    join_all(polls.iter().map(|q| {
        let (core, q, w) = (core.clone(), (*q).clone(), phone.clone());
        async move {
            feedback::answer(&core, &q, &w, &RawValue::Number(3.0))
                .await
                .ok()
        }
    }))
    .await;
    check("the phone answers again".into()).await;
    let d = dashboard::event_dashboard(&core, &ev.id, false)
        .await
        .unwrap();
    assert_eq!(
        d.respondents,
        before + 1,
        "seed {seed}: the phone counts again"
    );
    networking::export::erase_data(&core, &p[1]).await.unwrap();
    check("after an erasure".into()).await;
    cleanup(&core).await.unwrap();
}
