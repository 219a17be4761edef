//! Index runs: for each query of the catalogue and each index variant — create the index
//! (alone, on a collection that otherwise has only `_id`), read `explain`, time the query
//! client-side (warm-up excluded), read the index size, time a batch of inserts — then
//! drop it. Runs are saved in the app database (`lab_runs`) to compare them later.

use std::{future::IntoFuture, sync::atomic::AtomicBool, time::Instant};

use bson::{doc, Bson, Document};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::{
    cancelled,
    catalogue::{catalogue, IndexKind, Op, Query, Text, Variant},
    check_lab_db,
    explain::{self, ExplainStats},
    generate::{self, DataSet},
    ms, round3, Latency, Machine, Progress, ProgressFn, ServerDesc, LAB_RUNS,
};
use crate::{error::Code, time, Core, Error, Result};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
#[serde(default)]
pub struct RunOptions {
    /// Query ids to run (all when empty).
    pub queries: Vec<String>,
    /// Measured runs per variant (after the warm-up).
    pub runs: u32,
    pub warmup: u32,
    /// Documents inserted to measure the write cost (0: skip).
    pub write_batch: u32,
    /// The longest an index build may take, in seconds; a build still running then is
    /// stopped, its index dropped, and the variant recorded as not finished. 0: scaled to
    /// the collection ([`default_build_timeout_s`]).
    pub build_timeout_s: f64,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            queries: vec![],
            runs: 20,
            warmup: 3,
            write_batch: 500,
            build_timeout_s: 0.0,
        }
    }
}

/// The largest build bound accepted: a day.
pub const MAX_BUILD_TIMEOUT_S: f64 = 86_400.0;

/// The default bound on one index build over a collection of `docs` documents: a minute,
/// plus a second per 2,000 documents (310 s for 500,000). Builds that finish measure far
/// below it on a shared 2-core machine; a build past it is stuck, not slow.
pub fn default_build_timeout_s(docs: u64) -> f64 {
    (60.0 + docs as f64 / 2_000.0).round()
}

/// The bound that applies to a build over `docs` documents under `opts`.
pub fn build_timeout_s(opts: &RunOptions, docs: u64) -> f64 {
    if opts.build_timeout_s > 0.0 {
        opts.build_timeout_s
    } else {
        default_build_timeout_s(docs)
    }
}

/// "did not finish within N s on this server", in a document's language.
pub fn not_finished_text(limit_s: f64, l: crate::report::Lang) -> String {
    use crate::report::Lang;
    let n = if limit_s.fract() == 0.0 {
        l.int(limit_s as i64)
    } else {
        l.num(limit_s)
    };
    match l {
        Lang::Fr => format!("n'a pas fini en {n} s sur ce serveur"),
        Lang::En => format!("did not finish within {n} s on this server"),
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    /// The server refused this kind of index as not supported (detected at creation).
    Unsupported,
    /// The index build did not finish within the run's bound
    /// ([`VariantResult::build_timeout_s`]): it was stopped and its index dropped.
    TimedOut,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct VariantResult {
    pub kind: IndexKind,
    pub index: String,
    /// Keys and options, readable.
    pub definition: String,
    pub outcome: Outcome,
    /// The server's message when unsupported or failed.
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub explain: ExplainStats,
    #[serde(default)]
    pub latency: Latency,
    /// Time to build the index on the existing data (for a build that did not finish: the
    /// time waited before it was stopped).
    #[serde(default)]
    pub build_ms: f64,
    /// The bound the build had, in seconds (0 in runs saved before there was one).
    #[serde(default)]
    pub build_timeout_s: f64,
    #[serde(default)]
    pub index_bytes: i64,
    /// Inserts per second with this index (and `_id`).
    #[serde(default)]
    pub inserts_per_s: f64,
    /// Documents the query returned to the client.
    #[serde(default)]
    pub docs_out: i64,
}

/// The plain-language conclusion of a query.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, ts_rs::TS)]
pub struct Verdict {
    /// The variant to use (its index name), if any beat the collection scan.
    pub best: Option<String>,
    pub best_kind: Option<IndexKind>,
    pub best_definition: String,
    /// Baseline docs examined ÷ best docs examined (how many times fewer documents read).
    pub docs_ratio: f64,
    /// Baseline p50 ÷ best p50 (how many times faster).
    pub speed_ratio: f64,
    /// Insert throughput lost with the index, in % of the baseline.
    pub write_cost_pct: f64,
    pub index_bytes: i64,
    pub en: String,
    pub fr: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct QueryResult {
    pub id: String,
    pub title: Text,
    pub used_by: Text,
    pub why: Text,
    pub collection: String,
    pub collection_docs: u64,
    pub shape: String,
    pub variants: Vec<VariantResult>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct LabRun {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    pub seconds: f64,
    pub lab_database: String,
    pub data: DataSet,
    pub server: ServerDesc,
    pub machine: Machine,
    pub options: RunOptions,
    pub results: Vec<QueryResult>,
    pub cancelled: bool,
    /// Whether the server reported execution times in `explain`. Some engines (the test
    /// engine secantusd-rs among them) always answer `executionTimeMillis: 0`: the run then
    /// keeps no server time at all rather than a column of zeros that reads as "instant".
    #[serde(default = "yes")]
    pub server_time_reported: bool,
    /// The cancelled run this one completes: its finished queries were measured then, the
    /// others in this run, on the same data set with the same options.
    #[serde(default)]
    pub resumed_from: Option<String>,
}

fn yes() -> bool {
    true
}

/// Whether a run's explains carried real execution times: false when every variant's server
/// time is zero although at least one query took 2 ms or more at the client (a server that
/// reports times would have counted at least one whole millisecond there).
pub fn server_time_reported<'a>(variants: impl Iterator<Item = &'a VariantResult> + Clone) -> bool {
    variants.clone().any(|v| v.explain.server_ms_total > 0)
        || !variants
            .into_iter()
            .any(|v| v.explain.server_runs > 0 && v.latency.p50_ms >= 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(p50_ms: f64, server_ms_total: i64) -> VariantResult {
        VariantResult {
            kind: IndexKind::None,
            index: String::new(),
            definition: String::new(),
            outcome: Outcome::Ok,
            message: String::new(),
            explain: ExplainStats {
                server_ms_total,
                server_runs: 5,
                ..ExplainStats::default()
            },
            latency: Latency {
                p50_ms,
                ..Latency::default()
            },
            build_ms: 0.0,
            build_timeout_s: 0.0,
            index_bytes: 0,
            inserts_per_s: 0.0,
            docs_out: 0,
        }
    }

    #[test]
    fn the_build_bound_grows_with_the_collection_unless_set() {
        assert_eq!(default_build_timeout_s(0), 60.0);
        assert_eq!(default_build_timeout_s(50_000), 85.0);
        assert_eq!(default_build_timeout_s(500_000), 310.0);
        let mut o = RunOptions::default();
        assert_eq!(build_timeout_s(&o, 500_000), 310.0);
        o.build_timeout_s = 0.5;
        assert_eq!(build_timeout_s(&o, 500_000), 0.5);
        use crate::report::Lang;
        assert_eq!(
            not_finished_text(310.0, Lang::En),
            "did not finish within 310 s on this server"
        );
        assert_eq!(
            not_finished_text(0.5, Lang::Fr),
            "n'a pas fini en 0,500 s sur ce serveur"
        );
    }

    #[test]
    fn an_engine_answering_zero_for_slow_queries_reports_no_server_time() {
        // secantusd-rs: a 40 ms collection scan explained as 0 ms.
        let zeros = [variant(0.3, 0), variant(40.0, 0)];
        assert!(!server_time_reported(zeros.iter()));
        // MongoDB: the slow scan counts milliseconds, the fast lookup rounds to 0.
        let real = [variant(0.3, 0), variant(40.0, 180)];
        assert!(server_time_reported(real.iter()));
        // Only fast queries: zeros are plausible, keep them.
        let fast = [variant(0.3, 0), variant(1.1, 0)];
        assert!(server_time_reported(fast.iter()));
    }
}

/// A saved run in a list.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct RunSummary {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    pub scale: u64,
    pub queries: u32,
    pub server: String,
    pub cancelled: bool,
}

/// Is this driver error the server saying "this kind of index is not supported here"?
fn unsupported(e: &mongodb::error::Error) -> Option<String> {
    use mongodb::error::ErrorKind;
    if let ErrorKind::Command(c) = e.kind.as_ref() {
        // 67 CannotCreateIndex, 115 CommandNotSupported, 238 NotImplemented.
        if [67, 115, 238].contains(&c.code) {
            return Some(format!("{} (code {})", c.message, c.code));
        }
    }
    None
}

/// What became of creating an index.
#[derive(Debug, Clone, PartialEq)]
pub enum Created {
    Ok {
        build_ms: f64,
    },
    Unsupported(String),
    /// The build outlived its bound: it was stopped and the index is not there.
    NotFinished {
        waited_ms: f64,
    },
    /// The run was cancelled during the build: it was stopped and the index is not there.
    Cancelled,
}

/// Create a variant's index on `collection` (nothing for the baseline), with no bound.
/// Unsupported kinds come back as [`Created::Unsupported`] with the server's words, not as
/// an error.
pub async fn create_index(lab: &Core, collection: &str, v: &Variant) -> Result<Created> {
    create_index_within(lab, collection, v, None, &AtomicBool::new(false)).await
}

/// MongoDB's `MaxTimeMSExpired`.
const MAX_TIME_EXPIRED: i32 = 50;
/// `IndexNotFound` and `NamespaceNotFound`: nothing left to drop.
const NOTHING_TO_DROP: [i32; 2] = [27, 26];

fn command_code(e: &mongodb::error::Error) -> Option<i32> {
    match e.kind.as_ref() {
        mongodb::error::ErrorKind::Command(c) => Some(c.code),
        _ => None,
    }
}

/// Create a variant's index, stopping the build when it outlives `limit` or when `cancel`
/// is set.
///
/// The bound is sent to the server as `maxTimeMS` (MongoDB aborts an index build whose
/// `createIndexes` is interrupted; secantusd-rs polls the budget while it scans) and kept
/// by the client too, in case the server's answer does not come. A stopped build is then
/// dropped by name — MongoDB aborts an in-progress build that way — and the call returns
/// only once the server has answered that drop, so the next variant finds the engine free
/// and the collection without the index.
pub async fn create_index_within(
    lab: &Core,
    collection: &str,
    v: &Variant,
    limit: Option<std::time::Duration>,
    cancel: &AtomicBool,
) -> Result<Created> {
    use std::time::Duration;
    if v.kind == IndexKind::None {
        return Ok(Created::Ok { build_ms: 0.0 });
    }
    let c = lab.db().collection::<Document>(collection);
    let t = Instant::now();
    let mut create = c.create_index(v.model());
    if let Some(l) = limit {
        create = create.max_time(l.max(Duration::from_millis(1)));
    }
    // The client waits a little longer than the server's budget: the server stops at its
    // next check of the budget and answers, which is the clean path.
    let client_limit = limit.map(|l| l + (l / 4).max(Duration::from_secs(10)));
    enum Step<T> {
        Done(T),
        Late,
        Cancelled,
    }
    let build = create.into_future();
    tokio::pin!(build);
    let step = loop {
        tokio::select! {
            r = &mut build => break Step::Done(r),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                if cancelled(cancel) {
                    break Step::Cancelled;
                }
                if client_limit.is_some_and(|cl| t.elapsed() >= cl) {
                    break Step::Late;
                }
            }
        }
    };
    let waited_ms = round3(ms(t.elapsed()));
    match step {
        Step::Done(Ok(_)) => Ok(Created::Ok {
            build_ms: waited_ms,
        }),
        Step::Done(Err(e)) if command_code(&e) == Some(MAX_TIME_EXPIRED) && limit.is_some() => {
            stop_build(lab, collection, &v.name, limit).await?;
            Ok(Created::NotFinished { waited_ms })
        }
        Step::Done(Err(e)) => match unsupported(&e) {
            Some(m) => Ok(Created::Unsupported(m)),
            None => Err(e.into()),
        },
        Step::Late => {
            stop_build(lab, collection, &v.name, limit).await?;
            Ok(Created::NotFinished { waited_ms })
        }
        Step::Cancelled => {
            stop_build(lab, collection, &v.name, limit).await?;
            Ok(Created::Cancelled)
        }
    }
}

/// Drop index `name` if it is there or still being built, and wait for the server's
/// answer: at most `limit` (at least a minute), after which the server is said to be busy.
async fn stop_build(
    lab: &Core,
    collection: &str,
    name: &str,
    limit: Option<std::time::Duration>,
) -> Result<()> {
    let wait = limit
        .unwrap_or_default()
        .max(std::time::Duration::from_secs(60));
    let c = lab.db().collection::<Document>(collection);
    let drop = c.drop_index(name).into_future();
    match tokio::time::timeout(wait, drop).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) if command_code(&e).is_some_and(|c| NOTHING_TO_DROP.contains(&c)) => Ok(()),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err(Error::new(
            Code::DbUnavailable,
            format!(
                "the database server was still busy {} s after an index build on {collection} was stopped",
                wait.as_secs()
            ),
        )),
    }
}

/// Drop every index of `collection` but `_id`.
pub async fn drop_indexes(lab: &Core, collection: &str) -> Result<()> {
    lab.db()
        .collection::<Document>(collection)
        .drop_indexes()
        .await?;
    Ok(())
}

/// Run a query once, to the last document. Returns how many came back.
pub async fn execute(lab: &Core, collection: &str, op: &Op) -> Result<i64> {
    let c = lab.db().collection::<Document>(collection);
    let docs: Vec<Document> = match op {
        Op::Find {
            filter,
            sort,
            limit,
            projection,
        } => {
            c.find(filter.clone())
                .sort(sort.clone().unwrap_or_default())
                .limit(*limit)
                .projection(projection.clone().unwrap_or_default())
                .await?
                .try_collect()
                .await?
        }
        Op::Aggregate { pipeline } => c.aggregate(pipeline.clone()).await?.try_collect().await?,
    };
    Ok(docs.len() as i64)
}

/// The server's `explain("executionStats")` of a query, raw.
pub async fn explain_raw(lab: &Core, collection: &str, op: &Op) -> Result<Document> {
    let inner = match op {
        Op::Find {
            filter,
            sort,
            limit,
            projection,
        } => {
            let mut d = doc! { "find": collection, "filter": filter.clone() };
            if *limit > 0 {
                d.insert("limit", *limit);
            }
            if let Some(s) = sort {
                d.insert("sort", s.clone());
            }
            if let Some(p) = projection {
                d.insert("projection", p.clone());
            }
            d
        }
        Op::Aggregate { pipeline } => {
            doc! { "aggregate": collection, "pipeline": pipeline.clone(), "cursor": {} }
        }
    };
    Ok(lab
        .db()
        .run_command(doc! { "explain": inner, "verbosity": "executionStats" })
        .await?)
}

/// Size on disk of each index of a collection (`collStats.indexSizes`).
pub async fn index_sizes(lab: &Core, collection: &str) -> Result<Document> {
    let s = lab
        .db()
        .run_command(doc! { "collStats": collection })
        .await?;
    Ok(s.get_document("indexSizes").cloned().unwrap_or_default())
}

fn as_i64(b: Option<&Bson>) -> i64 {
    match b {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(f)) => *f as i64,
        _ => 0,
    }
}

/// Insert `n` fresh documents of `collection` (beyond the data set), timed, then remove them.
async fn write_cost(lab: &Core, set: &DataSet, collection: &str, n: u32, salt: u64) -> Result<f64> {
    if n == 0 {
        return Ok(0.0);
    }
    // Three rounds, the median kept: one round is at the mercy of a checkpoint.
    let mut rates = vec![];
    for round in 0..3u64 {
        let base = set.counts.of(collection) + 10_000_000 + (salt * 3 + round) * u64::from(n);
        let docs = (base..base + u64::from(n))
            .map(|i| generate::document(collection, set.seed, i, &set.counts))
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<Bson> = docs.iter().filter_map(|d| d.get("_id").cloned()).collect();
        let c = lab.db().collection::<Document>(collection);
        let t = Instant::now();
        for chunk in docs.chunks(100) {
            c.insert_many(chunk.to_vec()).await?;
        }
        let secs = t.elapsed().as_secs_f64().max(1e-9);
        c.delete_many(doc! { "_id": { "$in": ids } }).await?;
        rates.push(f64::from(n) / secs);
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    Ok(rates[1].round())
}

/// Explains per variant whose server times are summed (`executionTimeMillis` is whole
/// milliseconds: one explain of a fast query reads 0).
pub const EXPLAIN_RUNS: u32 = 20;

/// Measure one variant of one query. The collection is left with only `_id`. `None` when
/// the run was cancelled during the index build.
pub async fn measure(
    lab: &Core,
    set: &DataSet,
    q: &Query,
    v: &Variant,
    opts: &RunOptions,
    salt: u64,
    cancel: &AtomicBool,
) -> Result<Option<VariantResult>> {
    let coll = q.collection.as_str();
    let limit_s = build_timeout_s(opts, set.counts.of(coll));
    drop_indexes(lab, coll).await?;
    let mut r = VariantResult {
        kind: v.kind,
        index: v.name.clone(),
        definition: v.describe(),
        outcome: Outcome::Ok,
        message: String::new(),
        explain: ExplainStats::default(),
        latency: Latency::default(),
        build_ms: 0.0,
        build_timeout_s: limit_s,
        index_bytes: 0,
        inserts_per_s: 0.0,
        docs_out: 0,
    };
    let limit = std::time::Duration::from_secs_f64(limit_s);
    match create_index_within(lab, coll, v, Some(limit), cancel).await? {
        Created::Unsupported(m) => {
            r.outcome = Outcome::Unsupported;
            r.message = m;
            return Ok(Some(r));
        }
        Created::NotFinished { waited_ms } => {
            r.outcome = Outcome::TimedOut;
            r.build_ms = waited_ms;
            r.message = not_finished_text(limit_s, crate::report::Lang::En);
            drop_indexes(lab, coll).await?;
            return Ok(Some(r));
        }
        Created::Cancelled => {
            drop_indexes(lab, coll).await?;
            return Ok(None);
        }
        Created::Ok { build_ms } => r.build_ms = build_ms,
    }
    let op = v.op.as_ref().unwrap_or(&q.op);
    let measured = async {
        r.explain = explain::repeated(lab, coll, op, opts.runs.min(EXPLAIN_RUNS)).await?;
        for _ in 0..opts.warmup {
            execute(lab, coll, op).await?;
        }
        let mut times = Vec::with_capacity(opts.runs as usize);
        for _ in 0..opts.runs.max(1) {
            let t = Instant::now();
            r.docs_out = execute(lab, coll, op).await?;
            times.push(ms(t.elapsed()));
        }
        r.latency = Latency::from_ms(times);
        let sizes = index_sizes(lab, coll).await?;
        r.index_bytes = if v.kind == IndexKind::None {
            as_i64(sizes.get("_id_"))
        } else {
            as_i64(sizes.get(&v.name))
        };
        r.inserts_per_s = write_cost(lab, set, coll, opts.write_batch, salt).await?;
        Ok::<(), Error>(())
    }
    .await;
    if let Err(e) = measured {
        r.outcome = Outcome::Error;
        r.message = e.message;
    }
    drop_indexes(lab, coll).await?;
    Ok(Some(r))
}

fn fmt_ratio(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// How much work a plan does, in document-equivalents.
pub fn plan_work(e: &ExplainStats) -> f64 {
    let sort = if e.in_memory_sort {
        e.docs_examined.max(e.returned) as f64
    } else {
        0.0
    };
    e.docs_examined as f64 + e.keys_examined as f64 / 4.0 + sort
}

/// Which variant to use, and why, in both languages; the builds that did not finish are
/// named after it.
pub fn verdict(variants: &[VariantResult], why: &Text) -> Verdict {
    let mut v = verdict_of_finished(variants, why);
    let unfinished: Vec<&VariantResult> = variants
        .iter()
        .filter(|x| x.outcome == Outcome::TimedOut)
        .collect();
    if let Some(first) = unfinished.first() {
        use crate::report::Lang;
        let defs = unfinished
            .iter()
            .map(|x| x.definition.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let sep = |s: &str| if s.is_empty() { "" } else { " " };
        v.en = format!(
            "{}{}Not measured: {defs} — the index build {}.",
            v.en,
            sep(&v.en),
            not_finished_text(first.build_timeout_s, Lang::En)
        );
        v.fr = format!(
            "{}{}Non mesuré : {defs} — la construction de l'index {}.",
            v.fr,
            sep(&v.fr),
            not_finished_text(first.build_timeout_s, Lang::Fr)
        );
    }
    v
}

fn verdict_of_finished(variants: &[VariantResult], why: &Text) -> Verdict {
    let Some(base) = variants.iter().find(|v| v.kind == IndexKind::None) else {
        return Verdict::default();
    };
    let best = variants
        .iter()
        .filter(|v| {
            v.kind != IndexKind::None && v.outcome == Outcome::Ok && !v.explain.is_collscan()
        })
        // The plan's work first (documents fetched, a quarter per key read, and the whole
        // result again when it must be sorted in memory): at lab scales latency is noisy,
        // the work is not. Latency breaks ties.
        .min_by(|a, b| {
            plan_work(&a.explain)
                .total_cmp(&plan_work(&b.explain))
                .then(a.latency.p50_ms.total_cmp(&b.latency.p50_ms))
                .then(a.index_bytes.cmp(&b.index_bytes))
        });
    let Some(best) = best else {
        return Verdict {
            en: "No index variant turned the collection scan into an index scan on this server."
                .into(),
            fr: "Aucune variante d'index n'a remplacé le parcours complet par un parcours d'index sur ce serveur."
                .into(),
            ..Verdict::default()
        };
    };
    let docs_ratio =
        base.explain.docs_examined.max(1) as f64 / best.explain.docs_examined.max(1) as f64;
    let speed_ratio = base.latency.p50_ms / best.latency.p50_ms.max(1e-6);
    let write_cost_pct = if base.inserts_per_s > 0.0 && best.inserts_per_s > 0.0 {
        round3((1.0 - best.inserts_per_s / base.inserts_per_s) * 100.0)
    } else {
        0.0
    };
    let kib = best.index_bytes as f64 / 1024.0;
    let en = format!(
        "Use the {kind} index {def}: {base_access} → {access}, documents examined {bd} → {d} ({dr}× fewer), p50 {bp:.2} ms → {p:.2} ms ({sr}× faster). Cost: {kib:.0} KiB on disk, insert throughput {wc:+.0} %. {why}",
        kind = best.kind.as_str(),
        def = best.definition,
        base_access = base.explain.access,
        access = best.explain.access,
        bd = base.explain.docs_examined,
        d = best.explain.docs_examined,
        dr = fmt_ratio(docs_ratio),
        bp = base.latency.p50_ms,
        p = best.latency.p50_ms,
        sr = fmt_ratio(speed_ratio),
        wc = -write_cost_pct,
        why = why.en,
    );
    let fr = format!(
        "Utilisez l'index {kind} {def} : {base_access} → {access}, documents examinés {bd} → {d} ({dr}× moins), p50 {bp:.2} ms → {p:.2} ms ({sr}× plus rapide). Coût : {kib:.0} Kio sur disque, débit d'insertion {wc:+.0} %. {why}",
        kind = best.kind.as_str(),
        def = best.definition,
        base_access = base.explain.access,
        access = best.explain.access,
        bd = base.explain.docs_examined,
        d = best.explain.docs_examined,
        dr = fmt_ratio(docs_ratio),
        bp = base.latency.p50_ms,
        p = best.latency.p50_ms,
        sr = fmt_ratio(speed_ratio),
        wc = -write_cost_pct,
        why = why.fr,
    );
    Verdict {
        best: Some(best.index.clone()),
        best_kind: Some(best.kind),
        best_definition: best.definition.clone(),
        docs_ratio: round3(docs_ratio),
        speed_ratio: round3(speed_ratio),
        write_cost_pct,
        index_bytes: best.index_bytes,
        en,
        fr,
    }
}

/// Run the catalogue (or some of it) on the lab database's current data set, and save the
/// run in the app database.
pub async fn run(
    app: &Core,
    lab: &Core,
    opts: RunOptions,
    progress: ProgressFn<'_>,
    cancel: &AtomicBool,
) -> Result<LabRun> {
    run_resuming(app, lab, opts, None, progress, cancel).await
}

/// Like [`run`], completing the cancelled run `resume` (when given) instead of starting
/// over: its finished queries are kept as measured, the others are run on the same data
/// set with the same options, and the whole is saved as a new run that names the one it
/// completes (`resumed_from`). A 1,000,000-document run takes most of an hour; an
/// interruption then costs only the query it stopped in.
pub async fn run_resuming(
    app: &Core,
    lab: &Core,
    opts: RunOptions,
    resume: Option<&str>,
    progress: ProgressFn<'_>,
    cancel: &AtomicBool,
) -> Result<LabRun> {
    check_lab_db(lab)?;
    if opts.runs == 0 || opts.runs > 10_000 {
        return Err(Error::invalid("runs", "must be between 1 and 10000"));
    }
    if !opts.build_timeout_s.is_finite()
        || opts.build_timeout_s < 0.0
        || opts.build_timeout_s > MAX_BUILD_TIMEOUT_S
    {
        return Err(Error::invalid(
            "build_timeout_s",
            "must be between 0 (scaled to the data) and 86400 seconds",
        ));
    }
    let set = generate::current(lab).await?.ok_or_else(|| {
        Error::new(
            Code::NotFound,
            "the lab database is empty: generate a data set first",
        )
    })?;
    let (kept, kept_seconds): (Vec<QueryResult>, f64) = match resume {
        None => (vec![], 0.0),
        Some(id) => {
            let prev = get_run(app, Some(id)).await?;
            if !prev.cancelled {
                return Err(Error::invalid("resume", "that run is complete"));
            }
            if prev.data.generated_at != set.generated_at || prev.data.seed != set.seed {
                return Err(Error::invalid(
                    "resume",
                    "that run measured another data set than the lab database holds now",
                ));
            }
            let same = |a: &RunOptions, b: &RunOptions| {
                (
                    a.runs,
                    a.warmup,
                    a.write_batch,
                    &a.queries,
                    a.build_timeout_s,
                ) == (
                    b.runs,
                    b.warmup,
                    b.write_batch,
                    &b.queries,
                    b.build_timeout_s,
                )
            };
            if !same(&prev.options, &opts) {
                return Err(Error::invalid(
                    "resume",
                    "give the options of the run to complete (queries, runs, warm-up, write batch, build timeout)",
                ));
            }
            (prev.results, prev.seconds)
        }
    };
    let mut cat: Vec<Query> = catalogue(set.seed, &set.counts)
        .into_iter()
        .filter(|q| opts.queries.is_empty() || opts.queries.iter().any(|x| x == &q.id))
        .collect();
    let order: Vec<String> = cat.iter().map(|q| q.id.clone()).collect();
    cat.retain(|q| !kept.iter().any(|k| k.id == q.id));
    if cat.is_empty() && resume.is_none() {
        return Err(Error::invalid(
            "queries",
            format!("no such query: {}", opts.queries.join(", ")),
        ));
    }
    let started_at = time::now();
    let t0 = Instant::now();
    let total: u64 = cat.iter().map(|q| q.variants.len() as u64).sum();
    let mut done = 0;
    let mut results = vec![];
    let mut was_cancelled = false;
    'queries: for q in &cat {
        let mut vr = vec![];
        for (k, v) in q.variants.iter().enumerate() {
            if cancelled(cancel) {
                was_cancelled = true;
                break 'queries;
            }
            progress(Progress {
                phase: "run".into(),
                step: format!("{} · {}", q.id, v.kind.as_str()),
                done,
                total,
            });
            match measure(lab, &set, q, v, &opts, done * 7 + k as u64, cancel).await? {
                Some(r) => vr.push(r),
                None => {
                    was_cancelled = true;
                    break 'queries;
                }
            }
            done += 1;
        }
        results.push(QueryResult {
            id: q.id.clone(),
            title: q.title.clone(),
            used_by: q.used_by.clone(),
            why: q.why.clone(),
            collection: q.collection.clone(),
            collection_docs: set.counts.of(&q.collection),
            shape: q.op.shape(),
            verdict: verdict(&vr, &q.why),
            variants: vr,
        });
    }
    progress(Progress {
        phase: "run".into(),
        step: "done".into(),
        done,
        total,
    });
    results.extend(kept);
    results.sort_by_key(|r| order.iter().position(|id| id == &r.id));
    let server_time_reported = server_time_reported(results.iter().flat_map(|q| q.variants.iter()));
    if !server_time_reported {
        for v in results.iter_mut().flat_map(|q| q.variants.iter_mut()) {
            v.explain.server_runs = 0;
        }
    }
    let run = LabRun {
        id: uuid::Uuid::now_v7().to_string(),
        started_at,
        seconds: round3(kept_seconds + t0.elapsed().as_secs_f64()),
        lab_database: lab.info().database.clone(),
        data: set,
        server: ServerDesc::of(lab),
        machine: Machine::current(),
        options: opts,
        results,
        cancelled: was_cancelled,
        server_time_reported,
        resumed_from: resume.map(str::to_owned),
    };
    app.db()
        .collection::<Document>(LAB_RUNS)
        .insert_one(time::to_doc(&run)?)
        .await?;
    Ok(run)
}

/// Saved runs, newest first.
pub async fn runs(app: &Core, limit: i64) -> Result<Vec<RunSummary>> {
    let docs: Vec<Document> = app
        .db()
        .collection::<Document>(LAB_RUNS)
        .aggregate(vec![
            doc! { "$sort": { "started_at": -1 } },
            doc! { "$limit": limit.clamp(1, 500) },
            doc! { "$project": {
                "started_at": 1,
                "scale": "$data.scale",
                "queries": { "$size": "$results" },
                "server": { "$concat": ["$server.engine", " ", "$server.version"] },
                "cancelled": 1,
            } },
        ])
        .await?
        .try_collect()
        .await?;
    docs.into_iter()
        .map(|mut d| {
            // Numbers come back as whatever width the server chose.
            let scale = as_i64(d.get("scale"));
            d.insert("scale", scale);
            let n = as_i64(d.get("queries"));
            d.insert("queries", n);
            time::from_doc(d)
        })
        .collect()
}

/// One saved run (the newest when `id` is `None`).
pub async fn get_run(app: &Core, id: Option<&str>) -> Result<LabRun> {
    let c = app.db().collection::<Document>(LAB_RUNS);
    let d = match id {
        Some(id) => c.find_one(doc! { "_id": id }).await?,
        None => c.find_one(doc! {}).sort(doc! { "started_at": -1 }).await?,
    };
    let d = d.ok_or_else(|| Error::not_found(format!("lab run {}", id.unwrap_or("(latest)"))))?;
    time::from_doc(d)
}
