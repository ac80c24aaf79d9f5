//! Exact merge of load evidence from several generators, machines or tools.
//!
//! [`merge_load`] combines `load` records (gonogo's own, or made from k6, JMeter, Gatling,
//! Vegeta, hey or Locust results) into one record, metric by metric:
//!
//! - distributions (`load.S.latency`) add bucket by bucket: the merged histogram is the
//!   histogram of all the samples (HDR histograms merge exactly);
//! - ratios (`load.S.errors`, `.status_4xx` ...) add their k and n;
//! - `load.S.requests` adds;
//! - `load.S.throughput` is *recomputed*: the merged requests over the measure of the union of
//!   the inputs' time intervals (two shards side by side over the same minute: twice the rate;
//!   two shards one after the other: the same rate), never the sum of the inputs' rates (the
//!   error of vegeta#210). An input without an interval on the clock (hey's relative offsets,
//!   an HdrHistogram log) leaves the merged throughput out, and the record says why;
//! - per-request-name metrics (`load.S.url.N.*`) are merged only when every input of the
//!   scenario names the same requests in the same order; otherwise they are left out, said in
//!   the details;
//! - a metric that some inputs of its scenario do not have (an HdrHistogram log has latency
//!   but no errors), and estimates (Locust's percentiles), are left out, said in the details:
//!   a sum over some of the inputs would undercount.
//!
//! Refused, naming the input: a metric in another unit or shape than in an earlier input, the
//! same record or the same raw file twice (its samples would count twice), a record that is not
//! `load`, counts that overflow. `rename` merges every scenario of every input as one scenario
//! of that name (k6's `browse` with JMeter's `default`); without it, inputs whose scenarios do
//! not meet are refused (nothing would be merged).
//!
//! Pure: the caller reads the files and writes the result.

use std::collections::{BTreeMap, BTreeSet};

use hdrhistogram::Histogram;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::evidence::{Evidence, Metric, MetricValue, Source, Tool};
use crate::units::Unit;

/// Why inputs could not be merged; each names the input (`file`) it is about.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge: give at least one input")]
    NoInputs,
    /// Segments (`gonogo load --segment I/N`) merge only as their whole test: three of four
    /// segments summed would look like the test and could pass a gate.
    #[error("{file}: is a segment, and the segments given do not make one test: {error}")]
    Segments {
        file: String,
        error: crate::segments::SegmentError,
    },
    #[error("{file}: is evidence of kind `{kind}`, not `load`")]
    NotLoad { file: String, kind: String },
    #[error(
        "{file}: holds the same {what} as {first}: merging it twice would count its samples twice"
    )]
    Duplicate {
        file: String,
        first: String,
        what: &'static str,
    },
    #[error(
        "{file}: `{metric}` is in `{unit}` here but in `{earlier}` in {earlier_file}: refusing to add different units"
    )]
    Unit {
        file: String,
        metric: String,
        unit: String,
        earlier: String,
        earlier_file: String,
    },
    #[error("{file}: `{metric}` is a {shape} here but a {earlier} in {earlier_file}")]
    Shape {
        file: String,
        metric: String,
        shape: String,
        earlier: String,
        earlier_file: String,
    },
    #[error("{file}: `{metric}`: {reason}")]
    Add {
        file: String,
        metric: String,
        reason: String,
    },
    #[error(
        "{file}: its scenarios ({these}) meet none of the other inputs' ({others}): nothing would be merged; merge them as one scenario with `--as NAME`"
    )]
    Scenarios {
        file: String,
        these: String,
        others: String,
    },
}

/// One input: a name for messages (its file) and its record.
#[derive(Debug, Clone)]
pub struct MergeInput {
    pub file: String,
    pub record: Evidence,
}

/// The scenario of a `load.S.*` metric name, and the rest (`latency`, `url.2.errors`).
fn split(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("load.")?;
    let dot = rest.find('.')?;
    Some((&rest[..dot], &rest[dot + 1..]))
}

/// A closed interval on the clock, in µs since the epoch.
type Span = (i64, i64);

fn parse_time(value: &Value) -> Option<i64> {
    value
        .as_str()?
        .parse::<Timestamp>()
        .ok()
        .map(|t| t.as_microsecond())
}

/// The intervals a record says scenario `scenario` ran over: `details.scenarios.S.intervals`
/// (raw results, merged records), or `details.started_at` + `elapsed_s` of `gonogo load`.
pub fn intervals_of(record: &Evidence, scenario: &str) -> Option<Vec<Span>> {
    let details = &record.details;
    if let Some(list) = details["scenarios"][scenario]["intervals"].as_array() {
        let spans: Option<Vec<Span>> = list
            .iter()
            .map(|pair| Some((parse_time(&pair[0])?, parse_time(&pair[1])?)))
            .collect();
        return spans.filter(|s| !s.is_empty());
    }
    let name_matches = details["name"].as_str().is_none_or(|n| n == scenario);
    let start = parse_time(&details["started_at"])?;
    let elapsed = details["elapsed_s"].as_f64()?;
    (name_matches && elapsed > 0.0 && elapsed.is_finite())
        .then(|| (start, start + (elapsed * 1e6).round() as i64))
        .map(|span| vec![span])
}

/// The union of `spans` (sorted, overlapping and touching ones joined).
pub fn union(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// The total length of a union of spans, in seconds.
pub fn measure_s(union: &[Span]) -> f64 {
    union.iter().map(|(a, b)| (b - a) as f64).sum::<f64>() / 1e6
}

/// The request names of a record's scenario, in `url.N` order, when it lists them.
fn entry_names(record: &Evidence, scenario: &str) -> Option<Vec<String>> {
    let details = &record.details;
    if let Some(urls) = details["scenarios"][scenario]["urls"].as_array() {
        return urls
            .iter()
            .map(|u| u["name"].as_str().map(str::to_owned))
            .collect();
    }
    if details["name"].as_str() == Some(scenario)
        && let Some(urls) = details["urls"].as_array()
    {
        return urls
            .iter()
            .map(|u| Some(format!("{} {}", u["method"].as_str()?, u["url"].as_str()?)))
            .collect();
    }
    None
}

fn shape_name(value: &MetricValue) -> String {
    value.shape().as_str().to_string()
}

fn time_string(us: i64) -> Value {
    Timestamp::from_microsecond(us)
        .map(|t| Value::from(t.to_string()))
        .unwrap_or(Value::Null)
}

/// Merges `inputs` exactly (see the module doc); `rename` merges every scenario as one.
/// `collected_at` of the result is the earliest input's.
pub fn merge_load(inputs: &[MergeInput], rename: Option<&str>) -> Result<Evidence, MergeError> {
    if inputs.is_empty() {
        return Err(MergeError::NoInputs);
    }
    // Refusals that name one input.
    let mut identities: BTreeMap<String, &str> = BTreeMap::new();
    let mut raw_hashes: BTreeMap<&str, &str> = BTreeMap::new();
    for input in inputs {
        if input.record.kind != "load" {
            return Err(MergeError::NotLoad {
                file: input.file.clone(),
                kind: input.record.kind.clone(),
            });
        }
        if let Some(first) = identities.insert(input.record.identity(), &input.file) {
            return Err(MergeError::Duplicate {
                file: input.file.clone(),
                first: first.to_string(),
                what: "record",
            });
        }
        if let Some(first) = raw_hashes.insert(&input.record.sha256, &input.file) {
            return Err(MergeError::Duplicate {
                file: input.file.clone(),
                first: first.to_string(),
                what: "raw results (same SHA-256)",
            });
        }
    }
    // The segments of one test: all of them, once each, or nothing (crate::segments).
    let records: Vec<Evidence> = inputs.iter().map(|i| i.record.clone()).collect();
    let all: Vec<usize> = (0..records.len()).collect();
    let (_, tests) = crate::segments::group(&records, &all);
    for members in tests.values() {
        let refs: Vec<&Evidence> = members.iter().map(|&i| &records[i]).collect();
        if let Err(error) = crate::segments::check(&refs) {
            return Err(MergeError::Segments {
                file: inputs[members[0]].file.clone(),
                error,
            });
        }
    }
    let scenario_of = |s: &str| rename.map_or_else(|| s.to_string(), str::to_string);
    // Scenarios per input (after renaming).
    let scenarios: Vec<BTreeSet<String>> = inputs
        .iter()
        .map(|input| {
            input
                .record
                .metrics
                .keys()
                .filter_map(|name| split(name).map(|(s, _)| scenario_of(s)))
                .collect()
        })
        .collect();
    if inputs.len() > 1 {
        for (index, these) in scenarios.iter().enumerate() {
            let others: BTreeSet<&String> = scenarios
                .iter()
                .enumerate()
                .filter(|(other, _)| *other != index)
                .flat_map(|(_, s)| s.iter())
                .collect();
            if these.iter().all(|s| !others.contains(s)) {
                return Err(MergeError::Scenarios {
                    file: inputs[index].file.clone(),
                    these: these.iter().cloned().collect::<Vec<_>>().join(", "),
                    others: others.into_iter().cloned().collect::<Vec<_>>().join(", "),
                });
            }
        }
    }
    let mut left_out: BTreeMap<String, String> = BTreeMap::new();
    // Per-request-name metrics merge only when every input names the same requests.
    let mut names_of: BTreeMap<String, Option<Vec<String>>> = BTreeMap::new();
    for (input, these) in inputs.iter().zip(&scenarios) {
        for scenario in these {
            let own: Vec<&str> = input
                .record
                .metrics
                .keys()
                .filter_map(|n| split(n))
                .filter(|(s, _)| scenario_of(s) == *scenario)
                .map(|(s, _)| s)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let names = if own.len() == 1 {
                entry_names(&input.record, own[0])
            } else {
                None
            };
            names_of
                .entry(scenario.clone())
                .and_modify(|known| {
                    if *known != names {
                        *known = None;
                    }
                })
                .or_insert(names);
        }
    }
    // Add metric by metric.
    let mut merged: BTreeMap<String, (Metric, String, usize)> = BTreeMap::new();
    for input in inputs {
        for (name, metric) in &input.record.metrics {
            let Some((scenario, rest)) = split(name) else {
                left_out.insert(name.clone(), "not a load metric".into());
                continue;
            };
            let scenario = scenario_of(scenario);
            let target = format!("load.{scenario}.{rest}");
            if metric.estimate {
                left_out.insert(target, "an estimate: it has no samples to add".into());
                continue;
            }
            if rest.starts_with("url.") && names_of.get(&scenario).is_none_or(Option::is_none) {
                left_out.insert(
                    target,
                    "the inputs do not name the same requests in the same order".into(),
                );
                continue;
            }
            match merged.get_mut(&target) {
                None => {
                    merged.insert(target, (metric.clone(), input.file.clone(), 1));
                }
                Some((existing, earlier_file, count)) => {
                    if existing.unit != metric.unit {
                        return Err(MergeError::Unit {
                            file: input.file.clone(),
                            metric: target,
                            unit: metric.unit.to_string(),
                            earlier: existing.unit.to_string(),
                            earlier_file: earlier_file.clone(),
                        });
                    }
                    let add_error = |reason: String| MergeError::Add {
                        file: input.file.clone(),
                        metric: target.clone(),
                        reason,
                    };
                    match (&mut existing.value, &metric.value) {
                        (MetricValue::Ratio(a), MetricValue::Ratio(b)) => {
                            *a = a.checked_add(*b).ok_or_else(|| {
                                add_error("the counts overflow when added".into())
                            })?;
                        }
                        (MetricValue::Distribution(a), MetricValue::Distribution(b)) => {
                            a.add(b)
                                .map_err(|e| add_error(format!("cannot add histograms: {e:?}")))?;
                        }
                        (MetricValue::Value(a), MetricValue::Value(b)) => *a += *b,
                        (a, b) => {
                            return Err(MergeError::Shape {
                                file: input.file.clone(),
                                metric: target,
                                shape: shape_name(b),
                                earlier: shape_name(a),
                                earlier_file: earlier_file.clone(),
                            });
                        }
                    }
                    *count += 1;
                    // A note (and its code) only when every input says the same one: a code
                    // without its note is not a record (wire refuses it).
                    if existing.note != metric.note {
                        existing.note = None;
                        existing.note_code = None;
                    } else if existing.note_code != metric.note_code {
                        existing.note_code = None;
                    }
                }
            }
        }
    }
    // How many inputs carry each scenario: a metric must come from all of them.
    let mut carriers: BTreeMap<String, usize> = BTreeMap::new();
    for these in &scenarios {
        for scenario in these {
            *carriers.entry(scenario.clone()).or_default() += 1;
        }
    }
    let mut out = Evidence::new(
        "load",
        Source::Command(format!(
            "gonogo merge {}",
            inputs
                .iter()
                .map(|i| i.file.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        )),
        crate::evidence::sha256_hex(
            inputs
                .iter()
                .map(|i| format!("{}\n", i.record.sha256))
                .collect::<String>()
                .as_bytes(),
        ),
        inputs
            .iter()
            .map(|i| i.record.collected_at)
            .min()
            .expect("at least one input"),
        Tool::new("gonogo", "merge"),
    );
    let mut details_scenarios = serde_json::Map::new();
    for (scenario, &carried_by) in &carriers {
        let prefix = format!("load.{scenario}.");
        // Intervals and throughput.
        let mut spans = Vec::new();
        let mut all_timed = true;
        for input in inputs {
            let own: BTreeSet<&str> = input
                .record
                .metrics
                .keys()
                .filter_map(|n| split(n))
                .filter(|(s, _)| scenario_of(s) == *scenario)
                .map(|(s, _)| s)
                .collect();
            for s in own {
                match intervals_of(&input.record, s) {
                    Some(found) => spans.extend(found),
                    None => all_timed = false,
                }
            }
        }
        let joined = union(spans);
        let seconds = measure_s(&joined);
        for (name, (metric, _, count)) in std::mem::take(&mut merged) {
            if !name.starts_with(&prefix) {
                merged.insert(name, (metric, String::new(), count));
                continue;
            }
            let rest = &name[prefix.len()..];
            if rest == "throughput" {
                continue;
            }
            if count < carried_by {
                left_out.insert(
                    name,
                    format!("in {count} of the {carried_by} inputs of scenario `{scenario}`: a sum over some would undercount"),
                );
                continue;
            }
            out.metrics.insert(name, metric);
        }
        let requests = out
            .metrics
            .get(&format!("{prefix}requests"))
            .and_then(|m| match m.value {
                MetricValue::Value(v) => Some(v),
                _ => None,
            });
        match (all_timed, requests) {
            (true, Some(requests)) if seconds > 0.0 => {
                out.metrics.insert(
                    format!("{prefix}throughput"),
                    Metric::value(requests / seconds, Unit::PerSecond),
                );
            }
            (false, _) => {
                left_out.insert(
                    format!("{prefix}throughput"),
                    "an input has no interval on the clock, so the merged interval is unknown"
                        .into(),
                );
            }
            _ => {
                left_out.insert(
                    format!("{prefix}throughput"),
                    "no request count or no time span".into(),
                );
            }
        }
        let urls = names_of.get(scenario).cloned().flatten().map(|names| {
            names
                .iter()
                .enumerate()
                .map(|(i, name)| json!({"entry": i + 1, "name": name}))
                .collect::<Vec<_>>()
        });
        details_scenarios.insert(
            scenario.clone(),
            json!({
                "intervals": joined.iter().map(|(a, b)| json!([time_string(*a), time_string(*b)])).collect::<Vec<_>>(),
                "elapsed_s": if all_timed && seconds > 0.0 { json!(seconds) } else { Value::Null },
                "urls": urls.unwrap_or_default(),
            }),
        );
    }
    if out.metrics.is_empty() {
        return Err(MergeError::Add {
            file: inputs[0].file.clone(),
            metric: "load.*".into(),
            reason: "no metric is in every input of its scenario: nothing to merge".into(),
        });
    }
    out.details = json!({
        "result_version": 1,
        "merged_from": inputs.iter().map(|i| json!({
            "file": i.file,
            "source": i.record.source.as_str(),
            "sha256": i.record.sha256,
            "tool": format!("{} {}", i.record.tool.name, i.record.tool.version),
        })).collect::<Vec<_>>(),
        "scenarios": details_scenarios,
        "left_out": left_out,
        "note": "merged exactly: histograms and counts add; throughput is the merged requests over the union of the inputs' intervals",
    });
    out.incomplete = inputs
        .iter()
        .flat_map(|i| {
            i.record
                .incomplete
                .iter()
                .map(move |w| format!("{}: {w}", i.file))
        })
        .collect();
    Ok(out)
}

/// A `load` record holding only `histogram` as `load.NAME.latency` (µs), for an HdrHistogram
/// log given to `merge` beside other evidence.
pub fn latency_only(
    name: &str,
    histogram: Histogram<u64>,
    sha256: String,
    at: Timestamp,
) -> Evidence {
    let mut record = Evidence::new(
        "load",
        Source::File(String::new()),
        sha256,
        at,
        Tool::new("hdrhistogram-log", "unknown"),
    );
    record.insert(
        format!("load.{name}.latency"),
        Metric::distribution(histogram, Unit::parse("us")),
    );
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Ratio;

    fn record(
        name: &str,
        samples: &[u64],
        errors: (u64, u64),
        span: (&str, &str),
        sha: &str,
    ) -> Evidence {
        let mut histogram = crate::evidence::latency_histogram();
        for s in samples {
            histogram.record(*s).unwrap();
        }
        let mut r = Evidence::new(
            "load",
            Source::File(format!("{sha}.json")),
            sha.repeat(64),
            "2026-12-06T10:00:00Z".parse().unwrap(),
            Tool::new("k6", "unknown"),
        );
        r.insert(
            format!("load.{name}.latency"),
            Metric::distribution(histogram, Unit::parse("us")),
        );
        r.insert(
            format!("load.{name}.errors"),
            Metric::ratio(
                Ratio::new(errors.0, errors.1).unwrap(),
                Unit::count("requests"),
            ),
        );
        r.insert(
            format!("load.{name}.requests"),
            Metric::value(samples.len() as f64, Unit::count("requests")),
        );
        r.insert(
            format!("load.{name}.throughput"),
            Metric::value(1.0, Unit::PerSecond),
        );
        r.details = json!({"scenarios": {name: {"intervals": [[span.0, span.1]]}}});
        r
    }

    fn input(file: &str, record: Evidence) -> MergeInput {
        MergeInput {
            file: file.into(),
            record,
        }
    }

    fn throughput(e: &Evidence, name: &str) -> f64 {
        match e.metrics[&format!("load.{name}.throughput")].value {
            MetricValue::Value(v) => v,
            _ => panic!(),
        }
    }

    /// Segments of one test merge only whole: three of four summed would look like the test.
    #[test]
    fn segments_merge_only_as_their_whole_test() {
        let segment = |index: u64, sha: &str| {
            let mut r = record(
                "d",
                &[100; 10],
                (0, 10),
                ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"),
                sha,
            );
            r.source = Source::Url("http://127.0.0.1:8080/".into());
            r.segment = Some(crate::segments::SegmentInfo {
                test: "t1".into(),
                index,
                count: 4,
                started_at: None,
                elapsed_seconds: Some(10.0),
                clock_offset_ms: None,
            });
            input(&format!("segment-{index}.json"), r)
        };
        let three = [segment(0, "a"), segment(1, "b"), segment(2, "c")];
        let error = merge_load(&three, None).unwrap_err();
        assert!(
            matches!(error, MergeError::Segments { .. }) && error.to_string().contains("3/4"),
            "{error}"
        );
        let four = [
            segment(0, "a"),
            segment(1, "b"),
            segment(2, "c"),
            segment(3, "d"),
        ];
        let merged = merge_load(&four, None).expect("the whole test merges");
        assert!(
            merged.segment.is_none(),
            "the merged record is the whole test"
        );
    }

    /// Issue 17: a note and its code are kept only when every input says the same; notes that
    /// differ drop both (a code without its note is refused by the wire format), and the
    /// merged record writes and reads back.
    #[test]
    fn notes_and_their_codes_merge_only_when_the_inputs_agree() {
        use crate::evidence::NoteCode;
        let span = ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z");
        let noted = |sha: &str, producer: &str| {
            let mut r = record("d", &[100; 10], (0, 10), span, sha);
            let latency = r.metrics.remove("load.d.latency").unwrap();
            r.insert(
                "load.d.latency",
                latency.with_coded_note(
                    format!("from {producer}'s per-request results, read by gonogo"),
                    NoteCode::new("loadlog.per_request").arg("producer", producer),
                ),
            );
            r
        };
        let same = merge_load(
            &[input("a", noted("a", "k6")), input("b", noted("b", "k6"))],
            None,
        )
        .unwrap();
        let latency = &same.metrics["load.d.latency"];
        assert!(latency.note.is_some());
        assert_eq!(
            latency.note_code,
            Some(NoteCode::new("loadlog.per_request").arg("producer", "k6"))
        );
        let mixed = merge_load(
            &[
                input("a", noted("a", "k6")),
                input("b", noted("b", "JMeter")),
            ],
            None,
        )
        .unwrap();
        let latency = &mixed.metrics["load.d.latency"];
        assert_eq!((&latency.note, &latency.note_code), (&None, &None));
        let line = crate::wire::to_json_line(&mixed);
        crate::wire::parse_records(&line, crate::catalog::fixture::CATALOG)
            .expect("the merged record reads back");
        // Same sentence, but only one input coded it: the sentence stays, the code goes.
        let mut uncoded = noted("b", "k6");
        uncoded.metrics.get_mut("load.d.latency").unwrap().note_code = None;
        let half = merge_load(&[input("a", noted("a", "k6")), input("b", uncoded)], None).unwrap();
        let latency = &half.metrics["load.d.latency"];
        assert!(latency.note.is_some() && latency.note_code.is_none());
    }

    #[test]
    fn overlapping_shards_add_their_rates_and_disjoint_ones_do_not() {
        // Two shards of 100 requests over the same 10 s: 20/s, not the mean and not 10/s.
        let a = record(
            "d",
            &[100; 100],
            (1, 100),
            ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"),
            "a",
        );
        let b = record(
            "d",
            &[200; 100],
            (2, 100),
            ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"),
            "b",
        );
        let merged = merge_load(&[input("a", a.clone()), input("b", b.clone())], None).unwrap();
        assert!((throughput(&merged, "d") - 20.0).abs() < 1e-9);
        assert_eq!(
            merged.metrics["load.d.errors"].value.as_ratio(),
            Ratio::new(3, 200)
        );
        assert_eq!(
            merged.metrics["load.d.latency"]
                .value
                .as_histogram()
                .unwrap()
                .len(),
            200
        );
        // The same two shards one after the other: 200 requests over 20 s, 10/s (summing the
        // rates, as vegeta#210 did, would say 20/s).
        let c = record(
            "d",
            &[200; 100],
            (2, 100),
            ("2026-12-06T10:00:10Z", "2026-12-06T10:00:20Z"),
            "c",
        );
        let merged = merge_load(&[input("a", a.clone()), input("c", c)], None).unwrap();
        assert!((throughput(&merged, "d") - 10.0).abs() < 1e-9);
        // With a gap between them, the gap is not time the load ran: still 10/s.
        let e = record(
            "d",
            &[200; 100],
            (2, 100),
            ("2026-12-06T10:01:00Z", "2026-12-06T10:01:10Z"),
            "e",
        );
        let merged = merge_load(&[input("a", a), input("e", e)], None).unwrap();
        assert!((throughput(&merged, "d") - 10.0).abs() < 1e-9);
        assert_eq!(
            merged.details["scenarios"]["d"]["intervals"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn unit_mismatch_names_the_file() {
        let a = record(
            "d",
            &[100],
            (0, 1),
            ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"),
            "a",
        );
        let mut b = record(
            "d",
            &[100],
            (0, 1),
            ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"),
            "b",
        );
        b.metrics.get_mut("load.d.latency").unwrap().unit = Unit::parse("ms");
        let error = merge_load(&[input("a.json", a), input("b.json", b)], None).unwrap_err();
        assert!(
            matches!(&error, MergeError::Unit { file, .. } if file == "b.json"),
            "{error}"
        );
    }

    #[test]
    fn scenarios_that_do_not_meet_need_a_name() {
        let a = record(
            "browse",
            &[100],
            (0, 1),
            ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"),
            "a",
        );
        let b = record(
            "default",
            &[100],
            (0, 1),
            ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"),
            "b",
        );
        let error = merge_load(&[input("a", a.clone()), input("b", b.clone())], None).unwrap_err();
        assert!(matches!(error, MergeError::Scenarios { .. }), "{error}");
        let merged = merge_load(&[input("a", a), input("b", b)], Some("all")).unwrap();
        assert_eq!(
            merged.metrics["load.all.latency"]
                .value
                .as_histogram()
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn a_metric_some_inputs_lack_is_left_out() {
        let a = record(
            "d",
            &[100],
            (0, 1),
            ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"),
            "a",
        );
        let mut h = crate::evidence::latency_histogram();
        h.record(300).unwrap();
        let log = latency_only(
            "d",
            h,
            "c".repeat(64),
            "2026-12-06T10:00:00Z".parse().unwrap(),
        );
        let merged = merge_load(&[input("a", a), input("x.hlog", log)], None).unwrap();
        assert_eq!(
            merged.metrics["load.d.latency"]
                .value
                .as_histogram()
                .unwrap()
                .len(),
            2
        );
        assert!(!merged.metrics.contains_key("load.d.errors"));
        assert!(!merged.metrics.contains_key("load.d.throughput"));
        assert!(merged.details["left_out"]["load.d.errors"].is_string());
    }

    #[test]
    fn the_same_raw_file_twice_is_refused() {
        let a = record(
            "d",
            &[100],
            (0, 1),
            ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"),
            "a",
        );
        let mut b = a.clone();
        b.collected_at = "2026-12-06T11:00:00Z".parse().unwrap();
        let error = merge_load(&[input("a", a), input("b", b)], None).unwrap_err();
        assert!(matches!(error, MergeError::Duplicate { .. }), "{error}");
    }

    proptest::proptest! {
        /// Shards of any sizes and values merge into exactly the histogram of all their
        /// samples, with the errors and requests of all of them.
        #[test]
        fn merged_histogram_is_the_histogram_of_all_samples(
            shards in proptest::collection::vec(
                proptest::collection::vec((1u64..3_600_000_000, proptest::bool::ANY), 1..200),
                1..8,
            )
        ) {
            let mut all = crate::evidence::latency_histogram();
            let mut inputs = Vec::new();
            let (mut k, mut n) = (0, 0);
            for (i, shard) in shards.iter().enumerate() {
                let values: Vec<u64> = shard.iter().map(|(v, _)| *v).collect();
                let failed = shard.iter().filter(|(_, f)| *f).count() as u64;
                for v in &values {
                    all.record(*v).unwrap();
                }
                k += failed;
                n += shard.len() as u64;
                let sha = format!("{:064x}", i);
                let mut r = record("d", &values, (failed, shard.len() as u64), ("2026-12-06T10:00:00Z", "2026-12-06T10:00:10Z"), "x");
                r.sha256 = sha;
                inputs.push(input(&format!("shard-{i}"), r));
            }
            let merged = merge_load(&inputs, None).unwrap();
            let h = merged.metrics["load.d.latency"].value.as_histogram().unwrap();
            proptest::prop_assert_eq!(h.len(), all.len());
            for v in all.iter_recorded() {
                proptest::prop_assert_eq!(h.count_at(v.value_iterated_to()), v.count_at_value());
            }
            proptest::prop_assert_eq!(h.max(), all.max());
            proptest::prop_assert_eq!(h.min(), all.min());
            proptest::prop_assert_eq!(merged.metrics["load.d.errors"].value.as_ratio(), Ratio::new(k, n));
        }
    }
}
