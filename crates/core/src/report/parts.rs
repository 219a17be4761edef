//! Pieces both documents show: the lab's per-query summary, its charts, the handler bench
//! chart, the run's description.

use maud::{html, Markup};

use super::{
    app_variant, baseline,
    charts::{Chart, Row},
    server_ms, Inputs, Lang, RunView,
};
use crate::lab::bench::{not_finished_text, LabRun, Outcome, QueryResult, VariantResult};

/// A plan as a coloured tag: red for a collection scan, green otherwise.
pub fn plan(v: &VariantResult, l: Lang) -> Markup {
    let sort = if v.explain.in_memory_sort {
        " + SORT"
    } else {
        ""
    };
    match v.outcome {
        Outcome::Ok if v.explain.access.contains("COLLSCAN") => {
            html! { span class="tag scan" { (v.explain.access) (sort) } }
        }
        Outcome::Ok => html! { span class="tag ix" { (v.explain.access) (sort) } },
        Outcome::Unsupported => html! { span class="tag na" { "unsupported" } },
        Outcome::Error => html! { span class="tag na" { "error" } },
        Outcome::TimedOut => {
            html! { span class="tag na" { (not_finished_text(v.build_timeout_s, l)) } }
        }
    }
}

pub fn title(q: &QueryResult, l: Lang) -> &str {
    l.t(&q.title.fr, &q.title.en)
}

/// The server time of a variant, or a note that it was not read.
pub fn server(v: &VariantResult, l: Lang) -> Markup {
    match server_ms(v) {
        Some(ms) => html! { (l.num(ms)) },
        None => html! { span class="missing" { (l.t("non communiqué", "not reported")) } },
    }
}

/// One line per query: the app's index against the collection scan. The server-time
/// column is left out when the run's engine reports none (said under the table instead).
pub fn summary_table(inputs: &Inputs, run: &LabRun, l: Lang, compact: bool) -> Markup {
    let srv = run.server_time_reported;
    // Columns after the index name: plan, docs, p50, [server], [lab's best].
    let after_index = 3 + usize::from(srv) + usize::from(!compact);
    html! {
        table {
            thead { tr {
                th { (l.t("Requête de l'application", "The app's query")) }
                th { (l.t("Index de l'application", "The app's index")) }
                th { (l.t("Plan", "Plan")) }
                th.n { (l.t("Docs examinés", "Docs examined")) }
                th.n { (l.t("p50 client (ms)", "Client p50 (ms)")) }
                @if srv { th.n { (l.t("Serveur (ms)", "Server (ms)")) } }
                @if !compact { th { (l.t("Meilleur du labo", "Lab's best")) } }
            } }
            tbody {
                @for q in &run.results {
                    @let base = baseline(q);
                    @let app = app_variant(q, &inputs.app_indexes);
                    @let stopped = super::app_unfinished(q, &inputs.app_indexes);
                    tr {
                        td { (title(q, l)) }
                        @match (base, app, stopped) {
                            (Some(b), Some(a), _) => {
                                td { code { (a.index) } }
                                td { (plan(b, l)) " → " (plan(a, l)) }
                                td.n { (l.int(b.explain.docs_examined)) " → " (l.int(a.explain.docs_examined)) }
                                td.n { (l.num(b.latency.p50_ms)) " → " (l.num(a.latency.p50_ms)) }
                                @if srv { td.n { (server(b, l)) " → " (server(a, l)) } }
                                @if !compact {
                                    td {
                                        @if q.verdict.best.as_deref() == Some(a.index.as_str()) {
                                            span class="tag ix" { (l.t("celui de l'app", "the app's")) }
                                        } @else {
                                            code { (q.verdict.best_definition) }
                                        }
                                    }
                                }
                            }
                            (Some(b), None, Some(a)) => {
                                td { code { (a.index) } }
                                td colspan=(after_index) {
                                    (plan(b, l)) " → " (plan(a, l))
                                    " " span class="missing" { (l.t("construction de l'index arrêtée : non mesuré", "index build stopped: not measured")) }
                                }
                            }
                            _ => {
                                td colspan=(after_index + 1) class="missing" {
                                    (l.t("pas de mesure de l'index de l'application dans cette exécution", "no measurement of the app's index in this run"))
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !srv {
            p class="note" { (l.t("Temps serveur : non communiqué par ce moteur (executionTimeMillis vaut 0 à chaque explain) ; seuls les temps mesurés par le client sont donnés.", "Server time: not reported by this engine (executionTimeMillis is 0 in every explain); only client-measured times are given.")) }
        }
    }
}

/// Documents examined, no index against the app's index, per query.
pub fn docs_chart(inputs: &Inputs, rv: &RunView, l: Lang, width: f64) -> Markup {
    let title = l.t(
        "Documents examinés par requête",
        "Documents examined per query",
    );
    no_index_vs_app(inputs, rv, l, width, title, "", |v| {
        v.explain.docs_examined as f64
    })
}

/// Client p50, no index against the app's index, per query.
pub fn p50_chart(inputs: &Inputs, rv: &RunView, l: Lang, width: f64) -> Markup {
    let title = l.t(
        "Temps de réponse p50 mesuré par le client",
        "Client-measured p50 response time",
    );
    no_index_vs_app(inputs, rv, l, width, title, "ms", |v| v.latency.p50_ms)
}

/// One figure per query, with no index beside the app's index, on a log scale.
fn no_index_vs_app(
    inputs: &Inputs,
    rv: &RunView,
    l: Lang,
    width: f64,
    title: &str,
    unit: &str,
    f: impl Fn(&VariantResult) -> f64,
) -> Markup {
    let rows = rows(inputs, &rv.run, l, f);
    let t = format!(
        "{title} — {} {}",
        l.int(rv.scale() as i64),
        l.t("documents", "documents")
    );
    Chart {
        title: &t,
        unit,
        series: &[
            l.t("sans index", "no index"),
            l.t("index de l'application", "the app's index"),
        ],
        rows,
        log: true,
        width,
    }
    .render(l)
}

fn rows(inputs: &Inputs, run: &LabRun, l: Lang, f: impl Fn(&VariantResult) -> f64) -> Vec<Row> {
    run.results
        .iter()
        .map(|q| Row {
            label: title(q, l).to_owned(),
            values: vec![
                baseline(q).map(&f),
                app_variant(q, &inputs.app_indexes).map(&f),
            ],
        })
        .collect()
}

/// The app's index p50 at each measured scale (one series per run).
pub fn scale_chart(inputs: &Inputs, l: Lang, width: f64) -> Option<Markup> {
    if inputs.runs.len() < 2 {
        return None;
    }
    let names: Vec<String> = inputs
        .runs
        .iter()
        .map(|r| format!("{} docs", l.int(r.scale() as i64)))
        .collect();
    let series: Vec<&str> = names.iter().map(String::as_str).collect();
    let first = &inputs.runs[0].run;
    let rows = first
        .results
        .iter()
        .map(|q| Row {
            label: title(q, l).to_owned(),
            values: inputs
                .runs
                .iter()
                .map(|rv| {
                    rv.run
                        .results
                        .iter()
                        .find(|x| x.id == q.id)
                        .and_then(|x| app_variant(x, &inputs.app_indexes))
                        .map(|v| v.latency.p50_ms)
                })
                .collect(),
        })
        .collect();
    let t = l.t(
        "p50 avec l'index de l'application, selon la taille des données",
        "p50 with the app's index, by data size",
    );
    Some(
        Chart {
            title: t,
            unit: "ms",
            series: &series,
            rows,
            log: true,
            width,
        }
        .render(l),
    )
}

/// The handler bench: app against bare driver p50, one client, at the largest size.
pub fn bench_chart(inputs: &Inputs, l: Lang, width: f64) -> Option<Markup> {
    let b = inputs.bench.as_ref()?;
    let size = b.results.iter().map(|r| r.size).max()?;
    let rows = b
        .results
        .iter()
        .filter(|r| r.size == size && r.clients == 1)
        .map(|r| Row {
            label: r.handler.clone(),
            values: vec![Some(r.driver.p50_ms), Some(r.app.p50_ms)],
        })
        .collect();
    let t = format!(
        "{} — {} {}",
        l.t(
            "Gestionnaires de l'app contre l'appel brut du pilote (p50, 1 client)",
            "The app's handlers against the bare driver call (p50, 1 client)"
        ),
        l.int(size as i64),
        l.t("événements", "events")
    );
    Some(
        Chart {
            title: &t,
            unit: "ms",
            series: &[l.t("pilote seul", "bare driver"), l.t("application", "app")],
            rows,
            log: false,
            width,
        }
        .render(l),
    )
}

/// Where and how a run was measured, in one sentence.
pub fn run_line(rv: &RunView, l: Lang) -> Markup {
    let r = &rv.run;
    let c = &r.data.counts;
    html! {
        (l.t("Exécution", "Run")) " " code { (r.id) } " — " (l.date(r.started_at)) ", "
        (r.server.engine) " " (r.server.version) ", "
        (r.machine.cpus) " CPU " (r.machine.cpu_model) ", " (l.num(r.machine.memory_gib)) " " (l.t("Gio", "GiB")) ". "
        (l.int(c.total() as i64)) " " (l.t("documents", "documents")) (l.t(" : ", ": "))
        (l.int(c.events as i64)) " " (l.t("événements", "events")) ", "
        (l.int(c.participants as i64)) " participants, "
        (l.int(c.answers as i64)) " " (l.t("réponses", "answers")) ", "
        (l.int(c.connections as i64)) " " (l.t("mises en relation", "connections")) " ("
        (l.t("graine", "seed")) " " (r.data.seed) "). "
        (r.options.runs) " " (l.t("mesures par index après", "timed runs per index after")) " " (r.options.warmup) " "
        (l.t("d'échauffement", "warm-up")) "."
    }
}

/// How many queries the app's index is the lab's best for, out of those measured.
pub fn app_is_best(inputs: &Inputs, run: &LabRun) -> (usize, usize) {
    let measured: Vec<&QueryResult> = run
        .results
        .iter()
        .filter(|q| app_variant(q, &inputs.app_indexes).is_some())
        .collect();
    let best = measured
        .iter()
        .filter(|q| {
            app_variant(q, &inputs.app_indexes)
                .is_some_and(|a| q.verdict.best.as_deref() == Some(a.index.as_str()))
        })
        .count();
    (best, measured.len())
}

/// Queries whose collection scan the app's index turned into an index scan.
pub fn scans_removed(inputs: &Inputs, run: &LabRun) -> (usize, usize) {
    let n = run
        .results
        .iter()
        .filter(|q| {
            baseline(q).is_some_and(|b| b.explain.is_collscan())
                && app_variant(q, &inputs.app_indexes).is_some_and(|a| !a.explain.is_collscan())
        })
        .count();
    (n, run.results.len())
}
