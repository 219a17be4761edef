//! Feedback pages of the portal: a live poll at `/p/{question_id}` and an event's survey at
//! `/f/{event_id}`, answered from a phone. The respondent is the participant of the
//! invitation token (`?t=` or a `t` field) or, where the question allows it, an anonymous
//! device identified by the event's signed cookie (handed out by the page, see
//! [`super::device`]). Bodies may be forms
//! (the pages) or JSON (`{"value": 4}`, `{"value": ["a","b"]}`); JSON callers get JSON
//! back. Every refusal is a 4xx with a reason; pages use no script and escape every value.

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use std::net::IpAddr;

use super::{device, extract::Visitor, pages, respond, PortalState};
use eventhub_core::{
    error::Code,
    feedback::{self, lookups, Question, QuestionKind, RawValue, Respondent},
    invitations::{
        self,
        rules::{self, Action, Refusal},
    },
    mail::template::Lang,
    Error,
};

pub(super) fn routes() -> Router<PortalState> {
    Router::new()
        .route("/p/{id}", get(poll_page).post(poll_answer))
        .route("/f/{event_id}", get(survey_page).post(survey_answer))
}

#[derive(Deserialize, Default)]
struct TokenQuery {
    t: Option<String>,
}

fn tr<'a>(l: Lang, fr: &'a str, en: &'a str) -> &'a str {
    match l {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

fn status_of(e: &Error) -> StatusCode {
    super::status_of(e)
}

fn wants_json(headers: &HeaderMap) -> bool {
    let h = |k| {
        headers
            .get(k)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    h(header::CONTENT_TYPE).starts_with("application/json")
        || h(header::ACCEPT).starts_with("application/json")
}

fn fail(l: Lang, json: bool, e: &Error) -> Response {
    let status = status_of(e);
    super::log_failure(status, e);
    if json {
        let body = json!({
            "code": e.code.as_str(),
            "message": pages::public_message(l, e),
            "field": e.field,
        });
        return (status, Json(body)).into_response();
    }
    respond(status, pages::problem(l, status, e))
}

/// Who answers: the participant of a personal link, or an anonymous device known by the
/// event's signed cookie (see [`super::device`]).
enum Who {
    Respondent(Respondent),
    /// No valid device cookie: answers are refused; here is a fresh cookie to retry with.
    NewDevice(String),
}

/// Who answers for `event_id`, after the rules: a personal link must open for viewing; an
/// anonymous device needs the event open for feedback.
///
/// The personal link is looked up on every request (a revoked or replaced link stops at
/// once); the event, its portal settings and its device secret come from the kept reads of
/// `feedback::lookups` (the organiser's changes made through this process are seen at
/// once, others within a second).
async fn who(
    st: &PortalState,
    event_id: &str,
    token: Option<&str>,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<Who, Error> {
    let now = eventhub_core::time::now();
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        let Some(p) = invitations::links::find_by_token(&st.core, t).await? else {
            return Err(Refusal::UnknownLink.error());
        };
        let kept = match lookups::event_and_settings(&st.core, &p.event_id).await {
            Ok(x) => x,
            Err(e) if e.code == Code::NotFound => return Err(Refusal::UnknownLink.error()),
            Err(e) => return Err(e),
        };
        let (event, settings) = &*kept;
        rules::participant_may(event, settings, &p, Action::View, now).map_err(Refusal::error)?;
        return if p.event_id == event_id {
            Ok(Who::Respondent(Respondent::Participant(p.id)))
        } else {
            Err(Error::new(
                Code::Unsupported,
                "this invitation link is for another event",
            ))
        };
    }
    let kept = lookups::event_and_settings(&st.core, event_id).await?;
    let (event, settings) = &*kept;
    rules::event_allows(event, settings, Action::AnonymousFeedback, now).map_err(Refusal::error)?;
    let secret = lookups::device_secret(&st.core, event_id).await?;
    match device::read(headers, event_id, &secret) {
        Some(id) => Ok(Who::Respondent(Respondent::Device(id))),
        None if st.limiters.new_device(ip) => Ok(Who::NewDevice(device::issue(event_id, &secret))),
        None => Err(super::throttled()),
    }
}

/// The respondent to show a page for: a new device gets a fresh id (and its cookie).
fn viewer(w: Who) -> (Respondent, Option<String>) {
    match w {
        Who::Respondent(r) => (r, None),
        Who::NewDevice(cookie) => (
            Respondent::Device(device::id_of(&cookie).to_owned()),
            Some(cookie),
        ),
    }
}

fn with_cookie(mut r: Response, event_id: &str, cookie: Option<String>) -> Response {
    if let Some(value) = cookie {
        if let Ok(v) = HeaderValue::from_str(&device::set_cookie(event_id, &value)) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

fn cookie_needed(l: Lang) -> &'static str {
    tr(
        l,
        "Votre navigateur n'a pas encore de jeton pour ce sondage : rechargez la page, puis répondez (les cookies doivent être acceptés).",
        "Your browser has no token for this poll yet: reload the page, then answer (cookies must be allowed).",
    )
}

/// `application/x-www-form-urlencoded` pairs (repeated keys kept, for multiple choice).
fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, Error> {
    fn dec(s: &str) -> Result<String, Error> {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    let h = std::str::from_utf8(&b[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match h {
                        Some(v) => out.push(v),
                        None => return Err(Error::invalid("body", "malformed form encoding")),
                    }
                    i += 2;
                }
                b'%' => return Err(Error::invalid("body", "malformed form encoding")),
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8(out).map_err(|_| Error::invalid("body", "the form is not UTF-8"))
    }
    let s =
        std::str::from_utf8(body).map_err(|_| Error::invalid("body", "the form is not UTF-8"))?;
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Ok((dec(k)?, dec(v)?))
        })
        .collect()
}

fn raw_from_json(v: Option<&Value>) -> Result<RawValue, Error> {
    Ok(match v {
        None | Some(Value::Null) => RawValue::Missing,
        Some(Value::Number(n)) => RawValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        Some(Value::String(s)) => RawValue::Text(s.clone()),
        Some(Value::Array(a)) => RawValue::List(
            a.iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| Error::invalid("value", "a list of choice ids is expected"))
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(Error::invalid("value", "not a valid answer")),
    })
}

fn raw_from_strings(kind: QuestionKind, vals: Vec<String>) -> RawValue {
    let vals: Vec<String> = vals.into_iter().filter(|v| !v.trim().is_empty()).collect();
    match (kind, vals.len()) {
        (_, 0) => RawValue::Missing,
        (QuestionKind::Multiple, _) => RawValue::List(vals),
        (_, 1) => RawValue::Text(vals.into_iter().next().unwrap_or_default()),
        _ => RawValue::List(vals),
    }
}

/// The body of a POST: (token field, values by key). JSON: `{"t"?, "value"?, "answers"?: {qid: value}}`.
enum Body {
    Json(Value),
    Form(Vec<(String, String)>),
}

fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<Body, Error> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("application/json") {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| Error::invalid("body", format!("malformed JSON: {e}")))?;
        if !v.is_object() {
            return Err(Error::invalid("body", "a JSON object is expected"));
        }
        Ok(Body::Json(v))
    } else if ct.starts_with("application/x-www-form-urlencoded") || ct.is_empty() {
        Ok(Body::Form(form_pairs(body)?))
    } else {
        Err(Error::invalid("body", "send a form or JSON"))
    }
}

fn token_of(q: &TokenQuery, body: &Body) -> Option<String> {
    q.t.clone()
        .filter(|t| !t.is_empty())
        .or_else(|| match body {
            Body::Json(v) => v.get("t").and_then(|t| t.as_str()).map(str::to_owned),
            Body::Form(p) => p.iter().find(|(k, _)| k == "t").map(|(_, v)| v.clone()),
        })
}

// ---- pages ------------------------------------------------------------------------------

fn hidden_token(t: Option<&str>) -> Markup {
    html! {
        @if let Some(t) = t { input type="hidden" name="t" value=(t); }
    }
}

/// The inputs of one question, named `name`, pre-filled with `current`.
fn inputs(
    l: Lang,
    q: &Question,
    name: &str,
    current: Option<&feedback::Answer>,
    submit_each: bool,
) -> Markup {
    let en = l == Lang::En;
    let n = name;
    match q.input.kind {
        QuestionKind::Rating | QuestionKind::Nps => {
            let (lo, hi) = q.input.kind.range().unwrap_or((0, 10));
            let cur = current.and_then(|a| a.num);
            let star = if q.input.kind == QuestionKind::Rating {
                " ★"
            } else {
                ""
            };
            html! {
                div class="scale" {
                    @for v in lo..=hi {
                        @if submit_each {
                            button class=(if cur == Some(v) { "opt sel" } else { "opt" }) name=(n) value=(v) { (v) (star) }
                        } @else {
                            label class="opt" {
                                input type="radio" name=(n) value=(v) checked[cur == Some(v)];
                                " " (v) (star)
                            }
                        }
                    }
                }
                @if q.input.kind == QuestionKind::Nps {
                    p class="muted small" {
                        "0 = " (tr(l, "pas du tout", "not at all")) " · 10 = " (tr(l, "certainement", "definitely"))
                    }
                }
            }
        }
        QuestionKind::Single | QuestionKind::Multiple => {
            let multi = q.input.kind == QuestionKind::Multiple;
            html! {
                div class="choices" {
                    @for c in &q.input.choices {
                        @let sel = current.is_some_and(|a| a.choices.contains(&c.id));
                        @if submit_each && !multi {
                            button class=(if sel { "opt wide sel" } else { "opt wide" }) name=(n) value=(c.id) { (c.label.get(en)) }
                        } @else {
                            label class="opt wide" {
                                input type=(if multi { "checkbox" } else { "radio" }) name=(n) value=(c.id) checked[sel];
                                " " (c.label.get(en))
                            }
                        }
                    }
                }
            }
        }
        QuestionKind::Text => html! {
            textarea name=(n) maxlength=(feedback::MAX_TEXT) rows="4" {
                (current.and_then(|a| a.text.as_deref()).unwrap_or(""))
            }
        },
    }
}

const CSS: &str = ".scale{display:grid;grid-template-columns:repeat(auto-fit,minmax(52px,1fr));gap:8px;margin-top:12px}.choices{display:flex;flex-wrap:wrap;gap:8px;margin-top:12px}.opt{display:flex;align-items:center;gap:6px;background:#eef2ff;color:#3730a3;border:1px solid #c7d2fe;border-radius:12px;padding:12px 14px;font-weight:600;min-width:52px;justify-content:center}.scale .opt{padding:12px 4px;white-space:nowrap;min-width:0}.opt.wide{flex:1 1 100%;justify-content:flex-start}.opt.sel{background:#4f46e5;color:#fff}.opt input{width:auto;margin:0}textarea{font:inherit;width:100%;padding:12px;border:1px solid #d1d5db;border-radius:10px;margin-top:12px}fieldset{border:0;padding:0;margin:0 0 20px}legend{font-weight:700}.small{font-size:.85rem;margin:.4em 0 0}.req{color:#b91c1c}";

fn page(l: Lang, title: &str, body: Markup) -> pages::Page {
    pages::shell_styled(l, title, Some(CSS), body)
}

fn poll_html(
    l: Lang,
    q: &Question,
    token: Option<&str>,
    current: Option<&feedback::Answer>,
    note: Option<(bool, &str)>,
) -> pages::Page {
    let en = l == Lang::En;
    let label = q.input.label.get(en);
    let submit_each = !matches!(q.input.kind, QuestionKind::Multiple | QuestionKind::Text);
    page(
        l,
        label,
        html! {
            div class="card" {
                h1 id="question" { (label) }
                @if let Some((ok, m)) = note {
                    p class=(if ok { "ok" } else { "error" }) role=(if ok { "status" } else { "alert" }) { (m) }
                }
                @if q.status == feedback::QuestionStatus::Open {
                    form method="post" {
                        (hidden_token(token))
                        (inputs(l, q, "value", current, submit_each))
                        @if !submit_each {
                            div class="answers" { button class="yes" { (tr(l, "Envoyer", "Send")) } }
                        }
                    }
                } @else {
                    p class="muted" {
                        (tr(
                            l,
                            "Ce sondage n'est pas ouvert pour le moment.",
                            "This poll is not open at the moment."
                        ))
                    }
                }
            }
        },
    )
}

fn thanks(l: Lang) -> &'static str {
    tr(
        l,
        "Merci ! Votre réponse est enregistrée. Vous pouvez la modifier.",
        "Thank you! Your answer is recorded. You can change it.",
    )
}

async fn poll_page(
    State(st): State<PortalState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    Visitor { lang: l, ip }: Visitor,
    headers: HeaderMap,
) -> Response {
    let question = match lookups::question(&st.core, &id).await {
        Ok(x) => x,
        Err(e) => return fail(l, false, &e),
    };
    let (resp, cookie) = match who(&st, &question.event_id, q.t.as_deref(), &headers, ip).await {
        Ok(w) => viewer(w),
        Err(e) => return fail(l, false, &e),
    };
    if matches!(resp, Respondent::Device(_)) && !question.input.anonymous {
        return fail(
            l,
            false,
            &Error::new(
                Code::Unsupported,
                tr(
                    l,
                    "Ouvrez ce sondage depuis votre lien d'invitation personnel.",
                    "Open this poll from your personal invitation link.",
                ),
            ),
        );
    }
    let current = feedback::answers_of(&st.core, &question.event_id, &resp)
        .await
        .unwrap_or_default();
    let current = current.iter().find(|a| a.question_id == question.id);
    with_cookie(
        respond(
            StatusCode::OK,
            poll_html(l, &question, q.t.as_deref(), current, None),
        ),
        &question.event_id,
        cookie,
    )
}

async fn poll_answer(
    State(st): State<PortalState>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
    Visitor { lang: l, ip }: Visitor,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let json = wants_json(&headers);
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let status = e.status();
            let err = Error::invalid(
                "body",
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "the answer is too large"
                } else {
                    "unreadable body"
                },
            );
            let mut r = fail(l, json, &err);
            *r.status_mut() = if status.is_client_error() {
                status
            } else {
                StatusCode::BAD_REQUEST
            };
            return r;
        }
    };
    let question = match lookups::question(&st.core, &id).await {
        Ok(x) => x,
        Err(e) => return fail(l, json, &e),
    };
    let parsed = match parse_body(&headers, &body) {
        Ok(b) => b,
        Err(e) => return fail(l, json, &e),
    };
    let token = token_of(&q, &parsed);
    let resp = match who(&st, &question.event_id, token.as_deref(), &headers, ip).await {
        Ok(Who::Respondent(r)) => r,
        Ok(Who::NewDevice(cookie)) => {
            // No valid cookie: nothing is stored; the fresh cookie lets a real browser retry.
            let e = Error::new(Code::Unsupported, cookie_needed(l));
            let r = if json {
                fail(l, json, &e)
            } else {
                respond(
                    StatusCode::FORBIDDEN,
                    poll_html(l, &question, None, None, Some((false, cookie_needed(l)))),
                )
            };
            return with_cookie(r, &question.event_id, Some(cookie));
        }
        Err(e) => return fail(l, json, &e),
    };
    let raw = match &parsed {
        Body::Json(v) => raw_from_json(v.get("value")),
        Body::Form(p) => Ok(raw_from_strings(
            question.input.kind,
            p.iter()
                .filter(|(k, _)| k == "value")
                .map(|(_, v)| v.clone())
                .collect(),
        )),
    };
    let result = match raw {
        Ok(raw) => feedback::answer(&st.core, &question, &resp, &raw).await,
        Err(e) => Err(e),
    };
    let r = match result {
        Ok(a) if json => (
            StatusCode::OK,
            Json(json!({ "ok": true, "answer_id": a.id, "version": a.version })),
        )
            .into_response(),
        Ok(a) => respond(
            StatusCode::OK,
            poll_html(
                l,
                &question,
                token.as_deref(),
                Some(&a),
                Some((true, thanks(l))),
            ),
        ),
        Err(e) if !json && e.code == Code::Validation => respond(
            StatusCode::BAD_REQUEST,
            poll_html(
                l,
                &question,
                token.as_deref(),
                None,
                Some((false, &pages::public_message(l, &e))),
            ),
        ),
        Err(e) => fail(l, json, &e),
    };
    r
}

fn survey_html(
    l: Lang,
    event: &eventhub_core::events::Event,
    qs: &[Question],
    token: Option<&str>,
    current: &[feedback::Answer],
    errors: &[(String, String)],
    done: bool,
) -> pages::Page {
    let en = l == Lang::En;
    page(
        l,
        &event.input.title,
        html! {
            div class="card" {
                h1 { (event.input.title) }
                @if done {
                    p class="ok" role="status" { (thanks(l)) }
                } @else if !errors.is_empty() {
                    p class="error" role="alert" {
                        (tr(l, "Certaines réponses sont à corriger.", "Some answers need fixing."))
                    }
                }
                @if qs.is_empty() {
                    p class="muted" {
                        (tr(
                            l,
                            "Aucune question n'est ouverte pour le moment.",
                            "No question is open at the moment."
                        ))
                    }
                } @else {
                    form method="post" {
                        (hidden_token(token))
                        @for q in qs {
                            fieldset {
                                legend {
                                    (q.input.label.get(en))
                                    @if q.input.required { " " span class="req" { "*" } }
                                }
                                @if let Some((_, m)) = errors.iter().find(|(id, _)| id == &q.id) {
                                    p class="error" { (m) }
                                }
                                (inputs(l, q, &format!("q.{}", q.id), current.iter().find(|a| a.question_id == q.id), false))
                            }
                        }
                        div class="answers" { button class="yes" { (tr(l, "Envoyer mes réponses", "Send my answers")) } }
                    }
                }
            }
        },
    )
}

async fn survey_common(
    st: &PortalState,
    event_id: &str,
    token: Option<&str>,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
) -> Result<
    (
        eventhub_core::events::Event,
        Respondent,
        Option<String>,
        Vec<Question>,
    ),
    Error,
> {
    let event = eventhub_core::events::get(&st.core, event_id).await?;
    let (resp, cookie) = viewer(who(st, event_id, token, headers, ip).await?);
    let qs = feedback::open_questions(
        &st.core,
        event_id,
        matches!(resp, Respondent::Participant(_)),
    )
    .await?;
    Ok((event, resp, cookie, qs))
}

async fn survey_page(
    State(st): State<PortalState>,
    Path(event_id): Path<String>,
    Query(q): Query<TokenQuery>,
    Visitor { lang: l, ip }: Visitor,
    headers: HeaderMap,
) -> Response {
    match survey_common(&st, &event_id, q.t.as_deref(), &headers, ip).await {
        Ok((event, resp, cookie, qs)) => {
            let current = feedback::answers_of(&st.core, &event_id, &resp)
                .await
                .unwrap_or_default();
            with_cookie(
                respond(
                    StatusCode::OK,
                    survey_html(l, &event, &qs, q.t.as_deref(), &current, &[], false),
                ),
                &event_id,
                cookie,
            )
        }
        Err(e) => fail(l, false, &e),
    }
}

async fn survey_answer(
    State(st): State<PortalState>,
    Path(event_id): Path<String>,
    Query(q): Query<TokenQuery>,
    Visitor { lang: l, ip }: Visitor,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let json = wants_json(&headers);
    let Ok(body) = body else {
        return fail(
            l,
            json,
            &Error::invalid("body", "the answers are too large or unreadable"),
        );
    };
    let parsed = match parse_body(&headers, &body) {
        Ok(b) => b,
        Err(e) => return fail(l, json, &e),
    };
    let token = token_of(&q, &parsed);
    let (event, resp, cookie, qs) =
        match survey_common(&st, &event_id, token.as_deref(), &headers, ip).await {
            Ok(x) => x,
            Err(e) => return fail(l, json, &e),
        };
    if cookie.is_some() {
        // No valid device cookie: nothing is stored; the fresh cookie lets a browser retry.
        let e = Error::new(Code::Unsupported, cookie_needed(l));
        let r = if json {
            fail(l, json, &e)
        } else {
            respond(
                StatusCode::FORBIDDEN,
                survey_html(
                    l,
                    &event,
                    &qs,
                    None,
                    &[],
                    &[(String::new(), pages::public_message(l, &e))],
                    false,
                ),
            )
        };
        return with_cookie(r, &event_id, cookie);
    }
    // Check everything first, then write: a refused form stores nothing.
    let mut errors: Vec<(String, String)> = vec![];
    let mut todo = vec![];
    for question in &qs {
        let raw = match &parsed {
            Body::Json(v) => raw_from_json(v.get("answers").and_then(|a| a.get(&question.id))),
            Body::Form(p) => {
                let key = format!("q.{}", question.id);
                Ok(raw_from_strings(
                    question.input.kind,
                    p.iter()
                        .filter(|(k, _)| *k == key)
                        .map(|(_, v)| v.clone())
                        .collect(),
                ))
            }
        };
        match raw {
            Ok(RawValue::Missing) if !question.input.required => {}
            Ok(raw) => match feedback::check_value(question, &raw) {
                Ok(_) => todo.push((question, raw)),
                Err(e) => errors.push((question.id.clone(), pages::public_message(l, &e))),
            },
            Err(e) => errors.push((question.id.clone(), pages::public_message(l, &e))),
        }
    }
    if !errors.is_empty() {
        let r = if json {
            (StatusCode::BAD_REQUEST, Json(json!({ "code": "validation", "message": "some answers are invalid", "errors": errors.iter().map(|(q, m)| json!({"question_id": q, "message": m})).collect::<Vec<_>>() }))).into_response()
        } else {
            respond(
                StatusCode::BAD_REQUEST,
                survey_html(l, &event, &qs, token.as_deref(), &[], &errors, false),
            )
        };
        return r;
    }
    // The answers of one form are written together, so their tallies share one write.
    let written = futures_util::future::join_all(
        todo.iter()
            .map(|(question, raw)| feedback::answer(&st.core, question, &resp, raw)),
    )
    .await;
    let mut stored = 0;
    for r in written {
        if let Err(e) = r {
            return fail(l, json, &e);
        }
        stored += 1;
    }
    let r = if json {
        (
            StatusCode::OK,
            Json(json!({ "ok": true, "stored": stored })),
        )
            .into_response()
    } else {
        let current = feedback::answers_of(&st.core, &event_id, &resp)
            .await
            .unwrap_or_default();
        respond(
            StatusCode::OK,
            survey_html(l, &event, &qs, token.as_deref(), &current, &[], true),
        )
    };
    r
}

#[cfg(test)]
mod tests {
    use super::form_pairs;

    #[test]
    fn form_bodies_decode_with_repeated_keys() {
        let p = form_pairs(b"value=a&value=b&t=x%2By+z").unwrap();
        assert_eq!(
            p,
            vec![
                ("value".into(), "a".into()),
                ("value".into(), "b".into()),
                ("t".into(), "x+y z".into())
            ]
        );
        assert!(form_pairs(b"value=%zz").is_err());
        assert!(form_pairs(b"value=%4").is_err());
        assert_eq!(form_pairs(b"value=%41").unwrap()[0].1, "A");
    }
}
