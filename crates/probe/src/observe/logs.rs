//! Structured-log checks (spec O-17, O-18): how many non-empty lines are JSON objects, and how
//! many of those carry every required field. Streams any reader line by line; a line longer
//! than [`MAX_LOG_LINE_BYTES`] counts as unstructured and is skipped, never buffered whole.
//!
//! A required field is a *group* of accepted spellings, matched as a top-level key or as a
//! dotted path into nested objects (`log.level` matches `{"log":{"level":"info"}}`):
//!
//! | group        | accepted keys                                                        |
//! |--------------|----------------------------------------------------------------------|
//! | `timestamp`  | `timestamp`, `time`, `ts`, `@timestamp`, `Timestamp`                 |
//! | `level`      | `level`, `severity`, `SeverityText`, `log.level`, `lvl`              |
//! | `message`    | `message`, `msg`, `fields.message`, `Body`                           |
//! | `request_id` | `request_id`, `requestId`, `req_id`, `x_request_id`, `trace_id`, `traceId` |
//! | other name   | exactly that key or dotted path                                      |
//!
//! Results are ratios: `observe.logs.structured` = JSON-object lines of non-empty lines,
//! `observe.logs.fields` = lines with every required field of JSON-object lines.

use std::collections::BTreeMap;
use std::io::BufRead;

use gonogo_core::evidence::{Evidence, Metric, Ratio, Sha256Stream, Source, Tool};
use gonogo_core::units::Unit;
use jiff::Timestamp;
use serde::Serialize;

/// Longer lines count as unstructured.
pub const MAX_LOG_LINE_BYTES: usize = 1 << 20;

/// The default required field groups.
pub const DEFAULT_FIELDS: &[&str] = &["timestamp", "level", "message", "request_id"];

fn aliases(group: &str) -> Vec<&str> {
    match group {
        "timestamp" => vec!["timestamp", "time", "ts", "@timestamp", "Timestamp"],
        "level" => vec!["level", "severity", "SeverityText", "log.level", "lvl"],
        "message" => vec!["message", "msg", "fields.message", "Body"],
        "request_id" => vec![
            "request_id",
            "requestId",
            "req_id",
            "x_request_id",
            "trace_id",
            "traceId",
        ],
        other => vec![other],
    }
}

/// What the log check found.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LogReport {
    pub lines: u64,
    pub non_empty_lines: u64,
    pub json_lines: u64,
    pub lines_with_fields: u64,
    pub required_fields: Vec<String>,
    /// Per required group, how many JSON lines lack it.
    pub missing: BTreeMap<String, u64>,
    pub first_unstructured: Option<LineExcerpt>,
    pub first_missing_fields: Option<LineExcerpt>,
    #[serde(skip)]
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineExcerpt {
    pub line: u64,
    pub excerpt: String,
    pub missing: Vec<String>,
}

fn lookup<'a>(object: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    if let Some(value) = object.get(key) {
        return Some(value);
    }
    let mut current = object;
    for part in key.split('.') {
        current = current.get(part)?;
    }
    Some(current)
}

fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(160)]);
    text.trim_end().to_string()
}

/// Checks a log stream. `skip_first` lines (start-up output) are read but not counted.
pub fn check_logs<R: BufRead>(
    mut reader: R,
    required: &[String],
    skip_first: u64,
) -> std::io::Result<LogReport> {
    let groups: Vec<(String, Vec<&str>)> =
        required.iter().map(|g| (g.clone(), aliases(g))).collect();
    let mut report = LogReport {
        required_fields: required.to_vec(),
        ..LogReport::default()
    };
    for (group, _) in &groups {
        report.missing.insert(group.clone(), 0);
    }
    let mut hash = Sha256Stream::new();
    let mut line = Vec::with_capacity(512);
    loop {
        line.clear();
        let (n_read, overlong) = read_bounded_line(&mut reader, &mut line, &mut hash)?;
        if n_read == 0 {
            break;
        }
        report.lines += 1;
        if report.lines <= skip_first {
            continue;
        }
        let content = trim_line(&line);
        if content.is_empty() && !overlong {
            continue;
        }
        report.non_empty_lines += 1;
        let parsed: Option<serde_json::Value> = if overlong {
            None
        } else {
            serde_json::from_slice(content)
                .ok()
                .filter(|v: &serde_json::Value| v.is_object())
        };
        let Some(object) = parsed else {
            if report.first_unstructured.is_none() {
                report.first_unstructured = Some(LineExcerpt {
                    line: report.lines,
                    excerpt: excerpt(content),
                    missing: Vec::new(),
                });
            }
            continue;
        };
        report.json_lines += 1;
        let mut missing = Vec::new();
        for (group, keys) in &groups {
            if !keys.iter().any(|key| lookup(&object, key).is_some()) {
                missing.push(group.clone());
                *report.missing.get_mut(group).expect("inserted above") += 1;
            }
        }
        if missing.is_empty() {
            report.lines_with_fields += 1;
        } else if report.first_missing_fields.is_none() {
            report.first_missing_fields = Some(LineExcerpt {
                line: report.lines,
                excerpt: excerpt(content),
                missing,
            });
        }
    }
    report.sha256 = hash.finish();
    Ok(report)
}

fn trim_line(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    &line[..end]
}

/// Reads one line, keeping at most [`MAX_LOG_LINE_BYTES`]; returns bytes read and whether
/// the line was cut.
fn read_bounded_line<R: BufRead>(
    reader: &mut R,
    line: &mut Vec<u8>,
    hash: &mut Sha256Stream,
) -> std::io::Result<(usize, bool)> {
    let mut n_read = 0;
    let mut overlong = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok((n_read, overlong));
        }
        let (taken, done) = match available.iter().position(|&b| b == b'\n') {
            Some(index) => (index + 1, true),
            None => (available.len(), false),
        };
        hash.update(&available[..taken]);
        let room = MAX_LOG_LINE_BYTES.saturating_sub(line.len());
        if taken > room {
            overlong = true;
        }
        line.extend_from_slice(&available[..taken.min(room)]);
        reader.consume(taken);
        n_read += taken;
        if done {
            return Ok((n_read, overlong));
        }
    }
}

/// The `observe` evidence of a log check. `sha256` is of the log bytes read.
pub fn logs_evidence(report: &LogReport, source: Source, now: Timestamp) -> Evidence {
    let mut evidence = Evidence::new(
        "observe",
        source,
        report.sha256.clone(),
        now,
        Tool::new("gonogo", env!("CARGO_PKG_VERSION")),
    );
    evidence.insert(
        "observe.logs.structured",
        Metric::ratio(
            Ratio::new(report.json_lines, report.non_empty_lines).expect("json <= non-empty"),
            Unit::count("lines"),
        ),
    );
    evidence.insert(
        "observe.logs.fields",
        Metric::ratio(
            Ratio::new(report.lines_with_fields, report.json_lines).expect("with fields <= json"),
            Unit::count("lines"),
        ),
    );
    evidence.details = serde_json::to_value(report).expect("serialisable");
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_structured_lines_and_required_fields() {
        let log = concat!(
            "starting up\n",
            "{\"ts\":\"2026-11-25T12:00:00Z\",\"level\":\"info\",\"msg\":\"ready\",\"request_id\":\"a\"}\n",
            "\n",
            "{\"time\":1,\"log\":{\"level\":\"warn\"},\"message\":\"slow\"}\n",
            "[1,2]\n",
            "Traceback (most recent call last):\n",
        );
        let fields: Vec<String> = DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect();
        let report = check_logs(log.as_bytes(), &fields, 0).unwrap();
        assert_eq!(report.non_empty_lines, 5);
        assert_eq!(report.json_lines, 2);
        assert_eq!(report.lines_with_fields, 1);
        assert_eq!(report.missing["request_id"], 1);
        assert_eq!(report.first_unstructured.as_ref().unwrap().line, 1);
        assert_eq!(report.first_missing_fields.as_ref().unwrap().line, 4);
        let skipped = check_logs(log.as_bytes(), &fields, 1).unwrap();
        assert_eq!(skipped.non_empty_lines, 4);
        let evidence = logs_evidence(
            &report,
            Source::File("app.log".into()),
            Timestamp::UNIX_EPOCH,
        );
        assert_eq!(
            evidence.metrics["observe.logs.structured"].value.as_ratio(),
            Ratio::new(2, 5)
        );
    }
}
