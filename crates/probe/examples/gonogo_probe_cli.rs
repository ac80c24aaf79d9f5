//! A stand-in for the `gonogo` binary's dispatch, to try the subcommands by hand until the
//! lead wires them: `cargo run -p gonogo-probe --example gonogo_probe_cli -- observe --help`.

use clap::Parser;

#[derive(Parser)]
#[command(name = "gonogo")]
enum Cli {
    Observe(gonogo_probe::cli::observe::ObserveArgs),
    Probe(gonogo_probe::cli::probe::ProbeArgs),
    Prometheus(gonogo_probe::cli::prometheus::PrometheusArgs),
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    match Cli::parse() {
        Cli::Observe(args) => gonogo_probe::cli::observe::run(args),
        Cli::Probe(args) => gonogo_probe::cli::probe::run(args),
        Cli::Prometheus(args) => gonogo_probe::cli::prometheus::run(args),
    }
}
