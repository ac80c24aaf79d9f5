//! Fuzzes content detection and dispatch (`collect auto`): never a panic, and a recognised
//! format's evidence has ratios with k <= n.
#![no_main]

use gonogo_ingest::{Kind, parse_reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = parse_reader(Kind::Auto, data) {
        for (_, metric) in parsed.metrics {
            if let Some(ratio) = metric.value.as_ratio() {
                assert!(ratio.k <= ratio.n);
            }
        }
    }
});
