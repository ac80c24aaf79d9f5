//! Markdown for a pull-request comment or a GitHub step summary.
//!
//! The order is what a reviewer needs first: the decision, a table of areas, the ranked
//! blockers (measured value, interval, n, threshold, why, what would settle it, evidence), the
//! warnings, then every gate per area in a collapsed `<details>` section, each citing its
//! evidence (source, SHA-256 prefix, time).
//!
//! [`render`] is pure: verdict in, text out. [`annotations`] builds the GitHub Actions
//! `::error`/`::warning` workflow commands for blockers and warnings; the [`crate::cli`] module
//! decides whether to print them and appends the Markdown to `GITHUB_STEP_SUMMARY`.
//!
//! Text from evidence and policy (gate names, sources, explanations) is escaped, so a name such
//! as `<script>` or `a|b` shows as written and cannot break the table or inject HTML:
//!
//! - it first goes through [`gonogo_core::text::inert`] (the Markdown is also printed on a
//!   console and in CI logs), so control characters and terminal escapes show as `\x1b`;
//! - line breaks become spaces everywhere, so a blank line in an area title or a gate name
//!   cannot end the `<summary>` HTML block or a table row and start live Markdown;
//! - in Markdown text, ASCII punctuation that Markdown acts on is backslash-escaped and `<`,
//!   `>`, `&` become entities; in HTML contexts (`<summary>`) `<`, `>`, `&` and quotes become
//!   entities; in code spans backticks and pipes become look-alikes;
//! - an `@` that could start a mention (at the start or after a non-word character) is
//!   followed by a zero-width space (U+200B), so `@org/team` in a test name shows as written
//!   but mentions (and notifies) nobody; `team@example.com` is left alone.
//!
//! The untrusted parts of [`Annotation`]s (title, message, file) go through
//! [`gonogo_core::text::inert`] before the workflow-command escaping, so a SARIF message or a
//! test name cannot start `::add-mask::` or an escape sequence in the CI log.

use std::fmt::Write as _;

use gonogo_core::text::inert;

use gonogo_core::policy::GateSeverity;
use gonogo_core::verdict::{Decision, GateResult, GateStatus, Verdict};

use crate::RenderContext;
use crate::common::{EvidenceMap, area_title, percent};
use crate::i18n::{Lang, Msg};
use crate::words;

/// Gate rows listed in the per-area tables at most; the rest are counted (they are in the
/// HTML report and verdict.json). Blockers and warnings are always listed in full.
pub const MAX_GATE_ROWS: usize = 250;

/// The Markdown report of a verdict, with the failing tests and findings (file and line) the
/// blockers' and warnings' cited evidence lists (from the context's evidence), at most
/// [`MAX_LOCATIONS_PER_GATE`] per gate.
pub fn render(verdict: &Verdict, cx: &RenderContext<'_>) -> String {
    let (evidence, lang) = (cx.evidence, cx.lang);
    let mut out = String::new();
    let go = verdict.decision == Decision::Go;
    let headline = if go {
        lang.text(Msg::HeadlineGo).to_owned()
    } else {
        lang.format(
            Msg::HeadlineNoGo,
            &[("count", &verdict.blockers.len().to_string())],
        )
    };
    let icon = if go { "✅" } else { "⛔" };
    let _ = writeln!(out, "## {icon} {}\n", escape(&headline));

    let mut context = Vec::new();
    if let Some(name) = &verdict.policy_name {
        context.push(lang.labelled(Msg::LabelPolicy, &format!("**{}**", escape(name))));
    }
    if let Some(env) = &verdict.env {
        context.push(lang.labelled(Msg::LabelEnvironment, &format!("**{}**", escape(env))));
    }
    context.push(lang.labelled(
        Msg::LabelEvaluatedAt,
        &escape(&words::to_the_second(verdict.evaluated_at).to_string()),
    ));
    if let Some(judged) = &verdict.context {
        if let Some(line) = words::commit_line(judged) {
            context.push(lang.labelled(Msg::LabelCommit, &code(&line)));
        }
        if let Some(url) = &judged.ci_run_url {
            context.push(lang.labelled(Msg::LabelCiRun, &escape(url)));
        }
    }
    context.push(lang.labelled(Msg::LabelConfidence, &percent(verdict.confidence)));
    if let Some(baseline) = &verdict.baseline {
        context.push(lang.labelled(
            Msg::LabelBaseline,
            &format!(
                "{} (`{}`)",
                escape(&baseline.source),
                code(crate::common::sha_prefix(&baseline.sha256))
            ),
        ));
    }
    let _ = writeln!(out, "{}  ", context.join(" · "));
    let _ = writeln!(out, "{}\n", escape(&words::counts(lang, verdict)));
    if let Some(note) = words::unassessed(lang, verdict) {
        let _ = writeln!(out, "> ⚪ {}\n", escape(&note));
    }

    if let Some(comparison) = cx.comparison {
        comparison_section(&mut out, comparison, lang);
    }
    if let Some(unearned) = &verdict.unearned {
        let _ = writeln!(out, "> ⛔ **{}**\n", escape(&unearned.to_string()));
    }
    if !verdict.missing_kinds.is_empty() {
        let _ = writeln!(
            out,
            "> ⚠️ **{}**\n",
            escape(&lang.format(
                Msg::MissingKinds,
                &[("kinds", &lang.list(&verdict.missing_kinds))]
            ))
        );
    }

    // Every waiver in force or expired, so none is forgotten in a PR comment.
    let waivers = words::waiver_list(lang, verdict);
    if !waivers.is_empty() {
        let _ = writeln!(out, "### {}\n", lang.text(Msg::SectionWaivers));
        // A pull-request comment has a size limit: the first ones, then a count.
        for (gate, sentence) in waivers.iter().take(MAX_WAIVERS_LISTED) {
            let _ = writeln!(out, "- **{}**: {}", escape(gate), escape(sentence));
        }
        if waivers.len() > MAX_WAIVERS_LISTED {
            let _ = writeln!(
                out,
                "- {}",
                escape(&lang.format(
                    Msg::MoreWaivers,
                    &[("count", &(waivers.len() - MAX_WAIVERS_LISTED).to_string())]
                ))
            );
        }
        out.push('\n');
    }

    // Areas.
    let _ = writeln!(out, "### {}\n", lang.text(Msg::SectionAreas));
    let _ = writeln!(
        out,
        "| {} | {} | {} |\n|---|---|---:|",
        lang.text(Msg::ColumnArea),
        lang.text(Msg::ColumnStatus),
        lang.text(Msg::ColumnGates)
    );
    for area in &verdict.areas {
        let _ = writeln!(
            out,
            "| {} | {} {} | {} |",
            cell(&area_title(lang, &area.name, &area.title)),
            area_icon(area.status.as_str()),
            cell(words::area_status(lang, area.status)),
            area.gates.len()
        );
    }
    out.push('\n');

    ranked(
        &mut out,
        verdict,
        evidence,
        lang,
        &verdict.blockers,
        Msg::SectionBlockers,
        Msg::NoBlockers,
    );
    if !verdict.warnings.is_empty() {
        ranked(
            &mut out,
            verdict,
            evidence,
            lang,
            &verdict.warnings,
            Msg::SectionWarnings,
            Msg::NoWarnings,
        );
    }

    // Gates per area. A pull-request comment holds at most 65,536 characters, so a big
    // verdict lists its non-passing gates first and leaves the rest to the HTML report.
    let mut rows_left = (verdict.gates.len() > MAX_GATE_ROWS).then_some(MAX_GATE_ROWS);
    let _ = writeln!(out, "### {}\n", lang.text(Msg::SectionGates));
    for area in &verdict.areas {
        let mut gates: Vec<&GateResult> = verdict
            .gates
            .iter()
            .filter(|g| g.area == area.name)
            .collect();
        let n_gates = gates.len();
        if let Some(left) = rows_left.as_mut() {
            gates.sort_by_key(|g| g.status == GateStatus::Pass);
            gates.truncate(*left);
            *left -= gates.len();
        }
        let title = area_title(lang, &area.name, &area.title);
        let _ = writeln!(
            out,
            "<details><summary>{} <b>{}</b> · {} · {}</summary>\n",
            area_icon(area.status.as_str()),
            html(&title),
            html(words::area_status(lang, area.status)),
            html(&lang.format(Msg::AreaGateCount, &[("count", &gates.len().to_string())]))
        );
        if n_gates == 0 {
            let _ = writeln!(out, "{}\n", lang.text(Msg::AreaNoGates));
        } else if !gates.is_empty() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |\n|---|---|---|---|---|---:|---|",
                lang.text(Msg::ColumnGate),
                lang.text(Msg::ColumnStatus),
                lang.text(Msg::ColumnExpect),
                lang.text(Msg::ColumnMeasured),
                lang.format(
                    Msg::ColumnInterval,
                    &[("confidence", &percent(verdict.confidence))]
                ),
                lang.text(Msg::ColumnN),
                lang.text(Msg::ColumnEvidence),
            );
            for &gate in &gates {
                let evidence: Vec<String> = words::cited(verdict, gate)
                    .map(|e| cell(&words::citation(lang, e)))
                    .collect();
                let mut name = format!("**{}**", cell(&gate.name));
                if gate.severity == GateSeverity::Warn {
                    name.push_str(&format!(
                        " ({})",
                        cell(words::severity(lang, GateSeverity::Warn))
                    ));
                }
                let _ = writeln!(
                    out,
                    "| {} | {} {} | `{}` | {} | {} | {} | {} |",
                    name,
                    status_icon(gate.status.as_str()),
                    cell(words::status(lang, gate.status)),
                    code(&gate.expect.to_string()),
                    cell(&words::measured(lang, gate)),
                    cell(&words::interval(lang, gate)),
                    cell(&words::n(lang, gate)),
                    if evidence.is_empty() {
                        cell(lang.text(Msg::EvidenceNone))
                    } else {
                        evidence.join("<br>")
                    }
                );
            }
            out.push('\n');
        }
        if gates.len() < n_gates {
            let _ = writeln!(
                out,
                "{}\n",
                escape(&lang.format(
                    Msg::GatesNotListed,
                    &[("count", &(n_gates - gates.len()).to_string())]
                ))
            );
        }
        let _ = writeln!(out, "</details>\n");
    }

    let _ = writeln!(
        out,
        "<sub>{}</sub>",
        html(&lang.format(
            Msg::MarkdownFooter,
            &[("version", &crate::json::VERDICT_VERSION.to_string())]
        ))
    );
    out
}

#[allow(clippy::too_many_arguments)]
fn ranked(
    out: &mut String,
    verdict: &Verdict,
    evidence: &EvidenceMap,
    lang: Lang,
    indices: &[usize],
    title: Msg,
    empty: Msg,
) {
    let _ = writeln!(out, "### {}\n", lang.text(title));
    let gates: Vec<&GateResult> = indices
        .iter()
        .filter_map(|&i| verdict.gates.get(i))
        .collect();
    if gates.is_empty() {
        let _ = writeln!(out, "{}\n", lang.text(empty));
        return;
    }
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n|---:|---|---|---|---|---|---:|---|",
        lang.text(Msg::ColumnRank),
        lang.text(Msg::ColumnGate),
        lang.text(Msg::ColumnArea),
        lang.text(Msg::ColumnStatus),
        lang.text(Msg::ColumnMeasured),
        lang.format(
            Msg::ColumnInterval,
            &[("confidence", &percent(verdict.confidence))]
        ),
        lang.text(Msg::ColumnN),
        lang.text(Msg::ColumnThreshold),
    );
    for (rank, gate) in gates.iter().enumerate() {
        let _ = writeln!(
            out,
            "| {} | **{}** | {} | {} {} | {} | {} | {} | {} |",
            rank + 1,
            cell(&gate.name),
            cell(&words::area_title_of(lang, verdict, &gate.area)),
            status_icon(gate.status.as_str()),
            cell(words::status(lang, gate.status)),
            cell(&words::measured(lang, gate)),
            cell(&words::interval(lang, gate)),
            cell(&words::n(lang, gate)),
            cell(&words::threshold(lang, gate)),
        );
    }
    out.push('\n');
    for (rank, gate) in gates.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. **{}** · `{}`",
            rank + 1,
            escape(&gate.name),
            code(&gate.expect.to_string())
        );
        if let Some(reason) = gate.reason.map(|r| words::reason(lang, r)) {
            let _ = writeln!(
                out,
                "   - {}",
                lang.labelled(Msg::LabelReason, &escape(reason))
            );
        }
        let _ = writeln!(
            out,
            "   - {}",
            lang.labelled(Msg::LabelWhy, &escape(&words::why(gate, lang)))
        );
        if let Some(settle) = &words::settle(gate, lang) {
            let _ = writeln!(
                out,
                "   - {}",
                lang.labelled(Msg::LabelSettle, &escape(settle))
            );
        }
        for (label, rule) in &words::rule_lines(gate, lang) {
            let _ = writeln!(out, "   - {}", lang.labelled(*label, &escape(rule)));
        }
        if let Some(waiver) = words::waiver(lang, gate) {
            let _ = writeln!(out, "   - {}", escape(&waiver));
        }
        let mut any = false;
        for evidence in words::cited(verdict, gate) {
            any = true;
            let _ = writeln!(
                out,
                "   - {}",
                lang.labelled(
                    Msg::ColumnEvidence,
                    &escape(&words::citation(lang, evidence))
                )
            );
        }
        if !any {
            let _ = writeln!(
                out,
                "   - {}",
                lang.labelled(Msg::ColumnEvidence, lang.text(Msg::EvidenceNone))
            );
        }
        // The failing tests and findings behind it, with file and line.
        let mut located = Vec::new();
        for cited_record in words::cited(verdict, gate) {
            if let Some(record) = evidence.get(&cited_record.sha256) {
                locations(&record.details, gate, lang, &mut located);
            }
        }
        let total = located.len();
        for (file, line, message) in located.into_iter().take(MAX_LOCATIONS_PER_GATE) {
            let at = line.map_or_else(|| file.clone(), |l| format!("{file}:{l}"));
            let _ = writeln!(out, "   - `{}` {}", code(&at), escape(&message));
        }
        if total > MAX_LOCATIONS_PER_GATE {
            let _ = writeln!(
                out,
                "   - {}",
                escape(&lang.format(
                    Msg::MoreLocations,
                    &[("count", &(total - MAX_LOCATIONS_PER_GATE).to_string())]
                ))
            );
        }
        // The hardening findings and lint problems the count is made of.
        let (rows, more) =
            crate::findings::lines(&crate::findings::for_gate(verdict, gate, evidence));
        for row in rows {
            let _ = writeln!(out, "   - {}", escape(&row));
        }
        if more > 0 {
            let _ = writeln!(
                out,
                "   - {}",
                escape(&lang.format(Msg::MoreInEvidence, &[("count", &more.to_string())]))
            );
        }
    }
    out.push('\n');
}

/// `gate --compare`: the gates that flip, before → after.
fn comparison_section(out: &mut String, comparison: &crate::json::ComparisonV1, lang: Lang) {
    let (headline, flips) = crate::common::comparison_text(comparison, lang);
    if flips.is_empty() {
        let _ = writeln!(out, "{}\n", escape(&headline));
        return;
    }
    let _ = writeln!(out, "**{}**\n", escape(&headline));
    for (gate, before, after) in flips {
        let _ = writeln!(
            out,
            "- **{}**: {} → {}",
            escape(&gate),
            escape(&before),
            escape(&after)
        );
    }
    out.push('\n');
}

fn status_icon(status: &str) -> &'static str {
    match status {
        "pass" => "✅",
        "fail" => "❌",
        "inconclusive" => "❓",
        "missing" => "⛔",
        "waived" => "⏭️",
        _ => "•",
    }
}

fn area_icon(status: &str) -> &'static str {
    match status {
        "green" => "🟢",
        "yellow" => "🟡",
        "red" => "🔴",
        _ => "⚪",
    }
}

/// Escapes Markdown and inline HTML in running text: the text shows as written.
pub fn escape(text: &str) -> String {
    let text = inert(text);
    let mut out = String::with_capacity(text.len() + 8);
    let mut previous = None;
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push(' '),
            '@' if could_mention(previous) => out.push_str(MENTION_BREAK),
            _ => out.push(c),
        }
        previous = Some(c);
    }
    out
}

/// GitHub reads `@name` as a mention only when the `@` follows the start or a non-word
/// character (`team@example.com` is an address, not a mention).
fn could_mention(previous: Option<char>) -> bool {
    previous.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '+'))
}

/// Text with a zero-width space after every `@` that could start a mention.
fn break_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut previous = None;
    for c in text.chars() {
        if c == '@' && could_mention(previous) {
            out.push_str(MENTION_BREAK);
        } else {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

/// Escapes text for a table cell: as [`escape`], on one line.
fn cell(text: &str) -> String {
    escape(text)
}

/// `@` followed by a zero-width space: shown as `@`, never a mention.
const MENTION_BREAK: &str = "@\u{200B}";

/// Text for an HTML context inside Markdown (`<summary>`): on one line (a blank line would end
/// the HTML block), entities for `<`, `>`, `&` and quotes, and no mentions.
fn html(text: &str) -> String {
    break_mentions(&crate::html::escape_html(&inert(text).replace('\n', " ")))
}

/// Text inside a backtick code span: backticks and pipes cannot be escaped there, so they are
/// replaced by look-alikes (a code span cannot hold HTML either).
fn code(text: &str) -> String {
    inert(text)
        .replace('`', "ˋ")
        .replace('|', "│")
        .replace('\n', " ")
}

/// One GitHub Actions workflow command for a blocker or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// `error` for a blocker, `warning` for a warning.
    pub level: &'static str,
    pub title: String,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u64>,
}

impl Annotation {
    /// The command line, with the workflow-command escaping of data and properties. The
    /// parts are made inert first: they hold test names, messages and file names from
    /// evidence, and gate names from the policy.
    pub fn to_command(&self) -> String {
        let mut properties = Vec::new();
        if let Some(file) = &self.file {
            properties.push(format!("file={}", escape_property(&inert(file))));
        }
        if let Some(line) = self.line {
            properties.push(format!("line={line}"));
        }
        properties.push(format!("title={}", escape_property(&inert(&self.title))));
        format!(
            "::{} {}::{}",
            self.level,
            properties.join(","),
            escape_data(&inert(&self.message))
        )
    }
}

/// Locations listed per gate at most (a failing suite can list hundreds of tests).
const MAX_LOCATIONS_PER_GATE: usize = 10;

/// The most waivers the Markdown lists (the HTML lists them all).
const MAX_WAIVERS_LISTED: usize = 20;

/// The annotations for blockers (`error`) and warnings (`warning`): one per failing test or
/// finding with a file (and line) in the cited evidence's details, else one per gate.
pub fn annotations(verdict: &Verdict, cx: &RenderContext<'_>) -> Vec<Annotation> {
    let (evidence, lang) = (cx.evidence, cx.lang);
    let mut out = Vec::new();
    for (level, indices) in [("error", &verdict.blockers), ("warning", &verdict.warnings)] {
        for &i in indices {
            let Some(gate) = verdict.gates.get(i) else {
                continue;
            };
            let title = lang.format(
                Msg::AnnotationTitle,
                &[
                    ("severity", words::severity(lang, gate.severity)),
                    ("gate", &gate.name),
                ],
            );
            let mut located = Vec::new();
            for cited_record in words::cited(verdict, gate) {
                let Some(record) = evidence.get(&cited_record.sha256) else {
                    continue;
                };
                locations(&record.details, gate, lang, &mut located);
            }
            if located.is_empty() {
                let mut message = lang.format(
                    Msg::LabelValue,
                    &[
                        ("label", words::status(lang, gate.status)),
                        ("value", &gate.why),
                    ],
                );
                if let Some(settle) = &words::settle(gate, lang) {
                    message.push('\n');
                    message.push_str(&lang.labelled(Msg::LabelSettle, settle));
                }
                out.push(Annotation {
                    level,
                    title,
                    message,
                    file: None,
                    line: None,
                });
            } else {
                for (file, line, message) in located.into_iter().take(MAX_LOCATIONS_PER_GATE) {
                    out.push(Annotation {
                        level,
                        title: title.clone(),
                        message,
                        file: Some(file),
                        line,
                    });
                }
            }
        }
    }
    out
}

/// File locations in evidence details: failing JUnit tests (`failing[]` with `file`, `line`)
/// and SARIF results (`results_listed[]` with `uri`, `line`).
fn locations(
    details: &serde_json::Value,
    gate: &GateResult,
    lang: Lang,
    out: &mut Vec<(String, Option<u64>, String)>,
) {
    let text =
        |v: &serde_json::Value, key: &str| v.get(key).and_then(|x| x.as_str()).map(str::to_owned);
    if let Some(failing) = details.get("failing").and_then(|f| f.as_array()) {
        for test in failing {
            let Some(file) = text(test, "file") else {
                continue;
            };
            let message = lang.format(
                Msg::AnnotationTestFailed,
                &[
                    ("gate", &gate.name),
                    ("test", &text(test, "name").unwrap_or_default()),
                    ("message", &text(test, "message").unwrap_or_default()),
                ],
            );
            out.push((file, test.get("line").and_then(|l| l.as_u64()), message));
        }
    }
    if let Some(results) = details.get("results_listed").and_then(|f| f.as_array()) {
        for result in results {
            let Some(file) = text(result, "uri") else {
                continue;
            };
            let message = lang.format(
                Msg::AnnotationFinding,
                &[
                    ("gate", &gate.name),
                    ("rule", &text(result, "rule").unwrap_or_default()),
                    ("message", &text(result, "message").unwrap_or_default()),
                ],
            );
            out.push((file, result.get("line").and_then(|l| l.as_u64()), message));
        }
    }
}

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Issue 18: what changed since an earlier run of the same service (from the history), one
/// line per gate whose status changed or whose point moved by 1 % or more, e.g. "`checkout
/// p95`: p(95) 212 ms → 248 ms, +17 %, interval [240 ms, 255 ms]". Both verdicts are typed (the
/// earlier one read back from its stored verdict.json); gates are matched by name and compared
/// by their typed status and measurement. A gate new in this run is listed as new. Empty when
/// nothing changed.
pub fn changes(before: &Verdict, after: &Verdict, since: &str) -> String {
    let mut lines = String::new();
    for gate in &after.gates {
        let previous = before.gates.iter().find(|g| g.name == gate.name);
        let (was, now) = (
            previous.and_then(|g| g.measured.as_ref()),
            gate.measured.as_ref(),
        );
        let moved = match (was, now) {
            (Some(a), Some(b)) if a.point != 0.0 => {
                ((b.point - a.point) / a.point.abs()).abs() >= 0.01
            }
            (Some(a), Some(b)) => a.point != b.point,
            (None, None) => false,
            _ => true,
        };
        let status_changed = previous.is_none_or(|g| g.status != gate.status);
        if !moved && !status_changed {
            continue;
        }
        let shown = |m: Option<&gonogo_core::verdict::Measured>| {
            m.map_or("—".to_owned(), |m| escape(&m.display_point()))
        };
        let mut line = format!(
            "- `{}`: {} {} → {}",
            code(&gate.name),
            escape(&gate.expect.aggregate.to_string()),
            shown(was),
            shown(now)
        );
        if let (Some(a), Some(b)) = (was, now)
            && a.point != 0.0
        {
            let _ = write!(
                line,
                ", {:+.0} %",
                (b.point - a.point) / a.point.abs() * 100.0
            );
        }
        if let Some(interval) = now.and_then(|m| m.display_interval()) {
            let _ = write!(line, ", interval {}", escape(&interval));
        }
        match previous {
            Some(g) if g.status != gate.status => {
                let _ = write!(line, " ({} → {})", g.status, gate.status);
            }
            None => line.push_str(" (new gate)"),
            _ => {}
        }
        lines.push_str(&line);
        lines.push('\n');
    }
    if lines.is_empty() {
        return String::new();
    }
    format!("\n### Since {}\n\n{lines}", escape(since))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::VerdictV1;

    #[test]
    fn escaping_keeps_text_as_written() {
        assert_eq!(
            escape("<script>a|b</script>"),
            "&lt;script&gt;a\\|b&lt;/script&gt;"
        );
        assert_eq!(escape("*bold* [x](y)"), "\\*bold\\* \\[x\\](y)");
        assert_eq!(code("a`b|c"), "aˋb│c");
    }

    #[test]
    fn sarif_results_and_junit_failures_give_locations() {
        // The gate as a saved verdict holds it, read back as the typed gate (`locations`
        // reads only its name).
        let verdict = Verdict::try_from(doc(serde_json::json!([{
            "name": "no new findings", "area": "security", "metric": "sarif.new.error",
            "expect": "value == 0", "aggregate": "value", "severity": "blocker",
            "status": "fail", "reason": "breached", "why": "", "measured": null,
            "threshold": 0.0, "threshold_display": "== 0", "confidence": 0.95, "rules": [],
            "settle": null, "waiver": null, "evidence": [], "description": null
        }])))
        .unwrap();
        let gate = &verdict.gates[0];
        let details = serde_json::json!({
            "results_listed": [
                { "rule": "rust/sql-injection", "message": "query built from input",
                  "uri": "src/db.rs", "line": 12 },
                { "rule": "no-location", "message": "skipped: no uri" }
            ],
            "failing": [{ "name": "t", "file": "tests/a.rs", "message": "boom" }]
        });
        let mut found = Vec::new();
        locations(&details, gate, Lang::En, &mut found);
        assert_eq!(
            found,
            vec![
                (
                    "tests/a.rs".to_owned(),
                    None,
                    "no new findings: test t failed: boom".to_owned()
                ),
                (
                    "src/db.rs".to_owned(),
                    Some(12),
                    "no new findings: rust/sql-injection: query built from input".to_owned()
                ),
            ]
        );
    }

    fn doc(gates: serde_json::Value) -> VerdictV1 {
        serde_json::from_value(serde_json::json!({
            "gonogo_verdict": 1, "verdict": "GO", "policy": {}, "env": null,
            "evaluated_at": "2026-11-25T12:00:00Z", "confidence": 0.95,
            "summary": { "pass": 0, "fail": 0, "inconclusive": 0, "missing": 0, "waived": 0 },
            "areas": [], "blockers": [], "warnings": [], "missing_evidence_kinds": [],
            "gates": gates, "evidence": [], "baseline": null
        }))
        .unwrap()
    }

    fn gate(name: &str, status: &str, point: f64, display: &str) -> serde_json::Value {
        serde_json::json!({
            "name": name, "area": "performance", "metric": "load.checkout.latency",
            "expect": "p(95) < 230ms", "aggregate": "p(95)", "severity": "blocker",
            "status": status, "reason": null, "why": "", "threshold": 0.23,
            "threshold_display": "< 230 ms", "confidence": 0.95, "rules": [], "settle": null,
            "waiver": null, "evidence": [], "description": null,
            "measured": { "point": point, "lower": point * 0.98, "upper": point * 1.02,
                          "n": 1000, "k": null, "unit": "s", "display": display,
                          "interval_display": format!("[{display}±]") }
        })
    }

    #[test]
    fn changes_since_a_run_are_one_line_per_changed_gate() {
        let typed = |gates| Verdict::try_from(doc(gates)).unwrap();
        let before = typed(serde_json::json!([
            gate("checkout p95", "pass", 0.212, "212 ms"),
            gate("search p95", "pass", 0.100, "100 ms"),
        ]));
        let after = typed(serde_json::json!([
            gate("checkout p95", "fail", 0.248, "248 ms"),
            gate("search p95", "pass", 0.1005, "100.5 ms"),
            gate("login p95", "pass", 0.05, "50 ms"),
        ]));
        // Typed, the interval is shown from its ends (the documents' own `interval_display`
        // is not read).
        let text = changes(&before, &after, "run 3f2a (2026-11-24, GO)");
        assert_eq!(
            text,
            "\n### Since run 3f2a (2026-11-24, GO)\n\n\
             - `checkout p95`: p(95) 212 ms → 248 ms, +17 %, interval \\[243 ms, 253 ms\\] (pass → fail)\n\
             - `login p95`: p(95) — → 50 ms, interval \\[49 ms, 51 ms\\] (new gate)\n"
        );
        assert_eq!(changes(&after, &after, "itself"), "");
    }

    #[test]
    fn workflow_commands_escape_their_parts() {
        let annotation = Annotation {
            level: "error",
            title: "gonogo blocker: a, b: c".into(),
            message: "100% bad\nsecond line".into(),
            file: Some("src/a,b.rs".into()),
            line: Some(7),
        };
        assert_eq!(
            annotation.to_command(),
            "::error file=src/a%2Cb.rs,line=7,title=gonogo blocker%3A a%2C b%3A c::100%25 bad%0Asecond line"
        );
    }
}
