//! Raw per-request results of other load tools, turned into the evidence `gonogo load` writes.
//!
//! | producer | file | latency | failure (the producer's own semantics) |
//! |---|---|---|---|
//! | k6 | `--out json` ([`k6raw`]) | `http_req_duration` points (ms) | `http_req_failed` points (1 = failed); without them, status 0 or >= 400 |
//! | k6 | `--out csv` ([`k6raw`]) | `http_req_duration` rows (ms) | as for JSON |
//! | JMeter | JTL CSV with its header, JTL XML ([`jmeter`]) | `elapsed` / `t` (ms) | `success` / `s` |
//! | hey | `hey -o csv` ([`hey`]) | `response-time` (s) | status >= 400 (hey writes only answered requests) |
//! | Vegeta | `vegeta encode --to json` / `--to csv` ([`vegeta`]) | `latency` (ns) | status outside 200..=399 or a non-empty `error`, as `vegeta report` counts success |
//! | Gatling | `simulation.log`: text (2.x–3.12) and binary (3.13+) ([`gatling`]) | end − start (ms) | `KO` |
//! | Locust | `--csv` `_stats.csv` / `_stats_history.csv` ([`locust`]) | none: percentiles only, as estimates | `Failure Count` |
//!
//! Every reader but Locust's produces, per scenario `S` of the producer, the metrics of
//! `gonogo load` with the same names, units and shapes: `load.S.latency` (µs histogram, 3
//! significant digits), `load.S.errors`, `.status_4xx`, `.status_5xx` (k of n requests),
//! `.requests` (answered requests) and `.throughput` (answered requests per second from the
//! first request's start to the last one's end), and per request name (k6's `name` tag, JMeter's
//! label, Gatling's request name, Vegeta's method and URL) `load.S.url.N.latency` (2 significant
//! digits, as `gonogo load --urls`) and `load.S.url.N.errors`, `N` numbering the names in the
//! order they first appear (listed with their names in `details.scenarios.S.urls`).
//!
//! Readers stream line by line: memory is one histogram and a few counters per scenario and per
//! request name, whatever the file's size. At most [`MAX_SCENARIOS`] scenarios and
//! [`MAX_NAMES`] request names are kept (more is an error naming the line, since a result
//! grouped by an unbounded tag such as a full URL with ids cannot be judged per group), and a
//! line longer than [`MAX_LINE`] bytes is refused.

pub mod gatling;
pub mod hey;
pub mod jmeter;
pub mod k6raw;
pub mod locust;
pub mod vegeta;

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use gonogo_core::evidence::{Metric, NoteCode, Ratio, Tool};
use gonogo_core::units::Unit;
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::Parsed;
use crate::error::ParseError;

/// Scenarios kept per file.
pub const MAX_SCENARIOS: usize = 100;
/// Distinct request names (over all scenarios) kept per file.
pub const MAX_NAMES: usize = 1_000;
/// The longest line (or CSV record) read.
pub const MAX_LINE: usize = 1 << 20;
/// Distinct status codes counted per scenario; others are counted as `other`.
const MAX_STATUS_CODES: usize = 64;

/// Highest latency recorded: one hour in µs, the bound of `gonogo load`'s histograms (values
/// above are clamped, and the clamped count is reported).
const HIGHEST_US: u64 = 3_600_000_000;

/// The note on every latency metric made from a producer's results.
pub fn producer_note(producer: &str) -> String {
    format!("from {producer}'s per-request results, read by gonogo")
}

/// Lines of a streamed input, each at most [`MAX_LINE`] bytes, with their 1-based number and
/// byte offset.
pub(crate) struct Lines<R> {
    input: R,
    buffer: Vec<u8>,
    /// Number of the line last returned.
    pub line: u64,
    /// Byte offset of the line last returned.
    pub offset: u64,
    next_offset: u64,
    /// Whether the line last returned ended with a newline (false: a truncated last line).
    pub complete: bool,
    end: usize,
}

impl<R: BufRead> Lines<R> {
    pub fn new(input: R) -> Lines<R> {
        Lines {
            input,
            buffer: Vec::with_capacity(4096),
            line: 0,
            offset: 0,
            next_offset: 0,
            complete: false,
            end: 0,
        }
    }

    /// The line last read by [`Self::next_line`], without its line ending.
    pub fn text(&self) -> &[u8] {
        &self.buffer[..self.end]
    }

    /// Reads the next line ([`Self::text`]); false at the end. [`Self::complete`] is false
    /// for a last line without a newline (a truncated file, or an editor's last line).
    pub fn next_line(&mut self) -> Result<bool, ParseError> {
        self.buffer.clear();
        self.offset = self.next_offset;
        let mut complete = false;
        loop {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                break;
            }
            let (take, found) = match memchr::memchr(b'\n', available) {
                Some(at) => (at + 1, true),
                None => (available.len(), false),
            };
            if self.buffer.len() + take > MAX_LINE + 1 {
                return Err(ParseError::malformed_line(
                    self.line + 1,
                    1,
                    format!("the line is longer than {MAX_LINE} bytes: not a load result line"),
                ));
            }
            self.buffer.extend_from_slice(&available[..take]);
            self.input.consume(take);
            if found {
                complete = true;
                break;
            }
        }
        if self.buffer.is_empty() {
            return Ok(false);
        }
        self.next_offset += self.buffer.len() as u64;
        self.line += 1;
        let mut end = self.buffer.len();
        if complete {
            end -= 1;
        }
        if end > 0 && self.buffer[end - 1] == b'\r' {
            end -= 1;
        }
        self.end = end;
        self.complete = complete;
        Ok(true)
    }

    /// An error about the line last returned.
    pub fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::malformed_line(self.line, 1, message)
    }
}

/// The fields of one CSV record: one string and the ranges of its fields, reused from record
/// to record (no allocation per field).
#[derive(Debug)]
pub(crate) struct Fields {
    data: String,
    /// The ranges of the first `needed` fields (all of them unless a reader said otherwise).
    ranges: Vec<(usize, usize)>,
    /// How many fields the record has.
    count: usize,
    /// Fields a reader reads (see [`CsvRecords::needed`]).
    needed: usize,
}

impl Default for Fields {
    fn default() -> Fields {
        Fields {
            data: String::new(),
            ranges: Vec::new(),
            count: 0,
            needed: usize::MAX,
        }
    }
}

impl Fields {
    /// The number of fields of the record (those past `needed` are counted, not kept).
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn get(&self, index: usize) -> Option<&str> {
        self.ranges.get(index).map(|&(a, b)| &self.data[a..b])
    }

    /// Owned copies of the fields kept (for a header, read with every field kept).
    pub fn to_strings(&self) -> Vec<String> {
        (0..self.ranges.len())
            .map(|i| self[i].to_string())
            .collect()
    }
}

impl std::ops::Index<usize> for Fields {
    type Output = str;
    fn index(&self, index: usize) -> &str {
        let (a, b) = self.ranges[index];
        &self.data[a..b]
    }
}

/// Splits one CSV record (RFC 4180 quoting) into `fields`, reusing its storage. Returns
/// false when a quoted field is still open at the end of the text (it continues on the next
/// line). Bytes that are not UTF-8 become U+FFFD.
pub(crate) fn split_csv(text: &[u8], delimiter: u8, fields: &mut Fields) -> bool {
    if split_unquoted(text, delimiter, fields) {
        return true;
    }
    fields.data.clear();
    fields.ranges.clear();
    let mut field = Vec::new();
    let mut quoted = false;
    let mut index = 0;
    // A quoted record is rare: every field is kept.
    let push = |field: &mut Vec<u8>, fields: &mut Fields| {
        let start = fields.data.len();
        fields.data.push_str(&String::from_utf8_lossy(field));
        fields.ranges.push((start, fields.data.len()));
        field.clear();
    };
    while index < text.len() {
        let byte = text[index];
        if quoted {
            if byte == b'"' {
                if text.get(index + 1) == Some(&b'"') {
                    field.push(b'"');
                    index += 1;
                } else {
                    quoted = false;
                }
            } else {
                field.push(byte);
            }
        } else if byte == b'"' {
            quoted = true;
        } else if byte == delimiter {
            push(&mut field, fields);
        } else {
            field.push(byte);
        }
        index += 1;
    }
    push(&mut field, fields);
    fields.count = fields.ranges.len();
    !quoted
}

/// Splits a record without quotes into `fields` (false, with `fields` left to be reset, when
/// the text has a quote). One pass over the bytes: records are short (about 100 bytes of 17
/// fields for a JTL line), where a search call per field or per byte class costs more than it
/// saves. Bytes that are not UTF-8 become U+FFFD; the delimiter and the quote are ASCII, so
/// they are found the same in the converted text.
fn split_unquoted(text: &[u8], delimiter: u8, fields: &mut Fields) -> bool {
    fields.data.clear();
    fields.ranges.clear();
    match std::str::from_utf8(text) {
        Ok(valid) => fields.data.push_str(valid),
        Err(_) => fields.data.push_str(&String::from_utf8_lossy(text)),
    }
    let bytes = fields.data.as_bytes();
    let mut start = 0;
    // Eight bytes at a time: the delimiters' positions from a bit mask, no branch per byte.
    let delimiters = LOW_BITS * u64::from(delimiter);
    let quotes = LOW_BITS * u64::from(b'"');
    let needed = fields.needed;
    // Delimiters past the fields kept: counted only.
    let mut more = 0usize;
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        if zero_bytes(word ^ quotes) != 0 {
            return false;
        }
        let mut found = zero_bytes(word ^ delimiters);
        while found != 0 {
            if fields.ranges.len() >= needed {
                more += found.count_ones() as usize;
                break;
            }
            let at = base + (found.trailing_zeros() / 8) as usize;
            fields.ranges.push((start, at));
            start = at + 1;
            found &= found - 1;
        }
        base += 8;
    }
    for (offset, &byte) in chunks.remainder().iter().enumerate() {
        if byte == delimiter {
            if fields.ranges.len() >= needed {
                more += 1;
            } else {
                fields.ranges.push((start, base + offset));
                start = base + offset + 1;
            }
        } else if byte == b'"' {
            return false;
        }
    }
    if fields.ranges.len() < needed {
        fields.ranges.push((start, bytes.len()));
        fields.count = fields.ranges.len();
    } else {
        fields.count = fields.ranges.len() + more + 1;
    }
    true
}

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const SEVEN_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each zero byte of `word`, exactly (no carry from one byte reaches the next).
fn zero_bytes(word: u64) -> u64 {
    !(((word & SEVEN_BITS).wrapping_add(SEVEN_BITS)) | word | SEVEN_BITS)
}

/// CSV records of a streamed input: a quoted field may span lines (JMeter quotes a failure
/// message with a newline); a record stays under [`MAX_LINE`] bytes.
pub(crate) struct CsvRecords<R> {
    pub lines: Lines<R>,
    delimiter: u8,
    pending: Vec<u8>,
    pub fields: Fields,
    /// Line the record last returned starts on.
    pub line: u64,
}

impl<R> CsvRecords<R> {
    /// Keeps only the first `n` fields of each record from now on (the rest are counted, so
    /// [`Fields::len`] is still the record's): a reader that reads a few leading columns of
    /// many skips splitting the others.
    pub fn keep_fields(&mut self, n: usize) {
        self.fields.needed = n;
    }
}

impl<R: BufRead> CsvRecords<R> {
    pub fn new(input: R, delimiter: u8) -> CsvRecords<R> {
        CsvRecords {
            lines: Lines::new(input),
            delimiter,
            pending: Vec::new(),
            fields: Fields::default(),
            line: 0,
        }
    }

    /// Reads the next record into `self.fields`; false at the end. Blank lines are skipped.
    pub fn next_record(&mut self) -> Result<bool, ParseError> {
        self.pending.clear();
        let mut start = 0;
        let mut quotes = 0usize;
        loop {
            if !self.lines.next_line()? {
                if self.pending.is_empty() {
                    return Ok(false);
                }
                self.line = start;
                return Err(ParseError::malformed_line(
                    start,
                    1,
                    "the file ends inside a quoted field: it is truncated",
                ));
            }
            let (text, complete) = (self.lines.text(), self.lines.complete);
            if self.pending.is_empty() {
                if text.is_empty() {
                    continue;
                }
                start = self.lines.line;
                if !complete {
                    self.line = start;
                }
                // Most records are one line without quotes: split in place, no copy.
                if text.len() <= MAX_LINE && split_unquoted(text, self.delimiter, &mut self.fields)
                {
                    self.line = start;
                    return Ok(true);
                }
            } else {
                self.pending.push(b'\n');
            }
            if self.pending.len() + text.len() > MAX_LINE {
                return Err(ParseError::malformed_line(
                    start,
                    1,
                    format!("the record is longer than {MAX_LINE} bytes"),
                ));
            }
            self.pending.extend_from_slice(text);
            // A record is whole when its quotes pair up (an escaped `""` counts two): counted
            // on the new line only, so a long open quote stays linear.
            quotes += memchr::memchr_iter(b'"', text).count();
            if quotes % 2 == 0 {
                let whole = split_csv(&self.pending, self.delimiter, &mut self.fields);
                debug_assert!(whole);
                self.line = start;
                return Ok(true);
            }
        }
    }

    pub fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::malformed_line(self.line, 1, message)
    }
}

/// The columns a CSV header names, by name.
pub(crate) fn column(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h.trim() == name)
}

/// A metric-name segment for a producer's scenario name: letters, digits, `_` and `-` kept,
/// anything else `_`, at most 64 characters; empty becomes `default`.
pub fn segment(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "default".to_string()
    } else {
        cleaned
    }
}

/// One request name's figures.
struct Entry {
    name: String,
    latency: Histogram<u64>,
    due: u64,
    failed: u64,
    fallback_due: u64,
    fallback_failed: u64,
}

/// One scenario's figures.
struct Scenario {
    name: String,
    latency: Histogram<u64>,
    due: u64,
    failed: u64,
    answered: u64,
    status_4xx: u64,
    status_5xx: u64,
    status_counts: BTreeMap<u16, u64>,
    status_other: u64,
    checks: Option<(u64, u64)>,
    /// Outcomes judged by a second rule, used when the first never applied (k6 without
    /// `http_req_failed` points: by status).
    fallback_due: u64,
    fallback_failed: u64,
    first_start_us: Option<i64>,
    last_end_us: Option<i64>,
    entries: Vec<usize>,
}

/// Everything a reader keeps: bounded by [`MAX_SCENARIOS`] and [`MAX_NAMES`].
pub(crate) struct Aggregator {
    producer: &'static str,
    format: &'static str,
    scenarios: Vec<Scenario>,
    scenario_index: HashMap<String, usize>,
    entries: Vec<Entry>,
    /// Per scenario: request name → entry.
    entry_index: Vec<HashMap<String, usize>>,
    clamped: u64,
    /// How failures were judged (said in the details).
    pub failure_rule: &'static str,
    pub version: Option<String>,
    pub extra: serde_json::Map<String, Value>,
    /// Times are relative to the run's start (hey): a span, but no interval on the clock.
    pub relative_time: bool,
    /// The slot last asked for, and its scenario and name.
    last: Option<Slot>,
    last_scenario: String,
    last_name: Option<String>,
}

/// Where a sample goes: a scenario and, when the producer names requests, an entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    scenario: usize,
    entry: Option<usize>,
}

/// A histogram whose counts start small and grow with the range actually seen (values are
/// clamped to [`HIGHEST_US`] before they are recorded).
fn histogram(digits: u8) -> Histogram<u64> {
    Histogram::new(digits).expect("static precision is valid")
}

impl Aggregator {
    pub fn new(producer: &'static str, format: &'static str) -> Aggregator {
        Aggregator {
            producer,
            format,
            scenarios: Vec::new(),
            scenario_index: HashMap::new(),
            entries: Vec::new(),
            entry_index: Vec::new(),
            clamped: 0,
            failure_rule: "",
            version: None,
            extra: serde_json::Map::new(),
            relative_time: false,
            last: None,
            last_scenario: String::new(),
            last_name: None,
        }
    }

    /// The slot of `scenario` / `name`, created on first sight (at most [`MAX_SCENARIOS`] and
    /// [`MAX_NAMES`]; `line` is the line reported when a cap is reached).
    pub fn slot(
        &mut self,
        scenario: &str,
        name: Option<&str>,
        line: u64,
    ) -> Result<Slot, ParseError> {
        // Consecutive samples mostly repeat the last slot: a comparison, not two hashes; and
        // mostly the last scenario (JMeter has one): then only the name is looked up.
        let mut known = None;
        if let Some(slot) = self.last
            && self.last_scenario == scenario
        {
            if self.last_name.as_deref() == name {
                return Ok(slot);
            }
            if let Some(name) = name
                && let Some(&id) = self.entry_index[slot.scenario].get(name)
            {
                known = Some(Slot {
                    scenario: slot.scenario,
                    entry: Some(id),
                });
            }
        }
        let slot = match known {
            Some(slot) => slot,
            None => self.slot_uncached(scenario, name, line)?,
        };
        // The strings' storage is reused: no allocation per sample.
        self.last = Some(slot);
        self.last_scenario.clear();
        self.last_scenario.push_str(scenario);
        match (name, &mut self.last_name) {
            (Some(name), Some(last)) => {
                last.clear();
                last.push_str(name);
            }
            (Some(name), last) => *last = Some(name.to_string()),
            (None, last) => *last = None,
        }
        Ok(slot)
    }

    fn slot_uncached(
        &mut self,
        scenario: &str,
        name: Option<&str>,
        line: u64,
    ) -> Result<Slot, ParseError> {
        let scenario_id = match self.scenario_index.get(scenario) {
            Some(&id) => id,
            None => {
                if self.scenarios.len() >= MAX_SCENARIOS {
                    return Err(ParseError::malformed_line(
                        line,
                        1,
                        format!(
                            "more than {MAX_SCENARIOS} distinct scenarios in one file: gonogo keeps a histogram per scenario and stops here rather than grow without bound"
                        ),
                    ));
                }
                let id = self.scenarios.len();
                self.scenarios.push(Scenario {
                    name: scenario.to_string(),
                    latency: histogram(3),
                    due: 0,
                    failed: 0,
                    answered: 0,
                    status_4xx: 0,
                    status_5xx: 0,
                    status_counts: BTreeMap::new(),
                    status_other: 0,
                    checks: None,
                    fallback_due: 0,
                    fallback_failed: 0,
                    first_start_us: None,
                    last_end_us: None,
                    entries: Vec::new(),
                });
                self.scenario_index.insert(scenario.to_string(), id);
                self.entry_index.push(HashMap::new());
                id
            }
        };
        let entry = match name {
            None => None,
            Some(name) => {
                // Lookups borrow; only a new name is copied.
                match self.entry_index[scenario_id].get(name) {
                    Some(&id) => Some(id),
                    None => {
                        if self.entries.len() >= MAX_NAMES {
                            return Err(ParseError::malformed_line(
                                line,
                                1,
                                format!(
                                    "more than {MAX_NAMES} distinct request names in one file: group the requests by a tag with fewer values (k6 `name`, a JMeter label) so each group can be judged"
                                ),
                            ));
                        }
                        let id = self.entries.len();
                        self.entries.push(Entry {
                            name: name.to_string(),
                            latency: histogram(2),
                            due: 0,
                            failed: 0,
                            fallback_due: 0,
                            fallback_failed: 0,
                        });
                        self.scenarios[scenario_id].entries.push(id);
                        self.entry_index[scenario_id].insert(name.to_string(), id);
                        Some(id)
                    }
                }
            }
        };
        Ok(Slot {
            scenario: scenario_id,
            entry,
        })
    }

    fn clamp(&mut self, latency_us: u64) -> u64 {
        if latency_us > HIGHEST_US {
            self.clamped += 1;
            HIGHEST_US
        } else {
            latency_us
        }
    }

    /// One answered request's latency.
    pub fn latency(&mut self, slot: Slot, latency_us: u64) {
        let value = self.clamp(latency_us);
        let scenario = &mut self.scenarios[slot.scenario];
        scenario
            .latency
            .record(value)
            .expect("a growable histogram takes any clamped value");
        scenario.answered += 1;
        if let Some(entry) = slot.entry {
            self.entries[entry]
                .latency
                .record(value)
                .expect("a growable histogram takes any clamped value");
        }
    }

    /// One request's outcome: due, failed or not, and its status when known (0: no response).
    pub fn outcome(&mut self, slot: Slot, failed: bool, status: Option<u16>) {
        self.judged(slot, failed);
        if let Some(status) = status {
            self.status(slot, status);
        }
    }

    /// One request judged failed or not (its status is counted apart, by [`Self::status`]).
    pub fn judged(&mut self, slot: Slot, failed: bool) {
        let scenario = &mut self.scenarios[slot.scenario];
        scenario.due += 1;
        scenario.failed += u64::from(failed);
        if let Some(entry) = slot.entry {
            let entry = &mut self.entries[entry];
            entry.due += 1;
            entry.failed += u64::from(failed);
        }
    }

    /// One request judged by the second rule (see [`Self::use_fallback`]).
    pub fn fallback(&mut self, slot: Slot, failed: bool) {
        let scenario = &mut self.scenarios[slot.scenario];
        scenario.fallback_due += 1;
        scenario.fallback_failed += u64::from(failed);
        if let Some(entry) = slot.entry {
            let entry = &mut self.entries[entry];
            entry.fallback_due += 1;
            entry.fallback_failed += u64::from(failed);
        }
    }

    /// Whether any request was judged by the first rule.
    pub fn any_judged(&self) -> bool {
        self.scenarios.iter().any(|s| s.due > 0)
    }

    /// Replaces the first rule's outcomes by the second's.
    pub fn use_fallback(&mut self) {
        for scenario in &mut self.scenarios {
            scenario.due = scenario.fallback_due;
            scenario.failed = scenario.fallback_failed;
        }
        for entry in &mut self.entries {
            entry.due = entry.fallback_due;
            entry.failed = entry.fallback_failed;
        }
    }

    /// One response's status (0: no response), counted in `status_4xx`/`status_5xx`.
    pub fn status(&mut self, slot: Slot, status: u16) {
        let scenario = &mut self.scenarios[slot.scenario];
        {
            match status {
                400..=499 => scenario.status_4xx += 1,
                500..=599 => scenario.status_5xx += 1,
                _ => {}
            }
            if scenario.status_counts.contains_key(&status)
                || scenario.status_counts.len() < MAX_STATUS_CODES
            {
                *scenario.status_counts.entry(status).or_default() += 1;
            } else {
                scenario.status_other += 1;
            }
        }
    }

    /// A check's result (k6 `checks`).
    pub fn check(&mut self, slot: Slot, failed: bool) {
        let checks = self.scenarios[slot.scenario].checks.get_or_insert((0, 0));
        checks.0 += u64::from(failed);
        checks.1 += 1;
    }

    /// Widens the scenario's span to include `start_us .. end_us` (µs since the epoch).
    pub fn span(&mut self, slot: Slot, start_us: i64, end_us: i64) {
        let scenario = &mut self.scenarios[slot.scenario];
        scenario.first_start_us = Some(
            scenario
                .first_start_us
                .map_or(start_us, |s| s.min(start_us)),
        );
        scenario.last_end_us = Some(scenario.last_end_us.map_or(end_us, |e| e.max(end_us)));
    }

    /// The evidence: the metrics of `gonogo load` per scenario (see the module doc).
    pub fn finish(self) -> Result<Parsed, ParseError> {
        let Aggregator {
            producer,
            format,
            scenarios,
            entries,
            clamped,
            failure_rule,
            version,
            extra,
            relative_time,
            ..
        } = self;
        if scenarios.iter().all(|s| s.due == 0 && s.answered == 0) {
            return Err(ParseError::NoEvidence(format!(
                "the {producer} results hold no request, which proves nothing"
            )));
        }
        let requests = Unit::count("requests");
        let mut metrics = Vec::new();
        let mut details_scenarios = serde_json::Map::new();
        let mut incomplete = Vec::new();
        // Two producer names may clean up to one segment: number the later ones.
        let mut used: HashMap<String, usize> = HashMap::new();
        for scenario in &scenarios {
            let mut name = segment(&scenario.name);
            let count = used.entry(name.clone()).or_insert(0);
            *count += 1;
            if *count > 1 {
                name = format!("{name}-{count}");
            }
            let metric = |suffix: &str| format!("load.{name}.{suffix}");
            let n = scenario.due.max(scenario.answered);
            let ratio = |k: u64| Ratio::new(k.min(n), n).expect("k clamped to n");
            let elapsed_s = match (scenario.first_start_us, scenario.last_end_us) {
                (Some(start), Some(end)) if end > start => Some((end - start) as f64 / 1e6),
                _ => None,
            };
            let note = producer_note(producer);
            let code = NoteCode::new("loadlog.per_request").arg("producer", producer);
            if !scenario.latency.is_empty() {
                let latency = scenario.latency.clone();
                metrics.push((
                    metric("latency"),
                    Metric::distribution(latency, Unit::parse("us"))
                        .with_coded_note(note.clone(), code.clone()),
                ));
            }
            if n > 0 {
                metrics.push((
                    metric("errors"),
                    Metric::ratio(ratio(scenario.failed), requests.clone()),
                ));
                metrics.push((
                    metric("status_4xx"),
                    Metric::ratio(ratio(scenario.status_4xx), requests.clone()),
                ));
                metrics.push((
                    metric("status_5xx"),
                    Metric::ratio(ratio(scenario.status_5xx), requests.clone()),
                ));
            }
            metrics.push((
                metric("requests"),
                Metric::value(scenario.answered as f64, requests.clone()),
            ));
            match elapsed_s {
                Some(seconds) => metrics.push((
                    metric("throughput"),
                    Metric::value(scenario.answered as f64 / seconds, Unit::PerSecond),
                )),
                None => incomplete.push((
                    format!("scenario `{name}`: the results carry no time span, so no throughput"),
                    Some(NoteCode::new("loadlog.no_time_span").arg("scenario", &name)),
                )),
            }
            if let Some((k, n)) = scenario.checks {
                metrics.push((
                    metric("checks_failed"),
                    Metric::ratio(Ratio::new(k, n).expect("k <= n"), Unit::count("checks")),
                ));
            }
            let mut urls = Vec::new();
            for (index, &entry_id) in scenario.entries.iter().enumerate() {
                let entry = &entries[entry_id];
                let url_metric = |suffix: &str| format!("load.{name}.url.{}.{suffix}", index + 1);
                if !entry.latency.is_empty() {
                    let latency = entry.latency.clone();
                    metrics.push((
                        url_metric("latency"),
                        Metric::distribution(latency, Unit::parse("us"))
                            .with_coded_note(note.clone(), code.clone()),
                    ));
                }
                let due = entry.due.max(entry.latency.len());
                if due > 0 {
                    metrics.push((
                        url_metric("errors"),
                        Metric::ratio(
                            Ratio::new(entry.failed.min(due), due).expect("clamped"),
                            requests.clone(),
                        ),
                    ));
                }
                urls.push(json!({
                    "entry": index + 1,
                    "name": entry.name,
                    "requests": {"due": entry.due, "errors": entry.failed, "answered": entry.latency.len()},
                    "latency_us": percentiles_json(&entry.latency),
                }));
            }
            let status_counts: serde_json::Map<String, Value> = scenario
                .status_counts
                .iter()
                .map(|(status, count)| (status.to_string(), json!(count)))
                .collect();
            let iso = |us: Option<i64>| {
                us.filter(|_| !relative_time)
                    .and_then(|us| jiff::Timestamp::from_microsecond(us).ok())
                    .map(|t| t.to_string())
            };
            details_scenarios.insert(
                name.clone(),
                json!({
                    "producer_name": scenario.name,
                    "started_at": iso(scenario.first_start_us),
                    "ended_at": iso(scenario.last_end_us),
                    "elapsed_s": elapsed_s,
                    "intervals": match (iso(scenario.first_start_us), iso(scenario.last_end_us)) {
                        (Some(start), Some(end)) => json!([[start, end]]),
                        _ => json!([]),
                    },
                    "requests": {
                        "due": scenario.due,
                        "answered": scenario.answered,
                        "errors": scenario.failed,
                    },
                    "status_counts": status_counts,
                    "status_other": scenario.status_other,
                    "latency_us": percentiles_json(&scenario.latency),
                    "urls": urls,
                }),
            );
        }
        let mut details = json!({
            "result_version": 1,
            "producer": producer,
            "format": format,
            "failure_rule": failure_rule,
            "scenarios": details_scenarios,
        });
        if clamped > 0 {
            details["clamped_latencies"] = json!(clamped);
            details["clamped_note"] = json!(format!(
                "{clamped} latencies above one hour were recorded as one hour"
            ));
        }
        for (key, value) in extra {
            details[key] = value;
        }
        Ok(Parsed {
            kind: "load",
            tool: Tool::new(producer, version.unwrap_or_else(|| "unknown".into())),
            metrics,
            details,
            incomplete,
        })
    }
}

/// Percentiles of a µs histogram, as `gonogo load` writes them in its details.
pub fn percentiles_json(histogram: &Histogram<u64>) -> Value {
    if histogram.is_empty() {
        return Value::Null;
    }
    let mut object = serde_json::Map::new();
    for (label, quantile) in [
        ("p50", 0.5),
        ("p90", 0.9),
        ("p95", 0.95),
        ("p99", 0.99),
        ("p99_9", 0.999),
    ] {
        object.insert(label.into(), json!(histogram.value_at_quantile(quantile)));
    }
    object.insert("max".into(), json!(histogram.max()));
    object.insert("min".into(), json!(histogram.min()));
    object.insert(
        "mean".into(),
        json!((histogram.mean() * 10.0).round() / 10.0),
    );
    object.insert("count".into(), json!(histogram.len()));
    Value::Object(object)
}

/// At most 40 characters of an input's text, for a message.
pub(crate) fn short(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

/// A latency in (fractional) milliseconds as whole µs; `None` for a negative or non-finite one.
pub(crate) fn ms_to_us(ms: f64) -> Option<u64> {
    (ms.is_finite() && ms >= 0.0).then(|| (ms * 1000.0).round() as u64)
}

/// A field without surrounding white space as is (the common case, checked in two bytes),
/// else trimmed.
fn trimmed(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() => text,
        [only] if only.is_ascii_alphanumeric() => text,
        _ => text.trim(),
    }
}

/// Parses an unsigned decimal integer field.
pub(crate) fn parse_u64(text: &str) -> Option<u64> {
    trimmed(text).parse().ok()
}

/// Parses a signed decimal integer field.
pub(crate) fn parse_i64(text: &str) -> Option<i64> {
    trimmed(text).parse().ok()
}

/// Parses a float field.
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_split_handles_quotes() {
        let mut fields = Fields::default();
        assert!(split_csv(b"a,\"b,c\",\"d\"\"e\",", b',', &mut fields));
        assert_eq!(fields.to_strings(), ["a", "b,c", "d\"e", ""]);
        assert!(split_csv(b"x,y", b',', &mut fields));
        assert_eq!(fields.to_strings(), ["x", "y"]);
        assert!(!split_csv(b"a,\"open", b',', &mut fields));
    }

    #[test]
    fn csv_split_finds_every_delimiter() {
        // Delimiters at every position of the eight-byte words and in the remainder, empty
        // fields, a quote in either part, bytes that are not UTF-8.
        let mut fields = Fields::default();
        for len in 0..40 {
            for every in 1..5 {
                let text: Vec<u8> = (0..len)
                    .map(|i| {
                        if i % every == 0 {
                            b','
                        } else {
                            b'a' + (i % 26) as u8
                        }
                    })
                    .collect();
                let expected: Vec<String> = String::from_utf8(text.clone())
                    .unwrap()
                    .split(',')
                    .map(str::to_string)
                    .collect();
                assert!(split_csv(&text, b',', &mut fields));
                assert_eq!(fields.to_strings(), expected, "{len} {every}");
                for at in 0..len {
                    let mut quoted = text.clone();
                    quoted[at] = b'"';
                    assert!(!split_unquoted(&quoted, b',', &mut fields), "{len} {at}");
                }
            }
        }
        assert!(split_csv(b"a,\xff\xfe,b;c", b',', &mut fields));
        assert_eq!(fields.to_strings(), ["a", "\u{fffd}\u{fffd}", "b;c"]);
        assert!(split_csv(b"1;2;;3", b';', &mut fields));
        assert_eq!(fields.to_strings(), ["1", "2", "", "3"]);
    }

    #[test]
    fn kept_fields_still_count_every_field() {
        let text = b"1,22,333,4444,55555,666666,7777777,88888888,999999999,0";
        for needed in 0..12 {
            let mut fields = Fields {
                needed,
                ..Fields::default()
            };
            assert!(split_csv(text, b',', &mut fields));
            assert_eq!(fields.len(), 10, "{needed}");
            for i in 0..needed.min(10) {
                let expected = if i == 9 { 1 } else { i + 1 };
                assert_eq!(fields.get(i).unwrap().len(), expected, "{needed} {i}");
            }
            assert_eq!(fields.get(needed.min(10)), None, "{needed}");
            // A quoted record keeps every field.
            assert!(split_csv(b"\"a,b\",c,d", b',', &mut fields));
            assert_eq!(fields.len(), 3);
            assert_eq!(fields.get(0), Some("a,b"));
        }
    }

    #[test]
    fn lines_are_bounded() {
        let long = vec![b'x'; MAX_LINE + 10];
        let mut lines = Lines::new(&long[..]);
        let error = lines.next_line().expect_err("refused");
        assert!(error.to_string().contains("longer than"), "{error}");
    }

    #[test]
    fn segments() {
        assert_eq!(segment("my scenario/1"), "my_scenario_1");
        assert_eq!(segment(""), "default");
    }

    #[test]
    fn names_are_capped() {
        let mut aggregator = Aggregator::new("test", "test");
        for i in 0..MAX_NAMES {
            aggregator.slot("s", Some(&i.to_string()), 1).unwrap();
        }
        let error = aggregator.slot("s", Some("one more"), 7).unwrap_err();
        assert!(matches!(
            error,
            ParseError::Malformed {
                at: crate::error::Position::LineColumn { line: 7, .. },
                ..
            }
        ));
    }
}
