//! The final report for the IT department: one self-contained A4 HTML file. Every figure
//! comes from [`Inputs`]; what was not measured is said to be missing.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::{
    app_variant, baseline, evidence, parts, server_ms, CollSize, Inputs, Lang, RunView, BASE_CSS,
};
use crate::lab::{bench::LabRun, generate, LAB_COLLECTIONS};

const CSS: &str = r#"
@page{size:A4;margin:16mm 14mm 18mm}
main{max-width:1000px;margin:0 auto;padding:28px 36px 60px}
@media print{main{padding:0;max-width:none}}
h1{font-size:28px;margin:0 0 4px}h2{font-size:21px;margin:30px 0 8px;padding-top:8px;border-top:2px solid var(--line);break-after:avoid}
h3{font-size:16px;margin:18px 0 6px;break-after:avoid}
p,li{font-size:13.5px}.sub{color:var(--muted)}
table,pre,svg.chart,.keep{break-inside:avoid}
tr{break-inside:avoid}
.meta{display:grid;grid-template-columns:repeat(2,1fr);gap:8px;margin:12px 0}
.card{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:8px 12px;font-size:13px}
.card b{display:block;font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.toc{columns:2;font-size:13.5px}
pre.doc{font-size:10.5px;line-height:1.3}
.small table{font-size:11px}
"#;

/// Atlas dedicated tiers as published by MongoDB (RAM and default storage, GB): reference
/// data for the sizing rule, not a measurement.
pub const ATLAS_TIERS: [(&str, f64, f64); 9] = [
    ("M10", 2.0, 10.0),
    ("M20", 4.0, 20.0),
    ("M30", 8.0, 40.0),
    ("M40", 16.0, 80.0),
    ("M50", 32.0, 160.0),
    ("M60", 64.0, 320.0),
    ("M80", 128.0, 750.0),
    ("M200", 256.0, 1500.0),
    ("M300", 384.0, 2000.0),
];

const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Per-document figures of one collection, from a run and its measured sizes.
#[derive(Debug, Clone)]
pub struct PerDoc {
    pub collection: String,
    pub docs: u64,
    pub doc_bytes: Option<f64>,
    /// `_id` plus every index of the app measured on this collection, per document.
    pub index_bytes: f64,
    pub indexes_measured: usize,
    pub indexes_declared: usize,
    /// App indexes this run could not measure (their build did not finish at this size)
    /// sized from the largest other run that measured them, per document: `(name, scale)`.
    pub extrapolated: Vec<(String, u64)>,
}

pub fn per_doc(inputs: &Inputs, rv: &RunView) -> Vec<PerDoc> {
    LAB_COLLECTIONS
        .iter()
        .map(|c| {
            let docs = rv.run.data.counts.of(c);
            let declared: Vec<_> = inputs
                .app_indexes
                .iter()
                .filter(|a| a.collection == *c)
                .collect();
            let mut seen = vec![];
            let mut bytes = 0i64;
            let mut id_bytes = 0i64;
            for q in rv.run.results.iter().filter(|q| q.collection == *c) {
                if let Some(b) = baseline(q) {
                    id_bytes = id_bytes.max(b.index_bytes);
                }
                for v in &q.variants {
                    if v.outcome == crate::lab::bench::Outcome::Ok
                        && declared.iter().any(|a| a.name == v.index)
                        && !seen.contains(&v.index)
                    {
                        seen.push(v.index.clone());
                        bytes += v.index_bytes;
                    }
                }
            }
            // An index whose build did not finish at this size is still part of the
            // footprint: its size per document is taken from the largest other run that
            // built it (a B-tree's size grows with its entries, so per document it holds).
            let mut extra = 0.0;
            let mut extrapolated = vec![];
            for a in declared.iter().filter(|a| !seen.contains(&a.name)) {
                let measured = inputs
                    .runs
                    .iter()
                    .rev()
                    .filter(|o| o.run.id != rv.run.id)
                    .find_map(|o| {
                        let n = o.run.data.counts.of(c);
                        o.run
                            .results
                            .iter()
                            .filter(|q| q.collection == *c)
                            .flat_map(|q| &q.variants)
                            .find(|v| {
                                v.outcome == crate::lab::bench::Outcome::Ok
                                    && v.index == a.name
                                    && v.index_bytes > 0
                            })
                            .filter(|_| n > 0)
                            .map(|v| (v.index_bytes as f64 / n as f64, o.scale()))
                    });
                if let Some((per_doc, scale)) = measured {
                    extra += per_doc * docs as f64;
                    extrapolated.push((a.name.clone(), scale));
                }
            }
            let size: Option<&CollSize> = rv
                .sizes
                .as_ref()
                .and_then(|s| s.iter().find(|x| x.collection == *c));
            PerDoc {
                collection: (*c).to_owned(),
                docs,
                doc_bytes: size.map(|s| s.avg_doc_bytes),
                index_bytes: if docs > 0 {
                    ((bytes + id_bytes) as f64 + extra) / docs as f64
                } else {
                    0.0
                },
                indexes_measured: seen.len(),
                indexes_declared: declared.len(),
                extrapolated,
            }
        })
        .collect()
}

/// The smallest Atlas tier whose cache holds the indexes and whose storage holds data and
/// indexes with room to grow: RAM ≥ 2 × indexes + 1 GB (the engine's cache is about half
/// of RAM minus 1 GB), storage ≥ 1.5 × (data + indexes).
pub fn tier_for(data_gb: f64, index_gb: f64) -> Option<&'static str> {
    ATLAS_TIERS
        .iter()
        .find(|(_, ram, disk)| *ram >= 2.0 * index_gb + 1.0 && *disk >= 1.5 * (data_gb + index_gb))
        .map(|t| t.0)
}

fn section_sources(inputs: &Inputs, l: Lang) -> Markup {
    html! {
        h2 id="sources" { "1. " (l.t("D'où viennent les chiffres", "Where the figures come from")) }
        p { (l.t("Ce document est produit par ", "This document is produced by ")) code { "eventhub-cli report" }
            (l.t(" (ou le bouton du laboratoire dans l'application) à partir de :", " (or the lab screen's button in the app) from:")) }
        ul {
            @if inputs.runs.is_empty() {
                li class="missing" { (l.t("aucune exécution du laboratoire d'index avec le catalogue actuel : résultats du laboratoire non mesurés ;", "no index-lab run with the current catalogue: lab results not measured;")) }
            }
            @for rv in &inputs.runs {
                li { (parts::run_line(rv, l)) }
            }
            @for (id, why) in &inputs.skipped_runs {
                li class="note" { (l.t("Écartée : ", "Left out: ")) code { (id) } " — " (why) }
            }
            @match &inputs.bench {
                Some(b) => li { (l.t("Banc d'essai des gestionnaires ", "Handler benchmark ")) code { (b.id) } " — " (l.date(b.started_at)) ", " (b.server.engine) " " (b.server.version) ", " (b.machine.cpus) " CPU." },
                None => li class="missing" { (l.t("banc d'essai des gestionnaires : non mesuré ;", "handler benchmark: not measured;")) },
            }
            li { code { "docs/performance.md" } (l.t(" : ", ": ")) (inputs.sources.perf.len()) (l.t(" sections de mesures ;", " measured sections;")) }
            li { (l.t("les index déclarés par l'application (", "the indexes the application declares (")) code { "schema::collections" } (l.t(") : ", "): ")) (inputs.app_indexes.len()) (l.t(" index ;", " indexes;")) }
            li { (l.t("l'historique git : ", "the git history: ")) (inputs.sources.commits) " commits." }
            @for m in &inputs.sources.missing {
                li class="missing" { (l.t("Non disponible : ", "Not available: ")) (m) }
            }
        }
    }
}

fn section_schema(inputs: &Inputs, l: Lang) -> Markup {
    let mut colls: Vec<(&str, usize)> = vec![];
    for a in &inputs.app_indexes {
        match colls.iter_mut().find(|(c, _)| *c == a.collection) {
            Some(x) => x.1 += 1,
            None => colls.push((&a.collection, 1)),
        }
    }
    let participant = generate::participant(42, 7, 50);
    let participant =
        serde_json::to_string_pretty(&bson::Bson::Document(participant).into_relaxed_extjson())
            .unwrap_or_default();
    html! {
        h2 id="schema" { "2. " (l.t("Le schéma et ses raisons", "The schema and its reasons")) }
        p { (l.t("La règle : ", "The rule: ")) b { (l.t("intégrer ce qui se lit ensemble et reste borné ; référencer ce qui croît sans limite.", "embed what is read together and stays bounded; reference what grows without bound.")) } }
        ul {
            li { (l.t("Un événement intègre ses intervenants (≤ 200), sessions (≤ 500), plans de salle (≤ 50) et champs libres : une lecture pour l'éditeur, une écriture atomique, une version qui protège des modifications concurrentes.", "An event embeds its speakers (≤ 200), sessions (≤ 500), seating plans (≤ 50) and custom fields: one read for the editor, one atomic write, one version guarding concurrent edits.")) }
            li { (l.t("Participants, réponses, mises en relation, publications et journal d'audit croissent sans limite : chacun sa collection, avec ", "Participants, answers, connections, posts and the audit trail grow without bound: each has its own collection, with ")) code { "event_id" } "." }
            li { (l.t("Chaque document porte ", "Every document carries ")) code { "version" } ", " code { "updated_at" } ", " code { "updated_by" } (l.t(" ; une suppression laisse une pierre tombale (", "; a delete leaves a tombstone (")) code { "deleted_at" } (l.t(") pour que la synchronisation la propage. Les identifiants (UUID v7) sont créés par l'app, triés dans le temps.", ") so sync carries it. Ids (UUID v7) are made by the app, time-ordered.")) }
            li { (l.t("Des clés dérivées servent les index : mots repliés (", "Derived keys serve the indexes: folded words (")) code { "search_terms" } "), " (l.t("nom replié pour le tri (", "folded name for sorting (")) code { "name_key" } "), " (l.t("e-mail normalisé pour l'unicité (", "normalised e-mail for uniqueness (")) code { "email_norm" } ")." }
            li { (l.t("Un validateur $jsonSchema sur chaque collection importante est le garde-fou derrière la validation de l'app.", "A $jsonSchema validator on each main collection is the backstop behind the app's own validation.")) }
        }
        h3 { (l.t("Collections et nombre d'index déclarés", "Collections and number of declared indexes")) }
        table class="keep" {
            thead { tr { th { "Collection" } th.n { (l.t("Index déclarés", "Declared indexes")) } th { (l.t("Mesurée par le laboratoire", "Measured by the lab")) } } }
            tbody { @for (c, n) in &colls { tr {
                td { code { (c) } } td.n { (n) }
                td { @if LAB_COLLECTIONS.contains(c) { (l.t("oui", "yes")) } @else { span class="note" { (l.t("non", "no")) } } }
            } } }
        }
        h3 { (l.t("Un participant tel qu'il est stocké", "A participant as stored")) }
        p class="sub" { (l.t("Produit par le générateur du laboratoire avec ", "Produced by the lab's generator with ")) code { "participants::build" } (l.t(" (la fonction de l'import et de l'ajout manuel).", " (the function behind import and manual add).")) }
        pre class="doc" { (participant) }
    }
}

fn section_indexes(inputs: &Inputs, l: Lang) -> Markup {
    let run: Option<&LabRun> = inputs.runs.last().map(|r| &r.run);
    html! {
        h2 id="indexes" { "3. " (l.t("La stratégie d'index et les preuves du laboratoire", "The index strategy and the lab's evidence")) }
        p { (l.t("Le tableau ci-dessous est produit à partir des index que l'application crée au démarrage (déclarations de chaque fonctionnalité), et non d'une liste écrite à la main. Pour chacun, la preuve vient de l'exécution du laboratoire sur la plus grande taille de données : la requête de l'app qui s'en sert, mesurée sans index puis avec lui seul.",
                 "The table below is produced from the indexes the application creates at start-up (each feature's declarations), not from a hand-written list. For each, the evidence comes from the lab run on the largest data size: the app's query that uses it, measured with no index and then with that index alone.")) }
        @if let Some(run) = run {
            @let srv = run.server_time_reported;
            div class="small" {
            table {
                thead { tr {
                    th { "Collection" } th { "Index" } th { (l.t("Clés et options", "Keys and options")) }
                    th { (l.t("Requête mesurée", "Measured query")) }
                    th.n { (l.t("Docs examinés", "Docs examined")) } th.n { "p50 ms" } @if srv { th.n { (l.t("Serveur ms", "Server ms")) } }
                    th.n { (l.t("Taille", "Size")) } th.n { (l.t("Insertion", "Insert")) }
                } }
                tbody {
                    @for a in &inputs.app_indexes {
                        @let ev = evidence(run, &a.collection, &a.name);
                        @let stopped = super::unfinished(run, &a.collection, &a.name);
                        @if let (true, Some((q, v))) = (ev.is_empty(), stopped) {
                            tr {
                                td { code { (a.collection) } } td { code { (a.name) } }
                                td { code { (a.keys_text()) } @for o in &a.options { " " span class="note" { (o) } } }
                                td { (parts::title(q, l)) }
                                td colspan=(if srv { 5 } else { 4 }) { (parts::plan(v, l)) " " span class="missing" { (l.t("la construction de l'index a été arrêtée : non mesuré", "the index build was stopped: not measured")) } }
                            }
                        } @else if ev.is_empty() {
                            tr {
                                td { code { (a.collection) } } td { code { (a.name) } }
                                td { code { (a.keys_text()) } @for o in &a.options { " " span class="note" { (o) } } }
                                td colspan=(if srv { 6 } else { 5 }) class="missing" { (l.t("aucune requête du catalogue ne l'exerce : non mesuré", "no catalogue query exercises it: not measured")) }
                            }
                        }
                        @for e in &ev {
                            tr {
                                td { code { (a.collection) } } td { code { (a.name) } @if e.best { br; span class="tag ix" { (l.t("meilleur", "best")) } } }
                                td { code { (a.keys_text()) } @for o in &a.options { " " span class="note" { (o) } } }
                                td { (parts::title(e.query, l)) br; (parts::plan(e.base, l)) " → " (parts::plan(e.app, l)) }
                                td.n { (l.int(e.base.explain.docs_examined)) " → " (l.int(e.app.explain.docs_examined)) }
                                td.n { (l.num(e.base.latency.p50_ms)) " → " (l.num(e.app.latency.p50_ms)) }
                                @if srv { td.n { (parts::server(e.base, l)) " → " (parts::server(e.app, l)) } }
                                td.n { (l.bytes(e.app.index_bytes as f64)) }
                                td.n { @if e.base.inserts_per_s > 0.0 {
                                    (format!("{:+.0} %", (e.app.inserts_per_s / e.base.inserts_per_s - 1.0) * 100.0))
                                } }
                            }
                        }
                    }
                }
            }
            }
            p class="sub" { (l.t("« Insertion » : débit d'insertion avec l'index par rapport à _id seul (négatif = plus lent).", "“Insert”: insert throughput with the index against _id only (negative = slower)."))
                @if srv { (l.t(" « Serveur ms » : executionTimeMillis d'explain, moyenne sur ", " “Server ms”: explain's executionTimeMillis, mean over "))
                (run.options.runs.min(crate::lab::bench::EXPLAIN_RUNS)) (l.t(" explications (le serveur compte en millisecondes entières).", " explains (the server counts whole milliseconds).")) } }
            @if !run.server_time_reported {
                p class="sub" { (l.t(
                    "Le moteur de cette mesure répond executionTimeMillis = 0 à chaque explain, même pour une requête de plusieurs millisecondes : il ne communique pas son temps d'exécution. La colonne « Serveur ms » est donc omise au lieu d'afficher des zéros trompeurs ; sur MongoDB 7/8 ou Atlas, la même mesure la remplit. Les temps côté client (p50, p95) restent mesurés.",
                    "This run's engine answers executionTimeMillis = 0 to every explain, even for a query taking several milliseconds: it does not report its execution time. The “Server ms” column is therefore left out instead of showing misleading zeros; on MongoDB 7/8 or Atlas the same run fills it. Client-side times (p50, p95) are still measured."
                )) }
            }
            h3 { (l.t("Le verdict de chaque requête", "Each query's verdict")) }
            @for q in &run.results {
                div class="keep" {
                    p { b { (parts::title(q, l)) } " — " span class="sub" { (l.t(&q.used_by.fr, &q.used_by.en)) } }
                    pre { (q.shape) }
                    p { (l.t(&q.verdict.fr, &q.verdict.en)) }
                }
            }
        } @else {
            p class="missing" { (l.t("Aucune exécution du laboratoire avec le catalogue actuel : preuves non mesurées.", "No lab run with the current catalogue: evidence not measured.")) }
            ul { @for a in &inputs.app_indexes { li { code { (a.collection) "." (a.name) } " " code { (a.keys_text()) } } } }
        }
    }
}

fn section_bench(inputs: &Inputs, l: Lang) -> Markup {
    html! {
        h2 id="bench" { "4. " (l.t("Mesures : méthode, résultats, limites", "Measurements: method, results, limits")) }
        h3 { (l.t("Méthode du laboratoire d'index", "Index lab method")) }
        ul {
            li { (l.t("Données synthétiques déterministes (même graine, mêmes documents), aux formes de l'app, dans une base séparée (", "Deterministic synthetic data (same seed, same documents), in the app's shapes, in a separate database (")) code { "<base>_lab" } (l.t(") : les données réelles ne sont jamais touchées.", "): real data is never touched.")) }
            li { (l.t("Pour chaque variante, la collection n'a que _id et cet index ; le planificateur choisit librement (pas de hint).", "For each variant the collection holds only _id and that index; the planner chooses freely (no hint).")) }
            li { (l.t("Le plan, les clés et documents examinés et le temps serveur viennent d'explain(\"executionStats\") ; les percentiles (rang le plus proche) sont mesurés par le client autour de la requête complète, échauffement exclu.", "The plan, keys and documents examined and the server time come from explain(\"executionStats\"); percentiles (nearest rank) are measured by the client around the whole query, warm-up excluded.")) }
            li { (l.t("Coût en écriture : un lot d'insertions avec l'index, trois fois, la médiane gardée, comparé à _id seul.", "Write cost: a batch of inserts with the index, three times, the median kept, against _id only.")) }
        }
        @for rv in &inputs.runs {
            h3 { (l.t("Résultats à ", "Results at ")) (l.int(rv.scale() as i64)) " documents" }
            p class="sub" { (parts::run_line(rv, l)) }
            div class="small" { (parts::summary_table(inputs, &rv.run, l, false)) }
            (parts::docs_chart(inputs, rv, l, 900.0))
            (parts::p50_chart(inputs, rv, l, 900.0))
        }
        @if let Some(c) = parts::scale_chart(inputs, l, 900.0) { (c) }
        @if inputs.runs.len() < 2 {
            p class="missing" { (l.t("Une seule taille de données mesurée avec le catalogue actuel ; les chiffres à 1 million de documents du rapport committé docs/index-lab-report-1m.html viennent du catalogue précédent (formes de documents propres au labo) et ne sont pas repris ici.", "Only one data size measured with the current catalogue; the 1 million-document figures of the committed docs/index-lab-report-1m.html come from the earlier catalogue (lab-only document shapes) and are not used here.")) }
        }
        h3 { (l.t("Temps de réponse des gestionnaires de l'app", "Response time of the app's handlers")) }
        @match &inputs.bench {
            None => p class="missing" { (l.t("Non mesuré (aucun banc d'essai enregistré).", "Not measured (no benchmark saved).")) },
            Some(b) => {
                p class="sub" { (b.options.ops) (l.t(" opérations par cellule après ", " operations per cell after ")) (b.options.warmup) (l.t(" appels d'échauffement ; ", " warm-up calls; ")) (l.date(b.started_at)) "." }
                div class="small" { table {
                    thead { tr { th { "Handler" } th.n { (l.t("Événements", "Events")) } th.n { "Clients" } th.n { "App p50/p95/p99 ms" } th.n { (l.t("Pilote p50/p95/p99 ms", "Driver p50/p95/p99 ms")) } th.n { (l.t("Rapport p50", "Ratio p50")) } th { (l.t("Mesuré", "Measured")) } } }
                    tbody { @for r in &b.results { tr {
                        td { (r.handler) } td.n { (l.int(r.size as i64)) } td.n { (r.clients) }
                        td.n { (l.num(r.app.p50_ms)) " / " (l.num(r.app.p95_ms)) " / " (l.num(r.app.p99_ms)) }
                        td.n { (l.num(r.driver.p50_ms)) " / " (l.num(r.driver.p95_ms)) " / " (l.num(r.driver.p99_ms)) }
                        td.n { (l.num(r.ratio_p50)) } td { span class="note" { (r.source) } }
                    } } }
                } }
                @if let Some(c) = parts::bench_chart(inputs, l, 900.0) { (c) }
            }
        }
        h3 { (l.t("Autres mesures enregistrées (docs/performance.md)", "Other recorded measurements (docs/performance.md)")) }
        p class="sub" { (l.t("Tableaux repris tels qu'ils sont enregistrés (en anglais), avec la première phrase de leur méthode.", "Tables as recorded, with the first sentence of their method.")) }
        @if inputs.sources.perf.is_empty() { p class="missing" { (l.t("Non disponible.", "Not available.")) } }
        p class="sub" { (l.t("Les tableaux de la section « Index lab » ne sont pas repris : les résultats du laboratoire ci-dessus viennent directement des exécutions enregistrées.", "The tables of the “Index lab” section are not repeated: the lab results above come straight from the stored runs.")) }
        @for p in inputs.sources.perf.iter().filter(|p| !p.title.starts_with("Index lab")) {
            div class="small" {
                h3 { (p.title) }
                @if !p.intro.is_empty() { p class="sub" { (super::charts::truncate(&p.intro, 400)) } }
                @for t in &p.tables {
                    table {
                        thead { tr { @for h in &t.header { th { (h) } } } }
                        tbody { @for r in &t.rows { tr { @for c in r { td { (c) } } } } }
                    }
                }
            }
        }
        h3 { (l.t("Limites", "Limits")) }
        ul {
            li { (l.t("Client et serveur sur la même machine (boucle locale) : sur Atlas, ajouter l'aller-retour réseau à chaque appel — ce sont alors les allers-retours, plus que les index, qui coûtent.", "Client and server on the same machine (loopback): on Atlas add the network round trip to every call — round trips, more than indexes, then dominate.")) }
            li { (l.t("Le moteur mesuré est celui indiqué pour chaque exécution ; sur un autre moteur (MongoDB 7/8, Atlas), les plans et les temps peuvent différer : relancer le laboratoire sur ce serveur.", "The engine measured is the one named for each run; on another engine (MongoDB 7/8, Atlas), plans and times may differ: rerun the lab against that server.")) }
            li { (l.t("Machine partagée pendant les mesures (constructions en parallèle) : les latences sont bruitées ; les documents et clés examinés ne le sont pas, d'où le choix du meilleur index sur le travail du plan d'abord.", "Machine shared during the measurements (parallel builds): latencies are noisy; documents and keys examined are not, hence the choice of the best index on plan work first.")) }
            li { (l.t("Une requête mesurée par variante, une variante à la fois : l'effet de plusieurs index ensemble sur le choix du plan n'est pas mesuré.", "One query measured per variant, one variant at a time: the effect of several indexes together on plan selection is not measured.")) }
        }
    }
}

fn section_security(l: Lang) -> Markup {
    html! {
        h2 id="security" { "5. " (l.t("Sécurité et protection des données", "Security and data protection")) }
        ul {
            li { b { (l.t("Jetons. ", "Tokens. ")) } (l.t("Les liens personnels du portail portent un jeton de 256 bits ; seul son condensat SHA-256 est stocké (", "Personal portal links carry a 256-bit token; only its SHA-256 hash is stored (")) code { "invitation.token_hash" } (l.t(", index unique partiel) : une copie de la base ne permet pas d'ouvrir un lien. Les jetons expirent.", ", partial unique index): a copy of the database cannot open a link. Tokens expire.")) }
            li { b { (l.t("Secrets. ", "Secrets. ")) } (l.t("La chaîne de connexion Atlas et le mot de passe SMTP sont gardés dans le trousseau du système (Keychain, Credential Manager, Secret Service), jamais dans un fichier ; les chaînes affichées ou journalisées sont expurgées.", "The Atlas connection string and the SMTP password are kept in the OS keychain (Keychain, Credential Manager, Secret Service), never in a file; strings shown or logged are redacted.")) }
            li { b { (l.t("Effacement. ", "Erasure. ")) } (l.t("Un participant peut télécharger ou effacer ses données depuis le portail ; l'effacement est enregistré (", "A participant can download or erase their data from the portal; the erasure is recorded (")) code { "erasures" } (l.t(") et exécuté sur chaque base par la synchronisation.", ") and carried out on every store by sync.")) }
            li { b { (l.t("Portail. ", "Portal. ")) } (l.t("Pages rendues côté serveur, chaque valeur échappée, CSP stricte sans script, corps limités à 16 Kio, erreurs 4xx claires sans détail interne.", "Server-rendered pages, every value escaped, strict CSP with no script, bodies limited to 16 KiB, clear 4xx errors without internal detail.")) }
            li { b { (l.t("Intégrité. ", "Integrity. ")) } (l.t("Écritures conditionnelles à la version lue (pas d'écrasement silencieux), validateurs $jsonSchema, index uniques (un e-mail par événement, une réponse par question et répondant), journal d'audit des changements de statut.", "Writes conditional on the version read (no silent overwrite), $jsonSchema validators, unique indexes (one e-mail per event, one answer per question and respondent), an audit trail of status changes.")) }
            li { b { (l.t("Erreurs. ", "Errors. ")) } (l.t("L'interface reçoit un code et un message ; jamais le texte du pilote, un nom d'hôte ou les données d'un autre.", "The interface receives a code and a message; never driver text, a host name or someone else's data.")) }
        }
    }
}

fn section_operations(l: Lang) -> Markup {
    html! {
        h2 id="ops" { "6. " (l.t("Exploitation", "Operations")) }
        h3 { (l.t("Installation", "Install")) }
        p { (l.t("Un paquet par système (Windows, macOS, Linux). Au premier lancement l'app démarre une base locale dans son dossier de données (mongod s'il est installé, en replica set d'un nœud pour les change streams et transactions ; sinon le moteur embarqué) et l'arrête à la fermeture. Une chaîne de connexion Atlas saisie dans l'app la remplace.", "One package per system (Windows, macOS, Linux). On first launch the app starts a local database in its data folder (mongod if installed, as a one-node replica set for change streams and transactions; otherwise the embedded engine) and stops it on exit. An Atlas connection string entered in the app replaces it.")) }
        h3 { (l.t("Sauvegarde et restauration de la base locale", "Backup and restore of the local store")) }
        p { (l.t("La base locale parle le protocole MongoDB : ", "The local store speaks the MongoDB protocol: ")) code { "mongodump" } " / " code { "mongorestore" } (l.t(" s'y appliquent, et la synchronisation vers Atlas sert de copie hors de la machine. Les commandes de sauvegarde de la ligne de commande (", " apply, and sync to Atlas serves as the off-machine copy. The command line's backup commands (")) code { "eventhub-cli --help" } (l.t(") sont décrites dans le README.", ") are described in the README.")) }
        h3 { (l.t("Synchronisation avec Atlas", "Sync with Atlas")) }
        p { (l.t("Fusion à trois voies champ par champ contre la dernière version commune ; conflits présentés avec les deux valeurs et résolus dans l'app ; reprise après interruption ; collections inchangées des deux côtés sautées (empreintes calculées par agrégation). Synchronisation automatique en option dès que le serveur distant répond.", "Three-way merge field by field against the last common version; conflicts shown with both values and resolved in the app; resumes after an interruption; collections unchanged on both sides are skipped (fingerprints computed by aggregation). Optional automatic sync whenever the remote answers.")) }
        p { (l.t("Les chiffres de synchronisation mesurés sont dans la section 4 (docs/performance.md, « Sync »).", "The measured sync figures are in section 4 (docs/performance.md, “Sync”).")) }
    }
}

fn section_growth(inputs: &Inputs, l: Lang) -> Markup {
    let Some(rv) = inputs.runs.last() else {
        return html! {
            h2 id="growth" { "7. " (l.t("Au-delà d'une machine", "Past one machine")) }
            p class="missing" { (l.t("Aucune exécution du laboratoire : estimation impossible, non mesurée.", "No lab run: no estimate, not measured.")) }
        };
    };
    let pd = per_doc(inputs, rv);
    let participants = pd
        .iter()
        .find(|p| p.collection == crate::lab::PARTICIPANTS)
        .map_or(1, |p| p.docs.max(1)) as f64;
    let scenarios = [1_000_000.0, 10_000_000.0, 100_000_000.0];
    let sized = pd.iter().all(|p| p.doc_bytes.is_some());
    let run = &rv.run;
    html! {
        h2 id="growth" { "7. " (l.t("Au-delà d'une machine", "Past one machine")) }
        p { (l.t("Base de l'estimation : l'exécution du laboratoire à ", "Basis of the estimate: the lab run at ")) (l.int(rv.scale() as i64)) " documents ("
            code { (run.id) } (l.t("), la plus grande mesurée avec le catalogue actuel. Tailles moyennes des documents lues sur le serveur (collStats) ; tailles des index de l'app mesurées par le laboratoire, rapportées au document.", "), the largest measured with the current catalogue. Average document sizes read from the server (collStats); sizes of the app's indexes measured by the lab, per document.")) }
        @if inputs.runs.iter().all(|r| r.scale() < 1_000_000) {
            p class="missing" { (l.t("Aucune exécution à 1 million de documents avec le catalogue actuel : l'estimation part de la plus grande taille mesurée, indiquée ci-dessus.", "No 1 million-document run with the current catalogue: the estimate starts from the largest size measured, named above.")) }
        }
        table class="keep" {
            thead { tr { th { "Collection" } th.n { (l.t("Documents mesurés", "Documents measured")) } th.n { (l.t("Octets / document", "Bytes / document")) } th.n { (l.t("Index / document", "Indexes / document")) } th.n { (l.t("Index de l'app mesurés", "App indexes measured")) } } }
            tbody { @for p in &pd { tr {
                td { code { (p.collection) } } td.n { (l.int(p.docs as i64)) }
                td.n { @match p.doc_bytes { Some(b) => (l.int(b.round() as i64)), None => span class="missing" { (l.t("non mesuré", "not measured")) } } }
                td.n { (l.int(p.index_bytes.round() as i64)) }
                td.n { (p.indexes_measured) " / " (p.indexes_declared) @if !p.extrapolated.is_empty() { " (+" (p.extrapolated.len()) ")" } }
            } } }
        }
        @for p in pd.iter().filter(|p| !p.extrapolated.is_empty()) {
            p class="sub" {
                "(+" (p.extrapolated.len()) ") " code { (p.collection) } (l.t(" : ", ": "))
                @for (i, (name, scale)) in p.extrapolated.iter().enumerate() {
                    @if i > 0 { ", " }
                    code { (name) } " (" (l.t("mesuré sur l'exécution à ", "measured on the run at ")) (l.int(*scale as i64)) " documents)"
                }
                (l.t(" — sa construction n'a pas fini à cette taille sur ce serveur ; sa taille par document est reprise de cette exécution.", " — its build did not finish at this size on this server; its size per document is taken from that run."))
            }
        }
        h3 { (l.t("Dimensionnement Atlas", "Atlas sizing")) }
        p { (l.t("Même répartition que les données du laboratoire (par participant : ", "Same mix as the lab's data (per participant: "))
            @for (i, p) in pd.iter().enumerate() { @if i > 0 { ", " } (l.num(p.docs as f64 / participants)) " " (p.collection) }
            (l.t("). Règle : RAM ≥ 2 × index + 1 Go (le cache du moteur est à peu près la moitié de la RAM moins 1 Go, et les index doivent y tenir) ; stockage ≥ 1,5 × (données + index). Paliers Atlas : table publiée par MongoDB (RAM, stockage par défaut).", "). Rule: RAM ≥ 2 × indexes + 1 GB (the engine's cache is about half of RAM minus 1 GB, and the indexes should fit in it); storage ≥ 1.5 × (data + indexes). Atlas tiers: MongoDB's published table (RAM, default storage).")) }
        @if sized {
            table class="keep" {
                thead { tr { th.n { "Participants" } th.n { (l.t("Données", "Data")) } th.n { (l.t("Index mesurés", "Measured indexes")) } th { (l.t("Palier Atlas", "Atlas tier")) } } }
                tbody { @for s in scenarios {
                    @let k = s / participants;
                    @let data: f64 = pd.iter().map(|p| p.docs as f64 * k * p.doc_bytes.unwrap_or(0.0)).sum();
                    @let idx: f64 = pd.iter().map(|p| p.docs as f64 * k * p.index_bytes).sum();
                    tr {
                        td.n { (l.int(s as i64)) }
                        td.n { (l.bytes(data)) } td.n { (l.bytes(idx)) }
                        td { @match tier_for(data / GB, idx / GB) {
                            Some(t) => b { (t) },
                            None => (l.t("au-delà d'un palier : partitionner (sharding)", "beyond one tier: shard")),
                        } }
                    }
                } }
            }
            p class="sub" { (l.t("Les index déclarés mais non mesurés par le laboratoire ne sont pas comptés : l'estimation des index est un minimum. Un replica set Atlas a trois nœuds de ce palier.", "Declared indexes the lab did not measure are not counted: the index estimate is a minimum. An Atlas replica set has three nodes of that tier.")) }
        } @else {
            p class="missing" { (l.t("Tailles des documents non mesurées (le jeu de données de cette exécution n'est plus dans la base du laboratoire) : dimensionnement non calculé.", "Document sizes not measured (this run's data set is no longer in the lab database): sizing not computed.")) }
        }
        h3 { (l.t("Partitionnement (sharding)", "Sharding")) }
        p { (l.t("Toutes les requêtes du tableau de bord et des listes portent sur un événement : une clé qui commence par ", "Every dashboard and list query is about one event: a key starting with ")) code { "event_id" } (l.t(" les envoie à un seul shard. Le tableau montre, pour chaque requête mesurée, si son filtre contient event_id (requête ciblée) ou non (diffusée à tous les shards).", " sends them to one shard. The table shows, for each measured query, whether its filter holds event_id (targeted) or not (broadcast to every shard).")) }
        table class="keep" {
            thead { tr { th { "Collection" } th { (l.t("Clé proposée", "Proposed key")) } th { (l.t("Requêtes mesurées", "Measured queries")) } } }
            tbody {
                @for (c, key, why_fr, why_en) in SHARD_KEYS {
                    tr {
                        td { code { (c) } } td { code { (key) } br; span class="note" { (l.t(why_fr, why_en)) } }
                        td { @for q in run.results.iter().filter(|q| q.collection == *c) {
                            @let targeted = q.shape.contains("\"event_id\"");
                            div { @if targeted { span class="tag ix" { (l.t("ciblée", "targeted")) } } @else { span class="tag scan" { (l.t("diffusée", "broadcast")) } }
                                " " (parts::title(q, l))
                                @if let Some(a) = app_variant(q, &inputs.app_indexes) { span class="note" { " — p50 " (l.num(a.latency.p50_ms)) " ms" @if let Some(s) = server_ms(a) { ", " (l.t("serveur", "server")) " " (l.num(s)) " ms" } } }
                            }
                        } }
                    }
                }
            }
        }
    }
}

/// Proposed shard keys, with the reason.
pub const SHARD_KEYS: [(&str, &str, &str, &str); 4] = [
    (
        "participants",
        "{ event_id: 1, _id: 1 }",
        "Les listes, comptes et courbes filtrent par événement ; _id (UUID v7) répartit un très gros événement en plusieurs morceaux. Le lien personnel (par jeton) reste une lecture diffusée, sur un index unique.",
        "Lists, counts and timelines filter by event; _id (UUID v7) splits a very large event into several chunks. The personal link (by token) stays a broadcast read, on a unique index.",
    ),
    (
        "feedback_answers",
        "{ event_id: \"hashed\" }",
        "Les réponses n'arrivent que pendant l'événement : une clé hachée sur event_id répartit les écritures simultanées de plusieurs événements et garde les pipelines du tableau de bord sur un shard.",
        "Answers arrive during the event only: a hashed key on event_id spreads the concurrent writes of several events and keeps the dashboard pipelines on one shard.",
    ),
    (
        "connections",
        "{ event_id: 1, _id: 1 }",
        "Mises en relation d'un événement, comme les participants ; les recherches « mes contacts » (a, b) sont diffusées mais rares.",
        "An event's connections, like participants; \"my contacts\" look-ups (a, b) are broadcast but rare.",
    ),
    (
        "events",
        "—",
        "Petite collection (5 % des documents du laboratoire), triée par date dans les listes : pas de partitionnement, elle reste sur le shard primaire.",
        "Small collection (5 % of the lab's documents), sorted by date in lists: not sharded, it stays on the primary shard.",
    ),
];

fn section_history(inputs: &Inputs, l: Lang) -> Markup {
    html! {
        h2 id="history" { "8. " (l.t("Annexe : la démarche du projet", "Appendix: the project's process")) }
        @if inputs.sources.steps.is_empty() {
            p class="missing" { (l.t("Historique git non disponible.", "Git history not available.")) }
        }
        @for st in &inputs.sources.steps {
            @let (a, b) = st.span();
            h3 { (l.t(st.name_fr, st.name_en)) " (" (a) " → " (b) ", " (st.commits.len()) " commits)" }
            p { (l.t(st.goal_fr, st.goal_en)) }
            ul { @for c in st.deliveries(8) { li { code { (c.hash) } " " (c.subject) } } }
        }
    }
}

pub fn html(inputs: &Inputs, l: Lang) -> String {
    let biggest = inputs.runs.last();
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { "EventHub — " (l.t("rapport pour la DSI", "report for the IT department")) }
                style { (PreEscaped(BASE_CSS)) (PreEscaped(CSS)) }
            }
            body { main {
                h1 { "EventHub — " (l.t("rapport final pour la DSI", "final report for the IT department")) }
                p class="sub" { (l.t("Généré le ", "Generated on ")) (l.date(inputs.generated_at)) (l.t(" à partir des mesures enregistrées ; aucun chiffre n'est saisi à la main.", " from the recorded measurements; no figure is typed in by hand.")) }
                div class="meta" {
                    div class="card" { b { (l.t("Résumé", "Summary")) }
                        @match biggest {
                            Some(rv) => {
                                @let (removed, total) = parts::scans_removed(inputs, &rv.run);
                                @let (best, measured) = parts::app_is_best(inputs, &rv.run);
                                (l.t("À ", "At ")) (l.int(rv.scale() as i64)) " documents, " (l.t("l'index de l'app remplace le parcours complet pour ", "the app's index replaces the collection scan for ")) (removed) " / " (total)
                                (l.t(" requêtes mesurées et est le meilleur candidat du laboratoire pour ", " measured queries and is the lab's best candidate for ")) (best) " / " (measured) "."
                            }
                            None => span class="missing" { (l.t("laboratoire non mesuré", "lab not measured")) },
                        }
                    }
                    div class="card" { b { (l.t("Sommaire", "Contents")) }
                        ol style="margin:0;padding-left:18px" {
                            li { a href="#sources" { (l.t("D'où viennent les chiffres", "Where the figures come from")) } }
                            li { a href="#schema" { (l.t("Schéma", "Schema")) } }
                            li { a href="#indexes" { (l.t("Index et preuves", "Indexes and evidence")) } }
                            li { a href="#bench" { (l.t("Mesures", "Measurements")) } }
                            li { a href="#security" { (l.t("Sécurité", "Security")) } }
                            li { a href="#ops" { (l.t("Exploitation", "Operations")) } }
                            li { a href="#growth" { (l.t("Au-delà d'une machine", "Past one machine")) } }
                            li { a href="#history" { (l.t("Démarche", "Process")) } }
                        }
                    }
                }
                (section_sources(inputs, l))
                (section_schema(inputs, l))
                (section_indexes(inputs, l))
                (section_bench(inputs, l))
                (section_security(l))
                (section_operations(l))
                (section_growth(inputs, l))
                (section_history(inputs, l))
            } }
        }
    }
    .into_string()
}
