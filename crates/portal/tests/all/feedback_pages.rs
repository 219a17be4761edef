//! The portal's poll and survey pages over HTTP (tower `oneshot`), against the real engine:
//! one answer per respondent, escaped labels and texts, 4xx for bad input.

use axum::{body::Body, http::Request, Router};
use eventhub_core::{
    events,
    feedback::{self, QuestionInput, QuestionStatus},
    invitations, participants,
    testing::{cleanup, fresh_core},
    Core,
};
use eventhub_portal as portal;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

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

/// A participant of `event_id` and their personal link's token.
async fn invitee(
    core: &Core,
    event_id: &str,
    name: &str,
    email: &str,
) -> (participants::Participant, String) {
    let p = participants::create(
        core,
        event_id,
        participants::ParticipantInput {
            name: name.into(),
            email: email.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let token = invitations::issue_token(core, &p.id, None).await.unwrap();
    (p, token)
}

fn input(v: serde_json::Value) -> QuestionInput {
    feedback::input_from_json(v).unwrap()
}

async fn open_poll(core: &Core, ev: &events::Event, v: serde_json::Value) -> feedback::Question {
    let q = feedback::create_question(core, &ev.id, input(v))
        .await
        .unwrap();
    feedback::set_status(core, &q.id, QuestionStatus::Open)
        .await
        .unwrap()
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    ct: Option<&str>,
    body: &str,
    cookie: Option<&str>,
) -> (u16, String, Option<String>) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("accept-language", "en");
    if let Some(ct) = ct {
        req = req.header("content-type", ct);
    }
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let set = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned(), set)
}

#[tokio::test]
async fn the_portal_takes_poll_answers_and_refuses_bad_input_with_4xx() {
    let core = fresh_core("feedback_portal").await;
    let ev = event(&core).await;
    let (p, token) = invitee(&core, &ev.id, "Ann", "ann@example.org").await;
    let rating = open_poll(
        &core,
        &ev,
        json!({"kind": "rating", "label": {"fr": "Note", "en": "Rate it"}, "anonymous": true}),
    )
    .await;
    let multi = open_poll(&core, &ev, json!({"kind": "multiple", "label": {"en": "Topics"}, "choices": [{"label": {"en": "<b>AI</b>"}}, {"label": {"en": "Cloud"}}]})).await;
    let text = open_poll(
        &core,
        &ev,
        json!({"kind": "text", "label": {"en": "Comment"}, "anonymous": true, "mode": "survey"}),
    )
    .await;
    let app = portal::router(core.clone());
    let form = Some("application/x-www-form-urlencoded");
    let jsn = Some("application/json");

    // Anonymous page: sets the device cookie; the poll is shown.
    let (s, html, set) = call(&app, "GET", &format!("/p/{}", rating.id), None, "", None).await;
    assert_eq!(s, 200);
    assert!(html.contains("Rate it"));
    let cookie = set
        .expect("a device cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // Form answer, then JSON resubmission: one answer, updated.
    let (s, html, _) = call(
        &app,
        "POST",
        &format!("/p/{}", rating.id),
        form,
        "value=4",
        Some(&cookie),
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Thank you"));
    let (s, body, _) = call(
        &app,
        "POST",
        &format!("/p/{}", rating.id),
        jsn,
        r#"{"value": 5}"#,
        Some(&cookie),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let stored = feedback::answers(&core)
        .find_one(bson::doc! { "question_id": &rating.id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.num, Some(5));
    assert_eq!(
        feedback::answers(&core)
            .count_documents(bson::doc! {})
            .await
            .unwrap(),
        1
    );

    // Identified multiple choice with the token; choice labels are escaped.
    let (s, html, _) = call(
        &app,
        "GET",
        &format!("/p/{}?t={token}", multi.id),
        None,
        "",
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(html.contains("&lt;b&gt;AI&lt;/b&gt;") && !html.contains("<b>AI"));
    let (s, _, _) = call(
        &app,
        "POST",
        &format!("/p/{}?t={token}", multi.id),
        form,
        "value=c1&value=c2",
        None,
    )
    .await;
    assert_eq!(s, 200);
    let a = feedback::answers(&core)
        .find_one(bson::doc! { "question_id": &multi.id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.choices, vec!["c1", "c2"]);
    assert_eq!(a.participant_id.as_deref(), Some(p.id.as_str()));
    // Without the token: needs the personal link.
    let (s, _, _) = call(
        &app,
        "POST",
        &format!("/p/{}", multi.id),
        jsn,
        r#"{"value": ["c1"]}"#,
        Some(&cookie),
    )
    .await;
    assert_eq!(s, 403);

    // Injection in free text is stored as typed and shown escaped.
    let evil = "<script>alert('x')</script>";
    let (s, _, _) = call(
        &app,
        "POST",
        &format!("/p/{}", text.id),
        jsn,
        &json!({"value": evil}).to_string(),
        Some(&cookie),
    )
    .await;
    assert_eq!(s, 200);
    let (s, html, _) = call(
        &app,
        "GET",
        &format!("/f/{}", ev.id),
        None,
        "",
        Some(&cookie),
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        // maud escapes & < > " (a quote needs no escape in text).
        html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"));

    // Bad input: every case a 4xx, never a 500.
    let big = json!({"value": "x".repeat(feedback::MAX_TEXT + 1)}).to_string();
    let huge = format!("value={}", "y".repeat(20 * 1024));
    let cases: Vec<(String, Option<&str>, String, u16)> = vec![
        ("/p/unknown".into(), jsn, r#"{"value": 3}"#.into(), 404),
        (
            format!("/p/{}", rating.id),
            jsn,
            r#"{"value": 9}"#.into(),
            400,
        ),
        (
            format!("/p/{}", rating.id),
            jsn,
            r#"{"value": 2.5}"#.into(),
            400,
        ),
        (
            format!("/p/{}", rating.id),
            jsn,
            r#"{"value": "#.into(),
            400,
        ),
        (format!("/p/{}", rating.id), jsn, "[1]".into(), 400),
        (
            format!("/p/{}", rating.id),
            jsn,
            r#"{"value": {"a": 1}}"#.into(),
            400,
        ),
        (format!("/p/{}", rating.id), form, "value=%zz".into(), 400),
        (
            format!("/p/{}", rating.id),
            Some("text/plain"),
            "4".into(),
            400,
        ),
        (format!("/p/{}", text.id), jsn, big, 400),
        (format!("/p/{}", text.id), form, huge, 413),
        (
            format!("/p/{}?t=not-a-real-token-at-all-000000", rating.id),
            jsn,
            r#"{"value": 3}"#.into(),
            404,
        ),
    ];
    for (uri, ct, body, want) in cases {
        let (s, out, _) = call(&app, "POST", &uri, ct, &body, Some(&cookie)).await;
        assert_eq!(s, want, "{uri} {body:.40} -> {out:.200}");
    }
    feedback::set_status(&core, &rating.id, QuestionStatus::Closed)
        .await
        .unwrap();
    let (s, _, _) = call(
        &app,
        "POST",
        &format!("/p/{}", rating.id),
        jsn,
        r#"{"value": 3}"#,
        Some(&cookie),
    )
    .await;
    assert_eq!(s, 409, "closed poll");
    // The survey: a required question left empty is refused and nothing is stored.
    let req = open_poll(
        &core,
        &ev,
        json!({"kind": "nps", "label": {"en": "Recommend?"}, "required": true, "mode": "survey"}),
    )
    .await;
    let (s, html, _) = call(
        &app,
        "POST",
        &format!("/f/{}?t={token}", ev.id),
        form,
        &format!("q.{}=good", text.id),
        None,
    )
    .await;
    assert_eq!(s, 400);
    assert!(html.contains("Some answers need fixing"));
    let (s, _, _) = call(
        &app,
        "POST",
        &format!("/f/{}?t={token}", ev.id),
        form,
        &format!("q.{}=9&q.{}=Great", req.id, text.id),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        feedback::answers(&core)
            .count_documents(bson::doc! { "participant_id": &p.id })
            .await
            .unwrap(),
        3
    );
    // The survey's answers are written together; their tallies are exact.
    let diff = eventhub_core::dashboard::check(&core, &ev.id)
        .await
        .unwrap();
    assert!(diff.is_empty(), "{diff:?}");
    cleanup(&core).await.unwrap();
}

async fn answer_poll(app: &Router, poll: &str, token: &str, value: i32) -> u16 {
    answer_poll_page(app, poll, token, value).await.0
}

async fn answer_poll_page(app: &Router, poll: &str, token: &str, value: i32) -> (u16, String) {
    let (s, body, _) = call(
        app,
        "POST",
        &format!("/p/{poll}?t={token}"),
        Some("application/json"),
        &json!({ "value": value }).to_string(),
        None,
    )
    .await;
    (s, body)
}

/// The portal keeps the question, the event and its settings for a moment (one read per
/// second instead of one per answer): the organiser's changes made through this process
/// are seen at once, those of another process on the same database within that second.
#[tokio::test]
async fn the_portal_sees_the_organisers_changes_at_once() {
    let core = fresh_core("feedback_kept_reads").await;
    let now = chrono::Utc::now();
    // Over two days ago: personal links work for the grace period after the end.
    let ev = events::create(
        &core,
        events::input_from_json(json!({
            "title": "Atelier",
            "status": "published",
            "starts_at": (now - chrono::Duration::days(3)).to_rfc3339(),
            "ends_at": (now - chrono::Duration::days(2)).to_rfc3339(),
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let (_, token) = invitee(&core, &ev.id, "Ann", "ann@example.org").await;
    let poll = open_poll(
        &core,
        &ev,
        json!({"kind": "rating", "label": {"en": "Rate it"}}),
    )
    .await;
    let app = portal::router(core.clone());
    // The first answer leaves the question, the event and its settings kept.
    assert_eq!(answer_poll(&app, &poll.id, &token, 1).await, 200);

    // The poll closed in the app: refused at once; opened again: taken at once.
    feedback::set_status(&core, &poll.id, QuestionStatus::Closed)
        .await
        .unwrap();
    assert_eq!(answer_poll(&app, &poll.id, &token, 2).await, 409);
    feedback::set_status(&core, &poll.id, QuestionStatus::Open)
        .await
        .unwrap();
    assert_eq!(answer_poll(&app, &poll.id, &token, 3).await, 200);

    // The event cancelled: refused at once; published again: taken.
    let set_status = |status: events::Status| {
        let core = core.clone();
        let id = ev.id.clone();
        async move {
            let cur = events::get(&core, &id).await.unwrap();
            let mut input = cur.input.clone();
            input.status = status;
            events::update(&core, &id, cur.version, input)
                .await
                .unwrap();
        }
    };
    set_status(events::Status::Cancelled).await;
    let (s, body) = answer_poll_page(&app, &poll.id, &token, 4).await;
    assert_eq!(s, 403);
    assert!(body.contains("not open for answers"), "{body}");
    set_status(events::Status::Published).await;
    assert_eq!(answer_poll(&app, &poll.id, &token, 5).await, 200);

    // The grace period shortened to a day: the link has expired at once.
    let grace = |days: u32| {
        let core = core.clone();
        let id = ev.id.clone();
        async move {
            invitations::settings::update(
                &core,
                &id,
                &invitations::settings::SettingsPatch {
                    link_grace_days: Some(days),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
    };
    grace(1).await;
    let (s, body) = answer_poll_page(&app, &poll.id, &token, 1).await;
    assert_eq!(s, 403);
    assert!(body.contains("This link has expired"), "{body}");
    grace(7).await;
    assert_eq!(answer_poll(&app, &poll.id, &token, 4).await, 200);

    // The poll closed by another process on the same database: refused within a second.
    let other = Core::connect(
        &eventhub_core::testing::uri_of(&core),
        &core.info().database,
    )
    .await
    .unwrap();
    feedback::set_status(&other, &poll.id, QuestionStatus::Closed)
        .await
        .unwrap();
    tokio::time::sleep(feedback::lookups::TTL + std::time::Duration::from_millis(100)).await;
    assert_eq!(answer_poll(&app, &poll.id, &token, 2).await, 409);

    // What was stored: the accepted answers, as one answer changed three times.
    let a = feedback::answers(&core)
        .find_one(bson::doc! { "question_id": &poll.id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.num, a.version), (Some(4), 4));
    let diff = eventhub_core::dashboard::check(&core, &ev.id)
        .await
        .unwrap();
    assert!(diff.is_empty(), "{diff:?}");
    cleanup(&core).await.unwrap();
}

/// What an answer costs the database, counted by the engine's profiler on the test's own
/// database: its personal link is looked up every time (a revoked link stops at once), the
/// question, event and settings are read about once a second, and a first answer is one
/// insert (the tallies follow the answers' change stream).
#[tokio::test]
async fn an_answer_reads_its_link_and_is_one_insert() {
    answer_cost(false).await;
}

/// The same where the tallies are written with each answer (a server without change
/// streams): first answers arriving together share their insert.
#[tokio::test]
async fn an_answer_reads_its_link_and_shares_its_insert_without_change_streams() {
    answer_cost(true).await;
}

async fn answer_cost(inline: bool) {
    let core = fresh_core("feedback_answer_cost").await;
    let core = if inline {
        core.with_inline_tallies()
    } else {
        core
    };
    let followed = feedback::counters::followed(&core);
    let ev = event(&core).await;
    let mut tokens = vec![];
    for i in 0..40 {
        let name = format!("Phone {i}");
        let email = format!("phone{i}@example.org");
        tokens.push(invitee(&core, &ev.id, &name, &email).await.1);
    }
    let poll = open_poll(
        &core,
        &ev,
        json!({"kind": "rating", "label": {"en": "Rate it"}, "session_id": ev.input.sessions[0].id}),
    )
    .await;
    let app = portal::router(core.clone());
    core.db()
        .run_command(bson::doc! { "profile": 2 })
        .await
        .unwrap();
    let ops = |op: &'static str, coll: &'static str| {
        let core = core.clone();
        async move {
            let ns = format!("{}.{coll}", core.info().database);
            core.db()
                .collection::<bson::Document>("system.profile")
                .count_documents(bson::doc! { "op": op, "ns": ns })
                .await
                .unwrap()
        }
    };
    // One after the other.
    let started = std::time::Instant::now();
    for t in &tokens[..10] {
        assert_eq!(answer_poll(&app, &poll.id, t, 4).await, 200);
    }
    // At most one read of each kept document per second (and the first one).
    let kept_reads = 1 + started.elapsed().as_secs() + 1;
    assert_eq!(
        ops("query", "participants").await,
        10,
        "one link lookup per answer"
    );
    for coll in ["feedback_questions", "events", "portal_settings"] {
        let n = ops("query", coll).await;
        assert!(n <= kept_reads, "{n} reads of {coll} for 10 answers");
    }
    assert_eq!(ops("insert", "feedback_answers").await, 10);
    // Thirty at once: their inserts are shared.
    let codes = futures_util::future::join_all(
        tokens[10..]
            .iter()
            .map(|t| answer_poll(&app, &poll.id, t, 5)),
    )
    .await;
    assert!(codes.iter().all(|c| *c == 200), "{codes:?}");
    let inserts = ops("insert", "feedback_answers").await - 10;
    if followed {
        assert_eq!(inserts, 30, "one insert per answer");
    } else {
        assert!(
            inserts < 10,
            "{inserts} insert commands for 30 answers at once"
        );
    }
    core.db()
        .run_command(bson::doc! { "profile": 0 })
        .await
        .unwrap();
    assert_eq!(
        feedback::answers(&core)
            .count_documents(bson::doc! { "question_id": &poll.id })
            .await
            .unwrap(),
        40
    );
    let diff = eventhub_core::dashboard::check(&core, &ev.id)
        .await
        .unwrap();
    assert!(diff.is_empty(), "{diff:?}");
    cleanup(&core).await.unwrap();
}
