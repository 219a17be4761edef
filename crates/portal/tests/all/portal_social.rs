//! Sharing a moment from the participant portal (tower `oneshot`, real engine): the page
//! offers the event's hashtags, a platform button records the share and redirects to the
//! platform's share address, "copy" shows the composed text (escaped), bad input is a 4xx.

use axum::{body::Body, http::Request, Router};
use eventhub_core::{
    events, invitations,
    participants::{self, ParticipantInput},
    social::{self, Sharer},
    testing::{cleanup, fresh_core},
};
use eventhub_portal as portal;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

async fn call(app: &Router, method: &str, uri: &str, form: Option<&str>) -> (u16, String, String) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("accept-language", "en");
    let body = match form {
        Some(f) => {
            req = req.header("content-type", "application/x-www-form-urlencoded");
            Body::from(f.to_owned())
        }
        None => Body::empty(),
    };
    let res = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        location,
    )
}

#[tokio::test]
async fn a_participant_shares_a_moment_from_the_portal() {
    let core = fresh_core("portal_social").await;
    let ev = events::create(
        &core,
        events::input_from_json(json!({
            "title": "DevFest",
            "status": "published",
            "starts_at": "2027-05-10T08:00:00Z",
            "ends_at": "2027-05-10T17:00:00Z",
            "tags": ["devfest", "rust"],
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    let p = participants::create(
        &core,
        &ev.id,
        ParticipantInput {
            name: "Ann".into(),
            email: "ann@example.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let token = invitations::issue_token(&core, &p.id, None).await.unwrap();
    let app = portal::router(core.clone());

    let (status, body, _) = call(&app, "GET", &format!("/s/{token}"), None).await;
    assert_eq!(status, 200);
    assert!(body.contains("#devfest #rust"), "{body}");

    // X: recorded, then the phone goes to the share address.
    let (status, _, location) = call(
        &app,
        "POST",
        &format!("/s/{token}"),
        Some("text=Super+keynote+!&hashtags=%23devfest&link=https%3A%2F%2Fdevfest.example&platform=x"),
    )
    .await;
    assert_eq!(status, 303);
    assert!(
        location.starts_with("https://x.com/intent/post?text=Super%20keynote%20%21"),
        "{location}"
    );
    assert!(location.contains("devfest.example"), "{location}");

    // Copy: the composed text is shown, escaped.
    let (status, body, _) = call(
        &app,
        "POST",
        &format!("/s/{token}"),
        Some("text=%3Cscript%3Ealert(1)%3C%2Fscript%3E+top&hashtags=devfest&platform=copy"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt; top"),
        "{body}"
    );
    assert!(!body.contains("<script>alert"), "no script injection");

    // Refusals: LinkedIn needs a link, an unknown platform, a bad instance, a bad token.
    for (form, want) in [
        ("text=Hi&platform=linkedin", 400),
        ("text=Hi&platform=myspace", 400),
        ("text=Hi&platform=mastodon&instance=not+a+host%2F%3F", 400),
    ] {
        let (status, body, _) = call(&app, "POST", &format!("/s/{token}"), Some(form)).await;
        assert_eq!(status, want, "{form}: {body}");
    }
    let (status, _, _) = call(&app, "POST", "/s/not-a-token", Some("text=Hi&platform=x")).await;
    assert_eq!(status, 404);

    let moments = social::list_moments(&core, &ev.id).await.unwrap();
    assert_eq!(
        moments.len(),
        2,
        "the two shares are recorded, the refused ones are not"
    );
    assert!(moments.iter().all(|m| m.by
        == Sharer::Participant {
            participant_id: p.id.clone()
        }));
    assert_eq!(
        moments
            .iter()
            .map(|m| m.platform.as_str())
            .collect::<Vec<_>>(),
        ["copy", "x"]
    );
    cleanup(&core).await.unwrap();
}
