//! The answer tallies followed from the answers' change stream (`feedback::follow`): the
//! follower resumes from its checkpoint and counts what was written while none ran, two
//! followers of one database (two processes) never count an answer twice, and a restore
//! has every event rebuilt from its answers.

use eventhub_core::{
    dashboard, events,
    feedback::{self, follow, Answer, QuestionStatus, RawValue, Respondent},
    testing::{cleanup, fresh_core, uri},
    Core,
};
use futures_util::future::join_all;
use serde_json::json;

/// A splitmix64 sequence: the same seed replays the same answers.
struct Seq(u64);
impl Seq {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }
}

/// An event with one session, an anonymous rating of the session and an anonymous
/// single-choice poll, both open.
async fn event_with_polls(core: &Core) -> (String, Vec<feedback::Question>) {
    let ev = events::create(
        core,
        events::input_from_json(json!({
            "title": "Suivi des réponses",
            "starts_at": "2027-05-10T08:00:00Z",
            "ends_at": "2027-05-10T17:00:00Z",
            "sessions": [
                {"title": "Ouverture", "starts_at": "2027-05-10T09:00:00Z", "ends_at": "2027-05-10T10:00:00Z"}
            ]
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let s0 = ev.input.sessions[0].id.clone();
    let mut qs = vec![];
    for q in [
        json!({"kind": "rating", "label": {"fr": "Note"}, "session_id": s0, "anonymous": true}),
        json!({"kind": "single", "label": {"fr": "Repas"}, "anonymous": true,
               "choices": [{"label": {"fr": "Viande"}}, {"label": {"fr": "Poisson"}}]}),
    ] {
        let q = feedback::create_question(core, &ev.id, feedback::input_from_json(q).unwrap())
            .await
            .unwrap();
        qs.push(
            feedback::set_status(core, &q.id, QuestionStatus::Open)
                .await
                .unwrap(),
        );
    }
    (ev.id, qs)
}

fn value(rng: &mut Seq, q: &feedback::Question) -> RawValue {
    if q.input.kind == feedback::QuestionKind::Single {
        RawValue::Text(q.input.choices[rng.below(2) as usize].id.clone())
    } else {
        RawValue::Number((1 + rng.below(5)) as f64)
    }
}

async fn assert_exact(core: &Core, event: &str, step: &str) {
    let diff = dashboard::check(core, event).await.unwrap();
    assert!(diff.is_empty(), "{step}: {diff:?}");
}

async fn total(core: &Core, event: &str) -> i64 {
    dashboard::event_dashboard(core, event, false)
        .await
        .unwrap()
        .total_answers
}

/// Answers inserted while no follower runs (the app closed, or died, before counting them)
/// are counted by the next follower, from the checkpoint, exactly once.
#[tokio::test]
async fn the_next_follower_counts_what_was_written_while_none_ran() {
    let a = fresh_core("tally_follower_resume").await;
    if !feedback::counters::followed(&a) {
        eprintln!("skipped: the tallies are written with the answers on this server");
        return;
    }
    let (ev, qs) = event_with_polls(&a).await;
    let mut rng = Seq(7);
    for i in 0..10 {
        for q in &qs {
            let v = value(&mut rng, q);
            feedback::answer(&a, q, &Respondent::Device(format!("phone-{i}")), &v)
                .await
                .unwrap();
        }
    }
    assert_exact(&a, &ev, "followed answers").await;
    assert_eq!(total(&a, &ev).await, 20);

    // The follower stops; answers arrive behind it (as written by a process that died
    // before its follower counted them).
    follow::stop(&a).await;
    let now = chrono::Utc::now();
    let behind: Vec<Answer> = (0..15)
        .map(|i| {
            let q = &qs[i % 2];
            Answer {
                id: format!("behind-{i}"),
                event_id: ev.clone(),
                session_id: q.input.session_id.clone(),
                question_id: q.id.clone(),
                kind: q.input.kind,
                respondent: format!("anon:late-{i}"),
                participant_id: None,
                num: (i % 2 == 0).then_some(1 + (i as i32 % 5)),
                choices: if i % 2 == 1 {
                    vec![q.input.choices[0].id.clone()]
                } else {
                    vec![]
                },
                text: None,
                version: 1,
                created_at: now,
                updated_at: now,
                updated_by: "anonymous".into(),
            }
        })
        .collect();
    feedback::answers(&a).insert_many(&behind).await.unwrap();
    let counted = feedback::counters::tallies(&a)
        .count_documents(bson::doc! { "event_id": &ev, "t": "q", "n": 10 })
        .await
        .unwrap();
    assert_eq!(counted, 2, "nothing counted the answers written behind");

    // Another process opens the database: its follower resumes from the checkpoint.
    let b = Core::connect(&uri(), &a.info().database).await.unwrap();
    follow::settle(&b).await.unwrap();
    assert_eq!(total(&b, &ev).await, 35);
    assert_exact(&b, &ev, "after the resume").await;
    // Settling again counts nothing twice.
    follow::settle(&a).await.unwrap();
    assert_eq!(total(&a, &ev).await, 35);
    follow::stop(&b).await;
    cleanup(&a).await.unwrap();
}

/// Two processes answer for one database at once, each with its follower: every answer is
/// counted once (each follower's checkpoint write is conditional; the one that falls
/// behind reloads it). Seeded; replay with `EVENTHUB_FOLLOW_SEED=<seed>`.
#[tokio::test]
async fn two_followers_of_one_database_count_each_answer_once() {
    let seed: u64 = std::env::var("EVENTHUB_FOLLOW_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_201);
    eprintln!("two followers: seed {seed} (replay: EVENTHUB_FOLLOW_SEED={seed})");
    let a = fresh_core("tally_follower_two").await;
    if !feedback::counters::followed(&a) {
        eprintln!("skipped: the tallies are written with the answers on this server");
        return;
    }
    let b = Core::connect(&uri(), &a.info().database).await.unwrap();
    let (ev, qs) = event_with_polls(&a).await;
    let mut rng = Seq(seed);
    let mut written = 0;
    for round in 0..3 {
        let mut calls = vec![];
        for i in 0..40 {
            for q in &qs {
                // Some phones answer twice at once, through both processes.
                let times = 1 + rng.below(3) / 2;
                for _ in 0..times {
                    let core = if rng.below(2) == 0 {
                        a.clone()
                    } else {
                        b.clone()
                    };
                    let (q, v) = (q.clone(), value(&mut rng, q));
                    let who = Respondent::Device(format!("r{round}-p{i}"));
                    calls.push(async move { feedback::answer(&core, &q, &who, &v).await });
                }
            }
        }
        for r in join_all(calls).await {
            r.unwrap();
        }
        written += 80;
        follow::settle(&a).await.unwrap();
        follow::settle(&b).await.unwrap();
        assert_eq!(total(&a, &ev).await, written, "seed {seed}, round {round}");
        assert_exact(&b, &ev, &format!("seed {seed}, round {round}")).await;
    }
    follow::stop(&b).await;
    cleanup(&a).await.unwrap();
}

/// A restore brings answers the follower must not count over the restored tallies: every
/// event is rebuilt from its answers, and answers after the restore are followed again.
#[tokio::test]
async fn a_restore_has_the_tallies_rebuilt_and_followed_again() {
    use eventhub_core::backup;
    let a = fresh_core("tally_follower_restore").await;
    let (ev, qs) = event_with_polls(&a).await;
    let mut rng = Seq(11);
    for i in 0..6 {
        let v = value(&mut rng, &qs[0]);
        feedback::answer(&a, &qs[0], &Respondent::Device(format!("p{i}")), &v)
            .await
            .unwrap();
    }
    assert_exact(&a, &ev, "before the backup").await;
    let dir = std::env::temp_dir().join(format!("eh-follow-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("store.ehbackup");
    backup::backup(&a, &file, &|_| {}).await.unwrap();
    backup::restore(&a, &file, true, &|_| {}).await.unwrap();
    assert_exact(&a, &ev, "after the restore").await;
    assert_eq!(total(&a, &ev).await, 6);
    let v = value(&mut rng, &qs[1]);
    feedback::answer(&a, &qs[1], &Respondent::Device("p0".into()), &v)
        .await
        .unwrap();
    assert_exact(&a, &ev, "an answer after the restore").await;
    assert_eq!(total(&a, &ev).await, 7);
    std::fs::remove_dir_all(&dir).ok();
    cleanup(&a).await.unwrap();
}
