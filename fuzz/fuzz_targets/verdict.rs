//! Fuzzes the baseline/verdict reader: a saved `verdict.json` read back (as `--baseline`,
//! `--compare`, `gate --run` and `gonogo report` read it) through `parse_document` and the
//! edge codec into the typed verdict. Any text gives a verdict or an error, never a panic; a
//! document that reads round-trips (written back, it reads again to the same JSON); the typed
//! verdict is a fixed point of the codec (the typed reading recomputes counts and drops names
//! that match no gate, so a hand-edited document is normalised once, and then stays as it is);
//! and turning it into a baseline never panics.
#![no_main]

use gonogo_core::eval::Baseline;
use gonogo_core::verdict::{BaselineRef, Verdict};
use gonogo_report::json::{VerdictV1, parse_document};
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
    let Ok(verdict) = Verdict::try_from(document) else {
        return;
    };
    let once = serde_json::to_string(&VerdictV1::from(&verdict)).unwrap();
    let reread = Verdict::try_from(
        parse_document(&once)
            .unwrap_or_else(|e| panic!("the typed verdict's document does not read: {e}\n{once}")),
    )
    .unwrap_or_else(|e| panic!("the typed verdict's document is refused: {e}\n{once}"));
    let twice = serde_json::to_string(&VerdictV1::from(&reread)).unwrap();
    assert_eq!(twice, once, "the typed verdict is not a fixed point of the codec");
    let _ = Baseline::of(
        &verdict,
        Some(BaselineRef {
            source: "fuzz".into(),
            sha256: "0".repeat(64),
        }),
    );
});
