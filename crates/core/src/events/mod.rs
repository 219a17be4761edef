//! Events: the heart of the document model. `model` holds the shapes, `validate` the
//! rules, `schema` the validator and indexes, and this module the operations.

pub mod model;
pub mod schema;
pub mod validate;
pub mod window;

pub use model::*;
pub use validate::{from_json, input_from_json, normalise};

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use mongodb::Collection;

use crate::{
    db::EVENTS,
    error::Code,
    text,
    time::{self, to_bson, to_doc},
    Core, Error, Result,
};

pub const MAX_PER_PAGE: u32 = 100;
pub const DEFAULT_PER_PAGE: u32 = 25;
/// Word prefixes are stored up to this many characters; a longer search word uses its
/// first `PREFIX_MAX` characters in the index and is checked whole on `search_terms`.
pub const PREFIX_MAX: usize = 16;
/// [`count`] counts matches up to this many: beyond, `total` is this and `capped` is set
/// ("1 000+"), so on MongoDB a count never reads every match of a common word.
pub const TOTAL_CAP: u64 = 1000;

fn coll(core: &Core) -> Collection<Event> {
    core.db().collection(EVENTS)
}

fn raw(core: &Core) -> Collection<Document> {
    core.db().collection(EVENTS)
}

/// Filter that hides tombstones.
fn live() -> Document {
    doc! { "deleted_at": Bson::Null }
}

/// The derived search keys of an input: folded words of everything a person would search.
pub(crate) fn derive(input: &EventInput) -> (Vec<String>, String, String) {
    let mut texts: Vec<&str> = vec![
        &input.title,
        &input.description,
        &input.venue.name,
        &input.venue.address,
    ];
    texts.extend(input.tags.iter().map(String::as_str));
    for s in &input.speakers {
        texts.push(&s.name);
        texts.push(&s.title);
    }
    for s in &input.sessions {
        texts.push(&s.title);
    }
    (
        text::terms(texts),
        text::fold(&input.venue.name),
        text::fold(&input.title),
    )
}

/// Every prefix (1 to [`PREFIX_MAX`] characters) of the folded search terms: a word
/// prefix typed by a user is then an equality on one indexed key.
pub fn search_keys(terms: &[String]) -> Vec<String> {
    let mut keys = std::collections::BTreeSet::new();
    for t in terms {
        let chars: Vec<char> = t.chars().collect();
        for n in 1..=chars.len().min(PREFIX_MAX) {
            keys.insert(chars[..n].iter().collect::<String>());
        }
    }
    keys.into_iter().collect()
}

/// What an event read returns: everything but its prefix keys (100–200 short strings
/// that only the search indexes use), so an edit's round trip and the editor's IPC carry
/// the event, not its index material. `Event::search_keys` is then empty.
const READ_PROJECTION: fn() -> Document = || doc! { "search_keys": 0 };

/// Create an event from checked input.
pub async fn create(core: &Core, input: EventInput) -> Result<Event> {
    let input = normalise(input)?;
    let now = time::now();
    let (search_terms, venue_key, title_key) = derive(&input);
    let search_keys = search_keys(&search_terms);
    let event = Event {
        id: uuid::Uuid::now_v7().to_string(),
        input,
        version: 1,
        created_at: now,
        updated_at: now,
        updated_by: core.actor().to_owned(),
        deleted_at: None,
        search_terms,
        search_keys,
        venue_key,
        title_key,
    };
    coll(core).insert_one(&event).await?;
    // Returned as a read returns it (see READ_PROJECTION).
    Ok(Event {
        search_keys: vec![],
        ..event
    })
}

/// Read one live event.
pub async fn get(core: &Core, id: &str) -> Result<Event> {
    let mut f = live();
    f.insert("_id", id);
    coll(core)
        .find_one(f)
        .projection(READ_PROJECTION())
        .await?
        .ok_or_else(|| Error::not_found(format!("event {id}")))
}

/// Replace the editable fields of an event, provided nobody changed it since
/// `expected_version` was read. A stale version gets [`Code::Conflict`].
/// The update an edit sends: the validated input, its derived search fields and the
/// metadata block. [`update`] sends it on `(_id, version)`; the handler bench sends the
/// same document by `_id` alone as the bare-driver comparison.
pub fn update_document(core: &Core, input: EventInput) -> Result<Document> {
    let input = normalise(input)?;
    let (search_terms, venue_key, title_key) = derive(&input);
    let mut set = to_doc(&input)?;
    set.insert("search_keys", to_bson(&search_keys(&search_terms))?);
    set.insert("search_terms", to_bson(&search_terms)?);
    set.insert("venue_key", venue_key);
    set.insert("title_key", title_key);
    let mut update = doc! { "$set": set };
    if input.capacity.is_none() {
        update.insert("$unset", doc! { "capacity": "" });
    }
    Ok(crate::db::stamp(core, update, time::now()))
}

pub async fn update(
    core: &Core,
    id: &str,
    expected_version: i64,
    input: EventInput,
) -> Result<Event> {
    let update = update_document(core, input)?;
    let mut filter = live();
    filter.insert("_id", id);
    filter.insert("version", expected_version);
    let updated = coll(core)
        .find_one_and_update(filter, update)
        .return_document(mongodb::options::ReturnDocument::After)
        .projection(READ_PROJECTION())
        .await;
    // The portal keeps events for a moment: it sees this change at once.
    crate::feedback::lookups::forget(core);
    match updated? {
        Some(e) => Ok(e),
        None => Err(stale_or_missing(core, id, expected_version).await),
    }
}

/// Why a versioned write matched nothing: the event is gone, or someone else wrote first.
async fn stale_or_missing(core: &Core, id: &str, expected: i64) -> Error {
    match get(core, id).await {
        Ok(current) => Error::new(
            Code::Conflict,
            format!(
                "“{}” was changed by {} at {} (version {}) after you opened it (version {}): reload it to see their changes",
                current.input.title,
                if current.updated_by.is_empty() { "someone else" } else { &current.updated_by },
                current.updated_at.format("%Y-%m-%d %H:%M UTC"),
                current.version,
                expected
            ),
        ),
        Err(e) => e,
    }
}

/// Delete an event: it becomes a tombstone (hidden everywhere, kept until sync carries the
/// deletion). With `expected_version`, a stale delete is refused like a stale update.
pub async fn delete(core: &Core, id: &str, expected_version: Option<i64>) -> Result<()> {
    let mut filter = live();
    filter.insert("_id", id);
    if let Some(v) = expected_version {
        filter.insert("version", v);
    }
    let now = bson::DateTime::from_chrono(time::now());
    let set = doc! { "search_keys": [] };
    let gone = crate::db::tombstone(core, crate::db::EVENTS, filter, set, &[], now).await;
    crate::feedback::lookups::forget(core);
    if gone?.is_some() {
        return Ok(());
    }
    Err(match expected_version {
        Some(v) => stale_or_missing(core, id, v).await,
        None => Error::not_found(format!("event {id}")),
    })
}

/// Copy an event (with its speakers, sessions, seating and custom fields) as a new draft.
pub async fn duplicate(core: &Core, id: &str, title: Option<String>) -> Result<Event> {
    let src = get(core, id).await?;
    let mut input = src.input;
    input.title = match title.filter(|t| !t.trim().is_empty()) {
        Some(t) => t,
        None => {
            let mut t = format!("{} (2)", input.title);
            if t.chars().count() > validate::MAX_TITLE {
                t = t.chars().take(validate::MAX_TITLE).collect();
            }
            t
        }
    };
    input.status = Status::Draft;
    create(core, input).await
}

/// How words are searched: one way on every server (a `$text` index, where a server has
/// one, matches whole words only and leaves sessions out: it is not used).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMode {
    /// Folded word prefixes: an equality on one `search_keys` entry (index-ordered by the
    /// list's sort), the other words checked as prefixes of `search_terms`.
    Terms,
}

impl SearchMode {
    pub fn for_server(_core: &Core) -> SearchMode {
        SearchMode::Terms
    }

    pub fn as_str(self) -> &'static str {
        "terms"
    }
}

/// The folded words of a query, deduplicated, without words that are a prefix of another
/// (they add nothing), the longest first (the most selective: it drives the index scan).
pub fn query_words(q: &str) -> Vec<String> {
    let mut ws: Vec<String> = text::words(q).collect();
    ws.sort();
    ws.dedup();
    let all = ws.clone();
    ws.retain(|w| !all.iter().any(|o| o != w && o.starts_with(w.as_str())));
    ws.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    ws
}

/// The filter of a list query.
pub fn filter(q: &EventQuery, _mode: SearchMode) -> Document {
    let mut and: Vec<Document> = vec![live()];
    let words = q.q.as_deref().map(query_words).unwrap_or_default();
    for (i, w) in words.iter().enumerate() {
        let long = w.chars().count() > PREFIX_MAX;
        if i == 0 {
            let key: String = w.chars().take(PREFIX_MAX).collect();
            and.push(doc! { "search_keys": key });
        }
        if i > 0 || long {
            and.push(doc! { "search_terms": {
                "$regex": format!("^{}", text::regex_escape(w))
            } });
        }
    }
    if let Some(s) = q.status {
        and.push(doc! { "status": s.as_str() });
    }
    if let Some(t) = q.tag.as_deref().filter(|t| !t.trim().is_empty()) {
        and.push(doc! { "tags": t.trim() });
    }
    if let Some(v) = q.venue.as_deref().filter(|v| !v.trim().is_empty()) {
        and.push(doc! { "venue_key": {
            "$regex": format!("^{}", text::regex_escape(&text::fold(v.trim())))
        } });
    }
    if let Some(from) = q.from {
        and.push(doc! { "ends_at": { "$gte": bson::DateTime::from_chrono(from) } });
    }
    if let Some(to) = q.to {
        and.push(doc! { "starts_at": { "$lte": bson::DateTime::from_chrono(to) } });
    }
    if and.len() == 1 {
        and.pop().unwrap_or_default()
    } else {
        doc! { "$and": and }
    }
}

fn sort_doc(s: Sort) -> Document {
    match s {
        Sort::StartsAt => doc! { "starts_at": 1, "_id": 1 },
        Sort::StartsAtDesc => doc! { "starts_at": -1, "_id": -1 },
        Sort::Title => doc! { "title_key": 1, "_id": 1 },
        Sort::UpdatedAt => doc! { "updated_at": -1, "_id": -1 },
    }
}

/// The index a word search reads: the prefix key, then the list's sort keys, so the scan
/// is in page order and stops at the page.
pub fn search_index(s: Sort) -> &'static str {
    match s {
        Sort::StartsAt | Sort::StartsAtDesc => "search_starts_at_id",
        Sort::Title => "search_title_key_id",
        Sort::UpdatedAt => "search_updated_at_id",
    }
}

const SUMMARY: fn() -> Document = || {
    doc! {
        "title": 1, "starts_at": 1, "ends_at": 1, "timezone": 1, "status": 1,
        "tags": { "$ifNull": ["$tags", []] },
        "venue_name": { "$ifNull": ["$venue.name", ""] },
        "speakers": { "$size": { "$ifNull": ["$speakers", []] } },
        "sessions": { "$size": { "$ifNull": ["$sessions", []] } },
        "version": 1, "updated_at": 1,
    }
};

/// One page of a list query as the server receives it: a `find` (filter, sort, skip,
/// limit, projection). [`list`] sends exactly this; the index lab measures the same.
#[derive(Debug, Clone, PartialEq)]
pub struct ListFind {
    pub filter: Document,
    pub sort: Document,
    pub skip: u64,
    /// One more than the page, to learn whether a next page exists without counting.
    pub limit: i64,
    /// The summary's fields, computed by the server (counts of speakers and sessions
    /// rather than the arrays).
    pub projection: Document,
}

fn per_page(q: &EventQuery) -> u32 {
    match q.per_page {
        0 => DEFAULT_PER_PAGE,
        n => n.min(MAX_PER_PAGE),
    }
}

/// The `find` of one page of a list query.
pub fn list_find(q: &EventQuery, mode: SearchMode) -> ListFind {
    let per_page = per_page(q);
    ListFind {
        filter: filter(q, mode),
        sort: sort_doc(q.sort),
        skip: u64::from((q.page.max(1) - 1) * per_page),
        limit: i64::from(per_page) + 1,
        projection: SUMMARY(),
    }
}

/// List and search events, one page at a time: the page's `find` ([`list_find`]),
/// index-ordered, that stops at the page (plus one document, which says whether a next
/// page exists), read in windows of the sort key ([`window`]: on a server that reads
/// every match before it applies a limit, each read holds a window's matches only).
///
/// The page does not count the matches: `total` is given only when the page shows it (a
/// first page that is not full, or the last page); otherwise the caller asks [`count`],
/// which the desktop list does after showing the page. A count runs over every match on
/// the test engine secantusd-rs even with a limit (120–140 ms at 10,000 events for a
/// common word, against 30–35 ms for the page), so counting with the page made each
/// keystroke cost four pages.
///
/// Not hinted: the planner picks the search index that gives the list's order (the
/// `explain` tests check it for every order, common and rare words). A hint costs nothing
/// on MongoDB but 0.2–0.4 s per query on secantusd-rs.
pub async fn list(core: &Core, q: &EventQuery) -> Result<Page<EventSummary>> {
    let mode = SearchMode::for_server(core);
    let per_page = per_page(q);
    let page = q.page.max(1);
    let f = list_find(q, mode);
    let skip = f.skip;
    let need = f.skip + f.limit as u64;
    let mut rows: Vec<EventSummary> = Vec::new();
    let mut windows = window::Windows::new(core, q, &f.filter, need);
    while let Some((filter, limit)) = windows.next(rows.len() as u64) {
        let got: Vec<EventSummary> = raw(core)
            .clone_with_type::<EventSummary>()
            .find(filter)
            .sort(f.sort.clone())
            .limit(limit)
            .batch_size(u32::try_from(limit).unwrap_or(u32::MAX))
            .projection(f.projection.clone())
            .await?
            .try_collect()
            .await?;
        rows.extend(got);
    }
    let last = rows.last().map(|r| match window::sort_key(q.sort).0 {
        "starts_at" => Bson::DateTime(bson::DateTime::from_chrono(r.starts_at)),
        "updated_at" => Bson::DateTime(bson::DateTime::from_chrono(r.updated_at)),
        _ => Bson::String(text::fold(&r.title)),
    });
    windows.learn(core, rows.len() as u64, last);
    let mut items: Vec<EventSummary> = rows.into_iter().skip(skip as usize).collect();
    let more = items.len() > per_page as usize;
    items.truncate(per_page as usize);
    // Known from the page itself: the last page (or an empty first page).
    let total = (!more && (!items.is_empty() || page == 1)).then(|| skip + items.len() as u64);
    Ok(Page {
        items,
        total,
        more,
        page,
        per_page,
        search_mode: q
            .q
            .as_deref()
            .filter(|w| !w.trim().is_empty())
            .map(|_| mode.as_str().to_owned()),
    })
}

/// How many events match a list query, counted up to [`TOTAL_CAP`] (`capped` beyond).
/// Page and sort do not matter.
///
/// The `count` command with a query and a `limit` (accurate with a query predicate, also on
/// a sharded cluster): MongoDB stops at the limit. The driver's `count_documents` would send
/// `$match`, `$limit`, `$group`, which on secantusd-rs re-reads every match through its
/// unsorted path (950 against 222 ms for 9,778 matches at 10,000 events); secantusd-rs
/// counts every match either way, which is why the list asks for the count after the page;
/// it is therefore counted window by window like a page ([`window`]), each window's count
/// limited to what is still missing of the cap.
pub async fn count(core: &Core, q: &EventQuery) -> Result<Total> {
    let mode = SearchMode::for_server(core);
    let filter = filter(q, mode);
    let mut n: u64 = 0;
    let mut windows = window::Windows::new(core, q, &filter, TOTAL_CAP + 1);
    while let Some((query, limit)) = windows.next(n) {
        let reply = core
            .db()
            .run_command(doc! { "count": EVENTS, "query": query, "limit": limit })
            .await?;
        n += match reply.get("n") {
            Some(Bson::Int32(n)) => u64::try_from(*n).unwrap_or(0),
            Some(Bson::Int64(n)) => u64::try_from(*n).unwrap_or(0),
            Some(Bson::Double(n)) if *n >= 0.0 => *n as u64,
            _ => return Err(Error::internal("the server's count reply has no n")),
        };
    }
    Ok(Total {
        total: n.min(TOTAL_CAP),
        capped: n > TOTAL_CAP,
    })
}

/// `explain` (executionStats) of a list query's find, as the server reports it.
pub async fn explain_list(core: &Core, q: &EventQuery, mode: SearchMode) -> Result<Document> {
    let f = list_find(q, mode);
    let find = doc! {
        "find": EVENTS,
        "filter": f.filter,
        "sort": f.sort,
        "skip": f.skip as i64,
        "limit": f.limit,
        "projection": f.projection,
    };
    Ok(core
        .db()
        .run_command(doc! { "explain": find, "verbosity": "executionStats" })
        .await?)
}

/// Give events stored before `search_keys` existed their prefix keys (a new version, so
/// that sync carries them). Run with the schema at start-up; nothing to do once done.
pub async fn backfill_search_keys(core: &Core) -> Result<u64> {
    let coll = raw(core);
    let mut cur = coll
        .find(doc! { "search_keys": { "$exists": false } })
        .projection(doc! { "search_terms": 1, "deleted_at": 1 })
        .await?;
    let mut pending = vec![];
    let mut n = 0;
    while let Some(d) = cur.try_next().await? {
        let Some(id) = d.get("_id").cloned() else {
            continue;
        };
        let live = matches!(d.get("deleted_at"), None | Some(Bson::Null));
        let terms: Vec<String> = d
            .get_array("search_terms")
            .map(|a| {
                a.iter()
                    .filter_map(|b| b.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let keys = if live { search_keys(&terms) } else { vec![] };
        let coll = coll.clone();
        pending.push(async move {
            coll.update_one(
                doc! { "_id": id, "search_keys": { "$exists": false } },
                crate::db::bump(doc! { "$set": { "search_keys": keys } }),
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

/// Every distinct tag in use, for the filter menu.
pub async fn tags(core: &Core) -> Result<Vec<String>> {
    let vals = raw(core).distinct("tags", live()).await?;
    let mut v: Vec<String> = vals
        .into_iter()
        .filter_map(|b| b.as_str().map(str::to_owned))
        .collect();
    v.sort_by_key(|t| text::fold(t));
    Ok(v)
}

/// Counts of live events per status.
pub async fn status_counts(core: &Core) -> Result<Vec<(Status, u64)>> {
    let rows: Vec<Document> = raw(core)
        .aggregate(vec![
            doc! { "$match": live() },
            doc! { "$group": { "_id": "$status", "n": { "$sum": 1 } } },
        ])
        .await?
        .try_collect()
        .await?;
    let mut out: Vec<(Status, u64)> = Status::ALL.iter().map(|s| (*s, 0)).collect();
    for r in rows {
        let n = match r.get("n") {
            Some(Bson::Int32(n)) => *n as u64,
            Some(Bson::Int64(n)) => *n as u64,
            _ => 0,
        };
        if let Some(s) = r.get_str("_id").ok().and_then(Status::parse) {
            if let Some(slot) = out.iter_mut().find(|(st, _)| *st == s) {
                slot.1 = n;
            }
        }
    }
    Ok(out)
}
