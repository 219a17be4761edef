//! The participant document. Participants grow without bound, so they live in their own
//! collection referencing `event_id` (see `docs/schema.md`, "participants").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where a participant stands. `accepted` and `checked_in` hold a seat (see `rsvp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RsvpStatus {
    #[default]
    Invited,
    Accepted,
    Declined,
    Tentative,
    Waitlisted,
    CheckedIn,
    Cancelled,
}

impl RsvpStatus {
    pub const ALL: [RsvpStatus; 7] = [
        RsvpStatus::Invited,
        RsvpStatus::Accepted,
        RsvpStatus::Declined,
        RsvpStatus::Tentative,
        RsvpStatus::Waitlisted,
        RsvpStatus::CheckedIn,
        RsvpStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RsvpStatus::Invited => "invited",
            RsvpStatus::Accepted => "accepted",
            RsvpStatus::Declined => "declined",
            RsvpStatus::Tentative => "tentative",
            RsvpStatus::Waitlisted => "waitlisted",
            RsvpStatus::CheckedIn => "checked_in",
            RsvpStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<RsvpStatus> {
        let s = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        RsvpStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Does this status hold one of the event's seats?
    pub fn holds_seat(self) -> bool {
        matches!(self, RsvpStatus::Accepted | RsvpStatus::CheckedIn)
    }
}

/// Invitation delivery state (sending is part B: e-mail, links, QR codes). The field is
/// part of the document now so that part B adds behaviour, not a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Nothing sent yet.
    #[default]
    None,
    Queued,
    /// Claimed by a sender; if the app stops here, the next run marks it failed with a
    /// "check before re-sending" reason instead of sending twice.
    Sending,
    Sent,
    Failed,
    /// The invitee opened their personal link.
    Opened,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
pub struct Invitation {
    pub status: InvitationStatus,
    /// SHA-256 of the invitation token (the token itself is never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub token_hash: Option<String>,
    #[serde(
        default,
        with = "crate::time::ts_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string", optional)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_error: Option<String>,
    #[serde(
        default,
        with = "crate::time::ts_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string", optional)]
    pub sent_at: Option<DateTime<Utc>>,
    /// Set when the organiser cancelled or declined the person: the link no longer opens
    /// (cleared when the organiser reinstates them or issues a new link).
    #[serde(
        default,
        with = "crate::time::ts_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string", optional)]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// How a participant entered the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
#[ts(rename = "ParticipantSource")]
pub struct Source {
    /// `import` or `manual`.
    pub kind: String,
    /// The import run (all rows of one import share it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub import_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub file: Option<String>,
    /// Line of the file where the row starts (1-based, the header is line 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub line: Option<u64>,
}

/// What a person (or an import row) provides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(default)]
pub struct ParticipantInput {
    pub name: String,
    pub email: String,
    pub company: String,
    pub role: String,
    pub phone: String,
    /// Columns of the file that are not one of the above, kept as they came.
    #[ts(type = "Record<string, unknown>")]
    pub custom: Map<String, Value>,
}

/// A place in a session's waitlist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SessionWait {
    pub session_id: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
}

/// The stored participant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Participant {
    /// App-generated UUID v7.
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    #[serde(flatten)]
    pub input: ParticipantInput,
    /// Trimmed, lower-cased e-mail: unique per event (index `event_email_unique`).
    pub email_norm: String,
    pub status: RsvpStatus,
    /// When the participant last answered (accepted, declined, tentative, cancelled).
    #[serde(
        default,
        with = "crate::time::ts_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string", optional)]
    pub rsvp_at: Option<DateTime<Utc>>,
    /// When they joined the waitlist: promotion takes the earliest first.
    #[serde(
        default,
        with = "crate::time::ts_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string", optional)]
    pub waitlisted_at: Option<DateTime<Utc>>,
    #[serde(
        default,
        with = "crate::time::ts_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string", optional)]
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Sessions the participant holds a seat in (each bounded by the session's capacity).
    #[serde(default)]
    pub sessions: Vec<String>,
    /// Full sessions the participant waits for, in the order they asked: leaving a seat in
    /// a session hands it to its earliest waiting participant.
    #[serde(default)]
    pub session_waitlist: Vec<SessionWait>,
    #[serde(default)]
    pub invitation: Invitation,
    #[serde(default)]
    pub source: Source,
    /// The seat given on one of the event's seating plans (see `seating`). One person per
    /// seat: index `event_seat_unique`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub seat: Option<SeatRef>,
    /// Participants merged into this one (found to be the same person): their audit
    /// trail is shown with this one's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<String>>", optional)]
    pub merged_ids: Vec<String>,
    /// Folded words of name, e-mail, company, role (accent-insensitive search).
    #[serde(default)]
    pub search_terms: Vec<String>,
    /// Folded name (or e-mail when there is no name), for sorting.
    #[serde(default)]
    pub name_key: String,
    pub version: i64,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_by: String,
    /// Tombstone. Always written (as `null` while live) so that the unique index can be
    /// partial on `{deleted_at: {$type: "null"}}`.
    #[serde(default, with = "crate::time::ts_opt")]
    #[ts(type = "string | null")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A seat on a seating plan of the participant's event: the plan's id and the seat label
/// (`B12`, or `T3-5` for seat 5 of table 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SeatRef {
    pub plan_id: String,
    pub label: String,
}

/// One entry of the audit trail: who changed what, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct AuditEntry {
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    /// `None` for event-wide entries (an import).
    #[serde(default)]
    pub participant_id: Option<String>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `created`, `import`, `status`, `check_in`, `promoted`, `edited`, `deleted`, `erased`,
    /// `merged`, `seat`.
    pub action: String,
    #[serde(default)]
    pub from: Option<RsvpStatus>,
    #[serde(default)]
    pub to: Option<RsvpStatus>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "ParticipantSort")]
pub enum Sort {
    #[default]
    Name,
    /// Most recently changed first.
    UpdatedAt,
    /// Import / creation order.
    CreatedAt,
}

/// List/search/export parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct ParticipantQuery {
    /// Words searched across name, e-mail, company and role (accent-insensitive prefixes).
    pub q: Option<String>,
    pub status: Option<RsvpStatus>,
    #[ts(as = "Option<Sort>", optional)]
    pub sort: Sort,
    #[ts(as = "Option<u32>", optional)]
    pub page: u32,
    #[ts(as = "Option<u32>", optional)]
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "ParticipantStatusCount")]
pub struct StatusCount {
    pub status: RsvpStatus,
    pub count: u64,
}

/// A page of the list, with the counts per status of the whole event (not the page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ParticipantPage {
    pub items: Vec<Participant>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
    pub counts: Vec<StatusCount>,
    pub capacity: Capacity,
}

/// The event's seats: `taken` counts accepted + checked-in participants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
pub struct Capacity {
    pub capacity: Option<i64>,
    pub taken: i64,
    pub waitlisted: u64,
}
