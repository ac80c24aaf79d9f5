//! Export and import as JSON Lines: a team moves its history from SQLite to PostgreSQL (or
//! merges two) with `gonogo history export > h.jsonl` and `gonogo history import h.jsonl`.
//!
//! Every line is an object with `"gonogo_history": 1` and a `type`:
//! - `evidence`: `identity` and `record`, the evidence record in the wire format, byte for byte
//!   as stored (so its identity, the SHA-256 of that line, is checked on import);
//! - `run`: `id`, `meta`, `gates`, `evidence` (identities) and `verdict`, the verdict.json
//!   document as written; every record a run uses comes on an earlier line or is already in
//!   the history it is imported into;
//! - `pin`: `name` and `run`.
//!
//! Importing a run already present (the same id) adds nothing, so an import can be repeated.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{GateRow, HistoryError, RunMeta, Store, StoredRun};

/// The export format's version.
pub const VERSION: u32 = 1;

/// The longest line an import reads (a run with its verdict and gates, a record with its
/// histograms).
pub const MAX_LINE: usize = 64 << 20;

// Each line is read twice: its header (version and type), then as its type. (Raw JSON
// values cannot go through serde's tagged enums.)
#[derive(Deserialize)]
struct Header {
    gonogo_history: u32,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Serialize, Deserialize)]
struct EvidenceLine {
    gonogo_history: u32,
    #[serde(rename = "type")]
    kind: String,
    identity: String,
    record: Box<RawValue>,
}

#[derive(Serialize, Deserialize)]
struct RunLine {
    gonogo_history: u32,
    #[serde(rename = "type")]
    kind: String,
    id: String,
    meta: RunMeta,
    gates: Vec<GateRow>,
    evidence: Vec<String>,
    verdict: Box<RawValue>,
}

#[derive(Serialize, Deserialize)]
struct PinLine {
    gonogo_history: u32,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    run: String,
}

/// What an export or import moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moved {
    pub runs: usize,
    pub records: usize,
    pub pins: usize,
}

fn write_line(out: &mut dyn Write, line: &impl Serialize) -> Result<(), HistoryError> {
    let text = serde_json::to_string(line).map_err(|e| HistoryError::Invalid(e.to_string()))?;
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    Ok(())
}

fn raw(text: &str, what: &str) -> Result<Box<RawValue>, HistoryError> {
    RawValue::from_string(text.to_owned())
        .map_err(|e| HistoryError::Invalid(format!("a stored {what} is not JSON: {e}")))
}

/// Writes the whole history, oldest run first.
pub fn export(store: &dyn Store, out: &mut dyn Write) -> Result<Moved, HistoryError> {
    let mut written: HashSet<String> = HashSet::new();
    let mut moved = Moved::default();
    for id in store.all_ids()? {
        let run = store.show(&id)?;
        for identity in &run.evidence {
            if written.contains(identity) {
                continue;
            }
            let Some(record) = store.evidence(identity)? else {
                return Err(HistoryError::Invalid(format!(
                    "run {id} uses the evidence record {identity}, which the history does not hold"
                )));
            };
            write_line(
                out,
                &EvidenceLine {
                    gonogo_history: VERSION,
                    kind: "evidence".into(),
                    identity: identity.clone(),
                    record: raw(&record, "evidence record")?,
                },
            )?;
            written.insert(identity.clone());
            moved.records += 1;
        }
        write_line(
            out,
            &RunLine {
                gonogo_history: VERSION,
                kind: "run".into(),
                id: run.id,
                meta: run.meta,
                gates: run.gates,
                evidence: run.evidence,
                verdict: raw(&run.verdict, "verdict")?,
            },
        )?;
        moved.runs += 1;
    }
    for (name, run) in store.pins()? {
        write_line(
            out,
            &PinLine {
                gonogo_history: VERSION,
                kind: "pin".into(),
                name,
                run,
            },
        )?;
        moved.pins += 1;
    }
    out.flush()?;
    Ok(moved)
}

/// Reads an export into `store`. Each run is written whole (with the records it uses) or not
/// at all; a wrong line stops the import with its number, after the runs before it. Each
/// record must read as evidence against `catalog`.
pub fn import(
    store: &mut dyn Store,
    input: &mut dyn BufRead,
    catalog: gonogo_core::catalog::Catalog,
) -> Result<Moved, HistoryError> {
    let mut pending: HashMap<String, String> = HashMap::new();
    let mut moved = Moved::default();
    let mut buffer = Vec::new();
    let mut number = 0;
    loop {
        buffer.clear();
        number += 1;
        let read =
            std::io::Read::take(&mut *input, MAX_LINE as u64 + 1).read_until(b'\n', &mut buffer)?;
        if read == 0 {
            break;
        }
        let bad = |message: String| HistoryError::Import {
            line: number,
            message,
        };
        if buffer.len() > MAX_LINE {
            return Err(bad(format!("longer than {} MiB", MAX_LINE >> 20)));
        }
        let text = std::str::from_utf8(&buffer).map_err(|e| bad(e.to_string()))?;
        if text.trim().is_empty() {
            continue;
        }
        let header: Header = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if header.gonogo_history != VERSION {
            return Err(bad(format!(
                "history export version {} (this gonogo reads version {VERSION})",
                header.gonogo_history
            )));
        }
        match header.kind.as_str() {
            "evidence" => {
                let EvidenceLine {
                    identity, record, ..
                } = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
                let line = record.get().to_owned();
                let actual = gonogo_core::evidence::sha256_hex(line.as_bytes());
                if actual != identity {
                    return Err(bad(format!(
                        "the record's identity is {actual}, not {identity}: it was changed"
                    )));
                }
                gonogo_core::wire::parse_records(&line, catalog)
                    .map_err(|e| bad(format!("not an evidence record: {e}")))?;
                pending.insert(identity, line);
            }
            "run" => {
                let RunLine {
                    id,
                    meta,
                    gates,
                    evidence,
                    verdict,
                    ..
                } = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
                if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(bad(format!("`{}` is not a run id", id.escape_debug())));
                }
                let mut records = Vec::new();
                for identity in &evidence {
                    if let Some(line) = pending.get(identity) {
                        records.push((identity.clone(), line.clone()));
                    } else if store.evidence(identity)?.is_none() {
                        return Err(bad(format!(
                            "run {id} uses the evidence record {identity}, which no earlier line gives"
                        )));
                    }
                }
                let run = StoredRun {
                    id,
                    meta,
                    verdict: verdict.get().to_owned(),
                    gates,
                    evidence,
                };
                if store.insert(&run, &records)? {
                    moved.runs += 1;
                    moved.records += records.len();
                }
                for (identity, _) in records {
                    pending.remove(&identity);
                }
            }
            "pin" => {
                let PinLine { name, run, .. } =
                    serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
                store.pin(&run, &name).map_err(|e| bad(e.to_string()))?;
                moved.pins += 1;
            }
            other => {
                return Err(bad(format!(
                    "unknown line type `{}` (evidence, run or pin)",
                    other.escape_debug()
                )));
            }
        }
    }
    Ok(moved)
}
