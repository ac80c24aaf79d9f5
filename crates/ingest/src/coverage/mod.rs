//! Coverage reports (LCOV, Cobertura XML, JaCoCo XML, Clover XML) in one model, merged as a union of hits.
//!
//! Each parser fills a [`Coverage`]: per source file, the hit count of every instrumented line,
//! whether each branch arm was taken, and the hit count of each function. Totals are always
//! computed from these, never copied from a report's summary attributes (Debian lcov 1.16
//! writes no `LF`/`LH`; Cobertura's `coverage-03.dtd` has no totals), which only serve as a
//! cross-check.
//!
//! [`Coverage::merge`] combines inputs for the same files the way the producers do (`lcov -a`,
//! `coverage combine`): line and function counts add, a branch arm is taken if any input took
//! it. Cobertura, JaCoCo and istanbul's Clover give a line's branches as "k of n" without saying which arms: arms
//! `0..k` are marked taken, so merging two such inputs keeps the larger k (a lower bound of the
//! true union).
//!
//! Metrics (all ratios, hit of found): `coverage.lines`, `coverage.branches` (only when the
//! report has branch data), `coverage.functions` (only when it has function data). A report
//! with no instrumented line is *no evidence*.

pub mod clover;
pub mod cobertura;
pub mod jacoco;
pub mod lcov;

use std::collections::BTreeMap;

use gonogo_core::evidence::{Metric, Ratio, Tool};
use gonogo_core::units::Unit;
use serde_json::json;

use crate::Parsed;
use crate::error::ParseError;

/// Files listed one by one in the details, least covered first.
pub const MAX_FILES_LISTED: usize = 2000;

/// Files whose line counts the `coverage.lines` metric carries as parts (for the union).
pub const MAX_FILES_AS_PARTS: usize = 50_000;

/// Files of one LCOV input remembered by name (so a file's repeated sections are merged);
/// later files are added to [`Coverage::rest`] by their own totals.
pub const MAX_FILES_KEPT: usize = 100_000;

/// Line, branch and function entries of one LCOV input kept per line; files finished past
/// this keep only their totals ([`FileCoverage::collapse`]).
pub const MAX_ENTRIES_KEPT: usize = 500_000;

/// Coverage of a set of source files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    pub files: BTreeMap<String, FileCoverage>,
    /// The producer when the report names it (`gcovr 8.8`, `coverage.py 7.6`...).
    pub producer: Option<String>,
    pub warnings: Vec<String>,
    /// Totals of the files past [`MAX_FILES_KEPT`], counted section by section (not by name).
    pub rest: Totals,
    /// How many sections went to `rest`.
    pub rest_files: u64,
    /// Files kept with their totals only (past [`MAX_ENTRIES_KEPT`]).
    pub collapsed_files: u64,
    /// Entries (lines, branch arms, functions) held in `files`.
    pub entries_kept: usize,
}

/// One source file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileCoverage {
    /// Line number → hit count.
    pub lines: BTreeMap<u64, u64>,
    /// (line, block, arm) → taken.
    pub branches: BTreeMap<(u64, u64, u64), bool>,
    /// Function name → hit count.
    pub functions: BTreeMap<String, u64>,
    /// Totals given without per-line data (gcovr's JaCoCo dialect has no `mi`/`ci`): (hit, found).
    pub line_totals: Option<(u64, u64)>,
    /// Function totals given without per-function data (gcovr's JaCoCo dialect has no
    /// `method` elements, only a `METHOD` counter): (hit, found).
    pub function_totals: Option<(u64, u64)>,
    /// Branch totals without per-arm data (a file collapsed to its totals): (hit, found).
    pub branch_totals: Option<(u64, u64)>,
}

/// Hit of found, for lines, branches and functions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub lines: (u64, u64),
    pub branches: (u64, u64),
    pub functions: (u64, u64),
}

impl FileCoverage {
    pub fn totals(&self) -> Totals {
        let lines = match self.line_totals {
            Some(totals) if self.lines.is_empty() => totals,
            _ => (
                self.lines.values().filter(|&&hits| hits > 0).count() as u64,
                self.lines.len() as u64,
            ),
        };
        Totals {
            lines,
            branches: match self.branch_totals {
                Some(totals) if self.branches.is_empty() => totals,
                _ => (
                    self.branches.values().filter(|&&taken| taken).count() as u64,
                    self.branches.len() as u64,
                ),
            },
            functions: match self.function_totals {
                Some(totals) if self.functions.is_empty() => totals,
                _ => (
                    self.functions.values().filter(|&&hits| hits > 0).count() as u64,
                    self.functions.len() as u64,
                ),
            },
        }
    }

    /// Entries held per line, branch arm and function.
    pub fn entries(&self) -> usize {
        self.lines.len() + self.branches.len() + self.functions.len()
    }

    /// Keeps only the totals (bounded memory); a later merge of the same file then takes the
    /// larger totals, a lower bound of the union.
    pub fn collapse(&mut self) {
        let totals = self.totals();
        *self = FileCoverage {
            line_totals: Some(totals.lines),
            function_totals: Some(totals.functions),
            branch_totals: Some(totals.branches),
            ..FileCoverage::default()
        };
    }

    /// Union of hits with another report of the same file.
    pub fn merge(&mut self, other: &FileCoverage) {
        for (line, hits) in &other.lines {
            let entry = self.lines.entry(*line).or_insert(0);
            *entry = entry.saturating_add(*hits);
        }
        for (arm, taken) in &other.branches {
            *self.branches.entry(*arm).or_insert(false) |= *taken;
        }
        for (name, hits) in &other.functions {
            let entry = self.functions.entry(name.clone()).or_insert(0);
            *entry = entry.saturating_add(*hits);
        }
        if let Some((hit, found)) = other.line_totals {
            let (old_hit, old_found) = self.line_totals.unwrap_or((0, 0));
            self.line_totals = Some((old_hit.max(hit), old_found.max(found)));
        }
        if let Some((hit, found)) = other.function_totals {
            let (old_hit, old_found) = self.function_totals.unwrap_or((0, 0));
            self.function_totals = Some((old_hit.max(hit), old_found.max(found)));
        }
        if let Some((hit, found)) = other.branch_totals {
            let (old_hit, old_found) = self.branch_totals.unwrap_or((0, 0));
            self.branch_totals = Some((old_hit.max(hit), old_found.max(found)));
        }
    }

    /// Records `covered` of `total` branch arms on `line` (Cobertura, JaCoCo).
    pub fn set_branch_counts(&mut self, line: u64, covered: u64, total: u64) {
        let total = total.min(4096);
        for arm in 0..total {
            let taken = arm < covered;
            *self.branches.entry((line, 0, arm)).or_insert(false) |= taken;
        }
    }
}

impl Totals {
    fn add(&mut self, other: Totals) {
        let add = |a: &mut (u64, u64), b: (u64, u64)| {
            a.0 += b.0;
            a.1 += b.1;
        };
        add(&mut self.lines, other.lines);
        add(&mut self.branches, other.branches);
        add(&mut self.functions, other.functions);
    }
}

impl Coverage {
    pub fn file(&mut self, name: &str) -> &mut FileCoverage {
        if !self.files.contains_key(name) {
            self.files.insert(name.to_string(), FileCoverage::default());
        }
        self.files.get_mut(name).expect("inserted above")
    }

    pub fn totals(&self) -> Totals {
        let mut totals = self.rest;
        for file in self.files.values() {
            totals.add(file.totals());
        }
        totals
    }

    /// Union of hits, file by file.
    pub fn merge(&mut self, other: &Coverage) {
        for (name, file) in &other.files {
            self.file(name).merge(file);
        }
        if self.producer.is_none() {
            self.producer.clone_from(&other.producer);
        }
        self.rest.add(other.rest);
        self.rest_files += other.rest_files;
        self.collapsed_files += other.collapsed_files;
        self.warnings.extend(other.warnings.iter().cloned());
    }

    /// The evidence of this coverage; no instrumented line is no evidence.
    pub fn into_parsed(self, format: &str) -> Result<Parsed, ParseError> {
        let totals = self.totals();
        if totals.lines.1 == 0 {
            return Err(ParseError::NoEvidence(format!(
                "the {format} report has no instrumented line ({} files)",
                self.files.len()
            )));
        }
        let ratio = |(hit, found): (u64, u64), unit: &str| {
            Metric::ratio(
                Ratio::new(hit.min(found), found).expect("hit <= found"),
                Unit::count(unit),
            )
        };
        // Lines by file, so that two reports of overlapping files (one run written as XML and
        // as LCOV) combine as a union by file at gate time, never as a sum. Past
        // MAX_FILES_AS_PARTS files the split is left out and the gate takes the lowest report.
        let mut lines = ratio(totals.lines, "lines");
        if self.files.len() <= MAX_FILES_AS_PARTS {
            lines = lines.with_parts(
                self.files
                    .iter()
                    .filter_map(|(name, file)| {
                        let (hit, found) = file.totals().lines;
                        Ratio::new(hit.min(found), found).map(|r| (name.clone(), r))
                    })
                    .filter(|(_, r)| r.n > 0)
                    .collect(),
            );
        }
        let mut metrics = vec![("coverage.lines".to_string(), lines)];
        if totals.branches.1 > 0 {
            metrics.push((
                "coverage.branches".to_string(),
                ratio(totals.branches, "branches"),
            ));
        }
        if totals.functions.1 > 0 {
            metrics.push((
                "coverage.functions".to_string(),
                ratio(totals.functions, "functions"),
            ));
        }
        let mut per_file: Vec<(&String, Totals)> = self
            .files
            .iter()
            .map(|(name, file)| (name, file.totals()))
            .collect();
        per_file.sort_by(|a, b| {
            let rate = |t: &Totals| {
                if t.lines.1 == 0 {
                    1.0
                } else {
                    t.lines.0 as f64 / t.lines.1 as f64
                }
            };
            rate(&a.1).total_cmp(&rate(&b.1)).then_with(|| a.0.cmp(b.0))
        });
        let files: Vec<serde_json::Value> = per_file
            .iter()
            .take(MAX_FILES_LISTED)
            .map(|(name, t)| {
                json!({
                    "file": name,
                    "lines": {"hit": t.lines.0, "found": t.lines.1},
                    "branches": {"hit": t.branches.0, "found": t.branches.1},
                    "functions": {"hit": t.functions.0, "found": t.functions.1},
                })
            })
            .collect();
        let details = json!({
            "format": format,
            "producer": self.producer,
            "file_count": self.files.len(),
            "files": files,
            "files_not_listed": per_file.len().saturating_sub(MAX_FILES_LISTED),
            "warnings": self.warnings,
        });
        let mut details = details;
        if self.rest_files > 0 || self.collapsed_files > 0 {
            details["truncated"] = json!(format!(
                "truncated: {} sections of files beyond {MAX_FILES_KEPT} counted by their own totals, \
                 not listed (a file repeated among them counts once per section); {} files kept \
                 with their totals only",
                self.rest_files, self.collapsed_files
            ));
        }
        Ok(Parsed {
            kind: "coverage",
            tool: Tool::new(
                self.producer.clone().unwrap_or_else(|| format.to_string()),
                "unknown",
            ),
            metrics,
            details,
            incomplete: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_is_a_union_of_hits() {
        let mut a = Coverage::default();
        a.file("x.c").lines.extend([(1, 1), (2, 0), (3, 0)]);
        a.file("x.c").set_branch_counts(2, 1, 2);
        let mut b = Coverage::default();
        b.file("x.c").lines.extend([(1, 0), (2, 4), (3, 0)]);
        b.file("x.c").set_branch_counts(2, 2, 2);
        b.file("y.c").lines.insert(1, 1);
        a.merge(&b);
        let totals = a.totals();
        assert_eq!(totals.lines, (3, 4));
        assert_eq!(totals.branches, (2, 2));
    }
}
