//! Survey questions and live polls: CRUD, open/close, and the poll's link with its QR code.

use eventhub_core::{
    feedback::{self, Question, QuestionStatus, QuestionWithCount},
    invitations, Error,
};
use serde::Serialize;
use serde_json::Value;
use tauri::State;

use crate::{error::CmdResult, state::AppState};

#[tauri::command]
pub async fn feedback_list(
    state: State<'_, AppState>,
    event_id: String,
) -> CmdResult<Vec<QuestionWithCount>> {
    Ok(feedback::list_questions(&state.core().await?, &event_id).await?)
}

#[tauri::command]
pub async fn feedback_create(
    state: State<'_, AppState>,
    event_id: String,
    input: Value,
) -> CmdResult<Question> {
    let input = feedback::input_from_json(input)?;
    Ok(feedback::create_question(&state.core().await?, &event_id, input).await?)
}

#[tauri::command]
pub async fn feedback_update(
    state: State<'_, AppState>,
    id: String,
    version: i64,
    input: Value,
) -> CmdResult<Question> {
    let input = feedback::input_from_json(input)?;
    Ok(feedback::update_question(&state.core().await?, &id, version, input).await?)
}

#[tauri::command]
pub async fn feedback_set_status(
    state: State<'_, AppState>,
    id: String,
    status: String,
) -> CmdResult<Question> {
    let s = match status.as_str() {
        "open" => QuestionStatus::Open,
        "closed" => QuestionStatus::Closed,
        "draft" => QuestionStatus::Draft,
        _ => return Err(Error::invalid("status", "open, closed or draft").into()),
    };
    Ok(feedback::set_status(&state.core().await?, &id, s).await?)
}

#[tauri::command]
pub async fn feedback_delete(state: State<'_, AppState>, id: String) -> CmdResult<()> {
    Ok(feedback::delete_question(&state.core().await?, &id).await?)
}

#[derive(Serialize, ts_rs::TS)]
pub struct PollLink {
    url: String,
    qr_svg: String,
}

/// The link phones open for a poll (`/p/{id}`) or an event's survey (`/f/{event_id}`) on
/// the running portal at `base_url` (from `portal_status`), with its QR code.
#[tauri::command]
pub async fn feedback_link(
    base_url: String,
    poll_id: Option<String>,
    event_id: Option<String>,
) -> CmdResult<PollLink> {
    let base = base_url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(Error::field("base_url", "portal_not_running", []).into());
    }
    let url = match (poll_id, event_id) {
        (Some(p), _) => format!("{base}/p/{p}"),
        (None, Some(e)) => format!("{base}/f/{e}"),
        _ => return Err(Error::invalid("poll_id", "a poll or an event is needed").into()),
    };
    Ok(PollLink {
        qr_svg: invitations::qr_svg(&url)?,
        url,
    })
}
