//! The one error type of the core.
//!
//! Every front end (Tauri commands, CLI, portal) turns it into `{code, message, field}`:
//! the UI branches on [`Code`], never on message text. Driver errors are mapped to
//! domain errors in exactly one place, [`From<mongodb::error::Error>`].

use serde::Serialize;

/// Stable, machine-readable error codes. Only add a variant when a consumer branches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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

/// A domain error: a code, a human message, and for validation errors the field at fault
/// (a JSON-style path such as `sessions[1].ends_at`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub code: Code,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// A validation error on `field`. The message is prefixed with the field so that it
    /// reads well on its own (CLI, logs) as well as next to the field in the UI.
    pub fn invalid(field: impl Into<String>, message: impl AsRef<str>) -> Self {
        let field = field.into();
        Error {
            code: Code::Validation,
            message: format!("{field}: {}", message.as_ref()),
            field: Some(field),
        }
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

impl From<mongodb::error::Error> for Error {
    fn from(e: mongodb::error::Error) -> Self {
        use mongodb::error::{ErrorKind, WriteFailure};
        let code = match e.kind.as_ref() {
            ErrorKind::Write(WriteFailure::WriteError(we)) => Some(we.code),
            ErrorKind::Command(ce) => Some(ce.code),
            ErrorKind::InsertMany(ime) => ime
                .write_errors
                .as_ref()
                .and_then(|w| w.first())
                .map(|w| w.code),
            ErrorKind::BulkWrite(bw) => bw.write_errors.values().next().map(|w| w.code),
            _ => None,
        };
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
    fn codes_serialise_as_snake_case() {
        for c in [Code::NotFound, Code::DbUnavailable, Code::EngineMissing] {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }
}
