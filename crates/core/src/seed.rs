//! `seed --demo`: a realistic demo data set in French and English, so a first launch (or a
//! demo to an IT department) has something to look at. Deterministic: the same events each
//! time, dated relative to today so some are upcoming and some past.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use serde_json::json;

use crate::{
    events::{self, EventInput, GeoPoint, Layout, SeatingPlan, Session, Speaker, Status, Venue},
    Core, Result,
};

struct Spec {
    title: &'static str,
    description: &'static str,
    days_from_now: i64,
    days: i64,
    venue: (&'static str, &'static str, f64, f64),
    status: Status,
    tags: &'static [&'static str],
    speakers: &'static [(&'static str, &'static str)],
    sessions: &'static [(&'static str, &'static str)],
    capacity: u32,
    custom: serde_json::Value,
}

fn specs() -> Vec<Spec> {
    vec![
        Spec {
            title: "Journée Événementiel & Innovation 2027",
            description: "Une journée pour les organisateurs d'événements : tendances, outils numériques et retours d'expérience. Déjeuner et networking inclus.",
            days_from_now: 21,
            days: 1,
            venue: ("Palais des Congrès de Paris", "2 Place de la Porte Maillot, 75017 Paris", 2.2833, 48.8789),
            status: Status::Published,
            tags: &["innovation", "événementiel", "networking"],
            speakers: &[("Amélie Durand", "Directrice, Agence Lumière"), ("Karim Benali", "CTO, BilletFacile")],
            sessions: &[("Ouverture et keynote", "Grand Amphi"), ("Atelier : l'hybride qui marche", "Salle Bleue"), ("Table ronde : mesurer l'engagement", "Grand Amphi")],
            capacity: 450,
            custom: json!({ "budget_eur": 38000, "traiteur": "Maison Vatel", "accessible_pmr": true }),
        },
        Spec {
            title: "MongoDB Developer Day Lyon",
            description: "Hands-on workshops on schema design, aggregation pipelines and Atlas Search, in English and French.",
            days_from_now: 35,
            days: 1,
            venue: ("Cité Internationale", "50 Quai Charles de Gaulle, 69006 Lyon", 4.8520, 45.7840),
            status: Status::Published,
            tags: &["tech", "mongodb", "workshop"],
            speakers: &[("Sophie Martin", "Developer Advocate"), ("James O'Neill", "Solutions Architect")],
            sessions: &[("Schema design patterns", "Auditorium"), ("Aggregation deep dive", "Lab 1"), ("Change streams in practice", "Lab 2")],
            capacity: 120,
            custom: json!({ "wifi": "MDB-DevDay", "level": "intermediate" }),
        },
        Spec {
            title: "Séminaire annuel des ventes",
            description: "Bilan de l'année, objectifs 2027 et remise des trophées. Hébergement sur place pour les équipes régionales.",
            days_from_now: 60,
            days: 2,
            venue: ("Château de Chantilly — Les Écuries", "7 Rue du Connétable, 60500 Chantilly", 2.4853, 49.1939),
            status: Status::Draft,
            tags: &["interne", "ventes", "séminaire"],
            speakers: &[("Hélène Roche", "Directrice commerciale")],
            sessions: &[("Bilan et perspectives", "Salle des Gardes"), ("Ateliers régionaux", "Orangerie"), ("Soirée des trophées", "Salle des Gardes")],
            capacity: 180,
            custom: json!({ "hebergement": "Hôtel du Parc", "navette": ["Gare du Nord 8h10", "Gare du Nord 8h40"] }),
        },
        Spec {
            title: "Product Launch: Aurora Smart Speaker",
            description: "Press and partner launch of the Aurora speaker, with live demos and a hands-on area.",
            days_from_now: 12,
            days: 1,
            venue: ("Station F", "5 Parvis Alan Turing, 75013 Paris", 2.3708, 48.8339),
            status: Status::Published,
            tags: &["launch", "press", "tech"],
            speakers: &[("Lena Fischer", "VP Product"), ("Marc Aubry", "Head of Design")],
            sessions: &[("Keynote", "Main Hall"), ("Press Q&A", "Room 3")],
            capacity: 300,
            custom: json!({ "embargo_until": "2027-01-10T09:00:00Z", "press_kit": "https://example.com/aurora-press" }),
        },
        Spec {
            title: "Conférence Santé Numérique Bordeaux",
            description: "Télémédecine, données de santé et IA : chercheurs, soignants et startups échangent.",
            days_from_now: -30,
            days: 2,
            venue: ("Hangar 14", "Quai des Chartrons, 33000 Bordeaux", -0.5680, 44.8530),
            status: Status::Archived,
            tags: &["santé", "ia", "conférence"],
            speakers: &[("Dr Claire Lefèvre", "CHU de Bordeaux"), ("Thomas Nguyen", "Fondateur, MedLink")],
            sessions: &[("L'IA au chevet du patient", "Amphi A"), ("Données de santé : cadre et éthique", "Amphi B")],
            capacity: 600,
            custom: json!({ "credits_dpc": 7 }),
        },
        Spec {
            title: "Team Offsite — Annecy",
            description: "Two days of strategy, hiking and a lake cruise for the engineering team.",
            days_from_now: 90,
            days: 2,
            venue: ("Impérial Palace", "Allée de l'Impérial, 74000 Annecy", 6.1450, 45.9010),
            status: Status::Draft,
            tags: &["internal", "team building"],
            speakers: &[],
            sessions: &[("Strategy 2027", "Salon Mont-Blanc"), ("Lake cruise", "Port d'Annecy")],
            capacity: 45,
            custom: json!({ "dress_code": "casual", "allergies_collected": false }),
        },
        Spec {
            title: "Salon de l'Emploi Tech Nantes",
            description: "Rencontrez 60 entreprises qui recrutent développeurs, data scientists et designers.",
            days_from_now: 5,
            days: 1,
            venue: ("Cité des Congrès de Nantes", "5 Rue de Valmy, 44000 Nantes", -1.5450, 47.2130),
            status: Status::Published,
            tags: &["emploi", "tech", "salon"],
            speakers: &[("Julie Moreau", "Pôle emploi numérique")],
            sessions: &[("Conférence : réussir son entretien", "Auditorium 450")],
            capacity: 2000,
            custom: json!({ "exposants": 60, "stands_reserves": 54 }),
        },
        Spec {
            title: "Charity Gala Dinner",
            description: "An evening in support of children's education, with an auction and live jazz.",
            days_from_now: 45,
            days: 1,
            venue: ("Hôtel de Crillon", "10 Place de la Concorde, 75008 Paris", 2.3215, 48.8677),
            status: Status::Cancelled,
            tags: &["gala", "charity"],
            speakers: &[("Olivia Bennett", "Foundation Chair")],
            sessions: &[("Auction", "Salon des Aigles")],
            capacity: 220,
            custom: json!({ "ticket_price_eur": 350 }),
        },
    ]
}

fn at(day: DateTime<Utc>, h: u32, m: u32) -> DateTime<Utc> {
    let naive = day
        .date_naive()
        .and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default());
    Utc.from_utc_datetime(&naive)
}

/// The demo events as inputs, dated relative to `today`.
pub fn demo_inputs(today: DateTime<Utc>) -> Vec<EventInput> {
    specs()
        .into_iter()
        .map(|s| {
            let first = today + Duration::days(s.days_from_now);
            let starts_at = at(first, 8, 0);
            let ends_at = at(first + Duration::days(s.days - 1), 17, 30);
            let speakers: Vec<Speaker> = s
                .speakers
                .iter()
                .enumerate()
                .map(|(i, (name, title))| Speaker {
                    id: format!("sp{}", i + 1),
                    name: (*name).into(),
                    title: (*title).into(),
                    bio: String::new(),
                    links: vec![],
                    photo_url: None,
                })
                .collect();
            let sessions: Vec<Session> = s
                .sessions
                .iter()
                .enumerate()
                .map(|(i, (title, room))| {
                    let day = first + Duration::days((i as i64) % s.days);
                    let start = at(day, 9 + 2 * (i as u32 % 4), 0);
                    Session {
                        id: format!("s{}", i + 1),
                        title: (*title).into(),
                        summary: String::new(),
                        starts_at: start,
                        ends_at: start + Duration::minutes(90),
                        room: (*room).into(),
                        speaker_ids: if speakers.is_empty() {
                            vec![]
                        } else {
                            vec![speakers[i % speakers.len()].id.clone()]
                        },
                        capacity: None,
                    }
                })
                .collect();
            let first_room = s.sessions.first().map(|x| x.1).unwrap_or("Salle");
            let seating = vec![SeatingPlan {
                id: "plan1".into(),
                room: first_room.into(),
                layout: if s.capacity > 250 {
                    Layout::Grid {
                        rows: 12,
                        seats_per_row: 20,
                    }
                } else {
                    Layout::Tables {
                        tables: 10,
                        seats_per_table: 8,
                    }
                },
                blocked: if s.capacity > 250 {
                    vec!["A1".into(), "A20".into()]
                } else {
                    vec![]
                },
            }];
            EventInput {
                title: s.title.into(),
                description: s.description.into(),
                starts_at,
                ends_at,
                timezone: "Europe/Paris".into(),
                venue: Venue {
                    name: s.venue.0.into(),
                    address: s.venue.1.into(),
                    location: Some(GeoPoint::new(s.venue.2, s.venue.3)),
                },
                status: s.status,
                tags: s.tags.iter().map(|t| (*t).into()).collect(),
                capacity: Some(s.capacity),
                speakers,
                sessions,
                seating,
                custom: s.custom.as_object().cloned().unwrap_or_default(),
            }
        })
        .collect()
}

/// Insert the demo events unless events with the same titles already exist. Returns how
/// many were created.
pub async fn demo(core: &Core) -> Result<usize> {
    let mut created = 0;
    for input in demo_inputs(Utc::now()) {
        let exists = core
            .db()
            .collection::<bson::Document>(crate::db::EVENTS)
            .count_documents(bson::doc! { "title": &input.title, "deleted_at": bson::Bson::Null })
            .await?;
        if exists == 0 {
            events::create(core, input).await?;
            created += 1;
        }
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_event_passes_validation() {
        for e in demo_inputs(Utc::now()) {
            let title = e.title.clone();
            events::normalise(e).unwrap_or_else(|err| panic!("{title}: {err}"));
        }
    }
}
