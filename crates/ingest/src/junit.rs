//! JUnit XML test reports, streamed.
//!
//! One pass of quick-xml's pull reader with a reused buffer: memory is bounded by the nesting
//! depth, the longest tag and the capped details kept (failing tests, the ten slowest), not by
//! the file. `system-out`/`system-err` text is skipped, never accumulated.
//!
//! Rules (from `shared/specs/formats.md`, section 1.3):
//!
//! - The root is `<testsuites>` or a lone `<testsuite>`; suites nest to any depth (PHPUnit nests
//!   four levels and repeats the totals at each one).
//! - **`testcase` elements are counted**; the `tests`/`failures` attributes are only compared
//!   with the count and a mismatch becomes a warning (Surefire counts reruns, jest-junit omits
//!   todo, mocha-junit-reporter omits pending tests).
//! - A testcase is classified by its direct children: `error` beats `failure` beats `skipped`
//!   beats passed. `flakyFailure`/`flakyError` without `failure`/`error` is a pass that is
//!   also *flaky*; `rerunFailure`/`rerunError` are extra attempts of a failed test, not extra
//!   tests. `status="notrun|disabled|skipped"` with no child is skipped (ctest, gtest). pytest's
//!   `skipped type="pytest.xfail"` is a skip, counted apart as `xfail` in the details.
//!   PHPUnit 9's `error type="PHPUnit\Framework\RiskyTestError"` (a test without assertions)
//!   is a pass, counted apart as `risky`, as PHPUnit's own summary does.
//! - `time` is parsed leniently ([`crate::input::parse_lenient_f64`]: `1,234.5`, `0,5`,
//!   9 decimals, a trailing `s` or `ms`); a missing or unreadable time counts as 0 and never
//!   fails the file.
//! - A file with no testcase, or whose testcases were all skipped, is *no evidence*.
//!
//! ```
//! let xml = br#"<testsuite name="s"><testcase name="a" time="0.5"/>
//!   <testcase name="b"><failure message="boom"/></testcase></testsuite>"#;
//! let summary = gonogo_ingest::junit::parse(&xml[..]).unwrap();
//! assert_eq!((summary.testcases, summary.passed, summary.failed), (2, 1, 1));
//! ```

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use serde_json::json;

use crate::error::ParseError;
use crate::input::parse_lenient_f64;
use crate::xml;

/// Failing tests kept in the details (the count is always exact).
pub const MAX_FAILING_KEPT: usize = 100;
/// Slowest tests kept in the details.
pub const SLOWEST_KEPT: usize = 10;
/// Lines of a failure message kept.
pub const MESSAGE_LINES: usize = 5;
/// Bytes of a failure message (attribute plus body) read at most.
const MESSAGE_BYTES: usize = 2048;

/// What a JUnit file says, counted from its testcases.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JunitSummary {
    pub testcases: u64,
    pub passed: u64,
    pub failed: u64,
    pub errored: u64,
    pub skipped: u64,
    /// Passed only after a rerun (Surefire/nextest `flakyFailure`/`flakyError`); also in `passed`.
    pub flaky: u64,
    /// pytest's expected failures (`skipped type="pytest.xfail"`); also in `skipped`.
    pub xfail: u64,
    /// PHPUnit's risky tests (written as `error type="...RiskyTestError"`); also in `passed`.
    pub risky: u64,
    /// Sum of the testcases' times, in seconds.
    pub duration_seconds: f64,
    pub suites: u64,
    /// `tests` as the root (or the sum of the top-level suites) declares it.
    pub declared_tests: Option<u64>,
    /// A guess at the producer from the root's attributes (`pytest`, `jest-junit`, ...).
    pub producer: Option<String>,
    pub failing: Vec<TestCase>,
    pub slowest: Vec<TestCase>,
    pub warnings: Vec<String>,
}

impl JunitSummary {
    /// Tests that ran: every testcase that was not skipped.
    pub fn run(&self) -> u64 {
        self.testcases - self.skipped
    }

    /// The details object of the evidence record.
    pub fn details(&self) -> serde_json::Value {
        json!({
            "testcases": self.testcases,
            "passed": self.passed,
            "failed": self.failed,
            "errored": self.errored,
            "skipped": self.skipped,
            "flaky": self.flaky,
            "xfail": self.xfail,
            "risky": self.risky,
            "suites": self.suites,
            "declared_tests": self.declared_tests,
            "producer": self.producer,
            "failing": self.failing.iter().map(TestCase::to_json).collect::<Vec<_>>(),
            "failing_not_listed": (self.failed + self.errored).saturating_sub(self.failing.len() as u64),
            "slowest": self.slowest.iter().map(TestCase::to_json).collect::<Vec<_>>(),
            "warnings": self.warnings,
        })
    }
}

/// How one testcase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    Errored,
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Errored => "errored",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One testcase, as kept in the details.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCase {
    pub name: String,
    pub classname: String,
    pub file: Option<String>,
    pub line: Option<u64>,
    pub time_seconds: f64,
    pub outcome: Outcome,
    /// The first lines of the failure or error message (attribute, then body).
    pub message: Option<String>,
}

impl TestCase {
    fn to_json(&self) -> serde_json::Value {
        let mut object = json!({
            "name": self.name,
            "classname": self.classname,
            "outcome": self.outcome.as_str(),
            "time_s": self.time_seconds,
        });
        if let Some(file) = &self.file {
            object["file"] = json!(file);
        }
        if let Some(line) = self.line {
            object["line"] = json!(line);
        }
        if let Some(message) = &self.message {
            object["message"] = json!(message);
        }
        object
    }
}

/// The testcase being read. One is reused for every testcase, so its buffers keep their
/// capacity and the hot loop does not allocate. `name`, `classname` and `file` hold the raw
/// (still escaped) attribute bytes: they are decoded only for the few testcases kept in the
/// details (failing or among the slowest), not for the million that pass.
#[derive(Default)]
struct Current {
    name: Vec<u8>,
    classname: Vec<u8>,
    file: Option<Vec<u8>>,
    line: Option<u64>,
    time_seconds: f64,
    status_skip: bool,
    failure: bool,
    error: bool,
    skipped: bool,
    xfail: bool,
    flaky: bool,
    /// PHPUnit 9 writes a risky test (no assertion) as an `error`; its summary counts it
    /// apart from errors, and the test passed.
    risky: bool,
    message: String,
    /// Depth of the testcase element.
    depth: usize,
    /// Collecting the body text of a direct `failure`/`error` child.
    capturing: bool,
}

impl Current {
    fn reset(&mut self, depth: usize) {
        self.name.clear();
        self.classname.clear();
        self.file = None;
        self.line = None;
        self.time_seconds = 0.0;
        self.status_skip = false;
        self.failure = false;
        self.error = false;
        self.skipped = false;
        self.xfail = false;
        self.flaky = false;
        self.risky = false;
        self.message.clear();
        self.depth = depth;
        self.capturing = false;
    }
}

/// The elements whose end matters; the rest are `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Testsuites,
    Testsuite,
    Testcase,
    Failure,
    Error,
    /// `system-out`/`system-err`: their text is skipped without being read into events.
    Output,
    Other,
}

impl Tag {
    fn of(name: &[u8]) -> Tag {
        match name {
            b"testsuites" | b"testrun" => Tag::Testsuites,
            b"testsuite" => Tag::Testsuite,
            b"testcase" => Tag::Testcase,
            b"failure" => Tag::Failure,
            b"error" => Tag::Error,
            b"system-out" | b"system-err" => Tag::Output,
            _ => Tag::Other,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Tag::Testsuites => "<testsuites>",
            Tag::Testsuite => "<testsuite>",
            Tag::Testcase => "<testcase>",
            Tag::Failure => "<failure>",
            Tag::Error => "<error>",
            Tag::Output => "<system-out>",
            Tag::Other => "an element",
        }
    }
}

/// Reads a JUnit report.
pub fn parse(input: impl BufRead) -> Result<JunitSummary, ParseError> {
    let mut reader = xml::reader(input);
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut summary = JunitSummary::default();
    let mut seen_root = false;
    let mut current = Current::default();
    let mut in_testcase = false;
    // Open elements (only their tags: the nesting depth is the stack's length).
    let mut open: Vec<Tag> = Vec::new();
    let mut declared_top: Option<u64> = None;
    let mut declared_suites_sum: u64 = 0;
    let mut declared_suites_seen = false;
    let mut root_is_testsuites = false;
    // Bytes of system-out/system-err text consumed behind quick-xml's back; added to its
    // positions so errors still point at the right byte.
    let mut skipped: u64 = 0;

    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| shift(xml::error(&reader, e), skipped))?;
        // After any event but text, quick-xml's next read starts with text: where that is
        // the body of a system-out, it is skipped up to the next `<` without a copy.
        let text_may_follow = !matches!(event, Event::Text(_) | Event::Eof);
        match event {
            Event::Start(ref element) | Event::Empty(ref element) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = xml::local(element.name().into_inner());
                let depth = open.len();
                if !seen_root {
                    seen_root = true;
                    match name {
                        b"testsuites" | b"testrun" => {
                            root_is_testsuites = true;
                            declared_top = attribute_u64(element, b"tests");
                            summary.producer = guess_producer(element);
                        }
                        b"testsuite" => {
                            summary.producer = guess_producer(element);
                        }
                        other => return Err(wrong_root(&String::from_utf8_lossy(other))),
                    }
                }
                match name {
                    b"testsuite" => {
                        summary.suites += 1;
                        let top = if root_is_testsuites {
                            depth == 1
                        } else {
                            depth == 0
                        };
                        if top && let Some(tests) = attribute_u64(element, b"tests") {
                            declared_suites_seen = true;
                            declared_suites_sum = declared_suites_sum.saturating_add(tests);
                        }
                        if summary.producer.is_none() {
                            summary.producer = guess_producer(element);
                        }
                    }
                    b"testcase" if !in_testcase => {
                        start_testcase(&mut current, element, depth);
                        if is_empty {
                            finish_testcase(&mut summary, &current);
                        } else {
                            in_testcase = true;
                        }
                    }
                    b"property" if !in_testcase && summary.producer.is_none() => {
                        let mut is_go = false;
                        xml::for_each_attribute(element, |key, value| {
                            if key == b"name" && value == "go.version" {
                                is_go = true;
                            }
                        });
                        if is_go {
                            summary.producer = Some("go (gotestsum/go-junit-report)".into());
                        }
                    }
                    child if in_testcase && depth == current.depth + 1 => match child {
                        b"failure" => {
                            current.failure = true;
                            take_message(&mut current, element);
                            current.capturing = !is_empty;
                        }
                        b"error" if is_phpunit_risky(element) => current.risky = true,
                        b"error" => {
                            if !current.error {
                                // An error's message wins over a failure's.
                                current.message.clear();
                            }
                            current.error = true;
                            take_message(&mut current, element);
                            current.capturing = !is_empty;
                        }
                        b"skipped" => {
                            current.skipped = true;
                            xml::for_each_attribute(element, |key, value| {
                                if key == b"type" && value == "pytest.xfail" {
                                    current.xfail = true;
                                }
                            });
                        }
                        b"flakyFailure" | b"flakyError" => current.flaky = true,
                        _ => {}
                    },
                    _ => {}
                }
                if !is_empty {
                    open.push(Tag::of(name));
                }
            }
            Event::End(_) => {
                let tag = open.pop().unwrap_or(Tag::Other);
                let depth = open.len();
                if in_testcase {
                    if depth == current.depth + 1 && matches!(tag, Tag::Failure | Tag::Error) {
                        current.capturing = false;
                    } else if depth == current.depth && tag == Tag::Testcase {
                        in_testcase = false;
                        finish_testcase(&mut summary, &current);
                    }
                }
            }
            Event::Text(ref text) => {
                if in_testcase && current.capturing && current.message.len() < MESSAGE_BYTES {
                    let text = String::from_utf8_lossy(text.as_ref());
                    xml::push_capped(&mut current.message, &text, MESSAGE_BYTES);
                } else if !seen_root && text.iter().any(|b| !b.is_ascii_whitespace()) {
                    return Err(ParseError::text_before_root("JUnit XML"));
                }
            }
            Event::CData(ref text) => {
                if in_testcase && current.capturing && current.message.len() < MESSAGE_BYTES {
                    let text = String::from_utf8_lossy(text.as_ref());
                    xml::push_capped(&mut current.message, &text, MESSAGE_BYTES);
                }
            }
            Event::GeneralRef(ref reference) => {
                if in_testcase && current.capturing && current.message.len() < MESSAGE_BYTES {
                    let text = xml::resolve_reference(reference);
                    xml::push_capped(&mut current.message, &text, MESSAGE_BYTES);
                }
            }
            Event::Eof => {
                if let Some(tag) = open.last() {
                    return Err(ParseError::truncated_inside(
                        reader.buffer_position() + skipped,
                        tag.describe(),
                    ));
                }
                break;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        buffer.clear();
        if text_may_follow && open.last() == Some(&Tag::Output) {
            skipped += skip_to_markup(reader.get_mut())?;
        }
    }

    if !seen_root {
        return Err(ParseError::no_xml_element());
    }
    summary.declared_tests = declared_top.or(declared_suites_seen.then_some(declared_suites_sum));
    if let Some(declared) = summary.declared_tests
        && declared != summary.testcases
    {
        summary.warnings.push(format!(
            "the report declares {declared} tests but holds {} testcase elements; the testcases were counted",
            summary.testcases
        ));
    }
    let (cut, dropped) = reader.get_ref().cut();
    if cut > 0 {
        summary.warnings.push(format!(
            "truncated: {cut} texts, attribute values or tags longer than {} bytes were cut \
             ({dropped} bytes not read into the parser); every testcase was still counted",
            xml::MAX_XML_RUN
        ));
    }
    for case in &mut summary.failing {
        case.message = case.message.take().map(|m| first_lines(&m));
    }
    Ok(summary)
}

/// Consumes text up to (not including) the next `<`, or to the end of the input; returns
/// how many bytes. Entity references in it are skipped too: the text is not kept. Only
/// called where quick-xml would read text next, so its state stays consistent: it then
/// reads the `<` as the start of markup, as after an empty text.
fn skip_to_markup(input: &mut impl BufRead) -> Result<u64, ParseError> {
    let mut skipped = 0u64;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(ParseError::Io(error)),
        };
        if available.is_empty() {
            return Ok(skipped);
        }
        match memchr::memchr(b'<', available) {
            Some(at) => {
                input.consume(at);
                return Ok(skipped + at as u64);
            }
            None => {
                let all = available.len();
                input.consume(all);
                skipped += all as u64;
            }
        }
    }
}

/// Moves an error's byte offset forward by the bytes skipped behind the XML reader.
fn shift(error: ParseError, by: u64) -> ParseError {
    match error {
        ParseError::Malformed {
            at: crate::error::Position::Offset(offset),
            message,
        } => ParseError::Malformed {
            at: crate::error::Position::Offset(offset + by),
            message,
        },
        other => other,
    }
}

fn wrong_root(name: &str) -> ParseError {
    let found = match xml::describe_root(name) {
        Some((description, _)) => description.to_string(),
        None => format!("an XML document whose root is <{name}>"),
    };
    ParseError::WrongKind {
        expected: "JUnit XML",
        found,
    }
}

fn start_testcase(case: &mut Current, element: &BytesStart<'_>, depth: usize) {
    case.reset(depth);
    // The hot path: raw attribute bytes, no unescaping and no UTF-8 check for what is only
    // copied (decoded later if the testcase is kept) or read as a number.
    for attribute in element.attributes().with_checks(false).flatten() {
        let value: &[u8] = &attribute.value;
        match xml::local(attribute.key.into_inner()) {
            b"name" => {
                case.name.clear();
                case.name.extend_from_slice(value);
            }
            b"classname" => {
                case.classname.clear();
                case.classname.extend_from_slice(value);
            }
            b"class" if case.classname.is_empty() => case.classname.extend_from_slice(value),
            b"file" | b"filepath" => case.file = Some(value.to_vec()),
            b"line" | b"lineno" => case.line = xml::decode(value).trim().parse().ok(),
            b"time" | b"duration" => {
                // Fast path for the usual plain `0.003`; anything else goes the lenient way.
                let plain = value.iter().all(|b| b.is_ascii_digit() || *b == b'.');
                case.time_seconds = match std::str::from_utf8(value).ok().filter(|_| plain) {
                    Some(text) => text.parse().unwrap_or_else(|_| parse_time(text)),
                    None => parse_time(&xml::decode(value)),
                };
            }
            b"status" | b"result" => {
                let value = xml::decode(value);
                case.status_skip = ["notrun", "disabled", "skipped", "skip", "ignored"]
                    .iter()
                    .any(|status| value.eq_ignore_ascii_case(status));
            }
            _ => {}
        }
    }
}

/// PHPUnit 9's `<error type="PHPUnit\Framework\RiskyTestError">`: a test without an
/// assertion, which PHPUnit's own summary does not count as an error.
fn is_phpunit_risky(element: &BytesStart<'_>) -> bool {
    let mut risky = false;
    xml::for_each_attribute(element, |key, value| {
        if key == b"type" && value == "PHPUnit\\Framework\\RiskyTestError" {
            risky = true;
        }
    });
    risky
}

fn take_message(case: &mut Current, element: &BytesStart<'_>) {
    xml::for_each_attribute(element, |key, value| {
        if key == b"message" && !value.trim().is_empty() {
            if !case.message.is_empty() {
                xml::push_capped(&mut case.message, "\n", MESSAGE_BYTES);
            }
            xml::push_capped(&mut case.message, value.trim(), MESSAGE_BYTES);
        }
    });
    if !case.message.is_empty() {
        xml::push_capped(&mut case.message, "\n", MESSAGE_BYTES);
    }
}

fn finish_testcase(summary: &mut JunitSummary, case: &Current) {
    summary.testcases += 1;
    let status_skip = case.status_skip;
    let outcome = if case.error {
        Outcome::Errored
    } else if case.failure {
        Outcome::Failed
    } else if case.skipped || status_skip {
        Outcome::Skipped
    } else {
        Outcome::Passed
    };
    match outcome {
        Outcome::Passed => {
            summary.passed += 1;
            if case.flaky {
                summary.flaky += 1;
            }
            if case.risky {
                summary.risky += 1;
            }
        }
        Outcome::Failed => summary.failed += 1,
        Outcome::Errored => summary.errored += 1,
        Outcome::Skipped => {
            summary.skipped += 1;
            if case.xfail {
                summary.xfail += 1;
            }
        }
    }
    summary.duration_seconds += case.time_seconds;

    let failing = matches!(outcome, Outcome::Failed | Outcome::Errored);
    let fast = summary.slowest.len() >= SLOWEST_KEPT
        && summary
            .slowest
            .last()
            .is_some_and(|slow| slow.time_seconds >= case.time_seconds);
    let keep_failing = failing && summary.failing.len() < MAX_FAILING_KEPT;
    if !keep_failing && fast {
        return;
    }
    let mut file = case
        .file
        .as_deref()
        .map(|raw| xml::decode(raw).into_owned());
    let classname = xml::decode(&case.classname).into_owned();
    let mut line = case.line;
    let message = (!case.message.trim().is_empty()).then(|| case.message.trim().to_string());
    // A Java stack trace starts in the assertion library: its frame of the test's own class
    // (`at demo.CalcTest.addsWrong(CalcTest.java:14)`) is the place to show.
    let own_frame = message.as_deref().and_then(|text| {
        let classname = classname.as_str();
        (!classname.is_empty())
            .then(|| text.find(&format!("at {classname}.")))
            .flatten()
            .map(|at| &text[at..])
    });
    if line.is_none()
        && let Some(text) = own_frame.or(message.as_deref())
        && let Some((found_file, found_line)) = find_file_line(text)
    {
        match &file {
            None => {
                file = Some(found_file);
                line = Some(found_line);
            }
            // RSpec names the file but not the line; its backtrace has both.
            Some(known)
                if known.trim_start_matches("./") == found_file.trim_start_matches("./") =>
            {
                line = Some(found_line);
            }
            Some(_) => {}
        }
    }
    let kept = TestCase {
        name: xml::decode(&case.name).into_owned(),
        classname,
        file,
        line,
        time_seconds: case.time_seconds,
        outcome,
        message: if failing { message } else { None },
    };
    if !fast && case.time_seconds > 0.0 {
        let position = summary
            .slowest
            .iter()
            .position(|slow| slow.time_seconds < kept.time_seconds)
            .unwrap_or(summary.slowest.len());
        let mut slow = kept.clone();
        slow.message = None;
        summary.slowest.insert(position, slow);
        summary.slowest.truncate(SLOWEST_KEPT);
    }
    if keep_failing {
        summary.failing.push(kept);
    }
}

/// Seconds from a `time` attribute: lenient numbers, an optional `s`/`ms` suffix; 0 when
/// unreadable or negative.
pub fn parse_time(text: &str) -> f64 {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 0.001)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 1.0)
    };
    match parse_lenient_f64(number) {
        Some(value) if value >= 0.0 => value * scale,
        _ => 0.0,
    }
}

fn attribute_u64(element: &BytesStart<'_>, wanted: &[u8]) -> Option<u64> {
    let mut found = None;
    xml::for_each_attribute(element, |key, value| {
        if key == wanted {
            found = crate::input::parse_lenient_u64(&value);
        }
    });
    found
}

fn guess_producer(element: &BytesStart<'_>) -> Option<String> {
    let mut name = String::new();
    let mut has_uuid = false;
    let mut surefire = false;
    let mut has_id = false;
    let mut has_assertions = false;
    xml::for_each_attribute(element, |key, value| match key {
        b"name" => name = value.into_owned(),
        b"assertions" => has_assertions = true,
        b"uuid" => has_uuid = true,
        b"id" => has_id = true,
        b"noNamespaceSchemaLocation" => surefire = value.contains("surefire"),
        _ => {}
    });
    let producer = match name.as_str() {
        "pytest tests" => "pytest",
        "jest tests" => "jest-junit",
        "vitest tests" => "vitest",
        "Mocha Tests" => "mocha-junit-reporter",
        "(empty)" => "ctest",
        "rspec" => "rspec",
        _ if name.ends_with(".bats") => "bats",
        _ if has_assertions => "phpunit",
        _ if has_uuid => "cargo-nextest",
        _ if surefire => "maven-surefire",
        _ if has_id && name.is_empty() => "playwright",
        _ => return None,
    };
    Some(producer.to_string())
}

/// The first [`MESSAGE_LINES`] non-empty lines of a message.
fn first_lines(message: &str) -> String {
    // The Jenkins NUnit plugin's stylesheet has no message attribute: it writes the body as
    // `MESSAGE:`, the message, a `+++++++++++++++++++` line, `STACK TRACE:` and the trace.
    // The message is the part worth showing.
    let message = match message.trim_start().strip_prefix("MESSAGE:") {
        Some(rest) => rest.split("\n+++++++++++++++++++").next().unwrap_or(rest),
        None => message,
    };
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .take(MESSAGE_LINES + 1)
        .collect();
    let mut text = lines[..lines.len().min(MESSAGE_LINES)].join("\n");
    if lines.len() > MESSAGE_LINES {
        text.push_str("\n…");
    }
    text
}

/// A `path/file.ext:LINE` in a message: nextest's `src/lib.rs:74:9`, gotestsum's
/// `calc_test.go:17`, Java's `(CalcTest.java:14)`, Python's `File "x.py", line 3`.
pub fn find_file_line(message: &str) -> Option<(String, u64)> {
    for raw in message
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '\'' | '"' | ',' | '[' | ']'))
    {
        let mut parts = raw.split(':');
        let Some(path) = parts.next() else { continue };
        let Some(line) = parts.next() else { continue };
        let Some(extension) = path.rsplit_once('.').map(|(_, ext)| ext) else {
            continue;
        };
        let plausible_extension = !extension.is_empty()
            && extension.len() <= 5
            && extension.chars().all(|c| c.is_ascii_alphanumeric());
        if !plausible_extension || path.contains("://") || path.starts_with('.') && path.len() < 3 {
            continue;
        }
        if let Ok(line) = line.parse::<u64>()
            && line > 0
        {
            return Some((path.to_string(), line));
        }
    }
    // `FILE, line N`: Python's `File "x.py", line 3`, bats' `(in test file x.bats, line 9)`.
    for (at, _) in message.match_indices(", line ") {
        let path = message[..at]
            .rsplit(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or_default()
            .trim_matches('"');
        let digits: String = message[at + ", line ".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let has_extension = path
            .rsplit_once('.')
            .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty() && ext.len() <= 5);
        if has_extension
            && let Ok(line) = digits.parse::<u64>()
            && line > 0
        {
            return Some((path.to_string(), line));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(xml: &str) -> JunitSummary {
        parse(xml.as_bytes()).unwrap()
    }

    #[test]
    fn classification_precedence_and_flaky() {
        let summary = check(
            r#"<testsuite tests="12" failures="4">
              <testcase name="ok" time="1"/>
              <testcase name="both"><failure/><error message="e"/></testcase>
              <testcase name="fail"><failure message="f"/><rerunFailure/><rerunFailure/></testcase>
              <testcase name="flaky"><flakyFailure message="x"/></testcase>
              <testcase name="skip"><skipped/></testcase>
              <testcase name="xfail"><skipped type="pytest.xfail"/></testcase>
              <testcase name="disabled" status="disabled"><system-out>Disabled</system-out></testcase>
            </testsuite>"#,
        );
        assert_eq!(summary.testcases, 7);
        assert_eq!(
            (
                summary.passed,
                summary.failed,
                summary.errored,
                summary.skipped,
                summary.flaky,
                summary.xfail
            ),
            (2, 1, 1, 3, 1, 1)
        );
        assert_eq!(summary.declared_tests, Some(12));
        assert_eq!(summary.warnings.len(), 1);
        assert_eq!(summary.failing[0].message.as_deref(), Some("e"));
    }

    #[test]
    fn nested_suites_count_testcases_once() {
        let summary = check(
            r#"<testsuites><testsuite tests="3"><testsuite tests="3"><testsuite tests="3">
            <testcase name="a"/><testcase name="b"/><testcase name="c"><failure>boom
            at x</failure></testcase></testsuite></testsuite></testsuite></testsuites>"#,
        );
        assert_eq!(
            (summary.testcases, summary.suites, summary.failed),
            (3, 3, 1)
        );
        assert_eq!(summary.declared_tests, Some(3));
        assert!(summary.warnings.is_empty());
        assert_eq!(
            summary.failing[0].message.as_deref(),
            Some("boom\n            at x")
        );
    }

    #[test]
    fn times_are_lenient() {
        assert_eq!(parse_time("2,120.532"), 2120.532);
        assert_eq!(parse_time(""), 0.0);
        assert_eq!(parse_time("-1"), 0.0);
        assert_eq!(parse_time("15ms"), 0.015);
        assert_eq!(parse_time("0.010548482"), 0.010548482);
        let summary = check(
            r#"<testsuite><testcase name="a" time="1,234.5"/><testcase name="b"/></testsuite>"#,
        );
        assert_eq!(summary.duration_seconds, 1234.5);
    }

    #[test]
    fn slowest_are_kept_in_order() {
        let mut xml = String::from("<testsuite>");
        for i in 0..50 {
            xml.push_str(&format!(
                r#"<testcase name="t{i}" time="{}"/>"#,
                (i * 7) % 50
            ));
        }
        xml.push_str("</testsuite>");
        let summary = check(&xml);
        let times: Vec<f64> = summary.slowest.iter().map(|t| t.time_seconds).collect();
        assert_eq!(
            times,
            vec![49.0, 48.0, 47.0, 46.0, 45.0, 44.0, 43.0, 42.0, 41.0, 40.0]
        );
    }

    #[test]
    fn file_and_line_from_messages() {
        assert_eq!(
            find_file_line("thread 'x' (399) panicked at src/lib.rs:74:9:"),
            Some(("src/lib.rs".into(), 74))
        );
        assert_eq!(
            find_file_line("    calc_test.go:17: got 3, want 4"),
            Some(("calc_test.go".into(), 17))
        );
        assert_eq!(
            find_file_line("at demo.CalcTest.subFails(CalcTest.java:14)"),
            Some(("CalcTest.java".into(), 14))
        );
        assert_eq!(find_file_line("see http://example.com:80/x"), None);
        assert_eq!(
            find_file_line("(in test file calc.bats, line 9)\n  `false' failed"),
            Some(("calc.bats".into(), 9))
        );
        assert_eq!(
            find_file_line("  File \"tests/test_x.py\", line 3, in test_x"),
            Some(("tests/test_x.py".into(), 3))
        );
        assert_eq!(find_file_line("expected 3, line 4 of the table"), None);
    }

    #[test]
    fn system_out_is_skipped_and_errors_after_it_keep_their_offset() {
        fn offset(xml: &[u8]) -> u64 {
            // A tiny buffer, so skipping crosses many refills.
            match parse(std::io::BufReader::with_capacity(16, xml)) {
                Err(ParseError::Malformed {
                    at: crate::error::Position::Offset(offset),
                    ..
                }) => offset,
                other => panic!("expected a malformed-XML error, got {other:?}"),
            }
        }
        let bare = b"<testsuite><testcase name=\"a\"></testcasX></testsuite>";
        let inserted =
            "<system-out>log &amp; more &lt;x&gt; \n<![CDATA[ </system-out> <b> ]]> tail \
            <!-- a comment --> more text<child>inner</child> end</system-out>"
                .repeat(50);
        let with_output =
            format!("<testsuite><testcase name=\"a\">{inserted}</testcasX></testsuite>");
        assert_eq!(
            offset(with_output.as_bytes()) - offset(bare),
            inserted.len() as u64
        );
        // The same output in well-formed files changes nothing but is never read as a message.
        let good = format!(
            "<testsuite><testcase name=\"a\">{inserted}</testcase>\
             <testcase name=\"b\"><failure message=\"m\">body</failure>{inserted}</testcase>\
             <testcase name=\"c\"><system-err>x</system-err><skipped/></testcase></testsuite>"
        );
        let summary = parse(std::io::BufReader::with_capacity(16, good.as_bytes())).unwrap();
        assert_eq!(
            (
                summary.testcases,
                summary.passed,
                summary.failed,
                summary.skipped
            ),
            (3, 1, 1, 1)
        );
        assert_eq!(summary.failing[0].message.as_deref(), Some("m\nbody"));
        // A file that ends inside a system-out is truncated, at its very end.
        let truncated = b"<testsuite><testcase name=\"a\"><system-out>no end";
        assert_eq!(offset(truncated), truncated.len() as u64);
    }

    #[test]
    fn wrong_roots_and_empty() {
        assert!(matches!(
            parse(&b"<coverage line-rate=\"1\"/>"[..]),
            Err(ParseError::WrongKind { ref found, .. }) if found == "Cobertura XML"
        ));
        assert!(matches!(parse(&b""[..]), Err(ParseError::NoEvidence(_))));
        assert!(matches!(
            parse(&b"  \n"[..]),
            Err(ParseError::NoEvidence(_))
        ));
        assert!(matches!(
            parse(&b"{\"a\":1}"[..]),
            Err(ParseError::WrongKind { .. })
        ));
        assert!(matches!(
            parse(&b"<testsuite><testcase name=\"a\">"[..]),
            Err(ParseError::Malformed { .. })
        ));
    }
}
