//! A load run as evidence, and as the `--json` result document.
//!
//! [`to_evidence`] builds one `gonogo_core` record of kind `load` with the catalogue metrics
//! (`<name>` from `--name`, `default` unless given):
//!
//! | metric                     | shape        | meaning                                                   |
//! |----------------------------|--------------|-----------------------------------------------------------|
//! | `load.<name>.latency`      | distribution | µs, from the intended start (open) or the send (closed)   |
//! | `load.<name>.errors`       | ratio        | failed requests (any class, dropped and interrupted too)  |
//! | `load.<name>.status_4xx`   | ratio        | responses with a 4xx status (429 included)                |
//! | `load.<name>.status_5xx`   | ratio        | responses with a 5xx status                               |
//! | `load.<name>.rate_limited` | ratio        | 429, or 503 with `Retry-After`                            |
//! | `load.<name>.dropped`      | ratio        | due requests never sent (in-flight cap reached)           |
//! | `load.<name>.throughput`   | value, 1/s   | answered requests per second of the run                   |
//! | `load.<name>.requests`     | value        | answered requests (completed, refused connections not)    |
//!
//! Every ratio has the same `n`: the requests that were due (completed + dropped + interrupted).
//!
//! With a leak scan (`gonogo run` during drills: harden's detector of stack traces, database
//! errors and versions in error bodies, HTTP/1.1 only):
//!
//! | metric                     | shape        | meaning                                                   |
//! |----------------------------|--------------|-----------------------------------------------------------|
//! | `load.<name>.leaks`        | ratio        | responses with status >= 400 whose body leaked, of responses |
//!
//! During drills (`gonogo run` with `[[fault]]`), each phase `P` (`before`, `during:FAULT`,
//! `after`) adds `load.<name>.latency[P]`, `load.<name>.errors[P]` (of the requests due in
//! the phase) and, with a leak scan, `load.<name>.leaks[P]`: requests are placed by their
//! intended start (open model) or send (closed model), as probes place attempts.
//!
//! With `--urls`, each entry `N` (1 for the file's first entry, in file order) adds:
//!
//! | metric                          | shape        | meaning                                              |
//! |---------------------------------|--------------|------------------------------------------------------|
//! | `load.<name>.url.<N>.latency`   | distribution | µs, as `latency`, at 2 significant digits (1 %)      |
//! | `load.<name>.url.<N>.errors`    | ratio        | the entry's failed requests, of its requests due     |
//!
//! `details` (for report charts; the decision never reads it) holds the configuration, the
//! status and error class counts, latency and service-time percentiles, when rate limiting began
//! and the per-second series; with `--urls` also `urls_file` and `urls`, one object per entry
//! (weight, method, URL, request counts, status classes, error classes, latency percentiles;
//! `url` is then the origin and `method` is `null`). Its `result_version` is 1; fields are only
//! ever added.
//!
//! `sha256` is the SHA-256 of the canonical (compact, key-sorted) JSON of `details` followed by
//! a newline and the V2 base64 encoding of the latency histogram: the configuration and results
//! that the record summarises, so two records of the same run hash alike.

use std::collections::BTreeMap;

use gonogo_core::evidence::{Evidence, Metric, NoteCode, Ratio, Source, Tool};
use gonogo_core::units::Unit;
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::engine::{LoadConfig, Model, RunResult, StopReason};
use crate::error_class::ErrorClass;
use crate::stats::{EntryTotals, STATUS_CLASSES};

/// The note carried by closed-model latency metrics.
pub const CLOSED_MODEL_NOTE: &str = "closed model: latency is timed from the actual send, so a stalled server also stalls the generator and the stall is under-counted (coordinated omission); use --rate for an open model";

/// The percentiles shown in summaries and details.
pub const PERCENTILES: [(&str, f64); 6] = [
    ("p50", 50.0),
    ("p90", 90.0),
    ("p95", 95.0),
    ("p99", 99.0),
    ("p99_9", 99.9),
    ("max", 100.0),
];

/// Percentiles of a microsecond histogram as a JSON object (`null` when empty).
pub fn percentiles_json(histogram: &Histogram<u64>) -> Value {
    if histogram.is_empty() {
        return Value::Null;
    }
    let mut object = serde_json::Map::new();
    for (label, percentile) in PERCENTILES {
        let value = if percentile >= 100.0 {
            histogram.max()
        } else {
            histogram.value_at_percentile(percentile)
        };
        object.insert(label.to_owned(), json!(value));
    }
    object.insert("min".to_owned(), json!(histogram.min()));
    object.insert(
        "mean".to_owned(),
        json!((histogram.mean() * 10.0).round() / 10.0),
    );
    object.insert("count".to_owned(), json!(histogram.len()));
    Value::Object(object)
}

/// The method of entry `entry` (0 for a single URL: the first word of its request).
pub fn request_method(config: &LoadConfig, entry: usize) -> String {
    match &config.url_list {
        Some(list) => list.entries[entry].method.clone(),
        None => String::from_utf8_lossy(
            config.requests[entry]
                .bytes
                .split(|&b| b == b' ')
                .next()
                .unwrap_or_default(),
        )
        .into_owned(),
    }
}

/// The URL a run's evidence names as its source: the URL, or with `--urls` the origin all the
/// entries share (`http://127.0.0.1:8080`).
pub fn source_url(config: &LoadConfig) -> String {
    match &config.url_list {
        None => config.target.url.clone(),
        Some(_) => {
            let scheme = match config.target.scheme {
                crate::target::Scheme::Http => "http",
                crate::target::Scheme::Https => "https",
                crate::target::Scheme::ZmqTcp => "zmq+tcp",
            };
            format!("{scheme}://{}", config.target.authority)
        }
    }
}

/// The per-entry objects of `details.urls` (`None` without `--urls`).
fn entries_json(result: &RunResult, config: &LoadConfig) -> Option<Vec<Value>> {
    let list = config.url_list.as_ref()?;
    let empty = EntryTotals::empty();
    Some(
        list.entries
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                let totals = result.totals.per_entry.get(index).unwrap_or(&empty);
                let status_classes: serde_json::Map<String, Value> = STATUS_CLASSES
                    .iter()
                    .zip(totals.status_classes)
                    .filter(|(_, count)| *count > 0)
                    .map(|(class, count)| ((*class).to_owned(), json!(count)))
                    .collect();
                json!({
                    "entry": index + 1,
                    "line": entry.line,
                    "weight": entry.weight,
                    "method": entry.method,
                    "url": entry.target.url,
                    "path": entry.target.path_and_query,
                    "requests": {
                        "due": totals.n_issued(),
                        "completed": totals.n_completed,
                        "dropped": totals.n_dropped,
                        "interrupted": totals.n_interrupted,
                        "errors": totals.n_failed(),
                    },
                    "status_classes": status_classes,
                    "error_counts": error_counts_json(&totals.error_counts),
                    "latency_us": percentiles_json(&totals.latency),
                })
            })
            .collect(),
    )
}

/// Error counts by their stable codes (`connect_refused`, `http_5xx`, ...).
fn error_counts_json(counts: &BTreeMap<ErrorClass, u64>) -> serde_json::Map<String, Value> {
    counts
        .iter()
        .map(|(class, count)| (class.code().to_owned(), json!(count)))
        .collect()
}

/// The run's configuration and results as the `details` object.
pub fn details(result: &RunResult, config: &LoadConfig, name: &str) -> Value {
    let totals = &result.totals;
    let (model, model_fields) = match &config.model {
        Model::Closed { concurrency } => ("closed", json!({ "concurrency": concurrency })),
        Model::Open {
            schedule,
            max_in_flight,
            connections,
            timer_resolution,
        } => (
            "open",
            json!({
                "timer_resolution_us": timer_resolution.as_micros() as u64,
                "rate_at_start": schedule.rate_at(0.0),
                "max_in_flight": max_in_flight,
                "connections": connections,
                "planned_requests": schedule.total_arrivals(),
            }),
        ),
    };
    let status_counts: serde_json::Map<String, Value> = totals
        .status_counts
        .iter()
        .map(|(status, count)| (status.to_string(), json!(count)))
        .collect();
    let series: Vec<Value> = result
        .series
        .iter()
        .map(|point| {
            json!({
                "second": point.second,
                "completed": point.completed,
                "errors": point.errors,
                "p50_us": point.p50_us,
                "p99_us": point.p99_us,
            })
        })
        .collect();
    json!({
        "result_version": 1,
        "name": name,
        "url": source_url(config),
        "method": if config.url_list.is_some() { Value::Null } else { Value::from(request_method(config, 0)) },
        "model": model,
        "protocol": if config.zmq.is_some() { "zmq-req" } else if config.http2.is_some() { "h2" } else { "http/1.1" },
        "tls": config.tls.is_some(),
        "model_settings": model_fields,
        "started_at": result.started_at.to_string(),
        "planned_duration_s": config.duration.as_secs_f64(),
        "elapsed_s": result.elapsed.as_secs_f64(),
        "max_requests": config.max_requests,
        "timeout_ms": config.timeout.as_millis() as u64,
        "threads": config.threads,
        "stop_reason": match result.stop_reason { StopReason::Completed => "completed", StopReason::Interrupted => "interrupted", StopReason::Refused => "refused" },
        "requests": {
            "due": totals.n_issued(),
            "completed": totals.n_completed,
            "answered": totals.n_answered(),
            "refused": totals.n_refused(),
            "dropped": totals.n_dropped,
            "interrupted": totals.n_interrupted,
            "errors": errors_including_interrupted(result),
            "sent_late": totals.n_late_sends,
        },
        "throughput_per_s": throughput(result),
        "status_counts": status_counts,
        "error_counts": error_counts_json(&totals.error_counts),
        "rate_limited_since_s": totals.first_rate_limited.map(|d| d.as_secs_f64()),
        "latency_us": percentiles_json(&totals.latency),
        "latency_timed_from": if model == "open" { "intended start" } else { "send" },
        "service_time_us": percentiles_json(&totals.service_time),
        "coordinated_omission_note": if model == "closed" { Value::from(CLOSED_MODEL_NOTE) } else { Value::Null },
        "series": series,
        "urls_file": config.url_list.as_ref().map(|list| list.path.display().to_string()),
        "urls": entries_json(result, config),
        "drill_phases": phases_json(result, config),
    })
}

/// During drills: each phase's window and figures (the record's `[P]` metrics), so the
/// record's SHA-256 covers them; `null` outside a drill.
fn phases_json(result: &RunResult, config: &LoadConfig) -> Value {
    if config.phases.is_empty() {
        return Value::Null;
    }
    let windows: Vec<Value> = config
        .phases
        .iter()
        .map(|w| json!({"name": w.name, "start": w.start.to_string(), "end": w.end.to_string()}))
        .collect();
    let figures: Vec<Value> = result
        .totals
        .per_phase
        .iter()
        .map(|(suffix, phase)| {
            json!({
                "phase": suffix,
                "due": phase.n_issued(),
                "errors": phase.n_errors(),
                "responses": phase.n_responses,
                "leaks": config.leak_scan.as_ref().map(|_| phase.n_leaks),
                "latency_us": percentiles_json(&phase.latency),
            })
        })
        .collect();
    json!({"windows": windows, "figures": figures})
}

fn errors_including_interrupted(result: &RunResult) -> u64 {
    result.totals.n_errors() + result.totals.n_interrupted
}

/// Answered requests per second of elapsed run time: a refused connection is not throughput.
pub fn throughput(result: &RunResult) -> f64 {
    let seconds = result.elapsed.as_secs_f64();
    if seconds > 0.0 {
        result.totals.n_answered() as f64 / seconds
    } else {
        0.0
    }
}

/// The run as one evidence record (see the module doc for the metrics).
pub fn to_evidence(result: &RunResult, config: &LoadConfig, name: &str) -> Evidence {
    let details = details(result, config, name);
    let totals = &result.totals;
    let encoded = gonogo_core::wire::encode_histogram(&totals.latency);
    let mut canonical = serde_json::to_string(&details).expect("details serialise");
    canonical.push('\n');
    canonical.push_str(&encoded);
    let sha256 = gonogo_core::evidence::sha256_hex(canonical.as_bytes());
    let mut record = Evidence::new(
        "load",
        Source::Url(source_url(config)),
        sha256,
        result.started_at,
        Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
    );
    let n = totals.n_issued();
    let requests = Unit::count("requests");
    let ratio = |k: u64| Ratio::new(k.min(n), n).expect("k clamped to n");
    let mut latency = Metric::distribution(totals.latency.clone(), Unit::parse("us"));
    if matches!(config.model, Model::Closed { .. }) {
        latency = latency.with_coded_note(CLOSED_MODEL_NOTE, NoteCode::new("load.closed_model"));
    }
    let metric = |suffix: &str| format!("load.{name}.{suffix}");
    record.insert(metric("latency"), latency);
    record.insert(
        metric("errors"),
        Metric::ratio(
            ratio(errors_including_interrupted(result)),
            requests.clone(),
        ),
    );
    record.insert(
        metric("status_4xx"),
        Metric::ratio(ratio(totals.statuses_in(400..500)), requests.clone()),
    );
    record.insert(
        metric("status_5xx"),
        Metric::ratio(ratio(totals.statuses_in(500..600)), requests.clone()),
    );
    record.insert(
        metric("rate_limited"),
        Metric::ratio(
            ratio(totals.errors_of(crate::error_class::ErrorClass::RateLimited)),
            requests.clone(),
        ),
    );
    record.insert(
        metric("dropped"),
        Metric::ratio(ratio(totals.n_dropped), requests.clone()),
    );
    record.insert(
        metric("throughput"),
        Metric::value(throughput(result), Unit::PerSecond),
    );
    record.insert(
        metric("requests"),
        Metric::value(totals.n_answered() as f64, requests.clone()),
    );
    if config.url_list.is_some() {
        for (index, entry) in totals.per_entry.iter().enumerate() {
            let url_metric = |suffix: &str| format!("load.{name}.url.{}.{suffix}", index + 1);
            let due = entry.n_issued();
            let failed = entry.n_failed().min(due);
            let mut latency = Metric::distribution(entry.latency.clone(), Unit::parse("us"));
            if matches!(config.model, Model::Closed { .. }) {
                latency =
                    latency.with_coded_note(CLOSED_MODEL_NOTE, NoteCode::new("load.closed_model"));
            }
            record.insert(url_metric("latency"), latency);
            record.insert(
                url_metric("errors"),
                Metric::ratio(
                    Ratio::new(failed, due).expect("failed clamped to due"),
                    requests.clone(),
                ),
            );
        }
    }
    if config.leak_scan.is_some() {
        let responses: u64 = totals.status_counts.values().sum();
        record.insert(
            metric("leaks"),
            Metric::ratio(
                Ratio::new(totals.n_leaks.min(responses), responses)
                    .expect("leaks clamped to responses"),
                Unit::count("responses"),
            )
            .with_coded_note(
                "error bodies that showed a stack trace, a database error or a version",
                NoteCode::new("load.leaks"),
            ),
        );
    }
    for (suffix, phase) in &totals.per_phase {
        let n = phase.n_issued();
        if n == 0 {
            continue;
        }
        let phase_metric = |base: &str| format!("load.{name}.{base}[{suffix}]");
        let mut latency = Metric::distribution(phase.latency.clone(), Unit::parse("us"));
        if matches!(config.model, Model::Closed { .. }) {
            latency =
                latency.with_coded_note(CLOSED_MODEL_NOTE, NoteCode::new("load.closed_model"));
        }
        if !phase.latency.is_empty() {
            record.insert(phase_metric("latency"), latency);
        }
        record.insert(
            phase_metric("errors"),
            Metric::ratio(
                Ratio::new(phase.n_errors().min(n), n).expect("errors clamped to due"),
                requests.clone(),
            ),
        );
        if config.leak_scan.is_some() && phase.n_responses > 0 {
            record.insert(
                phase_metric("leaks"),
                Metric::ratio(
                    Ratio::new(phase.n_leaks.min(phase.n_responses), phase.n_responses)
                        .expect("leaks clamped to responses"),
                    Unit::count("responses"),
                ),
            );
        }
    }
    record.details = details;
    record
}

/// Checks a scenario name: letters, digits, `_` and `-`, so metric names stay one segment.
pub fn validate_name(name: &str) -> Result<(), String> {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid scenario name: use letters, digits, `_` and `-` (it becomes the middle of `load.<name>.latency`)"
        ))
    }
}
