//! `gonogo audit`: exit codes, formats, and claims checked against evidence written by
//! `gonogo record`.

use std::path::{Path, PathBuf};
use std::process::Output;

use gonogo_testkit::console;

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), args, dir)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../audit/tests/fixtures")
        .join(name)
}

#[test]
fn a_sample_report_fails_and_says_why_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let report = fixture("production-deployment-report.zh.md");
    let report = report.to_str().unwrap();
    let text = gonogo(&["audit", report], dir.path());
    assert_eq!(text.status.code(), Some(1), "{}", console(&text));
    let out = String::from_utf8_lossy(&text.stdout);
    assert!(out.contains("line    82  unsupported  stats.thin"), "{out}");
    assert!(
        out.contains("FAIL: the report's readiness verdict (line 6:")
            && out.contains("is not supported"),
        "{out}"
    );

    let json = gonogo(&["audit", report, "--json"], dir.path());
    assert_eq!(json.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["readiness"][0], 6);
    let thin = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "stats.thin")
        .expect("the thin P99");
    assert_eq!(thin["line"], 82);
    assert_eq!(thin["class"], "unsupported");

    let md = gonogo(&["audit", report, "--format", "md"], dir.path());
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains("| line | status | rule | quote | why |"),
        "{md}"
    );
    let html = gonogo(&["audit", report, "--format", "html"], dir.path());
    let html = String::from_utf8_lossy(&html.stdout);
    assert!(html.starts_with("<!doctype html>") && html.contains("default-src 'none'"));
}

#[test]
fn an_honest_report_passes() {
    let dir = tempfile::tempdir().unwrap();
    let output = gonogo(
        &["audit", fixture("honest.en.md").to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", console(&output));
    assert!(console(&output).contains("PASS: the report's readiness verdict (line 6:"));
}

#[test]
fn unreadable_reports_and_wrong_arguments_have_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let missing = gonogo(&["audit", "nowhere.md"], dir.path());
    assert_eq!(missing.status.code(), Some(3), "{}", console(&missing));
    assert!(console(&missing).contains("nowhere.md"));

    std::fs::write(
        dir.path().join("latin1.md"),
        b"# ok\n\nline two \xe9t\xe9\n",
    )
    .unwrap();
    let binary = gonogo(&["audit", "latin1.md"], dir.path());
    assert_eq!(binary.status.code(), Some(3), "{}", console(&binary));
    assert!(
        console(&binary).contains("latin1.md is not UTF-8 text (line 3"),
        "{}",
        console(&binary)
    );

    std::fs::write(dir.path().join("r.md"), "# r\n").unwrap();
    let age = gonogo(&["audit", "r.md", "--max-age", "2 weeks"], dir.path());
    assert_eq!(age.status.code(), Some(2), "{}", console(&age));
    let folder = gonogo(&["audit", "r.md", "--evidence", "no-such-dir"], dir.path());
    assert_eq!(folder.status.code(), Some(2), "{}", console(&folder));
    assert!(console(&folder).contains("no-such-dir"));
}

const REPORT: &str = "\
# Release report

## Service level

- **Availability**: ✅ 99.95% (target ≥ 99.9%), see `probe.json`
- **Coverage**: ✅ 95% (target ≥ 80%), see `lcov.info`
";

fn record(dir: &Path, metric: &str, ratio: &str, at: Option<&str>) {
    let mut args = vec!["record", metric, "--ratio", ratio, "--source", "test"];
    if let Some(at) = at {
        args.extend(["--at", at]);
    }
    let output = gonogo(&args, dir);
    assert_eq!(output.status.code(), Some(0), "{}", console(&output));
}

#[test]
fn claims_are_supported_contradicted_or_stale_against_evidence() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.md"), REPORT).unwrap();
    record(dir.path(), "probe.api.availability", "19990/20000", None);
    let output = gonogo(
        &[
            "audit",
            "report.md",
            "--evidence",
            ".gonogo/evidence",
            "--json",
        ],
        dir.path(),
    );
    // Availability 99.95 % is inside 19,990 of 20,000's interval and the interval clears 99.9 %;
    // coverage has no evidence and stays as the report has it.
    assert_eq!(output.status.code(), Some(0), "{}", console(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["claims"][0]["line"], 5);
    assert_eq!(doc["claims"][0]["status"], "supported", "{doc:#}");
    assert!(
        doc["claims"][0]["evidence"]
            .as_str()
            .unwrap()
            .contains("19990 of 20000")
    );
    assert_eq!(doc["summary"]["supported"], 1);

    // 600 of 1,000 lines covered: the claimed 95 % is outside the interval.
    record(dir.path(), "coverage.lines", "600/1000", None);
    let output = gonogo(
        &["audit", "report.md", "--evidence", ".gonogo/evidence"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", console(&output));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        out.contains("line     6  contradicted evidence.contradicts"),
        "{out}"
    );

    // A policy maps "availability" to another probe, whose only record is two years old.
    let old = tempfile::tempdir().unwrap();
    std::fs::write(old.path().join("report.md"), REPORT).unwrap();
    std::fs::write(
        old.path().join("gonogo.toml"),
        "[audit.map]\n\"availability\" = \"probe.web.availability\"\n",
    )
    .unwrap();
    record(old.path(), "probe.api.availability", "19990/20000", None);
    record(
        old.path(),
        "probe.web.availability",
        "19990/20000",
        Some("2024-01-01T00:00:00Z"),
    );
    let output = gonogo(
        &[
            "audit",
            "report.md",
            "--evidence",
            ".gonogo/evidence",
            "--policy",
            "gonogo.toml",
            "--json",
        ],
        old.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", console(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["claims"][0]["status"], "stale", "{doc:#}");
    assert!(
        doc["claims"][0]["evidence"]
            .as_str()
            .unwrap()
            .contains("probe.web.availability")
    );
}

/// The evidence folder is read through the store, as `gate` reads it: a record dated in the
/// future would look fresh to every claim, so it is refused (exit 3) and its file named.
#[test]
fn a_record_from_the_future_is_refused_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.md"), REPORT).unwrap();
    record(
        dir.path(),
        "probe.api.availability",
        "19990/20000",
        Some("2999-01-01T00:00:00Z"),
    );
    let output = gonogo(
        &["audit", "report.md", "--evidence", ".gonogo/evidence"],
        dir.path(),
    );
    let all = console(&output);
    assert_eq!(output.status.code(), Some(3), "{all}");
    assert!(all.contains("in the future"), "{all}");
    assert!(
        all.contains(".gonogo/evidence/"),
        "the file is named: {all}"
    );
}
