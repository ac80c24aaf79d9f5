//! Every status and rule of the decision, on hand-made evidence.

use gonogo_core::eval::{Baseline, BaselineGate, evaluate, flips};
use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool, latency_histogram, sha256_hex};
use gonogo_core::policy::Policy;
use gonogo_core::units::Unit;
use gonogo_core::verdict::{AreaStatus, Decision, GateStatus, Reason, Verdict};
use jiff::Timestamp;

const NOW: &str = "2026-11-25T12:00:00Z";

/// The first gate's rules as the English sentences.
fn rules(verdict: &gonogo_core::verdict::Verdict) -> Vec<String> {
    verdict.gates[0]
        .rules
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn record(kind: &str, at: &str, metrics: Vec<(&str, Metric)>) -> Evidence {
    let mut evidence = Evidence::new(
        kind,
        Source::File(format!("{kind}.json")),
        sha256_hex(format!("{kind}{at}").as_bytes()),
        at.parse().unwrap(),
        Tool::new("test", "1"),
    );
    for (name, metric) in metrics {
        evidence.insert(name, metric);
    }
    evidence
}

fn ratio(k: u64, n: u64) -> Metric {
    Metric::ratio(Ratio::new(k, n).unwrap(), Unit::count("requests"))
}

/// Latencies in microseconds.
fn latencies(samples: impl IntoIterator<Item = u64>) -> Metric {
    let mut histogram = latency_histogram();
    for s in samples {
        histogram.record(s).unwrap();
    }
    Metric::distribution(histogram, Unit::parse("us"))
}

/// One gate in the given area over the given evidence.
fn judge_one(metric: &str, expect: &str, records: &[Evidence]) -> Verdict {
    let policy = Policy::parse(
        &format!("[[gate]]\nname = \"g\"\narea = \"performance\"\nmetric = \"{metric}\"\nexpect = \"{expect}\"\n"),
        None, gonogo_catalog::CATALOG,
    )
    .unwrap();
    evaluate(&policy, records, now(), None)
}

fn status(verdict: &Verdict) -> (GateStatus, Option<&'static str>) {
    let gate = &verdict.gates[0];
    (gate.status, gate.reason.map(|r| r.as_str()))
}

#[test]
fn p99_of_four_fast_samples_is_inconclusive() {
    let evidence = [record(
        "load",
        NOW,
        vec![("load.api.latency", latencies([20_000; 4]))],
    )];
    let verdict = judge_one("load.api.latency", "p(99) < 500ms", &evidence);
    assert_eq!(
        status(&verdict),
        (GateStatus::Inconclusive, Some("too_few_samples"))
    );
    let gate = &verdict.gates[0];
    let interval = gate.measured.as_ref().unwrap().interval.unwrap();
    assert!(
        interval.upper.is_infinite(),
        "no upper rank exists for p99 of 4 samples"
    );
    // 368 samples are needed for p99 to pass at all.
    assert_eq!(
        gate.settle.as_ref().map(|s| s.to_string()).as_deref(),
        Some("needs about 364 more samples (n ≈ 368) if the distribution holds")
    );
    assert_eq!(
        verdict.decision,
        Decision::NoGo,
        "an inconclusive blocker is not evidence of readiness"
    );
}

#[test]
fn two_failures_of_thirteen_fail_a_half_percent_gate() {
    let evidence = [record("load", NOW, vec![("load.api.errors", ratio(2, 13))])];
    let verdict = judge_one("load.api.errors", "rate < 0.5%", &evidence);
    assert_eq!(status(&verdict), (GateStatus::Fail, Some("breached")));
    let measured = verdict.gates[0].measured.as_ref().unwrap();
    assert_eq!((measured.k, measured.n), (Some(2), Some(13)));
    // Clopper–Pearson (spec v2): [1.9207 %, 45.4471 %].
    assert!((measured.interval.unwrap().lower - 0.019207).abs() < 1e-6);
    assert!((measured.interval.unwrap().upper - 0.454471).abs() < 1e-6);
}

#[test]
fn zero_of_twenty_is_inconclusive_and_zero_of_five_thousand_passes() {
    let thin = [record("load", NOW, vec![("load.api.errors", ratio(0, 20))])];
    let verdict = judge_one("load.api.errors", "rate < 0.5%", &thin);
    assert_eq!(
        status(&verdict),
        (GateStatus::Inconclusive, Some("too_few_samples"))
    );
    // The Clopper–Pearson upper end at k = 0 drops below 0.5 % at n = 736; the search for
    // "about N more" stops within 1 % of it (it doubles from 20 to 1280, then bisects).
    assert_eq!(
        verdict.gates[0]
            .settle
            .as_ref()
            .map(|s| s.to_string())
            .as_deref(),
        Some("needs about 720 more trials (n ≈ 740) if the rate holds")
    );

    let thick = [record(
        "load",
        NOW,
        vec![("load.api.errors", ratio(0, 5000))],
    )];
    let verdict = judge_one("load.api.errors", "rate < 0.5%", &thick);
    assert_eq!(status(&verdict), (GateStatus::Pass, None));
    assert_eq!(verdict.decision, Decision::Go);
}

#[test]
fn availability_of_eleven_in_thirteen_fails_three_nines() {
    let evidence = [record(
        "probe",
        NOW,
        vec![("probe.health.availability", ratio(11, 13))],
    )];
    let verdict = judge_one("probe.health.availability", "rate >= 99.9%", &evidence);
    assert_eq!(status(&verdict), (GateStatus::Fail, Some("breached")));
}

/// The worked example of statistics.md: 1000 rps for 10 s with a 1 s stall at t = 4 s.
#[test]
fn a_stall_decides_p95_only_where_the_interval_allows() {
    let mut samples = Vec::new();
    for i in 0..10_000u64 {
        let intended_ms = i; // one request per millisecond
        let latency_us = if (4000..5000).contains(&intended_ms) {
            (5000 - intended_ms) * 1000 // waits until the stall ends
        } else {
            1000
        };
        samples.push(latency_us);
    }
    let evidence = [record(
        "load",
        NOW,
        vec![("load.api.latency", latencies(samples))],
    )];
    let expectations = [
        ("p(95) < 500ms", GateStatus::Inconclusive),
        ("p(95) < 600ms", GateStatus::Pass),
        ("p(95) < 400ms", GateStatus::Fail),
    ];
    for (expect, expected) in expectations {
        let verdict = judge_one("load.api.latency", expect, &evidence);
        assert_eq!(
            verdict.gates[0].status, expected,
            "{expect}: {}",
            verdict.gates[0].why
        );
    }
}

#[test]
fn missing_stale_and_partial_evidence_are_never_green() {
    let verdict = judge_one("tests.failed", "rate < 1%", &[]);
    assert_eq!(status(&verdict), (GateStatus::Missing, Some("missing")));
    assert_eq!(
        verdict
            .areas
            .iter()
            .find(|a| a.name == "performance")
            .unwrap()
            .status,
        AreaStatus::Grey
    );
    assert_eq!(verdict.decision, Decision::NoGo);

    let policy = Policy::parse(
        "[[gate]]\nname = \"g\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"rate < 1%\"\nmax_age = \"24h\"\n",
        None, gonogo_catalog::CATALOG,
    )
    .unwrap();
    let old = [record(
        "junit",
        "2026-11-20T12:00:00Z",
        vec![("tests.failed", ratio(0, 10_000))],
    )];
    let verdict = evaluate(&policy, &old, now(), None);
    assert_eq!(status(&verdict), (GateStatus::Missing, Some("stale")));
    assert_eq!(
        verdict.gates[0].why,
        "the newest evidence for `tests.failed` is 5 d old, more than max_age 24 h"
    );

    // One fresh and one stale record: the stale one is excluded, and the gate says so.
    let mixed = [
        old[0].clone(),
        record(
            "junit",
            "2026-11-25T11:00:00Z",
            vec![("tests.failed", ratio(0, 10_000))],
        ),
    ];
    let verdict = evaluate(&policy, &mixed, now(), None);
    assert_eq!(verdict.gates[0].status, GateStatus::Pass);
    assert_eq!(
        rules(&verdict),
        vec!["excluded 1 record older than max_age 24 h".to_owned()]
    );
    assert_eq!(verdict.gates[0].evidence.len(), 1);

    let policy = Policy::parse(
        "[[gate]]\nname = \"g\"\narea = \"performance\"\nmetric = \"load.api.latency\"\nexpect = \"p(95) < 1s\"\n[env.staging]\nrequires = [\"load\", \"junit\"]\n",
        Some("staging"), gonogo_catalog::CATALOG,
    )
    .unwrap();
    let only_junit = [record("junit", NOW, vec![("tests.failed", ratio(0, 10))])];
    let verdict = evaluate(&policy, &only_junit, now(), None);
    assert_eq!(status(&verdict), (GateStatus::Missing, Some("partial")));
    assert_eq!(verdict.missing_kinds, vec!["load".to_owned()]);
    assert_eq!(verdict.decision, Decision::NoGo);
}

#[test]
fn a_required_kind_that_never_arrived_stops_the_release_even_when_gates_pass() {
    let policy = Policy::parse(
        "[[gate]]\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"rate < 1%\"\n[env.ci]\nrequires = [\"coverage\"]\n",
        Some("ci"), gonogo_catalog::CATALOG,
    )
    .unwrap();
    let evidence = [record(
        "junit",
        NOW,
        vec![("tests.failed", ratio(0, 10_000))],
    )];
    let verdict = evaluate(&policy, &evidence, now(), None);
    assert_eq!(verdict.gates[0].status, GateStatus::Pass);
    assert_eq!(verdict.decision, Decision::NoGo);
}

#[test]
fn waivers_apply_until_they_expire() {
    let text = |expires: &str| {
        format!(
            "[[gate]]\nname = \"errors\"\narea = \"reliability\"\nmetric = \"load.api.errors\"\nexpect = \"rate < 0.5%\"\n\
             [[waiver]]\ngate = \"errors\"\nreason = \"retry storm fix in 1.4\"\nowner = \"alice\"\nexpires = \"{expires}\"\n"
        )
    };
    let evidence = [record(
        "load",
        NOW,
        vec![("load.api.errors", ratio(50, 1000))],
    )];

    let active = Policy::parse(&text("2026-11-25"), None, gonogo_catalog::CATALOG).unwrap();
    let verdict = evaluate(&active, &evidence, now(), None);
    assert_eq!(status(&verdict), (GateStatus::Waived, Some("waived")));
    assert_eq!(
        verdict.gates[0].waiver.as_ref().unwrap().underlying,
        GateStatus::Fail
    );
    assert_eq!(
        verdict.decision,
        Decision::NoGo,
        "a waiver alone earns no GO: no blocker passed on evidence"
    );
    // With a blocker that passes on evidence, the waived one does not stop the release.
    let with_pass = Policy::parse(
        &format!(
            "{}[[gate]]\nname = \"tests\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count == 0\"\n",
            text("2026-11-25")
        ),
        None, gonogo_catalog::CATALOG,
    )
    .unwrap();
    let mut both = evidence.to_vec();
    both.push(record("junit", NOW, vec![("tests.failed", ratio(0, 40))]));
    let verdict = evaluate(&with_pass, &both, now(), None);
    assert_eq!(
        verdict.decision,
        Decision::Go,
        "a waived blocker does not stop the release"
    );
    assert_eq!(
        verdict
            .areas
            .iter()
            .find(|a| a.name == "reliability")
            .unwrap()
            .status,
        AreaStatus::Yellow,
        "a waived gate is never green"
    );

    let expired = Policy::parse(&text("2026-11-24"), None, gonogo_catalog::CATALOG).unwrap();
    let verdict = evaluate(&expired, &evidence, now(), None);
    assert_eq!(status(&verdict), (GateStatus::Fail, Some("breached")));
    assert!(verdict.gates[0].waiver.as_ref().unwrap().expired);
    assert_eq!(
        rules(&verdict),
        vec!["the waiver by alice expired on 2026-11-24: the gate counts again".to_owned()]
    );
    assert_eq!(verdict.decision, Decision::NoGo);
}

#[test]
fn relative_gates_need_a_baseline_with_enough_samples() {
    let evidence = [record(
        "load",
        NOW,
        vec![(
            "load.api.latency",
            latencies((0..10_000).map(|i| 100_000 + i)),
        )],
    )];
    let policy = Policy::parse(
        "[[gate]]\nname = \"p95\"\narea = \"performance\"\nmetric = \"load.api.latency\"\nexpect = \"p(95) <= +10%\"\n",
        None, gonogo_catalog::CATALOG,
    )
    .unwrap();

    let verdict = evaluate(&policy, &evidence, now(), None);
    assert_eq!(
        status(&verdict),
        (GateStatus::Inconclusive, Some("no_baseline"))
    );

    // A baseline carries its point, n and its interval at 1 − α/2 (97.5 %).
    let baseline = |point: f64, n: u64, lower: f64, upper: f64| Baseline {
        reference: None,
        gates: [(
            "p95".to_owned(),
            BaselineGate {
                metric: "load.api.latency".into(),
                aggregate: "p(95)".into(),
                point: Some(point),
                n: Some(n),
                k: None,
                interval: Some(gonogo_core::stats::Interval { lower, upper }),
            },
        )]
        .into(),
    };
    // Current p95 is about 109.5 ms, its 97.5 % interval within [109.4 ms, 109.6 ms].
    let current = verdict.gates[0].measured.as_ref().unwrap().pair.unwrap();
    assert!(
        current.lower > 0.1093 && current.upper < 0.1097,
        "{current:?}"
    );
    // 109.6 ≤ 1.1 × 104: pass.
    let verdict = evaluate(
        &policy,
        &evidence,
        now(),
        Some(&baseline(0.105, 10_000, 0.104, 0.106)),
    );
    assert_eq!(
        status(&verdict),
        (GateStatus::Pass, None),
        "{}",
        verdict.gates[0].why
    );
    assert!(
        rules(&verdict).contains(
            &"two samples: each run's interval at 97.5%, compared conservatively".to_owned()
        ),
        "{:?}",
        rules(&verdict)
    );
    // 109.4 > 1.1 × 80: fail.
    let verdict = evaluate(
        &policy,
        &evidence,
        now(),
        Some(&baseline(0.08, 10_000, 0.078, 0.08)),
    );
    assert_eq!(status(&verdict), (GateStatus::Fail, Some("breached")));
    // The point (109.5 ≤ 1.1 × 99.5 = 109.45? no) aside, 1.1 × 99 = 108.9 < 109.6 and
    // 109.4 ≤ 1.1 × 100 = 110: the two intervals overlap the margin, inconclusive.
    let verdict = evaluate(
        &policy,
        &evidence,
        now(),
        Some(&baseline(0.0995, 10_000, 0.099, 0.100)),
    );
    assert_eq!(
        status(&verdict),
        (GateStatus::Inconclusive, Some("too_few_samples")),
        "{}",
        verdict.gates[0].why
    );
    // A baseline whose interval is unbounded (50 samples cannot bound a p95) is no baseline.
    let verdict = evaluate(
        &policy,
        &evidence,
        now(),
        Some(&baseline(0.105, 50, 0.09, f64::INFINITY)),
    );
    assert_eq!(
        status(&verdict),
        (GateStatus::Inconclusive, Some("no_baseline"))
    );
    assert_eq!(
        verdict.gates[0].why,
        "the baseline's p(95) has no bounded interval at 97.5% (too few samples: 50), so it cannot anchor a comparison"
    );
}

/// Issue 17: a relative gate added since the baseline found nothing, because the baseline
/// was looked up by gate name. It is found by metric and aggregate now; a gate of the same name
/// that measured something else is never taken for it.
#[test]
fn a_relative_gate_finds_its_baseline_by_metric_and_aggregate() {
    let evidence = [record(
        "load",
        NOW,
        vec![(
            "load.api.latency",
            latencies((0..10_000).map(|i| 100_000 + i)),
        )],
    )];
    let policy = Policy::parse(
        "[[gate]]\nname = \"p95 regression\"\narea = \"performance\"\nmetric = \"load.api.latency\"\nexpect = \"p(95) <= +10%\"\n",
        None, gonogo_catalog::CATALOG,
    )
    .unwrap();
    let gate = |metric: &str, aggregate: &str, lower: f64, upper: f64| BaselineGate {
        metric: metric.into(),
        aggregate: aggregate.into(),
        point: Some((lower + upper) / 2.0),
        n: Some(10_000),
        k: None,
        interval: Some(gonogo_core::stats::Interval { lower, upper }),
    };
    // Last release had only `p95 < 500ms` (another name); this release adds the relative gate.
    let baseline = Baseline {
        reference: None,
        gates: [
            (
                "p95 regression".to_owned(),
                gate("load.other.latency", "p(95)", 0.01, 0.011),
            ),
            (
                "p95 absolute".to_owned(),
                gate("load.api.latency", "p(95)", 0.104, 0.106),
            ),
            (
                "p99 absolute".to_owned(),
                gate("load.api.latency", "p(99)", 0.5, 0.6),
            ),
        ]
        .into(),
    };
    let verdict = evaluate(&policy, &evidence, now(), Some(&baseline));
    assert_eq!(
        status(&verdict),
        (GateStatus::Pass, None),
        "{}",
        verdict.gates[0].why
    );
    // Compared with 104–106 ms (the p(95) of load.api.latency), not the same-named gate's
    // 10 ms (another metric, which would fail it) nor the p(99).
    assert!(
        verdict.gates[0].why.contains("104"),
        "{}",
        verdict.gates[0].why
    );

    let only_other = Baseline {
        reference: None,
        gates: [(
            "p95 regression".to_owned(),
            gate("load.api.latency", "p(99)", 0.104, 0.106),
        )]
        .into(),
    };
    let verdict = evaluate(&policy, &evidence, now(), Some(&only_other));
    assert_eq!(
        status(&verdict),
        (GateStatus::Inconclusive, Some("no_baseline"))
    );
    assert_eq!(
        verdict.gates[0].why,
        "the baseline measured no p(95) of `load.api.latency` (no gate of it had evidence then)"
    );
}

#[test]
fn records_combine_and_say_how() {
    let from = |mut r: Evidence, file: &str| {
        r.source = Source::File(file.into());
        r.sha256 = sha256_hex(file.as_bytes());
        r
    };
    let evidence = [
        from(
            record("junit", NOW, vec![("tests.failed", ratio(1, 500))]),
            "unit.xml",
        ),
        from(
            record(
                "junit",
                "2026-11-25T11:00:00Z",
                vec![("tests.failed", ratio(0, 500))],
            ),
            "integration.xml",
        ),
        from(
            record(
                "load",
                NOW,
                vec![("load.a.latency", latencies([1000; 300]))],
            ),
            "segment-0.json",
        ),
        from(
            record(
                "load",
                NOW,
                vec![("load.a.latency", latencies([2000; 300]))],
            ),
            "segment-1.json",
        ),
    ];
    let verdict = judge_one("tests.failed", "rate < 5%", &evidence);
    assert_eq!(
        rules(&verdict),
        vec!["summed 2 records: 1 of 1000 requests".to_owned()]
    );
    assert_eq!(verdict.gates[0].measured.as_ref().unwrap().n, Some(1000));

    let verdict = judge_one("load.a.latency", "count >= 600", &evidence);
    assert_eq!(verdict.gates[0].status, GateStatus::Pass);
    assert_eq!(
        rules(&verdict)[0],
        "merged the histograms of 2 records (600 samples)"
    );
}

#[test]
fn plain_values_compare_exactly_and_a_re_measurement_supersedes() {
    let days = |d: f64| Metric::value(d, Unit::parse("d"));
    let evidence = [
        record(
            "probe",
            "2026-11-24T12:00:00Z",
            vec![("probe.api.cert_expiry", days(10.0))],
        ),
        record("probe", NOW, vec![("probe.api.cert_expiry", days(41.0))]),
    ];
    let verdict = judge_one("probe.api.cert_expiry", "value > 30d", &evidence);
    assert_eq!(status(&verdict), (GateStatus::Pass, None));
    assert_eq!(
        verdict.gates[0].evidence.len(),
        1,
        "only the record used is cited"
    );
    assert_eq!(
        rules(&verdict)[0],
        "1 older measurement of probe.json superseded by the newest"
    );
    // Two different sources are two certificates: the worst counts, never the newest.
    let mut other = evidence[0].clone();
    other.source = Source::File("other-probe.json".into());
    let verdict = judge_one(
        "probe.api.cert_expiry",
        "value > 30d",
        &[other, evidence[1].clone()],
    );
    assert_eq!(status(&verdict), (GateStatus::Fail, Some("breached")));
    assert_eq!(rules(&verdict)[0], "combined 2 sources: min");
}

#[test]
fn evidence_of_the_wrong_shape_is_unparseable() {
    let evidence = [record(
        "custom",
        NOW,
        vec![("load.api.latency", Metric::value(3.0, Unit::parse("ms")))],
    )];
    let verdict = judge_one("load.api.latency", "p(95) < 1s", &evidence);
    assert_eq!(status(&verdict), (GateStatus::Missing, Some("unparseable")));
}

#[test]
fn blockers_rank_by_how_far_they_miss() {
    let policy = Policy::parse(
        r#"
[[gate]]
name = "slightly"
area = "reliability"
metric = "load.a.errors"
expect = "rate < 10%"
[[gate]]
name = "badly"
area = "reliability"
metric = "load.b.errors"
expect = "rate < 10%"
[[gate]]
name = "nothing"
area = "functionality"
metric = "tests.failed"
expect = "rate < 1%"
[[gate]]
name = "warned"
area = "performance"
metric = "load.c.errors"
expect = "rate < 10%"
severity = "warn"
[[gate]]
name = "fine"
area = "security"
metric = "load.d.errors"
expect = "rate < 10%"
"#,
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap();
    let evidence = [record(
        "load",
        NOW,
        vec![
            ("load.a.errors", ratio(150, 1000)),
            ("load.b.errors", ratio(600, 1000)),
            ("load.c.errors", ratio(600, 1000)),
            ("load.d.errors", ratio(0, 1000)),
        ],
    )];
    let verdict = evaluate(&policy, &evidence, now(), None);
    let names = |list: &[usize]| {
        list.iter()
            .map(|&i| verdict.gates[i].name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&verdict.blockers),
        vec!["nothing", "badly", "slightly"]
    );
    assert_eq!(names(&verdict.warnings), vec!["warned"]);
    let area = |name: &str| {
        verdict
            .areas
            .iter()
            .find(|a| a.name == name)
            .unwrap()
            .status
    };
    assert_eq!(area("reliability"), AreaStatus::Red);
    assert_eq!(area("performance"), AreaStatus::Yellow);
    assert_eq!(area("security"), AreaStatus::Green);
    assert_eq!(area("functionality"), AreaStatus::Grey);
    assert_eq!(area("delivery"), AreaStatus::Grey);
    assert_eq!(verdict.decision, Decision::NoGo);
    assert_eq!(verdict.evidence.len(), 1, "one record cited once");

    // Re-judging under a looser policy flips the gates that would change.
    let before: Vec<(String, GateStatus)> = verdict
        .gates
        .iter()
        .map(|g| (g.name.clone(), g.status))
        .collect();
    let looser = Policy::parse(
        r#"
[[gate]]
name = "slightly"
area = "reliability"
metric = "load.a.errors"
expect = "rate < 20%"
"#,
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap();
    let after = evaluate(&looser, &evidence, now(), None);
    let changes = flips(&before, &after);
    assert_eq!(changes.len(), 5);
    assert_eq!(
        (
            changes[0].gate.as_str(),
            changes[0].before,
            changes[0].after
        ),
        ("slightly", Some(GateStatus::Fail), Some(GateStatus::Pass))
    );
    assert!(changes[1..].iter().all(|f| f.after.is_none()));
}

#[test]
fn reason_codes_are_stable_words() {
    let all = [
        Reason::Breached,
        Reason::Missing,
        Reason::Stale,
        Reason::Partial,
        Reason::TooFewSamples,
        Reason::NoBaseline,
        Reason::Unparseable,
        Reason::Waived,
    ];
    let words: Vec<&str> = all.iter().map(|r| r.as_str()).collect();
    assert_eq!(
        words,
        [
            "breached",
            "missing",
            "stale",
            "partial",
            "too_few_samples",
            "no_baseline",
            "unparseable",
            "waived"
        ]
    );
}
