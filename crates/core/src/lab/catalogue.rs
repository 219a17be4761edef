//! The app's real queries, written as the app runs (or will run) them, each with the index
//! variants relevant to it. Event queries use the real search filter
//! ([`crate::events::filter`]); participant, answer and interaction queries are the ones the
//! participants and dashboard screens will run (those screens are being built).

use bson::{doc, Bson, Document};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::generate::{self, epoch, Counts};
use super::{ANSWERS, EVENTS, INTERACTIONS, PARTICIPANTS};
use crate::events::{self, EventQuery, SearchMode, Status};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum IndexKind {
    /// No index but `_id`: the baseline.
    None,
    Single,
    Compound,
    Multikey,
    Text,
    Partial,
    Sparse,
    Unique,
    Ttl,
    Wildcard,
    #[serde(rename = "2dsphere")]
    Geo2dsphere,
    Hashed,
}

impl IndexKind {
    pub const ALL: [IndexKind; 12] = [
        IndexKind::None,
        IndexKind::Single,
        IndexKind::Compound,
        IndexKind::Multikey,
        IndexKind::Text,
        IndexKind::Partial,
        IndexKind::Sparse,
        IndexKind::Unique,
        IndexKind::Ttl,
        IndexKind::Wildcard,
        IndexKind::Geo2dsphere,
        IndexKind::Hashed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IndexKind::None => "none",
            IndexKind::Single => "single",
            IndexKind::Compound => "compound",
            IndexKind::Multikey => "multikey",
            IndexKind::Text => "text",
            IndexKind::Partial => "partial",
            IndexKind::Sparse => "sparse",
            IndexKind::Unique => "unique",
            IndexKind::Ttl => "ttl",
            IndexKind::Wildcard => "wildcard",
            IndexKind::Geo2dsphere => "2dsphere",
            IndexKind::Hashed => "hashed",
        }
    }
}

/// How a query is sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Find {
        filter: Document,
        sort: Option<Document>,
        limit: i64,
    },
    Aggregate {
        pipeline: Vec<Document>,
    },
}

impl Op {
    /// The query as mongosh-like JSON (relaxed extended JSON), for display.
    pub fn shape(&self) -> String {
        let j = |d: &Document| Bson::Document(d.clone()).into_relaxed_extjson().to_string();
        match self {
            Op::Find {
                filter,
                sort,
                limit,
            } => {
                let mut s = format!("find({})", j(filter));
                if let Some(so) = sort {
                    s.push_str(&format!(".sort({})", j(so)));
                }
                s.push_str(&format!(".limit({limit})"));
                s
            }
            Op::Aggregate { pipeline } => format!(
                "aggregate([{}])",
                pipeline.iter().map(j).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// Index options the lab uses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct IndexOpts {
    #[serde(default)]
    pub unique: bool,
    #[serde(default)]
    pub sparse: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial: Option<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
}

/// One way of indexing for a query.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Variant {
    pub kind: IndexKind,
    /// Index name (unique in the collection); empty for the baseline.
    pub name: String,
    pub keys: Document,
    pub opts: IndexOpts,
    /// The query sent with this index, when it differs (e.g. `$text` for a text index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<Op>,
}

impl Variant {
    fn none() -> Variant {
        Variant {
            kind: IndexKind::None,
            name: String::new(),
            keys: doc! {},
            opts: IndexOpts::default(),
            op: None,
        }
    }

    fn new(kind: IndexKind, name: &str, keys: Document) -> Variant {
        Variant {
            kind,
            name: format!("lab_{name}"),
            keys,
            opts: IndexOpts::default(),
            op: None,
        }
    }

    fn with(mut self, f: impl FnOnce(&mut IndexOpts)) -> Variant {
        f(&mut self.opts);
        self
    }

    /// Keys and options as one readable line, e.g. `{event_id: 1, email: 1} unique`.
    pub fn describe(&self) -> String {
        if self.kind == IndexKind::None {
            return "_id only".into();
        }
        let mut s = Bson::Document(self.keys.clone())
            .into_relaxed_extjson()
            .to_string();
        if self.opts.unique {
            s.push_str(" unique");
        }
        if self.opts.sparse {
            s.push_str(" sparse");
        }
        if let Some(p) = &self.opts.partial {
            s.push_str(&format!(
                " partial {}",
                Bson::Document(p.clone()).into_relaxed_extjson()
            ));
        }
        if let Some(t) = self.opts.ttl_seconds {
            s.push_str(&format!(" expireAfterSeconds {t}"));
        }
        s
    }

    pub fn model(&self) -> mongodb::IndexModel {
        let mut o = mongodb::options::IndexOptions::builder()
            .name(self.name.clone())
            .build();
        if self.opts.unique {
            o.unique = Some(true);
        }
        if self.opts.sparse {
            o.sparse = Some(true);
        }
        o.partial_filter_expression = self.opts.partial.clone();
        o.expire_after = self
            .opts
            .ttl_seconds
            .map(|s| std::time::Duration::from_secs(s.max(0) as u64));
        if self.kind == IndexKind::Text {
            o.default_language = Some("none".into());
        }
        if self.kind == IndexKind::Geo2dsphere {
            o.sphere_2d_index_version = Some(mongodb::options::Sphere2DIndexVersion::V3);
        }
        mongodb::IndexModel::builder()
            .keys(self.keys.clone())
            .options(o)
            .build()
    }
}

/// A sentence in both UI languages.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Text {
    pub fr: String,
    pub en: String,
}

fn tx(fr: &str, en: &str) -> Text {
    Text {
        fr: fr.into(),
        en: en.into(),
    }
}

/// One query of the app with the index variants relevant to it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Query {
    pub id: String,
    pub title: Text,
    /// Which screen runs it, and whether that handler exists yet.
    pub used_by: Text,
    /// Why the best index works (shown with the verdict).
    pub why: Text,
    pub collection: String,
    pub op: Op,
    /// The baseline (`none`) first.
    pub variants: Vec<Variant>,
}

/// Twenty years: long enough that the TTL monitor deletes none of the generated data
/// while a run measures the index.
pub const TTL_SECONDS: i64 = 20 * 365 * 86_400;

fn live_events(q: &EventQuery) -> Document {
    events::filter(q, SearchMode::Terms)
}

/// The catalogue for a data set (parameters are picked from the generated data so every
/// query finds something).
pub fn catalogue(seed: u64, counts: &Counts) -> Vec<Query> {
    use IndexKind::*;
    let date_sort = doc! { "starts_at": 1, "_id": 1 };
    // Event 0 is the most popular (participants pick events with a skew towards 0).
    let popular = generate::event_id(seed, 0);
    let someone = generate::participant(seed, counts.participants / 2, counts.events);
    let email = someone.get_str("email").unwrap_or_default().to_owned();
    let someones_event = someone.get_str("event_id").unwrap_or_default().to_owned();
    let e = bson::DateTime::from_chrono;
    let search = EventQuery {
        q: Some("cloud lyon".into()),
        ..Default::default()
    };
    let upcoming = EventQuery {
        status: Some(Status::Published),
        from: Some(epoch()),
        ..Default::default()
    };
    let by_tag = EventQuery {
        tag: Some("cloud".into()),
        ..Default::default()
    };
    let range = EventQuery {
        from: Some(epoch() + Duration::days(30)),
        to: Some(epoch() + Duration::days(60)),
        ..Default::default()
    };
    let mut text_filter = live_events(&EventQuery::default());
    text_filter = doc! { "$and": [text_filter, { "$text": { "$search": "cloud lyon" } }] };
    vec![
        Query {
            id: "event_search".into(),
            title: tx("Recherche d'événements par mots", "Event search by words"),
            used_by: tx("Liste des événements (recherche)", "Events list (search box)"),
            why: tx(
                "Les mots repliés (minuscules, sans accents) sont indexés dans search_terms (multiclé) : un préfixe ancré ^mot devient un parcours d'index borné.",
                "Folded words (lower case, no accents) are indexed in search_terms (multikey): an anchored ^word prefix becomes a bounded index scan.",
            ),
            collection: EVENTS.into(),
            op: Op::Find {
                filter: live_events(&search),
                sort: Some(date_sort.clone()),
                limit: 25,
            },
            variants: vec![
                Variant::none(),
                Variant::new(Multikey, "search_terms", doc! { "search_terms": 1 }),
                Variant {
                    op: Some(Op::Find {
                        filter: text_filter,
                        sort: Some(date_sort.clone()),
                        limit: 25,
                    }),
                    ..Variant::new(
                        Text,
                        "events_text",
                        doc! { "title": "text", "description": "text", "tags": "text", "venue.name": "text" },
                    )
                },
            ],
        },
        Query {
            id: "event_upcoming_published".into(),
            title: tx("Événements publiés à venir, par date", "Upcoming published events, by date"),
            used_by: tx("Liste des événements (filtre statut)", "Events list (status filter)"),
            why: tx(
                "Règle ESR : l'égalité (status) d'abord, puis le tri (starts_at, _id — la liste départage par _id), puis l'intervalle (ends_at). Dans cet ordre l'index rend les documents déjà triés et s'arrête à la limite ; sinon la base trie en mémoire.",
                "The ESR rule: equality (status) first, then the sort (starts_at, _id — the list breaks ties by _id), then the range (ends_at). In that order the index returns documents already sorted and stops at the limit; otherwise the server sorts in memory.",
            ),
            collection: EVENTS.into(),
            op: Op::Find {
                filter: live_events(&upcoming),
                sort: Some(date_sort.clone()),
                limit: 25,
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "status", doc! { "status": 1 }),
                Variant::new(Compound, "status_starts_at_ends_at", doc! { "status": 1, "starts_at": 1, "ends_at": 1 }),
                Variant::new(Compound, "ends_at_status_starts_at", doc! { "ends_at": 1, "status": 1, "starts_at": 1 }),
                Variant::new(Compound, "status_starts_at_id_ends_at", doc! { "status": 1, "starts_at": 1, "_id": 1, "ends_at": 1 }),
                Variant::new(Partial, "starts_at_published", doc! { "starts_at": 1, "ends_at": 1 })
                    .with(|o| o.partial = Some(doc! { "status": "published" })),
            ],
        },
        Query {
            id: "event_by_tag".into(),
            title: tx("Événements d'une étiquette, par date", "Events with a tag, by date"),
            used_by: tx("Liste des événements (filtre étiquette)", "Events list (tag filter)"),
            why: tx(
                "tags est un tableau : l'index multiclé a une entrée par étiquette ; avec starts_at en seconde clé il donne aussi l'ordre.",
                "tags is an array: the multikey index has one entry per tag; with starts_at as second key it also gives the order.",
            ),
            collection: EVENTS.into(),
            op: Op::Find {
                filter: live_events(&by_tag),
                sort: Some(date_sort.clone()),
                limit: 25,
            },
            variants: vec![
                Variant::none(),
                Variant::new(Multikey, "tags", doc! { "tags": 1 }),
                Variant::new(Compound, "tags_starts_at", doc! { "tags": 1, "starts_at": 1 }),
                Variant::new(Compound, "tags_starts_at_id", doc! { "tags": 1, "starts_at": 1, "_id": 1 }),
            ],
        },
        Query {
            id: "event_date_range".into(),
            title: tx("Événements d'une période (calendrier)", "Events in a date range (calendar)"),
            used_by: tx("Liste des événements (filtre dates)", "Events list (date filter)"),
            why: tx(
                "Un intervalle sur starts_at se lit dans un index B-tree ordonné ; un index haché ne sert que l'égalité, jamais un intervalle.",
                "A range on starts_at is read from an ordered B-tree index; a hashed index serves equality only, never a range.",
            ),
            collection: EVENTS.into(),
            op: Op::Find {
                filter: live_events(&range),
                sort: Some(date_sort.clone()),
                limit: 100,
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "starts_at", doc! { "starts_at": 1 }),
                Variant::new(Compound, "starts_at_ends_at", doc! { "starts_at": 1, "ends_at": 1 }),
                Variant::new(Compound, "starts_at_id", doc! { "starts_at": 1, "_id": 1 }),
                Variant::new(Hashed, "starts_at_hashed", doc! { "starts_at": "hashed" }),
            ],
        },
        Query {
            id: "event_custom_field".into(),
            title: tx("Événements par champ personnalisé", "Events by a custom field"),
            used_by: tx("Liste des événements (champs libres)", "Events list (custom fields)"),
            why: tx(
                "Les champs libres ne sont pas connus d'avance : un index joker custom.$** couvre toutes les clés ; un index creux (sparse) sur une clé connue ignore les événements qui ne l'ont pas.",
                "Custom fields are not known in advance: a wildcard index custom.$** covers every key; a sparse index on a known key skips the events without it.",
            ),
            collection: EVENTS.into(),
            op: Op::Find {
                filter: doc! { "deleted_at": Bson::Null, "custom.level": "advanced" },
                sort: Option::None,
                limit: 50,
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "custom_level", doc! { "custom.level": 1 }),
                Variant::new(Sparse, "custom_level_sparse", doc! { "custom.level": 1 }).with(|o| o.sparse = true),
                Variant::new(Wildcard, "custom_wildcard", doc! { "custom.$**": 1 }),
            ],
        },
        Query {
            id: "event_near_venue".into(),
            title: tx("Événements à moins de 10 km d'un lieu", "Events within 10 km of a place"),
            used_by: tx("Carte des lieux (à venir)", "Venue map (planned)"),
            why: tx(
                "Un index 2dsphere découpe la sphère en cellules : seules les cellules du cercle sont lues. $near (du plus proche au plus loin, 10 km max.) exige cet index ; $geoWithin peut s'en servir.",
                "A 2dsphere index cuts the sphere into cells: only the cells inside the circle are read. $near (nearest first, 10 km max) requires the index; $geoWithin can use it.",
            ),
            collection: EVENTS.into(),
            op: Op::Find {
                filter: doc! {
                    "deleted_at": Bson::Null,
                    "venue.location": { "$geoWithin": { "$centerSphere": [[2.3522, 48.8566], 10.0 / 6378.1] } },
                },
                sort: Option::None,
                limit: 100,
            },
            variants: vec![
                Variant::none(),
                Variant::new(Geo2dsphere, "venue_location", doc! { "venue.location": "2dsphere" }),
                Variant {
                    op: Some(Op::Find {
                        filter: doc! {
                            "deleted_at": Bson::Null,
                            "venue.location": { "$near": {
                                "$geometry": { "type": "Point", "coordinates": [2.3522, 48.8566] },
                                "$maxDistance": 10_000.0,
                            } },
                        },
                        sort: Option::None,
                        limit: 100,
                    }),
                    ..Variant::new(Geo2dsphere, "venue_location_near", doc! { "venue.location": "2dsphere" })
                },
            ],
        },
        Query {
            id: "participant_by_email".into(),
            title: tx("Participant par e-mail dans un événement", "Participant by e-mail in an event"),
            used_by: tx("Import CSV, RSVP (requête prévue)", "CSV import, RSVP (planned query)"),
            why: tx(
                "{event_id, email} unique : une seule entrée d'index lue, et la base refuse le même e-mail deux fois dans un événement. Un index haché sert aussi l'égalité mais ne peut être unique ni servir un tri.",
                "{event_id, email} unique: a single index entry is read, and the database refuses the same e-mail twice in an event. A hashed index also serves equality but cannot be unique nor serve a sort.",
            ),
            collection: PARTICIPANTS.into(),
            op: Op::Find {
                filter: doc! { "event_id": &someones_event, "email": &email },
                sort: Option::None,
                limit: 1,
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "email", doc! { "email": 1 }),
                Variant::new(Compound, "event_id_email", doc! { "event_id": 1, "email": 1 }),
                Variant::new(Unique, "event_id_email_unique", doc! { "event_id": 1, "email": 1 }).with(|o| o.unique = true),
                Variant::new(Hashed, "email_hashed", doc! { "email": "hashed" }),
            ],
        },
        Query {
            id: "participant_status_counts".into(),
            title: tx("Nombre de participants par statut", "Participant counts by status"),
            used_by: tx("En-tête de la liste des participants (prévu)", "Participants list header (planned)"),
            why: tx(
                "Avec {event_id, status} le $group se calcule depuis l'index seul (couvert) : aucun document n'est lu.",
                "With {event_id, status} the $group is computed from the index alone (covered): no document is read.",
            ),
            collection: PARTICIPANTS.into(),
            op: Op::Aggregate {
                pipeline: vec![
                    doc! { "$match": { "event_id": &popular } },
                    doc! { "$group": { "_id": "$status", "n": { "$sum": 1 } } },
                ],
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "event_id", doc! { "event_id": 1 }),
                Variant::new(Compound, "event_id_status", doc! { "event_id": 1, "status": 1 }),
            ],
        },
        Query {
            id: "participant_checked_in".into(),
            title: tx("Derniers arrivés (enregistrés) d'un événement", "Latest checked-in participants of an event"),
            used_by: tx("Accueil / check-in (prévu)", "Check-in desk (planned)"),
            why: tx(
                "checked_in_at n'existe que pour les présents : un index partiel (ou creux) ne contient qu'eux, il est plus petit et coûte moins à l'écriture.",
                "checked_in_at exists only for people who came: a partial (or sparse) index holds only them, so it is smaller and cheaper to write.",
            ),
            collection: PARTICIPANTS.into(),
            op: Op::Find {
                filter: doc! { "event_id": &popular, "checked_in_at": { "$exists": true } },
                sort: Some(doc! { "checked_in_at": -1 }),
                limit: 50,
            },
            variants: vec![
                Variant::none(),
                Variant::new(Sparse, "checked_in_at_sparse", doc! { "checked_in_at": -1 }).with(|o| o.sparse = true),
                Variant::new(Compound, "event_id_checked_in_at", doc! { "event_id": 1, "checked_in_at": -1 }),
                Variant::new(Partial, "event_id_checked_in_at_partial", doc! { "event_id": 1, "checked_in_at": -1 })
                    .with(|o| o.partial = Some(doc! { "checked_in_at": { "$exists": true } })),
            ],
        },
        Query {
            id: "participant_interest".into(),
            title: tx("Participants d'un événement par centre d'intérêt", "Participants of an event by interest"),
            used_by: tx("Segments et relances (prévu)", "Segments and reminders (planned)"),
            why: tx(
                "tags est un tableau : {event_id, tags} (multiclé) lit seulement les participants de l'événement qui ont ce centre d'intérêt.",
                "tags is an array: {event_id, tags} (multikey) reads only the event's participants who have that interest.",
            ),
            collection: PARTICIPANTS.into(),
            op: Op::Find {
                filter: doc! { "event_id": &popular, "tags": "ia" },
                sort: Option::None,
                limit: 100,
            },
            variants: vec![
                Variant::none(),
                Variant::new(Multikey, "tags", doc! { "tags": 1 }),
                Variant::new(Compound, "event_id_tags", doc! { "event_id": 1, "tags": 1 }),
            ],
        },
        Query {
            id: "dashboard_answers".into(),
            title: tx("Tableau de bord : moyenne par question", "Dashboard: average per question"),
            used_by: tx("Tableau de bord (pipeline prévu)", "Dashboard (planned pipeline)"),
            why: tx(
                "{event_id, question_id, value} couvre le $match et le $group : la base ne lit que l'index.",
                "{event_id, question_id, value} covers the $match and the $group: the server reads the index only.",
            ),
            collection: ANSWERS.into(),
            op: Op::Aggregate {
                pipeline: vec![
                    doc! { "$match": { "event_id": &popular } },
                    doc! { "$group": { "_id": "$question_id", "n": { "$sum": 1 }, "avg": { "$avg": "$value" } } },
                    doc! { "$sort": { "_id": 1 } },
                ],
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "event_id", doc! { "event_id": 1 }),
                Variant::new(Compound, "event_id_question_id_value", doc! { "event_id": 1, "question_id": 1, "value": 1 }),
            ],
        },
        Query {
            id: "dashboard_timeline".into(),
            title: tx("Tableau de bord : interactions par jour sur un an", "Dashboard: interactions per day over a year"),
            used_by: tx("Tableau de bord (pipeline prévu)", "Dashboard (planned pipeline)"),
            why: tx(
                "Égalité sur event_id puis intervalle sur at : {event_id, at}. Un index TTL sur at sert les intervalles comme un index simple et purge en plus les vieilles interactions.",
                "Equality on event_id then a range on at: {event_id, at}. A TTL index on at serves ranges like a single-field index and also purges old interactions.",
            ),
            collection: INTERACTIONS.into(),
            op: Op::Aggregate {
                pipeline: vec![
                    doc! { "$match": {
                        "event_id": &popular,
                        "at": { "$gte": e(epoch() - Duration::days(365)), "$lt": e(epoch()) },
                    } },
                    doc! { "$group": { "_id": { "$dateTrunc": { "date": "$at", "unit": "day" } }, "n": { "$sum": 1 } } },
                    doc! { "$sort": { "_id": 1 } },
                ],
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "at", doc! { "at": 1 }),
                Variant::new(Ttl, "at_ttl", doc! { "at": 1 }).with(|o| o.ttl_seconds = Some(TTL_SECONDS)),
                Variant::new(Compound, "event_id_at", doc! { "event_id": 1, "at": 1 }),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_kind_is_in_the_catalogue_and_names_are_unique_per_collection() {
        let cat = catalogue(42, &Counts::for_scale(10_000));
        for k in IndexKind::ALL {
            assert!(
                cat.iter().any(|q| q.variants.iter().any(|v| v.kind == k)),
                "{k:?} missing"
            );
        }
        let mut seen = std::collections::HashSet::new();
        for q in &cat {
            assert_eq!(q.variants[0].kind, IndexKind::None);
            for v in q.variants.iter().skip(1) {
                // The same name may serve two queries only with the same definition.
                let key = (q.collection.clone(), v.name.clone());
                if !seen.insert(key) {
                    let other = cat
                        .iter()
                        .filter(|o| o.collection == q.collection)
                        .flat_map(|o| o.variants.iter())
                        .find(|o| o.name == v.name && o != &v)
                        .map(|o| o.describe());
                    assert!(other.is_none() || other == Some(v.describe()));
                }
            }
        }
    }
}
