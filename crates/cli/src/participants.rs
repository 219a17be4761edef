//! `eventhub-cli participants …`: import, export, list, status changes, check-in, edit,
//! delete, erase, merge, seats on the plans, and the import benchmark.

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
    participants::{
        self,
        csv_export::{self, Lang},
        csv_import::{self, ImportOptions, Phase, Progress},
        seating::{self, GroupBy},
        ParticipantQuery, RsvpStatus,
    },
    Core, Error,
};

use crate::print_json;

#[derive(Subcommand)]
pub enum Cmd {
    /// Import a CSV file into an event; prints the per-row report. Exits non-zero when
    /// nothing could be imported (rows already there are not a failure).
    Import {
        /// Event id.
        event: String,
        file: PathBuf,
        /// Force the separator (`;`, `,`, `tab`, `|`); detected by default.
        #[arg(long)]
        separator: Option<String>,
        /// Force the encoding (`utf-8`, `windows-1252`, …); detected by default.
        #[arg(long)]
        encoding: Option<String>,
    },
    /// Show what an import would read: encoding, separator, columns, first rows.
    Inspect { file: PathBuf },
    /// Export the participants of an event to CSV (Excel-friendly).
    Export {
        /// Event id.
        event: String,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// `fr` (`;` separator) or `en` (`,`).
        #[arg(long, default_value = "fr")]
        lang: String,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, short)]
        search: Option<String>,
    },
    /// List the participants of an event.
    List {
        event: String,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, short)]
        search: Option<String>,
        #[arg(long, default_value_t = 1)]
        page: u32,
        #[arg(long, default_value_t = 50)]
        per_page: u32,
    },
    /// Change a participant's status (accepting a full event puts them on the waitlist).
    Status { id: String, status: String },
    /// Check a participant in.
    CheckIn { id: String },
    /// Change a participant's fields; the others stay. An e-mail another participant of
    /// the event has is refused, naming them.
    Edit {
        id: String,
        /// The version you read (refused if someone changed it since); default: current.
        #[arg(long)]
        version: Option<i64>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        company: Option<String>,
        #[arg(long)]
        role: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// A custom field, `key=value` (repeatable); an empty value removes the field.
        #[arg(long = "custom", value_name = "KEY=VALUE")]
        custom: Vec<String>,
    },
    /// Delete a participant: their seats go to the waitlists.
    Delete {
        id: String,
        #[arg(long)]
        version: Option<i64>,
    },
    /// Erase a person's data at their request: networking data, answers and the
    /// registration itself. Cannot be undone.
    Erase {
        id: String,
        /// Confirm the erasure.
        #[arg(long)]
        yes: bool,
    },
    /// Merge two records of the same person: `keep` survives, `other` is folded into it.
    Merge { keep: String, other: String },
    /// Give a participant a seat (`B12`) or a table (`T3`) on a seating plan.
    Seat {
        id: String,
        /// The plan's id (see `participants seating EVENT`).
        plan: String,
        label: String,
    },
    /// Free a participant's seat on the plan.
    Unseat { id: String },
    /// Who sits where, who has no seat yet, and the warnings.
    Seating { event: String },
    /// Seat every attendee without a seat on a plan's free seats.
    AutoSeat {
        event: String,
        plan: String,
        /// `company` (colleagues together) or `name`.
        #[arg(long, default_value = "company")]
        by: String,
    },
    /// Import benchmark: rows/s of our import vs a plain `insert_many` of the same
    /// documents, on a scratch database that is dropped afterwards.
    Bench {
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        rows: Vec<usize>,
    },
}

fn status_arg(s: &Option<String>) -> Result<Option<RsvpStatus>, Error> {
    match s {
        Some(s) => RsvpStatus::parse(s).map(Some).ok_or_else(|| {
            Error::invalid(
                "--status",
                format!("'{s}' is not one of invited, accepted, declined, tentative, waitlisted, checked_in, cancelled"),
            )
        }),
        None => Ok(None),
    }
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

pub async fn run(cmd: &Cmd, core: &Core, json: bool) -> Result<(), Error> {
    match cmd {
        Cmd::Import {
            event,
            file,
            separator,
            encoding,
        } => {
            let cancel = Arc::new(AtomicBool::new(false));
            let c = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    c.store(true, Ordering::SeqCst);
                }
            });
            let opts = ImportOptions {
                separator: separator.clone(),
                encoding: encoding.clone(),
                mapping: None,
            };
            let r = csv_import::import(core, event, file, &opts, &progress_line, &cancel).await?;
            eprintln!();
            if json {
                print_json(&r);
            } else {
                println!(
                    "file:      {} ({}, separator {})",
                    r.file,
                    r.encoding,
                    if r.separator == "\t" {
                        "tab"
                    } else {
                        &r.separator
                    }
                );
                for e in &r.errors {
                    println!(
                        "line {:>6}: {}{}",
                        e.line,
                        e.reason,
                        if e.email.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", e.email)
                        }
                    );
                }
                println!(
                    "rows: {}  imported: {}  rejected: {}{}  ({} ms)",
                    r.rows,
                    r.imported,
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
        Cmd::Inspect { file } => {
            let p = csv_import::inspect(file, &ImportOptions::default())?;
            if json {
                print_json(&p);
            } else {
                println!("encoding:  {}", p.encoding);
                println!(
                    "separator: {}",
                    if p.separator == "\t" {
                        "tab"
                    } else {
                        &p.separator
                    }
                );
                println!("rows:      {}", p.total_rows);
                for (h, t) in p.headers.iter().zip(&p.mapping) {
                    println!(
                        "  {h:<30} → {}",
                        serde_json::to_value(t)
                            .unwrap_or_default()
                            .as_str()
                            .unwrap_or("")
                    );
                }
            }
        }
        Cmd::Export {
            event,
            output,
            lang,
            status,
            search,
        } => {
            let lang = Lang::parse(lang)
                .ok_or_else(|| Error::invalid("--lang", format!("'{lang}' is not fr or en")))?;
            let q = ParticipantQuery {
                q: search.clone(),
                status: status_arg(status)?,
                ..Default::default()
            };
            match output {
                Some(path) => {
                    let n = csv_export::export_to_file(core, event, &q, lang, path).await?;
                    eprintln!("{n} participants written to {}", path.display());
                }
                None => {
                    let (bytes, _) = csv_export::export(core, event, &q, lang).await?;
                    std::io::stdout()
                        .write_all(&bytes)
                        .map_err(|e| Error::internal(e.to_string()))?;
                }
            }
        }
        Cmd::List {
            event,
            status,
            search,
            page,
            per_page,
        } => {
            let q = ParticipantQuery {
                q: search.clone(),
                status: status_arg(status)?,
                page: *page,
                per_page: *per_page,
                ..Default::default()
            };
            let p = participants::list(core, event, &q).await?;
            if json {
                print_json(&p);
            } else {
                for x in &p.items {
                    println!(
                        "{}  {:<11} {:<30} {:<36} {}",
                        x.id,
                        x.status.as_str(),
                        x.input.name,
                        x.input.email,
                        x.input.company
                    );
                }
                let counts: Vec<String> = p
                    .counts
                    .iter()
                    .filter(|c| c.count > 0)
                    .map(|c| format!("{} {}", c.status.as_str(), c.count))
                    .collect();
                println!("{} of {} · {}", p.items.len(), p.total, counts.join(", "));
            }
        }
        Cmd::Status { id, status } => {
            let s = status_arg(&Some(status.clone()))?.unwrap_or_default();
            let p = participants::set_status(core, id, None, s).await?;
            if json {
                print_json(&p);
            } else {
                println!("{} is now {}", p.input.email, p.status.as_str());
            }
        }
        Cmd::CheckIn { id } => {
            let p = participants::check_in(core, id).await?;
            if json {
                print_json(&p);
            } else {
                println!("{} checked in", p.input.email);
            }
        }
        Cmd::Edit {
            id,
            version,
            name,
            email,
            company,
            role,
            phone,
            custom,
        } => {
            let cur = participants::get(core, id).await?;
            let mut input = cur.input.clone();
            for (field, v) in [
                (&mut input.name, name),
                (&mut input.email, email),
                (&mut input.company, company),
                (&mut input.role, role),
                (&mut input.phone, phone),
            ] {
                if let Some(v) = v {
                    *field = v.clone();
                }
            }
            for kv in custom {
                let (k, v) = kv.split_once('=').ok_or_else(|| {
                    Error::invalid("--custom", format!("'{kv}' is not KEY=VALUE"))
                })?;
                if v.is_empty() {
                    input.custom.remove(k);
                } else {
                    input
                        .custom
                        .insert(k.to_owned(), serde_json::Value::String(v.to_owned()));
                }
            }
            let p = participants::update(core, id, version.unwrap_or(cur.version), input).await?;
            if json {
                print_json(&p);
            } else {
                println!("{} updated (version {})", p.input.email, p.version);
            }
        }
        Cmd::Delete { id, version } => {
            participants::delete(core, id, *version).await?;
            if json {
                print_json(&serde_json::json!({ "deleted": id }));
            } else {
                println!("{id} deleted");
            }
        }
        Cmd::Erase { id, yes } => {
            if !yes {
                return Err(Error::invalid(
                    "--yes",
                    "erasing a person's data cannot be undone: add --yes to confirm",
                ));
            }
            let r = participants::erase(core, id).await?;
            if json {
                print_json(&r);
            } else {
                println!(
                    "{id} erased: registration, {} profile(s), {} connection(s), {} meeting(s), {} answer(s)",
                    r.profiles, r.connections, r.meetings, r.feedback_answers
                );
            }
        }
        Cmd::Merge { keep, other } => {
            let r = participants::merge(core, keep, other).await?;
            if json {
                print_json(&r);
            } else {
                println!(
                    "{other} merged into {} ({}): {} answer(s) and {} connection(s) moved",
                    keep, r.participant.input.email, r.answers_moved, r.connections_moved
                );
            }
        }
        Cmd::Seat { id, plan, label } => {
            let p = seating::assign(core, id, plan, label).await?;
            if json {
                print_json(&p);
            } else if let Some(s) = &p.seat {
                println!("{} is on {}", p.input.email, s.label);
            }
        }
        Cmd::Unseat { id } => {
            let p = seating::unassign(core, id).await?;
            if json {
                print_json(&p);
            } else {
                println!("{} has no seat now", p.input.email);
            }
        }
        Cmd::Seating { event } => {
            let o = seating::overview(core, event).await?;
            if json {
                print_json(&o);
            } else {
                for p in &o.plans {
                    println!(
                        "{}  {:<20} {} seats, {} given, {} free",
                        p.plan.id, p.plan.room, p.capacity, p.assigned, p.free
                    );
                    for s in p.seats.iter().filter(|s| s.participant.is_some()) {
                        if let Some(x) = &s.participant {
                            println!("  {:<6} {} <{}> {}", s.label, x.name, x.email, x.company);
                        }
                    }
                }
                println!("{} attendee(s) without a seat", o.unseated.len());
                for w in &o.warnings {
                    println!(
                        "warning: {} {}",
                        w.code,
                        serde_json::Value::Object(w.params.clone())
                    );
                }
            }
        }
        Cmd::AutoSeat { event, plan, by } => {
            let group = match by.as_str() {
                "company" => GroupBy::Company,
                "name" => GroupBy::Name,
                other => {
                    return Err(Error::invalid(
                        "--by",
                        format!("'{other}' is not company or name"),
                    ))
                }
            };
            let r = seating::auto_assign(core, event, plan, group).await?;
            if json {
                print_json(&r);
            } else {
                println!("{} seated, {} left without a seat", r.assigned, r.left);
            }
        }
        Cmd::Bench { rows } => {
            let name = format!("eventhub_bench_{}", &uuid_suffix());
            let scratch = core.on_database(&name);
            scratch.ensure_schema().await?;
            let mut results = vec![];
            let mut outcome = Ok(());
            for n in rows {
                match csv_import::bench(&scratch, *n).await {
                    Ok(r) => results.push(r),
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            let _ = scratch.drop_database().await;
            outcome?;
            if json {
                print_json(&results);
            } else {
                println!(
                    "server: {} {}\n{:>8}  {:>14}  {:>14}  {:>6}",
                    core.info().engine,
                    core.info().version,
                    "rows",
                    "ours rows/s",
                    "raw rows/s",
                    "ratio"
                );
                for r in &results {
                    println!(
                        "{:>8}  {:>14.0}  {:>14.0}  {:>6.2}   (ours {} ms: parse + check + unordered batches of {}; raw insert_many {} ms)",
                        r.rows,
                        r.ours_rows_per_s,
                        r.raw_rows_per_s,
                        r.ratio,
                        r.ours_ms,
                        csv_import::BATCH,
                        r.raw_ms
                    );
                }
            }
        }
    }
    Ok(())
}

fn uuid_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}", nanos % 0xffff_ffff)
}
