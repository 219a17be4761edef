//! The one error type of the core.
//!
//! Every front end (Tauri commands, CLI, portal) turns it into
//! `{code, message, field?, reason?, params?, problems?}`: the UI branches on [`Code`] and
//! words the error in the user's language from `reason` + `params` (never from the message
//! text, which is English, for logs and the CLI). An input with several faults reports them
//! all in `problems`. Driver errors are mapped to domain errors in exactly one place,
//! [`From<mongodb::error::Error>`].

use std::collections::BTreeMap;

use serde::Serialize;

/// Stable, machine-readable error codes. Only add a variant when a consumer branches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "ErrorCode")]
pub enum Code {
    /// Input is invalid; `field` names what is wrong.
    Validation,
    /// The document does not exist (or was deleted).
    NotFound,
    /// Someone else changed the document since it was read (stale version).
    Conflict,
    /// A unique index refused the write (e.g. the same e-mail twice).
    Duplicate,
    /// The database cannot be reached.
    DbUnavailable,
    /// No database engine could be found or started on this machine.
    EngineMissing,
    /// The connected server lacks a feature this operation needs.
    Unsupported,
    /// The database's disk is full: nothing was written; free space and try again.
    DiskFull,
    /// Anything else: a bug or an unexpected server answer.
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Validation => "validation",
            Code::NotFound => "not_found",
            Code::Conflict => "conflict",
            Code::Duplicate => "duplicate",
            Code::DbUnavailable => "db_unavailable",
            Code::EngineMissing => "engine_missing",
            Code::Unsupported => "unsupported",
            Code::DiskFull => "disk_full",
            Code::Internal => "internal",
        }
    }
}

/// Values that complete a reason (`{"max": "200"}` for `too_long`), as text.
pub type Params = BTreeMap<&'static str, String>;

/// One fault of one field: its path, the stable name of the problem and its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Problem {
    pub field: String,
    pub reason: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(as = "Option<BTreeMap<String, String>>", optional)]
    pub params: Params,
    /// The same in English (logs, CLI).
    pub message: String,
}

impl Problem {
    pub fn new<const N: usize>(
        field: impl Into<String>,
        reason: &'static str,
        params: [(&'static str, String); N],
    ) -> Self {
        let field = field.into();
        let params: Params = params.into_iter().collect();
        Problem {
            message: format!("{field}: {}", english(reason, &params)),
            field,
            reason,
            params,
        }
    }
}

/// A domain error: a code, a human message (English), and for validation errors the field at
/// fault (a JSON-style path such as `sessions[1].ends_at`); `reason` and `params` name the
/// problem for the UI to word it; `problems` lists every fault when an input has several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
#[ts(rename = "ApiError")]
pub struct Error {
    pub code: Code,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
    /// Stable snake_case name of the problem (`required`, `too_long`, `invalid_email`,
    /// `portal_not_running`…); the UI's dictionaries have a sentence for each.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(as = "Option<BTreeMap<String, String>>", optional)]
    pub params: Params,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Problem>>", optional)]
    pub problems: Vec<Problem>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            field: None,
            reason: None,
            params: Params::new(),
            problems: Vec::new(),
        }
    }

    /// The same error naming `field`.
    pub fn on_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The same error with one more parameter for the UI's message.
    pub fn with_param(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.params.insert(key, value.into());
        self
    }

    /// One parameter of the UI's message, if set.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    /// A validation error on `field`. The message is prefixed with the field so that it
    /// reads well on its own (CLI, logs) as well as next to the field in the UI.
    pub fn invalid(field: impl Into<String>, message: impl AsRef<str>) -> Self {
        let field = field.into();
        Error {
            message: format!("{field}: {}", message.as_ref()),
            field: Some(field),
            ..Error::new(Code::Validation, "")
        }
    }

    /// A validation error on `field` named by `reason` (see [`english`] for the list).
    pub fn field<const N: usize>(
        field: impl Into<String>,
        reason: &'static str,
        params: [(&'static str, String); N],
    ) -> Self {
        Error::from(Problem::new(field, reason, params))
    }

    /// Every fault of one input at once; the first one is also the error's own field.
    /// `None` when there is none.
    pub fn problems(mut problems: Vec<Problem>) -> Option<Self> {
        let mut e = Error::from(problems.first()?.clone());
        if problems.len() > 1 {
            e.message = problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            problems.truncate(MAX_PROBLEMS);
            e.problems = problems;
        }
        Some(e)
    }

    /// Names the problem of a non-field error for the UI (`portal_not_running`…).
    pub fn with_reason<const N: usize>(
        mut self,
        reason: &'static str,
        params: [(&'static str, String); N],
    ) -> Self {
        self.reason = Some(reason);
        self.params = params.into_iter().collect();
        self
    }

    pub fn not_found(what: impl AsRef<str>) -> Self {
        Error::new(Code::NotFound, format!("{} not found", what.as_ref()))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(Code::Internal, message)
    }

    /// The database's disk is full.
    pub fn disk_full() -> Self {
        Error::new(
            Code::DiskFull,
            "the database's disk is full: nothing was written; free some space and try again",
        )
    }
}

/// At most this many faults are reported for one input.
pub const MAX_PROBLEMS: usize = 50;

impl From<Problem> for Error {
    fn from(p: Problem) -> Self {
        Error {
            message: p.message,
            field: Some(p.field),
            reason: Some(p.reason),
            params: p.params,
            ..Error::new(Code::Validation, "")
        }
    }
}

/// The English wording of a reason (CLI and logs; the UI has its own, translated).
pub fn english(reason: &str, params: &Params) -> String {
    let p = |k: &str| params.get(k).map(String::as_str).unwrap_or("?");
    match reason {
        "required" => "is required".into(),
        "empty" => "is empty".into(),
        "too_long" => format!("is longer than {} characters", p("max")),
        "too_many" => format!("at most {}", p("max")),
        "out_of_range" => format!("must be between {} and {}", p("min"), p("max")),
        "end_before_start" => "must be after the start".into(),
        "too_long_event" => "an event cannot last more than a year".into(),
        "outside_event" => "must fall within the event's dates".into(),
        "unknown_zone" => format!(
            "'{}' is not a known time zone (e.g. Europe/Paris)",
            p("value")
        ),
        "not_url" => format!(
            "'{}' is not a web address (http:// or https://)",
            p("value")
        ),
        "used_twice" => format!("'{}' is used twice", p("value")),
        "unknown_speaker" => format!("no speaker with id '{}' in this event", p("value")),
        "unknown_seat" => format!("there is no seat '{}' in this plan", p("value")),
        "unknown_field" => "unknown field (put free fields under `custom`)".into(),
        "bad_value" => format!("invalid value ({})", p("detail")),
        "bad_key" => {
            "a field name cannot start with '$', contain '.', or exceed 64 characters".into()
        }
        "no_name" => "a custom field has no name".into(),
        "custom_value" => "must be text, a number, yes/no, or a list of those".into(),
        "invalid_email" => format!("invalid e-mail ({}) '{}'", p("detail"), p("value")),
        "not_point" => "must be \"Point\"".into(),
        "portal_not_running" => "start the participant portal first".into(),
        "smtp_not_configured" => "configure the SMTP server in Settings first".into(),
        other => other.replace('_', " "),
    }
}

/// The server's error code of a driver error (a command's, or a write's first).
pub(crate) fn server_code(e: &mongodb::error::Error) -> Option<i32> {
    use mongodb::error::{ErrorKind, WriteFailure};
    match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(we)) => Some(we.code),
        ErrorKind::Command(ce) => Some(ce.code),
        ErrorKind::InsertMany(ime) => ime
            .write_errors
            .as_ref()
            .and_then(|w| w.first())
            .map(|w| w.code),
        ErrorKind::BulkWrite(bw) => bw.write_errors.values().next().map(|w| w.code),
        _ => None,
    }
}

impl From<mongodb::error::Error> for Error {
    fn from(e: mongodb::error::Error) -> Self {
        use mongodb::error::ErrorKind;
        let code = server_code(&e);
        // MongoDB's OutOfDiskSpace, or the OS's words relayed by an engine.
        if code == Some(14031) || crate::supervise::disk_full_text(&e.to_string()) {
            return Error::disk_full();
        }
        // The storage engine failed (a panic after a write error): the supervisor restarts it.
        if e.to_string().contains("WT_PANIC") {
            return Error::new(
                Code::DbUnavailable,
                "the database engine failed and is being restarted; try again in a moment",
            );
        }
        match code {
            Some(11000) => Error::new(Code::Duplicate, format!("already exists: {}", short(&e))),
            // Document failed validation ($jsonSchema): the application validates first, so
            // reaching this means a front end bypassed it; still a clear validation error.
            Some(121) => Error::new(
                Code::Validation,
                format!("the database schema refused the document: {}", short(&e)),
            ),
            _ => match e.kind.as_ref() {
                ErrorKind::ServerSelection { .. }
                | ErrorKind::Io(_)
                | ErrorKind::ConnectionPoolCleared { .. } => Error::new(
                    Code::DbUnavailable,
                    format!("database unreachable: {}", short(&e)),
                ),
                _ => Error::internal(format!("database error: {}", short(&e))),
            },
        }
    }
}

impl From<bson::ser::Error> for Error {
    fn from(e: bson::ser::Error) -> Self {
        Error::internal(format!("cannot encode document: {e}"))
    }
}

impl From<bson::de::Error> for Error {
    fn from(e: bson::de::Error) -> Self {
        Error::internal(format!("cannot decode document: {e}"))
    }
}

/// Driver messages can be long (they embed the topology); keep the first line, bounded.
fn short(e: &mongodb::error::Error) -> String {
    let s = e.to_string();
    let line = s.lines().next().unwrap_or_default();
    line.chars().take(400).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_names_the_field_in_message_and_field() {
        let e = Error::invalid("sessions[0].ends_at", "must be after starts_at");
        assert_eq!(e.code, Code::Validation);
        assert_eq!(e.field.as_deref(), Some("sessions[0].ends_at"));
        assert_eq!(e.message, "sessions[0].ends_at: must be after starts_at");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "validation");
    }

    #[test]
    fn problems_carry_reason_and_params_and_all_faults() {
        let e = Error::problems(vec![
            Problem::new("title", "required", []),
            Problem::new(
                "capacity",
                "out_of_range",
                [("min", "1".into()), ("max", "1000000".into())],
            ),
        ])
        .unwrap();
        assert_eq!(e.field.as_deref(), Some("title"));
        assert_eq!(e.reason, Some("required"));
        assert_eq!(
            e.message,
            "title: is required; capacity: must be between 1 and 1000000"
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["reason"], "required");
        assert_eq!(json["problems"][1]["field"], "capacity");
        assert_eq!(json["problems"][1]["reason"], "out_of_range");
        assert_eq!(json["problems"][1]["params"]["max"], "1000000");
        assert!(Error::problems(vec![]).is_none());
        // A single fault has no list; a plain error has no reason at all.
        let one = serde_json::to_value(Error::field("title", "required", [])).unwrap();
        assert!(one.get("problems").is_none());
        let plain = serde_json::to_value(Error::not_found("event")).unwrap();
        assert!(plain.get("reason").is_none() && plain.get("params").is_none());
    }

    #[test]
    fn codes_serialise_as_snake_case() {
        for c in [Code::NotFound, Code::DbUnavailable, Code::EngineMissing] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }
}
