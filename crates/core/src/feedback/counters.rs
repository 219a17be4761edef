//! Answer tallies kept with the answers (MongoDB's computed pattern), so that the
//! dashboard reads a few dozen small documents instead of grouping every answer.
//!
//! `feedback_tallies` holds, per event:
//! - `q␟<question>`: answers `n`, the sum of the numbers `sum`, counts per number `v.<num>`
//!   and per choice `c.<choice id>` (choice ids are letters, digits, `-` and `_` only);
//! - `s␟<event>␟<session>`: distinct respondents of the session (`attendees`);
//! - `e␟<event>`: distinct respondents of the event (`respondents`);
//! - `t␟<event>␟<day ms>`: first answers per minute of that UTC day (`m.<minute>`).
//!
//! `feedback_presence` holds how many answers each respondent has in the event and in each
//! session, and exists only while that count is at least 1: the upsert that creates it
//! tells that the respondent is new to the event or session, the deletion of the last one
//! that they are gone, even when two answers of the same person race.
//!
//! Every answer write moves the tallies. Where the server has change streams and
//! transactions, a first answer is one insert, counted by the follower of the answers'
//! change stream ([`super::follow`]) together with the answers that arrived with it; a
//! changed answer moves its question's tally right after its write ([`apply`], old and new
//! answer); a deletion waits for the follower, then goes through [`apply`] on its own.
//! Elsewhere (a stand-alone `mongod`) a first answer is inserted and counted by the
//! [`Queue`] ([`insert_first`]), which writes the answers arriving together and their
//! tallies in shared commands, and a change's tallies go through the same queue. The
//! tallies are derived data, never synced: [`rebuild`] recomputes an event's from the raw
//! answers (after a sync brought answers, or for data written before the tallies existed),
//! and the dashboard's pipelines stay the reference (`dashboard check`).

use std::collections::BTreeMap;

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use mongodb::{Collection, IndexModel};

use super::{Answer, ANSWERS};
use crate::{db::index, Core, Result};

pub const TALLIES: &str = "feedback_tallies";
pub const PRESENCE: &str = "feedback_presence";
const SEP: char = '\u{1f}';
const DAY_MS: i64 = 86_400_000;

pub fn tallies(core: &Core) -> Collection<Document> {
    core.db().collection(TALLIES)
}

fn presence(core: &Core) -> Collection<Document> {
    core.db().collection(PRESENCE)
}

/// The one index of the tallies: every read is "all of an event's".
pub fn tally_indexes() -> Vec<IndexModel> {
    vec![index(doc! { "event_id": 1, "t": 1 }, "event_t")]
}

pub fn presence_indexes() -> Vec<IndexModel> {
    vec![index(doc! { "event_id": 1 }, "event")]
}

/// How a core keeps its database's tallies: followed from the answers' change stream
/// ([`super::follow`]) where the server has change streams and transactions, otherwise
/// written with each answer through the [`Queue`].
#[derive(Default)]
pub struct Counting {
    queue: Queue,
    pub(crate) follower: super::follow::Follower,
    inline: bool,
}

impl Counting {
    /// Count with each answer write, whatever the server.
    pub(crate) fn inline() -> Counting {
        Counting {
            inline: true,
            ..Counting::default()
        }
    }
}

/// Whether `core`'s first answers are counted by the follower of the answers' change
/// stream (rather than with their write).
pub fn followed(core: &Core) -> bool {
    !core.counting().inline && core.caps().change_streams && core.caps().transactions
}

fn q_id(question: &str) -> String {
    format!("q{SEP}{question}")
}
fn s_id(event: &str, session: &str) -> String {
    format!("s{SEP}{event}{SEP}{session}")
}
fn e_id(event: &str) -> String {
    format!("e{SEP}{event}")
}
fn t_id(event: &str, day: i64) -> String {
    format!("t{SEP}{event}{SEP}{day}")
}

/// `(day start ms, minute of the day)` of an instant.
fn minute_of(at: chrono::DateTime<chrono::Utc>) -> (i64, i64) {
    let ms = at.timestamp_millis();
    let day = ms.div_euclid(DAY_MS) * DAY_MS;
    (day, (ms - day) / 60_000)
}

fn add(m: &mut BTreeMap<String, i64>, k: String, d: i64) {
    *m.entry(k).or_default() += d;
}

/// How a write of one answer moves the question's tally: `-1` for the answer as it was,
/// `+1` as it is now (`n`, `sum`, `v.<num>`, `c.<choice>`), zeros left out.
fn question_inc(old: Option<&Answer>, new: Option<&Answer>) -> BTreeMap<String, i64> {
    let mut inc: BTreeMap<String, i64> = BTreeMap::new();
    for (x, sign) in [(old, -1i64), (new, 1)] {
        let Some(x) = x else { continue };
        add(&mut inc, "n".into(), sign);
        if let Some(n) = x.num {
            add(&mut inc, "sum".into(), sign * i64::from(n));
            add(&mut inc, format!("v.{n}"), sign);
        }
        for c in &x.choices {
            if c.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                add(&mut inc, format!("c.{c}"), sign);
            }
        }
    }
    inc.retain(|_, v| *v != 0);
    inc
}

fn question_insert(a: &Answer) -> Document {
    doc! {
        "event_id": &a.event_id, "t": "q", "question_id": &a.question_id,
        "session_id": a.session_id.clone().map_or(Bson::Null, Bson::String),
        "kind": a.kind.as_str(),
    }
}

fn inc_doc(inc: &BTreeMap<String, i64>) -> Document {
    inc.iter()
        .map(|(k, v)| (k.clone(), Bson::Int64(*v)))
        .collect()
}

/// Update the tallies for one answer write: `old` is the answer before (none for a first
/// answer written without [`insert_first`]), `new` after (none for a deletion).
///
/// Where the tallies are [`followed`], a first answer is counted by the follower (nothing
/// to do here), a change moves its question's tally at once, and a deletion (erasures,
/// merges) waits for the follower to have counted every answer so far, then is written on
/// its own. Otherwise a first or changed answer hands its increments to the core's
/// [`Queue`]: the tally writes of answers arriving together go to the server in a few
/// shared commands, and the call returns once they are applied.
pub async fn apply(core: &Core, old: Option<&Answer>, new: Option<&Answer>) -> Result<()> {
    if new.is_none() && old.is_some() {
        // Every answer written so far is counted before one is taken out (the follower
        // would otherwise count a deleted answer's insert after its removal).
        super::follow::settle(core).await?;
    }
    apply_counted(core, old, new).await
}

/// [`apply`], the answers written before a deletion being counted already.
async fn apply_counted(core: &Core, old: Option<&Answer>, new: Option<&Answer>) -> Result<()> {
    let Some(a) = new.or(old) else {
        return Ok(());
    };
    let inc = question_inc(old, new);
    // Only a first answer or a deletion changes who answered and when.
    let step = match (old, new) {
        (None, Some(_)) => 1i64,
        (Some(_), None) => -1,
        _ => 0,
    };
    let event = &a.event_id;
    if step >= 0 && followed(core) {
        // The follower counts each insert from the change stream: only a change is
        // counted here, by its question's tally alone (`$inc` commutes with the
        // follower's, whichever comes first).
        if step == 1 || inc.is_empty() {
            return Ok(());
        }
        return question_write(core, a, &inc).await;
    }
    if step >= 0 {
        let delta = delta_of(a, inc, step == 1);
        if delta.question.is_none() && delta.first.is_none() {
            return Ok(());
        }
        return submit(core, Work::Tally(Box::new(delta))).await.map(|_| ());
    }
    let q_write = async {
        if inc.is_empty() {
            return Ok::<(), crate::Error>(());
        }
        question_write(core, a, &inc).await
    };
    let (day, minute) = minute_of(a.created_at);
    let t_write = async {
        tallies(core)
            .update_one(
                doc! { "_id": t_id(event, day) },
                doc! { "$inc": { format!("m.{minute}"): -1_i64 },
                "$setOnInsert": { "event_id": event, "t": "t", "day": day } },
            )
            .upsert(true)
            .await?;
        Ok::<(), crate::Error>(())
    };
    let r_key = format!("r{SEP}{event}{SEP}{}", a.respondent);
    let rs_key = a
        .session_id
        .as_ref()
        .map(|s| format!("rs{SEP}{event}{SEP}{s}{SEP}{}", a.respondent));
    let ((), (), gone_from_event, gone_from_session) =
        futures_util::try_join!(q_write, t_write, leave(core, r_key), async {
            match rs_key {
                Some(k) => leave(core, k).await,
                None => Ok(false),
            }
        },)?;
    let e_write = async {
        if gone_from_event {
            tallies(core)
                .update_one(
                    doc! { "_id": e_id(event) },
                    doc! { "$inc": { "respondents": -1_i64 },
                    "$setOnInsert": { "event_id": event, "t": "e" } },
                )
                .upsert(true)
                .await?;
        }
        Ok::<(), crate::Error>(())
    };
    let s_write = async {
        if let (true, Some(s)) = (gone_from_session, a.session_id.as_ref()) {
            tallies(core)
                .update_one(
                    doc! { "_id": s_id(event, s) },
                    doc! { "$inc": { "attendees": -1_i64 },
                    "$setOnInsert": { "event_id": event, "t": "s", "session_id": s } },
                )
                .upsert(true)
                .await?;
        }
        Ok::<(), crate::Error>(())
    };
    futures_util::try_join!(e_write, s_write)?;
    Ok(())
}

/// Move the tally of `a`'s question by `inc` (one upsert, tried again when it raced
/// another writer's upsert or the follower's transaction).
async fn question_write(core: &Core, a: &Answer, inc: &BTreeMap<String, i64>) -> Result<()> {
    let mut tries = 0;
    loop {
        tries += 1;
        let r = tallies(core)
            .update_one(
                doc! { "_id": q_id(&a.question_id) },
                doc! { "$inc": inc_doc(inc), "$setOnInsert": question_insert(a) },
            )
            .upsert(true)
            .await;
        match r {
            Ok(_) => return Ok(()),
            Err(e) if tries < 10 && raced(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// A write that lost a race it may win when tried again: a duplicate key on an upsert, a
/// write conflict with a transaction.
pub(crate) fn raced(e: &mongodb::error::Error) -> bool {
    matches!(crate::error::server_code(e), Some(11000 | 112))
        || e.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR)
}

/// The increments of a first (`first`) or changed answer `a` whose question tally moves
/// by `inc`.
fn delta_of(a: &Answer, inc: BTreeMap<String, i64>, first: bool) -> Delta {
    let event = &a.event_id;
    let (day, minute) = minute_of(a.created_at);
    Delta {
        event: event.clone(),
        question: (!inc.is_empty()).then(|| (q_id(&a.question_id), inc, question_insert(a))),
        first: first.then(|| First {
            day: (t_id(event, day), day, format!("m.{minute}")),
            respondent: format!("r{SEP}{event}{SEP}{}", a.respondent),
            session: a.session_id.as_ref().map(|s| {
                (
                    format!("rs{SEP}{event}{SEP}{s}{SEP}{}", a.respondent),
                    s.clone(),
                )
            }),
        }),
    }
}

/// Insert a first answer and count it, together with the other answers arriving at the
/// same time (see [`Queue`]). [`Written::Duplicate`]: nothing was written, the respondent
/// already has an answer to this question (the unique index `{question_id, respondent}`
/// refused this one), which the caller then changes instead.
pub(crate) async fn insert_first(core: &Core, answer: Answer) -> Result<Written> {
    if followed(core) {
        // The follower must be following before the insert, so that it counts it.
        super::follow::ensure(core).await?;
        return insert_one(core, &answer).await;
    }
    submit(core, Work::Insert(Box::new(answer))).await
}

/// Insert one first answer (the follower counts it).
async fn insert_one(core: &Core, answer: &Answer) -> Result<Written> {
    match super::answers(core).insert_one(answer).await {
        Ok(_) => Ok(Written::Done),
        Err(e) => match crate::error::server_code(&e) {
            Some(11000) => Ok(Written::Duplicate),
            Some(code) => Err(refused(code)),
            None => Err(e.into()),
        },
    }
}

/// Why the server refused an answer's insert (`code`).
fn refused(code: i32) -> crate::Error {
    match code {
        // Document failed validation: the answer was checked before, so only a schema
        // older or newer than this code gets here.
        121 => crate::Error::new(
            crate::error::Code::Validation,
            "the database schema refused the answer",
        ),
        14031 => crate::Error::disk_full(),
        c => crate::Error::internal(format!("answer write refused (code {c})")),
    }
}

/// Hand `work` to the core's [`Queue`] from a task of its own: a caller given up halfway
/// (a phone that hung up) neither loses its answer's tallies nor leaves its job waiting
/// for someone else's write.
async fn submit(core: &Core, work: Work) -> Result<Written> {
    let task_core = core.clone();
    tokio::spawn(async move { task_core.counting().queue.submit(&task_core, work).await })
        .await
        .unwrap_or_else(|_| Err(crate::Error::internal("answer write interrupted")))
}

/// One answer less for a respondent in an event or a session (`key` of `feedback_presence`);
/// true when it was their last. A presence document exists exactly while its count is at
/// least 1 — the batched first answers tell a newcomer by the upsert that created it — so
/// the last answer's deletion removes it. Either step is conditional: a write racing in
/// between makes the loop try again.
async fn leave(core: &Core, key: String) -> Result<bool> {
    loop {
        let r = presence(core)
            .update_one(
                doc! { "_id": &key, "n": { "$gt": 1 } },
                doc! { "$inc": { "n": -1_i64 } },
            )
            .await?;
        if r.matched_count == 1 {
            return Ok(false);
        }
        let r = presence(core)
            .delete_one(doc! { "_id": &key, "n": 1 })
            .await?;
        if r.deleted_count == 1 {
            return Ok(true);
        }
        // A count left at 0 by an older version of the app was not a respondent.
        let r = presence(core)
            .delete_one(doc! { "_id": &key, "n": { "$lte": 0 } })
            .await?;
        if r.deleted_count == 1
            || presence(core)
                .find_one(doc! { "_id": &key })
                .await?
                .is_none()
        {
            return Ok(false);
        }
    }
}

/// The tally increments of a first answer `a`.
pub(crate) fn first_delta(a: &Answer) -> Delta {
    delta_of(a, question_inc(None, Some(a)), true)
}

/// The tally increments of one first or changed answer.
pub(crate) struct Delta {
    event: String,
    /// `(tally id, $inc, $setOnInsert)` of the question's tally.
    question: Option<(String, BTreeMap<String, i64>, Document)>,
    /// Set for a first answer only.
    first: Option<First>,
}

pub(crate) struct First {
    /// `(tally id, day, "m.<minute>")` of the answers-per-minute tally.
    day: (String, i64, String),
    /// Presence key of the respondent in the event.
    respondent: String,
    /// Presence key of the respondent in the session, and the session.
    session: Option<(String, String)>,
}

/// What a caller hands to the [`Queue`].
enum Work {
    /// A first answer: inserted with the batch's others, then counted.
    Insert(Box<Answer>),
    /// The increments of an answer already written (a change).
    Tally(Box<Delta>),
}

/// What became of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// Written and counted.
    Done,
    /// Not inserted: the respondent already has an answer to this question.
    Duplicate,
}

struct Job {
    work: Work,
    done: tokio::sync::oneshot::Sender<Result<Written>>,
}

/// The answers in flight and their tally writes, gathered into shared commands (a group
/// commit).
///
/// Each first answer would otherwise cost an insert and four to six small writes of its
/// own (question, minute, presence in the event and the session, respondents,
/// attendees), and secantusd-rs, like mongod, spends most of a small write on the command
/// around it (an `update` command of 50 statements writes about six times as many
/// documents per second as 50 commands of one, measured in `docs/performance.md`). The
/// first caller to find the queue free writes everything waiting, in at most four
/// commands: the first answers (one `insert`, unordered, so a refused one does not stop
/// the others), the tallies and the presence counts of what was written (together), then
/// the respondents and attendees that the presence upserts revealed. Callers arriving
/// meanwhile queue up and are written by the next one, which may start as soon as this
/// one's tallies and presence counts are written. Each caller gets its answer back only
/// once its tallies are written, so the dashboard and the live refresh see them at once.
///
/// The tally commands are MongoDB's `update` command with many statements (what every
/// driver's bulk write sends): the Rust driver's own bulk API needs MongoDB 8's
/// `bulkWrite`, and the app targets MongoDB 7 as well.
#[derive(Default)]
pub struct Queue {
    pending: std::sync::Mutex<Vec<Job>>,
    writer: tokio::sync::Mutex<()>,
}

impl Queue {
    async fn submit(&self, core: &Core, work: Work) -> Result<Written> {
        let (done, mut rx) = tokio::sync::oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Job { work, done });
        let turn = self.writer.lock().await;
        if let Ok(r) = rx.try_recv() {
            return r;
        }
        let jobs = std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        write_batch(core, jobs, turn).await;
        rx.await
            .unwrap_or_else(|_| Err(crate::Error::internal("tally write interrupted")))
    }
}

fn statement(filter: Document, update: Document) -> Document {
    doc! { "q": filter, "u": update, "upsert": true }
}

/// One `update` command; returns the indexes of the statements that inserted a document,
/// and those that failed on a duplicate key (an upsert racing another, or a presence count
/// left at 0 by an older version).
async fn update_many_statements(
    core: &Core,
    collection: &str,
    updates: Vec<Document>,
) -> Result<(Vec<usize>, Vec<usize>)> {
    if updates.is_empty() {
        return Ok((vec![], vec![]));
    }
    let reply = core
        .db()
        .run_command(doc! { "update": collection, "updates": updates, "ordered": false })
        .await?;
    let (upserted, errors) = statement_outcome(&reply);
    let mut duplicates = vec![];
    for (i, code) in errors {
        if code == 11000 {
            duplicates.push(i);
        } else {
            return Err(crate::Error::internal(format!(
                "tally write refused (code {code})"
            )));
        }
    }
    Ok((upserted, duplicates))
}

/// What an `update` command of many statements did: the indexes of the statements that
/// inserted a document, and `(index, code)` of those refused.
pub(crate) fn statement_outcome(reply: &Document) -> (Vec<usize>, Vec<(usize, i64)>) {
    let index = |d: &Document| super::num(d.get("index")).max(0) as usize;
    let upserted = reply
        .get_array("upserted")
        .map(|a| a.iter().filter_map(Bson::as_document).map(index).collect())
        .unwrap_or_default();
    let errors = reply
        .get_array("writeErrors")
        .map(|a| {
            a.iter()
                .filter_map(Bson::as_document)
                .map(|e| (index(e), super::num(e.get("code"))))
                .collect()
        })
        .unwrap_or_default();
    (upserted, errors)
}

/// A presence key's answers added in a batch, its event, and its session (session keys).
pub(crate) type Mark = (i64, String, Option<String>);

/// Write `jobs` (see [`Queue`]) and tell each caller; `turn` (the queue's writer lock) is
/// released once the tallies and presence counts are written.
async fn write_batch(core: &Core, jobs: Vec<Job>, turn: tokio::sync::MutexGuard<'_, ()>) {
    // The first answers, inserted together: what each became.
    let firsts: Vec<&Answer> = jobs
        .iter()
        .filter_map(|j| match &j.work {
            Work::Insert(a) => Some(&**a),
            Work::Tally(_) => None,
        })
        .collect();
    let inserted = insert_answers(core, &firsts).await;
    let mut outcome: Vec<Option<Result<Written>>> = Vec::with_capacity(jobs.len());
    let mut deltas: Vec<Delta> = vec![];
    let mut k = 0;
    for j in &jobs {
        match &j.work {
            Work::Insert(a) => {
                let a: &Answer = a;
                match &inserted[k] {
                    Ok(Written::Done) => {
                        deltas.push(delta_of(a, question_inc(None, Some(a)), true));
                        outcome.push(None);
                    }
                    other => outcome.push(Some(other.clone())),
                }
                k += 1;
            }
            Work::Tally(_) => outcome.push(None),
        }
    }
    let tally_jobs = jobs.iter().filter_map(|j| match &j.work {
        Work::Tally(d) => Some(&**d),
        Work::Insert(_) => None,
    });
    let all: Vec<&Delta> = tally_jobs.chain(deltas.iter()).collect();
    let r = write_tallies(core, &all, turn).await;
    for (j, o) in jobs.into_iter().zip(outcome) {
        let _ = j
            .done
            .send(o.unwrap_or_else(|| r.clone().map(|()| Written::Done)));
    }
}

/// Insert first answers in one unordered `insert` command; per answer, whether it was
/// written, refused as a duplicate (the respondent already answered), or failed.
async fn insert_answers(core: &Core, firsts: &[&Answer]) -> Vec<Result<Written>> {
    if firsts.is_empty() {
        return vec![];
    }
    let e = match super::answers(core)
        .insert_many(firsts.iter().copied())
        .ordered(false)
        .await
    {
        Ok(_) => return vec![Ok(Written::Done); firsts.len()],
        Err(e) => e,
    };
    if let mongodb::error::ErrorKind::InsertMany(m) = e.kind.as_ref() {
        if let (Some(errors), None) = (&m.write_errors, &m.write_concern_error) {
            let mut out = vec![Ok(Written::Done); firsts.len()];
            for w in errors {
                if let Some(slot) = out.get_mut(w.index) {
                    *slot = match w.code {
                        11000 => Ok(Written::Duplicate),
                        c => Err(refused(c)),
                    };
                }
            }
            return out;
        }
    }
    let e = crate::Error::from(e);
    vec![Err(e); firsts.len()]
}

/// The shared commands of a batch of tally increments: the tally documents' `$inc`
/// (question and minute increments summed per document) and the presence keys touched.
pub(crate) struct Plan {
    pub tally_updates: Vec<Document>,
    pub marks: Vec<(String, Mark)>,
}

pub(crate) fn plan(deltas: &[&Delta]) -> Plan {
    let mut tally: BTreeMap<String, (BTreeMap<String, i64>, Document)> = BTreeMap::new();
    // Presence keys: answers added, the event, the session of a session key.
    let mut marks: BTreeMap<String, Mark> = BTreeMap::new();
    for d in deltas {
        if let Some((id, inc, insert)) = &d.question {
            let t = tally
                .entry(id.clone())
                .or_insert_with(|| (BTreeMap::new(), insert.clone()));
            for (k, v) in inc {
                add(&mut t.0, k.clone(), *v);
            }
        }
        if let Some(f) = &d.first {
            let (id, day, minute) = &f.day;
            let t = tally.entry(id.clone()).or_insert_with(|| {
                (
                    BTreeMap::new(),
                    doc! { "event_id": &d.event, "t": "t", "day": day },
                )
            });
            add(&mut t.0, minute.clone(), 1);
            marks
                .entry(f.respondent.clone())
                .or_insert((0, d.event.clone(), None))
                .0 += 1;
            if let Some((key, session)) = &f.session {
                marks
                    .entry(key.clone())
                    .or_insert((0, d.event.clone(), Some(session.clone())))
                    .0 += 1;
            }
        }
    }
    let tally_updates: Vec<Document> = tally
        .iter()
        .filter(|(_, (inc, _))| inc.values().any(|v| *v != 0))
        .map(|(id, (inc, insert))| {
            statement(
                doc! { "_id": id },
                doc! { "$inc": inc_doc(inc), "$setOnInsert": insert.clone() },
            )
        })
        .collect();
    Plan {
        tally_updates,
        marks: marks.into_iter().collect(),
    }
}

/// The presence upserts of `marks`. A presence document exists while its count is ≥ 1
/// (see `leave`): the statements that insert one are the respondents new to the event or
/// session. `guarded`: match only a count ≥ 1, so that a count left at 0 by an older
/// version fails on a duplicate key (the inline path then removes it); the follower
/// matches the key alone (see `follow::write`).
pub(crate) fn presence_updates(marks: &[(String, Mark)], guarded: bool) -> Vec<Document> {
    marks
        .iter()
        .map(|(key, (n, event, _))| {
            let filter = if guarded {
                doc! { "_id": key, "n": { "$gte": 1 } }
            } else {
                doc! { "_id": key }
            };
            statement(
                filter,
                doc! { "$inc": { "n": n }, "$setOnInsert": { "event_id": event } },
            )
        })
        .collect()
}

/// The respondents and attendees added by the presence keys at `new_keys` of `marks`
/// (those whose upsert inserted a document), summed per tally document.
pub(crate) fn head_updates(marks: &[(String, Mark)], new_keys: &[usize]) -> Vec<Document> {
    let mut heads: BTreeMap<String, (&'static str, Document, i64)> = BTreeMap::new();
    for i in new_keys {
        let Some((_, (_, event, session))) = marks.get(*i) else {
            continue;
        };
        let (id, field, insert) = match session {
            None => (
                e_id(event),
                "respondents",
                doc! { "event_id": event, "t": "e" },
            ),
            Some(s) => (
                s_id(event, s),
                "attendees",
                doc! { "event_id": event, "t": "s", "session_id": s },
            ),
        };
        heads.entry(id).or_insert((field, insert, 0)).2 += 1;
    }
    heads
        .into_iter()
        .map(|(id, (field, insert, n))| {
            statement(
                doc! { "_id": id },
                doc! { "$inc": { field: n }, "$setOnInsert": insert },
            )
        })
        .collect()
}

/// Write the tallies of `deltas`; `turn` is released once the tallies and presence counts
/// are written, before the respondents and attendees.
async fn write_tallies(
    core: &Core,
    deltas: &[&Delta],
    turn: tokio::sync::MutexGuard<'_, ()>,
) -> Result<()> {
    let Plan {
        tally_updates,
        marks,
    } = plan(deltas);
    let ((_, tally_raced), (inserted, raced)) = futures_util::try_join!(
        update_many_statements(core, TALLIES, tally_updates.clone()),
        update_many_statements(core, PRESENCE, presence_updates(&marks, true)),
    )?;
    again(core, &tally_updates, &tally_raced).await?;
    let mut new_keys: Vec<usize> = inserted;
    // A duplicate key here is a count left at 0 by an older version of the app (no
    // respondent): remove it and count again, now as a newcomer.
    for i in raced {
        let (key, (n, event, _)) = &marks[i];
        presence(core)
            .delete_one(doc! { "_id": key, "n": { "$lte": 0 } })
            .await?;
        let r = presence(core)
            .update_one(
                doc! { "_id": key, "n": { "$gte": 1 } },
                doc! { "$inc": { "n": n }, "$setOnInsert": { "event_id": event } },
            )
            .upsert(true)
            .await?;
        if r.upserted_id.is_some() {
            new_keys.push(i);
        }
    }
    // The next batch may start: what is left are increments of their own documents.
    drop(turn);
    let head_updates = head_updates(&marks, &new_keys);
    let (_, raced) = update_many_statements(core, TALLIES, head_updates.clone()).await?;
    again(core, &head_updates, &raced).await
}

/// Write again the statements whose upsert raced another writer's (another process
/// inserted the same tally document first): now they update the document it inserted.
async fn again(core: &Core, updates: &[Document], raced: &[usize]) -> Result<()> {
    if raced.is_empty() {
        return Ok(());
    }
    let retry = raced
        .iter()
        .filter_map(|i| updates.get(*i).cloned())
        .collect();
    let (_, still) = update_many_statements(core, TALLIES, retry).await?;
    if still.is_empty() {
        Ok(())
    } else {
        Err(crate::Error::internal("tally write kept racing"))
    }
}

/// The answers matching `filter`, read before they are deleted (an erasure) so that
/// [`forget`] can take them out of the tallies.
pub async fn answers_matching(core: &Core, filter: Document) -> Result<Vec<Answer>> {
    Ok(super::answers(core)
        .find(filter)
        .await?
        .try_collect()
        .await?)
}

/// Take deleted answers out of the tallies.
pub async fn forget(core: &Core, gone: &[Answer]) -> Result<()> {
    if gone.is_empty() {
        return Ok(());
    }
    super::follow::settle(core).await?;
    for a in gone {
        apply_counted(core, Some(a), None).await?;
    }
    Ok(())
}

/// Recompute an event's tallies from its raw answers (server-side groups). Writes racing
/// with a rebuild may be counted twice or not at all: run it when the event is quiet, or
/// check with `dashboard check` afterwards.
pub async fn rebuild(core: &Core, event_id: &str) -> Result<()> {
    // The answers written so far are counted first, so that the follower does not count
    // them again over the rebuilt tallies (answers a sync just brought, for one).
    super::follow::settle(core).await?;
    let answers = core.db().collection::<Document>(ANSWERS);
    let run = |p: Vec<Document>| {
        let answers = answers.clone();
        async move {
            let v: Vec<Document> = answers.aggregate(p).await?.try_collect().await?;
            Ok::<Vec<Document>, crate::Error>(v)
        }
    };
    let m = doc! { "$match": { "event_id": event_id } };
    let (per_q, per_num, per_choice, per_resp, per_sess_resp, per_min) = futures_util::try_join!(
        run(vec![
            m.clone(),
            doc! { "$group": {
                "_id": "$question_id", "n": { "$sum": 1 }, "sum": { "$sum": "$num" },
                "session_id": { "$first": "$session_id" }, "kind": { "$first": "$kind" },
            } },
        ]),
        run(vec![
            doc! { "$match": { "event_id": event_id, "num": { "$type": "number" } } },
            doc! { "$group": { "_id": { "q": "$question_id", "v": "$num" }, "n": { "$sum": 1 } } },
        ]),
        run(vec![
            m.clone(),
            doc! { "$unwind": "$choices" },
            doc! { "$group": { "_id": { "q": "$question_id", "v": "$choices" }, "n": { "$sum": 1 } } },
        ]),
        run(vec![
            m.clone(),
            doc! { "$group": { "_id": "$respondent", "n": { "$sum": 1 } } },
        ]),
        run(vec![
            doc! { "$match": { "event_id": event_id, "session_id": { "$type": "string" } } },
            doc! { "$group": { "_id": { "s": "$session_id", "r": "$respondent" }, "n": { "$sum": 1 } } },
        ]),
        run(vec![
            m.clone(),
            doc! { "$group": { "_id": { "$dateTrunc": { "date": "$created_at", "unit": "minute" } }, "n": { "$sum": 1 } } },
        ]),
    )?;
    let mut q: BTreeMap<String, Document> = BTreeMap::new();
    for d in per_q {
        let Ok(id) = d.get_str("_id") else { continue };
        q.insert(
            id.to_owned(),
            doc! {
                "_id": q_id(id), "event_id": event_id, "t": "q", "question_id": id,
                "session_id": d.get("session_id").cloned().unwrap_or(Bson::Null),
                "kind": d.get("kind").cloned().unwrap_or(Bson::Null),
                "n": super::num(d.get("n")), "sum": super::num(d.get("sum")),
                "v": {}, "c": {},
            },
        );
    }
    for (rows, field) in [(&per_num, "v"), (&per_choice, "c")] {
        for d in rows {
            let Ok(id) = d.get_document("_id") else {
                continue;
            };
            let key = match id.get("v") {
                Some(Bson::String(s)) => s.clone(),
                Some(b @ (Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_))) => {
                    super::num(Some(b)).to_string()
                }
                _ => continue,
            };
            if key.contains(['.', '$']) {
                continue;
            }
            if let Some(qd) = q.get_mut(id.get_str("q").unwrap_or_default()) {
                if let Ok(sub) = qd.get_document_mut(field) {
                    sub.insert(key, super::num(d.get("n")));
                }
            }
        }
    }
    let mut docs: Vec<Document> = q.into_values().collect();
    docs.push(doc! {
        "_id": e_id(event_id), "event_id": event_id, "t": "e", "respondents": per_resp.len() as i64,
        "built": true,
    });
    let mut attendees: BTreeMap<String, i64> = BTreeMap::new();
    let mut marks: Vec<Document> = vec![];
    for d in &per_resp {
        let r = d.get_str("_id").unwrap_or_default();
        marks.push(doc! { "_id": format!("r{SEP}{event_id}{SEP}{r}"), "event_id": event_id, "n": super::num(d.get("n")) });
    }
    for d in &per_sess_resp {
        let Ok(id) = d.get_document("_id") else {
            continue;
        };
        let (s, r) = (
            id.get_str("s").unwrap_or_default(),
            id.get_str("r").unwrap_or_default(),
        );
        *attendees.entry(s.to_owned()).or_default() += 1;
        marks.push(doc! { "_id": format!("rs{SEP}{event_id}{SEP}{s}{SEP}{r}"), "event_id": event_id, "n": super::num(d.get("n")) });
    }
    for (s, n) in attendees {
        docs.push(doc! { "_id": s_id(event_id, &s), "event_id": event_id, "t": "s", "session_id": s, "attendees": n });
    }
    let mut days: BTreeMap<i64, Document> = BTreeMap::new();
    for d in &per_min {
        let Ok(at) = d.get_datetime("_id") else {
            continue;
        };
        let (day, minute) = minute_of(at.to_chrono());
        days.entry(day)
            .or_default()
            .insert(minute.to_string(), super::num(d.get("n")));
    }
    for (day, m) in days {
        docs.push(
            doc! { "_id": t_id(event_id, day), "event_id": event_id, "t": "t", "day": day, "m": m },
        );
    }
    tallies(core)
        .delete_many(doc! { "event_id": event_id })
        .await?;
    presence(core)
        .delete_many(doc! { "event_id": event_id })
        .await?;
    for chunk in docs.chunks(1000) {
        tallies(core).insert_many(chunk.to_vec()).await?;
    }
    for chunk in marks.chunks(1000) {
        presence(core)
            .insert_many(chunk.to_vec())
            .ordered(false)
            .await?;
    }
    Ok(())
}

/// An event's tallies, read for the dashboard. Tallies are trusted once built: by
/// [`rebuild`], or when the dashboard first finds the event without answers (then every
/// answer since went through [`apply`]). Otherwise (answers written before the tallies
/// existed, or brought by a sync) they are rebuilt first.
pub async fn read(core: &Core, event_id: &str) -> Result<Vec<Document>> {
    // Answers written while no follower ran (the app closed right after them) are
    // counted from where the last one stopped.
    super::follow::ensure(core).await?;
    let find = || async {
        let v: Vec<Document> = tallies(core)
            .find(doc! { "event_id": event_id })
            .await?
            .try_collect()
            .await?;
        Ok::<Vec<Document>, crate::Error>(v)
    };
    let rows = find().await?;
    let built = rows
        .iter()
        .any(|d| d.get_str("t") == Ok("e") && d.get_bool("built") == Ok(true));
    if built {
        return Ok(rows);
    }
    let any = super::answers_raw(core)
        .find_one(doc! { "event_id": event_id })
        .projection(doc! { "_id": 1 })
        .await?
        .is_some();
    if any {
        rebuild(core, event_id).await?;
    } else {
        tallies(core)
            .update_one(
                doc! { "_id": e_id(event_id) },
                doc! { "$set": { "built": true },
                "$setOnInsert": { "event_id": event_id, "t": "e", "respondents": 0_i64 } },
            )
            .upsert(true)
            .await?;
    }
    find().await
}
