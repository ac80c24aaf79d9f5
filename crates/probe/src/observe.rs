//! `observe`: is the service observable? Parses and lints a `/metrics` exposition (from a
//! URL or a saved file), checks required series, and measures how structured a log is; each
//! result becomes one `observe` [`Evidence`] record.
//!
//! - [`observe_file`] streams a saved exposition through [`crate::lint`] while hashing it.
//! - [`observe_url`] scrapes `GET <base><path>` with Prometheus' `Accept` header over a fresh
//!   connection, picks the dialect from `Content-Type`, decodes gzip, and streams the body
//!   into the parser on a blocking thread: the body is never held in memory.
//! - [`metrics_evidence`] turns a [`LintReport`] into evidence: `observe.metrics.problems`
//!   (a value) and `observe.metrics.required` (present of required, a ratio; absent when
//!   nothing is required). `details` lists every kept problem with its line.
//! - [`counters`]: counters must not decrease between two scrapes (`--rescrape-after`).
//! - [`health`]: health endpoints exist and answer consistently (`observe.health.ok`).
//! - [`logs`]: JSON-lines checks (`observe.logs.structured`, `observe.logs.fields`).
//!
//! Provenance: `sha256` is the SHA-256 of the exposition bytes exactly as parsed (after gzip
//! decoding for a scrape).

pub mod counters;
pub mod health;
pub mod logs;

use std::io::{BufReader, Read};
use std::time::Duration;

use futures_util::TryStreamExt;
use gonogo_core::evidence::{Evidence, Metric, Ratio, Sha256Stream, Source, Tool};
use gonogo_core::units::Unit;
use http_body_util::BodyExt;
use jiff::Timestamp;

use crate::exposition::{FamilyMeta, Format, ParseError, Sample, StructureProblem, Visitor, parse};
use crate::lint::{LintReport, Linter, lint};
use crate::net::{self, HostPolicy, HttpRequest, Target, Timeouts, TlsSettings};
use counters::CounterTracker;

/// Prometheus' scrape `Accept` header (OpenMetrics preferred, then the text format).
pub const SCRAPE_ACCEPT: &str =
    "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// The most bytes of a scraped body read, before and after gzip decoding (512 MiB: a
/// `/metrics` of several million series). A longer body is an error, not a partial report.
pub const MAX_SCRAPE_BYTES: u64 = 512 << 20;

/// What cut a scraped body short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyLimit {
    Time,
    Bytes,
}

/// The body's data stream, ended with an error at the scrape's deadline or past
/// [`MAX_SCRAPE_BYTES`]: a server that sends forever, or slowly, or stalls, cannot keep the
/// parser thread (and so the process) alive past `--timeout`.
struct BoundedBody {
    inner:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send>>,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    bytes: u64,
    stopped: std::sync::Arc<std::sync::Mutex<Option<BodyLimit>>>,
    done: bool,
}

impl BoundedBody {
    fn stop(&mut self, why: BodyLimit) -> Option<std::io::Result<bytes::Bytes>> {
        self.done = true;
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        let (kind, message) = match why {
            BodyLimit::Time => (std::io::ErrorKind::TimedOut, "the scrape's deadline passed"),
            BodyLimit::Bytes => (std::io::ErrorKind::FileTooLarge, "the body is too large"),
        };
        Some(Err(std::io::Error::new(kind, message)))
    }
}

impl futures_util::Stream for BoundedBody {
    type Item = std::io::Result<bytes::Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if self.done {
            return Poll::Ready(None);
        }
        if self.deadline.as_mut().poll(context).is_ready() {
            return Poll::Ready(self.stop(BodyLimit::Time));
        }
        match self.inner.as_mut().poll_next(context) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.bytes += chunk.len() as u64;
                if self.bytes > MAX_SCRAPE_BYTES {
                    return Poll::Ready(self.stop(BodyLimit::Bytes));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            other => other,
        }
    }
}

/// A reader that errors past `left` bytes (the gzip-decoded body: a small compressed body may
/// decode to gigabytes).
struct LimitedRead<R> {
    inner: R,
    left: u64,
    stopped: std::sync::Arc<std::sync::Mutex<Option<BodyLimit>>>,
}

impl<R: Read> Read for LimitedRead<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        if n as u64 > self.left {
            *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = Some(BodyLimit::Bytes);
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                "the decoded body is too large",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Why observing failed before a report existed.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError {
    #[error("{path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("{source_name}: does not parse as {format}: {error}")]
    Parse {
        source_name: String,
        format: &'static str,
        error: ParseError,
    },
    #[error("{0}")]
    Net(#[from] net::NetError),
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: the body is longer than {limit} bytes; refused rather than read without end")]
    BodyTooLarge { url: String, limit: u64 },
}

/// A lint report with its provenance.
#[derive(Debug)]
pub struct Observed {
    pub report: LintReport,
    pub sha256: String,
    pub source: Source,
    pub content_type: Option<String>,
    pub collected_at: Timestamp,
}

/// A reader that hashes what passes through it.
struct HashingReader<R> {
    inner: R,
    hash: Sha256Stream,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.hash.update(&buffer[..n]);
        Ok(n)
    }
}

fn lint_stream<R: Read>(
    reader: R,
    format: Format,
    required: &[String],
    source_name: &str,
) -> Result<(LintReport, String), ObserveError> {
    let mut hashing = HashingReader {
        inner: reader,
        hash: Sha256Stream::new(),
    };
    let result = lint(
        BufReader::with_capacity(256 * 1024, &mut hashing),
        format,
        required,
    );
    let report = result.map_err(|error| ObserveError::Parse {
        source_name: source_name.to_string(),
        format: format.as_str(),
        error,
    })?;
    Ok((report, hashing.hash.finish()))
}

/// Runs the linter and a counter tracker over one stream.
struct LintAndTrack<'a> {
    linter: Linter,
    tracker: &'a mut CounterTracker,
}

impl Visitor for LintAndTrack<'_> {
    fn sample(&mut self, family: &FamilyMeta, sample: &Sample<'_>) {
        self.linter.sample(family, sample);
        self.tracker.sample(family, sample);
    }
    fn family_end(&mut self, family: &FamilyMeta, n_samples: u64) {
        self.linter.family_end(family, n_samples);
    }
    fn problem(&mut self, problem: StructureProblem) {
        self.linter.problem(problem);
    }
}

fn lint_and_track<R: Read>(
    reader: R,
    format: Format,
    required: &[String],
    source_name: &str,
    tracker: &mut CounterTracker,
) -> Result<(LintReport, String), ObserveError> {
    let mut hashing = HashingReader {
        inner: reader,
        hash: Sha256Stream::new(),
    };
    let mut visitor = LintAndTrack {
        linter: Linter::new(format, required),
        tracker,
    };
    let summary = parse(
        BufReader::with_capacity(256 * 1024, &mut hashing),
        format,
        &mut visitor,
    )
    .map_err(|error| ObserveError::Parse {
        source_name: source_name.to_string(),
        format: format.as_str(),
        error,
    })?;
    Ok((visitor.linter.finish(summary), hashing.hash.finish()))
}

/// Parses and lints a saved exposition. `format` defaults to OpenMetrics when the file
/// ends with `# EOF` and to the text format otherwise (a file has no Content-Type).
pub fn observe_file(
    path: &str,
    format: Option<Format>,
    required: &[String],
    now: Timestamp,
) -> Result<Observed, ObserveError> {
    let open = || {
        open_regular(path).map_err(|source| ObserveError::Open {
            path: path.to_string(),
            source,
        })
    };
    let format = match format {
        Some(format) => format,
        None => sniff_file_format(&mut open()?).map_err(|source| ObserveError::Open {
            path: path.to_string(),
            source,
        })?,
    };
    let (report, sha256) = lint_stream(open()?, format, required, path)?;
    Ok(Observed {
        report,
        sha256,
        source: Source::File(path.to_string()),
        content_type: None,
        collected_at: now,
    })
}

/// Opens a saved exposition if it is a regular file. A FIFO, socket or device (`/dev/zero`)
/// is refused before it is opened, by what it is: its end cannot be sniffed, opening a FIFO
/// waits for a writer, and a device may never end.
fn open_regular(path: &str) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::FileTypeExt as _;
    let special = |file_type: std::fs::FileType| {
        let kind = if file_type.is_fifo() {
            "a FIFO (named pipe)"
        } else if file_type.is_socket() {
            "a socket"
        } else if file_type.is_char_device() {
            "a character device"
        } else if file_type.is_block_device() {
            "a block device"
        } else if file_type.is_dir() {
            "a folder"
        } else {
            return Ok(());
        };
        Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("is {kind}, not a regular file: observe --file reads a saved exposition"),
        ))
    };
    special(std::fs::metadata(path)?.file_type())?;
    let file = std::fs::File::open(path)?;
    special(file.metadata()?.file_type())?;
    Ok(file)
}

/// OpenMetrics when the last non-empty line is `# EOF`; reads only the file's tail (64 bytes
/// at most, whatever the file claims its length is).
fn sniff_file_format(file: &mut std::fs::File) -> std::io::Result<Format> {
    use std::io::{Seek, SeekFrom};
    let length = file.metadata()?.len();
    let start = length.saturating_sub(64);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.take(64).read_to_end(&mut tail)?;
    let text = String::from_utf8_lossy(&tail);
    Ok(if text.trim_end_matches('\n').ends_with("# EOF") {
        Format::OpenMetrics
    } else {
        Format::PrometheusText
    })
}

/// Scrapes `url` and lints what it returns.
pub async fn observe_url(
    url: &str,
    required: &[String],
    policy: &HostPolicy,
    tls: &TlsSettings,
    timeouts: Timeouts,
    now: Timestamp,
) -> Result<Observed, ObserveError> {
    scrape(url, required, policy, tls, timeouts, now, None)
        .await
        .map(|(observed, _)| observed)
}

/// Scrapes twice, `gap` apart, and adds `counter-decreased` problems (spec O-06) to the first
/// scrape's report, with a [`CounterCheck`] saying how many series were compared and whether
/// the process restarted in between.
#[allow(clippy::too_many_arguments)]
pub async fn observe_url_twice(
    url: &str,
    required: &[String],
    policy: &HostPolicy,
    tls: &TlsSettings,
    timeouts: Timeouts,
    gap: Duration,
    now: Timestamp,
) -> Result<(Observed, CounterCheck), ObserveError> {
    let (mut observed, tracker) = scrape(
        url,
        required,
        policy,
        tls,
        timeouts,
        now,
        Some(CounterTracker::default()),
    )
    .await?;
    let mut tracker = tracker.expect("a tracker was given");
    tracker.next_scrape();
    tokio::time::sleep(gap).await;
    let (_, tracker) = scrape(url, required, policy, tls, timeouts, now, Some(tracker)).await?;
    let tracker = tracker.expect("a tracker was given");
    let problems = tracker.problems();
    observed.report.n_problems += problems.len() as u64;
    observed.report.problems.extend(problems.iter().cloned());
    Ok((
        observed,
        CounterCheck {
            gap_s: gap.as_secs_f64(),
            series_compared: tracker.n_compared,
            decreased: problems.len() as u64,
            restarted: tracker.restarted(),
        },
    ))
}

/// The outcome of the two-scrape counter check.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct CounterCheck {
    pub gap_s: f64,
    pub series_compared: u64,
    pub decreased: u64,
    pub restarted: bool,
}

#[allow(clippy::too_many_arguments)]
async fn scrape(
    url: &str,
    required: &[String],
    policy: &HostPolicy,
    tls: &TlsSettings,
    timeouts: Timeouts,
    now: Timestamp,
    tracker: Option<CounterTracker>,
) -> Result<(Observed, Option<CounterTracker>), ObserveError> {
    let started = tokio::time::Instant::now();
    let target = Target::parse(url)?;
    let request = HttpRequest {
        headers: vec![
            ("accept".into(), SCRAPE_ACCEPT.into()),
            ("accept-encoding".into(), "gzip".into()),
        ],
        ..HttpRequest::default()
    };
    let exchange = net::exchange(&target, &request, policy, tls, timeouts)
        .await
        .map_err(|e| ObserveError::Net(e.error))?;
    let status = exchange.response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(ObserveError::Status {
            url: url.to_string(),
            status,
        });
    }
    let header = |name: http::header::HeaderName| {
        exchange
            .response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(http::header::CONTENT_TYPE);
    let gzip =
        header(http::header::CONTENT_ENCODING).is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
    let format = Format::from_content_type(content_type.as_deref());
    let body = exchange.response.into_body();
    let stream = body
        .into_data_stream()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::ConnectionReset, e.to_string()));
    // `--timeout` covers the whole scrape, body included; the body is also bounded in bytes.
    let deadline = started + timeouts.total;
    let stopped = std::sync::Arc::new(std::sync::Mutex::new(None));
    let stream = BoundedBody {
        inner: Box::pin(stream),
        deadline: Box::pin(tokio::time::sleep_until(deadline)),
        bytes: 0,
        stopped: stopped.clone(),
        done: false,
    };
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let required = required.to_vec();
    let source_name = url.to_string();
    let decoded_stopped = stopped.clone();
    let parse = tokio::task::spawn_blocking(move || {
        let reader: Box<dyn Read> = if gzip {
            Box::new(LimitedRead {
                inner: flate2::read::GzDecoder::new(reader),
                left: MAX_SCRAPE_BYTES,
                stopped: decoded_stopped,
            })
        } else {
            Box::new(reader)
        };
        match tracker {
            None => lint_stream(reader, format, &required, &source_name).map(|r| (r, None)),
            Some(mut tracker) => {
                lint_and_track(reader, format, &required, &source_name, &mut tracker)
                    .map(|r| (r, Some(tracker)))
            }
        }
    });
    let parsed = parse.await.expect("the parser thread does not panic");
    let stopped_by = *stopped.lock().unwrap_or_else(|e| e.into_inner());
    let ((mut report, sha256), tracker) = match (parsed, stopped_by) {
        (Ok(parsed), _) => parsed,
        (Err(_), Some(BodyLimit::Time)) => {
            return Err(ObserveError::Net(net::NetError::Timeout(timeouts.total)));
        }
        (Err(_), Some(BodyLimit::Bytes)) => {
            return Err(ObserveError::BodyTooLarge {
                url: url.to_string(),
                limit: MAX_SCRAPE_BYTES,
            });
        }
        (Err(error), None) => return Err(error),
    };
    // O-02: the body must be declared as one of the two exposition media types.
    let media_type = content_type
        .as_deref()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media_type != "application/openmetrics-text" && media_type != "text/plain" {
        report.n_problems += 1;
        report.problems.insert(
            0,
            crate::lint::LintProblem {
                line: 0,
                code: "content-type",
                metric: String::new(),
                message: format!(
                    "Content-Type {:?} is not an exposition media type (text/plain; version=0.0.4 or application/openmetrics-text)",
                    content_type.as_deref().unwrap_or("")
                ),
            },
        );
    }
    Ok((
        Observed {
            report,
            sha256,
            source: Source::Url(gonogo_core::redact::redact(url).into_owned()),
            content_type,
            collected_at: now,
        },
        tracker,
    ))
}

fn tool() -> Tool {
    Tool::new("gonogo", env!("CARGO_PKG_VERSION"))
}

/// The `observe` evidence of a metrics check.
pub fn metrics_evidence(observed: &Observed) -> Evidence {
    let report = &observed.report;
    let mut evidence = Evidence::new(
        "observe",
        observed.source.clone(),
        observed.sha256.clone(),
        observed.collected_at,
        tool(),
    );
    evidence.insert(
        "observe.metrics.problems",
        Metric::value(report.n_problems as f64, Unit::count("problems")),
    );
    if !report.required.is_empty() {
        let ratio = Ratio::new(report.n_required_present(), report.required.len() as u64)
            .expect("present <= required");
        evidence.insert(
            "observe.metrics.required",
            Metric::ratio(ratio, Unit::count("series")),
        );
    }
    evidence.details = serde_json::json!({
        "format": report.format,
        "content_type": observed.content_type,
        "lines": report.summary.lines,
        "bytes": report.summary.bytes,
        "families": report.summary.families,
        "samples": report.summary.samples,
        "problems": report.problems,
        "problems_total": report.n_problems,
        "problems_kept": report.problems.len(),
        "required": report.required,
    });
    if report.summary.untracked_samples > 0 {
        evidence.details["truncated"] = serde_json::json!(format!(
            "truncated: {} samples of series beyond the first {} of their family counted and \
             linted, not checked for duplicates or order",
            report.summary.untracked_samples,
            crate::exposition::MAX_TRACKED_SERIES
        ));
    }
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_counts_problems_and_required_series() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.txt");
        std::fs::write(
            &path,
            "# TYPE up gauge\nup 1\n# HELP http_requests_total R.\n# TYPE http_requests_total counter\nhttp_requests_total 1\n",
        )
        .unwrap();
        let observed = observe_file(
            path.to_str().unwrap(),
            None,
            &[
                "http_requests_total".into(),
                "http_request_duration_seconds".into(),
            ],
            "2026-11-25T12:00:00Z".parse().unwrap(),
        )
        .unwrap();
        let evidence = metrics_evidence(&observed);
        assert_eq!(observed.report.format, "prometheus-text-0.0.4");
        match evidence.metrics["observe.metrics.problems"].value {
            gonogo_core::evidence::MetricValue::Value(v) => assert_eq!(v, 1.0),
            ref other => panic!("{other:?}"),
        }
        assert_eq!(
            evidence.metrics["observe.metrics.required"]
                .value
                .as_ratio(),
            Ratio::new(1, 2)
        );
        assert_eq!(evidence.details["problems"][0]["line"], 1);
        assert_eq!(
            evidence.sha256,
            gonogo_core::evidence::sha256_hex(&std::fs::read(&path).unwrap())
        );
    }

    /// Defects 1 and 16 (issue 15): devices and FIFOs are refused before they are read (or,
    /// for a FIFO, opened), by what they are. `/dev/null` comes first: before the fix it was
    /// linted as an empty exposition, so this fails at once instead of hanging on `/dev/zero`.
    #[test]
    fn observe_refuses_dev_zero_at_once() {
        let refused = |path: &str, format: Option<Format>| match observe_file(
            path,
            format,
            &[],
            Timestamp::UNIX_EPOCH,
        ) {
            Err(ObserveError::Open {
                path: named,
                source,
            }) => {
                assert_eq!(named, path);
                source.to_string()
            }
            Err(other) => panic!("{path}: {other}"),
            Ok(observed) => panic!("{path}: read as {:?}", observed.report.summary),
        };
        for device in ["/dev/null", "/dev/zero", "/dev/urandom"] {
            for format in [
                None,
                Some(Format::PrometheusText),
                Some(Format::OpenMetrics),
            ] {
                let message = refused(device, format);
                assert!(message.contains("is a character device"), "{message}");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("metrics.fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let message = refused(fifo.to_str().unwrap(), None);
        assert!(message.contains("is a FIFO (named pipe)"), "{message}");
        assert!(!message.contains("No such file"), "{message}");
    }

    #[test]
    fn a_file_ending_in_eof_is_read_as_openmetrics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.om");
        std::fs::write(&path, "# TYPE a counter\na 1\n# EOF\n").unwrap();
        let error =
            observe_file(path.to_str().unwrap(), None, &[], Timestamp::UNIX_EPOCH).unwrap_err();
        match error {
            ObserveError::Parse { error, format, .. } => {
                assert_eq!(format, "openmetrics-1.0");
                assert_eq!(error.line, 2);
            }
            other => panic!("{other}"),
        }
    }
}
