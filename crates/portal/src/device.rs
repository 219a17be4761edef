//! Anonymous devices: the cookie that lets a phone without a personal link answer a poll
//! once (and change its answer). Its value is `<random id>.<signature>`, the signature an
//! HMAC-SHA256 of the event and the id under the event's secret (kept in the database, so
//! every portal instance checks it the same way). A value the portal did not sign is
//! ignored: inventing cookies gives no new votes, and a POST without a valid cookie stores
//! nothing (the page hands out a fresh cookie on the next visit, under a per-address limit).

use axum::http::{header, HeaderMap};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The cookie's name for one event (a phone at two events holds two cookies).
pub fn cookie_name(event_id: &str) -> String {
    let safe: String = event_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    format!("ehd-{safe}")
}

fn sign(event_id: &str, id: &str, secret: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(event_id.as_bytes());
    mac.update(b"\0");
    mac.update(id.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

/// A fresh signed cookie value.
pub fn issue(event_id: &str, secret: &str) -> String {
    let id = eventhub_core::invitations::new_token();
    let sig = sign(event_id, &id, secret);
    format!("{id}.{sig}")
}

/// The device id of a cookie value (the part before the signature).
pub fn id_of(value: &str) -> &str {
    value.split_once('.').map_or(value, |(id, _)| id)
}

/// Whether `value` was signed for this event with `secret` (constant-time comparison).
pub fn verify(event_id: &str, value: &str, secret: &str) -> Option<String> {
    let (id, sig) = value.split_once('.')?;
    if id.len() != 43
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let sig = B64.decode(sig).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(event_id.as_bytes());
    mac.update(b"\0");
    mac.update(id.as_bytes());
    mac.verify_slice(&sig).ok()?;
    Some(id.to_owned())
}

/// The device id from the request's cookie for this event, if it carries a valid one.
pub fn read(headers: &HeaderMap, event_id: &str, secret: &str) -> Option<String> {
    let name = format!("{}=", cookie_name(event_id));
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().strip_prefix(&name))
        .find_map(|v| verify(event_id, v, secret))
}

/// The `Set-Cookie` header value for a new device.
pub fn set_cookie(event_id: &str, value: &str) -> String {
    format!(
        "{}={value}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax",
        cookie_name(event_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_signed_values_verify() {
        let v = issue("ev1", "secret");
        assert_eq!(verify("ev1", &v, "secret").as_deref(), Some(id_of(&v)));
        assert!(verify("ev2", &v, "secret").is_none(), "another event");
        assert!(verify("ev1", &v, "other").is_none(), "another secret");
        let forged = format!("{}.{}", "a".repeat(43), "b".repeat(43));
        assert!(verify("ev1", &forged, "secret").is_none());
        assert!(verify("ev1", "e2e-phone-1-abcdefghij", "secret").is_none());
    }
}
