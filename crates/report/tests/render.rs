//! Renders the shared fixture in every format: snapshots, and checks by independent readers
//! (quick-xml, Python's junitparser, the JSON Schema).

mod common;

use gonogo_report::i18n::Lang;
use gonogo_report::{html, json, junit, markdown};

#[test]
fn fixture_has_every_status() {
    let (doc, _) = common::fixture();
    let statuses: std::collections::BTreeSet<&str> =
        doc.gates.iter().map(|g| g.status.as_str()).collect();
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        ["fail", "inconclusive", "missing", "pass", "waived"]
    );
    assert_eq!(doc.verdict, "NO-GO");
}

