//! The demo target's own telemetry: request counters and latency buckets rendered as
//! Prometheus text (exposition format 0.0.4), and JSON-lines request logs.
//!
//! [`Telemetry::record`] is called once per request by the edge middleware;
//! [`Telemetry::render_metrics`] writes `/metrics`. Log lines look like
//! `{"ts":"2026-11-25T12:00:00Z","level":"info","msg":"request","method":"GET","path":"/","status":200,"duration_ms":0.412}`;
//! in hardened mode each line also carries a `request_id` (weak mode's logs cannot be joined
//! to a request: a realistic flaw `observe.logs.fields` finds).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{DemoError, Mode};

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Default)]
struct Series {
    requests: BTreeMap<(String, String, u16), u64>,
    bucket_counts: [u64; BUCKETS.len()],
    duration_sum: f64,
    duration_count: u64,
}

pub(crate) struct Telemetry {
    mode: Mode,
    series: Mutex<Series>,
    pub(crate) login_attempts: AtomicU64,
    /// Requests logged, for hardened mode's request ids.
    logged: AtomicU64,
    log: Option<Mutex<std::fs::File>>,
}

impl Telemetry {
    pub(crate) fn new(mode: Mode, log_path: Option<&Path>) -> Result<Telemetry, DemoError> {
        let log = match log_path {
            None => None,
            Some(path) => {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| DemoError::LogFile {
                        path: path.to_owned(),
                        source,
                    })?;
                if mode == Mode::Weak {
                    // The weak service's logger prints a banner first: a line no JSON reader
                    // can parse.
                    let _ = writeln!(file, "gonogo demo target starting (weak mode)");
                }
                Some(Mutex::new(file))
            }
        };
        Ok(Telemetry {
            mode,
            series: Mutex::new(Series::default()),
            login_attempts: AtomicU64::new(0),
            logged: AtomicU64::new(0),
            log,
        })
    }

    pub(crate) fn record(&self, method: &str, route: &str, path: &str, status: u16, seconds: f64) {
        {
            let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
            *series
                .requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
            for (bucket, upper) in BUCKETS.iter().enumerate() {
                if seconds <= *upper {
                    series.bucket_counts[bucket] += 1;
                }
            }
            series.duration_sum += seconds;
            series.duration_count += 1;
        }
        if let Some(log) = &self.log {
            let level = if status >= 500 { "error" } else { "info" };
            let mut line = serde_json::json!({
                "ts": jiff::Timestamp::now().to_string(),
                "level": level,
                "msg": "request",
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": (seconds * 1e6).round() / 1e3,
            });
            if self.mode == Mode::Hardened {
                let id = self.logged.fetch_add(1, Ordering::Relaxed);
                line["request_id"] = serde_json::json!(format!("req-{id:016x}"));
            }
            let mut file = log.lock().unwrap_or_else(|e| e.into_inner());
            let _ = writeln!(file, "{line}");
        }
    }

    pub(crate) fn render_metrics(&self, dependency_up: bool) -> String {
        let series = self.series.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        out.push_str(
            "# HELP http_requests_total HTTP requests answered, by method, route and status.\n",
        );
        out.push_str("# TYPE http_requests_total counter\n");
        for ((method, route, status), count) in &series.requests {
            let _ = writeln!(
                out,
                "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape_label(route)
            );
        }
        out.push_str("# HELP http_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (bucket, upper) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{le=\"{upper}\"}} {}",
                series.bucket_counts[bucket]
            );
        }
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            series.duration_count
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum {}",
            series.duration_sum
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_count {}",
            series.duration_count
        );
        let login_attempts = self.login_attempts.load(Ordering::Relaxed);
        // The weak service names its counter without the `_total` suffix: a lint problem.
        let login_name = match self.mode {
            Mode::Weak => "demo_login_attempts",
            Mode::Hardened => "demo_login_attempts_total",
        };
        let _ = writeln!(
            out,
            "# HELP {login_name} Login attempts, successful or not."
        );
        let _ = writeln!(out, "# TYPE {login_name} counter");
        let _ = writeln!(out, "{login_name} {login_attempts}");
        out.push_str(
            "# HELP demo_dependency_up Whether the database dependency answers (1) or not (0).\n",
        );
        out.push_str("# TYPE demo_dependency_up gauge\n");
        let _ = writeln!(out, "demo_dependency_up {}", u8::from(dependency_up));
        out
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
