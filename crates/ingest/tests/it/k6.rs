//! k6 summaries, written from k6's documented formats (k6 is not installable here).

use gonogo_ingest::Kind;

use crate::{collect, ratio, value};

#[test]
fn summary_export() {
    let evidence = collect(Kind::K6, "k6/summary-export.json");
    assert_eq!(evidence.kind, "k6");
    assert_eq!(value(&evidence, "k6.http_req_duration.p95"), 133.8);
    let note = evidence.metrics["k6.http_req_duration.p95"].note.as_deref();
    assert_eq!(note, Some(gonogo_ingest::k6::TREND_NOTE));
    assert!(
        note.unwrap()
            .contains("collect k6's `--out json` for an interval")
    );
    assert_eq!(ratio(&evidence, "k6.http_req_failed.rate"), (10, 600));
    assert_eq!(ratio(&evidence, "k6.checks.rate"), (590, 600));
    assert_eq!(value(&evidence, "k6.http_reqs.count"), 600.0);
    // Export polarity: true means the threshold failed.
    assert_eq!(
        evidence.details["thresholds"]["http_req_failed"]["rate<0.01"]["passed"],
        false
    );
    assert_eq!(
        evidence.details["thresholds"]["http_req_duration"]["p(95)<500"]["passed"],
        true
    );
    assert!(
        evidence
            .metrics
            .contains_key("k6.http_req_duration{expected_response:true}.p95")
    );
}

#[test]
fn handle_summary_agrees_with_the_export() {
    let export = collect(Kind::K6, "k6/summary-export.json");
    let handle = collect(Kind::K6, "k6/handle-summary.json");
    for name in [
        "k6.http_req_duration.p95",
        "k6.http_req_duration.p90",
        "k6.http_reqs.count",
    ] {
        assert_eq!(value(&export, name), value(&handle, name), "{name}");
    }
    assert_eq!(
        ratio(&export, "k6.http_req_failed.rate"),
        ratio(&handle, "k6.http_req_failed.rate")
    );
    assert_eq!(value(&handle, "k6.http_req_duration.p99"), 301.2);
    assert_eq!(
        handle.details["thresholds"]["http_req_failed"]["rate<0.01"]["passed"],
        false
    );
    assert_eq!(collect(Kind::Auto, "k6/handle-summary.json").kind, "k6");
}

/// Defect 4 (issue 15): a k6 summary is streamed: at most `MAX_METRICS` metrics become
/// evidence and `MAX_CHECKS_LISTED` checks are listed; the rest are counted and the record
/// says so.
#[test]
fn k6_summary_metrics_and_checks_are_capped_and_counted() {
    use gonogo_ingest::k6::{MAX_CHECKS_LISTED, MAX_METRICS, parse};
    let n = MAX_METRICS + 50;
    let mut text = String::from(r#"{"root_group":{"name":"","groups":[],"checks":["#);
    for i in 0..MAX_CHECKS_LISTED + 7 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(r#"{{"name":"check {i}","passes":1,"fails":0}}"#));
    }
    text.push_str(r#"]},"state":{"testRunDurationMs":1234},"metrics":{"#);
    for i in 0..n {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#""http_req_duration{{url:/item/{i}}}":{{"type":"trend","contains":"time","values":{{"avg":1.5,"p(95)":2.5}}}}"#
        ));
    }
    text.push_str(
        r#","http_reqs":{"type":"counter","contains":"default","values":{"count":42,"rate":1}}}}"#,
    );
    let parsed = parse(text.as_bytes()).unwrap();
    // Two statistics per trend, for the first MAX_METRICS metrics only.
    assert_eq!(parsed.metrics.len(), 2 * MAX_METRICS);
    assert_eq!(
        parsed.details["truncated"],
        format!("truncated: 51 metrics beyond {MAX_METRICS} counted, not kept")
    );
    // The request count is still found past the cap.
    assert_eq!(parsed.details["requests_or_iterations"], 42.0);
    assert_eq!(
        parsed.details["checks"].as_array().unwrap().len(),
        MAX_CHECKS_LISTED
    );
    assert_eq!(parsed.details["checks_not_listed"], 7);
    assert_eq!(parsed.details["test_run_duration_ms"], 1234);
}
