//! The portal on a real TCP listener, as `eventhub-cli portal serve` runs it: HTTPS with a
//! self-signed certificate (a client that trusts it answers an invitation; one that does
//! not, or plain HTTP, gets nothing), and the rate limits keyed on `X-Forwarded-For` only
//! when the portal is told to trust a proxy — a spoofed header escapes nothing.

use std::{net::SocketAddr, sync::Arc};

use eventhub_core::{
    events,
    invitations::{self, settings::SettingsPatch},
    participants::{self, ParticipantInput, RsvpStatus},
    testing::{cleanup, fresh_core},
    Core,
};
use eventhub_portal::{self as portal, Limits, PortalConfig};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// One HTTP/1.1 request on `stream` (closed after): the status and the body.
async fn http<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: Option<&str>,
) -> (u16, String) {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(f) = form {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            f.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(form.unwrap_or_default());
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    // A TLS peer may close without close_notify: what was read is the answer.
    let _ = stream.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_owned();
    (status, body)
}

async fn event(core: &Core) -> events::Event {
    let start = chrono::Utc::now() + chrono::Duration::days(10);
    events::create(
        core,
        events::input_from_json(json!({
            "title": "Soirée TLS",
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::hours(4)).to_rfc3339(),
            "status": "published",
        }))
        .unwrap(),
    )
    .await
    .unwrap()
}

fn tls_client(trusted: Option<&CertificateDer<'static>>) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(c) = trusted {
        roots.add(c.clone()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn https_with_a_given_certificate_serves_a_client_that_trusts_it() {
    let core = fresh_core("portal_https").await;
    let ev = event(&core).await;
    let p = participants::create(
        &core,
        &ev.id,
        ParticipantInput {
            name: "Zoé <TLS>".into(),
            email: "zoe@example.org".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let token = invitations::issue_token(&core, &p.id, None).await.unwrap();

    // A self-signed certificate for "localhost", as files (what `portal serve` is given).
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, generated.cert.pem()).unwrap();
    std::fs::write(&key_path, generated.key_pair.serialize_pem()).unwrap();
    let acceptor = portal::tls_acceptor(&cert_path, &key_path).unwrap();
    let handle = portal::start_with(
        core.clone(),
        "127.0.0.1:0".parse().unwrap(),
        PortalConfig::default(),
        Some(acceptor),
    )
    .await
    .unwrap();
    let addr = handle.addr;
    let der: CertificateDer<'static> = generated.cert.der().clone();
    let connect = |trusted: Option<CertificateDer<'static>>| async move {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tls_client(trusted.as_ref())
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
    };

    // The invitee opens their page and answers, over HTTPS.
    let (s, body) = http(
        connect(Some(der.clone())).await.unwrap(),
        "GET",
        &format!("/r/{token}"),
        &[("Accept-Language", "fr")],
        None,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("Zoé &lt;TLS&gt;"), "{body}");
    let (s, _) = http(
        connect(Some(der.clone())).await.unwrap(),
        "POST",
        &format!("/r/{token}"),
        &[],
        Some("answer=accepted"),
    )
    .await;
    assert_eq!(s, 200);
    let stored = participants::get(&core, &p.id).await.unwrap();
    assert_eq!(stored.status, RsvpStatus::Accepted, "the answer is stored");

    // A client that does not trust the certificate stops at the handshake.
    assert!(connect(None).await.is_err(), "an untrusted certificate");
    // Plain HTTP on the HTTPS port gets no HTTP answer.
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (s, _) = http(tcp, "GET", "/health", &[], None).await;
    assert_eq!(s, 0, "no plain-HTTP answer on the TLS port");

    handle.stop().await;
    cleanup(&core).await.unwrap();
}

/// Registrations from the same real peer (127.0.0.1), each claiming another client
/// address in `X-Forwarded-For`; the statuses.
async fn register_all(addr: SocketAddr, share: &str, xff: &[String], tag: &str) -> Vec<u16> {
    let mut codes = vec![];
    for (i, x) in xff.iter().enumerate() {
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let form = format!("name={tag}{i}&email={tag}{i}%40example.org");
        let (s, _) = http(
            tcp,
            "POST",
            &format!("/e/{share}"),
            &[("X-Forwarded-For", x)],
            Some(&form),
        )
        .await;
        codes.push(s);
    }
    codes
}

async fn stored_with(core: &Core, ev: &str, tag: &str) -> u64 {
    participants::list(
        core,
        ev,
        &participants::ParticipantQuery {
            per_page: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .items
    .iter()
    .filter(|p| p.email_norm.starts_with(tag))
    .count() as u64
}

#[tokio::test]
async fn the_rate_limit_believes_x_forwarded_for_only_behind_a_trusted_proxy() {
    let core = fresh_core("portal_xff").await;
    let ev = event(&core).await;
    invitations::settings::update(
        &core,
        &ev.id,
        &SettingsPatch {
            confirm_email: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let share = invitations::issue_event_link(&core, &ev.id).await.unwrap();
    // Registrations: 5 at once per client address (the default), nothing else limited.
    // Each request's time in the portal is kept (what the load bench reports).
    let timings = Arc::new(portal::Timings::default());
    let config = |trust: bool| PortalConfig {
        trust_forwarded: trust,
        limits: Limits {
            registrations: Limits::default().registrations,
            ..Limits::none()
        },
        timings: Some(timings.clone()),
        ..Default::default()
    };
    let spoofed: Vec<String> = (0..12).map(|i| format!("203.0.113.{i}")).collect();

    // Not trusting proxies: twelve made-up addresses are still one client.
    let direct = portal::start_with(
        core.clone(),
        "127.0.0.1:0".parse().unwrap(),
        config(false),
        None,
    )
    .await
    .unwrap();
    let codes = register_all(direct.addr, &share, &spoofed, "spoof").await;
    direct.stop().await;
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 5, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 429).count(), 7, "{codes:?}");
    // One time per request, the refused ones included.
    let kept = timings.take();
    assert_eq!(kept.len(), 12, "{kept:?}");
    assert!(
        kept.iter().all(|ms| ms.is_finite() && *ms >= 0.0),
        "{kept:?}"
    );
    assert_eq!(
        stored_with(&core, &ev.id, "spoof").await,
        5,
        "a refused registration stores nothing"
    );

    // Behind a trusted proxy: each forwarded address is its own client…
    let proxied = portal::start_with(
        core.clone(),
        "127.0.0.1:0".parse().unwrap(),
        config(true),
        None,
    )
    .await
    .unwrap();
    let codes = register_all(proxied.addr, &share, &spoofed, "proxied").await;
    assert!(codes.iter().all(|c| *c == 200), "{codes:?}");
    assert_eq!(stored_with(&core, &ev.id, "proxied").await, 12);
    // …and only the address the proxy appended counts: what the client put before it
    // changes nothing.
    let chained: Vec<String> = (0..8)
        .map(|i| format!("198.18.0.{i}, 192.0.2.50"))
        .collect();
    let codes = register_all(proxied.addr, &share, &chained, "chained").await;
    proxied.stop().await;
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 5, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 429).count(), 3, "{codes:?}");
    assert_eq!(stored_with(&core, &ev.id, "chained").await, 5);
    cleanup(&core).await.unwrap();
}
