//! Networking pages of the portal, under `/n/{token}` (the personal invitation token):
//! the participant's profile (opt-in), connecting by badge code or from the directory,
//! requests to accept or ignore, contact cards (vCard), private notes, meeting requests,
//! suggestions, exports, the e-mail summary, and their own data (JSON download, erasure).
//!
//! Forms post back and are answered with a `303 See Other` to a page (`?m=` names the
//! confirmation to show); refusals are 4xx pages with the reason. No script anywhere:
//! scanning a badge is done with the phone's camera app, whose text is pasted here.

use axum::{
    extract::{FromRequestParts, Path, Query, State},
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Form, Router,
};
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::{extract::Invitee, pages, respond, PortalState};
use eventhub_core::{
    error::Code,
    events::Event,
    mail::{self, template::Lang, Mailer},
    networking::{
        self, Card, ConnectionStatus, ConnectionView, ContactLink, Direction, MeetingStatus,
        MeetingView, ProfileInput,
    },
    participants::{rsvp::badge_code, Participant},
    secrets, Error,
};

type FormResult<T> = std::result::Result<Form<T>, axum::extract::rejection::FormRejection>;

pub(super) fn routes() -> Router<PortalState> {
    Router::new()
        .route("/n/{token}", get(hub))
        .route("/n/{token}/profile", get(profile_page).post(profile_save))
        .route("/n/{token}/directory", get(directory))
        .route("/n/{token}/connect", post(connect))
        .route("/n/{token}/requests/{id}", post(answer_request))
        .route("/n/{token}/c/{id}", get(connection_page))
        .route("/n/{token}/c/{id}/note", post(note))
        .route("/n/{token}/c/{id}/card.vcf", get(card_vcf))
        .route("/n/{token}/c/{id}/meetings", post(propose))
        .route("/n/{token}/meetings/{id}", post(answer_meeting))
        .route("/n/{token}/connections.vcf", get(export_vcf))
        .route("/n/{token}/connections.csv", get(export_csv))
        .route("/n/{token}/summary", post(summary))
        .route("/n/{token}/my-data.json", get(my_data))
        .route("/n/{token}/erase", post(erase))
}

pub(super) fn tr<'a>(l: Lang, fr: &'a str, en: &'a str) -> &'a str {
    match l {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

fn status_of(e: &Error) -> StatusCode {
    match e.code {
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::Conflict => StatusCode::CONFLICT,
        Code::Unsupported => StatusCode::FORBIDDEN,
        Code::Validation | Code::Duplicate => StatusCode::BAD_REQUEST,
        Code::DbUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A refusal as a page: the reason, and the way back to the networking page.
pub(super) fn fail(l: Lang, token: &str, e: &Error) -> Response {
    let status = status_of(e);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        super::log_failure(status, e);
        return respond(status, pages::problem(l, status, e));
    }
    let page = pages::shell(
        l,
        tr(l, "Réseautage", "Networking"),
        html! {
            div class="card" {
                h1 { (tr(l, "Impossible", "Not possible")) }
                p class="error" role="alert" { (pages::public_message(l, e)) }
                p { a href={ "/n/" (token) } { (tr(l, "← Retour au réseautage", "← Back to networking")) } }
            }
        },
    );
    respond(status, page)
}

pub(super) fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The invitee of a networking page: their language, their link and who they are. Every
/// refusal on these pages is [`fail`]'s page (the reason, and the way back), so a handler
/// is its steps joined by `?`.
struct Net {
    l: Lang,
    token: String,
    p: Participant,
}

/// A networking page's refusal, already answered with [`fail`] (boxed: a response is
/// large for the error side of every step's `Result`).
struct Refused(Box<Response>);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

type Answer = Result<Response, Refused>;

impl FromRequestParts<PortalState> for Net {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        st: &PortalState,
    ) -> Result<Self, Self::Rejection> {
        let Invitee { lang, token, visit } = Invitee::from_request_parts(parts, st).await?;
        Ok(Net {
            l: lang,
            token,
            p: visit.participant,
        })
    }
}

impl Net {
    fn refuse(&self, e: &Error) -> Refused {
        Refused(Box::new(fail(self.l, &self.token, e)))
    }

    /// The value, or this visitor's refusal page.
    fn check<T>(&self, r: Result<T, Error>) -> Result<T, Refused> {
        r.map_err(|e| self.refuse(&e))
    }

    /// A posted form, or the refusal naming `field`.
    fn form<T>(&self, form: FormResult<T>, field: &str, msg: &str) -> Result<T, Refused> {
        form.map(|Form(f)| f)
            .map_err(|_| self.refuse(&Error::invalid(field, msg)))
    }

    /// To a page under the visitor's link (`""` is the networking page).
    fn go(&self, path: &str) -> Response {
        see_other(&format!("/n/{}{path}", self.token))
    }

    /// The event, for its time zone.
    async fn event(&self, st: &PortalState) -> Result<Event, Refused> {
        self.check(eventhub_core::events::get(&st.core, &self.p.event_id).await)
    }
}

fn download(content_type: &'static str, filename: &str, body: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    r
}

fn tz_of(e: &Event) -> chrono_tz::Tz {
    e.input.timezone.parse().unwrap_or(chrono_tz::Europe::Paris)
}

fn when(l: Lang, tz: chrono_tz::Tz, d: DateTime<Utc>) -> String {
    let d = d.with_timezone(&tz);
    match l {
        Lang::Fr => d.format("%d/%m %H:%M").to_string(),
        Lang::En => d.format("%Y-%m-%d %H:%M").to_string(),
    }
}

fn message(l: Lang, m: &str) -> Option<&'static str> {
    Some(match m {
        "saved" => tr(l, "Profil enregistré.", "Profile saved."),
        "requested" => tr(l, "Demande envoyée.", "Request sent."),
        "accepted" => tr(l, "Vous êtes connectés.", "You are connected."),
        "ignored" => tr(l, "Demande ignorée.", "Request ignored."),
        "noted" => tr(l, "Note enregistrée.", "Note saved."),
        "proposed" => tr(
            l,
            "Proposition de rendez-vous envoyée.",
            "Meeting request sent.",
        ),
        "answered" => tr(l, "Réponse enregistrée.", "Answer saved."),
        "mailed" => tr(
            l,
            "Le récapitulatif de vos contacts vous a été envoyé.",
            "The summary of your connections was sent to you.",
        ),
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
struct MsgQuery {
    m: Option<String>,
    q: Option<String>,
}

fn card_html(l: Lang, c: &Card) -> Markup {
    let sub: Vec<&str> = [c.headline.as_str(), c.company.as_str()]
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect();
    html! {
        strong { (c.name) }
        @if !sub.is_empty() {
            br;
            span class="muted" { (sub.join(" · ")) }
        }
        @if !c.interests.is_empty() {
            br;
            span class="muted" { (tr(l, "Centres d'intérêt :", "Interests:")) " " (c.interests.join(", ")) }
        }
        @if let Some(e) = &c.email {
            br;
            a href={ "mailto:" (e) } { (e) }
        }
        @for link in &c.links {
            br;
            a href=(link.url) rel="noopener noreferrer nofollow" {
                @if link.label.is_empty() { (link.url) } @else { (link.label) }
            }
        }
    }
}

fn connect_button(l: Lang, token: &str, id: &str) -> Markup {
    html! {
        form method="post" action={ "/n/" (token) "/connect" } {
            input type="hidden" name="to" value=(id);
            button class="maybe" { (tr(l, "Se connecter", "Connect")) }
        }
    }
}

fn badge_qr(p: &Participant) -> Markup {
    match eventhub_core::invitations::qr_svg(&badge_code(p)) {
        Ok(svg) => html! {
            img alt="QR" width="160" height="160" src={ "data:image/svg+xml;base64," (base64::engine::general_purpose::STANDARD.encode(svg)) };
        },
        Err(_) => html! {},
    }
}

fn h2(t: &str) -> Markup {
    html! { h2 style="font-size:1.1rem;margin-top:24px" { (t) } }
}

fn meeting_html(l: Lang, token: &str, tz: chrono_tz::Tz, v: &MeetingView) -> Markup {
    let m = &v.meeting;
    let status = match (l, m.status) {
        (Lang::Fr, MeetingStatus::Proposed) => "proposé",
        (Lang::Fr, MeetingStatus::Accepted) => "confirmé",
        (Lang::Fr, MeetingStatus::Declined) => "refusé",
        (Lang::Fr, MeetingStatus::Cancelled) => "annulé",
        (Lang::En, s) => s.as_str(),
    };
    let times = match m.chosen {
        Some(c) => when(l, tz, c),
        None => m
            .slots
            .iter()
            .map(|d| when(l, tz, *d))
            .collect::<Vec<_>>()
            .join(" / "),
    };
    let action = html! { "/n/" (token) "/meetings/" (m.id) };
    html! {
        div class="session" {
            div {
                (v.other.name) " — " span class="status" { (status) }
                br;
                span class="muted" {
                    (times)
                    @if !m.place.is_empty() { " · " (m.place) }
                }
            }
            div {
                @if v.to_answer {
                    @for (i, d) in m.slots.iter().enumerate() {
                        form method="post" action=(action) {
                            input type="hidden" name="action" value="accept";
                            input type="hidden" name="slot" value=(i);
                            button class="yes" { (tr(l, "OK", "OK")) " " (when(l, tz, *d)) }
                        }
                    }
                    form method="post" action=(action) {
                        input type="hidden" name="action" value="decline";
                        button class="no" { (tr(l, "Refuser", "Decline")) }
                    }
                } @else if matches!(m.status, MeetingStatus::Proposed | MeetingStatus::Accepted) {
                    form method="post" action=(action) {
                        input type="hidden" name="action" value="cancel";
                        button class="no" { (tr(l, "Annuler", "Cancel")) }
                    }
                }
            }
        }
    }
}

async fn hub_page(
    st: &PortalState,
    l: Lang,
    token: &str,
    p: &Participant,
    msg: Option<&str>,
) -> Result<pages::Page, Error> {
    let core = &st.core;
    let event = eventhub_core::events::get(core, &p.event_id).await?;
    let tz = tz_of(&event);
    let prof = networking::profile(core, &p.id).await?;
    let opted = prof.as_ref().is_some_and(|x| x.input.opted_in);
    let t = token;

    let list = networking::list(core, &p.id).await?;
    let incoming: Vec<&ConnectionView> = list
        .iter()
        .filter(|c| c.status == ConnectionStatus::Pending && c.direction == Direction::Incoming)
        .collect();
    let accepted: Vec<&ConnectionView> = list
        .iter()
        .filter(|c| c.status == ConnectionStatus::Accepted)
        .collect();
    let outgoing: Vec<&ConnectionView> = list
        .iter()
        .filter(|c| c.status == ConnectionStatus::Pending && c.direction == Direction::Outgoing)
        .collect();
    let meetings = networking::meetings_of(core, &p.id).await?;
    let suggestions = if opted {
        networking::suggestions(core, &p.id, 5).await?
    } else {
        vec![]
    };
    // What a suggested person shares with the visitor: interests, then sessions.
    let in_common = |s: &networking::Suggestion| {
        let mut why = s.shared_interests.join(", ");
        if !s.shared_sessions.is_empty() {
            let titles: Vec<&str> = event
                .input
                .sessions
                .iter()
                .filter(|x| s.shared_sessions.contains(&x.id))
                .map(|x| x.title.as_str())
                .collect();
            if !why.is_empty() {
                why.push_str(" · ");
            }
            why.push_str(&titles.join(", "));
        }
        why
    };

    let body = html! {
        div class="card" {
            h1 { (tr(l, "Réseautage", "Networking")) }
            p class="muted" { (event.input.title) }
            @if let Some(m) = msg.and_then(|m| message(l, m)) {
                p class="ok" role="status" { (m) }
            }
            @if !opted {
                p {
                    (tr(
                        l,
                        "Créez votre profil pour apparaître dans l'annuaire et échanger vos coordonnées. Rien n'est montré de vous tant que vous ne l'avez pas activé.",
                        "Create your profile to appear in the directory and exchange contact details. Nothing about you is shown until you turn it on."
                    ))
                }
                p { a href={ "/n/" (t) "/profile" } { (tr(l, "Activer mon profil →", "Turn on my profile →")) } }
            } @else {
                p {
                    a href={ "/n/" (t) "/profile" } { (tr(l, "Mon profil", "My profile")) }
                    " · "
                    a href={ "/n/" (t) "/directory" } { (tr(l, "Annuaire", "Directory")) }
                    " · "
                    a href={ "/s/" (t) } { (tr(l, "Partager un moment", "Share a moment")) }
                }
                (h2(tr(l, "Se connecter", "Connect")))
                form method="post" action={ "/n/" (t) "/connect" } {
                    label for="code" { (tr(l, "Code du badge (scanné ou saisi)", "Badge code (scanned or typed)")) }
                    input id="code" name="code" required maxlength="200" placeholder="EVENTHUB:…" autocomplete="off";
                    div class="answers" { button class="yes" { (tr(l, "Envoyer une demande", "Send a request")) } }
                }
                p class="muted" {
                    (tr(l, "Scannez le QR code du badge avec l'appareil photo de votre téléphone et collez le texte ici.", "Scan the badge's QR code with your phone's camera and paste the text here."))
                }
                p { (badge_qr(p)) br; code id="badge" { (badge_code(p)) } }
            }
        }
        @if !incoming.is_empty() {
            div class="card" style="margin-top:16px" {
                (h2(tr(l, "Demandes reçues", "Requests to answer")))
                div class="sessions" id="incoming" {
                    @for c in &incoming {
                        @let action = html! { "/n/" (t) "/requests/" (c.connection_id) };
                        div class="session" {
                            div { (card_html(l, &c.other)) }
                            div {
                                form method="post" action=(action) {
                                    input type="hidden" name="action" value="accept";
                                    button class="yes" { (tr(l, "Accepter", "Accept")) }
                                }
                                form method="post" action=(action) {
                                    input type="hidden" name="action" value="ignore";
                                    button class="no" { (tr(l, "Ignorer", "Ignore")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        div class="card" style="margin-top:16px" {
            (h2(&format!("{} ({})", tr(l, "Mes contacts", "My connections"), accepted.len())))
            div class="sessions" id="connections" {
                @for c in &accepted {
                    div class="session" {
                        div { (card_html(l, &c.other)) }
                        a href={ "/n/" (t) "/c/" (c.connection_id) } { (tr(l, "Ouvrir", "Open")) }
                    }
                }
            }
            @if !accepted.is_empty() {
                p {
                    a href={ "/n/" (t) "/connections.vcf" } { (tr(l, "Exporter (vCard)", "Export (vCard)")) }
                    " · "
                    a href={ "/n/" (t) "/connections.csv" } { (tr(l, "Exporter (CSV)", "Export (CSV)")) }
                }
                form method="post" action={ "/n/" (t) "/summary" } {
                    button class="maybe" { (tr(l, "Recevoir le récapitulatif par e-mail", "E-mail me the summary")) }
                }
            }
            @if !outgoing.is_empty() {
                p class="muted" {
                    (tr(l, "En attente de réponse :", "Waiting for an answer:")) " "
                    (outgoing.iter().map(|c| c.other.name.as_str()).collect::<Vec<_>>().join(", "))
                }
            }
        }
        @if !meetings.is_empty() {
            div class="card" style="margin-top:16px" {
                (h2(tr(l, "Rendez-vous", "Meetings")))
                div class="sessions" {
                    @for m in &meetings { (meeting_html(l, token, tz, m)) }
                }
            }
        }
        @if !suggestions.is_empty() {
            div class="card" style="margin-top:16px" {
                (h2(tr(l, "Personnes à rencontrer", "People you should meet")))
                div class="sessions" id="suggestions" {
                    @for s in &suggestions {
                        div class="session" {
                            div {
                                (card_html(l, &s.card))
                                br;
                                span class="muted" { (tr(l, "En commun :", "In common:")) " " (in_common(s)) }
                            }
                            (connect_button(l, token, &s.card.participant_id))
                        }
                    }
                }
            }
        }
        div class="card" style="margin-top:16px" {
            (h2(tr(l, "Mes données", "My data")))
            p { a href={ "/n/" (t) "/my-data.json" } { (tr(l, "Télécharger toutes mes données (JSON)", "Download all my data (JSON)")) } }
            form method="post" action={ "/n/" (t) "/erase" } {
                label {
                    input type="checkbox" name="confirm" value="yes" required style="width:auto";
                    " " (tr(l, "Je confirme : effacer mon profil, mes contacts, demandes, rendez-vous, notes et réponses aux questionnaires.", "I confirm: erase my profile, connections, requests, meetings, notes and survey answers."))
                }
                div class="answers" { button class="no" { (tr(l, "Effacer mes données", "Erase my data")) } }
            }
            p class="muted" { (tr(l, "Votre inscription à l'événement reste auprès de l'organisateur.", "Your registration to the event stays with the organiser.")) }
        }
        p class="muted" { a href={ "/r/" (t) } { (tr(l, "← Mon invitation", "← My invitation")) } }
    };
    Ok(pages::shell(l, tr(l, "Réseautage", "Networking"), body))
}

async fn hub(State(st): State<PortalState>, n: Net, Query(q): Query<MsgQuery>) -> Answer {
    let page = n.check(hub_page(&st, n.l, &n.token, &n.p, q.m.as_deref()).await)?;
    Ok(respond(StatusCode::OK, page))
}

fn profile_form(l: Lang, token: &str, input: &ProfileInput, err: Option<&Error>) -> pages::Page {
    let links: String = input
        .links
        .iter()
        .map(|x| x.url.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let t = token;
    pages::shell(
        l,
        tr(l, "Mon profil", "My profile"),
        html! {
            div class="card" {
                h1 { (tr(l, "Mon profil de réseautage", "My networking profile")) }
                @if let Some(e) = err {
                    p class="error" role="alert" { (pages::public_message(l, e)) }
                }
                form method="post" action={ "/n/" (t) "/profile" } {
                    label {
                        input type="checkbox" name="opted_in" value="on" style="width:auto" checked[input.opted_in];
                        " " (tr(l, "Apparaître dans l'annuaire et pouvoir échanger mes coordonnées", "Appear in the directory and exchange contact details"))
                    }
                    label for="headline" { (tr(l, "Titre (ex. : Développeuse Rust)", "Headline (e.g. Rust developer)")) }
                    input id="headline" name="headline" maxlength="120" value=(input.headline);
                    label for="company" { (tr(l, "Entreprise", "Company")) }
                    input id="company" name="company" maxlength="120" value=(input.company);
                    label for="interests" { (tr(l, "Centres d'intérêt (séparés par des virgules)", "Interests (comma-separated)")) }
                    input id="interests" name="interests" maxlength="1000" value=(input.interests.join(", "));
                    label for="links" { (tr(l, "Liens (un par ligne, https://…)", "Links (one per line, https://…)")) }
                    textarea id="links" name="links" rows="3" maxlength="1600" style="width:100%" { (links) }
                    label for="photo_url" { (tr(l, "Photo (adresse https://…)", "Photo (https://… address)")) }
                    input id="photo_url" name="photo_url" type="url" maxlength="300" value=(input.photo_url);
                    label {
                        input type="checkbox" name="share_email" value="on" style="width:auto" checked[input.share_email];
                        " " (tr(l, "Donner mon e-mail à mes contacts acceptés", "Give my e-mail to accepted connections"))
                    }
                    div class="answers" { button class="yes" { (tr(l, "Enregistrer", "Save")) } }
                }
                p { a href={ "/n/" (t) } { (tr(l, "← Retour", "← Back")) } }
            }
        },
    )
}

async fn profile_page(State(st): State<PortalState>, n: Net) -> Answer {
    let prof = n.check(networking::profile(&st.core, &n.p.id).await)?;
    let input = prof.map(|x| x.input).unwrap_or_else(|| ProfileInput {
        company: n.p.input.company.clone(),
        headline: n.p.input.role.clone(),
        opted_in: true,
        share_email: true,
        ..Default::default()
    });
    Ok(respond(
        StatusCode::OK,
        profile_form(n.l, &n.token, &input, None),
    ))
}

#[derive(Deserialize)]
struct ProfileForm {
    #[serde(default)]
    opted_in: Option<String>,
    #[serde(default)]
    headline: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    interests: String,
    #[serde(default)]
    links: String,
    #[serde(default)]
    photo_url: String,
    #[serde(default)]
    share_email: Option<String>,
}

async fn profile_save(
    State(st): State<PortalState>,
    n: Net,
    form: FormResult<ProfileForm>,
) -> Answer {
    let f = n.form(form, "profile", "missing or malformed form")?;
    let input = ProfileInput {
        opted_in: f.opted_in.is_some(),
        headline: f.headline,
        company: f.company,
        interests: networking::parse_interests(&f.interests),
        links: f
            .links
            .lines()
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|u| ContactLink {
                label: String::new(),
                url: u.to_owned(),
            })
            .collect(),
        photo_url: f.photo_url,
        share_email: f.share_email.is_some(),
    };
    let core = st.as_invitee(&n.p);
    match networking::save_profile(&core, &n.p.id, input.clone()).await {
        Ok(_) => Ok(n.go("?m=saved")),
        Err(e) if e.code == Code::Validation => Ok(respond(
            StatusCode::BAD_REQUEST,
            profile_form(n.l, &n.token, &input, Some(&e)),
        )),
        Err(e) => Err(n.refuse(&e)),
    }
}

async fn directory(State(st): State<PortalState>, n: Net, Query(q): Query<MsgQuery>) -> Answer {
    let (l, token, p) = (n.l, &n.token, &n.p);
    let opted = n
        .check(networking::profile(&st.core, &p.id).await)?
        .is_some_and(|x| x.input.opted_in);
    if !opted {
        return Err(n.refuse(&Error::new(
            Code::Unsupported,
            tr(
                l,
                "activez votre profil pour voir l'annuaire",
                "turn on your profile to see the directory",
            ),
        )));
    }
    let people =
        n.check(networking::directory(&st.core, &p.event_id, &p.id, q.q.as_deref()).await)?;
    let t = token;
    Ok(respond(
        StatusCode::OK,
        pages::shell(
            l,
            tr(l, "Annuaire", "Directory"),
            html! {
                div class="card" {
                    h1 { (tr(l, "Annuaire des participants", "Participant directory")) }
                    form method="get" action={ "/n/" (t) "/directory" } {
                        input name="q" maxlength="100" value=(q.q.as_deref().unwrap_or_default()) placeholder=(tr(l, "Nom, entreprise, intérêt…", "Name, company, interest…"));
                    }
                    div class="sessions" id="directory" style="margin-top:12px" {
                        @for c in &people {
                            div class="session" {
                                div { (card_html(l, c)) }
                                (connect_button(l, token, &c.participant_id))
                            }
                        }
                        @if people.is_empty() {
                            p class="muted" { (tr(l, "Personne pour l'instant.", "Nobody yet.")) }
                        }
                    }
                    p { a href={ "/n/" (t) } { (tr(l, "← Retour", "← Back")) } }
                }
            },
        ),
    ))
}

#[derive(Deserialize)]
struct ConnectForm {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

async fn connect(State(st): State<PortalState>, n: Net, form: FormResult<ConnectForm>) -> Answer {
    let f = n.form(form, "code", "missing or malformed badge code")?;
    let (core, p) = (st.as_invitee(&n.p), &n.p);
    let r = match (
        f.code.filter(|c| !c.trim().is_empty()),
        f.to.filter(|c| !c.trim().is_empty()),
    ) {
        (Some(code), _) => networking::request_by_code(&core, &p.id, &code).await,
        (None, Some(to)) => networking::request(&core, &p.id, to.trim()).await,
        (None, None) => Err(Error::invalid("code", "type or paste a badge code")),
    };
    let c = n.check(r)?;
    Ok(if c.status == ConnectionStatus::Accepted {
        n.go(&format!("/c/{}?m=accepted", c.id))
    } else {
        n.go("?m=requested")
    })
}

#[derive(Deserialize)]
struct ActionForm {
    action: String,
    #[serde(default)]
    slot: Option<String>,
}

async fn answer_request(
    State(st): State<PortalState>,
    n: Net,
    Path((_, id)): Path<(String, String)>,
    form: FormResult<ActionForm>,
) -> Answer {
    let accept = match n.form(form, "action", "accept or ignore")?.action.as_str() {
        "accept" => true,
        "ignore" => false,
        _ => return Err(n.refuse(&Error::invalid("action", "accept or ignore"))),
    };
    let core = st.as_invitee(&n.p);
    let c = n.check(networking::respond(&core, &n.p.id, &id, accept).await)?;
    Ok(if accept {
        n.go(&format!("/c/{}?m=accepted", c.id))
    } else {
        n.go("?m=ignored")
    })
}

async fn connection_page(
    State(st): State<PortalState>,
    n: Net,
    Path((_, id)): Path<(String, String)>,
    Query(q): Query<MsgQuery>,
) -> Answer {
    let l = n.l;
    let c = n.check(networking::get_connection(&st.core, &n.p.id, &id).await)?;
    if c.status != ConnectionStatus::Accepted {
        return Err(n.refuse(&Error::invalid(
            "connection",
            "this request is not accepted yet",
        )));
    }
    let event = n.event(&st).await?;
    let tz = tz_of(&event);
    let t = &n.token;
    let cid = &c.connection_id;
    let msg = q.m.as_deref().and_then(|m| message(l, m));
    let default_slot = event
        .input
        .starts_at
        .with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    Ok(respond(
        StatusCode::OK,
        pages::shell(
            l,
            &c.other.name,
            html! {
                div class="card" {
                    h1 { (c.other.name) }
                    @if let Some(m) = msg { p class="ok" role="status" { (m) } }
                    p { (card_html(l, &c.other)) }
                    p { a href={ "/n/" (t) "/c/" (cid) "/card.vcf" } { (tr(l, "Télécharger la fiche contact (vCard)", "Download the contact card (vCard)")) } }
                    form method="post" action={ "/n/" (t) "/c/" (cid) "/note" } {
                        label for="note" { (tr(l, "Ma note privée", "My private note")) }
                        textarea id="note" name="note" rows="4" maxlength="2000" style="width:100%" { (c.note) }
                        div class="answers" { button class="maybe" { (tr(l, "Enregistrer la note", "Save the note")) } }
                    }
                    (h2(tr(l, "Proposer un rendez-vous", "Propose a meeting")))
                    form method="post" action={ "/n/" (t) "/c/" (cid) "/meetings" } {
                        label { (tr(l, "Créneaux proposés", "Proposed times")) " (" (tz.name()) ")" }
                        input type="datetime-local" name="slot1" required value=(default_slot);
                        input type="datetime-local" name="slot2";
                        input type="datetime-local" name="slot3";
                        label for="place" { (tr(l, "Lieu", "Place")) }
                        input id="place" name="place" maxlength="120";
                        label for="duration" { (tr(l, "Durée (minutes)", "Duration (minutes)")) }
                        input id="duration" name="duration" type="number" min="5" max="240" value="30";
                        div class="answers" { button class="yes" { (tr(l, "Proposer", "Propose")) } }
                    }
                    p { a href={ "/n/" (t) } { (tr(l, "← Retour", "← Back")) } }
                }
            },
        ),
    ))
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    note: String,
}

async fn note(
    State(st): State<PortalState>,
    n: Net,
    Path((_, id)): Path<(String, String)>,
    form: FormResult<NoteForm>,
) -> Answer {
    let f = n.form(form, "note", "missing or malformed note")?;
    let core = st.as_invitee(&n.p);
    n.check(networking::set_note(&core, &n.p.id, &id, &f.note).await)?;
    Ok(n.go(&format!("/c/{id}?m=noted")))
}

fn filename(name: &str, ext: &str) -> String {
    let base: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    let base = base.trim_matches('-');
    format!("{}.{ext}", if base.is_empty() { "contact" } else { base })
}

async fn card_vcf(
    State(st): State<PortalState>,
    n: Net,
    Path((_, id)): Path<(String, String)>,
) -> Answer {
    let c = n.check(networking::get_connection(&st.core, &n.p.id, &id).await)?;
    if c.status != ConnectionStatus::Accepted {
        return Err(n.refuse(&Error::not_found("connection")));
    }
    Ok(download(
        "text/vcard; charset=utf-8",
        &filename(&c.other.name, "vcf"),
        networking::vcard::card(&c.other, &c.note),
    ))
}

#[derive(Deserialize)]
struct MeetingForm {
    #[serde(default)]
    slot1: String,
    #[serde(default)]
    slot2: String,
    #[serde(default)]
    slot3: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    duration: String,
}

/// A `datetime-local` value (`2027-05-10T14:30`) in the event's time zone.
fn local_slot(field: &str, v: &str, tz: chrono_tz::Tz) -> Result<DateTime<Utc>, Error> {
    let v = v.trim();
    let naive = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| Error::invalid(field, "a date and time is expected"))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| Error::invalid(field, "this time does not exist in the event's time zone"))
}

async fn propose(
    State(st): State<PortalState>,
    n: Net,
    Path((_, id)): Path<(String, String)>,
    form: FormResult<MeetingForm>,
) -> Answer {
    let f = n.form(form, "slots", "missing or malformed times")?;
    let tz = tz_of(&n.event(&st).await?);
    let mut slots = vec![];
    for (field, v) in [
        ("slot1", &f.slot1),
        ("slot2", &f.slot2),
        ("slot3", &f.slot3),
    ] {
        if !v.trim().is_empty() {
            slots.push(n.check(local_slot(field, v, tz))?);
        }
    }
    let duration = if f.duration.trim().is_empty() {
        30
    } else {
        n.check(
            f.duration
                .trim()
                .parse::<i32>()
                .map_err(|_| Error::invalid("duration", "a number of minutes is expected")),
        )?
    };
    let core = st.as_invitee(&n.p);
    n.check(networking::propose_meeting(&core, &n.p.id, &id, slots, duration, &f.place).await)?;
    Ok(n.go("?m=proposed"))
}

async fn answer_meeting(
    State(st): State<PortalState>,
    n: Net,
    Path((_, id)): Path<(String, String)>,
    form: FormResult<ActionForm>,
) -> Answer {
    let f = n.form(form, "action", "accept, decline or cancel")?;
    let (core, p) = (st.as_invitee(&n.p), &n.p);
    let r = match f.action.as_str() {
        "accept" => match f.slot.as_deref().map(str::trim).map(str::parse::<usize>) {
            Some(Ok(i)) => networking::answer_meeting(&core, &p.id, &id, Some(i)).await,
            _ => Err(Error::invalid("slot", "choose one of the proposed times")),
        },
        "decline" => networking::answer_meeting(&core, &p.id, &id, None).await,
        "cancel" => networking::cancel_meeting(&core, &p.id, &id).await,
        _ => Err(Error::invalid("action", "accept, decline or cancel")),
    };
    n.check(r)?;
    Ok(n.go("?m=answered"))
}

async fn export_vcf(State(st): State<PortalState>, n: Net) -> Answer {
    let v = n.check(networking::export_vcard(&st.core, &n.p.id).await)?;
    Ok(download("text/vcard; charset=utf-8", "connections.vcf", v))
}

async fn export_csv(State(st): State<PortalState>, n: Net) -> Answer {
    let v = n.check(networking::export_csv(&st.core, &n.p.id).await)?;
    Ok(download("text/csv; charset=utf-8", "connections.csv", v))
}

/// The mailer of the organiser's SMTP settings (password from the keychain if needed).
async fn mailer(st: &PortalState) -> Result<Mailer, Error> {
    let settings = mail::load_settings(&st.core).await?.ok_or_else(|| {
        Error::new(
            Code::Unsupported,
            "e-mail is not set up for this event: export your connections instead",
        )
    })?;
    let password = if settings.username.is_empty() {
        None
    } else {
        secrets::get(&settings.secret_name()).ok().flatten()
    };
    Mailer::new(&settings, password.as_deref())
}

async fn summary(State(st): State<PortalState>, n: Net) -> Answer {
    let m = n.check(mailer(&st).await)?;
    n.check(networking::send_summary(&st.core, &m, &n.p.id, n.l).await)?;
    Ok(n.go("?m=mailed"))
}

async fn my_data(State(st): State<PortalState>, n: Net) -> Answer {
    let v = n.check(networking::my_data(&st.core, &n.p.id).await)?;
    Ok(download(
        "application/json",
        "my-data.json",
        serde_json::to_string_pretty(&v).unwrap_or_default(),
    ))
}

#[derive(Deserialize)]
struct EraseForm {
    #[serde(default)]
    confirm: String,
}

async fn erase(State(st): State<PortalState>, n: Net, form: FormResult<EraseForm>) -> Answer {
    const UNTICKED: &str = "tick the box to confirm the erasure";
    if n.form(form, "confirm", UNTICKED)?.confirm != "yes" {
        return Err(n.refuse(&Error::invalid("confirm", UNTICKED)));
    }
    n.check(networking::erase(&st.core, &n.p.id).await)?;
    let (l, token) = (n.l, &n.token);
    Ok(respond(
        StatusCode::OK,
        pages::shell(
            l,
            tr(l, "Données effacées", "Data erased"),
            html! {
                div class="card" {
                    h1 { (tr(l, "Données effacées", "Data erased")) }
                    p class="ok" {
                        (tr(
                            l,
                            "Votre profil, vos contacts, demandes, rendez-vous, notes et réponses aux questionnaires ont été effacés, y compris des listes des autres participants.",
                            "Your profile, connections, requests, meetings, notes and survey answers were erased, from other participants' lists too."
                        ))
                    }
                    p { a href={ "/r/" (token) } { (tr(l, "← Mon invitation", "← My invitation")) } }
                }
            },
        ),
    ))
}
