//! Gatling's binary `simulation.log` (Gatling 3.13 and later).
//!
//! Read from Gatling's writer (`gatling-core` `LogFileDataWriter.scala`, the layout unchanged
//! from v3.13.0 to v3.15.1) and its reader (`gatling-charts` `LogFileReader.scala`). Integers are
//! big-endian (Java's `ByteBuffer`), times are `int` milliseconds after the run's start. Each
//! record starts with one byte:
//!
//! | byte | record | fields |
//! |---|---|---|
//! | 0 | run (first, once) | version `string`, simulation class `string`, start `long` (ms since the epoch), description `string`, scenarios (`int` n, n `string`), assertions (`int` n, n × `int` length + bytes) |
//! | 1 | request | groups (`int` n, n `cached`), name `cached`, start `int`, end `int`, OK `bool`, message `cached` |
//! | 2 | user | scenario `int` (its index in the run record), start `bool`, time `int` |
//! | 3 | group | groups (`int` n, n `cached`), start `int`, end `int`, cumulated response time `int`, OK `bool` |
//! | 4 | error | message `cached`, time `int` |
//!
//! A `string` is an `int` byte length, then (when not 0) the bytes of Java's `String` and its
//! coder byte: 0 Latin-1, 1 UTF-16 (in the writing machine's byte order: little-endian on the
//! x86-64 and AArch64 machines Gatling runs on, which is what is read here). A `cached` string
//! is an `int` index: positive, a new string (numbered 1, 2, 3... in order) follows; negative,
//! the string first written with the opposite index.
//!
//! Bounds: a string is read into memory only where it is needed (group and request names, and
//! messages, which the same cache may later give as a name) and only when short; at most
//! [`MAX_NAME_STRINGS`] distinct names are kept (more is an error naming the byte), at most
//! [`MAX_MESSAGES_KEPT`] messages of at most [`MAX_MESSAGE_KEPT`] bytes; the others are skipped
//! as the file streams and counted (`details.gatling.strings_not_kept`), never their requests.
//! Every length and count is checked before anything is read or allocated. A file cut short
//! or with an impossible value is refused with the byte offset of the record (Gatling's own
//! reader keeps a truncated file's first records; gonogo judges no partial run).

use std::collections::HashMap;
use std::io::BufRead;

use serde_json::json;

use crate::Parsed;
use crate::error::{ParseError, Position};
use crate::loadlog::{Aggregator, MAX_NAMES, short};

/// Distinct group and request names (strings in a name's place) kept.
pub const MAX_NAME_STRINGS: usize = 4 * MAX_NAMES;
/// The longest group or request name read, in bytes.
pub const MAX_NAME_BYTES: usize = 64 * 1024;
/// Messages kept (the cache may give one later as a name); later ones are counted.
pub const MAX_MESSAGES_KEPT: usize = 1_000;
/// The longest message kept, in bytes; longer ones are skipped and counted.
pub const MAX_MESSAGE_KEPT: usize = 1_024;
/// The deepest group nesting read.
const MAX_GROUP_DEPTH: i32 = 64;
/// The longest string of the run record read (version, class, description).
const MAX_RUN_STRING: usize = 64 * 1024;

const RUN: u8 = 0;
const REQUEST: u8 = 1;
const USER: u8 = 2;
const GROUP: u8 = 3;
const ERROR: u8 = 4;

/// Whether `prefix` starts like a binary `simulation.log`: a run record whose version string
/// (Latin-1, short) looks like a version. A prefix that ends before the version does is taken
/// as one while what it holds fits (the reader then names where the file ends).
pub fn looks_binary(prefix: &[u8]) -> bool {
    let Some((&RUN, rest)) = prefix.split_first() else {
        return false;
    };
    if rest.len() < 4 {
        return rest.iter().all(|&b| b == 0);
    }
    let length = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
    if !(1..=64).contains(&length) {
        return false;
    }
    let version = &rest[4..rest.len().min(4 + length)];
    let fits = version.first().is_none_or(u8::is_ascii_digit)
        && version
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'));
    match rest.get(4 + length) {
        Some(&coder) => fits && coder == 0 && version.contains(&b'.'),
        None => fits,
    }
}

/// The input, read with its byte offset.
struct Input<R> {
    input: R,
    offset: u64,
    /// Offset of the record being read, and its kind (for messages).
    record: u64,
    what: &'static str,
}

impl<R: BufRead> Input<R> {
    fn error(&self, message: impl std::fmt::Display) -> ParseError {
        ParseError::malformed_at(
            self.record,
            format!(
                "the {} record at byte {}: {message} (a corrupt binary Gatling simulation.log)",
                self.what, self.record
            ),
        )
    }

    fn truncated(&self) -> ParseError {
        ParseError::malformed_at(
            self.record,
            format!(
                "the file ends at byte {} inside the {} record that starts at byte {}: it is truncated",
                self.offset, self.what, self.record
            ),
        )
    }

    /// The next record's first byte, or `None` at the end of the file.
    fn header(&mut self) -> Result<Option<u8>, ParseError> {
        let available = self.input.fill_buf()?;
        let Some(&byte) = available.first() else {
            return Ok(None);
        };
        self.input.consume(1);
        self.record = self.offset;
        self.offset += 1;
        Ok(Some(byte))
    }

    fn exact<const N: usize>(&mut self) -> Result<[u8; N], ParseError> {
        let mut out = [0u8; N];
        let mut filled = 0;
        while filled < N {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                return Err(self.truncated());
            }
            let take = available.len().min(N - filled);
            out[filled..filled + take].copy_from_slice(&available[..take]);
            self.input.consume(take);
            filled += take;
            self.offset += take as u64;
        }
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, ParseError> {
        Ok(self.exact::<1>()?[0])
    }

    fn int(&mut self) -> Result<i32, ParseError> {
        Ok(i32::from_be_bytes(self.exact::<4>()?))
    }

    fn long(&mut self) -> Result<i64, ParseError> {
        Ok(i64::from_be_bytes(self.exact::<8>()?))
    }

    /// A boolean as Gatling writes it (0 or 1).
    fn flag(&mut self, what: &str) -> Result<bool, ParseError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.error(format_args!("its {what} flag is {other}, not 0 or 1"))),
        }
    }

    /// A count or length, refused when negative or above `max`.
    fn count(&mut self, what: &str, max: usize) -> Result<usize, ParseError> {
        let at = self.offset;
        let value = self.int()?;
        match usize::try_from(value) {
            Ok(n) if n <= max => Ok(n),
            _ => Err(self.error(format_args!(
                "{what} {value} at byte {at} is out of range (0 to {max})"
            ))),
        }
    }

    fn skip(&mut self, mut n: usize) -> Result<(), ParseError> {
        while n > 0 {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                return Err(self.truncated());
            }
            let take = available.len().min(n);
            self.input.consume(take);
            n -= take;
            self.offset += take as u64;
        }
        Ok(())
    }

    /// A `string` of at most `max` bytes, decoded (tabs and line breaks become spaces, as
    /// Gatling's reader does).
    fn string(&mut self, what: &str, max: usize) -> Result<String, ParseError> {
        let length = self.count(&format!("the length of the {what}"), max)?;
        self.string_body(what, length)
    }

    fn string_body(&mut self, what: &str, length: usize) -> Result<String, ParseError> {
        if length == 0 {
            return Ok(String::new());
        }
        // `length` is bounded by the caller; read it piecewise all the same, so a truncated
        // file holds no more than it has.
        let mut bytes = Vec::with_capacity(length.min(8192));
        while bytes.len() < length {
            let available = self.input.fill_buf()?;
            if available.is_empty() {
                return Err(self.truncated());
            }
            let take = available.len().min(length - bytes.len());
            bytes.extend_from_slice(&available[..take]);
            self.input.consume(take);
            self.offset += take as u64;
        }
        let coder = self.byte()?;
        let text: String = match coder {
            0 => bytes.iter().map(|&b| char::from(b)).collect(),
            1 if length % 2 == 0 => char::decode_utf16(
                bytes
                    .chunks_exact(2)
                    .map(|pair| u16::from_le_bytes([pair[0], pair[1]])),
            )
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
            1 => {
                return Err(self.error(format_args!(
                    "the {what} is UTF-16 of an odd length ({length} bytes)"
                )));
            }
            other => {
                return Err(self.error(format_args!(
                    "the {what} has the string coder {other} (Java's are 0, Latin-1, and 1, UTF-16)"
                )));
            }
        };
        Ok(text.replace(['\n', '\r', '\t'], " "))
    }

    /// Skips a `string`.
    fn skip_string(&mut self, what: &str) -> Result<(), ParseError> {
        let length = self.count(&format!("the length of the {what}"), i32::MAX as usize)?;
        if length > 0 {
            self.skip(length)?;
            self.byte()?;
        }
        Ok(())
    }
}

/// Where a cached string is used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// A group or request name: needed.
    Name,
    /// A message: kept only while short and few (the cache may give it later as a name).
    Message,
}

/// The format's string cache, bounded.
#[derive(Default)]
struct Strings {
    /// The index the next new string must carry (Gatling numbers them 1, 2, 3...).
    next: u32,
    kept: HashMap<u32, Box<str>>,
    names_kept: usize,
    messages_kept: usize,
    not_kept: u64,
}

impl Strings {
    /// Reads one `cached` string used as `use_`, and returns its index in the cache.
    fn read<R: BufRead>(
        &mut self,
        input: &mut Input<R>,
        use_: Use,
        what: &str,
    ) -> Result<u32, ParseError> {
        let at = input.offset;
        let index = input.int()?;
        if index < 0 {
            let id = index.unsigned_abs();
            if id >= self.next {
                return Err(input.error(format_args!(
                    "the {what} at byte {at} refers to string #{id}, which was never written"
                )));
            }
            if use_ == Use::Name && !self.kept.contains_key(&id) {
                return Err(input.error(format_args!(
                    "the {what} at byte {at} is string #{id}, first written as a message that gonogo did not keep (more than {MAX_MESSAGES_KEPT} messages, or one longer than {MAX_MESSAGE_KEPT} bytes)"
                )));
            }
            return Ok(id);
        }
        let id = index as u32;
        if id != self.next {
            return Err(input.error(format_args!(
                "the {what} at byte {at} defines string #{id} where #{} was due",
                self.next
            )));
        }
        self.next += 1;
        match use_ {
            Use::Name => {
                if self.names_kept >= MAX_NAME_STRINGS {
                    return Err(input.error(format_args!(
                        "more than {MAX_NAME_STRINGS} distinct group and request names: gonogo keeps a histogram per request name and stops here rather than grow without bound"
                    )));
                }
                let text = input.string(what, MAX_NAME_BYTES)?;
                self.kept.insert(id, text.into_boxed_str());
                self.names_kept += 1;
            }
            Use::Message => {
                let length =
                    input.count(&format!("the length of the {what}"), i32::MAX as usize)?;
                if length <= MAX_MESSAGE_KEPT && self.messages_kept < MAX_MESSAGES_KEPT {
                    let text = input.string_body(what, length)?;
                    self.kept.insert(id, text.into_boxed_str());
                    self.messages_kept += 1;
                } else {
                    input.skip(length)?;
                    if length > 0 {
                        input.byte()?;
                    }
                    self.not_kept += 1;
                }
            }
        }
        Ok(id)
    }

    fn get(&self, id: u32) -> &str {
        self.kept.get(&id).map_or("", |s| s)
    }
}

/// The simulation's id as Gatling derives it by default from the class name (its simple name,
/// lowercased, other characters than letters, digits and `-` as `-`): the text log's `RUN`
/// id, so a binary and a text log of one simulation name their scenario alike.
fn simulation_id(class_name: &str) -> String {
    let simple = class_name
        .rsplit(['.', '$'])
        .find(|part| !part.is_empty())
        .unwrap_or(class_name);
    simple
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A cap error of the aggregator (which names a line) at the record's byte instead.
fn at_record(error: ParseError, record: u64) -> ParseError {
    match error {
        ParseError::Malformed {
            at: Position::LineColumn { .. },
            message,
        } => ParseError::malformed_at(record, format!("the record at byte {record}: {message}")),
        other => other,
    }
}

/// Reads a binary `simulation.log`.
pub fn parse(input: impl BufRead) -> Result<Parsed, ParseError> {
    let mut input = Input {
        input,
        offset: 0,
        record: 0,
        what: "run",
    };
    if input.header()? != Some(RUN) {
        return Err(input.error("the file does not start with a run record"));
    }
    let version = input.string("Gatling version", MAX_RUN_STRING)?;
    let class_name = input.string("simulation class", MAX_RUN_STRING)?;
    let run_start = input.long()?;
    input.skip_string("run description")?;
    let scenarios = input.count("the number of scenarios", i32::MAX as usize)?;
    for _ in 0..scenarios {
        input.skip_string("scenario name")?;
    }
    let assertions = input.count("the number of assertions", i32::MAX as usize)?;
    for _ in 0..assertions {
        let length = input.count("the length of an assertion", i32::MAX as usize)?;
        input.skip(length)?;
    }

    let mut aggregator = Aggregator::new("gatling", "binary simulation.log");
    aggregator.failure_rule = "Gatling's KO (its checks)";
    aggregator.version = Some(short(&version));
    let scenario = simulation_id(&class_name);
    let mut strings = Strings {
        next: 1,
        ..Strings::default()
    };
    let mut full_name = String::new();
    let (mut users, mut groups, mut errors) = (0u64, 0u64, 0u64);
    let time = |relative: i32, input: &Input<_>| {
        run_start
            .checked_add(i64::from(relative))
            .and_then(|ms| ms.checked_mul(1000))
            .ok_or_else(|| input.error("a time out of range"))
    };
    while let Some(header) = input.header()? {
        match header {
            REQUEST => {
                input.what = "request";
                let depth = input.count("the group depth", MAX_GROUP_DEPTH as usize)?;
                full_name.clear();
                for _ in 0..depth {
                    let id = strings.read(&mut input, Use::Name, "group name")?;
                    full_name.push_str(strings.get(id));
                    full_name.push_str(" / ");
                }
                let id = strings.read(&mut input, Use::Name, "request name")?;
                full_name.push_str(strings.get(id));
                let start = input.int()?;
                let end = input.int()?;
                let ok = input.flag("OK")?;
                strings.read(&mut input, Use::Message, "message")?;
                if end < start {
                    return Err(input.error(format_args!(
                        "the request ends ({end} ms) before it starts ({start} ms)"
                    )));
                }
                let (start_us, end_us) = (time(start, &input)?, time(end, &input)?);
                let slot = aggregator
                    .slot(&scenario, Some(&full_name), 0)
                    .map_err(|e| at_record(e, input.record))?;
                aggregator.judged(slot, !ok);
                let latency_ms = i64::from(end) - i64::from(start);
                aggregator.latency(slot, (latency_ms as u64).saturating_mul(1000));
                aggregator.span(slot, start_us, end_us);
            }
            USER => {
                input.what = "user";
                let at = input.offset;
                let index = input.int()?;
                if usize::try_from(index).map_or(true, |i| i >= scenarios) {
                    return Err(input.error(format_args!(
                        "the scenario {index} at byte {at} is not one of the run's {scenarios}"
                    )));
                }
                users += u64::from(input.flag("start")?);
                input.int()?;
            }
            GROUP => {
                input.what = "group";
                let depth = input.count("the group depth", MAX_GROUP_DEPTH as usize)?;
                for _ in 0..depth {
                    strings.read(&mut input, Use::Name, "group name")?;
                }
                let start = input.int()?;
                let end = input.int()?;
                input.int()?;
                input.flag("OK")?;
                if end < start {
                    return Err(input.error(format_args!(
                        "the group ends ({end} ms) before it starts ({start} ms)"
                    )));
                }
                groups += 1;
            }
            ERROR => {
                input.what = "error";
                strings.read(&mut input, Use::Message, "message")?;
                input.int()?;
                errors += 1;
            }
            RUN => {
                input.what = "run";
                return Err(input.error("a second run record"));
            }
            other => {
                input.what = "unknown";
                return Err(input.error(format_args!(
                    "{other} is not a Gatling record type (0 run, 1 request, 2 user, 3 group, 4 error)"
                )));
            }
        }
    }
    aggregator.extra.insert(
        "gatling".into(),
        json!({
            "log": "binary (Gatling 3.13 and later)",
            "simulation": short(&class_name),
            "users_started": users,
            "group_records": groups,
            "error_records": errors,
            "distinct_strings": strings.next - 1,
            "strings_not_kept": strings.not_kept,
            "strings_note": format!(
                "group and request names are all kept (at most {MAX_NAME_STRINGS}); messages, which gonogo does not judge, are kept only up to {MAX_MESSAGES_KEPT} of at most {MAX_MESSAGE_KEPT} bytes, the others skipped and counted here: every request is counted"
            ),
        }),
    );
    aggregator.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulation_ids_follow_gatling() {
        assert_eq!(
            simulation_id("computerdatabase.BasicSimulation"),
            "basicsimulation"
        );
        assert_eq!(simulation_id("a.Outer$My_Sim2"), "my-sim2");
        assert_eq!(simulation_id("Plain"), "plain");
    }

    #[test]
    fn the_signature_is_a_run_record_with_a_version() {
        assert!(looks_binary(b"\0\0\0\0\x063.13.1\0\0\0"));
        assert!(!looks_binary(b"\0\0\0\0\x063.13.1\x01"));
        assert!(!looks_binary(b"\0\0\0\0\x06abcdef\0"));
        // Cut short: taken while what there is fits.
        assert!(looks_binary(b"\0\0\0"));
        assert!(looks_binary(b"\0\0\0\0\x063.1"));
        assert!(!looks_binary(b"\0\0\0\x01\x06"));
        assert!(!looks_binary(b"\x01\0\0"));
        assert!(!looks_binary(b"RUN\t"));
    }
}
