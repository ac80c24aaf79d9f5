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
//! - Version 1 only ever gains fields; a consumer written against it keeps working.

use std::collections::BTreeMap;

use gonogo_core::eval::{Baseline, BaselineGate};
use gonogo_core::evidence::Source;
use gonogo_core::units::Dimension;
use gonogo_core::verdict::{BaselineRef, GateStatus, Rule, Settle, Verdict};
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
    pub fn new(before: &VerdictV1, after: &Verdict, with: impl Into<String>) -> ComparisonV1 {
        ComparisonV1 {
            with: with.into(),
            before: before.verdict.clone(),
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
}

/// A rule applied on the way to a gate's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleV1 {
    /// `excluded_stale`, `summed`, `merged_histograms`, `newest_value`, `exact_aggregate`,
    /// `plain_value`, `census`, `tail`, `two_sample`, `waiver_expired`, or `text` (an engine's
    /// caveat or a formula, kept as
    /// written in `values.text`).
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
    fn from_core(settle: Settle) -> SettleV1 {
        match settle {
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
        }
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

/// The versioned document for a verdict.
pub fn to_document(verdict: &Verdict, policy: PolicyRefV1) -> VerdictV1 {
    let names = |list: &[usize]| {
        list.iter()
            .map(|&i| verdict.gates[i].name.clone())
            .collect()
    };
    VerdictV1 {
        gonogo_verdict: VERDICT_VERSION,
        verdict: verdict.decision.as_str().to_owned(),
        policy,
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
        gates: verdict
            .gates
            .iter()
            .map(|g| GateV1 {
                name: g.name.clone(),
                area: g.area.clone(),
                metric: g.metric.clone(),
                expect: g.expect.clone(),
                aggregate: g.expect.split_whitespace().next().unwrap_or("").to_owned(),
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
                    display: m.display_point(),
                    interval_display: m.display_interval(),
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
                settle: g.settle.map(|s| s.to_string()),
                settle_detail: g.settle.map(SettleV1::from_core),
                waiver: g.waiver.as_ref().map(|w| WaiverV1 {
                    reason: w.reason.clone(),
                    owner: w.owner.clone(),
                    expires: w.expires.to_string(),
                    expired: w.expired,
                    underlying_status: w.underlying.as_str().to_owned(),
                }),
                evidence: g.evidence.clone(),
                description: g.description.clone(),
            })
            .collect(),
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
        context: None,
        trends: Vec::new(),
        comparison: None,
    }
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

impl VerdictV1 {
    /// The measurements of this verdict, as the baseline of a later evaluation.
    pub fn to_baseline(&self, reference: BaselineRef) -> Baseline {
        let gates: BTreeMap<String, BaselineGate> = self
            .gates
            .iter()
            .map(|g| {
                (
                    g.name.clone(),
                    BaselineGate {
                        metric: g.metric.clone(),
                        aggregate: g.aggregate.clone(),
                        point: g.measured.as_ref().map(|m| m.point),
                        n: g.measured.as_ref().and_then(|m| m.n),
                        k: g.measured.as_ref().and_then(|m| m.k),
                        interval: g.measured.as_ref().and_then(|m| m.pair).map(|p| {
                            gonogo_core::stats::Interval {
                                lower: p.lower.unwrap_or(f64::NEG_INFINITY),
                                upper: p.upper.unwrap_or(f64::INFINITY),
                            }
                        }),
                    },
                )
            })
            .collect();
        Baseline {
            reference: Some(reference),
            gates,
        }
    }

    /// Gate names with their statuses (unknown statuses are skipped).
    pub fn statuses(&self) -> Vec<(String, GateStatus)> {
        self.gates
            .iter()
            .filter_map(|g| GateStatus::parse(&g.status).map(|s| (g.name.clone(), s)))
            .collect()
    }
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
