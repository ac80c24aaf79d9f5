//! The report is hostile input: no panic and no unbounded output on any text, findings only on
//! lines of the input, and pathological shapes audited in bounded time.

use std::time::Instant;

use gonogo_audit::{audit, render};
use proptest::prelude::*;

fn check(text: &str) {
    let a = audit(text);
    let lines = text.lines().count().max(1) + 1;
    for f in &a.findings {
        assert!(f.line >= 1 && f.line <= lines, "line {} of {lines}", f.line);
    }
    let s = &a.summary;
    assert_eq!(
        s.claims,
        s.contradicted
            + s.unsupported
            + s.inconclusive
            + s.stale
            + s.supported
            + s.consistent
            + s.unchecked
    );
    let terminal = render::terminal(&a, "r.md");
    assert!(!terminal.contains('\u{1b}'));
    let _ = render::markdown(&a, "r.md");
    let _ = render::html(&a, "r.md");
    let _ = render::json(&a);
}

/// Pieces the rules react to, for random reports that reach deep into them.
const PIECES: &[&str] = &[
    "✅",
    "⚠️",
    "❌ 禁止",
    "🟡",
    "📌",
    "- [x] ",
    "- [ ] ",
    "# ",
    "## 下一步\n",
    "| a | b |\n|---|---|\n| ",
    " | ",
    "\n",
    "```\n",
    "```yaml\n",
    "84.62%",
    "100%成功",
    "P99 ",
    "~3-4 条数据",
    "(目标<500ms)",
    "1200ms",
    "72/100 → 95/100 (+32%)",
    "├─ x: 20/30 (67%)",
    "└─ y: 12/20 (60%) ↑ +58%",
    "15项 (7个 + 8个)",
    "(7个)",
    "3 个关键提交",
    "4个关键提交",
    "生产就绪",
    "ready for production",
    "覆盖率: ",
    "GDPR",
    "10 of 20 runs",
    "145秒 (180秒目标，提前19%)",
    "9.5/10",
    "A+ grade",
    "\u{202e}",
    "\u{1b}[2J",
    "::error::",
    "1.2.3.4",
    "2025-11-02",
    "99999999999999999999",
    "0.000000000001%",
    "-",
    "+",
    "/",
    "(",
    ")",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_is_audited_without_panic(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn any_report_made_of_rule_pieces_is_audited(pieces in proptest::collection::vec(0..PIECES.len(), 0..80)) {
        let text: String = pieces.iter().map(|&i| PIECES[i]).collect();
        check(&text);
    }
}

#[test]
fn pathological_shapes_are_bounded() {
    let cases = [
        "> ".repeat(50_000),
        "- ".repeat(50_000),
        "[".repeat(100_000),
        "`".repeat(100_000),
        "|".repeat(100_000),
        "1".repeat(200_000),
        "1/".repeat(100_000),
        "✅ 1% ".repeat(30_000),
        format!("# t\n{}", "- ✅ GDPR 100%成功\n".repeat(20_000)),
    ];
    for text in cases {
        let start = Instant::now();
        check(&text);
        // Generous (debug build, loaded machine): a quadratic rule would take minutes here.
        assert!(
            start.elapsed().as_secs() < 60,
            "{} bytes took {:?}",
            text.len(),
            start.elapsed()
        );
    }
}
