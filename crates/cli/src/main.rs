//! The `gonogo` binary: parses flags, wires engines to the core, picks renderers.
//!
//! Every subcommand lives in its own module and returns an [`exit::Exit`]; errors carry the
//! exit code they end with (2 for a wrong policy or command line, 3 for unreadable evidence).

mod audit;
mod demo;
mod diagnostics;
mod drill;
mod engines;
mod evidence_dir;
mod exit;
mod fsutil;
mod gate;
mod history;
mod init;
mod interrupt;
mod k8s;
mod merge;
mod metrics;
mod notify;
mod pipeline;
mod post;
mod record;
mod reference;
mod rollback;
mod run;
mod schema;
mod store;
mod thresholds;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::exit::{Exit, Failure};

/// Decide whether a service is ready for production, from evidence.
///
/// gonogo measures a service, collects the evidence CI already produced, judges it under a
/// policy (gonogo.toml) and reports GO or NO-GO, with a status per area and ranked blockers,
/// every line citing its evidence. No evidence, no green: too little evidence is
/// inconclusive, never a pass.
#[derive(Debug, Parser)]
#[command(name = "gonogo", version, max_term_width = 100)]
#[command(after_long_help = "\
Exit codes: 0 GO, 1 NO-GO, 2 the policy or the command line is wrong, 3 evidence could not
be read, 4 an output could not be written (the message names the path), 130/143 `run` was
interrupted by SIGINT/SIGTERM (what was measured so far is written).

Colour: on for terminals; NO_COLOR (non-empty) or a pipe turns it off.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Judge the evidence folder under the policy: GO or NO-GO.
    Gate(gate::GateArgs),
    /// Run the whole pipeline against the built-in sample service: NO-GO, or GO with --fixed.
    Demo(demo::DemoArgs),
    /// Run the whole policy: commands, engines, collectors, then the verdict and reports.
    Run(run::RunArgs),
    /// Render a saved verdict.json as Markdown, HTML, JSON or JUnit XML, or post it to a
    /// pull request (--github) or merge request (--gitlab).
    Report(post::ReportWithPosting),
    // No doc comment: the load engine's own (short and long) help is the subcommand's.
    Load(thresholds::LoadWithThresholds),
    /// Merge load results exactly: k6, JMeter, Gatling, Vegeta, hey, Locust, gonogo evidence, HdrHistogram logs.
    Merge(merge::MergeArgs),
    /// Distributed load on Kubernetes: an Indexed Job of `load --segment` pods, judged as one.
    K8s(k8s::K8sArgs),
    /// Turn files CI produced (JUnit, coverage, SARIF, audits, k6) into evidence.
    Collect(gonogo_ingest::cli::CollectArgs),
    /// Probe an endpoint once or over a watch window: availability, latency, certificates.
    Probe(gonogo_probe::cli::probe::ProbeArgs),
    /// Check that a service is observable: /metrics, health endpoints, structured logs.
    Observe(gonogo_probe::cli::observe::ObserveArgs),
    /// Query a Prometheus server, or check its alerting rules, as evidence.
    Prometheus(gonogo_probe::cli::prometheus::PrometheusArgs),
    /// Audit a live HTTP service's security hardening (OWASP ASVS).
    Harden(gonogo_harden::cli::HardenArgs),
    /// Break a dependency on purpose, on loopback, on a timeline of faults, then restore it.
    Fault(gonogo_fault::cli::FaultArgs),
    /// Record figures typed by hand (a ratio, samples, an exact value or an estimate) as evidence.
    Record(record::RecordArgs),
    /// Check a hand-written readiness report against itself and against evidence.
    Audit(audit::AuditArgs),
    /// The runs remembered: list, show, pin, prune, export, import.
    History(history::HistoryArgs),
    /// A gate's or a metric's last runs: points and intervals, as a sparkline.
    Trend(history::TrendArgs),
    /// Write a starter policy for this folder's project (and, with --target, its service).
    Init(init::InitArgs),
    /// Print the JSON Schema of the policy file, of verdict.json or of an evidence record.
    Schema(SchemaArgs),
    /// List the metrics gates can use, with their units, shapes and aggregates.
    Metrics(metrics::MetricsArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    #[command(after_long_help = "\
Examples:
  gonogo completions bash > ~/.local/share/bash-completion/completions/gonogo
  gonogo completions zsh > ~/.zfunc/_gonogo
  gonogo completions fish > ~/.config/fish/completions/gonogo.fish")]
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand into a folder.
    #[command(after_long_help = "\
Examples:
  gonogo manpage | man -l -
  gonogo manpage --out-dir /usr/local/share/man/man1")]
    Manpage(ManpageArgs),
}

#[derive(Debug, clap::Args)]
struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
struct ManpageArgs {
    /// Write gonogo.1 and gonogo-SUBCOMMAND.1 into this folder instead of printing gonogo.1.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum, default_value = "policy")]
    which: Schema,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Schema {
    /// gonogo.toml
    Policy,
    /// verdict.json, version 1
    Verdict,
    /// One evidence record (a .json file; one per line in .jsonl), version 1
    Evidence,
    /// Not a JSON Schema: every key of gonogo.toml for users, in Markdown (docs/reference.md)
    Reference,
}

fn main() -> ExitCode {
    let matches = command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let color = use_color();
    let result = match cli.command {
        Command::Gate(args) => gate::run(args, color).map(Outcome::from),
        Command::Run(args) => run::run(args, color).map(Outcome::from),
        Command::Demo(args) => demo::run(args, color).map(Outcome::from),
        Command::Report(args) => engine(post::run(args), None),
        Command::Load(args) => engine(thresholds::run(args), Some(gonogo_load::cli::exit_code_for)),
        Command::Merge(args) => engine(merge::run(args), Some(gonogo_load::cli::exit_code_for)),
        Command::K8s(args) => engine(k8s::run(args), Some(gonogo_load::cli::exit_code_for)),
        Command::Collect(args) => collect(args, color),
        Command::Probe(args) => engine(gonogo_probe::cli::probe::run(args), None),
        Command::Observe(args) => engine(gonogo_probe::cli::observe::run(args), None),
        Command::Prometheus(args) => engine(gonogo_probe::cli::prometheus::run(args), None),
        Command::Harden(args) => engine(gonogo_harden::cli::run(args), None),
        Command::Fault(args) => engine(gonogo_fault::cli::run(args), None),
        Command::Record(args) => record::run(args).map(Outcome::from),
        Command::Audit(args) => audit::run(args, color).map(Outcome::from),
        Command::History(args) => history::history(args).map(Outcome::from),
        Command::Trend(args) => history::trend(args).map(Outcome::from),
        Command::Init(args) => init::run(args).map(Outcome::from),
        Command::Schema(args) => schema(args).map(Outcome::from),
        Command::Metrics(args) => metrics::run(args).map(Outcome::from),
        Command::Completions(args) => completions(args).map(Outcome::from),
        Command::Manpage(args) => manpage(args).map(Outcome::from),
    };
    match result {
        Ok(Outcome::Exit(exit)) => exit.into(),
        Ok(Outcome::Code(code)) => code,
        Err(failure) => {
            if let Some(error) = failure.error {
                eprintln!("error: {}", inert_error(&error));
            }
            failure.exit.into()
        }
    }
}

/// The command line, with the help of subcommands whose engine struct is wrapped (`load` adds
/// `--threshold` to the load engine's flags) taken from the engine itself.
fn command() -> clap::Command {
    let load = <gonogo_load::cli::LoadArgs as clap::Args>::augment_args(clap::Command::new("load"));
    let about = load
        .get_about()
        .map(ToString::to_string)
        .unwrap_or_default();
    let long_about = load
        .get_long_about()
        .map(ToString::to_string)
        .unwrap_or_default();
    Cli::command().mut_subcommand("load", |sub| sub.about(about).long_about(long_about))
}

/// How a subcommand ended: gonogo's own exit codes, or an engine's exit code as it chose it.
enum Outcome {
    Exit(Exit),
    Code(ExitCode),
}

impl From<Exit> for Outcome {
    fn from(exit: Exit) -> Outcome {
        Outcome::Exit(exit)
    }
}

/// An engine's result: its own exit code, or its error printed with the code its crate maps it
/// to (1 when it has no mapping: the measurement failed).
/// `gonogo collect`, with `--policy` read (and its problems shown with carets) here, where
/// the policy diagnostics live.
fn collect(args: gonogo_ingest::cli::CollectArgs, color: bool) -> Result<Outcome, Failure> {
    let options = match &args.policy {
        Some(path) => {
            let loaded = gate::load_policy(path, args.env.as_deref(), color)?;
            let options = run::collect_options(&loaded.policy, jiff::Timestamp::now());
            if !options.audit_ignores.is_empty() {
                eprintln!(
                    "applying {} [[ignore]] rule{} from {} to dependency audits",
                    options.audit_ignores.len(),
                    if options.audit_ignores.len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    path.display()
                );
            }
            options
        }
        None => gonogo_ingest::CollectOptions::default(),
    };
    // The records go into the evidence folder through the binary's one store.
    let store = store::Folder::new(&args.evidence_dir);
    engine(
        gonogo_ingest::cli::run_into(args, &options, &mut |record| {
            store::WriteStore::put_evidence(&store, record).map(drop)
        }),
        None,
    )
}

fn engine(
    result: anyhow::Result<ExitCode>,
    exit_code_for: Option<fn(&anyhow::Error) -> ExitCode>,
) -> Result<Outcome, Failure> {
    match result {
        Ok(code) => Ok(Outcome::Code(code)),
        Err(error) => {
            eprintln!("error: {}", inert_error(&error));
            let code = match Exit::for_error(&error, Exit::NoGo) {
                Exit::Write => Exit::Write.into(),
                _ => exit_code_for.map_or(Exit::NoGo.into(), |f| f(&error)),
            };
            Ok(Outcome::Code(code))
        }
    }
}

/// Colour on stdout: a terminal, and NO_COLOR unset or empty (anstream also honours CLICOLOR).
fn use_color() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color
        && std::io::stdout().is_terminal()
        && anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

fn schema(args: SchemaArgs) -> Result<Exit, Failure> {
    let schema = match args.which {
        Schema::Reference => {
            gate::ignore_broken_pipe({
                use std::io::Write as _;
                write!(std::io::stdout(), "{}", reference::markdown())
            })?;
            return Ok(Exit::Go);
        }
        Schema::Policy => crate::schema::policy(),
        Schema::Verdict => gonogo_report::json::json_schema(),
        Schema::Evidence => gonogo_core::wire::json_schema(),
    };
    let text = serde_json::to_string_pretty(&schema).context("serialising the schema")?;
    gate::ignore_broken_pipe({
        use std::io::Write as _;
        writeln!(std::io::stdout(), "{text}")
    })?;
    Ok(Exit::Go)
}

fn completions(args: CompletionsArgs) -> Result<Exit, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command(), "gonogo", &mut script);
    gate::ignore_broken_pipe({
        use std::io::Write as _;
        std::io::stdout().write_all(&script)
    })?;
    Ok(Exit::Go)
}

/// The man pages: gonogo.1 and, with a folder, one page per subcommand (gonogo-run.1 ...).
fn man_pages() -> Vec<(String, Vec<u8>)> {
    let root = command();
    let mut pages = Vec::new();
    let mut render = |name: String, cmd: clap::Command| {
        let mut roff = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut roff)
            .expect("rendering into memory cannot fail");
        pages.push((name, roff));
    };
    render("gonogo.1".to_owned(), root.clone());
    for sub in root.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("gonogo-{}", sub.get_name());
        render(
            format!("{name}.1"),
            sub.clone()
                .name(name)
                .version(root.get_version().unwrap_or_default().to_owned()),
        );
    }
    pages
}

fn manpage(args: ManpageArgs) -> Result<Exit, Failure> {
    let pages = man_pages();
    match &args.out_dir {
        Some(dir) => {
            for (name, roff) in &pages {
                fsutil::write_atomic(&dir.join(name), roff)?;
            }
            eprintln!("wrote {} man pages into {}", pages.len(), dir.display());
        }
        None => gate::ignore_broken_pipe({
            use std::io::Write as _;
            std::io::stdout().write_all(&pages[0].1)
        })?,
    }
    Ok(Exit::Go)
}

/// An error chain as printed: file names, URLs and excerpts in it came from outside, so it is
/// redacted and made inert (issue 15).
fn inert_error(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    gonogo_core::text::inert(&gonogo_core::redact::redact(&text)).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn load_help_is_the_load_engines() {
        let mut command = super::command();
        let load = command.find_subcommand_mut("load").unwrap();
        let help = load.render_long_help().to_string();
        assert!(
            help.contains("coordinated omission") || help.contains("intended"),
            "{help}"
        );
        assert!(help.contains("--threshold"), "{help}");
    }

    #[test]
    fn bash_completion_knows_every_subcommand_and_flags() {
        let mut script = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut super::command(),
            "gonogo",
            &mut script,
        );
        let script = String::from_utf8(script).unwrap();
        assert!(
            script.contains("complete -F _gonogo"),
            "not a bash completion"
        );
        for sub in super::command().get_subcommands() {
            assert!(
                script.contains(&format!("cmd=\"gonogo__subcmd__{}\"", sub.get_name())),
                "bash completion lacks {}",
                sub.get_name()
            );
        }
        assert!(script.contains("--github"));
        assert!(script.contains("--notify-webhook"));
        for shell in [
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::Elvish,
            clap_complete::Shell::PowerShell,
        ] {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut super::command(), "gonogo", &mut out);
            let out = String::from_utf8(out).unwrap();
            assert!(
                out.contains("manpage") && out.contains("completions"),
                "{shell}"
            );
        }
    }

    #[test]
    fn the_man_page_has_name_synopsis_and_every_subcommand() {
        let pages = super::man_pages();
        let (name, roff) = &pages[0];
        assert_eq!(name, "gonogo.1");
        let roff = String::from_utf8(roff.clone()).unwrap();
        assert!(roff.contains(".SH NAME"), "{roff}");
        assert!(roff.contains(".SH SYNOPSIS"), "{roff}");
        assert!(roff.contains(".SH SUBCOMMANDS"), "{roff}");
        for sub in super::command().get_subcommands() {
            let sub = sub.get_name();
            assert!(
                roff.contains(&format!("gonogo\\-{sub}"))
                    || roff.contains(&format!("gonogo-{sub}")),
                "the man page lacks {sub}"
            );
            if sub != "help" {
                assert!(
                    pages.iter().any(|(n, _)| *n == format!("gonogo-{sub}.1")),
                    "no page for {sub}"
                );
            }
        }
        let run = &pages.iter().find(|(n, _)| n == "gonogo-run.1").unwrap().1;
        let run = String::from_utf8_lossy(run);
        assert!(run.contains("\\-\\-policy"), "{run}");
    }

    #[test]
    fn flags_are_consistent() {
        use clap::CommandFactory as _;
        super::Cli::command().debug_assert();
    }
}

/// Issue 15: no command line makes gonogo panic or abort. Random argument vectors, made of
/// every subcommand's own flags and hostile values, go through the real parser (and, for
/// `load`, through the configuration check that runs before any traffic); nothing is run.
#[cfg(test)]
mod argv_fuzz {
    use clap::FromArgMatches as _;
    use proptest::prelude::*;

    const VALUES: &[&str] = &[
        "99999999999999999999h",
        "1e309ms",
        "1e10",
        "100000",
        "100000000",
        "18446744073709551616",
        "-1",
        "-5s",
        "0",
        "0s",
        "0.5",
        "NaN",
        "inf",
        "1e-300",
        "",
        "1m30s",
        "24h",
        "8d",
        "10s",
        "30s:1e9",
        "1s:NaN",
        "p(95) < 5ms",
        "rate < 101%",
        "http://127.0.0.1:1/",
        "http://[::1]:1/",
        "\u{1b}[2J",
        "::error::x",
    ];

    /// The subcommand path (`prometheus query` is two) and its flags.
    fn commands() -> Vec<(Vec<String>, Vec<String>)> {
        fn walk(
            command: &clap::Command,
            path: Vec<String>,
            out: &mut Vec<(Vec<String>, Vec<String>)>,
        ) {
            let flags = command
                .get_arguments()
                .flat_map(|arg| {
                    let long = arg.get_long().map(|l| format!("--{l}"));
                    let short = arg.get_short().map(|s| format!("-{s}"));
                    long.into_iter().chain(short)
                })
                .filter(|flag| flag != "--help" && flag != "-h" && flag != "--version")
                .collect();
            out.push((path.clone(), flags));
            for sub in command.get_subcommands() {
                let mut path = path.clone();
                path.push(sub.get_name().to_owned());
                walk(sub, path, out);
            }
        }
        let mut out = Vec::new();
        walk(&super::command(), Vec::new(), &mut out);
        out.retain(|(path, _)| !path.is_empty());
        out
    }

    fn check(argv: &[String]) {
        let matches = match super::command().try_get_matches_from(argv) {
            Ok(matches) => matches,
            Err(error) => {
                let _ = error.render().to_string();
                return;
            }
        };
        if let Ok(super::Cli {
            command: super::Command::Load(args),
        }) = super::Cli::from_arg_matches(&matches)
        {
            // Loopback URLs only (no --allow-host is generated): nothing leaves the machine,
            // and build_config sends nothing.
            let _ = gonogo_load::cli::build_config(&args.load);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn no_command_line_panics(
            which in any::<prop::sample::Index>(),
            words in prop::collection::vec(
                (any::<prop::sample::Index>(), any::<prop::sample::Index>(), 0u8..4, "[ -~]{0,10}"),
                0..8,
            ),
        ) {
            let commands = commands();
            let (path, flags) = &commands[which.index(commands.len())];
            let mut argv = vec!["gonogo".to_owned()];
            argv.extend(path.iter().cloned());
            for (flag, value, shape, random) in words {
                let value = if shape == 3 { random } else { VALUES[value.index(VALUES.len())].to_owned() };
                match (shape, flags.is_empty()) {
                    (_, true) | (2, _) => argv.push(value),
                    (0, false) => {
                        argv.push(flags[flag.index(flags.len())].clone());
                        argv.push(value);
                    }
                    _ => argv.push(format!("{}={value}", flags[flag.index(flags.len())])),
                }
            }
            // No generated host is allowed explicitly: traffic could only go to loopback.
            prop_assume!(!argv.iter().any(|a| a.starts_with("--allow-host")));
            let outcome = std::panic::catch_unwind(|| check(&argv));
            prop_assert!(outcome.is_ok(), "panicked on {:?}", argv);
        }
    }

    #[test]
    fn the_issue_15_command_lines_are_errors_not_panics() {
        for line in [
            "load http://127.0.0.1:1/ --duration 99999999999999999999h",
            "load http://127.0.0.1:1/ --threads 100000",
            "load http://127.0.0.1:1/ -c 100000000",
            "load http://127.0.0.1:1/ --rate 1e10 --duration 1s",
            "load http://127.0.0.1:1/ --duration 1e309ms",
            "probe http://127.0.0.1:1/ --timeout 99999999999999999999h",
            "observe http://127.0.0.1:1/ --timeout 1e20",
        ] {
            let argv: Vec<&str> = std::iter::once("gonogo").chain(line.split(' ')).collect();
            let error = super::command()
                .try_get_matches_from(&argv)
                .expect_err(line);
            assert_eq!(
                error.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{line}"
            );
        }
    }
}
