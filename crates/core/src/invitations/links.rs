//! Tokens and links. A token is 32 random bytes, base64url: 43 characters, 256 bits. Only
//! `sha256(token)` is stored, so a copy of the database does not let anyone answer for
//! someone else. Issuing a new token replaces the old one (the old link stops working).

use base64::Engine;
use bson::{doc, Bson, Document};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    error::Code,
    participants::{self, Participant},
    time, Core, Error, Result,
};

pub const EVENT_LINKS: &str = "event_links";

/// A fresh random token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random number generator");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn participants_coll(core: &Core) -> mongodb::Collection<Document> {
    core.db()
        .collection(crate::participants::schema::PARTICIPANTS)
}

/// Give a participant a new personal link token, valid for `ttl` (none: until the event
/// ends plus the organiser's grace period, see [`super::rules`]). Returns the token; the
/// caller builds the URL.
pub async fn issue_token(
    core: &Core,
    participant_id: &str,
    ttl: Option<Duration>,
) -> Result<String> {
    let token = new_token();
    let expires: Option<DateTime<Utc>> = ttl.map(|d| time::now() + d);
    let mut set = doc! { "invitation.token_hash": hash_token(&token) };
    let mut update = doc! {};
    // A new link is the organiser's decision to let the person in again.
    let mut unset = doc! { "invitation.revoked_at": "" };
    match expires {
        Some(e) => {
            set.insert("invitation.expires_at", bson::DateTime::from_chrono(e));
        }
        None => {
            unset.insert("invitation.expires_at", "");
        }
    }
    update.insert("$unset", unset);
    update.insert("$set", set);
    let update = crate::db::stamp(core, update, time::now());
    let res = participants_coll(core)
        .update_one(
            doc! { "_id": participant_id, "deleted_at": Bson::Null },
            update,
        )
        .await?;
    if res.matched_count == 0 {
        return Err(Error::not_found(format!("participant {participant_id}")));
    }
    Ok(token)
}

/// Why a link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkProblem {
    /// No such token (mistyped, or replaced by a newer invitation).
    Unknown,
    Expired,
    /// The organiser cancelled or declined the person.
    Revoked,
}

impl LinkProblem {
    pub fn error(self) -> Error {
        match self {
            LinkProblem::Unknown => Error::new(
                Code::NotFound,
                "this invitation link is not valid (it may have been replaced by a newer one)",
            ),
            LinkProblem::Expired => {
                Error::new(Code::Validation, "this invitation link has expired")
            }
            LinkProblem::Revoked => Error::new(
                Code::Unsupported,
                "the organiser cancelled this registration",
            ),
        }
    }
}

/// The live participant a personal token belongs to, whatever the rules say.
pub async fn find_by_token(core: &Core, token: &str) -> Result<Option<Participant>> {
    if token.len() < 20 || token.len() > 100 {
        return Ok(None);
    }
    Ok(core
        .db()
        .collection::<Participant>(crate::participants::schema::PARTICIPANTS)
        .find_one(token_filter(token))
        .await?)
}

/// The filter that finds the live participant of a personal token (by its hash).
pub fn token_filter(token: &str) -> Document {
    doc! { "invitation.token_hash": hash_token(token), "deleted_at": Bson::Null }
}

/// The participant a personal token belongs to, or why it does not open (the link's own
/// state only; the portal asks [`super::rules::open_personal_link`], which also checks the
/// event).
pub async fn participant_by_token(
    core: &Core,
    token: &str,
) -> Result<std::result::Result<Participant, LinkProblem>> {
    Ok(match find_by_token(core, token).await? {
        None => Err(LinkProblem::Unknown),
        Some(p) if p.invitation.revoked_at.is_some() => Err(LinkProblem::Revoked),
        Some(p) if p.invitation.expires_at.is_some_and(|e| e < time::now()) => {
            Err(LinkProblem::Expired)
        }
        Some(p) => Ok(p),
    })
}

/// Record that the invitee opened their link (first time only changes the status).
pub async fn mark_opened(core: &Core, participant_id: &str) -> Result<()> {
    participants_coll(core)
        .update_one(
            doc! { "_id": participant_id, "invitation.status": { "$in": ["none", "sent", "failed"] } },
            crate::db::stamp(
                core,
                doc! { "$set": { "invitation.status": "opened",
                                 "invitation.opened_at": bson::DateTime::from_chrono(time::now()) } },
                time::now(),
            ),
        )
        .await?;
    Ok(())
}

/// The shareable link of an event (anyone with it may register).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventLink {
    #[serde(rename = "_id")]
    pub token_hash: String,
    pub event_id: String,
    #[serde(with = "crate::time::ts")]
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// Create a new shareable link for an event, revoking the previous one. Returns the token.
pub async fn issue_event_link(core: &Core, event_id: &str) -> Result<String> {
    crate::events::get(core, event_id).await?;
    let coll = core.db().collection::<EventLink>(EVENT_LINKS);
    coll.delete_many(doc! { "event_id": event_id }).await?;
    let token = new_token();
    coll.insert_one(EventLink {
        token_hash: hash_token(&token),
        event_id: event_id.to_owned(),
        created_at: time::now(),
        created_by: core.actor().to_owned(),
    })
    .await?;
    Ok(token)
}

/// The event a shareable token opens, if any.
pub async fn event_by_link(core: &Core, token: &str) -> Result<Option<crate::events::Event>> {
    if token.len() < 20 || token.len() > 100 {
        return Ok(None);
    }
    let Some(link) = core
        .db()
        .collection::<EventLink>(EVENT_LINKS)
        .find_one(doc! { "_id": hash_token(token) })
        .await?
    else {
        return Ok(None);
    };
    match crate::events::get(core, &link.event_id).await {
        Ok(e) => Ok(Some(e)),
        Err(e) if e.code == Code::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Register someone through an event's shareable link: creates the participant and
/// accepts — onto the waitlist when the event is full. Refused (nothing stored) unless the
/// event is published, open for registration and not over.
pub async fn register_via_link(
    core: &Core,
    event_id: &str,
    name: &str,
    email: &str,
) -> Result<Participant> {
    let event = crate::events::get(core, event_id).await?;
    let settings = super::settings::get(core, event_id).await?;
    super::rules::event_allows(
        &event,
        &settings,
        super::rules::Action::Register,
        time::now(),
    )
    .map_err(super::rules::Refusal::error)?;
    let input = participants::ParticipantInput {
        name: name.trim().to_owned(),
        email: email.trim().to_owned(),
        ..Default::default()
    };
    let p = match participants::create(core, event_id, input).await {
        Ok(p) => p,
        Err(e) if e.code == Code::Duplicate => {
            return Err(Error::new(
                Code::Duplicate,
                "this e-mail address is already registered for this event",
            ))
        }
        Err(e) => return Err(e),
    };
    participants::rsvp::set_status(core, &p.id, None, participants::RsvpStatus::Accepted).await
}

/// Hex digest check (for tests and diagnostics).
pub fn looks_like_hash(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// A QR code of `text` as an SVG document (for links shown on screen or printed badges).
pub fn qr_svg(text: &str) -> Result<String> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| Error::invalid("link", format!("cannot make a QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}
