//! The slide deck: one self-contained HTML file, 16:9 slides of 1280 × 720 px, one per
//! printed page (`@page`), screens embedded as data URIs, charts as inline SVG.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::{parts, sources, Inputs, Lang, BASE_CSS};
use crate::lab::generate;

const CSS: &str = r#"
@page{size:1280px 720px;margin:0}
html,body{margin:0;padding:0}
.slide{width:1280px;height:720px;padding:44px 64px 56px;position:relative;overflow:hidden;break-after:page;page-break-after:always;background:#fff;display:flex;flex-direction:column}
.slide:last-child{break-after:auto;page-break-after:auto}
@media screen{body{background:#e9edf3}.slide{margin:24px auto;box-shadow:0 2px 12px rgba(0,0,0,.15)}}
.slide h1{font-size:54px;margin:0 0 12px;letter-spacing:-.01em}
.slide h2{font-size:32px;margin:0 0 16px;letter-spacing:-.01em}
.slide p,.slide li{font-size:19px;line-height:1.45}
.slide ul{margin:4px 0;padding-left:24px}.slide li{margin:0 0 8px}
.slide .sub{color:var(--muted);font-size:20px}
.foot{position:absolute;left:64px;right:64px;bottom:18px;display:flex;justify-content:space-between;font-size:12px;color:var(--muted)}
.title{justify-content:center;background:linear-gradient(135deg,#1d2433 0%,#2f4f8f 100%);color:#fff}
.title .sub{color:#c9d6f0}.title .foot{color:#c9d6f0}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:28px;flex:1;min-height:0}
.cols3{display:grid;grid-template-columns:repeat(3,1fr);gap:20px}
.card{background:var(--bg);border:1px solid var(--line);border-radius:10px;padding:14px 18px}
.card h3{margin:0 0 6px;font-size:19px}.card p{font-size:15.5px;margin:0}
.shot{flex:1;min-height:0;display:flex;flex-direction:column;align-items:center;justify-content:center}
.shot img{max-width:100%;max-height:540px;border:1px solid var(--line);border-radius:8px;box-shadow:0 2px 10px rgba(0,0,0,.12)}
.shot .cap{font-size:15px;color:var(--muted);margin-top:8px}
.shots2{display:grid;grid-template-columns:1fr 1fr;gap:24px;flex:1;min-height:0;align-items:center}
.shots2 figure{margin:0;text-align:center}.shots2 img{max-width:100%;max-height:500px;border:1px solid var(--line);border-radius:8px}
.shots2 figcaption{font-size:14px;color:var(--muted);margin-top:6px}
.steps{display:grid;grid-template-columns:repeat(3,1fr);gap:18px;margin-top:8px}
.step{border-top:6px solid var(--accent);background:var(--bg);border-radius:8px;padding:14px 16px}
.step h3{margin:0 0 4px;font-size:22px}.step .d{color:var(--muted);font-size:14px}.step p{font-size:15px;margin:8px 0 0}
.big{font-size:40px;font-weight:700;color:var(--good)}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:16px;margin:6px 0 14px}
.kpi{background:var(--bg);border:1px solid var(--line);border-radius:10px;padding:12px 14px}.kpi b{display:block;font-size:30px;color:var(--ink)}.kpi span{font-size:14px;color:var(--muted)}
.small table{font-size:11.5px}.small td,.small th{padding:3px 5px}
.note{font-size:14px!important;color:var(--muted)}
pre.doc{font-size:11px;line-height:1.3;max-height:520px;overflow:hidden}
.chartbox{flex:1;min-height:0;display:flex;align-items:flex-start;justify-content:center}
.chartbox svg.chart{max-height:100%;width:auto;height:auto}
"#;

fn foot(inputs: &Inputs, l: Lang, n: usize) -> Markup {
    html! {
        div class="foot" {
            span { "EventHub — " (l.t("présentation", "presentation")) }
            span { (l.t("généré le", "generated on")) " " (l.date(inputs.generated_at)) " · " (n) }
        }
    }
}

/// A readable caption from a screen's file name.
fn caption(name: &str, l: Lang) -> String {
    // Tour screens are `<lang>-<width>-<screen>`, portal screens `portal-<page>-<lang>`.
    let key = name
        .strip_prefix("fr-")
        .or_else(|| name.strip_prefix("en-"))
        .and_then(|r| r.split_once('-').map(|(_, k)| k))
        .or_else(|| {
            name.strip_suffix("-fr")
                .or_else(|| name.strip_suffix("-en"))
        })
        .unwrap_or(name);
    let words = match key {
        "events" => Some(("Événements", "Events")),
        "editor" => Some(("Fiche de l'événement", "Event editor")),
        "participants" => Some(("Participants", "Participants")),
        "door" => Some(("Accueil à l'entrée", "Check-in at the door")),
        "dashboard" => Some(("Tableau de bord", "Dashboard")),
        "dashboard-questions" => Some(("Questions en direct", "Live questions")),
        "social" => Some(("Réseaux sociaux", "Social media")),
        "sync" => Some(("Synchronisation", "Sync")),
        "settings" => Some(("Paramètres", "Settings")),
        "advanced" => Some(("Avancé", "Advanced")),
        "portal-rsvp" => Some((
            "Portail (téléphone) : réponse à l'invitation",
            "Portal (phone): answering the invitation",
        )),
        "portal-register" => Some((
            "Portail (téléphone) : inscription",
            "Portal (phone): registration",
        )),
        "portal-poll" => Some(("Portail (téléphone) : sondage", "Portal (phone): poll")),
        "portal-error" => Some((
            "Portail (téléphone) : lien refusé",
            "Portal (phone): a refused link",
        )),
        "lab-100k-from-the-screen" => Some((
            "Laboratoire d'index, 100 000 documents",
            "Index lab, 100,000 documents",
        )),
        "lab-1m-from-the-screen" => Some((
            "Laboratoire d'index, 1 000 000 documents",
            "Index lab, 1,000,000 documents",
        )),
        _ => None,
    };
    match words {
        Some((fr, en)) => l.t(fr, en).to_owned(),
        None => name.replace(['-', '_'], " "),
    }
}

/// The screens a deck in `l` shows: the tour's screens in that language at 1280 px, the
/// portal's phone pages in that language, and the other captures (the lab's), in that order.
fn deck_screens(all: &[sources::Screen], l: Lang) -> Vec<&sources::Screen> {
    let code = l.t("fr", "en");
    let tour = format!("{code}-1280-");
    let portal = format!("-{code}");
    let is_tour = |n: &str| n.starts_with("fr-") || n.starts_with("en-");
    let is_portal = |n: &str| n.starts_with("portal-");
    let mut v: Vec<&sources::Screen> = all.iter().filter(|s| s.name.starts_with(&tour)).collect();
    v.extend(
        all.iter()
            .filter(|s| is_portal(&s.name) && s.name.ends_with(&portal)),
    );
    v.extend(
        all.iter()
            .filter(|s| !is_tour(&s.name) && !is_portal(&s.name)),
    );
    v
}

/// A generated event in the app's stored shape, trimmed for a slide.
fn sample_event() -> String {
    let Ok(mut d) = generate::event(42, 3) else {
        return String::new();
    };
    for k in ["search_terms", "description"] {
        if let Some(bson::Bson::Array(a)) = d.get_mut(k) {
            a.truncate(6);
        }
    }
    let v = bson::Bson::Document(d).into_relaxed_extjson();
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

pub fn html(inputs: &Inputs, l: Lang) -> String {
    let mut slides: Vec<Markup> = vec![];
    let biggest = inputs.runs.last();
    let s = &inputs.sources;

    // 1. Title.
    slides.push(html! {
        h1 { "EventHub" }
        p class="sub" style="font-size:28px" {
            (l.t("Gestion d'événements de bureau sur MongoDB : l'application, la démarche, les mesures",
                 "Desktop event management on MongoDB: the application, the process, the measurements"))
        }
        p class="sub" {
            (l.t("Chiffres lus dans les exécutions enregistrées du laboratoire d'index et des bancs d'essai — rien n'est saisi à la main.",
                 "Figures read from the saved index-lab runs and benchmarks — nothing typed in by hand."))
        }
    });

    // 2. The application.
    slides.push(html! {
        h2 { (l.t("L'application", "The application")) }
        div class="cols" {
            ul {
                li { (l.t("Événements avec intervenants, programme, plans de salle et champs libres, intégrés dans un seul document.", "Events with speakers, agenda, seating plans and custom fields, embedded in one document.")) }
                li { (l.t("Participants : import CSV réel, RSVP avec capacité et liste d'attente, badges QR et accueil.", "Participants: real-world CSV import, RSVP with capacity and waitlist, QR badges and check-in.")) }
                li { (l.t("Invitations par e-mail et portail des participants (RSVP, avis, réseautage) sur le réseau local.", "E-mail invitations and the participant portal (RSVP, feedback, networking) on the local network.")) }
                li { (l.t("Tableau de bord en direct (pipelines d'agrégation, change streams).", "Live dashboard (aggregation pipelines, change streams).")) }
            }
            ul {
                li { (l.t("Fonctionne hors ligne sur une base locale ; synchronisation avec MongoDB Atlas, conflits résolus champ par champ.", "Works offline on a local database; sync with MongoDB Atlas, conflicts resolved field by field.")) }
                li { (l.t("Réseaux sociaux : partage, import des mentions, analyse.", "Social media: sharing, importing mentions, analysis.")) }
                li { (l.t("Laboratoire d'index : les requêtes de l'app, mesurées avec et sans chaque index.", "Index lab: the app's queries, measured with and without each index.")) }
                li { (l.t("Windows, macOS, Linux ; français d'abord, anglais.", "Windows, macOS, Linux; French first, English.")) }
            }
        }
    });

    // 3. Screens.
    let screens = deck_screens(&s.screens, l);
    if screens.is_empty() {
        slides.push(html! {
            h2 { (l.t("Les écrans", "The screens")) }
            p class="missing" { (l.t("Aucune capture dans docs/screens/ au moment de la génération.", "No capture in docs/screens/ when this was generated.")) }
        });
    } else if screens.len() <= 4 {
        for sc in &screens {
            slides.push(html! {
                h2 { (l.t("Les écrans", "The screens")) }
                div class="shot" {
                    img src=(sc.data_uri) alt=(caption(&sc.name, l));
                    div class="cap" { (caption(&sc.name, l)) }
                }
            });
        }
    } else {
        for pair in screens.chunks(2) {
            slides.push(html! {
                h2 { (l.t("Les écrans", "The screens")) }
                div class="shots2" {
                    @for sc in pair {
                        figure {
                            img src=(sc.data_uri) alt=(caption(&sc.name, l));
                            figcaption { (caption(&sc.name, l)) }
                        }
                    }
                }
            });
        }
    }

    // 4. Why MongoDB.
    slides.push(html! {
        h2 { (l.t("Pourquoi MongoDB", "Why MongoDB")) }
        div class="cols3" {
            div class="card" { h3 { (l.t("Des documents", "Documents")) }
                p { (l.t("Un événement et ses détails bornés (intervenants, sessions, plans) sont lus et écrits d'un coup, gardés par une seule version. Ce qui croît sans limite (participants, réponses) a sa collection.", "An event and its bounded details (speakers, sessions, plans) are read and written at once, guarded by one version. What grows without bound (participants, answers) has its own collection.")) } }
            div class="card" { h3 { (l.t("Des index", "Indexes")) }
                p { (l.t("Composés, multiclés, texte, partiels, uniques, géographiques : chaque requête de l'app a le sien, vérifié par explain dans le laboratoire.", "Compound, multikey, text, partial, unique, geo: every query of the app has its own, checked with explain in the lab.")) } }
            div class="card" { h3 { (l.t("L'agrégation", "Aggregation")) }
                p { (l.t("Chaque chiffre du tableau de bord est un pipeline exécuté par le serveur ; souvent couvert par un index, sans lire un document.", "Every dashboard figure is a pipeline run by the server; often covered by an index, without reading a document.")) } }
            div class="card" { h3 { (l.t("Les change streams", "Change streams")) }
                p { (l.t("Le tableau de bord se met à jour en direct quand une réponse arrive du portail, et ne recalcule que ce qui a changé.", "The dashboard updates live when an answer arrives from the portal, and recomputes only what changed.")) } }
            div class="card" { h3 { (l.t("Le chemin vers Atlas", "The path to Atlas")) }
                p { (l.t("Le même pilote et les mêmes requêtes sur une base locale, un serveur MongoDB ou Atlas ; la synchronisation pousse le travail hors ligne vers Atlas.", "The same driver and queries on a local store, a MongoDB server or Atlas; sync pushes offline work to Atlas.")) } }
            div class="card" { h3 { (l.t("Détecter, pas supposer", "Detect, don't assume")) }
                p { (l.t("À la connexion, l'app demande au serveur ce qu'il sait faire (texte, index haché, change streams, transactions) et s'adapte.", "At connection the app asks the server what it can do (text, hashed indexes, change streams, transactions) and adapts.")) } }
        }
    });

    // 5. A real document.
    slides.push(html! {
        h2 { (l.t("Un événement tel qu'il est stocké", "An event as it is stored")) }
        div class="cols" {
            pre class="doc" { (sample_event()) }
            div {
                p { (l.t("Document produit par le générateur du laboratoire avec les fonctions de l'app (mêmes clés dérivées que events::create) :", "Document produced by the lab's generator with the app's functions (the same derived keys as events::create):")) }
                ul {
                    li { (l.t("intervenants et sessions intégrés : une lecture pour l'éditeur ;", "speakers and sessions embedded: one read for the editor;")) }
                    li { code { "search_terms" } (l.t(" : mots repliés, index multiclé, recherche sans accents sur tout serveur ;", ": folded words, multikey index, accent-free search on any server;")) }
                    li { code { "version" } ", " code { "updated_at" } ", " code { "deleted_at" } (l.t(" : concurrence optimiste et synchronisation ;", ": optimistic concurrency and sync;")) }
                    li { code { "venue.location" } (l.t(" : point GeoJSON (index 2dsphere).", ": GeoJSON point (2dsphere index).")) }
                }
            }
        }
    });

    // 6. Architecture.
    slides.push(html! {
        h2 { (l.t("Architecture", "Architecture")) }
        div class="cols" style="grid-template-columns:1.2fr 1fr" {
            (PreEscaped(architecture_svg(l)))
            ul {
                li { (l.t("Un cœur Rust sans interface (eventhub-core) : toute la logique et tout accès MongoDB.", "One GUI-free Rust core (eventhub-core): all logic and every MongoDB access.")) }
                li { (l.t("L'app de bureau (Tauri 2), la ligne de commande, le portail HTTP et les tests appellent les mêmes fonctions.", "The desktop app (Tauri 2), the command line, the HTTP portal and the tests call the same functions.")) }
                li { (l.t("Une erreur typée {code, message, champ} jusqu'à l'écran.", "One typed error {code, message, field} up to the screen.")) }
                li { (l.t("Tests contre un vrai moteur, une base neuve par test ; tests de bout en bout dans la vraie fenêtre.", "Tests against a real engine, a fresh database per test; end-to-end tests in the real window.")) }
            }
        }
    });

    // 7. The process.
    slides.push(html! {
        h2 { (l.t("La démarche : preuve de concept → MVP → version finale", "The process: proof of concept → MVP → final version")) }
        @if s.steps.is_empty() {
            p class="missing" { (l.t("Historique git non disponible lors de la génération.", "Git history not available when this was generated.")) }
        } @else {
            p class="note" { (l.t("D'après l'historique git du projet : ", "From the project's git history: ")) (s.commits) " commits." }
            div class="steps" {
                @for st in &s.steps {
                    @let (a, b) = st.span();
                    div class="step" {
                        h3 { (l.t(st.name_fr, st.name_en)) }
                        div class="d" { (a) " → " (b) " · " (st.commits.len()) " commits · " (l.int(st.insertions() as i64)) (l.t(" lignes ajoutées", " lines added")) }
                        p { (l.t(st.goal_fr, st.goal_en)) }
                    }
                }
            }
        }
    });
    for st in &s.steps {
        let (a, b) = st.span();
        slides.push(html! {
            h2 { (l.t(st.name_fr, st.name_en)) " — " (l.t("ce qui a été livré", "what was delivered")) }
            p class="note" { (a) " → " (b) " · " (st.commits.len()) " commits. "
                (l.t("Les plus gros commits de l'étape (lignes ajoutées), dans l'ordre :", "The step's largest commits (lines added), in order:")) }
            ul class="small" style="font-size:15px" {
                @for c in st.deliveries(8) {
                    li style="font-size:15px;margin-bottom:5px" { code { (c.hash) } " " (super::charts::truncate(&c.subject, 150)) " " span class="note" { "(+" (l.int(c.insertions as i64)) ")" } }
                }
            }
        });
    }

    // 8. The index lab.
    match biggest {
        None => slides.push(html! {
            h2 { (l.t("Laboratoire d'index", "Index lab")) }
            p class="missing" { (l.t("Aucune exécution du catalogue actuel n'est enregistrée : résultats non mesurés.", "No run of the current catalogue is saved: results not measured.")) }
        }),
        Some(rv) => {
            let (best, measured) = parts::app_is_best(inputs, &rv.run);
            let (removed, total) = parts::scans_removed(inputs, &rv.run);
            slides.push(html! {
                h2 { (l.t("Laboratoire d'index : la méthode", "Index lab: the method")) }
                ul {
                    li { (l.t("Chaque requête du catalogue est construite par la fonction même de l'app (liste des événements, liste des participants, portail, import CSV, tableau de bord).", "Every catalogue query is built by the app's own function (events list, participants list, portal, CSV import, dashboard).")) }
                    li { (l.t("Données synthétiques déterministes aux formes de documents de l'app, dans une base séparée.", "Deterministic synthetic data in the app's document shapes, in a separate database.")) }
                    li { (l.t("Chaque requête est exécutée sans index, puis avec chaque index candidat seul — dont celui que l'app crée.", "Each query runs with no index, then with each candidate index alone — the one the app creates among them.")) }
                    li { (l.t("explain(\"executionStats\") : plan, documents et clés examinés, temps serveur ; le client mesure p50/p95/p99, la taille de l'index et le coût en écriture.", "explain(\"executionStats\"): plan, documents and keys examined, server time; the client measures p50/p95/p99, index size and write cost.")) }
                }
                div class="kpis" {
                    div class="kpi" { b { (removed) " / " (total) } span { (l.t("parcours complets remplacés par l'index de l'app", "collection scans replaced by the app's index")) } }
                    div class="kpi" { b { (best) " / " (measured) } span { (l.t("requêtes où l'index de l'app est le meilleur du labo", "queries where the app's index is the lab's best")) } }
                    div class="kpi" { b { (l.int(rv.scale() as i64)) } span { (l.t("documents", "documents")) } }
                    div class="kpi" { b { (l.num(rv.run.seconds)) " s" } span { (l.t("durée de l'exécution", "run time")) } }
                }
                p class="note" { (parts::run_line(rv, l)) }
            });
            slides.push(html! {
                h2 { (l.t("Moins de documents lus", "Fewer documents read")) }
                div class="chartbox" { (parts::docs_chart(inputs, rv, l, 1150.0)) }
            });
            slides.push(html! {
                h2 { (l.t("Des réponses plus rapides", "Faster answers")) }
                div class="chartbox" { (parts::p50_chart(inputs, rv, l, 1150.0)) }
            });
            slides.push(html! {
                h2 { (l.t("Laboratoire d'index : le détail", "Index lab: the detail")) }
                div class="small" { (parts::summary_table(inputs, &rv.run, l, true)) }
            });
        }
    }
    slides.push(match parts::scale_chart(inputs, l, 1150.0) {
        Some(c) => html! {
            h2 { (l.t("Quand les données grossissent", "As the data grows")) }
            div class="chartbox" { (c) }
        },
        None => html! {
            h2 { (l.t("Quand les données grossissent", "As the data grows")) }
            p class="missing" {
                (l.t("Une seule taille de données mesurée avec le catalogue actuel : la comparaison entre tailles n'est pas mesurée.",
                     "Only one data size measured with the current catalogue: the comparison across sizes is not measured."))
            }
            @if !inputs.skipped_runs.is_empty() {
                p class="note" { (l.t("Exécutions plus anciennes écartées (catalogue précédent, formes de documents propres au labo) : ", "Older runs left out (earlier catalogue, lab-only document shapes): ")) (inputs.skipped_runs.len()) "." }
            }
        },
    });
    slides.push(match parts::bench_chart(inputs, l, 1150.0) {
        Some(c) => html! {
            h2 { (l.t("Le coût de l'application au-dessus du pilote", "The app's cost above the driver")) }
            div class="chartbox" { (c) }
        },
        None => html! {
            h2 { (l.t("Le coût de l'application au-dessus du pilote", "The app's cost above the driver")) }
            p class="missing" { (l.t("Banc d'essai des gestionnaires non mesuré (aucun enregistré).", "Handler benchmark not measured (none saved).")) }
        },
    });
    // 9. Other benchmarks, from docs/performance.md.
    let perf: Vec<_> = s
        .perf
        .iter()
        .filter(|p| !p.title.starts_with("Index lab"))
        .collect();
    for chunk in perf.chunks(2) {
        slides.push(html! {
            h2 { (l.t("Autres bancs d'essai (docs/performance.md)", "Other benchmarks (docs/performance.md)")) }
            div class="small" {
                @for p in chunk {
                    h3 style="margin:8px 0 2px;font-size:18px" { (p.title) }
                    @if let Some(t) = p.tables.first() {
                        table {
                            thead { tr { @for h in &t.header { th { (h) } } } }
                            tbody { @for r in t.rows.iter().take(5) { tr { @for c in r { td { (super::charts::truncate(c, 90)) } } } } }
                        }
                    }
                }
            }
        });
    }
    if perf.is_empty() {
        slides.push(html! {
            h2 { (l.t("Autres bancs d'essai", "Other benchmarks")) }
            p class="missing" { (l.t("docs/performance.md non disponible : non mesuré.", "docs/performance.md not available: not measured.")) }
        });
    }

    // 10. Where it goes.
    slides.push(html! {
        h2 { (l.t("Et ensuite", "What next")) }
        ul {
            li { (l.t("Atlas : la même application, une chaîne de connexion (gardée dans le trousseau du système).", "Atlas: the same application, one connection string (kept in the OS keychain).")) }
            li { (l.t("Au-delà d'une machine : participants, réponses et mises en relation partitionnés par événement — toutes les requêtes mesurées du tableau de bord portent sur un événement.", "Past one machine: participants, answers and connections sharded by event — every measured dashboard query is about one event.")) }
            li { (l.t("Le rapport pour la DSI détaille schéma, index, mesures, sécurité, exploitation et dimensionnement.", "The report for the IT department details schema, indexes, measurements, security, operations and sizing.")) }
        }
    });

    let total = slides.len();
    let body = html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=1280";
                title { "EventHub — " (l.t("présentation", "presentation")) }
                style { (PreEscaped(BASE_CSS)) (PreEscaped(CSS)) }
            }
            body {
                @for (i, sl) in slides.into_iter().enumerate() {
                    section class=(if i == 0 { "slide title" } else { "slide" }) {
                        (sl)
                        (foot(inputs, l, i + 1))
                    }
                }
            }
        }
    };
    let _ = total;
    body.into_string()
}

/// The architecture as boxes and arrows.
fn architecture_svg(l: Lang) -> String {
    let b = |x: i32, y: i32, w: i32, h: i32, fill: &str, t1: &str, t2: &str| {
        html! {
            rect x=(x) y=(y) width=(w) height=(h) rx="10" fill=(fill) stroke="#9aa6bb" {}
            text x=(x + w / 2) y=(y + h / 2 - 4) text-anchor="middle" font-size="16" font-weight="600" fill="#1d2433" { (t1) }
            text x=(x + w / 2) y=(y + h / 2 + 16) text-anchor="middle" font-size="12.5" fill="#5b6475" { (t2) }
        }
    };
    let arrow = |x1: i32, y1: i32, x2: i32, y2: i32| {
        html! { line x1=(x1) y1=(y1) x2=(x2) y2=(y2) stroke="#5b6475" stroke-width="2" marker-end="url(#a)" {} }
    };
    html! {
        svg class="chart" viewBox="0 0 620 500" width="620" height="500" xmlns="http://www.w3.org/2000/svg" role="img" {
            title { (l.t("Architecture d'EventHub", "EventHub's architecture")) }
            defs { marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto" { path d="M0,0 L10,5 L0,10 z" fill="#5b6475" {} } }
            (b(10, 10, 190, 70, "#eaf1fd", "UI", l.t("HTML + TypeScript, FR/EN", "HTML + TypeScript, FR/EN")))
            (b(10, 120, 190, 70, "#eaf1fd", "Tauri 2", l.t("commandes fines", "thin commands")))
            (b(215, 120, 190, 70, "#eaf1fd", "eventhub-cli", l.t("même cœur, sans fenêtre", "same core, headless")))
            (b(420, 120, 190, 70, "#eaf1fd", l.t("Portail HTTP", "HTTP portal"), "axum, LAN / Atlas"))
            (b(60, 240, 500, 80, "#e5f4ea", "eventhub-core", l.t("événements · participants · invitations · tableau de bord · sync · labo", "events · participants · invitations · dashboard · sync · lab")))
            (b(10, 380, 280, 80, "#fdf3e1", l.t("Base locale", "Local store"), "mongod / secantusd-rs"))
            (b(330, 380, 280, 80, "#fdf3e1", "MongoDB Atlas", l.t("synchronisation, portail déployé", "sync, deployed portal")))
            (arrow(105, 80, 105, 118))
            (arrow(105, 190, 160, 238))
            (arrow(310, 190, 310, 238))
            (arrow(515, 190, 460, 238))
            (arrow(200, 320, 150, 378))
            (arrow(420, 320, 470, 378))
            line x1="290" y1="420" x2="328" y2="420" stroke="#5b6475" stroke-width="2" stroke-dasharray="5 4" {}
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shot(name: &str) -> sources::Screen {
        sources::Screen {
            name: name.into(),
            data_uri: String::new(),
        }
    }

    #[test]
    fn a_deck_shows_the_screens_of_its_language_with_their_names_in_it() {
        let all: Vec<_> = [
            "en-1024-events",
            "en-1280-events",
            "fr-1024-events",
            "fr-1280-dashboard",
            "fr-1280-events",
            "lab-100k-from-the-screen",
            "portal-rsvp-en",
            "portal-rsvp-fr",
        ]
        .into_iter()
        .map(shot)
        .collect();
        let names = |l| {
            deck_screens(&all, l)
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(Lang::Fr),
            [
                "fr-1280-dashboard",
                "fr-1280-events",
                "portal-rsvp-fr",
                "lab-100k-from-the-screen"
            ]
        );
        assert_eq!(
            names(Lang::En),
            [
                "en-1280-events",
                "portal-rsvp-en",
                "lab-100k-from-the-screen"
            ]
        );
        assert_eq!(caption("fr-1280-door", Lang::Fr), "Accueil à l'entrée");
        assert_eq!(caption("en-1280-door", Lang::En), "Check-in at the door");
        assert_eq!(
            caption("portal-poll-fr", Lang::Fr),
            "Portail (téléphone) : sondage"
        );
        assert_eq!(caption("something-else", Lang::Fr), "something else");
    }
}
