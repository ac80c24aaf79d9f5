//! The words every renderer shares, read from the typed verdict: statuses, areas, severities,
//! reasons, figures, waivers, rules, settle hints and citations, in the report's language, so
//! Markdown, HTML, JUnit and the rest say the same thing.

use gonogo_core::expect::Aggregate;
use gonogo_core::policy::GateSeverity;
use gonogo_core::verdict::{
    AreaStatus, Context, Counted, EvidenceRef, GateResult, GateStatus, Reason, Rule, Settle,
    Verdict,
};

use crate::i18n::{Lang, Msg};

pub(crate) fn status(lang: Lang, status: GateStatus) -> &'static str {
    lang.text(match status {
        GateStatus::Pass => Msg::StatusPass,
        GateStatus::Fail => Msg::StatusFail,
        GateStatus::Inconclusive => Msg::StatusInconclusive,
        GateStatus::Missing => Msg::StatusMissing,
        GateStatus::Waived => Msg::StatusWaived,
    })
}

pub(crate) fn area_status(lang: Lang, status: AreaStatus) -> &'static str {
    lang.text(match status {
        AreaStatus::Green => Msg::AreaGreen,
        AreaStatus::Yellow => Msg::AreaYellow,
        AreaStatus::Red => Msg::AreaRed,
        AreaStatus::Grey => Msg::AreaGrey,
    })
}

/// The title of the area named `area`: the catalogue's word for a standard area, else the
/// policy's title (the name when the verdict has no such area).
pub(crate) fn area_title_of(lang: Lang, verdict: &Verdict, area: &str) -> String {
    let title = verdict
        .areas
        .iter()
        .find(|a| a.name == area)
        .map(|a| a.title.as_str())
        .unwrap_or(area);
    crate::common::area_title(lang, area, title)
}

/// The areas the verdict could not assess (grey: no gates, or no evidence for any of them),
/// said beside the decision so a GO never reads as "everything checked" (issue 17).
pub(crate) fn unassessed(lang: Lang, verdict: &Verdict) -> Option<String> {
    let grey: Vec<String> = verdict
        .areas
        .iter()
        .filter(|area| area.status == gonogo_core::verdict::AreaStatus::Grey)
        .map(|area| crate::common::area_title(lang, &area.name, &area.title))
        .collect();
    (!grey.is_empty()).then(|| lang.format(Msg::Unassessed, &[("areas", &lang.list(&grey))]))
}

pub(crate) fn severity(lang: Lang, severity: GateSeverity) -> &'static str {
    lang.text(match severity {
        GateSeverity::Blocker => Msg::SeverityBlocker,
        GateSeverity::Warn => Msg::SeverityWarn,
    })
}

pub(crate) fn reason(lang: Lang, reason: Reason) -> &'static str {
    lang.text(match reason {
        Reason::Breached => Msg::ReasonBreached,
        Reason::Missing => Msg::ReasonMissing,
        Reason::Stale => Msg::ReasonStale,
        Reason::Partial => Msg::ReasonPartial,
        Reason::TooFewSamples => Msg::ReasonTooFewSamples,
        Reason::NoBaseline => Msg::ReasonNoBaseline,
        Reason::Unparseable => Msg::ReasonUnparseable,
        Reason::NoDistribution => Msg::ReasonNoDistribution,
        Reason::Incomplete => Msg::ReasonIncomplete,
        Reason::Conflict => Msg::ReasonConflict,
        Reason::Waived => Msg::ReasonWaived,
    })
}

/// The measured figure, with `k of n` for a ratio; "—" when nothing was measured.
pub(crate) fn measured(lang: Lang, gate: &GateResult) -> String {
    gate.measured
        .as_ref()
        .map(|m| match (m.k, m.n) {
            (Some(k), Some(n)) => format!(
                "{} ({})",
                m.display_point_beside(gate.threshold),
                lang.format(
                    Msg::CountOf,
                    &[("k", &k.to_string()), ("n", &n.to_string())]
                )
            ),
            _ => m.display_point_beside(gate.threshold),
        })
        .unwrap_or_else(|| lang.text(Msg::NotMeasured).to_owned())
}

pub(crate) fn interval(lang: Lang, gate: &GateResult) -> String {
    gate.measured
        .as_ref()
        .and_then(|m| m.display_interval_beside(gate.threshold))
        .unwrap_or_else(|| lang.text(Msg::NotMeasured).to_owned())
}

pub(crate) fn n(lang: Lang, gate: &GateResult) -> String {
    gate.measured
        .as_ref()
        .and_then(|m| m.n)
        .map(|n| n.to_string())
        .unwrap_or_else(|| lang.text(Msg::NotMeasured).to_owned())
}

/// The threshold as people read it (`< 500 ms`), always with its operator.
pub(crate) fn threshold(lang: Lang, gate: &GateResult) -> String {
    if gate.threshold_display.is_empty() {
        lang.text(Msg::NotMeasured).to_owned()
    } else {
        gate.threshold_display.clone()
    }
}

pub(crate) fn waiver(lang: Lang, gate: &GateResult) -> Option<String> {
    let waiver = gate.waiver.as_ref()?;
    let expires = waiver.expires.to_string();
    Some(if waiver.expired {
        lang.format(
            Msg::WaiverExpired,
            &[
                ("reason", &waiver.reason),
                ("owner", &waiver.owner),
                ("expires", &expires),
            ],
        )
    } else {
        lang.format(
            Msg::Waiver,
            &[
                ("reason", &waiver.reason),
                ("owner", &waiver.owner),
                ("expires", &expires),
                ("status", status(lang, waiver.underlying)),
            ],
        )
    })
}

/// Every waiver the verdict applied or saw expire, one line each for the list of active
/// waivers (issue 17): the gate, then its waiver sentence with the owner, reason and expiry,
/// then the days left, counted from the moment judged.
pub(crate) fn waiver_list(lang: Lang, verdict: &Verdict) -> Vec<(String, String)> {
    let today = jiff::tz::TimeZone::UTC
        .to_datetime(verdict.evaluated_at)
        .date();
    verdict
        .gates
        .iter()
        .filter_map(|gate| {
            let state = gate.waiver.as_ref()?;
            let mut sentence = waiver(lang, gate)?;
            if !state.expired {
                let left = today
                    .until(state.expires)
                    .map(|span| span.get_days())
                    .unwrap_or(0);
                sentence.push_str(" · ");
                sentence
                    .push_str(&lang.format(Msg::WaiverDaysLeft, &[("days", &left.to_string())]));
            }
            Some((gate.name.clone(), sentence))
        })
        .collect()
}

pub(crate) fn counts(lang: Lang, verdict: &Verdict) -> String {
    lang.format(
        Msg::Counts,
        &[
            ("total", &verdict.gates.len().to_string()),
            ("pass", &verdict.count(GateStatus::Pass).to_string()),
            ("fail", &verdict.count(GateStatus::Fail).to_string()),
            (
                "inconclusive",
                &verdict.count(GateStatus::Inconclusive).to_string(),
            ),
            ("missing", &verdict.count(GateStatus::Missing).to_string()),
            ("waived", &verdict.count(GateStatus::Waived).to_string()),
        ],
    )
}

/// The evidence records a gate cites.
pub(crate) fn cited<'a>(
    verdict: &'a Verdict,
    gate: &'a GateResult,
) -> impl Iterator<Item = &'a EvidenceRef> {
    gate.evidence
        .iter()
        .filter_map(|&i| verdict.evidence.get(i))
}

/// `url http://… · sha256 0cf67fc72b3c · 2026-11-25T09:00:00Z`, in the report's language.
pub(crate) fn citation(lang: Lang, evidence: &EvidenceRef) -> String {
    lang.format(
        Msg::EvidenceCitation,
        &[
            ("type", evidence.source.type_name()),
            ("source", evidence.source.as_str()),
            ("sha", crate::common::sha_prefix(&evidence.sha256)),
            ("time", &to_the_second(evidence.collected_at).to_string()),
        ],
    )
}

/// A time as reports show it: to the second (verdict.json keeps the full precision).
pub(crate) fn to_the_second(at: jiff::Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_second(at.as_second()).unwrap_or(at)
}

/// The commit a verdict judged, as one line: `3f2a9c1d0e4b on main (v1.4.0) → production`.
pub(crate) fn commit_line(context: &Context) -> Option<String> {
    crate::common::commit_line(&crate::json::ContextV1 {
        commit: context.commit.clone(),
        branch: context.branch.clone(),
        tags: context.tags.clone(),
        deployment_target: context.deployment_target.clone(),
        rollback_tag: context.rollback_tag.clone(),
        dirty_paths: context.dirty_paths,
        ci_provider: context.ci_provider.clone(),
        ci_run_url: context.ci_run_url.clone(),
    })
}

/// The rules applied to a gate and the producers' notes, in `lang`, each with its label
/// ("Rules applied" or "Note"): a producer's note is not a rule (issue 17).
pub(crate) fn rule_lines(gate: &GateResult, lang: Lang) -> Vec<(Msg, String)> {
    gate.rules
        .iter()
        .zip(rules(gate, lang))
        .map(|(rule, text)| {
            let label = if is_note(rule) {
                Msg::LabelNote
            } else {
                Msg::LabelRules
            };
            (label, text)
        })
        .collect()
}

/// Whether a rule is a producer's note (a caveat on its metric, or what it could not do)
/// rather than a rule the decision applied.
pub(crate) fn is_note(rule: &Rule) -> bool {
    matches!(rule, Rule::Note { .. } | Rule::Incomplete { .. })
}

/// A producer's coded note in `lang` (`None`: no code, or one this version does not know).
/// A `segment` argument (a sentence of one segment of a distributed test) prefixes it.
fn note_text(code: &gonogo_core::evidence::NoteCode, lang: Lang) -> Option<String> {
    let text = if code.code == "audit.ignored" {
        audit_ignored(code, lang)?
    } else {
        coded_sentence(code, lang)?
    };
    Some(match code.args.get("segment") {
        Some(segment) => lang.format(
            Msg::SegmentNote,
            &[("segment", segment.as_str()), ("what", text.as_str())],
        ),
        None => text,
    })
}

/// An audit's note on the vulnerabilities the policy ignores (`audit.ignored`, from
/// `gonogo_ingest::audit`): each item from its numbered arguments (`ignored.1.id`...,
/// `expired.1.rule`...), worded and joined as `lang` writes them. `None` when the arguments
/// are not a whole list (a report then shows the producer's sentence).
fn audit_ignored(code: &gonogo_core::evidence::NoteCode, lang: Lang) -> Option<String> {
    let zh = lang == Lang::ZhCn;
    let arg = |group: &str, i: usize, name: &str| {
        code.args
            .get(&format!("{group}.{i}.{name}"))
            .map(String::as_str)
    };
    let mut items = Vec::new();
    for i in 1.. {
        let Some(id) = arg("ignored", i, "id") else {
            break;
        };
        let mut by = Vec::new();
        if let Some(owner) = arg("ignored", i, "owner") {
            by.push(lang.format(Msg::AuditIgnoredOwner, &[("owner", owner)]));
        }
        if let Some(until) = arg("ignored", i, "until") {
            by.push(lang.format(Msg::AuditIgnoredUntil, &[("until", until)]));
        }
        let by = if by.is_empty() {
            String::new()
        } else if zh {
            format!("；{}", by.join("，"))
        } else {
            format!("; {}", by.join(", "))
        };
        items.push(lang.format(
            Msg::AuditIgnoredItem,
            &[
                ("id", id),
                ("package", arg("ignored", i, "package")?),
                ("reason", arg("ignored", i, "reason")?),
                ("by", &by),
            ],
        ));
    }
    let mut parts = Vec::new();
    if !items.is_empty() {
        let count = items.len().to_string();
        let items = items.join(if zh { "；" } else { "; " });
        parts.push(lang.format(
            Msg::AuditIgnoredList,
            &[("count", &count), ("items", &items)],
        ));
    }
    for i in 1.. {
        let Some(rule) = arg("expired", i, "rule") else {
            break;
        };
        let field = |name| arg("expired", i, name);
        parts.push(lang.format(
            Msg::AuditIgnoreExpired,
            &[
                ("rule", rule),
                ("expires", field("expires")?),
                ("reason", field("reason")?),
                ("id", field("id")?),
                ("package", field("package")?),
            ],
        ));
    }
    (!parts.is_empty()).then(|| parts.join(if zh { "。" } else { ". " }))
}

/// A coded note worded by its catalogue entry, list arguments joined as `lang` writes lists.
fn coded_sentence(code: &gonogo_core::evidence::NoteCode, lang: Lang) -> Option<String> {
    let message = crate::common::note_message(&code.code)?;
    let lists: Vec<(&str, String)> = code
        .args
        .iter()
        .map(|(name, value)| {
            let value = if crate::common::NOTE_LIST_ARGS.contains(&name.as_str()) {
                lang.list(&value.split(", ").collect::<Vec<_>>())
            } else {
                value.clone()
            };
            (name.as_str(), value)
        })
        .collect();
    let args: Vec<(&str, &str)> = lists.iter().map(|(n, v)| (*n, v.as_str())).collect();
    Some(lang.format(message, &args))
}

/// A metric's note (a producer's caveat) in `lang`: worded from its code when the catalogue
/// knows it, else as the producer wrote it.
pub(crate) fn metric_note(metric: &gonogo_core::evidence::Metric, lang: Lang) -> Option<String> {
    let note = metric.note.as_ref()?;
    Some(
        metric
            .note_code
            .as_ref()
            .filter(|_| lang != Lang::En)
            .and_then(|code| note_text(code, lang))
            .unwrap_or_else(|| note.clone()),
    )
}

/// What a producer could not do, as its notes say it, in `lang`: each coded note worded in
/// the language, the others as written; `None` when the gate has no such note.
fn incomplete_notes(gate: &GateResult, lang: Lang) -> Option<String> {
    let parts: Vec<String> = gate
        .rules
        .iter()
        .filter_map(|rule| match rule {
            Rule::Incomplete { what } => Some(what.clone()),
            Rule::Note {
                text,
                code,
                incomplete: true,
            } => Some(
                code.as_ref()
                    .and_then(|code| note_text(code, lang))
                    .unwrap_or_else(|| text.clone()),
            ),
            _ => None,
        })
        .collect();
    let separator = if lang == Lang::ZhCn { "；" } else { "; " };
    (!parts.is_empty()).then(|| parts.join(separator))
}

/// The rules applied to a gate, in `lang`; engines' caveats (`Rule::Text`) and notes without
/// a known code stay as written.
pub(crate) fn rules(gate: &GateResult, lang: Lang) -> Vec<String> {
    gate.rules
        .iter()
        .map(|rule| {
            let message = (lang != Lang::En)
                .then(|| crate::common::rule_message(rule.kind()))
                .flatten();
            match (message, rule) {
                (_, Rule::Text(text)) => text.clone(),
                (_, Rule::Note { .. } | Rule::Incomplete { .. }) if lang == Lang::En => {
                    rule.to_string()
                }
                (
                    _,
                    Rule::Note {
                        text,
                        code,
                        incomplete,
                    },
                ) => {
                    let said = code
                        .as_ref()
                        .and_then(|code| note_text(code, lang))
                        .unwrap_or_else(|| text.clone());
                    if *incomplete {
                        lang.format(Msg::NoteIncomplete, &[("what", &said)])
                    } else {
                        said
                    }
                }
                (_, Rule::Incomplete { what }) => {
                    lang.format(Msg::NoteIncomplete, &[("what", what)])
                }
                (Some(message), rule) => {
                    let values = rule.values();
                    let values: Vec<(&str, &str)> =
                        values.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    lang.format(message, &values)
                }
                (None, rule) => rule.to_string(),
            }
        })
        .collect()
}

/// What would settle an inconclusive gate, in `lang`.
pub(crate) fn settle(gate: &GateResult, lang: Lang) -> Option<String> {
    let settle = gate.settle.as_ref()?;
    if lang == Lang::En {
        return Some(settle.to_string());
    }
    Some(match settle {
        Settle::Text(text) => text.clone(),
        Settle::OnThreshold { mean: true } => lang.text(Msg::SettleMeanOnThreshold).to_owned(),
        Settle::OnThreshold { mean: false } => lang.text(Msg::SettleOnThreshold).to_owned(),
        Settle::More {
            more,
            total,
            counted,
        } => {
            let (counted, holds) = match counted {
                Counted::Trials => (Msg::CountedTrials, Msg::HoldsRate),
                Counted::Samples => (Msg::CountedSamples, Msg::HoldsDistribution),
            };
            let more = more.to_string();
            let mut args = vec![
                ("more", more.as_str()),
                ("counted", lang.text(counted)),
                ("holds", lang.text(holds)),
            ];
            let total = total.map(|t| t.to_string());
            match &total {
                Some(total) => {
                    args.push(("total", total.as_str()));
                    lang.format(Msg::SettleMoreTotal, &args)
                }
                None => lang.format(Msg::SettleMore, &args),
            }
        }
    })
}

/// Why a gate ended as it did, in the report's language (see `common::why`).
pub(crate) fn why(gate: &GateResult, lang: Lang) -> String {
    if lang == Lang::En {
        return gate.why.clone();
    }
    let outcome = match (gate.status, gate.reason) {
        (GateStatus::Pass, _) => Msg::WhyOutcomePass,
        (GateStatus::Fail, _) => Msg::WhyOutcomeFail,
        (GateStatus::Inconclusive, Some(Reason::TooFewSamples)) => Msg::WhyOutcomeInconclusive,
        (GateStatus::Missing, Some(Reason::Missing)) => {
            return lang.format(Msg::WhyNoEvidence, &[("metric", &gate.metric)]);
        }
        // The waiver's reason, owner and expiry are shown beside it.
        (GateStatus::Waived, _) => return lang.text(Msg::ReasonWaived).to_owned(),
        (GateStatus::Missing, Some(Reason::Incomplete)) => {
            return match incomplete_notes(gate, lang) {
                Some(what) => lang.format(
                    Msg::WhyIncomplete,
                    &[("what", &what), ("expect", &gate.expect.to_string())],
                ),
                None => gate.why.clone(),
            };
        }
        _ => return gate.why.clone(),
    };
    let Some(measured) = &gate.measured else {
        return gate.why.clone();
    };
    let aggregate = gate.expect.aggregate.to_string();
    let mut value = measured.display_point_beside(gate.threshold);
    if let (Some(k), Some(n), Aggregate::Rate) = (measured.k, measured.n, gate.expect.aggregate) {
        value.push_str(&format!(" ({k}/{n})"));
    }
    let threshold = gate.threshold_display.clone();
    match (measured.display_interval_beside(gate.threshold), measured.n) {
        (Some(interval), Some(n)) => lang.format(
            Msg::WhyMeasured,
            &[
                ("aggregate", &aggregate),
                ("value", &value),
                ("interval", &interval),
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
                    ("aggregate", &aggregate),
                    ("value", &value),
                    ("outcome", lang.text(outcome)),
                    ("threshold", &threshold),
                ],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use gonogo_core::evidence::NoteCode;

    use super::note_text;
    use crate::i18n::Lang;

    /// An audit's note on ignored vulnerabilities (`audit.ignored`, gonogo_ingest::audit):
    /// worded from its numbered arguments, the English is the producer's own sentence (as
    /// `AuditSummary::note` writes it) and the Chinese has no English connective left.
    #[test]
    fn the_audit_s_ignored_list_is_worded_from_its_items() {
        let code = NoteCode::new("audit.ignored")
            .arg("ignored.1.id", "RUSTSEC-2024-0001")
            .arg("ignored.1.package", "examplecrate")
            .arg("ignored.1.reason", "not reachable")
            .arg("ignored.1.owner", "bob")
            .arg("ignored.1.until", "2026-12-31")
            .arg("ignored.2.id", "GHSA-xxxx")
            .arg("ignored.2.package", "left-pad")
            .arg("ignored.2.reason", "dev only")
            .arg("expired.1.rule", "RUSTSEC-2023-0071")
            .arg("expired.1.expires", "2026-11-24")
            .arg("expired.1.reason", "no fix yet")
            .arg("expired.1.id", "RUSTSEC-2023-0071")
            .arg("expired.1.package", "rsa");
        assert_eq!(
            note_text(&code, Lang::En).unwrap(),
            "2 ignored by the policy: RUSTSEC-2024-0001 in examplecrate (not reachable; \
             owner bob, until 2026-12-31); GHSA-xxxx in left-pad (dev only). the ignore rule \
             for RUSTSEC-2023-0071 expired after 2026-11-24 (reason was: no fix yet); \
             RUSTSEC-2023-0071 in rsa is counted"
        );
        let zh = note_text(&code, Lang::ZhCn).unwrap();
        assert_eq!(
            zh,
            "2 项被策略忽略：examplecrate 中的 RUSTSEC-2024-0001（not reachable；负责人 bob，\
             有效至 2026-12-31）；left-pad 中的 GHSA-xxxx（dev only）。RUSTSEC-2023-0071 的忽略\
             规则已于 2026-11-24 后失效（原因：no fix yet）；rsa 中的 RUSTSEC-2023-0071 计入统计"
        );
        // Arguments that are not a whole item: the report shows the producer's sentence.
        let broken = NoteCode::new("audit.ignored").arg("ignored.1.id", "X");
        assert_eq!(note_text(&broken, Lang::ZhCn), None);
    }

    /// A sentence of one segment of a distributed test (`segment I/N: ...`, core's
    /// `segments::combine`) keeps its segment in every language.
    #[test]
    fn a_segment_s_coded_sentence_is_prefixed_with_its_segment() {
        let code = NoteCode::new("harden.checks_errored")
            .arg("count", 1)
            .arg("total", 3)
            .arg("checks", "hsts")
            .arg("segment", "2/4");
        assert_eq!(
            note_text(&code, Lang::En).unwrap(),
            "segment 2/4: 1 of 3 checks did not run because of errors: hsts"
        );
        let zh = note_text(&code, Lang::ZhCn).unwrap();
        assert!(zh.starts_with("分段 2/4："), "{zh}");
        assert!(!zh.contains("checks did not run"), "{zh}");
    }
}
