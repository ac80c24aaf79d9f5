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
    )
    .unwrap();
    let mut records = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root.join("evidence"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        records.extend(parse_records(&std::fs::read_to_string(file).unwrap()).unwrap());
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
    let text = gonogo_report::terminal::render(&sample_verdict(), false);
    assert!(!text.contains('\u{1b}'));
    insta::assert_snapshot!(text);
}

#[test]
fn colour_is_only_added_when_asked() {
    let text = gonogo_report::terminal::render(&sample_verdict(), true);
    assert!(text.contains("\u{1b}["));
}
