//! H-38 against services that expose what the check looks for: a Spring Boot-like Actuator
//! (index, environment, heap dump) and a Go-like pprof index, as small axum apps answering as
//! those frameworks do, and the same endpoints behind authentication. Each app records the
//! requests it gets, to prove that the heap dump is never downloaded.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use gonogo_harden::{AuthSecrets, FindingSeverity, HardenConfig, Status, audit};

/// Serves `app` on loopback; every request is recorded as `METHOD /path`.
async fn serve(app: Router) -> (String, Arc<Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorder = seen.clone();
    let app = app.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            recorder
                .lock()
                .unwrap()
                .push(format!("{} {}", request.method(), request.uri().path()));
            next.run(request)
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen, server)
}

fn public() -> HardenConfig {
    HardenConfig {
        public_listener: true,
        ..HardenConfig::default()
    }
}

const ACTUATOR_JSON: &str = "application/vnd.spring-boot.actuator.v3+json";

/// A heap dump as Spring Boot sends it (a few bytes stand for gigabytes).
async fn heap_dump() -> impl axum::response::IntoResponse {
    (
        [
            ("content-type", "application/octet-stream"),
            (
                "content-disposition",
                "attachment; filename=\"heapdump1234.hprof\"",
            ),
        ],
        "JAVA PROFILE 1.0.2\0",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spring_actuator_is_found_and_the_heap_dump_is_never_downloaded() {
    let index = r#"{"_links":{"self":{"href":"http://127.0.0.1/actuator","templated":false},"env":{"href":"http://127.0.0.1/actuator/env","templated":false},"heapdump":{"href":"http://127.0.0.1/actuator/heapdump","templated":false},"health":{"href":"http://127.0.0.1/actuator/health","templated":false}}}"#;
    let env = r#"{"activeProfiles":["prod"],"propertySources":[{"name":"systemEnvironment","properties":{"DB_PASSWORD":{"value":"******"}}}]}"#;
    let app = Router::new()
        .route(
            "/actuator",
            get(move || async move { ([("content-type", ACTUATOR_JSON)], index) }),
        )
        .route(
            "/actuator/env",
            get(move || async move { ([("content-type", ACTUATOR_JSON)], env) }),
        )
        .route("/actuator/heapdump", get(heap_dump));
    let (url, seen, server) = serve(app).await;
    let report = audit(&url, &public(), &AuthSecrets::default())
        .await
        .unwrap();
    let check = report.check("monitoring-endpoint-exposed").unwrap();
    assert_eq!(check.status, Status::Fail, "{check:?}");
    let found: Vec<(&str, FindingSeverity)> = check
        .findings
        .iter()
        .map(|finding| (finding.request.as_str(), finding.severity))
        .collect();
    // The index and the environment are fetched; the heap dump is reported from the index's
    // links, without a request (even a HEAD makes Spring write a dump).
    assert_eq!(
        found,
        vec![
            ("GET /actuator", FindingSeverity::Medium),
            ("GET /actuator/env", FindingSeverity::High),
            ("GET /actuator", FindingSeverity::High),
        ]
    );
    assert!(
        check.findings[1].response.contains("propertySources"),
        "{}",
        check.findings[1].response
    );
    assert!(
        check.findings[2]
            .message
            .starts_with("/actuator/heapdump is listed by the Actuator index /actuator"),
        "{}",
        check.findings[2].message
    );
    assert!(
        check.findings[2]
            .response
            .contains("\"heapdump\":{\"href\""),
        "{}",
        check.findings[2].response
    );
    let requests = seen.lock().unwrap().clone();
    assert!(
        !requests
            .iter()
            .any(|request| request.ends_with("/heapdump")),
        "{requests:?}"
    );
    server.abort();

    // Without the index, the heap dump is asked with HEAD only: the download is recognised by
    // its headers, and no GET is ever sent.
    let (url, seen, server) =
        serve(Router::new().route("/actuator/heapdump", get(heap_dump))).await;
    let report = audit(&url, &public(), &AuthSecrets::default())
        .await
        .unwrap();
    let check = report.check("monitoring-endpoint-exposed").unwrap();
    assert_eq!(check.findings.len(), 1, "{check:?}");
    let finding = &check.findings[0];
    assert_eq!(finding.request, "HEAD /actuator/heapdump");
    assert_eq!(finding.severity, FindingSeverity::High);
    assert!(
        finding.response.starts_with("HTTP 200")
            && finding
                .response
                .contains("content-disposition: attachment; filename=\"heapdump1234.hprof\""),
        "{}",
        finding.response
    );
    let requests = seen.lock().unwrap().clone();
    assert!(
        requests.contains(&"HEAD /actuator/heapdump".to_owned())
            && !requests.contains(&"GET /actuator/heapdump".to_owned()),
        "{requests:?}"
    );
    // --passive sends GETs only: the heap dump is not asked at all.
    let passive = HardenConfig {
        passive: true,
        ..public()
    };
    seen.lock().unwrap().clear();
    let report = audit(&url, &passive, &AuthSecrets::default())
        .await
        .unwrap();
    let check = report.check("monitoring-endpoint-exposed").unwrap();
    assert_eq!(check.status, Status::Pass, "{check:?}");
    assert!(
        !seen
            .lock()
            .unwrap()
            .iter()
            .any(|request| request.ends_with("/heapdump"))
    );
    server.abort();
}

const PPROF_INDEX: &str = "<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/\n<br>\n<p>Set debug=1 as a query parameter to export in legacy text format</p>\n<br>\nTypes of profiles available:\n<table>\n<thead><td>Count</td><td>Profile</td></thead>\n<tr><td>7</td><td><a href='goroutine?debug=1'>goroutine</a></td></tr>\n<tr><td>0</td><td><a href='heap?debug=1'>heap</a></td></tr>\n</table>\n</body>\n</html>\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_pprof_is_found_and_endpoints_behind_authentication_are_not() {
    let unauthorized = || async {
        (
            StatusCode::UNAUTHORIZED,
            [("www-authenticate", "Basic realm=\"metrics\"")],
            "unauthorized\n",
        )
    };
    // pprof's index is open; /metrics asks for credentials.
    let app = Router::new()
        .route(
            "/debug/pprof/",
            get(|| async { ([("content-type", "text/html; charset=utf-8")], PPROF_INDEX) }),
        )
        .route("/metrics", get(unauthorized));
    let (url, _seen, server) = serve(app).await;
    let report = audit(&url, &public(), &AuthSecrets::default())
        .await
        .unwrap();
    let check = report.check("monitoring-endpoint-exposed").unwrap();
    assert_eq!(check.findings.len(), 1, "{check:?}");
    let finding = &check.findings[0];
    assert_eq!(finding.request, "GET /debug/pprof/");
    assert!(
        finding.message.contains("Go's pprof index"),
        "{}",
        finding.message
    );
    assert!(
        finding.response.contains("Types of profiles available"),
        "{}",
        finding.response
    );
    assert!(
        check.notes[0].contains("GET /metrics: 401"),
        "{:?}",
        check.notes
    );
    server.abort();

    // Everything behind authentication: the check runs and passes.
    let app = Router::new()
        .route("/debug/pprof/", get(unauthorized))
        .route("/metrics", get(unauthorized))
        .route("/actuator", get(unauthorized))
        .route("/actuator/env", get(unauthorized))
        .route("/actuator/heapdump", get(unauthorized));
    let (url, _seen, server) = serve(app).await;
    let report = audit(&url, &public(), &AuthSecrets::default())
        .await
        .unwrap();
    let check = report.check("monitoring-endpoint-exposed").unwrap();
    assert_eq!(check.status, Status::Pass, "{check:?}");
    assert_eq!(
        check.notes[0],
        "answers: GET /metrics: 401, GET /actuator: 401, GET /actuator/env: 401, HEAD /actuator/heapdump: 401, GET /debug/pprof/: 401"
    );
    server.abort();
}
