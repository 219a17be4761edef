//! Dates: stored as BSON dates (UTC) in MongoDB, exchanged as RFC 3339 strings with the UI.
//!
//! One struct serves both the database and the JSON boundary. serde tells the two apart
//! with `is_human_readable()`: the driver's raw BSON (de)serialisers say `false`, JSON says
//! `true`. Where the core builds BSON itself it goes through [`to_doc`]/[`to_bson`], which
//! force the non-human-readable form so dates never land in the database as strings.

use bson::{Bson, Document};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Serialise a value to a BSON document with dates as BSON dates (through the raw
/// serialiser, which is not human-readable).
pub fn to_doc<T: Serialize>(v: &T) -> crate::Result<Document> {
    let raw = bson::to_raw_document_buf(v)?;
    Document::try_from(raw.as_ref()).map_err(|e| crate::Error::internal(e.to_string()))
}

/// Serialise a value to BSON with dates as BSON dates.
pub fn to_bson<T: Serialize>(v: &T) -> crate::Result<Bson> {
    #[derive(Serialize)]
    struct W<'a, T> {
        v: &'a T,
    }
    let mut d = to_doc(&W { v })?;
    Ok(d.remove("v").unwrap_or(Bson::Null))
}

/// Read a value from a BSON document.
pub fn from_doc<T: serde::de::DeserializeOwned>(d: Document) -> crate::Result<T> {
    Ok(bson::from_document(d)?)
}

/// `#[serde(with = "crate::time::ts")]` for `DateTime<Utc>`.
pub mod ts {
    use super::*;

    pub fn serialize<S: Serializer>(dt: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            dt.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                .serialize(s)
        } else {
            bson::DateTime::from_chrono(*dt).serialize(s)
        }
    }

    /// Accepts either form whatever the deserialiser claims: serde's `flatten` buffers
    /// values and forgets `is_human_readable`, so the value's shape decides.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        d.deserialize_any(TsVisitor)
    }

    struct TsVisitor;

    impl<'de> serde::de::Visitor<'de> for TsVisitor {
        type Value = DateTime<Utc>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 date-time string or a BSON date")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            parse(v).map_err(E::custom)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let b = bson::Bson::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
            match b {
                bson::Bson::DateTime(d) => Ok(d.to_chrono()),
                other => Err(serde::de::Error::custom(format!(
                    "expected a date, found {other}"
                ))),
            }
        }
    }
}

/// `#[serde(with = "crate::time::ts_opt")]` for `Option<DateTime<Utc>>`.
pub mod ts_opt {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct W(#[serde(with = "super::ts")] DateTime<Utc>);

    pub fn serialize<S: Serializer>(dt: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match dt {
            Some(d) => s.serialize_some(&W(*d)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

/// Parse an RFC 3339 date-time (any offset) into UTC.
pub fn parse(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("'{s}' is not an RFC 3339 date-time ({e})"))
}

/// Now, truncated to milliseconds (what BSON dates keep), so values read back compare equal.
pub fn now() -> DateTime<Utc> {
    bson::DateTime::now().to_chrono()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct T {
        #[serde(with = "ts")]
        at: DateTime<Utc>,
        #[serde(with = "ts_opt", default)]
        gone: Option<DateTime<Utc>>,
    }

    #[test]
    fn dates_are_bson_dates_in_documents_and_strings_in_json() {
        let t = T {
            at: parse("2026-03-01T09:30:00+01:00").unwrap(),
            gone: None,
        };
        let d = to_doc(&t).unwrap();
        assert!(matches!(d.get("at"), Some(Bson::DateTime(_))), "{d:?}");
        let raw = bson::to_vec(&t).unwrap();
        let back: T = bson::from_slice(&raw).unwrap();
        assert_eq!(back, t);
        assert_eq!(from_doc::<T>(d).unwrap(), t);
        let j = serde_json::to_value(&t).unwrap();
        assert_eq!(j["at"], "2026-03-01T08:30:00.000Z");
        assert_eq!(serde_json::from_value::<T>(j).unwrap(), t);
    }

    #[test]
    fn parse_rejects_garbage_with_the_value() {
        let e = parse("tomorrow").unwrap_err();
        assert!(e.contains("tomorrow"));
    }
}
