//! Synthetic data for the lab in the app's own document shapes: events (with the derived
//! search keys of `events::create`), participants (built by `participants::build`: typed
//! and normalised e-mail, search and sort keys, hashed invitation tokens, tombstones),
//! feedback answers (`feedback::Answer`) and networking connections
//! (`networking::Connection`), in the app's collections.
//!
//! Deterministic: document `i` of a collection is a pure function of `(seed, collection, i)`
//! (its own small PRNG), so the same seed gives the same data whatever the batch size, and
//! a run can be reproduced on another machine. Dates are relative to a fixed epoch, not to
//! today, for the same reason.

use std::sync::atomic::AtomicBool;

use bson::{doc, Bson, Document};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::{
    cancelled, check_lab_db, Progress, ProgressFn, ANSWERS, CONNECTIONS, EVENTS, LAB_COLLECTIONS,
    PARTICIPANTS,
};
use crate::{
    events::{EventInput, GeoPoint, Session, Speaker, Status, Venue},
    text, time, Core, Error, Result,
};

pub const MIN_SCALE: u64 = 100;
pub const MAX_SCALE: u64 = 2_000_000;
const BATCH: u64 = 1000;

/// A small, fast, well-mixed PRNG (SplitMix64): stable across platforms and versions,
/// which a library RNG does not promise.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The generator of document `i` of `collection` for `seed`.
    pub fn for_doc(seed: u64, collection: &str, i: u64) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in collection.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut r = Rng(seed ^ h ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, n)`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }

    /// Skewed towards 0 (a few popular items, a long tail): like real events' audiences.
    pub fn skewed(&mut self, n: u64) -> u64 {
        let u = self.unit();
        ((u * u * u) * n as f64) as u64 % n.max(1)
    }

    /// Pick by weights.
    pub fn weighted<'a, T>(&mut self, v: &'a [(T, u32)]) -> &'a T {
        let total: u32 = v.iter().map(|x| x.1).sum();
        let mut r = self.below(u64::from(total)) as u32;
        for (x, w) in v {
            if r < *w {
                return x;
            }
            r -= w;
        }
        &v[v.len() - 1].0
    }
}

/// How many documents of each collection a scale (total documents) means.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
#[ts(rename = "LabCounts")]
pub struct Counts {
    pub events: u64,
    pub participants: u64,
    pub answers: u64,
    /// Networking connections (runs saved before the lab used the app's collections
    /// counted "interactions" here).
    #[serde(alias = "interactions")]
    pub connections: u64,
}

impl Counts {
    /// 5 % events, 50 % participants, 30 % feedback answers, 15 % networking connections.
    pub fn for_scale(scale: u64) -> Counts {
        let events = (scale / 20).max(5);
        let participants = scale / 2;
        let answers = scale * 3 / 10;
        let connections = scale.saturating_sub(events + participants + answers);
        Counts {
            events,
            participants,
            answers,
            connections,
        }
    }

    pub fn total(&self) -> u64 {
        self.events + self.participants + self.answers + self.connections
    }

    pub fn of(&self, collection: &str) -> u64 {
        match collection {
            EVENTS => self.events,
            PARTICIPANTS => self.participants,
            ANSWERS => self.answers,
            CONNECTIONS => self.connections,
            _ => 0,
        }
    }
}

/// What the generator stores about a data set (in the lab database, `_lab_meta`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
#[ts(rename = "LabDataSet")]
pub struct DataSet {
    pub scale: u64,
    pub seed: u64,
    pub counts: Counts,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub generated_at: DateTime<Utc>,
    pub seconds: f64,
    /// True when generation was cancelled: the data set is incomplete.
    pub cancelled: bool,
}

pub const META: &str = "_lab_meta";

/// The fixed epoch of generated dates (so data is the same whatever day it is generated).
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

const TOPICS: &[&str] = &[
    "Cloud",
    "Données",
    "IA",
    "Cybersécurité",
    "Marketing",
    "RH",
    "Finance",
    "Design",
    "DevOps",
    "Mobilité",
    "Énergie",
    "Santé",
    "Retail",
    "Logistique",
    "Innovation",
    "RSE",
    "Product",
    "Data Science",
    "Open Source",
    "Événementiel",
];
const FORMATS: &[&str] = &[
    "Conférence",
    "Atelier",
    "Salon",
    "Forum",
    "Meetup",
    "Séminaire",
    "Summit",
    "Journée",
    "Webinar",
    "Hackathon",
    "Masterclass",
    "Table ronde",
];
const TAGS: &[&str] = &[
    "tech",
    "cloud",
    "ia",
    "data",
    "marketing",
    "rh",
    "finance",
    "design",
    "devops",
    "networking",
    "workshop",
    "keynote",
    "interne",
    "client",
    "partenaires",
    "salon",
    "rse",
    "innovation",
    "sécurité",
    "mobilité",
    "santé",
    "retail",
    "formation",
    "lancement",
    "presse",
    "recrutement",
    "startup",
    "b2b",
    "export",
    "webinar",
];
/// Real venues with their coordinates `(name, city, lng, lat)`.
const VENUES: &[(&str, &str, f64, f64)] = &[
    ("Palais des Congrès", "Paris", 2.2833, 48.8789),
    ("Station F", "Paris", 2.3708, 48.8339),
    ("Paris Expo Porte de Versailles", "Paris", 2.2875, 48.8323),
    ("Cité Internationale", "Lyon", 4.8520, 45.7840),
    ("Centre de Congrès", "Lyon", 4.8545, 45.7835),
    ("Palais du Pharo", "Marseille", 5.3600, 43.2930),
    (
        "Centre des Congrès Pierre Baudis",
        "Toulouse",
        1.4338,
        43.6107,
    ),
    ("Cité des Congrès", "Nantes", -1.5446, 47.2137),
    (
        "Palais de la Musique et des Congrès",
        "Strasbourg",
        7.7570,
        48.5950,
    ),
    ("Lille Grand Palais", "Lille", 3.0768, 50.6318),
    ("Palais des Festivals", "Cannes", 7.0177, 43.5508),
    ("Acropolis", "Nice", 7.2760, 43.7060),
    ("Couvent des Jacobins", "Rennes", -1.6800, 48.1130),
    ("Palais de la Bourse", "Bordeaux", -0.5700, 44.8420),
    ("Le Corum", "Montpellier", 3.8820, 43.6140),
    ("ExCeL", "London", 0.0290, 51.5080),
    ("RAI", "Amsterdam", 4.8890, 52.3410),
    ("Messe", "Berlin", 13.2700, 52.5070),
    ("SQUARE", "Bruxelles", 4.3570, 50.8430),
    ("Palexpo", "Genève", 6.1120, 46.2340),
];
const FIRST: &[&str] = &[
    "Amélie", "Karim", "Sophie", "James", "Hélène", "Lena", "Marc", "Zoé", "Thomas", "Inès",
    "Lucas", "Chloé", "Hugo", "Léa", "Nathan", "Camille", "Yanis", "Manon", "Louis", "Sarah",
    "Jules", "Emma", "Adam", "Jade", "Raphaël", "Louise", "Arthur", "Alice", "Gabriel", "Maëlys",
];
const LAST: &[&str] = &[
    "Durand", "Benali", "Martin", "O'Neill", "Roche", "Fischer", "Aubry", "Dupont", "Bernard",
    "Petit", "Robert", "Richard", "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy",
    "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Nguyen", "Diallo",
    "Garcia", "Müller", "Rossi",
];
const COMPANIES: &[&str] = &[
    "Lumière",
    "BilletFacile",
    "Orange",
    "Capgemini",
    "Decathlon",
    "Michelin",
    "Airbus",
    "Thales",
    "Sopra Steria",
    "Doctolib",
    "BlaBlaCar",
    "Ubisoft",
    "Dassault Systèmes",
    "OVHcloud",
    "Mirakl",
    "Qonto",
    "Alan",
    "Back Market",
    "Criteo",
    "Ledger",
];
const DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "exemple.fr"];
/// Deterministic v7-shaped id: time-ordered like the app's ids, random bits from `rng`.
fn id(rng: &mut Rng, at: DateTime<Utc>) -> String {
    let mut bytes = [0u8; 10];
    let a = rng.next_u64().to_le_bytes();
    let b = rng.next_u64().to_le_bytes();
    bytes[..8].copy_from_slice(&a);
    bytes[8..].copy_from_slice(&b[..2]);
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &bytes)
        .into_uuid()
        .to_string()
}

/// The id of event `i` (participants and answers refer to it without reading it back).
pub fn event_id(seed: u64, i: u64) -> String {
    let mut rng = Rng::for_doc(seed, EVENTS, i);
    let starts = event_start(&mut rng);
    id(&mut rng, starts)
}

fn event_start(rng: &mut Rng) -> DateTime<Utc> {
    // Four years around the epoch, on the hour, between 8:00 and 18:00 UTC.
    let day = rng.below(4 * 365) as i64 - 2 * 365;
    let hour = 7 + rng.below(10) as i64;
    epoch() + Duration::days(day) + Duration::hours(hour)
}

fn bdate(d: DateTime<Utc>) -> Bson {
    Bson::DateTime(bson::DateTime::from_chrono(d))
}

/// Event `i`: the real stored shape, with the same derived keys as `events::create`.
pub fn event(seed: u64, i: u64) -> Result<Document> {
    let mut rng = Rng::for_doc(seed, EVENTS, i);
    let starts = event_start(&mut rng);
    let id = id(&mut rng, starts);
    let days = *rng.weighted(&[(0i64, 70), (1, 20), (2, 10)]);
    let ends = starts + Duration::days(days) + Duration::hours(3 + rng.below(7) as i64);
    let (vname, city, lng, lat) = *rng.pick(VENUES);
    let format = *rng.pick(FORMATS);
    let topic = *rng.pick(TOPICS);
    let title = format!("{format} {topic} {city} #{i}");
    let status = *rng.weighted(&[
        (Status::Published, 60),
        (Status::Draft, 20),
        (Status::Cancelled, 5),
        (Status::Archived, 15),
    ]);
    let mut tags: Vec<String> = (0..1 + rng.below(4))
        .map(|_| rng.pick(TAGS).to_string())
        .collect();
    tags.sort();
    tags.dedup();
    let speakers: Vec<Speaker> = (0..rng.below(5))
        .map(|k| Speaker {
            id: format!("s{k}"),
            name: format!("{} {}", rng.pick(FIRST), rng.pick(LAST)),
            title: format!("Expert·e {topic}, {}", rng.pick(COMPANIES)),
            bio: String::new(),
            links: vec![],
            photo_url: None,
        })
        .collect();
    let sessions: Vec<Session> = (0..rng.below(4) as i64)
        .map(|k| Session {
            id: format!("x{k}"),
            title: format!("{} {topic} — partie {}", rng.pick(FORMATS), k + 1),
            summary: String::new(),
            starts_at: starts + Duration::minutes(60 * k),
            ends_at: starts + Duration::minutes(60 * k + 45),
            room: format!("Salle {}", k + 1),
            speaker_ids: speakers
                .get(k as usize)
                .map(|s| vec![s.id.clone()])
                .unwrap_or_default(),
            capacity: None,
        })
        .collect();
    let level = *rng.pick(&["beginner", "intermediate", "advanced"]);
    let mut custom = serde_json::Map::new();
    custom.insert("budget_eur".into(), (1000 * (5 + rng.below(200))).into());
    if rng.below(3) == 0 {
        custom.insert("level".into(), level.into());
    }
    let input = EventInput {
        title: title.clone(),
        description: format!(
            "{format} consacré·e à {topic} à {city} : retours d'expérience, ateliers et networking."
        ),
        starts_at: starts,
        ends_at: ends,
        timezone: "Europe/Paris".into(),
        venue: Venue {
            name: vname.into(),
            address: city.into(),
            location: Some(GeoPoint::new(
                lng + (rng.unit() - 0.5) * 0.02,
                lat + (rng.unit() - 0.5) * 0.02,
            )),
        },
        status,
        tags: tags.clone(),
        capacity: Some(50 + 50 * rng.below(40) as u32),
        speakers,
        sessions,
        seating: vec![],
        custom,
    };
    // The same derived keys as events the app creates.
    let (search_terms, venue_key, title_key) = crate::events::derive(&input);
    let created = starts - Duration::days(30 + rng.below(90) as i64);
    let updated = created + Duration::days(rng.below(30) as i64);
    let mut d = time::to_doc(&input)?;
    d.insert("_id", id);
    d.insert("created_at", bdate(created));
    // An invented history: a few versions, last written some days after creation.
    crate::db::stamp_document(
        &mut d,
        1 + rng.below(5) as i64,
        Some(bdate(updated)),
        Some("lab@eventhub".into()),
    );
    let keys = crate::events::search_keys(&search_terms);
    d.insert("search_terms", search_terms);
    d.insert("venue_key", venue_key);
    d.insert("title_key", title_key);
    // 2 % tombstones, like a real base where people delete.
    d.insert(
        "deleted_at",
        if rng.below(50) == 0 {
            bdate(updated)
        } else {
            Bson::Null
        },
    );
    // The folded word prefixes the search reads; a tombstone has none (`events::delete`).
    let gone = !matches!(d.get("deleted_at"), Some(Bson::Null));
    d.insert("search_keys", if gone { vec![] } else { keys });
    Ok(d)
}

/// The participant index behind document `i` of a participant-referring collection.
fn participant_of(rng: &mut Rng, counts: &Counts) -> u64 {
    rng.below(counts.participants.max(1))
}

/// The random stream of participant `i`, positioned after its id and creation date.
fn participant_head(seed: u64, i: u64) -> (Rng, String, DateTime<Utc>) {
    let mut rng = Rng::for_doc(seed, PARTICIPANTS, i);
    let created =
        epoch() - Duration::days(730) + Duration::minutes(rng.below(4 * 365 * 1440) as i64);
    let id = id(&mut rng, created);
    (rng, id, created)
}

/// The id of participant `i` (answers and connections refer to it without reading it back).
pub fn participant_id(seed: u64, i: u64) -> String {
    participant_head(seed, i).1
}

/// The personal invitation token of participant `i` (stored hashed, as the app stores it).
pub fn participant_token(seed: u64, i: u64) -> String {
    format!(
        "lab-{seed}-{i}-{}",
        participant_id(seed, i).replace('-', "")
    )
}

/// The event index of participant `i` (skewed: a few popular events, a long tail).
fn participant_event(rng: &mut Rng, events: u64) -> u64 {
    rng.skewed(events)
}

/// Participant `i` of a data set with `events` events: the app's stored shape (built by
/// the same `participants::build` as a manual add or an import), e-mail as typed and
/// normalised, derived search and sort keys, status dates, a hashed invitation token.
pub fn participant(seed: u64, i: u64, events: u64) -> Document {
    participant_doc(seed, i, events).unwrap_or_default()
}

fn participant_doc(seed: u64, i: u64, events: u64) -> Result<Document> {
    use crate::participants::{self, Invitation, InvitationStatus, RsvpStatus, Source};
    let (mut rng, pid, created) = participant_head(seed, i);
    let ev = participant_event(&mut rng, events);
    let first = *rng.pick(FIRST);
    let last = *rng.pick(LAST);
    let status = *rng.weighted(&[
        (RsvpStatus::Invited, 25),
        (RsvpStatus::Accepted, 35),
        (RsvpStatus::Declined, 10),
        (RsvpStatus::Tentative, 8),
        (RsvpStatus::Waitlisted, 5),
        (RsvpStatus::CheckedIn, 12),
        (RsvpStatus::Cancelled, 5),
    ]);
    // As people type them: capitals, sometimes spaces around.
    let email = format!(
        "{}.{}.{i}@{}",
        text::fold(first).replace(' ', ""),
        text::fold(last).replace(['\'', ' '], ""),
        rng.pick(DOMAINS)
    );
    let email = if rng.below(4) == 0 {
        format!(" {}", email.to_uppercase())
    } else {
        email
    };
    let input = participants::ParticipantInput {
        name: format!("{first} {last}"),
        email: email.clone(),
        company: rng.pick(COMPANIES).to_string(),
        role: rng
            .pick(&[
                "Directeur·rice",
                "Cheffe de projet",
                "Développeur",
                "Acheteuse",
                "",
            ])
            .to_string(),
        phone: String::new(),
        custom: serde_json::Map::new(),
    };
    let norm = participants::normalise_email(&email);
    let mut p = participants::build(
        &event_id(seed, ev),
        input,
        norm,
        Source {
            kind: "import".into(),
            ..Source::default()
        },
        created,
        "lab@eventhub",
    );
    p.id = pid;
    p.status = status;
    let later = |r: &mut Rng| created + Duration::minutes(1 + r.below(60 * 24 * 30) as i64);
    if status != RsvpStatus::Invited {
        p.rsvp_at = Some(later(&mut rng));
    }
    match status {
        RsvpStatus::Waitlisted => p.waitlisted_at = Some(later(&mut rng)),
        RsvpStatus::CheckedIn => p.checked_in_at = Some(later(&mut rng)),
        _ => {}
    }
    // 80 % were sent a personal link (its hash only is stored).
    if rng.below(5) != 0 {
        p.invitation = Invitation {
            status: InvitationStatus::Sent,
            token_hash: Some(crate::invitations::links::hash_token(&participant_token(
                seed, i,
            ))),
            attempts: 1,
            sent_at: Some(created),
            ..Invitation::default()
        };
    }
    p.updated_at = p.rsvp_at.unwrap_or(created);
    p.version = 1 + i64::from(status != RsvpStatus::Invited);
    // 2 % tombstones, like a real base where people delete.
    if rng.below(50) == 0 {
        p.deleted_at = Some(p.updated_at);
    }
    time::to_doc(&p)
}

/// The questions of every generated event: six ratings (two per session), one
/// single-choice poll, one NPS and one free-text question.
pub const QUESTIONS: u64 = 9;

fn question_kind(q: u64) -> crate::feedback::QuestionKind {
    use crate::feedback::QuestionKind::*;
    match q {
        0..=5 => Rating,
        6 => Single,
        7 => Nps,
        _ => Text,
    }
}

/// Feedback answer `i`: the app's stored shape (`feedback::Answer`).
pub fn answer(seed: u64, i: u64, counts: &Counts) -> Result<Document> {
    use crate::feedback::{Answer, QuestionKind};
    let mut rng = Rng::for_doc(seed, ANSWERS, i);
    let ev = rng.skewed(counts.events);
    let q = rng.below(QUESTIONS);
    let kind = question_kind(q);
    let created =
        epoch() - Duration::days(730) + Duration::minutes(rng.below(4 * 365 * 1440) as i64);
    let who = participant_id(seed, participant_of(&mut rng, counts));
    let (num, choices, text) = match kind {
        QuestionKind::Rating => (Some(1 + rng.below(5) as i32), vec![], None),
        QuestionKind::Nps => (Some(rng.below(11) as i32), vec![], None),
        QuestionKind::Single | QuestionKind::Multiple => {
            (None, vec![format!("c{}", 1 + rng.below(4))], None)
        }
        QuestionKind::Text => (
            None,
            vec![],
            Some(
                rng.pick(&[
                    "Très bien",
                    "Trop long",
                    "Excellent intervenant",
                    "Salle trop petite",
                    "À refaire",
                ])
                .to_string(),
            ),
        ),
    };
    let a = Answer {
        id: id(&mut rng, created),
        event_id: event_id(seed, ev),
        session_id: (q < 7).then(|| format!("x{}", q % 3)),
        question_id: format!("{}-q{q}", event_id(seed, ev)),
        kind,
        respondent: who.clone(),
        participant_id: Some(who),
        num,
        choices,
        text,
        version: 1,
        created_at: created,
        updated_at: created,
        updated_by: "lab@eventhub".into(),
    };
    time::to_doc(&a)
}

/// Networking connection `i`: the app's stored shape (`networking::Connection`).
pub fn connection(seed: u64, i: u64, counts: &Counts) -> Result<Document> {
    use crate::networking::{Connection, ConnectionStatus};
    let mut rng = Rng::for_doc(seed, CONNECTIONS, i);
    let ev = rng.skewed(counts.events);
    let asked =
        epoch() - Duration::days(730) + Duration::seconds(rng.below(4 * 365 * 86400) as i64);
    let a = participant_id(seed, participant_of(&mut rng, counts));
    let b = participant_id(seed, participant_of(&mut rng, counts));
    let status = *rng.weighted(&[
        (ConnectionStatus::Accepted, 70),
        (ConnectionStatus::Pending, 20),
        (ConnectionStatus::Ignored, 10),
    ]);
    let accepted_at = (status == ConnectionStatus::Accepted)
        .then(|| asked + Duration::seconds(1 + rng.below(3600) as i64));
    let c = Connection {
        id: id(&mut rng, asked),
        event_id: event_id(seed, ev),
        requested_by: a.clone(),
        a,
        b,
        status,
        note_a: String::new(),
        note_b: String::new(),
        requested_at: asked,
        accepted_at,
        version: 1 + i64::from(accepted_at.is_some()),
        created_at: asked,
        updated_at: accepted_at.unwrap_or(asked),
        updated_by: "lab@eventhub".into(),
    };
    time::to_doc(&c)
}

/// Document `i` of `collection`.
pub fn document(collection: &str, seed: u64, i: u64, counts: &Counts) -> Result<Document> {
    match collection {
        EVENTS => event(seed, i),
        PARTICIPANTS => participant_doc(seed, i, counts.events),
        ANSWERS => answer(seed, i, counts),
        CONNECTIONS => connection(seed, i, counts),
        other => Err(Error::invalid(
            "collection",
            format!("unknown lab collection {other}"),
        )),
    }
}

pub fn check_scale(scale: u64) -> Result<()> {
    if !(MIN_SCALE..=MAX_SCALE).contains(&scale) {
        return Err(Error::invalid(
            "scale",
            format!("must be between {MIN_SCALE} and {MAX_SCALE} documents"),
        ));
    }
    Ok(())
}

/// Drop the lab database's collections and fill them with `scale` documents from `seed`.
/// Only `_id` indexes exist afterwards: each run creates the index it measures.
pub async fn generate(
    lab: &Core,
    scale: u64,
    seed: u64,
    progress: ProgressFn<'_>,
    cancel: &AtomicBool,
) -> Result<DataSet> {
    check_lab_db(lab)?;
    check_scale(scale)?;
    let started = std::time::Instant::now();
    let counts = Counts::for_scale(scale);
    let db = lab.db();
    for c in LAB_COLLECTIONS.iter().chain([&META]) {
        db.collection::<Document>(c).drop().await?;
    }
    let total = counts.total();
    let mut done = 0u64;
    let mut was_cancelled = false;
    'outer: for c in LAB_COLLECTIONS {
        db.create_collection(c).await?;
        let coll = db.collection::<Document>(c);
        let n = counts.of(c);
        let mut i = 0;
        while i < n {
            if cancelled(cancel) {
                was_cancelled = true;
                break 'outer;
            }
            let end = (i + BATCH).min(n);
            let docs = (i..end)
                .map(|k| document(c, seed, k, &counts))
                .collect::<Result<Vec<_>>>()?;
            coll.insert_many(docs).ordered(false).await?;
            done += end - i;
            i = end;
            progress(Progress {
                phase: "generate".into(),
                step: c.into(),
                done,
                total,
            });
        }
    }
    let set = DataSet {
        scale,
        seed,
        counts,
        generated_at: time::now(),
        seconds: super::round3(started.elapsed().as_secs_f64()),
        cancelled: was_cancelled,
    };
    db.collection::<Document>(META)
        .insert_one(time::to_doc(&set)?)
        .await?;
    Ok(set)
}

/// The data set currently in the lab database, if any.
pub async fn current(lab: &Core) -> Result<Option<DataSet>> {
    let d = lab
        .db()
        .collection::<Document>(META)
        .find_one(doc! {})
        .await?;
    d.map(time::from_doc).transpose()
}

/// Drop the whole lab database.
pub async fn drop_lab(lab: &Core) -> Result<()> {
    check_lab_db(lab)?;
    lab.drop_database().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_a_pure_function_of_seed_and_index() {
        let c = Counts::for_scale(10_000);
        for coll in LAB_COLLECTIONS {
            let a = document(coll, 42, 17, &c).unwrap();
            let b = document(coll, 42, 17, &c).unwrap();
            assert_eq!(a, b, "{coll}");
            let other = document(coll, 43, 17, &c).unwrap();
            assert_ne!(a.get("_id"), other.get("_id"), "{coll}");
        }
        assert_eq!(c.total(), 10_000);
    }

    #[test]
    fn participants_refer_to_generated_events() {
        let c = Counts::for_scale(2000);
        let ids: std::collections::HashSet<String> =
            (0..c.events).map(|i| event_id(7, i)).collect();
        for i in 0..200 {
            let p = participant(7, i, c.events);
            assert!(ids.contains(p.get_str("event_id").unwrap()));
            // The app's shape: the address as typed, and normalised for the unique index.
            assert_eq!(
                p.get_str("email_norm").unwrap(),
                crate::participants::normalise_email(p.get_str("email").unwrap())
            );
            let back: crate::participants::Participant = crate::time::from_doc(p).unwrap();
            assert!(!back.search_terms.is_empty() && !back.name_key.is_empty());
        }
        let e = event(7, 3).unwrap();
        assert_eq!(e.get_str("_id").unwrap(), event_id(7, 3));
        // Generated events are events the app itself accepts (its validation rules).
        for i in 0..500 {
            let d = event(11, i).unwrap();
            let input: EventInput = crate::time::from_doc(d).unwrap();
            crate::events::normalise(input).unwrap_or_else(|e| panic!("event {i}: {e}"));
        }
    }
}
