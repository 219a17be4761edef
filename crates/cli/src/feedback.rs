//! Feedback and dashboard on the command line: the portal load test (`bench portal`), the
//! synthetic event for the dashboard's performance figures, `dashboard show` and
//! `dashboard explain`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use clap::{Args, Subcommand};
use eventhub_core::{
    dashboard, events,
    feedback::{self, QuestionStatus},
    invitations, participants, Core, Error,
};
use eventhub_portal as portal;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::Semaphore,
};

use crate::print_json;

/// `bench …`: the lab's benchmarks plus the portal load test.
#[derive(Subcommand)]
pub enum BenchCmd {
    #[command(flatten)]
    Lab(crate::lab::BenchCmd),
    /// Load test of the participant portal: simulated phones answer live polls over HTTP
    /// on 127.0.0.1 (scratch database, dropped afterwards).
    Portal(PortalBench),
    /// Registration burst: strangers register through the shareable link of an event
    /// (kiosk mode: no e-mail confirmation) via two portal instances on one database, many
    /// more than the seats; checks exactly the seats accepted, the rest waitlisted in
    /// arrival order, nothing lost, no 5xx (scratch database, dropped afterwards).
    PortalBurst(BurstBench),
    /// Every benchmark at the documented sizes, each beside its bare-driver or raw
    /// comparison from the same run; writes the markdown tables of `docs/performance.md`.
    All(crate::bench_all::AllBench),
}

#[derive(Args)]
pub struct PortalBench {
    /// Simulated participants (at most 20,000).
    #[arg(long, default_value_t = 2000)]
    pub participants: u32,
    /// Time limit: all answers must be in within this many seconds (at most 300).
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Arrivals are spread over this many seconds (a burst when small).
    #[arg(long, default_value_t = 5)]
    ramp: u64,
    /// Concurrent connections (at most 256).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
}

#[derive(Args)]
pub struct BurstBench {
    /// Registrations (at most 50,000).
    #[arg(long, default_value_t = 10_000)]
    pub registrations: u32,
    /// Seats of the event.
    #[arg(long, default_value_t = 1_000)]
    pub seats: u32,
    /// Arrivals are spread over this many seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Requests in flight at most (at most 1,024).
    #[arg(long, default_value_t = 128)]
    pub concurrency: usize,
}

/// `bench portal-burst`: prints the figures, fails when a rule did not hold.
pub async fn bench_portal_burst(b: &BurstBench, core: &Core, json_out: bool) -> Result<(), Error> {
    let scratch = format!("{}_bench_burst_{}", core.info().database, &uuid_suffix());
    let scratch = core.on_database(&scratch);
    scratch.ensure_schema().await?;
    eprintln!(
        "{} registrations for {} seats within {} s, through 2 portal instances…",
        b.registrations, b.seats, b.seconds
    );
    let r = portal::bench::registration_burst(
        &scratch,
        &portal::bench::BurstOptions {
            registrations: b.registrations.clamp(1, 50_000),
            seats: b.seats,
            ramp: Duration::from_secs(b.seconds.clamp(1, 600)),
            concurrency: b.concurrency.clamp(1, 1024),
        },
    )
    .await;
    let _ = scratch.drop_database().await;
    let r = r?;
    if json_out {
        print_json(&r);
    } else {
        println!(
            "registration burst · {} registrations for {} seats · {} portal instances · 127.0.0.1 · scratch database dropped",
            r.registrations, r.seats, r.instances
        );
        println!(
            "answered        seat {}  waitlist {}  server errors {}  other {}",
            r.answered_accepted, r.answered_waitlisted, r.server_errors, r.other
        );
        println!(
            "stored          accepted {}  waitlisted {}  seats counted {}  lost {}",
            r.stored_accepted, r.stored_waitlisted, r.seats_taken, r.lost
        );
        println!(
            "arrival order   {} registrations ahead of an earlier one",
            r.order_violations
        );
        println!(
            "response time   p50 {} ms  p95 {} ms  p99 {} ms  max {} ms",
            r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms
        );
        println!(
            "{:.1} s in all, requests sent within {:.1} s",
            r.seconds, r.send_window_s
        );
    }
    let problems = r.problems();
    if !problems.is_empty() {
        return Err(Error::internal(format!(
            "the burst broke a rule: {}",
            problems.join("; ")
        )));
    }
    Ok(())
}

#[derive(Subcommand)]
pub enum DashboardCmd {
    /// Generate the synthetic event (10,000 participants × 20 answers by default).
    Generate {
        #[arg(long, default_value_t = 10_000)]
        participants: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// An event's dashboard figures.
    Show { event: String },
    /// Each pipeline's time and explain summary, and the full refresh time.
    Explain { event: String },
    /// Recompute the dashboard from the raw answers with the pipelines and compare it with
    /// the one read from the answer tallies: lists the figures that differ (exit code 1).
    Check { event: String },
    /// Recompute an event's answer tallies from its raw answers (after a sync brought
    /// answers, or for answers written by another program).
    RebuildCounters { event: String },
    /// Live refresh benchmark: writes answers (a resubmission, then a new anonymous
    /// respondent, in turn), takes the change-stream notification, and times the refresh of
    /// what it touched side by side with a full refresh. Writes real answers to EVENT.
    Live {
        event: String,
        #[arg(long, default_value_t = 6)]
        rounds: u32,
    },
}

#[derive(Default, serde::Serialize)]
pub struct Report {
    pub participants: u32,
    pub valid_sent: u64,
    pub valid_accepted: u64,
    pub valid_rejected: u64,
    pub invalid_sent: u64,
    pub invalid_rejected_4xx: u64,
    pub server_errors: u64,
    pub stored: u64,
    pub lost: i64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The same requests' time inside the portal (headers read to response ready): the
    /// phones' times less the connection, the transfer and the phones' own scheduling.
    pub portal_p50_ms: f64,
    pub portal_p95_ms: f64,
    pub portal_p99_ms: f64,
    pub requests_per_s: f64,
    /// Figures of the dashboard where the tallies kept with the answers differ from the
    /// pipelines over the raw answers once the load is over (`dashboard::check`): 0.
    pub tally_mismatches: usize,
    /// Commands the engine ran during the load, per request answered (all commands of
    /// every client, from `serverStatus`; none where the server does not say).
    pub engine_commands_per_request: Option<f64>,
    /// The same by command (`find`, `insert`, `update`, …), per request.
    pub engine_commands: Vec<(String, f64)>,
    /// CPU time per request answered: this process (the portal and the simulated phones)
    /// and the engine (when it runs on this machine), in milliseconds.
    pub process_cpu_ms_per_request: Option<f64>,
    pub engine_cpu_ms_per_request: Option<f64>,
    /// The storage engine's stalls during the load, from WiredTiger's own counters in
    /// `serverStatus` (mongod and secantusd-rs both report them; `None` elsewhere).
    pub engine_stalls: Option<Stalls>,
}

/// WiredTiger's stall counters: the dirty pages a command had to write out itself before
/// going on (forced evictions), and the time commands slept waiting for a page another
/// thread held. Every request touching such a page waits with it.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Stalls {
    pub forced_evictions: i64,
    pub forced_eviction_ms: f64,
    pub page_wait_ms: f64,
}

impl Stalls {
    fn read(status: &bson::Document) -> Option<Stalls> {
        let wt = status.get_document("wiredTiger").ok()?;
        let n = |section: &str, key: &str| whole(wt.get_document(section).ok()?.get(key)?);
        let cache = |k: &str| {
            n(
                "cache",
                &format!("forced eviction - pages evicted that were {k}"),
            )
        };
        Some(Stalls {
            forced_evictions: cache("dirty count")? + cache("clean count").unwrap_or(0),
            forced_eviction_ms: (cache("dirty time (usecs)")?
                + cache("clean time (usecs)").unwrap_or(0)) as f64
                / 1000.0,
            page_wait_ms: n("thread-yield", "page acquire time sleeping (usecs)")? as f64 / 1000.0,
        })
    }

    fn since(self, before: Stalls) -> Stalls {
        Stalls {
            forced_evictions: self.forced_evictions - before.forced_evictions,
            forced_eviction_ms: self.forced_eviction_ms - before.forced_eviction_ms,
            page_wait_ms: self.page_wait_ms - before.page_wait_ms,
        }
    }
}

/// What the machine did during the load: the engine's command counters and the CPU time of
/// this process and of the engine. Best effort: `None` where the server does not report
/// its counters, or the engine is not a process of this machine.
struct Usage {
    commands: Option<std::collections::BTreeMap<String, i64>>,
    stalls: Option<Stalls>,
    engine_cpu_s: Option<f64>,
    own_cpu_s: Option<f64>,
}

async fn usage(core: &Core) -> Usage {
    let status = core
        .client()
        .database("admin")
        .run_command(bson::doc! { "serverStatus": 1 })
        .await
        .ok();
    let total = |v: &bson::Bson| whole(v.as_document()?.get("total")?);
    let commands = status
        .as_ref()
        .and_then(|s| s.get_document("metrics").ok())
        .and_then(|m| m.get_document("commands").ok())
        .map(|c| {
            c.iter()
                .filter_map(|(k, v)| Some((k.clone(), total(v)?)))
                .collect()
        });
    let pid = status.as_ref().and_then(|s| whole(s.get("pid")?));
    // Only a local engine process (the pid of a remote server means nothing here).
    let engine_cpu_s = pid
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm"))
                .is_ok_and(|c| c.contains("secantus") || c.contains("mongod"))
        })
        .and_then(cpu_seconds);
    Usage {
        commands,
        stalls: status.as_ref().and_then(Stalls::read),
        engine_cpu_s,
        own_cpu_s: cpu_seconds(i64::from(std::process::id())),
    }
}

/// User plus system CPU time of a process of this machine (Linux `/proc`).
fn cpu_seconds(pid: i64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14,
    // stime 15.
    let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (hz > 0).then(|| ticks / hz as f64)
}

/// A counter of `serverStatus`, whatever number type the server wrote it in.
fn whole(v: &bson::Bson) -> Option<i64> {
    match v {
        bson::Bson::Int32(n) => Some(i64::from(*n)),
        bson::Bson::Int64(n) => Some(*n),
        bson::Bson::Double(n) => Some(*n as i64),
        _ => None,
    }
}

/// The engine's stalls in words, for the bench's output and its table.
fn stalls_line(st: &Stalls) -> String {
    format!(
        "engine stalls   {} forced page evictions ({:.0} ms), {:.0} ms waiting for pages",
        st.forced_evictions, st.forced_eviction_ms, st.page_wait_ms
    )
}

/// Fill the usage figures of `rep` from the readings before and after the load.
fn usage_per_request(rep: &mut Report, before: &Usage, after: &Usage, requests: usize) {
    let n = requests.max(1) as f64;
    if let (Some(b), Some(a)) = (&before.commands, &after.commands) {
        let mut by: Vec<(String, f64)> = a
            .iter()
            .map(|(k, v)| (k.clone(), (v - b.get(k).copied().unwrap_or(0)) as f64 / n))
            .filter(|(_, v)| *v > 0.0)
            .collect();
        rep.engine_commands_per_request = Some(by.iter().map(|(_, v)| v).sum());
        by.sort_by(|x, y| y.1.total_cmp(&x.1));
        rep.engine_commands = by;
    }
    let ms = |b: Option<f64>, a: Option<f64>| Some((a? - b?) * 1000.0 / n);
    rep.process_cpu_ms_per_request = ms(before.own_cpu_s, after.own_cpu_s);
    rep.engine_cpu_ms_per_request = ms(before.engine_cpu_s, after.engine_cpu_s);
    rep.engine_stalls = after.stalls.zip(before.stalls).map(|(a, b)| a.since(b));
}

async fn post(addr: std::net::SocketAddr, path: &str, body: &str) -> Result<u16, String> {
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(512);
    s.read_to_end(&mut out).await.map_err(|e| e.to_string())?;
    let head = String::from_utf8_lossy(&out[..out.len().min(12)]).into_owned();
    head.get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad response: {head}"))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[i] * 100.0).round() / 100.0
}

pub async fn bench_portal(b: &PortalBench, core: &Core, json_out: bool) -> Result<(), Error> {
    let r = portal_report(core, b.participants, b.seconds, b.ramp, b.concurrency).await?;
    if json_out {
        print_json(&r);
    } else {
        println!(
            "portal load test · {} participants · 127.0.0.1 · scratch database dropped",
            r.participants
        );
        println!(
            "valid answers   sent {}  accepted {}  rejected {}",
            r.valid_sent, r.valid_accepted, r.valid_rejected
        );
        println!(
            "invalid answers sent {}  refused with 4xx {}   server errors {}",
            r.invalid_sent, r.invalid_rejected_4xx, r.server_errors
        );
        println!("stored in MongoDB {}  lost {}", r.stored, r.lost);
        println!(
            "response time   p50 {} ms  p95 {} ms  p99 {} ms  max {} ms",
            r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms
        );
        println!(
            "in the portal   p50 {} ms  p95 {} ms  p99 {} ms",
            r.portal_p50_ms, r.portal_p95_ms, r.portal_p99_ms
        );
        println!("{:.1} s, {:.0} requests/s", r.seconds, r.requests_per_s);
        println!(
            "tallies         {} figures differ from the raw answers",
            r.tally_mismatches
        );
        if let Some(c) = r.engine_commands_per_request {
            let by: Vec<String> = r
                .engine_commands
                .iter()
                .map(|(k, v)| format!("{k} {v:.2}"))
                .collect();
            println!("engine commands {c:.2} per request ({})", by.join(", "));
        }
        if let (Some(p), Some(e)) = (r.process_cpu_ms_per_request, r.engine_cpu_ms_per_request) {
            println!("CPU per request portal and phones {p:.2} ms, engine {e:.2} ms");
        }
        if let Some(st) = r.engine_stalls {
            println!("{}", stalls_line(&st));
        }
    }
    if r.lost != 0
        || r.tally_mismatches != 0
        || r.valid_rejected != 0
        || r.server_errors != 0
        || r.invalid_rejected_4xx != r.invalid_sent
    {
        return Err(Error::internal(
            "the portal lost or wrongly refused answers, or miscounted them (see above)",
        ));
    }
    Ok(())
}

/// The portal load test on a scratch database (dropped afterwards).
pub async fn portal_report(
    core: &Core,
    participants: u32,
    seconds: u64,
    ramp: u64,
    concurrency: usize,
) -> Result<Report, Error> {
    let n = participants.clamp(1, 20_000);
    let seconds = seconds.clamp(1, 300);
    let conc = concurrency.clamp(1, 256);
    let scratch = format!("{}_bench_portal_{}", core.info().database, &uuid_suffix());
    let core = core.on_database(&scratch);
    core.ensure_schema().await?;
    let result = run_bench(&core, n, seconds, ramp.min(seconds), conc).await;
    let _ = core.drop_database().await;
    result
}

pub fn uuid_suffix() -> String {
    invitations::new_token()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect::<String>()
        .to_lowercase()
}

async fn run_bench(
    core: &Core,
    n: u32,
    seconds: u64,
    ramp: u64,
    conc: usize,
) -> Result<Report, Error> {
    let ev = events::create(
        core,
        events::input_from_json(json!({
            "title": "Portal load test",
            "status": "published",
            "starts_at": "2027-06-01T08:00:00Z",
            "ends_at": "2027-06-01T18:00:00Z",
            "sessions": [{"title": "Keynote", "starts_at": "2027-06-01T09:00:00Z", "ends_at": "2027-06-01T10:00:00Z"}]
        }))?,
    )
    .await?;
    let mk = |v| feedback::input_from_json(v);
    let rating = feedback::create_question(core, &ev.id, mk(json!({"kind": "rating", "label": {"fr": "Note"}, "session_id": ev.input.sessions[0].id}))?).await?;
    let choice = feedback::create_question(core, &ev.id, mk(json!({"kind": "single", "label": {"fr": "Choix"}, "choices": [{"label": {"fr": "A"}}, {"label": {"fr": "B"}}, {"label": {"fr": "C"}}]}))?).await?;
    feedback::set_status(core, &rating.id, QuestionStatus::Open).await?;
    feedback::set_status(core, &choice.id, QuestionStatus::Open).await?;
    eprintln!("preparing {n} participants with personal links…");
    let mut tokens = Vec::with_capacity(n as usize);
    for i in 0..n {
        let p = participants::create(
            core,
            &ev.id,
            participants::ParticipantInput {
                name: format!("Phone {i}"),
                email: format!("phone{i}@bench.test"),
                ..Default::default()
            },
        )
        .await?;
        tokens.push(invitations::issue_token(core, &p.id, None).await?);
    }
    // Thousands of simulated phones share 127.0.0.1: no per-address limits here.
    let timings = Arc::new(portal::Timings::default());
    let config = portal::PortalConfig {
        limits: portal::Limits::none(),
        max_connections: 4096,
        timings: Some(timings.clone()),
        ..Default::default()
    };
    let handle = portal::start_with(
        core.clone(),
        "127.0.0.1:0".parse().expect("loopback"),
        config,
        None,
    )
    .await?;
    let addr = handle.addr;
    eprintln!("portal on http://{addr}; {n} phones answer 2 polls each (1 in 10 also sends an invalid answer)…");
    let sem = Arc::new(Semaphore::new(conc));
    let before = usage(core).await;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = vec![];
    for (i, token) in tokens.into_iter().enumerate() {
        let sem = sem.clone();
        let (r, c) = (rating.id.clone(), choice.id.clone());
        let offset = Duration::from_millis(if n > 1 {
            ramp * 1000 * i as u64 / u64::from(n)
        } else {
            0
        });
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until((started + offset).into()).await;
            let _permit = sem.acquire_owned().await.ok()?;
            let mut out: Vec<(bool, u16, f64)> = vec![];
            let mut reqs = vec![
                (
                    true,
                    format!("/p/{r}?t={token}"),
                    json!({"value": 1 + i % 5}).to_string(),
                ),
                (
                    true,
                    format!("/p/{c}?t={token}"),
                    json!({"value": format!("c{}", 1 + i % 3)}).to_string(),
                ),
            ];
            if i % 10 == 0 {
                reqs.push((
                    false,
                    format!("/p/{r}?t={token}"),
                    json!({"value": 9}).to_string(),
                ));
            }
            for (valid, path, body) in reqs {
                if Instant::now() > deadline {
                    out.push((valid, 0, f64::NAN));
                    continue;
                }
                let t = Instant::now();
                let code = post(addr, &path, &body).await.unwrap_or(0);
                out.push((valid, code, t.elapsed().as_secs_f64() * 1000.0));
            }
            Some(out)
        }));
    }
    let mut rep = Report {
        participants: n,
        ..Default::default()
    };
    let mut lat = vec![];
    for t in tasks {
        for (valid, code, ms) in t.await.ok().flatten().unwrap_or_default() {
            if !ms.is_nan() {
                lat.push(ms);
            }
            if code >= 500 || code == 0 {
                rep.server_errors += u64::from(code >= 500);
            }
            if valid {
                rep.valid_sent += 1;
                if code == 200 {
                    rep.valid_accepted += 1;
                } else {
                    rep.valid_rejected += 1;
                }
            } else {
                rep.invalid_sent += 1;
                if (400..500).contains(&code) {
                    rep.invalid_rejected_4xx += 1;
                }
            }
        }
    }
    rep.seconds = started.elapsed().as_secs_f64();
    let after = usage(core).await;
    handle.stop().await;
    rep.stored = feedback::answers(core)
        .count_documents(bson::doc! { "event_id": &ev.id })
        .await?;
    rep.lost = rep.valid_accepted as i64 - rep.stored as i64;
    rep.tally_mismatches = dashboard::check(core, &ev.id).await?.len();
    lat.sort_by(|a, b| a.total_cmp(b));
    rep.p50_ms = pct(&lat, 0.50);
    rep.p95_ms = pct(&lat, 0.95);
    rep.p99_ms = pct(&lat, 0.99);
    rep.max_ms = pct(&lat, 1.0);
    rep.requests_per_s = lat.len() as f64 / rep.seconds.max(0.001);
    let mut inside = timings.take();
    inside.sort_by(|a, b| a.total_cmp(b));
    rep.portal_p50_ms = pct(&inside, 0.50);
    rep.portal_p95_ms = pct(&inside, 0.95);
    rep.portal_p99_ms = pct(&inside, 0.99);
    usage_per_request(&mut rep, &before, &after, lat.len());
    Ok(rep)
}

pub async fn run(cmd: &DashboardCmd, core: &Core, json_out: bool) -> Result<(), Error> {
    match cmd {
        DashboardCmd::Generate { participants, seed } => {
            let g = dashboard::synthetic::generate(core, (*participants).clamp(1, 200_000), *seed)
                .await?;
            if json_out {
                print_json(&g);
            } else {
                println!(
                    "event {} · {} participants · {} questions · {} answers · {} connections · {} posts · {:.1} s",
                    g.event_id, g.participants, g.questions, g.answers, g.connections, g.posts, g.seconds
                );
            }
        }
        DashboardCmd::Show { event } => {
            let d = dashboard::event_dashboard(core, event, false).await?;
            if json_out {
                print_json(&d);
            } else {
                let f = &d.funnel;
                println!("{} · refreshed in {} ms", d.title, d.took_ms);
                println!(
                    "funnel: invited {} → accepted {} ({:.0} %) → checked in {} ({:.0} %)",
                    f.invited,
                    f.accepted,
                    f.acceptance_rate * 100.0,
                    f.checked_in,
                    f.show_rate * 100.0
                );
                println!(
                    "answers {} from {} respondents · NPS {} ({} answers)",
                    d.total_answers, d.respondents, d.nps.score, d.nps.total
                );
                for s in &d.sessions {
                    println!(
                        "  {:<30} attendees {:>6}  rating {:>5}  ({} ratings)",
                        s.title,
                        s.attendees,
                        s.avg_rating.map_or("—".into(), |r| format!("{r:.2}")),
                        s.ratings
                    );
                }
            }
        }
        DashboardCmd::Check { event } => {
            let t = Instant::now();
            let diff = dashboard::check(core, event).await?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if json_out {
                print_json(&json!({ "mismatches": diff, "ms": ms }));
            } else if diff.is_empty() {
                println!("the tallies agree with the raw answers on every figure ({ms:.0} ms)");
            } else {
                for m in &diff {
                    println!(
                        "{}: tallies {} ≠ answers {}",
                        m.figure, m.tallies, m.answers
                    );
                }
            }
            if !diff.is_empty() {
                return Err(Error::internal(
                    "the dashboard's tallies differ from the raw answers",
                ));
            }
        }
        DashboardCmd::RebuildCounters { event } => {
            let t = Instant::now();
            events::get(core, event).await?;
            feedback::counters::rebuild(core, event).await?;
            println!(
                "tallies rebuilt in {:.0} ms",
                t.elapsed().as_secs_f64() * 1000.0
            );
        }
        DashboardCmd::Live { event, rounds } => live_bench(core, event, *rounds, json_out).await?,
        DashboardCmd::Explain { event } => {
            let rows = dashboard::explain(core, event).await?;
            let t = Instant::now();
            let d = dashboard::event_dashboard(core, event, false).await?;
            let full = t.elapsed().as_secs_f64() * 1000.0;
            let t = Instant::now();
            dashboard::event_dashboard_from_answers(core, event, false).await?;
            let reference = t.elapsed().as_secs_f64() * 1000.0;
            if json_out {
                print_json(
                    &json!({ "pipelines": rows, "full_refresh_ms": full, "server_took_ms": d.took_ms, "pipelines_refresh_ms": reference }),
                );
            } else {
                println!("| pipeline | collection | time (ms) | plan | index | keys examined | docs examined | returned |");
                println!("|---|---|---:|---|---|---:|---:|---:|");
                for r in &rows {
                    println!(
                        "| {} | {} | {:.1} | {} | {} | {} | {} | {} |",
                        r.name,
                        r.collection,
                        r.ms,
                        r.stats.stages.join(" ← "),
                        r.stats.indexes.join(", "),
                        r.stats.keys_examined,
                        r.stats.docs_examined,
                        r.stats.returned
                    );
                }
                println!("\nfull dashboard refresh (answer tallies + participant, connection, post and text pipelines): {full:.0} ms");
                println!("the same from the raw answers (all pipelines above, concurrently): {reference:.0} ms");
            }
        }
    }
    Ok(())
}

/// One round of the live refresh benchmark.
#[derive(serde::Serialize)]
pub struct LiveRound {
    pub write: &'static str,
    pub live_ms: f64,
    pub full_ms: f64,
    pub ratio: f64,
}

async fn live_bench(core: &Core, event: &str, rounds: u32, json_out: bool) -> Result<(), Error> {
    let rows = live_rounds(core, event, rounds).await?;
    let mut ratios: Vec<f64> = rows.iter().map(|r| r.ratio).collect();
    ratios.sort_by(f64::total_cmp);
    let median = ratios.get(ratios.len() / 2).copied().unwrap_or(0.0);
    if json_out {
        print_json(&json!({ "rounds": rows, "median_ratio": median }));
    } else {
        println!("| write | live refresh (ms) | full refresh (ms) | full ÷ live |");
        println!("|---|---:|---:|---:|");
        for r in &rows {
            println!(
                "| {} | {:.0} | {:.0} | {:.1}× |",
                r.write, r.live_ms, r.full_ms, r.ratio
            );
        }
        println!("\nmedian: the live refresh is {median:.1}× faster; every result equalled a full refresh");
    }
    Ok(())
}

/// Write answers to `event` (a resubmission, a new participant, their first answer, in
/// turn), take the change-stream notification, time the live refresh and a full refresh,
/// and fail unless both give the same dashboard.
pub async fn live_rounds(core: &Core, event: &str, rounds: u32) -> Result<Vec<LiveRound>, Error> {
    use dashboard::live;
    use feedback::{QuestionKind, RawValue, Respondent};
    let qs = feedback::open_questions(core, event, true).await?;
    let rating = qs.iter().find(|q| q.input.kind == QuestionKind::Rating);
    let single = qs.iter().find(|q| q.input.kind == QuestionKind::Single);
    let (Some(rating), Some(single)) = (rating, single) else {
        return Err(Error::invalid(
            "event",
            "the event needs an open rating question and an open single-choice poll (see `dashboard generate`)",
        ));
    };
    let someone = participants::list(
        core,
        event,
        &participants::ParticipantQuery {
            per_page: 1,
            ..Default::default()
        },
    )
    .await?
    .items
    .into_iter()
    .next()
    .ok_or_else(|| Error::invalid("event", "the event has no participants"))?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let w = live::watch(core, event, move |c| {
        let _ = tx.send(c);
    })
    .await?;
    if w.mode != "change_stream" {
        return Err(Error::new(
            eventhub_core::Code::Unsupported,
            "this server has no change streams: live updates poll and recompute everything",
        ));
    }
    let mut prev = dashboard::event_dashboard(core, event, false).await?;
    let mut rows = vec![];
    let mut newcomer: Option<String> = None;
    for i in 0..rounds {
        let what = match (i % 3, newcomer.take()) {
            (0, _) | (_, None) if i % 3 != 1 => {
                let v = RawValue::Number(f64::from(1 + i % 5));
                let who = Respondent::Participant(someone.id.clone());
                feedback::answer(core, rating, &who, &v).await?;
                "resubmitted rating"
            }
            (1, _) | (_, None) => {
                let p = participants::create(
                    core,
                    event,
                    participants::ParticipantInput {
                        name: format!("Bench {i}"),
                        email: format!("bench-{}-{i}@example.org", uuid_suffix()),
                        ..Default::default()
                    },
                )
                .await?;
                newcomer = Some(p.id);
                "new participant registered"
            }
            (_, Some(id)) => {
                let v = RawValue::Text(single.input.choices[0].id.clone());
                feedback::answer(core, single, &Respondent::Participant(id), &v).await?;
                "first answer of a new respondent"
            }
        };
        let mut change = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .map_err(|_| Error::internal("no change notification within 10 s"))?
            .ok_or_else(|| Error::internal("the watch ended"))?;
        while let Ok(Some(c)) = tokio::time::timeout(Duration::from_millis(400), rx.recv()).await {
            change.merge(c);
        }
        // The tallies follow the answers' change stream: both refreshes read them once
        // every answer written is counted.
        feedback::follow::settle(core).await?;
        let t = Instant::now();
        let live = dashboard::refresh(core, prev, &change, false).await?;
        let partial = t.elapsed().as_secs_f64() * 1000.0;
        let t = Instant::now();
        let full = dashboard::event_dashboard(core, event, false).await?;
        let full_ms = t.elapsed().as_secs_f64() * 1000.0;
        let same = {
            let (mut a, mut b) = (live.clone(), full.clone());
            a.generated_at = b.generated_at;
            a.took_ms = 0;
            b.took_ms = 0;
            a == b
        };
        if !same {
            return Err(Error::internal(
                "the live refresh differs from a full refresh",
            ));
        }
        rows.push(LiveRound {
            write: what,
            live_ms: partial,
            full_ms,
            ratio: full_ms / partial.max(1e-3),
        });
        prev = live;
    }
    w.stop();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stall figures are WiredTiger's counters as `serverStatus` reports them (mongod's
    /// names, which secantusd-rs keeps), clean and dirty evictions together, as a difference.
    #[test]
    fn the_engine_stalls_are_read_from_wiredtigers_counters() {
        let status = |dirty: i64, dirty_us: i64, sleep_us: i64| {
            bson::doc! { "wiredTiger": {
                "cache": {
                    "forced eviction - pages evicted that were dirty count": dirty,
                    "forced eviction - pages evicted that were dirty time (usecs)": dirty_us,
                    "forced eviction - pages evicted that were clean count": 2_i32,
                    "forced eviction - pages evicted that were clean time (usecs)": 500_i32,
                },
                "thread-yield": { "page acquire time sleeping (usecs)": sleep_us },
            } }
        };
        let before = Stalls::read(&status(10, 40_000, 1_000)).unwrap();
        assert_eq!(before.forced_evictions, 12);
        assert!((before.forced_eviction_ms - 40.5).abs() < 1e-9);
        let after = Stalls::read(&status(93, 641_773, 157_700)).unwrap();
        let d = after.since(before);
        assert_eq!(d.forced_evictions, 83);
        assert!((d.forced_eviction_ms - 601.773).abs() < 1e-9);
        assert!((d.page_wait_ms - 156.7).abs() < 1e-9);
        assert_eq!(
            stalls_line(&d),
            "engine stalls   83 forced page evictions (602 ms), 157 ms waiting for pages"
        );
        // A server without WiredTiger's counters: no figure rather than a zero.
        assert!(Stalls::read(&bson::doc! { "ok": 1 }).is_none());
    }
}
