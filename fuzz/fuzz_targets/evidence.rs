//! Fuzzes the evidence reader (`gonogo_core::wire::parse_records`), the contract between
//! producers and `gonogo gate`: any text gives records or an error, never a panic and never an
//! unbounded allocation (a histogram header declaring a huge range is refused before
//! hdrhistogram allocates it: run with `-rss_limit_mb` to hold it to that); and every record
//! that parses round-trips: written back, it reads again to the same record, and that is a
//! fixed point of writing.
#![no_main]

use gonogo_core::wire::{parse_records, to_json_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(records) = parse_records(text, gonogo_catalog::CATALOG) else {
        return;
    };
    assert!(!records.is_empty());
    let written: String = records.iter().map(to_json_line).collect::<Vec<_>>().join("\n");
    let again = parse_records(&written, gonogo_catalog::CATALOG)
        .unwrap_or_else(|e| panic!("a written record does not read back: {e}\n{written}"));
    assert_eq!(again.len(), records.len());
    let rewritten: String = again.iter().map(to_json_line).collect::<Vec<_>>().join("\n");
    assert_eq!(rewritten, written, "writing is not a fixed point");
    for (a, b) in records.iter().zip(&again) {
        assert_eq!(a.metrics.len(), b.metrics.len());
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.kind, b.kind);
    }
});
