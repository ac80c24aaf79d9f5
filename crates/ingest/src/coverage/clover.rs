//! Clover XML (PHPUnit `--coverage-clover`, OpenClover, istanbul's `clover` reporter), streamed.
//!
//! The root is `<coverage>` like Cobertura's, but its child is `<project>` (detect.rs tells the
//! two apart). Files are `project/file` or `project/package/file`, keyed by their `path`
//! attribute when there is one (OpenClover, istanbul), else by `name` (PHPUnit writes the full
//! path there). `<testproject>` (OpenClover's coverage of the test sources) is not counted.
//!
//! Each `<line num type count>` is one of:
//! - `stmt`: an instrumented line, covered when `count > 0` (several statements on one line
//!   add up);
//! - `cond`: an instrumented line too (its `count`, or `truecount + falsecount` when it has no
//!   `count`), and branches. What `truecount`/`falsecount` mean depends on the producer:
//!   OpenClover (the format's own definition) counts how often the condition was true and
//!   false, so a `cond` is two arms, each taken when its count is positive; istanbul writes the
//!   number of covered and of uncovered arms of the line (istanbul-reports `lib/clover`), so a
//!   `cond` is `truecount` taken of `truecount + falsecount`. Istanbul is recognised by the
//!   constants its reporter writes (`clover="3.2.0"` on the root, `name="All files"` on the
//!   project); a report whose declared `conditionals` disagree with the count gets a warning.
//! - `method`: a function, covered when `count > 0` (called at least once, as in the other
//!   formats; PHPUnit's own `coveredmethods` counts only methods whose every line ran). Not a
//!   line. Istanbul writes no method lines: its file `<metrics methods coveredmethods>` give the
//!   function totals instead.
//!
//! Totals are computed from the lines; the project's `<metrics>` only serve as a cross-check.
//! Memory: files past [`MAX_ENTRIES_KEPT`] entries keep their totals only, files past
//! [`MAX_FILES_KEPT`] add to the totals of the rest (as in the LCOV reader).

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::Event;

use crate::coverage::{Coverage, FileCoverage, MAX_ENTRIES_KEPT, MAX_FILES_KEPT};
use crate::error::ParseError;
use crate::input::parse_lenient_u64;
use crate::xml;

/// Whose meaning of `truecount`/`falsecount` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// Times the condition was true / false (OpenClover, the format's definition).
    Clover,
    /// Covered / uncovered arms of the line (istanbul-reports).
    Istanbul,
}

/// Reads a Clover report.
pub fn parse(input: impl BufRead) -> Result<Coverage, ParseError> {
    let mut reader = xml::reader(input);
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut coverage = Coverage::default();
    let mut open: Vec<String> = Vec::new();
    let mut seen_root = false;
    let mut clover_version: Option<String> = None;
    let mut dialect = Dialect::Clover;
    // The file being read; added to `coverage` when it ends ([`finish`]).
    let mut current: Option<(String, FileCoverage)> = None;
    // Conditions seen per line of the current file (OpenClover writes one `cond` per condition).
    let mut conditions: HashMap<u64, u64> = HashMap::new();
    // The current file's declared method totals, used when it has no method lines (istanbul).
    let mut file_methods: Option<(u64, u64)> = None;
    let mut file_has_method_lines = false;
    // The project's declared (covered, total) statements and conditionals.
    let mut declared: Option<[(u64, u64); 2]> = None;
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| xml::error(&reader, e))?;
        match event {
            Event::Start(ref element) | Event::Empty(ref element) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = xml::local_name(element);
                if !seen_root {
                    seen_root = true;
                    if name != "coverage" {
                        return Err(wrong_root(&name));
                    }
                    xml::for_each_attribute(element, |key, value| {
                        if key == b"clover" && !value.is_empty() {
                            clover_version = Some(value.into_owned());
                        }
                    });
                }
                let parent = open.last().map(String::as_str);
                let in_project = open.iter().any(|n| n == "project");
                match (name.as_ref(), parent) {
                    ("project", Some("coverage")) => {
                        let mut project_name = String::new();
                        xml::for_each_attribute(element, |key, value| {
                            if key == b"name" {
                                project_name = value.into_owned();
                            }
                        });
                        if clover_version.as_deref() == Some("3.2.0") && project_name == "All files"
                        {
                            dialect = Dialect::Istanbul;
                        }
                        coverage.producer = Some(match (dialect, &clover_version) {
                            (Dialect::Istanbul, _) => "istanbul (clover)".to_string(),
                            (_, Some(version)) => format!("clover {version}"),
                            (_, None) => "clover".to_string(),
                        });
                    }
                    ("file", Some("project" | "package")) if in_project => {
                        let (mut file_name, mut path) = (None, None);
                        xml::for_each_attribute(element, |key, value| match key {
                            b"name" => file_name = Some(value.into_owned()),
                            b"path" => path = Some(value.into_owned()),
                            _ => {}
                        });
                        let key = path.or(file_name).unwrap_or_default();
                        conditions.clear();
                        file_methods = None;
                        file_has_method_lines = false;
                        if is_empty {
                            finish(&mut coverage, key, FileCoverage::default());
                        } else {
                            current = Some((key, FileCoverage::default()));
                        }
                    }
                    ("metrics", Some("file")) if in_project => {
                        let metrics = read_metrics(element);
                        if let Some(methods) = metrics.methods {
                            file_methods = Some(methods);
                        }
                    }
                    ("metrics", Some("project")) => {
                        let metrics = read_metrics(element);
                        declared = Some([
                            metrics.statements.unwrap_or((0, 0)),
                            metrics.conditionals.unwrap_or((0, 0)),
                        ]);
                    }
                    ("line", Some("file")) if in_project => {
                        if let Some((_, file)) = current.as_mut() {
                            let line = read_line(element);
                            if let Some(number) = line.number {
                                match line.kind.as_str() {
                                    "method" => {
                                        file_has_method_lines = true;
                                        let name = match (line.name, line.signature) {
                                            (Some(name), Some(signature)) => {
                                                format!("{name}{signature}")
                                            }
                                            (Some(name), None) => name,
                                            (None, _) => format!("line {number}"),
                                        };
                                        let entry = file.functions.entry(name).or_insert(0);
                                        *entry = entry.saturating_add(line.count.unwrap_or(0));
                                    }
                                    "cond" => {
                                        let (t, f) = (line.truecount, line.falsecount);
                                        let hits = line.count.unwrap_or(t.saturating_add(f));
                                        let entry = file.lines.entry(number).or_insert(0);
                                        *entry = entry.saturating_add(hits);
                                        match dialect {
                                            Dialect::Istanbul => {
                                                file.set_branch_counts(
                                                    number,
                                                    t,
                                                    t.saturating_add(f),
                                                );
                                            }
                                            Dialect::Clover => {
                                                let index = conditions.entry(number).or_insert(0);
                                                let block = *index;
                                                *index += 1;
                                                for (arm, count) in [t, f].into_iter().enumerate() {
                                                    *file
                                                        .branches
                                                        .entry((number, block, arm as u64))
                                                        .or_insert(false) |= count > 0;
                                                }
                                            }
                                        }
                                    }
                                    // `stmt`, and any other kind a producer adds, is a line.
                                    _ => {
                                        let entry = file.lines.entry(number).or_insert(0);
                                        *entry = entry.saturating_add(line.count.unwrap_or(0));
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
                if !is_empty {
                    open.push(name.into_owned());
                }
            }
            Event::End(_) => {
                let name = open.pop().unwrap_or_default();
                if name == "file"
                    && let Some((key, mut file)) = current.take()
                {
                    if !file_has_method_lines && let Some(methods) = file_methods {
                        file.function_totals = Some(methods);
                    }
                    conditions.clear();
                    finish(&mut coverage, key, file);
                }
            }
            Event::Text(ref text)
                if !seen_root && text.iter().any(|b| !b.is_ascii_whitespace()) =>
            {
                return Err(ParseError::text_before_root("Clover XML"));
            }
            Event::Eof => {
                if let Some(element) = open.last() {
                    return Err(ParseError::truncated_inside(
                        reader.buffer_position(),
                        &format!("<{element}>"),
                    ));
                }
                break;
            }
            _ => {}
        }
        buffer.clear();
    }
    if !seen_root {
        return Err(ParseError::no_xml_element());
    }
    if let Some([statements, conditionals]) = declared {
        let counted = coverage.totals();
        if statements.1 > 0 && counted.lines != statements {
            coverage.warnings.push(format!(
                "the report declares {}/{} statements covered but its line elements give {}/{} lines; the line elements were used",
                statements.0, statements.1, counted.lines.0, counted.lines.1
            ));
        }
        if counted.branches != conditionals {
            coverage.warnings.push(format!(
                "the report declares {}/{} conditionals covered but its cond lines give {}/{} ({} reading of truecount/falsecount); the cond lines were used",
                conditionals.0,
                conditionals.1,
                counted.branches.0,
                counted.branches.1,
                match dialect {
                    Dialect::Clover => "OpenClover's",
                    Dialect::Istanbul => "istanbul's",
                }
            ));
        }
    }
    Ok(coverage)
}

/// Adds a finished file: merged into the same file seen before, else kept, kept as totals
/// (past [`MAX_ENTRIES_KEPT`] entries) or added to `rest` (past [`MAX_FILES_KEPT`] files), as
/// the LCOV reader does, so memory stays bounded by one file's lines whatever the report's size.
fn finish(coverage: &mut Coverage, name: String, mut file: FileCoverage) {
    if let Some(existing) = coverage.files.get_mut(&name) {
        let before = existing.entries();
        existing.merge(&file);
        coverage.entries_kept += existing.entries().saturating_sub(before);
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

/// (covered, total) pairs of a `<metrics>` element.
struct Metrics {
    statements: Option<(u64, u64)>,
    conditionals: Option<(u64, u64)>,
    methods: Option<(u64, u64)>,
}

fn read_metrics(element: &quick_xml::events::BytesStart<'_>) -> Metrics {
    let mut values: HashMap<&'static str, u64> = HashMap::new();
    xml::for_each_attribute(element, |key, value| {
        let key = match key {
            b"statements" => "statements",
            b"coveredstatements" => "coveredstatements",
            b"conditionals" => "conditionals",
            b"coveredconditionals" => "coveredconditionals",
            b"methods" => "methods",
            b"coveredmethods" => "coveredmethods",
            _ => return,
        };
        if let Some(number) = parse_lenient_u64(&value) {
            values.insert(key, number);
        }
    });
    let pair = |covered: &str, total: &str| {
        let total = *values.get(total)?;
        Some((values.get(covered).copied().unwrap_or(0).min(total), total))
    };
    Metrics {
        statements: pair("coveredstatements", "statements"),
        conditionals: pair("coveredconditionals", "conditionals"),
        methods: pair("coveredmethods", "methods"),
    }
}

struct LineElement {
    number: Option<u64>,
    kind: String,
    count: Option<u64>,
    truecount: u64,
    falsecount: u64,
    name: Option<String>,
    signature: Option<String>,
}

fn read_line(element: &quick_xml::events::BytesStart<'_>) -> LineElement {
    let mut line = LineElement {
        number: None,
        kind: String::new(),
        count: None,
        truecount: 0,
        falsecount: 0,
        name: None,
        signature: None,
    };
    xml::for_each_attribute(element, |key, value| match key {
        b"num" => line.number = value.trim().parse().ok(),
        b"type" => line.kind = value.trim().to_string(),
        b"count" => line.count = parse_lenient_u64(&value),
        b"truecount" => line.truecount = parse_lenient_u64(&value).unwrap_or(0),
        b"falsecount" => line.falsecount = parse_lenient_u64(&value).unwrap_or(0),
        b"name" => line.name = Some(value.into_owned()),
        b"signature" => line.signature = Some(value.into_owned()),
        _ => {}
    });
    line
}

fn wrong_root(name: &str) -> ParseError {
    ParseError::WrongKind {
        expected: "Clover XML",
        found: match xml::describe_root(name) {
            Some((description, _)) => description.to_string(),
            None => format!("an XML document whose root is <{name}>"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openclover_conditions_are_two_arms_each() {
        // OpenClover's shape (clover.dtd): a package, a file with its path, a method, statements
        // and conditions whose truecount/falsecount are how often each side was evaluated.
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<coverage generated="1700000000000" clover="4.5.2">
 <project name="demo" timestamp="1700000000000">
  <metrics statements="3" coveredstatements="2" conditionals="4" coveredconditionals="3" methods="2" coveredmethods="1"/>
  <package name="demo">
   <file name="Calc.java" path="/src/demo/Calc.java">
    <metrics statements="3" coveredstatements="2" conditionals="4" coveredconditionals="3" methods="2" coveredmethods="1"/>
    <class name="Calc"><metrics statements="3" coveredstatements="2"/></class>
    <line num="3" count="5" type="method" signature="add(int,int) : int" visibility="public"/>
    <line num="4" count="5" type="stmt"/>
    <line num="5" truecount="3" falsecount="2" type="cond"/>
    <line num="5" truecount="0" falsecount="5" type="cond"/>
    <line num="6" count="0" type="stmt"/>
    <line num="9" count="0" type="method" name="unused"/>
   </file>
  </package>
 </project>
 <testproject name="tests"><file name="CalcTest.java" path="/test/CalcTest.java"><line num="1" count="0" type="stmt"/></file></testproject>
</coverage>"#;
        let coverage = parse(xml.as_bytes()).unwrap();
        let totals = coverage.totals();
        // Lines 4, 5 (evaluated 10 times) and 6; the test project is not counted.
        assert_eq!(totals.lines, (2, 3));
        assert_eq!(totals.branches, (3, 4));
        assert_eq!(totals.functions, (1, 2));
        assert_eq!(coverage.files.len(), 1);
        assert!(coverage.files.contains_key("/src/demo/Calc.java"));
        assert_eq!(coverage.producer.as_deref(), Some("clover 4.5.2"));
        assert!(coverage.warnings.is_empty(), "{:?}", coverage.warnings);
    }

    #[test]
    fn istanbul_conditions_are_covered_of_all_arms() {
        let xml = r#"<coverage generated="1" clover="3.2.0"><project timestamp="1" name="All files">
<metrics statements="2" coveredstatements="1" conditionals="5" coveredconditionals="3" methods="2" coveredmethods="1"/>
<file name="a.js" path="/p/a.js"><metrics statements="2" coveredstatements="1" conditionals="5" coveredconditionals="3" methods="2" coveredmethods="1"/>
<line num="1" count="2" type="cond" truecount="3" falsecount="1"/><line num="2" count="0" type="cond" truecount="0" falsecount="1"/></file>
</project></coverage>"#;
        let coverage = parse(xml.as_bytes()).unwrap();
        let totals = coverage.totals();
        assert_eq!(totals.lines, (1, 2));
        assert_eq!(totals.branches, (3, 5));
        assert_eq!(totals.functions, (1, 2));
        assert!(coverage.warnings.is_empty(), "{:?}", coverage.warnings);
    }

    #[test]
    fn a_misread_dialect_is_warned_about() {
        // istanbul-shaped counts without istanbul's constants: read as OpenClover, and the
        // declared conditionals disagree.
        let xml = r#"<coverage clover="9"><project name="x"><metrics statements="1" coveredstatements="1" conditionals="3" coveredconditionals="3"/>
<file name="a.js"><line num="1" count="1" type="cond" truecount="3" falsecount="0"/></file></project></coverage>"#;
        let coverage = parse(xml.as_bytes()).unwrap();
        assert_eq!(coverage.totals().branches, (1, 2));
        assert_eq!(coverage.warnings.len(), 1, "{:?}", coverage.warnings);
        assert!(coverage.warnings[0].contains("3/3 conditionals"));
    }

    #[test]
    fn many_lines_keep_bounded_state_and_exact_totals() {
        // 3,000 files of 200 lines (600,000 entries, past MAX_ENTRIES_KEPT), one in four hit.
        let mut xml = String::from("<coverage><project>");
        for f in 0..3000 {
            xml.push_str(&format!("<file name=\"f{f}.php\">"));
            for line in 1..=200 {
                let count = u64::from(line % 4 == 0);
                xml.push_str(&format!(
                    "<line num=\"{line}\" type=\"stmt\" count=\"{count}\"/>"
                ));
            }
            xml.push_str("</file>");
        }
        xml.push_str("</project></coverage>");
        let coverage = parse(xml.as_bytes()).unwrap();
        assert_eq!(coverage.totals().lines, (3000 * 50, 3000 * 200));
        assert!(coverage.collapsed_files > 0);
        assert!(
            coverage.entries_kept <= MAX_ENTRIES_KEPT,
            "{}",
            coverage.entries_kept
        );
        let held: usize = coverage.files.values().map(FileCoverage::entries).sum();
        assert_eq!(held, coverage.entries_kept);
    }

    #[test]
    fn other_roots_and_truncation_are_refused() {
        let error = parse(&b"<testsuites/>"[..]).unwrap_err();
        assert_eq!(error.to_string(), "this is JUnit XML, not Clover XML");
        let error =
            parse(&b"<coverage><project><file name=\"a\"><line num=\"1\"/>"[..]).unwrap_err();
        assert!(error.to_string().contains("truncated"), "{error}");
    }
}
