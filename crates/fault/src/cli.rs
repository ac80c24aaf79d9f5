//! `gonogo fault`: run a drill's proxy from flags. The same struct ([`FaultArgs`]) is a
//! `[[fault]]` section of the policy, read by serde (`listen = "127.0.0.1:6380"` is `--listen
//! 127.0.0.1:6380`, `steps = [...]` repeats `--step`), each value checked by the flag's own
//! parser, its JSON Schema the section's (schemars).
//!
//! The binary dispatches with one line: `Command::Fault(args) => gonogo_fault::cli::run(args)`.
//!
//! Exit codes: 0 the drill ran to its end with the link restored; 2 the command line is wrong,
//! the listen address is not loopback or the dependency is not allowed; 3 the proxy could not
//! listen or follow the timeline; 130/143 stopped by SIGINT/SIGTERM (the link is restored first).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use gonogo_core::limits;

use crate::drill::{self, DrillReport, Event};
use crate::fault::{Direction, FaultKind, Step, Timeline, valid_phase_name};
use crate::proxy::{LinkConfig, Proxy};

/// The longest drill (and the latest any fault may end).
pub const MAX_DRILL: Duration = Duration::from_secs(3600);
/// The longest added latency, jitter or close delay.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// The bandwidth range, bytes per second.
pub const MIN_BANDWIDTH: u64 = 1;
pub const MAX_BANDWIDTH: u64 = 10_000_000_000;
/// The most faults in one drill.
pub const MAX_STEPS: usize = 100;

/// Break one dependency on purpose, on loopback, on a timeline, then restore it.
///
/// The service under test is configured to reach one dependency (Redis, PostgreSQL, an HTTP
/// API) through `--listen`; the proxy forwards to `--upstream` and, at the offsets of each
/// `--step`, injects a fault (toxiproxy's model):
///
///   latency     delay=200ms [jitter=20ms] [direction=downstream|upstream|both]
///   bandwidth   rate=100KB/s [direction=...]        (byte links)
///   reset       connections reset: the client sees ECONNRESET
///   refuse      stop listening: connects see ECONNREFUSED
///   black-hole  accept, read, never answer; such connections close when it ends
///   slow-close  delay=2s: closes reach the other side late (byte links)
///   partition   nothing passes, nothing is lost, until it heals
///   http-error  status=503 share=30%                 (--http links)
///
/// A step is `NAME KIND [KEY=VALUE...] at=START for=DURATION`, e.g.
/// `--step "redis-down reset at=5s for=3s"`; NAME is the phase name gates use
/// (`load.checkout.errors[during:redis-down]`). Faults may overlap.
///
/// Safety: the proxy listens on loopback only; the dependency must be loopback unless
/// `--allow-host` names it; the drill has a hard end (`--duration`, default the last fault's
/// end), at which every fault is cleared and the proxy stops; Ctrl-C restores the link first.
#[derive(Debug, Clone, Args, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(
    title = "[[fault]]",
    description = "A resilience drill on one dependency: `gonogo fault`'s flags as keys."
)]
#[command(after_long_help = "\
Examples:
  gonogo fault --listen 127.0.0.1:6380 --upstream 127.0.0.1:6379 \\
      --step 'redis-slow latency delay=300ms jitter=50ms at=2s for=5s' \\
      --step 'redis-down refuse at=10s for=5s' --duration 20s
  gonogo fault --http --listen 127.0.0.1:8081 --upstream localhost:8080 \\
      --step 'api-errors http-error status=503 share=30% at=0s for=30s'

In the policy, one [[fault]] section per dependency, with the same keys:
  [[fault]]
  name = \"redis\"
  listen = \"127.0.0.1:6380\"
  upstream = \"127.0.0.1:6379\"
  steps = [\"redis-down refuse at=5s for=3s\"]")]
pub struct FaultArgs {
    /// The link's name (for messages and the evidence).
    #[arg(long, default_value = "link", value_parser = phase_name)]
    #[serde(deserialize_with = "de::name")]
    pub name: String,

    /// Where the proxy listens: a loopback address and port (the service's configured
    /// dependency address).
    // Required (`None` only in a section that leaves it out, which its plan refuses).
    #[arg(long, value_name = "ADDR", value_parser = loopback_listen, required = true)]
    #[serde(deserialize_with = "de::listen")]
    #[schemars(with = "Option<String>")]
    pub listen: Option<SocketAddr>,

    /// The dependency: HOST:PORT (loopback unless --allow-host names HOST).
    #[arg(long, value_name = "HOST:PORT")]
    #[serde(deserialize_with = "de::text")]
    pub upstream: String,

    /// An HTTP/1.1 link: relay request by request (needed for http-error).
    #[arg(long)]
    pub http: bool,

    /// A fault: `NAME KIND [KEY=VALUE...] at=START for=DURATION` (repeatable; see above).
    #[arg(long = "step", value_name = "STEP", value_parser = parse_step)]
    #[serde(deserialize_with = "de::steps")]
    #[schemars(with = "Vec<String>")]
    pub steps: Vec<Step>,

    /// The drill's hard end, from its start (default: the last fault's end). At most 1 hour.
    #[arg(long, value_name = "DURATION", value_parser = drill_duration)]
    #[serde(deserialize_with = "de::duration")]
    #[schemars(with = "Option<String>")]
    pub duration: Option<Duration>,

    /// Connections open at once (1 to 20,000).
    #[arg(long, default_value = "1024", value_parser = max_connections)]
    #[serde(deserialize_with = "de::max_connections")]
    pub max_connections: usize,

    /// How long the proxy waits to connect to the dependency (1ms to 1 hour).
    #[arg(long, default_value = "5s", value_parser = timeout)]
    #[serde(deserialize_with = "de::timeout")]
    #[schemars(with = "String")]
    pub connect_timeout: Duration,

    /// A host besides loopback that the dependency may be on (repeatable).
    // Not a key: a section's come from `[targets] allow`.
    #[arg(long = "allow-host", value_name = "HOST")]
    #[serde(skip)]
    pub allow_hosts: Vec<String>,

    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

impl Default for FaultArgs {
    /// The flags' defaults (clap's, so they are written once): what a `[[fault]]` section
    /// starts from. `listen` and `upstream` are required on a command line; a section that
    /// leaves them out is refused by its plan.
    fn default() -> Self {
        let command = FaultArgs::augment_args(clap::Command::new("fault")).ignore_errors(true);
        let matches = command.get_matches_from(["fault", "--upstream="]);
        <FaultArgs as clap::FromArgMatches>::from_arg_matches(&matches)
            .expect("every flag but --upstream has a default or is optional")
    }
}

/// The policy's keys, checked by the flags' parsers.
mod de {
    use std::net::SocketAddr;
    use std::time::Duration;

    use gonogo_core::settings::{any_text, parsed, parsed_many, parsed_opt};
    use serde::Deserializer;

    pub fn name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        parsed(d, super::phase_name)
    }

    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        parsed(d, any_text)
    }

    pub fn listen<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
        parsed_opt(d, super::loopback_listen)
    }

    pub fn steps<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<crate::fault::Step>, D::Error> {
        parsed_many(d, super::parse_step)
    }

    pub fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        parsed_opt(d, super::drill_duration)
    }

    pub fn max_connections<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        parsed(d, super::max_connections)
    }

    pub fn timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        parsed(d, super::timeout)
    }
}

fn phase_name(text: &str) -> Result<String, String> {
    if valid_phase_name(text) {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "`{text}`: names are 1 to 64 letters, digits, `-` or `_` (they appear in metric names)"
        ))
    }
}

fn loopback_listen(text: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = match text.parse() {
        Ok(addr) => addr,
        Err(_) => {
            let (host, port) = text
                .rsplit_once(':')
                .ok_or_else(|| format!("`{text}` is not HOST:PORT"))?;
            let port: u16 = port
                .parse()
                .map_err(|_| format!("`{port}` is not a port"))?;
            gonogo_io::net::addresses_without_dns(host, port)
                .and_then(|a| a.into_iter().next())
                .ok_or_else(|| {
                    format!(
                        "`{text}`: the proxy listens on loopback only (127.0.0.1, ::1, localhost)"
                    )
                })?
        }
    };
    if !gonogo_io::net::is_loopback_ip(addr.ip()) {
        return Err(format!(
            "`{text}`: the proxy listens on loopback only (127.0.0.1, ::1, localhost)"
        ));
    }
    Ok(addr)
}

fn drill_duration(text: &str) -> Result<Duration, String> {
    let d = gonogo_core::duration::parse(text).map_err(|e| e.to_string())?;
    limits::duration_in(d, Duration::from_millis(1), MAX_DRILL, text)
}

fn timeout(text: &str) -> Result<Duration, String> {
    let d = gonogo_core::duration::parse(text).map_err(|e| e.to_string())?;
    limits::duration_in(d, limits::MIN_TIMEOUT, limits::MAX_TIMEOUT, text)
}

fn max_connections(text: &str) -> Result<usize, String> {
    limits::count_in(text, 1, limits::MAX_CONNECTIONS).map(|n| n as usize)
}

fn delay(text: &str, key: &str) -> Result<Duration, String> {
    let d = gonogo_core::duration::parse(text).map_err(|e| format!("{key}: {e}"))?;
    limits::duration_in(d, Duration::ZERO, MAX_DELAY, text).map_err(|e| format!("{key}: {e}"))
}

/// `100KB/s`, `1.5MB/s`, `512B/s` (K = 1000; KiB/MiB = 1024) as bytes per second.
fn bandwidth(text: &str) -> Result<u64, String> {
    let rate = text.strip_suffix("/s").ok_or_else(|| {
        format!("rate: `{text}` needs a unit per second (100KB/s, 1MB/s, 512B/s)")
    })?;
    let split = rate
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rate.len());
    let (number, unit) = rate.split_at(split);
    let factor = match unit {
        "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => {
            return Err(format!(
                "rate: `{text}`: units are B, KB, MB, GB, KiB, MiB, GiB per second"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("rate: `{text}` is not a number of bytes per second"))?;
    let bytes = (value * factor).round();
    if !bytes.is_finite() || bytes < MIN_BANDWIDTH as f64 || bytes > MAX_BANDWIDTH as f64 {
        return Err(format!("rate: `{text}` is out of range: 1B/s to 10GB/s"));
    }
    Ok(bytes as u64)
}

/// `30%` or `0.3`, in 0..=1.
fn share(text: &str) -> Result<f64, String> {
    let value = match text.strip_suffix('%') {
        Some(percent) => percent.parse::<f64>().map(|p| p / 100.0),
        None => text.parse::<f64>(),
    }
    .map_err(|_| format!("share: `{text}` is not a share (30% or 0.3)"))?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!("share: `{text}` is out of range: 0% to 100%"));
    }
    Ok(value)
}

/// Parses one `--step`: `NAME KIND [KEY=VALUE...] at=START for=DURATION`.
pub fn parse_step(text: &str) -> Result<Step, String> {
    let mut words = text.split_whitespace();
    let (Some(name), Some(kind)) = (words.next(), words.next()) else {
        return Err(format!(
            "`{text}`: a step is `NAME KIND [KEY=VALUE...] at=START for=DURATION`"
        ));
    };
    let name = phase_name(name)?;
    let mut params = std::collections::BTreeMap::new();
    for word in words {
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| format!("`{word}` is not KEY=VALUE (in `{text}`)"))?;
        if params.insert(key, value).is_some() {
            return Err(format!("`{key}` is given twice (in `{text}`)"));
        }
    }
    let mut take = |key: &str| params.remove(key);
    let start = take("at").ok_or_else(|| format!("`{text}` needs at=START (e.g. at=5s)"))?;
    let start = gonogo_core::duration::parse(start).map_err(|e| format!("at: {e}"))?;
    let start = limits::duration_in(start, Duration::ZERO, MAX_DRILL, "at")?;
    let length = take("for").ok_or_else(|| format!("`{text}` needs for=DURATION (e.g. for=3s)"))?;
    let length = gonogo_core::duration::parse(length).map_err(|e| format!("for: {e}"))?;
    let length = limits::duration_in(length, Duration::from_millis(1), MAX_DRILL, "for")?;
    let direction = |value: Option<&str>| -> Result<Direction, String> {
        value.map_or(Ok(Direction::Downstream), str::parse)
    };
    let kind = match kind {
        "latency" => {
            let latency = delay(
                take("delay").ok_or("latency needs delay=DURATION")?,
                "delay",
            )?;
            let jitter = take("jitter").map_or(Ok(Duration::ZERO), |j| delay(j, "jitter"))?;
            if jitter > latency {
                return Err(format!(
                    "jitter ({jitter:?}) is more than the delay ({latency:?})"
                ));
            }
            FaultKind::Latency {
                latency,
                jitter,
                direction: direction(take("direction"))?,
            }
        }
        "bandwidth" => FaultKind::Bandwidth {
            bytes_per_second: bandwidth(take("rate").ok_or("bandwidth needs rate=100KB/s")?)?,
            direction: direction(take("direction"))?,
        },
        "reset" => FaultKind::Reset,
        "refuse" => FaultKind::Refuse,
        "black-hole" => FaultKind::BlackHole,
        "partition" => FaultKind::Partition,
        "slow-close" => FaultKind::SlowClose {
            delay: delay(
                take("delay").ok_or("slow-close needs delay=DURATION")?,
                "delay",
            )?,
        },
        "http-error" => {
            let status = take("status").map_or(Ok(503), |s| {
                limits::count_in(s, 400, 599).map_err(|e| format!("status: {e}"))
            })? as u16;
            FaultKind::HttpError {
                status,
                share: take("share").map_or(Ok(1.0), share)?,
            }
        }
        other => {
            return Err(format!(
                "`{other}` is not a fault (latency, bandwidth, reset, refuse, black-hole, \
                 slow-close, partition, http-error)"
            ));
        }
    };
    if let Some(key) = params.keys().next() {
        return Err(format!(
            "`{key}` is not a setting of {} (in `{text}`)",
            kind.name()
        ));
    }
    Ok(Step {
        name,
        start,
        duration: length,
        kind,
    })
}

impl FaultArgs {
    /// The checked timeline (names unique, faults within the hard end, the link's kind fits).
    pub fn timeline(&self) -> Result<Timeline, String> {
        if self.steps.len() > MAX_STEPS {
            return Err(format!("at most {MAX_STEPS} steps in one drill"));
        }
        for step in &self.steps {
            match step.kind {
                FaultKind::HttpError { .. } if !self.http => {
                    return Err(format!("step `{}`: http-error needs --http", step.name));
                }
                FaultKind::Bandwidth { .. } | FaultKind::SlowClose { .. } if self.http => {
                    return Err(format!(
                        "step `{}`: {} applies to byte links, not to an --http link",
                        step.name,
                        step.kind.name()
                    ));
                }
                _ => {}
            }
        }
        let last = self.steps.iter().map(Step::end).max().unwrap_or_default();
        let end = self.duration.unwrap_or(last);
        if end.is_zero() {
            return Err("a drill needs a --step or a --duration".into());
        }
        Timeline::new(self.steps.clone(), end).map_err(|e| e.to_string())
    }

    /// The dependency's address under the loopback / allow-host rule.
    pub fn upstream_addr(&self) -> Result<SocketAddr, String> {
        let (host, port) = self
            .upstream
            .rsplit_once(':')
            .ok_or_else(|| format!("--upstream `{}` is not HOST:PORT", self.upstream))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("--upstream: `{port}` is not a port"))?;
        gonogo_io::net::resolve_blocking(host, port, &self.allow_hosts)
            .map_err(|e| format!("--upstream: {e}"))?
            .into_iter()
            .next()
            .ok_or_else(|| format!("--upstream: no address for {host}"))
    }

    /// The proxy's settings.
    pub fn link(&self) -> Result<LinkConfig, String> {
        let listen = self.listen.ok_or("needs --listen, a loopback address")?;
        let mut link = LinkConfig::new(listen, self.upstream_addr()?);
        link.http = self.http;
        link.max_connections = self.max_connections;
        link.connect_timeout = self.connect_timeout;
        Ok(link)
    }
}

/// A drill's outcome as a table: phase, fault, planned and real start, real length.
pub fn describe(timeline: &Timeline, report: &DrillReport) -> String {
    let mut out = String::new();
    for phase in &report.phases {
        let planned = timeline
            .steps
            .iter()
            .find(|s| s.name == phase.name)
            .map(|s| s.start.as_secs_f64())
            .unwrap_or_default();
        out.push_str(&format!(
            "  {:<20} {:<11} planned at {:>7.3}s, began at {:>7.3}s, lasted {:.3}s\n",
            phase.name,
            phase.kind,
            planned,
            (phase.started - report.started).as_secs_f64(),
            (phase.ended - phase.started).as_secs_f64(),
        ));
    }
    out
}

/// Why a drill did not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// The settings are wrong (exit 2).
    #[error("{0}")]
    Settings(String),
    /// The proxy could not listen or follow the timeline (exit 3).
    #[error(transparent)]
    Proxy(#[from] crate::proxy::ProxyError),
    #[error("cannot start the drill's runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// Runs one drill to its hard end (or a SIGINT/SIGTERM, after which the link is restored at
/// once), the proxy on a runtime of its own; `on_event` sees each phase begin and end.
pub fn run_drill(
    args: &FaultArgs,
    on_event: impl Fn(&Event) + Send + 'static,
) -> Result<(Timeline, DrillReport), DrillError> {
    let timeline = args.timeline().map_err(DrillError::Settings)?;
    let link = args.link().map_err(DrillError::Settings)?;
    gonogo_io::signals::install_stop_handlers()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let proxy = Proxy::start(link).await?;
        on_event(&Event::Listening(proxy.local_addr()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let printer = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                on_event(&event);
            }
        });
        let report = drill::run(
            &proxy,
            &timeline,
            || gonogo_io::signals::stop_requested().is_some(),
            Some(tx),
        )
        .await;
        proxy.shutdown().await;
        let _ = printer.await;
        report
    })?;
    Ok((timeline, report))
}

/// `gonogo fault`: runs the drill and prints its phases.
pub fn run(args: FaultArgs) -> anyhow::Result<ExitCode> {
    let quiet = args.quiet;
    let (name, upstream) = (args.name.clone(), args.upstream.clone());
    let outcome = run_drill(&args, move |event| {
        if quiet {
            return;
        }
        match event {
            Event::Listening(addr) => eprintln!("fault {name}: {addr} -> {upstream}"),
            Event::Started { name } => eprintln!("  + {name}"),
            Event::Ended { name } => eprintln!("  - {name}"),
            Event::Finished => {}
        }
    });
    match outcome {
        Ok((timeline, report)) => {
            if !quiet {
                print!("{}", describe(&timeline, &report));
            }
            match gonogo_io::signals::stop_requested() {
                Some(signal) if report.interrupted => {
                    Ok(ExitCode::from(gonogo_io::signals::exit_code(signal)))
                }
                _ => Ok(ExitCode::SUCCESS),
            }
        }
        Err(DrillError::Settings(message)) => {
            eprintln!("error: {message}");
            Ok(ExitCode::from(2))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(3))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: FaultArgs,
    }

    fn parse(extra: &[&str]) -> Result<FaultArgs, String> {
        let mut argv = vec!["fault"];
        if !extra.contains(&"--upstream") {
            argv.extend(["--upstream", "127.0.0.1:6379"]);
        }
        if !extra.contains(&"--listen") {
            argv.extend(["--listen", "127.0.0.1:6380"]);
        }
        argv.extend(extra);
        Cli::try_parse_from(argv)
            .map(|c| c.args)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn every_fault_kind_parses_with_its_settings() {
        let step =
            parse_step("redis-slow latency delay=200ms jitter=20ms direction=both at=2s for=3s")
                .unwrap();
        assert_eq!(step.name, "redis-slow");
        assert_eq!(
            (step.start, step.duration),
            (Duration::from_secs(2), Duration::from_secs(3))
        );
        assert_eq!(
            step.kind,
            FaultKind::Latency {
                latency: Duration::from_millis(200),
                jitter: Duration::from_millis(20),
                direction: Direction::Both
            }
        );
        let kinds = [
            (
                "a bandwidth rate=1.5MB/s at=0s for=1s",
                FaultKind::Bandwidth {
                    bytes_per_second: 1_500_000,
                    direction: Direction::Downstream,
                },
            ),
            (
                "a bandwidth rate=64KiB/s direction=upstream at=0s for=1s",
                FaultKind::Bandwidth {
                    bytes_per_second: 65_536,
                    direction: Direction::Upstream,
                },
            ),
            ("a reset at=0s for=1s", FaultKind::Reset),
            ("a refuse at=0s for=1s", FaultKind::Refuse),
            ("a black-hole at=0s for=1s", FaultKind::BlackHole),
            ("a partition at=0s for=1s", FaultKind::Partition),
            (
                "a slow-close delay=2s at=0s for=1s",
                FaultKind::SlowClose {
                    delay: Duration::from_secs(2),
                },
            ),
            (
                "a http-error status=500 share=30% at=0s for=1s",
                FaultKind::HttpError {
                    status: 500,
                    share: 0.3,
                },
            ),
            (
                "a http-error at=0s for=1s",
                FaultKind::HttpError {
                    status: 503,
                    share: 1.0,
                },
            ),
        ];
        for (text, kind) in kinds {
            assert_eq!(parse_step(text).unwrap().kind, kind, "{text}");
        }
    }

    #[test]
    fn every_setting_has_a_range_and_bad_steps_say_why() {
        let cases = [
            ("x latency delay=200 at=0s for=1s", "needs a unit"),
            ("x latency delay=2m at=0s for=1s", "too long"),
            (
                "x latency delay=10ms jitter=20ms at=0s for=1s",
                "more than the delay",
            ),
            ("x latency at=0s for=1s", "needs delay"),
            ("x bandwidth rate=0B/s at=0s for=1s", "out of range"),
            ("x bandwidth rate=100KB at=0s for=1s", "per second"),
            ("x http-error status=200 at=0s for=1s", "out of range"),
            ("x http-error share=150% at=0s for=1s", "out of range"),
            ("x reset for=1s", "needs at="),
            ("x reset at=0s", "needs for="),
            ("x reset at=0s for=0s", "too short"),
            ("x reset at=0s for=2h", "too long"),
            ("x reset delay=1s at=0s for=1s", "not a setting of reset"),
            ("x explode at=0s for=1s", "not a fault"),
            ("a]b reset at=0s for=1s", "names are"),
            ("x reset at=0s at=1s for=1s", "given twice"),
            (
                "x latency delay=1s direction=sideways at=0s for=1s",
                "not a direction",
            ),
        ];
        for (text, want) in cases {
            let error = parse_step(text).unwrap_err();
            assert!(error.contains(want), "{text}: {error}");
        }
    }

    #[test]
    fn flags_are_checked_for_loopback_ranges_and_the_link_kind() {
        assert!(
            parse(&["--listen", "0.0.0.0:1"])
                .unwrap_err()
                .contains("loopback only")
        );
        assert!(parse(&["--listen", "localhost:6380"]).is_ok());
        assert!(
            parse(&["--max-connections", "0"])
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            parse(&["--duration", "2h"])
                .unwrap_err()
                .contains("too long")
        );
        assert!(
            parse(&["--connect-timeout", "5"])
                .unwrap_err()
                .contains("needs a unit")
        );

        let http_error = parse(&["--step", "e http-error at=0s for=1s"]).unwrap();
        assert!(http_error.timeline().unwrap_err().contains("needs --http"));
        let slow_http = parse(&["--http", "--step", "c slow-close delay=1s at=0s for=1s"]).unwrap();
        assert!(slow_http.timeline().unwrap_err().contains("byte links"));
        let past = parse(&["--step", "d reset at=5s for=5s", "--duration", "8s"]).unwrap();
        assert!(
            past.timeline()
                .unwrap_err()
                .contains("after the drill's end")
        );
        let dup = parse(&[
            "--step",
            "d reset at=0s for=1s",
            "--step",
            "d refuse at=2s for=1s",
        ])
        .unwrap();
        assert!(dup.timeline().unwrap_err().contains("named `d`"));
        let none = parse(&[]).unwrap();
        assert!(none.timeline().unwrap_err().contains("needs a --step"));
        let ok = parse(&["--step", "d reset at=1s for=2s"]).unwrap();
        assert_eq!(ok.timeline().unwrap().end, Duration::from_secs(3));

        let remote = parse(&["--upstream", "db.example:5432"]).unwrap();
        assert!(
            remote
                .upstream_addr()
                .unwrap_err()
                .contains("not a loopback host")
        );
    }
}
