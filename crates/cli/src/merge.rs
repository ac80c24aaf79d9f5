//! `gonogo merge`: one exact load record from any mix of load tools' raw results, gonogo load
//! evidence and HdrHistogram logs.
//!
//! Inputs only of HdrHistogram logs keep the engine's log merge (`gonogo_load::cli::merge`,
//! a one-interval log). Any other mix is read into `load` records (raw results through
//! `gonogo_ingest`'s readers, evidence files as they are, a log as a latency-only record) and
//! combined by `gonogo_core::merge::merge_load`: histograms and counts add, throughput is
//! recomputed over the union of the inputs' intervals, units and scenarios are checked, each
//! refusal naming its file. [`merge_records`] is the small function other commands call.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gonogo_core::evidence::Evidence;
use gonogo_core::merge::{MergeInput, merge_load};

use crate::exit::Exit;

/// Merge load results exactly: raw results of k6, JMeter, Gatling, Vegeta, hey and Locust,
/// gonogo load evidence and HdrHistogram logs, in any mix.
///
/// Latency histograms add bucket by bucket (the merged histogram is the histogram of all the
/// samples), error and status ratios add their counts, and throughput is the merged requests
/// over the union of the inputs' time intervals (shards side by side add up; shards one after
/// the other do not). A metric in another unit than in an earlier input, the same input twice,
/// or inputs whose scenarios never meet are refused, naming the file; `--as NAME` merges every
/// scenario as one (k6's `browse` with JMeter's `default`).
///
/// Inputs that are all HdrHistogram logs are merged into one log, as before.
///
/// Examples:
///
///   gonogo merge k6-a.json k6-b.json results.jtl load-default-*.json --as checkout -o merged.json
///
///   gonogo merge shard-0.hlog shard-1.hlog -o all.hlog
///
/// Exit codes: 0 merged; 2 bad command line; 3 an input could not be read or merged.
#[derive(Debug, Clone, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct MergeArgs {
    /// Input files: raw load results, load evidence files (.json/.jsonl), HdrHistogram logs.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,

    /// Output file; for evidence, a directory is also accepted (the usual file name is used).
    #[arg(short = 'o', long)]
    pub output: PathBuf,

    /// Merge every scenario of every input as one scenario of this name (`load.NAME.*`).
    #[arg(long = "as", value_name = "NAME", value_parser = scenario_name)]
    pub as_name: Option<String>,

    /// Print a one-line JSON summary of the merge on stdout.
    #[arg(long)]
    pub json: bool,
}

fn scenario_name(text: &str) -> Result<String, String> {
    gonogo_load::evidence::validate_name(text).map(|()| text.to_string())
}

/// What an input file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    Evidence,
    HistogramLog,
    Raw,
}

fn kind_of(path: &Path) -> std::io::Result<InputKind> {
    let file = std::fs::File::open(path)?;
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, file);
    let prefix = reader.fill_buf()?;
    let text = prefix.trim_ascii_start();
    if text.starts_with(b"{") && text.windows(17).any(|w| w == b"\"gonogo_evidence\"") {
        return Ok(InputKind::Evidence);
    }
    let first = text.split(|&b| b == b'\n').next().unwrap_or(b"");
    if first.starts_with(b"#[")
        || first.starts_with(b"\"StartTimestamp\"")
        || first.starts_with(b"Tag=")
    {
        return Ok(InputKind::HistogramLog);
    }
    Ok(InputKind::Raw)
}

/// An input that could not be read or merged: its message names the file.
fn input_error(message: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    let line = format!("error: {message}");
    eprintln!("{}", gonogo_core::text::inert(&line));
    Ok(Exit::Evidence.into())
}

/// Reads `inputs` into `load` records (see the module doc); the error names the file.
pub fn read_inputs(inputs: &[PathBuf], rename: Option<&str>) -> Result<Vec<MergeInput>, String> {
    let mut records = Vec::new();
    // The inputs of one merge are held together, as an evidence folder's records are.
    let mut budget = crate::evidence_dir::Budget::default();
    for path in inputs {
        let file = path.display().to_string();
        let kind = kind_of(path).map_err(|e| format!("{file}: cannot read: {e}"))?;
        match kind {
            InputKind::Evidence => {
                let parsed = crate::evidence_dir::read_file_within(path, &mut budget)
                    .map_err(|e| format!("{e:#}"))?;
                let many = parsed.len() > 1;
                for (index, record) in parsed.into_iter().enumerate() {
                    let file = if many {
                        format!("{file} (record {})", index + 1)
                    } else {
                        file.clone()
                    };
                    records.push(MergeInput { file, record });
                }
            }
            InputKind::HistogramLog => {
                let (histogram, _) =
                    gonogo_load::histogram_log::read_log(path).map_err(|e| e.to_string())?;
                let bytes = std::fs::read(path).map_err(|e| format!("{file}: cannot read: {e}"))?;
                let mut record = gonogo_core::merge::latency_only(
                    rename.unwrap_or("default"),
                    histogram,
                    gonogo_core::evidence::sha256_hex(&bytes),
                    jiff::Timestamp::now(),
                );
                record.source = gonogo_core::evidence::Source::File(file.clone());
                records.push(MergeInput { file, record });
            }
            InputKind::Raw => {
                let record = gonogo_ingest::collect_file(gonogo_ingest::Kind::Load, path)
                    .map_err(|e| e.to_string())?;
                records.push(MergeInput { file, record });
            }
        }
    }
    Ok(records)
}

/// Merges records already read: [`merge_load`] with its error as text.
pub fn merge_records(inputs: &[MergeInput], rename: Option<&str>) -> Result<Evidence, String> {
    merge_load(inputs, rename).map_err(|e| e.to_string())
}

/// Runs `gonogo merge`.
pub fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let mut kinds = Vec::with_capacity(args.inputs.len());
    for path in &args.inputs {
        match kind_of(path) {
            Ok(kind) => kinds.push(kind),
            Err(error) => return input_error(format!("{}: cannot read: {error}", path.display())),
        }
    }
    if args.as_name.is_none() && kinds.iter().all(|k| *k == InputKind::HistogramLog) {
        return gonogo_load::cli::merge(
            gonogo_load::cli::MergeArgs {
                inputs: args.inputs,
                output: args.output,
                json: args.json,
            },
            gonogo_catalog::CATALOG,
        );
    }
    let inputs = match read_inputs(&args.inputs, args.as_name.as_deref()) {
        Ok(inputs) => inputs,
        Err(message) => return input_error(message),
    };
    let record = match merge_records(&inputs, args.as_name.as_deref()) {
        Ok(record) => record,
        Err(message) => return input_error(message),
    };
    let path = if args.output.is_dir() {
        args.output
            .join(gonogo_core::wire::suggested_file_name(&record))
    } else {
        args.output.clone()
    };
    // The merged record beside the evidence files it merged: `gonogo gate` on that folder
    // would count every sample twice (the inputs, and the merge of them).
    let folder_of = |p: &Path| {
        p.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .canonicalize()
            .ok()
    };
    let out_folder = folder_of(&path);
    for (input, kind) in args.inputs.iter().zip(&kinds) {
        if *kind == InputKind::Evidence && out_folder.is_some() && folder_of(input) == out_folder {
            let line = format!(
                "error: {} is in the folder the merged record would be written to: `gonogo gate` there would count its samples twice (once in it, once in the merge)\nhint: write the merge to another folder (-o merged/) and judge that one, or move the inputs away",
                input.display()
            );
            eprintln!("{}", gonogo_core::text::inert(&line));
            return Ok(Exit::Usage.into());
        }
    }
    gonogo_io::atomic::write_atomic(
        &path,
        (gonogo_core::wire::to_json_pretty(&record) + "\n").as_bytes(),
    )?;
    let line = format!(
        "merged {} input(s) into {}",
        args.inputs.len(),
        path.display()
    );
    eprintln!("{}", gonogo_core::text::inert(&line));
    for (metric, why) in record.details["left_out"].as_object().into_iter().flatten() {
        let line = format!("  left out {metric}: {}", why.as_str().unwrap_or(""));
        eprintln!("{}", gonogo_core::text::inert(&line));
    }
    if args.json {
        let summary = serde_json::json!({
            "kind": "evidence",
            "inputs": args.inputs.len(),
            "metrics": record.metrics.keys().collect::<Vec<_>>(),
            "left_out": record.details["left_out"],
        });
        println!("{summary}");
    }
    Ok(Exit::Go.into())
}
