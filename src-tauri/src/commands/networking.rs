//! Networking, organiser side: the figures (connections made, over time, most connected
//! companies — aggregation pipelines in the core) and their CSV export. Participants
//! network from the portal (`/n/{token}`).

use eventhub_core::networking::{self, NetworkingStats};
use tauri::{AppHandle, Runtime, State};

use super::files::{save, slug, Exported};
use crate::{error::CmdResult, state::AppState};

#[tauri::command]
pub async fn networking_stats(
    state: State<'_, AppState>,
    event_id: String,
) -> CmdResult<NetworkingStats> {
    Ok(networking::stats(&state.core().await?, &event_id).await?)
}

/// The networking figures as CSV (save dialog; `EVENTHUB_E2E_SAVE_DIR` in tests).
#[tauri::command]
pub async fn networking_export_csv<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    event_id: String,
) -> CmdResult<Option<Exported>> {
    let core = state.core().await?;
    let ev = eventhub_core::events::get(&core, &event_id).await?;
    let stats = networking::stats(&core, &event_id).await?;
    save(
        &app,
        format!("networking-{}.csv", slug(&ev.input.title)),
        "csv",
        networking::stats_csv(&stats),
    )
    .await
}
