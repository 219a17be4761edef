//! The Index lab commands through real IPC (the mock runtime, no window): argument names,
//! JSON shapes, progress channels, cancel, errors, and the report export hook
//! (`EVENTHUB_E2E_SAVE_DIR`).
//!
//! The harness is `tests/ipc/common.rs`.

use serde_json::{json, Value};

use crate::common::harness;

/// A progress channel argument as the webview sends it (`Channel` in @tauri-apps/api).
const CHANNEL: &str = "__CHANNEL__:7";

#[test]
fn generate_run_list_and_export_through_ipc() {
    let _env = crate::common::env_lock();
    let h = harness("ipc_lab");
    let o = h.call("lab_overview", json!({})).unwrap();
    assert!(o["lab_database"].as_str().unwrap().ends_with("_lab"), "{o}");
    assert_eq!(o["data"], Value::Null);
    let cat = o["catalogue"].as_array().unwrap();
    assert!(cat.len() >= 10);
    let email = cat
        .iter()
        .find(|q| q["id"] == "participant_by_token")
        .unwrap();
    assert_eq!(email["variants"][0]["kind"], "none");
    assert!(email["shape"].as_str().unwrap().starts_with("find("));

    let set = h
        .call(
            "lab_generate",
            json!({ "scale": 600, "seed": 3, "onProgress": CHANNEL }),
        )
        .unwrap();
    assert_eq!(set["counts"]["participants"], 300);
    assert_eq!(set["cancelled"], false);
    assert!(
        set["generated_at"].as_str().unwrap().ends_with('Z'),
        "dates as RFC 3339"
    );

    let run = h
        .call(
            "lab_run",
            json!({ "options": { "queries": ["participant_by_token"], "runs": 2, "warmup": 1, "write_batch": 20 },
                    "onProgress": CHANNEL }),
        )
        .unwrap();
    let r = &run["results"][0];
    assert_eq!(r["variants"][0]["explain"]["access"], "COLLSCAN");
    assert!(r["verdict"]["best"].is_string(), "{}", r["verdict"]);
    assert!(r["verdict"]["fr"].as_str().unwrap().contains("IXSCAN"));

    let runs = h.call("lab_runs", json!({})).unwrap();
    assert_eq!(runs[0]["_id"], run["_id"]);
    let again = h.call("lab_get_run", json!({ "id": run["_id"] })).unwrap();
    assert_eq!(again["results"][0]["id"], "participant_by_token");

    let dir = std::env::temp_dir().join(format!("eventhub-ipc-lab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_var(eventhub_app::commands::lab::E2E_SAVE_DIR, &dir);
    let path = h.call("lab_export_report", json!({ "id": null })).unwrap();
    let path = path.as_str().expect("a path").to_owned();
    assert!(path.starts_with(dir.to_str().unwrap()), "{path}");
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.contains("<svg") && html.contains("participant_by_token"));
    std::fs::remove_dir_all(&dir).unwrap();

    assert_eq!(h.call("lab_cancel", json!({})).unwrap(), Value::Null);
    h.done();
}

#[test]
fn bad_lab_input_names_the_field() {
    let h = harness("ipc_lab_errors");
    let err = h
        .call(
            "lab_generate",
            json!({ "scale": 5, "seed": 1, "onProgress": CHANNEL }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "validation", "{err}");
    assert_eq!(err["field"], "scale");
    let err = h
        .call(
            "lab_run",
            json!({ "options": { "runs": "many" }, "onProgress": CHANNEL }),
        )
        .unwrap_err();
    assert_eq!(err["field"], "runs", "{err}");
    // Nothing generated yet: a clear not_found, not an empty run.
    let err = h
        .call("lab_run", json!({ "options": {}, "onProgress": CHANNEL }))
        .unwrap_err();
    assert_eq!(err["code"], "not_found", "{err}");
    let err = h
        .call(
            "lab_bench",
            json!({ "options": { "clients": [65] }, "onProgress": CHANNEL }),
        )
        .unwrap_err();
    assert_eq!(err["field"], "clients", "{err}");
    h.done();
}
