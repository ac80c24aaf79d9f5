//! The GitHub Action (action.yml at the repository root): its script, scripts/action.sh, runs
//! with a fake GITHUB_* environment (temporary step summary and output files) and the gonogo
//! binary under test, for a GO and a NO-GO policy; the action and the example workflow are
//! checked against GitHub's schemas with check-jsonschema (schemas bundled, offline).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A project whose policy collects a JUnit file: GO when every test passed.
fn project(failing: bool) -> tempfile::TempDir {
    gonogo_testkit::junit_project("", failing.then_some("expected 2, got 3"))
}

struct Run {
    output: Output,
    summary: String,
    outputs: String,
}

fn action(dir: &Path, env: &[(&str, &str)]) -> Run {
    let summary = dir.join("step-summary.md");
    let outputs = dir.join("github-output");
    std::fs::write(&summary, "").unwrap();
    std::fs::write(&outputs, "").unwrap();
    let mut command = Command::new("bash");
    command
        .arg(repo().join("scripts/action.sh"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GONOGO_ACTION_PATH", repo())
        .env("GONOGO_INSTALL_DIR", dir.join("tool-cache"))
        .env("INPUT_COMMAND", "gate")
        .env("INPUT_POLICY", "gonogo.toml")
        .env("INPUT_OUT", "out")
        .current_dir(dir);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    Run {
        output,
        summary: std::fs::read_to_string(&summary).unwrap(),
        outputs: std::fs::read_to_string(&outputs).unwrap(),
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_gonogo");

#[test]
fn a_go_policy_passes_the_step_and_says_go() {
    let dir = project(false);
    let run = action(dir.path(), &[("GONOGO_BIN", BIN)]);
    assert_eq!(run.output.status.code(), Some(0), "{}", text(&run.output));
    assert_eq!(run.outputs, "verdict=GO\nexit-code=0\nreport-dir=out\n");
    assert!(run.summary.contains("GO"), "{}", run.summary);
    assert!(!run.summary.contains("NO-GO"), "{}", run.summary);
    assert!(dir.path().join("out/verdict.json").is_file());
    assert!(
        !text(&run.output).contains("::error"),
        "{}",
        text(&run.output)
    );
}

#[test]
fn a_no_go_policy_fails_the_step_with_annotations_and_a_summary() {
    let dir = project(true);
    let run = action(dir.path(), &[("GONOGO_BIN", BIN)]);
    let all = text(&run.output);
    assert_eq!(run.output.status.code(), Some(1), "{all}");
    assert_eq!(run.outputs, "verdict=NO-GO\nexit-code=1\nreport-dir=out\n");
    assert!(run.summary.contains("NO-GO"), "{}", run.summary);
    assert!(run.summary.contains("tests pass"), "{}", run.summary);
    assert!(all.contains("::error"), "{all}");
    assert!(all.contains("::error title=gonogo::NO-GO"), "{all}");
}

#[test]
fn a_policy_error_is_neither_go_nor_no_go() {
    let dir = project(false);
    std::fs::write(dir.path().join("gonogo.toml"), "[[gate]]\nmetrc = 1\n").unwrap();
    let run = action(dir.path(), &[("GONOGO_BIN", BIN)]);
    assert_eq!(run.output.status.code(), Some(2), "{}", text(&run.output));
    assert!(
        run.outputs.starts_with("verdict=ERROR\nexit-code=2\n"),
        "{}",
        run.outputs
    );
    let run = action(
        dir.path(),
        &[("GONOGO_BIN", BIN), ("INPUT_COMMAND", "deploy")],
    );
    assert_eq!(run.output.status.code(), Some(2));
    assert!(text(&run.output).contains("command must be run or gate"));
}

#[test]
fn a_release_archive_is_installed_once_then_taken_from_the_cache() {
    let dir = project(false);
    // The "release": a .tar.gz holding gonogo, at a file:// URL (no network).
    let staging = dir.path().join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::copy(BIN, staging.join("gonogo")).unwrap();
    let target = format!(
        "{}-unknown-linux-gnu",
        String::from_utf8(Command::new("uname").arg("-m").output().unwrap().stdout)
            .unwrap()
            .trim()
    );
    let archive = dir.path().join(format!("gonogo-0.1.0-{target}.tar.gz"));
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&staging)
        .arg("gonogo")
        .status()
        .unwrap();
    assert!(status.success());
    let url = format!(
        "file://{}/gonogo-{{version}}-{{target}}.tar.gz",
        dir.path().display()
    );
    let inputs = [
        ("INPUT_VERSION", "0.1.0"),
        ("INPUT_RELEASE_URL", url.as_str()),
    ];
    let run = action(dir.path(), &inputs);
    assert_eq!(run.output.status.code(), Some(0), "{}", text(&run.output));
    assert!(
        text(&run.output).contains("downloading file://"),
        "{}",
        text(&run.output)
    );
    assert!(dir.path().join("tool-cache/gonogo").is_file());

    // Second run: the archive is gone, the cached binary is used.
    std::fs::remove_file(&archive).unwrap();
    let run = action(dir.path(), &inputs);
    assert_eq!(run.output.status.code(), Some(0), "{}", text(&run.output));
    assert!(
        text(&run.output).contains("using the cached binary"),
        "{}",
        text(&run.output)
    );

    // No cache, no archive: a clear error, not GO.
    std::fs::remove_dir_all(dir.path().join("tool-cache")).unwrap();
    let run = action(dir.path(), &inputs);
    assert_eq!(run.output.status.code(), Some(2), "{}", text(&run.output));
    assert!(
        text(&run.output).contains("::error title=gonogo action::could not download"),
        "{}",
        text(&run.output)
    );
    assert!(run.outputs.starts_with("verdict=ERROR"));
}

/// check-jsonschema (PyPI, scripts/deps/python.txt) with its bundled GitHub and GitLab schemas.
fn check_jsonschema(schema: &str, file: &str) {
    let Some(program) = gonogo_testkit::require_tool("check-jsonschema", file) else {
        return;
    };
    let output = Command::new(program)
        .args(["--builtin-schema", schema])
        .arg(repo().join(file))
        .output()
        .expect("check-jsonschema runs");
    assert!(output.status.success(), "{file}: {}", text(&output));
}

#[test]
fn the_action_and_the_example_pipelines_match_their_schemas() {
    check_jsonschema("vendor.github-actions", "action.yml");
    check_jsonschema("vendor.github-workflows", "examples/github-workflow.yml");
    check_jsonschema("vendor.gitlab-ci", "examples/gitlab-ci.yml");
}

#[test]
fn the_action_runs_the_script_and_declares_its_inputs() {
    let action = std::fs::read_to_string(repo().join("action.yml")).unwrap();
    assert!(action.contains("using: composite"));
    assert!(action.contains("scripts/action.sh"));
    for input in [
        "policy:",
        "env:",
        "baseline:",
        "version:",
        "args:",
        "release-url:",
    ] {
        assert!(action.contains(&format!("\n  {input}")), "input {input}");
    }
}
