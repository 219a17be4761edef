//! Response time of the app's own handlers, and their overhead over the bare driver query
//! each one wraps, at several data sizes and under N concurrent clients (bounded, and on a
//! loopback server only).
//!
//! create/update/search event call the real `events::create`, `events::update` and
//! `events::list`. Participant lookup, RSVP and the dashboard's participant pipeline belong
//! to screens being built: for those, the query they will run is measured and the result
//! says `planned`.

use std::{
    sync::{atomic::AtomicBool, Arc},
    time::Instant,
};

use bson::{doc, Bson, Document};
use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::{
    cancelled, check_lab_db,
    generate::{self, epoch, Counts},
    lab_db_name, ms, round3, Latency, Machine, Progress, ProgressFn, ServerDesc, LAB_BENCHES,
    PARTICIPANTS,
};
use crate::{
    db::index,
    events::{self, EventInput, EventQuery},
    time, Core, Error, Result,
};

pub const MAX_CLIENTS: u32 = 64;
pub const MAX_SIZE: u64 = 1_000_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
#[serde(default)]
pub struct BenchOptions {
    /// Number of events in the bench database (participants: 10 per event).
    pub sizes: Vec<u64>,
    pub clients: Vec<u32>,
    /// Operations per handler and concurrency level (spread over the clients).
    pub ops: u32,
    pub warmup: u32,
    pub seed: u64,
    /// Only these handlers (names of [`HANDLERS`]); every one when empty.
    pub handlers: Vec<String>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            sizes: vec![1_000, 10_000],
            clients: vec![1, 8, 64],
            ops: 200,
            warmup: 10,
            seed: 42,
            handlers: vec![],
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct HandlerResult {
    pub handler: String,
    /// What the handler is: `app` (real handler) or `planned` (the query it will run).
    pub source: String,
    /// The bare driver call it is compared with.
    pub bare: String,
    pub size: u64,
    pub clients: u32,
    pub app: Latency,
    pub driver: Latency,
    /// app p50 ÷ driver p50 (1.0 = no overhead).
    pub ratio_p50: f64,
    pub ratio_p95: f64,
    /// Completed operations per second through the app handler.
    pub app_ops_per_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct HandlerBench {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    pub seconds: f64,
    pub server: ServerDesc,
    pub machine: Machine,
    pub options: BenchOptions,
    pub results: Vec<HandlerResult>,
    pub cancelled: bool,
}

pub const HANDLERS: [&str; 7] = [
    "create_event",
    "update_event",
    "search_event",
    "count_events",
    "participant_lookup",
    "rsvp",
    "dashboard_load",
];

/// Is the server on this machine? Concurrency runs are for loopback only.
pub fn is_loopback(redacted_uri: &str) -> bool {
    let rest = redacted_uri
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .rsplit('@')
        .next()
        .unwrap_or_default();
    let hosts = rest.split(['/', '?']).next().unwrap_or_default();
    !hosts.is_empty()
        && hosts.split(',').all(|h| {
            let host = if h.starts_with('[') {
                h.split(']')
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches('[')
            } else {
                h.split(':').next().unwrap_or_default()
            };
            matches!(host, "127.0.0.1" | "localhost" | "::1")
        })
}

pub fn check(opts: &BenchOptions, uri: &str) -> Result<()> {
    if opts.sizes.is_empty() || opts.sizes.iter().any(|s| *s < 10 || *s > MAX_SIZE) {
        return Err(Error::invalid(
            "sizes",
            format!("each size must be between 10 and {MAX_SIZE} events"),
        ));
    }
    if opts.clients.is_empty() || opts.clients.iter().any(|c| *c == 0 || *c > MAX_CLIENTS) {
        return Err(Error::invalid(
            "clients",
            format!("each number of clients must be between 1 and {MAX_CLIENTS}"),
        ));
    }
    if opts.ops == 0 || opts.ops > 100_000 {
        return Err(Error::invalid("ops", "must be between 1 and 100000"));
    }
    if let Some(h) = opts
        .handlers
        .iter()
        .find(|h| !HANDLERS.contains(&h.as_str()))
    {
        return Err(Error::invalid(
            "handlers",
            format!("unknown handler {h:?} (one of {})", HANDLERS.join(", ")),
        ));
    }
    if opts.clients.iter().any(|c| *c > 1) && !is_loopback(uri) {
        return Err(Error::invalid(
            "clients",
            "concurrent clients are only run against a server on this machine (127.0.0.1, localhost or ::1)",
        ));
    }
    Ok(())
}

/// Participants of the bench database: 10 per event, at most 100,000 (the lookups they
/// serve are point queries on `{event_id, email}`; a million would only lengthen the
/// preparation of the 100,000-event size).
fn participants_for(size: u64) -> u64 {
    (size * 10).min(100_000)
}

/// Fill the bench database with `size` events and 10 participants per event (capped), with the
/// app's real event indexes and the indexes the participants screen will need.
async fn prepare(bench: &Core, size: u64, seed: u64, cancel: &AtomicBool) -> Result<()> {
    bench.drop_database().await?;
    // The events collection exactly as the app has it (validator and indexes); the
    // participants collection with the indexes its screen will need.
    bench
        .db()
        .create_collection(crate::db::EVENTS)
        .validator(events::schema::validator())
        .validation_level(mongodb::options::ValidationLevel::Strict)
        .await?;
    bench
        .db()
        .collection::<Document>(crate::db::EVENTS)
        .create_indexes(events::schema::indexes(bench.caps()))
        .await?;
    let counts = Counts {
        events: size,
        participants: participants_for(size),
        answers: 0,
        connections: 0,
    };
    let evs = bench.db().collection::<Document>(crate::db::EVENTS);
    let parts = bench.db().collection::<Document>(PARTICIPANTS);
    parts
        .create_indexes(vec![
            crate::db::index_with(
                doc! { "event_id": 1, "email": 1 },
                "event_id_email",
                |mut o| {
                    o.unique = Some(true);
                    o
                },
            ),
            index(doc! { "event_id": 1, "status": 1 }, "event_id_status"),
        ])
        .await?;
    for (coll, n) in [(&evs, counts.events), (&parts, counts.participants)] {
        let name = coll.name().to_owned();
        let mut i = 0;
        while i < n {
            if cancelled(cancel) {
                return Ok(());
            }
            // Events carry ~150 prefix keys in each of three multikey indexes: smaller
            // batches keep each write small for the engine's cache.
            let batch = if name == PARTICIPANTS { 1000 } else { 250 };
            let end = (i + batch).min(n);
            let docs = (i..end)
                .map(|k| {
                    if name == PARTICIPANTS {
                        Ok(generate::participant(seed, k, counts.events))
                    } else {
                        generate::event(seed, k)
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            coll.insert_many(docs).ordered(false).await?;
            i = end;
        }
    }
    Ok(())
}

fn sample_input(k: u64) -> Result<EventInput> {
    let start = epoch() + Duration::days((k % 300) as i64) + Duration::hours(8);
    events::input_from_json(serde_json::json!({
        "title": format!("Bench Conférence Cloud {k}"),
        "description": "Mesure de temps de réponse",
        "starts_at": start.to_rfc3339(),
        "ends_at": (start + Duration::hours(8)).to_rfc3339(),
        "timezone": "Europe/Paris",
        "venue": { "name": "Station F", "address": "Paris" },
        "status": "published",
        "tags": ["tech", "cloud"],
    }))
}

/// One handler call through the app (`app = true`) or the bare driver query it wraps.
async fn call(core: &Core, handler: &str, app: bool, k: u64, fx: &Fixture) -> Result<()> {
    let (ids, people) = (&fx.ids, &fx.people);
    let evs = core.db().collection::<Document>(crate::db::EVENTS);
    let parts = core.db().collection::<Document>(PARTICIPANTS);
    let pick = |v: usize| (k as usize).wrapping_mul(2_654_435_761) % v.max(1);
    match handler {
        "create_event" => {
            let input = sample_input(k)?;
            if app {
                events::create(core, input).await?;
            } else {
                let mut d = time::to_doc(&input)?;
                d.insert("_id", uuid::Uuid::now_v7().to_string());
                d.insert("version", 1_i64);
                let now = bson::DateTime::now();
                d.insert("created_at", now);
                d.insert("updated_at", now);
                evs.insert_one(d).await?;
            }
        }
        "update_event" => {
            // The app and the bare driver edit disjoint halves of the events, so that the
            // versions the app holds stay current (as for a user who opened the event).
            let n = (ids.len() / 2).max(1);
            let i = pick(n) * 2 + usize::from(!app);
            let Some(id) = ids.get(i.min(ids.len().saturating_sub(1))) else {
                return Ok(());
            };
            let held = fx.opened.lock().ok().and_then(|m| m.get(id).cloned());
            let cur = match held {
                Some(e) => e,
                None => events::get(core, id).await?,
            };
            let mut input = cur.input.clone();
            input.description = format!("màj {k}");
            if app {
                // One round trip: the conditional write on (id, version) returns the new
                // event; a second read only on conflict, to name who changed it.
                let fresh = match events::update(core, id, cur.version, input).await {
                    Ok(e) => Some(e),
                    Err(Error {
                        code: crate::Code::Conflict,
                        ..
                    }) => None,
                    Err(e) => return Err(e),
                };
                if let Ok(mut m) = fx.opened.lock() {
                    match fresh {
                        Some(e) => m.insert(id.clone(), e),
                        None => m.remove(id),
                    };
                }
            } else {
                // The same update document (fields, derived search keys, metadata) written
                // by `_id`, without the version check and without returning the event.
                evs.update_one(doc! { "_id": id }, events::update_document(core, input)?)
                    .await?;
                if let Ok(mut m) = fx.opened.lock() {
                    m.entry(id.clone()).or_insert(cur);
                }
            }
        }
        "search_event" => {
            let q = EventQuery {
                q: Some(["cloud", "data", "lyon", "paris", "atelier"][k as usize % 5].into()),
                per_page: 25,
                ..Default::default()
            };
            if app {
                events::list(core, &q).await?;
            } else {
                let f = events::filter(&q, events::SearchMode::for_server(core));
                // The same page query, without the projection and the extra document.
                let _: Vec<Document> = evs
                    .find(f)
                    .sort(doc! { "starts_at": 1, "_id": 1 })
                    .limit(25)
                    .await?
                    .try_collect()
                    .await?;
            }
        }
        "count_events" => {
            let q = EventQuery {
                q: Some(["cloud", "data", "lyon", "paris", "atelier"][k as usize % 5].into()),
                ..Default::default()
            };
            if app {
                events::count(core, &q).await?;
            } else {
                // What a driver user writes: the driver's count helper, the same cap.
                let f = events::filter(&q, events::SearchMode::for_server(core));
                evs.count_documents(f).limit(events::TOTAL_CAP + 1).await?;
            }
        }
        "participant_lookup" => {
            let (e, m) = &people[pick(people.len())];
            parts.find_one(doc! { "event_id": e, "email": m }).await?;
        }
        "rsvp" => {
            let (e, m) = &people[pick(people.len())];
            let status = if k.is_multiple_of(2) {
                "accepted"
            } else {
                "declined"
            };
            parts
                .find_one_and_update(
                    doc! { "event_id": e, "email": m },
                    doc! { "$set": { "status": status, "updated_at": bson::DateTime::now() } },
                )
                .await?;
        }
        "dashboard_load" => {
            let e = &ids[pick(ids.len().min(20))];
            if app {
                events::status_counts(core).await?;
            } else {
                let _: Vec<Document> = evs
                    .aggregate(vec![
                        doc! { "$match": { "deleted_at": Bson::Null } },
                        doc! { "$group": { "_id": "$status", "n": { "$sum": 1 } } },
                    ])
                    .await?
                    .try_collect()
                    .await?;
            }
            let _: Vec<Document> = parts
                .aggregate(vec![
                    doc! { "$match": { "event_id": e } },
                    doc! { "$group": { "_id": "$status", "n": { "$sum": 1 } } },
                ])
                .await?
                .try_collect()
                .await?;
        }
        other => {
            return Err(Error::invalid(
                "handler",
                format!("unknown handler {other}"),
            ))
        }
    }
    Ok(())
}

fn describe(handler: &str) -> (&'static str, &'static str) {
    match handler {
        "create_event" => ("app: events::create", "insert_one"),
        "update_event" => (
            "app: events::update (find_one_and_update on _id + version)",
            "update_one by _id (same update document)",
        ),
        "search_event" => (
            "app: events::list (page of 25 + 1, projected, read in windows of the sort key)",
            "find(filter).sort.limit(25)",
        ),
        "count_events" => (
            "app: events::count (count command, limit 1,001)",
            "count_documents(filter).limit(1001)",
        ),
        "participant_lookup" => (
            "planned: find_one {event_id, email}",
            "find_one {event_id, email}",
        ),
        "rsvp" => (
            "planned: find_one_and_update {event_id, email}",
            "find_one_and_update {event_id, email}",
        ),
        _ => (
            "app: events::status_counts + planned participants $group",
            "the same two aggregations",
        ),
    }
}

/// `ops` calls spread over `clients` concurrent tasks; per-call latencies in ms.
/// Ids the calls pick from (shared by the concurrent clients).
struct Fixture {
    ids: Vec<String>,
    people: Vec<(String, String)>,
    /// The events as the update handler last saw them (the version a user holds).
    opened: std::sync::Mutex<std::collections::HashMap<String, events::Event>>,
}

async fn timed(
    core: &Core,
    handler: &str,
    app: bool,
    clients: u32,
    ops: u32,
    fx: Arc<Fixture>,
    offset: u64,
) -> Result<(Vec<f64>, f64)> {
    let per = ops.div_ceil(clients).max(1);
    let t = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let core = core.clone();
        let handler = handler.to_owned();
        let fx = fx.clone();
        tasks.spawn(async move {
            let mut v = Vec::with_capacity(per as usize);
            for i in 0..per {
                let k = offset + u64::from(c) * 1_000_000 + u64::from(i);
                let t = Instant::now();
                call(&core, &handler, app, k, &fx).await?;
                v.push(ms(t.elapsed()));
            }
            Ok::<Vec<f64>, Error>(v)
        });
    }
    let mut all = vec![];
    while let Some(r) = tasks.join_next().await {
        all.extend(r.map_err(|e| Error::internal(e.to_string()))??);
    }
    let secs = t.elapsed().as_secs_f64().max(1e-9);
    let rate = all.len() as f64 / secs;
    Ok((all, rate))
}

/// Run the handler bench on the bench database (`<app>_bench_lab`) and save it.
pub async fn bench(
    app: &Core,
    opts: BenchOptions,
    progress: ProgressFn<'_>,
    cancel: &AtomicBool,
) -> Result<HandlerBench> {
    let b = app.on_database(&lab_db_name(&format!("{}_bench", app.info().database)));
    run_bench(app, &|_| b.clone(), false, opts, progress, cancel).await
}

/// [`bench`] with each size on its own database (`<app>_bench_<size>_lab`), kept afterwards
/// and reused by the next run of the same size and seed: preparing 100,000 events (each
/// with ~450 prefix-key index entries) takes tens of minutes on the test engine, so the data
/// can be prepared once on a busy machine and the timing run on the idle one. The reused
/// data also holds the events created by earlier runs' `create_event` (a few hundred).
pub async fn bench_keeping_data(
    app: &Core,
    opts: BenchOptions,
    progress: ProgressFn<'_>,
    cancel: &AtomicBool,
) -> Result<HandlerBench> {
    let base = app.info().database.clone();
    let db_of = |size: u64| app.on_database(&lab_db_name(&format!("{base}_bench_{size}")));
    run_bench(app, &db_of, true, opts, progress, cancel).await
}

/// [`bench`] on a given database (tests use their own).
pub async fn bench_on(
    app: &Core,
    b: &Core,
    opts: BenchOptions,
    progress: ProgressFn<'_>,
    cancel: &AtomicBool,
) -> Result<HandlerBench> {
    run_bench(app, &|_| b.clone(), false, opts, progress, cancel).await
}

const PREPARED: &str = "bench_prepared";

/// Whether `b` holds the complete data of `size` events for `seed` (written last by
/// [`prepare`]'s caller, so an interrupted preparation is done again).
async fn prepared(b: &Core, size: u64, seed: u64) -> Result<bool> {
    Ok(b.db()
        .collection::<Document>(PREPARED)
        .find_one(doc! { "_id": "data", "size": size as i64, "seed": seed as i64 })
        .await?
        .is_some())
}

async fn run_bench(
    app: &Core,
    db_of: &(dyn Fn(u64) -> Core + Sync),
    keep: bool,
    opts: BenchOptions,
    progress: ProgressFn<'_>,
    cancel: &AtomicBool,
) -> Result<HandlerBench> {
    for &size in &opts.sizes {
        check_lab_db(&db_of(size))?;
    }
    check(&opts, &app.info().uri)?;
    let started_at = time::now();
    let t0 = Instant::now();
    let chosen = |h: &str| opts.handlers.is_empty() || opts.handlers.iter().any(|x| x == h);
    let total = (opts.sizes.len()
        * opts.clients.len()
        * HANDLERS.iter().filter(|h| chosen(h)).count()) as u64;
    let mut done = 0;
    let mut results = vec![];
    let mut was_cancelled = false;
    'sizes: for &size in &opts.sizes {
        progress(Progress {
            phase: "bench".into(),
            step: format!("prepare {size}"),
            done,
            total,
        });
        let b = &db_of(size);
        if !(keep && prepared(b, size, opts.seed).await?) {
            prepare(b, size, opts.seed, cancel).await?;
            if cancelled(cancel) {
                was_cancelled = true;
                break 'sizes;
            }
            if keep {
                b.db()
                    .collection::<Document>(PREPARED)
                    .insert_one(
                        doc! { "_id": "data", "size": size as i64, "seed": opts.seed as i64 },
                    )
                    .await?;
            }
        }
        // Live events only (the generator leaves 2 % tombstones, which the app hides).
        let ids: Vec<String> = (0..size.min(5000))
            .filter_map(|i| generate::event(opts.seed, i).ok())
            .filter(|d| d.get("deleted_at") == Some(&Bson::Null))
            .filter_map(|d| d.get_str("_id").ok().map(str::to_owned))
            .collect();
        let people: Vec<(String, String)> = (0..participants_for(size).min(5000))
            .map(|i| {
                let p = generate::participant(opts.seed, i, size);
                (
                    p.get_str("event_id").unwrap_or_default().to_owned(),
                    p.get_str("email").unwrap_or_default().to_owned(),
                )
            })
            .collect();
        // The events "opened" by the users of the update handler (read before timing).
        let opened: std::collections::HashMap<String, events::Event> = b
            .db()
            .collection::<events::Event>(crate::db::EVENTS)
            .find(doc! { "_id": { "$in": &ids } })
            .await?
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .map(|e| (e.id.clone(), e))
            .collect();
        // Where the list's windows are cut, measured on the data as the app does in the
        // background after its first list (not part of a timed call).
        events::window::refresh(b).await?;
        let fx = Arc::new(Fixture {
            ids,
            people,
            opened: std::sync::Mutex::new(opened),
        });
        for &clients in &opts.clients {
            for (h, handler) in HANDLERS.iter().enumerate() {
                if !chosen(handler) {
                    continue;
                }
                if cancelled(cancel) {
                    was_cancelled = true;
                    break 'sizes;
                }
                progress(Progress {
                    phase: "bench".into(),
                    step: format!("{handler} · {size} · {clients}"),
                    done,
                    total,
                });
                let planned = matches!(*handler, "participant_lookup" | "rsvp");
                let base = (h as u64 + 1) * 100_000_000 + u64::from(clients) * 10_000_000;
                // Warm-up (not measured), then the app and the bare query, interleaved in
                // two halves so that drift affects both alike.
                timed(
                    b,
                    handler,
                    !planned,
                    1,
                    opts.warmup.max(1),
                    fx.clone(),
                    base,
                )
                .await?;
                let half = opts.ops.div_ceil(2);
                let (mut a1, r1) = timed(
                    b,
                    handler,
                    !planned,
                    clients,
                    half,
                    fx.clone(),
                    base + 1_000,
                )
                .await?;
                let (mut d1, _) =
                    timed(b, handler, false, clients, half, fx.clone(), base + 2_000).await?;
                let (a2, r2) = timed(
                    b,
                    handler,
                    !planned,
                    clients,
                    half,
                    fx.clone(),
                    base + 3_000,
                )
                .await?;
                let (d2, _) =
                    timed(b, handler, false, clients, half, fx.clone(), base + 4_000).await?;
                a1.extend(a2);
                d1.extend(d2);
                let (app_l, drv_l) = (Latency::from_ms(a1), Latency::from_ms(d1));
                let (source, bare) = describe(handler);
                results.push(HandlerResult {
                    handler: (*handler).into(),
                    source: source.into(),
                    bare: bare.into(),
                    size,
                    clients,
                    ratio_p50: round3(app_l.p50_ms / drv_l.p50_ms.max(1e-6)),
                    ratio_p95: round3(app_l.p95_ms / drv_l.p95_ms.max(1e-6)),
                    app: app_l,
                    driver: drv_l,
                    app_ops_per_s: round3((r1 + r2) / 2.0),
                });
                done += 1;
            }
        }
    }
    let out = HandlerBench {
        id: uuid::Uuid::now_v7().to_string(),
        started_at,
        seconds: round3(t0.elapsed().as_secs_f64()),
        server: ServerDesc::of(app),
        machine: Machine::current(),
        options: opts,
        results,
        cancelled: was_cancelled,
    };
    app.db()
        .collection::<Document>(LAB_BENCHES)
        .insert_one(time::to_doc(&out)?)
        .await?;
    Ok(out)
}

/// The newest saved handler bench, if any.
pub async fn latest(app: &Core) -> Result<Option<HandlerBench>> {
    let d = app
        .db()
        .collection::<Document>(LAB_BENCHES)
        .find_one(doc! {})
        .sort(doc! { "started_at": -1 })
        .await?;
    d.map(time::from_doc).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only() {
        assert!(is_loopback("mongodb://127.0.0.1:27017"));
        assert!(is_loopback("mongodb://u:***@localhost:1234/db?x=1"));
        assert!(is_loopback("mongodb://[::1]:27017"));
        assert!(!is_loopback(
            "mongodb+srv://u:***@cluster0.mongodb.net/eventhub"
        ));
        assert!(!is_loopback("mongodb://127.0.0.1:1,db.example.com:2"));
        let mut o = BenchOptions {
            clients: vec![8],
            ..Default::default()
        };
        assert!(check(&o, "mongodb://db.example.com").is_err());
        assert!(check(&o, "mongodb://127.0.0.1").is_ok());
        o.handlers = vec!["search_event".into(), "serach_event".into()];
        assert_eq!(
            check(&o, "mongodb://127.0.0.1")
                .unwrap_err()
                .field
                .as_deref(),
            Some("handlers")
        );
        o.handlers = vec!["search_event".into()];
        assert!(check(&o, "mongodb://127.0.0.1").is_ok());
        o.clients = vec![65];
        assert_eq!(
            check(&o, "mongodb://127.0.0.1")
                .unwrap_err()
                .field
                .as_deref(),
            Some("clients")
        );
    }
}
