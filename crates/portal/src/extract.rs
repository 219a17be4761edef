//! The opening every handler shares, as axum extractors: the visitor's language and
//! address ([`Visitor`]), and the invitee acting through a personal link ([`Invitee`] to
//! look, [`Answering`] to change something), the link opened under the server's rules.
//! A link the rules refuse never reaches the handler: the extractor answers with the page
//! that says why, in the visitor's language.

use std::net::IpAddr;

use axum::{
    extract::{FromRequestParts, RawPathParams},
    http::request::Parts,
    response::Response,
};
use eventhub_core::{
    invitations::rules::{Action, Visit},
    mail::template::Lang,
    participants::Participant,
};

use super::{guard::ClientAddr, lang, open_link, PortalState};

/// Who is asking: their language (`Accept-Language`, French by default) and their address
/// (the peer's, or `X-Forwarded-For` when the portal trusts a proxy; see the guard).
#[derive(Debug, Clone, Copy)]
pub struct Visitor {
    pub lang: Lang,
    pub ip: Option<IpAddr>,
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Visitor {
            lang: lang(&parts.headers),
            ip: parts
                .extensions
                .get::<ClientAddr>()
                .and_then(|ClientAddr(ip)| *ip),
        })
    }
}

/// The invitee of the route's `{token}`, the link opened for looking
/// ([`Action::View`]).
pub struct Invitee {
    pub lang: Lang,
    pub token: String,
    pub visit: Visit,
}

impl Invitee {
    pub fn participant(&self) -> &Participant {
        &self.visit.participant
    }
}

/// The invitee of the route's `{token}`, the link opened for changing their answer or
/// sessions ([`Action::Answer`]).
pub struct Answering(pub Invitee);

async fn open(parts: &mut Parts, st: &PortalState, action: Action) -> Result<Invitee, Response> {
    let l = lang(&parts.headers);
    let token = match RawPathParams::from_request_parts(parts, st).await {
        Ok(params) => params
            .iter()
            .find(|(k, _)| *k == "token")
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let visit = open_link(st, l, &token, action).await?;
    Ok(Invitee {
        lang: l,
        token,
        visit,
    })
}

impl FromRequestParts<PortalState> for Invitee {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        st: &PortalState,
    ) -> Result<Self, Self::Rejection> {
        open(parts, st, Action::View).await
    }
}

impl FromRequestParts<PortalState> for Answering {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        st: &PortalState,
    ) -> Result<Self, Self::Rejection> {
        open(parts, st, Action::Answer).await.map(Answering)
    }
}
