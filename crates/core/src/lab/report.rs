//! The report: one self-contained HTML file (inline CSS and SVG charts, no script, no
//! network), printable to PDF, generated from a saved lab run and handler bench. It states
//! the machine, the server and its version, and the data sizes the figures come from.

use std::fmt::Write;

use super::{
    bench::{LabRun, Outcome, QueryResult},
    catalogue::IndexKind,
    handlers::HandlerBench,
};

/// Escape text for HTML.
pub use crate::mail::template::html_escape as esc;

fn num(n: f64) -> String {
    if n >= 100.0 {
        group(n.round() as i64)
    } else if n >= 10.0 {
        format!("{n:.1}")
    } else {
        format!("{n:.2}")
    }
}

fn group(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn bytes(b: i64) -> String {
    let b = b as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else {
        format!("{:.0} KiB", b / 1024.0)
    }
}

/// A horizontal bar chart as inline SVG. `rows`: (label, value, highlighted).
pub fn bar_chart(title: &str, unit: &str, rows: &[(String, f64, bool)]) -> String {
    let w = 560.0;
    let label_w = 190.0;
    let bar_h = 18.0;
    let gap = 6.0;
    let top = 22.0;
    let h = top + rows.len() as f64 * (bar_h + gap) + 4.0;
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1e-9);
    let mut s = format!(
        r#"<svg class="chart" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title><text x="0" y="14" class="ct">{t}</text>"#,
        t = esc(title)
    );
    for (i, (label, v, hi)) in rows.iter().enumerate() {
        let y = top + i as f64 * (bar_h + gap);
        let bw = ((w - label_w - 90.0) * (v / max)).max(1.0);
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" class="cl" text-anchor="end">{l}</text><rect x="{label_w}" y="{y}" width="{bw:.1}" height="{bar_h}" rx="3" class="{c}"/><text x="{vx:.1}" y="{ty}" class="cv">{val} {u}</text>"#,
            lx = label_w - 8.0,
            ty = y + 13.0,
            l = esc(label),
            c = if *hi { "bh" } else { "bn" },
            vx = label_w + bw + 6.0,
            val = num(*v),
            u = esc(unit),
        );
    }
    s.push_str("</svg>");
    s
}

const CSS: &str = r#"
:root{--ink:#1d2433;--muted:#5b6475;--line:#dfe3ea;--accent:#2f6fdf;--good:#1f8a4c;--bad:#b3261e;--bg:#f6f8fb}
*{box-sizing:border-box}body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#fff}
main{max-width:980px;margin:0 auto;padding:32px 40px 64px}
h1{font-size:28px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 10px;padding-top:8px;border-top:2px solid var(--line)}h3{font-size:16px;margin:24px 0 6px}
.sub{color:var(--muted);margin:0 0 18px}.meta{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:10px;margin:16px 0}
.card{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:10px 12px}.card b{display:block;font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.03em}
table{border-collapse:collapse;width:100%;margin:8px 0 14px;font-size:12.5px}th,td{border-bottom:1px solid var(--line);padding:5px 6px;text-align:left;vertical-align:top}th{background:var(--bg);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}code,pre{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px 10px;white-space:pre-wrap;word-break:break-all}
.verdict{border-left:4px solid var(--good);background:#eef8f1;padding:8px 12px;border-radius:4px;margin:8px 0}
.tag{display:inline-block;border-radius:10px;padding:0 8px;font-size:11.5px;font-weight:600}.scan{background:#fde8e7;color:var(--bad)}.ix{background:#e5f4ea;color:var(--good)}.na{background:#eceff3;color:var(--muted)}
.charts{display:flex;flex-wrap:wrap;gap:8px 24px}svg.chart .ct{font:600 12px system-ui,sans-serif;fill:var(--ink)}svg.chart .cl,svg.chart .cv{font:11px system-ui,sans-serif;fill:var(--muted)}svg.chart .bn{fill:#9db6e4}svg.chart .bh{fill:var(--good)}
.query{break-inside:avoid-page}ul{padding-left:20px}
@media print{main{padding:0;max-width:none}h2{break-after:avoid}.query,table{break-inside:avoid}a{color:inherit}}
"#;

fn access_tag(access: &str, outcome: Outcome) -> String {
    match outcome {
        Outcome::Unsupported => r#"<span class="tag na">unsupported by this server</span>"#.into(),
        Outcome::Error => r#"<span class="tag na">error</span>"#.into(),
        Outcome::Ok if access.contains("COLLSCAN") => {
            format!(r#"<span class="tag scan">{}</span>"#, esc(access))
        }
        Outcome::Ok => format!(r#"<span class="tag ix">{}</span>"#, esc(access)),
    }
}

fn variant_label(kind: IndexKind, index: &str) -> String {
    if kind == IndexKind::None {
        "no index".into()
    } else {
        format!("{} · {}", kind.as_str(), index.trim_start_matches("lab_"))
    }
}

fn query_section(s: &mut String, q: &QueryResult) {
    let _ = write!(
        s,
        r#"<section class="query" id="q-{id}"><h3>{title}</h3><p class="sub">{used} · collection <code>{coll}</code> ({n} documents)</p><pre>{shape}</pre><div class="verdict">{verdict}</div>"#,
        id = esc(&q.id),
        title = esc(&q.title.en),
        used = esc(&q.used_by.en),
        coll = esc(&q.collection),
        n = group(q.collection_docs as i64),
        shape = esc(&q.shape),
        verdict = esc(&q.verdict.en),
    );
    let ok: Vec<_> = q
        .variants
        .iter()
        .filter(|v| v.outcome == Outcome::Ok)
        .collect();
    let best = q.verdict.best.as_deref().unwrap_or("");
    let docs: Vec<(String, f64, bool)> = ok
        .iter()
        .map(|v| {
            (
                variant_label(v.kind, &v.index),
                v.explain.docs_examined as f64,
                v.index == best,
            )
        })
        .collect();
    let p50: Vec<(String, f64, bool)> = ok
        .iter()
        .map(|v| {
            (
                variant_label(v.kind, &v.index),
                v.latency.p50_ms,
                v.index == best,
            )
        })
        .collect();
    let _ = write!(
        s,
        r#"<div class="charts">{}{}</div>"#,
        bar_chart("Documents examined", "", &docs),
        bar_chart("Client latency p50", "ms", &p50)
    );
    s.push_str(r#"<table><thead><tr><th>Index</th><th>Plan</th><th class="n">Keys ex.</th><th class="n">Docs ex.</th><th class="n">Returned</th><th class="n">Server ms</th><th class="n">p50 ms</th><th class="n">p95 ms</th><th class="n">p99 ms</th><th class="n">Index size</th><th class="n">Inserts/s</th></tr></thead><tbody>"#);
    for v in &q.variants {
        if v.outcome != Outcome::Ok {
            let _ = write!(
                s,
                r#"<tr><td>{}<br><code>{}</code></td><td colspan="10">{} <small>{}</small></td></tr>"#,
                esc(v.kind.as_str()),
                esc(&v.definition),
                access_tag("", v.outcome),
                esc(&v.message)
            );
            continue;
        }
        let _ = write!(
            s,
            r#"<tr><td>{kind}<br><code>{def}</code></td><td>{plan}{sort}</td><td class="n">{k}</td><td class="n">{d}</td><td class="n">{r}</td><td class="n">{sm}</td><td class="n">{p50}</td><td class="n">{p95}</td><td class="n">{p99}</td><td class="n">{sz}</td><td class="n">{ins}</td></tr>"#,
            kind = esc(v.kind.as_str()),
            def = esc(&v.definition),
            plan = access_tag(&v.explain.access, v.outcome),
            sort = if v.explain.in_memory_sort {
                " <small>+ in-memory SORT</small>"
            } else {
                ""
            },
            k = group(v.explain.keys_examined),
            d = group(v.explain.docs_examined),
            r = group(v.explain.returned),
            sm = v.explain.server_ms,
            p50 = num(v.latency.p50_ms),
            p95 = num(v.latency.p95_ms),
            p99 = num(v.latency.p99_ms),
            sz = bytes(v.index_bytes),
            ins = group(v.inserts_per_s as i64),
        );
    }
    s.push_str("</tbody></table></section>");
}

/// The whole report.
pub fn html(run: &LabRun, bench: Option<&HandlerBench>) -> String {
    let mut s = String::new();
    let c = &run.data.counts;
    let _ = write!(
        s,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>EventHub — index lab and response-time report</title><style>{CSS}</style></head><body><main>
<h1>EventHub — index lab and response-time report</h1>
<p class="sub">Measured by the app itself on {date} (run <code>{id}</code>, {secs:.0} s). Every figure below comes from this run: nothing is estimated.</p>
<div class="meta">
<div class="card"><b>Server</b>{engine} {version}<br><small>{uri}</small></div>
<div class="card"><b>Machine</b>{os} · {arch}<br>{cpus} CPU · {mem} GiB<br><small>{cpu}</small></div>
<div class="card"><b>Data (seed {seed})</b>{total} documents: {ev} events, {pa} participants, {an} answers, {it} interactions</div>
<div class="card"><b>Method</b>{runs} timed runs per index after {warm} warm-up runs; write cost: {wb} inserts</div>
</div>"#,
        date = run.started_at.format("%Y-%m-%d %H:%M UTC"),
        id = esc(&run.id),
        secs = run.seconds,
        engine = esc(&run.server.engine),
        version = esc(&run.server.version),
        uri = esc(&run.server.uri),
        os = esc(&run.machine.os),
        arch = esc(&run.machine.arch),
        cpus = run.machine.cpus,
        mem = run.machine.memory_gib,
        cpu = esc(&run.machine.cpu_model),
        seed = run.data.seed,
        total = group(c.total() as i64),
        ev = group(c.events as i64),
        pa = group(c.participants as i64),
        an = group(c.answers as i64),
        it = group(c.interactions as i64),
        runs = run.options.runs,
        warm = run.options.warmup,
        wb = run.options.write_batch,
    );
    s.push_str(r#"<h2>1. The application</h2>
<p>EventHub is a desktop application for event managers: events with their speakers, agenda, seating plans and custom fields; participants, invitations and RSVPs; feedback and a dashboard. It runs on Windows, macOS and Linux, works on a local database out of the box, and connects to MongoDB Atlas or any MongoDB server when one is configured.</p>
<h2>2. How it is built</h2>
<ul>
<li><b>One core, many front ends.</b> All domain logic and every MongoDB access live in a Rust library free of any GUI (<code>eventhub-core</code>). The desktop app (Tauri 2, HTML + TypeScript UI), the command line (<code>eventhub-cli</code>) and the tests call the same functions — including the lab that produced this report.</li>
<li><b>Thin commands, one error type.</b> UI commands parse their input and delegate; errors reach the UI as <code>{code, message, field}</code>. Driver errors are mapped in one place (duplicate key, validation, unavailable).</li>
<li><b>Detect, don't assume.</b> At connection the app asks the server what it is (<code>buildInfo</code>, <code>hello</code>) and probes optional features (text and hashed indexes, change streams). Unsupported index kinds below are those the server refused when the lab tried to create them.</li>
<li><b>Ready for sync.</b> Ids are generated by the app (UUID v7, time-ordered), every document carries a version and <code>updated_at</code>; updates are conditional on the version read (optimistic concurrency); deletions leave tombstones.</li>
<li><b>Tested against a real server.</b> Core and command tests run against a real MongoDB-compatible engine (a fresh database per test), and end-to-end tests drive the real window.</li>
</ul>
<h2>3. Schema choices</h2>
<p>The rule: <b>embed what is read together and bounded; reference what grows without bound.</b> An event embeds its speakers (≤ 200), sessions (≤ 500), seating plans (≤ 50) and custom fields: one read shows the editor, one atomic write saves it, one version guards it. Participants, answers and interactions grow without bound and live in their own collections, referencing <code>event_id</code>. A <code>$jsonSchema</code> validator is the backstop behind the app's own validation.</p>
<table><thead><tr><th>Collection</th><th>Index</th><th>Serves</th></tr></thead><tbody>
<tr><td>events</td><td><code>{status, starts_at}</code></td><td>status filter with date sort (equality before sort)</td></tr>
<tr><td>events</td><td><code>{tags, starts_at}</code> multikey</td><td>tag filter, by date</td></tr>
<tr><td>events</td><td><code>{search_terms}</code> multikey</td><td>accent- and case-insensitive word search by anchored prefix — works on every server, <code>$text</code> used where available</td></tr>
<tr><td>events</td><td><code>{starts_at, ends_at}</code></td><td>default order, date range</td></tr>
<tr><td>events</td><td><code>{venue.location}</code> 2dsphere</td><td>events near a place</td></tr>
<tr><td>participants</td><td><code>{event_id, email}</code> unique</td><td>look-up by e-mail, no duplicates per event</td></tr>
<tr><td>participants</td><td><code>{event_id, status}</code></td><td>status counts (covered)</td></tr>
</tbody></table>
<h2>4. Index lab — summary</h2>
<p>Each query of the app was run on a collection holding only its <code>_id</code> index, then with each relevant kind of index alone. “Docs examined” and the plan come from the server's <code>explain("executionStats")</code>; latencies are measured by the client around the complete query (all documents fetched).</p>
<table><thead><tr><th>Query</th><th>Best index</th><th>Plan</th><th class="n">Docs examined</th><th class="n">× fewer</th><th class="n">p50 ms</th><th class="n">× faster</th><th class="n">Insert cost</th></tr></thead><tbody>"#);
    for q in &run.results {
        let base = q.variants.iter().find(|v| v.kind == IndexKind::None);
        let best = q
            .variants
            .iter()
            .find(|v| Some(v.index.as_str()) == q.verdict.best.as_deref());
        match (base, best) {
            (Some(b), Some(v)) => {
                let _ = write!(
                    s,
                    r##"<tr><td><a href="#q-{id}">{t}</a></td><td>{k}<br><code>{def}</code></td><td>{ba} → {va}</td><td class="n">{bd} → {vd}</td><td class="n">{dr}</td><td class="n">{bp} → {vp}</td><td class="n">{sr}</td><td class="n">{wc:.0} %</td></tr>"##,
                    id = esc(&q.id),
                    t = esc(&q.title.en),
                    k = esc(v.kind.as_str()),
                    def = esc(&v.definition),
                    ba = access_tag(&b.explain.access, b.outcome),
                    va = access_tag(&v.explain.access, v.outcome),
                    bd = group(b.explain.docs_examined),
                    vd = group(v.explain.docs_examined),
                    dr = num(q.verdict.docs_ratio),
                    bp = num(b.latency.p50_ms),
                    vp = num(v.latency.p50_ms),
                    sr = num(q.verdict.speed_ratio),
                    wc = -q.verdict.write_cost_pct,
                );
            }
            _ => {
                let _ = write!(
                    s,
                    r#"<tr><td>{}</td><td colspan="7">{}</td></tr>"#,
                    esc(&q.title.en),
                    esc(&q.verdict.en)
                );
            }
        }
    }
    s.push_str("</tbody></table>");
    let unsupported: Vec<String> = run
        .results
        .iter()
        .flat_map(|q| q.variants.iter())
        .filter(|v| v.outcome == Outcome::Unsupported)
        .map(|v| v.kind.as_str().to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !unsupported.is_empty() {
        let _ = write!(
            s,
            "<p><b>Not supported by this server:</b> {} indexes (the server refused to create them; on MongoDB they are measured the same way).</p>",
            esc(&unsupported.join(", "))
        );
    }
    s.push_str("<h2>5. Index lab — each query</h2>");
    for q in &run.results {
        query_section(&mut s, q);
    }
    s.push_str("<h2>6. Response time of the app's handlers</h2>");
    match bench {
        None => s.push_str("<p>No handler benchmark has been run yet (<code>eventhub-cli bench handlers</code>).</p>"),
        Some(b) => {
            let _ = write!(
                s,
                r#"<p>Each handler of the app was timed against the bare driver call it wraps, on a database of the given number of events (10 participants each) with the app's real indexes, by 1 to N concurrent clients on the loopback interface ({ops} operations per cell after {warm} warm-up calls; {secs:.0} s in all, {date}). The ratio is the app's p50 over the driver's p50: the cost of the app's validation, serialisation and extra round trips. “planned” handlers belong to screens being built: the query they will run is measured.</p>"#,
                ops = b.options.ops,
                warm = b.options.warmup,
                secs = b.seconds,
                date = b.started_at.format("%Y-%m-%d %H:%M UTC"),
            );
            s.push_str(r#"<table><thead><tr><th>Handler</th><th class="n">Events</th><th class="n">Clients</th><th class="n">App p50 / p95 / p99 ms</th><th class="n">Driver p50 / p95 / p99 ms</th><th class="n">Ratio p50</th><th class="n">App ops/s</th><th>What is measured</th></tr></thead><tbody>"#);
            for r in &b.results {
                let _ = write!(
                    s,
                    r#"<tr><td>{h}</td><td class="n">{size}</td><td class="n">{c}</td><td class="n">{a1} / {a2} / {a3}</td><td class="n">{d1} / {d2} / {d3}</td><td class="n">{ratio:.2}</td><td class="n">{ops}</td><td><small>{src}<br>vs {bare}</small></td></tr>"#,
                    h = esc(&r.handler),
                    size = group(r.size as i64),
                    c = r.clients,
                    a1 = num(r.app.p50_ms),
                    a2 = num(r.app.p95_ms),
                    a3 = num(r.app.p99_ms),
                    d1 = num(r.driver.p50_ms),
                    d2 = num(r.driver.p95_ms),
                    d3 = num(r.driver.p99_ms),
                    ratio = r.ratio_p50,
                    ops = group(r.app_ops_per_s as i64),
                    src = esc(&r.source),
                    bare = esc(&r.bare),
                );
            }
            s.push_str("</tbody></table>");
            let mut charts = String::new();
            let sizes: std::collections::BTreeSet<u64> = b.results.iter().map(|r| r.size).collect();
            for size in sizes {
                let rows: Vec<(String, f64, bool)> = b
                    .results
                    .iter()
                    .filter(|r| r.size == size && r.clients == 1)
                    .map(|r| (r.handler.clone(), r.app.p50_ms, false))
                    .collect();
                if !rows.is_empty() {
                    charts.push_str(&bar_chart(
                        &format!("App p50, 1 client, {} events", group(size as i64)),
                        "ms",
                        &rows,
                    ));
                }
            }
            let _ = write!(s, r#"<div class="charts">{charts}</div>"#);
        }
    }
    s.push_str(r#"<h2>7. Method and limits</h2><ul>
<li>Synthetic data is generated deterministically from the seed (the same seed gives the same documents), into a separate lab database: real data is never touched.</li>
<li>For each index variant, the collection holds only <code>_id</code> and that index; the query planner chooses freely (no hint). Percentiles are nearest-rank over the timed runs; warm-up runs are excluded.</li>
<li>Write cost: a batch of new documents is inserted (100 per call) with the index in place, timed, then removed — three times, the median kept; compared with the same batch with <code>_id</code> only.</li>
<li>Client and server run on the same machine, over loopback: the latencies include the driver and the local network stack, not a real network. On a remote server (Atlas), add the round-trip time to every call — which makes extra round trips, not indexes, the main cost.</li>
<li>The figures are those of the server named above. Where it lacks a feature (for example text or hashed indexes), the report says so rather than estimating.</li>
</ul></main></body></html>"#);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_labels_and_scale_bars() {
        let svg = bar_chart(
            "Docs <examined>",
            "",
            &[("a&b".into(), 100.0, false), ("c".into(), 1.0, true)],
        );
        assert!(svg.contains("Docs &lt;examined&gt;"));
        assert!(svg.contains("a&amp;b"));
        assert!(svg.contains(r#"class="bh""#));
        assert_eq!(group(1234567), "1\u{202f}234\u{202f}567");
    }
}
