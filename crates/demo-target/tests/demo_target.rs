//! The demo target's documented behaviour, mode by mode, over real loopback HTTP: the flaws
//! `gonogo demo` relies on in weak mode, and their absence in hardened mode.

use gonogo_demo_target::{DemoConfig, Mode, mint_token, spawn, spawn_with};

fn client() -> reqwest::Client {
    // The workspace builds reqwest without a crypto provider (the engines use ring): install it.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test]
async fn slow_endpoint_has_a_deterministic_tail_in_weak_mode_only() {
    for (mode, expected_slow) in [(Mode::Weak, 2), (Mode::Hardened, 0)] {
        let server = spawn(mode).unwrap();
        let client = client();
        let mut n_slow = 0;
        for _ in 0..20 {
            let started = std::time::Instant::now();
            let response = client
                .get(format!("{}/api/slow", server.base_url()))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            if started.elapsed() >= std::time::Duration::from_millis(290) {
                n_slow += 1;
            }
        }
        assert_eq!(n_slow, expected_slow, "{mode:?}");
    }
}

#[tokio::test]
async fn checkout_fails_every_twentieth_request_in_weak_mode_only() {
    for (mode, expected_503) in [(Mode::Weak, 2), (Mode::Hardened, 0)] {
        let server = spawn(mode).unwrap();
        let client = client();
        let mut n_503 = 0;
        for _ in 0..40 {
            let status = client
                .get(format!("{}/api/checkout", server.base_url()))
                .send()
                .await
                .unwrap()
                .status();
            if status == 503 {
                n_503 += 1;
            } else {
                assert_eq!(status, 200);
            }
        }
        assert_eq!(n_503, expected_503, "{mode:?}");
    }
}

#[tokio::test]
async fn weak_readiness_lies_and_hardened_readiness_follows_the_dependency() {
    let weak = spawn(Mode::Weak).unwrap();
    let client = client();
    let get = |base: String, path: &'static str| {
        let client = client.clone();
        async move {
            client
                .get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(get(weak.base_url(), "/readyz").await, 200);
    assert_eq!(get(weak.base_url(), "/healthz/deps").await, 503);
    let hardened = spawn(Mode::Hardened).unwrap();
    assert_eq!(get(hardened.base_url(), "/readyz").await, 200);
    assert_eq!(get(hardened.base_url(), "/healthz/deps").await, 200);
    let mut config = DemoConfig::new(Mode::Hardened);
    config.dependency_up = false;
    let honest = spawn_with(config).unwrap();
    assert_eq!(get(honest.base_url(), "/readyz").await, 503);
    assert_eq!(get(honest.base_url(), "/healthz/deps").await, 503);
}

/// `/api/stock` asks the inventory: live when it answers. When it cannot be reached (here a
/// closed loopback port in place of the drill's proxy), weak mode answers 500 with a stack
/// trace and stays "ready"; hardened mode fails within its timeout, opens its breaker after 5
/// failures, answers fast while open, and says not ready.
#[tokio::test]
async fn stock_depends_on_the_inventory_and_only_hardened_mode_degrades_honestly() {
    let client = client();
    let get = |url: String| {
        let client = client.clone();
        async move {
            let response = client.get(url).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    for mode in [Mode::Weak, Mode::Hardened] {
        let server = spawn(mode).unwrap();
        let (status, body) = get(format!("{}/api/stock", server.base_url())).await;
        assert_eq!(status, 200, "{mode:?}: {body}");
        assert!(body.contains(r#""source":"live""#), "{mode:?}: {body}");
        assert!(body.contains(r#""stock":42"#), "{mode:?}: {body}");
    }
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // Nothing listens there any more.
    let unreachable = |mode| {
        let mut config = DemoConfig::new(mode);
        config.inventory_via = Some(closed);
        spawn_with(config).unwrap()
    };
    let weak = unreachable(Mode::Weak);
    let (status, body) = get(format!("{}/api/stock", weak.base_url())).await;
    assert_eq!(status, 500);
    assert!(body.contains("stack backtrace:"), "{body}");
    assert_eq!(get(format!("{}/readyz", weak.base_url())).await.0, 200);

    let hardened = unreachable(Mode::Hardened);
    assert_eq!(get(format!("{}/readyz", hardened.base_url())).await.0, 200);
    for _ in 0..gonogo_demo_target::inventory::FAILURE_THRESHOLD {
        let (status, body) = get(format!("{}/api/stock", hardened.base_url())).await;
        // No count known yet: a plain problem document, no stack trace.
        assert_eq!(status, 503, "{body}");
        assert!(body.contains(r#""status":503"#), "{body}");
        assert!(!body.contains("backtrace"), "{body}");
    }
    let (status, body) = get(format!("{}/readyz", hardened.base_url())).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("inventory"), "{body}");
}

#[tokio::test]
async fn metrics_are_prometheus_text_with_one_lint_problem_in_weak_mode() {
    for mode in [Mode::Weak, Mode::Hardened] {
        let server = spawn(mode).unwrap();
        let client = client();
        client
            .get(format!("{}/", server.base_url()))
            .send()
            .await
            .unwrap();
        let response = client
            .get(format!("{}/metrics", server.base_url()))
            .send()
            .await
            .unwrap();
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let text = response.text().await.unwrap();
        assert!(
            text.contains("http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(text.contains("http_request_duration_seconds_bucket{le=\"+Inf\"}"));
        let has_bad_counter = text.contains("# TYPE demo_login_attempts counter");
        assert_eq!(has_bad_counter, mode == Mode::Weak, "{mode:?}\n{text}");
    }
}

#[tokio::test]
async fn request_logs_are_json_lines_after_a_plain_banner_in_weak_mode() {
    for mode in [Mode::Weak, Mode::Hardened] {
        let folder = std::env::temp_dir().join(format!(
            "gonogo-demo-log-{}-{}",
            std::process::id(),
            mode.as_str()
        ));
        std::fs::create_dir_all(&folder).unwrap();
        let log_path = folder.join("requests.jsonl");
        let _ = std::fs::remove_file(&log_path);
        let server = spawn_with(DemoConfig::new(mode).with_log_file(&log_path)).unwrap();
        let client = client();
        for path in ["/", "/api/items", "/nope"] {
            client
                .get(format!("{}{path}", server.base_url()))
                .send()
                .await
                .unwrap();
        }
        server.stop().unwrap();
        let text = std::fs::read_to_string(&log_path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let json_lines: Vec<serde_json::Value> = lines
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        assert_eq!(json_lines.len(), 3, "{text}");
        assert_eq!(
            lines.len() - json_lines.len(),
            usize::from(mode == Mode::Weak)
        );
        assert_eq!(json_lines[2]["status"], 404);
        assert_eq!(json_lines[1]["path"], "/api/items");
        std::fs::remove_dir_all(&folder).unwrap();
    }
}

#[tokio::test]
async fn admin_route_accepts_alg_none_in_weak_mode_only() {
    let claims = r#"{"sub":"mallory","role":"admin","exp":4102444800}"#;
    use base64::Engine as _;
    let encode = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let none_token = format!(
        "{}.{}.",
        encode(r#"{"alg":"none","typ":"JWT"}"#),
        encode(claims)
    );
    for (mode, expected) in [(Mode::Weak, 200), (Mode::Hardened, 401)] {
        let server = spawn(mode).unwrap();
        let client = client();
        let status = client
            .get(format!("{}/api/admin", server.base_url()))
            .bearer_auth(&none_token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, expected, "{mode:?}");
        let admin = mint_token(mode, "admin", "admin", 600);
        let user = mint_token(mode, "alice", "user", 600);
        let admin_status = client
            .get(format!("{}/api/admin", server.base_url()))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(admin_status, 200, "{mode:?}");
        let user_status = client
            .get(format!("{}/api/admin", server.base_url()))
            .bearer_auth(&user)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            user_status,
            if mode == Mode::Weak { 200 } else { 403 },
            "{mode:?}"
        );
    }
}

/// A throw-away P-256 key (gonogo harden's published one), PKCS#8.
const ES256_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjZK4IgG2j2LpIxlD
U3JJZ1CSTx5GqdiFz7id42yJKMuhRANCAARMgogwGVI0QJ6MpkRxAi2l9zND2Ubv
hMdyP0dFFLrleNYeUyWx1ahXbJW7/yYHXMOnamquyW7LU8NIK60iAYSs
-----END PRIVATE KEY-----
";

/// An ES256 token for `claims` whose header names `jku`.
fn jku_token(jku: &str) -> String {
    use base64::Engine as _;
    let der: String = ES256_KEY_PEM
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(der)
        .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.jku = Some(jku.to_owned());
    header.kid = Some("k1".into());
    jsonwebtoken::encode(
        &header,
        &serde_json::json!({"sub": "mallory", "role": "admin", "exp": 4102444800u64}),
        &jsonwebtoken::EncodingKey::from_ec_der(&der),
    )
    .unwrap()
}

#[tokio::test]
async fn weak_admin_trusts_a_loopback_jku_and_hardened_ignores_it() {
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = fetches.clone();
    let jwks = serde_json::json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
        "x": "TIKIMBlSNECejKZEcQItpfczQ9lG74THcj9HRRS65Xg",
        "y": "1h5TJbHVqFdslbv_Jgdcw6dqaq7JbstTw0grrSIBhKw",
    }]});
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let key_server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = client();
    let status = |server: &gonogo_demo_target::DemoServer, token: String| {
        let request = client
            .get(format!("{}/api/admin", server.base_url()))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let loopback_jku = jku_token(&format!("http://127.0.0.1:{port}/jwks.json"));

    let weak = spawn(Mode::Weak).unwrap();
    assert_eq!(status(&weak, loopback_jku.clone()).await, 200);
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Any other host, even `localhost`, is never fetched.
    for elsewhere in [
        format!("http://localhost:{port}/jwks.json"),
        "http://192.0.2.1/jwks.json".to_owned(),
        format!("https://127.0.0.1:{port}/jwks.json"),
    ] {
        assert_eq!(
            status(&weak, jku_token(&elsewhere)).await,
            401,
            "{elsewhere}"
        );
    }
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);

    let hardened = spawn(Mode::Hardened).unwrap();
    assert_eq!(status(&hardened, loopback_jku).await, 401);
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
    key_server.abort();
}

#[tokio::test]
async fn login_is_rate_limited_in_hardened_mode_only() {
    for mode in [Mode::Weak, Mode::Hardened] {
        let server = spawn(mode).unwrap();
        let client = client();
        let mut first_429 = None;
        for attempt in 0..15 {
            let response = client
                .post(format!("{}/login", server.base_url()))
                .json(&serde_json::json!({"username": "alice", "password": "wrong"}))
                .send()
                .await
                .unwrap();
            if response.status() == 429 {
                assert!(response.headers().contains_key("retry-after"));
                first_429 = Some(attempt);
                break;
            }
            assert_eq!(response.status(), 401);
        }
        match mode {
            Mode::Weak => assert_eq!(first_429, None),
            Mode::Hardened => assert_eq!(first_429, Some(10)),
        }
        let good = client
            .post(format!("{}/login", server.base_url()))
            .json(&serde_json::json!({"username": "admin", "password": "admin-password"}))
            .send()
            .await
            .unwrap();
        if mode == Mode::Weak {
            assert_eq!(good.status(), 200);
            let body: serde_json::Value = good.json().await.unwrap();
            assert_eq!(body["role"], "admin");
        }
    }
}

#[tokio::test]
async fn weak_errors_leak_and_hardened_errors_are_generic() {
    for mode in [Mode::Weak, Mode::Hardened] {
        let server = spawn(mode).unwrap();
        let client = client();
        let response = client
            .get(format!("{}/does-not-exist", server.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        let server_header = response.headers().get("server").cloned();
        let body = response.text().await.unwrap();
        assert_eq!(body.contains("stack backtrace:"), mode == Mode::Weak);
        assert_eq!(server_header.is_some(), mode == Mode::Weak);
        let response = client
            .post(format!("{}/api/items", server.base_url()))
            .header("content-type", "application/json")
            .body("{\"a\":")
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(body.contains("SQLSTATE"), mode == Mode::Weak, "{body}");
        assert_eq!(status, if mode == Mode::Weak { 500 } else { 400 }, "{body}");
    }
}

#[tokio::test]
async fn the_cart_needs_the_csrf_token_in_hardened_mode_only() {
    for mode in [Mode::Weak, Mode::Hardened] {
        let server = spawn(mode).unwrap();
        let session = server.session();
        assert_eq!(session.csrf_token.is_some(), mode == Mode::Hardened);
        let client = client();
        let cart = format!("{}/api/cart", server.base_url());
        let as_the_page = client
            .post(&cart)
            .header("cookie", &session.cookie)
            .header("content-type", "application/json")
            .header(
                "x-csrf-token",
                session.csrf_token.clone().unwrap_or_default(),
            )
            .body(r#"{"item": 1}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(as_the_page.status(), 200, "{mode:?}");
        let forged = client
            .post(&cart)
            .header("cookie", &session.cookie)
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .header("content-type", "text/plain")
            .body(r#"{"item": 1}"#)
            .send()
            .await
            .unwrap();
        let expected = if mode == Mode::Weak { 200 } else { 403 };
        assert_eq!(forged.status(), expected, "{mode:?}");
        let without_session = client.post(&cart).body("{}").send().await.unwrap();
        assert_eq!(without_session.status(), 401);
    }
}
