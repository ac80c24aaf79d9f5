//! Debian nginx (`nginx-light`) judged as a reviewer would: a bare server, one that sets the
//! security headers with `always`, and the same without `always` (headers missing on error
//! pages). Each test starts its own nginx (single process, temp prefix, pid file, a free
//! loopback port) and stops it at the end. Without an `nginx` binary the tests print why and
//! return.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gonogo_harden::{AuthSecrets, HardenConfig, Report, Status, audit};
pub use gonogo_testkit::Nginx;
use gonogo_testkit::free_port;
use gonogo_testkit::nginx::NginxConfig;

/// The test kit's nginx with `server_directives` inside its one `server` block. `None` (with
/// the reason printed, or a failure under `GONOGO_REQUIRE_TOOLS=1`) when nginx is missing.
pub fn start_nginx(name: &str, server_directives: &str) -> Option<Nginx> {
    start_nginx_full(name, server_directives, None, "")
}

/// Like [`start_nginx`], serving https with `tls` = (certificate chain, key) PEM files.
pub fn start_nginx_with(
    name: &str,
    server_directives: &str,
    tls: Option<(&Path, &Path)>,
) -> Option<Nginx> {
    start_nginx_full(name, server_directives, tls, "")
}

/// Like [`start_nginx_with`], with more `server` blocks (`extra_servers`, inside `http`;
/// `{PORT}` stands for the main server's port, `{PREFIX}` for nginx's folder).
pub fn start_nginx_full(
    name: &str,
    server_directives: &str,
    tls: Option<(&Path, &Path)>,
    extra_servers: &str,
) -> Option<Nginx> {
    let config = NginxConfig {
        server: server_directives.into(),
        extra_servers: extra_servers.into(),
        worker_connections: 64,
        tls: tls.map(|(chain, key)| (chain.to_owned(), key.to_owned())),
        ..NginxConfig::default()
    };
    Nginx::start(name, &config)
}

/// What a reviewer sets on a static site, on every response (`always`).
pub const SECURITY_HEADERS: &str = r#"
    server_tokens off;
    charset utf-8;
    add_header Cross-Origin-Opener-Policy "same-origin" always;
    add_header Cross-Origin-Resource-Policy "same-origin" always;
    add_header Content-Security-Policy "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'" always;
    add_header X-Content-Type-Options "nosniff" always;
    add_header X-Frame-Options "DENY" always;
    add_header Referrer-Policy "no-referrer" always;
    add_header Permissions-Policy "camera=(), microphone=(), geolocation=()" always;
    add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
"#;

fn failing(report: &Report) -> Vec<&'static str> {
    report
        .checks
        .iter()
        .filter(|check| check.status == Status::Fail)
        .map(|check| check.check)
        .collect()
}

fn status(report: &Report, id: &str) -> Status {
    report.check(id).unwrap().status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bare_nginx_gets_the_header_and_version_findings() {
    let Some(nginx) = start_nginx("bare", "") else {
        return;
    };
    let report = audit(
        &nginx.url(),
        &HardenConfig::default(),
        &AuthSecrets::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        failing(&report),
        vec![
            "csp-missing",
            "nosniff-missing",
            "framing-unprotected",
            "referrer-policy-missing",
            "permissions-policy-missing",
            "content-type-charset-missing",
            "cross-origin-isolation-missing",
            "version-disclosed",
            "error-version-string",
        ],
        "{:#?}",
        report.checks
    );
    let version = &report.check("version-disclosed").unwrap().findings[0];
    assert!(
        version.message.contains("server: nginx/"),
        "{}",
        version.message
    );
    // What nginx does right is recognised: TRACE is refused, no CORS, no methods advertised.
    for id in [
        "trace-enabled",
        "cors-origin-reflected",
        "cors-null-origin",
        "methods-unexpected",
        "error-stack-trace",
    ] {
        assert_eq!(status(&report, id), Status::Pass, "{id}");
    }
    assert_eq!(
        status(&report, "cookie-httponly-missing"),
        Status::NotApplicable
    );
    assert_eq!(status(&report, "hsts-missing"), Status::NotApplicable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_with_the_security_headers_passes() {
    let Some(nginx) = start_nginx("headers", SECURITY_HEADERS) else {
        return;
    };
    // Declared public: nginx serves no monitoring endpoint, so H-38 runs and passes.
    let config = HardenConfig {
        public_listener: true,
        ..HardenConfig::default()
    };
    let report = audit(&nginx.url(), &config, &AuthSecrets::default())
        .await
        .unwrap();
    assert_eq!(failing(&report), Vec::<&str>::new(), "{:#?}", report.checks);
    assert!(!report.is_failure());
    for check in &report.checks {
        let expected = match check.group {
            "rate-limit" | "auth" | "csrf" => Status::Skipped,
            _ if check.check.starts_with("hsts")
                || check.group == "cookies"
                || check.group == "tls" =>
            {
                Status::NotApplicable
            }
            _ => Status::Pass,
        };
        assert_eq!(check.status, expected, "{} {:?}", check.check, check.notes);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_without_always_are_missing_on_error_pages() {
    let without_always = SECURITY_HEADERS.replace(" always;", ";");
    let Some(nginx) = start_nginx("no-always", &without_always) else {
        return;
    };
    let report = audit(
        &nginx.url(),
        &HardenConfig::default(),
        &AuthSecrets::default(),
    )
    .await
    .unwrap();
    // The 200 page is fine; the 404 page lacks nosniff (nginx adds headers only to 2xx/3xx).
    assert_eq!(
        failing(&report),
        vec!["nosniff-missing"],
        "{:#?}",
        report.checks
    );
    let nosniff = report.check("nosniff-missing").unwrap();
    assert_eq!(nosniff.findings.len(), 1);
    assert!(nosniff.findings[0].response.starts_with("HTTP 404"));
    assert_eq!(
        nosniff.notes,
        vec!["1 of 2 responses carry nosniff".to_owned()]
    );
}

/// A throw-away CA and a leaf for 127.0.0.1, made with the openssl CLI: (folder, CA, chain,
/// key). `None` (with the reason printed) without openssl.
fn test_pki(name: &str, leaf_days: u32) -> Option<(PathBuf, PathBuf, PathBuf, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("gonogo-pki-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| -> bool {
        Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let made = run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "500",
            "-subj",
            "/CN=gonogo test CA",
        ],
    ]
    .concat())
        && run(&[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "leaf.key",
                "-out",
                "leaf.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]
        .concat())
        && run(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            &leaf_days.to_string(),
            "-extfile",
            "leaf.ext",
        ]);
    if !made {
        let _ = std::fs::remove_dir_all(&dir);
        gonogo_testkit::missing_tool(
            "openssl (the CLI is missing or failed; apt-get install openssl)",
            "nginx TLS certificates",
        );
        return None;
    }
    Some((
        dir.clone(),
        dir.join("ca.pem"),
        dir.join("leaf.pem"),
        dir.join("leaf.key"),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_nginx_is_judged_on_hsts_and_secure_cookies() {
    let Some((pki, ca, chain, key)) = test_pki("hsts", 400) else {
        return;
    };
    let config = HardenConfig {
        ca_file: Some(ca.clone()),
        ..HardenConfig::default()
    };
    // Bare nginx over https: HSTS is judged now, and missing.
    let Some(bare) = start_nginx_with("tls-bare", "", Some((&chain, &key))) else {
        return;
    };
    let report = audit(&bare.url(), &config, &AuthSecrets::default())
        .await
        .unwrap();
    assert_eq!(
        status(&report, "hsts-missing"),
        Status::Fail,
        "{:#?}",
        report.check("hsts-missing")
    );
    assert_eq!(status(&report, "hsts-short-max-age"), Status::Pass);
    drop(bare);

    // Six months (the Observatory's bar) is short of ASVS 5.0's year, unless the policy says so.
    let six_months = SECURITY_HEADERS
        .replace("max-age=63072000; includeSubDomains", "max-age=15552000")
        + "    add_header Set-Cookie \"sid=abc; Path=/; HttpOnly; SameSite=Lax\" always;\n";
    let Some(short) = start_nginx_with("tls-short", &six_months, Some((&chain, &key))) else {
        return;
    };
    let report = audit(&short.url(), &config, &AuthSecrets::default())
        .await
        .unwrap();
    assert_eq!(
        failing(&report),
        vec!["hsts-short-max-age", "cookie-secure-missing"],
        "{:#?}",
        report.checks
    );
    let relaxed = HardenConfig {
        hsts_min_max_age: 15_552_000,
        ..config.clone()
    };
    let report = audit(&short.url(), &relaxed, &AuthSecrets::default())
        .await
        .unwrap();
    assert_eq!(failing(&report), vec!["cookie-secure-missing"]);
    drop(short);

    // The reviewer's configuration over https passes HSTS too.
    let Some(good) = start_nginx_with("tls-good", SECURITY_HEADERS, Some((&chain, &key))) else {
        return;
    };
    let report = audit(&good.url(), &config, &AuthSecrets::default())
        .await
        .unwrap();
    assert_eq!(failing(&report), Vec::<&str>::new(), "{:#?}", report.checks);
    assert_eq!(status(&report, "hsts-missing"), Status::Pass);
    // Without the test CA the certificate does not verify: errors, never passes.
    let report = audit(
        &good.url(),
        &HardenConfig::default(),
        &AuthSecrets::default(),
    )
    .await
    .unwrap();
    let nosniff = report.check("nosniff-missing").unwrap();
    assert_eq!(nosniff.status, Status::Error);
    assert!(
        nosniff.notes[0]
            .to_ascii_lowercase()
            .contains("certificate"),
        "{:?}",
        nosniff.notes
    );
    drop(good);
    std::fs::remove_dir_all(pki).unwrap();

    // A certificate with a day left is a finding (the policy asks for 14).
    let Some((pki, ca, chain, key)) = test_pki("short", 1) else {
        return;
    };
    let Some(short_lived) =
        start_nginx_with("tls-short-lived", SECURITY_HEADERS, Some((&chain, &key)))
    else {
        return;
    };
    let config = HardenConfig {
        ca_file: Some(ca),
        ..HardenConfig::default()
    };
    let report = audit(&short_lived.url(), &config, &AuthSecrets::default())
        .await
        .unwrap();
    assert_eq!(
        failing(&report),
        vec!["tls-certificate-expiring"],
        "{:#?}",
        report.checks
    );
    let notes = &report.check("tls-certificate-expiring").unwrap().notes;
    // A one-day certificate has 0 whole days left, or 1 when read within its first second.
    assert!(
        [
            "the certificate expires in 0 days",
            "the certificate expires in 1 day"
        ]
        .contains(&notes[0].as_str()),
        "{notes:?}"
    );
    assert_eq!(status(&report, "tls-missing"), Status::Pass);
    drop(short_lived);
    std::fs::remove_dir_all(pki).unwrap();
}

/// Defect 16 (issue 15): an expired certificate is the TLS check's finding, not an `error`.
/// The CA is trusted (`ca_file`), so the handshake refuses the leaf for its dates alone; the
/// checks that needed a response are errors, none passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defect_16_an_expired_certificate_is_a_finding_not_an_error() {
    let dir = std::env::temp_dir().join(format!("gonogo-pki-expired-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pki = gonogo_testkit::pki::ca_and_leaf(&["127.0.0.1"], (2020, 1, 1), (2020, 2, 1));
    let (ca_file, chain, key) = (
        dir.join("ca.pem"),
        dir.join("leaf.pem"),
        dir.join("leaf.key"),
    );
    std::fs::write(&ca_file, pki.ca_pem).unwrap();
    std::fs::write(&chain, pki.leaf_pem).unwrap();
    std::fs::write(&key, pki.key_pem).unwrap();
    let Some(nginx) = start_nginx_with("tls-expired", SECURITY_HEADERS, Some((&chain, &key)))
    else {
        return;
    };
    let config = HardenConfig {
        ca_file: Some(ca_file),
        ..HardenConfig::default()
    };
    let report = audit(&nginx.url(), &config, &AuthSecrets::default())
        .await
        .unwrap();
    let expiring = report.check("tls-certificate-expiring").unwrap();
    assert_eq!(expiring.status, Status::Fail, "{expiring:#?}");
    assert!(
        expiring.findings[0]
            .message
            .contains("the certificate has expired"),
        "{expiring:#?}"
    );
    assert!(
        expiring.findings[0].request.starts_with("GET "),
        "{expiring:#?}"
    );
    assert_eq!(status(&report, "nosniff-missing"), Status::Error);
    assert!(
        report.checks.iter().all(|c| c.status != Status::Pass),
        "nothing passes without a response: {:#?}",
        report.checks
    );
    drop(nginx);
    std::fs::remove_dir_all(dir).unwrap();
}

/// H-38 on nginx, declared public. A single-page app answers 200 with its index.html for every
/// path: no finding. The same site with a real Prometheus `/metrics`: one finding, on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitoring_endpoints_are_judged_by_content_not_status() {
    let spa = "    location / { try_files $uri /index.html; }\n";
    let config = HardenConfig {
        public_listener: true,
        passive: true,
        ..HardenConfig::default()
    };
    let Some(nginx) = start_nginx("spa", spa) else {
        return;
    };
    let report = audit(&nginx.url(), &config, &AuthSecrets::default())
        .await
        .unwrap();
    let monitoring = report.check("monitoring-endpoint-exposed").unwrap();
    assert_eq!(monitoring.status, Status::Pass, "{monitoring:?}");
    assert_eq!(
        monitoring.notes[0],
        "answers: GET /metrics: 200, GET /actuator: 200, GET /actuator/env: 200, GET /debug/pprof/: 200"
    );
    // Every path got the app's index.html; passive mode asks no HEAD for the heap dump.
    assert!(
        monitoring
            .notes
            .iter()
            .any(|note| note.starts_with("/actuator/heapdump: not asked (--passive")),
        "{:?}",
        monitoring.notes
    );
    assert_eq!(
        monitoring
            .notes
            .iter()
            .filter(|note| note.contains("(text/html) without monitoring content"))
            .count(),
        4,
        "{:?}",
        monitoring.notes
    );
    drop(nginx);

    let with_metrics = format!(
        "{spa}    location = /metrics {{ default_type \"text/plain; version=0.0.4\"; return 200 \"# HELP nginx_up Whether nginx is up.\\n# TYPE nginx_up gauge\\nnginx_up 1\\n\"; }}\n"
    );
    let Some(nginx) = start_nginx("spa-metrics", &with_metrics) else {
        return;
    };
    let active = HardenConfig {
        passive: false,
        ..config
    };
    let report = audit(&nginx.url(), &active, &AuthSecrets::default())
        .await
        .unwrap();
    let monitoring = report.check("monitoring-endpoint-exposed").unwrap();
    assert_eq!(monitoring.status, Status::Fail, "{monitoring:?}");
    assert_eq!(monitoring.findings.len(), 1, "{monitoring:?}");
    let finding = &monitoring.findings[0];
    assert_eq!(finding.request, "GET /metrics");
    assert!(
        finding.response.starts_with("HTTP 200")
            && finding.response.contains("# TYPE nginx_up gauge"),
        "{}",
        finding.response
    );
    // The heap dump's HEAD got the app's page too: not a download, not counted.
    assert!(
        monitoring.notes.iter().any(|note| note.starts_with(
            "HEAD /actuator/heapdump answered 200 (text/html) without monitoring content"
        )),
        "{:?}",
        monitoring.notes
    );
    // Not declared public: nothing is asked.
    let report = audit(
        &nginx.url(),
        &HardenConfig::default(),
        &AuthSecrets::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        status(&report, "monitoring-endpoint-exposed"),
        Status::NotApplicable
    );
}

/// H-36 on an https nginx with plain-http server blocks next to it: one that redirects to
/// https (and refuses or redirects API paths), one that serves plain http, one that redirects
/// to another host; and a port where nothing listens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_next_to_https_is_judged_per_kind_of_endpoint() {
    let Some((pki, ca, chain, key)) = test_pki("plain-http", 400) else {
        return;
    };
    let (redirecting, plain, off_host, nothing) =
        (free_port(), free_port(), free_port(), free_port());
    let extra = format!(
        "  server {{\n    listen 127.0.0.1:{redirecting};\n\
         \x20   location / {{ return 301 https://$host:{{PORT}}$request_uri; }}\n\
         \x20   location /api/ {{ return 403; }}\n\
         \x20   location /api/legacy {{ return 308 https://$host:{{PORT}}$request_uri; }}\n  }}\n\
         \x20 server {{\n    listen 127.0.0.1:{plain};\n    root {{PREFIX}}/html;\n\
         \x20   location /api/ {{ default_type application/json; return 200 '{{\"items\":[]}}'; }}\n  }}\n\
         \x20 server {{\n    listen 127.0.0.1:{off_host};\n    return 301 https://www.example.com$request_uri;\n  }}\n"
    );
    let Some(nginx) =
        start_nginx_full("plain-http", SECURITY_HEADERS, Some((&chain, &key)), &extra)
    else {
        return;
    };
    let config = |http_port: u16, api_paths: &[&str]| HardenConfig {
        ca_file: Some(ca.clone()),
        passive: true,
        http_port,
        api_paths: api_paths.iter().map(|path| path.to_string()).collect(),
        ..HardenConfig::default()
    };
    let https_port = nginx.port;
    let run = |config: HardenConfig| {
        let url = nginx.url();
        async move { audit(&url, &config, &AuthSecrets::default()).await.unwrap() }
    };
    let browser = "http-not-redirected-to-https";
    let api = "api-redirects-http-to-https";

    // The redirecting listener: `/` to https on the same host, the API refused.
    let report = run(config(redirecting, &["/api/items"])).await;
    assert_eq!(status(&report, browser), Status::Pass);
    assert_eq!(
        report.check(browser).unwrap().notes,
        vec![format!(
            "GET http://127.0.0.1:{redirecting}/ redirects (301) to https://127.0.0.1:{https_port}/"
        )]
    );
    assert_eq!(status(&report, api), Status::Pass);
    assert_eq!(
        report.check(api).unwrap().notes,
        vec![format!(
            "GET http://127.0.0.1:{redirecting}/api/items is refused (403)"
        )]
    );
    // An API path that is redirected transparently: the finding.
    let report = run(config(redirecting, &["/api/items", "/api/legacy"])).await;
    let check = report.check(api).unwrap();
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert_eq!(check.findings.len(), 1);
    let finding = &check.findings[0];
    assert_eq!(finding.severity, gonogo_harden::FindingSeverity::Medium);
    assert_eq!(
        finding.request,
        format!("GET http://127.0.0.1:{redirecting}/api/legacy")
    );
    assert!(
        finding.response.starts_with("HTTP 308")
            && finding.response.contains(&format!(
                "location: https://127.0.0.1:{https_port}/api/legacy"
            )),
        "{}",
        finding.response
    );

    // The plain listener serves the site and the API in clear text.
    let report = run(config(plain, &["/api/items"])).await;
    let check = report.check(browser).unwrap();
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert_eq!(
        check.findings[0].request,
        format!("GET http://127.0.0.1:{plain}/")
    );
    assert!(
        check.findings[0].response.starts_with("HTTP 200")
            && check.findings[0].response.contains("nginx test"),
        "{}",
        check.findings[0].response
    );
    let check = report.check(api).unwrap();
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert_eq!(
        check.findings[0].severity,
        gonogo_harden::FindingSeverity::High
    );
    assert!(
        check.findings[0].response.contains(r#"{"items":[]}"#),
        "{}",
        check.findings[0].response
    );

    // A redirect to https on another host is not the same-host upgrade.
    let report = run(config(off_host, &[])).await;
    let check = report.check(browser).unwrap();
    assert_eq!(check.status, Status::Fail, "{check:?}");
    assert!(
        check.findings[0]
            .message
            .contains("to another host, https://www.example.com/"),
        "{}",
        check.findings[0].message
    );
    assert!(check.findings[0].response.starts_with("HTTP 301"));
    // Without declared API paths the API check has nothing to judge.
    assert_eq!(status(&report, api), Status::Skipped);

    // No plain-http listener at all: nothing to downgrade, nothing to redirect.
    let report = run(config(nothing, &["/api/items"])).await;
    for id in [browser, api] {
        let check = report.check(id).unwrap();
        assert_eq!(check.status, Status::Pass, "{id}: {check:?}");
        assert!(
            check.notes[0].starts_with("nothing listens for plain http at http://127.0.0.1:"),
            "{:?}",
            check.notes
        );
    }
    // `/` declared an API: the browser check does not apply.
    let report = run(config(redirecting, &["/"])).await;
    assert_eq!(status(&report, browser), Status::NotApplicable);
    assert_eq!(status(&report, api), Status::Fail);
    drop(nginx);
    std::fs::remove_dir_all(pki).unwrap();
}
