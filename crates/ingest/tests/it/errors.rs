//! Bad input: malformed, truncated, empty, the wrong kind, hostile XML. Never a panic,
//! always the file, a line, a column and an excerpt, or a clear "no evidence".

use std::path::PathBuf;

use gonogo_ingest::{IngestError, Kind, collect_file};

/// Writes `content` to a fresh temporary file named `name`.
fn temp_file(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn error_of(kind: Kind, name: &str, content: &[u8]) -> IngestError {
    let dir = tempfile::tempdir().unwrap();
    let path = temp_file(&dir, name, content);
    match collect_file(kind, &path) {
        Ok(evidence) => panic!("{name}: expected an error, got {:?}", evidence.metrics),
        Err(error) => error,
    }
}

#[test]
fn malformed_xml_points_at_line_column_and_excerpt() {
    let xml = b"<?xml version=\"1.0\"?>\n<testsuite name=\"s\">\n  <testcase name=\"a\" time=\"1\"/>\n  <testcase name=\"b\"></testsuite>\n";
    match error_of(Kind::Junit, "bad.xml", xml) {
        IngestError::Malformed {
            path,
            line,
            column,
            excerpt,
            message,
            ..
        } => {
            assert!(path.ends_with("bad.xml"));
            assert_eq!(line, 4, "{message}");
            assert!(column > 1, "{column}");
            assert!(excerpt.contains("</testsuite>"), "{excerpt}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn truncated_file_is_malformed_not_partial_evidence() {
    let xml = b"<testsuites><testsuite><testcase name=\"a\"/><testcase name=\"b\"><failure>boo";
    let error = error_of(Kind::Junit, "cut.xml", xml);
    assert_eq!(error.code(), "malformed");
    assert!(error.to_string().contains("truncated"), "{error}");
}

#[test]
fn empty_zero_tests_and_all_skipped_are_no_evidence() {
    for (name, content, reason) in [
        ("empty.xml", &b""[..], "empty"),
        ("blank.xml", &b"\n\n  \n"[..], "empty"),
        ("zero.xml", &b"<testsuite name=\"JUnit Vintage\" tests=\"0\"/>"[..], "no testcase"),
        (
            "skipped.xml",
            &b"<testsuites><testsuite><testcase name=\"a\"><skipped/></testcase></testsuite></testsuites>"[..],
            "all 1 tests were skipped",
        ),
    ] {
        let error = error_of(Kind::Junit, name, content);
        assert_eq!(error.code(), "no-evidence", "{name}: {error}");
        assert!(error.to_string().contains(reason), "{name}: {error}");
    }
    assert_eq!(
        error_of(Kind::Lcov, "empty.info", b"").code(),
        "no-evidence"
    );
    assert_eq!(
        error_of(Kind::Sarif, "empty.sarif", b"").code(),
        "no-evidence"
    );
    assert_eq!(
        error_of(Kind::Lcov, "nolines.info", b"SF:a.c\nend_of_record\n").code(),
        "no-evidence"
    );
}

#[test]
fn external_entities_and_entity_expansion_are_never_followed() {
    // An XXE payload: the entity would read /etc/passwd; a billion-laughs bomb beside it.
    let dir = tempfile::tempdir().unwrap();
    let secret = temp_file(&dir, "secret.txt", b"TOP-SECRET-CONTENT");
    let xml = format!(
        r#"<?xml version="1.0"?>
<!DOCTYPE testsuite [
  <!ENTITY xxe SYSTEM "file://{}">
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuite name="&xxe;">
  <testcase name="reads &xxe;" classname="&lol3;"><failure message="&xxe;">&xxe; &lol3;</failure></testcase>
  <testcase name="ok"/>
</testsuite>"#,
        secret.display()
    );
    let path = temp_file(&dir, "xxe.xml", xml.as_bytes());
    let evidence = collect_file(Kind::Junit, &path).unwrap();
    let details = evidence.details.to_string();
    assert!(!details.contains("TOP-SECRET"), "{details}");
    assert!(!details.contains("lollol"), "{details}");
    assert!(
        details.contains("&xxe;"),
        "the reference stays literal: {details}"
    );
    assert_eq!(evidence.details["testcases"], 2);
}

#[test]
fn malformed_json_points_at_line_and_column() {
    let json =
        b"{\n  \"version\": \"2.1.0\",\n  \"runs\": [ {\"results\": [ {\"ruleId\": } ] } ]\n}\n";
    match error_of(Kind::Sarif, "bad.sarif", json) {
        IngestError::Malformed {
            line,
            column,
            excerpt,
            ..
        } => {
            assert_eq!(line, 3);
            assert!(column > 30, "{column}");
            assert!(excerpt.contains("\"ruleId\": }"), "{excerpt}");
        }
        other => panic!("{other}"),
    }
    let error = error_of(
        Kind::NpmAudit,
        "bad.json",
        b"{\"auditReportVersion\": 2, \"vulnerabilities\": {",
    );
    assert_eq!(error.code(), "malformed");
}

#[test]
fn wrong_kinds_say_what_they_are() {
    let cases: [(Kind, &[u8], &str); 6] = [
        (
            Kind::Junit,
            b"<?xml version=\"1.0\"?><report name=\"x\"></report>",
            "this is JaCoCo XML, not JUnit XML",
        ),
        (
            Kind::Cobertura,
            b"<testsuite><testcase name=\"a\"/></testsuite>",
            "this is JUnit XML, not Cobertura XML",
        ),
        (
            Kind::Sarif,
            b"TN:\nSF:a.c\nDA:1,1\nend_of_record\n",
            "this is an LCOV tracefile, not SARIF",
        ),
        (
            Kind::Junit,
            b"{\"version\":\"2.1.0\",\"runs\":[]}",
            "this is SARIF, not JUnit XML",
        ),
        (
            Kind::Junit,
            b"<html><body>404</body></html>",
            "this is an HTML page, not JUnit XML",
        ),
        (Kind::Auto, b"hello, world", "content of an unknown format"),
    ];
    for (kind, content, expected) in cases {
        let error = error_of(kind, "input", content);
        assert_eq!(error.code(), "wrong-kind", "{error}");
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn dialect_quirks_parse() {
    let dir = tempfile::tempdir().unwrap();
    // BOM, no declaration (Playwright), lower-case encoding, thousands separators in time
    // (Surefire 3.1.0), double-escaped text (node:test), CDATA and &#xA; newlines.
    let xml = "\u{feff}<testsuites id=\"\" name=\"\" tests=\"3\"><testsuite name=\"a &amp;amp; b\">\
        <testcase name=\"slow\" time=\"2,120.532\"/>\
        <testcase name=\"x\" time=\"\"><failure message=\"line1&#xA;line2\"><![CDATA[stack <here>]]></failure></testcase>\
        <testcase name=\"y\" time=\"0.010548482\"><error type=\"E\"/></testcase></testsuite></testsuites>";
    let path = temp_file(&dir, "quirks.xml", xml.as_bytes());
    let evidence = collect_file(Kind::Junit, &path).unwrap();
    assert_eq!(evidence.details["failed"], 1);
    assert_eq!(evidence.details["errored"], 1);
    assert_eq!(evidence.tool.name, "playwright");
    let duration = crate::value(&evidence, "tests.duration");
    assert!((duration - 2120.542548482).abs() < 1e-9, "{duration}");
    let failing = evidence.details["failing"].as_array().unwrap();
    assert_eq!(failing[0]["message"], "line1\nline2\nstack <here>");
    assert_eq!(evidence.details["slowest"][0]["name"], "slow");
}

#[test]
fn hash_is_of_the_file_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let content = b"<testsuite><testcase name=\"a\"/></testsuite>\n<!-- trailing comment -->\n";
    let path = temp_file(&dir, "h.xml", content);
    let evidence = collect_file(Kind::Junit, &path).unwrap();
    assert_eq!(evidence.sha256, gonogo_core::evidence::sha256_hex(content));
}

/// Defects 3 and 11 (issue 15): an LCOV line's control characters and terminal escapes are
/// neither dropped nor passed through: the error's message and excerpt show them escaped
/// (`\x1b`), visible and inert, as everywhere else gonogo prints untrusted text.
#[test]
fn issue_15_defect_11_lcov_excerpt_control_characters_are_inert_not_dropped() {
    let lcov = b"SF:a.c\nDA:1\x1b]0;pwned\x07\x1b[2J,1\nend_of_record\n";
    let error = error_of(Kind::Lcov, "escapes.info", lcov);
    let IngestError::Malformed {
        line,
        excerpt,
        message,
        ..
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(*line, 2);
    assert_eq!(excerpt, "DA:1\\x1b]0;pwned\\x07\\x1b[2J,1");
    assert!(message.contains("1\\x1b]0;pwned\\x07\\x1b[2J"), "{message}");
    let text = error.to_string();
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
}

/// Defect 1 (issue 15): a device is refused at once, by what it is, never read to its end.
#[test]
fn collect_refuses_dev_zero_at_once() {
    for kind in [Kind::Auto, Kind::Lcov, Kind::Junit, Kind::Sarif] {
        for device in ["/dev/zero", "/dev/urandom"] {
            let error = gonogo_ingest::collect_path(kind, device).unwrap_err();
            let text = error.to_string();
            assert_eq!(error.code(), "io", "{text}");
            assert!(text.starts_with(device), "{text}");
            assert!(text.contains("is a character device"), "{text}");
            // The file-level entry point refuses it too (it would read forever otherwise).
            let text = collect_file(kind, std::path::Path::new(device))
                .unwrap_err()
                .to_string();
            assert!(text.contains("is a character device"), "{text}");
        }
    }
}

/// Defect 16 (issue 15): a FIFO is named as one (not "no such file or folder"), and refused
/// without being opened (opening it would wait for a writer that never comes).
#[test]
fn collect_names_a_fifo_and_does_not_wait_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("results.xml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo (coreutils) runs");
    assert!(status.success());
    let error = gonogo_ingest::collect_path(Kind::Junit, fifo.to_str().unwrap()).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("is a FIFO (named pipe)"), "{text}");
    assert!(!text.contains("no such file"), "{text}");
    let text = collect_file(Kind::Junit, &fifo).unwrap_err().to_string();
    assert!(text.contains("is a FIFO (named pipe)"), "{text}");
    // A missing file is still called missing.
    let missing = dir.path().join("absent.xml");
    let text = gonogo_ingest::collect_path(Kind::Junit, missing.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(text.contains("no such file or folder"), "{text}");
}

/// A JUnit file made lazily from pieces (`Bytes` kept as is, `Repeat(byte, n)` generated as
/// it is read), so a huge input never exists in memory.
fn lazy(pieces: Vec<Piece>) -> impl std::io::BufRead {
    use std::io::Read;
    let mut reader: Box<dyn Read> = Box::new(std::io::empty());
    for piece in pieces {
        reader = match piece {
            Piece::Bytes(bytes) => Box::new(reader.chain(std::io::Cursor::new(bytes))),
            Piece::Repeat(byte, n) => Box::new(reader.chain(std::io::repeat(byte).take(n))),
        };
    }
    std::io::BufReader::new(reader)
}

enum Piece {
    Bytes(Vec<u8>),
    Repeat(u8, u64),
}

fn bytes(text: &str) -> Piece {
    Piece::Bytes(text.as_bytes().to_vec())
}

/// Defect 4 (issue 15): a huge `<failure>` body, attribute, comment, CDATA section or tag is
/// cut to a bounded excerpt before quick-xml buffers it; every testcase is still counted and
/// the record says what was cut.
#[test]
fn junit_huge_failure_body_and_attribute_keep_a_bounded_excerpt() {
    const HUGE: u64 = 24 << 20;
    let input = lazy(vec![
        bytes("<?xml version=\"1.0\"?>\n<testsuite name=\"s\" tests=\"4\">\n"),
        bytes("<!-- "),
        Piece::Repeat(b'c', HUGE),
        bytes(" -->\n<testcase name=\"body\"><failure message=\"boom\">caf\u{e9} &amp; "),
        Piece::Repeat(b'x', HUGE),
        bytes("</failure></testcase>\n<testcase name=\"attribute\"><failure message=\""),
        Piece::Repeat(b'y', HUGE),
        bytes("\">short</failure></testcase>\n<testcase name=\"cdata\"><error><![CDATA["),
        Piece::Repeat(b'z', HUGE),
        bytes("]]></error></testcase>\n<testcase name=\"many-attributes\""),
        Piece::Bytes(b" a=\"0123456789\"".repeat(600_000)),
        bytes("/>\n</testsuite>\n"),
    ]);
    let summary = gonogo_ingest::junit::parse(input).unwrap();
    assert_eq!(summary.testcases, 4);
    assert_eq!((summary.failed, summary.errored, summary.passed), (2, 1, 1));
    let warning = summary
        .warnings
        .iter()
        .find(|w| w.starts_with("truncated:"))
        .unwrap_or_else(|| panic!("no truncation warning: {:?}", summary.warnings));
    assert!(
        warning.contains("5 texts, attribute values or tags"),
        "{warning}"
    );
    // The messages the record keeps are short excerpts.
    for case in &summary.failing {
        let message = case.message.as_deref().unwrap_or("");
        assert!(
            message.len() <= 4096,
            "{}: {} bytes",
            case.name,
            message.len()
        );
    }
}
