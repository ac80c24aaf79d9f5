//! The audit of a 1 MB report: the three sample reports and the planted English ones, repeated
//! (with their lines renumbered by position) up to 1 MiB.
//!
//! `cargo bench -p gonogo-audit` prints the fastest of five audits and the claims and findings
//! made. Target: under 100 ms. `cargo test --all-targets` runs it once on a tenth of the size.

use std::hint::black_box;
use std::time::{Duration, Instant};

const FIXTURES: &[&str] = &[
    include_str!("../tests/fixtures/ci-stage3-verification.zh.md"),
    include_str!("../tests/fixtures/m5-m7-execution-report.zh.md"),
    include_str!("../tests/fixtures/production-deployment-report.zh.md"),
    include_str!("../tests/fixtures/planted-checkout.en.md"),
    include_str!("../tests/fixtures/planted-mobile.en.md"),
    include_str!("../tests/fixtures/honest.en.md"),
];

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let size = if full { 1 << 20 } else { 1 << 17 };
    let mut report = String::with_capacity(size + 64 * 1024);
    'fill: loop {
        for f in FIXTURES {
            if report.len() >= size {
                break 'fill;
            }
            report.push_str(f);
            report.push('\n');
        }
    }
    let mut best = Duration::MAX;
    let mut best_cpu = Duration::MAX;
    let mut last = None;
    for _ in 0..if full { 5 } else { 1 } {
        let (start, cpu) = (Instant::now(), cpu_time());
        let audit = gonogo_audit::audit(black_box(&report));
        best = best.min(start.elapsed());
        if let (Some(before), Some(after)) = (cpu, cpu_time()) {
            best_cpu = best_cpu.min(after.saturating_sub(before));
        }
        last = Some(audit);
    }
    let audit = last.expect("one run");
    let start = Instant::now();
    let blocks = gonogo_audit::markdown::blocks(&report);
    println!(
        "of which reading the Markdown into {} blocks: {:.1} ms",
        blocks.len(),
        start.elapsed().as_secs_f64() * 1000.0
    );
    println!(
        "audit of a {:.2} MiB report: {:.1} ms wall, {:.1} ms on the CPU (fastest of {}), {} claims, {} findings",
        report.len() as f64 / (1 << 20) as f64,
        best.as_secs_f64() * 1000.0,
        best_cpu.as_secs_f64() * 1000.0,
        if full { 5 } else { 1 },
        audit.summary.claims,
        audit.findings.len()
    );
    assert!(audit.summary.claims > 0 && !audit.findings.is_empty());
}

/// This thread's time on the CPU (Linux: /proc/thread-self/schedstat, nanoseconds), so that a
/// loaded machine's waiting is not counted; `None` elsewhere.
fn cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}
