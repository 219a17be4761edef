//! The Tauri shell: wires plugins, state and commands. All domain logic lives in
//! `eventhub_core`; commands (in `commands/`) only delegate to it.

pub mod commands;
pub mod connect;
pub mod error;
#[cfg(test)]
mod ipc_types;
pub mod state;

use tauri::{Manager, Runtime};

pub use state::AppState;

/// Register plugins, state and every command on a builder. Generic over the runtime so
/// that tests drive the same commands through `tauri::test::mock_builder()`.
pub fn builder<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        // Links are opened by commands (social shares, the logs folder), not by the page.
        .plugin(
            tauri_plugin_opener::Builder::new()
                .open_js_links_on_click(false)
                .build(),
        )
        .manage(AppState::default())
        .manage(commands::participants::ParticipantsState::default())
        .manage(commands::lab::LabState::default())
        .manage(commands::mail::MailState::default())
        .manage(commands::invitations::InvitationState::default())
        .manage(commands::sync::SyncState::default())
        .manage(commands::dashboard::DashboardState::default())
        .manage(commands::social::SocialState::default())
        .invoke_handler(tauri::generate_handler![
            commands::db::db_status,
            commands::db::db_connect,
            commands::db::db_use_local,
            commands::settings::settings_get,
            commands::settings::settings_set_language,
            commands::settings::settings_open_logs,
            commands::events::events_list,
            commands::events::events_count,
            commands::events::events_get,
            commands::events::events_create,
            commands::events::events_update,
            commands::events::events_delete,
            commands::events::events_duplicate,
            commands::events::events_tags,
            commands::events::events_status_counts,
            commands::events::seed_demo,
            commands::participants::participants_pick_file,
            commands::participants::participants_inspect,
            commands::participants::participants_import,
            commands::participants::participants_import_cancel,
            commands::participants::participants_list,
            commands::participants::participants_create,
            commands::participants::participants_set_status,
            commands::participants::participants_check_in,
            commands::participants::participants_join_session,
            commands::participants::participants_leave_session,
            commands::participants::participants_check_in_code,
            commands::participants::participants_badge,
            commands::participants::participants_audit,
            commands::participants::participants_export,
            commands::participants::participants_update,
            commands::participants::participants_delete,
            commands::participants::participants_erase,
            commands::participants::participants_merge,
            commands::participants::participants_seating,
            commands::participants::participants_assign_seat,
            commands::participants::participants_unassign_seat,
            commands::participants::participants_auto_seat,
            commands::lab::lab_overview,
            commands::lab::lab_generate,
            commands::lab::lab_run,
            commands::lab::lab_bench,
            commands::lab::lab_cancel,
            commands::lab::lab_runs,
            commands::lab::lab_get_run,
            commands::lab::lab_latest_bench,
            commands::lab::lab_export_report,
            commands::report::report_generate,
            commands::mail::mail_settings_get,
            commands::mail::mail_settings_save,
            commands::mail::mail_test_send,
            commands::mail::mail_template_get,
            commands::mail::mail_template_save,
            commands::mail::mail_template_reset,
            commands::invitations::portal_start,
            commands::invitations::portal_stop,
            commands::invitations::portal_status,
            commands::invitations::portal_address,
            commands::invitations::portal_address_save,
            commands::invitations::invitation_link,
            commands::invitations::event_share_link,
            commands::invitations::invitations_queue,
            commands::invitations::invitations_counts,
            commands::invitations::invitations_send,
            commands::invitations::invitations_cancel,
            commands::sync::sync_status,
            commands::sync::sync_set_remote,
            commands::sync::sync_run,
            commands::sync::sync_cancel,
            commands::sync::sync_set_auto,
            commands::sync::sync_conflicts,
            commands::sync::sync_resolve,
            commands::feedback::feedback_list,
            commands::feedback::feedback_create,
            commands::feedback::feedback_update,
            commands::feedback::feedback_set_status,
            commands::feedback::feedback_delete,
            commands::feedback::feedback_link,
            commands::dashboard::dashboard_get,
            commands::dashboard::dashboard_refresh,
            commands::networking::networking_stats,
            commands::networking::networking_export_csv,
            commands::dashboard::dashboard_overview,
            commands::dashboard::dashboard_watch,
            commands::dashboard::dashboard_unwatch,
            commands::dashboard::dashboard_export_csv,
            commands::dashboard::dashboard_export_html,
            commands::social::social_compose,
            commands::social::social_share,
            commands::social::social_moments,
            commands::social::social_pick_file,
            commands::social::social_import,
            commands::social::social_import_cancel,
            commands::social::social_fetch_settings,
            commands::social::social_fetch,
            commands::social::social_fetch_cancel,
            commands::social::social_analysis,
            commands::social::social_wall,
            commands::social::social_export_csv,
            commands::recover::jobs_list,
            commands::recover::jobs_resume,
            commands::recover::jobs_rollback,
            commands::recover::backup_create,
        ])
}

async fn wait_for_termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The D-Bus name that makes the app single-instance on Linux: the identifier, or, when
/// `EVENTHUB_DATA_DIR` points elsewhere (tests, a second profile), one name per data folder
/// so that such an instance runs beside the usual one.
fn instance_id() -> String {
    let id = eventhub_core::config::APP_IDENTIFIER;
    match std::env::var_os("EVENTHUB_DATA_DIR").filter(|d| !d.is_empty()) {
        None => id.to_owned(),
        Some(dir) => {
            // FNV-1a: a stable short name for the folder.
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in dir.to_string_lossy().bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            format!("{id}.data_{h:016x}")
        }
    }
}

/// Rotating log files in `logs/` of the data folder (and the terminal). The code logs with
/// `tracing`, whose events reach this logger through its `log` feature.
fn log_plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    use tauri_plugin_log::{RotationStrategy, Target, TargetKind, TimezoneStrategy};
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .targets([
            Target::new(TargetKind::Stdout),
            Target::new(TargetKind::Folder {
                path: eventhub_core::config::logs_dir(),
                file_name: Some("eventhub".into()),
            }),
        ])
        .level(log::LevelFilter::Info)
        .level_for("mongodb", log::LevelFilter::Warn)
        .level_for("tao", log::LevelFilter::Warn)
        // The keychain's D-Bus client logs every handshake step at info level.
        .level_for("zbus", log::LevelFilter::Warn)
        .level_for("tracing::span", log::LevelFilter::Warn)
        .rotation_strategy(RotationStrategy::KeepSome(5))
        .max_file_size(2_000_000)
        .timezone_strategy(TimezoneStrategy::UseLocal)
        .build()
}

/// Start the desktop app.
pub fn run() {
    let app = builder(
        tauri::Builder::default()
            // First: a second launch hands over to the running app (which comes to the
            // front) and exits before anything else starts, the engine included.
            .plugin(
                tauri_plugin_single_instance::Builder::new()
                    .dbus_id(instance_id())
                    .callback(|app, _args, _cwd| {
                        tracing::info!("a second launch: showing the running window");
                        if let Some(w) = app.get_webview_window("main") {
                            let _ = w.unminimize();
                            let _ = w.show();
                            let _ = w.set_focus();
                        }
                    })
                    .build(),
            )
            .plugin(log_plugin())
            .plugin(
                tauri_plugin_window_state::Builder::new()
                    .with_filename(
                        eventhub_core::config::data_dir()
                            .join("window-state.json")
                            .to_string_lossy(),
                    )
                    .build(),
            ),
    )
    .setup(|app| {
        tracing::info!(
            version = env!("CARGO_PKG_VERSION"),
            data = %eventhub_core::config::data_dir().display(),
            "EventHub starting"
        );
        // Data of earlier versions moves into the data folder before the engine starts
        // and before the settings are read.
        tauri::async_runtime::block_on(eventhub_core::engine::move_legacy_data(
            &eventhub_core::config::legacy_data_dirs(),
            &eventhub_core::config::data_dir(),
        ));
        let handle = app.handle().clone();
        tauri::async_runtime::spawn(async move {
            connect::connect_default(&handle).await;
        });
        let handle = app.handle().clone();
        tauri::async_runtime::spawn(commands::sync::auto_loop(handle));
        // Ctrl-C or SIGTERM end the app the same way as closing the window, so the
        // local engine is stopped cleanly rather than orphaned.
        let handle = app.handle().clone();
        tauri::async_runtime::spawn(async move {
            wait_for_termination().await;
            handle.exit(0);
        });
        Ok(())
    })
    .build(tauri::generate_context!())
    .expect("error while building the EventHub app");
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            let state = handle.state::<AppState>();
            tauri::async_runtime::block_on(connect::shutdown(&state));
            tracing::info!("EventHub stopped");
        }
    });
}
