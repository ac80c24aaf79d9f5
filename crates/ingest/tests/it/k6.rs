//! k6 summaries, written from k6's documented formats (k6 is not installable here).

use gonogo_ingest::Kind;

use crate::{collect, ratio, value};

#[test]
fn summary_export() {
    let evidence = collect(Kind::K6, "k6/summary-export.json");
    assert_eq!(evidence.kind, "k6");
    assert_eq!(value(&evidence, "k6.http_req_duration.p95"), 133.8);
    let note = evidence.metrics["k6.http_req_duration.p95"].note.as_deref();
    assert_eq!(note, Some("k6 exports no histogram: sample count unknown"));
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
