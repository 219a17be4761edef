//! The registration burst: strangers register through an event's shareable link, many
//! more than there are seats, all within a few seconds, through two portal instances on
//! one database (as behind a load balancer). Registration is in kiosk mode (no e-mail
//! confirmation), so each request takes a seat or a waitlist place at once.
//!
//! What must hold: exactly the capacity accepted, everyone else waitlisted, no request
//! lost (every answered registration stored, every stored one answered with its status),
//! no 5xx, and arrival order kept — whoever finished registering before another person
//! even sent their request is never behind them (no later arrival takes a seat while an
//! earlier one waits; the waitlist, in the order it is promoted from, keeps that order).
//! Used by `eventhub-cli bench portal-burst` and by the portal's tests (a smaller size).

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use bson::doc;
use eventhub_core::{
    events,
    invitations::{self, settings::SettingsPatch},
    participants::{self, RsvpStatus},
    Core, Error, Result,
};
use futures_util::TryStreamExt;
use serde::Serialize;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::Semaphore,
};

use crate::{start_with, Limits, PortalConfig};

/// The size of a burst.
#[derive(Debug, Clone)]
pub struct BurstOptions {
    pub registrations: u32,
    pub seats: u32,
    /// Arrivals are spread evenly over this time.
    pub ramp: Duration,
    /// Requests in flight at most (the phones' connections).
    pub concurrency: usize,
}

/// What a burst did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct BurstReport {
    pub registrations: u32,
    pub seats: u32,
    pub instances: u32,
    /// Answered 200 with "registered" / "on the waitlist".
    pub answered_accepted: u64,
    pub answered_waitlisted: u64,
    pub server_errors: u64,
    /// Other answers: refused (4xx), or no answer at all.
    pub other: u64,
    /// In the database afterwards.
    pub stored_accepted: u64,
    pub stored_waitlisted: u64,
    pub seats_taken: i64,
    /// Answered registrations missing from the database, or stored with another status
    /// than the page said.
    pub lost: u64,
    /// Registrations placed ahead of someone who had finished registering before they sent
    /// theirs (a seat while the earlier one waits, or an earlier place on the waitlist).
    pub order_violations: u64,
    /// From the first arrival to the last answer.
    pub seconds: f64,
    /// The last request was sent this long after the first (the arrival window).
    pub send_window_s: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl BurstReport {
    /// The failures of the burst, in words (empty: everything held).
    pub fn problems(&self) -> Vec<String> {
        let mut v = vec![];
        if self.stored_accepted != u64::from(self.seats)
            || self.seats_taken != i64::from(self.seats)
        {
            v.push(format!(
                "{} accepted ({} seats counted) for {} seats",
                self.stored_accepted, self.seats_taken, self.seats
            ));
        }
        let rest = u64::from(self.registrations.saturating_sub(self.seats));
        if self.stored_waitlisted != rest {
            v.push(format!(
                "{} waitlisted, {rest} expected",
                self.stored_waitlisted
            ));
        }
        if self.lost != 0 {
            v.push(format!("{} registrations lost", self.lost));
        }
        if self.server_errors != 0 || self.other != 0 {
            v.push(format!(
                "{} server errors, {} other answers",
                self.server_errors, self.other
            ));
        }
        if self.order_violations != 0 {
            v.push(format!(
                "{} registrations out of arrival order",
                self.order_violations
            ));
        }
        v
    }
}

struct Sent {
    email: String,
    sent: Instant,
    done: Instant,
    code: u16,
    /// What the page said: Some(true) a seat, Some(false) the waitlist.
    seat: Option<bool>,
}

async fn register(
    addr: SocketAddr,
    path: &str,
    body: &str,
) -> std::result::Result<(u16, String), String> {
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept-Language: fr\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(4096);
    s.read_to_end(&mut out).await.map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| "bad response".to_owned())?;
    Ok((code, text))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[i] * 100.0).round() / 100.0
}

/// Run a burst on `core`'s database (a fresh or scratch one: the burst creates its event
/// there and leaves it). The second instance gets its own connection pool.
pub async fn registration_burst(core: &Core, o: &BurstOptions) -> Result<BurstReport> {
    let n = o.registrations.max(1);
    let ev = events::create(
        core,
        events::input_from_json(json!({
            "title": "Registration burst",
            "status": "published",
            "starts_at": "2030-06-01T08:00:00Z",
            "ends_at": "2030-06-01T18:00:00Z",
            "capacity": o.seats,
        }))?,
    )
    .await?;
    invitations::settings::update(
        core,
        &ev.id,
        &SettingsPatch {
            confirm_email: Some(false),
            ..Default::default()
        },
    )
    .await?;
    let share = invitations::issue_event_link(core, &ev.id).await?;
    let other = Core::connect(&eventhub_core::testing::uri_of(core), &core.info().database).await?;
    // Every simulated phone comes from 127.0.0.1: no per-address limits here.
    let config = || PortalConfig {
        limits: Limits::none(),
        max_connections: 4096,
        ..Default::default()
    };
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("loopback");
    let a = start_with(core.clone(), loopback, config(), None).await?;
    let b = start_with(other, loopback, config(), None).await?;
    let addrs = [a.addr, b.addr];
    let sem = Arc::new(Semaphore::new(o.concurrency.max(1)));
    let path = Arc::new(format!("/e/{share}"));
    let started = Instant::now();
    let ramp_ms = o.ramp.as_millis() as u64;
    let mut tasks = Vec::with_capacity(n as usize);
    for i in 0..n {
        let sem = sem.clone();
        let path = path.clone();
        let addr = addrs[i as usize % 2];
        let at = started + Duration::from_millis(ramp_ms * u64::from(i) / u64::from(n));
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let _permit = sem.acquire_owned().await.ok();
            let email = format!("burst{i}@bench.test");
            let body = format!("name=Burst+{i}&email=burst{i}%40bench.test");
            let sent = Instant::now();
            let (code, page) = register(addr, &path, &body)
                .await
                .unwrap_or((0, String::new()));
            let done = Instant::now();
            let seat = if code != 200 {
                None
            } else if page.contains("Sur liste d'attente") {
                Some(false)
            } else if page.contains("Inscrit(e)") {
                Some(true)
            } else {
                None
            };
            Sent {
                email,
                sent,
                done,
                code,
                seat,
            }
        }));
    }
    let mut sent = Vec::with_capacity(n as usize);
    for t in tasks {
        sent.push(t.await.map_err(|e| Error::internal(e.to_string()))?);
    }
    let seconds = started.elapsed().as_secs_f64();
    a.stop().await;
    b.stop().await;

    let mut r = BurstReport {
        registrations: n,
        seats: o.seats,
        instances: 2,
        seconds,
        ..Default::default()
    };
    let mut lat = vec![];
    for s in &sent {
        lat.push((s.done - s.sent).as_secs_f64() * 1000.0);
        match (s.code, s.seat) {
            (200, Some(true)) => r.answered_accepted += 1,
            (200, Some(false)) => r.answered_waitlisted += 1,
            (c, _) if c >= 500 => r.server_errors += 1,
            _ => r.other += 1,
        }
    }
    if let (Some(first), Some(last)) = (
        sent.iter().map(|s| s.sent).min(),
        sent.iter().map(|s| s.sent).max(),
    ) {
        r.send_window_s = (last - first).as_secs_f64();
    }
    lat.sort_by(|x, y| x.total_cmp(y));
    r.p50_ms = pct(&lat, 0.50);
    r.p95_ms = pct(&lat, 0.95);
    r.p99_ms = pct(&lat, 0.99);
    r.max_ms = pct(&lat, 1.0);

    // What was stored: status, and the waitlist in the order it is promoted from.
    let mut stored: HashMap<String, (RsvpStatus, Option<usize>)> = HashMap::new();
    let mut cursor = core
        .db()
        .collection::<participants::Participant>("participants")
        .find(doc! { "event_id": &ev.id, "deleted_at": null })
        .sort(doc! { "waitlisted_at": 1, "_id": 1 })
        .await?;
    let mut place = 0;
    while let Some(p) = cursor.try_next().await? {
        let pos = (p.status == RsvpStatus::Waitlisted).then(|| {
            place += 1;
            place
        });
        match p.status {
            RsvpStatus::Accepted => r.stored_accepted += 1,
            RsvpStatus::Waitlisted => r.stored_waitlisted += 1,
            _ => {}
        }
        stored.insert(p.email_norm.clone(), (p.status, pos));
    }
    r.seats_taken = participants::rsvp::taken(core, &ev.id).await?;
    for s in &sent {
        let said = match s.seat {
            Some(true) => RsvpStatus::Accepted,
            Some(false) => RsvpStatus::Waitlisted,
            None => continue,
        };
        if stored.get(&s.email).map(|x| x.0) != Some(said) {
            r.lost += 1;
        }
    }
    r.order_violations = order_violations(&sent, &stored);
    Ok(r)
}

/// Registrations B placed ahead of some A whose answer came back before B was sent: B
/// has a seat while A waits, or both wait and B is earlier on the waitlist. O(n log n): the
/// requests sorted by answer time, swept against the others sorted by sending time.
fn order_violations(sent: &[Sent], stored: &HashMap<String, (RsvpStatus, Option<usize>)>) -> u64 {
    let place = |s: &Sent| stored.get(&s.email).and_then(|x| x.1);
    let seated = |s: &Sent| stored.get(&s.email).map(|x| x.0) == Some(RsvpStatus::Accepted);
    let mut by_done: Vec<&Sent> = sent.iter().filter(|s| place(s).is_some()).collect();
    by_done.sort_by_key(|s| s.done);
    let mut by_sent: Vec<&Sent> = sent.iter().collect();
    by_sent.sort_by_key(|s| s.sent);
    let mut violations = 0;
    let mut i = 0;
    // Among the waitlisted whose answer came back before now: how many, and the latest
    // waitlist place any of them got.
    let (mut waited, mut max_place) = (0u64, 0usize);
    for b in by_sent {
        while i < by_done.len() && by_done[i].done < b.sent {
            waited += 1;
            max_place = max_place.max(place(by_done[i]).unwrap_or(0));
            i += 1;
        }
        if seated(b) {
            violations += u64::from(waited > 0);
        } else if let Some(pb) = place(b) {
            if pb < max_place {
                violations += 1;
            }
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_arrivals_ahead_of_earlier_ones_are_counted() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let s = |email: &str, sent: u64, done: u64| Sent {
            email: email.into(),
            sent: ms(sent),
            done: ms(done),
            code: 200,
            seat: None,
        };
        // a (answered at 10) waits; e overlaps everyone.
        let sent = vec![s("a", 0, 10), s("b", 20, 25), s("c", 30, 35), s("e", 5, 50)];
        let mut stored = HashMap::new();
        let mut put = |k: &str, st, place| {
            stored.insert(k.to_owned(), (st, place));
        };
        put("a", RsvpStatus::Waitlisted, Some(1));
        put("b", RsvpStatus::Waitlisted, Some(2));
        put("c", RsvpStatus::Waitlisted, Some(3));
        put("e", RsvpStatus::Waitlisted, Some(4));
        assert_eq!(order_violations(&sent, &stored), 0, "in order");
        // b, sent after a was answered, takes a seat while a waits.
        stored.insert("b".into(), (RsvpStatus::Accepted, None));
        assert_eq!(order_violations(&sent, &stored), 1);
        // c, sent after a and b were answered, is ahead of both on the waitlist.
        stored.insert("b".into(), (RsvpStatus::Waitlisted, Some(2)));
        stored.insert("c".into(), (RsvpStatus::Waitlisted, Some(0)));
        assert_eq!(order_violations(&sent, &stored), 1);
        // e overlaps a, b and c: any place is in order.
        stored.insert("c".into(), (RsvpStatus::Waitlisted, Some(3)));
        stored.insert("e".into(), (RsvpStatus::Waitlisted, Some(0)));
        assert_eq!(order_violations(&sent, &stored), 0);
    }
}
