//! The HdrHistogram interval log (`--save-histogram`) and exact merges (`gonogo merge`).
//!
//! [`write_log`] writes a latency histogram (microseconds) in the standard HdrHistogram interval
//! log format, as the `hdrhistogram` crate's `IntervalLogWriter` produces it and the Java
//! `HistogramLogProcessor` reads it:
//!
//! ```text
//! #[gonogo load latency, microseconds]
//! #[StartTime: 1764072000.000 (seconds since epoch)]
//! #[BaseTime: 1764072000.000 (seconds since epoch)]
//! "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
//! Tag=default,0.000,10.002,12.001,HISTFAAAA...
//! ```
//!
//! The max column is in milliseconds (the values divided by 1000).
//!
//! [`merge_files`] adds inputs exactly, since HDR histograms add bucket by bucket: either
//! interval logs (every interval of every file into one histogram, written as a one-interval
//! log) or `load` evidence files, which add by `gonogo_core::merge::merge_load`, the rule
//! `gonogo merge` uses (ratios add their k and n, distributions add, throughput is the requests
//! over the union of the inputs' intervals), or by `gonogo_core::segments` when they are the
//! segments of one test. Logs are read line by line, so a large log does not need to fit in
//! memory.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use gonogo_core::catalog::Catalog;
use gonogo_core::evidence::Evidence;
use gonogo_core::merge::{MergeError, MergeInput};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};

/// Why a merge or a log could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistogramLogError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}:{line}: not an HdrHistogram interval log line: `{text}`")]
    BadLine {
        path: PathBuf,
        line: usize,
        text: String,
    },
    #[error("{path}:{line}: {reason}")]
    BadHistogram {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{path}: {reason}")]
    BadEvidence { path: PathBuf, reason: String },
    #[error("{path}: holds no histogram")]
    Empty { path: PathBuf },
    #[error(
        "cannot merge interval logs with evidence files ({log} is a log, {evidence} is evidence)"
    )]
    MixedInputs { log: PathBuf, evidence: PathBuf },
    #[error("nothing to merge: give at least one input file")]
    NoInputs,
    /// Evidence records that do not add up to one (each refusal names its file).
    #[error(transparent)]
    Merge(Box<MergeError>),
}

/// Writes `histogram` as a one-interval log covering `start` .. `start + duration`.
pub fn write_log<W: Write>(
    out: &mut W,
    histogram: &Histogram<u64>,
    start: SystemTime,
    duration: Duration,
    tag: &str,
) -> io::Result<()> {
    let mut serializer = V2DeflateSerializer::new();
    let mut builder = IntervalLogWriterBuilder::new();
    builder
        .add_comment("gonogo load latency, microseconds")
        .with_start_time(start)
        .with_base_time(start)
        .with_max_value_divisor(1000.0);
    let mut writer = builder.begin_log_with(out, &mut serializer)?;
    writer
        .write_histogram(histogram, Duration::ZERO, duration, Tag::new(tag))
        .map_err(|e| io::Error::other(format!("{e:?}")))?;
    Ok(())
}

/// Reads every interval of a log at `path` and adds them into one histogram; also returns the
/// number of intervals.
pub fn read_log(path: &Path) -> Result<(Histogram<u64>, usize), HistogramLogError> {
    let io_error = |source| HistogramLogError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut total = growable_histogram();
    let mut intervals = 0;
    let mut line = String::new();
    let mut reader = io::BufReader::new(file);
    let mut line_number = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(io_error)? == 0 {
            break;
        }
        line_number += 1;
        if line.trim().is_empty() {
            continue;
        }
        if !line.ends_with('\n') {
            line.push('\n');
        }
        for entry in IntervalLogIterator::new(line.as_bytes()) {
            match entry {
                Ok(LogEntry::Interval(interval)) => {
                    let histogram = gonogo_core::wire::decode_histogram(
                        interval.encoded_histogram(),
                    )
                    .map_err(|reason| HistogramLogError::BadHistogram {
                        path: path.to_owned(),
                        line: line_number,
                        reason,
                    })?;
                    total
                        .add(&histogram)
                        .map_err(|e| HistogramLogError::BadHistogram {
                            path: path.to_owned(),
                            line: line_number,
                            reason: format!("cannot add: {e:?}"),
                        })?;
                    intervals += 1;
                }
                Ok(_) => {}
                Err(_) => {
                    return Err(HistogramLogError::BadLine {
                        path: path.to_owned(),
                        line: line_number,
                        text: line.trim_end().chars().take(80).collect(),
                    });
                }
            }
        }
    }
    if intervals == 0 {
        return Err(HistogramLogError::Empty {
            path: path.to_owned(),
        });
    }
    Ok((total, intervals))
}

fn growable_histogram() -> Histogram<u64> {
    let mut histogram = gonogo_core::evidence::latency_histogram();
    histogram.auto(true);
    histogram
}

/// What a merge produced.
#[derive(Debug)]
pub enum Merged {
    /// Interval logs: the sum of all their intervals.
    Log {
        histogram: Histogram<u64>,
        intervals: usize,
    },
    /// Load evidence: one record with every metric added.
    Evidence(Box<Evidence>),
}

/// Adds the inputs (all interval logs or all load evidence, read against `catalog`) exactly.
pub fn merge_files(inputs: &[PathBuf], catalog: Catalog) -> Result<Merged, HistogramLogError> {
    let first = inputs.first().ok_or(HistogramLogError::NoInputs)?;
    let mut kinds = Vec::with_capacity(inputs.len());
    for path in inputs {
        kinds.push((path, looks_like_json(path)?));
    }
    if let (Some((log, _)), Some((evidence, _))) = (
        kinds.iter().find(|(_, json)| !json),
        kinds.iter().find(|(_, json)| *json),
    ) {
        return Err(HistogramLogError::MixedInputs {
            log: log.to_path_buf(),
            evidence: evidence.to_path_buf(),
        });
    }
    if !looks_like_json(first)? {
        let mut total = growable_histogram();
        let mut intervals = 0;
        for path in inputs {
            let (histogram, count) = read_log(path)?;
            total
                .add(&histogram)
                .map_err(|e| HistogramLogError::BadHistogram {
                    path: path.clone(),
                    line: 0,
                    reason: format!("cannot add: {e:?}"),
                })?;
            intervals += count;
        }
        return Ok(Merged::Log {
            histogram: total,
            intervals,
        });
    }
    let mut records = Vec::with_capacity(inputs.len());
    for path in inputs {
        let bad = |reason: String| HistogramLogError::BadEvidence {
            path: path.clone(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|source| HistogramLogError::Io {
            path: path.clone(),
            source,
        })?;
        let parsed =
            gonogo_core::wire::parse_records(&text, catalog).map_err(|e| bad(e.to_string()))?;
        for record in parsed {
            if record.kind != "load" {
                return Err(bad(format!(
                    "is evidence of kind `{}`, not `load`",
                    record.kind
                )));
            }
            records.push((path.clone(), record));
        }
    }
    // Segments of a test (`load --segment I/N`) merge only as the whole test, by the rules
    // `gate` judges them with (gonogo_core::segments): never a partial test as if whole.
    if let Some((path, _)) = records
        .iter()
        .find(|(_, record)| record.segment.as_ref().is_some_and(|s| s.count > 1))
    {
        let path = path.clone();
        let segments: Vec<Evidence> = records.into_iter().map(|(_, record)| record).collect();
        return gonogo_core::segments::combine(&segments, catalog)
            .map(|record| Merged::Evidence(Box::new(record)))
            .map_err(|e| HistogramLogError::BadEvidence {
                path,
                reason: format!("is a segment, and the segments do not make one test: {e}"),
            });
    }
    // Whole records add by the one rule `gonogo merge` uses (gonogo_core::merge::merge_load):
    // units, shapes and scenarios checked, estimates left out, throughput over the union of
    // the inputs' intervals.
    let inputs: Vec<MergeInput> = records
        .into_iter()
        .map(|(path, record)| MergeInput {
            file: path.display().to_string(),
            record,
        })
        .collect();
    let merged = gonogo_core::merge::merge_load(&inputs, None)
        .map_err(|error| HistogramLogError::Merge(Box::new(error)))?;
    Ok(Merged::Evidence(Box::new(merged)))
}

fn looks_like_json(path: &Path) -> Result<bool, HistogramLogError> {
    let file = std::fs::File::open(path).map_err(|source| HistogramLogError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = io::BufReader::new(file);
    let buffer = reader.fill_buf().map_err(|source| HistogramLogError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(buffer.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
}
