//! Where the portal listens and what address its links carry, chosen once and kept (in
//! this machine's `settings` collection, never synced): links already e-mailed keep
//! working after the app or the machine restarts. The port is picked on the first start
//! and saved; the network interface is chosen by name (Wi-Fi and Ethernet before virtual
//! adapters such as Docker bridges, VPN tunnels or VM networks); a public address
//! replaces both for a portal reached from outside (a reverse proxy, a deployed portal).

use std::net::{IpAddr, SocketAddr};

use bson::doc;
use serde::{Deserialize, Serialize};

use super::{start_with, PortalConfig, PortalHandle};
use eventhub_core::{mail::SETTINGS, Core, Error, Result};

const DOC_ID: &str = "portal_address";

/// The saved address settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PortalAddress {
    /// The port, chosen on the first start and kept.
    #[serde(default)]
    pub port: Option<u16>,
    /// The network interface whose address links carry (by name, e.g. `wlan0`).
    #[serde(default)]
    pub interface: Option<String>,
    /// `https://rsvp.example.org`: links carry this instead (a portal reached from outside).
    #[serde(default)]
    pub public_url: Option<String>,
}

/// A network interface of this machine (IPv4, not loopback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(rename = "NetInterface")]
pub struct Interface {
    pub name: String,
    pub ip: IpAddr,
    /// Docker, VPN, VM and other virtual adapters: listed last, never chosen by default.
    #[serde(rename = "virtual")]
    pub is_virtual: bool,
}

/// Whether an interface name is a virtual adapter's.
pub fn is_virtual(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const PREFIXES: [&str; 17] = [
        "docker",
        "br-",
        "veth",
        "virbr",
        "vboxnet",
        "vmnet",
        "tun",
        "tap",
        "wg",
        "utun",
        "zt",
        "tailscale",
        "lxc",
        "lxd",
        "cni",
        "flannel",
        "podman",
    ];
    PREFIXES.iter().any(|p| n.starts_with(p))
        || [
            "vpn",
            "virtual",
            "vethernet",
            "hyper-v",
            "loopback",
            "pseudo",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// The machine's interfaces, physical ones first (then by name).
pub fn interfaces() -> Vec<Interface> {
    let mut v: Vec<Interface> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !i.is_loopback())
        .filter_map(|i| match i.ip() {
            IpAddr::V4(ip) => Some(Interface {
                is_virtual: is_virtual(&i.name),
                name: i.name,
                ip: IpAddr::V4(ip),
            }),
            IpAddr::V6(_) => None,
        })
        .collect();
    v.sort_by(|a, b| (a.is_virtual, &a.name, a.ip).cmp(&(b.is_virtual, &b.name, b.ip)));
    v.dedup();
    v
}

/// The address links carry: the public address if set, else the chosen interface's (or
/// the first physical one's) on `port`, else this machine only.
pub fn base_url(a: &PortalAddress, port: u16, lan: bool) -> String {
    if let Some(u) = a.public_url.as_deref().filter(|u| !u.is_empty()) {
        return u.trim_end_matches('/').to_owned();
    }
    if lan {
        let all = interfaces();
        let chosen = a
            .interface
            .as_deref()
            .and_then(|n| all.iter().find(|i| i.name == n))
            .or_else(|| all.first());
        if let Some(i) = chosen {
            return format!("http://{}:{port}", i.ip);
        }
    }
    format!("http://127.0.0.1:{port}")
}

fn check(a: &PortalAddress) -> Result<()> {
    if a.port.is_some_and(|p| p < 1024) {
        return Err(Error::invalid("port", "a port from 1024 to 65535"));
    }
    if let Some(u) = a.public_url.as_deref().filter(|u| !u.is_empty()) {
        let ok = (u.starts_with("https://") || u.starts_with("http://"))
            && u.len() <= 200
            && !u
                .chars()
                .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>');
        if !ok {
            return Err(Error::invalid(
                "public_url",
                "an address like https://rsvp.example.org",
            ));
        }
    }
    Ok(())
}

pub async fn load(core: &Core) -> Result<PortalAddress> {
    let d = core
        .db()
        .collection::<PortalAddress>(SETTINGS)
        .find_one(doc! { "_id": DOC_ID })
        .await?;
    Ok(d.unwrap_or_default())
}

pub async fn save(core: &Core, a: &PortalAddress) -> Result<PortalAddress> {
    check(a)?;
    let port = a.port.map(i32::from);
    let mut set = doc! {
        "port": port,
        "interface": a.interface.clone(),
        "public_url": a.public_url.clone().filter(|u| !u.is_empty()),
    };
    // Local-only settings: who changed them and when, through the core's one author helper.
    eventhub_core::db::note_author(core, &mut set, bson::DateTime::now());
    core.db()
        .collection::<bson::Document>(SETTINGS)
        .update_one(doc! { "_id": DOC_ID }, doc! { "$set": set })
        .upsert(true)
        .await?;
    load(core).await
}

/// A running portal started from the saved settings, and the address its links carry.
pub struct Started {
    pub handle: PortalHandle,
    pub base_url: String,
}

/// Start the portal on the saved port (the first time: a free port, then saved), on all
/// interfaces when `lan`, else this machine only.
pub async fn start_saved(core: &Core, lan: bool) -> Result<Started> {
    let mut a = load(core).await?;
    let host: IpAddr = if lan {
        IpAddr::from([0, 0, 0, 0])
    } else {
        IpAddr::from([127, 0, 0, 1])
    };
    let port = a.port.unwrap_or(0);
    let base_for = |a: &PortalAddress, p| base_url(a, p, lan);
    let mut config = PortalConfig {
        public_url: base_for(&a, port),
        ..Default::default()
    };
    if port != 0 {
        let handle = start_with(core.clone(), SocketAddr::new(host, port), config, None).await?;
        return Ok(Started {
            handle,
            base_url: base_for(&a, port),
        });
    }
    // First start: let the system pick a free port, keep it from now on.
    let probe = std::net::TcpListener::bind(SocketAddr::new(host, 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| Error::internal(format!("no free port: {e}")))?;
    let port = probe.port();
    a.port = Some(port);
    config.public_url = base_for(&a, port);
    let handle = start_with(core.clone(), SocketAddr::new(host, port), config, None).await?;
    save(core, &a).await?;
    Ok(Started {
        handle,
        base_url: base_for(&a, port),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_adapters_are_recognised() {
        for n in [
            "docker0",
            "br-1a2b",
            "veth12",
            "tun0",
            "wg0",
            "utun3",
            "tailscale0",
            "vboxnet0",
            "OpenVPN TAP",
            "vEthernet (WSL)",
        ] {
            assert!(is_virtual(n), "{n}");
        }
        for n in [
            "wlan0", "wlp2s0", "eth0", "enp3s0", "en0", "Wi-Fi", "Ethernet",
        ] {
            assert!(!is_virtual(n), "{n}");
        }
    }

    #[test]
    fn the_public_address_wins() {
        let a = PortalAddress {
            port: Some(8787),
            interface: None,
            public_url: Some("https://rsvp.example.org/".into()),
        };
        assert_eq!(base_url(&a, 8787, true), "https://rsvp.example.org");
        let local = PortalAddress::default();
        assert_eq!(base_url(&local, 9000, false), "http://127.0.0.1:9000");
        assert!(check(&PortalAddress {
            public_url: Some("javascript:x".into()),
            ..Default::default()
        })
        .is_err());
        assert!(check(&PortalAddress {
            port: Some(80),
            ..Default::default()
        })
        .is_err());
    }
}
