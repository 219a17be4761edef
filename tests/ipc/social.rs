//! Social commands through real IPC (the mock runtime, no window): sharing (copy, and an
//! X share whose address goes to `EVENTHUB_E2E_OPEN_LOG`), the moments list, an import with
//! its per-line report, the analysis, the wall, the fetch settings, errors naming the field,
//! and the CSV export to `EVENTHUB_E2E_SAVE_DIR`.

use eventhub_core::events;
use serde_json::{json, Value};

use crate::common::harness;

/// A progress channel argument as the webview sends it (`Channel` in @tauri-apps/api).
const CHANNEL: &str = "__CHANNEL__:7";

#[test]
fn share_import_analyse_and_export_through_ipc() {
    let _env = crate::common::env_lock();
    let h = harness("ipc_social");
    let call = |cmd: &str, args: Value| h.call(cmd, args);
    let ev = h
        .block_on(events::create(
            &h.core,
            events::input_from_json(json!({"title": "Forum IPC", "starts_at": "2024-11-14T08:00:00Z", "ends_at": "2024-11-14T18:00:00Z"})).unwrap(),
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("opened.txt");
    std::env::set_var("EVENTHUB_E2E_OPEN_LOG", &log);
    std::env::set_var("EVENTHUB_E2E_SAVE_DIR", dir.path());

    let moment = json!({"text": "Belle ouverture", "hashtags": ["#DevFest"], "link": "https://example.org/x"});
    let copy = call(
        "social_share",
        json!({"eventId": ev.id, "platform": {"kind": "copy"}, "moment": moment}),
    )
    .unwrap();
    assert_eq!(copy["url"], Value::Null);
    assert_eq!(
        copy["text"],
        "Belle ouverture\n\n#DevFest\n\nhttps://example.org/x"
    );
    assert_eq!(copy["moment"]["platform"], "copy");
    let x = call(
        "social_share",
        json!({"eventId": ev.id, "platform": {"kind": "x"}, "moment": moment}),
    )
    .unwrap();
    let url = x["url"].as_str().unwrap();
    assert!(url.starts_with("https://x.com/intent/post?text="), "{url}");
    assert_eq!(std::fs::read_to_string(&log).unwrap().trim(), url);
    let e = call(
        "social_share",
        json!({"eventId": ev.id, "platform": {"kind": "mastodon", "instance": "not a host"}, "moment": moment}),
    )
    .unwrap_err();
    assert_eq!(
        (e["code"].as_str(), e["field"].as_str()),
        (Some("validation"), Some("instance"))
    );
    let e = call(
        "social_share",
        json!({"eventId": ev.id, "platform": {"kind": "myspace"}, "moment": moment}),
    )
    .unwrap_err();
    assert_eq!(e["field"], "platform.kind");
    let listed = call("social_moments", json!({"eventId": ev.id})).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["platform"], "x", "newest first");

    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/core/tests/fixtures/social/posts.csv"
    );
    let r = call(
        "social_import",
        json!({"eventId": ev.id, "path": file, "options": null, "onProgress": CHANNEL}),
    )
    .unwrap();
    assert_eq!(
        (
            r["records"].as_u64(),
            r["imported"].as_u64(),
            r["rejected"].as_u64()
        ),
        (Some(6), Some(2), Some(4)),
        "{r}"
    );
    assert_eq!(r["record_unit"], "line");
    assert_eq!(r["errors"][0]["record"], 4);
    assert_eq!(r["errors"][0]["reason"], "missing author");

    let a = call("social_analysis", json!({"eventId": ev.id})).unwrap();
    assert_eq!(a["engagement"]["posts"], 2);
    assert_eq!(a["top_hashtags"][0]["key"], "devfest");
    assert_eq!(
        (
            a["sentiment"]["positive"].as_i64(),
            a["sentiment"]["negative"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let wall = call("social_wall", json!({"eventId": ev.id, "limit": 1})).unwrap();
    assert_eq!(wall.as_array().unwrap().len(), 1);
    assert_eq!(wall[0]["author"], "bob", "newest first");

    let e = call(
        "social_fetch",
        json!({"eventId": ev.id, "options": {"instance": "masto.test", "tag": "bad tag!", "pages": 1}, "onProgress": CHANNEL}),
    )
    .unwrap_err();
    assert_eq!(e["field"], "tag");
    let s = call("social_fetch_settings", json!({})).unwrap();
    assert_eq!(
        s["pages"], 5,
        "nothing remembered from an invalid fetch: {s}"
    );

    let out = call("social_export_csv", json!({"eventId": ev.id})).unwrap();
    let path = out["path"].as_str().unwrap();
    assert!(path.ends_with("social-forum-ipc.csv"), "{path}");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains("devfest"), "{text}");
    assert_eq!(
        call("social_analysis", json!({"eventId": "nope"})).unwrap_err()["code"],
        "not_found"
    );
    h.done();
}
