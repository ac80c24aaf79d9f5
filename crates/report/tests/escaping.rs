//! Escaping holds for any text: a gate named with arbitrary Unicode (quotes, `<`, `&`, `|`,
//! control characters, newlines) still yields well-formed JUnit XML whose name reads back, HTML
//! in which the name is text, and a Markdown table row that stays one row.

mod common;

use gonogo_report::EvidenceMap;

use gonogo_report::i18n::Lang;
use gonogo_report::{html, markdown};
use proptest::prelude::*;

/// The name as XML 1.0 can carry it (what the JUnit writer promises).
fn xml_clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            _ => c,
        })
        .collect()
}

fn with_name(name: &str, why: &str) -> gonogo_report::json::VerdictV1 {
    let (mut doc, _) = common::fixture();
    let old = doc.gates[0].name.clone();
    doc.gates[0].name = name.to_owned();
    doc.gates[0].why = why.to_owned();
    for list in [&mut doc.blockers, &mut doc.warnings] {
        for entry in list.iter_mut() {
            if *entry == old {
                *entry = name.to_owned();
            }
        }
    }
    doc
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn junit_stays_well_formed(name in "\\PC*|[<>&\"'\\x00-\\x1f\\n\\r]{0,12}", why in "\\PC{0,40}") {
        let doc = with_name(&name, &why);
        let text = common::junit(&doc, Lang::En);
        let mut reader = quick_xml::Reader::from_str(&text);
        reader.config_mut().check_end_names = true;
        let mut first_case = None;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(quick_xml::events::Event::Start(e)) if e.name().as_ref() == b"testcase" && first_case.is_none() => {
                    first_case = Some(
                        e.try_get_attribute("name").unwrap().unwrap().unescape_value().unwrap().into_owned(),
                    );
                }
                Ok(_) => {}
                Err(error) => prop_assert!(false, "not well-formed: {error}\n{text}"),
            }
        }
        // Attribute values are written on one line, as XML parsers would normalise them.
        let expected: String = xml_clean(&name).replace(['\n', '\r', '\t'], " ");
        let got = first_case.unwrap();
        prop_assert!(got == expected || got == xml_clean(&name), "{got:?} vs {expected:?}");
    }

    #[test]
    fn html_shows_names_as_text(name in "\\PC*") {
        let doc = with_name(&name, "why");
        let (_, evidence) = common::fixture();
        let page = common::html(&doc, &evidence, Lang::En);
        prop_assert!(page.contains(&html::escape_html(&name)));
        let escaped = html::escape_html(&name);
        prop_assert!(!escaped.contains('<') && !escaped.contains('>') && !escaped.contains('"'));
        prop_assert_eq!(page.matches("<script").count(), 1);
    }

    #[test]
    fn markdown_rows_stay_rows(name in "\\PC*|[|<>\\n`*_]{0,12}") {
        let doc = with_name(&name, "why\nwith a newline | and a pipe");
        let text = common::md(&doc, &EvidenceMap::new(), Lang::En);
        let escaped = markdown::escape(&name);
        prop_assert!(!escaped.contains('\n'));
        prop_assert!(!escaped.contains('<'));
        // Every unescaped pipe is a cell border: the escaped name has none.
        let bare_pipes = escaped.match_indices('|').filter(|(i, _)| !escaped[..*i].ends_with('\\')).count();
        prop_assert_eq!(bare_pipes, 0);
        // Each gate table row has exactly the table's number of cells.
        for line in text.lines().filter(|l| l.starts_with("| **")) {
            let cells = line.match_indices('|').filter(|(i, _)| !line[..*i].ends_with('\\')).count();
            prop_assert!(cells == 8 || cells == 9, "{line}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// A trend's gate name and run ids come from the history (any text a policy or an import
    /// put there): the chart shows them as text, one dot per earlier run plus this one, and
    /// nothing of them reaches the page as markup.
    #[test]
    fn trend_charts_show_history_text_as_text(
        name in "\\PC{1,24}|[<>&\"'\\n]{1,12}",
        run in "[<>&\"'a-f0-9 ]{1,20}",
        points in proptest::collection::vec((0.0f64..2.0, any::<bool>()), 1..8),
    ) {
        let mut doc = with_name(&name, "why");
        doc.gates[0].measured.get_or_insert_with(|| gonogo_report::json::MeasuredV1 {
            point: 0.2,
            lower: None,
            upper: Some(0.25),
            n: Some(100),
            k: None,
            unit: "s".into(),
            display: "200 ms".into(),
            interval_display: None,
            pair: None,
        });
        doc.trends = vec![gonogo_report::json::TrendV1 {
            gate: name.clone(),
            points: points
                .iter()
                .map(|&(point, go)| gonogo_report::json::TrendPointV1 {
                    run: run.clone(),
                    evaluated_at: "2026-12-01T00:00:00Z".into(),
                    decision: if go { "GO" } else { "NO-GO" }.into(),
                    status: "pass".into(),
                    point: Some(point),
                    lower: Some(point * 0.9),
                    upper: None,
                    n: Some(10),
                    judged_in_past: false,
                })
                .collect(),
        }];
        let (_, evidence) = common::fixture();
        let page = common::html(&doc, &evidence, Lang::En);
        let start = page.find("<figure class=\"trend\">").expect("a trend chart");
        let figure = &page[start..start + page[start..].find("</figure>").unwrap()];
        let dots = figure.matches("<circle").count();
        prop_assert_eq!(dots, points.len() + 1, "one per earlier run, and this run");
        let bad = points.iter().filter(|(_, go)| !go).count();
        prop_assert_eq!(figure.matches("class=\"c-bad-fill\" cx").count(), bad);
        prop_assert!(figure.contains(&html::escape_html(&name)));
        // The hostile run id never appears raw: as text only.
        let shown = &run[..run.len().min(8)];
        let escaped_run = html::escape_html(shown);
        let expected_title = format!("<title>{escaped_run} · ");
        prop_assert!(figure.contains(&expected_title));
        if shown.contains(['<', '>', '&', '"']) {
            let raw_title = format!("<title>{shown} · ");
            prop_assert!(!figure.contains(&raw_title));
        }
        prop_assert_eq!(page.matches("<script").count(), 1);
    }
}
