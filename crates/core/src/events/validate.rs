//! Input checking: every problem is reported with the path of the field at fault
//! (`sessions[1].ends_at`), before anything is written.

use std::collections::HashSet;

use serde_json::Value;

use super::model::*;
use crate::{Error, Result};

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 20_000;
pub const MAX_TAGS: usize = 30;
pub const MAX_SPEAKERS: usize = 200;
pub const MAX_SESSIONS: usize = 500;
pub const MAX_PLANS: usize = 50;
pub const MAX_CUSTOM: usize = 100;

/// The top-level keys an [`EventInput`] accepts; anything else is a mistake worth naming.
const INPUT_KEYS: &[&str] = &[
    "title",
    "description",
    "starts_at",
    "ends_at",
    "timezone",
    "venue",
    "status",
    "tags",
    "capacity",
    "speakers",
    "sessions",
    "seating",
    "custom",
];

/// Parse an event from JSON (what the UI and the CLI send), naming the field of any type
/// error, then [`normalise`] it.
pub fn input_from_json(v: Value) -> Result<EventInput> {
    let Value::Object(map) = &v else {
        return Err(Error::invalid("event", "expected a JSON object"));
    };
    if let Some(k) = map.keys().find(|k| !INPUT_KEYS.contains(&k.as_str())) {
        return Err(Error::invalid(
            k.as_str(),
            "unknown field (put free fields under `custom`)",
        ));
    }
    normalise(from_json("event", v)?)
}

/// Deserialise any input from JSON; a type error names the path of the field at fault
/// (`sessions[0].starts_at`), or `root` for the value as a whole.
pub fn from_json<T: serde::de::DeserializeOwned>(root: &str, v: Value) -> Result<T> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { root.to_owned() } else { path };
        Error::invalid(path, e.into_inner().to_string())
    })
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn check_url(field: String, url: &str) -> Result<()> {
    let u = url.trim();
    if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() < 10 || u.contains(' ') {
        return Err(Error::invalid(
            field,
            format!("'{url}' is not a web address (http:// or https://)"),
        ));
    }
    Ok(())
}

fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()[20..].to_owned()
}

/// Trim, fill generated ids, and check every rule. Returns the cleaned input.
pub fn normalise(mut e: EventInput) -> Result<EventInput> {
    e.title = e.title.trim().to_owned();
    if e.title.is_empty() {
        return Err(Error::invalid("title", "is required"));
    }
    if chars(&e.title) > MAX_TITLE {
        return Err(Error::invalid(
            "title",
            format!("is longer than {MAX_TITLE} characters"),
        ));
    }
    if chars(&e.description) > MAX_DESCRIPTION {
        return Err(Error::invalid(
            "description",
            format!("is longer than {MAX_DESCRIPTION} characters"),
        ));
    }
    if e.ends_at <= e.starts_at {
        return Err(Error::invalid("ends_at", "must be after starts_at"));
    }
    if e.ends_at - e.starts_at > chrono::Duration::days(366) {
        return Err(Error::invalid(
            "ends_at",
            "an event cannot last more than a year",
        ));
    }
    e.timezone = e.timezone.trim().to_owned();
    if e.timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(Error::invalid(
            "timezone",
            format!(
                "'{}' is not a known time zone (e.g. Europe/Paris)",
                e.timezone
            ),
        ));
    }
    e.venue.name = e.venue.name.trim().to_owned();
    e.venue.address = e.venue.address.trim().to_owned();
    if let Some(loc) = &e.venue.location {
        let [lng, lat] = loc.coordinates;
        if loc.kind != "Point" {
            return Err(Error::invalid("venue.location.type", "must be \"Point\""));
        }
        if !(-180.0..=180.0).contains(&lng) {
            return Err(Error::invalid(
                "venue.location.coordinates[0]",
                "longitude must be between -180 and 180",
            ));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(Error::invalid(
                "venue.location.coordinates[1]",
                "latitude must be between -90 and 90",
            ));
        }
    }
    if let Some(c) = e.capacity {
        if c == 0 || c > 1_000_000 {
            return Err(Error::invalid(
                "capacity",
                "must be between 1 and 1,000,000 (leave empty for no limit)",
            ));
        }
    }

    let mut seen = HashSet::new();
    let mut tags = Vec::new();
    for (i, t) in e.tags.iter().enumerate() {
        let t = t.trim();
        if t.is_empty() {
            return Err(Error::invalid(format!("tags[{i}]"), "is empty"));
        }
        if chars(t) > 50 {
            return Err(Error::invalid(
                format!("tags[{i}]"),
                "is longer than 50 characters",
            ));
        }
        if seen.insert(crate::text::fold(t)) {
            tags.push(t.to_owned());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid("tags", format!("at most {MAX_TAGS} tags")));
    }
    e.tags = tags;

    if e.speakers.len() > MAX_SPEAKERS {
        return Err(Error::invalid(
            "speakers",
            format!("at most {MAX_SPEAKERS} speakers"),
        ));
    }
    let mut speaker_ids = HashSet::new();
    for (i, s) in e.speakers.iter_mut().enumerate() {
        s.name = s.name.trim().to_owned();
        if s.name.is_empty() {
            return Err(Error::invalid(format!("speakers[{i}].name"), "is required"));
        }
        if s.id.trim().is_empty() {
            s.id = new_id();
        }
        if !speaker_ids.insert(s.id.clone()) {
            return Err(Error::invalid(
                format!("speakers[{i}].id"),
                format!("'{}' is used twice", s.id),
            ));
        }
        s.links.retain(|l| !l.trim().is_empty());
        for (j, l) in s.links.iter().enumerate() {
            check_url(format!("speakers[{i}].links[{j}]"), l)?;
        }
        if let Some(p) = &s.photo_url {
            if p.trim().is_empty() {
                s.photo_url = None;
            } else {
                check_url(format!("speakers[{i}].photo_url"), p)?;
            }
        }
    }

    if e.sessions.len() > MAX_SESSIONS {
        return Err(Error::invalid(
            "sessions",
            format!("at most {MAX_SESSIONS} sessions"),
        ));
    }
    let mut session_ids = HashSet::new();
    for (i, s) in e.sessions.iter_mut().enumerate() {
        s.title = s.title.trim().to_owned();
        s.room = s.room.trim().to_owned();
        if s.title.is_empty() {
            return Err(Error::invalid(
                format!("sessions[{i}].title"),
                "is required",
            ));
        }
        if s.ends_at <= s.starts_at {
            return Err(Error::invalid(
                format!("sessions[{i}].ends_at"),
                "must be after the session's starts_at",
            ));
        }
        if s.starts_at < e.starts_at || s.starts_at > e.ends_at {
            return Err(Error::invalid(
                format!("sessions[{i}].starts_at"),
                "must fall within the event's dates",
            ));
        }
        if s.ends_at > e.ends_at {
            return Err(Error::invalid(
                format!("sessions[{i}].ends_at"),
                "must fall within the event's dates",
            ));
        }
        if s.id.trim().is_empty() {
            s.id = new_id();
        }
        if !session_ids.insert(s.id.clone()) {
            return Err(Error::invalid(
                format!("sessions[{i}].id"),
                format!("'{}' is used twice", s.id),
            ));
        }
        for (j, sid) in s.speaker_ids.iter().enumerate() {
            if !speaker_ids.contains(sid) {
                return Err(Error::invalid(
                    format!("sessions[{i}].speaker_ids[{j}]"),
                    format!("no speaker with id '{sid}' in this event"),
                ));
            }
        }
        if s.capacity == Some(0) {
            return Err(Error::invalid(
                format!("sessions[{i}].capacity"),
                "must be at least 1 (leave empty for no limit)",
            ));
        }
    }

    if e.seating.len() > MAX_PLANS {
        return Err(Error::invalid(
            "seating",
            format!("at most {MAX_PLANS} seating plans"),
        ));
    }
    for (i, p) in e.seating.iter_mut().enumerate() {
        p.room = p.room.trim().to_owned();
        if p.room.is_empty() {
            return Err(Error::invalid(format!("seating[{i}].room"), "is required"));
        }
        if p.id.trim().is_empty() {
            p.id = new_id();
        }
        match p.layout {
            Layout::Grid {
                rows,
                seats_per_row,
            } => {
                if rows == 0 || rows > MAX_ROWS {
                    return Err(Error::invalid(
                        format!("seating[{i}].layout.rows"),
                        format!("must be between 1 and {MAX_ROWS}"),
                    ));
                }
                if seats_per_row == 0 || seats_per_row > MAX_SEATS_PER_ROW {
                    return Err(Error::invalid(
                        format!("seating[{i}].layout.seats_per_row"),
                        format!("must be between 1 and {MAX_SEATS_PER_ROW}"),
                    ));
                }
            }
            Layout::Tables {
                tables,
                seats_per_table,
            } => {
                if tables == 0 || tables > MAX_TABLES {
                    return Err(Error::invalid(
                        format!("seating[{i}].layout.tables"),
                        format!("must be between 1 and {MAX_TABLES}"),
                    ));
                }
                if seats_per_table == 0 || seats_per_table > MAX_SEATS_PER_TABLE {
                    return Err(Error::invalid(
                        format!("seating[{i}].layout.seats_per_table"),
                        format!("must be between 1 and {MAX_SEATS_PER_TABLE}"),
                    ));
                }
            }
        }
        let labels: HashSet<String> = p.seat_labels().into_iter().collect();
        let mut blocked = Vec::new();
        for (j, b) in p.blocked.iter().enumerate() {
            let b = b.trim().to_uppercase();
            if !labels.contains(&b) {
                return Err(Error::invalid(
                    format!("seating[{i}].blocked[{j}]"),
                    format!("there is no seat '{b}' in this plan"),
                ));
            }
            if !blocked.contains(&b) {
                blocked.push(b);
            }
        }
        p.blocked = blocked;
    }

    if e.custom.len() > MAX_CUSTOM {
        return Err(Error::invalid(
            "custom",
            format!("at most {MAX_CUSTOM} custom fields"),
        ));
    }
    let mut custom = serde_json::Map::new();
    for (k, v) in std::mem::take(&mut e.custom) {
        let key = k.trim().to_owned();
        let field = format!("custom.{key}");
        if key.is_empty() {
            return Err(Error::invalid("custom", "a custom field has no name"));
        }
        if key.starts_with('$') || key.contains('.') || chars(&key) > 64 {
            return Err(Error::invalid(
                field,
                "a field name cannot start with '$', contain '.', or exceed 64 characters",
            ));
        }
        check_custom_value(&field, &v, true)?;
        custom.insert(key, v);
    }
    e.custom = custom;
    Ok(e)
}

fn check_custom_value(field: &str, v: &Value, top: bool) -> Result<()> {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
        Value::String(s) if chars(s) <= 2_000 => Ok(()),
        Value::String(_) => Err(Error::invalid(field, "is longer than 2,000 characters")),
        Value::Array(items) if top && items.len() <= 100 => {
            for (i, it) in items.iter().enumerate() {
                check_custom_value(&format!("{field}[{i}]"), it, false)?;
            }
            Ok(())
        }
        Value::Array(_) if top => Err(Error::invalid(field, "a list holds at most 100 values")),
        _ => Err(Error::invalid(
            field,
            "must be text, a number, yes/no, or a list of those",
        )),
    }
}
