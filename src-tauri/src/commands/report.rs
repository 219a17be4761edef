//! The presentation and the report for the IT department, from the lab screen: a thin
//! command over `eventhub_core::report`. The documents are written next to the file the
//! person picks (or into `EVENTHUB_E2E_SAVE_DIR` in end-to-end tests).

use eventhub_core::report::{self, Lang};
use tauri::{AppHandle, Runtime, State};

use crate::{error::CmdResult, state::AppState};

/// The project folder this build came from: its git history, `docs/screens` and
/// `docs/performance.md` feed the documents when it exists on this machine (a developer's
/// checkout); elsewhere the documents say those sources were not available.
fn project_dir() -> Option<std::path::PathBuf> {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    p.join("docs").is_dir().then_some(p)
}

/// Write the presentation and the DSI report in French and English. Returns the paths
/// written, or `None` when the person closed the dialog.
#[tauri::command]
pub async fn report_generate<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CmdResult<Option<Vec<String>>> {
    let core = state.core().await?;
    let Some(first) = super::files::save_path(&app, "presentation-fr.html".into(), "html").await?
    else {
        return Ok(None);
    };
    let dir = first
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let inputs = report::gather(&core, project_dir().as_deref()).await?;
    let paths = report::write(&inputs, &Lang::ALL, &dir)?;
    Ok(Some(
        paths.iter().map(|p| p.display().to_string()).collect(),
    ))
}
