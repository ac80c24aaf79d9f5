//! The compact terminal summary of a verdict: the decision, areas, ranked blockers and
//! warnings, then one line per gate. Colour is optional; the text reads the same without it.
//!
//! Every piece of text that came from a policy or from evidence (names, areas, expectations,
//! explanations, sources such as evidence file names) goes through
//! [`gonogo_core::text::inert`], so it cannot run a terminal escape or a CI workflow command.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use gonogo_core::text::{Inert, inert};
use gonogo_core::verdict::{AreaStatus, Decision, GateResult, GateStatus, Verdict};

struct Palette {
    color: bool,
}

impl Palette {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }

    fn status(&self, status: GateStatus) -> String {
        let color = match status {
            GateStatus::Pass => AnsiColor::Green,
            GateStatus::Fail => AnsiColor::Red,
            GateStatus::Inconclusive | GateStatus::Waived => AnsiColor::Yellow,
            GateStatus::Missing => AnsiColor::BrightBlack,
        };
        self.paint(
            Style::new().fg_color(Some(color.into())),
            &format!("{:<12}", status.as_str()),
        )
    }

    fn area(&self, status: AreaStatus) -> String {
        let color = match status {
            AreaStatus::Green => AnsiColor::Green,
            AreaStatus::Yellow => AnsiColor::Yellow,
            AreaStatus::Red => AnsiColor::Red,
            AreaStatus::Grey => AnsiColor::BrightBlack,
        };
        self.paint(
            Style::new().fg_color(Some(color.into())),
            &format!("{:<6}", status.as_str()),
        )
    }

    fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }
}

/// Renders the summary; `color` adds ANSI styles.
pub fn render(verdict: &Verdict, cx: &crate::RenderContext<'_>) -> String {
    let color = cx.color;
    let palette = Palette { color };
    let mut out = String::new();
    let decision = match verdict.decision {
        Decision::Go => palette.paint(
            Style::new().bold().fg_color(Some(AnsiColor::Green.into())),
            " GO ",
        ),
        Decision::NoGo => palette.paint(
            Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
            " NO-GO ",
        ),
    };
    let mut context = Vec::new();
    if let Some(name) = &verdict.policy_name {
        context.push(inert(name).into_owned());
    }
    if let Some(env) = &verdict.env {
        context.push(format!("judged with the [env.{}] profile", Inert(env)));
    } else {
        context.push("judged without an environment profile".to_owned());
    }
    let counts: Vec<String> = GateStatus::ALL
        .iter()
        .filter_map(|&s| {
            let n = verdict.count(s);
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    context.push(format!(
        "{} gate{}: {}",
        verdict.gates.len(),
        if verdict.gates.len() == 1 { "" } else { "s" },
        if counts.is_empty() {
            "none".to_owned()
        } else {
            counts.join(", ")
        }
    ));
    let _ = writeln!(out, "{decision}  {}", context.join(" · "));
    if let Some(note) = crate::words::unassessed(crate::i18n::Lang::En, verdict) {
        let _ = writeln!(out, "  {}", inert(&note));
    }

    if let Some(unearned) = verdict.unearned {
        let _ = writeln!(out, "\n{} {unearned}", palette.bold("not earned:"));
    }
    if !verdict.missing_kinds.is_empty() {
        let _ = writeln!(
            out,
            "\n{} this environment requires evidence that never arrived: {}",
            palette.bold("partial evidence:"),
            inert(&verdict.missing_kinds.join(", "))
        );
    }

    let _ = writeln!(out, "\n{}", palette.bold("Areas"));
    for area in &verdict.areas {
        let _ = writeln!(
            out,
            "  {} {:<14} {} gate{}",
            palette.area(area.status),
            Inert(&area.title),
            area.gates.len(),
            if area.gates.len() == 1 { "" } else { "s" }
        );
    }

    for (title, list) in [
        ("Blockers", &verdict.blockers),
        ("Warnings", &verdict.warnings),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} (worst first)", palette.bold(title));
        for (rank, &index) in list.iter().enumerate() {
            let gate = &verdict.gates[index];
            let _ = writeln!(
                out,
                "  {}. {} {} [{}] {}",
                rank + 1,
                palette.status(gate.status),
                Inert(&gate.name),
                Inert(&gate.area),
                gate.expect
            );
            detail(&mut out, verdict, gate, cx.evidence);
        }
    }

    let _ = writeln!(out, "\n{}", palette.bold("Gates"));
    for (index, gate) in verdict.gates.iter().enumerate() {
        let measured = gate
            .measured
            .as_ref()
            .map(|m| {
                let mut text = m.display_point_beside(gate.threshold);
                if let Some(interval) = m.display_interval_beside(gate.threshold) {
                    text.push_str(&format!(" {interval}"));
                }
                if let Some(n) = m.n {
                    text.push_str(&format!(" n={n}"));
                }
                text
            })
            .unwrap_or_else(|| "—".to_owned());
        let _ = writeln!(
            out,
            "  {} {:<14} {} · {}",
            palette.status(gate.status),
            Inert(&gate.area),
            Inert(&gate.name),
            inert(&measured)
        );
        // Rules are printed with every gate, so nothing is applied silently; blockers and
        // warnings showed theirs above.
        if !verdict.blockers.contains(&index) && !verdict.warnings.contains(&index) {
            for rule in shown_rules(gate) {
                let _ = writeln!(
                    out,
                    "{:15}{}: {}",
                    "",
                    rule_label(rule),
                    inert(&rule.to_string())
                );
            }
        }
    }
    waivers(&mut out, verdict, &palette);
    out
}

/// Every waiver the policy applied or saw expire: the gate, who owns it, why, and how long it
/// has left (counted from the moment judged), so a waiver is never forgotten on a terminal.
fn waivers(out: &mut String, verdict: &Verdict, palette: &Palette) {
    let waived: Vec<(&GateResult, &gonogo_core::verdict::WaiverState)> = verdict
        .gates
        .iter()
        .filter_map(|g| g.waiver.as_ref().map(|w| (g, w)))
        .collect();
    if waived.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", palette.bold("Waivers"));
    let today = jiff::tz::TimeZone::UTC
        .to_datetime(verdict.evaluated_at)
        .date();
    for (gate, waiver) in waived {
        let left = today
            .until(waiver.expires)
            .map(|span| span.get_days())
            .unwrap_or(0);
        let when = if waiver.expired {
            format!("expired {} (no longer applies)", waiver.expires)
        } else {
            format!(
                "until {} ({left} day{} left)",
                waiver.expires,
                if left == 1 { "" } else { "s" }
            )
        };
        let underlying = if waiver.underlying == GateStatus::Pass {
            "not needed: the gate passes".to_owned()
        } else {
            format!("covers a {}", waiver.underlying.as_str())
        };
        let _ = writeln!(
            out,
            "  {} · {} · owner {} · {} · {underlying}",
            Inert(&gate.name),
            when,
            Inert(&waiver.owner),
            Inert(&waiver.reason),
        );
    }
}

fn detail(out: &mut String, verdict: &Verdict, gate: &GateResult, evidence: &crate::EvidenceMap) {
    let _ = writeln!(out, "       {}", Inert(&gate.why));
    if let Some(settle) = &gate.settle {
        let _ = writeln!(out, "       to settle: {}", inert(&settle.to_string()));
    }
    for rule in shown_rules(gate) {
        let _ = writeln!(
            out,
            "       {}: {}",
            rule_label(rule),
            inert(&rule.to_string())
        );
    }
    for &e in &gate.evidence {
        let evidence = &verdict.evidence[e];
        let _ = writeln!(
            out,
            "       evidence: {} {} (sha256 {}, {})",
            evidence.source.type_name(),
            inert(&evidence.source.to_string()),
            inert(evidence.sha256.get(..12).unwrap_or(&evidence.sha256)),
            to_the_second(evidence.collected_at)
        );
    }
    // Which findings and lint problems the count is made of (issue 17).
    let (rows, more) = crate::findings::lines(&crate::findings::for_gate(verdict, gate, evidence));
    for row in rows {
        let _ = writeln!(out, "       - {}", inert(&row));
    }
    if more > 0 {
        let _ = writeln!(out, "       - and {more} more (in the evidence file)");
    }
}

/// The rules worth a line on a terminal: "a plain value has no sampling error" under every
/// value gate says nothing a reader needs (the JSON and the other reports keep it).
fn shown_rules(gate: &GateResult) -> impl Iterator<Item = &gonogo_core::verdict::Rule> {
    gate.rules
        .iter()
        .filter(|rule| !matches!(rule, gonogo_core::verdict::Rule::PlainValue))
}

/// A producer's note (a caveat on its metric, what it could not do) is a note, not a rule
/// the decision applied.
fn rule_label(rule: &gonogo_core::verdict::Rule) -> &'static str {
    if crate::words::is_note(rule) {
        "note"
    } else {
        "rule"
    }
}

/// A timestamp to the second, for reading (`2026-12-06T08:03:34Z`); verdict.json keeps the
/// full precision.
fn to_the_second(at: jiff::Timestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_second(at.as_second()).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_to_the_second() {
        let at: jiff::Timestamp = "2026-12-06T08:03:34.491771824Z".parse().unwrap();
        assert_eq!(to_the_second(at).to_string(), "2026-12-06T08:03:34Z");
    }
}
