//! Recognising a format from the first bytes of its content (never from the file name).
//!
//! [`sniff`] looks at a prefix (the first buffer the reader fills, up to 256 KiB):
//!
//! - XML: the first element's name. `testsuites`/`testsuite` → JUnit, `report` → JaCoCo,
//!   `coverage` → Clover when the root has a `clover` attribute or its first child element is
//!   `project` (PHPUnit's Clover has neither `clover` nor Cobertura's `line-rate`), else
//!   Cobertura (whose children are `sources`/`packages`).
//! - LCOV: a first record line such as `TN:`, `SF:`, `VER:` or `DA:`.
//! - CSV: a header line naming `workflow` and `conclusion`: the generic CI run history.
//! - Load tools' raw results by their first line (k6 CSV, JTL, hey, Locust, Gatling's text
//!   `RUN`...), and Gatling 3.13+'s binary `simulation.log` by its run record (byte 0, then
//!   Gatling's version as a short Latin-1 string).
//! - JSON: characteristic keys. SARIF has `"runs"` with a `"version"` of `2.1.0` or a
//!   `$schema` mentioning sarif; npm audit v7 `"auditReportVersion"`, v6 `"advisories"`;
//!   cargo-audit `"vulnerabilities"` with `"dependency-count"`/`"advisory-count"`; pip-audit `"dependencies"`
//!   with `"vulns"` or `"skip_reason"`; osv-scanner `"results"` with `"packages"`; k6
//!   `"metrics"` with `"root_group"`; CI run histories: GitHub's `"workflow_runs"`, `gh run
//!   list`'s `"workflowName"` or `"databaseId"` with `"headBranch"`, an array of GitLab
//!   pipelines (`"ref"`, `"status"` and `"web_url"` or `"sha"`). An npm error document (`"statusCode"` and `"error"`)
//!   is recognised as such ([`Detected::NotRun`]) so it is refused as no evidence.

use crate::Kind;

/// What a prefix looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    Known(Kind),
    /// Something recognisable that gonogo does not read; the text says what.
    Other(&'static str),
    /// A tool's report that says the tool did not run (npm's error document): no evidence.
    NotRun(&'static str),
    Empty,
    Unknown,
}

/// Recognises the format of `prefix`.
pub fn sniff(prefix: &[u8]) -> Detected {
    let text = strip_bom(prefix);
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Detected::Empty;
    };
    let text = &text[start..];
    match text[0] {
        b'<' => sniff_xml(text),
        b'{' | b'[' => sniff_json(text),
        _ => sniff_lines(text),
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes)
}

fn sniff_xml(text: &[u8]) -> Detected {
    let mut rest = text;
    // Skip declarations, comments, processing instructions and the DOCTYPE.
    loop {
        let Some(open) = rest.iter().position(|&b| b == b'<') else {
            return Detected::Unknown;
        };
        rest = &rest[open + 1..];
        match rest.first() {
            Some(b'?') | Some(b'!') => {
                if rest.starts_with(b"!--") {
                    match find(rest, b"-->") {
                        Some(end) => rest = &rest[end + 3..],
                        None => return Detected::Unknown,
                    }
                } else {
                    match rest.iter().position(|&b| b == b'>') {
                        Some(end) => rest = &rest[end + 1..],
                        None => return Detected::Unknown,
                    }
                }
            }
            Some(_) => break,
            None => return Detected::Unknown,
        }
    }
    let end = rest
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        .unwrap_or(rest.len());
    let name = String::from_utf8_lossy(&rest[..end]);
    let local = name.rsplit(':').next().unwrap_or(&name);
    match local {
        "testsuites" | "testsuite" | "testrun" => Detected::Known(Kind::Junit),
        "coverage" if is_clover(&rest[end..]) => Detected::Known(Kind::Clover),
        "coverage" => Detected::Known(Kind::Cobertura),
        "testResults" => Detected::Known(Kind::Jmeter),
        "report" => Detected::Known(Kind::Jacoco),
        other => match crate::xml::describe_root(other) {
            Some((description, _)) => Detected::Other(description),
            None => Detected::Other("an XML document of an unknown kind"),
        },
    }
}

/// Whether a `<coverage` root, from just after its name, is Clover's: a `clover` attribute,
/// or a first child element `project`/`testproject`.
fn is_clover(after_name: &[u8]) -> bool {
    // The root's attributes, up to its `>` (outside quotes).
    let mut quote = None;
    let mut end = None;
    for (i, &b) in after_name.iter().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => {
                end = Some(i);
                break;
            }
            _ => {}
        }
    }
    let Some(end) = end else {
        return false;
    };
    let attributes = &after_name[..end];
    let has_attribute = |name: &[u8]| {
        attributes
            .windows(name.len() + 1)
            .enumerate()
            .any(|(i, w)| {
                w[..name.len()] == *name
                    && (w[name.len()] == b'=' || w[name.len()].is_ascii_whitespace())
                    && (i == 0 || attributes[i - 1].is_ascii_whitespace())
            })
    };
    if has_attribute(b"clover") {
        return true;
    }
    if has_attribute(b"line-rate") || has_attribute(b"lines-valid") {
        return false;
    }
    // The first child element, past whitespace and comments.
    let mut rest = &after_name[end + 1..];
    loop {
        let Some(open) = rest.iter().position(|&b| b == b'<') else {
            return false;
        };
        rest = &rest[open + 1..];
        if rest.starts_with(b"!--") {
            match find(rest, b"-->") {
                Some(close) => rest = &rest[close + 3..],
                None => return false,
            }
            continue;
        }
        if rest.starts_with(b"?") {
            continue;
        }
        let name_end = rest
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
            .unwrap_or(rest.len());
        let name = &rest[..name_end];
        let local = match name.iter().rposition(|&b| b == b':') {
            Some(colon) => &name[colon + 1..],
            None => name,
        };
        return local == b"project" || local == b"testproject";
    }
}

fn sniff_lines(text: &[u8]) -> Detected {
    let first_line = text.split(|&b| b == b'\n').next().unwrap_or(b"");
    if let Some(found) = sniff_load_lines(text, first_line) {
        return found;
    }
    const RECORDS: [&[u8]; 8] = [
        b"TN:", b"SF:", b"VER:", b"DA:", b"FN:", b"FNDA:", b"BRDA:", b"LF:",
    ];
    if RECORDS.iter().any(|record| first_line.starts_with(record)) {
        return Detected::Known(Kind::Lcov);
    }
    let header = String::from_utf8_lossy(first_line).to_ascii_lowercase();
    let columns: Vec<&str> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    if columns.contains(&"workflow") && columns.contains(&"conclusion") {
        return Detected::Known(Kind::CiHistory);
    }
    Detected::Unknown
}

/// The line formats of load tools' raw results, from their first line.
fn sniff_load_lines(text: &[u8], first_line: &[u8]) -> Option<Detected> {
    if crate::loadlog::gatling::binary::looks_binary(text) {
        return Some(Detected::Known(Kind::Gatling));
    }
    if text.first().is_some_and(|&b| b < 0x09) {
        return Some(Detected::Other(
            "a binary file of an unknown kind (not a Gatling 3.13+ binary simulation.log, which starts with its run record and Gatling's version)",
        ));
    }
    let starts = |prefix: &[u8]| first_line.starts_with(prefix);
    if starts(b"metric_name,timestamp,metric_value") {
        return Some(Detected::Known(Kind::K6Csv));
    }
    if [b',', b'\t', b';', b'|']
        .iter()
        .any(|&d| starts(&[b"timeStamp".as_slice(), &[d]].concat()))
    {
        return Some(Detected::Known(Kind::Jmeter));
    }
    if starts(b"response-time,DNS+dialup") {
        return Some(Detected::Known(Kind::Hey));
    }
    if starts(b"Type,Name,Request Count") || starts(b"Timestamp,User Count,Type,Name") {
        return Some(Detected::Known(Kind::Locust));
    }
    if starts(b"RUN\t") || starts(b"REQUEST\t") || starts(b"USER\t") {
        return Some(Detected::Known(Kind::Gatling));
    }
    // vegeta encode --to csv: `1700000000000000000,200,1234567,...` (ns, code, ns).
    let mut fields = first_line.split(|&b| b == b',');
    let digits = |field: Option<&[u8]>, min: usize, max: usize| {
        field.is_some_and(|f| (min..=max).contains(&f.len()) && f.iter().all(u8::is_ascii_digit))
    };
    if digits(fields.next(), 16, 20) && digits(fields.next(), 1, 3) && digits(fields.next(), 1, 20)
    {
        return Some(Detected::Known(Kind::Vegeta));
    }
    None
}

fn sniff_json(text: &[u8]) -> Detected {
    let has = |needle: &str| find(text, needle.as_bytes()).is_some();
    let first_line = text.split(|&b| b == b'\n').next().unwrap_or(b"");
    let line_has = |needle: &str| find(first_line, needle.as_bytes()).is_some();
    if line_has("\"metric\":\"")
        && (line_has("\"type\":\"Metric\"") || line_has("\"type\":\"Point\""))
    {
        return Detected::Known(Kind::K6Json);
    }
    if line_has("\"latency\":") && line_has("\"code\":") && line_has("\"timestamp\":") {
        return Detected::Known(Kind::Vegeta);
    }
    if has("\"runs\"") && (has("sarif") || has("\"2.1.0\"")) {
        return Detected::Known(Kind::Sarif);
    }
    if has("\"statusCode\"") && has("\"error\"") && !has("\"vulnerabilities\"") {
        return Detected::NotRun(
            "npm audit wrote an error document instead of a report: the audit did not run",
        );
    }
    if has("\"auditReportVersion\"") || (has("\"advisories\"") && has("\"metadata\"")) {
        return Detected::Known(Kind::NpmAudit);
    }
    if has("\"results\"") && has("\"packages\"") {
        return Detected::Known(Kind::Osv);
    }
    if has("\"vulnerabilities\"") && (has("\"dependency-count\"") || has("\"advisory-count\"")) {
        return Detected::Known(Kind::CargoAudit);
    }
    if has("\"dependencies\"") && (has("\"vulns\"") || has("\"skip_reason\"")) {
        return Detected::Known(Kind::PipAudit);
    }
    if has("\"metrics\"")
        && (has("\"root_group\"") || has("\"http_reqs\"") || has("\"iterations\""))
    {
        return Detected::Known(Kind::K6);
    }
    if has("\"workflow_runs\"")
        || has("\"workflowName\"")
        || (has("\"databaseId\"") && has("\"headBranch\""))
        || (text[0] == b'['
            && has("\"ref\"")
            && has("\"status\"")
            && (has("\"web_url\"") || has("\"sha\"")))
    {
        return Detected::Known(Kind::CiHistory);
    }
    if has("\"gonogo_evidence\"") {
        return Detected::Other("a gonogo evidence file");
    }
    Detected::Other("a JSON document of an unknown kind")
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_formats() {
        let cases: &[(&str, Detected)] = &[
            (
                "<?xml version=\"1.0\"?>\n<!-- c --><testsuites>",
                Detected::Known(Kind::Junit),
            ),
            (
                "\u{feff}<testsuite name=\"x\">",
                Detected::Known(Kind::Junit),
            ),
            (
                "<?xml version=\"1.0\" ?>\n<!DOCTYPE coverage SYSTEM \"http://x/coverage-04.dtd\">\n<coverage>",
                Detected::Known(Kind::Cobertura),
            ),
            (
                "<?xml version=\"1.0\"?><!DOCTYPE report PUBLIC \"-//JACOCO//DTD Report 1.1//EN\" \"report.dtd\"><report name=\"x\">",
                Detected::Known(Kind::Jacoco),
            ),
            (
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<coverage generated=\"1796551150\">\n  <project timestamp=\"1796551150\">",
                Detected::Known(Kind::Clover),
            ),
            (
                "<coverage generated=\"1\" clover=\"3.2.0\">",
                Detected::Known(Kind::Clover),
            ),
            (
                "<coverage line-rate=\"0.6\" version=\"0.4\" timestamp=\"1\">\n  <sources>",
                Detected::Known(Kind::Cobertura),
            ),
            (
                "<coverage version='7.6' timestamp='1'><!-- project --><packages>",
                Detected::Known(Kind::Cobertura),
            ),
            ("TN:\nSF:a.c\n", Detected::Known(Kind::Lcov)),
            ("SF:a.py\nDA:1,1\n", Detected::Known(Kind::Lcov)),
            (
                "{\"version\":\"2.1.0\",\"runs\":[]}",
                Detected::Known(Kind::Sarif),
            ),
            (
                "{\"auditReportVersion\":2,\"vulnerabilities\":{}}",
                Detected::Known(Kind::NpmAudit),
            ),
            (
                "{\"database\":{\"advisory-count\":1},\"lockfile\":{\"dependency-count\":3},\"vulnerabilities\":{}}",
                Detected::Known(Kind::CargoAudit),
            ),
            (
                "{\"dependencies\":[{\"name\":\"a\",\"vulns\":[]}]}",
                Detected::Known(Kind::PipAudit),
            ),
            (
                "{\"results\":[{\"packages\":[]}]}",
                Detected::Known(Kind::Osv),
            ),
            (
                "{\"root_group\":{},\"metrics\":{}}",
                Detected::Known(Kind::K6),
            ),
            (
                "{\"total_count\":1,\"workflow_runs\":[]}",
                Detected::Known(Kind::CiHistory),
            ),
            (
                "[{\"databaseId\":1,\"headBranch\":\"main\"}]",
                Detected::Known(Kind::CiHistory),
            ),
            (
                "[{\"id\":1,\"ref\":\"main\",\"status\":\"success\",\"web_url\":\"u\"}]",
                Detected::Known(Kind::CiHistory),
            ),
            (
                "workflow,branch,conclusion,started_at,finished_at\n",
                Detected::Known(Kind::CiHistory),
            ),
            ("", Detected::Empty),
            ("hello", Detected::Unknown),
        ];
        for (text, expected) in cases {
            assert_eq!(sniff(text.as_bytes()), *expected, "{text}");
        }
        assert!(matches!(
            sniff(b"{\"statusCode\":405,\"error\":{}}"),
            Detected::NotRun(_)
        ));
    }

    #[test]
    fn test_reports_of_other_frameworks_are_named() {
        let cases: &[(&str, &str)] = &[
            (
                "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"no\"?>\n<!--This file represents the results of running a test suite-->\n<test-results name=\"Tests.dll\" total=\"10\">",
                "NUnit 2 XML",
            ),
            ("<test-run id=\"2\" testcasecount=\"3\">", "NUnit 3 XML"),
            ("<assemblies><assembly name=\"x\">", "xUnit.net XML"),
        ];
        for (text, name) in cases {
            assert_eq!(sniff(text.as_bytes()), Detected::Other(name), "{text}");
        }
    }
}
