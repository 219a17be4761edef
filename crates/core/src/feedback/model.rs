//! Questions (survey questions and live polls) and answers.
//!
//! A *question* belongs to an event and optionally to one of its sessions. Its `mode` says
//! whether it is a live poll (reached alone at `/p/{id}`, opened and closed during a
//! session) or part of the event's survey (all open survey questions at `/f/{event_id}`).
//! Only `open` questions take answers.
//!
//! An *answer* is one document per (question, respondent), shaped for aggregation: the
//! event, session, question and kind are copied in, the value sits in `num` (rating, NPS),
//! `choices` (single/multiple choice: choice ids) or `text`. The unique index
//! `{question_id, respondent}` enforces one answer per person; a resubmission updates it
//! (`version` is incremented). For sync (issue 7): answers are never deleted, only
//! upserted — last writer wins per (question, respondent), `updated_at` orders them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 1–5 stars.
    Rating,
    /// Net promoter score, 0–10.
    Nps,
    Single,
    Multiple,
    Text,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Rating => "rating",
            QuestionKind::Nps => "nps",
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::Text => "text",
        }
    }

    /// The accepted numeric range (rating, NPS).
    pub fn range(self) -> Option<(i32, i32)> {
        match self {
            QuestionKind::Rating => Some((1, 5)),
            QuestionKind::Nps => Some((0, 10)),
            _ => None,
        }
    }

    pub fn has_choices(self) -> bool {
        matches!(self, QuestionKind::Single | QuestionKind::Multiple)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "QuestionMode")]
pub enum Mode {
    /// Shown alone at `/p/{id}`, opened and closed live.
    #[default]
    Poll,
    /// Part of the event's survey at `/f/{event_id}`.
    Survey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum QuestionStatus {
    #[default]
    Draft,
    Open,
    Closed,
}

/// A wording in both languages (one may be empty: the other is shown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(default)]
pub struct Wording {
    pub fr: String,
    pub en: String,
}

impl Wording {
    pub fn get(&self, en: bool) -> &str {
        match (en, self.fr.is_empty(), self.en.is_empty()) {
            (true, _, false) | (false, true, false) => &self.en,
            _ => &self.fr,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(default)]
#[ts(rename = "QuestionChoice")]
pub struct Choice {
    /// Stable within the question (answers refer to it). Generated when empty.
    pub id: String,
    pub label: Wording,
}

/// What the organiser edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct QuestionInput {
    pub kind: QuestionKind,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub session_id: Option<String>,
    pub label: Wording,
    #[serde(default)]
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub required: bool,
    /// May people answer without a personal link (one answer per device)?
    #[serde(default)]
    pub anonymous: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Question {
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    #[serde(flatten)]
    pub input: QuestionInput,
    pub status: QuestionStatus,
    /// Order within the event (creation order).
    pub position: i64,
    #[serde(default, with = "crate::time::ts_opt")]
    #[ts(type = "string | null")]
    pub opened_at: Option<DateTime<Utc>>,
    #[serde(default, with = "crate::time::ts_opt")]
    #[ts(type = "string | null")]
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i64,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_by: String,
    #[serde(default, with = "crate::time::ts_opt")]
    #[ts(type = "string | null")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A value as sent by a phone, before it is checked against the question.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Number(f64),
    Text(String),
    List(Vec<String>),
    Missing,
}

/// The stored answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    #[serde(rename = "_id")]
    pub id: String,
    pub event_id: String,
    #[serde(default)]
    pub session_id: Option<String>,
    pub question_id: String,
    pub kind: QuestionKind,
    /// The participant id, or `anon:{device id}` for an anonymous answer.
    pub respondent: String,
    #[serde(default)]
    pub participant_id: Option<String>,
    #[serde(default)]
    pub num: Option<i32>,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub text: Option<String>,
    pub version: i64,
    #[serde(with = "crate::time::ts")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_by: String,
}

/// Who answers: a participant (from their invitation token) or an anonymous device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Respondent {
    Participant(String),
    Device(String),
}

impl Respondent {
    pub fn key(&self) -> String {
        match self {
            Respondent::Participant(id) => id.clone(),
            Respondent::Device(d) => format!("anon:{d}"),
        }
    }
}

/// Answer counts of a question (shown beside it in the organiser's list).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct QuestionWithCount {
    #[serde(flatten)]
    pub question: Question,
    pub answers: i64,
}
