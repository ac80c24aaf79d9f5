//! `gonogo record`: figures typed by hand keep their sample size, say they were typed by hand,
//! and an estimate never decides a gate.

use std::path::Path;
use std::process::Output;

use gonogo_testkit::console;

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), args, dir)
}

const POLICY: &str = "\
[[metric]]\nname = \"custom.p95\"\nshape = \"value\"\nunit = \"ms\"\n\n\
[[metric]]\nname = \"custom.latency\"\nshape = \"distribution\"\nunit = \"us\"\n\n\
[[gate]]\nname = \"hand p95\"\narea = \"performance\"\nmetric = \"custom.p95\"\nexpect = \"value < 500ms\"\n\n\
[[gate]]\nname = \"timed p95\"\narea = \"performance\"\nmetric = \"custom.latency\"\nexpect = \"p(95) < 500ms\"\n\n\
[[gate]]\nname = \"tests\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count == 0\"\n";

#[test]
fn a_value_must_say_whether_it_is_exact_or_an_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let output = gonogo(
        &[
            "record",
            "custom.p95",
            "--value",
            "420",
            "--unit",
            "ms",
            "--source",
            "dashboard",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2), "{}", console(&output));
    assert!(console(&output).contains("--exact"), "{}", console(&output));
    assert!(!dir.path().join(".gonogo/evidence").exists());
}

#[test]
fn typed_figures_are_judged_as_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gonogo.toml"), POLICY).unwrap();
    std::fs::write(
        dir.path().join("timings.csv"),
        "id,duration_ms\n1,120\n2,98\n3,143\n",
    )
    .unwrap();
    for args in [
        &[
            "record",
            "custom.p95",
            "--value",
            "420",
            "--unit",
            "ms",
            "--estimate",
            "--source",
            "vendor dashboard",
        ][..],
        &[
            "record",
            "custom.latency",
            "--samples-file",
            "timings.csv",
            "--column",
            "duration_ms",
            "--source",
            "browser export",
        ][..],
        &[
            "record",
            "tests.failed",
            "--ratio",
            "0/120",
            "--unit",
            "tests",
            "--source",
            "QA sheet",
        ][..],
    ] {
        let output = gonogo(args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            console(&output)
        );
    }
    let output = gonogo(&["gate", "--json", "--no-write"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", console(&output));
    let verdict: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let gate = |name: &str| {
        verdict["gates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap()
            .clone()
    };
    // An estimate typed by hand never passes, however good it looks.
    assert_eq!(gate("hand p95")["status"], "inconclusive");
    assert_eq!(gate("hand p95")["reason"], "no_distribution");
    // Three timings cannot show a p95; the ratio keeps its n.
    assert_eq!(gate("timed p95")["status"], "inconclusive");
    assert_eq!(gate("timed p95")["measured"]["n"], 3);
    assert_eq!(gate("tests")["status"], "pass");
    assert_eq!(gate("tests")["measured"]["n"], 120);
    // Every one says it was typed by hand.
    for name in ["hand p95", "timed p95", "tests"] {
        let rules = gate(name)["rules"].to_string();
        assert!(rules.contains("typed by hand"), "{name}: {rules}");
    }
}

#[test]
fn a_bad_csv_row_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.csv"), "ms\n12\nfast\n").unwrap();
    let output = gonogo(
        &[
            "record",
            "custom.latency",
            "--samples-file",
            "t.csv",
            "--column",
            "ms",
            "--source",
            "x",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2), "{}", console(&output));
    assert!(
        console(&output).contains("t.csv, line 3"),
        "{}",
        console(&output)
    );
}
