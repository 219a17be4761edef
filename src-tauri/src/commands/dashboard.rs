//! The analytics dashboard: data (server-side aggregation pipelines), the cross-event
//! overview, live updates on a Channel, and exports (CSV from the core, the HTML snapshot
//! made by the UI). `EVENTHUB_E2E_SAVE_DIR` replaces the save dialog in end-to-end tests.

use std::{
    collections::HashMap,
    sync::atomic::{AtomicU64, Ordering},
};

use eventhub_core::{
    dashboard::{self, live, Dashboard, OverviewRow},
    Error,
};
use serde::Serialize;
use tauri::{ipc::Channel, AppHandle, Runtime, State};
use tokio::sync::Mutex;

use super::files::{save, slug, Exported};
use crate::{error::CmdResult, state::AppState};

/// The live watches of open dashboards, by id.
#[derive(Default)]
pub struct DashboardState {
    watches: Mutex<HashMap<u64, live::Watch>>,
    next: AtomicU64,
}

#[tauri::command]
pub async fn dashboard_get(
    state: State<'_, AppState>,
    event_id: String,
    lang: Option<String>,
) -> CmdResult<Dashboard> {
    let en = lang.as_deref() == Some("en");
    Ok(dashboard::event_dashboard(&state.core().await?, &event_id, en).await?)
}

/// Bring a dashboard the UI holds up to date after live notifications (merged here),
/// recomputing only what they touched.
#[tauri::command]
pub async fn dashboard_refresh(
    state: State<'_, AppState>,
    prev: Dashboard,
    changes: Vec<live::Change>,
    lang: Option<String>,
) -> CmdResult<Dashboard> {
    let en = lang.as_deref() == Some("en");
    let mut it = changes.into_iter();
    let Some(mut change) = it.next() else {
        return Ok(prev);
    };
    for c in it {
        change.merge(c);
    }
    Ok(dashboard::refresh(&state.core().await?, prev, &change, en).await?)
}

#[tauri::command]
pub async fn dashboard_overview(state: State<'_, AppState>) -> CmdResult<Vec<OverviewRow>> {
    Ok(dashboard::overview(&state.core().await?, 12).await?)
}

#[derive(Serialize, ts_rs::TS)]
pub struct WatchInfo {
    id: u64,
    #[ts(type = "\"change_stream\" | \"polling\"")]
    mode: &'static str,
}

/// Start telling `on_change` when the event's answers or participants change.
#[tauri::command]
pub async fn dashboard_watch(
    state: State<'_, AppState>,
    dash: State<'_, DashboardState>,
    event_id: String,
    on_change: Channel<live::Change>,
) -> CmdResult<WatchInfo> {
    let core = state.core().await?;
    let w = live::watch(&core, &event_id, move |c| {
        let _ = on_change.send(c);
    })
    .await?;
    let id = dash.next.fetch_add(1, Ordering::Relaxed) + 1;
    let mode = w.mode;
    dash.watches.lock().await.insert(id, w);
    Ok(WatchInfo { id, mode })
}

#[tauri::command]
pub async fn dashboard_unwatch(dash: State<'_, DashboardState>, id: u64) -> CmdResult<bool> {
    Ok(dash
        .watches
        .lock()
        .await
        .remove(&id)
        .map(|w| w.stop())
        .is_some())
}

/// The dashboard's data as CSV.
#[tauri::command]
pub async fn dashboard_export_csv<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    event_id: String,
    lang: Option<String>,
) -> CmdResult<Option<Exported>> {
    let d = dashboard::event_dashboard(
        &state.core().await?,
        &event_id,
        lang.as_deref() == Some("en"),
    )
    .await?;
    let name = format!("dashboard-{}.csv", slug(&d.title));
    save(&app, name, "csv", dashboard::export::csv(&d)).await
}

/// A self-contained HTML snapshot of the dashboard (inline SVG and CSS, made by the UI).
#[tauri::command]
pub async fn dashboard_export_html<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    event_id: String,
    html: String,
) -> CmdResult<Option<Exported>> {
    if html.len() > 5_000_000 || !html.starts_with("<!doctype html>") {
        return Err(Error::invalid("html", "not a dashboard snapshot").into());
    }
    let ev = eventhub_core::events::get(&state.core().await?, &event_id).await?;
    save(
        &app,
        format!("dashboard-{}.html", slug(&ev.input.title)),
        "html",
        html,
    )
    .await
}
