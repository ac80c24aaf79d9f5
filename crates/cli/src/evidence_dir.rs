//! The evidence folder's format, for the folder store (`store::Folder`): every `*.json` and
//! `*.jsonl` file below it (any case), read in name order. Other files are named in a warning,
//! never read silently past; a record dated more than five minutes after now is refused with
//! the file's name.
//!
//! **Bounded.** Files stream through [`wire::RecordReader`] (a record over 16 MiB is refused
//! as it passes the limit), and what a folder's records may hold once read is capped by a
//! [`Budget`]: at most [`MAX_RECORDS`] records and [`MAX_HELD_BYTES`] of held data, estimated
//! per record from its bytes and what they unfold to (metrics, histograms, details). A
//! folder past either is refused, naming the file and line where it passed, never judged on
//! part of its records (a verdict on the first 10,000 of 20,000 shards would not be the
//! run's). A real run stays below both: one record per producer and input, or per machine of
//! a distributed load test (`bench/memory.sh` measures the peak at the caps). Histograms are
//! held encoded (`gonogo_core::evidence::Distribution`) and decoded one at a time when read,
//! so they cost their encoded size: 1,000 machines' records of ten latency histograms each
//! are judged at 27 MB (decoded, 260 histograms took the whole budget).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use gonogo_core::evidence::{Evidence, MetricValue};
use gonogo_core::wire;

/// The default evidence folder, relative to the working directory.
pub const DEFAULT_DIR: &str = ".gonogo/evidence";

/// Evidence files below `dir`, sorted; a missing folder has none.
pub fn evidence_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if !dir.exists() {
        return Ok(files);
    }
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot list the evidence folder {}", folder.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if is_evidence_file(&path) && !path.is_file() {
                // A FIFO or a device named *.json would block or never end.
                eprintln!(
                    "warning: {} is in the evidence folder but is not a regular file: not read",
                    path.display()
                );
            } else if is_evidence_file(&path) {
                files.push(path);
            } else if !path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
            {
                eprintln!(
                    "warning: {} is in the evidence folder but is neither .json nor .jsonl: not read",
                    path.display()
                );
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Whether a file name ends in `.json` or `.jsonl`, in any case.
pub fn is_evidence_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("jsonl"))
}

/// Every record below `dir` with the file it came from, within one [`Budget`]. The error
/// names the file and what is wrong with it.
pub fn read_dir_named(dir: &Path) -> anyhow::Result<Vec<(PathBuf, Evidence)>> {
    let mut records = Vec::new();
    let mut budget = Budget::default();
    for file in evidence_files(dir)? {
        for record in read_file_within(&file, &mut budget)? {
            records.push((file.clone(), record));
        }
    }
    Ok(records)
}

/// The most records one evidence folder (or one `gonogo merge`) may hold: 10,000.
pub const MAX_RECORDS: usize = 10_000;
/// The most data one evidence folder's records may hold once read: 48 MiB, estimated per
/// record as [`RECORD_OVERHEAD`] plus twice its bytes in the file (its text is held once read
/// and again as the history's line) plus what its structure unfolds to (each metric, ratio
/// part and JSON value of its details, and the encoded bytes of each histogram, which a gate
/// decodes one at a time). Measured (`bench/memory.sh`, `docs/hostile.md`): `gate` with
/// reports and history peaks at 51 MB on 10,000 small records and 63 MB on 21 records of
/// 1.1 MB of text.
pub const MAX_HELD_BYTES: u64 = 48 << 20;
/// What a record costs once read beyond its bytes and structure (its own fields, the
/// verdict's citation of it, its line in the history): 2 KiB.
pub const RECORD_OVERHEAD: u64 = 2 << 10;

/// What the records read so far hold ([`MAX_RECORDS`], [`MAX_HELD_BYTES`]).
#[derive(Debug, Default)]
pub struct Budget {
    records: usize,
    held: u64,
}

impl Budget {
    /// Counts one record in; the error says which limit it passed.
    fn take(&mut self, record: &wire::ReadRecord) -> Result<(), String> {
        self.records += 1;
        self.held = self
            .held
            .saturating_add(RECORD_OVERHEAD)
            // Twice: the text read back into strings, and again as the history's line.
            .saturating_add(record.bytes.saturating_mul(2))
            .saturating_add(structure(&record.evidence));
        if self.records > MAX_RECORDS {
            return Err(format!(
                "more than {} records",
                gonogo_core::limits::group(MAX_RECORDS as u64)
            ));
        }
        if self.held > MAX_HELD_BYTES {
            return Err(format!(
                "more than {} MiB once read (estimated from each record's bytes, metrics, histograms and details)",
                MAX_HELD_BYTES >> 20
            ));
        }
        Ok(())
    }
}

/// Refuses records dated more than five minutes after `now`: such a record would defeat
/// `max_age` and win every "newest".
pub fn refuse_future(records: &[(PathBuf, Evidence)], now: jiff::Timestamp) -> anyhow::Result<()> {
    let limit = now
        .checked_add(jiff::SignedDuration::from_secs(
            gonogo_core::eval::FUTURE_TOLERANCE_SECONDS as i64,
        ))
        .unwrap_or(now);
    for (file, record) in records {
        if record.collected_at > limit {
            anyhow::bail!(
                "evidence file {} holds a record dated {}, in the future (now is {now}): refused",
                file.display(),
                record.collected_at
            );
        }
    }
    Ok(())
}

/// The text of a regular file; a FIFO, device or folder in its place is refused unopened
/// (`gonogo_ingest::input::open_regular`), since reading one may never end.
pub fn read_regular(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    gonogo_ingest::input::open_regular(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// What a record's structure costs in memory beyond its bytes in the file: a short text can
/// unfold into much more (`[0,0,0,…]` is 2 bytes a value on disk and 32 once read; a metric
/// `{"unit":"1","value":1}` about 400 with its map entry). A histogram costs the bytes of the
/// encoding it is held in (`Distribution::held_bytes`), never decoded here.
fn structure(record: &Evidence) -> u64 {
    const METRIC: u64 = 400;
    const PART: u64 = 96;
    let metrics: u64 = record
        .metrics
        .values()
        .map(|m| {
            let histogram = match &m.value {
                MetricValue::Distribution(d) => d.held_bytes() as u64,
                _ => 0,
            };
            METRIC + PART * m.parts.len() as u64 + histogram
        })
        .sum();
    metrics + json_structure(&record.details)
}

/// 32 bytes a JSON value (`serde_json::Value`), 64 more an object's entry (key and map node).
fn json_structure(details: &serde_json::Value) -> u64 {
    let mut total = 0u64;
    // Holds at most one record's values (a record is at most 16 MiB).
    let mut pending = vec![details];
    while let Some(value) = pending.pop() {
        total += 32;
        match value {
            serde_json::Value::Array(items) => pending.extend(items),
            serde_json::Value::Object(entries) => {
                total += 64 * entries.len() as u64;
                pending.extend(entries.values());
            }
            _ => {}
        }
    }
    total
}

/// The records of one evidence file, within a [`Budget`] of its own.
pub fn read_file(file: &Path) -> anyhow::Result<Vec<Evidence>> {
    read_file_within(file, &mut Budget::default())
}

/// The records of one evidence file, streamed, counted into `budget`. A FIFO, device or
/// folder in its place is refused unopened.
pub fn read_file_within(file: &Path, budget: &mut Budget) -> anyhow::Result<Vec<Evidence>> {
    let opened = gonogo_ingest::input::open_regular(file)
        .with_context(|| format!("cannot read evidence file {}", file.display()))?;
    let reader = wire::RecordReader::new(std::io::BufReader::new(opened), gonogo_catalog::CATALOG);
    let mut records = Vec::new();
    for record in reader {
        let record = record.with_context(|| {
            format!(
                "evidence file {} is not valid gonogo evidence",
                file.display()
            )
        })?;
        if let Err(limit) = budget.take(&record) {
            anyhow::bail!(
                "the evidence holds {limit}: refused at {} line {}, not judged on part of \
                 it (a run writes one record per producer and input, or per machine of a \
                 distributed load test)",
                file.display(),
                record.line
            );
        }
        records.push(record.evidence);
    }
    Ok(records)
}

/// Creates the evidence folder (and its parents); a folder that cannot be made is an output
/// not written (`WriteError`, exit 4), never a usage error.
pub fn create_dir(dir: &Path) -> Result<(), gonogo_io::atomic::WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| gonogo_io::atomic::WriteError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes a record into `dir` under its suggested name, atomically, as pretty JSON ending in
/// a newline (as `collect` always wrote it); returns the path.
pub fn write_record(dir: &Path, record: &Evidence) -> anyhow::Result<PathBuf> {
    create_dir(dir)
        .with_context(|| format!("cannot create the evidence folder {}", dir.display()))?;
    let path = dir.join(wire::suggested_file_name(record));
    crate::fsutil::write_atomic(&path, (wire::to_json_pretty(record) + "\n").as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gonogo_core::evidence::{Distribution, Metric, Source, Tool, latency_histogram};
    use gonogo_core::units::Unit;

    fn read(metrics: usize, bytes: u64) -> wire::ReadRecord {
        read_holding(metrics, &Distribution::encoded(&latency_histogram()), bytes)
    }

    fn read_holding(metrics: usize, histogram: &Distribution, bytes: u64) -> wire::ReadRecord {
        let mut evidence = Evidence::new(
            "load",
            Source::Url("http://127.0.0.1/".into()),
            "0".repeat(64),
            "2026-11-25T12:00:00Z".parse().unwrap(),
            Tool::new("x", "1"),
        );
        for i in 0..metrics {
            evidence.insert(
                format!("load.e{i}.latency"),
                Metric::distribution(histogram.clone(), Unit::parse("us")),
            );
        }
        wire::ReadRecord {
            evidence,
            line: 1,
            bytes,
        }
    }

    #[test]
    fn histograms_cost_what_they_hold_encoded_so_a_hundred_machines_fit() {
        // 50,000 latencies spread over 0.2 to 200 ms: 184 KiB of counts decoded.
        let mut latency = latency_histogram();
        for i in 0..50_000u64 {
            latency.record(200 + (i * 7_919) % 200_000).unwrap();
        }
        let decoded = Distribution::new(latency.clone());
        let encoded = Distribution::encoded(&latency);
        assert_eq!(decoded.held_bytes(), 23_552 * 8);
        assert!(encoded.held_bytes() < 24 << 10, "{}", encoded.held_bytes());
        assert_eq!(encoded.histogram().as_ref(), &latency);
        // A distributed load test of 100 machines with 10 endpoints each: 1,000 histograms,
        // in records of the size they take in the file (base64).
        let file_bytes = 10 * (encoded.held_bytes() as u64 * 4 / 3) + 2_048;
        let mut budget = Budget::default();
        for _ in 0..100 {
            budget
                .take(&read_holding(10, &encoded, file_bytes))
                .unwrap();
        }
        // Held decoded, as the first budget held them, 26 machines were the most.
        let mut budget = Budget::default();
        let refused = (0..100)
            .position(|_| {
                budget
                    .take(&read_holding(10, &decoded, file_bytes))
                    .is_err()
            })
            .unwrap();
        assert!((20..=26).contains(&refused), "refused at {refused}");
        // Records without histograms: the record count is the limit.
        let mut budget = Budget::default();
        for _ in 0..MAX_RECORDS {
            budget.take(&read(0, 500)).unwrap();
        }
        assert_eq!(
            budget.take(&read(0, 500)).unwrap_err(),
            "more than 10,000 records"
        );
        // What a short text unfolds to: details of many tiny values, many tiny metrics.
        let mut tiny_values = read(0, 0);
        tiny_values.evidence.details = serde_json::json!({ "d": vec![0; 2_000_000] });
        let refused = Budget::default().take(&tiny_values).unwrap_err();
        assert!(refused.contains("MiB once read"), "{refused}");
        let mut tiny_metrics = read(0, 0);
        for i in 0..130_000 {
            tiny_metrics
                .evidence
                .insert(format!("m{i}"), Metric::value(1.0, Unit::parse("1")));
        }
        assert!(Budget::default().take(&tiny_metrics).is_err());
        // One record's bytes count too.
        // Twice: once read, once as the history's line.
        assert!(
            Budget::default()
                .take(&read(0, MAX_HELD_BYTES / 2))
                .is_err()
        );
        assert!(
            Budget::default()
                .take(&read(0, MAX_HELD_BYTES / 2 - 4096))
                .is_ok()
        );
    }
}
