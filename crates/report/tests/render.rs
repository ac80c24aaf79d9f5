//! Renders the shared fixture in every format: snapshots, and checks by independent readers
//! (quick-xml, Python's junitparser, the JSON Schema).

mod common;

use gonogo_report::EvidenceMap;

use gonogo_report::i18n::Lang;
use gonogo_report::{html, json};

#[test]
fn fixture_has_every_status() {
    let (doc, _) = common::fixture();
    let statuses: std::collections::BTreeSet<&str> =
        doc.gates.iter().map(|g| g.status.as_str()).collect();
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        ["fail", "inconclusive", "missing", "pass", "waived"]
    );
    assert_eq!(doc.verdict, "NO-GO");
}

#[test]
fn markdown_snapshot() {
    let (doc, _) = common::fixture();
    insta::assert_snapshot!(
        "markdown_en",
        common::md(&doc, &EvidenceMap::new(), Lang::En)
    );
    insta::assert_snapshot!(
        "markdown_zh_cn",
        common::md(&doc, &EvidenceMap::new(), Lang::ZhCn)
    );
}

/// The HTML page of the fixture, without the evidence records (so without charts: the charts
/// have their own tests), as a reviewer reads it: banner, areas, ranked blockers, every gate
/// and the evidence list, in both languages.
#[test]
fn html_snapshot() {
    let (doc, _) = common::fixture();
    insta::assert_snapshot!("html_en", common::html(&doc, &EvidenceMap::new(), Lang::En));
    insta::assert_snapshot!(
        "html_zh_cn",
        common::html(&doc, &EvidenceMap::new(), Lang::ZhCn)
    );
}

#[test]
fn junit_snapshot() {
    let (doc, _) = common::fixture();
    insta::assert_snapshot!("junit_en", common::junit(&doc, Lang::En));
}

#[test]
fn json_snapshot() {
    let (doc, evidence) = common::fixture();
    let text = common::render(&doc, &evidence, gonogo_report::cli::Format::Json, Lang::En);
    insta::assert_snapshot!("json", text);
}

#[test]
fn json_output_matches_the_committed_schema() {
    let (doc, evidence) = common::fixture();
    let schema_text =
        std::fs::read_to_string(common::workspace_root().join("schemas/verdict.schema.json"))
            .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let text = common::render(&doc, &evidence, gonogo_report::cli::Format::Json, Lang::En);
    let instance: serde_json::Value = serde_json::from_str(&text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is not vacuous: a verdict without its version is rejected.
    let mut broken = instance.clone();
    broken.as_object_mut().unwrap().remove("gonogo_verdict");
    assert!(!validator.is_valid(&broken));
    // And the text reads back as the same document.
    let back = json::parse_document(&text).unwrap();
    assert_eq!(back.gates.len(), doc.gates.len());
}

/// A testcase as read back: (classname, name, outcome, message).
type Case = (String, String, String, String);

fn expected_cases() -> Vec<Case> {
    let (doc, _) = common::fixture();
    doc.gates
        .iter()
        .map(|g| {
            // Issue 17: a warn gate that is not a pass is skipped ("warning, not blocking"),
            // never a failure that turns a CI reporter red.
            let outcome = match (g.status.as_str(), g.severity.as_str()) {
                ("pass", _) => "passed",
                ("waived", _) | (_, "warn") => "skipped",
                _ => "failure",
            };
            (
                g.area.clone(),
                g.name.clone(),
                outcome.to_owned(),
                String::new(),
            )
        })
        .collect()
}

#[test]
fn junit_reads_back_with_quick_xml() {
    use quick_xml::events::Event;
    let (doc, _) = common::fixture();
    let text = common::junit(&doc, Lang::En);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut cases: Vec<Case> = Vec::new();
    let mut suites_failures = None;
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attribute = |name: &str| {
                    e.try_get_attribute(name)
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().into_owned())
                };
                match e.name().as_ref() {
                    b"testsuites" => suites_failures = attribute("failures"),
                    b"testcase" => cases.push((
                        attribute("classname").unwrap(),
                        attribute("name").unwrap(),
                        "passed".into(),
                        String::new(),
                    )),
                    b"failure" => {
                        let case = cases.last_mut().unwrap();
                        case.2 = "failure".into();
                        case.3 = attribute("message").unwrap();
                    }
                    b"skipped" => {
                        let case = cases.last_mut().unwrap();
                        case.2 = "skipped".into();
                        case.3 = attribute("message").unwrap();
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let without_messages: Vec<Case> = cases
        .iter()
        .map(|c| (c.0.clone(), c.1.clone(), c.2.clone(), String::new()))
        .collect();
    assert_eq!(without_messages, expected_cases());
    assert_eq!(suites_failures.as_deref(), Some("3"));
    let warning = cases.iter().find(|c| c.1 == "checkout p99.9").unwrap();
    assert!(
        warning.3.starts_with("warning, not blocking: "),
        "{warning:?}"
    );
    let hostile = cases
        .iter()
        .find(|c| c.1 == common::HOSTILE_GATE_NAME)
        .unwrap();
    assert!(
        hostile.3.contains("search moves to the new index"),
        "{hostile:?}"
    );
    let availability = cases
        .iter()
        .find(|c| c.1 == "readiness availability")
        .unwrap();
    assert_eq!(
        availability.3,
        "fail: measured 84.62 % (11 of 13), threshold >= 99.9 %"
    );
}

#[test]
fn junit_reads_back_with_python_junitparser() {
    let (doc, _) = common::fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    std::fs::write(&path, common::junit(&doc, Lang::ZhCn)).unwrap();
    let script = r#"
import json, sys
from junitparser import JUnitXml, Failure, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
cases = []
for suite in xml:
    for case in suite:
        outcome, message = "passed", ""
        for result in case.result:
            if isinstance(result, Failure):
                outcome, message = "failure", result.message
            elif isinstance(result, Skipped):
                outcome, message = "skipped", result.message
        cases.append([case.classname, case.name, outcome, message])
print(json.dumps({"failures": xml.failures, "skipped": xml.skipped, "tests": xml.tests, "cases": cases}))
"#;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 runs (scripts/test installs the Python deps)");
    assert!(
        output.status.success(),
        "junitparser failed (hint: pip install junitparser, listed in scripts/deps/python.txt):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(parsed["tests"], 9);
    assert_eq!(parsed["failures"], 3);
    assert_eq!(parsed["skipped"], 2);
    let cases: Vec<Case> = serde_json::from_value(parsed["cases"].clone()).unwrap();
    let without_messages: Vec<Case> = cases
        .iter()
        .map(|c| (c.0.clone(), c.1.clone(), c.2.clone(), String::new()))
        .collect();
    assert_eq!(without_messages, expected_cases());
    let availability = cases
        .iter()
        .find(|c| c.1 == "readiness availability")
        .unwrap();
    assert_eq!(
        availability.3,
        "未通过：测量值 84.62 % (13 中的 11)，阈值 >= 99.9 %"
    );
}

#[test]
fn html_escapes_evidence_text_and_forbids_requests() {
    let (doc, evidence) = common::fixture();
    let page = common::html(&doc, &evidence, Lang::En);
    assert!(page.contains("&lt;script&gt;alert(&#39;gonogo&#39;)&lt;/script&gt; renders checkout"));
    assert!(!page.contains("<script>alert"));
    assert!(page.contains("search p95 &lt;fast&gt; | &quot;cheap&quot; &amp; *bold*"));
    // Exactly one script element: the hashed print helper.
    assert_eq!(page.matches("<script").count(), 1);
    assert!(page.contains(&format!(
        r#"<meta http-equiv="Content-Security-Policy" content="{}">"#,
        html::content_security_policy()
    )));
    // Nothing that could fetch: no external URL in src/href attributes.
    for attribute in ["src=\"http", "href=\"http", "url(", "@import", "src=\"//"] {
        assert!(!page.contains(attribute), "{attribute}");
    }
    // Charts for the histograms, the series, the outages, coverage and tests.
    for class in [
        "c-bar",
        "c-line",
        "c-threshold",
        "c-bad-fill",
        "c-good-fill",
        "c-track",
    ] {
        assert!(page.contains(class), "{class}");
    }
    // Tests (1), coverage (1), checkout latency (2), its series (throughput, and since issue 17
    // the share of errors on an axis of its own: 2), search latency (2), probe (1).
    assert_eq!(page.matches("<svg").count(), 9, "charts drawn");
    assert!(page.len() < 300_000, "{} bytes", page.len());
}

#[test]
fn chinese_pages_carry_no_english_catalogue_sentences() {
    let (doc, evidence) = common::fixture();
    let outputs = [
        common::html(&doc, &evidence, Lang::ZhCn),
        common::md(&doc, &EvidenceMap::new(), Lang::ZhCn),
        common::junit(&doc, Lang::ZhCn),
    ];
    assert!(outputs[0].contains(r#"<html lang="zh-CN">"#));
    assert!(outputs[0].contains("NO-GO：阻止发布的阻塞项共 3 个。"));
    for message in gonogo_report::i18n::Msg::ALL {
        let english = Lang::En.text(*message);
        // Long fixed sentences only: short words ("n", "Gate") also occur in data.
        if english.len() < 14 || english.contains('{') || english == Lang::ZhCn.text(*message) {
            continue;
        }
        for output in &outputs {
            assert!(!output.contains(english), "untranslated {english:?}");
        }
    }
}

#[test]
fn thousands_of_gates_render_in_linear_size() {
    let (mut doc, evidence) = common::fixture();
    let template = doc.gates.clone();
    doc.gates.clear();
    for i in 0..5_000 {
        let mut gate = template[i % template.len()].clone();
        gate.name = format!("{} #{i}", gate.name);
        doc.gates.push(gate);
    }
    let one = common::html(&common::fixture().0, &evidence, Lang::En).len();
    let page = common::html(&doc, &evidence, Lang::En);
    assert_eq!(page.matches("<details class=\"gate").count(), 5_000);
    // About two kilobytes per gate on top of the charts.
    assert!(page.len() < one + 5_000 * 2_500, "{} bytes", page.len());
}

#[test]
fn big_verdicts_fit_a_pull_request_comment() {
    let (mut doc, _) = common::fixture();
    let template = doc.gates.clone();
    doc.gates.clear();
    for i in 0..5_000 {
        let mut gate = template[i % template.len()].clone();
        gate.name = format!("{} #{i}", gate.name);
        doc.gates.push(gate);
    }
    let text = common::md(&doc, &EvidenceMap::new(), Lang::En);
    // GitHub's comment limit is 65,536 characters.
    assert!(
        text.chars().count() < 65_536,
        "{} characters",
        text.chars().count()
    );
    assert!(text.contains("Gates not listed here: "));
    // Non-passing gates come first: every listed row of the first area is not a pass.
    let rows = text.matches("| ✅ pass |").count();
    assert_eq!(rows, 0, "passing rows listed while failing ones were cut");
}

#[test]
fn html_without_the_evidence_says_which_records_are_missing() {
    let (doc, _) = common::fixture();
    let page = common::html(&doc, &gonogo_report::EvidenceMap::new(), Lang::En);
    assert_eq!(page.matches("<svg").count(), 0);
    for record in &doc.evidence {
        assert!(page.contains(&format!(
            "The evidence record with sha256 {} is not in the evidence folder",
            &record.sha256[..12]
        )));
    }
    // The verdict itself is all there.
    assert_eq!(
        page.matches("<details class=\"gate").count(),
        doc.gates.len()
    );
}

/// The "what would settle it" line is worded in the report's language from the verdict's
/// data; a verdict written before that data existed keeps its English sentence.
#[test]
fn settle_hints_follow_the_report_language() {
    let (mut doc, _) = common::fixture();
    let zh = common::md(&doc, &EvidenceMap::new(), Lang::ZhCn);
    assert!(
        zh.contains("若分布保持不变，还需约 1718 个样本（n ≈ 3718）"),
        "{zh}"
    );
    assert!(!zh.contains("needs about"), "{zh}");
    let en = common::md(&doc, &EvidenceMap::new(), Lang::En);
    assert!(en.contains("needs about 1718 more samples (n ≈ 3718) if the distribution holds"));

    let gate = doc
        .gates
        .iter_mut()
        .find(|g| g.settle_detail.as_ref().and_then(|d| d.more) == Some(1718))
        .unwrap();
    gate.settle_detail = Some(json::SettleV1 {
        kind: "on_threshold".into(),
        more: None,
        total: None,
        counted: None,
        mean: true,
    });
    assert!(
        common::md(&doc, &EvidenceMap::new(), Lang::ZhCn)
            .contains("均值正好落在阈值上：增加样本也无法判定")
    );

    for gate in &mut doc.gates {
        gate.settle_detail = None;
    }
    let old = common::md(&doc, &EvidenceMap::new(), Lang::ZhCn);
    assert!(
        old.contains("needs about 1718 more samples (n ≈ 3718)"),
        "{old}"
    );
}

/// The core's rules are worded in the report's language; so is an engine's coded caveat
/// (issue 17: the load engine's closed-model note, in English before the notes had codes).
#[test]
fn rules_follow_the_report_language() {
    let (mut doc, evidence) = common::fixture();
    let zh = common::html(&doc, &evidence, Lang::ZhCn);
    assert!(
        zh.contains("单个数值没有抽样误差：直接比较"),
        "a plain value's rule in Chinese"
    );
    assert!(!zh.contains("a plain value has no sampling error"));
    assert!(zh.contains("封闭模型：延迟从实际发送时刻起算"), "{zh}");
    assert!(!zh.contains("closed model: latency is timed from the actual send"));
    let en = common::html(&doc, &evidence, Lang::En);
    assert!(en.contains("a plain value has no sampling error: compared directly"));
    assert!(en.contains("closed model: latency is timed from the actual send"));

    // A verdict written before rules_detail existed keeps its English rules.
    for gate in &mut doc.gates {
        gate.rules_detail.clear();
    }
    let old = common::html(&doc, &evidence, Lang::ZhCn);
    assert!(old.contains("a plain value has no sampling error: compared directly"));
}

/// The Markdown (the PR comment and step summary) lists the failing tests behind a blocker,
/// with file and line, escaped; without evidence it is the same report without them.
#[test]
fn markdown_lists_failing_tests_with_file_and_line() {
    let (doc, evidence) = common::fixture();
    let text = common::md(&doc, &evidence, Lang::En);
    assert!(
        text.contains("   - `tests/api.rs:7` tests pass: test refund is idempotent failed: assertion failed: left == right"),
        "{text}"
    );
    assert!(text.contains("`tests/ui.rs:42`"), "{text}");
    // The hostile test name is text, not markup.
    assert!(!text.contains("<script>"), "{text}");
    let without = common::md(&doc, &EvidenceMap::new(), Lang::En);
    assert!(!without.contains("tests/api.rs:7"));
}

/// verdict.json is an edge codec: the typed verdict written as a document, read back with
/// `TryFrom`, and written again gives the same bytes; every renderer gives the same text from
/// the verdict read back as from the evaluator's own.
#[test]
fn verdict_json_reads_back_as_the_same_typed_verdict() {
    use gonogo_core::verdict::Verdict;
    use gonogo_report::RenderContext;
    use gonogo_report::cli::Format;
    let (doc, evidence) = common::fixture();
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let back = Verdict::try_from(json::parse_document(&text).unwrap()).unwrap();
    assert_eq!(
        serde_json::to_string_pretty(&json::VerdictV1::from(&back)).unwrap(),
        text
    );
    // The typed parts came back typed, not as strings.
    let p95 = back
        .gates
        .iter()
        .find(|g| g.name == "checkout p95")
        .unwrap();
    assert_eq!(
        p95.expect.aggregate,
        gonogo_core::expect::Aggregate::Percentile(95.0)
    );
    assert_eq!(p95.expect.op, gonogo_core::expect::Op::Lt);
    assert_eq!(p95.expect.threshold.base_value(), Some(0.5));
    let original = {
        let policy = gonogo_core::policy::Policy::parse(
            common::POLICY,
            Some("production"),
            gonogo_catalog::CATALOG,
        )
        .unwrap();
        gonogo_core::eval::evaluate(
            &policy,
            &common::records(),
            common::NOW.parse().unwrap(),
            None,
        )
    };
    for format in [Format::Md, Format::Html, Format::Junit] {
        for lang in Lang::ALL {
            let cx = RenderContext::new(lang).with_evidence(&evidence);
            assert_eq!(
                gonogo_report::cli::render(&back, &cx, format),
                gonogo_report::cli::render(&original, &cx, format),
                "{format:?} {lang}"
            );
        }
    }
    // A document that names a status this version does not know is refused, naming the field.
    let mut strange = doc.clone();
    strange.gates[2].status = "maybe".into();
    let error = Verdict::try_from(strange).unwrap_err();
    assert_eq!(error.field, "gates[2].status");
    let mut strange = doc.clone();
    strange.gates[0].expect = "p95 < 1s".into();
    assert_eq!(
        Verdict::try_from(strange).unwrap_err().field,
        "gates[0].expect"
    );
}
