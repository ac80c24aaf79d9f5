//! Integration tests of the collectors, one binary: real producers' files (`tests/data/`,
//! each folder's README says which tool, version and command made them), error reporting,
//! streaming limits and the `collect` command line.

mod audit;
mod ci_history;
mod cli;
mod coverage;
mod encodings;
mod errors;
mod gatling_binary;
mod junit;
mod k6;
mod loadlog;
mod sarif;

use std::path::PathBuf;

use gonogo_core::evidence::{Evidence, MetricValue};
use gonogo_ingest::{IngestError, Kind, collect_file};

/// The path of a committed test file.
pub fn data(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(relative)
}

/// Collects a committed test file, which must succeed.
pub fn collect(kind: Kind, relative: &str) -> Evidence {
    match collect_file(kind, &data(relative)) {
        Ok(evidence) => evidence,
        Err(error) => panic!("{relative}: {error}"),
    }
}

/// Collects a committed test file, which must fail.
pub fn collect_error(kind: Kind, relative: &str) -> IngestError {
    match collect_file(kind, &data(relative)) {
        Ok(evidence) => panic!("{relative}: expected an error, got {:?}", evidence.metrics),
        Err(error) => error,
    }
}

/// A ratio metric as (k, n).
pub fn ratio(evidence: &Evidence, name: &str) -> (u64, u64) {
    match evidence.metrics.get(name).map(|m| &m.value) {
        Some(MetricValue::Ratio(r)) => (r.k, r.n),
        other => panic!("{name}: not a ratio: {other:?}"),
    }
}

/// A value metric.
pub fn value(evidence: &Evidence, name: &str) -> f64 {
    match evidence.metrics.get(name).map(|m| &m.value) {
        Some(MetricValue::Value(v)) => *v,
        other => panic!("{name}: not a value: {other:?}"),
    }
}

/// Every source file opens with a `//!` module doc saying what it is for.
#[test]
fn every_module_has_a_doc_comment() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for folder in ["src", "src/coverage", "tests/it", "examples"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                if !text.starts_with("//!") {
                    missing.push(path.display().to_string());
                }
            }
        }
    }
    assert!(missing.is_empty(), "no //! module doc: {missing:?}");
}
