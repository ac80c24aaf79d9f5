//! Evidence: the one type that crosses from engines and parsers into the decision.
//!
//! An [`Evidence`] record says what produced it (`kind`, [`Tool`]), where it came from
//! ([`Source`]), the SHA-256 of the raw input it was made from, when it was collected, and a set
//! of named [`Metric`]s. A metric keeps its sample size, because the decision needs it:
//!
//! - [`MetricValue::Value`]: a plain number with no sampling error (a certificate expires in
//!   41 days, 3 open critical vulnerabilities);
//! - [`MetricValue::Ratio`]: `k` events out of `n` trials (2 failed requests of 13). Never a
//!   bare percentage;
//! - [`MetricValue::Distribution`]: an HDR histogram of observations (request latencies), so a
//!   percentile can be computed with its confidence interval. A [`Distribution`] read from a
//!   file is held in its encoded form and decoded when something reads it (see there).
//!
//! Records are written and read as JSON by [`crate::wire`]; this module is the in-memory form.
//!
//! ```
//! use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool};
//! use gonogo_core::units::Unit;
//!
//! let mut record = Evidence::new(
//!     "junit",
//!     Source::File("target/junit.xml".into()),
//!     gonogo_core::evidence::sha256_hex(b"<testsuite/>"),
//!     "2026-11-25T12:00:00Z".parse().unwrap(),
//!     Tool::new("gonogo", "0.1.0"),
//! );
//! record.insert("tests.failed", Metric::ratio(Ratio::new(2, 13).unwrap(), Unit::count("tests")));
//! assert_eq!(record.metrics["tests.failed"].value.as_ratio().unwrap().k, 2);
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};
use jiff::Timestamp;
use sha2::Digest as _;

use crate::units::Unit;

/// One evidence record: what a single engine run or a single parsed file proved.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// What produced it: `junit`, `coverage`, `load`, `probe`, ... (lower case, no dots).
    pub kind: String,
    /// Where the raw input came from.
    pub source: Source,
    /// SHA-256 of the raw input's bytes, lower-case hex (64 characters).
    pub sha256: String,
    /// When the measurement was taken or the file was collected.
    pub collected_at: Timestamp,
    /// The producing tool and its version.
    pub tool: Tool,
    /// Metrics by full dotted name (`load.checkout.latency`, `tests.failed`).
    pub metrics: BTreeMap<String, Metric>,
    /// Free-form detail for reports (failing test names, findings, outage intervals). The
    /// decision never reads it.
    pub details: serde_json::Value,
    /// The commit of the candidate this record is about, when the producer knew it (`gonogo
    /// run` stamps every record it writes; `--commit` on the engines and `collect`). A gate
    /// that knows the candidate's commit ignores records stamped with another one.
    pub commit: Option<String>,
    /// What the producer could not do (the target did not answer, 48 checks did not run, the
    /// audit skipped dependencies). Empty: the work completed. A count from an incomplete
    /// record is a lower bound, so an upper-bound gate on it cannot pass.
    pub incomplete: Vec<String>,
    /// The coded form of `incomplete` sentences, by sentence, for the producers that give one
    /// ([`NoteCode`]): reports word those in their language. A sentence without a code is
    /// shown as written.
    pub incomplete_codes: BTreeMap<String, NoteCode>,
    /// Which segment of which test this record is (`gonogo load --segment I/N`); `None`: the
    /// whole run. The segments of one test are judged as one ([`crate::segments`]).
    pub segment: Option<crate::segments::SegmentInfo>,
}

impl Evidence {
    pub fn new(
        kind: impl Into<String>,
        source: Source,
        sha256: String,
        collected_at: Timestamp,
        tool: Tool,
    ) -> Evidence {
        Evidence {
            kind: kind.into(),
            source,
            sha256,
            collected_at,
            tool,
            metrics: BTreeMap::new(),
            details: serde_json::Value::Null,
            commit: None,
            incomplete: Vec::new(),
            incomplete_codes: BTreeMap::new(),
            segment: None,
        }
    }

    /// The record's identity: the SHA-256 of its canonical content (the wire form, keys in
    /// order). Two records with the same identity are one record, however many files hold it.
    pub fn identity(&self) -> String {
        sha256_hex(crate::wire::to_json_line(self).as_bytes())
    }

    /// Marks the record incomplete, saying what is missing.
    pub fn mark_incomplete(&mut self, what: impl Into<String>) -> &mut Self {
        self.incomplete.push(what.into());
        self
    }

    /// Marks the record incomplete with a sentence and its code, which reports word in their
    /// language (the sentence stays for those that cannot).
    pub fn mark_incomplete_coded(&mut self, what: impl Into<String>, code: NoteCode) -> &mut Self {
        let what = what.into();
        self.incomplete_codes.insert(what.clone(), code);
        self.incomplete.push(what);
        self
    }

    /// Whether the producer finished its work.
    pub fn is_complete(&self) -> bool {
        self.incomplete.is_empty()
    }

    /// Adds or replaces a metric.
    pub fn insert(&mut self, name: impl Into<String>, metric: Metric) -> &mut Self {
        self.metrics.insert(name.into(), metric);
        self
    }
}

/// Where a record's raw input came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file, as the user named it (relative paths stay relative).
    File(String),
    /// A URL that was measured or queried.
    Url(String),
    /// A command line that was run.
    Command(String),
}

impl Source {
    pub fn as_str(&self) -> &str {
        match self {
            Source::File(s) | Source::Url(s) | Source::Command(s) => s,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Source::File(_) => "file",
            Source::Url(_) => "url",
            Source::Command(_) => "command",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The tool that produced a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Tool {
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Tool {
        Tool {
            name: name.into(),
            version: version.into(),
        }
    }
}

/// A producer's note (a caveat on a metric, or what it could not do) as data: a stable
/// `code` (`harden.checks_errored`) and its named arguments, so that a report words it in its
/// language (issue 17). The producer's English sentence always stays beside it; a record
/// written before codes existed, or a code a report does not know, shows that sentence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoteCode {
    pub code: String,
    pub args: BTreeMap<String, String>,
}

impl NoteCode {
    pub fn new(code: impl Into<String>) -> NoteCode {
        NoteCode {
            code: code.into(),
            args: BTreeMap::new(),
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, name: impl Into<String>, value: impl ToString) -> NoteCode {
        self.args.insert(name.into(), value.to_string());
        self
    }
}

/// A named measurement with its unit.
#[derive(Debug, Clone)]
pub struct Metric {
    /// For a value, its unit; for a ratio, what is counted (`requests`, `tests`); for a
    /// distribution, the unit of one histogram step (`us` for latencies in microseconds).
    pub unit: Unit,
    pub value: MetricValue,
    /// A caveat the report must show beside the metric (e.g. k6 trends: "sample count unknown").
    pub note: Option<String>,
    /// The note's code and arguments, when the producer gives them ([`NoteCode`]): reports
    /// word it in their language; `note` is the English.
    pub note_code: Option<NoteCode>,
    /// A ratio split into the parts of its population (coverage by source file), so that two
    /// reports of overlapping files combine as a union by part instead of a sum. Empty: not
    /// split.
    pub parts: BTreeMap<String, Ratio>,
    /// A plain value that estimates something from samples gonogo does not have (a k6
    /// summary's p(95), a PromQL quantile, a figure typed by hand): it never passes or fails a
    /// gate (`no_distribution`). `false` for exact facts (counts from a whole audit, days to
    /// expiry, an exit code) and for every ratio or histogram.
    pub estimate: bool,
    /// A histogram whose samples sit at the upper bound of the bucket they fell in (a
    /// Prometheus histogram's `le`): every interval end reads high, so only a gate that passes
    /// on an upper end (`<`, `<=` with a fixed threshold) can be judged on it; `>`, `>=` and
    /// relative gates cannot pass on it. `false` for exact histograms.
    pub upper_bounds: bool,
}

impl Metric {
    pub fn value(value: f64, unit: Unit) -> Metric {
        Metric {
            unit,
            value: MetricValue::Value(value),
            note: None,
            note_code: None,
            parts: BTreeMap::new(),
            estimate: false,
            upper_bounds: false,
        }
    }

    pub fn ratio(ratio: Ratio, unit: Unit) -> Metric {
        Metric {
            unit,
            value: MetricValue::Ratio(ratio),
            note: None,
            note_code: None,
            parts: BTreeMap::new(),
            estimate: false,
            upper_bounds: false,
        }
    }

    /// A histogram as a producer fills it, or a [`Distribution`] as read.
    pub fn distribution(histogram: impl Into<Distribution>, unit: Unit) -> Metric {
        Metric {
            unit,
            value: MetricValue::Distribution(histogram.into()),
            note: None,
            note_code: None,
            parts: BTreeMap::new(),
            estimate: false,
            upper_bounds: false,
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Metric {
        self.note = Some(note.into());
        self
    }

    /// A note with its code (see [`NoteCode`]): `note` is the English sentence.
    pub fn with_coded_note(mut self, note: impl Into<String>, code: NoteCode) -> Metric {
        self.note = Some(note.into());
        self.note_code = Some(code);
        self
    }

    /// The ratio's split by part (see [`Metric::parts`]).
    pub fn with_parts(mut self, parts: BTreeMap<String, Ratio>) -> Metric {
        self.parts = parts;
        self
    }

    /// Marks a plain value as an estimate (see [`Metric::estimate`]).
    pub fn as_estimate(mut self) -> Metric {
        self.estimate = true;
        self
    }

    /// Marks a histogram's samples as bucket upper bounds (see [`Metric::upper_bounds`]).
    pub fn as_upper_bounds(mut self) -> Metric {
        self.upper_bounds = true;
        self
    }
}

/// The three shapes a metric can take.
#[derive(Debug, Clone)]
pub enum MetricValue {
    Value(f64),
    Ratio(Ratio),
    Distribution(Distribution),
}

impl MetricValue {
    pub fn shape(&self) -> Shape {
        match self {
            MetricValue::Value(_) => Shape::Value,
            MetricValue::Ratio(_) => Shape::Ratio,
            MetricValue::Distribution(_) => Shape::Distribution,
        }
    }

    pub fn as_ratio(&self) -> Option<Ratio> {
        match self {
            MetricValue::Ratio(r) => Some(*r),
            _ => None,
        }
    }

    /// The histogram of a distribution, decoded if it was held encoded.
    pub fn as_histogram(&self) -> Option<Cow<'_, Histogram<u64>>> {
        match self {
            MetricValue::Distribution(d) => Some(d.histogram()),
            _ => None,
        }
    }
}

/// An HDR histogram of observations, the data of [`MetricValue::Distribution`].
///
/// A producer records into it decoded; a record read from a file holds it in its V2 encoding
/// (the wire form, compressed) and decodes it whenever a gate, a chart or a merge reads it. A
/// latency histogram is 23,552 counts, 184 KiB, decoded, and a few hundred bytes to a few KiB
/// encoded, so an evidence folder of a thousand machines' histograms stays small (decoded,
/// 260 of them took the folder's whole budget: a distributed load test of 26 machines with 10
/// endpoints each could not be judged). Decoding again costs microseconds; the encoding is
/// this type's own, written from a histogram, so it cannot fail.
#[derive(Clone)]
pub struct Distribution(Held);

#[derive(Clone)]
enum Held {
    /// Boxed: a histogram is 96 bytes beside a ratio's 16, and every metric of every record
    /// would carry them.
    Decoded(Box<Histogram<u64>>),
    /// The canonical V2 compressed encoding (what [`Distribution::encode`] writes) and the
    /// histogram's sample count, which reports and budgets ask for without decoding.
    Encoded { v2: Box<[u8]>, samples: u64 },
}

impl Distribution {
    /// A decoded histogram, as a producer fills it.
    pub fn new(histogram: Histogram<u64>) -> Distribution {
        Distribution(Held::Decoded(Box::new(histogram)))
    }

    /// The histogram held in its encoded form, as a reader keeps it.
    pub fn encoded(histogram: &Histogram<u64>) -> Distribution {
        Distribution(Held::Encoded {
            v2: v2_encoding(histogram).into_boxed_slice(),
            samples: histogram.len(),
        })
    }

    /// The histogram, decoded if it is held encoded.
    pub fn histogram(&self) -> Cow<'_, Histogram<u64>> {
        match &self.0 {
            Held::Decoded(histogram) => Cow::Borrowed(histogram),
            Held::Encoded { v2, .. } => Cow::Owned(
                Deserializer::new()
                    .deserialize(&mut &v2[..])
                    .expect("an encoding this type wrote, from a histogram, decodes"),
            ),
        }
    }

    /// The histogram to add to, decoded in place if it is held encoded.
    fn histogram_mut(&mut self) -> &mut Histogram<u64> {
        if let Held::Encoded { .. } = self.0 {
            self.0 = Held::Decoded(Box::new(self.histogram().into_owned()));
        }
        match &mut self.0 {
            Held::Decoded(histogram) => histogram,
            Held::Encoded { .. } => unreachable!("decoded above"),
        }
    }

    /// Adds `other`'s samples, widening the range when they need it, and keeps the form this
    /// one is held in (an encoded sum is encoded again, so summing a thousand read histograms
    /// holds one decoded at a time).
    pub fn add(&mut self, other: &Distribution) -> Result<(), hdrhistogram::AdditionError> {
        let keep_encoded = matches!(self.0, Held::Encoded { .. });
        let sum = self.histogram_mut();
        sum.auto(true);
        sum.add(other.histogram())?;
        if keep_encoded {
            *self = Distribution::encoded(self.histogram().as_ref());
        }
        Ok(())
    }

    /// The number of samples.
    pub fn len(&self) -> u64 {
        match &self.0 {
            Held::Decoded(histogram) => histogram.len(),
            Held::Encoded { samples, .. } => *samples,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The V2 compressed encoding (the wire form), written from the histogram if it is held
    /// decoded. Both forms of one histogram encode to the same bytes.
    pub fn encode(&self) -> Cow<'_, [u8]> {
        match &self.0 {
            Held::Decoded(histogram) => Cow::Owned(v2_encoding(histogram)),
            Held::Encoded { v2, .. } => Cow::Borrowed(v2),
        }
    }

    /// The bytes it holds: the encoding's, or the decoded counts'.
    pub fn held_bytes(&self) -> usize {
        match &self.0 {
            Held::Decoded(histogram) => 8 * histogram.distinct_values(),
            Held::Encoded { v2, .. } => v2.len(),
        }
    }
}

impl From<Histogram<u64>> for Distribution {
    fn from(histogram: Histogram<u64>) -> Distribution {
        Distribution::new(histogram)
    }
}

impl fmt::Debug for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let histogram = self.histogram();
        f.debug_struct("Distribution")
            .field("samples", &histogram.len())
            .field("min", &histogram.min())
            .field("max", &histogram.max())
            .field("held", &self.held_bytes())
            .finish()
    }
}

fn v2_encoding(histogram: &Histogram<u64>) -> Vec<u8> {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(histogram, &mut bytes)
        .expect("serialising into a Vec cannot fail");
    bytes
}

/// The kind of a metric, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    Value,
    Ratio,
    Distribution,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Value => "value",
            Shape::Ratio => "ratio",
            Shape::Distribution => "distribution",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `k` events out of `n` trials, `k <= n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    pub k: u64,
    pub n: u64,
}

impl Ratio {
    /// `None` when `k > n`.
    pub fn new(k: u64, n: u64) -> Option<Ratio> {
        (k <= n).then_some(Ratio { k, n })
    }

    /// The point estimate `k / n`; `None` for `n == 0`.
    pub fn rate(self) -> Option<f64> {
        (self.n > 0).then(|| self.k as f64 / self.n as f64)
    }

    /// The sum of two ratios over disjoint trials; `None` when a count overflows (a sum that
    /// saturated would turn 2^64−1 of 2^64−1 plus 0 of 2^64−1 into 100 %).
    pub fn checked_add(self, other: Ratio) -> Option<Ratio> {
        Some(Ratio {
            k: self.k.checked_add(other.k)?,
            n: self.n.checked_add(other.n)?,
        })
    }
}

/// A histogram suitable for latencies: 1 unit to 1 hour of microseconds (3.6e9), 3 significant
/// digits. Values above the top are clamped by the recorder, never dropped.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("static bounds are valid")
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

/// An incremental SHA-256 for inputs that are streamed rather than held in memory.
#[derive(Default)]
pub struct Sha256Stream(sha2::Sha256);

impl Sha256Stream {
    pub fn new() -> Sha256Stream {
        Sha256Stream::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 0xf) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let mut stream = Sha256Stream::new();
        stream.update(b"a");
        stream.update(b"bc");
        assert_eq!(stream.finish(), sha256_hex(b"abc"));
    }

    #[test]
    fn ratio_rejects_more_events_than_trials() {
        assert!(Ratio::new(3, 2).is_none());
        assert_eq!(Ratio::new(0, 0).unwrap().rate(), None);
        assert_eq!(
            Ratio::new(1, 4)
                .unwrap()
                .checked_add(Ratio::new(1, 4).unwrap()),
            Some(Ratio { k: 2, n: 8 })
        );
        let huge = Ratio::new(u64::MAX, u64::MAX).unwrap();
        assert_eq!(huge.checked_add(Ratio::new(0, u64::MAX).unwrap()), None);
    }
    fn latencies(from: u64, count: u64) -> Histogram<u64> {
        let mut histogram = latency_histogram();
        for i in 0..count {
            histogram.record(from + (i * 7_919) % 100_000).unwrap();
        }
        histogram
    }

    #[test]
    fn a_distribution_held_encoded_reads_and_writes_as_it_would_decoded() {
        let histogram = latencies(300, 20_000);
        let decoded = Distribution::new(histogram.clone());
        let encoded = Distribution::encoded(&histogram);
        // The same bytes either way: a record's identity does not depend on the form.
        assert_eq!(encoded.encode(), decoded.encode());
        assert_eq!(encoded.histogram().as_ref(), &histogram);
        assert_eq!((encoded.len(), decoded.len()), (20_000, 20_000));
        assert!(encoded.held_bytes() * 8 < decoded.held_bytes());
        let mut record = Evidence::new(
            "load",
            Source::Url("http://127.0.0.1/".into()),
            "0".repeat(64),
            "2026-11-25T12:00:00Z".parse().unwrap(),
            Tool::new("x", "1"),
        );
        record.insert(
            "load.a.latency",
            Metric::distribution(histogram, Unit::parse("us")),
        );
        let mut read = record.clone();
        read.insert(
            "load.a.latency",
            Metric::distribution(encoded, Unit::parse("us")),
        );
        assert_eq!(read.identity(), record.identity());
    }

    #[test]
    fn adding_keeps_the_form_and_widens_the_range() {
        let (a, b) = (latencies(300, 1_000), latencies(5_000, 500));
        let mut sum = Distribution::encoded(&a);
        sum.add(&Distribution::new(b.clone())).unwrap();
        assert!(matches!(sum.0, Held::Encoded { samples: 1_500, .. }));
        let mut expected = a.clone();
        expected.add(&b).unwrap();
        assert_eq!(sum.histogram().as_ref(), &expected);
        // A narrow histogram gains a wide one's samples: the range widens (never clamps).
        let mut narrow = Distribution::new(Histogram::new_with_bounds(1, 1_000, 3).unwrap());
        narrow.add(&Distribution::encoded(&b)).unwrap();
        assert!(matches!(narrow.0, Held::Decoded(_)));
        assert_eq!(narrow.histogram().max(), b.max());
    }
}
