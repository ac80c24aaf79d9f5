//! The evidence file format, version 1: how [`Evidence`] is written to and read from disk.
//!
//! An evidence file holds one record as a JSON object, or several as JSON Lines (one object per
//! line; any whitespace between objects is accepted). Files live in the evidence folder
//! (`.gonogo/evidence/` by default) and end in `.json` or `.jsonl`.
//!
//! ```json
//! {
//!   "gonogo_evidence": 1,
//!   "kind": "load",
//!   "source": { "type": "url", "location": "http://127.0.0.1:8080/checkout" },
//!   "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
//!   "collected_at": "2026-11-25T12:00:00Z",
//!   "tool": { "name": "gonogo", "version": "0.1.0" },
//!   "metrics": {
//!     "load.checkout.latency": { "unit": "us", "histogram": "HISTFAAA…(base64)" },
//!     "load.checkout.errors":  { "unit": "requests", "ratio": { "k": 3, "n": 1000 } },
//!     "load.checkout.throughput": { "unit": "1/s", "value": 99.8 }
//!   },
//!   "details": { "anything": "for reports" }
//! }
//! ```
//!
//! - `gonogo_evidence` is the format version. Readers reject versions they do not know;
//!   version 1 only ever gains optional fields.
//! - `source.type` is `file`, `url` or `command`.
//! - `sha256` is the SHA-256 of the raw input (the file's bytes, the response bodies, the
//!   command's output), 64 lower-case hex digits.
//! - `collected_at` is an RFC 3339 timestamp.
//! - each metric has a `unit` (see [`crate::units`]) and exactly one of `value` (a number),
//!   `ratio` (`k` events of `n` trials, `k <= n`) or `histogram`: an HDR histogram in the
//!   standard V2 compressed form, base64-encoded, as in HdrHistogram log files (the form other
//!   HdrHistogram tools read). An optional `note` is a caveat for the report. A `value` may
//!   say `"estimate": true` (written only when true): it estimates something from samples the
//!   file does not carry, so no gate passes or fails on it. A `histogram` may say
//!   `"upper_bounds": true`: its samples sit at their buckets' upper bounds (a Prometheus
//!   histogram), so only `<`/`<=` gates with a fixed threshold can pass on it.
//! - `details` is free-form JSON for reports; the decision never reads it.
//! - a ratio may carry `parts`: the same ratio split by part of its population (coverage by
//!   source file: `{"src/app.py": {"k": 40, "n": 50}}`), for the union of two reports.
//! - optional `commit`: the candidate's commit the record is about (7 to 64 hex digits).
//! - optional `incomplete`: what the producer could not do (a list of sentences); a record
//!   without it completed its work. Optional `incomplete_codes`: `[{"text", "code", "args"}]`,
//!   the coded form of some of those sentences (a stable code and its named arguments, so a
//!   report words them in its language); a metric's `note` may likewise have a `note_code`
//!   (`{"code", "args"}`). Records without codes show their sentences as written.
//! - optional `segment`: `{"test": ID, "index": I, "count": N, "started_at", "elapsed_s",
//!   "clock_offset_ms"}`, the record is segment I (0-based) of N of a test split over machines
//!   ([`crate::segments`]); the segments of one test are judged as one.
//!
//! Malformed records are refused, loudly: a metric named twice in one record, a negative
//! count, duration or size, a ratio with more events than trials.
//!
//! **Histogram bounds.** A histogram's header declares its range (lowest and highest value,
//! significant digits) and its payload length, and HdrHistogram allocates the counts for that
//! range before reading a single count: a 56-byte header can ask for gigabytes. The reader
//! checks the header first (inflating only its 40 bytes) and refuses a histogram whose range
//! needs more than [`MAX_HISTOGRAM_COUNTS`] counts (32,768, 256 KiB), more than
//! [`MAX_HISTOGRAM_DIGITS`] significant digits, or a payload longer than its counts can take.
//! gonogo's latency histogram (1 to 3.6e9 µs at 3 digits) has 23,552 counts; the cap allows it
//! with a margin (1 to about 8.7e12 at 3 digits, or the whole `u64` range at 2 digits), so 200
//! histograms in one file take at most about 50 MB.

use std::collections::BTreeMap;

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::evidence::{Distribution, Evidence, Metric, MetricValue, NoteCode, Ratio, Source, Tool};
use crate::units::Unit;

/// The version this build writes and the only one it reads.
pub const EVIDENCE_VERSION: u32 = 1;

/// Why an evidence file could not be read. Positions are 1-based.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WireError {
    #[error("line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "record {record}: unsupported evidence version {found} (this gonogo reads version {EVIDENCE_VERSION})"
    )]
    Version { record: usize, found: u32 },
    #[error("record {record}: {message}")]
    Invalid { record: usize, message: String },
    #[error("record {record}, metric `{metric}`: {message}")]
    Metric {
        record: usize,
        metric: String,
        message: String,
    },
    #[error("no evidence record in the file")]
    Empty,
    #[error(
        "record {record} is larger than {} MiB (refused at line {line}): no producer writes one so large",
        limit >> 20
    )]
    TooLarge {
        record: usize,
        line: usize,
        limit: u64,
    },
}

/// One evidence record, version 1 (the published schema: `gonogo schema evidence`).
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(title = "gonogo evidence record, version 1")]
struct RecordV1 {
    /// The format version: 1.
    gonogo_evidence: u32,
    /// What produced it: `junit`, `load`, `manual` (typed by hand)... one lower-case word.
    kind: String,
    source: SourceV1,
    /// SHA-256 of the raw input, 64 hex digits.
    sha256: String,
    /// When it was measured or collected (RFC 3339); more than 5 minutes in the future is
    /// refused.
    #[schemars(with = "String")]
    collected_at: jiff::Timestamp,
    tool: ToolV1,
    #[serde(deserialize_with = "unique_keys")]
    metrics: BTreeMap<String, MetricV1>,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    details: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    commit: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    incomplete: Vec<String>,
    /// The coded form of `incomplete` sentences (each `text` one of them): a stable `code`
    /// and its `args`, which reports word in their language. Optional, also per sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    incomplete_codes: Vec<IncompleteCodeV1>,
    /// Which segment of which test the record is (`gonogo load --segment I/N`): the segments
    /// of one test are judged as one, and only when all of them are there once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    segment: Option<SegmentV1>,
}

/// A producer's note as data: a stable code and its named arguments.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct NoteCodeV1 {
    /// `harden.checks_errored`, `dora.lead_times_cut`...: dotted lower-case words.
    code: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    args: BTreeMap<String, String>,
}

/// The code of one `incomplete` sentence.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct IncompleteCodeV1 {
    /// The sentence of `incomplete` this codes.
    text: String,
    #[serde(flatten)]
    code: NoteCodeV1,
}

impl NoteCodeV1 {
    fn of(code: &NoteCode) -> NoteCodeV1 {
        NoteCodeV1 {
            code: code.code.clone(),
            args: code.args.clone(),
        }
    }

    fn read(self) -> Result<NoteCode, String> {
        let word = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
        if self.code.is_empty() || self.code.len() > 100 || !self.code.chars().all(word) {
            return Err(format!(
                "a note's `code` must be dotted lower-case words, found {:?}",
                self.code
            ));
        }
        Ok(NoteCode {
            code: self.code,
            args: self.args,
        })
    }
}

/// A record's place in a test split into segments.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct SegmentV1 {
    /// The test id the segments share.
    test: String,
    /// 0-based segment index, below `count`.
    index: u64,
    /// How many segments the test has (1 to 1024).
    count: u64,
    /// When the segment's schedule started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    started_at: Option<jiff::Timestamp>,
    /// How long it ran, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    elapsed_s: Option<f64>,
    /// The machine's clock minus a reference clock (the target's HTTP `Date`), in ms; absent
    /// when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clock_offset_ms: Option<f64>,
}

/// A map whose keys must be unique: a metric given twice in one record is an error, not "the
/// last one wins".
fn unique_keys<'de, D, V>(deserializer: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Unique<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Unique<V> {
        type Value = BTreeMap<String, V>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object of metrics by name")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(serde::de::Error::custom(format!(
                        "metric `{key}` appears twice in one record"
                    )));
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Unique(std::marker::PhantomData))
}

#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct SourceV1 {
    #[serde(rename = "type")]
    source_type: String,
    location: String,
}

#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct ToolV1 {
    name: String,
    version: String,
}

#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct MetricV1 {
    unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ratio: Option<RatioV1>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    histogram: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    /// The note's code and arguments (reports word it in their language); needs `note`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note_code: Option<NoteCodeV1>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    parts: BTreeMap<String, RatioV1>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    estimate: bool,
    /// A histogram whose samples sit at their buckets' upper bounds (a Prometheus histogram):
    /// only `<`/`<=` gates with a fixed threshold can pass on it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    upper_bounds: bool,
}

#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct RatioV1 {
    k: u64,
    n: u64,
}

/// The JSON Schema of one evidence record (a `.json` file holds one; a `.jsonl` file one per
/// line), for tools and people that write evidence by hand.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RecordV1)).expect("schema serialises")
}

/// Reads every record of an evidence file's text (one JSON object, or JSON Lines), through
/// [`RecordReader`]. The catalogue says which names are gonogo's own counts, never negative
/// whatever unit a record claims.
pub fn parse_records(text: &str, catalog: Catalog) -> Result<Vec<Evidence>, WireError> {
    let mut records = Vec::new();
    for item in RecordReader::new(text.as_bytes(), catalog) {
        records.push(item?.evidence);
    }
    Ok(records)
}

/// The most bytes one record may take in its file: 16 MiB. gonogo's largest records (a load
/// run's histograms, a scan's listed findings) take well under 1 MiB; a larger one is refused
/// before it is held, so a 1 GB line cannot make the reader hold 1 GB.
pub const MAX_RECORD_BYTES: u64 = 16 << 20;

/// One record read by [`RecordReader`], with where it ended in its file.
#[derive(Debug)]
pub struct ReadRecord {
    pub evidence: Evidence,
    /// The line the record's closing brace is on (1-based).
    pub line: usize,
    /// How many bytes of the file the record took (whitespace before it included).
    pub bytes: u64,
}

/// Reads an evidence file's records one at a time from its bytes, holding only the record
/// being read: a file of any size streams through it, and a record longer than
/// [`MAX_RECORD_BYTES`] is refused as it passes the limit. A UTF-8 byte order mark at the
/// start is skipped. After the first error it yields nothing more; a file without a record is
/// [`WireError::Empty`].
pub struct RecordReader<R: std::io::BufRead> {
    records: serde_json::StreamDeserializer<'static, serde_json::de::IoRead<Metered<R>>, RecordV1>,
    meter: std::rc::Rc<Meter>,
    catalog: Catalog,
    read: usize,
    done: bool,
}

impl<R: std::io::BufRead> RecordReader<R> {
    pub fn new(mut reader: R, catalog: Catalog) -> RecordReader<R> {
        let meter = std::rc::Rc::new(Meter::default());
        // The byte order mark some Windows tools write; an unreadable start is left to the
        // parser, which reports it with its position.
        if reader
            .fill_buf()
            .is_ok_and(|start| start.starts_with(b"\xEF\xBB\xBF"))
        {
            reader.consume(3);
        }
        let metered = Metered {
            inner: reader,
            meter: meter.clone(),
        };
        RecordReader {
            records: serde_json::Deserializer::from_reader(metered).into_iter::<RecordV1>(),
            meter,
            catalog,
            read: 0,
            done: false,
        }
    }
}

impl<R: std::io::BufRead> Iterator for RecordReader<R> {
    type Item = Result<ReadRecord, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.meter.record_bytes.set(0);
        let result = match self.records.next() {
            None if self.read == 0 => Err(WireError::Empty),
            None => {
                self.done = true;
                return None;
            }
            Some(Err(_)) if self.meter.over.get() => Err(WireError::TooLarge {
                record: self.read + 1,
                line: self.meter.lines.get() + 1,
                limit: MAX_RECORD_BYTES,
            }),
            Some(Err(e)) => Err(WireError::Json {
                line: e.line(),
                column: e.column(),
                message: strip_position(&e.to_string()),
            }),
            Some(Ok(record)) => {
                self.read += 1;
                from_wire(self.read, record, self.catalog).map(|evidence| ReadRecord {
                    evidence,
                    line: self.meter.lines.get() + 1,
                    bytes: self.meter.record_bytes.get(),
                })
            }
        };
        self.done = result.is_err();
        Some(result)
    }
}

/// What [`Metered`] has let through: the current record's bytes and the file's newlines.
#[derive(Default)]
struct Meter {
    record_bytes: std::cell::Cell<u64>,
    lines: std::cell::Cell<usize>,
    over: std::cell::Cell<bool>,
}

/// A reader that counts what passes and fails once the current record passes
/// [`MAX_RECORD_BYTES`] (serde_json reads through it a byte at a time).
struct Metered<R> {
    inner: R,
    meter: std::rc::Rc<Meter>,
}

impl<R: std::io::BufRead> std::io::Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = MAX_RECORD_BYTES.saturating_sub(self.meter.record_bytes.get());
        if left == 0 {
            self.meter.over.set(true);
            return Err(std::io::Error::other("record too large"));
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        let m = &self.meter;
        m.record_bytes.set(m.record_bytes.get() + n as u64);
        m.lines
            .set(m.lines.get() + buf[..n].iter().filter(|&&b| b == b'\n').count());
        Ok(n)
    }
}

/// serde_json appends " at line L column C"; we report the position separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

fn from_wire(
    record_number: usize,
    record: RecordV1,
    catalog: Catalog,
) -> Result<Evidence, WireError> {
    let invalid = |message: String| WireError::Invalid {
        record: record_number,
        message,
    };
    if record.gonogo_evidence != EVIDENCE_VERSION {
        return Err(WireError::Version {
            record: record_number,
            found: record.gonogo_evidence,
        });
    }
    if record.kind.is_empty() || record.kind.contains(char::is_whitespace) {
        return Err(invalid(format!(
            "`kind` must be a non-empty word, found {:?}",
            record.kind
        )));
    }
    if record.sha256.len() != 64 || !record.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(format!(
            "`sha256` must be 64 hex digits, found {:?}",
            record.sha256
        )));
    }
    let source = match record.source.source_type.as_str() {
        "file" => Source::File(record.source.location),
        "url" => Source::Url(record.source.location),
        "command" => Source::Command(record.source.location),
        other => {
            return Err(invalid(format!(
                "`source.type` must be file, url or command, found {other:?}"
            )));
        }
    };
    let mut evidence = Evidence::new(
        record.kind,
        source,
        record.sha256.to_ascii_lowercase(),
        record.collected_at,
        Tool::new(record.tool.name, record.tool.version),
    );
    evidence.details = record.details;
    if let Some(commit) = record.commit {
        let commit = commit.trim().to_ascii_lowercase();
        if commit.len() < 7 || commit.len() > 64 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid(format!(
                "`commit` must be a commit hash of 7 to 64 hex digits, found {commit:?}"
            )));
        }
        evidence.commit = Some(commit);
    }
    evidence.incomplete = record.incomplete;
    for coded in record.incomplete_codes {
        if !evidence.incomplete.contains(&coded.text) {
            return Err(invalid(format!(
                "`incomplete_codes` codes {:?}, which `incomplete` does not say",
                coded.text
            )));
        }
        let code = coded.code.read().map_err(&invalid)?;
        evidence.incomplete_codes.insert(coded.text, code);
    }
    if let Some(segment) = record.segment {
        let segment = crate::segments::SegmentInfo {
            test: segment.test,
            index: segment.index,
            count: segment.count,
            started_at: segment.started_at,
            elapsed_seconds: segment.elapsed_s,
            clock_offset_ms: segment.clock_offset_ms,
        };
        segment.validate().map_err(invalid)?;
        evidence.segment = Some(segment);
    }
    for (name, metric) in record.metrics {
        let converted =
            metric_from_wire(&name, metric, catalog).map_err(|message| WireError::Metric {
                record: record_number,
                metric: name.clone(),
                message,
            })?;
        evidence.metrics.insert(name, converted);
    }
    Ok(evidence)
}

fn metric_from_wire(name: &str, metric: MetricV1, catalog: Catalog) -> Result<Metric, String> {
    let unit = Unit::parse(&metric.unit);
    let value = match (metric.value, metric.ratio, metric.histogram) {
        (Some(value), None, None) => {
            if !value.is_finite() {
                return Err("`value` must be a finite number".into());
            }
            // Only a time *until* something (a certificate's expiry) may have passed already.
            // A bare number (unit `1`: an exit code, where -1 means killed by a signal; a PromQL
            // scalar) may be negative; a count of named things (vulnerabilities, findings) not.
            // gonogo's own counts (audit.*, harden.*...) stay counts whatever unit a file claims.
            let named_count = catalog.lookup(name).is_some_and(
                |row| matches!(Unit::parse(row.unit), Unit::Count(thing) if thing != "1"),
            );
            let signed = !named_count
                && (matches!(unit, Unit::Percent | Unit::PerSecond)
                    || matches!(&unit, Unit::Count(thing) if thing == "1")
                    || (matches!(unit, Unit::Time(_)) && name.ends_with("expiry")));
            if value < 0.0 && !signed {
                return Err(format!(
                    "`value` is {value}, and a {} cannot be negative",
                    match unit.dimension() {
                        crate::units::Dimension::Time => "duration",
                        crate::units::Dimension::Bytes => "size",
                        _ => "count",
                    }
                ));
            }
            MetricValue::Value(value)
        }
        (None, Some(ratio), None) => {
            MetricValue::Ratio(Ratio::new(ratio.k, ratio.n).ok_or_else(|| {
                format!(
                    "ratio has more events than trials (k = {}, n = {})",
                    ratio.k, ratio.n
                )
            })?)
        }
        (None, None, Some(encoded)) => {
            // Checked by decoding, then held encoded (see `Distribution`).
            MetricValue::Distribution(Distribution::encoded(&decode_histogram(&encoded)?))
        }
        _ => return Err("needs exactly one of `value`, `ratio` or `histogram`".into()),
    };
    if !metric.parts.is_empty() && !matches!(value, MetricValue::Ratio(_)) {
        return Err("only a ratio can be split into `parts`".into());
    }
    let mut parts = BTreeMap::new();
    for (part, ratio) in metric.parts {
        let ratio = Ratio::new(ratio.k, ratio.n).ok_or_else(|| {
            format!(
                "part `{part}` has more events than trials (k = {}, n = {})",
                ratio.k, ratio.n
            )
        })?;
        parts.insert(part, ratio);
    }
    if metric.estimate && !matches!(value, MetricValue::Value(_)) {
        return Err("`estimate` applies to a `value` only".into());
    }
    if metric.upper_bounds && !matches!(value, MetricValue::Distribution(_)) {
        return Err("`upper_bounds` applies to a `histogram` only".into());
    }
    if metric.note_code.is_some() && metric.note.is_none() {
        return Err("`note_code` codes a `note`, and there is none".into());
    }
    let note_code = metric.note_code.map(NoteCodeV1::read).transpose()?;
    Ok(Metric {
        unit,
        value,
        note: metric.note,
        note_code,
        parts,
        estimate: metric.estimate,
        upper_bounds: metric.upper_bounds,
    })
}

/// The most counts (buckets times sub-buckets) a histogram read from evidence may declare:
/// 32,768, that is 256 KiB of `u64` counts. See the module docs.
pub const MAX_HISTOGRAM_COUNTS: u64 = 32_768;

/// The most significant digits a histogram read from evidence may declare (HdrHistogram
/// itself allows 5).
pub const MAX_HISTOGRAM_DIGITS: u32 = 5;

/// `cookie` of an uncompressed and of a compressed V2 encoding, as every encoder writes them
/// (HdrHistogram's base cookies 0x1c849303 and 0x1c849304 with the word-size bits 0x10: the
/// HISTFAAA prefix of a log line), and the only two the deserializer reads. Pinned to what
/// hdrhistogram's serializers write by `histogram_cookies_are_the_ones_encoders_write`: with
/// the base cookies here, the header check matched no real encoding and a real header
/// declaring 1..2^63 was allocated (49 MB) before anything looked at it.
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
/// The uncompressed V2 header: cookie, payload length, normalizing offset, digits, lowest,
/// highest, integer-to-double ratio.
const V2_HEADER: usize = 40;

/// Decodes a base64 V2 (compressed or not) HdrHistogram.
///
/// The header is checked before anything is allocated (see the module docs): a histogram
/// whose declared range or payload would take more than [`MAX_HISTOGRAM_COUNTS`] counts is
/// refused, so a small file cannot make the reader allocate gigabytes.
pub fn decode_histogram(encoded: &str) -> Result<Histogram<u64>, String> {
    let encoded = encoded.trim();
    // Base64 of a histogram within the bounds is at most a few MB; refuse before decoding.
    let max_encoded = (MAX_HISTOGRAM_COUNTS as usize * 9 + 64) * 4 / 3 + 4;
    if encoded.len() > max_encoded {
        return Err(format!(
            "histogram encoding is {} characters long, more than a histogram within the bounds \
             ({MAX_HISTOGRAM_COUNTS} counts) can take ({max_encoded})",
            encoded.len()
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("histogram is not valid base64: {e}"))?;
    check_histogram_header(&bytes)?;
    Deserializer::new()
        .deserialize::<u64, _>(&mut bytes.as_slice())
        .map_err(|e| format!("histogram is not an HdrHistogram V2 encoding: {e:?}"))
}

/// Reads the V2 header of `bytes` (inflating only its first bytes when compressed) and
/// refuses declared bounds or payloads beyond [`MAX_HISTOGRAM_COUNTS`].
fn check_histogram_header(bytes: &[u8]) -> Result<(), String> {
    let not_v2 = || "histogram is not an HdrHistogram V2 encoding: too short".to_string();
    let cookie = u32::from_be_bytes(bytes.get(..4).ok_or_else(not_v2)?.try_into().unwrap());
    let mut header = [0u8; V2_HEADER];
    match cookie {
        V2_COOKIE => header.copy_from_slice(bytes.get(..V2_HEADER).ok_or_else(not_v2)?),
        V2_COMPRESSED_COOKIE => {
            use std::io::Read as _;
            let compressed = bytes.get(8..).ok_or_else(not_v2)?;
            flate2::read::ZlibDecoder::new(compressed)
                .read_exact(&mut header)
                .map_err(|e| format!("histogram is not an HdrHistogram V2 encoding: {e}"))?;
        }
        other => {
            return Err(format!(
                "histogram is not an HdrHistogram V2 encoding: it starts with {other:#010x}, \
                 not {V2_COMPRESSED_COOKIE:#010x} (compressed) or {V2_COOKIE:#010x}"
            ));
        }
    }
    let word = |at: usize| u32::from_be_bytes(header[at..at + 4].try_into().unwrap());
    let long = |at: usize| u64::from_be_bytes(header[at..at + 8].try_into().unwrap());
    if word(0) != V2_COOKIE {
        return Err(format!(
            "histogram is not an HdrHistogram V2 encoding: its compressed header starts with \
             {:#010x}, not {V2_COOKIE:#010x}",
            word(0)
        ));
    }
    let (payload, digits, low, high) = (word(4), word(12), long(16), long(24));
    if digits > MAX_HISTOGRAM_DIGITS {
        return Err(format!(
            "histogram declares {digits} significant digits; at most {MAX_HISTOGRAM_DIGITS} are read"
        ));
    }
    if !(1..=u64::MAX / 2).contains(&low) || high < low * 2 {
        // Invalid bounds: the deserializer refuses them without allocating.
        return Ok(());
    }
    let counts = histogram_counts_len(low, high, digits);
    if counts > MAX_HISTOGRAM_COUNTS {
        return Err(format!(
            "histogram declares the range {low}..{high} at {digits} significant digits, \
             {counts} counts; at most {MAX_HISTOGRAM_COUNTS} are read (refused before allocating)"
        ));
    }
    // Each count is a varint of at most 9 bytes.
    if u64::from(payload) > counts * 9 {
        return Err(format!(
            "histogram declares a payload of {payload} bytes, more than its {counts} counts can take"
        ));
    }
    Ok(())
}

/// The length of the counts array HdrHistogram allocates for these bounds (its own formula,
/// computed without allocating); 0 for bounds it refuses anyway.
fn histogram_counts_len(low: u64, high: u64, digits: u32) -> u64 {
    let largest = 2 * 10u64.pow(digits);
    let magnitude = 64 - (largest - 1).leading_zeros(); // ceil(log2(largest))
    let unit_magnitude = 63 - low.leading_zeros(); // floor(log2(low))
    if unit_magnitude + magnitude > 63 {
        return 0;
    }
    let sub_bucket_count = 1u64 << magnitude;
    let mut smallest_untrackable = sub_bucket_count << unit_magnitude;
    let mut buckets = 1u64;
    while smallest_untrackable <= high {
        if smallest_untrackable > u64::MAX / 2 {
            buckets += 1;
            break;
        }
        smallest_untrackable <<= 1;
        buckets += 1;
    }
    (buckets + 1) * (sub_bucket_count / 2)
}

/// Encodes a histogram in the V2 compressed form, base64 (the HdrHistogram log encoding).
pub fn encode_histogram(histogram: &Histogram<u64>) -> String {
    base64::engine::general_purpose::STANDARD.encode(Distribution::encoded(histogram).encode())
}

fn to_wire(evidence: &Evidence) -> RecordV1 {
    RecordV1 {
        gonogo_evidence: EVIDENCE_VERSION,
        kind: evidence.kind.clone(),
        source: SourceV1 {
            source_type: evidence.source.type_name().to_owned(),
            location: evidence.source.as_str().to_owned(),
        },
        sha256: evidence.sha256.clone(),
        collected_at: evidence.collected_at,
        tool: ToolV1 {
            name: evidence.tool.name.clone(),
            version: evidence.tool.version.clone(),
        },
        commit: evidence.commit.clone(),
        incomplete: evidence.incomplete.clone(),
        incomplete_codes: evidence
            .incomplete_codes
            .iter()
            .filter(|(text, _)| evidence.incomplete.contains(text))
            .map(|(text, code)| IncompleteCodeV1 {
                text: text.clone(),
                code: NoteCodeV1::of(code),
            })
            .collect(),
        segment: evidence.segment.as_ref().map(|s| SegmentV1 {
            test: s.test.clone(),
            index: s.index,
            count: s.count,
            started_at: s.started_at,
            elapsed_s: s.elapsed_seconds,
            clock_offset_ms: s.clock_offset_ms,
        }),
        metrics: evidence
            .metrics
            .iter()
            .map(|(name, metric)| {
                let mut wire = MetricV1 {
                    unit: metric.unit.to_string(),
                    value: None,
                    ratio: None,
                    histogram: None,
                    note: metric.note.clone(),
                    note_code: metric.note_code.as_ref().map(NoteCodeV1::of),
                    parts: metric
                        .parts
                        .iter()
                        .map(|(part, r)| (part.clone(), RatioV1 { k: r.k, n: r.n }))
                        .collect(),
                    estimate: metric.estimate,
                    upper_bounds: metric.upper_bounds,
                };
                match &metric.value {
                    MetricValue::Value(v) => wire.value = Some(*v),
                    MetricValue::Ratio(r) => wire.ratio = Some(RatioV1 { k: r.k, n: r.n }),
                    MetricValue::Distribution(d) => {
                        wire.histogram =
                            Some(base64::engine::general_purpose::STANDARD.encode(d.encode()))
                    }
                }
                (name.clone(), wire)
            })
            .collect(),
        details: evidence.details.clone(),
    }
}

/// One record as a single line of JSON (for `.jsonl` files), without the newline.
pub fn to_json_line(evidence: &Evidence) -> String {
    serde_json::to_string(&to_wire(evidence)).expect("evidence serialises")
}

/// One record as indented JSON (for `.json` files).
pub fn to_json_pretty(evidence: &Evidence) -> String {
    serde_json::to_string_pretty(&to_wire(evidence)).expect("evidence serialises")
}

/// A file name for a record in the evidence folder: `<kind>-<scenario>-<sha8>.json` when every
/// metric names the same scenario (`load.checkout.*`, `probe.readyz.*`), else `<kind>-<sha8>.json`
/// (a harden record is not about its alphabetically first check, nor a JUnit record about
/// `failed`); unique per input so collecting the same file twice overwrites rather than
/// duplicates.
pub fn suggested_file_name(evidence: &Evidence) -> String {
    let mut scenarios = evidence
        .metrics
        .keys()
        .map(|name| name.split('.').nth(1).unwrap_or(name));
    let first = scenarios.next();
    let shared = first.filter(|first| scenarios.all(|other| other == *first));
    let label: String = shared
        .map(|scenario| {
            let safe: String = scenario
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("-{safe}")
        })
        .unwrap_or_default();
    // Segments of one test may share a folder (a shared volume): the segment is in the name.
    let segment = evidence
        .segment
        .as_ref()
        .map(|s| format!("-segment-{}-of-{}", s.index, s.count))
        .unwrap_or_default();
    format!(
        "{}{label}{segment}-{}.json",
        evidence.kind,
        &evidence.sha256[..8.min(evidence.sha256.len())]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::fixture::CATALOG;
    use crate::evidence::{latency_histogram, sha256_hex};

    fn sample() -> Evidence {
        let mut histogram = latency_histogram();
        for micros in [1_000u64, 2_000, 20_000, 500_000] {
            histogram.record(micros).unwrap();
        }
        let mut record = Evidence::new(
            "load",
            Source::Url("http://127.0.0.1:8080/".into()),
            sha256_hex(b"x"),
            "2026-11-25T12:00:00Z".parse().unwrap(),
            Tool::new("gonogo", "0.1.0"),
        );
        record
            .insert(
                "load.default.latency",
                Metric::distribution(histogram, Unit::parse("us")),
            )
            .insert(
                "load.default.errors",
                Metric::ratio(Ratio::new(1, 4).unwrap(), Unit::count("requests")),
            )
            .insert(
                "load.default.throughput",
                Metric::value(99.5, Unit::PerSecond).with_note("closed model"),
            );
        record
    }

    #[test]
    fn a_file_is_named_after_its_scenario_only_when_every_metric_shares_it() {
        let sha8 = &sha256_hex(b"x")[..8];
        assert_eq!(
            suggested_file_name(&sample()),
            format!("load-default-{sha8}.json")
        );
        let mut harden = Evidence::new(
            "harden",
            Source::Url("http://127.0.0.1:8080/".into()),
            sha256_hex(b"x"),
            "2026-11-25T12:00:00Z".parse().unwrap(),
            Tool::new("gonogo-harden", "0.1.0"),
        );
        harden
            .insert(
                "harden.auth-alg-none-accepted.findings",
                Metric::value(0.0, Unit::count("findings")),
            )
            .insert(
                "harden.findings.high",
                Metric::value(13.0, Unit::count("findings")),
            );
        // Not "harden-auth-alg-none-accepted-...": the record is about every check.
        assert_eq!(suggested_file_name(&harden), format!("harden-{sha8}.json"));
        harden.metrics.clear();
        assert_eq!(suggested_file_name(&harden), format!("harden-{sha8}.json"));
    }

    #[test]
    fn round_trip_keeps_every_metric() {
        let record = sample();
        for text in [to_json_line(&record), to_json_pretty(&record)] {
            let back = parse_records(&text, CATALOG).unwrap();
            assert_eq!(back.len(), 1);
            let back = &back[0];
            assert_eq!(back.kind, "load");
            assert_eq!(back.sha256, record.sha256);
            assert_eq!(back.collected_at, record.collected_at);
            let histogram = back.metrics["load.default.latency"]
                .value
                .as_histogram()
                .unwrap();
            assert_eq!(histogram.len(), 4);
            assert_eq!(
                histogram.max(),
                record.metrics["load.default.latency"]
                    .value
                    .as_histogram()
                    .unwrap()
                    .max()
            );
            assert_eq!(
                back.metrics["load.default.errors"].value.as_ratio(),
                Ratio::new(1, 4)
            );
            assert_eq!(
                back.metrics["load.default.throughput"].note.as_deref(),
                Some("closed model")
            );
        }
    }

    /// An uncompressed V2 header with these bounds and an empty payload.
    fn v2_header(payload: u32, digits: u32, low: u64, high: u64) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&V2_COOKIE.to_be_bytes());
        bytes.extend_from_slice(&payload.to_be_bytes());
        bytes.extend_from_slice(&0u32.to_be_bytes());
        bytes.extend_from_slice(&digits.to_be_bytes());
        bytes.extend_from_slice(&low.to_be_bytes());
        bytes.extend_from_slice(&high.to_be_bytes());
        bytes.extend_from_slice(&1f64.to_be_bytes());
        bytes
    }

    /// The same header, compressed the way the V2 deflate form is.
    fn compressed(header: &[u8]) -> String {
        compressed_with(V2_COMPRESSED_COOKIE, header)
    }

    fn compressed_with(cookie: u32, header: &[u8]) -> String {
        use std::io::Write as _;
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(header).unwrap();
        let deflated = encoder.finish().unwrap();
        let mut bytes = cookie.to_be_bytes().to_vec();
        bytes.extend_from_slice(&(deflated.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&deflated);
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn histogram_header_with_huge_range_is_refused() {
        // 1..u64::MAX at 5 digits: about 48 MB of counts before this check.
        let hostile = compressed(&v2_header(0, 5, 1, u64::MAX));
        assert!(hostile.len() < 100, "a small header: {}", hostile.len());
        let error = decode_histogram(&hostile).unwrap_err();
        assert!(
            error.contains("1..18446744073709551615 at 5 significant digits"),
            "{error}"
        );
        assert!(error.contains("refused before allocating"), "{error}");
        // Uncompressed too.
        let plain = base64::engine::general_purpose::STANDARD.encode(v2_header(0, 4, 1, 1 << 62));
        assert!(decode_histogram(&plain).unwrap_err().contains("counts"));
        // A declared payload longer than the counts can take (4 GB zeroed buffer before).
        let payload = compressed(&v2_header(u32::MAX, 3, 1, 3_600_000_000));
        let error = decode_histogram(&payload).unwrap_err();
        assert!(error.contains("payload of 4294967295 bytes"), "{error}");
        // The latency histogram and the load engine's are read.
        let mut latency = latency_histogram();
        latency.record(3_600_000_000).unwrap();
        assert_eq!(
            decode_histogram(&encode_histogram(&latency)).unwrap(),
            latency
        );
        let mut wide = Histogram::<u64>::new_with_bounds(1, u64::MAX, 2).unwrap();
        wide.record(u64::MAX / 3).unwrap();
        assert_eq!(decode_histogram(&encode_histogram(&wide)).unwrap(), wide);
    }

    #[test]
    fn histogram_header_in_an_evidence_file_names_record_and_metric() {
        let mut record = serde_json::to_value(to_wire(&sample())).unwrap();
        record["metrics"]["load.default.latency"]["histogram"] =
            serde_json::json!(compressed(&v2_header(0, 5, 1, u64::MAX)));
        let mut text = to_json_line(&sample());
        text.push_str(&serde_json::to_string(&record).unwrap());
        match parse_records(&text, CATALOG).unwrap_err() {
            WireError::Metric {
                record,
                metric,
                message,
            } => {
                assert_eq!((record, metric.as_str()), (2, "load.default.latency"));
                assert!(message.contains("significant digits"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn counts_len_is_hdrhistograms_own() {
        for digits in 0..=5u8 {
            for low in [1u64, 2, 3, 1000, 1 << 20, (1 << 40) + 7] {
                for high in [2 * low, 10 * low, 3_600_000_000, 1 << 50, u64::MAX] {
                    if high < 2 * low {
                        continue;
                    }
                    let computed = histogram_counts_len(low, high, u32::from(digits));
                    if computed > 1 << 22 {
                        continue; // too big to build in a test
                    }
                    match Histogram::<u8>::new_with_bounds(low, high, digits) {
                        Ok(h) => assert_eq!(
                            computed,
                            h.distinct_values() as u64,
                            "{low}..{high} at {digits}"
                        ),
                        Err(_) => assert_eq!(computed, 0, "{low}..{high} at {digits}"),
                    }
                }
            }
        }
        assert_eq!(histogram_counts_len(1, 3_600_000_000, 3), 23_552);
    }

    #[test]
    fn estimates_are_marked_and_only_when_true() {
        let mut record = sample();
        record.insert(
            "k6.http_req_duration.p95",
            Metric::value(0.412, Unit::parse("s")).as_estimate(),
        );
        let line = to_json_line(&record);
        assert_eq!(line.matches("\"estimate\":true").count(), 1, "{line}");
        assert!(!line.contains("\"estimate\":false"));
        let back = &parse_records(&line, CATALOG).unwrap()[0];
        assert!(back.metrics["k6.http_req_duration.p95"].estimate);
        assert!(!back.metrics["load.default.throughput"].estimate);
        // An estimate must be a plain value.
        let bad = to_json_line(&sample()).replace(
            "\"ratio\":{\"k\":1,\"n\":4}",
            "\"ratio\":{\"k\":1,\"n\":4},\"estimate\":true",
        );
        assert_ne!(bad, to_json_line(&sample()));
        assert_eq!(
            parse_records(&bad, CATALOG).unwrap_err().to_string(),
            "record 1, metric `load.default.errors`: `estimate` applies to a `value` only"
        );
    }

    #[test]
    fn histogram_uses_the_standard_compressed_cookie() {
        // "HISTFAAA" is the base64 of the V2 compressed cookie 0x1c849314, the prefix every
        // HdrHistogram log line carries.
        assert!(encode_histogram(&latency_histogram()).starts_with("HISTFAAA"));
    }

    #[test]
    fn histogram_cookies_are_the_ones_encoders_write() {
        use hdrhistogram::serialization::{Serializer as _, V2Serializer};
        use std::io::Read as _;
        // The header check reads only encodings that start with these cookies; if they were
        // not the ones real encoders write, it would check nothing.
        let mut latency = latency_histogram();
        latency.record(1_000).unwrap();
        let compressed = base64::engine::general_purpose::STANDARD
            .decode(encode_histogram(&latency))
            .unwrap();
        assert_eq!(compressed[..4], V2_COMPRESSED_COOKIE.to_be_bytes());
        let mut inner = [0u8; 4];
        flate2::read::ZlibDecoder::new(&compressed[8..])
            .read_exact(&mut inner)
            .unwrap();
        assert_eq!(inner, V2_COOKIE.to_be_bytes());
        let mut plain = Vec::new();
        V2Serializer::new().serialize(&latency, &mut plain).unwrap();
        assert_eq!(plain[..4], V2_COOKIE.to_be_bytes());
        // Any other start is refused by the check itself, naming what it found.
        let base = compressed_with(0x1c84_9304, &v2_header(0, 5, 1, u64::MAX));
        let error = decode_histogram(&base).unwrap_err();
        assert!(error.contains("starts with 0x1c849304"), "{error}");
    }

    #[test]
    fn json_lines_hold_several_records() {
        let text = format!("{}\n{}\n", to_json_line(&sample()), to_json_line(&sample()));
        assert_eq!(parse_records(&text, CATALOG).unwrap().len(), 2);
    }

    #[test]
    fn errors_say_where_and_what() {
        let error =
            parse_records("{\n  \"gonogo_evidence\": 1,\n  \"kind\": }", CATALOG).unwrap_err();
        assert!(
            matches!(error, WireError::Json { line: 3, .. }),
            "{error:?}"
        );

        let bad_ratio = to_json_line(&sample()).replace("\"k\":1,\"n\":4", "\"k\":5,\"n\":4");
        assert_eq!(
            parse_records(&bad_ratio, CATALOG).unwrap_err().to_string(),
            "record 1, metric `load.default.errors`: ratio has more events than trials (k = 5, n = 4)"
        );

        let future =
            to_json_line(&sample()).replace("\"gonogo_evidence\":1", "\"gonogo_evidence\":9");
        assert_eq!(
            parse_records(&future, CATALOG).unwrap_err(),
            WireError::Version {
                record: 1,
                found: 9
            }
        );
        assert_eq!(
            parse_records("  \n", CATALOG).unwrap_err(),
            WireError::Empty
        );
    }

    #[test]
    fn a_record_past_the_size_limit_is_refused_as_it_passes_it() {
        use std::io::Read as _;
        // An endless string and endless whitespace: the reader stops at the limit, holding at
        // most one record's bytes, and says where.
        let endless_string = std::io::BufReader::new(
            b"{\"gonogo_evidence\": 1, \"kind\": \"".chain(std::io::repeat(b'a')),
        );
        let mut reader = RecordReader::new(endless_string, CATALOG);
        assert_eq!(
            reader.next().unwrap().unwrap_err(),
            WireError::TooLarge {
                record: 1,
                line: 1,
                limit: MAX_RECORD_BYTES
            }
        );
        assert!(reader.next().is_none(), "nothing after the first error");
        let first = to_json_line(&sample()) + "\n";
        let endless_blank = std::io::BufReader::new(first.as_bytes().chain(std::io::repeat(b'\n')));
        let mut reader = RecordReader::new(endless_blank, CATALOG);
        let read = reader.next().unwrap().unwrap();
        assert_eq!((read.line, read.bytes), (1, first.len() as u64 - 1));
        match reader.next().unwrap().unwrap_err() {
            WireError::TooLarge {
                record: 2, line, ..
            } => {
                assert_eq!(line as u64, MAX_RECORD_BYTES + 1)
            }
            other => panic!("{other:?}"),
        }
        // Just under the limit is read.
        let mut padded = to_json_line(&sample());
        padded.insert_str(0, &" ".repeat(MAX_RECORD_BYTES as usize - padded.len()));
        assert_eq!(parse_records(&padded, CATALOG).unwrap().len(), 1);
        padded.insert(0, ' ');
        assert!(matches!(
            parse_records(&padded, CATALOG),
            Err(WireError::TooLarge { record: 1, .. })
        ));
    }

    #[test]
    fn records_stream_with_their_lines_and_a_byte_order_mark_is_skipped() {
        let text = format!(
            "\u{feff}{}\n\n{}\n",
            to_json_line(&sample()),
            to_json_pretty(&sample())
        );
        let read: Vec<_> = RecordReader::new(text.as_bytes(), CATALOG)
            .map(Result::unwrap)
            .collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].line, 1);
        assert_eq!(read[1].line, text.lines().count());
        assert_eq!(
            read.iter().map(|r| r.bytes).sum::<u64>() + 1,
            text.len() as u64 - 3,
            "every byte but the mark and the last newline is counted once"
        );
        assert_eq!(read[0].evidence.sha256, sample().sha256);
        // A mark anywhere else is not skipped.
        let late = format!(
            "{}\n\u{feff}{}",
            to_json_line(&sample()),
            to_json_line(&sample())
        );
        assert!(matches!(
            parse_records(&late, CATALOG),
            Err(WireError::Json { line: 2, .. })
        ));
    }
}
