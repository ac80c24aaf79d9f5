//! Helpers shared by the XML parsers (JUnit, Cobertura, JaCoCo) over quick-xml's pull reader.
//!
//! The reader is configured once by [`reader`]: no text trimming (we only look at text inside
//! `failure`/`error`), end-tag names checked (a mismatched end is an error with an offset).
//! quick-xml never processes the DTD: an `<!ENTITY>` declaration is reported as a `DocType`
//! event and ignored, and a reference to an undeclared entity (`&xxe;`) is kept as literal
//! text, so neither external entities nor entity expansion ("billion laughs") are possible.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::events::{BytesRef, BytesStart};

use crate::error::ParseError;

/// A quick-xml reader with the settings every gonogo XML parser uses.
pub fn reader<R: BufRead>(input: R) -> quick_xml::Reader<R> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = false;
    reader
}

/// The part of a qualified name after its prefix (`ns:testcase` → `testcase`).
///
/// quick-xml's `local_name` finds the colon with `memchr`, whose set-up costs more than a
/// plain scan on names of a few bytes; element and attribute names are scanned millions of
/// times in a large report, so the parsers' hot paths use this instead.
#[inline]
pub fn local(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&byte| byte == b':') {
        Some(colon) => &name[colon + 1..],
        None => name,
    }
}

/// The local name of an element (`ns:testcase` → `testcase`), lossily as text.
pub fn local_name<'a>(element: &'a BytesStart<'_>) -> Cow<'a, str> {
    let name = element.local_name();
    Cow::Owned(String::from_utf8_lossy(name.as_ref()).into_owned())
}

/// Runs `visit(name, value)` on each attribute; values are unescaped, and kept raw when they
/// hold an entity XML does not predefine (`&nbsp;`, `&xxe;`) or are not UTF-8.
pub fn for_each_attribute(element: &BytesStart<'_>, mut visit: impl FnMut(&[u8], Cow<'_, str>)) {
    for attribute in element.attributes().with_checks(false).flatten() {
        let key = attribute.key.local_name();
        let value = match attribute.unescape_value() {
            Ok(value) => value,
            Err(_) => Cow::Owned(String::from_utf8_lossy(&attribute.value).into_owned()),
        };
        visit(key.as_ref(), value);
    }
}

/// An attribute's raw bytes as text, unescaped like [`for_each_attribute`] does: kept raw
/// when they hold an entity XML does not predefine, lossy when not UTF-8. Borrows (no copy)
/// when the value has no `&` and is valid UTF-8, the common case.
pub fn decode(raw: &[u8]) -> Cow<'_, str> {
    let text = String::from_utf8_lossy(raw);
    if !raw.contains(&b'&') {
        return text;
    }
    match quick_xml::escape::unescape(&text) {
        Ok(Cow::Owned(unescaped)) => Cow::Owned(unescaped),
        Ok(Cow::Borrowed(_)) | Err(_) => text,
    }
}

/// The text a general reference stands for: a character reference or one of the five
/// predefined entities; anything else (an entity the DTD would define) stays literal.
pub fn resolve_reference(reference: &BytesRef<'_>) -> String {
    if let Ok(Some(ch)) = reference.resolve_char_ref() {
        return ch.to_string();
    }
    let name = String::from_utf8_lossy(reference);
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(text) => text.to_string(),
        None => format!("&{name};"),
    }
}

/// Turns a quick-xml error into a [`ParseError`] at the reader's error position.
pub fn error<R>(reader: &quick_xml::Reader<R>, error: quick_xml::Error) -> ParseError {
    match error {
        quick_xml::Error::Io(io) => ParseError::Io(std::io::Error::new(io.kind(), io.to_string())),
        other => ParseError::malformed_at(reader.error_position(), format!("XML: {other}")),
    }
}

/// Appends `text` to `out`, keeping `out` at most `limit` bytes (cut at a char boundary).
pub fn push_capped(out: &mut String, text: &str, limit: usize) {
    if out.len() >= limit {
        return;
    }
    let room = limit - out.len();
    if text.len() <= room {
        out.push_str(text);
    } else {
        let mut cut = room;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&text[..cut]);
    }
}

/// What the root element of an XML document says about its format.
pub fn describe_root(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "testsuites" | "testsuite" => Some(("JUnit XML", "junit")),
        "coverage" => Some(("Cobertura XML", "cobertura")),
        "report" => Some(("JaCoCo XML", "jacoco")),
        "failsafe-summary" => Some(("a Maven Failsafe summary (not a test report)", "junit")),
        "test-results" => Some(("NUnit 2 XML", "junit")),
        "test-run" => Some(("NUnit 3 XML", "junit")),
        "assemblies" => Some(("xUnit.net XML", "junit")),
        "TestRun" => Some(("Visual Studio TRX", "junit")),
        "checkstyle" => Some(("Checkstyle XML", "sarif")),
        "html" | "HTML" => Some(("an HTML page", "junit")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_unescapes_only_what_xml_predefines() {
        assert!(matches!(decode(b"plain"), Cow::Borrowed("plain")));
        assert_eq!(decode(b"a &amp; &lt;b&gt; &#65;"), "a & <b> A");
        // An entity a DTD would define stays literal, never expanded.
        assert_eq!(decode(b"x &xxe; y"), "x &xxe; y");
        assert_eq!(decode(b"bad \xff utf8"), "bad \u{fffd} utf8");
    }
}
