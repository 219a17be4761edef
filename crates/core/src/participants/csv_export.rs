//! CSV export that Excel opens correctly: UTF-8 with a BOM (so accents survive), CRLF line
//! ends, and the list separator of the user's locale — `;` in French (where `,` is the
//! decimal mark), `,` in English. Cells that a spreadsheet would run as a formula
//! (`=`, `+`, `-`, `@`) are prefixed with `'`.

use std::collections::BTreeSet;

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{coll, filter, model::*, sort_doc};
use crate::{Core, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn separator(self) -> u8 {
        match self {
            Lang::Fr => b';',
            Lang::En => b',',
        }
    }
}

fn headers(lang: Lang) -> [&'static str; 10] {
    match lang {
        Lang::Fr => [
            "Nom",
            "E-mail",
            "Société",
            "Fonction",
            "Téléphone",
            "Réponse",
            "Réponse le",
            "Arrivé le",
            "Invitation",
            "Place",
        ],
        Lang::En => [
            "Name",
            "E-mail",
            "Company",
            "Role",
            "Phone",
            "Response",
            "Answered at",
            "Checked in at",
            "Invitation",
            "Seat",
        ],
    }
}

/// The RSVP status in the words of the glossary (ui/README.md), shared by the UI and exports.
pub fn status_label(s: RsvpStatus, lang: Lang) -> &'static str {
    match (lang, s) {
        (Lang::Fr, RsvpStatus::Invited) => "Sans réponse",
        (Lang::Fr, RsvpStatus::Accepted) => "Inscrit",
        (Lang::Fr, RsvpStatus::Declined) => "Décliné",
        (Lang::Fr, RsvpStatus::Tentative) => "Peut-être",
        (Lang::Fr, RsvpStatus::Waitlisted) => "Liste d'attente",
        (Lang::Fr, RsvpStatus::CheckedIn) => "Présent",
        (Lang::Fr, RsvpStatus::Cancelled) => "Désisté",
        (Lang::En, RsvpStatus::Invited) => "No reply",
        (Lang::En, RsvpStatus::Accepted) => "Registered",
        (Lang::En, RsvpStatus::Declined) => "Declined",
        (Lang::En, RsvpStatus::Tentative) => "Maybe",
        (Lang::En, RsvpStatus::Waitlisted) => "Waitlisted",
        (Lang::En, RsvpStatus::CheckedIn) => "Checked in",
        (Lang::En, RsvpStatus::Cancelled) => "Withdrew",
    }
}

/// Neutralise spreadsheet formulas (CSV injection).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn custom_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(a) => a.iter().map(custom_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The event's participants matching `q` (all pages) as CSV bytes. Returns the bytes and
/// the number of participants.
pub async fn export(
    core: &Core,
    event_id: &str,
    q: &ParticipantQuery,
    lang: Lang,
) -> Result<(Vec<u8>, u64)> {
    let ev = super::require_event(core, event_id).await?;
    let tz: chrono_tz::Tz = ev.input.timezone.parse().unwrap_or(chrono_tz::UTC);
    let people: Vec<Participant> = coll(core)
        .find(filter(event_id, q))
        .sort(sort_doc(q.sort))
        .await?
        .try_collect()
        .await?;
    let custom_keys: BTreeSet<String> = people
        .iter()
        .flat_map(|p| p.input.custom.keys().cloned())
        .collect();
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(lang.separator())
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let io = |e: csv::Error| Error::internal(format!("cannot write CSV: {e}"));
        let mut head: Vec<String> = headers(lang).iter().map(|s| (*s).to_owned()).collect();
        head.extend(custom_keys.iter().cloned());
        w.write_record(&head).map_err(io)?;
        let fmt = |d: Option<chrono::DateTime<chrono::Utc>>| {
            d.map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default()
        };
        for p in &people {
            let mut row = vec![
                cell(&p.input.name),
                cell(&p.input.email),
                cell(&p.input.company),
                cell(&p.input.role),
                cell(&p.input.phone),
                status_label(p.status, lang).to_owned(),
                fmt(p.rsvp_at),
                fmt(p.checked_in_at),
                serde_json::to_value(p.invitation.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                p.seat
                    .as_ref()
                    .and_then(|s| super::seating::seat_text(&ev, s))
                    .map(|s| cell(&s))
                    .unwrap_or_default(),
            ];
            for k in &custom_keys {
                row.push(cell(
                    &p.input.custom.get(k).map(custom_text).unwrap_or_default(),
                ));
            }
            w.write_record(&row).map_err(io)?;
        }
        w.flush()
            .map_err(|e| Error::internal(format!("cannot write CSV: {e}")))?;
    }
    Ok((out, people.len() as u64))
}

/// Export to a file; returns the number of participants written.
pub async fn export_to_file(
    core: &Core,
    event_id: &str,
    q: &ParticipantQuery,
    lang: Lang,
    path: &std::path::Path,
) -> Result<u64> {
    let (bytes, n) = export(core, event_id, q, lang).await?;
    std::fs::write(path, bytes)
        .map_err(|e| Error::invalid("file", format!("{}: cannot write: {e}", path.display())))?;
    Ok(n)
}
