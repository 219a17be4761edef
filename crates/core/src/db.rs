//! The connection: one `mongodb::Client` (Arc-backed, cloned, never behind a lock), what
//! the connected server can do — detected by asking it, not assumed — and the helpers the
//! features use to declare their collections ([`CollectionSpec`], [`SyncSpec`]) and to
//! write the metadata every versioned document carries ([`stamp`]). It imports no
//! feature: `crate::schema`, above the features, collects their declarations and
//! ensures them at connection ([`Core::connect`]).

use std::{sync::Arc, time::Duration};

use bson::{doc, Document};
use mongodb::{options::ClientOptions, Client, Database, IndexModel};
use serde::Serialize;

use crate::{config, error::Code, Error, Result};

/// What the connected server supports. Each flag is measured by a probe at connect time.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ts_rs::TS)]
pub struct Capabilities {
    /// `$text` queries and text indexes.
    pub text_search: bool,
    /// Hashed indexes.
    pub hashed_index: bool,
    /// Change streams (`watch()`): needs a replica set.
    pub change_streams: bool,
    /// Multi-document transactions: needs a replica set.
    pub transactions: bool,
}

impl Capabilities {
    /// Human names of the features this server lacks (shown in the UI and `db status`).
    pub fn missing(&self) -> Vec<&'static str> {
        let mut v = vec![];
        if !self.text_search {
            v.push("$text");
        }
        if !self.hashed_index {
            v.push("hashed indexes");
        }
        if !self.change_streams {
            v.push("change streams");
        }
        if !self.transactions {
            v.push("transactions");
        }
        v
    }
}

/// Which server EventHub talks to.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ServerInfo {
    /// The connection string with any password replaced by `***`.
    pub uri: String,
    pub database: String,
    /// `MongoDB`, `SecantusDB`, … as reported by `buildInfo`.
    pub engine: String,
    pub version: String,
    /// Replica set name, if any.
    pub replica_set: Option<String>,
    pub capabilities: Capabilities,
    /// Same as `capabilities.missing()`, for front ends that only display.
    pub missing: Vec<String>,
}

/// The handle every core operation takes. Cheap to clone.
#[derive(Clone)]
pub struct Core {
    client: Client,
    db: Database,
    info: Arc<ServerInfo>,
    actor: Arc<str>,
    /// How the feedback tallies follow the answers, one per database (see
    /// `feedback::counters` and `feedback::follow`).
    tallies: Arc<crate::feedback::counters::Counting>,
    /// What the portal's answer path reads and keeps for a moment (see `feedback::lookups`).
    lookups: Arc<crate::feedback::lookups::Lookups>,
    /// Where the event list's windows are cut (see `events::window`), one per database.
    event_cuts: Arc<crate::events::window::CutCache>,
}

pub const EVENTS: &str = "events";

/// One collection the app owns: its name, optional `$jsonSchema` validator and indexes.
pub struct CollectionSpec {
    pub name: &'static str,
    pub validator: Option<Document>,
    pub indexes: Vec<IndexModel>,
}

/// The one place the metadata block of a versioned write is written: `update` (a
/// document of update operators: `$set`, `$unset`, `$push`, `$pull`, `$addToSet`,
/// `$setOnInsert`, `$inc` of other fields, … all kept as given) gains `$inc: {version: 1}`
/// and `$set` of `updated_at` (`now`) and `updated_by` (the core's actor). The sync's
/// fingerprints and conditional writes rely on every write of a synced collection going
/// through here (or [`tombstone`], [`stamp_by`], [`stamp_pipeline`], [`bump`],
/// [`stamp_document`]); `schema::tests` fails the build's tests if a `$inc` of `version`
/// or a written `updated_by` appears anywhere else in `crates/core/src`.
///
/// Which collections need it is read from the registry (`crate::schema::sync_specs`):
/// every collection whose policy is not `LocalOnly` (events, participants, audit, feedback
/// questions and answers, networking profiles, connections and meetings, erasures, social
/// posts and moments, event links, portal settings). Local-only collections — seat and
/// feedback counters, presence, fetch cursors, pending registrations, jobs, the index
/// lab's runs and scratch databases, the supervisor's probe, the sync's own state — keep
/// their own plain updates and carry no metadata block at all.
pub fn stamp(core: &Core, update: Document, now: impl Into<bson::DateTime>) -> Document {
    stamp_by(core.actor(), update, now)
}

/// [`stamp`] recording `actor` as the author instead of the core's own (a respondent's
/// channel, a visitor of the portal).
pub fn stamp_by(actor: &str, mut update: Document, now: impl Into<bson::DateTime>) -> Document {
    let mut set = update.get_document("$set").cloned().unwrap_or_default();
    set.insert("updated_at", now.into());
    set.insert("updated_by", actor);
    update.insert("$set", set);
    bump(update)
}

/// A new version and nothing else: for fields derived from the document itself (search
/// keys filled in by a later version of the app), written by nobody in particular and at
/// no particular time, but still carried by the next sync.
pub fn bump(mut update: Document) -> Document {
    let mut inc = update.get_document("$inc").cloned().unwrap_or_default();
    inc.insert("version", 1_i64);
    update.insert("$inc", inc);
    update
}

/// Who last changed a local-only setting, and when (`updated_at`, `updated_by` on a whole
/// document that never travels, hence no version).
pub fn note_author(core: &Core, d: &mut Document, now: impl Into<bson::DateTime>) {
    d.insert("updated_at", now.into());
    d.insert("updated_by", core.actor());
}

/// What a delete leaves: `old` with `set` written and `unset` removed (dotted paths reach
/// into sub-documents), `deleted_at` and the metadata block of the next version. The sync
/// carries the tombstone to every store. Written by [`tombstone`]; the sync's merge of
/// duplicates builds its tombstones here too.
pub fn tombstone_of(
    old: &Document,
    set: &Document,
    unset: &[&str],
    actor: &str,
    now: impl Into<bson::DateTime>,
) -> Document {
    let now: bson::DateTime = now.into();
    let mut d = old.clone();
    for (k, v) in set {
        set_path(&mut d, k, v.clone());
    }
    for k in unset {
        unset_path(&mut d, k);
    }
    d.insert("deleted_at", now);
    stamp_successor(&mut d, old, actor, now);
    d
}

/// The metadata block of `d`, a whole document taking the place of `old`: the version
/// after `old`'s, written now by `actor`.
pub fn stamp_successor(
    d: &mut Document,
    old: &Document,
    actor: &str,
    now: impl Into<bson::DateTime>,
) {
    let version = match old.get("version") {
        Some(bson::Bson::Int32(v)) => i64::from(*v),
        Some(bson::Bson::Int64(v)) => *v,
        _ => 0,
    };
    let now: bson::DateTime = now.into();
    stamp_document(d, version + 1, Some(now.into()), Some(actor.into()));
}

/// `$set` of a dotted path on a document held in memory (missing levels are created).
fn set_path(d: &mut Document, path: &str, v: bson::Bson) {
    match path.split_once('.') {
        None => {
            d.insert(path, v);
        }
        Some((head, rest)) => {
            if !matches!(d.get(head), Some(bson::Bson::Document(_))) {
                d.insert(head, Document::new());
            }
            if let Ok(sub) = d.get_document_mut(head) {
                set_path(sub, rest, v);
            }
        }
    }
}

/// `$unset` of a dotted path on a document held in memory.
fn unset_path(d: &mut Document, path: &str) {
    match path.split_once('.') {
        None => {
            d.remove(path);
        }
        Some((head, rest)) => {
            if let Ok(sub) = d.get_document_mut(head) {
                unset_path(sub, rest);
            }
        }
    }
}

/// Turn the document of `coll` that `filter` matches into a tombstone ([`tombstone_of`]),
/// written by [`rewrite`]. `None` when nothing matches `filter` (deleted or changed
/// meanwhile: the caller says which after reading it again).
pub async fn tombstone(
    core: &Core,
    coll: &str,
    filter: Document,
    set: Document,
    unset: &[&str],
    now: impl Into<bson::DateTime>,
) -> Result<Option<Document>> {
    let now: bson::DateTime = now.into();
    let actor = core.actor().to_owned();
    Ok(rewrite(core, coll, filter, |old| {
        tombstone_of(old, &set, unset, &actor, now)
    })
    .await?)
}

/// Replace the document of `coll` that `filter` matches by `make(old)` (same `_id`), as a
/// delete and an insert rather than an update. `None` when nothing matched.
///
/// Why not `replace_one`: a write that takes a document out of a unique index — a live
/// participant becoming a tombstone leaves the partial index `event_email_unique`, an
/// unseated one leaves `event_seat_unique` — must free its key for the next document.
/// MongoDB frees it on any update. SecantusDB (0.5.3) claims a unique key when a document
/// is inserted and releases the claim only when that document is deleted: after an update
/// the claim stays, and inserting another document with the key (the same person
/// registered again after a delete, an organiser's merge or an erasure; a pulled copy
/// from another store) is refused as a duplicate for good. Deleting the document as it
/// stands (which releases its claims) and inserting the new one behaves the same on both.
///
/// Atomicity: with transactions (a replica set, as SecantusDB always is) the read, the
/// delete and the insert are one transaction, retried on a transient error (a write
/// conflict with another writer); a crash commits all or nothing, and a writer who changed
/// the document meanwhile makes the delete match nothing (`None`). Without transactions the
/// two writes are not done apart: a crash between the delete and the insert would lose the
/// document from this store, and the change with it (the next sync would bring back the
/// remote's live copy, undoing a delete, an erasure or a merge), and an insert first is
/// impossible (same `_id`). So that case is one
/// `replace_one`, atomic on its own: correct on a server that maintains its indexes on
/// update (a stand-alone MongoDB, the only kind without transactions).
pub async fn rewrite(
    core: &Core,
    coll: &str,
    filter: Document,
    make: impl Fn(&Document) -> Document,
) -> mongodb::error::Result<Option<Document>> {
    use mongodb::error::{TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT};
    let c = core.db().collection::<Document>(coll);
    if !core.caps().transactions {
        let Some(old) = c.find_one(filter.clone()).await? else {
            return Ok(None);
        };
        let new = make(&old);
        let mut f = filter;
        f.insert("_id", old.get("_id").cloned().unwrap_or(bson::Bson::Null));
        let r = c.replace_one(f, new.clone()).await?;
        return Ok((r.matched_count == 1).then_some(new));
    }
    let mut s = core.client().start_session().await?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        s.start_transaction().await?;
        let r: mongodb::error::Result<Option<Document>> = async {
            let Some(old) = c.find_one(filter.clone()).session(&mut s).await? else {
                return Ok(None);
            };
            let new = make(&old);
            let mut f = filter.clone();
            f.insert("_id", old.get("_id").cloned().unwrap_or(bson::Bson::Null));
            if c.delete_one(f).session(&mut s).await?.deleted_count == 0 {
                return Ok(None);
            }
            c.insert_one(new.clone()).session(&mut s).await?;
            Ok(Some(new))
        }
        .await;
        match r {
            Ok(Some(new)) => {
                let mut commit = s.commit_transaction().await;
                for _ in 0..3 {
                    match &commit {
                        Err(e) if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) => {
                            commit = s.commit_transaction().await;
                        }
                        _ => break,
                    }
                }
                match commit {
                    Ok(()) => return Ok(Some(new)),
                    Err(e) if e.contains_label(TRANSIENT_TRANSACTION_ERROR) && attempt < 5 => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(None) => {
                let _ = s.abort_transaction().await;
                return Ok(None);
            }
            Err(e) => {
                let _ = s.abort_transaction().await;
                if !(e.contains_label(TRANSIENT_TRANSACTION_ERROR) && attempt < 5) {
                    return Err(e);
                }
            }
        }
    }
}

/// [`stamp`] for an update pipeline (stages such as `$set` with expressions): one more
/// `$set` stage at the end writes the metadata block.
pub fn stamp_pipeline(
    core: &Core,
    mut stages: Vec<Document>,
    now: impl Into<bson::DateTime>,
) -> Vec<Document> {
    stages.push(doc! { "$set": {
        "updated_at": now.into(),
        "updated_by": core.actor(),
        "version": { "$add": [{ "$ifNull": ["$version", 0_i64] }, 1_i64] },
    } });
    stages
}

/// The metadata block of a whole document the sync writes (a merge, a resolved conflict,
/// a survivor of duplicates): `version`, and `updated_at`/`updated_by` where given (a
/// merge keeps the newer side's).
pub fn stamp_document(
    d: &mut Document,
    version: i64,
    updated_at: Option<bson::Bson>,
    updated_by: Option<bson::Bson>,
) {
    d.insert("version", version);
    if let Some(at) = updated_at {
        d.insert("updated_at", at);
    }
    if let Some(by) = updated_by {
        d.insert("updated_by", by);
    }
}

/// How a collection travels between the local store and a remote (see `crate::sync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Edited in place with `version`, `updated_at`, `updated_by` and, unless
    /// [`SyncSpec::hard_delete`], a `deleted_at` tombstone: three-way merge per document.
    Versioned,
    /// Only ever inserted: the union of both sides.
    AppendOnly,
    /// Matched on [`SyncSpec::natural_key`] instead of `_id`; the newer `updated_at` (else
    /// `created_at`, then the greater `_id`) wins, `_id` included.
    Keyed,
    /// Never leaves this store (counters, cursors, the sync's own state).
    LocalOnly,
}

/// Fields of a collection that hold the ids of another (`target`): when two documents of
/// the target merge into one, these are rewritten to the survivor's id.
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    pub target: &'static str,
    pub fields: &'static [&'static str],
    /// Restores what the rewrite may break (a pair kept in order, with its notes).
    pub fixup: Option<fn(&mut Document)>,
}

/// Local-only data derived from a synced collection, per event (seat counters from the
/// participants, answer tallies from the answers): the sync rebuilds it, on both sides,
/// for the events whose documents it changed.
#[derive(Debug, Clone, Copy)]
pub struct Derived {
    /// The local-only collection holding it (named when a rebuild fails).
    pub name: &'static str,
    pub rebuild: for<'a> fn(&'a Core, &'a str) -> futures_util::future::BoxFuture<'a, Result<()>>,
}

/// A value at most one live document may hold at a time (a seat on a plan), backed by a
/// unique index on `key`. Two stores giving it to two documents apart is settled by the
/// sync: the document last changed earlier (`updated_at`, then the smaller `_id`) keeps
/// it, the other gives up `release` (a new version) and a conflict tells the user.
#[derive(Debug, Clone, Copy)]
pub struct Exclusive {
    pub key: &'static [&'static str],
    pub release: &'static str,
}

/// A collection's sync declaration, made by the feature that owns it and collected by
/// `crate::schema`.
#[derive(Debug, Clone)]
pub struct SyncSpec {
    pub name: &'static str,
    pub policy: Policy,
    /// The fields that make two documents the same thing whatever their ids (a unique
    /// index): documents created apart under different ids merge into one.
    pub natural_key: &'static [&'static str],
    /// Deleted outright rather than tombstoned: a copy left unchanged elsewhere since the
    /// last agreement is deleted too.
    pub hard_delete: bool,
    /// The ids of other collections this one holds.
    pub references: &'static [Reference],
    /// Recomputes the derived fields (search keys) of a merged document.
    pub derive: Option<fn(&mut Document)>,
    /// Fields left out when two duplicates merge (where each copy came from).
    pub merge_skip: &'static [&'static str],
    /// Values a new document has before anyone chose them: when duplicates merge, such a
    /// value gives way to the other copy's.
    pub defaults: &'static [(&'static str, &'static str)],
    /// What is derived from this collection per event and rebuilt after a sync changed it
    /// (or merged documents it references).
    pub derived: Option<Derived>,
    /// A value only one live document may hold, settled when stores disagree.
    pub exclusive: Option<Exclusive>,
}

impl SyncSpec {
    /// A collection synced under `policy` with no natural key, references or derived fields.
    pub const fn new(name: &'static str, policy: Policy) -> SyncSpec {
        SyncSpec {
            name,
            policy,
            natural_key: &[],
            hard_delete: false,
            references: &[],
            derive: None,
            merge_skip: &[],
            defaults: &[],
            derived: None,
            exclusive: None,
        }
    }
}

const PROBE: &str = "_eventhub_probe";

impl Core {
    /// Connect, wait for the server to answer and detect its capabilities. Creates
    /// nothing: [`Core::connect`] (in `crate::schema`) also ensures the collections.
    pub async fn open(uri: &str, db_name: &str) -> Result<Core> {
        let mut opts = ClientOptions::parse(uri).await.map_err(|e| {
            Error::new(
                Code::Validation,
                format!(
                    "invalid connection string {}: {}",
                    config::redact_uri(uri),
                    first_line(&e.to_string())
                ),
            )
        })?;
        opts.app_name = Some("EventHub".into());
        if opts.server_selection_timeout.is_none() {
            opts.server_selection_timeout = Some(Duration::from_secs(10));
        }
        if opts.connect_timeout.is_none() {
            opts.connect_timeout = Some(Duration::from_secs(5));
        }
        let client = Client::with_options(opts)?;
        let db = client.database(db_name);
        let admin = client.database("admin");
        admin.run_command(doc! { "ping": 1 }).await?;
        let build = admin.run_command(doc! { "buildInfo": 1 }).await?;
        let hello = admin
            .run_command(doc! { "hello": 1 })
            .await
            .unwrap_or_default();
        let version = build.get_str("version").unwrap_or("unknown").to_owned();
        let engine = engine_name(&build);
        let replica_set = hello.get_str("setName").ok().map(str::to_owned);
        let capabilities = probe(&db, replica_set.is_some()).await;
        let missing = capabilities
            .missing()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let info = ServerInfo {
            uri: config::redact_uri(uri),
            database: db_name.to_owned(),
            engine,
            version,
            replica_set,
            capabilities,
            missing,
        };
        Ok(Core {
            client,
            db,
            info: Arc::new(info),
            actor: config::actor().into(),
            tallies: Arc::default(),
            lookups: Arc::default(),
            event_cuts: Arc::default(),
        })
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn info(&self) -> &ServerInfo {
        &self.info
    }

    pub fn caps(&self) -> &Capabilities {
        &self.info.capabilities
    }

    /// The same connection on another database (the index lab's scratch databases).
    /// Creates nothing: the lab manages that database's collections and indexes itself.
    pub fn on_database(&self, name: &str) -> Core {
        let mut info = (*self.info).clone();
        info.database = name.to_owned();
        Core {
            client: self.client.clone(),
            db: self.client.database(name),
            info: Arc::new(info),
            actor: self.actor.clone(),
            tallies: Arc::default(),
            lookups: Arc::default(),
            event_cuts: Arc::default(),
        }
    }

    /// Where the event list's windows are cut.
    pub(crate) fn event_cuts(&self) -> &crate::events::window::CutCache {
        &self.event_cuts
    }

    /// How this database's answer tallies are kept.
    pub(crate) fn counting(&self) -> &crate::feedback::counters::Counting {
        &self.tallies
    }

    /// The same connection counting the answer tallies with each answer write, as on a
    /// server without change streams or transactions (tests cover that path with it).
    /// Use it on a database whose tallies no follower has counted.
    pub fn with_inline_tallies(&self) -> Core {
        Core {
            tallies: Arc::new(crate::feedback::counters::Counting::inline()),
            ..self.clone()
        }
    }

    /// A clone whose tally follower slot is its own (the follower's task holds one, so
    /// that the core's last handle going away stops it).
    pub(crate) fn detached(&self) -> Core {
        Core {
            tallies: Arc::new(crate::feedback::counters::Counting::inline()),
            ..self.clone()
        }
    }

    /// The portal's kept reads of this database.
    pub(crate) fn lookups(&self) -> &crate::feedback::lookups::Lookups {
        &self.lookups
    }

    /// Who is making changes (recorded in `updated_by`).
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The same connection acting for someone else (tests, the portal).
    pub fn with_actor(&self, actor: &str) -> Core {
        Core {
            actor: actor.into(),
            ..self.clone()
        }
    }

    /// Create missing collections with their validators (or update the validators of
    /// existing ones) and create every index of `specs`. Safe to run at every start.
    pub async fn ensure_collections(&self, specs: Vec<CollectionSpec>) -> Result<()> {
        let mut existing = self.db.list_collection_names().await?;
        for spec in specs {
            match spec.validator {
                Some(validator) if existing.iter().any(|c| c == spec.name) => {
                    self.db
                        .run_command(doc! {
                            "collMod": spec.name,
                            "validator": validator,
                            "validationLevel": "strict",
                            "validationAction": "error",
                        })
                        .await?;
                }
                Some(validator) => {
                    self.db
                        .create_collection(spec.name)
                        .validator(validator)
                        .validation_level(mongodb::options::ValidationLevel::Strict)
                        .validation_action(mongodb::options::ValidationAction::Error)
                        .await?;
                }
                None if !existing.iter().any(|c| c == spec.name) => {
                    self.db.create_collection(spec.name).await?;
                }
                None => {}
            }
            // Several specs may name one collection (a feature adding indexes to another's).
            if !existing.iter().any(|c| c == spec.name) {
                existing.push(spec.name.to_owned());
            }
            if !spec.indexes.is_empty() {
                self.db
                    .collection::<Document>(spec.name)
                    .create_indexes(spec.indexes)
                    .await?;
            }
        }
        Ok(())
    }

    /// Drop the indexes named `names` of `coll` where they exist (retired by a later
    /// version).
    pub async fn drop_indexes(&self, coll: &str, names: &[&str]) -> Result<()> {
        let c = self.db.collection::<Document>(coll);
        let existing = c.list_index_names().await.unwrap_or_default();
        for old in names {
            if existing.iter().any(|n| n == old) {
                c.drop_index(*old).await?;
            }
        }
        Ok(())
    }

    /// Drop this core's database. For tests and the index lab's scratch databases.
    pub async fn drop_database(&self) -> Result<()> {
        // The tallies' follower leaves first, between two of its transactions.
        self.tallies.follower.stop().await;
        Ok(self.db.drop().await?)
    }
}

/// Whether a server answers `ping` at `uri` within `timeout` — a cheap status check that,
/// unlike [`Core::connect`], neither probes capabilities nor touches the schema.
pub async fn reachable(uri: &str, timeout: Duration) -> bool {
    let Ok(mut opts) = ClientOptions::parse(uri).await else {
        return false;
    };
    opts.server_selection_timeout = Some(timeout);
    opts.connect_timeout = Some(timeout);
    let Ok(client) = Client::with_options(opts) else {
        return false;
    };
    client
        .database("admin")
        .run_command(doc! { "ping": 1 })
        .await
        .is_ok()
}

/// Name the engine from `buildInfo`: SecantusDB and other compatible servers say who they
/// are in extra fields; MongoDB itself does not.
fn engine_name(build: &Document) -> String {
    let text = format!("{build:?}").to_lowercase();
    if text.contains("secantus") {
        "SecantusDB".into()
    } else if text.contains("ferret") {
        "FerretDB".into()
    } else if text.contains("documentdb") {
        "DocumentDB".into()
    } else {
        "MongoDB".into()
    }
}

/// Try each optional feature on a scratch collection and record what the server accepts.
async fn probe(db: &Database, replica_set: bool) -> Capabilities {
    let coll = db.collection::<Document>(PROBE);
    let try_index = |keys: Document, name: &'static str| {
        let coll = coll.clone();
        async move {
            let model = IndexModel::builder()
                .keys(keys)
                .options(
                    mongodb::options::IndexOptions::builder()
                        .name(name.to_owned())
                        .build(),
                )
                .build();
            let ok = coll.create_index(model).await.is_ok();
            if ok {
                let _ = coll.drop_index(name).await;
            }
            ok
        }
    };
    let text_search = try_index(doc! { "t": "text" }, "probe_text").await;
    let hashed_index = try_index(doc! { "h": "hashed" }, "probe_hashed").await;
    let change_streams = match coll.watch().await {
        Ok(stream) => {
            drop(stream);
            true
        }
        Err(_) => false,
    };
    let _ = coll.drop().await;
    Capabilities {
        text_search,
        hashed_index,
        change_streams,
        transactions: replica_set,
    }
}

/// The first line of a message, bounded (driver and server messages can be long).
pub(crate) fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

/// Build an index model with a name and optional extra options.
pub(crate) fn index(keys: Document, name: &str) -> IndexModel {
    index_with(keys, name, |b| b)
}

pub(crate) fn index_with(
    keys: Document,
    name: &str,
    f: impl FnOnce(mongodb::options::IndexOptions) -> mongodb::options::IndexOptions,
) -> IndexModel {
    let opts = mongodb::options::IndexOptions::builder()
        .name(name.to_owned())
        .build();
    IndexModel::builder().keys(keys).options(f(opts)).build()
}

#[cfg(test)]
mod tombstone_tests {
    use super::*;

    #[test]
    fn a_tombstone_keeps_the_document_with_its_changes_and_the_next_version() {
        let old = doc! {
            "_id": "p1", "email_norm": "ann@x.org", "version": 3_i32, "deleted_at": null,
            "seat": { "plan_id": "pl", "label": "A1" },
            "invitation": { "token_hash": "h", "status": "sent" },
            "updated_by": "alice",
        };
        let now = bson::DateTime::from_millis(1_800_000_000_000);
        let t = tombstone_of(
            &old,
            &doc! { "sessions": [], "merged_into": "p0", "source.file": "x.csv" },
            &["seat", "invitation.token_hash", "missing.path"],
            "bob",
            now,
        );
        assert_eq!(t.get_str("_id"), Ok("p1"));
        assert_eq!(t.get_str("email_norm"), Ok("ann@x.org"));
        assert_eq!(t.get_datetime("deleted_at"), Ok(&now));
        assert_eq!(t.get_datetime("updated_at"), Ok(&now));
        assert_eq!(t.get_str("updated_by"), Ok("bob"));
        assert_eq!(t.get_i64("version"), Ok(4));
        assert_eq!(t.get_str("merged_into"), Ok("p0"));
        assert!(t.get_array("sessions").is_ok_and(|a| a.is_empty()));
        assert!(t.get("seat").is_none());
        let inv = t.get_document("invitation").unwrap();
        assert!(inv.get("token_hash").is_none());
        assert_eq!(inv.get_str("status"), Ok("sent"));
        assert_eq!(
            t.get_document("source").and_then(|s| s.get_str("file")),
            Ok("x.csv")
        );
        // The document read is left as it was.
        assert_eq!(old.get_i32("version"), Ok(3));
    }
}

#[cfg(test)]
mod metadata_tests {
    //! The metadata block is written in this file only. The check reads the source tree
    //! of `crates/core/src` and `crates/portal/src` when the tests run (so a new file is covered without being
    //! listed), drops comments, folds whitespace (so formatting cannot split a pattern
    //! over lines) and finds the `$inc` document by matching its braces (so
    //! `"$inc": { "n": 1, "version": 1 }` is found wherever `version` sits in it). It
    //! flags a `$inc` of `version`, a `version` computed in a pipeline (`$add`), a
    //! tombstone written by hand (`deleted_at` in a `$set` document, or inserted with
    //! anything but null: tombstones go through `db::tombstone`, a delete plus an insert)
    //! and a written `updated_by` (a key `"updated_by":` or `insert("updated_by"`); reading it
    //! (`get_str("updated_by")`) and declaring it in a validator (`"updated_by": {
    //! "bsonType" …`) are fine. `portal/` is left out: it is moving to its own crate.

    use std::path::{Path, PathBuf};

    /// The source without comments, whitespace runs folded to one space. String and char
    /// literals are kept as they are (a `//` inside a string is no comment).
    fn code_only(src: &str) -> String {
        let b: Vec<char> = src.chars().collect();
        let mut out = String::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let next = b.get(i + 1).copied();
            if c == '/' && next == Some('/') {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            if c == '/' && next == Some('*') {
                i += 2;
                while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
                continue;
            }
            if c == 'r' && (next == Some('"') || next == Some('#')) {
                // A raw string: r"…", r#"…"#.
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) == Some(&'"') {
                    let end: String = std::iter::once('"')
                        .chain(std::iter::repeat_n('#', hashes))
                        .collect();
                    let rest: String = b[j + 1..].iter().collect();
                    let len = rest.find(&end).map_or(rest.len(), |k| k + end.len());
                    out.extend(&b[i..(j + 1 + rest[..len].chars().count()).min(b.len())]);
                    i = j + 1 + rest[..len].chars().count();
                    continue;
                }
            }
            if c == '"' {
                out.push(c);
                i += 1;
                while i < b.len() && b[i] != '"' {
                    if b[i] == '\\' {
                        out.push(b[i]);
                        i += 1;
                    }
                    if i < b.len() {
                        out.push(b[i]);
                    }
                    i += 1;
                }
                out.push('"');
                i += 1;
                continue;
            }
            if c == '\'' {
                // A char literal ('"', '\'', '\n') is copied whole; a lifetime is not one.
                if next == Some('\\') {
                    let close = (i + 2..b.len()).find(|&k| b[k] == '\'').unwrap_or(b.len());
                    out.extend(&b[i..(close + 1).min(b.len())]);
                    i = close + 1;
                    continue;
                }
                if b.get(i + 2) == Some(&'\'') {
                    out.extend(&b[i..i + 3]);
                    i += 3;
                    continue;
                }
            }
            if c.is_whitespace() {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
                i += 1;
                continue;
            }
            out.push(c);
            i += 1;
        }
        out
    }

    /// The text of the `{ … }` that starts at or after `from` (braces matched).
    fn braced(s: &str, from: usize) -> Option<&str> {
        let start = from + s[from..].find('{')?;
        let mut depth = 0;
        for (k, ch) in s[start..].char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&s[start..start + k + 1]);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// What in `src` writes the metadata block by hand.
    fn violations(src: &str) -> Vec<String> {
        let code = code_only(src);
        let mut found = vec![];
        for (at, _) in code.match_indices("\"$inc\"") {
            // The operand is the next `{ … }` (inline, or a `doc! { … }` passed to insert).
            if braced(&code, at).is_some_and(|d| d.contains("\"version\"")) {
                found.push(format!("$inc of version: {}", excerpt(&code, at)));
            }
        }
        for (at, _) in code.match_indices("\"updated_by\"") {
            let after = code[at + "\"updated_by\"".len()..].trim_start();
            let before = code[..at].trim_end();
            let declared = after
                .strip_prefix(':')
                .is_some_and(|r| r.trim_start().starts_with("{ \"bsonType\""));
            let written = (after.starts_with(':') && !declared) || before.ends_with("insert(");
            if written {
                found.push(format!("updated_by written: {}", excerpt(&code, at)));
            }
        }
        // A tombstone written by hand: `deleted_at` given a value in a `$set` document,
        // or inserted into a document with anything but null.
        for (at, _) in code.match_indices("\"$set\"") {
            let rest = code[at + "\"$set\"".len()..].trim_start();
            let operand = rest
                .strip_prefix(':')
                .or_else(|| rest.strip_prefix(','))
                .map(|r| r.trim_start())
                .map(|r| r.strip_prefix("doc!").unwrap_or(r).trim_start());
            if operand.is_some_and(|r| r.starts_with('{')) {
                let from = code.len() - operand.unwrap_or_default().len();
                if braced(&code, from).is_some_and(|d| d.contains("\"deleted_at\"")) {
                    found.push(format!("deleted_at set by hand: {}", excerpt(&code, at)));
                }
            }
        }
        for (at, _) in code.match_indices("insert(\"deleted_at\"") {
            let value = code[at + "insert(\"deleted_at\"".len()..]
                .trim_start()
                .trim_start_matches(',')
                .trim_start();
            if !(value.starts_with("Bson::Null") || value.starts_with("bson::Bson::Null")) {
                found.push(format!(
                    "deleted_at written by hand: {}",
                    excerpt(&code, at)
                ));
            }
        }
        for (at, _) in code.match_indices("\"version\"") {
            let after = code[at + "\"version\"".len()..].trim_start();
            if after
                .strip_prefix(':')
                .is_some_and(|r| r.trim_start().starts_with("{ \"$add\""))
            {
                found.push(format!("version computed: {}", excerpt(&code, at)));
            }
        }
        found
    }

    fn excerpt(code: &str, at: usize) -> String {
        let from = code[..at]
            .char_indices()
            .rev()
            .nth(40)
            .map_or(0, |(k, _)| k);
        code[from..].chars().take(120).collect()
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir)
            .expect("read the source tree")
            .flatten()
        {
            let p = e.path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn the_checker_finds_hand_written_metadata_however_it_is_laid_out() {
        let bad = [
            r#"c.update_one(f, doc! { "$set": { "a": 1 }, "$inc": { "version": 1_i64 } })"#,
            "doc! {\n  \"$inc\": {\n    \"n\": 1,\n    // bump\n    \"version\": 1_i64,\n  },\n}",
            r#"update.insert("$inc", doc! { "version": 1_i64 });"#,
            r#"doc! { "$set": { "updated_at": now, "updated_by": core.actor() } }"#,
            r#"set.insert( "updated_by", core.actor());"#,
            r#"doc! { "$set": { "version": { "$add": ["$version", 1] } } }"#,
            r#"c.update_one(f, stamp(core, doc! { "$set": { "deleted_at": now } }, now))"#,
            r#"update.insert("$set", doc! { "a": 1, "deleted_at": bson::DateTime::now() });"#,
            r#"tomb.insert("deleted_at", now);"#,
        ];
        for b in bad {
            assert!(!violations(b).is_empty(), "not flagged: {b}");
        }
        let fine = [
            r#"// "$inc": { "version": 1 } in a comment"#,
            r#"/* "updated_by": x */ let a = d.get_str("updated_by");"#,
            r#"doc! { "updated_by": { "bsonType": "string" } }"#,
            r#"doc! { "$inc": { "taken": 1_i64 } }; filter.insert("version", v);"#,
            r#"let s = "mongodb://h"; let c = '"'; doc! { "$inc": { "n": 1 } }"#,
            r#"crate::db::stamp(core, doc! { "$inc": { "invitation.attempts": 1 } }, now)"#,
            r#"update.insert("$set", set); c.update_one(doc! { "_id": id, "deleted_at": Bson::Null }, u)"#,
            r#"d.insert("deleted_at", bson::Bson::Null); let live = doc! { "deleted_at": { "$type": "null" } };"#,
        ];
        for f in fine {
            assert!(
                violations(f).is_empty(),
                "flagged: {f}: {:?}",
                violations(f)
            );
        }
    }

    #[test]
    fn the_metadata_block_is_written_in_db_rs_only() {
        // The core's sources, and the portal's (a crate over the core that writes too).
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let root = crates.canonicalize().unwrap_or(crates);
        let mut files = vec![];
        rust_files(&root.join("core/src"), &mut files);
        assert!(files.len() > 50, "the source tree was not found: {root:?}");
        let n = files.len();
        rust_files(&root.join("portal/src"), &mut files);
        assert!(files.len() > n + 5, "the portal's sources were not found");
        let mut found = vec![];
        for f in files {
            let rel = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "core/src/db.rs" {
                continue;
            }
            let src = std::fs::read_to_string(&f).unwrap();
            found.extend(violations(&src).into_iter().map(|v| format!("{rel}: {v}")));
        }
        assert!(
            found.is_empty(),
            "write the metadata block with crate::db::stamp and friends:\n{}",
            found.join("\n")
        );
    }
}
