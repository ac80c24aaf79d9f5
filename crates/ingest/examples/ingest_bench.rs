//! The parser half of `bench/ingest.sh`: collects one file as `gonogo collect` would (one
//! streaming pass that parses and hashes) and prints the wall time, the throughput and the
//! process's peak RSS (`VmHWM` from `/proc/self/status`).
//!
//! Usage: `cargo run --release -p gonogo-ingest --example ingest_bench -- KIND FILE`

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::ValueEnum as _;
use gonogo_ingest::{Kind, cli::describe, collect_file};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(kind), Some(path)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: ingest_bench KIND FILE");
        return ExitCode::from(2);
    };
    let Ok(kind) = Kind::from_str(kind, true) else {
        eprintln!("unknown kind {kind}");
        return ExitCode::from(2);
    };
    let path = Path::new(path);
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let start = Instant::now();
    let result = collect_file(kind, path);
    let seconds = start.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    match result {
        Ok(record) => {
            println!("gonogo {}: {}", kind.as_str(), describe(&record));
            println!(
                "gonogo {}: {:.1} MB in {:.2} s = {:.0} MB/s, peak RSS {} (VmHWM)",
                kind.as_str(),
                mb,
                seconds,
                mb / seconds,
                peak_rss()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(3)
        }
    }
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .map(|line| line.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
