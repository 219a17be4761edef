//! SMTP settings and the test message. The password goes to the OS keychain; where the
//! system has no keychain it is kept in memory for this session only, and the UI says so.

use eventhub_core::{
    mail::{self, template::Lang, Mailer, SmtpSettings},
    secrets, Code, Error,
};
use serde::Serialize;
use tauri::State;
use tokio::sync::Mutex;

use crate::{error::CmdResult, state::AppState};

/// Passwords that could not be stored in a keychain, by keychain entry name.
#[derive(Default)]
pub struct MailState {
    session_passwords: Mutex<std::collections::HashMap<String, String>>,
}

impl MailState {
    /// The password kept in memory for `s` when no keychain was available.
    pub async fn session_password(&self, s: &SmtpSettings) -> Option<String> {
        self.session_passwords
            .lock()
            .await
            .get(&s.secret_name())
            .cloned()
    }
}

#[derive(Serialize, ts_rs::TS)]
pub struct MailSettingsView {
    settings: Option<SmtpSettings>,
    /// `keychain`, `session` (kept in memory until the app closes) or `none`.
    #[ts(type = "\"keychain\" | \"session\" | \"none\"")]
    password: &'static str,
}

async fn keychain_get(name: String) -> Option<String> {
    tokio::task::spawn_blocking(move || secrets::get(&name).ok().flatten())
        .await
        .ok()
        .flatten()
}

async fn password_for(mail: &MailState, s: &SmtpSettings) -> (Option<String>, &'static str) {
    if let Some(p) = keychain_get(s.secret_name()).await {
        return (Some(p), "keychain");
    }
    match mail.session_passwords.lock().await.get(&s.secret_name()) {
        Some(p) => (Some(p.clone()), "session"),
        None => (None, "none"),
    }
}

#[tauri::command]
pub async fn mail_settings_get(
    state: State<'_, AppState>,
    mail: State<'_, MailState>,
) -> CmdResult<MailSettingsView> {
    let settings = mail::load_settings(&state.core().await?).await?;
    let password = match &settings {
        Some(s) => password_for(&mail, s).await.1,
        None => "none",
    };
    Ok(MailSettingsView { settings, password })
}

/// Save the settings; a non-empty `password` replaces the stored one.
#[tauri::command]
pub async fn mail_settings_save(
    state: State<'_, AppState>,
    mail: State<'_, MailState>,
    settings: serde_json::Value,
    password: Option<String>,
) -> CmdResult<MailSettingsView> {
    let settings: SmtpSettings = eventhub_core::events::from_json("settings", settings)?;
    let saved = mail::save_settings(&state.core().await?, settings).await?;
    if let Some(pw) = password.filter(|p| !p.is_empty()) {
        let name = saved.secret_name();
        let (n, p) = (name.clone(), pw.clone());
        let stored = tokio::task::spawn_blocking(move || secrets::set(&n, &p))
            .await
            .map_err(|e| Error::internal(e.to_string()))?;
        if stored.is_err() {
            mail.session_passwords.lock().await.insert(name, pw);
        }
    }
    let password = password_for(&mail, &saved).await.1;
    Ok(MailSettingsView {
        settings: Some(saved),
        password,
    })
}

/// Send a test message to `to` with the saved settings.
#[tauri::command]
pub async fn mail_test_send(
    state: State<'_, AppState>,
    mail: State<'_, MailState>,
    to: String,
    lang: Option<Lang>,
) -> CmdResult<()> {
    let core = state.core().await?;
    let settings = mail::load_settings(&core).await?.ok_or_else(|| {
        Error::new(
            Code::Validation,
            "save the SMTP settings before sending a test",
        )
        .with_reason("smtp_not_configured", [])
    })?;
    let (password, _) = password_for(&mail, &settings).await;
    let mailer = Mailer::new(&settings, password.as_deref())?;
    Ok(mail::send_test(&mailer, &to, lang.unwrap_or_default()).await?)
}

/// The invitation template in use for `lang` (the organiser's, or the built-in one).
#[tauri::command]
pub async fn mail_template_get(
    state: State<'_, AppState>,
    lang: Lang,
) -> CmdResult<mail::template::Template> {
    Ok(mail::load_template(&state.core().await?, lang).await?)
}

/// Save the organiser's template for `lang`; returns a preview rendered for a sample guest.
#[tauri::command]
pub async fn mail_template_save(
    state: State<'_, AppState>,
    lang: Lang,
    template: serde_json::Value,
) -> CmdResult<mail::template::Rendered> {
    let t: mail::template::Template = eventhub_core::events::from_json("template", template)?;
    mail::save_template(&state.core().await?, lang, &t).await?;
    Ok(mail::template::render(
        &t,
        &mail::template::sample_vars(lang),
        lang,
    )?)
}

#[tauri::command]
pub async fn mail_template_reset(
    state: State<'_, AppState>,
    lang: Lang,
) -> CmdResult<mail::template::Template> {
    Ok(mail::reset_template(&state.core().await?, lang).await?)
}
