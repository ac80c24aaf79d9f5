//! Issue 15, the defects that had no end-to-end test named after them: 2 (histogram headers
//! declaring huge ranges), 5 and 6 (durations, threads, connections and rates out of range),
//! 12 (policy numbers out of range), 13 (a typo in `[harden]`), and the rule behind 13 for
//! every engine section: each unknown key of `[load.NAME]`, `[[probe]]`, `[observe]`,
//! `[harden]` and `[[prometheus]]` is reported at the key, all in one round, exit 2, before
//! any command runs.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use gonogo_testkit::console;

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), args, dir)
}

/// `(line, column)`, 1-based, of the first occurrence of `needle` in `text`.
fn line_column(text: &str, needle: &str) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in the policy"));
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

const ENGINE_TYPOS: &str = r#"
[target]
base_url = "http://127.0.0.1:9"

[[command]]
name = "marker"
run = "touch command-ran.txt"

[load.api]
path = "/"
rat = 100
duration = "1s"

[[probe]]
name = "health"
path = "/health"
timeoutt = "2s"

[observe]
timout = 5

[harden]
pahts = ["/"]

[harden.auth]
tokn_env = "GONOGO_TOKEN"

[[prometheus]]
name = "up"
url = "http://127.0.0.1:9"
query = "up"
stpe = "1m"

[[gate]]
area = "delivery"
metric = "command.marker.exit_code"
expect = "value == 0"
"#;

/// Issue 15 ("validate everything before running anything"): a misspelt key in any engine
/// section is reported with the file, its line and column, a caret at the key and the key it
/// was probably meant to be; every one of them in one round; exit 2; no command runs.
#[test]
fn issue_15_defect_13_every_engine_section_reports_each_unknown_key_at_the_key_before_anything_runs()
 {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gonogo.toml"), ENGINE_TYPOS).unwrap();
    let output = gonogo(&["run"], dir.path());
    let text = console(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        !dir.path().join("command-ran.txt").exists(),
        "a command ran before the policy was checked"
    );
    for (section, key, meant) in [
        ("[load.api]", "rat", "rate"),
        ("[[probe]] health", "timeoutt", "timeout"),
        ("[observe]", "timout", "timeout"),
        ("[harden]", "pahts", "paths"),
        ("[harden.auth]", "tokn_env", "token_env"),
        ("[[prometheus]] up", "stpe", "step"),
    ] {
        assert!(
            text.contains(&format!("{section}: unknown key `{key}`")),
            "{section} {key}:\n{text}"
        );
        let (line, column) = line_column(ENGINE_TYPOS, &format!("{key} ="));
        assert!(
            text.contains(&format!("gonogo.toml:{line}:{column}]")),
            "{key} is on line {line}:\n{text}"
        );
        assert!(text.contains(&format!("`{meant}`")), "{meant}:\n{text}");
    }
    assert!(text.contains("did you mean `rate`?"), "{text}");
    assert!(text.contains("6 problems in the policy"), "{text}");
}

/// Defect 13: a typo in `[harden]` is found before the commands run, and the run exits 2.
#[test]
fn issue_15_defect_13_a_harden_typo_stops_the_run_before_its_commands() {
    let dir = tempfile::tempdir().unwrap();
    let policy = "[target]\nbase_url = \"http://127.0.0.1:9\"\n\n[[command]]\nname = \"marker\"\nrun = \"touch command-ran.txt\"\n\n[harden]\nrequest_timeout = \"2s\"\nstrict_secure_cookeis = true\n\n[[gate]]\narea = \"delivery\"\nmetric = \"command.marker.exit_code\"\nexpect = \"value == 0\"\n";
    std::fs::write(dir.path().join("gonogo.toml"), policy).unwrap();
    let output = gonogo(&["run"], dir.path());
    let text = console(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(!dir.path().join("command-ran.txt").exists());
    assert!(
        text.contains("[harden]: unknown key `strict_secure_cookeis`"),
        "{text}"
    );
    assert!(text.contains("gonogo.toml:10:1]"), "{text}");
    assert!(
        text.contains("did you mean `strict_secure_cookies`?"),
        "{text}"
    );
}

/// Defect 2: an evidence file of 200 histograms whose headers each declare 1..2^63 at 5
/// significant digits (about 48 MB each if allocated) is refused, naming the problem, without
/// the memory: `gonogo gate` stays small and exits 3.
#[test]
fn issue_15_defect_2_histogram_headers_declaring_huge_ranges_are_refused_small() {
    use base64::Engine as _;
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut header = Vec::new();
    // The cookies real encoders write (the HISTFAAA prefix): the header check must meet the
    // encodings an attacker would copy, not only its own constants.
    for word in [0x1c84_9313u32, 0, 0, 5] {
        header.extend_from_slice(&word.to_be_bytes());
    }
    header.extend_from_slice(&1u64.to_be_bytes());
    header.extend_from_slice(&(1u64 << 63).to_be_bytes());
    header.extend_from_slice(&1.0f64.to_be_bytes());
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    deflate.write_all(&header).unwrap();
    let deflated = deflate.finish().unwrap();
    let mut encoded = Vec::new();
    encoded.extend_from_slice(&0x1c84_9314u32.to_be_bytes());
    encoded.extend_from_slice(&(deflated.len() as u32).to_be_bytes());
    encoded.extend_from_slice(&deflated);
    let histogram = base64::engine::general_purpose::STANDARD.encode(&encoded);
    let metrics: serde_json::Map<String, serde_json::Value> = (0..200)
        .map(|i| {
            (
                format!("load.h{i}.latency"),
                serde_json::json!({"unit": "us", "histogram": histogram}),
            )
        })
        .collect();
    let record = serde_json::json!({
        "gonogo_evidence": 1, "kind": "load",
        "source": {"type": "url", "location": "http://127.0.0.1/"},
        "sha256": "0".repeat(64), "collected_at": "2026-11-25T12:00:00Z",
        "tool": {"name": "x", "version": "1"}, "metrics": metrics,
    });
    let evidence = dir.path().join("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::write(evidence.join("hostile.json"), record.to_string()).unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[[gate]]\nname = \"p95\"\narea = \"performance\"\nmetric = \"load.h0.latency\"\nexpect = \"p(95) < 500ms\"\n",
    )
    .unwrap();
    let started = Instant::now();
    let output = gonogo(
        &["gate", "--evidence-dir", "evidence", "--no-write"],
        dir.path(),
    );
    let text = console(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("hostile.json"), "{text}");
    // Refused by the header check, not later by the deserializer or the budget.
    assert!(text.contains("refused before allocating"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_children_stayed_under_100_mb();
}

/// Defect 5: a duration beyond every range is exit 2 with a message, not a panic (exit 101),
/// as a flag and through `[load.NAME]`.
#[test]
fn issue_15_defect_5_a_huge_duration_is_exit_2_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let output = gonogo(
        &[
            "load",
            "http://127.0.0.1:9/",
            "--duration",
            "99999999999999999999h",
        ],
        dir.path(),
    );
    let text = console(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("99999999999999999999h"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[target]\nbase_url = \"http://127.0.0.1:9\"\n\n[load.api]\nduration = \"99999999999999999999h\"\n\n[[gate]]\narea = \"performance\"\nmetric = \"load.api.latency\"\nexpect = \"p(95) < 500ms\"\n",
    )
    .unwrap();
    let output = gonogo(&["run"], dir.path());
    let text = console(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("[load.api]"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}

/// Defect 6: `--threads 100000`, `-c 100000000` and `--rate 1e10` are refused at once (exit
/// 2, the range named) instead of aborting, taking gigabytes or running on.
#[test]
fn issue_15_defect_6_threads_connections_and_rates_have_ranges() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, value, range) in [
        ("--threads", "100000", "1024"),
        ("-c", "100000000", "20000"),
        ("--rate", "1e10", "10000000"),
    ] {
        let started = Instant::now();
        let output = gonogo(
            &[
                "load",
                "http://127.0.0.1:9/",
                flag,
                value,
                "--duration",
                "1s",
            ],
            dir.path(),
        );
        let text = console(&output);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {text}");
        assert!(
            text.replace([',', '_'], "").contains(range),
            "{flag} {value} names its range: {text}"
        );
        assert!(started.elapsed() < Duration::from_secs(20), "{flag}");
    }
}

/// Defect 12: `rate < 101%`, a bare `rate < 1.5` and `1e309ms` are policy errors (exit 2),
/// and a flag's duration is held to the same check. (`rate < -1%` is the relative threshold
/// of the policy language, the baseline's rate less 1 %, so it is a valid gate.)
#[test]
fn issue_15_defect_12_numbers_out_of_range_are_policy_and_flag_errors() {
    let dir = tempfile::tempdir().unwrap();
    for expect in ["rate < 101%", "rate < 1.5", "p(95) < 1e309ms"] {
        let metric = if expect.starts_with("rate") {
            "load.api.errors"
        } else {
            "load.api.latency"
        };
        std::fs::write(
            dir.path().join("gonogo.toml"),
            format!(
                "[[gate]]\nname = \"g\"\narea = \"performance\"\nmetric = \"{metric}\"\nexpect = \"{expect}\"\n"
            ),
        )
        .unwrap();
        let output = gonogo(&["gate", "--no-write"], dir.path());
        let text = console(&output);
        assert_eq!(output.status.code(), Some(2), "{expect}: {text}");
        assert!(text.contains("problem"), "{expect}: {text}");
    }
    let output = gonogo(
        &["probe", "http://127.0.0.1:9/", "--timeout", "1e309ms"],
        dir.path(),
    );
    let text = console(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}

/// Defect 4 for gonogo's own format: an evidence folder is read a record at a time within a
/// budget (10,000 records, 48 MiB once read). Past it the gate refuses, exit 3, naming the file
/// and line, and is never judged on the records before the limit: 10,001 passing shards do not
/// make a GO. At the limit it judges as usual; a record over 16 MiB is refused as it passes
/// the limit. Every gonogo here stays under 100 MB (the test binary's children).
#[test]
fn issue_15_defect_4_an_evidence_folder_past_its_budget_is_refused_never_judged_in_part() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[policy]\nname = \"shards\"\n[[gate]]\nname = \"tests\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"rate < 5%\"\n",
    )
    .unwrap();
    let now = jiff::Timestamp::now().to_string();
    let shard = |i: usize| {
        serde_json::json!({
            "gonogo_evidence": 1, "kind": "junit",
            "source": {"type": "file", "location": format!("shard{i}/junit.xml")},
            "sha256": gonogo_core::evidence::sha256_hex(i.to_string().as_bytes()),
            "collected_at": now, "tool": {"name": "x", "version": "1"},
            "metrics": {"tests.failed": {"unit": "tests", "ratio": {"k": 0, "n": 100}}},
        })
        .to_string()
    };
    let evidence = dir.path().join("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    let lines = |n: usize| (0..n).map(|i| shard(i) + "\n").collect::<String>();
    let judge = || {
        gonogo(
            &[
                "gate",
                "--evidence-dir",
                "evidence",
                "--no-write",
                "--no-history",
            ],
            dir.path(),
        )
    };

    // At the limit: judged, and GO on these passing shards.
    std::fs::write(evidence.join("shards.jsonl"), lines(10_000)).unwrap();
    let output = judge();
    let text = console(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("GO"), "{text}");

    // One more, in a second file: refused where it passed, not a GO on the first 10,000.
    std::fs::write(evidence.join("z-one-more.jsonl"), shard(10_000) + "\n").unwrap();
    let output = gonogo(
        &["gate", "--evidence-dir", "evidence", "--no-history"],
        dir.path(),
    );
    let text = console(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(
        text.contains("more than 10,000 records") && text.contains("z-one-more.jsonl line 1"),
        "{text}"
    );
    assert!(
        !dir.path().join("gonogo-report").exists(),
        "nothing is written"
    );

    // A record of 17 MiB: refused as it passes 16 MiB, with its line.
    std::fs::remove_file(evidence.join("z-one-more.jsonl")).unwrap();
    let mut big = shard(1).replace(
        "\"metrics\"",
        &format!(
            "\"details\": {{\"x\": \"{}\"}}, \"metrics\"",
            "a".repeat(17 << 20)
        ),
    );
    big.insert_str(0, &(shard(0) + "\n\n"));
    std::fs::write(evidence.join("shards.jsonl"), big).unwrap();
    let output = judge();
    let text = console(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(
        text.contains("shards.jsonl")
            && text.contains("record 2 is larger than 16 MiB (refused at line 3)"),
        "{text}"
    );
    assert_children_stayed_under_100_mb();
}

/// Defect 4, the limit the budget brought: a distributed load test of 300 machines with ten
/// endpoints each (3,000 latency histograms, 550 MB if held decoded; the first budget refused
/// it past about 260) is judged, small, and on every machine's samples: GO, the p95 gate
/// merging 300 records of 300,000 samples, each counted once.
#[test]
fn issue_15_defect_4_a_distributed_run_of_300_machines_is_judged_on_every_sample() {
    use gonogo_core::evidence::{Evidence, Metric, Source, Tool, latency_histogram};
    use gonogo_core::units::Unit;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gonogo.toml"),
        "[policy]\nname = \"fleet\"\n[target]\nbase_url = \"http://127.0.0.1/\"\n[[gate]]\nname = \"p95\"\narea = \"performance\"\nmetric = \"load.e0.latency\"\nexpect = \"p(95) < 500ms\"\n",
    )
    .unwrap();
    let now: jiff::Timestamp = jiff::Timestamp::now();
    let mut lines = String::new();
    for machine in 0..300u64 {
        let mut record = Evidence::new(
            "load",
            Source::Url(format!("http://127.0.0.1/machine-{machine}")),
            gonogo_core::evidence::sha256_hex(machine.to_string().as_bytes()),
            now,
            Tool::new("gonogo", "0.1.0"),
        );
        for endpoint in 0..10u64 {
            let mut latency = latency_histogram();
            for i in 0..1_000u64 {
                // 2 to 200 ms, spread so each histogram holds hundreds of distinct counts.
                latency
                    .record(2_000 + (i * 7_919 + machine * 31 + endpoint) % 198_000)
                    .unwrap();
            }
            record.insert(
                format!("load.e{endpoint}.latency"),
                Metric::distribution(latency, Unit::parse("us")),
            );
        }
        lines.push_str(&gonogo_core::wire::to_json_line(&record));
        lines.push('\n');
    }
    let evidence = dir.path().join("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::write(evidence.join("fleet.jsonl"), lines).unwrap();
    let output = gonogo(
        &[
            "gate",
            "--evidence-dir",
            "evidence",
            "--out",
            "out/",
            "--no-history",
        ],
        dir.path(),
    );
    let text = console(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let verdict = std::fs::read_to_string(dir.path().join("out/verdict.json")).unwrap();
    assert!(verdict.contains("merged_histograms"), "{verdict}");
    assert!(verdict.contains("300000"), "{verdict}");
    assert!(!verdict.contains("600000"), "counted twice: {verdict}");
    assert_children_stayed_under_100_mb();
}

/// The largest child of this test binary so far stayed under 100 MB (every child here is a
/// small gonogo, so this bounds each).
fn assert_children_stayed_under_100_mb() {
    let usage =
        nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN).unwrap();
    assert!(
        usage.max_rss() < 100 * 1024,
        "peak RSS {} KiB",
        usage.max_rss()
    );
}
