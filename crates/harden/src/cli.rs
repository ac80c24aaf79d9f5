//! The `gonogo harden` subcommand: flags ([`HardenArgs`]), the run ([`run`]) and the terminal
//! table.
//!
//! stdout carries the result (the table, or the JSON report with `--json`); stderr carries
//! messages (where the evidence went, errors with a `hint:`). No colour is used, so `NO_COLOR`
//! and pipes need no special case. Exit codes: 0 no findings above info and no check errored,
//! 1 findings or errored checks, 2 a bad command line, configuration or target, 3 the policy
//! file could not be read.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{AuthConfig, AuthSecrets, HardenConfig, RateLimitConfig, parse_duration};
use crate::report::{Report, Status};
use crate::rules::FindingSeverity;
use crate::{AuditError, audit, to_evidence};

/// Audit a live HTTP service's security hardening from the outside.
///
/// Checks security headers (CSP, HSTS, nosniff, framing, Referrer-Policy, Permissions-Policy,
/// version disclosure), cookies, CORS, TRACE and advertised methods, error-body leakage, exposed
/// .git and monitoring endpoints, plain http next to https, rate limiting, CSRF, and JWT
/// authentication and roles. Each finding cites its OWASP ASVS 4.0.3 and 5.0.0
/// requirement and shows the request and response that prove it. The evidence record (kind
/// `harden`) is written to the evidence folder.
///
/// Only loopback (127.0.0.0/8, ::1) and hosts named with --allow-host are contacted.
///
/// Exit codes: 0 no finding above info and no check errored; 1 findings or errored checks;
/// 2 a bad command line, `[harden]` table or target; 3 the policy file could not be read.
///
/// Examples:
///
///   gonogo harden http://127.0.0.1:8080
///
///   gonogo harden http://127.0.0.1:8080 --path /app --json-endpoint /api/items
///
///   GONOGO_HARDEN_TOKEN=$ADMIN GONOGO_HARDEN_LOWER_TOKEN=$USER \
///     gonogo harden http://127.0.0.1:8080 --protected /api/admin --rate-limit /login
///
///   gonogo harden https://staging.example.com --allow-host staging.example.com --policy gonogo.toml --json
#[derive(Debug, Clone, clap::Args)]
#[command(verbatim_doc_comment)]
#[allow(rustdoc::bare_urls)] // the examples are command lines, not links
pub struct HardenArgs {
    /// The service's base URL (http or https).
    pub url: String,

    /// A policy file whose `[harden]` table configures the audit (paths, auth, rate limit,
    /// per-check overrides). Flags add to it.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// A host besides loopback that may be contacted. Repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,

    /// Another path to fetch and judge (besides `/` and a random 404 path). Repeatable.
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<String>,

    /// A path that takes JSON: a malformed body is POSTed there to see the error. Repeatable.
    #[arg(long = "json-endpoint", value_name = "PATH")]
    pub json_endpoints: Vec<String>,

    /// A route that must refuse missing, forged, expired and lower-role tokens. Repeatable.
    /// Tokens come from $GONOGO_HARDEN_TOKEN (valid, required role), $GONOGO_HARDEN_LOWER_TOKEN,
    /// $GONOGO_HARDEN_HMAC_SECRET (test environments: mint an expired token) and
    /// $GONOGO_HARDEN_EXPIRED_TOKEN (or the variables the policy names).
    #[arg(long = "protected", value_name = "PATH")]
    pub protected: Vec<String>,

    /// Send a bounded burst (default 50 requests, 10 s; POST with a wrong login) here and
    /// expect a 429.
    #[arg(long = "rate-limit", value_name = "PATH")]
    pub rate_limit: Option<String>,

    /// PEM certificates to trust besides the system roots (a test environment's own CA).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// A POST authenticated by the session cookie in $GONOGO_HARDEN_SESSION_COOKIE (with its
    /// token in $GONOGO_HARDEN_CSRF_TOKEN, sent as X-CSRF-Token): it is sent once as the page
    /// would and once forged cross-site, so it must be safe to repeat.
    #[arg(long = "csrf", value_name = "PATH")]
    pub csrf: Option<String>,

    /// Only GETs: no CORS, methods, rate-limit, auth or CSRF requests, no malformed POSTs.
    #[arg(long)]
    pub passive: bool,

    /// Judge cookies' Secure attribute even over plain http.
    #[arg(long)]
    pub strict_cookies: bool,

    /// Per-request timeout, e.g. `500ms`, `5s` [default: 5s, or the policy's].
    #[arg(long, value_name = "DURATION", value_parser = flag_timeout)]
    pub timeout: Option<String>,

    /// Print the report as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Where the evidence record is written.
    #[arg(long, value_name = "DIR", default_value = ".gonogo/evidence")]
    pub evidence_dir: PathBuf,
}

impl HardenArgs {
    /// The audit of `url` that `gonogo run` starts for a policy's `[harden]` section: the
    /// section holds the configuration, so no flag adds to it; the run's allowed hosts and
    /// evidence folder are its own.
    pub fn for_run(url: &str, allow_hosts: Vec<String>, evidence_dir: PathBuf) -> HardenArgs {
        HardenArgs {
            url: url.to_owned(),
            policy: None,
            allow_hosts,
            paths: Vec::new(),
            json_endpoints: Vec::new(),
            protected: Vec::new(),
            rate_limit: None,
            ca_file: None,
            csrf: None,
            passive: false,
            strict_cookies: false,
            timeout: None,
            json: false,
            evidence_dir,
        }
    }
}

/// Runs `gonogo harden`, printing the result on stdout.
pub fn run(args: HardenArgs) -> anyhow::Result<ExitCode> {
    run_to(args, &mut std::io::stdout().lock())
}

/// Runs `gonogo harden`, writing the result (table or JSON) to `stdout`.
pub fn run_to(args: HardenArgs, stdout: &mut dyn std::io::Write) -> anyhow::Result<ExitCode> {
    let config = match &args.policy {
        None => HardenConfig::default(),
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(error) => {
                    eprintln!("error: cannot read {}: {error}", path.display());
                    return Ok(ExitCode::from(3));
                }
            };
            match parse_policy(&text) {
                Ok(config) => config,
                Err(message) => {
                    eprintln!("error: {}: {message}", path.display());
                    return Ok(ExitCode::from(2));
                }
            }
        }
    };
    run_with(args, config, stdout)
}

/// Runs the audit with `config` (a policy's `[harden]` section, read by the caller: `gonogo
/// run` reads it with the rest of the policy), the flags adding to it; `args.policy` is not
/// read.
pub fn run_with(
    args: HardenArgs,
    mut config: HardenConfig,
    stdout: &mut dyn std::io::Write,
) -> anyhow::Result<ExitCode> {
    config.allow_hosts.extend(args.allow_hosts.iter().cloned());
    config.paths.extend(args.paths.iter().cloned());
    config
        .json_endpoints
        .extend(args.json_endpoints.iter().cloned());
    if !args.protected.is_empty() {
        config
            .auth
            .get_or_insert_with(AuthConfig::default)
            .protected
            .extend(args.protected.iter().cloned());
    }
    if let Some(path) = &args.rate_limit {
        config
            .rate_limit
            .get_or_insert_with(RateLimitConfig::default)
            .path = path.clone();
    }
    if let Some(path) = &args.csrf {
        config.csrf.get_or_insert_with(Default::default).path = path.clone();
    }
    config.passive |= args.passive;
    if let Some(ca_file) = &args.ca_file {
        config.ca_file = Some(ca_file.clone());
    }
    config.strict_secure_cookies |= args.strict_cookies;
    if let Some(timeout) = &args.timeout {
        match parse_duration(timeout) {
            Ok(timeout) => config.request_timeout = timeout,
            Err(message) => {
                eprintln!("error: --timeout {message}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let secrets = AuthSecrets::from_env(&config);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let report = match runtime.block_on(audit(&args.url, &config, &secrets)) {
        Ok(report) => report,
        Err(error @ (AuditError::Config(_) | AuditError::CaFile { .. })) => {
            eprintln!("error: {error}");
            return Ok(ExitCode::from(2));
        }
        Err(AuditError::Target(error)) => {
            eprintln!(
                "error: {}",
                gonogo_core::text::inert(&gonogo_core::redact::redact(&error.to_string()))
            );
            eprintln!(
                "hint: gonogo harden only audits loopback unless you name the host with --allow-host HOST"
            );
            return Ok(ExitCode::from(2));
        }
    };

    let evidence = to_evidence(&report);
    std::fs::create_dir_all(&args.evidence_dir).map_err(|error| {
        anyhow::anyhow!(
            "cannot create the evidence folder {}: {error}",
            args.evidence_dir.display()
        )
    })?;
    let evidence_path = args
        .evidence_dir
        .join(gonogo_core::wire::suggested_file_name(&evidence));
    gonogo_io::atomic::write_atomic(
        &evidence_path,
        gonogo_core::wire::to_json_pretty(&evidence).as_bytes(),
    )?;

    let output = if args.json {
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        text
    } else {
        // Messages, notes and excerpts hold what the server sent: inert on a console.
        gonogo_core::text::inert(&render_table(&report)).into_owned()
    };
    if let Err(error) = stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(error.into());
        }
    }
    eprintln!("evidence: {}", evidence_path.display());
    Ok(if report.is_failure() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads the `[harden]` table of a policy file (other tables are the policy's business).
pub fn parse_policy(text: &str) -> Result<HardenConfig, String> {
    let table: toml::Table = toml::from_str(text).map_err(|error| error.to_string())?;
    match table.get("harden") {
        None => Ok(HardenConfig::default()),
        Some(value) => value
            .clone()
            .try_into()
            .map_err(|error: toml::de::Error| format!("[harden]: {error}")),
    }
}

/// The terminal table: one line per check, then each finding with its exchange.
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    let n_ran = report
        .checks
        .iter()
        .filter(|check| check.status.ran())
        .count();
    let _ = writeln!(
        out,
        "gonogo harden {}: {} checks ({} ran), {} requests",
        report.target,
        report.checks.len(),
        n_ran,
        report.n_requests
    );
    let _ = writeln!(out);
    let asvs_of =
        |check: &crate::report::CheckResult| format!("{} / {}", check.asvs_4_0_3, check.asvs_5_0_0);
    let check_width = report
        .checks
        .iter()
        .map(|c| c.check.len())
        .max()
        .unwrap_or(5);
    let asvs_width = report
        .checks
        .iter()
        .map(|c| asvs_of(c).len())
        .chain([18])
        .max()
        .unwrap_or(18);
    let _ = writeln!(
        out,
        "{:<check_width$} {:<5} {:<asvs_width$} {:<9} RESULT",
        "CHECK", "SPEC", "ASVS 4.0.3 / 5.0.0", "STATUS"
    );
    for check in &report.checks {
        let asvs = asvs_of(check);
        let mut result = match check.status {
            Status::Pass | Status::Fail | Status::Disabled => summarize(check),
            _ => check.notes.first().cloned().unwrap_or_default(),
        };
        if let Some(policy) = &check.policy_override {
            if policy.disabled {
                result = format!(
                    "{} suppressed; policy: {}",
                    policy.suppressed_findings, policy.reason
                );
            } else if let Some(severity) = policy.severity {
                let _ = write!(
                    result,
                    " (re-graded {severity} by the policy: {})",
                    policy.reason
                );
            }
        }
        let line = format!(
            "{:<check_width$} {:<5} {:<asvs_width$} {:<9} {}",
            check.check,
            check.spec,
            asvs,
            check.status.as_str(),
            result
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let findings: Vec<_> = report
        .checks
        .iter()
        .filter(|check| check.status == Status::Fail)
        .flat_map(|check| &check.findings)
        .collect();
    if !findings.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Findings");
        for finding in findings {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "[{}] {}: {}",
                finding.severity, finding.check, finding.message
            );
            for line in finding.request.lines().take(6) {
                let _ = writeln!(out, "    > {line}");
            }
            for line in finding.response.lines().take(14) {
                let _ = writeln!(out, "    < {}", crate::http::shorten(line, 160));
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} high, {} medium, {} low",
        report.count(FindingSeverity::High),
        report.count(FindingSeverity::Medium),
        report.count(FindingSeverity::Low)
    );
    out
}

fn summarize(check: &crate::report::CheckResult) -> String {
    if check.findings.is_empty() {
        return check.notes.first().cloned().unwrap_or_default();
    }
    let mut counts: Vec<(FindingSeverity, usize)> = Vec::new();
    for finding in &check.findings {
        match counts
            .iter_mut()
            .find(|(severity, _)| *severity == finding.severity)
        {
            Some((_, n)) => *n += 1,
            None => counts.push((finding.severity, 1)),
        }
    }
    counts.sort_by_key(|count| std::cmp::Reverse(count.0));
    counts
        .iter()
        .map(|(severity, n)| format!("{n} {severity}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--timeout`: a duration from 1 ms to 1 hour, checked by clap before anything runs.
fn flag_timeout(text: &str) -> Result<String, String> {
    use gonogo_core::limits;
    let duration = parse_duration(text)?;
    limits::duration_in(duration, limits::MIN_TIMEOUT, limits::MAX_TIMEOUT, text)?;
    Ok(text.to_owned())
}
