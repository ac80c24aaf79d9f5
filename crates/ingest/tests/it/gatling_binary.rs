//! Gatling 3.13+'s binary `simulation.log`: one run gives the same evidence as its text log,
//! the string cache stays bounded (messages over the cap counted, requests never dropped), and
//! a truncated or corrupt file is refused with the byte offset of its record, never a panic or
//! an allocation its lengths ask for.
//!
//! The logs are written here by a small writer that follows Gatling's `LogFileDataWriter`
//! (big-endian; strings as length, Java's bytes and coder; a cache numbered from 1).

use gonogo_core::evidence::MetricValue;
use gonogo_ingest::error::Position;
use gonogo_ingest::{Kind, ParseError, parse_reader};
use serde_json::Value;

const T0: i64 = 1_796_551_200_000;

/// What a corrupt record's error says, and how the record is written.
type Corruption = (&'static str, fn(&mut Log));

#[derive(Default)]
struct Log {
    out: Vec<u8>,
    cache: Vec<String>,
}

impl Log {
    fn new(version: &str, class: &str, scenarios: &[&str]) -> Log {
        let mut log = Log::default();
        log.out.push(0);
        log.string(version);
        log.string(class);
        log.out.extend(T0.to_be_bytes());
        log.string("a description");
        log.int(scenarios.len() as i32);
        for scenario in scenarios {
            log.string(scenario);
        }
        log.int(1);
        log.int(3);
        log.out.extend([9, 9, 9]);
        log
    }

    fn int(&mut self, value: i32) {
        self.out.extend(value.to_be_bytes());
    }

    fn string(&mut self, text: &str) {
        if text.is_empty() {
            self.int(0);
        } else if text.chars().all(|c| (c as u32) <= 0xFF) {
            self.int(text.chars().count() as i32);
            self.out.extend(text.chars().map(|c| c as u8));
            self.out.push(0);
        } else {
            let units: Vec<u16> = text.encode_utf16().collect();
            self.int(units.len() as i32 * 2);
            self.out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
            self.out.push(1);
        }
    }

    fn cached(&mut self, text: &str) {
        match self.cache.iter().position(|s| s == text) {
            Some(at) => self.int(-(at as i32 + 1)),
            None => {
                self.cache.push(text.to_string());
                self.int(self.cache.len() as i32);
                self.string(text);
            }
        }
    }

    fn request(&mut self, groups: &[&str], name: &str, start: i32, end: i32, ok: bool, msg: &str) {
        self.out.push(1);
        self.int(groups.len() as i32);
        for group in groups {
            self.cached(group);
        }
        self.cached(name);
        self.int(start);
        self.int(end);
        self.out.push(u8::from(ok));
        self.cached(msg);
    }

    fn user(&mut self, scenario: i32, start: bool, time: i32) {
        self.out.push(2);
        self.int(scenario);
        self.out.push(u8::from(start));
        self.int(time);
    }

    fn group(&mut self, groups: &[&str], start: i32, end: i32, ok: bool) {
        self.out.push(3);
        self.int(groups.len() as i32);
        for group in groups {
            self.cached(group);
        }
        self.int(start);
        self.int(end);
        self.int(end - start);
        self.out.push(u8::from(ok));
    }

    fn error(&mut self, message: &str, time: i32) {
        self.out.push(4);
        self.cached(message);
        self.int(time);
    }
}

/// The requests of one small run: (groups, name, start, end, OK).
fn run() -> Vec<(&'static [&'static str], &'static str, i32, i32, bool)> {
    let mut requests: Vec<(&'static [&'static str], &'static str, i32, i32, bool)> = Vec::new();
    for i in 0..40 {
        let start = i * 7;
        requests.push((&[], "home", start, start + 3 + i % 5, true));
        requests.push((
            &["shop", "cart"],
            "add",
            start + 1,
            start + 9 + i % 11,
            i % 4 != 0,
        ));
        requests.push((&["shop"], "pay", start + 2, start + 20 + i, i % 9 != 0));
    }
    requests
}

fn binary_log() -> (Log, Vec<usize>) {
    let mut log = Log::new(
        "3.15.1",
        "computerdatabase.BasicSimulation",
        &["Browse", "Buy"],
    );
    let mut boundaries = vec![log.out.len()];
    log.user(0, true, 0);
    boundaries.push(log.out.len());
    for (i, (groups, name, start, end, ok)) in run().into_iter().enumerate() {
        let message = if ok {
            ""
        } else {
            "status.find.is(200), but actually found 500"
        };
        log.request(groups, name, start, end, ok, message);
        boundaries.push(log.out.len());
        if i % 3 == 1 {
            log.group(groups, start, end, ok);
            boundaries.push(log.out.len());
        }
        if !ok {
            log.error(message, end);
            boundaries.push(log.out.len());
        }
    }
    log.user(0, false, 400);
    boundaries.push(log.out.len());
    (log, boundaries)
}

fn text_log() -> String {
    let mut text =
        format!("RUN\tcomputerdatabase.BasicSimulation\tbasicsimulation\t{T0}\t \t3.9.5\n");
    for (groups, name, start, end, ok) in run() {
        let (start, end) = (T0 + i64::from(start), T0 + i64::from(end));
        let status = if ok {
            "OK\t "
        } else {
            "KO\tstatus.find.is(200), but actually found 500"
        };
        text.push_str(&format!(
            "REQUEST\t{}\t{name}\t{start}\t{end}\t{status}\n",
            groups.join(",")
        ));
    }
    text
}

fn error_of(bytes: &[u8]) -> ParseError {
    match parse_reader(Kind::Gatling, bytes) {
        Ok(parsed) => panic!("expected an error, got {:?}", parsed.details),
        Err(error) => error,
    }
}

/// The byte offset a malformed-input error names.
fn offset_of(error: &ParseError) -> u64 {
    match error {
        ParseError::Malformed {
            at: Position::Offset(offset),
            ..
        } => *offset,
        other => panic!("not a malformed-input error at a byte offset: {other:?}"),
    }
}

#[test]
fn a_binary_and_a_text_log_of_one_run_give_the_same_evidence() {
    let (log, _) = binary_log();
    let binary = parse_reader(Kind::Gatling, &log.out[..]).unwrap();
    let text = parse_reader(Kind::Gatling, text_log().as_bytes()).unwrap();
    let names = |parsed: &gonogo_ingest::Parsed| -> Vec<String> {
        parsed.metrics.iter().map(|(n, _)| n.clone()).collect()
    };
    assert_eq!(names(&binary), names(&text));
    assert!(names(&binary).contains(&"load.basicsimulation.errors".to_string()));
    for ((name, b), (_, t)) in binary.metrics.iter().zip(&text.metrics) {
        match (&b.value, &t.value) {
            (MetricValue::Distribution(b), MetricValue::Distribution(t)) => {
                let (b, t) = (b.histogram(), t.histogram());
                assert_eq!(b.len(), t.len(), "{name}");
                for q in [0.5, 0.9, 0.99, 1.0] {
                    assert_eq!(b.value_at_quantile(q), t.value_at_quantile(q), "{name} {q}");
                }
            }
            (b, t) => assert_eq!(format!("{b:?}"), format!("{t:?}"), "{name}"),
        }
    }
    let urls = &binary.details["scenarios"]["basicsimulation"]["urls"];
    let urls: Vec<&str> = urls
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(urls, ["home", "shop / cart / add", "shop / pay"]);
    // 10 of the 40 `add` and 5 of the 40 `pay` are KO.
    let errors = binary
        .metrics
        .iter()
        .find(|(n, _)| n == "load.basicsimulation.errors")
        .unwrap();
    match &errors.1.value {
        MetricValue::Ratio(r) => assert_eq!((r.k, r.n), (15, 120)),
        other => panic!("{other:?}"),
    }
    assert_eq!(binary.details["format"], "binary simulation.log");
    let gatling = &binary.details["gatling"];
    assert_eq!(gatling["users_started"], 1);
    assert_eq!(gatling["group_records"], 40);
    assert_eq!(gatling["error_records"], 15);
    assert_eq!(gatling["strings_not_kept"], 0);
}

#[test]
fn content_detection_tells_the_binary_log_apart() {
    let (log, _) = binary_log();
    for kind in [Kind::Auto, Kind::Load] {
        let parsed = parse_reader(kind, &log.out[..]).unwrap();
        assert_eq!(parsed.details["producer"], "gatling", "{kind:?}");
    }
    // Another binary file is refused by what it is, not read as a Gatling log.
    let error = parse_reader(Kind::Load, &b"\x01\x02\x03\x04 not a log"[..]).unwrap_err();
    assert!(matches!(error, ParseError::WrongKind { .. }), "{error}");
    assert!(error.to_string().contains("binary"), "{error}");
    let error = parse_reader(Kind::Jmeter, &log.out[..]).unwrap_err();
    assert!(
        error.to_string().contains("Gatling"),
        "a binary Gatling log collected as JMeter: {error}"
    );
}

#[test]
fn a_log_cut_anywhere_is_refused_at_its_record_or_read_whole() {
    let (log, boundaries) = binary_log();
    let whole = &log.out;
    let mut record = 0;
    for cut in 1..whole.len() {
        while boundaries.get(record).is_some_and(|&b| b < cut) {
            record += 1;
        }
        let result = parse_reader(Kind::Gatling, &whole[..cut]);
        if boundaries.contains(&cut) {
            // Whole records: read (a cut before the first request proves nothing).
            match result {
                Ok(_) | Err(ParseError::NoEvidence(_)) => {}
                Err(error) => panic!("cut at a record boundary {cut}: {error}"),
            }
            continue;
        }
        let error = result.expect_err("a record cut short");
        let start = if record == 0 {
            0
        } else {
            boundaries[record - 1]
        };
        assert_eq!(offset_of(&error), start as u64, "cut at {cut}: {error}");
        assert!(
            error.to_string().contains("truncated"),
            "cut at {cut}: {error}"
        );
        assert!(
            error.to_string().contains(&format!("at byte {start}")),
            "cut at {cut}: {error}"
        );
    }
}

#[test]
fn corrupt_values_are_named_by_byte_without_allocating() {
    // A request name claiming 2 GiB: refused by its length, before any allocation.
    let mut log = Log::new("3.15.1", "a.Sim", &["s"]);
    let request = log.out.len();
    log.out.push(1);
    log.int(0);
    log.int(1);
    log.int(i32::MAX);
    let error = error_of(&log.out);
    assert_eq!(offset_of(&error), request as u64);
    assert!(error.to_string().contains("out of range"), "{error}");

    // A message claiming 2 GiB is skipped as it streams: the file ends inside it.
    let mut log = Log::new("3.15.1", "a.Sim", &["s"]);
    log.request(&[], "home", 1, 2, true, "");
    let request = log.out.len();
    log.out.push(1);
    log.int(0);
    log.int(-1);
    log.int(1);
    log.int(2);
    log.out.push(1);
    log.int(3);
    log.int(i32::MAX);
    log.out.extend(b"only a few bytes");
    let error = error_of(&log.out);
    assert_eq!(offset_of(&error), request as u64);
    assert!(error.to_string().contains("truncated"), "{error}");

    let corruptions: [Corruption; 9] = [
        ("never written", |log| {
            log.out.push(1);
            log.int(0);
            log.int(-7);
        }),
        ("where #3 was due", |log| {
            log.out.push(1);
            log.int(0);
            log.int(5);
        }),
        ("not 0 or 1", |log| {
            log.out.push(1);
            log.int(0);
            log.int(-1);
            log.int(1);
            log.int(2);
            log.out.push(7);
        }),
        ("before it starts", |log| {
            log.request(&[], "x", 9, 2, true, "")
        }),
        ("not a Gatling record type", |log| log.out.push(9)),
        ("a second run record", |log| log.out.push(0)),
        ("not one of the run's 1", |log| log.user(3, true, 0)),
        ("group depth", |log| {
            log.out.push(3);
            log.int(-2);
        }),
        ("string coder 5", |log| {
            log.out.push(4);
            log.int(3);
            log.int(1);
            log.out.extend([b'x', 5]);
        }),
    ];
    for (expected, corrupt) in corruptions {
        let mut log = Log::new("3.15.1", "a.Sim", &["s"]);
        log.request(&[], "home", 1, 2, true, "");
        let record = log.out.len();
        corrupt(&mut log);
        log.request(&[], "home", 3, 4, true, "");
        let error = error_of(&log.out);
        assert_eq!(offset_of(&error), record as u64, "{expected}: {error}");
        assert!(error.to_string().contains(expected), "{expected}: {error}");
        assert!(
            error.to_string().contains(&format!("at byte {record}")),
            "{error}"
        );
    }
}

#[test]
fn messages_over_the_cap_are_counted_and_their_requests_kept() {
    let mut log = Log::new("3.15.1", "a.Sim", &["s"]);
    let n = gonogo_ingest::loadlog::gatling::binary::MAX_MESSAGES_KEPT + 500;
    for i in 0..n {
        let message = format!("KO {i}");
        log.request(&[], "home", i as i32, i as i32 + 2, i % 2 == 0, &message);
    }
    let long = "x".repeat(5000);
    log.request(&[], "home", 1, 2, false, &long);
    let parsed = parse_reader(Kind::Gatling, &log.out[..]).unwrap();
    let errors = parsed
        .metrics
        .iter()
        .find(|(name, _)| name == "load.sim.errors")
        .map(|(_, m)| m.value.as_ratio().map(|r| (r.k, r.n)))
        .unwrap();
    assert_eq!(errors, Some((n as u64 / 2 + 1, n as u64 + 1)));
    let gatling = &parsed.details["gatling"];
    // "home", n messages and the long one; the first MAX_MESSAGES_KEPT messages kept, the
    // 500 others and the long one counted.
    assert_eq!(gatling["distinct_strings"], Value::from(n as u64 + 2));
    assert_eq!(gatling["strings_not_kept"], Value::from(501));

    // A name the cache gives from a message gonogo did not keep: refused, named.
    let record = log.out.len();
    log.request(&[], &long, 1, 2, true, "");
    let error = error_of(&log.out);
    assert_eq!(offset_of(&error), record as u64);
    assert!(error.to_string().contains("did not keep"), "{error}");
}

#[test]
fn distinct_names_are_capped() {
    let mut log = Log::new("3.15.1", "a.Sim", &["s"]);
    log.request(&[], "home", 1, 2, true, "");
    let cap = gonogo_ingest::loadlog::gatling::binary::MAX_NAME_STRINGS;
    let mut last = 0;
    for i in 0..cap {
        last = log.out.len();
        log.group(&[&format!("group {i}")], 1, 2, true);
    }
    // "home" plus `cap` group names: the last group record passes the cap.
    let error = error_of(&log.out);
    assert_eq!(offset_of(&error), last as u64);
    assert!(
        error
            .to_string()
            .contains("distinct group and request names"),
        "{error}"
    );
}

#[test]
fn any_byte_changed_is_read_or_refused_never_a_panic() {
    let mut log = Log::new("3.15.1", "a.Sim", &["s"]);
    log.user(0, true, 0);
    log.request(&["g"], "home", 1, 5, true, "");
    log.request(&["g"], "home", 2, 9, false, "KO: 500");
    log.request(&[], "é 名", 3, 4, false, "KO: 500");
    log.group(&["g"], 1, 9, false);
    log.error("KO: 500", 9);
    log.user(0, false, 10);
    let whole = log.out;
    let mut refused = 0;
    for at in 0..whole.len() {
        for value in [0x00, 0x01, 0x05, 0x7F, 0x80, 0xFF] {
            if whole[at] == value {
                continue;
            }
            let mut changed = whole.clone();
            changed[at] = value;
            match parse_reader(Kind::Gatling, &changed[..]) {
                Ok(parsed) => assert!(!parsed.metrics.is_empty()),
                Err(ParseError::Malformed {
                    at: Position::Offset(offset),
                    message,
                }) => {
                    refused += 1;
                    assert!(offset < whole.len() as u64, "{at}={value}: {message}");
                    assert!(message.contains(&format!("at byte {offset}")), "{message}");
                }
                // A first byte other than 0 is no binary log: the text reader says why.
                Err(ParseError::Malformed { .. }) if at == 0 => refused += 1,
                Err(ParseError::WrongKind { .. } | ParseError::NoEvidence(_)) => refused += 1,
                Err(other) => panic!("{at}={value}: {other:?}"),
            }
        }
    }
    // Most changes break the structure, and are said to.
    assert!(
        refused > whole.len() * 2,
        "{refused} of {} refused",
        whole.len() * 6
    );
}
