//! `gonogo audit`: a hand-written readiness report checked against itself and against evidence.
//!
//! The report (Markdown, Chinese or English) is read as structure ([`markdown`]), its claims
//! are extracted (status marks, figures with units and targets, counts, scores, before/after
//! changes, readiness verdicts, future work) and the rules of [`rules`] make findings, each
//! citing its rule id (docs/audit.md). [`evidence::check`] then matches measurable claims to
//! evidence records. Everything here is pure: the caller reads the files and passes `now`.
//!
//! The report is hostile input: every block's text is bounded ([`markdown::MAX_BLOCK_TEXT`]),
//! claims and findings are capped ([`MAX_ITEMS`]), and every rule is linear in the report
//! (sets, not pairwise scans), so a 1 MB report is audited in milliseconds.

pub mod evidence;
pub mod lexicon;
pub mod markdown;
pub mod numbers;
pub mod render;
pub mod rules;

use serde::Serialize;

pub use lexicon::{Mark, MetricKind};
pub use numbers::{NumUnit, Op};

/// At most this many claims and this many findings are reported (the rest are counted).
pub const MAX_ITEMS: usize = 10_000;

/// The confidence of every interval the audit computes (the statistics spec's default).
pub const CONFIDENCE: f64 = 0.95;

/// How a finding bears on the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// The report says something its own content (or the evidence) contradicts.
    Contradicted,
    /// The report claims something nothing in it (or the evidence) supports.
    Unsupported,
    /// Worth reading, not a defect (inconclusive or stale evidence).
    Note,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule that made it (docs/audit.md).
    pub rule: &'static str,
    pub class: Class,
    /// 1-based line in the report.
    pub line: usize,
    /// The report's text at that line (as read; printers make it inert or escape it).
    pub quote: String,
    /// Why, in one sentence.
    pub message: String,
    /// Other lines the finding cites.
    pub related: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    Readiness,
    Score,
    Change,
    Figure,
    Count,
    Status,
    FutureWork,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    Contradicted,
    Unsupported,
    Inconclusive,
    Stale,
    Supported,
    /// Checked against the report itself (its arithmetic, its target) and consistent.
    Consistent,
    /// Nothing to check it against.
    Unchecked,
}

impl ClaimStatus {
    pub fn name(self) -> &'static str {
        match self {
            ClaimStatus::Contradicted => "contradicted",
            ClaimStatus::Unsupported => "unsupported",
            ClaimStatus::Inconclusive => "inconclusive",
            ClaimStatus::Stale => "stale",
            ClaimStatus::Supported => "supported",
            ClaimStatus::Consistent => "consistent",
            ClaimStatus::Unchecked => "unchecked",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub op: Op,
    pub value: f64,
    pub unit: NumUnit,
}

#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub line: usize,
    pub kind: ClaimKind,
    pub quote: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mark: Option<Mark>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<NumUnit>,
    /// The percentile a latency figure is of (95 for "P95").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentile: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    pub status: ClaimStatus,
    /// What the evidence said, when it was checked against evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub claims: usize,
    pub contradicted: usize,
    pub unsupported: usize,
    pub inconclusive: usize,
    pub stale: usize,
    pub supported: usize,
    pub consistent: usize,
    pub unchecked: usize,
    /// Claims or findings past [`MAX_ITEMS`] that were not kept.
    pub dropped: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub version: u32,
    pub claims: Vec<Claim>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
    /// The lines of the report's readiness verdicts.
    pub readiness: Vec<usize>,
    pub conclusion: String,
}

impl Audit {
    /// Whether the report passes: no claim contradicted or unsupported.
    pub fn passed(&self) -> bool {
        self.summary.contradicted == 0 && self.summary.unsupported == 0
    }

    /// The findings at `line` made by `rule`.
    pub fn findings_at(&self, rule: &str, line: usize) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.rule == rule && f.line == line)
            .collect()
    }

    /// Recomputes the summary and the conclusion from the claims' statuses.
    pub fn summarise(&mut self) {
        let mut summary = Summary {
            claims: self.claims.len(),
            dropped: self.summary.dropped,
            ..Summary::default()
        };
        for claim in &self.claims {
            match claim.status {
                ClaimStatus::Contradicted => summary.contradicted += 1,
                ClaimStatus::Unsupported => summary.unsupported += 1,
                ClaimStatus::Inconclusive => summary.inconclusive += 1,
                ClaimStatus::Stale => summary.stale += 1,
                ClaimStatus::Supported => summary.supported += 1,
                ClaimStatus::Consistent => summary.consistent += 1,
                ClaimStatus::Unchecked => summary.unchecked += 1,
            }
        }
        let counts = format!(
            "{} contradiction{}, {} unsupported claim{}",
            summary.contradicted,
            plural(summary.contradicted),
            summary.unsupported,
            plural(summary.unsupported)
        );
        let verdict = self.readiness.first().and_then(|line| {
            self.claims
                .iter()
                .find(|c| c.line == *line)
                .map(|c| (line, c.quote.clone()))
        });
        self.conclusion = match (verdict, summary.contradicted + summary.unsupported) {
            (Some((line, quote)), 0) => format!(
                "the report's readiness verdict (line {line}: \"{}\") is consistent with the report: no contradiction or unsupported claim in {} claims",
                short(&quote),
                summary.claims
            ),
            (Some((line, quote)), _) => format!(
                "the report's readiness verdict (line {line}: \"{}\") is not supported: {counts}",
                short(&quote)
            ),
            (None, 0) => format!(
                "no contradiction or unsupported claim in {} claims",
                summary.claims
            ),
            (None, _) => format!("the report is not supported as written: {counts}"),
        };
        self.summary = summary;
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// At most 80 characters of `text`, on one line.
pub fn short(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= 80 {
        line
    } else {
        let cut: String = line.chars().take(79).collect();
        format!("{cut}…")
    }
}

/// Audits `report` (Markdown) against itself.
pub fn audit(report: &str) -> Audit {
    let blocks = markdown::blocks(report);
    let mut audit = rules::run(&blocks);
    audit.summarise();
    audit
}
