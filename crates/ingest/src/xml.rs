//! Helpers shared by the XML parsers (JUnit, Cobertura, JaCoCo) over quick-xml's pull reader.
//!
//! The reader is configured once by [`reader`]: no text trimming (we only look at text inside
//! `failure`/`error`), end-tag names checked (a mismatched end is an error with an offset).
//! quick-xml never processes the DTD: an `<!ENTITY>` declaration is reported as a `DocType`
//! event and ignored, and a reference to an undeclared entity (`&xxe;`) is kept as literal
//! text, so neither external entities nor entity expansion ("billion laughs") are possible.
//!
//! quick-xml hands out each event whole: a 1 GB `<failure>` body, attribute value, comment or
//! CDATA section, or a start tag of a million attributes, would be one 1 GB buffer. [`Clamp`]
//! sits between the file and quick-xml and passes on at most [`MAX_XML_RUN`] bytes of each text
//! run, attribute value, comment and CDATA section and at most [`MAX_XML_TAG`] bytes of each
//! tag, dropping (and counting) the rest, so memory stays bounded whatever the input. The cut
//! is made at a UTF-8 character boundary and never inside an entity reference; the parsers
//! only ever keep short excerpts of such text, and say when something was cut.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::events::{BytesRef, BytesStart};

use crate::error::ParseError;

/// A quick-xml reader with the settings every gonogo XML parser uses, over a [`Clamp`] of
/// the input (so no event is longer than [`MAX_XML_RUN`] or [`MAX_XML_TAG`]).
pub fn reader<R: BufRead>(input: R) -> quick_xml::Reader<Clamp<R>> {
    let mut reader = quick_xml::Reader::from_reader(Clamp::new(input));
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = false;
    reader
}

/// The most bytes of one text run, attribute value, comment or CDATA section passed on (1 MiB).
pub const MAX_XML_RUN: usize = 1 << 20;
/// The most bytes of one tag (its name and attributes) passed on (4 MiB).
pub const MAX_XML_TAG: usize = 4 << 20;
/// Input bytes lexed per refill.
const CLAMP_CHUNK: usize = 64 * 1024;

/// Where the lexer of [`Clamp`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Text,
    /// Just after `<`: `opened` bytes of a possible `!--` or `![CDATA[`.
    Open,
    Tag,
    /// Inside an attribute value quoted with this byte.
    Value(u8),
    Comment,
    CData,
}

/// A byte-level XML lexer that drops what is past the bounds (see the module docs).
#[derive(Debug)]
struct Lexer {
    state: Lex,
    opened: [u8; 8],
    opened_len: usize,
    /// Bytes of the current run (text, value, comment, CDATA), kept or not.
    run: usize,
    /// Bytes of the current tag passed on.
    tag: usize,
    /// The rest of the current tag is being dropped.
    dropping_tag: bool,
    /// The last two input bytes (for `-->`, `]]>` and `/>`).
    last: [u8; 2],
    dropped_bytes: u64,
    cut_runs: u64,
    /// The current run was cut (counted once).
    run_cut: bool,
}

impl Lexer {
    fn start_run(&mut self) {
        self.run = 0;
        self.run_cut = false;
    }

    fn count_cut(&mut self) {
        if !self.run_cut {
            self.run_cut = true;
            self.cut_runs += 1;
        }
    }

    fn remember(&mut self, bytes: &[u8]) {
        match bytes {
            [] => {}
            [only] => self.last = [self.last[1], *only],
            [.., a, b] => self.last = [*a, *b],
        }
    }

    /// A run's bytes: passed on up to [`MAX_XML_RUN`], then dropped.
    fn run_bytes(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> usize {
        self.remember(bytes);
        if self.run >= MAX_XML_RUN {
            if !bytes.is_empty() {
                self.count_cut();
            }
            self.run = self.run.saturating_add(bytes.len());
            self.dropped_bytes += bytes.len() as u64;
            return 0;
        }
        let room = MAX_XML_RUN - self.run;
        if bytes.len() <= room {
            out.extend_from_slice(bytes);
            self.run += bytes.len();
            return bytes.len();
        }
        let mut cut = room;
        while cut > 0 && bytes[cut] & 0xC0 == 0x80 {
            cut -= 1;
        }
        let window = cut.saturating_sub(16);
        if let Some(amp) = bytes[window..cut].iter().rposition(|&b| b == b'&')
            && !bytes[window + amp..cut].contains(&b';')
        {
            cut = window + amp;
        }
        out.extend_from_slice(&bytes[..cut]);
        self.dropped_bytes += (bytes.len() - cut) as u64;
        self.count_cut();
        self.run = MAX_XML_RUN.saturating_add(bytes.len() - room);
        cut
    }

    /// Tag bytes outside attribute values.
    fn tag_bytes(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        self.remember(bytes);
        if !self.dropping_tag && self.tag + bytes.len() > MAX_XML_TAG {
            self.dropping_tag = true;
            self.cut_runs += 1;
        }
        if self.dropping_tag {
            self.dropped_bytes += bytes.len() as u64;
        } else {
            out.extend_from_slice(bytes);
            self.tag += bytes.len();
        }
    }

    /// Lexes `source`, appending what is passed on to `out`; returns the bytes consumed.
    fn process(&mut self, source: &[u8], out: &mut Vec<u8>) -> usize {
        let mut i = 0;
        while i < source.len() {
            let rest = &source[i..];
            match self.state {
                Lex::Text => {
                    let (len, found) = match memchr::memchr(b'<', rest) {
                        Some(at) => (at, true),
                        None => (rest.len(), false),
                    };
                    self.run_bytes(&rest[..len], out);
                    i += len;
                    if found {
                        out.push(b'<');
                        self.remember(b"<");
                        i += 1;
                        self.state = Lex::Open;
                        self.opened_len = 0;
                        self.tag = 1;
                        self.dropping_tag = false;
                    }
                }
                Lex::Open => {
                    let byte = rest[0];
                    self.opened[self.opened_len] = byte;
                    self.opened_len += 1;
                    let seen = self.opened;
                    let seen = &seen[..self.opened_len];
                    let (comment, cdata) = (&b"!--"[..], &b"![CDATA["[..]);
                    if seen == comment || seen == cdata {
                        out.push(byte);
                        self.remember(&[byte]);
                        i += 1;
                        self.state = if seen == comment {
                            Lex::Comment
                        } else {
                            Lex::CData
                        };
                        self.start_run();
                        self.last = [0, 0];
                    } else if comment.starts_with(seen) || cdata.starts_with(seen) {
                        out.push(byte);
                        self.remember(&[byte]);
                        self.tag += 1;
                        i += 1;
                    } else {
                        // An ordinary tag: this byte is lexed as part of it.
                        self.state = Lex::Tag;
                    }
                }
                Lex::Tag => match memchr::memchr3(b'"', b'\'', b'>', rest) {
                    Some(at) => {
                        self.tag_bytes(&rest[..at], out);
                        let byte = rest[at];
                        i += at + 1;
                        if byte == b'>' {
                            if self.dropping_tag && self.last[1] == b'/' {
                                out.push(b'/');
                            }
                            out.push(b'>');
                            self.remember(b">");
                            self.state = Lex::Text;
                            self.start_run();
                        } else {
                            if !self.dropping_tag {
                                out.push(byte);
                                self.tag += 1;
                            }
                            self.remember(&[byte]);
                            self.state = Lex::Value(byte);
                            self.start_run();
                        }
                    }
                    None => {
                        self.tag_bytes(rest, out);
                        i = source.len();
                    }
                },
                Lex::Value(quote) => {
                    let (len, found) = match memchr::memchr(quote, rest) {
                        Some(at) => (at, true),
                        None => (rest.len(), false),
                    };
                    if self.dropping_tag {
                        self.remember(&rest[..len]);
                        self.dropped_bytes += len as u64;
                    } else {
                        self.tag += self.run_bytes(&rest[..len], out);
                    }
                    i += len;
                    if found {
                        if !self.dropping_tag {
                            out.push(quote);
                            self.tag += 1;
                        }
                        self.remember(&[quote]);
                        i += 1;
                        self.state = Lex::Tag;
                    }
                }
                Lex::Comment | Lex::CData => {
                    let end: &[u8; 2] = if self.state == Lex::Comment {
                        b"--"
                    } else {
                        b"]]"
                    };
                    match memchr::memchr(b'>', rest) {
                        Some(at) => {
                            let cut_before = self.run >= MAX_XML_RUN;
                            self.run_bytes(&rest[..at], out);
                            i += at + 1;
                            if self.last == *end {
                                if cut_before || self.run > MAX_XML_RUN {
                                    out.extend_from_slice(end);
                                }
                                out.push(b'>');
                                self.state = Lex::Text;
                                self.start_run();
                            } else {
                                // A `>` inside the comment or section.
                                self.run_bytes(b">", out);
                            }
                            self.remember(b">");
                        }
                        None => {
                            self.run_bytes(rest, out);
                            i = source.len();
                        }
                    }
                }
            }
        }
        i
    }
}

/// The input of every XML parser: passes the XML on, dropping what is past the bounds of
/// [`MAX_XML_RUN`] and [`MAX_XML_TAG`] (see the module docs). Byte offsets after a cut are
/// offsets in what was passed on.
#[derive(Debug)]
pub struct Clamp<R> {
    inner: R,
    lexer: Lexer,
    out: Vec<u8>,
    position: usize,
}

impl<R: BufRead> Clamp<R> {
    pub fn new(inner: R) -> Clamp<R> {
        Clamp {
            inner,
            lexer: Lexer {
                state: Lex::Text,
                opened: [0; 8],
                opened_len: 0,
                run: 0,
                tag: 0,
                dropping_tag: false,
                last: [0, 0],
                dropped_bytes: 0,
                cut_runs: 0,
                run_cut: false,
            },
            out: Vec::with_capacity(CLAMP_CHUNK + 64),
            position: 0,
        }
    }

    /// How many runs or tags were cut, and how many bytes were dropped.
    pub fn cut(&self) -> (u64, u64) {
        (self.lexer.cut_runs, self.lexer.dropped_bytes)
    }
}

impl<R: BufRead> BufRead for Clamp<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.position >= self.out.len() {
            self.out.clear();
            self.position = 0;
            loop {
                let source = self.inner.fill_buf()?;
                if source.is_empty() {
                    break;
                }
                let take = source.len().min(CLAMP_CHUNK);
                let consumed = self.lexer.process(&source[..take], &mut self.out);
                self.inner.consume(consumed);
                if !self.out.is_empty() {
                    break;
                }
            }
        }
        Ok(&self.out[self.position..])
    }

    fn consume(&mut self, amount: usize) {
        self.position = (self.position + amount).min(self.out.len());
    }
}

impl<R: BufRead> std::io::Read for Clamp<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
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

    fn clamp(input: &[u8]) -> (Vec<u8>, (u64, u64)) {
        use std::io::Read as _;
        let mut clamp = Clamp::new(std::io::BufReader::with_capacity(1000, input));
        let mut out = Vec::new();
        clamp.read_to_end(&mut out).unwrap();
        (out, clamp.cut())
    }

    #[test]
    fn clamp_passes_ordinary_xml_unchanged() {
        let xml = b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><a x='1>2' y=\"&amp;\"><!-- c > d --><![CDATA[ <e> ]] > ]]>text &lt;<b/></a>";
        assert_eq!(clamp(xml), (xml.to_vec(), (0, 0)));
    }

    #[test]
    fn clamp_cuts_runs_and_tags_at_safe_places() {
        let run = MAX_XML_RUN;
        // Text: cut before an entity that straddles the limit, and on a char boundary.
        let mut xml = b"<a>".to_vec();
        xml.extend(std::iter::repeat_n(b'x', run - 2));
        xml.extend_from_slice("&amp;é tail</a>".as_bytes());
        let (out, (cuts, dropped)) = clamp(&xml);
        assert_eq!(cuts, 1);
        assert!(
            out.ends_with(b"xx</a>"),
            "{:?}",
            String::from_utf8_lossy(&out[out.len() - 20..])
        );
        assert_eq!(out.len() as u64 + dropped, xml.len() as u64);
        // A long attribute keeps its closing quote; a long tag keeps `/>`.
        let mut xml = b"<a v=\"".to_vec();
        xml.extend(
            std::iter::repeat_n(0xC3, 1)
                .chain(std::iter::repeat_n(0xA9, 1))
                .cycle()
                .take(run + 1),
        );
        xml.extend_from_slice(b"\"");
        xml.extend(b" k=\"0123456789\"".repeat(MAX_XML_TAG / 10));
        xml.extend_from_slice(b"/><!--");
        xml.extend(std::iter::repeat_n(b'-', 0).chain(std::iter::repeat_n(b'c', 2 * run)));
        xml.extend_from_slice(b"--><![CDATA[");
        xml.extend(std::iter::repeat_n(b'd', 2 * run));
        xml.extend_from_slice(b"]]>");
        let (out, (cuts, _)) = clamp(&xml);
        assert_eq!(cuts, 4);
        assert!(out.len() < MAX_XML_TAG + 3 * run, "{}", out.len());
        let text = String::from_utf8(out).expect("cut on char boundaries");
        assert!(
            text.contains("\" k=\"0123456789\""),
            "attributes kept up to the bound"
        );
        assert!(text.contains("/><!--ccc"), "empty element kept");
        assert!(text.contains("c--><![CDATA[d"), "comment closed");
        assert!(text.ends_with("d]]>"), "section closed");
    }

    #[test]
    fn decode_unescapes_only_what_xml_predefines() {
        assert!(matches!(decode(b"plain"), Cow::Borrowed("plain")));
        assert_eq!(decode(b"a &amp; &lt;b&gt; &#65;"), "a & <b> A");
        // An entity a DTD would define stays literal, never expanded.
        assert_eq!(decode(b"x &xxe; y"), "x &xxe; y");
        assert_eq!(decode(b"bad \xff utf8"), "bad \u{fffd} utf8");
    }
}
