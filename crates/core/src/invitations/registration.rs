//! Registration through an event's shareable link, confirmed by e-mail.
//!
//! When the organiser asks for confirmation (the default), a request stores a *pending*
//! registration (only `sha256(token)` of its confirmation link, like personal links) and
//! the caller e-mails the link to the address; the seat is taken when the link's page is
//! confirmed, so nobody takes seats with made-up addresses or registers someone else.
//! A request for an address already registered stores nothing and e-mails the person a
//! reminder instead: the visitor reads the same answer either way, so the page does not
//! tell strangers who is registered. On a kiosk (confirmation off) the seat is taken at
//! once.

use bson::{doc, Bson};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{
    links::{hash_token, new_token, register_via_link},
    rules::{self, Action},
    settings,
};
use crate::{
    error::Code,
    events::Event,
    mail::{template::Lang, OutgoingMail},
    participants::{self, Participant},
    time, Core, Error, Result,
};

pub const PENDING: &str = "pending_registrations";

/// A confirmation link works this long.
pub const CONFIRM_TTL_HOURS: i64 = 24;
/// At most one confirmation e-mail per address and event in this window (no mail bombing
/// of a stranger's address through the form).
pub const RESEND_AFTER_MINUTES: i64 = 10;

/// A registration waiting for its e-mail confirmation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    #[serde(rename = "_id")]
    pub token_hash: String,
    pub event_id: String,
    pub name: String,
    pub email: String,
    pub email_norm: String,
    #[serde(with = "crate::time::ts")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::time::ts")]
    pub expires_at: DateTime<Utc>,
}

/// What a registration request led to.
#[derive(Debug, Clone)]
pub enum Requested {
    /// Confirmation required: e-mail `token`'s link to the address (`None`: an e-mail was
    /// sent for this address a moment ago, send nothing).
    Confirm { token: Option<String> },
    /// The address is already registered: e-mail the person a reminder (`false`: one was
    /// sent a moment ago).
    Known {
        participant: Participant,
        remind: bool,
    },
    /// Confirmation is off: registered now.
    Registered(Participant),
}

fn coll(core: &Core) -> mongodb::Collection<Pending> {
    core.db().collection(PENDING)
}

/// Check a visitor's name and address the way a participant's are checked.
fn check(name: &str, email: &str) -> Result<(String, String, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid("name", "a name of 1 to 200 characters"));
    }
    let norm = participants::normalise_email(email);
    if participants::validate::email_problem(&norm).is_some() {
        return Err(Error::invalid("email", "not a valid e-mail address"));
    }
    crate::mail::parse_address("email", &norm)?;
    Ok((name.to_owned(), email.trim().to_owned(), norm))
}

async fn known(core: &Core, event_id: &str, norm: &str) -> Result<Option<Participant>> {
    Ok(core
        .db()
        .collection::<Participant>(participants::schema::PARTICIPANTS)
        .find_one(doc! { "event_id": event_id, "email_norm": norm, "deleted_at": Bson::Null })
        .await?)
}

/// Ask to register `name <email>` for `event`. Refused (nothing stored) when the rules
/// refuse [`Action::Register`] or the name or address is not valid.
pub async fn request(core: &Core, event: &Event, name: &str, email: &str) -> Result<Requested> {
    let s = settings::get(core, &event.id).await?;
    rules::event_allows(event, &s, Action::Register, time::now()).map_err(rules::Refusal::error)?;
    let (name, email, norm) = check(name, email)?;
    if !s.confirm_email {
        return match register_via_link(core, &event.id, &name, &email).await {
            Ok(p) => Ok(Requested::Registered(p)),
            Err(e) if e.code == Code::Duplicate => match known(core, &event.id, &norm).await? {
                Some(p) => Ok(Requested::Known {
                    participant: p,
                    remind: false,
                }),
                None => Err(e),
            },
            Err(e) => Err(e),
        };
    }
    let now = time::now();
    let recent = coll(core)
        .find_one(doc! {
            "event_id": &event.id, "email_norm": &norm,
            "created_at": { "$gt": bson::DateTime::from_chrono(now - Duration::minutes(RESEND_AFTER_MINUTES)) },
        })
        .await?
        .is_some();
    if let Some(p) = known(core, &event.id, &norm).await? {
        if !recent {
            // A marker without a usable token: it only spaces out the reminders.
            coll(core)
                .insert_one(Pending {
                    token_hash: hash_token(&new_token()),
                    event_id: event.id.clone(),
                    name,
                    email,
                    email_norm: norm,
                    created_at: now,
                    expires_at: now + Duration::minutes(RESEND_AFTER_MINUTES),
                })
                .await?;
        }
        return Ok(Requested::Known {
            participant: p,
            remind: !recent,
        });
    }
    if recent {
        return Ok(Requested::Confirm { token: None });
    }
    let token = new_token();
    coll(core)
        .insert_one(Pending {
            token_hash: hash_token(&token),
            event_id: event.id.clone(),
            name,
            email,
            email_norm: norm,
            created_at: now,
            expires_at: now + Duration::hours(CONFIRM_TTL_HOURS),
        })
        .await?;
    Ok(Requested::Confirm { token: Some(token) })
}

/// The pending registration of a confirmation token, if it is still valid.
pub async fn pending(core: &Core, token: &str) -> Result<Option<Pending>> {
    if token.len() < 20 || token.len() > 100 {
        return Ok(None);
    }
    Ok(coll(core)
        .find_one(doc! {
            "_id": hash_token(token),
            "expires_at": { "$gt": bson::DateTime::from_chrono(time::now()) },
        })
        .await?)
}

/// Confirm a registration: consumes the pending request (once) and registers the person
/// (a seat, or the waitlist when full). `Ok(None)` when the link is unknown, used or
/// expired. An address registered meanwhile gets its existing participant back (`false`:
/// not new).
pub async fn confirm(core: &Core, token: &str) -> Result<Option<(Participant, bool)>> {
    let Some(p) = pending(core, token).await? else {
        return Ok(None);
    };
    // Check the rules before consuming the request, so a refusal leaves it usable later
    // (e.g. registration reopened).
    let event = crate::events::get(core, &p.event_id).await?;
    let s = settings::get(core, &event.id).await?;
    rules::event_allows(&event, &s, Action::Register, time::now())
        .map_err(rules::Refusal::error)?;
    let Some(p) = coll(core)
        .find_one_and_delete(doc! { "_id": &p.token_hash })
        .await?
    else {
        return Ok(None); // confirmed meanwhile (a double click)
    };
    let core = core.with_actor(&format!("registration:{}", p.email_norm));
    match register_via_link(&core, &p.event_id, &p.name, &p.email).await {
        Ok(x) => Ok(Some((x, true))),
        Err(e) if e.code == Code::Duplicate => Ok(known(&core, &p.event_id, &p.email_norm)
            .await?
            .map(|x| (x, false))),
        Err(e) => Err(e),
    }
}

fn tr<'a>(l: Lang, fr: &'a str, en: &'a str) -> &'a str {
    match l {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

/// The e-mail with the confirmation link (`link`), or, for an address already
/// registered (`link` = None), the reminder.
pub fn confirmation_mail(
    l: Lang,
    event: &Event,
    name: &str,
    email: &str,
    link: Option<&str>,
) -> OutgoingMail {
    use crate::mail::template::html_escape as esc;
    let title = &event.input.title;
    let (subject, text, html) = match link {
        Some(link) => (
            format!("{} — {title}", tr(l, "Confirmez votre inscription", "Confirm your registration")),
            format!(
                "{} {name},\n\n{}\n\n{link}\n\n{}\n",
                tr(l, "Bonjour", "Hello"),
                tr(l, "Pour confirmer votre inscription à « ", "To confirm your registration for \"").to_owned() + title + tr(l, " », ouvrez ce lien :", "\", open this link:"),
                tr(l, "Si vous n'avez rien demandé, ignorez ce message.", "If you did not ask for this, ignore this message."),
            ),
            format!(
                "<p>{} {},</p><p>{} <strong>{}</strong>.</p><p><a href=\"{}\">{}</a></p><p>{}</p>",
                tr(l, "Bonjour", "Hello"),
                esc(name),
                tr(l, "Pour confirmer votre inscription à", "To confirm your registration for"),
                esc(title),
                esc(link),
                tr(l, "Confirmer mon inscription", "Confirm my registration"),
                tr(l, "Si vous n'avez rien demandé, ignorez ce message.", "If you did not ask for this, ignore this message."),
            ),
        ),
        None => (
            format!("{} — {title}", tr(l, "Vous êtes déjà inscrit(e)", "You are already registered")),
            format!(
                "{} {name},\n\n{}\n",
                tr(l, "Bonjour", "Hello"),
                tr(l, "Une inscription a été demandée avec votre adresse, mais vous êtes déjà inscrit(e) à cet événement : utilisez le lien de votre invitation. Si vous n'avez rien demandé, ignorez ce message.", "Someone asked to register with your address, but you are already registered for this event: use the link of your invitation. If you did not ask for this, ignore this message."),
            ),
            format!(
                "<p>{} {},</p><p>{}</p>",
                tr(l, "Bonjour", "Hello"),
                esc(name),
                tr(l, "Une inscription a été demandée avec votre adresse, mais vous êtes déjà inscrit(e) à cet événement : utilisez le lien de votre invitation. Si vous n'avez rien demandé, ignorez ce message.", "Someone asked to register with your address, but you are already registered for this event: use the link of your invitation. If you did not ask for this, ignore this message."),
            ),
        ),
    };
    OutgoingMail {
        to_email: email.to_owned(),
        to_name: name.to_owned(),
        subject,
        text,
        html,
        calendar: None,
    }
}

/// The e-mail a newly registered person receives with their personal link (and the
/// event as an `.ics` attachment).
pub fn registered_mail(l: Lang, event: &Event, p: &Participant, link: &str) -> OutgoingMail {
    use crate::mail::template::html_escape as esc;
    let title = &event.input.title;
    let intro = tr(
        l,
        "Votre inscription est enregistrée. Votre lien personnel pour répondre, choisir vos sessions ou vous désinscrire :",
        "Your registration is recorded. Your personal link to answer, choose sessions or cancel:",
    );
    OutgoingMail {
        to_email: p.input.email.clone(),
        to_name: p.input.name.clone(),
        subject: format!(
            "{} — {title}",
            tr(l, "Inscription enregistrée", "Registration recorded")
        ),
        text: format!(
            "{} {},\n\n{intro}\n\n{link}\n",
            tr(l, "Bonjour", "Hello"),
            p.input.name
        ),
        html: format!(
            "<p>{} {},</p><p>{intro}</p><p><a href=\"{}\">{}</a></p>",
            tr(l, "Bonjour", "Hello"),
            esc(&p.input.name),
            esc(link),
            esc(title)
        ),
        // Their place in the calendar from the start.
        calendar: Some(super::calendar::ics(event, Some(p), crate::time::now())),
    }
}
