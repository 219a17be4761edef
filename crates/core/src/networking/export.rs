//! What a participant takes away: their connections as vCard or CSV, one e-mail summary,
//! all their own data as JSON — and the erasure of it all.

use bson::{doc, Bson};
use futures_util::TryStreamExt;
use serde_json::{json, Value};

use super::{
    accepted, connections, meetings, profile, profiles, vcard, ConnectionView, Erasure, Meeting,
};
use crate::{
    error::Code,
    feedback,
    mail::{
        template::{html_escape, Lang},
        Mailer, OutgoingMail,
    },
    participants, time, Core, Error, Result,
};

/// The accepted connections of `me` as one `.vcf` file (vCard 3.0, notes included).
pub async fn export_vcard(core: &Core, me: &str) -> Result<String> {
    Ok(vcard::cards(&accepted(core, me).await?))
}

/// The accepted connections of `me` as CSV.
pub async fn export_csv(core: &Core, me: &str) -> Result<String> {
    Ok(vcard::csv(&accepted(core, me).await?))
}

fn summary(
    l: Lang,
    event_title: &str,
    name: &str,
    list: &[ConnectionView],
) -> (String, String, String) {
    let (subject, hello, intro) = match l {
        Lang::Fr => (
            format!("Vos contacts — {event_title}"),
            format!("Bonjour {name},"),
            format!(
                "Voici les {} contact(s) de votre réseau à {event_title} :",
                list.len()
            ),
        ),
        Lang::En => (
            format!("Your connections — {event_title}"),
            format!("Hello {name},"),
            format!(
                "Here are the {} connection(s) you made at {event_title}:",
                list.len()
            ),
        ),
    };
    let mut text = format!("{hello}\n\n{intro}\n");
    let mut html = format!(
        "<p>{}</p><p>{}</p><ul>",
        html_escape(&hello),
        html_escape(&intro)
    );
    for c in list {
        let o = &c.other;
        let details: Vec<&str> = [
            o.headline.as_str(),
            o.company.as_str(),
            o.email.as_deref().unwrap_or_default(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
        let links: Vec<&str> = o.links.iter().map(|l| l.url.as_str()).collect();
        text.push_str(&format!("\n- {}", o.name));
        if !details.is_empty() {
            text.push_str(&format!(" — {}", details.join(" · ")));
        }
        for l in &links {
            text.push_str(&format!("\n  {l}"));
        }
        if !c.note.is_empty() {
            text.push_str(&format!("\n  {}", c.note.replace('\n', "\n  ")));
        }
        html.push_str(&format!(
            "<li><strong>{}</strong>{}{}{}</li>",
            html_escape(&o.name),
            if details.is_empty() {
                String::new()
            } else {
                format!(" — {}", html_escape(&details.join(" · ")))
            },
            links
                .iter()
                .map(|l| format!("<br>{}", html_escape(l)))
                .collect::<String>(),
            if c.note.is_empty() {
                String::new()
            } else {
                format!("<br><em>{}</em>", html_escape(&c.note))
            },
        ));
    }
    html.push_str("</ul>");
    (subject, text, html)
}

/// Send `me` one e-mail listing their accepted connections. Only once per participant:
/// a second call is a conflict. If sending fails, the claim is released (retry allowed).
pub async fn send_summary(core: &Core, mailer: &Mailer, me: &str, lang: Lang) -> Result<()> {
    let person = participants::get(core, me).await?;
    let list = accepted(core, me).await?;
    if list.is_empty() {
        return Err(Error::invalid("connections", "you have no connections yet"));
    }
    let event = crate::events::get(core, &person.event_id).await?;
    let claimed = profiles(core)
        .find_one_and_update(
            doc! { "participant_id": me, "summary_sent_at": Bson::Null },
            crate::db::stamp(
                core,
                doc! { "$set": { "summary_sent_at": bson::DateTime::from_chrono(time::now()) } },
                time::now(),
            ),
        )
        .await?;
    if claimed.is_none() {
        return Err(Error::new(
            Code::Conflict,
            "the summary of your connections was already sent",
        ));
    }
    let (subject, text, html) = summary(lang, &event.input.title, &person.input.name, &list);
    let sent = mailer
        .send(&OutgoingMail {
            to_email: person.input.email.clone(),
            to_name: person.input.name.clone(),
            subject,
            text,
            html,
            calendar: None,
        })
        .await;
    if let Err(e) = sent {
        profiles(core)
            .update_one(
                doc! { "participant_id": me },
                crate::db::stamp(
                    core,
                    doc! { "$set": { "summary_sent_at": Bson::Null } },
                    time::now(),
                ),
            )
            .await?;
        return Err(e.into());
    }
    Ok(())
}

/// Everything stored about `me` (and by `me`), as JSON: the registration, the profile,
/// connections and requests (with `me`'s own notes, never the other side's), meetings
/// and feedback answers.
pub async fn my_data(core: &Core, me: &str) -> Result<Value> {
    let mut person = serde_json::to_value(participants::get(core, me).await?)
        .map_err(|e| Error::internal(e.to_string()))?;
    if let Some(o) = person.as_object_mut() {
        // Internal: the token hash and search keys are not the person's data.
        o.remove("search_terms");
        o.remove("name_key");
        if let Some(inv) = o.get_mut("invitation").and_then(Value::as_object_mut) {
            inv.remove("token_hash");
        }
    }
    let list = super::list(core, me).await?;
    let meetings = super::meetings_of(core, me).await?;
    let answers: Vec<feedback::Answer> = feedback::answers(core)
        .find(doc! { "participant_id": me })
        .await?
        .try_collect()
        .await?;
    let v = json!({
        "exported_at": time::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "participant": person,
        "profile": profile(core, me).await?,
        "connections": list,
        "meetings": meetings.into_iter().map(|m| m.meeting).collect::<Vec<Meeting>>(),
        "feedback_answers": answers,
    });
    Ok(v)
}

/// Erase `me`'s networking data and feedback answers: the profile, every connection and
/// request either way (with both sides' notes), every meeting either way, every answer
/// given with their personal link. In one transaction where the server has them;
/// otherwise each step is an idempotent delete, the profile first (so nobody can send a
/// new request meanwhile), and a failed erasure is finished by running it again.
///
/// The registration itself (name, e-mail, RSVP) is the organiser's guest list and stays.
pub async fn erase(core: &Core, me: &str) -> Result<Erasure> {
    let p = participants::get(core, me).await?;
    let e = erase_data(core, me).await?;
    let now = bson::DateTime::from_chrono(crate::time::now());
    // Recorded after the deletes (idempotent): sync carries the erasure to every store.
    core.db()
        .collection::<bson::Document>(super::ERASURES)
        .update_one(
            doc! { "_id": me },
            // The latest erasure's time: what was created up to it goes on every store.
            crate::db::stamp(
                core,
                doc! { "$setOnInsert": { "event_id": &p.event_id }, "$max": { "erased_at": now } },
                now,
            ),
        )
        .upsert(true)
        .await?;
    Ok(e)
}

/// The deletes of [`erase`]. The erased answers leave the dashboard's tallies too.
pub async fn erase_data(core: &Core, me: &str) -> Result<Erasure> {
    erase_data_until(core, me, None).await
}

/// The deletes of [`erase`] limited to what was created up to `until` (run by `sync` on
/// each store for every recorded erasure, so data created after it survives).
pub async fn erase_data_until(
    core: &Core,
    me: &str,
    until: Option<bson::DateTime>,
) -> Result<Erasure> {
    let upto = |mut f: bson::Document| {
        if let Some(t) = until {
            f.insert("created_at", doc! { "$lte": t });
        }
        f
    };
    let answers =
        feedback::counters::answers_matching(core, upto(doc! { "participant_id": me })).await?;
    let e = erase_rows(core, me, &upto).await?;
    feedback::counters::forget(core, &answers).await?;
    Ok(e)
}

async fn erase_rows(
    core: &Core,
    me: &str,
    upto: &impl Fn(bson::Document) -> bson::Document,
) -> Result<Erasure> {
    let f_profile = upto(doc! { "participant_id": me });
    let f_conn = upto(doc! { "$or": [ { "a": me }, { "b": me } ] });
    let f_meet = upto(doc! { "$or": [ { "proposer": me }, { "invitee": me } ] });
    let f_answers = upto(doc! { "participant_id": me });
    if core.caps().transactions {
        let mut s = core.client().start_session().await?;
        s.start_transaction().await?;
        let r = async {
            Ok::<_, Error>(Erasure {
                profiles: profiles(core)
                    .delete_many(f_profile.clone())
                    .session(&mut s)
                    .await?
                    .deleted_count,
                connections: connections(core)
                    .delete_many(f_conn.clone())
                    .session(&mut s)
                    .await?
                    .deleted_count,
                meetings: meetings(core)
                    .delete_many(f_meet.clone())
                    .session(&mut s)
                    .await?
                    .deleted_count,
                feedback_answers: feedback::answers(core)
                    .delete_many(f_answers.clone())
                    .session(&mut s)
                    .await?
                    .deleted_count,
                transactional: true,
            })
        }
        .await;
        match r {
            Ok(e) => {
                s.commit_transaction().await?;
                Ok(e)
            }
            Err(e) => {
                let _ = s.abort_transaction().await;
                Err(e)
            }
        }
    } else {
        Ok(Erasure {
            profiles: profiles(core).delete_many(f_profile).await?.deleted_count,
            connections: connections(core)
                .delete_many(f_conn.clone())
                .await?
                .deleted_count,
            meetings: meetings(core)
                .delete_many(f_meet.clone())
                .await?
                .deleted_count,
            feedback_answers: feedback::answers(core)
                .delete_many(f_answers)
                .await?
                .deleted_count,
            transactional: false,
        })
    }
}
