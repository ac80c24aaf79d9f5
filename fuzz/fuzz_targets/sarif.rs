//! Fuzzes the streaming SARIF reader: never a panic, and every result is counted once
//! (by level, suppressed, or fixed).
#![no_main]

use gonogo_ingest::sarif;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(summary) = sarif::parse(data) else {
        return;
    };
    let by_level: u64 = summary.by_level.iter().sum();
    assert_eq!(by_level + summary.suppressed + summary.fixed, summary.results);
    for (new, all) in summary.new_by_level.iter().zip(summary.by_level.iter()) {
        assert!(new <= all);
    }
    // Rules beyond sarif::MAX_RULES are counted without being listed (issue 15).
    let per_rule: u64 = summary.by_rule.values().flat_map(|c| c.iter()).sum();
    assert_eq!(per_rule + summary.results_of_unlisted_rules, by_level);
    assert!(summary.by_rule.len() <= sarif::MAX_RULES);
    let _ = summary.into_parsed();
});
