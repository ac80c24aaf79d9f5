//! The catalogue rows of the metrics the hardening audit writes (`gonogo_core::catalog`).

use gonogo_core::catalog::Combine::Sum;
use gonogo_core::catalog::KnownMetric;
use gonogo_core::evidence::Shape::Value;

/// This crate's rows of the catalogue, in the order `gonogo metrics` lists them.
pub const METRICS: &[KnownMetric] = &[
    // Hardening (`gonogo harden`): findings by severity, and one value per check.
    KnownMetric::new(
        "harden.findings.high",
        Value,
        "findings",
        "harden",
        Sum,
        "high-severity findings",
    ),
    KnownMetric::new(
        "harden.findings.medium",
        Value,
        "findings",
        "harden",
        Sum,
        "medium-severity findings",
    ),
    KnownMetric::new(
        "harden.findings.low",
        Value,
        "findings",
        "harden",
        Sum,
        "low-severity findings",
    ),
    KnownMetric::new(
        "harden.*.findings",
        Value,
        "findings",
        "harden",
        Sum,
        "findings of one check",
    ),
];
