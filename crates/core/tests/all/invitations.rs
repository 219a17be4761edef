//! Invitations and the participant portal, against the real engine and a loopback SMTP
//! server.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex,
};

use axum::{body::Body, http::Request};
use bson::doc;
use eventhub_core::{
    events::{self, EventInput},
    invitations::{self, LinkProblem, SendOptions, SendProgress},
    mail::{Mailer, Security, SmtpSettings},
    participants::{self, InvitationStatus, ParticipantInput, RsvpStatus},
    portal,
    testing::{cleanup, fresh_core, SmtpSink},
    Core,
};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

async fn event(core: &Core, capacity: Option<u32>) -> String {
    let mut input: EventInput = events::input_from_json(json!({
        "title": "Journée Écoresponsable",
        "status": "published",
        "starts_at": "2027-04-15T07:00:00Z",
        "ends_at": "2027-04-15T16:00:00Z",
        "venue": { "name": "Halle Tony Garnier", "address": "Lyon" },
    }))
    .unwrap();
    input.capacity = capacity;
    events::create(core, input).await.unwrap().id
}

async fn person(core: &Core, event_id: &str, name: &str, email: &str) -> String {
    participants::create(
        core,
        event_id,
        ParticipantInput {
            name: name.into(),
            email: email.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

fn smtp(port: u16) -> Mailer {
    Mailer::new(
        &SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: Security::None,
            username: String::new(),
            from_email: "events@eventhub.test".into(),
            from_name: "EventHub".into(),
        },
        None,
    )
    .unwrap()
}

fn opts() -> SendOptions {
    SendOptions {
        base_url: "http://portal.test:8787".into(),
        per_minute: 0,
        ..Default::default()
    }
}

#[tokio::test]
async fn tokens_are_stored_hashed_replaced_and_expire() {
    let core = fresh_core("inv_tokens").await;
    let ev = event(&core, None).await;
    let id = person(&core, &ev, "Ann", "ann@example.org").await;
    let token = invitations::issue_token(&core, &id, None).await.unwrap();
    assert!(token.len() >= 43, "at least 256 bits in base64url");
    let p = participants::get(&core, &id).await.unwrap();
    let stored = p.invitation.token_hash.clone().unwrap();
    assert!(invitations::looks_like_hash(&stored));
    assert_ne!(stored, token, "the token itself is never stored");
    let raw = core
        .db()
        .collection::<bson::Document>("participants")
        .find_one(doc! {"_id": &id})
        .await
        .unwrap()
        .unwrap();
    assert!(!format!("{raw:?}").contains(&token));
    assert_eq!(
        invitations::participant_by_token(&core, &token)
            .await
            .unwrap()
            .unwrap()
            .id,
        id
    );

    let newer = invitations::issue_token(&core, &id, None).await.unwrap();
    assert_eq!(
        invitations::participant_by_token(&core, &token)
            .await
            .unwrap()
            .unwrap_err(),
        LinkProblem::Unknown
    );
    assert!(invitations::participant_by_token(&core, &newer)
        .await
        .unwrap()
        .is_ok());

    let expired = invitations::issue_token(&core, &id, Some(chrono::Duration::seconds(-1)))
        .await
        .unwrap();
    assert_eq!(
        invitations::participant_by_token(&core, &expired)
            .await
            .unwrap()
            .unwrap_err(),
        LinkProblem::Expired
    );
    assert_eq!(
        invitations::participant_by_token(&core, "short")
            .await
            .unwrap()
            .unwrap_err(),
        LinkProblem::Unknown
    );
    cleanup(&core).await.unwrap();
}

fn link_in(raw: &[u8]) -> String {
    let parsed = mailparse::parse_mail(raw).unwrap();
    let text = parsed.subparts[0].get_body().unwrap();
    let start = text
        .find("http://portal.test:8787/r/")
        .expect("a personal link in the text part");
    text[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn a_campaign_sends_each_invitation_once_with_a_working_link() {
    let core = fresh_core("inv_campaign").await;
    let ev = event(&core, None).await;
    let mut ids = vec![];
    for (n, e) in [
        ("Ann", "ann@example.org"),
        ("Bob", "bob@example.org"),
        ("Zoé", "zoe@example.org"),
    ] {
        ids.push(person(&core, &ev, n, e).await);
    }
    // One was being sent when the app was closed: it must not be sent again.
    core.db()
        .collection::<bson::Document>("participants")
        .update_one(
            doc! { "_id": &ids[2] },
            doc! { "$set": { "invitation.status": "sending" } },
        )
        .await
        .unwrap();
    assert_eq!(
        invitations::queue(&core, &ev, None, false).await.unwrap(),
        2
    );
    assert_eq!(
        invitations::queue(&core, &ev, None, false).await.unwrap(),
        0,
        "queueing twice adds nothing"
    );

    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path());
    let seen = Mutex::new(Vec::<SendProgress>::new());
    let cancel = AtomicBool::new(false);
    let done = invitations::send_queued(
        &core,
        &ev,
        &smtp(sink.port),
        &opts(),
        &|p| seen.lock().unwrap().push(p.clone()),
        &cancel,
    )
    .await
    .unwrap();
    assert_eq!((done.total, done.sent, done.failed), (2, 2, 0));
    assert!(
        seen.lock().unwrap().len() >= 3,
        "progress after each message"
    );

    let msgs = tokio::task::spawn_blocking(move || sink.wait_for(2))
        .await
        .unwrap();
    assert_eq!(msgs.len(), 2);
    for raw in &msgs {
        let url = link_in(raw);
        let token = url.rsplit('/').next().unwrap();
        let p = invitations::participant_by_token(&core, token)
            .await
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(raw).contains(&p.email_norm));
        assert_eq!(p.invitation.status, InvitationStatus::Sent);
    }
    let interrupted = participants::get(&core, &ids[2]).await.unwrap();
    assert_eq!(interrupted.invitation.status, InvitationStatus::Failed);
    assert_eq!(
        interrupted.invitation.last_error.as_deref(),
        Some(invitations::INTERRUPTED)
    );

    // Re-sending is explicit.
    assert_eq!(
        invitations::queue(&core, &ev, Some(&ids[2..]), true)
            .await
            .unwrap(),
        1
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn an_unreachable_server_means_retry_later_then_failure() {
    let core = fresh_core("inv_retry").await;
    let ev = event(&core, None).await;
    let id = person(&core, &ev, "Ann", "ann@example.org").await;
    invitations::queue(&core, &ev, None, false).await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cancel = AtomicBool::new(false);
    let mut o = opts();
    o.max_attempts = 2;
    let r = invitations::send_queued(&core, &ev, &smtp(port), &o, &|_| {}, &cancel)
        .await
        .unwrap();
    assert_eq!((r.sent, r.retrying, r.failed), (0, 1, 0));
    let p = participants::get(&core, &id).await.unwrap();
    assert_eq!(p.invitation.status, InvitationStatus::Queued);
    assert_eq!(p.invitation.attempts, 1);
    assert!(p.invitation.last_error.is_some());

    // Not due yet: a second run sends nothing.
    let r = invitations::send_queued(&core, &ev, &smtp(port), &o, &|_| {}, &cancel)
        .await
        .unwrap();
    assert_eq!(r.total, 0);
    // Make it due: the last attempt fails for good.
    core.db()
        .collection::<bson::Document>("participants")
        .update_one(
            doc! { "_id": &id },
            doc! { "$unset": { "invitation.next_attempt_at": "" } },
        )
        .await
        .unwrap();
    let r = invitations::send_queued(&core, &ev, &smtp(port), &o, &|_| {}, &cancel)
        .await
        .unwrap();
    assert_eq!(r.failed, 1);
    assert_eq!(
        participants::get(&core, &id)
            .await
            .unwrap()
            .invitation
            .status,
        InvitationStatus::Failed
    );

    // Cancelled before starting: nothing is claimed.
    invitations::queue(&core, &ev, None, true).await.unwrap();
    cancel.store(true, Ordering::Relaxed);
    let r = invitations::send_queued(&core, &ev, &smtp(port), &o, &|_| {}, &cancel)
        .await
        .unwrap();
    assert!(r.cancelled);
    assert_eq!(
        participants::get(&core, &id)
            .await
            .unwrap()
            .invitation
            .status,
        InvitationStatus::Queued
    );
    cleanup(&core).await.unwrap();
}

async fn call(app: &axum::Router, method: &str, uri: &str, form: Option<&str>) -> (u16, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("accept-language", "fr-FR,fr;q=0.9");
    let body = match form {
        Some(f) => {
            req = req.header("content-type", "application/x-www-form-urlencoded");
            Body::from(f.to_owned())
        }
        None => Body::empty(),
    };
    let res = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn the_portal_takes_answers_and_refuses_bad_links_clearly() {
    let core = fresh_core("portal").await;
    let ev = event(&core, Some(1)).await;
    let a = person(&core, &ev, "<script>alert(1)</script>", "ann@example.org").await;
    let b = person(&core, &ev, "Bob", "bob@example.org").await;
    let ta = invitations::issue_token(&core, &a, None).await.unwrap();
    let tb = invitations::issue_token(&core, &b, None).await.unwrap();
    let app = portal::router(core.clone());

    let (s, html) = call(&app, "GET", &format!("/r/{ta}"), None).await;
    assert_eq!(s, 200);
    assert!(html.contains("Journée Écoresponsable"));
    assert!(html.contains("&lt;script&gt;"), "names are escaped");
    assert!(!html.contains("<script>alert"));
    assert_eq!(
        participants::get(&core, &a)
            .await
            .unwrap()
            .invitation
            .status,
        InvitationStatus::Opened
    );

    let (s, html) = call(&app, "POST", &format!("/r/{ta}"), Some("answer=accepted")).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Inscrit(e)"));
    assert_eq!(
        participants::get(&core, &a).await.unwrap().status,
        RsvpStatus::Accepted
    );

    // The only seat is taken: Bob goes to the waitlist.
    let (s, html) = call(&app, "POST", &format!("/r/{tb}"), Some("answer=accepted")).await;
    assert_eq!(s, 200);
    assert!(html.contains("liste d'attente"), "{html}");
    assert_eq!(
        participants::get(&core, &b).await.unwrap().status,
        RsvpStatus::Waitlisted
    );

    // Ann declines: Bob is promoted automatically.
    let (s, _) = call(&app, "POST", &format!("/r/{ta}"), Some("answer=declined")).await;
    assert_eq!(s, 200);
    assert_eq!(
        participants::get(&core, &b).await.unwrap().status,
        RsvpStatus::Accepted
    );
    let trail = participants::audit_trail(&core, &a).await.unwrap();
    assert!(
        trail.iter().any(|t| t.actor == "invitee:ann@example.org"),
        "who answered is audited"
    );

    for (method, uri, form, expected) in [
        (
            "GET",
            "/r/not-a-real-token-at-all-000000000000".to_owned(),
            None,
            404,
        ),
        ("GET", "/r/x".to_owned(), None, 404),
        ("POST", format!("/r/{tb}"), Some("answer=maybe"), 400),
        ("POST", format!("/r/{tb}"), Some("%%%garbage"), 400),
        ("POST", format!("/r/{tb}"), None, 400),
        ("GET", "/nothing/here".to_owned(), None, 404),
    ] {
        let (s, html) = call(&app, method, &uri, form).await;
        assert_eq!(s, expected, "{method} {uri} {form:?}: {html}");
        assert!(html.contains("<html"), "a page, not a stack trace");
    }
    let expired = invitations::issue_token(&core, &b, Some(chrono::Duration::seconds(-5)))
        .await
        .unwrap();
    assert_eq!(
        call(&app, "GET", &format!("/r/{expired}"), None).await.0,
        410
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn the_event_link_registers_people_once() {
    let core = fresh_core("portal_register").await;
    let ev = event(&core, None).await;
    let token = invitations::issue_event_link(&core, &ev).await.unwrap();
    // A kiosk at the venue: registrations take effect without an e-mail confirmation.
    invitations::settings::update(
        &core,
        &ev,
        &invitations::settings::SettingsPatch {
            confirm_email: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let app = portal::router(core.clone());
    let (s, html) = call(&app, "GET", &format!("/e/{token}"), None).await;
    assert_eq!(s, 200);
    assert!(html.contains("<form"));
    let (s, html) = call(
        &app,
        "POST",
        &format!("/e/{token}"),
        Some("name=Chlo%C3%A9&email=Chloe%40Example.org"),
    )
    .await;
    assert_eq!(s, 200, "{html}");
    let page = participants::list(&core, &ev, &Default::default())
        .await
        .unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].status, RsvpStatus::Accepted);
    let (s, html) = call(
        &app,
        "POST",
        &format!("/e/{token}"),
        Some("name=Chlo%C3%A9&email=chloe%40example.org"),
    )
    .await;
    // Registering again changes nothing and answers like a registration.
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Inscrit(e)"), "{html}");
    assert_eq!(
        participants::list(&core, &ev, &Default::default())
            .await
            .unwrap()
            .total,
        1
    );
    let (s, _) = call(
        &app,
        "POST",
        &format!("/e/{token}"),
        Some("name=X&email=not-an-email"),
    )
    .await;
    assert_eq!(s, 400);
    // A new link revokes the old one.
    invitations::issue_event_link(&core, &ev).await.unwrap();
    assert_eq!(call(&app, "GET", &format!("/e/{token}"), None).await.0, 404);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn the_portal_serves_over_tcp_and_stops() {
    let core = fresh_core("portal_tcp").await;
    let handle = portal::start(core.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = handle.addr;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.ends_with("ok"));
    handle.stop().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "stopped"
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn a_scanned_badge_checks_in_once_and_only_at_its_event() {
    let core = fresh_core("badge").await;
    let ev = event(&core, None).await;
    let other = event(&core, None).await;
    let id = person(&core, &ev, "Ann", "ann@example.org").await;
    let p = participants::get(&core, &id).await.unwrap();
    let code = participants::rsvp::badge_code(&p);
    let err = participants::rsvp::check_in_by_code(&core, &other, &code)
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("code"));
    let err = participants::rsvp::check_in_by_code(&core, &ev, "https://example.org")
        .await
        .unwrap_err();
    assert!(
        err.message.contains("not an EventHub badge"),
        "{}",
        err.message
    );
    let done = participants::rsvp::check_in_by_code(&core, &ev, &format!("  {code}\n"))
        .await
        .unwrap();
    assert_eq!(done.status, RsvpStatus::CheckedIn);
    let again = participants::rsvp::check_in_by_code(&core, &ev, &code)
        .await
        .unwrap_err();
    assert_eq!(again.code, eventhub_core::Code::Conflict);
    assert!(again.message.contains("already checked in"));
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn invitees_join_sessions_within_their_capacity_from_the_portal() {
    let core = fresh_core("portal_sessions").await;
    let mut input: EventInput = events::input_from_json(json!({
        "title": "Conférence",
        "status": "published",
        "starts_at": "2027-04-15T07:00:00Z",
        "ends_at": "2027-04-15T16:00:00Z",
        "sessions": [{ "id": "ws", "title": "Atelier <b>pratique</b>", "starts_at": "2027-04-15T09:00:00Z",
                       "ends_at": "2027-04-15T10:00:00Z", "room": "Salle 2", "capacity": 1 }],
    }))
    .unwrap();
    input.capacity = None;
    let ev = events::create(&core, input).await.unwrap().id;
    let a = person(&core, &ev, "Ann", "ann@example.org").await;
    let b = person(&core, &ev, "Bob", "bob@example.org").await;
    let ta = invitations::issue_token(&core, &a, None).await.unwrap();
    let tb = invitations::issue_token(&core, &b, None).await.unwrap();
    let app = portal::router(core.clone());

    // Not accepted yet: no session list, and joining is refused clearly.
    let (_, html) = call(&app, "GET", &format!("/r/{tb}"), None).await;
    assert!(
        !html.contains("/sessions"),
        "sessions appear once the invitation is accepted"
    );
    let (s, _) = call(
        &app,
        "POST",
        &format!("/r/{tb}/sessions"),
        Some("session=ws&action=join"),
    )
    .await;
    assert_eq!(s, 400);

    for t in [&ta, &tb] {
        assert_eq!(
            call(&app, "POST", &format!("/r/{t}"), Some("answer=accepted"))
                .await
                .0,
            200
        );
    }
    let (s, html) = call(&app, "GET", &format!("/r/{ta}"), None).await;
    assert_eq!(s, 200);
    assert!(
        html.contains(&format!("action=\"/r/{ta}/sessions\"")),
        "{html}"
    );
    assert!(
        html.contains("Atelier &lt;b&gt;pratique&lt;/b&gt;"),
        "session titles are escaped"
    );

    let (s, _) = call(
        &app,
        "POST",
        &format!("/r/{ta}/sessions"),
        Some("session=ws&action=join"),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(participants::get(&core, &a).await.unwrap().sessions, ["ws"]);
    let (s, html) = call(
        &app,
        "POST",
        &format!("/r/{tb}/sessions"),
        Some("session=ws&action=join"),
    )
    .await;
    assert_eq!(s, 200, "{html}");
    assert!(
        html.contains("vous êtes sur la liste") && html.contains("Quitter la liste"),
        "the only seat is taken: Bob waits for it: {html}"
    );
    let bob = participants::get(&core, &b).await.unwrap();
    assert!(bob.sessions.is_empty());
    assert_eq!(bob.session_waitlist.len(), 1);

    // Ann leaves: her seat goes to Bob, who was waiting.
    let (s, _) = call(
        &app,
        "POST",
        &format!("/r/{ta}/sessions"),
        Some("session=ws&action=leave"),
    )
    .await;
    assert_eq!(s, 200);
    let bob = participants::get(&core, &b).await.unwrap();
    assert_eq!(
        bob.sessions,
        ["ws"],
        "the freed seat went to the waiting person"
    );
    assert!(bob.session_waitlist.is_empty());
    let (s, _) = call(
        &app,
        "POST",
        &format!("/r/{tb}/sessions"),
        Some("session=nope&action=join"),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = call(
        &app,
        "POST",
        &format!("/r/{tb}/sessions"),
        Some("session=ws&action=dance"),
    )
    .await;
    assert_eq!(s, 400);
    cleanup(&core).await.unwrap();
}
