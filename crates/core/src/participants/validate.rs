//! Rules for participant fields: e-mail normalisation and validity, lengths, custom keys.

use serde_json::Value;

use super::model::ParticipantInput;
use crate::{Error, Result};

pub const MAX_TEXT: usize = 200;
pub const MAX_EMAIL: usize = 254;
pub const MAX_CUSTOM_FIELDS: usize = 50;
pub const MAX_CUSTOM_VALUE: usize = 2000;

/// The form an e-mail is compared in: trimmed, lower-cased (the whole address: in practice
/// no mail system distinguishes the case of the local part, and people type it both ways).
pub fn normalise_email(email: &str) -> String {
    email.trim().trim_matches(['<', '>']).trim().to_lowercase()
}

/// Why an (already normalised) e-mail is not acceptable, if it is not.
pub fn email_problem(email: &str) -> Option<&'static str> {
    if email.is_empty() {
        return Some("missing e-mail");
    }
    if email.len() > MAX_EMAIL {
        return Some("e-mail too long");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("invalid e-mail (contains spaces)");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Some("invalid e-mail (no @)");
    };
    if local.is_empty() || local.contains('@') || local.len() > 64 {
        return Some("invalid e-mail");
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
        return Some("invalid e-mail (domain)");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("invalid e-mail");
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

fn clean(field: &str, s: &str) -> Result<String> {
    let s = s.trim();
    if s.chars().count() > MAX_TEXT {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    Ok(s.to_owned())
}

/// Check and tidy an input (trimmed text, normalised e-mail kept as typed). Returns the
/// input and the normalised e-mail.
pub fn normalise(mut input: ParticipantInput) -> Result<(ParticipantInput, String)> {
    input.name = clean("name", &input.name)?;
    input.company = clean("company", &input.company)?;
    input.role = clean("role", &input.role)?;
    input.phone = clean("phone", &input.phone)?;
    input.email = input.email.trim().to_owned();
    let norm = normalise_email(&input.email);
    if let Some(p) = email_problem(&norm) {
        let shown: String = input.email.chars().take(80).collect();
        return Err(Error::invalid("email", format!("{p} '{shown}'")));
    }
    if input.custom.len() > MAX_CUSTOM_FIELDS {
        return Err(Error::invalid(
            "custom",
            format!("at most {MAX_CUSTOM_FIELDS} custom fields"),
        ));
    }
    let mut custom = serde_json::Map::new();
    for (k, v) in std::mem::take(&mut input.custom) {
        let key = custom_key(&k);
        match &v {
            Value::String(s) if s.chars().count() > MAX_CUSTOM_VALUE => {
                return Err(Error::invalid(
                    format!("custom.{key}"),
                    format!("at most {MAX_CUSTOM_VALUE} characters"),
                ))
            }
            Value::Object(_) => {
                return Err(Error::invalid(
                    format!("custom.{key}"),
                    "must be text, a number, a boolean or a list",
                ))
            }
            _ => {}
        }
        custom.insert(key, v);
    }
    input.custom = custom;
    Ok((input, norm))
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
        Error::invalid(field, e.into_inner().to_string())
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
    fn custom_keys_are_storable() {
        assert_eq!(custom_key("T-shirt size"), "T-shirt size");
        assert_eq!(custom_key("$price.eur"), "price_eur");
        assert_eq!(custom_key("  "), "column");
    }
}
