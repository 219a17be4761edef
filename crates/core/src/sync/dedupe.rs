//! Documents created apart that are the same thing: two laptops importing `ann@x.org`
//! into one event, a profile made twice for one participant, one pair connected from both
//! ends. A unique index refuses the second copy on any store holding the first, so
//! before comparing ids the sync groups each side's live documents by the collection's
//! natural key (`SyncSpec::natural_key`) and merges every group into one document.
//!
//! The rule, the same on every store whatever the order of syncs:
//! - the **survivor** is the copy created first (`created_at`), ties going to the smaller
//!   `_id`;
//! - the survivor takes, field by field, what it lacks from the others (an empty or
//!   default value gives way to a chosen one); where both hold different values the
//!   survivor's stays and a conflict is recorded for the user, who may pick the other;
//! - the others are retired — tombstoned with `merged_into` (or deleted, for collections
//!   deleted outright) — and every reference to them (`SyncSpec::references` of the other
//!   collections) is rewritten to the survivor, on each store that held them, including
//!   a store that learns of the merge later by receiving the tombstone.
//!
//! Every write is conditioned on what was read; a group changed meanwhile is left whole
//! for the next pass.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use serde::Serialize;

use crate::{db::SyncSpec, schema, Core, Error, Result};

use super::{apply::guard, id_string, Conflict, DocFailure, FieldConflict};

/// Two documents found to be one and merged.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct MergedDuplicate {
    pub collection: String,
    /// The id kept everywhere.
    pub survivor: String,
    /// The id merged into it.
    pub merged: String,
    /// A readable name (the participant's name or e-mail).
    pub label: String,
}

#[derive(Default)]
pub(crate) struct Outcome {
    pub merged: Vec<MergedDuplicate>,
    pub conflicts: Vec<Conflict>,
    pub failures: Vec<DocFailure>,
    pub deferred: u64,
    /// Ids left for the next pass (their group changed meanwhile).
    pub hold: HashSet<String>,
    /// Ids deleted outright on every side: their agreed base goes too.
    pub gone: Vec<String>,
    /// Whether anything was written (the collection cannot be settled this pass).
    pub wrote: bool,
}

pub(crate) fn is_tombstone(d: &Document) -> bool {
    matches!(d.get("deleted_at"), Some(Bson::DateTime(_)))
}

/// A document's natural key, if it is live and has one.
pub(crate) fn natural_key(spec: &SyncSpec, d: &Document) -> Option<String> {
    if spec.natural_key.is_empty() || is_tombstone(d) || d.contains_key("merged_into") {
        return None;
    }
    let mut parts = vec![];
    for f in spec.natural_key {
        match d.get(*f) {
            None | Some(Bson::Null) => return None,
            Some(v) => parts.push(id_string(v)),
        }
    }
    Some(parts.join("\u{1f}"))
}

fn created(d: &Document) -> i64 {
    d.get_datetime("created_at")
        .map(|t| t.timestamp_millis())
        .unwrap_or(i64::MAX)
}

/// A value nobody chose: absent, null, empty, `false`, or the collection's default.
fn unset(spec: &SyncSpec, field: &str, v: Option<&Bson>) -> bool {
    match v {
        None | Some(Bson::Null) | Some(Bson::Boolean(false)) => true,
        Some(Bson::String(s)) => {
            s.is_empty() || spec.defaults.iter().any(|(f, d)| *f == field && s == d)
        }
        Some(Bson::Array(a)) => a.is_empty(),
        Some(Bson::Document(d)) => d.is_empty(),
        _ => false,
    }
}

/// Fields never merged: bookkeeping, identity and derived keys.
const FIXED: [&str; 11] = [
    "search_keys",
    "_id",
    "version",
    "updated_at",
    "updated_by",
    "created_at",
    "deleted_at",
    "merged_into",
    "search_terms",
    "name_key",
    "title_key",
];

/// The survivor with what it lacks taken from `other`, and the fields both hold
/// differently (survivor's value first).
fn fill(spec: &SyncSpec, survivor: &Document, other: &Document) -> (Document, Vec<FieldConflict>) {
    let mut out = survivor.clone();
    let mut conflicts = vec![];
    let keys: BTreeSet<&String> = survivor.keys().chain(other.keys()).collect();
    for k in keys {
        let k = k.as_str();
        if FIXED.contains(&k) || spec.merge_skip.contains(&k) || spec.natural_key.contains(&k) {
            continue;
        }
        let (sv, ov) = (survivor.get(k), other.get(k));
        if sv == ov || unset(spec, k, ov) {
            continue;
        }
        if unset(spec, k, sv) {
            if let Some(v) = ov {
                out.insert(k, v.clone());
            }
        } else {
            conflicts.push(FieldConflict {
                field: k.to_owned(),
                base: None,
                local: sv.cloned(),
                remote: ov.cloned(),
            });
        }
    }
    (out, conflicts)
}

/// Mark `d` as written now by this pass: version + 1, `updated_at`, `updated_by`.
pub(crate) fn stamp(d: &mut Document, now: bson::DateTime, actor: &str) {
    let v = crate::feedback::num(d.get("version"));
    crate::db::stamp_document(d, v + 1, Some(now.into()), Some(actor.into()));
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Remote,
    Local,
}

/// Merge every group of documents sharing a natural key, on both sides; `l` and `r` are
/// updated with what was written.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn merge_groups(
    local: &Core,
    remote: &Core,
    spec: &SyncSpec,
    rkey: &str,
    l: &mut HashMap<String, Document>,
    r: &mut HashMap<String, Document>,
    base: &HashMap<String, String>,
    dry_run: bool,
    now: bson::DateTime,
) -> Result<Outcome> {
    let mut out = Outcome::default();
    // A copy already merged into another on either side (an organiser's merge) is going
    // away this pass: it is no duplicate of anything.
    let merged_away: BTreeSet<String> = l
        .values()
        .chain(r.values())
        .filter(|d| is_tombstone(d) && d.contains_key("merged_into"))
        .filter_map(|d| d.get("_id").map(id_string))
        .collect();
    // Each document counts with the version this pass keeps: the side that changed since
    // the last agreement (`base`: the agreed hashes). A copy deleted, erased or given
    // another e-mail on one side is grouped by what it became, not by what the other side
    // still shows (else a person registered again there would be merged into the record
    // being deleted, and lost with it). A document changed on both sides is left out: its
    // merge may change its key; it is grouped on the next pass.
    let mut groups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let ids: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
    for id in ids {
        if merged_away.contains(id) {
            continue;
        }
        let kept = match (l.get(id), r.get(id)) {
            (Some(a), Some(b)) if a == b => a,
            (Some(a), Some(b)) => {
                let (ha, hb) = (super::hash(a), super::hash(b));
                match base.get(id) {
                    _ if ha == hb => a,
                    Some(h) if *h == hb => a,
                    Some(h) if *h == ha => b,
                    _ => continue,
                }
            }
            (Some(d), None) | (None, Some(d)) => d,
            (None, None) => continue,
        };
        if let Some(k) = natural_key(spec, kept) {
            groups.entry(k).or_default().insert(id.clone());
        }
    }
    let actor = local.actor().to_owned();
    for ids in groups.into_values().filter(|ids| ids.len() > 1) {
        let rep = |l: &HashMap<String, Document>, r: &HashMap<String, Document>, id: &String| {
            l.get(id).or_else(|| r.get(id)).cloned().unwrap_or_default()
        };
        let mut order: Vec<(i64, String)> = ids
            .iter()
            .map(|id| (created(&rep(l, r, id)), id.clone()))
            .collect();
        order.sort();
        let survivor = order[0].1.clone();
        let losers: Vec<String> = order[1..].iter().map(|(_, id)| id.clone()).collect();
        let label = super::label(&rep(l, r, &survivor));
        if dry_run {
            for loser in &losers {
                out.merged.push(MergedDuplicate {
                    collection: spec.name.to_owned(),
                    survivor: survivor.clone(),
                    merged: loser.clone(),
                    label: label.clone(),
                });
            }
            continue;
        }
        let loser_by: Vec<String> = losers
            .iter()
            .map(|id| {
                rep(l, r, id)
                    .get_str("updated_by")
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        let survivor_by = rep(l, r, &survivor)
            .get_str("updated_by")
            .unwrap_or_default()
            .to_owned();
        match merge_group(local, remote, spec, l, r, &survivor, &losers, now, &actor).await {
            Ok(Some(fields)) => {
                for ((loser, fields), by) in losers.iter().zip(fields).zip(&loser_by) {
                    out.merged.push(MergedDuplicate {
                        collection: spec.name.to_owned(),
                        survivor: survivor.clone(),
                        merged: loser.clone(),
                        label: label.clone(),
                    });
                    if !fields.is_empty() {
                        out.conflicts.push(Conflict {
                            id: format!(
                                "{}:dup:{loser}",
                                super::base_id(rkey, spec.name, &survivor)
                            ),
                            remote: rkey.to_owned(),
                            collection: spec.name.to_owned(),
                            doc_id: survivor.clone(),
                            label: label.clone(),
                            fields,
                            local_by: survivor_by.clone(),
                            remote_by: by.clone(),
                            detected_at: crate::time::now(),
                            merged_from: Some(loser.clone()),
                        });
                    }
                    if spec.hard_delete {
                        out.gone.push(loser.clone());
                    }
                }
                out.wrote = true;
            }
            Ok(None) => {
                out.deferred += 1;
                out.wrote = true;
                out.hold.extend(ids.iter().cloned());
            }
            Err(e) if e.code == crate::Code::DbUnavailable => return Err(e),
            Err(e) => {
                out.failures
                    .push(super::apply::failure(spec.name, &survivor, None, &e));
                out.wrote = true;
                out.hold.extend(ids.iter().cloned());
            }
        }
    }
    Ok(out)
}

/// Merge one group. `None`: a document changed meanwhile (left for the next pass).
#[allow(clippy::too_many_arguments)]
async fn merge_group(
    local: &Core,
    remote: &Core,
    spec: &SyncSpec,
    l: &mut HashMap<String, Document>,
    r: &mut HashMap<String, Document>,
    survivor: &str,
    losers: &[String],
    now: bson::DateTime,
    actor: &str,
) -> Result<Option<Vec<Vec<FieldConflict>>>> {
    let loser_docs: Vec<Document> = losers
        .iter()
        .map(|id| l.get(id).or_else(|| r.get(id)).cloned().unwrap_or_default())
        .collect();
    let mut conflicts: Option<Vec<Vec<FieldConflict>>> = None;
    // 1. The survivor, wherever it is live, takes what it lacks.
    for side in [Side::Remote, Side::Local] {
        let (core, map) = match side {
            Side::Remote => (remote, &mut *r),
            Side::Local => (local, &mut *l),
        };
        let Some(old) = map.get(survivor).filter(|d| !is_tombstone(d)).cloned() else {
            continue;
        };
        let mut new = old.clone();
        let mut fields = vec![];
        for other in &loser_docs {
            let (n, f) = fill(spec, &new, other);
            new = n;
            fields.push(f);
        }
        conflicts.get_or_insert(fields);
        if new != old {
            stamp(&mut new, now, actor);
            if let Some(derive) = spec.derive {
                derive(&mut new);
            }
            let c = core.db().collection::<Document>(spec.name);
            if c.replace_one(guard(&old), new.clone()).await?.matched_count == 0 {
                return Ok(None);
            }
            map.insert(survivor.to_owned(), new);
        }
    }
    // 2. The others are retired where they are live, and what pointed at them moves.
    for loser in losers {
        for side in [Side::Remote, Side::Local] {
            let (core, map) = match side {
                Side::Remote => (remote, &mut *r),
                Side::Local => (local, &mut *l),
            };
            let Some(old) = map.get(loser).filter(|d| !is_tombstone(d)).cloned() else {
                continue;
            };
            let c = core.db().collection::<Document>(spec.name);
            if spec.hard_delete {
                if c.delete_one(guard(&old)).await?.deleted_count == 0 {
                    return Ok(None);
                }
                map.remove(loser);
            } else {
                let tomb = crate::db::tombstone_of(
                    &old,
                    &doc! { "merged_into": survivor },
                    &[],
                    actor,
                    now,
                );
                if super::apply::replace(core, spec.name, &old, &tomb).await? == 0 {
                    return Ok(None);
                }
                map.insert(loser.clone(), tomb);
            }
            remap(core, spec.name, loser, survivor, now).await?;
        }
    }
    Ok(Some(
        conflicts.unwrap_or_else(|| vec![vec![]; losers.len()]),
    ))
}

pub(crate) fn get_path<'a>(d: &'a Document, path: &str) -> Option<&'a Bson> {
    let mut parts = path.split('.');
    let mut cur = d.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_document()?.get(p)?;
    }
    Some(cur)
}

fn set_path(d: &mut Document, path: &str, v: Bson) {
    match path.split_once('.') {
        None => {
            d.insert(path, v);
        }
        Some((head, rest)) => {
            if let Ok(sub) = d.get_document_mut(head) {
                set_path(sub, rest, v);
            }
        }
    }
}

/// The newer of two documents of a keyed collection (see `super::newer`).
fn newer_is_first(a: &Document, b: &Document) -> bool {
    std::ptr::eq(super::newer(a, b), a)
}

/// Where references to `id` (of `target`) end on `core`: `id` itself, or, when `id` was
/// merged into another document there, the one it was merged into, following the chain
/// (Zoé merged into Yann, Yann into Xavier: Xavier).
async fn survivor_of(core: &Core, target: &str, id: &str) -> Result<String> {
    let c = core.db().collection::<Document>(target);
    let mut at = id.to_owned();
    let mut seen = HashSet::from([at.clone()]);
    while let Some(d) = c
        .find_one(doc! { "_id": &at })
        .projection(doc! { "merged_into": 1, "deleted_at": 1 })
        .await?
    {
        match d.get_str("merged_into") {
            Ok(next) if is_tombstone(&d) && seen.insert(next.to_owned()) => at = next.to_owned(),
            _ => break,
        }
    }
    Ok(at)
}

/// Rewrite every reference to `from` (an id of `target`) on `core` to `to` — or to the
/// document `to` was itself merged into on `core`, so that references never end on a
/// merged copy whatever the order in which a store learns of two chained merges. A
/// rewrite that makes two documents the same thing (two answers of one person to one
/// question, two profiles of one participant) keeps the newer and deletes the other.
/// Returns how many documents changed.
pub(crate) async fn remap(
    core: &Core,
    target: &str,
    from: &str,
    to: &str,
    now: bson::DateTime,
) -> Result<u64> {
    let to = survivor_of(core, target, to).await?;
    let to = to.as_str();
    let mut n = 0;
    let actor = core.actor().to_owned();
    for (spec, reference) in schema::references_to(target) {
        let c = core.db().collection::<Document>(spec.name);
        let filter: Vec<Document> = reference.fields.iter().map(|f| doc! { *f: from }).collect();
        let docs: Vec<Document> = c.find(doc! { "$or": filter }).await?.try_collect().await?;
        for old in docs {
            let mut new = old.clone();
            for f in reference.fields {
                if get_path(&new, f).and_then(Bson::as_str) == Some(from) {
                    set_path(&mut new, f, Bson::String(to.to_owned()));
                }
            }
            if let Some(fix) = reference.fixup {
                fix(&mut new);
            }
            match (spec.policy, old.get_datetime("updated_at")) {
                // A keyed document's `updated_at` and `updated_by` say when and by whom its
                // value was given (an answer): wherever two of one person meet, here or in
                // a later sync, the newer value stands. Moving it to the survivor gives no
                // new value, so it keeps its author and is dated just after its own last
                // write (the moved copy still wins over the copy it was), not now: the
                // person's own later answer stays newer. Every store that moves it makes
                // the same document.
                (crate::db::Policy::Keyed, Ok(t)) if new.contains_key("version") => {
                    let at = bson::DateTime::from_millis(t.timestamp_millis() + 1);
                    let by = old.get_str("updated_by").unwrap_or(&actor).to_owned();
                    stamp(&mut new, at, &by);
                }
                _ if new.contains_key("version") => stamp(&mut new, now, &actor),
                _ => {}
            }
            match c.replace_one(guard(&old), new.clone()).await {
                Ok(r) => n += r.modified_count,
                Err(e) if Error::from(e.clone()).code == crate::Code::Duplicate => {
                    // The survivor already has one: keep the newer of the two.
                    let mut key =
                        doc! { "_id": { "$ne": old.get("_id").cloned().unwrap_or(Bson::Null) } };
                    for f in spec.natural_key {
                        key.insert(*f, new.get(*f).cloned().unwrap_or(Bson::Null));
                    }
                    let Some(existing) = c.find_one(key).await? else {
                        continue;
                    };
                    if newer_is_first(&new, &existing) {
                        if c.delete_one(guard(&existing)).await?.deleted_count == 1 {
                            n += c.replace_one(guard(&old), new).await?.modified_count;
                        }
                    } else {
                        n += c.delete_one(guard(&old)).await?.deleted_count;
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(n)
}
