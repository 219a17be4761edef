//! `eventhub-cli bench all`: every benchmark of `docs/performance.md` at its documented
//! sizes, each beside its bare-driver or raw comparison measured in the same run, written
//! as markdown tables (`docs/bench/*.md`) that the performance page includes.

use std::{fmt::Write as _, path::PathBuf, sync::atomic::AtomicBool, time::Instant};

use clap::Args;
use eventhub_core::{
    dashboard,
    feedback::{self, QuestionStatus, RawValue, Respondent},
    lab::{
        handlers::{self, BenchOptions, HandlerBench},
        Machine, ServerDesc,
    },
    participants::{self, csv_import},
    Core, Error,
};
use serde_json::json;

#[derive(Args)]
pub struct AllBench {
    /// Where the markdown tables are written.
    #[arg(long, default_value = "docs/bench")]
    out: PathBuf,
    /// Events of the handler benchmark (search, update…).
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    events: Vec<u64>,
    /// Participants of the synthetic dashboard events (20 answers each).
    #[arg(long, value_delimiter = ',', default_value = "500,10000,50000")]
    participants: Vec<u64>,
    /// Rows of the CSV import benchmark.
    #[arg(long, default_value_t = 100_000)]
    import_rows: usize,
    /// Phones of the portal burst (2 answers each).
    #[arg(long, default_value_t = 20_000)]
    phones: u32,
    /// Operations per handler.
    #[arg(long, default_value_t = 200)]
    ops: u32,
    /// Rounds of the live refresh benchmark (on the 10,000-participant event).
    #[arg(long, default_value_t = 9)]
    rounds: u32,
    /// Only these parts (handlers, dashboard, import, portal); all when empty.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Handlers: only these (create_event, update_event, search_event, count_events,
    /// participant_lookup, rsvp, dashboard_load); all when empty.
    #[arg(long, value_delimiter = ',')]
    handlers: Vec<String>,
    /// Handlers: keep each size's events in its own database and reuse them in the next run
    /// (prepare the data once, possibly on a busy machine; time it on the idle one).
    #[arg(long)]
    keep_data: bool,
}

fn header(core: &Core, what: &str, command: &str) -> String {
    let m = Machine::current();
    let s = ServerDesc::of(core);
    format!(
        "<!-- written by `eventhub-cli bench all`; do not edit by hand -->\n\
         {what} — run {} · release build of `eventhub-cli` · {} ({} CPU, {:.0} GiB, {}) · {} {} on loopback · load average at start {}\n\n\
         Command: `{command}`\n\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        m.cpu_model,
        m.cpus,
        m.memory_gib,
        m.os,
        s.engine,
        s.version,
        std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().map(str::to_owned))
            .unwrap_or_else(|| "?".into()),
    )
}

fn write(out: &std::path::Path, name: &str, text: &str) -> Result<(), Error> {
    std::fs::create_dir_all(out)
        .and_then(|_| std::fs::write(out.join(name), text))
        .map_err(|e| Error::invalid("--out", format!("cannot write {name}: {e}")))?;
    eprintln!("wrote {}", out.join(name).display());
    Ok(())
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    (v[i] * 100.0).round() / 100.0
}

pub async fn run(a: &AllBench, core: &Core) -> Result<(), Error> {
    let want = |p: &str| a.only.is_empty() || a.only.iter().any(|x| x == p);
    let started = Instant::now();
    if want("handlers") {
        handlers_part(a, core).await?;
    }
    if want("dashboard") {
        dashboard_part(a, core).await?;
    }
    if want("import") {
        import_part(a, core).await?;
    }
    if want("portal") {
        portal_part(a, core).await?;
    }
    eprintln!("bench all: {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

async fn handlers_part(a: &AllBench, core: &Core) -> Result<(), Error> {
    let opts = BenchOptions {
        sizes: a.events.clone(),
        clients: vec![1],
        ops: a.ops,
        warmup: 10,
        seed: 42,
        handlers: a.handlers.clone(),
    };
    let cancel = AtomicBool::new(false);
    let progress =
        |p: eventhub_core::lab::Progress| eprint!("\r{} {}/{}      ", p.step, p.done, p.total);
    let b: HandlerBench = if a.keep_data {
        handlers::bench_keeping_data(core, opts, &progress, &cancel).await?
    } else {
        handlers::bench(core, opts, &progress, &cancel).await?
    };
    eprintln!();
    let sizes = a
        .events
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut t = header(
        core,
        "Handlers: the app's call beside the bare driver call it wraps, 1 client",
        &format!(
            "eventhub-cli bench all --only handlers --events {sizes} --ops {}{}{}",
            a.ops,
            if a.handlers.is_empty() {
                String::new()
            } else {
                format!(" --handlers {}", a.handlers.join(","))
            },
            if a.keep_data { " --keep-data" } else { "" }
        ),
    );
    t.push_str("| handler | events | app p50 (ms) | app p95 (ms) | driver p50 (ms) | driver p95 (ms) | ratio p50 | ratio p95 | app | bare driver |\n");
    t.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
    for r in &b.results {
        let _ = writeln!(
            t,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} |",
            r.handler,
            r.size,
            r.app.p50_ms,
            r.app.p95_ms,
            r.driver.p50_ms,
            r.driver.p95_ms,
            r.ratio_p50,
            r.ratio_p95,
            r.source,
            r.bare
        );
    }
    let _ = writeln!(
        t,
        "\nWhole run: {:.0} s (data preparation included).",
        b.seconds
    );
    // A run of some handlers only has its own table beside the run of all of them.
    let name = if a.handlers.is_empty() {
        "handlers.md".to_owned()
    } else {
        format!("handlers-{}.md", a.handlers.join("-"))
    };
    write(&a.out, &name, &t)
}

/// The answer write: `feedback::answer` beside the same upsert alone (the write before the
/// tallies existed), interleaved, `n` of each; and for the app's answers, the time until
/// their question's tally moved (told by a change stream on the tallies, as the live
/// dashboard is): with the tallies' follower an answer returns once stored and is counted
/// a moment later; without it (a server without change streams) both are the same.
async fn answer_writes(core: &Core, event: &str, n: usize) -> Result<String, Error> {
    use futures_util::StreamExt;
    let mk =
        |label: &str| feedback::input_from_json(json!({"kind": "rating", "label": {"fr": label}}));
    let with = feedback::create_question(core, event, mk("Bench tallies")?).await?;
    let with = feedback::set_status(core, &with.id, QuestionStatus::Open).await?;
    let bare = feedback::create_question(core, event, mk("Bench bare")?).await?;
    let people: Vec<String> = participants::list(
        core,
        event,
        &participants::ParticipantQuery {
            per_page: 200,
            ..Default::default()
        },
    )
    .await?
    .items
    .into_iter()
    .map(|p| p.id)
    .collect();
    let answers = feedback::answers(core);
    // The question's tally moving: what the live dashboard waits for.
    let mut moved = feedback::counters::tallies(core)
        .watch()
        .pipeline(vec![bson::doc! { "$match": {
            "operationType": { "$in": ["insert", "update", "replace"] },
            "documentKey._id": format!("q\u{1f}{}", with.id),
        } }])
        .await?;
    let (mut app_first, mut app_again, mut raw_first, mut raw_again) =
        (vec![], vec![], vec![], vec![]);
    let (mut counted_first, mut counted_again) = (vec![], vec![]);
    for i in 0..n {
        let who = &people[i % people.len()];
        let again = i >= people.len();
        // A resubmission changes the value, so that it moves the tally.
        let value = |i: usize| 1 + ((i + i / people.len()) % 5) as i32;
        let v = RawValue::Number(f64::from(value(i)));
        let t = Instant::now();
        feedback::answer(core, &with, &Respondent::Participant(who.clone()), &v).await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        // Every answer moves the tally (a resubmission to another value, or a first one).
        let changed = !again || value(i) != value(i - people.len());
        if changed {
            tokio::time::timeout(std::time::Duration::from_secs(10), moved.next())
                .await
                .map_err(|_| Error::internal("the answer's tally did not move within 10 s"))?;
            let counted = t.elapsed().as_secs_f64() * 1000.0;
            if again {
                &mut counted_again
            } else {
                &mut counted_first
            }
            .push(counted);
        }
        if again {
            &mut app_again
        } else {
            &mut app_first
        }
        .push(ms);
        let now = bson::DateTime::now();
        let t = Instant::now();
        answers
            .find_one_and_update(
                bson::doc! { "question_id": &bare.id, "respondent": who },
                bson::doc! {
                    "$set": { "num": value(i), "choices": [], "text": bson::Bson::Null, "updated_at": now, "updated_by": "participant" },
                    "$inc": { "version": 1_i64 },
                    "$setOnInsert": {
                        "_id": bson::oid::ObjectId::new().to_hex(), "event_id": event,
                        "session_id": bson::Bson::Null, "question_id": &bare.id, "kind": "rating",
                        "respondent": who, "participant_id": who, "created_at": now,
                    },
                },
            )
            .upsert(true)
            .return_document(mongodb::options::ReturnDocument::After)
            .await?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if again {
            &mut raw_again
        } else {
            &mut raw_first
        }
        .push(ms);
    }
    let mut t = String::from(
        "| answer write | answer stored p50 (ms) | p95 (ms) | tally moved p50 (ms) | p95 (ms) | upsert alone p50 (ms) | p95 (ms) | stored ÷ upsert, p50 |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (what, mut x, mut c, mut y) in [
        ("first answer (insert)", app_first, counted_first, raw_first),
        (
            "changed answer (update)",
            app_again,
            counted_again,
            raw_again,
        ),
    ] {
        let (x50, x95, c50, c95, y50, y95) = (
            pct(&mut x, 0.5),
            pct(&mut x, 0.95),
            pct(&mut c, 0.5),
            pct(&mut c, 0.95),
            pct(&mut y, 0.5),
            pct(&mut y, 0.95),
        );
        let _ = writeln!(
            t,
            "| {what} | {x50:.2} | {x95:.2} | {c50:.2} | {c95:.2} | {y50:.2} | {y95:.2} | {:.2} |",
            x50 / y50.max(1e-6)
        );
    }
    let _ = writeln!(
        t,
        "\nTallies {}.",
        if feedback::counters::followed(core) {
            "counted by the follower of the answers' change stream (`feedback::follow`)"
        } else {
            "written with each answer (this server has no change streams or transactions)"
        }
    );
    // The bare upserts are not the app's answers: take them out. The follower counted their
    // inserts like any answer's, so they leave through the app's deletion path; where the
    // tallies are written with the answers, they never reached the tallies.
    let gone =
        feedback::counters::answers_matching(core, bson::doc! { "question_id": &bare.id }).await?;
    answers
        .delete_many(bson::doc! { "question_id": &bare.id })
        .await?;
    if feedback::counters::followed(core) {
        feedback::counters::forget(core, &gone).await?;
    }
    // These answers are real: the tallies must still agree with the raw answers.
    let diff = dashboard::check(core, event).await?;
    if !diff.is_empty() {
        return Err(Error::internal(format!(
            "the tallies differ from the raw answers after the write bench: {diff:?}"
        )));
    }
    Ok(t)
}

async fn dashboard_part(a: &AllBench, core: &Core) -> Result<(), Error> {
    let mut table = header(
        core,
        "Dashboard of the synthetic event (20 answers per participant): full refresh from the tallies beside the reference pipelines over the raw answers",
        &format!(
            "eventhub-cli bench all --only dashboard --participants {} --rounds {}",
            a.participants
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            a.rounds
        ),
    );
    table.push_str("| participants | answers | generated (s) | tallies rebuilt (ms) | full refresh p50 (ms) | max (ms) | pipelines p50 (ms) | max (ms) | pipelines ÷ tallies | same figures |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    let mut live = String::new();
    let mut writes = String::new();
    for &n in &a.participants {
        let scratch = core.on_database(&format!(
            "{}_bench_dash_{}",
            core.info().database,
            crate::feedback::uuid_suffix()
        ));
        scratch.ensure_schema().await?;
        let result = async {
            eprintln!("dashboard: generating {n} participants…");
            let g = dashboard::synthetic::generate(&scratch, n, 42).await?;
            let t = Instant::now();
            feedback::counters::rebuild(&scratch, &g.event_id).await?;
            let rebuild_ms = t.elapsed().as_secs_f64() * 1000.0;
            let runs = if n >= 50_000 { 3 } else { 7 };
            let (mut fast, mut slow) = (vec![], vec![]);
            dashboard::event_dashboard(&scratch, &g.event_id, false).await?;
            for _ in 0..runs {
                let t = Instant::now();
                dashboard::event_dashboard(&scratch, &g.event_id, false).await?;
                fast.push(t.elapsed().as_secs_f64() * 1000.0);
                let t = Instant::now();
                dashboard::event_dashboard_from_answers(&scratch, &g.event_id, false).await?;
                slow.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let same = dashboard::check(&scratch, &g.event_id).await?.is_empty();
            let (f50, fmax, s50, smax) = (
                pct(&mut fast, 0.5),
                pct(&mut fast, 1.0),
                pct(&mut slow, 0.5),
                pct(&mut slow, 1.0),
            );
            let _ = writeln!(
                table,
                "| {n} | {} | {:.1} | {rebuild_ms:.0} | {f50:.1} | {fmax:.1} | {s50:.0} | {smax:.0} | {:.0}× | {} |",
                g.answers,
                g.seconds,
                s50 / f50.max(1e-3),
                if same { "yes" } else { "**no**" }
            );
            if !same {
                return Err(Error::internal("the tallies differ from the raw answers"));
            }
            if n == 10_000 {
                eprintln!("dashboard: live refresh, {} rounds…", a.rounds);
                let rows = crate::feedback::live_rounds(&scratch, &g.event_id, a.rounds).await?;
                live = header(
                    core,
                    &format!("Live refresh on the {n}-participant synthetic event ({} answers): each write, its change-stream notification, the live refresh beside a full refresh; every round equal", g.answers),
                    &format!("eventhub-cli bench all --only dashboard (or: eventhub-cli dashboard live EVENT --rounds {})", a.rounds),
                );
                live.push_str("| write | live refresh (ms) | full refresh (ms) | full ÷ live |\n|---|---:|---:|---:|\n");
                for r in &rows {
                    let _ = writeln!(
                        live,
                        "| {} | {:.1} | {:.1} | {:.1}× |",
                        r.write, r.live_ms, r.full_ms, r.ratio
                    );
                }
                eprintln!("dashboard: answer write path…");
                writes = header(
                    core,
                    &format!("Answer write path on the {n}-participant event: `feedback::answer` beside the same upsert alone, interleaved, 400 each, and the time until the answer's tally moved"),
                    "eventhub-cli bench all --only dashboard",
                );
                writes.push_str(&answer_writes(&scratch, &g.event_id, 400).await?);
            }
            Ok::<(), Error>(())
        }
        .await;
        let _ = scratch.drop_database().await;
        result?;
    }
    write(&a.out, "dashboard.md", &table)?;
    if !live.is_empty() {
        write(&a.out, "live.md", &live)?;
    }
    if !writes.is_empty() {
        write(&a.out, "answer-write.md", &writes)?;
    }
    Ok(())
}

async fn import_part(a: &AllBench, core: &Core) -> Result<(), Error> {
    let scratch = core.on_database(&format!(
        "{}_bench_import_{}",
        core.info().database,
        crate::feedback::uuid_suffix()
    ));
    scratch.ensure_schema().await?;
    eprintln!("import: {} rows…", a.import_rows);
    let r = csv_import::bench(&scratch, a.import_rows).await;
    let _ = scratch.drop_database().await;
    let r = r?;
    let mut t = header(
        core,
        "CSV import of participants beside the driver's plain insert_many of the same documents",
        &format!(
            "eventhub-cli bench all --only import --import-rows {}",
            a.import_rows
        ),
    );
    t.push_str("| rows | ours (rows/s) | raw insert_many (rows/s) | ratio | ours (s) | raw (s) |\n|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        t,
        "| {} | {:.0} | {:.0} | {:.2} | {:.1} | {:.1} |",
        r.rows,
        r.ours_rows_per_s,
        r.raw_rows_per_s,
        r.ratio,
        r.ours_ms as f64 / 1000.0,
        r.raw_ms as f64 / 1000.0
    );
    write(&a.out, "import.md", &t)
}

async fn portal_part(a: &AllBench, core: &Core) -> Result<(), Error> {
    let mut t = header(
        core,
        "Portal: phones answer two live polls over HTTP on 127.0.0.1 with their personal links (64 connections; one phone in ten also sends an invalid answer); arrivals spread over 60 s (the issue's load) and over 5 s (a burst)",
        &format!("eventhub-cli bench all --only portal --phones {}", a.phones),
    );
    t.push_str("| phones | arrivals over | valid sent / accepted | invalid refused (4xx) | 5xx | stored / lost | tallies = raw answers | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) | in the portal p50 / p95 / p99 (ms) | requests/s | engine commands / request | CPU ms / request: portal + phones, engine | engine stalls: forced page evictions (ms), page waits (ms) |\n|---:|---:|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let mut detail = String::new();
    for (ramp, limit) in [(60, 180), (5, 60)] {
        eprintln!("portal: {} phones, arrivals over {ramp} s…", a.phones);
        let r = crate::feedback::portal_report(core, a.phones, limit, ramp, 64).await?;
        let opt = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}"));
        let _ = writeln!(
            detail,
            "- {ramp} s: engine commands per request: {}",
            if r.engine_commands.is_empty() {
                "not reported".to_owned()
            } else {
                r.engine_commands
                    .iter()
                    .map(|(k, v)| format!("{k} {v:.2}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        let _ = writeln!(
            t,
            "| {} | {ramp} s | {} / {} | {} / {} | {} | {} / {} | {} | {} | {} | {} | {} | {} / {} / {} | {:.0} | {} | {}, {} | {} |",
            r.participants,
            r.valid_sent,
            r.valid_accepted,
            r.invalid_rejected_4xx,
            r.invalid_sent,
            r.server_errors,
            r.stored,
            r.lost,
            if r.tally_mismatches == 0 {
                "yes".to_owned()
            } else {
                format!("no ({} figures differ)", r.tally_mismatches)
            },
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.max_ms,
            r.portal_p50_ms,
            r.portal_p95_ms,
            r.portal_p99_ms,
            r.requests_per_s,
            opt(r.engine_commands_per_request),
            opt(r.process_cpu_ms_per_request),
            opt(r.engine_cpu_ms_per_request),
            r.engine_stalls.map_or_else(
                || "—".to_owned(),
                |st| format!(
                    "{} ({:.0}), {:.0}",
                    st.forced_evictions, st.forced_eviction_ms, st.page_wait_ms
                )
            )
        );
    }
    t.push('\n');
    t.push_str(&detail);
    write(&a.out, "portal.md", &t)
}
