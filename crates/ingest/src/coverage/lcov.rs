//! LCOV tracefiles (`geninfo(1)`), read line by line.
//!
//! Records: `TN:`, `SF:`, `FN:<line>[,<end>],<name>`, `FNDA:<count>,<name>`,
//! lcov 2.x `FNL:<index>,<start>[,<end>]` and `FNA:<index>,<count>,<name>`,
//! `BRDA:<line>,<block>,<branch>,<taken|->` (the block may carry an `e` prefix for exception
//! branches), `DA:<line>,<count>[,<checksum>]`, `LF/LH/BRF/BRH/FNF/FNH` (summaries: only
//! cross-checked), `VER:`, `end_of_record`. Unknown records are skipped with a warning (at
//! most a few are listed). A `DA` count may be negative (old gcov) or huge: parsed as i128,
//! clamped to 0..=u64::MAX. `\r\n` endings and trailing spaces are accepted. A record outside an
//! `SF:` section, or a number that does not parse, is an error with its line.
//!
//! Memory is bounded whatever the tracefile's size: files are kept line by line up to
//! [`crate::coverage::MAX_ENTRIES_KEPT`] entries, then by their totals, and past
//! [`crate::coverage::MAX_FILES_KEPT`] files each further section only adds its totals (the
//! record says how many; see `finish`). One section's own lines are still held while it is
//! read.

use std::io::BufRead;

use crate::coverage::{Coverage, FileCoverage};
use crate::error::ParseError;

const MAX_WARNINGS: usize = 10;

/// Reads an LCOV tracefile.
pub fn parse(mut input: impl BufRead) -> Result<Coverage, ParseError> {
    let mut coverage = Coverage::default();
    let mut current: Option<(String, FileCoverage)> = None;
    let mut declared = (None::<u64>, None::<u64>);
    let mut line_bytes = Vec::new();
    let mut line_number = 0u64;
    let mut unknown = 0usize;
    let mut saw_record = false;
    loop {
        line_bytes.clear();
        let n = input.read_until(b'\n', &mut line_bytes)?;
        if n == 0 {
            break;
        }
        line_number += 1;
        let text = String::from_utf8_lossy(&line_bytes);
        let line = text.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |message: String| ParseError::malformed_line(line_number, 1, message);
        let (record, value) = match line.split_once(':') {
            Some((record, value)) => (record, value.trim()),
            None if line == "end_of_record" => ("end_of_record", ""),
            None => {
                if !saw_record {
                    return Err(ParseError::WrongKind {
                        expected: "an LCOV tracefile",
                        found: "text that is not LCOV".into(),
                    });
                }
                return Err(bad(format!(
                    "expected `RECORD:value`, found `{}`",
                    shorten(line)
                )));
            }
        };
        saw_record = true;
        match record {
            "TN" | "VER" => {}
            "SF" => {
                if let Some((name, file)) = current.take() {
                    finish(&mut coverage, name, file);
                }
                current = Some((value.to_string(), FileCoverage::default()));
                declared = (None, None);
            }
            "end_of_record" => {
                if let Some((name, file)) = current.take() {
                    check_declared(&mut coverage, &name, &file, declared);
                    finish(&mut coverage, name, file);
                }
            }
            _ => {
                let Some((_, file)) = current.as_mut() else {
                    return Err(bad(format!("`{record}:` outside an `SF:` section")));
                };
                match record {
                    "DA" => {
                        let mut fields = value.split(',');
                        let number = parse_u64(fields.next(), "line number").map_err(bad)?;
                        let hits = parse_count(fields.next()).map_err(bad)?;
                        let entry = file.lines.entry(number).or_insert(0);
                        *entry = entry.saturating_add(hits);
                    }
                    "FN" => {
                        // FN:<line>,<name> or FN:<line>,<end>,<name>; names may contain commas
                        // only in the last field.
                        let (start, rest) = value.split_once(',').ok_or_else(|| {
                            bad(format!("FN needs `line,name`, found `{}`", shorten(value)))
                        })?;
                        parse_u64(Some(start), "line number").map_err(bad)?;
                        let name = match rest.split_once(',') {
                            Some((end, name)) if end.trim().parse::<u64>().is_ok() => name,
                            _ => rest,
                        };
                        file.functions.entry(name.to_string()).or_insert(0);
                    }
                    "FNDA" => {
                        let (count, name) = value.split_once(',').ok_or_else(|| {
                            bad(format!(
                                "FNDA needs `count,name`, found `{}`",
                                shorten(value)
                            ))
                        })?;
                        let hits = parse_count(Some(count)).map_err(bad)?;
                        let entry = file.functions.entry(name.to_string()).or_insert(0);
                        *entry = entry.saturating_add(hits);
                    }
                    "FNL" => {
                        let mut fields = value.split(',');
                        parse_u64(fields.next(), "function index").map_err(bad)?;
                    }
                    "FNA" => {
                        let mut fields = value.splitn(3, ',');
                        let index = parse_u64(fields.next(), "function index").map_err(bad)?;
                        let hits = parse_count(fields.next()).map_err(bad)?;
                        let name = fields.next().unwrap_or("").to_string();
                        let key = if name.is_empty() {
                            format!("#{index}")
                        } else {
                            name
                        };
                        let entry = file.functions.entry(key).or_insert(0);
                        *entry = entry.saturating_add(hits);
                    }
                    "BRDA" => {
                        let fields: Vec<&str> = value.split(',').collect();
                        if fields.len() < 4 {
                            return Err(bad(format!(
                                "BRDA needs `line,block,branch,taken`, found `{}`",
                                shorten(value)
                            )));
                        }
                        let number = parse_u64(Some(fields[0]), "line number").map_err(bad)?;
                        let block = parse_u64(Some(fields[1].trim_start_matches('e')), "block")
                            .map_err(bad)?;
                        // The branch may be an expression in lcov 2.x; hash anything that is not a number.
                        let arm = fields[2]
                            .trim()
                            .parse::<u64>()
                            .unwrap_or_else(|_| small_hash(fields[2]));
                        let taken_text = fields[fields.len() - 1].trim();
                        let taken =
                            taken_text != "-" && parse_count(Some(taken_text)).map_err(bad)? > 0;
                        *file.branches.entry((number, block, arm)).or_insert(false) |= taken;
                    }
                    "LF" => declared.1 = parse_u64(Some(value), "LF").ok(),
                    "LH" => declared.0 = parse_u64(Some(value), "LH").ok(),
                    "BRF" | "BRH" | "FNF" | "FNH" => {}
                    other => {
                        unknown += 1;
                        if unknown <= MAX_WARNINGS {
                            coverage.warnings.push(format!(
                                "line {line_number}: unknown record `{}:` skipped",
                                shorten(other)
                            ));
                        }
                    }
                }
            }
        }
    }
    if let Some((name, file)) = current.take() {
        coverage.warnings.push(format!(
            "{name}: the last section has no end_of_record (truncated file?)"
        ));
        finish(&mut coverage, name, file);
    }
    if !saw_record {
        return Err(ParseError::NoEvidence("the file is empty".into()));
    }
    if unknown > MAX_WARNINGS {
        coverage.warnings.push(format!(
            "{} more unknown records skipped",
            unknown - MAX_WARNINGS
        ));
    }
    Ok(coverage)
}

/// Adds a finished section: merged into its file when the file is known, else kept, kept as
/// totals (past `MAX_ENTRIES_KEPT` entries) or added to `rest` (past `MAX_FILES_KEPT` files),
/// so memory stays bounded whatever the tracefile's size.
fn finish(coverage: &mut Coverage, name: String, mut file: FileCoverage) {
    use crate::coverage::{MAX_ENTRIES_KEPT, MAX_FILES_KEPT};
    renumber_branches(&mut file);
    if let Some(existing) = coverage.files.get_mut(&name) {
        let before = existing.entries();
        existing.merge(&file);
        coverage.entries_kept += existing.entries() - before;
        return;
    }
    if coverage.files.len() >= MAX_FILES_KEPT {
        coverage.rest.add(file.totals());
        coverage.rest_files += 1;
        return;
    }
    if coverage.entries_kept + file.entries() > MAX_ENTRIES_KEPT {
        file.collapse();
        coverage.collapsed_files += 1;
    }
    coverage.entries_kept += file.entries();
    coverage.files.insert(name, file);
}

/// Numbers each line's branch arms 0, 1, 2... in (block, branch) order, the keys Cobertura
/// and JaCoCo use, so that inputs of different formats merge arm by arm.
fn renumber_branches(file: &mut FileCoverage) {
    let mut renumbered = std::collections::BTreeMap::new();
    let mut current_line = None;
    let mut arm = 0;
    for ((line, _, _), taken) in std::mem::take(&mut file.branches) {
        if current_line != Some(line) {
            current_line = Some(line);
            arm = 0;
        }
        renumbered.insert((line, 0, arm), taken);
        arm += 1;
    }
    file.branches = renumbered;
}

fn check_declared(
    coverage: &mut Coverage,
    name: &str,
    file: &FileCoverage,
    declared: (Option<u64>, Option<u64>),
) {
    if let (Some(hit), Some(found)) = declared {
        let counted = file.totals().lines;
        if counted != (hit, found) && coverage.warnings.len() < MAX_WARNINGS {
            coverage.warnings.push(format!(
                "{name}: LH/LF say {hit}/{found} but the DA records give {}/{}; the DA records were used",
                counted.0, counted.1
            ));
        }
    }
}

fn parse_u64(field: Option<&str>, what: &str) -> Result<u64, String> {
    let field = field.unwrap_or("").trim();
    field
        .parse::<u64>()
        .map_err(|_| format!("{what} `{}` is not a number", shorten(field)))
}

/// A hit count: clamped into 0..=u64::MAX (gcov has written negative counts).
fn parse_count(field: Option<&str>) -> Result<u64, String> {
    let field = field.unwrap_or("").trim();
    if let Ok(value) = field.parse::<u64>() {
        return Ok(value);
    }
    match field.parse::<i128>() {
        Ok(value) => Ok(value.clamp(0, u64::MAX as i128) as u64),
        Err(_) => {
            // Huge counts beyond i128, or floats (some converters write 1.0).
            match field.parse::<f64>() {
                Ok(value) if value.is_finite() => Ok(value.max(0.0).min(u64::MAX as f64) as u64),
                _ if !field.is_empty() && field.chars().all(|c| c.is_ascii_digit()) => Ok(u64::MAX),
                _ => Err(format!("count `{}` is not a number", shorten(field))),
            }
        }
    }
}

fn small_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// At most 60 characters of a field, for a message: made inert (control characters and
/// terminal escapes shown escaped, not dropped), as all untrusted text gonogo prints.
fn shorten(text: &str) -> String {
    let short: String = text.chars().take(60).collect();
    gonogo_core::text::inert(&short).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_records_and_duplicates() {
        let text = "SF:a.py\r\nFN:1,f\nFN:5,9,g\nFNDA:2,f\nFNDA:0,g\nDA:1,1\nDA:2,0\nDA:3,-5\nBRDA:2,0,0,-\nBRDA:2,0,1,3\nLH:1\nLF:3\nend_of_record\nTN:x\nSF:a.py\nDA:2,1\nend_of_record\nSF:b.py\nDA:1,18446744073709551616\nXYZ:1\nend_of_record\n";
        let coverage = parse(text.as_bytes()).unwrap();
        let totals = coverage.totals();
        assert_eq!(totals.lines, (3, 4));
        assert_eq!(totals.branches, (1, 2));
        assert_eq!(totals.functions, (1, 2));
        assert_eq!(coverage.files["b.py"].lines[&1], u64::MAX);
        assert_eq!(coverage.warnings.len(), 1, "{:?}", coverage.warnings);
    }

    #[test]
    fn errors_have_line_numbers() {
        match parse("SF:a\nDA:x,1\n".as_bytes()) {
            Err(ParseError::Malformed { at, .. }) => {
                assert_eq!(
                    at,
                    crate::error::Position::LineColumn { line: 2, column: 1 }
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse("DA:1,1\n".as_bytes()),
            Err(ParseError::Malformed { .. })
        ));
        assert!(matches!(
            parse("".as_bytes()),
            Err(ParseError::NoEvidence(_))
        ));
    }

    #[test]
    fn lcov2_function_records() {
        let text =
            "SF:a.c\nFNL:0,3,9\nFNA:0,4,main\nFNL:1,12\nFNA:1,0,helper\nDA:3,4\nend_of_record\n";
        let totals = parse(text.as_bytes()).unwrap().totals();
        assert_eq!(totals.functions, (1, 2));
    }
}
