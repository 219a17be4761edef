//! The handler bench's kept data: each size on its own database, prepared once and reused by
//! the next run of the same size and seed, prepared again for another seed.

use std::sync::atomic::AtomicBool;

use bson::{doc, Document};
use eventhub_core::{
    lab::{handlers, Progress},
    testing::{cleanup, fresh_core},
};

fn no_progress(_: Progress) {}

#[tokio::test]
async fn kept_bench_data_is_reused_for_the_same_size_and_seed() {
    let core = fresh_core("bench_keep").await;
    let db = format!("{}_bench_30_lab", core.info().database);
    let opts = |seed| handlers::BenchOptions {
        sizes: vec![30],
        clients: vec![1],
        ops: 2,
        warmup: 1,
        seed,
        handlers: vec![],
    };
    let first = handlers::bench_keeping_data(&core, opts(1), &no_progress, &AtomicBool::new(false))
        .await
        .unwrap();
    assert_eq!(first.results.len(), handlers::HANDLERS.len());
    let kept = core.on_database(&db);
    let events = kept.db().collection::<Document>("events");
    let live = doc! { "title": { "$not": { "$regex": "^Bench" } } };
    assert_eq!(events.count_documents(live.clone()).await.unwrap(), 30);
    // A mark the second run must not wipe: the data is reused, not prepared again.
    kept.db()
        .collection::<Document>("marks")
        .insert_one(doc! { "kept": true })
        .await
        .unwrap();
    // The second run times only the handlers it is asked for.
    let mut only_search = opts(1);
    only_search.handlers = vec!["search_event".into()];
    let second =
        handlers::bench_keeping_data(&core, only_search, &no_progress, &AtomicBool::new(false))
            .await
            .unwrap();
    let timed: Vec<&str> = second.results.iter().map(|r| r.handler.as_str()).collect();
    assert_eq!(timed, ["search_event"]);
    let marks = kept.db().collection::<Document>("marks");
    assert_eq!(marks.count_documents(doc! {}).await.unwrap(), 1, "reused");
    assert_eq!(events.count_documents(live.clone()).await.unwrap(), 30);
    // Another seed is other data: prepared again (the database dropped and filled).
    handlers::bench_keeping_data(&core, opts(2), &no_progress, &AtomicBool::new(false))
        .await
        .unwrap();
    assert_eq!(
        marks.count_documents(doc! {}).await.unwrap(),
        0,
        "prepared again"
    );
    assert_eq!(events.count_documents(live).await.unwrap(), 30);
    kept.drop_database().await.unwrap();
    cleanup(&core).await.unwrap();
}
