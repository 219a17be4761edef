//! What stands between strangers and the portal's handlers: the client's address, rate
//! limits per address and per link (the `governor` crate: GCRA, lock-free, keyed), and an
//! access log through `tracing` (method, path with tokens redacted, status, duration).
//!
//! Limits are per portal instance and kept in memory: several instances behind a load
//! balancer each apply them (the database holds no limiter state, the portal stays
//! stateless). A venue's Wi-Fi puts hundreds of phones behind one address: raise
//! [`Limits::per_address`] there (`eventhub-cli portal serve --per-address`).

use std::{
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::{lang, pages, respond};

/// A rate: `burst` requests at once, then one more every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub period: Duration,
    pub burst: u32,
}

impl Rate {
    pub const fn new(period: Duration, burst: u32) -> Rate {
        Rate { period, burst }
    }

    /// `n` per second sustained, with a burst of `burst`.
    pub fn per_second(n: u32, burst: u32) -> Rate {
        Rate {
            period: Duration::from_secs(1) / n.max(1),
            burst,
        }
    }

    fn quota(self) -> Option<Quota> {
        let burst = NonZeroU32::new(self.burst)?;
        Quota::with_period(self.period).map(|q| q.allow_burst(burst))
    }
}

/// The limits of one portal instance (`None`: no limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Every request, per client address.
    pub per_address: Option<Rate>,
    /// Requests naming one link token (personal or shareable), whoever sends them.
    pub per_link: Option<Rate>,
    /// Registration requests through a shareable link, per client address.
    pub registrations: Option<Rate>,
    /// Fresh anonymous device cookies handed out, per client address.
    pub new_devices: Option<Rate>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_address: Some(Rate::per_second(40, 120)),
            per_link: Some(Rate::per_second(2, 30)),
            registrations: Some(Rate::new(Duration::from_secs(12), 5)),
            new_devices: Some(Rate::per_second(2, 30)),
        }
    }
}

impl Limits {
    /// No limit at all: load tests simulating thousands of phones from one address.
    pub fn none() -> Limits {
        Limits {
            per_address: None,
            per_link: None,
            registrations: None,
            new_devices: None,
        }
    }
}

type Keyed<K> = Option<DefaultKeyedRateLimiter<K>>;

/// The limiters of one running portal.
pub struct Limiters {
    per_address: Keyed<IpKey>,
    per_link: Keyed<String>,
    registrations: Keyed<IpKey>,
    new_devices: Keyed<IpKey>,
    seen: AtomicU64,
}

/// The client's address, or none when unknown (a test calling the router directly).
type IpKey = Option<IpAddr>;

fn keyed<K: Clone + std::hash::Hash + Eq>(r: Option<Rate>) -> Keyed<K> {
    r.and_then(Rate::quota).map(RateLimiter::keyed)
}

impl Limiters {
    pub fn new(l: &Limits) -> Limiters {
        Limiters {
            per_address: keyed(l.per_address),
            per_link: keyed(l.per_link),
            registrations: keyed(l.registrations),
            new_devices: keyed(l.new_devices),
            seen: AtomicU64::new(0),
        }
    }

    /// Whether one more registration from `ip` is allowed now.
    pub fn registration(&self, ip: Option<IpAddr>) -> bool {
        self.registrations
            .as_ref()
            .is_none_or(|r| r.check_key(&ip).is_ok())
    }

    /// Whether one more fresh device cookie for `ip` is allowed now.
    pub fn new_device(&self, ip: Option<IpAddr>) -> bool {
        self.new_devices
            .as_ref()
            .is_none_or(|r| r.check_key(&ip).is_ok())
    }

    /// Forget keys idle long enough to be full again (bounded memory).
    fn tidy(&self) {
        if self.seen.fetch_add(1, Ordering::Relaxed) % 10_000 != 9_999 {
            return;
        }
        for l in [&self.per_address, &self.registrations, &self.new_devices]
            .into_iter()
            .flatten()
        {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_link {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// The client address of a request, as the handlers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub Option<IpAddr>);

/// What the guard needs to know.
#[derive(Clone)]
pub struct Guard {
    pub limiters: Arc<Limiters>,
    /// Believe `X-Forwarded-For` (only behind a reverse proxy that sets it).
    pub trust_forwarded: bool,
    /// A request not answered within this time gets "temporarily unavailable".
    pub deadline: Duration,
    /// While the database is unreachable, requests are answered 503 at once until this
    /// instant (milliseconds since `epoch`), then one tries again: no pile of requests
    /// each waiting for the driver's server selection, and recovery without a restart.
    pub down_until: Arc<AtomicU64>,
    pub epoch: Instant,
    /// Where each request's time in the portal is kept, when measured (the load bench).
    pub timings: Option<Arc<Timings>>,
}

/// The time each request spent in the portal, from its headers read to its response
/// ready, in milliseconds: what the load bench reports beside the time its simulated
/// phones measure (which adds the connection, the transfer and their own scheduling).
#[derive(Debug, Default)]
pub struct Timings(std::sync::Mutex<Vec<f64>>);

impl Timings {
    fn record(&self, ms: f64) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(ms);
    }

    /// The times kept so far, emptied.
    pub fn take(&self) -> Vec<f64> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// How long the portal answers 503 without trying after the database failed.
const BACKOFF: Duration = Duration::from_secs(2);

fn unavailable(headers: &HeaderMap) -> Response {
    let l = lang(headers);
    let mut r = respond(
        StatusCode::SERVICE_UNAVAILABLE,
        pages::unavailable(l, StatusCode::SERVICE_UNAVAILABLE),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    r
}

/// The client's address: the peer of the connection, or, when told to trust the reverse
/// proxy, the last address of `X-Forwarded-For` (the one that proxy added).
pub fn client_addr(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded: bool,
) -> Option<IpAddr> {
    if trust_forwarded {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
}

/// The link token a path or query names, if any (`/r/{t}`, `/e/{t}`, `/n/{t}`, `/s/{t}`,
/// `?t=`).
fn link_token(path: &str, query: Option<&str>) -> Option<String> {
    let mut parts = path.trim_start_matches('/').split('/');
    if let (Some("r" | "e" | "n" | "s"), Some(t)) = (parts.next(), parts.next()) {
        if !t.is_empty() {
            return Some(t.chars().take(100).collect());
        }
    }
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("t="))
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(100).collect())
}

/// The path with every token replaced by `…` (for the access log).
pub fn redact(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let mut out = Vec::with_capacity(parts.len());
    let mut secret_next = false;
    for (i, p) in parts.iter().enumerate() {
        if secret_next && !p.is_empty() {
            out.push("…");
        } else {
            out.push(p);
        }
        // The segment after r/e/n/s is a token; in /e/{t}/c/{t} the confirmation too.
        secret_next = i > 0 && matches!(*p, "r" | "e" | "n" | "s" | "c") && !secret_next;
    }
    out.join("/")
}

fn too_many(headers: &HeaderMap, retry: Duration) -> Response {
    let l = lang(headers);
    let mut r = respond(StatusCode::TOO_MANY_REQUESTS, pages::too_many(l));
    let secs = retry.as_secs().max(1).to_string();
    if let Ok(v) = HeaderValue::from_str(&secs) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// The middleware: client address, limits, access log.
pub async fn guard(State(g): State<Guard>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let ip = client_addr(req.headers(), peer, g.trust_forwarded);
    req.extensions_mut().insert(ClientAddr(ip));
    let method = req.method().clone();
    let path = redact(req.uri().path());
    g.limiters.tidy();
    let clock = governor::clock::DefaultClock::default();
    let refused = g
        .limiters
        .per_address
        .as_ref()
        .and_then(|l| l.check_key(&ip).err())
        .or_else(|| {
            let t = link_token(req.uri().path(), req.uri().query())?;
            g.limiters.per_link.as_ref()?.check_key(&t).err()
        });
    let now_ms = |g: &Guard| g.epoch.elapsed().as_millis() as u64;
    let res = match refused {
        Some(not_until) => {
            use governor::clock::Clock;
            too_many(req.headers(), not_until.wait_time_from(clock.now()))
        }
        None if path != "/health" && now_ms(&g) < g.down_until.load(Ordering::Relaxed) => {
            unavailable(req.headers())
        }
        None => {
            let headers = req.headers().clone();
            let r = match tokio::time::timeout(g.deadline, next.run(req)).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::error!(target: "portal", "no answer within {:?}", g.deadline);
                    unavailable(&headers)
                }
            };
            // A request that tried and failed starts the back-off (answers given during
            // the back-off do not extend it, so the next try comes).
            if r.status() == StatusCode::SERVICE_UNAVAILABLE {
                g.down_until
                    .fetch_max(now_ms(&g) + BACKOFF.as_millis() as u64, Ordering::Relaxed);
            }
            r
        }
    };
    let status = res.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Some(t) = &g.timings {
        t.record(ms);
    }
    let client = ip.map_or_else(|| "-".to_owned(), |i| i.to_string());
    if status >= 500 {
        tracing::warn!(target: "portal::access", %client, %method, %path, status, ms, "request");
    } else {
        tracing::info!(target: "portal::access", %client, %method, %path, status, ms, "request");
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_reach_the_log() {
        assert_eq!(redact("/r/abcDEF123"), "/r/…");
        assert_eq!(redact("/r/abc/sessions"), "/r/…/sessions");
        assert_eq!(redact("/e/tok/c/confirm"), "/e/…/c/…");
        assert_eq!(redact("/n/tok/c/conn-id/note"), "/n/…/c/…/note");
        assert_eq!(redact("/p/question-id"), "/p/question-id");
        assert_eq!(redact("/health"), "/health");
    }

    #[test]
    fn the_link_of_a_request() {
        assert_eq!(link_token("/r/abc", None).as_deref(), Some("abc"));
        assert_eq!(
            link_token("/p/q1", Some("t=xyz&a=1")).as_deref(),
            Some("xyz")
        );
        assert_eq!(link_token("/p/q1", None), None);
    }

    #[test]
    fn forwarded_addresses_only_when_trusted() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 10.0.0.9".parse().unwrap());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(
            client_addr(&h, Some(peer), false),
            Some(peer.ip()),
            "a client cannot pick its address"
        );
        assert_eq!(
            client_addr(&h, Some(peer), true),
            Some("10.0.0.9".parse().unwrap())
        );
    }
}
