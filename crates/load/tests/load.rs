//! Integration tests of `gonogo load` and `gonogo merge` against a real axum server that each
//! test starts on 127.0.0.1:0 (in its own thread and runtime) and stops when it ends.
//!
//! The engine builds its own runtimes, so tests are plain `#[test]`s that call `cli::run` or
//! `engine::run` while the server runs elsewhere. Every run is bounded by `--max-requests`
//! and/or a short `--duration`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use clap::Parser;
use gonogo_core::evidence::Evidence;
use gonogo_load::cli::{LoadArgs, MergeArgs};
use gonogo_load::error_class::ErrorClass;

/// The load engine's own catalogue rows: what its records are read against here.
const LOAD_ROWS: gonogo_core::catalog::Catalog =
    gonogo_core::catalog::Catalog::new(&[gonogo_load::METRICS]);

#[derive(Parser)]
struct LoadCommand {
    #[command(flatten)]
    args: LoadArgs,
}

#[derive(Parser)]
struct MergeCommand {
    #[command(flatten)]
    args: MergeArgs,
}

fn load_args(argv: &[&str]) -> LoadArgs {
    let mut full = vec!["load"];
    full.extend_from_slice(argv);
    LoadCommand::try_parse_from(full)
        .expect("test flags parse")
        .args
}

/// State shared by the test server's handlers.
#[derive(Default)]
struct ServerState {
    requests: AtomicU64,
    /// For `/stall`: the request index that freezes the server, and until when (ms since start).
    stall_at_request: AtomicU64,
    stalled_until_ms: AtomicU64,
    started: std::sync::OnceLock<Instant>,
    /// `/items`: GETs (without a body) and POSTs (with the body `item`) answered 200.
    items_get: AtomicU64,
    items_post: AtomicU64,
    /// `/fail`: requests answered 500.
    failed: AtomicU64,
}

struct TestServer {
    address: SocketAddr,
    state: Arc<ServerState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    fn start() -> TestServer {
        let state = Arc::new(ServerState::default());
        state.stall_at_request.store(u64::MAX, Ordering::SeqCst);
        let _ = state.started.set(Instant::now());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let router = Router::new()
            .route("/", get(|| async { "ok" }))
            .route("/every10", get(every_tenth_fails))
            .route(
                "/hang",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    "never"
                }),
            )
            .route("/stall", get(stall))
            .route("/limited", get(limited))
            .route("/items", get(items_get).post(items_post))
            .route("/fail", get(fail))
            .route(
                "/version",
                get(|version: axum::http::Version| async move { format!("{version:?}") }),
            )
            .with_state(Arc::clone(&state));
        let (shutdown, shutdown_receiver) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = shutdown_receiver.await;
                    })
                    .await
                    .unwrap();
            });
            // Handlers that never return (`/hang`) must not hold the test up.
            runtime.shutdown_timeout(Duration::from_millis(100));
        });
        let server = TestServer {
            address,
            state,
            shutdown: Some(shutdown),
            thread: Some(thread),
        };
        server.wait_ready();
        server
    }

    /// Polls the port with a real request, bounded to 5 s.
    fn wait_ready(&self) {
        use std::io::{Read, Write};
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(mut stream) = std::net::TcpStream::connect(self.address) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                let _ = stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                let mut response = String::new();
                let _ = stream.read_to_string(&mut response);
                if response.starts_with("HTTP/1.1 200") {
                    self.state.requests.store(0, Ordering::SeqCst);
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "test server on {} did not become ready within 5 s",
            self.address
        );
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn every_tenth_fails(State(state): State<Arc<ServerState>>) -> (StatusCode, &'static str) {
    let index = state.requests.fetch_add(1, Ordering::SeqCst);
    if index % 10 == 9 {
        (StatusCode::SERVICE_UNAVAILABLE, "busy")
    } else {
        (StatusCode::OK, "ok")
    }
}

/// Freezes the whole server for one second when the configured request index arrives: every
/// request that arrives during the freeze is answered when it ends, as a stopped process would.
async fn stall(State(state): State<Arc<ServerState>>) -> &'static str {
    let index = state.requests.fetch_add(1, Ordering::SeqCst);
    let started = *state.started.get().unwrap();
    let now_ms = started.elapsed().as_millis() as u64;
    if index == state.stall_at_request.load(Ordering::SeqCst) {
        state
            .stalled_until_ms
            .store(now_ms + 1000, Ordering::SeqCst);
    }
    let until = state.stalled_until_ms.load(Ordering::SeqCst);
    if until > now_ms {
        tokio::time::sleep(Duration::from_millis(until - now_ms)).await;
    }
    "ok"
}

/// The first 50 requests pass, then every response is 429 with `Retry-After`.
async fn limited(State(state): State<Arc<ServerState>>) -> (StatusCode, HeaderMap, &'static str) {
    let index = state.requests.fetch_add(1, Ordering::SeqCst);
    let mut headers = HeaderMap::new();
    if index < 50 {
        (StatusCode::OK, headers, "ok")
    } else {
        headers.insert("retry-after", "1".parse().unwrap());
        (StatusCode::TOO_MANY_REQUESTS, headers, "slow down")
    }
}

/// GET /items: 200 when the request has no body (a GET gets no `--body`), else 422.
async fn items_get(State(state): State<Arc<ServerState>>, body: String) -> StatusCode {
    if body.is_empty() {
        state.items_get.fetch_add(1, Ordering::SeqCst);
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// POST /items: 201 when the body is `item` (from `--body`), else 422.
async fn items_post(State(state): State<Arc<ServerState>>, body: String) -> StatusCode {
    if body == "item" {
        state.items_post.fetch_add(1, Ordering::SeqCst);
        StatusCode::CREATED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

async fn fail(State(state): State<Arc<ServerState>>) -> (StatusCode, &'static str) {
    state.failed.fetch_add(1, Ordering::SeqCst);
    (StatusCode::INTERNAL_SERVER_ERROR, "broken")
}

fn read_single_evidence(dir: &Path) -> Evidence {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files.len(),
        1,
        "one evidence file expected in {}: {files:?}",
        dir.display()
    );
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let mut records = gonogo_core::wire::parse_records(&text, LOAD_ROWS).expect("evidence parses");
    assert_eq!(records.len(), 1);
    records.remove(0)
}

fn ratio(record: &Evidence, name: &str) -> (u64, u64) {
    let ratio = record.metrics[name]
        .value
        .as_ratio()
        .unwrap_or_else(|| panic!("{name} is a ratio"));
    (ratio.k, ratio.n)
}

fn value(record: &Evidence, name: &str) -> f64 {
    match record.metrics[name].value {
        gonogo_core::evidence::MetricValue::Value(v) => v,
        _ => panic!("{name} is a value"),
    }
}

fn latency(record: &Evidence, name: &str) -> hdrhistogram::Histogram<u64> {
    record.metrics[name]
        .value
        .as_histogram()
        .expect("a distribution")
        .into_owned()
}

fn run_cli(args: LoadArgs) -> ExitCode {
    gonogo_load::cli::run(args).expect("the run completes")
}

#[test]
fn every_tenth_503_gives_exactly_ten_percent_5xx() {
    let server = TestServer::start();
    let evidence_dir = tempfile::tempdir().unwrap();
    let args = load_args(&[
        &server.url("/every10"),
        "--concurrency",
        "8",
        "--max-requests",
        "1000",
        "--duration",
        "8s",
        "--name",
        "checkout",
        "--quiet",
        "--evidence-dir",
        evidence_dir.path().to_str().unwrap(),
    ]);
    let outcome = gonogo_load::cli::execute(&args).unwrap();
    assert_eq!(outcome.exit_code, ExitCode::SUCCESS);
    let written = std::fs::read_to_string(outcome.evidence_path.as_ref().unwrap()).unwrap();
    assert_eq!(
        written,
        gonogo_core::wire::to_json_pretty(&outcome.evidence),
        "the outcome carries what was written"
    );
    let record = read_single_evidence(evidence_dir.path());
    assert_eq!(record.kind, "load");
    assert_eq!(ratio(&record, "load.checkout.status_5xx"), (100, 1000));
    assert_eq!(ratio(&record, "load.checkout.errors"), (100, 1000));
    assert_eq!(ratio(&record, "load.checkout.status_4xx"), (0, 1000));
    assert_eq!(ratio(&record, "load.checkout.dropped"), (0, 1000));
    assert_eq!(ratio(&record, "load.checkout.rate_limited"), (0, 1000));
    assert_eq!(value(&record, "load.checkout.requests"), 1000.0);
    assert!(value(&record, "load.checkout.throughput") > 0.0);
    assert_eq!(latency(&record, "load.checkout.latency").len(), 1000);
    assert!(
        record.metrics["load.checkout.latency"]
            .note
            .as_deref()
            .unwrap()
            .contains("coordinated omission")
    );
    assert_eq!(
        record.metrics["load.checkout.latency"]
            .note_code
            .as_ref()
            .map(|c| c.code.as_str()),
        Some("load.closed_model")
    );
    assert_eq!(record.details["status_counts"]["503"], 100);
    assert_eq!(record.details["status_counts"]["200"], 900);
    assert_eq!(record.details["error_counts"]["http_5xx"], 100);
    assert_eq!(record.details["model"], "closed");
    assert_eq!(
        server.state.requests.load(Ordering::SeqCst),
        1000,
        "the server saw exactly the requests sent"
    );
    assert!(record.details["urls"].is_null(), "one URL: no per-URL list");
    assert!(!record.metrics.keys().any(|name| name.contains(".url.")));
}

#[test]
fn connect_refused_against_a_closed_port() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let evidence_dir = tempfile::tempdir().unwrap();
    let args = load_args(&[
        &format!("http://127.0.0.1:{port}/"),
        "--concurrency",
        "2",
        "--max-requests",
        "20",
        "--duration",
        "5s",
        "--quiet",
        "--evidence-dir",
        evidence_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(
        run_cli(args),
        ExitCode::from(1),
        "nothing succeeded: exit 1"
    );
    let record = read_single_evidence(evidence_dir.path());
    assert_eq!(ratio(&record, "load.default.errors"), (20, 20));
    assert_eq!(record.details["error_counts"]["connect_refused"], 20);
    assert!(
        latency(&record, "load.default.latency").is_empty(),
        "no response, no latency"
    );
}

/// Issue 17: a refused port stopped only at the end of its duration and printed "100
/// completed, throughput 50.5 requests/s". Now the run stops after the grace period, says why,
/// and refused connections are neither answered requests nor throughput (while every one
/// still counts as an error).
#[test]
fn a_refused_port_stops_after_the_grace_period_and_counts_nothing_as_answered() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = gonogo_load::cli::build_config(&load_args(&[
        &format!("http://127.0.0.1:{port}/"),
        "--rate",
        "50",
        "--duration",
        "5m",
    ]))
    .unwrap();
    let started = std::time::Instant::now();
    let result =
        gonogo_load::engine::run(config.clone(), Default::default(), false, &mut |_| {}).unwrap();
    assert_eq!(result.stop_reason, gonogo_load::engine::StopReason::Refused);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "stopped long before its 5 minutes: {:?}",
        started.elapsed()
    );
    let totals = &result.totals;
    assert!(totals.n_refused() >= 50, "{} refused", totals.n_refused());
    assert_eq!(totals.n_answered(), 0);
    let record = gonogo_load::evidence::to_evidence(&result, &config, "default");
    assert_eq!(value(&record, "load.default.requests"), 0.0);
    assert_eq!(value(&record, "load.default.throughput"), 0.0);
    let (k, n) = ratio(&record, "load.default.errors");
    assert!(n > 0 && k == n, "every attempt is an error: {k} of {n}");
    assert_eq!(record.details["stop_reason"], "refused");
    let text = gonogo_load::summary::render(&result, &config, "default");
    assert!(
        text.contains(&format!(
            "connection refused: is the service running at http://127.0.0.1:{port}/?"
        )),
        "{text}"
    );
    assert!(text.contains("0 completed,"), "{text}");
    assert!(text.contains("throughput  0.0 requests/s"), "{text}");
}

/// A service that answers some requests and refuses others is not stopped: the grace rule is
/// for a target where nothing listens, never a way to cut a bad run short into a better figure.
#[test]
fn a_target_that_answers_is_never_stopped_as_refused() {
    let server = TestServer::start();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/every10"),
        "-c",
        "2",
        "-n",
        "40",
    ]))
    .unwrap();
    let result =
        gonogo_load::engine::run(config.clone(), Default::default(), false, &mut |_| {}).unwrap();
    assert_eq!(
        result.stop_reason,
        gonogo_load::engine::StopReason::Completed
    );
    assert_eq!(result.totals.n_answered(), 40);
    assert!(gonogo_load::summary::refused_line(&result, &config).is_none());
}

#[test]
fn hanging_handler_is_a_request_timeout() {
    let server = TestServer::start();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/hang"),
        "--concurrency",
        "2",
        "--max-requests",
        "4",
        "--timeout",
        "300ms",
        "--duration",
        "5s",
    ]))
    .unwrap();
    let started = Instant::now();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(result.totals.errors_of(ErrorClass::RequestTimeout), 4);
    assert_eq!(result.totals.n_completed, 4);
    assert_eq!(
        result.totals.latency.len(),
        4,
        "timeouts count their wait as latency"
    );
    assert!(
        result.totals.latency.min() >= 299_000,
        "min {}",
        result.totals.latency.min()
    );
}

#[test]
fn open_model_rate_is_accurate() {
    let server = TestServer::start();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/"),
        "--rate",
        "200",
        "--duration",
        "2s",
    ]))
    .unwrap();
    let started = Instant::now();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    let wall = started.elapsed();
    assert_eq!(
        result.totals.n_issued(),
        400,
        "200/s for 2 s is 400 requests due"
    );
    assert_eq!(result.totals.n_completed, 400);
    assert_eq!(result.totals.n_errors(), 0);
    assert!(
        wall >= Duration::from_millis(1990) && wall < Duration::from_millis(2600),
        "wall {wall:?}"
    );
    // The series sees about 200 requests in each full second.
    for point in &result.series[..2] {
        assert!(
            (190..=210).contains(&point.completed),
            "{:?}",
            result.series
        );
    }
}

#[test]
fn ramping_stages_follow_the_area_under_the_rate() {
    let server = TestServer::start();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/"),
        "--stage",
        "1s:200",
        "--stage",
        "1s:0",
    ]))
    .unwrap();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    // 0 -> 200/s over 1 s and back: 100 + 100 requests.
    assert_eq!(result.totals.n_issued(), 200);
    assert_eq!(result.totals.n_completed, 200);
}

#[test]
fn a_server_stall_shows_in_the_open_model_p99_and_hides_in_the_closed_model() {
    // Open model: 500/s for 3 s; the server freezes for 1 s at request 500 (t = 1 s). The 500
    // requests due during the freeze wait from 1000 ms down to 0 ms: the top 1 % (15 of 1500)
    // all waited more than 950 ms.
    let server = TestServer::start();
    server.state.stall_at_request.store(500, Ordering::SeqCst);
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/stall"),
        "--rate",
        "500",
        "--duration",
        "3s",
    ]))
    .unwrap();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    let latency = &result.totals.latency;
    assert_eq!(latency.len(), 1500);
    let p99 = latency.value_at_quantile(0.99);
    let p50 = latency.value_at_quantile(0.50);
    assert!(p99 >= 900_000, "p99 {p99} µs must show the 1 s stall");
    assert!(
        latency.value_at_quantile(0.80) >= 200_000,
        "a third of the run was hit by the stall"
    );
    assert!(p50 < 400_000, "p50 {p50} µs");
    // 64 connections (the default) hang during the stall; the rest of the due requests wait
    // for one, are sent late, and say so.
    assert!(
        result.totals.n_late_sends >= 300,
        "late sends {}",
        result.totals.n_late_sends
    );
    drop(server);

    // Closed model, same stall: 4 connections wait 1 s once, the other requests are fast, and
    // the p99 misses the stall entirely. This is the blindness the summary warns about.
    let server = TestServer::start();
    server.state.stall_at_request.store(500, Ordering::SeqCst);
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/stall"),
        "--concurrency",
        "4",
        "--max-requests",
        "3000",
        "--duration",
        "8s",
    ]))
    .unwrap();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    assert_eq!(result.totals.n_completed, 3000);
    assert!(
        result.totals.latency.max() >= 900_000,
        "the stalled requests themselves took ~1 s"
    );
    assert!(
        result.totals.latency.value_at_quantile(0.99) < 100_000,
        "closed-model p99 hides the stall"
    );
}

#[test]
fn in_flight_cap_drops_requests_instead_of_sending_them() {
    let server = TestServer::start();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/hang"),
        "--rate",
        "100",
        "--duration",
        "1s",
        "--max-in-flight",
        "2",
        "--threads",
        "1",
        "--timeout",
        "2s",
    ]))
    .unwrap();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    let totals = &result.totals;
    assert_eq!(totals.n_issued(), 100);
    assert_eq!(totals.n_dropped, 98, "two hang, the rest find the cap full");
    assert_eq!(totals.errors_of(ErrorClass::Dropped), 98);
    assert_eq!(totals.errors_of(ErrorClass::RequestTimeout), 2);
}

#[test]
fn rate_limiting_is_classified_and_its_start_recorded() {
    let server = TestServer::start();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/limited"),
        "--concurrency",
        "1",
        "--max-requests",
        "80",
    ]))
    .unwrap();
    let result =
        gonogo_load::engine::run(config.clone(), Default::default(), false, &mut |_| {}).unwrap();
    assert_eq!(result.totals.errors_of(ErrorClass::RateLimited), 30);
    assert_eq!(result.totals.status_counts.get(&429), Some(&30));
    assert!(result.totals.first_rate_limited.is_some());
    let record = gonogo_load::evidence::to_evidence(&result, &config, "default");
    assert_eq!(ratio(&record, "load.default.rate_limited"), (30, 80));
    assert_eq!(ratio(&record, "load.default.status_4xx"), (30, 80));
    assert!(record.details["rate_limited_since_s"].as_f64().is_some());
}

#[test]
fn failed_body_check_exits_one() {
    let server = TestServer::start();
    let evidence_dir = tempfile::tempdir().unwrap();
    let args = load_args(&[
        &server.url("/"),
        "-c",
        "2",
        "-n",
        "10",
        "--expect-body-contains",
        "not in the body",
        "--quiet",
        "--evidence-dir",
        evidence_dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run_cli(args), ExitCode::from(1));
    let record = read_single_evidence(evidence_dir.path());
    assert_eq!(record.details["error_counts"]["check_failed"], 10);
    let args = load_args(&[
        &server.url("/"),
        "-c",
        "2",
        "-n",
        "10",
        "--expect-body-contains",
        "ok",
        "--expect-status",
        "2xx",
        "--quiet",
        "--no-evidence",
    ]);
    assert_eq!(run_cli(args), ExitCode::SUCCESS);
}

#[test]
fn post_with_headers_and_body_file_reaches_the_server() {
    // The echo route checks method, header and body, answering 422 when any is wrong.
    let received = Arc::new(AtomicU64::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let counter = Arc::clone(&received);
    let router = Router::new().route(
        "/orders",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let counter = Arc::clone(&counter);
            async move {
                let ok = headers.get("x-test").is_some_and(|v| v == "yes") && body == "{\"n\":1}";
                if ok {
                    counter.fetch_add(1, Ordering::SeqCst);
                    StatusCode::CREATED
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            }
        }),
    );
    let (shutdown, shutdown_receiver) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = shutdown_receiver.await;
                    })
                    .await
                    .unwrap();
            });
    });
    let body_dir = tempfile::tempdir().unwrap();
    let body_file = body_dir.path().join("order.json");
    std::fs::write(&body_file, "{\"n\":1}").unwrap();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &format!("http://{address}/orders"),
        "-m",
        "post",
        "-H",
        "X-Test: yes",
        "--body-file",
        body_file.to_str().unwrap(),
        "--expect-status",
        "201",
        "-c",
        "2",
        "-n",
        "25",
    ]))
    .unwrap();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    let _ = shutdown.send(());
    thread.join().unwrap();
    assert_eq!(
        result.totals.status_counts.get(&201),
        Some(&25),
        "{:?}",
        result.totals.status_counts
    );
    assert_eq!(received.load(Ordering::SeqCst), 25);
}

#[test]
fn non_loopback_targets_are_refused_with_a_hint() {
    for url in [
        "http://10.1.2.3/",
        "http://example.com/",
        "http://[2001:db8::1]:8080/",
    ] {
        let error = gonogo_load::cli::run(load_args(&[url, "-n", "1", "--no-evidence", "--quiet"]))
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("refusing to send load"), "{message}");
        assert!(message.contains("--allow-host"), "{message}");
        assert_eq!(gonogo_load::cli::exit_code_for(&error), ExitCode::from(2));
    }
    // Allowed explicitly: the configuration builds (no traffic is sent by this test).
    let config = gonogo_load::cli::build_config(&load_args(&[
        "http://10.1.2.3/",
        "--allow-host",
        "10.1.2.3",
    ]))
    .unwrap();
    assert_eq!(config.addresses[0].to_string(), "10.1.2.3:80");
    // Loopback in every spelling needs nothing.
    for url in [
        "http://127.0.0.1:9/",
        "http://127.8.9.10:9/",
        "http://[::1]:9/",
        "http://localhost:9/",
    ] {
        assert!(
            gonogo_load::cli::build_config(&load_args(&[url])).is_ok(),
            "{url}"
        );
    }
}

#[test]
fn bad_flags_are_usage_errors() {
    for argv in [
        vec!["http://127.0.0.1:9/", "--duration", "ten"],
        vec!["http://127.0.0.1:9/", "--stage", "10s"],
        vec!["http://127.0.0.1:9/", "-H", "no colon"],
        vec!["http://127.0.0.1:9/", "--expect-status", "abc"],
        vec!["http://127.0.0.1:9/", "--name", "a.b"],
        vec![
            "http://127.0.0.1:9/",
            "--rate",
            "10",
            "--timer-resolution",
            "1s",
        ],
        vec!["ftp://127.0.0.1:9/"],
    ] {
        // Ranged flags (`--duration`, `--stage`) are refused by clap's value parser, before
        // build_config (issue 15); either way the error is a usage error, exit 2.
        let mut full = vec!["load"];
        full.extend_from_slice(&argv);
        match LoadCommand::try_parse_from(full) {
            Err(error) => assert_eq!(error.exit_code(), 2, "{argv:?}: {error}"),
            Ok(command) => {
                let error = gonogo_load::cli::build_config(&command.args).unwrap_err();
                assert_eq!(
                    gonogo_load::cli::exit_code_for(&error),
                    ExitCode::from(2),
                    "{argv:?}: {error}"
                );
            }
        }
    }
    let error = gonogo_load::cli::build_config(&load_args(&[
        "http://127.0.0.1:9/",
        "--body-file",
        "/nonexistent/x",
    ]))
    .unwrap_err();
    assert_eq!(gonogo_load::cli::exit_code_for(&error), ExitCode::from(3));
}

#[test]
fn saved_histograms_and_evidence_merge_exactly() {
    let server = TestServer::start();
    let work = tempfile::tempdir().unwrap();
    let mut logs = Vec::new();
    let mut evidence_files = Vec::new();
    let mut expected = gonogo_core::evidence::latency_histogram();
    for (shard, n) in [("a", "60"), ("b", "40")] {
        let log = work.path().join(format!("{shard}.hlog"));
        let evidence_dir = work.path().join(shard);
        let args = load_args(&[
            &server.url("/every10"),
            "-c",
            "2",
            "-n",
            n,
            "--quiet",
            "--save-histogram",
            log.to_str().unwrap(),
            "--evidence-dir",
            evidence_dir.to_str().unwrap(),
        ]);
        assert_eq!(run_cli(args), ExitCode::SUCCESS);
        let record = read_single_evidence(&evidence_dir);
        expected
            .add(latency(&record, "load.default.latency"))
            .unwrap();
        evidence_files.push(
            std::fs::read_dir(&evidence_dir)
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path(),
        );
        logs.push(log);
    }
    // Logs: the merged log holds exactly the sum of both runs' histograms.
    let merged_log = work.path().join("all.hlog");
    let mut argv = vec!["merge".to_owned()];
    argv.extend(logs.iter().map(|p| p.display().to_string()));
    argv.extend(["-o".to_owned(), merged_log.display().to_string()]);
    let args = MergeCommand::try_parse_from(argv).unwrap().args;
    assert_eq!(
        gonogo_load::cli::merge(args, LOAD_ROWS).unwrap(),
        ExitCode::SUCCESS
    );
    let (merged, intervals) = gonogo_load::histogram_log::read_log(&merged_log).unwrap();
    assert_eq!(intervals, 1);
    assert_eq!(merged.len(), 100);
    assert_eq!(merged, expected, "bucket-for-bucket equal");

    // Evidence: ratios add their k and n.
    let merged_evidence = work.path().join("merged.json");
    let mut argv = vec!["merge".to_owned()];
    argv.extend(evidence_files.iter().map(|p| p.display().to_string()));
    argv.extend(["-o".to_owned(), merged_evidence.display().to_string()]);
    let args = MergeCommand::try_parse_from(argv).unwrap().args;
    assert_eq!(
        gonogo_load::cli::merge(args, LOAD_ROWS).unwrap(),
        ExitCode::SUCCESS
    );
    let text = std::fs::read_to_string(&merged_evidence).unwrap();
    let record = gonogo_core::wire::parse_records(&text, LOAD_ROWS)
        .unwrap()
        .remove(0);
    assert_eq!(ratio(&record, "load.default.status_5xx"), (10, 100));
    assert_eq!(value(&record, "load.default.requests"), 100.0);
    assert_eq!(latency(&record, "load.default.latency"), expected);

    // Mixing the two kinds is refused with exit code 3.
    let args = MergeCommand::try_parse_from([
        "merge",
        logs[0].to_str().unwrap(),
        evidence_files[0].to_str().unwrap(),
        "-o",
        "/dev/null",
    ])
    .unwrap()
    .args;
    let error = gonogo_load::cli::merge(args, LOAD_ROWS).unwrap_err();
    assert_eq!(gonogo_load::cli::exit_code_for(&error), ExitCode::from(3));
    assert!(error.to_string().contains("cannot merge"), "{error}");
}

#[test]
fn a_broken_histogram_log_names_the_file_and_line() {
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("bad.hlog");
    std::fs::write(&path, "#[a comment]\nTag=x,0.0,1.0,1.0,not-base64!!\n").unwrap();
    let error = gonogo_load::histogram_log::read_log(&path)
        .unwrap_err()
        .to_string();
    assert!(error.contains("bad.hlog:2"), "{error}");
}

#[test]
fn json_result_document_carries_the_series() {
    // `--json` writes to the process's stdout; here we check the document it prints, built by
    // the same function.
    let server = TestServer::start();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/"),
        "--rate",
        "100",
        "--duration",
        "1500ms",
    ]))
    .unwrap();
    let result =
        gonogo_load::engine::run(config.clone(), Default::default(), false, &mut |_| {}).unwrap();
    let details = gonogo_load::evidence::details(&result, &config, "default");
    assert_eq!(details["model"], "open");
    assert_eq!(details["requests"]["due"], 150);
    let series = details["series"].as_array().unwrap();
    let total: u64 = series
        .iter()
        .map(|p| p["completed"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 150);
    assert!(series[0]["p99_us"].as_u64().is_some());
    assert_eq!(details["latency_timed_from"], "intended start");
}

#[test]
fn a_stop_request_ends_the_run_early_and_keeps_the_results() {
    // What Ctrl-C does, through the same handle: stop starting requests, let in-flight ones
    // finish, report what ran.
    let server = TestServer::start();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/"),
        "--rate",
        "200",
        "--duration",
        "8s",
    ]))
    .unwrap();
    let stop = gonogo_load::engine::StopHandle::new();
    let stopper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(700));
            stop.stop();
        })
    };
    let started = Instant::now();
    let result = gonogo_load::engine::run(config, stop, false, &mut |_| {}).unwrap();
    stopper.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped early: {:?}",
        started.elapsed()
    );
    assert_eq!(
        result.stop_reason,
        gonogo_load::engine::StopReason::Interrupted
    );
    let completed = result.totals.n_completed;
    assert!(
        (100..=200).contains(&completed),
        "about 0.7 s of 200/s ran: {completed}"
    );
    assert_eq!(result.totals.n_errors(), 0);
    assert_eq!(result.totals.latency.len(), completed);
}

#[test]
fn http2_closed_and_open_models_count_exactly() {
    let server = TestServer::start();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/every10"),
        "--http2",
        "-c",
        "10",
        "-n",
        "500",
        "--expect-body-contains",
        "o",
    ]))
    .unwrap();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    assert_eq!(
        result.totals.status_counts.get(&503),
        Some(&50),
        "{:?} {:?}",
        result.totals.status_counts,
        result.totals.error_counts
    );
    assert_eq!(result.totals.status_counts.get(&200), Some(&450));
    assert_eq!(result.totals.errors_of(ErrorClass::Http5xx), 50);
    assert_eq!(result.totals.n_errors(), 50);

    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/version"),
        "--http2",
        "--rate",
        "200",
        "--duration",
        "1s",
        "--expect-body-contains",
        "HTTP/2.0",
    ]))
    .unwrap();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    assert_eq!(result.totals.n_completed, 200);
    assert_eq!(
        result.totals.n_errors(),
        0,
        "{:?}",
        result.totals.error_counts
    );
}

#[test]
fn summary_shows_percentiles_statuses_errors_and_the_closed_model_note() {
    let server = TestServer::start();
    let config = gonogo_load::cli::build_config(&load_args(&[
        &server.url("/every10"),
        "-c",
        "2",
        "-n",
        "20",
    ]))
    .unwrap();
    let result =
        gonogo_load::engine::run(config.clone(), Default::default(), false, &mut |_| {}).unwrap();
    let text = gonogo_load::summary::render(&result, &config, "default");
    for expected in [
        "closed model, 2 connections, HTTP/1.1",
        "20 due, 20 completed, 0 dropped",
        "p99.9",
        "latency histogram",
        "status codes  200: 18, 503: 2",
        "errors        http_5xx: 2 (10.00%)",
        "note: closed model",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    assert!(!text.contains('\u{1b}'), "no colour codes");
}

#[test]
fn help_teaches_models_defaults_and_the_dropped_choice() {
    use clap::CommandFactory;
    let help = LoadCommand::command().render_long_help().to_string();
    for expected in [
        "--rate",
        "--stage",
        "--concurrency",
        "dropped",
        "[default: 10s]",
        "[default: 10000]",
        "--connections",
        "--allow-host",
        "Examples:",
        "--urls",
        "3 GET  http://127.0.0.1:8080/items",
    ] {
        assert!(help.contains(expected), "missing `{expected}` in --help");
    }
}

/// A raw HTTP/1.1 server that answers one request per connection and then closes it without
/// saying `Connection: close`, as servers do when an idle keep-alive connection times out.
/// Returns its address and a counter of accepted connections.
fn one_request_per_connection_server() -> (SocketAddr, Arc<AtomicU64>, std::thread::JoinHandle<()>)
{
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&accepted);
    let thread = std::thread::spawn(move || {
        // Serves 40 connections, then ends (the test sends at most 40 requests).
        for stream in listener.incoming().take(40) {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    });
    (address, accepted, thread)
}

#[test]
fn a_closed_keep_alive_connection_is_retried_only_for_idempotent_requests() {
    let (address, accepted, server) = one_request_per_connection_server();
    let url = format!("http://{address}/");
    let config = gonogo_load::cli::build_config(&load_args(&[
        &url,
        "-c",
        "1",
        "-n",
        "10",
        "--threads",
        "1",
    ]))
    .unwrap();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    assert_eq!(
        result.totals.status_counts.get(&200),
        Some(&10),
        "{:?}",
        result.totals.error_counts
    );
    assert_eq!(
        result.totals.n_errors(),
        0,
        "GET is resent on a fresh connection"
    );

    // POST is not resent: every request on a reused (closed) connection fails, every other one
    // opens a new connection and succeeds.
    let config = gonogo_load::cli::build_config(&load_args(&[
        &url,
        "-m",
        "POST",
        "--body",
        "x",
        "-c",
        "1",
        "-n",
        "20",
        "--threads",
        "1",
    ]))
    .unwrap();
    let result = gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
    assert_eq!(result.totals.status_counts.get(&200), Some(&10));
    assert_eq!(
        result.totals.errors_of(ErrorClass::ConnectionReset),
        10,
        "{:?}",
        result.totals.error_counts
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 20);
    // Let the server thread finish: 20 more connections are not coming, so connect and drop.
    for _ in 0..20 {
        let _ = std::net::TcpStream::connect(address);
    }
    server.join().unwrap();
}

/// The example binary `gonogo-load` (built by `cargo test` beside this test binary), or `None`
/// with the reason printed.
fn example_binary() -> Option<std::path::PathBuf> {
    let test_binary = std::env::current_exe().ok()?;
    let path = test_binary
        .parent()?
        .parent()?
        .join("examples")
        .join("gonogo-load");
    if path.exists() {
        Some(path)
    } else {
        gonogo_io::testing::missing_tool(
            &format!(
                "{} (not built; run `cargo test -p gonogo-load`, which builds examples)",
                path.display()
            ),
            "load example binary",
        );
        None
    }
}

#[test]
fn the_process_prints_json_on_stdout_and_the_summary_on_stderr() {
    let Some(binary) = example_binary() else {
        return;
    };
    let server = TestServer::start();
    let evidence_dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(binary)
        .args([
            "load",
            &server.url("/every10"),
            "-c",
            "2",
            "-n",
            "50",
            "--json",
            "--evidence-dir",
        ])
        .arg(evidence_dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(document["requests"]["completed"], 50);
    assert_eq!(document["status_counts"]["503"], 5);
    assert!(
        document["evidence_file"]
            .as_str()
            .unwrap()
            .ends_with(".json")
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("status codes  200: 45, 503: 5"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour with NO_COLOR (and none off a TTY)"
    );
}

#[test]
fn ctrl_c_stops_the_process_cleanly_and_still_writes_results() {
    let Some(binary) = example_binary() else {
        return;
    };
    let server = TestServer::start();
    let evidence_dir = tempfile::tempdir().unwrap();
    let histogram = evidence_dir.path().join("run.hlog");
    let mut child = std::process::Command::new(binary)
        .args([
            "load",
            &server.url("/every10"),
            "--rate",
            "200",
            "--duration",
            "30s",
            "--save-histogram",
        ])
        .arg(&histogram)
        .arg("--evidence-dir")
        .arg(evidence_dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) until the run is under way: the server has seen 50 requests.
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.state.requests.load(Ordering::SeqCst) < 50 {
        assert!(Instant::now() < deadline, "the run did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the process did not stop within 5 s of Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped early (Ctrl-C)"), "{stderr}");
    let record = read_single_evidence_json(evidence_dir.path());
    let sent = server.state.requests.load(Ordering::SeqCst);
    assert_eq!(
        value(&record, "load.default.requests") as u64,
        sent,
        "every request the server saw is counted"
    );
    let (histogram, _) = gonogo_load::histogram_log::read_log(&histogram).unwrap();
    assert_eq!(histogram.len(), sent);
}

fn read_single_evidence_json(dir: &Path) -> Evidence {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    gonogo_core::wire::parse_records(&std::fs::read_to_string(&files[0]).unwrap(), LOAD_ROWS)
        .unwrap()
        .remove(0)
}

/// Writes a `--urls` file into `dir` and returns its path.
fn urls_file(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("urls.txt");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn urls_follow_the_weights_exactly_in_the_closed_and_open_models() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = urls_file(
        dir.path(),
        &format!(
            "# 3 reads for every write\n3 GET  {items}\n\n1 POST {items}\n",
            items = server.url("/items")
        ),
    );
    let file = file.to_str().unwrap();
    // Two threads sharing 404 requests (101 whole cycles): 202 each, not a whole number of
    // cycles per thread, so only the run-wide order (thread i sends k = i, i + 2, ...) gives
    // exactly 303:101.
    // The same over HTTP/2 (streams on one connection per thread).
    let runs: [&[&str]; 4] = [
        &["-c", "4", "-n", "404", "--duration", "10s"],
        &["--rate", "404", "--duration", "1s", "-n", "404"],
        &["-c", "4", "-n", "404", "--duration", "10s", "--http2"],
        &["--rate", "404", "--duration", "1s", "-n", "404", "--http2"],
    ];
    let mut expected_get = 0;
    let mut expected_post = 0;
    for model in runs {
        let mut argv = vec!["--urls", file, "--body", "item", "--threads", "2"];
        argv.extend_from_slice(model);
        let config = gonogo_load::cli::build_config(&load_args(&argv)).unwrap();
        let result =
            gonogo_load::engine::run(config, Default::default(), false, &mut |_| {}).unwrap();
        let totals = &result.totals;
        assert_eq!(totals.n_completed, 404, "{model:?}");
        assert_eq!(totals.n_errors(), 0, "{model:?}: {:?}", totals.error_counts);
        let completed: Vec<u64> = totals.per_entry.iter().map(|e| e.n_completed).collect();
        assert_eq!(
            completed,
            [303, 101],
            "{model:?}: 3:1 over 101 whole cycles"
        );
        assert_eq!(
            totals.per_entry[0].status_classes[1], 303,
            "GET answered 200"
        );
        assert_eq!(
            totals.per_entry[1].status_classes[1], 101,
            "POST answered 201"
        );
        assert_eq!(totals.per_entry[0].latency.len(), 303);
        assert_eq!(totals.per_entry[1].latency.len(), 101);
        // The server saw the same split: GETs without the body, POSTs with it.
        expected_get += 303;
        expected_post += 101;
        assert_eq!(server.state.items_get.load(Ordering::SeqCst), expected_get);
        assert_eq!(
            server.state.items_post.load(Ordering::SeqCst),
            expected_post
        );
    }
}

#[test]
fn a_failing_url_shows_its_errors_on_its_own_line() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = urls_file(
        dir.path(),
        &format!("1 GET {}\n1 GET {}\n", server.url("/"), server.url("/fail")),
    );
    let args = load_args(&[
        "--urls",
        file.to_str().unwrap(),
        "-c",
        "2",
        "-n",
        "100",
        "--duration",
        "8s",
        "--name",
        "mix",
        "--quiet",
        "--no-evidence",
    ]);
    let outcome = gonogo_load::cli::execute(&args).unwrap();
    assert_eq!(outcome.exit_code, ExitCode::SUCCESS, "half succeeded");
    let record = &outcome.evidence;
    assert_eq!(ratio(record, "load.mix.errors"), (50, 100));
    assert_eq!(ratio(record, "load.mix.url.1.errors"), (0, 50));
    assert_eq!(ratio(record, "load.mix.url.2.errors"), (50, 50));
    assert_eq!(latency(record, "load.mix.url.1.latency").len(), 50);
    assert_eq!(latency(record, "load.mix.url.2.latency").len(), 50);
    assert_eq!(server.state.failed.load(Ordering::SeqCst), 50);
    // Every metric the run wrote is one the catalogue knows, with the shape and unit it says,
    // so a policy can gate on `load.mix.url.2.errors` before any run.
    for (name, metric) in &record.metrics {
        let known = LOAD_ROWS
            .lookup(name)
            .unwrap_or_else(|| panic!("{name} is not in the catalogue"));
        assert_eq!(known.shape, metric.value.shape(), "{name}");
        assert_eq!(
            gonogo_core::units::Unit::parse(known.unit),
            metric.unit,
            "{name}"
        );
    }
    // The JSON document (`--json` prints the details) carries one object per URL.
    let details = &record.details;
    assert_eq!(details["urls_file"], file.display().to_string());
    assert!(details["method"].is_null());
    assert_eq!(details["url"], format!("http://{}", server.address));
    let urls = details["urls"].as_array().unwrap();
    assert_eq!(urls.len(), 2);
    assert_eq!(urls[0]["path"], "/");
    assert_eq!(urls[0]["requests"]["completed"], 50);
    assert_eq!(urls[0]["requests"]["errors"], 0);
    assert_eq!(urls[0]["status_classes"]["2xx"], 50);
    assert_eq!(urls[1]["entry"], 2);
    assert_eq!(urls[1]["line"], 2);
    assert_eq!(urls[1]["weight"], 1);
    assert_eq!(urls[1]["method"], "GET");
    assert_eq!(urls[1]["path"], "/fail");
    assert_eq!(urls[1]["requests"]["errors"], 50);
    assert_eq!(urls[1]["status_classes"]["5xx"], 50);
    assert_eq!(urls[1]["error_counts"]["http_5xx"], 50);
    assert!(urls[1]["status_classes"].get("2xx").is_none());
    assert!(urls[1]["latency_us"]["p99"].as_u64().is_some());
    // The summary has a line per URL, each with its own error share.
    let text = gonogo_load::summary::render(&outcome.result, &outcome.config, "mix");
    assert!(text.contains("2 URL(s) from"), "{text}");
    assert!(text.contains("per URL (latency from the send)"), "{text}");
    let line = |path: &str| {
        text.lines()
            .find(|l| l.split_whitespace().nth(2) == Some(path))
            .unwrap_or_else(|| panic!("no line for {path} in:\n{text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(line("/")[..6], ["1", "GET", "/", "1", "50", "0.00%"]);
    assert_eq!(
        line("/fail")[..6],
        ["2", "GET", "/fail", "1", "50", "100.00%"]
    );
}

#[test]
fn a_bad_urls_file_is_refused_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |text: &str, extra: &[&str]| {
        let file = urls_file(dir.path(), text);
        let mut argv = vec!["--urls", file.to_str().unwrap(), "-n", "1", "--quiet"];
        argv.extend_from_slice(extra);
        argv.push("--no-evidence");
        let error = gonogo_load::cli::run(load_args(&argv)).unwrap_err();
        (error.to_string(), gonogo_load::cli::exit_code_for(&error))
    };
    let (message, code) = run(
        "1 GET http://127.0.0.1:9/\n2 get http://127.0.0.1:9/\n",
        &[],
    );
    assert!(message.contains("urls.txt:2:"), "{message}");
    assert!(message.contains("method `get`"), "{message}");
    assert_eq!(code, ExitCode::from(3), "a bad input file");
    let (message, _) = run(
        "1 GET http://127.0.0.1:9/a\n1 GET http://127.0.0.1:8/b\n",
        &[],
    );
    assert!(message.contains("urls.txt:2:"), "{message}");
    assert!(message.contains("same scheme, host and port"), "{message}");
    // The loopback rule applies to the file's URLs like to a URL on the command line.
    let (message, code) = run("1 GET http://10.1.2.3/\n", &[]);
    assert!(message.contains("refusing to send load"), "{message}");
    assert!(message.contains("--allow-host 10.1.2.3"), "{message}");
    assert_eq!(code, ExitCode::from(2));
    let (message, code) = run("1 GET zmq+tcp://127.0.0.1:9\n", &[]);
    assert!(
        message.contains("urls.txt:1: zmq+tcp:// targets are not supported yet"),
        "{message}"
    );
    assert_eq!(code, ExitCode::from(2));
    // A missing file names itself.
    let error = gonogo_load::cli::run(load_args(&[
        "--urls",
        "/nonexistent/urls.txt",
        "--no-evidence",
    ]))
    .unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/urls.txt"),
        "{error}"
    );
    assert_eq!(gonogo_load::cli::exit_code_for(&error), ExitCode::from(3));
    // The command line takes a URL or --urls (not both, not neither), and no --method with
    // --urls (each line has its own).
    for argv in [
        &["load", "http://127.0.0.1:9/", "--urls", "urls.txt"][..],
        &["load"][..],
        &["load", "--urls", "urls.txt", "-m", "POST"][..],
    ] {
        assert!(LoadCommand::try_parse_from(argv).is_err(), "{argv:?}");
    }
}

#[test]
fn the_process_prints_the_per_url_table_and_json() {
    let Some(binary) = example_binary() else {
        return;
    };
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = urls_file(
        dir.path(),
        &format!("3 GET {}\n1 GET {}\n", server.url("/"), server.url("/fail")),
    );
    let output = std::process::Command::new(binary)
        .args(["load", "--urls"])
        .arg(&file)
        .args([
            "-c",
            "2",
            "-n",
            "40",
            "--duration",
            "8s",
            "--json",
            "--no-evidence",
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let document: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    let urls = document["urls"].as_array().unwrap();
    assert_eq!(urls[0]["requests"]["due"], 30);
    assert_eq!(urls[1]["requests"]["due"], 10);
    assert_eq!(urls[1]["requests"]["errors"], 10);
    assert!(stderr.contains("per URL"), "{stderr}");
    assert!(stderr.contains("/fail"), "{stderr}");
}
