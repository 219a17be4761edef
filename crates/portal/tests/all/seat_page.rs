//! The participant's seat in the CSV export and on their portal page.

use axum::{body::Body, http::Request};
use eventhub_core::{
    events, invitations,
    participants::{
        self,
        csv_export::{self, Lang},
        seating::{self},
        ParticipantInput, ParticipantQuery, RsvpStatus,
    },
    testing::{cleanup, fresh_core},
    Core,
};
use eventhub_portal as portal;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

/// An event of capacity 450 with a 238-seat amphitheatre and a banquet of 3 tables of 4
/// (seat 1 of table 1 blocked).
async fn event(core: &Core) -> events::Event {
    events::create(
        core,
        events::input_from_json(json!({
            "title": "Assemblée Générale",
            "status": "published",
            "starts_at": "2027-06-10T07:00:00Z",
            "ends_at": "2027-06-10T18:00:00Z",
            "capacity": 450,
            "seating": [
                { "room": "Amphi", "layout": { "kind": "grid", "rows": 14, "seats_per_row": 17 } },
                { "room": "Banquet", "layout": { "kind": "tables", "tables": 3, "seats_per_table": 4 },
                  "blocked": ["T1-1"] },
            ],
        }))
        .unwrap(),
    )
    .await
    .unwrap()
}

async fn attendee(core: &Core, ev: &str, name: &str, company: &str) -> String {
    let p = participants::create(
        core,
        ev,
        ParticipantInput {
            name: name.into(),
            email: format!("{}@exemple.fr", name.to_lowercase().replace(' ', ".")),
            company: company.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    participants::set_status(core, &p.id, None, RsvpStatus::Accepted)
        .await
        .unwrap();
    p.id
}

#[tokio::test]
async fn the_seat_is_in_the_export_and_on_the_portal_page() {
    let core = fresh_core("seat_shown").await;
    let ev = event(&core).await;
    let amphi = ev.input.seating[0].id.clone();
    let ann = attendee(&core, &ev.id, "Ann", "").await;
    seating::assign(&core, &ann, &amphi, "B12").await.unwrap();

    let (bytes, _) = csv_export::export(&core, &ev.id, &ParticipantQuery::default(), Lang::Fr)
        .await
        .unwrap();
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.lines().next().unwrap().contains(";Place"), "{text}");
    assert!(text.contains(";Amphi · B12"), "{text}");
    let p = participants::get(&core, &ann).await.unwrap();
    assert_eq!(
        seating::seat_text(&ev, p.seat.as_ref().unwrap()).as_deref(),
        Some("Amphi · B12")
    );

    let token = invitations::links::issue_token(&core, &ann, None)
        .await
        .unwrap();
    let res = portal::router(core.clone())
        .oneshot(
            Request::builder()
                .uri(format!("/r/{token}"))
                .header("accept-language", "fr")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8_lossy(&body);
    assert!(
        html.contains("Votre place : <strong id=\"seat\">Amphi · B12</strong>"),
        "{html}"
    );
    cleanup(&core).await.unwrap();
}
