//! The presentation and the DSI report, built from saved lab runs against a real server:
//! the figures come from the run, what is missing is said, stored text is escaped.

use std::sync::atomic::AtomicBool;

use bson::{doc, Document};
use eventhub_core::{
    lab::{
        bench::{self, RunOptions},
        generate, no_progress, LAB_RUNS,
    },
    report::{self, Lang},
    testing::{cleanup, fresh_core},
};

#[tokio::test]
async fn documents_are_built_from_the_saved_runs_and_escape_what_they_read() {
    let core = fresh_core("report_docs").await;
    let labdb = core.on_database(&format!("{}_lab", core.info().database));
    generate::generate(&labdb, 1200, 4, &no_progress, &AtomicBool::new(false))
        .await
        .unwrap();
    let empty = report::gather(&core, None).await.unwrap();
    assert!(empty.runs.is_empty());
    let deck = report::deck::html(&empty, Lang::Fr);
    assert!(deck.contains("résultats non mesurés"), "no run: said so");

    let run = bench::run(
        &core,
        &labdb,
        RunOptions {
            queries: vec![],
            runs: 2,
            warmup: 0,
            write_batch: 20,
            build_timeout_s: 0.0,
        },
        &no_progress,
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    // A newer saved run of an earlier catalogue is left out, with the reason.
    let mut old = eventhub_core::time::to_doc(&run).unwrap();
    old.insert("_id", "old-run");
    old.insert(
        "started_at",
        bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() + 3_600_000),
    );
    old.get_array_mut("results").unwrap().truncate(3);
    core.db()
        .collection::<Document>(LAB_RUNS)
        .insert_one(old)
        .await
        .unwrap();

    let project = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let inputs = report::gather(&core, Some(&project)).await.unwrap();
    assert_eq!(inputs.runs.len(), 1);
    assert_eq!(inputs.runs[0].run.id, run.id);
    assert!(
        inputs.runs[0].sizes.is_some(),
        "the data set is still there"
    );
    assert!(inputs.skipped_runs.iter().any(|(id, _)| id == "old-run"));
    assert!(inputs.bench.is_none());

    let dir = std::env::temp_dir().join(format!("eh-report-{}", run.id));
    let paths = report::write(&inputs, &Lang::ALL, &dir).unwrap();
    assert_eq!(paths.len(), 4);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let deck = read("presentation-fr.html");
    let dsi = read("rapport-dsi-fr.html");
    let deck_en = read("presentation-en.html");
    let dsi_en = read("report-it-en.html");
    for d in [&deck, &dsi, &deck_en, &dsi_en] {
        assert!(d.starts_with("<!DOCTYPE html>"));
        assert!(!d.contains("<script"), "self-contained, no script");
        assert!(d.contains(&run.id), "built from the run");
        assert!(d.contains("<svg"), "charts");
    }
    assert!(deck.contains("lang=\"fr\"") && deck_en.contains("lang=\"en\""));
    assert!(deck.contains("@page{size:1280px 720px"));
    // The benchmark that was not run is said to be missing, in each language.
    assert!(deck.contains("non mesuré"));
    assert!(dsi_en.contains("Not measured"));
    // The index section lists every index the app declares.
    for a in report::app_indexes() {
        assert!(dsi.contains(&a.name), "{}", a.name);
    }
    // The figures are the run's: the baseline documents examined of the first query.
    let q = &run.results[0];
    let base = report::baseline(q).unwrap();
    assert!(dsi_en.contains(&Lang::En.int(base.explain.docs_examined)));
    // Screens from docs/screens are embedded, and the history has its three steps.
    if !inputs.sources.screens.is_empty() {
        assert!(deck.contains("data:image/png;base64,"));
    }
    if !inputs.sources.steps.is_empty() {
        assert_eq!(inputs.sources.steps.len(), 3);
        assert!(deck.contains("Preuve de concept"));
    }

    // An app index whose build did not finish in a larger run is sized from the run that
    // built it, per document, and named; without that run it is left out (a minimum).
    {
        use eventhub_core::lab::bench::Outcome;
        let small = &inputs.runs[0];
        let (coll, name, bytes) = small
            .run
            .results
            .iter()
            .flat_map(|q| q.variants.iter().map(move |v| (q, v)))
            .find(|(q, v)| {
                v.outcome == Outcome::Ok
                    && v.index_bytes > 0
                    && report::app_indexes()
                        .iter()
                        .any(|a| a.collection == q.collection && a.name == v.index)
            })
            .map(|(q, v)| (q.collection.clone(), v.index.clone(), v.index_bytes))
            .expect("an app index measured");
        let mut big = small.clone();
        big.run.id = "bigger-run".into();
        let c = &mut big.run.data.counts;
        (c.events, c.participants, c.answers, c.connections) = (
            c.events * 10,
            c.participants * 10,
            c.answers * 10,
            c.connections * 10,
        );
        for q in &mut big.run.results {
            for v in &mut q.variants {
                v.index_bytes *= 10;
                if v.index == name && q.collection == coll {
                    v.outcome = Outcome::TimedOut;
                    v.index_bytes = 0;
                }
            }
        }
        let per_doc_small = report::dsi::per_doc(&inputs, small);
        let mut both = inputs.clone();
        both.runs.push(big.clone());
        let of =
            |pd: &[report::dsi::PerDoc]| pd.iter().find(|p| p.collection == coll).unwrap().clone();
        let s = of(&per_doc_small);
        let b = of(&report::dsi::per_doc(&both, &both.runs[1]));
        assert_eq!(b.extrapolated, vec![(name.clone(), small.scale())]);
        assert_eq!(b.indexes_measured + 1, s.indexes_measured);
        assert!(
            (b.index_bytes - s.index_bytes).abs() < 1e-6,
            "{} vs {}",
            b.index_bytes,
            s.index_bytes
        );
        let mut alone = inputs.clone();
        alone.runs = vec![big];
        let a = of(&report::dsi::per_doc(&alone, &alone.runs[0]));
        assert!(a.extrapolated.is_empty());
        let n = small.run.data.counts.of(&coll) as f64;
        assert!((s.index_bytes - a.index_bytes - bytes as f64 / n).abs() < 1e-6);
        let html = report::dsi::html(&both, Lang::Fr);
        assert!(
            html.contains("mesuré sur l'exécution à"),
            "the extrapolated index is named"
        );
    }

    // Text read from the database is escaped, never interpreted.
    core.db()
        .collection::<Document>(LAB_RUNS)
        .update_one(
            doc! { "_id": &run.id },
            doc! { "$set": { "results.0.title.fr": "<img src=x onerror=alert(1)>", "server.engine": "<b>x</b>" } },
        )
        .await
        .unwrap();
    let hostile = report::gather(&core, None).await.unwrap();
    let deck = report::deck::html(&hostile, Lang::Fr);
    let dsi = report::dsi::html(&hostile, Lang::Fr);
    for d in [&deck, &dsi] {
        assert!(!d.contains("<img src=x"));
        assert!(!d.contains("<b>x</b>"));
        assert!(d.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
    labdb.drop_database().await.unwrap();
    cleanup(&core).await.unwrap();
}
