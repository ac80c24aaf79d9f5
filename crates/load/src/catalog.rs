//! The catalogue rows of the metrics the load engine writes (`gonogo_core::catalog`), evidence
//! of kind `load`.

use gonogo_core::catalog::Combine::Sum;
use gonogo_core::catalog::KnownMetric;
use gonogo_core::evidence::Shape::{Distribution, Ratio, Value};

/// This crate's rows of the catalogue, in the order `gonogo metrics` lists them.
pub const METRICS: &[KnownMetric] = &[
    // Load (`gonogo load`): one scenario per name (`default` unless named).
    KnownMetric::new(
        "load.*.latency",
        Distribution,
        "us",
        "load",
        Sum,
        "request latency from intended start",
    ),
    KnownMetric::new(
        "load.*.errors",
        Ratio,
        "requests",
        "load",
        Sum,
        "requests that failed for any reason",
    ),
    KnownMetric::new(
        "load.*.status_4xx",
        Ratio,
        "requests",
        "load",
        Sum,
        "responses with a 4xx status",
    ),
    KnownMetric::new(
        "load.*.status_5xx",
        Ratio,
        "requests",
        "load",
        Sum,
        "responses with a 5xx status",
    ),
    KnownMetric::new(
        "load.*.rate_limited",
        Ratio,
        "requests",
        "load",
        Sum,
        "responses that were rate limited",
    ),
    KnownMetric::new(
        "load.*.dropped",
        Ratio,
        "requests",
        "load",
        Sum,
        "scheduled requests that could not start",
    ),
    KnownMetric::new(
        "load.*.throughput",
        Value,
        "1/s",
        "load",
        Sum,
        "answered requests per second (refused connections are not throughput)",
    ),
    KnownMetric::new(
        "load.*.requests",
        Value,
        "requests",
        "load",
        Sum,
        "requests a server answered",
    ),
    KnownMetric::new(
        "load.*.leaks",
        Ratio,
        "responses",
        "load",
        Sum,
        "error responses whose body showed a stack trace, a database error or a version (drills)",
    ),
    // `gonogo load --urls`: per URL; the second `*` is the URL's place in the file (1, 2, ...).
    KnownMetric::new(
        "load.*.url.*.latency",
        Distribution,
        "us",
        "load",
        Sum,
        "one URL's request latency (--urls), as load.NAME.latency",
    ),
    KnownMetric::new(
        "load.*.url.*.errors",
        Ratio,
        "requests",
        "load",
        Sum,
        "one URL's failed requests (--urls), of its requests due",
    ),
];
