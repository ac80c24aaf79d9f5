//! Evaluation: a policy judges a set of evidence records into a [`Verdict`].
//!
//! For each gate, in order:
//!
//! 1. **Select** (`select`) the records that carry the gate's metric and may count, each
//!    rule printed when it sets one aside (docs/evidence.md): about this candidate (its
//!    commit), an engine's record about a service the policy names, not from the future, not
//!    older than `max_age` (7 days unless said otherwise; all stale: *missing*, `stale`),
//!    once (the same record, or the same producer on the same input), the newest measurement
//!    of each source. None: *missing* (`partial` when the environment requires an evidence
//!    kind that never arrived).
//! 2. **Combine** (`combine`) the records of different sources by what the metric means
//!    ([`Combine`]): ratios add with checked sums, histograms merge exactly, coverage is a
//!    union by file, states take the worst, values with no meaning across sources conflict.
//!    Never the newest across sources.
//! 3. **Incomplete**: a pass or an undecided gate that stands on a record whose work did not
//!    complete is *missing*, `incomplete` (applied after the decision).
//! 4. **Measure** the aggregate with its interval ([`crate::stats`]): Clopper–Pearson for
//!    `rate` (0 of 0 is *missing*), exact for census ratios (`coverage.*`) and for `count` and
//!    `total` (0 of 0 is *missing*), order statistics for `p(q)` and `med` (the point at rank
//!    ⌈q·n⌉, exact in the policy's decimal), Student's t (corrected for skewness) for `mean`; plain values are exact
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
//! The verdict is NO-GO when a blocker gate fails, is inconclusive or missing, a required
//! evidence kind never arrived, or no blocker gate passed on evidence (GO has to be earned:
//! an empty policy, only warnings or only waivers are NO-GO, [`Unearned`]). Areas are red (a blocker stops), yellow (a warn gate is not a
//! pass, or a waiver applies), green (every gate passes) or grey (no evidence for any of its
//! gates, or no gates). Blockers and warnings are ranked by how far the measured value is past
//! its threshold, relative; missing evidence ranks first.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use hdrhistogram::Histogram;
use jiff::Timestamp;

use crate::catalog::Combine;
use crate::evidence::{Evidence, MetricValue, Ratio, Shape};
use crate::expect::{Aggregate, Op, Threshold};
use crate::policy::{
    Gate, GateSeverity, Policy, suffix_fits, threshold_dimension, threshold_nonsense,
};
use crate::stats::{self, Interval};
use crate::units::{Dimension, Unit, format_base};
use crate::verdict::{
    AreaResult, AreaStatus, BaselineRef, Counted, Decision, EvidenceRef, GateResult, GateStatus,
    Measured, Reason, Rule, Settle, Unearned, Verdict, WaiverState,
};

/// A previous verdict's measurements, for relative gates.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub reference: Option<BaselineRef>,
    /// By gate name; a relative gate finds its measurement by metric and aggregate.
    pub gates: BTreeMap<String, BaselineGate>,
}

impl Baseline {
    /// A verdict's measurements, as the baseline of a later evaluation (`reference` names the
    /// verdict it came from).
    pub fn of(verdict: &Verdict, reference: Option<BaselineRef>) -> Baseline {
        Baseline {
            reference,
            gates: verdict
                .gates
                .iter()
                .map(|g| {
                    let measured = g.measured.as_ref();
                    (
                        g.name.clone(),
                        BaselineGate {
                            metric: g.metric.clone(),
                            aggregate: g.expect.aggregate.to_string(),
                            point: measured.map(|m| m.point),
                            n: measured.and_then(|m| m.n),
                            k: measured.and_then(|m| m.k),
                            interval: measured.and_then(|m| m.pair),
                        },
                    )
                })
                .collect(),
        }
    }
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

/// What a judgement knows besides the policy and the evidence.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    /// The commit being judged (git, the CI's variables, or `--commit`). Known: records
    /// stamped with another commit are set aside.
    pub commit: Option<String>,
}

/// Everything one judgement reads, for the gates.
struct Judging<'a> {
    policy: &'a Policy,
    now: Timestamp,
    baseline: Option<&'a Baseline>,
    candidate: &'a Candidate,
    missing_kinds: Vec<String>,
    /// Each record's identity, computed once when a gate first needs it (it serialises the
    /// whole record).
    identities: Vec<std::cell::OnceCell<String>>,
}

/// How long a record may be in the future of `now` (clocks disagree a little) before it is
/// refused.
pub const FUTURE_TOLERANCE_SECONDS: f64 = 300.0;

/// Judges `records` under `policy` at time `now`, without knowing the candidate's commit.
pub fn evaluate(
    policy: &Policy,
    records: &[Evidence],
    now: Timestamp,
    baseline: Option<&Baseline>,
) -> Verdict {
    evaluate_for(policy, records, now, baseline, &Candidate::default())
}

/// Judges `records` under `policy` at time `now` for `candidate`.
pub fn evaluate_for(
    policy: &Policy,
    records: &[Evidence],
    now: Timestamp,
    baseline: Option<&Baseline>,
    candidate: &Candidate,
) -> Verdict {
    // A required kind must arrive as a non-empty, fresh record about this candidate.
    let missing_kinds: Vec<String> = policy
        .requires
        .iter()
        .filter(|kind| {
            !records.iter().any(|r| {
                &r.kind == *kind
                    && !r.metrics.is_empty()
                    && about_candidate(r, candidate)
                    && in_time(now, r, policy.max_age)
            })
        })
        .cloned()
        .collect();
    let judging = Judging {
        policy,
        now,
        baseline,
        candidate,
        missing_kinds,
        identities: vec![std::cell::OnceCell::new(); records.len()],
    };
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
        let mut judged = judge(gate, records, carrying, &judging);
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
            } else if members().any(|g| g.severity == GateSeverity::Blocker && g.status.blocks()) {
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

    let ranked = |severity: GateSeverity| {
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
    let blockers = ranked(GateSeverity::Blocker);
    let warnings = ranked(GateSeverity::Warn);
    // GO has to be earned: at least one blocker gate passed on evidence.
    let unearned = if policy.gates.is_empty() {
        Some(Unearned::NoGates)
    } else if !gates.iter().any(|g| g.severity == GateSeverity::Blocker) {
        Some(Unearned::NoBlockers)
    } else if !gates
        .iter()
        .any(|g| g.severity == GateSeverity::Blocker && g.status == GateStatus::Pass)
    {
        Some(Unearned::NoBlockerPassed)
    } else {
        None
    };
    let missing_kinds = judging.missing_kinds;
    let decision = if blockers.is_empty() && missing_kinds.is_empty() && unearned.is_none() {
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
        unearned,
        evidence,
        baseline: baseline.and_then(|b| b.reference.clone()),
        policy_path: None,
        policy_sha256: None,
        context: None,
        target: policy.target.clone(),
        duration: None,
    }
}

/// Whether a record may speak of the candidate: unstamped, or stamped with its commit (a
/// short hash matches its full form).
fn about_candidate(record: &Evidence, candidate: &Candidate) -> bool {
    match (&record.commit, &candidate.commit) {
        (Some(stamped), Some(judged)) => same_commit(stamped, judged),
        _ => true,
    }
}

fn same_commit(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    a.len() >= 7 && b.len() >= 7 && (a.starts_with(&b) || b.starts_with(&a))
}

/// Not older than `max_age` (none: any age) and not from the future.
fn in_time(now: Timestamp, record: &Evidence, max_age: Option<f64>) -> bool {
    let age = age_seconds(now, record.collected_at);
    age >= -FUTURE_TOLERANCE_SECONDS && max_age.is_none_or(|max| age <= max)
}

/// The engines whose records speak of a service, and so must be about one the policy names.
pub const ENGINE_KINDS: [&str; 5] = ["load", "probe", "harden", "observe", "prometheus"];

/// Rules 1 to 4 of `docs/evidence.md`, each printed with the gate when it set something
/// aside: about this candidate, named by the policy, fresh, once, the newest measurement of
/// each source. `Err` carries the records looked at when none is left (the gate is missing).
fn select(
    gate: &Gate,
    records: &[Evidence],
    carrying: &[usize],
    judging: &Judging<'_>,
    result: &mut GateResult,
) -> Result<Vec<usize>, Vec<usize>> {
    let now = judging.now;
    let policy = judging.policy;
    let mut left: Vec<usize> = carrying.to_vec();
    let mut why_none: Option<String> = None;
    let set_aside = |left: &mut Vec<usize>, keep: &dyn Fn(usize) -> bool| -> Vec<usize> {
        let (kept, dropped): (Vec<usize>, Vec<usize>) = left.iter().partition(|&&i| keep(i));
        *left = kept;
        dropped
    };

    // 1. About this candidate.
    if let Some(commit) = &judging.candidate.commit {
        let other = set_aside(&mut left, &|i| {
            about_candidate(&records[i], judging.candidate)
        });
        if !other.is_empty() {
            result.rules.push(Rule::OtherCommit {
                records: other.len(),
                commit: commit.chars().take(12).collect(),
            });
            why_none = Some(format!(
                "every record of `{}` is about another commit than {}",
                gate.metric,
                commit.chars().take(12).collect::<String>()
            ));
        }
    }
    // Provenance: an engine's record must be about something the policy names.
    let unnamed = set_aside(&mut left, &|i| {
        let record = &records[i];
        !ENGINE_KINDS.contains(&record.kind.as_str())
            || !matches!(record.source, crate::evidence::Source::Url(_))
            || policy.names_source(record.source.as_str())
    });
    if !unnamed.is_empty() {
        let sources: BTreeSet<String> = unnamed
            .iter()
            .map(|&i| crate::policy::origin(records[i].source.as_str()))
            .collect();
        let sources: Vec<String> = sources.into_iter().collect();
        result.rules.push(Rule::NotNamed {
            records: unnamed.len(),
            sources: sources.join(", "),
        });
        why_none = Some(format!(
            "the evidence of `{}` is about {}, which the policy does not name (add it to [target] base_url, an engine section or [targets] origins)",
            gate.metric,
            sources.join(", ")
        ));
    }
    // 2. Time: not from the future, not older than max_age. Unstamped records must be fresh
    // even under `max_age = "none"` when the candidate's commit is known.
    let future = set_aside(&mut left, &|i| {
        age_seconds(now, records[i].collected_at) >= -FUTURE_TOLERANCE_SECONDS
    });
    if !future.is_empty() {
        result.rules.push(Rule::FromTheFuture {
            records: future.len(),
        });
        why_none = Some(format!(
            "every record of `{}` is dated in the future",
            gate.metric
        ));
    }
    let max_age_of = |i: usize| match (gate.max_age, &records[i].commit, &judging.candidate.commit)
    {
        (None, None, Some(_)) => Some(crate::policy::DEFAULT_MAX_AGE_SECONDS),
        (max_age, _, _) => max_age,
    };
    let before_age = left.clone();
    let stale = set_aside(&mut left, &|i| {
        max_age_of(i).is_none_or(|max| age_seconds(now, records[i].collected_at) <= max)
    });
    if !stale.is_empty() {
        let max_age = stale
            .iter()
            .filter_map(|&i| max_age_of(i))
            .fold(f64::INFINITY, f64::min);
        if left.is_empty() {
            let youngest = before_age
                .iter()
                .map(|&i| age_seconds(now, records[i].collected_at))
                .fold(f64::INFINITY, f64::min);
            result.reason = Some(Reason::Stale);
            result.why = format!(
                "the newest evidence for `{}` is {} old, more than max_age {}",
                gate.metric,
                format_base(youngest, Dimension::Time),
                format_base(max_age, Dimension::Time)
            );
            return Err(before_age);
        }
        result.rules.push(Rule::ExcludedStale {
            records: stale.len(),
            max_age: format_base(max_age, Dimension::Time),
        });
    }
    if left.is_empty() {
        result.reason = Some(Reason::Missing);
        result.why =
            why_none.unwrap_or_else(|| format!("no evidence has the metric `{}`", gate.metric));
        return Err(Vec::new());
    }

    // 3. Once: the same record in two files (or twice in one), or the same producer's
    // reading of the same input, counts once (the newest reading is kept).
    if left.len() > 1 {
        once(records, &mut left, judging, result);
    }
    // Segments (`gonogo load --segment I/N`): the segments of one test count as one run, and
    // only when every segment is there once; a partial or mixed test is refused, never a
    // pass (crate::segments).
    let (_, tests) = crate::segments::group(records, &left);
    for members in tests.values() {
        let members: Vec<&Evidence> = members.iter().map(|&i| &records[i]).collect();
        if let Err(error) = crate::segments::check(&members) {
            result.reason = Some(match error {
                crate::segments::SegmentError::Missing { .. } => Reason::Missing,
                _ => Reason::Unparseable,
            });
            result.why = format!("`{}`: {error}", gate.metric);
            return Err(left);
        }
        let info = members[0].segment.as_ref().expect("grouped by segment");
        if info.count > 1 {
            result.rules.push(Rule::SegmentsAsOne {
                test: info.test.clone(),
                segments: info.count,
            });
        }
        if let Some(spread) = crate::segments::clock_spread_ms(&members)
            .filter(|&spread| spread > crate::segments::CLOCK_SPREAD_WARNING_MS)
        {
            result.rules.push(Rule::ClockSpread {
                test: info.test.clone(),
                seconds: format!("{:.1}", spread / 1000.0),
                limit: format!("{:.1}", crate::segments::CLOCK_SPREAD_WARNING_MS / 1000.0),
            });
        }
    }
    if left.len() == 1 {
        return Ok(left);
    }
    remeasure(records, &mut left, result);
    left.sort_unstable();
    Ok(left)
}

/// Rule 3 of [`select`]: each record once, and each producer's reading of an input once.
fn once(
    records: &[Evidence],
    left: &mut Vec<usize>,
    judging: &Judging<'_>,
    result: &mut GateResult,
) {
    left.sort_by(|&a, &b| {
        records[b]
            .collected_at
            .cmp(&records[a].collected_at)
            .then(a.cmp(&b))
    });
    let mut identities = BTreeSet::new();
    let mut inputs = BTreeSet::new();
    let before = left.len();
    left.retain(|&i| {
        let record = &records[i];
        let input = match &record.source {
            crate::evidence::Source::File(_) => record.sha256.clone(),
            other => format!("{}\u{0}{}", other.as_str(), record.sha256),
        };
        let identity = judging.identities[i].get_or_init(|| record.identity());
        identities.insert(identity.as_str())
            && inputs.insert((record.kind.clone(), record.tool.name.clone(), input))
    });
    if left.len() < before {
        result.rules.push(Rule::Duplicates {
            records: before - left.len(),
        });
    }
}

/// Rule 4 of [`select`]: the same producer on the same source, measured again: the newest
/// counts. The segments of one test are one measurement (as new as its newest segment).
fn remeasure(records: &[Evidence], left: &mut Vec<usize>, result: &mut GateResult) {
    let (plain, tests) = crate::segments::group(records, left);
    let mut runs: Vec<Vec<usize>> = plain.into_iter().map(|i| vec![i]).collect();
    runs.extend(tests.into_values());
    let newest = |run: &Vec<usize>| run.iter().map(|&i| records[i].collected_at).max();
    runs.sort_by(|a, b| newest(b).cmp(&newest(a)).then(a[0].cmp(&b[0])));
    let mut sources = BTreeSet::new();
    let mut superseded = Vec::new();
    left.clear();
    for run in runs {
        let record = &records[run[0]];
        let fresh = sources.insert((
            record.kind.clone(),
            record.tool.name.clone(),
            record.source.type_name(),
            record.source.as_str().to_owned(),
        ));
        if fresh {
            left.extend(run);
        } else {
            superseded.extend(run);
        }
    }
    if !superseded.is_empty() {
        result.rules.push(Rule::Superseded {
            records: superseded.len(),
            sources: superseded
                .iter()
                .map(|&i| records[i].source.to_string())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
}

/// Rule 5: records of different sources combine by what the metric means.
fn combine<'r>(
    gate: &Gate,
    records: &'r [Evidence],
    fresh: &[usize],
    shape: Shape,
    how: Combine,
    unit: &Unit,
    result: &mut GateResult,
) -> Result<Combined<'r>, String> {
    let metric_of = |i: usize| &records[i].metrics[&gate.metric];
    let several = fresh.len() > 1;
    Ok(match shape {
        Shape::Ratio if how == Combine::Union && several => {
            let ratios: Vec<&crate::evidence::Metric> =
                fresh.iter().map(|&i| metric_of(i)).collect();
            if ratios.iter().all(|m| !m.parts.is_empty()) {
                let mut union: BTreeMap<&str, Ratio> = BTreeMap::new();
                for metric in &ratios {
                    for (part, r) in &metric.parts {
                        let entry = union.entry(part.as_str()).or_insert(*r);
                        *entry = Ratio {
                            k: entry.k.max(r.k),
                            n: entry.n.max(r.n),
                        };
                    }
                }
                let mut total = Ratio { k: 0, n: 0 };
                for r in union.values() {
                    total = total
                        .checked_add(*r)
                        .ok_or_else(|| overflow(&gate.metric))?;
                }
                result.rules.push(Rule::Union {
                    records: fresh.len(),
                    parts: union.len(),
                    k: total.k,
                    n: total.n,
                });
                Combined::Ratio(total)
            } else {
                // Without the parts, the lowest of the reports is a lower bound of the union.
                let lowest = ratios
                    .iter()
                    .filter_map(|m| m.value.as_ratio())
                    .min_by(|a, b| {
                        let rate = |r: &Ratio| r.rate().unwrap_or(0.0);
                        rate(a).total_cmp(&rate(b))
                    })
                    .expect("several records");
                result.rules.push(Rule::Combined {
                    records: fresh.len(),
                    how: "the lowest (a lower bound of the union: the reports do not list files)"
                        .into(),
                });
                Combined::Ratio(lowest)
            }
        }
        Shape::Ratio => {
            let mut sum = Ratio { k: 0, n: 0 };
            for r in fresh.iter().filter_map(|&i| metric_of(i).value.as_ratio()) {
                sum = sum.checked_add(r).ok_or_else(|| overflow(&gate.metric))?;
            }
            if several {
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
            let first = metric_of(fresh[0])
                .value
                .as_histogram()
                .expect("shape checked");
            if !several {
                Combined::Distribution(first)
            } else {
                let mut merged: Histogram<u64> = first.into_owned();
                merged.auto(true);
                for &i in &fresh[1..] {
                    if let Some(h) = metric_of(i).value.as_histogram() {
                        merged.add(h).map_err(|_| {
                            format!("the histograms of `{}` cannot be merged", gate.metric)
                        })?;
                    }
                }
                result.rules.push(Rule::MergedHistograms {
                    records: fresh.len(),
                    samples: merged.len(),
                });
                Combined::Distribution(std::borrow::Cow::Owned(merged))
            }
        }
        Shape::Value => {
            let value_of = |i: usize| match metric_of(i).value {
                MetricValue::Value(v) => v,
                _ => unreachable!("shape checked"),
            };
            // The segments of one test first become the test's value: a rate (`1/s`) is
            // their events over the union of their windows, a sum adds, a bound takes the
            // extreme; a figure with no meaning across segments conflicts below.
            let (plain, tests) = crate::segments::group(records, fresh);
            let mut values: Vec<f64> = plain.iter().map(|&i| value_of(i)).collect();
            let mut runs = plain.len();
            for members in tests.values() {
                let rates: Vec<f64> = members.iter().map(|&i| value_of(i)).collect();
                runs += 1;
                if members.len() == 1 {
                    values.push(rates[0]);
                } else if *unit == Unit::PerSecond {
                    let refs: Vec<&Evidence> = members.iter().map(|&i| &records[i]).collect();
                    values.push(crate::segments::rate_over_union(&refs, &rates));
                } else if how == Combine::Single {
                    runs += members.len() - 1;
                    values.extend(rates);
                } else {
                    values.push(match how {
                        Combine::Min => rates.iter().copied().fold(f64::INFINITY, f64::min),
                        Combine::Max | Combine::Nonzero => {
                            rates.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                        }
                        _ => rates.iter().sum(),
                    });
                }
            }
            let several = runs > 1;
            if !several {
                return Ok(Combined::Value(values[0]));
            }
            let value = match how {
                Combine::Sum | Combine::Union => values.iter().sum(),
                Combine::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
                Combine::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Combine::Nonzero => values
                    .iter()
                    .copied()
                    .filter(|v| *v != 0.0)
                    .max_by(|a, b| a.abs().total_cmp(&b.abs()))
                    .unwrap_or(0.0),
                Combine::Single => {
                    let sources: Vec<String> = fresh
                        .iter()
                        .map(|&i| records[i].source.to_string())
                        .collect();
                    return Err(format!(
                        "{} sources give `{}` ({}), and a {} of one cannot stand for the others: keep one, or declare how they combine ([[metric]] combine)",
                        fresh.len(),
                        gate.metric,
                        sources.join(", "),
                        unit
                    ));
                }
            };
            if !value.is_finite() {
                return Err(overflow(&gate.metric));
            }
            result.rules.push(Rule::Combined {
                records: fresh.len(),
                how: how.as_str().to_owned(),
            });
            Combined::Value(value)
        }
    })
}

fn overflow(metric: &str) -> String {
    format!("the counts of `{metric}` overflow when added: the evidence is malformed")
}

/// A pass (or an undecided gate) that stands on an incomplete record is *missing*: what did
/// not run could have found what the gate forbids. A count that already breaks an upper bound
/// stays a fail (it is a lower bound of the truth).
fn apply_incomplete(gate: &Gate, records: &[Evidence], used: &[usize], result: &mut GateResult) {
    let missing: Vec<String> = used
        .iter()
        .flat_map(|&i| records[i].incomplete.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if missing.is_empty() || result.status == GateStatus::Missing {
        return;
    }
    // A sentence its producer coded is a note of its own (reports word it in their
    // language); the others are said together, as written.
    let code_of = |what: &String| {
        used.iter()
            .find_map(|&i| records[i].incomplete_codes.get(what))
            .cloned()
    };
    let uncoded: Vec<&str> = missing
        .iter()
        .filter(|what| code_of(what).is_none())
        .map(String::as_str)
        .collect();
    if !uncoded.is_empty() {
        result.rules.push(Rule::Incomplete {
            what: uncoded.join("; "),
        });
    }
    for what in &missing {
        if let Some(code) = code_of(what) {
            result.rules.push(Rule::Note {
                text: what.clone(),
                code: Some(code),
                incomplete: true,
            });
        }
    }
    let lower_bound_breaks =
        result.status == GateStatus::Fail && gate.expect.op.upper_bound() != Some(false);
    if lower_bound_breaks {
        return;
    }
    result.status = GateStatus::Missing;
    result.reason = Some(Reason::Incomplete);
    result.settle = None;
    result.why = format!(
        "the evidence is incomplete ({}), so it cannot show that {} holds",
        missing.join("; "),
        gate.expect
    );
}

struct Judged {
    result: GateResult,
    /// Indices into the records.
    used: Vec<usize>,
}

fn judge(gate: &Gate, records: &[Evidence], carrying: &[usize], judging: &Judging<'_>) -> Judged {
    let now = judging.now;
    let mut result = GateResult {
        name: gate.name.clone(),
        area: gate.area.clone(),
        metric: gate.metric.clone(),
        expect: gate.expect.clone(),
        severity: gate.severity,
        description: gate.description.clone(),
        status: GateStatus::Missing,
        reason: Some(Reason::Missing),
        why: String::new(),
        measured: None,
        threshold: None,
        // Until a measurement gives it in the metric's unit: the operator and the threshold as
        // written (`< 50ms`), never a bare number (issue 17).
        threshold_display: format!("{} {}", gate.expect.op, gate.expect.threshold),
        confidence: gate.confidence,
        rules: Vec::new(),
        settle: None,
        waiver: None,
        evidence: Vec::new(),
        distance: f64::INFINITY,
    };
    let mut used = Vec::new();
    decide(gate, records, carrying, judging, &mut result, &mut used);
    apply_incomplete(gate, records, &used, &mut result);
    apply_waiver(gate, now, &mut result);
    Judged { result, used }
}

fn decide(
    gate: &Gate,
    records: &[Evidence],
    carrying: &[usize],
    judging: &Judging<'_>,
    result: &mut GateResult,
    used: &mut Vec<usize>,
) {
    let (baseline, missing_kinds, env) = (
        judging.baseline,
        judging.missing_kinds.as_slice(),
        judging.policy.env.as_deref(),
    );
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

    // Which records count: about this candidate, named by the policy, fresh, once each, the
    // newest measurement of each source (see `select`).
    let fresh = match select(gate, records, carrying, judging, result) {
        Ok(fresh) => fresh,
        Err(set_aside) => {
            used.extend(set_aside);
            return;
        }
    };
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
            let rule = Rule::Note {
                text: note.clone(),
                code: metric_of(i).note_code.clone(),
                incomplete: false,
            };
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
    let how = judging.policy.combine_of(&gate.metric, shape);
    let combined = match combine(gate, records, &fresh, shape, how, &unit, result) {
        Ok(combined) => combined,
        Err(why) => {
            result.reason = Some(Reason::Conflict);
            result.why = why;
            return;
        }
    };

    let census = shape == Shape::Ratio
        && aggregate == Aggregate::Rate
        && judging.policy.catalog.is_census(&gate.metric);
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
            describe(&measured, aggregate, gate.expect.threshold.base_value()),
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

    // A histogram of bucket upper bounds (a Prometheus histogram) reads high at both interval
    // ends: a pass on its upper end is conservative, a pass on its lower end (`>`, `>=`, a
    // relative gate against a baseline) would not be. Only the first is judged.
    let upper_bounds = shape == Shape::Distribution
        && used
            .iter()
            .any(|&i| records[i].metrics[&gate.metric].upper_bounds);
    let passes_on_upper_end = op.upper_bound() == Some(true)
        && matches!(gate.expect.threshold, Threshold::Absolute { .. });
    if upper_bounds && !passes_on_upper_end {
        result.reason = Some(Reason::Unparseable);
        result.why = format!(
            "`{}` is a histogram of bucket upper bounds (every sample at its bucket's `le`), so its intervals read high: it can show `<` or `<=` a fixed threshold, never `{}`",
            gate.metric, gate.expect
        );
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
    let shown = describe(&measured, aggregate, Some(threshold));

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
pub const NO_DISTRIBUTION_HINT: &str = "bring the samples instead: collect k6's `--out json` for an interval (`gonogo collect k6-json`) rather than its summary, the Prometheus histogram's buckets and count rather than a quantile, or the measurements themselves rather than a figure typed by hand";

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
    result.rules.push(Rule::RelativeThreshold {
        aggregate: aggregate.to_string(),
        baseline: format_base(point, dimension),
        sign: sign.to_owned(),
        percent: percent.abs().to_string(),
        source,
    });
    result.threshold = Some(threshold);
    result.threshold_display = format!("{op} {}", format_base(threshold, dimension));
    result.distance = distance(op, measured.point, threshold);
    let shown = describe(measured, aggregate, Some(threshold));
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
            let Some(ratio) =
                stats::ratio_score_interval_corrected(k1, n1, k0, n0, gate.confidence)
            else {
                result.status = GateStatus::Inconclusive;
                result.reason = Some(Reason::TooFewSamples);
                result.why = format!(
                    "{shown}: both this run and the baseline ({k0} of {n0}) have a rate of 0, so their ratio is unknown"
                );
                return;
            };
            let status = decide_interval(op, ratio, factor);
            let why = format!(
                "{shown}: current ÷ baseline ({k0} of {n0}) is in [{}, {}] (skew-corrected score interval at {}), against {factor}",
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
                Aggregate::Mean => {
                    let moments = stats::moments(h);
                    Measured {
                        point: h.mean() * factor,
                        interval: Some(
                            stats::mean_interval_of(&moments, confidence).scaled(factor),
                        ),
                        n: Some(n),
                        k: None,
                        dimension,
                        pair: Some(
                            stats::mean_interval_of(&moments, pair_confidence).scaled(factor),
                        ),
                    }
                }
                _ => {
                    let q = aggregate.fraction().ok_or_else(|| {
                        Unmeasured::Unparseable(format!(
                            "the percentile of `{aggregate}` is not a decimal gonogo can rank"
                        ))
                    })?;
                    let (point, interval, pair) =
                        stats::quantile_summary(h, q, confidence, pair_confidence);
                    Measured {
                        point: point * factor,
                        interval: Some(interval.scaled(factor)),
                        n: Some(n),
                        k: None,
                        dimension,
                        pair: Some(pair.scaled(factor)),
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
    pass_or_fail(pass, fail)
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
    pass_or_fail(pass, fail)
}

/// A decided side, or inconclusive when neither holds.
fn pass_or_fail(pass: bool, fail: bool) -> GateStatus {
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

/// The measurement in words, its figures with the digits that tell them from `threshold`.
fn describe(measured: &Measured, aggregate: Aggregate, threshold: Option<f64>) -> String {
    let mut text = format!("{aggregate} = {}", measured.display_point_beside(threshold));
    if let (Some(k), Some(n), Aggregate::Rate) = (measured.k, measured.n, aggregate) {
        text.push_str(&format!(" ({k} of {n})"));
    }
    if let Some(interval) = measured.display_interval_beside(threshold) {
        text.push_str(&format!(", interval {interval}"));
    }
    if let (Some(n), false) = (measured.n, aggregate == Aggregate::Rate) {
        text.push_str(&format!(" from {n} sample{}", plural(n as usize)));
    }
    text
}

/// The baseline's measurement of what this gate measures: found by metric and aggregate (a
/// gate added or renamed since the baseline still finds it); the gate of the same name first
/// when it measured the same thing.
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
    let aggregate = gate.expect.aggregate.to_string();
    let same = |previous: &&BaselineGate| {
        previous.metric == gate.metric && previous.aggregate == aggregate
    };
    baseline
        .gates
        .get(&gate.name)
        .filter(same)
        .or_else(|| baseline.gates.values().find(same))
        .ok_or_else(|| {
            format!(
                "the baseline measured no {aggregate} of `{}` (no gate of it had evidence then)",
                gate.metric
            )
        })
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
            let half = |n: u64| {
                let i = stats::skewed_t_interval(0.0, sd, m.skewness, n, confidence);
                i.upper.max(-i.lower)
            };
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
