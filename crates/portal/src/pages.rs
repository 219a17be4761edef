//! Server-rendered, mobile-first pages, as `maud` templates: checked at compile time, and
//! every value inserted with `(…)` is HTML-escaped.

use axum::http::StatusCode;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use eventhub_core::{
    events::Event,
    mail::template::Lang,
    participants::{Participant, RsvpStatus},
    Error,
};

pub struct Page {
    pub html: String,
}

const CSS: &str = "*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5fb;color:#111827;line-height:1.5}main{max-width:520px;margin:0 auto;padding:24px 16px}.brand{display:flex;align-items:center;gap:8px;font-weight:700;color:#4f46e5;margin-bottom:16px}.card{background:#fff;border-radius:16px;padding:20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}h1{font-size:1.4rem;margin:.2em 0}.muted{color:#6b7280}.status{display:inline-block;padding:4px 12px;border-radius:999px;background:#eef2ff;color:#4338ca;font-weight:600}.answers{display:grid;gap:10px;margin-top:16px}.sessions{display:grid;gap:8px}.session{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:8px;border:1px solid #e5e7eb;border-radius:12px;padding:10px}.session>div{flex:1 1 200px;min-width:0}.session button{padding:10px 12px;min-height:44px;white-space:nowrap;margin-left:auto}button{font:inherit;font-weight:600;border:0;border-radius:12px;padding:14px;cursor:pointer}.yes{background:#4f46e5;color:#fff}.maybe{background:#eef2ff;color:#3730a3}.no{background:#fff;color:#b91c1c;border:1px solid #fecaca}label{display:block;font-weight:600;margin-top:12px}input{font:inherit;width:100%;padding:12px;border:1px solid #d1d5db;border-radius:10px;margin-top:4px}.error{background:#fef2f2;color:#991b1b;border-radius:10px;padding:10px 12px;margin-top:12px}.ok{background:#ecfdf5;color:#065f46;border-radius:10px;padding:10px 12px;margin-top:12px}";

/// The page around `body`: the language, the phone viewport, the style and the brand.
pub(super) fn shell(l: Lang, title: &str, body: Markup) -> Page {
    shell_styled(l, title, None, body)
}

/// [`shell`] with a feature's own style sheet after the common one.
pub(super) fn shell_styled(l: Lang, title: &str, extra_css: Option<&str>, body: Markup) -> Page {
    let lang = match l {
        Lang::Fr => "fr",
        Lang::En => "en",
    };
    let html = html! {
        (DOCTYPE)
        html lang=(lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " · EventHub" }
                style { (PreEscaped(CSS)) }
                @if let Some(css) = extra_css { style { (PreEscaped(css)) } }
            }
            body { main { div class="brand" { "▦ EventHub" } (body) } }
        }
    };
    Page {
        html: html.into_string(),
    }
}

fn tr<'a>(l: Lang, fr: &'a str, en: &'a str) -> &'a str {
    match l {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

fn when(l: Lang, e: &Event) -> String {
    let tz: chrono_tz::Tz = e.input.timezone.parse().unwrap_or(chrono_tz::Europe::Paris);
    let s = e.input.starts_at.with_timezone(&tz);
    let end = e.input.ends_at.with_timezone(&tz);
    match l {
        Lang::Fr => format!(
            "{} – {}",
            s.format("%d/%m/%Y %H:%M"),
            end.format("%d/%m/%Y %H:%M")
        ),
        Lang::En => format!(
            "{} – {}",
            s.format("%Y-%m-%d %H:%M"),
            end.format("%Y-%m-%d %H:%M")
        ),
    }
}

fn event_header(l: Lang, e: &Event) -> Markup {
    let venue = [e.input.venue.name.as_str(), e.input.venue.address.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        h1 { (e.input.title) }
        p class="muted" {
            (when(l, e))
            @if !venue.is_empty() { br; (venue) }
        }
    }
}

/// A participant's response, addressed to them (the words of the glossary in
/// `ui/README.md`).
pub fn status_label(l: Lang, s: RsvpStatus) -> &'static str {
    match (l, s) {
        (Lang::Fr, RsvpStatus::Invited) => "Invité(e) — en attente de réponse",
        (Lang::Fr, RsvpStatus::Accepted) => "Inscrit(e)",
        (Lang::Fr, RsvpStatus::Declined) => "Ne participe pas",
        (Lang::Fr, RsvpStatus::Tentative) => "Peut-être",
        (Lang::Fr, RsvpStatus::Waitlisted) => "Sur liste d'attente",
        (Lang::Fr, RsvpStatus::CheckedIn) => "Présent(e)",
        (Lang::Fr, RsvpStatus::Cancelled) => "Désisté",
        (Lang::En, RsvpStatus::Invited) => "Invited — no answer yet",
        (Lang::En, RsvpStatus::Accepted) => "Registered",
        (Lang::En, RsvpStatus::Declined) => "Not attending",
        (Lang::En, RsvpStatus::Tentative) => "Maybe",
        (Lang::En, RsvpStatus::Waitlisted) => "On the waitlist",
        (Lang::En, RsvpStatus::CheckedIn) => "Checked in",
        (Lang::En, RsvpStatus::Cancelled) => "Withdrew",
    }
}

pub fn home(l: Lang) -> Page {
    shell(
        l,
        "EventHub",
        html! {
            div class="card" {
                h1 { (tr(l, "Portail des participants", "Participant portal")) }
                p class="muted" {
                    (tr(
                        l,
                        "Ouvrez le lien reçu dans votre invitation pour répondre.",
                        "Open the link from your invitation to reply."
                    ))
                }
            }
        },
    )
}

/// What a visitor may read about an error, in their language. Only the visitor's own
/// input problems (a validation error naming a field) keep their message; everything else
/// gets a fixed text by kind, so that driver text, hosts, index names, other people's
/// e-mails or the organiser's user name never reach a page.
pub fn public_message(l: Lang, e: &Error) -> String {
    use eventhub_core::error::Code;
    if let Some(r) = eventhub_core::invitations::rules::Refusal::from_error(e) {
        return r.message(l == Lang::En).to_owned();
    }
    let text = match e.code {
        Code::Validation => match e.field.as_deref() {
            Some("email") => tr(
                l,
                "Cette adresse e-mail n'est pas valide.",
                "This e-mail address is not valid.",
            ),
            Some("name") => tr(
                l,
                "Indiquez votre nom (200 caractères au plus).",
                "Enter your name (at most 200 characters).",
            ),
            Some("rate") => tr(
                l,
                "Trop de demandes : patientez quelques secondes.",
                "Too many requests: please wait a few seconds.",
            ),
            Some(f) if !f.is_empty() && !e.message.contains('@') && !e.message.contains('$') => {
                return e.message.clone();
            }
            _ => tr(
                l,
                "Certaines informations ne sont pas valides.",
                "Some information is not valid.",
            ),
        },
        Code::NotFound => tr(
            l,
            "Cette page ou ce lien n'existe pas.",
            "This page or link does not exist.",
        ),
        Code::Duplicate => tr(l, "C'est déjà enregistré.", "This is already recorded."),
        Code::Conflict => tr(
            l,
            "Ces informations viennent d'être modifiées par ailleurs : rechargez la page.",
            "This was just changed elsewhere: reload the page.",
        ),
        // The portal's own refusals (never driver text): shown unless they name someone.
        Code::Unsupported if !e.message.contains('@') && !e.message.contains("://") => {
            return e.message.clone();
        }
        Code::Unsupported => tr(
            l,
            "Cette action n'est pas possible.",
            "This action is not possible.",
        ),
        Code::DbUnavailable | Code::EngineMissing | Code::DiskFull | Code::Internal => tr(
            l,
            "Le service est momentanément indisponible. Réessayez dans quelques instants.",
            "The service is temporarily unavailable. Please try again in a moment.",
        ),
    };
    text.to_owned()
}

pub fn problem(l: Lang, status: StatusCode, e: &Error) -> Page {
    if status.is_server_error() {
        return unavailable(l, status);
    }
    let title = match status {
        StatusCode::NOT_FOUND => tr(l, "Lien introuvable", "Link not found"),
        StatusCode::GONE => tr(l, "Lien expiré", "Link expired"),
        StatusCode::BAD_REQUEST => tr(l, "Demande incorrecte", "Invalid request"),
        StatusCode::FORBIDDEN => tr(l, "Indisponible", "Not available"),
        StatusCode::CONFLICT => tr(l, "Modification simultanée", "Changed meanwhile"),
        _ => tr(l, "Erreur", "Error"),
    };
    let hint = match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => tr(
            l,
            "Demandez à l'organisateur de vous renvoyer une invitation.",
            "Ask the organiser to send you a new invitation.",
        ),
        _ => "",
    };
    shell(
        l,
        title,
        html! {
            div class="card" {
                h1 { (title) }
                p { (public_message(l, e)) }
                p class="muted" { (hint) }
            }
        },
    )
}

/// "Temporarily unavailable" (the database cannot be reached, or an internal error).
pub fn unavailable(l: Lang, status: StatusCode) -> Page {
    let title = if status == StatusCode::SERVICE_UNAVAILABLE {
        tr(
            l,
            "Service momentanément indisponible",
            "Temporarily unavailable",
        )
    } else {
        tr(l, "Erreur", "Error")
    };
    shell(
        l,
        title,
        html! {
            div class="card" {
                h1 { (title) }
                p {
                    (tr(
                        l,
                        "Le service ne peut pas répondre pour le moment. Réessayez dans quelques instants.",
                        "The service cannot answer right now. Please try again in a moment."
                    ))
                }
            }
        },
    )
}

/// Too many requests from this address or for this link.
pub fn too_many(l: Lang) -> Page {
    let title = tr(l, "Trop de demandes", "Too many requests");
    shell(
        l,
        title,
        html! {
            div class="card" {
                h1 { (title) }
                p {
                    (tr(
                        l,
                        "Merci de patienter quelques secondes avant de réessayer.",
                        "Please wait a few seconds before trying again."
                    ))
                }
            }
        },
    )
}

/// After a registration request: the same page whether or not the address is known.
pub fn check_inbox(l: Lang, e: &Event) -> Page {
    shell(
        l,
        &e.input.title,
        html! {
            div class="card" {
                (event_header(l, e))
                p class="ok" id="check-inbox" {
                    (tr(l, "Merci ! Pour terminer, ouvrez le lien que nous venons d'envoyer à votre adresse e-mail.", "Thank you! To finish, open the link we just sent to your e-mail address."))
                }
                p class="muted" {
                    (tr(l, "Le lien est valable 24 heures. Rien reçu ? Vérifiez vos indésirables.", "The link works for 24 hours. Nothing received? Check your spam folder."))
                }
            }
        },
    )
}

/// Registration needs an e-mail and the organiser has not set up sending.
pub fn registration_unavailable(l: Lang, e: &Event) -> Page {
    shell(
        l,
        &e.input.title,
        html! {
            div class="card" {
                (event_header(l, e))
                p class="error" {
                    (tr(
                        l,
                        "L'inscription en ligne est momentanément indisponible : contactez l'organisateur.",
                        "Online registration is temporarily unavailable: contact the organiser."
                    ))
                }
            }
        },
    )
}

/// The page of a confirmation link: one button to confirm.
pub fn confirm(l: Lang, e: &Event, name: &str) -> Page {
    shell(
        l,
        &e.input.title,
        html! {
            div class="card" {
                (event_header(l, e))
                p { (tr(l, "Bonjour", "Hello")) " " (name) "," }
                form method="post" class="answers" {
                    button class="yes" id="confirm" { (tr(l, "Confirmer mon inscription", "Confirm my registration")) }
                }
            }
        },
    )
}

/// Why the rules refuse, in the visitor's language.
pub fn refusal(l: Lang, status: StatusCode, r: eventhub_core::invitations::rules::Refusal) -> Page {
    let title = match status {
        StatusCode::NOT_FOUND => tr(l, "Lien introuvable", "Link not found"),
        StatusCode::GONE => tr(l, "Lien expiré", "Link expired"),
        _ => tr(l, "Indisponible", "Not available"),
    };
    shell(
        l,
        title,
        html! {
            div class="card" {
                h1 { (title) }
                p id="reason" { (r.message(l == Lang::En)) }
                p class="muted" {
                    (tr(
                        l,
                        "Pour toute question, contactez l'organisateur.",
                        "If you have a question, contact the organiser."
                    ))
                }
            }
        },
    )
}

/// The RSVP page with a problem shown at the top (e.g. a full session).
pub fn rsvp_with_error(l: Lang, token: &str, e: &Event, p: &Participant, err: &Error) -> Page {
    rsvp_page(l, token, e, p, None, Some(err))
}

/// The sessions a participant with a seat can join or leave.
fn sessions_block(l: Lang, token: &str, e: &Event, p: &Participant) -> Markup {
    if !p.status.holds_seat() || e.input.sessions.is_empty() {
        return html! {};
    }
    let tz: chrono_tz::Tz = e.input.timezone.parse().unwrap_or(chrono_tz::Europe::Paris);
    html! {
        h2 style="font-size:1.1rem;margin-top:24px" { (tr(l, "Sessions", "Sessions")) }
        div class="sessions" {
            @for s in &e.input.sessions {
                @let joined = p.sessions.iter().any(|x| x == &s.id);
                @let waiting = p.session_waitlist.iter().any(|w| w.session_id == s.id);
                form method="post" action={ "/r/" (token) "/sessions" } class="session" {
                    input type="hidden" name="session" value=(s.id);
                    input type="hidden" name="action" value=(if joined || waiting { "leave" } else { "join" });
                    div {
                        strong { (s.title) }
                        br;
                        span class="muted" {
                            (s.starts_at.with_timezone(&tz).format("%H:%M")) " · " (s.room)
                            @if let Some(c) = s.capacity { " · " (c) " " (tr(l, "places", "seats")) }
                            @if waiting { " · " (tr(l, "complet : vous êtes sur la liste d'attente", "full: you are on the waitlist")) }
                        }
                    }
                    button class=(if joined || waiting { "no" } else { "maybe" }) {
                        @if joined { (tr(l, "Je ne viens plus", "Leave")) }
                        @else if waiting { (tr(l, "Quitter la liste d'attente", "Leave the waitlist")) }
                        @else { (tr(l, "Je m'inscris", "Join")) }
                    }
                }
            }
        }
    }
}

/// "Add to my calendar" (`/r/{token}/event.ics`), for anyone coming or waiting.
fn calendar_link(l: Lang, token: &str, p: &Participant) -> Markup {
    html! {
        @if !matches!(p.status, RsvpStatus::Declined | RsvpStatus::Cancelled) {
            p style="margin-top:16px" {
                a id="calendar" href={ "/r/" (token) "/event.ics" } { (tr(l, "📅 Ajouter à mon agenda", "📅 Add to my calendar")) }
            }
        }
    }
}

/// The way to the networking pages (`/n/{token}`), for anyone not declining.
fn networking_link(l: Lang, token: &str, p: &Participant) -> Markup {
    html! {
        @if !matches!(p.status, RsvpStatus::Declined | RsvpStatus::Cancelled) {
            p style="margin-top:24px" {
                a id="networking" href={ "/n/" (token) } {
                    (tr(
                        l,
                        "Réseautage : rencontrer les autres participants →",
                        "Networking: meet the other participants →"
                    ))
                }
            }
        }
    }
}

pub fn rsvp(
    l: Lang,
    token: &str,
    e: &Event,
    p: &Participant,
    just_answered: Option<RsvpStatus>,
) -> Page {
    rsvp_page(l, token, e, p, just_answered, None)
}

fn rsvp_page(
    l: Lang,
    token: &str,
    e: &Event,
    p: &Participant,
    just_answered: Option<RsvpStatus>,
    error: Option<&Error>,
) -> Page {
    let seat = p
        .seat
        .as_ref()
        .and_then(|s| eventhub_core::participants::seating::seat_text(e, s));
    shell(
        l,
        &e.input.title,
        html! {
            div class="card" {
                @if let Some(err) = error {
                    p class="error" role="alert" { (public_message(l, err)) }
                }
                (event_header(l, e))
                p { (tr(l, "Bonjour", "Hello")) " " (p.input.name) "," }
                p { (tr(l, "Votre réponse :", "Your answer:")) " " span class="status" id="status" { (status_label(l, p.status)) } }
                @if let Some(s) = seat {
                    p { (tr(l, "Votre place :", "Your seat:")) " " strong id="seat" { (s) } }
                }
                @match just_answered {
                    Some(RsvpStatus::Waitlisted) => p class="ok" {
                        (tr(
                            l,
                            "L'événement est complet : vous êtes sur liste d'attente. Une place libérée vous sera attribuée automatiquement.",
                            "The event is full: you are on the waitlist. A freed seat will be given to you automatically."
                        ))
                    },
                    Some(s) => p class="ok" {
                        (tr(l, "Merci ! Votre réponse est enregistrée :", "Thank you! Your answer is recorded:")) " " strong { (status_label(l, s)) }
                    },
                    None => {},
                }
                @if p.status != RsvpStatus::CheckedIn {
                    form method="post" class="answers" {
                        button class="yes" name="answer" value="accepted" { (tr(l, "Je participe", "I'll attend")) }
                        button class="maybe" name="answer" value="tentative" { (tr(l, "Peut-être", "Maybe")) }
                        button class="no" name="answer" value="declined" { (tr(l, "Je ne participe pas", "I can't attend")) }
                    }
                }
                (sessions_block(l, token, e, p))
                (calendar_link(l, token, p))
                (networking_link(l, token, p))
            }
        },
    )
}

pub fn register(l: Lang, e: &Event, name: Option<&str>, error: Option<&Error>) -> Page {
    shell(
        l,
        &e.input.title,
        html! {
            div class="card" {
                (event_header(l, e))
                p { (tr(l, "Inscrivez-vous à cet événement.", "Register for this event.")) }
                @if let Some(err) = error {
                    p class="error" role="alert" { (public_message(l, err)) }
                }
                form method="post" {
                    label for="name" { (tr(l, "Nom", "Name")) }
                    input id="name" name="name" required maxlength="200" value=(name.unwrap_or_default());
                    label for="email" { (tr(l, "E-mail", "E-mail")) }
                    input id="email" name="email" type="email" required maxlength="254";
                    div class="answers" { button class="yes" { (tr(l, "S'inscrire", "Register")) } }
                }
            }
        },
    )
}

pub fn registered(l: Lang, e: &Event, p: &Participant) -> Page {
    shell(
        l,
        &e.input.title,
        html! {
            div class="card" {
                (event_header(l, e))
                p class="ok" { (tr(l, "C'est noté,", "All set,")) " " strong { (status_label(l, p.status)) } }
            }
        },
    )
}
