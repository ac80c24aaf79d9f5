//! `gonogo report --github`/`--gitlab` and the NO-GO webhook, end to end through the binary,
//! against a recording server on loopback (the real GitHub, GitLab and Slack are not reachable
//! from the test machines, and tests never contact a host other than 127.0.0.1).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gonogo_publish::testing::{Answer, Recorded, Server};
use serde_json::json;

const TOKEN: &str = "ghs_end_to_end_secret_token";

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn sample_verdict() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../publish/tests/data/sample-no-go.json")
}

fn report_github(server: &Server, dir: &Path) -> Output {
    let event = dir.join("event.json");
    std::fs::write(&event, r#"{"pull_request":{"number":7}}"#).unwrap();
    Command::new(env!("CARGO_BIN_EXE_gonogo"))
        .arg("report")
        .arg(sample_verdict())
        .args(["--github", "--evidence-dir"])
        .arg(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_API_URL", &server.url)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "octo/shop")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_SHA", "e8eff29b14c4c590f57cdc86d530583bc6335841")
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn report_github_posts_a_comment_and_a_failing_check_run() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        |request: &Recorded, _: &str| match request.method.as_str() {
            "GET" => Answer::json(200, json!([])),
            _ => Answer::json(201, json!({"id": 77})),
        },
    );
    let output = report_github(&server, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let requests = server.requests();
    let comment = requests
        .iter()
        .find(|r| r.method == "POST" && r.target == "/repos/octo/shop/issues/7/comments")
        .unwrap_or_else(|| panic!("{requests:?}"));
    let body = comment.json()["body"].as_str().unwrap().to_owned();
    assert!(body.starts_with("<!-- gonogo -->"), "{body}");
    assert!(body.contains("no critical vulnerabilities"), "{body}");
    let check = requests
        .iter()
        .find(|r| r.target == "/repos/octo/shop/check-runs")
        .unwrap();
    assert_eq!(check.json()["conclusion"], "failure");
    assert!(!text(&output).contains(TOKEN));
    assert!(
        text(&output).contains("posted the pull-request comment 77"),
        "{}",
        text(&output)
    );
}

#[test]
fn a_posting_failure_is_reported_without_the_token_and_the_exit_code_stands() {
    let dir = tempfile::tempdir().unwrap();
    let denied = Server::start(|_: &Recorded, _: &str| {
        Answer::json(
            403,
            json!({"message": "Resource not accessible by integration"}),
        )
    });
    let output = report_github(&denied, dir.path());
    let all = text(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "posting never changes the exit code: {all}"
    );
    assert!(all.contains("403"), "{all}");
    assert!(
        all.contains("Resource not accessible by integration"),
        "{all}"
    );
    assert!(
        all.contains("::warning title=gonogo could not post to GitHub::"),
        "{all}"
    );
    assert!(!all.contains(TOKEN), "{all}");

    let limited = Server::start(|_: &Recorded, _: &str| {
        Answer::json(429, json!({"message": "rate limit"})).header("retry-after", "3600")
    });
    let output = report_github(&limited, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("rate limited"), "{}", text(&output));
    assert_eq!(
        limited.requests().len(),
        1,
        "a wait over the bound is not waited"
    );
}

fn report_gitlab(server: &Server, dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gonogo"))
        .arg("report")
        .arg(sample_verdict())
        .args(["--gitlab", "--gitlab-dir"])
        .arg(dir)
        .env_clear()
        .env("CI_API_V4_URL", format!("{}/api/v4", server.url))
        .env("CI_PROJECT_ID", "99")
        .env("CI_MERGE_REQUEST_IID", "5")
        .env("GITLAB_TOKEN", "glpat-end-to-end")
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn report_gitlab_writes_code_quality_and_junit_and_posts_the_note() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        |request: &Recorded, _: &str| match request.method.as_str() {
            "GET" => Answer::json(200, json!([])),
            _ => Answer::json(201, json!({"id": 8})),
        },
    );
    let output = report_gitlab(&server, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let quality: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("gl-code-quality-report.json")).unwrap(),
    )
    .unwrap();
    assert!(
        quality
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["severity"] == "blocker")
    );
    assert!(
        std::fs::read_to_string(dir.path().join("junit.xml"))
            .unwrap()
            .contains("<testsuite")
    );
    let note = server
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(note.target, "/api/v4/projects/99/merge_requests/5/notes");
    assert_eq!(note.header("private-token"), Some("glpat-end-to-end"));
    assert!(!text(&output).contains("glpat-end-to-end"));
}

/// A policy judged over collected JUnit files: GO when every test passed.
fn junit_project(failing: bool, notify: &str) -> tempfile::TempDir {
    gonogo_testkit::junit_project(notify, failing.then_some("x"))
}

fn gate(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gonogo"));
    command
        .args(["gate", "--no-write"])
        .args(extra)
        .env_clear()
        .env("NO_COLOR", "1")
        .current_dir(dir);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

#[test]
fn no_go_calls_the_webhook_and_go_does_not() {
    let server = Server::start(|_: &Recorded, _: &str| Answer::json(200, json!({})));
    let hook = format!("{}/services/T1/B2/hooksecret", server.url);

    let failing = junit_project(
        true,
        "[notify]\nwebhook_env = \"TEAM_HOOK\"\nformat = \"json\"\n\n",
    );
    let output = gate(failing.path(), &[], &[("TEAM_HOOK", &hook)]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{}", text(&output));
    assert_eq!(requests[0].target, "/services/T1/B2/hooksecret");
    assert_eq!(requests[0].json()["verdict"], "NO-GO");
    assert_eq!(requests[0].json()["blockers"], json!(["tests pass"]));
    assert!(!text(&output).contains("hooksecret"), "{}", text(&output));

    let passing = junit_project(false, "");
    let output = gate(passing.path(), &["--notify-webhook", &hook], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(server.requests().len(), 1, "GO sends nothing");
}

#[test]
fn a_failing_webhook_never_changes_the_verdict() {
    let server = Server::start(|_: &Recorded, _: &str| Answer::json(500, json!({})));
    let hook = format!("{}/hooks/s3cr3t-path", server.url);
    let failing = junit_project(true, "");
    let output = gate(
        failing.path(),
        &["--notify-format", "slack"],
        &[("GONOGO_NOTIFY_WEBHOOK", &hook)],
    );
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        all.contains("notification failed (the verdict stands)"),
        "{all}"
    );
    assert!(all.contains("HTTP 500 after 4 attempt(s)"), "{all}");
    assert!(!all.contains("s3cr3t-path"), "{all}");
    assert_eq!(server.requests().len(), 4);
    assert!(
        server.requests()[0].json()["text"]
            .as_str()
            .unwrap()
            .contains("NO-GO")
    );
}

// The bytes gonogo sends or writes for others, pinned: the webhook's payloads (JSON and Slack),
// the GitHub comment and check run, GitLab's code-quality file and note, and the "since the
// last run" section `run` appends to report.md from the history. Every consumer builds them
// from the typed verdict; these snapshots hold them to what they were before it did.

const NOW: &str = "2026-12-01T12:00:00Z";

#[test]
fn the_webhook_payloads_are_pinned() {
    let server = Server::start(|_: &Recorded, _: &str| Answer::json(200, json!({})));
    let hook = format!("{}/services/T1/B2/hooksecret", server.url);
    let failing = junit_project(true, "[policy]\nname = \"shop <web>\"\n\n");
    for format in ["json", "slack"] {
        let output = gate(
            failing.path(),
            &["--no-history", "--now", NOW, "--notify-format", format],
            &[("GONOGO_NOTIFY_WEBHOOK", &hook)],
        );
        assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    }
    // Only a warning: NO-GO with no blocker, and the Slack text says why.
    let unearned = tempfile::tempdir().unwrap();
    std::fs::write(
        unearned.path().join("gonogo.toml"),
        "[[gate]]\nname = \"a warning\"\narea = \"functionality\"\nseverity = \"warn\"\nmetric = \"tests.failed\"\nexpect = \"count == 0\"\n",
    )
    .unwrap();
    let output = gate(
        unearned.path(),
        &["--no-history", "--now", NOW],
        &[("GONOGO_NOTIFY_WEBHOOK", &hook)],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));

    let bodies: Vec<String> = server.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    insta::assert_snapshot!("webhook_json", bodies[0]);
    insta::assert_snapshot!("webhook_slack", bodies[1]);
    insta::assert_snapshot!("webhook_slack_unearned", bodies[2]);
}

#[test]
fn the_github_requests_are_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        |request: &Recorded, _: &str| match request.method.as_str() {
            "GET" => Answer::json(200, json!([])),
            _ => Answer::json(201, json!({"id": 77})),
        },
    );
    let output = report_github(&server, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let sent: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}\n{}", r.method, r.target, r.body))
        .collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    insta::assert_snapshot!("github_requests", sent.join("\n\n"));
}

#[test]
fn the_gitlab_files_and_note_are_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        |request: &Recorded, _: &str| match request.method.as_str() {
            "GET" => Answer::json(200, json!([])),
            _ => Answer::json(201, json!({"id": 8})),
        },
    );
    let output = report_gitlab(&server, dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    insta::assert_snapshot!(
        "gitlab_code_quality",
        std::fs::read_to_string(dir.path().join("gl-code-quality-report.json")).unwrap()
    );
    let notes: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.body)
        .collect();
    assert_eq!(notes.len(), 1);
    insta::assert_snapshot!("gitlab_note", notes[0]);
}

#[test]
fn the_section_since_the_last_run_is_pinned() {
    let dir = junit_project(false, "[policy]\nname = \"shop\"\n\n");
    // A measured figure with an interval beside the count.
    let policy = dir.path().join("gonogo.toml");
    let text_before = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        text_before
            + "\n[[gate]]\nname = \"failure rate\"\narea = \"functionality\"\nseverity = \"warn\"\nmetric = \"tests.failed\"\nexpect = \"rate < 60%\"\n",
    )
    .unwrap();
    // `run` collects as of the clock: its moments are the clock's, and only they are not pinned.
    let run = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gonogo"));
        command
            .args(["run", "--out", "out"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .current_dir(dir.path());
        command.output().unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(!report.contains("### Since"), "no earlier run: {report}");

    std::fs::write(
        dir.path().join("reports/junit.xml"),
        r#"<testsuite name="s"><testcase name="a"/><testcase name="b"><failure message="x"/></testcase></testsuite>"#,
    )
    .unwrap();
    let second = run();
    assert_eq!(second.status.code(), Some(1), "{}", text(&second));
    let report = std::fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    let at = report
        .find("\n### Since run ")
        .unwrap_or_else(|| panic!("{report}"));
    // The heading names the earlier run by its random id and the moment it was judged.
    let (heading, section) = report[at + 1..].split_once('\n').unwrap();
    assert!(heading.ends_with(", GO)"), "{heading}");
    insta::assert_snapshot!("since_the_last_run", section);
}
