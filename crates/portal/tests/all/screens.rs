//! Not a test: the data and the portal behind the phone screenshots of
//! `docs/screens/portal-*.png`. Run by hand:
//! `EVENTHUB_SCREENS_PORT=27190 cargo test -p eventhub-portal --test all screens -- --ignored --nocapture`
//! writes the pages' addresses to `target/portal-screens.txt` and serves them for two
//! minutes (or until that file is deleted), while `chromium --headless` takes the shots.

use std::time::{Duration, Instant};

use eventhub_core::{
    events, feedback,
    invitations::{self, settings::SettingsPatch},
    participants::{self, ParticipantInput, RsvpStatus},
    testing::{cleanup, fresh_core},
};
use eventhub_portal::{self as portal, Limits, PortalConfig};
use serde_json::json;

#[tokio::test]
#[ignore = "serves pages for screenshots; run by hand"]
async fn screens() {
    let core = fresh_core("portal_screens").await;
    // 09:00 in Lyon on a spring day of the coming year.
    let year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    let start: chrono::DateTime<chrono::Utc> = format!("{year}-04-15T07:00:00Z").parse().unwrap();
    let day = |h: i64| (start + chrono::Duration::hours(h)).to_rfc3339();
    let ev = events::create(
        &core,
        events::input_from_json(json!({
            "title": "Journée de l'innovation territoriale — Lyon",
            "status": "published",
            "timezone": "Europe/Paris",
            "starts_at": day(0),
            "ends_at": day(9),
            "capacity": 120,
            "venue": {"name": "Halle Tony Garnier", "address": "20 place des Docteurs Charles et Christophe Mérieux, 69007 Lyon"},
            "sessions": [
                {"id": "k", "title": "Ouverture et keynote : les données au service des territoires", "starts_at": day(0), "ends_at": day(1), "room": "Grande halle", "capacity": 120},
                {"id": "a", "title": "Atelier mobilité douce", "starts_at": day(2), "ends_at": day(3), "room": "Salle 2", "capacity": 30}
            ]
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    invitations::settings::update(
        &core,
        &ev.id,
        &SettingsPatch {
            confirm_email: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let p = participants::create(
        &core,
        &ev.id,
        ParticipantInput {
            name: "Léa Moreau-Delacroix".into(),
            email: "lea.moreau@exemple.fr".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    participants::rsvp::set_status(&core, &p.id, None, RsvpStatus::Accepted)
        .await
        .unwrap();
    participants::rsvp::join_session(&core, &p.id, "k")
        .await
        .unwrap();
    let token = invitations::issue_token(&core, &p.id, None).await.unwrap();
    let share = invitations::issue_event_link(&core, &ev.id).await.unwrap();
    let q = feedback::create_question(
        &core,
        &ev.id,
        feedback::input_from_json(json!({
            "kind": "rating",
            "label": {"fr": "Votre note pour la keynote d'ouverture ?", "en": "Your rating of the opening keynote?"},
            "anonymous": true
        }))
        .unwrap(),
    )
    .await
    .unwrap();
    feedback::set_status(&core, &q.id, feedback::QuestionStatus::Open)
        .await
        .unwrap();
    let port: u16 = std::env::var("EVENTHUB_SCREENS_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(27190);
    let handle = portal::start_with(
        core.clone(),
        format!("127.0.0.1:{port}").parse().unwrap(),
        PortalConfig {
            limits: Limits::none(),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let base = format!("http://{}", handle.addr);
    let list = format!(
        "rsvp {base}/r/{token}\nregister {base}/e/{share}\npoll {base}/p/{}\nerror {base}/r/{}\n",
        q.id,
        "x".repeat(43)
    );
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/portal-screens.txt");
    std::fs::write(&file, &list).unwrap();
    eprintln!("{list}");
    let until = Instant::now() + Duration::from_secs(120);
    while Instant::now() < until && file.exists() {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    handle.stop().await;
    cleanup(&core).await.unwrap();
}
