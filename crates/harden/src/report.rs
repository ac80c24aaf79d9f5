//! What an audit found: [`Finding`]s grouped into one [`CheckResult`] per rule, in a
//! [`Report`]; and [`Outcomes`], the collector the checks fill in.
//!
//! A check's [`Status`] is never `pass` unless it ran: a check that could not run is
//! `skipped` (nothing to check it with, e.g. no token supplied), `not-applicable` (HSTS over
//! plain http), or `error` (the server hung, reset or answered garbage). A check the policy
//! disabled is `disabled`, and its findings are counted as suppressed, not dropped silently.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::http::Exchange;
use crate::rules::{FindingSeverity, Rule};

/// How sure a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The server's behaviour proved it (an echoed canary, a forged token accepted).
    Confirmed,
    /// A pattern matched (a stack-trace signature, a cookie name).
    Heuristic,
}

/// One problem, with the exchange that proves it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub check: &'static str,
    pub severity: FindingSeverity,
    pub confidence: Confidence,
    pub message: String,
    /// The request as sent (tokens redacted).
    pub request: String,
    /// The response status, headers and a body excerpt.
    pub response: String,
}

impl Finding {
    pub fn new(
        rule: &'static Rule,
        exchange: &Exchange,
        message: impl Into<String>,
        focus: Option<usize>,
    ) -> Finding {
        Finding {
            check: rule.id,
            severity: rule.severity,
            confidence: Confidence::Confirmed,
            message: message.into(),
            request: exchange.request.clone(),
            response: exchange.response_excerpt(focus),
        }
    }

    pub fn heuristic(mut self) -> Finding {
        self.confidence = Confidence::Heuristic;
        self
    }

    pub fn severity(mut self, severity: FindingSeverity) -> Finding {
        self.severity = severity;
        self
    }
}

/// How a check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    NotApplicable,
    Skipped,
    Error,
    Disabled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "n/a",
            Status::Skipped => "skipped",
            Status::Error => "error",
            Status::Disabled => "disabled",
        }
    }

    /// Whether the check ran to a conclusion (pass or fail).
    pub fn ran(self) -> bool {
        matches!(self, Status::Pass | Status::Fail)
    }
}

/// One rule's result.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CheckResult {
    pub check: &'static str,
    pub spec: &'static str,
    pub asvs_4_0_3: &'static str,
    pub asvs_5_0_0: &'static str,
    pub group: &'static str,
    pub title: &'static str,
    pub status: Status,
    /// Why it was skipped / not applicable / an error; coverage remarks when it ran.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub findings: Vec<Finding>,
    /// The policy's override, shown in every report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_override: Option<PolicyOverride>,
}

/// How the policy changed a check, and why.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PolicyOverride {
    pub disabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<FindingSeverity>,
    pub reason: String,
    /// Findings a disabled check would have reported.
    pub suppressed_findings: usize,
}

/// The whole audit.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    pub target: String,
    pub checks: Vec<CheckResult>,
    pub n_requests: usize,
    /// SHA-256 over the group transcripts (see [`crate::audit`]).
    pub sha256: String,
    pub collected_at: String,
}

impl Report {
    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|check| check.check == id)
    }

    /// Counted findings (not disabled) by severity.
    pub fn count(&self, severity: FindingSeverity) -> usize {
        self.checks
            .iter()
            .filter(|check| check.status != Status::Disabled)
            .flat_map(|check| &check.findings)
            .filter(|finding| finding.severity == severity)
            .count()
    }

    /// Whether a policy-free reading says "no": any low-or-worse finding, or a check that
    /// errored.
    pub fn is_failure(&self) -> bool {
        self.checks.iter().any(|check| {
            check.status == Status::Error
                || (check.status == Status::Fail
                    && check
                        .findings
                        .iter()
                        .any(|finding| finding.severity > FindingSeverity::Info))
        })
    }
}

/// What one group of checks concluded, rule by rule.
#[derive(Debug, Default)]
pub struct Outcomes {
    pub(crate) by_rule: BTreeMap<&'static str, Outcome>,
}

#[derive(Debug)]
pub(crate) enum Outcome {
    Ran {
        findings: Vec<Finding>,
        notes: Vec<String>,
    },
    NotApplicable(String),
    Skipped(String),
    Error(String),
}

impl Outcomes {
    /// Marks `rule` as run (with no findings yet).
    pub fn ran(&mut self, rule: &'static Rule) {
        self.by_rule.entry(rule.id).or_insert(Outcome::Ran {
            findings: Vec::new(),
            notes: Vec::new(),
        });
    }

    pub fn finding(&mut self, finding: Finding) {
        match self.by_rule.entry(finding.check).or_insert(Outcome::Ran {
            findings: Vec::new(),
            notes: Vec::new(),
        }) {
            Outcome::Ran { findings, .. } => findings.push(finding),
            other => {
                *other = Outcome::Ran {
                    findings: vec![finding],
                    notes: Vec::new(),
                }
            }
        }
    }

    pub fn note(&mut self, rule: &'static Rule, note: impl Into<String>) {
        self.ran(rule);
        if let Some(Outcome::Ran { notes, .. }) = self.by_rule.get_mut(rule.id) {
            notes.push(note.into());
        }
    }

    /// Sets a non-run outcome unless the rule already has findings.
    pub fn not_applicable(&mut self, rule: &'static Rule, reason: impl Into<String>) {
        self.set_unless_findings(rule, Outcome::NotApplicable(reason.into()));
    }

    pub fn skipped(&mut self, rule: &'static Rule, reason: impl Into<String>) {
        self.set_unless_findings(rule, Outcome::Skipped(reason.into()));
    }

    pub fn error(&mut self, rule: &'static Rule, reason: impl Into<String>) {
        self.set_unless_findings(rule, Outcome::Error(reason.into()));
    }

    fn set_unless_findings(&mut self, rule: &'static Rule, outcome: Outcome) {
        let has_findings = matches!(
            self.by_rule.get(rule.id),
            Some(Outcome::Ran { findings, .. }) if !findings.is_empty()
        );
        if !has_findings {
            self.by_rule.insert(rule.id, outcome);
        }
    }

    /// Whether `rule` has at least one finding.
    pub fn has_findings(&self, rule: &Rule) -> bool {
        matches!(self.by_rule.get(rule.id), Some(Outcome::Ran { findings, .. }) if !findings.is_empty())
    }
}
