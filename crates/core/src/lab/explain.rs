//! Reading `explain("executionStats")`: the winning plan's stages and the execution
//! figures, from the shapes MongoDB returns for `find` (top-level `queryPlanner` and
//! `executionStats`) and for `aggregate` (the same nested in `stages[0].$cursor`, or at the
//! top level when the whole pipeline was pushed down). Newer servers wrap the plan in
//! `winningPlan.queryPlan` (slot-based engine); both are read.

use bson::{Bson, Document};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default, ts_rs::TS)]
pub struct ExplainStats {
    /// Every stage of the winning plan, root first (e.g. `LIMIT, FETCH, IXSCAN`).
    pub stages: Vec<String>,
    /// How the documents were found: `COLLSCAN`, `IXSCAN`, `IDHACK`, `COUNT_SCAN`, …
    /// (the leaf stages of the winning plan, joined with `+`).
    pub access: String,
    /// Indexes the winning plan used.
    pub indexes: Vec<String>,
    pub keys_examined: i64,
    pub docs_examined: i64,
    /// Documents the query stage returned (for an aggregation: what entered the pipeline).
    pub returned: i64,
    /// Server-side execution time of the first explain (`executionTimeMillis`; whole
    /// milliseconds, so 0 for a query faster than 1 ms).
    pub server_ms: i64,
    /// `executionTimeMillis` summed over [`Self::server_runs`] explains of the same query:
    /// the mean is readable even when each one rounds to 0.
    #[serde(default)]
    pub server_ms_total: i64,
    /// How many explains were summed (0: not measured).
    #[serde(default)]
    pub server_runs: u32,
    /// True when sorting happened in memory (a `SORT` stage): the index did not give the order.
    pub in_memory_sort: bool,
}

impl ExplainStats {
    pub fn is_collscan(&self) -> bool {
        self.stages.iter().any(|s| s == "COLLSCAN")
    }
}

fn int(d: &Document, k: &str) -> Option<i64> {
    match d.get(k)? {
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Int64(n) => Some(*n),
        Bson::Double(f) => Some(*f as i64),
        _ => None,
    }
}

/// Find the first sub-document (depth first) holding `key` as a document.
fn find_doc<'a>(b: &'a Bson, key: &str) -> Option<&'a Document> {
    match b {
        Bson::Document(d) => {
            if let Ok(x) = d.get_document(key) {
                return Some(x);
            }
            d.values().find_map(|v| find_doc(v, key))
        }
        Bson::Array(a) => a.iter().find_map(|v| find_doc(v, key)),
        _ => None,
    }
}

/// Walk a plan tree: `stage`, then `inputStage` / `inputStages` / `queryPlan` / `shards`.
fn walk(
    plan: &Document,
    stages: &mut Vec<String>,
    leaves: &mut Vec<String>,
    idx: &mut Vec<String>,
) {
    let mut children: Vec<&Document> = vec![];
    if let Ok(q) = plan.get_document("queryPlan") {
        children.push(q);
    }
    if let Ok(c) = plan.get_document("inputStage") {
        children.push(c);
    }
    if let Ok(a) = plan.get_array("inputStages") {
        children.extend(a.iter().filter_map(Bson::as_document));
    }
    if let Ok(s) = plan.get_str("stage") {
        stages.push(s.to_owned());
        if children.is_empty() {
            leaves.push(s.to_owned());
        }
    }
    if let Ok(n) = plan.get_str("indexName") {
        if !idx.iter().any(|x| x == n) {
            idx.push(n.to_owned());
        }
    }
    for c in children {
        walk(c, stages, leaves, idx);
    }
}

/// Parse a server's explain answer (`executionStats` verbosity).
pub fn parse(explain: &Document) -> Result<ExplainStats> {
    let root = Bson::Document(explain.clone());
    let planner = find_doc(&root, "queryPlanner")
        .ok_or_else(|| Error::internal("explain output has no queryPlanner"))?;
    let winning = planner
        .get_document("winningPlan")
        .map_err(|_| Error::internal("explain output has no queryPlanner.winningPlan"))?;
    let mut stages = vec![];
    let mut leaves = vec![];
    let mut indexes = vec![];
    walk(winning, &mut stages, &mut leaves, &mut indexes);
    if stages.is_empty() {
        return Err(Error::internal(
            "explain output: the winning plan has no stage",
        ));
    }
    let exec = find_doc(&root, "executionStats")
        .ok_or_else(|| Error::internal("explain output has no executionStats"))?;
    let mut leaves_dedup: Vec<String> = vec![];
    for l in leaves {
        if !leaves_dedup.contains(&l) {
            leaves_dedup.push(l);
        }
    }
    Ok(ExplainStats {
        in_memory_sort: stages.iter().any(|s| s == "SORT"),
        access: leaves_dedup.join("+"),
        stages,
        indexes,
        keys_examined: int(exec, "totalKeysExamined").unwrap_or(0),
        docs_examined: int(exec, "totalDocsExamined").unwrap_or(0),
        returned: int(exec, "nReturned").unwrap_or(0),
        server_ms: server_time(explain),
        server_ms_total: 0,
        server_runs: 0,
    })
}

/// The server's execution time in an explain answer: `executionStats.executionTimeMillis`,
/// or for a pipeline the largest `executionTimeMillisEstimate` of its stages when the
/// server reports time per stage only.
pub fn server_time(explain: &Document) -> i64 {
    let root = Bson::Document(explain.clone());
    if let Some(ms) = find_doc(&root, "executionStats").and_then(|e| int(e, "executionTimeMillis"))
    {
        return ms;
    }
    let mut best = 0;
    max_estimate(&root, &mut best);
    best
}

fn max_estimate(b: &Bson, best: &mut i64) {
    match b {
        Bson::Document(d) => {
            if let Some(n) = int(d, "executionTimeMillisEstimate") {
                *best = (*best).max(n);
            }
            d.values().for_each(|v| max_estimate(v, best));
        }
        Bson::Array(a) => a.iter().for_each(|v| max_estimate(v, best)),
        _ => {}
    }
}

/// Explain a query `reps` times: the plan and figures of the first, and the server time
/// summed over all of them.
pub async fn repeated(
    lab: &crate::Core,
    collection: &str,
    op: &super::catalogue::Op,
    reps: u32,
) -> Result<ExplainStats> {
    let first = super::bench::explain_raw(lab, collection, op).await?;
    let mut stats = parse(&first)?;
    let mut total = stats.server_ms;
    for _ in 1..reps.max(1) {
        total += server_time(&super::bench::explain_raw(lab, collection, op).await?);
    }
    stats.server_ms_total = total;
    stats.server_runs = reps.max(1);
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn reads_an_aggregate_explain_nested_in_cursor_with_a_slot_based_plan() {
        // The shape MongoDB 7 returns for an aggregate whose $match uses an index.
        let e = doc! {
            "explainVersion": "2",
            "stages": [
                { "$cursor": {
                    "queryPlanner": { "winningPlan": { "queryPlan": {
                        "stage": "PROJECTION_COVERED",
                        "inputStage": { "stage": "IXSCAN", "indexName": "event_id_1_status_1" }
                    } } },
                    "executionStats": { "nReturned": 12, "executionTimeMillis": 3,
                                        "totalKeysExamined": 12, "totalDocsExamined": 0 }
                } },
                { "$group": {} }
            ]
        };
        let s = parse(&e).unwrap();
        assert_eq!(s.stages, ["PROJECTION_COVERED", "IXSCAN"]);
        assert_eq!(s.access, "IXSCAN");
        assert_eq!(s.indexes, ["event_id_1_status_1"]);
        assert_eq!(
            (s.keys_examined, s.docs_examined, s.returned, s.server_ms),
            (12, 0, 12, 3)
        );
        assert!(!s.is_collscan());
    }

    #[test]
    fn missing_pieces_are_errors_not_zeros() {
        assert!(parse(&doc! { "ok": 1 }).is_err());
        assert!(
            parse(&doc! { "queryPlanner": { "winningPlan": { "stage": "COLLSCAN" } } }).is_err()
        );
    }
}
