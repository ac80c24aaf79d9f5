//! JaCoCo XML reports, streamed.
//!
//! Lines come from `package/sourcefile/line[nr mi ci mb cb]`: a line is instrumented, and
//! covered when `ci > 0`; its branches are `cb` covered of `mb + cb`. Functions are
//! `package/class/method` elements with their `METHOD` counter (covered when `covered > 0`).
//! gcovr's JaCoCo dialect writes `<line nr="3"/>` with no `mi`/`ci` and no `class`/`method`:
//! for such files the sourcefile's `LINE` and `METHOD` counters give the totals instead. Real JaCoCo output is a single line,
//! so errors carry the byte offset too.

use std::io::BufRead;

use quick_xml::events::Event;

use crate::coverage::Coverage;
use crate::error::ParseError;
use crate::input::parse_lenient_u64;
use crate::xml;

/// Reads a JaCoCo report.
pub fn parse(input: impl BufRead) -> Result<Coverage, ParseError> {
    let mut reader = xml::reader(input);
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut coverage = Coverage::default();
    let mut open: Vec<String> = Vec::new();
    let mut seen_root = false;
    let mut package = String::new();
    let mut class = String::new();
    let mut file_key = String::new();
    let mut method: Option<String> = None;
    let mut lines_without_counts = false;
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
                    if name != "report" {
                        return Err(ParseError::WrongKind {
                            expected: "JaCoCo XML",
                            found: match xml::describe_root(&name) {
                                Some((description, _)) => description.to_string(),
                                None => format!("an XML document whose root is <{name}>"),
                            },
                        });
                    }
                    xml::for_each_attribute(element, |key, value| {
                        if key == b"name" && value.contains("GCOVR") {
                            coverage.producer = Some("gcovr".into());
                        }
                    });
                    if coverage.producer.is_none() {
                        coverage.producer = Some("jacoco".into());
                    }
                }
                let parent = open.last().map(String::as_str);
                match (name.as_ref(), parent) {
                    ("package", _) => {
                        package.clear();
                        xml::for_each_attribute(element, |key, value| {
                            if key == b"name" {
                                package = value.into_owned();
                            }
                        });
                    }
                    ("class", Some("package")) => {
                        class.clear();
                        xml::for_each_attribute(element, |key, value| {
                            if key == b"name" {
                                class = value.into_owned();
                            }
                        });
                    }
                    ("method", Some("class")) => {
                        let mut method_name = String::new();
                        let mut descriptor = String::new();
                        xml::for_each_attribute(element, |key, value| match key {
                            b"name" => method_name = value.into_owned(),
                            b"desc" => descriptor = value.into_owned(),
                            _ => {}
                        });
                        let key = format!("{class}.{method_name}{descriptor}");
                        method = (!is_empty).then(|| key.clone());
                        coverage
                            .file(&class_file(&package, &class))
                            .functions
                            .entry(key)
                            .or_insert(0);
                    }
                    ("counter", Some("method")) => {
                        if let Some(key) = method.as_ref() {
                            let counter = read_counter(element);
                            if counter.0 == "METHOD" && counter.2 > 0 {
                                let file = coverage.file(&class_file(&package, &class));
                                *file.functions.entry(key.clone()).or_insert(0) += 1;
                            }
                        }
                    }
                    ("sourcefile", Some("package")) => {
                        let mut source = String::new();
                        xml::for_each_attribute(element, |key, value| {
                            if key == b"name" {
                                source = value.into_owned();
                            }
                        });
                        file_key = join(&package, &source);
                        coverage.file(&file_key);
                    }
                    ("line", Some("sourcefile")) => {
                        let (mut number, mut mi, mut ci, mut mb, mut cb) =
                            (None, None, None, 0u64, 0u64);
                        xml::for_each_attribute(element, |key, value| match key {
                            b"nr" => number = value.trim().parse::<u64>().ok(),
                            b"mi" => mi = parse_lenient_u64(&value),
                            b"ci" => ci = parse_lenient_u64(&value),
                            b"mb" => mb = parse_lenient_u64(&value).unwrap_or(0),
                            b"cb" => cb = parse_lenient_u64(&value).unwrap_or(0),
                            _ => {}
                        });
                        if let Some(number) = number {
                            let file = coverage.file(&file_key);
                            if mi.is_none() && ci.is_none() {
                                lines_without_counts = true;
                            } else {
                                let entry = file.lines.entry(number).or_insert(0);
                                *entry = entry.saturating_add(ci.unwrap_or(0));
                            }
                            if mb + cb > 0 {
                                file.set_branch_counts(number, cb, mb.saturating_add(cb));
                            }
                        }
                    }
                    ("counter", Some("sourcefile")) => {
                        let (counter_type, missed, covered) = read_counter(element);
                        let totals = Some((covered, missed.saturating_add(covered)));
                        let file = coverage.file(&file_key);
                        match counter_type.as_str() {
                            "LINE" => file.line_totals = totals,
                            "METHOD" => file.function_totals = totals,
                            _ => {}
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
                if name == "method" {
                    method = None;
                }
            }
            Event::Text(ref text)
                if !seen_root && text.iter().any(|b| !b.is_ascii_whitespace()) =>
            {
                return Err(ParseError::text_before_root("JaCoCo XML"));
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
    if lines_without_counts {
        coverage.warnings.push("line elements without mi/ci (gcovr's dialect): line totals come from the LINE counters".into());
    }
    // Files whose per-line data is present ignore line_totals (FileCoverage::totals).
    Ok(coverage)
}

fn read_counter(element: &quick_xml::events::BytesStart<'_>) -> (String, u64, u64) {
    let (mut counter_type, mut missed, mut covered) = (String::new(), 0, 0);
    xml::for_each_attribute(element, |key, value| match key {
        b"type" => counter_type = value.into_owned(),
        b"missed" => missed = parse_lenient_u64(&value).unwrap_or(0),
        b"covered" => covered = parse_lenient_u64(&value).unwrap_or(0),
        _ => {}
    });
    (counter_type, missed, covered)
}

/// The source file a class lives in: `demo/Calc$Inner` → `demo/Calc.java` is a guess, so
/// classes key functions by their own path without the inner-class suffix plus `.java`.
fn class_file(package: &str, class: &str) -> String {
    let outer = class.split('$').next().unwrap_or(class);
    let simple = outer.rsplit('/').next().unwrap_or(outer);
    join(package, &format!("{simple}.java"))
}

fn join(package: &str, name: &str) -> String {
    if package.is_empty() {
        name.to_string()
    } else {
        format!("{package}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_branches_methods() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="demo"><sessioninfo id="x" start="1" dump="2"/><package name="demo"><class name="demo/Calc" sourcefilename="Calc.java"><method name="add" desc="(II)I" line="3"><counter type="METHOD" missed="0" covered="1"/></method><method name="div" desc="(II)I" line="6"><counter type="METHOD" missed="1" covered="0"/></method></class><sourcefile name="Calc.java"><line nr="3" mi="0" ci="4" mb="0" cb="0"/><line nr="6" mi="3" ci="0" mb="1" cb="1"/><counter type="LINE" missed="1" covered="1"/></sourcefile></package><counter type="LINE" missed="1" covered="1"/></report>"#;
        let coverage = parse(xml.as_bytes()).unwrap();
        let totals = coverage.totals();
        assert_eq!(totals.lines, (1, 2));
        assert_eq!(totals.branches, (1, 2));
        assert_eq!(totals.functions, (1, 2));
    }

    #[test]
    fn gcovr_dialect_uses_counters() {
        let xml = r#"<report name="GCOVR report"><package name=""><sourcefile name="calc.c"><line nr="3"/><line nr="4" mb="1" cb="1"/><counter type="LINE" missed="2" covered="5"/></sourcefile></package></report>"#;
        let coverage = parse(xml.as_bytes()).unwrap();
        assert_eq!(coverage.totals().lines, (5, 7));
        assert_eq!(coverage.warnings.len(), 1);
    }
}
