//! People on the seating plans: give a participant a seat (or a place at a table), move
//! them, free the seat, fill a plan automatically (grouped by company), see who sits where
//! and what disagrees (a plan smaller than the event's capacity, more attendees than
//! seats, someone on a seat that was blocked or removed since).
//!
//! The seat is a field of the participant (`seat: {plan_id, label}`), so it travels with
//! them through sync and goes with them when they are deleted or stop coming. One person
//! per seat is the server's rule, not the app's: the partial unique index
//! `event_seat_unique` on `(event_id, seat.plan_id, seat.label)` over live, seated
//! participants. Of two organisers giving the same seat at once, exactly one write goes
//! through; the other gets `duplicate` on `seat`, naming who has it.

use std::collections::{HashMap, HashSet};

use bson::doc;
use futures_util::TryStreamExt;
use mongodb::options::ReturnDocument;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{audit, coll, get, live, model::*};
use crate::{
    error::Code,
    events::{Event, Layout, SeatingPlan},
    text,
    time::{self, to_bson},
    Core, Error, Result,
};

/// Who sits on a seat, as the plan shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seated {
    pub id: String,
    pub name: String,
    pub email: String,
    pub company: String,
    pub status: RsvpStatus,
}

impl From<&Participant> for Seated {
    fn from(p: &Participant) -> Self {
        Seated {
            id: p.id.clone(),
            name: p.input.name.clone(),
            email: p.input.email.clone(),
            company: p.input.company.clone(),
            status: p.status,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatView {
    pub label: String,
    pub blocked: bool,
    pub participant: Option<Seated>,
}

/// One plan with every seat and its occupant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    pub plan: SeatingPlan,
    pub seats: Vec<SeatView>,
    /// Usable seats (blocked ones excluded).
    pub capacity: u32,
    pub assigned: u32,
    pub free: u32,
}

/// Something the organiser should look at. `code` is translated by the UI with `params`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// `plan_under_capacity` (room, seats, capacity), `attendees_over_seats` (room, seats,
    /// attendees), `seat_blocked` (room, label, name), `seat_missing` (label, name).
    pub code: String,
    pub params: Map<String, Value>,
}

fn warning(code: &str, params: Value) -> Warning {
    Warning {
        code: code.to_owned(),
        params: match params {
            Value::Object(m) => m,
            _ => Map::new(),
        },
    }
}

/// The event's plans with their occupants, the people still to seat, and the warnings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub plans: Vec<PlanView>,
    /// Participants with an event seat (accepted, checked in) and no place on a plan.
    pub unseated: Vec<Seated>,
    /// Everyone who can be given a seat (not declined, cancelled or waitlisted).
    pub seatable: u64,
    /// Accepted and checked-in participants.
    pub attendees: u64,
    pub capacity: Option<u32>,
    pub warnings: Vec<Warning>,
}

/// How [`auto_assign`] orders the people it seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// Colleagues side by side (at the same table where it fits), then by name.
    #[default]
    Company,
    /// By name only.
    Name,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoReport {
    pub assigned: u64,
    /// Attendees left without a seat because the plan is full.
    pub left: u64,
}

/// Can someone of this status be given a seat?
fn seatable(s: RsvpStatus) -> bool {
    !matches!(
        s,
        RsvpStatus::Declined | RsvpStatus::Cancelled | RsvpStatus::Waitlisted
    )
}

fn plan<'a>(ev: &'a Event, plan_id: &str) -> Result<&'a SeatingPlan> {
    ev.input
        .seating
        .iter()
        .find(|p| p.id == plan_id)
        .ok_or_else(|| Error::not_found(format!("seating plan {plan_id}")).on_field("plan_id"))
}

/// A seat's text for people: `Salle A · B12` (the room, then the seat), or `None` when
/// the plan no longer exists. Shown on the badge, the portal page and in the CSV export.
pub fn seat_text(ev: &Event, seat: &SeatRef) -> Option<String> {
    let p = ev.input.seating.iter().find(|p| p.id == seat.plan_id)?;
    Some(format!("{} · {}", p.room, seat.label))
}

/// The live participants seated on `plan_id`, by seat label.
async fn occupants(
    core: &Core,
    event_id: &str,
    plan_id: &str,
) -> Result<HashMap<String, Participant>> {
    let mut f = live();
    f.insert("event_id", event_id);
    f.insert("seat.plan_id", plan_id);
    let people: Vec<Participant> = coll(core).find(f).await?.try_collect().await?;
    Ok(people
        .into_iter()
        .filter_map(|p| p.seat.clone().map(|s| (s.label, p)))
        .collect())
}

/// The seat a typed label names: a seat label (`b12` → `B12`), or for a banquet plan a
/// table (`T3` or `3`) meaning its first free seat.
fn resolve(
    p: &SeatingPlan,
    label: &str,
    taken: &HashMap<String, Participant>,
    me: &str,
) -> Result<String> {
    let label = label.trim().to_uppercase();
    let labels = p.seat_labels();
    let blocked: HashSet<&str> = p.blocked.iter().map(String::as_str).collect();
    if labels.contains(&label) {
        if blocked.contains(label.as_str()) {
            return Err(Error::invalid("label", format!("seat {label} is blocked"))
                .with_param("label", label.clone()));
        }
        return Ok(label);
    }
    if let Layout::Tables { .. } = p.layout {
        let table = label.trim_start_matches('T');
        if !table.is_empty() && table.chars().all(|c| c.is_ascii_digit()) {
            let prefix = format!("T{}-", table.trim_start_matches('0'));
            let at_table: Vec<&String> = labels.iter().filter(|l| l.starts_with(&prefix)).collect();
            if !at_table.is_empty() {
                return at_table
                    .into_iter()
                    .find(|l| {
                        !blocked.contains(l.as_str()) && taken.get(*l).is_none_or(|o| o.id == me)
                    })
                    .cloned()
                    .ok_or_else(|| {
                        Error::new(Code::Duplicate, format!("table {table} is full"))
                            .on_field("label")
                            .with_param("table", table.to_owned())
                    });
            }
        }
    }
    let shown: String = label.chars().take(20).collect();
    Err(
        Error::invalid("label", format!("there is no seat '{shown}' in this plan"))
            .with_param("label", shown),
    )
}

/// The error of a seat someone else has: `duplicate` on `seat`, naming them.
fn seat_taken(label: &str, holder: Option<&Participant>) -> Error {
    let mut e = Error::new(Code::Duplicate, format!("seat {label} is already taken"))
        .on_field("seat")
        .with_param("label", label.to_owned());
    if let Some(h) = holder {
        e = e
            .with_param("participant_id", h.id.clone())
            .with_param("name", h.input.name.clone())
            .with_param("email", h.input.email.clone());
    }
    e
}

/// One conditional write: the seat is the participant's if the unique index lets it in.
async fn write_seat(core: &Core, p: &Participant, seat: Option<&SeatRef>) -> Result<Participant> {
    let now = bson::DateTime::from_chrono(time::now());
    let mut f = live();
    f.insert("_id", &p.id);
    let update = match seat {
        Some(s) => doc! { "$set": { "seat": to_bson(s)? } },
        None => doc! { "$unset": { "seat": "" } },
    };
    let update = crate::db::stamp(core, update, now);
    coll(core)
        .find_one_and_update(f, update)
        .return_document(ReturnDocument::After)
        .await?
        .ok_or_else(|| Error::not_found(format!("participant {}", p.id)))
}

/// Give participant `id` the seat `label` of plan `plan_id` (or, on a banquet plan, the
/// first free seat of table `T3`), moving them if they had another. Refused: a blocked
/// or unknown seat, a declined/cancelled/waitlisted participant, a seat someone has.
pub async fn assign(core: &Core, id: &str, plan_id: &str, label: &str) -> Result<Participant> {
    let p = get(core, id).await?;
    if !seatable(p.status) {
        return Err(
            Error::invalid("status", format!("{} has no place at the event", who(&p)))
                .with_param("status", p.status.as_str()),
        );
    }
    let ev = crate::events::get(core, &p.event_id).await?;
    let plan = plan(&ev, plan_id)?;
    let taken = occupants(core, &p.event_id, plan_id).await?;
    let label = resolve(plan, label, &taken, id)?;
    if let Some(holder) = taken.get(&label).filter(|h| h.id != id) {
        return Err(seat_taken(&label, Some(holder)));
    }
    let seat = SeatRef {
        plan_id: plan_id.to_owned(),
        label: label.clone(),
    };
    if p.seat.as_ref() == Some(&seat) {
        return Ok(p);
    }
    let updated = match write_seat(core, &p, Some(&seat)).await {
        Ok(u) => u,
        Err(e) if e.code == Code::Duplicate => {
            // Someone was given this seat between our read and our write.
            let now = occupants(core, &p.event_id, plan_id).await?;
            return Err(seat_taken(&label, now.get(&label)));
        }
        Err(e) => return Err(e),
    };
    let note = match &p.seat {
        Some(old) => format!("{} → {} {label}", old.label, plan.room),
        None => format!("{} {label}", plan.room),
    };
    audit(core, &p.event_id, Some(id), "seat", None, None, &note).await?;
    Ok(updated)
}

/// Free participant `id`'s seat on the plan (nothing to do if they have none).
pub async fn unassign(core: &Core, id: &str) -> Result<Participant> {
    let p = get(core, id).await?;
    let Some(old) = p.seat.clone() else {
        return Ok(p);
    };
    let updated = write_seat(core, &p, None).await?;
    audit(
        core,
        &p.event_id,
        Some(id),
        "seat",
        None,
        None,
        &format!("{} →", old.label),
    )
    .await?;
    Ok(updated)
}

fn who(p: &Participant) -> &str {
    if p.input.name.is_empty() {
        &p.input.email
    } else {
        &p.input.name
    }
}

/// Seat every attendee (accepted or checked in) who has no seat yet on the free seats of
/// `plan_id`, in plan order (row by row, table by table), grouped by company or by name.
/// Blocked seats are skipped; a seat someone else takes meanwhile is skipped too.
pub async fn auto_assign(
    core: &Core,
    event_id: &str,
    plan_id: &str,
    group: GroupBy,
) -> Result<AutoReport> {
    let ev = crate::events::get(core, event_id).await?;
    let plan = plan(&ev, plan_id)?.clone();
    let mut f = live();
    f.insert("event_id", event_id);
    f.insert("status", doc! { "$in": ["accepted", "checked_in"] });
    f.insert("seat", doc! { "$exists": false });
    let mut people: Vec<Participant> = coll(core).find(f).await?.try_collect().await?;
    people.sort_by(|a, b| {
        let key = |p: &Participant| match group {
            GroupBy::Company => (
                // People without a company after the companies.
                p.input.company.is_empty(),
                text::fold(&p.input.company),
                p.name_key.clone(),
                p.id.clone(),
            ),
            GroupBy::Name => (false, String::new(), p.name_key.clone(), p.id.clone()),
        };
        key(a).cmp(&key(b))
    });
    let taken = occupants(core, event_id, plan_id).await?;
    let blocked: HashSet<&str> = plan.blocked.iter().map(String::as_str).collect();
    let free: Vec<String> = plan
        .seat_labels()
        .into_iter()
        .filter(|l| !blocked.contains(l.as_str()) && !taken.contains_key(l))
        .collect();
    let mut report = AutoReport {
        assigned: 0,
        left: 0,
    };
    let mut next = 0;
    let mut people = people.into_iter();
    'people: for p in people.by_ref() {
        while let Some(label) = free.get(next) {
            let seat = SeatRef {
                plan_id: plan_id.to_owned(),
                label: label.clone(),
            };
            match write_seat(core, &p, Some(&seat)).await {
                Ok(_) => {
                    next += 1;
                    audit(
                        core,
                        event_id,
                        Some(&p.id),
                        "seat",
                        None,
                        None,
                        &format!("{} {label} (auto)", plan.room),
                    )
                    .await?;
                    report.assigned += 1;
                    continue 'people;
                }
                // Taken by someone else meanwhile: try the next seat.
                Err(e) if e.code == Code::Duplicate => next += 1,
                // Deleted meanwhile: the seat stays for the next person.
                Err(e) if e.code == Code::NotFound => continue 'people,
                Err(e) => return Err(e),
            }
        }
        report.left += 1;
        break;
    }
    report.left += people.count() as u64;
    Ok(report)
}

/// Who sits where on each plan of the event, who still has no seat, and the warnings.
pub async fn overview(core: &Core, event_id: &str) -> Result<Overview> {
    let ev = crate::events::get(core, event_id).await?;
    let mut f = live();
    f.insert("event_id", event_id);
    let people: Vec<Participant> = coll(core).find(f).await?.try_collect().await?;
    let attendees = people.iter().filter(|p| p.status.holds_seat()).count() as u64;
    let seatable_n = people.iter().filter(|p| seatable(p.status)).count() as u64;
    let mut warnings = vec![];
    let mut plans = vec![];
    for plan in &ev.input.seating {
        let by_label: HashMap<&str, &Participant> = people
            .iter()
            .filter_map(|p| match &p.seat {
                Some(s) if s.plan_id == plan.id => Some((s.label.as_str(), p)),
                _ => None,
            })
            .collect();
        let labels = plan.seat_labels();
        let blocked: HashSet<&str> = plan.blocked.iter().map(String::as_str).collect();
        let seats: Vec<SeatView> = labels
            .iter()
            .map(|l| SeatView {
                label: l.clone(),
                blocked: blocked.contains(l.as_str()),
                participant: by_label.get(l.as_str()).map(|p| Seated::from(*p)),
            })
            .collect();
        for (label, p) in &by_label {
            if blocked.contains(label) {
                warnings.push(warning(
                    "seat_blocked",
                    serde_json::json!({ "room": plan.room, "label": label, "name": who(p), "participant_id": p.id }),
                ));
            } else if !labels.iter().any(|l| l == label) {
                warnings.push(warning(
                    "seat_missing",
                    serde_json::json!({ "room": plan.room, "label": label, "name": who(p), "participant_id": p.id }),
                ));
            }
        }
        let capacity = plan.capacity();
        let assigned = seats.iter().filter(|s| s.participant.is_some()).count() as u32;
        if let Some(c) = ev.input.capacity.filter(|c| *c > capacity) {
            warnings.push(warning(
                "plan_under_capacity",
                serde_json::json!({ "room": plan.room, "seats": capacity, "capacity": c }),
            ));
        }
        if attendees > u64::from(capacity) {
            warnings.push(warning(
                "attendees_over_seats",
                serde_json::json!({ "room": plan.room, "seats": capacity, "attendees": attendees }),
            ));
        }
        plans.push(PlanView {
            plan: plan.clone(),
            capacity,
            assigned,
            free: capacity.saturating_sub(assigned),
            seats,
        });
    }
    for p in &people {
        if let Some(s) = &p.seat {
            if !ev.input.seating.iter().any(|pl| pl.id == s.plan_id) {
                warnings.push(warning(
                    "seat_missing",
                    serde_json::json!({ "room": "", "label": s.label, "name": who(p), "participant_id": p.id }),
                ));
            }
        }
    }
    let mut unseated: Vec<&Participant> = people
        .iter()
        .filter(|p| p.status.holds_seat() && p.seat.is_none())
        .collect();
    unseated.sort_by(|a, b| a.name_key.cmp(&b.name_key).then(a.id.cmp(&b.id)));
    Ok(Overview {
        plans,
        unseated: unseated.into_iter().map(Seated::from).collect(),
        seatable: seatable_n,
        attendees,
        capacity: ev.input.capacity,
        warnings,
    })
}
