//! Offline-first sync between the local store and a remote MongoDB (Atlas, or any URI).
//!
//! Which collections travel and how is declared by each feature and collected in
//! [`crate::schema`] (`Policy`, natural key, references, derived fields); this module
//! reads those declarations and has no case of its own for any collection.
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
//! - a versioned document deleted outright on one side (collections declared
//!   `hard_delete`) and unchanged on the other since the base is deleted there too; edited
//!   on the other side, the edit wins and comes back.
//! - append-only collections (audit trail, shared moments) are unions: missing documents
//!   are copied both ways, never in conflict.
//! - keyed collections (feedback answers by question and respondent, imported social posts,
//!   an event's shareable link, erasures) match documents by their natural key, not `_id`,
//!   and the newer `updated_at` wins (ties: the greater `_id`, then `version`, then the
//!   content's hash: the same on every side); the loser is replaced, `_id` included, so
//!   both sides end identical.
//! - versioned collections with a natural key (a participant's e-mail in an event, a
//!   profile per participant, a connection per pair) first merge the documents created
//!   apart under different ids ([`dedupe`]): one survivor everywhere, references moved.
//! - a merged copy's tombstone (`merged_into`) wins over an edit of that copy made on the
//!   other side (an organiser's merge replays everywhere); the edit's fields the survivor
//!   holds differently become a conflict on the survivor.
//! - a value only one live document may hold (`SyncSpec::exclusive`: a seat) given to two
//!   documents apart stays with the one last changed earlier; the other gives it up and a
//!   conflict says so ([`settle_claims`]).
//! - a conflict whose document is gone from both sides since (erased, or merged away and
//!   deleted) is closed at the end of the sync ([`close_vanished_conflicts`]): the
//!   deletion stands on every store, there is nothing left to choose.
//! - derived data (`SyncSpec::derived`: seat counters, answer tallies) is rebuilt on both
//!   sides for the events whose documents the sync changed.
//!
//! **Writes are conditional.** Every replace or delete is matched on the `version` and
//! `updated_at` the plan read ([`apply::guard`]); an insert needs the `_id` free. A write
//! that matches nothing means the app (the portal, a check-in) wrote meanwhile: the
//! document is left as it is and compared again by the next pass, never overwritten.
//!
//! **No document stops a sync.** A write the server refuses is reported
//! ([`DocFailure`]: collection, id, a code and words) and the sync goes on with the other
//! documents and collections; the next pass tries again. Only a server that cannot be
//! reached stops it.
//!
//! **Erasures** are kept (`erasures`, keyed by participant, with `erased_at`): every sync
//! carries each one out on both sides on what was created up to its time, so data a person
//! creates after erasing (opting in again) survives.
//!
//! Idempotent (a second run finds every hash equal) and resumable: the base is updated only
//! after both sides hold the agreed version, so a sync killed at any point converges on the
//! next run.
//!
//! Quiet collections are skipped: before reading a collection, each side's
//! [`fingerprint`] (document count, sum of `updated_at`, sum of `version`, one aggregation
//! on the server) is taken. After a pass in which everything applied and nothing was left
//! in conflict, the fingerprints both sides should show (before + the pass's own writes) are
//! checked and kept in `_sync_quiet`, and the next pass skips the collection while both
//! sides still show them. Any change made by anyone else shows as a difference, and the
//! next pass runs in full. A sync killed midway skips, when run again, the collections it
//! had finished (checkpointed progress).

mod apply;
mod dedupe;
mod merge;
pub mod soak;

use std::{
    collections::{BTreeSet, HashMap, HashSet},
    sync::atomic::{AtomicBool, Ordering},
};

use bson::{doc, Bson, Document};
use futures_util::{future::BoxFuture, TryStreamExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    db::{Policy, SyncSpec},
    error::Code,
    schema, time, Core, Error, Result,
};

use apply::Op;
pub use dedupe::MergedDuplicate;
pub use merge::{merge3, FieldConflict, Merge};

pub const BASE: &str = "_sync_base";
pub const CONFLICTS: &str = "sync_conflicts";
pub const STATE: &str = "_sync_state";
pub const QUIET: &str = "_sync_quiet";

/// The sync's own collections: they stay on this store.
pub fn sync_specs() -> Vec<SyncSpec> {
    [BASE, CONFLICTS, STATE, QUIET]
        .map(|name| SyncSpec::new(name, Policy::LocalOnly))
        .to_vec()
}

/// The collections that travel and how each is synced, in the order a sync visits them.
pub fn synced_collections() -> Vec<(&'static str, Policy)> {
    schema::synced()
        .iter()
        .map(|s| (s.name, s.policy))
        .collect()
}

/// A document the sync could not apply this pass (it is tried again next pass).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct DocFailure {
    pub collection: String,
    /// The document's id (empty when a whole collection could not be read).
    pub id: String,
    pub code: Code,
    /// What went wrong, in words (the server's own text is in the log only).
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct CollectionReport {
    pub collection: String,
    pub pushed: u64,
    pub pulled: u64,
    pub merged: u64,
    pub conflicts: u64,
    pub unchanged: u64,
    /// Nothing changed on either side since a pass that moved nothing: not read.
    pub skipped: bool,
    /// Documents written by someone else while this pass ran: compared again next pass.
    pub deferred: u64,
    /// Documents created apart as the same thing, merged into one.
    pub duplicates: Vec<MergedDuplicate>,
    /// Documents that could not be applied.
    pub failures: Vec<DocFailure>,
}

impl CollectionReport {
    fn new(coll: &str) -> CollectionReport {
        CollectionReport {
            collection: coll.to_owned(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct SyncReport {
    pub dry_run: bool,
    pub collections: Vec<CollectionReport>,
    pub cancelled: bool,
    /// Steps after the collections (erasures, seat counts) that could not be done.
    pub failures: Vec<DocFailure>,
}

impl SyncReport {
    pub fn total(&self, f: impl Fn(&CollectionReport) -> u64) -> u64 {
        self.collections.iter().map(f).sum()
    }

    /// Every document or step that could not be applied.
    pub fn all_failures(&self) -> Vec<&DocFailure> {
        self.collections
            .iter()
            .flat_map(|c| &c.failures)
            .chain(&self.failures)
            .collect()
    }

    /// Whether this pass left anything to do: a later pass would move something.
    pub fn unsettled(&self) -> bool {
        self.total(|c| c.pushed + c.pulled + c.merged + c.deferred) > 0
            || self.collections.iter().any(|c| !c.duplicates.is_empty())
            || !self.all_failures().is_empty()
    }
}

/// Progress: collection being synced and documents examined so far.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SyncProgress {
    pub collection: String,
    pub done: u64,
    pub total: u64,
}

/// Called with a collection's name after its plan is made and before it is applied
/// (tests write through the app here to prove nothing written meanwhile is lost).
pub type BeforeApply = dyn Fn(&str) -> BoxFuture<'static, ()> + Send + Sync;

/// How to run a sync.
pub struct SyncOptions<'a> {
    /// Count what would move and write nothing.
    pub dry_run: bool,
    pub progress: &'a (dyn Fn(&SyncProgress) + Send + Sync),
    pub cancel: &'a AtomicBool,
    pub before_apply: Option<&'a BeforeApply>,
}

/// A recorded conflict, waiting for the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
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
    #[ts(type = "string")]
    pub detected_at: chrono::DateTime<chrono::Utc>,
    /// For two copies merged into one (`doc_id` kept): the id of the other copy, whose
    /// values are the `remote` ones of `fields` (the kept values are the `local` ones).
    #[serde(default)]
    pub merged_from: Option<String>,
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

    /// How applying `ops` changes a fingerprint.
    fn delta<'a>(ops: impl Iterator<Item = &'a Op>) -> Fingerprint {
        let mut f = Fingerprint::default();
        for op in ops {
            match op {
                Op::Insert(d) => f.add(Fingerprint::of(d)),
                Op::Delete(d) => f.sub(Fingerprint::of(d)),
                Op::Replace { old, new } => {
                    f.sub(Fingerprint::of(old));
                    f.add(Fingerprint::of(new));
                }
            }
        }
        f
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

/// A keyed document's match key: its natural key's values.
fn match_key(spec: &SyncSpec, d: &Document) -> String {
    spec.natural_key
        .iter()
        .map(|f| d.get(*f).map(id_string).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// Every document of a collection by `_id`, or by natural key for a keyed collection.
async fn all(core: &Core, spec: &SyncSpec) -> Result<HashMap<String, Document>> {
    let mut out = HashMap::new();
    let mut cur = core
        .db()
        .collection::<Document>(spec.name)
        .find(doc! {})
        .await?;
    while let Some(d) = cur.try_next().await? {
        let key = match spec.policy {
            Policy::Keyed => Some(match_key(spec, &d)),
            _ => d.get("_id").map(id_string),
        };
        if let Some(k) = key {
            out.insert(k, d);
        }
    }
    Ok(out)
}

/// The newer of two versions of a keyed document: `updated_at` (else `created_at`), then
/// the greater `_id`, then the greater `version`, then the greater content hash, so every
/// side picks the same one (two copies of one document written in the same millisecond
/// on two stores would otherwise each keep their own, and be exchanged at every sync).
pub(crate) fn newer<'a>(a: &'a Document, b: &'a Document) -> &'a Document {
    let at = |d: &Document| {
        d.get_datetime("updated_at")
            .or_else(|_| d.get_datetime("created_at"))
            .map(|t| t.timestamp_millis())
            .unwrap_or(i64::MIN)
    };
    let id = |d: &Document| d.get("_id").map(id_string).unwrap_or_default();
    let v = |d: &Document| crate::feedback::num(d.get("version"));
    match (at(a), id(a), v(a)).cmp(&(at(b), id(b), v(b))) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        std::cmp::Ordering::Equal if hash(a) >= hash(b) => a,
        std::cmp::Ordering::Equal => b,
    }
}

pub(crate) fn id_string(b: &Bson) -> String {
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

fn label(d: &Document) -> String {
    for k in ["title", "name", "email"] {
        if let Ok(s) = d.get_str(k) {
            if !s.is_empty() {
                return s.to_owned();
            }
        }
    }
    d.get("_id").map(id_string).unwrap_or_default()
}

/// What one document needs: writes on each side, the new agreed base, a conflict.
#[derive(Default)]
struct Plan {
    id: String,
    local: Vec<Op>,
    remote: Vec<Op>,
    /// The agreed version to record once both sides hold it.
    base: Option<Document>,
    /// The agreed version is gone (deleted on both sides).
    forget: bool,
    conflict: Option<Conflict>,
    /// A merged copy's tombstone reaches a side that held it live: (side is local, from,
    /// into) — references there move to the survivor.
    remap: Option<(bool, String, String)>,
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
    sync_with(
        local,
        remote,
        &SyncOptions {
            dry_run,
            progress,
            cancel,
            before_apply: None,
        },
    )
    .await
}

/// A step's error: a server out of reach stops the sync; anything else is reported.
fn keep_going(failures: &mut Vec<DocFailure>, coll: &str, id: &str, e: Error) -> Result<()> {
    if e.code == Code::DbUnavailable {
        return Err(e);
    }
    failures.push(apply::failure(coll, id, None, &e));
    Ok(())
}

/// [`sync`] with every option.
pub async fn sync_with(local: &Core, remote: &Core, o: &SyncOptions<'_>) -> Result<SyncReport> {
    let rkey = remote_key(remote);
    let mut report = SyncReport {
        dry_run: o.dry_run,
        ..Default::default()
    };
    let mut touched = Touched::default();
    let now = bson::DateTime::from_chrono(time::now());
    if !o.dry_run {
        if let Err(e) = carry_out_erasures(local, remote).await {
            keep_going(&mut report.failures, crate::networking::ERASURES, "", e)?;
        }
    }
    for spec in schema::synced() {
        if o.cancel.load(Ordering::Relaxed) {
            report.cancelled = true;
            break;
        }
        match collection(local, remote, &spec, &rkey, o, now, &mut touched).await {
            Ok(rep) => report.collections.push(rep),
            Err(e) => {
                let mut rep = CollectionReport::new(spec.name);
                keep_going(&mut rep.failures, spec.name, "", e)?;
                report.collections.push(rep);
            }
        }
    }
    if !o.dry_run && !report.cancelled {
        // Derived data is per store (seat counters, answer tallies): rebuilt, on both
        // sides, for the events whose documents this sync changed, so capacity, the
        // waitlist and the dashboard hold everywhere.
        for (coll, events) in &touched.0 {
            let Some(derived) = schema::spec(coll).and_then(|s| s.derived) else {
                continue;
            };
            for core in [local, remote] {
                for id in events {
                    if crate::events::get(core, id).await.is_ok() {
                        if let Err(e) = (derived.rebuild)(core, id).await {
                            keep_going(&mut report.failures, derived.name, id, e)?;
                        }
                    }
                }
            }
        }
        if let Err(e) = carry_out_erasures(local, remote).await {
            keep_going(&mut report.failures, crate::networking::ERASURES, "", e)?;
        }
        if let Err(e) = close_vanished_conflicts(local, remote, &rkey).await {
            keep_going(&mut report.failures, CONFLICTS, "", e)?;
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

/// Close the conflicts with `remote` whose document no longer exists on either side, or,
/// for a conflict between the two sides' versions of one document, on one of them.
/// Run last, after the erasures: both sides hold what this sync agreed.
///
/// A conflict waits on this store for the user while other stores go on syncing, and the
/// document it is about may go meanwhile on every store: deleted outright by an erasure
/// (a networking profile whose two copies this store merged, its company in conflict,
/// erased on another laptop), or dropped when its participant was merged into one who
/// already had a profile (one profile per participant). Nothing is left to choose then:
/// the deletion is what every store holds, and it stands. Kept open, such a conflict could
/// never be resolved ([`resolve`] has no document to write the choice to), the user would
/// be asked again after every sync, and the stores would never be settled. A document that
/// comes back later (an edit made on a third store wins over a delete) is compared afresh
/// by the next sync, which records a new conflict if there is one.
async fn close_vanished_conflicts(local: &Core, remote: &Core, rkey: &str) -> Result<u64> {
    let cc = local.db().collection::<Document>(CONFLICTS);
    let open: Vec<Document> = cc
        .find(doc! { "remote": rkey })
        .projection(doc! { "collection": 1, "doc_id": 1, "merged_from": 1 })
        .await?
        .try_collect()
        .await?;
    let mut closed = 0;
    for c in open {
        let (Ok(coll), Ok(id)) = (c.get_str("collection"), c.get_str("doc_id")) else {
            continue;
        };
        // A conflict between two versions of one document whose copy on one side is gone
        // (deleted outright there since: merged into the copy another person already had,
        // erased): nothing is left to choose between; this sync compared what is left.
        let two_sided = !matches!(c.get("merged_from"), Some(Bson::String(_)));
        let (l, r) = (
            exists(local, coll, id).await?,
            exists(remote, coll, id).await?,
        );
        if !(l || r) || (two_sided && l != r) {
            let at = c.get("_id").cloned().unwrap_or(Bson::Null);
            closed += cc.delete_one(doc! { "_id": at }).await?.deleted_count;
            tracing::info!(
                collection = coll,
                id,
                "sync: a conflict about a document deleted since is closed"
            );
        }
    }
    Ok(closed)
}

/// Whether `coll` holds a document `id` (live or tombstone) on `core`.
async fn exists(core: &Core, coll: &str, id: &str) -> Result<bool> {
    let found = core
        .db()
        .collection::<Document>(coll)
        .find_one(doc! { "_id": id })
        .projection(doc! { "_id": 1 })
        .await?;
    Ok(found.is_some())
}

/// The events whose documents a sync changed, per collection: their derived data is
/// rebuilt at the end.
#[derive(Default)]
struct Touched(std::collections::BTreeMap<&'static str, BTreeSet<String>>);

impl Touched {
    fn add(&mut self, coll: &'static str, event_id: &str) {
        self.0.entry(coll).or_default().insert(event_id.to_owned());
    }

    /// Documents of `coll` merged into one: what references them moved too.
    fn add_with_referrers(&mut self, coll: &'static str, event_id: &str) {
        self.add(coll, event_id);
        for (s, _) in schema::references_to(coll) {
            self.add(s.name, event_id);
        }
    }
}

/// Every erasure recorded on either side is carried out on both, on what was created up
/// to its time (the latest, when both sides recorded one). Run before the collections (so
/// erased data is neither copied nor merged with what the person created since) and
/// after them (what this sync copied of older data goes again); what the person created
/// after erasing (opting in again) stays.
async fn carry_out_erasures(local: &Core, remote: &Core) -> Result<()> {
    let mut until: HashMap<String, Option<bson::DateTime>> = HashMap::new();
    for core in [local, remote] {
        let erasures: Vec<Document> = core
            .db()
            .collection::<Document>(crate::networking::ERASURES)
            .find(doc! {})
            .await?
            .try_collect()
            .await?;
        for e in &erasures {
            let Some(id) = e.get("_id").map(id_string) else {
                continue;
            };
            let at = e.get_datetime("erased_at").ok().copied();
            let slot = until.entry(id).or_insert(at);
            *slot = (*slot).max(at);
        }
    }
    for (id, at) in &until {
        for core in [local, remote] {
            crate::networking::export::erase_data_until(core, id, *at).await?;
        }
    }
    Ok(())
}

/// Sync one collection.
#[allow(clippy::too_many_arguments)]
async fn collection(
    local: &Core,
    remote: &Core,
    spec: &SyncSpec,
    rkey: &str,
    o: &SyncOptions<'_>,
    now: bson::DateTime,
    touched: &mut Touched,
) -> Result<CollectionReport> {
    let coll = spec.name;
    // Fingerprints first: a change made while the documents are read shows next time.
    let (fl, fr) = futures_util::try_join!(fingerprint(local, coll), fingerprint(remote, coll))?;
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
        (o.progress)(&SyncProgress {
            collection: coll.to_owned(),
            done: n,
            total: n,
        });
        return Ok(CollectionReport {
            collection: coll.to_owned(),
            unchanged: n,
            skipped: true,
            ..Default::default()
        });
    }
    let mut l = all(local, spec).await?;
    let mut r = all(remote, spec).await?;
    let mut rep = CollectionReport::new(coll);
    let mut hold: HashSet<String> = HashSet::new();
    let mut gone: Vec<String> = vec![];
    let mut conflicts: Vec<Conflict> = vec![];
    let mut pre_wrote = false;
    let b = if spec.policy == Policy::Versioned {
        base_hashes(local, rkey, coll).await?
    } else {
        HashMap::new()
    };
    if spec.policy == Policy::Versioned && !spec.natural_key.is_empty() {
        let d = dedupe::merge_groups(
            local, remote, spec, rkey, &mut l, &mut r, &b, o.dry_run, now,
        )
        .await?;
        for m in &d.merged {
            for id in [&m.survivor, &m.merged] {
                if let Some(e) = l
                    .get(id)
                    .or_else(|| r.get(id))
                    .and_then(|d| d.get_str("event_id").ok())
                {
                    touched.add_with_referrers(coll, e);
                }
            }
        }
        rep.duplicates = d.merged;
        rep.failures.extend(d.failures);
        rep.deferred += d.deferred;
        rep.conflicts += d.conflicts.len() as u64;
        conflicts.extend(d.conflicts);
        hold = d.hold;
        gone.extend(d.gone);
        pre_wrote = d.wrote;
    }
    let keys: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
    // For keyed collections: each side's keys by `_id`.
    let by_id = |m: &HashMap<String, Document>| -> HashMap<String, String> {
        if spec.policy != Policy::Keyed {
            return HashMap::new();
        }
        m.iter().map(|(k, d)| (doc_id(d), k.clone())).collect()
    };
    let (l_ids, r_ids) = (by_id(&l), by_id(&r));
    let total = keys.len() as u64;
    // Deletes propagate only for collections that delete outright, and never from a side
    // that is empty (a new or wiped remote is not "everything was deleted").
    let hard = spec.hard_delete && !l.is_empty() && !r.is_empty();
    let mut plans: Vec<Plan> = vec![];
    for (i, key) in keys.iter().enumerate() {
        if hold.contains(*key) {
            continue;
        }
        let (ld, rd) = (l.get(*key), r.get(*key));
        let mut p = Plan {
            id: (*key).clone(),
            ..Default::default()
        };
        match spec.policy {
            Policy::LocalOnly => {}
            Policy::AppendOnly => match (ld, rd) {
                (Some(d), None) => {
                    rep.pushed += 1;
                    p.remote.push(Op::Insert(d.clone()));
                }
                (None, Some(d)) => {
                    rep.pulled += 1;
                    p.local.push(Op::Insert(d.clone()));
                }
                _ => rep.unchanged += 1,
            },
            Policy::Keyed => match (ld, rd) {
                // One document whose key was rewritten on one side only (an answer moved
                // to a merged participant): the newer version wins, by its `_id`, on the
                // pass over its own key; the older key's pass does nothing.
                (Some(d), None) if r_ids.contains_key(&doc_id(d)) => {
                    let other = &r[&r_ids[&doc_id(d)]];
                    if std::ptr::eq(newer(d, other), d) {
                        rep.pushed += 1;
                        p.remote.push(Op::Replace {
                            old: other.clone(),
                            new: d.clone(),
                        });
                    }
                }
                (None, Some(d)) if l_ids.contains_key(&doc_id(d)) => {
                    let other = &l[&l_ids[&doc_id(d)]];
                    if std::ptr::eq(newer(d, other), d) {
                        rep.pulled += 1;
                        p.local.push(Op::Replace {
                            old: other.clone(),
                            new: d.clone(),
                        });
                    }
                }
                (Some(d), None) => {
                    rep.pushed += 1;
                    p.remote.push(Op::Insert(d.clone()));
                }
                (None, Some(d)) => {
                    rep.pulled += 1;
                    p.local.push(Op::Insert(d.clone()));
                }
                (Some(ld), Some(rd)) if hash(ld) == hash(rd) => rep.unchanged += 1,
                (Some(ld), Some(rd)) => {
                    let same_id = ld.get("_id") == rd.get("_id");
                    let (win, lose, side) = if std::ptr::eq(newer(ld, rd), ld) {
                        rep.pushed += 1;
                        (ld, rd, &mut p.remote)
                    } else {
                        rep.pulled += 1;
                        (rd, ld, &mut p.local)
                    };
                    if same_id {
                        side.push(Op::Replace {
                            old: lose.clone(),
                            new: win.clone(),
                        });
                    } else {
                        side.push(Op::Delete(lose.clone()));
                        side.push(Op::Insert(win.clone()));
                    }
                }
                (None, None) => {}
            },
            Policy::Versioned => {
                let (lh, rh) = (ld.map(hash), rd.map(hash));
                let bh = b.get(*key).cloned();
                if lh.is_some() && lh == rh {
                    rep.unchanged += 1;
                    if bh != lh {
                        p.base = ld.cloned();
                        plans.push(p);
                    }
                    continue;
                }
                match (ld, rd) {
                    // Deleted outright on one side, unchanged on the other: delete it there
                    // too (and forget the base).
                    (Some(d), None) if hard && bh.is_some() && lh == bh => {
                        rep.pulled += 1;
                        p.local.push(Op::Delete(d.clone()));
                        p.forget = true;
                    }
                    (None, Some(d)) if hard && bh.is_some() && rh == bh => {
                        rep.pushed += 1;
                        p.remote.push(Op::Delete(d.clone()));
                        p.forget = true;
                    }
                    (Some(d), None) => {
                        rep.pushed += 1;
                        p.remote.push(Op::Insert(d.clone()));
                        p.base = Some(d.clone());
                    }
                    (None, Some(d)) => {
                        rep.pulled += 1;
                        p.local.push(Op::Insert(d.clone()));
                        p.base = Some(d.clone());
                    }
                    (Some(ld), Some(rd)) if bh.is_some() && lh == bh => {
                        rep.pulled += 1;
                        p.local.push(Op::Replace {
                            old: ld.clone(),
                            new: rd.clone(),
                        });
                        p.base = Some(rd.clone());
                    }
                    (Some(ld), Some(rd)) if bh.is_some() && rh == bh => {
                        rep.pushed += 1;
                        p.remote.push(Op::Replace {
                            old: rd.clone(),
                            new: ld.clone(),
                        });
                        p.base = Some(ld.clone());
                    }
                    // One side merged this copy into another (the organiser's merge, or
                    // duplicates merged by a sync), the other edited it meanwhile: the
                    // merge stands, and what the edit changed that the survivor holds
                    // differently is a conflict on the survivor, to choose from.
                    (Some(ld), Some(rd)) if merged_away(ld) != merged_away(rd) => {
                        let (tomb, edited, to_local) = if merged_away(ld) {
                            rep.pushed += 1;
                            (ld, rd, false)
                        } else {
                            rep.pulled += 1;
                            (rd, ld, true)
                        };
                        let op = Op::Replace {
                            old: edited.clone(),
                            new: tomb.clone(),
                        };
                        if to_local {
                            p.local.push(op);
                        } else {
                            p.remote.push(op);
                        }
                        p.base = Some(tomb.clone());
                        let into = tomb.get_str("merged_into").unwrap_or_default();
                        let base = base_doc(local, rkey, coll, key).await?;
                        if let Some(survivor) = l.get(into).or_else(|| r.get(into)) {
                            let fields = merge::carried_edits(base.as_ref(), edited, survivor);
                            if !fields.is_empty() {
                                rep.conflicts += 1;
                                p.conflict = Some(Conflict {
                                    id: format!("{}:{key}", base_id(rkey, coll, into)),
                                    remote: rkey.to_owned(),
                                    collection: coll.to_owned(),
                                    doc_id: into.to_owned(),
                                    label: label(survivor),
                                    fields,
                                    local_by: survivor
                                        .get_str("updated_by")
                                        .unwrap_or_default()
                                        .to_owned(),
                                    remote_by: edited
                                        .get_str("updated_by")
                                        .unwrap_or_default()
                                        .to_owned(),
                                    detected_at: time::now(),
                                    merged_from: Some((*key).clone()),
                                });
                            }
                        }
                    }
                    (Some(ld), Some(rd)) => {
                        match merge3(base_doc(local, rkey, coll, key).await?.as_ref(), ld, rd) {
                            Merge::Clean(mut m) => {
                                if let Some(derive) = spec.derive {
                                    derive(&mut m);
                                }
                                rep.merged += 1;
                                p.local.push(Op::Replace {
                                    old: ld.clone(),
                                    new: m.clone(),
                                });
                                p.remote.push(Op::Replace {
                                    old: rd.clone(),
                                    new: m.clone(),
                                });
                                p.base = Some(m);
                            }
                            Merge::Conflicts(fields) => {
                                rep.conflicts += 1;
                                p.conflict = Some(Conflict {
                                    id: base_id(rkey, coll, key),
                                    remote: rkey.to_owned(),
                                    collection: coll.to_owned(),
                                    doc_id: (*key).clone(),
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
                                    merged_from: None,
                                });
                            }
                        }
                    }
                    (None, None) => {}
                }
                // A merged copy's tombstone reaching a side where it was live (or absent):
                // what that side holds of it moves to the survivor.
                for (to_local, ops, old) in [(true, &p.local, ld), (false, &p.remote, rd)] {
                    let into = ops.iter().find_map(|op| match op {
                        Op::Insert(d) | Op::Replace { new: d, .. } => {
                            d.get_str("merged_into").ok().map(str::to_owned)
                        }
                        Op::Delete(_) => None,
                    });
                    let was_merged = old.is_some_and(|d| d.contains_key("merged_into"));
                    if let (Some(into), false) = (into, was_merged) {
                        p.remap = Some((to_local, (*key).clone(), into));
                    }
                }
            }
        }
        if !p.local.is_empty() || !p.remote.is_empty() || p.conflict.is_some() {
            plans.push(p);
        }
        if i % 1000 == 0 {
            (o.progress)(&SyncProgress {
                collection: coll.to_owned(),
                done: i as u64,
                total,
            });
        }
    }
    (o.progress)(&SyncProgress {
        collection: coll.to_owned(),
        done: total,
        total,
    });
    if let Some(ex) = spec.exclusive {
        settle_claims(
            spec,
            ex,
            &l,
            &r,
            &hold,
            &mut plans,
            rkey,
            now,
            local.actor(),
            &mut rep,
        );
    }
    for p in &plans {
        for op in p.local.iter().chain(&p.remote) {
            let docs = match op {
                Op::Insert(d) | Op::Delete(d) => [Some(d), None],
                Op::Replace { old, new } => [Some(old), Some(new)],
            };
            for e in docs
                .iter()
                .flatten()
                .filter_map(|d| d.get_str("event_id").ok())
            {
                if p.remap.is_some() {
                    touched.add_with_referrers(coll, e);
                } else {
                    touched.add(coll, e);
                }
            }
        }
    }
    if o.dry_run {
        return Ok(rep);
    }
    if let Some(hook) = o.before_apply {
        hook(coll).await;
    }

    // Both sides first (the remote, then the local side for what the remote took), then
    // the agreed base: a sync killed in between repeats conditional writes next time.
    let tag = |side: fn(&Plan) -> &Vec<Op>| -> Vec<(usize, Op)> {
        plans
            .iter()
            .enumerate()
            .flat_map(|(i, p)| side(p).iter().cloned().map(move |op| (i, op)))
            .collect()
    };
    let (rops, lops) = (tag(|p| &p.remote), tag(|p| &p.local));
    let expect_r = fr.plus(Fingerprint::delta(rops.iter().map(|(_, op)| op)));
    let expect_l = fl.plus(Fingerprint::delta(lops.iter().map(|(_, op)| op)));
    let ro = apply::apply(remote, coll, rops, &apply::Outcome::default()).await?;
    let lo = apply::apply(local, coll, lops, &ro).await?;
    let bases = local.db().collection::<Document>(BASE);
    let mut moved_all = true;
    for (i, p) in plans.iter().enumerate() {
        if let Some(f) = ro.failed.get(&i).or_else(|| lo.failed.get(&i)) {
            rep.failures.push(f.clone());
            moved_all = false;
            continue;
        }
        if !ro.ok(i) || !lo.ok(i) {
            rep.deferred += 1;
            moved_all = false;
            continue;
        }
        let key = base_id(rkey, coll, &p.id);
        if let Some(d) = &p.base {
            bases
                .replace_one(
                    doc! { "_id": &key },
                    doc! { "_id": &key, "remote": rkey, "collection": coll, "hash": hash(d), "doc": d },
                )
                .upsert(true)
                .await?;
        }
        if p.forget {
            bases.delete_one(doc! { "_id": &key }).await?;
        }
        if let Some(c) = &p.conflict {
            conflicts.push(c.clone());
        }
        // On both sides: the side that already knew of the merge may have received, since
        // its own rewrite, documents naming the merged copy (written where it was still
        // live, pushed before its tombstone could be applied there).
        if let Some((_, from, into)) = &p.remap {
            for core in [local, remote] {
                if let Err(e) = dedupe::remap(core, coll, from, into, now).await {
                    keep_going(&mut rep.failures, coll, from, e)?;
                }
            }
        }
    }
    for id in &gone {
        bases
            .delete_one(doc! { "_id": base_id(rkey, coll, id) })
            .await?;
    }
    let cc = local.db().collection::<Conflict>(CONFLICTS);
    for c in &conflicts {
        cc.replace_one(doc! { "_id": &c.id }, c)
            .upsert(true)
            .await?;
    }
    // With everything applied and nothing in conflict both sides now hold the same
    // documents. The collection is quiet at the fingerprints this pass expects: those
    // taken before it read plus its own writes — if the sides show exactly those now (a
    // pass that moved nothing needs no new reading). Anyone else's change since the first
    // reading shows as a difference, and the next pass runs in full.
    let moved = !plans.is_empty();
    let settled = if rep.conflicts > 0 || !moved_all || pre_wrote || !rep.failures.is_empty() {
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
                remote_key: rkey.to_owned(),
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
    Ok(rep)
}

fn doc_id(d: &Document) -> String {
    d.get("_id").map(id_string).unwrap_or_default()
}

/// A tombstone left by merging this copy into another (`merged_into`).
fn merged_away(d: &Document) -> bool {
    d.contains_key("merged_into") && matches!(d.get("deleted_at"), Some(Bson::DateTime(_)))
}

/// A field's value at a dotted path (`seat.label`).
fn path<'a>(d: &'a Document, p: &str) -> Option<&'a Bson> {
    let mut parts = p.split('.');
    let mut cur = d.get(parts.next()?)?;
    for part in parts {
        cur = match cur {
            Bson::Document(sub) => sub.get(part)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Two documents that will hold the same exclusive value once this pass is applied (two
/// stores seated two people on one seat): the one last changed earlier (`updated_at`,
/// then the smaller `_id`) keeps it; every other gives it up — a new version written to
/// both sides, before anything is given the value (see [`apply::apply`]) — and a conflict
/// names who lost what. Every store reaches the same result whichever syncs first: the
/// pass that first sees both copies settles it, by their own fields.
#[allow(clippy::too_many_arguments)]
fn settle_claims(
    spec: &SyncSpec,
    ex: crate::db::Exclusive,
    l: &HashMap<String, Document>,
    r: &HashMap<String, Document>,
    hold: &HashSet<String>,
    plans: &mut Vec<Plan>,
    rkey: &str,
    now: bson::DateTime,
    actor: &str,
    rep: &mut CollectionReport,
) {
    let planned: HashMap<String, usize> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.clone(), i))
        .collect();
    let ids: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
    // What each document will be after this pass. A document this pass leaves as it is on
    // each side (in conflict, or held) keeps what it holds there: it cannot give it up now,
    // so it comes first.
    let mut claims: HashMap<Vec<String>, Vec<(bool, Document)>> = HashMap::new();
    let key_of = |d: &Document| -> Option<Vec<String>> {
        if matches!(d.get("deleted_at"), Some(Bson::DateTime(_))) {
            return None;
        }
        ex.key
            .iter()
            .map(|k| match path(d, k) {
                None | Some(Bson::Null) => None,
                Some(v) => Some(id_string(v)),
            })
            .collect()
    };
    for id in ids {
        let fixed = hold.contains(id)
            || planned
                .get(id)
                .is_some_and(|&i| plans[i].conflict.is_some());
        if fixed {
            let mut seen: Vec<Vec<String>> = vec![];
            for d in [l.get(id), r.get(id)].into_iter().flatten() {
                if let Some(key) = key_of(d).filter(|k| !seen.contains(k)) {
                    seen.push(key.clone());
                    claims.entry(key).or_default().push((true, d.clone()));
                }
            }
            continue;
        }
        let after = match planned.get(id).map(|&i| &plans[i]) {
            Some(p) if !p.local.is_empty() || !p.remote.is_empty() => {
                match p.local.iter().chain(&p.remote).find_map(|op| match op {
                    Op::Insert(d) | Op::Replace { new: d, .. } => Some(d),
                    Op::Delete(_) => None,
                }) {
                    Some(d) => d,
                    None => continue,
                }
            }
            _ => match l.get(id).or_else(|| r.get(id)) {
                Some(d) => d,
                None => continue,
            },
        };
        if let Some(key) = key_of(after) {
            claims.entry(key).or_default().push((false, after.clone()));
        }
    }
    let order = |(fixed, d): &(bool, Document)| {
        (
            !fixed,
            d.get_datetime("updated_at")
                .map(|t| t.timestamp_millis())
                .unwrap_or(i64::MAX),
            d.get("_id").map(id_string).unwrap_or_default(),
        )
    };
    let mut groups: Vec<Vec<(bool, Document)>> =
        claims.into_values().filter(|g| g.len() > 1).collect();
    groups.sort_by_key(|g| g.iter().map(order).min());
    for mut group in groups {
        group.sort_by_key(order);
        let (_, winner) = group.remove(0);
        for (fixed, loser) in group {
            if fixed {
                // Two documents that both stay as they are: the server refuses the second
                // until the user settles the conflict.
                continue;
            }
            let id = loser.get("_id").map(id_string).unwrap_or_default();
            let mut new = loser.clone();
            let lost = new.remove(ex.release);
            let v = crate::feedback::num(loser.get("version"));
            crate::db::stamp_document(&mut new, v + 1, Some(now.into()), Some(actor.into()));
            if let Some(derive) = spec.derive {
                derive(&mut new);
            }
            let write = |old: Option<&Document>| match old {
                Some(old) if hash(old) == hash(&new) => vec![],
                Some(old) => vec![Op::Replace {
                    old: old.clone(),
                    new: new.clone(),
                }],
                None => vec![Op::Insert(new.clone())],
            };
            let i = match planned.get(&id) {
                Some(&i) => i,
                None => {
                    plans.push(Plan {
                        id: id.clone(),
                        ..Default::default()
                    });
                    plans.len() - 1
                }
            };
            let p = &mut plans[i];
            p.local = write(l.get(&id));
            p.remote = write(r.get(&id));
            p.base = Some(new.clone());
            p.forget = false;
            rep.conflicts += 1;
            p.conflict = Some(Conflict {
                id: format!("{}:{}", base_id(rkey, spec.name, &id), ex.release),
                remote: rkey.to_owned(),
                collection: spec.name.to_owned(),
                doc_id: id.clone(),
                label: label(&loser),
                fields: vec![FieldConflict {
                    field: ex.release.to_owned(),
                    base: None,
                    // What this one was given, and that it now has none.
                    local: lost,
                    remote: None,
                }],
                local_by: loser.get_str("updated_by").unwrap_or_default().to_owned(),
                remote_by: winner.get_str("updated_by").unwrap_or_default().to_owned(),
                detected_at: time::now(),
                merged_from: None,
            });
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
    for (coll, policy) in synced_collections() {
        if policy == Policy::AppendOnly {
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Local,
    Remote,
}

fn changed_meanwhile() -> Error {
    Error::new(
        Code::Conflict,
        "the document changed since the conflict was found: sync again, then choose",
    )
}

/// Resolve a conflict: merge what merges, take `choices` for the conflicting fields (every
/// one must be chosen), and write the result to both sides — each write conditioned on
/// the version read, so a change made meanwhile is never overwritten.
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
    let spec = schema::spec(coll);
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
    let ld = find(local).await?;
    let rd = find(remote).await?;
    if c.merged_from.is_none() && ld.is_some() != rd.is_some() {
        // Deleted outright on one side since the conflict was found (merged into another
        // person's, who had one; erased): there is no longer a pair of values to choose
        // from, and the next sync compares what is left afresh (see
        // [`close_vanished_conflicts`]).
        cc.delete_one(doc! { "_id": conflict_id }).await?;
        return Err(Error::new(
            Code::NotFound,
            "the document was deleted on one side since the conflict was found: the conflict is closed, the next sync compares it again",
        ));
    }
    if ld.is_none() && rd.is_none() {
        // Deleted on both sides since the conflict was found (see
        // [`close_vanished_conflicts`]): the deletion stands, nothing is left to choose.
        cc.delete_one(doc! { "_id": conflict_id }).await?;
        return Err(Error::new(
            Code::NotFound,
            "the document was deleted on both sides since the conflict was found: the conflict is closed",
        ));
    }
    let rkey = remote_key(remote);
    let mut merged = if c.merged_from.is_some() {
        // Two copies merged into one: the survivor as it stands, with the chosen values.
        let mut m = ld
            .clone()
            .or_else(|| rd.clone())
            .ok_or_else(|| Error::not_found(format!("{coll} {}", c.doc_id)))?;
        for f in &c.fields {
            let v = match choices.get(&f.field) {
                Some(Choice::Remote) => &f.remote,
                _ => &f.local,
            };
            match v {
                Some(v) => m.insert(f.field.clone(), v.clone()),
                None => m.remove(&f.field),
            };
        }
        let v = [&ld, &rd]
            .iter()
            .filter_map(|d| d.as_ref())
            .map(|d| crate::feedback::num(d.get("version")))
            .max()
            .unwrap_or(0);
        crate::db::stamp_document(
            &mut m,
            v + 1,
            Some(bson::DateTime::from_chrono(time::now()).into()),
            Some(local.actor().into()),
        );
        m
    } else {
        let base = base_doc(local, &rkey, coll, &c.doc_id).await?;
        merge::resolve(
            base.as_ref(),
            &ld.clone().unwrap_or_default(),
            &rd.clone().unwrap_or_default(),
            choices,
            local.actor(),
        )
    };
    if let Some(derive) = spec.and_then(|s| s.derive) {
        derive(&mut merged);
    }
    for (core, old) in [(remote, &rd), (local, &ld)] {
        let cl = core.db().collection::<Document>(coll);
        match old {
            Some(old) => {
                if apply::replace(core, coll, old, &merged).await? == 0 {
                    return Err(changed_meanwhile());
                }
            }
            None => {
                if let Err(e) = cl.insert_one(merged.clone()).await {
                    let e = Error::from(e);
                    return Err(if e.code == Code::Duplicate {
                        changed_meanwhile()
                    } else {
                        e
                    });
                }
            }
        }
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
    // What is derived per event (seat counters, answer tallies) is rebuilt for the event
    // the chosen document belongs to: an event brought back by the choice had its data
    // pulled while it was deleted, when nothing was rebuilt for it.
    let event_id = if coll == crate::db::EVENTS {
        Some(c.doc_id.clone())
    } else {
        merged.get_str("event_id").ok().map(str::to_owned)
    };
    if let Some(ev) = event_id {
        for derived in schema::sync_specs().iter().filter_map(|s| s.derived) {
            for core in [local, remote] {
                if crate::events::get(core, &ev).await.is_ok() {
                    (derived.rebuild)(core, &ev).await?;
                }
            }
        }
    }
    Ok(merged)
}
