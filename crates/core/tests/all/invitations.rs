//! Invitations (tokens, campaigns, badges), against the real engine and a loopback SMTP
//! server. The portal's pages are tested in `crates/portal/tests`.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex,
};

use bson::doc;
use eventhub_core::{
    events::{self, EventInput},
    invitations::{self, LinkProblem, SendOptions, SendProgress},
    mail::{Mailer, Security, SmtpSettings},
    participants::{self, InvitationStatus, ParticipantInput, RsvpStatus},
    testing::{cleanup, fresh_core, SmtpSink},
    Core,
};
use serde_json::json;

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

/// The first part of type `mime` in a message, at any depth.
fn part<'a>(m: &'a mailparse::ParsedMail<'a>, mime: &str) -> Option<&'a mailparse::ParsedMail<'a>> {
    if m.ctype.mimetype == mime {
        return Some(m);
    }
    m.subparts.iter().find_map(|p| part(p, mime))
}

fn link_in(raw: &[u8]) -> String {
    let parsed = mailparse::parse_mail(raw).unwrap();
    let text = part(&parsed, "text/plain").unwrap().get_body().unwrap();
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
async fn the_invitation_carries_the_event_and_chosen_sessions_as_a_calendar() {
    let core = fresh_core("inv_calendar").await;
    let ev = events::create(
        &core,
        events::input_from_json(json!({
            "title": "Summit; NYC, 2027",
            "status": "published",
            "timezone": "America/New_York",
            "starts_at": "2027-04-15T13:00:00Z",
            "ends_at": "2027-04-15T21:00:00Z",
            "sessions": [
                {"id": "k", "title": "Keynote", "starts_at": "2027-04-15T14:00:00Z", "ends_at": "2027-04-15T15:00:00Z"},
                {"id": "w", "title": "Workshop", "starts_at": "2027-04-15T16:00:00Z", "ends_at": "2027-04-15T17:00:00Z"}
            ]
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let ann = person(&core, &ev.id, "Ann", "ann@example.org").await;
    participants::rsvp::set_status(&core, &ann, None, RsvpStatus::Accepted)
        .await
        .unwrap();
    participants::rsvp::join_session(&core, &ann, "w")
        .await
        .unwrap();
    invitations::queue(&core, &ev.id, None, false)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path());
    let done = invitations::send_queued(
        &core,
        &ev.id,
        &smtp(sink.port),
        &opts(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert_eq!(done.sent, 1);
    let msgs = tokio::task::spawn_blocking(move || sink.wait_for(1))
        .await
        .unwrap();
    let parsed = mailparse::parse_mail(&msgs[0]).unwrap();
    assert_eq!(parsed.ctype.mimetype, "multipart/mixed");
    // The message itself is still there, with its link.
    assert!(link_in(&msgs[0]).starts_with("http://portal.test:8787/r/"));
    assert!(part(&parsed, "text/html").is_some());
    let cal = part(&parsed, "text/calendar").expect("a text/calendar part");
    assert_eq!(
        cal.ctype.params.get("method").map(String::as_str),
        Some("PUBLISH")
    );
    let disposition = cal.get_content_disposition();
    assert_eq!(
        disposition.params.get("filename").map(String::as_str),
        Some("event.ics")
    );
    let ics = cal.get_body().unwrap();
    // Local times of New York (EDT, UTC-4 in April), defined by its VTIMEZONE.
    assert!(
        ics.contains("DTSTART;TZID=America/New_York:20270415T090000"),
        "{ics}"
    );
    assert!(ics.contains("DTSTART;TZID=America/New_York:20270415T120000"));
    assert!(ics.contains("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n"));
    assert!(
        ics.contains(
            "BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400"
        ),
        "{ics}"
    );
    assert!(ics.contains("SUMMARY:Summit\\; NYC\\, 2027"));
    assert!(
        ics.contains("Workshop") && !ics.contains("Keynote"),
        "only the chosen session"
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
