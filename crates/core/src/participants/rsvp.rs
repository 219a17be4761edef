//! RSVP statuses, capacity and the waitlist.
//!
//! Seats are counted in one small document per event in `seat_counters`
//! (`{_id: event_id, capacity, taken}`). Taking a seat is ONE conditional
//! `findOneAndUpdate`: `{_id, $expr: taken < capacity}` → `$inc: {taken: 1}`. The server
//! applies it atomically to the single counter document, so of two concurrent
//! acceptances for the last seat exactly one matches; the other sees no document and goes
//! to the waitlist. A cancellation hands its seat straight to the earliest waitlisted
//! participant (an atomic `findOneAndUpdate` on the participant, sorted by
//! `waitlisted_at`), so the counter does not change and nobody can slip in between.
//! See `docs/schema.md`, "participants", for why this rather than a transaction.

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use mongodb::{options::ReturnDocument, Collection};

use super::{audit, coll, get, live, model::*, schema::COUNTERS};
use crate::{error::Code, time, Core, Error, Result};

fn counters(core: &Core) -> Collection<Document> {
    core.db().collection(COUNTERS)
}

/// Seats taken (accepted + checked-in), as counted.
pub async fn taken(core: &Core, event_id: &str) -> Result<i64> {
    let c = counters(core).find_one(doc! { "_id": event_id }).await?;
    Ok(c.map_or(0, |d| int(d.get("taken"))))
}

fn int(b: Option<&Bson>) -> i64 {
    match b {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(n)) => *n as i64,
        _ => 0,
    }
}

/// Make sure the event's counter exists and carries the event's current capacity.
async fn ensure_counter(core: &Core, event_id: &str) -> Result<Option<i64>> {
    let ev = super::require_event(core, event_id).await?;
    let cap = ev.input.capacity.map(i64::from);
    let cap_bson = cap.map_or(Bson::Null, Bson::Int64);
    let update = doc! {
        "$set": { "capacity": cap_bson, "event_id": event_id },
        "$setOnInsert": { "taken": 0_i64 },
    };
    for attempt in 0..3 {
        match counters(core)
            .update_one(doc! { "_id": event_id }, update.clone())
            .upsert(true)
            .await
        {
            Ok(_) => return Ok(cap),
            // Two first-ever upserts raced: the other created it; set the capacity again.
            Err(e) if Error::from(e.clone()).code == Code::Duplicate && attempt < 2 => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(cap)
}

/// Take one seat if one is free (or unconditionally with `force`, for a check-in at the
/// door). Returns whether a seat was taken.
async fn take_seat(core: &Core, event_id: &str, force: bool) -> Result<bool> {
    let mut filter = doc! { "_id": event_id };
    if !force {
        filter.insert(
            "$expr",
            doc! { "$or": [
                { "$eq": [{ "$ifNull": ["$capacity", Bson::Null] }, Bson::Null] },
                { "$lt": ["$taken", "$capacity"] },
            ] },
        );
    }
    let got = counters(core)
        .find_one_and_update(filter, doc! { "$inc": { "taken": 1_i64 } })
        .await?;
    Ok(got.is_some())
}

/// Give a seat back, or rather hand it to the earliest waitlisted participant. Returns the
/// participant promoted, if any.
pub(crate) async fn release_seat(core: &Core, event_id: &str) -> Result<Option<Participant>> {
    let c = counters(core).find_one(doc! { "_id": event_id }).await?;
    let (cap, taken) = match &c {
        Some(d) => (
            d.get("capacity")
                .filter(|b| !matches!(b, Bson::Null))
                .map(|b| int(Some(b))),
            int(d.get("taken")),
        ),
        None => (None, 0),
    };
    // Over capacity (the organiser lowered it, or a forced check-in): just free the seat.
    let over = cap.is_some_and(|c| taken > c);
    if !over {
        if let Some(p) = promote_one(core, event_id).await? {
            return Ok(Some(p));
        }
    }
    counters(core)
        .update_one(
            doc! { "_id": event_id },
            doc! { "$inc": { "taken": -1_i64 } },
        )
        .await?;
    Ok(None)
}

/// Move the earliest waitlisted participant to `accepted` (the caller owns the seat).
async fn promote_one(core: &Core, event_id: &str) -> Result<Option<Participant>> {
    let mut f = live();
    f.insert("event_id", event_id);
    f.insert("status", RsvpStatus::Waitlisted.as_str());
    let now = bson::DateTime::from_chrono(time::now());
    let p = coll(core)
        .find_one_and_update(
            f,
            crate::db::stamp(
                core,
                doc! {
                    "$set": { "status": RsvpStatus::Accepted.as_str() },
                    "$unset": { "waitlisted_at": "" },
                },
                now,
            ),
        )
        .sort(doc! { "waitlisted_at": 1, "_id": 1 })
        .return_document(ReturnDocument::After)
        .await?;
    if let Some(p) = &p {
        audit(
            core,
            event_id,
            Some(&p.id),
            "promoted",
            Some(RsvpStatus::Waitlisted),
            Some(RsvpStatus::Accepted),
            "a seat was freed",
        )
        .await?;
    }
    Ok(p)
}

/// Undo a [`take_seat`] whose seat nobody got.
async fn give_back_seat(core: &Core, event_id: &str) -> Result<()> {
    counters(core)
        .update_one(
            doc! { "_id": event_id },
            doc! { "$inc": { "taken": -1_i64 } },
        )
        .await?;
    Ok(())
}

/// Give every free seat to the waitlist, earliest first (after the capacity was raised,
/// say). Returns how many were promoted.
pub async fn fill_waitlist(core: &Core, event_id: &str) -> Result<u64> {
    ensure_counter(core, event_id).await?;
    let mut n = 0;
    loop {
        if !take_seat(core, event_id, false).await? {
            return Ok(n);
        }
        if promote_one(core, event_id).await?.is_none() {
            give_back_seat(core, event_id).await?;
            return Ok(n);
        }
        n += 1;
    }
}

/// Is anyone on the event's waitlist since before `at`?
async fn waiting_before(core: &Core, event_id: &str, at: bson::DateTime) -> Result<bool> {
    let mut f = live();
    f.insert("event_id", event_id);
    f.insert("status", RsvpStatus::Waitlisted.as_str());
    f.insert("waitlisted_at", doc! { "$lt": at });
    Ok(super::raw(core).count_documents(f).limit(1).await? > 0)
}

/// Recount seats from the participants: the event's counter and each session counter it
/// has (repair after a crash between the two writes of a status change, and after a sync
/// brought participants from another store — counters are per store, never synced).
pub async fn recount(core: &Core, event_id: &str) -> Result<i64> {
    ensure_counter(core, event_id).await?;
    let mut f = live();
    f.insert("event_id", event_id);
    f.insert("status", doc! { "$in": ["accepted", "checked_in"] });
    let n = super::raw(core).count_documents(f.clone()).await? as i64;
    counters(core)
        .update_one(doc! { "_id": event_id }, doc! { "$set": { "taken": n } })
        .await?;
    let sessions: Vec<Bson> = counters(core)
        .distinct(
            "session_id",
            doc! { "event_id": event_id, "session_id": { "$type": "string" } },
        )
        .await?;
    for sid in sessions.iter().filter_map(|b| b.as_str()) {
        let mut fs = f.clone();
        fs.insert("sessions", sid);
        let taken = super::raw(core).count_documents(fs).await? as i64;
        counters(core)
            .update_one(
                doc! { "_id": session_key(event_id, sid) },
                doc! { "$set": { "taken": taken } },
            )
            .await?;
    }
    Ok(n)
}

/// Change a participant's status, honouring capacity: accepting when the event is full
/// puts the person on the waitlist (the returned participant says which); leaving a seat
/// promotes the earliest waitlisted. With `expected_version`, a stale change is refused.
pub async fn set_status(
    core: &Core,
    id: &str,
    expected_version: Option<i64>,
    to: RsvpStatus,
) -> Result<Participant> {
    let p = get(core, id).await?;
    if let Some(v) = expected_version {
        if v != p.version {
            return Err(conflict(&p, v));
        }
    }
    let from = p.status;
    if from == to {
        return Ok(p);
    }
    let needs_seat = to.holds_seat() && !from.holds_seat();
    let frees_seat = from.holds_seat() && !to.holds_seat();
    let mut actual = to;
    let mut took = false;
    let mut note = "";
    if needs_seat {
        ensure_counter(core, &p.event_id).await?;
        if to == RsvpStatus::CheckedIn {
            // At the door: the person is here, count them even over capacity.
            took = take_seat(core, &p.event_id, true).await?;
        } else if from == RsvpStatus::Waitlisted {
            // The organiser accepts someone off the waitlist: their choice, if a seat is free.
            took = take_seat(core, &p.event_id, false).await?;
        } else {
            // People already waiting go first: a free seat (a raised capacity) is theirs,
            // and a newcomer queues behind them. With no free seat nobody can be promoted,
            // so the waitlist is only looked at once a seat was taken: during a
            // registration rush on a full event (thousands waiting) a newcomer costs one
            // conditional write, not a count of the waitlist.
            // "Already waiting" means put on the waitlist before this call began: someone
            // refused a seat while this call held the last one came after it.
            let arrived = bson::DateTime::from_chrono(time::now());
            took = take_seat(core, &p.event_id, false).await?;
            if took && waiting_before(core, &p.event_id, arrived).await? {
                give_back_seat(core, &p.event_id).await?;
                fill_waitlist(core, &p.event_id).await?;
                took = !waiting_before(core, &p.event_id, arrived).await?
                    && take_seat(core, &p.event_id, false).await?;
            }
        }
        if !took {
            actual = RsvpStatus::Waitlisted;
            note = "event full: put on the waitlist";
        }
        if actual == from {
            return Ok(p); // already waitlisted, still full
        }
    }
    let now = time::now();
    let now_b = bson::DateTime::from_chrono(now);
    let mut set = doc! { "status": actual.as_str() };
    let mut unset = Document::new();
    if matches!(
        to,
        RsvpStatus::Accepted | RsvpStatus::Declined | RsvpStatus::Tentative | RsvpStatus::Cancelled
    ) {
        set.insert("rsvp_at", now_b);
    }
    if actual == RsvpStatus::Waitlisted {
        set.insert("waitlisted_at", now_b);
    } else {
        unset.insert("waitlisted_at", "");
    }
    if actual == RsvpStatus::CheckedIn {
        set.insert("checked_in_at", now_b);
    } else if from == RsvpStatus::CheckedIn {
        unset.insert("checked_in_at", "");
    }
    // The organiser cancelling or declining someone closes their personal link; any other
    // organiser decision (reinstating them) opens it again.
    if crate::invitations::rules::revokes_link(core.actor(), to) {
        set.insert("invitation.revoked_at", now_b);
    } else if !crate::invitations::rules::is_visitor(core.actor()) {
        unset.insert("invitation.revoked_at", "");
    }
    if frees_seat {
        // No longer coming: their place on the seating plan is free for someone else.
        unset.insert("seat", "");
    }
    let mut update = doc! { "$set": set };
    if !unset.is_empty() {
        update.insert("$unset", unset);
    }
    let update = crate::db::stamp(core, update, now_b);
    let mut filter = live();
    filter.insert("_id", id);
    filter.insert("version", p.version);
    let updated = coll(core)
        .find_one_and_update(filter, update)
        .return_document(ReturnDocument::After)
        .await?;
    let Some(updated) = updated else {
        // Someone changed this participant between our read and our write.
        if took {
            release_seat(core, &p.event_id).await?;
        }
        return Err(match get(core, id).await {
            Ok(cur) => conflict(&cur, p.version),
            Err(e) => e,
        });
    };
    let action = if actual == RsvpStatus::CheckedIn {
        "check_in"
    } else {
        "status"
    };
    audit(
        core,
        &p.event_id,
        Some(id),
        action,
        Some(from),
        Some(actual),
        note,
    )
    .await?;
    if frees_seat {
        release_seat(core, &p.event_id).await?;
        if !updated.session_waitlist.is_empty() {
            // A change like any other: a new version, so sync sees it.
            coll(core)
                .update_one(
                    doc! { "_id": id },
                    crate::db::stamp(
                        core,
                        doc! { "$set": { "session_waitlist": [] } },
                        time::now(),
                    ),
                )
                .await?;
        }
        for s in &updated.sessions {
            leave_session(core, id, s).await?;
        }
        if !updated.sessions.is_empty() {
            return get(core, id).await;
        }
    }
    Ok(updated)
}

/// Check a participant in (at the door, found by search or, later, by QR code).
pub async fn check_in(core: &Core, id: &str) -> Result<Participant> {
    set_status(core, id, None, RsvpStatus::CheckedIn).await
}

/// The text of a participant's badge QR code (scanned at the door).
pub fn badge_code(p: &Participant) -> String {
    format!("EVENTHUB:{}:{}", p.event_id, p.id)
}

/// Check in whoever a scanned badge names. The code must belong to `event_id`: a badge of
/// another event is refused with a clear message rather than checking someone in twice
/// over.
pub async fn check_in_by_code(core: &Core, event_id: &str, code: &str) -> Result<Participant> {
    let code = code.trim();
    let parts: Vec<&str> = code.splitn(3, ':').collect();
    let (ev, id) = match parts.as_slice() {
        ["EVENTHUB", ev, id] => (*ev, *id),
        _ => {
            return Err(Error::invalid(
                "code",
                format!("'{code}' is not an EventHub badge code"),
            ))
        }
    };
    if ev != event_id {
        return Err(Error::invalid("code", "this badge is for another event"));
    }
    let p = get(core, id).await?;
    if p.event_id != event_id {
        return Err(Error::invalid("code", "this badge is for another event"));
    }
    if p.status == RsvpStatus::CheckedIn {
        return Err(Error::new(
            crate::error::Code::Conflict,
            format!(
                "{} is already checked in",
                if p.input.name.is_empty() {
                    &p.input.email
                } else {
                    &p.input.name
                }
            ),
        ));
    }
    check_in(core, id).await
}

pub(crate) fn conflict(current: &Participant, expected: i64) -> Error {
    Error::new(
        Code::Conflict,
        format!(
            "{} was changed by {} (version {}) after you read it (version {}): reload the list",
            current.input.email,
            if current.updated_by.is_empty() {
                "someone else"
            } else {
                &current.updated_by
            },
            current.version,
            expected
        ),
    )
}

fn session_key(event_id: &str, session_id: &str) -> String {
    format!("{event_id}/{session_id}")
}

/// Give a participant who holds an event seat a seat in one session, if the session has
/// one free (`Validation` on `session` when full). Same conditional counter as the event.
pub async fn join_session(core: &Core, id: &str, session_id: &str) -> Result<Participant> {
    let p = get(core, id).await?;
    if p.sessions.iter().any(|s| s == session_id) {
        return Ok(p);
    }
    if !p.status.holds_seat() {
        return Err(Error::invalid(
            "status",
            format!("{} has not accepted the invitation", p.input.email),
        ));
    }
    let ev = super::require_event(core, &p.event_id).await?;
    let session = ev
        .input
        .sessions
        .iter()
        .find(|s| s.id == session_id)
        .ok_or_else(|| Error::not_found(format!("session {session_id}")))?;
    let key = session_key(&p.event_id, session_id);
    let cap = session
        .capacity
        .map_or(Bson::Null, |c| Bson::Int64(i64::from(c)));
    let upsert = counters(core)
        .update_one(
            doc! { "_id": &key },
            doc! { "$set": { "capacity": cap, "event_id": &p.event_id, "session_id": session_id },
            "$setOnInsert": { "taken": 0_i64 } },
        )
        .upsert(true)
        .await;
    if let Err(e) = upsert {
        let e = Error::from(e);
        if e.code != Code::Duplicate {
            return Err(e);
        }
    }
    // Fair: while people wait for this session, a newcomer queues behind them.
    let waiting = coll(core)
        .count_documents(
            doc! { "event_id": &p.event_id, "session_waitlist.session_id": session_id },
        )
        .limit(1)
        .await?
        > 0;
    if waiting || !take_seat(core, &key, false).await? {
        return wait_for_session(core, &p, session_id, &session.title).await;
    }
    let mut f = live();
    f.insert("_id", id);
    f.insert("sessions", doc! { "$ne": session_id });
    let now = bson::DateTime::from_chrono(time::now());
    let updated = coll(core)
        .find_one_and_update(
            f,
            crate::db::stamp(core, doc! { "$push": { "sessions": session_id } }, now),
        )
        .return_document(ReturnDocument::After)
        .await?;
    let Some(updated) = updated else {
        counters(core)
            .update_one(doc! { "_id": &key }, doc! { "$inc": { "taken": -1_i64 } })
            .await?;
        return get(core, id).await;
    };
    audit(
        core,
        &p.event_id,
        Some(id),
        "session_join",
        None,
        None,
        &session.title,
    )
    .await?;
    Ok(updated)
}

/// Put a participant on a full session's waitlist (once), in the order they asked.
async fn wait_for_session(
    core: &Core,
    p: &Participant,
    session_id: &str,
    title: &str,
) -> Result<Participant> {
    let mut f = live();
    f.insert("_id", &p.id);
    f.insert("session_waitlist.session_id", doc! { "$ne": session_id });
    f.insert("sessions", doc! { "$ne": session_id });
    let now = bson::DateTime::from_chrono(time::now());
    let updated = coll(core)
        .find_one_and_update(
            f,
            crate::db::stamp(
                core,
                doc! { "$push": { "session_waitlist": { "session_id": session_id, "at": now } } },
                now,
            ),
        )
        .return_document(ReturnDocument::After)
        .await?;
    match updated {
        Some(u) => {
            audit(
                core,
                &p.event_id,
                Some(&p.id),
                "session_waitlist",
                None,
                None,
                title,
            )
            .await?;
            Ok(u)
        }
        None => get(core, &p.id).await,
    }
}

/// Give a freed seat of a session to its earliest waiting participant who still holds an
/// event seat: one conditional update claims them (two concurrent leavers promote two
/// different people). False when nobody waits.
async fn promote_session(core: &Core, event_id: &str, session_id: &str) -> Result<bool> {
    loop {
        let next: Vec<Document> = coll(core)
            .clone_with_type::<Document>()
            .aggregate(vec![
                doc! { "$match": { "event_id": event_id, "session_waitlist.session_id": session_id, "deleted_at": Bson::Null } },
                doc! { "$unwind": "$session_waitlist" },
                doc! { "$match": { "session_waitlist.session_id": session_id } },
                doc! { "$sort": { "session_waitlist.at": 1, "_id": 1 } },
                doc! { "$limit": 1 },
                doc! { "$project": { "_id": 1, "status": 1 } },
            ])
            .await?
            .try_collect()
            .await?;
        let Some(cand) = next.first() else {
            return Ok(false);
        };
        let id = cand.get_str("_id").unwrap_or_default().to_owned();
        let holds = matches!(cand.get_str("status"), Ok("accepted" | "checked_in"));
        let now = bson::DateTime::from_chrono(time::now());
        let mut f = live();
        f.insert("_id", &id);
        f.insert("session_waitlist.session_id", session_id);
        let mut update = doc! {
            "$pull": { "session_waitlist": { "session_id": session_id } },
        };
        if holds {
            update.insert("$addToSet", doc! { "sessions": session_id });
        }
        let update = crate::db::stamp(core, update, now);
        let claimed = coll(core)
            .find_one_and_update(f, update)
            .return_document(ReturnDocument::After)
            .await?;
        if let Some(u) = claimed {
            if holds {
                audit(
                    core,
                    event_id,
                    Some(&u.id),
                    "session_join",
                    None,
                    None,
                    session_id,
                )
                .await?;
                return Ok(true);
            }
        }
        // Someone else claimed them, or they no longer hold an event seat: next one.
    }
}

/// A session seat was given up: hand it to the earliest waiting participant, or give it
/// back to the session's counter.
pub(crate) async fn free_session_seat(core: &Core, event_id: &str, session_id: &str) -> Result<()> {
    if !promote_session(core, event_id, session_id).await? {
        counters(core)
            .update_one(
                doc! { "_id": session_key(event_id, session_id) },
                doc! { "$inc": { "taken": -1_i64 } },
            )
            .await?;
    }
    Ok(())
}

/// Give a session seat back (or leave its waitlist).
pub async fn leave_session(core: &Core, id: &str, session_id: &str) -> Result<Participant> {
    let mut w = live();
    w.insert("_id", id);
    w.insert("session_waitlist.session_id", session_id);
    let now = bson::DateTime::from_chrono(time::now());
    if let Some(p) = coll(core)
        .find_one_and_update(
            w,
            crate::db::stamp(
                core,
                doc! { "$pull": { "session_waitlist": { "session_id": session_id } } },
                now,
            ),
        )
        .return_document(ReturnDocument::After)
        .await?
    {
        return Ok(p);
    }
    let mut f = live();
    f.insert("_id", id);
    f.insert("sessions", session_id);
    let now = bson::DateTime::from_chrono(time::now());
    let updated = coll(core)
        .find_one_and_update(
            f,
            crate::db::stamp(core, doc! { "$pull": { "sessions": session_id } }, now),
        )
        .return_document(ReturnDocument::After)
        .await?;
    match updated {
        Some(p) => {
            free_session_seat(core, &p.event_id, session_id).await?;
            audit(
                core,
                &p.event_id,
                Some(id),
                "session_leave",
                None,
                None,
                session_id,
            )
            .await?;
            Ok(p)
        }
        None => get(core, id).await,
    }
}
