//! The catalogue rows of the metrics the probe, observe and prometheus engines write
//! (`gonogo_core::catalog`), and the recovery and detection times the probes measure beside a
//! resilience drill.

use gonogo_core::catalog::Combine::{Max, Min, Single, Sum};
use gonogo_core::catalog::KnownMetric;
use gonogo_core::evidence::Shape::{Distribution, Ratio, Value};

/// This crate's rows of the catalogue, in the order `gonogo metrics` lists them.
pub const METRICS: &[KnownMetric] = &[
    // Resilience drills (`[[fault]]`): per fault, from its end until requests succeed again
    // for a sustained window.
    KnownMetric::new(
        "recovery.*.seconds",
        Value,
        "s",
        "probe",
        Max,
        "seconds from a fault's end until probes succeeded again for a sustained window",
    ),
    KnownMetric::new(
        "detection.*.seconds",
        Value,
        "s",
        "probe",
        Max,
        "seconds from a fault's start until probes failed for a sustained window (a readiness check that reports the outage)",
    ),
    // Probes (`gonogo probe`).
    KnownMetric::new(
        "probe.*.availability",
        Ratio,
        "probes",
        "probe",
        Sum,
        "probes whose conditions all held",
    ),
    KnownMetric::new(
        "probe.*.latency",
        Distribution,
        "us",
        "probe",
        Sum,
        "probe response time",
    ),
    KnownMetric::new(
        "probe.*.cert_expiry",
        Value,
        "d",
        "probe",
        Min,
        "days until the certificate expires",
    ),
    // Observability (`gonogo observe`).
    KnownMetric::new(
        "observe.metrics.problems",
        Value,
        "problems",
        "observe",
        Sum,
        "lint problems in /metrics",
    ),
    KnownMetric::new(
        "observe.metrics.required",
        Ratio,
        "series",
        "observe",
        Sum,
        "required series present",
    )
    .census(),
    KnownMetric::new(
        "observe.health.ok",
        Ratio,
        "endpoints",
        "observe",
        Sum,
        "health endpoints answering as expected",
    ),
    KnownMetric::new(
        "observe.logs.structured",
        Ratio,
        "lines",
        "observe",
        Sum,
        "log lines that are JSON objects",
    ),
    KnownMetric::new(
        "observe.logs.fields",
        Ratio,
        "lines",
        "observe",
        Sum,
        "JSON log lines with every required field",
    ),
    // Prometheus queries (`[[prometheus]]`): one value per named query.
    KnownMetric::new(
        "prometheus.*",
        Value,
        "1",
        "prometheus",
        Single,
        "a PromQL query's result",
    ),
    // Prometheus alerting rules (`gonogo prometheus rules`).
    KnownMetric::new(
        "prometheus.rules.unhealthy",
        Value,
        "rules",
        "prometheus",
        Sum,
        "loaded rules whose last evaluation failed",
    ),
    KnownMetric::new(
        "prometheus.rules.alert_coverage",
        Ratio,
        "series",
        "prometheus",
        Sum,
        "required series selected by some alerting rule",
    ),
    KnownMetric::new(
        "prometheus.alertmanager.reachable",
        Value,
        "1",
        "prometheus",
        Min,
        "1 when the named Alertmanager is ready and Prometheus sends to it",
    ),
];
