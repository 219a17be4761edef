//! Rules for participant fields: e-mail normalisation and validity, lengths, custom keys.

use serde_json::Value;

use super::model::ParticipantInput;
use crate::{Error, Problem, Result};

pub const MAX_TEXT: usize = 200;
pub const MAX_EMAIL: usize = 254;
pub const MAX_CUSTOM_FIELDS: usize = 50;
pub const MAX_CUSTOM_VALUE: usize = 2000;

/// The form an e-mail is compared in: trimmed, lower-cased (the whole address: in practice
/// no mail system distinguishes the case of the local part, and people type it both ways).
pub fn normalise_email(email: &str) -> String {
    email.trim().trim_matches(['<', '>']).trim().to_lowercase()
}

/// Why an (already normalised) e-mail is not acceptable, if it is not (English, for the
/// import report and logs; see [`email_fault`] for the stable name).
pub fn email_problem(email: &str) -> Option<&'static str> {
    email_fault(email).map(|f| match f {
        "missing" => "missing e-mail",
        "too_long" => "e-mail too long",
        "spaces" => "invalid e-mail (contains spaces)",
        "no_at" => "invalid e-mail (no @)",
        "domain" => "invalid e-mail (domain)",
        _ => "invalid e-mail",
    })
}

/// The stable name of what is wrong with an (already normalised) e-mail: `missing`,
/// `too_long`, `spaces`, `no_at`, `local` (before the @) or `domain`.
pub fn email_fault(email: &str) -> Option<&'static str> {
    if email.is_empty() {
        return Some("missing");
    }
    if email.len() > MAX_EMAIL {
        return Some("too_long");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("spaces");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Some("no_at");
    };
    if local.is_empty() || local.contains('@') || local.len() > 64 {
        return Some("local");
    }
    if domain.is_empty()
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
        || domain
            .chars()
            .any(|c| !(c.is_alphanumeric() || c == '-' || c == '.'))
    {
        return Some("domain");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("local");
    }
    None
}

/// A custom field name MongoDB can store and query: no `.`, no leading `$`, not empty.
pub fn custom_key(header: &str) -> String {
    let mut k: String = header
        .trim()
        .chars()
        .map(|c| if c == '.' || c.is_control() { '_' } else { c })
        .collect();
    while k.starts_with('$') {
        k.remove(0);
    }
    let k = k.trim().chars().take(60).collect::<String>();
    if k.is_empty() {
        "column".into()
    } else {
        k
    }
}

fn clean(field: &str, s: &str, problems: &mut Vec<Problem>) -> String {
    let s = s.trim();
    if s.chars().count() > MAX_TEXT {
        problems.push(Problem::new(
            field,
            "too_long",
            [("max", MAX_TEXT.to_string())],
        ));
    }
    s.to_owned()
}

/// Check and tidy an input (trimmed text, normalised e-mail kept as typed). Returns the
/// input and the normalised e-mail, or an error listing every fault found.
pub fn normalise(mut input: ParticipantInput) -> Result<(ParticipantInput, String)> {
    let mut problems = Vec::new();
    input.name = clean("name", &input.name, &mut problems);
    input.company = clean("company", &input.company, &mut problems);
    input.role = clean("role", &input.role, &mut problems);
    input.phone = clean("phone", &input.phone, &mut problems);
    input.email = input.email.trim().to_owned();
    let norm = normalise_email(&input.email);
    if let Some(fault) = email_fault(&norm) {
        let shown: String = input.email.chars().take(80).collect();
        problems.push(if fault == "missing" {
            Problem::new("email", "required", [])
        } else {
            Problem::new(
                "email",
                "invalid_email",
                [("detail", fault.to_owned()), ("value", shown)],
            )
        });
    }
    if input.custom.len() > MAX_CUSTOM_FIELDS {
        problems.push(Problem::new(
            "custom",
            "too_many",
            [("max", MAX_CUSTOM_FIELDS.to_string())],
        ));
    }
    let mut custom = serde_json::Map::new();
    for (k, v) in std::mem::take(&mut input.custom) {
        let key = custom_key(&k);
        match &v {
            Value::String(s) if s.chars().count() > MAX_CUSTOM_VALUE => {
                problems.push(Problem::new(
                    format!("custom.{key}"),
                    "too_long",
                    [("max", MAX_CUSTOM_VALUE.to_string())],
                ))
            }
            Value::Object(_) => {
                problems.push(Problem::new(format!("custom.{key}"), "custom_value", []))
            }
            _ => {}
        }
        custom.insert(key, v);
    }
    input.custom = custom;
    match Error::problems(problems) {
        Some(e) => Err(e),
        None => Ok((input, norm)),
    }
}

/// Parse a JSON value into `T`, naming the field at fault.
pub fn from_json<T: serde::de::DeserializeOwned>(what: &str, v: Value) -> Result<T> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path.is_empty() {
            what.to_owned()
        } else {
            format!("{what}.{path}")
        };
        Error::field(field, "bad_value", [("detail", e.into_inner().to_string())])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            normalise_email("  Bob.Martin@Example.FR "),
            "bob.martin@example.fr"
        );
        assert_eq!(normalise_email("<a@b.fr>"), "a@b.fr");
        assert!(email_problem("bob@example.fr").is_none());
        assert!(email_problem("élodie@exemple.fr").is_none());
        for bad in [
            "",
            "bob@",
            "@x.fr",
            "bob",
            "bob@localhost",
            "a b@x.fr",
            "a@@x.fr",
            "a@x..fr",
        ] {
            assert!(email_problem(bad).is_some(), "{bad} should be refused");
        }
    }

    #[test]
    fn every_fault_of_an_input_is_reported_with_its_reason() {
        let input = ParticipantInput {
            name: "x".repeat(MAX_TEXT + 1),
            email: "x@".into(),
            ..Default::default()
        };
        let e = normalise(input).unwrap_err();
        assert_eq!(e.problems.len(), 2, "{e:?}");
        assert_eq!(
            (e.problems[0].field.as_str(), e.problems[0].reason),
            ("name", "too_long")
        );
        assert_eq!(e.problems[0].params["max"], MAX_TEXT.to_string());
        assert_eq!(
            (e.problems[1].field.as_str(), e.problems[1].reason),
            ("email", "invalid_email")
        );
        assert_eq!(e.problems[1].params["detail"], "domain");
        let missing = normalise(ParticipantInput::default()).unwrap_err();
        assert_eq!(
            (missing.field.as_deref(), missing.reason),
            (Some("email"), Some("required"))
        );
    }

    #[test]
    fn custom_keys_are_storable() {
        assert_eq!(custom_key("T-shirt size"), "T-shirt size");
        assert_eq!(custom_key("$price.eur"), "price_eur");
        assert_eq!(custom_key("  "), "column");
    }
}
