//! The aggregation pipelines of networking: "people you should meet" and the organiser's
//! figures. The ranking and the counting run in the database, not in Rust.

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;

use super::{num, Bucket, Card, CompanyCount, ContactLink, NetworkingStats, Suggestion, PROFILES};
use crate::{participants, Core, Result};

/// The suggestion pipeline for a viewer with `interests` and `sessions`, leaving out
/// `exclude` (the viewer and everyone they already have a connection or request with).
/// Ranked by `2 × shared interests + shared sessions`, then by name; zero scores dropped.
pub fn suggestion_pipeline(
    event_id: &str,
    interests: &[String],
    sessions: &[String],
    exclude: &[String],
    limit: i64,
) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": event_id, "opted_in": true, "participant_id": { "$nin": exclude } } },
        doc! { "$lookup": {
            "from": participants::schema::PARTICIPANTS,
            "localField": "participant_id",
            "foreignField": "_id",
            "as": "person",
        } },
        doc! { "$unwind": "$person" },
        doc! { "$match": { "person.deleted_at": Bson::Null, "person.status": { "$nin": ["declined", "cancelled"] } } },
        doc! { "$addFields": {
            "shared_interests": { "$setIntersection": [ { "$ifNull": ["$interests", []] }, interests ] },
            "shared_sessions": { "$setIntersection": [ { "$ifNull": ["$person.sessions", []] }, sessions ] },
        } },
        doc! { "$addFields": {
            "n_interests": { "$size": "$shared_interests" },
            "n_sessions": { "$size": "$shared_sessions" },
        } },
        doc! { "$addFields": {
            "score": { "$add": [ { "$multiply": ["$n_interests", 2] }, "$n_sessions" ] },
        } },
        doc! { "$match": { "score": { "$gt": 0 } } },
        doc! { "$sort": { "score": -1, "n_interests": -1, "name_key": 1, "participant_id": 1 } },
        doc! { "$limit": limit },
        doc! { "$project": {
            "_id": 0, "participant_id": 1, "name": 1, "headline": 1, "company": 1,
            "interests": 1, "links": 1, "photo_url": 1,
            "shared_interests": 1, "shared_sessions": 1, "score": 1,
        } },
    ]
}

fn strings(d: &Document, k: &str) -> Vec<String> {
    d.get_array(k)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn text(d: &Document, k: &str) -> String {
    d.get_str(k).unwrap_or_default().to_owned()
}

/// People `me` should meet (at most `limit`, 1–50): opted-in participants of the same
/// event sharing interests or sessions, not yet connected or asked. Empty when `me` has
/// not opted in (suggestions would reveal who shares their interests otherwise... and
/// they could not connect anyway).
pub async fn suggestions(core: &Core, me: &str, limit: i64) -> Result<Vec<Suggestion>> {
    let person = participants::get(core, me).await?;
    let Some(mine) = super::profile(core, me).await?.filter(|p| p.input.opted_in) else {
        return Ok(vec![]);
    };
    let mut exclude: Vec<String> = vec![me.to_owned()];
    for side in ["a", "b"] {
        let other = if side == "a" { "b" } else { "a" };
        let linked: Vec<Document> = core
            .db()
            .collection::<Document>(super::CONNECTIONS)
            .find(doc! { side: me })
            .projection(doc! { other: 1, "_id": 0 })
            .await?
            .try_collect()
            .await?;
        exclude.extend(linked.iter().map(|d| text(d, other)));
    }
    let pipeline = suggestion_pipeline(
        &person.event_id,
        &mine.input.interests,
        &person.sessions,
        &exclude,
        limit.clamp(1, 50),
    );
    let docs: Vec<Document> = core
        .db()
        .collection::<Document>(PROFILES)
        .aggregate(pipeline)
        .await?
        .try_collect()
        .await?;
    Ok(docs
        .into_iter()
        .map(|d| Suggestion {
            card: Card {
                participant_id: text(&d, "participant_id"),
                name: text(&d, "name"),
                headline: text(&d, "headline"),
                company: text(&d, "company"),
                interests: strings(&d, "interests"),
                links: d
                    .get_array("links")
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_document())
                            .map(|l| ContactLink {
                                label: text(l, "label"),
                                url: text(l, "url"),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                photo_url: text(&d, "photo_url"),
                email: None,
            },
            shared_interests: strings(&d, "shared_interests"),
            shared_sessions: strings(&d, "shared_sessions"),
            score: num(d.get("score")) as i64,
        })
        .collect())
}

async fn run(coll: &mongodb::Collection<Document>, p: Vec<Document>) -> Result<Vec<Document>> {
    Ok(coll.aggregate(p).await?.try_collect().await?)
}

/// Accepted connections grouped by `format` (a `$dateToString` format) in `tz`.
pub fn timeline_pipeline(event_id: &str, format: &str, tz: &str) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": event_id, "status": "accepted", "accepted_at": { "$ne": Bson::Null } } },
        doc! { "$group": {
            "_id": { "$dateToString": { "format": format, "date": "$accepted_at", "timezone": tz } },
            "n": { "$sum": 1 },
        } },
        doc! { "$sort": { "_id": 1 } },
    ]
}

/// Companies by accepted connections: each connection counts once for each side's
/// company (from their profile), blank companies left out, at most 10.
pub fn companies_pipeline(event_id: &str) -> Vec<Document> {
    vec![
        doc! { "$match": { "event_id": event_id, "status": "accepted" } },
        doc! { "$project": { "_id": 0, "side": ["$a", "$b"] } },
        doc! { "$unwind": "$side" },
        doc! { "$lookup": {
            "from": PROFILES,
            "localField": "side",
            "foreignField": "participant_id",
            "as": "profile",
        } },
        doc! { "$unwind": "$profile" },
        doc! { "$match": { "profile.company": { "$nin": ["", Bson::Null] } } },
        doc! { "$group": { "_id": "$profile.company", "n": { "$sum": 1 } } },
        doc! { "$sort": { "n": -1, "_id": 1 } },
        doc! { "$limit": 10 },
    ]
}

/// The organiser's networking figures of an event.
pub async fn stats(core: &Core, event_id: &str) -> Result<NetworkingStats> {
    let event = crate::events::get(core, event_id).await?;
    let tz = if event.input.timezone.trim().is_empty() {
        "UTC".to_owned()
    } else {
        event.input.timezone.clone()
    };
    let conns = core.db().collection::<Document>(super::CONNECTIONS);
    let mut s = NetworkingStats {
        event_id: event_id.to_owned(),
        ..Default::default()
    };
    for d in run(
        &conns,
        vec![
            doc! { "$match": { "event_id": event_id } },
            doc! { "$group": { "_id": "$status", "n": { "$sum": 1 } } },
        ],
    )
    .await?
    {
        match d.get_str("_id").unwrap_or_default() {
            "accepted" => s.connections_made = num(d.get("n")),
            // Ignored requests stay "pending" for their sender; the organiser sees both.
            "pending" | "ignored" => s.requests_pending += num(d.get("n")),
            _ => {}
        }
    }
    let people = run(
        &conns,
        vec![
            doc! { "$match": { "event_id": event_id, "status": "accepted" } },
            doc! { "$project": { "_id": 0, "side": ["$a", "$b"] } },
            doc! { "$unwind": "$side" },
            doc! { "$group": { "_id": "$side" } },
            doc! { "$count": "n" },
        ],
    )
    .await?;
    s.participants_connected = people.first().map_or(0, |d| num(d.get("n")));
    let profs = run(
        &core.db().collection::<Document>(PROFILES),
        vec![
            doc! { "$match": { "event_id": event_id, "opted_in": true } },
            doc! { "$count": "n" },
        ],
    )
    .await?;
    s.profiles_opted_in = profs.first().map_or(0, |d| num(d.get("n")));
    for d in run(
        &core.db().collection::<Document>(super::MEETINGS),
        vec![
            doc! { "$match": { "event_id": event_id } },
            doc! { "$group": { "_id": "$status", "n": { "$sum": 1 } } },
        ],
    )
    .await?
    {
        let n = num(d.get("n"));
        s.meetings_proposed += n;
        if d.get_str("_id") == Ok("accepted") {
            s.meetings_accepted = n;
        }
    }
    let bucket = |d: Document| Bucket {
        bucket: text(&d, "_id"),
        connections: num(d.get("n")),
    };
    s.per_hour = run(&conns, timeline_pipeline(event_id, "%Y-%m-%dT%H:00", &tz))
        .await?
        .into_iter()
        .map(bucket)
        .collect();
    s.per_day = run(&conns, timeline_pipeline(event_id, "%Y-%m-%d", &tz))
        .await?
        .into_iter()
        .map(bucket)
        .collect();
    s.top_companies = run(&conns, companies_pipeline(event_id))
        .await?
        .into_iter()
        .map(|d| CompanyCount {
            company: text(&d, "_id"),
            connections: num(d.get("n")),
        })
        .collect();
    Ok(s)
}

/// The figures as CSV (UTF-8 with BOM), one `section,item,value` row per figure.
pub fn stats_csv(s: &NetworkingStats) -> String {
    let mut out = String::from("\u{feff}section,item,value\r\n");
    let mut row = |section: &str, item: &str, value: u64| {
        out.push_str(&super::vcard::csv_row(&[
            section.to_owned(),
            item.to_owned(),
            value.to_string(),
        ]));
    };
    for (k, v) in [
        ("profiles_opted_in", s.profiles_opted_in),
        ("requests_pending", s.requests_pending),
        ("connections_made", s.connections_made),
        ("participants_connected", s.participants_connected),
        ("meetings_proposed", s.meetings_proposed),
        ("meetings_accepted", s.meetings_accepted),
    ] {
        row("totals", k, v);
    }
    for b in &s.per_hour {
        row("per_hour", &b.bucket, b.connections);
    }
    for b in &s.per_day {
        row("per_day", &b.bucket, b.connections);
    }
    for c in &s.top_companies {
        row("top_companies", &c.company, c.connections);
    }
    out
}
