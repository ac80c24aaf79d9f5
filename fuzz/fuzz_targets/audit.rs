//! Fuzzes the audit and k6 readers: never a panic, and the severity counts add up to the
//! vulnerabilities read.
#![no_main]

use gonogo_ingest::{Kind, audit, k6};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in [Kind::CargoAudit, Kind::NpmAudit, Kind::PipAudit, Kind::Osv] {
        if let Ok(parsed) = audit::parse(kind, data) {
            let sum: f64 = parsed
                .metrics
                .iter()
                .filter_map(|(_, metric)| match metric.value {
                    gonogo_core::evidence::MetricValue::Value(v) => Some(v),
                    _ => None,
                })
                .sum();
            assert_eq!(sum as u64, parsed.details["vulnerability_count"].as_u64().unwrap());
        }
    }
    let _ = k6::parse(data);
});
