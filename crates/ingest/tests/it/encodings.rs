//! Encodings (issue 15, defect 15): UTF-8 with or without a byte order mark in every reader;
//! XML written as UTF-16 or declared as Latin-1 decoded to the same text as its UTF-8 twin;
//! an encoding no decoder knows refused by name. The files were made with iconv (see
//! `tests/data/encodings/README.md`).

use gonogo_ingest::{IngestError, Kind};

use crate::{collect, collect_error, ratio};

/// The failing testcase's name and message as the record lists them.
fn failing(relative: &str) -> (String, String, (u64, u64)) {
    let evidence = collect(Kind::Junit, relative);
    let failing = &evidence.details["failing"][0];
    (
        failing["name"].as_str().unwrap().to_string(),
        failing["message"].as_str().unwrap().to_string(),
        ratio(&evidence, "tests.failed"),
    )
}

#[test]
fn defect_15_junit_utf16_is_decoded() {
    let (name, message, failed) = failing("encodings/junit-utf8.xml");
    assert_eq!(name, "naïve façade");
    assert!(message.contains("« été »"), "{message}");
    assert_eq!(failed, (1, 3));
    for twin in [
        "encodings/junit-utf16.xml",
        "encodings/junit-utf16be-nobom.xml",
        "encodings/junit-utf8-bom.xml",
    ] {
        let (twin_name, twin_message, twin_failed) = failing(twin);
        assert_eq!(
            (&twin_name, &twin_message, twin_failed),
            (&name, &message, failed),
            "{twin}"
        );
    }
    // Detected from content too.
    let auto = collect(Kind::Auto, "encodings/junit-utf16.xml");
    assert_eq!(auto.kind, "junit");
}

#[test]
fn defect_15_junit_declared_latin1_is_decoded_not_mangled() {
    let (name, message, failed) = failing("encodings/junit-latin1.xml");
    assert_eq!(name, "naïve façade");
    assert!(message.contains("« été »"), "{message}");
    assert_eq!(failed, (1, 3));
    let evidence = collect(Kind::Junit, "encodings/junit-latin1.xml");
    let text = evidence.details.to_string();
    assert!(!text.contains('\u{FFFD}'), "replacement characters: {text}");
}

#[test]
fn defect_15_xml_in_an_unknown_encoding_is_refused_by_name() {
    match collect_error(Kind::Junit, "encodings/junit-unknown-encoding.xml") {
        IngestError::Malformed { message, path, .. } => {
            assert!(message.contains("\"EBCDIC-XYZ\""), "{message}");
            assert!(path.ends_with("junit-unknown-encoding.xml"), "{path}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn defect_15_utf8_bom_is_accepted_by_json_and_lcov_readers() {
    let plain = collect(Kind::Lcov, "coverage/coverage.py/coverage.lcov");
    let bom = collect(Kind::Lcov, "encodings/coverage-bom.lcov");
    assert_eq!(
        ratio(&bom, "coverage.lines"),
        ratio(&plain, "coverage.lines")
    );
    let merged =
        gonogo_ingest::collect_coverage_merged(&[crate::data("encodings/coverage-bom.lcov")])
            .unwrap();
    assert_eq!(
        ratio(&merged, "coverage.lines"),
        ratio(&plain, "coverage.lines")
    );
    for (kind, with_bom, without) in [
        (
            Kind::PipAudit,
            "encodings/pip-audit-bom.json",
            "audit/pip-audit/report.json",
        ),
        (
            Kind::Sarif,
            "encodings/bandit-bom.sarif",
            "sarif/bandit/bandit.sarif",
        ),
        (Kind::K6, "encodings/k6-bom.json", "k6/summary-export.json"),
    ] {
        let plain = collect(kind, without);
        for asked in [kind, Kind::Auto] {
            let bom = collect(asked, with_bom);
            assert_eq!(bom.metrics.len(), plain.metrics.len(), "{with_bom}");
            for (name, metric) in &plain.metrics {
                assert_eq!(
                    format!("{:?}", bom.metrics[name].value),
                    format!("{:?}", metric.value),
                    "{with_bom}: {name}"
                );
            }
        }
    }
}
