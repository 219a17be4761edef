//! `eventhub-cli social …`: import posts from a file, fetch a Mastodon hashtag, show the
//! analysis (or export it to CSV).

use std::{
    io::Write,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use clap::Subcommand;
use eventhub_core::{
    social::{
        self,
        import::{self, Format, ImportOptions, Phase, Progress},
        mastodon::{self, FetchOptions},
    },
    Core, Error,
};

use crate::print_json;

#[derive(Subcommand)]
pub enum Cmd {
    /// Import posts: an X/Twitter archive's tweets.js, Mastodon API JSON, or a CSV file
    /// (author, text, date, …). Prints the per-record report; exits non-zero when nothing
    /// could be imported (posts already imported before do not count as failures).
    Import {
        /// Event id.
        event: String,
        file: PathBuf,
        /// `auto`, `x`, `mastodon` or `csv`.
        #[arg(long, default_value = "auto")]
        format: String,
        /// The archive owner's screen name (X archives do not include it).
        #[arg(long)]
        author: Option<String>,
    },
    /// Fetch a Mastodon hashtag timeline into the event; a second run resumes.
    Fetch {
        /// Event id.
        event: String,
        /// Instance host name, e.g. mastodon.social.
        #[arg(long)]
        instance: String,
        /// Hashtag, with or without #.
        #[arg(long)]
        tag: String,
        /// Most requests to make (1–100).
        #[arg(long, default_value_t = 5)]
        pages: u32,
        /// Longest wait for a rate limit, in seconds.
        #[arg(long, default_value_t = 60)]
        max_wait: u64,
    },
    /// The analysis of an event's posts: volume, hashtags, authors, engagement, mentions
    /// of sessions and speakers, sentiment.
    Stats {
        /// Event id.
        event: String,
        /// Also write the analysis as CSV to this file (`-` for standard output).
        #[arg(long)]
        csv: Option<PathBuf>,
    },
}

fn progress_line(p: Progress) {
    let phase = match p.phase {
        Phase::Checking => "checking",
        Phase::Writing => "writing",
        Phase::RollingBack => "cancelling",
        Phase::Done => "done",
    };
    eprint!("\r{phase} {}/{}        ", p.done, p.total);
    let _ = std::io::stderr().flush();
}

fn ctrl_c_cancels() -> Arc<AtomicBool> {
    let cancel = Arc::new(AtomicBool::new(false));
    let c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c.store(true, Ordering::SeqCst);
        }
    });
    cancel
}

pub async fn run(cmd: &Cmd, core: &Core, json: bool) -> Result<(), Error> {
    match cmd {
        Cmd::Import {
            event,
            file,
            format,
            author,
        } => {
            let format = Format::parse(format).ok_or_else(|| {
                Error::invalid(
                    "--format",
                    format!("'{format}' is not one of auto, x, mastodon, csv"),
                )
            })?;
            let opts = ImportOptions {
                format,
                author: author.clone(),
            };
            let cancel = ctrl_c_cancels();
            let r = import::import(core, event, file, &opts, &progress_line, &cancel).await?;
            eprintln!();
            if json {
                print_json(&r);
            } else {
                println!("file:      {} ({})", r.file, r.format.as_str());
                for e in &r.errors {
                    println!(
                        "{} {:>6}: {}{}",
                        r.record_unit,
                        e.record,
                        e.reason,
                        if e.id.is_empty() {
                            String::new()
                        } else {
                            format!(" (id {})", e.id)
                        }
                    );
                }
                println!(
                    "records: {}  imported: {}  already present: {}  rejected: {}{}  ({} ms)",
                    r.records,
                    r.imported,
                    r.already_present,
                    r.rejected,
                    if r.cancelled {
                        "  CANCELLED: nothing kept"
                    } else {
                        ""
                    },
                    r.duration_ms
                );
            }
            if r.imported == 0 && r.already_present == 0 {
                return Err(Error::invalid(
                    "file",
                    format!("{}: nothing could be imported", r.file),
                ));
            }
        }
        Cmd::Fetch {
            event,
            instance,
            tag,
            pages,
            max_wait,
        } => {
            let opts = FetchOptions {
                instance: instance.clone(),
                tag: tag.clone(),
                pages: *pages,
                max_wait_ms: max_wait.saturating_mul(1000),
                ..Default::default()
            };
            let cancel = ctrl_c_cancels();
            let r = mastodon::fetch(core, event, &opts, &progress_line, &cancel).await?;
            eprintln!();
            if json {
                print_json(&r);
            } else {
                println!("#{} on {}", r.tag, r.instance);
                for e in &r.errors {
                    println!("status {:>4}: {} (id {})", e.record, e.reason, e.id);
                }
                println!(
                    "pages: {}  received: {}  imported: {}  already present: {}  rejected: {}  waited: {} ms",
                    r.pages, r.received, r.imported, r.already_present, r.rejected, r.waited_ms
                );
                println!(
                    "cursor: newest {}  oldest {}{}",
                    r.newest_id.as_deref().unwrap_or("-"),
                    r.oldest_id.as_deref().unwrap_or("-"),
                    if r.reached_end {
                        "  (start of the timeline reached)"
                    } else {
                        ""
                    }
                );
                if r.cancelled {
                    println!("cancelled: the pages already fetched are kept");
                }
            }
            if let Some(e) = &r.error {
                if r.imported == 0 {
                    return Err(Error::new(eventhub_core::Code::Internal, e.clone()));
                }
                eprintln!("stopped early: {e}");
            }
        }
        Cmd::Stats { event, csv } => {
            let a = social::analysis(core, event).await?;
            if let Some(path) = csv {
                let text = social::analysis_csv(&a)?;
                if path.as_os_str() == "-" {
                    print!("{text}");
                    return Ok(());
                }
                std::fs::write(path, text)
                    .map_err(|e| Error::invalid("--csv", format!("{}: {e}", path.display())))?;
                eprintln!("written: {}", path.display());
            }
            if json {
                print_json(&a);
                return Ok(());
            }
            let e = &a.engagement;
            println!("{} — {} posts", a.title, e.posts);
            println!(
                "engagement: {} likes, {} shares, {} replies ({} in all)",
                e.likes, e.shares, e.replies, e.total
            );
            let s = &a.sentiment;
            println!(
                "sentiment:  {} positive, {} neutral, {} negative (average {:.2})",
                s.positive, s.neutral, s.negative, s.average_score
            );
            let list = |title: &str, rows: Vec<(String, i64)>| {
                if !rows.is_empty() {
                    println!("{title}:");
                    for (k, n) in rows {
                        println!("  {n:>6}  {k}");
                    }
                }
            };
            list(
                "platforms",
                a.platforms
                    .iter()
                    .map(|k| (k.key.clone(), k.posts))
                    .collect(),
            );
            list(
                "top hashtags",
                a.top_hashtags
                    .iter()
                    .map(|k| (format!("#{}", k.key), k.posts))
                    .collect(),
            );
            list(
                "top authors",
                a.top_authors
                    .iter()
                    .map(|r| {
                        (
                            format!(
                                "{} ({} likes, {} shares, {} replies)",
                                r.author, r.likes, r.shares, r.replies
                            ),
                            r.posts,
                        )
                    })
                    .collect(),
            );
            let pct = |m: &social::analysis::MentionRow| {
                (format!("{} ({:.0} %)", m.name, m.share * 100.0), m.posts)
            };
            list("sessions mentioned", a.sessions.iter().map(pct).collect());
            list("speakers mentioned", a.speakers.iter().map(pct).collect());
            list(
                "posts per day",
                a.volume_by_day
                    .iter()
                    .map(|v| (crate::tz_fmt(v.at, &a.timezone), v.posts))
                    .collect(),
            );
        }
    }
    Ok(())
}
