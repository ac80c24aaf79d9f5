//! Seeded, deterministic simulations of the decision rules at their margin (statistics spec
//! v2, "Checks a test suite can run"). At the margin (the true value exactly on the
//! threshold) a rule may pass at most α/2 = 2.5 % of the time at 95 %; each assertion allows
//! three standard errors of Monte Carlo noise. Run with `--nocapture` to see the figures.

use gonogo_core::eval::decide_relative;
use gonogo_core::expect::Op;
use gonogo_core::stats::{
    self, Interval, binomial_cdf, clopper_pearson, quantile_ranks, ratio_score_interval,
    ratio_score_interval_corrected, skewed_t_interval,
};
use gonogo_core::verdict::GateStatus;

const CONFIDENCE: f64 = 0.95;
const NOMINAL: f64 = 0.025;

/// SplitMix64: small, seeded, good enough for these simulations.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn exponential(&mut self) -> f64 {
        -self.uniform().ln()
    }

    /// Binomial(n, p) by geometric skips (cost proportional to the count, for small p).
    fn binomial(&mut self, n: u64, p: f64) -> u64 {
        let log_q = (-p).ln_1p();
        let (mut position, mut count) = (0u64, 0u64);
        loop {
            let skip = (self.uniform().ln() / log_q).floor() as u64 + 1;
            position = position.saturating_add(skip);
            if position > n {
                return count;
            }
            count += 1;
        }
    }
}

/// The pass rate, its Monte Carlo standard error, and whether it is within α/2 allowing three
/// standard errors.
fn check(label: &str, passes: u64, runs: u64) -> f64 {
    let rate = passes as f64 / runs as f64;
    let se = (NOMINAL * (1.0 - NOMINAL) / runs as f64).sqrt();
    println!(
        "{label}: passed {passes} of {runs} = {:.2} % (nominal at most {:.1} %, Monte Carlo s.e. {:.2} %)",
        rate * 100.0,
        NOMINAL * 100.0,
        se * 100.0
    );
    assert!(
        rate <= NOMINAL + 3.0 * se,
        "{label}: {:.2} % passes at the margin",
        rate * 100.0
    );
    rate
}

#[test]
fn rate_with_clopper_pearson_at_the_margin() {
    let mut rng = Rng(14);
    let runs = 20_000;
    for (n, p) in [(400u64, 0.01), (1000, 0.01), (3000, 0.005), (1000, 0.05)] {
        // The upper end grows with k, so the gate passes exactly for k up to `largest`.
        let passes_at = |k: u64| clopper_pearson(k as f64, n as f64, CONFIDENCE).upper < p;
        let largest = (0..=n).take_while(|&k| passes_at(k)).last();
        if let Some(k) = largest {
            assert!(passes_at(k) && !passes_at(k + 1) && !passes_at(k + 2));
        }
        let passes = (0..runs)
            .filter(|_| largest.is_some_and(|largest| rng.binomial(n, p) <= largest))
            .count() as u64;
        check(
            &format!(
                "rate < {}% with n = {n}, true rate {}%",
                p * 100.0,
                p * 100.0
            ),
            passes,
            runs,
        );
        // The exact figure: P(K ≤ the largest k that passes).
        let exact = largest.map_or(0.0, |k| binomial_cdf(k, n, p));
        println!("    exact pass probability {:.3} %", exact * 100.0);
        assert!(exact <= NOMINAL);
    }
}

/// Repeating a run until it passes: at a true failure rate equal to the threshold, how often
/// does one of 8 independent runs pass? (The figure docs/statistics.md quotes.)
#[test]
fn repeated_looks_inflate_false_passes() {
    let mut rng = Rng(8);
    let (n, p, looks, runs) = (1000u64, 0.01, 8, 20_000u64);
    let largest = (0..=n)
        .take_while(|&k| clopper_pearson(k as f64, n as f64, CONFIDENCE).upper < p)
        .last()
        .unwrap();
    let once = binomial_cdf(largest, n, p);
    let exact = 1.0 - (1.0 - once).powi(looks);
    let simulated = (0..runs)
        .filter(|_| (0..looks).any(|_| rng.binomial(n, p) <= largest))
        .count() as f64
        / runs as f64;
    println!(
        "rate < 1% with n = {n} at a true 1%: one run passes {:.2} %; one of {looks} runs passes {:.2} % exactly, {:.2} % simulated",
        once * 100.0,
        exact * 100.0,
        simulated * 100.0
    );
    assert!(exact > once * 5.0, "repeating must inflate false passes");
    assert!((simulated - exact).abs() < 4.0 * (exact * (1.0 - exact) / runs as f64).sqrt());
}

#[test]
fn mean_with_t_at_the_margin() {
    let mut rng = Rng(30);
    let runs = 20_000;
    for n in [30usize, 100] {
        // Normal samples, true mean 100, threshold 100.
        let passes = (0..runs)
            .filter(|_| {
                let samples: Vec<f64> = (0..n).map(|_| 100.0 + 15.0 * rng.normal()).collect();
                mean_upper(&samples) < 100.0
            })
            .count() as u64;
        check(
            &format!("mean < t with n = {n}, normal samples, true mean = t"),
            passes,
            runs,
        );
    }
    // Skewed samples. The plain t bound is too low too often on right-skewed data (a sample
    // that missed the rare slow requests has a low mean *and* a low s); the skew-corrected
    // bound gonogo uses is closer to α/2 but, at n = 30 on exponential samples, still above
    // it: a mean is a weak gate on latency, and docs/statistics.md says so with these
    // figures. Asserted: the correction never makes it worse, and both converge with n.
    for (n, bound) in [(30usize, 0.06), (100, 0.04), (1000, 0.032)] {
        let runs = runs / 2;
        let (mut plain, mut corrected) = (0u64, 0u64);
        for _ in 0..runs {
            let samples: Vec<f64> = (0..n).map(|_| 100.0 * rng.exponential()).collect();
            let (mean, sd, skewness) = summary(&samples);
            if mean + t_factor(n, CONFIDENCE) * sd < 100.0 {
                plain += 1;
            }
            if skewed_t_interval(mean, sd, skewness, n as u64, CONFIDENCE).upper < 100.0 {
                corrected += 1;
            }
        }
        let (plain, corrected) = (plain as f64 / runs as f64, corrected as f64 / runs as f64);
        println!(
            "mean < t with n = {n}, exponential samples, true mean = t: plain t passes {:.2} %, skew-corrected {:.2} % (of {runs})",
            plain * 100.0,
            corrected * 100.0
        );
        assert!(corrected < plain, "n = {n}: the correction must help");
        assert!(corrected < bound, "n = {n}: {:.2} %", corrected * 100.0);
    }
}

fn mean_upper(samples: &[f64]) -> f64 {
    mean_interval(samples, CONFIDENCE).upper
}

/// Mean, sample s.d. (n − 1) and sample skewness m₃/s³ of raw samples.
fn summary(samples: &[f64]) -> (f64, f64, f64) {
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let sd = (samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let third = samples.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    (mean, sd, if sd > 0.0 { third / sd.powi(3) } else { 0.0 })
}

/// `t(n − 1, 1 − α/2)/√n`, cached per pair (the inverse beta behind it is not cheap).
fn t_factor(n: usize, confidence: f64) -> f64 {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static FACTORS: RefCell<HashMap<(usize, u64), f64>> = RefCell::new(HashMap::new());
    }
    FACTORS.with(|f| {
        *f.borrow_mut()
            .entry((n, confidence.to_bits()))
            .or_insert_with(|| skewed_t_interval(0.0, 1.0, 0.0, n as u64, confidence).upper)
    })
}

/// The interval gonogo computes for a mean (skew-corrected t), from raw samples.
fn mean_interval(samples: &[f64], confidence: f64) -> Interval {
    let (mean, sd, skewness) = summary(samples);
    let n = samples.len();
    let t = t_factor(n, confidence);
    // skewed_t_interval's widening, from the cached t factor: |g|·(2t² + 1)/(6n)·s.
    let t_quantile = t * (n as f64).sqrt();
    let lean = skewness.abs() * (2.0 * t_quantile * t_quantile + 1.0) / (6.0 * n as f64) * sd;
    Interval {
        lower: mean - t * sd - if skewness < 0.0 { lean } else { 0.0 },
        upper: mean + t * sd + if skewness > 0.0 { lean } else { 0.0 },
    }
}

#[test]
fn relative_rate_at_the_margin() {
    let mut rng = Rng(10);
    let runs = 20_000;
    // Equal sizes, and a small baseline beside a large run (and the reverse): the gate decides
    // on the skew-corrected score interval, calibrated in all of them. The plain score interval
    // (the spec's table) is printed beside it: with unequal sizes it passes too often.
    for (n0, n1, p0) in [
        (10_000u64, 10_000u64, 0.02),
        (20_000, 20_000, 0.01),
        (5000, 20_000, 0.01),
        (2000, 50_000, 0.02),
        (20_000, 5000, 0.01),
    ] {
        let p1 = 1.1 * p0;
        let (mut plain, mut corrected) = (0u64, 0u64);
        for _ in 0..runs {
            let (k0, k1) = (rng.binomial(n0, p0), rng.binomial(n1, p1));
            if ratio_score_interval(k1, n1, k0, n0, CONFIDENCE).is_some_and(|i| i.upper <= 1.1) {
                plain += 1;
            }
            if ratio_score_interval_corrected(k1, n1, k0, n0, CONFIDENCE)
                .is_some_and(|i| i.upper <= 1.1)
            {
                corrected += 1;
            }
        }
        check(
            &format!(
                "rate <= +10% with baseline {p0} of {n0}, current {p1:.3} of {n1} (exactly +10%)"
            ),
            corrected,
            runs,
        );
        println!(
            "    the plain score interval passes {:.2} %",
            plain as f64 * 100.0 / runs as f64
        );
    }
}

#[test]
fn relative_percentile_and_mean_at_the_margin() {
    let mut rng = Rng(95);
    let runs = 2000;
    let pair = stats::pair_confidence(CONFIDENCE);
    for (n0, n1) in [(200usize, 200usize), (1000, 1000), (100, 2000)] {
        let (j0, k0) = quantile_ranks(n0 as u64, 0.95, pair);
        let (j1, k1) = quantile_ranks(n1 as u64, 0.95, pair);
        let (j0, k0, j1, k1) = (j0.unwrap(), k0.unwrap(), j1.unwrap(), k1.unwrap());
        let mut percentile_passes = 0u64;
        let mut mean_passes = 0u64;
        for _ in 0..runs {
            // Current is the baseline's distribution scaled by exactly 1.1: its p95 and its
            // mean are exactly 1.1 × the baseline's.
            let mut base: Vec<f64> = (0..n0).map(|_| rng.exponential()).collect();
            let mut current: Vec<f64> = (0..n1).map(|_| 1.1 * rng.exponential()).collect();
            let base_mean = mean_interval(&base, pair);
            let current_mean = mean_interval(&current, pair);
            if decide_relative(Op::Le, current_mean, base_mean, 1.1) == GateStatus::Pass {
                mean_passes += 1;
            }
            base.sort_by(f64::total_cmp);
            current.sort_by(f64::total_cmp);
            let at = |v: &[f64], rank: u64| v[rank as usize - 1];
            let b = Interval {
                lower: at(&base, j0),
                upper: at(&base, k0),
            };
            let c = Interval {
                lower: at(&current, j1),
                upper: at(&current, k1),
            };
            if decide_relative(Op::Le, c, b, 1.1) == GateStatus::Pass {
                percentile_passes += 1;
            }
        }
        check(
            &format!("p(95) <= +10% with n = {n0} and {n1}, exactly +10%"),
            percentile_passes,
            runs,
        );
        check(
            &format!("mean <= +10% with n = {n0} and {n1}, exactly +10% (exponential)"),
            mean_passes,
            runs,
        );
    }
}
