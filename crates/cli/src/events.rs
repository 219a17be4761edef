//! `eventhub-cli events …`

use std::io::Read;

use clap::Subcommand;
use eventhub_core::{
    events::{self, EventQuery, Sort, Status},
    Core, Error,
};

use crate::{print_json, tz_fmt};

#[derive(Subcommand)]
pub enum Cmd {
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
    /// Change an event's title (a versioned update: refused if it changed meanwhile).
    Rename { id: String, title: String },
}

pub async fn run(cmd: &Cmd, core: &Core, json: bool) -> Result<(), Error> {
    match cmd {
        Cmd::List {
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
            // The page says how many match only when it shows them all: count otherwise.
            let total = match page.total {
                Some(n) => events::Total {
                    total: n,
                    capped: false,
                },
                None => events::count(core, &q).await?,
            };
            if json {
                // The page with its total filled in (and whether it was capped).
                let mut v = serde_json::to_value(&page).unwrap_or_default();
                v["total"] = total.total.into();
                v["capped"] = total.capped.into();
                print_json(&v);
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
                    "— {}–{} of {}{}",
                    if page.items.is_empty() { 0 } else { first + 1 },
                    first + page.items.len() as u32,
                    total.total,
                    if total.capped { "+" } else { "" }
                );
            }
        }
        Cmd::Show { id } => {
            let e = events::get(core, id).await?;
            if json {
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
        Cmd::Create {
            title,
            starts,
            ends,
            timezone,
            venue,
            description,
            tags,
            from_json,
        } => {
            let doc = match from_json {
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
            let input = events::input_from_json(doc)?;
            let e = events::create(core, input).await?;
            if json {
                print_json(&e);
            } else {
                println!("{}", e.id);
            }
        }
        Cmd::Rename { id, title } => {
            let current = events::get(core, id).await?;
            let mut input = current.input;
            input.title = title.clone();
            let e = events::update(core, id, current.version, input).await?;
            if json {
                print_json(&e);
            } else {
                println!("{} v{}", e.input.title, e.version);
            }
        }
        Cmd::Delete { id } => {
            events::delete(core, id, None).await?;
            if !json {
                println!("deleted {id}");
            }
        }
    }
    Ok(())
}
