//! The audit printed: terminal (every quote through `core::text::inert`), Markdown for a pull
//! request comment (quotes escaped), one simple HTML page (escaped), JSON.

use std::fmt::Write as _;

use gonogo_core::text::inert;

use crate::{Audit, Class, short};

fn class_name(class: Class) -> &'static str {
    match class {
        Class::Contradicted => "contradicted",
        Class::Unsupported => "unsupported",
        Class::Note => "note",
    }
}

fn summary_line(audit: &Audit) -> String {
    let s = &audit.summary;
    let mut line = format!(
        "{} claims: {} contradicted, {} unsupported, {} consistent, {} unchecked",
        s.claims, s.contradicted, s.unsupported, s.consistent, s.unchecked
    );
    if s.supported + s.inconclusive + s.stale > 0 {
        let _ = write!(
            line,
            "; against evidence {} supported, {} inconclusive, {} stale",
            s.supported, s.inconclusive, s.stale
        );
    }
    if s.dropped > 0 {
        let _ = write!(line, "; {} more not kept", s.dropped);
    }
    line
}

/// Plain text for a terminal or a CI log; `name` is the report's file name.
pub fn terminal(audit: &Audit, name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "audit of {}", inert(name));
    for f in &audit.findings {
        let _ = writeln!(
            out,
            "  line {:>5}  {:<12} {:<22} \"{}\"\n               {}",
            f.line,
            class_name(f.class),
            f.rule,
            inert(&short(&f.quote)),
            inert(&f.message)
        );
    }
    let _ = writeln!(out, "{}", summary_line(audit));
    let verdict = if audit.passed() { "PASS" } else { "FAIL" };
    let _ = writeln!(out, "{verdict}: {}", inert(&audit.conclusion));
    out
}

/// Text made safe inside Markdown: no markup, no HTML, no links, no mentions.
pub fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '~' | '>' | '<' | '@' | '&' | ':' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Markdown for a pull-request comment.
pub fn markdown(audit: &Audit, name: &str) -> String {
    let mut out = String::new();
    let verdict = if audit.passed() { "PASS" } else { "FAIL" };
    let _ = writeln!(out, "## gonogo audit of {}: {verdict}\n", md_escape(name));
    let _ = writeln!(out, "{}\n", md_escape(&audit.conclusion));
    let _ = writeln!(out, "{}\n", md_escape(&summary_line(audit)));
    if !audit.findings.is_empty() {
        out.push_str("| line | status | rule | quote | why |\n|---:|---|---|---|---|\n");
        for f in &audit.findings {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.line,
                class_name(f.class),
                md_escape(f.rule),
                md_escape(&short(&f.quote)),
                md_escape(&f.message)
            );
        }
    }
    out
}

pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// One self-contained HTML page; its CSP forbids every request.
pub fn html(audit: &Audit, name: &str) -> String {
    let mut out = String::new();
    let verdict = if audit.passed() { "PASS" } else { "FAIL" };
    let _ = write!(
        out,
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>gonogo audit: {}</title>\
<style>body{{font-family:sans-serif;margin:2em}}td,th{{border-bottom:1px solid #ccc;padding:.3em;text-align:left;vertical-align:top}}.contradicted{{color:#a00}}.unsupported{{color:#a60}}</style>\
</head><body>\n<h1>gonogo audit of {}: {verdict}</h1>\n<p>{}</p>\n<p>{}</p>\n",
        html_escape(name),
        html_escape(name),
        html_escape(&audit.conclusion),
        html_escape(&summary_line(audit))
    );
    out.push_str(
        "<table><tr><th>line</th><th>status</th><th>rule</th><th>quote</th><th>why</th></tr>\n",
    );
    for f in &audit.findings {
        let class = class_name(f.class);
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td>{}</td><td>{class}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.line,
            html_escape(f.rule),
            html_escape(&short(&f.quote)),
            html_escape(&f.message)
        );
    }
    out.push_str("</table>\n</body></html>\n");
    out
}

/// The audit as JSON (version 1).
pub fn json(audit: &Audit) -> String {
    serde_json::to_string_pretty(audit).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_quotes_are_inert_and_escaped() {
        let report =
            "- ✅ GDPR \u{1b}]0;x\u{7} <script>alert(1)</script> [a](http://x) @team 覆盖率 84%\n";
        let audit = crate::audit(report);
        assert!(!audit.findings.is_empty());
        let text = terminal(&audit, "r.md");
        assert!(!text.contains('\u{1b}') && text.contains("\\x1b"));
        let md = markdown(&audit, "r.md");
        assert!(!md.contains("<script>") && !md.contains("](") && !md.contains("@team"));
        let page = html(&audit, "r.md");
        assert!(!page.contains("<script>") && page.contains("&lt;script&gt;"));
    }
}
