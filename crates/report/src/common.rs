//! What every renderer shares: the evidence map the charts read, and the translated words for
//! statuses, areas, reasons and citations, so Markdown, HTML and JUnit say the same thing.

use std::collections::BTreeMap;

use gonogo_core::evidence::Evidence;

use crate::i18n::{Lang, Msg};
use crate::json::{EvidenceV1, GateV1, VerdictV1};

/// The evidence records a verdict cites, by their SHA-256 (lower-case hex). Renderers look up
/// the records the verdict names here; a record that is absent only loses its chart.
pub type EvidenceMap = BTreeMap<String, Evidence>;

pub(crate) fn status_word(lang: Lang, status: &str) -> String {
    let message = match status {
        "pass" => Msg::StatusPass,
        "fail" => Msg::StatusFail,
        "inconclusive" => Msg::StatusInconclusive,
        "missing" => Msg::StatusMissing,
        "waived" => Msg::StatusWaived,
        other => return other.to_owned(),
    };
    lang.text(message).to_owned()
}

pub(crate) fn area_status_word(lang: Lang, status: &str) -> String {
    let message = match status {
        "green" => Msg::AreaGreen,
        "yellow" => Msg::AreaYellow,
        "red" => Msg::AreaRed,
        "grey" => Msg::AreaGrey,
        other => return other.to_owned(),
    };
    lang.text(message).to_owned()
}

/// The area's title: the catalogue's word for the six standard areas, else the policy's title.
pub(crate) fn area_title(lang: Lang, name: &str, title: &str) -> String {
    let message = match name {
        "functionality" => Msg::AreaFunctionality,
        "performance" => Msg::AreaPerformance,
        "reliability" => Msg::AreaReliability,
        "security" => Msg::AreaSecurity,
        "observability" => Msg::AreaObservability,
        "delivery" => Msg::AreaDelivery,
        _ => return title.to_owned(),
    };
    lang.text(message).to_owned()
}

pub(crate) fn area_title_of(lang: Lang, doc: &VerdictV1, area: &str) -> String {
    let title = doc
        .areas
        .iter()
        .find(|a| a.name == area)
        .map(|a| a.title.as_str())
        .unwrap_or(area);
    area_title(lang, area, title)
}

pub(crate) fn severity_word(lang: Lang, severity: &str) -> String {
    match severity {
        "blocker" => lang.text(Msg::SeverityBlocker).to_owned(),
        "warn" => lang.text(Msg::SeverityWarn).to_owned(),
        other => other.to_owned(),
    }
}

pub(crate) fn reason_sentence(lang: Lang, reason: &str) -> Option<&'static str> {
    let message = match reason {
        "breached" => Msg::ReasonBreached,
        "missing" => Msg::ReasonMissing,
        "stale" => Msg::ReasonStale,
        "partial" => Msg::ReasonPartial,
        "too_few_samples" => Msg::ReasonTooFewSamples,
        "no_baseline" => Msg::ReasonNoBaseline,
        "unparseable" => Msg::ReasonUnparseable,
        "no_distribution" => Msg::ReasonNoDistribution,
        "incomplete" => Msg::ReasonIncomplete,
        "conflict" => Msg::ReasonConflict,
        "waived" => Msg::ReasonWaived,
        _ => return None,
    };
    Some(lang.text(message))
}

/// `0.95` as `95 %`.
pub(crate) fn percent(fraction: f64) -> String {
    let value = fraction * 100.0;
    if (value - value.round()).abs() < 1e-9 {
        format!("{} %", value.round())
    } else {
        format!("{value:.1} %")
    }
}

pub(crate) fn sha_prefix(sha256: &str) -> &str {
    &sha256[..12.min(sha256.len())]
}

/// `url http://… · sha256 0cf67fc72b3c · 2026-11-25T09:00:00Z`, in the report's language.
pub(crate) fn citation(lang: Lang, evidence: &EvidenceV1) -> String {
    lang.format(
        Msg::EvidenceCitation,
        &[
            ("type", &evidence.source.source_type),
            ("source", &evidence.source.location),
            ("sha", sha_prefix(&evidence.sha256)),
            ("time", &shown_time(&evidence.collected_at)),
        ],
    )
}

/// `gate --compare` in words, for every renderer: the headline (no flip, or how many) and each
/// flip as (gate, status before, status after), `(absent)` for a gate on one side only.
pub(crate) fn comparison_text(
    comparison: &crate::json::ComparisonV1,
    lang: Lang,
) -> (String, Vec<(String, String, String)>) {
    let with = format!("{} ({})", comparison.with, comparison.before);
    if comparison.flips.is_empty() {
        return (
            lang.format(Msg::CompareNone, &[("with", &with)]),
            Vec::new(),
        );
    }
    let headline = lang.format(
        Msg::CompareFlips,
        &[
            ("count", &comparison.flips.len().to_string()),
            ("with", &with),
        ],
    );
    let shown = |s: &Option<String>| {
        s.as_deref().map_or_else(
            || lang.text(Msg::CompareAbsent).to_owned(),
            |s| status_word(lang, s),
        )
    };
    let flips = comparison
        .flips
        .iter()
        .map(|f| (f.gate.clone(), shown(&f.before), shown(&f.after)))
        .collect();
    (headline, flips)
}

/// An RFC 3339 time as reports show it: to the second (verdict.json keeps the full
/// precision); text that is not a time is shown as it is.
pub(crate) fn shown_time(text: &str) -> String {
    match text.parse::<jiff::Timestamp>() {
        Ok(at) => jiff::Timestamp::from_second(at.as_second())
            .unwrap_or(at)
            .to_string(),
        Err(_) => text.to_owned(),
    }
}

pub(crate) fn measured_display(lang: Lang, gate: &GateV1) -> String {
    gate.measured
        .as_ref()
        .map(|m| match (m.k, m.n) {
            (Some(k), Some(n)) => format!(
                "{} ({})",
                m.display,
                lang.format(
                    Msg::CountOf,
                    &[("k", &k.to_string()), ("n", &n.to_string())]
                )
            ),
            _ => m.display.clone(),
        })
        .unwrap_or_else(|| lang.text(Msg::NotMeasured).to_owned())
}

pub(crate) fn interval_display(lang: Lang, gate: &GateV1) -> String {
    gate.measured
        .as_ref()
        .and_then(|m| m.interval_display.clone())
        .unwrap_or_else(|| lang.text(Msg::NotMeasured).to_owned())
}

pub(crate) fn n_display(lang: Lang, gate: &GateV1) -> String {
    gate.measured
        .as_ref()
        .and_then(|m| m.n)
        .map(|n| n.to_string())
        .unwrap_or_else(|| lang.text(Msg::NotMeasured).to_owned())
}

pub(crate) fn threshold_display(lang: Lang, gate: &GateV1) -> String {
    if gate.threshold_display.is_empty() {
        lang.text(Msg::NotMeasured).to_owned()
    } else {
        gate.threshold_display.clone()
    }
}

pub(crate) fn waiver_sentence(lang: Lang, gate: &GateV1) -> Option<String> {
    let waiver = gate.waiver.as_ref()?;
    let status = status_word(lang, &waiver.underlying_status);
    Some(if waiver.expired {
        lang.format(
            Msg::WaiverExpired,
            &[
                ("reason", &waiver.reason),
                ("owner", &waiver.owner),
                ("expires", &waiver.expires),
            ],
        )
    } else {
        lang.format(
            Msg::Waiver,
            &[
                ("reason", &waiver.reason),
                ("owner", &waiver.owner),
                ("expires", &waiver.expires),
                ("status", &status),
            ],
        )
    })
}

pub(crate) fn counts_sentence(lang: Lang, doc: &VerdictV1) -> String {
    let s = &doc.summary;
    lang.format(
        Msg::Counts,
        &[
            ("total", &doc.gates.len().to_string()),
            ("pass", &s.pass.to_string()),
            ("fail", &s.fail.to_string()),
            ("inconclusive", &s.inconclusive.to_string()),
            ("missing", &s.missing.to_string()),
            ("waived", &s.waived.to_string()),
        ],
    )
}

/// Gate indices by name, for the blocker and warning lists (which hold names).
pub(crate) fn gate_index(doc: &VerdictV1) -> std::collections::HashMap<&str, usize> {
    doc.gates
        .iter()
        .enumerate()
        .map(|(i, g)| (g.name.as_str(), i))
        .collect()
}

/// The evidence records a gate cites (ids outside the list are skipped).
pub(crate) fn cited<'a>(doc: &'a VerdictV1, gate: &GateV1) -> impl Iterator<Item = &'a EvidenceV1> {
    let ids = gate.evidence.clone();
    ids.into_iter().filter_map(move |id| {
        // Ids are positions in the list as written; look further only if a consumer reordered it.
        doc.evidence
            .get(id)
            .filter(|e| e.id == id)
            .or_else(|| doc.evidence.iter().find(|e| e.id == id))
    })
}

/// The commit a verdict judged, as one line: `3f2a9c1d0e4b on main (v1.4.0) → production`.
pub fn commit_line(context: &crate::json::ContextV1) -> Option<String> {
    let commit = context.commit.as_ref()?;
    let mut line = commit.chars().take(12).collect::<String>();
    if let Some(branch) = &context.branch {
        line.push_str(&format!(" on {branch}"));
    }
    if !context.tags.is_empty() {
        line.push_str(&format!(" ({})", context.tags.join(", ")));
    }
    if let Some(target) = context
        .deployment_target
        .as_deref()
        .filter(|t| *t != "none")
    {
        line.push_str(&format!(" → {target}"));
    }
    if context.dirty_paths > 0 {
        line.push_str(&format!(" + {} uncommitted", context.dirty_paths));
    }
    Some(line)
}

/// The rules applied to a gate, in `lang`: worded from `rules_detail` when the verdict has
/// one per rule, else the English sentences as written. Engines' caveats stay as written.
pub fn rules(gate: &crate::json::GateV1, lang: crate::i18n::Lang) -> Vec<String> {
    use crate::i18n::Lang;
    if lang == Lang::En || gate.rules_detail.len() != gate.rules.len() {
        return gate.rules.clone();
    }
    gate.rules_detail
        .iter()
        .zip(&gate.rules)
        .map(|(detail, english)| {
            let Some(message) = rule_message(&detail.kind) else {
                return english.clone();
            };
            let values: Vec<(&str, &str)> = detail
                .values
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect();
            lang.format(message, &values)
        })
        .collect()
}

/// The catalogue message of a rule kind; `None` for `text` (kept as written) and kinds this
/// version does not know.
pub(crate) fn rule_message(kind: &str) -> Option<crate::i18n::Msg> {
    use crate::i18n::Msg;
    Some(match kind {
        "excluded_stale" => Msg::RuleExcludedStale,
        "summed" => Msg::RuleSummed,
        "merged_histograms" => Msg::RuleMergedHistograms,
        "newest_value" => Msg::RuleNewestValue,
        "exact_aggregate" => Msg::RuleExactAggregate,
        "plain_value" => Msg::RulePlainValue,
        "census" => Msg::RuleCensus,
        "tail" => Msg::RuleTail,
        "two_sample" => Msg::RuleTwoSample,
        "waiver_expired" => Msg::RuleWaiverExpired,
        _ => return None,
    })
}

/// What would settle an inconclusive gate, in `lang`: worded from `settle_detail` when the
/// verdict has it, else the English sentence as written.
pub fn settle(gate: &crate::json::GateV1, lang: crate::i18n::Lang) -> Option<String> {
    use crate::i18n::{Lang, Msg};
    let english = gate.settle.clone();
    let detail = match (&gate.settle_detail, lang) {
        (Some(detail), lang) if lang != Lang::En => detail,
        _ => return english,
    };
    Some(match detail.kind.as_str() {
        "on_threshold" if detail.mean => lang.text(Msg::SettleMeanOnThreshold).to_owned(),
        "on_threshold" => lang.text(Msg::SettleOnThreshold).to_owned(),
        "more" => {
            let Some(more) = detail.more else {
                return english;
            };
            let (counted, holds) = match detail.counted.as_deref() {
                Some("trials") => (Msg::CountedTrials, Msg::HoldsRate),
                _ => (Msg::CountedSamples, Msg::HoldsDistribution),
            };
            let more = more.to_string();
            let total = detail.total.map(|t| t.to_string());
            let mut args = vec![
                ("more", more.as_str()),
                ("counted", lang.text(counted)),
                ("holds", lang.text(holds)),
            ];
            match &total {
                Some(total) => {
                    args.push(("total", total.as_str()));
                    lang.format(Msg::SettleMoreTotal, &args)
                }
                None => lang.format(Msg::SettleMore, &args),
            }
        }
        _ => return english,
    })
}

/// Why a gate ended as it did, in the report's language. English reports show the core's own
/// sentence; other languages compose it from the catalogue and the measured figures, and fall
/// back to the core's sentence only where it carries details no template has (a stale record's
/// age, a disagreement between records, a waiver).
pub fn why(gate: &crate::json::GateV1, lang: crate::i18n::Lang) -> String {
    use crate::i18n::{Lang, Msg};
    if lang == Lang::En {
        return gate.why.clone();
    }
    let outcome = match gate.status.as_str() {
        "pass" => Msg::WhyOutcomePass,
        "fail" => Msg::WhyOutcomeFail,
        "inconclusive" if gate.reason.as_deref() == Some("too_few_samples") => {
            Msg::WhyOutcomeInconclusive
        }
        "missing" if gate.reason.as_deref() == Some("missing") => {
            return lang.format(Msg::WhyNoEvidence, &[("metric", &gate.metric)]);
        }
        // The waiver's reason, owner and expiry are shown beside it.
        "waived" => return lang.text(Msg::ReasonWaived).to_owned(),
        _ => return gate.why.clone(),
    };
    let Some(measured) = &gate.measured else {
        return gate.why.clone();
    };
    let mut value = measured.display.clone();
    if let (Some(k), Some(n), "rate") = (measured.k, measured.n, gate.aggregate.as_str()) {
        value.push_str(&format!(" ({k}/{n})"));
    }
    let threshold = gate.threshold_display.clone();
    match (&measured.interval_display, measured.n) {
        (Some(interval), Some(n)) => lang.format(
            Msg::WhyMeasured,
            &[
                ("aggregate", &gate.aggregate),
                ("value", &value),
                ("interval", interval),
                ("n", &n.to_string()),
                ("outcome", lang.text(outcome)),
                ("threshold", &threshold),
            ],
        ),
        _ => {
            // An exact figure has no interval to speak of.
            let outcome = match outcome {
                Msg::WhyOutcomePass => Msg::WhyExactPass,
                Msg::WhyOutcomeFail => Msg::WhyExactFail,
                other => other,
            };
            lang.format(
                Msg::WhyMeasuredExact,
                &[
                    ("aggregate", &gate.aggregate),
                    ("value", &value),
                    ("outcome", lang.text(outcome)),
                    ("threshold", &threshold),
                ],
            )
        }
    }
}

/// The sentence for a verdict's `unearned` code (English; the code is stable for machines).
pub fn unearned_sentence(code: &str) -> String {
    gonogo_core::verdict::Unearned::parse(code).map_or_else(|| code.to_owned(), |u| u.to_string())
}

#[cfg(test)]
mod tests {
    use gonogo_core::verdict::Rule;

    use crate::i18n::Lang;
    use crate::json::RuleV1;

    /// Every kind of core rule fills every placeholder of its message in both languages.
    #[test]
    fn every_rule_kind_is_worded_in_every_language() {
        let rules = [
            Rule::ExcludedStale {
                records: 2,
                max_age: "24 h".into(),
            },
            Rule::Summed {
                records: 2,
                k: 1,
                n: 1000,
                unit: "requests".into(),
            },
            Rule::MergedHistograms {
                records: 2,
                samples: 600,
            },
            Rule::NewestValue {
                records: 2,
                metric: "probe.api.cert_expiry".into(),
                source: "url https://127.0.0.1/".into(),
                at: "2026-11-25T12:00:00Z".into(),
            },
            Rule::ExactAggregate {
                aggregate: "count".into(),
            },
            Rule::PlainValue,
            Rule::WaiverExpired {
                owner: "alice".into(),
                expires: "2026-11-24".into(),
            },
        ];
        for rule in &rules {
            let detail = RuleV1::from_core(rule);
            let message = super::rule_message(&detail.kind)
                .unwrap_or_else(|| panic!("no message for the rule kind {}", detail.kind));
            let values: Vec<(&str, &str)> = detail
                .values
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect();
            for lang in [Lang::En, Lang::ZhCn] {
                let text = lang.format(message, &values);
                assert!(!text.contains('{'), "{lang} {}: {text}", detail.kind);
                for (_, value) in &values {
                    assert!(
                        text.contains(value),
                        "{lang} {} lost {value}: {text}",
                        detail.kind
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn reports_show_times_to_the_second() {
        assert_eq!(
            super::shown_time("2026-12-06T10:23:23.389796353Z"),
            "2026-12-06T10:23:23Z"
        );
        assert_eq!(super::shown_time("yesterday"), "yesterday");
    }
}
