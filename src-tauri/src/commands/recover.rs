//! Jobs left half-done by a crash (finish or roll back) and backups of the local store.

use std::sync::atomic::AtomicBool;

use eventhub_core::{
    backup::{self, Summary},
    invitations::SendProgress,
    jobs::{self, Job, RolledBack, Work},
    participants::csv_import::ImportReport,
};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::{
    commands::{files, invitations::campaign_mailer, mail::MailState},
    error::CmdResult,
    state::AppState,
};

/// Imports and campaigns left half-done (offered at start-up).
#[tauri::command]
pub async fn jobs_list(state: State<'_, AppState>) -> CmdResult<Vec<Job>> {
    Ok(jobs::list(&state.core().await?, false).await?)
}

/// What finishing a job gave: the import's report, or the campaign's progress.
#[derive(Serialize, ts_rs::TS)]
#[serde(untagged)]
#[ts(rename = "JobResumed")]
pub enum Resumed {
    Import(ImportReport),
    Campaign(SendProgress),
}

/// Finish a job: the import's report, or the campaign's progress.
#[tauri::command]
pub async fn jobs_resume(
    state: State<'_, AppState>,
    mail_state: State<'_, MailState>,
    id: String,
) -> CmdResult<Resumed> {
    let core = state.core().await?;
    let cancel = AtomicBool::new(false);
    let job = jobs::get(&core, &id).await?;
    Ok(match job.work {
        Work::Import { .. } => {
            Resumed::Import(jobs::resume_import(&core, &id, &|_| {}, &cancel).await?)
        }
        Work::Campaign { .. } => {
            let mailer = campaign_mailer(&core, &mail_state).await?;
            Resumed::Campaign(jobs::resume_campaign(&core, &id, &mailer, &|_| {}, &cancel).await?)
        }
    })
}

#[tauri::command]
pub async fn jobs_rollback(state: State<'_, AppState>, id: String) -> CmdResult<RolledBack> {
    Ok(jobs::rollback(&state.core().await?, &id).await?)
}

/// Save the whole store into one file chosen by the user (`None` when cancelled).
#[tauri::command]
pub async fn backup_create<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CmdResult<Option<(String, Summary)>> {
    let core = state.core().await?;
    let name = format!(
        "eventhub-{}.backup.gz",
        eventhub_core::time::now().format("%Y-%m-%d-%H%M")
    );
    let Some(path) = files::save_path(&app, name, "gz").await? else {
        return Ok(None);
    };
    let summary = backup::backup(&core, &path, &|_| {}).await?;
    Ok(Some((path.display().to_string(), summary)))
}
