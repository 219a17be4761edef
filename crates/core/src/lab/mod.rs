//! The index lab: evidence, not claims. It generates realistic synthetic data into a
//! separate lab database (real data is never touched), runs the app's own queries with no
//! index and with each relevant kind of index, reads the server's `explain`
//! (`executionStats`), measures client-side latency and write cost, benchmarks the app's
//! handlers against the bare driver queries they wrap, and writes a self-contained report.
//!
//! - [`generate`]: deterministic documents in the app's shapes (events, participants,
//!   feedback answers, networking connections).
//! - [`catalogue`]: the app's queries (built by the app's own functions) and the index
//!   variants relevant to each, the app's own index among them.
//! - [`explain`]: parses `explain("executionStats")` output (find and aggregate shapes).
//! - [`bench`]: index runs (explain + latency + size + write cost) and the handler bench.
//! - [`report`]: the HTML report.
//!
//! Long work takes a progress callback and a cancel flag; the core never sees Tauri.

pub mod bench;
pub mod catalogue;
pub mod explain;
pub mod generate;
pub mod handlers;
pub mod report;

use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use crate::{db::CollectionSpec, Core, Error, Result};

/// Saved index-lab runs (in the app's database: results, not data).
pub const LAB_RUNS: &str = "lab_runs";
/// Saved handler benchmarks.
pub const LAB_BENCHES: &str = "lab_benches";

/// The lab's collections in the lab database: the app's own collection names, holding
/// documents of the app's own shapes.
pub const EVENTS: &str = crate::db::EVENTS;
pub const PARTICIPANTS: &str = crate::participants::schema::PARTICIPANTS;
pub const ANSWERS: &str = crate::feedback::ANSWERS;
pub const CONNECTIONS: &str = crate::networking::CONNECTIONS;
pub const LAB_COLLECTIONS: [&str; 4] = [EVENTS, PARTICIPANTS, ANSWERS, CONNECTIONS];

/// The collections the lab keeps in the app's own database.
pub fn collections() -> Vec<CollectionSpec> {
    use bson::doc;
    vec![
        CollectionSpec {
            name: LAB_RUNS,
            validator: None,
            indexes: vec![crate::db::index(doc! { "started_at": -1 }, "started_at")],
        },
        CollectionSpec {
            name: LAB_BENCHES,
            validator: None,
            indexes: vec![crate::db::index(doc! { "started_at": -1 }, "started_at")],
        },
    ]
}

/// The lab database of an app database: `eventhub` → `eventhub_lab`. Never the app's own.
pub fn lab_db_name(app_db: &str) -> String {
    format!("{app_db}_lab")
}

/// The lab's handle: the same connection on the lab database.
pub fn lab_core(core: &Core) -> Core {
    core.on_database(&lab_db_name(&core.info().database))
}

/// Where long work is.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
#[ts(rename = "LabProgress")]
pub struct Progress {
    /// `generate`, `run`, `bench`.
    pub phase: String,
    /// What is being done now (a collection, a query and index, a handler).
    pub step: String,
    pub done: u64,
    pub total: u64,
}

pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Send + Sync);

/// A progress callback that ignores everything.
pub fn no_progress(_: Progress) {}

pub(crate) fn cancelled(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed)
}

/// The machine the figures were measured on (stated in every run and report).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, ts_rs::TS)]
pub struct Machine {
    pub os: String,
    pub arch: String,
    pub cpus: u32,
    pub cpu_model: String,
    pub memory_gib: f64,
}

impl Machine {
    pub fn current() -> Machine {
        // sysinfo reads what each OS offers (/proc on Linux, sysctl on macOS, the Win32 API
        // on Windows).
        let sys = sysinfo::System::new_with_specifics(
            sysinfo::RefreshKind::nothing()
                .with_memory(sysinfo::MemoryRefreshKind::nothing().with_ram())
                .with_cpu(sysinfo::CpuRefreshKind::nothing()),
        );
        let cpu_model = sys
            .cpus()
            .first()
            .map(|c| c.brand().trim().to_owned())
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "unknown".into());
        let memory_kib = sys.total_memory() as f64 / 1024.0;
        let os = sysinfo::System::long_os_version()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| std::env::consts::OS.to_owned());
        Machine {
            os,
            arch: std::env::consts::ARCH.to_owned(),
            cpus: std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(1),
            cpu_model,
            memory_gib: (memory_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        }
    }
}

/// The server the figures were measured on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, ts_rs::TS)]
pub struct ServerDesc {
    pub engine: String,
    pub version: String,
    /// Redacted connection string.
    pub uri: String,
    pub text_search: bool,
    pub hashed_index: bool,
}

impl ServerDesc {
    pub fn of(core: &Core) -> ServerDesc {
        let i = core.info();
        ServerDesc {
            engine: i.engine.clone(),
            version: i.version.clone(),
            uri: i.uri.clone(),
            text_search: i.capabilities.text_search,
            hashed_index: i.capabilities.hashed_index,
        }
    }
}

/// Percentiles of a set of durations (milliseconds), nearest-rank.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, ts_rs::TS)]
pub struct Latency {
    pub runs: u32,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    pub fn from_ms(mut v: Vec<f64>) -> Latency {
        if v.is_empty() {
            return Latency::default();
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let pct = |p: f64| {
            let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
            v[rank.clamp(1, v.len()) - 1]
        };
        Latency {
            runs: v.len() as u32,
            p50_ms: round3(pct(50.0)),
            p95_ms: round3(pct(95.0)),
            p99_ms: round3(pct(99.0)),
            mean_ms: round3(v.iter().sum::<f64>() / v.len() as f64),
        }
    }
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub(crate) fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Refuse to aim the lab at the app's own database by mistake.
pub(crate) fn check_lab_db(lab: &Core) -> Result<()> {
    if !lab.info().database.ends_with("_lab") && !lab.info().database.starts_with("t_") {
        return Err(Error::invalid(
            "database",
            format!(
                "the index lab only writes to a database whose name ends in _lab, not {}",
                lab.info().database
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let l = Latency::from_ms((1..=100).map(f64::from).collect());
        assert_eq!(l.runs, 100);
        assert_eq!(l.p50_ms, 50.0);
        assert_eq!(l.p95_ms, 95.0);
        assert_eq!(l.p99_ms, 99.0);
        let one = Latency::from_ms(vec![3.0]);
        assert_eq!((one.p50_ms, one.p99_ms), (3.0, 3.0));
        assert_eq!(Latency::from_ms(vec![]).runs, 0);
    }

    #[test]
    fn lab_database_is_never_the_app_database() {
        assert_eq!(lab_db_name("eventhub"), "eventhub_lab");
    }
}
