//! The organiser's portal decisions for one event, kept in `portal_settings` (one document
//! per event, `_id` = the event's id): whether the shareable registration link accepts new
//! registrations, whether a registration waits for a confirmation e-mailed to the address
//! (off for an on-site kiosk), and how long personal links keep working after the event
//! ends. Also the event's device secret, the HMAC key that signs anonymous devices'
//! cookies: kept in the database so that every portal instance serving the event signs
//! and checks the same way (the portal itself keeps no state).

use bson::doc;
use serde::{Deserialize, Serialize};

use crate::{time, Core, Error, Result};

pub const PORTAL_SETTINGS: &str = "portal_settings";

/// Personal links work this many days after the event ends, unless the organiser changes it.
pub const DEFAULT_GRACE_DAYS: u32 = 7;
/// The longest grace period an organiser can set.
pub const MAX_GRACE_DAYS: u32 = 365;

fn yes() -> bool {
    true
}

fn default_grace() -> u32 {
    DEFAULT_GRACE_DAYS
}

/// What the organiser decided for the portal of one event (defaults when never set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalSettings {
    #[serde(rename = "_id")]
    pub event_id: String,
    /// The shareable link accepts registrations (the event must also be published).
    #[serde(default = "yes")]
    pub registration_open: bool,
    /// A registration takes a seat only once confirmed through a link e-mailed to the
    /// address. Turn off for a kiosk at the venue.
    #[serde(default = "yes")]
    pub confirm_email: bool,
    /// Personal links stop working this many days after the event's end.
    #[serde(default = "default_grace")]
    pub link_grace_days: u32,
}

impl PortalSettings {
    pub fn defaults(event_id: &str) -> PortalSettings {
        PortalSettings {
            event_id: event_id.to_owned(),
            registration_open: true,
            confirm_email: true,
            link_grace_days: DEFAULT_GRACE_DAYS,
        }
    }
}

/// A change to some of the settings (absent fields stay as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsPatch {
    #[serde(default)]
    pub registration_open: Option<bool>,
    #[serde(default)]
    pub confirm_email: Option<bool>,
    #[serde(default)]
    pub link_grace_days: Option<u32>,
}

fn coll(core: &Core) -> mongodb::Collection<PortalSettings> {
    core.db().collection(PORTAL_SETTINGS)
}

/// The settings of an event (the defaults when the organiser never changed them).
pub async fn get(core: &Core, event_id: &str) -> Result<PortalSettings> {
    Ok(coll(core)
        .find_one(doc! { "_id": event_id })
        .await?
        .unwrap_or_else(|| PortalSettings::defaults(event_id)))
}

/// Change some settings of an event; returns them all.
pub async fn update(core: &Core, event_id: &str, patch: &SettingsPatch) -> Result<PortalSettings> {
    crate::events::get(core, event_id).await?;
    let mut set = doc! { "event_id": event_id };
    if let Some(v) = patch.registration_open {
        set.insert("registration_open", v);
    }
    if let Some(v) = patch.confirm_email {
        set.insert("confirm_email", v);
    }
    if let Some(d) = patch.link_grace_days {
        if d > MAX_GRACE_DAYS {
            return Err(Error::invalid(
                "link_grace_days",
                format!("at most {MAX_GRACE_DAYS} days"),
            ));
        }
        set.insert("link_grace_days", i64::from(d));
    }
    let written = core
        .db()
        .collection::<bson::Document>(PORTAL_SETTINGS)
        .update_one(
            doc! { "_id": event_id },
            crate::db::stamp(core, doc! { "$set": set }, time::now()),
        )
        .upsert(true)
        .await;
    // The portal keeps settings for a moment: it sees this change at once.
    crate::feedback::lookups::forget(core);
    written?;
    get(core, event_id).await
}

/// The event's device secret (32 random bytes, base64url), created on first use. Two
/// portal instances asking at once get the same one: the first upsert wins.
pub async fn device_secret(core: &Core, event_id: &str) -> Result<String> {
    let raw = core.db().collection::<bson::Document>(PORTAL_SETTINGS);
    if let Some(s) = raw
        .find_one(doc! { "_id": event_id })
        .await?
        .as_ref()
        .and_then(|d| d.get_str("device_secret").ok())
    {
        return Ok(s.to_owned());
    }
    let fresh = super::links::new_token();
    let res = raw
        .find_one_and_update(
            doc! { "_id": event_id },
            doc! { "$setOnInsert": {
                "device_secret": &fresh,
                "event_id": event_id,
                "updated_at": bson::DateTime::from_chrono(time::now()),
            } },
        )
        .upsert(true)
        .return_document(mongodb::options::ReturnDocument::After)
        .await;
    let doc = match res {
        Ok(d) => d,
        // Two first-ever upserts raced: the other one created it.
        Err(e) if Error::from(e.clone()).code == crate::error::Code::Duplicate => {
            raw.find_one(doc! { "_id": event_id }).await?
        }
        Err(e) => return Err(e.into()),
    };
    match doc.as_ref().and_then(|d| d.get_str("device_secret").ok()) {
        Some(s) => Ok(s.to_owned()),
        None => {
            // The document existed without a secret (settings saved first): add one once.
            raw.update_one(
                doc! { "_id": event_id, "device_secret": { "$exists": false } },
                doc! { "$set": { "device_secret": &fresh } },
            )
            .await?;
            let d = raw.find_one(doc! { "_id": event_id }).await?;
            d.as_ref()
                .and_then(|d| d.get_str("device_secret").ok())
                .map(str::to_owned)
                .ok_or_else(|| Error::internal("the event's device secret is missing"))
        }
    }
}
