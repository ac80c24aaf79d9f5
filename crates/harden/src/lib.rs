//! `gonogo harden`: a security hardening audit of a live HTTP service, from the outside, with
//! every finding tied to the OWASP ASVS requirement it checks and to the exchange that proves it.
//!
//! [`audit`] takes a target URL, a [`HardenConfig`] (the policy's `[harden]` table) and the
//! [`AuthSecrets`] for the auth checks, runs the checks of [`rules::RULES`] group by group and
//! returns a [`Report`]: one [`CheckResult`] per rule with its status (`pass`, `fail`,
//! `n/a`, `skipped`, `error`, `disabled`) and its [`Finding`]s. [`to_evidence`] turns the report
//! into the `harden` evidence record the policy gates on; [`cli`] is the subcommand.
//!
//! ```text
//!                  ┌ baseline GETs ─> headers, cookies  (passive)
//! audit(url) ──────┼ cors, methods, errors, auth, csrf  (concurrently, each with a deadline)
//!                  └ then the rate-limit burst          (alone, bounded)
//!                                   │
//!                             Report ──> to_evidence ──> harden.findings.high|medium|low
//!                                                        harden.<check-id>.findings
//! ```
//!
//! Safety: only loopback and explicitly allowed hosts are contacted ([`http::Target`]);
//! redirects are not followed; every request has a timeout, every group a deadline, the burst a
//! request and a time cap; a group that hits a hung, reset or garbage-speaking server reports
//! `error` for its checks and the other groups still run.
//!
//! Evidence hash: each group hashes its transcript (every request excerpt, response status,
//! headers and body bytes read, in order); the record's `sha256` is the SHA-256 of the group
//! digests, concatenated in the fixed group order headers+cookies, cors, methods, errors, auth,
//! csrf, rate-limit, each followed by a newline.
//!
//! ```no_run
//! # async fn example() -> Result<(), gonogo_harden::AuditError> {
//! use gonogo_harden::{audit, AuthSecrets, HardenConfig};
//!
//! let mut config = HardenConfig::default();
//! config.paths = vec!["/app".into()];
//! let report = audit("http://127.0.0.1:8080", &config, &AuthSecrets::default()).await?;
//! for check in &report.checks {
//!     println!("{} {}", check.check, check.status.as_str());
//! }
//! let evidence = gonogo_harden::to_evidence(&report);
//! # Ok(()) }
//! ```

mod catalog;
pub mod checks;
pub mod cli;
pub mod config;
pub mod http;
pub mod report;
pub mod rules;
pub use catalog::METRICS;

use std::collections::BTreeMap;

use gonogo_core::evidence::{Evidence, Metric, NoteCode, Source, Tool, sha256_hex};
use gonogo_core::units::Unit;

pub use config::{
    AuthConfig, AuthSecrets, CheckOverride, ConfigProblem, CsrfConfig, HardenConfig,
    RateLimitConfig,
};
pub use report::{CheckResult, Confidence, Finding, Report, Status};
pub use rules::{FindingSeverity, RULES, Rule};

use crate::http::{Session, Target, TargetError};
use crate::report::{Outcome, Outcomes, PolicyOverride};
use crate::rules::Group;

/// Why an audit could not start.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the [harden] configuration has {} problem(s):\n{}", .0.len(), .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Config(Vec<ConfigProblem>),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("ca_file {path}: {message}")]
    CaFile { path: String, message: String },
}

/// One group's result: its outcomes, transcript digest and request count.
struct GroupRun {
    outcomes: Outcomes,
    digest: String,
    n_requests: usize,
}

/// Runs `work` with a fresh session under the group deadline; rules of `group` left without
/// an outcome become errors.
async fn run_group(
    group: Group,
    target: &Target,
    config: &HardenConfig,
    extra_roots: &[reqwest::Certificate],
    work: impl AsyncFnOnce(&mut Session, &mut Outcomes),
) -> GroupRun {
    let mut outcomes = Outcomes::default();
    let group_rules = || {
        rules::RULES.iter().filter(move |rule| {
            rule.group == group
                || (group == Group::Headers && matches!(rule.group, Group::Cookies | Group::Tls))
        })
    };
    if config.passive && group.is_active() {
        for rule in group_rules() {
            outcomes.skipped(rule, "passive mode: no active requests");
        }
        return GroupRun {
            outcomes,
            digest: sha256_hex(b""),
            n_requests: 0,
        };
    }
    let mut session = match Session::new(target, config.request_timeout, extra_roots) {
        Ok(session) => session,
        Err(error) => {
            for rule in group_rules() {
                outcomes.error(rule, error.to_string());
            }
            return GroupRun {
                outcomes,
                digest: sha256_hex(b""),
                n_requests: 0,
            };
        }
    };
    let finished = tokio::time::timeout(config.group_timeout, work(&mut session, &mut outcomes))
        .await
        .is_ok();
    for rule in group_rules() {
        let has_outcome = outcomes.by_rule.contains_key(rule.id);
        if !finished && !outcomes.has_findings(rule) {
            outcomes.error(
                rule,
                format!(
                    "the {} checks did not finish within the group deadline of {:?} ({} requests sent)",
                    group.as_str(),
                    config.group_timeout,
                    session.n_requests
                ),
            );
        } else if !has_outcome {
            outcomes.error(rule, "not evaluated");
        }
    }
    let n_requests = session.n_requests;
    GroupRun {
        outcomes,
        digest: session.finish(),
        n_requests,
    }
}

/// Audits the service at `url`.
pub async fn audit(
    url: &str,
    config: &HardenConfig,
    secrets: &AuthSecrets,
) -> Result<Report, AuditError> {
    let problems = config.validate();
    if !problems.is_empty() {
        return Err(AuditError::Config(problems));
    }
    let target = Target::new(url, &config.allow_hosts).await?;
    let extra_roots = match &config.ca_file {
        None => Vec::new(),
        Some(path) => {
            let ca_error = |message: String| AuditError::CaFile {
                path: path.display().to_string(),
                message,
            };
            let pem = std::fs::read(path).map_err(|error| ca_error(error.to_string()))?;
            let roots = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|error| ca_error(error.to_string()))?;
            if roots.is_empty() {
                return Err(ca_error("no PEM certificate in the file".into()));
            }
            roots
        }
    };
    let collected_at = jiff::Timestamp::now();
    let mut paths: Vec<String> = vec!["/".to_owned()];
    for path in &config.paths {
        if !paths.contains(path) {
            paths.push(path.clone());
        }
    }

    let passive = run_group(
        Group::Headers,
        &target,
        config,
        &extra_roots,
        async |session, out| {
            let (exchanges, errors) = checks::baseline(session, &paths).await;
            checks::headers::check(&exchanges, &target, config.hsts_min_max_age, out);
            checks::tls::check(
                &exchanges,
                &errors,
                &target,
                config.min_certificate_days,
                out,
            );
            checks::cookies::check(
                &exchanges,
                &target,
                &config.session_cookies,
                config.strict_secure_cookies,
                out,
            );
            // H-36 sends its own requests (to the plain-http port) and judges no baseline.
            let plain_http_ids = [
                "http-not-redirected-to-https",
                "api-redirects-http-to-https",
            ];
            let ids: Vec<&'static str> = rules::RULES
                .iter()
                .filter(|rule| matches!(rule.group, Group::Headers | Group::Cookies | Group::Tls))
                .filter(|rule| !plain_http_ids.contains(&rule.id))
                .map(|rule| rule.id)
                .collect();
            for id in ids {
                let rule = rules::rule(id);
                if exchanges.is_empty() {
                    out.error(
                        rule,
                        errors
                            .first()
                            .map_or_else(|| "no response".into(), ToString::to_string),
                    );
                } else {
                    for error in &errors {
                        if matches!(out.by_rule.get(id), Some(Outcome::Ran { .. })) {
                            out.note(rule, format!("not checked: {error}"));
                        }
                    }
                }
            }
            if exchanges.is_empty() && target.is_https() {
                // The https side did not answer: whether plain http redirects to it means little.
                for id in plain_http_ids {
                    out.error(
                        rules::rule(id),
                        errors
                            .first()
                            .map_or_else(|| "no response".into(), ToString::to_string),
                    );
                }
            } else {
                checks::plain_http::check(
                    session,
                    &target,
                    config.http_port,
                    &config.api_paths,
                    out,
                )
                .await;
            }
        },
    );
    let cors = run_group(
        Group::Cors,
        &target,
        config,
        &extra_roots,
        async |session, out| {
            checks::cors::check(session, &paths, out).await;
        },
    );
    let methods = run_group(
        Group::Methods,
        &target,
        config,
        &extra_roots,
        async |session, out| {
            checks::methods::check(session, &paths, &config.allowed_methods, out).await;
        },
    );
    let errors = run_group(
        Group::Errors,
        &target,
        config,
        &extra_roots,
        async |session, out| {
            checks::errors::check(session, &config.json_endpoints, config.passive, out).await;
            checks::monitoring::check(
                session,
                config.public_listener,
                &config.monitoring_paths,
                config.passive,
                out,
            )
            .await;
        },
    );
    let auth = run_group(
        Group::Auth,
        &target,
        config,
        &extra_roots,
        async |session, out| {
            checks::auth::check(session, config.auth.as_ref(), secrets, out).await;
        },
    );
    let csrf = run_group(
        Group::Csrf,
        &target,
        config,
        &extra_roots,
        async |session, out| {
            checks::csrf::check(session, config.csrf.as_ref(), secrets, out).await;
        },
    );
    let (passive, cors, methods, errors, auth, csrf) =
        tokio::join!(passive, cors, methods, errors, auth, csrf);
    // The burst runs alone so that it does not slow the other groups' requests down.
    let rate_limit = run_group(
        Group::RateLimit,
        &target,
        config,
        &extra_roots,
        async |session, out| {
            checks::rate_limit::check(session, config.rate_limit.as_ref(), out).await;
        },
    )
    .await;

    let runs = [passive, cors, methods, errors, auth, csrf, rate_limit];
    let mut digests = String::new();
    let mut n_requests = 0;
    let mut by_rule: BTreeMap<&'static str, Outcome> = BTreeMap::new();
    for run in runs {
        digests.push_str(&run.digest);
        digests.push('\n');
        n_requests += run.n_requests;
        by_rule.extend(run.outcomes.by_rule);
    }
    let checks = rules::RULES
        .iter()
        .map(|rule| {
            let outcome = by_rule
                .remove(rule.id)
                .unwrap_or(Outcome::Error("not evaluated".into()));
            result(rule, outcome, config.checks.get(rule.id))
        })
        .collect();
    let mut report = Report {
        target: target.base_url().to_owned(),
        checks,
        n_requests,
        sha256: sha256_hex(digests.as_bytes()),
        collected_at: collected_at.to_string(),
    };
    redact_report(&mut report, &secret_redactor(secrets));
    Ok(report)
}

/// The redactor for an audit: the tokens, secret and cookie the checks were given (the
/// cookie's values one by one too), on top of the credential patterns.
pub fn secret_redactor(secrets: &AuthSecrets) -> gonogo_core::redact::Redactor {
    let mut redactor = gonogo_core::redact::Redactor::new();
    for secret in [
        &secrets.valid_token,
        &secrets.lower_role_token,
        &secrets.hmac_secret,
        &secrets.expired_token,
        &secrets.session_cookie,
        &secrets.csrf_token,
    ]
    .into_iter()
    .flatten()
    {
        redactor.add_secret(secret);
    }
    if let Some(cookie) = &secrets.session_cookie {
        for pair in cookie.split(';') {
            if let Some((_, value)) = pair.split_once('=') {
                redactor.add_secret(value.trim());
            }
        }
    }
    redactor
}

/// Redacts every excerpt, message and note of `report`, and its target URL: a server that
/// echoes a token must not put it into evidence (issue 15, defect 8).
pub fn redact_report(report: &mut Report, redactor: &gonogo_core::redact::Redactor) {
    let apply = |text: &mut String| {
        if let std::borrow::Cow::Owned(redacted) = redactor.redact(text) {
            *text = redacted;
        }
    };
    apply(&mut report.target);
    for check in &mut report.checks {
        check.notes.iter_mut().for_each(apply);
        for finding in &mut check.findings {
            apply(&mut finding.message);
            apply(&mut finding.request);
            apply(&mut finding.response);
        }
    }
}

fn result(rule: &'static Rule, outcome: Outcome, policy: Option<&CheckOverride>) -> CheckResult {
    let (mut status, notes, mut findings) = match outcome {
        Outcome::Ran { findings, notes } => {
            let status = if findings.is_empty() {
                Status::Pass
            } else {
                Status::Fail
            };
            (status, notes, findings)
        }
        Outcome::NotApplicable(reason) => (Status::NotApplicable, vec![reason], Vec::new()),
        Outcome::Skipped(reason) => (Status::Skipped, vec![reason], Vec::new()),
        Outcome::Error(reason) => (Status::Error, vec![reason], Vec::new()),
    };
    let policy_override = policy.map(|policy| {
        let disabled = policy.enabled == Some(false);
        if disabled {
            status = Status::Disabled;
        } else if let Some(severity) = policy.severity {
            for finding in &mut findings {
                finding.severity = severity;
            }
        }
        PolicyOverride {
            disabled,
            severity: policy.severity,
            reason: policy.reason.clone().unwrap_or_default(),
            suppressed_findings: if disabled { findings.len() } else { 0 },
        }
    });
    CheckResult {
        check: rule.id,
        spec: rule.spec,
        asvs_4_0_3: rule.asvs4,
        asvs_5_0_0: rule.asvs5,
        group: rule.group.as_str(),
        title: rule.title,
        status,
        notes,
        findings,
        policy_override,
    }
}

/// The `harden` evidence record: `harden.findings.high|medium|low` over every check that ran
/// and was not disabled, `harden.<check-id>.findings` for each check that ran (a check that did
/// not run has no metric, so a gate on it finds no evidence rather than a zero), and the report
/// itself as details.
pub fn to_evidence(report: &Report) -> Evidence {
    let collected_at = report
        .collected_at
        .parse()
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let mut evidence = Evidence::new(
        "harden",
        Source::Url(report.target.clone()),
        report.sha256.clone(),
        collected_at,
        Tool::new("gonogo-harden", env!("CARGO_PKG_VERSION")),
    );
    let not_run: Vec<&str> = report
        .checks
        .iter()
        .filter(|check| matches!(check.status, Status::Error | Status::Skipped))
        .map(|check| check.check)
        .collect();
    // A check that errored (the target did not answer, a request failed) could have found
    // something: the counts are lower bounds, and the record says so. Skipped checks were
    // switched off or do not apply, which is not missing evidence.
    let errored: Vec<&str> = report
        .checks
        .iter()
        .filter(|check| matches!(check.status, Status::Error))
        .map(|check| check.check)
        .collect();
    // Each note with its code, so reports word it in their language (issue 17).
    if !errored.is_empty() {
        evidence.mark_incomplete_coded(
            format!(
                "{} of {} checks did not run because of errors: {}",
                errored.len(),
                report.checks.len(),
                errored.join(", ")
            ),
            NoteCode::new("harden.checks_errored")
                .arg("count", errored.len())
                .arg("total", report.checks.len())
                .arg("checks", errored.join(", ")),
        );
    }
    for severity in [
        FindingSeverity::High,
        FindingSeverity::Medium,
        FindingSeverity::Low,
    ] {
        let mut metric = Metric::value(report.count(severity) as f64, Unit::count("findings"));
        if !not_run.is_empty() {
            metric = metric.with_coded_note(
                format!(
                    "{} check(s) did not run (error or skipped): {}",
                    not_run.len(),
                    not_run.join(", ")
                ),
                NoteCode::new("harden.checks_not_run")
                    .arg("count", not_run.len())
                    .arg("checks", not_run.join(", ")),
            );
        }
        evidence.insert(format!("harden.findings.{}", severity.as_str()), metric);
    }
    for check in &report.checks {
        if check.status.ran() {
            let mut metric = Metric::value(check.findings.len() as f64, Unit::count("findings"));
            if let Some(policy) = &check.policy_override {
                metric = metric.with_coded_note(
                    format!("re-graded by the policy: {}", policy.reason),
                    NoteCode::new("harden.regraded").arg("reason", &policy.reason),
                );
            }
            evidence.insert(format!("harden.{}.findings", check.check), metric);
        }
    }
    evidence.details = serde_json::to_value(report).unwrap_or(serde_json::Value::Null);
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(id: &'static str, status: Status) -> CheckResult {
        CheckResult {
            check: id,
            spec: "",
            asvs_4_0_3: "",
            asvs_5_0_0: "",
            group: "headers",
            title: id,
            status,
            notes: Vec::new(),
            findings: Vec::new(),
            policy_override: None,
        }
    }

    /// Issue 17: the notes of the record carry their code and arguments beside the English,
    /// so a report words them in its language.
    #[test]
    fn notes_carry_their_code_and_arguments() {
        let report = Report {
            target: "http://127.0.0.1:8080".into(),
            checks: vec![
                check("hsts", Status::Error),
                check("cors", Status::Skipped),
                check("csp", Status::Pass),
            ],
            n_requests: 3,
            sha256: sha256_hex(b"report"),
            collected_at: "2026-12-01T12:00:00Z".into(),
        };
        let evidence = to_evidence(&report);
        let errored = "1 of 3 checks did not run because of errors: hsts";
        assert_eq!(evidence.incomplete, [errored]);
        assert_eq!(
            evidence.incomplete_codes[errored],
            NoteCode::new("harden.checks_errored")
                .arg("count", 1)
                .arg("total", 3)
                .arg("checks", "hsts")
        );
        let high = &evidence.metrics["harden.findings.high"];
        assert_eq!(
            high.note.as_deref(),
            Some("2 check(s) did not run (error or skipped): hsts, cors")
        );
        assert_eq!(
            high.note_code,
            Some(
                NoteCode::new("harden.checks_not_run")
                    .arg("count", 2)
                    .arg("checks", "hsts, cors")
            )
        );
        // And they survive the wire format.
        let back = gonogo_core::wire::parse_records(
            &gonogo_core::wire::to_json_line(&evidence),
            gonogo_core::catalog::Catalog::new(&[crate::METRICS]),
        )
        .unwrap()
        .remove(0);
        assert_eq!(back.incomplete_codes, evidence.incomplete_codes);
        assert_eq!(
            back.metrics["harden.findings.high"].note_code,
            high.note_code
        );
    }
}
