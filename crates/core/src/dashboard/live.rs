//! Live updates: tell a front end when an event's dashboard has changed, within a second.
//!
//! Change streams on `feedback_answers` and `participants` where the server has them
//! ([`crate::Capabilities::change_streams`]); otherwise polling every second for the
//! newest `updated_at`. Bursts are coalesced: one notification per [`COALESCE`] at most,
//! carrying how many changes it stands for. The core never sees the GUI: the caller
//! passes a callback.

use std::{sync::Arc, time::Duration};

use bson::{doc, Bson, Document};
use futures_util::StreamExt;
use serde::Serialize;
use tokio::{sync::mpsc, task::JoinHandle};

use crate::{feedback::ANSWERS, participants::schema::PARTICIPANTS, Core};

/// Changes closer together than this are reported as one.
pub const COALESCE: Duration = Duration::from_millis(250);
pub const POLL_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    /// `change_stream` or `polling`.
    pub mode: &'static str,
    /// Answers written since the last notification.
    pub answers: u64,
    /// Participant changes (RSVP, check-in) since the last notification.
    pub participants: u64,
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

#[derive(Clone, Copy)]
enum Source {
    Answers,
    Participants,
}

/// Watch the answers and participants of `event_id`; `on_change` is called (from a tokio
/// task) after each burst of changes. Change streams where the server has them.
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
        for (coll, src) in [
            (ANSWERS, Source::Answers),
            (PARTICIPANTS, Source::Participants),
        ] {
            let pipeline = vec![doc! { "$match": {
                "operationType": { "$in": ["insert", "update", "replace"] },
                "fullDocument.event_id": event_id,
            } }];
            // Opened here (not in the task) so that changes after `watch` returns are seen.
            let mut stream = core
                .db()
                .collection::<Document>(coll)
                .watch()
                .pipeline(pipeline)
                .full_document(mongodb::options::FullDocumentType::UpdateLookup)
                .await?;
            let tx = tx.clone();
            feeders.push(tokio::spawn(async move {
                while let Some(ev) = stream.next().await {
                    if ev.is_err() || tx.send(src).is_err() {
                        break;
                    }
                }
            }));
        }
        "change_stream"
    } else {
        for (coll, src) in [
            (ANSWERS, Source::Answers),
            (PARTICIPANTS, Source::Participants),
        ] {
            let c = core.db().collection::<Document>(coll);
            let event_id = event_id.to_owned();
            let tx = tx.clone();
            let mut last = newest(&c, &event_id).await;
            feeders.push(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(POLL_EVERY).await;
                    let now = newest(&c, &event_id).await;
                    if now != last {
                        last = now;
                        if tx.send(src).is_err() {
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
                mode,
                answers: 0,
                participants: 0,
            };
            count(&mut c, first);
            tokio::time::sleep(COALESCE).await;
            while let Ok(s) = rx.try_recv() {
                count(&mut c, s);
            }
            on_change(c);
        }
    });
    Ok(Watch { task, mode })
}

fn count(c: &mut Change, s: Source) {
    match s {
        Source::Answers => c.answers += 1,
        Source::Participants => c.participants += 1,
    }
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
/// a change within the same millisecond is still seen). Uses `{event_id, updated_at}`.
async fn newest(c: &mongodb::Collection<Document>, event_id: &str) -> (Option<i64>, u64) {
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
