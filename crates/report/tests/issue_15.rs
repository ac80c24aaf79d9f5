//! Issue 15, defects 3, 11 and 18: text from a policy (gate names, area titles) and from
//! evidence (test names, messages, file names, sources) is inert in the terminal summary, the
//! GitHub annotations and the Markdown report.

mod common;

use gonogo_core::eval::evaluate;
use gonogo_core::evidence::Source;
use gonogo_core::policy::Policy;
use gonogo_report::i18n::Lang;
use gonogo_report::json::VerdictV1;
use gonogo_report::{EvidenceMap, RenderContext, markdown, terminal};
use serde_json::json;

const HOSTILE_POLICY: &str = r#"
[policy]
name = "svc"

[[area]]
name = "ops"
title = "Ops</b></summary>\n\n## live heading @octocat <img src=x>"

[[gate]]
name = "::error::pwned \u001b]0;title\u0007 \u001b[2J @octocat"
area = "ops"
metric = "tests.failed"
expect = "rate < 0.5%"
"#;

fn hostile() -> (
    gonogo_core::verdict::Verdict,
    gonogo_report::json::VerdictV1,
    EvidenceMap<'static>,
) {
    let policy = Policy::parse(HOSTILE_POLICY, None, gonogo_catalog::CATALOG)
        .unwrap_or_else(|p| panic!("{p:?}"));
    let mut records = common::records();
    let junit = &mut records[0];
    junit.source = Source::File("::stop-commands::tok\u{1b}]0;x\u{7}.xml".into());
    junit.details["failing"] = json!([
        { "name": "::add-mask::secret \u{1b}[31m red", "file": "::error::x.rs\u{7}",
          "line": 3, "outcome": "failed",
          "message": "boom\n::error::from a message\u{1b}]8;;http://x\u{1b}\\ @octocat" }
    ]);
    let verdict = evaluate(&policy, &records, common::NOW.parse().unwrap(), None);
    let doc = VerdictV1::from(&verdict);
    (verdict, doc, common::leak(records))
}

/// No line starts a workflow command (the runner trims leading whitespace first) and no
/// terminal control character is left.
fn assert_inert_for_a_log(text: &str, what: &str) {
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "{what}: a line starts a workflow command: {line:?}"
        );
    }
    for forbidden in ['\u{1b}', '\u{7}', '\u{8}', '\r', '\u{9b}'] {
        assert!(
            !text.contains(forbidden),
            "{what}: raw control {forbidden:?} in {text:?}"
        );
    }
}

#[test]
fn issue_15_defect_3_and_11_gate_names_and_sources_are_inert_in_the_terminal() {
    let (verdict, _, _) = hostile();
    let text = terminal::render(&verdict, &RenderContext::new(Lang::En));
    assert_inert_for_a_log(&text, "terminal summary");
    // Shown, not dropped.
    assert!(
        text.contains("\\x3a:error::pwned \\x1b]0;title\\x07 \\x1b[2J"),
        "{text}"
    );
    assert!(
        text.contains("\\x3a:stop-commands::tok\\x1b]0;x\\x07.xml"),
        "{text}"
    );
    // With colour, the only escapes are gonogo's own SGR sequences.
    let coloured = terminal::render(&verdict, &RenderContext::new(Lang::En).with_color(true));
    for (i, _) in coloured.match_indices('\u{1b}') {
        assert_eq!(
            coloured.as_bytes().get(i + 1),
            Some(&b'['),
            "a non-CSI escape in {coloured:?}"
        );
        let end = coloured[i..].find('m').expect("SGR ends with m");
        assert!(
            coloured[i + 2..i + end]
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b';'),
            "not an SGR sequence: {:?}",
            &coloured[i..i + end + 1]
        );
    }
}

#[test]
fn issue_15_defect_3_annotations_carry_no_command_or_escape_from_evidence() {
    let (_, doc, evidence) = hostile();
    let annotations = common::annotations(&doc, &evidence, Lang::En);
    assert!(!annotations.is_empty());
    let commands: Vec<String> = annotations.iter().map(|a| a.to_command()).collect();
    for command in &commands {
        assert!(
            command.starts_with("::error ") || command.starts_with("::warning "),
            "{command}"
        );
        assert!(!command.contains('\n'), "{command}");
        for forbidden in ['\u{1b}', '\u{7}'] {
            assert!(!command.contains(forbidden), "raw control in {command:?}");
        }
    }
    let all = commands.join("\n");
    assert!(
        all.contains("test ::add-mask::secret \\x1b[31m red failed")
            && all.contains("::\\x3a:error::pwned \\x1b]0;title\\x07"),
        "{all}"
    );
    assert!(all.contains("%0A\\x3a:error::from a message"), "{all}");
}

#[test]
fn issue_15_defect_18_a_blank_line_in_an_area_title_stays_inside_summary() {
    let (_, doc, _) = hostile();
    let text = common::md(&doc, &EvidenceMap::new(), Lang::En);
    let summary_line = text
        .lines()
        .find(|line| line.contains("<summary>") && line.contains("Ops"))
        .unwrap_or_else(|| panic!("no summary for the ops area in\n{text}"));
    assert!(
        summary_line.ends_with("</summary>"),
        "the title broke out of <summary>: {summary_line:?}"
    );
    assert!(summary_line.contains("Ops&lt;/b&gt;&lt;/summary&gt;  ## live heading"));
    assert!(
        !text.lines().any(|line| line.starts_with("## live")),
        "a heading went live:\n{text}"
    );
    assert!(!text.contains("<img"), "live HTML:\n{text}");
    assert_eq!(
        text.matches("<summary>").count(),
        text.matches("</summary>").count()
    );
}

#[test]
fn issue_15_defect_18_mentions_are_neutralised() {
    let (_, doc, _) = hostile();
    let text = common::md(&doc, &EvidenceMap::new(), Lang::En);
    assert!(text.contains("@\u{200B}octocat"), "{text}");
    assert!(
        !text.contains("@octocat"),
        "a live mention in the Markdown:\n{text}"
    );
    // An e-mail address is not a mention and stays as written.
    assert_eq!(
        markdown::escape("mail search-team@example.com or @octocat (@org/team)"),
        "mail search-team@example.com or @\u{200B}octocat (@\u{200B}org/team)"
    );
    // The Markdown is printed on consoles too.
    assert_inert_for_a_log(&text, "markdown");
}
