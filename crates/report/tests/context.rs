//! Every report carries the commit it judged, when the verdict knows it.

mod common;

use std::path::Path;

use gonogo_core::eval::evaluate;
use gonogo_core::policy::Policy;
use gonogo_core::wire::parse_records;
use gonogo_report::cli::Format;
use gonogo_report::i18n::Lang;
use gonogo_report::json::{ContextV1, VerdictV1};

#[test]
fn markdown_html_and_junit_name_the_commit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let policy = Policy::parse(
        &std::fs::read_to_string(root.join("gonogo.toml")).unwrap(),
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap();
    let mut records = Vec::new();
    for entry in std::fs::read_dir(root.join("evidence")).unwrap() {
        records.extend(
            parse_records(
                &std::fs::read_to_string(entry.unwrap().path()).unwrap(),
                gonogo_catalog::CATALOG,
            )
            .unwrap(),
        );
    }
    let verdict = evaluate(
        &policy,
        &records,
        "2026-11-25T12:00:00Z".parse().unwrap(),
        None,
    );
    let mut document = VerdictV1::from(&verdict);
    document.context = Some(ContextV1 {
        commit: Some("3f2a9c1d0e4b5a6978877665544332211ffeeddc".into()),
        branch: Some("main".into()),
        tags: vec!["v1.4.0".into()],
        deployment_target: Some("production".into()),
        rollback_tag: Some("v1.3.2".into()),
        dirty_paths: 0,
        ci_provider: Some("github-actions".into()),
        ci_run_url: Some("https://ci.example/run/42".into()),
    });
    let evidence = Default::default();
    for format in [Format::Md, Format::Html, Format::Junit] {
        for lang in Lang::ALL {
            let text = common::render(&document, &evidence, format, lang);
            assert!(
                text.contains("3f2a9c1d0e4b on main (v1.4.0) → production"),
                "{format:?} {lang:?}"
            );
        }
    }
    let markdown = common::render(&document, &evidence, Format::Md, Lang::En);
    assert!(markdown.contains("https://ci.example/run/42"));
}
