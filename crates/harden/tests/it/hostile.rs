//! Servers that misbehave: one that accepts and never answers, one that resets every
//! connection, one that answers bytes that are not HTTP. Each check must end in `error` with a
//! clear reason (never `pass`), the audit must finish, and the other checks still run.

use std::time::Duration;

use gonogo_harden::{AuthConfig, AuthSecrets, HardenConfig, RateLimitConfig, Status, audit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Copy, Debug)]
enum Behaviour {
    Hang,
    Reset,
    Garbage,
}

/// A raw TCP server on 127.0.0.1:0; stops when the returned sender is dropped.
async fn hostile_server(behaviour: Behaviour) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    let Ok((mut socket, _)) = accepted else { break };
                    tokio::spawn(async move {
                        let mut buffer = [0u8; 4096];
                        let _ = socket.read(&mut buffer).await;
                        match behaviour {
                            Behaviour::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                            // Closed mid-exchange, before any response byte.
                            Behaviour::Reset => drop(socket),
                            Behaviour::Garbage => {
                                let _ = socket.write_all(b"\x00\x01garbage that is not HTTP\r\n\r\n").await;
                                let _ = socket.shutdown().await;
                            }
                        }
                    });
                }
            }
        }
    });
    (format!("http://{address}"), stop)
}

fn config() -> HardenConfig {
    HardenConfig {
        paths: vec!["/app".into()],
        json_endpoints: vec!["/api".into()],
        request_timeout: Duration::from_millis(300),
        group_timeout: Duration::from_secs(4),
        rate_limit: Some(RateLimitConfig {
            max_requests: 5,
            ..RateLimitConfig::default()
        }),
        auth: Some(AuthConfig {
            protected: vec!["/admin".into()],
            ..AuthConfig::default()
        }),
        ..HardenConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_reset_and_garbage_servers_give_errors_not_passes() {
    for (behaviour, expected) in [
        (Behaviour::Hang, "timed out"),
        (Behaviour::Reset, "closed or reset"),
        (Behaviour::Garbage, "not an HTTP response"),
    ] {
        let (url, _stop) = hostile_server(behaviour).await;
        // Only the hung server needs the short timeout; the others answer at once, and a long
        // timeout keeps a busy machine from turning their errors into timeouts.
        let mut config = config();
        if !matches!(behaviour, Behaviour::Hang) {
            config.request_timeout = Duration::from_secs(5);
            config.group_timeout = Duration::from_secs(20);
        }
        let report = audit(&url, &config, &AuthSecrets::default()).await.unwrap();
        for check in &report.checks {
            assert!(
                !matches!(check.status, Status::Pass | Status::Fail),
                "{} {:?} {:?}",
                check.check,
                check.status,
                check.notes
            );
            if check.status == Status::Error {
                assert!(
                    check.notes[0].contains(expected),
                    "{}: {:?}",
                    check.check,
                    check.notes
                );
            }
        }
        let header_check = report.check("nosniff-missing").unwrap();
        assert_eq!(
            header_check.status,
            Status::Error,
            "{:?}",
            header_check.notes
        );
    }
}

/// One path hangs; the rest of the service is healthy: the checks that do not need that path
/// still conclude.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hanging_path_does_not_stop_the_other_checks() {
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async {
                (
                    [
                        ("content-type", "text/html"),
                        ("x-content-type-options", "nosniff"),
                    ],
                    "<html></html>",
                )
            }),
        )
        .route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut config = config();
    config.paths = vec!["/slow".into()];
    // Long enough that the healthy paths never time out on a busy machine.
    config.request_timeout = Duration::from_millis(1500);
    config.group_timeout = Duration::from_secs(15);
    config.auth = None;
    config.rate_limit = None;
    let report = audit(&url, &config, &AuthSecrets::default()).await.unwrap();
    let nosniff = report.check("nosniff-missing").unwrap();
    assert!(nosniff.status.ran(), "{:?}", nosniff.notes);
    assert!(
        nosniff
            .notes
            .iter()
            .any(|note| note.contains("GET /slow") && note.contains("timed out")),
        "{:?}",
        nosniff.notes
    );
    assert_eq!(report.check("csp-missing").unwrap().status, Status::Fail);
    assert_eq!(report.check("trace-enabled").unwrap().status, Status::Pass);
    server.abort();
}
