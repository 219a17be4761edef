use eventhub_core::events::{self, Event, EventQuery, EventSummary, Page, Status, Total};
use serde::Serialize;
use serde_json::Value;
use tauri::State;

use crate::{error::CmdResult, state::AppState};

#[tauri::command]
pub async fn events_list(
    state: State<'_, AppState>,
    query: Value,
) -> CmdResult<Page<EventSummary>> {
    let q: EventQuery = events::from_json("query", query)?;
    Ok(events::list(&state.core().await?, &q).await?)
}

/// How many events match a list query (capped): the list asks after showing a page
/// that does not say it.
#[tauri::command]
pub async fn events_count(state: State<'_, AppState>, query: Value) -> CmdResult<Total> {
    let q: EventQuery = events::from_json("query", query)?;
    Ok(events::count(&state.core().await?, &q).await?)
}

#[tauri::command]
pub async fn events_get(state: State<'_, AppState>, id: String) -> CmdResult<Event> {
    Ok(events::get(&state.core().await?, &id).await?)
}

#[tauri::command]
pub async fn events_create(state: State<'_, AppState>, input: Value) -> CmdResult<Event> {
    let input = events::input_from_json(input)?;
    Ok(events::create(&state.core().await?, input).await?)
}

#[tauri::command]
pub async fn events_update(
    state: State<'_, AppState>,
    id: String,
    version: i64,
    input: Value,
) -> CmdResult<Event> {
    let input = events::input_from_json(input)?;
    Ok(events::update(&state.core().await?, &id, version, input).await?)
}

#[tauri::command]
pub async fn events_delete(
    state: State<'_, AppState>,
    id: String,
    version: Option<i64>,
) -> CmdResult<()> {
    Ok(events::delete(&state.core().await?, &id, version).await?)
}

#[tauri::command]
pub async fn events_duplicate(
    state: State<'_, AppState>,
    id: String,
    title: Option<String>,
) -> CmdResult<Event> {
    Ok(events::duplicate(&state.core().await?, &id, title).await?)
}

#[tauri::command]
pub async fn events_tags(state: State<'_, AppState>) -> CmdResult<Vec<String>> {
    Ok(events::tags(&state.core().await?).await?)
}

#[derive(Serialize)]
pub struct StatusCount {
    status: Status,
    count: u64,
}

#[tauri::command]
pub async fn events_status_counts(state: State<'_, AppState>) -> CmdResult<Vec<StatusCount>> {
    let counts = events::status_counts(&state.core().await?).await?;
    Ok(counts
        .into_iter()
        .map(|(status, count)| StatusCount { status, count })
        .collect())
}

#[tauri::command]
pub async fn seed_demo(state: State<'_, AppState>) -> CmdResult<usize> {
    Ok(eventhub_core::seed::demo(&state.core().await?).await?)
}
