//! `eventhub-cli report`: the presentation and the report for the IT department, in French
//! and English, from the saved lab runs and benchmarks and the project folder (git
//! history, `docs/screens/`, `docs/performance.md`).

use std::path::PathBuf;

use clap::Args;
use eventhub_core::{
    report::{self, Lang},
    Core, Error,
};

use crate::print_json;

#[derive(Args)]
pub struct ReportArgs {
    /// Where to write the documents.
    #[arg(long, default_value = "docs")]
    pub out_dir: PathBuf,
    /// The project folder (git history, docs/screens, docs/performance.md).
    #[arg(long, default_value = ".")]
    pub project: PathBuf,
    /// Languages, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "fr,en")]
    pub lang: Vec<String>,
}

pub async fn run(a: &ReportArgs, core: &Core, json: bool) -> Result<(), Error> {
    let langs = a
        .lang
        .iter()
        .map(|l| Lang::parse(l))
        .collect::<Result<Vec<_>, _>>()?;
    let inputs = report::gather(core, Some(&a.project)).await?;
    let paths = report::write(&inputs, &langs, &a.out_dir)?;
    let runs: Vec<String> = inputs
        .runs
        .iter()
        .map(|r| format!("{} ({} documents)", r.run.id, r.scale()))
        .collect();
    if json {
        print_json(&serde_json::json!({
            "written": paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "lab_runs": runs,
            "skipped_runs": inputs.skipped_runs,
            "bench": inputs.bench.as_ref().map(|b| b.id.clone()),
            "missing": inputs.sources.missing,
        }));
    } else {
        for p in &paths {
            println!("written {}", p.display());
        }
        if runs.is_empty() {
            println!("lab runs: none with the current catalogue (the documents say not measured)");
        } else {
            println!("lab runs: {}", runs.join(", "));
        }
        for (id, why) in &inputs.skipped_runs {
            println!("left out: {id} — {why}");
        }
        match &inputs.bench {
            Some(b) => println!("handler bench: {}", b.id),
            None => println!("handler bench: none (the documents say not measured)"),
        }
        for m in &inputs.sources.missing {
            println!("not available: {m}");
        }
    }
    Ok(())
}
