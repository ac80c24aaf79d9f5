//! The catalogue of metrics gonogo's engines and collectors produce: names, shapes, units and
//! the rules each metric keeps ([`KnownMetric`]), and the [`Catalog`] that holds them.
//!
//! A gate names a metric. When no evidence carries that name, the catalogue decides whether the
//! gate is *missing* evidence (the name is one gonogo knows how to produce) or the policy has a
//! typo (an unknown name: an error that suggests the closest known names). A policy declares
//! its own metrics with `[[metric]]`.
//!
//! A pattern's `*` stands for exactly one dotted segment chosen by the user (a load scenario,
//! a probe or a command name): `load.*.latency` matches `load.checkout.latency`.
//!
//! Core holds the type and its rules, not the rows: each crate that writes evidence exports its
//! own rows as `METRICS` (`gonogo_load::METRICS`...), and the `gonogo-catalog` crate assembles
//! them, one line per producer, into the one [`Catalog`] the binary and the tests use. A
//! [`Catalog`] is required wherever it matters ([`crate::policy::Policy::parse`],
//! [`crate::wire::parse_records`], [`crate::segments::combine`]): there is no default and no
//! empty fallback, since a missing row would change how records combine or let a negative
//! count through.
//!
//! Phases of a resilience drill (docs/drills.md): a load or probe metric measured over one
//! phase only carries the phase after its name, `load.checkout.errors[during:redis-down]`,
//! `probe.ready.availability[before]`, `...[after]`; it has the shape and unit of the metric
//! itself ([`split_phase`], [`Catalog::lookup`]). `recovery.NAME.seconds` is how long requests
//! took to succeed again after the fault `NAME` ended.

use crate::evidence::Shape;

/// One row of the catalogue: a metric (pattern) one producer writes, and its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownMetric {
    pub pattern: &'static str,
    pub shape: Shape,
    /// The unit the producer writes (see [`crate::units`]).
    pub unit: &'static str,
    /// The evidence `kind` that carries it.
    pub kind: &'static str,
    pub about: &'static str,
    /// How records of it from different sources combine.
    pub combine: Combine,
    /// Whether a ratio counts a whole population rather than a sample of one (lines covered,
    /// the required series exposed): its `rate` is compared exactly, with no interval.
    pub census: bool,
}

impl KnownMetric {
    /// A row that is not a census (see [`KnownMetric::census`]).
    pub const fn new(
        pattern: &'static str,
        shape: Shape,
        unit: &'static str,
        kind: &'static str,
        combine: Combine,
        about: &'static str,
    ) -> KnownMetric {
        KnownMetric {
            pattern,
            shape,
            unit,
            kind,
            about,
            combine,
            census: false,
        }
    }

    /// The same row, counting a whole population.
    pub const fn census(self) -> KnownMetric {
        KnownMetric {
            census: true,
            ..self
        }
    }
}

/// Every metric gonogo produces, one slice of rows per producer: a cheap handle, passed by
/// value. Built once, by the `gonogo-catalog` crate, from each producer's `METRICS`.
#[derive(Clone, Copy)]
pub struct Catalog {
    producers: &'static [&'static [KnownMetric]],
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("producers", &self.producers.len())
            .field("rows", &self.rows().count())
            .finish()
    }
}

impl Catalog {
    /// The catalogue of these producers' rows, in this order.
    pub const fn new(producers: &'static [&'static [KnownMetric]]) -> Catalog {
        Catalog { producers }
    }

    /// Each producer's rows, as given to [`Catalog::new`].
    pub fn producers(self) -> &'static [&'static [KnownMetric]] {
        self.producers
    }

    /// Every row, producer by producer.
    pub fn rows(self) -> impl Iterator<Item = &'static KnownMetric> {
        self.producers.iter().flat_map(|rows| rows.iter())
    }

    /// The row for `name`, if gonogo produces it. A load or probe metric with a phase suffix
    /// is the metric's own row.
    pub fn lookup(self, name: &str) -> Option<&'static KnownMetric> {
        let (base, phase) = split_phase(name);
        let row = self.rows().find(|row| matches(row.pattern, base))?;
        match phase {
            None => Some(row),
            Some(_) if matches!(row.kind, "load" | "probe") => Some(row),
            Some(_) => None,
        }
    }

    /// The combiner of gonogo's own metric `name` (its row's), or of a declared metric of
    /// `shape`: a value has no meaning across sources, ratios and histograms add.
    /// A record that gives one of gonogo's metrics in another shape than its row's (a
    /// counter given as a ratio) gets the undeclared rule of the shape it has, never a rule
    /// made for another shape: a value then has no meaning across sources.
    pub fn combine_for(self, name: &str, shape: Shape) -> Combine {
        match self.lookup(name) {
            Some(row) if row.shape == shape => row.combine,
            _ => match shape {
                Shape::Value => Combine::Single,
                Shape::Ratio | Shape::Distribution => Combine::Sum,
            },
        }
    }

    /// Whether `metric` counts a whole population (its row says so): its `rate` is compared
    /// exactly, with no interval.
    pub fn is_census(self, metric: &str) -> bool {
        self.lookup(metric).is_some_and(|row| row.census)
    }
}

/// How records of one metric from *different* sources (after duplicates and re-measurements
/// are set aside) combine into one measurement. Each row of the catalogue declares it for its
/// metric; a policy declares it for its own `[[metric]]`s. Never "the newest" across sources: that would
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

/// A small catalogue for core's own tests (the product's rows live with their producers): a
/// row of each rule, with the names core's tests use.
#[cfg(test)]
pub(crate) mod fixture {
    use super::{Catalog, Combine, Combine::*, KnownMetric};
    use crate::evidence::Shape::{self, Distribution, Ratio, Value};

    /// Pattern, shape, unit, kind, combine, about, census.
    type Row = (
        &'static str,
        Shape,
        &'static str,
        &'static str,
        Combine,
        &'static str,
        bool,
    );

    #[rustfmt::skip]
    const ROWS: [Row; 27] = [
        ("tests.failed", Ratio, "tests", "junit", Sum, "failed tests", false),
        ("tests.passed", Ratio, "tests", "junit", Sum, "passed tests", false),
        ("tests.errored", Ratio, "tests", "junit", Sum, "errored tests", false),
        ("tests.skipped", Ratio, "tests", "junit", Sum, "skipped tests", false),
        ("tests.flaky", Ratio, "tests", "junit", Sum, "flaky tests", false),
        ("tests.duration", Value, "s", "junit", Sum, "test time", false),
        ("coverage.lines", Ratio, "lines", "coverage", Union, "lines", true),
        ("coverage.branches", Ratio, "branches", "coverage", Union, "branches", true),
        ("audit.critical", Value, "vulnerabilities", "audit", Sum, "critical", false),
        ("audit.high", Value, "vulnerabilities", "audit", Sum, "high", false),
        ("sarif.error", Value, "findings", "sarif", Sum, "errors", false),
        ("k6.*.p95", Value, "ms", "k6", Single, "a trend's p(95)", false),
        ("k6.*.count", Value, "events", "k6", Sum, "a counter", false),
        ("load.*.latency", Distribution, "us", "load", Sum, "latency", false),
        ("load.*.errors", Ratio, "requests", "load", Sum, "errors", false),
        ("load.*.throughput", Value, "1/s", "load", Sum, "throughput", false),
        ("load.*.requests", Value, "requests", "load", Sum, "requests", false),
        ("recovery.*.seconds", Value, "s", "probe", Max, "recovery", false),
        ("probe.*.availability", Ratio, "probes", "probe", Sum, "availability", false),
        ("probe.*.latency", Distribution, "us", "probe", Sum, "probe time", false),
        ("probe.*.cert_expiry", Value, "d", "probe", Min, "days left", false),
        ("observe.metrics.required", Ratio, "series", "observe", Sum, "series", true),
        ("harden.findings.high", Value, "findings", "harden", Sum, "high", false),
        ("prometheus.*", Value, "1", "prometheus", Single, "a query", false),
        ("command.*.exit_code", Value, "1", "command", Nonzero, "exit code", false),
        ("command.*.duration", Value, "s", "command", Max, "wall time", false),
        ("git.dirty", Value, "files", "git", Max, "changed files", false),
    ];

    const fn rows<const N: usize>(table: [Row; N]) -> [KnownMetric; N] {
        let mut out = [KnownMetric::new("", Value, "", "", Sum, ""); N];
        let mut i = 0;
        while i < N {
            let (pattern, shape, unit, kind, combine, about, census) = table[i];
            let row = KnownMetric::new(pattern, shape, unit, kind, combine, about);
            out[i] = if census { row.census() } else { row };
            i += 1;
        }
        out
    }

    const METRICS: [KnownMetric; 27] = rows(ROWS);
    const TESTS: &[KnownMetric] = METRICS.split_at(13).0;
    const ENGINES: &[KnownMetric] = METRICS.split_at(13).1;

    pub(crate) const CATALOG: Catalog = Catalog::new(&[TESTS, ENGINES]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use Shape::{Distribution, Ratio, Value};

    const CATALOG: Catalog = fixture::CATALOG;

    #[test]
    fn sources_never_combine_by_recency() {
        use Combine::*;
        assert_eq!(CATALOG.combine_for("audit.critical", Value), Sum);
        assert_eq!(CATALOG.combine_for("coverage.lines", Ratio), Union);
        assert_eq!(CATALOG.combine_for("probe.redis.cert_expiry", Value), Min);
        assert_eq!(
            CATALOG.combine_for("command.pytest.exit_code", Value),
            Nonzero
        );
        assert_eq!(CATALOG.combine_for("prometheus.errors", Value), Single);
        assert_eq!(
            CATALOG.combine_for("k6.http_req_duration.p95", Value),
            Single
        );
        assert_eq!(CATALOG.combine_for("custom.depth", Value), Single);
        assert_eq!(CATALOG.combine_for("custom.ok", Ratio), Sum);
        // A row's rule is for its own shape: `coverage.lines` given as a plain value is not
        // a union (a value has no meaning across sources), a counter given as a ratio adds
        // as ratios do.
        assert_eq!(CATALOG.combine_for("coverage.lines", Value), Single);
        assert_eq!(CATALOG.combine_for("k6.http_reqs.count", Ratio), Sum);
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
        assert_eq!(CATALOG.lookup("tests.failed").unwrap().shape, Shape::Ratio);
        assert!(CATALOG.lookup("tests.faild").is_none());
    }

    #[test]
    fn rows_carry_their_rules() {
        assert!(CATALOG.is_census("coverage.lines"));
        assert!(CATALOG.is_census("observe.metrics.required"));
        assert!(!CATALOG.is_census("tests.failed"));
        assert!(!CATALOG.is_census("custom.ok"));
        // A phase suffix is the metric's own row only for load and probes.
        assert!(!CATALOG.is_census("coverage.lines[before]"));
        assert_eq!(CATALOG.combine_for("git.dirty", Value), Combine::Max);
        assert_eq!(
            CATALOG.combine_for("git.dirty", Ratio),
            Combine::Sum,
            "the row's rule is for its own shape; another shape gets that shape's rule"
        );
        assert_eq!(CATALOG.rows().count(), 27);
        assert_eq!(CATALOG.producers().len(), 2);
    }

    #[test]
    fn patterns_do_not_overlap() {
        let rows: Vec<&KnownMetric> = CATALOG.rows().collect();
        for (i, a) in rows.iter().enumerate() {
            for b in &rows[i + 1..] {
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
        let row = CATALOG
            .lookup("load.checkout.latency[during:redis-slow]")
            .unwrap();
        assert_eq!((row.pattern, row.shape), ("load.*.latency", Distribution));
        assert_eq!(
            CATALOG
                .lookup("probe.ready.availability[during:redis-down]")
                .map(|r| r.pattern),
            Some("probe.*.availability")
        );
        // Only what load and probes measure has phases; a malformed phase is an unknown name.
        assert_eq!(CATALOG.lookup("tests.failed[during:x]"), None);
        assert_eq!(CATALOG.lookup("load.checkout.errors[during:]"), None);
        let recovery = CATALOG.lookup("recovery.redis-down.seconds").unwrap();
        assert_eq!((recovery.shape, recovery.unit), (Value, "s"));
        assert_eq!(
            CATALOG.combine_for("recovery.redis-down.seconds", Value),
            Combine::Max
        );
    }
}
