//! The `gonogo` binary end to end: exit codes, output streams, colour, files written.

use std::path::{Path, PathBuf};
use std::process::Output;

use gonogo_testkit::text;

const NOW: &str = "2026-11-25T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_testkit::gonogo_command(env!("CARGO_BIN_EXE_gonogo"), args, dir)
        // Verdicts judged under examples/gonogo.toml are recorded in the test's folder, not
        // beside the sample policy in the source tree.
        .env("GONOGO_HISTORY", dir.join(".gonogo/history.db"))
        .output()
        .expect("the binary runs")
}

fn sample_args(out: &Path) -> Vec<String> {
    let repo = repo();
    vec![
        "gate".into(),
        "--policy".into(),
        repo.join("examples/gonogo.toml").display().to_string(),
        "--evidence-dir".into(),
        repo.join("examples/evidence").display().to_string(),
        "--now".into(),
        NOW.into(),
        "--out".into(),
        out.display().to_string(),
    ]
}

#[test]
fn the_sample_is_no_go_with_ranked_blockers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verdict.json");
    let args = sample_args(&out);
    let output = gonogo(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with(" NO-GO "), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}'),
        "NO_COLOR and a pipe mean no escape codes"
    );
    let blockers = stdout.split("Blockers").nth(1).unwrap();
    let missing = blockers.find("no critical vulnerabilities").unwrap();
    let availability = blockers.find("readiness availability").unwrap();
    assert!(missing < availability, "missing evidence ranks first");

    let verdict: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(verdict["gonogo_verdict"], 1);
    assert_eq!(verdict["verdict"], "NO-GO");
    let gate = verdict["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "readiness availability")
        .unwrap();
    assert_eq!(gate["status"], "fail");
    assert_eq!(gate["measured"]["k"], 11);
    assert_eq!(gate["measured"]["n"], 13);
    let evidence_id = gate["evidence"][0].as_u64().unwrap() as usize;
    let cited = &verdict["evidence"][evidence_id];
    assert_eq!(cited["source"]["location"], "http://127.0.0.1:8080/readyz");
    assert_eq!(cited["sha256"].as_str().unwrap().len(), 64);
}

/// Issue 16, one meaning per flag: `--out` names a folder for `gate` as for `run` (verdict.json
/// and every report in it), and a file still works as before.
#[test]
fn gate_out_takes_a_folder_like_run() {
    let dir = tempfile::tempdir().unwrap();
    for (out, folder) in [
        (
            format!("{}/", dir.path().join("new-folder").display()),
            dir.path().join("new-folder"),
        ),
        (
            dir.path().join("existing").display().to_string(),
            dir.path().join("existing"),
        ),
    ] {
        if !out.ends_with('/') {
            std::fs::create_dir_all(&folder).unwrap();
        }
        let args = sample_args(Path::new(&out));
        let output = gonogo(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            dir.path(),
        );
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
        for name in ["verdict.json", "report.md", "report.html"] {
            assert!(folder.join(name).is_file(), "{out}: {name}");
        }
    }
    // A file name other than verdict.json: the verdict alone, as before.
    let lone = dir.path().join("judged.json");
    let args = sample_args(&lone);
    let output = gonogo(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(lone.is_file());
    assert!(!dir.path().join("report.md").exists());
}

#[test]
fn json_goes_to_stdout_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = sample_args(&dir.path().join("v.json"));
    args.push("--json".into());
    let output = gonogo(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let verdict: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(verdict["summary"]["fail"], 1);
    assert_eq!(verdict["summary"]["missing"], 1);
}

#[test]
fn a_go_verdict_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"rate < 0.5%\"\n",
    )
    .unwrap();
    let evidence = std::fs::read_to_string(repo().join("examples/evidence/junit.json")).unwrap();
    std::fs::create_dir_all(dir.path().join(".gonogo/evidence")).unwrap();
    std::fs::write(dir.path().join(".gonogo/evidence/junit.json"), evidence).unwrap();
    let output = gonogo(&["gate", "--now", NOW], dir.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(text(&output.stdout).starts_with(" GO "));
    assert!(
        dir.path().join("gonogo-report/verdict.json").exists(),
        "verdict.json is written by default"
    );
}

#[test]
fn a_malformed_evidence_file_names_itself_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"rate < 0.5%\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join(".gonogo/evidence")).unwrap();
    std::fs::write(
        dir.path().join(".gonogo/evidence/broken.json"),
        "{\n  \"gonogo_evidence\": 1,\n  \"kind\": \n",
    )
    .unwrap();
    let output = gonogo(&["gate"], dir.path());
    assert_eq!(output.status.code(), Some(3));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(stderr.contains("line 4"), "{stderr}");
}

#[test]
fn a_policy_typo_shows_a_caret_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\narea = \"functionality\"\nmetric = \"tests.faild\"\nexpect = \"rate < 0.5%\"\n",
    )
    .unwrap();
    let output = gonogo(&["gate"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("unknown metric `tests.faild`"), "{stderr}");
    assert!(stderr.contains("gonogo.toml:3:10"), "{stderr}");
    assert!(stderr.contains("──────┬──────"), "{stderr}");
    assert!(
        stderr.contains("did you mean one of `tests.failed`"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

/// Issue 16, flags consistent across subcommands: `-c` is concurrency in `gonogo load`, so a
/// probe's condition has no `-c`; given one, the probe refuses it naming `--condition`, and
/// sends nothing.
#[test]
fn a_probe_given_dash_c_is_pointed_at_condition() {
    let dir = tempfile::tempdir().unwrap();
    let output = gonogo(
        &["probe", "http://127.0.0.1:9/", "-c", "[STATUS] == 200"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("a probe's condition is `--condition`"),
        "{stderr}"
    );
    assert!(!stderr.contains("connection refused"), "{stderr}");
    // The long form is the condition.
    let help = gonogo(&["probe", "--help"], dir.path());
    let help = text(&help.stdout);
    assert!(help.contains("--condition <CONDITION>"), "{help}");
    assert!(!help.contains("-c, --condition"), "{help}");
}

#[test]
fn an_unknown_env_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = sample_args(&dir.path().join("v.json"));
    args.extend(["--env".into(), "prod".into()]);
    let output = gonogo(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no environment `prod` in the policy"));
}

#[test]
fn compare_lists_the_gates_a_new_policy_would_flip() {
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.json");
    let args = sample_args(&before);
    gonogo(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );

    let stricter = std::fs::read_to_string(repo().join("examples/gonogo.toml"))
        .unwrap()
        .replace("expect = \"p(95) < 500ms\"", "expect = \"p(95) < 300ms\"");
    let policy = dir.path().join("stricter.toml");
    std::fs::write(&policy, stricter).unwrap();
    let mut args = sample_args(&dir.path().join("after.json"));
    args[2] = policy.display().to_string();
    args.extend(["--compare".into(), before.display().to_string()]);
    let output = gonogo(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    let stdout = text(&output.stdout);
    assert!(stdout.contains("1 gate would flip"), "{stdout}");
    assert!(stdout.contains("checkout p95: pass → fail"), "{stdout}");
}

#[test]
fn init_writes_a_policy_that_gate_accepts() {
    let dir = tempfile::tempdir().unwrap();
    // A Python project: init runs its tests and production requires their JUnit report.
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\n",
    )
    .unwrap();
    let output = gonogo(&["init"], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let again = gonogo(&["init"], dir.path());
    assert_eq!(
        again.status.code(),
        Some(2),
        "init never overwrites without --force"
    );
    let output = gonogo(&["gate", "--env", "production", "--no-write"], dir.path());
    // No evidence at all: every gate is missing, and production's required kinds never arrived.
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("partial evidence"), "{stdout}");
    assert!(text(&output.stderr).contains("does not exist"));
}

#[test]
fn help_teaches_exit_codes_and_examples() {
    let output = gonogo(&["gate", "--help"], &repo());
    let help = text(&output.stdout);
    assert!(help.contains("Exit codes: 0 GO, 1 NO-GO"), "{help}");
    assert!(help.contains("gonogo gate --env production"), "{help}");
}

#[test]
fn published_schemas_are_up_to_date() {
    for (which, file) in [
        ("policy", "schemas/policy.schema.json"),
        ("verdict", "schemas/verdict.schema.json"),
        ("evidence", "schemas/evidence.schema.json"),
        ("reference", "docs/reference.md"),
    ] {
        let output = gonogo(&["schema", which], &repo());
        let committed = std::fs::read_to_string(repo().join(file)).unwrap_or_default();
        assert_eq!(
            text(&output.stdout),
            committed,
            "{file} is stale: run `cargo run -- schema {which} > {file}`"
        );
    }
}

#[test]
fn gate_collects_the_files_the_policy_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("reports")).unwrap();
    std::fs::write(
        dir.path().join("reports/junit.xml"),
        r#"<testsuite name="s"><testcase name="a"/><testcase name="b"><failure message="x"/></testcase></testsuite>"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[collect]]\njunit = \"reports/*.xml\"\n\n[[gate]]\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count == 1\"\n",
    )
    .unwrap();
    let output = gonogo(&["gate", "--json", "--no-write"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let verdict: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(verdict["gates"][0]["measured"]["n"], 2);
    assert_eq!(verdict["evidence"][0]["kind"], "junit");
}

/// `[[ignore]]` rules reach the audits that `gate` collects and that `gonogo collect --policy`
/// writes: the accepted vulnerability is listed with its rule and not counted until the rule's
/// last day has passed, and the gate prints what was left out.
#[test]
fn ignore_rules_apply_to_collected_audits_until_their_last_day() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("crates/ingest/tests/data/audit/cargo-audit/report.json"),
        dir.path().join("audit.json"),
    )
    .unwrap();
    // The report holds RUSTSEC-2024-0001 (CVSS 9.8: critical; alias CVE-2024-00001).
    let policy = "[[collect]]\ncargo-audit = \"audit.json\"\n\n\
        [[gate]]\narea = \"security\"\nmetric = \"audit.critical\"\nexpect = \"value == 0\"\n\n\
        [[ignore]]\nadvisory = \"cve-2024-00001\"\nreason = \"the vulnerable parser never sees untrusted input\"\n\
        owner = \"bob\"\nexpires = \"2026-12-31\"\n";
    std::fs::write(dir.path().join("gonogo.toml"), policy).unwrap();

    let judged_on = |now: &str| {
        let output = gonogo(&["gate", "--no-write", "--now", now], dir.path());
        (output.status.code(), text(&output.stdout))
    };
    let (code, stdout) = judged_on("2026-12-31T23:00:00Z");
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("1 ignored by the policy: RUSTSEC-2024-0001 in examplecrate"),
        "{stdout}"
    );
    let (code, stdout) = judged_on("2027-01-01T00:00:00Z");
    assert_eq!(code, Some(1), "the rule's last day has passed: {stdout}");
    assert!(stdout.contains("expired after 2026-12-31"), "{stdout}");

    // Without the policy nothing is ignored; with it the record lists the rule.
    let collect = |extra: &[&str]| {
        let mut args = vec![
            "collect",
            "cargo-audit",
            "audit.json",
            "--json",
            "--no-write",
        ];
        args.extend_from_slice(extra);
        let output = gonogo(&args, dir.path());
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let record: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (record, text(&output.stderr))
    };
    let (record, _) = collect(&[]);
    assert_eq!(record["metrics"]["audit.critical"]["value"], 1.0);
    let (record, stderr) = collect(&["--policy", "gonogo.toml"]);
    assert!(
        stderr.contains("applying 1 [[ignore]] rule from gonogo.toml"),
        "{stderr}"
    );
    assert_eq!(record["metrics"]["audit.critical"]["value"], 0.0);
    assert_eq!(record["details"]["ignored"][0]["owner"], "bob");

    // A rule with no owner is a policy problem, shown with a caret.
    std::fs::write(
        dir.path().join("gonogo.toml"),
        policy.replace("owner = \"bob\"\n", "owner = \"\"\n"),
    )
    .unwrap();
    let output = gonogo(
        &[
            "collect",
            "cargo-audit",
            "audit.json",
            "--policy",
            "gonogo.toml",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("an ignore rule needs a reason and an owner"),
        "{stderr}"
    );
    // The label under the advisory's line.
    assert!(
        stderr.contains("10 │ advisory") && stderr.contains("this ignore rule"),
        "{stderr}"
    );
}

/// The JUnit report of a verdict reads back through gonogo's own JUnit collector: one test per
/// gate, failed, inconclusive and missing gates as failures, waived ones as skipped.
#[test]
fn the_junit_report_reads_back_through_the_junit_collector() {
    let dir = tempfile::tempdir().unwrap();
    let verdict_path = dir.path().join("verdict.json");
    let args = sample_args(&verdict_path);
    gonogo(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    let junit = dir.path().join("junit.xml");
    let output = gonogo(
        &[
            "report",
            verdict_path.to_str().unwrap(),
            "--format",
            "junit",
            "-o",
            junit.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));

    let verdict: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&verdict_path).unwrap()).unwrap();
    let summary = &verdict["summary"];
    let count = |key: &str| summary[key].as_u64().unwrap();
    let record = gonogo_ingest::collect_file(gonogo_ingest::Kind::Junit, &junit).unwrap();
    let ratio = |name: &str| record.metrics[name].value.as_ratio().unwrap();
    let gates = verdict["gates"].as_array().unwrap();
    // A warn gate that is not a pass is skipped ("warning, not blocking"), like a waived one.
    let warnings = gates
        .iter()
        .filter(|g| g["severity"] == "warn" && g["status"] != "pass" && g["status"] != "waived")
        .count() as u64;
    assert!(warnings > 0, "the sample has a failing warn gate");
    // tests.failed counts failed or errored of tests run (skipped ones left out).
    assert_eq!(
        ratio("tests.failed").n,
        gates.len() as u64 - count("waived") - warnings
    );
    assert_eq!(
        ratio("tests.failed").k,
        count("fail") + count("inconclusive") + count("missing") - warnings
    );
    assert_eq!(ratio("tests.skipped").k, count("waived") + warnings);
}

/// Issue 17: the metric names were documented only in the source. `gonogo metrics` prints the
/// catalogue the policy checker suggests from, so the two cannot drift.
#[test]
fn metrics_lists_the_catalogue_with_units_shapes_and_aggregates() {
    let dir = tempfile::tempdir().unwrap();
    let output = gonogo(&["metrics", "--json"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let listed = listed["metrics"].as_array().unwrap();
    assert_eq!(listed.len(), gonogo_catalog::CATALOG.rows().count());
    for (row, known) in listed.iter().zip(gonogo_catalog::CATALOG.rows()) {
        assert_eq!(row["metric"], known.pattern);
        assert_eq!(row["unit"], known.unit);
        assert_eq!(row["shape"], known.shape.as_str());
    }
    let coverage = listed
        .iter()
        .find(|m| m["metric"] == "coverage.lines")
        .unwrap();
    assert_eq!(coverage["census"], true);
    assert_eq!(coverage["aggregates"], "rate, count or total");

    let output = gonogo(&["metrics", "load"], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let table = text(&output.stdout);
    assert!(table.contains("load.*.latency"), "{table}");
    assert!(
        table.contains("p(95), med, mean, min, max or count"),
        "{table}"
    );
    assert!(!table.contains("coverage.lines"), "filtered: {table}");

    let output = gonogo(&["metrics", "no-such-metric"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no metric matches `no-such-metric`"));
}

/// `gonogo report` reads a saved verdict and its evidence through the same folder store as
/// `gate`: each format it re-renders is byte for byte the report `gate` wrote beside the
/// verdict (findings listed and charts drawn from the same records), written atomically.
#[test]
fn report_re_renders_a_saved_verdict_exactly_as_gate_wrote_it() {
    let dir = tempfile::tempdir().unwrap();
    let verdict_path = dir.path().join("verdict.json");
    let args = sample_args(&verdict_path);
    let output = gonogo(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let evidence = repo().join("examples/evidence");
    let out = dir.path().join("again");
    for (format, name) in [
        ("md", "report.md"),
        ("html", "report.html"),
        ("json", "verdict.json"),
        ("junit", "junit.xml"),
    ] {
        let path = out.join(name);
        let output = gonogo(
            &[
                "report",
                verdict_path.to_str().unwrap(),
                "--format",
                format,
                "-o",
                path.to_str().unwrap(),
                "--evidence-dir",
                evidence.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let again = std::fs::read_to_string(&path).unwrap();
        let gate_wrote = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(again == gate_wrote, "{name} differs from gate's");
    }
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.contains("<svg"),
        "the evidence was found: charts drawn"
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["junit.xml", "report.html", "report.md", "verdict.json"],
        "no temporary file left behind"
    );
}

/// A verdict that cannot be read (missing, not JSON, a future format, a FIFO that would
/// block a reader forever) is exit 3 with the file named, and no report is written.
#[test]
fn report_of_an_unreadable_verdict_exits_3_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.md");
    std::fs::write(
        dir.path().join("garbage.json"),
        "{\"gonogo_verdict\": 1, \"verdict\": ",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("future.json"),
        "{\"gonogo_verdict\": 2, \"verdict\": \"GO\"}",
    )
    .unwrap();
    let fifo = dir.path().join("fifo.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for (name, says) in [
        ("missing.json", "cannot read the verdict"),
        ("garbage.json", "is not a gonogo verdict"),
        ("future.json", "is not a gonogo verdict"),
        ("fifo.json", "not a regular file"),
    ] {
        let output = gonogo(&["report", name, "-o", out.to_str().unwrap()], dir.path());
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{name}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains(says),
            "{name}: {stderr}"
        );
        assert!(!out.exists(), "{name}: no report from a bad verdict");
    }
}
