//! Networking between the participants of an event: opt-in profiles, connection requests
//! (by badge code or from the directory), private notes, meeting requests on proposed
//! slots, "people you should meet" suggestions and the organiser's figures (aggregation
//! pipelines in [`pipelines`]), exports (vCard, CSV, e-mail summary) and the participant's
//! own data (JSON download, erasure) in [`export`].
//!
//! Rules: nothing about a participant is shown to anyone until they opt in; connecting
//! needs both sides opted in; contact cards with the e-mail are given only to accepted
//! connections; notes are private to their writer. Opting out hides someone from the
//! directory, the suggestions and new requests; connections already accepted remain (both
//! consented) until the person erases their data.
//!
//! Every function takes a [`Core`] and the acting participant's id; the portal finds that
//! id from the invitation token, the desktop app from its own selection.

pub mod export;
pub mod model;
pub mod pipelines;
pub mod vcard;

pub use export::{erase, erase_data, export_csv, export_vcard, my_data, send_summary};
pub use model::*;
pub use pipelines::{stats, stats_csv, suggestions};

use std::collections::HashMap;

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use mongodb::Collection;

use crate::{
    db::{index, index_with, CollectionSpec},
    error::Code,
    participants::{self, Participant},
    time, Core, Error, Result,
};

pub const PROFILES: &str = "network_profiles";
pub const CONNECTIONS: &str = "connections";
pub const MEETINGS: &str = "meetings";
/// Who erased their data, and when: synced, so that an erasure on one laptop (or on the
/// portal served from Atlas) is carried out on every store (see `sync`).
pub const ERASURES: &str = "erasures";

pub const MAX_HEADLINE: usize = 120;
pub const MAX_COMPANY: usize = 120;
pub const MAX_INTERESTS: usize = 20;
pub const MAX_INTEREST: usize = 40;
pub const MAX_LINKS: usize = 5;
pub const MAX_URL: usize = 300;
pub const MAX_NOTE: usize = 2000;
pub const MAX_SLOTS: usize = 5;
pub const MAX_PLACE: usize = 120;

pub fn profiles(core: &Core) -> Collection<Profile> {
    core.db().collection(PROFILES)
}

pub fn connections(core: &Core) -> Collection<Connection> {
    core.db().collection(CONNECTIONS)
}

pub fn meetings(core: &Core) -> Collection<Meeting> {
    core.db().collection(MEETINGS)
}

fn unique(mut o: mongodb::options::IndexOptions) -> mongodb::options::IndexOptions {
    o.unique = Some(true);
    o
}

/// The networking collections, registered in `schema::collections()`.
pub fn collections() -> Vec<CollectionSpec> {
    let date = doc! { "bsonType": "date" };
    let version = doc! { "bsonType": ["int", "long"], "minimum": 1 };
    vec![
        CollectionSpec {
            name: PROFILES,
            validator: Some(doc! { "$jsonSchema": {
                "bsonType": "object",
                "required": ["_id", "event_id", "participant_id", "opted_in", "version", "updated_at"],
                "properties": {
                    "_id": { "bsonType": "string", "minLength": 1 },
                    "event_id": { "bsonType": "string", "minLength": 1 },
                    "participant_id": { "bsonType": "string", "minLength": 1 },
                    "opted_in": { "bsonType": "bool" },
                    "headline": { "bsonType": "string", "maxLength": MAX_HEADLINE as i32 * 4 },
                    "company": { "bsonType": "string", "maxLength": MAX_COMPANY as i32 * 4 },
                    "interests": { "bsonType": "array", "maxItems": MAX_INTERESTS as i32,
                                   "items": { "bsonType": "string" } },
                    "links": { "bsonType": "array", "maxItems": MAX_LINKS as i32 },
                    "photo_url": { "bsonType": "string", "maxLength": MAX_URL as i32 * 4 },
                    "version": version.clone(),
                    "updated_at": date.clone(),
                },
            } }),
            indexes: vec![
                index_with(doc! { "participant_id": 1 }, "participant_unique", unique),
                // The directory (sorted by name) and the suggestion pipeline's $match.
                index(
                    doc! { "event_id": 1, "opted_in": 1, "name_key": 1 },
                    "event_opted_in_name",
                ),
            ],
        },
        CollectionSpec {
            name: CONNECTIONS,
            validator: Some(doc! { "$jsonSchema": {
                "bsonType": "object",
                "required": ["_id", "event_id", "a", "b", "requested_by", "status", "version", "updated_at"],
                "properties": {
                    "_id": { "bsonType": "string", "minLength": 1 },
                    "event_id": { "bsonType": "string", "minLength": 1 },
                    "a": { "bsonType": "string", "minLength": 1 },
                    "b": { "bsonType": "string", "minLength": 1 },
                    "requested_by": { "bsonType": "string", "minLength": 1 },
                    "status": { "enum": ["pending", "accepted", "ignored"] },
                    "note_a": { "bsonType": "string", "maxLength": MAX_NOTE as i32 * 4 },
                    "note_b": { "bsonType": "string", "maxLength": MAX_NOTE as i32 * 4 },
                    "accepted_at": { "bsonType": ["date", "null"] },
                    "version": version.clone(),
                    "updated_at": date.clone(),
                },
            } }),
            indexes: vec![
                index_with(
                    doc! { "event_id": 1, "a": 1, "b": 1 },
                    "event_pair_unique",
                    unique,
                ),
                // A participant's list, whichever side of the pair they are.
                index(doc! { "a": 1, "status": 1 }, "a_status"),
                index(doc! { "b": 1, "status": 1 }, "b_status"),
                // Organiser figures: counts per status, accepted over time.
                index(
                    doc! { "event_id": 1, "status": 1, "accepted_at": 1 },
                    "event_status_accepted_at",
                ),
            ],
        },
        CollectionSpec {
            name: MEETINGS,
            validator: Some(doc! { "$jsonSchema": {
                "bsonType": "object",
                "required": ["_id", "event_id", "connection_id", "proposer", "invitee", "slots", "status", "version", "updated_at"],
                "properties": {
                    "_id": { "bsonType": "string", "minLength": 1 },
                    "event_id": { "bsonType": "string", "minLength": 1 },
                    "connection_id": { "bsonType": "string", "minLength": 1 },
                    "proposer": { "bsonType": "string", "minLength": 1 },
                    "invitee": { "bsonType": "string", "minLength": 1 },
                    "slots": { "bsonType": "array", "minItems": 1, "maxItems": MAX_SLOTS as i32,
                               "items": { "bsonType": "date" } },
                    "status": { "enum": ["proposed", "accepted", "declined", "cancelled"] },
                    "chosen": { "bsonType": ["date", "null"] },
                    "version": version,
                    "updated_at": date,
                },
            } }),
            indexes: vec![
                index(doc! { "proposer": 1, "status": 1 }, "proposer_status"),
                index(doc! { "invitee": 1, "status": 1 }, "invitee_status"),
                index(doc! { "connection_id": 1 }, "connection"),
                index(doc! { "event_id": 1, "status": 1 }, "event_status"),
            ],
        },
        CollectionSpec {
            name: ERASURES,
            validator: Some(doc! { "$jsonSchema": {
                "bsonType": "object",
                "required": ["_id", "event_id", "erased_at"],
                "properties": {
                    "_id": { "bsonType": "string", "minLength": 1 },
                    "event_id": { "bsonType": "string", "minLength": 1 },
                    "erased_at": { "bsonType": "date" },
                },
            } }),
            indexes: vec![],
        },
        // Erasure and the data download find a participant's feedback answers.
        CollectionSpec {
            name: crate::feedback::ANSWERS,
            validator: None,
            indexes: vec![index(doc! { "participant_id": 1 }, "participant")],
        },
    ]
}

fn too_long(field: &str, max: usize) -> Error {
    Error::invalid(field, format!("at most {max} characters"))
}

fn check_url(field: &str, url: &str, mailto: bool) -> Result<()> {
    let lower = url.to_ascii_lowercase();
    let ok_scheme = lower.starts_with("https://")
        || lower.starts_with("http://")
        || (mailto && lower.starts_with("mailto:"));
    if !ok_scheme {
        return Err(Error::invalid(field, "must start with https:// or http://"));
    }
    if url.chars().count() > MAX_URL {
        return Err(too_long(field, MAX_URL));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(field, "must not contain spaces"));
    }
    Ok(())
}

/// Interest tags from free text: split on commas, semicolons and new lines, trimmed,
/// inner spaces collapsed, lower-cased, duplicates dropped (first kept).
pub fn parse_interests(text: &str) -> Vec<String> {
    text.split([',', ';', '\n']).map(|s| s.to_owned()).collect()
}

/// Check and tidy a profile. Errors name the field (`interests[2]`, `links[0].url`, …).
pub fn normalise(mut p: ProfileInput) -> Result<ProfileInput> {
    p.headline = p.headline.trim().to_owned();
    p.company = p.company.trim().to_owned();
    p.photo_url = p.photo_url.trim().to_owned();
    if p.headline.chars().count() > MAX_HEADLINE {
        return Err(too_long("headline", MAX_HEADLINE));
    }
    if p.company.chars().count() > MAX_COMPANY {
        return Err(too_long("company", MAX_COMPANY));
    }
    let mut tags: Vec<String> = vec![];
    for (i, t) in p.interests.iter().enumerate() {
        let t = t
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > MAX_INTEREST {
            return Err(too_long(&format!("interests[{i}]"), MAX_INTEREST));
        }
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    if tags.len() > MAX_INTERESTS {
        return Err(Error::invalid(
            "interests",
            format!("at most {MAX_INTERESTS} interests"),
        ));
    }
    p.interests = tags;
    p.links
        .retain(|l| !(l.url.trim().is_empty() && l.label.trim().is_empty()));
    if p.links.len() > MAX_LINKS {
        return Err(Error::invalid(
            "links",
            format!("at most {MAX_LINKS} links"),
        ));
    }
    for (i, l) in p.links.iter_mut().enumerate() {
        l.label = l.label.trim().to_owned();
        l.url = l.url.trim().to_owned();
        if l.label.chars().count() > 40 {
            return Err(too_long(&format!("links[{i}].label"), 40));
        }
        check_url(&format!("links[{i}].url"), &l.url, true)?;
    }
    if !p.photo_url.is_empty() {
        check_url("photo_url", &p.photo_url, false)?;
    }
    Ok(p)
}

/// Parse a profile input from JSON, naming the field at fault.
pub fn input_from_json(v: serde_json::Value) -> Result<ProfileInput> {
    serde_path_to_error::deserialize::<_, ProfileInput>(v).map_err(|e| {
        let path = e.path().to_string();
        Error::invalid(
            if path == "." { "profile".into() } else { path },
            e.inner().to_string(),
        )
    })
}

/// A participant's profile, if they ever saved one.
pub async fn profile(core: &Core, participant_id: &str) -> Result<Option<Profile>> {
    Ok(profiles(core)
        .find_one(doc! { "participant_id": participant_id })
        .await?)
}

fn display_name(p: &Participant) -> String {
    if p.input.name.trim().is_empty() {
        p.input
            .email
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned()
    } else {
        p.input.name.trim().to_owned()
    }
}

/// Create or replace a participant's profile (edited by themselves in the portal).
pub async fn save_profile(
    core: &Core,
    participant_id: &str,
    input: ProfileInput,
) -> Result<Profile> {
    let input = normalise(input)?;
    let p = participants::get(core, participant_id).await?;
    let now = time::now();
    let name = display_name(&p);
    let mut set = time::to_doc(&input)?;
    set.insert("name", &name);
    set.insert("name_key", crate::text::fold(&name));
    set.insert("event_id", &p.event_id);
    let update = crate::db::stamp(
        core,
        doc! {
            "$set": set,
            "$setOnInsert": {
                "_id": uuid::Uuid::now_v7().to_string(),
                "participant_id": participant_id,
                "created_at": bson::DateTime::from_chrono(now),
            },
        },
        now,
    );
    let mut tries = 0;
    loop {
        let r = profiles(core)
            .find_one_and_update(doc! { "participant_id": participant_id }, update.clone())
            .upsert(true)
            .return_document(mongodb::options::ReturnDocument::After)
            .await;
        match r {
            Ok(Some(p)) => return Ok(p),
            Ok(None) if tries < 3 => tries += 1,
            Ok(None) => return Err(Error::internal("the profile was not stored")),
            Err(e) if tries < 3 && Error::from(e.clone()).code == Code::Duplicate => tries += 1,
            Err(e) => return Err(e.into()),
        }
    }
}

/// The participant behind `id`, who must be of `event_id`.
async fn participant_of(core: &Core, event_id: &str, id: &str) -> Result<Participant> {
    let p = participants::get(core, id).await?;
    if p.event_id != event_id {
        return Err(Error::not_found(format!("participant {id}")));
    }
    Ok(p)
}

fn not_visible() -> Error {
    Error::new(
        Code::NotFound,
        "this person is not in the networking directory",
    )
}

async fn opted_in_profile(core: &Core, participant_id: &str) -> Result<Option<Profile>> {
    Ok(profiles(core)
        .find_one(doc! { "participant_id": participant_id, "opted_in": true })
        .await?)
}

/// A card from a profile; `email` only when `with_email` and the person shares it.
fn card(profile: &Profile, participant: Option<&Participant>, with_email: bool) -> Card {
    Card {
        participant_id: profile.participant_id.clone(),
        name: participant.map_or_else(|| profile.name.clone(), display_name),
        headline: profile.input.headline.clone(),
        company: profile.input.company.clone(),
        interests: profile.input.interests.clone(),
        links: profile.input.links.clone(),
        photo_url: profile.input.photo_url.clone(),
        email: participant
            .filter(|_| with_email && profile.input.share_email)
            .map(|p| p.input.email.clone()),
    }
}

/// Cards of several participants. Without a profile (or, when `opted_only`, without an
/// opt-in) a person gets a bare card with their name only, never more.
async fn cards(
    core: &Core,
    ids: &[String],
    with_email: &(dyn Fn(&str) -> bool + Sync),
) -> Result<HashMap<String, Card>> {
    let profs: Vec<Profile> = profiles(core)
        .find(doc! { "participant_id": { "$in": ids } })
        .await?
        .try_collect()
        .await?;
    let people: Vec<Participant> = core
        .db()
        .collection::<Participant>(participants::schema::PARTICIPANTS)
        .find(doc! { "_id": { "$in": ids } })
        .await?
        .try_collect()
        .await?;
    let mut out = HashMap::new();
    for id in ids {
        let person = people.iter().find(|p| &p.id == id);
        let c = match profs.iter().find(|p| &p.participant_id == id) {
            Some(prof) => card(prof, person, with_email(id)),
            None => Card {
                participant_id: id.clone(),
                name: person.map(display_name).unwrap_or_default(),
                ..Card::default()
            },
        };
        out.insert(id.clone(), c);
    }
    Ok(out)
}

/// The opted-in directory of an event (at most 200 people, by name), optionally filtered
/// by words found in the name, company, headline or interests. The viewer is left out.
pub async fn directory(
    core: &Core,
    event_id: &str,
    viewer: &str,
    query: Option<&str>,
) -> Result<Vec<Card>> {
    let mut f =
        doc! { "event_id": event_id, "opted_in": true, "participant_id": { "$ne": viewer } };
    if let Some(q) = query.map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().count() > 100 {
            return Err(too_long("q", 100));
        }
        let rx = doc! { "$regex": crate::text::regex_escape(q), "$options": "i" };
        f.insert(
            "$or",
            vec![
                doc! { "name": rx.clone() },
                doc! { "company": rx.clone() },
                doc! { "headline": rx.clone() },
                doc! { "interests": rx },
            ],
        );
    }
    let profs: Vec<Profile> = profiles(core)
        .find(f)
        .sort(doc! { "name_key": 1 })
        .limit(200)
        .await?
        .try_collect()
        .await?;
    Ok(profs.iter().map(|p| card(p, None, false)).collect())
}

fn pair(x: &str, y: &str) -> (String, String) {
    if x < y {
        (x.to_owned(), y.to_owned())
    } else {
        (y.to_owned(), x.to_owned())
    }
}

/// The connection between two participants of an event, if any.
pub async fn connection_between(
    core: &Core,
    event_id: &str,
    x: &str,
    y: &str,
) -> Result<Option<Connection>> {
    let (a, b) = pair(x, y);
    Ok(connections(core)
        .find_one(doc! { "event_id": event_id, "a": a, "b": b })
        .await?)
}

/// Resolve a badge code (`EVENTHUB:{event}:{participant}`, as scanned or typed) to the
/// participant id it names, within `event_id`.
pub fn parse_badge_code(event_id: &str, code: &str) -> Result<String> {
    let code = code.trim();
    match code.splitn(3, ':').collect::<Vec<_>>().as_slice() {
        [tag, ev, id] if tag.eq_ignore_ascii_case("EVENTHUB") && !id.is_empty() => {
            if *ev != event_id {
                Err(Error::invalid("code", "this badge is for another event"))
            } else {
                Ok((*id).to_owned())
            }
        }
        _ => Err(Error::invalid(
            "code",
            "not an EventHub badge code (EVENTHUB:…)",
        )),
    }
}

/// Ask `to` to connect. Both must be opted-in participants of the same event. If `to`
/// already asked `from`, this accepts their request; asking twice changes nothing.
pub async fn request(core: &Core, from: &str, to: &str) -> Result<Connection> {
    if from == to {
        return Err(Error::invalid("to", "you cannot connect with yourself"));
    }
    let me = participants::get(core, from).await?;
    let event_id = me.event_id.clone();
    if opted_in_profile(core, from).await?.is_none() {
        return Err(Error::new(
            Code::Unsupported,
            "turn on your networking profile first",
        ));
    }
    participant_of(core, &event_id, to)
        .await
        .map_err(|_| not_visible())?;
    if opted_in_profile(core, to).await?.is_none() {
        return Err(not_visible());
    }
    for _ in 0..3 {
        if let Some(c) = connection_between(core, &event_id, from, to).await? {
            return match c.status {
                ConnectionStatus::Accepted => Ok(c),
                // They asked (pending, or once ignored by me): asking back is consent.
                _ if c.requested_by == to => respond(core, from, &c.id, true).await,
                // My own earlier request: unchanged (ignored stays silently ignored).
                _ => Ok(c),
            };
        }
        let now = time::now();
        let (a, b) = pair(from, to);
        let c = Connection {
            id: uuid::Uuid::now_v7().to_string(),
            event_id: event_id.clone(),
            a,
            b,
            requested_by: from.to_owned(),
            status: ConnectionStatus::Pending,
            note_a: String::new(),
            note_b: String::new(),
            requested_at: now,
            accepted_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
            updated_by: core.actor().to_owned(),
        };
        match connections(core).insert_one(&c).await {
            Ok(_) => return Ok(c),
            // The other person asked at the same moment: read theirs and go again.
            Err(e) if Error::from(e.clone()).code == Code::Duplicate => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::new(Code::Conflict, "please try again"))
}

/// Ask to connect with whoever a scanned or typed badge code names.
pub async fn request_by_code(core: &Core, from: &str, code: &str) -> Result<Connection> {
    let me = participants::get(core, from).await?;
    let to = parse_badge_code(&me.event_id, code)?;
    request(core, from, &to).await
}

async fn connection_for(core: &Core, me: &str, connection_id: &str) -> Result<Connection> {
    connections(core)
        .find_one(doc! { "_id": connection_id })
        .await?
        .filter(|c| c.involves(me))
        .ok_or_else(|| Error::not_found("connection"))
}

/// Accept (`true`) or ignore a request addressed to `me`.
pub async fn respond(
    core: &Core,
    me: &str,
    connection_id: &str,
    accept: bool,
) -> Result<Connection> {
    let c = connection_for(core, me, connection_id).await?;
    if c.requested_by == me {
        return Err(Error::invalid(
            "connection",
            "only the person you asked can answer this request",
        ));
    }
    if c.status == ConnectionStatus::Accepted {
        return Ok(c);
    }
    if accept && opted_in_profile(core, me).await?.is_none() {
        return Err(Error::new(
            Code::Unsupported,
            "turn on your networking profile first",
        ));
    }
    let now = bson::DateTime::from_chrono(time::now());
    let mut set = doc! {};
    if accept {
        set.insert("status", "accepted");
        set.insert("accepted_at", now);
    } else {
        set.insert("status", "ignored");
    }
    connections(core)
        .find_one_and_update(
            doc! { "_id": connection_id, "version": c.version },
            crate::db::stamp(core, doc! { "$set": set }, now),
        )
        .return_document(mongodb::options::ReturnDocument::After)
        .await?
        .ok_or_else(|| Error::new(Code::Conflict, "the request changed meanwhile: reload"))
}

/// Keep a private note about an accepted connection (only `me` ever sees it).
pub async fn set_note(
    core: &Core,
    me: &str,
    connection_id: &str,
    note: &str,
) -> Result<Connection> {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(too_long("note", MAX_NOTE));
    }
    let c = connection_for(core, me, connection_id).await?;
    if c.status != ConnectionStatus::Accepted {
        return Err(Error::invalid(
            "connection",
            "notes are kept for accepted connections",
        ));
    }
    let field = if c.a == me { "note_a" } else { "note_b" };
    connections(core)
        .find_one_and_update(
            doc! { "_id": connection_id },
            crate::db::stamp(core, doc! { "$set": { field: note } }, time::now()),
        )
        .return_document(mongodb::options::ReturnDocument::After)
        .await?
        .ok_or_else(|| Error::not_found("connection"))
}

/// Everything `me` is part of: accepted connections, requests to answer, requests sent
/// (ignored ones look pending to their sender; requests `me` ignored are left out).
/// Newest first.
pub async fn list(core: &Core, me: &str) -> Result<Vec<ConnectionView>> {
    let mut all: Vec<Connection> = connections(core)
        .find(doc! { "a": me })
        .await?
        .try_collect()
        .await?;
    let as_b: Vec<Connection> = connections(core)
        .find(doc! { "b": me })
        .await?
        .try_collect()
        .await?;
    all.extend(as_b);
    all.retain(|c| !(c.status == ConnectionStatus::Ignored && c.requested_by != me));
    all.sort_by(|x, y| {
        y.accepted_at
            .unwrap_or(y.requested_at)
            .cmp(&x.accepted_at.unwrap_or(x.requested_at))
    });
    let others: Vec<String> = all.iter().map(|c| c.other(me).to_owned()).collect();
    let accepted: Vec<String> = all
        .iter()
        .filter(|c| c.status == ConnectionStatus::Accepted)
        .map(|c| c.other(me).to_owned())
        .collect();
    let cards = cards(core, &others, &|id| accepted.iter().any(|x| x == id)).await?;
    Ok(all
        .into_iter()
        .map(|c| {
            let other = c.other(me).to_owned();
            ConnectionView {
                connection_id: c.id.clone(),
                status: if c.status == ConnectionStatus::Ignored {
                    ConnectionStatus::Pending
                } else {
                    c.status
                },
                direction: if c.requested_by == me {
                    Direction::Outgoing
                } else {
                    Direction::Incoming
                },
                other: cards.get(&other).cloned().unwrap_or_default(),
                note: if c.status == ConnectionStatus::Accepted {
                    c.note_of(me).to_owned()
                } else {
                    String::new()
                },
                requested_at: c.requested_at,
                accepted_at: c.accepted_at,
            }
        })
        .collect())
}

/// The accepted connections of `me` only.
pub async fn accepted(core: &Core, me: &str) -> Result<Vec<ConnectionView>> {
    let mut v = list(core, me).await?;
    v.retain(|c| c.status == ConnectionStatus::Accepted);
    Ok(v)
}

/// One accepted connection of `me`, as they see it.
pub async fn get_connection(core: &Core, me: &str, connection_id: &str) -> Result<ConnectionView> {
    list(core, me)
        .await?
        .into_iter()
        .find(|c| c.connection_id == connection_id)
        .ok_or_else(|| Error::not_found("connection"))
}

// ---- meetings ---------------------------------------------------------------------------

/// Propose a meeting to an accepted connection: 1–5 start times during the event,
/// `duration` minutes (5–240), an optional place.
pub async fn propose_meeting(
    core: &Core,
    me: &str,
    connection_id: &str,
    slots: Vec<chrono::DateTime<chrono::Utc>>,
    duration: i32,
    place: &str,
) -> Result<Meeting> {
    let c = connection_for(core, me, connection_id).await?;
    if c.status != ConnectionStatus::Accepted {
        return Err(Error::invalid(
            "connection",
            "you can propose a meeting once connected",
        ));
    }
    if slots.is_empty() {
        return Err(Error::invalid("slots", "propose at least one time"));
    }
    if slots.len() > MAX_SLOTS {
        return Err(Error::invalid(
            "slots",
            format!("at most {MAX_SLOTS} times"),
        ));
    }
    if !(5..=240).contains(&duration) {
        return Err(Error::invalid("duration", "from 5 to 240 minutes"));
    }
    let place = place.trim();
    if place.chars().count() > MAX_PLACE {
        return Err(too_long("place", MAX_PLACE));
    }
    let event = crate::events::get(core, &c.event_id).await?;
    for (i, s) in slots.iter().enumerate() {
        if *s < event.input.starts_at || *s >= event.input.ends_at {
            return Err(Error::invalid(
                format!("slots[{i}]"),
                "must be during the event",
            ));
        }
    }
    let mut slots: Vec<_> = slots
        .into_iter()
        .map(|s| bson::DateTime::from_chrono(s).to_chrono())
        .collect();
    slots.sort();
    slots.dedup();
    let now = time::now();
    let m = Meeting {
        id: uuid::Uuid::now_v7().to_string(),
        event_id: c.event_id.clone(),
        connection_id: c.id.clone(),
        proposer: me.to_owned(),
        invitee: c.other(me).to_owned(),
        slots,
        duration,
        place: place.to_owned(),
        status: MeetingStatus::Proposed,
        chosen: None,
        version: 1,
        created_at: now,
        updated_at: now,
        updated_by: core.actor().to_owned(),
    };
    meetings(core).insert_one(&m).await?;
    Ok(m)
}

async fn meeting_for(core: &Core, me: &str, meeting_id: &str) -> Result<Meeting> {
    meetings(core)
        .find_one(doc! { "_id": meeting_id })
        .await?
        .filter(|m| m.proposer == me || m.invitee == me)
        .ok_or_else(|| Error::not_found("meeting"))
}

async fn set_meeting(core: &Core, m: &Meeting, set: Document) -> Result<Meeting> {
    meetings(core)
        .find_one_and_update(
            doc! { "_id": &m.id, "version": m.version },
            crate::db::stamp(core, doc! { "$set": set }, time::now()),
        )
        .return_document(mongodb::options::ReturnDocument::After)
        .await?
        .ok_or_else(|| Error::new(Code::Conflict, "the meeting changed meanwhile: reload"))
}

/// The invitee accepts one of the proposed slots (`Some(index)`) or declines (`None`).
pub async fn answer_meeting(
    core: &Core,
    me: &str,
    meeting_id: &str,
    slot: Option<usize>,
) -> Result<Meeting> {
    let m = meeting_for(core, me, meeting_id).await?;
    if m.invitee != me {
        return Err(Error::invalid(
            "meeting",
            "only the person invited answers a meeting request",
        ));
    }
    if m.status != MeetingStatus::Proposed {
        return Err(Error::new(
            Code::Conflict,
            format!("this meeting is already {}", m.status.as_str()),
        ));
    }
    match slot {
        Some(i) => {
            let at = *m
                .slots
                .get(i)
                .ok_or_else(|| Error::invalid("slot", "not one of the proposed times"))?;
            set_meeting(
                core,
                &m,
                doc! { "status": "accepted", "chosen": bson::DateTime::from_chrono(at) },
            )
            .await
        }
        None => set_meeting(core, &m, doc! { "status": "declined" }).await,
    }
}

/// Either side cancels a meeting that is proposed or accepted.
pub async fn cancel_meeting(core: &Core, me: &str, meeting_id: &str) -> Result<Meeting> {
    let m = meeting_for(core, me, meeting_id).await?;
    if !matches!(m.status, MeetingStatus::Proposed | MeetingStatus::Accepted) {
        return Err(Error::new(
            Code::Conflict,
            format!("this meeting is already {}", m.status.as_str()),
        ));
    }
    set_meeting(core, &m, doc! { "status": "cancelled" }).await
}

/// The meetings of `me`, soonest first (by chosen time, else first proposed slot).
pub async fn meetings_of(core: &Core, me: &str) -> Result<Vec<MeetingView>> {
    let mut all: Vec<Meeting> = meetings(core)
        .find(doc! { "proposer": me })
        .await?
        .try_collect()
        .await?;
    let invited: Vec<Meeting> = meetings(core)
        .find(doc! { "invitee": me })
        .await?
        .try_collect()
        .await?;
    all.extend(invited);
    let key = |m: &Meeting| m.chosen.or_else(|| m.slots.first().copied());
    all.sort_by_key(key);
    let others: Vec<String> = all
        .iter()
        .map(|m| {
            if m.proposer == me {
                m.invitee.clone()
            } else {
                m.proposer.clone()
            }
        })
        .collect();
    let cards = cards(core, &others, &|_| true).await?;
    Ok(all
        .into_iter()
        .zip(others)
        .map(|(m, other)| MeetingView {
            to_answer: m.invitee == me && m.status == MeetingStatus::Proposed,
            other: cards.get(&other).cloned().unwrap_or_default(),
            meeting: m,
        })
        .collect())
}

pub(crate) fn num(b: Option<&Bson>) -> u64 {
    match b {
        Some(Bson::Int32(n)) => (*n).max(0) as u64,
        Some(Bson::Int64(n)) => (*n).max(0) as u64,
        Some(Bson::Double(n)) => n.max(0.0) as u64,
        _ => 0,
    }
}

/// Keeps a connection's pair in order (`a` < `b`) with each side's note after one of its
/// ids was rewritten.
fn fix_pair(d: &mut Document) {
    let a = d.get_str("a").unwrap_or_default().to_owned();
    let b = d.get_str("b").unwrap_or_default().to_owned();
    if a > b {
        let note_a = d.get("note_a").cloned();
        let note_b = d.get("note_b").cloned();
        d.insert("a", b);
        d.insert("b", a);
        match note_b {
            Some(n) => d.insert("note_a", n),
            None => d.remove("note_a"),
        };
        match note_a {
            Some(n) => d.insert("note_b", n),
            None => d.remove("note_b"),
        };
    }
}

/// How networking syncs: profiles (one per participant), connections (one per pair) and
/// meetings are versioned and deleted outright by an erasure; erasures are kept with
/// their time, the latest winning.
pub fn sync_specs() -> Vec<crate::db::SyncSpec> {
    use crate::db::{Policy, Reference, SyncSpec};
    const PARTICIPANTS: &str = participants::schema::PARTICIPANTS;
    vec![
        SyncSpec {
            natural_key: &["participant_id"],
            hard_delete: true,
            references: &[Reference {
                target: PARTICIPANTS,
                fields: &["participant_id"],
                fixup: None,
            }],
            ..SyncSpec::new(PROFILES, Policy::Versioned)
        },
        SyncSpec {
            natural_key: &["event_id", "a", "b"],
            hard_delete: true,
            references: &[Reference {
                target: PARTICIPANTS,
                fields: &["a", "b", "requested_by"],
                fixup: Some(fix_pair),
            }],
            merge_skip: &["requested_at", "requested_by"],
            defaults: &[("status", "pending")],
            ..SyncSpec::new(CONNECTIONS, Policy::Versioned)
        },
        SyncSpec {
            hard_delete: true,
            references: &[Reference {
                target: PARTICIPANTS,
                fields: &["proposer", "invitee"],
                fixup: None,
            }],
            ..SyncSpec::new(MEETINGS, Policy::Versioned)
        },
        SyncSpec {
            natural_key: &["_id"],
            ..SyncSpec::new(ERASURES, Policy::Keyed)
        },
    ]
}
