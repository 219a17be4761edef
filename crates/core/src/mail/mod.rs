//! E-mail over real SMTP (lettre): settings (kept in the database, without the password),
//! the password in the OS keychain, FR/EN templates with placeholders, and sending
//! multipart (plain text + HTML) messages.
//!
//! Invitation campaigns (queue, throttling, retries) build on [`Mailer`].

pub mod template;

use std::time::Duration;

use bson::doc;
use lettre::{
    message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
    Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use serde::{Deserialize, Serialize};

use crate::{db::first_line, error::Code, Core, Error, Result};

pub const SETTINGS: &str = "settings";
const SMTP_DOC: &str = "smtp";

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "SmtpSecurity")]
pub enum Security {
    /// Plain SMTP (only for a relay on this machine or a test server).
    None,
    /// Upgrade with STARTTLS (port 587) — the usual choice.
    #[default]
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// SMTP settings. The password is not here: it lives in the OS keychain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub security: Security,
    /// Login; empty for servers that need none.
    #[serde(default)]
    pub username: String,
    pub from_email: String,
    #[serde(default)]
    pub from_name: String,
}

impl SmtpSettings {
    /// Check every field; returns the cleaned settings.
    pub fn validate(mut self) -> Result<SmtpSettings> {
        self.host = self.host.trim().to_owned();
        self.username = self.username.trim().to_owned();
        self.from_email = self.from_email.trim().to_owned();
        self.from_name = self.from_name.trim().to_owned();
        if self.host.is_empty() || self.host.contains(char::is_whitespace) {
            return Err(Error::invalid(
                "host",
                "enter the SMTP server name, e.g. smtp.office365.com",
            ));
        }
        if self.port == 0 {
            return Err(Error::invalid(
                "port",
                "must be between 1 and 65535 (usually 587 or 465)",
            ));
        }
        parse_address("from_email", &self.from_email)?;
        Ok(self)
    }

    /// The keychain entry holding this account's password.
    pub fn secret_name(&self) -> String {
        format!("smtp:{}@{}", self.username, self.host)
    }
}

/// Parse an e-mail address, naming `field` when it is not one.
pub fn parse_address(field: &str, email: &str) -> Result<Address> {
    email
        .trim()
        .parse::<Address>()
        .map_err(|_| Error::invalid(field, format!("'{email}' is not a valid e-mail address")))
}

/// The SMTP settings saved in this database, if any.
pub async fn load_settings(core: &Core) -> Result<Option<SmtpSettings>> {
    let coll = core.db().collection::<bson::Document>(SETTINGS);
    let Some(mut d) = coll.find_one(doc! { "_id": SMTP_DOC }).await? else {
        return Ok(None);
    };
    d.remove("_id");
    d.remove("updated_at");
    d.remove("updated_by");
    Ok(Some(crate::time::from_doc(d)?))
}

/// Save the SMTP settings (validated first).
pub async fn save_settings(core: &Core, settings: SmtpSettings) -> Result<SmtpSettings> {
    let settings = settings.validate()?;
    let mut d = crate::time::to_doc(&settings)?;
    crate::db::note_author(core, &mut d, bson::DateTime::now());
    core.db()
        .collection::<bson::Document>(SETTINGS)
        .replace_one(doc! { "_id": SMTP_DOC }, d)
        .upsert(true)
        .await?;
    Ok(settings)
}

fn template_doc_id(lang: template::Lang) -> &'static str {
    match lang {
        template::Lang::Fr => "invitation_template_fr",
        template::Lang::En => "invitation_template_en",
    }
}

/// The invitation template in use for `lang`: the organiser's own, or the built-in one.
pub async fn load_template(core: &Core, lang: template::Lang) -> Result<template::Template> {
    let found = core
        .db()
        .collection::<bson::Document>(SETTINGS)
        .find_one(doc! { "_id": template_doc_id(lang) })
        .await?;
    Ok(match found {
        Some(d) => template::Template {
            subject: d.get_str("subject").unwrap_or_default().to_owned(),
            body: d.get_str("body").unwrap_or_default().to_owned(),
        },
        None => template::default_invitation(lang),
    })
}

/// Save the organiser's invitation template for `lang` (checked: known placeholders only).
pub async fn save_template(
    core: &Core,
    lang: template::Lang,
    t: &template::Template,
) -> Result<()> {
    template::check(t)?;
    core.db()
        .collection::<bson::Document>(SETTINGS)
        .replace_one(doc! { "_id": template_doc_id(lang) }, {
            let mut d =
                doc! { "_id": template_doc_id(lang), "subject": &t.subject, "body": &t.body };
            crate::db::note_author(core, &mut d, bson::DateTime::now());
            d
        })
        .upsert(true)
        .await?;
    Ok(())
}

/// Go back to the built-in template for `lang`.
pub async fn reset_template(core: &Core, lang: template::Lang) -> Result<template::Template> {
    core.db()
        .collection::<bson::Document>(SETTINGS)
        .delete_one(doc! { "_id": template_doc_id(lang) })
        .await?;
    Ok(template::default_invitation(lang))
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to_email: String,
    #[serde(default)]
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// An iCalendar file (`event.ics`) attached to the message, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

/// A connection pool to one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &SmtpSettings, password: Option<&str>) -> Result<Mailer> {
        let settings = settings.clone().validate()?;
        let tls = || {
            TlsParameters::new(settings.host.clone()).map_err(|e| {
                Error::new(
                    Code::Validation,
                    format!("TLS setup for {}: {e}", settings.host),
                )
            })
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
                .port(settings.port)
                .timeout(Some(Duration::from_secs(20)));
        builder = match settings.security {
            Security::None => builder.tls(Tls::None),
            Security::StartTls => builder.tls(Tls::Required(tls()?)),
            Security::Tls => builder.tls(Tls::Wrapper(tls()?)),
        };
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                password.unwrap_or_default().to_owned(),
            ));
        }
        let from = Mailbox::new(
            (!settings.from_name.is_empty()).then(|| settings.from_name.clone()),
            parse_address("from_email", &settings.from_email)?,
        );
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// Build the multipart message (plain text first, HTML preferred by mail clients);
    /// with a calendar, `multipart/mixed` of that and the `event.ics` attachment
    /// (`text/calendar`, which mail clients offer to add to the calendar).
    pub fn build(&self, mail: &OutgoingMail) -> Result<Message> {
        let to = Mailbox::new(
            (!mail.to_name.trim().is_empty()).then(|| mail.to_name.trim().to_owned()),
            parse_address("to_email", &mail.to_email)?,
        );
        let alternative = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.text.clone()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(mail.html.clone()),
            );
        let body = match &mail.calendar {
            None => alternative,
            Some(ics) => {
                let kind = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                    .map_err(|e| Error::internal(format!("calendar content type: {e}")))?;
                MultiPart::mixed()
                    .multipart(alternative)
                    .singlepart(Attachment::new("event.ics".into()).body(ics.clone(), kind))
            }
        };
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(body)
            .map_err(|e| Error::internal(format!("cannot build the message: {e}")))
    }

    /// Send one message. Errors say whether retrying can help (`db_unavailable`-like
    /// transient failures are `unsupported`? no: see [`SendError`]).
    pub async fn send(&self, mail: &OutgoingMail) -> std::result::Result<(), SendError> {
        let msg = self.build(mail).map_err(|e| SendError {
            permanent: true,
            message: e.message,
        })?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| SendError {
                // 5xx answers (unknown mailbox, refused) will not get better by retrying.
                permanent: e.is_permanent(),
                message: first_line(&e.to_string()),
            })
    }

    /// Check that the server answers and accepts the login.
    pub async fn check(&self) -> Result<()> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::new(
                Code::DbUnavailable,
                "the SMTP server did not answer",
            )),
            Err(e) => Err(Error::new(
                Code::DbUnavailable,
                format!("SMTP: {}", first_line(&e.to_string())),
            )),
        }
    }
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendError {
    /// True when retrying cannot help (the server refused the message or address).
    pub permanent: bool,
    pub message: String,
}

impl From<SendError> for Error {
    fn from(e: SendError) -> Self {
        Error::new(
            if e.permanent {
                Code::Validation
            } else {
                Code::DbUnavailable
            },
            format!("e-mail not sent: {}", e.message),
        )
    }
}

/// Send the "test message" of the settings screen to `to`, in `lang`.
pub async fn send_test(mailer: &Mailer, to: &str, lang: template::Lang) -> Result<()> {
    parse_address("to", to)?;
    let rendered = template::test_message(lang);
    mailer
        .send(&OutgoingMail {
            to_email: to.to_owned(),
            to_name: String::new(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            calendar: None,
        })
        .await?;
    Ok(())
}
