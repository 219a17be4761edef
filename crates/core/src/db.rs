//! The connection: one `mongodb::Client` (Arc-backed, cloned, never behind a lock), the
//! collections with their `$jsonSchema` validators and indexes (ensured idempotently at
//! start-up), and what the connected server can do — detected by asking it, not assumed.

use std::{sync::Arc, time::Duration};

use bson::{doc, Document};
use mongodb::{options::ClientOptions, Client, Database, IndexModel};
use serde::Serialize;

use crate::{config, error::Code, Error, Result};

/// What the connected server supports. Each flag is measured by a probe at connect time.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize)]
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

/// Every collection of the app. Each feature module contributes its own spec here.
pub fn collections(caps: &Capabilities) -> Vec<CollectionSpec> {
    let mut v = vec![CollectionSpec {
        name: EVENTS,
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
const PROBE: &str = "_eventhub_probe";

impl Core {
    /// Connect, wait for the server to answer, detect its capabilities and ensure the
    /// collections, validators and indexes exist.
    pub async fn connect(uri: &str, db_name: &str) -> Result<Core> {
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
        let core = Core {
            client,
            db,
            info: Arc::new(info),
            actor: config::actor().into(),
        };
        core.ensure_schema().await?;
        Ok(core)
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
    /// existing ones) and create every index. Safe to run at every start.
    pub async fn ensure_schema(&self) -> Result<()> {
        let mut existing = self.db.list_collection_names().await?;
        for spec in collections(self.caps()) {
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
            if spec.name == EVENTS {
                let coll = self.db.collection::<Document>(EVENTS);
                let names = coll.list_index_names().await.unwrap_or_default();
                for old in crate::events::schema::RETIRED_INDEXES {
                    if names.iter().any(|n| n == old) {
                        coll.drop_index(old).await?;
                    }
                }
            }
            if !spec.indexes.is_empty() {
                self.db
                    .collection::<Document>(spec.name)
                    .create_indexes(spec.indexes)
                    .await?;
            }
        }
        // Fields added to stored documents by later versions.
        crate::social::backfill_text_words(self).await?;
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
