//! Backup and restore of a whole store in one file.
//!
//! The file is gzip'd text, one JSON value a line (so a backup streams, whatever the
//! size, and can be read with `zcat`):
//! 1. a manifest: `{"format": "eventhub-backup", "version": 1, "created_at", "database",
//!    "app_version", "collections": [names]}`;
//! 2. for each collection, a line `{"collection": name}` followed by its documents in
//!    canonical Extended JSON (every BSON type kept: dates, 64-bit integers, binaries…);
//! 3. a closing line `{"end": {name: count, …}}` — a file without it was cut short and
//!    is refused.
//!
//! Every collection of the database is saved, the sync state (`_sync_*`,
//! `sync_conflicts`) included, so a restored store syncs on from where it was — but the
//! answer tallies' place in this server's change stream (`feedback::follow`): after a
//! restore the tallies are rebuilt from the restored answers. A backup is
//! made while the app runs: collections are read one after the other (a write made
//! meanwhile is in the backup or not, as for any copy taken while working). It is written
//! under a temporary name and renamed when complete.
//!
//! A restore goes into a database holding no data of the app (or, with `replace`, whose
//! collections are dropped first); indexes and validators are those of the running
//! version ([`Core::ensure_schema`]).

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, BufWriter, Write},
    path::Path,
};

use bson::{doc, Bson, Document};
use flate2::{read::GzDecoder, write::GzEncoder, Compression};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::{error::Code, Core, Error, Result};

pub const FORMAT: &str = "eventhub-backup";
pub const VERSION: u32 = 1;
/// Documents per insert batch when restoring.
const BATCH: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "BackupManifest")]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// RFC 3339.
    pub created_at: String,
    pub database: String,
    pub app_version: String,
    pub collections: Vec<String>,
}

/// What a backup or restore did: documents per collection.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(rename = "BackupSummary")]
pub struct Summary {
    pub manifest: Manifest,
    pub counts: BTreeMap<String, u64>,
    pub documents: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
}

/// Progress: the collection being copied and documents so far (all collections).
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub collection: String,
    pub documents: u64,
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    if e.raw_os_error() == Some(28) {
        return Error::new(
            Code::DiskFull,
            format!("{}: the disk is full", path.display()),
        );
    }
    Error::invalid("file", format!("{}: {e}", path.display()))
}

/// Collections saved: every collection of the database but the engine's own.
async fn names(core: &Core) -> Result<Vec<String>> {
    let mut names: Vec<String> = core
        .db()
        .list_collection_names()
        .await?
        .into_iter()
        .filter(|n| {
            !n.starts_with("system.")
                && n != "_eventhub_probe"
                && n != crate::supervise::PROBE
                && n != crate::feedback::follow::STREAM
        })
        .collect();
    names.sort();
    Ok(names)
}

/// Write a backup of `core`'s database to `path`.
pub async fn backup(
    core: &Core,
    path: &Path,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Summary> {
    let collections = names(core).await?;
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        created_at: crate::time::now().to_rfc3339(),
        database: core.info().database.clone(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        collections: collections.clone(),
    };
    let tmp = path.with_extension("partial");
    let file = std::fs::File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
    let mut out = BufWriter::new(GzEncoder::new(file, Compression::default()));
    let write = |out: &mut BufWriter<GzEncoder<std::fs::File>>, v: &serde_json::Value| {
        serde_json::to_writer(&mut *out, v)
            .map_err(std::io::Error::other)
            .and_then(|_| out.write_all(b"\n"))
            .map_err(|e| io_err(&tmp, e))
    };
    let result: Result<BTreeMap<String, u64>> = async {
        write(
            &mut out,
            &serde_json::to_value(&manifest).unwrap_or_default(),
        )?;
        let mut counts = BTreeMap::new();
        let mut total = 0_u64;
        for name in &collections {
            write(&mut out, &serde_json::json!({ "collection": name }))?;
            let mut cur = core
                .db()
                .collection::<Document>(name)
                .find(doc! {})
                .sort(doc! { "_id": 1 })
                .await?;
            let mut n = 0_u64;
            while let Some(d) = cur.try_next().await? {
                write(&mut out, &Bson::Document(d).into_canonical_extjson())?;
                n += 1;
                total += 1;
                if total.is_multiple_of(5000) {
                    progress(Progress {
                        collection: name.clone(),
                        documents: total,
                    });
                }
            }
            counts.insert(name.clone(), n);
            progress(Progress {
                collection: name.clone(),
                documents: total,
            });
        }
        write(&mut out, &serde_json::json!({ "end": counts }))?;
        let enc = out.into_inner().map_err(|e| io_err(&tmp, e.into_error()))?;
        let file = enc.finish().map_err(|e| io_err(&tmp, e))?;
        file.sync_all().map_err(|e| io_err(&tmp, e))?;
        Ok(counts)
    }
    .await;
    let counts = match result {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, path).map_err(|e| io_err(path, e))?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(Summary {
        manifest,
        documents: counts.values().sum(),
        counts,
        bytes,
    })
}

/// Read a backup's manifest (and check that it is one).
pub fn inspect(path: &Path) -> Result<Manifest> {
    let mut lines = open(path)?;
    read_manifest(path, &mut lines)
}

type Lines = std::io::Lines<BufReader<GzDecoder<std::fs::File>>>;

fn open(path: &Path) -> Result<Lines> {
    let file = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    Ok(BufReader::new(GzDecoder::new(file)).lines())
}

fn not_backup(path: &Path, why: &str) -> Error {
    Error::invalid(
        "file",
        format!("{}: not an EventHub backup ({why})", path.display()),
    )
}

fn read_manifest(path: &Path, lines: &mut Lines) -> Result<Manifest> {
    let first = lines
        .next()
        .ok_or_else(|| not_backup(path, "empty"))?
        .map_err(|_| not_backup(path, "not a gzip file"))?;
    let m: Manifest = serde_json::from_str(&first).map_err(|_| not_backup(path, "no manifest"))?;
    if m.format != FORMAT {
        return Err(not_backup(path, "unknown format"));
    }
    if m.version > VERSION {
        return Err(Error::new(
            Code::Unsupported,
            format!(
                "{}: made by a newer EventHub (format {}); update EventHub to restore it",
                path.display(),
                m.version
            ),
        ));
    }
    Ok(m)
}

/// Restore a backup into `core`'s database. Refused when that database already holds
/// data of the app, unless `replace` (its collections are then dropped first).
pub async fn restore(
    core: &Core,
    path: &Path,
    replace: bool,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Summary> {
    // Check the whole file before touching the database: a truncated or damaged backup
    // changes nothing.
    let expected = verify(path)?;
    let mut lines = open(path)?;
    let manifest = read_manifest(path, &mut lines)?;
    let existing = names(core).await?;
    let mut holding = vec![];
    for n in &existing {
        if core
            .db()
            .collection::<Document>(n)
            .estimated_document_count()
            .await?
            > 0
        {
            holding.push(n.clone());
        }
    }
    if !holding.is_empty() && !replace {
        return Err(Error::new(
            Code::Conflict,
            format!(
                "the database {} already holds data ({}): restore into an empty database, or replace its contents",
                core.info().database,
                holding.join(", ")
            ),
        ));
    }
    // The tallies' follower would count the restored answers over the restored tallies.
    crate::feedback::follow::stop(core).await;
    for n in &existing {
        core.db().collection::<Document>(n).drop().await?;
    }
    core.ensure_schema().await?;

    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut batch: Vec<Document> = Vec::with_capacity(BATCH);
    let mut total = 0_u64;
    for line in lines {
        let line = line.map_err(|_| not_backup(path, "damaged"))?;
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|_| not_backup(path, "damaged line"))?;
        if let Some(name) = v.get("collection").and_then(|c| c.as_str()) {
            if v.as_object().is_some_and(|o| o.len() == 1) {
                flush(core, current.as_deref(), &mut batch, &mut counts).await?;
                current = Some(name.to_owned());
                counts.entry(name.to_owned()).or_insert(0);
                continue;
            }
        }
        if v.get("end").is_some() && v.as_object().is_some_and(|o| o.len() == 1) {
            break;
        }
        let Ok(Bson::Document(d)) = Bson::try_from(v) else {
            return Err(not_backup(path, "damaged document"));
        };
        if current.as_deref() == Some(crate::feedback::follow::STREAM) {
            // The tally follower's place in this server's change stream (saved by older
            // versions): meaningless on the restored store.
            *counts
                .entry(crate::feedback::follow::STREAM.to_owned())
                .or_insert(0) += 1;
            continue;
        }
        batch.push(d);
        total += 1;
        if batch.len() >= BATCH {
            flush(core, current.as_deref(), &mut batch, &mut counts).await?;
            progress(Progress {
                collection: current.clone().unwrap_or_default(),
                documents: total,
            });
        }
    }
    flush(core, current.as_deref(), &mut batch, &mut counts).await?;
    // The answers were written behind the tallies' follower: every event's tallies are
    // rebuilt from the restored answers when next read.
    crate::feedback::follow::restart(core).await?;
    if counts != expected {
        return Err(Error::internal(format!(
            "the restore wrote {counts:?}, the backup holds {expected:?}"
        )));
    }
    Ok(Summary {
        manifest,
        documents: total,
        counts,
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
    })
}

async fn flush(
    core: &Core,
    coll: Option<&str>,
    batch: &mut Vec<Document>,
    counts: &mut BTreeMap<String, u64>,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let Some(coll) = coll else {
        return Err(Error::invalid("file", "a document outside any collection"));
    };
    let n = batch.len() as u64;
    // Documents are inserted as they were saved: the validators of this version are
    // bypassed for them (they were valid when written; a later version migrates them).
    core.db()
        .collection::<Document>(coll)
        .insert_many(std::mem::take(batch))
        .bypass_document_validation(true)
        .await?;
    *counts.entry(coll.to_owned()).or_insert(0) += n;
    Ok(())
}

/// Read a whole backup and return its counts per collection, refusing a file that was cut
/// short or damaged.
pub fn verify(path: &Path) -> Result<BTreeMap<String, u64>> {
    let mut lines = open(path)?;
    read_manifest(path, &mut lines)?;
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in lines {
        let line = line.map_err(|_| not_backup(path, "damaged or cut short"))?;
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|_| not_backup(path, "damaged line"))?;
        let obj = v.as_object();
        if let Some(end) = v.get("end").filter(|_| obj.is_some_and(|o| o.len() == 1)) {
            let end: BTreeMap<String, u64> =
                serde_json::from_value(end.clone()).map_err(|_| not_backup(path, "damaged end"))?;
            if end != seen {
                return Err(not_backup(path, "counts do not match"));
            }
            return Ok(end);
        }
        if let Some(name) = v
            .get("collection")
            .and_then(|c| c.as_str())
            .filter(|_| obj.is_some_and(|o| o.len() == 1))
        {
            current = Some(name.to_owned());
            seen.entry(name.to_owned()).or_insert(0);
            continue;
        }
        match &current {
            Some(c) => *seen.entry(c.clone()).or_insert(0) += 1,
            None => return Err(not_backup(path, "a document outside any collection")),
        }
    }
    Err(not_backup(path, "cut short"))
}
