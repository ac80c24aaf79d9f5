//! Lints a metrics exposition the way `promtool check metrics` does, plus the checks promtool
//! misses, while it streams through [`crate::exposition::parse`].
//!
//! [`Linter`] is a [`Visitor`]; [`lint`] runs it over a reader and returns a [`LintReport`]:
//! the parse totals, every [`LintProblem`] (line, stable code, promtool's wording where promtool
//! has one) and, for each required series, whether and where it was found.
//!
//! Rules (promlint's, same messages): `no help text`; counters end in `_total` (text format
//! family names; OpenMetrics adds the suffix itself); non-counters do not; `_count`, `_sum`,
//! `_bucket` and the labels `le`, `quantile` only on histograms/summaries; snake_case metric
//! and label names; no `:` in names; no abbreviated units (`_ms`, `_sec`) and base units
//! (`seconds`, `bytes`) rather than `milliseconds`, `kilobytes`; the type not repeated in the
//! name. Added: duplicate series (`metric not unique`, which promtool 2.42 misses), families
//! split in two, and text-format histograms that have no buckets, no `+Inf` bucket, or
//! non-cumulative buckets (OpenMetrics makes those parse errors).
//!
//! ```
//! use gonogo_probe::exposition::Format;
//! use gonogo_probe::lint::lint;
//!
//! let body = "# TYPE http_requests counter\nhttp_requests{code=\"200\"} 3\n";
//! let report = lint(body.as_bytes(), Format::PrometheusText, &["up".to_string()]).unwrap();
//! assert_eq!(report.problems[0].code, "no-help");
//! assert!(!report.required[0].present);
//! ```

use std::collections::HashMap;
use std::io::BufRead;

use serde::Serialize;

use crate::exposition::{
    FamilyMeta, Format, MetricType, ParseError, ParseSummary, Sample, StructureProblem, Visitor,
    parse,
};

/// At most this many problems are kept (all are counted).
pub const MAX_KEPT_PROBLEMS: usize = 1000;

/// One lint finding.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LintProblem {
    pub line: u64,
    /// Stable identifier: `no-help`, `counter-without-total`, `metric-not-unique`, ...
    pub code: &'static str,
    pub metric: String,
    pub message: String,
}

/// A required series and where it was first seen.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RequiredSeries {
    pub name: String,
    pub present: bool,
    pub line: Option<u64>,
}

/// The outcome of linting one exposition.
#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    pub format: &'static str,
    pub summary: Summary,
    /// The first [`MAX_KEPT_PROBLEMS`] problems, in line order.
    pub problems: Vec<LintProblem>,
    pub n_problems: u64,
    pub required: Vec<RequiredSeries>,
}

/// [`ParseSummary`] in serialisable form.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Summary {
    pub lines: u64,
    pub bytes: u64,
    pub families: u64,
    pub samples: u64,
    /// See [`ParseSummary::untracked_samples`].
    pub untracked_samples: u64,
}

impl From<ParseSummary> for Summary {
    fn from(s: ParseSummary) -> Summary {
        Summary {
            lines: s.lines,
            bytes: s.bytes,
            families: s.families,
            samples: s.samples,
            untracked_samples: s.untracked_samples,
        }
    }
}

impl LintReport {
    pub fn n_required_present(&self) -> u64 {
        self.required.iter().filter(|r| r.present).count() as u64
    }
}

/// Parses and lints `reader`; a parse error is returned as is.
pub fn lint<R: BufRead>(
    reader: R,
    format: Format,
    required: &[String],
) -> Result<LintReport, ParseError> {
    let mut linter = Linter::new(format, required);
    let summary = parse(reader, format, &mut linter)?;
    Ok(linter.finish(summary))
}

#[derive(Debug, Default)]
struct HistogramGroup {
    line: u64,
    n_buckets: u64,
    has_infinity: bool,
    last_bucket: Option<(f64, f64)>,
    not_cumulative: bool,
}

/// The lint visitor; use [`lint`] unless you drive the parser yourself.
pub struct Linter {
    format: Format,
    problems: Vec<LintProblem>,
    n_problems: u64,
    required: Vec<RequiredSeries>,
    required_index: HashMap<String, usize>,
    histogram_groups: HashMap<String, HistogramGroup>,
}

impl Linter {
    pub fn new(format: Format, required: &[String]) -> Linter {
        let mut required_index = HashMap::new();
        let mut list = Vec::new();
        for name in required {
            if required_index.contains_key(name) {
                continue;
            }
            required_index.insert(name.clone(), list.len());
            list.push(RequiredSeries {
                name: name.clone(),
                present: false,
                line: None,
            });
        }
        Linter {
            format,
            problems: Vec::new(),
            n_problems: 0,
            required: list,
            required_index,
            histogram_groups: HashMap::new(),
        }
    }

    pub fn finish(mut self, summary: ParseSummary) -> LintReport {
        self.problems.sort_by_key(|p| p.line);
        LintReport {
            format: self.format.as_str(),
            summary: summary.into(),
            problems: self.problems,
            n_problems: self.n_problems,
            required: self.required,
        }
    }

    fn report(&mut self, line: u64, code: &'static str, metric: &str, message: String) {
        self.n_problems += 1;
        if self.problems.len() < MAX_KEPT_PROBLEMS {
            self.problems.push(LintProblem {
                line,
                code,
                metric: metric.to_string(),
                message,
            });
        }
    }

    fn mark_required(&mut self, name: &str, line: u64) {
        if let Some(&index) = self.required_index.get(name) {
            let entry = &mut self.required[index];
            if !entry.present {
                entry.present = true;
                entry.line = Some(line);
            }
        }
    }

    fn lint_family(&mut self, family: &FamilyMeta) {
        let name = family.name.as_str();
        let line = family.line;
        let metric_type = family.metric_type;
        if family.help.is_none() {
            self.report(line, "no-help", name, "no help text".into());
        }
        let is_counter = metric_type == MetricType::Counter;
        if self.format == Format::PrometheusText && is_counter && !name.ends_with("_total") {
            self.report(
                line,
                "counter-without-total",
                name,
                "counter metrics should have \"_total\" suffix".into(),
            );
        }
        if !is_counter && family.type_declared && name.ends_with("_total") {
            self.report(
                line,
                "non-counter-with-total",
                name,
                "non-counter metrics should not have \"_total\" suffix".into(),
            );
        }
        let histogram_like = matches!(
            metric_type,
            MetricType::Histogram | MetricType::GaugeHistogram
        );
        if family.type_declared && !histogram_like && metric_type != MetricType::Summary {
            for suffix in ["_count", "_sum"] {
                if name.ends_with(suffix) {
                    self.report(
                        line,
                        "reserved-suffix",
                        name,
                        format!(
                            "non-histogram and non-summary metrics should not have \"{suffix}\" suffix"
                        ),
                    );
                }
            }
        }
        if family.type_declared && !histogram_like && name.ends_with("_bucket") {
            self.report(
                line,
                "reserved-suffix",
                name,
                "non-histogram metrics should not have \"_bucket\" suffix".into(),
            );
        }
        if has_camel_case(name) {
            self.report(
                line,
                "camel-case",
                name,
                "metric names should be written in 'snake_case' not 'camelCase'".into(),
            );
        }
        if name.contains(':') {
            self.report(
                line,
                "reserved-chars",
                name,
                "metric names should not contain ':'".into(),
            );
        }
        let lower = name.to_ascii_lowercase();
        let tokens: Vec<&str> = lower.split('_').collect();
        // promlint looks for `_<abbreviation>_` or a `_<abbreviation>` suffix: not the first word.
        for token in tokens.iter().skip(1) {
            if UNIT_ABBREVIATIONS.contains(token) {
                self.report(
                    line,
                    "abbreviated-unit",
                    name,
                    "metric names should not contain abbreviated units".into(),
                );
                break;
            }
        }
        for token in &tokens {
            if let Some((_, base)) = NON_BASE_UNITS.iter().find(|(unit, _)| unit == token) {
                self.report(
                    line,
                    "non-base-unit",
                    name,
                    format!("use base unit \"{base}\" instead of \"{token}\""),
                );
            }
        }
        if family.type_declared && metric_type != MetricType::Unknown {
            let type_name = metric_type.as_str();
            if lower.contains(&format!("_{type_name}_"))
                || lower.ends_with(&format!("_{type_name}"))
            {
                self.report(
                    line,
                    "type-in-name",
                    name,
                    format!("metric name should not include type '{type_name}'"),
                );
            }
        }
    }
}

const UNIT_ABBREVIATIONS: &[&str] = &[
    "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d",
];

const NON_BASE_UNITS: &[(&str, &str)] = &[
    ("minutes", "seconds"),
    ("hours", "seconds"),
    ("days", "seconds"),
    ("weeks", "seconds"),
    ("milliseconds", "seconds"),
    ("microseconds", "seconds"),
    ("nanoseconds", "seconds"),
    ("bits", "bytes"),
    ("kilobytes", "bytes"),
    ("megabytes", "bytes"),
    ("gigabytes", "bytes"),
    ("terabytes", "bytes"),
    ("petabytes", "bytes"),
    ("percent", "ratios"),
    ("celsius", "celsius"),
    ("fahrenheit", "celsius"),
];

fn has_camel_case(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes
        .windows(2)
        .any(|pair| pair[0].is_ascii_lowercase() && pair[1].is_ascii_uppercase())
}

impl Visitor for Linter {
    fn sample(&mut self, family: &FamilyMeta, sample: &Sample<'_>) {
        if !self.required.is_empty() {
            self.mark_required(sample.name, sample.line);
            self.mark_required(&family.name, sample.line);
        }
        let histogram = family.metric_type == MetricType::Histogram;
        let summary = family.metric_type == MetricType::Summary;
        for (label, _) in sample.labels.iter() {
            if label == "le" && !histogram && family.metric_type != MetricType::GaugeHistogram {
                self.report(
                    sample.line,
                    "reserved-label",
                    &family.name,
                    "non-histogram metrics should not have \"le\" label".into(),
                );
            }
            if label == "quantile" && !summary {
                self.report(
                    sample.line,
                    "reserved-label",
                    &family.name,
                    "non-summary metrics should not have \"quantile\" label".into(),
                );
            }
            if has_camel_case(label) {
                self.report(
                    sample.line,
                    "camel-case-label",
                    &family.name,
                    "label names should be written in 'snake_case' not 'camelCase'".into(),
                );
            }
        }
        // Text-format histograms get the bucket checks OpenMetrics makes fatal.
        if histogram && self.format == Format::PrometheusText {
            let group_key: String = sample
                .labels
                .iter()
                .filter(|(n, _)| *n != "le")
                .map(|(n, v)| format!("{n}\u{1}{v}\u{2}"))
                .collect();
            let group = self
                .histogram_groups
                .entry(group_key)
                .or_insert_with(|| HistogramGroup {
                    line: sample.line,
                    ..HistogramGroup::default()
                });
            if sample.name.ends_with("_bucket") {
                group.n_buckets += 1;
                let le = sample
                    .labels
                    .get("le")
                    .and_then(|le| crate::exposition::parser_number(Format::PrometheusText, le));
                if let Some(le) = le {
                    if le == f64::INFINITY {
                        group.has_infinity = true;
                    }
                    if let Some((previous_le, previous_value)) = group.last_bucket {
                        if le > previous_le && sample.value < previous_value {
                            group.not_cumulative = true;
                        }
                    }
                    group.last_bucket = Some((le, sample.value));
                }
            }
        }
    }

    fn family_end(&mut self, family: &FamilyMeta, _n_samples: u64) {
        self.lint_family(family);
        let groups = std::mem::take(&mut self.histogram_groups);
        let mut groups: Vec<_> = groups.into_values().collect();
        groups.sort_by_key(|g| g.line);
        for group in groups {
            if group.n_buckets == 0 {
                self.report(
                    group.line,
                    "histogram-without-buckets",
                    &family.name,
                    "histogram has no buckets".into(),
                );
            } else if !group.has_infinity {
                self.report(
                    group.line,
                    "histogram-without-inf",
                    &family.name,
                    "histogram has no le=\"+Inf\" bucket".into(),
                );
            }
            if group.not_cumulative {
                self.report(
                    group.line,
                    "histogram-not-cumulative",
                    &family.name,
                    "histogram buckets are not cumulative".into(),
                );
            }
        }
    }

    fn problem(&mut self, problem: StructureProblem) {
        let (code, message) = match problem.kind {
            crate::exposition::StructureProblemKind::DuplicateSeries => (
                "metric-not-unique",
                format!("metric not unique: {}", problem.message),
            ),
            crate::exposition::StructureProblemKind::FamilySplit => {
                ("family-split", problem.message.clone())
            }
        };
        self.report(problem.line, code, &problem.family, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(format: Format, input: &str) -> Vec<(u64, &'static str)> {
        lint(input.as_bytes(), format, &[])
            .unwrap()
            .problems
            .iter()
            .map(|p| (p.line, p.code))
            .collect()
    }

    #[test]
    fn promlint_rules() {
        let problems = check(
            Format::PrometheusText,
            "# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n\
             # HELP latency_ms Latency.\n# TYPE latency_ms gauge\nlatency_ms 1\n\
             # HELP up_total Up.\n# TYPE up_total gauge\nup_total 1\n\
             # HELP fooBar x\n# TYPE fooBar gauge\nfooBar 1\n",
        );
        assert_eq!(
            problems,
            vec![
                (1, "counter-without-total"),
                (4, "abbreviated-unit"),
                (7, "non-counter-with-total"),
                (10, "camel-case"),
            ]
        );
    }

    #[test]
    fn duplicates_and_histograms_in_the_text_format() {
        let problems = check(
            Format::PrometheusText,
            "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 1\na_total{x=\"1\"} 2\n\
             # HELP h_seconds H.\n# TYPE h_seconds histogram\nh_seconds_bucket{le=\"1\"} 3\nh_seconds_bucket{le=\"2\"} 1\nh_seconds_count 3\nh_seconds_sum 1\n",
        );
        assert_eq!(
            problems,
            vec![
                (4, "metric-not-unique"),
                (7, "histogram-without-inf"),
                (7, "histogram-not-cumulative"),
            ]
        );
    }

    #[test]
    fn required_series_match_family_or_sample_names() {
        let report = lint(
            "# TYPE http_requests counter\n# HELP http_requests R.\nhttp_requests_total 1\n# EOF\n"
                .as_bytes(),
            Format::OpenMetrics,
            &[
                "http_requests_total".into(),
                "http_requests".into(),
                "missing_series".into(),
            ],
        )
        .unwrap();
        let present: Vec<bool> = report.required.iter().map(|r| r.present).collect();
        assert_eq!(present, vec![true, true, false]);
        assert_eq!(report.required[0].line, Some(3));
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }
}
