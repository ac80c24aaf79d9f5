//! The red team: evidence and policies that once reached a false GO, each of which must now end
//! NO-GO, and honest cases that must stay GO. One test per attack class of "which evidence a
//! gate may count" (docs/evidence.md); add to it whenever a new way to talk the gate into GO
//! is found.

use gonogo_core::eval::{Candidate, evaluate, evaluate_for};
use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool, latency_histogram, sha256_hex};
use gonogo_core::policy::Policy;
use gonogo_core::units::Unit;
use gonogo_core::verdict::{Decision, GateStatus, Unearned, Verdict};
use gonogo_core::wire;
use jiff::Timestamp;

const NOW: &str = "2026-11-25T12:00:00Z";
const TARGET: &str = "[target]\nbase_url = \"http://127.0.0.1:8080\"\n";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn record(kind: &str, source: Source, at: &str, metrics: Vec<(&str, Metric)>) -> Evidence {
    let mut evidence = Evidence::new(
        kind,
        source.clone(),
        sha256_hex(format!("{kind}{source}").as_bytes()),
        at.parse().unwrap(),
        Tool::new(format!("{kind}-tool"), "1"),
    );
    for (name, metric) in metrics {
        evidence.insert(name, metric);
    }
    evidence
}

fn file(name: &str) -> Source {
    Source::File(name.into())
}

fn ratio(k: u64, n: u64, unit: &str) -> Metric {
    Metric::ratio(Ratio::new(k, n).unwrap(), Unit::count(unit))
}

fn count(v: f64) -> Metric {
    Metric::value(v, Unit::count("vulnerabilities"))
}

fn gate(metric: &str, expect: &str) -> String {
    format!(
        "[[gate]]\nname = \"{metric} {expect}\"\narea = \"reliability\"\nmetric = \"{metric}\"\nexpect = \"{expect}\"\n"
    )
}

fn judge(policy: &str, records: &[Evidence]) -> Verdict {
    let policy = Policy::parse(policy, None, gonogo_catalog::CATALOG).unwrap();
    evaluate(&policy, records, now(), None)
}

fn first(verdict: &Verdict) -> (GateStatus, Option<&'static str>) {
    let g = &verdict.gates[0];
    (g.status, g.reason.map(|r| r.as_str()))
}

// --- Once: the same evidence never counts twice. ---

#[test]
fn the_same_record_in_two_files_counts_once() {
    // 0 failures in 400 requests cannot show `rate < 0.5%`; the same record twice (two files,
    // twice in one .jsonl, a re-collection) must not turn it into 0 of 800.
    let one = record(
        "load",
        Source::Url("http://127.0.0.1:8080/api".into()),
        NOW,
        vec![("load.api.errors", ratio(0, 400, "requests"))],
    );
    let text = wire::to_json_line(&one);
    let twice = wire::parse_records(&format!("{text}\n{text}\n"), gonogo_catalog::CATALOG).unwrap();
    let policy = format!("{TARGET}{}", gate("load.api.errors", "rate < 0.5%"));
    let verdict = judge(&policy, &twice);
    assert_ne!(verdict.gates[0].status, GateStatus::Pass);
    assert_eq!(verdict.gates[0].measured.as_ref().unwrap().n, Some(400));
    assert_eq!(verdict.decision, Decision::NoGo);
}

#[test]
fn the_same_file_collected_again_counts_once() {
    // `gonogo gate` after `gonogo run` reads the run's record and collects the file again: the
    // same producer on the same input (same SHA-256) is one reading, whenever it was read.
    let mut run = record(
        "junit",
        file("target/junit.xml"),
        "2026-11-25T11:00:00Z",
        vec![("tests.failed", ratio(0, 400, "tests"))],
    );
    run.commit = Some("0123456789abcdef".into());
    let mut again = run.clone();
    again.collected_at = now();
    again.commit = None;
    let verdict = judge(&gate("tests.failed", "total >= 800"), &[run, again]);
    assert_eq!(first(&verdict), (GateStatus::Fail, Some("breached")));
}

#[test]
fn a_copy_of_the_same_file_under_another_name_counts_once() {
    let a = record(
        "junit",
        file("a/junit.xml"),
        NOW,
        vec![("tests.failed", ratio(0, 400, "tests"))],
    );
    let mut b = a.clone();
    b.source = file("b/junit.xml"); // same bytes (same SHA-256), another path
    let verdict = judge(&gate("tests.failed", "total >= 800"), &[a, b]);
    assert_eq!(first(&verdict), (GateStatus::Fail, Some("breached")));
}

// --- Parts of a whole: never "the newest" across different sources. ---

#[test]
fn two_audits_sum_whichever_was_collected_last() {
    let npm = record(
        "audit",
        file("npm-audit.json"),
        "2026-11-25T10:00:00Z",
        vec![("audit.critical", count(2.0))],
    );
    let pip = record(
        "audit",
        file("pip-audit.json"),
        "2026-11-25T11:00:00Z",
        vec![("audit.critical", count(0.0))],
    );
    for records in [[npm.clone(), pip.clone()], [pip, npm]] {
        let verdict = judge(&gate("audit.critical", "value == 0"), &records);
        assert_eq!(first(&verdict), (GateStatus::Fail, Some("breached")));
        assert_eq!(verdict.gates[0].measured.as_ref().unwrap().point, 2.0);
    }
}

#[test]
fn a_re_measurement_of_one_source_supersedes_the_older() {
    // Two cargo-audit runs over one lockfile: the newest counts, the older is listed.
    let old = record(
        "audit",
        file("Cargo.lock"),
        "2026-11-25T10:00:00Z",
        vec![("audit.critical", count(1.0))],
    );
    let mut new = old.clone();
    new.collected_at = now();
    new.sha256 = sha256_hex(b"fixed lockfile");
    new.insert("audit.critical", count(0.0));
    let policy = format!(
        "{}{}",
        gate("audit.critical", "value == 0"),
        gate("tests.failed", "count == 0")
    );
    let tests = record(
        "junit",
        file("junit.xml"),
        NOW,
        vec![("tests.failed", ratio(0, 10, "tests"))],
    );
    let verdict = judge(&policy, &[old, new, tests]);
    assert_eq!(first(&verdict), (GateStatus::Pass, None));
    assert!(
        verdict.gates[0]
            .rules
            .iter()
            .any(|r| r.to_string().contains("superseded"))
    );
}

#[test]
fn coverage_of_one_run_in_two_formats_is_a_union_not_a_sum() {
    // pytest-cov writing XML and LCOV of one run: the same files, not twice the lines.
    let parts = || {
        [
            ("app.py".to_owned(), Ratio::new(400, 500).unwrap()),
            ("db.py".to_owned(), Ratio::new(440, 500).unwrap()),
        ]
        .into_iter()
        .collect()
    };
    let xml = record(
        "coverage",
        file("coverage.xml"),
        NOW,
        vec![(
            "coverage.lines",
            ratio(840, 1000, "lines").with_parts(parts()),
        )],
    );
    let lcov = record(
        "coverage",
        file("coverage.lcov"),
        NOW,
        vec![(
            "coverage.lines",
            ratio(840, 1000, "lines").with_parts(parts()),
        )],
    );
    let verdict = judge(&gate("coverage.lines", "total <= 1000"), &[xml, lcov]);
    assert_eq!(first(&verdict), (GateStatus::Pass, None));
    assert_eq!(verdict.gates[0].measured.as_ref().unwrap().n, Some(1000));
}

#[test]
fn ratios_that_overflow_are_refused_not_saturated() {
    let huge = record(
        "junit",
        file("a.xml"),
        NOW,
        vec![("tests.passed", ratio(u64::MAX, u64::MAX, "tests"))],
    );
    let zero = record(
        "junit",
        file("b.xml"),
        NOW,
        vec![("tests.passed", ratio(0, u64::MAX, "tests"))],
    );
    let verdict = judge(&gate("tests.passed", "rate >= 99%"), &[huge, zero]);
    assert_ne!(verdict.gates[0].status, GateStatus::Pass);
    assert_eq!(verdict.decision, Decision::NoGo);
}

// --- Commands, completeness, earning GO. ---

#[test]
fn a_failing_command_is_a_blocker() {
    for (code, what) in [(3.0, "exit 3"), (127.0, "not found"), (124.0, "timed out")] {
        let policy = format!(
            "[[command]]\nname = \"unit tests\"\nrun = \"pytst\"\n{}",
            gate("tests.failed", "count == 0")
        );
        let command = record(
            "command",
            Source::Command("pytst".into()),
            NOW,
            vec![(
                "command.unit_tests.exit_code",
                Metric::value(code, Unit::count("1")),
            )],
        );
        let tests = record(
            "junit",
            file("junit.xml"),
            NOW,
            vec![("tests.failed", ratio(0, 10, "tests"))],
        );
        let verdict = judge(&policy, &[command, tests]);
        assert_eq!(verdict.decision, Decision::NoGo, "{what}");
        let blocker = &verdict.gates[verdict.blockers[0]];
        assert_eq!(blocker.name, "command unit tests", "{what}");
    }
}

#[test]
fn a_command_allowed_to_fail_is_a_warning() {
    let policy = format!(
        "[[command]]\nname = \"lint\"\nrun = \"ruff .\"\nallow_failure = true\n{}",
        gate("tests.failed", "count == 0")
    );
    let lint = record(
        "command",
        Source::Command("ruff .".into()),
        NOW,
        vec![(
            "command.lint.exit_code",
            Metric::value(1.0, Unit::count("1")),
        )],
    );
    let tests = record(
        "junit",
        file("junit.xml"),
        NOW,
        vec![("tests.failed", ratio(0, 10, "tests"))],
    );
    let verdict = judge(&policy, &[lint, tests]);
    assert_eq!(verdict.decision, Decision::Go);
    assert_eq!(verdict.warnings.len(), 1);
}

#[test]
fn a_target_that_was_down_is_missing_evidence_not_zero_findings() {
    let mut harden = record(
        "harden",
        Source::Url("http://127.0.0.1:8080".into()),
        NOW,
        vec![
            (
                "harden.findings.high",
                Metric::value(0.0, Unit::count("findings")),
            ),
            (
                "harden.findings.medium",
                Metric::value(0.0, Unit::count("findings")),
            ),
        ],
    );
    harden.mark_incomplete("48 of 51 checks did not run: the target did not answer");
    let policy = format!(
        "{TARGET}{}{}",
        gate("harden.findings.high", "value == 0"),
        gate("harden.findings.medium", "value == 0")
    );
    let verdict = judge(&policy, &[harden]);
    assert_eq!(first(&verdict), (GateStatus::Missing, Some("incomplete")));
    assert!(verdict.gates[0].why.contains("48 of 51"));
    assert_eq!(verdict.decision, Decision::NoGo);
}

#[test]
fn go_has_to_be_earned() {
    let tests = record(
        "junit",
        file("junit.xml"),
        NOW,
        vec![("tests.failed", ratio(0, 10, "tests"))],
    );
    let empty = judge("", std::slice::from_ref(&tests));
    assert_eq!(empty.decision, Decision::NoGo);
    assert_eq!(empty.unearned, Some(Unearned::NoGates));

    let warn_only = format!(
        "{}severity = \"warn\"\n",
        gate("load.api.errors", "rate < 1%")
    );
    let verdict = judge(&warn_only, std::slice::from_ref(&tests));
    assert_eq!(verdict.decision, Decision::NoGo);
    assert_eq!(verdict.unearned, Some(Unearned::NoBlockers));

    let waived = format!(
        "{}[[waiver]]\ngate = \"load.api.errors rate < 1%\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"2026-12-31\"\n",
        gate("load.api.errors", "rate < 1%")
    );
    let verdict = judge(&waived, &[tests]);
    assert_eq!(verdict.gates[0].status, GateStatus::Waived);
    assert_eq!(verdict.decision, Decision::NoGo);
    assert_eq!(verdict.unearned, Some(Unearned::NoBlockerPassed));
}

#[test]
fn a_waiver_far_ahead_is_a_policy_error() {
    let policy = Policy::parse(
        &format!(
            "{}[[waiver]]\ngate = \"tests.failed count == 0\"\nreason = \"r\"\nowner = \"o\"\nexpires = \"9999-12-31\"\n",
            gate("tests.failed", "count == 0")
        ),
        None, gonogo_catalog::CATALOG,
    )
    .unwrap();
    let problems = policy.check_waivers("2026-11-25".parse().unwrap());
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("more than 90 days ahead"));
}

// --- Time and candidate. ---

#[test]
fn seven_year_old_evidence_is_stale_by_default() {
    let old = record(
        "junit",
        file("junit.xml"),
        "2019-11-25T12:00:00Z",
        vec![("tests.failed", ratio(0, 1000, "tests"))],
    );
    let verdict = judge(&gate("tests.failed", "count == 0"), &[old]);
    assert_eq!(first(&verdict), (GateStatus::Missing, Some("stale")));
}

#[test]
fn a_record_from_the_future_neither_counts_nor_wins() {
    let failing = record(
        "audit",
        file("Cargo.lock"),
        NOW,
        vec![("audit.critical", count(3.0))],
    );
    let mut future = failing.clone();
    future.collected_at = "2099-01-01T00:00:00Z".parse().unwrap();
    future.sha256 = sha256_hex(b"other");
    future.insert("audit.critical", count(0.0));
    let verdict = judge(&gate("audit.critical", "value == 0"), &[failing, future]);
    assert_eq!(first(&verdict), (GateStatus::Fail, Some("breached")));
}

#[test]
fn records_about_another_commit_are_set_aside() {
    let mut old = record(
        "junit",
        file("junit.xml"),
        NOW,
        vec![("tests.failed", ratio(0, 1000, "tests"))],
    );
    old.commit = Some("aaaaaaaaaaaa".into());
    let policy = Policy::parse(
        &gate("tests.failed", "count == 0"),
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap();
    let candidate = Candidate {
        commit: Some("bbbbbbbbbbbbbbbb".into()),
    };
    let verdict = evaluate_for(&policy, &[old.clone()], now(), None, &candidate);
    assert_eq!(verdict.gates[0].status, GateStatus::Missing);
    assert_eq!(verdict.decision, Decision::NoGo);
    // The same record judged for its own commit (short form) counts.
    let own = Candidate {
        commit: Some("aaaaaaa".into()),
    };
    let verdict = evaluate_for(&policy, &[old], now(), None, &own);
    assert_eq!(verdict.gates[0].status, GateStatus::Pass);
}

// --- Provenance. ---

#[test]
fn evidence_about_another_service_does_not_count() {
    let mut histogram = latency_histogram();
    for _ in 0..5000 {
        histogram.record(2_000).unwrap();
    }
    let other = record(
        "load",
        Source::Url("http://127.0.0.1:9999/checkout".into()),
        NOW,
        vec![(
            "load.checkout.latency",
            Metric::distribution(histogram, Unit::parse("us")),
        )],
    );
    let policy = format!("{TARGET}{}", gate("load.checkout.latency", "p(99) < 400ms"));
    let verdict = judge(&policy, &[other]);
    assert_eq!(verdict.gates[0].status, GateStatus::Missing);
    assert!(
        verdict.gates[0].why.contains("127.0.0.1:9999"),
        "{}",
        verdict.gates[0].why
    );
}

// --- Malformed records are refused, loudly. ---

#[test]
fn malformed_records_are_refused() {
    let base = r#"{"gonogo_evidence":1,"kind":"audit","source":{"type":"file","location":"a"},"sha256":"0000000000000000000000000000000000000000000000000000000000000000","collected_at":"2026-11-25T12:00:00Z","tool":{"name":"t","version":"1"},"metrics":METRICS}"#;
    let duplicate = base.replace(
        "METRICS",
        r#"{"audit.critical":{"unit":"vulnerabilities","value":3},"audit.critical":{"unit":"vulnerabilities","value":0}}"#,
    );
    let error = wire::parse_records(&duplicate, gonogo_catalog::CATALOG)
        .unwrap_err()
        .to_string();
    assert!(error.contains("appears twice"), "{error}");
    let negative = base.replace(
        "METRICS",
        r#"{"audit.critical":{"unit":"vulnerabilities","value":-1}}"#,
    );
    let error = wire::parse_records(&negative, gonogo_catalog::CATALOG)
        .unwrap_err()
        .to_string();
    assert!(error.contains("cannot be negative"), "{error}");
}

// --- Honest cases stay GO. ---

#[test]
fn honest_evidence_stays_go() {
    let mut histogram = latency_histogram();
    for i in 0..5000u64 {
        histogram.record(2_000 + i % 500).unwrap();
    }
    let load = record(
        "load",
        Source::Url("http://127.0.0.1:8080/checkout".into()),
        NOW,
        vec![
            (
                "load.checkout.latency",
                Metric::distribution(histogram, Unit::parse("us")),
            ),
            ("load.checkout.errors", ratio(0, 5000, "requests")),
        ],
    );
    let probe = record(
        "probe",
        Source::Url("http://127.0.0.1:8080/readyz".into()),
        NOW,
        vec![("probe.ready.availability", ratio(2000, 2000, "probes"))],
    );
    let policy = format!(
        "{TARGET}{}{}{}",
        gate("load.checkout.latency", "p(99) < 400ms"),
        gate("load.checkout.errors", "rate < 1%"),
        gate("probe.ready.availability", "rate >= 99%"),
    );
    let verdict = judge(&policy, &[load, probe]);
    for g in &verdict.gates {
        assert_eq!(g.status, GateStatus::Pass, "{}: {}", g.name, g.why);
    }
    assert_eq!(verdict.decision, Decision::Go);
}

#[test]
fn a_gate_on_a_command_the_policy_does_not_run_is_a_typo() {
    let policy = Policy::parse(
        &format!(
            "[[command]]\nname = \"pytest\"\nrun = \"pytest\"\n{}",
            gate("command.pytst.exit_code", "value == 0")
        ),
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap();
    // No evidence at all: the suggestion comes from the policy's own commands.
    let problems = policy.check_metrics(&Default::default());
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("command.pytst.exit_code"));
    let shown = format!("{:?}", problems[0]);
    assert!(shown.contains("command.pytest.exit_code"), "{shown}");
}

#[test]
fn a_negative_count_cannot_hide_behind_a_bare_unit() {
    let text = r#"{"gonogo_evidence":1,"kind":"audit","source":{"type":"file","location":"a"},"sha256":"0000000000000000000000000000000000000000000000000000000000000000","collected_at":"2026-11-25T12:00:00Z","tool":{"name":"t","version":"1"},"metrics":{"audit.critical":{"unit":"1","value":-1}}}"#;
    let error = wire::parse_records(text, gonogo_catalog::CATALOG)
        .unwrap_err()
        .to_string();
    assert!(error.contains("cannot be negative"), "{error}");
    // An exit code of -1 (killed by a signal) is a bare number, and stays readable.
    let exit = text
        .replace("audit.critical", "command.work.exit_code")
        .replace("\"audit\"", "\"command\"");
    assert!(wire::parse_records(&exit, gonogo_catalog::CATALOG).is_ok());
}

// --- Segments: a test split over machines counts once, whole, or not at all. ---

/// Segment `index` of `count` of test `test`: 100 requests, `errors` failed, latencies of
/// 1 ms (and one of 900 ms in segment 0 when `slow`).
fn segment(test: &str, index: u64, count: u64, errors: u64) -> Evidence {
    let mut h = latency_histogram();
    h.record_n(1_000, 100).unwrap();
    let mut evidence = record(
        "load",
        Source::Url("http://127.0.0.1:8080/api".into()),
        NOW,
        vec![
            ("load.api.errors", ratio(errors, 100, "requests")),
            (
                "load.api.latency",
                Metric::distribution(h, Unit::parse("us")),
            ),
            ("load.api.throughput", Metric::value(10.0, Unit::PerSecond)),
        ],
    );
    evidence.sha256 = sha256_hex(format!("{test} {index}/{count} {errors}").as_bytes());
    evidence.segment = Some(gonogo_core::segments::SegmentInfo {
        test: test.into(),
        index,
        count,
        started_at: Some(NOW.parse().unwrap()),
        elapsed_seconds: Some(10.0),
        clock_offset_ms: None,
    });
    evidence
}

fn segments_policy() -> String {
    format!(
        "{TARGET}{}{}{}",
        gate("load.api.errors", "rate < 5%"),
        gate("load.api.latency", "p(99) < 100ms"),
        gate("load.api.throughput", "value >= 35/s")
    )
}

#[test]
fn the_segments_of_one_test_are_judged_as_one_run() {
    // 4 x 100 requests, 0 errors: 0 of 400 (not the newest segment's 0 of 100), and 400
    // requests in the same 10 s: 40/s (not 10/s).
    let records: Vec<Evidence> = (0..4).map(|i| segment("t", i, 4, 0)).collect();
    let verdict = judge(&segments_policy(), &records);
    assert_eq!(verdict.decision, Decision::Go, "{:#?}", verdict.gates);
    assert_eq!(verdict.gates[0].measured.as_ref().unwrap().n, Some(400));
    assert_eq!(verdict.gates[1].measured.as_ref().unwrap().n, Some(400));
    assert_eq!(verdict.gates[2].status, GateStatus::Pass);
    assert_eq!(verdict.evidence.len(), 4);
}

#[test]
fn a_test_with_a_missing_segment_is_missing_evidence_named() {
    // Segment 2 of 4 did not report (its pod failed): the others look fine, and must not pass.
    let records: Vec<Evidence> = [0, 1, 3].map(|i| segment("t", i, 4, 0)).into();
    let verdict = judge(&segments_policy(), &records);
    assert_eq!(verdict.decision, Decision::NoGo);
    for gate in &verdict.gates {
        assert_eq!(gate.status, GateStatus::Missing, "{gate:#?}");
        assert!(
            gate.why.contains("segment 2/4 of test t is missing"),
            "{}",
            gate.why
        );
    }
    // One segment alone is not the test either.
    let verdict = judge(&segments_policy(), &[segment("t", 0, 4, 0)]);
    assert_eq!(first(&verdict), (GateStatus::Missing, Some("missing")));
}

#[test]
fn a_duplicated_segment_never_counts_twice() {
    // Segment 1 run twice (a retried pod) with different results, and the failing segment 3
    // missing: padding with a healthy duplicate must not pass.
    let mut records: Vec<Evidence> = (0..3).map(|i| segment("t", i, 4, 0)).collect();
    let mut again = segment("t", 1, 4, 0);
    again.sha256 = sha256_hex(b"segment 1 retried");
    records.push(again);
    let verdict = judge(&segments_policy(), &records);
    assert_eq!(verdict.decision, Decision::NoGo);
    assert_eq!(verdict.gates[0].status, GateStatus::Missing);
    assert!(
        verdict.gates[0]
            .why
            .contains("segment 1/4 of test t appears twice"),
        "{}",
        verdict.gates[0].why
    );
    // The same segment's record in two files is one record: still the whole test.
    let mut records: Vec<Evidence> = (0..4).map(|i| segment("t", i, 4, 0)).collect();
    records.push(records[1].clone());
    assert_eq!(judge(&segments_policy(), &records).decision, Decision::Go);
}

#[test]
fn a_segment_of_another_test_is_not_mixed_in() {
    // A healthy segment from a 2-way split of the same test id stands in for the failing
    // segment 3 of the 4-way split.
    let mut records: Vec<Evidence> = (0..3).map(|i| segment("t", i, 4, 0)).collect();
    records.push(segment("t", 1, 2, 0));
    let verdict = judge(&segments_policy(), &records);
    assert_eq!(verdict.decision, Decision::NoGo);
    assert_eq!(verdict.gates[0].status, GateStatus::Missing);
    assert!(
        verdict.gates[0].why.contains("N = 2, N = 4"),
        "{}",
        verdict.gates[0].why
    );
    // A complete test of another id beside a partial one: the partial one is refused.
    let mut records: Vec<Evidence> = (0..2).map(|i| segment("other", i, 2, 0)).collect();
    records.extend([0, 1, 2].map(|i| segment("t", i, 4, 0)));
    let verdict = judge(&segments_policy(), &records);
    assert_eq!(verdict.decision, Decision::NoGo);
    assert!(verdict.gates[0].why.contains("segment 3/4 of test t"));
}

#[test]
fn a_failing_segment_fails_the_test() {
    // Three clean segments cannot dilute a fourth that failed 40 of its 100: 40 of 400 = 10%.
    let mut records: Vec<Evidence> = (0..3).map(|i| segment("t", i, 4, 0)).collect();
    records.push(segment("t", 3, 4, 40));
    let verdict = judge(&segments_policy(), &records);
    assert_eq!(verdict.decision, Decision::NoGo);
    assert_eq!(verdict.gates[0].status, GateStatus::Fail);
    let measured = verdict.gates[0].measured.as_ref().unwrap();
    assert_eq!((measured.k, measured.n), (Some(40), Some(400)));
}

// --- Bucketed histograms: values at the buckets' upper bounds read high. ---

/// A Prometheus histogram puts every observation at its bucket's upper bound. With 1,000
/// observations between 100 and 250 ms (bucket le=0.25), the p(95) reads 250 ms. `p(95) >
/// 200ms` (a floor someone gates on, say a minimum processing time) must not pass on that
/// shifted figure, nor a relative gate; `p(95) <= 300ms` passes, as an upper end should.
#[test]
fn a_bucketed_histogram_cannot_pass_a_floor_or_a_relative_gate() {
    let bucketed = || {
        let mut histogram = latency_histogram();
        histogram.record_n(250_000, 1_000).unwrap();
        Metric::distribution(histogram, Unit::parse("us")).as_upper_bounds()
    };
    let records = [record(
        "prometheus",
        Source::Url("http://127.0.0.1:9090".into()),
        "2026-11-20T11:00:00Z",
        vec![("prometheus.checkout", bucketed())],
    )];
    let declared = "[[prometheus]]\nname = \"checkout\"\nurl = \"http://127.0.0.1:9090\"\nkind = \"histogram\"\n\n";
    for expect in ["p(95) > 200ms", "p(95) >= 200ms", "min > 10ms"] {
        let verdict = judge(
            &format!("{declared}{}", gate("prometheus.checkout", expect)),
            &records,
        );
        assert_ne!(verdict.gates[0].status, GateStatus::Pass, "{expect}");
        assert_eq!(verdict.decision, Decision::NoGo, "{expect}");
        assert!(
            verdict.gates[0].why.contains("bucket upper bounds"),
            "{}",
            verdict.gates[0].why
        );
    }
    let verdict = judge(
        &format!(
            "{declared}{}",
            gate("prometheus.checkout", "p(95) <= 300ms")
        ),
        &records,
    );
    assert_eq!(
        verdict.gates[0].status,
        GateStatus::Pass,
        "{}",
        verdict.gates[0].why
    );
    // A relative gate against a baseline whose p(95) was 240 ms: the bucketed 250 ms reads high
    // at both ends, so the comparison cannot be trusted either way; it never passes.
    let baseline = gonogo_core::eval::Baseline {
        reference: None,
        gates: [(
            "before".to_owned(),
            gonogo_core::eval::BaselineGate {
                metric: "prometheus.checkout".into(),
                aggregate: "p(95)".into(),
                point: Some(0.24),
                n: Some(100_000),
                k: None,
                interval: Some(gonogo_core::stats::Interval {
                    lower: 0.2399,
                    upper: 0.2401,
                }),
            },
        )]
        .into(),
    };
    let policy = Policy::parse(
        &format!("{declared}{}", gate("prometheus.checkout", "p(95) <= +10%")),
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap();
    let verdict = evaluate(&policy, &records, now(), Some(&baseline));
    assert_ne!(
        verdict.gates[0].status,
        GateStatus::Pass,
        "{}",
        verdict.gates[0].why
    );
    assert!(verdict.gates[0].why.contains("bucket upper bounds"));
    // The mark survives the wire form.
    let line = wire::to_json_line(&records[0]);
    assert!(line.contains("\"upper_bounds\":true"), "{line}");
    let back = wire::parse_records(&line, gonogo_catalog::CATALOG).unwrap();
    assert!(back[0].metrics["prometheus.checkout"].upper_bounds);
}
