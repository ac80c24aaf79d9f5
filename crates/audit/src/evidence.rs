//! Measurable claims against evidence records: each claim with a metric and a figure is
//! matched to a metric by name and unit (the default table below, extended by the policy's
//! `[audit.map]`) and marked supported, contradicted, inconclusive (the interval straddles the
//! claim's target) or stale (the record is older than the allowed age).

use gonogo_core::evidence::{Evidence, MetricValue};
use gonogo_core::stats::{self, Fraction};
use jiff::{SignedDuration, Timestamp};

use crate::lexicon::MetricKind;
use crate::numbers::NumUnit;
use crate::{Audit, CONFIDENCE, ClaimStatus, Class, Finding, MAX_ITEMS};

/// A row of the mapping table: a claim whose label or text contains `phrase` (lower case) is
/// about metrics matching `metric` (`*` is one dotted segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    pub phrase: String,
    pub metric: String,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub now: Timestamp,
    /// Records older than this are stale.
    pub max_age: SignedDuration,
    /// The user's rows, tried before the default table.
    pub map: Vec<MapEntry>,
}

/// The default table: what each kind of figure is measured by in gonogo's catalogue.
pub fn default_metrics(kind: MetricKind) -> &'static [&'static str] {
    match kind {
        MetricKind::Availability => &["probe.*.availability"],
        MetricKind::ErrorRate => &["load.*.errors", "prometheus.error_ratio"],
        MetricKind::PassRate | MetricKind::SuccessRate => &["tests.passed"],
        MetricKind::Coverage => &["coverage.lines"],
        MetricKind::Latency => &["load.*.latency", "probe.*.latency", "load.latency"],
        MetricKind::Throughput => &["load.*.throughput"],
        MetricKind::Duration => &["tests.duration"],
    }
}

/// `name` matches `pattern` segment by segment; `*` matches any one segment.
pub fn matches(pattern: &str, name: &str) -> bool {
    let (mut p, mut n) = (pattern.split('.'), name.split('.'));
    loop {
        match (p.next(), n.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == "*" || a == b => {}
            _ => return false,
        }
    }
}

fn pct(share: f64) -> String {
    format!("{:.2} %", share * 100.0)
}

/// Checks the audit's measurable claims against `records` (file name, record).
pub fn check(audit: &mut Audit, records: &[(String, Evidence)], options: &Options) {
    let stale_before = options.now.checked_sub(options.max_age).ok();
    let mut findings = Vec::new();
    for claim in &mut audit.claims {
        let (Some(kind), Some(value), Some(unit)) = (claim.metric, claim.value, claim.unit) else {
            continue;
        };
        let quote = claim.quote.to_ascii_lowercase();
        let user: Vec<&str> = options
            .map
            .iter()
            .filter(|e| quote.contains(&e.phrase))
            .map(|e| e.metric.as_str())
            .collect();
        let patterns: Vec<&str> = if user.is_empty() {
            default_metrics(kind).to_vec()
        } else {
            user
        };
        // The newest record holding a matching metric.
        let found = records
            .iter()
            .flat_map(|(file, r)| {
                r.metrics
                    .iter()
                    .filter(|(name, _)| patterns.iter().any(|p| matches(p, name)))
                    .map(move |(name, m)| (file, r, name, m))
            })
            .max_by_key(|(_, r, _, _)| r.collected_at);
        let Some((file, record, name, metric)) = found else {
            continue;
        };
        let base = metric.unit.to_base();
        // The claim and the evidence's interval, both in base units (fractions, seconds).
        let claimed = match unit {
            NumUnit::Percent => value / 100.0,
            u if u.is_time() => u.base(value),
            _ => value,
        };
        let (interval, said) = match &metric.value {
            MetricValue::Ratio(r) if unit == NumUnit::Percent && r.n > 0 => {
                let i = stats::clopper_pearson(r.k as f64, r.n as f64, CONFIDENCE);
                (
                    i,
                    format!(
                        "{name} = {} of {} ({}), interval {}–{}",
                        r.k,
                        r.n,
                        pct(r.k as f64 / r.n as f64),
                        pct(i.lower),
                        pct(i.upper)
                    ),
                )
            }
            MetricValue::Distribution(h) if unit.is_time() && !h.is_empty() => {
                let Some(q) = claim.percentile.and_then(Fraction::from_percent) else {
                    continue;
                };
                let i = stats::quantile_interval(&h.histogram(), q, CONFIDENCE).scaled(base);
                (
                    i,
                    format!(
                        "{name}: P{} between {:.4} s and {:.4} s from {} samples",
                        claim.percentile.unwrap_or(0.0),
                        i.lower,
                        i.upper,
                        h.len()
                    ),
                )
            }
            MetricValue::Value(v)
                if !matches!(unit, NumUnit::Percent) || metric.unit.to_base() == 0.01 =>
            {
                let v = v * base;
                (
                    stats::Interval { lower: v, upper: v },
                    format!("{name} = {v}"),
                )
            }
            _ => continue,
        };
        let tolerance = claimed.abs() * 0.05;
        let inside = interval.lower - tolerance <= claimed && claimed <= interval.upper + tolerance;
        let target = claim.target.as_ref().map(|t| match t.unit {
            NumUnit::Percent => t.value / 100.0,
            u if u.is_time() => u.base(t.value),
            _ => t.value,
        });
        let stale = stale_before.is_some_and(|limit| record.collected_at < limit);
        let (status, class, rule) = if stale {
            (ClaimStatus::Stale, Class::Note, "evidence.stale")
        } else if !inside {
            (
                ClaimStatus::Contradicted,
                Class::Contradicted,
                "evidence.contradicts",
            )
        } else if target.is_some_and(|t| interval.lower <= t && t <= interval.upper) {
            (
                ClaimStatus::Inconclusive,
                Class::Note,
                "evidence.inconclusive",
            )
        } else {
            (ClaimStatus::Supported, Class::Note, "evidence.supports")
        };
        let message = format!(
            "{said} in {file} (collected {}){}",
            record.collected_at,
            match status {
                ClaimStatus::Stale => format!(", older than {}", options.max_age),
                ClaimStatus::Contradicted => ": the claimed figure is outside it".to_string(),
                ClaimStatus::Inconclusive => ": the interval straddles the target".to_string(),
                _ => String::new(),
            }
        );
        claim.evidence = Some(message.clone());
        if claim.status != ClaimStatus::Contradicted {
            claim.status = status;
        }
        if rule != "evidence.supports" && findings.len() < MAX_ITEMS {
            findings.push(Finding {
                rule,
                class,
                line: claim.line,
                quote: claim.quote.clone(),
                message,
                related: vec![],
            });
        }
    }
    audit.findings.extend(findings);
    audit.findings.sort_by_key(|f| (f.line, f.class, f.rule));
    audit.summarise();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_one_segment() {
        assert!(matches("probe.*.availability", "probe.api.availability"));
        assert!(!matches("probe.*.availability", "probe.a.b.availability"));
        assert!(!matches("coverage.lines", "coverage.branches"));
    }
}
