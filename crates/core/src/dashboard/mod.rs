//! The analytics dashboard: every figure comes from a MongoDB aggregation pipeline run by
//! the server (the core never loads documents to count them); the event document only
//! adds names and capacities to the rows. Each pipeline is built by a `*_pipeline`
//! function so that [`explain`] can show its plan (see `docs/performance.md`).
//! [`live`] tells a front end when to refresh.

pub mod export;
pub mod live;
pub mod synthetic;

use std::collections::HashMap;

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use crate::{
    feedback::{self, num, ANSWERS},
    networking::CONNECTIONS,
    participants::schema::PARTICIPANTS,
    social::POSTS,
    Core, Error, Result,
};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, ts_rs::TS)]
pub struct Funnel {
    pub invited: i64,
    pub accepted: i64,
    pub checked_in: i64,
    pub declined: i64,
    pub waitlisted: i64,
    /// accepted ÷ invited (accepted counts those who later checked in).
    pub acceptance_rate: f64,
    /// checked-in ÷ accepted.
    pub show_rate: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct SessionRow {
    pub session_id: String,
    pub title: String,
    pub capacity: Option<u32>,
    /// Distinct people who answered a question of the session.
    pub attendees: i64,
    /// attendees ÷ capacity.
    pub fill_rate: Option<f64>,
    /// Average rating (1–5) of the session's rating questions, and how many ratings.
    pub avg_rating: Option<f64>,
    pub ratings: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, ts_rs::TS)]
pub struct Nps {
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
    pub total: i64,
    /// % promoters − % detractors, −100 to 100.
    pub score: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct Bucket {
    /// The choice id or the number.
    pub value: String,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct Distribution {
    pub question_id: String,
    pub label: String,
    pub kind: feedback::QuestionKind,
    pub status: feedback::QuestionStatus,
    pub answers: i64,
    pub average: Option<f64>,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct TextAnswer {
    pub question_id: String,
    pub question: String,
    pub text: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct TimePoint {
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub answers: i64,
    pub check_ins: i64,
    /// Networking connections accepted in the bucket.
    #[serde(default)]
    pub connections: i64,
    /// Social posts (mentions, hashtags) posted in the bucket.
    #[serde(default)]
    pub mentions: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct Dashboard {
    pub event_id: String,
    pub title: String,
    pub funnel: Funnel,
    pub sessions: Vec<SessionRow>,
    pub nps: Nps,
    pub distributions: Vec<Distribution>,
    pub texts: Vec<TextAnswer>,
    /// The timeline's bucket: `bucket_size` × `bucket` (`minute`, `hour` or `day`).
    #[ts(type = "\"minute\" | \"hour\" | \"day\"")]
    pub bucket: String,
    #[serde(default = "one")]
    pub bucket_size: i64,
    pub timeline: Vec<TimePoint>,
    pub total_answers: i64,
    pub respondents: i64,
    /// The newest first-answer time (ms) the totals include: a live refresh adds only
    /// newer answers (see [`refresh`]).
    #[serde(default)]
    pub counted_until: Option<i64>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub generated_at: chrono::DateTime<chrono::Utc>,
    pub took_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct OverviewRow {
    pub event_id: String,
    pub title: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub funnel: Funnel,
    pub answers: i64,
    pub avg_rating: Option<f64>,
    pub nps: Option<f64>,
}

fn one() -> i64 {
    1
}

/// Most free-text answers listed.
pub const MAX_TEXTS: i64 = 200;

// ---- pipelines ------------------------------------------------------------------------------

/// Participants per status (on `participants`).
pub fn funnel_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": event_id, "deleted_at": { "$type": "null" } } },
        doc! { "$group": { "_id": "$status", "n": { "$sum": 1 } } },
    ]
}

/// Sum of the ratings and their count per session (on answers; covered by the kind
/// index). The average is computed from the integer sum, as from the tallies: a server's
/// floating-point `$avg` can differ in the last bit and round the other way.
pub fn ratings_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": event_id, "kind": "rating" } },
        doc! { "$group": { "_id": "$session_id", "sum": { "$sum": "$num" }, "n": { "$sum": 1 } } },
    ]
}

/// Distinct respondents per session (on answers).
pub fn attendance_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": event_id, "session_id": { "$type": "string" } } },
        doc! { "$group": { "_id": { "s": "$session_id", "r": "$respondent" } } },
        doc! { "$group": { "_id": "$_id.s", "n": { "$sum": 1 } } },
    ]
}

/// Promoters (9–10), passives (7–8), detractors (0–6).
pub fn nps_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": event_id, "kind": "nps" } },
        doc! { "$group": {
            "_id": Bson::Null,
            "promoters": { "$sum": { "$cond": [{ "$gte": ["$num", 9] }, 1, 0] } },
            "passives": { "$sum": { "$cond": [{ "$and": [{ "$gte": ["$num", 7] }, { "$lt": ["$num", 9] }] }, 1, 0] } },
            "detractors": { "$sum": { "$cond": [{ "$lt": ["$num", 7] }, 1, 0] } },
            "n": { "$sum": 1 },
        } },
    ]
}

/// Counts per (question, number) for rating and NPS questions.
pub fn numeric_distribution_pipeline(event_id: &str) -> Vec<Document> {
    numeric_distribution_pipeline_with(
        doc! { "event_id": event_id, "kind": { "$in": ["rating", "nps"] } },
    )
}

/// One question's: equality on every key of `{event_id, kind, session_id, question_id,
/// num}` keeps the scan tight and covered (with `$in` instead, the engine fetched every
/// document: 44 ms → 931 ms on 10,000 answers, see `docs/performance.md`).
pub fn numeric_distribution_pipeline_of(q: &feedback::Question) -> Vec<Document> {
    numeric_distribution_pipeline_with(doc! {
        "event_id": &q.event_id,
        "kind": q.input.kind.as_str(),
        "session_id": q.input.session_id.clone().map_or(Bson::Null, Bson::String),
        "question_id": &q.id,
    })
}

fn numeric_distribution_pipeline_with(m: Document) -> Vec<Document> {
    vec![
        doc! { "$match": m },
        doc! { "$group": { "_id": { "q": "$question_id", "v": "$num" }, "n": { "$sum": 1 } } },
    ]
}

/// Counts per (question, choice) for choice questions, plus answers per question.
pub fn choice_distribution_pipeline(event_id: &str) -> Vec<Document> {
    choice_distribution_pipeline_with(
        doc! { "event_id": event_id, "kind": { "$in": ["single", "multiple"] } },
    )
}

/// One question's, with equality on `{event_id, kind, question_id}`.
pub fn choice_distribution_pipeline_of(q: &feedback::Question) -> Vec<Document> {
    choice_distribution_pipeline_with(doc! {
        "event_id": &q.event_id,
        "kind": q.input.kind.as_str(),
        "question_id": &q.id,
    })
}

fn choice_distribution_pipeline_with(m: Document) -> Vec<Document> {
    vec![
        doc! { "$match": m },
        doc! { "$facet": {
            "per_choice": [
                { "$unwind": "$choices" },
                { "$group": { "_id": { "q": "$question_id", "v": "$choices" }, "n": { "$sum": 1 } } },
            ],
            "per_question": [
                { "$group": { "_id": "$question_id", "n": { "$sum": 1 } } },
            ],
        } },
    ]
}

/// The newest free-text answers.
pub fn texts_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": event_id, "kind": "text" } },
        doc! { "$sort": { "updated_at": -1 } },
        doc! { "$limit": MAX_TEXTS },
        doc! { "$project": { "_id": 0, "question_id": 1, "text": 1, "updated_at": 1 } },
    ]
}

/// The width of the timeline's buckets: a `$dateTrunc` unit and bin size (bins are aligned
/// on 2000-01-01 by the server, so on whole days: a bucket starts at a multiple of
/// [`Bin::step_ms`] since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bin {
    pub unit: &'static str,
    pub size: i64,
}

impl Bin {
    /// What `docs/performance.md` explains: ten-minute buckets (a one-day event).
    pub const TEN_MINUTES: Bin = Bin {
        unit: "minute",
        size: 10,
    };

    /// Buckets for an event of this length: about 20–150 columns on the chart.
    pub fn for_duration(d: chrono::Duration) -> Bin {
        let (unit, size) = if d <= chrono::Duration::hours(3) {
            ("minute", 1)
        } else if d <= chrono::Duration::hours(24) {
            ("minute", 10)
        } else if d <= chrono::Duration::days(7) {
            ("hour", 1)
        } else {
            ("day", 1)
        };
        Bin { unit, size }
    }

    fn trunc(self, field: &str) -> Document {
        doc! { "$dateTrunc": { "date": field, "unit": self.unit, "binSize": self.size } }
    }

    pub fn step_ms(self) -> i64 {
        let unit = match self.unit {
            "minute" => 60_000,
            "hour" => 3_600_000,
            _ => 86_400_000,
        };
        unit * self.size
    }
}

/// Documents matching `m` counted per bucket of their date `field`, oldest first: every
/// timeline series is one of these.
fn per_bucket(m: Document, field: &str, bin: Bin) -> Vec<Document> {
    vec![
        doc! { "$match": m },
        doc! { "$group": { "_id": bin.trunc(&format!("${field}")), "n": { "$sum": 1 } } },
        doc! { "$sort": { "_id": 1 } },
    ]
}

/// Answers per time bucket (first answer time; resubmissions do not add interactions).
pub fn answers_timeline_pipeline(event_id: &str, bin: Bin) -> Vec<Document> {
    per_bucket(doc! { "event_id": event_id }, "created_at", bin)
}

/// Check-ins per time bucket (on `participants`). Dates are matched by a range, not
/// `$type: "date"`: index bounds on the date key, so the plan is covered.
pub fn checkins_timeline_pipeline(event_id: &str, bin: Bin) -> Vec<Document> {
    per_bucket(
        doc! { "event_id": event_id, "checked_in_at": { "$gte": bson::DateTime::MIN } },
        "checked_in_at",
        bin,
    )
}

/// Accepted networking connections per time bucket (on `connections`, index
/// `{event_id, status, accepted_at}`).
pub fn connections_timeline_pipeline(event_id: &str, bin: Bin) -> Vec<Document> {
    per_bucket(
        doc! { "event_id": event_id, "status": "accepted", "accepted_at": { "$gte": bson::DateTime::MIN } },
        "accepted_at",
        bin,
    )
}

/// Social mentions per time bucket (on `social_posts`, index `{event_id, posted_at}`).
pub fn mentions_timeline_pipeline(event_id: &str, bin: Bin) -> Vec<Document> {
    per_bucket(doc! { "event_id": event_id }, "posted_at", bin)
}

/// Totals: answers and distinct respondents.
pub fn totals_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": event_id } },
        doc! { "$group": { "_id": "$respondent", "n": { "$sum": 1 }, "last": { "$max": "$created_at" } } },
        doc! { "$group": { "_id": Bson::Null, "answers": { "$sum": "$n" }, "respondents": { "$sum": 1 }, "last": { "$max": "$last" } } },
    ]
}

/// Every pipeline of an event's dashboard: (name, collection, pipeline).
pub fn pipelines(event_id: &str) -> Vec<(&'static str, &'static str, Vec<Document>)> {
    vec![
        ("funnel", PARTICIPANTS, funnel_pipeline(event_id)),
        ("ratings per session", ANSWERS, ratings_pipeline(event_id)),
        (
            "attendance per session",
            ANSWERS,
            attendance_pipeline(event_id),
        ),
        ("nps", ANSWERS, nps_pipeline(event_id)),
        (
            "numeric distributions",
            ANSWERS,
            numeric_distribution_pipeline(event_id),
        ),
        (
            "choice distributions",
            ANSWERS,
            choice_distribution_pipeline(event_id),
        ),
        ("free text", ANSWERS, texts_pipeline(event_id)),
        (
            "answers over time",
            ANSWERS,
            answers_timeline_pipeline(event_id, Bin::TEN_MINUTES),
        ),
        (
            "check-ins over time",
            PARTICIPANTS,
            checkins_timeline_pipeline(event_id, Bin::TEN_MINUTES),
        ),
        (
            "connections over time",
            CONNECTIONS,
            connections_timeline_pipeline(event_id, Bin::TEN_MINUTES),
        ),
        (
            "mentions over time",
            POSTS,
            mentions_timeline_pipeline(event_id, Bin::TEN_MINUTES),
        ),
        ("totals", ANSWERS, totals_pipeline(event_id)),
    ]
}

async fn run(core: &Core, coll: &str, pipeline: Vec<Document>) -> Result<Vec<Document>> {
    Ok(core
        .db()
        .collection::<Document>(coll)
        .aggregate(pipeline)
        .await?
        .try_collect()
        .await?)
}

fn float(b: Option<&Bson>) -> Option<f64> {
    match b {
        Some(Bson::Double(f)) => Some(*f),
        Some(Bson::Int32(n)) => Some(f64::from(*n)),
        Some(Bson::Int64(n)) => Some(*n as f64),
        _ => None,
    }
}

fn ratio(a: i64, b: i64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn funnel_from(rows: &[Document]) -> Funnel {
    let mut by: HashMap<String, i64> = HashMap::new();
    for d in rows {
        by.insert(d.get_str("_id").unwrap_or("").to_owned(), num(d.get("n")));
    }
    let g = |k: &str| by.get(k).copied().unwrap_or(0);
    let invited: i64 = by.values().sum();
    let checked_in = g("checked_in");
    let accepted = g("accepted") + checked_in;
    Funnel {
        invited,
        accepted,
        checked_in,
        declined: g("declined"),
        waitlisted: g("waitlisted"),
        acceptance_rate: round2(ratio(accepted, invited)),
        show_rate: round2(ratio(checked_in, accepted)),
    }
}

fn nps_from(rows: &[Document]) -> Nps {
    let Some(d) = rows.first() else {
        return Nps::default();
    };
    let (p, pa, de, n) = (
        num(d.get("promoters")),
        num(d.get("passives")),
        num(d.get("detractors")),
        num(d.get("n")),
    );
    Nps {
        promoters: p,
        passives: pa,
        detractors: de,
        total: n,
        score: if n == 0 {
            0.0
        } else {
            ((p - de) as f64 * 1000.0 / n as f64).round() / 10.0
        },
    }
}

/// The time bucket for an event: minutes for a day or less of activity, else hours.
fn bin_for(event: &crate::events::Event) -> Bin {
    Bin::for_duration(event.input.ends_at - event.input.starts_at)
}

async fn event_questions(core: &Core, event_id: &str) -> Result<Vec<feedback::Question>> {
    Ok(feedback::questions(core)
        .find(doc! { "event_id": event_id, "deleted_at": Bson::Null })
        .sort(doc! { "position": 1 })
        .await?
        .try_collect()
        .await?)
}

fn str_key(d: &Document) -> Option<String> {
    d.get_str("_id").map(str::to_owned).ok()
}

/// One row per session of the event.
fn session_rows(
    event: &crate::events::Event,
    ratings: &[Document],
    attendance: &[Document],
) -> Vec<SessionRow> {
    let rating_by: HashMap<Option<String>, (Option<f64>, i64)> = ratings
        .iter()
        .map(|d| {
            let n = num(d.get("n"));
            let avg = (n > 0).then(|| round2(num(d.get("sum")) as f64 / n as f64));
            (str_key(d), (avg, n))
        })
        .collect();
    let att_by: HashMap<Option<String>, i64> = attendance
        .iter()
        .map(|d| (str_key(d), num(d.get("n"))))
        .collect();
    event
        .input
        .sessions
        .iter()
        .map(|s| {
            let (avg, n) = rating_by
                .get(&Some(s.id.clone()))
                .cloned()
                .unwrap_or((None, 0));
            let attendees = att_by.get(&Some(s.id.clone())).copied().unwrap_or(0);
            SessionRow {
                session_id: s.id.clone(),
                title: s.title.clone(),
                capacity: s.capacity,
                attendees,
                fill_rate: s
                    .capacity
                    .filter(|c| *c > 0)
                    .map(|c| round2(attendees as f64 / f64::from(c))),
                avg_rating: avg,
                ratings: n,
            }
        })
        .collect()
}

/// Distributions of `questions` (in their order, every possible value, zeros included)
/// from the numeric and choice pipelines' rows.
fn distributions_from(
    questions: &[feedback::Question],
    numeric: &[Document],
    choice: &[Document],
    english: bool,
) -> Vec<Distribution> {
    let mut counts: HashMap<(String, String), i64> = HashMap::new();
    for d in numeric {
        if let Ok(id) = d.get_document("_id") {
            let v = match id.get("v") {
                Some(Bson::Int32(n)) => n.to_string(),
                Some(Bson::Int64(n)) => n.to_string(),
                Some(Bson::Double(n)) => (*n as i64).to_string(),
                _ => continue,
            };
            counts.insert(
                (id.get_str("q").unwrap_or("").to_owned(), v),
                num(d.get("n")),
            );
        }
    }
    let facet = choice.first().cloned().unwrap_or_default();
    for d in facet
        .get_array("per_choice")
        .map(|a| a.as_slice())
        .unwrap_or(&[])
    {
        if let Some(d) = d.as_document() {
            if let Ok(id) = d.get_document("_id") {
                counts.insert(
                    (
                        id.get_str("q").unwrap_or("").to_owned(),
                        id.get_str("v").unwrap_or("").to_owned(),
                    ),
                    num(d.get("n")),
                );
            }
        }
    }
    let mut per_question: HashMap<String, i64> = HashMap::new();
    for d in facet
        .get_array("per_question")
        .map(|a| a.as_slice())
        .unwrap_or(&[])
    {
        if let Some(d) = d.as_document() {
            per_question.insert(d.get_str("_id").unwrap_or("").to_owned(), num(d.get("n")));
        }
    }
    let mut distributions = vec![];
    for q in questions {
        let kind = q.input.kind;
        let values: Vec<(String, String)> = match kind.range() {
            Some((lo, hi)) => (lo..=hi).map(|v| (v.to_string(), v.to_string())).collect(),
            None if kind.has_choices() => q
                .input
                .choices
                .iter()
                .map(|c| (c.id.clone(), c.label.get(english).to_owned()))
                .collect(),
            None => vec![],
        };
        let buckets: Vec<Bucket> = values
            .into_iter()
            .map(|(value, label)| Bucket {
                count: counts
                    .get(&(q.id.clone(), value.clone()))
                    .copied()
                    .unwrap_or(0),
                value,
                label,
            })
            .collect();
        let (answers, average) = if kind.range().is_some() {
            let n: i64 = buckets.iter().map(|b| b.count).sum();
            let sum: i64 = buckets
                .iter()
                .map(|b| b.count * b.value.parse::<i64>().unwrap_or(0))
                .sum();
            (n, (n > 0).then(|| round2(sum as f64 / n as f64)))
        } else if kind.has_choices() {
            (per_question.get(&q.id).copied().unwrap_or(0), None)
        } else {
            (0, None)
        };
        if kind != feedback::QuestionKind::Text {
            distributions.push(Distribution {
                question_id: q.id.clone(),
                label: q.input.label.get(english).to_owned(),
                kind,
                status: q.status,
                answers,
                average,
                buckets,
            });
        }
    }
    distributions
}

fn texts_from(
    questions: &[feedback::Question],
    rows: &[Document],
    english: bool,
) -> Vec<TextAnswer> {
    let qlabel: HashMap<&str, &str> = questions
        .iter()
        .map(|q| (q.id.as_str(), q.input.label.get(english)))
        .collect();
    rows.iter()
        .filter_map(|d| {
            let qid = d.get_str("question_id").ok()?.to_owned();
            Some(TextAnswer {
                question: (*qlabel.get(qid.as_str())?).to_owned(),
                question_id: qid,
                text: d.get_str("text").ok()?.to_owned(),
                at: d.get_datetime("updated_at").ok()?.to_chrono(),
            })
        })
        .collect()
}

/// `(bucket start in ms, count)` pairs.
type Buckets = Vec<(i64, i64)>;

/// `(bucket start in ms, count)` from a timeline pipeline's rows.
fn buckets_from(rows: &[Document]) -> Vec<(i64, i64)> {
    rows.iter()
        .filter_map(|d| {
            let at = d.get_datetime("_id").ok()?;
            Some((at.timestamp_millis(), num(d.get("n"))))
        })
        .collect()
}

/// The interaction series of the timeline, in [`TimePoint`] order: answers, check-ins,
/// connections, mentions.
type Series = [Buckets; 4];

/// Merge the series' buckets into one timeline, in time order.
fn timeline_from(series: &Series) -> Vec<TimePoint> {
    let mut timeline: std::collections::BTreeMap<i64, [i64; 4]> = Default::default();
    for (i, buckets) in series.iter().enumerate() {
        for (ms, n) in buckets {
            timeline.entry(*ms).or_default()[i] += n;
        }
    }
    timeline
        .into_iter()
        .filter(|(_, n)| n.iter().any(|n| *n > 0))
        .map(|(ms, [a, c, k, m])| TimePoint {
            at: bson::DateTime::from_millis(ms).to_chrono(),
            answers: a,
            check_ins: c,
            connections: k,
            mentions: m,
        })
        .collect()
}

/// The series of a timeline, back from its points.
fn series_of(timeline: &[TimePoint]) -> Series {
    let of = |f: fn(&TimePoint) -> i64| -> Buckets {
        timeline
            .iter()
            .map(|p| (p.at.timestamp_millis(), f(p)))
            .collect()
    };
    [
        of(|p| p.answers),
        of(|p| p.check_ins),
        of(|p| p.connections),
        of(|p| p.mentions),
    ]
}

/// The whole dashboard of one event: the answer figures from the tallies kept with the
/// answers (`feedback::counters`, a few dozen small documents), the participants,
/// connections, posts and free texts from their pipelines; all read concurrently.
pub async fn event_dashboard(core: &Core, event_id: &str, english: bool) -> Result<Dashboard> {
    let started = std::time::Instant::now();
    let event = crate::events::get(core, event_id).await?;
    let bin = bin_for(&event);
    let (questions, tallies, funnel, texts, tl_c, tl_k, tl_m) = futures_util::try_join!(
        event_questions(core, event_id),
        feedback::counters::read(core, event_id),
        run(core, PARTICIPANTS, funnel_pipeline(event_id)),
        run(core, ANSWERS, texts_pipeline(event_id)),
        run(
            core,
            PARTICIPANTS,
            checkins_timeline_pipeline(event_id, bin)
        ),
        run(
            core,
            CONNECTIONS,
            connections_timeline_pipeline(event_id, bin)
        ),
        run(core, POSTS, mentions_timeline_pipeline(event_id, bin)),
    )?;
    let t = Tallied::of(&tallies, bin);
    Ok(Dashboard {
        event_id: event_id.to_owned(),
        title: event.input.title.clone(),
        funnel: funnel_from(&funnel),
        sessions: session_rows(&event, &t.ratings, &t.attendance),
        nps: nps_from(&t.nps),
        distributions: distributions_from(&questions, &t.numeric, &t.choice, english),
        texts: texts_from(&questions, &texts, english),
        bucket: bin.unit.to_owned(),
        bucket_size: bin.size,
        timeline: timeline_from(&[
            t.answers_timeline,
            buckets_from(&tl_c),
            buckets_from(&tl_k),
            buckets_from(&tl_m),
        ]),
        total_answers: t.total_answers,
        respondents: t.respondents,
        counted_until: None,
        generated_at: crate::time::now(),
        took_ms: started.elapsed().as_millis() as u64,
    })
}

/// The tallies of an event in the shapes the pipelines return, so that one set of
/// functions builds the dashboard from either.
struct Tallied {
    ratings: Vec<Document>,
    attendance: Vec<Document>,
    nps: Vec<Document>,
    numeric: Vec<Document>,
    choice: Vec<Document>,
    answers_timeline: Buckets,
    total_answers: i64,
    respondents: i64,
}

impl Tallied {
    fn of(rows: &[Document], bin: Bin) -> Tallied {
        let mut ratings: std::collections::BTreeMap<Option<String>, (i64, i64)> =
            Default::default();
        let mut attendance = vec![];
        let (mut promoters, mut passives, mut detractors, mut nps_n) = (0, 0, 0, 0);
        let mut numeric = vec![];
        let (mut per_choice, mut per_question) = (vec![], vec![]);
        let mut timeline: std::collections::BTreeMap<i64, i64> = Default::default();
        let (mut total_answers, mut respondents) = (0, 0);
        let step = bin.step_ms();
        for d in rows {
            match d.get_str("t").unwrap_or_default() {
                "q" => {
                    let qid = d.get_str("question_id").unwrap_or_default();
                    let n = num(d.get("n"));
                    total_answers += n;
                    let kind = d.get_str("kind").unwrap_or_default();
                    let counts = |field: &str| -> Vec<(String, i64)> {
                        d.get_document(field)
                            .map(|m| {
                                m.iter()
                                    .map(|(k, v)| (k.clone(), num(Some(v))))
                                    .filter(|(_, n)| *n != 0)
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    match kind {
                        "rating" | "nps" => {
                            if kind == "rating" {
                                let s = d.get_str("session_id").ok().map(str::to_owned);
                                let e = ratings.entry(s).or_default();
                                e.0 += num(d.get("sum"));
                                e.1 += n;
                            }
                            for (v, c) in counts("v") {
                                let Ok(x) = v.parse::<i32>() else { continue };
                                if kind == "nps" {
                                    nps_n += c;
                                    match x {
                                        9.. => promoters += c,
                                        7..=8 => passives += c,
                                        _ => detractors += c,
                                    }
                                }
                                numeric.push(doc! { "_id": { "q": qid, "v": x }, "n": c });
                            }
                        }
                        "single" | "multiple" => {
                            for (v, c) in counts("c") {
                                per_choice.push(Bson::Document(
                                    doc! { "_id": { "q": qid, "v": v }, "n": c },
                                ));
                            }
                            if n != 0 {
                                per_question.push(Bson::Document(doc! { "_id": qid, "n": n }));
                            }
                        }
                        _ => {}
                    }
                }
                "s" => {
                    let n = num(d.get("attendees"));
                    if n != 0 {
                        attendance.push(
                            doc! { "_id": d.get_str("session_id").unwrap_or_default(), "n": n },
                        );
                    }
                }
                "e" => respondents = num(d.get("respondents")),
                "t" => {
                    let day = num(d.get("day"));
                    if let Ok(m) = d.get_document("m") {
                        for (k, v) in m {
                            let Ok(minute) = k.parse::<i64>() else {
                                continue;
                            };
                            let at = day + minute * 60_000;
                            *timeline.entry(at.div_euclid(step) * step).or_default() +=
                                num(Some(v));
                        }
                    }
                }
                _ => {}
            }
        }
        Tallied {
            ratings: ratings
                .into_iter()
                .filter(|(_, (_, n))| *n != 0)
                .map(|(s, (sum, n))| {
                    doc! { "_id": s.map_or(Bson::Null, Bson::String), "sum": sum, "n": n }
                })
                .collect(),
            attendance,
            nps: if nps_n == 0 {
                vec![]
            } else {
                vec![
                    doc! { "promoters": promoters, "passives": passives, "detractors": detractors, "n": nps_n },
                ]
            },
            numeric,
            choice: vec![doc! { "per_choice": per_choice, "per_question": per_question }],
            answers_timeline: timeline.into_iter().filter(|(_, n)| *n != 0).collect(),
            total_answers,
            respondents,
        }
    }
}

/// One figure that differs between the tallies and the raw answers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mismatch {
    pub figure: String,
    pub tallies: String,
    pub answers: String,
}

/// Compare the dashboard built from the tallies with the one recomputed from the raw
/// answers by the pipelines: the list of figures that differ (empty when they agree).
pub async fn check(core: &Core, event_id: &str) -> Result<Vec<Mismatch>> {
    // Every answer written so far is counted first.
    feedback::follow::settle(core).await?;
    let (a, b) = futures_util::try_join!(
        event_dashboard(core, event_id, false),
        event_dashboard_from_answers(core, event_id, false),
    )?;
    let mut out = vec![];
    let mut cmp = |figure: &str, x: String, y: String| {
        if x != y {
            out.push(Mismatch {
                figure: figure.to_owned(),
                tallies: x,
                answers: y,
            });
        }
    };
    let j = |v: &dyn erased::Ser| v.json();
    cmp("funnel", j(&a.funnel), j(&b.funnel));
    cmp("sessions", j(&a.sessions), j(&b.sessions));
    cmp("nps", j(&a.nps), j(&b.nps));
    cmp("distributions", j(&a.distributions), j(&b.distributions));
    cmp("texts", j(&a.texts), j(&b.texts));
    cmp("timeline", j(&a.timeline), j(&b.timeline));
    cmp(
        "total_answers",
        a.total_answers.to_string(),
        b.total_answers.to_string(),
    );
    cmp(
        "respondents",
        a.respondents.to_string(),
        b.respondents.to_string(),
    );
    Ok(out)
}

mod erased {
    pub trait Ser {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}

/// The whole dashboard of one event computed from the raw answers: every pipeline runs
/// concurrently on the server. The reference the tallies are checked against ([`check`]).
pub async fn event_dashboard_from_answers(
    core: &Core,
    event_id: &str,
    english: bool,
) -> Result<Dashboard> {
    let started = std::time::Instant::now();
    let event = crate::events::get(core, event_id).await?;
    let bin = bin_for(&event);
    let questions = event_questions(core, event_id).await?;
    let (funnel, ratings, attendance, nps, numeric, choice, texts, tl_a, tl_c, tl_k, tl_m, totals) =
        futures_util::try_join!(
            run(core, PARTICIPANTS, funnel_pipeline(event_id)),
            run(core, ANSWERS, ratings_pipeline(event_id)),
            run(core, ANSWERS, attendance_pipeline(event_id)),
            run(core, ANSWERS, nps_pipeline(event_id)),
            run(core, ANSWERS, numeric_distribution_pipeline(event_id)),
            run(core, ANSWERS, choice_distribution_pipeline(event_id)),
            run(core, ANSWERS, texts_pipeline(event_id)),
            run(core, ANSWERS, answers_timeline_pipeline(event_id, bin)),
            run(
                core,
                PARTICIPANTS,
                checkins_timeline_pipeline(event_id, bin)
            ),
            run(
                core,
                CONNECTIONS,
                connections_timeline_pipeline(event_id, bin)
            ),
            run(core, POSTS, mentions_timeline_pipeline(event_id, bin)),
            run(core, ANSWERS, totals_pipeline(event_id)),
        )?;
    let (total_answers, respondents) = totals.first().map_or((0, 0), |d| {
        (num(d.get("answers")), num(d.get("respondents")))
    });
    Ok(Dashboard {
        event_id: event_id.to_owned(),
        title: event.input.title.clone(),
        funnel: funnel_from(&funnel),
        sessions: session_rows(&event, &ratings, &attendance),
        nps: nps_from(&nps),
        distributions: distributions_from(&questions, &numeric, &choice, english),
        texts: texts_from(&questions, &texts, english),
        bucket: bin.unit.to_owned(),
        bucket_size: bin.size,
        timeline: timeline_from(&[
            buckets_from(&tl_a),
            buckets_from(&tl_c),
            buckets_from(&tl_k),
            buckets_from(&tl_m),
        ]),
        total_answers,
        respondents,
        counted_until: None,
        generated_at: crate::time::now(),
        took_ms: started.elapsed().as_millis() as u64,
    })
}

/// Bring `prev` up to date after `change` (a [`live`] notification), re-reading only what
/// it touched: the funnel and check-ins when participants changed, the connections or
/// mentions series, and for answers the event's tallies (a few dozen small documents) and
/// the free texts. Each figure is built by the same code from the same sources as in
/// [`event_dashboard`], so the result equals a full refresh (tested, and checked by
/// `eventhub-cli dashboard live`). Polling notifications, deletions and a renamed or
/// re-dated event fall back to [`event_dashboard`].
pub async fn refresh(
    core: &Core,
    prev: Dashboard,
    change: &live::Change,
    english: bool,
) -> Result<Dashboard> {
    if change.full || change.mode != "change_stream" {
        return event_dashboard(core, &prev.event_id, english).await;
    }
    let started = std::time::Instant::now();
    let event_id = prev.event_id.clone();
    let event = crate::events::get(core, &event_id).await?;
    let bin = bin_for(&event);
    if event.input.title != prev.title || bin.unit != prev.bucket || bin.size != prev.bucket_size {
        return event_dashboard(core, &event_id, english).await;
    }
    let mut d = prev;
    let mut series = series_of(&d.timeline);
    let answers = change.answers > 0 || change.tallies > 0;
    let skip = || async { Ok::<Vec<Document>, Error>(vec![]) };
    let when = |yes: bool, coll: &'static str, p: Vec<Document>| async move {
        if yes {
            run(core, coll, p).await
        } else {
            skip().await
        }
    };
    let people = change.participants > 0;
    let (funnel, tl_c, tl_k, tl_m, texts, questions, tallies) = futures_util::try_join!(
        when(people, PARTICIPANTS, funnel_pipeline(&event_id)),
        when(
            people,
            PARTICIPANTS,
            checkins_timeline_pipeline(&event_id, bin)
        ),
        when(
            change.connections > 0,
            CONNECTIONS,
            connections_timeline_pipeline(&event_id, bin)
        ),
        when(
            change.mentions > 0,
            POSTS,
            mentions_timeline_pipeline(&event_id, bin)
        ),
        when(answers, ANSWERS, texts_pipeline(&event_id)),
        async {
            if answers {
                event_questions(core, &event_id).await
            } else {
                Ok(vec![])
            }
        },
        async {
            if answers {
                feedback::counters::read(core, &event_id).await
            } else {
                Ok(vec![])
            }
        },
    )?;
    if people {
        d.funnel = funnel_from(&funnel);
        series[1] = buckets_from(&tl_c);
    }
    if change.connections > 0 {
        series[2] = buckets_from(&tl_k);
    }
    if change.mentions > 0 {
        series[3] = buckets_from(&tl_m);
    }
    if answers {
        let t = Tallied::of(&tallies, bin);
        d.sessions = session_rows(&event, &t.ratings, &t.attendance);
        d.nps = nps_from(&t.nps);
        d.distributions = distributions_from(&questions, &t.numeric, &t.choice, english);
        d.texts = texts_from(&questions, &texts, english);
        d.total_answers = t.total_answers;
        d.respondents = t.respondents;
        series[0] = t.answers_timeline;
    }
    d.timeline = timeline_from(&series);
    d.counted_until = None;
    d.generated_at = crate::time::now();
    d.took_ms = started.elapsed().as_millis() as u64;
    Ok(d)
}

/// Events compared side by side: the `limit` most recent events (by start), each with its
/// funnel, answers, average rating and NPS — three grouped pipelines over all of them.
pub async fn overview(core: &Core, limit: i64) -> Result<Vec<OverviewRow>> {
    let events: Vec<Document> = core
        .db()
        .collection::<Document>(crate::db::EVENTS)
        .find(doc! { "deleted_at": Bson::Null })
        .sort(doc! { "starts_at": -1 })
        .limit(limit.clamp(1, 50))
        .projection(doc! { "title": 1, "starts_at": 1 })
        .await?
        .try_collect()
        .await?;
    let ids: Vec<String> = events
        .iter()
        .filter_map(|e| e.get_str("_id").ok().map(str::to_owned))
        .collect();
    let (funnels, answers) = futures_util::try_join!(
        run(core, PARTICIPANTS, overview_funnel_pipeline(&ids)),
        run(core, ANSWERS, overview_answers_pipeline(&ids)),
    )?;
    let mut rows = vec![];
    for e in &events {
        let id = e.get_str("_id").unwrap_or_default();
        let f: Vec<Document> = funnels
            .iter()
            .filter(|d| d.get_document("_id").ok().and_then(|k| k.get_str("e").ok()) == Some(id))
            .map(|d| doc! { "_id": d.get_document("_id").ok().and_then(|k| k.get_str("s").ok()).unwrap_or(""), "n": d.get("n").cloned().unwrap_or(Bson::Int32(0)) })
            .collect();
        let a = answers.iter().find(|d| d.get_str("_id").ok() == Some(id));
        let nps = a.and_then(|a| {
            let n = num(a.get("nps_n"));
            (n > 0).then(|| {
                ((num(a.get("promoters")) - num(a.get("detractors"))) as f64 * 1000.0 / n as f64)
                    .round()
                    / 10.0
            })
        });
        rows.push(OverviewRow {
            event_id: id.to_owned(),
            title: e.get_str("title").unwrap_or_default().to_owned(),
            starts_at: e
                .get_datetime("starts_at")
                .map(|d| d.to_chrono())
                .map_err(|_| Error::internal("event without start"))?,
            funnel: funnel_from(&f),
            answers: a.map_or(0, |a| num(a.get("n"))),
            avg_rating: a.and_then(|a| float(a.get("avg_rating"))).map(round2),
            nps,
        });
    }
    Ok(rows)
}

pub fn overview_funnel_pipeline(ids: &[String]) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": { "$in": ids }, "deleted_at": { "$type": "null" } } },
        doc! { "$group": { "_id": { "e": "$event_id", "s": "$status" }, "n": { "$sum": 1 } } },
    ]
}

pub fn overview_answers_pipeline(ids: &[String]) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": { "$in": ids } } },
        doc! { "$group": {
            "_id": "$event_id",
            "n": { "$sum": 1 },
            "avg_rating": { "$avg": { "$cond": [{ "$eq": ["$kind", "rating"] }, "$num", Bson::Null] } },
            "nps_n": { "$sum": { "$cond": [{ "$eq": ["$kind", "nps"] }, 1, 0] } },
            "promoters": { "$sum": { "$cond": [{ "$and": [{ "$eq": ["$kind", "nps"] }, { "$gte": ["$num", 9] }] }, 1, 0] } },
            "detractors": { "$sum": { "$cond": [{ "$and": [{ "$eq": ["$kind", "nps"] }, { "$lt": ["$num", 7] }] }, 1, 0] } },
        } },
    ]
}

/// One pipeline's plan and cost, for `docs/performance.md`.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineExplain {
    pub name: String,
    pub collection: String,
    /// Wall time of running the pipeline once (client side).
    pub ms: f64,
    pub stats: crate::lab::explain::ExplainStats,
}

/// Run and explain (`executionStats`) every pipeline of an event's dashboard.
pub async fn explain(core: &Core, event_id: &str) -> Result<Vec<PipelineExplain>> {
    let mut out = vec![];
    for (name, coll, pipeline) in pipelines(event_id) {
        let t = std::time::Instant::now();
        run(core, coll, pipeline.clone()).await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let ex = core
            .db()
            .run_command(doc! {
                "explain": { "aggregate": coll, "pipeline": pipeline, "cursor": {} },
                "verbosity": "executionStats",
            })
            .await?;
        out.push(PipelineExplain {
            name: name.to_owned(),
            collection: coll.to_owned(),
            ms,
            stats: crate::lab::explain::parse(&ex)?,
        });
    }
    Ok(out)
}
