//! Differential test against the real MDN HTTP Observatory CLI (npm
//! `@mdn/mdn-http-observatory` 1.4.8, scoring algorithm 4) on the same servers: three nginx
//! configurations and both demo-target modes. For each test the two tools share, on the page
//! the Observatory looks at (`/`), gonogo must agree:
//!
//! | Observatory test | gonogo checks (findings for `GET /`) |
//! |---|---|
//! | content-security-policy | csp-missing, csp-unsafe-inline, csp-unsafe-eval, csp-wildcard-source |
//! | x-content-type-options | nosniff-missing |
//! | x-frame-options | framing-unprotected |
//! | referrer-policy | referrer-policy-unsafe (both pass a missing header) |
//! | cookies | cookie-secure-missing, cookie-httponly-missing (gonogo in strict mode, as the Observatory judges Secure over http) |
//! | cross-origin-resource-sharing | cors-origin-reflected with credentials (one known Observatory miss, see the test) |
//! | strict-transport-security | gonogo: not applicable over http; the Observatory: `hsts-not-implemented-no-https` |
//!
//! The scanner comes from `scripts/deps/observatory.sh` (or `$GONOGO_OBSERVATORY_SCAN`);
//! without it the test prints why and returns.

use std::path::PathBuf;
use std::process::Command;

use gonogo_demo_target::{Mode, spawn};
use gonogo_harden::{AuthSecrets, HardenConfig, Report, Status, audit};

use crate::nginx::{SECURITY_HEADERS, start_nginx};

fn scanner() -> Option<PathBuf> {
    let candidate = std::env::var_os("GONOGO_OBSERVATORY_SCAN")
        .map(PathBuf::from)
        .or_else(|| {
            let dir = std::env::var_os("GONOGO_OBSERVATORY_DIR")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME")
                        .map(|home| PathBuf::from(home).join(".cache/gonogo/observatory"))
                })?;
            Some(dir.join("node_modules/.bin/mdn-http-observatory-scan"))
        })?;
    candidate.exists().then_some(candidate)
}

fn observatory(scan: &PathBuf, url: &str) -> serde_json::Value {
    let host = url.trim_start_matches("http://");
    let output = Command::new(scan).arg(host).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Whether gonogo has a finding of any of `ids` on `GET /`.
fn root_finding(
    report: &Report,
    ids: &[&str],
    predicate: impl Fn(&gonogo_harden::Finding) -> bool,
) -> bool {
    ids.iter().any(|id| {
        report
            .check(id)
            .unwrap()
            .findings
            .iter()
            .any(|finding| finding.request.lines().next() == Some("GET /") && predicate(finding))
    })
}

fn compare(name: &str, gonogo: &Report, observatory: &serde_json::Value) -> Vec<String> {
    let tests = &observatory["tests"];
    let obs_pass = |test: &str| {
        tests[test]["pass"]
            .as_bool()
            .unwrap_or_else(|| panic!("{name}: no {test} in {observatory}"))
    };
    let any = |_: &gonogo_harden::Finding| true;
    let pairs = [
        (
            "content-security-policy",
            !root_finding(
                gonogo,
                &[
                    "csp-missing",
                    "csp-unsafe-inline",
                    "csp-unsafe-eval",
                    "csp-wildcard-source",
                ],
                any,
            ),
        ),
        (
            "x-content-type-options",
            !root_finding(gonogo, &["nosniff-missing"], any),
        ),
        (
            "x-frame-options",
            !root_finding(gonogo, &["framing-unprotected"], any),
        ),
        (
            "referrer-policy",
            !root_finding(gonogo, &["referrer-policy-unsafe"], any),
        ),
        (
            "cookies",
            !["cookie-secure-missing", "cookie-httponly-missing"]
                .iter()
                .any(|id| gonogo.check(id).unwrap().status == Status::Fail),
        ),
        (
            "cross-origin-resource-sharing",
            !root_finding(gonogo, &["cors-origin-reflected"], |finding| {
                finding
                    .response
                    .contains("access-control-allow-credentials: true")
            }),
        ),
    ];
    let mut disagreements = Vec::new();
    for (test, gonogo_pass) in pairs {
        if obs_pass(test) != gonogo_pass {
            disagreements.push(format!(
                "{name}: {test}: observatory {} ({}), gonogo {}",
                obs_pass(test),
                tests[test]["result"],
                gonogo_pass
            ));
        }
    }
    // HSTS over plain http: the Observatory penalises, gonogo calls it not applicable.
    assert_eq!(
        tests["strict-transport-security"]["result"], "hsts-not-implemented-no-https",
        "{name}"
    );
    assert_eq!(
        gonogo.check("hsts-missing").unwrap().status,
        Status::NotApplicable,
        "{name}"
    );
    disagreements
}

#[test]
fn gonogo_agrees_with_the_observatory_on_the_checks_they_share() {
    let Some(scan) = scanner() else {
        gonogo_testkit::missing_tool(
            "the Observatory CLI (run scripts/deps/observatory.sh)",
            "gonogo_agrees_with_the_observatory_on_the_checks_they_share",
        );
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = HardenConfig {
        strict_secure_cookies: true,
        ..HardenConfig::default()
    };
    let mut disagreements = Vec::new();
    let mut grades = Vec::new();
    let nginx_configs = [
        ("nginx-bare", String::new()),
        ("nginx-headers", SECURITY_HEADERS.to_owned()),
        ("nginx-no-always", SECURITY_HEADERS.replace(" always;", ";")),
    ];
    for (name, directives) in &nginx_configs {
        let Some(nginx) = start_nginx(&format!("obs-{name}"), directives) else {
            return;
        };
        let gonogo = runtime
            .block_on(audit(&nginx.url(), &config, &AuthSecrets::default()))
            .unwrap();
        let observed = observatory(&scan, &nginx.url());
        grades.push((name.to_string(), observed["scan"]["score"].clone()));
        disagreements.extend(compare(name, &gonogo, &observed));
    }
    for mode in [Mode::Weak, Mode::Hardened] {
        let server = spawn(mode).unwrap();
        let gonogo = runtime
            .block_on(audit(&server.base_url(), &config, &AuthSecrets::default()))
            .unwrap();
        let observed = observatory(&scan, &server.base_url());
        grades.push((
            format!("demo-{}", mode.as_str()),
            observed["scan"]["score"].clone(),
        ));
        disagreements.extend(compare(mode.as_str(), &gonogo, &observed));
        // The two modes really differ in what the Observatory sees too.
        let cookies_pass = observed["tests"]["cookies"]["pass"].as_bool().unwrap();
        assert_eq!(cookies_pass, mode == Mode::Hardened, "{observed}");
    }
    eprintln!("observatory scores: {grades:?}");
    // One known disagreement, on the Observatory's side: its CORS test reads the Origin it sent
    // from `response.request.headers`, which a live axios response does not have, so a live
    // scan never reports "universal access" even when the origin is echoed with credentials
    // (its own unit test passes a mocked request). gonogo reports the echo. If the Observatory
    // fixes this, the list becomes empty and this assertion says so.
    assert_eq!(
        disagreements,
        vec!["weak: cross-origin-resource-sharing: observatory true (\"cross-origin-resource-sharing-implemented-with-restricted-access\"), gonogo false".to_owned()]
    );
    // A bare Debian nginx scores 10 (F), as the spec says; with the headers, 60 is the best
    // plain http allows (redirection and HSTS cannot pass without TLS).
    assert_eq!(grades[0].1, 10);
    assert_eq!(grades[1].1, 60);
}
