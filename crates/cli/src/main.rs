//! `eventhub-cli`: the same core as the desktop app, for headless use and scripting.
//!
//! Connects to `--uri` / `MONGODB_URI`, or else starts (or joins) the embedded local
//! engine in the app's data folder, exactly like the desktop app.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use eventhub_core::{
    config,
    engine::{self, LocalEngine},
    Core, Error,
};

mod bench_all;
mod events;
mod feedback;
mod invitations;
mod lab;
mod networking;
mod participants;
mod recover;
mod report;
mod social;
mod sync;

#[derive(Parser)]
#[command(name = "eventhub-cli", version, about = "EventHub on the command line")]
struct Cli {
    /// MongoDB connection string (default: the embedded local database).
    #[arg(long, env = "MONGODB_URI", hide_env_values = true, global = true)]
    uri: Option<String>,
    /// Database name.
    #[arg(long, env = "EVENTHUB_DB", default_value = config::DEFAULT_DB, global = true)]
    db: String,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The database: server, version, missing features.
    Db {
        #[command(subcommand)]
        cmd: DbCmd,
    },
    /// List, show, create and delete events.
    Events {
        #[command(subcommand)]
        cmd: events::Cmd,
    },
    /// The index lab: synthetic data, index runs, report.
    Lab {
        #[command(subcommand)]
        cmd: lab::LabCmd,
    },
    /// Benchmarks of the app itself.
    Bench {
        #[command(subcommand)]
        cmd: feedback::BenchCmd,
    },
    /// Participants: CSV import and export, list, status, check-in, edit, delete, erase,
    /// merge, seats on the plans, import benchmark.
    Participants {
        #[command(subcommand)]
        cmd: participants::Cmd,
    },
    /// E-mail invitations: send a campaign, see statuses, make a personal link.
    Invitations {
        #[command(subcommand)]
        cmd: invitations::Cmd,
    },
    /// The participant portal (RSVP and registration pages).
    Portal {
        #[command(subcommand)]
        cmd: invitations::PortalCmd,
    },
    /// Offline-first sync with a remote MongoDB (Atlas): run, dry run, conflicts, bench.
    Sync {
        #[command(subcommand)]
        cmd: sync::Cmd,
    },
    /// The analytics dashboard: show an event's figures, explain its pipelines, synthetic data.
    Dashboard {
        #[command(subcommand)]
        cmd: feedback::DashboardCmd,
    },
    /// Social: import posts (X archive, Mastodon JSON, CSV), fetch a Mastodon hashtag,
    /// analysis.
    Social {
        #[command(subcommand)]
        cmd: social::Cmd,
    },
    /// Networking between participants: the organiser's figures.
    Networking {
        #[command(subcommand)]
        cmd: networking::Cmd,
    },
    /// The presentation and the report for the IT department (FR/EN), from the saved
    /// lab runs and benchmarks.
    Report(report::ReportArgs),
    /// Imports and campaigns left half-done by a crash: list, finish, roll back.
    Jobs {
        #[command(subcommand)]
        cmd: recover::JobsCmd,
    },
    /// Back up the whole store into one file, or restore one.
    Backup {
        #[command(subcommand)]
        cmd: recover::BackupCmd,
    },
    /// Load data sets.
    Seed {
        /// The bilingual demo events.
        #[arg(long)]
        demo: bool,
    },
}

#[derive(Subcommand)]
enum DbCmd {
    /// Which server EventHub talks to and what it lacks.
    Status,
}

struct Session {
    core: Core,
    engine: Option<LocalEngine>,
}

async fn open(cli: &Cli) -> Result<Session, Error> {
    if let Some(uri) = cli.uri.as_deref().filter(|u| !u.trim().is_empty()) {
        return Ok(Session {
            core: Core::connect(uri, &cli.db).await?,
            engine: None,
        });
    }
    let engine = engine::start_default().await?;
    let core = Core::connect(&engine.uri(), &cli.db).await;
    let mut session_engine = Some(engine);
    match core {
        Ok(core) => Ok(Session {
            core,
            engine: session_engine,
        }),
        Err(e) => {
            close(&mut session_engine).await;
            Err(e)
        }
    }
}

/// Stop the engine only if this command started it (the app may be using it).
async fn close(engine: &mut Option<LocalEngine>) {
    if let Some(mut e) = engine.take() {
        if e.started_here {
            e.stop().await;
        }
    }
}

pub(crate) fn print_json<T: serde::Serialize>(v: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("\"{e}\""))
    );
}

pub(crate) fn tz_fmt(dt: chrono::DateTime<chrono::Utc>, tz: &str) -> String {
    match tz.parse::<chrono_tz::Tz>() {
        Ok(z) => dt.with_timezone(&z).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => dt.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

async fn run(cli: &Cli, core: &Core) -> Result<(), Error> {
    match &cli.cmd {
        Cmd::Db { cmd: DbCmd::Status } => {
            let info = core.info();
            if cli.json {
                print_json(info);
            } else {
                println!("server:    {} {}", info.engine, info.version);
                println!("uri:       {}", info.uri);
                println!("database:  {}", info.database);
                println!(
                    "replica:   {}",
                    info.replica_set.as_deref().unwrap_or("none (standalone)")
                );
                println!(
                    "missing:   {}",
                    if info.missing.is_empty() {
                        "nothing".to_owned()
                    } else {
                        info.missing.join(", ")
                    }
                );
                println!(
                    "search:    {}",
                    eventhub_core::events::SearchMode::for_server(core).as_str()
                );
            }
        }
        Cmd::Events { cmd } => events::run(cmd, core, cli.json).await?,
        Cmd::Invitations { cmd } => invitations::run(cmd, core, cli.json).await?,
        Cmd::Portal { cmd } => invitations::portal(cmd, core, cli.json).await?,
        Cmd::Sync { cmd } => sync::run(cmd, core, cli.json).await?,
        Cmd::Participants { cmd } => participants::run(cmd, core, cli.json).await?,
        Cmd::Lab { cmd } => lab::run(cmd, core, cli.json).await?,
        Cmd::Bench {
            cmd: feedback::BenchCmd::Lab(cmd),
        } => lab::bench(cmd, core, cli.json).await?,
        Cmd::Bench {
            cmd: feedback::BenchCmd::Portal(b),
        } => feedback::bench_portal(b, core, cli.json).await?,
        Cmd::Bench {
            cmd: feedback::BenchCmd::PortalBurst(b),
        } => feedback::bench_portal_burst(b, core, cli.json).await?,
        Cmd::Bench {
            cmd: feedback::BenchCmd::All(a),
        } => bench_all::run(a, core).await?,
        Cmd::Dashboard { cmd } => feedback::run(cmd, core, cli.json).await?,
        Cmd::Social { cmd } => social::run(cmd, core, cli.json).await?,
        Cmd::Networking { cmd } => networking::run(cmd, core, cli.json).await?,
        Cmd::Report(a) => report::run(a, core, cli.json).await?,
        Cmd::Jobs { cmd } => recover::jobs(cmd, core, cli.json).await?,
        Cmd::Backup { cmd } => recover::backup(cmd, core, cli.json).await?,
        Cmd::Seed { demo } => {
            if !demo {
                return Err(Error::invalid("seed", "choose a data set: --demo"));
            }
            let n = eventhub_core::seed::demo(core).await?;
            println!("{n} demo events created");
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    // Like any Unix command: `eventhub-cli … | head` ends quietly when the reader goes
    // away, instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE at start-up, before any thread
    // writes to a pipe.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let mut session = match open(&cli).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error [{}]: {}", e.code.as_str(), e.message);
            return ExitCode::from(2);
        }
    };
    let result = run(&cli, &session.core).await;
    // The answer tallies' follower leaves between two of its transactions.
    eventhub_core::feedback::follow::stop(&session.core).await;
    // End the driver's sessions and pool now, while the runtime is alive (a client dropped
    // during runtime shutdown makes the driver's cleanup task panic).
    session
        .core
        .client()
        .clone()
        .shutdown()
        .immediate(true)
        .await;
    close(&mut session.engine).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error [{}]: {}", e.code.as_str(), e.message);
            ExitCode::from(1)
        }
    }
}
