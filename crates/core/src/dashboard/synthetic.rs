//! A synthetic event for the dashboard's performance figures (`docs/performance.md`):
//! `participants` people, 10 sessions, 20 questions (a rating and a choice poll per
//! session… see below) and one answer per participant per question. Deterministic for a
//! seed. Inserted in batches of 1,000 straight into the collections (the same documents
//! the portal writes), plus accepted networking connections and social posts (imported
//! through the CSV importer) for the interactions over time.

use chrono::Duration;
use serde_json::json;

use crate::{
    feedback::{self, Answer, Choice, Mode, QuestionInput, QuestionKind, QuestionStatus, Wording},
    networking,
    participants::{self, ParticipantInput, RsvpStatus, Source},
    time, Core, Result,
};

pub const SESSIONS: usize = 10;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What was generated.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Generated {
    pub event_id: String,
    pub participants: u64,
    pub questions: u64,
    pub answers: u64,
    /// Accepted networking connections (one per 5 participants).
    #[serde(default)]
    pub connections: u64,
    /// Social posts imported through the CSV importer (one per 2 participants).
    #[serde(default)]
    pub posts: u64,
    pub seconds: f64,
}

fn w(fr: &str, en: &str) -> Wording {
    Wording {
        fr: fr.into(),
        en: en.into(),
    }
}

/// Generate the event. 20 questions: per session a rating (10) and, for 8 sessions, a
/// single-choice poll; one NPS and one free-text question for the event. Every participant
/// answers every question: `participants × 20` answers.
pub async fn generate(core: &Core, participants: u64, seed: u64) -> Result<Generated> {
    let started = std::time::Instant::now();
    let mut rng = Rng(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let start = time::parse("2027-06-15T07:00:00Z").map_err(crate::Error::internal)?;
    let sessions: Vec<_> = (0..SESSIONS)
        .map(|i| {
            let s = start + Duration::minutes(60 * i as i64);
            json!({
                "title": format!("Session {}", i + 1),
                "starts_at": s.to_rfc3339(),
                "ends_at": (s + Duration::minutes(50)).to_rfc3339(),
                "room": format!("Salle {}", i % 3 + 1),
                "capacity": 1500 + 100 * i,
            })
        })
        .collect();
    let event = crate::events::create(
        core,
        crate::events::input_from_json(json!({
            "title": format!("Synthetic dashboard event ({participants} participants)"),
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + Duration::hours(11)).to_rfc3339(),
            "capacity": participants + 1000,
            "sessions": sessions,
        }))?,
    )
    .await?;
    let ev = &event.id;
    let mut questions = vec![];
    for (i, s) in event.input.sessions.iter().enumerate() {
        let mk = |kind, label: Wording, choices: Vec<Choice>| QuestionInput {
            kind,
            mode: Mode::Poll,
            session_id: Some(s.id.clone()),
            label,
            choices,
            required: true,
            anonymous: false,
        };
        questions.push(mk(
            QuestionKind::Rating,
            w(
                &format!("Note de la session {}", i + 1),
                &format!("Rate session {}", i + 1),
            ),
            vec![],
        ));
        if i < 8 {
            let choices = (1..=4)
                .map(|c| Choice {
                    id: format!("c{c}"),
                    label: w(&format!("Option {c}"), &format!("Option {c}")),
                })
                .collect();
            questions.push(mk(
                QuestionKind::Single,
                w(&format!("Sondage {}", i + 1), &format!("Poll {}", i + 1)),
                choices,
            ));
        }
    }
    for (kind, label) in [
        (
            QuestionKind::Nps,
            w(
                "Recommanderiez-vous cet événement ?",
                "Would you recommend this event?",
            ),
        ),
        (QuestionKind::Text, w("Un commentaire ?", "Any comment?")),
    ] {
        questions.push(QuestionInput {
            kind,
            mode: Mode::Survey,
            session_id: None,
            label,
            choices: vec![],
            required: false,
            anonymous: false,
        });
    }
    let mut qs = vec![];
    for q in questions {
        let q = feedback::create_question(core, ev, q).await?;
        qs.push(feedback::set_status(core, &q.id, QuestionStatus::Open).await?);
    }

    // Participants, in batches: 80 % accepted (of which 70 % checked in), 10 % declined.
    let now = time::now();
    let coll = participants::coll(core);
    let mut ids = Vec::with_capacity(participants as usize);
    let mut batch = vec![];
    for i in 0..participants {
        let input = ParticipantInput {
            name: format!("Participant {i}"),
            email: format!("p{i}@synthetic.test"),
            ..Default::default()
        };
        let mut p = participants::build(
            ev,
            input,
            format!("p{i}@synthetic.test"),
            Source {
                kind: "import".into(),
                ..Default::default()
            },
            now,
            core.actor(),
        );
        let r = rng.below(100);
        p.status = match r {
            0..=55 => RsvpStatus::CheckedIn,
            56..=79 => RsvpStatus::Accepted,
            80..=89 => RsvpStatus::Declined,
            _ => RsvpStatus::Invited,
        };
        if p.status == RsvpStatus::CheckedIn {
            p.checked_in_at = Some(start + Duration::seconds(rng.below(3600) as i64 - 1800));
        }
        ids.push(p.id.clone());
        batch.push(p);
        if batch.len() == 1000 {
            coll.insert_many(std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        coll.insert_many(batch).await?;
    }
    // Inserted directly: the seat counters are recounted from the statuses.
    participants::rsvp::recount(core, ev).await?;

    // Answers: every participant answers every question, during its session.
    let acoll = feedback::answers(core);
    let mut batch: Vec<Answer> = Vec::with_capacity(1000);
    let mut total = 0u64;
    for q in &qs {
        let base = q
            .input
            .session_id
            .as_ref()
            .and_then(|s| event.input.sessions.iter().find(|x| &x.id == s))
            .map_or(start + Duration::hours(10), |s| s.starts_at);
        for pid in &ids {
            let at = base + Duration::seconds(rng.below(3000) as i64);
            let (num, choices, text) = match q.input.kind {
                QuestionKind::Rating => (Some(1 + rng.below(5) as i32), vec![], None),
                QuestionKind::Nps => (Some(rng.below(11) as i32), vec![], None),
                QuestionKind::Single | QuestionKind::Multiple => {
                    (None, vec![format!("c{}", 1 + rng.below(4))], None)
                }
                QuestionKind::Text => (
                    None,
                    vec![],
                    Some(format!("Commentaire {}", rng.below(1000))),
                ),
            };
            batch.push(Answer {
                id: uuid::Uuid::now_v7().to_string(),
                event_id: ev.clone(),
                session_id: q.input.session_id.clone(),
                question_id: q.id.clone(),
                kind: q.input.kind,
                respondent: pid.clone(),
                participant_id: Some(pid.clone()),
                num,
                choices,
                text,
                version: 1,
                created_at: at,
                updated_at: at,
                updated_by: "synthetic".into(),
            });
            if batch.len() == 1000 {
                total += batch.len() as u64;
                acoll.insert_many(std::mem::take(&mut batch)).await?;
            }
        }
    }
    if !batch.is_empty() {
        total += batch.len() as u64;
        acoll.insert_many(batch).await?;
    }

    // Inserted directly: the answer tallies are computed from them once.
    feedback::counters::rebuild(core, ev).await?;

    // Networking: one accepted connection per 5 participants, random distinct pairs,
    // accepted during the event.
    let mut pairs = std::collections::HashSet::new();
    let mut conns = vec![];
    let n = ids.len() as u64;
    while n > 1 && (conns.len() as u64) < participants / 5 {
        let (x, y) = (rng.below(n) as usize, rng.below(n) as usize);
        let (a, b) = if ids[x] < ids[y] {
            (&ids[x], &ids[y])
        } else {
            (&ids[y], &ids[x])
        };
        if x == y || !pairs.insert((a.clone(), b.clone())) {
            continue;
        }
        let asked = start + Duration::seconds(rng.below(10 * 3600) as i64);
        conns.push(networking::Connection {
            id: uuid::Uuid::now_v7().to_string(),
            event_id: ev.clone(),
            a: a.clone(),
            b: b.clone(),
            requested_by: a.clone(),
            status: networking::ConnectionStatus::Accepted,
            note_a: String::new(),
            note_b: String::new(),
            requested_at: asked,
            accepted_at: Some(asked + Duration::seconds(rng.below(1800) as i64)),
            version: 2,
            created_at: asked,
            updated_at: asked,
            updated_by: "synthetic".into(),
        });
    }
    let connections = conns.len() as u64;
    for chunk in conns.chunks(1000) {
        networking::connections(core).insert_many(chunk).await?;
    }

    // Social: one post per 2 participants over the day, through the real CSV importer
    // (hashtags, mentions, sentiment).
    let mut csv = String::from("id,author,text,date,likes,shares,replies\n");
    let words = [
        "Super keynote",
        "Salle pleine",
        "Trop de monde au café",
        "Great talk",
        "Boring session",
        "Merci aux orateurs",
    ];
    for i in 0..participants / 2 {
        let at = start + Duration::seconds(rng.below(11 * 3600) as i64);
        let text = format!(
            "{} #Synth2027 #session{} @speaker{}",
            words[rng.below(words.len() as u64) as usize],
            1 + rng.below(SESSIONS as u64),
            rng.below(5)
        );
        csv.push_str(&format!(
            "s{i},user{},{text},{},{},{},{}\n",
            rng.below(participants.max(1) / 3 + 1),
            at.format("%Y-%m-%d %H:%M:%S"),
            rng.below(50),
            rng.below(10),
            rng.below(5)
        ));
    }
    let report = crate::social::import::import_bytes(
        core,
        ev,
        "synthetic-posts.csv",
        csv.as_bytes(),
        &Default::default(),
        &|_| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .await?;

    Ok(Generated {
        event_id: ev.clone(),
        participants,
        questions: qs.len() as u64,
        answers: total,
        connections,
        posts: report.imported,
        seconds: started.elapsed().as_secs_f64(),
    })
}
