//! Parses and lints one exposition file with gonogo's streaming parser and prints what it
//! found; the benchmark `bench/observe.sh` times it.
//!
//! ```text
//! cargo run --release -p gonogo-probe --example parse_exposition -- FILE [openmetrics|text]
//! ```

use std::io::BufReader;

use gonogo_probe::exposition::Format;
use gonogo_probe::lint::lint;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: parse_exposition FILE [openmetrics|text]");
        return std::process::ExitCode::from(2);
    };
    let format = match args.next().as_deref() {
        Some("openmetrics") => Format::OpenMetrics,
        _ => Format::PrometheusText,
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("{path}: {error}");
            return std::process::ExitCode::from(3);
        }
    };
    match lint(BufReader::with_capacity(256 * 1024, file), format, &[]) {
        Ok(report) => {
            println!(
                "{} lines, {} families, {} samples, {} problems",
                report.summary.lines,
                report.summary.families,
                report.summary.samples,
                report.n_problems
            );
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{path}: {error}");
            std::process::ExitCode::from(3)
        }
    }
}
