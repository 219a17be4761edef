//! `eventhub-cli sync …`: synchronise the local store with a remote MongoDB.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use bson::{doc, Document};
use clap::Subcommand;
use eventhub_core::{
    sync::{self, Choice, SyncProgress},
    Core, Error,
};
use futures_util::TryStreamExt;

use crate::print_json;

#[derive(Subcommand)]
pub enum Cmd {
    /// Push local changes and pull remote ones (Ctrl-C stops between collections).
    Run {
        /// The remote (Atlas) connection string; default EVENTHUB_REMOTE_URI.
        #[arg(long, env = "EVENTHUB_REMOTE_URI", hide_env_values = true)]
        remote: String,
        #[arg(long, default_value = eventhub_core::config::DEFAULT_DB)]
        remote_db: String,
        /// List what would move, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Conflicts waiting for a decision.
    Conflicts,
    /// Resolve a conflict: `--take title=remote --take venue=local`.
    Resolve {
        id: String,
        #[arg(long, env = "EVENTHUB_REMOTE_URI", hide_env_values = true)]
        remote: String,
        #[arg(long, default_value = eventhub_core::config::DEFAULT_DB)]
        remote_db: String,
        #[arg(long = "take")]
        take: Vec<String>,
    },
    /// Benchmark: sync DOCS new events to an empty remote (scratch databases on the same
    /// server), side by side with a plain bulk copy of the same documents.
    Bench {
        #[arg(long, default_value_t = 100_000)]
        docs: u32,
    },
    /// Convergence soak: OPS random operations through the app on three scratch local
    /// stores and a scratch remote (on the same server), random syncs, then everyone syncs
    /// until quiet; checks that all stores equal the remote and no write was lost.
    Soak {
        #[arg(long, default_value_t = 1000)]
        ops: usize,
        /// Replays a run (printed by every run); default: from the clock.
        #[arg(long)]
        seed: Option<u64>,
    },
}

pub async fn run(cmd: &Cmd, core: &Core, json: bool) -> Result<(), Error> {
    match cmd {
        Cmd::Run {
            remote,
            remote_db,
            dry_run,
        } => {
            let r = Core::connect(remote, remote_db).await?;
            let cancel = Arc::new(AtomicBool::new(false));
            let c = cancel.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    c.store(true, Ordering::Relaxed);
                }
            });
            let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let progress = |p: &SyncProgress| {
                if tty {
                    eprint!("\r{:<20} {}/{}", p.collection, p.done, p.total);
                }
            };
            let report = sync::sync(core, &r, *dry_run, &progress, &cancel).await?;
            if tty {
                eprintln!();
            }
            if json {
                print_json(&report);
            } else {
                println!(
                    "{:<20} {:>8} {:>8} {:>8} {:>9} {:>9}",
                    "collection", "push", "pull", "merged", "conflicts", "unchanged"
                );
                for c in &report.collections {
                    println!(
                        "{:<20} {:>8} {:>8} {:>8} {:>9} {:>9}{}",
                        c.collection,
                        c.pushed,
                        c.pulled,
                        c.merged,
                        c.conflicts,
                        c.unchanged,
                        if c.skipped {
                            "  (up to date: not read)"
                        } else {
                            ""
                        }
                    );
                }
                if *dry_run {
                    println!("(dry run: nothing was written)");
                }
            }
        }
        Cmd::Conflicts => {
            let list = sync::conflicts(core).await?;
            if json {
                print_json(&list);
            } else if list.is_empty() {
                println!("no conflicts");
            } else {
                for c in list {
                    println!("{}  {} “{}”", c.id, c.collection, c.label);
                    for f in c.fields {
                        println!(
                            "    {}: local ({}) = {}   remote ({}) = {}",
                            f.field,
                            c.local_by,
                            f.local.map(|v| v.to_string()).unwrap_or("—".into()),
                            c.remote_by,
                            f.remote.map(|v| v.to_string()).unwrap_or("—".into())
                        );
                    }
                }
            }
        }
        Cmd::Resolve {
            id,
            remote,
            remote_db,
            take,
        } => {
            let mut choices = HashMap::new();
            for t in take {
                let (field, side) = t.split_once('=').ok_or_else(|| {
                    Error::invalid(
                        "--take",
                        format!("'{t}' should be FIELD=local or FIELD=remote"),
                    )
                })?;
                let side = match side {
                    "local" => Choice::Local,
                    "remote" => Choice::Remote,
                    _ => {
                        return Err(Error::invalid(
                            "--take",
                            format!("'{side}' is not local or remote"),
                        ))
                    }
                };
                choices.insert(field.to_owned(), side);
            }
            let r = Core::connect(remote, remote_db).await?;
            sync::resolve(core, &r, id, &choices).await?;
            println!("resolved {id}");
        }
        Cmd::Bench { docs } => bench(core, *docs).await?,
        Cmd::Soak { ops, seed } => soak(core, *ops, *seed, json).await?,
    }
    Ok(())
}

async fn soak(core: &Core, ops: usize, seed: Option<u64>, json: bool) -> Result<(), Error> {
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    eprintln!("sync soak: {ops} operations, seed {seed}");
    let uri = eventhub_core::testing::uri_of(core);
    let pid = std::process::id();
    let mut locals = vec![];
    for (i, who) in ["alice@soak", "bob@soak", "cleo@soak"].iter().enumerate() {
        locals.push(
            Core::connect(&uri, &format!("eventhub_soak_{pid}_{i}"))
                .await?
                .with_actor(who),
        );
    }
    let remote = Core::connect(&uri, &format!("eventhub_soak_{pid}_r")).await?;
    let outcome = sync::soak::soak(&locals, &remote, ops, seed).await;
    for c in locals.iter().chain([&remote]) {
        c.drop_database().await?;
    }
    let r = outcome?;
    if json {
        print_json(&r);
    } else {
        println!(
            "ops: {}  refused by the app: {}  organiser merges: {}  syncs: {}  duplicates merged: {}  conflicts resolved: {}",
            r.ops, r.refused, r.merges, r.syncs, r.duplicates_merged, r.conflicts_resolved
        );
        println!(
            "quiet after {} final rounds, {:.1} s, seed {}",
            r.rounds_to_quiet, r.seconds, r.seed
        );
        for p in &r.problems {
            println!("PROBLEM: {p}");
        }
    }
    if r.problems.is_empty() {
        Ok(())
    } else {
        Err(Error::new(
            eventhub_core::Code::Internal,
            format!("{} problems (seed {seed})", r.problems.len()),
        ))
    }
}

async fn bench(core: &Core, n: u32) -> Result<(), Error> {
    let uri = eventhub_core::testing::uri_of(core);
    let pid = std::process::id();
    let local = Core::connect(&uri, &format!("eventhub_bench_sync_local_{pid}")).await?;
    let remote = Core::connect(&uri, &format!("eventhub_bench_sync_remote_{pid}")).await?;
    let plain = Core::connect(&uri, &format!("eventhub_bench_sync_plain_{pid}")).await?;
    eprintln!("generating {n} events…");
    let input = eventhub_core::events::input_from_json(serde_json::json!({
        "title": "Bench", "starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T17:00:00Z",
        "venue": { "name": "Loopback Hall", "address": "127.0.0.1" }, "tags": ["bench"],
    }))?;
    let now = bson::DateTime::now();
    let docs: Vec<Document> = (0..n)
        .map(|i| {
            let mut d = eventhub_core::time::to_doc(&input).unwrap_or_default();
            d.insert("_id", format!("bench-{i:07}"));
            d.insert("title", format!("Bench event {i}"));
            d.insert("version", 1_i64);
            d.insert("created_at", now);
            d.insert("updated_at", now);
            d.insert("updated_by", "bench");
            d.insert("deleted_at", bson::Bson::Null);
            d.insert("search_terms", vec!["bench".to_owned(), format!("{i}")]);
            d
        })
        .collect();
    for chunk in docs.chunks(1000) {
        local
            .db()
            .collection::<Document>("events")
            .insert_many(chunk.to_vec())
            .await?;
    }
    let t = std::time::Instant::now();
    let report = sync::sync(&local, &remote, false, &|_| {}, &AtomicBool::new(false)).await?;
    let ours = t.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let mut cur = local
        .db()
        .collection::<Document>("events")
        .find(doc! {})
        .await?;
    let mut batch = Vec::with_capacity(1000);
    while let Some(d) = cur.try_next().await? {
        batch.push(d);
        if batch.len() == 1000 {
            plain
                .db()
                .collection::<Document>("events")
                .insert_many(std::mem::take(&mut batch))
                .await?;
        }
    }
    if !batch.is_empty() {
        plain
            .db()
            .collection::<Document>("events")
            .insert_many(batch)
            .await?;
    }
    let copy = t.elapsed().as_secs_f64();
    // The first sync left every collection settled: the next one skips them all.
    let t = std::time::Instant::now();
    let third = sync::sync(&local, &remote, false, &|_| {}, &AtomicBool::new(false)).await?;
    let quiet = t.elapsed().as_secs_f64();
    // Without the settled fingerprints (a first sync after an upgrade, say), a pass with
    // nothing to move reads both sides in full.
    local
        .db()
        .collection::<Document>(sync::QUIET)
        .drop()
        .await?;
    let t = std::time::Instant::now();
    let again = sync::sync(&local, &remote, false, &|_| {}, &AtomicBool::new(false)).await?;
    let second = t.elapsed().as_secs_f64();
    for c in [&local, &remote, &plain] {
        c.drop_database().await?;
    }
    println!("documents: {n}");
    println!(
        "sync (first, all new):   {ours:.2} s  ({:.0} docs/s), pushed {}",
        f64::from(n) / ours,
        report.total(|c| c.pushed)
    );
    println!(
        "plain bulk copy:         {copy:.2} s  ({:.0} docs/s)",
        f64::from(n) / copy
    );
    println!("ratio sync / plain copy: {:.2}", ours / copy);
    println!(
        "next sync (settled, skipped):        {quiet:.3} s, {} of {} collections skipped",
        third.collections.iter().filter(|c| c.skipped).count(),
        third.collections.len()
    );
    println!(
        "no-change sync reading both sides:   {second:.2} s, moved {}",
        again.total(|c| c.pushed + c.pulled + c.merged)
    );
    println!("ratio full read / skipped: {:.0}", second / quiet.max(1e-6));
    Ok(())
}
