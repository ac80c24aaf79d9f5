//! `gonogo probe`: probe a target once or over a watch window and write `probe` evidence.

use gonogo_core::text::{Inert, inert};
use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, OutputArgs, emit, exit, paint, runtime};
use crate::net::{DnsQuery, HostPolicy, HttpRequest, Scheme, Target, Timeouts, TlsSettings};
use crate::probe::condition::Condition;
use crate::probe::{
    Conversation, HealthMode, ProbeSpec, WatchPlan, default_name, evidence, outages, unescape_send,
    watch,
};

/// Probe an HTTP(S), TCP, TLS or DNS target, once or over a watch window.
///
/// Targets: http://HOST[:PORT]/PATH, https://..., tcp://HOST:PORT, tls://HOST[:PORT],
/// dns://NAME. Loopback is always allowed; any other host needs --allow-host HOST.
///
/// Conditions (Gatus syntax, repeatable; all must hold):
///   [STATUS] == 200                     [STATUS] == any(200, 204)
///   [RESPONSE_TIME] < 300ms             [BODY].status == UP   (JSON path)
///   [HEADER].content-type == pat(application/json*)
///   [CERTIFICATE_EXPIRATION] > 720h     len([BODY].items) > 0
///   has([BODY].error) == false          [BODY] == pat(*ok*)
/// Without conditions an HTTP probe succeeds on a status below 400 (redirects are not
/// followed), TCP on connect, TLS on a verified chain, DNS on at least one address.
/// A TCP or TLS probe can hold a conversation: --send bytes once connected, then read
/// until --expect (a regular expression) matches; what was read is [BODY].
/// A DNS probe asks the system resolver for addresses, or with --resolver that server for
/// any record type (--query-type, --dns-tcp): it succeeds on NOERROR with an answer;
/// [DNS_RCODE] == NXDOMAIN checks that a name does not exist; [BODY] is the answers.
/// An application/health+json body with status "fail" fails the attempt and names the
/// failing checks.
///
/// Examples:
///   gonogo probe http://127.0.0.1:8080/health/ready --condition '[BODY].status == pass'
///   gonogo probe https://127.0.0.1:8443/ --ca-file ca.pem --condition '[CERTIFICATE_EXPIRATION] > 720h'
///   gonogo probe tcp://127.0.0.1:5432 --watch 10m --interval 5s
///   gonogo probe tcp://127.0.0.1:6379 --send 'PING\r\n' --expect '^\+PONG'
///   gonogo probe dns://api.internal.test --resolver 127.0.0.1:5353 --query-type A --condition '[IP] == 127.0.0.7'
///
/// Exit codes: 0 every attempt succeeded; 1 an attempt failed; 2 bad arguments or a host
/// that is not allowed.
///
/// The same struct is a `[[probe]]` section of a policy (`gonogo run`): its fields are the
/// section's keys (serde), each checked by the flag's own parser, and its JSON Schema is the
/// section's (schemars). What only a command line sets (the evidence folder, `--json`, the
/// allowed hosts, which come from `[targets] allow`) is not a key.
#[derive(Debug, Clone, clap::Args, serde::Deserialize, schemars::JsonSchema)]
#[command(verbatim_doc_comment)]
#[serde(default, deny_unknown_fields)]
#[schemars(
    title = "[[probe]]",
    description = "A probe: `gonogo probe`'s flags as keys."
)]
pub struct ProbeArgs {
    /// The target URL.
    #[arg(value_name = "URL")]
    pub url: String,
    /// `gonogo run` only (not a flag): a path under `[target] base_url`, the URL when `url`
    /// is not given (default `/`).
    #[arg(skip)]
    pub path: Option<String>,
    /// The phases of drills running meanwhile (set by `gonogo run`, not a flag): the record
    /// then also carries each metric per phase (`probe.NAME.availability[during:X]`).
    #[arg(skip)]
    #[serde(skip)]
    pub phases: Vec<crate::probe::PhaseWindow>,
    /// The probe's name in metric names (probe.NAME.availability); default: host-port.
    #[arg(long)]
    pub name: Option<String>,
    /// A condition every attempt must meet; repeatable.
    #[arg(long = "condition", value_name = "CONDITION")]
    #[serde(deserialize_with = "de::texts")]
    pub conditions: Vec<String>,
    // `-c` is concurrency in `gonogo load`; here it is refused with a pointer to
    // `--condition` (its short form until issue 16), not taken for something else.
    #[arg(short = 'c', hide = true, value_name = "CONDITION", value_parser = no_short_condition)]
    #[serde(skip)]
    #[schemars(skip)]
    pub short_condition: Option<String>,
    /// Watch for this long (e.g. 10m, 30s, 1h; at most 24h) instead of probing once.
    #[arg(long, value_name = "DURATION", value_parser = super::flag_duration)]
    #[serde(deserialize_with = "de::duration_opt")]
    pub watch: Option<String>,
    /// Time between scheduled attempts while watching (at least 10ms).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = super::flag_duration)]
    #[serde(deserialize_with = "de::duration")]
    pub interval: String,
    /// Start-up budget while watching (e.g. 30s): failed attempts before the first success
    /// and within this time are recorded as warm-up and not counted against availability.
    #[arg(long, value_name = "DURATION", requires = "watch", value_parser = super::flag_duration)]
    #[serde(deserialize_with = "de::duration_opt")]
    pub warmup: Option<String>,
    /// HTTP method.
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// A request header, `Name: value`; repeatable.
    #[arg(long = "header", short = 'H', value_name = "HEADER")]
    #[serde(deserialize_with = "de::texts")]
    pub headers: Vec<String>,
    /// Request body.
    #[arg(long)]
    pub body: Option<String>,
    /// TCP/TLS: bytes to send once connected; escapes \r \n \t \0 \\ \xHH.
    #[arg(long, value_name = "TEXT")]
    pub send: Option<String>,
    /// TCP/TLS: a regular expression the answer must match (read up to 64 KiB until it
    /// does); no match in time fails the attempt with the reason `expect`.
    #[arg(long, value_name = "REGEX")]
    pub expect: Option<String>,
    /// DNS: the resolver to ask, IP[:PORT] (port 53 by default); loopback unless allowed
    /// with --allow-host. Without it the system resolver is asked for addresses.
    #[arg(long, value_name = "ADDRESS")]
    pub resolver: Option<String>,
    /// DNS with --resolver: the record type (A, AAAA, CNAME, MX, TXT, NS, SRV, SOA, PTR, CAA).
    #[arg(long, value_name = "TYPE", default_value = "A", requires = "resolver")]
    pub query_type: String,
    /// DNS with --resolver: ask over TCP instead of UDP (UDP answers marked truncated are
    /// asked again over TCP anyway).
    #[arg(long, requires = "resolver")]
    pub dns_tcp: bool,
    /// Connect timeout.
    #[arg(long, value_name = "DURATION", default_value = "3s", value_parser = super::flag_timeout)]
    #[serde(deserialize_with = "de::timeout")]
    pub connect_timeout: String,
    /// Total timeout of one attempt (a timeout is a failed attempt with reason `timeout`).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = super::flag_timeout)]
    #[serde(deserialize_with = "de::timeout")]
    pub timeout: String,
    /// Parse bodies as application/health+json: auto (by Content-Type), always, never.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    #[serde(deserialize_with = "de::health")]
    pub health: String,
    /// A non-loopback host that may be contacted; repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    #[serde(skip)]
    pub allow_host: Vec<String>,
    /// Extra PEM CA certificates to trust (besides the Mozilla roots).
    #[arg(long = "ca-file", value_name = "PEM")]
    #[serde(deserialize_with = "de::texts")]
    pub ca_file: Vec<String>,
    #[command(flatten)]
    #[serde(skip)]
    pub output: OutputArgs,
}

impl Default for ProbeArgs {
    /// The flags' defaults (clap's, so they are written once): what a `[[probe]]` section
    /// starts from.
    fn default() -> Self {
        use clap::Args as _;
        let command = ProbeArgs::augment_args(clap::Command::new("probe")).ignore_errors(true);
        // The URL is required on a command line; a section gives `url` or `path` instead.
        let matches = command.get_matches_from(["probe", ""]);
        <ProbeArgs as clap::FromArgMatches>::from_arg_matches(&matches)
            .expect("every flag without a default is optional")
    }
}

/// `-c`: always refused (see [`ProbeArgs::short_condition`]'s comment).
fn no_short_condition(_: &str) -> Result<String, String> {
    Err("a probe's condition is `--condition` (`-c` is concurrency in `gonogo load`)".into())
}

/// The policy's keys, checked by the flags' parsers.
mod de {
    use gonogo_core::settings::{parsed, parsed_many, parsed_opt};
    use serde::Deserializer;

    pub fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        parsed_many(d, gonogo_core::settings::any_text)
    }

    pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        parsed(d, super::super::flag_duration)
    }

    pub fn duration_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        parsed_opt(d, super::super::flag_duration)
    }

    pub fn timeout<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        parsed(d, super::super::flag_timeout)
    }

    pub fn health<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        parsed(d, |text| match text {
            "auto" | "always" | "never" => Ok(text.to_owned()),
            _ => Err(format!("`{text}` is not one of auto, always, never")),
        })
    }
}

fn cli_duration(flag: &str, text: &str) -> Result<Duration, String> {
    gonogo_core::duration::parse(text).map_err(|error| format!("--{flag}: {error}"))
}

fn usage(message: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("{} {}", paint("error:", "31"), inert(&message.to_string()));
    Ok(exit(EXIT_USAGE))
}

/// Runs `gonogo probe`.
pub fn run(args: ProbeArgs) -> anyhow::Result<ExitCode> {
    let target = match Target::parse(&args.url) {
        Ok(target) => target,
        Err(error) => return usage(error),
    };
    let policy = HostPolicy::new(args.allow_host.clone());
    // A DNS name asked of a chosen resolver is data, not a host contacted: the resolver is
    // what must be allowed (checked below).
    let asks_a_resolver = target.scheme == Scheme::Dns && args.resolver.is_some();
    if !asks_a_resolver && let Err(error) = policy.check(&target.host) {
        return usage(error);
    }
    let mut conditions = Vec::new();
    for text in &args.conditions {
        match text.parse::<Condition>() {
            Ok(condition) => conditions.push(condition),
            Err(error) => return usage(error),
        }
    }
    let name = args.name.clone().unwrap_or_else(|| default_name(&target));
    if name.is_empty() || name.contains('.') {
        return usage(format!("--name {name:?}: a probe name has no dots"));
    }
    let (connect, total) = match (
        cli_duration("connect-timeout", &args.connect_timeout),
        cli_duration("timeout", &args.timeout),
    ) {
        (Ok(c), Ok(t)) => (c, t),
        (Err(e), _) | (_, Err(e)) => return usage(e),
    };
    let plan = match &args.watch {
        None => None,
        Some(window) => {
            let plan = match (
                cli_duration("watch", window),
                cli_duration("interval", &args.interval),
            ) {
                (Ok(window), Ok(interval)) => WatchPlan {
                    window,
                    interval,
                    warmup: match args.warmup.as_deref().map(|w| cli_duration("warmup", w)) {
                        None => Duration::ZERO,
                        Some(Ok(warmup)) => warmup,
                        Some(Err(e)) => return usage(e),
                    },
                },
                (Err(e), _) | (_, Err(e)) => return usage(e),
            };
            if let Err(error) = plan.validate() {
                return usage(error);
            }
            Some(plan)
        }
    };
    let method = match args.method.parse::<http::Method>() {
        Ok(method) => method,
        Err(_) => return usage(format!("--method {:?} is not an HTTP method", args.method)),
    };
    let mut headers = Vec::new();
    for header in &args.headers {
        match header.split_once(':') {
            Some((name, value)) => {
                headers.push((name.trim().to_string(), value.trim().to_string()))
            }
            None => return usage(format!("--header {header:?}: expected `Name: value`")),
        }
    }
    // Credentials given with --header never reach the console or evidence, even when the
    // server echoes them back (issue 15).
    let mut redactor = gonogo_core::redact::Redactor::new();
    for (name, value) in &headers {
        redactor.add_header(name, value);
    }
    let tls = match TlsSettings::new(&args.ca_file) {
        Ok(tls) => tls,
        Err(error) => return usage(error),
    };
    let conversation = {
        let talks = args.send.is_some() || args.expect.is_some();
        if talks && !matches!(target.scheme, Scheme::Tcp | Scheme::Tls) {
            return usage("--send and --expect apply to tcp:// and tls:// targets");
        }
        let send = match args.send.as_deref().map(unescape_send).transpose() {
            Ok(send) => send.unwrap_or_default(),
            Err(error) => return usage(format!("--send: {error}")),
        };
        let expect = match args
            .expect
            .as_deref()
            .map(regex::bytes::Regex::new)
            .transpose()
        {
            Ok(expect) => expect,
            Err(error) => return usage(format!("--expect is not a regular expression: {error}")),
        };
        Conversation { send, expect }
    };
    let dns = match &args.resolver {
        None => None,
        Some(_) if target.scheme != Scheme::Dns => {
            return usage("--resolver applies to dns:// targets");
        }
        Some(text) => {
            let resolver = match text.parse::<std::net::SocketAddr>() {
                Ok(address) => address,
                Err(_) => match text.parse::<std::net::IpAddr>() {
                    Ok(ip) => std::net::SocketAddr::new(ip, 53),
                    Err(_) => {
                        return usage(format!(
                            "--resolver {text:?}: expected an IP address with an optional port, e.g. 127.0.0.1:5353"
                        ));
                    }
                },
            };
            if let Err(error) = policy.check(&resolver.ip().to_string()) {
                return usage(error);
            }
            let record_type = match args
                .query_type
                .to_ascii_uppercase()
                .parse::<hickory_proto::rr::RecordType>()
            {
                Ok(hickory_proto::rr::RecordType::Unknown(_)) | Err(_) => {
                    return usage(format!(
                        "--query-type {:?} is not a DNS record type (A, AAAA, CNAME, MX, TXT, NS, SRV, SOA, PTR, CAA)",
                        args.query_type
                    ));
                }
                Ok(record_type) => record_type,
            };
            Some(DnsQuery {
                resolver,
                record_type,
                tcp: args.dns_tcp,
            })
        }
    };
    let mut spec = ProbeSpec::new(name, target);
    spec.conversation = conversation;
    spec.dns = dns;
    spec.conditions = conditions;
    spec.timeouts = Timeouts { connect, total };
    spec.request = HttpRequest {
        method,
        headers,
        body: args.body.clone().unwrap_or_default().into(),
    };
    spec.health = match args.health.as_str() {
        "always" => HealthMode::Always,
        "never" => HealthMode::Never,
        _ => HealthMode::Auto,
    };

    let quiet = args.output.json;
    let watching = plan.is_some();
    // A watch window on a terminal shows a live count; a CI log gets the changes only.
    let live = (!quiet && std::io::stderr().is_terminal())
        .then_some(plan.as_ref())
        .flatten()
        .map(|plan| gonogo_io::progress::Board::stderr().bar(plan.window.as_millis() as u64));
    let (mut attempts, mut failed) = (0u64, 0u64);
    let mut previous_success: Option<bool> = None;
    let run = runtime()?.block_on(watch(&spec, &policy, &tls, plan, |attempt| {
        if quiet {
            return;
        }
        attempts += 1;
        failed += u64::from(!attempt.success && !attempt.warmup);
        if let Some(bar) = &live {
            bar.set_position(attempt.offset_ms.max(0.0) as u64);
            bar.set_message(format!(
                "probe `{}`: {attempts} attempts, {failed} failed",
                spec.name
            ));
        }
        let changed = previous_success != Some(attempt.success);
        previous_success = Some(attempt.success);
        if !watching || changed {
            let print = |line: String| match &live {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            };
            let at = format!("+{:.1}s", attempt.offset_ms / 1e3);
            if attempt.success {
                print(format!(
                    "{at} {} {}{:.1}ms",
                    paint("ok", "32"),
                    attempt
                        .status
                        .map(|s| format!("HTTP {s} in "))
                        .unwrap_or_default(),
                    attempt.latency_us as f64 / 1e3
                ));
            } else {
                print(format!(
                    "{at} {} {}: {}",
                    paint("FAIL", "31"),
                    Inert(attempt.reason.as_deref().unwrap_or("unknown")),
                    Inert(&redactor.redact(attempt.message.as_deref().unwrap_or("")))
                ));
            }
        }
    }));
    drop(live);
    let mut run = match run {
        Ok(run) => run,
        Err(error) => return usage(error),
    };
    let redact = |text: &mut Option<String>| {
        if let Some(text) = text
            && let std::borrow::Cow::Owned(redacted) = redactor.redact(text)
        {
            *text = redacted;
        }
    };
    for attempt in &mut run.attempts {
        redact(&mut attempt.message);
        redact(&mut attempt.expect_match);
        for condition in &mut attempt.conditions {
            redact(&mut condition.observed);
            redact(&mut condition.error);
        }
    }
    let mut record = evidence(&spec, &run);
    crate::probe::add_phases(&mut record, &spec.name, &run, &args.phases);
    let n_warmup = run.attempts.iter().filter(|a| a.warmup).count();
    let n_counted = run.attempts.len() - n_warmup;
    let n_successes = run.attempts.iter().filter(|a| a.success).count();
    if !quiet {
        eprintln!(
            "{}: {} of {} attempts succeeded{}",
            spec.target.url,
            n_successes,
            n_counted,
            if n_warmup > 0 {
                format!(" ({n_warmup} warm-up attempts not counted)")
            } else {
                String::new()
            }
        );
        // To the second on a terminal (the evidence keeps full precision).
        let second =
            |at: jiff::Timestamp| jiff::Timestamp::from_second(at.as_second()).unwrap_or(at);
        for outage in outages(&run) {
            eprintln!(
                "  outage {} .. {} ({:.1}s, {} failed attempts: {}){}",
                second(outage.start),
                second(outage.end),
                outage.duration_s,
                outage.failed_attempts,
                inert(&outage.reasons.join(", ")),
                if outage.ongoing {
                    ", still down at the end"
                } else {
                    ""
                }
            );
        }
        if let Some(days) = run.attempts.last().and_then(|a| a.certificate_expires_in_s) {
            eprintln!("  certificate expires in {:.1} days", days / 86400.0);
        }
        if let Some(health) = run.attempts.last().and_then(|a| a.health.as_ref()) {
            if !health.failing_checks.is_empty() {
                eprintln!(
                    "  failing health checks: {}",
                    inert(&health.failing_checks.join(", "))
                );
            }
        }
    }
    let written = emit(&args.output, &[record])?;
    if !quiet {
        for path in written {
            eprintln!("evidence: {}", path.display());
        }
    }
    Ok(exit(if n_successes == n_counted && n_counted > 0 {
        EXIT_OK
    } else {
        EXIT_FAILED
    }))
}
