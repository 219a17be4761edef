//! E-mail campaigns. Participants are queued (`invitation.status = queued`), then a sender
//! claims them one at a time with an atomic `findOneAndUpdate` (`queued → sending`), gives
//! each a fresh personal link, sends, and records `sent` or the failure:
//! - a transient failure (server unreachable, 4xx) goes back to `queued` with
//!   `next_attempt_at` = now + 30 s × 2^(attempts−1), up to [`SendOptions::max_attempts`];
//! - a permanent one (5xx: unknown mailbox…) or the last attempt becomes `failed` with the
//!   reason, and can be re-queued by the organiser;
//! - a participant left in `sending` by a crash or a closed app is never sent again
//!   automatically: the next run marks it `failed` with "interrupted — check whether it
//!   arrived before re-sending". Nothing is lost (it is visible), nothing is sent twice.
//! - each run is recorded as a job ([`crate::jobs`]): a run stopped by a crash is offered
//!   at the next start, to send the rest of the queue or take it back ([`unqueue`]).

use std::sync::atomic::{AtomicBool, Ordering};

use bson::{doc, Bson, Document};
use chrono::Duration;
use serde::Serialize;

use crate::{
    mail::{
        template::{self, Lang, Template, Vars},
        Mailer, OutgoingMail,
    },
    participants::{schema::PARTICIPANTS, Participant},
    time, Core, Result,
};

pub const INTERRUPTED: &str =
    "interrupted while sending: check whether it arrived before re-sending";

#[derive(Debug, Clone)]
pub struct SendOptions {
    /// The portal's public address, e.g. `http://192.168.1.20:8787` (links are
    /// `{base_url}/r/{token}`).
    pub base_url: String,
    pub lang: Lang,
    /// None: the organiser's saved template of `lang`, else the built-in one.
    pub template: Option<Template>,
    /// Throttle: at most this many messages a minute (0 = no limit).
    pub per_minute: u32,
    pub max_attempts: u32,
    /// How long personal links stay valid (None: no expiry).
    pub link_ttl: Option<Duration>,
    /// Base of the exponential backoff.
    pub retry_base: Duration,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            base_url: "http://127.0.0.1:8787".into(),
            lang: Lang::Fr,
            template: None,
            per_minute: 120,
            max_attempts: 5,
            link_ttl: None,
            retry_base: Duration::seconds(30),
        }
    }
}

/// Progress of a campaign run, reported after each message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct SendProgress {
    /// Participants queued when the run started (plus retries that became due).
    pub total: u64,
    pub sent: u64,
    pub failed: u64,
    /// Put back in the queue for a later retry.
    pub retrying: u64,
    pub cancelled: bool,
}

fn coll(core: &Core) -> mongodb::Collection<Document> {
    core.db().collection(PARTICIPANTS)
}

fn now() -> bson::DateTime {
    bson::DateTime::from_chrono(time::now())
}

/// Queue invitations for an event: everyone not yet invited (`none`), or only `ids`;
/// with `resend`, also those that failed or were sent. Returns how many were queued.
pub async fn queue(
    core: &Core,
    event_id: &str,
    ids: Option<&[String]>,
    resend: bool,
) -> Result<u64> {
    let statuses: Vec<&str> = if resend {
        vec!["none", "failed", "sent", "opened"]
    } else {
        vec!["none"]
    };
    let mut filter = doc! {
        "event_id": event_id,
        "deleted_at": Bson::Null,
        "invitation.status": { "$in": statuses },
    };
    if let Some(ids) = ids {
        filter.insert("_id", doc! { "$in": ids });
    }
    let res = coll(core)
        .update_many(
            filter,
            crate::db::stamp(
                core,
                doc! {
                    "$set": { "invitation.status": "queued", "invitation.attempts": 0 },
                    "$unset": { "invitation.next_attempt_at": "", "invitation.last_error": "" },
                },
                now(),
            ),
        )
        .await?;
    Ok(res.modified_count)
}

/// Mark messages left in `sending` by an interrupted run as failed (never re-sent
/// automatically). Returns how many.
pub async fn recover_interrupted(core: &Core, event_id: &str) -> Result<u64> {
    let res = coll(core)
        .update_many(
            doc! { "event_id": event_id, "invitation.status": "sending" },
            crate::db::stamp(
                core,
                doc! {
                    "$set": { "invitation.status": "failed", "invitation.last_error": INTERRUPTED },
                },
                now(),
            ),
        )
        .await?;
    Ok(res.modified_count)
}

fn due_filter(event_id: &str) -> Document {
    doc! {
        "event_id": event_id,
        "deleted_at": Bson::Null,
        "invitation.status": "queued",
        "$or": [
            { "invitation.next_attempt_at": { "$exists": false } },
            { "invitation.next_attempt_at": { "$lte": now() } },
        ],
    }
}

/// Take the rest of an event's queue back (`queued` → `none`): a campaign rolled back.
/// Returns how many.
pub async fn unqueue(core: &Core, event_id: &str) -> Result<u64> {
    let res = coll(core)
        .update_many(
            doc! { "event_id": event_id, "invitation.status": "queued" },
            crate::db::stamp(
                core,
                doc! {
                    "$set": { "invitation.status": "none" },
                    "$unset": { "invitation.next_attempt_at": "" },
                },
                now(),
            ),
        )
        .await?;
    Ok(res.modified_count)
}

/// Send the queued invitations of an event until the queue is empty (or only holds
/// retries not yet due), or `cancel` is set. `progress` is called after every message.
pub async fn send_queued(
    core: &Core,
    event_id: &str,
    mailer: &Mailer,
    opts: &SendOptions,
    progress: &(dyn Fn(&SendProgress) + Send + Sync),
    cancel: &AtomicBool,
) -> Result<SendProgress> {
    send_campaign(core, event_id, mailer, opts, progress, cancel, None).await
}

/// [`send_queued`] recorded as a job; with `resume`, as the rest of that interrupted job.
pub async fn send_campaign(
    core: &Core,
    event_id: &str,
    mailer: &Mailer,
    opts: &SendOptions,
    progress: &(dyn Fn(&SendProgress) + Send + Sync),
    cancel: &AtomicBool,
    resume: Option<&str>,
) -> Result<SendProgress> {
    let event = crate::events::get(core, event_id).await?;
    let work = crate::jobs::Work::Campaign {
        lang: opts.lang,
        per_minute: opts.per_minute,
        base_url: opts.base_url.clone(),
    };
    let job = crate::jobs::begin(core, resume, event_id, &event.input.title, work).await?;
    let r = run(core, event_id, mailer, opts, progress, cancel).await;
    let _ = match &r {
        Ok(p) => job.finish(crate::jobs::State::Done, None, p.sent).await,
        Err(e) => {
            job.finish(crate::jobs::State::Interrupted, Some(e.code), 0)
                .await
        }
    };
    r
}

async fn run(
    core: &Core,
    event_id: &str,
    mailer: &Mailer,
    opts: &SendOptions,
    progress: &(dyn Fn(&SendProgress) + Send + Sync),
    cancel: &AtomicBool,
) -> Result<SendProgress> {
    recover_interrupted(core, event_id).await?;
    let event = crate::events::get(core, event_id).await?;
    let tpl = match opts.template.clone() {
        Some(t) => t,
        None => crate::mail::load_template(core, opts.lang).await?,
    };
    template::check(&tpl)?;
    let mut p = SendProgress {
        total: coll(core).count_documents(due_filter(event_id)).await?,
        ..Default::default()
    };
    progress(&p);
    let pause = if opts.per_minute == 0 {
        std::time::Duration::ZERO
    } else {
        std::time::Duration::from_millis(60_000 / u64::from(opts.per_minute))
    };
    let event_date = format_date(&event, opts.lang);
    let venue = [
        event.input.venue.name.as_str(),
        event.input.venue.address.as_str(),
    ]
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    loop {
        if cancel.load(Ordering::Relaxed) {
            p.cancelled = true;
            break;
        }
        // Claim one: queued → sending, atomically, so two senders never take the same one.
        let claimed = coll(core)
            .find_one_and_update(
                due_filter(event_id),
                crate::db::stamp(
                    core,
                    doc! {
                        "$set": { "invitation.status": "sending", "invitation.claimed_at": now() },
                        "$inc": { "invitation.attempts": 1 },
                    },
                    now(),
                ),
            )
            .sort(doc! { "created_at": 1 })
            .return_document(mongodb::options::ReturnDocument::After)
            .await?;
        let Some(doc) = claimed else { break };
        let participant: Participant = time::from_doc(doc)?;
        let token = super::issue_token(core, &participant.id, opts.link_ttl).await?;
        let vars = Vars {
            name: participant.input.name.clone(),
            event_title: event.input.title.clone(),
            event_date: event_date.clone(),
            venue: venue.clone(),
            rsvp_link: format!("{}/r/{}", opts.base_url.trim_end_matches('/'), token),
        };
        let rendered = template::render(&tpl, &vars, opts.lang)?;
        let outcome = mailer
            .send(&OutgoingMail {
                to_email: participant.input.email.clone(),
                to_name: participant.input.name.clone(),
                subject: rendered.subject,
                text: rendered.text,
                html: rendered.html,
                // The event and the sessions already chosen, in the event's zone.
                calendar: Some(super::calendar::ics(
                    &event,
                    Some(&participant),
                    time::now(),
                )),
            })
            .await;
        let attempts = participant.invitation.attempts;
        let update = match outcome {
            Ok(()) => {
                p.sent += 1;
                doc! { "$set": { "invitation.status": "sent", "invitation.sent_at": now() },
                "$unset": { "invitation.last_error": "", "invitation.next_attempt_at": "" } }
            }
            Err(e) if !e.permanent && attempts < opts.max_attempts => {
                p.retrying += 1;
                let wait = opts.retry_base * 2_i32.pow(attempts.saturating_sub(1).min(10));
                doc! { "$set": { "invitation.status": "queued", "invitation.last_error": &e.message,
                "invitation.next_attempt_at": bson::DateTime::from_chrono(time::now() + wait) } }
            }
            Err(e) => {
                p.failed += 1;
                doc! { "$set": { "invitation.status": "failed", "invitation.last_error": &e.message } }
            }
        };
        let update = crate::db::stamp(core, update, now());
        coll(core)
            .update_one(
                doc! { "_id": &participant.id, "invitation.status": "sending" },
                update,
            )
            .await?;
        progress(&p);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    progress(&p);
    Ok(p)
}

fn format_date(e: &crate::events::Event, lang: Lang) -> String {
    let tz: chrono_tz::Tz = e.input.timezone.parse().unwrap_or(chrono_tz::Europe::Paris);
    let start = e.input.starts_at.with_timezone(&tz);
    match lang {
        Lang::Fr => {
            const MONTHS: [&str; 12] = [
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            ];
            use chrono::{Datelike, Timelike};
            format!(
                "{} {} {} à {}h{:02}",
                start.day(),
                MONTHS[start.month0() as usize],
                start.year(),
                start.hour(),
                start.minute()
            )
        }
        Lang::En => start.format("%B %-d, %Y at %H:%M").to_string(),
    }
}

/// Counts of invitation statuses for an event (for the progress panel).
pub async fn invitation_counts(core: &Core, event_id: &str) -> Result<Vec<(String, u64)>> {
    use futures_util::TryStreamExt;
    let rows: Vec<Document> = coll(core)
        .aggregate(vec![
            doc! { "$match": { "event_id": event_id, "deleted_at": Bson::Null } },
            doc! { "$group": { "_id": "$invitation.status", "n": { "$sum": 1 } } },
            doc! { "$sort": { "_id": 1 } },
        ])
        .await?
        .try_collect()
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = match r.get("n") {
                Some(Bson::Int32(n)) => *n as u64,
                Some(Bson::Int64(n)) => *n as u64,
                _ => 0,
            };
            (r.get_str("_id").unwrap_or("none").to_owned(), n)
        })
        .collect())
}
