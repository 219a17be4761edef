//! Live updates: tell a front end when an event's dashboard has changed, within a second.
//!
//! Change streams on `feedback_answers`, `participants`, `connections` and `social_posts`
//! where the server has them ([`crate::Capabilities::change_streams`]); otherwise polling
//! every second for the newest `updated_at` (for connections and posts, their indexed
//! counts). Bursts are coalesced: one notification per [`COALESCE`] at most,
//! carrying how many changes it stands for and — with change streams — what they touched
//! (questions, sessions, first answers per respondent, the earliest time), so that
//! [`super::refresh`] recomputes only those figures. The core never sees the GUI: the
//! caller passes a callback.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use bson::{doc, Bson, Document};
use futures_util::StreamExt;
use mongodb::change_stream::event::ChangeStreamEvent;
use serde::{Deserialize, Serialize};
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{
    feedback::ANSWERS, networking::CONNECTIONS, participants::schema::PARTICIPANTS, social::POSTS,
    Core,
};

/// Changes closer together than this are reported as one.
pub const COALESCE: Duration = Duration::from_millis(250);
pub const POLL_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, ts_rs::TS)]
#[ts(rename = "LiveChange")]
pub struct Change {
    /// `change_stream` or `polling`.
    #[ts(type = "\"change_stream\" | \"polling\"")]
    pub mode: String,
    /// Answers written since the last notification.
    pub answers: u64,
    /// Participant changes (RSVP, check-in) since the last notification.
    pub participants: u64,
    /// Networking connection changes (requests, acceptances).
    #[serde(default)]
    pub connections: u64,
    /// Social posts imported or fetched.
    #[serde(default)]
    pub mentions: u64,
    /// Changes of the event's answer tallies (counted a few milliseconds after each
    /// answer): a refresh that follows them reads the tallies once the answers are in.
    #[serde(default)]
    pub tallies: u64,
    /// What changed is not known precisely (polling, a deleted answer): refresh everything.
    #[serde(default)]
    pub full: bool,
    /// Questions whose answers changed.
    #[serde(default)]
    pub questions: Vec<String>,
    /// Sessions whose answers changed.
    #[serde(default)]
    pub sessions: Vec<String>,
    /// New answers (inserts, not resubmissions).
    #[serde(default)]
    pub inserted: u64,
    /// Their first-answer times (ms): only those after what a dashboard already counted
    /// are added, so a notification that overlaps a full refresh is not counted twice.
    #[serde(default)]
    pub inserted_at: Vec<i64>,
    /// Respondents with new answers, each with the earliest `created_at` (ms) among them:
    /// a respondent is new to the event when nothing of theirs is older.
    #[serde(default)]
    pub first_answers: BTreeMap<String, i64>,
    /// The same per (session, respondent) — key `session_id + "\u{1f}" + respondent` — for
    /// the attendance of sessions.
    #[serde(default)]
    pub session_firsts: BTreeMap<String, i64>,
    /// The earliest and latest times of the new answers (resubmissions keep their first
    /// time): the timeline buckets between them are recomputed.
    #[serde(default, with = "crate::time::ts_opt")]
    #[ts(type = "string | null")]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default, with = "crate::time::ts_opt")]
    #[ts(type = "string | null")]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

impl Change {
    /// Fold another notification into this one (a front end that was busy refreshing).
    pub fn merge(&mut self, o: Change) {
        self.answers += o.answers;
        self.participants += o.participants;
        self.connections += o.connections;
        self.mentions += o.mentions;
        self.tallies += o.tallies;
        self.full |= o.full;
        for q in o.questions {
            if !self.questions.contains(&q) {
                self.questions.push(q);
            }
        }
        for s in o.sessions {
            if !self.sessions.contains(&s) {
                self.sessions.push(s);
            }
        }
        self.inserted += o.inserted;
        self.inserted_at.extend(o.inserted_at);
        for (r, at) in o.first_answers {
            let e = self.first_answers.entry(r).or_insert(at);
            *e = (*e).min(at);
        }
        for (k, at) in o.session_firsts {
            let e = self.session_firsts.entry(k).or_insert(at);
            *e = (*e).min(at);
        }
        self.since = match (self.since, o.since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.until = match (self.until, o.until) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    fn note(&mut self, s: Source) {
        match s {
            Source::Participants => self.participants += 1,
            Source::Connections => self.connections += 1,
            Source::Mentions => self.mentions += 1,
            Source::Tallies => self.tallies += 1,
            Source::Unknown => {
                self.answers += 1;
                self.full = true;
            }
            Source::Answer(a) => {
                self.answers += 1;
                if !self.questions.contains(&a.question) {
                    self.questions.push(a.question);
                }
                let at = a.created_at.map_or(i64::MAX, |t| t.timestamp_millis());
                if let Some(s) = a.session {
                    if a.inserted {
                        let e = self
                            .session_firsts
                            .entry(format!("{s}\u{1f}{}", a.respondent))
                            .or_insert(at);
                        *e = (*e).min(at);
                    }
                    if !self.sessions.contains(&s) {
                        self.sessions.push(s);
                    }
                }
                if a.inserted {
                    self.inserted += 1;
                    self.inserted_at.push(at);
                    let e = self.first_answers.entry(a.respondent).or_insert(at);
                    *e = (*e).min(at);
                    if let Some(at) = a.created_at {
                        self.since = Some(self.since.map_or(at, |s| s.min(at)));
                        self.until = Some(self.until.map_or(at, |s| s.max(at)));
                    }
                }
            }
        }
    }
}

/// A running watch; dropping it (or [`Watch::stop`]) ends it.
pub struct Watch {
    task: JoinHandle<()>,
    pub mode: &'static str,
}

impl Watch {
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One changed answer, as the change stream describes it.
struct AnswerChange {
    question: String,
    session: Option<String>,
    respondent: String,
    inserted: bool,
    created_at: Option<chrono::DateTime<chrono::Utc>>,
}

enum Source {
    /// An answer of the event, described.
    Answer(AnswerChange),
    /// Answers changed in a way that is not described (polling, deletion).
    Unknown,
    Participants,
    Connections,
    Mentions,
    Tallies,
}

/// What the dashboard watches: each collection with how its changes are reported (answers
/// are described one by one, see [`describe`]).
const WATCHED: [(&str, Kind); 4] = [
    (ANSWERS, Kind::Answers),
    (PARTICIPANTS, Kind::Participants),
    (CONNECTIONS, Kind::Connections),
    (POSTS, Kind::Mentions),
];

#[derive(Clone, Copy)]
enum Kind {
    Answers,
    Participants,
    Connections,
    Mentions,
    Tallies,
}

impl Kind {
    /// The source of a change of this collection (`ev` given with change streams).
    fn source(
        self,
        ev: Option<&mongodb::change_stream::event::ChangeStreamEvent<Document>>,
    ) -> Source {
        match (self, ev) {
            (Kind::Answers, Some(ev)) => describe(ev),
            (Kind::Answers, None) => Source::Unknown,
            (Kind::Participants, _) => Source::Participants,
            (Kind::Connections, _) => Source::Connections,
            (Kind::Mentions, _) => Source::Mentions,
            (Kind::Tallies, _) => Source::Tallies,
        }
    }
}

fn describe(ev: &mongodb::change_stream::event::ChangeStreamEvent<Document>) -> Source {
    use mongodb::change_stream::event::OperationType as Op;
    let inserted = match ev.operation_type {
        Op::Insert => true,
        Op::Update | Op::Replace => false,
        _ => return Source::Unknown,
    };
    let Some(d) = ev.full_document.as_ref() else {
        return Source::Unknown;
    };
    match (d.get_str("question_id"), d.get_str("respondent")) {
        (Ok(q), Ok(r)) => Source::Answer(AnswerChange {
            question: q.to_owned(),
            session: d.get_str("session_id").ok().map(str::to_owned),
            respondent: r.to_owned(),
            inserted,
            created_at: d.get_datetime("created_at").ok().map(|t| t.to_chrono()),
        }),
        _ => Source::Unknown,
    }
}

/// Watch the answers, participants, connections and posts of `event_id`; `on_change` is
/// called (from a tokio task) after each burst of changes. Change streams where the server
/// has them.
pub async fn watch(
    core: &Core,
    event_id: &str,
    on_change: impl Fn(Change) + Send + Sync + 'static,
) -> crate::Result<Watch> {
    watch_using(core, event_id, !core.caps().change_streams, on_change).await
}

/// [`watch`] with the method chosen by the caller (`polling: true` forces the fallback;
/// tests use it to cover both paths on one server).
pub async fn watch_using(
    core: &Core,
    event_id: &str,
    polling: bool,
    on_change: impl Fn(Change) + Send + Sync + 'static,
) -> crate::Result<Watch> {
    let on_change = Arc::new(on_change);
    let (tx, mut rx) = mpsc::unbounded_channel::<Source>();
    let mut feeders: Vec<JoinHandle<()>> = vec![];
    let mode = if !polling {
        for (coll, kind) in WATCHED {
            // Deleted answers carry no document: they are reported as "refresh everything".
            let pipeline = vec![doc! { "$match": { "$or": [
                {
                    "operationType": { "$in": ["insert", "update", "replace"] },
                    "fullDocument.event_id": event_id,
                },
                { "operationType": "delete" },
            ] } }];
            let c = core.db().collection::<Document>(coll);
            // Opened here (not in the task) so that changes after `watch` returns are seen.
            let mut stream = open_stream(&c, &pipeline, None).await?;
            let tx = tx.clone();
            feeders.push(tokio::spawn(async move {
                loop {
                    while let Some(ev) = stream.next().await {
                        let Ok(ev) = ev else { break };
                        if tx.send(kind.source(Some(&ev))).is_err() {
                            return;
                        }
                    }
                    // The server went away (restart, network): open the stream again,
                    // after where it stopped when the server still knows that point, and
                    // have the dashboard recomputed in full since changes may be missed.
                    let token = stream.resume_token();
                    let mut wait = Duration::from_millis(250);
                    stream = loop {
                        tokio::time::sleep(wait).await;
                        if tx.is_closed() {
                            return;
                        }
                        let reopened = match open_stream(&c, &pipeline, token.clone()).await {
                            Ok(s) => Ok(s),
                            Err(_) => open_stream(&c, &pipeline, None).await,
                        };
                        if let Ok(s) = reopened {
                            break s;
                        }
                        wait = (wait * 2).min(Duration::from_secs(5));
                    };
                    if tx.send(Source::Unknown).is_err() {
                        return;
                    }
                }
            }));
        }
        // The tallies follow the answers (see `feedback::follow`): their change says the
        // dashboard's answer figures can be read.
        let mut stream = core
            .db()
            .collection::<Document>(crate::feedback::counters::TALLIES)
            .watch()
            .pipeline(vec![doc! { "$match": {
                "operationType": { "$in": ["insert", "update", "replace"] },
                "fullDocument.event_id": event_id,
            } }])
            .full_document(mongodb::options::FullDocumentType::UpdateLookup)
            .await?;
        let tx2 = tx.clone();
        feeders.push(tokio::spawn(async move {
            while let Some(ev) = stream.next().await {
                if ev.is_err() || tx2.send(Kind::Tallies.source(None)).is_err() {
                    break;
                }
            }
        }));
        "change_stream"
    } else {
        for (coll, kind) in WATCHED {
            let c = core.db().collection::<Document>(coll);
            let event_id = event_id.to_owned();
            let tx = tx.clone();
            let mut last = newest(&c, &event_id, kind).await;
            feeders.push(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(POLL_EVERY).await;
                    let now = newest(&c, &event_id, kind).await;
                    if now != last {
                        last = now;
                        if tx.send(kind.source(None)).is_err() {
                            break;
                        }
                    }
                }
            }));
        }
        "polling"
    };
    drop(tx);
    let task = tokio::spawn(async move {
        let _feeders = Feeders(feeders);
        while let Some(first) = rx.recv().await {
            let mut c = Change {
                mode: mode.to_owned(),
                ..Change::default()
            };
            c.note(first);
            tokio::time::sleep(COALESCE).await;
            while let Ok(s) = rx.try_recv() {
                c.note(s);
            }
            on_change(c);
        }
    });
    Ok(Watch { task, mode })
}

/// A change stream of one collection, resumed after `resume` when given.
async fn open_stream(
    c: &mongodb::Collection<Document>,
    pipeline: &[Document],
    resume: Option<mongodb::change_stream::event::ResumeToken>,
) -> mongodb::error::Result<mongodb::change_stream::ChangeStream<ChangeStreamEvent<Document>>> {
    c.watch()
        .pipeline(pipeline.to_vec())
        .full_document(mongodb::options::FullDocumentType::UpdateLookup)
        .resume_after(resume)
        .await
}

/// Aborts the feeder tasks when the watch ends.
struct Feeders(Vec<JoinHandle<()>>);

impl Drop for Feeders {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// The newest change of an event in a collection, and how many documents it has (so that
/// a change within the same millisecond is still seen). Uses `{event_id, updated_at}`;
/// for connections and posts (which the timeline counts, not edits) how many accepted
/// connections or posts there are, on their `{event_id, …}` indexes.
async fn newest(
    c: &mongodb::Collection<Document>,
    event_id: &str,
    kind: Kind,
) -> (Option<i64>, u64) {
    let counted = match kind {
        Kind::Connections => Some(doc! { "event_id": event_id, "status": "accepted" }),
        Kind::Mentions => Some(doc! { "event_id": event_id }),
        Kind::Answers | Kind::Participants | Kind::Tallies => None,
    };
    if let Some(filter) = counted {
        return (None, c.count_documents(filter).await.unwrap_or(0));
    }
    let d = c
        .find_one(doc! { "event_id": event_id })
        .sort(doc! { "updated_at": -1 })
        .projection(doc! { "updated_at": 1 })
        .await
        .ok()
        .flatten();
    let at = d.and_then(|d| match d.get("updated_at") {
        Some(Bson::DateTime(t)) => Some(t.timestamp_millis()),
        _ => None,
    });
    let n = c
        .count_documents(doc! { "event_id": event_id })
        .await
        .unwrap_or(0);
    (at, n)
}
