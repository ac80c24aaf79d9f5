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
