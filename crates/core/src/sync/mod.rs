//! Offline-first sync between the local store and a remote MongoDB (Atlas, or any URI).
//!
//! Every versioned document has an app-made id, `version`, `updated_at`, `updated_by` and a
//! `deleted_at` tombstone (see `docs/schema.md`). For each remote, the local store keeps in
//! `_sync_base` the last version both sides agreed on (the common ancestor), so a sync is a
//! three-way comparison per document:
//! - changed on one side only → copied to the other side;
//! - changed on both → merged field by field: a field changed on one side only takes that
//!   side's value; a field changed on both sides to different values is a **conflict**,
//!   recorded in `sync_conflicts` with both values and who changed them, and nothing is
//!   overwritten until the user resolves it. A delete against an edit is a conflict too.
//! - a versioned document deleted outright on one side (an erasure of one's networking
//!   data) and unchanged on the other since the base is deleted there too; edited on the
//!   other side, the edit wins and comes back.
//! - append-only collections (audit trail, shared moments) are unions: missing documents
//!   are copied both ways, never in conflict.
//! - keyed collections (feedback answers by question and respondent, imported social posts,
//!   an event's shareable link) match documents by their natural key, not `_id` (two
//!   laptops create the same answer with different ids), and the newer `updated_at` wins
//!   (ties: the greater `_id`); the loser is replaced, `_id` included, so both sides end
//!   identical.
//!
//! Idempotent (a second run finds every hash equal) and resumable: each document write is a
//! full replacement (safe to repeat) and the base is updated only after both sides hold the
//! agreed version, so a sync killed at any point converges on the next run.
//!
//! Quiet collections are skipped: before reading a collection, each side's
//! [`fingerprint`] (document count, sum of `updated_at`, sum of `version`, one aggregation
//! on the server) is taken. After a pass without conflicts both sides hold the same
//! documents; the fingerprints they should show then (before + the pass's own writes) are
//! checked and kept in `_sync_quiet`, and the next pass skips the collection while both
//! sides still show them. Every write of the app adds a document, deletes one or bumps a
//! version, so any change shows; a change made by anyone else during the pass makes the
//! fingerprints differ from the expected ones, and the next pass runs in full. An automatic
//! sync of an unchanged store costs two aggregations per collection instead of reading
//! every document of both sides, and a sync killed midway skips, when run again, the
//! collections it had finished (checkpointed progress).

mod merge;

use std::{
    collections::{BTreeSet, HashMap},
    sync::atomic::{AtomicBool, Ordering},
};

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{error::Code, time, Core, Error, Result};

pub use merge::{merge3, FieldConflict, Merge};

pub const BASE: &str = "_sync_base";
pub const CONFLICTS: &str = "sync_conflicts";
pub const STATE: &str = "_sync_state";
pub const QUIET: &str = "_sync_quiet";

/// How a collection is synced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Documents edited in place, with `version` and tombstones: three-way merge.
    Versioned,
    /// Documents only ever inserted: union.
    AppendOnly,
    /// Matched on these fields; the newest `updated_at` (else `created_at`) wins.
    Keyed(&'static [&'static str]),
}

/// The collections the app owns and how each is synced.
pub fn synced_collections() -> Vec<(&'static str, Kind)> {
    vec![
        (crate::db::EVENTS, Kind::Versioned),
        (crate::participants::schema::PARTICIPANTS, Kind::Versioned),
        (crate::participants::schema::AUDIT, Kind::AppendOnly),
        (crate::feedback::QUESTIONS, Kind::Versioned),
        (
            crate::feedback::ANSWERS,
            Kind::Keyed(&["question_id", "respondent"]),
        ),
        (
            crate::invitations::links::EVENT_LINKS,
            Kind::Keyed(&["event_id"]),
        ),
        (crate::networking::PROFILES, Kind::Versioned),
        (crate::networking::CONNECTIONS, Kind::Versioned),
        (crate::networking::MEETINGS, Kind::Versioned),
        (
            crate::social::POSTS,
            Kind::Keyed(&["event_id", "platform", "external_id"]),
        ),
        (crate::social::MOMENTS, Kind::AppendOnly),
        (crate::networking::ERASURES, Kind::AppendOnly),
    ]
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CollectionReport {
    pub collection: String,
    pub pushed: u64,
    pub pulled: u64,
    pub merged: u64,
    pub conflicts: u64,
    pub unchanged: u64,
    /// Nothing changed on either side since a pass that moved nothing: not read.
    pub skipped: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncReport {
    pub dry_run: bool,
    pub collections: Vec<CollectionReport>,
    pub cancelled: bool,
}

impl SyncReport {
    pub fn total(&self, f: impl Fn(&CollectionReport) -> u64) -> u64 {
        self.collections.iter().map(f).sum()
    }
}

/// Progress: collection being synced and documents examined so far.
#[derive(Debug, Clone, Serialize)]
pub struct SyncProgress {
    pub collection: String,
    pub done: u64,
    pub total: u64,
}

/// A recorded conflict, waiting for the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    #[serde(rename = "_id")]
    pub id: String,
    pub remote: String,
    pub collection: String,
    pub doc_id: String,
    /// A readable name of the document (event title, participant name).
    pub label: String,
    pub fields: Vec<FieldConflict>,
    pub local_by: String,
    pub remote_by: String,
    #[serde(with = "crate::time::ts")]
    pub detected_at: chrono::DateTime<chrono::Utc>,
}

/// A stable key for a remote (its address and database, without credentials).
pub fn remote_key(remote: &Core) -> String {
    let info = remote.info();
    let h = Sha256::digest(format!("{}|{}", info.uri, info.database).as_bytes());
    h.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Sort keys recursively so that equal content hashes equally whatever the field order.
fn canon(b: &Bson) -> Bson {
    match b {
        Bson::Document(d) => {
            let mut keys: Vec<&String> = d.keys().collect();
            keys.sort();
            let mut out = Document::new();
            for k in keys {
                out.insert(k.clone(), canon(&d[k]));
            }
            Bson::Document(out)
        }
        Bson::Array(a) => Bson::Array(a.iter().map(canon).collect()),
        other => other.clone(),
    }
}

pub fn hash(d: &Document) -> String {
    let c = match canon(&Bson::Document(d.clone())) {
        Bson::Document(c) => c,
        _ => Document::new(),
    };
    let bytes = bson::to_vec(&c).unwrap_or_default();
    Sha256::digest(&bytes)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A collection's fingerprint: how many documents, the sum of their `updated_at` (else
/// `created_at`) in milliseconds and the sum of their versions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub n: i64,
    pub at: i64,
    pub v: i64,
}

impl Fingerprint {
    /// What one document adds to its collection's fingerprint (as the server counts it:
    /// a value that is not a date or a number adds 0).
    fn of(d: &Document) -> Fingerprint {
        let at = match d.get("updated_at") {
            Some(Bson::DateTime(t)) => t.timestamp_millis(),
            None | Some(Bson::Null) => d
                .get_datetime("created_at")
                .map(|t| t.timestamp_millis())
                .unwrap_or(0),
            Some(_) => 0,
        };
        let v = crate::feedback::num(d.get("version"));
        Fingerprint { n: 1, at, v }
    }

    fn add(&mut self, o: Fingerprint) {
        self.n = self.n.wrapping_add(o.n);
        self.at = self.at.wrapping_add(o.at);
        self.v = self.v.wrapping_add(o.v);
    }

    fn sub(&mut self, o: Fingerprint) {
        self.n = self.n.wrapping_sub(o.n);
        self.at = self.at.wrapping_sub(o.at);
        self.v = self.v.wrapping_sub(o.v);
    }

    fn plus(mut self, o: Fingerprint) -> Fingerprint {
        self.add(o);
        self
    }
}

/// A collection both sides agree on, at these fingerprints (`_sync_quiet`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Quiet {
    #[serde(rename = "_id")]
    id: String,
    remote_key: String,
    collection: String,
    local: Fingerprint,
    remote: Fingerprint,
}

/// A collection's [`Fingerprint`], computed by the server (one `$group`).
pub async fn fingerprint(core: &Core, coll: &str) -> Result<Fingerprint> {
    let rows: Vec<Document> = core
        .db()
        .collection::<Document>(coll)
        .aggregate(vec![doc! { "$group": {
            "_id": Bson::Null,
            "n": { "$sum": 1 },
            // `$convert` with fallbacks: a value that is not a date never fails the sync.
            "at": { "$sum": { "$convert": {
                "input": { "$ifNull": ["$updated_at", "$created_at"] },
                "to": "long", "onError": 0_i64, "onNull": 0_i64,
            } } },
            "v": { "$sum": { "$ifNull": ["$version", 0] } },
        } }])
        .await?
        .try_collect()
        .await?;
    let Some(r) = rows.first() else {
        return Ok(Fingerprint::default());
    };
    // A sum beyond 64 bits comes back as a double: it never equals an exact expectation,
    // so such a collection is simply never skipped.
    let num = |k: &str| crate::feedback::num(r.get(k));
    Ok(Fingerprint {
        n: num("n"),
        at: num("at"),
        v: num("v"),
    })
}

/// Every document of a collection by `_id`, or by natural key for a keyed collection.
async fn all(core: &Core, coll: &str, kind: Kind) -> Result<HashMap<String, Document>> {
    let mut out = HashMap::new();
    let mut cur = core.db().collection::<Document>(coll).find(doc! {}).await?;
    while let Some(d) = cur.try_next().await? {
        let key = match kind {
            Kind::Keyed(fields) => Some(
                fields
                    .iter()
                    .map(|f| d.get(*f).map(id_string).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("\u{1f}"),
            ),
            _ => d.get("_id").map(id_string),
        };
        if let Some(k) = key {
            out.insert(k, d);
        }
    }
    Ok(out)
}

/// Versioned collections whose documents are deleted outright rather than tombstoned (a
/// participant erasing their networking data).
fn hard_deletes(coll: &str) -> bool {
    [
        crate::networking::PROFILES,
        crate::networking::CONNECTIONS,
        crate::networking::MEETINGS,
    ]
    .contains(&coll)
}

/// The newer of two versions of a keyed document: `updated_at` (else `created_at`), then
/// the greater `_id`, so both sides pick the same one.
fn newer<'a>(a: &'a Document, b: &'a Document) -> &'a Document {
    let at = |d: &Document| {
        d.get_datetime("updated_at")
            .or_else(|_| d.get_datetime("created_at"))
            .map(|t| t.timestamp_millis())
            .unwrap_or(i64::MIN)
    };
    let id = |d: &Document| d.get("_id").map(id_string).unwrap_or_default();
    if (at(a), id(a)) >= (at(b), id(b)) {
        a
    } else {
        b
    }
}

fn id_string(b: &Bson) -> String {
    match b {
        Bson::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn base_id(remote: &str, coll: &str, id: &str) -> String {
    format!("{remote}:{coll}:{id}")
}

/// The agreed hashes of a collection's documents for one remote (the base documents
/// themselves are only read when a merge needs them: [`base_doc`]).
async fn base_hashes(local: &Core, remote: &str, coll: &str) -> Result<HashMap<String, String>> {
    let prefix = format!("{remote}:{coll}:");
    let mut out = HashMap::new();
    let mut cur = local
        .db()
        .collection::<Document>(BASE)
        .find(doc! { "remote": remote, "collection": coll })
        .projection(doc! { "hash": 1 })
        .await?;
    while let Some(d) = cur.try_next().await? {
        let id = d
            .get_str("_id")
            .unwrap_or_default()
            .trim_start_matches(&prefix)
            .to_owned();
        out.insert(id, d.get_str("hash").unwrap_or_default().to_owned());
    }
    Ok(out)
}

async fn base_doc(local: &Core, remote: &str, coll: &str, id: &str) -> Result<Option<Document>> {
    let found = local
        .db()
        .collection::<Document>(BASE)
        .find_one(doc! { "_id": base_id(remote, coll, id) })
        .await?;
    Ok(found
        .and_then(|mut d| d.remove("doc"))
        .and_then(|b| match b {
            Bson::Document(d) => Some(d),
            _ => None,
        }))
}

/// Writes for one side, applied in batches.
#[derive(Default)]
struct Writes {
    /// Ids deleted first (a propagated delete, or a keyed document replaced under
    /// another `_id`).
    deletes: Vec<Bson>,
    inserts: Vec<Document>,
    replaces: Vec<Document>,
    /// How these writes change the collection's [`Fingerprint`].
    delta: Fingerprint,
}

impl Writes {
    fn delete(&mut self, d: &Document) {
        if let Some(id) = d.get("_id") {
            self.deletes.push(id.clone());
            self.delta.sub(Fingerprint::of(d));
        }
    }

    /// Write `d`, replacing `old` (the document of the same `_id` on that side) if any.
    fn put(&mut self, old: Option<&Document>, d: Document) {
        if let Some(old) = old {
            self.delta.sub(Fingerprint::of(old));
        }
        self.delta.add(Fingerprint::of(&d));
        self.put_as(old.is_some(), d);
    }

    /// Write `d` as a replacement or an insert (no fingerprint kept: the base).
    fn put_as(&mut self, exists: bool, d: Document) {
        if exists {
            self.replaces.push(d);
        } else {
            self.inserts.push(d);
        }
    }

    async fn apply(self, core: &Core, coll: &str) -> Result<()> {
        let c = core.db().collection::<Document>(coll);
        for chunk in self.deletes.chunks(1000) {
            c.delete_many(doc! { "_id": { "$in": chunk.to_vec() } })
                .await?;
        }
        for chunk in self.inserts.chunks(1000) {
            if let Err(e) = c.insert_many(chunk.to_vec()).ordered(false).await {
                // A document inserted by an earlier, interrupted run: replace instead.
                let err = Error::from(e);
                if err.code != Code::Duplicate {
                    return Err(err);
                }
                for d in chunk {
                    c.replace_one(
                        doc! { "_id": d.get("_id").cloned().unwrap_or(Bson::Null) },
                        d.clone(),
                    )
                    .upsert(true)
                    .await?;
                }
            }
        }
        let mut pending = vec![];
        for d in self.replaces {
            let c = c.clone();
            pending.push(async move {
                c.replace_one(
                    doc! { "_id": d.get("_id").cloned().unwrap_or(Bson::Null) },
                    d,
                )
                .upsert(true)
                .await
            });
            if pending.len() == 64 {
                for r in futures_util::future::join_all(std::mem::take(&mut pending)).await {
                    r?;
                }
            }
        }
        for r in futures_util::future::join_all(pending).await {
            r?;
        }
        Ok(())
    }
}

fn label(d: &Document) -> String {
    for k in ["title", "name"] {
        if let Ok(s) = d.get_str(k) {
            return s.to_owned();
        }
    }
    d.get("_id").map(id_string).unwrap_or_default()
}

/// Synchronise `local` with `remote`. With `dry_run`, count what would move and write
/// nothing.
pub async fn sync(
    local: &Core,
    remote: &Core,
    dry_run: bool,
    progress: &(dyn Fn(&SyncProgress) + Send + Sync),
    cancel: &AtomicBool,
) -> Result<SyncReport> {
    let rkey = remote_key(remote);
    let mut report = SyncReport {
        dry_run,
        ..Default::default()
    };
    let mut touched_events: BTreeSet<String> = BTreeSet::new();
    for (coll, kind) in synced_collections() {
        if cancel.load(Ordering::Relaxed) {
            report.cancelled = true;
            break;
        }
        // Fingerprints first: a change made while the documents are read shows next time.
        let (fl, fr) =
            futures_util::try_join!(fingerprint(local, coll), fingerprint(remote, coll))?;
        let quiet_id = format!("{rkey}:{coll}");
        let quiet: Option<Quiet> = local
            .db()
            .collection::<Quiet>(QUIET)
            .find_one(doc! { "_id": &quiet_id })
            .await
            // A record this version cannot read is no record: the pass runs in full.
            .unwrap_or(None);
        if quiet.is_some_and(|q| q.local == fl && q.remote == fr) {
            let n = fl.n.max(0) as u64;
            progress(&SyncProgress {
                collection: coll.to_owned(),
                done: n,
                total: n,
            });
            report.collections.push(CollectionReport {
                collection: coll.to_owned(),
                unchanged: n,
                skipped: true,
                ..Default::default()
            });
            continue;
        }
        let l = all(local, coll, kind).await?;
        let r = all(remote, coll, kind).await?;
        let b = if kind == Kind::Versioned {
            base_hashes(local, &rkey, coll).await?
        } else {
            HashMap::new()
        };
        let ids: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
        let total = ids.len() as u64;
        // Deletes propagate only for collections that delete outright, and never from a
        // side that is empty (a new or wiped remote is not "everything was deleted").
        let hard = hard_deletes(coll) && !l.is_empty() && !r.is_empty();
        let mut rep = CollectionReport {
            collection: coll.to_owned(),
            ..Default::default()
        };
        let (mut to_local, mut to_remote) = (Writes::default(), Writes::default());
        let mut new_bases: Vec<(String, Document)> = vec![];
        let mut gone: Vec<String> = vec![];
        let mut conflicts: Vec<Conflict> = vec![];
        for (i, id) in ids.iter().enumerate() {
            let (ld, rd) = (l.get(*id), r.get(*id));
            match kind {
                Kind::AppendOnly => match (ld, rd) {
                    (Some(d), None) => {
                        rep.pushed += 1;
                        to_remote.put(None, d.clone());
                    }
                    (None, Some(d)) => {
                        rep.pulled += 1;
                        to_local.put(None, d.clone());
                    }
                    _ => rep.unchanged += 1,
                },
                Kind::Keyed(_) => match (ld, rd) {
                    (Some(d), None) => {
                        rep.pushed += 1;
                        to_remote.put(None, d.clone());
                    }
                    (None, Some(d)) => {
                        rep.pulled += 1;
                        to_local.put(None, d.clone());
                    }
                    (Some(ld), Some(rd)) if hash(ld) == hash(rd) => rep.unchanged += 1,
                    (Some(ld), Some(rd)) => {
                        let same_id = ld.get("_id") == rd.get("_id");
                        if std::ptr::eq(newer(ld, rd), ld) {
                            rep.pushed += 1;
                            if !same_id {
                                to_remote.delete(rd);
                            }
                            to_remote.put(same_id.then_some(rd), ld.clone());
                        } else {
                            rep.pulled += 1;
                            if !same_id {
                                to_local.delete(ld);
                            }
                            to_local.put(same_id.then_some(ld), rd.clone());
                        }
                    }
                    (None, None) => {}
                },
                Kind::Versioned => {
                    let (lh, rh) = (ld.map(hash), rd.map(hash));
                    let bh = b.get(*id).cloned();
                    if lh.is_some() && lh == rh {
                        rep.unchanged += 1;
                        if bh != lh {
                            new_bases.push(((*id).clone(), ld.cloned().unwrap_or_default()));
                        }
                        continue;
                    }
                    match (ld, rd) {
                        // Deleted outright on one side, unchanged on the other: delete it
                        // there too (and forget the base).
                        (Some(d), None) if hard && bh.is_some() && lh == bh => {
                            rep.pulled += 1;
                            to_local.delete(d);
                            gone.push((*id).clone());
                        }
                        (None, Some(d)) if hard && bh.is_some() && rh == bh => {
                            rep.pushed += 1;
                            to_remote.delete(d);
                            gone.push((*id).clone());
                        }
                        (Some(d), None) => {
                            rep.pushed += 1;
                            to_remote.put(None, d.clone());
                            new_bases.push(((*id).clone(), d.clone()));
                        }
                        (None, Some(d)) => {
                            rep.pulled += 1;
                            to_local.put(None, d.clone());
                            new_bases.push(((*id).clone(), d.clone()));
                        }
                        (Some(ld), Some(rd)) if bh.is_some() && lh == bh => {
                            rep.pulled += 1;
                            to_local.put(Some(ld), rd.clone());
                            new_bases.push(((*id).clone(), rd.clone()));
                        }
                        (Some(ld), Some(rd)) if bh.is_some() && rh == bh => {
                            rep.pushed += 1;
                            to_remote.put(Some(rd), ld.clone());
                            new_bases.push(((*id).clone(), ld.clone()));
                        }
                        (Some(ld), Some(rd)) => {
                            match merge3(base_doc(local, &rkey, coll, id).await?.as_ref(), ld, rd) {
                                Merge::Clean(mut m) => {
                                    rederive(coll, &mut m);
                                    rep.merged += 1;
                                    to_local.put(Some(ld), m.clone());
                                    to_remote.put(Some(rd), m.clone());
                                    new_bases.push(((*id).clone(), m));
                                }
                                Merge::Conflicts(fields) => {
                                    rep.conflicts += 1;
                                    conflicts.push(Conflict {
                                        id: base_id(&rkey, coll, id),
                                        remote: rkey.clone(),
                                        collection: coll.to_owned(),
                                        doc_id: (*id).clone(),
                                        label: label(ld),
                                        fields,
                                        local_by: ld
                                            .get_str("updated_by")
                                            .unwrap_or_default()
                                            .to_owned(),
                                        remote_by: rd
                                            .get_str("updated_by")
                                            .unwrap_or_default()
                                            .to_owned(),
                                        detected_at: time::now(),
                                    });
                                }
                            }
                        }
                        (None, None) => {}
                    }
                }
            }
            if i % 1000 == 0 {
                progress(&SyncProgress {
                    collection: coll.to_owned(),
                    done: i as u64,
                    total,
                });
            }
        }
        progress(&SyncProgress {
            collection: coll.to_owned(),
            done: total,
            total,
        });
        if coll == crate::participants::schema::PARTICIPANTS {
            for d in to_local
                .inserts
                .iter()
                .chain(&to_local.replaces)
                .chain(&to_remote.inserts)
                .chain(&to_remote.replaces)
            {
                if let Ok(e) = d.get_str("event_id") {
                    touched_events.insert(e.to_owned());
                }
            }
        }
        if !dry_run {
            // What each side's fingerprint will be once these writes are applied.
            let (expect_l, expect_r) = (fl.plus(to_local.delta), fr.plus(to_remote.delta));
            let moved = rep.pushed + rep.pulled + rep.merged > 0;
            // Both sides first, then the agreed base: a sync killed in between repeats
            // idempotent writes next time.
            to_remote.apply(remote, coll).await?;
            to_local.apply(local, coll).await?;
            let mut base_writes = Writes::default();
            for (id, d) in new_bases {
                let key = base_id(&rkey, coll, &id);
                base_writes.put_as(
                    b.contains_key(&id),
                    doc! { "_id": key, "remote": &rkey, "collection": coll, "hash": hash(&d), "doc": d },
                );
            }
            for id in &gone {
                base_writes
                    .deletes
                    .push(Bson::String(base_id(&rkey, coll, id)));
            }
            base_writes.apply(local, BASE).await?;
            let cc = local.db().collection::<Conflict>(CONFLICTS);
            for c in conflicts {
                cc.replace_one(doc! { "_id": &c.id }, &c)
                    .upsert(true)
                    .await?;
            }
            // Without conflicts both sides now hold the same documents. The collection is
            // quiet at the fingerprints this pass expects: those taken before it read plus
            // its own writes — if the sides show exactly those now (a pass that moved
            // nothing needs no new reading). Anyone else's change since the first reading
            // shows as a difference, and the next pass runs in full. A sync killed later
            // skips this collection when run again: its progress is checkpointed.
            let settled = if rep.conflicts > 0 {
                None
            } else if !moved {
                Some((fl, fr))
            } else {
                let (now_l, now_r) =
                    futures_util::try_join!(fingerprint(local, coll), fingerprint(remote, coll))?;
                (now_l == expect_l && now_r == expect_r).then_some((now_l, now_r))
            };
            let qc = local.db().collection::<Quiet>(QUIET);
            match settled {
                Some((l, r)) => {
                    let q = Quiet {
                        id: quiet_id.clone(),
                        remote_key: rkey.clone(),
                        collection: coll.to_owned(),
                        local: l,
                        remote: r,
                    };
                    qc.replace_one(doc! { "_id": &quiet_id }, &q)
                        .upsert(true)
                        .await?;
                }
                None => {
                    qc.delete_one(doc! { "_id": &quiet_id }).await?;
                }
            }
        }
        report.collections.push(rep);
    }
    if !dry_run && !report.cancelled {
        // Erasures recorded on either side (now on both) are carried out on both: what this
        // sync copied of an erased participant's data goes again.
        // Seat counters are per store: recount the events whose participants this sync
        // changed, on both sides, so capacity and the waitlist hold everywhere.
        for core in [local, remote] {
            for id in &touched_events {
                if crate::events::get(core, id).await.is_ok() {
                    crate::participants::rsvp::recount(core, id).await?;
                }
            }
        }
        let erased: Vec<String> = local
            .db()
            .collection::<Document>(crate::networking::ERASURES)
            .distinct("_id", doc! {})
            .await?
            .iter()
            .map(id_string)
            .collect();
        for id in &erased {
            crate::networking::erase_data(local, id).await?;
            crate::networking::erase_data(remote, id).await?;
        }
        local
            .db()
            .collection::<Document>(STATE)
            .replace_one(
                doc! { "_id": &rkey },
                doc! { "_id": &rkey, "uri": &remote.info().uri, "database": &remote.info().database,
                "last_sync": bson::DateTime::from_chrono(time::now()) },
            )
            .upsert(true)
            .await?;
    }
    Ok(report)
}

/// Recompute the derived search keys of a merged document from its merged fields.
fn rederive(coll: &str, d: &mut Document) {
    if coll == crate::db::EVENTS {
        if let Ok(e) = time::from_doc::<crate::events::Event>(d.clone()) {
            let (terms, venue_key, title_key) = crate::events::derive(&e.input);
            d.insert("search_terms", terms);
            d.insert("venue_key", venue_key);
            d.insert("title_key", title_key);
        }
    } else if coll == crate::participants::schema::PARTICIPANTS {
        if let Ok(p) = time::from_doc::<crate::participants::Participant>(d.clone()) {
            let (terms, name_key) = crate::participants::derive(&p.input, &p.email_norm);
            d.insert("search_terms", terms);
            d.insert("name_key", name_key);
        }
    }
}

/// When this store last completed a sync (with any remote).
pub async fn last_sync(local: &Core) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    let d = local
        .db()
        .collection::<Document>(STATE)
        .find_one(doc! {})
        .sort(doc! { "last_sync": -1 })
        .await?;
    Ok(d.and_then(|d| d.get_datetime("last_sync").ok().map(|t| t.to_chrono())))
}

/// Local changes made since the last completed sync (versioned documents written since
/// then): what the next sync will at least push.
pub async fn pending(local: &Core) -> Result<u64> {
    let since = last_sync(local).await?;
    let mut n = 0;
    for (coll, kind) in synced_collections() {
        if kind == Kind::AppendOnly {
            continue;
        }
        let filter = match since {
            Some(t) => doc! { "updated_at": { "$gt": bson::DateTime::from_chrono(t) } },
            None => doc! {},
        };
        n += local
            .db()
            .collection::<Document>(coll)
            .count_documents(filter)
            .await?;
    }
    Ok(n)
}

/// Conflicts waiting for the user.
pub async fn conflicts(local: &Core) -> Result<Vec<Conflict>> {
    Ok(local
        .db()
        .collection::<Conflict>(CONFLICTS)
        .find(doc! {})
        .sort(doc! { "detected_at": 1 })
        .await?
        .try_collect()
        .await?)
}

/// Which value wins for each conflicting field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Local,
    Remote,
}

/// Resolve a conflict: merge what merges, take `choices` for the conflicting fields (every
/// one must be chosen), and write the result to both sides.
pub async fn resolve(
    local: &Core,
    remote: &Core,
    conflict_id: &str,
    choices: &HashMap<String, Choice>,
) -> Result<Document> {
    let cc = local.db().collection::<Conflict>(CONFLICTS);
    let c = cc
        .find_one(doc! { "_id": conflict_id })
        .await?
        .ok_or_else(|| Error::not_found(format!("conflict {conflict_id}")))?;
    for f in &c.fields {
        if !choices.contains_key(&f.field) {
            return Err(Error::invalid(
                format!("choices.{}", f.field),
                "choose the local or the remote value",
            ));
        }
    }
    let coll = c.collection.as_str();
    let find = |core: &Core| {
        let core = core.clone();
        let id = c.doc_id.clone();
        async move {
            core.db()
                .collection::<Document>(coll)
                .find_one(doc! { "_id": id })
                .await
        }
    };
    let ld = find(local).await?.unwrap_or_default();
    let rd = find(remote).await?.unwrap_or_default();
    let rkey = remote_key(remote);
    let base = base_doc(local, &rkey, coll, &c.doc_id).await?;
    let mut merged = merge::resolve(base.as_ref(), &ld, &rd, choices, local.actor());
    rederive(coll, &mut merged);
    for core in [remote, local] {
        core.db()
            .collection::<Document>(coll)
            .replace_one(doc! { "_id": &c.doc_id }, merged.clone())
            .upsert(true)
            .await?;
    }
    let key = base_id(&rkey, coll, &c.doc_id);
    local
        .db()
        .collection::<Document>(BASE)
        .replace_one(
            doc! { "_id": &key },
            doc! { "_id": &key, "remote": &rkey, "collection": coll, "hash": hash(&merged), "doc": merged.clone() },
        )
        .upsert(true)
        .await?;
    cc.delete_one(doc! { "_id": conflict_id }).await?;
    Ok(merged)
}
