//! Sync commands through real IPC: the status carries figures and codes (the UI words them),
//! syncing without a remote is refused with a reason the UI translates, and a remote that
//! cannot be reached is not remembered.

use serde_json::json;

use crate::common::harness;

#[test]
fn sync_without_a_remote_is_refused_with_a_reason_and_nothing_is_remembered() {
    let h = harness("ipc_sync");
    let status = h.call("sync_status", json!({})).unwrap();
    assert!(
        ["keychain", "session", "none"].contains(&status["stored"].as_str().unwrap()),
        "{status}"
    );
    assert!(status["auto"]["last_result"].is_null(), "{status}");
    assert!(status["pending"].is_u64(), "{status}");

    if status["remote"].is_null() {
        let e = h
            .call("sync_resolve", json!({"id": "nope", "choices": {}}))
            .unwrap_err();
        assert_eq!(e["code"], "validation", "{e}");
        assert_eq!(e["reason"], "no_remote", "{e}");
    }

    // A careless entry: nothing answers there, so it is refused and not kept.
    let before = status["remote"].clone();
    let e = h
        .call(
            "sync_set_remote",
            json!({"uri": "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"}),
        )
        .unwrap_err();
    assert!(e["code"].is_string(), "{e}");
    let after = h.call("sync_status", json!({})).unwrap();
    assert_eq!(
        after["remote"], before,
        "an unreachable remote is not remembered"
    );
    h.done();
}
