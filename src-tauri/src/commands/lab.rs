//! The Index lab screen: thin commands over `eventhub_core::lab`. Long work reports
//! progress through a `Channel` and stops when `lab_cancel` flips the flag kept in
//! [`LabState`]. One lab job runs at a time.
//!
//! Export: `lab_export_report` asks where to save with the native dialog — unless
//! `EVENTHUB_E2E_SAVE_DIR` is set (end-to-end tests), in which case the report is written
//! in that folder without a dialog.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use eventhub_core::{
    events,
    lab::{
        self,
        bench::{self, LabRun, RunOptions, RunSummary},
        catalogue::{self, IndexKind},
        generate::{self, DataSet},
        handlers::{self, BenchOptions, HandlerBench},
        report, Progress,
    },
    Capabilities, Code, Error,
};
use serde::Serialize;
use serde_json::Value;
use tauri::{ipc::Channel, AppHandle, Runtime, State};

use crate::{error::CmdResult, state::AppState};

/// The env var that makes `lab_export_report` write into a folder without a dialog.
pub use super::files::E2E_SAVE_DIR;
#[derive(Default)]
pub struct LabState {
    cancel: Arc<AtomicBool>,
    busy: tokio::sync::Mutex<()>,
}

#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "LabVariantInfo")]
pub struct VariantInfo {
    pub kind: IndexKind,
    pub name: String,
    pub definition: String,
}

#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "LabQueryInfo")]
pub struct QueryInfo {
    pub id: String,
    pub title: catalogue::Text,
    pub used_by: catalogue::Text,
    pub collection: String,
    pub shape: String,
    pub variants: Vec<VariantInfo>,
}

#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "LabOverview")]
pub struct Overview {
    pub lab_database: String,
    pub data: Option<DataSet>,
    pub capabilities: Capabilities,
    pub catalogue: Vec<QueryInfo>,
    pub runs: Vec<RunSummary>,
    pub min_scale: u64,
    pub max_scale: u64,
}

fn busy_error() -> Error {
    Error::new(
        Code::Conflict,
        "a lab job is already running: wait for it or cancel it",
    )
    .with_reason("job_running", [])
}

fn progress_to(ch: Channel<Progress>) -> impl Fn(Progress) + Send + Sync {
    move |p| {
        let _ = ch.send(p);
    }
}

#[tauri::command]
pub async fn lab_overview(state: State<'_, AppState>) -> CmdResult<Overview> {
    let core = state.core().await?;
    let labdb = lab::lab_core(&core);
    let data = generate::current(&labdb).await?;
    let (seed, counts) = data
        .as_ref()
        .map(|d| (d.seed, d.counts))
        .unwrap_or((42, generate::Counts::for_scale(100_000)));
    let catalogue = catalogue::catalogue(seed, &counts)
        .into_iter()
        .map(|q| QueryInfo {
            shape: q.op.shape(),
            variants: q
                .variants
                .iter()
                .map(|v| VariantInfo {
                    kind: v.kind,
                    name: v.name.clone(),
                    definition: v.describe(),
                })
                .collect(),
            id: q.id,
            title: q.title,
            used_by: q.used_by,
            collection: q.collection,
        })
        .collect();
    Ok(Overview {
        lab_database: labdb.info().database.clone(),
        data,
        capabilities: core.caps().clone(),
        catalogue,
        runs: bench::runs(&core, 50).await?,
        min_scale: generate::MIN_SCALE,
        max_scale: generate::MAX_SCALE,
    })
}

#[tauri::command]
pub async fn lab_generate(
    state: State<'_, AppState>,
    lab_state: State<'_, LabState>,
    scale: u64,
    seed: u64,
    on_progress: Channel<Progress>,
) -> CmdResult<DataSet> {
    let core = state.core().await?;
    let _guard = lab_state.busy.try_lock().map_err(|_| busy_error())?;
    lab_state.cancel.store(false, Ordering::Relaxed);
    let progress = progress_to(on_progress);
    Ok(generate::generate(
        &lab::lab_core(&core),
        scale,
        seed,
        &progress,
        &lab_state.cancel,
    )
    .await?)
}

#[tauri::command]
pub async fn lab_run(
    state: State<'_, AppState>,
    lab_state: State<'_, LabState>,
    options: Value,
    on_progress: Channel<Progress>,
) -> CmdResult<LabRun> {
    let opts: RunOptions = events::from_json("options", options)?;
    let core = state.core().await?;
    let _guard = lab_state.busy.try_lock().map_err(|_| busy_error())?;
    lab_state.cancel.store(false, Ordering::Relaxed);
    let progress = progress_to(on_progress);
    Ok(bench::run(
        &core,
        &lab::lab_core(&core),
        opts,
        &progress,
        &lab_state.cancel,
    )
    .await?)
}

#[tauri::command]
pub async fn lab_bench(
    state: State<'_, AppState>,
    lab_state: State<'_, LabState>,
    options: Value,
    on_progress: Channel<Progress>,
) -> CmdResult<HandlerBench> {
    let opts: BenchOptions = events::from_json("options", options)?;
    let core = state.core().await?;
    let _guard = lab_state.busy.try_lock().map_err(|_| busy_error())?;
    lab_state.cancel.store(false, Ordering::Relaxed);
    let progress = progress_to(on_progress);
    Ok(handlers::bench(&core, opts, &progress, &lab_state.cancel).await?)
}

/// Ask the running lab job (if any) to stop at its next step.
#[tauri::command]
pub fn lab_cancel(lab_state: State<'_, LabState>) {
    lab_state.cancel.store(true, Ordering::Relaxed);
}

#[tauri::command]
pub async fn lab_runs(state: State<'_, AppState>) -> CmdResult<Vec<RunSummary>> {
    Ok(bench::runs(&state.core().await?, 50).await?)
}

/// A saved run (the newest without `id`).
#[tauri::command]
pub async fn lab_get_run(state: State<'_, AppState>, id: Option<String>) -> CmdResult<LabRun> {
    Ok(bench::get_run(&state.core().await?, id.as_deref()).await?)
}

#[tauri::command]
pub async fn lab_latest_bench(state: State<'_, AppState>) -> CmdResult<Option<HandlerBench>> {
    Ok(handlers::latest(&state.core().await?).await?)
}

/// Write the HTML report of a run (the newest without `id`). Returns the path, or `None`
/// when the person closed the dialog.
#[tauri::command]
pub async fn lab_export_report<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: Option<String>,
    lang: Option<String>,
) -> CmdResult<Option<String>> {
    let core = state.core().await?;
    let lang = eventhub_core::report::Lang::parse(lang.as_deref().unwrap_or("fr"))?;
    let run = bench::get_run(&core, id.as_deref()).await?;
    let b = handlers::latest(&core).await?;
    let html = report::html_in(&run, b.as_ref(), lang);
    let file_name = format!(
        "eventhub-index-lab-{}.html",
        run.started_at.format("%Y%m%d-%H%M")
    );
    let path = super::files::save_path(&app, file_name, "html").await?;
    let Some(path) = path else {
        return Ok(None);
    };
    std::fs::write(&path, html).map_err(|e| {
        Error::invalid("path", format!("cannot write {}: {e}", path.display()))
            .with_reason("cannot_write", [("value", path.display().to_string())])
    })?;
    Ok(Some(path.display().to_string()))
}
