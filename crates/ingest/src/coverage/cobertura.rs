//! Cobertura XML (`coverage-04.dtd`), streamed.
//!
//! Lines are counted once, from `class/lines/line` (PHPUnit repeats them under
//! `class/methods/method/lines`). A line's `hits` may be missing (0) or huge; its branches come
//! from `condition-coverage="50% (1/2)"`. A method is a function: covered when its `hits`
//! attribute (istanbul) or any of its lines' hits is positive. Classes of the same `filename`
//! are merged. The DOCTYPE is never fetched (quick-xml does not read DTDs).

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};

use crate::coverage::Coverage;
use crate::error::ParseError;
use crate::input::parse_lenient_u64;
use crate::xml;

/// Reads a Cobertura report.
pub fn parse(input: impl BufRead) -> Result<Coverage, ParseError> {
    let mut reader = xml::reader(input);
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut coverage = Coverage::default();
    let mut open: Vec<String> = Vec::new();
    let mut seen_root = false;
    let mut file_name = String::new();
    let mut method: Option<(String, u64)> = None;
    let mut declared: (Option<u64>, Option<u64>) = (None, None);
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
                    xml::for_each_attribute(element, |key, value| match key {
                        b"lines-covered" => declared.0 = parse_lenient_u64(&value),
                        b"lines-valid" => declared.1 = parse_lenient_u64(&value),
                        b"version" if !value.is_empty() => {
                            coverage.producer = Some(describe_version(&value))
                        }
                        _ => {}
                    });
                }
                let parent = open.last().map(String::as_str);
                if parent == Some("coverage") && matches!(name.as_ref(), "project" | "testproject")
                {
                    return Err(ParseError::WrongKind {
                        expected: "Cobertura XML",
                        found: "Clover XML".into(),
                    });
                }
                match (name.as_ref(), parent) {
                    ("class", _) => {
                        file_name.clear();
                        let mut class_name = String::new();
                        xml::for_each_attribute(element, |key, value| match key {
                            b"filename" => file_name = value.into_owned(),
                            b"name" => class_name = value.into_owned(),
                            _ => {}
                        });
                        if file_name.is_empty() {
                            file_name = class_name;
                        }
                        coverage.file(&file_name);
                    }
                    ("method", _) => {
                        let mut method_name = String::new();
                        let mut signature = String::new();
                        let mut hits = 0u64;
                        xml::for_each_attribute(element, |key, value| match key {
                            b"name" => method_name = value.into_owned(),
                            b"signature" => signature = value.into_owned(),
                            b"hits" => hits = parse_lenient_u64(&value).unwrap_or(0),
                            _ => {}
                        });
                        let key = format!("{method_name}{signature}");
                        coverage
                            .file(&file_name)
                            .functions
                            .entry(key.clone())
                            .or_insert(0);
                        if is_empty {
                            bump_function(&mut coverage, &file_name, &key, hits);
                        } else {
                            method = Some((key, hits));
                        }
                    }
                    ("line", Some("lines")) => {
                        let in_method = open.iter().any(|n| n == "method");
                        let line = read_line(element);
                        if in_method {
                            if let Some((_, hits)) = method.as_mut() {
                                *hits = hits.saturating_add(line.hits);
                            }
                        } else if let Some(number) = line.number {
                            let file = coverage.file(&file_name);
                            let entry = file.lines.entry(number).or_insert(0);
                            *entry = entry.saturating_add(line.hits);
                            if let Some((covered, total)) = line.branches {
                                file.set_branch_counts(number, covered, total);
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
                if name == "method"
                    && let Some((key, hits)) = method.take()
                {
                    bump_function(&mut coverage, &file_name, &key, hits);
                }
            }
            Event::Text(ref text)
                if !seen_root && text.iter().any(|b| !b.is_ascii_whitespace()) =>
            {
                return Err(ParseError::text_before_root("Cobertura XML"));
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
    if let (Some(hit), Some(found)) = declared {
        let counted = coverage.totals().lines;
        if counted != (hit, found) {
            coverage.warnings.push(format!(
                "the report declares {hit}/{found} lines covered but its line elements give {}/{}; the line elements were used",
                counted.0, counted.1
            ));
        }
    }
    Ok(coverage)
}

fn bump_function(coverage: &mut Coverage, file_name: &str, key: &str, hits: u64) {
    let entry = coverage
        .file(file_name)
        .functions
        .entry(key.to_string())
        .or_insert(0);
    *entry = entry.saturating_add(hits);
}

struct LineElement {
    number: Option<u64>,
    hits: u64,
    branches: Option<(u64, u64)>,
}

fn read_line(element: &BytesStart<'_>) -> LineElement {
    let mut line = LineElement {
        number: None,
        hits: 0,
        branches: None,
    };
    let mut is_branch = false;
    let mut condition = None;
    xml::for_each_attribute(element, |key, value| match key {
        b"number" => line.number = value.trim().parse().ok(),
        b"hits" => line.hits = parse_lenient_u64(&value).unwrap_or(0),
        b"branch" => is_branch = value.trim() == "true",
        b"condition-coverage" => condition = parse_condition(&value),
        _ => {}
    });
    if is_branch || condition.is_some() {
        line.branches = condition;
    }
    line
}

/// `50% (1/2)` → (1, 2).
fn parse_condition(text: &str) -> Option<(u64, u64)> {
    let inside = text.split_once('(')?.1.split_once(')')?.0;
    let (covered, total) = inside.split_once('/')?;
    let covered: u64 = covered.trim().parse().ok()?;
    let total: u64 = total.trim().parse().ok()?;
    Some((covered.min(total), total))
}

fn describe_version(version: &str) -> String {
    if version.starts_with("gcovr") {
        version.to_string()
    } else if version.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        format!("cobertura {version}")
    } else {
        version.to_string()
    }
}

fn wrong_root(name: &str) -> ParseError {
    ParseError::WrongKind {
        expected: "Cobertura XML",
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
    fn counts_class_lines_once() {
        let xml = r#"<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage line-rate="0.75" lines-covered="3" lines-valid="4" version="7.6.1">
 <sources><source>/src</source></sources>
 <packages><package name="p"><classes>
  <class name="a.py" filename="a.py">
   <methods><method name="f" signature="()"><lines><line number="1" hits="1"/></lines></method>
            <method name="g" signature="()"><lines><line number="4" hits="0"/></lines></method></methods>
   <lines><line number="1" hits="1"/><line number="2" hits="3" branch="true" condition-coverage="50% (1/2)"/>
          <line number="3" hits="1"/><line number="4" hits="0"/></lines>
  </class></classes></package></packages></coverage>"#;
        let coverage = parse(xml.as_bytes()).unwrap();
        let totals = coverage.totals();
        assert_eq!(totals.lines, (3, 4));
        assert_eq!(totals.branches, (1, 2));
        assert_eq!(totals.functions, (1, 2));
        assert!(coverage.warnings.is_empty(), "{:?}", coverage.warnings);
        assert_eq!(parse_condition("100% (2/2)"), Some((2, 2)));
    }

    #[test]
    fn junit_is_refused() {
        let error = parse(&b"<testsuites/>"[..]).unwrap_err();
        assert_eq!(error.to_string(), "this is JUnit XML, not Cobertura XML");
    }
}
