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
    if args.get(3).map(String::as_str) == Some("--breakdown") {
        breakdown(path);
    }
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

/// Times the two halves of a collection apart: parsing only, and hashing only.
fn breakdown(path: &Path) {
    use std::io::{BufReader, Read as _};
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let file = std::fs::File::open(path).expect("readable");
    let summary = gonogo_ingest::junit::parse(BufReader::with_capacity(256 * 1024, file));
    let parse_seconds = start.elapsed().as_secs_f64();
    let parse_cpu = cpu_seconds() - cpu_start;
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let mut file = std::fs::File::open(path).expect("readable");
    let mut hash = gonogo_core::evidence::Sha256Stream::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buffer).expect("readable");
        if n == 0 {
            break;
        }
        hash.update(&buffer[..n]);
    }
    let _ = hash.finish();
    let hash_seconds = start.elapsed().as_secs_f64();
    let hash_cpu = cpu_seconds() - cpu_start;
    println!(
        "breakdown: parse only {parse_seconds:.2} s wall, {parse_cpu:.2} s CPU ({}); sha256 only {hash_seconds:.2} s wall, {hash_cpu:.2} s CPU",
        if summary.is_ok() { "ok" } else { "error" }
    );
}

/// This process's user + system CPU time (from /proc/self/stat, in clock ticks of 10 ms).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}
