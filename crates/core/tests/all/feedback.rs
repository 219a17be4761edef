//! Feedback against a real server: questions, open/closed polls, one answer per
//! respondent (unique index, upsert).

use eventhub_core::{
    events,
    feedback::{self, QuestionInput, QuestionStatus, RawValue, Respondent},
    testing::{cleanup, fresh_core},
    Code, Core,
};
use serde_json::json;

async fn event(core: &Core) -> events::Event {
    events::create(
        core,
        events::input_from_json(json!({
            "title": "Forum Numérique",
            "status": "published",
            "starts_at": "2027-05-10T08:00:00Z",
            "ends_at": "2027-05-10T17:00:00Z",
            "sessions": [{"title": "Keynote", "starts_at": "2027-05-10T09:00:00Z", "ends_at": "2027-05-10T10:00:00Z", "capacity": 100}]
        }))
        .unwrap(),
    )
    .await
    .unwrap()
}

fn input(v: serde_json::Value) -> QuestionInput {
    feedback::input_from_json(v).unwrap()
}

#[tokio::test]
async fn one_answer_per_respondent_and_only_while_open() {
    let core = fresh_core("feedback_unique").await;
    let ev = event(&core).await;
    let q = feedback::create_question(&core, &ev.id, input(json!({"kind": "rating", "label": {"fr": "Note"}, "session_id": ev.input.sessions[0].id, "anonymous": true}))).await.unwrap();
    let alice = Respondent::Device("device-aaaaaaaaaaaaaaaa".into());
    // Draft: refused.
    let e = feedback::answer(&core, &q, &alice, &RawValue::Number(4.0))
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::Conflict);
    let q = feedback::set_status(&core, &q.id, QuestionStatus::Open)
        .await
        .unwrap();
    let a1 = feedback::answer(&core, &q, &alice, &RawValue::Number(4.0))
        .await
        .unwrap();
    let a2 = feedback::answer(&core, &q, &alice, &RawValue::Number(2.0))
        .await
        .unwrap();
    assert_eq!(a1.id, a2.id, "a resubmission updates the same answer");
    assert_eq!(a2.num, Some(2));
    assert_eq!(a2.version, 2);
    assert_eq!(
        a2.session_id.as_deref(),
        Some(ev.input.sessions[0].id.as_str())
    );
    // Concurrent first answers of one person: still one document.
    let bob = Respondent::Device("device-bbbbbbbbbbbbbbbb".into());
    let vals: Vec<RawValue> = (1..=5).map(|v| RawValue::Number(f64::from(v))).collect();
    let futs: Vec<_> = vals
        .iter()
        .map(|v| feedback::answer(&core, &q, &bob, v))
        .collect();
    for r in futures_util::future::join_all(futs).await {
        r.unwrap();
    }
    let n = feedback::answers(&core)
        .count_documents(bson::doc! { "question_id": &q.id })
        .await
        .unwrap();
    assert_eq!(n, 2);
    // The server itself refuses a second document for the same (question, respondent).
    let mut dup = a2.clone();
    dup.id = "another".into();
    let e: eventhub_core::Error = feedback::answers(&core)
        .insert_one(&dup)
        .await
        .unwrap_err()
        .into();
    assert_eq!(e.code, Code::Duplicate);
    // Out of range, closed.
    let e = feedback::answer(&core, &q, &alice, &RawValue::Number(6.0))
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("value"));
    let q = feedback::set_status(&core, &q.id, QuestionStatus::Closed)
        .await
        .unwrap();
    assert_eq!(
        feedback::answer(&core, &q, &alice, &RawValue::Number(3.0))
            .await
            .unwrap_err()
            .code,
        Code::Conflict
    );
    let listed = feedback::list_questions(&core, &ev.id).await.unwrap();
    assert_eq!(listed[0].answers, 2);
    // Not a session of the event.
    let e = feedback::create_question(
        &core,
        &ev.id,
        input(json!({"kind": "nps", "label": {"en": "NPS"}, "session_id": "nope"})),
    )
    .await
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("session_id"));
    cleanup(&core).await.unwrap();
}

/// First answers arriving together are inserted in one shared command: one refused by the
/// server (here the schema's 200-character bound on the respondent) fails alone, a
/// respondent's double tap becomes one answer and a change, and everything written is
/// counted exactly.
#[tokio::test]
async fn answers_inserted_together_fail_alone_and_are_counted_exactly() {
    let core = fresh_core("feedback_batch").await;
    let ev = event(&core).await;
    let q = feedback::create_question(&core, &ev.id, input(json!({"kind": "single", "label": {"fr": "Choix"}, "session_id": ev.input.sessions[0].id, "choices": [{"label": {"fr": "A"}}, {"label": {"fr": "B"}}]}))).await.unwrap();
    let q = feedback::set_status(&core, &q.id, QuestionStatus::Open)
        .await
        .unwrap();
    let mut who: Vec<(Respondent, RawValue)> = (0..30)
        .map(|i| {
            (
                Respondent::Participant(format!("participant-{i:02}")),
                RawValue::Text(format!("c{}", 1 + i % 2)),
            )
        })
        .collect();
    // Refused by the server's schema (the app checks device ids, not participant ids).
    let too_long = Respondent::Participant("x".repeat(250));
    who.insert(7, (too_long.clone(), RawValue::Text("c1".into())));
    // A double tap: the same person twice at once, two different choices.
    let tap = Respondent::Participant("participant-03".into());
    who.insert(20, (tap.clone(), RawValue::Text("c2".into())));
    let results =
        futures_util::future::join_all(who.iter().map(|(r, v)| feedback::answer(&core, &q, r, v)))
            .await;
    for ((r, _), res) in who.iter().zip(&results) {
        if *r == too_long {
            assert_eq!(res.as_ref().unwrap_err().code, Code::Validation);
        } else {
            assert!(res.is_ok(), "{r:?}: {res:?}");
        }
    }
    let stored = feedback::answers(&core)
        .count_documents(bson::doc! { "question_id": &q.id })
        .await
        .unwrap();
    assert_eq!(
        stored, 30,
        "one answer per respondent, the refused one not stored"
    );
    let tapped = feedback::answers(&core)
        .find_one(bson::doc! { "question_id": &q.id, "respondent": tap.key() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tapped.version, 2, "the second tap changed the first");
    let diff = eventhub_core::dashboard::check(&core, &ev.id)
        .await
        .unwrap();
    assert!(diff.is_empty(), "{diff:?}");
    cleanup(&core).await.unwrap();
}
