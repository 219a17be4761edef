//! The participant portal: a small HTTP server (axum) that invitees reach from their phones
//! — the RSVP page of a personal link, and the registration page of an event's shareable
//! link. The desktop app starts it on the LAN when the organiser turns it on; the same
//! code runs standalone against Atlas (`eventhub-cli portal serve`).
//!
//! Every page is server-rendered HTML with all values escaped, under a strict
//! Content-Security-Policy; bad input gets a clear 4xx page, never a stack trace.

pub mod address;
pub mod bench;
mod device;
pub mod extract;
mod feedback;
mod guard;
mod networking;
mod pages;
mod social;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::{ConnectInfo, DefaultBodyLimit, Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Form, Router,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use tokio::{
    net::TcpListener,
    sync::{oneshot, Semaphore},
    task::JoinHandle,
};
use tower::ServiceExt;

use eventhub_core::{
    error::Code,
    invitations::{
        self,
        registration::{self, Requested},
        rules::{self, Action, Refusal, Visit},
    },
    mail::{self, template::Lang, Mailer},
    participants::{self, RsvpStatus},
    secrets, Core, Error, Result,
};

pub use extract::{Answering, Invitee, Visitor};
pub use guard::{Limits, Rate, Timings};
pub use pages::Page;

/// How a portal instance runs. Everything about events lives in the database; this is
/// only about the process (addresses, limits, timeouts), so several instances with the
/// same configuration can serve one database.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// The start of the links the portal e-mails (registration confirmations), e.g.
    /// `https://rsvp.example.org`. Never taken from the request's `Host` header.
    pub public_url: String,
    /// Believe `X-Forwarded-For` for the client's address (behind a reverse proxy only).
    pub trust_forwarded: bool,
    pub limits: Limits,
    /// Open connections at most; further clients wait in the listen queue.
    pub max_connections: usize,
    /// A client must send a request's headers within this time, and an idle kept-alive
    /// connection is closed after it.
    pub header_timeout: Duration,
    /// A request's body must arrive within `header_timeout` too (else 400); the answer
    /// must be ready within this, else "temporarily unavailable" (503).
    pub request_timeout: Duration,
    /// Keep each request's time in the portal here (the load bench); `None` in service.
    pub timings: Option<Arc<Timings>>,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            public_url: "http://127.0.0.1:8787".into(),
            trust_forwarded: false,
            limits: Limits::default(),
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
            timings: None,
        }
    }
}

#[derive(Clone)]
struct PortalState {
    core: Core,
    config: Arc<PortalConfig>,
    limiters: Arc<guard::Limiters>,
}

impl PortalState {
    /// The core acting for an invitee (audit trail and `updated_by` name them).
    fn as_invitee(&self, p: &participants::Participant) -> Core {
        self.core.with_actor(&format!("invitee:{}", p.email_norm))
    }
}

/// The portal's routes with the default configuration, for tests
/// (`tower::ServiceExt::oneshot`).
pub fn router(core: Core) -> Router {
    router_with(core, PortalConfig::default())
}

/// The portal's routes under `config` (limits, timeouts, access log included).
pub fn router_with(core: Core, config: PortalConfig) -> Router {
    let limiters = Arc::new(guard::Limiters::new(&config.limits));
    let g = guard::Guard {
        limiters: limiters.clone(),
        trust_forwarded: config.trust_forwarded,
        deadline: config.request_timeout,
        down_until: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        epoch: std::time::Instant::now(),
        timings: config.timings.clone(),
    };
    let body_timeout = config.header_timeout;
    Router::new()
        .route("/", get(home))
        .route("/health", get(|| async { "ok" }))
        .route("/r/{token}", get(rsvp_page).post(rsvp_answer))
        .route("/r/{token}/sessions", axum::routing::post(rsvp_sessions))
        .route("/r/{token}/event.ics", get(rsvp_calendar))
        .route("/e/{token}", get(event_page).post(event_register))
        .route(
            "/e/{token}/c/{confirm}",
            get(confirm_page).post(confirm_registration),
        )
        .merge(feedback::routes())
        .merge(networking::routes())
        .merge(social::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            body_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(g, guard::guard))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("portal: a handler panicked");
                respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    pages::unavailable(Lang::Fr, StatusCode::INTERNAL_SERVER_ERROR),
                )
            },
        ))
        .with_state(PortalState {
            core,
            config: Arc::new(config),
            limiters,
        })
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

/// Bind and serve with the default configuration. `addr` is `127.0.0.1:0` for this
/// machine only, `0.0.0.0:8787` for the LAN.
pub async fn start(core: Core, addr: SocketAddr) -> Result<PortalHandle> {
    start_with(core, addr, PortalConfig::default(), None).await
}

/// Bind and serve under `config`; with `tls`, HTTPS.
pub async fn start_with(
    core: Core,
    addr: SocketAddr,
    config: PortalConfig,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> Result<PortalHandle> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        tracing::warn!("the portal cannot listen on {addr}: {e}");
        Error::new(
            Code::Unsupported,
            format!(
                "the portal cannot listen on port {}: {}",
                addr.port(),
                listen_problem(&e)
            ),
        )
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::internal(e.to_string()))?;
    let (tx, rx) = oneshot::channel::<()>();
    let header_timeout = config.header_timeout;
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let app = router_with(core, config);
    let task = tokio::spawn(serve(listener, app, slots, header_timeout, tls, rx));
    Ok(PortalHandle {
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// A TLS acceptor from a PEM certificate chain and private key (HTTPS without a proxy).
pub fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<std::result::Result<_, _>>())
        .map_err(|e| Error::invalid("cert", format!("cannot read the certificate: {e}")))?;
    if certs.is_empty() {
        return Err(Error::invalid("cert", "no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| Error::invalid("key", format!("cannot read the private key: {e}")))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::internal(format!("TLS setup: {e}")))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| Error::invalid("key", format!("the certificate and key do not fit: {e}")))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

fn listen_problem(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::AddrInUse => "it is already in use",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        std::io::ErrorKind::AddrNotAvailable => "this address is not on this machine",
        _ => "the system refused",
    }
}

/// The accept loop: one task per connection, at most `slots` at once, HTTP/1.1 with a
/// header (and idle) timeout; TLS first when configured.
async fn serve(
    listener: TcpListener,
    app: Router,
    slots: Arc<Semaphore>,
    header_timeout: Duration,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: oneshot::Receiver<()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            _ = &mut stop => break,
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            a = listener.accept() => match a {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: breathe, then go on.
                    tracing::warn!("portal: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let svc =
            app.clone()
                .map_request(move |mut r: axum::http::Request<hyper::body::Incoming>| {
                    r.extensions_mut().insert(ConnectInfo(peer));
                    r
                });
        let svc = hyper_util::service::TowerToHyperService::new(svc);
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            .keep_alive(true);
        match &tls {
            None => {
                let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), svc));
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(permit);
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let hs = tokio::time::timeout(header_timeout, acceptor.accept(stream)).await;
                    if let Ok(Ok(tls_stream)) = hs {
                        let conn =
                            watcher.watch(builder.serve_connection(TokioIo::new(tls_stream), svc));
                        let _ = conn.await;
                    }
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

/// The addresses at which phones on the LAN can reach a portal bound to `port`
/// (non-loopback IPv4 of this machine's interfaces, physical ones first; no network
/// traffic involved).
pub fn lan_urls(port: u16) -> Vec<String> {
    let mut v: Vec<String> = address::interfaces()
        .into_iter()
        .map(|i| format!("http://{}:{port}", i.ip))
        .collect();
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

/// A failure as a page in the visitor's language: what they can do about it, never the
/// internal details (driver text, hosts, index names, other people's data), which go to
/// the log.
fn failure(l: Lang, e: &Error) -> Response {
    let status = status_of(e);
    log_failure(status, e);
    respond(status, pages::problem(l, status, e))
}

/// The error of a request refused by a rate limit inside a handler.
fn throttled() -> Error {
    Error::invalid(THROTTLED, "too many requests from this address")
}

/// The `field` of [`throttled`] errors (answered with 429).
const THROTTLED: &str = "rate";

pub(crate) fn status_of(e: &Error) -> StatusCode {
    if e.code == Code::Validation && e.field.as_deref() == Some(THROTTLED) {
        return StatusCode::TOO_MANY_REQUESTS;
    }
    match e.code {
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::Validation | Code::Duplicate => StatusCode::BAD_REQUEST,
        Code::Conflict => StatusCode::CONFLICT,
        Code::Unsupported => StatusCode::FORBIDDEN,
        Code::DbUnavailable | Code::EngineMissing | Code::DiskFull => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub(crate) fn log_failure(status: StatusCode, e: &Error) {
    if status.is_server_error() {
        tracing::error!(target: "portal", code = e.code.as_str(), "{}", e.message);
    } else {
        tracing::info!(target: "portal", code = e.code.as_str(), "refused: {}", e.message);
    }
}

/// Run a change that takes several writes (a participant, then a seat or a waitlist
/// place) to its end even when the request is given up (its deadline passed, the client
/// left): dropped between two writes, it would leave a person neither seated nor waiting.
async fn to_the_end<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    tokio::spawn(work)
        .await
        .unwrap_or_else(|e| Err(Error::internal(format!("a portal task failed: {e}"))))
}

/// The organiser's mailer (SMTP settings of this database, password from the keychain).
async fn mailer(core: &Core) -> std::result::Result<Option<Mailer>, Error> {
    let Some(settings) = mail::load_settings(core).await? else {
        return Ok(None);
    };
    let password = if settings.username.is_empty() {
        None
    } else {
        secrets::get(&settings.secret_name()).ok().flatten()
    };
    Mailer::new(&settings, password.as_deref()).map(Some)
}

/// Send a message in the background: the visitor's answer does not wait for (nor tell
/// anything about) the SMTP exchange.
fn send_later(m: Mailer, msg: mail::OutgoingMail) {
    tokio::spawn(async move {
        if let Err(e) = m.send(&msg).await {
            tracing::warn!(target: "portal", "a portal e-mail was not sent: {}", e.message);
        }
    });
}

async fn home(Visitor { lang: l, .. }: Visitor) -> Response {
    respond(StatusCode::OK, pages::home(l))
}

async fn not_found(Visitor { lang: l, .. }: Visitor) -> Response {
    respond(
        StatusCode::NOT_FOUND,
        pages::problem(l, StatusCode::NOT_FOUND, &Error::not_found("page")),
    )
}

/// The page of a refusal by the rules (unknown, expired or revoked link, closed event…).
fn refusal(l: Lang, r: Refusal) -> Response {
    let status = StatusCode::from_u16(r.http_status()).unwrap_or(StatusCode::FORBIDDEN);
    respond(status, pages::refusal(l, status, r))
}

/// Open a personal link for `action`, or the page saying why not.
async fn open_link(
    st: &PortalState,
    l: Lang,
    token: &str,
    action: Action,
) -> std::result::Result<Visit, Response> {
    match rules::open_personal_link(&st.core, token, action).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(r)) => Err(refusal(l, r)),
        Err(e) => Err(failure(l, &e)),
    }
}

async fn rsvp_page(
    State(st): State<PortalState>,
    Invitee {
        lang: l,
        token,
        visit: v,
    }: Invitee,
) -> Response {
    if let Err(e) = invitations::mark_opened(&st.core, &v.participant.id).await {
        return failure(l, &e);
    }
    respond(
        StatusCode::OK,
        pages::rsvp(l, &token, &v.event, &v.participant, None),
    )
}

/// The event and the participant's sessions as an iCalendar file.
async fn rsvp_calendar(Invitee { visit: v, .. }: Invitee) -> Response {
    let body =
        invitations::calendar::ics(&v.event, Some(&v.participant), eventhub_core::time::now());
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"event.ics\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize)]
struct AnswerForm {
    answer: String,
}

async fn rsvp_answer(
    State(st): State<PortalState>,
    Answering(Invitee {
        lang: l,
        token,
        visit,
    }): Answering,
    form: std::result::Result<Form<AnswerForm>, axum::extract::rejection::FormRejection>,
) -> Response {
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
    let Visit {
        participant: p,
        event,
        ..
    } = visit;
    let core = st.as_invitee(&p);
    // Accepting again when already accepted (or waitlisted) keeps the seat / the place.
    let unchanged = to == RsvpStatus::Accepted
        && matches!(p.status, RsvpStatus::Accepted | RsvpStatus::Waitlisted);
    let updated = if unchanged {
        Ok(p)
    } else {
        let id = p.id.clone();
        to_the_end(async move { participants::rsvp::set_status(&core, &id, None, to).await }).await
    };
    match updated {
        Ok(up) => respond(
            StatusCode::OK,
            pages::rsvp(l, &token, &event, &up, Some(up.status)),
        ),
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
    Answering(Invitee {
        lang: l,
        token,
        visit,
    }): Answering,
    form: std::result::Result<Form<SessionForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return failure(
            l,
            &Error::invalid("session", "missing or malformed session choice"),
        );
    };
    let Visit {
        participant: p,
        event,
        ..
    } = visit;
    let core = st.as_invitee(&p);
    let result = match form.action.as_str() {
        "join" => participants::rsvp::join_session(&core, &p.id, &form.session).await,
        "leave" => participants::rsvp::leave_session(&core, &p.id, &form.session).await,
        other => Err(Error::invalid(
            "action",
            format!("'{other}' is not join or leave"),
        )),
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
    Visitor { lang: l, .. }: Visitor,
) -> Response {
    match rules::open_event_link(&st.core, &token).await {
        Ok(Ok((event, _))) => respond(StatusCode::OK, pages::register(l, &event, None, None)),
        Ok(Err(r)) => refusal(l, r),
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
    Visitor { lang: l, ip }: Visitor,
    form: std::result::Result<Form<RegisterForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (event, settings) = match rules::open_event_link(&st.core, &token).await {
        Ok(Ok(x)) => x,
        Ok(Err(r)) => return refusal(l, r),
        Err(e) => return failure(l, &e),
    };
    let Ok(Form(form)) = form else {
        return failure(
            l,
            &Error::invalid("form", "missing or malformed name and e-mail"),
        );
    };
    if !st.limiters.registration(ip) {
        return respond(StatusCode::TOO_MANY_REQUESTS, pages::too_many(l));
    }
    // With confirmation, an e-mail must be possible before anything is stored.
    let m = if settings.confirm_email {
        match mailer(&st.core).await {
            Ok(Some(m)) => Some(m),
            Ok(None) => {
                tracing::warn!(target: "portal", "registration needs e-mail confirmation but SMTP is not set up");
                return respond(
                    StatusCode::SERVICE_UNAVAILABLE,
                    pages::registration_unavailable(l, &event),
                );
            }
            Err(e) => return failure(l, &e),
        }
    } else {
        None
    };
    let core = st.core.with_actor(&format!(
        "registration:{}",
        participants::normalise_email(&form.email)
    ));
    let requested = {
        let (event, name, email) = (event.clone(), form.name.clone(), form.email.clone());
        to_the_end(async move { registration::request(&core, &event, &name, &email).await }).await
    };
    match requested {
        Ok(Requested::Registered(p)) => respond(StatusCode::OK, pages::registered(l, &event, &p)),
        Ok(Requested::Known {
            participant,
            remind,
        }) => match m {
            Some(m) => {
                if remind {
                    send_later(
                        m,
                        registration::confirmation_mail(
                            l,
                            &event,
                            &participant.input.name,
                            &participant.input.email,
                            None,
                        ),
                    );
                }
                respond(StatusCode::OK, pages::check_inbox(l, &event))
            }
            // A kiosk: the person is at the desk.
            None => respond(StatusCode::OK, pages::registered(l, &event, &participant)),
        },
        Ok(Requested::Confirm { token: confirm }) => {
            if let (Some(m), Some(c)) = (m, confirm) {
                let link = format!(
                    "{}/e/{token}/c/{c}",
                    st.config.public_url.trim_end_matches('/')
                );
                send_later(
                    m,
                    registration::confirmation_mail(
                        l,
                        &event,
                        form.name.trim(),
                        form.email.trim(),
                        Some(&link),
                    ),
                );
            }
            respond(StatusCode::OK, pages::check_inbox(l, &event))
        }
        Err(e) if e.code == Code::Validation => {
            log_failure(StatusCode::BAD_REQUEST, &e);
            respond(
                StatusCode::BAD_REQUEST,
                pages::register(l, &event, Some(&form.name), Some(&e)),
            )
        }
        Err(e) => match Refusal::from_error(&e) {
            Some(r) => refusal(l, r),
            None => failure(l, &e),
        },
    }
}

/// The page a confirmation link opens: a button, so that mail scanners following links
/// confirm nothing.
async fn confirm_page(
    State(st): State<PortalState>,
    Path((token, confirm)): Path<(String, String)>,
    Visitor { lang: l, .. }: Visitor,
) -> Response {
    match pending_registration(&st, l, &token, &confirm).await {
        Ok((event, p)) => respond(StatusCode::OK, pages::confirm(l, &event, &p.name)),
        Err(page) => page,
    }
}

/// The event of an open registration link and the registration waiting for confirmation
/// under `confirm`, or the page that says why not.
async fn pending_registration(
    st: &PortalState,
    l: Lang,
    token: &str,
    confirm: &str,
) -> std::result::Result<(eventhub_core::events::Event, registration::Pending), Response> {
    let event = match rules::open_event_link(&st.core, token).await {
        Ok(Ok((e, _))) => e,
        Ok(Err(r)) => return Err(refusal(l, r)),
        Err(e) => return Err(failure(l, &e)),
    };
    match registration::pending(&st.core, confirm).await {
        Ok(Some(p)) if p.event_id == event.id => Ok((event, p)),
        Ok(_) => Err(refusal(l, Refusal::LinkExpired)),
        Err(e) => Err(failure(l, &e)),
    }
}

async fn confirm_registration(
    State(st): State<PortalState>,
    Path((token, confirm)): Path<(String, String)>,
    Visitor { lang: l, .. }: Visitor,
) -> Response {
    let event = match pending_registration(&st, l, &token, &confirm).await {
        Ok((event, _)) => event,
        Err(page) => return page,
    };
    let confirmed = {
        let (core, confirm) = (st.core.clone(), confirm.clone());
        to_the_end(async move { registration::confirm(&core, &confirm).await }).await
    };
    match confirmed {
        Ok(Some((p, true))) => {
            // A personal link for the newcomer: their RSVP page from now on.
            match invitations::issue_token(&st.core, &p.id, None).await {
                Ok(personal) => {
                    let link = format!(
                        "{}/r/{personal}",
                        st.config.public_url.trim_end_matches('/')
                    );
                    if let Ok(Some(m)) = mailer(&st.core).await {
                        send_later(m, registration::registered_mail(l, &event, &p, &link));
                    }
                    networking::see_other(&format!("/r/{personal}"))
                }
                Err(e) => failure(l, &e),
            }
        }
        Ok(Some((p, false))) => respond(StatusCode::OK, pages::registered(l, &event, &p)),
        Ok(None) => refusal(l, Refusal::LinkExpired),
        Err(e) => match Refusal::from_error(&e) {
            Some(r) => refusal(l, r),
            None => failure(l, &e),
        },
    }
}
