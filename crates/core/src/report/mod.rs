//! The presentation (a slide deck) and the final report for the IT department, in French
//! and English, built from what was measured: the saved index-lab runs and handler
//! benchmarks (read from the app's database), the benchmark tables recorded in
//! `docs/performance.md`, the screens in `docs/screens/`, the indexes the app declares and
//! the project's git history. No figure is typed in: a figure that was not measured is
//! said to be missing.
//!
//! - [`sources`]: what is read from the project folder (history, screens, benchmark tables).
//! - [`charts`]: inline SVG bar charts.
//! - [`deck`]: the slide deck (one self-contained HTML file, one slide per printed page).
//! - [`dsi`]: the report for the IT department (one self-contained HTML file, A4).
//!
//! HTML is written with `maud`, which escapes every value at compile-time-checked
//! insertion points.

pub mod charts;
pub mod deck;
pub mod dsi;
pub mod parts;
pub mod sources;

use std::path::{Path, PathBuf};

use bson::{doc, Bson, Document};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    lab::{
        self,
        bench::{self, LabRun, QueryResult, VariantResult},
        catalogue::{self, IndexKind},
        generate,
        handlers::{self, HandlerBench},
    },
    time, Core, Error, Result,
};

/// The language of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Result<Lang> {
        match s.trim().to_lowercase().as_str() {
            "fr" => Ok(Lang::Fr),
            "en" => Ok(Lang::En),
            _ => Err(Error::invalid("lang", "must be fr or en")),
        }
    }

    /// The text in this language.
    pub fn t<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// A number with grouped thousands (narrow no-break space in French, comma in English).
    pub fn int(self, n: i64) -> String {
        let s = n.unsigned_abs().to_string();
        let sep = match self {
            Lang::Fr => '\u{202f}',
            Lang::En => ',',
        };
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        if n < 0 {
            format!("-{out}")
        } else {
            out
        }
    }

    /// A decimal with 3 significant figures or so (decimal comma in French).
    pub fn num(self, x: f64) -> String {
        let s = if x.abs() >= 100.0 {
            return self.int(x.round() as i64);
        } else if x.abs() >= 10.0 {
            format!("{x:.1}")
        } else if x.abs() >= 1.0 {
            format!("{x:.2}")
        } else {
            format!("{x:.3}")
        };
        match self {
            Lang::Fr => s.replace('.', ","),
            Lang::En => s,
        }
    }

    /// Bytes as KiB / MiB / GiB.
    pub fn bytes(self, b: f64) -> String {
        let (v, u) = if b >= 1024.0 * 1024.0 * 1024.0 {
            (b / 1024.0 / 1024.0 / 1024.0, self.t("Gio", "GiB"))
        } else if b >= 1024.0 * 1024.0 {
            (b / 1024.0 / 1024.0, self.t("Mio", "MiB"))
        } else {
            (b / 1024.0, self.t("Kio", "KiB"))
        };
        format!("{} {u}", self.num(v))
    }

    pub fn date(self, d: DateTime<Utc>) -> String {
        match self {
            Lang::Fr => d.format("%d/%m/%Y %H:%M UTC").to_string(),
            Lang::En => d.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// Sizes of a lab collection, read from the server (`collStats`) while its data set is the
/// one a run measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CollSize {
    pub collection: String,
    pub count: i64,
    /// Average BSON document size.
    pub avg_doc_bytes: f64,
    /// Uncompressed data size.
    pub data_bytes: i64,
    /// On disk (compressed where the engine compresses).
    pub storage_bytes: i64,
}

/// One lab run with what the report derives from it.
#[derive(Debug, Clone)]
pub struct RunView {
    pub run: LabRun,
    /// Collection sizes of its data set, when the lab database still holds it.
    pub sizes: Option<Vec<CollSize>>,
}

impl RunView {
    pub fn scale(&self) -> u64 {
        self.run.data.counts.total()
    }
}

/// Everything the documents are built from.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The newest complete run of the current catalogue at each scale, smallest first.
    pub runs: Vec<RunView>,
    /// Saved runs left out, with the reason (an earlier catalogue, cancelled).
    pub skipped_runs: Vec<(String, String)>,
    pub bench: Option<HandlerBench>,
    /// The app's indexes, from its collection declarations.
    pub app_indexes: Vec<AppIndex>,
    pub sources: sources::Sources,
    pub generated_at: DateTime<Utc>,
    /// The server the documents were generated against.
    pub server: String,
}

/// One index the app creates.
#[derive(Debug, Clone, PartialEq)]
pub struct AppIndex {
    pub collection: String,
    pub name: String,
    pub keys: Document,
    /// `unique`, `partial {…}`, `sparse`, `TTL …`, `text`…
    pub options: Vec<String>,
}

impl AppIndex {
    pub fn keys_text(&self) -> String {
        Bson::Document(self.keys.clone())
            .into_relaxed_extjson()
            .to_string()
    }
}

/// The indexes the app declares (`schema::collections`), in declaration order.
pub fn app_indexes() -> Vec<AppIndex> {
    catalogue::app_indexes()
        .into_iter()
        .map(|(collection, m)| {
            let mut options = vec![];
            if let Some(o) = &m.options {
                if o.unique == Some(true) {
                    options.push("unique".to_owned());
                }
                if o.sparse == Some(true) {
                    options.push("sparse".to_owned());
                }
                if let Some(p) = &o.partial_filter_expression {
                    options.push(format!(
                        "partial {}",
                        Bson::Document(p.clone()).into_relaxed_extjson()
                    ));
                }
                if let Some(t) = o.expire_after {
                    options.push(format!("TTL {} s", t.as_secs()));
                }
                if let Some(w) = &o.weights {
                    options.push(format!(
                        "weights {}",
                        Bson::Document(w.clone()).into_relaxed_extjson()
                    ));
                }
            }
            AppIndex {
                name: catalogue::index_name(&m),
                keys: m.keys.clone(),
                collection,
                options,
            }
        })
        .collect()
}

/// The lab's evidence for one of the app's indexes: a query of the catalogue that measured
/// it, with the collection scan it replaces.
#[derive(Debug, Clone)]
pub struct Evidence<'a> {
    pub query: &'a QueryResult,
    pub base: &'a VariantResult,
    pub app: &'a VariantResult,
    /// The lab's best variant is this very index.
    pub best: bool,
}

/// Every measurement of index `name` on `collection` in a run.
pub fn evidence<'a>(run: &'a LabRun, collection: &str, name: &str) -> Vec<Evidence<'a>> {
    run.results
        .iter()
        .filter(|q| q.collection == collection)
        .filter_map(|q| {
            let app = q
                .variants
                .iter()
                .find(|v| v.index == name && v.outcome == bench::Outcome::Ok)?;
            let base = q.variants.iter().find(|v| v.kind == IndexKind::None)?;
            Some(Evidence {
                query: q,
                base,
                app,
                best: q.verdict.best.as_deref() == Some(name),
            })
        })
        .collect()
}

/// A variant of index `name` on `collection` whose build did not finish in a run, with its
/// query.
pub fn unfinished<'a>(
    run: &'a LabRun,
    collection: &str,
    name: &str,
) -> Option<(&'a QueryResult, &'a VariantResult)> {
    run.results
        .iter()
        .filter(|q| q.collection == collection)
        .find_map(|q| {
            q.variants
                .iter()
                .find(|v| v.index == name && v.outcome == bench::Outcome::TimedOut)
                .map(|v| (q, v))
        })
}

/// The app's index for a query when its build did not finish in this run.
pub fn app_unfinished<'a>(q: &'a QueryResult, app: &[AppIndex]) -> Option<&'a VariantResult> {
    q.variants.iter().find(|v| {
        v.outcome == bench::Outcome::TimedOut
            && app
                .iter()
                .any(|a| a.collection == q.collection && a.name == v.index)
    })
}

/// The app's index measured for a query: the lab's best when that is one of the app's
/// indexes (a query served by several of them, e.g. the participants list's name index
/// and its search-words index), else the first of the app's indexes among the variants.
pub fn app_variant<'a>(q: &'a QueryResult, app: &[AppIndex]) -> Option<&'a VariantResult> {
    let is_app = |v: &&VariantResult| {
        v.kind != IndexKind::None
            && v.outcome == bench::Outcome::Ok
            && app
                .iter()
                .any(|a| a.collection == q.collection && a.name == v.index)
    };
    q.variants
        .iter()
        .filter(is_app)
        .find(|v| q.verdict.best.as_deref() == Some(v.index.as_str()))
        .or_else(|| q.variants.iter().find(is_app))
}

/// The baseline (no index) of a query.
pub fn baseline(q: &QueryResult) -> Option<&VariantResult> {
    q.variants
        .iter()
        .find(|v| v.kind == IndexKind::None && v.outcome == bench::Outcome::Ok)
}

/// Server time per execution, from explain: the total over the repeated explains divided
/// by their number. `None` when the run did not record it.
pub fn server_ms(v: &VariantResult) -> Option<f64> {
    let e = &v.explain;
    (e.server_runs > 0).then(|| e.server_ms_total as f64 / f64::from(e.server_runs))
}

/// Collection sizes of the lab's current data set, if it is the one `run` measured.
async fn sizes_of(core: &Core, run: &LabRun) -> Result<Option<Vec<CollSize>>> {
    let labdb = lab::lab_core(core);
    let Some(current) = generate::current(&labdb).await? else {
        return Ok(None);
    };
    if current.generated_at != run.data.generated_at || current.seed != run.data.seed {
        return Ok(None);
    }
    let mut out = vec![];
    for c in lab::LAB_COLLECTIONS {
        let s = labdb.db().run_command(doc! { "collStats": c }).await?;
        let int = |k: &str| match s.get(k) {
            Some(Bson::Int32(n)) => i64::from(*n),
            Some(Bson::Int64(n)) => *n,
            Some(Bson::Double(f)) => *f as i64,
            _ => 0,
        };
        let count = int("count");
        let data = int("size");
        let avg = match s.get("avgObjSize") {
            Some(Bson::Double(f)) => *f,
            Some(Bson::Int32(n)) => f64::from(*n),
            Some(Bson::Int64(n)) => *n as f64,
            _ if count > 0 => data as f64 / count as f64,
            _ => 0.0,
        };
        out.push(CollSize {
            collection: c.to_owned(),
            count,
            avg_doc_bytes: avg,
            data_bytes: data,
            storage_bytes: int("storageSize"),
        });
    }
    Ok(Some(out))
}

/// Read the saved runs and benchmarks from the app's database and the project folder's
/// sources (`repo`: the project checkout; `None` when there is none, e.g. an installed app).
pub async fn gather(core: &Core, repo: Option<&Path>) -> Result<Inputs> {
    let summaries = bench::runs(core, 500).await?;
    let mut by_scale: std::collections::BTreeMap<u64, RunView> = Default::default();
    let mut skipped = vec![];
    for s in summaries {
        if s.cancelled {
            skipped.push((s.id.clone(), "cancelled".to_owned()));
            continue;
        }
        if by_scale.contains_key(&s.scale) {
            continue;
        }
        let run = match bench::get_run(core, Some(&s.id)).await {
            Ok(r) => r,
            Err(e) => {
                skipped.push((s.id.clone(), format!("unreadable: {}", e.message)));
                continue;
            }
        };
        if !is_current_catalogue(&run) {
            skipped.push((
                s.id.clone(),
                "measured with an earlier catalogue (lab-only document shapes)".to_owned(),
            ));
            continue;
        }
        let sizes = sizes_of(core, &run).await?;
        by_scale.insert(s.scale, RunView { run, sizes });
    }
    Ok(Inputs {
        runs: by_scale.into_values().collect(),
        skipped_runs: skipped,
        bench: handlers::latest(core).await?,
        app_indexes: app_indexes(),
        sources: match repo {
            Some(dir) => sources::Sources::load(dir),
            None => sources::Sources::default(),
        },
        generated_at: time::now(),
        server: format!("{} {}", core.info().engine, core.info().version),
    })
}

/// A run measured the current catalogue: the same queries, with the app's own index among
/// each query's variants.
pub fn is_current_catalogue(run: &LabRun) -> bool {
    let cat = catalogue::catalogue(run.data.seed, &run.data.counts);
    !run.results.is_empty()
        && run.results.len() == cat.len()
        && run
            .results
            .iter()
            .all(|r| cat.iter().any(|q| q.id == r.id && q.op.shape() == r.shape))
}

/// The documents: `(file name, HTML)` for each language.
pub fn documents(inputs: &Inputs, langs: &[Lang]) -> Vec<(String, String)> {
    let mut out = vec![];
    for &l in langs {
        out.push((
            format!("presentation-{}.html", l.code()),
            deck::html(inputs, l),
        ));
        out.push((
            format!("{}-{}.html", l.t("rapport-dsi", "report-it"), l.code()),
            dsi::html(inputs, l),
        ));
    }
    out
}

/// Write the documents into `dir`. Returns the paths written.
pub fn write(inputs: &Inputs, langs: &[Lang], dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::invalid("out_dir", format!("cannot create {}: {e}", dir.display())))?;
    let mut paths = vec![];
    for (name, html) in documents(inputs, langs) {
        let p = dir.join(name);
        std::fs::write(&p, html)
            .map_err(|e| Error::invalid("out_dir", format!("cannot write {}: {e}", p.display())))?;
        paths.push(p);
    }
    Ok(paths)
}

/// The CSS both documents share (print-friendly, no external resource).
pub(crate) const BASE_CSS: &str = r#"
:root{--ink:#1d2433;--muted:#5b6475;--line:#dfe3ea;--accent:#2f6fdf;--good:#1f8a4c;--bad:#b3261e;--bg:#f6f8fb;--warn:#9a6700}
*{box-sizing:border-box}
body{font:14px/1.5 "DejaVu Sans",system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#fff}
code,pre{font:12px/1.45 "DejaVu Sans Mono",ui-monospace,Menlo,monospace}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px 10px;white-space:pre-wrap;word-break:break-all;margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:12px;margin:6px 0 12px}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
td code,td pre{overflow-wrap:anywhere;white-space:pre-wrap}
th{background:var(--bg);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.tag{display:inline-block;border-radius:10px;padding:0 7px;font-size:11px;font-weight:600;white-space:nowrap}
.scan{background:#fde8e7;color:var(--bad)}.ix{background:#e5f4ea;color:var(--good)}.na{background:#eceff3;color:var(--muted)}
.missing{color:var(--warn);font-style:italic}
svg.chart{max-width:100%;height:auto}
svg.chart text{font-family:"DejaVu Sans",system-ui,sans-serif}
svg.chart .ct{font-size:13px;font-weight:600;fill:var(--ink)}
svg.chart .cl,svg.chart .cv,svg.chart .lg{font-size:11px;fill:var(--muted)}
svg.chart .s0{fill:#c9d3e3}svg.chart .s1{fill:var(--good)}svg.chart .s2{fill:var(--accent)}
svg.chart .grid{stroke:var(--line);stroke-width:1}
"#;
