//! Networking against the real engine: opt-in profiles, requests, notes, meetings, the
//! suggestion and statistics pipelines, exports, the e-mail summary and erasure.

use eventhub_core::{
    events,
    feedback::{self, QuestionStatus, RawValue, Respondent},
    mail::{template::Lang, Mailer, Security, SmtpSettings},
    networking::{self, ConnectionStatus, ContactLink, Direction, MeetingStatus, ProfileInput},
    participants::{self, ParticipantInput, RsvpStatus},
    testing::{cleanup, fresh_core, SmtpSink},
    Code, Core,
};
use serde_json::json;

async fn event(core: &Core) -> events::Event {
    events::create(
        core,
        events::input_from_json(json!({
            "title": "Forum Numérique",
            "starts_at": "2027-05-10T08:00:00Z",
            "ends_at": "2027-05-10T17:00:00Z",
            "timezone": "Europe/Paris",
            "sessions": [
                {"title": "Keynote", "starts_at": "2027-05-10T09:00:00Z", "ends_at": "2027-05-10T10:00:00Z"},
                {"title": "Rust", "starts_at": "2027-05-10T10:00:00Z", "ends_at": "2027-05-10T11:00:00Z"}
            ]
        }))
        .unwrap(),
    )
    .await
    .unwrap()
}

async fn person(core: &Core, ev: &events::Event, name: &str, company: &str) -> String {
    let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
    let p = participants::create(
        core,
        &ev.id,
        ParticipantInput {
            name: name.into(),
            email,
            company: company.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    participants::rsvp::set_status(core, &p.id, None, RsvpStatus::Accepted)
        .await
        .unwrap();
    p.id
}

fn profile(company: &str, interests: &[&str]) -> ProfileInput {
    ProfileInput {
        opted_in: true,
        headline: "Engineer".into(),
        company: company.into(),
        interests: interests.iter().map(|s| (*s).to_owned()).collect(),
        links: vec![ContactLink {
            label: "Site".into(),
            url: "https://example.org".into(),
        }],
        photo_url: String::new(),
        share_email: true,
    }
}

#[tokio::test]
async fn only_opted_in_people_are_visible_and_profiles_are_checked() {
    let core = fresh_core("net_optin").await;
    let ev = event(&core).await;
    let ann = person(&core, &ev, "Ann", "Acme").await;
    let bob = person(&core, &ev, "Bob", "Globex").await;
    let cyd = person(&core, &ev, "Cyd", "Initech").await;

    for (input, field) in [
        (
            ProfileInput {
                headline: "x".repeat(200),
                ..Default::default()
            },
            "headline",
        ),
        (
            ProfileInput {
                interests: vec!["ok".into(), "y".repeat(50)],
                ..Default::default()
            },
            "interests[1]",
        ),
        (
            ProfileInput {
                links: vec![ContactLink {
                    label: String::new(),
                    url: "javascript:alert(1)".into(),
                }],
                ..Default::default()
            },
            "links[0].url",
        ),
        (
            ProfileInput {
                photo_url: "ftp://x".into(),
                ..Default::default()
            },
            "photo_url",
        ),
    ] {
        let e = networking::save_profile(&core, &ann, input)
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{e:?}");
    }

    let saved = networking::save_profile(
        &core,
        &ann,
        profile("Acme", &["  Rust ", "rust", "Data  Science", ""]),
    )
    .await
    .unwrap();
    assert_eq!(saved.input.interests, vec!["rust", "data science"]);
    assert_eq!(saved.version, 1);
    let again = networking::save_profile(&core, &ann, profile("Acme", &["rust"]))
        .await
        .unwrap();
    assert_eq!(again.id, saved.id, "one profile per participant");
    assert_eq!(again.version, 2);
    // Bob saves a profile but does not opt in; Cyd has none.
    let mut hidden = profile("Globex", &["rust"]);
    hidden.opted_in = false;
    networking::save_profile(&core, &bob, hidden).await.unwrap();

    let dir = networking::directory(&core, &ev.id, &cyd, None)
        .await
        .unwrap();
    assert_eq!(dir.len(), 1);
    assert_eq!(dir[0].name, "Ann");
    assert_eq!(dir[0].email, None, "no e-mail in the directory");
    assert!(networking::directory(&core, &ev.id, &ann, None)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        networking::directory(&core, &ev.id, &cyd, Some("acm"))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(networking::directory(&core, &ev.id, &cyd, Some("(.*"))
        .await
        .unwrap()
        .is_empty());

    // Requests need both sides opted in; nothing tells whether a hidden person exists.
    let e = networking::request(&core, &ann, &bob).await.unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    let e = networking::request(&core, &cyd, &ann).await.unwrap_err();
    assert_eq!(e.code, Code::Unsupported);
    let e = networking::request(&core, &ann, &ann).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("to"));
    // Badge codes: another event's, garbage.
    assert_eq!(
        networking::request_by_code(&core, &ann, "EVENTHUB:other:x")
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("code")
    );
    assert_eq!(
        networking::request_by_code(&core, &ann, "hello")
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("code")
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn requests_are_accepted_or_ignored_and_notes_stay_private() {
    let core = fresh_core("net_requests").await;
    let ev = event(&core).await;
    let ann = person(&core, &ev, "Ann", "Acme").await;
    let bob = person(&core, &ev, "Bob", "Globex").await;
    let cyd = person(&core, &ev, "Cyd", "Initech").await;
    for id in [&ann, &bob, &cyd] {
        networking::save_profile(&core, id, profile("X", &["rust"]))
            .await
            .unwrap();
    }
    let bob_badge = participants::rsvp::badge_code(&participants::get(&core, &bob).await.unwrap());
    let c = networking::request_by_code(&core, &ann, &bob_badge)
        .await
        .unwrap();
    assert_eq!(c.status, ConnectionStatus::Pending);
    let twice = networking::request(&core, &ann, &bob).await.unwrap();
    assert_eq!(twice.id, c.id, "asking twice changes nothing");
    // Only Bob can answer.
    assert_eq!(
        networking::respond(&core, &ann, &c.id, true)
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("connection")
    );
    assert_eq!(
        networking::respond(&core, &cyd, &c.id, true)
            .await
            .unwrap_err()
            .code,
        Code::NotFound
    );
    let bob_view = networking::list(&core, &bob).await.unwrap();
    assert_eq!(bob_view.len(), 1);
    assert_eq!(bob_view[0].direction, Direction::Incoming);
    assert_eq!(bob_view[0].other.email, None, "no e-mail before acceptance");
    let ok = networking::respond(&core, &bob, &c.id, true).await.unwrap();
    assert_eq!(ok.status, ConnectionStatus::Accepted);
    assert!(ok.accepted_at.is_some());
    let ann_view = networking::accepted(&core, &ann).await.unwrap();
    assert_eq!(
        ann_view[0].other.email.as_deref(),
        Some("bob@example.org"),
        "contact card after acceptance"
    );

    // Notes: private to their writer.
    networking::set_note(&core, &ann, &c.id, "talk about the API")
        .await
        .unwrap();
    assert_eq!(
        networking::accepted(&core, &ann).await.unwrap()[0].note,
        "talk about the API"
    );
    assert_eq!(networking::accepted(&core, &bob).await.unwrap()[0].note, "");
    assert_eq!(
        networking::set_note(&core, &ann, &c.id, &"n".repeat(3000))
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("note")
    );

    // Cyd asks Ann, Ann ignores: Cyd still sees "pending", Ann no longer sees it.
    let c2 = networking::request(&core, &cyd, &ann).await.unwrap();
    networking::respond(&core, &ann, &c2.id, false)
        .await
        .unwrap();
    let cyd_view = networking::list(&core, &cyd).await.unwrap();
    assert_eq!(cyd_view[0].status, ConnectionStatus::Pending);
    assert_eq!(networking::list(&core, &ann).await.unwrap().len(), 1);
    assert_eq!(
        networking::set_note(&core, &ann, &c2.id, "x")
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("connection")
    );
    // Ann changes her mind and asks Cyd: that is consent on both sides.
    let c3 = networking::request(&core, &ann, &cyd).await.unwrap();
    assert_eq!(c3.id, c2.id);
    assert_eq!(c3.status, ConnectionStatus::Accepted);

    // The server refuses a second document for the same pair.
    let mut dup = c3.clone();
    dup.id = "another".into();
    let e: eventhub_core::Error = networking::connections(&core)
        .insert_one(&dup)
        .await
        .unwrap_err()
        .into();
    assert_eq!(e.code, Code::Duplicate);
    cleanup(&core).await.unwrap();
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    eventhub_core::time::parse(s).unwrap()
}

#[tokio::test]
async fn meetings_are_proposed_on_slots_and_answered_once() {
    let core = fresh_core("net_meetings").await;
    let ev = event(&core).await;
    let ann = person(&core, &ev, "Ann", "Acme").await;
    let bob = person(&core, &ev, "Bob", "Globex").await;
    for id in [&ann, &bob] {
        networking::save_profile(&core, id, profile("X", &["rust"]))
            .await
            .unwrap();
    }
    let c = networking::request(&core, &ann, &bob).await.unwrap();
    let slots = vec![at("2027-05-10T13:00:00Z"), at("2027-05-10T12:00:00Z")];
    let e = networking::propose_meeting(&core, &ann, &c.id, slots.clone(), 30, "Stand B")
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("connection"), "connected first");
    networking::respond(&core, &bob, &c.id, true).await.unwrap();
    let e = networking::propose_meeting(
        &core,
        &ann,
        &c.id,
        vec![at("2027-05-10T12:00:00Z"), at("2027-05-11T12:00:00Z")],
        30,
        "",
    )
    .await
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("slots[1]"));
    assert_eq!(
        networking::propose_meeting(&core, &ann, &c.id, vec![], 30, "")
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("slots")
    );
    assert_eq!(
        networking::propose_meeting(&core, &ann, &c.id, slots.clone(), 1000, "")
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("duration")
    );
    let m = networking::propose_meeting(&core, &ann, &c.id, slots, 30, "Stand B")
        .await
        .unwrap();
    assert_eq!(m.slots[0], at("2027-05-10T12:00:00Z"), "sorted");
    assert_eq!(m.invitee, bob);
    // Ann cannot answer her own proposal; Bob picks the second slot.
    assert!(networking::answer_meeting(&core, &ann, &m.id, Some(0))
        .await
        .is_err());
    assert_eq!(
        networking::answer_meeting(&core, &bob, &m.id, Some(7))
            .await
            .unwrap_err()
            .field
            .as_deref(),
        Some("slot")
    );
    let views = networking::meetings_of(&core, &bob).await.unwrap();
    assert!(views[0].to_answer);
    let ok = networking::answer_meeting(&core, &bob, &m.id, Some(1))
        .await
        .unwrap();
    assert_eq!(ok.status, MeetingStatus::Accepted);
    assert_eq!(ok.chosen, Some(at("2027-05-10T13:00:00Z")));
    assert_eq!(
        networking::answer_meeting(&core, &bob, &m.id, None)
            .await
            .unwrap_err()
            .code,
        Code::Conflict
    );
    let m2 =
        networking::propose_meeting(&core, &bob, &c.id, vec![at("2027-05-10T15:00:00Z")], 15, "")
            .await
            .unwrap();
    let d = networking::answer_meeting(&core, &ann, &m2.id, None)
        .await
        .unwrap();
    assert_eq!(d.status, MeetingStatus::Declined);
    let cancelled = networking::cancel_meeting(&core, &ann, &m.id)
        .await
        .unwrap();
    assert_eq!(cancelled.status, MeetingStatus::Cancelled);
    assert_eq!(networking::meetings_of(&core, &ann).await.unwrap().len(), 2);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn suggestions_rank_shared_interests_and_sessions_in_the_database() {
    let core = fresh_core("net_suggest").await;
    let ev = event(&core).await;
    let keynote = ev.input.sessions[0].id.clone();
    let rust = ev.input.sessions[1].id.clone();
    let me = person(&core, &ev, "Me", "Acme").await;
    let both = person(&core, &ev, "Both", "B").await;
    let tags = person(&core, &ev, "Tags", "T").await;
    let sess = person(&core, &ev, "Sess", "S").await;
    let none = person(&core, &ev, "None", "N").await;
    let hidden = person(&core, &ev, "Hidden", "H").await;
    let linked = person(&core, &ev, "Linked", "L").await;
    networking::save_profile(&core, &me, profile("Acme", &["rust", "data", "ai"]))
        .await
        .unwrap();
    assert!(
        networking::suggestions(&core, &none, 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing for someone who has not opted in"
    );
    networking::save_profile(&core, &both, profile("B", &["rust"]))
        .await
        .unwrap();
    networking::save_profile(&core, &tags, profile("T", &["rust", "ai", "cooking"]))
        .await
        .unwrap();
    networking::save_profile(&core, &sess, profile("S", &["gardening"]))
        .await
        .unwrap();
    networking::save_profile(&core, &none, profile("N", &["gardening"]))
        .await
        .unwrap();
    let mut h = profile("H", &["rust", "data", "ai"]);
    h.opted_in = false;
    networking::save_profile(&core, &hidden, h).await.unwrap();
    networking::save_profile(&core, &linked, profile("L", &["rust", "data", "ai"]))
        .await
        .unwrap();
    networking::request(&core, &me, &linked).await.unwrap();
    for (who, sessions) in [
        (&me, vec![&keynote, &rust]),
        (&both, vec![&keynote, &rust]),
        (&sess, vec![&keynote]),
    ] {
        for s in sessions {
            participants::rsvp::join_session(&core, who, s)
                .await
                .unwrap();
        }
    }
    let s = networking::suggestions(&core, &me, 10).await.unwrap();
    let names: Vec<&str> = s.iter().map(|x| x.card.name.as_str()).collect();
    // Tags: 2 interests (4); Both: 1 interest + 2 sessions (4, fewer interests); Sess: 1.
    assert_eq!(names, vec!["Tags", "Both", "Sess"], "{s:?}");
    assert_eq!(s[0].score, 4);
    let mut shared = s[0].shared_interests.clone();
    shared.sort();
    assert_eq!(shared, vec!["ai", "rust"]);
    assert_eq!(s[1].shared_sessions.len(), 2);
    assert_eq!(s[2].score, 1);
    assert!(s.iter().all(|x| x.card.email.is_none()));
    assert_eq!(
        networking::suggestions(&core, &me, 1).await.unwrap().len(),
        1
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn organiser_figures_come_from_pipelines() {
    let core = fresh_core("net_stats").await;
    let ev = event(&core).await;
    let ann = person(&core, &ev, "Ann", "").await;
    let bob = person(&core, &ev, "Bob", "").await;
    let cyd = person(&core, &ev, "Cyd", "").await;
    let dan = person(&core, &ev, "Dan", "").await;
    networking::save_profile(&core, &ann, profile("Acme", &["a"]))
        .await
        .unwrap();
    networking::save_profile(&core, &bob, profile("Acme", &["a"]))
        .await
        .unwrap();
    networking::save_profile(&core, &cyd, profile("Globex", &["a"]))
        .await
        .unwrap();
    networking::save_profile(&core, &dan, profile("", &["a"]))
        .await
        .unwrap();
    let ab = networking::request(&core, &ann, &bob).await.unwrap();
    networking::respond(&core, &bob, &ab.id, true)
        .await
        .unwrap();
    let ac = networking::request(&core, &ann, &cyd).await.unwrap();
    networking::respond(&core, &cyd, &ac.id, true)
        .await
        .unwrap();
    networking::request(&core, &dan, &ann).await.unwrap();
    networking::propose_meeting(
        &core,
        &ann,
        &ab.id,
        vec![at("2027-05-10T12:00:00Z")],
        30,
        "",
    )
    .await
    .unwrap();

    let s = networking::stats(&core, &ev.id).await.unwrap();
    assert_eq!(s.profiles_opted_in, 4);
    assert_eq!(s.connections_made, 2);
    assert_eq!(s.requests_pending, 1);
    assert_eq!(s.participants_connected, 3);
    assert_eq!(s.meetings_proposed, 1);
    assert_eq!(s.meetings_accepted, 0);
    assert_eq!(s.per_day.iter().map(|b| b.connections).sum::<u64>(), 2);
    assert_eq!(s.per_hour.iter().map(|b| b.connections).sum::<u64>(), 2);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%Y-%m-%d")
        .to_string();
    assert!(s.per_day.iter().any(|b| b.bucket == today), "{s:?}");
    assert_eq!(s.per_hour[0].bucket.len(), "2027-05-10T12:00".len());
    // Acme: Ann twice + Bob once; Globex: Cyd once; Dan's blank company is left out.
    assert_eq!(s.top_companies.len(), 2, "{:?}", s.top_companies);
    assert_eq!(s.top_companies[0].company, "Acme");
    assert_eq!(s.top_companies[0].connections, 3);
    assert_eq!(s.top_companies[1].connections, 1);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["connections_made"], 2);
    let csv = networking::stats_csv(&s);
    assert!(csv.contains("totals,connections_made,2\r\n"), "{csv}");
    assert!(csv.contains("top_companies,Acme,3\r\n"));
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn exports_summary_mail_data_download_and_erasure() {
    let core = fresh_core("net_erase").await;
    let ev = event(&core).await;
    let ann = person(&core, &ev, "Ann", "").await;
    let bob = person(&core, &ev, "Bob", "").await;
    let cyd = person(&core, &ev, "Cyd", "").await;
    for id in [&ann, &bob, &cyd] {
        networking::save_profile(&core, id, profile("Acme", &["rust"]))
            .await
            .unwrap();
    }
    let ab = networking::request(&core, &ann, &bob).await.unwrap();
    networking::respond(&core, &bob, &ab.id, true)
        .await
        .unwrap();
    networking::set_note(&core, &bob, &ab.id, "Ann: great talk")
        .await
        .unwrap();
    networking::set_note(&core, &ann, &ab.id, "Bob, hiring")
        .await
        .unwrap();
    let bc = networking::request(&core, &bob, &cyd).await.unwrap();
    networking::respond(&core, &cyd, &bc.id, true)
        .await
        .unwrap();
    networking::request(&core, &cyd, &ann).await.unwrap();
    networking::propose_meeting(
        &core,
        &bob,
        &ab.id,
        vec![at("2027-05-10T12:00:00Z")],
        30,
        "",
    )
    .await
    .unwrap();
    let q = feedback::create_question(
        &core,
        &ev.id,
        feedback::input_from_json(
            json!({"kind": "text", "mode": "survey", "label": {"en": "Why?"}}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let q = feedback::set_status(&core, &q.id, QuestionStatus::Open)
        .await
        .unwrap();
    feedback::answer(
        &core,
        &q,
        &Respondent::Participant(ann.clone()),
        &RawValue::Text("Because".into()),
    )
    .await
    .unwrap();
    feedback::answer(
        &core,
        &q,
        &Respondent::Participant(bob.clone()),
        &RawValue::Text("Bob's".into()),
    )
    .await
    .unwrap();

    let vcf = networking::export_vcard(&core, &bob).await.unwrap();
    assert_eq!(vcf.matches("BEGIN:VCARD").count(), 2);
    assert!(vcf.contains("EMAIL;TYPE=INTERNET:ann@example.org"));
    assert!(vcf.contains("NOTE:Ann: great talk"));
    let csv = networking::export_csv(&core, &bob).await.unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("ann@example.org"));

    // The summary e-mail: once.
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path());
    let mailer = Mailer::new(
        &SmtpSettings {
            host: "127.0.0.1".into(),
            port: sink.port,
            security: Security::None,
            username: String::new(),
            from_email: "events@eventhub.test".into(),
            from_name: "EventHub".into(),
        },
        None,
    )
    .unwrap();
    networking::send_summary(&core, &mailer, &bob, Lang::En)
        .await
        .unwrap();
    let e = networking::send_summary(&core, &mailer, &bob, Lang::En)
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::Conflict);
    let msgs = tokio::task::spawn_blocking(move || {
        let m = sink.wait_for(1);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let m2 = sink.messages();
        drop(sink);
        (m, m2)
    })
    .await
    .unwrap();
    assert_eq!(msgs.1.len(), 1, "exactly one summary");
    let raw = String::from_utf8_lossy(&msgs.0[0]).into_owned();
    assert!(raw.contains("bob@example.org"));
    assert!(raw.contains("ann@example.org"), "Ann's card is in it");

    // The data download holds Ann's own note, never Bob's note about her.
    let data = networking::my_data(&core, &ann).await.unwrap();
    let text = data.to_string();
    assert!(text.contains("Bob, hiring"));
    assert!(!text.contains("great talk"));
    assert!(!text.contains("token_hash"));
    assert_eq!(data["feedback_answers"].as_array().unwrap().len(), 1);
    assert_eq!(data["connections"].as_array().unwrap().len(), 2);

    // Ann erases her data: she disappears from Bob's and Cyd's lists, everything else stays.
    let r = networking::erase(&core, &ann).await.unwrap();
    assert_eq!(r.profiles, 1);
    assert_eq!(r.connections, 2);
    assert_eq!(r.meetings, 1);
    assert_eq!(r.feedback_answers, 1);
    assert_eq!(r.transactional, core.caps().transactions);
    let bob_list = networking::list(&core, &bob).await.unwrap();
    assert_eq!(bob_list.len(), 1);
    assert_eq!(bob_list[0].other.name, "Cyd");
    assert!(networking::list(&core, &cyd)
        .await
        .unwrap()
        .iter()
        .all(|c| c.other.participant_id != ann));
    assert!(networking::meetings_of(&core, &bob)
        .await
        .unwrap()
        .is_empty());
    assert!(networking::profile(&core, &ann).await.unwrap().is_none());
    assert!(networking::directory(&core, &ev.id, &bob, None)
        .await
        .unwrap()
        .iter()
        .all(|c| c.participant_id != ann));
    assert_eq!(
        feedback::answers(&core)
            .count_documents(bson::doc! { "question_id": &q.id })
            .await
            .unwrap(),
        1,
        "Bob's answer stays"
    );
    let again = networking::erase(&core, &ann).await.unwrap();
    assert_eq!(again.connections + again.profiles, 0, "idempotent");
    assert!(participants::get(&core, &ann).await.is_ok());
    cleanup(&core).await.unwrap();
}
