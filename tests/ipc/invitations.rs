//! The portal and invitation links through IPC: start on loopback, links answer over real
//! HTTP, stop.

use eventhub_core::{events, participants, testing::cleanup};
use serde_json::{json, Value};

fn http_get(url: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let code = out[9..12].parse().unwrap();
    (code, out)
}

use crate::common::harness;

#[test]
fn portal_and_links_through_ipc() {
    let h = harness("ipc_invitations");
    let core = h.core.clone();
    let call = |cmd: &str, args: Value| h.call(cmd, args);
    let (event_id, pid) = tauri::async_runtime::block_on(async {
        let e = events::create(
            &core,
            events::input_from_json(json!({
                "title": "Soirée partenaires",
                "status": "published",
                "starts_at": "2027-09-10T17:00:00Z",
                "ends_at": "2027-09-10T22:00:00Z"
            }))
            .unwrap(),
        )
        .await
        .unwrap();
        let p = participants::create(
            &core,
            &e.id,
            participants::ParticipantInput {
                name: "Ann".into(),
                email: "ann@example.org".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        (e.id, p.id)
    });

    // Links need the portal.
    let err = call("event_share_link", json!({ "eventId": event_id })).unwrap_err();
    assert_eq!(err["code"], "validation", "{err}");

    let info = call("portal_start", json!({ "lan": false, "port": null })).unwrap();
    assert!(info["local_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    assert_eq!(call("portal_status", json!({})).unwrap(), info);

    let link = call("invitation_link", json!({ "participantId": pid })).unwrap();
    let url = link["url"].as_str().unwrap();
    assert!(link["qr_svg"].as_str().unwrap().contains("<svg"));
    let (code, body) = http_get(url);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("Soirée partenaires"));

    let share = call("event_share_link", json!({ "eventId": event_id })).unwrap();
    let (code, body) = http_get(share["url"].as_str().unwrap());
    assert_eq!(code, 200);
    assert!(body.contains("<form"));

    let counts = call("invitations_counts", json!({ "eventId": event_id })).unwrap();
    assert!(
        counts
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "opened" && c["count"] == 1),
        "{counts}"
    );
    assert_eq!(
        call(
            "invitations_queue",
            json!({ "eventId": event_id, "ids": null, "resend": false })
        )
        .unwrap(),
        0,
        "Ann's link was opened: not 'none' any more"
    );

    call("portal_stop", json!({})).unwrap();
    assert_eq!(call("portal_status", json!({})).unwrap(), Value::Null);
    assert!(std::net::TcpStream::connect(
        url.strip_prefix("http://")
            .unwrap()
            .split('/')
            .next()
            .unwrap()
    )
    .is_err());
    tauri::async_runtime::block_on(cleanup(&core)).unwrap();
}
