//! The event document: what is read together and bounded is embedded (speakers, sessions,
//! seating plans, custom fields); what grows without bound (participants, answers) lives
//! in its own collections. See `docs/schema.md`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Draft,
    Published,
    Cancelled,
    Archived,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::Published,
        Status::Cancelled,
        Status::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
            Status::Cancelled => "cancelled",
            Status::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A GeoJSON point, as MongoDB's 2dsphere index wants it: `coordinates` is `[lng, lat]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct GeoPoint {
    #[serde(rename = "type")]
    #[ts(type = "\"Point\"")]
    pub kind: String,
    pub coordinates: [f64; 2],
}

impl GeoPoint {
    pub fn new(lng: f64, lat: f64) -> GeoPoint {
        GeoPoint {
            kind: "Point".into(),
            coordinates: [lng, lat],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(default)]
pub struct Venue {
    pub name: String,
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub location: Option<GeoPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(default)]
pub struct Speaker {
    /// Stable id within the event (sessions refer to it). Generated when empty.
    pub id: String,
    pub name: String,
    /// Job title / affiliation.
    pub title: String,
    pub bio: String,
    pub links: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub photo_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Session {
    #[serde(default)]
    pub id: String,
    pub title: String,
    #[serde(default, rename = "abstract")]
    pub summary: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub starts_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub speaker_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub capacity: Option<u32>,
}

/// How a room's seats are laid out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layout {
    /// Theatre style: `rows` rows (A, B, …) of `seats_per_row` seats: labels `A1`, `B12`.
    Grid { rows: u32, seats_per_row: u32 },
    /// Banquet style: `tables` tables of `seats_per_table` seats: labels `T3-5`.
    Tables { tables: u32, seats_per_table: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SeatingPlan {
    #[serde(default)]
    pub id: String,
    /// The room this plan is for (matches sessions' `room`).
    pub room: String,
    pub layout: Layout,
    /// Seat labels that cannot be used (pillar, régie, wheelchair space…).
    #[serde(default)]
    pub blocked: Vec<String>,
}

pub const MAX_ROWS: u32 = 100;
pub const MAX_SEATS_PER_ROW: u32 = 200;
pub const MAX_TABLES: u32 = 500;
pub const MAX_SEATS_PER_TABLE: u32 = 30;

impl SeatingPlan {
    /// Every seat label of the plan, in order.
    pub fn seat_labels(&self) -> Vec<String> {
        match self.layout {
            Layout::Grid {
                rows,
                seats_per_row,
            } => (0..rows)
                .flat_map(|r| (1..=seats_per_row).map(move |s| format!("{}{s}", row_label(r))))
                .collect(),
            Layout::Tables {
                tables,
                seats_per_table,
            } => (1..=tables)
                .flat_map(|t| (1..=seats_per_table).map(move |s| format!("T{t}-{s}")))
                .collect(),
        }
    }

    pub fn capacity(&self) -> u32 {
        let total = match self.layout {
            Layout::Grid {
                rows,
                seats_per_row,
            } => rows * seats_per_row,
            Layout::Tables {
                tables,
                seats_per_table,
            } => tables * seats_per_table,
        };
        total.saturating_sub(self.blocked.len() as u32)
    }
}

/// Row 0 → `A`, 25 → `Z`, 26 → `AA`, like a spreadsheet.
pub fn row_label(mut r: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push((b'A' + (r % 26) as u8) as char);
        if r < 26 {
            break;
        }
        r = r / 26 - 1;
    }
    s.iter().rev().collect()
}

/// What the user edits. Everything else on an [`Event`] is managed by the core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct EventInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub starts_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub ends_at: DateTime<Utc>,
    /// IANA time zone the event is shown in, e.g. `Europe/Paris`.
    #[serde(default = "default_tz")]
    pub timezone: String,
    #[serde(default)]
    pub venue: Venue,
    #[serde(default)]
    pub status: Status,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Overall capacity (seats or tickets), used by RSVP and the waitlist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub capacity: Option<u32>,
    #[serde(default)]
    pub speakers: Vec<Speaker>,
    #[serde(default)]
    pub sessions: Vec<Session>,
    #[serde(default)]
    pub seating: Vec<SeatingPlan>,
    /// Free custom fields: any key the organiser adds, with a string, number, boolean or
    /// list value. Stored as a sub-document so they can be queried (`custom.budget`).
    #[serde(default)]
    #[ts(
        type = "{ [key in string]: string | number | boolean | null | Array<string | number | boolean> }"
    )]
    pub custom: Map<String, Value>,
}

pub fn default_tz() -> String {
    "Europe/Paris".into()
}

/// The stored event: the user's fields plus identity, derived search keys and the
/// bookkeeping that sync relies on (app-generated id, version, updated-at, tombstone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "EventDoc")]
pub struct Event {
    /// App-generated (UUID v7: time-ordered), so events made offline never collide.
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(flatten)]
    pub input: EventInput,
    /// Incremented by every write; an update must name the version it was based on.
    pub version: i64,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_by: String,
    /// Set when deleted: the document stays as a tombstone until sync has carried it.
    #[serde(
        default,
        with = "crate::time::ts_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[ts(type = "string", optional)]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Folded words for accent- and case-insensitive search (derived).
    #[serde(default)]
    pub search_terms: Vec<String>,
    /// Every 1–16-character prefix of `search_terms` (derived; empty on tombstones): a
    /// typed word prefix is an equality on one key of the `search_*` indexes. Written by
    /// `events::create`; reads leave it out (empty here).
    #[serde(default)]
    pub search_keys: Vec<String>,
    /// Folded venue name, for the venue filter (derived).
    #[serde(default)]
    pub venue_key: String,
    /// Folded title, for sorting by title the way a French reader expects (derived).
    #[serde(default)]
    pub title_key: String,
}

/// One row of the events list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct EventSummary {
    #[serde(rename = "_id")]
    pub id: String,
    pub title: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub starts_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub venue_name: String,
    pub status: Status,
    pub tags: Vec<String>,
    pub speakers: u32,
    pub sessions: u32,
    pub version: i64,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

impl From<&Event> for EventSummary {
    fn from(e: &Event) -> Self {
        EventSummary {
            id: e.id.clone(),
            title: e.input.title.clone(),
            starts_at: e.input.starts_at,
            ends_at: e.input.ends_at,
            timezone: e.input.timezone.clone(),
            venue_name: e.input.venue.name.clone(),
            status: e.input.status,
            tags: e.input.tags.clone(),
            speakers: e.input.speakers.len() as u32,
            sessions: e.input.sessions.len() as u32,
            version: e.version,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Soonest first.
    #[default]
    StartsAt,
    /// Latest first.
    StartsAtDesc,
    Title,
    /// Most recently edited first.
    UpdatedAt,
}

/// List/search parameters. Every filter is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct EventQuery {
    /// Words searched across title, description, speakers, tags and venue.
    pub q: Option<String>,
    pub status: Option<Status>,
    pub tag: Option<String>,
    /// Venue name prefix (accent- and case-insensitive).
    pub venue: Option<String>,
    /// Events that end after this instant.
    #[serde(with = "crate::time::ts_opt")]
    #[ts(type = "string", optional)]
    pub from: Option<DateTime<Utc>>,
    /// Events that start before this instant.
    #[serde(with = "crate::time::ts_opt")]
    #[ts(type = "string", optional)]
    pub to: Option<DateTime<Utc>>,
    #[ts(as = "Option<Sort>", optional)]
    pub sort: Sort,
    /// 1-based.
    #[ts(as = "Option<u32>", optional)]
    pub page: u32,
    #[ts(as = "Option<u32>", optional)]
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many match, when the page shows it (a first page that is not full, or the last
    /// page); otherwise `None`: `events::count` counts them (capped).
    pub total: Option<u64>,
    /// A next page exists.
    #[serde(default)]
    pub more: bool,
    pub page: u32,
    pub per_page: u32,
    /// How the words were searched: always `terms` (folded word prefixes, the same on
    /// every server). `None` without words.
    pub search_mode: Option<String>,
}

/// How many events match a list query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Total {
    /// Matches, counted up to `events::TOTAL_CAP` (1,000).
    pub total: u64,
    /// More matches than `total`: show "1 000+".
    pub capped: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_labels_run_like_a_spreadsheet() {
        assert_eq!(row_label(0), "A");
        assert_eq!(row_label(25), "Z");
        assert_eq!(row_label(26), "AA");
        assert_eq!(row_label(27), "AB");
    }

    #[test]
    fn seat_labels_and_capacity() {
        let p = SeatingPlan {
            id: "p".into(),
            room: "Salle A".into(),
            layout: Layout::Grid {
                rows: 2,
                seats_per_row: 3,
            },
            blocked: vec!["B2".into()],
        };
        assert_eq!(p.seat_labels(), ["A1", "A2", "A3", "B1", "B2", "B3"]);
        assert_eq!(p.capacity(), 5);
        let t = SeatingPlan {
            layout: Layout::Tables {
                tables: 2,
                seats_per_table: 2,
            },
            blocked: vec![],
            ..p
        };
        assert_eq!(t.seat_labels(), ["T1-1", "T1-2", "T2-1", "T2-2"]);
    }
}
