//! `probe`: liveness/readiness probes of HTTP(S), TCP, TLS and DNS targets, once or over a
//! bounded watch window, as `probe` evidence.
//!
//! - [`ProbeSpec`] says what to probe: a [`Target`] URL (`http://`, `https://`, `tcp://`,
//!   `tls://`, `dns://`), [`condition::Condition`]s, timeouts.
//! - [`attempt`] runs one attempt over a fresh connection and returns an [`Attempt`]: success,
//!   a stable failure `reason` (`dns`, `connect_refused`, `connect_timeout`, `tls_verify`,
//!   `tls_expired`, `timeout`, `reset`, `expect`, `status`, `health_fail`, `condition:<n>`),
//!   latency, certificate, `application/health+json` result.
//! - A TCP or TLS probe may hold a [`Conversation`], as blackbox_exporter's `query_response`:
//!   bytes to send once connected (`PING\r\n`) and a regular expression the answer must match
//!   (`^\+PONG`). The answer read up to the match is the attempt's body, so `[BODY]`
//!   conditions apply to it; no match before the timeout, the end of the stream or
//!   [`EXPECT_CAP`] bytes fails the attempt with the reason `expect`.
//! - A DNS probe asks the system resolver for addresses (`dns://NAME`), or, with a
//!   [`net::DnsQuery`], a chosen resolver for any record type over UDP or TCP
//!   (hickory-proto's message format): the response code is `[DNS_RCODE]`, the answers are
//!   the body, and without conditions it succeeds on `NOERROR` with at least one answer.
//! - [`watch`] schedules attempts at `t0 + k * interval` for `k * interval < window`
//!   (open loop: a slow attempt delays the next one, and that lateness counts in the next
//!   attempt's latency, which is measured from its *scheduled* start). Windows are bounded
//!   ([`MAX_WINDOW`], [`MAX_ATTEMPTS`]).
//! - [`outages`] turns consecutive failures into intervals: from the first failed attempt's
//!   scheduled time to the next successful attempt's (or the window's end, `ongoing`).
//! - [`evidence`]: `probe.<name>.availability` (successful attempts of attempts, a ratio),
//!   `probe.<name>.latency` (HDR histogram, microseconds, attempts that got an answer) and
//!   `probe.<name>.cert_expiry` (days until the leaf certificate's notAfter, last attempt).
//!   `details` holds the outages, failures by reason, condition results, TLS and health data.
//!
//! Provenance: `sha256` is the SHA-256 of a canonical JSON description of the run: the URL,
//! the conditions, window and interval, and per attempt its offset, outcome, status and the
//! SHA-256 of the response body.
//!
//! With no condition given, an HTTP attempt succeeds on a status below 400 (3xx included, as
//! Kubernetes does; redirects are not followed), TCP on connect, TLS on a verified chain, DNS on
//! at least one address.

pub mod condition;
pub mod health;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use gonogo_core::evidence::{
    Evidence, Metric, NoteCode, Ratio, Source, Tool, latency_histogram, sha256_hex,
};
use gonogo_core::units::Unit;
use jiff::Timestamp;
use serde::Serialize;

use crate::net::{
    self, HostPolicy, HttpRequest, NetError, Scheme, Target, Timeouts, TlsInfo, TlsSettings,
};
use condition::{Condition, Observation, Outcome};
use health::{Health, HealthStatus, parse_health};

/// Longest watch window.
pub const MAX_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Most attempts in one watch.
pub const MAX_ATTEMPTS: u64 = 100_000;
/// Shortest interval between scheduled attempts.
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);
/// Bytes of the body kept for conditions.
pub const DEFAULT_BODY_CAP: usize = 1 << 20;
/// Most bytes of a TCP/TLS answer read while waiting for `expect` to match.
pub const EXPECT_CAP: usize = 64 * 1024;

/// What a TCP or TLS probe says once connected, and what the answer must match.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    /// Sent as soon as the connection (and the TLS handshake) is up; may be empty.
    pub send: Vec<u8>,
    /// Read the answer until this matches; `None` reads nothing.
    pub expect: Option<regex::bytes::Regex>,
}

impl Conversation {
    pub fn is_empty(&self) -> bool {
        self.send.is_empty() && self.expect.is_none()
    }
}

/// Turns the escapes people write in a `--send` text into bytes: `\r`, `\n`, `\t`, `\0`,
/// `\\` and `\xHH`; anything else after a backslash is an error.
pub fn unescape_send(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buffer = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('0') => out.push(0),
            Some('\\') => out.push(b'\\'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                match u8::from_str_radix(&hex, 16) {
                    Ok(byte) if hex.len() == 2 => out.push(byte),
                    _ => {
                        return Err(format!(
                            "`\\x{hex}` is not a byte: write two hex digits, e.g. \\x1b"
                        ));
                    }
                }
            }
            Some(other) => {
                return Err(format!(
                    "`\\{other}` is not an escape: use \\r, \\n, \\t, \\0, \\\\ or \\xHH"
                ));
            }
            None => return Err("the text ends with a lone backslash".into()),
        }
    }
    Ok(out)
}

/// Why a conversation failed.
enum ConversationError {
    /// Writing failed or the peer reset the connection.
    Io(std::io::Error),
    /// The answer ended, grew past the cap or stopped coming before `expect` matched.
    NoMatch {
        received: Vec<u8>,
        ended: &'static str,
    },
}

/// Sends the conversation's bytes and reads until `expect` matches; returns the answer read
/// (empty when there is nothing to expect). The caller bounds it in time.
async fn converse<S>(
    stream: &mut S,
    conversation: &Conversation,
    deadline: Instant,
) -> Result<Vec<u8>, ConversationError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    if !conversation.send.is_empty() {
        stream
            .write_all(&conversation.send)
            .await
            .map_err(ConversationError::Io)?;
        stream.flush().await.map_err(ConversationError::Io)?;
    }
    let Some(expect) = &conversation.expect else {
        return Ok(Vec::new());
    };
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if expect.is_match(&received) {
            return Ok(received);
        }
        if received.len() >= EXPECT_CAP {
            return Err(ConversationError::NoMatch {
                received,
                ended: "the answer reached the 64 KiB read limit",
            });
        }
        let read = tokio::time::timeout_at(deadline.into(), stream.read(&mut chunk)).await;
        match read {
            Err(_) => {
                return Err(ConversationError::NoMatch {
                    received,
                    ended: "the timeout came first",
                });
            }
            Ok(Ok(0)) => {
                return Err(ConversationError::NoMatch {
                    received,
                    ended: "the peer closed the connection",
                });
            }
            Ok(Ok(n)) => {
                let room = EXPECT_CAP - received.len();
                received.extend_from_slice(&chunk[..n.min(room)]);
            }
            Ok(Err(error)) => return Err(ConversationError::Io(error)),
        }
    }
}

/// An excerpt of an answer for a message: lossy text, control characters escaped, at most
/// 120 characters.
fn excerpt(bytes: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(bytes).escape_debug().collect();
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// How `application/health+json` bodies are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthMode {
    /// Parse when the Content-Type says `application/health+json`.
    Auto,
    /// Parse every body as a health response (Spring `UP`/`DOWN` included).
    Always,
    Never,
}

/// What to probe and how.
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    /// The probe's name in metric names (`probe.<name>.availability`): no dots.
    pub name: String,
    pub target: Target,
    pub conditions: Vec<Condition>,
    pub request: HttpRequest,
    pub timeouts: Timeouts,
    pub body_cap: usize,
    pub health: HealthMode,
    /// TCP and TLS only: what to send and expect once connected.
    pub conversation: Conversation,
    /// DNS only: ask this resolver (record type, transport) instead of the system's.
    pub dns: Option<net::DnsQuery>,
}

impl ProbeSpec {
    pub fn new(name: impl Into<String>, target: Target) -> ProbeSpec {
        ProbeSpec {
            name: name.into(),
            target,
            conditions: Vec::new(),
            request: HttpRequest::default(),
            timeouts: Timeouts::default(),
            body_cap: DEFAULT_BODY_CAP,
            health: HealthMode::Auto,
            conversation: Conversation::default(),
            dns: None,
        }
    }
}

/// A name for metric names from a target: `127-0-0-1-8080`.
pub fn default_name(target: &Target) -> String {
    let raw = format!("{}-{}", target.host, target.port);
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .to_string()
}

/// One condition's result on one attempt.
#[derive(Debug, Clone, Serialize)]
pub struct ConditionResult {
    pub condition: String,
    pub passed: bool,
    pub error: Option<String>,
    pub observed: Option<String>,
}

/// One attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// Scheduled start, relative to the window's start.
    pub offset_ms: f64,
    pub scheduled_at: Timestamp,
    /// From the scheduled start to the end of the attempt.
    pub latency_us: u64,
    pub success: bool,
    /// A failed start-up attempt inside the warm-up budget; not counted.
    pub warmup: bool,
    pub reason: Option<String>,
    pub message: Option<String>,
    /// Whether the target answered at all (a response, a connection, a handshake, an address).
    pub answered: bool,
    pub status: Option<u16>,
    /// The `Location` of a 3xx (redirects are never followed).
    pub redirect_to: Option<String>,
    pub peer: Option<String>,
    pub conditions: Vec<ConditionResult>,
    pub certificate_expires_in_s: Option<f64>,
    pub tls: Option<TlsInfo>,
    pub health: Option<Health>,
    pub body_sha256: Option<String>,
    /// TCP/TLS with `expect`: the text the pattern matched (at most 120 characters).
    pub expect_match: Option<String>,
    /// DNS with a resolver: the response code and the answers.
    pub rcode: Option<String>,
    pub answers: Option<Vec<String>>,
}

impl Attempt {
    fn new(offset: Duration, scheduled_at: Timestamp) -> Attempt {
        Attempt {
            offset_ms: offset.as_secs_f64() * 1e3,
            scheduled_at,
            latency_us: 0,
            success: false,
            warmup: false,
            reason: None,
            message: None,
            answered: false,
            status: None,
            redirect_to: None,
            peer: None,
            conditions: Vec::new(),
            certificate_expires_in_s: None,
            tls: None,
            health: None,
            body_sha256: None,
            expect_match: None,
            rcode: None,
            answers: None,
        }
    }

    fn fail_net(&mut self, error: &NetError) {
        self.success = false;
        self.reason = Some(error.reason().to_string());
        self.message = Some(error.to_string());
    }
}

/// Runs one attempt whose scheduled start was `scheduled` (latency counts from there).
pub async fn attempt(
    spec: &ProbeSpec,
    policy: &HostPolicy,
    tls: &TlsSettings,
    scheduled: Instant,
    offset: Duration,
    scheduled_at: Timestamp,
) -> Attempt {
    let mut result = Attempt::new(offset, scheduled_at);
    let mut observation_body: Option<Vec<u8>> = None;
    let mut headers: Option<http::HeaderMap> = None;
    let mut observation = Observation::default();
    match spec.target.scheme {
        Scheme::Http | Scheme::Https => {
            match net::exchange(&spec.target, &spec.request, policy, tls, spec.timeouts).await {
                Err(failure) => {
                    result.fail_net(&failure.error);
                    result.peer = failure.peer.map(|p| p.to_string());
                    result.tls = failure.tls;
                }
                Ok(exchange) => {
                    result.answered = true;
                    result.peer = Some(exchange.peer.to_string());
                    result.tls = exchange.tls.clone();
                    let status = exchange.response.status().as_u16();
                    result.status = Some(status);
                    let (parts, body) = exchange.response.into_parts();
                    if (300..400).contains(&status) {
                        // Redirects are not followed; say where it pointed.
                        if let Some(location) = parts.headers.get(http::header::LOCATION) {
                            result.redirect_to =
                                Some(String::from_utf8_lossy(location.as_bytes()).into_owned());
                        }
                    }
                    let remaining = spec
                        .timeouts
                        .total
                        .saturating_sub(exchange.started.elapsed());
                    match net::collect_body(
                        body,
                        spec.body_cap,
                        remaining.max(Duration::from_millis(1)),
                    )
                    .await
                    {
                        Ok((bytes, _total)) => {
                            result.body_sha256 = Some(sha256_hex(&bytes));
                            observation_body = Some(bytes);
                        }
                        Err(error) => result.fail_net(&error),
                    }
                    headers = Some(parts.headers);
                }
            }
        }
        Scheme::Tcp | Scheme::Tls => {
            let started = Instant::now();
            let outcome = async {
                let addresses = policy.resolve(&spec.target.host, spec.target.port).await?;
                net::connect(&addresses, spec.timeouts.connect).await
            };
            match tokio::time::timeout(spec.timeouts.total, outcome).await {
                Err(_) => result.fail_net(&NetError::Timeout(spec.timeouts.total)),
                Ok(Err(error)) => result.fail_net(&error),
                Ok(Ok((mut stream, peer))) => {
                    result.peer = Some(peer.to_string());
                    observation.connected = true;
                    let deadline = started + spec.timeouts.total;
                    if spec.target.scheme == Scheme::Tcp {
                        result.answered = true;
                        if !spec.conversation.is_empty() {
                            let answer = converse(&mut stream, &spec.conversation, deadline).await;
                            observation_body = conversation_outcome(spec, &mut result, answer);
                        }
                    } else {
                        let remaining = spec.timeouts.total.saturating_sub(started.elapsed());
                        match tokio::time::timeout(
                            remaining,
                            net::tls_handshake(stream, &spec.target.host, tls),
                        )
                        .await
                        {
                            Err(_) => result.fail_net(&NetError::Timeout(spec.timeouts.total)),
                            Ok(Err((error, info))) => {
                                result.fail_net(&error);
                                result.tls = info;
                                result.answered = result.tls.is_some();
                            }
                            Ok(Ok((mut stream, info))) => {
                                result.answered = true;
                                result.tls = Some(info);
                                if !spec.conversation.is_empty() {
                                    let answer =
                                        converse(&mut stream, &spec.conversation, deadline).await;
                                    observation_body =
                                        conversation_outcome(spec, &mut result, answer);
                                }
                            }
                        }
                    }
                }
            }
        }
        Scheme::Dns if spec.dns.is_some() => {
            let query = spec.dns.expect("checked");
            let asked = async {
                policy.check(&query.resolver.ip().to_string())?;
                net::dns_query(query, &spec.target.host, spec.timeouts.connect).await
            };
            result.peer = Some(query.resolver.to_string());
            match tokio::time::timeout(spec.timeouts.total, asked).await {
                Err(_) => result.fail_net(&NetError::Timeout(spec.timeouts.total)),
                Ok(Err(error)) => result.fail_net(&error),
                Ok(Ok(answer)) => {
                    result.answered = true;
                    observation.dns_answers = Some(answer.answers.len());
                    observation.dns_rcode = Some(answer.rcode.clone());
                    observation.ip = answer.addresses.first().cloned();
                    let body = answer.answers.join("\n").into_bytes();
                    result.body_sha256 = Some(sha256_hex(&body));
                    observation_body = Some(body);
                    result.rcode = Some(answer.rcode);
                    result.answers = Some(answer.answers);
                }
            }
        }
        Scheme::Dns => {
            let lookup = async {
                policy.check(&spec.target.host)?;
                // `localhost` names answer loopback without asking a resolver (RFC 6761).
                if let Some(addresses) = gonogo_io::net::addresses_without_dns(&spec.target.host, 0)
                {
                    return Ok(addresses.iter().map(|a| a.ip().to_string()).collect());
                }
                tokio::net::lookup_host((spec.target.host.as_str(), 0))
                    .await
                    .map(|addresses| addresses.map(|a| a.ip().to_string()).collect::<Vec<_>>())
                    .map_err(|e| NetError::Dns {
                        host: spec.target.host.clone(),
                        message: e.to_string(),
                    })
            };
            match tokio::time::timeout(spec.timeouts.total, lookup).await {
                Err(_) => result.fail_net(&NetError::Timeout(spec.timeouts.total)),
                Ok(Err(error)) => result.fail_net(&error),
                Ok(Ok(addresses)) => {
                    result.answered = !addresses.is_empty();
                    observation.dns_answers = Some(addresses.len());
                    observation.ip = addresses.first().cloned();
                    result.peer = addresses.first().cloned();
                }
            }
        }
    }
    result.latency_us = net::micros(scheduled.elapsed());

    // Certificate expiry relative to now.
    if let Some(not_after) = result.tls.as_ref().and_then(|t| t.leaf_not_after) {
        let now = Timestamp::now().as_second();
        result.certificate_expires_in_s = Some((not_after - now) as f64);
    }
    if result.reason.is_some() && !result.answered {
        return result;
    }

    // Health body.
    if let (Some(body), Some(headers)) = (&observation_body, &headers) {
        let declared = headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.to_ascii_lowercase()
                    .starts_with("application/health+json")
            });
        let parse = match spec.health {
            HealthMode::Always => true,
            HealthMode::Auto => declared,
            HealthMode::Never => false,
        };
        if parse {
            result.health = parse_health(body);
        }
    }

    // Conditions.
    observation.status = result.status;
    observation.response_time = Some(Duration::from_micros(result.latency_us));
    observation.body = observation_body.as_deref();
    observation.headers = headers.as_ref();
    observation.certificate_expires_in = result.certificate_expires_in_s;
    if observation.ip.is_none() {
        observation.ip = result
            .peer
            .as_ref()
            .and_then(|p| p.parse::<std::net::SocketAddr>().ok())
            .map(|a| a.ip().to_string());
    }
    if result.status.is_some() {
        observation.connected = true;
    }
    let mut first_failure: Option<(String, String)> = None;
    for (index, condition) in spec.conditions.iter().enumerate() {
        let outcome = condition.evaluate(&observation);
        let (passed, error, observed) = match outcome {
            Outcome::Pass => (true, None, None),
            Outcome::Fail { observed } => (false, None, Some(observed)),
            Outcome::Error { message } => (false, Some(message), None),
        };
        if !passed && first_failure.is_none() {
            let message = match (&error, &observed) {
                (Some(error), _) => format!("{condition}: error: {error}"),
                (None, Some(observed)) => format!("{condition}: observed {observed}"),
                _ => condition.to_string(),
            };
            first_failure = Some((format!("condition:{}", index + 1), message));
        }
        result.conditions.push(ConditionResult {
            condition: condition.to_string(),
            passed,
            error,
            observed,
        });
    }
    if result.reason.is_some() {
        return result;
    }
    if let Some((reason, message)) = first_failure {
        result.reason = Some(reason);
        result.message = Some(message);
        return result;
    }
    if spec.conditions.is_empty() {
        if let Some(status) = result.status {
            if status >= 400 {
                result.reason = Some("status".into());
                result.message = Some(format!("HTTP {status}"));
                return result;
            }
        }
        if let (Some(rcode), Some(query)) = (&result.rcode, &spec.dns)
            && rcode != "NOERROR"
        {
            result.reason = Some("dns".into());
            result.message = Some(format!(
                "{rcode} for {} {} from {}",
                spec.target.host, query.record_type, query.resolver
            ));
            return result;
        }
        if spec.target.scheme == Scheme::Dns && observation.dns_answers == Some(0) {
            result.reason = Some("dns".into());
            result.message = Some(match &spec.dns {
                Some(query) => format!("no {} record for {}", query.record_type, spec.target.host),
                None => "no addresses".into(),
            });
            return result;
        }
    }
    if let Some(health) = &result.health {
        if health.status == HealthStatus::Fail {
            result.reason = Some("health_fail".into());
            result.message = Some(if health.failing_checks.is_empty() {
                "health status fail".to_string()
            } else {
                format!(
                    "health status fail; failing checks: {}",
                    health.failing_checks.join(", ")
                )
            });
            return result;
        }
    }
    result.success = true;
    result
}

/// Records a conversation's outcome on the attempt; returns the answer for `[BODY]`
/// conditions.
fn conversation_outcome(
    spec: &ProbeSpec,
    result: &mut Attempt,
    answer: Result<Vec<u8>, ConversationError>,
) -> Option<Vec<u8>> {
    let expect = spec.conversation.expect.as_ref();
    match answer {
        Ok(received) => {
            if let Some(found) = expect.and_then(|e| e.find(&received)) {
                result.expect_match = Some(excerpt(found.as_bytes()));
            }
            if expect.is_some() {
                result.body_sha256 = Some(sha256_hex(&received));
            }
            Some(received)
        }
        Err(ConversationError::Io(error)) => {
            result.fail_net(&NetError::Reset(error.to_string()));
            None
        }
        Err(ConversationError::NoMatch { received, ended }) => {
            result.success = false;
            result.reason = Some("expect".into());
            result.message = Some(format!(
                "no match for `{}`: {ended} after {} bytes: \"{}\"",
                expect.map(|e| e.as_str()).unwrap_or_default(),
                received.len(),
                excerpt(&received)
            ));
            result.body_sha256 = Some(sha256_hex(&received));
            None
        }
    }
}

/// A watch window.
#[derive(Debug, Clone, Copy)]
pub struct WatchPlan {
    pub window: Duration,
    pub interval: Duration,
    /// Start-up budget: failed attempts scheduled within it and before the first success are
    /// recorded as `warmup` and left out of availability, latency and outages (a service
    /// that is still starting is not down). Zero for none.
    pub warmup: Duration,
}

impl WatchPlan {
    /// Checks the bounds; returns the number of attempts the plan schedules.
    pub fn validate(&self) -> Result<u64, String> {
        if self.window > MAX_WINDOW {
            return Err(format!(
                "the watch window is at most {}h",
                MAX_WINDOW.as_secs() / 3600
            ));
        }
        if self.interval < MIN_INTERVAL {
            return Err(format!(
                "the interval is at least {}ms",
                MIN_INTERVAL.as_millis()
            ));
        }
        if self.window.is_zero() {
            return Err("the watch window must be longer than 0".into());
        }
        let n = self.window.as_nanos().div_ceil(self.interval.as_nanos()) as u64;
        if n > MAX_ATTEMPTS {
            return Err(format!(
                "{n} attempts is more than {MAX_ATTEMPTS}; use a longer interval"
            ));
        }
        Ok(n)
    }
}

/// All attempts of a run.
#[derive(Debug, Clone)]
pub struct ProbeRun {
    pub started_at: Timestamp,
    pub plan: Option<WatchPlan>,
    pub attempts: Vec<Attempt>,
}

/// Runs once (`plan` = `None`) or over a watch window. `on_attempt` sees each attempt as it
/// finishes (for progress output).
pub async fn watch(
    spec: &ProbeSpec,
    policy: &HostPolicy,
    tls: &TlsSettings,
    plan: Option<WatchPlan>,
    mut on_attempt: impl FnMut(&Attempt),
) -> Result<ProbeRun, String> {
    let n_attempts = match &plan {
        Some(plan) => plan.validate()?,
        None => 1,
    };
    let interval = plan.map(|p| p.interval).unwrap_or_default();
    let started_at = Timestamp::now();
    let start = tokio::time::Instant::now();
    let mut attempts = Vec::with_capacity(n_attempts.min(10_000) as usize);
    let warmup = plan.map(|p| p.warmup).unwrap_or_default();
    let mut seen_success = false;
    for k in 0..n_attempts {
        let offset = interval * u32::try_from(k).expect("bounded by MAX_ATTEMPTS");
        let scheduled = start + offset;
        tokio::time::sleep_until(scheduled).await;
        let scheduled_at = started_at
            .checked_add(jiff::SignedDuration::try_from(offset).expect("bounded"))
            .unwrap_or(started_at);
        let result = attempt(
            spec,
            policy,
            tls,
            scheduled.into_std(),
            offset,
            scheduled_at,
        )
        .await;
        let mut result = result;
        if !seen_success && !result.success && offset < warmup {
            result.warmup = true;
        }
        seen_success |= result.success;
        on_attempt(&result);
        attempts.push(result);
    }
    Ok(ProbeRun {
        started_at,
        plan,
        attempts,
    })
}

/// A run of failed attempts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Outage {
    pub start: Timestamp,
    pub end: Timestamp,
    pub start_offset_s: f64,
    pub end_offset_s: f64,
    pub duration_s: f64,
    pub failed_attempts: u64,
    pub reasons: Vec<String>,
    /// Still failing when the window ended.
    pub ongoing: bool,
}

/// Consecutive failures as intervals `[first failure's scheduled time, next success's)`.
pub fn outages(run: &ProbeRun) -> Vec<Outage> {
    let window_end_offset = match run.plan {
        Some(plan) => plan.window.as_secs_f64(),
        None => run
            .attempts
            .last()
            .map(|a| a.offset_ms / 1e3 + a.latency_us as f64 / 1e6)
            .unwrap_or(0.0),
    };
    let at = |offset_s: f64| {
        run.started_at
            .checked_add(jiff::SignedDuration::from_secs_f64(offset_s))
            .unwrap_or(run.started_at)
    };
    let mut result = Vec::new();
    let mut current: Option<Outage> = None;
    for attempt in run.attempts.iter().filter(|a| !a.warmup) {
        let offset_s = attempt.offset_ms / 1e3;
        if attempt.success {
            if let Some(mut outage) = current.take() {
                outage.end = attempt.scheduled_at;
                outage.end_offset_s = offset_s;
                outage.duration_s = offset_s - outage.start_offset_s;
                result.push(outage);
            }
        } else {
            let outage = current.get_or_insert_with(|| Outage {
                start: attempt.scheduled_at,
                end: attempt.scheduled_at,
                start_offset_s: offset_s,
                end_offset_s: offset_s,
                duration_s: 0.0,
                failed_attempts: 0,
                reasons: Vec::new(),
                ongoing: false,
            });
            outage.failed_attempts += 1;
            if let Some(reason) = &attempt.reason {
                if !outage.reasons.contains(reason) {
                    outage.reasons.push(reason.clone());
                }
            }
        }
    }
    if let Some(mut outage) = current.take() {
        outage.end_offset_s = window_end_offset.max(outage.start_offset_s);
        outage.end = at(outage.end_offset_s);
        outage.duration_s = outage.end_offset_s - outage.start_offset_s;
        outage.ongoing = true;
        result.push(outage);
    }
    result
}

/// One phase of a drill that ran while the probe watched, in wall-clock time (the one type
/// every engine gets its phases in).
pub use gonogo_core::catalog::PhaseWindow;

/// Consecutive successful attempts that make a recovery (`recovery.PHASE.seconds`).
pub const RECOVERY_SUSTAIN: usize = 3;

/// Adds availability (and latency, when attempts were answered) per drill phase to `record`:
/// `[before]` the first phase began, `[during:NAME]` each phase (an attempt counts in every
/// phase its scheduled start falls in), `[after]` the last phase ended. Attempts are placed by
/// their scheduled start; warm-up attempts are left out as in the whole-run figures; a phase
/// without an attempt has no figure.
pub fn add_phases(record: &mut Evidence, name: &str, run: &ProbeRun, phases: &[PhaseWindow]) {
    let (Some(first), Some(last)) = (
        phases.iter().map(|p| p.start).min(),
        phases.iter().map(|p| p.end).max(),
    ) else {
        return;
    };
    // (suffix, from, until): `from <= t < until`, an open end where `None`.
    let mut windows = vec![
        ("before".to_owned(), None, Some(first)),
        ("after".to_owned(), Some(last), None),
    ];
    for phase in phases {
        windows.push((
            format!("during:{}", phase.name),
            Some(phase.start),
            Some(phase.end),
        ));
    }
    // Recovery: from a phase's end to the first of RECOVERY_SUSTAIN consecutive successes
    // scheduled at or after it (quantised at the interval). Detection: from a phase's start
    // to the first of RECOVERY_SUSTAIN consecutive failures that begins inside the phase (a
    // readiness check that reports the outage, and keeps reporting it). Never recovered or
    // never noticed within the watch: no figure, so the gate is missing evidence, never a pass.
    let counted: Vec<&Attempt> = run.attempts.iter().filter(|a| !a.warmup).collect();
    for phase in phases {
        let figures = [
            (
                "recovery",
                phase.end,
                sustained_from(&counted, phase.end, true),
                "succeeded",
                "probe.recovery",
            ),
            (
                "detection",
                phase.start,
                sustained_from(&counted, phase.start, false).filter(|at| *at < phase.end),
                "failed",
                "probe.detection",
            ),
        ];
        for (figure, since, at, what, code) in figures {
            if let Some(at) = at {
                let seconds = at.duration_since(since).as_secs_f64().max(0.0);
                record.insert(
                    format!("{figure}.{}.seconds", phase.name),
                    Metric::value(seconds, Unit::parse("s")).with_coded_note(
                        format!(
                            "probe {name}: {RECOVERY_SUSTAIN} attempts in a row {what} from then on"
                        ),
                        NoteCode::new(code)
                            .arg("probe", name)
                            .arg("count", RECOVERY_SUSTAIN),
                    ),
                );
            }
        }
    }
    for (suffix, from, until) in windows {
        let inside =
            |t: Timestamp| from.is_none_or(|from| from <= t) && until.is_none_or(|until| t < until);
        let attempts: Vec<&Attempt> = run
            .attempts
            .iter()
            .filter(|a| !a.warmup && inside(a.scheduled_at))
            .collect();
        let n = attempts.len() as u64;
        if n == 0 {
            continue;
        }
        let k = attempts.iter().filter(|a| a.success).count() as u64;
        record.insert(
            format!("probe.{name}.availability[{suffix}]"),
            Metric::ratio(
                Ratio::new(k, n).expect("successes <= attempts"),
                Unit::count("probes"),
            ),
        );
        let mut histogram = latency_histogram();
        for attempt in attempts.iter().filter(|a| a.answered) {
            histogram.saturating_record(attempt.latency_us.max(1));
        }
        if !histogram.is_empty() {
            record.insert(
                format!("probe.{name}.latency[{suffix}]"),
                Metric::distribution(histogram, Unit::parse("us")),
            );
        }
    }
}

/// When the first run of [`RECOVERY_SUSTAIN`] consecutive attempts scheduled at or after
/// `from` that all succeeded (`success`) or all failed began.
fn sustained_from(counted: &[&Attempt], from: Timestamp, success: bool) -> Option<Timestamp> {
    let after: Vec<&&Attempt> = counted.iter().filter(|a| a.scheduled_at >= from).collect();
    after
        .windows(RECOVERY_SUSTAIN)
        .find(|run| run.iter().all(|a| a.success == success))
        .map(|run| run[0].scheduled_at)
}

/// The `probe` evidence of a run.
pub fn evidence(spec: &ProbeSpec, run: &ProbeRun) -> Evidence {
    let counted = || run.attempts.iter().filter(|a| !a.warmup);
    let n_attempts = counted().count() as u64;
    let n_warmup = run.attempts.len() as u64 - n_attempts;
    let n_successes = counted().filter(|a| a.success).count() as u64;
    let canonical = serde_json::json!({
        "url": spec.target.url,
        "conditions": spec.conditions.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "send_sha256": (!spec.conversation.send.is_empty()).then(|| sha256_hex(&spec.conversation.send)),
        "expect": spec.conversation.expect.as_ref().map(|e| e.as_str()),
        "dns": spec.dns.map(|q| format!("{} {} tcp={}", q.resolver, q.record_type, q.tcp)),
        "window_ms": run.plan.map(|p| p.window.as_millis() as u64),
        "warmup_ms": run.plan.map(|p| p.warmup.as_millis() as u64),
        "interval_ms": run.plan.map(|p| p.interval.as_millis() as u64),
        "attempts": run.attempts.iter().map(|a| serde_json::json!({
            "offset_ms": a.offset_ms, "success": a.success, "warmup": a.warmup, "reason": a.reason,
            "status": a.status, "body_sha256": a.body_sha256,
        })).collect::<Vec<_>>(),
    });
    let mut record = Evidence::new(
        "probe",
        Source::Url(spec.target.url.clone()),
        sha256_hex(canonical.to_string().as_bytes()),
        run.started_at,
        Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
    );
    let name = &spec.name;
    record.insert(
        format!("probe.{name}.availability"),
        Metric::ratio(
            Ratio::new(n_successes, n_attempts).expect("successes <= attempts"),
            Unit::count("probes"),
        ),
    );
    let mut histogram = latency_histogram();
    for attempt in counted().filter(|a| a.answered) {
        histogram.saturating_record(attempt.latency_us.max(1));
    }
    if !histogram.is_empty() {
        record.insert(
            format!("probe.{name}.latency"),
            Metric::distribution(histogram, Unit::parse("us")).with_coded_note(
                "attempts that got an answer; latency from each attempt's scheduled start",
                NoteCode::new("probe.latency"),
            ),
        );
    }
    if let Some(seconds) = run
        .attempts
        .iter()
        .rev()
        .find_map(|a| a.certificate_expires_in_s)
    {
        record.insert(
            format!("probe.{name}.cert_expiry"),
            Metric::value(seconds / 86400.0, Unit::parse("d")),
        );
    }
    let outages = outages(run);
    let downtime: f64 = outages.iter().map(|o| o.duration_s).sum();
    let longest = outages.iter().map(|o| o.duration_s).fold(0.0, f64::max);
    let mut failures_by_reason: BTreeMap<String, u64> = BTreeMap::new();
    for attempt in counted().filter(|a| !a.success) {
        *failures_by_reason
            .entry(attempt.reason.clone().unwrap_or_else(|| "unknown".into()))
            .or_default() += 1;
    }
    let conditions: Vec<serde_json::Value> = spec
        .conditions
        .iter()
        .enumerate()
        .map(|(index, condition)| {
            let results = counted().filter_map(|a| a.conditions.get(index));
            let (mut passed, mut failed, mut errors) = (0u64, 0u64, 0u64);
            let mut last_failure = None;
            for result in results {
                if result.passed {
                    passed += 1;
                } else if result.error.is_some() {
                    errors += 1;
                    last_failure = result.error.clone();
                } else {
                    failed += 1;
                    last_failure = result.observed.clone();
                }
            }
            serde_json::json!({
                "condition": condition.to_string(), "passed": passed, "failed": failed,
                "errors": errors, "last_failure": last_failure,
            })
        })
        .collect();
    const MAX_LOGGED: usize = 500;
    let log: Vec<serde_json::Value> = run
        .attempts
        .iter()
        .take(MAX_LOGGED)
        .map(|a| {
            serde_json::json!({
                "offset_ms": (a.offset_ms * 1000.0).round() / 1000.0,
                "success": a.success, "warmup": a.warmup, "reason": a.reason, "message": a.message,
                "status": a.status, "latency_us": a.latency_us, "peer": a.peer,
                "redirect_to": a.redirect_to, "expect_match": a.expect_match,
                "rcode": a.rcode, "answers": a.answers,
            })
        })
        .collect();
    let last = run.attempts.last();
    record.details = serde_json::json!({
        "target": spec.target.url,
        "attempts": n_attempts,
        "successes": n_successes,
        "warmup_attempts": n_warmup,
        "window_s": run.plan.map(|p| p.window.as_secs_f64()),
        "interval_s": run.plan.map(|p| p.interval.as_secs_f64()),
        "failures_by_reason": failures_by_reason,
        "outages": outages,
        "downtime_s": downtime,
        "longest_outage_s": longest,
        "conditions": conditions,
        "expect": spec.conversation.expect.as_ref().map(|e| e.as_str()),
        "dns": spec.dns.map(|q| serde_json::json!({
            "resolver": q.resolver.to_string(), "type": q.record_type.to_string(), "tcp": q.tcp,
        })),
        "tls": last.and_then(|a| a.tls.clone()),
        "health": last.and_then(|a| a.health.clone()),
        "attempt_log": log,
        "attempt_log_truncated": run.attempts.len() > MAX_LOGGED,
    });
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt_at(offset_s: f64, success: bool) -> Attempt {
        let mut attempt = Attempt::new(
            Duration::from_secs_f64(offset_s),
            Timestamp::UNIX_EPOCH
                .checked_add(jiff::SignedDuration::from_secs_f64(offset_s))
                .unwrap(),
        );
        attempt.success = success;
        if !success {
            attempt.reason = Some("connect_refused".into());
        }
        attempt
    }

    #[test]
    fn availability_is_split_by_drill_phase() {
        let at = |s: i64| Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_secs(s);
        // One attempt a second for 10 s; the dependency is down from 3 s to 6 s, and the
        // probe fails at 3, 4, 5 and 6 (one late), passes elsewhere.
        let mut run = ProbeRun {
            started_at: at(0),
            plan: None,
            attempts: (0..10)
                .map(|s| attempt_at(s as f64, !(3..=6).contains(&s)))
                .collect(),
        };
        for attempt in &mut run.attempts {
            attempt.answered = attempt.success;
            attempt.latency_us = 1000;
        }
        run.attempts[0].warmup = true;
        let mut record = Evidence::new(
            "probe",
            Source::Url("tcp://127.0.0.1:1".into()),
            sha256_hex(b"x"),
            at(0),
            Tool::new("gonogo", "0"),
        );
        let phases = [PhaseWindow {
            name: "redis-down".into(),
            start: at(3),
            end: at(6),
        }];
        add_phases(&mut record, "ready", &run, &phases);
        let ratio = |name: &str| {
            let r = record.metrics[name].value.as_ratio().unwrap();
            (r.k, r.n)
        };
        // Before: 1 and 2 (0 is warm-up); during: 3, 4, 5; after: 6 to 9.
        assert_eq!(ratio("probe.ready.availability[before]"), (2, 2));
        assert_eq!(ratio("probe.ready.availability[during:redis-down]"), (0, 3));
        assert_eq!(ratio("probe.ready.availability[after]"), (3, 4));
        assert!(record.metrics.contains_key("probe.ready.latency[after]"));
        // Nothing answered during the outage: no latency for that phase.
        assert!(
            !record
                .metrics
                .contains_key("probe.ready.latency[during:redis-down]")
        );
        for name in record.metrics.keys() {
            assert!(
                gonogo_core::catalog::Catalog::new(&[crate::METRICS])
                    .lookup(name)
                    .is_some(),
                "{name}"
            );
        }
        // Failures until 6, successes from 7 on: recovered 1 s after the fault's end (6 s).
        let recovery = &record.metrics["recovery.redis-down.seconds"].value;
        assert!(
            matches!(recovery, gonogo_core::evidence::MetricValue::Value(v) if *v == 1.0),
            "{recovery:?}"
        );
        // A fault that ends with too few attempts after it to sustain: no figure.
        let mut late = record.clone();
        late.metrics.remove("recovery.redis-down.seconds");
        let late_phase = [PhaseWindow {
            name: "redis-down".into(),
            start: at(3),
            end: at(8),
        }];
        add_phases(&mut late, "ready", &run, &late_phase);
        assert!(!late.metrics.contains_key("recovery.redis-down.seconds"));
        // Failures at 3, 4, 5 from the fault's start at 3: noticed at once (0 s).
        let detection = &record.metrics["detection.redis-down.seconds"].value;
        assert!(
            matches!(detection, gonogo_core::evidence::MetricValue::Value(v) if *v == 0.0),
            "{detection:?}"
        );
        // No phases: nothing added.
        let before = record.metrics.len();
        add_phases(&mut record, "other", &run, &[]);
        assert_eq!(record.metrics.len(), before);
    }

    /// Issue 22: a readiness check that never reports the outage (it stays 200, as the weak
    /// demo's does) has no detection figure, so a gate on it is missing evidence, never a pass;
    /// one failure in a row is not a detection, and a late one counts from the fault's start.
    #[test]
    fn detection_needs_sustained_failures_that_begin_during_the_fault() {
        let at = |s: i64| Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_secs(s);
        let run_of = |failing: &[i64]| ProbeRun {
            started_at: at(0),
            plan: None,
            attempts: (0..12)
                .map(|s| attempt_at(s as f64, !failing.contains(&s)))
                .collect(),
        };
        let phases = [PhaseWindow {
            name: "down".into(),
            start: at(3),
            end: at(8),
        }];
        let detected = |failing: &[i64]| {
            let mut record = Evidence::new(
                "probe",
                Source::Url("tcp://127.0.0.1:1".into()),
                sha256_hex(b"x"),
                at(0),
                Tool::new("gonogo", "0"),
            );
            add_phases(&mut record, "ready", &run_of(failing), &phases);
            record
                .metrics
                .get("detection.down.seconds")
                .map(|m| match m.value {
                    gonogo_core::evidence::MetricValue::Value(v) => v,
                    ref other => panic!("{other:?}"),
                })
        };
        assert_eq!(detected(&[]), None, "never noticed");
        assert_eq!(detected(&[4, 6]), None, "no three failures in a row");
        assert_eq!(detected(&[5, 6, 7]), Some(2.0));
        // Failures that begin after the fault ended are not a detection of it.
        assert_eq!(detected(&[8, 9, 10]), None);
        // Failures before the fault (a flaky check) do not count as noticing it early.
        assert_eq!(detected(&[0, 1, 2]), None);
    }

    #[test]
    fn send_escapes_become_bytes() {
        assert_eq!(unescape_send("PING\\r\\n").unwrap(), b"PING\r\n");
        assert_eq!(unescape_send("a\\\\b\\x1b\\0").unwrap(), b"a\\b\x1b\0");
        assert_eq!(unescape_send("héllo").unwrap(), "héllo".as_bytes());
        assert!(
            unescape_send("\\q")
                .unwrap_err()
                .contains("`\\q` is not an escape")
        );
        assert!(
            unescape_send("\\x1")
                .unwrap_err()
                .contains("two hex digits")
        );
        assert!(
            unescape_send("end\\")
                .unwrap_err()
                .contains("lone backslash")
        );
    }

    #[test]
    fn outages_run_from_first_failure_to_next_success() {
        let run = ProbeRun {
            started_at: Timestamp::UNIX_EPOCH,
            plan: Some(WatchPlan {
                window: Duration::from_secs(6),
                interval: Duration::from_secs(1),
                warmup: Duration::ZERO,
            }),
            attempts: vec![
                attempt_at(0.0, true),
                attempt_at(1.0, false),
                attempt_at(2.0, false),
                attempt_at(3.0, true),
                attempt_at(4.0, true),
                attempt_at(5.0, false),
            ],
        };
        let outages = outages(&run);
        assert_eq!(outages.len(), 2);
        assert_eq!(
            (outages[0].start_offset_s, outages[0].end_offset_s),
            (1.0, 3.0)
        );
        assert_eq!(outages[0].failed_attempts, 2);
        assert!(!outages[0].ongoing);
        assert_eq!(
            (outages[1].start_offset_s, outages[1].end_offset_s),
            (5.0, 6.0)
        );
        assert!(outages[1].ongoing);
        let spec = ProbeSpec::new("web", Target::parse("http://127.0.0.1:1/").unwrap());
        let record = evidence(&spec, &run);
        assert_eq!(
            record.metrics["probe.web.availability"].value.as_ratio(),
            Ratio::new(3, 6)
        );
        assert_eq!(record.details["longest_outage_s"], 2.0);
    }

    #[test]
    fn watch_plans_are_bounded() {
        let plan = WatchPlan {
            window: Duration::from_secs(3),
            interval: Duration::from_millis(100),
            warmup: Duration::ZERO,
        };
        assert_eq!(plan.validate(), Ok(30));
        assert!(
            WatchPlan {
                window: Duration::from_secs(25 * 3600),
                interval: Duration::from_secs(5),
                warmup: Duration::ZERO,
            }
            .validate()
            .is_err()
        );
        assert!(
            WatchPlan {
                window: Duration::from_secs(3600),
                interval: Duration::from_millis(10),
                warmup: Duration::ZERO,
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn warmup_failures_before_the_first_success_are_not_counted() {
        let mut attempts = vec![
            attempt_at(0.0, false),
            attempt_at(1.0, false),
            attempt_at(2.0, true),
            attempt_at(3.0, false),
            attempt_at(4.0, true),
        ];
        attempts[0].warmup = true;
        attempts[1].warmup = true;
        let run = ProbeRun {
            started_at: Timestamp::UNIX_EPOCH,
            plan: Some(WatchPlan {
                window: Duration::from_secs(5),
                interval: Duration::from_secs(1),
                warmup: Duration::from_secs(3),
            }),
            attempts,
        };
        let record = evidence(
            &ProbeSpec::new("web", Target::parse("http://127.0.0.1:1/").unwrap()),
            &run,
        );
        assert_eq!(
            record.metrics["probe.web.availability"].value.as_ratio(),
            Ratio::new(2, 3)
        );
        assert_eq!(record.details["warmup_attempts"], 2);
        let outages = outages(&run);
        assert_eq!(outages.len(), 1);
        assert_eq!(outages[0].start_offset_s, 3.0);
    }
}
