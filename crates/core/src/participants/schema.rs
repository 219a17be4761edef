//! Validators and indexes of `participants`, `participant_audit` and `seat_counters`.

use bson::{doc, Document};
use mongodb::IndexModel;

use crate::db::{index, index_with, CollectionSpec};

pub const PARTICIPANTS: &str = "participants";
pub const AUDIT: &str = "participant_audit";
pub const COUNTERS: &str = "seat_counters";

const STATUSES: [&str; 7] = [
    "invited",
    "accepted",
    "declined",
    "tentative",
    "waitlisted",
    "checked_in",
    "cancelled",
];

pub fn validator() -> Document {
    let date = doc! { "bsonType": "date" };
    let opt_date = doc! { "bsonType": ["date", "null"] };
    doc! {
        "$jsonSchema": {
            "bsonType": "object",
            "required": ["_id", "event_id", "email", "email_norm", "status", "version",
                         "created_at", "updated_at"],
            "properties": {
                "_id": { "bsonType": "string", "minLength": 1 },
                "event_id": { "bsonType": "string", "minLength": 1 },
                "name": { "bsonType": "string", "maxLength": 200 },
                "email": { "bsonType": "string", "minLength": 3, "maxLength": 254 },
                "email_norm": { "bsonType": "string", "minLength": 3, "maxLength": 254 },
                "company": { "bsonType": "string" },
                "role": { "bsonType": "string" },
                "phone": { "bsonType": "string" },
                "custom": { "bsonType": "object" },
                "status": { "enum": STATUSES.to_vec() },
                "rsvp_at": opt_date.clone(),
                "waitlisted_at": opt_date.clone(),
                "checked_in_at": opt_date.clone(),
                "invitation": {
                    "bsonType": "object",
                    "required": ["status"],
                    "properties": {
                        "status": { "enum": ["none", "queued", "sending", "sent", "failed", "opened"] },
                        "token_hash": { "bsonType": ["string", "null"] },
                        "expires_at": opt_date.clone(),
                        "attempts": { "bsonType": ["int", "long"], "minimum": 0 },
                    },
                },
                "search_terms": { "bsonType": "array", "items": { "bsonType": "string" } },
                "seat": {
                    "bsonType": "object",
                    "required": ["plan_id", "label"],
                    "properties": {
                        "plan_id": { "bsonType": "string", "minLength": 1 },
                        "label": { "bsonType": "string", "minLength": 1 },
                    },
                },
                "merged_ids": { "bsonType": "array", "items": { "bsonType": "string" } },
                "version": { "bsonType": ["int", "long"], "minimum": 1 },
                "created_at": date.clone(),
                "updated_at": date.clone(),
                "updated_by": { "bsonType": "string" },
                "deleted_at": opt_date,
            },
        }
    }
}

/// Live documents only: tombstones (a date in `deleted_at`) leave the unique index, so a
/// deleted participant can be invited again.
fn live_partial() -> Document {
    doc! { "deleted_at": { "$type": "null" } }
}

pub fn indexes() -> Vec<IndexModel> {
    vec![
        // One person once per event, enforced by the server whatever the writer.
        index_with(
            doc! { "event_id": 1, "email_norm": 1 },
            EVENT_EMAIL_UNIQUE,
            |mut o| {
                o.unique = Some(true);
                o.partial_filter_expression = Some(live_partial());
                o
            },
        ),
        // One person per seat of a plan, whoever writes: of two organisers giving the same
        // seat at once, the server lets exactly one write through. Live, seated only.
        index_with(
            doc! { "event_id": 1, "seat.plan_id": 1, "seat.label": 1 },
            "event_seat_unique",
            |mut o| {
                o.unique = Some(true);
                o.partial_filter_expression = Some(doc! {
                    "deleted_at": { "$type": "null" },
                    "seat.label": { "$type": "string" },
                });
                o
            },
        ),
        // The list: by event, sorted by name; with the status filter (equality first).
        index(doc! { "event_id": 1, "name_key": 1 }, "event_name"),
        index(
            doc! { "event_id": 1, "status": 1, "name_key": 1 },
            "event_status_name",
        ),
        // Waitlist promotion: earliest waitlisted of an event.
        index(
            doc! { "event_id": 1, "status": 1, "waitlisted_at": 1 },
            "event_status_waitlisted_at",
        ),
        // Word search (anchored prefix regex on folded words, multikey).
        index(
            doc! { "event_id": 1, "search_terms": 1 },
            "event_search_terms",
        ),
        // Session waitlists: "does anyone wait for this session?" on every join, and the
        // promotion's `$match` (multikey on the array of places).
        index(
            doc! { "event_id": 1, "session_waitlist.session_id": 1 },
            "event_session_waitlist",
        ),
        // Sync's change detection, "recently changed".
        index(doc! { "event_id": 1, "updated_at": 1 }, "event_updated_at"),
    ]
}

pub fn audit_indexes() -> Vec<IndexModel> {
    vec![
        index(doc! { "participant_id": 1, "at": -1 }, "participant_at"),
        index(doc! { "event_id": 1, "at": -1 }, "event_at"),
    ]
}

/// One person once per event among live participants (unique, partial on live).
pub const EVENT_EMAIL_UNIQUE: &str = "event_email_unique";

/// The participants feature's collections, registered in `schema::collections()`.
pub fn collections() -> Vec<CollectionSpec> {
    vec![
        CollectionSpec {
            name: PARTICIPANTS,
            validator: Some(validator()),
            indexes: indexes(),
        },
        CollectionSpec {
            name: AUDIT,
            validator: None,
            indexes: audit_indexes(),
        },
        CollectionSpec {
            name: COUNTERS,
            validator: None,
            indexes: vec![],
        },
    ]
}

/// How the participants' collections sync. A participant is one person once per event
/// (`event_id` + normalised e-mail): two laptops importing the same person merge them.
pub fn sync_specs() -> Vec<crate::db::SyncSpec> {
    use crate::db::{Policy, Reference, SyncSpec};
    vec![
        SyncSpec {
            natural_key: &["event_id", "email_norm"],
            derive: Some(rederive),
            // Where each copy came from, and its own invitation link, stay its own.
            merge_skip: &["source", "invitation"],
            defaults: &[("status", "invited")],
            // Seats are counted per store: recounted where participants came or went.
            derived: Some(crate::db::Derived {
                name: COUNTERS,
                rebuild: |core, event_id| {
                    Box::pin(async move { super::rsvp::recount(core, event_id).await.map(|_| ()) })
                },
            }),
            // One person per seat (`event_seat_unique`): two laptops seating two people on
            // one seat offline settle on the earlier one, the other is unseated.
            exclusive: Some(crate::db::Exclusive {
                key: &["event_id", "seat.plan_id", "seat.label"],
                release: "seat",
            }),
            ..SyncSpec::new(PARTICIPANTS, Policy::Versioned)
        },
        SyncSpec {
            references: &[Reference {
                target: PARTICIPANTS,
                fields: &["participant_id"],
                fixup: None,
            }],
            ..SyncSpec::new(AUDIT, Policy::AppendOnly)
        },
        SyncSpec::new(COUNTERS, Policy::LocalOnly),
    ]
}

/// Recompute the derived search keys of a merged participant from its merged fields.
fn rederive(d: &mut Document) {
    if let Ok(p) = crate::time::from_doc::<super::Participant>(d.clone()) {
        let (terms, name_key) = super::derive(&p.input, &p.email_norm);
        d.insert("search_terms", terms);
        d.insert("name_key", name_key);
    }
}
