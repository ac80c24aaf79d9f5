//! The one mapping from what went wrong to the exit code (crates/cli/src/exit.rs), end to end:
//! an output that cannot be written ends with 4 wherever it is written, never with 2 ("the
//! policy or the command line is wrong") or 1 ("NO-GO").

use std::path::Path;
use std::process::Output;

use gonogo_testkit::console;

fn gonogo(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = gonogo_testkit::gonogo_command(env!("CARGO_BIN_EXE_gonogo"), args, dir);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// A policy over a collected JUnit file whose tests pass.
fn project() -> tempfile::TempDir {
    gonogo_testkit::junit_project("", None)
}

#[test]
fn a_run_whose_evidence_folder_cannot_be_made_exits_4() {
    let dir = project();
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    // A file where the run's evidence folder goes.
    std::fs::write(dir.path().join("out/evidence"), "not a folder").unwrap();
    let output = gonogo(&["run", "--out", "out", "--no-history"], dir.path(), &[]);
    let all = console(&output);
    assert_eq!(output.status.code(), Some(4), "{all}");
    assert!(all.contains("out/evidence"), "the message names it: {all}");
}

#[test]
fn a_step_summary_that_cannot_be_written_exits_4_and_the_verdict_stands() {
    let dir = project();
    let summary = dir.path().join("no-such-folder/summary.md");
    let output = gonogo(
        &["gate", "--no-history"],
        dir.path(),
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    );
    let all = console(&output);
    assert_eq!(output.status.code(), Some(4), "{all}");
    assert!(all.contains("step summary"), "{all}");
    let verdict = std::fs::read_to_string(dir.path().join("gonogo-report/verdict.json")).unwrap();
    assert!(verdict.contains("\"verdict\": \"GO\""), "{verdict}");
}

#[test]
fn collect_into_a_folder_that_cannot_be_made_exits_4() {
    let dir = project();
    std::fs::write(dir.path().join("blocked"), "a file, not a folder").unwrap();
    let output = gonogo(
        &[
            "collect",
            "junit",
            "reports/junit.xml",
            "--evidence-dir",
            "blocked/evidence",
        ],
        dir.path(),
        &[],
    );
    let all = console(&output);
    assert_eq!(output.status.code(), Some(4), "{all}");
    assert!(all.contains("blocked/evidence"), "{all}");
}

/// `report --github`/`--gitlab` choose their codes through the same mapping: a verdict that
/// cannot be read is 3, GitLab's report files that cannot be written 4.
#[test]
fn posting_a_verdict_exits_3_when_it_is_unreadable_and_4_when_its_files_are_not_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("verdict.json"), "{ not json").unwrap();
    let output = gonogo(&["report", "verdict.json", "--github"], dir.path(), &[]);
    let all = console(&output);
    assert_eq!(output.status.code(), Some(3), "{all}");
    assert!(
        all.contains("verdict.json is not a gonogo verdict"),
        "{all}"
    );

    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../publish/tests/data/sample-no-go.json");
    std::fs::write(dir.path().join("blocked"), "a file, not a folder").unwrap();
    let output = gonogo(
        &[
            "report",
            sample.to_str().unwrap(),
            "--gitlab",
            "--gitlab-dir",
            "blocked",
        ],
        dir.path(),
        &[],
    );
    let all = console(&output);
    assert_eq!(output.status.code(), Some(4), "{all}");
    assert!(all.contains("blocked"), "{all}");
}
