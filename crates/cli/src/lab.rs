//! `eventhub-cli lab …` (the index lab) and `eventhub-cli bench handlers` (response time
//! of the app's handlers). The same core functions as the app's Index lab screen.
//! Ctrl-C cancels cleanly (the work stops at the next batch or measurement).

use std::{
    io::Write,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use clap::Subcommand;
use eventhub_core::{
    lab::{
        self,
        bench::{self, LabRun, Outcome, RunOptions},
        generate,
        handlers::{self, BenchOptions, HandlerBench},
        report, Progress,
    },
    Core, Error,
};

use crate::print_json;

#[derive(Subcommand)]
pub enum LabCmd {
    /// Generate a synthetic data set into the lab database (`<db>_lab`; real data is never touched).
    Generate {
        /// Total documents (events 5 %, participants 50 %, feedback answers 30 %, networking
        /// connections 15 %), in the app's document shapes.
        #[arg(long, default_value_t = 100_000)]
        scale: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Run the catalogue's queries with no index and each relevant index kind; print a table.
    Run {
        /// Only these queries (repeatable); `lab queries` lists them.
        #[arg(long = "query")]
        queries: Vec<String>,
        /// Timed runs per index (after the warm-up).
        #[arg(long, default_value_t = 20)]
        runs: u32,
        #[arg(long, default_value_t = 3)]
        warmup: u32,
        /// Documents inserted to measure the write cost of each index.
        #[arg(long, default_value_t = 500)]
        write_batch: u32,
        /// Longest an index build may take, in seconds (decimals allowed); a build still
        /// running then is stopped, its index dropped, and the variant recorded as "did not
        /// finish within N s on this server". 0: scaled to the collection (60 s plus 1 s per
        /// 2,000 documents).
        #[arg(long, default_value_t = 0.0)]
        build_timeout: f64,
        /// Complete this cancelled run (same data set, same options) instead of starting
        /// over: its finished queries are kept, the others are run, and the whole is saved.
        #[arg(long)]
        resume: Option<String>,
    },
    /// The catalogue of queries and the index variants of each.
    Queries,
    /// Saved runs, newest first.
    Runs,
    /// Export the self-contained HTML report of a run (the newest by default) and of the
    /// newest handler bench.
    Report {
        #[arg(long)]
        out: String,
        #[arg(long)]
        run: Option<String>,
        /// fr or en.
        #[arg(long, default_value = "fr")]
        lang: String,
    },
    /// Drop the lab database.
    Drop,
}

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Response time of the app's handlers vs the bare driver query (p50/p95/p99, ratio).
    Handlers {
        /// Numbers of events (each with 10 participants), comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
        sizes: Vec<u64>,
        /// Concurrent clients, comma-separated (at most 64; loopback servers only).
        #[arg(long, value_delimiter = ',', default_value = "1,8,64")]
        clients: Vec<u32>,
        /// Operations per handler, size and concurrency level.
        #[arg(long, default_value_t = 200)]
        ops: u32,
        #[arg(long, default_value_t = 10)]
        warmup: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

/// A flag that Ctrl-C sets.
fn cancel_on_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ncancelling…");
            f.store(true, Ordering::Relaxed);
        }
    });
    flag
}

fn progress_line(p: Progress) {
    let pct = (p.done * 100).checked_div(p.total).unwrap_or(0);
    eprint!(
        "\r\x1b[2K{} {:>3} % ({}/{}) {}",
        p.phase, pct, p.done, p.total, p.step
    );
    let _ = std::io::stderr().flush();
}

fn ms(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn print_run(run: &LabRun) {
    println!(
        "{} {} · {} documents (seed {}) · {} CPU {} · {} timed runs/index",
        run.server.engine,
        run.server.version,
        run.data.counts.total(),
        run.data.seed,
        run.machine.cpus,
        run.machine.cpu_model,
        run.options.runs
    );
    for q in &run.results {
        println!(
            "\n== {} [{}] — {} ({} docs)",
            q.id, q.title.en, q.collection, q.collection_docs
        );
        println!(
            "{:<9} {:<44} {:<16} {:>8} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
            "kind",
            "index",
            "plan",
            "keys",
            "docs",
            "ret",
            "srv ms",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "size KiB",
            "ins/s"
        );
        for v in &q.variants {
            let def: String = v.definition.chars().take(44).collect();
            match v.outcome {
                Outcome::Ok => println!(
                    "{:<9} {:<44} {:<16} {:>8} {:>8} {:>6} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
                    v.kind.as_str(),
                    def,
                    format!(
                        "{}{}",
                        v.explain.access,
                        if v.explain.in_memory_sort {
                            "+SORT"
                        } else {
                            ""
                        }
                    ),
                    v.explain.keys_examined,
                    v.explain.docs_examined,
                    v.explain.returned,
                    eventhub_core::report::server_ms(v).map_or("-".into(), ms),
                    ms(v.latency.p50_ms),
                    ms(v.latency.p95_ms),
                    ms(v.latency.p99_ms),
                    v.index_bytes / 1024,
                    v.inserts_per_s as i64
                ),
                Outcome::Unsupported => println!(
                    "{:<9} {:<44} unsupported by this server: {}",
                    v.kind.as_str(),
                    def,
                    v.message
                ),
                Outcome::TimedOut => println!(
                    "{:<9} {:<44} {} (waited {:.1} s)",
                    v.kind.as_str(),
                    def,
                    bench::not_finished_text(v.build_timeout_s, eventhub_core::report::Lang::En),
                    v.build_ms / 1000.0
                ),
                Outcome::Error => {
                    println!("{:<9} {:<44} error: {}", v.kind.as_str(), def, v.message)
                }
            }
        }
        println!("→ {}", q.verdict.en);
    }
    if let Some(prev) = &run.resumed_from {
        println!("\ncompletes the cancelled run {prev}");
    }
    println!(
        "\nrun {} saved ({:.1} s){}",
        run.id,
        run.seconds,
        if run.cancelled {
            " — CANCELLED, incomplete"
        } else {
            ""
        }
    );
}

fn print_bench(b: &HandlerBench) {
    println!(
        "{} {} · {} CPU · {} ops per cell after {} warm-up calls",
        b.server.engine, b.server.version, b.machine.cpus, b.options.ops, b.options.warmup
    );
    println!(
        "{:<19} {:>7} {:>7} {:>24} {:>24} {:>7} {:>9}  what",
        "handler",
        "events",
        "clients",
        "app p50/p95/p99 ms",
        "driver p50/p95/p99 ms",
        "ratio",
        "app op/s"
    );
    for r in &b.results {
        println!(
            "{:<19} {:>7} {:>7} {:>24} {:>24} {:>7.2} {:>9.0}  {}",
            r.handler,
            r.size,
            r.clients,
            format!(
                "{}/{}/{}",
                ms(r.app.p50_ms),
                ms(r.app.p95_ms),
                ms(r.app.p99_ms)
            ),
            format!(
                "{}/{}/{}",
                ms(r.driver.p50_ms),
                ms(r.driver.p95_ms),
                ms(r.driver.p99_ms)
            ),
            r.ratio_p50,
            r.app_ops_per_s,
            r.source
        );
    }
    println!("\nbench {} saved ({:.1} s)", b.id, b.seconds);
}

pub async fn run(cmd: &LabCmd, core: &Core, json: bool) -> Result<(), Error> {
    let labdb = lab::lab_core(core);
    match cmd {
        LabCmd::Generate { scale, seed } => {
            let cancel = cancel_on_ctrl_c();
            let set = generate::generate(&labdb, *scale, *seed, &progress_line, &cancel).await?;
            eprintln!();
            if json {
                print_json(&set);
            } else {
                println!(
                    "{} documents generated into {} in {:.1} s (events {}, participants {}, answers {}, connections {}){}",
                    set.counts.total(),
                    labdb.info().database,
                    set.seconds,
                    set.counts.events,
                    set.counts.participants,
                    set.counts.answers,
                    set.counts.connections,
                    if set.cancelled { " — CANCELLED, incomplete" } else { "" }
                );
            }
        }
        LabCmd::Run {
            queries,
            runs,
            warmup,
            write_batch,
            build_timeout,
            resume,
        } => {
            let cancel = cancel_on_ctrl_c();
            let opts = RunOptions {
                queries: queries.clone(),
                runs: *runs,
                warmup: *warmup,
                write_batch: *write_batch,
                build_timeout_s: *build_timeout,
            };
            let r = bench::run_resuming(
                core,
                &labdb,
                opts,
                resume.as_deref(),
                &progress_line,
                &cancel,
            )
            .await?;
            eprintln!();
            if json {
                print_json(&r);
            } else {
                print_run(&r);
            }
        }
        LabCmd::Queries => {
            let set = generate::current(&labdb).await?;
            let (seed, counts) = set
                .map(|s| (s.seed, s.counts))
                .unwrap_or((42, generate::Counts::for_scale(100_000)));
            let cat = eventhub_core::lab::catalogue::catalogue(seed, &counts);
            if json {
                print_json(&cat);
            } else {
                for q in cat {
                    println!("{:<28} {} — {}", q.id, q.collection, q.title.en);
                    println!("    {}", q.op.shape());
                    for v in q.variants {
                        println!("    {:<9} {}", v.kind.as_str(), v.describe());
                    }
                }
            }
        }
        LabCmd::Runs => {
            let list = bench::runs(core, 50).await?;
            if json {
                print_json(&list);
            } else {
                for r in list {
                    println!(
                        "{}  {}  {:>8} docs  {:>2} queries  {}{}",
                        r.id,
                        r.started_at.format("%Y-%m-%d %H:%M"),
                        r.scale,
                        r.queries,
                        r.server,
                        if r.cancelled { "  (cancelled)" } else { "" }
                    );
                }
            }
        }
        LabCmd::Report { out, run, lang } => {
            let lang = eventhub_core::report::Lang::parse(lang)?;
            let r = bench::get_run(core, run.as_deref()).await?;
            let b = handlers::latest(core).await?;
            let html = report::html_in(&r, b.as_ref(), lang);
            std::fs::write(out, html)
                .map_err(|e| Error::invalid("--out", format!("cannot write {out}: {e}")))?;
            if json {
                print_json(&serde_json::json!({ "path": out, "run": r.id }));
            } else {
                println!("report of run {} written to {out}", r.id);
            }
        }
        LabCmd::Drop => {
            generate::drop_lab(&labdb).await?;
            println!("{} dropped", labdb.info().database);
        }
    }
    Ok(())
}

pub async fn bench(cmd: &BenchCmd, core: &Core, json: bool) -> Result<(), Error> {
    match cmd {
        BenchCmd::Handlers {
            sizes,
            clients,
            ops,
            warmup,
            seed,
        } => {
            let cancel = cancel_on_ctrl_c();
            let opts = BenchOptions {
                sizes: sizes.clone(),
                clients: clients.clone(),
                ops: *ops,
                warmup: *warmup,
                seed: *seed,
                handlers: vec![],
            };
            let b = handlers::bench(core, opts, &progress_line, &cancel).await?;
            eprintln!();
            if json {
                print_json(&b);
            } else {
                print_bench(&b);
            }
        }
    }
    Ok(())
}
