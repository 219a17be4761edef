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
//! session: an atomic `$inc` that returns 1 (or 0) tells that the respondent is new to (or
//! gone from) the event or session, even when two answers of the same person race.
//!
//! Every answer write goes through [`apply`] (old and new answer) right after the answer
//! itself; the tallies are derived data, never synced: [`rebuild`] recomputes an event's
//! from the raw answers (after a sync brought answers, or for data written before the
//! tallies existed), and the dashboard's pipelines stay the reference (`dashboard check`).

use std::collections::BTreeMap;

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use mongodb::{options::ReturnDocument, Collection, IndexModel};

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

/// Update the tallies for one answer write: `old` is the answer before (none for a first
/// answer), `new` after (none for a deletion).
pub async fn apply(core: &Core, old: Option<&Answer>, new: Option<&Answer>) -> Result<()> {
    let Some(a) = new.or(old) else {
        return Ok(());
    };
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
    let event = &a.event_id;
    let q_write = async {
        if inc.is_empty() {
            return Ok::<(), crate::Error>(());
        }
        let inc: Document = inc.into_iter().map(|(k, v)| (k, Bson::Int64(v))).collect();
        tallies(core)
            .update_one(
                doc! { "_id": q_id(&a.question_id) },
                doc! { "$inc": inc, "$setOnInsert": {
                    "event_id": event, "t": "q", "question_id": &a.question_id,
                    "session_id": a.session_id.clone().map_or(Bson::Null, Bson::String),
                    "kind": a.kind.as_str(),
                } },
            )
            .upsert(true)
            .await?;
        Ok(())
    };
    // Only a first answer or a deletion changes who answered and when.
    let step = match (old, new) {
        (None, Some(_)) => 1i64,
        (Some(_), None) => -1,
        _ => 0,
    };
    if step == 0 {
        q_write.await?;
        return Ok(());
    }
    let (day, minute) = minute_of(a.created_at);
    let t_write = async {
        tallies(core)
            .update_one(
                doc! { "_id": t_id(event, day) },
                doc! { "$inc": { format!("m.{minute}"): step },
                "$setOnInsert": { "event_id": event, "t": "t", "day": day } },
            )
            .upsert(true)
            .await?;
        Ok::<(), crate::Error>(())
    };
    // How many answers the respondent now has in the event / session: 1 after a first,
    // 0 after the last one's deletion.
    let mark = |key: String| async move {
        let d = presence(core)
            .find_one_and_update(
                doc! { "_id": key },
                doc! { "$inc": { "n": step }, "$setOnInsert": { "event_id": event } },
            )
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await?;
        let n = d.map_or(0, |d| super::num(d.get("n")));
        Ok::<bool, crate::Error>((step == 1 && n == 1) || (step == -1 && n == 0))
    };
    let r_key = format!("r{SEP}{event}{SEP}{}", a.respondent);
    let rs_key = a
        .session_id
        .as_ref()
        .map(|s| format!("rs{SEP}{event}{SEP}{s}{SEP}{}", a.respondent));
    let ((), (), new_to_event, new_to_session) =
        futures_util::try_join!(q_write, t_write, mark(r_key), async {
            match rs_key {
                Some(k) => mark(k).await,
                None => Ok(false),
            }
        },)?;
    let e_write = async {
        if new_to_event {
            tallies(core)
                .update_one(
                    doc! { "_id": e_id(event) },
                    doc! { "$inc": { "respondents": step },
                    "$setOnInsert": { "event_id": event, "t": "e" } },
                )
                .upsert(true)
                .await?;
        }
        Ok::<(), crate::Error>(())
    };
    let s_write = async {
        if let (true, Some(s)) = (new_to_session, a.session_id.as_ref()) {
            tallies(core)
                .update_one(
                    doc! { "_id": s_id(event, s) },
                    doc! { "$inc": { "attendees": step },
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
    for a in gone {
        apply(core, Some(a), None).await?;
    }
    Ok(())
}

/// Recompute an event's tallies from its raw answers (server-side groups). Writes racing
/// with a rebuild may be counted twice or not at all: run it when the event is quiet, or
/// check with `dashboard check` afterwards.
pub async fn rebuild(core: &Core, event_id: &str) -> Result<()> {
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
