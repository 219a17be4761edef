//! Importing posts from files people can really get:
//!
//! - an **X/Twitter archive**'s `tweets.js` (`window.YTD.tweets.part0 = [ {"tweet": {…}} ]`;
//!   counts are strings there, dates like `Wed Oct 10 20:19:24 +0000 2018`). The archive
//!   holds its owner's tweets only and does not name the owner: pass
//!   [`ImportOptions::author`] to set it;
//! - **Mastodon API JSON**: an array of statuses (`GET /api/v1/timelines/tag/…`,
//!   `/api/v1/accounts/:id/statuses`), HTML content stripped to text;
//! - a **generic CSV** (`,` `;` or tab, UTF-8 with or without BOM, or Windows-1252, read
//!   by the participants' CSV reader): columns author, text, date, and optionally url, id,
//!   platform, likes, shares, replies (French or English headers).
//!
//! Every record is checked; a bad one is reported with its number (item of the JSON array,
//! or line of the CSV file) and why, the others are imported. Posts are written with
//! unordered `insert_many` batches; the unique index `{event_id, platform, external_id}`
//! makes re-importing the same posts add nothing twice (they count as `already_present`).
//! CSV rows without an id get a stable one: SHA-256 of author, date and text.
//! A cancelled import removes what it had written.

use std::{
    collections::HashMap,
    path::Path,
    sync::atomic::{AtomicBool, Ordering},
    time::Instant,
};

use bson::doc;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{posts, posts_raw, sentiment, Post, PostSource};
pub use crate::participants::csv_import::{Phase, Progress};
use crate::{participants::csv_import, text, time, Core, Error, Result};

/// Posts per `insert_many` batch.
pub const BATCH: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "SocialFormat")]
pub enum Format {
    /// Detect from the content.
    #[default]
    Auto,
    X,
    Mastodon,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Format::Auto),
            "x" | "twitter" => Some(Format::X),
            "mastodon" => Some(Format::Mastodon),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::X => "x",
            Format::Mastodon => "mastodon",
            Format::Csv => "csv",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ImportOptions {
    pub format: Format,
    /// The archive owner's screen name, for X archives (which do not include it).
    pub author: Option<String>,
}

/// One rejected record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RecordError {
    /// Item number in the JSON array (from 1), or line number in the CSV file.
    pub record: u64,
    /// The post's id, when it could be read.
    #[serde(default)]
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "SocialImportReport")]
pub struct ImportReport {
    pub run_id: String,
    pub file: String,
    /// The format read: `x`, `mastodon` or `csv`.
    pub format: Format,
    /// `record` numbers are JSON items (`item`) or CSV lines (`line`).
    pub record_unit: String,
    pub records: u64,
    pub imported: u64,
    /// Posts already stored for this event (a re-import): not added again.
    pub already_present: u64,
    pub rejected: u64,
    pub errors: Vec<RecordError>,
    pub cancelled: bool,
    pub duration_ms: u64,
}

/// A post read from a file or an API, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub platform: String,
    pub external_id: String,
    pub author: String,
    pub text: String,
    pub posted_at: DateTime<Utc>,
    pub url: Option<String>,
    pub likes: i64,
    pub shares: i64,
    pub replies: i64,
    pub hashtags: Vec<String>,
    pub mentions: Vec<String>,
}

fn file_err(file: &str, msg: impl AsRef<str>) -> Error {
    Error::invalid("file", format!("{file}: {}", msg.as_ref()))
}

/// Build the stored post (sentiment and folded text computed here).
pub(crate) fn to_post(event_id: &str, p: Parsed, source: PostSource, now: DateTime<Utc>) -> Post {
    let (sentiment_score, sentiment) = sentiment::score(&p.text);
    let mut hashtags: Vec<String> = p.hashtags.iter().map(|h| text::fold(h)).collect();
    hashtags.extend(hashtags_in(&p.text));
    dedup(&mut hashtags);
    // The network's own list when it gives one (it knows full addresses), else the text's.
    let mut mentions: Vec<String> = if p.mentions.is_empty() {
        mentions_in(&p.text)
    } else {
        p.mentions.iter().map(|m| m.to_lowercase()).collect()
    };
    dedup(&mut mentions);
    Post {
        id: uuid::Uuid::now_v7().to_string(),
        event_id: event_id.to_owned(),
        platform: p.platform,
        external_id: p.external_id,
        author: p.author.trim().trim_start_matches('@').to_owned(),
        text_key: text::fold(&p.text),
        text_words: text::phrase_key(&p.text),
        text: p.text,
        posted_at: p.posted_at,
        url: p.url,
        likes: p.likes,
        shares: p.shares,
        replies: p.replies,
        hashtags,
        mentions,
        sentiment_score,
        sentiment,
        source,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| !x.is_empty() && seen.insert(x.clone()));
}

/// `#tags` of a text, folded.
pub fn hashtags_in(s: &str) -> Vec<String> {
    let mut out = vec![];
    for (i, c) in s.char_indices() {
        if c != '#' {
            continue;
        }
        let before = s[..i].chars().next_back();
        if before.is_some_and(|b| b.is_alphanumeric() || b == '&') {
            continue;
        }
        let tag: String = s[i + 1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !tag.is_empty() && !tag.chars().all(|c| c.is_ascii_digit()) {
            out.push(text::fold(&tag));
        }
    }
    out
}

/// `@mentions` of a text (`@name` or `@name@instance`), lower case.
pub fn mentions_in(s: &str) -> Vec<String> {
    let mut out = vec![];
    for (i, c) in s.char_indices() {
        if c != '@' {
            continue;
        }
        let before = s[..i].chars().next_back();
        if before.is_some_and(|b| b.is_alphanumeric() || b == '@' || b == '.') {
            continue;
        }
        let m: String = s[i + 1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'))
            .collect();
        let m = m.trim_end_matches(['.', '-', '@']);
        if !m.is_empty() {
            out.push(m.to_lowercase());
        }
    }
    out
}

/// A count: a JSON number or numeric string (X archives write `"3"`); missing is 0.
fn count(v: Option<&Value>, field: &str) -> std::result::Result<i64, String> {
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("{field}: {n} is not a count")),
        Some(Value::String(s)) => count_str(s, field),
        Some(other) => Err(format!("{field}: {other} is not a count")),
    }
}

fn count_str(s: &str, field: &str) -> std::result::Result<i64, String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    if t.is_empty() {
        return Ok(0);
    }
    t.parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| format!("{field}: '{s}' is not a count"))
}

fn str_field<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// The id of a JSON value: a string, or a number.
fn id_field(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parse the dates found in the wild: RFC 3339, X's `Wed Oct 10 20:19:24 +0000 2018`,
/// `YYYY-MM-DD HH:MM[:SS]`, `DD/MM/YYYY HH:MM[:SS]`, `YYYY-MM-DD`, `DD/MM/YYYY`
/// (without an offset: UTC).
pub fn parse_date(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("missing date".into());
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_str(s, "%a %b %d %H:%M:%S %z %Y") {
        return Ok(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(Utc.from_utc_datetime(&d));
        }
    }
    for f in ["%Y-%m-%d", "%d/%m/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Ok(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()));
        }
    }
    Err(format!("'{s}' is not a date"))
}

/// HTML (Mastodon `content`) to text: `<br>` and paragraph ends become line breaks,
/// other tags are dropped, entities decoded.
pub fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name == "br" || (tag.starts_with('/') && name == "p") {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let text = decode_entities(&out);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines.join("\n").trim().to_owned()
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One item of an X archive: `{"tweet": {…}}` (or the tweet itself).
fn parse_tweet(item: &Value, author: &str) -> std::result::Result<Parsed, (String, String)> {
    let t = item.get("tweet").unwrap_or(item);
    if !t.is_object() {
        return Err((String::new(), "not a tweet object".into()));
    }
    let id = id_field(t.get("id_str"))
        .or_else(|| id_field(t.get("id")))
        .ok_or_else(|| (String::new(), "missing id_str".to_owned()))?;
    let e = |m: String| (id.clone(), m);
    let text = str_field(t, &["full_text"])
        .or_else(|| str_field(t, &["text"]))
        .ok_or_else(|| e("missing full_text".into()))?;
    let created = str_field(t, &["created_at"]).ok_or_else(|| e("missing created_at".into()))?;
    let posted_at = parse_date(created).map_err(|m| e(format!("created_at: {m}")))?;
    let likes = count(t.get("favorite_count"), "favorite_count").map_err(e)?;
    let shares = count(t.get("retweet_count"), "retweet_count").map_err(e)?;
    let names = |list: &str, key: &str| -> Vec<String> {
        t.get("entities")
            .and_then(|x| x.get(list))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.get(key).and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let author = author.trim().trim_start_matches('@').to_owned();
    let url = (!author.is_empty()).then(|| format!("https://x.com/{author}/status/{id}"));
    Ok(Parsed {
        platform: "x".into(),
        external_id: id.clone(),
        author,
        text: decode_entities(text),
        posted_at,
        url,
        likes,
        shares,
        replies: 0,
        hashtags: names("hashtags", "text"),
        mentions: names("user_mentions", "screen_name"),
    })
}

/// One Mastodon status (API JSON).
pub fn parse_status(s: &Value) -> std::result::Result<Parsed, (String, String)> {
    if !s.is_object() {
        return Err((String::new(), "not a status object".into()));
    }
    let id = id_field(s.get("id")).ok_or_else(|| (String::new(), "missing id".to_owned()))?;
    let e = |m: String| (id.clone(), m);
    let created = str_field(s, &["created_at"]).ok_or_else(|| e("missing created_at".into()))?;
    let posted_at = parse_date(created).map_err(|m| e(format!("created_at: {m}")))?;
    let content = match s.get("content") {
        Some(Value::String(c)) => c.as_str(),
        Some(Value::Null) | None => return Err(e("missing content".into())),
        Some(_) => return Err(e("content is not text".into())),
    };
    let author = str_field(s, &["account", "acct"])
        .ok_or_else(|| e("missing account.acct".into()))?
        .to_owned();
    let mut text = strip_html(content);
    if let Some(sp) = str_field(s, &["spoiler_text"]).filter(|x| !x.trim().is_empty()) {
        text = format!("{}\n{text}", sp.trim());
    }
    let list = |key: &str, name: &str| -> Vec<String> {
        s.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.get(name).and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Parsed {
        platform: "mastodon".into(),
        external_id: id.clone(),
        author,
        text,
        posted_at,
        url: str_field(s, &["url"])
            .or_else(|| str_field(s, &["uri"]))
            .map(str::to_owned),
        likes: count(s.get("favourites_count"), "favourites_count").map_err(e)?,
        shares: count(s.get("reblogs_count"), "reblogs_count").map_err(e)?,
        replies: count(s.get("replies_count"), "replies_count").map_err(e)?,
        hashtags: list("tags", "name"),
        mentions: list("mentions", "acct"),
    })
}

/// What a CSV column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    Author,
    Text,
    Date,
    Url,
    Platform,
    Likes,
    Shares,
    Replies,
}

fn csv_col(header: &str) -> Option<Col> {
    let w: String = text::fold(header)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    let has = |xs: &[&str]| xs.iter().any(|x| w == *x);
    Some(
        if has(&["id", "postid", "tweetid", "statusid", "identifiant"]) {
            Col::Id
        } else if has(&[
            "author",
            "auteur",
            "user",
            "username",
            "utilisateur",
            "account",
            "compte",
            "handle",
            "screenname",
            "name",
            "nom",
            "from",
        ]) {
            Col::Author
        } else if has(&[
            "text", "texte", "content", "contenu", "message", "post", "tweet", "body", "fulltext",
        ]) {
            Col::Text
        } else if has(&[
            "date",
            "createdat",
            "postedat",
            "publishedat",
            "datetime",
            "time",
            "heure",
            "publication",
            "datedepublication",
            "publiele",
            "timestamp",
        ]) {
            Col::Date
        } else if has(&["url", "link", "lien", "permalink", "adresse"]) {
            Col::Url
        } else if has(&[
            "platform",
            "plateforme",
            "network",
            "reseau",
            "source",
            "site",
        ]) {
            Col::Platform
        } else if has(&[
            "likes",
            "like",
            "favourites",
            "favorites",
            "favoritecount",
            "favouritescount",
            "jaime",
            "reactions",
            "mentionsjaime",
        ]) {
            Col::Likes
        } else if has(&[
            "shares",
            "share",
            "retweets",
            "retweetcount",
            "reblogs",
            "reblogscount",
            "boosts",
            "partages",
            "repartages",
            "reposts",
        ]) {
            Col::Shares
        } else if has(&[
            "replies",
            "reply",
            "repliescount",
            "comments",
            "commentaires",
            "reponses",
        ]) {
            Col::Replies
        } else {
            return None;
        },
    )
}

/// A stable id for a CSV row without one: SHA-256 of author, date (RFC 3339) and text.
pub fn stable_id(author: &str, posted_at: DateTime<Utc>, text: &str) -> String {
    let mut h = Sha256::new();
    h.update(author.trim().to_lowercase().as_bytes());
    h.update([0x1f]);
    h.update(
        posted_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            .as_bytes(),
    );
    h.update([0x1f]);
    h.update(text.trim().as_bytes());
    let d = h.finalize();
    d.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// Records of a file, each with its number, parsed or rejected.
type Records = Vec<(u64, std::result::Result<Parsed, (String, String)>)>;

fn csv_records(file: &str, bytes: &[u8]) -> Result<Records> {
    let table = csv_import::parse(file, bytes, &csv_import::ImportOptions::default())?;
    let cols: Vec<Option<Col>> = table.headers.iter().map(|h| csv_col(h)).collect();
    let find = |c: Col| cols.iter().position(|x| *x == Some(c));
    let (Some(ai), Some(ti), Some(di)) = (find(Col::Author), find(Col::Text), find(Col::Date))
    else {
        return Err(file_err(
            file,
            format!(
                "not an X archive (tweets.js), Mastodon JSON or a CSV file with author, text and \
                 date columns (columns found: {})",
                table.headers.join(", ")
            ),
        ));
    };
    let get = |row: &[String], i: Option<usize>| -> String {
        i.and_then(|i| row.get(i)).cloned().unwrap_or_default()
    };
    let mut out = vec![];
    for (line, row) in &table.rows {
        let r = (|| {
            let id = get(row, find(Col::Id));
            let e = |m: String| (id.clone(), m);
            let author = get(row, Some(ai));
            let text = get(row, Some(ti));
            if author.trim().is_empty() {
                return Err(e("missing author".into()));
            }
            if text.trim().is_empty() {
                return Err(e("missing text".into()));
            }
            let posted_at = parse_date(&get(row, Some(di))).map_err(e)?;
            let likes = count_str(&get(row, find(Col::Likes)), "likes").map_err(e)?;
            let shares = count_str(&get(row, find(Col::Shares)), "shares").map_err(e)?;
            let replies = count_str(&get(row, find(Col::Replies)), "replies").map_err(e)?;
            let platform: String = text::fold(&get(row, find(Col::Platform)))
                .chars()
                .filter(|c| c.is_alphanumeric())
                .take(40)
                .collect();
            let platform = match platform.as_str() {
                "" => "csv".to_owned(),
                "twitter" => "x".to_owned(),
                _ => platform,
            };
            let url = Some(get(row, find(Col::Url)))
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty());
            let external_id = if id.trim().is_empty() {
                stable_id(&author, posted_at, &text)
            } else {
                id.trim().to_owned()
            };
            Ok(Parsed {
                platform,
                external_id,
                author,
                text,
                posted_at,
                url,
                likes,
                shares,
                replies,
                hashtags: vec![],
                mentions: vec![],
            })
        })();
        out.push((*line, r));
    }
    Ok(out)
}

/// Strip the `window.YTD.tweets.part0 = ` prefix of an X archive file, if present.
fn strip_ytd(text: &str) -> Option<&str> {
    let t = text.trim_start();
    if !t.starts_with("window.YTD.") {
        return None;
    }
    let eq = t.find('=')?;
    Some(t[eq + 1..].trim_end().trim_end_matches(';'))
}

fn json_items(file: &str, json: &str) -> Result<Vec<Value>> {
    let v: Value = serde_json::from_str(json).map_err(|e| {
        file_err(
            file,
            format!(
                "invalid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    match v {
        Value::Array(a) => Ok(a),
        _ => Err(file_err(file, "expected a JSON array of posts")),
    }
}

/// Detect the format and read every record.
pub fn read_records(
    file: &str,
    bytes: &[u8],
    opts: &ImportOptions,
) -> Result<(Format, &'static str, Records)> {
    let decoded = csv_import::decode(file, bytes, None)?;
    let text = decoded.text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    let format = match opts.format {
        Format::Auto if strip_ytd(text).is_some() => Format::X,
        Format::Auto if trimmed.starts_with('[') || trimmed.starts_with('{') => {
            let items = json_items(file, trimmed)?;
            match items.first() {
                Some(first) if first.get("tweet").is_some() || first.get("full_text").is_some() => {
                    Format::X
                }
                Some(first) if first.get("content").is_some() && first.get("account").is_some() => {
                    Format::Mastodon
                }
                None => return Err(file_err(file, "the file contains no posts (empty array)")),
                Some(_) => {
                    return Err(file_err(
                        file,
                        "JSON, but neither an X archive (items with \"tweet\") nor Mastodon \
                         statuses (items with \"content\" and \"account\")",
                    ))
                }
            }
        }
        Format::Auto => Format::Csv,
        f => f,
    };
    let author = opts.author.clone().unwrap_or_default();
    let records: Records = match format {
        Format::X => {
            let json = strip_ytd(text).unwrap_or(trimmed);
            json_items(file, json)?
                .iter()
                .enumerate()
                .map(|(i, v)| (i as u64 + 1, parse_tweet(v, &author)))
                .collect()
        }
        Format::Mastodon => json_items(file, trimmed)?
            .iter()
            .enumerate()
            .map(|(i, v)| (i as u64 + 1, parse_status(v)))
            .collect(),
        _ => csv_records(file, bytes)?,
    };
    let unit = if format == Format::Csv {
        "line"
    } else {
        "item"
    };
    Ok((format, unit, records))
}

/// Import a file into an event.
pub async fn import(
    core: &Core,
    event_id: &str,
    path: &Path,
    opts: &ImportOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    let bytes = csv_import::read_file(path)?;
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    import_bytes(core, event_id, &name, &bytes, opts, progress, cancel).await
}

/// Import file contents (`file` names it in the report and errors).
pub async fn import_bytes(
    core: &Core,
    event_id: &str,
    file: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &AtomicBool,
) -> Result<ImportReport> {
    let started = Instant::now();
    crate::events::get(core, event_id).await?;
    let (format, unit, records) = read_records(file, bytes, opts)?;
    let total = records.len() as u64;
    progress(Progress {
        phase: Phase::Checking,
        done: 0,
        total,
    });
    let run_id = uuid::Uuid::now_v7().to_string();
    let now = time::now();
    let mut errors = vec![];
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    let mut good: Vec<(u64, Post)> = vec![];
    for (record, r) in records {
        match r {
            Err((id, reason)) => errors.push(RecordError { record, id, reason }),
            Ok(p) => {
                let key = (p.platform.clone(), p.external_id.clone());
                if let Some(first) = seen.get(&key) {
                    errors.push(RecordError {
                        record,
                        id: p.external_id,
                        reason: format!("duplicate in file: same post as {unit} {first}"),
                    });
                    continue;
                }
                seen.insert(key, record);
                let source = PostSource {
                    kind: "import".into(),
                    run_id: run_id.clone(),
                    origin: file.to_owned(),
                    record,
                };
                good.push((record, super::import::to_post(event_id, p, source, now)));
            }
        }
    }
    let w = write_posts(core, &good, progress, cancel).await;
    let (inserted, already, refused, cancelled) = match w {
        Ok(x) => x,
        Err(e) => {
            rollback(core, event_id, &run_id).await;
            return Err(e);
        }
    };
    errors.extend(refused);
    let imported = if cancelled {
        rollback(core, event_id, &run_id).await;
        0
    } else {
        inserted
    };
    errors.sort_by_key(|e| e.record);
    progress(Progress {
        phase: Phase::Done,
        done: imported,
        total,
    });
    Ok(ImportReport {
        run_id,
        file: file.to_owned(),
        format,
        record_unit: unit.into(),
        records: total,
        imported,
        already_present: already,
        rejected: errors.len() as u64,
        errors,
        cancelled,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// Write posts with unordered batches. Returns (inserted, already present, refused
/// records, cancelled).
pub(crate) async fn write_posts(
    core: &Core,
    good: &[(u64, Post)],
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &AtomicBool,
) -> Result<(u64, u64, Vec<RecordError>, bool)> {
    let total = good.len() as u64;
    let (mut inserted, mut already) = (0_u64, 0_u64);
    let mut refused = vec![];
    for chunk in good.chunks(BATCH) {
        if cancel.load(Ordering::SeqCst) {
            return Ok((inserted, already, refused, true));
        }
        progress(Progress {
            phase: Phase::Writing,
            done: inserted + already,
            total,
        });
        match posts(core)
            .insert_many(chunk.iter().map(|(_, p)| p))
            .ordered(false)
            .await
        {
            Ok(r) => inserted += r.inserted_ids.len() as u64,
            Err(e) => {
                let mongodb::error::ErrorKind::InsertMany(ime) = e.kind.as_ref() else {
                    return Err(e.into());
                };
                if ime.write_concern_error.is_some() {
                    return Err(e.into());
                }
                let failed = ime.write_errors.clone().unwrap_or_default();
                inserted += (chunk.len() - failed.len()) as u64;
                for we in failed {
                    if we.code == 11000 {
                        already += 1;
                    } else if let Some((record, p)) = chunk.get(we.index) {
                        refused.push(RecordError {
                            record: *record,
                            id: p.external_id.clone(),
                            reason: format!("refused by the database: {}", we.message),
                        });
                    }
                }
            }
        }
    }
    Ok((inserted, already, refused, false))
}

async fn rollback(core: &Core, event_id: &str, run_id: &str) {
    let _ = posts_raw(core)
        .delete_many(doc! { "event_id": event_id, "source.run_id": run_id })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_stripped_and_entities_decoded() {
        let t = strip_html(
            "<p>Super <a href=\"x\">#<span>RustConf</span></a> &amp; l&#39;IA</p><p>ligne<br>2</p>",
        );
        assert_eq!(t, "Super #RustConf & l'IA\nligne\n2");
    }

    #[test]
    fn dates_of_every_source_parse() {
        let x = parse_date("Wed Oct 10 20:19:24 +0000 2018").unwrap();
        assert_eq!(x.to_rfc3339(), "2018-10-10T20:19:24+00:00");
        assert!(parse_date("2024-05-01T10:00:00.123Z").is_ok());
        assert!(parse_date("01/05/2024 10:00").is_ok());
        assert!(parse_date("demain").unwrap_err().contains("demain"));
    }

    #[test]
    fn tags_and_mentions_from_text() {
        assert_eq!(
            hashtags_in("Vive #DevFest2024 et #IA! #1"),
            ["devfest2024", "ia"]
        );
        assert_eq!(
            mentions_in("merci @Alice et @bob@mastodon.social. mail a@b.c"),
            ["alice", "bob@mastodon.social"]
        );
    }

    #[test]
    fn stable_ids_do_not_depend_on_case_of_author() {
        let d = parse_date("2024-05-01T10:00:00Z").unwrap();
        assert_eq!(stable_id("Alice", d, "hi"), stable_id("alice", d, " hi "));
        assert_ne!(stable_id("alice", d, "hi"), stable_id("alice", d, "ho"));
    }
}
