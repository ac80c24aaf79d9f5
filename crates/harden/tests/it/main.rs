//! `gonogo harden` against real servers on loopback: the demo target in both modes, servers
//! that hang, reset or speak garbage, Debian nginx, and the CLI entry point.

mod hostile;
mod key_confusion;
mod monitoring;
mod nginx;
mod observatory;

use gonogo_demo_target::{Mode, jwt_secret, mint_token, spawn};
use gonogo_harden::{
    AuthConfig, AuthSecrets, CheckOverride, CsrfConfig, FindingSeverity, HardenConfig, RULES,
    RateLimitConfig, Report, Status, audit, to_evidence,
};

/// Checks the demo target cannot trigger over plain http or in weak mode, with why.
const QUIET_ON_WEAK: &[(&str, &str)] = &[
    ("hsts-missing", "plain http: not applicable"),
    (
        "auth-key-confusion-accepted",
        "HS256 tokens: not applicable (see key_confusion.rs)",
    ),
    ("hsts-short-max-age", "plain http: not applicable"),
    ("rate-limit-headers-missing", "weak mode never answers 429"),
    (
        "tls-missing",
        "loopback http: not applicable (see nginx.rs)",
    ),
    (
        "tls-certificate-expiring",
        "plain http: not applicable (see nginx.rs)",
    ),
    (
        "http-not-redirected-to-https",
        "plain http: not applicable (see nginx.rs)",
    ),
    (
        "api-redirects-http-to-https",
        "plain http: not applicable (see nginx.rs)",
    ),
];

/// Checks that do not apply to the hardened demo target, with why.
const NOT_APPLICABLE_ON_HARDENED: &[(&str, &str)] = &[
    ("hsts-missing", "plain http"),
    ("hsts-short-max-age", "plain http"),
    ("tls-missing", "loopback http"),
    ("tls-certificate-expiring", "plain http"),
    ("http-not-redirected-to-https", "plain http (see nginx.rs)"),
    ("api-redirects-http-to-https", "plain http (see nginx.rs)"),
    (
        "auth-key-confusion-accepted",
        "HS256 tokens (see key_confusion.rs)",
    ),
    (
        "monitoring-endpoint-exposed",
        "its listener is internal: Prometheus scrapes /metrics there (see monitoring.rs, nginx.rs)",
    ),
];

fn demo_config() -> HardenConfig {
    HardenConfig {
        paths: vec![
            "/app".into(),
            "/api/items".into(),
            "/api/public".into(),
            "/api/partner".into(),
        ],
        json_endpoints: vec!["/api/items".into()],
        strict_secure_cookies: true,
        rate_limit: Some(RateLimitConfig {
            max_requests: 30,
            ..RateLimitConfig::default()
        }),
        auth: Some(AuthConfig {
            protected: vec!["/api/admin".into(), "/api/reports".into()],
            ..AuthConfig::default()
        }),
        csrf: Some(CsrfConfig {
            path: "/api/cart".into(),
            body: Some(r#"{"item": 1}"#.into()),
            ..CsrfConfig::default()
        }),
        ..HardenConfig::default()
    }
}

/// The demo's secrets plus a logged-in session, as a user's browser would hold it.
fn demo_secrets_with_session(server: &gonogo_demo_target::DemoServer) -> AuthSecrets {
    let session = server.session();
    AuthSecrets {
        session_cookie: Some(session.cookie),
        csrf_token: session.csrf_token,
        ..demo_secrets(server.mode())
    }
}

fn demo_secrets(mode: Mode) -> AuthSecrets {
    AuthSecrets {
        valid_token: Some(mint_token(mode, "admin", "admin", 600)),
        lower_role_token: Some(mint_token(mode, "alice", "user", 600)),
        hmac_secret: Some(jwt_secret(mode).to_owned()),
        ..AuthSecrets::default()
    }
}

fn status_of(report: &Report, id: &str) -> Status {
    report
        .check(id)
        .unwrap_or_else(|| panic!("no check {id}"))
        .status
}

fn describe(report: &Report) -> String {
    report
        .checks
        .iter()
        .map(|check| {
            format!(
                "{:<34} {:<8} {} {:?}\n",
                check.check,
                check.status.as_str(),
                check.findings.len(),
                check.notes
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_fires_on_the_weak_demo_target() {
    let server = spawn(Mode::Weak).unwrap();
    let secrets = demo_secrets_with_session(&server);
    // The weak demo is published as it is: its one listener, /metrics included, is public.
    let config = HardenConfig {
        public_listener: true,
        ..demo_config()
    };
    let report = audit(&server.base_url(), &config, &secrets).await.unwrap();
    for rule in RULES {
        let expected = if QUIET_ON_WEAK.iter().any(|(id, _)| *id == rule.id) {
            Status::NotApplicable
        } else {
            Status::Fail
        };
        assert_eq!(
            status_of(&report, rule.id),
            expected,
            "{}\n{}",
            rule.id,
            describe(&report)
        );
    }
    // Every finding carries the exchange that proves it.
    for check in &report.checks {
        for finding in &check.findings {
            assert!(
                !finding.request.is_empty() && !finding.response.is_empty(),
                "{finding:?}"
            );
        }
    }
    // Graded findings: a reflected origin with credentials is high.
    let reflected = &report.check("cors-origin-reflected").unwrap().findings[0];
    assert_eq!(reflected.severity, FindingSeverity::High);
    assert!(
        reflected
            .response
            .contains("access-control-allow-credentials: true")
    );
    // The leak is shown where it is.
    let sql = &report.check("error-sql-message").unwrap().findings[0];
    assert!(sql.response.contains("SQLSTATE"), "{}", sql.response);
    // /metrics on the public listener: the excerpt shows the exposition text.
    let monitoring = report.check("monitoring-endpoint-exposed").unwrap();
    assert_eq!(monitoring.findings.len(), 1, "{monitoring:?}");
    let metrics = &monitoring.findings[0];
    assert_eq!(metrics.severity, FindingSeverity::Medium);
    assert!(
        metrics.request.starts_with("GET /metrics"),
        "{}",
        metrics.request
    );
    assert!(
        metrics.message.contains("Prometheus metrics"),
        "{}",
        metrics.message
    );
    assert!(
        metrics.response.starts_with("HTTP 200") && metrics.response.contains("# TYPE "),
        "{}",
        metrics.response
    );
    // /actuator, /actuator/env, /debug/pprof/ are weak mode's verbose 404s; the heap dump's HEAD
    // too: none is counted.
    assert!(
        monitoring.notes[0].contains("GET /actuator: 404")
            && monitoring.notes[0].contains("HEAD /actuator/heapdump: 404"),
        "{:?}",
        monitoring.notes
    );
    // The jku token: /api/admin fetched gonogo's key set and trusted it; /api/reports accepts
    // any token without fetching anything.
    let jku = report.check("auth-jku-accepted").unwrap();
    assert_eq!(jku.findings.len(), 2, "{jku:?}");
    let admin = &jku.findings[0];
    assert!(
        admin.request.starts_with("GET /api/admin")
            && admin.request.contains("jku http://127.0.0.1:"),
        "{}",
        admin.request
    );
    assert!(
        admin.message.contains("the service fetched that key set"),
        "{}",
        admin.message
    );
    assert!(
        admin.response.starts_with("HTTP 200") && admin.response.contains("admin@example.com"),
        "{}",
        admin.response
    );
    assert!(
        jku.notes[0].starts_with("/api/admin: the service fetched http://127.0.0.1:")
            && jku.notes[0].contains("`GET /jwks.json` from 127.0.0.1:")
            && jku.notes[0].contains("gonogo-demo-weak-jku"),
        "{:?}",
        jku.notes
    );
    assert!(
        jku.notes[1].starts_with("/api/reports: the service did not fetch"),
        "{:?}",
        jku.notes
    );
    // Tokens and session cookies are not copied into the evidence.
    let details = serde_json::to_string(&report).unwrap();
    assert!(!details.contains(&secrets.valid_token.clone().unwrap()));
    let session_id = secrets
        .session_cookie
        .as_ref()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap();
    if let Some(at) = details.find(session_id) {
        panic!(
            "{session_id} in the evidence: {}",
            &details[at.saturating_sub(300)..(at + 100).min(details.len())]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_passes_on_the_hardened_demo_target() {
    let server = spawn(Mode::Hardened).unwrap();
    let secrets = demo_secrets_with_session(&server);
    let report = audit(&server.base_url(), &demo_config(), &secrets)
        .await
        .unwrap();
    for rule in RULES {
        let expected = if NOT_APPLICABLE_ON_HARDENED
            .iter()
            .any(|(id, _)| *id == rule.id)
        {
            Status::NotApplicable
        } else {
            Status::Pass
        };
        assert_eq!(
            status_of(&report, rule.id),
            expected,
            "{}\n{}",
            rule.id,
            describe(&report)
        );
    }
    assert!(!report.is_failure());
    // The jku token is refused, and the key set is never fetched.
    let jku = &report.check("auth-jku-accepted").unwrap().notes;
    assert_eq!(jku.len(), 2, "{jku:?}");
    for note in jku {
        assert!(
            note.contains(": the service did not fetch http://127.0.0.1:")
                && note.ends_with("before answering 401"),
            "{note}"
        );
    }
    let rate_notes = &report.check("rate-limit-missing").unwrap().notes;
    // The limit is 10 logins per window.
    assert!(
        rate_notes[0].starts_with("request #11 of the burst got 429"),
        "{rate_notes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_checks_are_inconclusive_without_a_working_token() {
    let server = spawn(Mode::Hardened).unwrap();
    let mut config = demo_config();
    config.rate_limit = None;
    // A token of the other mode's secret: the hardened service refuses it, so nothing proves
    // that forged tokens are refused for the right reason.
    let secrets = AuthSecrets {
        valid_token: Some(mint_token(Mode::Weak, "admin", "admin", 600)),
        ..AuthSecrets::default()
    };
    let report = audit(&server.base_url(), &config, &secrets).await.unwrap();
    for id in [
        "auth-alg-none-accepted",
        "auth-bad-signature-accepted",
        "auth-empty-signature-accepted",
    ] {
        let check = report.check(id).unwrap();
        assert_eq!(check.status, Status::Error, "{id}");
        assert!(check.notes[0].contains("inconclusive"), "{:?}", check.notes);
    }
    // Checks that need no token still ran.
    assert_eq!(
        status_of(&report, "auth-missing-token-accepted"),
        Status::Pass
    );
    // Without any token the forging checks are skipped, never passed.
    let report = audit(&server.base_url(), &config, &AuthSecrets::default())
        .await
        .unwrap();
    assert_eq!(
        status_of(&report, "auth-lower-role-accepted"),
        Status::Skipped
    );
    assert_eq!(status_of(&report, "auth-weak-hmac-secret"), Status::Skipped);
    assert_eq!(status_of(&report, "rate-limit-missing"), Status::Skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_disables_and_regrades_checks_and_the_report_says_so() {
    let server = spawn(Mode::Weak).unwrap();
    let mut config = HardenConfig::default();
    config.checks.insert(
        "csp-missing".into(),
        CheckOverride {
            enabled: Some(false),
            severity: None,
            reason: Some("the CDN adds the CSP".into()),
        },
    );
    config.checks.insert(
        "version-disclosed".into(),
        CheckOverride {
            enabled: None,
            severity: Some(FindingSeverity::Info),
            reason: Some("accepted for the demo".into()),
        },
    );
    let report = audit(&server.base_url(), &config, &AuthSecrets::default())
        .await
        .unwrap();
    let csp = report.check("csp-missing").unwrap();
    assert_eq!(csp.status, Status::Disabled);
    let policy = csp.policy_override.as_ref().unwrap();
    assert_eq!(policy.reason, "the CDN adds the CSP");
    assert_eq!(policy.suppressed_findings, 1);
    let version = report.check("version-disclosed").unwrap();
    assert_eq!(version.status, Status::Fail);
    assert!(
        version
            .findings
            .iter()
            .all(|f| f.severity == FindingSeverity::Info)
    );
    let table = gonogo_harden::cli::render_table(&report);
    assert!(
        table.contains("1 suppressed; policy: the CDN adds the CSP"),
        "{table}"
    );
    assert!(
        table.contains("re-graded info by the policy: accepted for the demo"),
        "{table}"
    );

    let evidence = to_evidence(&report);
    assert!(!evidence.metrics.contains_key("harden.csp-missing.findings"));
    assert!(
        evidence.metrics["harden.version-disclosed.findings"]
            .note
            .is_some()
    );
    // Only high/medium/low are counted; the disabled check's finding is not.
    let medium = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .flat_map(|c| &c.findings)
        .filter(|f| f.severity == FindingSeverity::Medium)
        .count();
    assert_eq!(
        evidence.metrics["harden.findings.medium"].value.as_ratio(),
        None
    );
    match evidence.metrics["harden.findings.medium"].value {
        gonogo_core::evidence::MetricValue::Value(value) => assert_eq!(value, medium as f64),
        ref other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_uses_catalogue_names_and_survives_the_wire_format() {
    let server = spawn(Mode::Weak).unwrap();
    let report = audit(
        &server.base_url(),
        &demo_config(),
        &demo_secrets(Mode::Weak),
    )
    .await
    .unwrap();
    let evidence = to_evidence(&report);
    assert_eq!(evidence.kind, "harden");
    assert_eq!(evidence.sha256.len(), 64);
    for name in evidence.metrics.keys() {
        assert!(
            gonogo_harden::METRICS
                .iter()
                .any(|known| known.kind == "harden"
                    && gonogo_core::catalog::matches(known.pattern, name)),
            "{name} is not in the catalogue"
        );
    }
    assert!(
        evidence
            .metrics
            .contains_key("harden.auth-alg-none-accepted.findings")
    );
    // Checks that did not run have no metric: no evidence, no green.
    assert!(
        !evidence
            .metrics
            .contains_key("harden.hsts-missing.findings")
    );
    let text = gonogo_core::wire::to_json_pretty(&evidence);
    let back = gonogo_core::wire::parse_records(
        &text,
        gonogo_core::catalog::Catalog::new(&[gonogo_harden::METRICS]),
    )
    .unwrap();
    assert_eq!(back[0].metrics.len(), evidence.metrics.len());
    assert_eq!(
        back[0].details["checks"].as_array().unwrap().len(),
        RULES.len()
    );
}

#[test]
fn the_cli_writes_evidence_and_exits_by_the_result() {
    let weak = spawn(Mode::Weak).unwrap();
    let hardened = spawn(Mode::Hardened).unwrap();
    let folder = std::env::temp_dir().join(format!("gonogo-harden-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let args = |url: String| gonogo_harden::cli::HardenArgs {
        url,
        policy: None,
        allow_hosts: vec![],
        paths: vec!["/app".into()],
        json_endpoints: vec![],
        protected: vec![],
        rate_limit: None,
        ca_file: None,
        csrf: None,
        passive: false,
        strict_cookies: false,
        timeout: Some("2s".into()),
        json: true,
        evidence_dir: folder.clone(),
    };
    let mut stdout = Vec::new();
    let code = gonogo_harden::cli::run_to(args(weak.base_url()), &mut stdout).unwrap();
    assert_eq!(code, std::process::ExitCode::from(1));
    let printed: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    assert_eq!(printed["checks"].as_array().unwrap().len(), RULES.len());
    let mut table_args = args(hardened.base_url());
    table_args.json = false;
    let mut stdout = Vec::new();
    let code = gonogo_harden::cli::run_to(table_args, &mut stdout).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let table = String::from_utf8(stdout).unwrap();
    assert!(
        table.contains("csp-missing") && table.contains("0 high, 0 medium, 0 low"),
        "{table}"
    );
    let files: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
    assert_eq!(files.len(), 2, "one evidence file per run");
    for file in files {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
        let records = gonogo_core::wire::parse_records(
            &text,
            gonogo_core::catalog::Catalog::new(&[gonogo_harden::METRICS]),
        )
        .unwrap();
        assert_eq!(records[0].kind, "harden");
    }
    // A host that is not loopback is refused before any request: exit 2.
    let code = gonogo_harden::cli::run(args("http://192.0.2.1/".into())).unwrap();
    assert_eq!(code, std::process::ExitCode::from(2));
    // A policy with a problem: exit 2; a policy that cannot be read: exit 3.
    let policy = folder.join("gonogo.toml");
    std::fs::write(&policy, "[harden.checks.csp-missing]\nenabled = false\n").unwrap();
    let mut with_policy = args(weak.base_url());
    with_policy.policy = Some(policy.clone());
    assert_eq!(
        gonogo_harden::cli::run(with_policy.clone()).unwrap(),
        std::process::ExitCode::from(2)
    );
    with_policy.policy = Some(folder.join("missing.toml"));
    assert_eq!(
        gonogo_harden::cli::run(with_policy).unwrap(),
        std::process::ExitCode::from(3)
    );
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn help_teaches_defaults_and_examples() {
    use clap::CommandFactory as _;
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: gonogo_harden::cli::HardenArgs,
    }
    let help = Wrapper::command().render_long_help().to_string();
    for expected in [
        "--allow-host",
        "--protected",
        "GONOGO_HARDEN_TOKEN",
        "Examples:",
        "default: .gonogo/evidence",
    ] {
        assert!(help.contains(expected), "{expected} missing from:\n{help}");
    }
}

#[test]
fn the_docs_page_lists_every_check_with_its_asvs_ids() {
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/harden.md"))
            .unwrap();
    for rule in RULES {
        let row = page
            .lines()
            .find(|line| line.starts_with(&format!("| `{}` |", rule.id)))
            .unwrap_or_else(|| panic!("docs/harden.md has no row for {}", rule.id));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(
            (cells[2], cells[3], cells[4]),
            (rule.spec, rule.asvs4, rule.asvs5),
            "{}",
            rule.id
        );
    }
}

/// The `--json` report's schema is committed, so a change to the format shows in review.
/// `GONOGO_UPDATE_SCHEMA=1` rewrites it.
#[test]
fn the_json_report_schema_is_committed() {
    let schema = schemars::schema_for!(gonogo_harden::Report);
    let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/report.schema.json");
    if std::env::var_os("GONOGO_UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        committed, text,
        "report.schema.json is stale: run with GONOGO_UPDATE_SCHEMA=1"
    );
}

#[test]
fn long_help_snapshot() {
    use clap::CommandFactory as _;
    #[derive(clap::Parser)]
    #[command(name = "gonogo harden")]
    struct Wrapper {
        #[command(flatten)]
        args: gonogo_harden::cli::HardenArgs,
    }
    insta::assert_snapshot!(
        Wrapper::command()
            .term_width(100)
            .render_long_help()
            .to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_lifts_after_the_advertised_retry_after() {
    let mut demo = gonogo_demo_target::DemoConfig::new(Mode::Hardened);
    demo.login_limit = 3;
    demo.login_window_secs = 2;
    let server = gonogo_demo_target::spawn_with(demo).unwrap();
    let config = HardenConfig {
        rate_limit: Some(RateLimitConfig {
            max_requests: 10,
            ..RateLimitConfig::default()
        }),
        ..HardenConfig::default()
    };
    let report = audit(&server.base_url(), &config, &AuthSecrets::default())
        .await
        .unwrap();
    assert_eq!(status_of(&report, "rate-limit-missing"), Status::Pass);
    let notes = &report.check("rate-limit-headers-missing").unwrap().notes;
    assert!(notes[0].contains("retry-after: "), "{notes:?}");
    assert!(
        notes[1].contains("answered 401: the limit lifts as advertised"),
        "{notes:?}"
    );
}

/// A limiter that always answers 429: on `/bare` without any header, on `/lying` with a
/// `Retry-After: 1` that is never honoured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_without_headers_is_a_finding_and_a_wrong_retry_after_is_noted() {
    let app = axum::Router::new()
        .route(
            "/bare",
            axum::routing::post(|| async { axum::http::StatusCode::TOO_MANY_REQUESTS }),
        )
        .route(
            "/lying",
            axum::routing::post(|| async {
                (
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "1")],
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let config_for = |path: &str| HardenConfig {
        passive: false,
        rate_limit: Some(RateLimitConfig {
            path: path.into(),
            max_requests: 5,
            ..RateLimitConfig::default()
        }),
        ..HardenConfig::default()
    };
    let report = audit(&url, &config_for("/bare"), &AuthSecrets::default())
        .await
        .unwrap();
    assert_eq!(status_of(&report, "rate-limit-missing"), Status::Pass);
    assert_eq!(
        status_of(&report, "rate-limit-headers-missing"),
        Status::Fail
    );
    let report = audit(&url, &config_for("/lying"), &AuthSecrets::default())
        .await
        .unwrap();
    assert_eq!(
        status_of(&report, "rate-limit-headers-missing"),
        Status::Pass
    );
    let notes = &report.check("rate-limit-headers-missing").unwrap().notes;
    assert!(
        notes[1].contains("still answered 429: the advertised time is wrong"),
        "{notes:?}"
    );
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_mode_sends_only_the_baseline_gets() {
    let server = spawn(Mode::Weak).unwrap();
    let config = HardenConfig {
        passive: true,
        ..demo_config()
    };
    let report = audit(&server.base_url(), &config, &demo_secrets(Mode::Weak))
        .await
        .unwrap();
    // Baseline: `/`, the four declared paths and a random 404; errors: a random 404, `/%`, the
    // 8 kB header, `/.git/HEAD`, `/.svn/entries`. No other method than GET.
    assert_eq!(report.n_requests, 11);
    for check in &report.checks {
        let active = ["cors", "methods", "rate-limit", "auth", "csrf"].contains(&check.group);
        if active {
            assert_eq!(check.status, Status::Skipped, "{}", check.check);
            assert_eq!(
                check.notes,
                vec!["passive mode: no active requests".to_owned()]
            );
        }
    }
    assert_eq!(status_of(&report, "csp-missing"), Status::Fail);
}

/// Every source file of the harden and demo-target crates opens with a `//!` module doc.
#[test]
fn every_file_opens_with_a_module_doc() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut folders = vec![root.join("harden"), root.join("demo-target")];
    let mut n_files = 0;
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                n_files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.starts_with("//!"),
                    "{} has no //! module doc",
                    path.display()
                );
            }
        }
    }
    assert!(n_files >= 20, "{n_files}");
}
