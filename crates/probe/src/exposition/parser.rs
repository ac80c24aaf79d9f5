//! The line reader and the two dialects' grammar and semantic checks behind
//! [`super::parse`].
//!
//! Grammar (OpenMetrics 1.0; the text format 0.0.4 differences in brackets):
//!
//! ```text
//! exposition = *(metadata / sample) "# EOF" [LF]          [no EOF; blank lines and
//!                                                          other "#" comments ignored]
//! metadata   = "# HELP " name SP text LF / "# TYPE " name SP type LF / "# UNIT " name SP unit LF
//! sample     = name [labels] SP number [SP timestamp] [" # " labels SP number [SP timestamp]] LF
//!                                                          [runs of blanks/tabs between tokens,
//!                                                           no exemplars, integer ms timestamp]
//! labels     = "{" [label *("," label)] "}"               [a trailing comma is allowed]
//! label      = label-name "=" DQUOTE *(escaped / char) DQUOTE      escaped = "\\" / "\"" / "\n"
//! number     = realnumber / "+Inf" / "-Inf" / "NaN"       [Go ParseFloat spellings]
//! ```

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::BufRead;

use xxhash_rust::xxh3::xxh3_128;

use super::{
    FamilyMeta, Format, LabelSpan, Labels, MetricType, ParseError, ParseErrorKind, ParseSummary,
    Sample, StructureProblem, StructureProblemKind, Visitor,
};

/// Lines longer than this are an error (a streaming parser still has to hold one line).
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// Parses `reader` in `format`, handing every family and sample to `visitor`.
pub fn parse<R: BufRead, V: Visitor>(
    reader: R,
    format: Format,
    visitor: &mut V,
) -> Result<ParseSummary, ParseError> {
    parse_with_limit(reader, format, visitor, DEFAULT_MAX_LINE_BYTES)
}

/// [`parse`] with an explicit line length limit.
pub fn parse_with_limit<R: BufRead, V: Visitor>(
    mut reader: R,
    format: Format,
    visitor: &mut V,
    max_line_bytes: usize,
) -> Result<ParseSummary, ParseError> {
    let mut parser = Parser::new(format);
    let mut buffer: Vec<u8> = Vec::with_capacity(256);
    loop {
        buffer.clear();
        let line_number = parser.summary.lines + 1;
        let (n_read, terminated) =
            read_line(&mut reader, &mut buffer, max_line_bytes).map_err(|kind| ParseError {
                line: line_number,
                column: None,
                kind,
                text: String::new(),
            })?;
        if n_read == 0 {
            break;
        }
        parser.summary.lines = line_number;
        parser.summary.bytes += n_read as u64;
        let content = if terminated {
            &buffer[..buffer.len() - 1]
        } else {
            &buffer[..]
        };
        let line = std::str::from_utf8(content).map_err(|error| ParseError {
            line: line_number,
            column: Some(error.valid_up_to() + 1),
            kind: ParseErrorKind::InvalidUtf8,
            text: excerpt(&String::from_utf8_lossy(content)),
        })?;
        if parser.eof_seen {
            return Err(parser.error_at(line, None, ParseErrorKind::AfterEof));
        }
        parser
            .line(line, terminated, visitor)
            .map_err(|(column, kind)| parser.error_at(line, column, kind))?;
    }
    parser.finish(visitor)?;
    Ok(parser.summary)
}

/// Reads one line including its `\n` into `buffer`; returns the bytes read and whether the
/// line ended with `\n`.
fn read_line<R: BufRead>(
    reader: &mut R,
    buffer: &mut Vec<u8>,
    max_line_bytes: usize,
) -> Result<(usize, bool), ParseErrorKind> {
    let mut n_read = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(ParseErrorKind::Io(error)),
        };
        if available.is_empty() {
            return Ok((n_read, false));
        }
        let (taken, done) = match memchr(b'\n', available) {
            Some(index) => (index + 1, true),
            None => (available.len(), false),
        };
        if buffer.len() + taken > max_line_bytes + 1 {
            return Err(ParseErrorKind::LineTooLong(max_line_bytes));
        }
        buffer.extend_from_slice(&available[..taken]);
        reader.consume(taken);
        n_read += taken;
        if done {
            return Ok((n_read, true));
        }
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    memchr::memchr(needle, haystack)
}

/// Equality of short strings without a `memcmp` call (a quarter of the parse time before).
fn short_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

fn excerpt(line: &str) -> String {
    const MAX: usize = 200;
    if line.len() <= MAX {
        return line.to_string();
    }
    let mut end = MAX;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &line[..end])
}

type Failure = (Option<usize>, ParseErrorKind);

fn syntax(column: usize, message: impl Into<String>) -> Failure {
    (Some(column + 1), ParseErrorKind::Syntax(message.into()))
}

/// Keys are already 128-bit hashes: use their low bits as the hash.
#[derive(Default)]
struct PrehashedHasher(u64);

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }
    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }
}

type PrehashedMap<V> = HashMap<u128, V, BuildHasherDefault<PrehashedHasher>>;
type PrehashedSet = HashSet<u128, BuildHasherDefault<PrehashedHasher>>;

/// What a family's sample name suffix says the sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Plain,
    Total,
    Created,
    Bucket,
    Count,
    Sum,
    GaugeCount,
    GaugeSum,
    Info,
}

fn roles(format: Format, metric_type: MetricType) -> &'static [(&'static str, Role)] {
    use Role::*;
    match (format, metric_type) {
        (Format::OpenMetrics, MetricType::Counter) => &[("_total", Total), ("_created", Created)],
        (Format::OpenMetrics, MetricType::Histogram) => &[
            ("_bucket", Bucket),
            ("_count", Count),
            ("_sum", Sum),
            ("_created", Created),
        ],
        (Format::OpenMetrics, MetricType::GaugeHistogram) => &[
            ("_bucket", Bucket),
            ("_gcount", GaugeCount),
            ("_gsum", GaugeSum),
        ],
        (Format::OpenMetrics, MetricType::Summary) => &[
            ("", Plain),
            ("_count", Count),
            ("_sum", Sum),
            ("_created", Created),
        ],
        (Format::OpenMetrics, MetricType::Info) => &[("_info", Info)],
        (Format::PrometheusText, MetricType::Histogram) => {
            &[("_bucket", Bucket), ("_count", Count), ("_sum", Sum)]
        }
        (Format::PrometheusText, MetricType::Summary) => {
            &[("", Plain), ("_count", Count), ("_sum", Sum)]
        }
        _ => &[("", Plain)],
    }
}

#[derive(Debug, Clone, Copy)]
struct SeriesState {
    line: u64,
    timestamp: Option<f64>,
}

/// Running checks over one label group of a histogram (buckets, count, sum).
#[derive(Debug, Default)]
struct GroupState {
    n_samples: u64,
    last_le: Option<f64>,
    last_bucket_value: Option<f64>,
    infinity_bucket: Option<f64>,
    negative_bucket: bool,
    past_buckets: bool,
    count: Option<f64>,
    sum: Option<f64>,
    first_line: u64,
}

struct FamilyState {
    meta: FamilyMeta,
    n_samples: u64,
    help_seen: bool,
    type_seen: bool,
    unit_seen: bool,
    current_group: Option<u128>,
    group: GroupState,
}

struct Parser {
    format: Format,
    summary: ParseSummary,
    eof_seen: bool,
    family_names: HashSet<String>,
    produced_names: HashSet<String>,
    current: Option<FamilyState>,
    labels: Labels,
    label_hashes: Vec<u128>,
    exemplar_labels: Labels,
    /// The current family's series (by 128-bit hash) and finished label groups.
    series: PrehashedMap<SeriesState>,
    closed_groups: PrehashedSet,
}

impl Parser {
    fn new(format: Format) -> Parser {
        Parser {
            format,
            summary: ParseSummary::default(),
            eof_seen: false,
            family_names: HashSet::new(),
            produced_names: HashSet::new(),
            current: None,
            labels: Labels::default(),
            label_hashes: Vec::new(),
            exemplar_labels: Labels::default(),
            series: PrehashedMap::default(),
            closed_groups: PrehashedSet::default(),
        }
    }

    fn error_at(&self, line: &str, column: Option<usize>, kind: ParseErrorKind) -> ParseError {
        ParseError {
            line: self.summary.lines,
            column,
            kind,
            text: excerpt(line),
        }
    }

    fn om(&self) -> bool {
        self.format == Format::OpenMetrics
    }

    fn line<V: Visitor>(
        &mut self,
        line: &str,
        terminated: bool,
        visitor: &mut V,
    ) -> Result<(), Failure> {
        if self.om() {
            if line.is_empty() {
                return Err((None, ParseErrorKind::BlankLine));
            }
            if line.starts_with('#') {
                if line == "# EOF" {
                    self.eof_seen = true;
                    return Ok(());
                }
                if !terminated {
                    return Err((None, ParseErrorKind::MissingEof));
                }
                return self.metadata_line(line, visitor);
            }
            if !terminated {
                return Err((None, ParseErrorKind::MissingEof));
            }
            self.sample_line(line, visitor)
        } else {
            let trimmed = line.trim_start_matches([' ', '\t']);
            if trimmed.trim_end_matches([' ', '\t', '\r']).is_empty() {
                return Ok(());
            }
            if trimmed.starts_with('#') {
                return self.metadata_line(line, visitor);
            }
            self.sample_line(line, visitor)
        }
    }

    // ---- metadata -------------------------------------------------------------------------

    fn metadata_line<V: Visitor>(&mut self, line: &str, visitor: &mut V) -> Result<(), Failure> {
        if self.om() {
            let rest = line.strip_prefix("# ").ok_or_else(|| {
                syntax(
                    0,
                    "a comment line must be `# HELP`, `# TYPE`, `# UNIT` or `# EOF`",
                )
            })?;
            let (keyword, rest) = rest.split_once(' ').ok_or_else(|| {
                syntax(
                    2,
                    "a metadata line needs a keyword, a metric name and a value",
                )
            })?;
            let (name, value) = rest.split_once(' ').ok_or_else(|| {
                syntax(
                    line.len(),
                    "a metadata line needs a metric name and a value",
                )
            })?;
            let name_column = 3 + keyword.len();
            match keyword {
                "HELP" | "TYPE" | "UNIT" => {}
                _ => {
                    return Err(syntax(
                        2,
                        format!("unknown metadata keyword {keyword:?} (HELP, TYPE, UNIT, EOF)"),
                    ));
                }
            }
            if !is_metric_name(name) {
                return Err((Some(name_column + 1), ParseErrorKind::InvalidMetricName));
            }
            self.metadata(keyword, name, value, visitor)
        } else {
            // Text format: `#` comments are free text unless HELP or TYPE follows.
            let rest = line.trim_start_matches([' ', '\t']);
            let rest = rest[1..].trim_start_matches([' ', '\t']);
            let mut tokens = rest.splitn(2, [' ', '\t']);
            let keyword = tokens.next().unwrap_or("");
            if keyword != "HELP" && keyword != "TYPE" {
                return Ok(());
            }
            let rest = tokens.next().unwrap_or("").trim_start_matches([' ', '\t']);
            let (name, value) = match rest.find([' ', '\t']) {
                Some(index) => (&rest[..index], &rest[index + 1..]),
                None => (rest, ""),
            };
            if !is_metric_name(name) {
                return Err((None, ParseErrorKind::InvalidMetricName));
            }
            let value = if keyword == "TYPE" {
                value.trim_matches([' ', '\t', '\r'])
            } else {
                value
            };
            self.metadata(keyword, name, value, visitor)
        }
    }

    fn metadata<V: Visitor>(
        &mut self,
        keyword: &str,
        name: &str,
        value: &str,
        visitor: &mut V,
    ) -> Result<(), Failure> {
        let same_family = self
            .current
            .as_ref()
            .is_some_and(|family| family.meta.name == name);
        if !same_family {
            self.start_family(name, visitor)?;
        }
        let om = self.om();
        let format = self.format;
        let family = self.current.as_mut().expect("a family was just started");
        match keyword {
            "HELP" => {
                if family.help_seen {
                    return Err(meta_error(format!("second HELP line for {name}")));
                }
                if om && family.n_samples > 0 {
                    return Err(meta_error(format!("HELP for {name} after its samples")));
                }
                family.help_seen = true;
                family.meta.help = Some(unescape_help(value));
            }
            "TYPE" => {
                if family.type_seen {
                    return Err(meta_error(format!("second TYPE line for {name}")));
                }
                if family.n_samples > 0 {
                    return Err(meta_error(format!("TYPE for {name} after its samples")));
                }
                let metric_type = parse_type(format, value).ok_or_else(|| {
                    meta_error(format!("unknown metric type {value:?} for {name}"))
                })?;
                family.type_seen = true;
                family.meta.metric_type = metric_type;
                family.meta.type_declared = true;
                if om {
                    if family.meta.unit.as_deref().is_some_and(|u| !u.is_empty())
                        && matches!(metric_type, MetricType::Info | MetricType::StateSet)
                    {
                        return Err(meta_error(format!(
                            "an {metric_type} family cannot have a unit"
                        )));
                    }
                    for (suffix, _) in roles(format, metric_type) {
                        if suffix.is_empty() {
                            continue;
                        }
                        let produced = format!("{name}{suffix}");
                        if self.family_names.contains(&produced) {
                            return Err((
                                None,
                                ParseErrorKind::Family(format!(
                                    "{metric_type} {name} clashes with the family {produced}"
                                )),
                            ));
                        }
                        self.produced_names.insert(produced);
                    }
                }
            }
            "UNIT" => {
                if family.unit_seen {
                    return Err(meta_error(format!("second UNIT line for {name}")));
                }
                if family.n_samples > 0 {
                    return Err(meta_error(format!("UNIT for {name} after its samples")));
                }
                if value.contains([' ', '\t']) {
                    return Err(meta_error(format!("invalid unit {value:?}")));
                }
                if !value.is_empty() {
                    if !name.ends_with(&format!("_{value}")) {
                        return Err(meta_error(format!(
                            "the family name {name} must end with its unit `_{value}`"
                        )));
                    }
                    if matches!(
                        family.meta.metric_type,
                        MetricType::Info | MetricType::StateSet
                    ) {
                        return Err(meta_error(format!(
                            "an {} family cannot have a unit",
                            family.meta.metric_type
                        )));
                    }
                }
                family.unit_seen = true;
                family.meta.unit = Some(value.to_string());
            }
            _ => unreachable!("keywords are checked by the caller"),
        }
        Ok(())
    }

    fn start_family<V: Visitor>(&mut self, name: &str, visitor: &mut V) -> Result<(), Failure> {
        self.end_family(visitor)?;
        let seen_before = self.family_names.contains(name) || self.produced_names.contains(name);
        if seen_before {
            if self.om() {
                return Err((
                    None,
                    ParseErrorKind::Family(format!(
                        "the family {name} was already declared or its samples are not grouped together"
                    )),
                ));
            }
            visitor.problem(StructureProblem {
                line: self.summary.lines,
                kind: StructureProblemKind::FamilySplit,
                family: name.to_string(),
                message: format!("{name} appears again after other families"),
            });
        } else {
            self.family_names.insert(name.to_string());
        }
        self.summary.families += 1;
        self.current = Some(FamilyState {
            meta: FamilyMeta {
                name: name.to_string(),
                metric_type: MetricType::Unknown,
                type_declared: false,
                help: None,
                unit: None,
                line: self.summary.lines,
            },
            n_samples: 0,
            help_seen: false,
            type_seen: false,
            unit_seen: false,
            current_group: None,
            group: GroupState::default(),
        });
        Ok(())
    }

    fn end_family<V: Visitor>(&mut self, visitor: &mut V) -> Result<(), Failure> {
        if let Some(family) = self.current.take() {
            if self.om() {
                check_group_end(&family.meta, &family.group)?;
            }
            // Keep the capacity for the next family; memory stays at the largest family.
            self.series.clear();
            self.closed_groups.clear();
            visitor.family_end(&family.meta, family.n_samples);
        }
        Ok(())
    }

    fn finish<V: Visitor>(&mut self, visitor: &mut V) -> Result<(), ParseError> {
        if self.om() && !self.eof_seen {
            return Err(ParseError {
                line: self.summary.lines + 1,
                column: None,
                kind: ParseErrorKind::MissingEof,
                text: String::new(),
            });
        }
        self.end_family(visitor)
            .map_err(|(column, kind)| ParseError {
                line: self.summary.lines,
                column,
                kind,
                text: String::new(),
            })
    }

    // ---- samples --------------------------------------------------------------------------

    fn sample_line<V: Visitor>(&mut self, line: &str, visitor: &mut V) -> Result<(), Failure> {
        let om = self.om();
        let bytes = line.as_bytes();
        let mut position = 0;
        if !om {
            position = skip_blanks(bytes, position);
        }
        let name_start = position;
        position = scan_metric_name(bytes, position);
        if position == name_start {
            return Err((Some(name_start + 1), ParseErrorKind::InvalidMetricName));
        }
        let name = &line[name_start..position];
        if !om && bytes.get(skip_blanks(bytes, position)) == Some(&b'{') {
            position = skip_blanks(bytes, position);
        }
        self.labels.clear();
        self.label_hashes.clear();
        if bytes.get(position) == Some(&b'{') {
            position = parse_labels(line, position, om, &mut self.labels)?;
            for index in 0..self.labels.len() {
                self.label_hashes
                    .push(xxh3_128(self.labels.pair_bytes(index)));
            }
        }
        // Value.
        let value_start = if om {
            if bytes.get(position) != Some(&b' ') {
                return Err(syntax(position, "expected a single space before the value"));
            }
            position + 1
        } else {
            let after = skip_blanks(bytes, position);
            if after == position {
                return Err(syntax(position, "expected a blank before the value"));
            }
            after
        };
        let value_end = find_token_end(bytes, value_start);
        let value_text = &line[value_start..value_end];
        let value = parse_number(self.format, value_text).ok_or_else(|| {
            (
                Some(value_start + 1),
                ParseErrorKind::InvalidValue(value_text.into()),
            )
        })?;
        position = value_end;
        // Timestamp and exemplar.
        let mut timestamp = None;
        let mut has_exemplar = false;
        if om {
            if position < bytes.len() {
                if line[position..].starts_with(" # ") {
                    position = self.parse_exemplar(line, position + 3)?;
                    has_exemplar = true;
                } else if bytes[position] == b' ' {
                    let start = position + 1;
                    let end = find_token_end(bytes, start);
                    let text = &line[start..end];
                    timestamp = Some(parse_om_timestamp(text).ok_or_else(|| {
                        (
                            Some(start + 1),
                            ParseErrorKind::InvalidTimestamp(text.into()),
                        )
                    })?);
                    position = end;
                    if position < bytes.len() {
                        if line[position..].starts_with(" # ") {
                            position = self.parse_exemplar(line, position + 3)?;
                            has_exemplar = true;
                        } else {
                            return Err(syntax(position, "unexpected text after the timestamp"));
                        }
                    }
                } else {
                    return Err(syntax(position, "unexpected text after the value"));
                }
            }
            if position != bytes.len() {
                return Err(syntax(position, "unexpected text at the end of the line"));
            }
        } else {
            let start = skip_blanks(bytes, position);
            if start < bytes.len() && bytes[start] != b'\r' {
                let end = find_token_end(bytes, start);
                let text = &line[start..end];
                timestamp = Some(parse_text_timestamp(text).ok_or_else(|| {
                    (
                        Some(start + 1),
                        ParseErrorKind::InvalidTimestamp(text.into()),
                    )
                })?);
                let rest = skip_blanks(bytes, end);
                if rest < bytes.len() && &line[rest..] != "\r" {
                    return Err(syntax(rest, "unexpected text after the timestamp"));
                }
            }
        }
        self.accept_sample(name, value, timestamp, has_exemplar, visitor)
    }

    fn parse_exemplar(&mut self, line: &str, start: usize) -> Result<usize, Failure> {
        let bytes = line.as_bytes();
        if bytes.get(start) != Some(&b'{') {
            return Err((
                Some(start + 1),
                ParseErrorKind::Exemplar("expected `{` after ` # `".into()),
            ));
        }
        let mut exemplar_labels = std::mem::take(&mut self.exemplar_labels);
        exemplar_labels.clear();
        let result = parse_labels(line, start, true, &mut exemplar_labels);
        let length: usize = exemplar_labels
            .iter()
            .map(|(n, v)| n.chars().count() + v.chars().count())
            .sum();
        self.exemplar_labels = exemplar_labels;
        let mut position = result?;
        if length > 128 {
            return Err((
                Some(start + 1),
                ParseErrorKind::Exemplar(format!(
                    "its labels have {length} characters, more than 128"
                )),
            ));
        }
        if bytes.get(position) != Some(&b' ') {
            return Err((
                Some(position + 1),
                ParseErrorKind::Exemplar("expected a single space before its value".into()),
            ));
        }
        let value_start = position + 1;
        let value_end = find_token_end(bytes, value_start);
        let value_text = &line[value_start..value_end];
        if parse_number(Format::OpenMetrics, value_text).is_none() {
            return Err((
                Some(value_start + 1),
                ParseErrorKind::Exemplar(format!("invalid value {value_text:?}")),
            ));
        }
        position = value_end;
        if position < bytes.len() {
            if bytes[position] != b' ' {
                return Err(syntax(position, "unexpected text in the exemplar"));
            }
            let start = position + 1;
            let end = find_token_end(bytes, start);
            let text = &line[start..end];
            if parse_om_timestamp(text).is_none() {
                return Err((
                    Some(start + 1),
                    ParseErrorKind::Exemplar(format!("invalid timestamp {text:?}")),
                ));
            }
            position = end;
        }
        Ok(position)
    }

    fn accept_sample<V: Visitor>(
        &mut self,
        name: &str,
        value: f64,
        timestamp: Option<f64>,
        has_exemplar: bool,
        visitor: &mut V,
    ) -> Result<(), Failure> {
        let format = self.format;
        let om = self.om();
        // Which family does the sample belong to?
        let role = self.current.as_ref().and_then(|family| {
            let suffix = name.strip_prefix(family.meta.name.as_str())?;
            roles(format, family.meta.metric_type)
                .iter()
                .find(|(s, _)| short_eq(s, suffix))
                .map(|(_, role)| *role)
        });
        let role = match role {
            Some(role) => role,
            None => {
                self.start_family(name, visitor)?;
                Role::Plain
            }
        };
        let labels = &self.labels;
        let family = self.current.as_mut().expect("the sample's family exists");
        let metric_type = family.meta.metric_type;

        // Series identity and the group (the series without le/quantile/state label).
        let name_hash = xxh3_128(name.as_bytes());
        let family_hash = xxh3_128(family.meta.name.as_bytes());
        let mut series_key = name_hash;
        let mut group_key = family_hash;
        for (index, (label_name, _)) in labels.iter().enumerate() {
            let hash = self.label_hashes[index];
            series_key = series_key.wrapping_add(hash);
            let group_label = match metric_type {
                MetricType::Histogram | MetricType::GaugeHistogram => label_name == "le",
                MetricType::Summary => label_name == "quantile",
                MetricType::StateSet => label_name == family.meta.name,
                _ => false,
            };
            if !group_label {
                group_key = group_key.wrapping_add(hash);
            }
        }

        if om {
            check_om_value(&family.meta, role, labels, value, has_exemplar)?;
            // Groups must be contiguous.
            if family.current_group != Some(group_key) {
                if let Some(previous) = family.current_group {
                    check_group_end(&family.meta, &family.group)?;
                    if self.closed_groups.len() < super::MAX_TRACKED_SERIES {
                        self.closed_groups.insert(previous);
                    }
                }
                if self.closed_groups.contains(&group_key) {
                    return Err((
                        None,
                        ParseErrorKind::Family(format!(
                            "the samples of one {} of {} are not grouped together",
                            if labels.is_empty() {
                                "metric"
                            } else {
                                "label set"
                            },
                            family.meta.name
                        )),
                    ));
                }
                family.current_group = Some(group_key);
                family.group = GroupState {
                    first_line: self.summary.lines,
                    ..GroupState::default()
                };
            }
            if matches!(
                metric_type,
                MetricType::Histogram | MetricType::GaugeHistogram
            ) {
                track_histogram(&mut family.group, role, labels, value)?;
            }
            family.group.n_samples += 1;
        }

        // Duplicates and timestamp order, for the first MAX_TRACKED_SERIES of the family.
        let tracked =
            self.series.contains_key(&series_key) || self.series.len() < super::MAX_TRACKED_SERIES;
        if !tracked {
            self.summary.untracked_samples += 1;
        }
        match self.series.get_mut(&series_key).filter(|_| tracked) {
            Some(previous) => {
                let ordered = match (previous.timestamp, timestamp) {
                    (Some(before), Some(now)) if om => {
                        if now < before {
                            return Err((
                                None,
                                ParseErrorKind::Semantics(format!(
                                    "timestamp {now} of {name} goes backwards (was {before} on line {})",
                                    previous.line
                                )),
                            ));
                        }
                        true
                    }
                    (Some(_), None) | (None, Some(_)) if om => {
                        return Err((
                            None,
                            ParseErrorKind::Semantics(format!(
                                "{name} has samples both with and without a timestamp"
                            )),
                        ));
                    }
                    _ => false,
                };
                if !ordered {
                    visitor.problem(StructureProblem {
                        line: self.summary.lines,
                        kind: StructureProblemKind::DuplicateSeries,
                        family: family.meta.name.clone(),
                        message: format!(
                            "{name}{} repeats the series of line {}",
                            render_labels(labels),
                            previous.line
                        ),
                    });
                }
                previous.timestamp = timestamp;
                previous.line = self.summary.lines;
            }
            None if !tracked => {}
            None => {
                self.series.insert(
                    series_key,
                    SeriesState {
                        line: self.summary.lines,
                        timestamp,
                    },
                );
            }
        }

        family.n_samples += 1;
        self.summary.samples += 1;
        let sample = Sample {
            name,
            labels,
            value,
            timestamp,
            has_exemplar,
            line: self.summary.lines,
        };
        visitor.sample(&family.meta, &sample);
        Ok(())
    }
}

fn meta_error(message: String) -> Failure {
    (None, ParseErrorKind::Metadata(message))
}

fn semantic(message: String) -> Failure {
    (None, ParseErrorKind::Semantics(message))
}

/// `{a="1",b="2"}` for messages.
pub(crate) fn render_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = labels
        .iter()
        .map(|(name, value)| format!("{name}={value:?}"))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn parse_type(format: Format, text: &str) -> Option<MetricType> {
    Some(match (format, text) {
        (_, "counter") => MetricType::Counter,
        (_, "gauge") => MetricType::Gauge,
        (_, "histogram") => MetricType::Histogram,
        (_, "summary") => MetricType::Summary,
        (Format::OpenMetrics, "gaugehistogram") => MetricType::GaugeHistogram,
        (Format::OpenMetrics, "info") => MetricType::Info,
        (Format::OpenMetrics, "stateset") => MetricType::StateSet,
        (Format::OpenMetrics, "unknown") => MetricType::Unknown,
        (Format::PrometheusText, "untyped") => MetricType::Unknown,
        _ => return None,
    })
}

/// Per-sample value rules of OpenMetrics.
fn check_om_value(
    meta: &FamilyMeta,
    role: Role,
    labels: &Labels,
    value: f64,
    has_exemplar: bool,
) -> Result<(), Failure> {
    let family = &meta.name;
    let exemplar_allowed = matches!(
        (meta.metric_type, role),
        (MetricType::Counter, Role::Total)
            | (MetricType::Histogram, Role::Bucket)
            | (MetricType::GaugeHistogram, Role::Bucket)
    );
    if has_exemplar && !exemplar_allowed {
        return Err((
            None,
            ParseErrorKind::Exemplar(format!(
                "exemplars are only allowed on counter totals and histogram buckets, not on this sample of {} {family}",
                meta.metric_type
            )),
        ));
    }
    let non_negative = |what: &str| -> Result<(), Failure> {
        if value.is_nan() || value < 0.0 {
            Err(semantic(format!(
                "{what} of {family} must be a number >= 0, not {value}"
            )))
        } else {
            Ok(())
        }
    };
    match (meta.metric_type, role) {
        (MetricType::Counter, Role::Total) => non_negative("the counter total")?,
        (MetricType::Histogram | MetricType::GaugeHistogram, Role::Bucket) => {
            non_negative("a bucket count")?
        }
        (MetricType::Histogram | MetricType::Summary, Role::Count) => non_negative("_count")?,
        (MetricType::GaugeHistogram, Role::GaugeCount) => non_negative("_gcount")?,
        (MetricType::Histogram | MetricType::Summary, Role::Sum) => non_negative("_sum")?,
        (MetricType::GaugeHistogram, Role::GaugeSum) if value.is_nan() => {
            return Err(semantic(format!("_gsum of {family} is NaN")));
        }
        (MetricType::Summary, Role::Plain) => {
            let quantile = labels.get("quantile").ok_or_else(|| {
                semantic(format!(
                    "a quantile of summary {family} needs a `quantile` label"
                ))
            })?;
            match parse_number(Format::OpenMetrics, quantile) {
                Some(q) if (0.0..=1.0).contains(&q) => {}
                _ => {
                    return Err(semantic(format!(
                        "quantile {quantile:?} of {family} is not a number in [0, 1]"
                    )));
                }
            }
            if value < 0.0 {
                return Err(semantic(format!(
                    "quantile value {value} of {family} is negative"
                )));
            }
        }
        (MetricType::Info, Role::Info) if value != 1.0 => {
            return Err(semantic(format!(
                "info {family} must have the value 1, not {value}"
            )));
        }
        (MetricType::StateSet, Role::Plain) => {
            if labels.get(family).is_none() {
                return Err(semantic(format!(
                    "a stateset sample of {family} needs a `{family}` label"
                )));
            }
            if value != 0.0 && value != 1.0 {
                return Err(semantic(format!(
                    "stateset {family} values must be 0 or 1, not {value}"
                )));
            }
        }
        _ => {}
    }
    Ok(())
}

fn track_histogram(
    group: &mut GroupState,
    role: Role,
    labels: &Labels,
    value: f64,
) -> Result<(), Failure> {
    match role {
        Role::Bucket => {
            if group.past_buckets {
                return Err(semantic(
                    "a histogram bucket after the _count/_sum of its label set".into(),
                ));
            }
            let le_text = labels
                .get("le")
                .ok_or_else(|| semantic("a histogram bucket needs an `le` label".into()))?;
            let le = parse_number(Format::OpenMetrics, le_text)
                .filter(|le| !le.is_nan())
                .ok_or_else(|| semantic(format!("invalid bucket bound le={le_text:?}")))?;
            if let Some(previous) = group.last_le {
                if le <= previous {
                    return Err(semantic(format!(
                        "bucket le={le_text} is not above the previous bucket's bound {previous}"
                    )));
                }
            }
            if let Some(previous) = group.last_bucket_value {
                if value < previous {
                    return Err(semantic(format!(
                        "bucket le={le_text} counts {value}, less than the previous bucket's {previous}: buckets are cumulative"
                    )));
                }
            }
            if le < 0.0 {
                group.negative_bucket = true;
            }
            if le == f64::INFINITY {
                group.infinity_bucket = Some(value);
            }
            group.last_le = Some(le);
            group.last_bucket_value = Some(value);
        }
        Role::Count | Role::GaugeCount => {
            group.past_buckets = true;
            group.count = Some(value);
        }
        Role::Sum | Role::GaugeSum => {
            group.past_buckets = true;
            group.sum = Some(value);
        }
        _ => group.past_buckets = true,
    }
    Ok(())
}

/// Checks that need a whole histogram label group.
fn check_group_end(meta: &FamilyMeta, group: &GroupState) -> Result<(), Failure> {
    let histogram = match meta.metric_type {
        MetricType::Histogram => true,
        MetricType::GaugeHistogram => false,
        _ => return Ok(()),
    };
    if group.n_samples == 0 {
        return Ok(());
    }
    let family = &meta.name;
    let (count_name, sum_name) = if histogram {
        ("_count", "_sum")
    } else {
        ("_gcount", "_gsum")
    };
    let at = |message: String| {
        (
            None,
            ParseErrorKind::Semantics(format!(
                "{message} (label set starting line {})",
                group.first_line
            )),
        )
    };
    let Some(infinity) = group.infinity_bucket else {
        return Err(at(format!("histogram {family} has no le=\"+Inf\" bucket")));
    };
    if group.count.is_some() != group.sum.is_some() {
        return Err(at(format!(
            "histogram {family} must have both {count_name} and {sum_name} or neither"
        )));
    }
    if let Some(count) = group.count {
        if count != infinity {
            return Err(at(format!(
                "histogram {family}: {count_name} {count} differs from the +Inf bucket {infinity}"
            )));
        }
    }
    if let Some(sum) = group.sum {
        if histogram && group.negative_bucket {
            return Err(at(format!(
                "histogram {family} has negative buckets, so it cannot have {sum_name}"
            )));
        }
        if sum < 0.0 && !group.negative_bucket {
            return Err(at(format!(
                "{sum_name} of {family} is negative without negative buckets"
            )));
        }
    }
    Ok(())
}

// ---- lexical helpers ----------------------------------------------------------------------

fn skip_blanks(bytes: &[u8], mut position: usize) -> usize {
    while position < bytes.len() && (bytes[position] == b' ' || bytes[position] == b'\t') {
        position += 1;
    }
    position
}

fn find_token_end(bytes: &[u8], start: usize) -> usize {
    let mut position = start;
    while position < bytes.len() && bytes[position] != b' ' && bytes[position] != b'\t' {
        position += 1;
    }
    position
}

fn scan_metric_name(bytes: &[u8], start: usize) -> usize {
    let mut position = start;
    if position < bytes.len()
        && (bytes[position].is_ascii_alphabetic()
            || bytes[position] == b'_'
            || bytes[position] == b':')
    {
        position += 1;
        while position < bytes.len()
            && (bytes[position].is_ascii_alphanumeric()
                || bytes[position] == b'_'
                || bytes[position] == b':')
        {
            position += 1;
        }
    }
    position
}

fn scan_label_name(bytes: &[u8], start: usize) -> usize {
    let mut position = start;
    if position < bytes.len() && (bytes[position].is_ascii_alphabetic() || bytes[position] == b'_')
    {
        position += 1;
        while position < bytes.len()
            && (bytes[position].is_ascii_alphanumeric() || bytes[position] == b'_')
        {
            position += 1;
        }
    }
    position
}

pub(crate) fn is_metric_name(text: &str) -> bool {
    !text.is_empty() && scan_metric_name(text.as_bytes(), 0) == text.len()
}

/// Parses `{...}` starting at `start` (the `{`) into `labels`; returns the position after `}`.
fn parse_labels(line: &str, start: usize, om: bool, labels: &mut Labels) -> Result<usize, Failure> {
    let bytes = line.as_bytes();
    let mut position = start + 1;
    let blanks = |position: usize| {
        if om {
            position
        } else {
            skip_blanks(bytes, position)
        }
    };
    position = blanks(position);
    if bytes.get(position) == Some(&b'}') {
        return Ok(position + 1);
    }
    loop {
        let name_start = position;
        position = scan_label_name(bytes, position);
        if position == name_start {
            return Err((Some(name_start + 1), ParseErrorKind::InvalidLabelName));
        }
        let name = &line[name_start..position];
        if labels.iter().any(|(existing, _)| existing == name) {
            return Err((
                Some(name_start + 1),
                ParseErrorKind::DuplicateLabel(name.into()),
            ));
        }
        position = blanks(position);
        if bytes.get(position) != Some(&b'=') {
            return Err(syntax(
                position,
                format!("expected `=` after the label name {name}"),
            ));
        }
        position = blanks(position + 1);
        if bytes.get(position) != Some(&b'"') {
            return Err(syntax(
                position,
                format!("expected `\"` to open the value of {name}"),
            ));
        }
        position += 1;
        let name_offset = labels.text.len();
        labels.text.push_str(name);
        labels.text.push('=');
        // Value, unescaped.
        let mut chunk_start = position;
        loop {
            match bytes.get(position) {
                None => {
                    return Err(syntax(
                        position,
                        format!("the value of label {name} is not closed"),
                    ));
                }
                Some(b'"') => {
                    labels.text.push_str(&line[chunk_start..position]);
                    position += 1;
                    break;
                }
                Some(b'\\') => {
                    labels.text.push_str(&line[chunk_start..position]);
                    match bytes.get(position + 1) {
                        Some(b'\\') => labels.text.push('\\'),
                        Some(b'"') => labels.text.push('"'),
                        Some(b'n') => labels.text.push('\n'),
                        Some(_) if om => {
                            // OpenMetrics parsers keep unknown escapes as written.
                            labels.text.push('\\');
                            position += 1;
                            chunk_start = position;
                            continue;
                        }
                        _ => {
                            return Err(syntax(
                                position,
                                "invalid escape in a label value (only \\\\, \\\" and \\n)",
                            ));
                        }
                    }
                    position += 2;
                    chunk_start = position;
                }
                Some(_) => {
                    position = match memchr::memchr2(b'"', b'\\', &bytes[position..]) {
                        Some(offset) => position + offset,
                        None => bytes.len(),
                    };
                }
            }
        }
        labels.spans.push(LabelSpan {
            name_start: name_offset as u32,
            name_end: (name_offset + name.len()) as u32,
            value_end: labels.text.len() as u32,
        });
        position = blanks(position);
        match bytes.get(position) {
            Some(b',') => {
                position = blanks(position + 1);
                if bytes.get(position) == Some(&b'}') {
                    if om {
                        return Err(syntax(position, "a comma before `}`"));
                    }
                    return Ok(position + 1);
                }
            }
            Some(b'}') => return Ok(position + 1),
            _ => return Err(syntax(position, "expected `,` or `}` after a label")),
        }
    }
}

fn unescape_help(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\\') => out.push('\\'),
                Some('n') => out.push('\n'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `[sign] digits [. digits] [e [sign] digits]`, with at least one mantissa digit.
fn is_decimal(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut position = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        position += 1;
    }
    let mut n_digits = 0;
    while position < bytes.len() && bytes[position].is_ascii_digit() {
        position += 1;
        n_digits += 1;
    }
    if position < bytes.len() && bytes[position] == b'.' {
        position += 1;
        while position < bytes.len() && bytes[position].is_ascii_digit() {
            position += 1;
            n_digits += 1;
        }
    }
    if n_digits == 0 {
        return false;
    }
    if position < bytes.len() && (bytes[position] == b'e' || bytes[position] == b'E') {
        position += 1;
        if matches!(bytes.get(position), Some(b'+' | b'-')) {
            position += 1;
        }
        let exponent_start = position;
        while position < bytes.len() && bytes[position].is_ascii_digit() {
            position += 1;
        }
        if position == exponent_start {
            return false;
        }
    }
    position == bytes.len()
}

/// A sample value: OpenMetrics spells infinities `+Inf`/`-Inf` and not-a-number `NaN`; the text
/// format takes Go `ParseFloat`'s case-insensitive spellings.
pub(crate) fn parse_number(format: Format, text: &str) -> Option<f64> {
    if is_decimal(text) {
        return text.parse().ok();
    }
    match format {
        Format::OpenMetrics => match text {
            "NaN" => Some(f64::NAN),
            "+Inf" | "Inf" => Some(f64::INFINITY),
            "-Inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        Format::PrometheusText => {
            let lower = text.to_ascii_lowercase();
            match lower.as_str() {
                "nan" => Some(f64::NAN),
                "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
                "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
                _ => None,
            }
        }
    }
}

fn parse_om_timestamp(text: &str) -> Option<f64> {
    if is_decimal(text) {
        text.parse().ok().filter(|t: &f64| t.is_finite())
    } else {
        None
    }
}

fn parse_text_timestamp(text: &str) -> Option<f64> {
    text.parse::<i64>().ok().map(|ms| ms as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    type CollectedSample = (String, Vec<(String, String)>, f64, u64);

    #[derive(Default, Debug)]
    struct Collect {
        samples: Vec<CollectedSample>,
        problems: Vec<StructureProblem>,
    }

    impl Visitor for Collect {
        fn sample(&mut self, _family: &FamilyMeta, sample: &Sample<'_>) {
            self.samples.push((
                sample.name.to_string(),
                sample
                    .labels
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                sample.value,
                sample.line,
            ));
        }
        fn problem(&mut self, problem: StructureProblem) {
            self.problems.push(problem);
        }
    }

    fn check(format: Format, input: &str) -> Result<Collect, ParseError> {
        let mut collect = Collect::default();
        parse(input.as_bytes(), format, &mut collect)?;
        Ok(collect)
    }

    #[test]
    fn text_format_allows_blanks_comments_and_trailing_commas() {
        let collect = check(
            Format::PrometheusText,
            "# a free comment\n\n# HELP x_total Requests.\n# TYPE x_total counter\n  x_total { code = \"200\" , }  3   1700000000000\n",
        )
        .unwrap();
        assert_eq!(collect.samples.len(), 1);
        assert_eq!(collect.samples[0].1, vec![("code".into(), "200".into())]);
        assert_eq!(collect.samples[0].3, 5);
    }

    /// Defect 4 (issue 15): a family of more series than MAX_TRACKED_SERIES keeps at most
    /// that many in memory; the rest are counted (and said to be unchecked), and a duplicate
    /// among the tracked ones is still found. Both formats.
    #[test]
    fn metrics_of_many_series_keep_bounded_state() {
        use crate::exposition::MAX_TRACKED_SERIES;
        let n = MAX_TRACKED_SERIES + 50_000;
        for format in [Format::PrometheusText, Format::OpenMetrics] {
            let mut text = String::from("# TYPE many counter\n# HELP many Many.\n");
            for i in 0..n {
                text.push_str(&format!("many_total{{i=\"{i}\"}} 1\n"));
            }
            // A later family repeats a tracked series of its own (text format only: in
            // OpenMetrics that is an ungrouped error).
            text.push_str("# TYPE other counter\nother_total{i=\"1\"} 1\n");
            if format == Format::PrometheusText {
                text.push_str("other_total{i=\"1\"} 2\n");
            } else {
                text.push_str("# EOF\n");
            }
            let mut collect = Collect::default();
            let summary = parse(text.as_bytes(), format, &mut collect).unwrap();
            assert_eq!(
                summary.samples as usize,
                n + 1 + usize::from(format == Format::PrometheusText)
            );
            assert_eq!(summary.untracked_samples, 50_000, "{format:?}");
            let duplicates = collect
                .problems
                .iter()
                .filter(|p| p.kind == StructureProblemKind::DuplicateSeries)
                .count();
            assert_eq!(
                duplicates,
                usize::from(format == Format::PrometheusText),
                "{format:?}"
            );
        }
    }

    #[test]
    fn text_format_reports_duplicates_without_failing() {
        let collect = check(
            Format::PrometheusText,
            "a_total{x=\"1\"} 1\na_total{x=\"1\"} 2\n",
        )
        .unwrap();
        assert_eq!(collect.problems.len(), 1);
        assert_eq!(
            collect.problems[0].kind,
            StructureProblemKind::DuplicateSeries
        );
        assert_eq!(collect.problems[0].line, 2);
    }

    #[test]
    fn text_format_errors_carry_line_and_column() {
        let error = check(Format::PrometheusText, "a 1\nb{x=\"1} 2\n").unwrap_err();
        assert_eq!(error.line, 2, "{error}");
        assert_eq!(error.kind.code(), "syntax");
        let error = check(Format::PrometheusText, "a 1\nb 1 1.5\n").unwrap_err();
        assert_eq!((error.line, error.column), (2, Some(5)));
        assert!(error.to_string().contains("invalid timestamp"), "{error}");
    }

    #[test]
    fn escapes_are_unescaped() {
        let collect = check(Format::OpenMetrics, "a{x=\"q\\\"n\\nb\\\\\"} 1\n# EOF\n").unwrap();
        assert_eq!(collect.samples[0].1[0].1, "q\"n\nb\\");
    }

    #[test]
    fn overlong_lines_are_an_error_not_an_allocation() {
        let input = format!("a{{x=\"{}\"}} 1\n", "y".repeat(5000));
        let mut collect = Collect::default();
        let error = parse_with_limit(input.as_bytes(), Format::PrometheusText, &mut collect, 1024)
            .unwrap_err();
        assert_eq!(error.kind.code(), "line-too-long");
        assert_eq!(error.line, 1);
    }

    #[test]
    fn numbers_follow_each_dialect() {
        assert_eq!(parse_number(Format::OpenMetrics, "1.5e3"), Some(1500.0));
        assert!(parse_number(Format::OpenMetrics, "+INF").is_none());
        assert!(parse_number(Format::OpenMetrics, "0x1").is_none());
        assert!(parse_number(Format::OpenMetrics, "1_2").is_none());
        assert_eq!(
            parse_number(Format::PrometheusText, "+INF"),
            Some(f64::INFINITY)
        );
        assert!(parse_number(Format::PrometheusText, "inf_").is_none());
    }
}
