//! The red team, end to end: each way a user once reached a false GO with the real binary must
//! now end NO-GO (or be refused), and honest projects must stay GO. The pure attacks on the
//! decision live in crates/core/tests/red_team.rs; these need files, commands and processes.

use std::path::Path;
use std::process::{Command, Output};

use gonogo_testkit::text;

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), args, dir)
}

fn both(output: &Output) -> String {
    format!("{}{}", text(&output.stdout), text(&output.stderr))
}

/// A JUnit file of `passed` passing and `failed` failing tests.
fn junit(passed: usize, failed: usize) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\"?>\n<testsuite name=\"s\" tests=\"{}\" failures=\"{failed}\">\n",
        passed + failed
    );
    for i in 0..passed {
        xml.push_str(&format!("<testcase classname=\"c\" name=\"ok{i}\"/>\n"));
    }
    for i in 0..failed {
        xml.push_str(&format!(
            "<testcase classname=\"c\" name=\"bad{i}\"><failure message=\"no\"/></testcase>\n"
        ));
    }
    xml.push_str("</testsuite>\n");
    xml
}

fn verdict(dir: &Path) -> serde_json::Value {
    let path = dir.join("gonogo-report/verdict.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn statuses(verdict: &serde_json::Value) -> Vec<(String, String)> {
    verdict["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_owned(),
                g["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn judging_a_runs_evidence_again_gives_the_same_verdict() {
    // 0 failures of 400 tests cannot show `rate < 0.5%` (NO-GO); `gate` on the run's folder
    // used to collect the file again and judge 0 of 800: GO.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junit.xml"), junit(400, 0)).unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[collect]]\njunit = \"junit.xml\"\n\n[[gate]]\nname = \"tests\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"rate < 0.5%\"\n",
    )
    .unwrap();
    let run = gonogo(&["run"], dir.path());
    assert_eq!(run.status.code(), Some(1), "{}", both(&run));
    let first = verdict(dir.path());
    assert_eq!(first["gates"][0]["measured"]["n"], 400);

    for _ in 0..2 {
        let gate = gonogo(&["gate"], dir.path());
        assert_eq!(gate.status.code(), Some(1), "{}", both(&gate));
        let again = verdict(dir.path());
        assert_eq!(statuses(&again), statuses(&first));
        assert_eq!(again["gates"][0]["measured"]["n"], 400, "counted once");
        // The reports beside verdict.json say the same as it does.
        let report = std::fs::read_to_string(dir.path().join("gonogo-report/report.md")).unwrap();
        assert!(report.contains("NO-GO"), "{report}");
    }
}

#[test]
fn a_failing_or_missing_command_is_a_blocker() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junit.xml"), junit(1000, 0)).unwrap();
    for (run, what) in [
        ("pytst-does-not-exist", "not found"),
        ("exit 3", "exit 3"),
        ("sleep 30", "timed out"),
    ] {
        std::fs::write(
            dir.path().join("gonogo.toml"),
            format!(
                "[[command]]\nname = \"pytest\"\nrun = \"{run}\"\ntimeout = \"1s\"\n\n[[collect]]\njunit = \"junit.xml\"\n\n\
                 [[gate]]\nname = \"tests\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count == 0\"\n"
            ),
        )
        .unwrap();
        let output = gonogo(&["run"], dir.path());
        assert_eq!(output.status.code(), Some(1), "{what}: {}", both(&output));
        let verdict = verdict(dir.path());
        assert_eq!(verdict["blockers"][0], "command pytest", "{what}");
        let gate = verdict["gates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "command pytest")
            .unwrap();
        assert_eq!(gate["status"], "fail", "{what}");
        // The blocker says what happened and where the output is.
        let rules = gate["rules"].to_string();
        assert!(rules.contains("logs/pytest.log"), "{what}: {rules}");
        let said = match what {
            "not found" => "not found",
            "timed out" => "timeout",
            _ => "exit 3",
        };
        assert!(rules.contains(said), "{what}: {rules}");
    }
}

#[test]
fn an_honest_project_stays_go() {
    // 1,000 passing tests from a real `gonogo run`, and a command that succeeds.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("suite.xml"), junit(1000, 0)).unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[command]]\nname = \"tests\"\nrun = \"cp suite.xml junit.xml\"\nevidence = { junit = \"junit.xml\" }\n\n\
         [[gate]]\nname = \"no failing test\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count == 0\"\n\n\
         [[gate]]\nname = \"enough tests\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"total >= 1000\"\n",
    )
    .unwrap();
    let output = gonogo(&["run"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", both(&output));
    let gate = gonogo(&["gate"], dir.path());
    assert_eq!(gate.status.code(), Some(0), "{}", both(&gate));
}

#[test]
fn an_empty_policy_or_only_warnings_is_no_go() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junit.xml"), junit(10, 0)).unwrap();
    for policy in [
        "",
        "[[collect]]\njunit = \"junit.xml\"\n",
        "[[collect]]\njunit = \"junit.xml\"\n[[gate]]\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count == 0\"\nseverity = \"warn\"\n",
    ] {
        std::fs::write(dir.path().join("gonogo.toml"), policy).unwrap();
        let output = gonogo(&["gate", "--no-write"], dir.path());
        assert_eq!(
            output.status.code(),
            Some(1),
            "{policy:?}: {}",
            both(&output)
        );
        assert!(
            text(&output.stdout).contains("GO has to be earned"),
            "{}",
            both(&output)
        );
    }
}

#[test]
fn a_waiver_for_ever_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\nname = \"p95\"\narea = \"performance\"\nmetric = \"load.api.latency\"\nexpect = \"p(95) < 1s\"\n\n\
         [[waiver]]\ngate = \"p95\"\nreason = \"later\"\nowner = \"me\"\nexpires = \"9999-12-31\"\n",
    )
    .unwrap();
    let output = gonogo(&["gate", "--no-write"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("more than 90 days ahead"), "{stderr}");
    assert!(stderr.contains("gonogo.toml"), "names the file: {stderr}");
}

#[test]
fn evidence_from_the_future_is_refused_with_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join(".gonogo/evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    let record = r#"{"gonogo_evidence":1,"kind":"audit","source":{"type":"file","location":"gone.lock"},"sha256":"0000000000000000000000000000000000000000000000000000000000000000","collected_at":"2099-01-01T00:00:00Z","tool":{"name":"t","version":"1"},"metrics":{"audit.critical":{"unit":"vulnerabilities","value":0}}}"#;
    // Upper case: still evidence, still read.
    std::fs::write(evidence.join("newer.JSON"), record).unwrap();
    std::fs::write(evidence.join("notes.txt"), "not evidence").unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\narea = \"security\"\nmetric = \"audit.critical\"\nexpect = \"value == 0\"\n",
    )
    .unwrap();
    let output = gonogo(&["gate", "--no-write"], dir.path());
    assert_eq!(output.status.code(), Some(3), "{}", both(&output));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("newer.JSON"), "{stderr}");
    assert!(stderr.contains("in the future"), "{stderr}");
    assert!(
        stderr.contains("notes.txt"),
        "other files are named: {stderr}"
    );
}

#[test]
fn a_collected_file_that_changed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junit.xml"), junit(0, 3)).unwrap();
    let collect = gonogo(&["collect", "junit", "junit.xml"], dir.path());
    assert_eq!(collect.status.code(), Some(0), "{}", both(&collect));
    // The file is rewritten with a passing run after it was collected.
    std::fs::write(dir.path().join("junit.xml"), junit(500, 0)).unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count == 0\"\n",
    )
    .unwrap();
    let output = gonogo(&["gate", "--no-write"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(
        text(&output.stderr).contains("changed after it was collected"),
        "{}",
        both(&output)
    );
}

#[test]
fn merging_the_same_evidence_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let record = r#"{"gonogo_evidence":1,"kind":"load","source":{"type":"url","location":"http://127.0.0.1:8080/"},"sha256":"0000000000000000000000000000000000000000000000000000000000000000","collected_at":"2026-11-25T12:00:00Z","tool":{"name":"gonogo","version":"1"},"metrics":{"load.api.errors":{"unit":"requests","ratio":{"k":0,"n":400}}}}"#;
    std::fs::write(dir.path().join("x.json"), record).unwrap();
    std::fs::write(dir.path().join("copy.json"), record).unwrap();
    for args in [
        ["merge", "x.json", "x.json", "--output", "merged.json"],
        ["merge", "x.json", "copy.json", "--output", "merged.json"],
    ] {
        let output = gonogo(&args, dir.path());
        assert_ne!(output.status.code(), Some(0), "{}", both(&output));
        assert!(
            both(&output).contains("same record"),
            "{args:?}: {}",
            both(&output)
        );
        assert!(!dir.path().join("merged.json").exists());
    }
}

#[test]
fn a_service_that_is_down_gives_missing_evidence_not_zero_findings() {
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        format!(
            "[target]\nbase_url = \"http://127.0.0.1:{port}\"\n\n[harden]\n\n\
             [[gate]]\nname = \"no high findings\"\narea = \"security\"\nmetric = \"harden.findings.high\"\nexpect = \"value == 0\"\n\n\
             [[gate]]\nname = \"no medium findings\"\narea = \"security\"\nmetric = \"harden.findings.medium\"\nexpect = \"value == 0\"\n"
        ),
    )
    .unwrap();
    let output = gonogo(&["run"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    for gate in verdict(dir.path())["gates"].as_array().unwrap() {
        assert_ne!(gate["status"], "pass", "{gate}");
    }
}

#[test]
fn a_fifo_in_the_evidence_folder_is_named_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join(".gonogo/evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    let fifo = evidence.join("endless.json");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\narea = \"security\"\nmetric = \"audit.critical\"\nexpect = \"value == 0\"\n",
    )
    .unwrap();
    // Without the check this blocks for ever on the FIFO's open.
    let output = gonogo(&["gate", "--no-write"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(
        text(&output.stderr)
            .contains("endless.json is in the evidence folder but is not a regular file"),
        "{}",
        both(&output)
    );
}

#[test]
fn a_typo_in_an_engine_section_stops_the_run_before_any_command() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[target]\nbase_url = \"http://127.0.0.1:9\"\n\n[harden]\npathz = [\"/app\"]\n\n\
         [[command]]\nname = \"marker\"\nrun = \"touch ran\"\n\n\
         [[gate]]\narea = \"security\"\nmetric = \"harden.findings.high\"\nexpect = \"value == 0\"\n",
    )
    .unwrap();
    let output = gonogo(&["run"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    assert!(text(&output.stderr).contains("pathz"), "{}", both(&output));
    assert!(!dir.path().join("ran").exists(), "no command ran");
}

/// A repository in `dir` whose HEAD carries the release tag `v1.0.0`; returns HEAD's hash.
fn tagged_repository(dir: &Path) -> String {
    let repo = git2::Repository::init(dir).unwrap();
    std::fs::write(dir.join("README"), "service").unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("README")).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let signature = git2::Signature::now("Test", "test@example.com").unwrap();
    let head = repo
        .commit(Some("HEAD"), &signature, &signature, "first", &tree, &[])
        .unwrap();
    repo.tag_lightweight("v1.0.0", &repo.find_object(head, None).unwrap(), false)
        .unwrap();
    head.to_string()
}

#[test]
fn a_release_tag_is_judged_by_the_production_profile_and_other_commits_do_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let head = tagged_repository(dir.path());
    // 2 failed tests of 100: fine for the base gate, not for production.
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\nname = \"tests\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count <= 5\"\n\n\
         [env.production.gates.tests]\nexpect = \"count == 0\"\n",
    )
    .unwrap();
    let record = gonogo(
        &[
            "record",
            "tests.failed",
            "--ratio",
            "2/100",
            "--unit",
            "tests",
            "--source",
            "QA",
            "--commit",
            &head,
        ],
        dir.path(),
    );
    assert_eq!(record.status.code(), Some(0), "{}", both(&record));
    let output = gonogo(&["gate", "--no-write"], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(
        text(&output.stdout).contains("judged with the [env.production] profile"),
        "{}",
        both(&output)
    );
    // An environment the policy does not have is a usage error, never a silent GO.
    let other = gonogo(&["gate", "--no-write", "--env", "nonexistent"], dir.path());
    assert_eq!(other.status.code(), Some(2), "{}", both(&other));
    // Evidence stamped with another commit is set aside for this candidate.
    let elsewhere = gonogo(
        &[
            "gate",
            "--no-write",
            "--commit",
            "0000000000000000000000000000000000000000",
        ],
        dir.path(),
    );
    assert_eq!(elsewhere.status.code(), Some(1), "{}", both(&elsewhere));
    assert!(
        text(&elsewhere.stdout).contains("another commit"),
        "{}",
        both(&elsewhere)
    );
}

/// Issue 18's red team: a dry run (`gate --no-write`) of a slow build under a laxer policy was
/// recorded as GO in the history, and the next `--baseline last-go` compared the real policy's
/// relative gate with that slow run, so a 3× regression passed. `last` and `last-go` now pick
/// only runs judged under the same policy text, as they happened (not re-judged with `--now`).
#[test]
fn a_go_under_a_laxer_policy_or_a_rejudgement_is_never_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let strict = r#"[policy]
name = "checkout"

[[gate]]
name = "latency budget"
area = "performance"
metric = "custom.checkout.latency"
expect = "p(95) < 1s"

[[gate]]
name = "no regression"
area = "performance"
metric = "custom.checkout.latency"
expect = "p(95) <= +10%"
"#;
    // Same service name, no relative gate: anything under a second is GO.
    let lax = r#"[policy]
name = "checkout"

[[gate]]
name = "latency budget"
area = "performance"
metric = "custom.checkout.latency"
expect = "p(95) < 1s"
"#;
    std::fs::write(dir.path().join("gonogo.toml"), strict).unwrap();
    std::fs::write(dir.path().join("lax.toml"), lax).unwrap();
    for (folder, base) in [("fast", 100), ("slow", 300)] {
        let samples: Vec<String> = (0..300).map(|i| format!("{}ms", base + i % 20)).collect();
        let output = gonogo(
            &[
                "record",
                "custom.checkout.latency",
                "--samples",
                &samples.join(","),
                "--source",
                "timings",
                "--evidence-dir",
                folder,
            ],
            dir.path(),
        );
        assert!(output.status.success(), "{}", both(&output));
    }
    let gate = |args: &[&str]| {
        let mut all = vec!["gate", "--json", "--no-write"];
        all.extend_from_slice(args);
        gonogo(&all, dir.path())
    };
    // The honest release: fast, judged twice under the real policy; the second time its
    // relative gate compares with the first (`last`: same policy, NO-GO for want of a
    // baseline), passes, and the run is GO.
    let first = gate(&["--evidence-dir", "fast", "--policy", "gonogo.toml"]);
    assert_eq!(
        first.status.code(),
        Some(1),
        "no baseline yet: {}",
        both(&first)
    );
    let honest = gate(&[
        "--evidence-dir",
        "fast",
        "--policy",
        "gonogo.toml",
        "--baseline",
        "last",
    ]);
    assert_eq!(honest.status.code(), Some(0), "{}", both(&honest));
    // The dry runs: the slow build, GO under the lax policy, and GO re-judged in the past
    // under the lax policy again; both recorded.
    let dry = gate(&["--evidence-dir", "slow", "--policy", "lax.toml"]);
    assert_eq!(dry.status.code(), Some(0), "{}", both(&dry));
    let past = gate(&[
        "--evidence-dir",
        "slow",
        "--policy",
        "lax.toml",
        "--now",
        "2026-01-01T00:00:00Z",
    ]);
    let listed = gonogo(&["history", "--json"], dir.path());
    let runs: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(
        runs.as_array().unwrap().len() >= 2,
        "the dry runs are recorded: {runs} {}",
        both(&past)
    );

    // The slow build under the real policy against last-go: never the lax run.
    let judged = gate(&[
        "--evidence-dir",
        "slow",
        "--policy",
        "gonogo.toml",
        "--baseline",
        "last-go",
    ]);
    let verdict: serde_json::Value =
        serde_json::from_slice(&judged.stdout).unwrap_or_else(|e| panic!("{e}: {}", both(&judged)));
    assert_eq!(verdict["verdict"], "NO-GO", "{}", both(&judged));
    let regression = verdict["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "no regression")
        .unwrap();
    assert_eq!(regression["status"], "fail", "{regression}");
    // Picked: the honest GO, the newest run judged under this policy as it happened.
    let listed = gonogo(&["history", "--json"], dir.path());
    let runs: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let honest_id = runs
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["decision"] == "GO")
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    let source = verdict["baseline"]["source"].as_str().unwrap();
    assert!(
        honest_id.iter().any(|id| source.contains(id.as_str())),
        "{source}"
    );

    // With only the lax runs in a fresh history, last-go finds nothing: no baseline, never a
    // pass.
    std::fs::remove_dir_all(dir.path().join(".gonogo")).unwrap();
    let dry = gate(&["--evidence-dir", "slow", "--policy", "lax.toml"]);
    assert_eq!(dry.status.code(), Some(0), "{}", both(&dry));
    let alone = gate(&[
        "--evidence-dir",
        "slow",
        "--policy",
        "gonogo.toml",
        "--baseline",
        "last-go",
    ]);
    assert_eq!(alone.status.code(), Some(1), "{}", both(&alone));
    assert!(
        text(&alone.stderr).contains("judged under this policy"),
        "{}",
        both(&alone)
    );
}
