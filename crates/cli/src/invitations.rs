//! `eventhub-cli invitations …` and `eventhub-cli portal serve`.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use clap::Subcommand;
use eventhub_core::{
    invitations::{self, SendOptions, SendProgress},
    mail::{self, template::Lang, Mailer},
    secrets, Code, Core, Error,
};
use eventhub_portal as portal;

use crate::print_json;

#[derive(Subcommand)]
pub enum Cmd {
    /// Queue and send the invitations of an event by e-mail (SMTP settings from the
    /// database; password from the keychain or EVENTHUB_SMTP_PASSWORD). Ctrl-C stops
    /// cleanly; what was not sent stays queued.
    Send {
        event: String,
        /// The participant portal's public address (links are BASE/r/TOKEN).
        #[arg(long)]
        base_url: String,
        /// fr or en.
        #[arg(long, default_value = "fr")]
        lang: String,
        /// Throttle (messages per minute, 0 = no limit).
        #[arg(long, default_value_t = 120)]
        per_minute: u32,
        /// Also re-send to those already invited or failed.
        #[arg(long)]
        resend: bool,
    },
    /// Counts of invitation statuses for an event.
    Status { event: String },
    /// Benchmark: send COUNT invitations to a loopback SMTP server (aiosmtpd), through the
    /// full campaign (claim, token, render, send, record) and, side by side, the same
    /// number of prebuilt messages straight through lettre. Uses a scratch database.
    Bench {
        #[arg(long, default_value_t = 500)]
        count: u32,
    },
    /// Print a new personal link (and replace the old one) for a participant.
    Link {
        participant: String,
        #[arg(long)]
        base_url: String,
    },
}

#[derive(Subcommand)]
pub enum PortalCmd {
    /// Serve the participant portal (RSVP and registration pages) until Ctrl-C. Stateless:
    /// several instances may serve one database behind a load balancer.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8787")]
        bind: String,
        /// The portal's address as visitors reach it, for the links it e-mails
        /// (default: http://<bind>, or https:// with --cert).
        #[arg(long)]
        public_url: Option<String>,
        /// Behind a reverse proxy: take the client's address from X-Forwarded-For.
        #[arg(long)]
        trust_forwarded: bool,
        /// Requests per second allowed from one client address (0: no limit). A venue's
        /// Wi-Fi puts many phones behind one address: raise it there.
        #[arg(long, default_value_t = 40)]
        per_address: u32,
        /// Open connections at most.
        #[arg(long, default_value_t = 1024)]
        max_connections: usize,
        /// HTTPS: the certificate chain (PEM); needs --key.
        #[arg(long, requires = "key")]
        cert: Option<std::path::PathBuf>,
        /// HTTPS: the private key (PEM).
        #[arg(long, requires = "cert")]
        key: Option<std::path::PathBuf>,
    },
    /// Show or change an event's portal settings.
    Settings {
        event: String,
        /// Accept registrations through the shareable link.
        #[arg(long)]
        registration_open: Option<bool>,
        /// Registrations wait for a confirmation link e-mailed to the address (false for a
        /// kiosk at the venue).
        #[arg(long)]
        confirm_email: Option<bool>,
        /// Personal links work this many days after the event ends.
        #[arg(long)]
        link_grace_days: Option<u32>,
    },
    /// Make a new shareable registration link for an event (the previous one stops working).
    ShareLink {
        event: String,
        #[arg(long)]
        base_url: String,
    },
    /// Open a poll (or survey question) for answers.
    PollOpen { question: String },
    /// Close a poll: no more answers.
    PollClose { question: String },
}

pub async fn run(cmd: &Cmd, core: &Core, json: bool) -> Result<(), Error> {
    match cmd {
        Cmd::Send {
            event,
            base_url,
            lang,
            per_minute,
            resend,
        } => {
            let lang = match lang.as_str() {
                "fr" => Lang::Fr,
                "en" => Lang::En,
                other => {
                    return Err(Error::invalid(
                        "--lang",
                        format!("'{other}' is not fr or en"),
                    ))
                }
            };
            let settings = mail::load_settings(core).await?.ok_or_else(|| {
                Error::new(
                    Code::Validation,
                    "no SMTP settings: set them in the app's Settings screen",
                )
            })?;
            let password = match std::env::var("EVENTHUB_SMTP_PASSWORD").ok() {
                Some(p) => Some(p),
                None => secrets::get(&settings.secret_name()).ok().flatten(),
            };
            let mailer = Mailer::new(&settings, password.as_deref())?;
            let queued = invitations::queue(core, event, None, *resend).await?;
            eprintln!("{queued} invitation(s) queued");
            let cancel = Arc::new(AtomicBool::new(false));
            let c = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    c.store(true, Ordering::Relaxed);
                }
            });
            let opts = SendOptions {
                base_url: base_url.clone(),
                lang,
                per_minute: *per_minute,
                ..Default::default()
            };
            let report = |p: &SendProgress| {
                eprint!(
                    "\r{} sent, {} failed, {} to retry / {}",
                    p.sent, p.failed, p.retrying, p.total
                );
            };
            let done =
                invitations::send_queued(core, event, &mailer, &opts, &report, &cancel).await?;
            eprintln!();
            if json {
                print_json(&done);
            } else if done.cancelled {
                println!("stopped: {} sent, the rest stays queued", done.sent);
            } else {
                println!(
                    "{} sent, {} failed, {} to retry later",
                    done.sent, done.failed, done.retrying
                );
            }
            if done.sent == 0 && done.total > 0 {
                return Err(Error::new(
                    Code::DbUnavailable,
                    "no invitation could be sent",
                ));
            }
        }
        Cmd::Status { event } => {
            let counts = invitations::invitation_counts(core, event).await?;
            if json {
                print_json(&counts);
            } else {
                for (s, n) in counts {
                    println!("{s:<8} {n}");
                }
            }
        }
        Cmd::Bench { count } => bench(core, *count).await?,
        Cmd::Link {
            participant,
            base_url,
        } => {
            let token = invitations::issue_token(core, participant, None).await?;
            println!("{}/r/{token}", base_url.trim_end_matches('/'));
        }
    }
    Ok(())
}

pub async fn portal(cmd: &PortalCmd, core: &Core, json: bool) -> Result<(), Error> {
    use eventhub_core::{feedback, invitations::settings};
    match cmd {
        PortalCmd::Serve { .. } => serve(cmd, core).await,
        PortalCmd::Settings {
            event,
            registration_open,
            confirm_email,
            link_grace_days,
        } => {
            let patch = settings::SettingsPatch {
                registration_open: *registration_open,
                confirm_email: *confirm_email,
                link_grace_days: *link_grace_days,
            };
            let s = if patch == settings::SettingsPatch::default() {
                settings::get(core, event).await?
            } else {
                settings::update(core, event, &patch).await?
            };
            if json {
                print_json(&s);
            } else {
                println!("registration_open  {}", s.registration_open);
                println!("confirm_email      {}", s.confirm_email);
                println!("link_grace_days    {}", s.link_grace_days);
            }
            Ok(())
        }
        PortalCmd::ShareLink { event, base_url } => {
            let token = invitations::issue_event_link(core, event).await?;
            println!("{}/e/{token}", base_url.trim_end_matches('/'));
            Ok(())
        }
        PortalCmd::PollOpen { question } | PortalCmd::PollClose { question } => {
            let to = if matches!(cmd, PortalCmd::PollOpen { .. }) {
                feedback::QuestionStatus::Open
            } else {
                feedback::QuestionStatus::Closed
            };
            let q = feedback::set_status(core, question, to).await?;
            if json {
                print_json(&q);
            } else {
                println!("{} {:?}", q.id, q.status);
            }
            Ok(())
        }
    }
}

async fn serve(cmd: &PortalCmd, core: &Core) -> Result<(), Error> {
    let PortalCmd::Serve {
        bind,
        public_url,
        trust_forwarded,
        per_address,
        max_connections,
        cert,
        key,
    } = cmd
    else {
        return Ok(());
    };
    let addr: std::net::SocketAddr = bind.parse().map_err(|_| {
        Error::invalid(
            "--bind",
            format!("'{bind}' is not an address like 0.0.0.0:8787"),
        )
    })?;
    let tls = match (cert, key) {
        (Some(c), Some(k)) => Some(portal::tls_acceptor(c, k)?),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let limits = portal::Limits {
        per_address: (*per_address > 0)
            .then(|| portal::Rate::per_second(*per_address, per_address.saturating_mul(3))),
        ..Default::default()
    };
    let config = portal::PortalConfig {
        public_url: public_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{addr}")),
        trust_forwarded: *trust_forwarded,
        limits,
        max_connections: *max_connections,
        ..Default::default()
    };
    let handle = portal::start_with(core.clone(), addr, config, tls).await?;
    println!(
        "participant portal on {scheme}://{} (Ctrl-C to stop)",
        handle.addr
    );
    for url in portal::lan_urls(handle.addr.port()) {
        println!("  reachable at {url}");
    }
    wait_for_stop().await;
    handle.stop().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM from a service manager (systemd, a container runtime).
async fn wait_for_stop() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async {
                match term.as_mut() {
                    Some(t) => { t.recv().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn bench(core: &Core, count: u32) -> Result<(), Error> {
    use eventhub_core::{events, mail::OutgoingMail, participants};
    let scratch = Core::connect(
        &eventhub_core::testing::uri_of(core),
        &format!("eventhub_bench_smtp_{}", std::process::id()),
    )
    .await?;
    let dir = std::env::temp_dir().join(format!("eventhub-smtp-bench-{}", std::process::id()));
    let sink = eventhub_core::testing::SmtpSink::try_start(&dir)
        .map_err(|e| Error::new(Code::Unsupported, e))?;
    let settings = mail::SmtpSettings {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: mail::Security::None,
        username: String::new(),
        from_email: "bench@eventhub.test".into(),
        from_name: "Bench".into(),
    };
    let mailer = Mailer::new(&settings, None)?;
    let ev = events::create(
        &scratch,
        events::input_from_json(serde_json::json!({
            "title": "SMTP bench", "starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T17:00:00Z"
        }))?,
    )
    .await?;
    for i in 0..count {
        participants::create(
            &scratch,
            &ev.id,
            participants::ParticipantInput {
                name: format!("Guest {i}"),
                email: format!("guest{i}@bench.test"),
                ..Default::default()
            },
        )
        .await?;
    }
    invitations::queue(&scratch, &ev.id, None, false).await?;
    let opts = SendOptions {
        per_minute: 0,
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let done = invitations::send_queued(
        &scratch,
        &ev.id,
        &mailer,
        &opts,
        &|_| {},
        &AtomicBool::new(false),
    )
    .await?;
    let ours = t.elapsed().as_secs_f64();
    let msg = OutgoingMail {
        to_email: "raw@bench.test".into(),
        to_name: String::new(),
        subject: "raw".into(),
        text: "raw".into(),
        html: "<p>raw</p>".into(),
        calendar: None,
    };
    let t = std::time::Instant::now();
    for _ in 0..count {
        mailer.send(&msg).await.map_err(Error::from)?;
    }
    let raw = t.elapsed().as_secs_f64();
    drop(sink);
    let _ = std::fs::remove_dir_all(&dir);
    scratch.drop_database().await?;
    println!("invitations sent: {} of {count}", done.sent);
    println!(
        "campaign (claim + token + render + send + record): {:.1} invitations/s ({ours:.2} s)",
        f64::from(count) / ours
    );
    println!(
        "raw lettre send of prebuilt messages:              {:.1} messages/s ({raw:.2} s)",
        f64::from(count) / raw
    );
    println!("ratio ours / raw (time): {:.2}", ours / raw);
    Ok(())
}
