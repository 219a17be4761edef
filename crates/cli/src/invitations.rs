//! `eventhub-cli invitations …` and `eventhub-cli portal serve`.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use clap::Subcommand;
use eventhub_core::{
    invitations::{self, SendOptions, SendProgress},
    mail::{self, template::Lang, Mailer},
    portal, secrets, Code, Core, Error,
};

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
    /// Print a new personal link (and replace the old one) for a participant.
    Link {
        participant: String,
        #[arg(long)]
        base_url: String,
    },
}

#[derive(Subcommand)]
pub enum PortalCmd {
    /// Serve the participant portal (RSVP and registration pages) until Ctrl-C.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8787")]
        bind: String,
    },
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

pub async fn serve(cmd: &PortalCmd, core: &Core) -> Result<(), Error> {
    let PortalCmd::Serve { bind } = cmd;
    let addr = bind.parse().map_err(|_| {
        Error::invalid(
            "--bind",
            format!("'{bind}' is not an address like 0.0.0.0:8787"),
        )
    })?;
    let handle = portal::start(core.clone(), addr).await?;
    println!(
        "participant portal on http://{} (Ctrl-C to stop)",
        handle.addr
    );
    for url in portal::lan_urls(handle.addr.port()) {
        println!("  reachable at {url}");
    }
    let _ = tokio::signal::ctrl_c().await;
    handle.stop().await;
    Ok(())
}
