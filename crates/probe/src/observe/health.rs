//! Health endpoint checks (spec O-11, O-12): the declared health paths exist and answer
//! correctly, and their body agrees with their status.
//!
//! Each path gets one `GET` over a fresh connection (redirects not followed). It is *ok* when
//! the status is 200-399 (Kubernetes' success range; a 3xx is noted) and, when the body is a
//! health response (`application/health+json` `status`, or Spring/MicroProfile `UP`/`DOWN`),
//! the body does not say `fail`/`DOWN`. A 2xx with a failing body is reported as
//! `inconsistent` (the health handler lies to status-only probes). With `discover`, the common
//! paths (`/health/live`, `/health/ready`, `/livez`, `/readyz`, `/healthz`, `/health`,
//! `/actuator/health/...`) are tried and the ones that answer other than 404 are checked.
//!
//! Evidence: `observe.health.ok`, endpoints answering as expected of endpoints checked (a
//! ratio); `details.endpoints` lists each with its status, latency and failing checks.

use std::time::Instant;

use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool, sha256_hex};
use gonogo_core::units::Unit;
use jiff::Timestamp;
use serde::Serialize;

use crate::net::{self, HostPolicy, HttpRequest, Target, Timeouts, TlsSettings};
use crate::probe::health::{HealthStatus, parse_health};

/// The paths `discover` tries, in order.
pub const DISCOVERY_PATHS: &[&str] = &[
    "/health/live",
    "/health/ready",
    "/health/started",
    "/livez",
    "/readyz",
    "/healthz",
    "/health",
    "/actuator/health/liveness",
    "/actuator/health/readiness",
    "/actuator/health",
];

/// One endpoint's result.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointCheck {
    pub path: String,
    pub ok: bool,
    /// `ok`, `redirect`, `unreachable`, `status`, `body_fail`, `inconsistent`.
    pub verdict: &'static str,
    pub status: Option<u16>,
    pub latency_us: u64,
    pub body_status: Option<HealthStatus>,
    pub failing_checks: Vec<String>,
    pub message: Option<String>,
    #[serde(skip)]
    body_sha256: String,
}

/// Checks `paths` under `base` (or discovers them when `paths` is empty and `discover`).
pub async fn check_health(
    base: &str,
    paths: &[String],
    discover: bool,
    policy: &HostPolicy,
    tls: &TlsSettings,
    timeouts: Timeouts,
) -> Result<Vec<EndpointCheck>, net::NetError> {
    let base = base.trim_end_matches('/');
    let mut checks = Vec::new();
    let candidates: Vec<String> = if paths.is_empty() && discover {
        DISCOVERY_PATHS.iter().map(|p| p.to_string()).collect()
    } else {
        paths.to_vec()
    };
    for path in candidates {
        let target = Target::parse(&format!("{base}{path}"))?;
        let started = Instant::now();
        let result = net::exchange(&target, &HttpRequest::default(), policy, tls, timeouts).await;
        let mut check = EndpointCheck {
            path: path.clone(),
            ok: false,
            verdict: "unreachable",
            status: None,
            latency_us: 0,
            body_status: None,
            failing_checks: Vec::new(),
            message: None,
            body_sha256: String::new(),
        };
        match result {
            Err(failure) => {
                if let net::NetError::HostNotAllowed { .. } = failure.error {
                    return Err(failure.error);
                }
                check.message = Some(failure.error.to_string());
            }
            Ok(exchange) => {
                let status = exchange.response.status().as_u16();
                check.status = Some(status);
                let remaining = timeouts.total.saturating_sub(started.elapsed());
                let body = net::collect_body(
                    exchange.response.into_body(),
                    64 * 1024,
                    remaining.max(std::time::Duration::from_millis(1)),
                )
                .await
                .map(|(bytes, _)| bytes)
                .unwrap_or_default();
                check.body_sha256 = sha256_hex(&body);
                if let Some(health) = parse_health(&body) {
                    check.body_status = Some(health.status);
                    check.failing_checks = health.failing_checks;
                }
                let body_fails = check.body_status == Some(HealthStatus::Fail);
                (check.ok, check.verdict) = match status {
                    200..=299 if body_fails => (false, "inconsistent"),
                    200..=299 => (true, "ok"),
                    300..=399 => (true, "redirect"),
                    _ if body_fails => (false, "body_fail"),
                    _ => (false, "status"),
                };
                if discover && paths.is_empty() && status == 404 {
                    continue;
                }
            }
        }
        check.latency_us = net::micros(started.elapsed());
        checks.push(check);
    }
    Ok(checks)
}

/// The `observe` evidence of health checks; `None` when no endpoint was checked (nothing
/// found is missing evidence, not a pass).
pub fn health_evidence(base: &str, checks: &[EndpointCheck], now: Timestamp) -> Option<Evidence> {
    if checks.is_empty() {
        return None;
    }
    let n_ok = checks.iter().filter(|c| c.ok).count() as u64;
    let canonical: Vec<String> = checks
        .iter()
        .map(|c| format!("{} {:?} {}", c.path, c.status, c.body_sha256))
        .collect();
    let mut record = Evidence::new(
        "observe",
        Source::Url(base.to_string()),
        sha256_hex(canonical.join("\n").as_bytes()),
        now,
        Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
    );
    record.insert(
        "observe.health.ok",
        Metric::ratio(
            Ratio::new(n_ok, checks.len() as u64).expect("ok <= checked"),
            Unit::count("endpoints"),
        ),
    );
    let has = |words: &[&str]| {
        checks
            .iter()
            .any(|c| words.iter().any(|w| c.path.contains(w)))
    };
    record.details = serde_json::json!({
        "endpoints": checks,
        "liveness_found": has(&["live"]),
        "readiness_found": has(&["ready"]),
    });
    Some(record)
}
