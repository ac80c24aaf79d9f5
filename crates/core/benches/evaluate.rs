//! Evaluating a large policy: 10,000 gates over 100,000 metrics. One metric in a hundred is an
//! HDR histogram (a dense histogram of 1 µs to 1 h at 3 digits holds about 200 KB of counts,
//! so 1,000 of them are what a large real evidence set holds); a third of the gates compute
//! percentile or mean intervals on them.
//!
//! `cargo bench -p gonogo-core --bench evaluate` prints the fastest of five evaluations and
//! the process's peak RSS (VmHWM, which includes building the evidence). Target: well under a
//! second.

use std::hint::black_box;
use std::time::Instant;

use gonogo_core::eval::evaluate;
use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool, latency_histogram, sha256_hex};
use gonogo_core::policy::Policy;
use gonogo_core::units::Unit;

/// Records at full size; `cargo test` runs this file as a smoke test on a tenth of that.
const RECORDS: usize = 1_000;
const METRICS_PER_RECORD: usize = 100;
const GATES: usize = 10_000;

/// Metric 0 of each record is a latency histogram, then errors (ratios) and throughput values.
fn suffix_of(m: usize) -> &'static str {
    match m {
        0 => "latency",
        m if m % 2 == 1 => "errors",
        _ => "throughput",
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs a small smoke version.
    let full = std::env::args().any(|a| a == "--bench");
    let n_records = if full { RECORDS } else { RECORDS / 10 };
    let build = Instant::now();
    let mut records = Vec::with_capacity(n_records);
    for r in 0..n_records {
        let mut record = Evidence::new(
            "load",
            Source::Url(format!("http://127.0.0.1:8080/{r}")),
            sha256_hex(&r.to_le_bytes()),
            "2026-11-25T12:00:00Z".parse().unwrap(),
            Tool::new("bench", "1"),
        );
        for m in 0..METRICS_PER_RECORD {
            let name = format!("load.s{r}x{m}.{}", suffix_of(m));
            let metric = match suffix_of(m) {
                "latency" => {
                    let mut histogram = latency_histogram();
                    for i in 0..1_000u64 {
                        histogram
                            .record(1_000 + (i * 7919 + (r * m) as u64) % 500_000)
                            .unwrap();
                    }
                    Metric::distribution(histogram, Unit::parse("us"))
                }
                "errors" => Metric::ratio(
                    Ratio::new((r % 7) as u64, 10_000).unwrap(),
                    Unit::count("requests"),
                ),
                _ => Metric::value(100.0 + m as f64, Unit::PerSecond),
            };
            record.insert(name, metric);
        }
        records.push(record);
    }
    // The records are about the service the policy names (rule one: provenance).
    let mut policy_text = String::from("[target]\nbase_url = \"http://127.0.0.1:8080\"\n");
    for g in 0..GATES {
        let r = (g * 7) % n_records;
        // Every third gate reads a histogram.
        let m = if g % 3 == 0 {
            0
        } else {
            1 + g % (METRICS_PER_RECORD - 1)
        };
        let suffix = suffix_of(m);
        let expect = match suffix {
            "latency" => [
                "p(95) < 400ms",
                "p(99) < 450ms",
                "med < 100ms",
                "mean < 300ms",
            ][g % 4],
            "errors" => "rate < 0.5%",
            _ => "value >= 150/s",
        };
        policy_text.push_str(&format!(
            "[[gate]]\nname = \"g{g}\"\narea = \"performance\"\nmetric = \"load.s{r}x{m}.{suffix}\"\nexpect = \"{expect}\"\n"
        ));
    }
    let policy = Policy::parse(&policy_text, None, gonogo_catalog::CATALOG)
        .expect("the bench policy parses");
    println!(
        "built {} records, {} metrics, {} gates in {:.2?}",
        records.len(),
        records.len() * METRICS_PER_RECORD,
        policy.gates.len(),
        build.elapsed()
    );

    let now = "2026-11-25T13:00:00Z".parse().unwrap();
    let mut best = f64::INFINITY;
    for _ in 0..(if full { 5 } else { 1 }) {
        let start = Instant::now();
        let verdict = evaluate(&policy, black_box(&records), now, None);
        best = best.min(start.elapsed().as_secs_f64());
        black_box(verdict);
    }
    let verdict = evaluate(&policy, &records, now, None);
    let by_status = |s| verdict.count(s);
    use gonogo_core::verdict::GateStatus::*;
    println!(
        "evaluate: {:.1} ms (best of 5) for {GATES} gates; pass {} fail {} inconclusive {}",
        best * 1e3,
        by_status(Pass),
        by_status(Fail),
        by_status(Inconclusive)
    );
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
        })
        .unwrap_or_else(|| "?".into());
    println!("peak RSS (whole process, evidence included): {peak} kB");
}
