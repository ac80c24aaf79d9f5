//! Fuzzes the JUnit parser: never a panic, and the counts add up.
#![no_main]

use gonogo_ingest::junit::{self, SLOWEST_KEPT};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(summary) = junit::parse(data) else {
        return;
    };
    // Every testcase has exactly one outcome.
    assert_eq!(
        summary.passed + summary.failed + summary.errored + summary.skipped,
        summary.testcases
    );
    assert!(summary.flaky <= summary.passed);
    assert!(summary.xfail <= summary.skipped);
    assert!(summary.failing.len() as u64 <= summary.failed + summary.errored);
    assert!(summary.slowest.len() <= SLOWEST_KEPT);
    assert!(summary.slowest.windows(2).all(|w| w[0].time_seconds >= w[1].time_seconds));
    assert!(summary.duration_seconds >= 0.0);
    // Evidence is built or refused, never with k > n.
    if let Ok(parsed) = gonogo_ingest::junit_evidence(summary.clone()) {
        assert!(summary.run() > 0);
        for (_, metric) in parsed.metrics {
            if let Some(ratio) = metric.value.as_ratio() {
                assert!(ratio.k <= ratio.n);
            }
        }
    }
});
