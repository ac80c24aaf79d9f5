//! Every table of `shared/specs/statistics.md` (version 2) as a test, plus seeded simulations
//! of the decision rules at their margin (run with `--nocapture` to see the figures).

use gonogo_core::stats::{
    self, Fraction, Interval, clopper_pearson, quantile_ranks, quantile_ranks_with,
    ratio_score_interval, samples_for_tail, t_interval, t_quantile, tail_bound,
};

fn percent4(x: f64) -> f64 {
    (x * 100.0 * 10_000.0).round() / 10_000.0
}

fn round(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

/// The Clopper–Pearson table.
#[test]
fn clopper_pearson_matches_the_spec_table() {
    let table: [(u64, u64, f64, f64); 11] = [
        (0, 1, 0.0, 97.5),
        (0, 20, 0.0, 16.8433),
        (2, 13, 1.9207, 45.4471),
        (0, 735, 0.0, 0.5006),
        (0, 736, 0.0, 0.5000),
        (0, 5000, 0.0, 0.0738),
        (1, 1000, 0.0025, 0.5559),
        (15, 100, 8.6454, 23.5308),
        (11, 13, 54.5529, 98.0793),
        (4, 4, 39.7635, 100.0),
        (2000, 2000, 99.8157, 100.0),
    ];
    for (k, n, lower, upper) in table {
        let i = clopper_pearson(k as f64, n as f64, 0.95);
        assert_eq!(
            (percent4(i.lower), percent4(i.upper)),
            (lower, upper),
            "k = {k}, n = {n}: {i:?}"
        );
    }
    // 0 of 736 is just under 0.5 %: 0.499953 %.
    let i = clopper_pearson(0.0, 736.0, 0.95);
    assert_eq!(round(i.upper * 100.0, 6), 0.499953);
    assert!(clopper_pearson(0.0, 735.0, 0.95).upper > 0.005);
    // With k = 0 the upper end is 1 − (α/2)^(1/n): the tail bound.
    for n in [1u64, 20, 368, 736, 3688, 100_000] {
        let cp = clopper_pearson(0.0, n as f64, 0.95).upper;
        assert!((cp - tail_bound(n, 0.95)).abs() < 1e-12, "n = {n}");
    }
    // The sample sizes the spec quotes.
    assert_eq!(samples_for_tail(0.005, 0.95), 736);
    assert_eq!(samples_for_tail(0.01, 0.95), 368);
    assert_eq!(samples_for_tail(0.001, 0.95), 3688);
}

/// The order-statistics table, including the two rows no histogram can hold.
#[test]
fn quantile_ranks_match_the_spec_table() {
    type Row = (f64, u64, f64, Option<u64>, Option<u64>);
    let table: [Row; 12] = [
        (0.99, 4, 0.95, Some(3), None),
        (0.99, 367, 0.95, Some(359), None),
        (0.99, 368, 0.95, Some(360), Some(368)),
        (0.95, 71, 0.95, Some(63), None),
        (0.95, 72, 0.95, Some(64), Some(72)),
        (0.95, 100, 0.95, Some(90), Some(100)),
        (0.95, 100, 0.975, Some(90), Some(100)),
        (0.99, 1000, 0.95, Some(983), Some(997)),
        (0.95, 1000, 0.975, Some(934), Some(966)),
        (0.95, 10000, 0.95, Some(9457), Some(9543)),
        (0.95, 10000, 0.975, Some(9451), Some(9549)),
        (0.99, 10000, 0.95, Some(9880), Some(9920)),
    ];
    for (q, n, c, j, k) in table {
        assert_eq!(quantile_ranks(n, q, c), (j, k), "q = {q}, n = {n}, c = {c}");
    }
    assert_eq!(stats::min_samples_for_upper(0.99, 0.95), 368);
    assert_eq!(stats::min_samples_for_upper(0.95, 0.95), 72);

    let n = 1_000_000_000_000u64;
    assert_eq!(
        quantile_ranks_with(n, 1.0 - 1e-9, 1e-9, 0.95),
        (Some(n - 1062), Some(n - 937))
    );
    let n = 1_000_000_000_000_000u64;
    assert_eq!(
        quantile_ranks_with(n, 1.0 - 1e-12, 1e-12, 0.95),
        (Some(n - 1062), Some(n - 937))
    );
}

/// The point estimate's rank uses the policy's decimal exactly.
#[test]
fn point_rank_is_exact_in_the_decimal() {
    let q = Fraction::from_percent(99.9).unwrap();
    assert_eq!(q.rank(1000), 999);
    let mut histogram = gonogo_core::evidence::latency_histogram();
    for v in 1..=1000u64 {
        histogram.record(v).unwrap();
    }
    assert_eq!(stats::quantile_point(&histogram, q), 999.0);
    assert_eq!(Fraction::from_percent(95.0).unwrap().rank(100), 95);
    assert_eq!(Fraction::from_percent(99.99).unwrap().rank(10_000), 9999);
    assert_eq!(Fraction::from_percent(50.0).unwrap().rank(1), 1);
}

/// The mean table.
#[test]
fn t_interval_matches_the_spec_table() {
    assert_eq!(round(t_quantile(0.975, 1.0), 3), 12.706);
    assert_eq!(round(t_quantile(0.975, 29.0), 4), 2.0452);
    assert_eq!(round(t_quantile(0.975, 1e6), 3), 1.960);

    let (mean, sd) = mean_sd(&[100.0, 110.0]);
    assert_eq!((mean, round(sd, 4)), (105.0, 7.0711));
    let i = t_interval(mean, sd, 2, 0.95);
    assert_eq!((round(i.lower, 3), round(i.upper, 3)), (41.469, 168.531));

    let samples: Vec<f64> = (100..130).map(f64::from).collect();
    let (mean, sd) = mean_sd(&samples);
    assert_eq!((mean, round(sd, 4)), (114.5, 8.8034));
    let i = t_interval(mean, sd, 30, 0.95);
    assert_eq!((round(i.lower, 3), round(i.upper, 3)), (111.213, 117.787));
}

fn mean_sd(samples: &[f64]) -> (f64, f64) {
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let squares = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
    (mean, (squares / (n - 1.0)).sqrt())
}

/// The relative-rate table: the score interval of current ÷ baseline.
#[test]
fn ratio_score_interval_matches_the_spec_table() {
    let table: [(u64, u64, u64, u64, f64, f64); 5] = [
        (20, 1000, 25, 1000, 0.7045, 2.2189),
        (200, 10000, 180, 10000, 0.7375, 1.0983),
        (200, 10000, 300, 10000, 1.2573, 1.7897),
        (50, 5000, 40, 5000, 0.5303, 1.2067),
        (10, 500, 1000, 50000, 0.5475, 1.8403),
    ];
    for (k0, n0, k1, n1, lower, upper) in table {
        let i = ratio_score_interval(k1, n1, k0, n0, 0.95).unwrap();
        assert_eq!(
            (round(i.lower, 4), round(i.upper, 4)),
            (lower, upper),
            "{k1}/{n1} over {k0}/{n0}: {i:?}"
        );
    }
    assert_eq!(ratio_score_interval(0, 100, 0, 100, 0.95), None);
    let i = ratio_score_interval(0, 100, 5, 100, 0.95).unwrap();
    assert_eq!(i.lower, 0.0);
    let i = ratio_score_interval(5, 100, 0, 100, 0.95).unwrap();
    assert!(i.upper.is_infinite());
}

/// The interval a relative rate gate decides on: the same table with Gart and Nam's skewness
/// correction (figures from an independent Python implementation with scipy's `brentq`, which
/// reproduces the spec's plain column above to 4 decimals). Every decision of the spec's table
/// stays the same; where the sizes differ the corrected interval is wider on the side the
/// smaller sample leans to.
#[test]
fn corrected_ratio_interval_keeps_the_spec_decisions() {
    use gonogo_core::stats::ratio_score_interval_corrected;
    let table: [(u64, u64, u64, u64, f64, f64, &str); 6] = [
        (20, 1000, 25, 1000, 0.6994, 2.2566, "inconclusive"),
        (200, 10000, 180, 10000, 0.7369, 1.0985, "pass"),
        (200, 10000, 300, 10000, 1.2579, 1.7917, "fail"),
        (50, 5000, 40, 5000, 0.5268, 1.2090, "inconclusive"),
        (10, 500, 1000, 50000, 0.5646, 1.9572, "inconclusive"),
        (100, 5000, 480, 20000, 0.9732, 1.4913, "inconclusive"),
    ];
    for (k0, n0, k1, n1, lower, upper, decision) in table {
        let i = ratio_score_interval_corrected(k1, n1, k0, n0, 0.95).unwrap();
        assert_eq!(
            (round(i.lower, 4), round(i.upper, 4)),
            (lower, upper),
            "{k1}/{n1} over {k0}/{n0}: {i:?}"
        );
        let decided = if i.upper <= 1.1 {
            "pass"
        } else if i.lower > 1.1 {
            "fail"
        } else {
            "inconclusive"
        };
        assert_eq!(decided, decision, "{k1}/{n1} over {k0}/{n0}");
    }
    assert_eq!(ratio_score_interval_corrected(0, 100, 0, 100, 0.95), None);
    assert_eq!(
        ratio_score_interval_corrected(0, 100, 5, 100, 0.95)
            .unwrap()
            .lower,
        0.0
    );
    assert!(
        ratio_score_interval_corrected(5, 100, 0, 100, 0.95)
            .unwrap()
            .upper
            .is_infinite()
    );
}

/// A skewed sample widens the t interval on the side it leans to, by `|g|·(2t² + 1)/(6n)·s`
/// (figures from numpy/scipy); a symmetric one keeps the spec's plain t interval.
#[test]
fn skewed_t_interval_widens_only_the_side_the_sample_leans_to() {
    use gonogo_core::stats::skewed_t_interval;
    let samples = [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 18.0, 25.0, 60.0];
    let n = samples.len() as f64;
    let (mean, sd) = mean_sd(&samples);
    let skewness = samples.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n / sd.powi(3);
    assert_eq!(round(skewness, 4), 1.9591);
    let i = skewed_t_interval(mean, sd, skewness, 10, 0.95);
    assert_eq!((round(i.lower, 4), round(i.upper, 4)), (8.7457, 35.5178));
    let mirrored = skewed_t_interval(-mean, sd, -skewness, 10, 0.95);
    assert_eq!(
        (round(mirrored.lower, 4), round(mirrored.upper, 4)),
        (-35.5178, -8.7457)
    );
    let plain = t_interval(114.5, 8.8034, 30, 0.95);
    assert_eq!(skewed_t_interval(114.5, 8.8034, 0.0, 30, 0.95), plain);
    assert!(
        skewed_t_interval(1.0, 1.0, 5.0, 1, 0.95)
            .upper
            .is_infinite()
    );
}

/// The relative-percentile example: each run's interval at 97.5 %.
#[test]
fn relative_percentile_example() {
    let baseline: Vec<f64> = (1..=100).map(f64::from).collect();
    let (j, k) = quantile_ranks(100, 0.95, stats::pair_confidence(0.95));
    let b = Interval {
        lower: baseline[j.unwrap() as usize - 1],
        upper: baseline[k.unwrap() as usize - 1],
    };
    assert_eq!((b.lower, b.upper), (90.0, 100.0));
    let current = |rank: u64| rank as f64 * 0.0105;
    let (j, k) = quantile_ranks(10_000, 0.95, stats::pair_confidence(0.95));
    let c = Interval {
        lower: current(j.unwrap()),
        upper: current(k.unwrap()),
    };
    assert_eq!((round(c.lower, 4), round(c.upper, 4)), (99.2355, 100.2645));
    assert_eq!(
        gonogo_core::eval::decide_relative(gonogo_core::expect::Op::Le, c, b, 1.1),
        gonogo_core::verdict::GateStatus::Inconclusive
    );
}

// ---------------------------------------------------------------------------------------------
// The same tables through the decision.

use gonogo_core::eval::{Baseline, BaselineGate, evaluate};
use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool, latency_histogram, sha256_hex};
use gonogo_core::policy::Policy;
use gonogo_core::units::Unit;
use gonogo_core::verdict::{GateStatus, Verdict};

const NOW: &str = "2026-11-25T12:00:00Z";

fn record(metrics: Vec<(&str, Metric)>) -> Evidence {
    let mut evidence = Evidence::new(
        "test",
        Source::File("evidence.json".into()),
        sha256_hex(b"evidence"),
        NOW.parse().unwrap(),
        Tool::new("test", "1"),
    );
    for (name, metric) in metrics {
        evidence.insert(name, metric);
    }
    evidence
}

fn ratio(k: u64, n: u64, unit: &str) -> Metric {
    Metric::ratio(Ratio::new(k, n).unwrap(), Unit::count(unit))
}

/// Latencies in microseconds.
fn latencies(samples: impl IntoIterator<Item = u64>) -> Metric {
    let mut histogram = latency_histogram();
    for s in samples {
        histogram.record(s).unwrap();
    }
    Metric::distribution(histogram, Unit::parse("us"))
}

fn policy(metric: &str, expect: &str, extra: &str) -> Policy {
    Policy::parse(
        &format!(
            "[[gate]]\nname = \"g\"\narea = \"performance\"\nmetric = \"{metric}\"\nexpect = \"{expect}\"\n{extra}"
        ),
        None, gonogo_catalog::CATALOG,
    )
    .unwrap()
}

fn judge(metric: &str, expect: &str, value: Metric) -> Verdict {
    judge_with(metric, expect, "", value, None)
}

fn judge_with(
    metric: &str,
    expect: &str,
    extra: &str,
    value: Metric,
    baseline: Option<&Baseline>,
) -> Verdict {
    let records = [record(vec![(metric, value)])];
    evaluate(
        &policy(metric, expect, extra),
        &records,
        NOW.parse().unwrap(),
        baseline,
    )
}

fn status(verdict: &Verdict) -> (GateStatus, Option<&'static str>) {
    let gate = &verdict.gates[0];
    (gate.status, gate.reason.map(|r| r.as_str()))
}

use GateStatus::{Fail, Inconclusive, Missing, Pass};

#[test]
fn clopper_pearson_table_decides_as_the_spec_says() {
    let rows: [(u64, u64, &str, GateStatus); 11] = [
        (0, 1, "rate < 0.5%", Inconclusive),
        (0, 20, "rate < 0.5%", Inconclusive),
        (2, 13, "rate < 0.5%", Fail),
        (0, 735, "rate < 0.5%", Inconclusive),
        (0, 736, "rate < 0.5%", Pass),
        (0, 5000, "rate < 0.5%", Pass),
        (1, 1000, "rate < 0.5%", Inconclusive),
        (15, 100, "rate < 0.5%", Fail),
        (11, 13, "rate >= 99.9%", Fail),
        (4, 4, "rate >= 99%", Inconclusive),
        (2000, 2000, "rate >= 99%", Pass),
    ];
    for (k, n, expect, expected) in rows {
        let verdict = judge("load.api.errors", expect, ratio(k, n, "requests"));
        assert_eq!(
            verdict.gates[0].status, expected,
            "{k} of {n} against {expect}: {}",
            verdict.gates[0].why
        );
    }
    // 0 of 0 proves nothing: missing, for a rate and for a census count alike.
    for expect in ["rate < 0.5%", "count == 0", "total >= 0"] {
        let verdict = judge("tests.failed", expect, ratio(0, 0, "tests"));
        assert_eq!(status(&verdict), (Missing, Some("missing")), "{expect}");
    }
}

#[test]
fn coverage_is_a_census() {
    let rows = [
        (840, 1000, "rate >= 85%", Fail),
        (840, 1000, "rate >= 84%", Pass),
        (100, 100, "rate >= 99%", Pass),
    ];
    for (k, n, expect, expected) in rows {
        let verdict = judge("coverage.lines", expect, ratio(k, n, "lines"));
        let gate = &verdict.gates[0];
        assert_eq!(gate.status, expected, "{k} of {n} {expect}: {}", gate.why);
        let measured = gate.measured.as_ref().unwrap();
        assert_eq!(measured.interval, None, "a census has no interval");
        assert_eq!(gate.rules[0].kind(), "census");
    }
    let verdict = judge("coverage.branches", "rate >= 80%", ratio(0, 0, "branches"));
    assert_eq!(status(&verdict), (Missing, Some("missing")));
    // Test outcomes stay a sample for `rate`, and are exact for `count`.
    let verdict = judge("tests.failed", "rate < 1%", ratio(0, 100, "tests"));
    assert_eq!(status(&verdict), (Inconclusive, Some("too_few_samples")));
    let verdict = judge("tests.failed", "count == 0", ratio(0, 100, "tests"));
    assert_eq!(status(&verdict), (Pass, None));
}

#[test]
fn max_and_min_are_tail_claims() {
    // One request of 1.5 ms against max < 400ms: inconclusive, not a pass.
    let verdict = judge("load.api.latency", "max < 400ms", latencies([1500]));
    assert_eq!(status(&verdict), (Inconclusive, Some("too_few_samples")));
    assert_eq!(
        verdict.gates[0]
            .settle
            .as_ref()
            .map(|s| s.to_string())
            .as_deref(),
        Some("needs about 367 more samples (n ≈ 368) if the distribution holds")
    );
    // 367 samples bound the tail to just above 1 %; 368 to within it.
    let verdict = judge("load.api.latency", "max < 400ms", latencies([1500; 367]));
    assert_eq!(verdict.gates[0].status, Inconclusive);
    let verdict = judge("load.api.latency", "max < 400ms", latencies([1500; 368]));
    assert_eq!(status(&verdict), (Pass, None), "{}", verdict.gates[0].why);
    // One sample past t is conclusive, whatever n.
    let verdict = judge(
        "load.api.latency",
        "max < 400ms",
        latencies([1500, 450_000]),
    );
    assert_eq!(status(&verdict), (Fail, Some("breached")));
    // A gate may ask for a smaller tail: 0.1 % needs 3688 samples.
    let verdict = judge_with(
        "load.api.latency",
        "max < 400ms",
        "tail = \"0.1%\"\n",
        latencies([1500; 1000]),
        None,
    );
    assert_eq!(verdict.gates[0].status, Inconclusive);
    let verdict = judge_with(
        "load.api.latency",
        "max < 400ms",
        "tail = \"0.1%\"\n",
        latencies([1500; 3688]),
        None,
    );
    assert_eq!(verdict.gates[0].status, Pass);
    // The mirror: min > t.
    let verdict = judge("load.api.latency", "min > 1ms", latencies([1500; 10]));
    assert_eq!(verdict.gates[0].status, Inconclusive);
    let verdict = judge("load.api.latency", "min > 1ms", latencies([1500; 400]));
    assert_eq!(verdict.gates[0].status, Pass);
    let verdict = judge("load.api.latency", "min > 1ms", latencies([500, 1500]));
    assert_eq!(verdict.gates[0].status, Fail);
}

#[test]
fn mean_uses_t_and_needs_thirty_samples() {
    // 100 and 110 ms: [41.469, 168.531] ms, inconclusive against 120 ms.
    let verdict = judge(
        "load.api.latency",
        "mean < 120ms",
        latencies([100_000, 110_000]),
    );
    let gate = &verdict.gates[0];
    assert_eq!(gate.status, Inconclusive, "{}", gate.why);
    let i = gate.measured.as_ref().unwrap().interval.unwrap();
    assert!(
        (i.lower - 0.041469).abs() < 2e-4 && (i.upper - 0.168531).abs() < 2e-4,
        "{i:?}"
    );
    // 100..129 ms: [111.213, 117.787] ms (widened by bucket resolution), a pass.
    let verdict = judge(
        "load.api.latency",
        "mean < 120ms",
        latencies((100..130).map(|ms| ms * 1000)),
    );
    let gate = &verdict.gates[0];
    assert_eq!(gate.status, Pass, "{}", gate.why);
    let i = gate.measured.as_ref().unwrap().interval.unwrap();
    assert!(i.lower <= 0.111213 && i.lower > 0.1111, "{i:?}");
    assert!(i.upper >= 0.117787 && i.upper < 0.1179, "{i:?}");
    // 29 samples that would pass cannot.
    let verdict = judge("load.api.latency", "mean < 120ms", latencies([100_000; 29]));
    assert_eq!(status(&verdict), (Inconclusive, Some("too_few_samples")));
    assert!(verdict.gates[0].why.contains("at least 30 samples"));
}

#[test]
fn estimates_never_pass_or_fail() {
    let p95 = Metric::value(412.0, Unit::parse("ms")).as_estimate();
    let verdict = judge("k6.http_req_duration.p95", "value < 500ms", p95);
    assert_eq!(status(&verdict), (Inconclusive, Some("no_distribution")));
    assert!(verdict.gates[0].why.contains("--out json"));
    let p95 = Metric::value(612.0, Unit::parse("ms")).as_estimate();
    let verdict = judge("k6.http_req_duration.p95", "value < 500ms", p95);
    assert_eq!(status(&verdict), (Inconclusive, Some("no_distribution")));
    // An exact value compares directly.
    let days = Metric::value(41.0, Unit::parse("d"));
    let verdict = judge("probe.api.cert_expiry", "value > 14d", days);
    assert_eq!(status(&verdict), (Pass, None));
}

#[test]
fn relative_rates_are_two_sample() {
    let rows = [
        (20, 1000, 25, 1000, Inconclusive),
        (200, 10000, 180, 10000, Pass),
        (200, 10000, 300, 10000, Fail),
        (50, 5000, 40, 5000, Inconclusive),
        (10, 500, 1000, 50000, Inconclusive),
    ];
    for (k0, n0, k1, n1, expected) in rows {
        let baseline = rate_baseline(k0, n0);
        let verdict = judge_with(
            "load.api.errors",
            "rate <= +10%",
            "",
            ratio(k1, n1, "requests"),
            Some(&baseline),
        );
        assert_eq!(
            verdict.gates[0].status, expected,
            "{k1}/{n1} over {k0}/{n0}: {}",
            verdict.gates[0].why
        );
    }
    // Both rates 0: inconclusive.
    let verdict = judge_with(
        "load.api.errors",
        "rate <= +10%",
        "",
        ratio(0, 1000, "requests"),
        Some(&rate_baseline(0, 1000)),
    );
    assert_eq!(status(&verdict), (Inconclusive, Some("too_few_samples")));
}

fn rate_baseline(k: u64, n: u64) -> Baseline {
    Baseline {
        reference: None,
        gates: [(
            "g".to_owned(),
            BaselineGate {
                metric: "load.api.errors".into(),
                aggregate: "rate".into(),
                point: Some(k as f64 / n as f64),
                n: Some(n),
                k: Some(k),
                interval: None,
            },
        )]
        .into(),
    }
}

#[test]
fn relative_percentiles_compare_both_intervals() {
    // Baseline: 1..100 ms, its p95 at 97.5 % in [90, 100] ms.
    let baseline_records = [record(vec![(
        "load.api.latency",
        latencies((1..=100).map(|ms| ms * 1000)),
    )])];
    let absolute = policy("load.api.latency", "p(95) < 1s", "");
    let base = evaluate(&absolute, &baseline_records, NOW.parse().unwrap(), None);
    let pair = base.gates[0].measured.as_ref().unwrap().pair.unwrap();
    assert!(pair.lower <= 0.090 && pair.lower > 0.0899, "{pair:?}");
    assert!(pair.upper >= 0.100 && pair.upper < 0.1001, "{pair:?}");
    let baseline = Baseline {
        reference: None,
        gates: [(
            "g".to_owned(),
            BaselineGate {
                metric: "load.api.latency".into(),
                aggregate: "p(95)".into(),
                point: Some(base.gates[0].measured.as_ref().unwrap().point),
                n: Some(100),
                k: None,
                interval: Some(pair),
            },
        )]
        .into(),
    };
    // Current: 10,000 samples evenly over 0.0105..105 ms; p95 in about [99.24, 100.26] ms.
    let current = latencies((1..=10_000u64).map(|i| i * 105 / 10));
    let verdict = judge_with(
        "load.api.latency",
        "p(95) <= +10%",
        "",
        current,
        Some(&baseline),
    );
    assert_eq!(
        status(&verdict),
        (Inconclusive, Some("too_few_samples")),
        "{}",
        verdict.gates[0].why
    );
}

#[test]
fn thresholds_that_cannot_mean_what_they_say_are_policy_errors() {
    let problems = |metric: &str, expect: &str, extra: &str| -> Vec<String> {
        match Policy::parse(
            &format!(
                "[[gate]]\nname = \"g\"\narea = \"performance\"\nmetric = \"{metric}\"\nexpect = \"{expect}\"\n{extra}"
            ),
            None,
            gonogo_catalog::CATALOG,
        ) {
            Ok(policy) => policy
                .check_metrics(&Default::default())
                .into_iter()
                .map(|p| format!("{} | {}", p.message, p.help.unwrap_or_default()))
                .collect(),
            Err(problems) => problems
                .into_iter()
                .map(|p| format!("{} | {}", p.message, p.help.unwrap_or_default()))
                .collect(),
        }
    };
    let one = |metric: &str, expect: &str, extra: &str| {
        let found = problems(metric, expect, extra);
        assert_eq!(found.len(), 1, "{metric} {expect}: {found:?}");
        found[0].clone()
    };
    assert!(one("load.api.errors", "rate < 1", "").contains("did you mean 1%?"));
    assert!(one("probe.api.availability", "rate >= 5", "").contains("did you mean 5%?"));
    assert!(one("load.api.errors", "rate < 101%", "").contains("can never be crossed"));
    assert!(one("load.api.errors", "rate >= 100.5%", "").contains("can never be crossed"));
    assert!(one("load.api.latency", "p(95) < 1e309ms", "").contains("too large"));
    assert!(one("load.api.latency", "p(95) < 1e305d", "").contains("overflows"));
    assert!(one("load.api.latency", "p(95) < 500", "").contains("the unit does not fit"));
    assert!(one("load.api.latency", "max < 1s", "confidence = 0.5\n").contains("0.90"));
    assert!(one("load.api.latency", "max < 1s", "tail = \"2\"\n").contains("percentage"));
    // k6-style bare fractions below 1 stay allowed, and so do sensible thresholds.
    assert!(problems("load.api.errors", "rate < 0.01", "").is_empty());
    assert!(problems("load.api.errors", "rate < 0.5%", "confidence = 0.9999\n").is_empty());
    assert!(problems("load.api.latency", "max < 1s", "tail = \"0.1%\"\n").is_empty());
    // The policy-wide confidence too.
    let policy_wide = Policy::parse(
        "[policy]\nconfidence = 0.5\n[[gate]]\narea = \"performance\"\nmetric = \"load.api.errors\"\nexpect = \"rate < 0.5%\"\n",
        None,
        gonogo_catalog::CATALOG,
    );
    assert!(policy_wide.is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A census ratio never gets an interval, and is never inconclusive.
        #[test]
        fn a_census_never_gets_an_interval(n in 1u64..1_000_000, share in 0.0f64..=1.0, which in 0usize..3, t in 1u32..100) {
            let k = ((n as f64) * share).floor() as u64;
            let metric = ["coverage.lines", "coverage.branches", "coverage.functions"][which];
            let verdict = judge(metric, &format!("rate >= {t}%"), ratio(k, n, "lines"));
            let gate = &verdict.gates[0];
            prop_assert_eq!(gate.measured.as_ref().unwrap().interval, None);
            prop_assert_eq!(gate.measured.as_ref().unwrap().pair, None);
            let expected = if k as f64 / n as f64 >= f64::from(t) / 100.0 { Pass } else { Fail };
            prop_assert_eq!(gate.status, expected);
        }

        /// A sampled rate's interval contains its point, and a larger sample at the same
        /// proportion never widens it.
        #[test]
        fn a_rate_interval_contains_its_point_and_narrows(k in 0u64..500, extra in 1u64..500, scale in 2u64..8) {
            let n = k + extra;
            let small = judge("load.api.errors", "rate < 5%", ratio(k, n, "requests"));
            let big = judge("load.api.errors", "rate < 5%", ratio(k * scale, n * scale, "requests"));
            let small = small.gates[0].measured.clone().unwrap();
            let big = big.gates[0].measured.clone().unwrap();
            let (si, bi) = (small.interval.unwrap(), big.interval.unwrap());
            prop_assert!(si.contains(small.point));
            prop_assert!(bi.contains(big.point));
            prop_assert!(bi.upper - bi.lower <= si.upper - si.lower + 1e-12);
        }

        /// The relative rate interval gates decide on contains current ÷ baseline, and a
        /// larger pair of samples at the same proportions never widens it.
        #[test]
        fn a_ratio_interval_contains_its_point_and_narrows(k0 in 1u64..300, e0 in 1u64..3000, k1 in 1u64..300, e1 in 1u64..3000, scale in 2u64..8) {
            use gonogo_core::stats::ratio_score_interval_corrected;
            let (n0, n1) = (k0 + e0, k1 + e1);
            let point = (k1 as f64 / n1 as f64) / (k0 as f64 / n0 as f64);
            let small = ratio_score_interval_corrected(k1, n1, k0, n0, 0.95).unwrap();
            let big = ratio_score_interval_corrected(k1 * scale, n1 * scale, k0 * scale, n0 * scale, 0.95).unwrap();
            prop_assert!(small.lower <= point * (1.0 + 1e-9) && point <= small.upper * (1.0 + 1e-9), "{point} outside {small:?}");
            prop_assert!(big.lower <= point * (1.0 + 1e-9) && point <= big.upper * (1.0 + 1e-9), "{point} outside {big:?}");
            prop_assert!(big.lower >= small.lower * (1.0 - 1e-9) && big.upper <= small.upper * (1.0 + 1e-9), "{big:?} wider than {small:?}");
        }

        /// The mean's interval contains the mean and never starts inside the plain t interval.
        #[test]
        fn a_mean_interval_contains_its_point_and_only_widens(mean in -1e6f64..1e6, sd in 0.0f64..1e4, skewness in -20.0f64..20.0, n in 2u64..100_000) {
            use gonogo_core::stats::skewed_t_interval;
            let plain = t_interval(mean, sd, n, 0.95);
            let skewed = skewed_t_interval(mean, sd, skewness, n, 0.95);
            prop_assert!(skewed.contains(mean));
            prop_assert!(skewed.lower <= plain.lower && skewed.upper >= plain.upper);
        }

        /// An estimate never passes or fails, whatever its value.
        #[test]
        fn an_estimate_never_decides(value in 0.0f64..10_000.0) {
            let metric = Metric::value(value, Unit::parse("ms")).as_estimate();
            let verdict = judge("k6.http_req_duration.p95", "value < 500ms", metric);
            prop_assert_eq!(status(&verdict), (Inconclusive, Some("no_distribution")));
        }
    }
}
