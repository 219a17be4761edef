//! Feedback: survey questions and live polls built by the organiser, answers from phones
//! through the portal. `model` holds the shapes; this module the rules, the collections
//! and the operations. Every function takes a [`Core`]; none sees a GUI or HTTP.

pub mod counters;
pub mod follow;
pub mod lookups;
pub mod model;

pub use model::*;

use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use mongodb::{Collection, IndexModel};

use crate::{
    db::{index, index_with, CollectionSpec},
    error::Code,
    time, Core, Error, Result,
};

pub const QUESTIONS: &str = "feedback_questions";
pub const ANSWERS: &str = "feedback_answers";

pub const MAX_LABEL: usize = 500;
pub const MAX_CHOICES: usize = 20;
/// Longest free-text answer, in characters.
pub const MAX_TEXT: usize = 2000;
pub const MAX_QUESTIONS_PER_EVENT: u64 = 200;

pub fn questions(core: &Core) -> Collection<Question> {
    core.db().collection(QUESTIONS)
}

pub fn answers(core: &Core) -> Collection<Answer> {
    core.db().collection(ANSWERS)
}

pub(crate) fn answers_raw(core: &Core) -> Collection<Document> {
    core.db().collection(ANSWERS)
}

/// Indexes of the answers: the uniqueness rule and one per dashboard pipeline
/// (equality on event and kind first, then what is grouped or sorted).
pub fn answer_indexes() -> Vec<IndexModel> {
    vec![
        index_with(
            doc! { "question_id": 1, "respondent": 1 },
            "question_respondent_unique",
            |mut o| {
                o.unique = Some(true);
                o
            },
        ),
        // Ratings per session, NPS, distributions (covered: kind, session, question, num).
        index(
            doc! { "event_id": 1, "kind": 1, "session_id": 1, "question_id": 1, "num": 1 },
            "event_kind_session_question_num",
        ),
        // Choice distributions (multikey on choices).
        index(
            doc! { "event_id": 1, "kind": 1, "question_id": 1, "choices": 1 },
            "event_kind_question_choices",
        ),
        // Free text newest first, timeline, live polling fallback.
        index(
            doc! { "event_id": 1, "kind": 1, "updated_at": -1 },
            "event_kind_updated_at",
        ),
        index(doc! { "event_id": 1, "updated_at": -1 }, "event_updated_at"),
        // Answers over time (first answer time): covered.
        index(doc! { "event_id": 1, "created_at": 1 }, "event_created_at"),
        // Live refresh: is this answer a respondent's first of the event?
        index(
            doc! { "event_id": 1, "respondent": 1, "created_at": 1 },
            "event_respondent_created_at",
        ),
        // Attendance per session: distinct respondents per session.
        index(
            doc! { "event_id": 1, "session_id": 1, "respondent": 1 },
            "event_session_respondent",
        ),
    ]
}

/// The feedback collections, registered in `schema::collections()`. Also adds the index the
/// dashboard's check-in timeline needs on `participants`.
pub fn collections() -> Vec<CollectionSpec> {
    vec![
        CollectionSpec {
            name: QUESTIONS,
            validator: None,
            indexes: vec![index(
                doc! { "event_id": 1, "position": 1 },
                "event_position",
            )],
        },
        CollectionSpec {
            name: ANSWERS,
            validator: Some(answer_validator()),
            indexes: answer_indexes(),
        },
        CollectionSpec {
            name: counters::TALLIES,
            validator: None,
            indexes: counters::tally_indexes(),
        },
        CollectionSpec {
            name: counters::PRESENCE,
            validator: None,
            indexes: counters::presence_indexes(),
        },
        CollectionSpec {
            name: follow::STREAM,
            validator: None,
            indexes: vec![],
        },
        CollectionSpec {
            name: crate::participants::schema::PARTICIPANTS,
            validator: None,
            indexes: vec![index(
                doc! { "event_id": 1, "checked_in_at": 1 },
                "event_checked_in_at",
            )],
        },
    ]
}

fn answer_validator() -> Document {
    doc! { "$jsonSchema": {
        "bsonType": "object",
        "required": ["_id", "event_id", "question_id", "kind", "respondent", "version", "updated_at"],
        "properties": {
            "event_id": { "bsonType": "string", "minLength": 1 },
            "question_id": { "bsonType": "string", "minLength": 1 },
            "kind": { "enum": ["rating", "nps", "single", "multiple", "text"] },
            "respondent": { "bsonType": "string", "minLength": 1, "maxLength": 200 },
            "num": { "bsonType": ["int", "null"], "minimum": 0, "maximum": 10 },
            "choices": { "bsonType": "array", "maxItems": MAX_CHOICES as i32 },
            "text": { "bsonType": ["string", "null"], "maxLength": MAX_TEXT as i32 * 4 },
            "updated_at": { "bsonType": "date" },
        },
    } }
}

/// Parse a question input from JSON, naming the field at fault.
pub fn input_from_json(v: serde_json::Value) -> Result<QuestionInput> {
    let de = serde_path_to_error::deserialize::<_, QuestionInput>(v);
    de.map_err(|e| {
        let path = e.path().to_string();
        Error::invalid(
            if path == "." { "question".into() } else { path },
            e.inner().to_string(),
        )
    })
}

/// Check and tidy a question: trimmed wordings, at least one language, choices for the
/// choice kinds (2–20, generated ids), none for the others.
pub fn normalise(mut q: QuestionInput) -> Result<QuestionInput> {
    q.label.fr = q.label.fr.trim().to_owned();
    q.label.en = q.label.en.trim().to_owned();
    if q.label.fr.is_empty() && q.label.en.is_empty() {
        return Err(Error::invalid(
            "label",
            "write the question in French or English",
        ));
    }
    if q.label.fr.chars().count() > MAX_LABEL || q.label.en.chars().count() > MAX_LABEL {
        return Err(Error::invalid(
            "label",
            format!("at most {MAX_LABEL} characters"),
        ));
    }
    q.session_id = q.session_id.filter(|s| !s.trim().is_empty());
    if q.kind.has_choices() {
        let mut seen = std::collections::HashSet::new();
        q.choices
            .retain(|c| !(c.label.fr.trim().is_empty() && c.label.en.trim().is_empty()));
        if q.choices.len() < 2 {
            return Err(Error::invalid("choices", "give at least two choices"));
        }
        if q.choices.len() > MAX_CHOICES {
            return Err(Error::invalid(
                "choices",
                format!("at most {MAX_CHOICES} choices"),
            ));
        }
        for (i, c) in q.choices.iter_mut().enumerate() {
            c.label.fr = c.label.fr.trim().to_owned();
            c.label.en = c.label.en.trim().to_owned();
            if c.label.fr.chars().count() > MAX_LABEL || c.label.en.chars().count() > MAX_LABEL {
                return Err(Error::invalid(format!("choices[{i}].label"), "too long"));
            }
            if c.id.trim().is_empty() {
                c.id = format!("c{}", i + 1);
            }
            if c.id.len() > 40
                || !c
                    .id
                    .chars()
                    .all(|x| x.is_ascii_alphanumeric() || x == '-' || x == '_')
            {
                return Err(Error::invalid(
                    format!("choices[{i}].id"),
                    "letters, digits, - and _ only",
                ));
            }
            if !seen.insert(c.id.clone()) {
                // Regenerate clashing ids (a pasted list) rather than refuse.
                c.id = format!("c{}-{}", i + 1, seen.len());
                seen.insert(c.id.clone());
            }
        }
    } else {
        q.choices.clear();
    }
    Ok(q)
}

fn live() -> Document {
    doc! { "deleted_at": Bson::Null }
}

/// Add a question to an event (status draft; the session must be one of the event's).
pub async fn create_question(
    core: &Core,
    event_id: &str,
    input: QuestionInput,
) -> Result<Question> {
    let input = normalise(input)?;
    let event = crate::events::get(core, event_id).await?;
    check_session(&event, input.session_id.as_deref())?;
    let existing = questions(core)
        .count_documents(doc! { "event_id": event_id, "deleted_at": Bson::Null })
        .await?;
    if existing >= MAX_QUESTIONS_PER_EVENT {
        return Err(Error::invalid(
            "question",
            format!("at most {MAX_QUESTIONS_PER_EVENT} questions per event"),
        ));
    }
    let now = time::now();
    let q = Question {
        id: uuid::Uuid::now_v7().to_string(),
        event_id: event_id.to_owned(),
        input,
        status: QuestionStatus::Draft,
        position: now.timestamp_millis(),
        opened_at: None,
        closed_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
        updated_by: core.actor().to_owned(),
        deleted_at: None,
    };
    questions(core).insert_one(&q).await?;
    Ok(q)
}

fn check_session(event: &crate::events::Event, session: Option<&str>) -> Result<()> {
    match session {
        Some(s) if !event.input.sessions.iter().any(|x| x.id == s) => {
            Err(Error::invalid("session_id", "not a session of this event"))
        }
        _ => Ok(()),
    }
}

/// One live question.
pub async fn get_question(core: &Core, id: &str) -> Result<Question> {
    let mut f = live();
    f.insert("_id", id);
    questions(core)
        .find_one(f)
        .await?
        .ok_or_else(|| Error::not_found(format!("question {id}")))
}

/// The questions of an event in order, with their answer counts.
pub async fn list_questions(core: &Core, event_id: &str) -> Result<Vec<QuestionWithCount>> {
    let qs: Vec<Question> = questions(core)
        .find(doc! { "event_id": event_id, "deleted_at": Bson::Null })
        .sort(doc! { "position": 1 })
        .await?
        .try_collect()
        .await?;
    let counts: Vec<Document> = answers_raw(core)
        .aggregate(vec![
            doc! { "$match": { "event_id": event_id } },
            doc! { "$group": { "_id": "$question_id", "n": { "$sum": 1 } } },
        ])
        .await?
        .try_collect()
        .await?;
    Ok(qs
        .into_iter()
        .map(|q| {
            let answers = counts
                .iter()
                .find(|d| d.get_str("_id").ok() == Some(q.id.as_str()))
                .map_or(0, |d| num(d.get("n")));
            QuestionWithCount {
                question: q,
                answers,
            }
        })
        .collect())
}

pub(crate) fn num(b: Option<&Bson>) -> i64 {
    match b {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Double(n)) => *n as i64,
        _ => 0,
    }
}

/// Replace the wording/choices of a question, if nobody changed it since `expected_version`.
/// The kind cannot change once answers exist (they would no longer fit).
pub async fn update_question(
    core: &Core,
    id: &str,
    expected_version: i64,
    input: QuestionInput,
) -> Result<Question> {
    let input = normalise(input)?;
    let current = get_question(core, id).await?;
    let event = crate::events::get(core, &current.event_id).await?;
    check_session(&event, input.session_id.as_deref())?;
    if input.kind != current.input.kind
        && answers(core)
            .count_documents(doc! { "question_id": id })
            .limit(1)
            .await?
            > 0
    {
        return Err(Error::invalid(
            "kind",
            "the question already has answers: its kind cannot change",
        ));
    }
    let set = time::to_doc(&input)?;
    let mut update = doc! { "$set": set };
    if input.session_id.is_none() {
        update.insert("$unset", doc! { "session_id": "" });
    }
    let update = crate::db::stamp(core, update, time::now());
    let mut f = live();
    f.insert("_id", id);
    f.insert("version", expected_version);
    let updated = questions(core)
        .find_one_and_update(f, update)
        .return_document(mongodb::options::ReturnDocument::After)
        .await;
    lookups::forget(core);
    updated?.ok_or_else(|| {
        Error::new(
            Code::Conflict,
            "the question was changed meanwhile: reload it",
        )
    })
}

/// Open or close a question (a live poll during a session, or the survey).
pub async fn set_status(core: &Core, id: &str, status: QuestionStatus) -> Result<Question> {
    let now = bson::DateTime::from_chrono(time::now());
    let mut set = doc! { "status": status_str(status) };
    match status {
        QuestionStatus::Open => {
            set.insert("opened_at", now);
            set.insert("closed_at", Bson::Null);
        }
        QuestionStatus::Closed => {
            set.insert("closed_at", now);
        }
        QuestionStatus::Draft => {}
    }
    let mut f = live();
    f.insert("_id", id);
    let updated = questions(core)
        .find_one_and_update(f, crate::db::stamp(core, doc! { "$set": set }, now))
        .return_document(mongodb::options::ReturnDocument::After)
        .await;
    // The portal refuses answers to a closed poll from now on (see `lookups`).
    lookups::forget(core);
    updated?.ok_or_else(|| Error::not_found(format!("question {id}")))
}

fn status_str(s: QuestionStatus) -> &'static str {
    match s {
        QuestionStatus::Draft => "draft",
        QuestionStatus::Open => "open",
        QuestionStatus::Closed => "closed",
    }
}

/// Delete a question (tombstone; its answers stay for the record but leave the dashboard).
pub async fn delete_question(core: &Core, id: &str) -> Result<()> {
    let now = bson::DateTime::from_chrono(time::now());
    let mut f = live();
    f.insert("_id", id);
    let set = doc! { "status": "closed" };
    let gone = crate::db::tombstone(core, QUESTIONS, f, set, &[], now).await;
    lookups::forget(core);
    if gone?.is_none() {
        return Err(Error::not_found(format!("question {id}")));
    }
    Ok(())
}

/// The open questions of an event's survey page (`/f/{event_id}`): open survey questions
/// and open polls. Without a participant, only those allowing anonymous answers.
pub async fn open_questions(
    core: &Core,
    event_id: &str,
    identified: bool,
) -> Result<Vec<Question>> {
    let mut f = doc! { "event_id": event_id, "deleted_at": Bson::Null, "status": "open" };
    if !identified {
        f.insert("anonymous", true);
    }
    Ok(questions(core)
        .find(f)
        .sort(doc! { "position": 1 })
        .await?
        .try_collect()
        .await?)
}

/// The checked value of an answer: `(num, choices, text)`.
pub type Checked = (Option<i32>, Vec<String>, Option<String>);

/// Check a raw value against a question. Required questions refuse an empty value.
pub fn check_value(q: &Question, v: &RawValue) -> Result<Checked> {
    let kind = q.input.kind;
    match (kind, v) {
        (_, RawValue::Missing) => Err(Error::invalid("value", "an answer is required")),
        (QuestionKind::Rating | QuestionKind::Nps, RawValue::Number(n)) => {
            let (lo, hi) = kind.range().unwrap_or((0, 10));
            if n.fract() != 0.0 || *n < f64::from(lo) || *n > f64::from(hi) {
                return Err(Error::invalid(
                    "value",
                    format!("a whole number from {lo} to {hi}"),
                ));
            }
            Ok((Some(*n as i32), vec![], None))
        }
        (QuestionKind::Rating | QuestionKind::Nps, RawValue::Text(s)) => {
            match s.trim().parse::<f64>() {
                Ok(n) => check_value(q, &RawValue::Number(n)),
                Err(_) => Err(Error::invalid("value", "a number is expected")),
            }
        }
        (QuestionKind::Single, RawValue::Text(s)) => {
            let s = s.trim();
            if !q.input.choices.iter().any(|c| c.id == s) {
                return Err(Error::invalid("value", "not one of the choices"));
            }
            Ok((None, vec![s.to_owned()], None))
        }
        (QuestionKind::Multiple, RawValue::Text(s)) => {
            check_value(q, &RawValue::List(vec![s.clone()]))
        }
        (QuestionKind::Multiple, RawValue::List(l)) => {
            let mut out: Vec<String> = vec![];
            for s in l {
                let s = s.trim();
                if !q.input.choices.iter().any(|c| c.id == s) {
                    return Err(Error::invalid("value", "not one of the choices"));
                }
                if !out.iter().any(|x| x == s) {
                    out.push(s.to_owned());
                }
            }
            if out.is_empty() {
                return Err(Error::invalid("value", "choose at least one"));
            }
            Ok((None, out, None))
        }
        (QuestionKind::Text, RawValue::Text(s)) => {
            let s = s.trim();
            if s.is_empty() {
                return Err(Error::invalid("value", "an answer is required"));
            }
            if s.chars().count() > MAX_TEXT {
                return Err(Error::invalid(
                    "value",
                    format!("at most {MAX_TEXT} characters"),
                ));
            }
            Ok((None, vec![], Some(s.to_owned())))
        }
        _ => Err(Error::invalid(
            "value",
            format!("not a valid answer to a {} question", kind.as_str()),
        )),
    }
}

/// Why an answer was refused before its value was looked at.
pub fn closed_error() -> Error {
    Error::new(Code::Conflict, "this question is not open for answers")
}

/// Record (or update) the answer of `who` to question `q`. The question must be open; the
/// respondent must be allowed (a participant of the event, or anonymous where allowed).
pub async fn answer(
    core: &Core,
    q: &Question,
    who: &Respondent,
    value: &RawValue,
) -> Result<Answer> {
    if q.status != QuestionStatus::Open || q.deleted_at.is_some() {
        return Err(closed_error());
    }
    if matches!(who, Respondent::Device(_)) && !q.input.anonymous {
        return Err(Error::new(
            Code::Unsupported,
            "this question needs your personal invitation link",
        ));
    }
    if let Respondent::Device(d) = who {
        if d.is_empty() || d.len() > 64 {
            return Err(Error::invalid("respondent", "invalid device id"));
        }
    }
    let (num, choices, text) = check_value(q, value)?;
    let now = bson::DateTime::from_chrono(time::now());
    let respondent = who.key();
    let filter = doc! { "question_id": &q.id, "respondent": &respondent };
    let update = crate::db::stamp_by(
        updated_by(who),
        doc! { "$set": {
            "num": num.map_or(Bson::Null, Bson::Int32),
            "choices": choices.clone(),
            "text": text.clone().map_or(Bson::Null, Bson::String),
        } },
        now,
    );
    let first = Answer {
        id: uuid::Uuid::now_v7().to_string(),
        event_id: q.event_id.clone(),
        session_id: q.input.session_id.clone(),
        question_id: q.id.clone(),
        kind: q.input.kind,
        respondent,
        participant_id: match who {
            Respondent::Participant(p) => Some(p.clone()),
            Respondent::Device(_) => None,
        },
        num,
        choices,
        text,
        version: 1,
        created_at: now.to_chrono(),
        updated_at: now.to_chrono(),
        updated_by: updated_by(who).into(),
    };
    // The tallies move from the answer as it was to the new one, so `before` must be
    // exactly the version this write replaced, even when the same person's answers race
    // (a double tap): a first answer is an insert — the unique index {question_id,
    // respondent} lets exactly one of two racing first answers in — and a change is a
    // write conditioned on the version just read, tried again if another write came
    // between. (One `findAndModify` returning the document as it was would save a round
    // trip, but secantusd-rs can return a stale pre-image, or none, when two writes of a
    // document race; this way is exact on every server.) A first answer is one insert,
    // counted by the follower of the answers' change stream (`follow`), or — on a server
    // without change streams — inserted and counted with the other answers arriving at
    // the same time (`counters::Queue`).
    let mut known: Option<Answer> = None;
    let mut tries = 0;
    let before = loop {
        tries += 1;
        if tries > 20 {
            return Err(Error::new(
                Code::Conflict,
                "this answer is being changed by another request: try again",
            ));
        }
        match known.take() {
            None => match counters::insert_first(core, first.clone()).await? {
                counters::Written::Done => break None,
                counters::Written::Duplicate => {
                    known = answers(core).find_one(filter.clone()).await?;
                }
            },
            Some(b) => {
                let r = answers(core)
                    .update_one(doc! { "_id": &b.id, "version": b.version }, update.clone())
                    .await?;
                if r.matched_count == 1 {
                    break Some(b);
                }
                known = answers(core).find_one(filter.clone()).await?;
            }
        }
    };
    let after = match &before {
        Some(b) => Answer {
            num: first.num,
            choices: first.choices.clone(),
            text: first.text.clone(),
            version: b.version + 1,
            updated_at: now.to_chrono(),
            updated_by: updated_by(who).into(),
            ..b.clone()
        },
        None => first,
    };
    // A first answer was counted with its insert.
    if before.is_some() {
        counters::apply(core, before.as_ref(), Some(&after)).await?;
    }
    Ok(after)
}

fn updated_by(who: &Respondent) -> &'static str {
    match who {
        Respondent::Participant(_) => "participant",
        Respondent::Device(_) => "anonymous",
    }
}

/// The answers of a respondent to an event's questions (to pre-fill the survey page).
pub async fn answers_of(core: &Core, event_id: &str, who: &Respondent) -> Result<Vec<Answer>> {
    Ok(answers(core)
        .find(doc! { "event_id": event_id, "respondent": who.key() })
        .await?
        .try_collect()
        .await?)
}

/// How feedback syncs: questions are versioned; answers are one per question and
/// respondent, the newer winning (two phones, or two laptops, answering for one person).
pub fn sync_specs() -> Vec<crate::db::SyncSpec> {
    use crate::db::{Policy, Reference, SyncSpec};
    vec![
        SyncSpec::new(QUESTIONS, Policy::Versioned),
        SyncSpec {
            natural_key: &["question_id", "respondent"],
            references: &[Reference {
                target: crate::participants::schema::PARTICIPANTS,
                fields: &["respondent", "participant_id"],
                fixup: None,
            }],
            // The dashboard's tallies are rebuilt from the answers a sync brought in,
            // replaced or moved to a merged participant.
            derived: Some(crate::db::Derived {
                name: counters::TALLIES,
                rebuild: |core, event_id| Box::pin(counters::rebuild(core, event_id)),
            }),
            ..SyncSpec::new(ANSWERS, Policy::Keyed)
        },
        // Derived from the answers of this store: rebuilt, never synced.
        SyncSpec::new(counters::TALLIES, Policy::LocalOnly),
        SyncSpec::new(counters::PRESENCE, Policy::LocalOnly),
        SyncSpec::new(follow::STREAM, Policy::LocalOnly),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kind: QuestionKind) -> Question {
        let now = time::now();
        Question {
            id: "q".into(),
            event_id: "e".into(),
            input: QuestionInput {
                kind,
                mode: Mode::Poll,
                session_id: None,
                label: Wording {
                    fr: "Q".into(),
                    en: String::new(),
                },
                choices: vec![
                    Choice {
                        id: "a".into(),
                        label: Wording {
                            fr: "A".into(),
                            en: String::new(),
                        },
                    },
                    Choice {
                        id: "b".into(),
                        label: Wording {
                            fr: "B".into(),
                            en: String::new(),
                        },
                    },
                ],
                required: true,
                anonymous: true,
            },
            status: QuestionStatus::Open,
            position: 0,
            opened_at: None,
            closed_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
            updated_by: String::new(),
            deleted_at: None,
        }
    }

    #[test]
    fn values_are_checked_against_the_kind() {
        let r = q(QuestionKind::Rating);
        assert_eq!(check_value(&r, &RawValue::Number(5.0)).unwrap().0, Some(5));
        assert_eq!(
            check_value(&r, &RawValue::Text("3".into())).unwrap().0,
            Some(3)
        );
        for bad in [0.0, 6.0, 2.5] {
            assert_eq!(
                check_value(&r, &RawValue::Number(bad))
                    .unwrap_err()
                    .field
                    .as_deref(),
                Some("value")
            );
        }
        let n = q(QuestionKind::Nps);
        assert!(check_value(&n, &RawValue::Number(0.0)).is_ok());
        assert!(check_value(&n, &RawValue::Number(11.0)).is_err());
        let s = q(QuestionKind::Single);
        assert_eq!(
            check_value(&s, &RawValue::Text("b".into())).unwrap().1,
            vec!["b"]
        );
        assert!(check_value(&s, &RawValue::Text("z".into())).is_err());
        let m = q(QuestionKind::Multiple);
        let l = RawValue::List(vec!["a".into(), "b".into(), "a".into()]);
        assert_eq!(check_value(&m, &l).unwrap().1, vec!["a", "b"]);
        let t = q(QuestionKind::Text);
        assert!(check_value(&t, &RawValue::Text("x".repeat(MAX_TEXT + 1))).is_err());
        assert!(check_value(&t, &RawValue::Text("  ".into())).is_err());
        assert!(check_value(&t, &RawValue::Number(3.0)).is_err());
    }

    #[test]
    fn choice_questions_need_two_choices_and_get_ids() {
        let mut i = q(QuestionKind::Single).input;
        for c in &mut i.choices {
            c.id.clear();
        }
        let n = normalise(i.clone()).unwrap();
        assert_eq!(n.choices[0].id, "c1");
        i.choices.truncate(1);
        assert_eq!(normalise(i).unwrap_err().field.as_deref(), Some("choices"));
    }
}
