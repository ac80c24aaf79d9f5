//! Gatling's `simulation.log`: the text log of Gatling 2.x to 3.12 (here) and the binary log of
//! Gatling 3.13 and later ([`binary`]), told apart by their first byte (the binary log starts
//! with its run record's 0; the text log with `RUN`).
//!
//! Text: tab-separated records; gonogo reads `RUN` (the simulation's name and Gatling's version) and
//! `REQUEST` records, whose last fields are always `start` and `end` (ms since the epoch),
//! `OK`/`KO` (Gatling's verdict: its checks) and a message, preceded by the request name (and,
//! depending on the version, the scenario, the user id and the groups). Latency is `end -
//! start`; `KO` fails. One scenario, named after the simulation's id; request names are
//! Gatling's (prefixed by their groups, as Gatling's report shows them).

use std::io::BufRead;

use super::{Aggregator, Lines, parse_i64, segment, short};
use crate::Parsed;
use crate::error::ParseError;

pub mod binary;

/// Reads a `simulation.log`, text or binary.
pub fn parse(input: impl BufRead) -> Result<Parsed, ParseError> {
    let mut input = input;
    let first = input.fill_buf()?.first().copied();
    if first == Some(0) {
        return binary::parse(input);
    }
    if first.is_some_and(|b| b < 0x09) {
        return Err(ParseError::WrongKind {
            expected: "a Gatling simulation.log",
            found: "a binary file that is not a Gatling simulation.log (Gatling 3.13 and later write a binary log starting with its run record, byte 0)".into(),
        });
    }
    let mut aggregator = Aggregator::new("gatling", "simulation.log");
    aggregator.failure_rule = "Gatling's KO (its checks)";
    let mut scenario = String::from("default");
    let mut lines = Lines::new(input);
    while lines.next_line()? {
        let (text, complete) = (lines.text(), lines.complete);
        let line = lines.line;
        let text = std::str::from_utf8(text)
            .map_err(|_| lines.error("the line is not UTF-8 text: not a Gatling log"))?;
        if text.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = text.split('\t').collect();
        match fields[0] {
            "RUN" => {
                if let Some(id) = fields.get(2).filter(|id| !id.trim().is_empty()) {
                    scenario = segment(id.trim());
                }
                if let Some(version) = fields.last().filter(|v| v.contains('.')) {
                    aggregator.version = Some(version.trim().to_string());
                }
            }
            "REQUEST" => {
                // The first OK/KO preceded by two whole numbers is the status.
                let at = (3..fields.len()).find(|&i| {
                    matches!(fields[i], "OK" | "KO")
                        && parse_i64(fields[i - 1]).is_some()
                        && parse_i64(fields[i - 2]).is_some()
                });
                let Some(at) = at else {
                    let message = if complete {
                        "a REQUEST record without `start end OK|KO`"
                    } else {
                        "the last line is cut short: the file is truncated"
                    };
                    return Err(lines.error(message));
                };
                let start = parse_i64(fields[at - 2]).expect("checked");
                let end = parse_i64(fields[at - 1]).expect("checked");
                if end < start {
                    return Err(lines.error(format!(
                        "the request ends ({end}) before it starts ({start})"
                    )));
                }
                let name = fields[at - 3];
                // Gatling 3.x: `REQUEST [scenario userId] groups name start end status message`.
                let groups = if at >= 5 { fields[at - 4].trim() } else { "" };
                let full_name = if groups.is_empty() {
                    name.to_string()
                } else {
                    format!("{} / {name}", groups.replace(',', " / "))
                };
                let slot = aggregator.slot(&scenario, Some(&full_name), line)?;
                let failed = fields[at] == "KO";
                aggregator.judged(slot, failed);
                let latency_us = ((end - start) as u64).saturating_mul(1000);
                aggregator.latency(slot, latency_us);
                aggregator.span(slot, start.saturating_mul(1000), end.saturating_mul(1000));
            }
            "USER" | "GROUP" | "ERROR" | "ASSERTION" => {}
            other => {
                return Err(lines.error(format!(
                    "`{}` is not a Gatling record type (RUN, USER, REQUEST, GROUP, ERROR)",
                    short(other)
                )));
            }
        }
    }
    aggregator.finish()
}
