//! Untrusted text made inert for a console or a CI log.
//!
//! Bodies of probed servers, `/metrics` names, log lines, test names from JUnit, tool names
//! from SARIF, evidence file names, gate names from a policy: all of it may come from someone
//! who would like to steer the terminal or the CI runner that shows it. [`inert`] is the one
//! function every printer passes such text through. It keeps the text readable and shows
//! every neutralised character as a visible escape; nothing is removed silently:
//!
//! - every control character except `\n` and `\t` (C0, DEL and C1: ESC, BEL, backspace, `\r`,
//!   form feed, CSI `\u{9b}`...) becomes `\x1b`-style text (`\u{9b}` for C1), so no terminal
//!   escape (CSI, OSC, DCS, clear screen, hyperlinks, title changes) and no bell can start;
//! - Unicode bidi controls (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C) and the
//!   line and paragraph separators U+2028, U+2029 become `\u{202e}`-style text, so text cannot
//!   display reordered or on a fake new line;
//! - GitHub Actions workflow commands cannot start: `::` at the start of a line (the runner
//!   trims leading whitespace, so after any whitespace too) has its first colon shown as
//!   `\x3a`. The start of the text counts as a line start, because a caller may print it at
//!   the start of a line. Azure-style `##[` and `##vso[` (the runners look for them anywhere
//!   in a line) have their first `#` shown as `\x23`.
//!
//! A literal backslash is kept as it is, so `\x1b` in the output may have been a literal
//! `\x1b` in the input: the escapes are for reading, not for decoding.
//!
//! ```
//! use gonogo_core::text::inert;
//! assert_eq!(inert("::add-mask::x\n  ::error::y"), "\\x3a:add-mask::x\n  \\x3a:error::y");
//! assert_eq!(inert("\u{1b}]0;pwned\u{7}"), "\\x1b]0;pwned\\x07");
//! assert_eq!(inert("##vso[task.setvariable]x"), "\\x23#vso[task.setvariable]x");
//! assert_eq!(inert("plain text: kept as is"), "plain text: kept as is");
//! ```

use std::borrow::Cow;
use std::fmt;

/// `text` with workflow commands, terminal escapes, control characters and bidi controls made
/// inert (see the module documentation). Borrows when there is nothing to change.
pub fn inert(text: &str) -> Cow<'_, str> {
    if is_inert(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut line_start = true;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        if line_start && c == ':' && (after.starts_with(':') || after.is_empty()) {
            out.push_str("\\x3a");
            line_start = false;
        } else if c == '#' && is_azure_command(after) {
            out.push_str("\\x23");
            line_start = false;
        } else if c == '\n' {
            out.push('\n');
            line_start = true;
        } else if needs_escape(c) {
            push_escape(&mut out, c);
            // A `\r` ends a line for some viewers: what follows is treated as a line start.
            line_start = c == '\r';
        } else {
            out.push(c);
            line_start = line_start && c.is_whitespace();
        }
        rest = after;
    }
    Cow::Owned(out)
}

/// [`inert`] as a `Display` value, for `format!` arguments: `format!("{}", Inert(name))`.
#[derive(Debug, Clone, Copy)]
pub struct Inert<'a>(pub &'a str);

impl fmt::Display for Inert<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad` keeps width and alignment (`{:<14}`) working.
        f.pad(&inert(self.0))
    }
}

/// Whether `c` is shown as an escape: controls other than `\n` and `\t`, bidi controls, and
/// the Unicode line and paragraph separators.
fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

fn push_escape(out: &mut String, c: char) {
    use fmt::Write as _;
    let code = u32::from(c);
    if code < 0x80 {
        let _ = write!(out, "\\x{code:02x}");
    } else {
        let _ = write!(out, "\\u{{{code:x}}}");
    }
}

/// After a `#`: `#[` or `#vso[` (ASCII case-insensitive) makes it an Azure-style command.
fn is_azure_command(after: &str) -> bool {
    let Some(tail) = after.strip_prefix('#') else {
        return false;
    };
    tail.starts_with('[')
        || tail
            .get(..4)
            .is_some_and(|head| head.eq_ignore_ascii_case("vso["))
}

/// The fast path: nothing in `text` needs changing.
fn is_inert(text: &str) -> bool {
    let mut line_start = true;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if needs_escape(c) {
            return false;
        }
        if c == '#' && is_azure_command(&text[i + 1..]) {
            return false;
        }
        if line_start && c == ':' && (bytes.get(i + 1) == Some(&b':') || i + 1 == text.len()) {
            return false;
        }
        line_start = c == '\n' || (line_start && c.is_whitespace());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(inert(input), expected, "input {input:?}");
        // Idempotent: inert text stays as it is.
        assert_eq!(inert(expected), expected, "second pass over {expected:?}");
    }

    #[test]
    fn workflow_commands_at_a_line_start_are_neutralised() {
        check("::error::pwned", "\\x3a:error::pwned");
        check("::add-mask::secret", "\\x3a:add-mask::secret");
        check("::stop-commands::tok", "\\x3a:stop-commands::tok");
        check("ok\n::error::x", "ok\n\\x3a:error::x");
        check("ok\r::error::x", "ok\\x0d\\x3a:error::x");
        check("  \t::warning::x", "  \t\\x3a:warning::x");
        check(
            "\u{a0}\u{3000}::warning::x",
            "\u{a0}\u{3000}\\x3a:warning::x",
        );
        // A lone trailing colon could meet a colon printed right after it.
        check(":", "\\x3a");
        // In the middle of a line `::` is harmless and kept.
        check("a::b and std::fmt", "a::b and std::fmt");
        check("x ::error::y", "x ::error::y");
    }

    #[test]
    fn azure_commands_are_neutralised_anywhere() {
        check("##[error]x", "\\x23#[error]x");
        check("text ##vso[task.complete]", "text \\x23#vso[task.complete]");
        check("##VSO[x]", "\\x23#VSO[x]");
        check("## heading and #[attr]", "## heading and #[attr]");
    }

    #[test]
    fn terminal_escapes_and_controls_are_shown_not_run() {
        check("\u{1b}[2J\u{1b}[H", "\\x1b[2J\\x1b[H");
        check(
            "\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\",
            "\\x1b]8;;http://x\\x1b\\link\\x1b]8;;\\x1b\\",
        );
        check(
            "bell\u{7} bs\u{8} ff\u{c} del\u{7f}",
            "bell\\x07 bs\\x08 ff\\x0c del\\x7f",
        );
        check("csi\u{9b}31m dcs\u{90}", "csi\\u{9b}31m dcs\\u{90}");
        check("tab\tand\nnewline kept", "tab\tand\nnewline kept");
    }

    #[test]
    fn bidi_controls_are_shown() {
        check("a\u{202e}gnp.exe", "a\\u{202e}gnp.exe");
        check("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}");
        check("line\u{2028}sep", "line\\u{2028}sep");
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(inert("p95 < 500ms · gate"), Cow::Borrowed(_)));
        assert!(matches!(inert("日本語 ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn display_wrapper_pads() {
        assert_eq!(format!("[{:<6}]", Inert("\u{7}")), "[\\x07  ]");
    }
}
