//! Social: share addresses, recorded moments, the three importers on real-shaped files
//! (reports, re-import, unknown formats, cancel), sentiment on labelled examples, the
//! analysis pipelines on known data (exact figures) and the wall.

use std::{path::PathBuf, sync::atomic::AtomicBool};

use eventhub_core::{
    events,
    participants::{self, ParticipantInput},
    social::{
        self,
        import::{self, Format, ImportOptions},
        sentiment, share, Label, MomentInput, Platform, Sharer,
    },
    testing::{cleanup, fresh_core},
    Code, Core,
};
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/social")
        .join(name)
}

async fn event(core: &Core) -> events::Event {
    events::create(
        core,
        events::input_from_json(json!({
            "title": "DevFest 2024",
            "starts_at": "2024-11-14T08:00:00Z",
            "ends_at": "2024-11-15T18:00:00Z",
            "timezone": "UTC",
            "speakers": [
                {"name": "Anaïs Lefèvre"},
                {"name": "Bob Martin"}
            ],
            "sessions": [
                {"title": "Keynote d'ouverture", "starts_at": "2024-11-14T09:00:00Z", "ends_at": "2024-11-14T10:00:00Z"},
                {"title": "Rust et WebAssembly", "starts_at": "2024-11-14T10:00:00Z", "ends_at": "2024-11-14T11:00:00Z"},
                {"title": "Clôture", "starts_at": "2024-11-15T16:00:00Z", "ends_at": "2024-11-15T17:00:00Z"}
            ]
        }))
        .unwrap(),
    )
    .await
    .unwrap()
}

async fn import_file(
    core: &Core,
    ev: &str,
    name: &str,
    opts: ImportOptions,
) -> import::ImportReport {
    import::import(
        core,
        ev,
        &fixture(name),
        &opts,
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap()
}

fn moment() -> social::Moment {
    social::Moment::new(MomentInput {
        text: "Salle comble & café: top !".into(),
        hashtags: vec!["#DevFest".into(), "IA".into(), "devfest".into()],
        link: Some("https://example.org/e?id=1&lang=fr".into()),
        photo_url: Some("https://example.org/p.jpg".into()),
    })
    .unwrap()
}

#[test]
fn share_addresses_are_percent_encoded() {
    let m = moment();
    assert_eq!(
        m.hashtags,
        vec!["DevFest", "IA"],
        "'#' stripped, duplicate dropped"
    );
    assert_eq!(
        social::share_url(&Platform::X, &m).unwrap(),
        "https://x.com/intent/post?text=Salle%20comble%20%26%20caf%C3%A9%3A%20top%20%21%0A%0A%23DevFest%20%23IA\
         &url=https%3A%2F%2Fexample.org%2Fe%3Fid%3D1%26lang%3Dfr"
    );
    assert_eq!(
        social::share_url(&Platform::Linkedin, &m).unwrap(),
        "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fexample.org%2Fe%3Fid%3D1%26lang%3Dfr"
    );
    assert_eq!(
        social::share_url(&Platform::Facebook, &m).unwrap(),
        "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fexample.org%2Fe%3Fid%3D1%26lang%3Dfr"
    );
    let masto = Platform::Mastodon {
        instance: " Mastodon.Social/ ".into(),
    };
    assert_eq!(
        social::share_url(&masto, &m).unwrap(),
        "https://mastodon.social/share?text=Salle%20comble%20%26%20caf%C3%A9%3A%20top%20%21%0A%0A%23DevFest%20%23IA\
         %0A%0Ahttps%3A%2F%2Fexample.org%2Fe%3Fid%3D1%26lang%3Dfr"
    );
    assert_eq!(
        social::compose_text(&m),
        "Salle comble & café: top !\n\n#DevFest #IA\n\nhttps://example.org/e?id=1&lang=fr\n\nhttps://example.org/p.jpg"
    );
    assert_eq!(
        social::share_url(&Platform::Copy, &m)
            .unwrap_err()
            .field
            .as_deref(),
        Some("platform")
    );
}

#[test]
fn bad_moments_and_instances_are_refused_with_the_field() {
    for bad in [
        "evil.com/path",
        "localhost",
        "user@host.org",
        "host.org:8080",
        "-a.org",
        "a..org",
        "127.0.0.1",
        "",
    ] {
        let e = share::normalise_instance(bad).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("instance"), "{bad}");
    }
    assert_eq!(
        share::normalise_instance("https://Piaille.FR").unwrap(),
        "piaille.fr"
    );
    let no_link = social::Moment::new(MomentInput {
        text: "hello".into(),
        ..Default::default()
    })
    .unwrap();
    let e = social::share_url(&Platform::Linkedin, &no_link).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("link"));
    let cases = [
        (MomentInput::default(), "text"),
        (
            MomentInput {
                text: "x".into(),
                hashtags: vec!["bad tag".into()],
                ..Default::default()
            },
            "hashtags[0]",
        ),
        (
            MomentInput {
                text: "x".into(),
                link: Some("javascript:alert(1)".into()),
                ..Default::default()
            },
            "link",
        ),
        (
            MomentInput {
                text: "x".into(),
                photo_url: Some("ftp://a/b.jpg".into()),
                ..Default::default()
            },
            "photo_url",
        ),
        (
            MomentInput {
                text: "é".repeat(share::MAX_TEXT + 1),
                ..Default::default()
            },
            "text",
        ),
    ];
    for (input, field) in cases {
        let e = social::Moment::new(input).unwrap_err();
        assert_eq!(e.code, Code::Validation);
        assert_eq!(e.field.as_deref(), Some(field));
    }
}

#[tokio::test]
async fn shared_moments_are_recorded_and_listed() {
    let core = fresh_core("social_moments").await;
    let ev = event(&core).await;
    let p = participants::create(
        &core,
        &ev.id,
        ParticipantInput {
            name: "Zoé".into(),
            email: "zoe@example.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let input = MomentInput {
        text: "On y est !".into(),
        hashtags: vec!["DevFest".into()],
        link: Some("https://example.org".into()),
        photo_url: None,
    };
    let a = social::record_share(
        &core,
        &ev.id,
        Sharer::Organiser,
        &Platform::X,
        input.clone(),
    )
    .await
    .unwrap();
    assert!(a
        .url
        .as_deref()
        .unwrap()
        .starts_with("https://x.com/intent/post?text="));
    let b = social::record_share(
        &core,
        &ev.id,
        Sharer::Participant {
            participant_id: p.id.clone(),
        },
        &Platform::Mastodon {
            instance: "piaille.fr".into(),
        },
        input.clone(),
    )
    .await
    .unwrap();
    assert_eq!(b.instance.as_deref(), Some("piaille.fr"));
    let c = social::record_share(
        &core,
        &ev.id,
        Sharer::Organiser,
        &Platform::Copy,
        input.clone(),
    )
    .await
    .unwrap();
    assert_eq!(c.url, None);
    let list = social::list_moments(&core, &ev.id).await.unwrap();
    assert_eq!(
        list.iter().map(|m| m.platform.as_str()).collect::<Vec<_>>(),
        ["copy", "mastodon", "x"],
        "newest first"
    );
    assert_eq!(
        list[1].by,
        Sharer::Participant {
            participant_id: p.id
        }
    );
    assert_eq!(list[2].moment.hashtags, ["DevFest"]);
    // Someone who is not a participant of the event, and an unknown event.
    let e = social::record_share(
        &core,
        &ev.id,
        Sharer::Participant {
            participant_id: "nobody".into(),
        },
        &Platform::X,
        input.clone(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("by.participant_id"));
    let e = social::record_share(&core, "no-event", Sharer::Organiser, &Platform::X, input)
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    assert_eq!(social::list_moments(&core, &ev.id).await.unwrap().len(), 3);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn x_archive_imports_with_a_report_and_reimports_nothing() {
    let core = fresh_core("social_x").await;
    let ev = event(&core).await;
    let opts = ImportOptions {
        author: Some("@organiser".into()),
        ..Default::default()
    };
    let r = import_file(&core, &ev.id, "tweets.js", opts.clone()).await;
    assert_eq!(r.format, Format::X);
    assert_eq!(r.record_unit, "item");
    assert_eq!((r.records, r.imported, r.rejected), (5, 3, 2), "{r:?}");
    assert_eq!(r.errors[0].record, 3);
    assert_eq!(r.errors[0].id, "1050140000000000001");
    assert_eq!(r.errors[0].reason, "missing created_at");
    assert_eq!(r.errors[1].record, 4);
    assert!(
        r.errors[1].reason.contains("favorite_count"),
        "{:?}",
        r.errors[1]
    );
    let wall = social::wall(&core, &ev.id, 10).await.unwrap();
    assert_eq!(wall.len(), 3);
    let first = wall
        .iter()
        .find(|p| p.external_id == "1050118621198921728")
        .unwrap();
    assert_eq!(first.author, "organiser");
    assert_eq!((first.likes, first.shares), (12, 3));
    assert_eq!(first.hashtags, ["devfest"]);
    assert_eq!(first.mentions, ["anais_lf"]);
    assert_eq!(first.posted_at.to_rfc3339(), "2018-10-10T20:19:24+00:00");
    assert!(
        first.text.contains("bravo ! & merci"),
        "entities decoded: {}",
        first.text
    );
    assert_eq!(first.sentiment, Label::Positive);
    assert_eq!(
        first.url.as_deref(),
        Some("https://x.com/organiser/status/1050118621198921728")
    );
    let second = wall
        .iter()
        .find(|p| p.external_id == "1050131234567890123")
        .unwrap();
    assert_eq!(second.sentiment, Label::Negative, "'not good', crowded");
    assert_eq!(second.hashtags, ["devfest", "rust"]);

    let again = import_file(&core, &ev.id, "tweets.js", opts).await;
    assert_eq!((again.imported, again.already_present), (0, 3));
    assert_eq!(social::wall(&core, &ev.id, 10).await.unwrap().len(), 3);
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn mastodon_json_and_csv_import_with_reports() {
    let core = fresh_core("social_masto_csv").await;
    let ev = event(&core).await;
    let r = import_file(&core, &ev.id, "mastodon.json", ImportOptions::default()).await;
    assert_eq!(r.format, Format::Mastodon);
    assert_eq!((r.records, r.imported, r.rejected), (4, 2, 2), "{r:?}");
    assert_eq!(
        r.errors
            .iter()
            .map(|e| (e.record, e.reason.as_str()))
            .collect::<Vec<_>>(),
        [
            (3, "missing account.acct"),
            (4, "created_at: 'yesterday' is not a date")
        ]
    );
    let posts = social::wall(&core, &ev.id, 10).await.unwrap();
    assert_eq!(posts[0].external_id, "113456789012345679", "newest first");
    assert_eq!(
        posts[0].text,
        "Journée géniale au #DevFest ! Merci @anais & l'équipe"
    );
    assert_eq!(posts[0].author, "camille");
    assert_eq!(
        (posts[0].likes, posts[0].shares, posts[0].replies),
        (10, 4, 2)
    );
    assert_eq!(posts[0].mentions, ["anais@piaille.fr"]);
    assert_eq!(posts[0].sentiment, Label::Positive);
    assert_eq!(posts[1].author, "dev@fosstodon.org");
    assert_eq!(posts[1].sentiment, Label::Negative);
    assert!(posts[1].text.contains("late\nHope"), "<br> is a line break");

    let r = import_file(&core, &ev.id, "posts.csv", ImportOptions::default()).await;
    assert_eq!(r.format, Format::Csv);
    assert_eq!(r.record_unit, "line");
    assert_eq!((r.records, r.imported, r.rejected), (6, 2, 4), "{r:?}");
    assert_eq!(
        r.errors
            .iter()
            .map(|e| (e.record, e.reason.as_str()))
            .collect::<Vec<_>>(),
        [
            (4, "missing author"),
            (5, "missing date"),
            (6, "likes: 'beaucoup' is not a count"),
            (7, "duplicate in file: same post as line 2"),
        ]
    );
    let again = import_file(&core, &ev.id, "posts.csv", ImportOptions::default()).await;
    assert_eq!(
        (again.imported, again.already_present),
        (0, 2),
        "stable ids"
    );
    let all = social::wall(&core, &ev.id, 50).await.unwrap();
    assert_eq!(all.len(), 4);
    let bob = all.iter().find(|p| p.author == "bob").unwrap();
    assert_eq!(bob.text, "Pas bon du tout; trop long #DevFest");
    assert_eq!(bob.posted_at.to_rfc3339(), "2024-11-14T11:20:00+00:00");
    assert_eq!((bob.likes, bob.replies), (2, 3));
    assert_eq!(bob.platform, "csv");
    assert_eq!(bob.external_id.len(), 24);
    assert_eq!(bob.sentiment, Label::Negative);

    // Tab-separated, no BOM, forced format.
    let tsv = "author\ttext\tdate\nzoe\tBravo #DevFest\t2024-11-14 18:00\n";
    let r = import::import_bytes(
        &core,
        &ev.id,
        "export.tsv",
        tsv.as_bytes(),
        &ImportOptions {
            format: Format::Csv,
            author: None,
        },
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert_eq!(r.imported, 1);
    assert_eq!(
        social::wall(&core, &ev.id, 1).await.unwrap()[0].author,
        "zoe"
    );
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn files_of_no_known_format_get_a_clear_error() {
    let core = fresh_core("social_unknown").await;
    let ev = event(&core).await;
    let run = |name: &'static str, bytes: Vec<u8>| {
        let core = core.clone();
        let id = ev.id.clone();
        async move {
            import::import_bytes(
                &core,
                &id,
                name,
                &bytes,
                &ImportOptions::default(),
                &|_| {},
                &AtomicBool::new(false),
            )
            .await
            .unwrap_err()
        }
    };
    let e = run(
        "not_social.tsv",
        std::fs::read(fixture("not_social.tsv")).unwrap(),
    )
    .await;
    assert_eq!(e.field.as_deref(), Some("file"));
    assert!(
        e.message.contains("not_social.tsv") && e.message.contains("not an X archive"),
        "{e}"
    );
    let e = run("x.json", br#"[{"foo": 1}]"#.to_vec()).await;
    assert!(e.message.contains("neither an X archive"), "{e}");
    let e = run(
        "broken.js",
        b"window.YTD.tweets.part0 = [ {\"tweet\": { ".to_vec(),
    )
    .await;
    assert!(
        e.message.contains("broken.js: invalid JSON at line 1"),
        "{e}"
    );
    let e = run("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()).await;
    assert!(e.message.contains("photo.png"), "{e}");
    let e = run("empty.json", b"[]".to_vec()).await;
    assert!(e.message.contains("no posts"), "{e}");
    assert!(social::wall(&core, &ev.id, 10).await.unwrap().is_empty());
    cleanup(&core).await.unwrap();
}

#[tokio::test]
async fn a_cancelled_import_keeps_nothing() {
    let core = fresh_core("social_cancel").await;
    let ev = event(&core).await;
    let mut csv = String::from("author,text,date\n");
    for i in 0..2500 {
        csv.push_str(&format!("user{i},post number {i},2024-11-14T10:00:00Z\n"));
    }
    let cancel = AtomicBool::new(false);
    let phases = std::sync::Mutex::new(vec![]);
    let r = import::import_bytes(
        &core,
        &ev.id,
        "big.csv",
        csv.as_bytes(),
        &ImportOptions::default(),
        &|p| {
            // Cancel once the first batch was written.
            if p.phase == import::Phase::Writing && p.done > 0 {
                cancel.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            phases.lock().unwrap().push(p.phase);
        },
        &cancel,
    )
    .await
    .unwrap();
    assert!(r.cancelled);
    assert_eq!(r.imported, 0);
    assert!(phases.lock().unwrap().contains(&import::Phase::Writing));
    assert!(social::wall(&core, &ev.id, 10).await.unwrap().is_empty());
    // Not cancelled: everything.
    let r = import::import_bytes(
        &core,
        &ev.id,
        "big.csv",
        csv.as_bytes(),
        &ImportOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert_eq!(r.imported, 2500);
    cleanup(&core).await.unwrap();
}

#[test]
fn sentiment_on_labelled_english_and_french_examples() {
    use Label::*;
    let examples: &[(&str, Label)] = &[
        ("Great talk, thanks to the speakers!", Positive),
        ("I really enjoyed the workshop", Positive),
        ("Amazing venue and excellent coffee", Positive),
        ("Not bad at all, quite useful", Positive),
        ("Loved every minute of it 😍", Positive),
        ("Very insightful keynote", Positive),
        ("Best conference this year", Positive),
        ("The demo was impressive", Positive),
        ("The talk was not good", Negative),
        ("Boring slides and a terrible sound system", Negative),
        ("Disappointed, the session was cancelled", Negative),
        ("Way too crowded, I hate queues", Negative),
        ("The wifi is broken again 👎", Negative),
        ("I didn't enjoy the panel", Negative),
        ("Worst catering ever", Negative),
        ("Nothing interesting in the afternoon", Negative),
        ("The keynote starts at 9am in room A", Neutral),
        ("Lunch is served on the second floor", Neutral),
        ("No problem with the registration desk today", Neutral),
        ("Session slides will be published tomorrow", Neutral),
        // French
        ("Super conférence, merci aux organisateurs !", Positive),
        ("Atelier passionnant et très bien animé", Positive),
        ("Pas mal du tout cette keynote", Positive),
        ("Bravo à toute l'équipe 👏", Positive),
        ("J'ai adoré la session sur Rust", Positive),
        ("Vraiment GÉNIAL, on revient l'an prochain", Positive),
        ("Intervenants clairs et passionnants", Positive),
        ("Une journée très réussie", Positive),
        ("Pas bon du tout, le repas", Negative),
        ("Trop de retard, c'est pénible", Negative),
        ("Je suis déçu par la qualité du son", Negative),
        ("Salle bondée et bruyante", Negative),
        ("Ce n'était pas intéressant", Negative),
        ("Quelle catastrophe ce wifi 😡", Negative),
        ("Conférence nulle, je n'ai rien appris", Negative),
        ("Atelier ennuyeux et mal organisé", Negative),
        ("La keynote commence à 9h en salle A", Neutral),
        ("Le déjeuner est servi au premier étage", Neutral),
        ("Pas de souci pour l'inscription sur place", Neutral),
        ("Les supports seront publiés demain", Neutral),
    ];
    let wrong: Vec<_> = examples
        .iter()
        .filter_map(|(t, want)| {
            let (score, got) = sentiment::score(t);
            (got != *want).then(|| format!("{t:?}: {got:?} ({score}), expected {want:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(sentiment::score("bon").0, 1.0);
    assert_eq!(sentiment::score("pas bon").0, -1.0);
    assert_eq!(sentiment::score("not good").0, -1.0);
    assert_eq!(sentiment::score("excellent, vraiment excellent").0, 4.0);
}

#[tokio::test]
async fn analysis_pipelines_give_exact_figures() {
    let core = fresh_core("social_analysis").await;
    let ev = event(&core).await;
    let r = import_file(&core, &ev.id, "analysis.csv", ImportOptions::default()).await;
    assert_eq!(r.imported, 6, "{r:?}");
    // Another event's posts must not count.
    let other = event(&core).await;
    import_file(&core, &other.id, "analysis.csv", ImportOptions::default()).await;

    let a = social::analysis(&core, &ev.id).await.unwrap();
    let e = &a.engagement;
    assert_eq!(
        (e.posts, e.likes, e.shares, e.replies, e.total),
        (6, 19, 4, 3, 26)
    );
    let tags: Vec<(&str, i64)> = a
        .top_hashtags
        .iter()
        .map(|k| (k.key.as_str(), k.posts))
        .collect();
    assert_eq!(tags, [("devfest", 4), ("ia", 2), ("rust", 1)]);
    let authors: Vec<(&str, i64, i64, i64, i64)> = a
        .top_authors
        .iter()
        .map(|r| (r.author.as_str(), r.posts, r.likes, r.shares, r.replies))
        .collect();
    assert_eq!(
        authors,
        [
            ("alice", 3, 14, 2, 3),
            ("bob", 1, 5, 1, 0),
            ("carla", 1, 0, 0, 0),
            ("dan", 1, 0, 1, 0)
        ]
    );
    let platforms: Vec<(&str, i64)> = a
        .platforms
        .iter()
        .map(|k| (k.key.as_str(), k.posts))
        .collect();
    assert_eq!(platforms, [("x", 3), ("mastodon", 2), ("linkedin", 1)]);
    let sessions: Vec<(&str, i64)> = a
        .sessions
        .iter()
        .map(|m| (m.name.as_str(), m.posts))
        .collect();
    assert_eq!(
        sessions,
        [
            ("Rust et WebAssembly", 2),
            ("Keynote d'ouverture", 1),
            ("Clôture", 0)
        ]
    );
    assert!((a.sessions[0].share - 2.0 / 6.0).abs() < 1e-9);
    assert_eq!(a.sessions[0].id, ev.input.sessions[1].id);
    let speakers: Vec<(&str, i64)> = a
        .speakers
        .iter()
        .map(|m| (m.name.as_str(), m.posts))
        .collect();
    assert_eq!(speakers, [("Anaïs Lefèvre", 2), ("Bob Martin", 1)]);
    let s = &a.sentiment;
    assert_eq!((s.positive, s.neutral, s.negative), (3, 1, 2));
    assert!((s.average_score - 0.5).abs() < 1e-9, "{}", s.average_score);
    let hours: Vec<(String, i64)> = a
        .volume_by_hour
        .iter()
        .map(|v| (v.at.to_rfc3339(), v.posts))
        .collect();
    assert_eq!(
        hours,
        [
            ("2024-11-14T09:00:00+00:00".to_owned(), 1),
            ("2024-11-14T10:00:00+00:00".to_owned(), 3),
            ("2024-11-15T08:00:00+00:00".to_owned(), 1),
            ("2024-11-15T16:00:00+00:00".to_owned(), 1),
        ]
    );
    let days: Vec<(String, i64)> = a
        .volume_by_day
        .iter()
        .map(|v| (v.at.to_rfc3339(), v.posts))
        .collect();
    assert_eq!(
        days,
        [
            ("2024-11-14T00:00:00+00:00".to_owned(), 4),
            ("2024-11-15T00:00:00+00:00".to_owned(), 2),
        ]
    );
    let csv = social::analysis_csv(&a).unwrap();
    assert!(csv.starts_with("\u{feff}section,key,name,posts,likes,shares,replies,percent\n"));
    assert!(csv.contains("\nengagement,total,,6,19,4,3,\n"), "{csv}");
    assert!(csv.contains("\nhashtag,devfest,,4,,,,66.7\n"), "{csv}");
    assert!(csv.contains("\nauthor,alice,,3,14,2,3,50.0\n"), "{csv}");
    assert!(csv.contains("\nsentiment,negative,,2,,,,33.3\n"), "{csv}");
    assert!(
        csv.contains("\nday,2024-11-14T00:00:00Z,,4,,,,66.7\n"),
        "{csv}"
    );
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["engagement"]["total"], 26);

    // The wall: newest first, limited.
    let wall = social::wall(&core, &ev.id, 2).await.unwrap();
    assert_eq!(
        wall.iter()
            .map(|p| p.external_id.as_str())
            .collect::<Vec<_>>(),
        ["p6", "p5"]
    );
    // An event without posts: zeros, no error.
    let empty = event(&core).await;
    let a = social::analysis(&core, &empty.id).await.unwrap();
    assert_eq!(a.engagement.posts, 0);
    assert!(a.volume_by_hour.is_empty() && a.top_hashtags.is_empty());
    assert_eq!(a.sessions[0].posts, 0);
    cleanup(&core).await.unwrap();
}

// ---------------------------------------------------------------------------------------
// The Mastodon client against a local HTTP server replaying Mastodon-shaped answers.

mod masto {
    use std::{
        collections::VecDeque,
        sync::{atomic::AtomicBool, Arc, Mutex},
        time::Duration,
    };

    use axum::{
        extract::{Query, State},
        http::StatusCode,
        response::{IntoResponse, Response},
        routing::get,
        Router,
    };
    use eventhub_core::{
        social::{
            self,
            mastodon::{self, FetchOptions},
        },
        testing::{cleanup, fresh_core},
        Code,
    };
    use serde_json::json;

    /// What the next request gets (default: a normal page).
    #[derive(Clone)]
    pub enum Act {
        Fail500,
        Malformed,
        TooMany {
            retry_after: &'static str,
        },
        /// A normal page announcing the limit is used up, reset in `ms`.
        LastAllowed {
            ms: i64,
        },
    }

    #[derive(Default)]
    pub struct Server {
        /// Status ids on the timeline (any order).
        pub ids: Vec<u64>,
        pub script: VecDeque<Act>,
        /// Query strings received.
        pub requests: Vec<String>,
        pub base: String,
    }

    type Shared = Arc<Mutex<Server>>;

    fn status(id: u64) -> serde_json::Value {
        json!({
            "id": id.to_string(),
            "created_at": format!("2024-11-14T{:02}:{:02}:00.000Z", 8 + id / 60 % 10, id % 60),
            "spoiler_text": "",
            "visibility": "public",
            "url": format!("https://masto.test/@u{}/{id}", id % 3),
            "replies_count": 0,
            "reblogs_count": id % 2,
            "favourites_count": 1,
            "content": format!("<p>Post {id} <a href=\"https://masto.test/tags/devfest\" class=\"mention hashtag\" rel=\"tag\">#<span>DevFest</span></a></p>"),
            "account": { "id": "1", "username": format!("u{}", id % 3), "acct": format!("u{}", id % 3) },
            "mentions": [],
            "tags": [{ "name": "devfest", "url": "https://masto.test/tags/devfest" }],
        })
    }

    async fn timeline(
        State(s): State<Shared>,
        axum::extract::Path(tag): axum::extract::Path<String>,
        Query(q): Query<std::collections::HashMap<String, String>>,
    ) -> Response {
        let mut s = s.lock().unwrap();
        let mut qs: Vec<String> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
        qs.sort();
        s.requests.push(qs.join("&"));
        assert_eq!(tag, "DevFest");
        let act = s.script.pop_front();
        match act {
            Some(Act::Fail500) => {
                return (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response()
            }
            Some(Act::Malformed) => {
                return (StatusCode::OK, "[{\"id\": \"1\", \"content\": ").into_response()
            }
            Some(Act::TooMany { retry_after }) => {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", retry_after)],
                    "{\"error\":\"Too many requests\"}",
                )
                    .into_response()
            }
            _ => {}
        }
        let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(20);
        let num = |k: &str| q.get(k).and_then(|v| v.parse::<u64>().ok());
        let mut ids: Vec<u64> = s.ids.clone();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        if let Some(m) = num("max_id") {
            ids.retain(|i| *i < m);
        }
        if let Some(m) = num("since_id") {
            ids.retain(|i| *i > m);
        }
        let page: Vec<u64> = if let Some(m) = num("min_id") {
            // The statuses right after min_id, newest first (Mastodon's behaviour).
            let mut above: Vec<u64> = ids.into_iter().filter(|i| *i > m).collect();
            above.sort_unstable();
            above.truncate(limit);
            above.reverse();
            above
        } else {
            ids.truncate(limit);
            ids
        };
        let body =
            serde_json::to_string(&page.iter().map(|i| status(*i)).collect::<Vec<_>>()).unwrap();
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if let (Some(first), Some(last)) = (page.first(), page.last()) {
            let base = format!("{}/api/v1/timelines/tag/DevFest", s.base);
            headers.push((
                "link".into(),
                format!(
                    "<{base}?max_id={last}>; rel=\"next\", <{base}?min_id={first}>; rel=\"prev\""
                ),
            ));
        }
        let remaining = match act {
            Some(Act::LastAllowed { ms }) => {
                let reset = chrono::Utc::now() + chrono::Duration::milliseconds(ms);
                headers.push((
                    "x-ratelimit-reset".into(),
                    reset.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                ));
                "0"
            }
            _ => "299",
        };
        headers.push(("x-ratelimit-limit".into(), "300".into()));
        headers.push(("x-ratelimit-remaining".into(), remaining.into()));
        let mut r = (StatusCode::OK, body).into_response();
        for (k, v) in headers {
            r.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        r
    }

    async fn serve(ids: Vec<u64>) -> Shared {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let shared: Shared = Arc::new(Mutex::new(Server {
            ids,
            base,
            ..Default::default()
        }));
        let app = Router::new()
            .route("/api/v1/timelines/tag/{tag}", get(timeline))
            .with_state(shared.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        shared
    }

    fn opts(s: &Shared, pages: u32, limit: u32) -> FetchOptions {
        FetchOptions {
            instance: "masto.test".into(),
            tag: "#DevFest".into(),
            pages,
            limit,
            base_url: Some(s.lock().unwrap().base.clone()),
            max_wait_ms: 3_000,
            retries: 3,
        }
    }

    async fn fetch(
        core: &eventhub_core::Core,
        ev: &str,
        o: &FetchOptions,
    ) -> mastodon::FetchReport {
        mastodon::fetch(core, ev, o, &|_| {}, &AtomicBool::new(false))
            .await
            .unwrap()
    }

    fn requests(s: &Shared) -> Vec<String> {
        std::mem::take(&mut s.lock().unwrap().requests)
    }

    #[tokio::test]
    async fn pages_until_the_timeline_ends_then_resumes_with_newer_posts() {
        let core = fresh_core("social_fetch_pages").await;
        let ev = super::event(&core).await;
        let s = serve((1..=100).collect()).await;
        let r = fetch(&core, &ev.id, &opts(&s, 10, 40)).await;
        assert_eq!(r.error, None);
        assert_eq!((r.pages, r.received, r.imported), (4, 100, 100), "{r:?}");
        assert!(r.reached_end);
        assert_eq!(
            (r.newest_id.as_deref(), r.oldest_id.as_deref()),
            (Some("100"), Some("1"))
        );
        assert_eq!(
            requests(&s),
            [
                "limit=40",
                "limit=40&max_id=61",
                "limit=40&max_id=21",
                "limit=40&max_id=1"
            ],
            "max_id from the Link header"
        );
        let wall = social::wall(&core, &ev.id, 1).await.unwrap();
        assert_eq!(wall[0].external_id, "100");
        assert_eq!(wall[0].text, "Post 100 #DevFest");
        assert_eq!(wall[0].hashtags, ["devfest"]);
        assert_eq!(wall[0].source.kind, "fetch");

        // New posts arrive: the next fetch asks only for what is newer.
        s.lock().unwrap().ids.extend(101..=105);
        let r = fetch(&core, &ev.id, &opts(&s, 10, 40)).await;
        assert_eq!((r.pages, r.imported, r.already_present), (1, 5, 0), "{r:?}");
        assert_eq!(requests(&s), ["limit=40&min_id=100"]);
        assert_eq!(r.newest_id.as_deref(), Some("105"));
        let c = mastodon::cursor(&core, &ev.id, "masto.test", "devfest")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                c.newest_id.as_deref(),
                c.oldest_id.as_deref(),
                c.reached_end
            ),
            (Some("105"), Some("1"), true)
        );
        assert_eq!(
            social::analysis(&core, &ev.id)
                .await
                .unwrap()
                .engagement
                .posts,
            105
        );
        cleanup(&core).await.unwrap();
    }

    #[tokio::test]
    async fn a_page_limit_stops_and_the_next_fetch_continues_where_it_stopped() {
        let core = fresh_core("social_fetch_resume").await;
        let ev = super::event(&core).await;
        let s = serve((1..=50).collect()).await;
        let r = fetch(&core, &ev.id, &opts(&s, 1, 20)).await;
        assert_eq!((r.pages, r.imported, r.reached_end), (1, 20, false));
        assert_eq!(r.oldest_id.as_deref(), Some("31"));
        assert_eq!(requests(&s), ["limit=20"]);
        // Meanwhile 3 new posts; the limit lets 3 requests through.
        s.lock().unwrap().ids.extend(51..=53);
        let r = fetch(&core, &ev.id, &opts(&s, 3, 20)).await;
        assert_eq!(
            requests(&s),
            [
                "limit=20&min_id=50",
                "limit=20&max_id=31",
                "limit=20&max_id=11"
            ]
        );
        assert_eq!(
            (r.pages, r.imported, r.already_present),
            (3, 3 + 20 + 10, 0),
            "{r:?}"
        );
        assert!(
            !r.reached_end,
            "the empty page after id 1 was not asked yet"
        );
        let r = fetch(&core, &ev.id, &opts(&s, 3, 20)).await;
        assert_eq!(requests(&s), ["limit=20&min_id=53", "limit=20&max_id=1"]);
        assert_eq!((r.imported, r.reached_end), (0, true));
        assert_eq!(social::wall(&core, &ev.id, 200).await.unwrap().len(), 53);
        cleanup(&core).await.unwrap();
    }

    #[tokio::test]
    async fn server_errors_are_retried_then_reported_keeping_what_was_fetched() {
        let core = fresh_core("social_fetch_errors").await;
        let ev = super::event(&core).await;
        let s = serve((1..=30).collect()).await;
        // Two 500s then a good page: retried.
        s.lock().unwrap().script = [Act::Fail500, Act::Fail500].into();
        let r = fetch(&core, &ev.id, &opts(&s, 1, 10)).await;
        assert_eq!((r.error.as_deref(), r.imported), (None, 10), "{r:?}");
        assert_eq!(requests(&s).len(), 3);
        // Then 500 for ever: reported, nothing lost.
        s.lock().unwrap().script = vec![Act::Fail500; 10].into();
        let r = fetch(&core, &ev.id, &opts(&s, 2, 10)).await;
        let e = r.error.clone().unwrap();
        assert!(e.contains("HTTP 500") && e.contains("after 4 tries"), "{e}");
        assert_eq!((r.pages, r.imported), (0, 0));
        // A good page, then malformed JSON: the first page is kept and the cursor moved.
        requests(&s);
        s.lock().unwrap().script = [Act::LastAllowed { ms: 0 }, Act::Malformed].into();
        let r = fetch(&core, &ev.id, &opts(&s, 5, 10)).await;
        assert!(
            r.error.as_deref().unwrap().contains("malformed JSON"),
            "{r:?}"
        );
        assert_eq!(
            r.imported, 0,
            "the first request caught up on newer posts: none"
        );
        let reqs = requests(&s);
        assert_eq!(reqs, ["limit=10&min_id=30", "limit=10&max_id=21"]);
        let r = fetch(&core, &ev.id, &opts(&s, 5, 10)).await;
        assert_eq!((r.error, r.imported, r.reached_end), (None, 20, true));
        assert_eq!(social::wall(&core, &ev.id, 100).await.unwrap().len(), 30);
        cleanup(&core).await.unwrap();
    }

    #[tokio::test]
    async fn rate_limits_are_honoured_within_a_bound() {
        let core = fresh_core("social_fetch_rate").await;
        let ev = super::event(&core).await;
        let s = serve((1..=15).collect()).await;
        // 429 with Retry-After: 1 → waits about a second, then continues.
        s.lock().unwrap().script = [Act::TooMany { retry_after: "1" }].into();
        let r = fetch(&core, &ev.id, &opts(&s, 1, 5)).await;
        assert_eq!((r.error.as_deref(), r.imported), (None, 5), "{r:?}");
        assert!(r.waited_ms >= 1000, "{}", r.waited_ms);
        assert_eq!(requests(&s).len(), 2);
        // Remaining 0: waits until the reset time before the next request.
        s.lock().unwrap().script = [Act::LastAllowed { ms: 400 }].into();
        let started = std::time::Instant::now();
        let r = fetch(&core, &ev.id, &opts(&s, 3, 5)).await;
        assert_eq!(r.error, None);
        assert!(r.waited_ms >= 300, "{}", r.waited_ms);
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!(r.imported, 10);
        // A wait longer than allowed stops the fetch with a message; it resumes later.
        s.lock().unwrap().script = [Act::TooMany { retry_after: "120" }].into();
        let r = fetch(&core, &ev.id, &opts(&s, 3, 5)).await;
        let e = r.error.unwrap();
        assert!(e.contains("HTTP 429") && e.contains("120 s"), "{e}");
        assert!(r.waited_ms < 1000);
        cleanup(&core).await.unwrap();
    }

    #[tokio::test]
    async fn bad_options_and_cancellation() {
        let core = fresh_core("social_fetch_opts").await;
        let ev = super::event(&core).await;
        let s = serve((1..=5).collect()).await;
        let mut o = opts(&s, 1, 5);
        o.base_url = Some("http://evil.example".into());
        let e = mastodon::fetch(&core, &ev.id, &o, &|_| {}, &AtomicBool::new(false))
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("base_url"));
        let mut o = opts(&s, 1, 5);
        o.instance = "not a host".into();
        let e = mastodon::fetch(&core, &ev.id, &o, &|_| {}, &AtomicBool::new(false))
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("instance"));
        let mut o = opts(&s, 0, 5);
        o.tag = "dev fest".into();
        let e = mastodon::fetch(&core, &ev.id, &o, &|_| {}, &AtomicBool::new(false))
            .await
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tag"));
        let e = mastodon::fetch(
            &core,
            "nope",
            &opts(&s, 1, 5),
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, Code::NotFound);
        // Cancelled before the first request: nothing asked, nothing written.
        let r = mastodon::fetch(
            &core,
            &ev.id,
            &opts(&s, 3, 5),
            &|_| {},
            &AtomicBool::new(true),
        )
        .await
        .unwrap();
        assert!(r.cancelled);
        assert_eq!(r.pages, 0);
        assert!(requests(&s).is_empty());
        // Cancelled during a rate-limit wait.
        s.lock().unwrap().script = [Act::TooMany { retry_after: "2" }].into();
        let cancel = Arc::new(AtomicBool::new(false));
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            c.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let started = std::time::Instant::now();
        let r = mastodon::fetch(&core, &ev.id, &opts(&s, 3, 5), &|_| {}, &cancel)
            .await
            .unwrap();
        assert!(r.cancelled && r.imported == 0);
        assert!(started.elapsed() < Duration::from_millis(1500));
        assert!(social::wall(&core, &ev.id, 10).await.unwrap().is_empty());
        cleanup(&core).await.unwrap();
    }
}

/// Sessions and speakers are found as whole words whatever the case, accents and
/// punctuation — by the phrase key of new posts and by the regular expression for posts
/// stored before it, with the same counts — and the schema step gives old posts their key.
#[tokio::test]
async fn mentions_are_whole_words_with_or_without_the_phrase_key() {
    let core = fresh_core("social_phrase_key").await;
    let ev = event(&core).await;
    let csv = "author,text,date\n\
        ana,Super KEYNOTE d’ouverture !,2024-11-14 09:30\n\
        bob,RUST et webassembly: génial,2024-11-14 10:30\n\
        cyd,Trust et WebAssembly ? non,2024-11-14 10:40\n\
        dan,Merci Anaïs-Lefèvre et bob martin,2024-11-14 11:00\n\
        eve,BobMartin n'est pas un mot,2024-11-14 11:10\n\
        fay,La clôture,2024-11-15 17:00\n";
    let r = import::import_bytes(
        &core,
        &ev.id,
        "mentions.csv",
        csv.as_bytes(),
        &ImportOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap();
    assert_eq!(r.imported, 6, "{r:?}");
    let counts = |a: &social::analysis::Analysis| -> Vec<(String, i64)> {
        a.sessions
            .iter()
            .chain(&a.speakers)
            .map(|m| (m.name.clone(), m.posts))
            .collect()
    };
    let want = vec![
        ("Keynote d'ouverture".to_owned(), 1),
        ("Rust et WebAssembly".to_owned(), 1),
        ("Clôture".to_owned(), 1),
        ("Anaïs Lefèvre".to_owned(), 1),
        ("Bob Martin".to_owned(), 1),
    ];
    let mut with_key = counts(&social::analysis::analysis(&core, &ev.id).await.unwrap());
    with_key.sort();
    let mut sorted_want = want.clone();
    sorted_want.sort();
    assert_eq!(with_key, sorted_want);

    // Posts stored before the phrase key: the regular expression gives the same counts…
    let posts = core.db().collection::<bson::Document>(social::POSTS);
    posts
        .update_many(bson::doc! {}, bson::doc! { "$unset": { "text_words": "" } })
        .await
        .unwrap();
    let mut without = counts(&social::analysis::analysis(&core, &ev.id).await.unwrap());
    without.sort();
    assert_eq!(without, sorted_want);
    // …and the schema step gives them their key, with a new version for sync.
    core.ensure_schema().await.unwrap();
    let keyed = posts
        .count_documents(bson::doc! { "text_words": { "$type": "string" }, "version": 2 })
        .await
        .unwrap();
    assert_eq!(keyed, 6);
    cleanup(&core).await.unwrap();
}
