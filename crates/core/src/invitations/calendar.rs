//! "Add to my calendar": an iCalendar file (RFC 5545) of an event and the sessions a
//! participant chose. Times are written in UTC (unambiguous in every calendar app, which
//! shows them in the reader's own zone); the event's time zone is named in
//! `X-WR-TIMEZONE` for the apps that display it.

use chrono::{DateTime, Utc};

use crate::{events::Event, participants::Participant};

/// Text escaped for an iCalendar value (backslash, semicolon, comma, newlines).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One content line folded at 75 octets (continuation lines start with a space).
fn line(out: &mut String, l: &str) {
    let mut width = 0;
    for c in l.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn stamp(d: DateTime<Utc>) -> String {
    d.format("%Y%m%dT%H%M%SZ").to_string()
}

fn venue(e: &Event) -> String {
    [e.input.venue.name.as_str(), e.input.venue.address.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The calendar of `event`, with `p`'s chosen sessions when given.
pub fn ics(event: &Event, p: Option<&Participant>, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//EventHub//Portal//FR");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(
        &mut out,
        &format!("X-WR-TIMEZONE:{}", text(&event.input.timezone)),
    );
    let mut vevent = |uid: String, title: &str, from, to, place: &str, about: &str| {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{uid}@eventhub"));
        line(&mut out, &format!("DTSTAMP:{}", stamp(now)));
        line(&mut out, &format!("DTSTART:{}", stamp(from)));
        line(&mut out, &format!("DTEND:{}", stamp(to)));
        line(&mut out, &format!("SUMMARY:{}", text(title)));
        if !place.is_empty() {
            line(&mut out, &format!("LOCATION:{}", text(place)));
        }
        if !about.is_empty() {
            line(&mut out, &format!("DESCRIPTION:{}", text(about)));
        }
        line(&mut out, "END:VEVENT");
    };
    let place = venue(event);
    vevent(
        event.id.clone(),
        &event.input.title,
        event.input.starts_at,
        event.input.ends_at,
        &place,
        &event.input.description,
    );
    if let Some(p) = p {
        for s in event
            .input
            .sessions
            .iter()
            .filter(|s| p.sessions.contains(&s.id))
        {
            let room = [s.room.as_str(), place.as_str()]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            vevent(
                format!("{}-{}", event.id, s.id),
                &format!("{} — {}", s.title, event.input.title),
                s.starts_at,
                s.ends_at,
                &room,
                &s.summary,
            );
        }
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_lines_folded() {
        assert_eq!(text("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
        assert!(out.split("\r\n").all(|l| l.len() <= 75), "{out}");
        assert!(out.contains("\r\n "));
    }
}
