//! `gonogo observe` against real axum servers on loopback and saved files.

mod support;

use std::process::ExitCode;

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use clap::Parser;
use gonogo_probe::cli::observe::{ObserveArgs, run};
use support::{TestServer, read_evidence};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: ObserveArgs,
}

fn args(extra: &[&str], evidence_dir: &std::path::Path) -> ObserveArgs {
    let mut argv = vec!["observe", "--evidence-dir", evidence_dir.to_str().unwrap()];
    argv.extend_from_slice(extra);
    Cli::try_parse_from(argv).unwrap().args
}

const OPENMETRICS: &str = "# TYPE http_requests counter\n# HELP http_requests Requests.\nhttp_requests_total{code=\"200\"} 10\n# TYPE http_request_duration_seconds histogram\n# HELP http_request_duration_seconds Latency.\nhttp_request_duration_seconds_bucket{le=\"0.1\"} 3\nhttp_request_duration_seconds_bucket{le=\"+Inf\"} 4\nhttp_request_duration_seconds_count 4\nhttp_request_duration_seconds_sum 0.5\n# EOF\n";

#[test]
fn scrapes_openmetrics_by_content_type_and_finds_required_series() {
    let router = axum::Router::new().route(
        "/metrics",
        get(|| async {
            (
                [(
                    CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )],
                OPENMETRICS,
            )
        }),
    );
    let server = TestServer::start(router, 0);
    let dir = tempfile::tempdir().unwrap();
    let base = server.url("");
    let code = run(args(
        &[
            &base,
            "--require",
            "http_requests_total",
            "--require",
            "http_request_duration_seconds",
            "--require",
            "process_start_time_seconds",
        ],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::from(1), "a required series is missing");
    let records = read_evidence(dir.path());
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["kind"], "observe");
    assert_eq!(record["source"]["location"], format!("{base}/metrics"));
    assert_eq!(record["details"]["format"], "openmetrics-1.0");
    assert_eq!(
        record["metrics"]["observe.metrics.required"]["ratio"]["k"],
        2
    );
    assert_eq!(
        record["metrics"]["observe.metrics.required"]["ratio"]["n"],
        3
    );
    assert_eq!(record["metrics"]["observe.metrics.problems"]["value"], 0.0);
    assert_eq!(
        record["sha256"],
        gonogo_core::evidence::sha256_hex(OPENMETRICS.as_bytes())
    );
}

#[test]
fn text_format_problems_are_listed_with_line_numbers() {
    let body = "# TYPE requests counter\nrequests 1\nrequests 2\n";
    let router = axum::Router::new().route(
        "/custom",
        get(move || async move { ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body) }),
    );
    let server = TestServer::start(router, 0);
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(
        &[
            &server.url(""),
            "--path",
            "/custom",
            "--require",
            "requests",
        ],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let record = &read_evidence(dir.path())[0];
    assert_eq!(record["details"]["format"], "prometheus-text-0.0.4");
    let problems = record["details"]["problems"].as_array().unwrap();
    let codes: Vec<(u64, &str)> = problems
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (1, "no-help"),
            (1, "counter-without-total"),
            (3, "metric-not-unique")
        ]
    );
    assert_eq!(record["metrics"]["observe.metrics.problems"]["value"], 3.0);
    // --strict turns problems into a failure.
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(
        &[&server.url(""), "--path", "/custom", "--strict"],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::from(1));
}

#[test]
fn a_file_that_does_not_parse_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.om");
    std::fs::write(&path, "# TYPE a gauge\na 1\na{x=\"1} 2\n# EOF\n").unwrap();
    let evidence = dir.path().join("evidence");
    let code = run(args(&["--file", path.to_str().unwrap()], &evidence)).unwrap();
    assert_eq!(code, ExitCode::from(3));
    assert!(!evidence.exists(), "no evidence from an unparseable file");
}

/// Defect 1 (issue 15), through the command: `observe --file /dev/null` (linted as an empty
/// exposition before) and `/dev/zero` (read forever before) exit 3 at once, with no evidence.
#[test]
fn observe_file_on_a_device_exits_3_without_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    for device in ["/dev/null", "/dev/zero"] {
        let code = run(args(&["--file", device], &evidence)).unwrap();
        assert_eq!(code, ExitCode::from(3), "{device}");
        assert!(!evidence.exists(), "{device}: no evidence from a device");
    }
}

#[test]
fn non_loopback_hosts_are_refused_without_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(&["http://192.0.2.1:9"], dir.path())).unwrap();
    assert_eq!(code, ExitCode::from(2));
}

#[test]
fn logs_give_structured_and_field_ratios() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    std::fs::write(
        &path,
        "boot\n{\"ts\":\"2026-11-25T12:00:00Z\",\"level\":\"info\",\"msg\":\"ok\",\"request_id\":\"r1\"}\n{\"level\":\"info\",\"msg\":\"no time\"}\n",
    )
    .unwrap();
    let evidence = dir.path().join("evidence");
    let code = run(args(&["--logs", path.to_str().unwrap()], &evidence)).unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let record = &read_evidence(&evidence)[0];
    assert_eq!(
        record["metrics"]["observe.logs.structured"]["ratio"],
        serde_json::json!({"k": 2, "n": 3})
    );
    assert_eq!(
        record["metrics"]["observe.logs.fields"]["ratio"],
        serde_json::json!({"k": 1, "n": 2})
    );
    assert_eq!(record["details"]["first_unstructured"]["line"], 1);
}

#[test]
fn gzip_responses_are_decoded_while_streaming() {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(OPENMETRICS.as_bytes()).unwrap();
    let compressed = encoder.finish().unwrap();
    let router = axum::Router::new().route(
        "/metrics",
        get(move || {
            let compressed = compressed.clone();
            async move {
                (
                    [
                        (CONTENT_TYPE, "application/openmetrics-text; version=1.0.0"),
                        (axum::http::header::CONTENT_ENCODING, "gzip"),
                    ],
                    compressed,
                )
            }
        }),
    );
    let server = TestServer::start(router, 0);
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(
        &[&server.url(""), "--require", "http_requests_total"],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let record = &read_evidence(dir.path())[0];
    assert_eq!(record["details"]["samples"], 5);
    assert_eq!(
        record["sha256"],
        gonogo_core::evidence::sha256_hex(OPENMETRICS.as_bytes()),
        "hash of the decoded exposition"
    );
}

#[test]
fn a_scrape_that_does_not_parse_exits_3_and_a_wrong_content_type_is_a_problem() {
    let router = axum::Router::new()
        .route(
            "/metrics",
            get(|| async { ([(CONTENT_TYPE, "application/openmetrics-text")], "a 1\n") }),
        )
        .route(
            "/json",
            get(|| async { ([(CONTENT_TYPE, "application/json")], "up 1\n") }),
        );
    let server = TestServer::start(router, 0);
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(&[&server.url("")], dir.path())).unwrap();
    assert_eq!(
        code,
        ExitCode::from(3),
        "an OpenMetrics body without # EOF does not parse"
    );
    let code = run(args(&[&server.url(""), "--path", "/json"], dir.path())).unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let record = &read_evidence(dir.path())[0];
    assert_eq!(record["details"]["problems"][0]["code"], "content-type");
}

#[test]
fn health_endpoints_are_checked_and_a_lying_one_is_inconsistent() {
    let router = axum::Router::new()
        .route(
            "/health/live",
            get(|| async { ([(CONTENT_TYPE, "application/json")], r#"{"status":"UP"}"#) }),
        )
        .route(
            "/health/ready",
            get(|| async {
                (
                    [(CONTENT_TYPE, "application/health+json")],
                    r#"{"status":"fail","checks":{"db:connections":[{"status":"fail"}]}}"#,
                )
            }),
        );
    let server = TestServer::start(router, 0);
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(
        &[&server.url(""), "--no-metrics", "--discover-health"],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::from(1));
    let record = &read_evidence(dir.path())[0];
    assert_eq!(
        record["metrics"]["observe.health.ok"]["ratio"],
        serde_json::json!({"k": 1, "n": 2})
    );
    let endpoints = record["details"]["endpoints"].as_array().unwrap();
    assert_eq!(endpoints[1]["path"], "/health/ready");
    assert_eq!(
        endpoints[1]["verdict"], "inconsistent",
        "HTTP 200 with status fail"
    );
    assert_eq!(
        endpoints[1]["failing_checks"],
        serde_json::json!(["db:connections"])
    );
    assert_eq!(record["details"]["readiness_found"], true);
}

#[test]
fn a_counter_that_goes_down_between_two_scrapes_is_a_problem() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let scrapes = std::sync::Arc::new(AtomicU64::new(0));
    let router = axum::Router::new().route(
        "/metrics",
        get(move || {
            let n = scrapes.fetch_add(1, Ordering::SeqCst);
            async move {
                let value = if n == 0 { 10 } else { 4 };
                (
                    [(CONTENT_TYPE, "text/plain; version=0.0.4")],
                    format!("# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total {value}\n# HELP process_start_time_seconds Start.\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds 1700000000\n"),
                )
            }
        }),
    );
    let server = TestServer::start(router, 0);
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(
        &[&server.url(""), "--rescrape-after", "50ms", "--strict"],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::from(1));
    let record = &read_evidence(dir.path())[0];
    let problems = record["details"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["code"], "counter-decreased");
    assert_eq!(problems[0]["line"], 3);
    assert_eq!(record["details"]["counters"]["series_compared"], 1);
    assert_eq!(record["details"]["counters"]["restarted"], false);
}

#[test]
fn nothing_to_check_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(&[], dir.path())).unwrap();
    assert_eq!(code, ExitCode::from(2));
    let code = run(args(&["http://127.0.0.1:9", "--no-metrics"], dir.path())).unwrap();
    assert_eq!(code, ExitCode::from(2));
}

/// A raw HTTP/1.1 server on loopback that answers one scrape with a chunked body: `first`,
/// then, if `endless`, numbered series forever (until the client hangs up), else nothing more
/// while keeping the connection open (a stalled body).
fn hostile_metrics_server(endless: bool) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 2 {
            line.clear();
        }
        let mut out = stream;
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nTransfer-Encoding: chunked\r\n\r\n";
        let chunk = |text: &str| format!("{:x}\r\n{text}\r\n", text.len());
        let first = "# HELP hostile_total A.\n# TYPE hostile_total counter\n";
        if out.write_all(head.as_bytes()).is_err()
            || out.write_all(chunk(first).as_bytes()).is_err()
        {
            return;
        }
        if endless {
            for i in 0u64.. {
                let lines: String = (0..1000)
                    .map(|j| format!("hostile_total{{i=\"{i}_{j}\"}} 1\n"))
                    .collect();
                if out.write_all(chunk(&lines).as_bytes()).is_err() {
                    return;
                }
            }
        } else {
            // Stall: wait for the client to hang up.
            let mut rest = String::new();
            let _ = reader.read_line(&mut rest);
        }
    });
    (url, handle)
}

/// Defect 14 (issue 15): `--timeout` bounds the body too, for a server that sends forever and
/// one that stalls after the headers; the error names the timeout given (it was 30 s at least).
#[test]
fn observe_timeout_applies_to_the_body() {
    use gonogo_probe::net::{HostPolicy, NetError, Timeouts, TlsSettings};
    use gonogo_probe::observe::{ObserveError, observe_url};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let timeouts = Timeouts {
        connect: std::time::Duration::from_secs(1),
        total: std::time::Duration::from_millis(800),
    };
    for endless in [true, false] {
        let (url, server) = hostile_metrics_server(endless);
        let result = runtime.block_on(observe_url(
            &url,
            &[],
            &HostPolicy::default(),
            &TlsSettings::new(&[]).unwrap(),
            timeouts,
            jiff::Timestamp::UNIX_EPOCH,
        ));
        match result {
            Err(ObserveError::Net(NetError::Timeout(limit))) => {
                assert_eq!(limit, timeouts.total, "endless: {endless}")
            }
            Err(other) => panic!("endless: {endless}: {other}"),
            Ok(observed) => panic!("endless: {endless}: read {:?}", observed.report.summary),
        }
        server.join().unwrap();
    }
}
