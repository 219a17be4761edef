//! The event list read in windows of its sort key gives the page the single query gives:
//! random lists (words, status, tag, order, page, page size) on generated events with
//! ties and tombstones, compared with the page's one `find` (and the capped count with a
//! count of every match), with cuts measured on the data and with cuts left stale by
//! events added after.

use bson::{doc, Bson, Document};
use chrono::{Duration, TimeZone, Utc};
use eventhub_core::{
    events::{self, window, EventQuery, SearchMode, Sort, Status},
    lab::generate::{self, Rng},
    testing::{cleanup, fresh_core},
    Core,
};
use futures_util::TryStreamExt;

const SEED: u64 = 20_261_201;

fn date(d: chrono::DateTime<Utc>) -> Bson {
    Bson::DateTime(bson::DateTime::from_chrono(d))
}

/// Generated events `from..to`, with ties on every sort key: one event in 15 starts at the
/// same instant, one in 20 shares its title key, one in 25 its last edit.
async fn insert(core: &Core, from: u64, to: u64, shift_days: i64) {
    let tie = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let docs: Vec<Document> = (from..to)
        .map(|i| {
            let mut d = generate::event(SEED, i).unwrap();
            let s = d.get_datetime("starts_at").unwrap().to_chrono() + Duration::days(shift_days);
            let e = d.get_datetime("ends_at").unwrap().to_chrono() + Duration::days(shift_days);
            d.insert("starts_at", date(s));
            d.insert("ends_at", date(e));
            if i % 15 == 0 {
                d.insert("starts_at", date(tie));
                d.insert("ends_at", date(tie + Duration::hours(3)));
            }
            if i % 20 == 0 {
                d.insert("title_key", "atelier commun");
            }
            if i % 25 == 0 {
                d.insert("updated_at", date(tie));
            }
            d
        })
        .collect();
    // Small batches: each event carries ~130 prefix keys in three multikey indexes, and
    // the engine writes one batch in one transaction.
    for chunk in docs.chunks(50) {
        core.db()
            .collection::<Document>("events")
            .insert_many(chunk.to_vec())
            .await
            .unwrap();
    }
}

fn random_query(rng: &mut Rng) -> EventQuery {
    let words = [
        "",
        "",
        "paris",
        "lyon",
        "cloud",
        "atelier",
        "conf",
        "ia",
        "donnees lyon",
        "p",
        "marketing nantes",
        "zzz",
    ];
    let q = rng.pick(&words).to_string();
    EventQuery {
        q: (!q.is_empty()).then_some(q),
        status: match rng.below(4) {
            0 => Some(Status::Published),
            1 => Some(Status::Draft),
            _ => None,
        },
        tag: match rng.below(4) {
            0 => Some("tech".into()),
            1 => Some("data".into()),
            _ => None,
        },
        sort: *rng.pick(&[
            Sort::StartsAt,
            Sort::StartsAtDesc,
            Sort::Title,
            Sort::UpdatedAt,
        ]),
        page: 1 + rng.below(4) as u32,
        per_page: *rng.pick(&[5, 25]),
        ..Default::default()
    }
}

/// The page's ids and "more" as the single query gives them.
async fn reference(core: &Core, q: &EventQuery) -> (Vec<String>, bool) {
    let f = events::list_find(q, SearchMode::Terms);
    let per_page = if q.per_page == 0 { 25 } else { q.per_page } as usize;
    let mut ids: Vec<String> = core
        .db()
        .collection::<Document>("events")
        .find(f.filter)
        .sort(f.sort)
        .skip(f.skip)
        .limit(f.limit)
        .projection(doc! { "_id": 1 })
        .await
        .unwrap()
        .map_ok(|d| d.get_str("_id").unwrap().to_owned())
        .try_collect()
        .await
        .unwrap();
    let more = ids.len() > per_page;
    ids.truncate(per_page);
    (ids, more)
}

async fn compare(core: &Core, rng: &mut Rng, cases: usize) -> usize {
    let mut non_empty = 0;
    for case in 0..cases {
        let q = random_query(rng);
        let page = events::list(core, &q).await.unwrap();
        let got: Vec<String> = page.items.iter().map(|e| e.id.clone()).collect();
        let (want, more) = reference(core, &q).await;
        assert_eq!(got, want, "case {case}: {q:?}");
        assert_eq!(page.more, more, "case {case}: {q:?}");
        // The count, also read in windows, is the capped count of the single query.
        let counted = events::count(core, &q).await.unwrap();
        let f = events::list_find(&q, SearchMode::Terms);
        let n = core
            .db()
            .collection::<Document>("events")
            .count_documents(f.filter)
            .await
            .unwrap();
        assert_eq!(
            (counted.total, counted.capped),
            (n.min(events::TOTAL_CAP), n > events::TOTAL_CAP),
            "case {case}: {q:?}"
        );
        non_empty += usize::from(!got.is_empty());
    }
    non_empty
}

#[tokio::test]
async fn a_page_read_in_windows_is_the_page_of_the_single_query() {
    let core = fresh_core("windows").await;
    insert(&core, 0, 900, 0).await;
    let cuts = window::refresh(&core).await.unwrap();
    // 900 events minus ~2 % tombstones, a cut every 8: the lists are read in many windows.
    assert!(cuts.events > 850 && cuts.events < 900, "{}", cuts.events);
    assert_eq!(cuts.per, 8);
    assert!(cuts.starts_at.len() >= 20, "{:?}", cuts.starts_at.len());
    assert!(cuts.title_key.len() >= 20 && cuts.updated_at.len() >= 20);
    // A window is an index scan bounded on the sort key, in the list's order (no
    // in-memory sort), for words and for the plain list.
    for q in [Some("paris"), None] {
        let q = EventQuery {
            q: q.map(str::to_owned),
            ..Default::default()
        };
        let f = events::list_find(&q, SearchMode::Terms);
        let range = window::Range {
            lo: Some(cuts.starts_at[3].clone()),
            hi: Some(cuts.starts_at[5].clone()),
        };
        let explain = core
            .db()
            .run_command(doc! {
                "explain": {
                    "find": "events",
                    // Words are read through the search index, the plain list
                    // through the sort key's.
                    "filter": window::window_filter(&q, &f.filter, &range, q.q.is_some()),
                    "sort": f.sort,
                    "limit": f.limit,
                },
                "verbosity": "queryPlanner",
            })
            .await
            .unwrap();
        let plan = explain
            .get_document("queryPlanner")
            .and_then(|p| p.get_document("winningPlan"))
            .unwrap()
            .to_string();
        // The list's index or the sort key's, either giving the list's order.
        assert!(
            plan.contains("\"search_starts_at_id\"") || plan.contains("\"starts_at_id\""),
            "{plan}"
        );
        assert!(
            !plan.contains("\"SORT\"") && !plan.contains("COLLSCAN"),
            "{plan}"
        );
        // The window's dates bound the scan (an unbounded one reads `[MinKey, MaxKey]`).
        assert!(plan.contains("new Date("), "{plan}");
    }

    let mut rng = Rng::new(SEED);
    let non_empty = compare(&core, &mut rng, 120).await;
    assert!(non_empty > 50, "only {non_empty} of 120 lists had rows");

    // Events added after the cuts, before the first and after the last: the open ends of
    // the first and last windows hold them.
    insert(&core, 900, 960, -2000).await;
    insert(&core, 960, 1020, 2000).await;
    let non_empty = compare(&core, &mut rng, 60).await;
    assert!(non_empty > 20, "only {non_empty} of 60 lists had rows");
    cleanup(&core).await.unwrap();
}
