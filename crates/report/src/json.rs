//! `verdict.json`, version 1: the verdict for machines, and the baseline of later runs.
//!
//! The shape (its JSON Schema is `schemas/verdict.schema.json`, generated from these types):
//!
//! ```json
//! {
//!   "gonogo_verdict": 1,
//!   "verdict": "NO-GO",
//!   "policy": { "name": "checkout", "path": "gonogo.toml", "sha256": "…" },
//!   "env": "staging",
//!   "evaluated_at": "2026-11-25T12:00:00Z",
//!   "confidence": 0.95,
//!   "summary": { "pass": 3, "fail": 1, "inconclusive": 1, "missing": 0, "waived": 0 },
//!   "areas": [ { "name": "performance", "title": "Performance", "status": "red", "gates": ["checkout p95"] } ],
//!   "blockers": ["checkout p95"],
//!   "warnings": [],
//!   "missing_evidence_kinds": [],
//!   "gates": [ {
//!       "name": "checkout p95", "area": "performance", "metric": "load.checkout.latency",
//!       "expect": "p(95) < 500ms", "aggregate": "p(95)", "severity": "blocker",
//!       "status": "fail", "reason": "breached", "why": "p(95) = 612 ms, …",
//!       "measured": { "point": 0.612, "lower": 0.598, "upper": 0.631, "n": 10000, "k": null,
//!                     "unit": "s", "display": "612 ms", "interval_display": "[598 ms, 631 ms]" },
//!       "threshold": 0.5, "threshold_display": "< 500 ms", "confidence": 0.95,
//!       "rules": [], "settle": null, "waiver": null, "evidence": [0], "description": null
//!   } ],
//!   "evidence": [ { "id": 0, "kind": "load", "source": { "type": "url", "location": "…" },
//!                   "sha256": "…", "collected_at": "…", "tool": "gonogo 0.1.0" } ],
//!   "baseline": null,
//!   "context": { "commit": "3f2a…", "branch": "main", "tags": [], "deployment_target": "staging",
//!                "rollback_tag": "v1.3.0", "dirty_paths": 0, "ci_provider": "github-actions",
//!                "ci_run_url": "https://…/actions/runs/42" }
//! }
//! ```
//!
//! - `verdict` is `GO` or `NO-GO`; a gate's `status` is `pass`, `fail`, `inconclusive`,
//!   `missing` or `waived`; `reason` is null for a pass, else one of `breached`, `missing`,
//!   `stale`, `partial`, `too_few_samples`, `no_baseline`, `unparseable`, `no_distribution`,
//!   `waived`.
//! - `measured` is in base units named by `unit`: `s` (seconds), `fraction` (0 to 1), `B`,
//!   `1/s` or `1` (a plain number). `lower`/`upper` are null for an unbounded end, and both
//!   are null for exact figures (a plain value, a count, an observed maximum). `n` is the
//!   samples or trials behind the figure; `k` the events of a ratio.
//! - a gate's `evidence` lists ids into the top-level `evidence` array.
//! - a gate over a count of hardening findings (`harden.findings.high`,
//!   `harden.<check>.findings`) or lint problems (`observe.metrics.problems`) may have
//!   `listed`: `{ "counted", "findings": [{severity, check, asvs, message, request}],
//!   "problems": [{line, rule, metric, message}], "not_listed" }`, at most 50 rows, read from
//!   the cited evidence.
//! - Version 1 only ever gains fields; a consumer written against it keeps working.

use std::collections::{BTreeMap, HashMap};

use gonogo_core::evidence::Source;
use gonogo_core::expect::Expectation;
use gonogo_core::policy::GateSeverity;
use gonogo_core::stats::Interval;
use gonogo_core::units::Dimension;
use gonogo_core::verdict::{
    AreaResult, AreaStatus, BaselineRef, Context, Counted, Decision, EvidenceRef, GateResult,
    GateStatus, Measured, Reason, Rule, Settle, Unearned, Verdict, WaiverState,
};
use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const VERDICT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "gonogo verdict", description = "verdict.json, version 1")]
pub struct VerdictV1 {
    /// The format version: 1.
    pub gonogo_verdict: u32,
    /// `GO` or `NO-GO`.
    pub verdict: String,
    pub policy: PolicyRefV1,
    pub env: Option<String>,
    /// RFC 3339.
    pub evaluated_at: String,
    pub confidence: f64,
    pub summary: SummaryV1,
    pub areas: Vec<AreaV1>,
    /// Names of blocker gates that stop the release, worst first.
    pub blockers: Vec<String>,
    /// Names of warn gates that are not a pass, worst first.
    pub warnings: Vec<String>,
    /// Evidence kinds the environment requires that never arrived.
    pub missing_evidence_kinds: Vec<String>,
    /// Why nothing failed and the verdict is still NO-GO: GO has to be earned by a blocker gate
    /// that passed on evidence (`no_gates`, `no_blockers`, `no_blocker_passed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unearned: Option<String>,
    pub gates: Vec<GateV1>,
    pub evidence: Vec<EvidenceV1>,
    pub baseline: Option<BaselineRefV1>,
    /// What was judged: the commit, its refs and the CI run. Null outside a git repository.
    #[serde(default)]
    pub context: Option<ContextV1>,
    /// Each gate's measurements in the previous runs of the history (same service and
    /// environment, oldest first), for the reports' trend charts. Separate measurements,
    /// never pooled; absent when there is no history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trends: Vec<TrendV1>,
    /// `gate --compare`: which gates flip against an earlier verdict (a file or a run of the
    /// history). Absent when nothing was compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<ComparisonV1>,
    /// The service under test: the policy's `[target] base_url`. Absent when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// How long the work behind the verdict took, in seconds (a `gonogo run` from its start to
    /// the decision). Absent when only evidence was judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
}

/// The gates whose status differs from an earlier verdict's.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ComparisonV1 {
    /// What was compared with: a verdict file or `run ID (DECISION)`.
    pub with: String,
    /// The earlier verdict's decision.
    pub before: String,
    pub flips: Vec<FlipV1>,
}

/// One gate whose status changed; `null`: the gate did not exist on that side.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FlipV1 {
    pub gate: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl ComparisonV1 {
    /// The flips of `after` against `before` (gonogo_core::eval::flips).
    pub fn new(before: &Verdict, after: &Verdict, with: impl Into<String>) -> ComparisonV1 {
        ComparisonV1 {
            with: with.into(),
            before: before.decision.as_str().to_owned(),
            flips: gonogo_core::eval::flips(&before.statuses(), after)
                .into_iter()
                .map(|f| FlipV1 {
                    gate: f.gate,
                    before: f.before.map(|s| s.as_str().to_owned()),
                    after: f.after.map(|s| s.as_str().to_owned()),
                })
                .collect(),
        }
    }
}

/// One gate's earlier measurements, from the history.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TrendV1 {
    pub gate: String,
    pub points: Vec<TrendPointV1>,
}

/// One earlier run's measurement of a gate, in base units (the gate's `measured.unit`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TrendPointV1 {
    pub run: String,
    /// RFC 3339.
    pub evaluated_at: String,
    /// The run's decision: `GO` or `NO-GO`.
    pub decision: String,
    /// The gate's status in that run.
    pub status: String,
    pub point: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub n: Option<u64>,
    /// Judged with `--now` in the past: a re-judgement.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub judged_in_past: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct ContextV1 {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub tags: Vec<String>,
    /// `production`, `staging` or `none`.
    pub deployment_target: Option<String>,
    /// The previous release tag, the rollback target.
    pub rollback_tag: Option<String>,
    /// Uncommitted changes in the working tree.
    pub dirty_paths: usize,
    pub ci_provider: Option<String>,
    pub ci_run_url: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct PolicyRefV1 {
    pub name: Option<String>,
    pub path: Option<String>,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SummaryV1 {
    pub pass: usize,
    pub fail: usize,
    pub inconclusive: usize,
    pub missing: usize,
    pub waived: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AreaV1 {
    pub name: String,
    pub title: String,
    /// `green`, `yellow`, `red` or `grey`.
    pub status: String,
    pub gates: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct GateV1 {
    pub name: String,
    pub area: String,
    pub metric: String,
    pub expect: String,
    pub aggregate: String,
    /// `blocker` or `warn`.
    pub severity: String,
    pub status: String,
    pub reason: Option<String>,
    pub why: String,
    pub measured: Option<MeasuredV1>,
    pub threshold: Option<f64>,
    pub threshold_display: String,
    pub confidence: f64,
    /// The rules applied, in English.
    pub rules: Vec<String>,
    /// The same as data, one per rule, for renderers in other languages. Absent in verdicts
    /// written before it existed; `rules` is then all there is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules_detail: Vec<RuleV1>,
    /// For an inconclusive gate: what would settle it, in English.
    pub settle: Option<String>,
    /// The same as data, for renderers in other languages. Absent in verdicts written before
    /// it existed; `settle` is then all there is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_detail: Option<SettleV1>,
    pub waiver: Option<WaiverV1>,
    pub evidence: Vec<usize>,
    pub description: Option<String>,
    /// What the cited evidence lists behind the gate's count: the hardening findings of a
    /// `harden.*` count, the lint problems of `observe.metrics.problems`. Absent for other
    /// metrics, when the evidence lists nothing, and in verdicts written before it existed.
    /// The text is the producer's (untrusted): data here, escaped by every renderer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed: Option<ListedV1>,
}

/// The most findings or lint problems verdict.json lists under one gate; the rest are counted.
pub const MAX_LISTED_IN_JSON: usize = 50;

/// The findings or lint problems behind a gate's count (at most [`MAX_LISTED_IN_JSON`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ListedV1 {
    /// How many the cited evidence counts in all.
    pub counted: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FindingV1>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<LintProblemV1>,
    /// Counted but not listed here (beyond the cap, or not kept by the producer): the cited
    /// evidence file has the ones it kept.
    pub not_listed: u64,
}

/// A hardening finding: the whole request and response are in the cited evidence record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FindingV1 {
    /// `high`, `medium` or `low`.
    pub severity: String,
    /// The check's id (`tls-version`, `hsts`...).
    pub check: String,
    /// The OWASP ASVS requirement (5.0.0, or 4.0.3 when 5.0.0 has none); empty when none.
    pub asvs: String,
    pub message: String,
    /// The first line of the request that proves it (credentials redacted by harden).
    pub request: String,
}

/// A metrics-lint problem of `observe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LintProblemV1 {
    /// Line of the scraped exposition.
    pub line: u64,
    /// The lint rule (`no-help`, `counter-without-total`...).
    pub rule: String,
    pub metric: String,
    pub message: String,
}

impl ListedV1 {
    /// What a renderer lists behind a count, as written to verdict.json; `None` when empty.
    pub fn new(listed: &crate::findings::Listed) -> Option<ListedV1> {
        if listed.is_empty() {
            return None;
        }
        let findings: Vec<FindingV1> = listed
            .findings
            .iter()
            .take(MAX_LISTED_IN_JSON)
            .map(|f| FindingV1 {
                severity: f.severity.clone(),
                check: f.check.clone(),
                asvs: f.asvs.clone(),
                message: f.message.clone(),
                request: f.request.lines().next().unwrap_or_default().to_owned(),
            })
            .collect();
        let problems: Vec<LintProblemV1> = listed
            .problems
            .iter()
            .take(MAX_LISTED_IN_JSON - findings.len())
            .map(|p| LintProblemV1 {
                line: p.line,
                rule: p.code.clone(),
                metric: p.metric.clone(),
                message: p.message.clone(),
            })
            .collect();
        Some(ListedV1 {
            counted: listed.counted,
            not_listed: listed.more_than(findings.len() + problems.len()),
            findings,
            problems,
        })
    }
}

/// A rule applied on the way to a gate's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleV1 {
    /// `excluded_stale`, `summed`, `merged_histograms`, `newest_value`, `exact_aggregate`,
    /// `plain_value`, `census`, `tail`, `two_sample`, `waiver_expired`, `incomplete`, `note` (a
    /// producer's note: `values.text` as written, `values.incomplete` `true` when it says what
    /// the producer could not do, and when coded `values.code` with `values.args`, a JSON
    /// object of strings, for reports in other languages), or `text` (an engine's caveat or a
    /// formula, kept as written in `values.text`); among others.
    pub kind: String,
    /// The rule's figures and names by placeholder (`records`, `max_age`, `k`, `n`, ...).
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

impl RuleV1 {
    pub(crate) fn from_core(rule: &Rule) -> RuleV1 {
        RuleV1 {
            kind: rule.kind().to_owned(),
            values: rule
                .values()
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        }
    }
}

/// What would settle an inconclusive gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SettleV1 {
    /// `more`: about `more` more samples or trials (reaching `total` when known) would decide
    /// it if what was measured holds; `on_threshold`: the point estimate sits on the threshold
    /// (`mean` when it is a mean), so no number of samples decides it.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub more: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// `samples` (a distribution) or `trials` (a rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mean: bool,
}

impl SettleV1 {
    fn from_core(settle: &Settle) -> Option<SettleV1> {
        Some(match *settle {
            Settle::Text(_) => return None,
            Settle::More {
                more,
                total,
                counted,
            } => SettleV1 {
                kind: "more".into(),
                more: Some(more),
                total,
                counted: Some(counted.as_str().into()),
                mean: false,
            },
            Settle::OnThreshold { mean } => SettleV1 {
                kind: "on_threshold".into(),
                more: None,
                total: None,
                counted: None,
                mean,
            },
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MeasuredV1 {
    pub point: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub n: Option<u64>,
    pub k: Option<u64>,
    /// `s`, `fraction`, `B`, `1/s` or `1`.
    pub unit: String,
    pub display: String,
    pub interval_display: Option<String>,
    /// The interval at `1 − α/2` (97.5 % when the gate's confidence is 95 %): what a later
    /// run's relative gate compares with. Absent for exact aggregates and in verdicts written
    /// before it existed; `null` ends are unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair: Option<PairV1>,
}

/// An interval whose ends may be unbounded (`null`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
pub struct PairV1 {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WaiverV1 {
    pub reason: String,
    pub owner: String,
    /// `YYYY-MM-DD`, the last day it applies.
    pub expires: String,
    pub expired: bool,
    /// The status the gate had before the waiver.
    pub underlying_status: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct EvidenceV1 {
    pub id: usize,
    pub kind: String,
    pub source: SourceV1,
    pub sha256: String,
    pub collected_at: String,
    pub tool: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SourceV1 {
    /// `file`, `url` or `command`.
    #[serde(rename = "type")]
    pub source_type: String,
    pub location: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct BaselineRefV1 {
    pub source: String,
    pub sha256: String,
}

fn unit_name(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Time => "s",
        Dimension::Fraction => "fraction",
        Dimension::Bytes => "B",
        Dimension::PerSecond => "1/s",
        Dimension::Number => "1",
    }
}

/// The dimension a `measured.unit` names (the inverse of the names above); a plain number for
/// a name this version does not know.
pub fn dimension_of_unit(unit: &str) -> Dimension {
    match unit {
        "s" => Dimension::Time,
        "fraction" => Dimension::Fraction,
        "B" => Dimension::Bytes,
        "1/s" => Dimension::PerSecond,
        _ => Dimension::Number,
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The versioned document for a verdict (without trends and comparison, which come from
/// the history and `--compare`: [`document`] adds them).
impl From<&Verdict> for VerdictV1 {
    fn from(verdict: &Verdict) -> VerdictV1 {
        let names = |list: &[usize]| {
            list.iter()
                .map(|&i| verdict.gates[i].name.clone())
                .collect()
        };
        VerdictV1 {
            gonogo_verdict: VERDICT_VERSION,
            verdict: verdict.decision.as_str().to_owned(),
            policy: PolicyRefV1 {
                name: verdict.policy_name.clone(),
                path: verdict.policy_path.clone(),
                sha256: verdict.policy_sha256.clone(),
            },
            env: verdict.env.clone(),
            evaluated_at: verdict.evaluated_at.to_string(),
            confidence: verdict.confidence,
            summary: SummaryV1 {
                pass: verdict.count(GateStatus::Pass),
                fail: verdict.count(GateStatus::Fail),
                inconclusive: verdict.count(GateStatus::Inconclusive),
                missing: verdict.count(GateStatus::Missing),
                waived: verdict.count(GateStatus::Waived),
            },
            areas: verdict
                .areas
                .iter()
                .map(|a| AreaV1 {
                    name: a.name.clone(),
                    title: a.title.clone(),
                    status: a.status.as_str().to_owned(),
                    gates: names(&a.gates),
                })
                .collect(),
            blockers: names(&verdict.blockers),
            warnings: names(&verdict.warnings),
            missing_evidence_kinds: verdict.missing_kinds.clone(),
            unearned: verdict.unearned.map(|u| u.as_str().to_owned()),
            gates: verdict.gates.iter().map(gate_document).collect(),
            evidence: verdict
                .evidence
                .iter()
                .enumerate()
                .map(|(id, e)| EvidenceV1 {
                    id,
                    kind: e.kind.clone(),
                    source: SourceV1 {
                        source_type: e.source.type_name().to_owned(),
                        location: e.source.as_str().to_owned(),
                    },
                    sha256: e.sha256.clone(),
                    collected_at: e.collected_at.to_string(),
                    tool: e.tool.clone(),
                })
                .collect(),
            baseline: verdict.baseline.as_ref().map(|b| BaselineRefV1 {
                source: b.source.clone(),
                sha256: b.sha256.clone(),
            }),
            context: verdict.context.as_ref().map(|c| ContextV1 {
                commit: c.commit.clone(),
                branch: c.branch.clone(),
                tags: c.tags.clone(),
                deployment_target: c.deployment_target.clone(),
                rollback_tag: c.rollback_tag.clone(),
                dirty_paths: c.dirty_paths,
                ci_provider: c.ci_provider.clone(),
                ci_run_url: c.ci_run_url.clone(),
            }),
            trends: Vec::new(),
            comparison: None,
            target: verdict.target.clone(),
            duration_seconds: verdict.duration.map(|d| d.as_secs_f64()),
        }
    }
}

fn gate_document(g: &GateResult) -> GateV1 {
    GateV1 {
        name: g.name.clone(),
        area: g.area.clone(),
        metric: g.metric.clone(),
        expect: g.expect.to_string(),
        aggregate: g.expect.aggregate.to_string(),
        severity: g.severity.as_str().to_owned(),
        status: g.status.as_str().to_owned(),
        reason: g.reason.map(|r| r.as_str().to_owned()),
        why: g.why.clone(),
        measured: g.measured.as_ref().map(|m| MeasuredV1 {
            point: m.point,
            lower: m.interval.and_then(|i| finite(i.lower)),
            upper: m.interval.and_then(|i| finite(i.upper)),
            n: m.n,
            k: m.k,
            unit: unit_name(m.dimension).to_owned(),
            display: m.display_point_beside(g.threshold),
            interval_display: m.display_interval_beside(g.threshold),
            pair: m.pair.map(|i| PairV1 {
                lower: finite(i.lower),
                upper: finite(i.upper),
            }),
        }),
        threshold: g.threshold,
        threshold_display: g.threshold_display.clone(),
        confidence: g.confidence,
        rules: g.rules.iter().map(ToString::to_string).collect(),
        rules_detail: g.rules.iter().map(RuleV1::from_core).collect(),
        settle: g.settle.as_ref().map(ToString::to_string),
        settle_detail: g.settle.as_ref().and_then(SettleV1::from_core),
        waiver: g.waiver.as_ref().map(|w| WaiverV1 {
            reason: w.reason.clone(),
            owner: w.owner.clone(),
            expires: w.expires.to_string(),
            expired: w.expired,
            underlying_status: w.underlying.as_str().to_owned(),
        }),
        evidence: g.evidence.clone(),
        description: g.description.clone(),
        listed: None,
    }
}

/// The verdict.json document a renderer context writes: the verdict, with the trends and the
/// comparison the context carries, and under each gate what its cited evidence lists behind
/// its count (from the context's evidence; a gate whose records are not there keeps what the
/// saved document it was read from listed, so `gonogo report --format json` rewrites the
/// same document).
pub fn document(verdict: &Verdict, cx: &crate::RenderContext<'_>) -> VerdictV1 {
    let mut document = VerdictV1::from(verdict);
    document.trends = cx.trends.to_vec();
    document.comparison = cx.comparison.cloned();
    for (gate, written) in verdict.gates.iter().zip(&mut document.gates) {
        written.listed = ListedV1::new(&crate::findings::for_gate(verdict, gate, cx.evidence))
            .or_else(|| {
                cx.saved
                    .and_then(|saved| saved.gates.iter().find(|g| g.name == gate.name))
                    .and_then(|g| g.listed.clone())
            });
    }
    document
}

/// `verdict.json`: the verdict with the context's trends and comparison, pretty-printed.
pub fn render(verdict: &Verdict, cx: &crate::RenderContext<'_>) -> String {
    let mut text =
        serde_json::to_string_pretty(&document(verdict, cx)).expect("the verdict serialises");
    text.push('\n');
    text
}

/// Why a saved verdict does not read back as a verdict: a field whose value this version does
/// not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidVerdict {
    /// Where, as a path into the document (`gates[3].status`).
    pub field: String,
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> InvalidVerdict {
    InvalidVerdict {
        field: field.into(),
        message: message.into(),
    }
}

/// A saved `verdict.json` back into the typed verdict, for renderers and the history. The
/// document's trends and comparison are not part of the verdict: a renderer reads them from
/// its context ([`crate::RenderContext::from_document`]).
impl TryFrom<VerdictV1> for Verdict {
    type Error = InvalidVerdict;

    fn try_from(doc: VerdictV1) -> Result<Verdict, InvalidVerdict> {
        if doc.gonogo_verdict != VERDICT_VERSION {
            return Err(invalid(
                "gonogo_verdict",
                format!("unsupported version {}", doc.gonogo_verdict),
            ));
        }
        let decision = match doc.verdict.as_str() {
            "GO" => Decision::Go,
            "NO-GO" => Decision::NoGo,
            other => return Err(invalid("verdict", format!("`{other}` is not GO or NO-GO"))),
        };
        let evaluated_at: Timestamp = doc
            .evaluated_at
            .parse()
            .map_err(|e| invalid("evaluated_at", format!("{e}")))?;
        // Evidence ids are positions as written; a reordered list is put back in id order.
        let mut evidence_docs: Vec<&EvidenceV1> = doc.evidence.iter().collect();
        evidence_docs.sort_by_key(|e| e.id);
        let position: HashMap<usize, usize> = evidence_docs
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id, i))
            .collect();
        let evidence = evidence_docs
            .iter()
            .enumerate()
            .map(|(i, e)| {
                Ok(EvidenceRef {
                    kind: e.kind.clone(),
                    source: source_of(e),
                    sha256: e.sha256.clone(),
                    collected_at: e.collected_at.parse().map_err(|err| {
                        invalid(format!("evidence[{i}].collected_at"), format!("{err}"))
                    })?,
                    tool: e.tool.clone(),
                })
            })
            .collect::<Result<Vec<_>, InvalidVerdict>>()?;
        let gates = doc
            .gates
            .iter()
            .enumerate()
            .map(|(i, g)| gate_from_document(i, g, &position))
            .collect::<Result<Vec<_>, InvalidVerdict>>()?;
        let index: HashMap<&str, usize> = gates
            .iter()
            .enumerate()
            .map(|(i, g)| (g.name.as_str(), i))
            .collect();
        // Names that match no gate are left out, as the renderers always did with them (a
        // document edited by hand); the gates themselves are all read.
        let indices = |names: &[String]| -> Vec<usize> {
            names
                .iter()
                .filter_map(|name| index.get(name.as_str()).copied())
                .collect()
        };
        let areas = doc
            .areas
            .iter()
            .enumerate()
            .map(|(i, a)| {
                Ok(AreaResult {
                    name: a.name.clone(),
                    title: a.title.clone(),
                    status: AreaStatus::parse(&a.status).ok_or_else(|| {
                        invalid(
                            format!("areas[{i}].status"),
                            format!("unknown status `{}`", a.status),
                        )
                    })?,
                    gates: indices(&a.gates),
                })
            })
            .collect::<Result<Vec<_>, InvalidVerdict>>()?;
        let unearned = match &doc.unearned {
            None => None,
            Some(code) => Some(
                Unearned::parse(code)
                    .ok_or_else(|| invalid("unearned", format!("unknown code `{code}`")))?,
            ),
        };
        Ok(Verdict {
            decision,
            policy_name: doc.policy.name.clone(),
            env: doc.env.clone(),
            confidence: doc.confidence,
            evaluated_at,
            blockers: indices(&doc.blockers),
            warnings: indices(&doc.warnings),
            areas,
            gates,
            missing_kinds: doc.missing_evidence_kinds.clone(),
            unearned,
            evidence,
            baseline: doc.baseline.as_ref().map(|b| BaselineRef {
                source: b.source.clone(),
                sha256: b.sha256.clone(),
            }),
            policy_path: doc.policy.path.clone(),
            policy_sha256: doc.policy.sha256.clone(),
            context: doc.context.as_ref().map(|c| Context {
                commit: c.commit.clone(),
                branch: c.branch.clone(),
                tags: c.tags.clone(),
                deployment_target: c.deployment_target.clone(),
                rollback_tag: c.rollback_tag.clone(),
                dirty_paths: c.dirty_paths,
                ci_provider: c.ci_provider.clone(),
                ci_run_url: c.ci_run_url.clone(),
            }),
            target: doc.target.clone(),
            duration: doc
                .duration_seconds
                .filter(|s| s.is_finite())
                .and_then(|s| jiff::SignedDuration::try_from_secs_f64(s).ok()),
        })
    }
}

fn gate_from_document(
    i: usize,
    g: &GateV1,
    position: &HashMap<usize, usize>,
) -> Result<GateResult, InvalidVerdict> {
    let field = |name: &str| format!("gates[{i}].{name}");
    let expect: Expectation = g
        .expect
        .parse()
        .map_err(|e: gonogo_core::expect::ExpectError| invalid(field("expect"), e.to_string()))?;
    let severity = GateSeverity::parse(&g.severity).ok_or_else(|| {
        invalid(
            field("severity"),
            format!("unknown severity `{}`", g.severity),
        )
    })?;
    let status = GateStatus::parse(&g.status)
        .ok_or_else(|| invalid(field("status"), format!("unknown status `{}`", g.status)))?;
    let reason = match &g.reason {
        None => None,
        Some(r) => Some(
            Reason::parse(r)
                .ok_or_else(|| invalid(field("reason"), format!("unknown reason `{r}`")))?,
        ),
    };
    let measured = g.measured.as_ref().map(|m| Measured {
        point: m.point,
        // Both ends null is an exact figure, unless an interval was shown (both unbounded).
        interval: (m.lower.is_some() || m.upper.is_some() || m.interval_display.is_some()).then(
            || Interval {
                lower: m.lower.unwrap_or(f64::NEG_INFINITY),
                upper: m.upper.unwrap_or(f64::INFINITY),
            },
        ),
        n: m.n,
        k: m.k,
        dimension: dimension_of_unit(&m.unit),
        pair: m.pair.map(|p| Interval {
            lower: p.lower.unwrap_or(f64::NEG_INFINITY),
            upper: p.upper.unwrap_or(f64::INFINITY),
        }),
    });
    // Rules as data when the verdict has them one per rule; else the English as written.
    let rules = if g.rules_detail.len() == g.rules.len() {
        g.rules_detail
            .iter()
            .zip(&g.rules)
            .map(|(detail, english)| {
                Rule::from_parts(&detail.kind, &|name| detail.values.get(name).cloned())
                    .unwrap_or_else(|| Rule::Text(english.clone()))
            })
            .collect()
    } else {
        g.rules.iter().cloned().map(Rule::Text).collect()
    };
    // As data when the verdict has it; else the English sentence as written.
    let settle = g
        .settle_detail
        .as_ref()
        .and_then(|d| match d.kind.as_str() {
            "on_threshold" => Some(Settle::OnThreshold { mean: d.mean }),
            "more" => Some(Settle::More {
                more: d.more?,
                total: d.total,
                counted: match d.counted.as_deref() {
                    Some("trials") => Counted::Trials,
                    _ => Counted::Samples,
                },
            }),
            _ => None,
        })
        .or_else(|| g.settle.clone().map(Settle::Text));
    let waiver = match &g.waiver {
        None => None,
        Some(w) => Some(WaiverState {
            reason: w.reason.clone(),
            owner: w.owner.clone(),
            expires: w
                .expires
                .parse()
                .map_err(|e| invalid(field("waiver.expires"), format!("{e}")))?,
            expired: w.expired,
            underlying: GateStatus::parse(&w.underlying_status).ok_or_else(|| {
                invalid(
                    field("waiver.underlying_status"),
                    format!("unknown status `{}`", w.underlying_status),
                )
            })?,
        }),
    };
    let evidence = g
        .evidence
        .iter()
        .map(|id| {
            position.get(id).copied().ok_or_else(|| {
                invalid(field("evidence"), format!("no evidence record has id {id}"))
            })
        })
        .collect::<Result<Vec<_>, InvalidVerdict>>()?;
    Ok(GateResult {
        name: g.name.clone(),
        area: g.area.clone(),
        metric: g.metric.clone(),
        expect,
        severity,
        description: g.description.clone(),
        status,
        reason,
        why: g.why.clone(),
        measured,
        threshold: g.threshold,
        threshold_display: g.threshold_display.clone(),
        confidence: g.confidence,
        rules,
        settle,
        waiver,
        evidence,
        // Not written to verdict.json: the ranking it served is the blockers' order.
        distance: f64::NAN,
    })
}

/// Why a saved verdict could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("unsupported verdict version {0} (this gonogo reads version {VERDICT_VERSION})")]
    Version(u32),
    #[error("{0}")]
    Invalid(#[from] InvalidVerdict),
}

/// Reads a saved `verdict.json` as the typed verdict, with the document (for its trends and
/// comparison, and for consumers that post it as it is).
pub fn parse_verdict(text: &str) -> Result<(Verdict, VerdictV1), ReadError> {
    let document = parse_document(text)?;
    let verdict = Verdict::try_from(document.clone())?;
    Ok((verdict, document))
}

/// Reads a saved `verdict.json`.
pub fn parse_document(text: &str) -> Result<VerdictV1, ReadError> {
    let document: VerdictV1 = serde_json::from_str(text).map_err(|e| ReadError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if document.gonogo_verdict != VERDICT_VERSION {
        return Err(ReadError::Version(document.gonogo_verdict));
    }
    Ok(document)
}

/// The JSON Schema of `verdict.json` version 1.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(VerdictV1)).expect("schema serialises")
}

/// Source of an evidence record as written in the document (for renderers).
pub fn source_of(e: &EvidenceV1) -> Source {
    match e.source.source_type.as_str() {
        "url" => Source::Url(e.source.location.clone()),
        "command" => Source::Command(e.source.location.clone()),
        _ => Source::File(e.source.location.clone()),
    }
}
