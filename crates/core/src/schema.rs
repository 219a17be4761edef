//! The collection registry: every feature declares its own collections (validator,
//! indexes, sync policy, natural key, references, derived fields) and this module, above
//! the features, collects them. `db` keeps the connection and the helpers and imports no
//! feature; the sync reads its policies from here.

pub use crate::db::{CollectionSpec, Policy, Reference, SyncSpec};

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
        [crate::lab::LAB_RUNS, crate::lab::LAB_BENCHES]
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
