//! What stands behind a count: the hardening findings and the metrics-lint problems an
//! evidence record lists in its `details`, picked for the gate that judged the count.
//!
//! A verdict says "13 high findings" or "7 lint problems"; a reviewer needs to know which.
//! `harden` stores its whole report (every check with its findings, each with the request and
//! response that prove it) and `observe` the first problems it kept with their line; this
//! module reads those details back as typed rows for every renderer, so each format lists the
//! same things. The decision never reads them (`details` is free-form, see `Evidence`).
//!
//! Rows are picked for the gate's metric: `harden.findings.high` lists the high findings,
//! `harden.tls-version.findings` that check's, `observe.metrics.problems` the lint problems.
//! Text here is the producer's and untrusted: renderers escape it for their format.

use gonogo_core::verdict::{GateResult, Verdict};
use serde_json::Value;

use crate::EvidenceMap;

/// The most rows a renderer lists under one gate; the rest are counted, not listed.
pub const MAX_LISTED_PER_GATE: usize = 10;

/// One hardening finding.
#[derive(Debug, Clone, PartialEq)]
pub struct HardeningFinding {
    /// The check's id (`tls-version`, `hsts`...).
    pub check: String,
    /// `high`, `medium` or `low`.
    pub severity: String,
    /// OWASP ASVS 5.0.0 requirement the check maps to (4.0.3 when 5.0.0 has none).
    pub asvs: String,
    pub message: String,
    /// The request as sent (credentials already redacted by harden) and the response excerpt:
    /// the proof.
    pub request: String,
    pub response: String,
}

/// One metrics-lint problem of `observe`.
#[derive(Debug, Clone, PartialEq)]
pub struct LintProblem {
    /// Line of the scraped exposition.
    pub line: u64,
    /// Stable code: `no-help`, `counter-without-total`...
    pub code: String,
    pub metric: String,
    pub message: String,
}

/// What a gate's cited evidence lists behind its count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listed {
    pub findings: Vec<HardeningFinding>,
    pub problems: Vec<LintProblem>,
    /// How many the producer counted in all, when it kept fewer than it counted (`observe`
    /// keeps the first problems): the renderer says "and N more" from this.
    pub counted: u64,
}

impl Listed {
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.problems.is_empty()
    }

    /// Rows beyond those listed: everything counted minus what a renderer shows.
    pub fn more_than(&self, shown: usize) -> u64 {
        self.counted.saturating_sub(shown as u64)
    }
}

/// The rows of one record's `details` that stand behind `metric` (the gate's metric name).
/// Appends to `listed`, so a gate citing several records gets them all.
pub fn collect(kind: &str, metric: &str, details: &Value, listed: &mut Listed) {
    match kind {
        "harden" => hardening(metric, details, listed),
        "observe" if metric == "observe.metrics.problems" => lint(details, listed),
        _ => {}
    }
}

/// What the records a gate cites list behind its count (records absent from `evidence` list
/// nothing: a verdict rendered without its evidence folder still renders).
pub fn for_gate(verdict: &Verdict, gate: &GateResult, evidence: &EvidenceMap) -> Listed {
    let mut listed = Listed::default();
    for &index in &gate.evidence {
        let Some(cited) = verdict.evidence.get(index) else {
            continue;
        };
        if let Some(record) = evidence.get(&cited.sha256) {
            collect(&record.kind, &gate.metric, &record.details, &mut listed);
        }
    }
    listed
}

/// A hardening finding on one line: severity, check, ASVS requirement, message, and the
/// request line that proves it (the whole request and response are in the HTML report and
/// the evidence file).
pub fn finding_line(finding: &HardeningFinding) -> String {
    let mut line = format!("[{}] {}", finding.severity, finding.check);
    if !finding.asvs.is_empty() {
        line.push_str(&format!(" (ASVS {})", finding.asvs));
    }
    line.push_str(&format!(": {}", finding.message));
    if let Some(request) = finding.request.lines().next().filter(|l| !l.is_empty()) {
        line.push_str(&format!(" · {request}"));
    }
    line
}

/// A lint problem on one line: where, which rule, which metric, what.
pub fn problem_line(problem: &LintProblem) -> String {
    format!(
        "line {} [{}] {}: {}",
        problem.line, problem.code, problem.metric, problem.message
    )
}

/// The rows to show, at most [`MAX_LISTED_PER_GATE`] in all, each as one line, and how many
/// more were counted.
pub fn lines(listed: &Listed) -> (Vec<String>, u64) {
    let rows: Vec<String> = listed
        .findings
        .iter()
        .map(finding_line)
        .chain(listed.problems.iter().map(problem_line))
        .take(MAX_LISTED_PER_GATE)
        .collect();
    let more = listed.more_than(rows.len());
    (rows, more)
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn hardening(metric: &str, details: &Value, listed: &mut Listed) {
    // `harden.findings.<severity>` or `harden.<check>.findings`; anything else lists nothing.
    let Some(rest) = metric.strip_prefix("harden.") else {
        return;
    };
    let (severity, check) = match rest.strip_prefix("findings.") {
        Some(severity) => (Some(severity), None),
        None => match rest.strip_suffix(".findings") {
            Some(check) => (None, Some(check)),
            None => return,
        },
    };
    let Some(checks) = details.get("checks").and_then(Value::as_array) else {
        return;
    };
    for result in checks {
        // A disabled check's findings are not counted (harden's `Report::count`), so they are
        // not listed behind the count either.
        if text(result, "status") == "disabled" {
            continue;
        }
        let id = text(result, "check");
        if check.is_some_and(|wanted| wanted != id) {
            continue;
        }
        let asvs = match text(result, "asvs_5_0_0") {
            five if !five.is_empty() => five,
            _ => text(result, "asvs_4_0_3"),
        };
        for finding in result
            .get("findings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let finding_severity = text(finding, "severity");
            if severity.is_some_and(|wanted| wanted != finding_severity) {
                continue;
            }
            listed.counted += 1;
            listed.findings.push(HardeningFinding {
                check: id.clone(),
                severity: finding_severity,
                asvs: asvs.clone(),
                message: text(finding, "message"),
                request: text(finding, "request"),
                response: text(finding, "response"),
            });
        }
    }
}

fn lint(details: &Value, listed: &mut Listed) {
    let kept = details.get("problems").and_then(Value::as_array);
    let mut n = 0u64;
    for problem in kept.into_iter().flatten() {
        n += 1;
        listed.problems.push(LintProblem {
            line: problem.get("line").and_then(Value::as_u64).unwrap_or(0),
            code: text(problem, "code"),
            metric: text(problem, "metric"),
            message: text(problem, "message"),
        });
    }
    // `problems_total` counts every problem, also those beyond the kept ones.
    let total = details
        .get("problems_total")
        .and_then(Value::as_u64)
        .unwrap_or(n);
    listed.counted += total.max(n);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn harden_details() -> Value {
        json!({"checks": [
            {"check": "hsts", "asvs_4_0_3": "9.1.1", "asvs_5_0_0": "3.4.1", "status": "fail",
             "findings": [{"check": "hsts", "severity": "medium", "message": "no HSTS",
                           "request": "GET / HTTP/1.1", "response": "HTTP/1.1 200 OK"}]},
            {"check": "stack-trace", "asvs_4_0_3": "7.4.1", "asvs_5_0_0": "", "status": "fail",
             "findings": [
                {"check": "stack-trace", "severity": "high", "message": "traceback in a 500",
                 "request": "GET /boom", "response": "HTTP/1.1 500\n\nTraceback"},
                {"check": "stack-trace", "severity": "high", "message": "second",
                 "request": "GET /boom2", "response": "HTTP/1.1 500"}]},
            {"check": "cors", "asvs_4_0_3": "", "asvs_5_0_0": "3.4.2", "status": "disabled",
             "findings": [{"check": "cors", "severity": "high", "message": "waved off",
                           "request": "", "response": ""}]}
        ]})
    }

    #[test]
    fn a_severity_gate_lists_that_severity_of_every_counted_check() {
        let mut listed = Listed::default();
        collect(
            "harden",
            "harden.findings.high",
            &harden_details(),
            &mut listed,
        );
        let messages: Vec<&str> = listed.findings.iter().map(|f| f.message.as_str()).collect();
        // The disabled check's high finding is not counted by harden, so not listed.
        assert_eq!(messages, ["traceback in a 500", "second"]);
        assert_eq!(listed.counted, 2);
        // ASVS 5.0.0 missing: 4.0.3 stands in.
        assert_eq!(listed.findings[0].asvs, "7.4.1");
        assert_eq!(listed.findings[0].request, "GET /boom");
    }

    #[test]
    fn a_check_gate_lists_that_check_only() {
        let mut listed = Listed::default();
        collect(
            "harden",
            "harden.hsts.findings",
            &harden_details(),
            &mut listed,
        );
        assert_eq!(listed.findings.len(), 1);
        assert_eq!(listed.findings[0].check, "hsts");
        assert_eq!(listed.findings[0].asvs, "3.4.1");
        let mut none = Listed::default();
        collect("harden", "harden.requests", &harden_details(), &mut none);
        assert!(none.is_empty());
    }

    #[test]
    fn lint_problems_are_listed_and_the_uncounted_rest_is_counted() {
        let details = json!({"problems": [
            {"line": 3, "code": "no-help", "metric": "jobs", "message": "no HELP"},
            {"line": 9, "code": "counter-without-total", "metric": "hits", "message": "name"}],
            "problems_total": 40, "problems_kept": 2});
        let mut listed = Listed::default();
        collect("observe", "observe.metrics.problems", &details, &mut listed);
        assert_eq!(listed.problems.len(), 2);
        assert_eq!(listed.problems[1].line, 9);
        assert_eq!(listed.counted, 40);
        assert_eq!(listed.more_than(2), 38);
        // Another observe metric lists nothing.
        let mut other = Listed::default();
        collect("observe", "observe.health.ok", &details, &mut other);
        assert!(other.is_empty());
    }

    #[test]
    fn malformed_details_list_nothing_and_never_panic() {
        for details in [
            json!(null),
            json!({"checks": 3}),
            json!({"problems": "x"}),
            json!([]),
        ] {
            let mut listed = Listed::default();
            collect("harden", "harden.findings.high", &details, &mut listed);
            collect("observe", "observe.metrics.problems", &details, &mut listed);
            assert!(listed.is_empty());
        }
    }
}
