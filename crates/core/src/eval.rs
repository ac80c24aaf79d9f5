//! Evaluation: a policy judges a set of evidence records into a [`Verdict`].
//!
//! For each gate, in order:
//!
//! 1. **Select** the records that carry the gate's metric. None: *missing* (reason `partial`
//!    when the environment requires an evidence kind that never arrived).
//! 2. **Age**: records older than `max_age` are excluded (said in the gate's rules); if none is
//!    left the gate is *missing* with reason `stale`.
//! 3. **Combine** what is left: ratios add (`k` and `n` summed), histograms merge exactly,
//!    and for plain values the newest record is used. Each of these is printed as a rule.
//! 4. **Measure** the aggregate with its interval ([`crate::stats`]): Clopper–Pearson for
//!    `rate` (0 of 0 is *missing*), exact for census ratios (`coverage.*`) and for `count` and
//!    `total` (0 of 0 is *missing*), order statistics for `p(q)` and `med` (the point at rank
//!    ⌈q·n⌉, exact in the policy's decimal), Student's t for `mean`; plain values are exact
//!    unless the evidence marks them as estimates (*inconclusive*, `no_distribution`).
//! 5. **Decide**: for `<` and `<=`, *pass* when the interval's upper end is below the
//!    threshold, *fail* when its lower end is at or above it, *inconclusive* otherwise (and
//!    mirrored for `>` and `>=`; equality follows the operator). `max < t` / `min > t` are tail
//!    claims (fail on a sample past `t`, pass only when `1 − (α/2)^(1/n)` is within the gate's
//!    tail); a `mean` cannot pass below 30 samples. A relative threshold is two-sample: the
//!    score interval of the ratio of two rates, or each run's interval at `1 − α/2` for
//!    percentiles and means ([`decide_relative`]); a baseline that cannot anchor it is
//!    *inconclusive*, `no_baseline`.
//! 6. **Waive**: a gate that is not a pass and has a waiver expiring today or later is
//!    *waived*; an expired waiver is shown and ignored.
//!
//! The verdict is NO-GO when a blocker gate fails, is inconclusive or missing, or a required
//! evidence kind never arrived. Areas are red (a blocker stops), yellow (a warn gate is not a
//! pass, or a waiver applies), green (every gate passes) or grey (no evidence for any of its
//! gates, or no gates). Blockers and warnings are ranked by how far the measured value is past
//! its threshold, relative; missing evidence ranks first.

use std::collections::{BTreeMap, HashMap};

use hdrhistogram::Histogram;
use jiff::Timestamp;

use crate::catalog;
use crate::evidence::{Evidence, MetricValue, Ratio, Shape};
use crate::expect::{Aggregate, Op, Threshold};
use crate::policy::{Gate, Policy, Severity, suffix_fits, threshold_dimension, threshold_nonsense};
use crate::stats::{self, Interval};
use crate::units::{Dimension, Unit, format_base};
use crate::verdict::{
    AreaResult, AreaStatus, BaselineRef, Counted, Decision, EvidenceRef, GateResult, GateStatus,
    Measured, Reason, Rule, Settle, Verdict, WaiverState,
};

/// A previous verdict's measurements, for relative gates.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub reference: Option<BaselineRef>,
    /// By gate name.
    pub gates: BTreeMap<String, BaselineGate>,
}

#[derive(Debug, Clone)]
pub struct BaselineGate {
    pub metric: String,
    /// The aggregate as printed (`p(95)`, `rate`).
    pub aggregate: String,
    /// In base units.
    pub point: Option<f64>,
    pub n: Option<u64>,
    /// Events, for a rate (a relative rate gate needs k of n on both sides).
    pub k: Option<u64>,
    /// The interval at `1 − α/2` the baseline run measured (its `pair` interval), in base
    /// units: a relative percentile or mean gate compares each run's interval at that level.
    pub interval: Option<Interval>,
}

/// Judges `records` under `policy` at time `now`.
pub fn evaluate(
    policy: &Policy,
    records: &[Evidence],
    now: Timestamp,
    baseline: Option<&Baseline>,
) -> Verdict {
    let missing_kinds: Vec<String> = policy
        .requires
        .iter()
        .filter(|kind| !records.iter().any(|r| &r.kind == *kind))
        .cloned()
        .collect();
    // Which records carry each metric, built once: gates look metrics up by name.
    let mut carriers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, record) in records.iter().enumerate() {
        for name in record.metrics.keys() {
            carriers.entry(name.as_str()).or_default().push(index);
        }
    }
    let mut cited: Vec<usize> = Vec::new(); // indices into `records`, in first-use order
    let mut cited_position: HashMap<usize, usize> = HashMap::new();
    let mut gates = Vec::with_capacity(policy.gates.len());
    for gate in &policy.gates {
        let carrying = carriers
            .get(gate.metric.as_str())
            .map_or(&[][..], Vec::as_slice);
        let mut judged = judge(
            gate,
            records,
            carrying,
            now,
            baseline,
            &missing_kinds,
            policy.env.as_deref(),
        );
        judged.result.evidence = judged
            .used
            .iter()
            .map(|&record| {
                *cited_position.entry(record).or_insert_with(|| {
                    cited.push(record);
                    cited.len() - 1
                })
            })
            .collect();
        gates.push(judged.result);
    }
    let evidence = cited
        .iter()
        .map(|&i| {
            let r = &records[i];
            EvidenceRef {
                kind: r.kind.clone(),
                source: r.source.clone(),
                sha256: r.sha256.clone(),
                collected_at: r.collected_at,
                tool: format!("{} {}", r.tool.name, r.tool.version),
            }
        })
        .collect();

    let areas = policy
        .areas
        .iter()
        .map(|area| {
            let indices: Vec<usize> = gates
                .iter()
                .enumerate()
                .filter(|(_, g)| g.area == area.name)
                .map(|(i, _)| i)
                .collect();
            let members = || indices.iter().map(|&i| &gates[i]);
            let status = if indices.is_empty() || members().all(|g| g.status == GateStatus::Missing)
            {
                AreaStatus::Grey
            } else if members().any(|g| g.severity == Severity::Blocker && g.status.blocks()) {
                AreaStatus::Red
            } else if members().all(|g| g.status == GateStatus::Pass) {
                AreaStatus::Green
            } else {
                AreaStatus::Yellow
            };
            AreaResult {
                name: area.name.clone(),
                title: area.title.clone(),
                status,
                gates: indices,
            }
        })
        .collect();

    let ranked = |severity: Severity| {
        let mut list: Vec<usize> = gates
            .iter()
            .enumerate()
            .filter(|(_, g)| g.severity == severity && g.status.blocks())
            .map(|(i, _)| i)
            .collect();
        list.sort_by(|&a, &b| {
            gates[b]
                .distance
                .total_cmp(&gates[a].distance)
                .then(a.cmp(&b))
        });
        list
    };
    let blockers = ranked(Severity::Blocker);
    let warnings = ranked(Severity::Warn);
    let decision = if blockers.is_empty() && missing_kinds.is_empty() {
        Decision::Go
    } else {
        Decision::NoGo
    };
    Verdict {
        decision,
        policy_name: policy.name.clone(),
        env: policy.env.clone(),
        confidence: policy.confidence,
        evaluated_at: now,
        areas,
        gates,
        blockers,
        warnings,
        missing_kinds,
        evidence,
        baseline: baseline.and_then(|b| b.reference.clone()),
    }
}

struct Judged {
    result: GateResult,
    /// Indices into the records.
    used: Vec<usize>,
}

fn judge(
    gate: &Gate,
    records: &[Evidence],
    carrying: &[usize],
    now: Timestamp,
    baseline: Option<&Baseline>,
    missing_kinds: &[String],
    env: Option<&str>,
) -> Judged {
    let mut result = GateResult {
        name: gate.name.clone(),
        area: gate.area.clone(),
        metric: gate.metric.clone(),
        expect: gate.expect.to_string(),
        severity: gate.severity,
        description: gate.description.clone(),
        status: GateStatus::Missing,
        reason: Some(Reason::Missing),
        why: String::new(),
        measured: None,
        threshold: None,
        threshold_display: gate.expect.threshold.to_string(),
        confidence: gate.confidence,
        rules: Vec::new(),
        settle: None,
        waiver: None,
        evidence: Vec::new(),
        distance: f64::INFINITY,
    };
    let mut used = Vec::new();
    decide(
        gate,
        records,
        carrying,
        now,
        baseline,
        missing_kinds,
        env,
        &mut result,
        &mut used,
    );
    apply_waiver(gate, now, &mut result);
    Judged { result, used }
}

#[allow(clippy::too_many_arguments)]
fn decide(
    gate: &Gate,
    records: &[Evidence],
    carrying: &[usize],
    now: Timestamp,
    baseline: Option<&Baseline>,
    missing_kinds: &[String],
    env: Option<&str>,
    result: &mut GateResult,
    used: &mut Vec<usize>,
) {
    if carrying.is_empty() {
        if missing_kinds.is_empty() {
            result.why = format!("no evidence has the metric `{}`", gate.metric);
        } else {
            result.reason = Some(Reason::Partial);
            result.why = format!(
                "no evidence has the metric `{}`; the {} environment requires {} evidence, which never arrived",
                gate.metric,
                env.unwrap_or("chosen"),
                missing_kinds.join(", ")
            );
        }
        return;
    }

    // Age.
    let mut fresh = carrying.to_vec();
    if let Some(max_age) = gate.max_age {
        let age = |i: usize| age_seconds(now, records[i].collected_at);
        fresh.retain(|&i| age(i) <= max_age);
        if fresh.is_empty() {
            let youngest = carrying
                .iter()
                .map(|&i| age(i))
                .fold(f64::INFINITY, f64::min);
            result.reason = Some(Reason::Stale);
            result.why = format!(
                "the newest evidence for `{}` is {} old, more than max_age {}",
                gate.metric,
                format_base(youngest, Dimension::Time),
                format_base(max_age, Dimension::Time)
            );
            used.extend_from_slice(carrying);
            return;
        }
        let excluded = carrying.len() - fresh.len();
        if excluded > 0 {
            result.rules.push(Rule::ExcludedStale {
                records: excluded,
                max_age: format_base(max_age, Dimension::Time),
            });
        }
    }
    used.extend(fresh.iter().copied());

    // Combine.
    let metric_of = |i: usize| &records[i].metrics[&gate.metric];
    let first = metric_of(fresh[0]);
    let shape = first.value.shape();
    let unit = first.unit.clone();
    for &i in &fresh[1..] {
        let other = metric_of(i);
        if other.value.shape() != shape || other.unit != unit {
            result.reason = Some(Reason::Unparseable);
            result.why = format!(
                "records disagree about `{}`: a {} in {} from {} and a {} in {} from {}",
                gate.metric,
                shape,
                unit,
                records[fresh[0]].source,
                other.value.shape(),
                other.unit,
                records[i].source
            );
            return;
        }
    }
    for &i in &fresh {
        if let Some(note) = &metric_of(i).note {
            let rule = Rule::Text(note.clone());
            if !result.rules.contains(&rule) {
                result.rules.push(rule);
            }
        }
    }
    let aggregate = gate.expect.aggregate;
    if !aggregate.shapes().contains(&shape) {
        result.reason = Some(Reason::Unparseable);
        result.why = format!(
            "`{aggregate}` does not apply to `{}`, which the evidence gives as a {shape} (use {})",
            gate.metric,
            Aggregate::suggestions(shape)
        );
        return;
    }
    let dimension = threshold_dimension(aggregate, shape, &unit);
    let combined = match shape {
        Shape::Ratio => {
            let sum = fresh
                .iter()
                .filter_map(|&i| metric_of(i).value.as_ratio())
                .fold(Ratio { k: 0, n: 0 }, |sum, r| sum + r);
            if fresh.len() > 1 {
                result.rules.push(Rule::Summed {
                    records: fresh.len(),
                    k: sum.k,
                    n: sum.n,
                    unit: unit.to_string(),
                });
            }
            Combined::Ratio(sum)
        }
        Shape::Distribution => {
            let histogram = if fresh.len() == 1 {
                std::borrow::Cow::Borrowed(
                    metric_of(fresh[0])
                        .value
                        .as_histogram()
                        .expect("shape checked"),
                )
            } else {
                let mut merged: Histogram<u64> = metric_of(fresh[0])
                    .value
                    .as_histogram()
                    .expect("shape checked")
                    .clone();
                merged.auto(true);
                for &i in &fresh[1..] {
                    if let Some(h) = metric_of(i).value.as_histogram()
                        && merged.add(h).is_err()
                    {
                        result.reason = Some(Reason::Unparseable);
                        result.why =
                            format!("the histograms of `{}` cannot be merged", gate.metric);
                        return;
                    }
                }
                result.rules.push(Rule::MergedHistograms {
                    records: fresh.len(),
                    samples: merged.len(),
                });
                std::borrow::Cow::Owned(merged)
            };
            Combined::Distribution(histogram)
        }
        Shape::Value => {
            let newest = *fresh
                .iter()
                .max_by_key(|&&i| records[i].collected_at)
                .expect("fresh is not empty");
            if fresh.len() > 1 {
                result.rules.push(Rule::NewestValue {
                    records: fresh.len(),
                    metric: gate.metric.clone(),
                    source: records[newest].source.to_string(),
                    at: records[newest].collected_at.to_string(),
                });
                used.retain(|&i| i == newest);
            }
            let MetricValue::Value(v) = metric_of(newest).value else {
                unreachable!("shape checked")
            };
            Combined::Value(v)
        }
    };

    let census =
        shape == Shape::Ratio && aggregate == Aggregate::Rate && catalog::is_census(&gate.metric);
    let estimate = shape == Shape::Value
        && used
            .iter()
            .any(|&i| records[i].metrics[&gate.metric].estimate);
    let measured = match measure(
        &combined,
        aggregate,
        &unit,
        gate.confidence,
        dimension,
        census,
    ) {
        Ok(m) => m,
        Err(Unmeasured::Missing(why)) => {
            result.reason = Some(Reason::Missing);
            result.why = why;
            return;
        }
        Err(Unmeasured::Unparseable(why)) => {
            result.reason = Some(Reason::Unparseable);
            result.why = why;
            return;
        }
    };
    let op = gate.expect.op;
    let tail_claim = matches!(
        (aggregate, op.upper_bound()),
        (Aggregate::Max, Some(true)) | (Aggregate::Min, Some(false))
    ) && matches!(gate.expect.threshold, Threshold::Absolute { .. });
    if census {
        result.rules.push(Rule::Census {
            metric: gate.metric.clone(),
        });
    } else if shape == Shape::Value {
        if !estimate {
            result.rules.push(Rule::PlainValue);
        }
    } else if measured.interval.is_none() && aggregate.is_exact() && !tail_claim {
        result.rules.push(Rule::ExactAggregate {
            aggregate: aggregate.to_string(),
        });
    }

    if estimate {
        result.status = GateStatus::Inconclusive;
        result.reason = Some(Reason::NoDistribution);
        result.why = format!(
            "{} is an estimate without the samples behind it, so it can neither pass nor fail `{}`; {}",
            describe(&measured, aggregate),
            gate.expect,
            NO_DISTRIBUTION_HINT
        );
        if let Some(t) = gate.expect.threshold.base_value() {
            result.threshold = Some(t);
            result.threshold_display = format!("{op} {}", format_base(t, dimension));
        }
        result.distance = 0.0;
        result.measured = Some(measured);
        return;
    }

    // Threshold.
    let threshold = match gate.expect.threshold {
        Threshold::Absolute { suffix, .. } => {
            if !suffix_fits(suffix, dimension) {
                result.reason = Some(Reason::Unparseable);
                result.why = format!(
                    "the threshold {} does not fit `{}`, which the evidence gives in {unit}",
                    gate.expect.threshold, gate.metric
                );
                result.measured = Some(measured);
                return;
            }
            if let Some((message, help)) =
                threshold_nonsense(aggregate, gate.expect.threshold, dimension)
            {
                result.reason = Some(Reason::Unparseable);
                result.why = format!("{message}: {help}");
                result.measured = Some(measured);
                return;
            }
            gate.expect.threshold.base_value().expect("absolute")
        }
        Threshold::Relative { percent } => {
            judge_relative(gate, baseline, percent, &measured, census, result);
            result.measured = Some(measured);
            return;
        }
    };
    result.threshold = Some(threshold);
    result.threshold_display = format!("{op} {}", format_base(threshold, dimension));
    result.distance = distance(op, measured.point, threshold);
    let shown = describe(&measured, aggregate);

    if tail_claim {
        let Combined::Distribution(h) = &combined else {
            unreachable!("max and min read histograms")
        };
        judge_tail(gate, h, &unit, threshold, &measured, &shown, result);
        result.measured = Some(measured);
        return;
    }

    let interval = measured.interval.unwrap_or(Interval::point(measured.point));
    let status = decide_interval(op, interval, threshold);
    let n = measured.n.unwrap_or(0);
    if aggregate == Aggregate::Mean && status == GateStatus::Pass && n < MEAN_MIN_SAMPLES {
        result.status = GateStatus::Inconclusive;
        result.reason = Some(Reason::TooFewSamples);
        result.why = format!(
            "{shown}: a mean needs at least {MEAN_MIN_SAMPLES} samples before it can pass (latencies are skewed, and below that the t interval is not to be trusted)"
        );
        result.settle = Some(Settle::More {
            more: MEAN_MIN_SAMPLES - n,
            total: Some(MEAN_MIN_SAMPLES),
            counted: Counted::Samples,
        });
        result.measured = Some(measured);
        return;
    }
    match status {
        GateStatus::Pass => {
            result.status = GateStatus::Pass;
            result.reason = None;
            result.why = format!("{shown}: the whole interval satisfies {}", gate.expect);
            if measured.interval.is_none() {
                result.why = format!("{shown} satisfies {}", gate.expect);
            }
        }
        GateStatus::Fail => {
            result.status = GateStatus::Fail;
            result.reason = Some(Reason::Breached);
            result.why = if measured.interval.is_none() {
                format!("{shown} breaks {op} {}", format_base(threshold, dimension))
            } else {
                format!(
                    "{shown}: the whole interval breaks {op} {}",
                    format_base(threshold, dimension)
                )
            };
        }
        _ => {
            result.status = GateStatus::Inconclusive;
            result.reason = Some(Reason::TooFewSamples);
            result.why = format!(
                "{shown}: the interval straddles {}, so this evidence cannot decide",
                format_base(threshold, dimension)
            );
            result.settle =
                settle_hint(&combined, aggregate, op, threshold, gate.confidence, &unit);
        }
    }
    result.measured = Some(measured);
}

/// Below this many samples a `mean` gate cannot pass.
pub const MEAN_MIN_SAMPLES: u64 = 30;

/// What an estimate's `no_distribution` says to do.
pub const NO_DISTRIBUTION_HINT: &str = "bring the samples instead: k6's raw output (`k6 run --out json=...`) rather than its summary, the Prometheus histogram's buckets and count rather than a quantile, or the measurements themselves rather than a figure typed by hand";

/// `max < t` / `min > t`: fail on the first sample at or past `t`, pass only when none is and
/// the exact bound on the share past `t` is within the gate's tail.
fn judge_tail(
    gate: &Gate,
    h: &Histogram<u64>,
    unit: &Unit,
    threshold: f64,
    measured: &Measured,
    shown: &str,
    result: &mut GateResult,
) {
    let factor = unit.to_base();
    let extreme = if gate.expect.aggregate == Aggregate::Max {
        h.max()
    } else {
        h.min()
    };
    // Where the extreme sample really lies, given the bucket resolution.
    let seen = Interval {
        lower: h.lowest_equivalent(extreme) as f64 * factor,
        upper: h.highest_equivalent(extreme) as f64 * factor,
    };
    let n = h.len();
    let bound = stats::tail_bound(n, gate.confidence);
    let needed = stats::samples_for_tail(gate.tail, gate.confidence);
    let dimension = measured.dimension;
    let t = format_base(threshold, dimension);
    let op = gate.expect.op;
    result.rules.push(Rule::Tail {
        tail: percent_text(gate.tail),
        bound: percent_text(bound),
        samples: n,
    });
    match decide_interval(op, seen, threshold) {
        GateStatus::Fail => {
            result.status = GateStatus::Fail;
            result.reason = Some(Reason::Breached);
            result.why = format!("{shown}: a sample breaks {op} {t}, and one seen is conclusive");
        }
        GateStatus::Pass if bound <= gate.tail => {
            result.status = GateStatus::Pass;
            result.reason = None;
            result.why = format!(
                "{shown}: none breaks {op} {t}, and the share of requests that could is at most {} (within the tail {})",
                percent_text(bound),
                percent_text(gate.tail)
            );
        }
        GateStatus::Pass => {
            result.status = GateStatus::Inconclusive;
            result.reason = Some(Reason::TooFewSamples);
            result.why = format!(
                "{shown}: none breaks {op} {t}, but {n} sample{} only bound the share that could to {}, more than the tail {}; needs about {} more samples",
                plural(n as usize),
                percent_text(bound),
                percent_text(gate.tail),
                needed - n
            );
            result.settle = Some(Settle::More {
                more: needed - n,
                total: Some(needed),
                counted: Counted::Samples,
            });
        }
        _ => {
            result.status = GateStatus::Inconclusive;
            result.reason = Some(Reason::TooFewSamples);
            result.why = format!(
                "{shown}: the histogram's resolution cannot tell whether that sample breaks {op} {t}"
            );
        }
    }
}

/// A relative threshold: two samples (the score interval of two rates; each run's interval at
/// `1 − α/2` for percentiles and means); exact aggregates compare with the baseline's value.
fn judge_relative(
    gate: &Gate,
    baseline: Option<&Baseline>,
    percent: f64,
    measured: &Measured,
    census: bool,
    result: &mut GateResult,
) {
    let aggregate = gate.expect.aggregate;
    let op = gate.expect.op;
    let dimension = measured.dimension;
    let no_baseline = |result: &mut GateResult, why: String| {
        result.status = GateStatus::Inconclusive;
        result.reason = Some(Reason::NoBaseline);
        result.why = why;
        result.distance = 0.0;
    };
    let previous = match baseline_gate(gate, baseline) {
        Ok(p) => p,
        Err(why) => return no_baseline(result, why),
    };
    let Some(point) = previous.point else {
        return no_baseline(
            result,
            "the baseline has no measurement for this gate".to_owned(),
        );
    };
    let factor = 1.0 + percent / 100.0;
    let threshold = point * factor;
    let source = baseline
        .and_then(|b| b.reference.as_ref())
        .map(|r| {
            format!(
                " ({}, sha256 {})",
                r.source,
                &r.sha256[..12.min(r.sha256.len())]
            )
        })
        .unwrap_or_default();
    let sign = if percent < 0.0 { "−" } else { "+" };
    result.rules.push(Rule::Text(format!(
        "threshold = baseline {aggregate} {point:.6} × (1 {sign} {}%){source}",
        percent.abs()
    )));
    result.threshold = Some(threshold);
    result.threshold_display = format!("{op} {}", format_base(threshold, dimension));
    result.distance = distance(op, measured.point, threshold);
    let shown = describe(measured, aggregate);
    let pair_confidence = stats::pair_confidence(gate.confidence);

    let (status, why) = match aggregate {
        Aggregate::Rate if !census => {
            let (Some(k1), Some(n1)) = (measured.k, measured.n) else {
                return no_baseline(result, "the current rate has no counts".to_owned());
            };
            let (Some(k0), Some(n0)) = (previous.k, previous.n.filter(|&n| n > 0)) else {
                return no_baseline(
                    result,
                    "the baseline's rate carries no counts (k of n), so it cannot be compared as a sample".to_owned(),
                );
            };
            let Some(ratio) = stats::ratio_score_interval(k1, n1, k0, n0, gate.confidence) else {
                result.status = GateStatus::Inconclusive;
                result.reason = Some(Reason::TooFewSamples);
                result.why = format!(
                    "{shown}: both this run and the baseline ({k0} of {n0}) have a rate of 0, so their ratio is unknown"
                );
                return;
            };
            let status = decide_interval(op, ratio, factor);
            let why = format!(
                "{shown}: current ÷ baseline ({k0} of {n0}) is in [{}, {}] (score interval at {}), against {factor}",
                round_ratio(ratio.lower),
                round_ratio(ratio.upper),
                percent_text(gate.confidence)
            );
            (status, why)
        }
        Aggregate::Percentile(_) | Aggregate::Median | Aggregate::Mean => {
            let Some(base) = previous
                .interval
                .filter(|i| i.lower.is_finite() && i.upper.is_finite())
            else {
                return no_baseline(
                    result,
                    format!(
                        "the baseline's {aggregate} has no bounded interval at {} (too few samples{}), so it cannot anchor a comparison",
                        percent_text(pair_confidence),
                        previous.n.map(|n| format!(": {n}")).unwrap_or_default()
                    ),
                );
            };
            let current = measured.pair.unwrap_or(Interval::unbounded());
            result.rules.push(Rule::TwoSample {
                confidence: percent_text(pair_confidence),
            });
            let status = decide_relative(op, current, base, factor);
            let show = |i: Interval| {
                format!(
                    "[{}, {}]",
                    format_base(i.lower, dimension),
                    format_base(i.upper, dimension)
                )
            };
            let why = format!(
                "{shown}: at {} this run is in {} and the baseline in {}; compared with {factor} × the baseline",
                percent_text(pair_confidence),
                show(current),
                show(base)
            );
            (status, why)
        }
        Aggregate::Min | Aggregate::Max => {
            result.reason = Some(Reason::Unparseable);
            result.why = format!(
                "`{aggregate}` has no two-sample rule: compare a percentile with the baseline instead"
            );
            return;
        }
        _ => {
            let status = decide_interval(op, Interval::point(measured.point), threshold);
            (
                status,
                format!(
                    "{shown}, exact, against {}",
                    format_base(threshold, dimension)
                ),
            )
        }
    };
    result.why = why;
    match status {
        GateStatus::Pass => {
            result.status = GateStatus::Pass;
            result.reason = None;
        }
        GateStatus::Fail => {
            result.status = GateStatus::Fail;
            result.reason = Some(Reason::Breached);
        }
        _ => {
            result.status = GateStatus::Inconclusive;
            result.reason = Some(Reason::TooFewSamples);
        }
    }
}

fn round_ratio(x: f64) -> String {
    if x.is_infinite() {
        "∞".to_owned()
    } else {
        format!("{x:.4}")
    }
}

/// `0.01` as `1%`, `0.000499953` as `0.0499953%`.
fn percent_text(fraction: f64) -> String {
    let value = fraction * 100.0;
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

enum Combined<'a> {
    Ratio(Ratio),
    Distribution(std::borrow::Cow<'a, Histogram<u64>>),
    Value(f64),
}

/// Why an aggregate could not be measured.
enum Unmeasured {
    /// Nothing was counted (a rate or census of 0 of 0): the gate is missing.
    Missing(String),
    Unparseable(String),
}

fn measure(
    combined: &Combined<'_>,
    aggregate: Aggregate,
    unit: &Unit,
    confidence: f64,
    dimension: Dimension,
    census: bool,
) -> Result<Measured, Unmeasured> {
    let factor = unit.to_base();
    let pair_confidence = stats::pair_confidence(confidence);
    Ok(match (combined, aggregate) {
        (Combined::Value(v), _) => exact(v * factor, None, None, dimension),
        (Combined::Ratio(r), _) if r.n == 0 => {
            return Err(Unmeasured::Missing(
                if aggregate == Aggregate::Rate && !census {
                    "the evidence counts 0 trials: a rate of nothing proves nothing".to_owned()
                } else {
                    "the evidence counts 0 of 0: a census of nothing proves nothing".to_owned()
                },
            ));
        }
        (Combined::Ratio(r), Aggregate::Rate) if census => {
            exact(r.k as f64 / r.n as f64, Some(r.n), Some(r.k), dimension)
        }
        (Combined::Ratio(r), Aggregate::Rate) => Measured {
            point: r.k as f64 / r.n as f64,
            interval: Some(stats::clopper_pearson(r.k as f64, r.n as f64, confidence)),
            n: Some(r.n),
            k: Some(r.k),
            dimension,
            pair: Some(stats::clopper_pearson(
                r.k as f64,
                r.n as f64,
                pair_confidence,
            )),
        },
        (Combined::Ratio(r), Aggregate::Count) => {
            exact(r.k as f64, Some(r.n), Some(r.k), dimension)
        }
        (Combined::Ratio(r), _) => exact(r.n as f64, Some(r.n), Some(r.k), dimension),
        (Combined::Distribution(h), aggregate) => {
            let n = h.len();
            if n == 0 {
                return Err(Unmeasured::Unparseable(
                    "the histogram holds no samples".to_owned(),
                ));
            }
            match aggregate {
                Aggregate::Count => exact(n as f64, Some(n), None, dimension),
                Aggregate::Min => exact(
                    h.lowest_equivalent(h.min()) as f64 * factor,
                    Some(n),
                    None,
                    dimension,
                ),
                Aggregate::Max => exact(
                    h.highest_equivalent(h.max()) as f64 * factor,
                    Some(n),
                    None,
                    dimension,
                ),
                Aggregate::Mean => Measured {
                    point: h.mean() * factor,
                    interval: Some(stats::mean_interval(h, confidence).scaled(factor)),
                    n: Some(n),
                    k: None,
                    dimension,
                    pair: Some(stats::mean_interval(h, pair_confidence).scaled(factor)),
                },
                _ => {
                    let q = aggregate.fraction().ok_or_else(|| {
                        Unmeasured::Unparseable(format!(
                            "the percentile of `{aggregate}` is not a decimal gonogo can rank"
                        ))
                    })?;
                    Measured {
                        point: stats::quantile_point(h, q) * factor,
                        interval: Some(stats::quantile_interval(h, q, confidence).scaled(factor)),
                        n: Some(n),
                        k: None,
                        dimension,
                        pair: Some(stats::quantile_interval(h, q, pair_confidence).scaled(factor)),
                    }
                }
            }
        }
    })
}

fn exact(point: f64, n: Option<u64>, k: Option<u64>, dimension: Dimension) -> Measured {
    Measured {
        point,
        interval: None,
        n,
        k,
        dimension,
        pair: None,
    }
}

/// Pass, fail or inconclusive (returned as `Missing`-free statuses) for an interval.
pub fn decide_interval(op: Op, interval: Interval, threshold: f64) -> GateStatus {
    let (pass, fail) = match op {
        Op::Lt => (interval.upper < threshold, interval.lower >= threshold),
        Op::Le => (interval.upper <= threshold, interval.lower > threshold),
        Op::Gt => (interval.lower > threshold, interval.upper <= threshold),
        Op::Ge => (interval.lower >= threshold, interval.upper < threshold),
        Op::Eq | Op::Ne => {
            let holds = op.holds(interval.lower, threshold) && op.holds(interval.upper, threshold);
            (holds, !holds)
        }
    };
    if pass {
        GateStatus::Pass
    } else if fail {
        GateStatus::Fail
    } else {
        GateStatus::Inconclusive
    }
}

/// Two samples, each with its interval at `1 − α/2`: `current op factor × baseline`. For `<=`
/// a pass needs current's upper end at or below `factor` × baseline's lower end, and a fail
/// current's lower end above `factor` × baseline's upper end (conservative both ways);
/// mirrored for `>=`. `==`/`!=` never apply to relative thresholds.
pub fn decide_relative(op: Op, current: Interval, baseline: Interval, factor: f64) -> GateStatus {
    let low = factor * baseline.lower;
    let high = factor * baseline.upper;
    let (pass, fail) = match op {
        Op::Lt => (current.upper < low, current.lower >= high),
        Op::Le => (current.upper <= low, current.lower > high),
        Op::Gt => (current.lower > high, current.upper <= low),
        Op::Ge => (current.lower >= high, current.upper < low),
        Op::Eq | Op::Ne => (false, false),
    };
    if pass {
        GateStatus::Pass
    } else if fail {
        GateStatus::Fail
    } else {
        GateStatus::Inconclusive
    }
}

/// Relative distance of the point past the threshold (positive: the wrong side).
fn distance(op: Op, point: f64, threshold: f64) -> f64 {
    let scale = if threshold == 0.0 {
        1.0
    } else {
        threshold.abs()
    };
    match op.upper_bound() {
        Some(true) => (point - threshold) / scale,
        Some(false) => (threshold - point) / scale,
        None => {
            if op.holds(point, threshold) {
                -1.0
            } else {
                1.0
            }
        }
    }
}

fn describe(measured: &Measured, aggregate: Aggregate) -> String {
    let mut text = format!("{aggregate} = {}", measured.display_point());
    if let (Some(k), Some(n), Aggregate::Rate) = (measured.k, measured.n, aggregate) {
        text.push_str(&format!(" ({k} of {n})"));
    }
    if let Some(interval) = measured.display_interval() {
        text.push_str(&format!(", interval {interval}"));
    }
    if let (Some(n), false) = (measured.n, aggregate == Aggregate::Rate) {
        text.push_str(&format!(" from {n} sample{}", plural(n as usize)));
    }
    text
}

/// The baseline's record of this gate, checked to measure the same thing.
fn baseline_gate<'b>(
    gate: &Gate,
    baseline: Option<&'b Baseline>,
) -> Result<&'b BaselineGate, String> {
    let Some(baseline) = baseline else {
        return Err(format!(
            "`{}` is relative to a baseline, and none was given (--baseline verdict.json)",
            gate.expect
        ));
    };
    let aggregate = gate.expect.aggregate;
    let Some(previous) = baseline.gates.get(&gate.name) else {
        return Err(format!("the baseline has no gate named `{}`", gate.name));
    };
    if previous.metric != gate.metric || previous.aggregate != aggregate.to_string() {
        return Err(format!(
            "the baseline's `{}` measured {} of `{}`, not {aggregate} of `{}`",
            gate.name, previous.aggregate, previous.metric, gate.metric
        ));
    }
    Ok(previous)
}

/// "needs about N more samples", assuming what was measured so far holds.
fn settle_hint(
    combined: &Combined<'_>,
    aggregate: Aggregate,
    op: Op,
    threshold: f64,
    confidence: f64,
    unit: &Unit,
) -> Option<Settle> {
    const LIMIT: u64 = 1_000_000_000_000;
    let (current, decides): (u64, Box<dyn Fn(u64) -> bool + '_>) = match (combined, aggregate) {
        (Combined::Ratio(r), Aggregate::Rate) => {
            let p = r.k as f64 / r.n as f64;
            (
                r.n,
                Box::new(move |n: u64| {
                    let interval = stats::clopper_pearson(p * n as f64, n as f64, confidence);
                    decide_interval(op, interval, threshold) != GateStatus::Inconclusive
                }),
            )
        }
        (Combined::Distribution(h), Aggregate::Percentile(_) | Aggregate::Median) => {
            let q = aggregate.fraction()?;
            let factor = unit.to_base();
            let h: &Histogram<u64> = h;
            (
                h.len(),
                Box::new(move |n: u64| {
                    let (j, k) =
                        stats::quantile_ranks_with(n, q.value(), q.complement(), confidence);
                    let value_at = |rank: u64, high: bool| {
                        let v = h.value_at_quantile(rank as f64 / n as f64);
                        let v = if high {
                            h.highest_equivalent(v)
                        } else {
                            h.lowest_equivalent(v)
                        };
                        v as f64 * factor
                    };
                    let interval = Interval {
                        lower: j.map_or(f64::NEG_INFINITY, |j| value_at(j, false)),
                        upper: k.map_or(f64::INFINITY, |k| value_at(k, true)),
                    };
                    decide_interval(op, interval, threshold) != GateStatus::Inconclusive
                }),
            )
        }
        (Combined::Distribution(h), Aggregate::Mean) => {
            let m = stats::moments(h);
            let factor = unit.to_base();
            let gap = (h.mean() * factor - threshold).abs();
            if gap == 0.0 {
                return Some(Settle::OnThreshold { mean: true });
            }
            let sd = m.sd * factor;
            let half = |n: u64| stats::t_interval(0.0, sd, n, confidence).upper;
            // The z figure first, then up until the t interval clears the gap.
            let z = stats::z_for_confidence(confidence);
            let mut needed = ((z * sd / gap).powi(2).ceil() as u64).max(2);
            while needed < LIMIT && half(needed) >= gap {
                needed += needed / 100 + 1;
            }
            let needed = needed.max(MEAN_MIN_SAMPLES);
            return Some(Settle::More {
                more: needed.saturating_sub(h.len()).max(1),
                total: Some(needed),
                counted: Counted::Samples,
            });
        }
        _ => return None,
    };
    // Double until the decision settles, then bisect for the smallest n that settles.
    let mut low = current.max(1);
    let mut high = low;
    loop {
        high = high.saturating_mul(2);
        if high > LIMIT {
            return Some(Settle::OnThreshold { mean: false });
        }
        if decides(high) {
            break;
        }
        low = high;
    }
    while high - low > 1.max(low / 100) {
        let mid = low + (high - low) / 2;
        if decides(mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    Some(Settle::More {
        more: high.saturating_sub(current).max(1),
        total: Some(high),
        counted: if matches!(aggregate, Aggregate::Rate) {
            Counted::Trials
        } else {
            Counted::Samples
        },
    })
}

fn apply_waiver(gate: &Gate, now: Timestamp, result: &mut GateResult) {
    let Some(waiver) = &gate.waiver else {
        return;
    };
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let expired = waiver.expires < today;
    let underlying = result.status;
    result.waiver = Some(WaiverState {
        reason: waiver.reason.clone(),
        owner: waiver.owner.clone(),
        expires: waiver.expires,
        expired,
        underlying,
    });
    if underlying == GateStatus::Pass {
        return;
    }
    if expired {
        result.rules.push(Rule::WaiverExpired {
            owner: waiver.owner.clone(),
            expires: waiver.expires.to_string(),
        });
    } else {
        result.status = GateStatus::Waived;
        result.reason = Some(Reason::Waived);
        result.why = format!(
            "waived by {} until {} ({}); without the waiver: {underlying}, {}",
            waiver.owner, waiver.expires, waiver.reason, result.why
        );
    }
}

fn age_seconds(now: Timestamp, then: Timestamp) -> f64 {
    (now.as_second() - then.as_second()) as f64
        + f64::from(now.subsec_nanosecond() - then.subsec_nanosecond()) * 1e-9
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A gate whose status differs between two verdicts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flip {
    pub gate: String,
    /// `None`: the gate did not exist in the earlier verdict (or no longer exists).
    pub before: Option<GateStatus>,
    pub after: Option<GateStatus>,
}

/// The gates whose status changed from `before` (name, status pairs) to `after`.
pub fn flips(before: &[(String, GateStatus)], after: &Verdict) -> Vec<Flip> {
    let mut changes = Vec::new();
    for gate in &after.gates {
        let old = before
            .iter()
            .find(|(name, _)| *name == gate.name)
            .map(|(_, s)| *s);
        if old != Some(gate.status) {
            changes.push(Flip {
                gate: gate.name.clone(),
                before: old,
                after: Some(gate.status),
            });
        }
    }
    for (name, status) in before {
        if !after.gates.iter().any(|g| &g.name == name) {
            changes.push(Flip {
                gate: name.clone(),
                before: Some(*status),
                after: None,
            });
        }
    }
    changes
}
