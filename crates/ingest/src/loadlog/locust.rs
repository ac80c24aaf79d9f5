//! Locust's `--csv PREFIX` files: `PREFIX_stats.csv` and `PREFIX_stats_history.csv`.
//!
//! They hold no per-request samples, only Locust's own figures, so gonogo reads them honestly:
//!
//! - counts are exact: `load.S.errors` (`Failure Count` of `Request Count`; Locust counts a
//!   request failed on a connection error, a status >= 400 unless the script says otherwise,
//!   or a `response.failure()` call), `load.S.requests` (`Request Count`, failures included:
//!   the file does not say which failures were answered), and per request name
//!   `load.S.url.N.errors`;
//! - latency and throughput are **estimates** that no gate passes or fails on
//!   (`no_distribution`): `locust.S.p50`, `.p90`, `.p95`, `.p99`, `.max`, `.avg` (ms; Locust
//!   rounds response times into buckets before computing them) and `load.S.throughput`
//!   (Locust's `Requests/s`). To judge latency, collect per-request samples with Locust's
//!   `request` event hook into a CSV gonogo reads (docs/load-results.md).
//!
//! The stats file's `Aggregated` row is the scenario (`default`); its other rows are request
//! names (`Type Name`). The history file's last `Aggregated` row gives the totals and its first
//! and last `Timestamp` the run's interval.

use std::io::BufRead;

use gonogo_core::evidence::{Metric, NoteCode, Ratio, Tool};
use gonogo_core::units::Unit;
use serde_json::json;

use super::{CsvRecords, column, parse_f64, parse_i64, parse_u64, short};
use crate::Parsed;
use crate::error::ParseError;

/// The caveat on every Locust estimate.
pub const LOCUST_NOTE: &str = "Locust's --csv holds no per-request samples: an estimate from its bucketed response times; collect per-request samples with its request event hook (docs/load-results.md)";

/// Request names kept per file.
const MAX_ROWS: usize = super::MAX_NAMES;

struct Row {
    name: String,
    requests: u64,
    failures: u64,
}

/// Reads a Locust stats or stats-history CSV.
pub fn parse(input: impl BufRead) -> Result<Parsed, ParseError> {
    let mut records = CsvRecords::new(input, b',');
    if !records.next_record()? {
        return Err(ParseError::NoEvidence("the file is empty".into()));
    }
    let header = records.fields.to_strings();
    let history = column(&header, "Timestamp").is_some();
    let need = |name: &str| {
        column(&header, name).ok_or_else(|| {
            ParseError::malformed_line(
                1,
                1,
                format!("the Locust CSV header has no `{name}` column"),
            )
        })
    };
    let type_at = need("Type")?;
    let name_at = need("Name")?;
    let (count_at, failures_at) = if history {
        (need("Total Request Count")?, need("Total Failure Count")?)
    } else {
        (need("Request Count")?, need("Failure Count")?)
    };
    let estimates: Vec<(&str, Option<usize>)> = if history {
        vec![
            ("p50", column(&header, "Total Median Response Time")),
            ("avg", column(&header, "Total Average Response Time")),
            ("max", column(&header, "Total Max Response Time")),
        ]
    } else {
        vec![
            ("p50", column(&header, "50%")),
            ("p90", column(&header, "90%")),
            ("p95", column(&header, "95%")),
            ("p99", column(&header, "99%")),
            ("max", column(&header, "Max Response Time")),
            ("avg", column(&header, "Average Response Time")),
        ]
    };
    let rate_at = column(&header, "Requests/s");
    let time_at = column(&header, "Timestamp");
    let mut rows: Vec<Row> = Vec::new();
    // Requests, failures, estimates and rate of the `Aggregated` row.
    type Totals = (u64, u64, Vec<(String, f64)>, Option<f64>);
    let mut aggregated: Option<Totals> = None;
    let mut first_time: Option<i64> = None;
    let mut last_time: Option<i64> = None;
    while records.next_record()? {
        let fields = &records.fields;
        if fields.len() != header.len() {
            return Err(records.error(format!(
                "{} fields where the header has {}: the line is cut short or malformed",
                fields.len(),
                header.len()
            )));
        }
        let count = parse_u64(&fields[count_at]).ok_or_else(|| {
            records.error(format!(
                "the request count `{}` is not a whole number",
                short(&fields[count_at])
            ))
        })?;
        let failures = parse_u64(&fields[failures_at])
            .filter(|f| *f <= count)
            .ok_or_else(|| {
                records.error(format!(
                    "the failure count `{}` is not a whole number of at most {count}",
                    short(&fields[failures_at])
                ))
            })?;
        if let Some(at) = time_at {
            let time = parse_i64(&fields[at]).ok_or_else(|| {
                records.error(format!(
                    "Timestamp `{}` is not unix seconds",
                    short(&fields[at])
                ))
            })?;
            first_time = Some(first_time.map_or(time, |t| t.min(time)));
            last_time = Some(last_time.map_or(time, |t| t.max(time)));
        }
        if &fields[name_at] == "Aggregated" {
            let values = estimates
                .iter()
                .filter_map(|(label, at)| {
                    let value = parse_f64(&fields[(*at)?])?;
                    Some((label.to_string(), value))
                })
                .collect();
            let rate = rate_at.and_then(|at| parse_f64(&fields[at]));
            aggregated = Some((count, failures, values, rate));
        } else if !history {
            if rows.len() >= MAX_ROWS {
                return Err(records.error(format!(
                    "more than {MAX_ROWS} request names: group requests by a name with fewer values"
                )));
            }
            let name = format!("{} {}", &fields[type_at], &fields[name_at]);
            rows.push(Row {
                name: name.trim().to_string(),
                requests: count,
                failures,
            });
        }
    }
    let Some((count, failures, values, rate)) = aggregated else {
        return Err(ParseError::NoEvidence(
            "the Locust CSV has no `Aggregated` row: it is not a finished --csv stats file".into(),
        ));
    };
    if count == 0 {
        return Err(ParseError::NoEvidence(
            "Locust made no request, which proves nothing".into(),
        ));
    }
    let requests = Unit::count("requests");
    let mut metrics = vec![
        (
            "load.default.errors".to_string(),
            Metric::ratio(
                Ratio::new(failures, count).expect("checked"),
                requests.clone(),
            ),
        ),
        (
            "load.default.requests".to_string(),
            Metric::value(count as f64, requests.clone()).with_coded_note(
                "Locust's Request Count: failed requests included",
                NoteCode::new("locust.request_count"),
            ),
        ),
    ];
    for (label, value) in &values {
        metrics.push((
            format!("locust.default.{label}"),
            Metric::value(*value, Unit::parse("ms"))
                .with_coded_note(LOCUST_NOTE, NoteCode::new("locust.csv_estimate"))
                .as_estimate(),
        ));
    }
    let elapsed = match (first_time, last_time) {
        (Some(first), Some(last)) if last > first => Some((last - first) as f64),
        _ => None,
    };
    let throughput = rate.or_else(|| elapsed.map(|s| count as f64 / s));
    if let Some(rate) = throughput {
        metrics.push((
            "load.default.throughput".to_string(),
            Metric::value(rate, Unit::PerSecond)
                .with_coded_note(
                    "Locust's own requests per second, to the second: an estimate",
                    NoteCode::new("locust.own_rate"),
                )
                .as_estimate(),
        ));
    }
    let mut urls = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        metrics.push((
            format!("load.default.url.{}.errors", index + 1),
            Metric::ratio(
                Ratio::new(row.failures, row.requests).expect("checked"),
                requests.clone(),
            ),
        ));
        urls.push(json!({"entry": index + 1, "name": row.name, "requests": {"due": row.requests, "errors": row.failures}}));
    }
    let iso = |s: Option<i64>| {
        s.and_then(|s| jiff::Timestamp::from_second(s).ok())
            .map(|t| t.to_string())
    };
    let intervals = match (iso(first_time), iso(last_time)) {
        (Some(a), Some(b)) if elapsed.is_some() => json!([[a, b]]),
        _ => json!([]),
    };
    let details = json!({
        "result_version": 1,
        "producer": "locust",
        "format": if history { "locust --csv stats_history" } else { "locust --csv stats" },
        "failure_rule": "Locust's Failure Count",
        "no_samples": LOCUST_NOTE,
        "scenarios": {
            "default": {
                "producer_name": "Aggregated",
                "started_at": iso(first_time),
                "ended_at": iso(last_time),
                "elapsed_s": elapsed,
                "intervals": intervals,
                "requests": {"due": count, "errors": failures},
                "estimates_ms": values.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
                "urls": urls,
            }
        }
    });
    Ok(Parsed {
        kind: "load",
        tool: Tool::new("locust", "unknown"),
        metrics,
        details,
        incomplete: Vec::new(),
    })
}
