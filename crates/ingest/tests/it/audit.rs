//! Dependency audit documents. Their vulnerability databases cannot be reached from the
//! build machine, so these files were written from each tool's published format (see the
//! data folder's README), not produced by the tools.

use gonogo_ingest::Kind;

use crate::{collect, collect_error, value};

/// The five severity counts of a parsed audit, critical first.
fn parsed_values(parsed: &gonogo_ingest::Parsed) -> [f64; 5] {
    ["critical", "high", "moderate", "low", "unknown"].map(|s| {
        let (_, metric) = parsed
            .metrics
            .iter()
            .find(|(name, _)| name == &format!("audit.{s}"))
            .unwrap();
        match metric.value {
            gonogo_core::evidence::MetricValue::Value(v) => v,
            _ => panic!("audit.{s} is not a value"),
        }
    })
}

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
    // The note's code gives every item as arguments, so a report words the list in its
    // language (issue 17).
    let code = |name: &str| evidence.metrics[name].note_code.clone().expect("coded");
    let critical = code("audit.critical");
    assert_eq!(critical.code, "audit.ignored");
    let args: Vec<(&str, &str)> = critical
        .args
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        args,
        [
            ("ignored.1.id", "RUSTSEC-2024-0001"),
            ("ignored.1.owner", "bob"),
            ("ignored.1.package", "examplecrate"),
            (
                "ignored.1.reason",
                "not reachable: we never parse untrusted frames"
            ),
            ("ignored.1.until", "2026-12-31"),
        ]
    );
    let unknown = code("audit.unknown");
    assert_eq!(unknown.args["expired.1.rule"], "RUSTSEC-2023-0071");
    assert_eq!(unknown.args["expired.1.expires"], "2026-11-24");
    assert_eq!(unknown.args["expired.1.reason"], "no fix yet");
    assert!(evidence.metrics["audit.high"].note_code.is_none());

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

/// The streaming readers (every audit format) read the committed reports exactly as the
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
    for relative in ["audit/npm/npm7.json", "audit/npm/npm6.json"] {
        let (bytes, document) = read(relative);
        let streamed = audit::npm_audit_stream(&bytes[..]).unwrap();
        let whole = audit::npm_audit(&document).unwrap();
        // Both list in the order read (the whole document's map is sorted by key), so the
        // evidence is compared: it sorts what it lists.
        assert_eq!(streamed.n_vulnerabilities(), whole.n_vulnerabilities());
        let (streamed, whole) = (streamed.into_parsed(), whole.into_parsed());
        assert_eq!(
            parsed_values(&streamed),
            parsed_values(&whole),
            "{relative}"
        );
        assert_eq!(
            format!("{:?}", streamed.metrics),
            format!("{:?}", whole.metrics),
            "{relative}"
        );
        assert_eq!(streamed.details, whole.details, "{relative}");
        assert!(streamed.details["vulnerability_count"].as_u64().unwrap() > 0);
    }
    let (bytes, _) = read("audit/npm/npm-error.json");
    let error = audit::npm_audit_stream(&bytes[..]).unwrap_err().to_string();
    assert!(error.contains("405 Method Not Allowed"), "{error}");
    let (bytes, document) = read("audit/osv-scanner/report.json");
    let streamed = audit::osv_stream(&bytes[..]).unwrap();
    assert_eq!(streamed, audit::osv(&document).unwrap());
    assert!(streamed.n_vulnerabilities() > 0);
}

/// Defect 4 (issue 15): npm audit (7+) is streamed package by package: a report of more
/// distinct vulnerable packages than `MAX_KEPT` keeps `MAX_KEPT`, counts the rest by
/// severity, and says so; its informational entries are capped the same way.
#[test]
fn npm_audit_is_streamed_and_packages_beyond_the_cap_are_counted() {
    use gonogo_ingest::audit::MAX_KEPT;
    use gonogo_ingest::parse_reader;
    let n = MAX_KEPT + 1236;
    let n_info = MAX_KEPT + 7;
    let mut text = String::from(r#"{"auditReportVersion":2,"vulnerabilities":{"#);
    for i in 0..n {
        let severity = ["critical", "high", "moderate", "low"][i % 4];
        text.push_str(&format!(
            r#""pkg-{i}":{{"name":"pkg-{i}","severity":"{severity}","via":[{{"source":{i},"title":"t{i}","url":"https://github.com/advisories/GHSA-{i}"}}],"range":"<1.0.0"}},"#
        ));
    }
    for i in 0..n_info {
        text.push_str(&format!(
            r#""info-{i}":{{"name":"info-{i}","severity":"info","via":[]}},"#
        ));
    }
    text.pop();
    let quarter = (n / 4) as u64;
    text.push_str(&format!(
        r#"}},"metadata":{{"vulnerabilities":{{"info":{n_info},"low":{quarter},"moderate":{quarter},"high":{quarter},"critical":{quarter},"total":{n}}},"dependencies":{{"prod":{n},"total":{total}}}}}}}"#,
        total = n + n_info
    ));
    assert_eq!(n % 4, 0, "the metadata declares n / 4 per severity");
    let parsed = parse_reader(Kind::NpmAudit, text.as_bytes()).unwrap();
    assert_eq!(parsed.details["audit_tool"], "npm audit (v7+)");
    assert_eq!(parsed.details["vulnerability_count"], n as u64);
    assert_eq!(parsed.details["dependencies_checked"], (n + n_info) as u64);
    assert_eq!(
        parsed.details["warnings"].as_array().unwrap().len(),
        0,
        "the declared totals match what was read: {}",
        parsed.details["warnings"]
    );
    assert_eq!(
        parsed.details["truncated"],
        format!(
            "truncated: {} vulnerabilities beyond {MAX_KEPT} counted by severity, not listed; \
             ignore rules were not applied to them. truncated: 7 informational entries beyond \
             {MAX_KEPT} not listed",
            n - MAX_KEPT
        )
    );
    assert_eq!(
        parsed.details["informational"].as_array().unwrap().len(),
        MAX_KEPT
    );
    let q = quarter as f64;
    assert_eq!(parsed_values(&parsed), [q, q, q, q, 0.0]);
}

/// Defect 4 (issue 15): npm audit 6 (`advisories`, one entry per advisory) and osv-scanner
/// (`results[].packages[]`) are streamed too: more entries than `MAX_KEPT` are all counted.
#[test]
fn npm_6_and_osv_are_streamed_and_entries_beyond_the_cap_are_counted() {
    use gonogo_ingest::audit::MAX_KEPT;
    use gonogo_ingest::parse_reader;
    let n = MAX_KEPT + 501;
    let mut text = String::from(r#"{"advisories":{"#);
    for i in 0..n {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#""{i}":{{"module_name":"m{i}","severity":"high","url":"https://npmjs.com/advisories/{i}","cves":["CVE-2026-{i}"]}}"#
        ));
    }
    text.push_str(r#"},"metadata":{"dependencies":40,"devDependencies":2}}"#);
    let parsed = parse_reader(Kind::NpmAudit, text.as_bytes()).unwrap();
    assert_eq!(parsed.details["audit_tool"], "npm audit (v6)");
    assert_eq!(parsed.details["vulnerability_count"], n as u64);
    assert_eq!(parsed.details["dependencies_checked"], 42);
    assert!(
        parsed.details["truncated"]
            .as_str()
            .unwrap()
            .starts_with("truncated: 501 vulnerabilities beyond "),
        "{}",
        parsed.details["truncated"]
    );

    // osv-scanner: many results, each with a few packages, each with one group.
    let packages = MAX_KEPT + 99;
    let mut text = String::from(r#"{"results":["#);
    for i in 0..packages {
        if i % 3 == 0 {
            if i > 0 {
                text.push_str("]},");
            }
            text.push_str(&format!(
                r#"{{"source":{{"path":"lock{i}","type":"lockfile"}},"packages":["#
            ));
        } else {
            text.push(',');
        }
        let score = ["9.8", "7.5", "5.0", "2.0", ""][i % 5];
        text.push_str(&format!(
            r#"{{"package":{{"name":"p{i}","version":"1.0.{i}","ecosystem":"npm"}},"vulnerabilities":[{{"id":"GHSA-{i}","summary":"s{i}","aliases":["CVE-{i}"]}},{{"id":"CVE-{i}"}}],"groups":[{{"ids":["GHSA-{i}","CVE-{i}"],"max_severity":"{score}"}}]}}"#
        ));
    }
    text.push_str("]}]}");
    let parsed = parse_reader(Kind::Osv, text.as_bytes()).unwrap();
    assert_eq!(parsed.details["audit_tool"], "osv-scanner");
    assert_eq!(parsed.details["vulnerability_count"], packages as u64);
    assert!(parsed.incomplete.is_empty(), "{:?}", parsed.incomplete);
    assert_eq!(
        parsed.details["truncated"],
        format!(
            "truncated: 99 vulnerabilities beyond {MAX_KEPT} counted by severity, not listed; \
             ignore rules were not applied to them"
        )
    );
    let per_band = (packages / 5) as f64;
    let expected = [per_band; 5];
    assert_eq!(
        packages % 5,
        4,
        "bands 0..4 get one more each except the last"
    );
    let got = parsed_values(&parsed);
    assert_eq!(
        got,
        [
            expected[0] + 1.0,
            expected[1] + 1.0,
            expected[2] + 1.0,
            expected[3] + 1.0,
            expected[4]
        ]
    );
}

/// A report whose shape is not the one named is refused, streamed or not.
#[test]
fn streamed_npm_and_osv_refuse_other_shapes() {
    use gonogo_ingest::{ParseError, audit};
    for text in [r#"[1,2]"#, r#"{"vulns":{}}"#, "3"] {
        let wrong = |result: Result<audit::AuditSummary, ParseError>| {
            matches!(result, Err(ParseError::WrongKind { .. }))
        };
        assert!(wrong(audit::npm_audit_stream(text.as_bytes())), "{text}");
        assert!(wrong(audit::osv_stream(text.as_bytes())), "{text}");
    }
    // `results` that is not a list is not an osv-scanner report.
    assert!(matches!(
        audit::osv_stream(r#"{"results":{"packages":[]}}"#.as_bytes()),
        Err(ParseError::WrongKind { .. })
    ));
    // A report with no package says so instead of claiming a clean scan.
    let empty = audit::osv_stream(r#"{"results":[{"packages":[]}]}"#.as_bytes()).unwrap();
    assert_eq!(empty.incomplete.len(), 1);
}
