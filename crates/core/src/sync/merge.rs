//! Field-level three-way merge of one document.

use std::collections::{BTreeSet, HashMap};

use bson::{Bson, Document};
use serde::{Deserialize, Serialize};

use super::Choice;

/// Bookkeeping fields: recomputed on merge, never in conflict.
const META: [&str; 3] = ["version", "updated_at", "updated_by"];

/// Fields derived from others (search keys): never in conflict, recomputed after a merge
/// by `super::rederive`.
const DERIVED: [&str; 5] = [
    "search_terms",
    "search_keys",
    "title_key",
    "venue_key",
    "name_key",
];

/// One field changed differently on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    pub field: String,
    pub base: Option<Bson>,
    pub local: Option<Bson>,
    pub remote: Option<Bson>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Merge {
    Clean(Document),
    Conflicts(Vec<FieldConflict>),
}

fn version(d: &Document) -> i64 {
    match d.get("version") {
        Some(Bson::Int64(v)) => *v,
        Some(Bson::Int32(v)) => i64::from(*v),
        _ => 0,
    }
}

fn later<'a>(a: &'a Document, b: &'a Document) -> &'a Document {
    let at = |d: &Document| {
        d.get_datetime("updated_at")
            .map(|t| t.timestamp_millis())
            .unwrap_or(0)
    };
    if at(b) > at(a) {
        b
    } else {
        a
    }
}

fn stamp(mut m: Document, l: &Document, r: &Document) -> Document {
    let newest = later(l, r);
    crate::db::stamp_document(
        &mut m,
        version(l).max(version(r)) + 1,
        newest.get("updated_at").cloned(),
        newest.get("updated_by").cloned(),
    );
    m
}

fn deleted(d: Option<&Document>) -> bool {
    d.is_some_and(|d| matches!(d.get("deleted_at"), Some(Bson::DateTime(_))))
}

/// What `edited` changed since `base` (all of it, without a base) that `survivor` holds
/// differently: fields to choose on the survivor (`local` its value, `remote` the edit's),
/// bookkeeping, derived fields and the merge's own marks left out.
pub fn carried_edits(
    base: Option<&Document>,
    edited: &Document,
    survivor: &Document,
) -> Vec<FieldConflict> {
    let skip = |k: &str| {
        META.contains(&k)
            || DERIVED.contains(&k)
            || [
                "_id",
                "deleted_at",
                "merged_into",
                "merged_ids",
                "created_at",
            ]
            .contains(&k)
    };
    let mut out = vec![];
    for (k, v) in edited {
        if skip(k) {
            continue;
        }
        let b = base.and_then(|b| b.get(k));
        if b == Some(v) {
            continue;
        }
        if survivor.get(k) != Some(v) {
            out.push(FieldConflict {
                field: k.clone(),
                base: b.cloned(),
                local: survivor.get(k).cloned(),
                remote: Some(v.clone()),
            });
        }
    }
    out
}

/// Merge `local` and `remote` against their common ancestor `base` (none: both created
/// the document independently, so every differing field conflicts).
pub fn merge3(base: Option<&Document>, local: &Document, remote: &Document) -> Merge {
    let empty = Document::new();
    let b = base.unwrap_or(&empty);
    let keys: BTreeSet<&String> = b.keys().chain(local.keys()).chain(remote.keys()).collect();
    let mut out = Document::new();
    let mut conflicts = vec![];
    let mut local_edits = false;
    let mut remote_edits = false;
    for k in keys {
        if META.contains(&k.as_str()) {
            continue;
        }
        let (bv, lv, rv) = (b.get(k), local.get(k), remote.get(k));
        if DERIVED.contains(&k.as_str()) {
            if let Some(v) = lv.or(rv) {
                out.insert(k.clone(), v.clone());
            }
            continue;
        }
        let value = if lv == rv {
            lv
        } else if lv == bv {
            remote_edits |= k != "deleted_at";
            rv
        } else if rv == bv {
            local_edits |= k != "deleted_at";
            lv
        } else {
            conflicts.push(FieldConflict {
                field: k.clone(),
                base: bv.cloned(),
                local: lv.cloned(),
                remote: rv.cloned(),
            });
            continue;
        };
        if let Some(v) = value {
            out.insert(k.clone(), v.clone());
        }
    }
    // A delete on one side against edits on the other is a conflict, not a silent merge.
    let was_deleted = deleted(base);
    if !was_deleted
        && ((deleted(Some(local)) && remote_edits) || (deleted(Some(remote)) && local_edits))
    {
        conflicts.push(FieldConflict {
            field: "deleted_at".into(),
            base: None,
            local: local.get("deleted_at").cloned(),
            remote: remote.get("deleted_at").cloned(),
        });
    }
    if conflicts.is_empty() {
        Merge::Clean(stamp(out, local, remote))
    } else {
        Merge::Conflicts(conflicts)
    }
}

/// The document after the user's choices: clean fields merged, conflicting ones chosen.
pub fn resolve(
    base: Option<&Document>,
    local: &Document,
    remote: &Document,
    choices: &HashMap<String, Choice>,
    actor: &str,
) -> Document {
    let empty = Document::new();
    let b = base.unwrap_or(&empty);
    let keys: BTreeSet<&String> = b.keys().chain(local.keys()).chain(remote.keys()).collect();
    let mut out = Document::new();
    for k in keys {
        if META.contains(&k.as_str()) {
            continue;
        }
        let (bv, lv, rv) = (b.get(k), local.get(k), remote.get(k));
        let value = match choices.get(k.as_str()) {
            Some(Choice::Local) => lv,
            Some(Choice::Remote) => rv,
            None if lv == bv => rv,
            None => lv,
        };
        if let Some(v) = value {
            out.insert(k.clone(), v.clone());
        }
    }
    let mut out = stamp(out, local, remote);
    let v = version(&out);
    crate::db::stamp_document(
        &mut out,
        v,
        Some(bson::DateTime::from_chrono(crate::time::now()).into()),
        Some(actor.into()),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn one_sided_changes_merge_and_both_sided_conflict() {
        let b = doc! { "_id": "e", "title": "A", "venue": "X", "tags": ["t"], "version": 1_i64 };
        let l = doc! { "_id": "e", "title": "B", "venue": "X", "tags": ["t"], "version": 2_i64 };
        let r = doc! { "_id": "e", "title": "A", "venue": "Y", "tags": ["t"], "version": 2_i64 };
        let Merge::Clean(m) = merge3(Some(&b), &l, &r) else {
            panic!("should merge")
        };
        assert_eq!(m.get_str("title").unwrap(), "B");
        assert_eq!(m.get_str("venue").unwrap(), "Y");
        assert_eq!(m.get_i64("version").unwrap(), 3);

        let r2 = doc! { "_id": "e", "title": "C", "venue": "X", "tags": ["t"], "version": 2_i64 };
        let Merge::Conflicts(c) = merge3(Some(&b), &l, &r2) else {
            panic!("should conflict")
        };
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].field, "title");
        assert_eq!(c[0].local, Some(Bson::String("B".into())));
        assert_eq!(c[0].remote, Some(Bson::String("C".into())));
    }

    #[test]
    fn delete_against_edit_is_a_conflict() {
        let b = doc! { "_id": "e", "title": "A", "version": 1_i64 };
        let l = doc! { "_id": "e", "title": "A", "deleted_at": bson::DateTime::now(), "version": 2_i64 };
        let r = doc! { "_id": "e", "title": "B", "version": 2_i64 };
        let Merge::Conflicts(c) = merge3(Some(&b), &l, &r) else {
            panic!("should conflict")
        };
        assert!(c.iter().any(|f| f.field == "deleted_at"));
    }
}
