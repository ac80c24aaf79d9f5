//! JUnit XML: every gate a test case, so any CI shows gonogo's gates natively.
//!
//! ```xml
//! <testsuites name="gonogo" tests="8" failures="3" errors="0" skipped="0" timestamp="…">
//!   <testsuite name="reliability" tests="2" failures="1" errors="0" skipped="0" timestamp="…">
//!     <testcase name="readiness availability" classname="reliability" time="0">
//!       <failure type="breached" message="fail: measured 84.62 % (11 of 13), threshold >= 99.9 %">…</failure>
//!     </testcase>
//!   </testsuite>
//! </testsuites>
//! ```
//!
//! - one `testsuite` per area (areas without gates are left out: JUnit has no "grey"), and
//!   `classname` is the area's name;
//! - a failed, inconclusive or missing gate is a `failure` whose `type` is the reason code and
//!   whose `message` holds the status, the measured value and the threshold; its body holds the
//!   explanation, what would settle it, the rules, the hardening findings or lint problems
//!   behind its count (the first [`crate::findings::MAX_LISTED_PER_GATE`], then how many more,
//!   as the Markdown) and the evidence citations;
//! - a waived gate is `skipped` with the waiver's reason; a pass has only `properties` and
//!   `system-out` (the explanation and citations, which failures carry in their body);
//! - a warn-severity gate that is not a pass is `skipped` with "warning, not blocking: …": it
//!   does not stop the release, and a CI reporter must not turn red for it (JUnit has no
//!   warning state; skipped is the one reporters show as neither red nor green). Its
//!   `gonogo.severity` and `gonogo.status` properties say exactly what it was.
//!
//! Text is escaped by quick-xml's writer; characters XML 1.0 cannot hold (most control
//! characters) become U+FFFD, so the file always parses.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use gonogo_core::policy::GateSeverity;
use gonogo_core::verdict::{GateResult, GateStatus, Verdict};

use crate::RenderContext;
use crate::i18n::Msg;
use crate::words;

/// The JUnit XML of a verdict.
pub fn render(verdict: &Verdict, cx: &RenderContext<'_>) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write(&mut writer, verdict, cx).expect("writing into a Vec cannot fail");
    let mut text = String::from_utf8(writer.into_inner()).expect("the writer writes UTF-8");
    text.push('\n');
    text
}

fn counts<'a>(gates: impl Iterator<Item = &'a GateResult>) -> (usize, usize, usize) {
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for gate in gates {
        tests += 1;
        match gate.status {
            GateStatus::Pass => {}
            GateStatus::Waived => skipped += 1,
            _ if is_warning(gate) => skipped += 1,
            _ => failures += 1,
        }
    }
    (tests, failures, skipped)
}

/// A warn-severity gate that did not pass: shown, never a failure.
fn is_warning(gate: &GateResult) -> bool {
    gate.severity == GateSeverity::Warn
        && !matches!(gate.status, GateStatus::Pass | GateStatus::Waived)
}

fn write(
    writer: &mut Writer<Vec<u8>>,
    verdict: &Verdict,
    cx: &RenderContext<'_>,
) -> std::io::Result<()> {
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let (tests, failures, skipped) = counts(verdict.gates.iter());
    let mut suite_name = match &verdict.policy_name {
        Some(name) => format!("gonogo {} · {}", verdict.decision, clean(name)),
        None => format!("gonogo {}", verdict.decision),
    };
    // Every report carries the commit it judged.
    if let Some(line) = verdict.context.as_ref().and_then(words::commit_line) {
        suite_name.push_str(&format!(" · {}", clean(&line)));
    }
    let evaluated_at = verdict.evaluated_at.to_string();
    writer
        .create_element("testsuites")
        .with_attribute(("name", suite_name.as_str()))
        .with_attribute(("tests", tests.to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", skipped.to_string().as_str()))
        .with_attribute(("timestamp", evaluated_at.as_str()))
        .write_inner_content(|writer| {
            let mut areas: Vec<&str> = verdict.areas.iter().map(|a| a.name.as_str()).collect();
            // Gates of an area the list does not name still get a suite.
            for gate in &verdict.gates {
                if !areas.contains(&gate.area.as_str()) {
                    areas.push(&gate.area);
                }
            }
            for area in areas {
                let gates: Vec<&GateResult> =
                    verdict.gates.iter().filter(|g| g.area == area).collect();
                if gates.is_empty() {
                    continue;
                }
                write_suite(writer, verdict, cx, area, &gates)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_suite(
    writer: &mut Writer<Vec<u8>>,
    verdict: &Verdict,
    cx: &RenderContext<'_>,
    area: &str,
    gates: &[&GateResult],
) -> std::io::Result<()> {
    let (tests, failures, skipped) = counts(gates.iter().copied());
    writer
        .create_element("testsuite")
        .with_attribute(("name", clean(area).as_str()))
        .with_attribute(("tests", tests.to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", skipped.to_string().as_str()))
        .with_attribute(("timestamp", verdict.evaluated_at.to_string().as_str()))
        .with_attribute(("time", "0"))
        .write_inner_content(|writer| {
            for gate in gates {
                write_case(writer, verdict, cx, gate)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_case(
    writer: &mut Writer<Vec<u8>>,
    verdict: &Verdict,
    cx: &RenderContext<'_>,
    gate: &GateResult,
) -> std::io::Result<()> {
    let lang = cx.lang;
    let mut body = Vec::new();
    body.push(format!("{} [{}]", gate.expect, gate.metric));
    if let Some(reason) = gate.reason {
        body.push(lang.labelled(Msg::LabelReason, words::reason(lang, reason)));
    }
    body.push(lang.labelled(Msg::LabelWhy, &words::why(gate, lang)));
    if let Some(settle) = &words::settle(gate, lang) {
        body.push(lang.labelled(Msg::LabelSettle, settle));
    }
    for (label, rule) in &words::rule_lines(gate, lang) {
        body.push(lang.labelled(*label, rule));
    }
    if let Some(waiver) = words::waiver(lang, gate) {
        body.push(waiver);
    }
    // The hardening findings and lint problems the count is made of, capped as in the
    // Markdown. XML escaping is the writer's; control characters go through `clean`.
    let (rows, more) =
        crate::findings::lines(&crate::findings::for_gate(verdict, gate, cx.evidence));
    body.extend(rows.into_iter().map(|row| format!("- {row}")));
    if more > 0 {
        body.push(format!(
            "- {}",
            lang.format(Msg::MoreInEvidence, &[("count", &more.to_string())])
        ));
    }
    for evidence in words::cited(verdict, gate) {
        body.push(lang.labelled(Msg::ColumnEvidence, &words::citation(lang, evidence)));
    }
    let body = clean(&body.join("\n"));

    writer
        .create_element("testcase")
        .with_attribute(("name", clean(&gate.name).as_str()))
        .with_attribute(("classname", clean(&gate.area).as_str()))
        .with_attribute(("time", "0"))
        .write_inner_content(|writer| {
            writer
                .create_element("properties")
                .write_inner_content(|writer| {
                    for (name, value) in [
                        ("gonogo.metric", gate.metric.as_str()),
                        ("gonogo.severity", gate.severity.as_str()),
                        ("gonogo.status", gate.status.as_str()),
                    ] {
                        writer
                            .create_element("property")
                            .with_attribute(("name", name))
                            .with_attribute(("value", clean(value).as_str()))
                            .write_empty()?;
                    }
                    Ok(())
                })?;
            // "fail: measured 84.62 % (11 of 13), threshold >= 99.9 %", under `key`.
            let outcome = |key: Msg| {
                lang.format(
                    key,
                    &[
                        ("status", words::status(lang, gate.status)),
                        ("measured", &words::measured(lang, gate)),
                        ("threshold", &words::threshold(lang, gate)),
                    ],
                )
            };
            let skipped = match gate.status {
                GateStatus::Pass => None,
                GateStatus::Waived => Some(match &gate.waiver {
                    Some(waiver) => lang.format(
                        Msg::JunitSkipped,
                        &[
                            ("reason", &waiver.reason),
                            ("owner", &waiver.owner),
                            ("expires", &waiver.expires.to_string()),
                        ],
                    ),
                    None => words::status(lang, GateStatus::Waived).to_owned(),
                }),
                _ if is_warning(gate) => Some(outcome(Msg::JunitWarning)),
                status => {
                    let message = outcome(Msg::JunitFailure);
                    let kind = gate.reason.map_or(status.as_str(), |r| r.as_str());
                    return writer
                        .create_element("failure")
                        .with_attribute(("type", kind))
                        .with_attribute(("message", one_line(&message).as_str()))
                        .write_text_content(BytesText::new(&body))
                        .map(|_| ());
                }
            };
            if let Some(message) = skipped {
                writer
                    .create_element("skipped")
                    .with_attribute(("message", one_line(&message).as_str()))
                    .write_empty()?;
            }
            writer
                .create_element("system-out")
                .write_text_content(BytesText::new(&body))?;
            Ok(())
        })?;
    Ok(())
}

/// Replaces characters XML 1.0 cannot carry by U+FFFD.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            _ => c,
        })
        .collect()
}

/// Attribute values are normalised by XML parsers (newlines become spaces), so write them so.
fn one_line(text: &str) -> String {
    clean(text).replace(['\n', '\r', '\t'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_replacement_characters() {
        assert_eq!(clean("a\u{1}b\tc"), "a\u{fffd}b\tc");
        assert_eq!(one_line("a\nb"), "a b");
    }
}
