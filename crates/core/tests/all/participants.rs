//! Participants against a real server: the CSV files people really have, per-row reports,
//! idempotent re-import, failed imports changing nothing, RSVP with capacity and the
//! waitlist under concurrency, check-in, audit trail, export.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use bson::{doc, Document};
use eventhub_core::{
    events,
    participants::{
        self,
        csv_export::{self, Lang},
        csv_import::{self, ImportOptions, ImportReport, RowErrorKind, Target},
        ParticipantInput, ParticipantQuery, RsvpStatus,
    },
    testing::{cleanup, fresh_core},
    Code, Core,
};
use futures_util::TryStreamExt;
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/csv")
        .join(name)
}

async fn event(core: &Core, capacity: Option<u32>) -> String {
    let mut v = json!({
        "title": "Journée Participants",
        "starts_at": "2027-03-01T08:00:00Z",
        "ends_at": "2027-03-01T18:00:00Z",
        "status": "published",
    });
    if let Some(c) = capacity {
        v["capacity"] = json!(c);
    }
    events::create(core, events::input_from_json(v).unwrap())
        .await
        .unwrap()
        .id
}

async fn import(core: &Core, ev: &str, file: &str) -> ImportReport {
    csv_import::import(
        core,
        ev,
        &fixture(file),
        &ImportOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap()
}

async fn by_email(core: &Core, ev: &str, email: &str) -> participants::Participant {
    let d = core
        .db()
        .collection::<participants::Participant>("participants")
        .find_one(doc! { "event_id": ev, "email_norm": email })
        .await
        .unwrap();
    d.unwrap_or_else(|| panic!("{email} imported"))
}

fn lines(r: &ImportReport) -> Vec<(u64, RowErrorKind)> {
    r.errors.iter().map(|e| (e.line, e.kind)).collect()
}

async fn count(core: &Core, ev: &str) -> u64 {
    core.db()
        .collection::<Document>("participants")
        .count_documents(doc! { "event_id": ev })
        .await
        .unwrap()
}

#[tokio::test]
async fn french_excel_windows_1252_semicolons() {
    let core = fresh_core("p_fr_excel").await;
    let ev = event(&core, None).await;
    let preview =
        csv_import::inspect(&fixture("fr_excel_1252.csv"), &ImportOptions::default()).unwrap();
    assert_eq!(preview.encoding, "windows-1252");
    assert_eq!(preview.separator, ";");
    assert_eq!(preview.headers[1], "Prénom");
    assert_eq!(preview.total_rows, 4);
    assert_eq!(
        preview.mapping,
        [
            Target::LastName,
            Target::FirstName,
            Target::Email,
            Target::Company,
            Target::Role,
            Target::Phone,
            Target::Custom
        ]
    );
    assert_eq!(preview.rows[0][3], "Société Générale");

    let r = import(&core, &ev, "fr_excel_1252.csv").await;
    assert_eq!((r.rows, r.imported, r.rejected), (4, 3, 1), "{r:?}");
    assert_eq!(lines(&r), [(4, RowErrorKind::InvalidEmail)]);
    assert!(
        r.errors[0].reason.contains("francois.muller@exemple"),
        "{r:?}"
    );

    let zoe = by_email(&core, &ev, "zoe.dupont@exemple.fr").await;
    assert_eq!(zoe.input.name, "Zoé Dupont");
    assert_eq!(
        zoe.input.email, "ZOE.DUPONT@Exemple.FR",
        "kept as typed, trimmed"
    );
    assert_eq!(zoe.input.role, "Chargée d'études");
    assert_eq!(zoe.status, RsvpStatus::Invited);
    assert_eq!(zoe.source.line, Some(3));
    let anais = by_email(&core, &ev, "anais.lefevre@exemple.fr").await;
    assert_eq!(
        anais.input.custom["Régime alimentaire"],
        json!("végétarien")
    );
    assert!(
        !zoe.input.custom.contains_key("Régime alimentaire"),
        "empty custom cells are not stored"
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn utf8_bom_commas_and_quoted_commas() {
    let core = fresh_core("p_bom").await;
    let ev = event(&core, None).await;
    let r = import(&core, &ev, "utf8_bom_comma.csv").await;
    assert_eq!(
        (r.encoding.as_str(), r.separator.as_str()),
        ("UTF-8 (BOM)", ",")
    );
    assert_eq!((r.imported, r.rejected), (3, 0), "{r:?}");
    let john = by_email(&core, &ev, "john.smith@example.com").await;
    assert_eq!(john.input.name, "Smith, John");
    assert_eq!(john.input.company, "Acme, Inc.");
    assert_eq!(john.input.role, "CEO", "'Job title' maps to the role");
    let ana = by_email(&core, &ev, "ana.ruiz@example.com").await;
    assert_eq!(ana.input.company, "Nube \"Cloud\" SL");
    let emile = by_email(&core, &ev, "emile@example.org").await;
    assert_eq!(emile.input.role, "Writer, novelist");
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn tab_separated_with_first_and_last_names() {
    let core = fresh_core("p_tab").await;
    let ev = event(&core, None).await;
    let r = import(&core, &ev, "tab.tsv").await;
    assert_eq!(r.separator, "\t");
    assert_eq!(r.imported, 2);
    assert_eq!(
        by_email(&core, &ev, "kenji@example.jp").await.input.name,
        "Kenji Sato"
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn messy_file_reports_each_bad_row_with_its_line() {
    let core = fresh_core("p_messy").await;
    let ev = event(&core, None).await;
    let r = import(&core, &ev, "messy.csv").await;
    assert_eq!(
        lines(&r),
        [
            (5, RowErrorKind::InvalidEmail),
            (10, RowErrorKind::DuplicateInFile),
            (11, RowErrorKind::MissingColumn),
            (12, RowErrorKind::InvalidEmail),
        ],
        "{r:#?}"
    );
    assert!(r.errors[1].reason.contains("line 2"), "{:?}", r.errors[1]);
    assert!(r.errors[2].reason.contains("E-mail"), "{:?}", r.errors[2]);
    assert_eq!(r.errors[3].reason, "missing e-mail");
    assert_eq!((r.rows, r.imported), (7, 3), "blank lines are not rows");
    let alice = by_email(&core, &ev, "alice@exemple.fr").await;
    assert_eq!(alice.input.company, "Martin; Fils & Cie");
    assert_eq!(
        alice.input.custom["Commentaire"],
        json!("Arrive tard;\nvient en train")
    );
    let chloe = by_email(&core, &ev, "chloe.petit@exemple.fr").await;
    assert_eq!(chloe.source.line, Some(6));
    assert_eq!(chloe.input.custom["Colonne vide"], json!("x"));
    assert_eq!(
        by_email(&core, &ev, "farid.haddad@exemple.fr")
            .await
            .source
            .line,
        Some(13)
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn not_a_csv_file_is_a_clear_error_and_writes_nothing() {
    let core = fresh_core("p_notcsv").await;
    let ev = event(&core, None).await;
    let e = csv_import::import(
        &core,
        &ev,
        &fixture("not_csv.png"),
        &ImportOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, Code::Validation);
    assert_eq!(e.field.as_deref(), Some("file"));
    assert!(e.message.contains("not a CSV file"), "{}", e.message);
    let e = csv_import::inspect_bytes("book.xlsx", b"PK\x03\x04rest", &ImportOptions::default())
        .unwrap_err();
    assert!(e.message.contains("Excel"), "{}", e.message);
    assert_eq!(count(&core, &ev).await, 0);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn reimport_adds_nothing_twice_and_changes_nothing_stored() {
    let core = fresh_core("p_reimport").await;
    let ev = event(&core, None).await;
    // Alice is already there, by hand, and has accepted.
    let alice = participants::create(
        &core,
        &ev,
        ParticipantInput {
            name: "Alice Originale".into(),
            email: "Alice@Exemple.fr".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let alice = participants::set_status(&core, &alice.id, Some(1), RsvpStatus::Accepted)
        .await
        .unwrap();

    // A failed import (no e-mail column mapped) writes nothing.
    let bad = ImportOptions {
        mapping: Some(vec![
            Target::Name,
            Target::Ignore,
            Target::Company,
            Target::Custom,
            Target::Custom,
        ]),
        ..Default::default()
    };
    let e = csv_import::import(
        &core,
        &ev,
        &fixture("messy.csv"),
        &bad,
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("mapping"));
    assert_eq!(count(&core, &ev).await, 1);

    let first = import(&core, &ev, "messy.csv").await;
    assert_eq!(
        first.imported, 2,
        "Alice was already in the event: {first:#?}"
    );
    assert!(lines(&first).contains(&(2, RowErrorKind::AlreadyInEvent)));
    let again = import(&core, &ev, "messy.csv").await;
    assert_eq!(again.imported, 0);
    let already: Vec<u64> = again
        .errors
        .iter()
        .filter(|e| e.kind == RowErrorKind::AlreadyInEvent)
        .map(|e| e.line)
        .collect();
    assert_eq!(already, [2, 6, 13]);
    assert_eq!(count(&core, &ev).await, 3);
    let now = participants::get(&core, &alice.id).await.unwrap();
    assert_eq!(now, alice, "the stored participant is untouched");

    // The same person in another event is a different participant.
    let other = event(&core, None).await;
    assert_eq!(import(&core, &other, "messy.csv").await.imported, 3);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn the_unique_index_is_enforced_by_the_server() {
    let core = fresh_core("p_unique").await;
    let ev = event(&core, None).await;
    let p = participants::create(
        &core,
        &ev,
        ParticipantInput {
            email: "x@exemple.fr".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut d = core
        .db()
        .collection::<Document>("participants")
        .find_one(doc! { "_id": &p.id })
        .await
        .unwrap()
        .unwrap();
    d.insert("_id", "another-id");
    let e = core
        .db()
        .collection::<Document>("participants")
        .insert_one(d)
        .await
        .unwrap_err();
    assert_eq!(eventhub_core::Error::from(e).code, Code::Duplicate);
    let e = participants::create(
        &core,
        &ev,
        ParticipantInput {
            email: " X@EXEMPLE.FR".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, Code::Duplicate);
    cleanup(&core).await.unwrap();
}

fn big_csv(n: usize) -> Vec<u8> {
    let mut s = String::from("Nom;Prénom;E-mail;Société\r\n");
    for i in 0..n {
        s.push_str(&format!(
            "Nom{i};Prénom{i};p{i}@exemple.fr;Société {}\r\n",
            i % 97
        ));
    }
    s.into_bytes()
}

#[tokio::test]
async fn cancelling_removes_what_the_import_wrote() {
    let core = fresh_core("p_cancel").await;
    let ev = event(&core, None).await;
    let cancel = Arc::new(AtomicBool::new(false));
    let c2 = cancel.clone();
    let writes = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let w2 = writes.clone();
    let progress = move |p: csv_import::Progress| {
        if p.phase == csv_import::Phase::Writing && w2.fetch_add(1, Ordering::SeqCst) == 2 {
            c2.store(true, Ordering::SeqCst); // after two batches were written
        }
    };
    let r = csv_import::import_bytes(
        &core,
        &ev,
        "big.csv",
        &big_csv(5000),
        &ImportOptions::default(),
        &progress,
        &cancel,
    )
    .await
    .unwrap();
    assert!(r.cancelled);
    assert_eq!(r.imported, 0);
    assert_eq!(count(&core, &ev).await, 0, "rolled back");

    // Without cancelling, the same file imports every row.
    let r = csv_import::import_bytes(
        &core,
        &ev,
        "big.csv",
        &big_csv(5000),
        &ImportOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert_eq!((r.imported, r.rejected), (5000, 0));
    assert_eq!(count(&core, &ev).await, 5000);
    cleanup(&core).await.unwrap();
}

async fn invite(core: &Core, ev: &str, n: usize) -> Vec<String> {
    let mut ids = vec![];
    for i in 0..n {
        let p = participants::create(
            core,
            ev,
            ParticipantInput {
                name: format!("Personne {i:02}"),
                email: format!("p{i}@exemple.fr"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        ids.push(p.id);
    }
    ids
}

async fn counts(core: &Core, ev: &str) -> std::collections::HashMap<RsvpStatus, u64> {
    participants::status_counts(core, ev)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.status, c.count))
        .collect()
}

#[tokio::test]
async fn a_free_seat_goes_to_the_waitlist_before_a_newcomer() {
    let core = fresh_core("p_queue").await;
    let ev = event(&core, Some(2)).await;
    let ids = invite(&core, &ev, 5).await;
    for id in &ids[..4] {
        participants::set_status(&core, id, None, RsvpStatus::Accepted)
            .await
            .unwrap();
    }
    let status = |i: usize| {
        let core = core.clone();
        let id = ids[i].clone();
        async move { participants::get(&core, &id).await.unwrap().status }
    };
    assert_eq!(status(2).await, RsvpStatus::Waitlisted);
    // A seat is free while two people wait (a status write whose counter update was lost).
    core.db()
        .collection::<Document>("seat_counters")
        .update_one(doc! { "_id": &ev }, doc! { "$set": { "taken": 1_i64 } })
        .await
        .unwrap();
    let newcomer = participants::set_status(&core, &ids[4], None, RsvpStatus::Accepted)
        .await
        .unwrap();
    assert_eq!(newcomer.status, RsvpStatus::Waitlisted, "queues behind");
    assert_eq!(
        status(2).await,
        RsvpStatus::Accepted,
        "the earliest waiting"
    );
    assert_eq!(status(3).await, RsvpStatus::Waitlisted);
    let c = counts(&core, &ev).await;
    assert_eq!(
        (c[&RsvpStatus::Accepted], c[&RsvpStatus::Waitlisted]),
        (3, 2)
    );
    assert_eq!(participants::rsvp::taken(&core, &ev).await.unwrap(), 2);
    // Full again: the next newcomer waits too, and no seat was taken for them.
    let late = participants::create(
        &core,
        &ev,
        ParticipantInput {
            name: "Retardataire".into(),
            email: "late@exemple.fr".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let late = participants::set_status(&core, &late.id, None, RsvpStatus::Accepted)
        .await
        .unwrap();
    assert_eq!(late.status, RsvpStatus::Waitlisted);
    assert_eq!(participants::rsvp::taken(&core, &ev).await.unwrap(), 2);
    cleanup(&core).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_race_for_five_seats_and_a_cancellation_promotes_the_earliest() {
    let core = fresh_core("p_race").await;
    let ev = event(&core, Some(5)).await;
    let ids = invite(&core, &ev, 20).await;
    let mut tasks = vec![];
    for id in ids.clone() {
        let core = core.clone();
        tasks.push(tokio::spawn(async move {
            participants::set_status(&core, &id, None, RsvpStatus::Accepted)
                .await
                .unwrap()
        }));
    }
    let mut results = vec![];
    for t in tasks {
        results.push(t.await.unwrap());
    }
    let accepted = results
        .iter()
        .filter(|p| p.status == RsvpStatus::Accepted)
        .count();
    let waitlisted = results
        .iter()
        .filter(|p| p.status == RsvpStatus::Waitlisted)
        .count();
    assert_eq!((accepted, waitlisted), (5, 15));
    let c = counts(&core, &ev).await;
    assert_eq!(
        (c[&RsvpStatus::Accepted], c[&RsvpStatus::Waitlisted]),
        (5, 15)
    );
    let page = participants::list(&core, &ev, &ParticipantQuery::default())
        .await
        .unwrap();
    assert_eq!(page.capacity.taken, 5);
    assert_eq!(page.capacity.waitlisted, 15);

    // The earliest on the waitlist gets the seat freed by a cancellation.
    let mut waiting: Vec<_> = results
        .iter()
        .filter(|p| p.status == RsvpStatus::Waitlisted)
        .collect();
    waiting.sort_by_key(|p| (p.waitlisted_at, p.id.clone()));
    let first_waiting = waiting[0].id.clone();
    let leaver = results
        .iter()
        .find(|p| p.status == RsvpStatus::Accepted)
        .unwrap();
    let gone = participants::set_status(&core, &leaver.id, None, RsvpStatus::Cancelled)
        .await
        .unwrap();
    assert_eq!(gone.status, RsvpStatus::Cancelled);
    let promoted = participants::get(&core, &first_waiting).await.unwrap();
    assert_eq!(promoted.status, RsvpStatus::Accepted);
    let c = counts(&core, &ev).await;
    assert_eq!(
        (
            c[&RsvpStatus::Accepted],
            c[&RsvpStatus::Waitlisted],
            c[&RsvpStatus::Cancelled]
        ),
        (5, 14, 1)
    );
    let trail = participants::audit_trail(&core, &first_waiting)
        .await
        .unwrap();
    assert_eq!(trail[0].action, "promoted");
    assert_eq!(trail[0].to, Some(RsvpStatus::Accepted));

    // Concurrent cancellations each promote a different person.
    let accepted_now: Vec<String> = participants::list(
        &core,
        &ev,
        &ParticipantQuery {
            status: Some(RsvpStatus::Accepted),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|p| p.id)
    .collect();
    let mut tasks = vec![];
    for id in accepted_now.into_iter().take(3) {
        let core = core.clone();
        tasks.push(tokio::spawn(async move {
            participants::set_status(&core, &id, None, RsvpStatus::Declined)
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let c = counts(&core, &ev).await;
    assert_eq!(
        (c[&RsvpStatus::Accepted], c[&RsvpStatus::Waitlisted]),
        (5, 11)
    );
    assert_eq!(participants::rsvp::taken(&core, &ev).await.unwrap(), 5);
    assert_eq!(
        participants::rsvp::recount(&core, &ev).await.unwrap(),
        5,
        "the counter agrees"
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn check_in_search_stale_versions_and_the_audit_trail() {
    let core = fresh_core("p_checkin").await.with_actor("marie@agence.fr");
    let ev = event(&core, Some(2)).await;
    import(&core, &ev, "fr_excel_1252.csv").await;

    let q = |s: &str| ParticipantQuery {
        q: Some(s.into()),
        ..Default::default()
    };
    let found = participants::list(&core, &ev, &q("zoe dup")).await.unwrap();
    assert_eq!(found.total, 1, "accent-insensitive prefix search");
    let zoe = found.items[0].clone();
    assert_eq!(
        participants::list(&core, &ev, &q("generale"))
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        participants::list(&core, &ev, &q("exemple.fr"))
            .await
            .unwrap()
            .total,
        3
    );

    let z = participants::check_in(&core, &zoe.id).await.unwrap();
    assert_eq!(z.status, RsvpStatus::CheckedIn);
    assert!(z.checked_in_at.is_some());
    assert_eq!(z.version, 2);
    assert_eq!(z.updated_by, "marie@agence.fr");
    let e = participants::set_status(&core, &zoe.id, Some(1), RsvpStatus::Declined)
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::Conflict);
    assert!(e.message.contains("marie@agence.fr"), "{}", e.message);

    let trail = participants::audit_trail(&core, &zoe.id).await.unwrap();
    assert_eq!(trail.len(), 2, "{trail:#?}");
    assert_eq!(trail[0].action, "check_in");
    assert_eq!(trail[0].actor, "marie@agence.fr");
    assert_eq!(
        (trail[0].from, trail[0].to),
        (Some(RsvpStatus::Invited), Some(RsvpStatus::CheckedIn))
    );
    assert_eq!(trail[1].action, "import");
    assert!(
        trail[1].note.contains("fr_excel_1252.csv:3"),
        "{}",
        trail[1].note
    );

    let by_status = participants::list(
        &core,
        &ev,
        &ParticipantQuery {
            status: Some(RsvpStatus::CheckedIn),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_status.total, 1);
    assert_eq!(by_status.capacity.taken, 1);
    let c = counts(&core, &ev).await;
    assert_eq!((c[&RsvpStatus::Invited], c[&RsvpStatus::CheckedIn]), (2, 1));
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn export_opens_in_excel_fr_and_en_and_follows_the_filter() {
    let core = fresh_core("p_export").await;
    let ev = event(&core, None).await;
    import(&core, &ev, "fr_excel_1252.csv").await;
    participants::create(
        &core,
        &ev,
        ParticipantInput {
            name: "=HYPERLINK(\"http://evil\")".into(),
            email: "evil@exemple.fr".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (fr, n) = csv_export::export(&core, &ev, &ParticipantQuery::default(), Lang::Fr)
        .await
        .unwrap();
    assert_eq!(n, 4);
    assert!(fr.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let text = String::from_utf8(fr[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("Nom;E-mail;Société;Fonction;Téléphone;Réponse;"),
        "{text}"
    );
    assert!(text.contains("\r\n"));
    assert!(text.contains("Anaïs Lefèvre;anais.lefevre@exemple.fr;Société Générale"));
    assert!(
        text.contains("Régime alimentaire"),
        "custom columns exported"
    );
    assert!(
        text.contains("'=HYPERLINK"),
        "formulas are neutralised: {text}"
    );
    assert!(text.contains(";Sans réponse;"), "{text}");

    let (en, _) = csv_export::export(&core, &ev, &ParticipantQuery::default(), Lang::En)
        .await
        .unwrap();
    let text = String::from_utf8(en[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("Name,E-mail,Company,Role,Phone,Response,"),
        "{text}"
    );
    assert!(text.contains(",No reply,"), "{text}");

    let anais = by_email(&core, &ev, "anais.lefevre@exemple.fr").await;
    participants::set_status(&core, &anais.id, None, RsvpStatus::Accepted)
        .await
        .unwrap();
    let (only, n) = csv_export::export(
        &core,
        &ev,
        &ParticipantQuery {
            status: Some(RsvpStatus::Accepted),
            ..Default::default()
        },
        Lang::Fr,
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    let text = String::from_utf8(only[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(
        text.contains(";Inscrit;"),
        "the glossary word for accepted: {text}"
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn session_capacity_is_enforced_under_concurrency() {
    let core = fresh_core("p_sessions").await;
    let input = events::input_from_json(json!({
        "title": "Atelier",
        "starts_at": "2027-03-01T08:00:00Z",
        "ends_at": "2027-03-01T18:00:00Z",
        "sessions": [{ "title": "Atelier IA", "starts_at": "2027-03-01T09:00:00Z",
                        "ends_at": "2027-03-01T10:00:00Z", "capacity": 3 }]
    }))
    .unwrap();
    let ev = events::create(&core, input).await.unwrap();
    let sid = ev.input.sessions[0].id.clone();
    let ids = invite(&core, &ev.id, 8).await;
    let e = participants::join_session(&core, &ids[0], &sid)
        .await
        .unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("status"),
        "only people who accepted"
    );
    for id in &ids {
        participants::set_status(&core, id, None, RsvpStatus::Accepted)
            .await
            .unwrap();
    }
    let mut tasks = vec![];
    for id in ids.clone() {
        let (core, sid) = (core.clone(), sid.clone());
        tasks.push(tokio::spawn(async move {
            participants::join_session(&core, &id, &sid).await
        }));
    }
    let (mut seated, mut waiting) = (0, 0);
    for t in tasks {
        let p = t.await.unwrap().unwrap();
        if p.sessions == std::slice::from_ref(&sid) {
            assert!(p.session_waitlist.is_empty());
            seated += 1;
        } else {
            assert_eq!(p.session_waitlist.len(), 1, "{p:?}");
            assert_eq!(p.session_waitlist[0].session_id, sid);
            waiting += 1;
        }
    }
    assert_eq!(seated, 3, "exactly the session's capacity");
    assert_eq!(waiting, 5, "the others wait for the session");
    let first_waiting = core
        .db()
        .collection::<Document>("participants")
        .aggregate(vec![
            doc! { "$match": { "event_id": &ev.id, "session_waitlist.session_id": &sid } },
            doc! { "$unwind": "$session_waitlist" },
            doc! { "$sort": { "session_waitlist.at": 1, "_id": 1 } },
            doc! { "$limit": 1 },
        ])
        .await
        .unwrap()
        .try_next()
        .await
        .unwrap()
        .unwrap();
    let first_waiting = first_waiting.get_str("_id").unwrap().to_owned();
    // Cancelling the event frees the session seat: the earliest waiting person gets it.
    let holder = core
        .db()
        .collection::<participants::Participant>("participants")
        .find_one(doc! { "sessions": &sid })
        .await
        .unwrap()
        .unwrap();
    let after = participants::set_status(&core, &holder.id, None, RsvpStatus::Cancelled)
        .await
        .unwrap();
    assert!(after.sessions.is_empty());
    let promoted = participants::get(&core, &first_waiting).await.unwrap();
    assert_eq!(promoted.sessions, std::slice::from_ref(&sid), "promoted");
    assert!(promoted.session_waitlist.is_empty());
    // A waiting person can leave the waitlist; a newcomer queues behind those waiting.
    let waiter = core
        .db()
        .collection::<participants::Participant>("participants")
        .find_one(doc! { "session_waitlist.session_id": &sid })
        .await
        .unwrap()
        .unwrap();
    let left = participants::leave_session(&core, &waiter.id, &sid)
        .await
        .unwrap();
    assert!(left.session_waitlist.is_empty() && left.sessions.is_empty());
    let counted = participants::rsvp::recount(&core, &ev.id).await.unwrap();
    assert_eq!(counted, 7, "seven accepted people hold event seats");
    let taken = core
        .db()
        .collection::<Document>("seat_counters")
        .find_one(doc! { "session_id": &sid })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        taken.get_i64("taken").unwrap(),
        3,
        "the session stays full, never over"
    );
    cleanup(&core).await.unwrap();
}

/// The CSV import's "who is already in the event" lookup reads `event_email_unique` (an
/// index scan bounded by the event, tombstones left out), not the whole collection.
#[tokio::test]
async fn the_import_lookup_of_known_addresses_reads_the_unique_index() {
    let core = fresh_core("import_lookup_index").await;
    let ev = events::create(
        &core,
        events::input_from_json(serde_json::json!({
            "title": "Lookup",
            "starts_at": "2027-06-01T07:00:00Z",
            "ends_at": "2027-06-01T16:00:00Z",
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let other = events::create(
        &core,
        events::input_from_json(serde_json::json!({
            "title": "Other",
            "starts_at": "2027-06-01T07:00:00Z",
            "ends_at": "2027-06-01T16:00:00Z",
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let mut ids = vec![];
    for (e, who) in [
        (&ev.id, "a"),
        (&ev.id, "b"),
        (&ev.id, "c"),
        (&other.id, "d"),
    ] {
        let p = participants::create(
            &core,
            e,
            participants::ParticipantInput {
                email: format!("{who}@x.org"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        ids.push(p.id);
    }
    participants::delete(&core, &ids[2], None).await.unwrap();
    let (filter, projection) = participants::csv_import::existing_emails_query(&ev.id);
    let mongodb::options::Hint::Name(hint) = participants::csv_import::existing_emails_hint()
    else {
        panic!("a named index")
    };
    let ex = core
        .db()
        .run_command(doc! {
            "explain": { "find": participants::schema::PARTICIPANTS, "filter": filter,
                         "projection": projection, "hint": &hint },
            "verbosity": "executionStats",
        })
        .await
        .unwrap();
    let plan = ex
        .get_document("queryPlanner")
        .unwrap()
        .get_document("winningPlan")
        .unwrap();
    let text = format!("{plan:?}");
    assert!(text.contains("IXSCAN"), "{plan:?}");
    assert!(!text.contains("COLLSCAN"), "{plan:?}");
    assert!(text.contains("event_email_unique"), "{plan:?}");
    let stats = ex.get_document("executionStats").unwrap();
    let n = |k: &str| {
        stats
            .get(k)
            .and_then(|v| v.as_i32().map(i64::from).or_else(|| v.as_i64()))
    };
    // The two live people of the event: the deleted one and the other event's are not read.
    assert_eq!(n("nReturned"), Some(2), "{stats:?}");
    assert_eq!(n("totalDocsExamined").unwrap_or(0), 0, "covered: {stats:?}");
    // And the import, through that lookup, knows them.
    let r = participants::csv_import::import_bytes(
        &core,
        &ev.id,
        "people.csv",
        b"email\na@x.org\nc@x.org\ne@x.org\n",
        &Default::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert_eq!((r.imported, r.already_present), (2, 1), "{r:?}");
    cleanup(&core).await.unwrap();
}
