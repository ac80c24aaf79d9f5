//! Fuzzes the LCOV, Cobertura, JaCoCo and Clover parsers: never a panic, hits never exceed what was
//! found, and merging a report with itself keeps what was found and what was hit.
#![no_main]

use gonogo_ingest::coverage::{Coverage, clover, cobertura, jacoco, lcov};
use libfuzzer_sys::fuzz_target;

fn check(coverage: Coverage) {
    let totals = coverage.totals();
    assert!(totals.lines.0 <= totals.lines.1);
    assert!(totals.branches.0 <= totals.branches.1);
    assert!(totals.functions.0 <= totals.functions.1);
    let mut doubled = coverage.clone();
    doubled.merge(&coverage);
    let again = doubled.totals();
    assert_eq!(again.lines.1, totals.lines.1);
    assert_eq!(again.branches, totals.branches);
    assert_eq!(again.functions.1, totals.functions.1);
    assert!(again.lines.0 >= totals.lines.0);
    let _ = coverage.into_parsed("fuzz");
}

fuzz_target!(|data: &[u8]| {
    if let Ok(coverage) = lcov::parse(data) {
        check(coverage);
    }
    if let Ok(coverage) = cobertura::parse(data) {
        check(coverage);
    }
    if let Ok(coverage) = jacoco::parse(data) {
        check(coverage);
    }
    if let Ok(coverage) = clover::parse(data) {
        check(coverage);
    }
});
