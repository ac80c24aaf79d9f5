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
//! The summary is streamed (serde seeds over the top-level object and `metrics`): each metric
//! is read, turned into evidence and dropped, at most [`MAX_METRICS`] are kept and at most
//! [`MAX_CHECKS_LISTED`] checks listed, the rest counted, so memory stays bounded whatever
//! the file's size. Each metric is read in the shape it has itself.
//!
//! Metric names keep their submetric tags (`http_req_duration{expected_response:true}`); a `.`
//! inside a name is replaced by `_` so the name stays one segment of the dotted metric name.

use std::io::BufRead;

use gonogo_core::evidence::{Metric, NoteCode, Ratio, Tool};
use gonogo_core::units::Unit;
use serde_json::{Map, Value, json};

use crate::Parsed;
use crate::error::ParseError;

/// The caveat carried by every trend metric.
pub const TREND_NOTE: &str =
    "k6 exports no histogram: sample count unknown; collect k6's `--out json` for an interval";

const TREND_STATS: [(&str, &str); 6] = [
    ("avg", "avg"),
    ("med", "med"),
    ("max", "max"),
    ("p(90)", "p90"),
    ("p(95)", "p95"),
    ("p(99)", "p99"),
];

/// Metrics of one summary turned into evidence; later ones are counted, not kept.
pub const MAX_METRICS: usize = 10_000;

/// Checks of `root_group.checks` kept in the details; later ones are counted.
pub const MAX_CHECKS_LISTED: usize = 100;

/// What the streaming pass keeps: bounded whatever the file's size.
#[derive(Default)]
struct K6State {
    metrics_seen: bool,
    any_handle_summary: bool,
    any_flat: bool,
    n_metrics: u64,
    out: Vec<(String, Metric)>,
    thresholds: Map<String, Value>,
    gauges: Map<String, Value>,
    samples: Option<f64>,
    samples_from_http_reqs: bool,
    checks: Option<Value>,
    checks_not_listed: u64,
    duration_ms: Option<Value>,
}

/// Reads a k6 summary in one streaming pass: the document is never held whole; each metric
/// is read, turned into evidence and dropped (at most [`MAX_METRICS`] are kept).
pub fn parse(input: impl BufRead) -> Result<Parsed, ParseError> {
    use serde::de::DeserializeSeed as _;
    let mut state = K6State::default();
    let mut deserializer = serde_json::Deserializer::from_reader(input);
    TopSeed { state: &mut state }
        .deserialize(&mut deserializer)
        .map_err(ParseError::from_json)?;
    deserializer.end().map_err(ParseError::from_json)?;
    if !state.metrics_seen {
        return Err(ParseError::WrongKind {
            expected: "a k6 summary",
            found: "JSON without a `metrics` object".into(),
        });
    }
    if !state.any_handle_summary && !state.any_flat && state.n_metrics > 0 {
        return Err(ParseError::WrongKind {
            expected: "a k6 summary",
            found: "a `metrics` object in neither k6 shape".into(),
        });
    }
    let handle_summary = state.any_handle_summary;
    let K6State {
        out,
        thresholds,
        gauges,
        samples,
        checks,
        checks_not_listed,
        duration_ms,
        n_metrics,
        ..
    } = state;
    if out.is_empty() {
        return Err(ParseError::NoEvidence(
            "the k6 summary holds no trend, rate or counter metric".into(),
        ));
    }
    let details = json!({
        "shape": if handle_summary { "handleSummary" } else { "summary-export" },
        "requests_or_iterations": samples,
        "trend_note": TREND_NOTE,
        "thresholds": thresholds,
        "other_metrics": gauges,
        "checks": checks.unwrap_or(Value::Null),
        "test_run_duration_ms": duration_ms,
    });
    let mut details = details;
    if checks_not_listed > 0 {
        details["checks_not_listed"] = json!(checks_not_listed);
    }
    if n_metrics > MAX_METRICS as u64 {
        details["truncated"] = json!(format!(
            "truncated: {} metrics beyond {MAX_METRICS} counted, not kept",
            n_metrics - MAX_METRICS as u64
        ));
    }
    Ok(Parsed {
        kind: "k6",
        tool: Tool::new("k6", "unknown"),
        metrics: out,
        details,
        incomplete: Vec::new(),
    })
}

/// Turns one metric into evidence (or details), in the shape the metric itself has.
fn one_metric(state: &mut K6State, name: String, metric: Value) {
    state.n_metrics += 1;
    let handle_summary = metric.get("values").is_some() && metric.get("type").is_some();
    let flat = ["avg", "count", "passes", "value", "p(95)"]
        .iter()
        .any(|k| metric.get(*k).is_some());
    state.any_handle_summary |= handle_summary;
    state.any_flat |= flat;
    if name == "http_reqs" || (name == "iterations" && !state.samples_from_http_reqs) {
        state.samples = metric
            .get("values")
            .unwrap_or(&metric)
            .get("count")
            .and_then(Value::as_f64);
        state.samples_from_http_reqs |= name == "http_reqs";
    }
    if state.n_metrics > MAX_METRICS as u64 {
        return;
    }
    let out = &mut state.out;
    let thresholds = &mut state.thresholds;
    let gauges = &mut state.gauges;
    let segment = name.replace('.', "_");
    let (kind, values, contains) = if handle_summary {
        (
            metric["type"].as_str().unwrap_or("").to_string(),
            metric.get("values").cloned().unwrap_or(Value::Null),
            metric["contains"].as_str().unwrap_or("default").to_string(),
        )
    } else {
        (
            flat_kind(&metric).to_string(),
            metric.clone(),
            guess_contains(&name).to_string(),
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
                            .with_coded_note(TREND_NOTE, NoteCode::new("k6.trend_estimate"))
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

/// The top-level object: `metrics` streamed, `root_group.checks` bounded,
/// `state.testRunDurationMs` kept, everything else skipped without being stored.
struct TopSeed<'a> {
    state: &'a mut K6State,
}

impl<'de> serde::de::DeserializeSeed<'de> for TopSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TopSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a k6 summary object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "metrics" => {
                    self.state.metrics_seen = true;
                    map.next_value_seed(MetricsSeed {
                        state: &mut *self.state,
                    })?;
                }
                "root_group" => map.next_value_seed(RootGroupSeed {
                    state: &mut *self.state,
                })?,
                "state" => {
                    let run: RunState = map.next_value()?;
                    self.state.duration_ms = run.test_run_duration_ms;
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RunState {
    #[serde(rename = "testRunDurationMs")]
    test_run_duration_ms: Option<Value>,
}

struct MetricsSeed<'a> {
    state: &'a mut K6State,
}

impl<'de> serde::de::DeserializeSeed<'de> for MetricsSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for MetricsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a `metrics` object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            let metric: Value = map.next_value()?;
            one_metric(self.state, name, metric);
        }
        Ok(())
    }
}

/// `root_group`: only `checks` is kept, at most [`MAX_CHECKS_LISTED`] of them.
struct RootGroupSeed<'a> {
    state: &'a mut K6State,
}

impl<'de> serde::de::DeserializeSeed<'de> for RootGroupSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RootGroupSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a `root_group` object")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "checks" {
                map.next_value_seed(ChecksSeed {
                    state: &mut *self.state,
                })?;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// `checks`: an array (handleSummary) or an object (`--summary-export`), bounded.
struct ChecksSeed<'a> {
    state: &'a mut K6State,
}

impl<'de> serde::de::DeserializeSeed<'de> for ChecksSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ChecksSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("`checks` (an array or an object)")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.state.checks = Some(Value::Null);
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut kept = Vec::new();
        while let Some(check) = seq.next_element::<Value>()? {
            if kept.len() < MAX_CHECKS_LISTED {
                kept.push(check);
            } else {
                self.state.checks_not_listed += 1;
            }
        }
        self.state.checks = Some(Value::Array(kept));
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut kept = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let check: Value = map.next_value()?;
            if kept.len() < MAX_CHECKS_LISTED {
                kept.insert(name, check);
            } else {
                self.state.checks_not_listed += 1;
            }
        }
        self.state.checks = Some(Value::Object(kept));
        Ok(())
    }
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
        assert_eq!(
            get("k6.http_req_duration.p95").note_code,
            Some(NoteCode::new("k6.trend_estimate"))
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
