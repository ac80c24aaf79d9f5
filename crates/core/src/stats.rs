//! Confidence intervals that decide gates (statistics spec, version 2).
//!
//! A gate never compares its threshold with a point estimate. It compares it with an interval
//! at a confidence level `c` (95 % by default, so `α/2 = 2.5 %` in each tail), and a pass is
//! a one-sided claim at `1 − α/2`.
//!
//! - **Ratios from a sample (`rate`)**: the exact Clopper–Pearson interval of `k` events in
//!   `n` trials, `[BetaInv(α/2; k, n − k + 1), BetaInv(1 − α/2; k + 1, n − k)]` (0 when
//!   `k = 0`, 1 when `k = n`). Its coverage is never below `c`.
//! - **Percentiles (`p(q)`)**: distribution-free, from order statistics. The number of samples
//!   below the true q-quantile is Binomial(n, q); with `B(x) = P(Binomial(n, q) ≤ x)`, the
//!   lower end is the sample of rank `j`, the largest rank with `B(j − 1) ≤ α/2`, and the upper
//!   end the sample of rank `k`, the smallest rank with `B(k − 1) ≥ 1 − α/2`; either may not
//!   exist (unbounded). From an HDR histogram the lower end reads the lowest value equivalent to
//!   rank `j`'s bucket and the upper end the highest, so resolution only widens the interval.
//! - **Means**: `mean ± t(n − 1, 1 − α/2) · s/√n`, `s` the sample standard deviation, widened
//!   by the histogram's bucket resolution.
//! - **Tails (`max`, `min`)**: with no sample past `t` in `n`, the exact upper bound on the
//!   share of requests past `t` is `1 − (α/2)^(1/n)`.
//! - **Two proportions**: the Miettinen–Nurminen score interval for the ratio `p₁/p₀`.
//!
//! Everything rests on one function, the regularised incomplete beta `I_x(a, b)`, computed by
//! Lentz's continued fraction with a prefactor `x^a y^b / B(a, b)` evaluated without
//! subtracting large `lgamma` values (Stirling's series with its remainder and `ln(1 + u) − u`
//! written out, after DiDonato and Morris), so that it stays accurate for `a + b` up to 2^63.
//! When both parameters are huge and `x` sits in the bulk, the fraction would need millions
//! of terms (more than 100,000); there the normal approximation with the first Edgeworth
//! (skewness) term is used, whose error is of the order of `1/min(a, b)`, and `min(a, b)` is
//! then in the billions.
//! Inverses are found by bisection on the bit patterns of `f64`, which always terminates in
//! at most 64 steps and returns the exact float boundary.

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
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// `P(Z ≤ x)` for a standard normal `Z`.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
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

    /// Both ends infinite: nothing is known.
    pub fn unbounded() -> Interval {
        Interval {
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
        }
    }

    pub fn contains(self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }

    pub fn scaled(self, factor: f64) -> Interval {
        Interval {
            lower: self.lower * factor,
            upper: self.upper * factor,
        }
    }
}

/// The confidence at which each of two independent intervals must hold so that the pair holds
/// at `confidence`: `1 − α/2` (97.5 % when `c` = 95 %).
pub fn pair_confidence(confidence: f64) -> f64 {
    1.0 - (1.0 - confidence) / 2.0
}

// ---------------------------------------------------------------------------------------------
// The regularised incomplete beta function.

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Stirling's remainder `δ(z) = ln Γ(z) − ((z − ½) ln z − z + ½ ln 2π)`.
fn stirling_remainder(z: f64) -> f64 {
    if z >= 10.0 {
        let r = 1.0 / z;
        let r2 = r * r;
        r * (1.0 / 12.0
            - r2 * (1.0 / 360.0 - r2 * (1.0 / 1260.0 - r2 * (1.0 / 1680.0 - r2 / 1188.0))))
    } else {
        libm::lgamma(z) - ((z - 0.5) * z.ln() - z + LN_SQRT_2PI)
    }
}

/// `ln(1 + u) − u`, accurate for small `u` (no cancellation).
fn ln1p_minus(u: f64) -> f64 {
    if u.abs() < 0.5 {
        // −u²/2 + u³/3 − u⁴/4 + …
        let mut term = u * u;
        let mut sum = 0.0;
        let mut k = 2.0;
        loop {
            let add = term / k;
            sum -= add;
            if add.abs() <= sum.abs() * 1e-17 || k > 200.0 {
                break;
            }
            term *= -u;
            k += 1.0;
        }
        sum
    } else {
        libm::log1p(u) - u
    }
}

/// `ln(x^a y^b / B(a, b))` with `y = 1 − x` given separately (so neither loses precision),
/// without subtracting large logarithms: with `x₀ = a/(a+b)`,
/// `a·(ln(1+u) − u) + b·(ln(1+v) − v) + ½ ln(ab/(a+b)) − ½ ln 2π − δ(a) − δ(b) + δ(a+b)`,
/// `u = x/x₀ − 1`, `v = y/y₀ − 1` (the linear terms cancel exactly).
fn ln_beta_prefactor(a: f64, b: f64, x: f64, y: f64) -> f64 {
    let s = a + b;
    let x0 = a / s;
    let y0 = b / s;
    let part = |w: f64, w0: f64| {
        let u = (w - w0) / w0;
        if u.abs() < 0.5 {
            ln1p_minus(u)
        } else {
            (w.ln() - w0.ln()) - u
        }
    };
    a * part(x, x0) + b * part(y, y0) + 0.5 * (a.ln() + b.ln() - s.ln())
        - LN_SQRT_2PI
        - stirling_remainder(a)
        - stirling_remainder(b)
        + stirling_remainder(s)
}

/// The continued fraction of `I_x(a, b)` (Numerical Recipes' `betacf`, modified Lentz), or
/// `None` when it did not converge within `limit` terms.
fn beta_continued_fraction(a: f64, b: f64, x: f64, limit: u32) -> Option<f64> {
    const TINY: f64 = 1e-300;
    const EPSILON: f64 = 1e-16;
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
    for m in 1..=limit {
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
            return Some(h);
        }
    }
    None
}

/// The regularised incomplete beta `I_x(a, b)` for `a, b > 0`, with `y = 1 − x` passed in
/// (callers know it more precisely than `1 − x` when `x` is near 1).
pub fn incomplete_beta(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if y <= 0.0 {
        return 1.0;
    }
    // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
    let (swap, a1, b1, x1, y1) = if x * (a + b + 2.0) < a + 1.0 {
        (false, a, b, x, y)
    } else {
        (true, b, a, y, x)
    };
    let front = ln_beta_prefactor(a1, b1, x1, y1).exp();
    // Terms needed grow like the square root of the smaller parameter near the bulk; beyond
    // this the normal approximation below is far more accurate than float rounding allows
    // the fraction to be anyway.
    let tail = if front == 0.0 {
        Some(0.0)
    } else {
        beta_continued_fraction(a1, b1, x1, 100_000).map(|cf| front * cf / a1)
    };
    match tail {
        Some(t) if swap => 1.0 - t,
        Some(t) => t,
        None => beta_normal(a, b, x),
    }
}

/// `I_x(a, b)` for huge `a` and `b` with `x` in the bulk: the beta distribution is then
/// Gaussian to within its skewness, which the first Edgeworth term corrects.
fn beta_normal(a: f64, b: f64, x: f64) -> f64 {
    let s = a + b;
    let mean = a / s;
    let sd = (a * b / (s * s * (s + 1.0))).sqrt();
    let z = (x - mean) / sd;
    let skew = 2.0 * (b - a) * (s + 1.0).sqrt() / ((s + 2.0) * (a * b).sqrt());
    let density = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
    (normal_cdf(z) - skew / 6.0 * (z * z - 1.0) * density).clamp(0.0, 1.0)
}

/// The smallest `x` in [0, 1] with `I_x(a, b) ≥ target`, by bisection on the float bit
/// patterns (at most 64 steps, exact to the float).
pub fn inverse_incomplete_beta(target: f64, a: f64, b: f64) -> f64 {
    if target <= 0.0 {
        return 0.0;
    }
    let (mut lo, mut hi) = (0u64, 1.0f64.to_bits());
    // invariant: I(lo) < target ≤ I(hi)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let x = f64::from_bits(mid);
        if incomplete_beta(a, b, x, 1.0 - x) >= target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    f64::from_bits(hi)
}

// ---------------------------------------------------------------------------------------------
// Ratios.

/// The exact (Clopper–Pearson) interval of `k` events in `n` trials (`0 ≤ k ≤ n`, `n > 0`).
/// `k` may be fractional (used to project "what if the rate held at a larger n").
pub fn clopper_pearson(k: f64, n: f64, confidence: f64) -> Interval {
    let tail = (1.0 - confidence) / 2.0;
    let lower = if k <= 0.0 {
        0.0
    } else {
        inverse_incomplete_beta(tail, k, n - k + 1.0)
    };
    let upper = if k >= n {
        1.0
    } else {
        // upper = BetaInv(1 − α/2; k + 1, n − k) = 1 − BetaInv(α/2; n − k, k + 1)
        1.0 - inverse_incomplete_beta(tail, n - k, k + 1.0)
    };
    Interval { lower, upper }
}

/// The Wilson score interval of `k` events in `n` trials (`n > 0`), clamped to [0, 1]. No
/// gate uses it any more (its one-sided coverage falls below nominal); kept for comparison.
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

/// The Miettinen–Nurminen score interval for the ratio `p₁/p₀` of two independent proportions
/// (`k1` of `n1`, the current run, over `k0` of `n0`, the baseline), with their variance
/// correction `N/(N − 1)`: what statsmodels' `confint_proportions_2indep(method="score",
/// compare="ratio")` computes. `None` when both counts are 0 (nothing to compare) or either
/// `n` is 0. An end may be 0 or infinite.
pub fn ratio_score_interval(
    k1: u64,
    n1: u64,
    k0: u64,
    n0: u64,
    confidence: f64,
) -> Option<Interval> {
    ratio_interval(k1, n1, k0, n0, confidence, false)
}

/// [`ratio_score_interval`] with Gart and Nam's correction for skewness (1988; Laud 2017's
/// "SCAS" form): the score statistic `S(r)` is replaced by `S(r) − γ(r)(z² − 1)/6`, with `γ`
/// the skewness of `p̂₁ − r·p̂₀` at the restricted estimates. With a small baseline beside a
/// large run, the plain score interval's upper end is too low too often (measured in
/// tests/calibration.rs: about 3.1 % of passes at the margin for 5,000 against 20,000 samples
/// against 2.5 % nominal); the correction brings it back to α/2. This is the interval a
/// relative rate gate decides on; with equal sizes it differs from the plain one in the fourth
/// digit.
pub fn ratio_score_interval_corrected(
    k1: u64,
    n1: u64,
    k0: u64,
    n0: u64,
    confidence: f64,
) -> Option<Interval> {
    ratio_interval(k1, n1, k0, n0, confidence, true)
}

fn ratio_interval(
    k1: u64,
    n1: u64,
    k0: u64,
    n0: u64,
    confidence: f64,
    skew: bool,
) -> Option<Interval> {
    if n1 == 0 || n0 == 0 || (k1 == 0 && k0 == 0) || k1 > n1 || k0 > n0 {
        return None;
    }
    let (x1, m1, x0, m0) = (k1 as f64, n1 as f64, k0 as f64, n0 as f64);
    let z = z_for_confidence(confidence);
    let total = m1 + m0;
    let (p1, p0) = (x1 / m1, x0 / m0);
    // The score statistic for H₀: p₁/p₀ = r, decreasing in r.
    let score = |r: f64| -> f64 {
        let a = total * r;
        let b = -(m1 * r + x1 + m0 + x0 * r);
        let c = x1 + x0;
        let disc = (b * b - 4.0 * a * c).max(0.0);
        // The smaller root, written to avoid cancellation.
        let q0 = (2.0 * c) / (-b + disc.sqrt());
        let q1 = (r * q0).min(1.0);
        let variance =
            (q1 * (1.0 - q1) / m1 + r * r * q0 * (1.0 - q0) / m0) * total / (total - 1.0);
        let diff = p1 - r * p0;
        if variance <= 0.0 {
            return if diff > 0.0 {
                f64::INFINITY
            } else if diff < 0.0 {
                f64::NEG_INFINITY
            } else {
                0.0
            };
        }
        let plain = diff / variance.sqrt();
        if !skew {
            return plain;
        }
        let third = q1 * (1.0 - q1) * (1.0 - 2.0 * q1) / (m1 * m1)
            - r * r * r * q0 * (1.0 - q0) * (1.0 - 2.0 * q0) / (m0 * m0);
        let gamma = third / variance.powf(1.5);
        plain - gamma * (z * z - 1.0) / 6.0
    };
    // Solve score(r) = target on ln r, bracketing from the point estimate outwards.
    let solve = |target: f64, upward: bool| -> f64 {
        let start = if k1 == 0 {
            (0.5 / m1 / p0).ln()
        } else if k0 == 0 {
            (p1 / (0.5 / m0)).ln()
        } else {
            (p1 / p0).ln()
        };
        let step = if upward { 1.0 } else { -1.0 };
        let (mut inner, mut outer) = (start, start + step);
        let beyond = |t: f64| {
            let s = score(t.exp());
            if upward { s <= target } else { s >= target }
        };
        let mut width = 1.0;
        while !beyond(outer) {
            inner = outer;
            width *= 2.0;
            outer += step * width;
            if outer.abs() > 700.0 {
                return if upward { f64::INFINITY } else { 0.0 };
            }
        }
        for _ in 0..200 {
            let mid = 0.5 * (inner + outer);
            if beyond(mid) {
                outer = mid;
            } else {
                inner = mid;
            }
            if (outer - inner).abs() < 1e-15 {
                break;
            }
        }
        (0.5 * (inner + outer)).exp()
    };
    let lower = if k1 == 0 { 0.0 } else { solve(z, false) };
    let upper = if k0 == 0 {
        f64::INFINITY
    } else {
        solve(-z, true)
    };
    Some(Interval { lower, upper })
}

// ---------------------------------------------------------------------------------------------
// Quantiles.

/// A quantile as an exact fraction `numerator / denominator` (the policy's decimal, e.g.
/// `p(99.9)` is 999/1000), so that its complement and the rank ⌈q·n⌉ are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fraction {
    pub numerator: u128,
    pub denominator: u128,
}

impl Fraction {
    /// `percent` as written in decimal (its shortest round-trip form), over 100.
    pub fn from_percent(percent: f64) -> Option<Fraction> {
        if !(percent > 0.0 && percent < 100.0) {
            return None;
        }
        let text = format!("{percent}");
        let (whole, decimals) = text.split_once('.').unwrap_or((&text, ""));
        if decimals.len() > 20 || text.contains('e') {
            return None;
        }
        let digits: u128 = format!("{whole}{decimals}").parse().ok()?;
        let denominator = 100u128.checked_mul(10u128.checked_pow(decimals.len() as u32)?)?;
        Some(Fraction {
            numerator: digits,
            denominator,
        })
    }

    pub fn value(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }

    /// `1 − q`, exact before rounding to a float.
    pub fn complement(self) -> f64 {
        (self.denominator - self.numerator) as f64 / self.denominator as f64
    }

    /// The rank of the point estimate, ⌈q·n⌉ (at least 1).
    pub fn rank(self, n: u64) -> u64 {
        let product = self.numerator * u128::from(n);
        let rank = product.div_ceil(self.denominator);
        u64::try_from(rank).unwrap_or(u64::MAX).max(1)
    }
}

/// `P(Binomial(n, q) ≤ x)`.
pub fn binomial_cdf(x: u64, n: u64, q: f64) -> f64 {
    binomial_cdf_with(x, n, q, 1.0 - q)
}

/// `P(Binomial(n, q) ≤ x)` with `1 − q` given separately (for `q` within 1e-9 of 1, `1 − q`
/// computed in floats keeps only a few digits).
pub fn binomial_cdf_with(x: u64, n: u64, q: f64, complement: f64) -> f64 {
    if x >= n {
        return 1.0;
    }
    // P(X ≤ x) = I_{1−q}(n − x, x + 1)
    incomplete_beta((n - x) as f64, x as f64 + 1.0, complement, q)
}

/// The ranks (1-based) bounding the q-quantile of `n` samples at `confidence`:
/// `(lower rank j, upper rank k)`, each `None` when it does not exist.
pub fn quantile_ranks(n: u64, q: f64, confidence: f64) -> (Option<u64>, Option<u64>) {
    quantile_ranks_with(n, q, 1.0 - q, confidence)
}

/// [`quantile_ranks`] with `1 − q` given separately.
pub fn quantile_ranks_with(
    n: u64,
    q: f64,
    complement: f64,
    confidence: f64,
) -> (Option<u64>, Option<u64>) {
    if n == 0 {
        return (None, None);
    }
    let tail = (1.0 - confidence) / 2.0;
    let cdf = |x: u64| binomial_cdf_with(x, n, q, complement);
    // Largest x in [0, n-1] with B(x) <= tail; j = x + 1.
    let lower = if cdf(0) > tail {
        None
    } else {
        let (mut lo, mut hi) = (0u64, n - 1); // B(lo) <= tail
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if cdf(mid) <= tail {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Some(lo + 1)
    };
    // Smallest x in [0, n-1] with B(x) >= 1 - tail; k = x + 1.
    let upper = if cdf(n - 1) < 1.0 - tail {
        None
    } else {
        let (mut lo, mut hi) = (0u64, n - 1); // B(hi) >= 1 - tail
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if cdf(mid) >= 1.0 - tail {
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

/// The values at several ranks in one pass over the histogram (`ranks` in any order; the
/// answers in the same order), each as [`value_at_rank`] gives it.
pub fn values_at_ranks(histogram: &Histogram<u64>, ranks: &[u64]) -> Vec<(u64, u64)> {
    let mut order: Vec<usize> = (0..ranks.len()).collect();
    order.sort_by_key(|&i| ranks[i]);
    let max = histogram.max();
    let mut out = vec![
        (
            histogram.lowest_equivalent(max),
            histogram.highest_equivalent(max),
        );
        ranks.len()
    ];
    let mut next = 0;
    let mut seen = 0u64;
    for bucket in histogram.iter_recorded() {
        if next == order.len() {
            break;
        }
        seen += bucket.count_at_value();
        let value = bucket.value_iterated_to();
        while next < order.len() && seen >= ranks[order[next]] {
            out[order[next]] = (
                histogram.lowest_equivalent(value),
                histogram.highest_equivalent(value),
            );
            next += 1;
        }
    }
    out
}

/// The point estimate of the q-quantile with its intervals at two confidences (the gate's and
/// the pair's), in histogram units, from one pass over the histogram.
pub fn quantile_summary(
    histogram: &Histogram<u64>,
    q: Fraction,
    confidence: f64,
    pair_confidence: f64,
) -> (f64, Interval, Interval) {
    let n = histogram.len();
    let (lower, upper) = quantile_ranks_with(n, q.value(), q.complement(), confidence);
    let (pair_lower, pair_upper) =
        quantile_ranks_with(n, q.value(), q.complement(), pair_confidence);
    let wanted = [Some(q.rank(n)), lower, upper, pair_lower, pair_upper].map(|r| r.unwrap_or(1));
    let values = values_at_ranks(histogram, &wanted);
    let interval =
        |lower: Option<u64>, low: (u64, u64), upper: Option<u64>, high: (u64, u64)| Interval {
            lower: lower.map_or(f64::NEG_INFINITY, |_| low.0 as f64),
            upper: upper.map_or(f64::INFINITY, |_| high.1 as f64),
        };
    (
        values[0].1 as f64,
        interval(lower, values[1], upper, values[2]),
        interval(pair_lower, values[3], pair_upper, values[4]),
    )
}

/// The confidence interval of the q-quantile of a histogram, in histogram units; infinite ends
/// where the rank does not exist.
pub fn quantile_interval(histogram: &Histogram<u64>, q: Fraction, confidence: f64) -> Interval {
    let (lower_rank, upper_rank) =
        quantile_ranks_with(histogram.len(), q.value(), q.complement(), confidence);
    Interval {
        lower: lower_rank.map_or(f64::NEG_INFINITY, |rank| {
            value_at_rank(histogram, rank).0 as f64
        }),
        upper: upper_rank.map_or(f64::INFINITY, |rank| {
            value_at_rank(histogram, rank).1 as f64
        }),
    }
}

/// The point estimate of the q-quantile: the sample of rank ⌈q·n⌉, exact in `q`'s decimal
/// (read as its bucket's highest equivalent, as HdrHistogram reports percentiles).
pub fn quantile_point(histogram: &Histogram<u64>, q: Fraction) -> f64 {
    value_at_rank(histogram, q.rank(histogram.len())).1 as f64
}

// ---------------------------------------------------------------------------------------------
// Means.

/// Student's t quantile: the `t` with `P(T ≤ t) = p` for `df` degrees of freedom (`p > ½`
/// gives `t > 0`). From the incomplete beta: `P(|T| ≤ t) = I_{t²/(df+t²)}(½, df/2)`.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    assert!(
        p > 0.0 && p < 1.0 && df > 0.0,
        "t_quantile needs 0 < p < 1, df > 0"
    );
    if p < 0.5 {
        return -t_quantile(1.0 - p, df);
    }
    if p == 0.5 {
        return 0.0;
    }
    let y = inverse_incomplete_beta(2.0 * p - 1.0, 0.5, df / 2.0);
    (df * y / (1.0 - y)).sqrt()
}

/// `mean ± t(n − 1, 1 − α/2) · s/√n` from summary figures; unbounded for `n < 2`.
pub fn t_interval(mean: f64, sd: f64, n: u64, confidence: f64) -> Interval {
    if n < 2 {
        return Interval::unbounded();
    }
    let half = t_quantile(pair_confidence(confidence), (n - 1) as f64) * sd / (n as f64).sqrt();
    Interval {
        lower: mean - half,
        upper: mean + half,
    }
}

/// The mean's interval with a correction for skewness: [`t_interval`], with the side the
/// sample leans to widened by `|g| · (2t² + 1) / (6n) · s`, the first Edgeworth term of the t
/// statistic's distribution (Hall 1983; Johnson 1978's modified t). Latencies lean right: a
/// sample that missed the rare slow requests has a low mean *and* a low s, so the plain t
/// bound falls below the true mean too often (measured in tests/calibration.rs: 6.8 % at
/// n = 30 on exponential samples against 2.5 % nominal; 4.3 % with the correction). The
/// interval only ever widens, so symmetric samples keep the spec's plain t interval.
pub fn skewed_t_interval(mean: f64, sd: f64, skewness: f64, n: u64, confidence: f64) -> Interval {
    if n < 2 {
        return Interval::unbounded();
    }
    let t = t_quantile(pair_confidence(confidence), (n - 1) as f64);
    let root_n = (n as f64).sqrt();
    let half = t * sd / root_n;
    let lean = if skewness.is_finite() {
        skewness.abs() * (2.0 * t * t + 1.0) / (6.0 * root_n) * sd / root_n
    } else {
        0.0
    };
    Interval {
        lower: mean - half - if skewness < 0.0 { lean } else { 0.0 },
        upper: mean + half + if skewness > 0.0 { lean } else { 0.0 },
    }
}

/// Mean and sample standard deviation (`n − 1`) of a histogram, from its buckets' middles,
/// and the means of their lowest and highest equivalents (where the true mean must lie).
pub struct HistogramMoments {
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
    pub mean_low: f64,
    pub mean_high: f64,
    /// The sample skewness `m₃ / s³` (0 when `s` is 0).
    pub skewness: f64,
}

pub fn moments(histogram: &Histogram<u64>) -> HistogramMoments {
    let n = histogram.len();
    let (mut sum, mut low, mut high) = (0.0, 0.0, 0.0);
    for bucket in histogram.iter_recorded() {
        let value = bucket.value_iterated_to();
        let count = bucket.count_at_value() as f64;
        sum += histogram.median_equivalent(value) as f64 * count;
        low += histogram.lowest_equivalent(value) as f64 * count;
        high += histogram.highest_equivalent(value) as f64 * count;
    }
    let count = n.max(1) as f64;
    let mean = sum / count;
    let (mut squares, mut cubes) = (0.0, 0.0);
    for bucket in histogram.iter_recorded() {
        let d = histogram.median_equivalent(bucket.value_iterated_to()) as f64 - mean;
        let count = bucket.count_at_value() as f64;
        squares += d * d * count;
        cubes += d * d * d * count;
    }
    let sd = if n > 1 {
        (squares / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let skewness = if sd > 0.0 {
        cubes / count / sd.powi(3)
    } else {
        0.0
    };
    HistogramMoments {
        n,
        mean,
        sd,
        mean_low: low / count,
        mean_high: high / count,
        skewness,
    }
}

/// The skew-corrected t interval ([`skewed_t_interval`]) of a histogram's mean, widened by bucket resolution (the true mean lies
/// between the means of the buckets' lowest and highest equivalents); unbounded for `n < 2`.
pub fn mean_interval(histogram: &Histogram<u64>, confidence: f64) -> Interval {
    mean_interval_of(&moments(histogram), confidence)
}

/// The mean's interval from moments already computed (one pass serves several confidences).
pub fn mean_interval_of(m: &HistogramMoments, confidence: f64) -> Interval {
    if m.n < 2 {
        return Interval::unbounded();
    }
    let t = skewed_t_interval(0.0, m.sd, m.skewness, m.n, confidence);
    Interval {
        lower: m.mean_low + t.lower,
        upper: m.mean_high + t.upper,
    }
}

// ---------------------------------------------------------------------------------------------
// Tails.

/// With no sample past a threshold among `n`, the exact upper bound (at `1 − α/2`) on the
/// share of the population past it: `1 − (α/2)^(1/n)`. 1 for `n = 0`.
pub fn tail_bound(n: u64, confidence: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let tail = (1.0 - confidence) / 2.0;
    -libm::expm1(tail.ln() / n as f64)
}

/// The smallest `n` with [`tail_bound`]`(n) ≤ share`.
pub fn samples_for_tail(share: f64, confidence: f64) -> u64 {
    let tail = (1.0 - confidence) / 2.0;
    let mut n = (tail.ln() / libm::log1p(-share)).ceil().max(1.0) as u64;
    while n > 1 && tail_bound(n - 1, confidence) <= share {
        n -= 1;
    }
    while tail_bound(n, confidence) > share {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn z_is_the_usual_one() {
        assert!((z_for_confidence(0.95) - 1.959964).abs() < 1e-6);
        assert!((z_for_confidence(0.99) - 2.575829).abs() < 1e-6);
    }

    /// Direct summation of the binomial terms for small n as the reference.
    #[test]
    fn binomial_cdf_agrees_with_direct_sums() {
        for n in [1u64, 5, 20, 60, 300] {
            for q in [0.001, 0.1, 0.5, 0.95, 0.99] {
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
                        (fast - cumulative).abs() < 1e-12,
                        "n={n} q={q} x={x}: {fast} vs {cumulative}"
                    );
                }
            }
        }
    }

    /// For huge n the binomial is Poisson in the far tail and normal in the bulk; both limits
    /// must be met without the loss of digits `lgamma` differences would cause.
    #[test]
    fn binomial_cdf_stays_accurate_for_huge_n() {
        // Poisson(1000) limit: n = 1e15 samples, q = 1e-12 each, P(X ≤ 1000).
        let mut poisson = 0.0;
        let mut ln_term = -1000.0f64;
        for x in 0..=1000u32 {
            if x > 0 {
                ln_term += (1000.0 / f64::from(x)).ln();
            }
            poisson += ln_term.exp();
        }
        let n = 1_000_000_000_000_000u64;
        let b = binomial_cdf_with(1000, n, 1e-12, 1.0 - 1e-12);
        assert!((b - poisson).abs() < 1e-9, "{b} vs {poisson}");
        // Normal limit in the bulk: n = 2^62, q = ½, one standard deviation below the mean.
        let n = 1u64 << 62;
        let sd = (n as f64 * 0.25).sqrt();
        let x = n / 2 - sd as u64;
        let b = binomial_cdf(x, n, 0.5);
        assert!((b - normal_cdf(-1.0)).abs() < 1e-6, "{b}");
        // And the ranks of the median of 2^62 samples sit 1.96 sd either side.
        let (j, k) = quantile_ranks(n, 0.5, 0.95);
        let spread = 1.959964 * sd;
        let (j, k) = (j.unwrap() as f64, k.unwrap() as f64);
        assert!(((n as f64 / 2.0 - j) / spread - 1.0).abs() < 1e-6, "{j}");
        assert!(((k - n as f64 / 2.0) / spread - 1.0).abs() < 1e-6, "{k}");
    }

    #[test]
    fn incomplete_beta_inverts() {
        for (a, b) in [(0.5, 0.5), (1.0, 1.0), (2.0, 30.0), (0.5, 14.5), (1e6, 3.0)] {
            for p in [0.001, 0.025, 0.5, 0.975] {
                // The float boundary: I reaches p at x and not one float below.
                let x = inverse_incomplete_beta(p, a, b);
                let below = f64::from_bits(x.to_bits() - 1);
                assert!(incomplete_beta(a, b, x, 1.0 - x) >= p, "a={a} b={b} p={p}");
                assert!(
                    incomplete_beta(a, b, below, 1.0 - below) < p,
                    "a={a} b={b} p={p}"
                );
                if a < 100.0 {
                    let back = incomplete_beta(a, b, x, 1.0 - x);
                    assert!((back - p).abs() < 1e-12, "a={a} b={b} p={p}: {back}");
                }
            }
        }
    }

    #[test]
    fn fraction_reads_the_decimal() {
        let f = Fraction::from_percent(99.9).unwrap();
        assert_eq!((f.numerator, f.denominator), (999, 1000));
        assert_eq!(f.complement(), 0.001);
        let f = Fraction::from_percent(99.9999999).unwrap();
        assert_eq!(f.rank(1_000_000_000), 999_999_999);
        assert_eq!(Fraction::from_percent(100.0), None);
        assert_eq!(Fraction::from_percent(0.0), None);
    }

    #[test]
    fn histogram_interval_widens_to_bucket_edges() {
        let mut histogram = crate::evidence::latency_histogram();
        for _ in 0..4 {
            histogram.record(20_000).unwrap();
        }
        let q = Fraction::from_percent(99.0).unwrap();
        let interval = quantile_interval(&histogram, q, 0.95);
        assert!(interval.upper.is_infinite());
        assert!(interval.lower <= 20_000.0);
        // The mean's interval contains the bucket's whole range even with no spread.
        let mut histogram = crate::evidence::latency_histogram();
        for _ in 0..40 {
            histogram.record(123_456).unwrap();
        }
        let i = mean_interval(&histogram, 0.95);
        assert!(i.lower <= histogram.lowest_equivalent(123_456) as f64);
        assert!(i.upper >= histogram.highest_equivalent(123_456) as f64);
        assert!(i.upper > i.lower);
    }

    proptest! {
        #[test]
        fn clopper_pearson_contains_the_point_and_narrows_with_n(k in 0u64..1000, extra in 0u64..1000, scale in 2u64..10) {
            let n = k + extra + 1;
            let small = clopper_pearson(k as f64, n as f64, 0.95);
            let point = k as f64 / n as f64;
            prop_assert!(small.contains(point), "{small:?} {point}");
            let big = clopper_pearson((k * scale) as f64, (n * scale) as f64, 0.95);
            prop_assert!(big.contains(point));
            prop_assert!(big.upper - big.lower <= small.upper - small.lower + 1e-12);
        }

        #[test]
        fn ratio_interval_contains_the_point_and_narrows_with_n(k1 in 1u64..200, k0 in 1u64..200, scale in 2u64..6) {
            let (n1, n0) = (1000u64, 800u64);
            let point = (k1 as f64 / n1 as f64) / (k0 as f64 / n0 as f64);
            let small = ratio_score_interval(k1, n1, k0, n0, 0.95).unwrap();
            prop_assert!(small.contains(point), "{small:?} {point}");
            let big = ratio_score_interval(k1 * scale, n1 * scale, k0 * scale, n0 * scale, 0.95).unwrap();
            prop_assert!(big.contains(point));
            prop_assert!(big.upper.ln() - big.lower.ln() <= small.upper.ln() - small.lower.ln() + 1e-9);
        }

        #[test]
        fn t_interval_contains_the_mean_and_narrows_with_n(mean in -1e3f64..1e3, sd in 0.0f64..1e3, n in 2u64..10_000, scale in 2u64..10) {
            let small = t_interval(mean, sd, n, 0.95);
            prop_assert!(small.contains(mean));
            let big = t_interval(mean, sd, n * scale, 0.95);
            prop_assert!(big.upper - big.lower <= small.upper - small.lower + 1e-9);
        }

        #[test]
        fn one_pass_ranks_agree_with_one_rank_at_a_time(samples in proptest::collection::vec(1u64..10_000_000, 1..400), ranks in proptest::collection::vec(1u64..500, 1..6)) {
            let mut histogram = crate::evidence::latency_histogram();
            for s in &samples {
                histogram.record(*s).unwrap();
            }
            let together = values_at_ranks(&histogram, &ranks);
            for (rank, value) in ranks.iter().zip(&together) {
                prop_assert_eq!(*value, value_at_rank(&histogram, *rank));
            }
        }

        #[test]
        fn quantile_interval_contains_the_point(samples in proptest::collection::vec(1u64..10_000_000, 1..400), tenths in 1u32..999) {
            let mut histogram = crate::evidence::latency_histogram();
            for s in &samples {
                histogram.record(*s).unwrap();
            }
            let q = Fraction::from_percent(f64::from(tenths) / 10.0).unwrap();
            let interval = quantile_interval(&histogram, q, 0.95);
            let point = quantile_point(&histogram, q);
            prop_assert!(interval.lower <= point && point <= interval.upper, "{interval:?} {point}");
        }

        #[test]
        fn quantile_ranks_narrow_with_n(n in 10u64..5000, q in 0.05f64..0.95) {
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

        #[test]
        fn tail_bound_shrinks_with_n(n in 1u64..1_000_000) {
            prop_assert!(tail_bound(n + 1, 0.95) < tail_bound(n, 0.95));
        }
    }
}
