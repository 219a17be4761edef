//! The portal tried as an attacker and a careless invitee would, over HTTP through the real
//! router and a real database, checking what was stored: the organiser's decisions hold,
//! closed/ended/deleted events refuse every link, links expire, registrations are
//! confirmed by e-mail without telling who is known, polls cannot be stuffed, floods get
//! 429, half-sent requests are cut, and error pages leak nothing.

use std::net::SocketAddr;

use axum::{body::Body, extract::ConnectInfo, http::Request, Router};
use eventhub_core::{
    events, feedback,
    invitations::{self, settings::SettingsPatch},
    mail::{self, Security, SmtpSettings},
    participants::{self, ParticipantInput, RsvpStatus},
    testing::{cleanup, fresh_core, SmtpSink},
    Core,
};
use eventhub_portal::{self as portal, Limits, PortalConfig};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

pub struct Res {
    pub status: u16,
    pub body: String,
    pub set_cookie: Option<String>,
    pub location: String,
}

/// One request from client address `from`.
pub async fn req(
    app: &Router,
    from: &str,
    method: &str,
    uri: &str,
    form: Option<&str>,
    cookie: Option<&str>,
    lang: &str,
) -> Res {
    let mut r = Request::builder()
        .method(method)
        .uri(uri)
        .header("accept-language", lang);
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    let body = match form {
        Some(f) => {
            r = r.header("content-type", "application/x-www-form-urlencoded");
            Body::from(f.to_owned())
        }
        None => Body::empty(),
    };
    let mut request = r.body(body).unwrap();
    let peer: SocketAddr = format!("{from}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    let res = app.clone().oneshot(request).await.unwrap();
    let (set_cookie, location) = {
        let h = |k: &str| res.headers().get(k).map(|v| v.to_str().unwrap().to_owned());
        (h("set-cookie"), h("location").unwrap_or_default())
    };
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Res {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        set_cookie,
        location,
    }
}

fn open_app(core: &Core) -> Router {
    portal::router_with(
        core.clone(),
        PortalConfig {
            limits: Limits::none(),
            public_url: "https://rsvp.example.org".into(),
            ..Default::default()
        },
    )
}

async fn event(
    core: &Core,
    status: &str,
    capacity: Option<u32>,
    days_from_now: i64,
) -> events::Event {
    let start = chrono::Utc::now() + chrono::Duration::days(days_from_now);
    let mut input = events::input_from_json(json!({
        "title": "Rencontres <Lyon>",
        "starts_at": start.to_rfc3339(),
        "ends_at": (start + chrono::Duration::hours(8)).to_rfc3339(),
        "timezone": "Europe/Paris",
        "status": status,
    }))
    .unwrap();
    input.capacity = capacity;
    events::create(core, input).await.unwrap()
}

async fn person(core: &Core, ev: &str, email: &str) -> (String, String) {
    let p = participants::create(
        core,
        ev,
        ParticipantInput {
            name: email.split('@').next().unwrap().into(),
            email: email.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let t = invitations::issue_token(core, &p.id, None).await.unwrap();
    (p.id, t)
}

async fn status(core: &Core, id: &str) -> RsvpStatus {
    participants::get(core, id).await.unwrap().status
}

const IP: &str = "192.0.2.10";

#[tokio::test]
async fn the_organisers_decisions_hold_through_links() {
    let core = fresh_core("portal_rules_decisions").await;
    let ev = event(&core, "published", Some(1), 10).await;
    let app = open_app(&core);
    let (ann, ta) = person(&core, &ev.id, "ann@example.org").await;
    let (bob, tb) = person(&core, &ev.id, "bob@example.org").await;
    let (carl, tc) = person(&core, &ev.id, "carl@example.org").await;
    assert_eq!(
        req(
            &app,
            IP,
            "POST",
            &format!("/r/{ta}"),
            Some("answer=accepted"),
            None,
            "fr"
        )
        .await
        .status,
        200
    );
    assert_eq!(
        req(
            &app,
            IP,
            "POST",
            &format!("/r/{tb}"),
            Some("answer=accepted"),
            None,
            "fr"
        )
        .await
        .status,
        200
    );
    assert_eq!(status(&core, &bob).await, RsvpStatus::Waitlisted);

    // The organiser cancels Ann: Bob gets the seat; Ann's link no longer takes answers.
    participants::set_status(&core, &ann, None, RsvpStatus::Cancelled)
        .await
        .unwrap();
    assert_eq!(status(&core, &bob).await, RsvpStatus::Accepted);
    let r = req(
        &app,
        IP,
        "POST",
        &format!("/r/{ta}"),
        Some("answer=accepted"),
        None,
        "en",
    )
    .await;
    assert_eq!(r.status, 410, "{}", r.body);
    assert!(r.body.contains("organiser cancelled"), "{}", r.body);
    assert_eq!(
        status(&core, &ann).await,
        RsvpStatus::Cancelled,
        "nothing stored"
    );
    assert_eq!(
        status(&core, &bob).await,
        RsvpStatus::Accepted,
        "Bob keeps his seat"
    );
    assert_eq!(participants::rsvp::taken(&core, &ev.id).await.unwrap(), 1);
    let r = req(
        &app,
        IP,
        "POST",
        &format!("/r/{ta}/sessions"),
        Some("session=x&action=join"),
        None,
        "en",
    )
    .await;
    assert_eq!(r.status, 410);

    // Declined by the organiser: same; declined by the invitee: they may change their mind.
    participants::set_status(&core, &carl, None, RsvpStatus::Declined)
        .await
        .unwrap();
    let r = req(
        &app,
        IP,
        "POST",
        &format!("/r/{tc}"),
        Some("answer=tentative"),
        None,
        "fr",
    )
    .await;
    assert_eq!(r.status, 410);
    assert_eq!(status(&core, &carl).await, RsvpStatus::Declined);
    assert_eq!(
        req(
            &app,
            IP,
            "POST",
            &format!("/r/{tb}"),
            Some("answer=declined"),
            None,
            "fr"
        )
        .await
        .status,
        200
    );
    assert_eq!(
        req(
            &app,
            IP,
            "POST",
            &format!("/r/{tb}"),
            Some("answer=accepted"),
            None,
            "fr"
        )
        .await
        .status,
        200
    );
    assert_eq!(status(&core, &bob).await, RsvpStatus::Accepted);

    // A new link from the organiser lets Ann in again; the old one stays dead.
    let ta2 = invitations::issue_token(&core, &ann, None).await.unwrap();
    assert_eq!(
        req(&app, IP, "GET", &format!("/r/{ta2}"), None, None, "fr")
            .await
            .status,
        200
    );
    assert_eq!(
        req(&app, IP, "GET", &format!("/r/{ta}"), None, None, "fr")
            .await
            .status,
        404
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn closed_ended_and_deleted_events_refuse_every_link() {
    let core = fresh_core("portal_rules_closed").await;
    let app = open_app(&core);
    for st in ["draft", "cancelled", "archived"] {
        let ev = event(&core, st, None, 10).await;
        let (id, t) = person(&core, &ev.id, "dan@example.org").await;
        let share = invitations::issue_event_link(&core, &ev.id).await.unwrap();
        assert_eq!(
            req(&app, IP, "GET", &format!("/r/{t}"), None, None, "fr")
                .await
                .status,
            403,
            "{st}"
        );
        assert_eq!(
            req(
                &app,
                IP,
                "POST",
                &format!("/r/{t}"),
                Some("answer=accepted"),
                None,
                "fr"
            )
            .await
            .status,
            403
        );
        assert_eq!(
            status(&core, &id).await,
            RsvpStatus::Invited,
            "{st}: nothing stored"
        );
        assert_eq!(
            req(&app, IP, "GET", &format!("/e/{share}"), None, None, "fr")
                .await
                .status,
            403
        );
        let r = req(
            &app,
            IP,
            "POST",
            &format!("/e/{share}"),
            Some("name=Eve&email=eve%40example.org"),
            None,
            "fr",
        )
        .await;
        assert_eq!(r.status, 403, "{st}: {}", r.body);
        let n = participants::list(&core, &ev.id, &Default::default())
            .await
            .unwrap()
            .total;
        assert_eq!(n, 1, "{st}: nobody registered");
    }
    // Deleted: the POST answers 404 and stores nothing.
    let ev = event(&core, "published", None, 10).await;
    let (id, t) = person(&core, &ev.id, "fay@example.org").await;
    events::delete(&core, &ev.id, Some(ev.version))
        .await
        .unwrap();
    let r = req(
        &app,
        IP,
        "POST",
        &format!("/r/{t}"),
        Some("answer=accepted"),
        None,
        "fr",
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let raw = core
        .db()
        .collection::<bson::Document>("participants")
        .find_one(bson::doc! { "_id": &id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(raw.get_str("status").unwrap(), "invited", "nothing stored");

    // Ended yesterday: the page still opens (grace period), answers are refused.
    let past = event(&core, "published", None, -1).await;
    let (id, t) = person(&core, &past.id, "gus@example.org").await;
    assert_eq!(
        req(&app, IP, "GET", &format!("/r/{t}"), None, None, "fr")
            .await
            .status,
        200
    );
    let r = req(
        &app,
        IP,
        "POST",
        &format!("/r/{t}"),
        Some("answer=accepted"),
        None,
        "en",
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("This event is over"), "{}", r.body);
    assert_eq!(status(&core, &id).await, RsvpStatus::Invited);
    let share = invitations::issue_event_link(&core, &past.id)
        .await
        .unwrap();
    assert_eq!(
        req(&app, IP, "GET", &format!("/e/{share}"), None, None, "fr")
            .await
            .status,
        403
    );
    // The organiser shortens the grace period to 0 days: the link has expired.
    invitations::settings::update(
        &core,
        &past.id,
        &SettingsPatch {
            link_grace_days: Some(0),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        req(&app, IP, "GET", &format!("/r/{t}"), None, None, "fr")
            .await
            .status,
        410
    );
    // Ended 10 days ago: beyond the default 7 days.
    let old = event(&core, "published", None, -10).await;
    let (_, t) = person(&core, &old.id, "hal@example.org").await;
    assert_eq!(
        req(&app, IP, "GET", &format!("/r/{t}"), None, None, "fr")
            .await
            .status,
        410
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn registration_only_while_open() {
    let core = fresh_core("portal_rules_registration").await;
    let app = open_app(&core);
    let ev = event(&core, "published", Some(5), 10).await;
    let share = invitations::issue_event_link(&core, &ev.id).await.unwrap();
    invitations::settings::update(
        &core,
        &ev.id,
        &SettingsPatch {
            registration_open: Some(false),
            confirm_email: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let r = req(
        &app,
        IP,
        "POST",
        &format!("/e/{share}"),
        Some("name=Eve&email=eve%40example.org"),
        None,
        "en",
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Registration is closed"), "{}", r.body);
    assert_eq!(
        participants::list(&core, &ev.id, &Default::default())
            .await
            .unwrap()
            .total,
        0
    );
    invitations::settings::update(
        &core,
        &ev.id,
        &SettingsPatch {
            registration_open: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let r = req(
        &app,
        IP,
        "POST",
        &format!("/e/{share}"),
        Some("name=Eve&email=eve%40example.org"),
        None,
        "en",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        participants::list(&core, &ev.id, &Default::default())
            .await
            .unwrap()
            .total,
        1
    );
    cleanup(&core).await.unwrap();
}

async fn smtp_settings(core: &Core, port: u16) {
    mail::save_settings(
        core,
        SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: Security::None,
            username: String::new(),
            from_email: "events@eventhub.test".into(),
            from_name: "EventHub".into(),
        },
    )
    .await
    .unwrap();
}

// Several threads: the e-mails go out from background tasks while the test waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_are_confirmed_by_email_and_reveal_nobody() {
    let core = fresh_core("portal_abuse_register").await;
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path());
    smtp_settings(&core, sink.port).await;
    let ev = event(&core, "published", Some(5), 10).await;
    let share = invitations::issue_event_link(&core, &ev.id).await.unwrap();
    let (_, _) = person(&core, &ev.id, "known@example.org").await;

    // Made-up addresses take no seat; a flood from one address is cut (default limits).
    let app = portal::router_with(
        core.clone(),
        PortalConfig {
            public_url: "https://rsvp.example.org".into(),
            ..Default::default()
        },
    );
    let mut codes = vec![];
    for i in 0..8 {
        let r = req(
            &app,
            IP,
            "POST",
            &format!("/e/{share}"),
            Some(&format!("name=Bot{i}&email=bot{i}%40example.org")),
            None,
            "fr",
        )
        .await;
        codes.push(r.status);
    }
    assert!(
        codes.contains(&429),
        "a burst of registrations is limited: {codes:?}"
    );
    assert_eq!(
        participants::list(&core, &ev.id, &Default::default())
            .await
            .unwrap()
            .total,
        1,
        "no seat taken"
    );
    assert_eq!(participants::rsvp::taken(&core, &ev.id).await.unwrap(), 0);

    // The same answer for a known and an unknown address.
    let app = open_app(&core);
    let known = req(
        &app,
        "192.0.2.20",
        "POST",
        &format!("/e/{share}"),
        Some("name=Someone&email=known%40example.org"),
        None,
        "fr",
    )
    .await;
    let unknown = req(
        &app,
        "192.0.2.21",
        "POST",
        &format!("/e/{share}"),
        Some("name=Someone&email=new%40example.org"),
        None,
        "fr",
    )
    .await;
    assert_eq!(known.status, 200);
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.body, unknown.body, "no enumeration");
    assert!(!known.body.contains("known@"), "{}", known.body);

    let bots = codes.iter().filter(|c| **c == 200).count();
    let mails = sink.wait_for(bots + 2);
    let texts: Vec<String> = mails
        .iter()
        .map(|m| {
            let parsed = mailparse::parse_mail(m).unwrap();
            let to = parsed
                .headers
                .iter()
                .find(|h| h.get_key() == "To")
                .map(|h| h.get_value())
                .unwrap_or_default();
            let bodies: String = parsed
                .subparts
                .iter()
                .map(|p| p.get_body().unwrap())
                .collect();
            format!("{to}\n{bodies}")
        })
        .collect();
    let reminder = texts
        .iter()
        .find(|t| t.contains("known@example.org"))
        .expect("a reminder to the known address");
    assert!(
        !reminder.contains("/c/"),
        "no confirmation link for a known address"
    );
    let confirm_mail = texts
        .iter()
        .find(|t| t.contains("new@example.org"))
        .expect("a confirmation e-mail");
    let start = confirm_mail
        .find("https://rsvp.example.org/e/")
        .expect("the link uses the public address");
    let link: String = confirm_mail[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
        .collect();
    let path = link.trim_start_matches("https://rsvp.example.org");

    // A mail scanner's GET confirms nothing; the button does, once.
    let page = req(&app, "192.0.2.21", "GET", path, None, None, "fr").await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    assert_eq!(
        participants::list(&core, &ev.id, &Default::default())
            .await
            .unwrap()
            .total,
        1
    );
    let done = req(&app, "192.0.2.21", "POST", path, Some(""), None, "fr").await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(done.location.starts_with("/r/"));
    let list = participants::list(&core, &ev.id, &Default::default())
        .await
        .unwrap();
    assert_eq!(list.total, 2);
    let newcomer = list
        .items
        .iter()
        .find(|p| p.email_norm == "new@example.org")
        .unwrap();
    assert_eq!(newcomer.status, RsvpStatus::Accepted);
    assert_eq!(
        req(&app, "192.0.2.21", "GET", &done.location, None, None, "fr")
            .await
            .status,
        200
    );
    assert_eq!(
        req(&app, "192.0.2.21", "POST", path, Some(""), None, "fr")
            .await
            .status,
        410,
        "used once"
    );
    assert_eq!(participants::rsvp::taken(&core, &ev.id).await.unwrap(), 1);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn anonymous_polls_cannot_be_stuffed() {
    let core = fresh_core("portal_abuse_poll").await;
    let ev = event(&core, "published", None, 0).await;
    let q = feedback::create_question(
        &core,
        &ev.id,
        feedback::input_from_json(
            json!({"kind": "rating", "label": {"fr": "Note"}, "anonymous": true}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    feedback::set_status(&core, &q.id, feedback::QuestionStatus::Open)
        .await
        .unwrap();
    let app = open_app(&core);
    let stored = || async {
        feedback::answers(&core)
            .count_documents(bson::doc! { "question_id": &q.id })
            .await
            .unwrap()
    };
    // 50 cookieless POSTs, then 50 with invented cookies: nothing stored.
    let name = format!("ehd-{}", ev.id);
    for i in 0..50 {
        let r = req(
            &app,
            IP,
            "POST",
            &format!("/p/{}", q.id),
            Some("value=5"),
            None,
            "fr",
        )
        .await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.set_cookie.is_some(), "a fresh cookie to retry with");
        let forged = format!("{name}=e2e-phone-{i}-abcdefghij");
        let r = req(
            &app,
            IP,
            "POST",
            &format!("/p/{}", q.id),
            Some("value=5"),
            Some(&forged),
            "fr",
        )
        .await;
        assert_eq!(r.status, 403);
    }
    let r = req(
        &app,
        IP,
        "POST",
        &format!("/f/{}", ev.id),
        Some(&format!("q.{}=5", q.id)),
        None,
        "fr",
    )
    .await;
    assert_eq!(r.status, 403, "the survey route too");
    assert_eq!(stored().await, 0);

    // A browser: GET gives a signed cookie, its POSTs update one answer.
    let page = req(&app, IP, "GET", &format!("/p/{}", q.id), None, None, "fr").await;
    let cookie = page
        .set_cookie
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    for v in [3, 4, 5] {
        let r = req(
            &app,
            IP,
            "POST",
            &format!("/p/{}", q.id),
            Some(&format!("value={v}")),
            Some(&cookie),
            "fr",
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(stored().await, 1);
    // Tampering with the signature is refused.
    let tampered = format!("{}x", cookie);
    assert_eq!(
        req(
            &app,
            IP,
            "POST",
            &format!("/p/{}", q.id),
            Some("value=1"),
            Some(&tampered),
            "fr"
        )
        .await
        .status,
        403
    );

    // Collecting cookies by the hundred from one address is limited (default limits). Sent
    // together, so that a slow machine does not refill the allowance between them.
    let app = portal::router(core.clone());
    let path = format!("/p/{}", q.id);
    let statuses = futures_util::future::join_all(
        (0..60).map(|_| req(&app, "192.0.2.99", "GET", &path, None, None, "fr")),
    )
    .await;
    let limited = statuses.iter().filter(|r| r.status == 429).count();
    assert!(limited > 0, "fresh cookies per address are limited");
    assert_eq!(stored().await, 1);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn floods_get_429_per_address_and_per_link() {
    let core = fresh_core("portal_abuse_flood").await;
    let ev = event(&core, "published", None, 10).await;
    let (_, t) = person(&core, &ev.id, "ivy@example.org").await;
    let app = portal::router(core.clone());
    let mut codes = vec![];
    for _ in 0..300 {
        codes.push(
            req(&app, IP, "GET", "/health", None, None, "fr")
                .await
                .status,
        );
    }
    let refused = codes.iter().filter(|c| **c == 429).count();
    assert!(
        refused > 100,
        "300 requests at once from one address: {refused} refused"
    );
    assert_eq!(
        req(&app, "192.0.2.77", "GET", "/health", None, None, "fr")
            .await
            .status,
        200,
        "others still served"
    );
    let r = req(&app, IP, "GET", "/", None, None, "en").await;
    assert_eq!(r.status, 429);
    assert!(r.body.contains("Too many requests"));
    // One link hammered from many addresses.
    let mut link_codes = vec![];
    for i in 0..60 {
        link_codes.push(
            req(
                &app,
                &format!("198.51.100.{i}"),
                "GET",
                &format!("/r/{t}"),
                None,
                None,
                "fr",
            )
            .await
            .status,
        );
    }
    assert!(link_codes.contains(&429), "{link_codes:?}");
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn half_sent_requests_and_idle_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let core = fresh_core("portal_abuse_timeouts").await;
    let handle = portal::start_with(
        core.clone(),
        "127.0.0.1:0".parse().unwrap(),
        PortalConfig {
            header_timeout: std::time::Duration::from_millis(800),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let t0 = std::time::Instant::now();
    // Half a request line, then silence.
    let mut half = tokio::net::TcpStream::connect(handle.addr).await.unwrap();
    half.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Nothing at all.
    let mut idle = tokio::net::TcpStream::connect(handle.addr).await.unwrap();
    // A complete request, then the kept-alive connection stays idle.
    let mut kept = tokio::net::TcpStream::connect(handle.addr).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    for (name, s) in [
        ("half", &mut half),
        ("idle", &mut idle),
        ("kept", &mut kept),
    ] {
        let mut buf = vec![0u8; 4096];
        let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => continue,
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "{name}: the server closed the connection");
    }
    assert!(t0.elapsed() < std::time::Duration::from_secs(5));
    handle.stop().await;
    cleanup(&core).await.unwrap();
}

/// A database of our own that the test can stop and start again.
struct Engine {
    child: Option<std::process::Child>,
    dir: tempfile::TempDir,
}

impl Engine {
    fn start(port: u16, dir: tempfile::TempDir) -> Engine {
        let child = std::process::Command::new("secantusd-rs")
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--cache-size",
                "64M",
                "--sync-on-commit",
            ])
            .arg("--storage-path")
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("secantusd-rs on PATH");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Engine {
            child: Some(child),
            dir,
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_gives_a_localized_503_then_recovers() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut engine = Engine::start(port, tempfile::tempdir().unwrap());
    let uri = format!("mongodb://127.0.0.1:{port}/?directConnection=true&serverSelectionTimeoutMS=600&connectTimeoutMS=600&heartbeatFrequencyMS=500");
    // The engine may take a while to open its store on a busy machine.
    let mut core = None;
    for _ in 0..20 {
        if let Ok(c) = Core::connect(&uri, "portal_outage").await {
            core = Some(c);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let core = core.expect("the test engine answers");
    let ev = event(&core, "published", None, 10).await;
    let (_, t) = person(&core, &ev.id, "jo@example.org").await;
    let app = open_app(&core);
    assert_eq!(
        req(&app, IP, "GET", &format!("/r/{t}"), None, None, "fr")
            .await
            .status,
        200
    );

    engine.kill();
    for (lang, words) in [("fr", "indisponible"), ("en", "unavailable")] {
        let r = req(&app, IP, "GET", &format!("/r/{t}"), None, None, lang).await;
        assert_eq!(r.status, 503, "{}", r.body);
        assert!(r.body.contains(words), "{lang}: {}", r.body);
        for leak in [
            "127.0.0.1",
            &port.to_string(),
            "os error",
            "Topology",
            "Kind",
            "jo@example.org",
            "$jsonSchema",
        ] {
            assert!(!r.body.contains(leak), "{leak} leaked: {}", r.body);
        }
    }
    let r = req(
        &app,
        IP,
        "POST",
        &format!("/r/{t}"),
        Some("answer=accepted"),
        None,
        "en",
    )
    .await;
    assert_eq!(r.status, 503);

    // The database comes back on the same port: the portal recovers by itself.
    let dir = std::mem::replace(&mut engine.dir, tempfile::tempdir().unwrap());
    let _engine = Engine::start(port, dir);
    let mut ok = false;
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "engine restarted"
    );
    for _ in 0..80 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let r = req(&app, IP, "GET", &format!("/r/{t}"), None, None, "fr").await;
        if r.status == 200 {
            ok = true;
            break;
        }
    }
    assert!(ok, "the portal answers again once the database is back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_portal_instances_race_for_the_last_seats() {
    let core = fresh_core("portal_two_instances").await;
    let ev = event(&core, "published", Some(10), 10).await;
    let share = invitations::issue_event_link(&core, &ev.id).await.unwrap();
    invitations::settings::update(
        &core,
        &ev.id,
        &SettingsPatch {
            confirm_email: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // 20 invitees answer through their links, 20 strangers register, 10 seats.
    let mut tokens = vec![];
    for i in 0..20 {
        tokens.push(
            person(&core, &ev.id, &format!("inv{i}@example.org"))
                .await
                .1,
        );
    }
    // Two instances, each with its own connection pool, on one database.
    let a = open_app(
        &Core::connect(
            &eventhub_core::testing::uri_of(&core),
            &core.info().database,
        )
        .await
        .unwrap(),
    );
    let b = open_app(&core);
    let mut tasks = vec![];
    for i in 0..40 {
        let app = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (uri, form) = if let Some(t) = tokens.get(i) {
            (format!("/r/{t}"), "answer=accepted".to_owned())
        } else {
            (
                format!("/e/{share}"),
                format!("name=R{i}&email=r{i}%40example.org"),
            )
        };
        tasks.push(tokio::spawn(async move {
            req(
                &app,
                &format!("203.0.113.{i}"),
                "POST",
                &uri,
                Some(&form),
                None,
                "fr",
            )
            .await
            .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let all = participants::list(
        &core,
        &ev.id,
        &participants::ParticipantQuery {
            per_page: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(all.total, 40);
    let accepted = all
        .items
        .iter()
        .filter(|p| p.status == RsvpStatus::Accepted)
        .count();
    let waitlisted = all
        .items
        .iter()
        .filter(|p| p.status == RsvpStatus::Waitlisted)
        .count();
    assert_eq!(accepted, 10, "exactly the capacity");
    assert_eq!(waitlisted, 30);
    assert_eq!(participants::rsvp::taken(&core, &ev.id).await.unwrap(), 10);
    cleanup(&core).await.unwrap();
}

async fn http_get(addr: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn links_sent_before_a_restart_still_open_after_it() {
    let core = fresh_core("portal_restart").await;
    let ev = event(&core, "published", None, 10).await;
    let p = participants::create(
        &core,
        &ev.id,
        ParticipantInput {
            name: "Kim".into(),
            email: "kim@example.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // First start: a port is picked and kept; the link is built on it (as an e-mail would).
    let first = portal::address::start_saved(&core, false).await.unwrap();
    let token = invitations::issue_token(&core, &p.id, None).await.unwrap();
    let link = format!("{}/r/{token}", first.base_url);
    let saved = portal::address::load(&core).await.unwrap();
    assert_eq!(saved.port, Some(first.handle.addr.port()));
    first.handle.stop().await;

    // The app restarts: same port, same address, the same link opens the RSVP page.
    let second = portal::address::start_saved(&core, false).await.unwrap();
    assert_eq!(second.base_url, link.split("/r/").next().unwrap());
    let hostport = link
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let page = http_get(&hostport, &format!("/r/{token}")).await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Kim"));
    second.handle.stop().await;

    // A public address replaces the machine's in links.
    let mut a = portal::address::load(&core).await.unwrap();
    a.public_url = Some("https://rsvp.example.org".into());
    portal::address::save(&core, &a).await.unwrap();
    let third = portal::address::start_saved(&core, true).await.unwrap();
    assert_eq!(third.base_url, "https://rsvp.example.org");
    third.handle.stop().await;
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn the_rsvp_page_offers_the_event_and_chosen_sessions_as_a_calendar() {
    let core = fresh_core("portal_ics").await;
    let start = chrono::Utc::now() + chrono::Duration::days(20);
    let ev = events::create(
        &core,
        events::input_from_json(json!({
            "title": "Journée, « Data; IA »",
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::hours(8)).to_rfc3339(),
            "timezone": "Europe/Paris",
            "status": "published",
            "sessions": [
                {"id": "k", "title": "Keynote", "starts_at": start.to_rfc3339(), "ends_at": (start + chrono::Duration::hours(1)).to_rfc3339()},
                {"id": "w", "title": "Atelier", "starts_at": (start + chrono::Duration::hours(2)).to_rfc3339(), "ends_at": (start + chrono::Duration::hours(3)).to_rfc3339()}
            ]
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let (id, t) = person(&core, &ev.id, "lou@example.org").await;
    let app = open_app(&core);
    assert_eq!(
        req(
            &app,
            IP,
            "POST",
            &format!("/r/{t}"),
            Some("answer=accepted"),
            None,
            "fr"
        )
        .await
        .status,
        200
    );
    participants::join_session(&core, &id, "w").await.unwrap();
    let page = req(&app, IP, "GET", &format!("/r/{t}"), None, None, "fr").await;
    assert!(
        page.body.contains(&format!("/r/{t}/event.ics")),
        "the page links the calendar"
    );
    let ics = req(
        &app,
        IP,
        "GET",
        &format!("/r/{t}/event.ics"),
        None,
        None,
        "fr",
    )
    .await;
    assert_eq!(ics.status, 200);
    assert!(ics.body.starts_with("BEGIN:VCALENDAR\r\n"));
    assert_eq!(
        ics.body.matches("BEGIN:VEVENT").count(),
        2,
        "the event and the chosen session: {}",
        ics.body
    );
    assert!(
        ics.body.contains("SUMMARY:Journée\\, « Data\\; IA »"),
        "{}",
        ics.body
    );
    assert!(ics.body.contains("Atelier") && !ics.body.contains("Keynote"));
    // Local times of the event's zone, defined by its VTIMEZONE.
    let paris = start.with_timezone(&chrono_tz::Europe::Paris);
    assert!(
        ics.body.contains(&format!(
            "DTSTART;TZID=Europe/Paris:{}",
            paris.format("%Y%m%dT%H%M%S")
        )),
        "{}",
        ics.body
    );
    assert!(ics
        .body
        .contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\n"));
    assert!(ics.body.contains("X-WR-TIMEZONE:Europe/Paris"));
    cleanup(&core).await.unwrap();
}
