//! The collection registry: every feature declares its own collections (validator,
//! indexes, sync policy, natural key, references, derived fields) and this module, above
//! the features, collects them. `db` keeps the connection and the helpers and imports no
//! feature; the sync reads its policies from here.

pub use crate::db::{CollectionSpec, Derived, Exclusive, Policy, Reference, SyncSpec};

use crate::{Capabilities, Core, Result};

/// Every collection of the app with its validator and indexes, as each feature declares
/// them.
pub fn collections(caps: &Capabilities) -> Vec<CollectionSpec> {
    let mut v = vec![CollectionSpec {
        name: crate::db::EVENTS,
        validator: Some(crate::events::schema::validator()),
        indexes: crate::events::schema::indexes(caps),
    }];
    v.extend(crate::lab::collections());
    v.extend(crate::participants::schema::collections());
    v.extend(crate::invitations::collections());
    v.extend(crate::feedback::collections());
    v.extend(crate::social::collections());
    v.extend(crate::networking::collections());
    v.extend(crate::jobs::collections());
    v
}

impl Core {
    /// Connect, wait for the server to answer, detect its capabilities and ensure the
    /// collections, validators and indexes exist.
    pub async fn connect(uri: &str, db_name: &str) -> Result<Core> {
        let core = Core::open(uri, db_name).await?;
        core.ensure_schema().await?;
        Ok(core)
    }

    /// Create missing collections with their validators (or update the validators of
    /// existing ones), create every index, drop retired ones and fill fields added by
    /// later versions. Safe to run at every start.
    pub async fn ensure_schema(&self) -> Result<()> {
        // Retired indexes first: a new index may reuse an old one's keys.
        self.drop_indexes(crate::db::EVENTS, &crate::events::schema::RETIRED_INDEXES)
            .await?;
        self.ensure_collections(collections(self.caps())).await?;
        // Fields added to stored documents by later versions.
        crate::social::backfill_text_words(self).await?;
        crate::events::backfill_search_keys(self).await?;
        Ok(())
    }
}

/// Every collection's sync declaration, in the order a sync visits them: what others
/// reference comes before what references it (events, then participants, then what
/// participants own).
pub fn sync_specs() -> Vec<SyncSpec> {
    let mut v = vec![];
    v.extend(crate::events::schema::sync_specs());
    v.extend(crate::participants::schema::sync_specs());
    v.extend(crate::feedback::sync_specs());
    v.extend(crate::invitations::sync_specs());
    v.extend(crate::networking::sync_specs());
    v.extend(crate::social::sync_specs());
    v.extend(crate::sync::sync_specs());
    v.extend(
        [
            crate::lab::LAB_RUNS,
            crate::lab::LAB_BENCHES,
            crate::jobs::JOBS,
            crate::supervise::PROBE,
            // SMTP settings and templates, the portal's address: this machine's own.
            crate::mail::SETTINGS,
        ]
        .map(|name| SyncSpec::new(name, Policy::LocalOnly)),
    );
    v
}

/// The collections that travel between stores (every policy but local-only).
pub fn synced() -> Vec<SyncSpec> {
    sync_specs()
        .into_iter()
        .filter(|s| s.policy != Policy::LocalOnly)
        .collect()
}

/// The declaration of one collection.
pub fn spec(name: &str) -> Option<SyncSpec> {
    sync_specs().into_iter().find(|s| s.name == name)
}

/// The places holding ids of `target`: (collection, reference), for rewriting them when
/// two of its documents merge.
pub fn references_to(target: &str) -> Vec<(SyncSpec, Reference)> {
    let mut out = vec![];
    for s in sync_specs() {
        for r in s.references {
            if r.target == target {
                out.push((s.clone(), *r));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_collection_is_declared_once_and_references_point_at_synced_collections() {
        let specs = sync_specs();
        let mut names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "a collection declared twice");
        for s in &specs {
            for r in s.references {
                let t = spec(r.target).expect("a declared target");
                assert_ne!(t.policy, Policy::LocalOnly, "{} → {}", s.name, r.target);
            }
            if s.policy == Policy::Keyed {
                assert!(!s.natural_key.is_empty(), "{} is keyed by nothing", s.name);
            }
        }
    }
}
