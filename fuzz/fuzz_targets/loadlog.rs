//! Fuzzes the raw load-result readers (`collect k6-json|k6-csv|jmeter|hey|vegeta|gatling|locust`,
//! issue 19): the first byte picks the reader, the rest is its input. Any input gives evidence or
//! an error, never a panic or an unbounded allocation; and what a reader makes is internally
//! consistent: every ratio has k <= n, and a latency distribution never holds more samples
//! than the lines (or, in Gatling's binary log, the bytes) it was read from.
#![no_main]

use gonogo_ingest::{Kind, parse_reader};
use libfuzzer_sys::fuzz_target;

const READERS: [Kind; 7] = [
    Kind::K6Json,
    Kind::K6Csv,
    Kind::Jmeter,
    Kind::Hey,
    Kind::Vegeta,
    Kind::Gatling,
    Kind::Locust,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let kind = READERS[usize::from(selector) % READERS.len()];
    let Ok(parsed) = parse_reader(kind, input) else {
        return;
    };
    // A line holds at most one sample (JMeter's XML: an element), except Locust's stats rows,
    // which are estimates standing for many requests: bound the others by lines and elements.
    // Gatling 3.13+'s binary log has no lines: a record there is several bytes at least.
    let lines = if kind == Kind::Gatling && input.first() == Some(&0) {
        input.len() as u64
    } else {
        input.split(|&b| b == b'\n').count() as u64
            + input.iter().filter(|&&b| b == b'<').count() as u64
    };
    for (name, metric) in parsed.metrics {
        if let Some(ratio) = metric.value.as_ratio() {
            assert!(ratio.k <= ratio.n, "{name}: k {} > n {}", ratio.k, ratio.n);
        }
        if kind != Kind::Locust {
            if let Some(histogram) = metric.value.as_histogram() {
                assert!(
                    histogram.len() <= lines,
                    "{name}: {} samples from {lines} lines",
                    histogram.len()
                );
            }
        }
    }
});
