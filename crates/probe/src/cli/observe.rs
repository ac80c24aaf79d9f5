//! `gonogo observe`: is the service observable? Checks a `/metrics` endpoint or a saved
//! exposition, and/or a structured log file, and writes `observe` evidence.

use gonogo_core::text::{Inert, inert};
use std::io::BufReader;
use std::process::ExitCode;
use std::time::Duration;

use gonogo_core::evidence::Source;

use super::{
    EXIT_FAILED, EXIT_OK, EXIT_UNREADABLE, EXIT_USAGE, OutputArgs, emit, exit, paint, runtime,
};
use crate::exposition::Format;
use crate::net::{HostPolicy, Timeouts, TlsSettings};
use crate::observe::health::{check_health, health_evidence};
use crate::observe::logs::{DEFAULT_FIELDS, check_logs, logs_evidence};
use crate::observe::{
    ObserveError, Observed, metrics_evidence, observe_file, observe_url, observe_url_twice,
};

/// Check that a service is observable: its metrics parse, lint clean and expose the
/// required series; its logs are structured.
///
/// Examples:
///   gonogo observe http://127.0.0.1:8080 --require http_requests_total
///   gonogo observe http://127.0.0.1:9100 --path /metrics --json
///   gonogo observe --file saved-metrics.txt --format text
///   gonogo observe --logs app.log --log-field trace_id
///   gonogo observe http://127.0.0.1:8080 --health /health/live --health /health/ready
///
/// Exit codes: 0 the checks passed (lint problems are reported as evidence, not failures,
/// unless --strict); 1 a required series is missing, or --strict and lint problems exist;
/// 2 bad arguments; 3 the exposition does not parse (the line is printed), the file cannot be
/// read or the endpoint cannot be reached.
///
/// The same struct is the `[observe]` section of a policy (`gonogo run`): its fields are the
/// section's keys (serde), each checked by the flag's own parser, and its JSON Schema is the
/// section's (schemars). The evidence folder, `--json` and the allowed hosts are not keys.
#[derive(Debug, Clone, clap::Args, serde::Deserialize, schemars::JsonSchema)]
#[command(verbatim_doc_comment)]
#[serde(default, deny_unknown_fields)]
#[schemars(
    title = "[observe]",
    description = "Observability checks: `gonogo observe`'s flags as keys."
)]
pub struct ObserveArgs {
    /// Base URL of the service (http:// or https://); `--path` is appended.
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// Path of the metrics endpoint under URL.
    #[arg(long, default_value = "/metrics")]
    pub path: String,
    /// A saved exposition to check instead of scraping a URL.
    #[arg(long, value_name = "PATH", conflicts_with = "url")]
    pub file: Option<String>,
    /// Dialect of --file: `openmetrics`, `text` (0.0.4) or `auto` (OpenMetrics when the file
    /// ends with `# EOF`). Scrapes always follow the response's Content-Type, as Prometheus does.
    #[arg(long, default_value = "auto", value_parser = ["auto", "openmetrics", "text"])]
    #[serde(deserialize_with = "de::format")]
    pub format: String,
    /// A series (metric family or sample name) that must be present; repeatable.
    #[arg(long = "require", value_name = "NAME")]
    #[serde(rename = "requires", alias = "require", deserialize_with = "de::texts")]
    pub require: Vec<String>,
    /// Scrape a second time after this long (e.g. 5s) and report counters that went down
    /// without a restart (process_start_time_seconds unchanged).
    #[arg(long, value_name = "DURATION", requires = "url", value_parser = super::flag_duration)]
    #[serde(deserialize_with = "de::duration_opt")]
    pub rescrape_after: Option<String>,
    /// Exit 1 when the lint finds problems (default: report them only).
    #[arg(long)]
    pub strict: bool,
    /// A JSON-lines log file to check for structure and required fields (`-` for stdin, e.g.
    /// `app 2>&1 | gonogo observe --logs -`).
    #[arg(long, value_name = "FILE")]
    pub logs: Option<String>,
    /// A field every log line must have; repeatable. Default: timestamp, level, message,
    /// request_id (each accepts its common spellings: ts/time, msg, severity, trace_id...).
    #[arg(long = "log-field", value_name = "NAME")]
    #[serde(alias = "log_field", deserialize_with = "de::texts")]
    pub log_fields: Vec<String>,
    /// Log lines to skip at the start (start-up output before the logger is configured).
    #[arg(long, default_value_t = 0)]
    pub log_skip: u64,
    /// A health endpoint path under URL to check (e.g. /health/ready); repeatable.
    #[arg(long = "health", value_name = "PATH", requires = "url")]
    #[serde(deserialize_with = "de::texts")]
    pub health: Vec<String>,
    /// Try the common health paths (/health/live, /readyz, /healthz, /actuator/health, ...)
    /// and check the ones that exist.
    #[arg(long, requires = "url")]
    pub discover_health: bool,
    /// Do not scrape the metrics endpoint (with --health or --discover-health).
    #[arg(long, requires = "url")]
    pub no_metrics: bool,
    /// A non-loopback host that may be contacted; repeatable. Loopback is always allowed.
    #[arg(long = "allow-host", value_name = "HOST")]
    #[serde(skip)]
    pub allow_host: Vec<String>,
    /// Extra PEM CA certificates to trust for https.
    #[arg(long = "ca-file", value_name = "PEM")]
    #[serde(deserialize_with = "de::texts")]
    pub ca_file: Vec<String>,
    /// Scrape timeout, a duration (`10s`, `500ms`), body included.
    #[arg(long, default_value = "10s", value_parser = super::flag_timeout_seconds)]
    #[serde(deserialize_with = "de::timeout_seconds")]
    pub timeout: f64,
    #[command(flatten)]
    #[serde(skip)]
    pub output: OutputArgs,
}

impl Default for ObserveArgs {
    /// The flags' defaults (clap's, so they are written once): what an `[observe]` section
    /// starts from.
    fn default() -> Self {
        use clap::Args as _;
        let command = ObserveArgs::augment_args(clap::Command::new("observe")).ignore_errors(true);
        let matches = command.get_matches_from(["observe"]);
        <ObserveArgs as clap::FromArgMatches>::from_arg_matches(&matches)
            .expect("every flag without a default is optional")
    }
}

/// The policy's keys, checked by the flags' parsers.
mod de {
    use gonogo_core::settings::{parsed, parsed_many, parsed_opt};
    use serde::Deserializer;

    pub fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        parsed_many(d, gonogo_core::settings::any_text)
    }

    pub fn duration_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        parsed_opt(d, super::super::flag_duration)
    }

    pub fn timeout_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        parsed(d, super::super::flag_timeout_seconds)
    }

    pub fn format<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        parsed(d, |text| match text {
            "auto" | "openmetrics" | "text" => Ok(text.to_owned()),
            _ => Err(format!("`{text}` is not one of auto, openmetrics, text")),
        })
    }
}

/// Runs `gonogo observe`.
pub fn run(args: ObserveArgs) -> anyhow::Result<ExitCode> {
    if args.url.is_none() && args.file.is_none() && args.logs.is_none() {
        eprintln!("error: nothing to observe\nhint: give a URL, --file PATH or --logs FILE");
        return Ok(exit(EXIT_USAGE));
    }
    if args.no_metrics && args.health.is_empty() && !args.discover_health && args.logs.is_none() {
        eprintln!(
            "error: --no-metrics leaves nothing to check\nhint: add --health PATH, --discover-health or --logs FILE"
        );
        return Ok(exit(EXIT_USAGE));
    }
    if !(args.timeout > 0.0 && args.timeout <= 600.0) {
        eprintln!("error: --timeout must be in (0, 600] seconds");
        return Ok(exit(EXIT_USAGE));
    }
    let now = jiff::Timestamp::now();
    let mut records = Vec::new();
    let mut failed = false;
    let mut counter_check = None;

    let observed: Option<Result<Observed, ObserveError>> = if let Some(path) = &args.file {
        let format = match args.format.as_str() {
            "openmetrics" => Some(Format::OpenMetrics),
            "text" => Some(Format::PrometheusText),
            _ => None,
        };
        Some(observe_file(path, format, &args.require, now))
    } else if let (Some(base), false) = (&args.url, args.no_metrics) {
        let url = format!("{}{}", base.trim_end_matches('/'), args.path);
        let tls = match TlsSettings::new(&args.ca_file) {
            Ok(tls) => tls,
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(exit(EXIT_USAGE));
            }
        };
        let policy = HostPolicy::new(args.allow_host.clone());
        let timeouts = Timeouts {
            connect: Duration::from_secs_f64(args.timeout.min(3.0)),
            total: Duration::from_secs_f64(args.timeout),
        };
        let runtime = runtime()?;
        match &args.rescrape_after {
            None => Some(runtime.block_on(observe_url(
                &url,
                &args.require,
                &policy,
                &tls,
                timeouts,
                now,
            ))),
            Some(text) => {
                let gap = match crate::probe::condition::parse_duration(text).filter(|gap| {
                    text.ends_with(|c: char| c.is_ascii_alphabetic())
                        && *gap <= Duration::from_secs(600)
                }) {
                    Some(gap) => gap,
                    None => {
                        eprintln!(
                            "error: --rescrape-after {text:?}: a duration with a unit, at most 10m (e.g. 5s)"
                        );
                        return Ok(exit(EXIT_USAGE));
                    }
                };
                let result = runtime.block_on(observe_url_twice(
                    &url,
                    &args.require,
                    &policy,
                    &tls,
                    timeouts,
                    gap,
                    now,
                ));
                Some(result.map(|(observed, check)| {
                    counter_check = Some(check);
                    observed
                }))
            }
        }
    } else {
        None
    };

    match observed {
        None => {}
        Some(Err(error)) => {
            eprintln!("{} {}", paint("error:", "31"), inert(&error.to_string()));
            if let ObserveError::Net(crate::net::NetError::HostNotAllowed { .. }) = error {
                return Ok(exit(EXIT_USAGE));
            }
            return Ok(exit(EXIT_UNREADABLE));
        }
        Some(Ok(observed)) => {
            let report = &observed.report;
            if !args.output.json {
                eprintln!(
                    "{}: {} ({} lines, {} families, {} samples)",
                    inert(&observed.source.to_string()),
                    report.format,
                    report.summary.lines,
                    report.summary.families,
                    report.summary.samples
                );
                for problem in &report.problems {
                    eprintln!(
                        "  {} line {}: {} [{}] {}",
                        paint("warn:", "33"),
                        problem.line,
                        Inert(&problem.metric),
                        problem.code,
                        Inert(&problem.message)
                    );
                }
                if report.n_problems > report.problems.len() as u64 {
                    eprintln!("  ... {} problems in all", report.n_problems);
                }
                for required in &report.required {
                    match required.line {
                        Some(line) => {
                            eprintln!(
                                "  required {}: present (line {line})",
                                Inert(&required.name)
                            )
                        }
                        None => eprintln!(
                            "  {} required {}: missing",
                            paint("fail:", "31"),
                            Inert(&required.name)
                        ),
                    }
                }
            }
            if report.n_required_present() < report.required.len() as u64
                || (args.strict && report.n_problems > 0)
            {
                failed = true;
            }
            let mut record = metrics_evidence(&observed);
            if let Some(check) = counter_check {
                if !args.output.json {
                    eprintln!(
                        "  counters: {} series compared over {:.1}s, {} went down{}",
                        check.series_compared,
                        check.gap_s,
                        check.decreased,
                        if check.restarted {
                            " (the process restarted: decreases not counted)"
                        } else {
                            ""
                        }
                    );
                }
                record.details["counters"] = serde_json::to_value(check).expect("serialisable");
            }
            records.push(record);
        }
    }

    if let (Some(base), true) = (&args.url, !args.health.is_empty() || args.discover_health) {
        let tls = match TlsSettings::new(&args.ca_file) {
            Ok(tls) => tls,
            Err(error) => {
                eprintln!("error: {error}");
                return Ok(exit(EXIT_USAGE));
            }
        };
        let policy = HostPolicy::new(args.allow_host.clone());
        let timeouts = Timeouts {
            connect: Duration::from_secs_f64(args.timeout.min(3.0)),
            total: Duration::from_secs_f64(args.timeout),
        };
        let checks = runtime()?.block_on(check_health(
            base,
            &args.health,
            args.discover_health,
            &policy,
            &tls,
            timeouts,
        ));
        let checks = match checks {
            Ok(checks) => checks,
            Err(error) => {
                eprintln!("{} {}", paint("error:", "31"), inert(&error.to_string()));
                return Ok(exit(EXIT_USAGE));
            }
        };
        if !args.output.json {
            for check in &checks {
                eprintln!(
                    "  health {}: {} {}{}",
                    Inert(&check.path),
                    if check.ok {
                        paint("ok", "32")
                    } else {
                        paint("FAIL", "31")
                    },
                    inert(check.verdict),
                    inert(
                        &check
                            .status
                            .map(|s| format!(" (HTTP {s})"))
                            .unwrap_or_else(|| check
                                .message
                                .clone()
                                .map(|m| format!(" ({m})"))
                                .unwrap_or_default())
                    )
                );
                if !check.failing_checks.is_empty() {
                    eprintln!(
                        "    failing checks: {}",
                        inert(&check.failing_checks.join(", "))
                    );
                }
            }
        }
        match health_evidence(base, &checks, now) {
            Some(record) => {
                if checks.iter().any(|c| !c.ok) {
                    failed = true;
                }
                records.push(record);
            }
            None => {
                eprintln!(
                    "{} no health endpoint found under {base}",
                    paint("missing:", "31")
                );
                failed = true;
            }
        }
    }

    if let Some(path) = &args.logs {
        let fields: Vec<String> = if args.log_fields.is_empty() {
            DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect()
        } else {
            args.log_fields.clone()
        };
        let reader: Box<dyn std::io::BufRead> = if path == "-" {
            Box::new(BufReader::new(std::io::stdin().lock()))
        } else {
            match std::fs::File::open(path) {
                Ok(file) => Box::new(BufReader::new(file)),
                Err(error) => {
                    eprintln!("{} {path}: {error}", paint("error:", "31"));
                    return Ok(exit(EXIT_UNREADABLE));
                }
            }
        };
        let report = match check_logs(reader, &fields, args.log_skip) {
            Ok(report) => report,
            Err(error) => {
                eprintln!(
                    "{} {}",
                    paint("error:", "31"),
                    inert(&format!("{path}: {error}"))
                );
                return Ok(exit(EXIT_UNREADABLE));
            }
        };
        if !args.output.json {
            eprintln!(
                "{path}: {} of {} non-empty lines are JSON objects; {} of those have {}",
                report.json_lines,
                report.non_empty_lines,
                report.lines_with_fields,
                fields.join(", ")
            );
            if let Some(first) = &report.first_unstructured {
                eprintln!(
                    "  first unstructured line {}: {}",
                    first.line,
                    Inert(&first.excerpt)
                );
            }
            if let Some(first) = &report.first_missing_fields {
                eprintln!(
                    "  first line missing {}: line {}",
                    first.missing.join(", "),
                    first.line
                );
            }
        }
        let source = if path == "-" {
            Source::Command("stdin".into())
        } else {
            Source::File(path.clone())
        };
        records.push(logs_evidence(&report, source, now));
    }

    let written = emit(&args.output, &records)?;
    if !args.output.json {
        for path in written {
            eprintln!("evidence: {}", path.display());
        }
    }
    Ok(exit(if failed { EXIT_FAILED } else { EXIT_OK }))
}
