//! The participant portal (start/stop on this machine or the LAN), invitation links with
//! QR codes, and e-mail campaigns with progress and cancel.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use eventhub_core::{
    invitations::{self, SendOptions, SendProgress},
    mail::{self, template::Lang, Mailer},
    secrets, Code, Error,
};
use eventhub_portal::{self as portal, address, PortalHandle};
use serde::Serialize;
use tauri::{ipc::Channel, State};
use tokio::sync::Mutex;

use crate::{commands::mail::MailState, error::CmdResult, state::AppState};

#[derive(Default)]
pub struct InvitationState {
    portal: Mutex<Option<(PortalHandle, PortalInfo)>>,
    cancel: Arc<AtomicBool>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PortalInfo {
    pub port: u16,
    /// The address on this machine.
    pub local_url: String,
    /// Addresses phones on the same network can use (empty when bound to loopback only).
    pub lan_urls: Vec<String>,
    /// The address links carry (the public address, the chosen interface's, or local).
    pub base_url: String,
    /// A QR code (SVG) of `base_url`, for the settings screen.
    pub qr_svg: String,
}

impl PortalInfo {
    /// The address put in links.
    fn public_url(&self) -> &str {
        &self.base_url
    }
}

#[derive(Serialize, ts_rs::TS)]
#[ts(rename = "InvitationLink")]
pub struct Link {
    url: String,
    qr_svg: String,
}

/// Start the portal on its saved port and address (chosen once, kept across restarts so
/// links already e-mailed keep working). `port` changes the saved port.
#[tauri::command]
pub async fn portal_start(
    state: State<'_, AppState>,
    inv: State<'_, InvitationState>,
    lan: bool,
    port: Option<u16>,
) -> CmdResult<PortalInfo> {
    let mut slot = inv.portal.lock().await;
    if let Some((_, info)) = slot.as_ref() {
        return Ok(info.clone());
    }
    let core = state.core().await?;
    if let Some(p) = port {
        let mut a = address::load(&core).await?;
        a.port = Some(p);
        address::save(&core, &a).await?;
    }
    let started = address::start_saved(&core, lan).await?;
    let port = started.handle.addr.port();
    let info = PortalInfo {
        port,
        local_url: format!("http://127.0.0.1:{port}"),
        lan_urls: if lan { portal::lan_urls(port) } else { vec![] },
        qr_svg: invitations::qr_svg(&started.base_url)?,
        base_url: started.base_url,
    };
    *slot = Some((started.handle, info.clone()));
    Ok(info)
}

/// The saved portal address settings and this machine's interfaces (physical first).
#[derive(Serialize, ts_rs::TS)]
pub struct PortalAddressInfo {
    #[serde(flatten)]
    saved: address::PortalAddress,
    interfaces: Vec<address::Interface>,
}

#[tauri::command]
pub async fn portal_address(state: State<'_, AppState>) -> CmdResult<PortalAddressInfo> {
    Ok(PortalAddressInfo {
        saved: address::load(&state.core().await?).await?,
        interfaces: address::interfaces(),
    })
}

/// Save the portal's port, interface and public address (applied at the next start).
#[tauri::command]
pub async fn portal_address_save(
    state: State<'_, AppState>,
    settings: address::PortalAddress,
) -> CmdResult<address::PortalAddress> {
    Ok(address::save(&state.core().await?, &settings).await?)
}

#[tauri::command]
pub async fn portal_stop(inv: State<'_, InvitationState>) -> CmdResult<()> {
    if let Some((h, _)) = inv.portal.lock().await.take() {
        h.stop().await;
    }
    Ok(())
}

#[tauri::command]
pub async fn portal_status(inv: State<'_, InvitationState>) -> CmdResult<Option<PortalInfo>> {
    Ok(inv.portal.lock().await.as_ref().map(|(_, i)| i.clone()))
}

async fn base_url(inv: &InvitationState) -> CmdResult<String> {
    match inv.portal.lock().await.as_ref() {
        Some((_, info)) => Ok(info.public_url().to_owned()),
        None => Err(Error::new(
            Code::Validation,
            "start the participant portal first: invitation links point to it",
        )
        .with_reason("portal_not_running", [])
        .into()),
    }
}

/// A new personal link for one participant (replaces the previous one), with its QR code.
#[tauri::command]
pub async fn invitation_link(
    state: State<'_, AppState>,
    inv: State<'_, InvitationState>,
    participant_id: String,
) -> CmdResult<Link> {
    let base = base_url(&inv).await?;
    let token = invitations::issue_token(&state.core().await?, &participant_id, None).await?;
    let url = format!("{base}/r/{token}");
    Ok(Link {
        qr_svg: invitations::qr_svg(&url)?,
        url,
    })
}

/// A new shareable registration link for an event (revokes the previous one).
#[tauri::command]
pub async fn event_share_link(
    state: State<'_, AppState>,
    inv: State<'_, InvitationState>,
    event_id: String,
) -> CmdResult<Link> {
    let base = base_url(&inv).await?;
    let token = invitations::issue_event_link(&state.core().await?, &event_id).await?;
    let url = format!("{base}/e/{token}");
    Ok(Link {
        qr_svg: invitations::qr_svg(&url)?,
        url,
    })
}

#[tauri::command]
pub async fn invitations_queue(
    state: State<'_, AppState>,
    event_id: String,
    ids: Option<Vec<String>>,
    resend: bool,
) -> CmdResult<u64> {
    Ok(invitations::queue(&state.core().await?, &event_id, ids.as_deref(), resend).await?)
}

#[derive(Serialize, ts_rs::TS)]
pub struct InvitationCount {
    #[ts(as = "eventhub_core::participants::InvitationStatus")]
    status: String,
    count: u64,
}

#[tauri::command]
pub async fn invitations_counts(
    state: State<'_, AppState>,
    event_id: String,
) -> CmdResult<Vec<InvitationCount>> {
    let counts = invitations::invitation_counts(&state.core().await?, &event_id).await?;
    Ok(counts
        .into_iter()
        .map(|(status, count)| InvitationCount { status, count })
        .collect())
}

/// Send the queued invitations of an event, reporting progress on `on_progress`.
#[tauri::command]
pub async fn invitations_send(
    state: State<'_, AppState>,
    inv: State<'_, InvitationState>,
    mail_state: State<'_, MailState>,
    event_id: String,
    lang: Option<Lang>,
    per_minute: Option<u32>,
    on_progress: Channel<SendProgress>,
) -> CmdResult<SendProgress> {
    let core = state.core().await?;
    let base = base_url(&inv).await?;
    let mailer = campaign_mailer(&core, &mail_state).await?;
    let opts = SendOptions {
        base_url: base,
        lang: lang.unwrap_or_default(),
        per_minute: per_minute.unwrap_or(120),
        ..Default::default()
    };
    inv.cancel.store(false, Ordering::Relaxed);
    let cancel = inv.cancel.clone();
    let report = move |p: &SendProgress| {
        let _ = on_progress.send(p.clone());
    };
    Ok(invitations::send_queued(&core, &event_id, &mailer, &opts, &report, &cancel).await?)
}

/// The mailer of a campaign: the saved SMTP settings with their password (keychain, else
/// the one typed in this session).
pub(crate) async fn campaign_mailer(
    core: &eventhub_core::Core,
    mail_state: &MailState,
) -> CmdResult<Mailer> {
    let settings = mail::load_settings(core).await?.ok_or_else(|| {
        Error::new(
            Code::Validation,
            "configure the SMTP server in Settings before sending invitations",
        )
        .with_reason("smtp_not_configured", [])
    })?;
    let name = settings.secret_name();
    let password = match tokio::task::spawn_blocking(move || secrets::get(&name))
        .await
        .ok()
        .and_then(|r| r.ok())
        .flatten()
    {
        Some(p) => Some(p),
        None => mail_state.session_password(&settings).await,
    };
    Ok(Mailer::new(&settings, password.as_deref())?)
}

#[tauri::command]
pub async fn invitations_cancel(inv: State<'_, InvitationState>) -> CmdResult<()> {
    inv.cancel.store(true, Ordering::Relaxed);
    Ok(())
}
