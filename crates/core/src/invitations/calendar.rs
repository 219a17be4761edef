//! "Add to my calendar": an iCalendar file (RFC 5545) of an event and the sessions a
//! participant chose, served by the portal's RSVP page and attached to the invitation
//! e-mail. Times are local times of the event's zone (`DTSTART;TZID=Europe/Paris:…`),
//! and the file carries that zone's `VTIMEZONE`, so a calendar shows the session at the
//! right hour and keeps it there if it is moved to another zone.
//!
//! The `VTIMEZONE` is written here from chrono-tz's offsets: the maintained iCalendar
//! crates (e.g. `icalendar`) write `TZID` parameters but no `VTIMEZONE` definitions, and
//! RFC 5545 requires one for every `TZID` used. Rather than recurrence rules, which
//! chrono-tz does not expose, each change of offset in the years of the event (and the
//! year before, so the first date is covered) is listed as its own observance.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

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

/// A local date-time as iCalendar writes it (`20270415T090000`).
fn local(d: NaiveDateTime) -> String {
    d.format("%Y%m%dT%H%M%S").to_string()
}

/// `+0100`, `-0330`.
fn offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let m = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", m / 60, m % 60)
}

/// One offset change of a zone: when (UTC), the offsets before and after, the
/// abbreviation after, and whether daylight saving time applies after it.
struct Change {
    at: DateTime<Utc>,
    from: i32,
    to: i32,
    name: String,
    dst: bool,
}

fn at(tz: Tz, t: DateTime<Utc>) -> (i32, String, bool) {
    let o = tz.offset_from_utc_datetime(&t.naive_utc());
    (
        o.fix().local_minus_utc(),
        o.abbreviation().unwrap_or_default().to_owned(),
        !o.dst_offset().is_zero(),
    )
}

/// The offset changes of `tz` from January 1st of `first` to the end of `last`, to the
/// minute: scanned every 15 minutes (zones change on quarter hours), then refined.
fn changes(tz: Tz, first: i32, last: i32) -> Vec<Change> {
    let start = Utc.with_ymd_and_hms(first, 1, 1, 0, 0, 0).single();
    let end = Utc.with_ymd_and_hms(last + 1, 1, 1, 0, 0, 0).single();
    let (Some(mut t), Some(end)) = (start, end) else {
        return vec![];
    };
    let step = Duration::minutes(15);
    let mut out = vec![];
    let mut before = at(tz, t);
    while t < end {
        let next = t + step;
        let after = at(tz, next);
        if after.0 != before.0 || after.2 != before.2 {
            // The first minute of the new offset within (t, next].
            let mut m = t + Duration::minutes(1);
            while at(tz, m).0 == before.0 && at(tz, m).2 == before.2 && m < next {
                m += Duration::minutes(1);
            }
            out.push(Change {
                at: m,
                from: before.0,
                to: after.0,
                name: after.1.clone(),
                dst: after.2,
            });
        }
        before = after;
        t = next;
    }
    out
}

/// The `VTIMEZONE` of `tz` for events between `from` and `to`.
fn vtimezone(out: &mut String, tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) {
    use chrono::Datelike;
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{}", tz.name()));
    let list = changes(tz, from.year() - 1, to.year());
    if list.is_empty() {
        // A zone without changes in those years: one observance from the epoch.
        let (o, name, dst) = at(tz, from);
        let kind = if dst { "DAYLIGHT" } else { "STANDARD" };
        line(out, &format!("BEGIN:{kind}"));
        line(out, "DTSTART:19700101T000000");
        line(out, &format!("TZOFFSETFROM:{}", offset(o)));
        line(out, &format!("TZOFFSETTO:{}", offset(o)));
        if !name.is_empty() {
            line(out, &format!("TZNAME:{}", text(&name)));
        }
        line(out, &format!("END:{kind}"));
    }
    for c in list {
        let kind = if c.dst { "DAYLIGHT" } else { "STANDARD" };
        line(out, &format!("BEGIN:{kind}"));
        // The onset in the local time before the change (RFC 5545, 3.6.5).
        line(
            out,
            &format!(
                "DTSTART:{}",
                local(c.at.naive_utc() + Duration::seconds(i64::from(c.from)))
            ),
        );
        line(out, &format!("TZOFFSETFROM:{}", offset(c.from)));
        line(out, &format!("TZOFFSETTO:{}", offset(c.to)));
        if !c.name.is_empty() {
            line(out, &format!("TZNAME:{}", text(&c.name)));
        }
        line(out, &format!("END:{kind}"));
    }
    line(out, "END:VTIMEZONE");
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
    // An unknown zone name (never stored: events are validated) falls back to Paris.
    let tz: Tz = event
        .input
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Europe::Paris);
    line(&mut out, &format!("X-WR-TIMEZONE:{}", tz.name()));
    vtimezone(&mut out, tz, event.input.starts_at, event.input.ends_at);
    let zoned = |d: DateTime<Utc>| local(d.with_timezone(&tz).naive_local());
    let mut vevent = |uid: String, title: &str, from, to, place: &str, about: &str| {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{uid}@eventhub"));
        line(&mut out, &format!("DTSTAMP:{}", stamp(now)));
        line(
            &mut out,
            &format!("DTSTART;TZID={}:{}", tz.name(), zoned(from)),
        );
        line(&mut out, &format!("DTEND;TZID={}:{}", tz.name(), zoned(to)));
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

    #[test]
    fn the_zone_changes_of_paris_are_found_to_the_minute() {
        let c = changes(chrono_tz::Europe::Paris, 2027, 2027);
        assert_eq!(c.len(), 2, "spring and autumn");
        // Last Sunday of March, 01:00 UTC: 02:00 CET becomes 03:00 CEST.
        assert_eq!(stamp(c[0].at), "20270328T010000Z");
        assert_eq!((c[0].from, c[0].to, c[0].dst), (3600, 7200, true));
        assert_eq!(c[0].name, "CEST");
        assert_eq!(stamp(c[1].at), "20271031T010000Z");
        assert_eq!((c[1].from, c[1].to, c[1].dst), (7200, 3600, false));
        let mut out = String::new();
        vtimezone(
            &mut out,
            chrono_tz::Europe::Paris,
            c[0].at + Duration::days(10),
            c[0].at + Duration::days(10),
        );
        assert!(out.contains("BEGIN:DAYLIGHT\r\nDTSTART:20270328T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST"), "{out}");
        // Tokyo has no changes: one observance.
        let mut out = String::new();
        let d = Utc.with_ymd_and_hms(2027, 6, 1, 0, 0, 0).unwrap();
        vtimezone(&mut out, chrono_tz::Asia::Tokyo, d, d);
        assert!(
            out.contains("DTSTART:19700101T000000\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900"),
            "{out}"
        );
        assert_eq!(offset(-12600), "-0330");
    }
}
