//! `gonogo prometheus query --kind ratio|availability|histogram` against a real Prometheus
//! (Debian package `prometheus`) scraping a real exporter the test starts: Python's
//! `prometheus_client` (scripts/deps/python.txt) serving a labelled request counter, a 0/1
//! `probe_success` gauge and a latency histogram whose observations the test decides. Both on
//! 127.0.0.1; each prints why it skips when its tool is missing.
//!
//! The queries are evaluated at the timestamp of the exporter's last scrape: there `increase()`
//! does not extrapolate (the counters' first samples are 0 and the window ends on a sample), so
//! k, n and the bucket counts are exact and the test can assert them.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use gonogo_probe::cli::prometheus::{PrometheusArgs, run};
use gonogo_probe::net::{HostPolicy, Timeouts, TlsSettings};
use gonogo_probe::prometheus::{PrometheusClient, QueryKind, QueryResult};
use gonogo_testkit::Prometheus;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: PrometheusArgs,
}

fn args(argv: &[&str]) -> PrometheusArgs {
    let mut full = vec!["prometheus"];
    full.extend_from_slice(argv);
    Cli::try_parse_from(full).unwrap().args
}

/// A child process killed when the test ends, with its folder.
struct Running {
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The exporter: prints its port, then on each stdin line `go` increments the counters,
/// observes the latencies and sets probe_success to 0, answering `done`.
const EXPORTER: &str = r#"
import sys
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
registry = CollectorRegistry()
requests = Counter("shop_requests_total", "Requests.", ["code"], registry=registry)
ok, failed = requests.labels("200"), requests.labels("500")  # exported at 0 from the start
probe = Gauge("probe_success", "Whether the probe succeeded.", registry=registry)
probe.set(1)
latency = Histogram("shop_request_duration_seconds", "Latency.", registry=registry,
                    buckets=(0.005, 0.025, 0.1, 0.25, 1.0))
server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
print(server.server_port, flush=True)
for line in sys.stdin:
    if line.strip() == "go":
        ok.inc(183)
        failed.inc(17)
        for value, times in ((0.004, 40), (0.02, 90), (0.07, 50), (0.2, 15), (0.9, 3), (4.0, 2)):
            for _ in range(times):
                latency.observe(value)
        probe.set(0)
        print("done", flush=True)
"#;

fn start_exporter() -> Option<(
    Running,
    ChildStdin,
    BufReader<std::process::ChildStdout>,
    u16,
)> {
    let mut child = match Command::new("python3")
        .arg("-c")
        .arg(EXPORTER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(child) => child,
        Err(_) => {
            gonogo_testkit::missing_tool("python3", "prometheus_shaped");
            return None;
        }
    };
    let stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let running = Running { child };
    let Ok(port) = line.trim().parse::<u16>() else {
        gonogo_testkit::missing_tool(
            "prometheus_client (PyPI, listed in scripts/deps/python.txt)",
            "prometheus_shaped",
        );
        return None;
    };
    Some((running, stdin, stdout, port))
}

fn start_prometheus(exporter: u16) -> Option<(Prometheus, u16)> {
    let target = std::net::SocketAddr::from(([127, 0, 0, 1], exporter));
    let prometheus = Prometheus::scraping("prometheus_shaped", "shop", &[target])?;
    let port = prometheus.port;
    Some((prometheus, port))
}

/// Runs `query` now until `check` accepts its answer, polling every 50 ms for at most 60 s.
fn wait_for<T>(
    client: &PrometheusClient,
    runtime: &tokio::runtime::Runtime,
    what: &str,
    query: &str,
    mut check: impl FnMut(&QueryResult) -> Option<T>,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = runtime.block_on(client.query(query, &QueryKind::Instant { time: None }));
        if let Some(value) = answer.ok().as_ref().and_then(&mut check) {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn first_value(result: &QueryResult) -> Option<f64> {
    result.series.first()?.points.first().map(|p| p.1)
}

/// Runs `gonogo prometheus query` and returns its exit code and the record it wrote.
fn query(argv: &[&str]) -> (ExitCode, Option<gonogo_core::evidence::Evidence>) {
    let dir = tempfile::tempdir().unwrap();
    let mut full = vec!["query"];
    full.extend_from_slice(argv);
    full.extend(["--evidence-dir", dir.path().to_str().unwrap()]);
    let code = run(args(&full)).unwrap();
    let mut records = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        records.extend(
            gonogo_core::wire::parse_records(
                &text,
                gonogo_core::catalog::Catalog::new(&[gonogo_probe::METRICS]),
            )
            .unwrap(),
        );
    }
    assert!(records.len() <= 1);
    (code, records.pop())
}

#[test]
fn ratios_availability_and_histograms_keep_their_sample_size() {
    let Some((_exporter, mut stdin, mut stdout, exporter_port)) = start_exporter() else {
        return;
    };
    let Some((_prometheus, port)) = start_prometheus(exporter_port) else {
        return;
    };
    let base = format!("http://127.0.0.1:{port}");
    let client = PrometheusClient::new(
        &base,
        HostPolicy::default(),
        TlsSettings::new(&[]).unwrap(),
        Timeouts::default(),
        None,
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // Two scrapes of the zeros, so that every counter's first sample is 0 and probe_success
    // has samples of 1.
    wait_for(
        &client,
        &runtime,
        "two scrapes before the traffic",
        "count_over_time(shop_requests_total{code=\"500\"}[10m])",
        |r| first_value(r).filter(|&n| n >= 2.0),
    );
    writeln!(stdin, "go").unwrap();
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "done");
    // Two scrapes after the traffic (probe_success was set to 0 last, so its two samples at 0
    // come from scrapes that saw every count); then the last scrape's timestamp.
    wait_for(
        &client,
        &runtime,
        "two scrapes after the traffic",
        "count_over_time(probe_success[10m]) - sum_over_time(probe_success[10m])",
        |r| first_value(r).filter(|&zeros| zeros >= 2.0),
    );
    let at = wait_for(
        &client,
        &runtime,
        "the last scrape's timestamp",
        "timestamp(probe_success)",
        first_value,
    );
    let time = format!("{at:.3}");

    // The error ratio: 17 of 200 requests.
    let (code, record) = query(&[
        &base,
        "--name",
        "errors",
        "--kind",
        "ratio",
        "--errors",
        "shop_requests_total{code=\"500\"}",
        "--total",
        "shop_requests_total",
        "--window",
        "10m",
        "--time",
        &time,
    ]);
    assert_eq!(code, ExitCode::SUCCESS);
    let record = record.unwrap();
    let metric = &record.metrics["prometheus.errors"];
    let ratio = metric.value.as_ratio().unwrap();
    assert_eq!((ratio.k, ratio.n), (17, 200));
    assert!(metric.note.as_deref().unwrap().contains("approximate"));
    assert_eq!(record.details["kind"], "ratio");
    assert_eq!(
        record.details["queries"][0],
        "sum(increase(shop_requests_total{code=\"500\"}[10m]))"
    );

    // Availability: the samples of probe_success at 1, of all its samples, as the raw range
    // vector at the same instant counts them.
    let raw = runtime
        .block_on(client.query(
            "probe_success[10m]",
            &QueryKind::Instant {
                time: Some(time.clone()),
            },
        ))
        .unwrap();
    let points = &raw.series[0].points;
    let ones = points.iter().filter(|(_, v)| *v == 1.0).count() as u64;
    assert!(ones >= 2 && points.len() as u64 >= ones + 2, "{points:?}");
    let (code, record) = query(&[
        &base,
        "--name",
        "probe",
        "--kind",
        "availability",
        "--series",
        "probe_success{job=\"shop\"}",
        "--window",
        "10m",
        "--time",
        &time,
    ]);
    assert_eq!(code, ExitCode::SUCCESS);
    let ratio = record.unwrap().metrics["prometheus.probe"]
        .value
        .as_ratio()
        .unwrap();
    assert_eq!((ratio.k, ratio.n), (ones, points.len() as u64));

    // The latency histogram: 200 observations, each bucket's at its upper bound.
    let (code, record) = query(&[
        &base,
        "--name",
        "latency",
        "--kind",
        "histogram",
        "--histogram",
        "shop_request_duration_seconds{job=\"shop\"}",
        "--window",
        "10m",
        "--time",
        &time,
    ]);
    assert_eq!(code, ExitCode::SUCCESS);
    let record = record.unwrap();
    let metric = &record.metrics["prometheus.latency"];
    let Some(histogram) = metric.value.as_histogram() else {
        panic!("not a distribution: {:?}", metric.value);
    };
    assert_eq!(histogram.len(), 200);
    for (micros, count) in [
        (5_000, 40),
        (25_000, 90),
        (100_000, 50),
        (250_000, 15),
        (1_000_000, 3),
        (histogram.high(), 2),
    ] {
        assert_eq!(histogram.count_at(micros), count, "at {micros} us");
    }
    assert_eq!(metric.unit.to_string(), "us");
    let buckets: Vec<(String, u64)> = record.details["figures"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["le"].as_str().unwrap().to_string(),
                b["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        buckets,
        [
            ("0.005", 40),
            ("0.025", 90),
            ("0.1", 50),
            ("0.25", 15),
            ("1.0", 3),
            ("+Inf", 2)
        ]
        .map(|(le, n)| (le.to_string(), n))
    );
    assert!(
        record.details["warnings"].as_array().unwrap().is_empty(),
        "{}",
        record.details["warnings"]
    );

    // An errors selector with no series is missing evidence (exit 1), never 0 errors; an
    // expression where a selector belongs is refused before any query (exit 2).
    let (code, record) = query(&[
        &base,
        "--name",
        "nothing",
        "--kind",
        "ratio",
        "--errors",
        "shop_requests_total{code=\"503\"}",
        "--total",
        "shop_requests_total",
        "--window",
        "10m",
        "--time",
        &time,
    ]);
    assert_eq!(code, ExitCode::from(1));
    assert!(record.is_none());
    let (code, _) = query(&[
        &base,
        "--kind",
        "ratio",
        "--errors",
        "sum(rate(shop_requests_total[5m]))",
        "--total",
        "shop_requests_total",
        "--window",
        "10m",
    ]);
    assert_eq!(code, ExitCode::from(2));
}

#[test]
fn kind_flags_are_checked_by_the_command_line() {
    let parse = |argv: &[&str]| {
        let mut full = vec!["prometheus", "query", "http://127.0.0.1:9"];
        full.extend_from_slice(argv);
        Cli::try_parse_from(full).map(|cli| cli.args)
    };
    // A ratio needs both counters and a window; a scalar needs its PromQL.
    assert!(parse(&["--kind", "ratio", "--errors", "e", "--window", "5m"]).is_err());
    assert!(parse(&["--kind", "ratio", "--errors", "e", "--total", "t"]).is_err());
    assert!(parse(&[]).is_err());
    assert!(
        parse(&[
            "up",
            "--kind",
            "availability",
            "--series",
            "up",
            "--window",
            "5m"
        ])
        .is_err()
    );
    assert!(
        parse(&[
            "--kind",
            "histogram",
            "--histogram",
            "h",
            "--window",
            "5m",
            "--last",
            "1h"
        ])
        .is_err()
    );
    let ok = parse(&["--kind", "availability", "--series", "up", "--window", "5m"]).unwrap();
    let gonogo_probe::cli::prometheus::PrometheusCommand::Query(query) = ok.command else {
        panic!("a query");
    };
    assert_eq!(
        query.shaped().unwrap(),
        Some(gonogo_probe::prometheus::Shaped::Availability {
            series: "up".into()
        })
    );
    // A key of another kind is refused with its name.
    let stray = parse(&[
        "--kind",
        "availability",
        "--series",
        "up",
        "--errors",
        "e",
        "--window",
        "5m",
    ])
    .unwrap();
    let gonogo_probe::cli::prometheus::PrometheusCommand::Query(query) = stray.command else {
        panic!("a query");
    };
    assert!(query.shaped().unwrap_err().contains("--errors"));
}
