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
