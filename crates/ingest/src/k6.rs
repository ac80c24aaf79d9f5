//! k6 end-of-test summaries: `--summary-export` and `handleSummary` JSON.
//!
//! The two shapes are told apart by their metrics: `handleSummary` metrics have `type` and
//! `values`; `--summary-export` metrics are flat (`avg`, `p(95)`, `count`, `passes`...). Anything
//! else is refused rather than guessed (the two disagree on threshold polarity: in the export,
//! `true` means the threshold *failed*; in handleSummary, `ok: true` means it passed).
//!
//! - Trends become values `k6.<metric>.avg|med|max|p90|p95|p99` in ms (for time trends; the
//!   unit of data trends is bytes), each with the note "k6 exports no histogram: sample count
//!   unknown", since k6 does not export the distribution.
//! - Rates become ratios `k6.<metric>.rate` (passes of passes + fails).
//! - Counters become values `k6.<metric>.count`.
//! - Gauges and threshold results go to the details (thresholds normalised to `passed: bool`).
//!
//! Metric names keep their submetric tags (`http_req_duration{expected_response:true}`); a `.`
//! inside a name is replaced by `_` so the name stays one segment of the dotted metric name.

use std::io::BufRead;

use gonogo_core::evidence::{Metric, Ratio, Tool};
use gonogo_core::units::Unit;
use serde_json::{Map, Value, json};

use crate::Parsed;
use crate::error::ParseError;

/// The caveat carried by every trend metric.
pub const TREND_NOTE: &str = "k6 exports no histogram: sample count unknown";

const TREND_STATS: [(&str, &str); 6] = [
    ("avg", "avg"),
    ("med", "med"),
    ("max", "max"),
    ("p(90)", "p90"),
    ("p(95)", "p95"),
    ("p(99)", "p99"),
];

/// Reads a k6 summary.
pub fn parse(input: impl BufRead) -> Result<Parsed, ParseError> {
    let document: Value =
        serde_json::from_reader(std::io::BufReader::new(input)).map_err(ParseError::from_json)?;
    let metrics = document
        .get("metrics")
        .and_then(Value::as_object)
        .ok_or_else(|| ParseError::WrongKind {
            expected: "a k6 summary",
            found: "JSON without a `metrics` object".into(),
        })?;
    let handle_summary = metrics
        .values()
        .any(|m| m.get("values").is_some() && m.get("type").is_some());
    let flat = metrics.values().any(|m| {
        ["avg", "count", "passes", "value", "p(95)"]
            .iter()
            .any(|k| m.get(*k).is_some())
    });
    if !handle_summary && !flat && !metrics.is_empty() {
        return Err(ParseError::WrongKind {
            expected: "a k6 summary",
            found: "a `metrics` object in neither k6 shape".into(),
        });
    }
    let mut out = Vec::new();
    let mut thresholds = Map::new();
    let mut gauges = Map::new();
    for (name, metric) in metrics {
        let segment = name.replace('.', "_");
        let (kind, values, contains) = if handle_summary {
            (
                metric["type"].as_str().unwrap_or("").to_string(),
                metric.get("values").cloned().unwrap_or(Value::Null),
                metric["contains"].as_str().unwrap_or("default").to_string(),
            )
        } else {
            (
                flat_kind(metric).to_string(),
                metric.clone(),
                guess_contains(name).to_string(),
            )
        };
        match kind.as_str() {
            "trend" => {
                let unit = match contains.as_str() {
                    "time" => Unit::parse("ms"),
                    "data" => Unit::parse("B"),
                    _ => Unit::count("1"),
                };
                for (key, suffix) in TREND_STATS {
                    if let Some(value) = values.get(key).and_then(Value::as_f64) {
                        out.push((
                            format!("k6.{segment}.{suffix}"),
                            // A trend statistic without the samples behind it: an estimate,
                            // which no gate passes or fails on (`no_distribution`).
                            Metric::value(value, unit.clone())
                                .with_note(TREND_NOTE)
                                .as_estimate(),
                        ));
                    }
                }
            }
            "rate" => {
                let passes = values.get("passes").and_then(Value::as_u64);
                let fails = values.get("fails").and_then(Value::as_u64);
                if let (Some(passes), Some(fails)) = (passes, fails) {
                    let ratio =
                        Ratio::new(passes, passes.saturating_add(fails)).expect("passes <= total");
                    out.push((
                        format!("k6.{segment}.rate"),
                        Metric::ratio(ratio, Unit::count("events")),
                    ));
                } else if let Some(rate) = values.get("rate").and_then(Value::as_f64) {
                    gauges.insert(
                        name.clone(),
                        json!({"rate": rate, "note": "no passes/fails counts"}),
                    );
                }
            }
            "counter" => {
                if let Some(count) = values.get("count").and_then(Value::as_f64) {
                    out.push((
                        format!("k6.{segment}.count"),
                        Metric::value(count, Unit::count("events")),
                    ));
                }
            }
            _ => {
                gauges.insert(name.clone(), values.clone());
            }
        }
        if let Some(object) = metric.get("thresholds").and_then(Value::as_object) {
            let normalised: Map<String, Value> = object
                .iter()
                .map(|(expression, result)| {
                    let passed = match result {
                        // --summary-export: true means the threshold was crossed (failed).
                        Value::Bool(failed) => Some(!failed),
                        // handleSummary: {"ok": true} means it passed.
                        other => other.get("ok").and_then(Value::as_bool),
                    };
                    (expression.clone(), json!({"passed": passed}))
                })
                .collect();
            thresholds.insert(name.clone(), Value::Object(normalised));
        }
    }
    if out.is_empty() {
        return Err(ParseError::NoEvidence(
            "the k6 summary holds no trend, rate or counter metric".into(),
        ));
    }
    let samples = metrics
        .get("http_reqs")
        .or_else(|| metrics.get("iterations"))
        .and_then(|m| m.get("values").unwrap_or(m).get("count"))
        .and_then(Value::as_f64);
    let checks = document
        .pointer("/root_group/checks")
        .cloned()
        .unwrap_or(Value::Null);
    let details = json!({
        "shape": if handle_summary { "handleSummary" } else { "summary-export" },
        "requests_or_iterations": samples,
        "trend_note": TREND_NOTE,
        "thresholds": thresholds,
        "other_metrics": gauges,
        "checks": checks,
        "test_run_duration_ms": document.pointer("/state/testRunDurationMs"),
    });
    Ok(Parsed {
        kind: "k6",
        tool: Tool::new("k6", "unknown"),
        metrics: out,
        details,
        incomplete: Vec::new(),
    })
}

fn flat_kind(metric: &Value) -> &'static str {
    if metric.get("avg").is_some() || metric.get("p(95)").is_some() || metric.get("med").is_some() {
        "trend"
    } else if metric.get("passes").is_some() {
        "rate"
    } else if metric.get("count").is_some() {
        "counter"
    } else {
        "gauge"
    }
}

/// `--summary-export` does not say what a trend holds; k6's built-in time trends and any
/// `_duration`/`_time` name are times, `data_*` are bytes.
fn guess_contains(name: &str) -> &'static str {
    let base = name.split('{').next().unwrap_or(name);
    if base.starts_with("data_") {
        "data"
    } else if base.contains("duration")
        || base.contains("_time")
        || base.starts_with("http_req_")
        || base.contains("latency")
    {
        "time"
    } else {
        "default"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes() {
        let export = r#"{"root_group":{"checks":{}},"metrics":{
          "http_req_duration":{"avg":10.5,"min":1,"med":9,"max":80,"p(90)":20,"p(95)":30,"thresholds":{"p(95)<500":false}},
          "http_req_failed":{"value":0.1,"passes":1,"fails":9,"thresholds":{"rate<0.01":true}},
          "http_reqs":{"count":10,"rate":2.5},
          "vus":{"value":1,"min":1,"max":1}}}"#;
        let parsed = parse(export.as_bytes()).unwrap();
        let get = |name: &str| {
            parsed
                .metrics
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, m)| m.clone())
                .unwrap()
        };
        assert_eq!(
            get("k6.http_req_duration.p95").value.shape(),
            gonogo_core::evidence::Shape::Value
        );
        assert_eq!(
            get("k6.http_req_duration.p95").note.as_deref(),
            Some(TREND_NOTE)
        );
        // Trend statistics are estimates; counts and ratios are not.
        assert!(get("k6.http_req_duration.p95").estimate);
        assert!(!get("k6.http_reqs.count").estimate);
        assert!(!get("k6.http_req_failed.rate").estimate);
        assert_eq!(
            get("k6.http_req_failed.rate").value.as_ratio(),
            Ratio::new(1, 10)
        );
        assert_eq!(
            parsed.details["thresholds"]["http_req_failed"]["rate<0.01"]["passed"],
            json!(false)
        );
        assert_eq!(
            parsed.details["thresholds"]["http_req_duration"]["p(95)<500"]["passed"],
            json!(true)
        );

        let handle = r#"{"root_group":{"checks":[]},"state":{"testRunDurationMs":1000},"metrics":{
          "http_req_duration":{"type":"trend","contains":"time","values":{"p(95)":31.5,"avg":12},"thresholds":{"p(95)<500":{"ok":true}}},
          "checks":{"type":"rate","contains":"default","values":{"rate":1,"passes":4,"fails":0}}}}"#;
        let parsed = parse(handle.as_bytes()).unwrap();
        assert_eq!(parsed.metrics.len(), 3);
        assert_eq!(
            parsed.details["thresholds"]["http_req_duration"]["p(95)<500"]["passed"],
            json!(true)
        );
    }
}
