//! SMTP settings and the test message through IPC, against a loopback SMTP server.

use eventhub_app::{
    state::{ConnState, DbStatus},
    AppState,
};
use eventhub_core::testing::{cleanup, fresh_core, SmtpSink};
use serde_json::{json, Value};
use tauri::{
    ipc::{CallbackFn, InvokeBody},
    test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY},
    Manager, WebviewWindowBuilder,
};

#[test]
fn settings_are_checked_saved_and_a_test_message_arrives() {
    let app = eventhub_app::builder(mock_builder())
        .build(mock_context(noop_assets()))
        .expect("mock app");
    let core = tauri::async_runtime::block_on(fresh_core("ipc_mail"));
    tauri::async_runtime::block_on(app.state::<AppState>().set(
        Some(core.clone()),
        DbStatus {
            state: ConnState::Ready,
            source: None,
            server: Some(core.info().clone()),
            engine: None,
            error: None,
        },
    ));
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let call = |cmd: &str, args: Value| -> Result<Value, Value> {
        get_ipc_response(
            &window,
            tauri::webview::InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|b| b.deserialize::<Value>().unwrap())
    };

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
