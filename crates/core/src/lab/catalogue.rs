//! The app's queries, each built by the very function the app calls (the events list
//! pipeline, the participants list filter and sort, the portal's token filter, the CSV
//! import's look-up, the dashboard's pipelines), with the index variants relevant to it.
//! Among the variants is the index the app creates for that query, taken from the app's
//! collection declarations (`schema::collections`), so a verdict applies to the app as it is.

use bson::{doc, Bson, Document};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::generate::{self, epoch, Counts};
use super::{ANSWERS, CONNECTIONS, EVENTS, PARTICIPANTS};
use crate::{
    dashboard::{self, Bin},
    events::{self, EventQuery, SearchMode, Status},
    participants::{self, ParticipantQuery, RsvpStatus},
    Capabilities,
};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, ts_rs::TS)]
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
#[allow(clippy::large_enum_variant)] // a handful per catalogue; boxing would only add noise
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    Find {
        filter: Document,
        sort: Option<Document>,
        /// 0: no limit.
        limit: i64,
        /// The fields returned (all when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        projection: Option<Document>,
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
                projection,
            } => {
                let mut s = format!("find({}", j(filter));
                if let Some(p) = projection {
                    s.push_str(&format!(", {}", j(p)));
                }
                s.push(')');
                if let Some(so) = sort {
                    s.push_str(&format!(".sort({})", j(so)));
                }
                if *limit > 0 {
                    s.push_str(&format!(".limit({limit})"));
                }
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
    /// Text index field weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Document>,
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

    /// The index the app itself creates on `collection` under `name`, read from the
    /// app's collection declarations. `None` when the app has no such index.
    pub fn app(kind: IndexKind, collection: &str, name: &str) -> Option<Variant> {
        let m = app_indexes()
            .into_iter()
            .find(|(c, m)| c == collection && index_name(m) == name)?
            .1;
        let o = m.options.clone().unwrap_or_default();
        Some(Variant {
            kind,
            name: name.to_owned(),
            keys: m.keys.clone(),
            opts: IndexOpts {
                unique: o.unique.unwrap_or(false),
                sparse: o.sparse.unwrap_or(false),
                partial: o.partial_filter_expression.clone(),
                ttl_seconds: o.expire_after.map(|d| d.as_secs() as i64),
                weights: o.weights.clone(),
            },
            op: None,
        })
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
            o.weights = self.opts.weights.clone();
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
#[ts(rename = "Bilingual")]
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

/// Every index the app creates, as `(collection, index)`, from the app's collection
/// declarations with every optional server feature assumed present (so the text index is
/// listed too).
pub fn app_indexes() -> Vec<(String, mongodb::IndexModel)> {
    let all = Capabilities {
        text_search: true,
        hashed_index: true,
        change_streams: true,
        transactions: true,
    };
    crate::schema::collections(&all)
        .into_iter()
        .flat_map(|c| c.indexes.into_iter().map(move |m| (c.name.to_owned(), m)))
        .collect()
}

/// The name an index model was declared with.
pub fn index_name(m: &mongodb::IndexModel) -> String {
    m.options
        .as_ref()
        .and_then(|o| o.name.clone())
        .unwrap_or_default()
}

/// One query of the app with the index variants relevant to it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Query {
    pub id: String,
    pub title: Text,
    /// Which screen runs it, and the app function that builds it.
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

/// The app's index as a variant. The catalogue only names indexes the app declares (a unit
/// test checks every one resolves), so a missing one is a programming error caught there.
fn app(kind: IndexKind, collection: &str, name: &str) -> Variant {
    Variant::app(kind, collection, name).unwrap_or_else(|| Variant {
        name: format!("missing_{name}"),
        ..Variant::none()
    })
}

/// The events list's query for `q`, as `events::list` sends it (one page of 25).
fn events_list(q: &EventQuery, mode: SearchMode) -> Op {
    let f = events::list_find(
        &EventQuery {
            per_page: 25,
            ..q.clone()
        },
        mode,
    );
    Op::Find {
        filter: f.filter,
        sort: Some(f.sort),
        limit: f.limit,
        projection: Some(f.projection),
    }
}

/// The participants list's query for `q`, as `participants::list` sends it (one page).
fn participants_list(event_id: &str, q: &ParticipantQuery) -> Op {
    Op::Find {
        filter: participants::filter(event_id, q),
        sort: Some(participants::sort_doc(q.sort)),
        limit: i64::from(participants::DEFAULT_PER_PAGE),
        projection: None,
    }
}

/// A participant of the data set with a personal link that opens (not deleted).
fn someone_with_a_link(seed: u64, counts: &Counts) -> u64 {
    let start = counts.participants / 2;
    (start..start + 1000)
        .find(|&i| {
            let p = generate::participant(seed, i, counts.events);
            p.get_document("invitation")
                .is_ok_and(|inv| inv.get_str("token_hash").is_ok())
                && matches!(p.get("deleted_at"), None | Some(Bson::Null))
        })
        .unwrap_or(start)
}

/// The catalogue for a data set (parameters are picked from the generated data so every
/// query finds something).
pub fn catalogue(seed: u64, counts: &Counts) -> Vec<Query> {
    use IndexKind::*;
    // Event 0 is the most popular (participants, answers and connections pick events with
    // a skew towards 0): the dashboard and the participants list are measured on it.
    let popular = generate::event_id(seed, 0);
    let token = generate::participant_token(seed, someone_with_a_link(seed, counts));
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
    let venue = EventQuery {
        venue: Some("Palais".into()),
        ..Default::default()
    };
    let by_name = ParticipantQuery::default();
    let by_words = ParticipantQuery {
        q: Some("durand".into()),
        ..Default::default()
    };
    let accepted = ParticipantQuery {
        status: Some(RsvpStatus::Accepted),
        ..Default::default()
    };
    let (emails_filter, emails_projection) =
        participants::csv_import::existing_emails_query(&popular);
    let bin = Bin::TEN_MINUTES;
    vec![
        Query {
            id: "event_search".into(),
            title: tx("Recherche d'événements par mots", "Event search by words"),
            used_by: tx(
                "Liste des événements, champ de recherche — events::list",
                "Events list, search box — events::list",
            ),
            why: tx(
                "Les préfixes des mots repliés (minuscules, sans accents) sont stockés dans search_keys ; l'index {search_keys, starts_at, _id} lit le premier mot dans l'ordre de la liste et s'arrête à la page. Même recherche sur tous les serveurs (pas de $text).",
                "The prefixes of the folded words (lower case, no accents) are stored in search_keys; the index {search_keys, starts_at, _id} reads the first word in the list's order and stops at the page. The same search on every server (no $text).",
            ),
            collection: EVENTS.into(),
            op: events_list(&search, SearchMode::Terms),
            variants: vec![
                Variant::none(),
                Variant::new(Multikey, "search_terms", doc! { "search_terms": 1 }),
                app(Compound, EVENTS, "search_starts_at_id"),
                Variant::new(
                    Text,
                    "events_text",
                    doc! { "title": "text", "description": "text", "tags": "text", "venue.name": "text" },
                ),
            ],
        },
        Query {
            id: "event_upcoming_published".into(),
            title: tx("Événements publiés à venir, par date", "Upcoming published events, by date"),
            used_by: tx(
                "Liste des événements, filtre statut — events::list",
                "Events list, status filter — events::list",
            ),
            why: tx(
                "Règle ESR : l'égalité (status) d'abord, puis le tri (starts_at, _id — la liste départage par _id). Dans cet ordre l'index rend les documents déjà triés et s'arrête à la page ; sinon la base trie en mémoire.",
                "The ESR rule: equality (status) first, then the sort (starts_at, _id — the list breaks ties by _id). In that order the index returns documents already sorted and stops at the page; otherwise the server sorts in memory.",
            ),
            collection: EVENTS.into(),
            op: events_list(&upcoming, SearchMode::Terms),
            variants: vec![
                Variant::none(),
                Variant::new(Single, "status", doc! { "status": 1 }),
                app(Compound, EVENTS, "status_starts_at_id"),
                Variant::new(Compound, "ends_at_status_starts_at", doc! { "ends_at": 1, "status": 1, "starts_at": 1 }),
                Variant::new(Partial, "starts_at_id_published", doc! { "starts_at": 1, "_id": 1 })
                    .with(|o| o.partial = Some(doc! { "status": "published" })),
            ],
        },
        Query {
            id: "event_by_tag".into(),
            title: tx("Événements d'une étiquette, par date", "Events with a tag, by date"),
            used_by: tx(
                "Liste des événements, filtre étiquette — events::list",
                "Events list, tag filter — events::list",
            ),
            why: tx(
                "tags est un tableau : l'index multiclé a une entrée par étiquette ; avec starts_at et _id ensuite il donne aussi l'ordre de la liste.",
                "tags is an array: the multikey index has one entry per tag; with starts_at and _id next it also gives the list's order.",
            ),
            collection: EVENTS.into(),
            op: events_list(&by_tag, SearchMode::Terms),
            variants: vec![
                Variant::none(),
                Variant::new(Multikey, "tags", doc! { "tags": 1 }),
                app(Compound, EVENTS, "tags_starts_at_id"),
            ],
        },
        Query {
            id: "event_date_range".into(),
            title: tx("Événements d'une période", "Events in a date range"),
            used_by: tx(
                "Liste des événements, filtre dates — events::list",
                "Events list, date filter — events::list",
            ),
            why: tx(
                "Un intervalle sur starts_at se lit dans un index B-tree ordonné, qui donne aussi l'ordre de la liste ; un index haché ne sert que l'égalité, jamais un intervalle.",
                "A range on starts_at is read from an ordered B-tree index, which also gives the list's order; a hashed index serves equality only, never a range.",
            ),
            collection: EVENTS.into(),
            op: events_list(&range, SearchMode::Terms),
            variants: vec![
                Variant::none(),
                Variant::new(Single, "starts_at", doc! { "starts_at": 1 }),
                app(Compound, EVENTS, "starts_at_id"),
                Variant::new(Hashed, "starts_at_hashed", doc! { "starts_at": "hashed" }),
            ],
        },
        Query {
            id: "event_venue".into(),
            title: tx("Événements d'un lieu (début du nom)", "Events at a venue (name prefix)"),
            used_by: tx(
                "Liste des événements, filtre lieu — events::list",
                "Events list, venue filter — events::list",
            ),
            why: tx(
                "venue_key est le nom du lieu replié : un préfixe ancré se lit comme un intervalle de l'index. Un index joker ($**) le sert aussi mais indexe chaque champ de chaque événement ; un index haché ne sert pas un préfixe.",
                "venue_key is the folded venue name: an anchored prefix is read as an index range. A wildcard index ($**) serves it too but indexes every field of every event; a hashed index cannot serve a prefix.",
            ),
            collection: EVENTS.into(),
            op: events_list(&venue, SearchMode::Terms),
            variants: vec![
                Variant::none(),
                app(Single, EVENTS, "venue_key"),
                Variant::new(Wildcard, "all_fields_wildcard", doc! { "$**": 1 }),
                Variant::new(Hashed, "venue_key_hashed", doc! { "venue_key": "hashed" }),
            ],
        },
        Query {
            id: "participant_list".into(),
            title: tx("Participants d'un événement, par nom", "An event's participants, by name"),
            used_by: tx(
                "Liste des participants — participants::filter + participants::sort_doc",
                "Participants list — participants::filter + participants::sort_doc",
            ),
            why: tx(
                "Égalité sur event_id puis tri sur name_key : {event_id, name_key} rend la page déjà triée. Un index sur event_id seul (ou haché) trouve les participants mais les trie en mémoire.",
                "Equality on event_id then a sort on name_key: {event_id, name_key} returns the page already sorted. An index on event_id alone (or hashed) finds the participants but sorts them in memory.",
            ),
            collection: PARTICIPANTS.into(),
            op: participants_list(&popular, &by_name),
            variants: vec![
                Variant::none(),
                Variant::new(Single, "event_id", doc! { "event_id": 1 }),
                app(Compound, PARTICIPANTS, "event_name"),
                Variant::new(Hashed, "event_id_hashed", doc! { "event_id": "hashed" }),
            ],
        },
        Query {
            id: "participant_search".into(),
            title: tx("Recherche de participants par mots", "Participant search by words"),
            used_by: tx(
                "Liste des participants, recherche — participants::filter",
                "Participants list, search box — participants::filter",
            ),
            why: tx(
                "search_terms contient les mots repliés du nom, de l'e-mail, de l'entreprise et du rôle : {event_id, search_terms} borne le parcours à l'événement et au préfixe ; seuls les participants trouvés sont triés.",
                "search_terms holds the folded words of the name, e-mail, company and role: {event_id, search_terms} bounds the scan to the event and the prefix; only the participants found are sorted.",
            ),
            collection: PARTICIPANTS.into(),
            op: participants_list(&popular, &by_words),
            variants: vec![
                Variant::none(),
                app(Compound, PARTICIPANTS, "event_name"),
                app(Multikey, PARTICIPANTS, "event_search_terms"),
            ],
        },
        Query {
            id: "participant_by_status".into(),
            title: tx("Participants d'un statut, par nom", "Participants with a status, by name"),
            used_by: tx(
                "Liste des participants, filtre statut — participants::filter + participants::sort_doc",
                "Participants list, status filter — participants::filter + participants::sort_doc",
            ),
            why: tx(
                "Égalité (event_id, status) puis tri (name_key) : {event_id, status, name_key} lit seulement la page voulue, dans l'ordre.",
                "Equality (event_id, status) then sort (name_key): {event_id, status, name_key} reads only the wanted page, in order.",
            ),
            collection: PARTICIPANTS.into(),
            op: participants_list(&popular, &accepted),
            variants: vec![
                Variant::none(),
                app(Compound, PARTICIPANTS, "event_name"),
                app(Compound, PARTICIPANTS, "event_status_name"),
            ],
        },
        Query {
            id: "participant_counts".into(),
            title: tx("Participants par statut (entonnoir)", "Participants per status (funnel)"),
            used_by: tx(
                "Tableau de bord et en-tête de la liste des participants — dashboard::funnel_pipeline",
                "Dashboard and participants list header — dashboard::funnel_pipeline",
            ),
            why: tx(
                "Le $match porte sur event_id (et deleted_at) et le $group sur status : un index qui commence par {event_id, status} limite la lecture aux participants de l'événement.",
                "The $match is on event_id (and deleted_at) and the $group on status: an index starting with {event_id, status} limits the read to the event's participants.",
            ),
            collection: PARTICIPANTS.into(),
            op: Op::Aggregate {
                pipeline: dashboard::funnel_pipeline(&popular),
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "event_id", doc! { "event_id": 1 }),
                app(Compound, PARTICIPANTS, "event_status_name"),
                Variant::new(Compound, "event_id_status_deleted_at", doc! { "event_id": 1, "status": 1, "deleted_at": 1 }),
            ],
        },
        Query {
            id: "participant_existing_emails".into(),
            title: tx("Adresses déjà inscrites (import CSV)", "Addresses already registered (CSV import)"),
            used_by: tx(
                "Import CSV, détection des doublons — participants::csv_import::existing_emails_query",
                "CSV import, duplicate check — participants::csv_import::existing_emails_query",
            ),
            why: tx(
                "L'index unique partiel {event_id, email_norm} (participants vivants seulement) sert aussi cette lecture : event_id borne le parcours et email_norm est dans l'index, la requête est couverte.",
                "The partial unique index {event_id, email_norm} (live participants only) also serves this read: event_id bounds the scan and email_norm is in the index, so the query is covered.",
            ),
            collection: PARTICIPANTS.into(),
            op: Op::Find {
                filter: emails_filter,
                sort: Option::None,
                limit: 0,
                projection: Some(emails_projection),
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "event_id", doc! { "event_id": 1 }),
                Variant::new(Compound, "event_id_email_norm", doc! { "event_id": 1, "email_norm": 1 }),
                app(Unique, PARTICIPANTS, "event_email_unique"),
            ],
        },
        Query {
            id: "participant_by_token".into(),
            title: tx("Participant d'un lien personnel", "Participant of a personal link"),
            used_by: tx(
                "Portail (RSVP, réseautage, avis) — invitations::links::token_filter",
                "Portal (RSVP, networking, feedback) — invitations::links::token_filter",
            ),
            why: tx(
                "Le jeton n'est stocké que haché (SHA-256) ; l'index unique partiel sur invitation.token_hash trouve le participant en une entrée et interdit deux fois le même jeton. Un index haché sert aussi l'égalité mais ne peut pas être unique.",
                "The token is stored hashed only (SHA-256); the partial unique index on invitation.token_hash finds the participant in one entry and forbids the same token twice. A hashed index also serves equality but cannot be unique.",
            ),
            collection: PARTICIPANTS.into(),
            op: Op::Find {
                filter: crate::invitations::links::token_filter(&token),
                sort: Option::None,
                limit: 1,
                projection: Option::None,
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "token_hash", doc! { "invitation.token_hash": 1 }),
                Variant::new(Hashed, "token_hash_hashed", doc! { "invitation.token_hash": "hashed" }),
                app(Unique, PARTICIPANTS, "invitation_token_hash"),
            ],
        },
        Query {
            id: "dashboard_checkins".into(),
            title: tx("Tableau de bord : arrivées par tranche de 10 min", "Dashboard: check-ins per 10 minutes"),
            used_by: tx(
                "Tableau de bord, courbe des interactions — dashboard::checkins_timeline_pipeline",
                "Dashboard, interactions chart — dashboard::checkins_timeline_pipeline",
            ),
            why: tx(
                "checked_in_at n'existe que pour les présents. {event_id, checked_in_at} borne la lecture à l'événement et à l'intervalle de dates, et le $group lit les dates dans l'index (couvert). Un index creux, partiel ou TTL sur la seule date lit les arrivées de tous les événements.",
                "checked_in_at exists only for people who came. {event_id, checked_in_at} bounds the read to the event and the date range, and the $group reads the dates from the index (covered). A sparse, partial or TTL index on the date alone reads every event's check-ins.",
            ),
            collection: PARTICIPANTS.into(),
            op: Op::Aggregate {
                pipeline: dashboard::checkins_timeline_pipeline(&popular, bin),
            },
            variants: vec![
                Variant::none(),
                Variant::new(Sparse, "checked_in_at_sparse", doc! { "checked_in_at": 1 }).with(|o| o.sparse = true),
                Variant::new(Ttl, "checked_in_at_ttl", doc! { "checked_in_at": 1 })
                    .with(|o| o.ttl_seconds = Some(TTL_SECONDS)),
                Variant::new(Partial, "event_id_checked_in_at_partial", doc! { "event_id": 1, "checked_in_at": 1 })
                    .with(|o| o.partial = Some(doc! { "checked_in_at": { "$exists": true } })),
                app(Compound, PARTICIPANTS, "event_checked_in_at"),
            ],
        },
        Query {
            id: "dashboard_ratings".into(),
            title: tx("Tableau de bord : note moyenne par session", "Dashboard: average rating per session"),
            used_by: tx(
                "Tableau de bord, sessions — dashboard::ratings_pipeline",
                "Dashboard, sessions — dashboard::ratings_pipeline",
            ),
            why: tx(
                "{event_id, kind, session_id, question_id, num} couvre le $match et le $group : la base ne lit que l'index.",
                "{event_id, kind, session_id, question_id, num} covers the $match and the $group: the server reads the index only.",
            ),
            collection: ANSWERS.into(),
            op: Op::Aggregate {
                pipeline: dashboard::ratings_pipeline(&popular),
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "event_id", doc! { "event_id": 1 }),
                app(Compound, ANSWERS, "event_kind_session_question_num"),
            ],
        },
        Query {
            id: "dashboard_answers_timeline".into(),
            title: tx("Tableau de bord : réponses par tranche de 10 min", "Dashboard: answers per 10 minutes"),
            used_by: tx(
                "Tableau de bord, courbe des interactions — dashboard::answers_timeline_pipeline",
                "Dashboard, interactions chart — dashboard::answers_timeline_pipeline",
            ),
            why: tx(
                "Égalité sur event_id puis regroupement par created_at : {event_id, created_at} lit les réponses de l'événement dans l'index seul. Un index TTL sur created_at purgerait les vieilles réponses mais ne borne pas la lecture à l'événement.",
                "Equality on event_id then grouping by created_at: {event_id, created_at} reads the event's answers from the index alone. A TTL index on created_at would purge old answers but does not bound the read to the event.",
            ),
            collection: ANSWERS.into(),
            op: Op::Aggregate {
                pipeline: dashboard::answers_timeline_pipeline(&popular, bin),
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "event_id", doc! { "event_id": 1 }),
                Variant::new(Ttl, "created_at_ttl", doc! { "created_at": 1 })
                    .with(|o| o.ttl_seconds = Some(TTL_SECONDS)),
                app(Compound, ANSWERS, "event_created_at"),
            ],
        },
        Query {
            id: "dashboard_totals".into(),
            title: tx("Tableau de bord : réponses et répondants", "Dashboard: answers and respondents"),
            used_by: tx(
                "Tableau de bord, totaux — dashboard::totals_pipeline",
                "Dashboard, totals — dashboard::totals_pipeline",
            ),
            why: tx(
                "Les deux $group lisent respondent et created_at : {event_id, respondent, created_at} les fournit depuis l'index, sans lire les documents.",
                "Both $group stages read respondent and created_at: {event_id, respondent, created_at} provides them from the index, without reading documents.",
            ),
            collection: ANSWERS.into(),
            op: Op::Aggregate {
                pipeline: dashboard::totals_pipeline(&popular),
            },
            variants: vec![
                Variant::none(),
                app(Compound, ANSWERS, "event_created_at"),
                app(Compound, ANSWERS, "event_respondent_created_at"),
            ],
        },
        Query {
            id: "dashboard_texts".into(),
            title: tx("Tableau de bord : derniers commentaires", "Dashboard: latest comments"),
            used_by: tx(
                "Tableau de bord, réponses libres — dashboard::texts_pipeline",
                "Dashboard, free-text answers — dashboard::texts_pipeline",
            ),
            why: tx(
                "Égalité (event_id, kind) puis tri décroissant sur updated_at : {event_id, kind, updated_at: -1} rend les plus récents d'abord et s'arrête à la limite.",
                "Equality (event_id, kind) then a descending sort on updated_at: {event_id, kind, updated_at: -1} returns the newest first and stops at the limit.",
            ),
            collection: ANSWERS.into(),
            op: Op::Aggregate {
                pipeline: dashboard::texts_pipeline(&popular),
            },
            variants: vec![
                Variant::none(),
                app(Compound, ANSWERS, "event_updated_at"),
                app(Compound, ANSWERS, "event_kind_updated_at"),
            ],
        },
        Query {
            id: "dashboard_connections".into(),
            title: tx("Tableau de bord : mises en relation par tranche de 10 min", "Dashboard: connections per 10 minutes"),
            used_by: tx(
                "Tableau de bord, courbe des interactions — dashboard::connections_timeline_pipeline",
                "Dashboard, interactions chart — dashboard::connections_timeline_pipeline",
            ),
            why: tx(
                "Égalité (event_id, status) puis intervalle sur accepted_at : {event_id, status, accepted_at} borne la lecture et fournit la date au $group (couvert).",
                "Equality (event_id, status) then a range on accepted_at: {event_id, status, accepted_at} bounds the read and provides the date to the $group (covered).",
            ),
            collection: CONNECTIONS.into(),
            op: Op::Aggregate {
                pipeline: dashboard::connections_timeline_pipeline(&popular, bin),
            },
            variants: vec![
                Variant::none(),
                Variant::new(Single, "event_id", doc! { "event_id": 1 }),
                Variant::new(Single, "accepted_at", doc! { "accepted_at": 1 }),
                app(Compound, CONNECTIONS, "event_status_accepted_at"),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_is_the_apps_and_every_app_index_named_exists() {
        let cat = catalogue(42, &Counts::for_scale(10_000));
        let app = app_indexes();
        for q in &cat {
            assert!(
                super::super::LAB_COLLECTIONS.contains(&q.collection.as_str()),
                "{}: {} is not an app collection the lab fills",
                q.id,
                q.collection
            );
            for t in [&q.used_by.en, &q.used_by.fr, &q.title.en] {
                let t = t.to_lowercase();
                assert!(
                    !t.contains("planned") && !t.contains("prévu") && !t.contains("à venir"),
                    "{}: {t}",
                    q.id
                );
            }
            // Named after the app function that builds the query.
            assert!(q.used_by.en.contains("::"), "{}", q.id);
            assert_eq!(q.variants[0].kind, IndexKind::None);
            // Every query measures the app's own index for it, with the app's definition.
            let mine: Vec<&Variant> = q
                .variants
                .iter()
                .filter(|v| {
                    app.iter()
                        .any(|(c, m)| c == &q.collection && index_name(m) == v.name)
                })
                .collect();
            assert!(
                !mine.is_empty(),
                "{}: no app index among the variants",
                q.id
            );
            for v in mine {
                let (_, m) = app
                    .iter()
                    .find(|(c, m)| c == &q.collection && index_name(m) == v.name)
                    .unwrap();
                assert_eq!(v.keys, m.keys, "{}", v.name);
            }
            assert!(
                q.variants.iter().all(|v| !v.name.starts_with("missing_")),
                "{}: an app index the app does not declare",
                q.id
            );
        }
        // The shapes are the app's: no lab-only collection, participants queried by
        // email_norm (the app's field), never by a lab-only `email` key.
        assert!(cat.iter().all(|q| q.collection != "interactions"));
        for q in &cat {
            let shape = q.op.shape();
            assert!(!shape.contains(r#""email":"#), "{}: {shape}", q.id);
        }
    }

    #[test]
    fn index_kinds_are_compared_and_names_are_unique_per_collection() {
        let cat = catalogue(42, &Counts::for_scale(10_000));
        // 2dsphere is left out: the app declares a geo index but issues no geo query.
        for k in IndexKind::ALL
            .into_iter()
            .filter(|k| *k != IndexKind::Geo2dsphere)
        {
            assert!(
                cat.iter().any(|q| q.variants.iter().any(|v| v.kind == k)),
                "{k:?} missing"
            );
        }
        for q in &cat {
            for v in q.variants.iter().skip(1) {
                // The same name may serve two queries only with the same definition.
                let other = cat
                    .iter()
                    .filter(|o| o.collection == q.collection)
                    .flat_map(|o| o.variants.iter())
                    .find(|o| o.name == v.name && o.describe() != v.describe());
                assert!(other.is_none(), "{} defined twice", v.name);
            }
        }
    }
}
