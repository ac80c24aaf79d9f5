//! `render_all`, the step summary and the annotations, called as the binary calls them: real
//! files in a temporary folder, atomic writes, and the sample verdict of the README. (`gonogo
//! report` itself reads through the binary's folder store: crates/cli/tests/cli.rs.)

mod common;

use gonogo_report::EvidenceMap;

use clap::{Args as _, Command};
use gonogo_report::cli::{self, ReportArgs};
use gonogo_report::i18n::Lang;
use gonogo_report::json;

#[test]
fn render_all_writes_the_four_reports() {
    let (doc, evidence) = common::fixture();
    let dir = tempfile::tempdir().unwrap();
    let files = cli::render_all(
        &common::typed(&doc),
        &common::cx(&doc, &evidence, Lang::ZhCn),
        &dir.path().join("gonogo-report"),
    )
    .unwrap();
    let back = json::parse_document(&std::fs::read_to_string(&files.json).unwrap()).unwrap();
    assert_eq!(back.gates.len(), doc.gates.len());
    assert_eq!(
        std::fs::read_to_string(&files.markdown).unwrap(),
        common::md(&doc, &evidence, Lang::ZhCn)
    );
    assert!(
        std::fs::read_to_string(&files.junit)
            .unwrap()
            .contains("<testsuites")
    );
    assert_eq!(
        std::fs::read_to_string(&files.html).unwrap(),
        common::html(&doc, &evidence, Lang::ZhCn)
    );
}

#[test]
fn step_summary_is_appended() {
    let (doc, _) = common::fixture();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let text = common::md(&doc, &EvidenceMap::new(), Lang::En);
    cli::append_step_summary(&summary, &text).unwrap();
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(written.starts_with("earlier step\n## ⛔ NO-GO"));
}

#[test]
fn github_actions_get_the_summary_and_annotations() {
    let (doc, evidence) = common::fixture();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let text = common::md(&doc, &EvidenceMap::new(), Lang::En);
    let env_of = |actions: bool| {
        let summary = summary.clone();
        move |name: &str| match name {
            "GITHUB_STEP_SUMMARY" => Some(summary.clone().into_os_string()),
            "GITHUB_ACTIONS" if actions => Some("true".into()),
            _ => None,
        }
    };
    let mut annotations = Vec::new();
    cli::github_actions(
        &common::typed(&doc),
        &common::cx(&doc, &evidence, Lang::En),
        &text,
        env_of(false),
        &mut annotations,
    )
    .unwrap();
    assert!(
        annotations.is_empty(),
        "no annotations outside GitHub Actions"
    );
    cli::github_actions(
        &common::typed(&doc),
        &common::cx(&doc, &evidence, Lang::En),
        &text,
        env_of(true),
        &mut annotations,
    )
    .unwrap();
    let annotations = String::from_utf8(annotations).unwrap();
    // Two failing tests with a file, two gates without one, one warning.
    assert_eq!(annotations.lines().count(), 5, "{annotations}");
    assert!(
        annotations
            .lines()
            .all(|l| l.starts_with("::error ") || l.starts_with("::warning "))
    );
    // Appended twice, once per call.
    let written = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(written.matches("## ⛔ NO-GO").count(), 2);
    // Outside GitHub (no variables) nothing happens.
    let mut nothing = Vec::new();
    cli::github_actions(
        &common::typed(&doc),
        &common::cx(&doc, &evidence, Lang::En),
        &text,
        |_| None,
        &mut nothing,
    )
    .unwrap();
    assert!(nothing.is_empty());
}

#[test]
fn annotations_point_at_failing_tests() {
    let (doc, evidence) = common::fixture();
    let commands: Vec<String> = common::annotations(&doc, &evidence, Lang::En)
        .iter()
        .map(|a| a.to_command())
        .collect();
    insta::assert_snapshot!("annotations", commands.join("\n"));
    // Blockers are errors, the warning a warning; failing tests carry file and line.
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("::error file=tests/ui.rs,line=42,"))
    );
    assert!(commands.iter().any(|c| c.starts_with("::warning title=")));
    // Without the evidence records, each gate gets one annotation without a file.
    let bare = common::annotations(&doc, &Default::default(), Lang::En);
    assert_eq!(bare.len(), doc.blockers.len() + doc.warnings.len());
    assert!(bare.iter().all(|a| a.file.is_none()));
}

#[test]
fn help_teaches_defaults_choices_and_examples() {
    let command = ReportArgs::augment_args(Command::new("report"));
    command.clone().debug_assert();
    let help = command.clone().render_long_help().to_string();
    insta::assert_snapshot!("report_help", help);
    for needle in [
        "md",
        "html",
        "junit",
        "zh-CN",
        ".gonogo/evidence",
        "Examples:",
        "Exit codes",
    ] {
        assert!(help.contains(needle), "{needle}");
    }
    let parsed = command
        .try_get_matches_from(["report", "v.json", "--lang", "fr"])
        .unwrap_err();
    assert!(
        parsed.to_string().contains("choose en or zh-CN"),
        "{parsed}"
    );
}

/// The README's sample verdict (examples/gonogo.toml over examples/evidence), judged by the
/// real evaluator: its HTML page stays under 300 KB.
#[test]
fn the_sample_verdict_page_is_small() {
    let root = common::workspace_root();
    let policy_text = std::fs::read_to_string(root.join("examples/gonogo.toml")).unwrap();
    let policy =
        gonogo_core::policy::Policy::parse(&policy_text, None, gonogo_catalog::CATALOG).unwrap();
    let mut records = Vec::new();
    for entry in std::fs::read_dir(root.join("examples/evidence")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        records.extend(gonogo_core::wire::parse_records(&text, gonogo_catalog::CATALOG).unwrap());
    }
    let evidence = gonogo_report::evidence_map(&records);
    let verdict =
        gonogo_core::eval::evaluate(&policy, &records, common::NOW.parse().unwrap(), None);
    let doc = json::VerdictV1::from(&verdict);
    for lang in Lang::ALL {
        let page = common::html(&doc, &evidence, lang);
        eprintln!("sample verdict, {lang}: {} bytes", page.len());
        assert!(page.len() < 300_000, "{} bytes", page.len());
        assert!(page.contains("<svg"), "the sample's histogram is drawn");
    }
}
