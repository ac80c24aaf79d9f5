//! Dependency audit documents. Their vulnerability databases cannot be reached from the
//! build machine, so these files were written from each tool's published format (see the
//! data folder's README), not produced by the tools.

use gonogo_ingest::Kind;

use crate::{collect, collect_error, value};

fn severities(evidence: &gonogo_core::evidence::Evidence) -> [f64; 5] {
    ["critical", "high", "moderate", "low", "unknown"]
        .map(|s| value(evidence, &format!("audit.{s}")))
}

#[test]
fn cargo_audit_severity_from_cvss() {
    let evidence = collect(Kind::CargoAudit, "audit/cargo-audit/report.json");
    assert_eq!(evidence.kind, "audit");
    // 9.8 → critical; no CVSS → unknown; the unmaintained warning is not a vulnerability.
    assert_eq!(severities(&evidence), [1.0, 0.0, 0.0, 0.0, 1.0]);
    assert_eq!(
        evidence.details["informational"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn npm_7_counts_packages_and_npm_6_advisories() {
    let v7 = collect(Kind::NpmAudit, "audit/npm/npm7.json");
    assert_eq!(severities(&v7), [2.0, 1.0, 1.0, 0.0, 0.0]);
    assert!(
        v7.details["warnings"].as_array().unwrap().is_empty(),
        "{}",
        v7.details["warnings"]
    );
    let v6 = collect(Kind::NpmAudit, "audit/npm/npm6.json");
    assert_eq!(severities(&v6), [0.0, 1.0, 0.0, 1.0, 0.0]);
    assert_eq!(collect(Kind::Auto, "audit/npm/npm6.json").kind, "audit");
}

#[test]
fn npm_error_document_is_no_evidence() {
    let error = collect_error(Kind::NpmAudit, "audit/npm/npm-error.json");
    assert_eq!(error.code(), "no-evidence");
    assert!(
        error.to_string().contains("405 Method Not Allowed"),
        "{error}"
    );
    // And `auto` does not take it for anything else.
    assert_eq!(
        collect_error(Kind::Auto, "audit/npm/npm-error.json").code(),
        "no-evidence"
    );
}

#[test]
fn pip_audit_vulns_and_the_false_clean_report() {
    let evidence = collect(Kind::PipAudit, "audit/pip-audit/report.json");
    assert_eq!(severities(&evidence), [0.0, 0.0, 0.0, 0.0, 2.0]);
    assert_eq!(evidence.details["dependencies_checked"], 2);
    assert_eq!(
        evidence.details["warnings"].as_array().unwrap().len(),
        1,
        "localpkg was skipped"
    );
    let error = collect_error(Kind::PipAudit, "audit/pip-audit/all-skipped.json");
    assert_eq!(error.code(), "no-evidence");
    assert!(
        error
            .to_string()
            .contains("skipped every one of its 2 dependencies"),
        "{error}"
    );
}

#[test]
fn osv_counts_groups_not_aliases() {
    let evidence = collect(Kind::Osv, "audit/osv-scanner/report.json");
    // 9.8 critical, 5.6 moderate, "" unknown: three groups, not four records.
    assert_eq!(severities(&evidence), [1.0, 0.0, 1.0, 0.0, 1.0]);
}

#[test]
fn ignore_rules_apply_until_they_expire() {
    use gonogo_ingest::audit::AuditIgnore;
    use gonogo_ingest::{CollectOptions, collect_file_with};
    let date = |text: &str| text.parse::<jiff::civil::Date>().unwrap();
    let options = CollectOptions {
        audit_ignores: vec![
            // By alias, still valid.
            AuditIgnore {
                id: "CVE-2024-00001".into(),
                reason: "not reachable: we never parse untrusted frames".into(),
                owner: Some("bob".into()),
                expires: Some(date("2026-12-31")),
            },
            // Expired the day before "today": hides nothing.
            AuditIgnore {
                id: "RUSTSEC-2023-0071".into(),
                reason: "no fix yet".into(),
                owner: None,
                expires: Some(date("2026-11-24")),
            },
        ],
        today: date("2026-11-25"),
    };
    let evidence = collect_file_with(
        Kind::CargoAudit,
        &crate::data("audit/cargo-audit/report.json"),
        &options,
    )
    .unwrap();
    assert_eq!(severities(&evidence), [0.0, 0.0, 0.0, 0.0, 1.0]);
    let ignored = evidence.details["ignored"].as_array().unwrap();
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0]["id"], "RUSTSEC-2024-0001");
    assert_eq!(
        ignored[0]["reason"],
        "not reachable: we never parse untrusted frames"
    );
    let warnings = evidence.details["warnings"].to_string();
    assert!(warnings.contains("expired after 2026-11-24"), "{warnings}");
    // Each severity's metric says what the rules did, so every gate on it prints it.
    let note = |name: &str| evidence.metrics[name].note.clone().unwrap_or_default();
    assert_eq!(
        note("audit.critical"),
        "1 ignored by the policy: RUSTSEC-2024-0001 in examplecrate \
         (not reachable: we never parse untrusted frames; owner bob, until 2026-12-31)"
    );
    assert!(
        note("audit.unknown")
            .starts_with("the ignore rule for RUSTSEC-2023-0071 expired after 2026-11-24"),
        "{}",
        note("audit.unknown")
    );
    assert_eq!(note("audit.high"), "");

    // The last day is still covered; the day after is not.
    let on = |today: &str| {
        let options = CollectOptions {
            today: date(today),
            ..options.clone()
        };
        let evidence = collect_file_with(
            Kind::CargoAudit,
            &crate::data("audit/cargo-audit/report.json"),
            &options,
        )
        .unwrap();
        severities(&evidence)
    };
    assert_eq!(on("2026-11-24"), [0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(on("2027-01-01"), [1.0, 0.0, 0.0, 0.0, 1.0]);
}

/// Defect 4 (issue 15): pip-audit is streamed and at most `MAX_KEPT` vulnerabilities are
/// kept; the rest are counted by severity (never hidden by an ignore rule) and the record
/// says so.
#[test]
fn pip_audit_is_streamed_and_vulnerabilities_beyond_the_cap_are_counted() {
    use gonogo_ingest::audit::{AuditIgnore, MAX_KEPT};
    use gonogo_ingest::{CollectOptions, parse_reader_with};
    let n_dependencies = MAX_KEPT / 2 + 10;
    let mut text = String::from(r#"{"dependencies":["#);
    for i in 0..n_dependencies {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#"{{"name":"p{i}","version":"1.0","vulns":[{{"id":"PYSEC-A-{i}","fix_versions":[],"aliases":[],"description":"d"}},{{"id":"PYSEC-B-{i}","fix_versions":[],"aliases":[],"description":"d"}}]}}"#
        ));
    }
    text.push_str(r#",{"name":"skipped","skip_reason":"not on PyPI"}],"fixes":[]}"#);
    let rule = |id: &str| AuditIgnore {
        id: id.into(),
        reason: "accepted".into(),
        owner: None,
        expires: None,
    };
    let options = CollectOptions {
        // The first is kept and ignored; the last is past the cap: counted, not hidden.
        audit_ignores: vec![
            rule("PYSEC-A-0"),
            rule(&format!("PYSEC-B-{}", n_dependencies - 1)),
        ],
        ..CollectOptions::default()
    };
    let parsed = parse_reader_with(Kind::PipAudit, text.as_bytes(), &options).unwrap();
    let total = 2 * n_dependencies as u64;
    assert_eq!(parsed.details["vulnerability_count"], total - 1);
    assert_eq!(
        parsed.details["dependencies_checked"],
        n_dependencies as u64
    );
    let truncated = parsed.details["truncated"].as_str().unwrap().to_string();
    assert_eq!(
        truncated,
        format!(
            "truncated: {} vulnerabilities beyond {MAX_KEPT} counted by severity, not listed; ignore rules were not applied to them",
            total - MAX_KEPT as u64
        )
    );
    let evidence = parsed.into_evidence(
        gonogo_core::evidence::Source::File("pip-audit.json".into()),
        "0".repeat(64),
    );
    assert_eq!(value(&evidence, "audit.unknown"), (total - 1) as f64);
}

/// The streaming readers (pip-audit, cargo-audit) read the committed reports exactly as the
/// whole-document readers do.
#[test]
fn streamed_audits_agree_with_the_whole_document_readers() {
    use gonogo_ingest::audit;
    let read = |relative: &str| {
        let bytes = std::fs::read(crate::data(relative)).unwrap();
        let document: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        (bytes, document)
    };
    let (bytes, document) = read("audit/pip-audit/report.json");
    let streamed = audit::pip_audit_stream(&bytes[..]).unwrap();
    assert_eq!(streamed, audit::pip_audit(&document).unwrap());
    assert!(streamed.n_vulnerabilities() > 0);
    let (bytes, document) = read("audit/cargo-audit/report.json");
    let streamed = audit::cargo_audit_stream(&bytes[..]).unwrap();
    assert_eq!(streamed, audit::cargo_audit(&document).unwrap());
    assert!(streamed.n_vulnerabilities() > 0);
}
