//! Fetching a Mastodon hashtag timeline (`GET /api/v1/timelines/tag/{tag}`, public, no
//! account needed) into `social_posts`.
//!
//! - **Resumable**: `social_cursors` keeps, per (event, instance, tag), the newest and
//!   oldest status ids seen and whether the start of the timeline was reached. A fetch
//!   first catches up on what is newer than `newest_id` (`min_id=…`: the page right after
//!   it, so stopping half-way leaves no gap), then continues into the past from
//!   `oldest_id` (`max_id=…`, or the `Link: <…>; rel="next"` address's `max_id`) until the
//!   timeline ends or the page limit is reached. The cursor is saved after every page.
//! - **Rate-limited**: when `X-RateLimit-Remaining` reaches 0 it waits until
//!   `X-RateLimit-Reset`; an HTTP 429 waits `Retry-After` (seconds or a date) and retries.
//!   Waits are bounded by [`FetchOptions::max_wait`]: a longer one stops the fetch (run it
//!   again later, it resumes). A 5xx answer is retried with a short backoff
//!   ([`FetchOptions::retries`] times); malformed JSON stops the fetch with a message.
//! - **Cancellable** between pages and during waits; the pages already written are kept
//!   (the cursor matches them, so the next fetch resumes after them).
//!
//! Problems with the server end the fetch with [`FetchReport::error`] set and everything
//! fetched until then kept; only invalid options and database failures are `Err`.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use bson::doc;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    import::{parse_status, to_post, write_posts, Phase, Progress, RecordError},
    share, PostSource, CURSORS,
};
use crate::{time, Core, Error, Result};

pub const MAX_PAGES: u32 = 100;
pub const PAGE_LIMIT: u32 = 40;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct FetchOptions {
    /// Host name of the instance, e.g. `mastodon.social`.
    pub instance: String,
    /// With or without `#`.
    pub tag: String,
    /// Most requests made (1–100).
    pub pages: u32,
    /// Statuses per page (1–40).
    pub limit: u32,
    /// Address used instead of `https://{instance}`: `https://…`, or `http://127.0.0.1:PORT`
    /// / `http://localhost:PORT` (tests).
    pub base_url: Option<String>,
    /// Longest wait for a rate limit, in milliseconds.
    pub max_wait_ms: u64,
    /// Retries of one request after a 5xx or 429 answer.
    pub retries: u32,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            instance: String::new(),
            tag: String::new(),
            pages: 5,
            limit: PAGE_LIMIT,
            base_url: None,
            max_wait_ms: 60_000,
            retries: 3,
        }
    }
}

/// The resume point of one (event, instance, tag) (`social_cursors`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    pub instance: String,
    pub tag: String,
    pub newest_id: Option<String>,
    pub oldest_id: Option<String>,
    /// The start of the timeline was reached: only newer posts are fetched now.
    #[serde(default)]
    pub reached_end: bool,
    #[serde(with = "crate::time::ts")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct FetchReport {
    pub run_id: String,
    pub instance: String,
    pub tag: String,
    /// Requests answered with a page of statuses.
    pub pages: u32,
    pub received: u64,
    pub imported: u64,
    pub already_present: u64,
    pub rejected: u64,
    /// Bad statuses: `record` is the status' position in this fetch (from 1).
    pub errors: Vec<RecordError>,
    pub newest_id: Option<String>,
    pub oldest_id: Option<String>,
    pub reached_end: bool,
    /// Time spent waiting for rate limits and retries.
    pub waited_ms: u64,
    pub cancelled: bool,
    /// Why the fetch stopped early (server error, malformed answer, rate limit too long).
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// Mastodon ids are numbers in strings (snowflakes): compare by length, then text.
fn id_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn base_url(opts: &FetchOptions, instance: &str) -> Result<String> {
    let Some(b) = opts.base_url.as_deref().filter(|b| !b.trim().is_empty()) else {
        return Ok(format!("https://{instance}"));
    };
    let b = b.trim().trim_end_matches('/');
    let local = ["http://127.0.0.1:", "http://localhost:"]
        .iter()
        .any(|p| b.starts_with(p));
    if !(b.starts_with("https://") || local) {
        return Err(Error::invalid(
            "base_url",
            format!("'{b}' must be https:// (or http://127.0.0.1:PORT for tests)"),
        ));
    }
    Ok(b.to_owned())
}

/// The value of `name` in the query of `url`.
fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

/// The `rel="next"` address of a `Link` header.
pub fn link_next(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let rel_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        rel_next.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

/// How long to wait from a `Retry-After` value (seconds or an HTTP date).
fn retry_after(v: &str, now: DateTime<Utc>) -> Option<Duration> {
    if let Ok(s) = v.trim().parse::<f64>() {
        return Some(Duration::from_secs_f64(s.max(0.0)));
    }
    let at = DateTime::parse_from_rfc2822(v.trim()).ok()?;
    Some(
        (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Sleep in short slices so that cancelling interrupts it. False when cancelled.
async fn wait(d: Duration, cancel: &AtomicBool) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if cancel.load(Ordering::SeqCst) {
            return false;
        }
        let left = end.saturating_duration_since(Instant::now());
        tokio::time::sleep(left.min(Duration::from_millis(50))).await;
    }
    !cancel.load(Ordering::SeqCst)
}

fn client() -> Result<reqwest::Client> {
    // The process may already have a provider (then this is a no-op).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("EventHub/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| Error::internal(format!("cannot build the HTTP client: {e}")))
}

enum Got {
    Page {
        statuses: Vec<Value>,
        next_max_id: Option<String>,
        has_link: bool,
        /// The page was received but the rate limit asks for too long a wait.
        stop_after: Option<String>,
    },
    Stop(String),
    Cancelled,
}

struct Fetcher<'a> {
    http: reqwest::Client,
    opts: &'a FetchOptions,
    cancel: &'a AtomicBool,
    waited: Duration,
}

impl Fetcher<'_> {
    /// Wait `d` if within bounds; otherwise a stop message.
    async fn bounded_wait(&mut self, d: Duration, why: &str) -> Option<Got> {
        let max = Duration::from_millis(self.opts.max_wait_ms);
        if d > max {
            return Some(Got::Stop(format!(
                "{why}: the server asks to wait {} s (more than {} s): run the fetch again later, it resumes",
                d.as_secs(),
                max.as_secs()
            )));
        }
        self.waited += d;
        if !wait(d, self.cancel).await {
            return Some(Got::Cancelled);
        }
        None
    }

    async fn get(&mut self, url: &str) -> Got {
        let mut attempt = 0;
        loop {
            if self.cancel.load(Ordering::SeqCst) {
                return Got::Cancelled;
            }
            let r = match self.http.get(url).send().await {
                Ok(r) => r,
                Err(e) => return Got::Stop(format!("{url}: {e}")),
            };
            let status = r.status();
            if status.as_u16() == 429 {
                attempt += 1;
                if attempt > self.opts.retries {
                    return Got::Stop(format!(
                        "{url}: HTTP 429 (rate limited) after {attempt} tries"
                    ));
                }
                let d = header(&r, "retry-after")
                    .and_then(|v| retry_after(v, time::now()))
                    .unwrap_or(Duration::from_secs(1));
                if let Some(g) = self.bounded_wait(d, "rate limited (HTTP 429)").await {
                    return g;
                }
                continue;
            }
            if status.is_server_error() {
                attempt += 1;
                if attempt > self.opts.retries {
                    return Got::Stop(format!("{url}: HTTP {status} after {attempt} tries"));
                }
                let d = Duration::from_millis(100 << attempt.min(6));
                if let Some(g) = self.bounded_wait(d, "server error").await {
                    return g;
                }
                continue;
            }
            if !status.is_success() {
                let body = r.text().await.unwrap_or_default();
                return Got::Stop(format!(
                    "{url}: HTTP {status}: {}",
                    crate::db::first_line(&body)
                ));
            }
            let link = header(&r, "link").map(str::to_owned);
            let remaining =
                header(&r, "x-ratelimit-remaining").and_then(|v| v.trim().parse::<f64>().ok());
            let reset = header(&r, "x-ratelimit-reset").and_then(|v| time::parse(v).ok());
            let body = match r.text().await {
                Ok(b) => b,
                Err(e) => return Got::Stop(format!("{url}: cannot read the answer: {e}")),
            };
            let statuses = match serde_json::from_str::<Value>(&body) {
                Ok(Value::Array(a)) => a,
                Ok(_) => return Got::Stop(format!("{url}: the answer is not a list of statuses")),
                Err(e) => return Got::Stop(format!("{url}: malformed JSON ({e})")),
            };
            let mut stop_after = None;
            if remaining.is_some_and(|n| n < 1.0) {
                let d = reset
                    .map(|r| (r - time::now()).to_std().unwrap_or(Duration::ZERO))
                    .unwrap_or(Duration::from_secs(1));
                match self.bounded_wait(d, "rate limit reached").await {
                    None => {}
                    // This page was received: it is kept either way.
                    Some(Got::Stop(m)) => stop_after = Some(m),
                    Some(_) => stop_after = Some("cancelled".into()),
                }
            }
            let next_max_id = link
                .as_deref()
                .and_then(link_next)
                .and_then(|u| query_param(&u, "max_id"));
            return Got::Page {
                statuses,
                next_max_id,
                has_link: link.is_some(),
                stop_after,
            };
        }
    }
}

/// Read the cursor of (event, instance, tag), if any.
pub async fn cursor(
    core: &Core,
    event_id: &str,
    instance: &str,
    tag: &str,
) -> Result<Option<Cursor>> {
    let instance = share::normalise_instance(instance)?;
    let tag = crate::text::fold(&share::normalise_tag("tag", tag)?);
    Ok(core
        .db()
        .collection::<Cursor>(CURSORS)
        .find_one(doc! { "event_id": event_id, "instance": &instance, "tag": &tag })
        .await?)
}

/// Cursors are local-only (each store fetches for itself): a plain update, no versioned
/// metadata block.
async fn save_cursor(core: &Core, c: &Cursor) -> Result<()> {
    core.db()
        .collection::<bson::Document>(CURSORS)
        .update_one(
            doc! { "event_id": &c.event_id, "instance": &c.instance, "tag": &c.tag },
            doc! {
                "$set": {
                    "newest_id": &c.newest_id,
                    "oldest_id": &c.oldest_id,
                    "reached_end": c.reached_end,
                    "updated_at": bson::DateTime::from_chrono(time::now()),
                },
                "$setOnInsert": { "_id": &c.id },
            },
        )
        .upsert(true)
        .await?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Newer,
    Older,
}

/// Fetch the hashtag timeline into the event's posts. See the module documentation.
pub async fn fetch(
    core: &Core,
    event_id: &str,
    opts: &FetchOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &AtomicBool,
) -> Result<FetchReport> {
    let started = Instant::now();
    let instance = share::normalise_instance(&opts.instance)?;
    let tag_shown = share::normalise_tag("tag", &opts.tag)?;
    let tag = crate::text::fold(&tag_shown);
    if !(1..=MAX_PAGES).contains(&opts.pages) {
        return Err(Error::invalid(
            "pages",
            format!("between 1 and {MAX_PAGES}"),
        ));
    }
    let limit = opts.limit.clamp(1, PAGE_LIMIT);
    let base = base_url(opts, &instance)?;
    crate::events::get(core, event_id).await?;
    let mut cur = cursor(core, event_id, &instance, &tag)
        .await?
        .unwrap_or_else(|| Cursor {
            id: uuid::Uuid::now_v7().to_string(),
            event_id: event_id.to_owned(),
            instance: instance.clone(),
            tag: tag.clone(),
            newest_id: None,
            oldest_id: None,
            reached_end: false,
            updated_at: time::now(),
        });
    let run_id = uuid::Uuid::now_v7().to_string();
    let mut f = Fetcher {
        http: client()?,
        opts,
        cancel,
        waited: Duration::ZERO,
    };
    let mut report = FetchReport {
        run_id: run_id.clone(),
        instance: instance.clone(),
        tag: tag.clone(),
        pages: 0,
        received: 0,
        imported: 0,
        already_present: 0,
        rejected: 0,
        errors: vec![],
        newest_id: None,
        oldest_id: None,
        reached_end: false,
        waited_ms: 0,
        cancelled: false,
        error: None,
        duration_ms: 0,
    };
    let mut directions = vec![];
    if cur.newest_id.is_some() {
        directions.push(Direction::Newer);
    }
    if !cur.reached_end {
        directions.push(Direction::Older);
    }
    let path = format!("{base}/api/v1/timelines/tag/{}", share::encode(&tag_shown));
    let now = time::now();
    let mut record = 0_u64;
    'dirs: for dir in directions {
        let mut max_id = match dir {
            Direction::Older => cur.oldest_id.clone(),
            Direction::Newer => None,
        };
        loop {
            if report.pages >= opts.pages {
                break 'dirs;
            }
            progress(Progress {
                phase: Phase::Writing,
                done: u64::from(report.pages),
                total: u64::from(opts.pages),
            });
            let mut url = format!("{path}?limit={limit}");
            match dir {
                Direction::Newer => url.push_str(&format!(
                    "&min_id={}",
                    cur.newest_id.clone().unwrap_or_default()
                )),
                Direction::Older => {
                    if let Some(m) = &max_id {
                        url.push_str(&format!("&max_id={}", share::encode(m)));
                    }
                }
            }
            let (statuses, next_max_id, has_link, stop_after) = match f.get(&url).await {
                Got::Page {
                    statuses,
                    next_max_id,
                    has_link,
                    stop_after,
                } => (statuses, next_max_id, has_link, stop_after),
                Got::Cancelled => {
                    report.cancelled = true;
                    break 'dirs;
                }
                Got::Stop(msg) => {
                    report.error = Some(msg);
                    break 'dirs;
                }
            };
            report.pages += 1;
            let stop = |report: &mut FetchReport| match &stop_after {
                Some(m) if m == "cancelled" => {
                    report.cancelled = true;
                    true
                }
                Some(m) => {
                    report.error = Some(m.clone());
                    true
                }
                None => false,
            };
            if statuses.is_empty() {
                if dir == Direction::Older {
                    cur.reached_end = true;
                    save_cursor(core, &cur).await?;
                }
                if stop(&mut report) {
                    break 'dirs;
                }
                break;
            }
            report.received += statuses.len() as u64;
            let mut good = vec![];
            let mut ids: Vec<String> = vec![];
            for s in &statuses {
                record += 1;
                if let Some(id) = s.get("id").and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }) {
                    ids.push(id);
                }
                match parse_status(s) {
                    Ok(p) => {
                        let source = PostSource {
                            kind: "fetch".into(),
                            run_id: run_id.clone(),
                            origin: instance.clone(),
                            record: 0,
                        };
                        good.push((record, to_post(event_id, p, source, now)));
                    }
                    Err((id, reason)) => report.errors.push(RecordError { record, id, reason }),
                }
            }
            let (ins, already, refused, _) =
                write_posts(core, &good, &|_| {}, &AtomicBool::new(false)).await?;
            report.imported += ins;
            report.already_present += already;
            report.errors.extend(refused);
            let page_max = ids.iter().max_by(|a, b| id_cmp(a, b)).cloned();
            let page_min = ids.iter().min_by(|a, b| id_cmp(a, b)).cloned();
            let newer = |a: Option<String>, b: Option<String>| match (a, b) {
                (Some(a), Some(b)) => Some(if id_cmp(&a, &b).is_ge() { a } else { b }),
                (a, b) => a.or(b),
            };
            let older = |a: Option<String>, b: Option<String>| match (a, b) {
                (Some(a), Some(b)) => Some(if id_cmp(&a, &b).is_le() { a } else { b }),
                (a, b) => a.or(b),
            };
            match dir {
                Direction::Newer => {
                    cur.newest_id = newer(cur.newest_id.take(), page_max);
                    if cur.oldest_id.is_none() {
                        cur.oldest_id = page_min;
                    }
                    save_cursor(core, &cur).await?;
                    if stop(&mut report) {
                        break 'dirs;
                    }
                    if statuses.len() < limit as usize {
                        break;
                    }
                }
                Direction::Older => {
                    cur.newest_id = newer(cur.newest_id.take(), page_max);
                    cur.oldest_id = older(cur.oldest_id.take(), page_min.clone());
                    if has_link && next_max_id.is_none() {
                        cur.reached_end = true;
                    }
                    save_cursor(core, &cur).await?;
                    if stop(&mut report) {
                        break 'dirs;
                    }
                    if cur.reached_end {
                        break;
                    }
                    max_id = next_max_id.or(page_min);
                }
            }
        }
    }
    report.rejected = report.errors.len() as u64;
    report.newest_id = cur.newest_id.clone();
    report.oldest_id = cur.oldest_id.clone();
    report.reached_end = cur.reached_end;
    report.waited_ms = f.waited.as_millis() as u64;
    report.duration_ms = started.elapsed().as_millis() as u64;
    progress(Progress {
        phase: Phase::Done,
        done: u64::from(report.pages),
        total: u64::from(opts.pages),
    });
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next_is_found() {
        let l = "<https://m.s/api/v1/timelines/tag/rust?max_id=105>; rel=\"next\", \
                 <https://m.s/api/v1/timelines/tag/rust?min_id=120>; rel=\"prev\"";
        let n = link_next(l).unwrap();
        assert_eq!(query_param(&n, "max_id").as_deref(), Some("105"));
        assert_eq!(link_next("<https://a/b?min_id=1>; rel=\"prev\""), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = time::parse("2015-10-21T07:27:00Z").unwrap();
        assert_eq!(retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn ids_compare_as_numbers() {
        assert!(id_cmp("99", "100").is_lt());
        assert!(id_cmp("110", "109").is_gt());
    }
}
