//! Fuzzes `gonogo audit` on arbitrary report text: never a panic, every finding on a line of
//! the input, the summary adds up, and the renderers keep the hostile text inert (no escape
//! character reaches the terminal, no tag reaches the HTML page).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let audit = gonogo_audit::audit(&text);
    let lines = text.lines().count().max(1) + 1;
    for f in &audit.findings {
        assert!(f.line >= 1 && f.line <= lines, "finding on line {} of {lines}", f.line);
    }
    let s = &audit.summary;
    assert_eq!(
        s.claims,
        s.contradicted + s.unsupported + s.inconclusive + s.stale + s.supported + s.consistent + s.unchecked
    );
    assert_eq!(audit.passed(), s.contradicted == 0 && s.unsupported == 0);
    let terminal = gonogo_audit::render::terminal(&audit, "fuzz.md");
    assert!(!terminal.contains('\u{1b}') && !terminal.contains('\u{9b}'));
    let html = gonogo_audit::render::html(&audit, "fuzz.md");
    let body = html.split("</style>").nth(1).unwrap_or("");
    for tag in body.match_indices('<') {
        let rest = &body[tag.0 + 1..];
        assert!(
            ["/", "h1", "p>", "table", "tr", "td", "th", "body"].iter().any(|t| rest.starts_with(t)),
            "a tag from the input reached the page: {}",
            &rest[..rest.len().min(20)]
        );
    }
});
