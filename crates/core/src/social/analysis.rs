//! What people post about an event, measured by MongoDB aggregation pipelines (the core
//! never loads posts to count them). Each figure has its `*_pipeline` builder, run on
//! `social_posts` with the event's id first so the `event_*` indexes serve it.

use bson::{doc, Bson, Document};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::{posts_raw, Label};
use crate::{events::Event, text, time, Core, Error, Result};

/// How many hashtags and authors are listed.
pub const TOP: i64 = 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct VolumePoint {
    /// Start of the bucket (hour or day, in the event's time zone).
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub posts: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct KeyCount {
    pub key: String,
    pub posts: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct AuthorRow {
    pub author: String,
    pub posts: i64,
    pub likes: i64,
    pub shares: i64,
    pub replies: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
pub struct Engagement {
    pub posts: i64,
    pub likes: i64,
    pub shares: i64,
    pub replies: i64,
    /// likes + shares + replies.
    pub total: i64,
}

/// Posts mentioning a session title or a speaker name (folded, whole words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct MentionRow {
    /// Session or speaker id.
    pub id: String,
    pub name: String,
    pub posts: i64,
    /// posts ÷ all posts of the event (0–1).
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, ts_rs::TS)]
pub struct SentimentSplit {
    pub positive: i64,
    pub neutral: i64,
    pub negative: i64,
    /// Mean score over all posts (0 without posts).
    pub average_score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "SocialAnalysis")]
pub struct Analysis {
    pub event_id: String,
    pub title: String,
    pub timezone: String,
    pub volume_by_hour: Vec<VolumePoint>,
    pub volume_by_day: Vec<VolumePoint>,
    pub top_hashtags: Vec<KeyCount>,
    pub top_authors: Vec<AuthorRow>,
    pub platforms: Vec<KeyCount>,
    pub engagement: Engagement,
    pub sessions: Vec<MentionRow>,
    pub speakers: Vec<MentionRow>,
    pub sentiment: SentimentSplit,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub generated_at: DateTime<Utc>,
}

fn by_event(event_id: &str) -> Document {
    doc! { "$match": { "event_id": event_id } }
}

/// Posts per `unit` (`hour` or `day`), oldest first.
pub fn volume_pipeline(event_id: &str, unit: &str, timezone: &str) -> Vec<Document> {
    vec![
        by_event(event_id),
        doc! { "$group": {
            "_id": { "$dateTrunc": { "date": "$posted_at", "unit": unit, "timezone": timezone } },
            "posts": { "$sum": 1 },
        } },
        doc! { "$sort": { "_id": 1 } },
    ]
}

pub fn hashtags_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        by_event(event_id),
        doc! { "$project": { "_id": 0, "hashtags": 1 } },
        doc! { "$unwind": "$hashtags" },
        doc! { "$group": { "_id": "$hashtags", "posts": { "$sum": 1 } } },
        doc! { "$sort": { "posts": -1, "_id": 1 } },
        doc! { "$limit": TOP },
    ]
}

pub fn authors_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": event_id, "author": { "$ne": "" } } },
        doc! { "$group": {
            "_id": "$author",
            "posts": { "$sum": 1 },
            "likes": { "$sum": "$likes" },
            "shares": { "$sum": "$shares" },
            "replies": { "$sum": "$replies" },
        } },
        doc! { "$sort": { "posts": -1, "likes": -1, "_id": 1 } },
        doc! { "$limit": TOP },
    ]
}

pub fn platforms_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        by_event(event_id),
        doc! { "$group": { "_id": "$platform", "posts": { "$sum": 1 } } },
        doc! { "$sort": { "posts": -1, "_id": 1 } },
    ]
}

pub fn engagement_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        by_event(event_id),
        doc! { "$group": {
            "_id": Bson::Null,
            "posts": { "$sum": 1 },
            "likes": { "$sum": "$likes" },
            "shares": { "$sum": "$shares" },
            "replies": { "$sum": "$replies" },
            "score": { "$sum": "$sentiment_score" },
            "positive": { "$sum": { "$cond": [{ "$eq": ["$sentiment", "positive"] }, 1, 0] } },
            "neutral": { "$sum": { "$cond": [{ "$eq": ["$sentiment", "neutral"] }, 1, 0] } },
            "negative": { "$sum": { "$cond": [{ "$eq": ["$sentiment", "negative"] }, 1, 0] } },
        } },
    ]
}

/// The regular expression finding a name in folded text as whole words (any run of
/// non-alphanumerics between its words). `None` when the name has no word.
pub fn name_regex(name: &str) -> Option<String> {
    let words: Vec<String> = text::words(name).map(|w| text::regex_escape(&w)).collect();
    if words.is_empty() {
        return None;
    }
    Some(format!(
        "(^|[^\\p{{L}}\\p{{N}}]){}($|[^\\p{{L}}\\p{{N}}])",
        words.join("[^\\p{L}\\p{N}]+")
    ))
}

/// One `$group` counting, for each name, the posts that mention it as whole words (fields
/// `m0`, `m1`, … in the order of `names`): a substring test of the name's phrase key in
/// the post's `text_words` (`$indexOfCP`), or for posts stored before that field, the
/// regular expression on `text_key`. (The test engine evaluated the Unicode regular
/// expression at about 0.6 ms a document: 32 s for 10 sessions over 5,000 posts; the
/// substring test takes a fraction of that.)
pub fn mentions_pipeline(event_id: &str, names: &[String]) -> Vec<Document> {
    let mut group = doc! { "_id": Bson::Null };
    for (i, n) in names.iter().enumerate() {
        let Some(re) = name_regex(n) else { continue };
        let phrase = text::phrase_key(n);
        group.insert(
            format!("m{i}"),
            doc! { "$sum": { "$cond": [
                { "$cond": [
                    { "$gt": [{ "$strLenCP": { "$ifNull": ["$text_words", ""] } }, 0] },
                    { "$gte": [{ "$indexOfCP": ["$text_words", phrase] }, 0] },
                    { "$regexMatch": { "input": "$text_key", "regex": re } },
                ] },
                1,
                0,
            ] } },
        );
    }
    vec![
        by_event(event_id),
        doc! { "$project": { "_id": 0, "text_key": 1, "text_words": 1 } },
        doc! { "$group": group },
    ]
}

async fn run(core: &Core, pipeline: Vec<Document>) -> Result<Vec<Document>> {
    Ok(posts_raw(core)
        .aggregate(pipeline)
        .await?
        .try_collect()
        .await?)
}

fn int(d: &Document, k: &str) -> i64 {
    match d.get(k) {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(f)) => *f as i64,
        _ => 0,
    }
}

fn float(d: &Document, k: &str) -> f64 {
    match d.get(k) {
        Some(Bson::Int32(n)) => f64::from(*n),
        Some(Bson::Int64(n)) => *n as f64,
        Some(Bson::Double(f)) => *f,
        _ => 0.0,
    }
}

fn key(d: &Document) -> String {
    match d.get("_id") {
        Some(Bson::String(s)) => s.clone(),
        Some(Bson::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

pub async fn volume(core: &Core, event: &Event, unit: &str) -> Result<Vec<VolumePoint>> {
    let rows = run(
        core,
        volume_pipeline(&event.id, unit, &event.input.timezone),
    )
    .await?;
    rows.iter()
        .map(|d| match d.get("_id") {
            Some(Bson::DateTime(at)) => Ok(VolumePoint {
                at: at.to_chrono(),
                posts: int(d, "posts"),
            }),
            other => Err(Error::internal(format!(
                "volume pipeline: unexpected bucket {other:?}"
            ))),
        })
        .collect()
}

async fn mention_rows(
    core: &Core,
    event_id: &str,
    items: Vec<(String, String)>,
    total: i64,
) -> Result<Vec<MentionRow>> {
    if items.is_empty() {
        return Ok(vec![]);
    }
    let names: Vec<String> = items.iter().map(|(_, n)| n.clone()).collect();
    let row = run(core, mentions_pipeline(event_id, &names))
        .await?
        .into_iter()
        .next()
        .unwrap_or_default();
    let mut out: Vec<MentionRow> = items
        .into_iter()
        .enumerate()
        .map(|(i, (id, name))| {
            let posts = int(&row, &format!("m{i}"));
            MentionRow {
                id,
                name,
                posts,
                share: if total > 0 {
                    posts as f64 / total as f64
                } else {
                    0.0
                },
            }
        })
        .collect();
    out.sort_by(|a, b| b.posts.cmp(&a.posts).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

/// Every figure of an event's social activity.
pub async fn analysis(core: &Core, event_id: &str) -> Result<Analysis> {
    let event = crate::events::get(core, event_id).await?;
    let eng = run(core, engagement_pipeline(event_id))
        .await?
        .into_iter()
        .next()
        .unwrap_or_default();
    let posts = int(&eng, "posts");
    let engagement = Engagement {
        posts,
        likes: int(&eng, "likes"),
        shares: int(&eng, "shares"),
        replies: int(&eng, "replies"),
        total: int(&eng, "likes") + int(&eng, "shares") + int(&eng, "replies"),
    };
    let sentiment = SentimentSplit {
        positive: int(&eng, Label::Positive.as_str()),
        neutral: int(&eng, Label::Neutral.as_str()),
        negative: int(&eng, Label::Negative.as_str()),
        average_score: if posts > 0 {
            float(&eng, "score") / posts as f64
        } else {
            0.0
        },
    };
    let counts = |rows: Vec<Document>| -> Vec<KeyCount> {
        rows.iter()
            .map(|d| KeyCount {
                key: key(d),
                posts: int(d, "posts"),
            })
            .collect()
    };
    let top_hashtags = counts(run(core, hashtags_pipeline(event_id)).await?);
    let platforms = counts(run(core, platforms_pipeline(event_id)).await?);
    let top_authors = run(core, authors_pipeline(event_id))
        .await?
        .iter()
        .map(|d| AuthorRow {
            author: key(d),
            posts: int(d, "posts"),
            likes: int(d, "likes"),
            shares: int(d, "shares"),
            replies: int(d, "replies"),
        })
        .collect();
    let sessions = mention_rows(
        core,
        event_id,
        event
            .input
            .sessions
            .iter()
            .map(|s| (s.id.clone(), s.title.clone()))
            .collect(),
        posts,
    )
    .await?;
    let speakers = mention_rows(
        core,
        event_id,
        event
            .input
            .speakers
            .iter()
            .map(|s| (s.id.clone(), s.name.clone()))
            .collect(),
        posts,
    )
    .await?;
    Ok(Analysis {
        event_id: event.id.clone(),
        title: event.input.title.clone(),
        timezone: event.input.timezone.clone(),
        volume_by_hour: volume(core, &event, "hour").await?,
        volume_by_day: volume(core, &event, "day").await?,
        top_hashtags,
        top_authors,
        platforms,
        engagement,
        sessions,
        speakers,
        sentiment,
        generated_at: time::now(),
    })
}

/// The analysis as one CSV table (`,`, UTF-8 with a BOM for Excel):
/// `section,key,name,posts,likes,shares,replies,percent`. Sections: `engagement`,
/// `sentiment`, `platform`, `hashtag`, `author`, `session`, `speaker`, `hour`, `day`
/// (times in RFC 3339, UTC).
pub fn analysis_csv(a: &Analysis) -> Result<String> {
    let mut w = csv::WriterBuilder::new().from_writer(vec![]);
    let err = |e: csv::Error| Error::internal(format!("CSV export: {e}"));
    w.write_record([
        "section", "key", "name", "posts", "likes", "shares", "replies", "percent",
    ])
    .map_err(err)?;
    let pct = |n: i64, of: i64| {
        if of > 0 {
            format!("{:.1}", n as f64 * 100.0 / of as f64)
        } else {
            String::new()
        }
    };
    let total = a.engagement.posts;
    let mut rows: Vec<[String; 8]> = vec![];
    let e = &a.engagement;
    rows.push([
        "engagement".into(),
        "total".into(),
        String::new(),
        e.posts.to_string(),
        e.likes.to_string(),
        e.shares.to_string(),
        e.replies.to_string(),
        String::new(),
    ]);
    for (label, n) in [
        ("positive", a.sentiment.positive),
        ("neutral", a.sentiment.neutral),
        ("negative", a.sentiment.negative),
    ] {
        rows.push(simple("sentiment", label, "", n, pct(n, total)));
    }
    for k in &a.platforms {
        rows.push(simple("platform", &k.key, "", k.posts, pct(k.posts, total)));
    }
    for k in &a.top_hashtags {
        rows.push(simple("hashtag", &k.key, "", k.posts, pct(k.posts, total)));
    }
    for r in &a.top_authors {
        rows.push([
            "author".into(),
            r.author.clone(),
            String::new(),
            r.posts.to_string(),
            r.likes.to_string(),
            r.shares.to_string(),
            r.replies.to_string(),
            pct(r.posts, total),
        ]);
    }
    for (section, list) in [("session", &a.sessions), ("speaker", &a.speakers)] {
        for m in list {
            rows.push(simple(
                section,
                &m.id,
                &m.name,
                m.posts,
                pct(m.posts, total),
            ));
        }
    }
    for (section, list) in [("hour", &a.volume_by_hour), ("day", &a.volume_by_day)] {
        for v in list {
            let at = v.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            rows.push(simple(section, &at, "", v.posts, pct(v.posts, total)));
        }
    }
    for r in rows {
        w.write_record(&r).map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::internal(format!("CSV export: {e}")))?;
    let mut s = String::from('\u{feff}');
    s.push_str(&String::from_utf8_lossy(&bytes));
    Ok(s)
}

fn simple(section: &str, key: &str, name: &str, posts: i64, percent: String) -> [String; 8] {
    [
        section.into(),
        key.into(),
        name.into(),
        posts.to_string(),
        String::new(),
        String::new(),
        String::new(),
        percent,
    ]
}
