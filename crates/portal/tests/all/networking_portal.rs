//! The networking pages of the portal over HTTP (tower `oneshot`), against the real engine:
//! two participants opt in, connect by badge code, both see the connection and export it.

use axum::{body::Body, http::Request, Router};
use eventhub_core::{
    events, invitations,
    mail::{self, Security, SmtpSettings},
    networking::{self, MeetingStatus},
    participants::{self, ParticipantInput, RsvpStatus},
    testing::{cleanup, fresh_core, SmtpSink},
    Core,
};
use eventhub_portal as portal;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

struct Res {
    status: u16,
    body: String,
    location: String,
    content_type: String,
    csp: String,
}

async fn call(app: &Router, method: &str, uri: &str, form: Option<&str>) -> Res {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("accept-language", "en");
    let body = match form {
        Some(f) => {
            req = req.header("content-type", "application/x-www-form-urlencoded");
            Body::from(f.to_owned())
        }
        None => Body::empty(),
    };
    let res = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let h = |k: &str| {
        res.headers()
            .get(k)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (location, content_type, csp) = (
        h("location"),
        h("content-type"),
        h("content-security-policy"),
    );
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Res {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        location,
        content_type,
        csp,
    }
}

async fn setup(core: &Core) -> (events::Event, String, String, String, String) {
    let ev = events::create(
        core,
        events::input_from_json(json!({
            "title": "Forum Numérique",
            "status": "published",
            "starts_at": "2027-05-10T08:00:00Z",
            "ends_at": "2027-05-10T17:00:00Z",
            "timezone": "Europe/Paris",
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let mut ids = vec![];
    for (name, email) in [
        ("Ann <b>Lee</b>", "ann@example.org"),
        ("Bob", "bob@example.org"),
    ] {
        let p = participants::create(
            core,
            &ev.id,
            ParticipantInput {
                name: name.into(),
                email: email.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        participants::rsvp::set_status(core, &p.id, None, RsvpStatus::Accepted)
            .await
            .unwrap();
        ids.push(p.id);
    }
    let ta = invitations::issue_token(core, &ids[0], None).await.unwrap();
    let tb = invitations::issue_token(core, &ids[1], None).await.unwrap();
    (ev, ids[0].clone(), ids[1].clone(), ta, tb)
}

/// The first `prefix…"` found in `html`, without the quote.
fn link(html: &str, prefix: &str) -> String {
    let start = html
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} not in {html}"));
    let rest = &html[start..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn two_participants_connect_through_the_portal_and_both_export_it() {
    let core = fresh_core("net_portal").await;
    let (ev, ann, bob, ta, tb) = setup(&core).await;
    let app = portal::router(core.clone());

    // The RSVP page leads to networking; nothing is shown before opting in.
    let r = call(&app, "GET", &format!("/r/{ta}"), None).await;
    assert!(r.body.contains(&format!("href=\"/n/{ta}\"")), "{}", r.body);
    let r = call(&app, "GET", &format!("/n/{ta}"), None).await;
    assert_eq!(r.status, 200);
    assert!(r.csp.contains("default-src 'none'"));
    assert!(r.body.contains("Turn on my profile"), "{}", r.body);

    // Bob opts in; Ann is not in his directory yet.
    let r = call(
        &app,
        "POST",
        &format!("/n/{tb}/profile"),
        Some("opted_in=on&headline=Designer&company=Globex&interests=ux%2C+rust&links=&photo_url=&share_email=on"),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location, format!("/n/{tb}?m=saved"));
    let r = call(&app, "GET", &format!("/n/{tb}/directory"), None).await;
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("Ann"), "{}", r.body);

    // Ann opts in from the profile form.
    let r = call(&app, "GET", &format!("/n/{ta}/profile"), None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("name=\"opted_in\""));
    let r = call(
        &app,
        "POST",
        &format!("/n/{ta}/profile"),
        Some("opted_in=on&headline=CTO&company=Acme&interests=Rust%2C+Data&links=https%3A%2F%2Fann.example%0Ahttps%3A%2F%2Flinkedin.com%2Fin%2Fann&photo_url=&share_email=on"),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // A bad link is refused on the form, naming the field.
    let r = call(
        &app,
        "POST",
        &format!("/n/{ta}/profile"),
        Some("opted_in=on&links=javascript%3Aalert(1)"),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("links[0].url"), "{}", r.body);
    assert_eq!(
        networking::profile(&core, &ann)
            .await
            .unwrap()
            .unwrap()
            .input
            .company,
        "Acme",
        "the refused form changed nothing"
    );

    let r = call(&app, "GET", &format!("/n/{tb}/directory?q=acme"), None).await;
    assert!(
        r.body.contains("Ann &lt;b&gt;Lee&lt;/b&gt;"),
        "escaped: {}",
        r.body
    );
    assert!(!r.body.contains("<b>Lee"));
    assert!(
        !r.body.contains("ann@example.org"),
        "no e-mail in the directory"
    );
    assert!(r.body.contains("Rust") || r.body.contains("rust"));

    // Ann scans Bob's badge (the code is pasted).
    let code = participants::rsvp::badge_code(&participants::get(&core, &bob).await.unwrap());
    let r = call(
        &app,
        "POST",
        &format!("/n/{ta}/connect"),
        Some(&format!("code={}", code.replace(':', "%3A"))),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location, format!("/n/{ta}?m=requested"));
    let r = call(&app, "GET", &format!("/n/{ta}?m=requested"), None).await;
    assert!(r.body.contains("Request sent."));
    assert!(r.body.contains("Waiting for an answer:"));

    // Bob sees the request and accepts it.
    let r = call(&app, "GET", &format!("/n/{tb}"), None).await;
    assert!(r.body.contains("Requests to answer"), "{}", r.body);
    let action = link(&r.body, &format!("/n/{tb}/requests/"));
    let r = call(&app, "POST", &action, Some("action=accept")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.location.starts_with(&format!("/n/{tb}/c/")));
    let conn_id = r.location[format!("/n/{tb}/c/").len()..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    // Both see the connection with the other's contact card.
    let a = call(&app, "GET", &format!("/n/{ta}"), None).await;
    assert!(a.body.contains("My connections (1)"), "{}", a.body);
    assert!(a.body.contains("bob@example.org"));
    let b = call(&app, "GET", &format!("/n/{tb}"), None).await;
    assert!(b.body.contains("My connections (1)"), "{}", b.body);
    assert!(b.body.contains("ann@example.org"));
    assert!(b.body.contains("https://linkedin.com/in/ann"));

    // Both export it.
    for (t, other, email) in [
        (&ta, "FN:Bob", "bob@example.org"),
        (&tb, "FN:Ann <b>Lee</b>", "ann@example.org"),
    ] {
        let v = call(&app, "GET", &format!("/n/{t}/connections.vcf"), None).await;
        assert_eq!(v.status, 200);
        assert!(v.content_type.starts_with("text/vcard"));
        assert_eq!(v.body.matches("BEGIN:VCARD").count(), 1);
        assert!(v.body.contains(other), "{}", v.body);
        assert!(v.body.contains(email));
        let c = call(&app, "GET", &format!("/n/{t}/connections.csv"), None).await;
        assert_eq!(c.status, 200);
        assert!(c.content_type.starts_with("text/csv"));
        assert_eq!(c.body.lines().count(), 2, "{}", c.body);
        assert!(c.body.contains(email));
    }
    let v = call(&app, "GET", &format!("/n/{tb}/c/{conn_id}/card.vcf"), None).await;
    assert_eq!(v.status, 200);
    assert!(v.body.contains("ORG:Acme"));

    // A private note, seen by its writer only.
    let r = call(
        &app,
        "POST",
        &format!("/n/{ta}/c/{conn_id}/note"),
        Some("note=Follow+up+on+design+system"),
    )
    .await;
    assert_eq!(r.status, 303);
    let a = call(&app, "GET", &format!("/n/{ta}/c/{conn_id}?m=noted"), None).await;
    assert!(a.body.contains("Follow up on design system"));
    let b = call(&app, "GET", &format!("/n/{tb}/c/{conn_id}"), None).await;
    assert_eq!(b.status, 200);
    assert!(!b.body.contains("Follow up on design system"));

    // A meeting: Ann proposes two times (event time zone), Bob takes the second.
    let r = call(
        &app,
        "POST",
        &format!("/n/{ta}/c/{conn_id}/meetings"),
        Some("slot1=2027-05-10T14%3A00&slot2=2027-05-10T15%3A30&slot3=&place=Stand+B&duration=20"),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let b = call(&app, "GET", &format!("/n/{tb}"), None).await;
    let action = link(&b.body, &format!("/n/{tb}/meetings/"));
    let r = call(&app, "POST", &action, Some("action=accept&slot=1")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let m = &networking::meetings_of(&core, &ann).await.unwrap()[0].meeting;
    assert_eq!(m.status, MeetingStatus::Accepted);
    assert_eq!(
        m.chosen.unwrap().to_rfc3339(),
        "2027-05-10T13:30:00+00:00",
        "15:30 in Paris"
    );

    // Bad input: clear 4xx pages, never a 500.
    for (method, uri, form, expected) in [
        ("POST", format!("/n/{ta}/connect"), Some("code=hello"), 400),
        (
            "POST",
            format!("/n/{ta}/connect"),
            Some("code=EVENTHUB%3Aother%3Ax"),
            400,
        ),
        ("POST", format!("/n/{ta}/connect"), Some(""), 400),
        ("POST", format!("/n/{ta}/connect"), Some("to=nobody"), 404),
        (
            "POST",
            format!("/n/{tb}/requests/{conn_id}"),
            Some("action=maybe"),
            400,
        ),
        (
            "POST",
            format!("/n/{ta}/requests/nope"),
            Some("action=accept"),
            404,
        ),
        ("GET", format!("/n/{ta}/c/nope"), None, 404),
        ("GET", format!("/n/{ta}/c/nope/card.vcf"), None, 404),
        (
            "POST",
            format!("/n/{ta}/c/{conn_id}/note"),
            Some(&*format!("note={}", "x".repeat(2100))),
            400,
        ),
        (
            "POST",
            format!("/n/{ta}/c/{conn_id}/meetings"),
            Some("slot1=tomorrow"),
            400,
        ),
        (
            "POST",
            format!("/n/{ta}/c/{conn_id}/meetings"),
            Some("slot1=2027-06-01T10%3A00"),
            400,
        ),
        (
            "POST",
            format!("/n/{ta}/meetings/{}", m.id),
            Some("action=accept&slot=0"),
            400,
        ),
        ("POST", format!("/n/{ta}/erase"), Some(""), 400),
        ("POST", format!("/n/{ta}/summary"), None, 403),
        (
            "GET",
            "/n/not-a-real-token-at-all-000000000000".to_owned(),
            None,
            404,
        ),
        ("GET", "/n/x/directory".to_owned(), None, 404),
    ] {
        let r = call(&app, method, &uri, form).await;
        assert_eq!(r.status, expected, "{method} {uri} {form:?}: {}", r.body);
        assert!(r.body.contains("<html"), "a page, not a stack trace");
    }

    // Ann downloads her data, then erases it: Bob no longer sees her anywhere.
    let d = call(&app, "GET", &format!("/n/{ta}/my-data.json"), None).await;
    assert_eq!(d.status, 200);
    assert!(d.content_type.starts_with("application/json"));
    let data: serde_json::Value = serde_json::from_str(&d.body).unwrap();
    assert_eq!(data["profile"]["company"], "Acme");
    assert_eq!(data["connections"][0]["note"], "Follow up on design system");
    let r = call(&app, "POST", &format!("/n/{ta}/erase"), Some("confirm=yes")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = call(&app, "GET", &format!("/n/{tb}"), None).await;
    assert!(b.body.contains("My connections (0)"), "{}", b.body);
    assert!(!b.body.contains("Ann"));
    let v = call(&app, "GET", &format!("/n/{tb}/connections.vcf"), None).await;
    assert!(!v.body.contains("BEGIN:VCARD"));
    assert!(networking::meetings_of(&core, &bob)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        ev.id,
        participants::get(&core, &ann).await.unwrap().event_id
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn suggestions_show_and_the_summary_is_mailed_once_from_the_portal() {
    let core = fresh_core("net_portal_mail").await;
    let (_ev, ann, bob, ta, tb) = setup(&core).await;
    let app = portal::router(core.clone());
    for t in [&ta, &tb] {
        let r = call(
            &app,
            "POST",
            &format!("/n/{t}/profile"),
            Some("opted_in=on&company=Acme&interests=rust%2C+data&share_email=on"),
        )
        .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    // Shared interests: each is suggested to the other, with what they share.
    let a = call(&app, "GET", &format!("/n/{ta}"), None).await;
    assert!(a.body.contains("People you should meet"), "{}", a.body);
    assert!(a.body.contains("In common: rust, data") || a.body.contains("In common: data, rust"));
    assert!(a.body.contains(&format!("name=\"to\" value=\"{bob}\"")));

    // Connect from the suggestion (participant id), accept from Bob's side.
    let r = call(
        &app,
        "POST",
        &format!("/n/{ta}/connect"),
        Some(&format!("to={bob}")),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Bob asking back accepts Ann's pending request.
    let r = call(
        &app,
        "POST",
        &format!("/n/{tb}/connect"),
        Some(&format!("to={ann}")),
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(r.location.contains("m=accepted"), "{}", r.location);
    let a = call(&app, "GET", &format!("/n/{ta}"), None).await;
    assert!(
        !a.body.contains("People you should meet"),
        "connected people are not suggested"
    );

    // No SMTP settings: a clear refusal. With them: one message, then a conflict.
    let r = call(&app, "POST", &format!("/n/{ta}/summary"), None).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("not set up"), "{}", r.body);
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path());
    mail::save_settings(
        &core,
        SmtpSettings {
            host: "127.0.0.1".into(),
            port: sink.port,
            security: Security::None,
            username: String::new(),
            from_email: "events@eventhub.test".into(),
            from_name: "EventHub".into(),
        },
    )
    .await
    .unwrap();
    let r = call(&app, "POST", &format!("/n/{ta}/summary"), None).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location, format!("/n/{ta}?m=mailed"));
    let r = call(&app, "POST", &format!("/n/{ta}/summary"), None).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let msgs = tokio::task::spawn_blocking(move || {
        sink.wait_for(1);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let m = sink.messages();
        drop(sink);
        m
    })
    .await
    .unwrap();
    assert_eq!(msgs.len(), 1);
    let parsed = mailparse::parse_mail(&msgs[0]).unwrap();
    use mailparse::MailHeaderMap;
    assert!(parsed
        .headers
        .get_first_value("To")
        .unwrap()
        .contains("ann@example.org"));
    assert!(parsed
        .headers
        .get_first_value("Subject")
        .unwrap()
        .contains("Forum Numérique"));
    let text = parsed.subparts[0].get_body().unwrap();
    assert!(text.contains("Bob"), "{text}");
    assert!(text.contains("bob@example.org"));

    // Opting out hides Ann from Bob's directory; the accepted connection stays.
    let r = call(
        &app,
        "POST",
        &format!("/n/{ta}/profile"),
        Some("company=Acme"),
    )
    .await;
    assert_eq!(r.status, 303);
    let d = call(&app, "GET", &format!("/n/{tb}/directory"), None).await;
    assert!(!d.body.contains("Ann"), "{}", d.body);
    let b = call(&app, "GET", &format!("/n/{tb}"), None).await;
    assert!(b.body.contains("My connections (1)"));
    cleanup(&core).await.unwrap();
}
