//! SMTP settings and the test message through IPC, against a loopback SMTP server.

use eventhub_core::testing::{cleanup, SmtpSink};
use serde_json::{json, Value};

use crate::common::harness;

#[test]
fn settings_are_checked_saved_and_a_test_message_arrives() {
    let h = harness("ipc_mail");
    let core = h.core.clone();
    let call = |cmd: &str, args: Value| h.call(cmd, args);

    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path());

    let empty = call("mail_settings_get", json!({})).unwrap();
    assert_eq!(empty["settings"], Value::Null);
    let err = call("mail_test_send", json!({ "to": "a@b.org" })).unwrap_err();
    assert_eq!(err["code"], "validation", "{err}");

    let bad =
        json!({ "host": "127.0.0.1", "port": 70000, "security": "none", "from_email": "x@y.org" });
    let err = call(
        "mail_settings_save",
        json!({ "settings": bad, "password": null }),
    )
    .unwrap_err();
    assert_eq!(err["field"], "port", "{err}");

    let good = json!({ "host": "127.0.0.1", "port": sink.port, "security": "none",
                       "username": "", "from_email": "events@eventhub.test", "from_name": "EventHub" });
    let saved = call(
        "mail_settings_save",
        json!({ "settings": good, "password": null }),
    )
    .unwrap();
    assert_eq!(saved["settings"]["port"], sink.port);

    let err = call("mail_test_send", json!({ "to": "not an address" })).unwrap_err();
    assert_eq!(err["field"], "to");
    call(
        "mail_test_send",
        json!({ "to": "ann@example.org", "lang": "en" }),
    )
    .unwrap();
    let msgs = sink.wait_for(1);
    assert_eq!(msgs.len(), 1);
    let raw = String::from_utf8_lossy(&msgs[0]);
    assert!(raw.contains("ann@example.org"));
    assert!(raw.contains("EventHub: test message"), "{raw}");
    tauri::async_runtime::block_on(cleanup(&core)).unwrap();
}
