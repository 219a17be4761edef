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
