//! Vegeta's results, encoded: `vegeta encode --to json` (one object per line) and
//! `vegeta encode --to csv` (no header).
//!
//! Read per request: `timestamp` (its start), `latency` (ns), `code` (0: no response), `error`
//! (a transport error or a status text), `method` and `url` (the request name, `METHOD URL`)
//! and `attack` (the scenario, `default` when empty). A request succeeds as `vegeta report`
//! counts success: a code in 200..=399 and no error. Latency counts for answered requests.
//!
//! CSV columns (vegeta's `lib/results.go`): timestamp (ns since the epoch), code, latency (ns),
//! bytes out, bytes in, error, body (base64), attack, seq, method, url, headers (base64).

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;

use super::{Aggregator, CsvRecords, Lines, parse_i64, parse_u64, short};
use crate::Parsed;
use crate::error::ParseError;

const FAILURE_RULE: &str = "vegeta's success: a code in 200..=399 and no error";

#[derive(Deserialize)]
struct Result<'a> {
    #[serde(borrow, default)]
    attack: Option<Cow<'a, str>>,
    code: u16,
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    latency: u64,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
}

#[allow(clippy::too_many_arguments)]
fn sample(
    aggregator: &mut Aggregator,
    attack: &str,
    method: &str,
    url: &str,
    code: u16,
    start_us: i64,
    latency_ns: u64,
    error: &str,
    line: u64,
) -> std::result::Result<(), ParseError> {
    let name = if url.is_empty() {
        None
    } else {
        Some(format!("{method} {url}"))
    };
    let slot = aggregator.slot(
        if attack.is_empty() { "default" } else { attack },
        name.as_deref(),
        line,
    )?;
    let failed = !(200..=399).contains(&code) || !error.is_empty();
    aggregator.outcome(slot, failed, Some(code));
    let latency_us = latency_ns.div_ceil(1000);
    if code != 0 {
        aggregator.latency(slot, latency_us);
    }
    aggregator.span(
        slot,
        start_us,
        start_us.saturating_add(latency_us.min(i64::MAX as u64) as i64),
    );
    Ok(())
}

/// Reads `vegeta encode --to json`.
pub fn parse_json(input: impl BufRead) -> std::result::Result<Parsed, ParseError> {
    let mut aggregator = Aggregator::new("vegeta", "vegeta encode --to json");
    aggregator.failure_rule = FAILURE_RULE;
    let mut lines = Lines::new(input);
    while lines.next_line()? {
        let (text, complete) = (lines.text(), lines.complete);
        let line = lines.line;
        let trimmed = text.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        if !complete && !trimmed.ends_with(b"}") {
            return Err(lines.error("the last line is cut short: the file is truncated"));
        }
        let result: Result = serde_json::from_slice(trimmed).map_err(|error| {
            ParseError::malformed_line(
                line,
                error.column() as u64,
                format!(
                    "not a vegeta JSON result: {}",
                    super::k6raw::strip_position(&error)
                ),
            )
        })?;
        let start = super::k6raw::parse_time(&result.timestamp).ok_or_else(|| {
            lines.error(format!(
                "timestamp `{}` is not an RFC 3339 time",
                short(&result.timestamp)
            ))
        })?;
        sample(
            &mut aggregator,
            result.attack.as_deref().unwrap_or(""),
            result.method.as_deref().unwrap_or(""),
            result.url.as_deref().unwrap_or(""),
            result.code,
            start,
            result.latency,
            result.error.as_deref().unwrap_or(""),
            line,
        )?;
    }
    aggregator.finish()
}

/// Reads `vegeta encode --to csv`.
pub fn parse_csv(input: impl BufRead) -> std::result::Result<Parsed, ParseError> {
    let mut aggregator = Aggregator::new("vegeta", "vegeta encode --to csv");
    aggregator.failure_rule = FAILURE_RULE;
    let mut records = CsvRecords::new(input, b',');
    while records.next_record()? {
        let line = records.line;
        let fields = &records.fields;
        if fields.len() < 6 {
            return Err(records.error(format!(
                "{} fields where vegeta writes 12: the line is cut short or not vegeta's",
                fields.len()
            )));
        }
        let timestamp_ns = parse_i64(&fields[0]).ok_or_else(|| {
            records.error(format!(
                "timestamp `{}` is not ns since the epoch",
                short(&fields[0])
            ))
        })?;
        let code = parse_u64(&fields[1]).filter(|c| *c <= 999).ok_or_else(|| {
            records.error(format!(
                "code `{}` is not an HTTP status",
                short(&fields[1])
            ))
        })? as u16;
        let latency = parse_u64(&fields[2])
            .ok_or_else(|| records.error(format!("latency `{}` is not ns", short(&fields[2]))))?;
        let get = |at: usize| fields.get(at).unwrap_or("");
        let (attack, method, url, error) = (
            get(7).to_owned(),
            get(9).to_owned(),
            get(10).to_owned(),
            get(5).to_owned(),
        );
        sample(
            &mut aggregator,
            &attack,
            &method,
            &url,
            code,
            timestamp_ns / 1000,
            latency,
            &error,
            line,
        )?;
    }
    aggregator.finish()
}
