//! Invitation e-mails in French and English with placeholders:
//! `{name}`, `{event_title}`, `{event_date}`, `{venue}`, `{rsvp_link}`.
//!
//! Templates may be customised per event; an unknown placeholder is refused with its name,
//! and every value is HTML-escaped in the HTML part (a participant called
//! `<script>` stays text).

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "MailLang")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

pub const PLACEHOLDERS: [&str; 5] = ["name", "event_title", "event_date", "venue", "rsvp_link"];

/// The values of the placeholders for one recipient.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Vars {
    pub name: String,
    pub event_title: String,
    pub event_date: String,
    pub venue: String,
    pub rsvp_link: String,
}

impl Vars {
    fn get(&self, key: &str) -> Option<&str> {
        Some(match key {
            "name" => &self.name,
            "event_title" => &self.event_title,
            "event_date" => &self.event_date,
            "venue" => &self.venue,
            "rsvp_link" => &self.rsvp_link,
            _ => return None,
        })
    }
}

/// An editable template: a subject and a plain-text body (the HTML part is derived from
/// it, with the RSVP link as a button).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(rename = "MailTemplate")]
pub struct Template {
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(rename = "MailRendered")]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The built-in invitation template.
pub fn default_invitation(lang: Lang) -> Template {
    match lang {
        Lang::Fr => Template {
            subject: "Invitation : {event_title}".into(),
            body: "Bonjour {name},\n\nNous avons le plaisir de vous inviter à « {event_title} », le {event_date}, {venue}.\n\nMerci de nous indiquer si vous serez présent(e) :\n{rsvp_link}\n\nÀ très bientôt,\nL'équipe organisatrice".into(),
        },
        Lang::En => Template {
            subject: "Invitation: {event_title}".into(),
            body: "Hello {name},\n\nWe are delighted to invite you to “{event_title}” on {event_date}, {venue}.\n\nPlease let us know whether you can attend:\n{rsvp_link}\n\nSee you soon,\nThe organising team".into(),
        },
    }
}

/// Check that a template only uses known placeholders and has balanced braces.
pub fn check(t: &Template) -> Result<()> {
    for (field, text) in [("subject", &t.subject), ("body", &t.body)] {
        if text.trim().is_empty() {
            return Err(Error::invalid(field, "is required"));
        }
        for key in placeholders(field, text)? {
            if !PLACEHOLDERS.contains(&key.as_str()) {
                return Err(Error::invalid(
                    field,
                    format!(
                        "unknown placeholder {{{key}}}; use {}",
                        PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn placeholders(field: &str, text: &str) -> Result<Vec<String>> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| Error::invalid(field, "a '{' has no matching '}'"))?;
        out.push(after[..close].trim().to_owned());
        rest = &after[close + 1..];
    }
    Ok(out)
}

fn substitute(text: &str, vars: &Vars, escape: bool) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let chunk = &rest[..open];
        out.push_str(&if escape {
            html_escape(chunk)
        } else {
            chunk.to_owned()
        });
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let key = after[..close].trim();
                let value = vars.get(key).unwrap_or_default();
                out.push_str(&if escape && key == "rsvp_link" && !value.is_empty() {
                    format!(
                        "<a href=\"{0}\" style=\"color:#4f46e5\">{0}</a>",
                        html_escape(value)
                    )
                } else if escape {
                    html_escape(value)
                } else {
                    value.to_owned()
                });
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(&if escape {
        html_escape(rest)
    } else {
        rest.to_owned()
    });
    out
}

pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// Render a template for one recipient: subject, plain text, and an HTML part where the
/// RSVP link becomes a button.
pub fn render(t: &Template, vars: &Vars, lang: Lang) -> Result<Rendered> {
    check(t)?;
    let subject = substitute(&t.subject, vars, false).replace(['\r', '\n'], " ");
    let text = substitute(&t.body, vars, false);
    let button = match lang {
        Lang::Fr => "Répondre à l'invitation",
        Lang::En => "Reply to the invitation",
    };
    let mut paragraphs = String::new();
    for para in t.body.split("\n\n") {
        let lines: Vec<String> = para
            .lines()
            .map(|line| {
                if line.trim() == "{rsvp_link}" && !vars.rsvp_link.is_empty() {
                    // A link on a line of its own becomes a button.
                    format!(
                        "<a href=\"{0}\" style=\"display:inline-block;margin:12px 0;background:#4f46e5;color:#fff;padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:600\">{1}</a><br><span style=\"font-size:12px;color:#6b7280\">{0}</span>",
                        html_escape(&vars.rsvp_link),
                        button
                    )
                } else {
                    substitute(line, vars, true)
                }
            })
            .collect();
        paragraphs.push_str(&format!("<p>{}</p>", lines.join("<br>")));
    }
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title></head><body style=\"font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111827;line-height:1.5;max-width:560px;margin:0 auto;padding:24px\">{}</body></html>",
        match lang {
            Lang::Fr => "fr",
            Lang::En => "en",
        },
        html_escape(&subject),
        paragraphs
    );
    Ok(Rendered {
        subject,
        text,
        html,
    })
}

/// Values for previewing a template.
pub fn sample_vars(lang: Lang) -> Vars {
    match lang {
        Lang::Fr => Vars {
            name: "Léa Moreau".into(),
            event_title: "Journée Innovation".into(),
            event_date: "15 avril 2027 à 9h00".into(),
            venue: "Palais des Congrès, Paris".into(),
            rsvp_link: "http://192.168.1.20:8787/r/…".into(),
        },
        Lang::En => Vars {
            name: "Lea Moreau".into(),
            event_title: "Innovation Day".into(),
            event_date: "April 15, 2027 at 09:00".into(),
            venue: "Palais des Congrès, Paris".into(),
            rsvp_link: "http://192.168.1.20:8787/r/…".into(),
        },
    }
}

/// The message sent by the settings screen's "send a test" button.
pub fn test_message(lang: Lang) -> Rendered {
    let t = match lang {
        Lang::Fr => Template {
            subject: "EventHub : message de test".into(),
            body: "Bonjour,\n\nCe message confirme que les réglages SMTP d'EventHub fonctionnent."
                .into(),
        },
        Lang::En => Template {
            subject: "EventHub: test message".into(),
            body: "Hello,\n\nThis message confirms that EventHub's SMTP settings work.".into(),
        },
    };
    render(&t, &Vars::default(), lang).unwrap_or(Rendered {
        subject: t.subject.clone(),
        text: t.body.clone(),
        html: t.body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars {
            name: "Zoé <b>".into(),
            event_title: "Journée & Co".into(),
            event_date: "15 avril 2027".into(),
            venue: "Lyon".into(),
            rsvp_link: "https://rsvp.example/r/abc".into(),
        }
    }

    #[test]
    fn renders_both_parts_and_escapes_html() {
        let r = render(&default_invitation(Lang::Fr), &vars(), Lang::Fr).unwrap();
        assert_eq!(r.subject, "Invitation : Journée & Co");
        assert!(r.text.contains("Bonjour Zoé <b>,"));
        assert!(r.text.contains("https://rsvp.example/r/abc"));
        assert!(r.html.contains("Zoé &lt;b&gt;"));
        assert!(r.html.contains("Journée &amp; Co"));
        assert!(r.html.contains("href=\"https://rsvp.example/r/abc\""));
        assert!(!r.html.contains("<b>"));
    }

    #[test]
    fn unknown_placeholders_are_named() {
        let t = Template {
            subject: "Hi {prenom}".into(),
            body: "x".into(),
        };
        let e = check(&t).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("subject"));
        assert!(e.message.contains("{prenom}"), "{}", e.message);
        let t = Template {
            subject: "ok".into(),
            body: "Hi {name".into(),
        };
        assert_eq!(check(&t).unwrap_err().field.as_deref(), Some("body"));
    }
}
