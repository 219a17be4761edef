//! The participants commands through real IPC (the mock runtime, no window): argument
//! names, JSON shapes, the progress channel argument, the file-dialog test hooks and the
//! `{code, message, field}` errors the UI branches on.

use serde_json::{json, Value};

use crate::common::{harness, Harness};

trait HarnessExt {
    fn event(&self, capacity: Option<u32>) -> String;
}

impl HarnessExt for Harness {
    fn event(&self, capacity: Option<u32>) -> String {
        let mut input = json!({
            "title": "Soirée Partenaires",
            "starts_at": "2027-06-01T17:00:00.000Z",
            "ends_at": "2027-06-01T22:00:00.000Z",
            "timezone": "Europe/Paris",
            "status": "published",
        });
        if let Some(c) = capacity {
            input["capacity"] = json!(c);
        }
        let ev = self
            .call("events_create", json!({ "input": input }))
            .unwrap();
        ev["_id"].as_str().unwrap().to_owned()
    }
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/csv/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn inspect_import_list_and_the_report_through_ipc() {
    let h = harness("ipc_p_import");
    let ev = h.event(None);
    let preview = h
        .call(
            "participants_inspect",
            json!({ "path": fixture("fr_excel_1252.csv") }),
        )
        .unwrap();
    assert_eq!(preview["encoding"], "windows-1252");
    assert_eq!(preview["separator"], ";");
    assert_eq!(preview["headers"][1], "Prénom");
    assert_eq!(
        preview["mapping"],
        json!([
            "last_name",
            "first_name",
            "email",
            "company",
            "role",
            "phone",
            "custom"
        ])
    );
    assert_eq!(preview["total_rows"], 4);

    let mut mapping = preview["mapping"].clone();
    mapping[6] = json!("ignore");
    let report = h
        .call(
            "participants_import",
            json!({
                "eventId": ev,
                "path": fixture("fr_excel_1252.csv"),
                "options": { "mapping": mapping },
                "onProgress": "__CHANNEL__:7",
            }),
        )
        .unwrap();
    assert_eq!(report["imported"], 3, "{report}");
    assert_eq!(report["rejected"], 1);
    assert_eq!(report["errors"][0]["line"], 4);
    assert_eq!(report["errors"][0]["kind"], "invalid_email");
    assert_eq!(report["cancelled"], false);

    let page = h
        .call(
            "participants_list",
            json!({ "eventId": ev, "query": { "q": "anais" } }),
        )
        .unwrap();
    assert_eq!(page["total"], 1);
    let anais = &page["items"][0];
    assert_eq!(anais["name"], "Anaïs Lefèvre");
    assert_eq!(anais["status"], "invited");
    assert_eq!(anais["custom"], json!({}), "the ignored column is not kept");
    assert_eq!(anais["invitation"]["status"], "none");
    assert!(
        anais["created_at"].as_str().unwrap().ends_with('Z'),
        "dates as RFC 3339"
    );
    let counts: Vec<(String, u64)> = page["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["status"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(counts.contains(&("invited".into(), 3)), "{counts:?}");
    assert_eq!(page["capacity"]["capacity"], Value::Null);

    // Re-import: nothing added, each row reported as already there.
    let again = h
        .call(
            "participants_import",
            json!({ "eventId": ev, "path": fixture("fr_excel_1252.csv"), "onProgress": "__CHANNEL__:8" }),
        )
        .unwrap();
    assert_eq!(again["imported"], 0);
    assert_eq!(again["errors"][0]["kind"], "already_in_event");
    h.done();
}

#[test]
fn a_file_that_is_not_csv_and_a_bad_mapping_are_field_errors() {
    let h = harness("ipc_p_errors");
    let ev = h.event(None);
    let e = h
        .call(
            "participants_import",
            json!({ "eventId": ev, "path": fixture("not_csv.png"), "onProgress": "__CHANNEL__:1" }),
        )
        .unwrap_err();
    assert_eq!(e["code"], "validation");
    assert_eq!(e["field"], "file");
    assert!(
        e["message"].as_str().unwrap().contains("not a CSV file"),
        "{e}"
    );

    let e = h
        .call(
            "participants_inspect",
            json!({ "path": fixture("messy.csv"), "options": { "separator": "toolong" } }),
        )
        .unwrap_err();
    assert_eq!(e["field"], "separator");

    let e = h
        .call(
            "participants_import",
            json!({ "eventId": ev, "path": fixture("messy.csv"),
                    "options": { "mapping": ["name", "nope"] }, "onProgress": "__CHANNEL__:2" }),
        )
        .unwrap_err();
    assert_eq!(e["code"], "validation");
    assert!(
        e["field"].as_str().unwrap().starts_with("options.mapping"),
        "{e}"
    );

    let e = h
        .call("participants_list", json!({ "eventId": "no-such-event" }))
        .unwrap_err();
    assert_eq!(e["code"], "not_found");
    h.done();
}

#[test]
fn status_changes_waitlist_check_in_and_audit_through_ipc() {
    let h = harness("ipc_p_status");
    let ev = h.event(Some(1));
    let a = h
        .call(
            "participants_create",
            json!({ "eventId": ev, "input": { "name": "Ana", "email": "ana@exemple.fr" } }),
        )
        .unwrap();
    let b = h
        .call(
            "participants_create",
            json!({ "eventId": ev, "input": { "name": "Bruno", "email": "bruno@exemple.fr" } }),
        )
        .unwrap();
    let dup = h
        .call(
            "participants_create",
            json!({ "eventId": ev, "input": { "email": "ANA@exemple.fr" } }),
        )
        .unwrap_err();
    assert_eq!(dup["code"], "duplicate");

    let a2 = h
        .call(
            "participants_set_status",
            json!({ "id": a["_id"], "version": 1, "status": "accepted" }),
        )
        .unwrap();
    assert_eq!(a2["status"], "accepted");
    assert!(a2["rsvp_at"].is_string());
    let b2 = h
        .call(
            "participants_set_status",
            json!({ "id": b["_id"], "version": 1, "status": "accepted" }),
        )
        .unwrap();
    assert_eq!(b2["status"], "waitlisted", "one seat only");

    let stale = h
        .call(
            "participants_set_status",
            json!({ "id": a["_id"], "version": 1, "status": "declined" }),
        )
        .unwrap_err();
    assert_eq!(stale["code"], "conflict");
    let bad = h
        .call(
            "participants_set_status",
            json!({ "id": a["_id"], "status": "maybe" }),
        )
        .unwrap_err();
    assert_eq!(bad["code"], "validation");
    assert_eq!(bad["field"], "status");

    h.call(
        "participants_set_status",
        json!({ "id": a["_id"], "version": 2, "status": "cancelled" }),
    )
    .unwrap();
    let page = h
        .call(
            "participants_list",
            json!({ "eventId": ev, "query": { "status": "accepted" } }),
        )
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(
        page["items"][0]["name"], "Bruno",
        "promoted from the waitlist"
    );
    assert_eq!(page["capacity"]["taken"], 1);

    let c = h
        .call("participants_check_in", json!({ "id": b["_id"] }))
        .unwrap();
    assert_eq!(c["status"], "checked_in");
    let trail = h
        .call("participants_audit", json!({ "id": b["_id"] }))
        .unwrap();
    let mut actions: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "check_in", "newest first");
    actions.sort();
    assert_eq!(actions, ["check_in", "created", "promoted", "status"]);
    let waitlisted = trail
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "status")
        .unwrap();
    assert_eq!(
        (&waitlisted["from"], &waitlisted["to"]),
        (&json!("invited"), &json!("waitlisted"))
    );
    h.done();
}

#[test]
fn the_file_dialog_hooks_and_export() {
    let _env = crate::common::env_lock();
    let h = harness("ipc_p_export");
    let ev = h.event(None);
    std::env::set_var("EVENTHUB_E2E_OPEN_FILE", fixture("utf8_bom_comma.csv"));
    let picked = h.call("participants_pick_file", json!({})).unwrap();
    assert_eq!(picked, json!(fixture("utf8_bom_comma.csv")));
    h.call(
        "participants_import",
        json!({ "eventId": ev, "path": picked, "onProgress": "__CHANNEL__:3" }),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("EVENTHUB_E2E_SAVE_DIR", dir.path());
    let r = h
        .call(
            "participants_export",
            json!({ "eventId": ev, "query": { "q": "acme" }, "lang": "en" }),
        )
        .unwrap();
    assert_eq!(r["count"], 1);
    let path = r["path"].as_str().unwrap();
    assert!(
        path.ends_with("participants-soiree-partenaires.csv"),
        "{path}"
    );
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8_lossy(&bytes[3..]);
    assert!(text.starts_with("Name,E-mail,Company"), "{text}");
    assert!(
        text.contains("\"Smith, John\",john.smith@example.com,\"Acme, Inc.\""),
        "{text}"
    );
    h.done();
}

#[test]
fn sessions_from_the_desktop_join_wait_and_promote_through_ipc() {
    let h = harness("ipc_p_sessions");
    let ev = h
        .call(
            "events_create",
            json!({ "input": {
                "title": "Atelier",
                "starts_at": "2027-06-01T07:00:00.000Z",
                "ends_at": "2027-06-01T16:00:00.000Z",
                "sessions": [{ "id": "ws", "title": "Atelier IA", "starts_at": "2027-06-01T09:00:00.000Z",
                               "ends_at": "2027-06-01T10:00:00.000Z", "capacity": 1 }],
            } }),
        )
        .unwrap()["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = vec![];
    for (name, email) in [("Ana", "ana@exemple.fr"), ("Bruno", "bruno@exemple.fr")] {
        let p = h
            .call(
                "participants_create",
                json!({ "eventId": ev, "input": { "name": name, "email": email } }),
            )
            .unwrap();
        let id = p["_id"].as_str().unwrap().to_owned();
        h.call(
            "participants_set_status",
            json!({ "id": id, "status": "accepted" }),
        )
        .unwrap();
        ids.push(id);
    }
    let a = h
        .call(
            "participants_join_session",
            json!({ "id": ids[0], "sessionId": "ws" }),
        )
        .unwrap();
    assert_eq!(a["sessions"], json!(["ws"]));
    let b = h
        .call(
            "participants_join_session",
            json!({ "id": ids[1], "sessionId": "ws" }),
        )
        .unwrap();
    assert_eq!(b["sessions"], json!([]));
    assert_eq!(
        b["session_waitlist"][0]["session_id"], "ws",
        "full: Bruno waits"
    );
    h.call(
        "participants_leave_session",
        json!({ "id": ids[0], "sessionId": "ws" }),
    )
    .unwrap();
    let page = h
        .call("participants_list", json!({ "eventId": ev, "query": {} }))
        .unwrap();
    let bruno = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Bruno")
        .unwrap()
        .clone();
    assert_eq!(bruno["sessions"], json!(["ws"]), "promoted");
    let bad = h
        .call(
            "participants_join_session",
            json!({ "id": ids[0], "sessionId": "nope" }),
        )
        .unwrap_err();
    assert_eq!(bad["code"], "not_found");
    h.done();
}

impl Harness {
    fn person(&self, ev: &str, name: &str, email: &str) -> Value {
        self.call(
            "participants_create",
            json!({ "eventId": ev, "input": { "name": name, "email": email } }),
        )
        .unwrap()
    }
}

#[test]
fn edit_delete_erase_and_merge_through_ipc() {
    let h = harness("ipc_p_edit");
    let ev = h.event(Some(1));
    let ana = h.person(&ev, "Ana", "ana@exemple.fr");
    let bruno = h.person(&ev, "Bruno", "bruno@exemple.fr");
    let (ana_id, bruno_id) = (ana["_id"].as_str().unwrap(), bruno["_id"].as_str().unwrap());

    let edited = h
        .call(
            "participants_update",
            json!({ "id": ana_id, "version": 1, "input": {
                "name": "Ana Souza", "email": "ana.souza@exemple.fr", "company": "Acme",
                "role": "CTO", "phone": "0612345678", "custom": { "T-shirt": "M" } } }),
        )
        .unwrap();
    assert_eq!(edited["name"], "Ana Souza");
    assert_eq!(edited["custom"]["T-shirt"], "M");
    assert_eq!(edited["version"], 2);
    // The UI's error: code, field and the participant who has the address.
    let dup = h
        .call(
            "participants_update",
            json!({ "id": ana_id, "version": 2, "input": { "name": "Ana", "email": "BRUNO@exemple.fr" } }),
        )
        .unwrap_err();
    assert_eq!(dup["code"], "duplicate");
    assert_eq!(dup["field"], "email");
    assert_eq!(dup["params"]["name"], "Bruno");
    assert_eq!(dup["params"]["participant_id"], bruno_id);
    let stale = h
        .call(
            "participants_update",
            json!({ "id": ana_id, "version": 1, "input": { "email": "x@exemple.fr" } }),
        )
        .unwrap_err();
    assert_eq!(stale["code"], "conflict");
    let bad = h
        .call(
            "participants_update",
            json!({ "id": ana_id, "version": 2, "input": { "email": 42 } }),
        )
        .unwrap_err();
    assert_eq!(bad["code"], "validation");
    assert_eq!(bad["field"], "input.email");

    // Ana holds the only seat; deleting her promotes Bruno.
    h.call(
        "participants_set_status",
        json!({ "id": ana_id, "status": "accepted" }),
    )
    .unwrap();
    let b = h
        .call(
            "participants_set_status",
            json!({ "id": bruno_id, "status": "accepted" }),
        )
        .unwrap();
    assert_eq!(b["status"], "waitlisted");
    let v = h
        .call(
            "participants_list",
            json!({ "eventId": ev, "query": { "q": "souza" } }),
        )
        .unwrap()["items"][0]["version"]
        .clone();
    h.call("participants_delete", json!({ "id": ana_id, "version": v }))
        .unwrap();
    let page = h
        .call("participants_list", json!({ "eventId": ev, "query": {} }))
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["status"], "accepted", "Bruno promoted");

    // Merge, then erase the survivor.
    let bis = h.person(&ev, "Bruno D.", "bruno.d@exemple.fr");
    let m = h
        .call(
            "participants_merge",
            json!({ "keep": bruno_id, "other": bis["_id"] }),
        )
        .unwrap();
    assert_eq!(m["participant"]["merged_ids"], json!([bis["_id"]]));
    let self_merge = h
        .call(
            "participants_merge",
            json!({ "keep": bruno_id, "other": bruno_id }),
        )
        .unwrap_err();
    assert_eq!(self_merge["code"], "validation");
    let e = h
        .call("participants_erase", json!({ "id": bruno_id }))
        .unwrap();
    assert_eq!(e["profiles"], 0);
    let page = h
        .call("participants_list", json!({ "eventId": ev, "query": {} }))
        .unwrap();
    assert_eq!(page["total"], 0);
    let gone = h
        .call("participants_delete", json!({ "id": bruno_id }))
        .unwrap_err();
    assert_eq!(gone["code"], "not_found");
    h.done();
}

#[test]
fn seats_on_the_plan_and_the_badge_through_ipc() {
    let h = harness("ipc_p_seats");
    let ev = h
        .call(
            "events_create",
            json!({ "input": {
                "title": "Gala",
                "starts_at": "2027-06-01T17:00:00.000Z",
                "ends_at": "2027-06-01T23:00:00.000Z",
                "capacity": 450,
                "seating": [{ "id": "gala", "room": "Grande salle",
                              "layout": { "kind": "tables", "tables": 2, "seats_per_table": 2 },
                              "blocked": ["T1-1"] }],
            } }),
        )
        .unwrap()["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = vec![];
    for (n, e) in [("Ana", "ana@exemple.fr"), ("Bruno", "bruno@exemple.fr")] {
        let id = h.person(&ev, n, e)["_id"].as_str().unwrap().to_owned();
        h.call(
            "participants_set_status",
            json!({ "id": id, "status": "accepted" }),
        )
        .unwrap();
        ids.push(id);
    }
    let p = h
        .call(
            "participants_assign_seat",
            json!({ "id": ids[0], "planId": "gala", "label": "T1" }),
        )
        .unwrap();
    assert_eq!(p["seat"], json!({ "plan_id": "gala", "label": "T1-2" }));
    let taken = h
        .call(
            "participants_assign_seat",
            json!({ "id": ids[1], "planId": "gala", "label": "T1-2" }),
        )
        .unwrap_err();
    assert_eq!(taken["code"], "duplicate");
    assert_eq!(taken["field"], "seat");
    assert_eq!(taken["params"]["name"], "Ana");
    let blocked = h
        .call(
            "participants_assign_seat",
            json!({ "id": ids[1], "planId": "gala", "label": "T1-1" }),
        )
        .unwrap_err();
    assert_eq!(blocked["field"], "label");
    let r = h
        .call(
            "participants_auto_seat",
            json!({ "eventId": ev, "planId": "gala", "by": "company" }),
        )
        .unwrap();
    assert_eq!(r, json!({ "assigned": 1, "left": 0 }));
    let o = h
        .call("participants_seating", json!({ "eventId": ev }))
        .unwrap();
    assert_eq!(o["plans"][0]["assigned"], 2);
    assert_eq!(o["warnings"][0]["code"], "plan_under_capacity");
    assert_eq!(o["warnings"][0]["params"]["seats"], 3);
    let badge = h
        .call("participants_badge", json!({ "id": ids[0] }))
        .unwrap();
    assert_eq!(badge["seat"], "Grande salle · T1-2");
    let freed = h
        .call("participants_unassign_seat", json!({ "id": ids[0] }))
        .unwrap();
    assert!(freed.get("seat").is_none());
    let badge = h
        .call("participants_badge", json!({ "id": ids[0] }))
        .unwrap();
    assert!(badge["seat"].is_null());
    h.done();
}
