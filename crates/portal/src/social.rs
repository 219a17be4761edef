//! Sharing a moment from the portal: a participant composes a post (text, the event's
//! hashtags, a link, a photo URL) and shares it on X, LinkedIn, Facebook or their Mastodon
//! instance — the portal records the share and redirects the phone to the platform's
//! share address — or copies it (the composed text is shown, ready to copy). No script:
//! a form and a redirect.

use axum::{extract::State, http::StatusCode, response::Response, routing::get, Form, Router};
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    extract::Invitee,
    networking::{fail, see_other, tr},
    pages, respond, PortalState,
};
use eventhub_core::{
    mail::template::Lang,
    social::{self, MomentInput, Platform, Sharer},
    Error,
};

pub(super) fn routes() -> Router<PortalState> {
    Router::new().route("/s/{token}", get(page).post(share))
}

#[derive(Deserialize, Default)]
struct ShareForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    hashtags: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    photo_url: String,
    #[serde(default)]
    instance: String,
    #[serde(default)]
    platform: String,
}

fn form_html(l: Lang, token: &str, f: &ShareForm, note: Markup) -> Markup {
    let buttons = [
        ("x", "X"),
        ("linkedin", "LinkedIn"),
        ("facebook", "Facebook"),
        ("mastodon", "Mastodon"),
        ("copy", tr(l, "Copier le texte", "Copy the text")),
    ];
    html! {
        div class="card" {
            h1 { (tr(l, "Partager un moment", "Share a moment")) }
            (note)
            form method="post" action={ "/s/" (token) } {
                label for="text" { (tr(l, "Votre message", "Your message")) }
                textarea id="text" name="text" rows="4" maxlength="2000" style="width:100%" { (f.text) }
                label for="hashtags" { (tr(l, "Hashtags", "Hashtags")) }
                input id="hashtags" name="hashtags" maxlength="400" value=(f.hashtags);
                label for="link" { (tr(l, "Lien (facultatif ; LinkedIn et Facebook en ont besoin)", "Link (optional; LinkedIn and Facebook need one)")) }
                input id="link" name="link" type="url" maxlength="500" value=(f.link);
                label for="photo_url" { (tr(l, "Photo (adresse, facultatif)", "Photo (address, optional)")) }
                input id="photo_url" name="photo_url" type="url" maxlength="500" value=(f.photo_url);
                label for="instance" { (tr(l, "Votre instance Mastodon", "Your Mastodon instance")) }
                input id="instance" name="instance" maxlength="200" placeholder="mastodon.social" value=(f.instance);
                div class="answers" {
                    @for (value, label) in buttons {
                        button name="platform" value=(value) class="yes" { (label) }
                    }
                }
            }
            p { a href={ "/n/" (token) } { (tr(l, "← Retour", "← Back")) } }
        }
    }
}

async fn page(
    State(st): State<PortalState>,
    Invitee {
        lang: l,
        token,
        visit,
    }: Invitee,
) -> Response {
    let p = visit.participant;
    let hashtags = match eventhub_core::events::get(&st.core, &p.event_id).await {
        Ok(e) => e
            .input
            .tags
            .iter()
            .map(|t| format!("#{}", t.replace(' ', "")))
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => return fail(l, &token, &e),
    };
    let f = ShareForm {
        hashtags,
        ..Default::default()
    };
    respond(
        StatusCode::OK,
        pages::shell(
            l,
            tr(l, "Partager", "Share"),
            form_html(l, &token, &f, html! {}),
        ),
    )
}

async fn share(
    State(st): State<PortalState>,
    Invitee {
        lang: l,
        token,
        visit,
    }: Invitee,
    form: std::result::Result<Form<ShareForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let p = visit.participant;
    let Ok(Form(f)) = form else {
        return fail(
            l,
            &token,
            &Error::invalid("form", "missing or malformed form"),
        );
    };
    let platform = match f.platform.as_str() {
        "x" => Platform::X,
        "linkedin" => Platform::Linkedin,
        "facebook" => Platform::Facebook,
        "mastodon" => Platform::Mastodon {
            instance: f.instance.trim().to_owned(),
        },
        "copy" => Platform::Copy,
        other => {
            return fail(
                l,
                &token,
                &Error::invalid("platform", format!("'{other}' is not a platform")),
            );
        }
    };
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let input = MomentInput {
        text: f.text.clone(),
        hashtags: f
            .hashtags
            .split([' ', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        link: opt(&f.link),
        photo_url: opt(&f.photo_url),
    };
    let by = Sharer::Participant {
        participant_id: p.id.clone(),
    };
    match social::record_share(&st.core, &p.event_id, by, &platform, input).await {
        Ok(shared) => match shared.url {
            Some(url) => see_other(&url),
            None => {
                let text = social::compose_text(&shared.moment);
                let note = html! {
                    p class="ok" role="status" { (tr(l, "Votre texte est prêt : sélectionnez-le et copiez-le.", "Your text is ready: select it and copy it.")) }
                    textarea readonly rows="5" style="width:100%" id="composed" { (text) }
                };
                respond(
                    StatusCode::OK,
                    pages::shell(
                        l,
                        tr(l, "Partager", "Share"),
                        form_html(l, &token, &f, note),
                    ),
                )
            }
        },
        Err(e) => {
            if e.code == eventhub_core::Code::Validation {
                let note = html! {
                    p class="error" role="alert" { (pages::public_message(l, &e)) }
                };
                return respond(
                    StatusCode::BAD_REQUEST,
                    pages::shell(
                        l,
                        tr(l, "Partager", "Share"),
                        form_html(l, &token, &f, note),
                    ),
                );
            }
            fail(l, &token, &e)
        }
    }
}
