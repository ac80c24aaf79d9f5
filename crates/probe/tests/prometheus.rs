//! `gonogo prometheus` against a real Prometheus (Debian package `prometheus`) that the test
//! starts on 127.0.0.1 with a temporary config and data folder, scraping an axum target the
//! test runs, with one alerting and one recording rule, sending alerts to a real Alertmanager
//! (Debian package `prometheus-alertmanager`) when it is installed.

mod support;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use clap::Parser;
use gonogo_probe::cli::prometheus::{PrometheusArgs, run};
use gonogo_probe::net::{HostPolicy, Timeouts, TlsSettings};
use gonogo_probe::prometheus::{PrometheusClient, QueryKind};
use gonogo_testkit::prometheus::scrape_config;
use gonogo_testkit::{Alertmanager, Prometheus, free_port};
use support::{TestServer, read_evidence};

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

const RULES: &str = r#"groups:
  - name: gonogo-test
    interval: 1s
    rules:
      - alert: HighErrorRatio
        expr: sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m])) > 0.05
        for: 1m
        labels:
          severity: page
      - record: job:up:sum
        expr: sum by (job) (up)
"#;

/// bcrypt (cost 4) of the test password `gonogo-test-password`, for Prometheus' web config.
const TEST_PASSWORD_BCRYPT: &str = "$2b$04$bglmBek99xPNxxC.JbJWoeZ.QV/J0E3kctdp2z1MwlUdeQJuR6TL2";

fn start_prometheus(
    target: std::net::SocketAddr,
    alertmanager: Option<u16>,
    basic_auth: bool,
) -> Option<Prometheus> {
    let alerting = alertmanager
        .map(|port| format!("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:{port}']\n"))
        .unwrap_or_default();
    let config = scrape_config(
        "target",
        &[target],
        &format!("rule_files: ['rules.yml']\n{alerting}"),
    );
    let web = format!("basic_auth_users:\n  gonogo: {TEST_PASSWORD_BCRYPT}\n");
    let (files, args): (Vec<(&str, &str)>, &[&str]) = if basic_auth {
        (
            vec![("rules.yml", RULES), ("web.yml", &web)],
            &["--web.config.file={DIR}/web.yml"],
        )
    } else {
        (vec![("rules.yml", RULES)], &[])
    };
    Prometheus::start("prometheus", &config, &files, args)
}

/// Polls `check` every 50 ms until it returns Some, for at most `limit`.
async fn poll<T, F: std::future::Future<Output = Option<T>>>(
    limit: Duration,
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn queries_errors_and_rules_of_a_real_prometheus() {
    let metrics = "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 42\nhttp_requests_total{code=\"500\"} 3\n";
    let router = axum::Router::new().route(
        "/metrics",
        get(move || async move { ([(CONTENT_TYPE, "text/plain; version=0.0.4")], metrics) }),
    );
    let target = TestServer::start(router, 0);
    // SAFETY: this binary's only test sets these before it starts any other thread.
    unsafe {
        std::env::set_var("GONOGO_TEST_PROM_USER", "gonogo");
        std::env::set_var("GONOGO_TEST_PROM_PASSWORD", "gonogo-test-password");
    }
    let alertmanager = Alertmanager::start("prometheus (alertmanager part)");
    let Some(prometheus) =
        start_prometheus(target.address, alertmanager.as_ref().map(|a| a.port), false)
    else {
        return;
    };
    let base = format!("http://127.0.0.1:{}", prometheus.port);

    // Readiness, then the first scrape and the first rule evaluation (bounded polls).
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
    runtime.block_on(async {
        let ready_url = format!("{base}/-/ready");
        poll(Duration::from_secs(30), "/-/ready", || {
            let ready_url = ready_url.clone();
            async move {
                let target = gonogo_probe::net::Target::parse(&ready_url).unwrap();
                let exchange = gonogo_probe::net::exchange(
                    &target,
                    &Default::default(),
                    &HostPolicy::default(),
                    &TlsSettings::new(&[]).unwrap(),
                    Timeouts::default(),
                )
                .await
                .ok()?;
                (exchange.response.status() == 200).then_some(())
            }
        })
        .await;
        poll(Duration::from_secs(30), "the first scrape", || async {
            let result = client
                .query(
                    "sum(http_requests_total)",
                    &QueryKind::Instant { time: None },
                )
                .await
                .ok()?;
            (!result.series.is_empty()).then_some(())
        })
        .await;
        poll(
            Duration::from_secs(30),
            "the first rule evaluation",
            || async {
                let (rules, _) = client.rules().await.ok()?;
                rules.iter().all(|r| r.health == "ok").then_some(())
            },
        )
        .await;
    });

    // An instant query becomes evidence with its query, server and evaluation time.
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().to_str().unwrap();
    let code = run(args(&[
        "query",
        &base,
        "sum(http_requests_total)",
        "--name",
        "requests",
        "--evidence-dir",
        evidence,
    ]))
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let record = &read_evidence(dir.path())[0];
    assert_eq!(record["kind"], "prometheus");
    assert_eq!(record["metrics"]["prometheus.requests"]["value"], 45.0);
    // A PromQL scalar comes without its samples: an estimate, which no gate decides on.
    assert_eq!(record["metrics"]["prometheus.requests"]["estimate"], true);
    assert!(
        record["source"]["location"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "{base}/api/v1/query?query=sum%28http_requests_total%29"
            ))
    );
    assert_eq!(record["details"]["query"], "sum(http_requests_total)");
    assert_eq!(record["details"]["server"], base.as_str());
    assert!(
        record["details"]["evaluation_time"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    // A range query over the last minute, reduced to its maximum.
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(&[
        "query",
        &base,
        "up{job=\"target\"}",
        "--name",
        "up",
        "--last",
        "1m",
        "--step",
        "1s",
        "--reduce",
        "min",
        "--evidence-dir",
        dir.path().to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let record = &read_evidence(dir.path())[0];
    assert_eq!(record["metrics"]["prometheus.up"]["value"], 1.0);
    assert_eq!(record["details"]["kind"], "range");
    assert!(record["details"]["points"].as_u64().unwrap() >= 1);

    // No series: missing evidence, exit 1, no file.
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(&[
        "query",
        &base,
        "no_such_series_total",
        "--evidence-dir",
        dir.path().to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(code, ExitCode::from(1));
    assert!(
        !dir.path()
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    );

    // Several series: the query must aggregate.
    let code = run(args(&[
        "query",
        &base,
        "http_requests_total",
        "--no-evidence",
    ]))
    .unwrap();
    assert_eq!(code, ExitCode::from(1));

    // Bad PromQL: the server's own message.
    let error = runtime
        .block_on(client.query("sum(", &QueryKind::Instant { time: None }))
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("bad_data") && message.contains("parse error"),
        "{message}"
    );
    let code = run(args(&["query", &base, "sum(", "--no-evidence"])).unwrap();
    assert_eq!(code, ExitCode::from(2));

    // Rules: loaded, healthy, and the alert covers http_requests_total but not up.
    let (rules, _) = runtime.block_on(client.rules()).unwrap();
    assert_eq!(rules.len(), 2, "{rules:?}");
    let alert = rules.iter().find(|r| r.kind == "alerting").unwrap();
    assert_eq!(alert.name, "HighErrorRatio");
    assert_eq!(alert.health, "ok");
    assert_eq!(alert.last_error, None);
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(&[
        "rules",
        &base,
        "--require-alert-on",
        "http_requests_total",
        "--evidence-dir",
        dir.path().to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let record = &read_evidence(dir.path())[0];
    assert_eq!(
        record["metrics"]["prometheus.rules.alert_coverage"]["ratio"],
        serde_json::json!({"k": 1, "n": 1})
    );
    assert_eq!(
        record["metrics"]["prometheus.rules.unhealthy"]["value"],
        0.0
    );
    let code = run(args(&[
        "rules",
        &base,
        "--require-alert-on",
        "http_requests_total",
        "--require-alert-on",
        "up",
        "--no-evidence",
    ]))
    .unwrap();
    assert_eq!(code, ExitCode::from(1), "no alert selects `up`");

    // The Alertmanager: ready, and Prometheus sends to it; one that is not running fails.
    if let Some(alertmanager) = &alertmanager {
        let am_url = format!("http://127.0.0.1:{}", alertmanager.port);
        runtime.block_on(poll(
            Duration::from_secs(30),
            "Prometheus to discover the Alertmanager",
            || async {
                let check = client.check_alertmanager(&am_url).await.ok()?;
                check.ok().then_some(())
            },
        ));
        let dir = tempfile::tempdir().unwrap();
        let code = run(args(&[
            "rules",
            &base,
            "--alertmanager",
            &am_url,
            "--evidence-dir",
            dir.path().to_str().unwrap(),
        ]))
        .unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        let record = &read_evidence(dir.path())[0];
        assert_eq!(
            record["metrics"]["prometheus.alertmanager.reachable"]["value"],
            1.0
        );
        assert_eq!(
            record["details"]["alertmanager"]["active_in_prometheus"],
            true
        );
        let nothing_there = format!("http://127.0.0.1:{}", free_port());
        let dir = tempfile::tempdir().unwrap();
        let code = run(args(&[
            "rules",
            &base,
            "--alertmanager",
            &nothing_there,
            "--evidence-dir",
            dir.path().to_str().unwrap(),
        ]))
        .unwrap();
        assert_eq!(code, ExitCode::from(1));
        let record = &read_evidence(dir.path())[0];
        assert_eq!(
            record["metrics"]["prometheus.alertmanager.reachable"]["value"],
            0.0
        );
        assert_eq!(record["details"]["alertmanager"]["ready"], false);
    }

    // Basic auth: credentials only from the environment; without them the server's 401 shows.
    let secured = start_prometheus(target.address, None, true).expect("prometheus is installed");
    let secured_base = format!("http://127.0.0.1:{}", secured.port);
    let auth = gonogo_probe::prometheus::Auth::from_env(
        "GONOGO_TEST_PROM_TOKEN",
        "GONOGO_TEST_PROM_USER",
        "GONOGO_TEST_PROM_PASSWORD",
    );
    let with_auth = PrometheusClient::new(
        &secured_base,
        HostPolicy::default(),
        TlsSettings::new(&[]).unwrap(),
        Timeouts::default(),
        auth,
    )
    .unwrap();
    let without_auth = PrometheusClient::new(
        &secured_base,
        HostPolicy::default(),
        TlsSettings::new(&[]).unwrap(),
        Timeouts::default(),
        None,
    )
    .unwrap();
    runtime.block_on(poll(
        Duration::from_secs(30),
        "the secured Prometheus",
        || async {
            with_auth
                .query("vector(1)", &QueryKind::Instant { time: None })
                .await
                .ok()
        },
    ));
    match runtime.block_on(without_auth.query("vector(1)", &QueryKind::Instant { time: None })) {
        Err(gonogo_probe::prometheus::PromError::Http { status, .. }) => assert_eq!(status, 401),
        other => panic!("expected HTTP 401, got {other:?}"),
    }
    let code = run(args(&[
        "query",
        &secured_base,
        "vector(1)",
        "--no-evidence",
    ]))
    .unwrap();
    assert_eq!(
        code,
        ExitCode::from(3),
        "no credentials in the default variables"
    );
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(&[
        "query",
        &secured_base,
        "vector(1)",
        "--name",
        "one",
        "--user-env",
        "GONOGO_TEST_PROM_USER",
        "--password-env",
        "GONOGO_TEST_PROM_PASSWORD",
        "--evidence-dir",
        dir.path().to_str().unwrap(),
    ]))
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let record = &read_evidence(dir.path())[0];
    assert_eq!(record["metrics"]["prometheus.one"]["value"], 1.0);
    let text = serde_json::to_string(record).unwrap();
    assert!(
        !text.contains("gonogo-test-password"),
        "credentials never reach evidence"
    );
}
