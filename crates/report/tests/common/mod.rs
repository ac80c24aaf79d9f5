//! The shared fixture every renderer test renders: a verdict made by the real evaluator
//! (`gonogo_core::eval::evaluate`) from a policy and evidence records shaped like the engines'
//! (load with a per-second series, probe with outages, JUnit with failing tests, coverage).
//!
//! It is judged for the `production` environment, which requires a `sarif` record that never
//! arrived. It holds every gate status (pass, fail, inconclusive, missing, waived) and hostile text: a
//! failing test named `<script>…</script>` and a gate name with Markdown, XML and HTML
//! specials, so escaping is exercised in every format.

#![allow(dead_code)]

use std::path::Path;

use gonogo_core::eval::evaluate;
use gonogo_core::evidence::{
    Evidence, Metric, NoteCode, Ratio, Source, Tool, latency_histogram, sha256_hex,
};
use gonogo_core::policy::Policy;
use gonogo_core::units::Unit;
use gonogo_core::verdict::Verdict;
use gonogo_report::i18n::Lang;
use gonogo_report::json::VerdictV1;
use gonogo_report::{EvidenceMap, RenderContext};
use serde_json::json;

pub const SCRIPT_TEST_NAME: &str = "<script>alert('gonogo')</script> renders checkout";
pub const HOSTILE_GATE_NAME: &str = "search p95 <fast> | \"cheap\" & *bold*";

pub const POLICY: &str = r#"
[policy]
name = "checkout-service"

[target]
base_url = "http://127.0.0.1:8080"

[[gate]]
name = "tests pass"
area = "functionality"
metric = "tests.failed"
expect = "rate < 0.5%"

[[gate]]
name = "line coverage"
area = "functionality"
metric = "coverage.lines"
expect = "rate >= 80%"
severity = "warn"

[[gate]]
name = "checkout p95"
area = "performance"
metric = "load.checkout.latency"
expect = "p(95) < 500ms"

[[gate]]
name = "checkout p99.9"
area = "performance"
metric = "load.checkout.latency"
expect = "p(99.9) < 1s"
severity = "warn"

[[gate]]
name = "search p95 <fast> | \"cheap\" & *bold*"
area = "performance"
metric = "load.search.latency"
expect = "p(95) < 100ms"

[[gate]]
name = "checkout errors"
area = "reliability"
metric = "load.checkout.errors"
expect = "rate < 0.5%"

[[gate]]
name = "readiness availability"
area = "reliability"
metric = "probe.readyz.availability"
expect = "rate >= 99.9%"

[[gate]]
name = "certificate lifetime"
area = "security"
metric = "probe.readyz.cert_expiry"
expect = "value > 30d"

[[gate]]
name = "no critical vulnerabilities"
area = "security"
metric = "audit.critical"
expect = "value == 0"

[env.production]
requires = ["junit", "sarif"]

[[waiver]]
gate = "search p95 <fast> | \"cheap\" & *bold*"
reason = "search moves to the new index in December"
owner = "search-team@example.com"
expires = "2026-12-31"
"#;

pub const NOW: &str = "2026-11-25T12:00:00Z";

fn record(kind: &str, source: Source, raw: &str) -> Evidence {
    Evidence::new(
        kind,
        source,
        sha256_hex(raw.as_bytes()),
        "2026-11-25T09:00:00Z".parse().unwrap(),
        Tool::new("gonogo", "0.1.0"),
    )
}

/// The evidence records of the fixture.
pub fn records() -> Vec<Evidence> {
    let mut junit = record(
        "junit",
        Source::File("target/nextest/ci/junit.xml".into()),
        "fixture junit",
    );
    junit
        .insert(
            "tests.failed",
            Metric::ratio(Ratio::new(3, 400).unwrap(), Unit::count("tests")),
        )
        .insert(
            "tests.passed",
            Metric::ratio(Ratio::new(397, 400).unwrap(), Unit::count("tests")),
        )
        .insert(
            "tests.skipped",
            Metric::ratio(Ratio::new(4, 404).unwrap(), Unit::count("tests")),
        );
    junit.details = json!({
        "testcases": 404, "passed": 397, "failed": 3, "errored": 0, "skipped": 4,
        "failing": [
            { "name": SCRIPT_TEST_NAME, "classname": "checkout::ui", "file": "tests/ui.rs",
              "line": 42, "outcome": "failed", "message": "expected <b>200</b>, got 500 & \"oops\"" },
            { "name": "refund is idempotent", "classname": "checkout::api", "file": "tests/api.rs",
              "line": 7, "outcome": "failed", "message": "assertion failed: left == right" },
            { "name": "cart total rounds half-even", "classname": "checkout::money",
              "outcome": "failed", "message": "0.125 rounded to 0.13" }
        ],
        "failing_not_listed": 0
    });

    let mut coverage = record(
        "coverage",
        Source::File("coverage/lcov.info".into()),
        "fixture lcov",
    );
    coverage.insert(
        "coverage.lines",
        Metric::ratio(Ratio::new(8_421, 10_000).unwrap(), Unit::count("lines")),
    );

    // 2,000 checkout requests, exponential tail: 150 ms + 80 ms · Exp(1).
    let mut checkout = latency_histogram();
    for i in 0..2_000u64 {
        let u = (i as f64 + 0.5) / 2_000.0;
        let micros = 150_000.0 + 80_000.0 * -(1.0 - u).ln();
        checkout.record(micros as u64).unwrap();
    }
    let series: Vec<serde_json::Value> = (0..20)
        .map(|second| {
            let errors = if second == 12 || second == 13 { 1 } else { 0 };
            json!({ "second": second, "completed": 100, "errors": errors,
                    "p50_us": 205_000, "p99_us": 520_000 })
        })
        .collect();
    let mut load = record(
        "load",
        Source::Url("http://127.0.0.1:8080/api/checkout".into()),
        "fixture load",
    );
    load.insert(
        "load.checkout.latency",
        Metric::distribution(checkout, Unit::parse("us")),
    )
    .insert(
        "load.checkout.errors",
        Metric::ratio(Ratio::new(2, 2_000).unwrap(), Unit::count("requests")),
    );
    load.details = json!({ "result_version": 1, "name": "checkout", "model": "open",
                           "elapsed_s": 20.0, "series": series });

    // 500 search requests, all slower than 100 ms: a failure that a waiver covers.
    let mut search_latency = latency_histogram();
    for i in 0..500u64 {
        search_latency.record(120_000 + i * 100).unwrap();
    }
    let mut search = record(
        "load",
        Source::Url("http://127.0.0.1:8080/api/search".into()),
        "fixture search",
    );
    search.insert(
        "load.search.latency",
        Metric::distribution(search_latency, Unit::parse("us"))
            // The load engine's note, shortened, with its code: a zh-CN report words it.
            .with_coded_note(
                "closed model: latency is timed from the actual send",
                NoteCode::new("load.closed_model"),
            ),
    );

    let mut probe = record(
        "probe",
        Source::Url("http://127.0.0.1:8080/readyz".into()),
        "fixture probe",
    );
    probe
        .insert(
            "probe.readyz.availability",
            Metric::ratio(Ratio::new(11, 13).unwrap(), Unit::count("probes")),
        )
        .insert(
            "probe.readyz.cert_expiry",
            Metric::value(41.0, Unit::parse("d")),
        );
    let attempt_log: Vec<serde_json::Value> = (0..13)
        .map(|k| {
            let success = k != 5 && k != 6;
            json!({ "offset_ms": k as f64 * 5000.0, "success": success,
                    "reason": if success { serde_json::Value::Null } else { json!("status") },
                    "status": if success { 200 } else { 503 }, "latency_us": 1800 })
        })
        .collect();
    probe.details = json!({
        "target": "http://127.0.0.1:8080/readyz",
        "attempts": 13, "successes": 11, "window_s": 65.0, "interval_s": 5.0,
        "outages": [{ "start": "2026-11-25T09:00:25Z", "end": "2026-11-25T09:00:35Z",
                      "start_offset_s": 25.0, "end_offset_s": 35.0, "duration_s": 10.0,
                      "failed_attempts": 2, "reasons": ["status"], "ongoing": false }],
        "downtime_s": 10.0, "longest_outage_s": 10.0,
        "attempt_log": attempt_log, "attempt_log_truncated": false
    });

    vec![junit, coverage, load, search, probe]
}

/// The fixture verdict and the evidence it cites.
pub fn fixture() -> (VerdictV1, EvidenceMap<'static>) {
    let policy = Policy::parse(POLICY, Some("production"), gonogo_catalog::CATALOG)
        .unwrap_or_else(|p| panic!("{p:?}"));
    let records = records();
    let mut verdict = evaluate(&policy, &records, NOW.parse().unwrap(), None);
    verdict.policy_path = Some("gonogo.toml".into());
    verdict.policy_sha256 = Some(sha256_hex(POLICY.as_bytes()));
    let doc = VerdictV1::from(&verdict);
    (doc, leak(records))
}

/// The map of `records`, which live as long as the test process (the map borrows them).
pub fn leak(records: Vec<gonogo_core::evidence::Evidence>) -> EvidenceMap<'static> {
    let records: &'static [gonogo_core::evidence::Evidence] = Box::leak(records.into_boxed_slice());
    gonogo_report::evidence_map(records)
}

/// Writes the fixture's verdict.json and evidence folder under `dir`; returns their paths.
pub fn write_fixture(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (doc, _) = fixture();
    let verdict_path = dir.join("verdict.json");
    std::fs::write(&verdict_path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let evidence_dir = dir.join("evidence");
    std::fs::create_dir_all(&evidence_dir).unwrap();
    for record in records() {
        std::fs::write(
            evidence_dir.join(gonogo_core::wire::suggested_file_name(&record)),
            gonogo_core::wire::to_json_pretty(&record),
        )
        .unwrap();
    }
    (verdict_path, evidence_dir)
}

/// The workspace root (for the committed schema and the examples).
pub fn workspace_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The typed verdict a document reads back as (the renderers' input; `gonogo report` reads a
/// saved verdict.json the same way).
pub fn typed(doc: &VerdictV1) -> Verdict {
    Verdict::try_from(doc.clone()).unwrap_or_else(|e| panic!("the document reads back: {e}"))
}

/// The render context of a document: its trends and comparison, with the evidence.
pub fn cx<'a>(doc: &'a VerdictV1, evidence: &'a EvidenceMap, lang: Lang) -> RenderContext<'a> {
    RenderContext::from_document(doc, evidence, lang)
}

pub fn md(doc: &VerdictV1, evidence: &EvidenceMap, lang: Lang) -> String {
    gonogo_report::markdown::render(&typed(doc), &cx(doc, evidence, lang))
}

pub fn html(doc: &VerdictV1, evidence: &EvidenceMap, lang: Lang) -> String {
    gonogo_report::html::render(&typed(doc), &cx(doc, evidence, lang))
}

pub fn junit(doc: &VerdictV1, lang: Lang) -> String {
    gonogo_report::junit::render(&typed(doc), &cx(doc, &EvidenceMap::new(), lang))
}

pub fn annotations(
    doc: &VerdictV1,
    evidence: &EvidenceMap,
    lang: Lang,
) -> Vec<gonogo_report::markdown::Annotation> {
    gonogo_report::markdown::annotations(&typed(doc), &cx(doc, evidence, lang))
}

pub fn render(
    doc: &VerdictV1,
    evidence: &EvidenceMap,
    format: gonogo_report::cli::Format,
    lang: Lang,
) -> String {
    gonogo_report::cli::render(&typed(doc), &cx(doc, evidence, lang), format)
}
