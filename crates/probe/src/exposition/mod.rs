//! Streaming, strict parsers for the two metrics exposition formats Prometheus scrapes:
//! OpenMetrics 1.0 (`application/openmetrics-text`) and the Prometheus text format 0.0.4
//! (`text/plain; version=0.0.4`, and anything else, as Prometheus does).
//!
//! The body is read line by line from a [`std::io::BufRead`] with a bounded line length, so a
//! 1 GB exposition needs no more memory than its largest metric family's series index (one
//! 128-bit hash per series, kept only while that family is being read). Every family and every
//! sample is handed to a [`Visitor`] as soon as it is read; nothing is collected.
//!
//! - [`Format`] picks the dialect, [`Format::from_content_type`] the way Prometheus does.
//! - [`parse`] drives the [`Visitor`] and returns a [`ParseSummary`] or the first fatal
//!   [`ParseError`] (1-based line, column, the offending line's text, a stable
//!   [`ParseErrorKind`]). An exposition with an error is erroneous in its entirety.
//! - Non-fatal structural findings (a duplicated series in the text format, a family split
//!   in two) go to [`Visitor::problem`] as a [`StructureProblem`]; [`crate::lint`] adds the
//!   `promtool check metrics` rules on top.
//!
//! The OpenMetrics mode agrees with all 211 parser conformance cases of the OpenMetrics
//! project (`tests/openmetrics_conformance.rs`): metadata before samples and never repeated,
//! exactly one space between tokens, `# EOF` last, families contiguous and never clashing
//! (`a_created` vs counter `a`), label sets grouped, timestamps not going backwards, counters
//! and histogram counts neither negative nor NaN, histogram buckets sorted, cumulative and
//! ending in `+Inf` equal to `_count`, exemplars only on counters and buckets with at most 128
//! characters of labels, `info` values 1, `stateset` values 0 or 1.
//!
//! ```
//! use gonogo_probe::exposition::{parse, Format, FamilyMeta, Sample, Visitor};
//!
//! #[derive(Default)]
//! struct Count(usize);
//! impl Visitor for Count {
//!     fn sample(&mut self, _family: &FamilyMeta, _sample: &Sample<'_>) { self.0 += 1; }
//! }
//! let body = "# TYPE a counter\n# HELP a help\na_total{x=\"1\"} 3\n# EOF\n";
//! let mut count = Count::default();
//! parse(body.as_bytes(), Format::OpenMetrics, &mut count).unwrap();
//! assert_eq!(count.0, 1);
//! let error = parse("a 1\n".as_bytes(), Format::OpenMetrics, &mut count).unwrap_err();
//! assert_eq!(error.line, 2); // the body ended without `# EOF`
//! ```

mod parser;

pub(crate) use parser::parse_number as parser_number;
pub use parser::{DEFAULT_MAX_LINE_BYTES, parse, parse_with_limit};

use std::fmt;

/// The exposition dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0 text, strict.
    OpenMetrics,
    /// The Prometheus text format 0.0.4.
    PrometheusText,
}

impl Format {
    /// The format Prometheus would parse a response with this `Content-Type` as:
    /// `application/openmetrics-text` (any version, any parameters) is OpenMetrics, anything
    /// else (including a missing header) is the text format 0.0.4.
    pub fn from_content_type(content_type: Option<&str>) -> Format {
        let media_type = content_type
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media_type == "application/openmetrics-text" {
            Format::OpenMetrics
        } else {
            Format::PrometheusText
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::OpenMetrics => "openmetrics-1.0",
            Format::PrometheusText => "prometheus-text-0.0.4",
        }
    }
}

/// A metric family's type. `Unknown` is OpenMetrics' `unknown` and the text format's `untyped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    Unknown,
}

impl MetricType {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known about a family: its metadata lines.
#[derive(Debug, Clone)]
pub struct FamilyMeta {
    pub name: String,
    pub metric_type: MetricType,
    /// Whether a `# TYPE` line declared the type.
    pub type_declared: bool,
    pub help: Option<String>,
    pub unit: Option<String>,
    /// The line that opened the family (its first metadata line or first sample).
    pub line: u64,
}

/// The labels of one sample, unescaped, in exposition order. Reused between samples, so the
/// parser does not allocate per sample.
#[derive(Debug, Default, Clone)]
pub struct Labels {
    text: String,
    spans: Vec<LabelSpan>,
}

#[derive(Debug, Clone, Copy)]
struct LabelSpan {
    name_start: u32,
    name_end: u32,
    value_end: u32,
}

impl Labels {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// `(name, value)` pairs in exposition order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.spans.iter().map(|span| self.pair(span))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    fn pair(&self, span: &LabelSpan) -> (&str, &str) {
        let name = &self.text[span.name_start as usize..span.name_end as usize];
        // name '=' value
        let value = &self.text[span.name_end as usize + 1..span.value_end as usize];
        (name, value)
    }

    /// The `name=value` bytes of label `index` (the unit hashed for series identity).
    fn pair_bytes(&self, index: usize) -> &[u8] {
        let span = self.spans[index];
        &self.text.as_bytes()[span.name_start as usize..span.value_end as usize]
    }

    fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }
}

/// One sample line.
#[derive(Debug)]
pub struct Sample<'a> {
    /// The sample's metric name (`http_requests_total`, `latency_bucket`).
    pub name: &'a str,
    pub labels: &'a Labels,
    pub value: f64,
    /// As written: seconds in OpenMetrics, milliseconds in the text format.
    pub timestamp: Option<f64>,
    pub has_exemplar: bool,
    /// 1-based line number.
    pub line: u64,
}

/// Receives families and samples as they are read.
pub trait Visitor {
    /// Called for every sample, in order.
    fn sample(&mut self, family: &FamilyMeta, sample: &Sample<'_>) {
        let _ = (family, sample);
    }

    /// Called when a family is complete (the next family started, or the body ended).
    fn family_end(&mut self, family: &FamilyMeta, n_samples: u64) {
        let _ = (family, n_samples);
    }

    /// A structural finding that does not make the body unparseable.
    fn problem(&mut self, problem: StructureProblem) {
        let _ = problem;
    }
}

/// A non-fatal structural finding, with the line it was found on.
#[derive(Debug, Clone, PartialEq)]
pub struct StructureProblem {
    pub line: u64,
    pub kind: StructureProblemKind,
    pub family: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructureProblemKind {
    /// The same name and label set twice in one family.
    DuplicateSeries,
    /// A family's samples appear in two places (text format; fatal in OpenMetrics).
    FamilySplit,
}

impl StructureProblemKind {
    pub fn code(self) -> &'static str {
        match self {
            StructureProblemKind::DuplicateSeries => "duplicate-series",
            StructureProblemKind::FamilySplit => "family-split",
        }
    }
}

/// Totals of a successful parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseSummary {
    pub lines: u64,
    pub bytes: u64,
    pub families: u64,
    pub samples: u64,
    /// Samples of series past the first [`MAX_TRACKED_SERIES`] of their family: counted and
    /// linted, but not checked for duplicates, timestamp order or grouping (bounded memory).
    pub untracked_samples: u64,
}

/// Distinct series (and label groups) of one family remembered for the duplicate, timestamp
/// and grouping checks: about 11 MB of state at most, whatever the exposition's size.
pub const MAX_TRACKED_SERIES: usize = 200_000;

/// Why an exposition does not parse. `line` is 1-based; `column` is a 1-based byte column
/// when it is known.
#[derive(Debug, thiserror::Error)]
#[error("line {line}{}: {kind}{}", column.map(|c| format!(", column {c}")).unwrap_or_default(), excerpt_suffix(.text))]
pub struct ParseError {
    pub line: u64,
    pub column: Option<usize>,
    pub kind: ParseErrorKind,
    /// The offending line (at most 200 characters of it).
    pub text: String,
}

fn excerpt_suffix(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!(": `{text}`")
    }
}

/// The classes of parse errors; [`ParseErrorKind::code`] is stable.
#[derive(Debug, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("could not read the input: {0}")]
    Io(#[from] std::io::Error),
    #[error("line is longer than {0} bytes")]
    LineTooLong(usize),
    #[error("not valid UTF-8")]
    InvalidUtf8,
    #[error("blank line")]
    BlankLine,
    #[error("{0}")]
    Syntax(String),
    #[error("invalid metric name")]
    InvalidMetricName,
    #[error("invalid label name")]
    InvalidLabelName,
    #[error("label {0:?} appears twice")]
    DuplicateLabel(String),
    #[error("invalid value {0:?}")]
    InvalidValue(String),
    #[error("invalid timestamp {0:?}")]
    InvalidTimestamp(String),
    #[error("{0}")]
    Metadata(String),
    #[error("{0}")]
    Family(String),
    #[error("{0}")]
    Semantics(String),
    #[error("invalid exemplar: {0}")]
    Exemplar(String),
    #[error("the body does not end with `# EOF`")]
    MissingEof,
    #[error("content after `# EOF`")]
    AfterEof,
}

impl ParseErrorKind {
    pub fn code(&self) -> &'static str {
        match self {
            ParseErrorKind::Io(_) => "io",
            ParseErrorKind::LineTooLong(_) => "line-too-long",
            ParseErrorKind::InvalidUtf8 => "invalid-utf8",
            ParseErrorKind::BlankLine => "blank-line",
            ParseErrorKind::Syntax(_) => "syntax",
            ParseErrorKind::InvalidMetricName => "invalid-metric-name",
            ParseErrorKind::InvalidLabelName => "invalid-label-name",
            ParseErrorKind::DuplicateLabel(_) => "duplicate-label",
            ParseErrorKind::InvalidValue(_) => "invalid-value",
            ParseErrorKind::InvalidTimestamp(_) => "invalid-timestamp",
            ParseErrorKind::Metadata(_) => "metadata",
            ParseErrorKind::Family(_) => "family",
            ParseErrorKind::Semantics(_) => "semantics",
            ParseErrorKind::Exemplar(_) => "exemplar",
            ParseErrorKind::MissingEof => "missing-eof",
            ParseErrorKind::AfterEof => "after-eof",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_picks_the_format_as_prometheus_does() {
        let cases = [
            (
                Some("application/openmetrics-text; version=1.0.0; charset=utf-8"),
                Format::OpenMetrics,
            ),
            (Some("Application/OpenMetrics-Text"), Format::OpenMetrics),
            (Some("text/plain; version=0.0.4"), Format::PrometheusText),
            (Some("application/json"), Format::PrometheusText),
            (None, Format::PrometheusText),
        ];
        for (content_type, expected) in cases {
            assert_eq!(
                Format::from_content_type(content_type),
                expected,
                "{content_type:?}"
            );
        }
    }
}
