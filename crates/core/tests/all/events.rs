//! Events against a real server: CRUD, versions, tombstones, validation, search, filters.

use bson::{doc, Bson, Document};
use chrono::{Duration, TimeZone, Utc};
use eventhub_core::{
    events::{self, EventInput, EventQuery, Layout, SearchMode, Sort, Status},
    testing::{cleanup, fresh_core},
    Code, Core,
};
use serde_json::json;

fn sample(title: &str) -> serde_json::Value {
    json!({
        "title": title,
        "description": "Une journée pour les organisateurs",
        "starts_at": "2027-03-01T08:00:00Z",
        "ends_at": "2027-03-01T18:00:00Z",
        "timezone": "Europe/Paris",
        "venue": { "name": "Palais des Congrès", "address": "Paris",
                   "location": { "type": "Point", "coordinates": [2.28, 48.87] } },
        "status": "published",
        "tags": ["innovation", "tech"],
        "capacity": 300,
        "speakers": [
            { "id": "ana", "name": "Anaïs Lefèvre", "title": "CTO", "bio": "", "links": ["https://example.org/ana"] },
            { "name": "Bob Smith", "title": "PM" }
        ],
        "sessions": [
            { "title": "Keynote", "abstract": "Ouverture", "starts_at": "2027-03-01T09:00:00Z",
              "ends_at": "2027-03-01T10:00:00Z", "room": "Amphi", "speaker_ids": ["ana"], "capacity": 200 }
        ],
        "seating": [
            { "room": "Amphi", "layout": { "kind": "grid", "rows": 10, "seats_per_row": 20 }, "blocked": ["a1", "J20"] }
        ],
        "custom": { "budget_eur": 12000, "traiteur": "Vatel", "pmr": true, "navettes": ["8h10", "8h40"] }
    })
}

fn input(title: &str) -> EventInput {
    events::input_from_json(sample(title)).expect("valid sample")
}

async fn raw(core: &Core, id: &str) -> Document {
    core.db()
        .collection::<Document>("events")
        .find_one(doc! { "_id": id })
        .await
        .unwrap()
        .expect("document exists")
}

#[tokio::test]
async fn create_and_read_back_everything() {
    let core = fresh_core("create_read").await;
    let created = events::create(&core, input("Journée Innovation"))
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.input.speakers.len(), 2);
    assert!(
        !created.input.speakers[1].id.is_empty(),
        "speaker ids are generated"
    );
    assert!(!created.input.seating[0].id.is_empty());
    assert_eq!(
        created.input.seating[0].blocked,
        ["A1", "J20"],
        "labels are normalised"
    );

    let got = events::get(&core, &created.id).await.unwrap();
    assert_eq!(got, created);
    assert_eq!(got.input.custom["budget_eur"], json!(12000));
    assert_eq!(got.input.custom["navettes"], json!(["8h10", "8h40"]));

    // Stored as real BSON dates (so range queries and $dateTrunc work), custom fields as a
    // queryable sub-document.
    let d = raw(&core, &created.id).await;
    assert!(matches!(d.get("starts_at"), Some(Bson::DateTime(_))));
    assert!(matches!(
        d.get_array("sessions").unwrap()[0]
            .as_document()
            .unwrap()
            .get("ends_at"),
        Some(Bson::DateTime(_))
    ));
    let by_custom = core
        .db()
        .collection::<Document>("events")
        .count_documents(doc! { "custom.budget_eur": { "$gt": 10000 } })
        .await
        .unwrap();
    assert_eq!(by_custom, 1);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn invalid_input_names_the_field_and_writes_nothing() {
    let core = fresh_core("invalid").await;
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (
            {
                let mut v = sample("x");
                v["title"] = json!("  ");
                v
            },
            "title",
        ),
        (
            {
                let mut v = sample("x");
                v["ends_at"] = json!("2027-03-01T07:00:00Z");
                v
            },
            "ends_at",
        ),
        (
            {
                let mut v = sample("x");
                v["starts_at"] = json!("demain");
                v
            },
            "starts_at",
        ),
        (
            {
                let mut v = sample("x");
                v["timezone"] = json!("Mars/Olympus");
                v
            },
            "timezone",
        ),
        (
            {
                let mut v = sample("x");
                v["sessions"][0]["starts_at"] = json!("2027-02-28T09:00:00Z");
                v
            },
            "sessions[0].starts_at",
        ),
        (
            {
                let mut v = sample("x");
                v["sessions"][0]["ends_at"] = json!("2027-03-02T09:00:00Z");
                v
            },
            "sessions[0].ends_at",
        ),
        (
            {
                let mut v = sample("x");
                v["sessions"][0]["speaker_ids"] = json!(["ghost"]);
                v
            },
            "sessions[0].speaker_ids[0]",
        ),
        (
            {
                let mut v = sample("x");
                v["seating"][0]["layout"]["rows"] = json!(0);
                v
            },
            "seating[0].layout.rows",
        ),
        (
            {
                let mut v = sample("x");
                v["seating"][0]["layout"]["seats_per_row"] = json!(5000);
                v
            },
            "seating[0].layout.seats_per_row",
        ),
        (
            {
                let mut v = sample("x");
                v["seating"][0]["blocked"] = json!(["Z99"]);
                v
            },
            "seating[0].blocked[0]",
        ),
        (
            {
                let mut v = sample("x");
                v["speakers"][0]["links"] = json!(["pas une url"]);
                v
            },
            "speakers[0].links[0]",
        ),
        (
            {
                let mut v = sample("x");
                v["capacity"] = json!("beaucoup");
                v
            },
            "capacity",
        ),
        (
            {
                let mut v = sample("x");
                v["capacity"] = json!(0);
                v
            },
            "capacity",
        ),
        (
            {
                let mut v = sample("x");
                v["tags"] = json!("tech");
                v
            },
            "tags",
        ),
        (
            {
                let mut v = sample("x");
                v["custom"]["a.b"] = json!(1);
                v
            },
            "custom.a.b",
        ),
        (
            {
                let mut v = sample("x");
                v["custom"]["nested"] = json!({"x": 1});
                v
            },
            "custom.nested",
        ),
        (
            {
                let mut v = sample("x");
                v["titel"] = json!("typo");
                v
            },
            "titel",
        ),
        (
            {
                let mut v = sample("x");
                v["venue"]["location"]["coordinates"] = json!([2.0, 95.0]);
                v
            },
            "venue.location.coordinates[1]",
        ),
    ];
    for (value, field) in cases {
        let err = match events::input_from_json(value) {
            Err(e) => e,
            Ok(i) => events::create(&core, i).await.unwrap_err(),
        };
        assert_eq!(err.code, Code::Validation, "{field}: {err:?}");
        assert_eq!(err.field.as_deref(), Some(field), "{err:?}");
        assert!(err.message.starts_with(field), "{}", err.message);
    }
    let n = core
        .db()
        .collection::<Document>("events")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing may be written by a refused input");
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn the_database_refuses_what_the_app_would_refuse() {
    let core = fresh_core("validator").await;
    let err = core
        .db()
        .collection::<Document>("events")
        .insert_one(doc! { "_id": "x", "title": "" })
        .await
        .unwrap_err();
    let err = eventhub_core::Error::from(err);
    assert_eq!(err.code, Code::Validation, "{err:?}");
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn a_stale_update_is_a_conflict_not_an_overwrite() {
    let core = fresh_core("conflict").await;
    let e = events::create(&core, input("Séminaire")).await.unwrap();
    let alice = core.with_actor("alice@laptop");
    let bob = core.with_actor("bob@laptop");

    let mut a = e.input.clone();
    a.title = "Séminaire (Alice)".into();
    let saved = events::update(&alice, &e.id, e.version, a).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.updated_by, "alice@laptop");

    let mut b = e.input.clone();
    b.title = "Séminaire (Bob)".into();
    let err = events::update(&bob, &e.id, e.version, b).await.unwrap_err();
    assert_eq!(err.code, Code::Conflict);
    assert!(err.message.contains("alice@laptop"), "{}", err.message);
    assert_eq!(
        events::get(&core, &e.id).await.unwrap().input.title,
        "Séminaire (Alice)"
    );

    // Removing an optional field really removes it.
    let mut c = saved.input.clone();
    c.capacity = None;
    let v3 = events::update(&core, &e.id, 2, c).await.unwrap();
    assert_eq!(v3.input.capacity, None);
    assert!(raw(&core, &e.id).await.get("capacity").is_none());

    let err = events::update(&core, "nope", 1, input("x"))
        .await
        .unwrap_err();
    assert_eq!(err.code, Code::NotFound);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn delete_leaves_a_tombstone_hidden_everywhere() {
    let core = fresh_core("delete").await;
    let e = events::create(&core, input("Gala")).await.unwrap();
    let err = events::delete(&core, &e.id, Some(7)).await.unwrap_err();
    assert_eq!(err.code, Code::Conflict);
    events::delete(&core, &e.id, Some(1)).await.unwrap();
    assert_eq!(
        events::get(&core, &e.id).await.unwrap_err().code,
        Code::NotFound
    );
    let page = events::list(&core, &EventQuery::default()).await.unwrap();
    assert_eq!((page.total, page.more), (Some(0), false));
    let n = events::count(&core, &EventQuery::default()).await.unwrap();
    assert_eq!(
        (n.total, n.capped),
        (0, false),
        "a tombstone is not counted"
    );
    let d = raw(&core, &e.id).await;
    assert!(matches!(d.get("deleted_at"), Some(Bson::DateTime(_))));
    assert_eq!(
        d.get_i64("version").unwrap(),
        2,
        "the deletion is a new version, for sync"
    );
    assert_eq!(
        events::delete(&core, &e.id, None).await.unwrap_err().code,
        Code::NotFound
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn duplicate_copies_details_as_a_new_draft() {
    let core = fresh_core("duplicate").await;
    let e = events::create(&core, input("Dev Day")).await.unwrap();
    let d = events::duplicate(&core, &e.id, None).await.unwrap();
    assert_ne!(d.id, e.id);
    assert_eq!(d.input.title, "Dev Day (2)");
    assert_eq!(d.input.status, Status::Draft);
    assert_eq!(d.input.sessions, e.input.sessions);
    assert_eq!(d.input.custom, e.input.custom);
    let named = events::duplicate(&core, &e.id, Some("Dev Day Lyon".into()))
        .await
        .unwrap();
    assert_eq!(named.input.title, "Dev Day Lyon");
    cleanup(&core).await.unwrap();
}

fn at(day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 5, day, 8, 0, 0).unwrap()
}

async fn make(
    core: &Core,
    title: &str,
    day: u32,
    status: Status,
    tags: &[&str],
    venue: &str,
    speaker: &str,
) {
    let mut i = input(title);
    i.starts_at = at(day);
    i.ends_at = at(day) + Duration::hours(9);
    i.sessions.clear();
    i.status = status;
    i.tags = tags.iter().map(|t| t.to_string()).collect();
    i.venue.name = venue.into();
    i.description = String::new();
    i.speakers.truncate(1);
    i.speakers[0].name = speaker.into();
    events::create(core, i).await.unwrap();
}

async fn titles(core: &Core, q: EventQuery) -> Vec<String> {
    events::list(core, &q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.title)
        .collect()
}

fn words(q: &str) -> EventQuery {
    EventQuery {
        q: Some(q.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn search_ignores_accents_and_case_and_filters_combine() {
    let core = fresh_core("search").await;
    make(
        &core,
        "Événement Été",
        3,
        Status::Published,
        &["fête"],
        "Théâtre du Châtelet",
        "Zoé Ñúñez",
    )
    .await;
    make(
        &core,
        "Evening Meetup",
        4,
        Status::Draft,
        &["tech"],
        "Station F",
        "Anaïs",
    )
    .await;
    make(
        &core,
        "Forum Emploi",
        10,
        Status::Published,
        &["tech", "emploi"],
        "Cité des Congrès",
        "Paul",
    )
    .await;
    make(
        &core,
        "Atelier cuisine",
        20,
        Status::Cancelled,
        &["food"],
        "Théâtre de la Ville",
        "Chloé",
    )
    .await;

    assert_eq!(titles(&core, words("evenement")).await, ["Événement Été"]);
    assert_eq!(titles(&core, words("ÉVÉNEMENT")).await, ["Événement Été"]);
    assert_eq!(
        titles(&core, words("even")).await,
        ["Événement Été", "Evening Meetup"]
    );
    assert_eq!(
        titles(&core, words("even ete")).await,
        ["Événement Été"],
        "all words must match"
    );
    assert_eq!(
        titles(&core, words("nunez")).await,
        ["Événement Été"],
        "speaker names are searched"
    );
    assert_eq!(
        titles(&core, words("fete")).await,
        ["Événement Été"],
        "tags are searched"
    );
    assert_eq!(
        titles(&core, words("chatelet")).await,
        ["Événement Été"],
        "venues are searched"
    );
    assert_eq!(
        titles(&core, words("(.* evenement")).await,
        ["Événement Été"],
        "punctuation is not a regex"
    );

    let q = |f: fn(&mut EventQuery)| {
        let mut q = EventQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(
        titles(&core, q(|q| q.status = Some(Status::Published))).await,
        ["Événement Été", "Forum Emploi"]
    );
    assert_eq!(
        titles(&core, q(|q| q.tag = Some("tech".into()))).await,
        ["Evening Meetup", "Forum Emploi"]
    );
    assert_eq!(
        titles(&core, q(|q| q.venue = Some("theatre".into()))).await,
        ["Événement Été", "Atelier cuisine"]
    );
    assert_eq!(
        titles(
            &core,
            q(|q| {
                q.from = Some(at(4));
                q.to = Some(at(15));
            })
        )
        .await,
        ["Evening Meetup", "Forum Emploi"]
    );
    assert_eq!(
        titles(
            &core,
            q(|q| {
                q.tag = Some("tech".into());
                q.status = Some(Status::Published);
            })
        )
        .await,
        ["Forum Emploi"]
    );
    // French-style title order: É sorts with E.
    assert_eq!(
        titles(&core, q(|q| q.sort = Sort::Title)).await,
        [
            "Atelier cuisine",
            "Événement Été",
            "Evening Meetup",
            "Forum Emploi"
        ]
    );
    assert_eq!(
        titles(&core, q(|q| q.sort = Sort::StartsAtDesc)).await,
        [
            "Atelier cuisine",
            "Forum Emploi",
            "Evening Meetup",
            "Événement Été"
        ]
    );

    let page2 = events::list(
        &core,
        &EventQuery {
            per_page: 3,
            page: 2,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // The last page says how many match, without a count.
    assert_eq!((page2.total, page2.more), (Some(4), false));
    assert_eq!(page2.items.len(), 1);
    assert_eq!(page2.items[0].title, "Atelier cuisine");
    assert_eq!(page2.items[0].speakers, 1);

    let tags = events::tags(&core).await.unwrap();
    assert_eq!(tags, ["emploi", "fête", "food", "tech"]);
    let counts = events::status_counts(&core).await.unwrap();
    assert!(counts.contains(&(Status::Published, 2)));
    assert!(counts.contains(&(Status::Archived, 0)));
    cleanup(&core).await.unwrap();
}

/// Find the stages of the winning plan, wherever the server nests them.
fn stages(plan: &Bson, out: &mut Vec<String>) {
    match plan {
        Bson::Document(d) => {
            if let Ok(s) = d.get_str("stage") {
                out.push(s.to_owned());
            }
            for (_, v) in d {
                stages(v, out);
            }
        }
        Bson::Array(a) => a.iter().for_each(|v| stages(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn word_search_is_an_index_scan_not_a_collection_scan() {
    let core = fresh_core("explain").await;
    let docs: Vec<EventInput> = (0..300)
        .map(|i| {
            let mut e = input(&format!("Conférence numéro {i}"));
            e.sessions.clear();
            if i == 150 {
                e.title = "Événement unique".into();
            }
            e
        })
        .collect();
    for e in docs {
        events::create(&core, e).await.unwrap();
    }
    let q = words("evenement uniq");
    let explain = events::explain_list(&core, &q, SearchMode::Terms)
        .await
        .unwrap();
    let winning = explain
        .get_document("queryPlanner")
        .and_then(|p| p.get_document("winningPlan"))
        .expect("explain has queryPlanner.winningPlan");
    let mut s = vec![];
    stages(&Bson::Document(winning.clone()), &mut s);
    assert!(s.iter().any(|x| x == "IXSCAN"), "stages: {s:?}");
    assert!(!s.iter().any(|x| x == "COLLSCAN"), "stages: {s:?}");
    let stats = explain.get_document("executionStats").unwrap();
    let examined = stats
        .get("totalDocsExamined")
        .and_then(Bson::as_i64)
        .or_else(|| {
            stats
                .get("totalDocsExamined")
                .and_then(Bson::as_i32)
                .map(i64::from)
        })
        .unwrap();
    assert!(examined < 10, "examined {examined} documents for one match");
    assert_eq!(titles(&core, q).await, ["Événement unique"]);

    // Filtered lists come back in index order: no in-memory SORT stage.
    for q in [
        EventQuery {
            status: Some(Status::Published),
            ..Default::default()
        },
        EventQuery {
            tag: Some("tech".into()),
            ..Default::default()
        },
        EventQuery {
            sort: Sort::Title,
            ..Default::default()
        },
        EventQuery {
            sort: Sort::UpdatedAt,
            ..Default::default()
        },
    ] {
        let explain = events::explain_list(&core, &q, SearchMode::Terms)
            .await
            .unwrap();
        let s = winning_stages(&explain);
        assert!(s.iter().any(|x| x == "IXSCAN"), "{q:?}: {s:?}");
        assert!(
            !s.iter().any(|x| x == "SORT" || x == "COLLSCAN"),
            "{q:?}: {s:?}"
        );
    }
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn schema_setup_is_idempotent_and_capabilities_are_measured() {
    let core = fresh_core("idempotent").await;
    core.ensure_schema().await.unwrap();
    core.ensure_schema().await.unwrap();
    let names: Vec<String> = core
        .db()
        .collection::<Document>("events")
        .list_index_names()
        .await
        .unwrap();
    for n in [
        "search_starts_at_id",
        "search_title_key_id",
        "search_updated_at_id",
        "status_starts_at_id",
        "tags_starts_at_id",
        "venue_location_2dsphere",
    ] {
        assert!(names.iter().any(|x| x == n), "{n} missing from {names:?}");
    }
    // An index of an earlier version is dropped at the next start.
    core.db()
        .collection::<Document>("events")
        .create_index(
            mongodb::IndexModel::builder()
                .keys(doc! { "status": 1, "starts_at": 1 })
                .options(
                    mongodb::options::IndexOptions::builder()
                        .name("status_starts_at".to_owned())
                        .build(),
                )
                .build(),
        )
        .await
        .unwrap();
    core.ensure_schema().await.unwrap();
    let names = core
        .db()
        .collection::<Document>("events")
        .list_index_names()
        .await
        .unwrap();
    assert!(!names.iter().any(|x| x == "status_starts_at"), "{names:?}");
    // Capabilities come from the server; word search is the same whatever they are: no
    // `$text` index is made, on any server.
    let info = core.info();
    assert!(!names.iter().any(|x| x == "events_text"), "{names:?}");
    assert!(!names.iter().any(|x| x == "search_terms"), "{names:?}");
    assert_eq!(
        info.missing.iter().any(|m| m == "$text"),
        !info.capabilities.text_search
    );
    assert!(!info.version.is_empty());
    let page = events::list(&core, &words("x")).await.unwrap();
    assert_eq!(page.search_mode.as_deref(), Some("terms"));
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn seating_layouts_round_trip() {
    let core = fresh_core("seating").await;
    let mut i = input("Gala");
    i.seating[0].layout = Layout::Tables {
        tables: 12,
        seats_per_table: 10,
    };
    i.seating[0].blocked = vec!["t1-1".into()];
    let e = events::create(&core, i).await.unwrap();
    let got = events::get(&core, &e.id).await.unwrap();
    assert_eq!(
        got.input.seating[0].layout,
        Layout::Tables {
            tables: 12,
            seats_per_table: 10
        }
    );
    assert_eq!(got.input.seating[0].capacity(), 119);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn demo_seed_is_bilingual_and_not_duplicated() {
    let core = fresh_core("seed").await;
    let n = eventhub_core::seed::demo(&core).await.unwrap();
    assert!(n >= 6);
    assert_eq!(
        eventhub_core::seed::demo(&core).await.unwrap(),
        0,
        "seeding twice adds nothing"
    );
    assert!(!titles(&core, words("journee")).await.is_empty(), "French");
    assert!(!titles(&core, words("launch")).await.is_empty(), "English");
    cleanup(&core).await.unwrap();
}

fn stat(explain: &Document, key: &str) -> i64 {
    let stats = explain.get_document("executionStats").unwrap();
    match stats.get(key) {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(n)) => *n as i64,
        other => panic!("{key}: {other:?}"),
    }
}

fn winning_plan(explain: &Document) -> &Document {
    explain
        .get_document("queryPlanner")
        .unwrap()
        .get_document("winningPlan")
        .unwrap()
}

fn winning_stages(explain: &Document) -> Vec<String> {
    let mut s = vec![];
    stages(&Bson::Document(winning_plan(explain).clone()), &mut s);
    s
}

/// One semantics: folded word prefixes over the title, description, speakers (names and
/// titles), sessions, tags and venue; every word must match; tombstones never match.
#[tokio::test]
async fn search_matches_word_prefixes_everywhere_and_nothing_else() {
    let core = fresh_core("search_prefix").await;
    let mut a = input("Rencontres Cloud");
    a.sessions[0].title = "Atelier Kubernetes avancé".into();
    a.description = "Infrastructure-as-code pour débutant·es".into();
    let a = events::create(&core, a).await.unwrap();
    let mut b = input("Forum Données");
    b.sessions[0].title = "Table ronde".into();
    b.speakers[0].title = "Directrice Cybersécurité".into();
    b.tags = vec!["santé".into()];
    b.venue.name = "Halle Tony-Garnier".into();
    let b = events::create(&core, b).await.unwrap();
    let mut long = input("Anticonstitutionnellement parlant");
    long.sessions.clear();
    let long = events::create(&core, long).await.unwrap();

    assert_eq!(
        titles(&core, words("kube")).await,
        ["Rencontres Cloud"],
        "sessions"
    );
    assert_eq!(titles(&core, words("AVANCÉ")).await, ["Rencontres Cloud"]);
    assert_eq!(
        titles(&core, words("debut")).await,
        ["Rencontres Cloud"],
        "description"
    );
    assert_eq!(
        titles(&core, words("cyber")).await,
        ["Forum Données"],
        "speaker titles"
    );
    assert_eq!(
        titles(&core, words("sante")).await,
        ["Forum Données"],
        "tags"
    );
    assert_eq!(
        titles(&core, words("garn")).await,
        ["Forum Données"],
        "venue"
    );
    assert_eq!(
        titles(&core, words("donnees forum")).await,
        ["Forum Données"]
    );
    assert!(
        titles(&core, words("donnees cloud")).await.is_empty(),
        "every word"
    );
    // Prefixes only: the middle of a word is not a match.
    assert!(titles(&core, words("netes")).await.is_empty());
    // Longer than the stored prefixes: the whole word is still checked.
    assert_eq!(
        titles(&core, words("anticonstitutionnel")).await,
        ["Anticonstitutionnellement parlant"]
    );
    assert!(titles(&core, words("anticonstitutionnelXment"))
        .await
        .is_empty());
    assert_eq!(
        titles(&core, words("anticonstitutionnellement")).await,
        ["Anticonstitutionnellement parlant"]
    );
    // Hostile input: regex syntax and operators are plain text.
    assert_eq!(titles(&core, words("cloud.*")).await, ["Rencontres Cloud"]);
    assert!(titles(&core, words("{\"$ne\": 1}")).await.is_empty());
    assert_eq!(
        titles(&core, words(".*")).await.len(),
        3,
        "no word: no word filter"
    );
    assert_eq!(
        titles(&core, words("   ")).await.len(),
        3,
        "blank: no word filter"
    );

    // A renamed event is found by its new words only; a deleted one by none.
    let mut edit = b.input.clone();
    edit.title = "Salon Énergie".into();
    events::update(&core, &b.id, b.version, edit).await.unwrap();
    assert!(titles(&core, words("forum")).await.is_empty());
    assert_eq!(titles(&core, words("energ")).await, ["Salon Énergie"]);
    events::delete(&core, &a.id, None).await.unwrap();
    assert!(titles(&core, words("kube")).await.is_empty());
    let stored = raw(&core, &a.id).await;
    assert!(
        stored.get_array("search_keys").unwrap().is_empty(),
        "tombstones carry no keys"
    );
    let stored = raw(&core, &long.id).await;
    let keys = stored.get_array("search_keys").unwrap();
    assert!(keys
        .iter()
        .all(|k| k.as_str().unwrap().chars().count() <= events::PREFIX_MAX));
    assert!(keys.contains(&Bson::String("anticonstitution".into())));

    // Events stored before the prefix keys get them at the next start (new version).
    core.db()
        .collection::<Document>("events")
        .update_one(
            doc! { "_id": &long.id },
            doc! { "$unset": { "search_keys": "" } },
        )
        .await
        .unwrap();
    assert!(titles(&core, words("parlant")).await.is_empty());
    core.ensure_schema().await.unwrap();
    assert_eq!(
        titles(&core, words("parlant")).await,
        ["Anticonstitutionnellement parlant"]
    );
    assert_eq!(raw(&core, &long.id).await.get_i64("version").unwrap(), 2);
    cleanup(&core).await.unwrap();
}

/// A common word: the page is read in index order (no in-memory SORT) and the scan stops at
/// the page; the count stops at the cap and says so.
#[tokio::test]
async fn search_reads_the_page_in_index_order_and_caps_the_count() {
    let core = fresh_core("search_scale").await;
    let n = events::TOTAL_CAP as usize + 30;
    let mut tasks = vec![];
    for i in 0..n {
        let mut e = input(&format!("Cloud Summit {i}"));
        e.sessions.clear();
        e.speakers.clear();
        e.seating.clear();
        e.starts_at = at(1) + Duration::minutes(i as i64);
        e.ends_at = e.starts_at + Duration::hours(2);
        if i % 100 == 7 {
            e.title = format!("Kubernetes Day {i}");
        }
        tasks.push(events::create(&core, e));
        if tasks.len() == 50 {
            for r in futures_util::future::join_all(std::mem::take(&mut tasks)).await {
                r.unwrap();
            }
        }
    }
    for r in futures_util::future::join_all(tasks).await {
        r.unwrap();
    }
    let common = events::list(&core, &words("summ")).await.unwrap();
    assert_eq!(common.items.len(), 25);
    // A full page does not count: it says a next page exists, and the count is capped.
    assert_eq!((common.total, common.more), (None, true));
    let counted = events::count(&core, &words("summ")).await.unwrap();
    assert_eq!((counted.total, counted.capped), (events::TOTAL_CAP, true));
    assert_eq!(common.items[0].title, "Cloud Summit 0");
    let rare = events::list(&core, &words("kubernetes")).await.unwrap();
    assert_eq!((rare.total, rare.more), (Some(11), false));
    let counted = events::count(&core, &words("kubernetes")).await.unwrap();
    assert_eq!((counted.total, counted.capped), (11, false));
    let page2 = events::list(
        &core,
        &EventQuery {
            q: Some("kube".into()),
            per_page: 5,
            page: 2,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (page2.total, page2.more, page2.items.len()),
        (None, true, 5)
    );
    assert_eq!(page2.items[0].title, "Kubernetes Day 507");
    let page3 = events::list(
        &core,
        &EventQuery {
            q: Some("kube".into()),
            per_page: 5,
            page: 3,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (page3.total, page3.more, page3.items.len()),
        (Some(11), false, 1)
    );
    // Past the last page: nothing, and no claim about the total.
    let page9 = events::list(
        &core,
        &EventQuery {
            q: Some("kube".into()),
            per_page: 5,
            page: 9,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (page9.total, page9.more, page9.items.len()),
        (None, false, 0)
    );

    for sort in [
        Sort::StartsAt,
        Sort::StartsAtDesc,
        Sort::Title,
        Sort::UpdatedAt,
    ] {
        for (word, matches) in [("summit", n - 11), ("kubernetes", 11)] {
            let q = EventQuery {
                q: Some(word.into()),
                sort,
                ..Default::default()
            };
            let ex = events::explain_list(&core, &q, SearchMode::Terms)
                .await
                .unwrap();
            let s = winning_stages(&ex);
            assert!(s.iter().any(|x| x == "IXSCAN"), "{sort:?} {word}: {s:?}");
            assert!(
                !s.iter().any(|x| x == "SORT" || x == "COLLSCAN"),
                "{sort:?} {word}: {s:?}"
            );
            // The query is not hinted: the planner itself picks the index of this order.
            let plan = winning_plan(&ex).to_string();
            assert!(
                plan.contains(&format!("\"{}\"", events::search_index(sort))),
                "{sort:?} {word}: {plan}"
            );
            let keys = stat(&ex, "totalKeysExamined");
            let docs = stat(&ex, "totalDocsExamined");
            let page = 25.min(matches) as i64;
            assert!(
                keys <= page + 2,
                "{sort:?} {word}: {keys} keys for a page of {page}"
            );
            assert!(
                docs <= page + 2,
                "{sort:?} {word}: {docs} documents for a page of {page}"
            );
        }
    }
    cleanup(&core).await.unwrap();
}
