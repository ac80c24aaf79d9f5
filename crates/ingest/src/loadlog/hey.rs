//! `hey -o csv`: one line per answered request.
//!
//! Columns: `response-time` (s, 4 decimals: 0.1 ms resolution), the phases, `status-code`, and
//! `offset` (s since the run began, when the request started). hey writes a line only for a
//! request that got a response (its connection errors appear only in its text summary), so the
//! error ratio is of answered requests: a status >= 400 fails. The file has no wall-clock time:
//! the throughput is over the span of the offsets, and the record has no interval to merge on.

use std::io::BufRead;

use super::{Aggregator, CsvRecords, column, parse_f64, parse_u64, short};
use crate::Parsed;
use crate::error::ParseError;

/// Reads `hey -o csv` output.
pub fn parse(input: impl BufRead) -> Result<Parsed, ParseError> {
    let mut records = CsvRecords::new(input, b',');
    if !records.next_record()? {
        return Err(ParseError::NoEvidence("the file is empty".into()));
    }
    let header = records.fields.to_strings();
    let need = |name: &str| {
        column(&header, name).ok_or_else(|| {
            ParseError::malformed_line(1, 1, format!("the hey CSV header has no `{name}` column"))
        })
    };
    let (time_at, status_at, offset_at) = (
        need("response-time")?,
        need("status-code")?,
        need("offset")?,
    );
    let mut aggregator = Aggregator::new("hey", "hey -o csv");
    aggregator.failure_rule = "status >= 400 (hey writes answered requests only)";
    aggregator.relative_time = true;
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
        let seconds = parse_f64(&fields[time_at])
            .filter(|s| *s >= 0.0)
            .ok_or_else(|| {
                records.error(format!(
                    "response-time `{}` is not a duration in seconds",
                    short(&fields[time_at])
                ))
            })?;
        let status = parse_u64(&fields[status_at])
            .filter(|s| *s <= 999)
            .ok_or_else(|| {
                records.error(format!(
                    "status-code `{}` is not an HTTP status",
                    short(&fields[status_at])
                ))
            })? as u16;
        let offset = parse_f64(&fields[offset_at])
            .filter(|s| *s >= 0.0)
            .ok_or_else(|| {
                records.error(format!(
                    "offset `{}` is not seconds since the start",
                    short(&fields[offset_at])
                ))
            })?;
        let latency_us = (seconds * 1e6).round() as u64;
        let slot = aggregator.slot("default", None, line)?;
        aggregator.outcome(slot, status >= 400, Some(status));
        aggregator.latency(slot, latency_us);
        let start = (offset * 1e6).round() as i64;
        aggregator.span(slot, start, start + latency_us as i64);
    }
    aggregator.finish()
}
