//! Why an input could not become evidence.
//!
//! Parsers see only a byte stream and report a [`ParseError`] with a byte offset (XML) or a
//! line and column (JSON). The collection layer ([`crate::collect_path`]) knows the file, so it
//! turns that into an [`IngestError`] carrying the path, the 1-based line and column and a short
//! excerpt of the offending text, found by re-reading the file up to the offset (cheap, and only
//! on failure, so the happy path stays a single streaming pass).
//!
//! Each variant has a stable [`IngestError::code`] that scripts and reports can key on.

use std::io;

/// What a parser reports, before the file name is known.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The bytes are not well-formed XML/JSON, or not the structure the format requires.
    #[error("{message}")]
    Malformed {
        /// Where the problem was found.
        at: Position,
        message: String,
    },
    /// The input is a different format ("Cobertura XML" when JUnit was asked for).
    #[error("this is {found}, not {expected}")]
    WrongKind {
        expected: &'static str,
        found: String,
    },
    /// The input is well-formed but proves nothing (empty, zero tests, an audit that did not run).
    #[error("{0}")]
    NoEvidence(String),
}

/// A place in an input: a byte offset (XML, line-based formats) or a line and column (JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Offset(u64),
    LineColumn { line: u64, column: u64 },
}

impl ParseError {
    pub fn malformed_at(offset: u64, message: impl Into<String>) -> ParseError {
        ParseError::Malformed {
            at: Position::Offset(offset),
            message: message.into(),
        }
    }

    /// The XML ended while `element` (as the message should name it) was still open.
    pub(crate) fn truncated_inside(offset: u64, element: &str) -> ParseError {
        ParseError::malformed_at(
            offset,
            format!("the file ends inside {element}: it is truncated"),
        )
    }

    /// Text where the root element of `expected` should be.
    pub(crate) fn text_before_root(expected: &'static str) -> ParseError {
        ParseError::WrongKind {
            expected,
            found: "text, not XML".into(),
        }
    }

    /// An XML input with no element at all.
    pub(crate) fn no_xml_element() -> ParseError {
        ParseError::NoEvidence("the file is empty (no XML element)".into())
    }

    pub fn malformed_line(line: u64, column: u64, message: impl Into<String>) -> ParseError {
        ParseError::Malformed {
            at: Position::LineColumn { line, column },
            message: message.into(),
        }
    }

    /// A serde_json error: I/O stays I/O, the rest keeps serde_json's line and column.
    pub fn from_json(error: serde_json::Error) -> ParseError {
        if error.is_io() {
            return ParseError::Io(io::Error::other(error.to_string()));
        }
        let message = strip_json_position(&error.to_string());
        ParseError::malformed_line(error.line() as u64, error.column() as u64, message)
    }
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_json_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

/// Why an input could not become evidence, with the file it came from.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}:{line}:{column}: malformed {format}: {message}\n  near: {excerpt}")]
    Malformed {
        path: String,
        format: &'static str,
        line: u64,
        column: u64,
        /// Byte offset when known (single-line files such as JaCoCo's make line numbers useless).
        byte_offset: Option<u64>,
        message: String,
        excerpt: String,
    },
    #[error("{path}: this is {found}, not {expected}\n  hint: {hint}")]
    WrongKind {
        path: String,
        expected: &'static str,
        found: String,
        hint: String,
    },
    #[error("{path}: no evidence: {reason}")]
    NoEvidence { path: String, reason: String },
    #[error("{path}: the format could not be recognised from its content ({looks_like})")]
    Unrecognised { path: String, looks_like: String },
    #[error("{pattern}: no input file matched")]
    NoInput { pattern: String },
    #[error("{pattern}: bad glob pattern: {message}")]
    BadPattern { pattern: String, message: String },
}

impl IngestError {
    /// A stable code per class of error.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Io { .. } => "io",
            IngestError::Malformed { .. } => "malformed",
            IngestError::WrongKind { .. } => "wrong-kind",
            IngestError::NoEvidence { .. } => "no-evidence",
            IngestError::Unrecognised { .. } => "unrecognised",
            IngestError::NoInput { .. } => "no-input",
            IngestError::BadPattern { .. } => "bad-pattern",
        }
    }

    /// The input the error is about.
    pub fn path(&self) -> &str {
        match self {
            IngestError::Io { path, .. }
            | IngestError::Malformed { path, .. }
            | IngestError::WrongKind { path, .. }
            | IngestError::NoEvidence { path, .. }
            | IngestError::Unrecognised { path, .. } => path,
            IngestError::NoInput { pattern } | IngestError::BadPattern { pattern, .. } => pattern,
        }
    }
}
