//! The RSVP and registration pages of the portal over HTTP (tower `oneshot` and a real TCP
//! listener), against the real engine: answers, bad links, one registration per address,
//! sessions within their capacity.

use axum::{body::Body, http::Request};
use eventhub_core::{
    events::{self, EventInput},
    invitations::{self},
    participants::{self, InvitationStatus, ParticipantInput, RsvpStatus},
    testing::{cleanup, fresh_core},
    Core,
};
use eventhub_portal as portal;
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
