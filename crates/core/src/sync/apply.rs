//! Applying a plan to one side, every write conditioned on what was read.
//!
//! A replace or a delete matches the document only if it still carries the `version` and
//! `updated_at` the plan read (or, for a document with neither, every field it read); an
//! insert succeeds only if nothing holds its `_id`. A write that matches nothing means
//! someone wrote meanwhile: the document is left as it is and read again by the next
//! pass. A write the server refuses is reported with a code and words, and the rest goes
//! on; the server's own text goes to the log only.

use std::collections::{HashMap, HashSet};

use bson::{doc, Bson, Document};
use mongodb::error::{ErrorKind, WriteFailure};

use crate::{error::Code, Core, Error, Result};

use super::{id_string, DocFailure};

/// One write of a plan on one side.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Insert(Document),
    Replace { old: Document, new: Document },
    Delete(Document),
}

/// The filter that matches `old` only if nobody changed it since it was read.
pub(crate) fn guard(old: &Document) -> Document {
    let mut f = doc! { "_id": old.get("_id").cloned().unwrap_or(Bson::Null) };
    let mut stamped = false;
    for k in ["version", "updated_at"] {
        if let Some(v) = old.get(k) {
            f.insert(k, v.clone());
            stamped = true;
        }
    }
    if !stamped {
        for (k, v) in old {
            if k != "_id" {
                f.insert(k.clone(), v.clone());
            }
        }
    }
    f
}

/// Replace `old` by `new` in `coll` if nobody changed it since it was read; how many
/// matched.
///
/// A write that may free a unique value ([`releases_a_key`]: a live document becoming a
/// tombstone leaves the partial unique indexes, a seat given up leaves the seat index;
/// [`rekeys`]: an e-mail edited elsewhere leaves its old value) is a delete and an insert in one
/// transaction ([`crate::db::rewrite`], which says why): a plain replace would leave the
/// old value held on SecantusDB and refuse the next live copy holding it.
///
/// The insert of such a rewrite can be refused on a value no live document holds: on
/// SecantusDB, a value an update moved away (the app unseating someone who stops coming,
/// or moving them to another seat) stays claimed by that document, and an insert taking
/// it is refused, even when it is the same document coming back to its seat. An update
/// is not refused there. So a rewrite refused as a duplicate is tried once more as one
/// conditional replace: a value that another live document really holds is refused there
/// too (on every server), and the refusal is reported as before.
pub(crate) async fn replace(
    core: &Core,
    coll: &str,
    old: &Document,
    new: &Document,
) -> mongodb::error::Result<u64> {
    if releases_a_key(old, new) || rekeys(coll, old, new) {
        match crate::db::rewrite(core, coll, guard(old), |_| new.clone()).await {
            Ok(written) => return Ok(u64::from(written.is_some())),
            Err(e)
                if write_code(&e) == Some(11000)
                    || Error::from(e.clone()).code == Code::Duplicate =>
            {
                tracing::info!(
                    collection = coll,
                    "sync: a rewrite refused as a duplicate is tried as one replace"
                );
            }
            Err(e) => return Err(e),
        }
    }
    let c = core.db().collection::<Document>(coll);
    Ok(c.replace_one(guard(old), new.clone()).await?.matched_count)
}

/// Whether replacing `old` by `new` frees a unique value for another document and takes
/// none: a field dropped (a seat given up), or a live document becoming a tombstone (out
/// of the partial unique indexes).
fn releases_a_key(old: &Document, new: &Document) -> bool {
    let tombstone = |d: &Document| matches!(d.get("deleted_at"), Some(Bson::DateTime(_)));
    old.keys().any(|k| !new.contains_key(k)) || (tombstone(new) && !tombstone(old))
}

/// Whether replacing `old` by `new` in `coll` changes a field of the natural key or of the
/// exclusive value (an e-mail edited, an answer moved to a merged survivor, a seat given
/// or moved): the old value is freed, a new one taken.
fn rekeys(coll: &str, old: &Document, new: &Document) -> bool {
    let Some(spec) = crate::schema::spec(coll) else {
        return false;
    };
    let exclusive = spec.exclusive.map_or(&[][..], |e| e.key);
    spec.natural_key
        .iter()
        .chain(exclusive)
        .any(|k| super::dedupe::get_path(old, k) != super::dedupe::get_path(new, k))
}

/// Insert `d`, refused as a duplicate on its exclusive value (a seat) that no live
/// document may hold: SecantusDB keeps a value claimed after an update moved it away
/// (a participant unseated by an RSVP) and refuses any insert taking it, where an update
/// is accepted. So, in one transaction: `d` without the value, then a replace giving it,
/// which every server refuses if the value really is taken. Whether it was written
/// (`false`: nothing to give, or no transactions).
async fn insert_then_give(core: &Core, coll: &str, d: &Document) -> mongodb::error::Result<bool> {
    let Some(ex) = crate::schema::spec(coll).and_then(|s| s.exclusive) else {
        return Ok(false);
    };
    if !d.contains_key(ex.release) || !core.caps().transactions {
        return Ok(false);
    }
    let mut bare = d.clone();
    bare.remove(ex.release);
    let c = core.db().collection::<Document>(coll);
    let mut s = core.client().start_session().await?;
    s.start_transaction().await?;
    let written = async {
        c.insert_one(bare).session(&mut s).await?;
        let id = d.get("_id").cloned().unwrap_or(Bson::Null);
        c.replace_one(doc! { "_id": id }, d.clone())
            .session(&mut s)
            .await
    }
    .await;
    match written {
        Ok(r) if r.matched_count == 1 => {
            s.commit_transaction().await?;
            Ok(true)
        }
        Ok(_) => {
            let _ = s.abort_transaction().await;
            Ok(false)
        }
        Err(e) => {
            let _ = s.abort_transaction().await;
            Err(e)
        }
    }
}

/// Whether `a` and `b` (two documents of `coll`) hold the same natural key or the same
/// exclusive value (the same e-mail in an event, the same seat).
fn shares_a_key(coll: &str, a: &Document, b: &Document) -> bool {
    let Some(spec) = crate::schema::spec(coll) else {
        return false;
    };
    let exclusive = spec.exclusive.map_or(&[][..], |e| e.key);
    let same = |key: &[&str]| {
        !key.is_empty()
            && key.iter().all(|k| {
                let v = super::dedupe::get_path(a, k);
                v.is_some_and(|v| v != &Bson::Null) && v == super::dedupe::get_path(b, k)
            })
    };
    a.get("_id") != b.get("_id") && (same(spec.natural_key) || same(exclusive))
}

/// What became of a plan's writes on one side.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Plans (by index) whose document changed meanwhile: left for the next pass.
    pub deferred: HashSet<usize>,
    /// Plans whose write the server refused.
    pub failed: HashMap<usize, DocFailure>,
}

impl Outcome {
    pub fn ok(&self, i: usize) -> bool {
        !self.deferred.contains(&i) && !self.failed.contains_key(&i)
    }
}

/// A write error's server code, if the server answered with one.
fn write_code(e: &mongodb::error::Error) -> Option<i32> {
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(we)) => Some(we.code),
        ErrorKind::Command(ce) => Some(ce.code),
        _ => None,
    }
}

/// Whether an error means the server is gone (the sync stops) rather than refusing one
/// document (the sync goes on).
fn unreachable(e: &Error) -> bool {
    e.code == Code::DbUnavailable
}

/// A refused write in words, by its code; the server's text goes to the log.
pub(crate) fn failure(coll: &str, id: &str, code: Option<i32>, e: &Error) -> DocFailure {
    tracing::warn!(collection = coll, id, code = ?code, error = %e, "sync: a document was not applied");
    let (code, reason) = match code {
        Some(11000) => (
            Code::Duplicate,
            "another document already holds the same unique value",
        ),
        Some(121) => (
            Code::Validation,
            "the document does not match the collection's rules",
        ),
        _ if e.code == Code::Validation => (
            Code::Validation,
            "the document does not match the collection's rules",
        ),
        _ => (Code::Internal, "the database refused the write"),
    };
    DocFailure {
        collection: coll.to_owned(),
        id: id.to_owned(),
        code,
        reason: reason.to_owned(),
    }
}

fn op_id(op: &Op) -> String {
    let d = match op {
        Op::Insert(d) | Op::Delete(d) => d,
        Op::Replace { new, .. } => new,
    };
    d.get("_id").map(id_string).unwrap_or_default()
}

/// Apply `ops` (each tagged with its plan's index) to `coll` on `core`: deletes first (a
/// keyed document replaced under another `_id` frees its key), then the replaces that
/// free a unique value (a participant unseated, or becoming a tombstone), then those that
/// move one (an e-mail edited, a seat given), then inserts, then the other replaces. Plans in `skip` (already deferred or failed on the other side)
/// are left out, as are the later writes of a plan whose earlier write did not apply.
pub(crate) async fn apply(
    core: &Core,
    coll: &str,
    ops: Vec<(usize, Op)>,
    skip: &Outcome,
) -> Result<Outcome> {
    let c = core.db().collection::<Document>(coll);
    let mut out = Outcome::default();
    let ops: Vec<(usize, Op)> = ops.into_iter().filter(|(i, _)| skip.ok(*i)).collect();
    let (mut deletes, mut inserts, mut replaces) = (vec![], vec![], vec![]);
    let (mut releases, mut rekeyed) = (vec![], vec![]);
    for (i, op) in ops {
        match &op {
            Op::Delete(_) => deletes.push((i, op)),
            Op::Insert(_) => inserts.push((i, op)),
            Op::Replace { old, new } if releases_a_key(old, new) => releases.push((i, op)),
            Op::Replace { old, new } if rekeys(coll, old, new) => rekeyed.push((i, op)),
            Op::Replace { .. } => replaces.push((i, op)),
        }
    }

    // Deletes and replaces one by one (each with its own condition), 64 at a time.
    let conditional = |batch: Vec<(usize, Op)>| {
        let c = c.clone();
        async move {
            let mut results = vec![];
            let futs = batch.into_iter().map(|(i, op)| {
                let c = c.clone();
                async move {
                    let r = match &op {
                        Op::Delete(old) => c.delete_one(guard(old)).await.map(|r| r.deleted_count),
                        Op::Replace { old, new } => replace(core, coll, old, new).await,
                        Op::Insert(_) => Ok(1),
                    };
                    (i, op_id(&op), r)
                }
            });
            for r in futures_util::future::join_all(futs).await {
                results.push(r);
            }
            results
        }
    };
    let settle = |out: &mut Outcome,
                  results: Vec<(usize, String, mongodb::error::Result<u64>)>|
     -> Result<()> {
        for (i, id, r) in results {
            match r {
                Ok(0) => {
                    out.deferred.insert(i);
                }
                Ok(_) => {}
                Err(e) => {
                    let code = write_code(&e);
                    let err = Error::from(e);
                    if unreachable(&err) {
                        return Err(err);
                    }
                    out.failed.insert(i, failure(coll, &id, code, &err));
                }
            }
        }
        Ok(())
    };
    for chunk in deletes.chunks(64).chain(releases.chunks(64)) {
        let results = conditional(chunk.to_vec()).await;
        settle(&mut out, results)?;
    }
    // Then the replaces that move a unique value (freed before the inserts that may take
    // it, after the releases that may free the one they take).
    for chunk in rekeyed.chunks(64) {
        let results = conditional(chunk.to_vec()).await;
        settle(&mut out, results)?;
    }

    // Documents this pass meant to move out of the way (deleted, tombstoned, given another
    // key) and left as they are: written meanwhile, they still hold their values.
    let held: Vec<&Document> = deletes
        .iter()
        .chain(&releases)
        .chain(&rekeyed)
        .filter(|(i, _)| !out.ok(*i))
        .filter_map(|(_, op)| match op {
            Op::Delete(d) | Op::Replace { old: d, .. } => Some(d),
            Op::Insert(_) => None,
        })
        .collect();
    for chunk in inserts.chunks(1000) {
        let chunk: Vec<(usize, Op)> = chunk.iter().filter(|(i, _)| out.ok(*i)).cloned().collect();
        let docs: Vec<Document> = chunk
            .iter()
            .filter_map(|(_, op)| match op {
                Op::Insert(d) => Some(d.clone()),
                _ => None,
            })
            .collect();
        if docs.is_empty() {
            continue;
        }
        let Err(e) = c.insert_many(docs).ordered(false).await else {
            continue;
        };
        // Which documents failed, with their server codes: from the bulk answer, else
        // (a server that reports the batch as one command error) one by one.
        let mut refused: Vec<(usize, String, i32, Error)> = vec![];
        match e.kind.as_ref() {
            ErrorKind::InsertMany(ime) if ime.write_errors.is_some() => {
                for we in ime.write_errors.iter().flatten() {
                    if let Some((i, op)) = chunk.get(we.index) {
                        let err = Error::new(Code::Internal, we.message.clone());
                        refused.push((*i, op_id(op), we.code, err));
                    }
                }
            }
            _ => {
                let err = Error::from(e);
                if unreachable(&err) {
                    return Err(err);
                }
                for (i, op) in &chunk {
                    let Op::Insert(d) = op else { continue };
                    if c.find_one(doc! { "_id": d.get("_id").cloned().unwrap_or(Bson::Null) })
                        .await?
                        .is_some_and(|found| &found == d)
                    {
                        continue;
                    }
                    if let Err(e) = c.insert_one(d.clone()).await {
                        let code = write_code(&e).unwrap_or(0);
                        let err = Error::from(e);
                        if unreachable(&err) {
                            return Err(err);
                        }
                        refused.push((*i, op_id(op), code, err));
                    }
                }
            }
        }
        for (i, id, code, err) in refused {
            let existing = c.find_one(doc! { "_id": &id }).await?;
            let inserted = chunk.iter().find_map(|(j, op)| match op {
                Op::Insert(d) if *j == i => Some(d),
                _ => None,
            });
            let blocked = inserted.is_some_and(|d| held.iter().any(|h| shares_a_key(coll, d, h)));
            if code == 11000 && existing.is_none() && !blocked {
                if let Some(d) = inserted {
                    match insert_then_give(core, coll, d).await {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(e) => {
                            let err = Error::from(e);
                            if unreachable(&err) {
                                return Err(err);
                            }
                        }
                    }
                }
            }
            if code == 11000 && (existing.is_some() || blocked) {
                // Written meanwhile under this id (or by an earlier, interrupted run), or
                // its unique value still held by a document this pass meant to move out
                // of the way but found written meanwhile (an RSVP on the copy of a
                // person being merged away): compared again next pass.
                out.deferred.insert(i);
            } else {
                out.failed.insert(i, failure(coll, &id, Some(code), &err));
            }
        }
    }

    let replaces: Vec<(usize, Op)> = replaces.into_iter().filter(|(i, _)| out.ok(*i)).collect();
    for chunk in replaces.chunks(64) {
        let results = conditional(chunk.to_vec()).await;
        settle(&mut out, results)?;
    }
    Ok(out)
}
