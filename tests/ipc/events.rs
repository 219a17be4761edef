//! The Tauri commands through real IPC (the mock runtime, no window): argument names,
//! JSON shapes and the `{code, message, field}` errors the UI branches on.

use serde_json::{json, Value};

use crate::common::harness;

fn event(title: &str) -> Value {
    json!({
        "title": title,
        "starts_at": "2027-06-01T07:00:00.000Z",
        "ends_at": "2027-06-01T16:00:00.000Z",
        "timezone": "Europe/Paris",
        "venue": { "name": "Station F", "address": "Paris" },
        "status": "draft",
        "tags": ["tech"],
        "speakers": [{ "id": "k1", "name": "Karim Benali", "title": "CTO", "bio": "", "links": [] }],
        "sessions": [{ "id": "", "title": "Keynote", "abstract": "", "starts_at": "2027-06-01T08:00:00.000Z",
                       "ends_at": "2027-06-01T09:00:00.000Z", "room": "Main", "speaker_ids": ["k1"] }],
        "seating": [{ "id": "", "room": "Main", "layout": { "kind": "grid", "rows": 3, "seats_per_row": 4 }, "blocked": ["A1"] }],
        "custom": { "budget": 5000 }
    })
}

#[test]
fn create_search_update_and_delete_through_ipc() {
    let h = harness("ipc_crud");
    let created = h
        .call("events_create", json!({ "input": event("Rencontre Été") }))
        .unwrap();
    let id = created["_id"].as_str().unwrap().to_owned();
    assert_eq!(created["version"], 1);
    assert_eq!(
        created["starts_at"], "2027-06-01T07:00:00.000Z",
        "dates go out as RFC 3339"
    );
    assert_eq!(created["sessions"][0]["speaker_ids"], json!(["k1"]));

    let page = h
        .call(
            "events_list",
            json!({ "query": { "q": "ete", "per_page": 10 } }),
        )
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["more"], false);
    assert_eq!(page["items"][0]["title"], "Rencontre Été");
    let n = h
        .call("events_count", json!({ "query": { "q": "ete" } }))
        .unwrap();
    assert_eq!(n, json!({ "total": 1, "capped": false }));
    let err = h
        .call("events_count", json!({ "query": { "sort": "by_mood" } }))
        .unwrap_err();
    assert_eq!(err["field"], "sort", "{err}");
    assert_eq!(page["items"][0]["sessions"], 1);

    let mut edited = event("Rencontre d'Été");
    edited["status"] = json!("published");
    let updated = h
        .call(
            "events_update",
            json!({ "id": id, "version": 1, "input": edited }),
        )
        .unwrap();
    assert_eq!(updated["version"], 2);

    // The same stale version again: a conflict the UI can branch on.
    let err = h
        .call(
            "events_update",
            json!({ "id": id, "version": 1, "input": event("x") }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "conflict", "{err}");

    let copy = h
        .call("events_duplicate", json!({ "id": id, "title": null }))
        .unwrap();
    assert_eq!(copy["status"], "draft");
    let counts = h.call("events_status_counts", json!({})).unwrap();
    assert!(counts
        .as_array()
        .unwrap()
        .contains(&json!({ "status": "draft", "count": 1 })));

    h.call("events_delete", json!({ "id": id, "version": 2 }))
        .unwrap();
    let err = h.call("events_get", json!({ "id": id })).unwrap_err();
    assert_eq!(err["code"], "not_found");
    h.done();
}

#[test]
fn bad_input_reaches_the_ui_as_code_message_and_field() {
    let h = harness("ipc_errors");
    let mut bad = event("Salon");
    bad["sessions"][0]["ends_at"] = json!("2027-06-02T09:00:00.000Z");
    let err = h
        .call("events_create", json!({ "input": bad }))
        .unwrap_err();
    assert_eq!(err["code"], "validation");
    assert_eq!(err["field"], "sessions[0].ends_at");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("within the event"));
    // The UI words it from the reason, not from the English message.
    assert_eq!(err["reason"], "outside_event");

    // Every fault at once: no title and a capacity of 0 come back together.
    let mut two = event("");
    two["capacity"] = json!(0);
    let err = h
        .call("events_create", json!({ "input": two }))
        .unwrap_err();
    assert_eq!(err["field"], "title", "{err}");
    assert_eq!(err["reason"], "required", "{err}");
    let problems = err["problems"].as_array().expect("a list of problems");
    let fields: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p["field"].as_str().unwrap(), p["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        [("title", "required"), ("capacity", "out_of_range")]
    );
    assert_eq!(problems[1]["params"]["max"], "1000000");

    let mut typed = event("Salon");
    typed["seating"][0]["layout"]["rows"] = json!("ten");
    let err = h
        .call("events_create", json!({ "input": typed }))
        .unwrap_err();
    assert_eq!(err["code"], "validation");
    // The layout is a tagged union: serde names the layout, and the message the bad value.
    assert_eq!(err["field"], "seating[0].layout");
    assert!(
        err["message"].as_str().unwrap().contains("\"ten\""),
        "{err}"
    );

    let err = h
        .call("events_list", json!({ "query": { "status": "someday" } }))
        .unwrap_err();
    assert_eq!(err["field"], "status");

    let list = h.call("events_list", json!({ "query": {} })).unwrap();
    assert_eq!(list["total"], 0, "refused input wrote nothing");
    h.done();
}

#[test]
fn status_reports_the_server_and_what_it_lacks() {
    let h = harness("ipc_status");
    let st = h.call("db_status", json!({})).unwrap();
    assert_eq!(st["state"], "ready");
    assert!(!st["server"]["version"].as_str().unwrap().is_empty());
    let missing = st["server"]["missing"].as_array().unwrap();
    let text = st["server"]["capabilities"]["text_search"]
        .as_bool()
        .unwrap();
    assert_eq!(missing.contains(&json!("$text")), !text);
    let seeded = h.call("seed_demo", json!({})).unwrap();
    assert!(seeded.as_u64().unwrap() >= 6);
    h.done();
}
