//! Feedback and dashboard commands through Tauri's IPC: JSON shapes, errors naming the
//! field, the CSV export written to `EVENTHUB_E2E_SAVE_DIR`.

use eventhub_core::{
    events,
    feedback::{self, RawValue, Respondent},
    testing::cleanup,
};
use serde_json::{json, Value};

use crate::common::harness;

#[test]
fn polls_and_dashboard_through_ipc() {
    let _env = crate::common::env_lock();
    let h = harness("ipc_dashboard");
    let core = h.core.clone();
    let call = |cmd: &str, args: Value| h.call(cmd, args);
    let ev = tauri::async_runtime::block_on(events::create(
        &core,
        events::input_from_json(json!({"title": "Soirée IPC", "starts_at": "2027-09-10T17:00:00Z", "ends_at": "2027-09-10T22:00:00Z"})).unwrap(),
    ))
    .unwrap();

    let e = call("feedback_create", json!({"eventId": ev.id, "input": {"kind": "single", "label": {"fr": "Choix"}, "choices": [{"label": {"fr": "seul"}}]}})).unwrap_err();
    assert_eq!(
        (e["code"].as_str(), e["field"].as_str()),
        (Some("validation"), Some("choices"))
    );
    let e = call(
        "feedback_create",
        json!({"eventId": ev.id, "input": {"kind": "stars", "label": {"fr": "x"}}}),
    )
    .unwrap_err();
    assert_eq!(e["field"], "kind");
    let q = call("feedback_create", json!({"eventId": ev.id, "input": {"kind": "nps", "label": {"fr": "Recommanderiez-vous ?"}, "anonymous": true}})).unwrap();
    assert_eq!(q["status"], "draft");
    let id = q["_id"].as_str().unwrap().to_owned();
    assert_eq!(
        call("feedback_set_status", json!({"id": id, "status": "maybe"})).unwrap_err()["field"],
        "status"
    );
    let opened = call("feedback_set_status", json!({"id": id, "status": "open"})).unwrap();
    assert_eq!(opened["status"], "open");
    let link = call(
        "feedback_link",
        json!({"baseUrl": "http://127.0.0.1:8787", "pollId": id, "eventId": null}),
    )
    .unwrap();
    assert_eq!(link["url"], format!("http://127.0.0.1:8787/p/{id}"));
    assert!(link["qr_svg"].as_str().unwrap().contains("<svg"));

    tauri::async_runtime::block_on(async {
        let q = feedback::get_question(&core, &id).await.unwrap();
        for (i, v) in [10.0, 9.0, 2.0].into_iter().enumerate() {
            feedback::answer(
                &core,
                &q,
                &Respondent::Device(format!("ipc-device-{i}-abcdefgh")),
                &RawValue::Number(v),
            )
            .await
            .unwrap();
        }
    });
    let list = call("feedback_list", json!({"eventId": ev.id})).unwrap();
    assert_eq!(list[0]["answers"], 3);
    let d = call("dashboard_get", json!({"eventId": ev.id, "lang": "fr"})).unwrap();
    assert_eq!(d["nps"]["promoters"], 2);
    assert_eq!(d["nps"]["detractors"], 1);
    assert_eq!(d["nps"]["score"], 33.3);
    assert_eq!(d["total_answers"], 3);
    // Every timeline point carries the four series the UI charts.
    let point = &d["timeline"][0];
    for series in ["answers", "check_ins", "connections", "mentions"] {
        assert!(point[series].is_i64(), "{series}: {point}");
    }
    assert_eq!(d["bucket"], "minute");
    assert!(d["bucket_size"].as_i64().unwrap() >= 1, "{d}");
    // A notification the UI passes back as it received it: connections and mentions
    // recompute their series only; the figures stay those of a full load.
    let change = json!({"mode": "change_stream", "answers": 0, "participants": 0,
        "connections": 1, "mentions": 1, "full": false, "questions": [], "sessions": [],
        "inserted": 0, "inserted_at": [], "first_answers": {}, "session_firsts": {},
        "since": null, "until": null});
    let refreshed = call(
        "dashboard_refresh",
        json!({"prev": d.clone(), "changes": [change], "lang": "fr"}),
    )
    .unwrap();
    assert_eq!(refreshed["timeline"], d["timeline"]);
    assert_eq!(refreshed["total_answers"], 3);
    let ov = call("dashboard_overview", json!({})).unwrap();
    assert_eq!(ov[0]["answers"], 3);
    assert_eq!(
        call("dashboard_get", json!({"eventId": "nope"})).unwrap_err()["code"],
        "not_found"
    );

    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("EVENTHUB_E2E_SAVE_DIR", dir.path());
    let out = call(
        "dashboard_export_csv",
        json!({"eventId": ev.id, "lang": "fr"}),
    )
    .unwrap();
    let text = std::fs::read_to_string(out["path"].as_str().unwrap()).unwrap();
    assert!(text.contains("nps,score,,33.3,3"), "{text}");
    assert_eq!(
        call(
            "dashboard_export_html",
            json!({"eventId": ev.id, "html": "<html>"})
        )
        .unwrap_err()["field"],
        "html"
    );
    assert_eq!(
        call("dashboard_unwatch", json!({"id": 999})).unwrap(),
        false
    );
    tauri::async_runtime::block_on(cleanup(&core)).unwrap();
}
