//! `eventhub-cli`: the same core as the desktop app, for headless use and scripting.
//!
//! Connects to `--uri` / `MONGODB_URI`, or else starts (or joins) the embedded local
//! engine in the app's data folder, exactly like the desktop app.

use std::{io::Read, process::ExitCode};

use clap::{Parser, Subcommand};
use eventhub_core::{
    config,
    engine::{self, LocalEngine},
    events::{self, EventQuery, Sort, Status},
    Core, Error,
};

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
        cmd: EventsCmd,
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

#[derive(Subcommand)]
enum EventsCmd {
    /// List events, with search and filters.
    List {
        /// Words to search (accent- and case-insensitive).
        #[arg(long, short)]
        search: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        venue: Option<String>,
        /// starts_at | starts_at_desc | title | updated_at
        #[arg(long, default_value = "starts_at")]
        sort: String,
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 25)]
        per_page: u32,
    },
    /// Show one event in full.
    Show { id: String },
    /// Create an event from flags, or from a JSON document (`--from-json FILE`, `-` for stdin).
    Create {
        #[arg(long, required_unless_present = "from_json")]
        title: Option<String>,
        /// RFC 3339, e.g. 2027-03-01T09:00:00+01:00
        #[arg(long, required_unless_present = "from_json")]
        starts: Option<String>,
        #[arg(long, required_unless_present = "from_json")]
        ends: Option<String>,
        #[arg(long, default_value = "Europe/Paris")]
        timezone: String,
        #[arg(long)]
        venue: Option<String>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[arg(long, conflicts_with_all = ["title", "starts", "ends"])]
        from_json: Option<String>,
    },
    /// Delete an event (it stays as a tombstone until synced).
    Delete { id: String },
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

fn print_json<T: serde::Serialize>(v: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("\"{e}\""))
    );
}

fn tz_fmt(dt: chrono::DateTime<chrono::Utc>, tz: &str) -> String {
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
                    events::SearchMode::for_server(core).as_str()
                );
            }
        }
        Cmd::Events { cmd } => match cmd {
            EventsCmd::List {
                search,
                status,
                tag,
                venue,
                sort,
                page,
                per_page,
            } => {
                let status = match status {
                    Some(s) => Some(Status::parse(s).ok_or_else(|| {
                        Error::invalid(
                            "--status",
                            format!("'{s}' is not one of draft, published, cancelled, archived"),
                        )
                    })?),
                    None => None,
                };
                let sort: Sort = events::from_json("--sort", serde_json::json!(sort))?;
                let q = EventQuery {
                    q: search.clone(),
                    status,
                    tag: tag.clone(),
                    venue: venue.clone(),
                    sort,
                    page: *page,
                    per_page: *per_page,
                    ..Default::default()
                };
                let page = events::list(core, &q).await?;
                if cli.json {
                    print_json(&page);
                } else {
                    for e in &page.items {
                        println!(
                            "{}  {}  {:<10} {}  @ {}",
                            e.id,
                            tz_fmt(e.starts_at, &e.timezone),
                            e.status.as_str(),
                            e.title,
                            e.venue_name
                        );
                    }
                    let first = (page.page - 1) * page.per_page;
                    println!(
                        "— {}–{} of {}",
                        if page.items.is_empty() { 0 } else { first + 1 },
                        first + page.items.len() as u32,
                        page.total
                    );
                }
            }
            EventsCmd::Show { id } => {
                let e = events::get(core, id).await?;
                if cli.json {
                    print_json(&e);
                } else {
                    let i = &e.input;
                    println!("{} [{}] v{}", i.title, i.status.as_str(), e.version);
                    println!(
                        "  {} → {} ({})",
                        tz_fmt(i.starts_at, &i.timezone),
                        tz_fmt(i.ends_at, &i.timezone),
                        i.timezone
                    );
                    println!("  venue: {} — {}", i.venue.name, i.venue.address);
                    if !i.tags.is_empty() {
                        println!("  tags: {}", i.tags.join(", "));
                    }
                    for s in &i.speakers {
                        println!("  speaker: {} ({})", s.name, s.title);
                    }
                    for s in &i.sessions {
                        println!(
                            "  session: {} {} [{}]",
                            tz_fmt(s.starts_at, &i.timezone),
                            s.title,
                            s.room
                        );
                    }
                    for p in &i.seating {
                        println!("  seating: {} — {} seats", p.room, p.capacity());
                    }
                    for (k, v) in &i.custom {
                        println!("  {k}: {v}");
                    }
                }
            }
            EventsCmd::Create {
                title,
                starts,
                ends,
                timezone,
                venue,
                description,
                tags,
                from_json,
            } => {
                let json = match from_json {
                    Some(path) => {
                        let mut text = String::new();
                        if path == "-" {
                            std::io::stdin().read_to_string(&mut text)
                        } else {
                            std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text))
                        }
                        .map_err(|e| Error::invalid(path.as_str(), format!("cannot read: {e}")))?;
                        serde_json::from_str(&text).map_err(|e| {
                            Error::invalid(
                                path.as_str(),
                                format!(
                                    "not valid JSON at line {}, column {}: {e}",
                                    e.line(),
                                    e.column()
                                ),
                            )
                        })?
                    }
                    None => serde_json::json!({
                        "title": title,
                        "starts_at": starts,
                        "ends_at": ends,
                        "timezone": timezone,
                        "description": description.clone().unwrap_or_default(),
                        "venue": { "name": venue.clone().unwrap_or_default(), "address": "" },
                        "tags": tags,
                    }),
                };
                let input = events::input_from_json(json)?;
                let e = events::create(core, input).await?;
                if cli.json {
                    print_json(&e);
                } else {
                    println!("{}", e.id);
                }
            }
            EventsCmd::Delete { id } => {
                events::delete(core, id, None).await?;
                if !cli.json {
                    println!("deleted {id}");
                }
            }
        },
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
    let cli = Cli::parse();
    let mut session = match open(&cli).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error [{}]: {}", e.code.as_str(), e.message);
            return ExitCode::from(2);
        }
    };
    let result = run(&cli, &session.core).await;
    close(&mut session.engine).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error [{}]: {}", e.code.as_str(), e.message);
            ExitCode::from(1)
        }
    }
}
