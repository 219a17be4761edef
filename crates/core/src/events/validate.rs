//! Input checking: every problem is reported with the path of the field at fault
//! (`sessions[1].ends_at`), before anything is written.

use std::collections::HashSet;

use serde_json::Value;

use super::model::*;
use crate::{Error, Problem, Result};

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
        return Err(Error::field(
            "event",
            "bad_value",
            [("detail", "expected a JSON object".into())],
        ));
    };
    if let Some(k) = map.keys().find(|k| !INPUT_KEYS.contains(&k.as_str())) {
        return Err(Error::field(k.as_str(), "unknown_field", []));
    }
    normalise(from_json("event", v)?)
}

/// Deserialise any input from JSON; a type error names the path of the field at fault
/// (`sessions[0].starts_at`), or `root` for the value as a whole.
pub fn from_json<T: serde::de::DeserializeOwned>(root: &str, v: Value) -> Result<T> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { root.to_owned() } else { path };
        Error::field(path, "bad_value", [("detail", e.into_inner().to_string())])
    })
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn check_url(field: String, url: &str) -> Option<Problem> {
    let u = url.trim();
    if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() < 10 || u.contains(' ') {
        let shown: String = url.chars().take(80).collect();
        return Some(Problem::new(field, "not_url", [("value", shown)]));
    }
    None
}

fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()[20..].to_owned()
}

/// Trim, fill generated ids, and check every rule. Returns the cleaned input, or an error
/// listing every fault found (each with its field path, reason and values).
pub fn normalise(mut e: EventInput) -> Result<EventInput> {
    let mut problems: Vec<Problem> = Vec::new();
    macro_rules! bad {
        ($field:expr, $reason:expr $(, $k:literal => $v:expr)* $(,)?) => {
            problems.push(Problem::new($field, $reason, [$(($k, $v.to_string())),*]))
        };
    }

    e.title = e.title.trim().to_owned();
    if e.title.is_empty() {
        bad!("title", "required");
    } else if chars(&e.title) > MAX_TITLE {
        bad!("title", "too_long", "max" => MAX_TITLE);
    }
    if chars(&e.description) > MAX_DESCRIPTION {
        bad!("description", "too_long", "max" => MAX_DESCRIPTION);
    }
    if e.ends_at <= e.starts_at {
        bad!("ends_at", "end_before_start");
    } else if e.ends_at - e.starts_at > chrono::Duration::days(366) {
        bad!("ends_at", "too_long_event");
    }
    e.timezone = e.timezone.trim().to_owned();
    if e.timezone.parse::<chrono_tz::Tz>().is_err() {
        let shown: String = e.timezone.chars().take(60).collect();
        bad!("timezone", "unknown_zone", "value" => shown);
    }
    e.venue.name = e.venue.name.trim().to_owned();
    e.venue.address = e.venue.address.trim().to_owned();
    if let Some(loc) = &e.venue.location {
        let [lng, lat] = loc.coordinates;
        if loc.kind != "Point" {
            bad!("venue.location.type", "not_point");
        }
        if !(-180.0..=180.0).contains(&lng) {
            bad!("venue.location.coordinates[0]", "out_of_range", "min" => -180, "max" => 180);
        }
        if !(-90.0..=90.0).contains(&lat) {
            bad!("venue.location.coordinates[1]", "out_of_range", "min" => -90, "max" => 90);
        }
    }
    if let Some(c) = e.capacity {
        if c == 0 || c > 1_000_000 {
            bad!("capacity", "out_of_range", "min" => 1, "max" => 1_000_000);
        }
    }

    let mut seen = HashSet::new();
    let mut tags = Vec::new();
    for (i, t) in e.tags.iter().enumerate() {
        let t = t.trim();
        if t.is_empty() {
            bad!(format!("tags[{i}]"), "empty");
        } else if chars(t) > 50 {
            bad!(format!("tags[{i}]"), "too_long", "max" => 50);
        } else if seen.insert(crate::text::fold(t)) {
            tags.push(t.to_owned());
        }
    }
    if tags.len() > MAX_TAGS {
        bad!("tags", "too_many", "max" => MAX_TAGS);
    }
    e.tags = tags;

    if e.speakers.len() > MAX_SPEAKERS {
        bad!("speakers", "too_many", "max" => MAX_SPEAKERS);
    }
    let mut speaker_ids = HashSet::new();
    for (i, s) in e.speakers.iter_mut().enumerate() {
        s.name = s.name.trim().to_owned();
        if s.name.is_empty() {
            bad!(format!("speakers[{i}].name"), "required");
        }
        if s.id.trim().is_empty() {
            s.id = new_id();
        }
        if !speaker_ids.insert(s.id.clone()) {
            bad!(format!("speakers[{i}].id"), "used_twice", "value" => s.id);
        }
        s.links.retain(|l| !l.trim().is_empty());
        for (j, l) in s.links.iter().enumerate() {
            problems.extend(check_url(format!("speakers[{i}].links[{j}]"), l));
        }
        if let Some(p) = &s.photo_url {
            if p.trim().is_empty() {
                s.photo_url = None;
            } else {
                problems.extend(check_url(format!("speakers[{i}].photo_url"), p));
            }
        }
    }

    if e.sessions.len() > MAX_SESSIONS {
        bad!("sessions", "too_many", "max" => MAX_SESSIONS);
    }
    let mut session_ids = HashSet::new();
    for (i, s) in e.sessions.iter_mut().enumerate() {
        s.title = s.title.trim().to_owned();
        s.room = s.room.trim().to_owned();
        if s.title.is_empty() {
            bad!(format!("sessions[{i}].title"), "required");
        }
        if s.ends_at <= s.starts_at {
            bad!(format!("sessions[{i}].ends_at"), "end_before_start");
        }
        if s.starts_at < e.starts_at || s.starts_at > e.ends_at {
            bad!(format!("sessions[{i}].starts_at"), "outside_event");
        } else if s.ends_at > e.ends_at {
            bad!(format!("sessions[{i}].ends_at"), "outside_event");
        }
        if s.id.trim().is_empty() {
            s.id = new_id();
        }
        if !session_ids.insert(s.id.clone()) {
            bad!(format!("sessions[{i}].id"), "used_twice", "value" => s.id);
        }
        for (j, sid) in s.speaker_ids.iter().enumerate() {
            if !speaker_ids.contains(sid) {
                bad!(format!("sessions[{i}].speaker_ids[{j}]"), "unknown_speaker", "value" => sid);
            }
        }
        if s.capacity == Some(0) {
            bad!(format!("sessions[{i}].capacity"), "out_of_range", "min" => 1, "max" => 1_000_000);
        }
    }

    if e.seating.len() > MAX_PLANS {
        bad!("seating", "too_many", "max" => MAX_PLANS);
    }
    for (i, p) in e.seating.iter_mut().enumerate() {
        p.room = p.room.trim().to_owned();
        if p.room.is_empty() {
            bad!(format!("seating[{i}].room"), "required");
        }
        if p.id.trim().is_empty() {
            p.id = new_id();
        }
        let mut layout_ok = true;
        let mut range = |field: &str, v: u32, max: u32, problems: &mut Vec<Problem>| {
            if v == 0 || v > max {
                layout_ok = false;
                problems.push(Problem::new(
                    format!("seating[{i}].layout.{field}"),
                    "out_of_range",
                    [("min", "1".into()), ("max", max.to_string())],
                ));
            }
        };
        match p.layout {
            Layout::Grid {
                rows,
                seats_per_row,
            } => {
                range("rows", rows, MAX_ROWS, &mut problems);
                range(
                    "seats_per_row",
                    seats_per_row,
                    MAX_SEATS_PER_ROW,
                    &mut problems,
                );
            }
            Layout::Tables {
                tables,
                seats_per_table,
            } => {
                range("tables", tables, MAX_TABLES, &mut problems);
                range(
                    "seats_per_table",
                    seats_per_table,
                    MAX_SEATS_PER_TABLE,
                    &mut problems,
                );
            }
        }
        if !layout_ok {
            // Seat labels of an impossible layout mean nothing (and could be huge).
            continue;
        }
        let labels: HashSet<String> = p.seat_labels().into_iter().collect();
        let mut blocked = Vec::new();
        for (j, b) in p.blocked.iter().enumerate() {
            let b = b.trim().to_uppercase();
            if !labels.contains(&b) {
                let shown: String = b.chars().take(20).collect();
                bad!(format!("seating[{i}].blocked[{j}]"), "unknown_seat", "value" => shown);
            } else if !blocked.contains(&b) {
                blocked.push(b);
            }
        }
        p.blocked = blocked;
    }

    if e.custom.len() > MAX_CUSTOM {
        bad!("custom", "too_many", "max" => MAX_CUSTOM);
    }
    let mut custom = serde_json::Map::new();
    for (k, v) in std::mem::take(&mut e.custom) {
        let key = k.trim().to_owned();
        let field = format!("custom.{key}");
        if key.is_empty() {
            bad!("custom", "no_name");
            continue;
        }
        if key.starts_with('$') || key.contains('.') || chars(&key) > 64 {
            bad!(field, "bad_key");
            continue;
        }
        if let Err(p) = check_custom_value(&field, &v, true) {
            problems.push(p);
        }
        custom.insert(key, v);
    }
    e.custom = custom;
    match Error::problems(problems) {
        Some(err) => Err(err),
        None => Ok(e),
    }
}

fn check_custom_value(field: &str, v: &Value, top: bool) -> std::result::Result<(), Problem> {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
        Value::String(s) if chars(s) <= 2_000 => Ok(()),
        Value::String(_) => Err(Problem::new(field, "too_long", [("max", "2000".into())])),
        Value::Array(items) if top && items.len() <= 100 => {
            for (i, it) in items.iter().enumerate() {
                check_custom_value(&format!("{field}[{i}]"), it, false)?;
            }
            Ok(())
        }
        Value::Array(_) if top => Err(Problem::new(field, "too_many", [("max", "100".into())])),
        _ => Err(Problem::new(field, "custom_value", [])),
    }
}
