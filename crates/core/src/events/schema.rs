//! The `events` collection's `$jsonSchema` validator and indexes.
//!
//! The application validates first (with messages naming the field); the validator is the
//! backstop that keeps any other writer (a script, a future front end) from storing a
//! document the app could not read.

use bson::{doc, Document};
use mongodb::IndexModel;

use crate::{
    db::{index, index_with},
    Capabilities,
};

/// Indexes of earlier versions, dropped at start-up where they still exist.
pub const RETIRED_INDEXES: [&str; 7] = [
    "starts_at_ends_at",
    "status_starts_at",
    "tags_starts_at",
    "title_key",
    "updated_at",
    // Word search now reads the prefix keys (`search_*`), the same on every server.
    "search_terms",
    "events_text",
];

pub fn validator() -> Document {
    let date = doc! { "bsonType": "date" };
    doc! {
        "$jsonSchema": {
            "bsonType": "object",
            "required": ["_id", "title", "starts_at", "ends_at", "timezone", "status",
                         "version", "created_at", "updated_at"],
            "properties": {
                "_id": { "bsonType": "string", "minLength": 1 },
                "title": { "bsonType": "string", "minLength": 1, "maxLength": 200 },
                "description": { "bsonType": "string" },
                "starts_at": date.clone(),
                "ends_at": date.clone(),
                "timezone": { "bsonType": "string", "minLength": 1 },
                "status": { "enum": ["draft", "published", "cancelled", "archived"] },
                "tags": { "bsonType": "array", "items": { "bsonType": "string" } },
                "capacity": { "bsonType": ["int", "long"], "minimum": 1 },
                "venue": {
                    "bsonType": "object",
                    "properties": {
                        "name": { "bsonType": "string" },
                        "address": { "bsonType": "string" },
                        "location": {
                            "bsonType": "object",
                            "required": ["type", "coordinates"],
                            "properties": {
                                "type": { "enum": ["Point"] },
                                "coordinates": { "bsonType": "array", "minItems": 2, "maxItems": 2 },
                            },
                        },
                    },
                },
                "speakers": {
                    "bsonType": "array",
                    "items": {
                        "bsonType": "object",
                        "required": ["id", "name"],
                        "properties": { "id": { "bsonType": "string" }, "name": { "bsonType": "string" } },
                    },
                },
                "sessions": {
                    "bsonType": "array",
                    "items": {
                        "bsonType": "object",
                        "required": ["id", "title", "starts_at", "ends_at"],
                        "properties": {
                            "id": { "bsonType": "string" },
                            "title": { "bsonType": "string" },
                            "starts_at": date.clone(),
                            "ends_at": date.clone(),
                        },
                    },
                },
                "seating": {
                    "bsonType": "array",
                    "items": {
                        "bsonType": "object",
                        "required": ["id", "room", "layout"],
                        "properties": {
                            "layout": {
                                "bsonType": "object",
                                "required": ["kind"],
                                "properties": { "kind": { "enum": ["grid", "tables"] } },
                            },
                        },
                    },
                },
                "custom": { "bsonType": "object" },
                "version": { "bsonType": ["int", "long"], "minimum": 1 },
                "created_at": date.clone(),
                "updated_at": date.clone(),
                "updated_by": { "bsonType": "string" },
                "deleted_at": { "bsonType": ["date", "null"] },
                "search_terms": { "bsonType": "array", "items": { "bsonType": "string" } },
                "search_keys": { "bsonType": "array", "items": { "bsonType": "string" } },
            },
        }
    }
}

/// Every index of `events`, each named for what it serves.
pub fn indexes(_caps: &Capabilities) -> Vec<IndexModel> {
    vec![
        // Every list sort ends with `_id` (a stable order for pagination), so the sort
        // indexes end with it too: the server then sorts nothing in memory.
        // The default list order and the date-range filter.
        index(doc! { "starts_at": 1, "_id": 1 }, "starts_at_id"),
        // Status filter with the default sort (equality, then sort keys).
        index(
            doc! { "status": 1, "starts_at": 1, "_id": 1 },
            "status_starts_at_id",
        ),
        // Tag filter (multikey), sorted by date.
        index(
            doc! { "tags": 1, "starts_at": 1, "_id": 1 },
            "tags_starts_at_id",
        ),
        // Word search: equality on one folded word prefix (multikey), then the list's
        // sort keys, so a search reads in page order and stops at the page.
        index(
            doc! { "search_keys": 1, "starts_at": 1, "_id": 1 },
            "search_starts_at_id",
        ),
        index(
            doc! { "search_keys": 1, "title_key": 1, "_id": 1 },
            "search_title_key_id",
        ),
        index(
            doc! { "search_keys": 1, "updated_at": 1, "_id": 1 },
            "search_updated_at_id",
        ),
        // Venue filter (folded name prefix).
        index(doc! { "venue_key": 1 }, "venue_key"),
        // Title sort.
        index(doc! { "title_key": 1, "_id": 1 }, "title_key_id"),
        // "Recently edited" (read backwards) and sync's change detection.
        index(doc! { "updated_at": 1, "_id": 1 }, "updated_at_id"),
        // Events near a place. 2dsphere v3 indexes skip documents without a location;
        // the version is spelled out so re-creating the index at every start is a no-op.
        index_with(
            doc! { "venue.location": "2dsphere" },
            "venue_location_2dsphere",
            |mut o| {
                o.sphere_2d_index_version = Some(mongodb::options::Sphere2DIndexVersion::V3);
                o
            },
        ),
    ]
}

/// How events sync: versioned, their search keys recomputed after a merge.
pub fn sync_specs() -> Vec<crate::db::SyncSpec> {
    use crate::db::{Policy, SyncSpec};
    vec![SyncSpec {
        derive: Some(rederive),
        ..SyncSpec::new(crate::db::EVENTS, Policy::Versioned)
    }]
}

/// Recompute the derived search keys of a merged event from its merged fields.
fn rederive(d: &mut Document) {
    if let Ok(e) = crate::time::from_doc::<super::Event>(d.clone()) {
        let (terms, venue_key, title_key) = super::derive(&e.input);
        d.insert("search_terms", terms);
        d.insert("venue_key", venue_key);
        d.insert("title_key", title_key);
    }
}
