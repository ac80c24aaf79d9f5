//! `gonogo collect` through `run`: files written, exit codes, globs and folders, `--json`.

use std::process::ExitCode;

use gonogo_core::wire;
use gonogo_ingest::cli::{CollectArgs, run};
use gonogo_ingest::{Kind, collect_path};

fn args(kind: Kind, paths: &[String], evidence_dir: &std::path::Path) -> CollectArgs {
    CollectArgs {
        kind,
        paths: paths.to_vec(),
        evidence_dir: evidence_dir.to_path_buf(),
        json: false,
        no_write: false,
        merge: false,
        policy: None,
        env: None,
    }
}

fn data_str(relative: &str) -> String {
    crate::data(relative).display().to_string()
}

#[test]
fn writes_one_record_per_input_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let evidence_dir = dir.path().join("evidence");
    let paths = [
        data_str("junit/pytest/junit-xunit2.xml"),
        data_str("sarif/ruff/ruff.sarif"),
    ];
    let code = run(args(Kind::Auto, &paths, &evidence_dir)).unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let mut kinds = Vec::new();
    for entry in std::fs::read_dir(&evidence_dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let records = wire::parse_records(
            &text,
            gonogo_core::catalog::Catalog::new(&[gonogo_ingest::METRICS]),
        )
        .unwrap();
        assert_eq!(records.len(), 1);
        kinds.push(records[0].kind.clone());
    }
    kinds.sort();
    assert_eq!(kinds, ["junit", "sarif"]);
}

#[test]
fn a_bad_input_among_good_ones_exits_3_and_keeps_the_good() {
    let dir = tempfile::tempdir().unwrap();
    let evidence_dir = dir.path().join("evidence");
    let paths = [
        data_str("junit/ctest/junit.xml"),
        data_str("audit/npm/npm-error.json"),
    ];
    let code = run(args(Kind::Auto, &paths, &evidence_dir)).unwrap();
    assert_eq!(code, ExitCode::from(3));
    assert_eq!(std::fs::read_dir(&evidence_dir).unwrap().count(), 1);
}

#[test]
fn bad_glob_exits_2_and_nothing_matched_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let code = run(args(Kind::Junit, &["[".to_string() + "*"], dir.path())).unwrap();
    assert_eq!(code, ExitCode::from(2));
    let nothing = dir.path().join("none-*.xml").display().to_string();
    let code = run(args(Kind::Junit, &[nothing], dir.path())).unwrap();
    assert_eq!(code, ExitCode::from(3));
}

#[test]
fn globs_and_folders_expand() {
    let pattern = data_str("junit/*/junit*.xml");
    let records = collect_path(Kind::Junit, &pattern).unwrap();
    // pytest (2), nextest, gotestsum, ctest, PHPUnit, bats, RSpec, NUnit through the Jenkins
    // stylesheet (Gradle and Surefire write TEST-*.xml).
    assert_eq!(
        records.len(),
        9,
        "{:?}",
        records
            .iter()
            .map(|r| r.source.to_string())
            .collect::<Vec<_>>()
    );
    let folder = collect_path(Kind::Sarif, &data_str("sarif/ruff")).unwrap();
    assert_eq!(folder.len(), 1);
    // A folder with a file that is no evidence fails as a whole through collect_path.
    let error = collect_path(Kind::Sarif, &data_str("sarif/eslint")).unwrap_err();
    assert_eq!(error.code(), "no-evidence");
}

#[test]
fn help_teaches() {
    use clap::{CommandFactory, Parser};
    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        collect: CollectArgs,
    }
    let help = Wrapper::command().render_long_help().to_string();
    for needle in [
        "--evidence-dir",
        ".gonogo/evidence",
        "cargo-audit",
        "Examples",
        "Exit codes",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}

#[test]
fn merge_makes_one_coverage_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut arguments = args(
        Kind::Coverage,
        &[
            data_str("coverage/coverage.py/cov-a.lcov"),
            data_str("coverage/coverage.py/cov-b.xml"),
        ],
        dir.path(),
    );
    arguments.merge = true;
    assert_eq!(run(arguments.clone()).unwrap(), ExitCode::SUCCESS);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    let record = &wire::parse_records(
        &text,
        gonogo_core::catalog::Catalog::new(&[gonogo_ingest::METRICS]),
    )
    .unwrap()[0];
    let lines = record.metrics["coverage.lines"].value.as_ratio().unwrap();
    assert_eq!((lines.k, lines.n), (26, 34));
    arguments.kind = Kind::Junit;
    assert_eq!(run(arguments).unwrap(), ExitCode::from(2));
}
