//! The load target: URL parsing and the safety rule that keeps traffic on loopback.
//!
//! [`Target::parse`] splits an `http://` or `https://` URL into what the engine needs (host,
//! port, the `Host` header value, path and query). [`Target::check_allowed`] enforces the rule:
//! loopback targets (`127.0.0.0/8`, `::1`, `localhost`) are always allowed, any other host only
//! when it was named with `--allow-host`; the refusal says how to allow it.
//! [`Target::resolve`] turns the host into socket addresses once, before the run, and checks
//! that `localhost` really resolves to loopback.
//!
//! ```
//! use gonogo_load::target::Target;
//! let target = Target::parse("http://127.0.0.1:8080/api?x=1").unwrap();
//! assert_eq!(target.path_and_query, "/api?x=1");
//! assert!(target.check_allowed(&[]).is_ok());
//! let remote = Target::parse("http://example.com/").unwrap();
//! assert!(remote.check_allowed(&[]).is_err());
//! assert!(remote.check_allowed(&["example.com".to_owned()]).is_ok());
//! ```

use std::net::{IpAddr, SocketAddr};

/// The URL scheme of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
    /// ZeroMQ REQ/REP over TCP (`zmq+tcp://host:port`).
    ZmqTcp,
}

/// A parsed target URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    /// The host as written, without IPv6 brackets (`127.0.0.1`, `::1`, `localhost`).
    pub host: String,
    pub port: u16,
    /// The value of the `Host` header (`127.0.0.1:8080`, `[::1]:80`).
    pub authority: String,
    /// Path and query, at least `/`.
    pub path_and_query: String,
    /// The URL as given, for evidence `source`.
    pub url: String,
}

/// Why a target cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("`{url}` is not a valid URL: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("`{url}`: scheme `{scheme}` is not supported (use http://, https:// or zmq+tcp://)")]
    UnsupportedScheme { url: String, scheme: String },
    #[error(
        "refusing to send load to `{host}`: only loopback targets (127.0.0.0/8, ::1, localhost) are allowed by default\nhint: if you own this service and mean to load it, add `--allow-host {host}`"
    )]
    HostNotAllowed { host: String },
    #[error(
        "`{host}` resolves to the non-loopback address {address}\nhint: add `--allow-host {host}` if that is intended"
    )]
    ResolvesOffLoopback { host: String, address: IpAddr },
    #[error("cannot resolve `{host}`: {reason}")]
    Resolve { host: String, reason: String },
}

impl Target {
    /// Parses an absolute `http://` or `https://` URL.
    pub fn parse(url: &str) -> Result<Target, TargetError> {
        let invalid = |reason: &str| TargetError::InvalidUrl {
            url: gonogo_core::redact::redact(url).into_owned(),
            reason: reason.to_owned(),
        };
        let uri: http::Uri = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| invalid(&e.to_string()))?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            Some("zmq+tcp") => Scheme::ZmqTcp,
            Some(other) => {
                return Err(TargetError::UnsupportedScheme {
                    url: gonogo_core::redact::redact(url).into_owned(),
                    scheme: other.to_owned(),
                });
            }
            None => {
                return Err(invalid(
                    "it has no scheme; write e.g. http://127.0.0.1:8080/",
                ));
            }
        };
        let authority = uri.authority().ok_or_else(|| invalid("it has no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "user information in the URL is not supported; use -H 'Authorization: ...'",
            ));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if host.is_empty() {
            return Err(invalid("it has no host"));
        }
        let port = match (authority.port_u16(), scheme) {
            (Some(port), _) => port,
            (None, Scheme::Http) => 80,
            (None, Scheme::Https) => 443,
            (None, Scheme::ZmqTcp) => return Err(invalid("a zmq+tcp:// URL needs a port")),
        };
        let path_and_query = uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".to_owned());
        let path_and_query = if path_and_query.starts_with('/') {
            path_and_query
        } else {
            format!("/{path_and_query}")
        };
        Ok(Target {
            scheme,
            host,
            port,
            authority: authority.as_str().to_owned(),
            path_and_query,
            url: gonogo_core::redact::redact(url).into_owned(),
        })
    }

    /// Whether the host is loopback by its name alone (an IP literal in 127.0.0.0/8 or `::1`,
    /// or a name under `localhost`): the one rule of `gonogo_io::net`.
    pub fn is_loopback(&self) -> bool {
        gonogo_io::net::is_loopback_host(&self.host)
    }

    /// Applies the safety rule. `allowed_hosts` holds the `--allow-host` values.
    pub fn check_allowed(&self, allowed_hosts: &[String]) -> Result<(), TargetError> {
        if self.is_loopback() || self.is_explicitly_allowed(allowed_hosts) {
            Ok(())
        } else {
            Err(TargetError::HostNotAllowed {
                host: self.host.clone(),
            })
        }
    }

    fn is_explicitly_allowed(&self, allowed_hosts: &[String]) -> bool {
        gonogo_io::net::is_explicitly_allowed(&self.host, allowed_hosts)
    }

    /// Resolves the host to socket addresses (once, before the run). A name that is not
    /// explicitly allowed must resolve to loopback addresses only.
    pub fn resolve(&self, allowed_hosts: &[String]) -> Result<Vec<SocketAddr>, TargetError> {
        self.check_allowed(allowed_hosts)?;
        // Address literals and `localhost` names (RFC 6761) need no resolver: no DNS query.
        if let Some(addresses) = gonogo_io::net::addresses_without_dns(&self.host, self.port) {
            return Ok(addresses);
        }
        use std::net::ToSocketAddrs as _;
        let addresses: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| TargetError::Resolve {
                host: self.host.clone(),
                reason: e.to_string(),
            })?
            .collect();
        if addresses.is_empty() {
            return Err(TargetError::Resolve {
                host: self.host.clone(),
                reason: "no addresses".to_owned(),
            });
        }
        if !self.is_explicitly_allowed(allowed_hosts) {
            if let Some(bad) = addresses
                .iter()
                .find(|a| !gonogo_io::net::is_loopback_ip(a.ip()))
            {
                return Err(TargetError::ResolvesOffLoopback {
                    host: self.host.clone(),
                    address: bad.ip(),
                });
            }
        }
        Ok(addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str, allow: &[&str]) -> bool {
        let allow: Vec<String> = allow.iter().map(|s| s.to_string()).collect();
        Target::parse(url).unwrap().check_allowed(&allow).is_ok()
    }

    #[test]
    fn loopback_is_always_allowed() {
        assert!(allowed("http://127.0.0.1:1/", &[]));
        assert!(allowed("http://127.10.20.30/", &[]));
        assert!(allowed("http://[::1]:8080/x", &[]));
        assert!(allowed("http://LOCALHOST:8080/x", &[]));
    }

    #[test]
    fn defect_17_localhost_names_are_loopback_and_resolve_without_dns() {
        // issue 16: `api.localhost` was refused by load and allowed by probe and harden.
        assert!(allowed("http://api.localhost:8080/", &[]));
        assert!(allowed("http://localhost.:8080/", &[]));
        let target = Target::parse("http://foo.localhost:8080/").unwrap();
        let addresses = target.resolve(&[]).unwrap();
        assert!(
            addresses
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8080)
        );
    }

    #[test]
    fn other_hosts_need_allow_host() {
        assert!(!allowed("http://10.0.0.1/", &[]));
        assert!(!allowed("http://128.0.0.1/", &[]));
        assert!(!allowed("https://example.com/", &["example.org"]));
        assert!(allowed("https://Example.com/", &["example.com"]));
        assert!(allowed("http://[2001:db8::1]/", &["2001:db8::1"]));
        let error = Target::parse("http://10.0.0.1/")
            .unwrap()
            .check_allowed(&[])
            .unwrap_err();
        assert!(
            error.to_string().contains("--allow-host 10.0.0.1"),
            "{error}"
        );
    }

    #[test]
    fn parses_parts() {
        let target = Target::parse("http://[::1]:9000").unwrap();
        assert_eq!(target.host, "::1");
        assert_eq!(target.port, 9000);
        assert_eq!(target.authority, "[::1]:9000");
        assert_eq!(target.path_and_query, "/");
        assert_eq!(Target::parse("https://localhost/a?b").unwrap().port, 443);
        let zmq = Target::parse("zmq+tcp://127.0.0.1:5555").unwrap();
        assert_eq!((zmq.scheme, zmq.port), (Scheme::ZmqTcp, 5555));
        assert!(Target::parse("zmq+tcp://127.0.0.1").is_err());
        assert!(matches!(
            Target::parse("ftp://127.0.0.1/"),
            Err(TargetError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            Target::parse("127.0.0.1:80"),
            Err(TargetError::InvalidUrl { .. }) | Err(TargetError::UnsupportedScheme { .. })
        ));
    }
}
