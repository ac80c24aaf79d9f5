//! Runs every OpenMetrics parser conformance case (tests/data/openmetrics/parsers, from the
//! OpenMetrics project, Apache-2.0) through the strict OpenMetrics parser and checks that it
//! accepts exactly the cases marked `shouldParse: true`.

use std::path::Path;

use gonogo_probe::exposition::{Format, Visitor, parse};

struct Nothing;
impl Visitor for Nothing {}

#[test]
fn every_openmetrics_conformance_case_agrees() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/openmetrics/parsers");
    let mut n_cases = 0;
    let mut n_should_parse = 0;
    let mut disagreements = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&root)
        .expect("the conformance cases are in the repository")
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for case in entries {
        let test: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("test.json")).unwrap()).unwrap();
        assert_eq!(test["type"], "text");
        let should_parse = test["shouldParse"].as_bool().unwrap();
        let file = test["file"].as_str().unwrap();
        let body = std::fs::read(case.join(file)).unwrap();
        let result = parse(&body[..], Format::OpenMetrics, &mut Nothing);
        n_cases += 1;
        n_should_parse += usize::from(should_parse);
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        match (should_parse, result) {
            (true, Err(error)) => {
                disagreements.push(format!("{name}: rejected valid input: {error}"))
            }
            (false, Ok(_)) => disagreements.push(format!("{name}: accepted invalid input")),
            _ => {}
        }
    }
    assert_eq!(n_cases, 211, "the suite has 211 cases");
    assert_eq!(n_should_parse, 44, "44 cases must parse");
    assert!(
        disagreements.is_empty(),
        "{} of {n_cases} cases disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}
