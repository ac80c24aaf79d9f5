//! The `gonogo load` and `gonogo merge` subcommands: flags, and the glue from flags to engine,
//! summary, evidence file and histogram log.
//!
//! The lead's binary dispatches with one line each: `Command::Load(args) =>
//! gonogo_load::cli::run(args)`, `Command::Merge(args) => gonogo_load::cli::merge(args, catalog)`.
//!
//! Exit codes: 0 the run finished; 1 the run finished but a given `--expect-*` check failed, or
//! no request succeeded at all; 2 the command line is wrong or the target is not allowed; 3 an
//! input (`--body-file`, `--urls`, a merge input) could not be read; 130 the run was stopped
//! with Ctrl-C (results are still written).

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use gonogo_core::limits;

use crate::engine::{Checks, LoadConfig, Model, ProgressSnapshot, StopHandle};
use crate::error_class::ErrorClass;
use crate::histogram_log::{HistogramLogError, Merged};
use crate::http1::RequestTemplate;
use crate::schedule::{Schedule, Share, Stage};
use crate::target::{Scheme, Target};
use crate::url_list::UrlList;

/// Default cap on requests in flight in the open model.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 10_000;

/// Default cap on connections in the open model.
pub const DEFAULT_CONNECTIONS: usize = 64;

/// Generate HTTP load against a service and record the result as evidence.
///
/// Two models:
///
///   closed (default, `--concurrency N`): N connections, each sends its next request when the
///   previous one is answered. Simple and fast, but blind to stalls: while the server stalls,
///   the generator waits too (coordinated omission). The summary says so.
///
///   open (`--rate R`, or `--stage`): requests are due on a schedule whatever the server does,
///   and latency is timed from each request's *intended* start, so a stall shows up in full in
///   the percentiles. Due requests go out on up to `--connections` connections (waiting for
///   a free one if all are busy, which counts as latency). When `--max-in-flight` requests are
///   outstanding, a due request is NOT sent: it is counted as `dropped` (an error class of its
///   own, with no latency).
///
/// Every run is bounded: `--duration` (default 10s) and `--max-requests`; requests in flight at
/// the end get `--timeout` to finish, then the run is cut off. Ctrl-C stops cleanly (a second
/// Ctrl-C at once) and still writes the results.
///
/// Only loopback targets (127.0.0.0/8, ::1, localhost) are allowed unless `--allow-host` names
/// the host.
///
/// Several URLs (`--urls FILE`, HTTP/1.1): one `WEIGHT METHOD URL` line per URL, all on one
/// scheme, host and port; request k goes to the k-th place of a fixed cycle in which each URL
/// comes up as often as its weight, evenly interleaved (open model: k is the arrival; closed
/// model: thread i of T sends k = i, i+T, ...), so any whole number of cycles follows the
/// weights exactly. -H headers go with every URL, --body/--body-file with the methods that take
/// a body (not GET, HEAD, DELETE, OPTIONS, TRACE). The summary, --json and the evidence add
/// figures per URL (`load.<name>.url.<N>.latency` and `.errors`, N = 1 for the first line).
///
/// Results: a summary on stderr, an evidence record of kind `load` in `--evidence-dir`
/// (metrics `load.<name>.latency`, `.errors`, `.status_4xx`, `.status_5xx`, `.rate_limited`,
/// `.dropped`, `.throughput`, `.requests`), `--json` on stdout, `--save-histogram` as an
/// HdrHistogram log. Exit code 0 when the run finished, 1 when a given `--expect-*` check failed
/// or nothing succeeded, 2 for a bad command line or a refused target, 3 for unreadable input
/// (a bad --urls file too), 130 when stopped with Ctrl-C (the results are still written).
///
/// Examples:
///
///   gonogo load http://127.0.0.1:8080/ --concurrency 50 --duration 30s
///
///   gonogo load http://127.0.0.1:8080/api --rate 1000 --duration 1m --name checkout
///
///   gonogo load http://127.0.0.1:8080/ --stage 30s:100 --stage 1m:1000 --stage 30s:0
///
///   gonogo load http://127.0.0.1:8080/orders -m POST -H 'Content-Type: application/json'
///   --body-file order.json --expect-status 201 --max-requests 500
///
///   gonogo load --urls urls.txt --rate 400 --duration 30s --body-file item.json
///
///   where urls.txt holds `WEIGHT METHOD URL` lines (here 3 reads for every write):
///
///   3 GET  http://127.0.0.1:8080/items
///   1 POST http://127.0.0.1:8080/items
///
/// The same struct is a `[load.NAME]` section of a policy (`gonogo run`): its fields are the
/// section's keys (serde), each checked by the flag's own parser, and its JSON Schema is the
/// section's (schemars). The flags that only make sense on a command line (`--name`: the
/// section's name; `--evidence-dir`, `--json`, `--quiet`...) are not keys.
#[derive(Debug, Clone, Args, serde::Deserialize, schemars::JsonSchema)]
#[command(verbatim_doc_comment)]
#[serde(default, deny_unknown_fields)]
#[schemars(
    title = "[load.NAME]",
    description = "A load scenario: `gonogo load`'s flags as keys."
)]
pub struct LoadArgs {
    /// The URL to load: http://, https://, or zmq+tcp://HOST:PORT (ZeroMQ REQ/REP). Or several
    /// with --urls.
    #[arg(required_unless_present = "urls")]
    pub url: Option<String>,

    /// The phases of drills running meanwhile (set by `gonogo run`, not a flag): the record
    /// then also carries its figures per phase (`load.NAME.errors[during:X]`).
    #[arg(skip)]
    #[serde(skip)]
    #[schemars(skip)]
    pub phases: Vec<gonogo_core::catalog::PhaseWindow>,

    /// A detector of leaks in error bodies (set by `gonogo run` during drills, not a flag):
    /// the record then carries `load.NAME.leaks`, per phase too.
    #[arg(skip)]
    #[serde(skip)]
    #[schemars(skip)]
    pub leak_scan: Option<crate::engine::LeakScan>,

    /// Load several URLs with weights, listed in FILE: one `WEIGHT METHOD URL` line each (e.g.
    /// `3 GET http://127.0.0.1:8080/items`), blank lines and `#` comments ignored, all on the
    /// same scheme, host and port. Each URL gets its weight's share of the requests, evenly
    /// interleaved, and figures of its own. HTTP/1.1 or --http2; not zmq+tcp://.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["url", "method"])]
    pub urls: Option<PathBuf>,

    /// `gonogo run` only (not a flag): a path under `[target] base_url`, the URL when `url`
    /// is not given (default `/`).
    #[arg(skip)]
    pub path: Option<String>,

    /// Scenario name: metrics are named `load.<name>.latency` etc.
    #[arg(long, default_value = "default")]
    #[serde(skip)]
    pub name: String,

    /// Closed model: number of connections (default 50 when no --rate/--stage is given).
    #[arg(short = 'c', long, conflicts_with_all = ["rate", "stage"], value_parser = flag_connections)]
    #[serde(deserialize_with = "de::connections_opt")]
    pub concurrency: Option<usize>,

    /// Open model: constant arrival rate in requests per second. With --stage, the rate the
    /// first stage starts from (default 0).
    #[arg(short = 'r', long, value_parser = flag_rate)]
    #[serde(deserialize_with = "de::rate")]
    pub rate: Option<f64>,

    /// Open model, ramping: `DURATION:RATE` ramps linearly to RATE requests/s over DURATION
    /// (repeatable, like k6's ramping-arrival-rate). The run lasts the sum of the stages
    /// (capped by an explicit --duration).
    #[arg(long, value_name = "DURATION:RATE", value_parser = flag_stage)]
    #[serde(rename = "stages", alias = "stage", deserialize_with = "de::stages")]
    pub stage: Vec<String>,

    /// How long to send requests: `500ms`, `10s`, `2m`, `1m30s`.
    #[arg(short = 'd', long, value_parser = flag_load_duration)]
    #[serde(deserialize_with = "de::load_duration")]
    pub duration: Option<String>,

    /// Stop after this many requests (both models; the run still ends at --duration).
    #[arg(short = 'n', long, value_parser = flag_max_requests)]
    #[serde(deserialize_with = "de::max_requests")]
    pub max_requests: Option<u64>,

    /// Open model: at most this many requests outstanding (waiting for a connection or being
    /// sent); due requests beyond it are dropped (never sent) and counted as `dropped`.
    #[arg(long, default_value_t = DEFAULT_MAX_IN_FLIGHT, value_parser = flag_max_in_flight)]
    #[serde(deserialize_with = "de::max_in_flight")]
    pub max_in_flight: usize,

    /// Open model: at most this many connections, opened only as needed (~10 KiB each). When all
    /// are busy, due requests wait for one, and the wait counts as latency; the summary shows
    /// the service time beside it, so a generator short of connections is visible.
    #[arg(long, default_value_t = DEFAULT_CONNECTIONS, value_parser = flag_connections)]
    #[serde(deserialize_with = "de::connections")]
    pub connections: usize,

    /// Worker threads, each with its own event loop (default: the number of CPUs, at most the
    /// concurrency).
    #[arg(long, value_parser = flag_threads)]
    #[serde(deserialize_with = "de::threads")]
    pub threads: Option<usize>,

    /// Open model: the scheduler wakes at most this often. Requests due closer together leave
    /// together, up to this late, and that lateness is part of their latency. Only matters above
    /// 1/resolution requests/s per thread (2,000/s at the default); lower it (`100us`, or `0` for
    /// a wakeup per request) for the most precise latencies at high rates, at some CPU cost.
    #[arg(long, default_value = "500us", value_name = "DURATION")]
    pub timer_resolution: String,

    /// HTTP method (with --urls, each line gives its own).
    #[arg(short = 'm', long, default_value = "GET")]
    pub method: String,

    /// A request header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    #[serde(deserialize_with = "de::texts")]
    pub headers: Vec<String>,

    /// Request body (with --urls, for the methods that take one: not GET, HEAD, DELETE,
    /// OPTIONS, TRACE).
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,

    /// Request body from a file (with --urls, as --body).
    #[arg(long)]
    pub body_file: Option<PathBuf>,

    /// Per-request timeout (connect included); a request that takes longer is a
    /// `request_timeout` and counts its full wait as latency.
    #[arg(long, default_value = "10s", value_parser = flag_timeout)]
    #[serde(deserialize_with = "de::timeout")]
    pub timeout: String,

    /// Connect timeout (a `connect_timeout` error).
    #[arg(long, default_value = "3s", value_parser = flag_timeout)]
    #[serde(deserialize_with = "de::timeout")]
    pub connect_timeout: String,

    /// Accepted statuses (repeatable or comma-separated): `200`, `2xx`, `200-299`. Default:
    /// any status below 400. Others are `http_4xx`/`http_5xx` errors, or `check_failed`.
    #[arg(long, value_delimiter = ',')]
    #[serde(deserialize_with = "de::statuses")]
    pub expect_status: Vec<String>,

    /// The response body must contain this text (else `check_failed`).
    #[arg(long)]
    pub expect_body_contains: Option<String>,

    /// ZeroMQ (`zmq+tcp://`): the reply's first frame must start with this text (else
    /// `check_failed`). The request payload is --body.
    #[arg(long)]
    pub expect_prefix: Option<String>,

    /// Speak HTTP/2: with prior knowledge (h2c) over http://, by ALPN over https://. Each
    /// worker thread multiplexes its requests as streams on one connection.
    #[arg(long)]
    pub http2: bool,

    /// https: also trust the CA certificates in this PEM file (besides Mozilla's roots). The
    /// name `probe`, `observe` and `harden` use too; `--cacert` (curl's) is kept as an alias.
    #[arg(long = "ca-file", visible_alias = "cacert", value_name = "PEM")]
    #[serde(alias = "cacert")]
    pub ca_file: Option<PathBuf>,

    /// https: accept any certificate (self-signed loopback services). Handshake signatures are
    /// still checked.
    #[arg(long)]
    pub insecure: bool,

    /// Allow a non-loopback host (repeatable). Only for services you own.
    #[arg(long, value_name = "HOST")]
    #[serde(skip)]
    pub allow_host: Vec<String>,

    /// Where to write the evidence record; `-` prints it on stdout as the last line (one
    /// JSON line, e.g. for a Kubernetes pod's log).
    #[arg(long, default_value = ".gonogo/evidence")]
    #[serde(skip)]
    pub evidence_dir: PathBuf,

    /// Do not write an evidence record.
    #[arg(long)]
    #[serde(skip)]
    pub no_evidence: bool,

    /// Print the result document (JSON) on stdout.
    #[arg(long)]
    #[serde(skip)]
    pub json: bool,

    /// No summary and no progress on stderr (errors still go there).
    #[arg(short = 'q', long)]
    #[serde(skip)]
    pub quiet: bool,

    /// As `gonogo run` shows a load section: the progress bar on a terminal, then one summary
    /// line (nothing but a refused target's line when stderr is not a terminal).
    #[arg(long, hide = true)]
    #[serde(skip)]
    pub brief: bool,

    /// Write the latency histogram to FILE in the HdrHistogram interval log format.
    #[arg(long, value_name = "FILE")]
    pub save_histogram: Option<PathBuf>,

    /// Run segment I (0-based) of N of the test, N from 1 to 1024 (or k6's `0:1/4` fraction
    /// syntax). Open model: exactly the arrivals k of the whole schedule with k mod N = I, at
    /// their intended times, so N segments on N machines send the one machine's schedule.
    /// Closed model: this segment's part of --concurrency and of --max-requests. `gonogo gate`
    /// judges the segments of one test as one (docs/distributed.md).
    #[arg(long, value_name = "I/N", value_parser = flag_segment)]
    #[serde(deserialize_with = "de::segment")]
    #[schemars(with = "Option<String>")]
    pub segment: Option<Share>,

    /// Start the schedule at this wall-clock instant (RFC 3339, e.g. 2026-12-06T10:00:00Z), so
    /// every segment starts together: waits until then (Ctrl-C stops the wait). Refused more
    /// than a few seconds in the past or more than an hour ahead.
    #[arg(long, value_name = "RFC3339", value_parser = flag_start_at)]
    #[serde(deserialize_with = "de::start_at")]
    #[schemars(with = "Option<String>")]
    pub start_at: Option<jiff::Timestamp>,

    /// The test this segment belongs to (letters, digits, `.`, `_`, `-`; at most 64). Default:
    /// derived from the flags and --start-at, so segments started alike agree.
    #[arg(long, value_name = "ID", value_parser = flag_test_id)]
    #[serde(deserialize_with = "de::test_id")]
    pub test_id: Option<String>,

    /// Diagnostics: write the open model's dispatched arrivals to FILE, one `k offset_ns` line
    /// each (k the arrival index of the whole schedule, offset its intended time since the
    /// start), sorted by k.
    #[arg(long, value_name = "FILE", hide = true)]
    #[serde(skip)]
    pub dump_intended: Option<PathBuf>,
}

impl Default for LoadArgs {
    /// The flags' defaults (clap's, so they are written once): what a `[load.NAME]` section
    /// starts from.
    fn default() -> Self {
        let command = LoadArgs::augment_args(clap::Command::new("load")).ignore_errors(true);
        let matches = command.get_matches_from(["load"]);
        <LoadArgs as clap::FromArgMatches>::from_arg_matches(&matches)
            .expect("every flag without a default is optional")
    }
}

/// The policy's keys, checked by the flags' parsers (`rate = 1e10` is refused as `--rate
/// 1e10` is).
mod de {
    use gonogo_core::settings::{parsed, parsed_many, parsed_opt};
    use serde::Deserializer;

    use crate::schedule::Share;

    macro_rules! checked {
        ($($name:ident: $helper:ident($parser:path) -> $t:ty;)*) => {$(
            pub fn $name<'de, D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                $helper(d, $parser)
            }
        )*};
    }

    checked! {
        connections_opt: parsed_opt(super::flag_connections) -> Option<usize>;
        connections: parsed(super::flag_connections) -> usize;
        rate: parsed_opt(super::flag_rate) -> Option<f64>;
        stages: parsed_many(super::flag_stage) -> Vec<String>;
        load_duration: parsed_opt(super::flag_load_duration) -> Option<String>;
        max_requests: parsed_opt(super::flag_max_requests) -> Option<u64>;
        max_in_flight: parsed(super::flag_max_in_flight) -> usize;
        threads: parsed_opt(super::flag_threads) -> Option<usize>;
        texts: parsed_many(gonogo_core::settings::any_text) -> Vec<String>;
        timeout: parsed(super::flag_timeout) -> String;
        segment: parsed_opt(super::flag_segment) -> Option<Share>;
        start_at: parsed_opt(super::flag_start_at) -> Option<jiff::Timestamp>;
        test_id: parsed_opt(super::flag_test_id) -> Option<String>;
    }

    /// `expect_status = "2xx"`, `["200", "201"]` or `"200,201"` (as the flag's commas).
    pub fn statuses<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let written = texts(d)?;
        Ok(written
            .iter()
            .flat_map(|text| text.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect())
    }
}

/// A bad command line (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The wait for `--start-at` was stopped with Ctrl-C (exit code 130); nothing was sent.
#[derive(Debug, thiserror::Error)]
#[error("stopped while waiting for --start-at; nothing was sent")]
pub struct Interrupted;

/// An input that could not be read (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

// The flags' ranges (gonogo_core::limits), checked by clap before anything runs, so that a
// `[load.NAME]` section (passed as flags by `gonogo run`) is checked the same way, with its
// caret.

fn flag_load_duration(text: &str) -> Result<String, String> {
    let duration = parse_duration(text)?;
    limits::duration_in(duration, Duration::ZERO, limits::MAX_LOAD_DURATION, text)?;
    Ok(text.to_owned())
}

fn flag_timeout(text: &str) -> Result<String, String> {
    let duration = parse_duration(text)?;
    limits::duration_in(duration, limits::MIN_TIMEOUT, limits::MAX_TIMEOUT, text)?;
    Ok(text.to_owned())
}

fn flag_rate(text: &str) -> Result<f64, String> {
    // Zero is the start of a ramp (`--rate 0 --stage 30s:100`); alone it is refused later.
    limits::rate(text, true)
}

fn flag_stage(text: &str) -> Result<String, String> {
    parse_stage(text).map(|_| text.to_owned())
}

fn flag_connections(text: &str) -> Result<usize, String> {
    limits::count_in(text, 1, limits::MAX_CONNECTIONS).map(|n| n as usize)
}

fn flag_max_in_flight(text: &str) -> Result<usize, String> {
    limits::count_in(text, 1, limits::MAX_IN_FLIGHT).map(|n| n as usize)
}

fn flag_threads(text: &str) -> Result<usize, String> {
    limits::count_in(text, 1, limits::MAX_THREADS).map(|n| n as usize)
}

fn flag_segment(text: &str) -> Result<Share, String> {
    Share::parse(text)
}

/// How far in the past `--start-at` may be (a pod scheduled a little late still starts at
/// once), and how far ahead: a start barrier, not a scheduler.
pub const START_AT_PAST_TOLERANCE: Duration = Duration::from_secs(5);
pub const START_AT_MAX_AHEAD: Duration = Duration::from_secs(3600);

fn flag_start_at(text: &str) -> Result<jiff::Timestamp, String> {
    text.trim().parse::<jiff::Timestamp>().map_err(|e| {
        format!("`{text}` is not an RFC 3339 instant (e.g. 2026-12-06T10:00:00Z): {e}")
    })
}

fn flag_test_id(text: &str) -> Result<String, String> {
    if !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}` is not a test id: 1 to 64 letters, digits, `.`, `_` or `-`"
        ))
    }
}

fn flag_max_requests(text: &str) -> Result<u64, String> {
    limits::count_in(text, 1, limits::MAX_REQUESTS)
}

/// Parses `500ms`, `10s`, `2m`, `1h`, `1m30s`: gonogo's one duration syntax
/// ([`gonogo_core::duration`]); a bare number is refused with a hint.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    gonogo_core::duration::parse(text).map_err(|error| error.to_string())
}

/// Parses `200`, `2xx`, `200-299` into an inclusive range.
pub fn parse_status_pattern(text: &str) -> Result<(u16, u16), String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a status pattern (write 200, 2xx or 200-299)");
    if let Some(prefix) = text.strip_suffix("xx").or_else(|| text.strip_suffix("XX")) {
        let class: u16 = prefix.parse().map_err(|_| bad())?;
        if !(1..=5).contains(&class) {
            return Err(bad());
        }
        return Ok((class * 100, class * 100 + 99));
    }
    if let Some((low, high)) = text.split_once('-') {
        let low: u16 = low.trim().parse().map_err(|_| bad())?;
        let high: u16 = high.trim().parse().map_err(|_| bad())?;
        return if (100..=999).contains(&low) && low <= high && high <= 999 {
            Ok((low, high))
        } else {
            Err(bad())
        };
    }
    let status: u16 = text.parse().map_err(|_| bad())?;
    if (100..=999).contains(&status) {
        Ok((status, status))
    } else {
        Err(bad())
    }
}

fn parse_stage(text: &str) -> Result<Stage, String> {
    let (duration, rate) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not a stage: write DURATION:RATE, e.g. 30s:100"))?;
    let duration = parse_duration(duration)
        .and_then(|d| limits::duration_in(d, Duration::ZERO, limits::MAX_LOAD_DURATION, duration))
        .map_err(|e| format!("stage `{text}`: {e}"))?;
    let target_rate = limits::rate(rate, true).map_err(|e| format!("stage `{text}`: {e}"))?;
    Ok(Stage {
        duration,
        target_rate,
    })
}

/// Turns the flags into an engine configuration (and resolves the target).
pub fn build_config(args: &LoadArgs) -> anyhow::Result<LoadConfig> {
    let usage = |message: String| anyhow::Error::new(UsageError(message));
    crate::evidence::validate_name(&args.name).map_err(usage)?;
    let (target, url_list) = match (&args.url, &args.urls) {
        (Some(url), None) => (Target::parse(url).map_err(|e| usage(e.to_string()))?, None),
        (None, Some(path)) => {
            let list = UrlList::read(path)
                .map_err(|e| anyhow::Error::new(InputError(format!("--urls {e}"))))?;
            let first = &list.entries[0];
            if first.target.scheme == Scheme::ZmqTcp {
                return Err(usage(format!(
                    "--urls {}:{}: zmq+tcp:// targets are not supported yet with --urls (a ZeroMQ run sends one payload); give the zmq+tcp:// URL alone",
                    list.path.display(),
                    first.line
                )));
            }
            // Every entry shares the first one's scheme, host and port (the parser checks), so
            // resolving the first below applies the loopback rule to all; check each anyway.
            for entry in &list.entries {
                entry.target.check_allowed(&args.allow_host).map_err(|e| {
                    usage(format!(
                        "--urls {}:{}: {e}",
                        list.path.display(),
                        entry.line
                    ))
                })?;
            }
            (first.target.clone(), Some(list))
        }
        (Some(_), Some(_)) => {
            return Err(usage(
                "give either a URL or --urls FILE, not both".to_owned(),
            ));
        }
        (None, None) => return Err(usage("give a URL to load, or --urls FILE".to_owned())),
    };
    let addresses = target
        .resolve(&args.allow_host)
        .map_err(|e| usage(e.to_string()))?;
    let explicit_duration = args
        .duration
        .as_deref()
        .map(parse_duration)
        .transpose()
        .map_err(usage)?;
    let stages = args
        .stage
        .iter()
        .map(|s| parse_stage(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    let staged = stages.iter().fold(Duration::ZERO, |sum, stage| {
        sum.saturating_add(stage.duration)
    });
    if staged > limits::MAX_LOAD_DURATION {
        return Err(usage(format!(
            "the stages last {}s together: at most {}",
            staged.as_secs(),
            limits::human(limits::MAX_LOAD_DURATION)
        )));
    }
    if let Some(rate) = args.rate {
        if !rate.is_finite() || rate < 0.0 || (rate == 0.0 && stages.is_empty()) {
            return Err(usage(format!(
                "--rate {rate}: the rate must be a positive number of requests per second"
            )));
        }
    }
    let timer_resolution = parse_duration(&args.timer_resolution).map_err(usage)?;
    if timer_resolution > Duration::from_millis(100) {
        return Err(usage(
            "--timer-resolution above 100ms would distort every latency; use at most a few ms"
                .to_owned(),
        ));
    }
    let (model, duration) = if !stages.is_empty() {
        let schedule = Schedule::ramping(args.rate.unwrap_or(0.0), &stages);
        let duration =
            explicit_duration.map_or(schedule.duration(), |d| d.min(schedule.duration()));
        (
            Model::Open {
                schedule,
                max_in_flight: args.max_in_flight.max(1),
                connections: args.connections.max(1),
                timer_resolution,
            },
            duration,
        )
    } else if let Some(rate) = args.rate {
        let duration = explicit_duration.unwrap_or(Duration::from_secs(10));
        (
            Model::Open {
                schedule: Schedule::constant(rate, duration),
                max_in_flight: args.max_in_flight.max(1),
                connections: args.connections.max(1),
                timer_resolution,
            },
            duration,
        )
    } else {
        let concurrency = args.concurrency.unwrap_or(50);
        if concurrency == 0 {
            return Err(usage("--concurrency must be at least 1".to_owned()));
        }
        (
            Model::Closed { concurrency },
            explicit_duration.unwrap_or(Duration::from_secs(10)),
        )
    };
    if duration.is_zero() {
        return Err(usage(
            "the run would last 0s: give a positive --duration".to_owned(),
        ));
    }
    let timeout = parse_duration(&args.timeout).map_err(usage)?;
    let connect_timeout = parse_duration(&args.connect_timeout)
        .map_err(usage)?
        .min(timeout);
    if timeout.is_zero() {
        return Err(usage("--timeout must be positive".to_owned()));
    }
    let mut headers = Vec::with_capacity(args.headers.len());
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| usage(format!("-H `{header}`: write `Name: value`")))?;
        let name = name.trim();
        if name.is_empty()
            || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
            || value.contains(['\r', '\n'])
        {
            return Err(usage(format!("-H `{header}`: not a valid header")));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let method = args.method.to_ascii_uppercase();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(usage(format!(
            "--method `{}` is not an HTTP method",
            args.method
        )));
    }
    let body = match (&args.body, &args.body_file) {
        (Some(body), _) => body.clone().into_bytes(),
        (None, Some(path)) => std::fs::read(path).map_err(|e| {
            anyhow::Error::new(InputError(format!("--body-file {}: {e}", path.display())))
        })?,
        (None, None) => Vec::new(),
    };
    // What each entry sends: a single URL is entry 0; with --urls, each line's method and
    // path, and --body only for the methods that take one.
    let entry_specs: Vec<(&str, &Target, &[u8])> = match &url_list {
        None => vec![(method.as_str(), &target, body.as_slice())],
        Some(list) => list
            .entries
            .iter()
            .map(|entry| {
                let body: &[u8] = if crate::http1::method_takes_body(&entry.method) {
                    &body
                } else {
                    &[]
                };
                (entry.method.as_str(), &entry.target, body)
            })
            .collect(),
    };
    let requests = entry_specs
        .iter()
        .map(|&(method, entry_target, body)| {
            RequestTemplate::new(
                method,
                &entry_target.authority,
                &entry_target.path_and_query,
                &headers,
                body,
            )
        })
        .collect();
    let expect_status = args
        .expect_status
        .iter()
        .map(|s| parse_status_pattern(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(usage)?;
    let checks = Checks {
        expect_status,
        expect_body_contains: args.expect_body_contains.clone().map(String::into_bytes),
    };
    let zmq = if target.scheme == Scheme::ZmqTcp {
        if args.http2 {
            return Err(usage(
                "--http2 does not apply to zmq+tcp:// targets".to_owned(),
            ));
        }
        Some(crate::zmq::ZmqRequest {
            endpoint: format!("tcp://{}", addresses[0]),
            payload: bytes::Bytes::from(body.clone()),
            expect_prefix: args.expect_prefix.clone().map(String::into_bytes),
        })
    } else {
        if args.expect_prefix.is_some() {
            return Err(usage("--expect-prefix applies to zmq+tcp:// targets; for HTTP use --expect-body-contains".to_owned()));
        }
        None
    };
    let http2 = if args.http2 {
        let mut header_map = http::HeaderMap::new();
        for (name, value) in &headers {
            if name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("connection") {
                continue;
            }
            let name = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| usage(format!("-H `{name}`: {e}")))?;
            let value = http::HeaderValue::from_str(value)
                .map_err(|e| usage(format!("-H value `{value}`: {e}")))?;
            header_map.append(name, value);
        }
        if !header_map.contains_key(http::header::USER_AGENT) {
            header_map.insert(
                http::header::USER_AGENT,
                http::HeaderValue::from_static(concat!("gonogo/", env!("CARGO_PKG_VERSION"))),
            );
        }
        // One request per entry, as for HTTP/1.1.
        let mut requests = Vec::with_capacity(entry_specs.len());
        for &(method, entry_target, body) in &entry_specs {
            let uri: http::Uri = format!(
                "{}://{}{}",
                if entry_target.scheme == Scheme::Https {
                    "https"
                } else {
                    "http"
                },
                entry_target.authority,
                entry_target.path_and_query
            )
            .parse()
            .map_err(|e| usage(format!("`{}`: {e}", entry_target.url)))?;
            let method = http::Method::from_bytes(method.as_bytes())
                .map_err(|e| usage(format!("--method: {e}")))?;
            requests.push(crate::http2::Http2Request {
                method,
                uri,
                headers: header_map.clone(),
                body: bytes::Bytes::copy_from_slice(body),
            });
        }
        Some(requests)
    } else {
        None
    };
    let tls = if target.scheme == Scheme::Https {
        if crate::tls::server_name(&target.host).is_none() {
            return Err(usage(format!(
                "`{}` is not a valid TLS server name",
                target.host
            )));
        }
        let config = crate::tls::client_config(
            args.ca_file.as_deref(),
            args.insecure,
            if args.http2 { &[b"h2"] } else { &[b"http/1.1"] },
        )
        .map_err(|e| match e {
            crate::tls::TlsSetupError::CaFile { .. } => {
                anyhow::Error::new(InputError(e.to_string()))
            }
            other => usage(other.to_string()),
        })?;
        Some(config)
    } else {
        None
    };
    let segment = args.segment.unwrap_or(Share::WHOLE);
    if let Model::Closed { concurrency } = &model {
        if (*concurrency as u64) < segment.count {
            return Err(usage(format!(
                "--segment {segment}: --concurrency {concurrency} cannot be split into {} segments (each needs a connection)",
                segment.count
            )));
        }
        if let Some(max) = args.max_requests.filter(|max| *max < segment.count) {
            return Err(usage(format!(
                "--segment {segment}: --max-requests {max} cannot be split into {} segments",
                segment.count
            )));
        }
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = match (&model, args.threads) {
        (_, Some(0)) => return Err(usage("--threads must be at least 1".to_owned())),
        (_, Some(threads)) => threads,
        (Model::Closed { concurrency }, None) => {
            cpus.min(segment.part(*concurrency as u64) as usize)
        }
        (Model::Open { .. }, None) => cpus,
    };
    Ok(LoadConfig {
        target,
        addresses,
        requests,
        url_list,
        model,
        duration,
        max_requests: args.max_requests,
        timeout,
        connect_timeout,
        checks,
        threads,
        http2,
        zmq,
        tls,
        segment,
        intended_log: args
            .dump_intended
            .as_ref()
            .map(|_| Arc::new(std::sync::Mutex::new(Vec::new()))),
        phases: args.phases.clone(),
        leak_scan: args.leak_scan.clone(),
    })
}

/// Raises the open-files soft limit to the hard limit (each connection is a file descriptor).
fn raise_file_limit() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
    }
}

/// The test id a segment records (`None` when the run is not a segment and no `--test-id` is
/// given): `--test-id`, or derived from what defines the test (target, model, schedule,
/// request, checks, `--start-at`, the number of segments), so segments started alike agree
/// and a run with other flags or another start does not. Header values and the body enter
/// only through a digest.
pub fn test_id(args: &LoadArgs) -> anyhow::Result<Option<String>> {
    if let Some(id) = &args.test_id {
        return Ok(Some(id.clone()));
    }
    let Some(segment) = args.segment else {
        return Ok(None);
    };
    if segment.count > 1 && args.start_at.is_none() {
        return Err(anyhow::Error::new(UsageError(format!(
            "--segment {segment}: give every segment the same --start-at (or --test-id), so their evidence is known to be one test"
        ))));
    }
    let body_digest = match (&args.body, &args.body_file) {
        (Some(body), _) => gonogo_core::evidence::sha256_hex(body.as_bytes()),
        (None, Some(path)) => std::fs::read(path)
            .map(|b| gonogo_core::evidence::sha256_hex(&b))
            .unwrap_or_default(),
        (None, None) => String::new(),
    };
    let urls_digest = args
        .urls
        .as_ref()
        .and_then(|path| std::fs::read(path).ok())
        .map(|b| gonogo_core::evidence::sha256_hex(&b))
        .unwrap_or_default();
    let headers: Vec<String> = args
        .headers
        .iter()
        .map(|h| gonogo_core::evidence::sha256_hex(h.as_bytes()))
        .collect();
    let defining = format!(
        "{:?}",
        (
            (
                &args.url,
                urls_digest,
                &args.name,
                args.concurrency,
                args.rate
            ),
            (&args.stage, &args.duration, args.max_requests, &args.method),
            (
                headers,
                body_digest,
                &args.expect_status,
                &args.expect_body_contains
            ),
            (
                args.http2,
                args.start_at.map(|t| t.to_string()),
                segment.count
            ),
        )
    );
    let digest = gonogo_core::evidence::sha256_hex(defining.as_bytes());
    let name: String = args.name.chars().take(48).collect();
    Ok(Some(format!("{name}-{}", &digest[..12])))
}

/// Maps an error from [`run`]/[`merge`] to its exit code (2 usage, 3 input, else 1).
pub fn exit_code_for(error: &anyhow::Error) -> ExitCode {
    if error.downcast_ref::<UsageError>().is_some() {
        ExitCode::from(2)
    } else if error.downcast_ref::<Interrupted>().is_some() {
        ExitCode::from(130)
    } else if error.downcast_ref::<InputError>().is_some()
        || error.downcast_ref::<HistogramLogError>().is_some()
    {
        ExitCode::from(3)
    } else {
        ExitCode::from(1)
    }
}

/// Everything a `gonogo load` run produced, for callers that do more with it (the binary's
/// future `--threshold` evaluates gates on `evidence` and may override `exit_code`).
pub struct LoadOutcome {
    pub config: LoadConfig,
    pub result: crate::engine::RunResult,
    pub evidence: gonogo_core::evidence::Evidence,
    /// Where the evidence was written (`None` with `--no-evidence`).
    pub evidence_path: Option<PathBuf>,
    /// 0, 1 or 130 as described on [`run`].
    pub exit_code: ExitCode,
}

/// Runs `gonogo load`. Errors carry [`UsageError`] (exit 2) or [`InputError`] (exit 3); see
/// [`exit_code_for`].
pub fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    execute(&args).map(|outcome| outcome.exit_code)
}

/// [`run`], returning the run, its evidence and the exit code it would use.
pub fn execute(args: &LoadArgs) -> anyhow::Result<LoadOutcome> {
    let config = build_config(args)?;
    if args.json && args.evidence_dir.as_os_str() == "-" {
        return Err(anyhow::Error::new(UsageError(
            "--evidence-dir - and --json both print on stdout: choose one".to_owned(),
        )));
    }
    raise_file_limit();
    // Distributed runs: which test this is, the machine's clock against the target's, and
    // the start barrier (docs/distributed.md).
    let test_id = test_id(args)?;
    let clock_offset_ms = test_id
        .as_ref()
        .and_then(|_| crate::clock::offset_ms(&config));
    if let Some(at) = args.start_at {
        let wait = crate::clock::check_start(at, jiff::Timestamp::now())
            .map_err(|e| anyhow::Error::new(UsageError(e)))?;
        if !args.quiet && !wait.is_zero() {
            eprintln!("waiting {:.1} s for --start-at {at}", wait.as_secs_f64());
        }
        if !crate::clock::wait_until(at).context("cannot wait for --start-at")? {
            return Err(anyhow::Error::new(Interrupted));
        }
    }
    let show_progress = !args.quiet && !args.json && std::io::stderr().is_terminal();
    // One board for the process: beside drills, loads and probes each keep a line.
    let progress_bar = show_progress
        .then(|| gonogo_io::progress::Board::stderr().bar(config.duration.as_millis() as u64));
    let stop = StopHandle::new();
    let mut on_progress = |snapshot: ProgressSnapshot| {
        // Under `gonogo run`, SIGINT/SIGTERM ask the whole run to stop: end this load early
        // and keep what it measured (gonogo_io::signals; nothing is installed for `gonogo load`).
        if gonogo_io::signals::stop_requested().is_some() {
            stop.stop();
        }
        if let Some(bar) = &progress_bar {
            bar.set_position(snapshot.elapsed.min(snapshot.planned).as_millis() as u64);
            let rate = snapshot.completed as f64 / snapshot.elapsed.as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{} done, {} errors, {rate:.0}/s",
                snapshot.completed, snapshot.errors
            ));
        }
    };
    let result = crate::engine::run(config.clone(), stop.clone(), true, &mut on_progress)
        .context("the load engine could not start")?;
    drop(progress_bar);
    if let (Some(path), Some(log)) = (&args.dump_intended, &config.intended_log) {
        let mut arrivals = log.lock().map(|l| l.clone()).unwrap_or_default();
        arrivals.sort_unstable();
        let text: String = arrivals
            .iter()
            .map(|(k, offset)| format!("{k} {offset}\n"))
            .collect();
        gonogo_io::atomic::write_atomic(path, text.as_bytes())?;
    }
    let mut record = crate::evidence::to_evidence(&result, &config, &args.name);
    if let Some(test) = test_id {
        record.segment = Some(gonogo_core::segments::SegmentInfo {
            test,
            index: config.segment.index,
            count: config.segment.count,
            started_at: Some(result.started_at),
            elapsed_seconds: Some(result.elapsed.as_secs_f64()),
            clock_offset_ms,
        });
    }
    let mut evidence_path = None;
    let evidence_to_stdout = args.evidence_dir.as_os_str() == "-";
    if !args.no_evidence && !evidence_to_stdout {
        std::fs::create_dir_all(&args.evidence_dir).with_context(|| {
            format!(
                "cannot create the evidence folder {}",
                args.evidence_dir.display()
            )
        })?;
        let path = args
            .evidence_dir
            .join(gonogo_core::wire::suggested_file_name(&record));
        gonogo_io::atomic::write_atomic(
            &path,
            gonogo_core::wire::to_json_pretty(&record).as_bytes(),
        )?;
        evidence_path = Some(path);
    }
    if let Some(path) = &args.save_histogram {
        let start = std::time::SystemTime::UNIX_EPOCH
            + Duration::from_nanos(result.started_at.as_nanosecond().max(0) as u64);
        gonogo_io::atomic::write_atomic_with(path, |mut file| {
            crate::histogram_log::write_log(
                &mut file,
                &result.totals.latency,
                start,
                result.elapsed,
                &args.name,
            )
        })?;
    }
    if args.quiet || args.brief {
        // Quiet (and brief, as under `gonogo run`) still says when nothing listens at the
        // target: the gate will fail on errors, and this says why in words.
        if let Some(line) = crate::summary::refused_line(&result, &config) {
            eprintln!("  load `{}`: {line}", args.name);
        } else if args.brief && !args.quiet && std::io::stderr().is_terminal() {
            eprintln!("  {}", crate::summary::one_line(&result, &args.name));
        }
    } else {
        let mut text = crate::summary::render(&result, &config, &args.name);
        if let Some(path) = &evidence_path {
            text.push_str(&format!("\nevidence      {}\n", path.display()));
        }
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    if args.json {
        let mut document = record.details.clone();
        document["evidence_file"] = evidence_path
            .as_ref()
            .map(|p| p.display().to_string())
            .into();
        let mut stdout = std::io::stdout().lock();
        let written = serde_json::to_writer_pretty(&mut stdout, &document)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(stdout));
        if let Err(error) = written {
            if error.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(error).context("cannot write to stdout");
            }
        }
    }
    if evidence_to_stdout && !args.no_evidence {
        let mut stdout = std::io::stdout().lock();
        let written = writeln!(stdout, "{}", gonogo_core::wire::to_json_line(&record));
        if let Err(error) = written {
            if error.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(error).context("cannot write to stdout");
            }
        }
    }
    let totals = &result.totals;
    let succeeded = totals.n_completed.saturating_sub(
        totals
            .error_counts
            .iter()
            .filter(|(c, _)| **c != ErrorClass::Dropped)
            .map(|(_, n)| n)
            .sum(),
    );
    let checks_given = !config.checks.expect_status.is_empty()
        || config.checks.expect_body_contains.is_some()
        || config
            .zmq
            .as_ref()
            .is_some_and(|z| z.expect_prefix.is_some());
    let check_failures: u64 = [
        ErrorClass::CheckFailed,
        ErrorClass::Http4xx,
        ErrorClass::Http5xx,
        ErrorClass::RateLimited,
    ]
    .into_iter()
    .map(|class| totals.errors_of(class))
    .sum();
    let exit_code = if result.stop_reason == crate::engine::StopReason::Interrupted {
        ExitCode::from(130)
    } else if succeeded == 0 || (checks_given && check_failures > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    Ok(LoadOutcome {
        config,
        result,
        evidence: record,
        evidence_path,
        exit_code,
    })
}

/// Add HdrHistogram interval logs, or load evidence files, exactly.
///
/// All inputs must be of one kind: interval logs (as written by `gonogo load
/// --save-histogram`, wrk2, or HdrHistogram's Java tools; values in microseconds), merged into a
/// one-interval log; or `load` evidence files, merged by the rule of `gonogo merge` into one
/// record whose ratios, histograms and request counts are sums and whose throughput is the
/// requests over the union of the inputs' intervals.
///
/// Examples:
///
///   gonogo merge shard-0.hlog shard-1.hlog shard-2.hlog -o all.hlog
///
///   gonogo merge a/load-default-*.json b/load-default-*.json -o .gonogo/evidence/merged.json
#[derive(Debug, Clone, Args)]
#[command(verbatim_doc_comment)]
pub struct MergeArgs {
    /// Input files (all interval logs, or all load evidence).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,

    /// Output file; for evidence, a directory is also accepted (the usual file name is used).
    #[arg(short = 'o', long)]
    pub output: PathBuf,

    /// Print a one-line JSON summary of the merge on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `gonogo merge`.
pub fn merge(args: MergeArgs, catalog: gonogo_core::catalog::Catalog) -> anyhow::Result<ExitCode> {
    let merged = crate::histogram_log::merge_files(&args.inputs, catalog)?;
    let (path, summary) = match merged {
        Merged::Log {
            histogram,
            intervals,
        } => {
            gonogo_io::atomic::write_atomic_with(&args.output, |mut file| {
                crate::histogram_log::write_log(
                    &mut file,
                    &histogram,
                    std::time::SystemTime::now(),
                    Duration::ZERO,
                    "merged",
                )
            })?;
            let summary = serde_json::json!({
                "kind": "histogram_log",
                "inputs": args.inputs.len(),
                "intervals": intervals,
                "count": histogram.len(),
                "p50_us": histogram.value_at_quantile(0.5),
                "p99_us": histogram.value_at_quantile(0.99),
                "max_us": histogram.max(),
            });
            (args.output.clone(), summary)
        }
        Merged::Evidence(record) => {
            let path = if args.output.is_dir() {
                args.output
                    .join(gonogo_core::wire::suggested_file_name(&record))
            } else {
                args.output.clone()
            };
            gonogo_io::atomic::write_atomic(
                &path,
                gonogo_core::wire::to_json_pretty(&record).as_bytes(),
            )?;
            let summary = serde_json::json!({
                "kind": "evidence",
                "inputs": args.inputs.len(),
                "metrics": record.metrics.keys().collect::<Vec<_>>(),
            });
            (path, summary)
        }
    };
    eprintln!(
        "merged {} file(s) into {}",
        args.inputs.len(),
        path.display()
    );
    if args.json {
        println!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        // Issue 16: one duration syntax everywhere; a bare number is refused with a hint.
        assert_eq!(
            parse_duration("2"),
            Err("`2` needs a unit: write `2s` for seconds or `2ms` for milliseconds".to_owned())
        );
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-1").is_err());
    }

    #[test]
    fn status_patterns() {
        assert_eq!(parse_status_pattern("200"), Ok((200, 200)));
        assert_eq!(parse_status_pattern("2xx"), Ok((200, 299)));
        assert_eq!(parse_status_pattern("200-204"), Ok((200, 204)));
        assert!(parse_status_pattern("9xx").is_err());
        assert!(parse_status_pattern("abc").is_err());
        assert!(parse_status_pattern("300-200").is_err());
    }

    #[test]
    fn stages() {
        assert_eq!(
            parse_stage("30s:100"),
            Ok(Stage {
                duration: Duration::from_secs(30),
                target_rate: 100.0
            })
        );
        assert!(parse_stage("30s").is_err());
        assert!(parse_stage("30s:-1").is_err());
    }
}
