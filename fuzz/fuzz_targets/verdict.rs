//! Fuzzes the baseline/verdict reader (`gonogo_report::json::parse_document`), which reads a
//! saved `verdict.json` back as the baseline of a later run: any text gives a document or an
//! error, never a panic; a document that reads round-trips (written back, it reads again to
//! the same JSON); and turning it into a baseline and its statuses never panics.
#![no_main]

use gonogo_report::json::parse_document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(document) = parse_document(text) else {
        return;
    };
    let written = serde_json::to_string(&document).expect("a read document serialises");
    let again = parse_document(&written)
        .unwrap_or_else(|e| panic!("a written verdict does not read back: {e}\n{written}"));
    assert_eq!(serde_json::to_string(&again).unwrap(), written);
    let statuses = document.statuses();
    assert!(statuses.len() <= document.gates.len());
    let _ = document.to_baseline(gonogo_core::verdict::BaselineRef {
        source: "fuzz".into(),
        sha256: "0".repeat(64),
    });
});
