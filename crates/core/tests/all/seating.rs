//! People on the seating plans, against the real engine: seats and tables given, moved and
//! freed, blocked seats never given, two organisers racing for one seat, automatic filling
//! by company, the warnings when plan and capacity disagree, and the seat shown in the
//! CSV export and on the participant's portal page.

use bson::{doc, Document};
use eventhub_core::{
    events,
    participants::{
        self,
        seating::{self, GroupBy},
        ParticipantInput, RsvpStatus,
    },
    testing::{cleanup, fresh_core},
    Code, Core,
};
use serde_json::json;

/// An event of capacity 450 with a 238-seat amphitheatre and a banquet of 3 tables of 4
/// (seat 1 of table 1 blocked).
async fn event(core: &Core) -> events::Event {
    events::create(
        core,
        events::input_from_json(json!({
            "title": "Assemblée Générale",
            "status": "published",
            "starts_at": "2027-06-10T07:00:00Z",
            "ends_at": "2027-06-10T18:00:00Z",
            "capacity": 450,
            "seating": [
                { "room": "Amphi", "layout": { "kind": "grid", "rows": 14, "seats_per_row": 17 } },
                { "room": "Banquet", "layout": { "kind": "tables", "tables": 3, "seats_per_table": 4 },
                  "blocked": ["T1-1"] },
            ],
        }))
        .unwrap(),
    )
    .await
    .unwrap()
}

async fn attendee(core: &Core, ev: &str, name: &str, company: &str) -> String {
    let p = participants::create(
        core,
        ev,
        ParticipantInput {
            name: name.into(),
            email: format!("{}@exemple.fr", name.to_lowercase().replace(' ', ".")),
            company: company.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    participants::set_status(core, &p.id, None, RsvpStatus::Accepted)
        .await
        .unwrap();
    p.id
}

async fn seat_of(core: &Core, id: &str) -> Option<String> {
    participants::get(core, id)
        .await
        .unwrap()
        .seat
        .map(|s| s.label)
}

#[tokio::test]
async fn seats_and_tables_are_given_moved_and_freed_never_blocked_ones() {
    let core = fresh_core("seat_assign").await;
    let ev = event(&core).await;
    let (amphi, banquet) = (
        ev.input.seating[0].id.clone(),
        ev.input.seating[1].id.clone(),
    );
    let ann = attendee(&core, &ev.id, "Ann", "Acme").await;
    let bob = attendee(&core, &ev.id, "Bob", "Acme").await;

    let p = seating::assign(&core, &ann, &amphi, " b5 ").await.unwrap();
    assert_eq!(p.seat.as_ref().unwrap().label, "B5");
    let e = seating::assign(&core, &bob, &amphi, "B5")
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::Duplicate);
    assert_eq!(e.field.as_deref(), Some("seat"));
    assert_eq!(
        e.param("participant_id"),
        Some(ann.as_str()),
        "names who sits there"
    );
    // Blocked, unknown, hostile labels; an unknown plan.
    for label in ["T1-1", "Z99", "$gt", "T9", &"A".repeat(5000)] {
        let e = seating::assign(&core, &bob, &banquet, label)
            .await
            .unwrap_err();
        assert_eq!(e.code, Code::Validation, "{label}");
        assert_eq!(e.field.as_deref(), Some("label"));
    }
    let e = seating::assign(&core, &bob, "no-such-plan", "A1")
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    assert_eq!(seat_of(&core, &bob).await, None, "nothing stored");
    // A table: its first free seat that is not blocked.
    let p = seating::assign(&core, &bob, &banquet, "t1").await.unwrap();
    assert_eq!(p.seat.unwrap().label, "T1-2");
    // Move, then free.
    seating::assign(&core, &ann, &amphi, "C7").await.unwrap();
    assert_eq!(seat_of(&core, &ann).await.as_deref(), Some("C7"));
    seating::assign(&core, &bob, &amphi, "B5").await.unwrap();
    let freed = seating::unassign(&core, &bob).await.unwrap();
    assert!(freed.seat.is_none());
    let trail = participants::audit_trail(&core, &ann).await.unwrap();
    assert_eq!(trail[0].action, "seat");
    assert_eq!(trail[0].note, "B5 → Amphi C7");

    // Declining gives the seat back; a declined person cannot be seated.
    participants::set_status(&core, &ann, None, RsvpStatus::Declined)
        .await
        .unwrap();
    assert_eq!(seat_of(&core, &ann).await, None);
    let e = seating::assign(&core, &ann, &amphi, "C7")
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::Validation);
    assert_eq!(e.field.as_deref(), Some("status"));
    seating::assign(&core, &bob, &amphi, "C7").await.unwrap();
    cleanup(&core).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_organisers_giving_the_same_seat_cannot_both_win() {
    let core = fresh_core("seat_race").await;
    let ev = event(&core).await;
    let amphi = ev.input.seating[0].id.clone();
    let mut ids = vec![];
    for i in 0..10 {
        ids.push(attendee(&core, &ev.id, &format!("Person {i}"), "").await);
    }
    for round in 0..3 {
        let label = format!("D{}", round + 1);
        let tasks: Vec<_> = ids
            .iter()
            .map(|id| {
                // Each organiser on a connection of their own.
                let core = core.with_actor(&format!("org-{id}"));
                let (id, amphi, label) = (id.clone(), amphi.clone(), label.clone());
                tokio::spawn(async move { seating::assign(&core, &id, &amphi, &label).await })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => wins += 1,
                Err(e) => assert_eq!(e.code, Code::Duplicate, "{e:?}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one organiser wins {label}");
        let n = core
            .db()
            .collection::<Document>("participants")
            .count_documents(doc! { "event_id": &ev.id, "seat.label": &label })
            .await
            .unwrap();
        assert_eq!(n, 1, "one person on {label}");
        // Free the winners so everyone races again.
        for id in &ids {
            seating::unassign(&core, id).await.unwrap();
        }
    }
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn automatic_filling_by_company_and_the_warnings() {
    let core = fresh_core("seat_auto").await;
    let ev = event(&core).await;
    let banquet = ev.input.seating[1].id.clone();
    let mut by_company = vec![];
    for (n, c) in [
        ("Zoé", "Globex"),
        ("Anna", "Acme"),
        ("Yves", ""),
        ("Marc", "Acme"),
        ("Lou", "Globex"),
        ("Bea", "Acme"),
    ] {
        by_company.push((attendee(&core, &ev.id, n, c).await, c));
    }
    // Invited and waitlisted people are not seated automatically.
    participants::create(
        &core,
        &ev.id,
        ParticipantInput {
            name: "Only Invited".into(),
            email: "invited@exemple.fr".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let o = seating::overview(&core, &ev.id).await.unwrap();
    let under: Vec<_> = o
        .warnings
        .iter()
        .filter(|w| w.code == "plan_under_capacity")
        .collect();
    assert_eq!(under.len(), 2, "{:?}", o.warnings);
    assert_eq!(under[0].params["room"], "Amphi");
    assert_eq!(under[0].params["seats"], 238);
    assert_eq!(under[0].params["capacity"], 450);
    assert_eq!(o.plans[1].capacity, 11, "blocked seats do not count");
    assert_eq!(o.unseated.len(), 6);

    let r = seating::auto_assign(&core, &ev.id, &banquet, GroupBy::Company)
        .await
        .unwrap();
    assert_eq!((r.assigned, r.left), (6, 0));
    let mut seats = vec![];
    for (id, c) in &by_company {
        seats.push((seat_of(&core, id).await.unwrap(), *c));
    }
    seats.sort();
    assert_eq!(
        seats,
        vec![
            ("T1-2".to_owned(), "Acme"),
            ("T1-3".to_owned(), "Acme"),
            ("T1-4".to_owned(), "Acme"),
            ("T2-1".to_owned(), "Globex"),
            ("T2-2".to_owned(), "Globex"),
            ("T2-3".to_owned(), ""),
        ],
        "colleagues together, the blocked seat skipped"
    );
    let o = seating::overview(&core, &ev.id).await.unwrap();
    assert!(o.unseated.is_empty());
    assert_eq!(o.plans[1].assigned, 6);
    let t12 = o.plans[1].seats.iter().find(|s| s.label == "T1-2").unwrap();
    assert_eq!(t12.participant.as_ref().unwrap().company, "Acme");
    assert!(
        o.plans[1]
            .seats
            .iter()
            .find(|s| s.label == "T1-1")
            .unwrap()
            .blocked
    );

    // A second run seats nobody twice; more attendees than seats are reported.
    for i in 0..6 {
        attendee(&core, &ev.id, &format!("Extra {i}"), "Initech").await;
    }
    let r = seating::auto_assign(&core, &ev.id, &banquet, GroupBy::Name)
        .await
        .unwrap();
    assert_eq!((r.assigned, r.left), (5, 1));

    // The organiser blocks a seat someone already has: a warning names them.
    let mut input = events::get(&core, &ev.id).await.unwrap().input;
    input.seating[1].blocked.push("T1-2".into());
    let cur = events::get(&core, &ev.id).await.unwrap();
    events::update(&core, &ev.id, cur.version, input)
        .await
        .unwrap();
    let o = seating::overview(&core, &ev.id).await.unwrap();
    assert!(o
        .warnings
        .iter()
        .any(|w| w.code == "seat_blocked" && w.params["label"] == "T1-2"));
    assert!(o
        .warnings
        .iter()
        .any(|w| w.code == "attendees_over_seats" && w.params["room"] == "Banquet"));
    cleanup(&core).await.unwrap();
}
