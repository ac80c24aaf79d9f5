//! k6's raw results: `k6 run --out json=FILE` (one JSON object per line) and `--out csv=FILE`.
//!
//! Read: `Point` samples of `http_req_duration` (latency, ms, timestamped at the request's end,
//! so it spans `time - value .. time`), `http_req_failed` (1: the request failed by k6's own
//! rule, `expected_response`, by default a status outside 200..=399 or no response) and
//! `checks` (0: a check failed). Grouped by the `scenario` tag (`default` when absent) and, per
//! request name, by the `name` tag (the URL unless the script names it). Files written before
//! k6 had `http_req_failed` (< 0.31) are judged by status: 0 or >= 400 fails.
//!
//! Lines of other metrics (`vus`, `http_req_blocked`, custom ones) are skipped after a shape
//! check (a JSON object on one line), without being parsed, so a large file reads fast.

use std::borrow::Cow;
use std::io::BufRead;

use serde::Deserialize;

use super::{Aggregator, CsvRecords, Lines, Slot, column, ms_to_us, parse_f64};
use crate::Parsed;
use crate::error::ParseError;

const DURATION: &str = "http_req_duration";
const FAILED: &str = "http_req_failed";
const CHECKS: &str = "checks";

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    metric: Cow<'a, str>,
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    time: Option<Cow<'a, str>>,
    value: Option<f64>,
    #[serde(borrow)]
    tags: Option<Tags<'a>>,
}

#[derive(Deserialize, Default)]
struct Tags<'a> {
    #[serde(borrow)]
    scenario: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
}

/// The metric a line is about, found without parsing it: the text after its only
/// `"metric":"`. `None` when the key is missing, repeated (a tag of that name) or escaped.
fn quick_metric(line: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = b"\"metric\":\"";
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(KEY));
    let mut found = FINDER.find_iter(line);
    let at = found.next()?;
    if found.next().is_some() {
        return None;
    }
    let rest = &line[at + KEY.len()..];
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    (rest[end] == b'"').then(|| &rest[..end])
}

/// The state both k6 formats share.
struct K6Reader {
    aggregator: Aggregator,
}

impl K6Reader {
    fn new(format: &'static str) -> K6Reader {
        let mut aggregator = Aggregator::new("k6", format);
        aggregator.failure_rule =
            "k6's http_req_failed (expected_response); without it, status 0 or >= 400";
        K6Reader { aggregator }
    }

    fn slot(
        &mut self,
        scenario: Option<&str>,
        name: Option<&str>,
        line: u64,
    ) -> Result<Slot, ParseError> {
        self.aggregator
            .slot(scenario.unwrap_or("default"), name, line)
    }

    /// One sample of a metric gonogo reads; `time_us` is its timestamp.
    #[allow(clippy::too_many_arguments)]
    fn sample(
        &mut self,
        metric: &str,
        value: f64,
        time_us: Option<i64>,
        scenario: Option<&str>,
        name: Option<&str>,
        status: Option<&str>,
        line: u64,
    ) -> Result<(), ParseError> {
        let status = match status {
            None | Some("") => None,
            Some(text) => Some(text.parse::<u16>().map_err(|_| {
                ParseError::malformed_line(
                    line,
                    1,
                    format!(
                        "the `status` tag `{}` is not an HTTP status",
                        crate::loadlog::short(text)
                    ),
                )
            })?),
        };
        match metric {
            DURATION => {
                let latency = ms_to_us(value).ok_or_else(|| {
                    ParseError::malformed_line(
                        line,
                        1,
                        format!("http_req_duration {value} is not a duration in ms"),
                    )
                })?;
                let slot = self.slot(scenario, name, line)?;
                if status != Some(0) {
                    self.aggregator.latency(slot, latency);
                }
                if let Some(status) = status {
                    self.aggregator.status(slot, status);
                }
                self.aggregator
                    .fallback(slot, matches!(status, Some(0) | Some(400..)));
                if let Some(end) = time_us {
                    self.aggregator
                        .span(slot, end - latency.min(i64::MAX as u64) as i64, end);
                }
            }
            FAILED => {
                let slot = self.slot(scenario, name, line)?;
                self.aggregator.judged(slot, value != 0.0);
            }
            CHECKS => {
                let slot = self.slot(scenario, None, line)?;
                self.aggregator.check(slot, value == 0.0);
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Parsed, ParseError> {
        if !self.aggregator.any_judged() {
            self.aggregator.use_fallback();
            self.aggregator.failure_rule =
                "status 0 or >= 400 (the file has no http_req_failed samples: k6 < 0.31)";
        }
        self.aggregator.finish()
    }
}

/// Reads `k6 run --out json=FILE`.
pub fn parse_json(input: impl BufRead) -> Result<Parsed, ParseError> {
    let mut reader = K6Reader::new("k6 --out json");
    let mut lines = Lines::new(input);
    while lines.next_line()? {
        let (text, complete) = (lines.text(), lines.complete);
        let line = lines.line;
        let trimmed = text.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        if !trimmed.starts_with(b"{") || !trimmed.ends_with(b"}") {
            let message = if complete {
                "not a JSON object on one line (k6 --out json writes one per line)"
            } else {
                "the last line is cut short: the file is truncated"
            };
            return Err(lines.error(message));
        }
        if let Some(metric) = quick_metric(trimmed)
            && !matches!(
                metric,
                b"http_req_duration" | b"http_req_failed" | b"checks"
            )
        {
            continue;
        }
        let parsed: Line = serde_json::from_slice(trimmed).map_err(|error| {
            ParseError::malformed_line(
                line,
                error.column() as u64,
                format!("not a k6 JSON output line: {}", strip_position(&error)),
            )
        })?;
        if parsed.kind != "Point" {
            continue;
        }
        if !matches!(parsed.metric.as_ref(), DURATION | FAILED | CHECKS) {
            continue;
        }
        let data = parsed
            .data
            .ok_or_else(|| lines.error("a Point line without `data`"))?;
        let value = data
            .value
            .ok_or_else(|| lines.error("a Point line without a numeric `value`"))?;
        let time_us = match &data.time {
            Some(time) => Some(parse_time(time).ok_or_else(|| {
                lines.error(format!(
                    "`time` `{}` is not an RFC 3339 timestamp",
                    crate::loadlog::short(time)
                ))
            })?),
            None => None,
        };
        let tags = data.tags.unwrap_or_default();
        reader.sample(
            &parsed.metric,
            value,
            time_us,
            tags.scenario.as_deref(),
            tags.name.as_deref(),
            tags.status.as_deref(),
            line,
        )?;
    }
    reader.finish()
}

/// Reads `k6 run --out csv=FILE` (with its header; any `timeFormat`).
pub fn parse_csv(input: impl BufRead) -> Result<Parsed, ParseError> {
    let mut reader = K6Reader::new("k6 --out csv");
    let mut records = CsvRecords::new(input, b',');
    if !records.next_record()? {
        return Err(ParseError::NoEvidence("the file is empty".into()));
    }
    let header = records.fields.to_strings();
    let need = |name: &str| {
        column(&header, name).ok_or_else(|| {
            ParseError::malformed_line(1, 1, format!("the k6 CSV header has no `{name}` column"))
        })
    };
    let (metric_at, time_at, value_at) = (
        need("metric_name")?,
        need("timestamp")?,
        need("metric_value")?,
    );
    let scenario_at = column(&header, "scenario");
    let name_at = column(&header, "name");
    let status_at = column(&header, "status");
    while records.next_record()? {
        let line = records.line;
        let fields = &records.fields;
        // Every column read by index must be there: the header may name them in any order.
        let last_needed = metric_at.max(time_at).max(value_at);
        if fields.len() < header.len().min(last_needed + 1) || fields.len() <= last_needed {
            return Err(records.error(format!(
                "{} fields where the header has {}: the line is cut short or not k6's",
                fields.len(),
                header.len()
            )));
        }
        let metric = &fields[metric_at];
        if !matches!(metric, DURATION | FAILED | CHECKS) {
            continue;
        }
        let value = parse_f64(&fields[value_at]).ok_or_else(|| {
            records.error(format!(
                "metric_value `{}` is not a number",
                crate::loadlog::short(&fields[value_at])
            ))
        })?;
        let time_us = parse_csv_time(&fields[time_at]).ok_or_else(|| {
            records.error(format!(
                "timestamp `{}` is not a time",
                crate::loadlog::short(&fields[time_at])
            ))
        })?;
        let get = |at: Option<usize>| at.and_then(|at| fields.get(at)).filter(|s| !s.is_empty());
        let (scenario, name, status) = (get(scenario_at), get(name_at), get(status_at));
        let (scenario, name, status) = (
            scenario.map(str::to_owned),
            name.map(str::to_owned),
            status.map(str::to_owned),
        );
        reader.sample(
            metric,
            value,
            Some(time_us),
            scenario.as_deref(),
            name.as_deref(),
            status.as_deref(),
            line,
        )?;
    }
    reader.finish()
}

/// An RFC 3339 timestamp as µs since the epoch.
pub(crate) fn parse_time(text: &str) -> Option<i64> {
    let timestamp: jiff::Timestamp = text.parse().ok()?;
    Some(timestamp.as_microsecond())
}

/// k6 CSV `timestamp`: unix seconds (the default), milli-, micro- or nanoseconds, or RFC 3339.
fn parse_csv_time(text: &str) -> Option<i64> {
    let text = text.trim();
    match text.parse::<i64>() {
        Ok(value) if value < 100_000_000_000 => value.checked_mul(1_000_000),
        Ok(value) if value < 100_000_000_000_000 => value.checked_mul(1_000),
        Ok(value) if value < 100_000_000_000_000_000 => Some(value),
        Ok(value) => Some(value / 1_000),
        Err(_) => parse_time(text),
    }
}

pub(crate) fn strip_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gonogo_core::evidence::MetricValue;

    #[test]
    fn reads_points_and_skips_other_metrics() {
        let text = concat!(
            r#"{"type":"Metric","data":{"type":"trend","contains":"time"},"metric":"http_req_duration"}"#,
            "\n",
            r#"{"metric":"http_req_blocked","type":"Point","data":{"time":"2026-12-06T10:00:00.5Z","value":0.1,"tags":{"scenario":"default"}}}"#,
            "\n",
            r#"{"metric":"http_req_duration","type":"Point","data":{"time":"2026-12-06T10:00:01Z","value":12.5,"tags":{"scenario":"default","name":"http://a/","status":"200"}}}"#,
            "\n",
            r#"{"metric":"http_req_failed","type":"Point","data":{"time":"2026-12-06T10:00:01Z","value":0,"tags":{"scenario":"default","name":"http://a/","status":"200"}}}"#,
            "\n",
            r#"{"metric":"http_req_duration","type":"Point","data":{"time":"2026-12-06T10:00:02Z","value":30,"tags":{"scenario":"default","name":"http://a/","status":"503"}}}"#,
            "\n",
            r#"{"metric":"http_req_failed","type":"Point","data":{"time":"2026-12-06T10:00:02Z","value":1,"tags":{"scenario":"default","name":"http://a/","status":"503"}}}"#,
            "\n",
        );
        let parsed = parse_json(text.as_bytes()).unwrap();
        let metric = |name: &str| {
            parsed
                .metrics
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, m)| m.value.clone())
                .unwrap_or_else(|| panic!("{name} missing"))
        };
        match metric("load.default.errors") {
            MetricValue::Ratio(r) => assert_eq!((r.k, r.n), (1, 2)),
            other => panic!("{other:?}"),
        }
        match metric("load.default.latency") {
            MetricValue::Distribution(h) => {
                let h = h.histogram();
                assert_eq!(h.len(), 2);
                assert!(h.equivalent(h.max(), 30_000));
            }
            other => panic!("{other:?}"),
        }
        match metric("load.default.throughput") {
            // 2 answered requests from 10:00:00.9875 to 10:00:02.
            MetricValue::Value(v) => assert!((v - 2.0 / 1.0125).abs() < 1e-9, "{v}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_line_is_named() {
        let text = "{\"metric\":\"http_req_duration\",\"type\":\"Point\",\"data\":{\"time\":\"2026-12-06T10:00:01Z\",\"value\":1}}\n{\"metric\":\"http_req_dur";
        let error = parse_json(text.as_bytes()).unwrap_err();
        assert!(
            matches!(error, ParseError::Malformed { at: crate::error::Position::LineColumn { line: 2, .. }, ref message } if message.contains("truncated")),
            "{error:?}"
        );
    }

    #[test]
    fn a_csv_row_shorter_than_a_late_column_is_an_error_not_a_panic() {
        // Found by the loadlog fuzz target: the header puts `timestamp` after
        // `metric_value`, and a row ends between the two.
        let text = "metric_value,metric_name,extra,timestamp\n1,http_req_duration\n";
        let error = parse_csv(text.as_bytes()).unwrap_err();
        assert!(
            matches!(error, ParseError::Malformed { at: crate::error::Position::LineColumn { line: 2, .. }, ref message } if message.contains("cut short")),
            "{error:?}"
        );
    }
}
