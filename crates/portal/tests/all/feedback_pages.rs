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
    let p = participants::create(
        &core,
        &ev.id,
        participants::ParticipantInput {
            name: "Ann".into(),
            email: "ann@example.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let token = invitations::issue_token(&core, &p.id, None).await.unwrap();
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
