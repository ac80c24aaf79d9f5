//! The terminal summary of the sample verdict, as a snapshot; and plain text without colour.

use std::path::Path;

use gonogo_core::eval::evaluate;
use gonogo_core::policy::Policy;
use gonogo_core::wire::parse_records;

fn sample_verdict() -> gonogo_core::verdict::Verdict {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let policy = Policy::parse(
        &std::fs::read_to_string(root.join("gonogo.toml")).unwrap(),
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap();
    let mut records = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root.join("evidence"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        records.extend(
            parse_records(
                &std::fs::read_to_string(file).unwrap(),
                gonogo_catalog::CATALOG,
            )
            .unwrap(),
        );
    }
    evaluate(
        &policy,
        &records,
        "2026-11-25T12:00:00Z".parse().unwrap(),
        None,
    )
}

#[test]
fn summary_of_the_sample() {
    let text = gonogo_report::terminal::render(
        &sample_verdict(),
        &gonogo_report::RenderContext::new(gonogo_report::i18n::Lang::En),
    );
    assert!(!text.contains('\u{1b}'));
    insta::assert_snapshot!(text);
}

#[test]
fn colour_is_only_added_when_asked() {
    let text = gonogo_report::terminal::render(
        &sample_verdict(),
        &gonogo_report::RenderContext::new(gonogo_report::i18n::Lang::En).with_color(true),
    );
    assert!(text.contains("\u{1b}["));
}

/// Every waiver is listed on the terminal with its owner, reason, days left and what it
/// covers; an expired one says it no longer applies; hostile text stays inert.
#[test]
fn waivers_are_listed_with_their_countdown() {
    use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool};
    let policy = Policy::parse(
        r#"
[[gate]]
name = "tests pass"
area = "functionality"
metric = "tests.failed"
expect = "count == 0"

[[gate]]
name = "no criticals"
area = "security"
metric = "audit.critical"
expect = "value == 0"

[[waiver]]
gate = "tests pass"
reason = "flaky \u001b[2J ::error::quarantined"
owner = "qa@example.com"
expires = "2026-12-01"

[[waiver]]
gate = "no criticals"
reason = "vendor fix pending"
owner = "sec@example.com"
expires = "2026-11-20"
"#,
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap();
    let mut record = Evidence::new(
        "junit",
        Source::File("junit.xml".into()),
        "ab".repeat(32),
        "2026-11-25T11:00:00Z".parse().unwrap(),
        Tool::new("junit", "1"),
    );
    record.insert(
        "tests.failed",
        Metric::ratio(
            Ratio::new(1, 50).unwrap(),
            gonogo_core::units::Unit::count("tests"),
        ),
    );
    record.insert(
        "audit.critical",
        Metric::value(2.0, gonogo_core::units::Unit::count("vulnerabilities")),
    );
    let verdict = evaluate(
        &policy,
        &[record],
        "2026-11-25T12:00:00Z".parse().unwrap(),
        None,
    );
    let text = gonogo_report::terminal::render(
        &verdict,
        &gonogo_report::RenderContext::new(gonogo_report::i18n::Lang::En),
    );
    let section = &text[text.find("\nWaivers\n").expect("a Waivers section")..];
    assert!(
        section.contains("tests pass · until 2026-12-01 (6 days left) · owner qa@example.com")
            && section.contains("covers a fail"),
        "{section}"
    );
    assert!(
        section.contains("no criticals · expired 2026-11-20 (no longer applies)"),
        "{section}"
    );
    assert!(!section.contains('\u{1b}'), "{section:?}");
    assert!(
        section.lines().all(|l| !l.trim_start().starts_with("::")),
        "{section}"
    );
}
