//! `gonogo merge` across engines: a gate over merged k6 + JMeter + gonogo results gives the
//! same verdict as over one histogram of all the samples, and refusals name their file.

use std::path::Path;
use std::process::Output;

use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool};
use gonogo_core::units::Unit;
use gonogo_testkit::console;

fn gonogo(args: &[&str], dir: &Path) -> Output {
    gonogo_testkit::gonogo(env!("CARGO_BIN_EXE_gonogo"), args, dir)
}

/// Deterministic samples: (latency µs, failed).
fn samples(seed: u64, n: usize, ms_resolution: bool) -> Vec<(u64, bool)> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = state >> 33;
            let mut us = 500 + r % 40_000 + if r % 17 == 0 { 200_000 } else { 0 };
            if ms_resolution {
                us = us / 1000 * 1000;
            }
            (us, r % 23 == 0)
        })
        .collect()
}

const T0: i64 = 1_796_551_200; // 2026-12-06T10:00:00Z

fn k6_json(samples: &[(u64, bool)]) -> String {
    let mut out = String::new();
    for (i, (us, failed)) in samples.iter().enumerate() {
        let time = jiff::Timestamp::from_second(T0 + 1 + i as i64 / 100).unwrap();
        let status = if *failed { 503 } else { 200 };
        let ms = *us as f64 / 1000.0;
        out.push_str(&format!(
            "{{\"metric\":\"http_req_duration\",\"type\":\"Point\",\"data\":{{\"time\":\"{time}\",\"value\":{ms},\"tags\":{{\"scenario\":\"default\",\"name\":\"/k6\",\"status\":\"{status}\"}}}}}}\n"
        ));
        out.push_str(&format!(
            "{{\"metric\":\"http_req_failed\",\"type\":\"Point\",\"data\":{{\"time\":\"{time}\",\"value\":{},\"tags\":{{\"scenario\":\"default\",\"name\":\"/k6\",\"status\":\"{status}\"}}}}}}\n",
            u8::from(*failed)
        ));
    }
    out
}

fn jtl(samples: &[(u64, bool)]) -> String {
    let mut out = String::from("timeStamp,elapsed,label,responseCode,success\n");
    for (i, (us, failed)) in samples.iter().enumerate() {
        let ts = (T0 + 2) * 1000 + i as i64 * 10;
        let code = if *failed { 500 } else { 200 };
        out.push_str(&format!("{ts},{},/jmeter,{code},{}\n", us / 1000, !failed));
    }
    out
}

fn record(all: &[(u64, bool)], sha: &str) -> Evidence {
    let mut histogram = gonogo_core::evidence::latency_histogram();
    for (us, _) in all {
        histogram.record(*us).unwrap();
    }
    let failed = all.iter().filter(|(_, f)| *f).count() as u64;
    let mut r = Evidence::new(
        "load",
        // A file, as raw results are: the policy need not name a target.
        Source::File(format!("{sha}.json")),
        sha.repeat(64),
        jiff::Timestamp::now(),
        Tool::new("gonogo", "0.1.0"),
    );
    let n = all.len() as u64;
    r.insert(
        "load.default.latency",
        Metric::distribution(histogram, Unit::parse("us")),
    );
    r.insert(
        "load.default.errors",
        Metric::ratio(Ratio::new(failed, n).unwrap(), Unit::count("requests")),
    );
    r.insert(
        "load.default.requests",
        Metric::value(n as f64, Unit::count("requests")),
    );
    r.details = serde_json::json!({
        "name": "default",
        "started_at": jiff::Timestamp::from_second(T0).unwrap().to_string(),
        "elapsed_s": 20.0,
    });
    r
}

const POLICY: &str = r#"
[[gate]]
area = "performance"
metric = "load.default.latency"
expect = "p(95) < 250ms"

[[gate]]
area = "performance"
metric = "load.default.latency"
expect = "p(99) < 150ms"

[[gate]]
area = "reliability"
metric = "load.default.errors"
expect = "rate < 10%"
"#;

fn verdict(dir: &Path, evidence: &str) -> serde_json::Value {
    let output = gonogo(
        &["gate", "--json", "--no-write", "--evidence-dir", evidence],
        dir,
    );
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        console(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", console(&output)))
}

#[test]
fn a_gate_over_merged_k6_jmeter_and_gonogo_results_equals_one_over_all_samples() {
    let dir = tempfile::tempdir().unwrap();
    let a = samples(1, 700, false);
    let b = samples(2, 500, true);
    let c = samples(3, 900, false);
    std::fs::write(dir.path().join("k6.json"), k6_json(&a)).unwrap();
    std::fs::write(dir.path().join("results.jtl"), jtl(&b)).unwrap();
    std::fs::write(
        dir.path().join("gonogo.json"),
        gonogo_core::wire::to_json_pretty(&record(&c, "c")),
    )
    .unwrap();
    std::fs::write(dir.path().join("gonogo.toml"), POLICY).unwrap();
    std::fs::create_dir_all(dir.path().join("merged")).unwrap();
    std::fs::create_dir_all(dir.path().join("single")).unwrap();
    let output = gonogo(
        &[
            "merge",
            "k6.json",
            "results.jtl",
            "gonogo.json",
            "-o",
            "merged/merged.json",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", console(&output));
    let all: Vec<(u64, bool)> = a.iter().chain(&b).chain(&c).copied().collect();
    std::fs::write(
        dir.path().join("single/single.json"),
        gonogo_core::wire::to_json_pretty(&record(&all, "d")),
    )
    .unwrap();
    let merged = verdict(dir.path(), "merged");
    let single = verdict(dir.path(), "single");
    assert_eq!(merged["decision"], single["decision"]);
    let gates = merged["gates"].as_array().unwrap();
    assert_eq!(gates.len(), 3);
    for (m, s) in gates.iter().zip(single["gates"].as_array().unwrap()) {
        assert_eq!(m["status"], s["status"], "{m}\n{s}");
        assert_eq!(m["measured"], s["measured"], "{m}\n{s}");
    }
    // The samples are all there: n of the error ratio, and not a pass by default.
    assert_eq!(gates[2]["measured"]["n"], 2100);
    let statuses: Vec<&str> = gates
        .iter()
        .map(|g| g["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"pass") && statuses.contains(&"fail"),
        "{statuses:?}"
    );
}

#[test]
fn merge_refuses_a_unit_mismatch_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = record(&samples(1, 10, false), "a");
    let mut b = record(&samples(2, 10, false), "b");
    b.metrics.get_mut("load.default.latency").unwrap().unit = Unit::parse("ms");
    std::fs::write(
        dir.path().join("a.json"),
        gonogo_core::wire::to_json_pretty(&a),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.json"),
        gonogo_core::wire::to_json_pretty(&b),
    )
    .unwrap();
    let output = gonogo(&["merge", "a.json", "b.json", "-o", "m.json"], dir.path());
    assert_eq!(output.status.code(), Some(3), "{}", console(&output));
    assert!(
        console(&output).contains("b.json: `load.default.latency` is in `ms`"),
        "{}",
        console(&output)
    );
    assert!(!dir.path().join("m.json").exists());
}

#[test]
fn merge_names_a_raw_file_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), k6_json(&samples(1, 10, false))).unwrap();
    std::fs::write(
        dir.path().join("broken.jtl"),
        "timeStamp,elapsed,label,responseCode,success\n1,2,x,200,perhaps\n",
    )
    .unwrap();
    let output = gonogo(
        &["merge", "a.json", "broken.jtl", "-o", "m.json"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(3), "{}", console(&output));
    assert!(
        console(&output).contains("broken.jtl:2"),
        "{}",
        console(&output)
    );
}

/// `gonogo merge ev/*.json -o ev/` would leave the merged record beside the records it merged,
/// and `gonogo gate` on that folder would count every sample twice: refused, nothing written.
#[test]
fn merge_refuses_to_write_beside_the_evidence_it_merged() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ev")).unwrap();
    for (name, seed) in [("a", 1), ("b", 2)] {
        std::fs::write(
            dir.path().join(format!("ev/{name}.json")),
            gonogo_core::wire::to_json_pretty(&record(&samples(seed, 50, false), name)),
        )
        .unwrap();
    }
    for output in ["ev", "ev/merged.json", "./ev/../ev/merged.json"] {
        let result = gonogo(
            &["merge", "ev/a.json", "ev/b.json", "-o", output],
            dir.path(),
        );
        assert_eq!(
            result.status.code(),
            Some(2),
            "{output}: {}",
            console(&result)
        );
        assert!(
            console(&result).contains("count its samples twice"),
            "{}",
            console(&result)
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("ev")).unwrap().count(),
            2,
            "{output}: nothing written"
        );
    }
    // Elsewhere, it merges.
    let elsewhere = gonogo(
        &["merge", "ev/a.json", "ev/b.json", "-o", "merged.json"],
        dir.path(),
    );
    assert_eq!(elsewhere.status.code(), Some(0), "{}", console(&elsewhere));
}
