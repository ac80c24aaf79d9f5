//! Confidence intervals that decide gates: Wilson for ratios, order statistics for percentiles.
//!
//! A gate never compares its threshold with a point estimate. It compares it with an interval
//! at a confidence level `c` (95 % by default, so `α/2 = 2.5 %` in each tail):
//!
//! **Ratios (`rate`)**: the Wilson score interval of `k` events in `n` trials, `p̂ = k/n`,
//! `z` the standard normal quantile of `1 − α/2`:
//!
//! ```text
//! centre = (p̂ + z²/2n) / (1 + z²/n)
//! half   = z · sqrt(p̂(1 − p̂)/n + z²/4n²) / (1 + z²/n)
//! ```
//!
//! It behaves at `k = 0` and `k = n`, where the normal approximation collapses to a point.
//!
//! **Percentiles (`p(q)`)**: distribution-free. The number of samples below the true
//! q-quantile is Binomial(n, q); with `B(x) = P(Binomial(n, q) ≤ x)`, the lower end is the
//! sample of rank `j`, the largest rank with `B(j − 1) ≤ α/2`, and the upper end the sample of
//! rank `k`, the smallest rank with `B(k − 1) ≥ 1 − α/2`. When no such `k` exists the upper end
//! is unbounded (too few samples: `p(99) < t` cannot pass below 368 samples). From an HDR
//! histogram the lower end reads the lowest value equivalent to rank `j`'s bucket and the upper
//! end the highest, so bucket resolution only ever widens the interval.
//!
//! `B` is computed exactly through the regularized incomplete beta function,
//! `B(x) = I_{1−q}(n − x, x + 1)`, evaluated by Lentz's continued fraction; ranks are found by
//! binary search, so a histogram of ten million samples costs a few dozen evaluations.
//!
//! **Means**: `mean ± z·s/√n` (the central limit theorem; unbounded for `n < 2`).

use hdrhistogram::Histogram;

/// The standard normal quantile for a two-sided interval at `confidence` (e.g. 0.95 → 1.96).
pub fn z_for_confidence(confidence: f64) -> f64 {
    normal_quantile(1.0 - (1.0 - confidence) / 2.0)
}

/// Inverse of the standard normal CDF (Acklam's rational approximation refined by one Halley
/// step; relative error below 1e-15 in the range used here). The coefficients are Acklam's,
/// as published.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    assert!(p > 0.0 && p < 1.0, "normal_quantile needs 0 < p < 1");
    const A: [f64; 6] = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383577518672690e+02,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    let low = 0.02425;
    let x = if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step against the exact CDF.
    let e = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// An interval `[lower, upper]`; either end may be infinite (unbounded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    pub fn point(value: f64) -> Interval {
        Interval {
            lower: value,
            upper: value,
        }
    }

    pub fn contains(self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }
}

/// The Wilson score interval of `k` events in `n` trials (`n > 0`), clamped to [0, 1].
/// `k` may be fractional (used to project "what if the rate held at a larger n").
pub fn wilson(k: f64, n: f64, confidence: f64) -> Interval {
    let z = z_for_confidence(confidence);
    let p = k / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).max(0.0).sqrt() / denominator;
    Interval {
        lower: if k <= 0.0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        upper: if k >= n {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    }
}

/// `P(Binomial(n, q) ≤ x)`.
pub fn binomial_cdf(x: u64, n: u64, q: f64) -> f64 {
    if x >= n {
        return 1.0;
    }
    // P(X ≤ x) = I_{1−q}(n − x, x + 1)
    regularized_incomplete_beta((n - x) as f64, (x + 1) as f64, 1.0 - q)
}

/// `I_x(a, b)` by the continued fraction (Numerical Recipes' betacf with Lentz's method).
fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front =
        libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln();
    // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPSILON: f64 = 1e-15;
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPSILON {
            break;
        }
    }
    h
}

/// The ranks (1-based) bounding the q-quantile of `n` samples at `confidence`:
/// `(lower rank j, upper rank k)`, each `None` when it does not exist.
pub fn quantile_ranks(n: u64, q: f64, confidence: f64) -> (Option<u64>, Option<u64>) {
    if n == 0 {
        return (None, None);
    }
    let tail = (1.0 - confidence) / 2.0;
    // Largest x in [0, n-1] with B(x) <= tail; j = x + 1.
    let lower = if binomial_cdf(0, n, q) > tail {
        None
    } else {
        let (mut lo, mut hi) = (0u64, n - 1); // B(lo) <= tail
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if binomial_cdf(mid, n, q) <= tail {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo + 1)
    };
    // Smallest x in [0, n-1] with B(x) >= 1 - tail; k = x + 1.
    let upper = if binomial_cdf(n - 1, n, q) < 1.0 - tail {
        None
    } else {
        let (mut lo, mut hi) = (0u64, n - 1); // B(hi) >= 1 - tail
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if binomial_cdf(mid, n, q) >= 1.0 - tail {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(lo + 1)
    };
    (lower, upper)
}

/// The smallest sample count at which the q-quantile's upper rank exists (below it an upper
/// bound gate on that percentile cannot pass).
pub fn min_samples_for_upper(q: f64, confidence: f64) -> u64 {
    // B(n-1) = 1 - q^n >= 1 - tail  <=>  q^n <= tail
    let tail = (1.0 - confidence) / 2.0;
    let mut n = (tail.ln() / q.ln()).ceil().max(1.0) as u64;
    // Guard against rounding at the boundary.
    while n > 1 && quantile_ranks(n - 1, q, confidence).1.is_some() {
        n -= 1;
    }
    while quantile_ranks(n, q, confidence).1.is_none() {
        n += 1;
    }
    n
}

/// Where a rank falls in a histogram: the (lowest, highest) values equivalent to the bucket
/// holding the `rank`-th smallest sample (1-based).
pub fn value_at_rank(histogram: &Histogram<u64>, rank: u64) -> (u64, u64) {
    let mut seen = 0u64;
    for bucket in histogram.iter_recorded() {
        seen += bucket.count_at_value();
        if seen >= rank {
            let value = bucket.value_iterated_to();
            return (
                histogram.lowest_equivalent(value),
                histogram.highest_equivalent(value),
            );
        }
    }
    let max = histogram.max();
    (
        histogram.lowest_equivalent(max),
        histogram.highest_equivalent(max),
    )
}

/// The confidence interval of the q-quantile of a histogram, in histogram units; infinite ends
/// where the rank does not exist.
pub fn quantile_interval(histogram: &Histogram<u64>, q: f64, confidence: f64) -> Interval {
    let (lower_rank, upper_rank) = quantile_ranks(histogram.len(), q, confidence);
    Interval {
        lower: lower_rank.map_or(f64::NEG_INFINITY, |rank| {
            value_at_rank(histogram, rank).0 as f64
        }),
        upper: upper_rank.map_or(f64::INFINITY, |rank| {
            value_at_rank(histogram, rank).1 as f64
        }),
    }
}

/// The point estimate of the q-quantile (the value at rank ⌈q·n⌉, as HdrHistogram reports it).
pub fn quantile_point(histogram: &Histogram<u64>, q: f64) -> f64 {
    histogram.value_at_quantile(q) as f64
}

/// `mean ± z·s/√n`, unbounded for fewer than two samples.
pub fn mean_interval(histogram: &Histogram<u64>, confidence: f64) -> Interval {
    let n = histogram.len();
    if n < 2 {
        return Interval {
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
        };
    }
    let half = z_for_confidence(confidence) * histogram.stdev() / (n as f64).sqrt();
    Interval {
        lower: histogram.mean() - half,
        upper: histogram.mean() + half,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn percent(x: f64) -> f64 {
        (x * 100.0 * 10_000.0).round() / 10_000.0
    }

    #[test]
    fn z_is_the_usual_one() {
        assert!((z_for_confidence(0.95) - 1.959964).abs() < 1e-6);
        assert!((z_for_confidence(0.99) - 2.575829).abs() < 1e-6);
    }

    /// The Wilson table of `shared/specs/statistics.md`.
    #[test]
    fn wilson_matches_the_spec_table() {
        let table = [
            (0, 20, 0.0, 16.1125),
            (2, 13, 4.3258, 42.2346),
            (0, 764, 0.0, 0.5003),
            (0, 765, 0.0, 0.4996),
            (0, 5000, 0.0, 0.0768),
            (1, 1000, 0.0177, 0.5643),
            (15, 100, 9.3060, 23.2836),
            (11, 13, 57.7654, 95.6742),
        ];
        for (k, n, lower, upper) in table {
            let interval = wilson(f64::from(k), f64::from(n), 0.95);
            assert_eq!(
                (percent(interval.lower), percent(interval.upper)),
                (lower, upper),
                "k = {k}, n = {n}"
            );
        }
    }

    /// The order-statistics table of `shared/specs/statistics.md`.
    #[test]
    fn quantile_ranks_match_the_spec_table() {
        let table = [
            (0.99, 4, Some(3), None),
            (0.99, 367, Some(359), None),
            (0.99, 368, Some(360), Some(368)),
            (0.95, 71, Some(63), None),
            (0.95, 72, Some(64), Some(72)),
            (0.95, 100, Some(90), Some(100)),
            (0.99, 1000, Some(983), Some(997)),
            (0.95, 10000, Some(9457), Some(9543)),
            (0.99, 10000, Some(9880), Some(9920)),
        ];
        for (q, n, j, k) in table {
            assert_eq!(quantile_ranks(n, q, 0.95), (j, k), "q = {q}, n = {n}");
        }
        assert_eq!(min_samples_for_upper(0.99, 0.95), 368);
        assert_eq!(min_samples_for_upper(0.95, 0.95), 72);
    }

    #[test]
    fn binomial_cdf_agrees_with_direct_sums() {
        // Direct summation for small n as the reference.
        for n in [1u64, 5, 20, 60] {
            for q in [0.1, 0.5, 0.95, 0.99] {
                let mut cumulative = 0.0;
                for x in 0..=n {
                    let ln_choose = libm::lgamma((n + 1) as f64)
                        - libm::lgamma((x + 1) as f64)
                        - libm::lgamma((n - x + 1) as f64);
                    cumulative +=
                        (ln_choose + x as f64 * f64::ln(q) + (n - x) as f64 * f64::ln(1.0 - q))
                            .exp();
                    let fast = binomial_cdf(x, n, q);
                    assert!(
                        (fast - cumulative).abs() < 1e-9,
                        "n={n} q={q} x={x}: {fast} vs {cumulative}"
                    );
                }
            }
        }
    }

    #[test]
    fn histogram_interval_widens_to_bucket_edges() {
        let mut histogram = crate::evidence::latency_histogram();
        for _ in 0..4 {
            histogram.record(20_000).unwrap();
        }
        let interval = quantile_interval(&histogram, 0.99, 0.95);
        assert!(interval.upper.is_infinite());
        assert!(interval.lower <= 20_000.0);
    }

    proptest! {
        #[test]
        fn wilson_contains_the_point_and_narrows_with_n(k in 0u64..1000, extra in 0u64..1000, scale in 2u64..10) {
            let n = k + extra + 1;
            let small = wilson(k as f64, n as f64, 0.95);
            let point = k as f64 / n as f64;
            prop_assert!(small.contains(point) || (small.lower - point).abs() < 1e-12 || (small.upper - point).abs() < 1e-12);
            let big = wilson((k * scale) as f64, (n * scale) as f64, 0.95);
            prop_assert!(big.upper - big.lower <= small.upper - small.lower + 1e-12);
        }

        #[test]
        fn quantile_interval_contains_the_point(samples in proptest::collection::vec(1u64..10_000_000, 1..400), q in 0.01f64..0.999) {
            let mut histogram = crate::evidence::latency_histogram();
            for s in &samples {
                histogram.record(*s).unwrap();
            }
            let interval = quantile_interval(&histogram, q, 0.95);
            let point = quantile_point(&histogram, q);
            prop_assert!(interval.lower <= point && point <= interval.upper, "{interval:?} {point}");
        }

        #[test]
        fn quantile_ranks_widen_for_smaller_n(n in 10u64..5000, q in 0.05f64..0.95) {
            let (j_small, k_small) = quantile_ranks(n, q, 0.95);
            let (j_big, k_big) = quantile_ranks(n * 4, q, 0.95);
            // As fractions of n, the bigger sample's interval sits inside the smaller's.
            if let (Some(j1), Some(j2)) = (j_small, j_big) {
                prop_assert!(j2 as f64 / (4 * n) as f64 >= j1 as f64 / n as f64 - 1.0 / n as f64);
            }
            if let (Some(k1), Some(k2)) = (k_small, k_big) {
                prop_assert!(k2 as f64 / (4 * n) as f64 <= k1 as f64 / n as f64 + 1.0 / n as f64);
            }
        }
    }
}
