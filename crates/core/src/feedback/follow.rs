//! The answer tallies counted from the answers' change stream, off the answer's path.
//!
//! A first answer costs the portal one insert: a follower task reads the inserts of
//! `feedback_answers` from the database's change stream, and writes the tallies of the
//! answers that arrived together (see [`super::counters`]) in one transaction with its
//! checkpoint — the stream's resume token after the last of them, in `feedback_tally_stream`.
//! So the tallies hold exactly the answers up to the checkpoint, after a crash as after a
//! restart: the next follower resumes the stream from there. The checkpoint's write is
//! conditional on its sequence number, so that two followers of one database (two
//! processes, the app and the CLI) never count an answer twice: the one that falls behind
//! reloads the checkpoint and goes on from it.
//!
//! A change of an answer (a resubmission) moves its question's tally with its write
//! (`$inc` commutes with the follower's); a deletion first waits for the follower
//! ([`settle`]). The dashboard reads the tallies as they are: it lags the answers by one
//! batch of the follower, a few milliseconds, and its live refresh is told when the
//! tallies move. What must see every answer written so far (the check against the raw
//! answers, a rebuild, the tests) calls [`settle`], which writes a mark into the stream
//! and waits until the follower has counted it.
//!
//! Where the server has no change streams or no transactions (a stand-alone `mongod`), the
//! tallies are written with each answer instead (`counters::Queue`); tests cover both.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bson::{doc, Bson, Document};
use futures_util::StreamExt;
use mongodb::{
    change_stream::event::{ChangeStreamEvent, OperationType, ResumeToken},
    ClientSession, Collection,
};

use super::{
    counters::{self, Delta},
    Answer, ANSWERS,
};
use crate::{Core, Error, Result};

/// The follower's checkpoint and the marks of [`settle`].
pub const STREAM: &str = "feedback_tally_stream";
const CHECKPOINT: &str = "answers";
/// Most changes counted in one transaction.
const BATCH: usize = 1000;
/// How long [`settle`] waits for the follower.
const SETTLE_WITHIN: Duration = Duration::from_secs(60);

fn stream(core: &Core) -> Collection<Document> {
    core.db().collection(STREAM)
}

/// A core's follower task (one per database handle). It is asked to stop when the last
/// clone of the core goes away, and stops between two transactions: a transaction left
/// open would hold back a drop of its collections until the server expires it.
#[derive(Default)]
pub struct Follower {
    alive: Arc<AtomicBool>,
    quit: Arc<tokio::sync::Notify>,
    task: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Follower {
    /// Stop the follower (between two transactions) and wait for it, at most 10 s.
    pub(crate) async fn stop(&self) {
        let task = self.task.lock().await.take();
        if let Some(mut t) = task {
            self.quit.notify_one();
            if tokio::time::timeout(Duration::from_secs(10), &mut t)
                .await
                .is_err()
            {
                t.abort();
            }
            self.alive.store(false, Ordering::Release);
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.quit.notify_one();
    }
}

/// Make sure this database's answers are followed from now on: the checkpoint exists (a
/// first one starts at the current operation time) and this core's follower runs. An
/// answer inserted after this returns is counted.
pub(crate) async fn ensure(core: &Core) -> Result<()> {
    if !counters::followed(core) {
        return Ok(());
    }
    let f = &core.counting().follower;
    if f.alive.load(Ordering::Acquire) {
        return Ok(());
    }
    let mut slot = f.task.lock().await;
    if f.alive.load(Ordering::Acquire) {
        return Ok(());
    }
    prepare(core).await?;
    f.alive.store(true, Ordering::Release);
    let (alive, quit) = (f.alive.clone(), f.quit.clone());
    let task_core = core.detached();
    *slot = Some(tokio::spawn(async move {
        run(&task_core, &quit).await;
        alive.store(false, Ordering::Release);
    }));
    Ok(())
}

/// Stop this core's follower, between two of its transactions (the app quitting, a
/// database about to be dropped, tests). The next answer, [`settle`] or dashboard read
/// starts it again, from its checkpoint.
pub async fn stop(core: &Core) {
    core.counting().follower.stop().await;
}

/// Create the checkpoint when there is none: it starts at the operation time of its own
/// write, before any answer the caller writes next. Answers written before were not
/// followed: their events' tallies are marked for a rebuild from the raw answers when next
/// read (`counters::read`).
async fn prepare(core: &Core) -> Result<()> {
    let c = stream(core);
    if c.find_one(doc! { "_id": CHECKPOINT }).await?.is_some() {
        return Ok(());
    }
    let mut s = core.client().start_session().await?;
    let r = c
        .update_one(
            doc! { "_id": CHECKPOINT },
            doc! { "$setOnInsert": { "seq": 0_i64, "token": Bson::Null } },
        )
        .upsert(true)
        .session(&mut s)
        .await?;
    if r.upserted_id.is_none() {
        return Ok(());
    }
    let at = s
        .operation_time()
        .ok_or_else(|| Error::internal("the server gave no operation time"))?;
    c.update_one(
        doc! { "_id": CHECKPOINT, "seq": 0_i64, "token": Bson::Null },
        doc! { "$set": { "start_at": at } },
    )
    .session(&mut s)
    .await?;
    unbuild_all(core, None).await?;
    Ok(())
}

/// Mark every event's tallies for a rebuild from the raw answers.
async fn unbuild_all(
    core: &Core,
    session: Option<&mut ClientSession>,
) -> mongodb::error::Result<()> {
    let tallies = counters::tallies(core);
    let action = tallies.update_many(
        doc! { "t": "e", "built": true },
        doc! { "$unset": { "built": "" } },
    );
    match session {
        Some(s) => action.session(s).await?,
        None => action.await?,
    };
    Ok(())
}

/// Wait until every answer written before this call is counted in the tallies (at most a
/// minute). Nothing to wait for where the tallies are written with the answers.
pub async fn settle(core: &Core) -> Result<()> {
    if !counters::followed(core) {
        return Ok(());
    }
    ensure(core).await?;
    let c = stream(core);
    let id = format!("mark-{}", uuid::Uuid::new_v4().simple());
    c.insert_one(doc! { "_id": &id, "mark": true }).await?;
    let started = Instant::now();
    let mut wait = Duration::from_millis(1);
    loop {
        if c.find_one(doc! { "_id": &id, "done": true })
            .await?
            .is_some()
        {
            c.delete_one(doc! { "_id": &id }).await?;
            return Ok(());
        }
        if started.elapsed() > SETTLE_WITHIN {
            let _ = c.delete_one(doc! { "_id": &id }).await;
            return Err(Error::internal(
                "the answer tallies did not catch up with the answers within a minute",
            ));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_millis(20));
    }
}

/// What the follower does after a stream ends.
enum Next {
    /// Read the checkpoint again and go on from it.
    Reload,
    /// The checkpoint is gone (the database was dropped): stop; the next answer starts a
    /// follower again.
    Stop,
}

async fn run(core: &Core, quit: &tokio::sync::Notify) {
    let mut wait = Duration::from_millis(100);
    loop {
        match follow(core, quit).await {
            Ok(Next::Reload) => wait = Duration::from_millis(100),
            Ok(Next::Stop) => return,
            Err(e) => {
                tracing::warn!(error = %e, "the answer tallies' follower stopped: resuming");
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = quit.notified() => return,
                }
                wait = (wait * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Aborts the stream's reader task when the follower leaves the stream.
struct Reader(tokio::task::JoinHandle<()>);

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.abort();
    }
}

type Received = mongodb::error::Result<ChangeStreamEvent<Document>>;

/// Follow the stream from the checkpoint until it must be reloaded.
async fn follow(core: &Core, quit: &tokio::sync::Notify) -> Result<Next> {
    let Some(cp) = stream(core).find_one(doc! { "_id": CHECKPOINT }).await? else {
        return Ok(Next::Stop);
    };
    let mut seq = cp.get_i64("seq").unwrap_or(0);
    let token: Option<ResumeToken> = match cp.get("token") {
        Some(Bson::Document(d)) => bson::from_document(d.clone()).ok(),
        _ => None,
    };
    let start_at = cp.get_timestamp("start_at").ok();
    if token.is_none() && start_at.is_none() {
        // Another follower is creating it.
        tokio::time::sleep(Duration::from_millis(20)).await;
        return Ok(Next::Reload);
    }
    let pipeline = vec![doc! { "$match": { "$or": [
        { "ns.coll": ANSWERS, "operationType": "insert" },
        { "ns.coll": STREAM, "operationType": "insert", "fullDocument.mark": true },
        {
            "ns.coll": { "$in": [ANSWERS, counters::TALLIES, counters::PRESENCE, STREAM] },
            "operationType": { "$in": ["drop", "rename"] },
        },
        { "operationType": { "$in": ["dropDatabase", "invalidate"] } },
    ] } }];
    let mut watch = core.db().watch().pipeline(pipeline);
    watch = match (token, start_at) {
        (Some(t), _) => watch.resume_after(t),
        (None, Some(at)) => watch.start_at_operation_time(at),
        (None, None) => watch,
    };
    let opened = watch.await;
    let mut changes = match opened {
        Ok(c) => c,
        Err(e) if history_lost(&e) => {
            // The server no longer holds the changes since the checkpoint: follow from
            // now, and rebuild every event's tallies from the raw answers when next read.
            restart(core).await?;
            return Ok(Next::Reload);
        }
        Err(e) => return Err(e.into()),
    };
    // A reader task keeps taking changes while a batch is written: the next batch is
    // whatever arrived meanwhile (a group commit).
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Received>(4 * BATCH);
    let _reader = Reader(tokio::spawn(async move {
        while let Some(ev) = changes.next().await {
            let failed = ev.is_err();
            if tx.send(ev).await.is_err() || failed {
                return;
            }
        }
    }));
    loop {
        let first = tokio::select! {
            r = rx.recv() => r,
            () = quit.notified() => return Ok(Next::Stop),
        };
        let Some(first) = first else {
            return Ok(Next::Reload);
        };
        let mut batch = vec![first.map_err(Error::from)?];
        let mut failed = None;
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(Ok(ev)) => batch.push(ev),
                Ok(Err(e)) => {
                    failed = Some(e);
                    break;
                }
                Err(_) => break,
            }
        }
        let mut deltas: Vec<Delta> = vec![];
        let mut marks: Vec<Bson> = vec![];
        let mut unbuild = false;
        for ev in &batch {
            let coll = ev.ns.as_ref().and_then(|n| n.coll.as_deref());
            match (&ev.operation_type, coll) {
                (OperationType::Insert, Some(c)) if c == ANSWERS => {
                    let answer = ev
                        .full_document
                        .clone()
                        .and_then(|d| bson::from_document::<Answer>(d).ok());
                    match answer {
                        Some(a) => deltas.push(counters::first_delta(&a)),
                        // Not an answer the app can read: the event is rebuilt from the
                        // raw answers (with the pipelines' own reading) when next read.
                        None => unbuild = true,
                    }
                }
                (OperationType::Insert, _) => {
                    if let Some(id) = ev.document_key.as_ref().and_then(|k| k.get("_id")) {
                        marks.push(id.clone());
                    }
                }
                (OperationType::Drop | OperationType::Rename, Some(c)) if c != STREAM => {
                    // Answers, tallies or presence counts went away (a restore replacing
                    // the store): follow from now on, every event's tallies rebuilt from
                    // the raw answers when next read.
                    restart(core).await?;
                    return Ok(Next::Reload);
                }
                // The checkpoint went away with its collection or the database.
                (
                    OperationType::Drop
                    | OperationType::Rename
                    | OperationType::DropDatabase
                    | OperationType::Invalidate,
                    _,
                ) => return Ok(Next::Stop),
                _ => {}
            }
        }
        let last = batch.last().map(|ev| ev.id.clone());
        let token = bson::to_bson(&last).map_err(|e| Error::internal(e.to_string()))?;
        if !commit(core, seq, token, &deltas, &marks, unbuild).await? {
            return Ok(Next::Reload);
        }
        seq += 1;
        if let Some(e) = failed {
            return Err(e.into());
        }
    }
}

/// The server's change history no longer reaches the checkpoint.
fn history_lost(e: &mongodb::error::Error) -> bool {
    // ChangeStreamHistoryLost, ChangeStreamFatalError, and an oplog that was truncated.
    matches!(crate::error::server_code(e), Some(286 | 280 | 136))
}

/// Follow from now on, whatever the checkpoint was, and have every event's tallies rebuilt
/// from the raw answers when next read: after a restore, or when the server's change
/// history no longer reaches the checkpoint. A follower going on from the old checkpoint
/// finds it moved and reloads it; a [`settle`] waiting is let go. Nothing is created when
/// there is no checkpoint (the next answer creates one).
pub async fn restart(core: &Core) -> Result<()> {
    let mut s = core.client().start_session().await?;
    let r = stream(core)
        .update_one(
            doc! { "_id": CHECKPOINT },
            doc! { "$set": { "token": Bson::Null, "start_at": Bson::Null }, "$inc": { "seq": 1_i64 } },
        )
        .session(&mut s)
        .await?;
    if r.matched_count == 1 {
        let at = s
            .operation_time()
            .ok_or_else(|| Error::internal("the server gave no operation time"))?;
        stream(core)
            .update_one(
                doc! { "_id": CHECKPOINT, "token": Bson::Null, "start_at": Bson::Null },
                doc! { "$set": { "start_at": at } },
            )
            .session(&mut s)
            .await?;
    }
    unbuild_all(core, None).await?;
    stream(core)
        .update_many(doc! { "mark": true }, doc! { "$set": { "done": true } })
        .await?;
    Ok(())
}

/// Why a transaction of the follower did not go through.
enum Failed {
    /// It raced another writer: try the same batch again.
    Raced,
    Other(Error),
}

impl From<mongodb::error::Error> for Failed {
    fn from(e: mongodb::error::Error) -> Failed {
        if counters::raced(&e) {
            Failed::Raced
        } else {
            Failed::Other(e.into())
        }
    }
}

/// Count a batch and move the checkpoint to `token`, in one transaction. False when the
/// checkpoint is no longer at `seq` (another follower went on): nothing was written.
async fn commit(
    core: &Core,
    seq: i64,
    token: Bson,
    deltas: &[Delta],
    marks: &[Bson],
    unbuild: bool,
) -> Result<bool> {
    let refs: Vec<&Delta> = deltas.iter().collect();
    let plan = counters::plan(&refs);
    let mut tries = 0_u32;
    loop {
        tries += 1;
        let mut s = core.client().start_session().await?;
        s.start_transaction().await?;
        let wrote = write(core, &mut s, seq, &token, &plan, marks, unbuild).await;
        let failed = match wrote {
            Ok(false) => {
                let _ = s.abort_transaction().await;
                return Ok(false);
            }
            Ok(true) => match commit_transaction(&mut s).await {
                Ok(()) => return Ok(true),
                Err(e) => Failed::from(e),
            },
            Err(f) => {
                let _ = s.abort_transaction().await;
                f
            }
        };
        match failed {
            Failed::Raced if tries < 50 => {
                tokio::time::sleep(Duration::from_millis(u64::from(tries.min(20)))).await;
            }
            Failed::Raced => return Err(Error::internal("the tally writes kept racing")),
            Failed::Other(e) => return Err(e),
        }
    }
}

async fn commit_transaction(s: &mut ClientSession) -> mongodb::error::Result<()> {
    loop {
        match s.commit_transaction().await {
            Err(e) if e.contains_label(mongodb::error::UNKNOWN_TRANSACTION_COMMIT_RESULT) => {}
            r => return r,
        }
    }
}

/// The writes of one batch, in the transaction of `s`.
async fn write(
    core: &Core,
    s: &mut ClientSession,
    seq: i64,
    token: &Bson,
    plan: &counters::Plan,
    marks: &[Bson],
    unbuild: bool,
) -> std::result::Result<bool, Failed> {
    let moved = stream(core)
        .update_one(
            doc! { "_id": CHECKPOINT, "seq": seq },
            doc! {
                "$set": { "token": token, "at": bson::DateTime::now() },
                "$inc": { "seq": 1_i64 },
            },
        )
        .session(&mut *s)
        .await?;
    if moved.matched_count == 0 {
        return Ok(false);
    }
    // A presence count left at 0 by an older version of the app matches here and does not
    // count its respondent as new: such an event's tallies are rebuilt from the raw
    // answers (which rewrites its presence counts) since the first checkpoint marked every
    // event for a rebuild (`prepare`).
    let (_, refused) = statements(core, s, counters::TALLIES, plan.tally_updates.clone()).await?;
    let (inserted, refused_presence) = statements(
        core,
        s,
        counters::PRESENCE,
        counters::presence_updates(&plan.marks, false),
    )
    .await?;
    let heads = counters::head_updates(&plan.marks, &inserted);
    let (_, refused_heads) = statements(core, s, counters::TALLIES, heads).await?;
    if refused || refused_presence || refused_heads {
        return Err(Failed::Other(Error::internal("a tally write was refused")));
    }
    if !marks.is_empty() {
        stream(core)
            .update_many(
                doc! { "_id": { "$in": marks.to_vec() } },
                doc! { "$set": { "done": true } },
            )
            .session(&mut *s)
            .await?;
    }
    if unbuild {
        unbuild_all(core, Some(&mut *s)).await?;
    }
    Ok(true)
}

/// One `update` command of many statements in the transaction of `s`: the indexes of the
/// statements that inserted a document, and whether any statement was refused. A duplicate
/// key (an upsert racing another writer's) aborts the transaction: it is tried again.
async fn statements(
    core: &Core,
    s: &mut ClientSession,
    collection: &str,
    updates: Vec<Document>,
) -> std::result::Result<(Vec<usize>, bool), Failed> {
    if updates.is_empty() {
        return Ok((vec![], false));
    }
    let reply = core
        .db()
        .run_command(doc! { "update": collection, "updates": updates, "ordered": true })
        .session(&mut *s)
        .await?;
    let (upserted, errors) = counters::statement_outcome(&reply);
    if errors.iter().any(|(_, c)| *c == 11000 || *c == 112) {
        return Err(Failed::Raced);
    }
    Ok((upserted, !errors.is_empty()))
}
