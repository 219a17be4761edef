//! What a visitor of the portal may do, decided in one place from the event's status and
//! dates, the organiser's portal settings and decisions, and the participant's status.
//! Every portal route and [`super::register_via_link`] ask here before writing anything,
//! so a refused action stores nothing.
//!
//! - Only a published event is open: draft, cancelled, archived and deleted events refuse
//!   every link.
//! - A personal link works until the event's end plus the organiser's grace period (and
//!   no longer than an explicit expiry given when it was issued); it is revoked when the
//!   organiser cancels or declines the person, and replaced when a new link is issued.
//! - Answers (RSVP, sessions) are taken until the event ends, not from someone already
//!   checked in.
//! - Registration through the shareable link: published, registration open, not ended.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::settings::{self, PortalSettings};
use crate::{
    error::Code,
    events::{Event, Status},
    participants::{Participant, RsvpStatus},
    time, Core, Error, Result,
};

/// What a visitor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Open a page of a personal link (RSVP, networking, feedback with the link).
    View,
    /// Change an answer: accept, decline, maybe, join or leave a session.
    Answer,
    /// Register through the event's shareable link.
    Register,
    /// Answer a poll or survey anonymously (no personal link).
    AnonymousFeedback,
}

/// Why the portal refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// No such link (mistyped, replaced by a newer one) or its event was deleted.
    UnknownLink,
    /// The link's validity ended.
    LinkExpired,
    /// The organiser cancelled or declined this participant.
    LinkRevoked,
    /// The event is a draft, cancelled or archived.
    EventClosed,
    /// The event is over: answers and registrations are no longer taken.
    EventEnded,
    /// The organiser closed registration.
    RegistrationClosed,
    /// Already checked in at the door: the answer no longer changes.
    CheckedIn,
}

impl Refusal {
    pub const ALL: [Refusal; 7] = [
        Refusal::UnknownLink,
        Refusal::LinkExpired,
        Refusal::LinkRevoked,
        Refusal::EventClosed,
        Refusal::EventEnded,
        Refusal::RegistrationClosed,
        Refusal::CheckedIn,
    ];

    /// The refusal an error of [`Refusal::error`] came from.
    pub fn from_error(e: &Error) -> Option<Refusal> {
        Refusal::ALL
            .into_iter()
            .find(|r| r.error().code == e.code && r.message(true) == e.message)
    }

    /// The HTTP status of the refusal page.
    pub fn http_status(self) -> u16 {
        match self {
            Refusal::UnknownLink => 404,
            Refusal::LinkExpired | Refusal::LinkRevoked => 410,
            _ => 403,
        }
    }

    /// What the visitor reads (`en`: English, else French).
    pub fn message(self, en: bool) -> &'static str {
        match (self, en) {
            (Refusal::UnknownLink, false) => "Ce lien n'est pas valide (il a peut-être été remplacé par un plus récent).",
            (Refusal::UnknownLink, true) => "This link is not valid (it may have been replaced by a newer one).",
            (Refusal::LinkExpired, false) => "Ce lien a expiré.",
            (Refusal::LinkExpired, true) => "This link has expired.",
            (Refusal::LinkRevoked, false) => "Votre inscription a été annulée par l'organisateur : ce lien ne permet plus de répondre.",
            (Refusal::LinkRevoked, true) => "The organiser cancelled your registration: this link no longer takes answers.",
            (Refusal::EventClosed, false) => "Cet événement n'est pas ouvert aux réponses.",
            (Refusal::EventClosed, true) => "This event is not open for answers.",
            (Refusal::EventEnded, false) => "Cet événement est terminé.",
            (Refusal::EventEnded, true) => "This event is over.",
            (Refusal::RegistrationClosed, false) => "Les inscriptions sont fermées.",
            (Refusal::RegistrationClosed, true) => "Registration is closed.",
            (Refusal::CheckedIn, false) => "Vous êtes déjà enregistré(e) à l'accueil : votre réponse ne peut plus changer.",
            (Refusal::CheckedIn, true) => "You are already checked in: your answer can no longer change.",
        }
    }

    /// The refusal as a core error (for the CLI and other callers).
    pub fn error(self) -> Error {
        let code = match self {
            Refusal::UnknownLink => Code::NotFound,
            _ => Code::Unsupported,
        };
        Error::new(code, self.message(true))
    }
}

/// Whether the event itself allows `action` at `now`.
pub fn event_allows(
    event: &Event,
    settings: &PortalSettings,
    action: Action,
    now: DateTime<Utc>,
) -> std::result::Result<(), Refusal> {
    if event.deleted_at.is_some() {
        return Err(Refusal::UnknownLink);
    }
    if event.input.status != Status::Published {
        return Err(Refusal::EventClosed);
    }
    let ended = now >= event.input.ends_at;
    match action {
        Action::View | Action::AnonymousFeedback => {
            if now > grace_end(event, settings) {
                return Err(Refusal::LinkExpired);
            }
        }
        Action::Answer => {
            if ended {
                return Err(Refusal::EventEnded);
            }
        }
        Action::Register => {
            if ended {
                return Err(Refusal::EventEnded);
            }
            if !settings.registration_open {
                return Err(Refusal::RegistrationClosed);
            }
        }
    }
    Ok(())
}

/// The end of the event plus the organiser's grace period.
fn grace_end(event: &Event, settings: &PortalSettings) -> DateTime<Utc> {
    event.input.ends_at + Duration::days(i64::from(settings.link_grace_days))
}

/// When a participant's personal link stops working: the event's end plus the grace
/// period, or an earlier expiry given when the link was issued.
pub fn link_expires_at(event: &Event, settings: &PortalSettings, p: &Participant) -> DateTime<Utc> {
    let end = grace_end(event, settings);
    match p.invitation.expires_at {
        Some(e) if e < end => e,
        _ => end,
    }
}

/// Whether this participant, through their personal link, may do `action` at `now`.
pub fn participant_may(
    event: &Event,
    settings: &PortalSettings,
    p: &Participant,
    action: Action,
    now: DateTime<Utc>,
) -> std::result::Result<(), Refusal> {
    if p.invitation.revoked_at.is_some() {
        return Err(Refusal::LinkRevoked);
    }
    if now > link_expires_at(event, settings, p) {
        return Err(Refusal::LinkExpired);
    }
    event_allows(event, settings, action, now)?;
    if action == Action::Answer && p.status == RsvpStatus::CheckedIn {
        return Err(Refusal::CheckedIn);
    }
    Ok(())
}

/// Whether a status change is an organiser's decision that closes the person's link:
/// cancelling them, or declining on their behalf. An invitee declining through their own
/// link keeps it (they may change their mind).
pub fn revokes_link(actor: &str, to: RsvpStatus) -> bool {
    match to {
        RsvpStatus::Cancelled => true,
        RsvpStatus::Declined => !is_visitor(actor),
        _ => false,
    }
}

/// Whether a change is made by a visitor of the portal rather than the organiser (the
/// portal acts as `invitee:<e-mail>` or `registration:<e-mail>`).
pub fn is_visitor(actor: &str) -> bool {
    actor.starts_with("invitee:") || actor.starts_with("registration:")
}

/// A personal link that opens: whose it is, for which event, under which settings.
#[derive(Debug, Clone)]
pub struct Visit {
    pub participant: Participant,
    pub event: Event,
    pub settings: PortalSettings,
}

/// Open a personal link for `action`: the token's participant, their event and its
/// settings, or why the portal refuses. Database failures are the outer error.
pub async fn open_personal_link(
    core: &Core,
    token: &str,
    action: Action,
) -> Result<std::result::Result<Visit, Refusal>> {
    let p = match super::links::find_by_token(core, token).await? {
        Some(p) => p,
        None => return Ok(Err(Refusal::UnknownLink)),
    };
    let event = match crate::events::get(core, &p.event_id).await {
        Ok(e) => e,
        Err(e) if e.code == Code::NotFound => return Ok(Err(Refusal::UnknownLink)),
        Err(e) => return Err(e),
    };
    let settings = settings::get(core, &event.id).await?;
    Ok(
        participant_may(&event, &settings, &p, action, time::now()).map(|()| Visit {
            participant: p,
            event,
            settings,
        }),
    )
}

/// The event behind a shareable link and its settings, checked for `action` (viewing the
/// registration page counts as [`Action::Register`]).
pub async fn open_event_link(
    core: &Core,
    token: &str,
) -> Result<std::result::Result<(Event, PortalSettings), Refusal>> {
    let Some(event) = super::links::event_by_link(core, token).await? else {
        return Ok(Err(Refusal::UnknownLink));
    };
    let settings = settings::get(core, &event.id).await?;
    Ok(event_allows(&event, &settings, Action::Register, time::now()).map(|()| (event, settings)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::participants::ParticipantInput;
    use chrono::TimeZone;

    fn event(status: Status) -> Event {
        let t = Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap();
        Event {
            id: "e".into(),
            input: crate::events::EventInput {
                title: "T".into(),
                description: String::new(),
                starts_at: t,
                ends_at: t + Duration::hours(8),
                timezone: "Europe/Paris".into(),
                venue: Default::default(),
                status,
                tags: vec![],
                capacity: None,
                speakers: vec![],
                sessions: vec![],
                seating: vec![],
                custom: Default::default(),
            },
            version: 1,
            created_at: t,
            updated_at: t,
            updated_by: String::new(),
            deleted_at: None,
            search_terms: vec![],
            search_keys: vec![],
            venue_key: String::new(),
            title_key: String::new(),
        }
    }

    fn person(status: RsvpStatus) -> Participant {
        let t = Utc.with_ymd_and_hms(2029, 1, 1, 0, 0, 0).unwrap();
        Participant {
            id: "p".into(),
            event_id: "e".into(),
            input: ParticipantInput::default(),
            email_norm: "a@b.c".into(),
            status,
            rsvp_at: None,
            waitlisted_at: None,
            checked_in_at: None,
            sessions: vec![],
            session_waitlist: vec![],
            seat: None,
            merged_ids: vec![],
            invitation: Default::default(),
            source: Default::default(),
            search_terms: vec![],
            name_key: String::new(),
            version: 1,
            created_at: t,
            updated_at: t,
            updated_by: String::new(),
            deleted_at: None,
        }
    }

    #[test]
    fn only_published_events_open() {
        let s = PortalSettings::defaults("e");
        let before = Utc.with_ymd_and_hms(2029, 12, 1, 0, 0, 0).unwrap();
        for st in [Status::Draft, Status::Cancelled, Status::Archived] {
            assert_eq!(
                event_allows(&event(st), &s, Action::View, before),
                Err(Refusal::EventClosed)
            );
        }
        assert_eq!(
            event_allows(&event(Status::Published), &s, Action::Register, before),
            Ok(())
        );
        let mut closed = s.clone();
        closed.registration_open = false;
        assert_eq!(
            event_allows(&event(Status::Published), &closed, Action::Register, before),
            Err(Refusal::RegistrationClosed)
        );
    }

    #[test]
    fn links_expire_after_the_grace_period_and_answers_stop_at_the_end() {
        let e = event(Status::Published);
        let mut s = PortalSettings::defaults("e");
        let p = person(RsvpStatus::Accepted);
        let after_end = e.input.ends_at + Duration::hours(1);
        assert_eq!(participant_may(&e, &s, &p, Action::View, after_end), Ok(()));
        assert_eq!(
            participant_may(&e, &s, &p, Action::Answer, after_end),
            Err(Refusal::EventEnded)
        );
        let late = e.input.ends_at + Duration::days(8);
        assert_eq!(
            participant_may(&e, &s, &p, Action::View, late),
            Err(Refusal::LinkExpired)
        );
        s.link_grace_days = 30;
        assert_eq!(participant_may(&e, &s, &p, Action::View, late), Ok(()));
    }

    #[test]
    fn organiser_decisions_close_the_link() {
        assert!(revokes_link("ann@laptop", RsvpStatus::Cancelled));
        assert!(revokes_link("ann@laptop", RsvpStatus::Declined));
        assert!(!revokes_link("invitee:bob@x.org", RsvpStatus::Declined));
        assert!(!revokes_link("ann@laptop", RsvpStatus::Accepted));
        let e = event(Status::Published);
        let s = PortalSettings::defaults("e");
        let mut p = person(RsvpStatus::Cancelled);
        p.invitation.revoked_at = Some(e.input.starts_at);
        let before = e.input.starts_at - Duration::days(1);
        assert_eq!(
            participant_may(&e, &s, &p, Action::Answer, before),
            Err(Refusal::LinkRevoked)
        );
        let checked = person(RsvpStatus::CheckedIn);
        assert_eq!(
            participant_may(&e, &s, &checked, Action::Answer, before),
            Err(Refusal::CheckedIn)
        );
    }
}
