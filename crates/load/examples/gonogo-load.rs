//! A stand-alone `gonogo-load` binary for benchmarks and manual runs, until the `gonogo` binary
//! dispatches `load` and `merge` (the lead owns `crates/cli`).
//!
//! ```text
//! cargo run --release -p gonogo-load --example gonogo-load -- load http://127.0.0.1:8080/ -c 50
//! cargo run --release -p gonogo-load --example gonogo-load -- merge a.hlog b.hlog -o all.hlog
//! ```

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "gonogo-load", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Load(Box<gonogo_load::cli::LoadArgs>),
    Merge(gonogo_load::cli::MergeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Load(args) => gonogo_load::cli::run(*args),
        // Only load evidence merges: the load engine's own rows are the catalogue it needs.
        Command::Merge(args) => gonogo_load::cli::merge(
            args,
            gonogo_core::catalog::Catalog::new(&[gonogo_load::METRICS]),
        ),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            gonogo_load::cli::exit_code_for(&error)
        }
    }
}
