//! The report: one self-contained HTML file (inline CSS and SVG charts, no script, no
//! network), printable to PDF, in French or English, generated from a saved lab run and
//! handler bench. It states the machine, the server and its version, and the data sizes
//! the figures come from; its index table is generated from the indexes the app declares.

use std::fmt::Write;

use super::{
    bench::{LabRun, Outcome, QueryResult},
    catalogue::IndexKind,
    handlers::HandlerBench,
};
use crate::report::{evidence, server_ms, Lang};

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
        Outcome::Unsupported => r#"<span class="tag na">unsupported</span>"#.into(),
        Outcome::Error => r#"<span class="tag na">error</span>"#.into(),
        Outcome::TimedOut => r#"<span class="tag na">not finished</span>"#.into(),
        Outcome::Ok if access.contains("COLLSCAN") => {
            format!(r#"<span class="tag scan">{}</span>"#, esc(access))
        }
        Outcome::Ok => format!(r#"<span class="tag ix">{}</span>"#, esc(access)),
    }
}

fn variant_label(kind: IndexKind, index: &str, l: Lang) -> String {
    if kind == IndexKind::None {
        l.t("sans index", "no index").into()
    } else {
        format!("{} · {}", kind.as_str(), index.trim_start_matches("lab_"))
    }
}

/// Server time per execution (mean over the repeated explains), or "—" when not read.
fn server_cell(v: &super::bench::VariantResult, l: Lang) -> String {
    server_ms(v).map_or_else(|| "—".to_owned(), |x| l.num(x))
}

fn query_section(s: &mut String, q: &QueryResult, l: Lang) {
    let _ = write!(
        s,
        r#"<section class="query" id="q-{id}"><h3>{title}</h3><p class="sub">{used} · collection <code>{coll}</code> ({n} documents)</p><pre>{shape}</pre><div class="verdict">{verdict}</div>"#,
        id = esc(&q.id),
        title = esc(l.t(&q.title.fr, &q.title.en)),
        used = esc(l.t(&q.used_by.fr, &q.used_by.en)),
        coll = esc(&q.collection),
        n = group(q.collection_docs as i64),
        shape = esc(&q.shape),
        verdict = esc(l.t(&q.verdict.fr, &q.verdict.en)),
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
                variant_label(v.kind, &v.index, l),
                v.explain.docs_examined as f64,
                v.index == best,
            )
        })
        .collect();
    let p50: Vec<(String, f64, bool)> = ok
        .iter()
        .map(|v| {
            (
                variant_label(v.kind, &v.index, l),
                v.latency.p50_ms,
                v.index == best,
            )
        })
        .collect();
    let _ = write!(
        s,
        r#"<div class="charts">{}{}</div>"#,
        bar_chart(l.t("Documents examinés", "Documents examined"), "", &docs),
        bar_chart(l.t("Latence client p50", "Client latency p50"), "ms", &p50)
    );
    let _ = write!(
        s,
        r#"<table><thead><tr><th>Index</th><th>Plan</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th><th class="n">p50 ms</th><th class="n">p95 ms</th><th class="n">p99 ms</th><th class="n">{}</th><th class="n">{}</th></tr></thead><tbody>"#,
        l.t("Clés ex.", "Keys ex."),
        l.t("Docs ex.", "Docs ex."),
        l.t("Rendus", "Returned"),
        l.t("Serveur ms", "Server ms"),
        l.t("Taille", "Index size"),
        l.t("Insertions/s", "Inserts/s"),
    );
    for v in &q.variants {
        if v.outcome == Outcome::TimedOut {
            let _ = write!(
                s,
                r#"<tr><td>{}<br><code>{}</code></td><td colspan="10"><span class="tag na">{}</span></td></tr>"#,
                esc(v.kind.as_str()),
                esc(&v.definition),
                esc(&super::bench::not_finished_text(v.build_timeout_s, l)),
            );
            continue;
        }
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
                l.t(
                    " <small>+ tri en mémoire</small>",
                    " <small>+ in-memory SORT</small>",
                )
            } else {
                ""
            },
            k = group(v.explain.keys_examined),
            d = group(v.explain.docs_examined),
            r = group(v.explain.returned),
            sm = server_cell(v, l),
            p50 = num(v.latency.p50_ms),
            p95 = num(v.latency.p95_ms),
            p99 = num(v.latency.p99_ms),
            sz = bytes(v.index_bytes),
            ins = group(v.inserts_per_s as i64),
        );
    }
    s.push_str("</tbody></table></section>");
}

/// The index section: every index the app declares, with this run's evidence for it.
fn index_section(s: &mut String, run: &LabRun, l: Lang) {
    let _ = write!(
        s,
        r#"<table><thead><tr><th>Collection</th><th>Index</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
        l.t("Clés et options", "Keys and options"),
        l.t("Preuve de cette exécution", "Evidence from this run"),
    );
    for a in crate::report::app_indexes() {
        let ev = evidence(run, &a.collection, &a.name);
        let proof = if let (true, Some((q, v))) = (
            ev.is_empty(),
            crate::report::unfinished(run, &a.collection, &a.name),
        ) {
            format!(
                r##"<a href="#q-{id}">{t}</a>: <span class="tag na">{w} {text}</span>"##,
                id = esc(&q.id),
                t = esc(l.t(&q.title.fr, &q.title.en)),
                w = l.t("non mesuré : la construction", "not measured: the build"),
                text = esc(&super::bench::not_finished_text(v.build_timeout_s, l)),
            )
        } else if ev.is_empty() {
            format!(
                r#"<span class="tag na">{}</span>"#,
                l.t(
                    "non mesuré : aucune requête du catalogue",
                    "not measured: no catalogue query"
                )
            )
        } else {
            ev.iter()
                .map(|e| {
                    format!(
                        r##"<a href="#q-{id}">{t}</a>: {ba} → {aa}, {bd} → {ad} docs, p50 {bp} → {ap} ms{best}"##,
                        id = esc(&e.query.id),
                        t = esc(l.t(&e.query.title.fr, &e.query.title.en)),
                        ba = access_tag(&e.base.explain.access, e.base.outcome),
                        aa = access_tag(&e.app.explain.access, e.app.outcome),
                        bd = group(e.base.explain.docs_examined),
                        ad = group(e.app.explain.docs_examined),
                        bp = num(e.base.latency.p50_ms),
                        ap = num(e.app.latency.p50_ms),
                        best = if e.best {
                            format!(r#" <span class="tag ix">{}</span>"#, l.t("meilleur", "best"))
                        } else {
                            String::new()
                        },
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = write!(
            s,
            r#"<tr><td>{c}</td><td><code>{n}</code></td><td><code>{k}</code> {o}</td><td>{proof}</td></tr>"#,
            c = esc(&a.collection),
            n = esc(&a.name),
            k = esc(&a.keys_text()),
            o = esc(&a.options.join(", ")),
        );
    }
    s.push_str("</tbody></table>");
}

/// The whole report, in English.
pub fn html(run: &LabRun, bench: Option<&HandlerBench>) -> String {
    html_in(run, bench, Lang::En)
}

/// The whole report, in `l`.
pub fn html_in(run: &LabRun, bench: Option<&HandlerBench>, l: Lang) -> String {
    let mut s = String::new();
    let c = &run.data.counts;
    let _ = write!(
        s,
        r#"<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title><style>{CSS}</style></head><body><main>
<h1>{title}</h1>
<p class="sub">{measured} {date} ({run_w} <code>{id}</code>, {secs:.0} s). {nothing}</p>
<div class="meta">
<div class="card"><b>{server_w}</b>{engine} {version}<br><small>{uri}</small></div>
<div class="card"><b>{machine_w}</b>{os} · {arch}<br>{cpus} CPU · {mem} GiB<br><small>{cpu}</small></div>
<div class="card"><b>{data_w} ({seed_w} {seed})</b>{total} documents: {ev} {events_w}, {pa} participants, {an} {answers_w}, {it} {connections_w}</div>
<div class="card"><b>{method_w}</b>{runs} {timed_w} {warm} {warm_w}; {write_w}: {wb} {inserts_w}</div>
</div>"#,
        lang = l.code(),
        title = l.t(
            "EventHub — laboratoire d'index et temps de réponse",
            "EventHub — index lab and response-time report"
        ),
        measured = l.t(
            "Mesuré par l'application elle-même le",
            "Measured by the app itself on"
        ),
        run_w = l.t("exécution", "run"),
        nothing = l.t(
            "Chaque chiffre ci-dessous vient de cette exécution : rien n'est estimé.",
            "Every figure below comes from this run: nothing is estimated."
        ),
        server_w = l.t("Serveur", "Server"),
        machine_w = l.t("Machine", "Machine"),
        data_w = l.t("Données", "Data"),
        seed_w = l.t("graine", "seed"),
        events_w = l.t("événements", "events"),
        answers_w = l.t("réponses", "answers"),
        connections_w = l.t("mises en relation", "connections"),
        method_w = l.t("Méthode", "Method"),
        timed_w = l.t("mesures par index après", "timed runs per index after"),
        warm_w = l.t("d'échauffement", "warm-up runs"),
        write_w = l.t("coût en écriture", "write cost"),
        inserts_w = l.t("insertions", "inserts"),
        date = l.date(run.started_at),
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
        it = group(c.connections as i64),
        runs = run.options.runs,
        warm = run.options.warmup,
        wb = run.options.write_batch,
    );
    let _ = write!(
        s,
        "<h2>1. {}</h2><p>{}</p><h2>2. {}</h2><ul><li>{}</li><li>{}</li><li>{}</li><li>{}</li></ul>",
        l.t("L'application", "The application"),
        l.t(
            "EventHub est une application de bureau pour les responsables d'événements : événements avec intervenants, programme, plans de salle et champs libres ; participants, invitations et RSVP ; avis et tableau de bord. Elle fonctionne sur une base locale et se connecte à MongoDB Atlas ou à tout serveur MongoDB.",
            "EventHub is a desktop application for event managers: events with their speakers, agenda, seating plans and custom fields; participants, invitations and RSVPs; feedback and a dashboard. It works on a local database and connects to MongoDB Atlas or any MongoDB server."
        ),
        l.t("Ce que mesure le laboratoire", "What the lab measures"),
        l.t(
            "Chaque requête du catalogue est construite par la fonction même de l'application (liste des événements, liste des participants, portail, import CSV, pipelines du tableau de bord) : le nom de cette fonction accompagne chaque requête.",
            "Every catalogue query is built by the app's own function (events list, participants list, portal, CSV import, dashboard pipelines): that function's name comes with each query."
        ),
        l.t(
            "Les données synthétiques ont les formes de documents de l'application (participants construits par participants::build, réponses feedback::Answer, mises en relation networking::Connection), dans les collections de l'application, au sein d'une base séparée.",
            "The synthetic data has the app's document shapes (participants built by participants::build, answers feedback::Answer, connections networking::Connection), in the app's collections, within a separate database."
        ),
        l.t(
            "Parmi les variantes de chaque requête figure l'index que l'application crée, lu dans ses déclarations de collections.",
            "Among each query's variants is the index the app creates, read from its collection declarations."
        ),
        l.t(
            "Les index que le serveur refuse de créer sont signalés « unsupported » ; le temps serveur est l'executionTimeMillis d'explain, moyenné sur plusieurs explications (le serveur compte en millisecondes entières).",
            "Index kinds the server refuses to create are marked unsupported; server time is explain's executionTimeMillis, averaged over several explains (the server counts whole milliseconds)."
        ),
    );
    let _ = write!(
        s,
        "<h2>3. {}</h2><p>{}</p>",
        l.t("Les index de l'application", "The app's indexes"),
        l.t(
            "Généré à partir des index que l'application crée au démarrage, avec la mesure de cette exécution pour chacun.",
            "Generated from the indexes the app creates at start-up, with this run's measurement for each."
        ),
    );
    if !run.server_time_reported {
        let _ = write!(
            s,
            "<p class=\"sub\">{}</p>",
            l.t(
                "Le moteur de cette mesure répond executionTimeMillis = 0 à chaque explain, même pour une requête de plusieurs millisecondes : il ne communique pas son temps d'exécution, et la colonne du temps serveur reste vide (—) au lieu d'afficher des zéros. Sur MongoDB 7/8 ou Atlas, la même mesure la remplit.",
                "This run's engine answers executionTimeMillis = 0 to every explain, even for a query taking several milliseconds: it does not report its execution time, so the server-time column is left empty (—) instead of showing zeros. On MongoDB 7/8 or Atlas the same run fills it."
            )
        );
    }
    index_section(&mut s, run, l);
    let _ = write!(
        s,
        r#"<h2>4. {}</h2><p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>Plan</th><th class="n">{}</th><th class="n">{}</th><th class="n">p50 ms</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th></tr></thead><tbody>"#,
        l.t("Laboratoire d'index — résumé", "Index lab — summary"),
        l.t(
            "Chaque requête a été exécutée sur une collection n'ayant que son index _id, puis avec chaque index candidat seul. Plan et documents examinés : explain(\"executionStats\") ; latences : mesurées par le client autour de la requête complète.",
            "Each query ran on a collection holding only its _id index, then with each candidate index alone. Plan and documents examined: explain(\"executionStats\"); latencies: measured by the client around the complete query."
        ),
        l.t("Requête", "Query"),
        l.t("Meilleur index", "Best index"),
        l.t("Docs examinés", "Docs examined"),
        l.t("× moins", "× fewer"),
        l.t("Serveur ms", "Server ms"),
        l.t("× plus rapide", "× faster"),
        l.t("Coût insertion", "Insert cost"),
    );
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
                    r##"<tr><td><a href="#q-{id}">{t}</a></td><td>{k}<br><code>{def}</code></td><td>{ba} → {va}</td><td class="n">{bd} → {vd}</td><td class="n">{dr}</td><td class="n">{bp} → {vp}</td><td class="n">{bs} → {vs}</td><td class="n">{sr}</td><td class="n">{wc:.0} %</td></tr>"##,
                    id = esc(&q.id),
                    t = esc(l.t(&q.title.fr, &q.title.en)),
                    k = esc(v.kind.as_str()),
                    def = esc(&v.definition),
                    ba = access_tag(&b.explain.access, b.outcome),
                    va = access_tag(&v.explain.access, v.outcome),
                    bd = group(b.explain.docs_examined),
                    vd = group(v.explain.docs_examined),
                    dr = num(q.verdict.docs_ratio),
                    bp = num(b.latency.p50_ms),
                    vp = num(v.latency.p50_ms),
                    bs = server_cell(b, l),
                    vs = server_cell(v, l),
                    sr = num(q.verdict.speed_ratio),
                    wc = -q.verdict.write_cost_pct,
                );
            }
            _ => {
                let _ = write!(
                    s,
                    r#"<tr><td>{}</td><td colspan="8">{}</td></tr>"#,
                    esc(l.t(&q.title.fr, &q.title.en)),
                    esc(l.t(&q.verdict.fr, &q.verdict.en))
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
            "<p><b>{}</b> {}</p>",
            l.t(
                "Non pris en charge par ce serveur :",
                "Not supported by this server:"
            ),
            esc(&unsupported.join(", "))
        );
    }
    let _ = write!(
        s,
        "<h2>5. {}</h2>",
        l.t(
            "Laboratoire d'index — chaque requête",
            "Index lab — each query"
        )
    );
    for q in &run.results {
        query_section(&mut s, q, l);
    }
    let _ = write!(
        s,
        "<h2>6. {}</h2>",
        l.t(
            "Temps de réponse des gestionnaires de l'application",
            "Response time of the app's handlers"
        )
    );
    match bench {
        None => {
            let _ = write!(
                s,
                "<p>{} (<code>eventhub-cli bench handlers</code>).</p>",
                l.t(
                    "Aucun banc d'essai des gestionnaires n'a encore été exécuté",
                    "No handler benchmark has been run yet"
                )
            );
        }
        Some(b) => {
            let _ = write!(
                s,
                r#"<p>{intro} ({ops} {ops_w} {warm} {warm_w} ; {secs:.0} s, {date}).</p>"#,
                intro = l.t(
                    "Chaque gestionnaire de l'app a été chronométré face à l'appel brut du pilote qu'il enveloppe, par 1 à N clients simultanés sur la boucle locale. Le rapport est le p50 de l'app sur le p50 du pilote.",
                    "Each handler of the app was timed against the bare driver call it wraps, by 1 to N concurrent clients on the loopback interface. The ratio is the app's p50 over the driver's p50."
                ),
                ops = b.options.ops,
                ops_w = l.t("opérations par cellule après", "operations per cell after"),
                warm = b.options.warmup,
                warm_w = l.t("appels d'échauffement", "warm-up calls"),
                secs = b.seconds,
                date = l.date(b.started_at),
            );
            let _ = write!(
                s,
                r#"<table><thead><tr><th>Handler</th><th class="n">{}</th><th class="n">Clients</th><th class="n">App p50 / p95 / p99 ms</th><th class="n">{}</th><th class="n">{}</th><th class="n">{}</th><th>{}</th></tr></thead><tbody>"#,
                l.t("Événements", "Events"),
                l.t("Pilote p50 / p95 / p99 ms", "Driver p50 / p95 / p99 ms"),
                l.t("Rapport p50", "Ratio p50"),
                l.t("App op/s", "App ops/s"),
                l.t("Ce qui est mesuré", "What is measured"),
            );
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
                        &format!(
                            "App p50, 1 client, {} {}",
                            group(size as i64),
                            l.t("événements", "events")
                        ),
                        "ms",
                        &rows,
                    ));
                }
            }
            let _ = write!(s, r#"<div class="charts">{charts}</div>"#);
        }
    }
    let _ = write!(
        s,
        "<h2>7. {}</h2><ul><li>{}</li><li>{}</li><li>{}</li><li>{}</li><li>{}</li></ul></main></body></html>",
        l.t("Méthode et limites", "Method and limits"),
        l.t(
            "Les données synthétiques sont générées de façon déterministe à partir de la graine (même graine, mêmes documents), dans une base séparée : les données réelles ne sont jamais touchées.",
            "Synthetic data is generated deterministically from the seed (the same seed gives the same documents), into a separate lab database: real data is never touched."
        ),
        l.t(
            "Pour chaque variante, la collection n'a que _id et cet index ; le planificateur choisit librement (pas de hint). Percentiles au rang le plus proche sur les mesures, échauffement exclu.",
            "For each index variant, the collection holds only _id and that index; the query planner chooses freely (no hint). Percentiles are nearest-rank over the timed runs; warm-up runs are excluded."
        ),
        l.t(
            "Coût en écriture : un lot de nouveaux documents inséré (100 par appel) avec l'index, chronométré puis retiré — trois fois, la médiane gardée ; comparé au même lot avec _id seul.",
            "Write cost: a batch of new documents is inserted (100 per call) with the index in place, timed, then removed — three times, the median kept; compared with the same batch with _id only."
        ),
        l.t(
            "Client et serveur sur la même machine, en boucle locale : sur un serveur distant (Atlas), ajouter l'aller-retour réseau à chaque appel.",
            "Client and server run on the same machine, over loopback: on a remote server (Atlas), add the round-trip time to every call."
        ),
        l.t(
            "Les chiffres sont ceux du serveur nommé plus haut ; là où il lui manque une fonction, le rapport le dit au lieu d'estimer.",
            "The figures are those of the server named above; where it lacks a feature, the report says so rather than estimating."
        ),
    );
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
