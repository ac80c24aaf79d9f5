//! Issue 17, the HTML report's glitches: each test below failed before its fix.

mod common;

use gonogo_core::evidence::Evidence;
use gonogo_report::EvidenceMap;
use gonogo_report::charts::{self, SeriesPoint};
use gonogo_report::i18n::Lang;
use gonogo_report::json::{ContextV1, MeasuredV1};
use serde_json::json;

/// The `<summary>` line of the gate named `name`.
fn summary_of<'a>(page: &'a str, name: &str) -> &'a str {
    let at = page
        .find(&format!("<b>{name}</b>"))
        .unwrap_or_else(|| panic!("no gate row for {name}"));
    let start = page[..at].rfind("<summary>").unwrap();
    let end = at + page[at..].find("</summary>").unwrap();
    &page[start..end]
}

/// A value gate that holds (`value == 0`, measured 0) reads "value == 0 · Measured: 0", not
/// "value == 0 0".
#[test]
fn a_gate_row_labels_its_measured_value() {
    let (mut doc, evidence) = common::fixture();
    let gate = doc
        .gates
        .iter_mut()
        .find(|g| g.name == "no critical vulnerabilities")
        .unwrap();
    assert_eq!(gate.expect, "value == 0");
    gate.status = "pass".into();
    gate.reason = None;
    gate.measured = Some(MeasuredV1 {
        point: 0.0,
        lower: None,
        upper: None,
        n: None,
        k: None,
        unit: "1".into(),
        display: "0".into(),
        interval_display: None,
        pair: None,
    });
    let page = common::html(&doc, &evidence, Lang::En);
    let summary = summary_of(&page, "no critical vulnerabilities");
    assert!(
        summary.contains(r#"<code>value == 0</code> <span class="sub">Measured: 0</span>"#),
        "{summary}"
    );
    let zh = common::html(&doc, &evidence, Lang::ZhCn);
    let summary = summary_of(&zh, "no critical vulnerabilities");
    assert!(
        !summary.contains(r#"</code> <span class="sub">0"#),
        "{summary}"
    );
}

/// The fixture's probe record, made healthy: no outage in its window.
fn healthy_probe(evidence: &mut EvidenceMap<'static>, downtime: Option<f64>) {
    let mut probe: Evidence = evidence
        .values()
        .find(|r| r.kind == "probe")
        .map(|r| (*r).clone())
        .expect("the fixture has a probe record");
    probe.details["outages"] = json!([]);
    match downtime {
        Some(seconds) => probe.details["downtime_s"] = json!(seconds),
        None => {
            probe.details.as_object_mut().unwrap().remove("downtime_s");
        }
    }
    evidence.extend(common::leak(vec![probe]));
}

/// A healthy probe's availability caption says "downtime: 0.0 s", never "-0.0 s" (an empty sum
/// of floats is -0.0).
#[test]
fn a_healthy_probe_has_no_negative_downtime() {
    for downtime in [None, Some(-0.0)] {
        let (doc, mut evidence) = common::fixture();
        healthy_probe(&mut evidence, downtime);
        let page = common::html(&doc, &evidence, Lang::En);
        assert!(
            page.contains("outages: 0 · downtime: 0.0 s"),
            "{downtime:?}: no healthy caption"
        );
        assert!(!page.contains("downtime: -0.0"), "{downtime:?}");
    }
}

/// The bars' tops in a chart's `c-bad-fill` path (`M x bottom h w V top h -w Z`), with the
/// bottom.
fn bars(svg: &str) -> Vec<(f64, f64)> {
    let start = svg.find(r#"class="c-bad-fill" d=""#).expect("bars") + 22;
    let d = &svg[start..start + svg[start..].find('"').unwrap()];
    d.split('M')
        .filter(|s| !s.is_empty())
        .map(|bar| {
            let bottom: f64 = bar.split(['h', ' ']).nth(1).unwrap().parse().unwrap();
            let top: f64 = bar
                .split('V')
                .nth(1)
                .unwrap()
                .split('h')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (bottom, top)
        })
        .collect()
}

/// A 2 % error rate gets an axis of its own, in percent: its bars are tall, not a flat line at
/// the bottom of the requests axis; the throughput chart draws requests only.
#[test]
fn errors_are_drawn_on_their_own_axis() {
    let points: Vec<SeriesPoint> = (0..20)
        .map(|second| SeriesPoint {
            second: f64::from(second),
            completed: 100.0,
            errors: 2.0,
        })
        .collect();
    let svg = charts::error_share_series(&points, "errors", "s", "failed (%)", "errors").unwrap();
    let bars = bars(&svg);
    assert_eq!(bars.len(), 20);
    // The plot spans TOP..bottom; a 2 % share scaled to 2.3 % fills most of it.
    for (bottom, top) in &bars {
        assert!(bottom - top > 0.6 * (bottom - 24.0), "{bottom} {top}");
    }
    assert!(svg.contains("2 %"), "{svg}");
    let throughput = charts::throughput_series(&points, "throughput", "s", "requests/s", "done");
    assert!(!throughput.contains("c-bad-fill"), "{throughput}");
    // No error at all: no chart of errors.
    let clean: Vec<SeriesPoint> = points
        .iter()
        .map(|p| SeriesPoint { errors: 0.0, ..*p })
        .collect();
    assert!(charts::error_share_series(&clean, "e", "s", "%", "e").is_none());

    // In the page: the fixture's load record (1 error in 100 at two seconds) has both charts.
    let (doc, evidence) = common::fixture();
    let page = common::html(&doc, &evidence, Lang::En);
    assert!(page.contains("Share of requests that failed, per second: load.checkout"));
    assert!(page.contains("Throughput per second: load.checkout"));
}

/// A missing blocker shows its threshold with the operator, in every format.
#[test]
fn a_missing_gate_shows_its_operator() {
    let policy = gonogo_core::policy::Policy::parse(
        r#"
[[gate]]
name = "checkout p95"
area = "performance"
metric = "load.checkout.latency"
expect = "p(95) < 50ms"
"#,
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap();
    let verdict = gonogo_core::eval::evaluate(&policy, &[], common::NOW.parse().unwrap(), None);
    assert_eq!(verdict.gates[0].threshold_display, "< 50ms");
    let cx = gonogo_report::RenderContext::new(Lang::En);
    let html = gonogo_report::html::render(&verdict, &cx);
    assert!(html.contains("<td>&lt; 50ms</td>"), "html");
    assert!(!html.contains("<td>50ms</td>"), "html");
    let markdown = gonogo_report::markdown::render(&verdict, &cx);
    assert!(markdown.contains("| &lt; 50ms |"), "{markdown}");
    let junit = gonogo_report::junit::render(&verdict, &cx);
    assert!(junit.contains("threshold &lt; 50ms"), "{junit}");
}

/// The header says what was judged: target, environment, commit and duration.
#[test]
fn the_header_shows_target_environment_commit_and_duration() {
    let (mut doc, evidence) = common::fixture();
    doc.context = Some(ContextV1 {
        commit: Some("3f2a9c1d0e4b5a6978877665544332211ffeeddc".into()),
        branch: Some("main".into()),
        ..Default::default()
    });
    doc.duration_seconds = Some(83.4);
    let page = common::html(&doc, &evidence, Lang::En);
    let header = &page[page.find("<header").unwrap()..page.find("</header>").unwrap()];
    for shown in [
        "Target: http://127.0.0.1:8080",
        "Environment: production",
        "Commit: 3f2a9c1d0e4b on main",
        "Duration: 83.4 s",
    ] {
        assert!(header.contains(shown), "{shown}: {header}");
    }
    // Without a duration (only evidence judged), none is shown.
    doc.duration_seconds = None;
    let page = common::html(&doc, &evidence, Lang::En);
    assert!(!page.contains("Duration: "));
}

/// A verdict over a hardening record with three high findings (one with hostile text) and an
/// observe record with more lint problems than it kept, and a waiver: what each report lists.
fn findings_fixture() -> (gonogo_core::verdict::Verdict, EvidenceMap<'static>) {
    use gonogo_core::evidence::{Metric, Source, Tool, sha256_hex};
    use gonogo_core::units::Unit;
    let policy = gonogo_core::policy::Policy::parse(
        r#"
[target]
base_url = "http://127.0.0.1:8080"

[[gate]]
name = "no high findings"
area = "security"
metric = "harden.findings.high"
expect = "value == 0"

[[gate]]
name = "metrics lint clean"
area = "observability"
metric = "observe.metrics.problems"
expect = "value == 0"
severity = "warn"

[[gate]]
name = "few lint problems"
area = "observability"
metric = "observe.metrics.problems"
expect = "value <= 5"
severity = "warn"

[[waiver]]
gate = "few lint problems"
reason = "the exporter is replaced next sprint"
owner = "obs-team@example.com"
expires = "2026-12-10"
"#,
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap_or_else(|p| panic!("{p:?}"));
    let mut harden = Evidence::new(
        "harden",
        Source::Url("http://127.0.0.1:8080".into()),
        sha256_hex(b"harden"),
        "2026-12-01T09:00:00Z".parse().unwrap(),
        Tool::new("gonogo-harden", "0.1.0"),
    );
    harden.insert(
        "harden.findings.high",
        Metric::value(3.0, Unit::count("findings")),
    );
    let finding = |message: &str, request: &str| {
        json!({"check": "stack-trace", "severity": "high", "confidence": "confirmed",
               "message": message, "request": request,
               "response": "HTTP/1.1 500\r\n\r\nTraceback (most recent call last)"})
    };
    harden.details = json!({"target": "http://127.0.0.1:8080", "checks": [
        {"check": "stack-trace", "spec": "", "asvs_4_0_3": "7.4.1", "asvs_5_0_0": "16.5.1",
         "group": "errors", "title": "stack traces", "status": "fail", "findings": [
            finding("traceback in a 500 page", "GET /boom HTTP/1.1"),
            finding("<script>alert(1)</script> \u{1b}]0;owned\u{7}\n::error::owned", "GET /x HTTP/1.1"),
            finding("third", "GET /y HTTP/1.1")]},
        {"check": "hsts", "spec": "", "asvs_4_0_3": "9.1.1", "asvs_5_0_0": "3.4.1",
         "group": "tls", "title": "hsts", "status": "fail", "findings": [
            {"check": "hsts", "severity": "medium", "confidence": "confirmed",
             "message": "no HSTS header", "request": "GET /", "response": "HTTP/1.1 200"}]}
    ]});
    let mut observe = Evidence::new(
        "observe",
        Source::Url("http://127.0.0.1:8080/metrics".into()),
        sha256_hex(b"observe"),
        "2026-12-01T09:00:00Z".parse().unwrap(),
        Tool::new("gonogo", "0.1.0"),
    );
    observe.insert(
        "observe.metrics.problems",
        Metric::value(14.0, Unit::count("problems")),
    );
    observe.details = json!({"problems": [
        {"line": 23, "code": "counter-without-total", "metric": "demo_login_attempts",
         "message": "counter metrics should have \"_total\" suffix"}],
        "problems_total": 14, "problems_kept": 1});
    let records = vec![harden, observe];
    let verdict = gonogo_core::eval::evaluate(
        &policy,
        &records,
        "2026-12-01T12:00:00Z".parse().unwrap(),
        None,
    );
    let evidence = common::leak(records);
    (verdict, evidence)
}

/// Issue 17: "the verdict says 13, nobody says which". Every report lists the findings and
/// lint problems behind a count (the high findings under the high gate, not the medium one),
/// with hostile text inert, and counts what it does not list.
#[test]
fn every_report_lists_the_findings_and_lint_problems_behind_a_count() {
    let (verdict, evidence) = findings_fixture();
    let cx = gonogo_report::RenderContext::new(Lang::En).with_evidence(&evidence);
    let md = gonogo_report::markdown::render(&verdict, &cx);
    let html = gonogo_report::html::render(&verdict, &cx);
    let terminal = gonogo_report::terminal::render(&verdict, &cx);
    for (format, text) in [("md", &md), ("html", &html), ("terminal", &terminal)] {
        assert!(text.contains("traceback in a 500 page"), "{format}: {text}");
        assert!(text.contains("stack-trace"), "{format}");
        assert!(text.contains("16.5.1"), "{format}: the ASVS requirement");
        assert!(text.contains("third"), "{format}");
        // The medium finding is not behind the high count.
        assert!(!text.contains("no HSTS header"), "{format}");
        assert!(text.contains("counter-without-total"), "{format}: {text}");
        assert!(text.contains("13 more"), "{format}: 14 counted, 1 listed");
        if format != "terminal" {
            assert!(
                !text.contains("<script>alert(1)"),
                "{format}: markup is escaped"
            );
        }
        if format != "html" {
            // The Markdown reaches CI logs (step summary) and the terminal a console.
            assert!(!text.contains('\u{1b}'), "{format}: no terminal escape");
            assert!(
                !text.contains("\n::error::"),
                "{format}: no workflow command"
            );
        }
    }
    // The proof: the HTML keeps the request and response behind each finding.
    assert!(html.contains("Traceback (most recent call last)"), "{html}");
    assert!(md.contains("GET /boom"), "{md}");
}

/// Issue 17: a list of active waivers with owner, reason, expiry and the days left, in the
/// Markdown (PR comment, step summary) and the HTML, in both languages.
#[test]
fn the_markdown_and_html_list_active_waivers_with_their_countdown() {
    let (verdict, evidence) = findings_fixture();
    for lang in Lang::ALL {
        let cx = gonogo_report::RenderContext::new(lang).with_evidence(&evidence);
        let md = gonogo_report::markdown::render(&verdict, &cx);
        let html = gonogo_report::html::render(&verdict, &cx);
        for text in [&md, &html] {
            assert!(text.contains("obs-team@example.com"), "{lang:?}: {text}");
            assert!(
                text.contains("the exporter is replaced next sprint"),
                "{lang:?}"
            );
            assert!(text.contains("2026-12-10"), "{lang:?}");
        }
        // Judged on 2026-12-01: nine days left.
        let days = if lang == Lang::En {
            "9 day(s) left"
        } else {
            "剩余 9 天"
        };
        assert!(md.contains(days), "{lang:?}: {md}");
        assert!(html.contains(r#"<section id="waivers">"#), "{lang:?}");
    }
}

/// Issue 17: "GO shown beside an unassessed grey Delivery area with no note". Every report
/// names the areas it could not assess beside the decision.
#[test]
fn the_areas_not_assessed_are_named_beside_the_decision() {
    let (verdict, evidence) = findings_fixture();
    let cx = gonogo_report::RenderContext::new(Lang::En).with_evidence(&evidence);
    for text in [
        gonogo_report::markdown::render(&verdict, &cx),
        gonogo_report::html::render(&verdict, &cx),
        gonogo_report::terminal::render(&verdict, &cx),
    ] {
        let note = text
            .lines()
            .find(|l| l.contains("Not assessed (no gates or no evidence): "))
            .unwrap_or_else(|| panic!("no note: {text}"));
        for area in ["Functionality", "Performance", "Reliability", "Delivery"] {
            assert!(note.contains(area), "{note}");
        }
        // Security and Observability have gates with evidence: assessed.
        assert!(
            !note.contains("Security") && !note.contains("Observability"),
            "{note}"
        );
    }
}

/// Issue 17, zh-CN complete: an enumeration (the areas not assessed) is joined with the
/// enumeration comma "、" in Chinese and ", " in English.
#[test]
fn enumerations_are_joined_as_each_language_writes_them() {
    let (verdict, evidence) = findings_fixture();
    for (lang, expected) in [
        (
            Lang::En,
            "Functionality, Performance, Reliability, Delivery",
        ),
        (Lang::ZhCn, "功能、性能、可靠性、交付"),
    ] {
        let cx = gonogo_report::RenderContext::new(lang).with_evidence(&evidence);
        for text in [
            gonogo_report::markdown::render(&verdict, &cx),
            gonogo_report::html::render(&verdict, &cx),
        ] {
            assert!(text.contains(expected), "{lang:?}: {text}");
        }
    }
}

/// The text of each testcase's `<failure>`, `<skipped>` and `<system-out>`, read back with
/// quick-xml: (name, outcome, body text).
fn junit_cases(xml: &str) -> Vec<(String, String, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases: Vec<(String, String, String)> = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testcase" => cases.push((
                    e.try_get_attribute("name")
                        .unwrap()
                        .unwrap()
                        .unescape_value()
                        .unwrap()
                        .into_owned(),
                    "passed".into(),
                    String::new(),
                )),
                b"failure" => cases.last_mut().unwrap().1 = "failure".into(),
                b"skipped" => cases.last_mut().unwrap().1 = "skipped".into(),
                _ => {}
            },
            Event::Text(t) => {
                if let Some(case) = cases.last_mut() {
                    case.2.push_str(&t.decode().unwrap());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(case) = cases.last_mut() {
                    let name = String::from_utf8(r.to_vec()).unwrap();
                    case.2.push_str(match name.as_str() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        "apos" => "'",
                        other => panic!("unexpected entity {other}"),
                    });
                }
            }
            _ => {}
        }
    }
    cases
}

/// Issue 17: the JUnit output lists the findings and lint problems behind a gate's count in
/// its testcase (the failure body of a blocker, the system-out of a warning), capped with how
/// many more, and a warn gate that fails is not a `<failure>`.
#[test]
fn junit_testcases_carry_the_findings_behind_their_count() {
    let (verdict, evidence) = findings_fixture();
    let cx = gonogo_report::RenderContext::new(Lang::En).with_evidence(&evidence);
    let xml = gonogo_report::junit::render(&verdict, &cx);
    let cases = junit_cases(&xml);
    let case = |name: &str| {
        cases
            .iter()
            .find(|c| c.0 == name)
            .unwrap_or_else(|| panic!("no testcase {name}: {xml}"))
    };
    let high = case("no high findings");
    assert_eq!(high.1, "failure", "{xml}");
    assert!(
        high.2.contains(
            "- [high] stack-trace (ASVS 16.5.1): traceback in a 500 page · GET /boom HTTP/1.1"
        ),
        "{xml}"
    );
    assert!(high.2.contains("third"), "{xml}");
    assert!(
        !high.2.contains("no HSTS header"),
        "the medium finding is not behind the high count"
    );
    // Hostile text is character data: markup stays text, the terminal escape cannot reach a
    // log (XML 1.0 cannot carry it).
    assert!(high.2.contains("<script>alert(1)</script>"), "{xml}");
    assert!(!xml.contains("<script>"), "{xml}");
    assert!(!xml.contains('\u{1b}'));
    let lint = case("metrics lint clean");
    assert_eq!(
        lint.1, "skipped",
        "a failing warn gate is not a failure: {xml}"
    );
    assert!(
        lint.2.contains(
            "- line 23 [counter-without-total] demo_login_attempts: counter metrics should have \"_total\" suffix"
        ),
        "{xml}"
    );
    assert!(lint.2.contains("13 more"), "14 counted, 1 listed: {xml}");
    // Without the evidence, the same testcases without the rows.
    let bare = gonogo_report::junit::render(&verdict, &gonogo_report::RenderContext::new(Lang::En));
    assert!(!bare.contains("traceback in a 500 page"));
}

/// Issue 17: verdict.json lists the findings and lint problems behind a count under the gate
/// that counted them (severity, check, ASVS id, message, request line; line, rule, metric),
/// capped with a count of the rest; hostile text is data (JSON-escaped, no raw escape byte).
#[test]
fn verdict_json_lists_the_findings_behind_a_count() {
    let (verdict, evidence) = findings_fixture();
    let cx = gonogo_report::RenderContext::new(Lang::En).with_evidence(&evidence);
    let text = gonogo_report::json::render(&verdict, &cx);
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let gate = |name: &str| {
        doc["gates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == name)
            .unwrap()
            .clone()
    };
    let high = gate("no high findings");
    assert_eq!(high["listed"]["counted"], 3, "{high}");
    assert_eq!(high["listed"]["not_listed"], 0);
    assert_eq!(
        high["listed"]["findings"][0],
        json!({"severity": "high", "check": "stack-trace", "asvs": "16.5.1",
               "message": "traceback in a 500 page", "request": "GET /boom HTTP/1.1"})
    );
    assert_eq!(high["listed"]["findings"].as_array().unwrap().len(), 3);
    assert!(
        !text.contains("no HSTS header"),
        "the medium finding is not behind the high count"
    );
    let lint = gate("metrics lint clean");
    assert_eq!(
        lint["listed"],
        json!({"counted": 14, "not_listed": 13, "problems": [
            {"line": 23, "rule": "counter-without-total", "metric": "demo_login_attempts",
             "message": "counter metrics should have \"_total\" suffix"}]})
    );
    // The hostile message is a JSON string: its escape byte is written as \u001b.
    assert!(!text.contains('\u{1b}'));
    assert!(text.contains(r"\u001b]0;owned"), "{text}");
    // The document is valid against the published schema.
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::workspace_root().join("schemas/verdict.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

/// More findings than verdict.json lists under a gate: the first 50, and the rest counted.
#[test]
fn verdict_json_caps_the_findings_it_lists() {
    let mut listed = gonogo_report::findings::Listed::default();
    for i in 0..60 {
        listed.counted += 1;
        listed
            .findings
            .push(gonogo_report::findings::HardeningFinding {
                check: "cors".into(),
                severity: "high".into(),
                asvs: String::new(),
                message: format!("finding {i}"),
                request: "GET / HTTP/1.1\r\nHost: x".into(),
                response: String::new(),
            });
    }
    let written = gonogo_report::json::ListedV1::new(&listed).unwrap();
    assert_eq!(
        written.findings.len(),
        gonogo_report::json::MAX_LISTED_IN_JSON
    );
    assert_eq!(written.findings.len(), 50);
    assert_eq!(written.not_listed, 10);
    assert_eq!(written.counted, 60);
    // Only the request line, not its headers.
    assert_eq!(written.findings[0].request, "GET / HTTP/1.1");
    assert!(gonogo_report::json::ListedV1::new(&Default::default()).is_none());
}

/// The codec stays a fixed point with the findings in it: a verdict.json read back and written
/// again (without its evidence folder, as `gonogo report --format json` may) gives the same
/// bytes; one written before the field existed still reads.
#[test]
fn verdict_json_with_findings_reads_back_and_writes_the_same_bytes() {
    let (verdict, evidence) = findings_fixture();
    let cx = gonogo_report::RenderContext::new(Lang::En).with_evidence(&evidence);
    let text = gonogo_report::json::render(&verdict, &cx);
    assert!(text.contains("\"listed\""));
    let (back, document) = gonogo_report::json::parse_verdict(&text).unwrap();
    let no_evidence = EvidenceMap::new();
    let again = gonogo_report::json::render(
        &back,
        &gonogo_report::RenderContext::from_document(&document, &no_evidence, Lang::En),
    );
    assert_eq!(again, text);
    // The same from the evidence itself.
    let again = gonogo_report::json::render(
        &back,
        &gonogo_report::RenderContext::from_document(&document, &evidence, Lang::En),
    );
    assert_eq!(again, text);
    // A verdict written before `listed` existed reads, and writes without it.
    let mut old = gonogo_report::json::parse_document(&text).unwrap();
    for gate in &mut old.gates {
        gate.listed = None;
    }
    let old_text = serde_json::to_string_pretty(&old).unwrap() + "\n";
    assert!(!old_text.contains("\"listed\""));
    let (back, document) = gonogo_report::json::parse_verdict(&old_text).unwrap();
    let rewritten = gonogo_report::json::render(
        &back,
        &gonogo_report::RenderContext::from_document(&document, &no_evidence, Lang::En),
    );
    assert_eq!(rewritten, old_text);
}

/// A verdict on a harden record whose notes are coded (as harden writes them) and one
/// uncoded sentence and an unknown code (as an older or newer producer might write them).
fn notes_fixture() -> (gonogo_core::verdict::Verdict, EvidenceMap<'static>) {
    use gonogo_core::evidence::{Metric, NoteCode, Source, Tool, sha256_hex};
    use gonogo_core::units::Unit;
    let policy = gonogo_core::policy::Policy::parse(
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
    .unwrap_or_else(|p| panic!("{p:?}"));
    let mut harden = Evidence::new(
        "harden",
        Source::Url("http://127.0.0.1:8080".into()),
        sha256_hex(b"harden notes"),
        "2026-12-01T09:00:00Z".parse().unwrap(),
        Tool::new("gonogo-harden", "0.1.0"),
    );
    harden.insert(
        "harden.findings.high",
        Metric::value(0.0, Unit::count("findings")).with_coded_note(
            "3 check(s) did not run (error or skipped): cors, hsts, csp",
            NoteCode::new("harden.checks_not_run")
                .arg("count", 3)
                .arg("checks", "cors, hsts, csp"),
        ),
    );
    harden.mark_incomplete_coded(
        "2 of 16 checks did not run because of errors: cors, hsts",
        NoteCode::new("harden.checks_errored")
            .arg("count", 2)
            .arg("total", 16)
            .arg("checks", "cors, hsts"),
    );
    harden.mark_incomplete_coded(
        "a sentence from a newer producer",
        NoteCode::new("harden.some_future_code"),
    );
    let verdict = gonogo_core::eval::evaluate(
        &policy,
        std::slice::from_ref(&harden),
        "2026-12-01T12:00:00Z".parse().unwrap(),
        None,
    );
    let evidence = common::leak(vec![harden]);
    (verdict, evidence)
}

/// Issue 17, zh-CN complete: a producer's notes (harden's "N check(s) did not run", "N of M
/// checks did not run because of errors") are worded in Chinese from their code, lists joined
/// with 、; a code the catalogue does not know shows the producer's sentence; and every format
/// labels them as notes, not as rules.
#[test]
fn producers_notes_are_worded_in_the_report_language_and_labelled_notes() {
    let (verdict, evidence) = notes_fixture();
    let zh = gonogo_report::RenderContext::new(Lang::ZhCn).with_evidence(&evidence);
    let md = gonogo_report::markdown::render(&verdict, &zh);
    let html = gonogo_report::html::render(&verdict, &zh);
    let junit = gonogo_report::junit::render(&verdict, &zh);
    for (format, text) in [("md", &md), ("html", &html), ("junit", &junit)] {
        assert!(
            text.contains("3 项检查没有运行（出错或跳过）：cors、hsts、csp"),
            "{format}: {text}"
        );
        assert!(
            text.contains("证据不完整：16 项检查中有 2 项因出错没有运行：cors、hsts"),
            "{format}: {text}"
        );
        assert!(!text.contains("check(s) did not run"), "{format}: {text}");
        assert!(!text.contains("because of errors"), "{format}: {text}");
        // Unknown code: the producer's sentence.
        assert!(
            text.contains("a sentence from a newer producer"),
            "{format}"
        );
        // Why the gate is missing, in Chinese too.
        assert!(
            text.contains("证据不完整（16 项检查中有 2 项因出错没有运行：cors、hsts；a sentence from a newer producer），因此无法表明 value == 0 成立"),
            "{format}: {text}"
        );
    }
    // Labelled as notes (注意), not as rules applied (应用的规则).
    assert!(md.contains("注意：3 项检查没有运行"), "{md}");
    assert!(junit.contains("注意：证据不完整："), "{junit}");
    assert!(html.contains("<dt>注意</dt>"), "{html}");
    assert!(!md.contains("应用的规则：3 项检查"), "{md}");

    // English: the producer's sentences as written, labelled Note.
    let en = gonogo_report::RenderContext::new(Lang::En).with_evidence(&evidence);
    let md = gonogo_report::markdown::render(&verdict, &en);
    assert!(
        md.contains("Note: 3 check(s) did not run (error or skipped): cors, hsts, csp"),
        "{md}"
    );
    assert!(
        md.contains("Note: the evidence is incomplete: 2 of 16 checks did not run because of errors: cors, hsts"),
        "{md}"
    );
    // The terminal says "note:", not "rule:".
    let terminal = gonogo_report::terminal::render(&verdict, &en);
    assert!(
        terminal.contains("note: 3 check(s) did not run (error or skipped)"),
        "{terminal}"
    );
    assert!(!terminal.contains("rule: 3 check(s)"), "{terminal}");
    assert!(
        !terminal.contains("rule: the evidence is incomplete"),
        "{terminal}"
    );
}

/// The coded notes survive verdict.json: read back, the Chinese report is the same as from
/// the evaluator's own verdict.
#[test]
fn coded_notes_read_back_from_verdict_json() {
    let (verdict, evidence) = notes_fixture();
    let text = gonogo_report::json::render(&verdict, &gonogo_report::RenderContext::new(Lang::En));
    assert!(text.contains("\"kind\": \"note\""), "{text}");
    let (back, _) = gonogo_report::json::parse_verdict(&text).unwrap();
    assert_eq!(back.gates[0].rules, verdict.gates[0].rules);
    let zh = gonogo_report::RenderContext::new(Lang::ZhCn).with_evidence(&evidence);
    assert_eq!(
        gonogo_report::markdown::render(&back, &zh),
        gonogo_report::markdown::render(&verdict, &zh)
    );
}

/// Issue 17, the rest of the producers' notes: DORA's change-failure note (a list argument)
/// and a hand-typed figure's note (an argument the user typed) read in Chinese from their
/// codes in HTML (which shows a passing gate's notes); the typed text stays inert; English
/// keeps the producers' sentences.
#[test]
fn the_other_producers_notes_are_worded_in_chinese() {
    use gonogo_core::evidence::{Metric, NoteCode, Ratio, Source, Tool, sha256_hex};
    use gonogo_core::units::Unit;
    let policy = gonogo_core::policy::Policy::parse(
        r#"
[target]
base_url = "http://127.0.0.1:8080"

[[gate]]
name = "change failure"
area = "delivery"
metric = "dora.change_failure"
expect = "rate < 50%"

[[gate]]
name = "typed"
area = "performance"
metric = "custom.checkout.errors"
expect = "value == 0"
"#,
        None,
        gonogo_catalog::CATALOG,
    )
    .unwrap_or_else(|p| panic!("{p:?}"));
    let mut record = Evidence::new(
        "dora",
        Source::File("repo".into()),
        sha256_hex(b"dora notes"),
        "2026-12-01T09:00:00Z".parse().unwrap(),
        Tool::new("gonogo", "0.1.0"),
    );
    let change_failure = "change failure rate: releases followed within 7d by a commit whose \
                          subject says revert, hotfix (counted for the newest release before \
                          it that it descends from), of releases older than 7d";
    record.insert(
        "dora.change_failure",
        Metric::ratio(Ratio::new(1, 10).unwrap(), Unit::count("releases")).with_coded_note(
            change_failure,
            NoteCode::new("dora.change_failure")
                .arg("window", "7d")
                .arg("markers", "revert, hotfix"),
        ),
    );
    record.insert(
        "custom.checkout.errors",
        Metric::value(0.0, Unit::count("1")).with_coded_note(
            "typed by hand: <b>ops</b> dashboard",
            NoteCode::new("record.typed_by_hand").arg("source", "<b>ops</b> dashboard"),
        ),
    );
    let verdict = gonogo_core::eval::evaluate(
        &policy,
        std::slice::from_ref(&record),
        "2026-12-01T12:00:00Z".parse().unwrap(),
        None,
    );
    let evidence = gonogo_report::evidence_map(std::slice::from_ref(&record));
    let zh = gonogo_report::RenderContext::new(Lang::ZhCn).with_evidence(&evidence);
    let html = gonogo_report::html::render(&verdict, &zh);
    assert!(
        html.contains("7d 内出现标题含 revert、hotfix 的提交的发布所占比例"),
        "{html}"
    );
    assert!(!html.contains("change failure rate"), "{html}");
    assert!(
        html.contains("手工录入：&lt;b&gt;ops&lt;/b&gt; dashboard"),
        "{html}"
    );
    assert!(!html.contains("<b>ops</b>"), "{html}");
    let en = gonogo_report::RenderContext::new(Lang::En).with_evidence(&evidence);
    let html = gonogo_report::html::render(&verdict, &en);
    assert!(html.contains(change_failure), "{html}");
    assert!(
        html.contains("typed by hand: &lt;b&gt;ops&lt;/b&gt; dashboard"),
        "{html}"
    );
}
