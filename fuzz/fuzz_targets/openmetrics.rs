//! Fuzzes the exposition parsers (`cargo fuzz run openmetrics`): any input must give a value
//! or an error with a line number, never a panic; and whatever parses round-trips: the
//! samples, written back in the text format, parse again to the same names, labels and
//! values.
//!
//! Seed corpus: `fuzz/corpus/openmetrics/` holds the OpenMetrics conformance cases (the
//! `metrics` file of each folder of `crates/probe/tests/data/openmetrics/parsers/`).

#![no_main]

use gonogo_probe::exposition::{FamilyMeta, Format, Sample, Visitor, parse};
use libfuzzer_sys::fuzz_target;

#[derive(Default)]
struct Collect {
    samples: Vec<(String, Vec<(String, String)>, u64)>,
}

impl Visitor for Collect {
    fn sample(&mut self, _family: &FamilyMeta, sample: &Sample<'_>) {
        let labels = sample
            .labels
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        self.samples
            .push((sample.name.to_string(), labels, sample.value.to_bits()));
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn render(samples: &[(String, Vec<(String, String)>, u64)]) -> String {
    let mut out = String::new();
    for (name, labels, bits) in samples {
        let value = f64::from_bits(*bits);
        let labels: Vec<String> = labels
            .iter()
            .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
            .collect();
        let value = if value.is_nan() {
            "NaN".to_string()
        } else if value.is_infinite() {
            if value > 0.0 {
                "+Inf".into()
            } else {
                "-Inf".into()
            }
        } else {
            format!("{value:e}")
        };
        out.push_str(&format!("{name}{{{}}} {value}\n", labels.join(",")));
    }
    out
}

fn canonical(
    samples: &[(String, Vec<(String, String)>, u64)],
) -> Vec<(String, Vec<(String, String)>, u64)> {
    samples
        .iter()
        .map(|(n, l, bits)| {
            let v = f64::from_bits(*bits);
            (
                n.clone(),
                l.clone(),
                if v.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    *bits
                },
            )
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    for format in [Format::OpenMetrics, Format::PrometheusText] {
        let mut first = Collect::default();
        match parse(data, format, &mut first) {
            Err(error) => assert!(error.line >= 1, "errors carry a 1-based line"),
            Ok(summary) => {
                assert_eq!(summary.samples as usize, first.samples.len());
                let text = render(&first.samples);
                let mut second = Collect::default();
                // Written back as the text format, every sample reads again unchanged. (Family
                // structure can differ: a text line is its own untyped family.)
                if parse(text.as_bytes(), Format::PrometheusText, &mut second).is_ok() {
                    assert_eq!(canonical(&first.samples), canonical(&second.samples));
                } else {
                    panic!("samples that parsed do not parse again:\n{text}");
                }
            }
        }
    }
});
