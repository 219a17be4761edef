//! The participant portal: a small HTTP server (axum) that invitees reach from their phones
//! — the RSVP page of a personal link, and the registration page of an event's shareable
//! link. The desktop app starts it on the LAN when the organiser turns it on; the same
//! code runs standalone against Atlas (`eventhub-cli portal serve`).
//!
//! Every page is server-rendered HTML with all values escaped, under a strict
//! Content-Security-Policy; bad input gets a clear 4xx page, never a stack trace.

mod feedback;
mod networking;
mod pages;
mod social;

use std::net::SocketAddr;

use axum::{
    extract::{DefaultBodyLimit, Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Form, Router,
};
use serde::Deserialize;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{
    error::Code,
    invitations::{self, LinkProblem},
    mail::template::Lang,
    participants::{self, RsvpStatus},
    Core, Error, Result,
};

pub use pages::Page;

#[derive(Clone)]
struct PortalState {
    core: Core,
}

impl PortalState {
    /// The core acting for an invitee (audit trail and `updated_by` name them).
    fn as_invitee(&self, p: &participants::Participant) -> Core {
        self.core.with_actor(&format!("invitee:{}", p.email_norm))
    }
}

/// The portal's routes, for serving or for tests (`tower::ServiceExt::oneshot`).
pub fn router(core: Core) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/health", get(|| async { "ok" }))
        .route("/r/{token}", get(rsvp_page).post(rsvp_answer))
        .route("/r/{token}/sessions", axum::routing::post(rsvp_sessions))
        .route("/e/{token}", get(event_page).post(event_register))
        .merge(feedback::routes())
        .merge(networking::routes())
        .merge(social::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(16 * 1024))
        .with_state(PortalState { core })
}

/// A running portal. [`PortalHandle::stop`] shuts it down gracefully.
pub struct PortalHandle {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl PortalHandle {
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

/// Bind and serve. `addr` is `127.0.0.1:0` for this machine only, `0.0.0.0:8787` for the
/// LAN.
pub async fn start(core: Core, addr: SocketAddr) -> Result<PortalHandle> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        Error::new(
            Code::Unsupported,
            format!("the portal cannot listen on {addr}: {e}"),
        )
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::internal(e.to_string()))?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(core);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(PortalHandle {
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// The addresses at which phones on the LAN can reach a portal bound to `port`
/// (non-loopback IPv4 of this machine's interfaces; no network traffic involved).
pub fn lan_urls(port: u16) -> Vec<String> {
    let mut v: Vec<String> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback())
        .filter_map(|i| match i.ip() {
            std::net::IpAddr::V4(ip) => Some(format!("http://{ip}:{port}")),
            std::net::IpAddr::V6(_) => None,
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

fn lang(headers: &HeaderMap) -> Lang {
    let al = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("fr")
        .to_ascii_lowercase();
    let fr = al.find("fr");
    let en = al.find("en");
    match (fr, en) {
        (Some(f), Some(e)) if e < f => Lang::En,
        (None, Some(_)) => Lang::En,
        _ => Lang::Fr,
    }
}

fn respond(status: StatusCode, page: Page) -> Response {
    let mut r = (status, axum::response::Html(page.html)).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn failure(l: Lang, e: &Error) -> Response {
    let status = match e.code {
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::Validation | Code::Duplicate | Code::Conflict => StatusCode::BAD_REQUEST,
        Code::DbUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!("portal: {}", e.message);
    }
    respond(status, pages::problem(l, status, e))
}

async fn home(headers: HeaderMap) -> Response {
    respond(StatusCode::OK, pages::home(lang(&headers)))
}

async fn not_found(headers: HeaderMap) -> Response {
    let l = lang(&headers);
    failure(l, &Error::not_found("page"))
}

async fn link_problem(l: Lang, p: LinkProblem) -> Response {
    let status = match p {
        LinkProblem::Unknown => StatusCode::NOT_FOUND,
        LinkProblem::Expired => StatusCode::GONE,
    };
    respond(status, pages::problem(l, status, &p.error()))
}

async fn rsvp_page(
    State(st): State<PortalState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let l = lang(&headers);
    let p = match invitations::participant_by_token(&st.core, &token).await {
        Ok(Ok(p)) => p,
        Ok(Err(problem)) => return link_problem(l, problem).await,
        Err(e) => return failure(l, &e),
    };
    if let Err(e) = invitations::mark_opened(&st.core, &p.id).await {
        return failure(l, &e);
    }
    match crate::events::get(&st.core, &p.event_id).await {
        Ok(event) => respond(StatusCode::OK, pages::rsvp(l, &token, &event, &p, None)),
        Err(e) => failure(l, &e),
    }
}

#[derive(Deserialize)]
struct AnswerForm {
    answer: String,
}

async fn rsvp_answer(
    State(st): State<PortalState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: std::result::Result<Form<AnswerForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let l = lang(&headers);
    let Ok(Form(form)) = form else {
        return failure(l, &Error::invalid("answer", "missing or malformed answer"));
    };
    let to = match form.answer.as_str() {
        "accepted" => RsvpStatus::Accepted,
        "declined" => RsvpStatus::Declined,
        "tentative" => RsvpStatus::Tentative,
        other => {
            return failure(
                l,
                &Error::invalid("answer", format!("'{other}' is not a possible answer")),
            )
        }
    };
    let p = match invitations::participant_by_token(&st.core, &token).await {
        Ok(Ok(p)) => p,
        Ok(Err(problem)) => return link_problem(l, problem).await,
        Err(e) => return failure(l, &e),
    };
    if p.status == RsvpStatus::CheckedIn {
        return failure(
            l,
            &Error::invalid("answer", "you are already checked in at this event"),
        );
    }
    let core = st.as_invitee(&p);
    // Accepting again when already accepted (or waitlisted) keeps the seat / the place.
    let unchanged = to == RsvpStatus::Accepted
        && matches!(p.status, RsvpStatus::Accepted | RsvpStatus::Waitlisted);
    let updated = if unchanged {
        Ok(p)
    } else {
        participants::rsvp::set_status(&core, &p.id, None, to).await
    };
    match updated {
        Ok(up) => match crate::events::get(&st.core, &up.event_id).await {
            Ok(event) => respond(
                StatusCode::OK,
                pages::rsvp(l, &token, &event, &up, Some(up.status)),
            ),
            Err(e) => failure(l, &e),
        },
        Err(e) => failure(l, &e),
    }
}

#[derive(Deserialize)]
struct SessionForm {
    session: String,
    action: String,
}

/// Join or leave one session of the event (per-session capacity applies).
async fn rsvp_sessions(
    State(st): State<PortalState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: std::result::Result<Form<SessionForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let l = lang(&headers);
    let Ok(Form(form)) = form else {
        return failure(
            l,
            &Error::invalid("session", "missing or malformed session choice"),
        );
    };
    let p = match invitations::participant_by_token(&st.core, &token).await {
        Ok(Ok(p)) => p,
        Ok(Err(problem)) => return link_problem(l, problem).await,
        Err(e) => return failure(l, &e),
    };
    let core = st.as_invitee(&p);
    let result = match form.action.as_str() {
        "join" => participants::rsvp::join_session(&core, &p.id, &form.session).await,
        "leave" => participants::rsvp::leave_session(&core, &p.id, &form.session).await,
        other => Err(Error::invalid(
            "action",
            format!("'{other}' is not join or leave"),
        )),
    };
    let event = match crate::events::get(&st.core, &p.event_id).await {
        Ok(e) => e,
        Err(e) => return failure(l, &e),
    };
    match result {
        Ok(up) => respond(StatusCode::OK, pages::rsvp(l, &token, &event, &up, None)),
        Err(e) if matches!(e.code, Code::Validation | Code::Conflict | Code::NotFound) => {
            let current = participants::get(&st.core, &p.id).await.unwrap_or(p);
            respond(
                StatusCode::BAD_REQUEST,
                pages::rsvp_with_error(l, &token, &event, &current, &e),
            )
        }
        Err(e) => failure(l, &e),
    }
}

async fn event_page(
    State(st): State<PortalState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let l = lang(&headers);
    match invitations::event_by_link(&st.core, &token).await {
        Ok(Some(event)) => respond(StatusCode::OK, pages::register(l, &event, None, None)),
        Ok(None) => link_problem(l, LinkProblem::Unknown).await,
        Err(e) => failure(l, &e),
    }
}

#[derive(Deserialize)]
struct RegisterForm {
    name: String,
    email: String,
}

async fn event_register(
    State(st): State<PortalState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: std::result::Result<Form<RegisterForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let l = lang(&headers);
    let event = match invitations::event_by_link(&st.core, &token).await {
        Ok(Some(e)) => e,
        Ok(None) => return link_problem(l, LinkProblem::Unknown).await,
        Err(e) => return failure(l, &e),
    };
    let Ok(Form(form)) = form else {
        return failure(
            l,
            &Error::invalid("form", "missing or malformed name and e-mail"),
        );
    };
    if form.name.trim().is_empty() || form.name.chars().count() > 200 {
        return respond(
            StatusCode::BAD_REQUEST,
            pages::register(
                l,
                &event,
                Some(&form.name),
                Some(&Error::invalid("name", "is required")),
            ),
        );
    }
    let core = st
        .core
        .with_actor(&format!("registration:{}", form.email.trim()));
    match invitations::register_via_link(&core, &event.id, &form.name, &form.email).await {
        Ok(p) => respond(StatusCode::OK, pages::registered(l, &event, &p)),
        Err(e) if e.code == Code::Validation || e.code == Code::Duplicate => respond(
            StatusCode::BAD_REQUEST,
            pages::register(l, &event, Some(&form.name), Some(&e)),
        ),
        Err(e) => failure(l, &e),
    }
}
