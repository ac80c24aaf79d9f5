//! The audit's HTTP side: which hosts may be contacted ([`Target`]), one request and its
//! bounded response ([`Exchange`]), and the per-group client ([`Session`]) that times every
//! request out and folds every exchange into the transcript hash.
//!
//! Safety: [`Target::new`] refuses any host that is not loopback (127.0.0.0/8, `::1`, or
//! `localhost` when it resolves only to those; other names are refused without a DNS query) unless it is listed in `allow_hosts`. Redirects are never
//! followed, so no request leaves the target. Proxies from the environment are ignored.
//! Bodies are read up to [`BODY_LIMIT`] bytes.
//!
//! Transcript: each exchange adds its request excerpt, response status, headers and the body
//! bytes read to its group's SHA-256; the evidence's `sha256` is the SHA-256 of the group
//! digests in group order (see [`crate::audit`]).

use std::borrow::Cow;
use std::time::Duration;

use gonogo_core::evidence::Sha256Stream;
use reqwest::Method;

/// Bodies are read up to this many bytes; the rest is not downloaded.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Why a target may not be audited.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("`{url}` is not a valid URL: {message}")]
    BadUrl { url: String, message: String },
    #[error("`{url}`: only http and https targets can be audited")]
    Scheme { url: String },
    #[error(
        "`{host}` is not a loopback address; gonogo harden only contacts loopback and hosts named with --allow-host (or [harden] allow_hosts)"
    )]
    NotAllowed { host: String },
    #[error("cannot resolve `{host}`: {message}")]
    Resolve { host: String, message: String },
}

/// A vetted target: its base URL (no trailing slash) and whether it is https.
#[derive(Debug, Clone)]
pub struct Target {
    base: String,
    host: String,
    https: bool,
}

impl Target {
    /// Parses `url` and checks that its host is loopback or allowed.
    pub async fn new(url: &str, allow_hosts: &[String]) -> Result<Target, TargetError> {
        let parsed = reqwest::Url::parse(url).map_err(|error| TargetError::BadUrl {
            url: gonogo_core::redact::redact(url).into_owned(),
            message: error.to_string(),
        })?;
        let https = match parsed.scheme() {
            "http" => false,
            "https" => true,
            _ => {
                return Err(TargetError::Scheme {
                    url: gonogo_core::redact::redact(url).into_owned(),
                });
            }
        };
        let host = parsed
            .host_str()
            .ok_or_else(|| TargetError::BadUrl {
                url: gonogo_core::redact::redact(url).into_owned(),
                message: "no host".into(),
            })?
            .to_owned();
        // The one rule (gonogo_io::net): loopback addresses and `localhost` names (which
        // resolve to loopback without any resolver, RFC 6761), or a host allowed explicitly.
        if !gonogo_io::net::may_contact(&host, allow_hosts) {
            return Err(TargetError::NotAllowed { host });
        }
        let mut parsed = parsed;
        parsed.set_query(None);
        parsed.set_fragment(None);
        let base = parsed.as_str().trim_end_matches('/').to_owned();
        Ok(Target { base, host, https })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Whether the host is a loopback address or `localhost` (not an `--allow-host` target).
    pub fn is_loopback(&self) -> bool {
        gonogo_io::net::is_loopback_host(&self.host)
    }

    /// The same host and base path over plain http on `port` (H-36 asks it whether it
    /// redirects); `None` when the target is plain http already. The host is the vetted one.
    pub fn plain_http(&self, port: u16) -> Option<Target> {
        if !self.https {
            return None;
        }
        let mut url = reqwest::Url::parse(&self.base).ok()?;
        url.set_scheme("http").ok()?;
        url.set_port(Some(port)).ok()?;
        Some(Target {
            base: url.as_str().trim_end_matches('/').to_owned(),
            host: self.host.clone(),
            https: false,
        })
    }

    /// The absolute URL of `path` on this target.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

/// A request to send. Header values listed in `redact` are shown shortened in excerpts.
#[derive(Debug, Clone)]
pub struct Probe {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Shown instead of the real `Authorization` value (tokens are secrets).
    pub shown_authorization: Option<String>,
    /// Shown instead of the real `Cookie` value (sessions are secrets).
    pub shown_cookie: Option<String>,
}

impl Probe {
    pub fn get(path: &str) -> Probe {
        Probe::new(Method::GET, path)
    }

    pub fn new(method: Method, path: &str) -> Probe {
        Probe {
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
            shown_authorization: None,
            shown_cookie: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Probe {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Probe {
        self.body = Some(body.into());
        self
    }

    /// Sends `Authorization: <value>` and shows `shown` in excerpts.
    pub fn authorization(mut self, value: impl Into<String>, shown: impl Into<String>) -> Probe {
        self.headers.push(("Authorization".into(), value.into()));
        self.shown_authorization = Some(shown.into());
        self
    }

    /// The request as excerpts show it: request line, the headers gonogo set, body excerpt.
    pub fn excerpt(&self) -> String {
        self.excerpt_for(&self.path)
    }

    /// The excerpt with `target` (a path, or an absolute URL) in the request line.
    fn excerpt_for(&self, target: &str) -> String {
        let mut text = format!("{} {}", self.method, target);
        for (name, value) in &self.headers {
            let value = if name.eq_ignore_ascii_case("authorization") {
                self.shown_authorization
                    .clone()
                    .unwrap_or_else(|| value.clone())
            } else if name.eq_ignore_ascii_case("cookie") {
                self.shown_cookie.clone().unwrap_or_else(|| value.clone())
            } else {
                value.clone()
            };
            text.push('\n');
            text.push_str(name);
            text.push_str(": ");
            text.push_str(&shorten(&value, 120));
        }
        if let Some(body) = &self.body {
            text.push_str("\n\n");
            text.push_str(&shorten(&String::from_utf8_lossy(body), 200));
        }
        text
    }
}

/// A request and the response it got.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: String,
    pub method: Method,
    pub path: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub body_truncated: bool,
    /// What the TLS layer reported (https only).
    pub tls: Option<TlsSeen>,
}

/// The peer certificate (DER) and the negotiated protocol version.
#[derive(Debug, Clone)]
pub struct TlsSeen {
    pub certificate: Option<Vec<u8>>,
    pub version: Option<String>,
}

impl Exchange {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, in order.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The media type, lower case, without parameters.
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default()
    }

    pub fn is_html(&self) -> bool {
        let media_type = self.media_type();
        media_type == "text/html" || media_type == "application/xhtml+xml"
    }

    /// The response as excerpts show it: status, headers (each value at most 200 characters),
    /// and a body excerpt around byte `focus` (or the start).
    pub fn response_excerpt(&self, focus: Option<usize>) -> String {
        let mut text = format!("HTTP {}", self.status);
        for (name, value) in self.headers.iter().take(40) {
            text.push('\n');
            text.push_str(name);
            text.push_str(": ");
            text.push_str(&shorten(value, 200));
        }
        let body = self.body_text();
        if !body.is_empty() {
            text.push_str("\n\n");
            let start = focus.unwrap_or(0).saturating_sub(120);
            let start = floor_char_boundary(&body, start);
            let end = floor_char_boundary(&body, (start + 400).min(body.len()));
            if start > 0 {
                text.push('…');
            }
            text.push_str(&body[start..end]);
            if end < body.len() || self.body_truncated {
                text.push('…');
            }
        }
        text
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// At most `limit` characters, with `…` when cut.
pub fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(limit).collect();
        short.push('…');
        short
    }
}

/// Why a request got no usable response.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{request_line}: {kind}: {message}")]
pub struct RequestError {
    pub request_line: String,
    pub kind: RequestErrorKind,
    pub message: String,
}

/// Stable classes of request failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestErrorKind {
    Timeout,
    Connect,
    /// The connection closed or reset before a complete response.
    Reset,
    /// The bytes that came back are not HTTP.
    Garbage,
    /// The TLS handshake refused the server's certificate because it has expired (or is not
    /// valid yet): a finding about the service, not a failure of the check.
    CertificateExpired,
    Other,
}

impl std::fmt::Display for RequestErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RequestErrorKind::Timeout => "timed out",
            RequestErrorKind::Connect => "could not connect",
            RequestErrorKind::Reset => "connection closed or reset",
            RequestErrorKind::Garbage => "not an HTTP response",
            RequestErrorKind::CertificateExpired => {
                "the server's certificate is out of its validity"
            }
            RequestErrorKind::Other => "request failed",
        })
    }
}

fn classify(error: &reqwest::Error) -> (RequestErrorKind, String) {
    let mut chain = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        chain.push_str(": ");
        chain.push_str(&inner.to_string());
        source = inner.source();
    }
    let lower = chain.to_ascii_lowercase();
    let kind = if certificate_out_of_date(error) {
        RequestErrorKind::CertificateExpired
    } else if error.is_timeout() {
        RequestErrorKind::Timeout
    } else if error.is_connect() {
        RequestErrorKind::Connect
    } else if lower.contains("invalid http")
        || lower.contains("parse")
        || lower.contains("invalid header")
        || lower.contains("invalid status")
    {
        RequestErrorKind::Garbage
    } else if lower.contains("reset")
        || lower.contains("closed")
        || lower.contains("incomplete")
        || lower.contains("eof")
    {
        RequestErrorKind::Reset
    } else {
        RequestErrorKind::Other
    };
    (kind, chain)
}

/// Whether rustls refused the peer certificate as expired or not yet valid, anywhere in the
/// error's chain (an `io::Error` hides its inner error from `source()`, so it is opened).
fn certificate_out_of_date(error: &reqwest::Error) -> bool {
    use rustls::CertificateError as C;
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    // Bounded: a chain is a handful of errors deep.
    for _ in 0..32 {
        let Some(current) = next else { break };
        if let Some(rustls::Error::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        )) = current.downcast_ref::<rustls::Error>()
        {
            return true;
        }
        next = match current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    false
}

/// One group's client and transcript.
pub struct Session {
    client: reqwest::Client,
    target: Target,
    timeout: Duration,
    transcript: Sha256Stream,
    pub n_requests: usize,
}

impl Session {
    pub fn new(
        target: &Target,
        timeout: Duration,
        extra_roots: &[reqwest::Certificate],
    ) -> Result<Session, RequestError> {
        // reqwest is built without a crypto provider: install ring's as the process default
        // (an error only means one is installed already).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder();
        // A `localhost` name is answered here (RFC 6761), so no DNS query leaves the machine;
        // reqwest sends to the URL's port.
        if gonogo_io::net::is_localhost_name(target.host()) {
            if let Some(addresses) = gonogo_io::net::addresses_without_dns(target.host(), 0) {
                builder = builder.resolve_to_addrs(target.host(), &addresses);
            }
        }
        let client = builder
            .tls_certs_merge(extra_roots.iter().cloned())
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("gonogo-harden/", env!("CARGO_PKG_VERSION")))
            .tls_info(true)
            .build()
            .map_err(|error| RequestError {
                request_line: "client".into(),
                kind: RequestErrorKind::Other,
                message: error.to_string(),
            })?;
        Ok(Session {
            client,
            target: target.clone(),
            timeout,
            transcript: Sha256Stream::new(),
            n_requests: 0,
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `probe`; the response body is read up to [`BODY_LIMIT`] bytes.
    pub async fn send(&mut self, probe: &Probe) -> Result<Exchange, RequestError> {
        let target = self.target.clone();
        self.send_to(&target, probe).await
    }

    /// Sends `probe` to `target`: the session's own, or one derived from it (its plain-http
    /// twin, [`Target::plain_http`]), so only vetted hosts are contacted. Requests to another
    /// origin show the absolute URL in their excerpt.
    pub async fn send_to(
        &mut self,
        target: &Target,
        probe: &Probe,
    ) -> Result<Exchange, RequestError> {
        let same_origin = target.base == self.target.base;
        let request_line = if same_origin {
            format!("{} {}", probe.method, probe.path)
        } else {
            format!("{} {}", probe.method, target.url(&probe.path))
        };
        self.n_requests += 1;
        let mut builder = self
            .client
            .request(probe.method.clone(), target.url(&probe.path));
        for (name, value) in &probe.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &probe.body {
            builder = builder.body(body.clone());
        }
        let fail = |error: reqwest::Error| {
            let (kind, message) = classify(&error);
            RequestError {
                request_line: request_line.clone(),
                kind,
                message,
            }
        };
        // The client's timeout covers the body too; this outer one is a second fence.
        let result = tokio::time::timeout(self.timeout + Duration::from_millis(500), async {
            let mut response = builder.send().await.map_err(fail)?;
            let status = response.status().as_u16();
            let tls = response
                .extensions()
                .get::<reqwest::tls::TlsInfo>()
                .map(|info| TlsSeen {
                    certificate: info.peer_certificate().map(<[u8]>::to_vec),
                    version: info.version().map(|version| format!("{version:?}")),
                });
            let headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            let mut body_truncated = false;
            while let Some(chunk) = response.chunk().await.map_err(fail)? {
                let room = BODY_LIMIT - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    body_truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, RequestError>((status, headers, body, body_truncated, tls))
        })
        .await;
        let (status, headers, body, body_truncated, tls) = match result {
            Ok(outcome) => outcome?,
            Err(_) => {
                return Err(RequestError {
                    request_line,
                    kind: RequestErrorKind::Timeout,
                    message: format!("no complete response within {:?}", self.timeout),
                });
            }
        };
        let exchange = Exchange {
            request: if same_origin {
                probe.excerpt()
            } else {
                probe.excerpt_for(&target.url(&probe.path))
            },
            method: probe.method.clone(),
            path: probe.path.clone(),
            status,
            headers,
            body,
            body_truncated,
            tls,
        };
        self.record(&exchange);
        Ok(exchange)
    }

    fn record(&mut self, exchange: &Exchange) {
        self.transcript.update(exchange.request.as_bytes());
        self.transcript
            .update(format!("\n{}\n", exchange.status).as_bytes());
        for (name, value) in &exchange.headers {
            self.transcript
                .update(format!("{name}: {value}\n").as_bytes());
        }
        self.transcript.update(b"\n");
        self.transcript.update(&exchange.body);
        self.transcript.update(b"\n");
    }

    /// The SHA-256 of this group's transcript.
    pub fn finish(self) -> String {
        self.transcript.finish()
    }
}

/// A random-looking lower-case hex string (canaries, random paths, origins). Not for secrets.
pub fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or(0),
    );
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_loopback_and_allowed_hosts_are_targets() {
        assert!(Target::new("http://127.0.0.1:8080/", &[]).await.is_ok());
        assert!(Target::new("http://127.8.9.10:1/", &[]).await.is_ok());
        assert!(Target::new("http://[::1]:8080", &[]).await.is_ok());
        assert!(matches!(
            Target::new("http://10.0.0.1/", &[]).await,
            Err(TargetError::NotAllowed { .. })
        ));
        assert!(matches!(
            Target::new("https://example.com/", &[]).await,
            Err(TargetError::NotAllowed { .. })
        ));
        let allowed = Target::new(
            "https://staging.example.com/",
            &["staging.example.com".into()],
        )
        .await
        .unwrap();
        assert!(allowed.is_https());
        assert_eq!(allowed.base_url(), "https://staging.example.com");
        let with_query = Target::new("http://127.0.0.1:8080/base/?x=1#top", &[])
            .await
            .unwrap();
        assert_eq!(with_query.base_url(), "http://127.0.0.1:8080/base");
        assert!(matches!(
            Target::new("ftp://127.0.0.1/", &[]).await,
            Err(TargetError::Scheme { .. })
        ));
        assert!(matches!(
            Target::new("not a url", &[]).await,
            Err(TargetError::BadUrl { .. })
        ));
    }

    #[tokio::test]
    async fn the_plain_http_twin_keeps_the_host_and_base_path() {
        let https = Target::new("https://127.0.0.1:8443/base", &[])
            .await
            .unwrap();
        let plain = https.plain_http(8080).unwrap();
        assert_eq!(plain.base_url(), "http://127.0.0.1:8080/base");
        assert_eq!(plain.host(), "127.0.0.1");
        assert!(!plain.is_https());
        assert_eq!(
            https.plain_http(80).unwrap().url("/"),
            "http://127.0.0.1/base/"
        );
        let v6 = Target::new("https://[::1]:8443", &[]).await.unwrap();
        assert_eq!(v6.plain_http(8080).unwrap().base_url(), "http://[::1]:8080");
        assert!(plain.plain_http(80).is_none(), "already plain http");
        assert!(plain.is_loopback());
        let staging = Target::new(
            "https://staging.example.com",
            &["staging.example.com".into()],
        )
        .await
        .unwrap();
        assert!(!staging.is_loopback());
    }

    #[test]
    fn excerpts_hide_tokens_and_stay_short() {
        let probe =
            Probe::get("/api/admin").authorization("Bearer secret-token", "Bearer eyJ…(redacted)");
        assert_eq!(
            probe.excerpt(),
            "GET /api/admin\nAuthorization: Bearer eyJ…(redacted)"
        );
        assert_eq!(shorten("abcdef", 3), "abc…");
    }
}
