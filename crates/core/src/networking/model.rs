//! Shapes of the networking feature: profiles, connections, meetings, and the views the
//! portal and the desktop app show.
//!
//! **Why a `network_profiles` collection rather than a sub-document of `participants`:**
//! the participant document is the organiser's record, edited from the desktop app under
//! optimistic concurrency (`version`) and synced three-way; a profile is edited by the
//! participant from a phone. Keeping them apart means a portal edit never makes the
//! organiser's next save a conflict, the directory's indexes only cover people who opted
//! in, and erasing someone's networking data is deleting documents, not unsetting fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A link shown on a contact card (LinkedIn, a web site, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ContactLink {
    /// Short label (`LinkedIn`); may be empty.
    pub label: String,
    /// `https://…`, `http://…` or `mailto:…`.
    pub url: String,
}

/// What a participant edits on their profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ProfileInput {
    /// Nothing about a participant is shown to anyone unless this is true.
    pub opted_in: bool,
    pub headline: String,
    pub company: String,
    /// Tags, normalised to lower case, trimmed, without duplicates (at most 20).
    pub interests: Vec<String>,
    pub links: Vec<ContactLink>,
    /// `https://…` or empty. Not displayed by the portal (its CSP allows no remote
    /// images); exported on the vCard.
    pub photo_url: String,
    /// Put the registration e-mail on the contact card given to accepted connections.
    pub share_email: bool,
}

/// The stored profile: one per participant (unique index on `participant_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// App-generated UUID v7.
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    pub participant_id: String,
    /// The participant's name, copied at each save (sorts and searches the directory).
    pub name: String,
    /// Folded name, for sorting.
    pub name_key: String,
    #[serde(flatten)]
    pub input: ProfileInput,
    /// When the one e-mail summary of connections was sent.
    #[serde(default, with = "crate::time::ts_opt")]
    pub summary_sent_at: Option<DateTime<Utc>>,
    pub version: i64,
    #[serde(with = "crate::time::ts")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Requested, waiting for the other person.
    Pending,
    /// Both agreed: each sees the other's contact card.
    Accepted,
    /// The recipient ignored the request. The requester keeps seeing "pending" (nobody is
    /// told they were ignored).
    Ignored,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Pending => "pending",
            ConnectionStatus::Accepted => "accepted",
            ConnectionStatus::Ignored => "ignored",
        }
    }
}

/// One document per pair of participants of an event: `a < b` (the ordered pair), unique
/// index `{event_id, a, b}`. Private notes live beside each side (`note_a` is what `a`
/// wrote about `b`), so erasing either person removes both notes with the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    pub a: String,
    pub b: String,
    pub requested_by: String,
    pub status: ConnectionStatus,
    #[serde(default)]
    pub note_a: String,
    #[serde(default)]
    pub note_b: String,
    #[serde(with = "crate::time::ts")]
    pub requested_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::ts_opt")]
    pub accepted_at: Option<DateTime<Utc>>,
    pub version: i64,
    #[serde(with = "crate::time::ts")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_by: String,
}

impl Connection {
    /// The other side of the pair, seen from `me`.
    pub fn other(&self, me: &str) -> &str {
        if self.a == me {
            &self.b
        } else {
            &self.a
        }
    }

    /// The note `me` keeps about the other person.
    pub fn note_of(&self, me: &str) -> &str {
        if self.a == me {
            &self.note_a
        } else {
            &self.note_b
        }
    }

    pub fn involves(&self, who: &str) -> bool {
        self.a == who || self.b == who
    }
}

/// A participant's contact card as others see it. `email` and `phone` only appear on the
/// cards of accepted connections (and only if the person chose to share their e-mail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Card {
    pub participant_id: String,
    pub name: String,
    pub headline: String,
    pub company: String,
    pub interests: Vec<String>,
    pub links: Vec<ContactLink>,
    pub photo_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Which way a connection went, seen from the viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The viewer asked.
    Outgoing,
    /// The other person asked.
    Incoming,
}

/// A connection or request as one participant sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub connection_id: String,
    /// `ignored` is never shown to the requester (they see `pending`).
    pub status: ConnectionStatus,
    pub direction: Direction,
    pub other: Card,
    /// The viewer's private note (accepted connections only).
    pub note: String,
    #[serde(with = "crate::time::ts")]
    pub requested_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::ts_opt")]
    pub accepted_at: Option<DateTime<Utc>>,
}

/// Someone worth meeting, ranked by the suggestion pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub card: Card,
    pub shared_interests: Vec<String>,
    /// Ids of sessions both hold a seat in.
    pub shared_sessions: Vec<String>,
    /// 2 per shared interest + 1 per shared session.
    pub score: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    Proposed,
    Accepted,
    Declined,
    Cancelled,
}

impl MeetingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingStatus::Proposed => "proposed",
            MeetingStatus::Accepted => "accepted",
            MeetingStatus::Declined => "declined",
            MeetingStatus::Cancelled => "cancelled",
        }
    }
}

/// A meeting request between two connected participants: the proposer offers 1–5 slots
/// during the event, the invitee accepts one or declines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    pub connection_id: String,
    pub proposer: String,
    pub invitee: String,
    /// Start times, sorted.
    #[serde(with = "slots")]
    pub slots: Vec<DateTime<Utc>>,
    /// Minutes.
    pub duration: i32,
    #[serde(default)]
    pub place: String,
    pub status: MeetingStatus,
    #[serde(default, with = "crate::time::ts_opt")]
    pub chosen: Option<DateTime<Utc>>,
    pub version: i64,
    #[serde(with = "crate::time::ts")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_by: String,
}

/// A meeting as one participant sees it (with the other person's card).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingView {
    pub meeting: Meeting,
    pub other: Card,
    /// True when the viewer is the one who must answer.
    pub to_answer: bool,
}

/// The organiser's networking figures of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
pub struct NetworkingStats {
    pub event_id: String,
    pub profiles_opted_in: u64,
    pub requests_pending: u64,
    pub connections_made: u64,
    /// Distinct participants with at least one accepted connection.
    pub participants_connected: u64,
    pub meetings_proposed: u64,
    pub meetings_accepted: u64,
    /// Accepted connections per hour (`YYYY-MM-DDTHH:00`, event time zone), oldest first.
    pub per_hour: Vec<Bucket>,
    /// Accepted connections per day (`YYYY-MM-DD`, event time zone), oldest first.
    pub per_day: Vec<Bucket>,
    /// Companies whose people made the most connections (a connection counts once for
    /// each side's company), at most 10.
    pub top_companies: Vec<CompanyCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[ts(rename = "NetworkingBucket")]
pub struct Bucket {
    pub bucket: String,
    pub connections: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
pub struct CompanyCount {
    pub company: String,
    pub connections: u64,
}

/// What an erasure removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
pub struct Erasure {
    pub profiles: u64,
    pub connections: u64,
    pub meetings: u64,
    pub feedback_answers: u64,
    /// Whether one multi-document transaction did it all.
    pub transactional: bool,
}

/// `Vec<DateTime<Utc>>` as BSON dates in the database and RFC 3339 strings in JSON.
mod slots {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct W(#[serde(with = "crate::time::ts")] DateTime<Utc>);

    pub fn serialize<S: Serializer>(v: &[DateTime<Utc>], s: S) -> Result<S::Ok, S::Error> {
        let w: Vec<W> = v.iter().map(|d| W(*d)).collect();
        w.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DateTime<Utc>>, D::Error> {
        Ok(Vec::<W>::deserialize(d)?.into_iter().map(|w| w.0).collect())
    }
}
