//! Reading typed settings from TOML: every unknown key at once, and the serde helpers the
//! engines' typed configurations share with their command lines.
//!
//! serde stops at the first problem. [`from_str_all`] keeps going past unknown keys: each one
//! is reported with its span, blanked out of the text (spaces, so every other span stays where
//! it was) and the text read again, so a policy with a typo in five sections hears about all
//! five in one round.
//!
//! The engines read their policy sections with serde and their flags with clap, from one
//! struct. A setting with a range or a syntax has one checking function (`fn(&str) ->
//! Result<T, String>`), clap's `value_parser` and serde's `deserialize_with` alike: [`parsed`],
//! [`parsed_opt`] and [`parsed_many`] run it on the TOML value written as text, so `rate =
//! 200` and `--rate 200` are refused with the same words.

use std::ops::Range;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, de};

use crate::policy::Problem;

/// How many unknown keys one reading reports at most (a bound on the re-reads).
const MAX_UNKNOWN_KEYS: usize = 200;

/// Reads `text` as `T`, reporting every unknown key (each at its key) before the first other
/// problem. `Some` when the text, without its unknown keys, reads as `T`.
pub fn from_str_all<T: DeserializeOwned>(text: &str) -> (Option<T>, Vec<Problem>) {
    let mut current = text.to_owned();
    let mut problems: Vec<Problem> = Vec::new();
    // Keys whose value was refused (and blanked): the reading no longer counts.
    let mut refused: Vec<String> = Vec::new();
    let finish = |mut problems: Vec<Problem>, value: Option<T>| {
        problems.sort_by_key(|p| (p.span.start, p.span.end));
        (value, problems)
    };
    loop {
        let error = match toml::from_str::<T>(&current) {
            Ok(value) if refused.is_empty() => return finish(problems, Some(value)),
            Ok(_) => return finish(problems, None),
            Err(error) => error,
        };
        let mut problem = crate::policy::toml_problem(&error, text);
        let unknown = error.message().starts_with("unknown field");
        if unknown {
            let key = text.get(problem.span.clone()).unwrap_or_default();
            let expected = expected_keys(error.message());
            let suggestions = crate::suggest::closest(key, expected.iter().copied());
            // The key it was probably meant to be first, at the key.
            let general = problem.help.take();
            problem.label = "unknown key".into();
            problem = problem.did_you_mean(&suggestions);
            if let Some(general) = general {
                problem = problem.help(general);
            }
        } else if let Some(field) = missing_field(error.message())
            && (refused.iter().any(|k| k == field)
                || problems.iter().any(|p| {
                    let key = text.get(p.span.clone()).unwrap_or_default();
                    crate::suggest::closest(key, [field]).len() == 1
                }))
        {
            // `expct = ...` is reported: `expect` missing is the same mistake.
            return finish(problems, None);
        }
        let bounded = problems.len() < MAX_UNKNOWN_KEYS;
        let repeated = problems.iter().any(|p| p.span == problem.span);
        let entry = error
            .span()
            .filter(|_| bounded && !repeated)
            .and_then(|span| {
                if unknown {
                    entry_range(&current, &span, Find::Key)
                } else {
                    entry_range(&current, &span, Find::Value)
                }
            });
        if !repeated {
            problems.push(problem);
        }
        let Some((key, range)) = entry else {
            return finish(problems, None);
        };
        if !unknown {
            refused.push(key);
        }
        blank(&mut current, range);
    }
}

/// serde's list of the keys a table takes: "unknown field `x`, expected one of `a`, `b`".
fn expected_keys(message: &str) -> Vec<&str> {
    message
        .split_once("expected")
        .map(|(_, rest)| rest.split('`').skip(1).step_by(2).collect())
        .unwrap_or_default()
}

/// The field of "missing field `x`".
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

/// Replaces `range` of `text` with spaces (newlines kept), so other spans do not move.
fn blank(text: &mut String, range: Range<usize>) {
    let blanked: String = text[range.clone()]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    // Multi-byte characters become one space each: pad to the same byte length.
    let padded = format!("{blanked:<width$}", width = range.len());
    text.replace_range(range, &padded);
}

/// What a span of serde's points at: an unknown key, or a refused value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Find {
    Key,
    Value,
}

/// The key and the text of the entry whose key (or value) is at `span`: the key and its value
/// (`rat = 100`), or a whole `[table]` with its header and keys.
fn entry_range(text: &str, span: &Range<usize>, find: Find) -> Option<(String, Range<usize>)> {
    let document = toml::de::DeTable::parse(text).ok()?;
    let (name, key_span, value_end) = find_entry(document.get_ref(), span, find)?;
    let line_start = text[..key_span.start].rfind('\n').map_or(0, |i| i + 1);
    let before = text[line_start..key_span.start].trim_start();
    // A `[header]` or `[[header]]`: blank the header line, then its keys.
    let start = if before.starts_with('[') {
        line_start
    } else {
        key_span.start
    };
    let mut end = value_end.max(key_span.end);
    if before.starts_with('[') {
        end = end.max(
            text[key_span.end..]
                .find('\n')
                .map_or(text.len(), |i| key_span.end + i),
        );
    }
    (start < end && end <= text.len()).then_some((name, start..end))
}

/// The name and span of the key at `span` (or whose value is at `span`), and the end of its
/// value (nested keys included).
fn find_entry(
    table: &toml::de::DeTable<'_>,
    span: &Range<usize>,
    find: Find,
) -> Option<(String, Range<usize>, usize)> {
    for (name, value) in table.iter() {
        let here = match find {
            Find::Key => name.span() == *span,
            Find::Value => value.span() == *span,
        };
        if here {
            return Some((name.get_ref().to_string(), name.span(), value_end(value)));
        }
        if let Some(found) = find_in_value(value.get_ref(), span, find) {
            return Some(found);
        }
    }
    None
}

fn find_in_value(
    value: &toml::de::DeValue<'_>,
    span: &Range<usize>,
    find: Find,
) -> Option<(String, Range<usize>, usize)> {
    match value {
        toml::de::DeValue::Table(inner) => find_entry(inner, span, find),
        toml::de::DeValue::Array(items) => items
            .iter()
            .find_map(|item| find_in_value(item.get_ref(), span, find)),
        _ => None,
    }
}

fn value_end(value: &toml::Spanned<toml::de::DeValue<'_>>) -> usize {
    let mut end = value.span().end;
    match value.get_ref() {
        toml::de::DeValue::Table(inner) => {
            for (name, item) in inner.iter() {
                end = end.max(name.span().end).max(value_end(item));
            }
        }
        toml::de::DeValue::Array(items) => {
            for item in items {
                end = end.max(value_end(item));
            }
        }
        _ => {}
    }
    end
}

// ---------------------------------------------------------------------------------------------
// serde helpers shared with the command lines.

/// A TOML scalar as the text a flag would carry: `"10s"`, `200` → `"200"`, `2.5`, `true`.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One value or a list of them (`stages = "30s:100"` or `stages = ["30s:100", "1m:0"]`).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Text),
    Many(Vec<Text>),
}

/// A setting checked by its flag's parser: the TOML value as text, then `parser`.
pub fn parsed<'de, D, T>(
    deserializer: D,
    parser: fn(&str) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let Text(text) = Text::deserialize(deserializer)?;
    parser(&text).map_err(de::Error::custom)
}

/// As [`parsed`], for an optional setting (`#[serde(default, deserialize_with = ...)]`).
pub fn parsed_opt<'de, D, T>(
    deserializer: D,
    parser: fn(&str) -> Result<T, String>,
) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
{
    parsed(deserializer, parser).map(Some)
}

/// A repeatable setting: one value or a list, each checked by `parser`.
pub fn parsed_many<'de, D, T>(
    deserializer: D,
    parser: fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
{
    let texts = match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    };
    texts
        .into_iter()
        .map(|Text(text)| parser(&text).map_err(de::Error::custom))
        .collect()
}

/// Any text (a parser that accepts everything).
pub fn any_text(text: &str) -> Result<String, String> {
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        #[serde(default)]
        a: Option<i64>,
        #[serde(default)]
        t: Option<Inner>,
        #[serde(default)]
        list: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        #[serde(default)]
        b: Option<String>,
    }

    #[test]
    fn every_unknown_key_is_reported_at_its_key_and_the_rest_still_reads() {
        let text =
            "a = 1\nzz = 2\n\n[t]\nb = \"x\"\nbb = [1,\n 2]\n\n[[list]]\nc = 3\n\n[oops]\nq = 1\n";
        let (doc, problems) = from_str_all::<Doc>(text);
        let keys: Vec<&str> = problems.iter().map(|p| &text[p.span.clone()]).collect();
        assert_eq!(keys, ["zz", "bb", "c", "oops"], "{problems:?}");
        assert!(
            problems
                .iter()
                .all(|p| p.message.starts_with("unknown field"))
        );
        let doc = doc.expect("reads without the unknown keys");
        assert_eq!(doc.a, Some(1));
        assert_eq!(doc.t.and_then(|t| t.b).as_deref(), Some("x"));
        assert_eq!(doc.list.len(), 1);
    }

    #[test]
    fn a_refused_value_is_reported_with_the_unknown_keys_and_nothing_is_read() {
        let text = "zz = 1\na = \"not a number\"\n[t]\nb = 5\nq = 1\n";
        let (doc, problems) = from_str_all::<Doc>(text);
        assert!(
            doc.is_none(),
            "a refused value does not read as its default"
        );
        let at: Vec<&str> = problems.iter().map(|p| &text[p.span.clone()]).collect();
        assert_eq!(at, ["zz", "\"not a number\"", "5", "q"], "{problems:?}");
        assert!(problems[1].message.contains("invalid type"), "{problems:?}");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Required {
        expect: String,
        n: Option<i64>,
    }

    #[test]
    fn a_misspelt_required_key_is_one_problem_not_two() {
        let text = "expct = \"x\"\nn = 1\n";
        let (doc, problems) = from_str_all::<Required>(text);
        assert!(doc.is_none());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].help.as_deref().map(|h| h.lines().next()),
            Some(Some("did you mean `expect`?"))
        );
        let text = "expect = 5\n";
        let (_, problems) = from_str_all::<Required>(text);
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[derive(Debug, Deserialize)]
    struct Parsed {
        #[serde(default, deserialize_with = "rate")]
        rate: Option<u32>,
        #[serde(default, deserialize_with = "many")]
        many: Vec<u32>,
    }

    fn check(text: &str) -> Result<u32, String> {
        match text.parse::<u32>() {
            Ok(n) if n <= 10 => Ok(n),
            _ => Err(format!("`{text}` is not from 0 to 10")),
        }
    }

    fn rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        parsed_opt(d, check)
    }

    fn many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
        parsed_many(d, check)
    }

    #[test]
    fn settings_are_checked_by_the_flags_parser_as_text() {
        let ok: Parsed = toml::from_str("rate = \"7\"\nmany = 3\n").unwrap();
        assert_eq!((ok.rate, ok.many), (Some(7), vec![3]));
        let ok: Parsed = toml::from_str("rate = 7\nmany = [1, \"2\"]\n").unwrap();
        assert_eq!((ok.rate, ok.many), (Some(7), vec![1, 2]));
        let error = toml::from_str::<Parsed>("rate = 70\n").unwrap_err();
        assert!(
            error.message().contains("`70` is not from 0 to 10"),
            "{error}"
        );
        let error = toml::from_str::<Parsed>("many = [1, 11]\n").unwrap_err();
        assert!(
            error.message().contains("`11` is not from 0 to 10"),
            "{error}"
        );
    }
}
