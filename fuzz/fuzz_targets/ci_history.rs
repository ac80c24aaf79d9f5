//! Fuzzes the CI run history collector (`collect ci-history`: gh run list, GitHub's
//! workflow-runs API, GitLab's pipelines, the generic CSV): never a panic; on success every
//! ratio has k <= n, `success` and `flaky` of one workflow count the same runs, and every
//! duration histogram holds no more samples than those runs.
#![no_main]

use gonogo_ingest::{Kind, parse_reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = parse_reader(Kind::CiHistory, data) {
        let mut counted = std::collections::BTreeMap::new();
        for (name, metric) in &parsed.metrics {
            if let Some(ratio) = metric.value.as_ratio() {
                assert!(ratio.k <= ratio.n, "{name}");
                let prefix = name.rsplit_once('.').map(|(p, _)| p.to_owned()).unwrap();
                let n = *counted.entry(prefix).or_insert(ratio.n);
                assert_eq!(n, ratio.n, "{name}");
            }
        }
        for (name, metric) in &parsed.metrics {
            if let Some(histogram) = metric.value.as_histogram() {
                let prefix = name.rsplit_once('.').map(|(p, _)| p.to_owned()).unwrap();
                assert!(histogram.len() <= counted[&prefix], "{name}");
            }
        }
    }
});
