//! The subcommands' `--help` teaches: examples, exit codes and defaults are in it. Also checks
//! that every source file opens with a `//!` module doc.

use clap::{CommandFactory, Parser};
use gonogo_probe::cli::observe::ObserveArgs;
use gonogo_probe::cli::probe::ProbeArgs;
use gonogo_probe::cli::prometheus::PrometheusArgs;

#[derive(Parser)]
#[command(name = "gonogo")]
enum Cli {
    Observe(ObserveArgs),
    Probe(ProbeArgs),
    Prometheus(PrometheusArgs),
}

fn long_help(path: &[&str]) -> String {
    let mut command = Cli::command();
    command.build();
    let mut current = &mut command;
    for name in path {
        current = current.find_subcommand_mut(name).unwrap();
    }
    current.render_long_help().to_string()
}

#[test]
fn help_shows_examples_exit_codes_and_defaults() {
    for (path, must_contain) in [
        (
            &["observe"][..],
            &[
                "Examples:",
                "Exit codes:",
                "[default: /metrics]",
                "--require <NAME>",
            ][..],
        ),
        (
            &["probe"][..],
            &[
                "Examples:",
                "Exit codes:",
                "[CERTIFICATE_EXPIRATION] > 720h",
                "[default: 5s]",
                "--allow-host",
            ][..],
        ),
        (
            &["prometheus"][..],
            &["Examples:", "GONOGO_PROMETHEUS_TOKEN"][..],
        ),
        (
            &["prometheus", "query"][..],
            &["Exit codes:", "missing", "[default: last]"][..],
        ),
        (&["prometheus", "rules"][..], &["--require-alert-on"][..]),
    ] {
        let help = long_help(path);
        for text in must_contain {
            assert!(
                help.contains(text),
                "`gonogo {}` --help lacks {text:?}:\n{help}",
                path.join(" ")
            );
        }
    }
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.join("src"), root.join("tests"), root.join("examples")];
    let mut n_files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("data") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                n_files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.starts_with("//!"),
                    "{} has no //! module doc",
                    path.display()
                );
            }
        }
    }
    assert!(n_files > 15, "found only {n_files} files");
}
