//! The terminal summary printed on stderr after a run, in the spirit of oha and k6.
//!
//! [`render`] returns plain text (no colour codes, so it reads the same in a CI log): the
//! configuration line, request counts, throughput, latency percentiles (p50 to max) with the
//! service time beside them in the open model, a small log-scale latency histogram, status
//! codes, error classes with their share, when rate limiting began, with `--urls` a table per
//! URL (when there is more than one), and for the closed model the coordinated-omission note.

use std::fmt::Write as _;

use hdrhistogram::Histogram;

use crate::engine::{LoadConfig, Model, RunResult, StopReason};
use crate::evidence::{CLOSED_MODEL_NOTE, PERCENTILES, request_method, source_url, throughput};
use crate::stats::EntryTotals;

/// Formats microseconds for people: `850 µs`, `12.3 ms`, `1.20 s`.
pub fn format_micros(micros: u64) -> String {
    if micros < 1_000 {
        format!("{micros} µs")
    } else if micros < 10_000 {
        format!("{:.2} ms", micros as f64 / 1e3)
    } else if micros < 1_000_000 {
        format!("{:.1} ms", micros as f64 / 1e3)
    } else {
        format!("{:.2} s", micros as f64 / 1e6)
    }
}

fn percentile(histogram: &Histogram<u64>, percent: f64) -> u64 {
    if percent >= 100.0 {
        histogram.max()
    } else {
        histogram.value_at_percentile(percent)
    }
}

/// Describes the model in one line.
pub fn describe_model(config: &LoadConfig) -> String {
    match &config.model {
        Model::Closed { concurrency } => format!("closed model, {concurrency} connections"),
        Model::Open {
            schedule,
            max_in_flight,
            connections,
            ..
        } => {
            let start_rate = schedule.rate_at(0.0);
            let duration = schedule.duration().min(config.duration).as_secs_f64();
            format!(
                "open model, {} requests due over {duration:.1}s (starting at {start_rate:.0}/s), at most {max_in_flight} in flight on up to {connections} connections",
                schedule.total_arrivals()
            )
        }
    }
}

/// The summary text.
pub fn render(result: &RunResult, config: &LoadConfig, name: &str) -> String {
    let totals = &result.totals;
    let mut out = String::new();
    match &config.url_list {
        None => {
            let _ = writeln!(
                out,
                "gonogo load `{name}`  {} {}",
                request_method(config, 0),
                config.target.url
            );
        }
        Some(list) => {
            let _ = writeln!(
                out,
                "gonogo load `{name}`  {} URL(s) from {} on {}",
                list.entries.len(),
                list.path.display(),
                source_url(config)
            );
        }
    }
    let protocol = if config.http2.is_some() {
        "HTTP/2"
    } else {
        "HTTP/1.1"
    };
    let tls = if config.tls.is_some() {
        " over TLS"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  {}, {protocol}{tls}, {} thread(s)",
        describe_model(config),
        config.threads
    );
    if result.stop_reason == StopReason::Interrupted {
        let _ = writeln!(
            out,
            "  stopped early (Ctrl-C): figures cover the part that ran"
        );
    }
    if let Some(line) = refused_line(result, config) {
        let _ = writeln!(out, "  {line}");
    }
    let refused = if totals.n_refused() > 0 {
        format!(", {} refused", totals.n_refused())
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "\nrequests    {} due, {} completed{refused}, {} dropped, {} interrupted, in {:.2}s",
        totals.n_issued(),
        totals.n_answered(),
        totals.n_dropped,
        totals.n_interrupted,
        result.elapsed.as_secs_f64()
    );
    let _ = writeln!(out, "throughput  {:.1} requests/s", throughput(result));
    let open = matches!(config.model, Model::Open { .. });
    if totals.latency.is_empty() {
        let _ = writeln!(out, "latency     no request got a response");
    } else {
        let from = if open {
            "from the intended start"
        } else {
            "from the send"
        };
        let _ = writeln!(
            out,
            "\nlatency ({from}){}",
            if open {
                "   [service time, from the actual send]"
            } else {
                ""
            }
        );
        for (label, percent) in PERCENTILES {
            let label = label.replace('_', ".");
            let mut line = format!(
                "  {label:<6} {:>10}",
                format_micros(percentile(&totals.latency, percent))
            );
            if open && !totals.service_time.is_empty() {
                let _ = write!(
                    line,
                    "   [{:>10}]",
                    format_micros(percentile(&totals.service_time, percent))
                );
            }
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "\nlatency histogram");
        out.push_str(&render_histogram(&totals.latency, 8, 40));
    }
    if !totals.status_counts.is_empty() {
        let codes: Vec<String> = totals
            .status_counts
            .iter()
            .map(|(s, c)| format!("{s}: {c}"))
            .collect();
        let _ = writeln!(out, "\nstatus codes  {}", codes.join(", "));
    }
    let n = totals.n_issued().max(1) as f64;
    if totals.error_counts.is_empty() && totals.n_interrupted == 0 {
        let _ = writeln!(out, "errors        none");
    } else {
        let mut classes: Vec<String> = totals
            .error_counts
            .iter()
            .map(|(class, count)| format!("{class}: {count} ({:.2}%)", *count as f64 / n * 100.0))
            .collect();
        if totals.n_interrupted > 0 {
            classes.push(format!("interrupted: {}", totals.n_interrupted));
        }
        let _ = writeln!(out, "errors        {}", classes.join(", "));
    }
    if config.entry_count() > 1 {
        out.push_str(&render_url_table(result, config));
    }
    if let Some(since) = totals.first_rate_limited {
        let _ = writeln!(
            out,
            "rate limited  since {:.2}s into the run",
            since.as_secs_f64()
        );
    }
    if !open {
        let _ = writeln!(out, "\nnote: {CLOSED_MODEL_NOTE}");
    }
    if open && totals.n_late_sends * 100 > totals.n_issued() {
        let _ = writeln!(
            out,
            "\nnote: {} requests were sent more than 1 ms after their intended start (all connections busy, or the generator short of CPU); their wait is in the latency. If the service time is much lower than the latency outside a stall, raise --connections or --threads.",
            totals.n_late_sends
        );
    }
    out
}

/// Longest path shown in the per-URL table; longer ones are cut with `...`.
const MAX_PATH_CHARS: usize = 40;

/// The per-URL table of a `--urls` run: entry number (as in the metric names), method, path,
/// weight, requests due, errors (of those due; dropped and interrupted included), p50/p95/p99.
pub fn render_url_table(result: &RunResult, config: &LoadConfig) -> String {
    let mut out = String::new();
    let Some(list) = &config.url_list else {
        return out;
    };
    let empty = EntryTotals::empty();
    let paths: Vec<String> = list
        .entries
        .iter()
        .map(|entry| {
            let path = &entry.target.path_and_query;
            match path.char_indices().nth(MAX_PATH_CHARS - 3) {
                Some((cut, _)) if path.chars().count() > MAX_PATH_CHARS => {
                    format!("{}...", &path[..cut])
                }
                _ => path.clone(),
            }
        })
        .collect();
    let path_width = paths
        .iter()
        .map(|p| p.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let method_width = list
        .entries
        .iter()
        .map(|e| e.method.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let from = if matches!(config.model, Model::Open { .. }) {
        "latency from the intended start"
    } else {
        "latency from the send"
    };
    let _ = writeln!(out, "\nper URL ({from})");
    let _ = writeln!(
        out,
        "  {:>3}  {:<method_width$}  {:<path_width$}  {:>6}  {:>9}  {:>7}  {:>10}  {:>10}  {:>10}",
        "#", "method", "path", "weight", "requests", "errors", "p50", "p95", "p99"
    );
    for (index, (entry, path)) in list.entries.iter().zip(&paths).enumerate() {
        let totals = result.totals.per_entry.get(index).unwrap_or(&empty);
        let due = totals.n_issued();
        let errors = if due == 0 {
            "-".to_owned()
        } else {
            format!("{:.2}%", totals.n_failed() as f64 / due as f64 * 100.0)
        };
        let quantile = |percent: f64| {
            if totals.latency.is_empty() {
                "-".to_owned()
            } else {
                format_micros(percentile(&totals.latency, percent))
            }
        };
        let _ = writeln!(
            out,
            "  {:>3}  {:<method_width$}  {:<path_width$}  {:>6}  {:>9}  {:>7}  {:>10}  {:>10}  {:>10}",
            index + 1,
            entry.method,
            path,
            entry.weight,
            due,
            errors,
            quantile(50.0),
            quantile(95.0),
            quantile(99.0),
        );
    }
    out
}

/// A small histogram: `rows` log-spaced buckets from min to max, bars `width` wide.
pub fn render_histogram(histogram: &Histogram<u64>, rows: usize, width: usize) -> String {
    let mut out = String::new();
    let low = histogram.min().max(1) as f64;
    let high = histogram.max().max(1) as f64;
    let ratio = if high > low {
        (high / low).powf(1.0 / rows as f64)
    } else {
        1.0
    };
    let mut edges: Vec<u64> = (0..=rows)
        .map(|i| (low * ratio.powi(i as i32)).round() as u64)
        .collect();
    edges.dedup();
    if edges.len() < 2 {
        let _ = writeln!(
            out,
            "  {:>10} | {}",
            format_micros(histogram.max()),
            histogram.len()
        );
        return out;
    }
    let mut counts = Vec::with_capacity(edges.len());
    let mut previous_high = None;
    for window in edges.windows(2) {
        let bucket_low =
            previous_high.map_or(histogram.lowest_equivalent(window[0]), |h: u64| h + 1);
        let bucket_high = histogram.highest_equivalent(window[1]);
        let count = if bucket_low <= bucket_high {
            histogram.count_between(bucket_low, bucket_high)
        } else {
            0
        };
        previous_high = Some(bucket_high.max(previous_high.unwrap_or(0)));
        counts.push((window[1], count));
    }
    let largest = counts.iter().map(|(_, c)| *c).max().unwrap_or(1).max(1);
    for (edge, count) in counts {
        let bar = (count as f64 / largest as f64 * width as f64).ceil() as usize;
        let _ = writeln!(
            out,
            "  ≤{:>10} |{:<width$} {count}",
            format_micros(edge),
            "■".repeat(bar)
        );
    }
    out
}

/// The run in one line, as `gonogo run` prints it after each load section on a terminal:
/// answered requests, errors, p(50)/p(95)/p(99) and throughput (answered only).
pub fn one_line(result: &RunResult, name: &str) -> String {
    let totals = &result.totals;
    let errors: u64 = totals.error_counts.values().sum();
    let latency = if totals.latency.is_empty() {
        "no response".to_owned()
    } else {
        format!(
            "p(50) {}, p(95) {}, p(99) {}",
            format_micros(percentile(&totals.latency, 50.0)),
            format_micros(percentile(&totals.latency, 95.0)),
            format_micros(percentile(&totals.latency, 99.0))
        )
    };
    format!(
        "load `{name}`: {} answered in {:.1}s ({:.1}/s), {errors} errors, {latency}",
        totals.n_answered(),
        result.elapsed.as_secs_f64(),
        throughput(result)
    )
}

/// "connection refused: is the service running at …?" when no request was answered and
/// connections were refused (the run stopped after its grace period, or ran out of requests).
pub fn refused_line(result: &RunResult, config: &LoadConfig) -> Option<String> {
    let totals = &result.totals;
    if totals.n_answered() > 0 || totals.n_refused() == 0 {
        return None;
    }
    let stopped = if result.stop_reason == StopReason::Refused {
        format!(
            "; stopped after {} s instead of running the whole duration",
            crate::engine::REFUSED_GRACE.as_secs()
        )
    } else {
        String::new()
    };
    Some(format!(
        "connection refused: is the service running at {}? ({} attempts, every one refused{stopped})",
        source_url(config),
        totals.n_refused()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_micros() {
        assert_eq!(format_micros(850), "850 µs");
        assert_eq!(format_micros(1_234), "1.23 ms");
        assert_eq!(format_micros(123_400), "123.4 ms");
        assert_eq!(format_micros(2_500_000), "2.50 s");
    }

    #[test]
    fn histogram_rows_count_every_sample() {
        let mut histogram = gonogo_core::evidence::latency_histogram();
        for micros in [100u64, 120, 150, 900, 5_000, 5_000, 80_000] {
            histogram.record(micros).unwrap();
        }
        let text = render_histogram(&histogram, 6, 20);
        let total: u64 = text
            .lines()
            .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(total, 7, "{text}");
    }
}
