//! The metrics gonogo's engines and collectors produce: names, shapes and units.
//!
//! A gate names a metric. When no evidence carries that name, the catalogue decides whether the
//! gate is *missing* evidence (the name is one gonogo knows how to produce) or the policy has a
//! typo (an unknown name: an error that suggests the closest known names). A policy declares
//! its own metrics with `[[metric]]`.
//!
//! A pattern's `*` stands for exactly one dotted segment chosen by the user (a load scenario,
//! a probe or a command name): `load.*.latency` matches `load.checkout.latency`.
//!
//! Every engine writes these names; a new engine adds its rows here.
//!
//! Phases of a resilience drill (docs/drills.md): a load or probe metric measured over one
//! phase only carries the phase after its name, `load.checkout.errors[during:redis-down]`,
//! `probe.ready.availability[before]`, `...[after]`; it has the shape and unit of the metric
//! itself ([`split_phase`], [`lookup`]). `recovery.NAME.seconds` is how long requests took to
//! succeed again after the fault `NAME` ended.

use crate::evidence::Shape;

/// One row of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownMetric {
    pub pattern: &'static str,
    pub shape: Shape,
    /// The unit the producer writes (see [`crate::units`]).
    pub unit: &'static str,
    /// The evidence `kind` that carries it.
    pub kind: &'static str,
    pub about: &'static str,
}

const fn row(
    pattern: &'static str,
    shape: Shape,
    unit: &'static str,
    kind: &'static str,
    about: &'static str,
) -> KnownMetric {
    KnownMetric {
        pattern,
        shape,
        unit,
        kind,
        about,
    }
}

use Shape::{Distribution, Ratio, Value};

/// Every metric name gonogo produces.
pub const CATALOG: &[KnownMetric] = &[
    // Test results (JUnit XML and friends). Ratios are over tests that ran (not skipped),
    // except `tests.skipped`, which is over all collected tests.
    row(
        "tests.failed",
        Ratio,
        "tests",
        "junit",
        "tests that failed or errored, of tests run",
    ),
    row(
        "tests.passed",
        Ratio,
        "tests",
        "junit",
        "tests that passed, of tests run",
    ),
    row(
        "tests.errored",
        Ratio,
        "tests",
        "junit",
        "tests that errored, of tests run",
    ),
    row(
        "tests.skipped",
        Ratio,
        "tests",
        "junit",
        "tests skipped, of tests collected",
    ),
    row(
        "tests.flaky",
        Ratio,
        "tests",
        "junit",
        "tests that passed only on a rerun, of tests run",
    ),
    row("tests.duration", Value, "s", "junit", "total test time"),
    // Coverage (LCOV, Cobertura, JaCoCo): hit of found.
    row(
        "coverage.lines",
        Ratio,
        "lines",
        "coverage",
        "lines covered, of instrumented lines",
    ),
    row(
        "coverage.branches",
        Ratio,
        "branches",
        "coverage",
        "branches covered",
    ),
    row(
        "coverage.functions",
        Ratio,
        "functions",
        "coverage",
        "functions covered",
    ),
    // Static analysis (SARIF 2.1.0): counts of results by level; `new` counts only results
    // whose baselineState is `new`.
    row(
        "sarif.error",
        Value,
        "findings",
        "sarif",
        "results at level error",
    ),
    row(
        "sarif.warning",
        Value,
        "findings",
        "sarif",
        "results at level warning",
    ),
    row(
        "sarif.note",
        Value,
        "findings",
        "sarif",
        "results at level note",
    ),
    row(
        "sarif.none",
        Value,
        "findings",
        "sarif",
        "results at level none",
    ),
    row(
        "sarif.new.error",
        Value,
        "findings",
        "sarif",
        "new results at level error",
    ),
    row(
        "sarif.new.warning",
        Value,
        "findings",
        "sarif",
        "new results at level warning",
    ),
    row(
        "sarif.suppressed",
        Value,
        "findings",
        "sarif",
        "suppressed results",
    ),
    // Dependency audits: open vulnerabilities by severity, after the policy's ignore list.
    row(
        "audit.critical",
        Value,
        "vulnerabilities",
        "audit",
        "critical vulnerabilities",
    ),
    row(
        "audit.high",
        Value,
        "vulnerabilities",
        "audit",
        "high vulnerabilities",
    ),
    row(
        "audit.moderate",
        Value,
        "vulnerabilities",
        "audit",
        "moderate vulnerabilities",
    ),
    row(
        "audit.low",
        Value,
        "vulnerabilities",
        "audit",
        "low vulnerabilities",
    ),
    row(
        "audit.unknown",
        Value,
        "vulnerabilities",
        "audit",
        "vulnerabilities of unknown severity",
    ),
    // k6 summaries: trends are values (k6 exports no histogram, so no sample count); rates are
    // ratios; counters are values.
    row("k6.*.p95", Value, "ms", "k6", "a k6 trend's p(95)"),
    row("k6.*.p99", Value, "ms", "k6", "a k6 trend's p(99)"),
    row("k6.*.p90", Value, "ms", "k6", "a k6 trend's p(90)"),
    row("k6.*.med", Value, "ms", "k6", "a k6 trend's median"),
    row("k6.*.avg", Value, "ms", "k6", "a k6 trend's mean"),
    row("k6.*.max", Value, "ms", "k6", "a k6 trend's maximum"),
    row(
        "k6.*.rate",
        Ratio,
        "events",
        "k6",
        "a k6 rate metric (passes of passes + fails)",
    ),
    row("k6.*.count", Value, "events", "k6", "a k6 counter"),
    // Load (`gonogo load`): one scenario per name (`default` unless named).
    row(
        "load.*.latency",
        Distribution,
        "us",
        "load",
        "request latency from intended start",
    ),
    row(
        "load.*.errors",
        Ratio,
        "requests",
        "load",
        "requests that failed for any reason",
    ),
    row(
        "load.*.status_4xx",
        Ratio,
        "requests",
        "load",
        "responses with a 4xx status",
    ),
    row(
        "load.*.status_5xx",
        Ratio,
        "requests",
        "load",
        "responses with a 5xx status",
    ),
    row(
        "load.*.rate_limited",
        Ratio,
        "requests",
        "load",
        "responses that were rate limited",
    ),
    row(
        "load.*.dropped",
        Ratio,
        "requests",
        "load",
        "scheduled requests that could not start",
    ),
    row(
        "load.*.throughput",
        Value,
        "1/s",
        "load",
        "answered requests per second (refused connections are not throughput)",
    ),
    row(
        "load.*.requests",
        Value,
        "requests",
        "load",
        "requests a server answered",
    ),
    row(
        "load.*.leaks",
        Ratio,
        "responses",
        "load",
        "error responses whose body showed a stack trace, a database error or a version (drills)",
    ),
    row(
        "load.*.checks_failed",
        Ratio,
        "checks",
        "load",
        "k6 checks that failed, of checks run (from k6's raw results)",
    ),
    // Locust's --csv stats: percentiles without samples, estimates (ms).
    row(
        "locust.*.p50",
        Value,
        "ms",
        "load",
        "Locust's median (an estimate)",
    ),
    row(
        "locust.*.p90",
        Value,
        "ms",
        "load",
        "Locust's p90 (an estimate)",
    ),
    row(
        "locust.*.p95",
        Value,
        "ms",
        "load",
        "Locust's p95 (an estimate)",
    ),
    row(
        "locust.*.p99",
        Value,
        "ms",
        "load",
        "Locust's p99 (an estimate)",
    ),
    row(
        "locust.*.max",
        Value,
        "ms",
        "load",
        "Locust's maximum (an estimate)",
    ),
    row(
        "locust.*.avg",
        Value,
        "ms",
        "load",
        "Locust's mean (an estimate)",
    ),
    // `gonogo load --urls`: per URL; the second `*` is the URL's place in the file (1, 2, ...).
    row(
        "load.*.url.*.latency",
        Distribution,
        "us",
        "load",
        "one URL's request latency (--urls), as load.NAME.latency",
    ),
    row(
        "load.*.url.*.errors",
        Ratio,
        "requests",
        "load",
        "one URL's failed requests (--urls), of its requests due",
    ),
    // Resilience drills (`[[fault]]`): per fault, from its end until requests succeed again
    // for a sustained window.
    row(
        "recovery.*.seconds",
        Value,
        "s",
        "probe",
        "seconds from a fault's end until probes succeeded again for a sustained window",
    ),
    row(
        "detection.*.seconds",
        Value,
        "s",
        "probe",
        "seconds from a fault's start until probes failed for a sustained window (a readiness check that reports the outage)",
    ),
    // Probes (`gonogo probe`).
    row(
        "probe.*.availability",
        Ratio,
        "probes",
        "probe",
        "probes whose conditions all held",
    ),
    row(
        "probe.*.latency",
        Distribution,
        "us",
        "probe",
        "probe response time",
    ),
    row(
        "probe.*.cert_expiry",
        Value,
        "d",
        "probe",
        "days until the certificate expires",
    ),
    // Observability (`gonogo observe`).
    row(
        "observe.metrics.problems",
        Value,
        "problems",
        "observe",
        "lint problems in /metrics",
    ),
    row(
        "observe.metrics.required",
        Ratio,
        "series",
        "observe",
        "required series present",
    ),
    row(
        "observe.health.ok",
        Ratio,
        "endpoints",
        "observe",
        "health endpoints answering as expected",
    ),
    row(
        "observe.logs.structured",
        Ratio,
        "lines",
        "observe",
        "log lines that are JSON objects",
    ),
    row(
        "observe.logs.fields",
        Ratio,
        "lines",
        "observe",
        "JSON log lines with every required field",
    ),
    // Hardening (`gonogo harden`): findings by severity, and one value per check.
    row(
        "harden.findings.high",
        Value,
        "findings",
        "harden",
        "high-severity findings",
    ),
    row(
        "harden.findings.medium",
        Value,
        "findings",
        "harden",
        "medium-severity findings",
    ),
    row(
        "harden.findings.low",
        Value,
        "findings",
        "harden",
        "low-severity findings",
    ),
    row(
        "harden.*.findings",
        Value,
        "findings",
        "harden",
        "findings of one check",
    ),
    // Prometheus queries (`[[prometheus]]`): one value per named query.
    row(
        "prometheus.*",
        Value,
        "1",
        "prometheus",
        "a PromQL query's result",
    ),
    // Prometheus alerting rules (`gonogo prometheus rules`).
    row(
        "prometheus.rules.unhealthy",
        Value,
        "rules",
        "prometheus",
        "loaded rules whose last evaluation failed",
    ),
    row(
        "prometheus.rules.alert_coverage",
        Ratio,
        "series",
        "prometheus",
        "required series selected by some alerting rule",
    ),
    row(
        "prometheus.alertmanager.reachable",
        Value,
        "1",
        "prometheus",
        "1 when the named Alertmanager is ready and Prometheus sends to it",
    ),
    // CI run history (`ci-history`): per workflow (all branches) and per workflow and branch.
    // Runs count when they ended in success or failure (docs/delivery.md).
    row(
        "ci.*.success",
        Ratio,
        "runs",
        "ci",
        "CI runs that succeeded at their first attempt, of runs that ended in success or failure",
    ),
    row(
        "ci.*.flaky",
        Ratio,
        "runs",
        "ci",
        "CI runs that succeeded only on a re-run, of runs counted",
    ),
    row(
        "ci.*.duration",
        Distribution,
        "s",
        "ci",
        "wall time of each counted CI run",
    ),
    row(
        "ci.*.*.success",
        Ratio,
        "runs",
        "ci",
        "as ci.WORKFLOW.success, on one branch (ci.WORKFLOW.BRANCH.success)",
    ),
    row(
        "ci.*.*.flaky",
        Ratio,
        "runs",
        "ci",
        "as ci.WORKFLOW.flaky, on one branch",
    ),
    row(
        "ci.*.*.duration",
        Distribution,
        "s",
        "ci",
        "as ci.WORKFLOW.duration, on one branch",
    ),
    // DORA metrics from release tags and commits (`[delivery.dora]`, docs/delivery.md).
    row(
        "dora.deploys_per_week",
        Distribution,
        "deploys",
        "dora",
        "releases per week, one sample per week of the observation window",
    ),
    row(
        "dora.lead_time",
        Distribution,
        "s",
        "dora",
        "commit time to the release that shipped it, per commit",
    ),
    row(
        "dora.change_failure",
        Ratio,
        "releases",
        "dora",
        "releases followed by a revert, hotfix or rollback within the window, of releases judged",
    ),
    row(
        "dora.time_to_restore",
        Distribution,
        "s",
        "dora",
        "failed release to the release that shipped its remedy",
    ),
    // Commands run by gonogo, and delivery context.
    row(
        "command.*.exit_code",
        Value,
        "1",
        "command",
        "a command's exit code",
    ),
    row(
        "command.*.duration",
        Value,
        "s",
        "command",
        "a command's wall time",
    ),
    row(
        "delivery.rollback.drill",
        Value,
        "1",
        "rollback",
        "1 when a rollback drill deployed the rollback target, saw it healthy in time and rolled forward",
    ),
    row(
        "delivery.rollback.duration",
        Value,
        "s",
        "rollback",
        "a rollback drill's deploy start to the first healthy answer",
    ),
    row(
        "git.dirty",
        Value,
        "files",
        "git",
        "uncommitted changes in the working tree",
    ),
    row(
        "git.rollback_target",
        Value,
        "tags",
        "git",
        "1 when a previous release tag exists",
    ),
];

/// How records of one metric from *different* sources (after duplicates and re-measurements
/// are set aside) combine into one measurement. Declared once here for gonogo's metrics; a
/// policy declares it for its own `[[metric]]`s. Never "the newest" across sources: that would
/// let the order of collection decide a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    /// Parts of one whole: ratios add `k` and `n` (several JUnit suites are one run's tests),
    /// histograms merge, plain values add (findings of two analysers, vulnerabilities of two
    /// lockfiles).
    Sum,
    /// Coverage: the union by file, as `coverage combine` does; a file in two reports counts
    /// once with the best of each (a lower bound of the true per-line union), never a sum.
    Union,
    /// A state whose worst is the lowest (days to certificate expiry, reachable = 1).
    Min,
    /// A state whose worst is the highest (changed files in the tree, a duration).
    Max,
    /// Exit codes: any non-zero code wins, the largest first.
    Nonzero,
    /// No meaning across sources (a throughput figure, a PromQL scalar): two sources conflict
    /// and the gate cannot decide until one is named.
    Single,
}

impl Combine {
    pub fn as_str(self) -> &'static str {
        match self {
            Combine::Sum => "sum",
            Combine::Union => "union",
            Combine::Min => "min",
            Combine::Max => "max",
            Combine::Nonzero => "nonzero",
            Combine::Single => "single",
        }
    }

    /// The combiner of gonogo's own metric `name`, or of a declared metric of `shape`.
    pub fn for_metric(name: &str, shape: Shape) -> Combine {
        match lookup(name).map(|row| row.pattern) {
            Some(p) if p.starts_with("coverage.") => Combine::Union,
            Some(
                "probe.*.cert_expiry"
                | "prometheus.alertmanager.reachable"
                | "git.rollback_target"
                | "delivery.rollback.drill",
            ) => Combine::Min,
            // Several probes saw the same fault: the slowest recovery is the recovery.
            Some(
                "git.dirty"
                | "command.*.duration"
                | "delivery.rollback.duration"
                | "recovery.*.seconds"
                | "detection.*.seconds",
            ) => Combine::Max,
            Some("command.*.exit_code") => Combine::Nonzero,
            Some("prometheus.*") => Combine::Single,
            Some(p) if p.starts_with("k6.") && shape == Shape::Value && !p.ends_with(".count") => {
                Combine::Single
            }
            Some(_) => Combine::Sum,
            None => match shape {
                Shape::Value => Combine::Single,
                Shape::Ratio | Shape::Distribution => Combine::Sum,
            },
        }
    }
}

/// A name chosen by the user (a command, a scenario) as one metric segment: lower case, `_`
/// for anything not alphanumeric (`Unit tests` → `unit_tests`).
pub fn segment(name: &str) -> String {
    let key: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if key.is_empty() {
        "command".into()
    } else {
        key
    }
}

/// Whether `name` matches `pattern` (`*` is exactly one non-empty segment).
pub fn matches(pattern: &str, name: &str) -> bool {
    let mut pattern_segments = pattern.split('.');
    let mut name_segments = name.split('.');
    loop {
        match (pattern_segments.next(), name_segments.next()) {
            (None, None) => return true,
            (Some("*"), Some(segment)) if !segment.is_empty() => {}
            (Some(p), Some(n)) if p == n => {}
            _ => return false,
        }
    }
}

/// A phase of a drill, as written after a metric's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase<'a> {
    /// Before the first fault began.
    Before,
    /// While the fault of this name was active.
    During(&'a str),
    /// After the last fault ended.
    After,
}

/// One phase of a drill in wall-clock time, `start <= t < end`: what `gonogo run` hands the
/// engines that run beside its drills, so each can split its samples by phase.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseWindow {
    pub name: String,
    pub start: jiff::Timestamp,
    pub end: jiff::Timestamp,
}

/// Whether `name` can name a drill's phase: 1 to 64 ASCII letters, digits, `-` or `_`.
pub fn is_phase_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A metric name and its phase: `load.a.errors[during:redis-down]` is
/// (`load.a.errors`, `During("redis-down")`). A name without a well-formed phase suffix is
/// returned whole, with no phase.
pub fn split_phase(name: &str) -> (&str, Option<Phase<'_>>) {
    let Some((base, rest)) = name.split_once('[') else {
        return (name, None);
    };
    let Some(inner) = rest.strip_suffix(']') else {
        return (name, None);
    };
    let phase = match inner {
        "before" => Phase::Before,
        "after" => Phase::After,
        _ => match inner.strip_prefix("during:") {
            Some(fault) if is_phase_name(fault) => Phase::During(fault),
            _ => return (name, None),
        },
    };
    (base, Some(phase))
}

/// The catalogue row for `name`, if gonogo produces it. A load or probe metric with a phase
/// suffix is the metric's own row.
pub fn lookup(name: &str) -> Option<&'static KnownMetric> {
    let (base, phase) = split_phase(name);
    let row = CATALOG.iter().find(|row| matches(row.pattern, base))?;
    match phase {
        None => Some(row),
        Some(_) if matches!(row.kind, "load" | "probe") => Some(row),
        Some(_) => None,
    }
}

/// Whether a ratio metric counts a whole population rather than a sample of one: lines,
/// branches and functions covered, the required series exposed. Its `rate` is compared
/// exactly, with no interval.
pub fn is_census(metric: &str) -> bool {
    matches!(
        metric,
        "coverage.lines"
            | "coverage.branches"
            | "coverage.functions"
            // The required series present, of every series the policy requires.
            | "observe.metrics.required"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_never_combine_by_recency() {
        use Combine::*;
        assert_eq!(Combine::for_metric("audit.critical", Value), Sum);
        assert_eq!(Combine::for_metric("coverage.lines", Ratio), Union);
        assert_eq!(Combine::for_metric("probe.redis.cert_expiry", Value), Min);
        assert_eq!(
            Combine::for_metric("command.pytest.exit_code", Value),
            Nonzero
        );
        assert_eq!(Combine::for_metric("prometheus.errors", Value), Single);
        assert_eq!(
            Combine::for_metric("k6.http_req_duration.p95", Value),
            Single
        );
        assert_eq!(Combine::for_metric("custom.depth", Value), Single);
        assert_eq!(Combine::for_metric("custom.ok", Ratio), Sum);
        assert_eq!(segment("Unit tests"), "unit_tests");
    }

    #[test]
    fn star_matches_one_segment() {
        assert!(matches("load.*.latency", "load.checkout.latency"));
        assert!(!matches(
            "load.*.latency",
            "load.checkout.latency[during:x]"
        ));
        assert!(!matches("load.*.latency", "load.latency"));
        assert!(!matches("load.*.latency", "load.a.b.latency"));
        assert!(matches("prometheus.*", "prometheus.error_ratio"));
        assert_eq!(lookup("tests.failed").unwrap().shape, Shape::Ratio);
        assert!(lookup("tests.faild").is_none());
    }

    #[test]
    fn patterns_do_not_overlap() {
        for (i, a) in CATALOG.iter().enumerate() {
            for b in &CATALOG[i + 1..] {
                let probe = a.pattern.replace('*', "x");
                assert!(
                    !matches(b.pattern, &probe),
                    "{} overlaps {}",
                    a.pattern,
                    b.pattern
                );
            }
        }
    }

    #[test]
    fn a_phase_suffix_names_the_same_metric_over_one_phase_of_a_drill() {
        assert_eq!(
            split_phase("load.checkout.errors[during:redis-down]"),
            ("load.checkout.errors", Some(Phase::During("redis-down")))
        );
        assert_eq!(
            split_phase("probe.ready.availability[before]"),
            ("probe.ready.availability", Some(Phase::Before))
        );
        assert_eq!(split_phase("load.a.latency[after]").1, Some(Phase::After));
        for malformed in [
            "load.a.errors[during:]",
            "load.a.errors[during:a.b]",
            "load.a.errors[sometime]",
            "load.a.errors[before",
            "load.a.errors",
        ] {
            assert_eq!(split_phase(malformed), (malformed, None), "{malformed}");
        }
        let row = lookup("load.checkout.latency[during:redis-slow]").unwrap();
        assert_eq!((row.pattern, row.shape), ("load.*.latency", Distribution));
        assert_eq!(
            lookup("probe.ready.availability[during:redis-down]").map(|r| r.pattern),
            Some("probe.*.availability")
        );
        // Only what load and probes measure has phases; a malformed phase is an unknown name.
        assert_eq!(lookup("tests.failed[during:x]"), None);
        assert_eq!(lookup("load.checkout.errors[during:]"), None);
        let recovery = lookup("recovery.redis-down.seconds").unwrap();
        assert_eq!((recovery.shape, recovery.unit), (Value, "s"));
        assert_eq!(
            Combine::for_metric("recovery.redis-down.seconds", Value),
            Combine::Max
        );
    }
}
