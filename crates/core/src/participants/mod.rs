//! Participants: the people of an event, in their own collection (they grow without
//! bound). `model` holds the shapes, `validate` the rules, `schema` the validator and
//! indexes, `rsvp` statuses with capacity and the waitlist, `edit` changes after the fact
//! (edit, delete, erase, merge), `seating` people on the seating plans,
//! `csv_import`/`csv_export` the files people really have. Every function takes a
//! [`Core`]; none sees a GUI.

pub mod csv_export;
pub mod csv_import;
pub mod edit;
pub mod model;
pub mod rsvp;
pub mod schema;
pub mod seating;
pub mod validate;

pub use edit::{delete, erase, merge, update, MergeReport};
pub use model::*;
pub use rsvp::{check_in, join_session, leave_session, set_status};
pub use validate::{from_json, normalise_email};

use bson::{doc, Bson, Document};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::Collection;

use crate::{error::Code, text, time, Core, Error, Result};
use schema::{AUDIT, PARTICIPANTS};

pub const MAX_PER_PAGE: u32 = 200;
pub const DEFAULT_PER_PAGE: u32 = 50;

pub(crate) fn coll(core: &Core) -> Collection<Participant> {
    core.db().collection(PARTICIPANTS)
}

pub(crate) fn raw(core: &Core) -> Collection<Document> {
    core.db().collection(PARTICIPANTS)
}

pub(crate) fn audit_coll(core: &Core) -> Collection<AuditEntry> {
    core.db().collection(AUDIT)
}

/// Live participants (tombstones carry a date in `deleted_at`). Written with `$type` so
/// the planner can use the partial unique index, whose filter is the same expression.
pub(crate) fn live() -> Document {
    doc! { "deleted_at": { "$type": "null" } }
}

/// The derived keys: folded words for search, folded name for sorting.
pub(crate) fn derive(input: &ParticipantInput, email_norm: &str) -> (Vec<String>, String) {
    let terms = text::terms([
        input.name.as_str(),
        email_norm,
        input.company.as_str(),
        input.role.as_str(),
    ]);
    let key = if input.name.is_empty() {
        text::fold(email_norm)
    } else {
        text::fold(&input.name)
    };
    (terms, key)
}

/// Build a new participant (status `invited`, no invitation sent yet).
pub(crate) fn build(
    event_id: &str,
    input: ParticipantInput,
    email_norm: String,
    source: Source,
    now: DateTime<Utc>,
    actor: &str,
) -> Participant {
    let (search_terms, name_key) = derive(&input, &email_norm);
    Participant {
        id: uuid::Uuid::now_v7().to_string(),
        event_id: event_id.to_owned(),
        input,
        email_norm,
        status: RsvpStatus::Invited,
        rsvp_at: None,
        waitlisted_at: None,
        checked_in_at: None,
        sessions: vec![],
        session_waitlist: vec![],
        invitation: Invitation::default(),
        source,
        seat: None,
        merged_ids: vec![],
        search_terms,
        name_key,
        version: 1,
        created_at: now,
        updated_at: now,
        updated_by: actor.to_owned(),
        deleted_at: None,
    }
}

/// The event must exist (and not be deleted) before anyone is added to it.
pub(crate) async fn require_event(core: &Core, event_id: &str) -> Result<crate::events::Event> {
    crate::events::get(core, event_id).await
}

/// Add one participant by hand.
pub async fn create(core: &Core, event_id: &str, input: ParticipantInput) -> Result<Participant> {
    require_event(core, event_id).await?;
    let (input, norm) = validate::normalise(input)?;
    let now = time::now();
    let p = build(
        event_id,
        input,
        norm,
        Source {
            kind: "manual".into(),
            ..Source::default()
        },
        now,
        core.actor(),
    );
    coll(core).insert_one(&p).await.map_err(|e| {
        let e = Error::from(e);
        if e.code == Code::Duplicate {
            Error::new(
                Code::Duplicate,
                format!("{} is already a participant of this event", p.input.email),
            )
        } else {
            e
        }
    })?;
    audit(
        core,
        event_id,
        Some(&p.id),
        "created",
        None,
        Some(p.status),
        "",
    )
    .await?;
    Ok(p)
}

/// One live participant.
pub async fn get(core: &Core, id: &str) -> Result<Participant> {
    let mut f = live();
    f.insert("_id", id);
    coll(core)
        .find_one(f)
        .await?
        .ok_or_else(|| Error::not_found(format!("participant {id}")))
}

/// Record who changed what.
pub(crate) async fn audit(
    core: &Core,
    event_id: &str,
    participant_id: Option<&str>,
    action: &str,
    from: Option<RsvpStatus>,
    to: Option<RsvpStatus>,
    note: &str,
) -> Result<()> {
    let e = AuditEntry {
        id: uuid::Uuid::now_v7().to_string(),
        event_id: event_id.to_owned(),
        participant_id: participant_id.map(str::to_owned),
        at: time::now(),
        actor: core.actor().to_owned(),
        action: action.to_owned(),
        from,
        to,
        note: note.to_owned(),
    };
    audit_coll(core).insert_one(&e).await?;
    Ok(())
}

/// The audit trail of one participant, newest first, with the event-wide entry of the
/// import that brought them in (if any).
pub async fn audit_trail(core: &Core, participant_id: &str) -> Result<Vec<AuditEntry>> {
    let p = coll(core)
        .find_one(doc! { "_id": participant_id })
        .await?
        .ok_or_else(|| Error::not_found(format!("participant {participant_id}")))?;
    // Participants merged into this one: their history is this person's too.
    let mut ids = vec![participant_id.to_owned()];
    ids.extend(p.merged_ids.iter().cloned());
    let mut entries: Vec<AuditEntry> = audit_coll(core)
        .find(doc! { "participant_id": { "$in": ids } })
        .sort(doc! { "at": -1, "_id": -1 })
        .limit(500)
        .await?
        .try_collect()
        .await?;
    if let (Some(import_id), "import") = (p.source.import_id.as_deref(), p.source.kind.as_str()) {
        if let Some(imp) = audit_coll(core).find_one(doc! { "_id": import_id }).await? {
            let note = format!(
                "{}:{}",
                p.source.file.as_deref().unwrap_or("CSV"),
                p.source.line.unwrap_or(0)
            );
            entries.push(AuditEntry {
                note,
                participant_id: Some(participant_id.to_owned()),
                to: Some(RsvpStatus::Invited),
                ..imp
            });
        }
    }
    Ok(entries)
}

/// The filter of a list or export query.
pub fn filter(event_id: &str, q: &ParticipantQuery) -> Document {
    let mut f = live();
    f.insert("event_id", event_id);
    if let Some(s) = q.status {
        f.insert("status", s.as_str());
    }
    if let Some(words) = q.q.as_deref().filter(|w| !w.trim().is_empty()) {
        let mut ws: Vec<String> = text::words(words).collect();
        ws.sort();
        ws.dedup();
        let all = ws.clone();
        ws.retain(|w| !all.iter().any(|o| o != w && o.starts_with(w.as_str())));
        let and: Vec<Document> = ws
            .iter()
            .map(|w| doc! { "search_terms": { "$regex": format!("^{}", text::regex_escape(w)) } })
            .collect();
        if !and.is_empty() {
            f.insert("$and", and);
        }
    }
    f
}

pub(crate) fn sort_doc(s: Sort) -> Document {
    match s {
        Sort::Name => doc! { "name_key": 1, "_id": 1 },
        Sort::UpdatedAt => doc! { "updated_at": -1, "_id": -1 },
        Sort::CreatedAt => doc! { "_id": 1 },
    }
}

/// One page of an event's participants, with the counts per status and the seats.
pub async fn list(core: &Core, event_id: &str, q: &ParticipantQuery) -> Result<ParticipantPage> {
    require_event(core, event_id).await?;
    let per_page = match q.per_page {
        0 => DEFAULT_PER_PAGE,
        n => n.min(MAX_PER_PAGE),
    };
    let page = q.page.max(1);
    let f = filter(event_id, q);
    let total = raw(core).count_documents(f.clone()).await?;
    let items: Vec<Participant> = coll(core)
        .find(f)
        .sort(sort_doc(q.sort))
        .skip(u64::from((page - 1) * per_page))
        .limit(i64::from(per_page))
        .await?
        .try_collect()
        .await?;
    let counts = status_counts(core, event_id).await?;
    let capacity = capacity(core, event_id, &counts).await?;
    Ok(ParticipantPage {
        items,
        total,
        page,
        per_page,
        counts,
        capacity,
    })
}

/// Live participants of an event per status (every status, zeros included).
pub async fn status_counts(core: &Core, event_id: &str) -> Result<Vec<StatusCount>> {
    let mut m = live();
    m.insert("event_id", event_id);
    let rows: Vec<Document> = raw(core)
        .aggregate(vec![
            doc! { "$match": m },
            doc! { "$group": { "_id": "$status", "n": { "$sum": 1 } } },
        ])
        .await?
        .try_collect()
        .await?;
    let mut out: Vec<StatusCount> = RsvpStatus::ALL
        .iter()
        .map(|s| StatusCount {
            status: *s,
            count: 0,
        })
        .collect();
    for r in rows {
        let n = match r.get("n") {
            Some(Bson::Int32(n)) => *n as u64,
            Some(Bson::Int64(n)) => *n as u64,
            Some(Bson::Double(n)) => *n as u64,
            _ => 0,
        };
        if let Some(s) = r.get_str("_id").ok().and_then(RsvpStatus::parse) {
            if let Some(slot) = out.iter_mut().find(|c| c.status == s) {
                slot.count = n;
            }
        }
    }
    Ok(out)
}

/// The event's capacity and seats taken (from the counter), and the waitlist length.
pub async fn capacity(core: &Core, event_id: &str, counts: &[StatusCount]) -> Result<Capacity> {
    let ev = require_event(core, event_id).await?;
    let taken = rsvp::taken(core, event_id).await?;
    Ok(Capacity {
        capacity: ev.input.capacity.map(i64::from),
        taken,
        waitlisted: counts
            .iter()
            .find(|c| c.status == RsvpStatus::Waitlisted)
            .map_or(0, |c| c.count),
    })
}
