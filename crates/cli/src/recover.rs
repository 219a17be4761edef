//! `eventhub-cli jobs …` (imports and campaigns left half-done by a crash: finish or roll
//! back) and `eventhub-cli backup …` (one file holding the whole store).

use std::{path::PathBuf, sync::atomic::AtomicBool};

use clap::Subcommand;
use eventhub_core::{
    backup,
    error::Code,
    jobs::{self, Work},
    mail::{self, Mailer},
    secrets, Core, Error,
};

use crate::print_json;

#[derive(Subcommand)]
pub enum JobsCmd {
    /// Imports and campaigns left half-done (`--all`: every job recorded).
    List {
        #[arg(long)]
        all: bool,
    },
    /// Finish a job left half-done: the rest of an import (from the same, unchanged
    /// file), or the rest of a campaign's queue.
    Resume { id: String },
    /// Undo a job left half-done: remove what an import wrote, take a campaign's queue
    /// back.
    Rollback { id: String },
}

#[derive(Subcommand)]
pub enum BackupCmd {
    /// Save every collection (and the sync state) into one file; works while the app runs.
    Create { file: PathBuf },
    /// Restore a backup into the database (`--db`), which must hold no data unless
    /// `--replace`.
    Restore {
        file: PathBuf,
        #[arg(long)]
        replace: bool,
    },
    /// Check a backup file and show what it holds.
    Inspect { file: PathBuf },
}

pub async fn jobs(cmd: &JobsCmd, core: &Core, json: bool) -> Result<(), Error> {
    match cmd {
        JobsCmd::List { all } => {
            let list = jobs::list(core, *all).await?;
            if json {
                print_json(&list);
            } else if list.is_empty() {
                println!("no job left half-done");
            } else {
                for j in &list {
                    println!(
                        "{}  {:<8} {:<11} {}  event {}  started {}{}",
                        j.id,
                        j.kind(),
                        format!("{:?}", j.state).to_lowercase(),
                        j.label,
                        j.event_id,
                        j.started_at.format("%Y-%m-%d %H:%M:%S"),
                        j.error
                            .as_deref()
                            .map(|c| format!("  ({c})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        JobsCmd::Resume { id } => {
            let job = jobs::get(core, id).await?;
            let cancel = AtomicBool::new(false);
            match job.work {
                Work::Import { .. } => {
                    let r = jobs::resume_import(core, id, &|_| {}, &cancel).await?;
                    if json {
                        print_json(&r);
                    } else {
                        println!(
                            "rows: {}  imported now: {}  already present: {}  rejected: {}",
                            r.rows, r.imported, r.already_present, r.rejected
                        );
                    }
                }
                Work::Campaign { .. } => {
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
                    let p = jobs::resume_campaign(core, id, &mailer, &|_| {}, &cancel).await?;
                    if json {
                        print_json(&p);
                    } else {
                        println!(
                            "{} sent, {} failed, {} to retry",
                            p.sent, p.failed, p.retrying
                        );
                    }
                }
            }
        }
        JobsCmd::Rollback { id } => {
            let r = jobs::rollback(core, id).await?;
            if json {
                print_json(&r);
            } else {
                println!(
                    "{} rolled back: {} {}",
                    r.job.kind(),
                    r.undone,
                    match r.job.work {
                        Work::Import { .. } => "participant(s) removed",
                        Work::Campaign { .. } => "invitation(s) taken out of the queue",
                    }
                );
            }
        }
    }
    Ok(())
}

pub async fn backup(cmd: &BackupCmd, core: &Core, json: bool) -> Result<(), Error> {
    let summary = match cmd {
        BackupCmd::Create { file } => backup::backup(core, file, &|_| {}).await?,
        BackupCmd::Restore { file, replace } => {
            backup::restore(core, file, *replace, &|_| {}).await?
        }
        BackupCmd::Inspect { file } => {
            let manifest = backup::inspect(file)?;
            let counts = backup::verify(file)?;
            backup::Summary {
                manifest,
                documents: counts.values().sum(),
                counts,
                bytes: std::fs::metadata(file).map(|m| m.len()).unwrap_or(0),
            }
        }
    };
    if json {
        print_json(&summary);
    } else {
        println!(
            "{} documents in {} collections ({} bytes; database {}, made {})",
            summary.documents,
            summary.counts.len(),
            summary.bytes,
            summary.manifest.database,
            summary.manifest.created_at
        );
        for (c, n) in &summary.counts {
            println!("  {c:<28} {n}");
        }
    }
    Ok(())
}
