//! `gonogo probe` against real servers on loopback: an axum server (conditions, health+json,
//! an outage in a watch window) and a TLS server with a certificate the test generates.

mod support;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use gonogo_probe::cli::probe::run;
use support::{TestServer, probe_args as args, read_evidence, wait_for_port};

fn app() -> axum::Router {
    axum::Router::new()
        .route(
            "/health",
            get(|| async {
                ([(CONTENT_TYPE, "application/json")], r#"{"status":"UP","items":[1,2,3]}"#)
            }),
        )
        .route(
            "/ready",
            get(|| async {
                (
                    [(CONTENT_TYPE, "application/health+json")],
                    r#"{"status":"fail","checks":{"postgres:connections":[{"componentId":"primary","status":"fail"}],"uptime":[{"status":"pass"}]}}"#,
                )
            }),
        )
        .route("/text", get(|| async { "plain OK" }))
}

#[test]
fn http_conditions_pass_and_fail_with_their_reasons() {
    let server = TestServer::start(app(), 0);
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/health");
    let code = run(args(
        &[
            &url,
            "--name",
            "health",
            "--condition",
            "[STATUS] == 200",
            "--condition",
            "[RESPONSE_TIME] < 5s",
            "--condition",
            "[BODY].status == UP",
            "--condition",
            "[HEADER].content-type == application/json",
            "--condition",
            "len([BODY].items) > 2",
            "--condition",
            "[BODY] == pat(*UP*)",
        ],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let record = &read_evidence(dir.path())[0];
    assert_eq!(record["kind"], "probe");
    assert_eq!(
        record["metrics"]["probe.health.availability"]["ratio"],
        serde_json::json!({"k": 1, "n": 1})
    );
    assert!(record["metrics"]["probe.health.latency"]["histogram"].is_string());
    assert_eq!(record["metrics"]["probe.health.latency"]["unit"], "us");

    // A JSON path on a text body is a condition error, reported as such.
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(
        &[
            &server.url("/text"),
            "--name",
            "text",
            "--condition",
            "[STATUS] == 200",
            "--condition",
            "[BODY].status == UP",
        ],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::from(1));
    let record = &read_evidence(dir.path())[0];
    assert_eq!(record["details"]["failures_by_reason"]["condition:2"], 1);
    assert_eq!(record["details"]["conditions"][1]["errors"], 1);
    assert!(
        record["details"]["conditions"][1]["last_failure"]
            .as_str()
            .unwrap()
            .contains("not JSON")
    );
}

#[test]
fn health_json_failing_checks_are_named() {
    let server = TestServer::start(app(), 0);
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(
        &[&server.url("/ready"), "--name", "ready"],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(
        code,
        ExitCode::from(1),
        "status fail with HTTP 200 is still a failure"
    );
    let record = &read_evidence(dir.path())[0];
    assert_eq!(record["details"]["failures_by_reason"]["health_fail"], 1);
    assert_eq!(
        record["details"]["health"]["failing_checks"],
        serde_json::json!(["postgres:connections (primary)"])
    );
}

#[test]
fn tcp_probe_connects_and_a_closed_port_is_refused() {
    let server = TestServer::start(app(), 0);
    let dir = tempfile::tempdir().unwrap();
    let tcp = format!("tcp://{}", server.address);
    assert_eq!(
        run(args(
            &[&tcp, "--name", "tcp", "--condition", "[CONNECTED] == true"],
            dir.path()
        ))
        .unwrap(),
        ExitCode::SUCCESS
    );
    let port = server.address.port();
    server.stop();
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(
        &[&format!("tcp://127.0.0.1:{port}"), "--name", "tcp"],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::from(1));
    let record = &read_evidence(dir.path())[0];
    assert_eq!(
        record["details"]["failures_by_reason"]["connect_refused"],
        1
    );
}

#[test]
fn non_loopback_targets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run(args(&["http://192.0.2.10/"], dir.path())).unwrap(),
        ExitCode::from(2)
    );
    assert_eq!(
        run(args(&["dns://example.com"], dir.path())).unwrap(),
        ExitCode::from(2)
    );
    assert!(!dir.path().join("x").exists());
}

#[test]
fn dns_resolves_localhost() {
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(
        &[
            "dns://localhost",
            "--name",
            "dns",
            "--condition",
            "[DNS_ANSWERS] > 0",
        ],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
}

#[test]
fn a_watch_window_records_the_outage_when_the_server_goes_down_and_comes_back() {
    let served = Arc::new(AtomicU64::new(0));
    let counter = served.clone();
    let router = axum::Router::new().route(
        "/",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { "up" }
        }),
    );
    let server = TestServer::start(router.clone(), 0);
    let port = server.address.port();
    let url = server.url("/");
    let dir = tempfile::tempdir().unwrap();
    let watch_started = Instant::now();
    let scenario = std::thread::spawn(move || {
        // Wait (bounded) until the watch has seen the server up a few times.
        let deadline = Instant::now() + Duration::from_secs(10);
        while served.load(Ordering::SeqCst) < 5 {
            assert!(
                Instant::now() < deadline,
                "the probe never reached the server"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        server.stop();
        let stopped_at = watch_started.elapsed();
        // The outage lasts 600 ms of the scenario (a duration under test, not a synchronisation).
        std::thread::sleep(Duration::from_millis(600));
        let restarted = TestServer::start(router, port);
        wait_for_port(restarted.address);
        let restarted_at = watch_started.elapsed();
        (restarted, stopped_at, restarted_at)
    });
    let code = run(args(
        &[
            &url,
            "--name",
            "flappy",
            "--watch",
            "3s",
            "--interval",
            "100ms",
            "--timeout",
            "500ms",
        ],
        dir.path(),
    ))
    .unwrap();
    let (_restarted, stopped_at, restarted_at) = scenario.join().unwrap();
    assert_eq!(code, ExitCode::from(1), "some attempts failed");
    let record = &read_evidence(dir.path())[0];
    let availability = &record["metrics"]["probe.flappy.availability"]["ratio"];
    assert_eq!(availability["n"], 30, "3 s / 100 ms scheduled attempts");
    let k = availability["k"].as_u64().unwrap();
    assert!((15..30).contains(&k), "successes {k}");
    let outages = record["details"]["outages"].as_array().unwrap();
    assert_eq!(outages.len(), 1, "{outages:?}");
    let outage = &outages[0];
    assert_eq!(outage["ongoing"], false);
    assert!(outage["failed_attempts"].as_u64().unwrap() >= 4, "{outage}");
    let start = outage["start_offset_s"].as_f64().unwrap();
    let end = outage["end_offset_s"].as_f64().unwrap();
    // Attempts are 100 ms apart: the outage starts at the first attempt after the stop and
    // ends at the first attempt after the restart.
    assert!(
        start >= stopped_at.as_secs_f64() - 0.15 && start <= stopped_at.as_secs_f64() + 0.25,
        "start {start}, stopped {stopped_at:?}"
    );
    assert!(
        end >= restarted_at.as_secs_f64() - 0.25 && end <= restarted_at.as_secs_f64() + 0.35,
        "end {end}, restarted {restarted_at:?}"
    );
    assert!(
        outage["reasons"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("connect_refused"))
    );
    assert!(outage["start"].as_str().unwrap().ends_with('Z'));
}

mod tls {
    use super::*;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    /// A CA and a leaf for localhost/127.0.0.1 that expires `days` from today.
    fn certificates(days: i64) -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
        let today = jiff::tz::TimeZone::UTC
            .to_datetime(jiff::Timestamp::now())
            .date();
        let expiry = today.checked_add(jiff::Span::new().days(days)).unwrap();
        let start = today.checked_sub(jiff::Span::new().days(1)).unwrap();
        let ymd = |d: jiff::civil::Date| (i32::from(d.year()), d.month() as u8, d.day() as u8);
        let pki =
            gonogo_testkit::pki::ca_and_leaf(&["localhost", "127.0.0.1"], ymd(start), ymd(expiry));
        (
            pki.ca_pem,
            CertificateDer::from(pki.leaf_der),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key_der)),
        )
    }

    struct TlsServer {
        address: std::net::SocketAddr,
        shutdown: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Drop for TlsServer {
        fn drop(&mut self) {
            if let Some(s) = self.shutdown.take() {
                let _ = s.send(());
            }
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    fn start_tls_server(chain: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> TlsServer {
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![chain], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let (address_sender, address_receiver) = std::sync::mpsc::channel();
        let (shutdown_sender, mut shutdown_receiver) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                address_sender.send(listener.local_addr().unwrap()).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut shutdown_receiver => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let acceptor = acceptor.clone();
                            tokio::spawn(async move {
                                let Ok(stream) = acceptor.accept(stream).await else { return };
                                let service = hyper::service::service_fn(|_request| async {
                                    Ok::<_, std::convert::Infallible>(hyper::Response::new(http_body_util::Full::new(bytes::Bytes::from_static(b"secure"))))
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        let address = address_receiver
            .recv_timeout(Duration::from_secs(10))
            .unwrap();
        wait_for_port(address);
        TlsServer {
            address,
            shutdown: Some(shutdown_sender),
            thread: Some(thread),
        }
    }

    #[test]
    fn a_certificate_that_expires_soon_fails_the_expiry_condition() {
        let (ca_pem, leaf, key) = certificates(10);
        let server = start_tls_server(leaf, key);
        let dir = tempfile::tempdir().unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca_pem).unwrap();
        let evidence = dir.path().join("evidence");
        let url = format!("https://127.0.0.1:{}/", server.address.port());
        let code = run(args(
            &[
                &url,
                "--name",
                "secure",
                "--ca-file",
                ca_path.to_str().unwrap(),
                "--condition",
                "[STATUS] == 200",
                "--condition",
                "[CERTIFICATE_EXPIRATION] > 720h",
            ],
            &evidence,
        ))
        .unwrap();
        assert_eq!(code, ExitCode::from(1));
        let record = &read_evidence(&evidence)[0];
        let days = record["metrics"]["probe.secure.cert_expiry"]["value"]
            .as_f64()
            .unwrap();
        assert!((8.9..10.1).contains(&days), "cert_expiry {days} days");
        assert_eq!(record["metrics"]["probe.secure.cert_expiry"]["unit"], "d");
        assert_eq!(record["details"]["failures_by_reason"]["condition:2"], 1);
        assert_eq!(
            record["details"]["conditions"][0]["passed"], 1,
            "the request itself went through"
        );
        assert_eq!(record["details"]["tls"]["verified"], true);

        // The same server over tls:// passes a 48h expiry condition.
        let evidence = dir.path().join("evidence2");
        let tls_url = format!("tls://127.0.0.1:{}", server.address.port());
        let code = run(args(
            &[
                &tls_url,
                "--name",
                "chain",
                "--ca-file",
                ca_path.to_str().unwrap(),
                "--condition",
                "[CERTIFICATE_EXPIRATION] > 48h",
            ],
            &evidence,
        ))
        .unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
    }

    /// A conversation runs over the TLS session: an HTTP/1.1 request sent by hand after the
    /// handshake, and the status line expected back.
    #[test]
    fn a_tls_conversation_runs_after_the_handshake() {
        let (ca_pem, leaf, key) = certificates(30);
        let server = start_tls_server(leaf, key);
        let dir = tempfile::tempdir().unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca_pem).unwrap();
        let evidence = dir.path().join("evidence");
        let url = format!("tls://127.0.0.1:{}", server.address.port());
        let code = run(args(
            &[
                &url,
                "--name",
                "talk",
                "--ca-file",
                ca_path.to_str().unwrap(),
                "--send",
                "GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n",
                "--expect",
                r"^HTTP/1\.1 200",
            ],
            &evidence,
        ))
        .unwrap();
        let record = &read_evidence(&evidence)[0];
        assert_eq!(code, ExitCode::SUCCESS, "{record}");
        assert_eq!(
            record["details"]["attempt_log"][0]["expect_match"],
            "HTTP/1.1 200"
        );
        assert_eq!(record["details"]["tls"]["verified"], true);
    }

    #[test]
    fn an_untrusted_chain_fails_with_tls_verify_and_still_reports_expiry() {
        let (_ca_pem, leaf, key) = certificates(30);
        let server = start_tls_server(leaf, key);
        let dir = tempfile::tempdir().unwrap();
        let url = format!("https://127.0.0.1:{}/", server.address.port());
        let code = run(args(&[&url, "--name", "untrusted"], dir.path())).unwrap();
        assert_eq!(code, ExitCode::from(1));
        let record = &read_evidence(dir.path())[0];
        assert_eq!(record["details"]["failures_by_reason"]["tls_verify"], 1);
        assert_eq!(record["details"]["tls"]["verified"], false);
        let days = record["metrics"]["probe.untrusted.cert_expiry"]["value"]
            .as_f64()
            .unwrap();
        assert!((28.9..30.1).contains(&days), "{days}");
    }
}

#[test]
fn redirects_are_not_followed_and_say_where_they_point() {
    let router = axum::Router::new().route(
        "/old",
        get(|| async {
            (
                axum::http::StatusCode::FOUND,
                [(axum::http::header::LOCATION, "/login")],
                "",
            )
        }),
    );
    let server = TestServer::start(router, 0);
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(&[&server.url("/old"), "--name", "old"], dir.path())).unwrap();
    assert_eq!(
        code,
        ExitCode::SUCCESS,
        "3xx is success without conditions, as in Kubernetes"
    );
    let record = &read_evidence(dir.path())[0];
    assert_eq!(record["details"]["attempt_log"][0]["status"], 302);
    assert_eq!(record["details"]["attempt_log"][0]["redirect_to"], "/login");
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(
        &[
            &server.url("/old"),
            "--name",
            "old",
            "--condition",
            "[STATUS] == 200",
        ],
        dir.path(),
    ))
    .unwrap();
    assert_eq!(code, ExitCode::from(1), "a 302-to-login is not a green 200");
}

#[test]
fn warmup_attempts_before_the_first_success_are_not_counted() {
    let starting = |served: Arc<AtomicU64>| {
        axum::Router::new().route(
            "/ready",
            get(move || {
                let n = served.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 3 {
                        (axum::http::StatusCode::SERVICE_UNAVAILABLE, "starting")
                    } else {
                        (axum::http::StatusCode::OK, "ready")
                    }
                }
            }),
        )
    };
    let server = TestServer::start(starting(Arc::new(AtomicU64::new(0))), 0);
    let dir = tempfile::tempdir().unwrap();
    let watch = ["--watch", "1s", "--interval", "100ms"];
    let mut argv = vec![server.url("/ready"), "--name".into(), "ready".into()];
    argv.extend(watch.iter().map(|s| s.to_string()));
    argv.extend(["--warmup".to_string(), "600ms".to_string()]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    assert_eq!(run(args(&argv, dir.path())).unwrap(), ExitCode::SUCCESS);
    let record = &read_evidence(dir.path())[0];
    assert_eq!(
        record["metrics"]["probe.ready.availability"]["ratio"],
        serde_json::json!({"k": 7, "n": 7})
    );
    assert_eq!(record["details"]["warmup_attempts"], 3);
    assert_eq!(record["details"]["outages"], serde_json::json!([]));

    // The same start-up without --warmup counts against availability.
    let server = TestServer::start(starting(Arc::new(AtomicU64::new(0))), 0);
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/ready");
    let mut argv = vec![url.as_str(), "--name", "ready"];
    argv.extend(watch);
    assert_eq!(run(args(&argv, dir.path())).unwrap(), ExitCode::from(1));
    let record = &read_evidence(dir.path())[0];
    assert_eq!(
        record["metrics"]["probe.ready.availability"]["ratio"],
        serde_json::json!({"k": 7, "n": 10})
    );
    assert_eq!(record["details"]["failures_by_reason"]["status"], 3);
}
