//! Invitations: personal links carrying an unguessable token (256 bits, only its SHA-256
//! stored), one shareable link per event, and e-mail campaigns — queued, throttled,
//! retried with backoff, and safe across crashes (never sent twice automatically).

pub mod links;
pub mod registration;
pub mod rules;
pub mod send;
pub mod settings;

pub use links::*;
pub use send::*;

use bson::doc;

use crate::db::{index, index_with, CollectionSpec};

/// The invitation indexes: personal tokens are looked up by hash (unique where present),
/// and the event links collection.
pub fn collections() -> Vec<CollectionSpec> {
    vec![
        CollectionSpec {
            name: crate::participants::schema::PARTICIPANTS,
            validator: None,
            indexes: vec![
                index_with(
                    doc! { "invitation.token_hash": 1 },
                    "invitation_token_hash",
                    |mut o| {
                        o.unique = Some(true);
                        o.partial_filter_expression =
                            Some(doc! { "invitation.token_hash": { "$exists": true } });
                        o
                    },
                ),
                // The sender's queue: due invitations of an event, oldest first.
                index(
                    doc! { "event_id": 1, "invitation.status": 1, "created_at": 1 },
                    "invitation_queue",
                ),
            ],
        },
        CollectionSpec {
            name: links::EVENT_LINKS,
            validator: None,
            indexes: vec![index(doc! { "event_id": 1 }, "event_id")],
        },
        CollectionSpec {
            name: settings::PORTAL_SETTINGS,
            validator: None,
            indexes: vec![],
        },
        CollectionSpec {
            name: registration::PENDING,
            validator: None,
            // Unconfirmed registrations disappear by themselves a day after the request.
            indexes: vec![index_with(
                doc! { "expires_at": 1 },
                "expires_at_ttl",
                |mut o| {
                    o.expire_after = Some(std::time::Duration::from_secs(0));
                    o
                },
            )],
        },
    ]
}

/// How invitations sync: personal links live on the participant; an event's shareable
/// link is one per event (the newer wins).
pub fn sync_specs() -> Vec<crate::db::SyncSpec> {
    use crate::db::{Policy, SyncSpec};
    vec![
        SyncSpec {
            natural_key: &["event_id"],
            ..SyncSpec::new(links::EVENT_LINKS, Policy::Keyed)
        },
        // The organiser's portal decisions travel with the event (a portal deployed in
        // front of Atlas applies what was decided on the laptop); the newest wins.
        SyncSpec {
            natural_key: &["event_id"],
            ..SyncSpec::new(settings::PORTAL_SETTINGS, Policy::Keyed)
        },
        // Unconfirmed registrations live a day where they were requested.
        SyncSpec::new(registration::PENDING, Policy::LocalOnly),
    ]
}
