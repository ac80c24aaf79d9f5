//! The one loopback and allow-host rule for every engine (load, probe, observe, prometheus,
//! harden).
//!
//! Traffic goes to loopback unless a host is allowed explicitly. A host is loopback when it is
//! an address in 127.0.0.0/8 or `::1` (also as an IPv4-mapped IPv6 address) or a name under
//! `localhost` (`localhost`, `api.localhost`, with or without the final dot, any case). Such
//! names resolve to loopback here, without asking any resolver (RFC 6761 6.3): no DNS query
//! leaves the machine for them. Other names are resolved only when allowed explicitly.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// A host as written in a URL, without IPv6 brackets.
pub fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Whether `ip` is a loopback address (IPv4-mapped IPv6 included).
pub fn is_loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// `localhost` or a name under it, with or without the final dot, any case (RFC 6761 6.3).
pub fn is_localhost_name(host: &str) -> bool {
    let host = bare_host(host);
    let host = host.strip_suffix('.').unwrap_or(host);
    let lower = host.to_ascii_lowercase();
    lower == "localhost" || (lower.ends_with(".localhost") && !lower.starts_with('.'))
}

/// Whether `host` is loopback by what it is written as: a loopback address or a localhost name.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = bare_host(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) => is_loopback_ip(ip),
        Err(_) => is_localhost_name(bare),
    }
}

/// Whether `host` is in the explicit allow list (`--allow-host`, `[targets] allow`); case and
/// IPv6 brackets do not matter.
pub fn is_explicitly_allowed(host: &str, allowed: &[String]) -> bool {
    let bare = bare_host(host);
    allowed
        .iter()
        .any(|a| bare_host(a.trim()).eq_ignore_ascii_case(bare))
}

/// Whether traffic may go to `host` at all (before resolving).
pub fn may_contact(host: &str, allowed: &[String]) -> bool {
    is_loopback_host(host) || is_explicitly_allowed(host, allowed)
}

/// The addresses of `host:port` known without a resolver: an address literal itself, and for
/// a localhost name `127.0.0.1` and `::1`. `None` for any other name (which needs DNS and must
/// be allowed explicitly).
pub fn addresses_without_dns(host: &str, port: u16) -> Option<Vec<SocketAddr>> {
    let bare = bare_host(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Some(vec![SocketAddr::new(ip, port)]);
    }
    is_localhost_name(bare).then(|| {
        vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ]
    })
}

/// Why traffic may not go to a host.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error(
        "{host} is not a loopback host; pass --allow-host {host} (or list it under [targets] allow) to send traffic to it"
    )]
    NotAllowed { host: String },
    #[error("{host} resolves to {address}, which is not loopback; allow the host explicitly")]
    ResolvesOffLoopback { host: String, address: IpAddr },
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
}

/// Checks addresses a resolver returned for a host that was not written as loopback: unless
/// the host is allowed explicitly, every address must be loopback.
pub fn check_resolved(
    host: &str,
    addresses: &[SocketAddr],
    allowed: &[String],
) -> Result<(), HostError> {
    if addresses.is_empty() {
        return Err(HostError::Resolve {
            host: host.to_owned(),
            reason: "no addresses".to_owned(),
        });
    }
    if !is_explicitly_allowed(host, allowed) {
        if let Some(bad) = addresses.iter().find(|a| !is_loopback_ip(a.ip())) {
            return Err(HostError::ResolvesOffLoopback {
                host: host.to_owned(),
                address: bad.ip(),
            });
        }
    }
    Ok(())
}

/// Resolves `host:port` for a blocking caller under the one rule: loopback names and address
/// literals without a resolver; other names only when allowed, through the system resolver.
pub fn resolve_blocking(
    host: &str,
    port: u16,
    allowed: &[String],
) -> Result<Vec<SocketAddr>, HostError> {
    if !may_contact(host, allowed) {
        return Err(HostError::NotAllowed {
            host: host.to_owned(),
        });
    }
    if let Some(addresses) = addresses_without_dns(host, port) {
        return Ok(addresses);
    }
    use std::net::ToSocketAddrs as _;
    let addresses: Vec<SocketAddr> = (bare_host(host), port)
        .to_socket_addrs()
        .map_err(|e| HostError::Resolve {
            host: host.to_owned(),
            reason: e.to_string(),
        })?
        .collect();
    check_resolved(host, &addresses, allowed)?;
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_names_are_loopback_in_every_spelling() {
        for host in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "api.localhost",
            "a.b.Localhost.",
            "127.0.0.1",
            "127.8.9.1",
            "::1",
            "[::1]",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "localhost.example.com",
            "notlocalhost",
            ".localhost",
            "example.com",
            "10.0.0.1",
            "0.0.0.0",
            "::",
            "[::ffff:10.0.0.1]",
            "localhost..",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn localhost_names_resolve_to_loopback_without_a_resolver() {
        let addresses = addresses_without_dns("foo.localhost.", 8080).unwrap();
        assert_eq!(
            addresses,
            [
                "127.0.0.1:8080".parse::<SocketAddr>().unwrap(),
                "[::1]:8080".parse().unwrap()
            ]
        );
        assert_eq!(
            resolve_blocking("[::1]", 1, &[]).unwrap(),
            ["[::1]:1".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(addresses_without_dns("example.com", 80), None);
    }

    #[test]
    fn other_hosts_need_an_explicit_allow_before_any_lookup() {
        assert_eq!(
            resolve_blocking("example.invalid", 80, &[]),
            Err(HostError::NotAllowed {
                host: "example.invalid".into()
            })
        );
        assert!(may_contact("Staging.Example", &["staging.example".into()]));
        assert!(may_contact("[fd00::1]", &["fd00::1".into()]));
        let off = ["10.1.2.3:80".parse::<SocketAddr>().unwrap()];
        assert!(matches!(
            check_resolved("db.internal", &off, &[]),
            Err(HostError::ResolvesOffLoopback { .. })
        ));
        assert!(check_resolved("db.internal", &off, &["db.internal".into()]).is_ok());
    }
}
