//! JMeter's results (JTL): CSV with its header line, and XML (`<testResults>`).
//!
//! Read per sample: `elapsed` / `t` (ms, from just before the request to the last byte: the
//! latency), `success` / `s` (JMeter's own verdict: status, assertions, timeouts), `label` /
//! `lb` (the request name), `responseCode` / `rc` (a number when a server answered; JMeter
//! writes a text such as `Non HTTP response code: java.net.ConnectException` otherwise, which
//! is a request without a response), and `timeStamp` / `ts` (ms since the epoch: the sample's
//! start, as `sampleresult.timestamp.start=true` in JMeter's shipped `jmeter.properties`). Only
//! top-level samples count (the sub-samples of an XML sample are its redirects and embedded
//! resources, already inside its time), as JMeter's own reports count them. One scenario,
//! `default`; request names are labels.
//!
//! A CSV without a header is refused: its columns depend on the `jmeter.save.saveservice.*`
//! properties of the run, which the file does not say.

use std::io::BufRead;

use quick_xml::events::Event;

use super::{Aggregator, CsvRecords, column, parse_i64, parse_u64, short};
use crate::Parsed;
use crate::error::ParseError;

const FAILURE_RULE: &str = "JMeter's `success` (its status check, assertions and timeouts)";

/// One sample, from either format.
fn sample(
    aggregator: &mut Aggregator,
    label: &str,
    elapsed_ms: u64,
    success: bool,
    code: &str,
    timestamp_ms: Option<i64>,
    line: u64,
) -> Result<(), ParseError> {
    let slot = aggregator.slot("default", Some(label), line)?;
    let status = code.trim().parse::<u16>().ok();
    aggregator.outcome(slot, !success, status.or(Some(0)));
    let latency_us = elapsed_ms.saturating_mul(1000);
    if status.is_some() {
        aggregator.latency(slot, latency_us);
    }
    if let Some(start_ms) = timestamp_ms {
        let start = start_ms.saturating_mul(1000);
        aggregator.span(slot, start, start.saturating_add(latency_us as i64));
    }
    Ok(())
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "true" | "TRUE" | "True" => Some(true),
        "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Reads a JTL in CSV (with its header line; the delimiter is `,`, or `;`/tab when the header
/// uses it).
pub fn parse_csv(input: impl BufRead) -> Result<Parsed, ParseError> {
    let mut input = input;
    let prefix = input.fill_buf()?;
    let first_line = prefix.split(|&b| b == b'\n').next().unwrap_or(b"");
    let delimiter = [b',', b'\t', b';', b'|']
        .into_iter()
        .find(|&d| first_line.starts_with(&[b"timeStamp".as_slice(), &[d]].concat()))
        .unwrap_or(b',');
    let mut records = CsvRecords::new(input, delimiter);
    if !records.next_record()? {
        return Err(ParseError::NoEvidence("the file is empty".into()));
    }
    let header = records.fields.to_strings();
    let need = |name: &str| {
        column(&header, name).ok_or_else(|| {
            ParseError::malformed_line(
                1,
                1,
                format!(
                    "the JTL header has no `{name}` column (gonogo reads JTL CSV with its header: jmeter.save.saveservice.print_field_names=true)"
                ),
            )
        })
    };
    let time_at = need("timeStamp")?;
    let elapsed_at = need("elapsed")?;
    let label_at = need("label")?;
    let success_at = need("success")?;
    let code_at = column(&header, "responseCode");
    // Only the columns read are split; the others are counted (each line is checked whole).
    let last = [time_at, elapsed_at, label_at, success_at]
        .into_iter()
        .chain(code_at)
        .max()
        .expect("four columns");
    records.keep_fields(last + 1);
    let mut aggregator = Aggregator::new("jmeter", "JTL CSV");
    aggregator.failure_rule = FAILURE_RULE;
    while records.next_record()? {
        let line = records.line;
        let fields = &records.fields;
        if fields.len() != header.len() {
            return Err(records.error(format!(
                "{} fields where the header has {}: the line is cut short or malformed",
                fields.len(),
                header.len()
            )));
        }
        let elapsed = parse_u64(&fields[elapsed_at]).ok_or_else(|| {
            records.error(format!(
                "elapsed `{}` is not a whole number of ms",
                short(&fields[elapsed_at])
            ))
        })?;
        let success = parse_bool(&fields[success_at]).ok_or_else(|| {
            records.error(format!(
                "success `{}` is neither true nor false",
                short(&fields[success_at])
            ))
        })?;
        let timestamp = parse_i64(&fields[time_at]).ok_or_else(|| {
            records.error(format!(
                "timeStamp `{}` is not ms since the epoch (gonogo reads the default timestamp format)",
                short(&fields[time_at])
            ))
        })?;
        let code = code_at.map(|at| &fields[at]).unwrap_or("");
        sample(
            &mut aggregator,
            &fields[label_at],
            elapsed,
            success,
            code,
            Some(timestamp),
            line,
        )?;
    }
    aggregator.finish()
}

/// Reads a JTL in XML.
pub fn parse_xml(input: impl BufRead) -> Result<Parsed, ParseError> {
    let mut reader = crate::xml::reader(input);
    let mut buffer = Vec::new();
    let mut depth = 0usize;
    let mut root_seen = false;
    let mut aggregator = Aggregator::new("jmeter", "JTL XML");
    aggregator.failure_rule = FAILURE_RULE;
    loop {
        let offset = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|error| crate::xml::error(&reader, error))?;
        let (element, empty) = match &event {
            Event::Start(element) => (Some(element), false),
            Event::Empty(element) => (Some(element), true),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(element) = element {
            let name = crate::xml::local_name(element);
            if !root_seen {
                if name != "testResults" {
                    return Err(ParseError::WrongKind {
                        expected: "a JMeter JTL",
                        found: format!("XML whose root is <{}>", short(&name)),
                    });
                }
                root_seen = true;
            } else if depth == 1 && (name == "httpSample" || name == "sample") {
                let mut t = None;
                let mut ts = None;
                let mut s = None;
                let mut lb = String::new();
                let mut rc = String::new();
                let mut bad = None;
                crate::xml::for_each_attribute(element, |key, value| match key {
                    b"t" => t = Some(value.into_owned()),
                    b"ts" => ts = Some(value.into_owned()),
                    b"s" => s = Some(value.into_owned()),
                    b"lb" => lb = value.into_owned(),
                    b"rc" => rc = value.into_owned(),
                    _ => {}
                });
                let elapsed = t.as_deref().and_then(parse_u64);
                let success = s.as_deref().and_then(parse_bool);
                let timestamp = ts.as_deref().and_then(parse_i64);
                if elapsed.is_none() {
                    bad = Some(format!(
                        "<{name}> has no whole-number `t` (elapsed ms): `{}`",
                        short(t.as_deref().unwrap_or(""))
                    ));
                } else if success.is_none() {
                    bad = Some(format!(
                        "<{name}> has no `s` of true or false: `{}`",
                        short(s.as_deref().unwrap_or(""))
                    ));
                } else if ts.is_some() && timestamp.is_none() {
                    bad = Some(format!(
                        "<{name}> `ts` `{}` is not ms since the epoch",
                        short(ts.as_deref().unwrap_or(""))
                    ));
                }
                if let Some(message) = bad {
                    return Err(ParseError::malformed_at(offset, message));
                }
                let line = offset;
                sample(
                    &mut aggregator,
                    &lb,
                    elapsed.expect("checked"),
                    success.expect("checked"),
                    &rc,
                    timestamp,
                    line,
                )
                .map_err(|error| match error {
                    // Caps name a line; XML positions are offsets.
                    ParseError::Malformed { message, .. } => {
                        ParseError::malformed_at(offset, message)
                    }
                    other => other,
                })?;
            }
            if !empty {
                depth += 1;
            }
        }
        buffer.clear();
    }
    if !root_seen {
        return Err(ParseError::NoEvidence(
            "the file holds no XML element".into(),
        ));
    }
    if depth > 0 {
        return Err(ParseError::truncated_inside(
            reader.buffer_position(),
            "<testResults>",
        ));
    }
    aggregator.finish()
}
