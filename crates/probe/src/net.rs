//! The network layer every engine here shares: which hosts may be contacted, and one HTTP/1.1
//! exchange over a fresh connection with its phases timed and its TLS certificate captured.
//!
//! - [`HostPolicy`]: loopback (`127.0.0.0/8`, `::1`, `localhost`) is always allowed; any
//!   other host is refused unless named with `--allow-host`. A name is checked before it is
//!   resolved, and `localhost` must resolve to loopback addresses only.
//! - [`Target`]: a parsed `http(s)://`, `tcp://`, `tls://` or `dns://` URL.
//! - [`exchange`]: connect (timed), optional TLS handshake with a recording verifier (so an
//!   expired or untrusted certificate is still read and reported, and no request is sent
//!   over it), send one request, wait for the response head (time to first byte). The body is
//!   left to the caller to stream or collect.
//! - [`tls_handshake`]: the same TLS step on its own, for `tls://` probes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Why a network step failed; [`NetError::reason`] is the stable failure reason of a probe.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("host {host} is not loopback; pass --allow-host {host} to allow it")]
    HostNotAllowed { host: String },
    #[error("invalid URL {url:?}: {message}")]
    InvalidUrl { url: String, message: String },
    #[error("could not resolve {host}: {message}")]
    Dns { host: String, message: String },
    #[error("connection to {address} refused")]
    ConnectRefused { address: SocketAddr },
    #[error("connecting to {address} timed out after {timeout:?}")]
    ConnectTimeout {
        address: SocketAddr,
        timeout: Duration,
    },
    #[error("connecting to {address} failed: {message}")]
    Connect {
        address: SocketAddr,
        message: String,
    },
    #[error("TLS certificate of {host} has expired: {message}")]
    TlsExpired { host: String, message: String },
    #[error("TLS certificate of {host} is not valid: {message}")]
    TlsVerify { host: String, message: String },
    #[error("TLS handshake with {host} failed: {message}")]
    TlsHandshake { host: String, message: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("connection reset or closed: {0}")]
    Reset(String),
    #[error("could not read {path}: {message}")]
    CaFile { path: String, message: String },
}

impl NetError {
    pub fn reason(&self) -> &'static str {
        match self {
            NetError::HostNotAllowed { .. } => "host_not_allowed",
            NetError::InvalidUrl { .. } => "invalid_url",
            NetError::Dns { .. } => "dns",
            NetError::ConnectRefused { .. } => "connect_refused",
            NetError::ConnectTimeout { .. } => "connect_timeout",
            NetError::Connect { .. } => "connect",
            NetError::TlsExpired { .. } => "tls_expired",
            NetError::TlsVerify { .. } => "tls_verify",
            NetError::TlsHandshake { .. } => "tls_handshake",
            NetError::Timeout(_) => "timeout",
            NetError::Reset(_) => "reset",
            NetError::CaFile { .. } => "ca_file",
        }
    }
}

/// Which hosts may receive traffic.
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    allowed: Vec<String>,
}

impl HostPolicy {
    pub fn new(allowed: impl IntoIterator<Item = String>) -> HostPolicy {
        HostPolicy {
            allowed: allowed
                .into_iter()
                .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether `host` (a name or an address, as written in the URL) may be contacted.
    pub fn check(&self, host: &str) -> Result<(), NetError> {
        if gonogo_io::net::may_contact(host, &self.allowed) {
            return Ok(());
        }
        Err(NetError::HostNotAllowed {
            host: host.to_string(),
        })
    }

    fn explicitly_allowed(&self, host: &str) -> bool {
        gonogo_io::net::is_explicitly_allowed(host, &self.allowed)
    }

    /// Resolves `host:port` and refuses non-loopback answers for hosts allowed only because
    /// their name looks local.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
        self.check(host)?;
        let bare = gonogo_io::net::bare_host(host);
        // Address literals and `localhost` names (RFC 6761) need no resolver: no DNS query.
        let addresses: Vec<SocketAddr> = match gonogo_io::net::addresses_without_dns(host, port) {
            Some(addresses) => addresses,
            None => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|error| NetError::Dns {
                    host: host.to_string(),
                    message: error.to_string(),
                })?
                .collect(),
        };
        if addresses.is_empty() {
            return Err(NetError::Dns {
                host: host.to_string(),
                message: "no addresses".into(),
            });
        }
        if !self.explicitly_allowed(host)
            && addresses
                .iter()
                .any(|a| !gonogo_io::net::is_loopback_ip(a.ip()))
        {
            return Err(NetError::HostNotAllowed {
                host: host.to_string(),
            });
        }
        Ok(addresses)
    }
}

/// A probe or scrape target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    /// Path and query for HTTP(S) (`/` when absent); the name to resolve for DNS.
    pub path: String,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
    Tcp,
    Tls,
    Dns,
}

impl Target {
    /// Parses `url`. The URL kept in [`Target::url`] (evidence sources, messages) and shown in
    /// errors is redacted ([`gonogo_core::redact`]); user information (`user:pass@`) is
    /// refused, as gonogo does not send it.
    pub fn parse(url: &str) -> Result<Target, NetError> {
        let shown = gonogo_core::redact::redact(url).into_owned();
        let invalid = |message: &str| NetError::InvalidUrl {
            url: shown.clone(),
            message: message.to_string(),
        };
        let (scheme_text, rest) = url
            .split_once("://")
            .ok_or_else(|| invalid("expected scheme://host[:port][/path]"))?;
        let scheme = match scheme_text.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            "tcp" => Scheme::Tcp,
            "tls" => Scheme::Tls,
            "dns" => Scheme::Dns,
            other => {
                return Err(invalid(&format!(
                    "unknown scheme {other:?} (http, https, tcp, tls, dns)"
                )));
            }
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(index) => (&rest[..index], &rest[index..]),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return Err(invalid("no host"));
        }
        if authority.contains('@') {
            return Err(invalid(
                "credentials in the URL (user:password@) are not supported; \
                 pass them as the engine's token or password variables",
            ));
        }
        let (host, port) = split_host_port(authority).map_err(|m| invalid(&m))?;
        let default_port = match scheme {
            Scheme::Http => Some(80),
            Scheme::Https | Scheme::Tls => Some(443),
            Scheme::Dns => Some(0),
            Scheme::Tcp => None,
        };
        let port = match (port, default_port) {
            (Some(port), _) | (None, Some(port)) => port,
            (None, None) => return Err(invalid("a tcp:// target needs a port")),
        };
        let path = match (scheme, path) {
            (Scheme::Http | Scheme::Https, "") => "/".to_string(),
            (Scheme::Http | Scheme::Https, p) if p.starts_with('?') => format!("/{p}"),
            (_, p) => p.to_string(),
        };
        Ok(Target {
            scheme,
            host,
            port,
            path,
            url: shown,
        })
    }

    /// `host:port` with IPv6 brackets, for the Host header.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unclosed [")?;
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port.parse().map_err(|_| format!("invalid port {port:?}"))?),
            None if after.is_empty() => None,
            None => return Err(format!("unexpected {after:?} after the address")),
        };
        return Ok((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Ok((
            host.to_string(),
            Some(port.parse().map_err(|_| format!("invalid port {port:?}"))?),
        )),
        None => Ok((authority.to_string(), None)),
    }
}

/// Timeouts of one attempt.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(3),
            total: Duration::from_secs(10),
        }
    }
}

/// Trust settings for TLS.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    roots: Arc<RootCertStore>,
}

impl TlsSettings {
    /// The Mozilla roots (webpki-roots) plus the certificates of `ca_files` (PEM).
    pub fn new(ca_files: &[String]) -> Result<TlsSettings, NetError> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for path in ca_files {
            let ca_error = |message: String| NetError::CaFile {
                path: path.clone(),
                message,
            };
            let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
            let mut n_added = 0;
            for certificate in rustls_pemfile::certs(&mut &pem[..]) {
                let certificate = certificate.map_err(|e| ca_error(e.to_string()))?;
                roots
                    .add(certificate)
                    .map_err(|e| ca_error(e.to_string()))?;
                n_added += 1;
            }
            if n_added == 0 {
                return Err(ca_error("no PEM certificate in the file".into()));
            }
        }
        Ok(TlsSettings {
            roots: Arc::new(roots),
        })
    }
}

/// What the TLS handshake showed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TlsInfo {
    /// Seconds since the Unix epoch of the leaf certificate's notAfter.
    pub leaf_not_after: Option<i64>,
    /// The earliest notAfter of every presented certificate (information only).
    pub chain_min_not_after: Option<i64>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub verified: bool,
    pub verify_error: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Default)]
struct Recorded {
    end_entity: Vec<u8>,
    intermediates: Vec<Vec<u8>>,
    verify_error: Option<rustls::Error>,
}

/// Verifies with webpki but records the presented chain and the verdict instead of failing,
/// so the certificate of a failing server can still be reported.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    recorded: Mutex<Recorded>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let mut recorded = self.recorded.lock().expect("not poisoned");
        recorded.end_entity = end_entity.to_vec();
        recorded.intermediates = intermediates.iter().map(|c| c.to_vec()).collect();
        recorded.verify_error = verdict.err();
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn not_after(der: &[u8]) -> Option<(i64, String, String)> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
    Some((
        certificate.validity().not_after.timestamp(),
        certificate.subject().to_string(),
        certificate.issuer().to_string(),
    ))
}

/// Phase timings of one exchange, from the attempt's start.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Timings {
    pub connect_us: u64,
    pub tls_us: Option<u64>,
    pub first_byte_us: Option<u64>,
}

/// TCP connect to the first address that answers, within the connect timeout.
pub async fn connect(
    addresses: &[SocketAddr],
    timeout: Duration,
) -> Result<(TcpStream, SocketAddr), NetError> {
    let mut last_error = None;
    for &address in addresses {
        match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok((stream, address));
            }
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                last_error = Some(NetError::ConnectRefused { address });
            }
            Ok(Err(error)) => {
                last_error = Some(NetError::Connect {
                    address,
                    message: error.to_string(),
                });
            }
            Err(_) => last_error = Some(NetError::ConnectTimeout { address, timeout }),
        }
    }
    Err(last_error.expect("at least one address"))
}

/// TLS over `stream` with SNI `host`; fails (without sending anything) when the chain does not
/// verify, but still returns what was presented inside the error path's [`TlsInfo`].
pub async fn tls_handshake(
    stream: TcpStream,
    host: &str,
    settings: &TlsSettings,
) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, TlsInfo), (NetError, Option<TlsInfo>)> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
        settings.roots.clone(),
        provider.clone(),
    )
    .build()
    .map_err(|e| {
        (
            NetError::TlsHandshake {
                host: host.into(),
                message: e.to_string(),
            },
            None,
        )
    })?;
    let verifier = Arc::new(RecordingVerifier {
        inner,
        recorded: Mutex::new(Recorded::default()),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            (
                NetError::TlsHandshake {
                    host: host.into(),
                    message: e.to_string(),
                },
                None,
            )
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let server_name =
        ServerName::try_from(host.trim_matches(['[', ']']).to_string()).map_err(|e| {
            (
                NetError::TlsHandshake {
                    host: host.into(),
                    message: e.to_string(),
                },
                None,
            )
        })?;
    let connector = TlsConnector::from(Arc::new(config));
    let result = connector.connect(server_name, stream).await;
    let recorded = std::mem::take(&mut *verifier.recorded.lock().expect("not poisoned"));
    let leaf = not_after(&recorded.end_entity);
    let chain_min = std::iter::once(&recorded.end_entity)
        .chain(recorded.intermediates.iter())
        .filter_map(|der| not_after(der).map(|(t, _, _)| t))
        .min();
    let mut info = TlsInfo {
        leaf_not_after: leaf.as_ref().map(|(t, _, _)| *t),
        chain_min_not_after: chain_min,
        subject: leaf.as_ref().map(|(_, s, _)| s.clone()),
        issuer: leaf.as_ref().map(|(_, _, i)| i.clone()),
        verified: recorded.verify_error.is_none() && !recorded.end_entity.is_empty(),
        verify_error: recorded.verify_error.as_ref().map(|e| e.to_string()),
        version: None,
    };
    let stream = match result {
        Ok(stream) => stream,
        Err(error) => {
            let error = NetError::TlsHandshake {
                host: host.into(),
                message: error.to_string(),
            };
            let info = (!recorded.end_entity.is_empty()).then_some(info);
            return Err((error, info));
        }
    };
    if let Some(error) = recorded.verify_error {
        let expired = matches!(
            error,
            rustls::Error::InvalidCertificate(rustls::CertificateError::Expired)
                | rustls::Error::InvalidCertificate(
                    rustls::CertificateError::ExpiredContext { .. }
                )
        );
        let message = error.to_string();
        let error = if expired {
            NetError::TlsExpired {
                host: host.into(),
                message,
            }
        } else {
            NetError::TlsVerify {
                host: host.into(),
                message,
            }
        };
        return Err((error, Some(info)));
    }
    info.version = stream
        .get_ref()
        .1
        .protocol_version()
        .map(|v| format!("{v:?}"));
    Ok((stream, info))
}

/// An HTTP request to send.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: http::Method,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Default for HttpRequest {
    fn default() -> HttpRequest {
        HttpRequest {
            method: http::Method::GET,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
}

/// A response head with its streaming body.
pub struct Exchange {
    pub response: http::Response<Incoming>,
    pub peer: SocketAddr,
    pub timings: Timings,
    pub tls: Option<TlsInfo>,
    /// When the attempt started, to time the body.
    pub started: Instant,
}

/// A failed exchange, with whatever TLS information was seen.
#[derive(Debug)]
pub struct ExchangeError {
    pub error: NetError,
    pub tls: Option<TlsInfo>,
    pub peer: Option<SocketAddr>,
}

impl From<NetError> for ExchangeError {
    fn from(error: NetError) -> ExchangeError {
        ExchangeError {
            error,
            tls: None,
            peer: None,
        }
    }
}

/// One HTTP/1.1 request over a fresh connection (no reuse, no redirects followed). The total
/// timeout covers everything up to the response head; the caller bounds the body.
pub async fn exchange(
    target: &Target,
    request: &HttpRequest,
    policy: &HostPolicy,
    tls: &TlsSettings,
    timeouts: Timeouts,
) -> Result<Exchange, ExchangeError> {
    let started = Instant::now();
    match tokio::time::timeout(
        timeouts.total,
        exchange_inner(target, request, policy, tls, timeouts, started),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => Err(NetError::Timeout(timeouts.total).into()),
    }
}

async fn exchange_inner(
    target: &Target,
    request: &HttpRequest,
    policy: &HostPolicy,
    tls: &TlsSettings,
    timeouts: Timeouts,
    started: Instant,
) -> Result<Exchange, ExchangeError> {
    let addresses = policy.resolve(&target.host, target.port).await?;
    let (stream, peer) = connect(&addresses, timeouts.connect).await?;
    let mut timings = Timings {
        connect_us: micros(started.elapsed()),
        ..Timings::default()
    };
    let builder = http::Request::builder()
        .method(request.method.clone())
        .uri(target.path.as_str())
        .header(http::header::HOST, target.authority())
        .header(
            http::header::USER_AGENT,
            concat!("gonogo/", env!("CARGO_PKG_VERSION")),
        )
        .header(http::header::CONNECTION, "close");
    let builder = request.headers.iter().fold(builder, |b, (name, value)| {
        b.header(name.as_str(), value.as_str())
    });
    let http_request =
        builder
            .body(Full::new(request.body.clone()))
            .map_err(|e| NetError::InvalidUrl {
                url: target.url.clone(),
                message: e.to_string(),
            })?;
    let with_peer = |error: NetError, tls: Option<TlsInfo>| ExchangeError {
        error,
        tls,
        peer: Some(peer),
    };
    let (response, tls_info) = if target.scheme == Scheme::Https {
        let (stream, info) = tls_handshake(stream, &target.host, tls)
            .await
            .map_err(|(error, info)| with_peer(error, info))?;
        timings.tls_us = Some(micros(started.elapsed()));
        let response = send(TokioIo::new(stream), http_request)
            .await
            .map_err(|e| with_peer(e, Some(info.clone())))?;
        (response, Some(info))
    } else {
        let response = send(TokioIo::new(stream), http_request)
            .await
            .map_err(|e| with_peer(e, None))?;
        (response, None)
    };
    timings.first_byte_us = Some(micros(started.elapsed()));
    Ok(Exchange {
        response,
        peer,
        timings,
        tls: tls_info,
        started,
    })
}

async fn send<I>(
    io: I,
    request: http::Request<Full<Bytes>>,
) -> Result<http::Response<Incoming>, NetError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| NetError::Reset(e.to_string()))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
        .send_request(request)
        .await
        .map_err(|e| NetError::Reset(e.to_string()))
}

/// Reads a body to the end, keeping at most `cap` bytes (the rest is read and discarded).
/// Returns the kept bytes and the total size.
pub async fn collect_body(
    body: Incoming,
    cap: usize,
    deadline: Duration,
) -> Result<(Vec<u8>, u64), NetError> {
    let read = async {
        let mut body = body;
        let mut kept = Vec::new();
        let mut total = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| NetError::Reset(e.to_string()))?;
            if let Some(data) = frame.data_ref() {
                total += data.len() as u64;
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&data[..room.min(data.len())]);
            }
        }
        Ok((kept, total))
    };
    tokio::time::timeout(deadline, read)
        .await
        .map_err(|_| NetError::Timeout(deadline))?
}

pub(crate) fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_allowed_and_other_hosts_are_refused() {
        let policy = HostPolicy::default();
        for host in ["127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost"] {
            assert!(policy.check(host).is_ok(), "{host}");
        }
        for host in ["example.com", "10.0.0.1", "0.0.0.0"] {
            assert_eq!(policy.check(host).unwrap_err().reason(), "host_not_allowed");
        }
        let policy = HostPolicy::new(["Example.com".to_string()]);
        assert!(policy.check("example.com").is_ok());
    }

    #[test]
    fn targets_parse() {
        let target = Target::parse("http://127.0.0.1:8080/health?x=1").unwrap();
        assert_eq!(
            (
                target.scheme,
                target.host.as_str(),
                target.port,
                target.path.as_str()
            ),
            (Scheme::Http, "127.0.0.1", 8080, "/health?x=1")
        );
        let target = Target::parse("https://[::1]").unwrap();
        assert_eq!(
            (target.host.as_str(), target.port, target.path.as_str()),
            ("::1", 443, "/")
        );
        assert_eq!(target.authority(), "[::1]:443");
        assert!(Target::parse("tcp://127.0.0.1").is_err());
        assert!(Target::parse("ftp://x").is_err());
    }
}

/// A DNS query sent to a chosen resolver.
#[derive(Debug, Clone, Copy)]
pub struct DnsQuery {
    pub resolver: SocketAddr,
    pub record_type: hickory_proto::rr::RecordType,
    /// Ask over TCP from the start (UDP answers marked truncated are asked again over TCP
    /// anyway).
    pub tcp: bool,
}

/// A resolver's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsAnswer {
    /// The response code's mnemonic: `NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, ...
    pub rcode: String,
    /// Every answer record's data as text (`127.0.0.7`, `"hello"`, `10 mail.example.`).
    pub answers: Vec<String>,
    /// The A and AAAA answers.
    pub addresses: Vec<String>,
    /// Whether the answer came over TCP (asked so, or after a truncated UDP answer).
    pub over_tcp: bool,
}

/// The mnemonic of a DNS response code (RFC 6895's registry names).
pub fn rcode_name(code: u16) -> String {
    let name = match code {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        other => return format!("RCODE{other}"),
    };
    name.to_string()
}

/// Asks `query.resolver` for `name`: over UDP, then TCP when the answer is truncated (or
/// over TCP only). The message format is hickory-proto's; the exchange is a single
/// request and answer, bounded by the caller's timeout.
pub async fn dns_query(
    query: DnsQuery,
    name: &str,
    connect_timeout: Duration,
) -> Result<DnsAnswer, NetError> {
    use hickory_proto::op::{Message, MessageType, OpCode, Query};
    use hickory_proto::rr::{Name, RData};
    use std::hash::BuildHasher as _;

    let dns_error = |message: String| NetError::Dns {
        host: name.to_string(),
        message,
    };
    let parsed_name =
        Name::from_ascii(name).map_err(|e| dns_error(format!("not a domain name: {e}")))?;
    // A random ID per query (the standard library's per-process random hasher keys).
    let id = std::collections::hash_map::RandomState::new().hash_one(name) as u16;
    let mut message = Message::new();
    message
        .set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(parsed_name, query.record_type));
    let request = message
        .to_vec()
        .map_err(|e| dns_error(format!("cannot encode the query: {e}")))?;

    let mut over_tcp = query.tcp;
    let mut response = if query.tcp {
        dns_over_tcp(query.resolver, &request, connect_timeout).await?
    } else {
        dns_over_udp(query.resolver, &request, id).await?
    };
    let mut answer = Message::from_vec(&response)
        .map_err(|e| dns_error(format!("the resolver's answer is not DNS: {e}")))?;
    if answer.truncated() && !query.tcp {
        over_tcp = true;
        response = dns_over_tcp(query.resolver, &request, connect_timeout).await?;
        answer = Message::from_vec(&response)
            .map_err(|e| dns_error(format!("the resolver's answer is not DNS: {e}")))?;
    }
    if answer.id() != id {
        return Err(dns_error(
            "the answer's ID does not match the query's".into(),
        ));
    }
    let mut answers = Vec::new();
    let mut addresses = Vec::new();
    for record in answer.answers() {
        let data = record.data();
        match data {
            RData::A(address) => addresses.push(address.to_string()),
            RData::AAAA(address) => addresses.push(address.to_string()),
            _ => {}
        }
        answers.push(data.to_string());
    }
    Ok(DnsAnswer {
        rcode: rcode_name(u16::from(answer.response_code())),
        answers,
        addresses,
        over_tcp,
    })
}

async fn dns_over_udp(resolver: SocketAddr, request: &[u8], id: u16) -> Result<Vec<u8>, NetError> {
    let local: SocketAddr = if resolver.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let io = |error: std::io::Error| NetError::Connect {
        address: resolver,
        message: error.to_string(),
    };
    let socket = tokio::net::UdpSocket::bind(local).await.map_err(io)?;
    socket.connect(resolver).await.map_err(io)?;
    socket.send(request).await.map_err(io)?;
    let mut buffer = vec![0u8; 65_535];
    loop {
        let n = match socket.recv(&mut buffer).await {
            Ok(n) => n,
            // An ICMP port unreachable comes back as a refused receive.
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(NetError::ConnectRefused { address: resolver });
            }
            Err(error) => return Err(io(error)),
        };
        // Stray datagrams (a late answer to an earlier query) are skipped.
        if n >= 2 && u16::from_be_bytes([buffer[0], buffer[1]]) == id {
            return Ok(buffer[..n].to_vec());
        }
    }
}

async fn dns_over_tcp(
    resolver: SocketAddr,
    request: &[u8],
    connect_timeout: Duration,
) -> Result<Vec<u8>, NetError> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (mut stream, _) = connect(&[resolver], connect_timeout).await?;
    let reset = |error: std::io::Error| NetError::Reset(error.to_string());
    let length = u16::try_from(request.len()).expect("a query is far below 64 KiB");
    let mut framed = Vec::with_capacity(request.len() + 2);
    framed.extend_from_slice(&length.to_be_bytes());
    framed.extend_from_slice(request);
    stream.write_all(&framed).await.map_err(reset)?;
    let length = stream.read_u16().await.map_err(reset)?;
    let mut response = vec![0u8; usize::from(length)];
    stream.read_exact(&mut response).await.map_err(reset)?;
    Ok(response)
}
