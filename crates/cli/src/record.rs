//! `gonogo record`: figures entered by hand, honestly.
//!
//! Teams have numbers from tools gonogo does not run and from people. This turns them into an
//! evidence record that keeps what makes a figure judgeable: a ratio as `k` of `n`, latency
//! samples as a histogram (from a list or a CSV column), a plain value marked **exact** (a
//! count of the whole population) or an **estimate** (a figure from samples gonogo does not
//! have: it can never pass or fail a gate). Whatever is typed is marked as typed by hand: the
//! record's kind is `manual`, its tool `gonogo record`, its source says who or what it came
//! from, and every metric carries the note "typed by hand", which the verdict shows beside the
//! gate that uses it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use gonogo_core::evidence::{
    Evidence, Metric, NoteCode, Ratio, Sha256Stream, Source, Tool, latency_histogram,
};
use gonogo_core::units::Unit;

use crate::evidence_dir;
use crate::exit::{Exit, Failure};
use crate::store::{Folder, WriteStore as _};

/// The most samples one record takes from a list or a CSV file.
pub const MAX_SAMPLES: u64 = 100_000_000;

#[derive(Debug, clap::Args)]
#[command(after_long_help = "\
Exactly one of --ratio, --samples, --samples-file or --value. A value must say whether it is
--exact (a count of the whole population: 3 open criticals in the audited lockfile) or an
--estimate (a P95 someone read off a dashboard): an estimate never passes or fails a gate.

Examples:
  gonogo record tests.failed --ratio 0/120 --unit tests --source 'QA sheet, release 2.3'
  gonogo record custom.checkout.latency --samples 120ms,98ms,143ms --source 'manual timing'
  gonogo record custom.checkout.latency --samples-file timings.csv --column duration_ms \\
      --unit ms --source 'browser timings export'
  gonogo record custom.open_bugs --value 3 --exact --unit bugs --source 'tracker query'
  gonogo record custom.p95 --value 420 --unit ms --estimate --source 'vendor dashboard'

Metrics outside gonogo's own names need a [[metric]] declaration in the policy.")]
pub struct RecordArgs {
    /// The metric's full name (`tests.failed`, `custom.checkout.latency`).
    #[arg(value_name = "METRIC")]
    pub metric: String,

    /// A ratio: K events of N trials, e.g. `2/130`.
    #[arg(long, value_name = "K/N", group = "what")]
    pub ratio: Option<String>,

    /// Duration samples, comma separated (`12ms,15ms,1.2s`; bare numbers are in --unit).
    #[arg(long, value_name = "LIST", group = "what")]
    pub samples: Option<String>,

    /// A CSV file (with a header line) whose --column holds one duration sample per row.
    #[arg(long, value_name = "FILE", group = "what", requires = "column")]
    pub samples_file: Option<PathBuf>,

    /// The CSV column: its header name, or its 1-based number.
    #[arg(long, value_name = "NAME|N")]
    pub column: Option<String>,

    /// A plain value; say --exact or --estimate.
    #[arg(
        long,
        value_name = "NUMBER",
        group = "what",
        allow_hyphen_values = true
    )]
    pub value: Option<f64>,

    /// The value counts the whole population (compared directly).
    #[arg(long, conflicts_with = "estimate")]
    pub exact: bool,

    /// The value is an estimate from samples gonogo does not have (never passes or fails).
    #[arg(long)]
    pub estimate: bool,

    /// The unit: what a ratio counts (`tests`), the unit of bare samples (`ms`), or a value's.
    #[arg(long, value_name = "UNIT")]
    pub unit: Option<String>,

    /// Who or what the figure comes from (a person, a sheet, a query), shown in the verdict.
    #[arg(long, value_name = "TEXT")]
    pub source: String,

    /// When it was measured (RFC 3339; default now). Gates judge its age like any other.
    #[arg(long, value_name = "TIMESTAMP")]
    pub at: Option<jiff::Timestamp>,

    /// The commit of the candidate it is about.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,

    /// Where to write the record.
    #[arg(long, default_value = evidence_dir::DEFAULT_DIR, value_name = "DIR")]
    pub evidence_dir: PathBuf,
}

pub fn run(args: RecordArgs) -> Result<Exit, Failure> {
    let record = build(&args).map_err(Failure::usage)?;
    let path = Folder::new(&args.evidence_dir)
        .put_evidence(&record)
        .map_err(Failure::from)?;
    eprintln!(
        "recorded {} (typed by hand) in {}",
        args.metric,
        path.display()
    );
    Ok(Exit::Go)
}

/// The record the arguments describe.
pub fn build(args: &RecordArgs) -> anyhow::Result<Evidence> {
    let name = args.metric.trim();
    if name.is_empty()
        || !name.contains('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        bail!("`{name}` is not a metric name (dotted words, e.g. custom.checkout.latency)");
    }
    if args.source.trim().is_empty() {
        bail!("--source must say who or what the figure comes from");
    }
    let note = format!("typed by hand: {}", args.source.trim());
    let mut hash = Sha256Stream::new();
    let metric = if let Some(ratio) = &args.ratio {
        hash.update(ratio.as_bytes());
        let (k, n) = ratio
            .split_once('/')
            .ok_or_else(|| anyhow!("--ratio takes K/N, e.g. 2/130"))?;
        let parse = |s: &str, what: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| anyhow!("--ratio: {what} `{s}` is not a whole number"))
        };
        let (k, n) = (parse(k, "K")?, parse(n, "N")?);
        let ratio =
            Ratio::new(k, n).ok_or_else(|| anyhow!("--ratio {k}/{n}: more events than trials"))?;
        if n == 0 {
            bail!("--ratio {k}/{n}: a ratio of nothing proves nothing");
        }
        Metric::ratio(ratio, Unit::count(args.unit.as_deref().unwrap_or("events")))
    } else if let Some(value) = args.value {
        hash.update(value.to_string().as_bytes());
        if !value.is_finite() {
            bail!("--value must be a finite number");
        }
        if !args.exact && !args.estimate {
            bail!(
                "say whether --value {value} is --exact (it counts the whole population) or an --estimate (it can never pass or fail a gate)"
            );
        }
        let metric = Metric::value(value, Unit::parse(args.unit.as_deref().unwrap_or("1")));
        if args.estimate {
            metric.as_estimate()
        } else {
            metric
        }
    } else {
        let default_unit = args.unit.as_deref().unwrap_or("ms");
        let mut histogram = latency_histogram();
        let mut add = |text: &str, hash: &mut Sha256Stream| -> anyhow::Result<()> {
            let micros = duration_micros(text, default_unit)?;
            if histogram.len() >= MAX_SAMPLES {
                bail!("more than {MAX_SAMPLES} samples: record them in parts");
            }
            hash.update(text.as_bytes());
            hash.update(b"\n");
            histogram.saturating_record(micros);
            Ok(())
        };
        if let Some(list) = &args.samples {
            for item in list.split(',').filter(|s| !s.trim().is_empty()) {
                add(item.trim(), &mut hash)?;
            }
        } else if let Some(file) = &args.samples_file {
            let column = args.column.as_deref().expect("clap requires --column");
            read_column(file, column, |text| add(text, &mut hash))?;
        } else {
            bail!("say what to record: --ratio, --samples, --samples-file or --value");
        }
        if histogram.is_empty() {
            bail!("no samples: a distribution of nothing proves nothing");
        }
        Metric::distribution(histogram, Unit::parse("us"))
    };
    let mut record = Evidence::new(
        "manual",
        Source::Command(format!("gonogo record {name} ({})", args.source.trim())),
        hash.finish(),
        args.at.unwrap_or_else(jiff::Timestamp::now),
        Tool::new("gonogo record", env!("CARGO_PKG_VERSION")),
    );
    record.commit = args.commit.as_ref().map(|c| c.trim().to_ascii_lowercase());
    let code = NoteCode::new("record.typed_by_hand").arg("source", args.source.trim());
    record.insert(name, metric.with_coded_note(note, code));
    Ok(record)
}

/// A duration sample in microseconds: `12ms`, `1.5s`, `300us`, or a bare number in `unit`.
fn duration_micros(text: &str, unit: &str) -> anyhow::Result<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let suffix = if suffix.trim().is_empty() {
        unit
    } else {
        suffix.trim()
    };
    let number: f64 = number
        .parse()
        .map_err(|_| anyhow!("`{text}` is not a duration (12ms, 1.5s, or a number in --unit)"))?;
    let seconds = match Unit::parse(suffix) {
        Unit::Time(t) => number * t.seconds(),
        _ => bail!("`{text}`: `{suffix}` is not a unit of time (ns, us, ms, s, m, h)"),
    };
    if !seconds.is_finite() || !(0.0..=3600.0).contains(&seconds) {
        bail!("`{text}` is outside 0 to 1 hour");
    }
    Ok((seconds * 1e6).round() as u64)
}

/// Calls `each` with the column's text in every row of a CSV file, streamed; errors name the
/// file and the line.
fn read_column(
    file: &Path,
    column: &str,
    mut each: impl FnMut(&str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let metadata =
        std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?;
    if !metadata.is_file() {
        bail!("{} is not a regular file", file.display());
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{}: no header line", file.display()))?
        .clone();
    let index = match column.parse::<usize>() {
        Ok(n) if n >= 1 && n <= headers.len() => n - 1,
        Ok(n) => bail!(
            "{}: column {n} does not exist (the header has {})",
            file.display(),
            headers.len()
        ),
        Err(_) => headers
            .iter()
            .position(|h| h.trim() == column)
            .ok_or_else(|| {
                anyhow!(
                    "{}: no column `{column}` in the header ({})",
                    file.display(),
                    headers.iter().collect::<Vec<_>>().join(", ")
                )
            })?,
    };
    let mut row = csv::StringRecord::new();
    loop {
        let more = reader
            .read_record(&mut row)
            .with_context(|| format!("{}: line {}", file.display(), reader.position().line()))?;
        if !more {
            return Ok(());
        }
        let line = row.position().map_or(0, |p| p.line());
        let Some(text) = row.get(index).filter(|t| !t.trim().is_empty()) else {
            bail!(
                "{}, line {line}: column `{column}` is empty",
                file.display()
            );
        };
        each(text).with_context(|| format!("{}, line {line}", file.display()))?;
    }
}
