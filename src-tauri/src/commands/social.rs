//! Social: share a moment (the share address is opened in the system browser, or the
//! text copied) and list the shared moments; import posts from a file (progress on a
//! `Channel`, cancel command); fetch a Mastodon hashtag timeline (progress, cancel; the
//! instance, tag and page count are remembered in the settings store); the analysis, the
//! live wall and the analysis CSV. Thin: every rule is in `eventhub_core::social`.
//!
//! For end-to-end tests: `EVENTHUB_E2E_SOCIAL_FILE` (a path) replaces the open dialog,
//! `EVENTHUB_E2E_SAVE_DIR` (a folder) the save dialog, and `EVENTHUB_E2E_OPEN_LOG` (a file)
//! receives the addresses that would be opened in the browser, one a line.

use std::{
    io::Write,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use eventhub_core::{
    participants::from_json,
    social::{
        self,
        import::{ImportOptions, ImportReport, Progress},
        mastodon::{FetchOptions, FetchReport},
        share::{compose_text, Moment, MomentInput, Platform},
        Analysis, Post, SharedMoment, Sharer,
    },
    Code, Error,
};
use serde::Serialize;
use serde_json::{json, Value};
use tauri::{ipc::Channel, AppHandle, Runtime, State};
use tauri_plugin_opener::OpenerExt;
use tauri_plugin_store::StoreExt;

use super::files::{env_path, pick_file, save, slug, Exported};
use crate::{commands::settings::store_path, error::CmdResult, state::AppState};

/// The cancel flags of the running import and fetch.
#[derive(Default)]
pub struct SocialState {
    import: std::sync::Mutex<Arc<AtomicBool>>,
    fetch: std::sync::Mutex<Arc<AtomicBool>>,
}

fn fresh(slot: &std::sync::Mutex<Arc<AtomicBool>>) -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    if let Ok(mut g) = slot.lock() {
        *g = flag.clone();
    }
    flag
}

fn raise(slot: &std::sync::Mutex<Arc<AtomicBool>>) {
    if let Ok(g) = slot.lock() {
        g.store(true, Ordering::SeqCst);
    }
}

fn opt_json<T: serde::de::DeserializeOwned + Default>(
    what: &str,
    v: Option<Value>,
) -> CmdResult<T> {
    Ok(match v {
        Some(v) if !v.is_null() => from_json(what, v)?,
        _ => T::default(),
    })
}

/// Open a web address in the system browser (tauri-plugin-opener). Only `https://`.
fn open_in_browser<R: Runtime>(app: &AppHandle<R>, url: &str) -> CmdResult<()> {
    if !url.starts_with("https://") || url.chars().any(char::is_whitespace) {
        return Err(
            Error::invalid("url", format!("'{url}' is not an https:// address"))
                .with_reason("not_https", [("value", url.to_owned())])
                .into(),
        );
    }
    if let Some(log) = env_path("EVENTHUB_E2E_OPEN_LOG") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| Error::internal(format!("{log}: {e}")))?;
        writeln!(f, "{url}").map_err(|e| Error::internal(format!("{log}: {e}")))?;
        return Ok(());
    }
    app.opener().open_url(url, None::<&str>).map_err(|e| {
        Error::new(Code::Unsupported, format!("cannot open the browser: {e}"))
            .with_reason("cannot_open_browser", [])
            .into()
    })
}

/// The text a "copy" share puts on the clipboard.
#[tauri::command]
pub async fn social_compose(moment: Value) -> CmdResult<String> {
    let input: MomentInput = from_json("moment", moment)?;
    Ok(compose_text(&Moment::new(input)?))
}

#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "SocialShared")]
pub struct Shared {
    moment: SharedMoment,
    /// The share address (opened in the browser unless `open` was false); none for copy.
    url: Option<String>,
    /// The composed text (what a copy puts on the clipboard).
    text: String,
}

/// Record a shared moment and open its share address in the system browser.
/// `by` is `{"kind":"organiser"}` (default) or `{"kind":"participant","participant_id":…}`.
#[tauri::command]
pub async fn social_share<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    event_id: String,
    platform: Value,
    moment: Value,
    by: Option<Value>,
    open: Option<bool>,
) -> CmdResult<Shared> {
    let platform: Platform = from_json("platform", platform)?;
    let input: MomentInput = from_json("moment", moment)?;
    let by: Sharer = match by {
        Some(v) if !v.is_null() => from_json("by", v)?,
        _ => Sharer::Organiser,
    };
    let core = state.core().await?;
    let m = social::record_share(&core, &event_id, by, &platform, input).await?;
    let text = compose_text(&m.moment);
    if let (Some(url), true) = (&m.url, open.unwrap_or(true)) {
        open_in_browser(&app, url)?;
    }
    Ok(Shared {
        url: m.url.clone(),
        moment: m,
        text,
    })
}

#[tauri::command]
pub async fn social_moments(
    state: State<'_, AppState>,
    event_id: String,
) -> CmdResult<Vec<SharedMoment>> {
    Ok(social::list_moments(&state.core().await?, &event_id).await?)
}

/// Ask for the file of posts to import. `None` when the user cancels.
#[tauri::command]
pub async fn social_pick_file<R: Runtime>(app: AppHandle<R>) -> CmdResult<Option<String>> {
    if let Some(p) = env_path("EVENTHUB_E2E_SOCIAL_FILE") {
        return Ok(Some(p));
    }
    let picked = pick_file(
        &app,
        "X, Mastodon, CSV",
        &["js", "json", "csv", "txt", "tsv"],
    )
    .await?;
    Ok(picked.map(|p| p.display().to_string()))
}

/// Import a file of posts (X archive `tweets.js`, Mastodon JSON, CSV) into the event.
#[tauri::command]
pub async fn social_import(
    state: State<'_, AppState>,
    sstate: State<'_, SocialState>,
    event_id: String,
    path: String,
    options: Option<Value>,
    on_progress: Channel<Progress>,
) -> CmdResult<ImportReport> {
    let opts: ImportOptions = opt_json("options", options)?;
    let core = state.core().await?;
    let cancel = fresh(&sstate.import);
    let progress = move |p: Progress| {
        let _ = on_progress.send(p);
    };
    Ok(social::import::import(
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
pub async fn social_import_cancel(sstate: State<'_, SocialState>) -> CmdResult<()> {
    raise(&sstate.import);
    Ok(())
}

/// The remembered Mastodon fetch settings.
#[derive(Serialize, ts_rs::TS)]
pub struct FetchSettings {
    instance: String,
    tag: String,
    pages: u32,
}

#[tauri::command]
pub async fn social_fetch_settings<R: Runtime>(app: AppHandle<R>) -> CmdResult<FetchSettings> {
    let store = app.store(store_path())?;
    let s = |k: &str| {
        store
            .get(k)
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    Ok(FetchSettings {
        instance: s("social_instance"),
        tag: s("social_tag"),
        pages: store
            .get("social_pages")
            .and_then(|v| v.as_u64())
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(FetchOptions::default().pages),
    })
}

/// Fetch a Mastodon hashtag timeline (`options`: `FetchOptions`; `base_url` only for
/// tests). The instance, tag and pages are remembered once the options are valid.
#[tauri::command]
pub async fn social_fetch<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    sstate: State<'_, SocialState>,
    event_id: String,
    options: Value,
    on_progress: Channel<Progress>,
) -> CmdResult<FetchReport> {
    let opts: FetchOptions = from_json("options", options)?;
    let core = state.core().await?;
    let cancel = fresh(&sstate.fetch);
    let progress = move |p: Progress| {
        let _ = on_progress.send(p);
    };
    // Checks the instance and tag before they are remembered.
    social::share::normalise_instance(&opts.instance)?;
    social::share::normalise_tag("tag", &opts.tag)?;
    let store = app.store(store_path())?;
    store.set("social_instance", json!(opts.instance.trim()));
    store.set("social_tag", json!(opts.tag.trim()));
    store.set("social_pages", json!(opts.pages));
    store.save()?;
    Ok(social::mastodon::fetch(&core, &event_id, &opts, &progress, &cancel).await?)
}

#[tauri::command]
pub async fn social_fetch_cancel(sstate: State<'_, SocialState>) -> CmdResult<()> {
    raise(&sstate.fetch);
    Ok(())
}

#[tauri::command]
pub async fn social_analysis(state: State<'_, AppState>, event_id: String) -> CmdResult<Analysis> {
    Ok(social::analysis(&state.core().await?, &event_id).await?)
}

/// The latest posts (default 30), newest first.
#[tauri::command]
pub async fn social_wall(
    state: State<'_, AppState>,
    event_id: String,
    limit: Option<u32>,
) -> CmdResult<Vec<Post>> {
    Ok(social::wall(&state.core().await?, &event_id, limit.unwrap_or(30)).await?)
}

/// The analysis as CSV, to a file chosen in a save dialog. `None` if cancelled.
#[tauri::command]
pub async fn social_export_csv<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    event_id: String,
) -> CmdResult<Option<Exported>> {
    let a = social::analysis(&state.core().await?, &event_id).await?;
    let content = social::analysis_csv(&a)?;
    let name = format!("social-{}.csv", slug(&a.title));
    save(&app, name, "csv", content).await
}
