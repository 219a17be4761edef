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
}

pub const EVENTS: &str = "events";

/// One collection the app owns: its name, optional `$jsonSchema` validator and indexes.
pub struct CollectionSpec {
    pub name: &'static str,
    pub validator: Option<Document>,
    pub indexes: Vec<IndexModel>,
}

/// The one place the metadata block of a versioned write is written: `update` (a
/// document of update operators) gains `$inc: {version: 1}` and `$set` of `updated_at`
/// (`now`) and `updated_by` (the core's actor). The sync's fingerprints and conditional
/// writes rely on every write of a synced collection going through here.
pub fn stamp(core: &Core, mut update: Document, now: chrono::DateTime<chrono::Utc>) -> Document {
    let mut set = update.get_document("$set").cloned().unwrap_or_default();
    set.insert("updated_at", bson::DateTime::from_chrono(now));
    set.insert("updated_by", core.actor());
    update.insert("$set", set);
    let mut inc = update.get_document("$inc").cloned().unwrap_or_default();
    inc.insert("version", 1_i64);
    update.insert("$inc", inc);
    update
}

/// [`stamp`] for a delete: the document becomes a tombstone (`deleted_at`), which the sync
/// carries to every store.
pub fn stamp_delete(core: &Core, update: Document, now: chrono::DateTime<chrono::Utc>) -> Document {
    let mut u = stamp(core, update, now);
    if let Ok(set) = u.get_document_mut("$set") {
        set.insert("deleted_at", bson::DateTime::from_chrono(now));
    }
    u
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
        }
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
