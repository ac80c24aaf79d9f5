//! What every renderer shares besides the words of the typed verdict (`words`): the evidence
//! map the charts read, area titles, percentages, times, the commit line, the catalogue key of
//! each rule kind, and `--compare` in words.

use std::collections::BTreeMap;

use gonogo_core::evidence::Evidence;

use crate::i18n::{Lang, Msg};

/// The evidence records a verdict cites, by their SHA-256 (lower-case hex). Renderers look up
/// the records the verdict names here; a record that is absent only loses its chart. It
/// borrows the records, never copies them: an evidence folder's records are held once
/// (`evidence_dir::Budget` in the CLI counts on it).
pub type EvidenceMap<'e> = BTreeMap<String, &'e Evidence>;

/// The map of `records`, by SHA-256 (borrowed, not copied).
pub fn evidence_map(records: &[Evidence]) -> EvidenceMap<'_> {
    records.iter().map(|r| (r.sha256.clone(), r)).collect()
}

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
        "other_commit" => Msg::RuleOtherCommit,
        "not_named" => Msg::RuleNotNamed,
        "from_the_future" => Msg::RuleFromTheFuture,
        "duplicates" => Msg::RuleDuplicates,
        "superseded" => Msg::RuleSuperseded,
        "combined" => Msg::RuleCombined,
        "union" => Msg::RuleUnion,
        "segments_as_one" => Msg::RuleSegmentsAsOne,
        "clock_spread" => Msg::RuleClockSpread,
        "relative_threshold" => Msg::RuleRelativeThreshold,
        _ => return None,
    })
}

/// The catalogue's message for a producer's note code (`gonogo_core::evidence::NoteCode`);
/// `None` for a code this version does not know (the producer's sentence is shown).
pub(crate) fn note_message(code: &str) -> Option<crate::i18n::Msg> {
    crate::i18n::Msg::ALL.iter().copied().find(|m| {
        m.id().strip_prefix("note.") == Some(code) && *m != crate::i18n::Msg::NoteIncomplete
    })
}

/// The note codes the catalogue words: every `note.*` message but `note.incomplete` (a
/// report's own wording of an uncoded sentence).
#[cfg(test)]
pub(crate) fn note_codes() -> impl Iterator<Item = &'static str> {
    crate::i18n::Msg::ALL
        .iter()
        .filter(|m| **m != crate::i18n::Msg::NoteIncomplete)
        .filter_map(|m| m.id().strip_prefix("note."))
}

/// Arguments of a note code that are lists the producer joined with ", " (check ids, release
/// tags, DORA's failure markers): a report joins them again as its language writes a list.
pub(crate) const NOTE_LIST_ARGS: &[&str] = &["checks", "releases", "markers"];

#[cfg(test)]
mod tests {
    use gonogo_core::verdict::Rule;

    use crate::i18n::Lang;
    use crate::json::RuleV1;

    /// Every note code the producers write is in the catalogue, and its English, filled with
    /// the producer's arguments, is the producer's own sentence (so English reports read the
    /// same from the code as from the text); its Chinese fills every placeholder.
    #[test]
    fn every_note_code_words_the_producer_s_sentence() {
        /// A code, the producer's arguments and the sentence it writes with them.
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (
                "harden.checks_not_run",
                &[("count", "2"), ("checks", "hsts, cors")],
                "2 check(s) did not run (error or skipped): hsts, cors",
            ),
            (
                "harden.checks_errored",
                &[("count", "1"), ("total", "3"), ("checks", "hsts")],
                "1 of 3 checks did not run because of errors: hsts",
            ),
            (
                "harden.regraded",
                &[("reason", "the CDN adds it")],
                "re-graded by the policy: the CDN adds it",
            ),
            (
                "dora.releases_not_read",
                &[("count", "12")],
                "the oldest 12 releases were not read",
            ),
            (
                "dora.history_cut",
                &[("max", "20000")],
                "history cut at 20000 commits for remedies and the window start",
            ),
            (
                "dora.lead_times_cut",
                &[("max", "20000")],
                "lead times cut at 20000 commits",
            ),
            (
                "dora.not_restored",
                &[("releases", "v1.1.0, v1.2.0")],
                "failed releases not restored by a later release yet: v1.1.0, v1.2.0",
            ),
            (
                "loadlog.no_time_span",
                &[("scenario", "checkout")],
                "scenario `checkout`: the results carry no time span, so no throughput",
            ),
            (
                "ci.no_attempt_number",
                &[("workflow", "ci")],
                "re-runs of ci: the export has no attempt number, so flaky runs are not counted apart",
            ),
            (
                "ci.workflows_not_counted",
                &[("runs", "7"), ("max", "50")],
                "7 runs of workflows beyond the first 50 were not counted",
            ),
            (
                "audit.dependencies_skipped",
                &[("tool", "pip-audit"), ("skipped", "2"), ("total", "40")],
                "pip-audit skipped 2 of 40 dependencies",
            ),
            (
                "audit.no_packages",
                &[("tool", "osv-scanner")],
                "the osv-scanner report lists no package, so it cannot show what was scanned",
            ),
            (
                "load.closed_model",
                &[],
                "closed model: latency is timed from the actual send, so a stalled server also stalls the generator and the stall is under-counted (coordinated omission); use --rate for an open model",
            ),
            (
                "load.leaks",
                &[],
                "error bodies that showed a stack trace, a database error or a version",
            ),
            (
                "k6.trend_estimate",
                &[],
                "k6 exports no histogram: sample count unknown; collect k6's `--out json` for an interval",
            ),
            (
                "probe.recovery",
                &[("probe", "checkout"), ("count", "3")],
                "probe checkout: 3 attempts in a row succeeded from then on",
            ),
            (
                "probe.detection",
                &[("probe", "checkout"), ("count", "3")],
                "probe checkout: 3 attempts in a row failed from then on",
            ),
            (
                "probe.latency",
                &[],
                "attempts that got an answer; latency from each attempt's scheduled start",
            ),
            (
                "prometheus.increase",
                &[],
                "from increase() of two counters: Prometheus extrapolates to the window's edges, so k and n are approximate (k rounded up, n down)",
            ),
            (
                "prometheus.buckets",
                &[],
                "from a Prometheus histogram's buckets: every observation is counted at its bucket's upper bound (le), so a percentile's upper end is conservative; put a bucket boundary at the gate's threshold, or a fail may only mean the percentile's bucket reaches past it",
            ),
            (
                "locust.request_count",
                &[],
                "Locust's Request Count: failed requests included",
            ),
            (
                "locust.csv_estimate",
                &[],
                "Locust's --csv holds no per-request samples: an estimate from its bucketed response times; collect per-request samples with its request event hook (docs/load-results.md)",
            ),
            (
                "locust.own_rate",
                &[],
                "Locust's own requests per second, to the second: an estimate",
            ),
            (
                "loadlog.per_request",
                &[("producer", "JMeter")],
                "from JMeter's per-request results, read by gonogo",
            ),
            (
                "dora.deploys_per_week",
                &[("rule", "v*"), ("weeks", "12"), ("total", "30")],
                "deployment frequency: releases (v*) per week, one sample per week of the 12 whole weeks ending now (30 releases)",
            ),
            (
                "dora.lead_time",
                &[("count", "84")],
                "lead time for changes: each non-merge commit a release ships that the previous release did not, commit time to release time (84 commits)",
            ),
            (
                "dora.change_failure",
                &[("window", "7d"), ("markers", "revert, hotfix, rollback")],
                "change failure rate: releases followed within 7d by a commit whose subject says revert, hotfix, rollback (counted for the newest release before it that it descends from), of releases older than 7d",
            ),
            (
                "dora.time_to_restore",
                &[("restored", "2"), ("unrestored", "1")],
                "time to restore: failed release to the first later release that ships its remedy (2 restored, 1 not yet)",
            ),
            (
                "git.rollback_tag",
                &[("tag", "v1.2.0")],
                "a previous release tag (v1.2.0) exists: that is all this knows; whether deploying it works is known only from a rollback drill (gonogo run --rollback-drill, delivery.rollback.drill)",
            ),
            (
                "git.no_rollback_tag",
                &[],
                "no previous release tag: nothing to roll back to",
            ),
            (
                "command.timed_out",
                &[("exit", "124"), ("log", ".gonogo/logs/test.log")],
                "killed at its timeout (exit 124); its output is in .gonogo/logs/test.log",
            ),
            (
                "command.not_found",
                &[("log", ".gonogo/logs/test.log")],
                "exit 127: the command was not found; its output is in .gonogo/logs/test.log",
            ),
            (
                "command.exit",
                &[("code", "2"), ("log", ".gonogo/logs/test.log")],
                "exit 2; its output is in .gonogo/logs/test.log",
            ),
            (
                "command.signal",
                &[("log", ".gonogo/logs/test.log")],
                "killed by a signal; its output is in .gonogo/logs/test.log",
            ),
            (
                "ci.success",
                &[("not_counted", "4"), ("reruns", "3")],
                "CI success: runs that succeeded at their first attempt, of runs that ended in success or failure (4 cancelled, skipped or unfinished not counted; 3 passed only on a re-run)",
            ),
            (
                "ci.success_reruns_unknown",
                &[],
                "re-runs unknown (the export has no attempt number): a run that passed only when re-run counts as a success",
            ),
            (
                "ci.no_duration",
                &[("missing", "2"), ("total", "90")],
                "2 of 90 runs have no start or end time and are not in the distribution",
            ),
            (
                "rollback.drill",
                &[],
                "rollback drill: the rollback target was deployed, answered healthy within the limit, and the candidate was rolled forward (gonogo run --rollback-drill)",
            ),
            (
                "record.typed_by_hand",
                &[("source", "the on-call's dashboard")],
                "typed by hand: the on-call's dashboard",
            ),
        ];
        for (code, args, sentence) in cases {
            let message = super::note_message(code).unwrap_or_else(|| panic!("{code}"));
            assert_eq!(Lang::En.format(message, args), *sentence, "{code}");
            let zh = Lang::ZhCn.format(message, args);
            assert!(!zh.contains('{'), "{code}: {zh}");
        }
        // Every code the catalogue words has its case above, with the producer's sentence.
        let tested: std::collections::BTreeSet<&str> = cases.iter().map(|(c, _, _)| *c).collect();
        let catalogued: std::collections::BTreeSet<&str> = super::note_codes().collect();
        assert_eq!(catalogued, tested);
        assert_eq!(super::note_message("no.such_code"), None);
        assert_eq!(super::note_message("incomplete"), None);
    }

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
            Rule::OtherCommit {
                records: 1,
                commit: "3f2a9c1".into(),
            },
            Rule::NotNamed {
                records: 2,
                sources: "file a.xml".into(),
            },
            Rule::FromTheFuture { records: 1 },
            Rule::Duplicates { records: 3 },
            Rule::Superseded {
                records: 2,
                sources: "url http://127.0.0.1/".into(),
            },
            Rule::Combined {
                records: 2,
                how: "sum".into(),
            },
            Rule::Union {
                records: 2,
                parts: 5,
                k: 40,
                n: 50,
            },
            Rule::SegmentsAsOne {
                test: "t-7".into(),
                segments: 4,
            },
            Rule::ClockSpread {
                test: "t-7".into(),
                seconds: "2.3".into(),
                limit: "1.5".into(),
            },
            Rule::RelativeThreshold {
                aggregate: "p(95)".into(),
                baseline: "120 ms".into(),
                sign: "+".into(),
                percent: "10".into(),
                source: " (verdict.json, sha256 0123456789ab)".into(),
            },
        ];
        // For the rules that were English text before they were typed, the catalogue's
        // English is the core's own sentence, so English reports read as before.
        for rule in rules.iter().filter(|rule| {
            matches!(
                rule,
                Rule::SegmentsAsOne { .. }
                    | Rule::ClockSpread { .. }
                    | Rule::RelativeThreshold { .. }
            )
        }) {
            let detail = RuleV1::from_core(rule);
            let values: Vec<(&str, &str)> = detail
                .values
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .collect();
            let message = super::rule_message(&detail.kind).expect("a message");
            assert_eq!(
                Lang::En.format(message, &values),
                rule.to_string(),
                "{}",
                detail.kind
            );
        }
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
