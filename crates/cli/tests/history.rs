//! Issue 18 end to end: `gate` records every verdict in the history beside the policy,
//! `--baseline last-go|RUN|NAME` compares with a stored run by metric and aggregate exactly
//! as a verdict file does, `history` and `trend` read it, and a broken history never changes
//! a verdict.

use std::path::Path;
use std::process::Output;

use gonogo_testkit::text;

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), args, dir)
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", text(&output.stdout), text(&output.stderr)))
}

/// A policy with an absolute latency gate and a relative one (a warning) on the same metric,
/// under different names; two evidence folders, the second three times slower.
fn setup(at: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        r#"[policy]
name = "checkout"

[[gate]]
name = "latency budget"
area = "performance"
metric = "custom.checkout.latency"
expect = "p(95) < 1s"

[[gate]]
name = "no regression"
area = "performance"
severity = "warn"
metric = "custom.checkout.latency"
expect = "p(95) <= +10%"
"#,
    )
    .unwrap();
    for (folder, base) in [("fast", 100), ("slow", 300)] {
        let samples: Vec<String> = (0..300).map(|i| format!("{}ms", base + i % 20)).collect();
        let samples = samples.join(",");
        let mut args = vec![
            "record",
            "custom.checkout.latency",
            "--samples",
            &samples,
            "--source",
            "timings",
            "--evidence-dir",
            folder,
        ];
        if let Some(at) = at {
            args.extend(["--at", at]);
        }
        let output = gonogo(&args, dir.path());
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    dir
}

fn gate(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["gate", "--json"];
    args.extend_from_slice(extra);
    gonogo(&args, dir)
}

fn status<'a>(verdict: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    verdict["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no gate {name}"))
}

#[test]
fn baselines_from_history_compare_like_a_verdict_file() {
    let dir = setup(None);
    let first = gate(
        dir.path(),
        &["--evidence-dir", "fast", "--out", "first/verdict.json"],
    );
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(dir.path().join(".gonogo/history.db").is_file());
    let listed = json(&gonogo(&["history", "--json"], dir.path()));
    let runs = listed.as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["service"], "checkout");
    assert_eq!(runs[0]["decision"], "GO");
    let first_id = runs[0]["id"].as_str().unwrap().to_owned();

    // The stored run's p(95) was measured by `latency budget`: the relative gate, named
    // otherwise, finds it by metric and aggregate.
    let from_file = json(&gate(
        dir.path(),
        &[
            "--evidence-dir",
            "slow",
            "--baseline",
            "first/verdict.json",
            "--no-history",
            "--no-write",
        ],
    ));
    let by_file = status(&from_file, "no regression");
    assert_eq!(by_file["status"], "fail", "{by_file}");

    let pinned = gonogo(
        &["history", "pin", &first_id[..8], "--as", "release-1.4"],
        dir.path(),
    );
    assert!(pinned.status.success(), "{}", text(&pinned.stderr));
    for selector in ["last-go", "last", first_id.as_str(), "release-1.4"] {
        let output = gate(
            dir.path(),
            &[
                "--evidence-dir",
                "slow",
                "--baseline",
                selector,
                "--no-history",
                "--no-write",
            ],
        );
        let verdict = json(&output);
        let by_history = status(&verdict, "no regression");
        assert_eq!(by_history["status"], "fail", "{selector}: {by_history}");
        assert_eq!(by_history["why"], by_file["why"], "{selector}");
        assert_eq!(by_history["measured"], by_file["measured"], "{selector}");
        let rules = by_history["rules_detail"].as_array().unwrap();
        assert!(
            rules.iter().any(|r| r["kind"] == "two_sample"),
            "{selector}: {rules:?}"
        );
        let source = verdict["baseline"]["source"].as_str().unwrap();
        assert!(source.contains(&first_id), "{selector}: {source}");
    }
    // Nothing was recorded with --no-history.
    let listed = json(&gonogo(&["history", "--json"], dir.path()));
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let unknown = gate(
        dir.path(),
        &[
            "--evidence-dir",
            "slow",
            "--baseline",
            "release-9",
            "--no-write",
        ],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("no run or pinned name `release-9`"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn history_lists_shows_and_trends_separate_runs() {
    // Measured, then judged, in the past: the runs are marked so.
    let dir = setup(Some("2026-11-19T12:00:00Z"));
    for (folder, now) in [
        ("fast", "2026-11-20T12:00:00Z"),
        ("slow", "2026-11-21T12:00:00Z"),
    ] {
        let output = gate(
            dir.path(),
            &["--evidence-dir", folder, "--now", now, "--no-write"],
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    let trend = json(&gonogo(&["trend", "latency budget", "--json"], dir.path()));
    let points = trend.as_array().unwrap();
    assert_eq!(points.len(), 2);
    assert!(points[0]["gate"]["point"].as_f64().unwrap() < 0.13);
    assert!(points[1]["gate"]["point"].as_f64().unwrap() > 0.3);
    assert_eq!(points[0]["gate"]["n"], 300);
    assert_eq!(
        points[1]["judged_in_past"], true,
        "judged with --now in the past"
    );

    let shown = gonogo(&["trend", "custom.checkout.latency"], dir.path());
    let shown = text(&shown.stdout);
    // Scaled from the lowest interval end to the threshold (1 s): 118 ms, then 318 ms.
    assert!(
        shown.starts_with("p(95) of custom.checkout.latency: ▁▃  (2 runs"),
        "{shown}"
    );
    assert!(shown.contains("threshold 1 s"), "{shown}");

    let id = points[1]["run"].as_str().unwrap();
    let show = gonogo(&["history", "show", id], dir.path());
    let show = text(&show.stdout);
    assert!(show.contains("with --now in the past"), "{show}");
    assert!(show.contains("n = 300"), "{show}");
    let verdict = json(&gonogo(&["history", "show", id, "--json"], dir.path()));
    assert_eq!(verdict["gonogo_verdict"], 1);
    assert_eq!(verdict["evaluated_at"], "2026-11-21T12:00:00Z");
}

#[test]
fn a_corrupt_history_is_a_warning_and_the_verdict_stands() {
    let dir = setup(None);
    let clean = gate(
        dir.path(),
        &["--evidence-dir", "fast", "--no-write", "--no-history"],
    );
    std::fs::create_dir_all(dir.path().join(".gonogo")).unwrap();
    std::fs::write(dir.path().join(".gonogo/history.db"), vec![0x42; 4096]).unwrap();
    let output = gate(dir.path(), &["--evidence-dir", "fast", "--no-write"]);
    assert_eq!(output.status.code(), clean.status.code());
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json(&output)["verdict"], json(&clean)["verdict"]);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning: the verdict was not recorded in the history")
            && stderr.contains("not a gonogo history"),
        "{stderr}"
    );
    let history = gonogo(&["history"], dir.path());
    assert_eq!(history.status.code(), Some(3), "{}", text(&history.stderr));
    assert!(text(&history.stderr).contains("history.db"));
}

#[test]
fn export_then_import_moves_every_run() {
    let dir = setup(None);
    for folder in ["fast", "slow"] {
        gate(dir.path(), &["--evidence-dir", folder, "--no-write"]);
    }
    let export = gonogo(&["history", "export"], dir.path());
    assert!(export.status.success(), "{}", text(&export.stderr));
    std::fs::write(dir.path().join("h.jsonl"), &export.stdout).unwrap();
    let other = dir.path().join("other.db").display().to_string();
    let import = gonogo(
        &["history", "--history", &other, "import", "h.jsonl"],
        dir.path(),
    );
    assert!(import.status.success(), "{}", text(&import.stderr));
    assert!(text(&import.stderr).contains("imported 2 runs"));
    let before = json(&gonogo(&["history", "--json"], dir.path()));
    let after = json(&gonogo(
        &["history", "--json", "--history", &other],
        dir.path(),
    ));
    assert_eq!(before, after);
    for run in before.as_array().unwrap() {
        let id = run["id"].as_str().unwrap();
        let a = gonogo(&["history", "show", id, "--json"], dir.path());
        let b = gonogo(
            &["history", "show", id, "--json", "--history", &other],
            dir.path(),
        );
        assert_eq!(a.stdout, b.stdout);
    }
}

#[test]
fn the_policy_says_where_the_history_is_and_no_history_skips_it() {
    let dir = setup(None);
    let policy = dir.path().join("gonogo.toml");
    let written = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        format!("{written}\n[history]\nurl = \"team/history.db\"\n"),
    )
    .unwrap();
    let skipped = gate(
        dir.path(),
        &["--evidence-dir", "fast", "--no-write", "--no-history"],
    );
    assert_eq!(skipped.status.code(), Some(0), "{}", text(&skipped.stderr));
    assert!(!dir.path().join("team").exists());
    let output = gate(dir.path(), &["--evidence-dir", "fast", "--no-write"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(dir.path().join("team/history.db").is_file());
    assert!(!dir.path().join(".gonogo/history.db").exists());
    let listed = json(&gonogo(&["history", "--json"], dir.path()));
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

/// `gate --run RUN --policy stricter.toml`: a stored run's own evidence judged again under a
/// stricter policy, as of the run's moment, with the flips printed against its stored verdict;
/// nothing written, nothing recorded. `--compare RUN` reads a stored verdict the same way.
#[test]
fn a_stored_run_is_rejudged_under_a_stricter_policy_without_touching_the_history() {
    let dir = setup(None);
    let first = gate(dir.path(), &["--evidence-dir", "slow", "--no-write"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let runs = json(&gonogo(&["history", "--json"], dir.path()));
    let id = runs[0]["id"].as_str().unwrap().to_owned();
    // The evidence folder goes away: the re-judgement reads the history's copy.
    std::fs::remove_dir_all(dir.path().join("slow")).unwrap();
    let policy = std::fs::read_to_string(dir.path().join("gonogo.toml")).unwrap();
    std::fs::write(
        dir.path().join("stricter.toml"),
        policy.replace("p(95) < 1s", "p(95) < 250ms"),
    )
    .unwrap();

    let before = std::fs::read(dir.path().join(".gonogo/history.db")).unwrap();
    let output = gonogo(
        &["gate", "--policy", "stricter.toml", "--run", &id[..8]],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("1 gate would flip compared with run")
            && stdout.contains("latency budget: pass → fail"),
        "{stdout}"
    );
    assert!(text(&output.stderr).contains("nothing is written"));
    // Under the same policy nothing flips.
    let same = gonogo(&["gate", "--run", "last", "--json"], dir.path());
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    let verdict = json(&same);
    assert_eq!(status(&verdict, "latency budget")["measured"]["n"], 300);
    assert!(text(&same.stderr).contains("no gate would flip"));
    // Untouched: no verdict written, the history byte for byte the same, still one run.
    assert!(!dir.path().join("gonogo-report").exists());
    assert_eq!(
        std::fs::read(dir.path().join(".gonogo/history.db")).unwrap(),
        before
    );

    // --compare RUN with a new judgement of other evidence.
    let compared = gate(
        dir.path(),
        &[
            "--evidence-dir",
            "fast",
            "--policy",
            "stricter.toml",
            "--compare",
            &id,
            "--no-write",
            "--no-history",
        ],
    );
    assert_eq!(
        compared.status.code(),
        Some(0),
        "{}",
        text(&compared.stderr)
    );
    assert!(
        text(&compared.stderr).contains("no gate would flip compared with run"),
        "{}",
        text(&compared.stderr)
    );

    let unknown = gonogo(&["gate", "--run", "release-9"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("no run or pinned name `release-9`"));
    let both = gonogo(
        &["gate", "--run", &id, "--evidence-dir", "fast"],
        dir.path(),
    );
    assert_eq!(
        both.status.code(),
        Some(2),
        "--run and --evidence-dir conflict"
    );
}

/// The reports show each gate's earlier runs from the history (the HTML as a chart, the
/// verdict.json as `trends`); the history itself stores the verdict without them.
#[test]
fn the_html_report_shows_each_gates_earlier_runs() {
    let dir = setup(None);
    for folder in ["fast", "slow", "fast"] {
        let output = gonogo(&["gate", "--evidence-dir", folder], dir.path());
        assert!(output.status.code().is_some(), "{}", text(&output.stderr));
    }
    let html = std::fs::read_to_string(dir.path().join("gonogo-report/report.html")).unwrap();
    assert!(
        html.contains("latency budget: the last 3 runs"),
        "two earlier runs and this one"
    );
    let start = html.find("<figure class=\"trend\">").unwrap();
    let figure = &html[start..start + html[start..].find("</figure>").unwrap()];
    assert_eq!(figure.matches("<circle").count(), 3, "{figure}");
    assert!(figure.contains("c-threshold"), "the 1 s threshold line");
    let verdict: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("gonogo-report/verdict.json")).unwrap(),
    )
    .unwrap();
    let trend = verdict["trends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["gate"] == "latency budget")
        .unwrap();
    let points: Vec<f64> = trend["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["point"].as_f64().unwrap())
        .collect();
    assert_eq!(points.len(), 2);
    assert!(
        points[0] < 0.13 && points[1] > 0.3,
        "fast then slow: {points:?}"
    );
    let runs = json(&gonogo(&["history", "--json"], dir.path()));
    let newest = runs[0]["id"].as_str().unwrap();
    let stored = json(&gonogo(&["history", "show", newest, "--json"], dir.path()));
    assert!(
        stored.get("trends").is_none(),
        "the history keeps verdicts alone"
    );
    // Without a history, no chart.
    let alone = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir.path().join("gonogo.toml"),
        alone.path().join("gonogo.toml"),
    )
    .unwrap();
    copy_dir(&dir.path().join("fast"), &alone.path().join("fast"));
    let output = gonogo(
        &["gate", "--evidence-dir", "fast", "--no-history"],
        alone.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let html = std::fs::read_to_string(alone.path().join("gonogo-report/report.html")).unwrap();
    assert!(!html.contains("class=\"trend\""));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// A team's history on a real PostgreSQL server, through the binary: `GONOGO_HISTORY` names
/// it, `gate` records there (nothing beside the policy), `--baseline last-go` and `history`
/// read it, and the password in the URL never reaches the output.
#[test]
fn a_team_history_on_postgresql_through_the_binary() {
    let Some(server) = gonogo_testkit::postgres::PgServer::start(
        "a_team_history_on_postgresql_through_the_binary",
    ) else {
        return;
    };
    let url = server
        .database("team")
        .replace("gonogo@", "gonogo:s3cret-pass@");
    let dir = setup(None);
    let run = |args: &[&str]| {
        gonogo_testkit::gonogo_command(env!("CARGO_BIN_EXE_gonogo"), args, dir.path())
            .env("GONOGO_HISTORY", &url)
            .output()
            .unwrap()
    };
    let first = run(&["gate", "--json", "--evidence-dir", "fast", "--no-write"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(
        !dir.path().join(".gonogo").exists(),
        "recorded on the server"
    );
    let slow = run(&[
        "gate",
        "--json",
        "--evidence-dir",
        "slow",
        "--no-write",
        "--baseline",
        "last-go",
    ]);
    let verdict = json(&slow);
    assert_eq!(status(&verdict, "no regression")["status"], "fail");
    let listed = run(&["history", "--json"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    let runs = json(&listed);
    assert_eq!(runs.as_array().unwrap().len(), 2);
    for output in [&first, &slow, &listed] {
        let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
        assert!(!all.contains("s3cret-pass"), "{all}");
    }
}

/// `--compare` puts the flips in the verdict and its reports (Markdown, HTML), not only on the
/// console.
#[test]
fn compare_flips_are_in_the_reports() {
    let dir = setup(None);
    let first = gate(
        dir.path(),
        &[
            "--evidence-dir",
            "fast",
            "--out",
            "first/verdict.json",
            "--no-history",
        ],
    );
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let policy = std::fs::read_to_string(dir.path().join("gonogo.toml")).unwrap();
    std::fs::write(
        dir.path().join("stricter.toml"),
        policy.replace("p(95) < 1s", "p(95) < 250ms"),
    )
    .unwrap();
    let output = gonogo(
        &[
            "gate",
            "--evidence-dir",
            "slow",
            "--policy",
            "stricter.toml",
            "--compare",
            "first/verdict.json",
            "--no-history",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let verdict: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("gonogo-report/verdict.json")).unwrap(),
    )
    .unwrap();
    let comparison = &verdict["comparison"];
    assert_eq!(comparison["before"], "GO");
    let flips = comparison["flips"].as_array().unwrap();
    assert!(
        flips.iter().any(|f| f["gate"] == "latency budget"
            && f["before"] == "pass"
            && f["after"] == "fail"),
        "{comparison}"
    );
    let markdown = std::fs::read_to_string(dir.path().join("gonogo-report/report.md")).unwrap();
    assert!(
        markdown.contains("Compared with first/verdict.json (GO):")
            && markdown.contains("**latency budget**: pass → fail"),
        "{markdown}"
    );
    let html = std::fs::read_to_string(dir.path().join("gonogo-report/report.html")).unwrap();
    assert!(
        html.contains(r#"<section id="comparison">"#)
            && html.contains("<b>latency budget</b>: pass → fail"),
        "the HTML shows the flips"
    );
}
