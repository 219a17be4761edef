//! Changing a participant after the fact: edit any field, delete, erase a person's data on
//! request, merge two records found to be the same person.
//!
//! Every change is a versioned write (`version` + 1, `updated_at`, `updated_by`) so that
//! sync carries it, a delete is a tombstone (`deleted_at`) for the same reason, and every
//! change leaves an entry in the audit trail. What a removed participant held goes back:
//! the event seat to the earliest waitlisted (the same promotion as a cancellation), each
//! session seat to that session's waitlist, the place on the seating plan.

use std::collections::HashSet;

use bson::{doc, Document};
use futures_util::TryStreamExt;
use mongodb::options::ReturnDocument;
use serde::Serialize;

use super::{audit, coll, derive, get, live, model::*, raw, rsvp, validate};
use crate::{
    error::Code,
    feedback,
    networking::{self, Connection, Erasure},
    time::{self, to_bson},
    Core, Error, Result,
};

/// What an erased registration keeps in place of the e-mail address (the validator wants
/// one; tombstones are outside the unique index, so every erased record can share it).
pub const ERASED: &str = "erased";

/// `update` with the metadata block of a versioned write (see [`crate::db::stamp`]).
fn stamp(core: &Core, update: Document) -> Document {
    crate::db::stamp(core, update, time::now())
}

fn who(p: &Participant) -> &str {
    if p.input.name.is_empty() {
        &p.input.email
    } else {
        &p.input.name
    }
}

/// The error of an address another participant of the event already has: code
/// `duplicate` on field `email`, with that participant's id, name and address as params.
fn duplicate_email(other: &Participant) -> Error {
    Error::new(
        Code::Duplicate,
        format!(
            "email: {} is already the address of {}",
            other.input.email,
            who(other)
        ),
    )
    .on_field("email")
    .with_param("email", other.input.email.clone())
    .with_param("participant_id", other.id.clone())
    .with_param("name", other.input.name.clone())
}

/// The live participant of `event_id` (other than `except`) who has this address, if any.
async fn email_holder(
    core: &Core,
    event_id: &str,
    email_norm: &str,
    except: &str,
) -> Result<Option<Participant>> {
    let mut f = live();
    f.insert("event_id", event_id);
    f.insert("email_norm", email_norm);
    f.insert("_id", doc! { "$ne": except });
    Ok(coll(core).find_one(f).await?)
}

async fn stale_or_missing(core: &Core, id: &str, expected: i64) -> Error {
    match get(core, id).await {
        Ok(cur) => rsvp::conflict(&cur, expected),
        Err(e) => e,
    }
}

/// Replace the editable fields of a participant (name, e-mail, company, role, phone,
/// custom fields), provided nobody changed it since `expected_version` was read. An
/// e-mail another participant of the event already has is refused, naming them.
pub async fn update(
    core: &Core,
    id: &str,
    expected_version: i64,
    input: ParticipantInput,
) -> Result<Participant> {
    let cur = get(core, id).await?;
    if cur.version != expected_version {
        return Err(rsvp::conflict(&cur, expected_version));
    }
    let (input, norm) = validate::normalise(input)?;
    if norm != cur.email_norm {
        if let Some(other) = email_holder(core, &cur.event_id, &norm, id).await? {
            return Err(duplicate_email(&other));
        }
    }
    let old = &cur.input;
    let changed: Vec<&str> = [
        ("name", old.name != input.name),
        ("email", old.email != input.email),
        ("company", old.company != input.company),
        ("role", old.role != input.role),
        ("phone", old.phone != input.phone),
        ("custom", old.custom != input.custom),
    ]
    .into_iter()
    .filter_map(|(f, c)| c.then_some(f))
    .collect();
    if changed.is_empty() {
        return Ok(cur);
    }
    let (terms, key) = derive(&input, &norm);
    let set = doc! {
            "name": &input.name,
            "email": &input.email,
            "email_norm": &norm,
            "company": &input.company,
            "role": &input.role,
            "phone": &input.phone,
            "custom": to_bson(&input.custom)?,
            "search_terms": terms,
            "name_key": key,
    };
    let mut f = live();
    f.insert("_id", id);
    f.insert("version", expected_version);
    let res: Result<Option<Participant>> = if norm != cur.email_norm {
        // A new address takes the old one's place in `event_email_unique`: written as a
        // delete and an insert ([`crate::db::rewrite`]), so the old address is free for
        // the next registration on every server (an update keeps it held on SecantusDB).
        let now = bson::DateTime::from_chrono(time::now());
        let rewritten = crate::db::rewrite(core, super::schema::PARTICIPANTS, f, |old| {
            let mut d = old.clone();
            d.extend(set.clone());
            crate::db::stamp_successor(&mut d, old, core.actor(), now);
            d
        })
        .await;
        match rewritten {
            Ok(Some(d)) => time::from_doc(d).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(e.into()),
        }
    } else {
        coll(core)
            .find_one_and_update(f, stamp(core, doc! { "$set": set }))
            .return_document(ReturnDocument::After)
            .await
            .map_err(Error::from)
    };
    let updated = match res {
        Ok(Some(p)) => p,
        Ok(None) => return Err(stale_or_missing(core, id, expected_version).await),
        Err(e) => {
            // Someone gave that address to another participant between the check and the
            // write: the unique index refused it; name who has it now.
            if e.code == Code::Duplicate {
                if let Some(other) = email_holder(core, &cur.event_id, &norm, id).await? {
                    return Err(duplicate_email(&other));
                }
            }
            return Err(e);
        }
    };
    audit(
        core,
        &updated.event_id,
        Some(id),
        "edited",
        None,
        None,
        &changed.join(", "),
    )
    .await?;
    Ok(updated)
}

/// Turn `p` (as read, version-checked) into a tombstone: no sessions, no waitlists, no
/// seat on the plan, plus `set`/`unset`. With `release`, what `p` held goes back (event
/// seat to the waitlist, session seats to their waitlists). Written by
/// [`crate::db::tombstone`] (a delete and an insert, in one transaction), so the e-mail
/// and the seat are free for the next live participant on every server.
async fn tombstone(
    core: &Core,
    p: &Participant,
    set: Document,
    unset: &[&str],
    release: bool,
) -> Result<()> {
    let now = bson::DateTime::from_chrono(time::now());
    let mut s = doc! { "sessions": [], "session_waitlist": [] };
    s.extend(set);
    let mut u = vec!["seat", "waitlisted_at"];
    u.extend_from_slice(unset);
    let mut f = live();
    f.insert("_id", &p.id);
    f.insert("version", p.version);
    let written = crate::db::tombstone(core, super::schema::PARTICIPANTS, f, s, &u, now).await?;
    if written.is_none() {
        return Err(stale_or_missing(core, &p.id, p.version).await);
    }
    if release {
        if p.status.holds_seat() {
            rsvp::release_seat(core, &p.event_id).await?;
        }
        for s in &p.sessions {
            rsvp::free_session_seat(core, &p.event_id, s).await?;
        }
    }
    Ok(())
}

/// Delete a participant: a tombstone (hidden everywhere, carried by sync). Their event
/// seat goes to the earliest waitlisted, their session seats to each session's waitlist,
/// their place on the seating plan is free. With `expected_version`, a stale delete is
/// refused like a stale edit.
pub async fn delete(core: &Core, id: &str, expected_version: Option<i64>) -> Result<()> {
    let p = get(core, id).await?;
    if let Some(v) = expected_version {
        if v != p.version {
            return Err(rsvp::conflict(&p, v));
        }
    }
    tombstone(core, &p, Document::new(), &[], true).await?;
    audit(
        core,
        &p.event_id,
        Some(id),
        "deleted",
        Some(p.status),
        None,
        "",
    )
    .await?;
    Ok(())
}

/// Erase a person's data at their request, made by the organiser: first exactly what the
/// person's own erasure from the portal does ([`networking::erase`]: profile,
/// connections and requests both ways, meetings, notes, feedback answers, recorded in
/// `erasures` so sync repeats it on every store); then the registration itself, which
/// the portal's erasure keeps, is emptied of everything personal (name, e-mail,
/// company, role, phone, custom fields, personal link, import file name) and deleted
/// like [`delete`] (seats released, the waitlist promoted). The audit trail keeps only
/// that an erasure happened.
pub async fn erase(core: &Core, id: &str) -> Result<Erasure> {
    let p = get(core, id).await?;
    let erased = networking::erase(core, id).await?;
    let p = get(core, id).await.unwrap_or(p);
    let set = doc! {
        "name": "",
        "email": ERASED,
        "email_norm": ERASED,
        "company": "",
        "role": "",
        "phone": "",
        "custom": {},
        "search_terms": [],
        "name_key": "",
    };
    let unset = [
        "invitation.token_hash",
        "invitation.last_error",
        "source.file",
    ];
    tombstone(core, &p, set, &unset, true).await?;
    audit(
        core,
        &p.event_id,
        Some(id),
        "erased",
        Some(p.status),
        None,
        "",
    )
    .await?;
    Ok(erased)
}

/// What a merge moved from the removed participant to the survivor.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct MergeReport {
    pub participant: Participant,
    /// Feedback answers now the survivor's / dropped (the survivor had answered the same
    /// question: their answer stands).
    pub answers_moved: u64,
    pub answers_dropped: u64,
    /// Networking connections now the survivor's / dropped (the survivor already had one
    /// with the same person, or the two records were connected to each other).
    pub connections_moved: u64,
    pub connections_dropped: u64,
    pub meetings_moved: u64,
    pub meetings_dropped: u64,
    /// Whether the survivor took over the other's networking profile (it had none).
    pub profile_moved: bool,
}

fn first_non_empty(a: &str, b: &str) -> String {
    if a.is_empty() { b } else { a }.to_owned()
}

/// Merge `other` into `keep` (the same person entered twice): `keep` survives with its own
/// e-mail and fields, completed by `other`'s where its own are empty (custom fields too);
/// `other` becomes a tombstone. Deterministic rules:
/// - status: `keep`'s, unless only `other` holds an event seat (then its status and seat
///   pass to `keep`, the counter unchanged) or both do and `other` is checked in; when
///   both held a seat, one goes back to the waitlist;
/// - sessions: the union; a session both held frees one seat for its waitlist; waitlist
///   places for sessions now held are dropped;
/// - the seat on the plan: `keep`'s, else `other`'s; the personal link: `keep`'s, else
///   `other`'s (so the link `other` received opens `keep`'s page);
/// - feedback answers, connections, meetings and the networking profile of `other` are
///   re-pointed to `keep`; where `keep` has its own (same question, same person) `keep`'s
///   stands and `other`'s is dropped;
/// - the audit trail: `other`'s entries are filed under `keep` (as every other store does
///   when the sync brings the merge), `keep` lists `other` in `merged_ids`; each side gets
///   a `merged` entry naming the other's id.
pub async fn merge(core: &Core, keep_id: &str, other_id: &str) -> Result<MergeReport> {
    if keep_id == other_id {
        return Err(Error::invalid(
            "other",
            "a participant cannot be merged with itself",
        ));
    }
    let keep = get(core, keep_id).await?;
    let other = get(core, other_id).await?;
    if keep.event_id != other.event_id {
        return Err(Error::invalid(
            "other",
            "only participants of the same event can be merged",
        ));
    }
    let ev = keep.event_id.clone();

    // The survivor's fields.
    let mut input = keep.input.clone();
    input.name = first_non_empty(&keep.input.name, &other.input.name);
    input.company = first_non_empty(&keep.input.company, &other.input.company);
    input.role = first_non_empty(&keep.input.role, &other.input.role);
    input.phone = first_non_empty(&keep.input.phone, &other.input.phone);
    for (k, v) in &other.input.custom {
        input.custom.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let (k_seat, o_seat) = (keep.status.holds_seat(), other.status.holds_seat());
    // The other's seat passes over when the survivor has none, or when the other was
    // already checked in at the door and the survivor was not.
    let take_others_status = o_seat
        && (!k_seat
            || (other.status == RsvpStatus::CheckedIn && keep.status != RsvpStatus::CheckedIn));
    let from_status = keep.status;
    let status_src = if take_others_status { &other } else { &keep };
    let mut sessions = keep.sessions.clone();
    let mut shared_sessions = vec![];
    for s in &other.sessions {
        if sessions.contains(s) {
            shared_sessions.push(s.clone());
        } else {
            sessions.push(s.clone());
        }
    }
    let mut waits: Vec<SessionWait> = vec![];
    for w in keep.session_waitlist.iter().chain(&other.session_waitlist) {
        if sessions.contains(&w.session_id) {
            continue;
        }
        match waits.iter_mut().find(|x| x.session_id == w.session_id) {
            Some(x) if w.at < x.at => x.at = w.at,
            Some(_) => {}
            None => waits.push(w.clone()),
        }
    }
    let seat = keep.seat.clone().or_else(|| other.seat.clone());
    let take_link = keep.invitation.token_hash.is_none() && other.invitation.token_hash.is_some();
    let mut merged_ids = keep.merged_ids.clone();
    merged_ids.push(other.id.clone());
    merged_ids.extend(other.merged_ids.iter().cloned());

    // The other record goes first: its seat on the plan and its link must be free before
    // the survivor takes them (both are unique).
    let o_unset: &[&str] = if take_link {
        &["invitation.token_hash"]
    } else {
        &[]
    };
    tombstone(
        core,
        &other,
        doc! { "merged_into": keep_id },
        o_unset,
        false,
    )
    .await?;

    let (terms, key) = derive(&input, &keep.email_norm);
    let mut set = doc! {
            "name": &input.name,
            "company": &input.company,
            "role": &input.role,
            "phone": &input.phone,
            "custom": to_bson(&input.custom)?,
            "search_terms": terms,
            "name_key": key,
            "status": status_src.status.as_str(),
            "sessions": &sessions,
            "session_waitlist": to_bson(&waits)?,
            "merged_ids": &merged_ids,
    };
    let mut unset = Document::new();
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(bson::DateTime::from_chrono);
    for (field, v) in [
        ("rsvp_at", date(status_src.rsvp_at)),
        ("waitlisted_at", date(status_src.waitlisted_at)),
        ("checked_in_at", date(status_src.checked_in_at)),
    ] {
        match v {
            Some(d) => {
                set.insert(field, d);
            }
            None => {
                unset.insert(field, "");
            }
        }
    }
    match &seat {
        Some(s) => {
            set.insert("seat", to_bson(s)?);
        }
        None => {
            unset.insert("seat", "");
        }
    }
    if take_link {
        set.insert("invitation", to_bson(&other.invitation)?);
    }
    let mut update = doc! { "$set": set };
    if !unset.is_empty() {
        update.insert("$unset", unset);
    }
    let update = stamp(core, update);
    let mut f = live();
    f.insert("_id", keep_id);
    f.insert("version", keep.version);
    let written = coll(core)
        .find_one_and_update(f, update)
        .return_document(ReturnDocument::After)
        .await;
    let survivor = match written {
        Ok(Some(p)) => p,
        failed => {
            // The survivor changed meanwhile (or the write failed): bring the other record
            // back as it was, one version later, so nothing is lost.
            let mut back = time::to_doc(&other)?;
            crate::db::stamp_document(
                &mut back,
                other.version + 2,
                Some(bson::DateTime::from_chrono(time::now()).into()),
                Some(core.actor().into()),
            );
            raw(core)
                .replace_one(doc! { "_id": other_id }, back)
                .await?;
            return Err(match failed {
                Err(e) => e.into(),
                _ => stale_or_missing(core, keep_id, keep.version).await,
            });
        }
    };

    // What both held once is held once now: the spare seats go to the waitlists.
    if k_seat && o_seat {
        rsvp::release_seat(core, &ev).await?;
    }
    for s in &shared_sessions {
        rsvp::free_session_seat(core, &ev, s).await?;
    }

    let mut report = MergeReport {
        participant: survivor,
        answers_moved: 0,
        answers_dropped: 0,
        connections_moved: 0,
        connections_dropped: 0,
        meetings_moved: 0,
        meetings_dropped: 0,
        profile_moved: false,
    };
    repoint_answers(core, keep_id, other_id, &mut report).await?;
    if report.answers_moved + report.answers_dropped > 0 {
        // The dashboard's tallies count respondents and answers: rebuilt for this event
        // from its answers, as a sync does after moving them.
        feedback::counters::rebuild(core, &ev).await?;
    }
    repoint_networking(core, &ev, keep_id, other_id, &input.name, &mut report).await?;
    let note_to = if take_others_status {
        Some(report.participant.status)
    } else {
        None
    };
    audit(
        core,
        &ev,
        Some(other_id),
        "merged",
        Some(other.status),
        None,
        keep_id,
    )
    .await?;
    audit(
        core,
        &ev,
        Some(keep_id),
        "merged",
        note_to.map(|_| from_status),
        note_to,
        other_id,
    )
    .await?;
    // The other record's history, its `merged` entry included, is the survivor's now: the
    // same rewrite every other store makes when the sync brings it the merge
    // (`crate::sync`, the registry's references), so the trail reads the same everywhere.
    super::audit_coll(core)
        .update_many(
            doc! { "participant_id": other_id },
            doc! { "$set": { "participant_id": keep_id } },
        )
        .await?;
    Ok(report)
}

/// `other`'s feedback answers become `keep`'s, except for questions `keep` answered.
async fn repoint_answers(core: &Core, keep: &str, other: &str, r: &mut MergeReport) -> Result<()> {
    let answers = feedback::answers(core);
    let theirs: Vec<feedback::Answer> = answers
        .find(doc! { "respondent": other })
        .await?
        .try_collect()
        .await?;
    let mine: HashSet<String> = answers
        .find(doc! { "respondent": keep })
        .await?
        .try_collect::<Vec<_>>()
        .await?
        .into_iter()
        .map(|a| a.question_id)
        .collect();
    for a in theirs {
        if mine.contains(&a.question_id) {
            answers.delete_one(doc! { "_id": &a.id }).await?;
            r.answers_dropped += 1;
        } else {
            answers
                .update_one(
                    doc! { "_id": &a.id },
                    stamp(
                        core,
                        doc! { "$set": doc! { "respondent": keep, "participant_id": keep } },
                    ),
                )
                .await?;
            r.answers_moved += 1;
        }
    }
    Ok(())
}

/// `other`'s networking profile, connections and meetings become `keep`'s.
async fn repoint_networking(
    core: &Core,
    event_id: &str,
    keep: &str,
    other: &str,
    name: &str,
    r: &mut MergeReport,
) -> Result<()> {
    // Profile: taken over when the survivor has none, else the other's goes.
    let profiles = networking::profiles(core);
    if profiles
        .find_one(doc! { "participant_id": other })
        .await?
        .is_some()
    {
        if profiles
            .find_one(doc! { "participant_id": keep })
            .await?
            .is_none()
        {
            profiles
                .update_one(
                    doc! { "participant_id": other },
                    stamp(
                        core,
                        doc! { "$set": doc! { "participant_id": keep, "name": name,
                        "name_key": crate::text::fold(name) } },
                    ),
                )
                .await?;
            r.profile_moved = true;
        } else {
            profiles
                .delete_one(doc! { "participant_id": other })
                .await?;
        }
    }

    // Connections, kept in the (a < b) order of the pair index, notes following their
    // writer; a connection of `other` with someone `keep` is already connected to, or
    // with `keep` itself, goes (with its meetings moved onto the survivor's connection).
    let conns = networking::connections(core);
    let theirs: Vec<Connection> = conns
        .find(doc! { "$or": [ { "a": other }, { "b": other } ] })
        .await?
        .try_collect()
        .await?;
    let meetings = networking::meetings(core);
    for c in theirs {
        let (counterpart, other_note, their_note) = if c.a == other {
            (c.b.clone(), c.note_a.clone(), c.note_b.clone())
        } else {
            (c.a.clone(), c.note_b.clone(), c.note_a.clone())
        };
        let existing = if counterpart == keep {
            None
        } else {
            networking::connection_between(core, event_id, keep, &counterpart).await?
        };
        if counterpart == keep || existing.is_some() {
            conns.delete_one(doc! { "_id": &c.id }).await?;
            r.connections_dropped += 1;
            match existing {
                Some(e) => {
                    meetings
                        .update_many(
                            doc! { "connection_id": &c.id },
                            stamp(core, doc! { "$set": doc! { "connection_id": &e.id } }),
                        )
                        .await?;
                }
                None => {
                    let n = meetings
                        .delete_many(doc! { "connection_id": &c.id })
                        .await?;
                    r.meetings_dropped += n.deleted_count;
                }
            }
            continue;
        }
        let (a, b, note_a, note_b) = if keep < counterpart.as_str() {
            (keep, counterpart.as_str(), other_note, their_note)
        } else {
            (counterpart.as_str(), keep, their_note, other_note)
        };
        let requested_by = if c.requested_by == other {
            keep
        } else {
            c.requested_by.as_str()
        };
        conns
            .update_one(
                doc! { "_id": &c.id },
                stamp(
                    core,
                    doc! { "$set": doc! { "a": a, "b": b, "note_a": note_a, "note_b": note_b,
                    "requested_by": requested_by } },
                ),
            )
            .await?;
        r.connections_moved += 1;
    }
    for (field, other_side) in [("proposer", "invitee"), ("invitee", "proposer")] {
        let same = meetings
            .delete_many(doc! { field: other, other_side: keep })
            .await?;
        r.meetings_dropped += same.deleted_count;
        let n = meetings
            .update_many(
                doc! { field: other },
                stamp(core, doc! { "$set": doc! { field: keep } }),
            )
            .await?;
        r.meetings_moved += n.modified_count;
    }
    Ok(())
}
