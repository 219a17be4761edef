//! The index lab against a real server: the generator's determinism, every index kind
//! created and dropped cleanly (or detected as unsupported), explain figures parsed from
//! the server's real output, a saved run with its report, and the handler bench.

use std::sync::atomic::AtomicBool;

use bson::{doc, Document};
use eventhub_core::{
    lab::{
        self,
        bench::{self, Created, Outcome, RunOptions},
        catalogue::{catalogue, IndexKind},
        explain,
        generate::{self, Counts},
        handlers::{self, BenchOptions},
        no_progress, report,
    },
    testing::{cleanup, fresh_core},
    Core,
};
use futures_util::TryStreamExt;

async fn all(core: &Core, coll: &str) -> Vec<Document> {
    core.db()
        .collection::<Document>(coll)
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

async fn index_names(core: &Core, coll: &str) -> Vec<String> {
    core.db()
        .collection::<Document>(coll)
        .list_index_names()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_generator_is_deterministic_and_can_be_cancelled() {
    let a = fresh_core("lab_det_a").await;
    let b = fresh_core("lab_det_b").await;
    let c = fresh_core("lab_det_c").await;
    let go = AtomicBool::new(false);
    let seen = std::sync::Mutex::new(vec![]);
    let record = |p: lab::Progress| seen.lock().unwrap().push(p.done);
    let sa = generate::generate(&a, 800, 42, &record, &go).await.unwrap();
    generate::generate(&b, 800, 42, &no_progress, &go)
        .await
        .unwrap();
    generate::generate(&c, 800, 43, &no_progress, &go)
        .await
        .unwrap();
    assert_eq!(sa.counts, Counts::for_scale(800));
    assert!(!sa.cancelled);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.last().copied(),
        Some(800),
        "progress reaches the total"
    );
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "progress only grows");
    for coll in lab::LAB_COLLECTIONS {
        let da = all(&a, coll).await;
        assert_eq!(da.len() as u64, sa.counts.of(coll), "{coll}");
        assert_eq!(da, all(&b, coll).await, "{coll}: same seed, same documents");
        assert_ne!(
            da,
            all(&c, coll).await,
            "{coll}: another seed, other documents"
        );
    }
    // Events have the app's real shape: they read back as `Event`.
    let ev: Vec<eventhub_core::events::Event> = a
        .db()
        .collection("events")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(ev.iter().all(|e| !e.search_terms.is_empty()));
    // So do participants, answers and connections: they read back as the app's types.
    let people: Vec<eventhub_core::participants::Participant> = a
        .db()
        .collection("participants")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(people.len() as u64, sa.counts.participants);
    assert!(people.iter().all(|p| p.email_norm
        == eventhub_core::participants::normalise_email(&p.input.email)
        && !p.name_key.is_empty()));
    assert!(people.iter().any(|p| p.invitation.token_hash.is_some()));
    let answers: Vec<eventhub_core::feedback::Answer> = a
        .db()
        .collection(eventhub_core::feedback::ANSWERS)
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(answers.len() as u64, sa.counts.answers);
    let conns: Vec<eventhub_core::networking::Connection> = a
        .db()
        .collection(eventhub_core::networking::CONNECTIONS)
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(conns.len() as u64, sa.counts.connections);
    // The app's collection validators accept the generated documents.
    for spec in eventhub_core::schema::collections(a.caps()) {
        if let (Some(v), true) = (spec.validator, lab::LAB_COLLECTIONS.contains(&spec.name)) {
            let n = a
                .db()
                .collection::<Document>(spec.name)
                .count_documents(v)
                .await
                .unwrap();
            assert_eq!(n, sa.counts.of(spec.name), "{} validator", spec.name);
        }
    }
    assert_eq!(generate::current(&a).await.unwrap().unwrap().seed, 42);

    // Cancelled before it starts: an incomplete set, said so.
    let stop = AtomicBool::new(true);
    let s = generate::generate(&b, 800, 42, &no_progress, &stop)
        .await
        .unwrap();
    assert!(s.cancelled);
    assert!(all(&b, "participants").await.is_empty());

    // The app's database is refused as a lab database.
    let app = a.on_database("eventhub");
    let e = generate::generate(&app, 800, 1, &no_progress, &go)
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("database"));
    for x in [a, b, c] {
        cleanup(&x).await.unwrap();
    }
}

#[tokio::test]
async fn every_index_kind_is_created_and_dropped_cleanly_or_detected_as_unsupported() {
    let core = fresh_core("lab_kinds").await;
    let set = generate::generate(&core, 400, 5, &no_progress, &AtomicBool::new(false))
        .await
        .unwrap();
    let caps = core.caps().clone();
    let mut kinds_seen = std::collections::HashSet::new();
    for q in catalogue(set.seed, &set.counts) {
        for v in q.variants.iter().filter(|v| v.kind != IndexKind::None) {
            let created = bench::create_index(&core, &q.collection, v).await.unwrap();
            let names = index_names(&core, &q.collection).await;
            match created {
                Created::Ok { .. } => {
                    kinds_seen.insert(v.kind);
                    assert!(
                        names.contains(&v.name),
                        "{} on {}: {names:?}",
                        v.name,
                        q.collection
                    );
                    let spec: Vec<Document> = core
                        .db()
                        .collection::<Document>(&q.collection)
                        .list_indexes()
                        .await
                        .unwrap()
                        .try_collect::<Vec<_>>()
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|m| bson::to_document(&m).unwrap())
                        .collect();
                    let mine = spec
                        .iter()
                        .find(|d| d.get_str("name").ok() == Some(v.name.as_str()))
                        .unwrap_or_else(|| panic!("{} listed: {spec:?}", v.name));
                    // The driver's IndexModel flattens the options next to `key`.
                    let opts = mine;
                    assert_eq!(mine.get_document("key").unwrap(), &v.keys, "{}", v.name);
                    assert_eq!(
                        opts.get_bool("unique").unwrap_or(false),
                        v.opts.unique,
                        "{}",
                        v.name
                    );
                    assert_eq!(
                        opts.get_bool("sparse").unwrap_or(false),
                        v.opts.sparse,
                        "{}",
                        v.name
                    );
                    assert_eq!(
                        opts.get_document("partialFilterExpression").ok(),
                        v.opts.partial.as_ref(),
                        "{}",
                        v.name
                    );
                    assert_eq!(
                        opts.get("expireAfterSeconds").is_some(),
                        v.opts.ttl_seconds.is_some(),
                        "{}",
                        v.name
                    );
                }
                Created::NotFinished { .. } | Created::Cancelled => {
                    panic!("{}: a build with no bound and no cancel stopped", v.name)
                }
                Created::Unsupported(msg) => {
                    assert!(
                        (v.kind == IndexKind::Text && !caps.text_search)
                            || (v.kind == IndexKind::Hashed && !caps.hashed_index),
                        "{:?} refused although the probe found it supported: {msg}",
                        v.kind
                    );
                    assert!(!names.contains(&v.name));
                }
            }
            bench::drop_indexes(&core, &q.collection).await.unwrap();
            assert_eq!(
                index_names(&core, &q.collection).await,
                ["_id_"],
                "{} dropped",
                v.name
            );
        }
    }
    for k in [
        IndexKind::Single,
        IndexKind::Compound,
        IndexKind::Multikey,
        IndexKind::Partial,
        IndexKind::Sparse,
        IndexKind::Unique,
        IndexKind::Ttl,
        IndexKind::Wildcard,
    ] {
        assert!(kinds_seen.contains(&k), "{k:?} was created");
    }
    assert_eq!(kinds_seen.contains(&IndexKind::Text), caps.text_search);
    assert_eq!(kinds_seen.contains(&IndexKind::Hashed), caps.hashed_index);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn explain_figures_are_parsed_from_the_servers_real_output() {
    let core = fresh_core("lab_explain").await;
    let set = generate::generate(&core, 2000, 9, &no_progress, &AtomicBool::new(false))
        .await
        .unwrap();
    let cat = catalogue(set.seed, &set.counts);
    let q = cat.iter().find(|q| q.id == "participant_by_token").unwrap();

    let raw = bench::explain_raw(&core, &q.collection, &q.op)
        .await
        .unwrap();
    let none = explain::parse(&raw).unwrap();
    assert_eq!(none.access, "COLLSCAN", "{raw:?}");
    // The scan reads in natural (insertion) order until the one match: the looked-up
    // participant is in the second half.
    assert!(none.docs_examined as u64 > set.counts.participants / 2);
    assert_eq!(none.returned, 1);
    assert_eq!(none.keys_examined, 0);

    // The app's own index for it: the partial unique index on the token's hash.
    let app = q
        .variants
        .iter()
        .find(|v| v.name == "invitation_token_hash")
        .unwrap();
    assert!(app.opts.unique && app.opts.partial.is_some());
    bench::create_index(&core, &q.collection, app)
        .await
        .unwrap();
    let raw = bench::explain_raw(&core, &q.collection, &q.op)
        .await
        .unwrap();
    let ix = explain::parse(&raw).unwrap();
    assert_eq!(ix.access, "IXSCAN", "{raw:?}");
    assert!(ix.indexes.contains(&app.name), "{:?}", ix.indexes);
    assert_eq!(ix.docs_examined, 1);
    assert!(
        (1..=2).contains(&ix.keys_examined),
        "keys {}",
        ix.keys_examined
    );
    // Server time: summed over repeated explains, each read from the server's answer.
    let rep = explain::repeated(&core, &q.collection, &q.op, 5)
        .await
        .unwrap();
    assert_eq!(rep.server_runs, 5);
    assert!(rep.server_ms_total >= rep.server_ms);
    bench::drop_indexes(&core, &q.collection).await.unwrap();

    // An aggregation: the $match part is read from the nested or top-level plan.
    let agg = cat.iter().find(|q| q.id == "participant_counts").unwrap();
    let base = explain::parse(
        &bench::explain_raw(&core, &agg.collection, &agg.op)
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(base.is_collscan());
    let v = agg
        .variants
        .iter()
        .find(|v| v.kind == IndexKind::Compound)
        .unwrap();
    bench::create_index(&core, &agg.collection, v)
        .await
        .unwrap();
    let raw = bench::explain_raw(&core, &agg.collection, &agg.op)
        .await
        .unwrap();
    let with = explain::parse(&raw).unwrap();
    assert!(!with.is_collscan(), "{raw:?}");
    assert!(
        with.stages.iter().any(|s| s == "IXSCAN"),
        "{:?}",
        with.stages
    );
    assert!(
        with.docs_examined < base.docs_examined,
        "{} < {}",
        with.docs_examined,
        base.docs_examined
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn a_run_measures_saves_and_reports() {
    let core = fresh_core("lab_run").await;
    let labdb = core.on_database(&format!("{}_lab", core.info().database));
    generate::generate(&labdb, 1500, 3, &no_progress, &AtomicBool::new(false))
        .await
        .unwrap();
    let opts = RunOptions {
        queries: vec![
            "participant_by_token".into(),
            "event_upcoming_published".into(),
            "event_search".into(),
        ],
        runs: 3,
        warmup: 1,
        write_batch: 50,
        build_timeout_s: 0.0,
    };
    let steps = std::sync::Mutex::new(0u32);
    let run = bench::run(
        &core,
        &labdb,
        opts,
        &|_| *steps.lock().unwrap() += 1,
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert!(*steps.lock().unwrap() >= 3);
    assert_eq!(run.results.len(), 3);
    let email = run
        .results
        .iter()
        .find(|r| r.id == "participant_by_token")
        .unwrap();
    let base = &email.variants[0];
    assert_eq!(base.kind, IndexKind::None);
    assert_eq!(base.explain.access, "COLLSCAN");
    assert_eq!(base.latency.runs, 3);
    assert!(base.inserts_per_s > 0.0);
    assert!(email.verdict.best.is_some(), "{:?}", email.verdict);
    assert!(email.verdict.docs_ratio >= 100.0, "{:?}", email.verdict);
    assert!(email.verdict.en.contains("IXSCAN"));
    for v in email
        .variants
        .iter()
        .filter(|v| v.outcome == Outcome::Ok && v.kind != IndexKind::None)
    {
        assert!(v.index_bytes > 0, "{} has a size", v.index);
    }
    let hashed = email
        .variants
        .iter()
        .find(|v| v.kind == IndexKind::Hashed)
        .unwrap();
    assert_eq!(
        hashed.outcome == Outcome::Unsupported,
        !core.caps().hashed_index
    );
    // Nothing left behind on the lab collections.
    assert_eq!(index_names(&labdb, "participants").await, ["_id_"]);

    let saved = bench::get_run(&core, None).await.unwrap();
    assert_eq!(saved, run);
    let list = bench::runs(&core, 10).await.unwrap();
    assert_eq!(list[0].id, run.id);
    assert_eq!(list[0].scale, 1500);

    // Every measured variant carries its server time, read from repeated explains — unless
    // the engine reports none (0 ms even for the slow scans): then no variant claims one.
    let all_zero = run
        .results
        .iter()
        .flat_map(|q| q.variants.iter())
        .all(|v| v.explain.server_ms_total == 0);
    for q in &run.results {
        for v in q.variants.iter().filter(|v| v.outcome == Outcome::Ok) {
            let runs = if run.server_time_reported { 3 } else { 0 };
            assert_eq!(v.explain.server_runs, runs, "{} {}", q.id, v.index);
            assert!(v.explain.server_ms_total >= 0);
        }
    }
    if !run.server_time_reported {
        assert!(
            all_zero,
            "a run said to report no server time holds only zeros"
        );
    }

    let html = report::html(&run, None);
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<svg"));
    assert!(html.contains(&run.server.version));
    assert!(html.contains("Participant of a personal link"));
    assert!(!html.contains("<script"), "self-contained, no script");
    let fr = report::html_in(&run, None, eventhub_core::report::Lang::Fr);
    assert!(fr.contains("lang=\"fr\""));
    assert_eq!(
        fr.contains("il ne communique pas son temps d'exécution"),
        !run.server_time_reported,
        "the report says when the engine reports no server time"
    );
    assert!(fr.contains("un lien personnel"));
    // The index section is the app's own list of indexes, not a table written by hand.
    let app = eventhub_core::report::app_indexes();
    assert!(app.len() > 20);
    for a in &app {
        assert!(
            fr.contains(&format!("<code>{}</code>", a.name)),
            "{}.{} missing from the index section",
            a.collection,
            a.name
        );
    }
    assert!(html.contains("invitation_token_hash"));
    labdb.drop_database().await.unwrap();
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn the_handler_bench_times_the_app_and_the_bare_driver() {
    let core = fresh_core("lab_handlers").await;
    let b = core.on_database(&format!("{}_b_lab", core.info().database));
    let opts = BenchOptions {
        sizes: vec![50],
        clients: vec![1, 4],
        ops: 8,
        warmup: 2,
        seed: 1,
        handlers: vec![],
    };
    let out = handlers::bench_on(&core, &b, opts, &no_progress, &AtomicBool::new(false))
        .await
        .unwrap();
    assert_eq!(out.results.len(), 2 * handlers::HANDLERS.len());
    for r in &out.results {
        assert_eq!(r.app.runs, 8, "{}", r.handler);
        assert_eq!(r.driver.runs, 8, "{}", r.handler);
        assert!(r.ratio_p50 > 0.0 && r.app_ops_per_s > 0.0, "{r:?}");
    }
    let planned = out.results.iter().find(|r| r.handler == "rsvp").unwrap();
    assert!(planned.source.starts_with("planned"));
    // The real handlers wrote through the app: created events carry the app's bookkeeping.
    let created = b
        .db()
        .collection::<Document>("events")
        .find_one(doc! { "title": { "$regex": "^Bench" }, "search_terms": { "$exists": true } })
        .await
        .unwrap();
    assert!(created.is_some());
    assert_eq!(handlers::latest(&core).await.unwrap().unwrap().id, out.id);
    b.drop_database().await.unwrap();
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn an_index_build_past_its_bound_is_stopped_recorded_and_the_run_goes_on() {
    let core = fresh_core("lab_bound").await;
    let labdb = core.on_database(&format!("{}_lab", core.info().database));
    let set = generate::generate(&labdb, 6000, 11, &no_progress, &AtomicBool::new(false))
        .await
        .unwrap();
    let go = AtomicBool::new(false);

    // Careless bounds are refused before anything runs, and nothing is saved.
    for bad in [-1.0, f64::NAN, f64::INFINITY, 1e9] {
        let opts = RunOptions {
            queries: vec!["participant_search".into()],
            runs: 1,
            build_timeout_s: bad,
            ..RunOptions::default()
        };
        let e = bench::run(&core, &labdb, opts, &no_progress, &go)
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("build_timeout_s"), "{bad}");
    }
    assert!(bench::runs(&core, 10).await.unwrap().is_empty());

    // A bound no build over 3,000 participants can meet: every index build is stopped.
    let opts = RunOptions {
        queries: vec!["participant_search".into(), "participant_counts".into()],
        runs: 2,
        warmup: 0,
        write_batch: 10,
        build_timeout_s: 0.001,
    };
    let t = std::time::Instant::now();
    let run = bench::run(&core, &labdb, opts, &no_progress, &go)
        .await
        .unwrap();
    assert!(
        t.elapsed() < std::time::Duration::from_secs(60),
        "stopped builds do not hold the run: {:?}",
        t.elapsed()
    );
    assert!(!run.cancelled);
    // The run went on past the first stopped build: both queries, every variant, recorded.
    assert_eq!(run.results.len(), 2);
    for q in &run.results {
        let wanted = catalogue(set.seed, &set.counts)
            .into_iter()
            .find(|c| c.id == q.id)
            .unwrap();
        assert_eq!(q.variants.len(), wanted.variants.len(), "{}", q.id);
        let base = &q.variants[0];
        assert_eq!(
            base.outcome,
            Outcome::Ok,
            "{}: the baseline is measured",
            q.id
        );
        assert_eq!(base.explain.access, "COLLSCAN");
        assert_eq!(base.latency.runs, 2);
        for v in &q.variants[1..] {
            assert_eq!(v.outcome, Outcome::TimedOut, "{} {}", q.id, v.index);
            assert_eq!(v.build_timeout_s, 0.001);
            assert_eq!(
                v.message, "did not finish within 0.001 s on this server",
                "{} {}",
                q.id, v.index
            );
            // Not measured is not zero: no latency, no plan, no size is claimed.
            assert_eq!(v.latency.runs, 0);
            assert_eq!(v.explain.access, "");
            assert_eq!(v.index_bytes, 0);
        }
        assert_eq!(q.verdict.best, None, "{}", q.id);
        assert!(
            q.verdict
                .en
                .contains("the index build did not finish within 0.001 s on this server"),
            "{}",
            q.verdict.en
        );
        assert!(
            q.verdict
                .fr
                .contains("la construction de l'index n'a pas fini en 0,001 s sur ce serveur"),
            "{}",
            q.verdict.fr
        );
    }
    // Nothing left behind: no index, no build in progress — an index created right after
    // (no bound) is built at once.
    assert_eq!(index_names(&labdb, "participants").await, ["_id_"]);
    let q = catalogue(set.seed, &set.counts)
        .into_iter()
        .find(|q| q.id == "participant_search")
        .unwrap();
    let multikey = q
        .variants
        .iter()
        .find(|v| v.kind == IndexKind::Multikey)
        .unwrap();
    let stopped = bench::create_index_within(
        &labdb,
        "participants",
        multikey,
        Some(std::time::Duration::from_millis(1)),
        &go,
    )
    .await
    .unwrap();
    assert!(
        matches!(stopped, Created::NotFinished { .. }),
        "{stopped:?}"
    );
    assert_eq!(index_names(&labdb, "participants").await, ["_id_"]);
    let t = std::time::Instant::now();
    assert!(matches!(
        bench::create_index(&labdb, "participants", multikey)
            .await
            .unwrap(),
        Created::Ok { .. }
    ));
    assert!(t.elapsed() < std::time::Duration::from_secs(20));
    assert!(index_names(&labdb, "participants")
        .await
        .contains(&multikey.name));
    bench::drop_indexes(&labdb, "participants").await.unwrap();

    // What was stored says so, in the stored words.
    let saved = bench::get_run(&core, Some(&run.id)).await.unwrap();
    assert_eq!(saved, run);
    let raw = core
        .db()
        .collection::<Document>(lab::LAB_RUNS)
        .find_one(doc! { "_id": &run.id })
        .await
        .unwrap()
        .unwrap();
    let v1 = raw.get_array("results").unwrap()[0]
        .as_document()
        .unwrap()
        .get_array("variants")
        .unwrap()[1]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(v1.get_str("outcome").unwrap(), "timed_out");
    assert_eq!(
        v1.get_str("message").unwrap(),
        "did not finish within 0.001 s on this server"
    );

    // The lab report and the documents show it, in French and in English.
    use eventhub_core::report::{self as docs, Lang};
    let fr = report::html_in(&run, None, Lang::Fr);
    let en = report::html_in(&run, None, Lang::En);
    assert!(fr
        .replace("&#39;", "'")
        .contains("n'a pas fini en 0,001 s sur ce serveur"));
    assert!(en.contains("did not finish within 0.001 s on this server"));
    let inputs = docs::Inputs {
        runs: vec![docs::RunView {
            run: run.clone(),
            sizes: None,
        }],
        skipped_runs: vec![],
        bench: None,
        app_indexes: docs::app_indexes(),
        sources: Default::default(),
        generated_at: eventhub_core::time::now(),
        server: String::new(),
    };
    for (l, text) in [
        (Lang::Fr, "n'a pas fini en 0,001 s sur ce serveur"),
        (Lang::En, "did not finish within 0.001 s on this server"),
    ] {
        for d in [docs::dsi::html(&inputs, l), docs::deck::html(&inputs, l)] {
            let d = d.replace("&#39;", "'");
            assert!(d.contains(text), "{l:?}: {text}");
        }
    }
    labdb.drop_database().await.unwrap();
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn a_cancelled_run_is_completed_by_a_resumed_one() {
    let core = fresh_core("lab_resume").await;
    let labdb = core.on_database(&format!("{}_lab", core.info().database));
    generate::generate(&labdb, 800, 13, &no_progress, &AtomicBool::new(false))
        .await
        .unwrap();
    let opts = RunOptions {
        queries: vec![
            "participant_by_token".into(),
            "event_by_tag".into(),
            "dashboard_texts".into(),
        ],
        runs: 1,
        warmup: 0,
        write_batch: 10,
        build_timeout_s: 0.0,
    };
    // Cancelled as the last query (in catalogue order) starts: the two before are kept.
    let stop = AtomicBool::new(false);
    let cancelled = bench::run(
        &core,
        &labdb,
        opts.clone(),
        &|p| {
            if p.step.starts_with("dashboard_texts") {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        },
        &stop,
    )
    .await
    .unwrap();
    assert!(cancelled.cancelled);
    let kept_ids: Vec<&str> = cancelled.results.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(kept_ids, ["event_by_tag", "participant_by_token"]);

    // Other options, an unknown run: refused, nothing saved.
    let go = AtomicBool::new(false);
    let mut other = opts.clone();
    other.runs = 2;
    let e = bench::run_resuming(&core, &labdb, other, Some(&cancelled.id), &no_progress, &go)
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("resume"), "{e:?}");
    let e = bench::run_resuming(
        &core,
        &labdb,
        opts.clone(),
        Some("no-such-run"),
        &no_progress,
        &go,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, eventhub_core::error::Code::NotFound, "{e:?}");
    assert_eq!(bench::runs(&core, 10).await.unwrap().len(), 1);

    let done = bench::run_resuming(
        &core,
        &labdb,
        opts.clone(),
        Some(&cancelled.id),
        &no_progress,
        &go,
    )
    .await
    .unwrap();
    assert!(!done.cancelled);
    assert_eq!(done.resumed_from.as_deref(), Some(cancelled.id.as_str()));
    // In catalogue order, the kept query exactly as measured before.
    let counts = generate::current(&labdb).await.unwrap().unwrap().counts;
    let want: Vec<String> = catalogue(13, &counts)
        .into_iter()
        .map(|q| q.id)
        .filter(|id| opts.queries.contains(id))
        .collect();
    let ids: Vec<String> = done.results.iter().map(|q| q.id.clone()).collect();
    assert_eq!(ids, want);
    let kept = done
        .results
        .iter()
        .find(|q| q.id == "participant_by_token")
        .unwrap();
    assert_eq!(kept, &cancelled.results[1]);
    assert!(done.seconds >= cancelled.seconds);
    assert_eq!(bench::get_run(&core, Some(&done.id)).await.unwrap(), done);
    // A complete run cannot be resumed.
    let e = bench::run_resuming(&core, &labdb, opts, Some(&done.id), &no_progress, &go)
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("resume"));
    labdb.drop_database().await.unwrap();
    cleanup(&core).await.unwrap();
}

/// The lab's data carries what the app's queries read: the catalogue's event search
/// (`events::list` on the folded prefix keys) finds generated events, live ones only, as
/// the app's own search does on events it created.
#[tokio::test]
async fn the_catalogue_event_search_finds_generated_events() {
    use eventhub_core::events::{self, EventQuery};
    let core = fresh_core("lab_search_keys").await;
    generate::generate(&core, 2000, 42, &no_progress, &AtomicBool::new(false))
        .await
        .unwrap();
    let page = events::list(
        &core,
        &EventQuery {
            q: Some("cloud lyon".into()),
            per_page: 25,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(!page.items.is_empty(), "the lab's search matches nothing");
    let ids: Vec<&str> = page.items.iter().map(|e| e.id.as_str()).collect();
    let live = core
        .db()
        .collection::<Document>("events")
        .count_documents(doc! { "_id": { "$in": &ids }, "deleted_at": null })
        .await
        .unwrap();
    assert_eq!(live as usize, ids.len(), "only live events");
    let tombstones_with_keys = core
        .db()
        .collection::<Document>("events")
        .count_documents(
            doc! { "deleted_at": { "$ne": null }, "search_keys.0": { "$exists": true } },
        )
        .await
        .unwrap();
    assert_eq!(tombstones_with_keys, 0);
    cleanup(&core).await.unwrap();
}
