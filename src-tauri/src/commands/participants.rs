//! Participants: list, status changes, check-in, edit, delete, erase, merge, seats on the
//! plans, audit trail, CSV import (with progress through a `Channel` and a cancel
//! command) and export. Thin: every rule is in
//! `eventhub_core::participants`.
//!
//! Native file dialogs (`rfd`) cannot be driven by WebDriver, so for end-to-end tests
//! `EVENTHUB_E2E_OPEN_FILE` (a path) replaces the open dialog and `EVENTHUB_E2E_SAVE_DIR`
//! (a folder) the save dialog.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use eventhub_core::{
    networking::Erasure,
    participants::{
        self,
        csv_export::{self, Lang},
        csv_import::{self, ImportOptions, ImportReport, Preview, Progress},
        seating::{self, AutoReport, GroupBy, Overview},
        AuditEntry, MergeReport, Participant, ParticipantInput, ParticipantPage, ParticipantQuery,
        RsvpStatus,
    },
    Error,
};
use serde::Serialize;
use serde_json::Value;
use tauri::{ipc::Channel, AppHandle, Runtime, State};

use super::files::{env_path, pick_file, save_path, slug};
use crate::{error::CmdResult, state::AppState};

/// The running import's cancel flag (one import at a time per window is what the UI does).
#[derive(Default)]
pub struct ParticipantsState {
    cancel: std::sync::Mutex<Arc<AtomicBool>>,
}

impl ParticipantsState {
    fn fresh_flag(&self) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        if let Ok(mut g) = self.cancel.lock() {
            *g = flag.clone();
        }
        flag
    }

    fn cancel(&self) {
        if let Ok(g) = self.cancel.lock() {
            g.store(true, Ordering::SeqCst);
        }
    }
}

/// Ask for the CSV file to import. `None` when the user cancels.
#[tauri::command]
pub async fn participants_pick_file<R: Runtime>(app: AppHandle<R>) -> CmdResult<Option<String>> {
    if let Some(p) = env_path("EVENTHUB_E2E_OPEN_FILE") {
        return Ok(Some(p));
    }
    let picked = pick_file(&app, "CSV", &["csv", "txt", "tsv", "tab"]).await?;
    Ok(picked.map(|p| p.display().to_string()))
}

#[tauri::command]
pub async fn participants_inspect(path: String, options: Option<Value>) -> CmdResult<Preview> {
    let opts: ImportOptions = match options {
        Some(v) if !v.is_null() => participants::from_json("options", v)?,
        _ => ImportOptions::default(),
    };
    let path = PathBuf::from(path);
    let preview = tokio::task::spawn_blocking(move || csv_import::inspect(&path, &opts))
        .await
        .map_err(|e| Error::internal(e.to_string()))??;
    Ok(preview)
}

#[tauri::command]
pub async fn participants_import(
    state: State<'_, AppState>,
    pstate: State<'_, ParticipantsState>,
    event_id: String,
    path: String,
    options: Option<Value>,
    on_progress: Channel<Progress>,
) -> CmdResult<ImportReport> {
    let opts: ImportOptions = match options {
        Some(v) if !v.is_null() => participants::from_json("options", v)?,
        _ => ImportOptions::default(),
    };
    let core = state.core().await?;
    let cancel = pstate.fresh_flag();
    let progress = move |p: Progress| {
        let _ = on_progress.send(p);
    };
    Ok(csv_import::import(
        &core,
        &event_id,
        &PathBuf::from(path),
        &opts,
        &progress,
        &cancel,
    )
    .await?)
}

#[tauri::command]
pub async fn participants_import_cancel(pstate: State<'_, ParticipantsState>) -> CmdResult<()> {
    pstate.cancel();
    Ok(())
}

#[tauri::command]
pub async fn participants_list(
    state: State<'_, AppState>,
    event_id: String,
    query: Option<Value>,
) -> CmdResult<ParticipantPage> {
    let q: ParticipantQuery = match query {
        Some(v) if !v.is_null() => participants::from_json("query", v)?,
        _ => ParticipantQuery::default(),
    };
    Ok(participants::list(&state.core().await?, &event_id, &q).await?)
}

#[tauri::command]
pub async fn participants_create(
    state: State<'_, AppState>,
    event_id: String,
    input: Value,
) -> CmdResult<Participant> {
    let input = participants::from_json("input", input)?;
    Ok(participants::create(&state.core().await?, &event_id, input).await?)
}

#[tauri::command]
pub async fn participants_set_status(
    state: State<'_, AppState>,
    id: String,
    version: Option<i64>,
    status: Value,
) -> CmdResult<Participant> {
    let status: RsvpStatus = participants::from_json("status", status)?;
    Ok(participants::set_status(&state.core().await?, &id, version, status).await?)
}

#[tauri::command]
pub async fn participants_check_in(
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<Participant> {
    Ok(participants::check_in(&state.core().await?, &id).await?)
}

/// Give a participant a seat in a session, or a place on its waitlist when it is full.
#[tauri::command]
pub async fn participants_join_session(
    state: State<'_, AppState>,
    id: String,
    session_id: String,
) -> CmdResult<Participant> {
    Ok(participants::rsvp::join_session(&state.core().await?, &id, &session_id).await?)
}

/// Give a session seat back (the earliest waiting person gets it), or leave its waitlist.
#[tauri::command]
pub async fn participants_leave_session(
    state: State<'_, AppState>,
    id: String,
    session_id: String,
) -> CmdResult<Participant> {
    Ok(participants::rsvp::leave_session(&state.core().await?, &id, &session_id).await?)
}

/// Check in by a scanned badge (a USB/Bluetooth scanner types the code into the field).
#[tauri::command]
pub async fn participants_check_in_code(
    state: State<'_, AppState>,
    event_id: String,
    code: String,
) -> CmdResult<Participant> {
    Ok(participants::rsvp::check_in_by_code(&state.core().await?, &event_id, &code).await?)
}

#[derive(serde::Serialize, ts_rs::TS)]
#[ts(rename = "ParticipantBadge")]
pub struct Badge {
    code: String,
    qr_svg: String,
    /// The seat on the plan (`Salle A · B12`), if one was given.
    seat: Option<String>,
}

/// A participant's badge: QR code and seat.
#[tauri::command]
pub async fn participants_badge(state: State<'_, AppState>, id: String) -> CmdResult<Badge> {
    let core = state.core().await?;
    let p = participants::get(&core, &id).await?;
    let code = participants::rsvp::badge_code(&p);
    let seat = match &p.seat {
        Some(s) => {
            let ev = eventhub_core::events::get(&core, &p.event_id).await?;
            participants::seating::seat_text(&ev, s)
        }
        None => None,
    };
    Ok(Badge {
        qr_svg: eventhub_core::invitations::qr_svg(&code)?,
        code,
        seat,
    })
}

#[tauri::command]
pub async fn participants_audit(
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<Vec<AuditEntry>> {
    Ok(participants::audit_trail(&state.core().await?, &id).await?)
}

#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "ParticipantsExported")]
pub struct Exported {
    path: String,
    count: u64,
}

/// Export the (filtered) list to a CSV file chosen in a save dialog. `None` if cancelled.
#[tauri::command]
pub async fn participants_export<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    event_id: String,
    query: Option<Value>,
    lang: String,
) -> CmdResult<Option<Exported>> {
    let q: ParticipantQuery = match query {
        Some(v) if !v.is_null() => participants::from_json("query", v)?,
        _ => ParticipantQuery::default(),
    };
    let lang = Lang::parse(&lang).unwrap_or_default();
    let core = state.core().await?;
    let ev = eventhub_core::events::get(&core, &event_id).await?;
    let name = format!("participants-{}.csv", slug(&ev.input.title));
    let path = save_path(&app, name, "csv").await?;
    let Some(path) = path else {
        return Ok(None);
    };
    let count = csv_export::export_to_file(&core, &event_id, &q, lang, &path).await?;
    Ok(Some(Exported {
        path: path.display().to_string(),
        count,
    }))
}

/// Change a participant's fields (all of them: what the edit dialog shows), provided
/// nobody changed the participant since `version`.
#[tauri::command]
pub async fn participants_update(
    state: State<'_, AppState>,
    id: String,
    version: i64,
    input: Value,
) -> CmdResult<Participant> {
    let input: ParticipantInput = participants::from_json("input", input)?;
    Ok(participants::update(&state.core().await?, &id, version, input).await?)
}

/// Delete a participant (a tombstone; their seats go to the waitlists).
#[tauri::command]
pub async fn participants_delete(
    state: State<'_, AppState>,
    id: String,
    version: Option<i64>,
) -> CmdResult<()> {
    Ok(participants::delete(&state.core().await?, &id, version).await?)
}

/// Erase a person's data at their request (networking, answers and the registration).
#[tauri::command]
pub async fn participants_erase(state: State<'_, AppState>, id: String) -> CmdResult<Erasure> {
    Ok(participants::erase(&state.core().await?, &id).await?)
}

/// Merge `other` into `keep` (two records of the same person).
#[tauri::command]
pub async fn participants_merge(
    state: State<'_, AppState>,
    keep: String,
    other: String,
) -> CmdResult<MergeReport> {
    Ok(participants::merge(&state.core().await?, &keep, &other).await?)
}

/// Who sits where on the event's plans, who has no seat yet, and the warnings.
#[tauri::command]
pub async fn participants_seating(
    state: State<'_, AppState>,
    event_id: String,
) -> CmdResult<Overview> {
    Ok(seating::overview(&state.core().await?, &event_id).await?)
}

/// Give a participant a seat (`B12`) or a table's first free seat (`T3`).
#[tauri::command]
pub async fn participants_assign_seat(
    state: State<'_, AppState>,
    id: String,
    plan_id: String,
    label: String,
) -> CmdResult<Participant> {
    Ok(seating::assign(&state.core().await?, &id, &plan_id, &label).await?)
}

#[tauri::command]
pub async fn participants_unassign_seat(
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<Participant> {
    Ok(seating::unassign(&state.core().await?, &id).await?)
}

/// Seat every attendee without a seat on the plan's free seats (`company` or `name`).
#[tauri::command]
pub async fn participants_auto_seat(
    state: State<'_, AppState>,
    event_id: String,
    plan_id: String,
    by: Option<Value>,
) -> CmdResult<AutoReport> {
    let by: GroupBy = match by {
        Some(v) if !v.is_null() => participants::from_json("by", v)?,
        _ => GroupBy::default(),
    };
    Ok(seating::auto_assign(&state.core().await?, &event_id, &plan_id, by).await?)
}
