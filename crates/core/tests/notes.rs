//! Issue 17, zh-CN complete: a producer's note carries a stable code and its arguments beside
//! its English sentence, through the evidence wire format into the verdict's rules; records
//! written before codes existed read and show their sentence.

use gonogo_core::eval::evaluate;
use gonogo_core::evidence::{Evidence, Metric, NoteCode, Source, Tool, sha256_hex};
use gonogo_core::policy::Policy;
use gonogo_core::units::Unit;
use gonogo_core::verdict::{GateStatus, Rule};
use gonogo_core::wire;

const NOW: &str = "2026-12-01T12:00:00Z";
const ERRORED: &str = "2 of 16 checks did not run because of errors: cors, hsts";
const NOT_RUN: &str = "3 check(s) did not run (error or skipped): cors, hsts, csp";

fn harden_record() -> Evidence {
    let mut record = Evidence::new(
        "harden",
        Source::Url("http://127.0.0.1:8080".into()),
        sha256_hex(b"harden"),
        "2026-12-01T11:00:00Z".parse().unwrap(),
        Tool::new("gonogo-harden", "0.1.0"),
    );
    record.insert(
        "harden.findings.high",
        Metric::value(0.0, Unit::count("findings")).with_coded_note(
            NOT_RUN,
            NoteCode::new("harden.checks_not_run")
                .arg("count", 3)
                .arg("checks", "cors, hsts, csp"),
        ),
    );
    record.mark_incomplete_coded(
        ERRORED,
        NoteCode::new("harden.checks_errored")
            .arg("count", 2)
            .arg("total", 16)
            .arg("checks", "cors, hsts"),
    );
    record.mark_incomplete("the target closed the connection early");
    record
}

#[test]
fn codes_travel_through_the_wire_format() {
    let record = harden_record();
    let line = wire::to_json_line(&record);
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        value["incomplete_codes"],
        serde_json::json!([{"text": ERRORED, "code": "harden.checks_errored",
                            "args": {"checks": "cors, hsts", "count": "2", "total": "16"}}])
    );
    assert_eq!(
        value["metrics"]["harden.findings.high"]["note_code"]["code"],
        "harden.checks_not_run"
    );
    let back = wire::parse_records(&line, gonogo_catalog::CATALOG)
        .unwrap()
        .remove(0);
    assert_eq!(back.incomplete, record.incomplete);
    assert_eq!(back.incomplete_codes, record.incomplete_codes);
    assert_eq!(
        back.metrics["harden.findings.high"].note_code,
        record.metrics["harden.findings.high"].note_code
    );
    // Written again, the same bytes (the record's identity is stable).
    assert_eq!(wire::to_json_line(&back), line);
}

#[test]
fn a_record_without_codes_keeps_its_identity_and_reads() {
    let mut record = harden_record();
    record.incomplete_codes.clear();
    record
        .metrics
        .get_mut("harden.findings.high")
        .unwrap()
        .note_code = None;
    let line = wire::to_json_line(&record);
    assert!(!line.contains("incomplete_codes") && !line.contains("note_code"));
    let back = wire::parse_records(&line, gonogo_catalog::CATALOG)
        .unwrap()
        .remove(0);
    assert!(back.incomplete_codes.is_empty());
    assert_eq!(back.incomplete.len(), 2);
}

#[test]
fn malformed_codes_are_refused_naming_what_is_wrong() {
    let line = wire::to_json_line(&harden_record());
    let refused = |from: &str, to: &str| {
        let text = line.replacen(from, to, 1);
        assert_ne!(text, line, "{from}");
        wire::parse_records(&text, gonogo_catalog::CATALOG)
            .unwrap_err()
            .to_string()
    };
    // A code for a sentence the record does not say.
    let error = refused("\"text\":\"2 of 16", "\"text\":\"3 of 16");
    assert!(error.contains("incomplete_codes"), "{error}");
    // A code that is not dotted lower-case words.
    let error = refused(
        "\"code\":\"harden.checks_errored\"",
        "\"code\":\"Harden Checks\"",
    );
    assert!(error.contains("code"), "{error}");
    // A note code without the note it codes.
    let mut bare = harden_record();
    bare.metrics.get_mut("harden.findings.high").unwrap().note = None;
    let error = wire::parse_records(&wire::to_json_line(&bare), gonogo_catalog::CATALOG)
        .unwrap_err()
        .to_string();
    assert!(error.contains("note_code"), "{error}");
}

#[test]
fn the_verdict_keeps_each_coded_note_and_says_the_rest_as_written() {
    let policy = Policy::parse(
        r#"
[target]
base_url = "http://127.0.0.1:8080"

[[gate]]
name = "no high findings"
area = "security"
metric = "harden.findings.high"
expect = "value == 0"
"#,
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap();
    let verdict = evaluate(&policy, &[harden_record()], NOW.parse().unwrap(), None);
    let gate = &verdict.gates[0];
    assert_eq!(gate.status, GateStatus::Missing);
    assert!(
        gate.rules.contains(&Rule::Note {
            text: NOT_RUN.into(),
            code: Some(
                NoteCode::new("harden.checks_not_run")
                    .arg("count", 3)
                    .arg("checks", "cors, hsts, csp")
            ),
            incomplete: false,
        })
    );
    assert!(
        gate.rules.contains(&Rule::Note {
            text: ERRORED.into(),
            code: Some(
                NoteCode::new("harden.checks_errored")
                    .arg("count", 2)
                    .arg("total", 16)
                    .arg("checks", "cors, hsts")
            ),
            incomplete: true,
        })
    );
    // The sentence without a code is said as before.
    assert!(gate.rules.contains(&Rule::Incomplete {
        what: "the target closed the connection early".into()
    }));
    // The English is unchanged.
    let english: Vec<String> = gate.rules.iter().map(ToString::to_string).collect();
    assert!(english.contains(&format!("the evidence is incomplete: {ERRORED}")));
    assert!(english.contains(&NOT_RUN.to_owned()));
    assert!(gate.why.contains(ERRORED), "{}", gate.why);
}
