//! A list page read in windows of its sort key.
//!
//! A page of the event list is one `find`: the filter, the list's sort, the page limit,
//! on an index that gives that order. MongoDB reads it in index order and stops at the
//! page. SecantusDB, the engine of development and CI, reads and sorts every match
//! before it applies the limit: a word found in a fifth of 100,000 events cost a read
//! of 20,000 documents for a page of 25.
//!
//! So a page is read in windows: ranges of the sort key, cut at values that split the
//! live events into slices of about the same size ([`Cuts`], measured by one scan of the
//! three sort keys, kept in memory, measured again when the number of events moved by a
//! tenth or after an hour). Each window is the page query plus a range of the sort key,
//! with the same sort and the page limit. On MongoDB each is one index scan bounded by
//! the range that stops at the page; on SecantusDB it is bounded as below.
//! The windows are read in the list's order until the page is full, so the page is the
//! one the single query returns (`events::tests` and the integration tests compare
//! both). The cuts decide how wide the windows are, never what a page holds: stale or
//! missing cuts cost round trips, not results.
//!
//! Two ways to read a window, both giving the same rows:
//! - A query with an index equality (words, a tag, a status) reads each window through
//!   the list's own index, the equality then the sort key. Behind an equality on a
//!   multikey index secantusd-rs bounds the sort key by the range's first operator only,
//!   so the window's far end comes first: the read holds the equality's matches from the
//!   start of the list's order to the window's end, and the near end filters them. The
//!   first window is sized as if every event matched (a read costs matches only), the
//!   next from the share seen (eight times wider when nothing matched). MongoDB bounds
//!   both ends.
//! - Any other query reads each window through the sort key's own index (`starts_at_id`,
//!   `title_key_id`, `updated_at_id`), the range first: secantusd-rs reads a conjunction
//!   through the first of its fields an index can read. A window then reads all its
//!   events, matching or not.
//!
//! Measured at 100,000 events, a page of the word "cloud" (12 % of the events): the far
//! end first reads its ~30 matches, 1.2 ms for the first two days; the range first reads
//! every event of the window, 2.3 ms; the near end first reads every later match of the
//! word, 247 ms. The share of events each recent query matched is kept (found by where
//! its page ended in the cuts), so the same query, typed again, is read in one window.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};
use std::time::{Duration, Instant};

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;

use super::{EventQuery, Sort, EVENTS};
use crate::{Core, Result};

/// Live events per slice, at least. Small bases get slices of this size.
const MIN_SLICE: u64 = 8;
/// At most this many slices (a larger base gets larger slices): 8,192 values of each
/// sort key, a few hundred kilobytes, for windows about as wide as a page.
const MAX_SLICES: u64 = 8192;
/// Queries whose share of matching events is kept, at most (all are forgotten beyond).
const MAX_RATES: usize = 1024;
/// Cuts are measured again when the number of events moved by more than this share…
const RECOUNT_SHARE: f64 = 0.1;
/// …or when they are older than this.
const MAX_AGE: Duration = Duration::from_secs(3600);
/// How often a list call may check whether the cuts are stale.
const CHECK_EVERY: Duration = Duration::from_secs(60);

/// The sort-key values that cut the live events into slices of about `per` events,
/// ascending, one list per sort field.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cuts {
    pub starts_at: Vec<Bson>,
    pub updated_at: Vec<Bson>,
    pub title_key: Vec<Bson>,
    /// Events per slice.
    pub per: u64,
    /// Live events when measured.
    pub events: u64,
}

impl Cuts {
    fn of(&self, field: &str) -> &[Bson] {
        match field {
            "starts_at" => &self.starts_at,
            "updated_at" => &self.updated_at,
            _ => &self.title_key,
        }
    }

    /// Cut sorted values into slices of about `per` (the first value of every slice but
    /// the first, without repeats: equal values stay in one slice).
    fn from_sorted(mut values: Vec<(Bson, Bson, Bson)>, events: u64) -> Cuts {
        let n = values.len() as u64;
        let per = (n / MAX_SLICES).max(MIN_SLICE);
        let cut = |pick: fn(&(Bson, Bson, Bson)) -> &Bson, values: &mut Vec<(Bson, Bson, Bson)>| {
            values.sort_by(|a, b| order(pick(a), pick(b)));
            let mut out: Vec<Bson> = Vec::new();
            for (i, v) in values.iter().enumerate() {
                let v = pick(v);
                if i > 0
                    && (i as u64).is_multiple_of(per)
                    && !matches!(v, Bson::Null)
                    && out
                        .last()
                        .is_none_or(|l| order(l, v) == std::cmp::Ordering::Less)
                {
                    out.push(v.clone());
                }
            }
            out
        };
        let starts_at = cut(|v| &v.0, &mut values);
        let updated_at = cut(|v| &v.1, &mut values);
        let title_key = cut(|v| &v.2, &mut values);
        Cuts {
            starts_at,
            updated_at,
            title_key,
            per,
            events,
        }
    }
}

/// MongoDB's order for the values of one sort key: dates by instant, strings by their
/// bytes (no collation); nulls first.
fn order(a: &Bson, b: &Bson) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (Bson::DateTime(x), Bson::DateTime(y)) => x.timestamp_millis().cmp(&y.timestamp_millis()),
        (Bson::String(x), Bson::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Bson::Null, Bson::Null) => Equal,
        (Bson::Null, _) => Less,
        (_, Bson::Null) => Greater,
        _ => Equal,
    }
}

/// Read the three sort keys of every live event once and cut them.
pub async fn measure(core: &Core) -> Result<Cuts> {
    let values: Vec<(Bson, Bson, Bson)> = core
        .db()
        .collection::<Document>(EVENTS)
        .find(doc! { "deleted_at": Bson::Null })
        .projection(doc! { "_id": 0, "starts_at": 1, "updated_at": 1, "title_key": 1 })
        .batch_size(10_000)
        .await?
        .map_ok(|d| {
            let get = |k: &str| d.get(k).cloned().unwrap_or(Bson::Null);
            (get("starts_at"), get("updated_at"), get("title_key"))
        })
        .try_collect()
        .await?;
    let events = values.len() as u64;
    Ok(Cuts::from_sorted(values, events))
}

/// The cuts of one database, shared by its `Core` handles.
#[derive(Default)]
pub struct CutCache {
    state: Mutex<State>,
    measuring: AtomicBool,
    /// The share of events each recent query matched (by sort key and filter), seen by
    /// the page it filled: its next windows are sized from it.
    rates: Mutex<std::collections::HashMap<String, f64>>,
}

#[derive(Default)]
struct State {
    cuts: Option<Arc<Cuts>>,
    measured: Option<Instant>,
    checked: Option<Instant>,
}

impl CutCache {
    /// The cuts as they are, and whether it is time to check them.
    fn current(&self) -> (Option<Arc<Cuts>>, bool) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let due = s.checked.is_none_or(|t| t.elapsed() >= CHECK_EVERY);
        if due {
            s.checked = Some(Instant::now());
        }
        (s.cuts.clone(), due)
    }

    fn store(&self, cuts: Cuts) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.cuts = Some(Arc::new(cuts));
        s.measured = Some(Instant::now());
    }

    fn rate(&self, key: &str) -> Option<f64> {
        let rates = self.rates.lock().unwrap_or_else(|e| e.into_inner());
        rates.get(key).copied()
    }

    fn learn(&self, key: String, rate: f64) {
        let mut rates = self.rates.lock().unwrap_or_else(|e| e.into_inner());
        if rates.len() >= MAX_RATES && !rates.contains_key(&key) {
            rates.clear();
        }
        rates.insert(key, rate);
    }

    fn age(&self) -> Option<Duration> {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.measured.map(|t| t.elapsed())
    }
}

/// Measure the cuts now and keep them (the app's start, the benchmarks).
pub async fn refresh(core: &Core) -> Result<Arc<Cuts>> {
    let cuts = measure(core).await?;
    core.event_cuts().store(cuts);
    Ok(core
        .event_cuts()
        .current()
        .0
        .unwrap_or_else(|| Arc::new(Cuts::default())))
}

/// The cuts to plan a list with. At most once a minute, a background task checks them
/// and measures them again when the number of events moved by a tenth, after an hour,
/// or when there are none yet.
fn cuts_for_list(core: &Core) -> Option<Arc<Cuts>> {
    let cache = core.event_cuts();
    let (cuts, due) = cache.current();
    if due && !cache.measuring.swap(true, Ordering::AcqRel) {
        let core = core.clone();
        let known = cuts.as_ref().map(|c| c.events);
        tokio::spawn(async move {
            let stale = match known {
                None => true,
                Some(n) => {
                    let now = core
                        .db()
                        .collection::<Document>(EVENTS)
                        .estimated_document_count()
                        .await
                        .unwrap_or(n);
                    (now as f64 - n as f64).abs() > RECOUNT_SHARE * (n.max(1) as f64)
                        || core.event_cuts().age().is_none_or(|a| a >= MAX_AGE)
                }
            };
            if stale {
                if let Ok(c) = measure(&core).await {
                    core.event_cuts().store(c);
                }
            }
            core.event_cuts().measuring.store(false, Ordering::Release);
        });
    }
    cuts
}

/// The sort key a list is windowed on, and whether it is read descending.
pub fn sort_key(s: Sort) -> (&'static str, bool) {
    match s {
        Sort::StartsAt => ("starts_at", false),
        Sort::StartsAtDesc => ("starts_at", true),
        Sort::Title => ("title_key", false),
        Sort::UpdatedAt => ("updated_at", true),
    }
}

/// A range of the sort key: `[lo, hi)`, either end open.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    pub lo: Option<Bson>,
    pub hi: Option<Bson>,
}

/// The equality the list's index leads with, for a window read through the list's index.
fn pin(q: &EventQuery, field: &str) -> Document {
    let words = q.q.as_deref().map(super::query_words).unwrap_or_default();
    if let Some(w) = words.first() {
        let key: String = w.chars().take(super::PREFIX_MAX).collect();
        return doc! { "search_keys": key };
    }
    if field == "starts_at" {
        if let Some(t) = q.tag.as_deref().filter(|t| !t.trim().is_empty()) {
            return doc! { "tags": t.trim() };
        }
        if let Some(s) = q.status {
            return doc! { "status": s.as_str() };
        }
    }
    Document::new()
}

/// The page query's filter restricted to one window of the sort key: the range first (read
/// through the sort key's own index), or `pinned` after the equality the list's index
/// leads with (read through the list's index).
pub fn window_filter(q: &EventQuery, base: &Document, r: &Range, pinned: bool) -> Document {
    let (field, _) = sort_key(q.sort);
    let mut window = if pinned {
        pin(q, field)
    } else {
        Document::new()
    };
    // Behind an equality on a multikey index, secantusd-rs bounds the sort key by the
    // first of the range's operators only, so the far end of the window goes first: the
    // read then holds the matches from the start of the list's order to the window's
    // end, never those after it. MongoDB bounds both ends either way.
    let (desc, mut range) = (sort_key(q.sort).1, Document::new());
    let mut put = |op: &str, v: &Option<Bson>| {
        if let Some(v) = v {
            range.insert(op, v.clone());
        }
    };
    if desc {
        put("$gte", &r.lo);
        put("$lt", &r.hi);
    } else {
        put("$lt", &r.hi);
        put("$gte", &r.lo);
    }
    if !range.is_empty() {
        window.insert(field, range);
    }
    if window.is_empty() {
        return base.clone();
    }
    // The window first: secantusd-rs reads a conjunction through the first of its fields
    // an index can read.
    let mut and: Vec<Bson> = vec![Bson::Document(window)];
    match base.get_array("$and") {
        Ok(a) if base.len() == 1 => and.extend(a.iter().cloned()),
        _ if base.is_empty() => {}
        _ => and.push(Bson::Document(base.clone())),
    }
    doc! { "$and": and }
}

/// The windows' plan: slices `0..=m` of the cuts of one sort key (`m` cuts), read from
/// the start of the list's order, each window a run of slices.
pub struct Plan {
    cuts: Arc<Cuts>,
    field: &'static str,
    desc: bool,
    /// Slices read so far, from the start of the list's order.
    done: usize,
    /// Slices in the last window.
    width: usize,
    per: u64,
}

impl Plan {
    pub fn new(cuts: Arc<Cuts>, field: &'static str, desc: bool) -> Plan {
        let per = cuts.per.max(1);
        Plan {
            cuts,
            field,
            desc,
            done: 0,
            width: 0,
            per,
        }
    }

    fn cuts(&self) -> &[Bson] {
        self.cuts.of(self.field)
    }

    fn slices(&self) -> usize {
        self.cuts().len() + 1
    }

    pub fn finished(&self) -> bool {
        self.done >= self.slices()
    }

    /// The next window, `width` slices wide (fewer at the end).
    pub fn next(&mut self, width: usize) -> Range {
        let total = self.slices();
        let width = width.clamp(1, total - self.done);
        // Slices in ascending order: slice 0 is below the first cut, slice m above the
        // last. The list reads them from its own end.
        let (a, b) = if self.desc {
            (total - self.done - width, total - self.done - 1)
        } else {
            (self.done, self.done + width - 1)
        };
        self.done += width;
        self.width = width;
        let cuts = self.cuts();
        Range {
            lo: (a > 0).then(|| cuts[a - 1].clone()),
            hi: (b < total - 1).then(|| cuts[b].clone()),
        }
    }

    /// How many slices the next window takes to hold `missing` more matches, from
    /// `found` matches in the slices read so far (`rate` the first guess of the share of
    /// events that match). Four times the last window when nothing matched yet.
    pub fn width_for(&self, missing: u64, found: u64, rate: f64) -> usize {
        self.width_growing(missing, found, rate, 4)
    }

    /// The share of events a query matched: `found` rows of the `need` asked, the last
    /// with `last` as its sort key. A full page held `need` rows in the events up to its
    /// last row (counted by the slices before that row's slice, plus half of it); a short
    /// one read every window. `None`: nothing to learn (a count stopped at its cap).
    fn share(&self, found: u64, need: u64, last: Option<&Bson>) -> Option<f64> {
        let events = if found >= need {
            let (cuts, last) = (self.cuts(), last?);
            let below = cuts.partition_point(|c| order(c, last) != std::cmp::Ordering::Greater);
            let slices = if self.desc { cuts.len() - below } else { below };
            (slices as f64 + 0.5) * self.per as f64
        } else if self.finished() {
            self.cuts.events.max(1) as f64
        } else {
            return None;
        };
        Some((found.min(need) as f64 / events).clamp(1e-4, 1.0))
    }

    /// [`Plan::width_for`], `grow` times wider than the last window when nothing matched.
    fn width_growing(&self, missing: u64, found: u64, rate: f64, grow: usize) -> usize {
        let read = (self.done as u64 * self.per).max(1) as f64;
        let rate = if self.done == 0 {
            rate
        } else if found == 0 {
            return (self.width * grow).max(1);
        } else {
            found as f64 / read
        };
        let events = missing as f64 / rate.max(1e-6) * 1.25;
        let w = (events / self.per as f64).ceil() as usize;
        if self.done == 0 {
            w.max(1)
        } else {
            w.max(self.width).max(1)
        }
    }
}

/// The reads of one list query, window by window: `need` rows from the start of the
/// list's order (a page's skip plus its limit, or a count's cap). Each read is the query
/// restricted to one window, with the limit of the rows still missing.
pub struct Windows<'q> {
    q: &'q EventQuery,
    base: &'q Document,
    need: u64,
    /// `None`: no cuts yet, one read of the whole query.
    plan: Option<Plan>,
    /// The first guess of the share of events the query matches.
    rate: f64,
    /// Read through the query's index equality ([`pin`]).
    pinned: bool,
    /// The query, for the shares of events kept per query.
    key: String,
    started: bool,
}

impl<'q> Windows<'q> {
    pub fn new(core: &Core, q: &'q EventQuery, base: &'q Document, need: u64) -> Windows<'q> {
        let (field, desc) = sort_key(q.sort);
        let plan = cuts_for_list(core)
            .filter(|c| !c.of(field).is_empty())
            .map(|c| Plan::new(c, field, desc));
        // A filter or words: a quarter of the events, at a guess; the whole list: all.
        let filtered = q.q.as_deref().is_some_and(|w| !w.trim().is_empty())
            || q.status.is_some()
            || q.tag.as_deref().is_some_and(|t| !t.trim().is_empty())
            || q.venue.as_deref().is_some_and(|v| !v.trim().is_empty())
            || q.from.is_some()
            || q.to.is_some();
        let pinned = !pin(q, field).is_empty();
        let key = format!("{field} {desc} {base}");
        // The share seen the last time, else a guess: a window read through the index
        // equality holds its matches only, so it is sized as if every event matched; one
        // read through the sort key holds all its events, so a filter guesses a quarter.
        let rate = core
            .event_cuts()
            .rate(&key)
            .unwrap_or(if pinned || !filtered { 1.0 } else { 0.25 });
        Windows {
            q,
            base,
            need,
            plan,
            rate,
            pinned,
            key,
            started: false,
        }
    }

    /// Keep the share of events the query matched, for its next windows: `found` rows,
    /// the last of them with `last` as its sort key when the page is full (its place in
    /// the cuts says how many events held the page).
    pub fn learn(&self, core: &Core, found: u64, last: Option<Bson>) {
        if let Some(rate) = self
            .plan
            .as_ref()
            .and_then(|p| p.share(found, self.need, last.as_ref()))
        {
            core.event_cuts().learn(self.key.clone(), rate);
        }
    }

    /// The next read (its filter and limit), given the rows `found` so far; `None` once
    /// `need` rows are found or every window is read.
    pub fn next(&mut self, found: u64) -> Option<(Document, i64)> {
        if found >= self.need {
            return None;
        }
        let missing = self.need - found;
        let Some(plan) = self.plan.as_mut() else {
            if std::mem::replace(&mut self.started, true) {
                return None;
            }
            return Some((self.base.clone(), missing as i64));
        };
        if plan.finished() {
            return None;
        }
        // A query with an index equality (words, a tag, a status) is read through that
        // index, each window from the start of the list's order to the window's end
        // ([`window_filter`]): a read holds matches of the equality only, so the first
        // window is sized as if every event matched, and one that finds nothing is
        // followed by one eight times wider (a word found nowhere costs six reads of
        // 8,192 slices, each of its few matches).
        let width = if self.pinned {
            plan.width_growing(missing, found, self.rate, 8)
        } else {
            plan.width_for(missing, found, self.rate)
        };
        let range = plan.next(width);
        Some((
            window_filter(self.q, self.base, &range, self.pinned),
            missing as i64,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(ms: i64) -> Bson {
        Bson::DateTime(bson::DateTime::from_millis(ms))
    }

    #[test]
    fn cuts_split_values_into_equal_slices_and_keep_ties_together() {
        let values: Vec<(Bson, Bson, Bson)> = (0..200)
            .map(|i| {
                (
                    date(i / 4 * 1000),
                    date(-i),
                    Bson::String(format!("t{:03}", 199 - i)),
                )
            })
            .collect();
        let c = Cuts::from_sorted(values, 200);
        assert_eq!(c.per, MIN_SLICE);
        // 200 values, a cut every 8: 24 cuts, strictly increasing.
        assert_eq!(c.starts_at.len(), 24);
        assert_eq!(c.title_key.len(), 24);
        assert_eq!(c.title_key[0], Bson::String("t008".into()));
        assert!(c
            .starts_at
            .windows(2)
            .all(|w| order(&w[0], &w[1]) == std::cmp::Ordering::Less));
        // Dates are ordered by instant (negative millis before positive).
        assert_eq!(c.updated_at[0], date(-191));
    }

    #[test]
    fn windows_cover_every_slice_once_in_the_list_order() {
        let cuts = Arc::new(Cuts {
            starts_at: (1..=5).map(|i| date(i * 10)).collect(),
            per: 10,
            ..Default::default()
        });
        for desc in [false, true] {
            let mut p = Plan::new(cuts.clone(), "starts_at", desc);
            let mut ranges = vec![];
            for w in [1, 2, 9] {
                if p.finished() {
                    break;
                }
                ranges.push(p.next(w));
            }
            assert!(p.finished());
            let lo = |r: &Range| r.lo.clone();
            let hi = |r: &Range| r.hi.clone();
            if desc {
                assert_eq!(
                    ranges[0],
                    Range {
                        lo: Some(date(50)),
                        hi: None
                    }
                );
                assert_eq!(
                    ranges[1],
                    Range {
                        lo: Some(date(30)),
                        hi: Some(date(50))
                    }
                );
                assert_eq!((lo(&ranges[2]), hi(&ranges[2])), (None, Some(date(30))));
            } else {
                assert_eq!(
                    ranges[0],
                    Range {
                        lo: None,
                        hi: Some(date(10))
                    }
                );
                assert_eq!(
                    ranges[1],
                    Range {
                        lo: Some(date(10)),
                        hi: Some(date(30))
                    }
                );
                assert_eq!((lo(&ranges[2]), hi(&ranges[2])), (Some(date(30)), None));
            }
        }
    }

    #[test]
    fn windows_widen_with_the_matches_seen() {
        let cuts = Arc::new(Cuts {
            starts_at: (1..=100).map(|i| date(i * 10)).collect(),
            per: 100,
            ..Default::default()
        });
        let mut p = Plan::new(cuts, "starts_at", false);
        // A quarter guessed: 26 rows need about 130 events, 2 slices of 100.
        assert_eq!(p.width_for(26, 0, 0.25), 2);
        p.next(2);
        // Nothing matched: four times wider.
        assert_eq!(p.width_for(26, 0, 0.25), 8);
        p.next(8);
        // 5 matches in 1,000 events: 21 more need about 5,250 events.
        assert_eq!(p.width_for(21, 5, 0.25), 53);
    }

    #[test]
    fn the_share_of_matches_is_read_from_the_last_rows_place() {
        let cuts = Arc::new(Cuts {
            starts_at: (1..=100).map(|i| date(i * 10)).collect(),
            per: 10,
            events: 1010,
            ..Default::default()
        });
        let p = Plan::new(cuts.clone(), "starts_at", false);
        // 26 rows, the last in slice 12 (values 120..130): 125 events held them.
        assert_eq!(p.share(26, 26, Some(&date(125))), Some(26.0 / 125.0));
        // Read from the other end, slice 12 is the 89th: 885 events.
        let d = Plan::new(cuts.clone(), "starts_at", true);
        assert_eq!(d.share(26, 26, Some(&date(125))), Some(26.0 / 885.0));
        // A short page learns only once every window is read: 3 of 1,010 events.
        let mut all = Plan::new(cuts, "starts_at", false);
        assert_eq!(all.share(3, 26, None), None);
        all.next(usize::MAX);
        assert_eq!(all.share(3, 26, None), Some(3.0 / 1010.0));
        // A full page without its last row (a count) learns nothing.
        assert_eq!(p.share(26, 26, None), None);
    }

    #[test]
    fn behind_an_equality_the_far_end_of_the_window_comes_first() {
        let both = Range {
            lo: Some(date(1)),
            hi: Some(date(2)),
        };
        let ops = |sort: Sort| -> Vec<String> {
            let q = EventQuery {
                q: Some("cloud".into()),
                sort,
                ..Default::default()
            };
            let f = window_filter(&q, &Document::new(), &both, true);
            let first = f.get_array("$and").unwrap()[0]
                .as_document()
                .unwrap()
                .clone();
            assert_eq!(first.get_str("search_keys").unwrap(), "cloud");
            let (field, _) = sort_key(sort);
            first.get_document(field).unwrap().keys().cloned().collect()
        };
        // Read from the start of the list's order to the window's far end.
        assert_eq!(ops(Sort::StartsAt), ["$lt", "$gte"]);
        assert_eq!(ops(Sort::Title), ["$lt", "$gte"]);
        assert_eq!(ops(Sort::StartsAtDesc), ["$gte", "$lt"]);
        assert_eq!(ops(Sort::UpdatedAt), ["$gte", "$lt"]);
    }

    #[test]
    fn a_window_is_the_range_first_then_the_page_filter() {
        let q = EventQuery {
            q: Some("Cloud lyon".into()),
            ..Default::default()
        };
        let base = doc! { "$and": [ { "deleted_at": Bson::Null }, { "search_keys": "cloud" } ] };
        let r = Range {
            lo: Some(date(1)),
            hi: None,
        };
        assert_eq!(
            window_filter(&q, &base, &r, true),
            doc! { "$and": [
                { "search_keys": "cloud", "starts_at": { "$gte": date(1) } },
                { "deleted_at": Bson::Null },
                { "search_keys": "cloud" },
            ] }
        );
        assert_eq!(
            window_filter(&q, &base, &r, false),
            doc! { "$and": [
                { "starts_at": { "$gte": date(1) } },
                { "deleted_at": Bson::Null },
                { "search_keys": "cloud" },
            ] }
        );
        // No filter and no range: the page query itself.
        let whole = Range { lo: None, hi: None };
        let plain = EventQuery::default();
        let live = doc! { "deleted_at": Bson::Null };
        assert_eq!(window_filter(&plain, &live, &whole, false), live);
    }
}
