//! Social: sharing moments of an event on social networks, and collecting what people
//! post about it (imported archives, a Mastodon hashtag timeline) for analysis.
//!
//! - [`share`]: a validated [`Moment`] and each platform's share address ([`share_url`]);
//!   [`record_share`] keeps who shared what where, [`list_moments`] lists them.
//! - [`import`]: X/Twitter archives (`tweets.js`), Mastodon API JSON and generic CSV into
//!   `social_posts`, with a per-record report; re-importing adds nothing twice.
//! - [`mastodon`]: fetch a hashtag timeline, rate-limited, resumable (`social_cursors`).
//! - [`sentiment`]: the French/English lexicon scorer run at import time.
//! - [`analysis`]: aggregation pipelines (volume, hashtags, authors, engagement, mentions
//!   of sessions and speakers, sentiment split), [`wall`] and a CSV export.

pub mod analysis;
pub mod import;
pub mod mastodon;
pub mod sentiment;
pub mod share;

pub use analysis::{analysis, analysis_csv, Analysis};
pub use share::{compose_text, share_url, Moment, MomentInput, Platform};

use bson::{doc, Document};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use crate::{
    db::{index, index_with, CollectionSpec},
    time, Core, Error, Result,
};

pub const POSTS: &str = "social_posts";
pub const MOMENTS: &str = "social_moments";
pub const CURSORS: &str = "social_cursors";

/// Longest wall asked for.
pub const MAX_WALL: u32 = 200;

/// The sentiment of a post, from [`sentiment::score`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "SentimentLabel")]
pub enum Label {
    Positive,
    Neutral,
    Negative,
}

impl Label {
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Positive => "positive",
            Label::Neutral => "neutral",
            Label::Negative => "negative",
        }
    }
}

/// Where a post came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct PostSource {
    /// `import` or `fetch`.
    pub kind: String,
    /// The import (or fetch) run that wrote it: a cancelled run removes its posts.
    pub run_id: String,
    /// File name (imports) or instance (fetches).
    pub origin: String,
    /// Record number in the file (item of a JSON array, or CSV line); 0 for fetches.
    #[serde(default)]
    pub record: u64,
}

/// One collected post (`social_posts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Post {
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    /// `x`, `mastodon`, or for CSV files the `platform` column (folded) or `csv`.
    pub platform: String,
    /// The network's id of the post; for CSV rows without one, a SHA-256 of
    /// author + date + text (first 24 hex digits). Unique per (event, platform).
    pub external_id: String,
    /// Screen name / acct, without `@`. Empty when the file does not say (X archives
    /// hold only the owner's tweets).
    pub author: String,
    pub text: String,
    /// Folded text (lower case, no accents), for mention matching.
    pub text_key: String,
    /// Its words between single spaces (see [`text::phrase_key`]): a session or speaker is
    /// mentioned when its own phrase key is a substring. Empty in posts stored before it.
    #[serde(default)]
    pub text_words: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub posted_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub likes: i64,
    pub shares: i64,
    pub replies: i64,
    /// Folded, without `#`, deduplicated.
    pub hashtags: Vec<String>,
    /// Lower case, without `@`, deduplicated.
    pub mentions: Vec<String>,
    /// Lexicon score (see [`sentiment`]): sum of word polarities.
    pub sentiment_score: f64,
    pub sentiment: Label,
    pub source: PostSource,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// Who shared a moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sharer {
    Organiser,
    Participant { participant_id: String },
}

/// A shared moment (`social_moments`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SharedMoment {
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    pub moment: Moment,
    pub by: Sharer,
    /// `x`, `linkedin`, `facebook`, `mastodon` or `copy`.
    pub platform: String,
    /// The Mastodon instance, for Mastodon shares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The share address opened (none for `copy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub shared_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub version: i64,
}

pub fn posts(core: &Core) -> Collection<Post> {
    core.db().collection(POSTS)
}

pub(crate) fn posts_raw(core: &Core) -> Collection<Document> {
    core.db().collection(POSTS)
}

pub fn moments(core: &Core) -> Collection<SharedMoment> {
    core.db().collection(MOMENTS)
}

/// The social collections, registered in `schema::collections()`.
pub fn collections() -> Vec<CollectionSpec> {
    vec![
        CollectionSpec {
            name: POSTS,
            validator: Some(post_validator()),
            indexes: vec![
                // Re-importing or re-fetching the same posts adds nothing twice.
                index_with(
                    doc! { "event_id": 1, "platform": 1, "external_id": 1 },
                    "event_platform_external_unique",
                    |mut o| {
                        o.unique = Some(true);
                        o
                    },
                ),
                // Volume over time, the wall (newest first), engagement and sentiment.
                index(doc! { "event_id": 1, "posted_at": -1 }, "event_posted_at"),
                // Top hashtags (multikey).
                index(doc! { "event_id": 1, "hashtags": 1 }, "event_hashtags"),
                // Top authors.
                index(doc! { "event_id": 1, "author": 1 }, "event_author"),
                // Rolling back a cancelled run.
                index(
                    doc! { "event_id": 1, "source.run_id": 1 },
                    "event_source_run",
                ),
            ],
        },
        CollectionSpec {
            name: MOMENTS,
            validator: Some(moment_validator()),
            indexes: vec![index(
                doc! { "event_id": 1, "shared_at": -1 },
                "event_shared_at",
            )],
        },
        CollectionSpec {
            name: CURSORS,
            validator: Some(cursor_validator()),
            indexes: vec![index_with(
                doc! { "event_id": 1, "instance": 1, "tag": 1 },
                "event_instance_tag_unique",
                |mut o| {
                    o.unique = Some(true);
                    o
                },
            )],
        },
    ]
}

fn post_validator() -> Document {
    doc! { "$jsonSchema": {
        "bsonType": "object",
        "required": ["_id", "event_id", "platform", "external_id", "author", "text", "posted_at",
                     "likes", "shares", "replies", "hashtags", "sentiment", "version", "updated_at"],
        "properties": {
            "_id": { "bsonType": "string" },
            "event_id": { "bsonType": "string", "minLength": 1 },
            "platform": { "bsonType": "string", "minLength": 1, "maxLength": 40 },
            "external_id": { "bsonType": "string", "minLength": 1, "maxLength": 200 },
            "author": { "bsonType": "string", "maxLength": 200 },
            "text": { "bsonType": "string" },
            "posted_at": { "bsonType": "date" },
            "likes": { "bsonType": ["int", "long"], "minimum": 0 },
            "shares": { "bsonType": ["int", "long"], "minimum": 0 },
            "replies": { "bsonType": ["int", "long"], "minimum": 0 },
            "hashtags": { "bsonType": "array" },
            "sentiment": { "enum": ["positive", "neutral", "negative"] },
            "sentiment_score": { "bsonType": ["double", "int", "long"] },
            "version": { "bsonType": ["int", "long"] },
            "updated_at": { "bsonType": "date" },
        },
    } }
}

fn moment_validator() -> Document {
    doc! { "$jsonSchema": {
        "bsonType": "object",
        "required": ["_id", "event_id", "moment", "by", "platform", "shared_at", "version", "updated_at"],
        "properties": {
            "event_id": { "bsonType": "string", "minLength": 1 },
            "platform": { "enum": ["x", "linkedin", "facebook", "mastodon", "copy"] },
            "shared_at": { "bsonType": "date" },
            "updated_at": { "bsonType": "date" },
        },
    } }
}

fn cursor_validator() -> Document {
    doc! { "$jsonSchema": {
        "bsonType": "object",
        "required": ["_id", "event_id", "instance", "tag", "updated_at"],
        "properties": {
            "event_id": { "bsonType": "string", "minLength": 1 },
            "instance": { "bsonType": "string", "minLength": 1 },
            "tag": { "bsonType": "string", "minLength": 1 },
            "newest_id": { "bsonType": ["string", "null"] },
            "oldest_id": { "bsonType": ["string", "null"] },
            "updated_at": { "bsonType": "date" },
        },
    } }
}

/// Record that a moment was shared (or copied) by the organiser or a participant of the
/// event. The moment is validated again; a participant must belong to the event.
pub async fn record_share(
    core: &Core,
    event_id: &str,
    by: Sharer,
    platform: &Platform,
    moment: MomentInput,
) -> Result<SharedMoment> {
    crate::events::get(core, event_id).await?;
    let moment = Moment::new(moment)?;
    if let Sharer::Participant { participant_id } = &by {
        let found = crate::participants::raw(core)
            .find_one(doc! { "_id": participant_id, "event_id": event_id })
            .await?;
        if found.is_none() {
            return Err(Error::invalid(
                "by.participant_id",
                format!("participant {participant_id} is not in event {event_id}"),
            ));
        }
    }
    let url = match platform {
        Platform::Copy => None,
        p => Some(share_url(p, &moment)?),
    };
    let instance = match platform {
        Platform::Mastodon { instance } => Some(share::normalise_instance(instance)?),
        _ => None,
    };
    let now = time::now();
    let m = SharedMoment {
        id: uuid::Uuid::now_v7().to_string(),
        event_id: event_id.to_owned(),
        moment,
        by,
        platform: platform.name().to_owned(),
        instance,
        url,
        shared_at: now,
        updated_at: now,
        updated_by: core.actor().to_owned(),
        version: 1,
    };
    moments(core).insert_one(&m).await?;
    Ok(m)
}

/// The moments shared for an event, newest first.
pub async fn list_moments(core: &Core, event_id: &str) -> Result<Vec<SharedMoment>> {
    Ok(moments(core)
        .find(doc! { "event_id": event_id })
        .sort(doc! { "shared_at": -1, "_id": -1 })
        .await?
        .try_collect()
        .await?)
}

/// Give posts stored before `text_words` existed their phrase key (a new version, so that
/// sync carries it). Run with the schema at start-up; nothing to do once done.
pub async fn backfill_text_words(core: &Core) -> Result<u64> {
    let coll = posts_raw(core);
    let mut cur = coll
        .find(doc! { "text_words": { "$exists": false } })
        .projection(doc! { "text": 1 })
        .await?;
    let mut pending = vec![];
    let mut n = 0;
    while let Some(d) = cur.try_next().await? {
        let (Some(id), Ok(text)) = (d.get("_id").cloned(), d.get_str("text")) else {
            continue;
        };
        let coll = coll.clone();
        let words = crate::text::phrase_key(text);
        pending.push(async move {
            coll.update_one(
                doc! { "_id": id, "text_words": { "$exists": false } },
                crate::db::bump(doc! { "$set": { "text_words": words } }),
            )
            .await
        });
        if pending.len() == 64 {
            for r in futures_util::future::join_all(std::mem::take(&mut pending)).await {
                n += r?.modified_count;
            }
        }
    }
    for r in futures_util::future::join_all(pending).await {
        n += r?.modified_count;
    }
    Ok(n)
}

/// The latest `limit` posts of an event (1–200), newest first: the live social wall.
pub async fn wall(core: &Core, event_id: &str, limit: u32) -> Result<Vec<Post>> {
    let limit = limit.clamp(1, MAX_WALL);
    Ok(posts(core)
        .find(doc! { "event_id": event_id })
        .sort(doc! { "posted_at": -1, "_id": -1 })
        .limit(i64::from(limit))
        .await?
        .try_collect()
        .await?)
}

/// How the social collections sync: posts by their source's id (the same file imported on
/// two laptops), shared moments as a union; fetch cursors stay on each store.
pub fn sync_specs() -> Vec<crate::db::SyncSpec> {
    use crate::db::{Policy, Reference, SyncSpec};
    vec![
        SyncSpec {
            natural_key: &["event_id", "platform", "external_id"],
            ..SyncSpec::new(POSTS, Policy::Keyed)
        },
        SyncSpec {
            references: &[Reference {
                target: crate::participants::schema::PARTICIPANTS,
                fields: &["by.participant_id"],
                fixup: None,
            }],
            ..SyncSpec::new(MOMENTS, Policy::AppendOnly)
        },
        SyncSpec::new(CURSORS, Policy::LocalOnly),
    ]
}
