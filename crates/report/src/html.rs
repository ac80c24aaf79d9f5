//! One self-contained HTML page for a readiness review: a verdict banner, area cards, ranked
//! blockers, charts, and every gate with a drill-down (`<details>`) to its evidence and
//! provenance.
//!
//! Self-contained means: the CSS is inline, the charts are inline SVG drawn in Rust
//! ([`crate::charts`]), no font or image is fetched, and the page's Content-Security-Policy
//! (`default-src 'none'`, inline styles, `data:` images, one script allowed by its hash) forbids
//! any request. The one script opens every `<details>` before printing, so a printout shows
//! everything; without it the page still works.
//!
//! - Light and dark come from `prefers-color-scheme`; statuses are written as words, never
//!   colour alone.
//! - Keyboard: a skip link, real links and `<details>`/`<summary>` (focusable, Enter/Space).
//! - Thousands of gates: the gate sections use `content-visibility: auto`, so the browser lays
//!   out only what is on screen, and charts are drawn for the first [`MAX_CHARTED`] records.
//! - Every text from the verdict or evidence goes through [`escape_html`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use base64::Engine as _;
use gonogo_core::evidence::{Evidence, MetricValue};
use gonogo_core::expect::Aggregate;
use gonogo_core::policy::GateSeverity;
use gonogo_core::units::Dimension;
use gonogo_core::verdict::{
    AreaStatus, Decision, EvidenceRef, GateResult, GateStatus, Measured, Verdict,
};

use crate::RenderContext;
use crate::charts::{self, Marker, Outage, SeriesPoint};
use crate::common::{EvidenceMap, area_title, percent};
use crate::i18n::{Lang, Msg};
use crate::words;

/// Evidence records that get charts; the rest are listed without.
pub const MAX_CHARTED: usize = 40;

/// Escapes `& < > " '` so text shows as written in element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

use escape_html as esc;

const STYLE: &str = include_str!("report.css");

/// Opens every `<details>` before printing.
const PRINT_SCRIPT: &str = "addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true})});";

fn script_hash() -> String {
    let hex = gonogo_core::evidence::sha256_hex(PRINT_SCRIPT.as_bytes());
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("sha256_hex is hex"))
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The Content-Security-Policy of the page.
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{}'; base-uri 'none'; form-action 'none'",
        script_hash()
    )
}

/// The HTML report of a verdict; `evidence` holds the records the charts are drawn from.
pub fn render(verdict: &Verdict, cx: &RenderContext<'_>) -> String {
    let (evidence, lang) = (cx.evidence, cx.lang);
    let mut out = String::with_capacity(64 * 1024);
    let go = verdict.decision == Decision::Go;
    let decision = lang.text(if go {
        Msg::DecisionGo
    } else {
        Msg::DecisionNoGo
    });
    let policy_name = verdict.policy_name.clone().unwrap_or_default();
    let _ = write!(
        out,
        r##"<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<a class="skip" href="#blockers">{skip}</a>
"##,
        lang = lang.tag(),
        csp = content_security_policy(),
        title = esc(&lang.format(
            Msg::HtmlTitle,
            &[("decision", decision), ("policy", &policy_name)]
        )),
        skip = esc(lang.text(Msg::HtmlSkipToBlockers)),
    );

    banner(&mut out, verdict, lang, go, decision);
    out.push_str("<main>\n");
    if let Some(comparison) = cx.comparison {
        comparison_section(&mut out, comparison, lang);
    }
    waivers_section(&mut out, verdict, lang);
    areas(&mut out, verdict, lang);
    let charted = charted_records(verdict, evidence);
    ranked(
        &mut out,
        verdict,
        lang,
        &verdict.blockers,
        "blockers",
        Msg::SectionBlockers,
        Msg::NoBlockers,
        &charted,
    );
    if !verdict.warnings.is_empty() {
        ranked(
            &mut out,
            verdict,
            lang,
            &verdict.warnings,
            "warnings",
            Msg::SectionWarnings,
            Msg::NoWarnings,
            &charted,
        );
    }
    charts_section(&mut out, verdict, evidence, lang, &charted);
    gates_section(&mut out, verdict, cx, &charted);
    evidence_section(&mut out, verdict, lang);
    out.push_str("</main>\n");
    let _ = write!(
        out,
        "<footer><p>{}</p></footer>\n<script>{PRINT_SCRIPT}</script>\n</body>\n</html>\n",
        esc(&lang.format(
            Msg::HtmlFooter,
            &[("version", &crate::json::VERDICT_VERSION.to_string())]
        ))
    );
    out
}

fn banner(out: &mut String, verdict: &Verdict, lang: Lang, go: bool, decision: &str) {
    let headline = if go {
        lang.text(Msg::HeadlineGo).to_owned()
    } else {
        lang.format(
            Msg::HeadlineNoGo,
            &[("count", &verdict.blockers.len().to_string())],
        )
    };
    let _ = write!(
        out,
        r#"<header id="verdict" class="banner {class}" role="banner"><div class="decision">{decision}</div><div><p class="headline">{headline}</p><p class="meta">"#,
        class = if go { "go" } else { "nogo" },
        decision = esc(decision),
        headline = esc(&headline),
    );
    let mut items = Vec::new();
    if let Some(name) = &verdict.policy_name {
        items.push((lang.text(Msg::LabelPolicy), name.clone()));
    }
    if let Some(target) = &verdict.target {
        items.push((lang.text(Msg::LabelTarget), target.clone()));
    }
    if let Some(env) = &verdict.env {
        items.push((lang.text(Msg::LabelEnvironment), env.clone()));
    }
    items.push((
        lang.text(Msg::LabelEvaluatedAt),
        words::to_the_second(verdict.evaluated_at).to_string(),
    ));
    if let Some(seconds) = verdict
        .duration
        .map(|d| d.as_secs_f64())
        .filter(|s| s.is_finite() && *s >= 0.0)
    {
        items.push((
            lang.text(Msg::LabelDuration),
            gonogo_core::units::format_base(seconds, Dimension::Time),
        ));
    }
    if let Some(judged) = &verdict.context {
        if let Some(line) = words::commit_line(judged) {
            items.push((lang.text(Msg::LabelCommit), line));
        }
        if let Some(url) = &judged.ci_run_url {
            items.push((lang.text(Msg::LabelCiRun), url.clone()));
        }
    }
    items.push((lang.text(Msg::LabelConfidence), percent(verdict.confidence)));
    if let Some(baseline) = &verdict.baseline {
        items.push((lang.text(Msg::LabelBaseline), baseline.source.clone()));
    }
    let parts: Vec<String> = items
        .iter()
        .map(|(label, value)| {
            format!(
                "<span>{}</span>",
                esc(&lang.format(Msg::LabelValue, &[("label", label), ("value", value)]))
            )
        })
        .collect();
    out.push_str(&parts.join(" "));
    if let Some(note) = words::unassessed(lang, verdict) {
        let _ = write!(out, r#"</p><p class="meta">{}"#, esc(&note));
    }
    let _ = write!(
        out,
        r#"</p><p class="meta">{}</p>"#,
        esc(&words::counts(lang, verdict))
    );
    if let Some(unearned) = &verdict.unearned {
        let _ = write!(
            out,
            r#"<p class="meta"><b>{}</b></p>"#,
            esc(&unearned.to_string())
        );
    }
    if !verdict.missing_kinds.is_empty() {
        let _ = write!(
            out,
            r#"<p class="meta"><b>{}</b></p>"#,
            esc(&lang.format(
                Msg::MissingKinds,
                &[("kinds", &lang.list(&verdict.missing_kinds))]
            ))
        );
    }
    out.push_str("</div></header>\n");
}

fn areas(out: &mut String, verdict: &Verdict, lang: Lang) {
    let _ = write!(
        out,
        r#"<section aria-labelledby="areas-h"><h2 id="areas-h">{}</h2><ul class="cards">"#,
        esc(lang.text(Msg::SectionAreas))
    );
    let mut by_area: HashMap<&str, BTreeMap<GateStatus, usize>> = HashMap::new();
    for gate in &verdict.gates {
        *by_area
            .entry(gate.area.as_str())
            .or_default()
            .entry(gate.status)
            .or_default() += 1;
    }
    for area in &verdict.areas {
        let counts = by_area.get(area.name.as_str());
        let summary: Vec<String> = [
            GateStatus::Fail,
            GateStatus::Missing,
            GateStatus::Inconclusive,
            GateStatus::Waived,
            GateStatus::Pass,
        ]
        .iter()
        .filter_map(|s| {
            counts
                .and_then(|c| c.get(s))
                .map(|n| format!("{} {n}", words::status(lang, *s)))
        })
        .collect();
        let _ = write!(
            out,
            r##"<li class="card a-{status}"><a href="#area-{id}"><span class="pill a-{status}">{status_word}</span> <b>{title}</b><span class="sub">{count}</span><span class="sub">{summary}</span></a></li>"##,
            status = area.status.as_str(),
            id = anchor(&area.name),
            status_word = esc(words::area_status(lang, area.status)),
            title = esc(&area_title(lang, &area.name, &area.title)),
            count = esc(&lang.format(
                Msg::AreaGateCount,
                &[("count", &area.gates.len().to_string())]
            )),
            summary = esc(&summary.join(" · ")),
        );
    }
    out.push_str("</ul></section>\n");
}

#[allow(clippy::too_many_arguments)]
fn ranked(
    out: &mut String,
    verdict: &Verdict,
    lang: Lang,
    indices: &[usize],
    id: &str,
    title: Msg,
    empty: Msg,
    charted: &BTreeSet<usize>,
) {
    let _ = write!(
        out,
        r#"<section id="{id}" aria-labelledby="{id}-h"><h2 id="{id}-h">{}</h2>"#,
        esc(lang.text(title))
    );
    let gates: Vec<(usize, &GateResult)> = indices
        .iter()
        .filter_map(|&i| verdict.gates.get(i).map(|g| (i, g)))
        .collect();
    if gates.is_empty() {
        let _ = write!(out, r#"<p class="empty">{}</p>"#, esc(lang.text(empty)));
    } else {
        out.push_str(r#"<ol class="ranked">"#);
        for (i, gate) in gates {
            let _ = write!(
                out,
                r##"<li class="blocker s-{status}"><h3><a href="#gate-{i}">{name}</a> <span class="pill s-{status}">{status_word}</span> <span class="sub">{area} · <code>{expect}</code></span></h3>"##,
                status = gate.status.as_str(),
                name = esc(&gate.name),
                status_word = esc(words::status(lang, gate.status)),
                area = esc(&words::area_title_of(lang, verdict, &gate.area)),
                expect = esc(&gate.expect.to_string()),
            );
            figures(out, lang, gate);
            explanation(out, verdict, lang, gate, charted, false);
            out.push_str("</li>");
        }
        out.push_str("</ol>");
    }
    out.push_str("</section>\n");
}

/// Measured, interval, n, threshold as a small table.
fn figures(out: &mut String, lang: Lang, gate: &GateResult) {
    let _ = write!(
        out,
        r#"<table class="figures"><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>"#,
        esc(lang.text(Msg::ColumnMeasured)),
        esc(&lang.format(
            Msg::ColumnInterval,
            &[("confidence", &percent(gate.confidence))]
        )),
        esc(lang.text(Msg::ColumnN)),
        esc(lang.text(Msg::ColumnThreshold)),
        esc(&words::measured(lang, gate)),
        esc(&words::interval(lang, gate)),
        esc(&words::n(lang, gate)),
        esc(&words::threshold(lang, gate)),
    );
}

fn explanation(
    out: &mut String,
    verdict: &Verdict,
    lang: Lang,
    gate: &GateResult,
    charted: &BTreeSet<usize>,
    full: bool,
) {
    out.push_str(r#"<dl class="why">"#);
    if let Some(reason) = gate.reason.map(|r| words::reason(lang, r)) {
        dl_row(out, lang.text(Msg::LabelReason), &esc(reason));
    }
    dl_row(out, lang.text(Msg::LabelWhy), &esc(&words::why(gate, lang)));
    if let Some(settle) = &words::settle(gate, lang) {
        dl_row(out, lang.text(Msg::LabelSettle), &esc(settle));
    }
    for (label, rule) in &words::rule_lines(gate, lang) {
        dl_row(out, lang.text(*label), &esc(rule));
    }
    if let Some(waiver) = words::waiver(lang, gate) {
        dl_row(out, lang.text(Msg::StatusWaived), &esc(&waiver));
    }
    if let Some(description) = &gate.description {
        dl_row(out, lang.text(Msg::LabelDescription), &esc(description));
    }
    let citations: Vec<String> = gate
        .evidence
        .iter()
        .filter_map(|&id| verdict.evidence.get(id).map(|e| (id, e)))
        .map(|(id, e)| {
            let chart = if charted.contains(&id) {
                format!(
                    r##" <a href="#chart-ev-{}">↗ {}</a>"##,
                    id,
                    esc(lang.text(Msg::SectionCharts))
                )
            } else {
                String::new()
            };
            if full {
                // The drill-down: every provenance field, the full SHA-256 and the tool.
                format!(
                    r##"<a href="#ev-{id}">{kind}</a> {stype} <code>{source}</code> · sha256 <code class="sha">{sha}</code> · {time} · {tool}{chart}"##,
                    kind = esc(&e.kind),
                    stype = esc(e.source.type_name()),
                    source = esc(e.source.as_str()),
                    sha = esc(&e.sha256),
                    time = esc(&words::to_the_second(e.collected_at).to_string()),
                    tool = esc(&e.tool),
                )
            } else {
                format!(
                    r##"<a href="#ev-{}">{}</a>{chart}"##,
                    id,
                    esc(&words::citation(lang, e))
                )
            }
        })
        .collect();
    dl_row(
        out,
        lang.text(Msg::ColumnEvidence),
        &if citations.is_empty() {
            esc(lang.text(Msg::EvidenceNone))
        } else {
            citations.join("<br>")
        },
    );
    out.push_str("</dl>");
}

fn dl_row(out: &mut String, label: &str, html_value: &str) {
    let _ = write!(out, "<dt>{}</dt><dd>{html_value}</dd>", esc(label));
}

fn anchor(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Ids of cited records that will get charts (present in the map and with something to draw).
fn charted_records(verdict: &Verdict, evidence: &EvidenceMap) -> BTreeSet<usize> {
    verdict
        .evidence
        .iter()
        .enumerate()
        .filter(|(_, e)| evidence.get(&e.sha256).is_some_and(|r| has_chart(r)))
        .map(|(id, _)| id)
        .take(MAX_CHARTED)
        .collect()
}

/// Whether [`record_charts`] draws anything for the record (keep the two in step).
fn has_chart(record: &Evidence) -> bool {
    record.metrics.iter().any(|(name, m)| match &m.value {
        MetricValue::Distribution(h) => m.unit.dimension() == Dimension::Time && !h.is_empty(),
        MetricValue::Ratio(_) => ratio_charted(name),
        MetricValue::Value(_) => false,
    }) || tests_counts(record).is_some()
        || record.details.get("series").is_some_and(|s| s.is_array())
        || record.details.get("outages").is_some_and(|s| s.is_array())
}

/// Ratios drawn as a bar (coverage and the like); tests, load and probe ratios have their own
/// charts.
fn ratio_charted(name: &str) -> bool {
    !name.starts_with("tests.") && !name.starts_with("load.") && !name.starts_with("probe.")
}

/// Passed, failed, errored, skipped of a JUnit record (details first, then metrics).
fn tests_counts(record: &Evidence) -> Option<(u64, u64, u64, u64)> {
    if record.kind != "junit" && !record.metrics.contains_key("tests.failed") {
        return None;
    }
    let details = &record.details;
    let from_details = |key: &str| details.get(key).and_then(|v| v.as_u64());
    let from_metric = |key: &str| {
        record
            .metrics
            .get(key)
            .and_then(|m| m.value.as_ratio())
            .map(|r| r.k)
    };
    let passed = from_details("passed").or_else(|| from_metric("tests.passed"))?;
    let failed = from_details("failed").or_else(|| from_metric("tests.failed"))?;
    let errored = from_details("errored").unwrap_or(0);
    let skipped = from_details("skipped")
        .or_else(|| from_metric("tests.skipped"))
        .unwrap_or(0);
    Some((passed, failed, errored, skipped))
}

fn charts_section(
    out: &mut String,
    verdict: &Verdict,
    evidence: &EvidenceMap,
    lang: Lang,
    charted: &BTreeSet<usize>,
) {
    let _ = write!(
        out,
        r#"<section id="charts" aria-labelledby="charts-h"><h2 id="charts-h">{}</h2>"#,
        esc(lang.text(Msg::SectionCharts))
    );
    let with_charts = verdict
        .evidence
        .iter()
        .filter(|e| evidence.get(&e.sha256).is_some_and(|r| has_chart(r)))
        .count();
    if with_charts > charted.len() {
        let _ = write!(
            out,
            r#"<p class="note">{}</p>"#,
            esc(&lang.format(
                Msg::ChartTooMany,
                &[
                    ("shown", &charted.len().to_string()),
                    ("hidden", &(with_charts - charted.len()).to_string())
                ]
            ))
        );
    }
    let absent: Vec<&EvidenceRef> = verdict
        .evidence
        .iter()
        .filter(|e| !evidence.contains_key(&e.sha256))
        .collect();
    const MAX_ABSENT_LISTED: usize = 20;
    for e in absent.iter().take(MAX_ABSENT_LISTED) {
        let _ = write!(
            out,
            r#"<p class="note">{}</p>"#,
            esc(&lang.format(
                Msg::EvidenceNotFound,
                &[("sha", crate::common::sha_prefix(&e.sha256))]
            ))
        );
    }
    if absent.len() > MAX_ABSENT_LISTED {
        let _ = write!(
            out,
            r#"<p class="note">{}</p>"#,
            esc(&lang.format(
                Msg::EvidenceNotFoundMore,
                &[("count", &(absent.len() - MAX_ABSENT_LISTED).to_string())]
            ))
        );
    }
    let gates_by_evidence: HashMap<usize, Vec<&GateResult>> = {
        let mut map: HashMap<usize, Vec<&GateResult>> = HashMap::new();
        for gate in &verdict.gates {
            for &id in &gate.evidence {
                map.entry(id).or_default().push(gate);
            }
        }
        map
    };
    for (id, e) in verdict
        .evidence
        .iter()
        .enumerate()
        .filter(|(id, _)| charted.contains(id))
    {
        let Some(record) = evidence.get(&e.sha256) else {
            continue;
        };
        let gates = gates_by_evidence.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let _ = write!(
            out,
            r#"<article class="record" id="chart-ev-{}"><h3>{} <span class="sub">{}</span></h3><div class="figs">"#,
            id,
            esc(&e.kind),
            esc(&words::citation(lang, e))
        );
        record_charts(out, record, gates, lang);
        out.push_str("</div></article>");
    }
    out.push_str("</section>\n");
}

/// `p(99.9)` as 99.9 (`med` is drawn as its own gate's point, not a percentile marker).
fn percentile_of(aggregate: Aggregate) -> Option<f64> {
    match aggregate {
        Aggregate::Percentile(q) => Some(q),
        _ => None,
    }
}

/// The bounded ends of a measured interval (an unbounded end is `None`).
fn ends(measured: &Measured) -> (Option<f64>, Option<f64>) {
    let finite = |x: f64| x.is_finite().then_some(x);
    (
        measured.interval.and_then(|i| finite(i.lower)),
        measured.interval.and_then(|i| finite(i.upper)),
    )
}

fn marker_for(gate: &GateResult) -> Marker {
    let measured = gate.measured.as_ref();
    Marker {
        label: format!("{} {}", gate.expect.aggregate, gate.threshold_display),
        percentile: percentile_of(gate.expect.aggregate),
        threshold: gate.threshold,
        point: measured.map(|m| m.point),
        lower: measured.and_then(|m| {
            let (lower, upper) = ends(m);
            lower.or(upper.map(|_| m.point))
        }),
        upper: measured.and_then(|m| ends(m).1),
        bad: !matches!(gate.status, GateStatus::Pass | GateStatus::Waived),
    }
}

fn record_charts(out: &mut String, record: &Evidence, gates: &[&GateResult], lang: Lang) {
    let figure = |out: &mut String, caption: &str, svg: &str| {
        let _ = write!(
            out,
            "<figure>{svg}<figcaption>{}</figcaption></figure>",
            esc(caption)
        );
    };
    let wide_figure = |out: &mut String, caption: &str, svg: &str| {
        let _ = write!(
            out,
            r#"<figure class="wide">{svg}<figcaption>{}</figcaption></figure>"#,
            esc(caption)
        );
    };
    for (name, metric) in &record.metrics {
        match &metric.value {
            MetricValue::Distribution(distribution)
                if metric.unit.dimension() == Dimension::Time =>
            {
                if distribution.is_empty() {
                    continue;
                }
                let histogram = &*distribution.histogram();
                let markers: Vec<Marker> = gates
                    .iter()
                    .filter(|g| {
                        &g.metric == name
                            && g.measured
                                .as_ref()
                                .is_some_and(|m| m.dimension == Dimension::Time)
                    })
                    .map(|g| marker_for(g))
                    .collect();
                let step = metric.unit.to_base();
                let title = lang.format(Msg::ChartLatencyDistribution, &[("metric", name)]);
                let svg = charts::latency_distribution(
                    histogram,
                    step,
                    &markers,
                    &title,
                    lang.text(Msg::AxisLatency),
                    lang.text(Msg::AxisRequests),
                );
                figure(out, &title, &svg);
                let title = lang.format(Msg::ChartPercentiles, &[("metric", name)]);
                let svg = charts::percentile_curve(
                    histogram,
                    step,
                    &markers,
                    &title,
                    lang.text(Msg::AxisPercentile),
                    lang.text(Msg::AxisLatency),
                );
                figure(out, &title, &svg);
                if let Some(note) = &words::metric_note(metric, lang) {
                    let _ = write!(
                        out,
                        r#"<p class="note wide">{}</p>"#,
                        esc(&lang.labelled(Msg::LabelNote, note))
                    );
                }
            }
            MetricValue::Ratio(ratio) if ratio_charted(name) => {
                let gate = gates.iter().find(|g| &g.metric == name);
                let interval = gate
                    .and_then(|g| g.measured.as_ref())
                    .and_then(|m| match ends(m) {
                        (Some(lower), Some(upper)) => Some((lower, upper)),
                        _ => None,
                    });
                let title = lang.format(
                    Msg::ChartRatio,
                    &[
                        ("metric", name),
                        ("k", &ratio.k.to_string()),
                        ("n", &ratio.n.to_string()),
                    ],
                );
                let svg = charts::ratio_bar(
                    ratio.k,
                    ratio.n,
                    interval,
                    gate.and_then(|g| g.threshold),
                    &title,
                );
                wide_figure(out, &title, &svg);
            }
            _ => {}
        }
    }
    tests_chart(out, record, lang);
    if let Some(series) = record.details.get("series").and_then(|s| s.as_array()) {
        let points: Vec<SeriesPoint> = series
            .iter()
            .filter_map(|p| {
                Some(SeriesPoint {
                    second: p.get("second")?.as_f64()?,
                    completed: p.get("completed").and_then(|v| v.as_f64()).unwrap_or(0.0),
                    errors: p.get("errors").and_then(|v| v.as_f64()).unwrap_or(0.0),
                })
            })
            .collect();
        if !points.is_empty() {
            let name = record
                .details
                .get("name")
                .and_then(|n| n.as_str())
                .map(|n| format!("load.{n}"))
                .unwrap_or_else(|| record.source.as_str().to_owned());
            let title = lang.format(Msg::ChartThroughput, &[("metric", &name)]);
            let svg = charts::throughput_series(
                &points,
                &title,
                lang.text(Msg::AxisSeconds),
                lang.text(Msg::AxisRequestsPerSecond),
                lang.text(Msg::LegendCompleted),
            );
            figure(out, &title, &svg);
            // Errors on an axis of their own (issue 17: a 2 % error rate on the requests axis
            // is a flat line).
            let title = lang.format(Msg::ChartErrorShare, &[("metric", &name)]);
            if let Some(svg) = charts::error_share_series(
                &points,
                &title,
                lang.text(Msg::AxisSeconds),
                lang.text(Msg::AxisErrorShare),
                lang.text(Msg::LegendErrors),
            ) {
                figure(out, &title, &svg);
            }
        }
    }
    if let Some(outages) = record.details.get("outages").and_then(|s| s.as_array()) {
        availability(out, record, outages, lang);
    }
}

fn tests_chart(out: &mut String, record: &Evidence, lang: Lang) {
    let details = &record.details;
    let Some((passed, failed, errored, skipped)) = tests_counts(record) else {
        return;
    };
    let parts = [
        (
            "c-good-fill",
            lang.format(Msg::TestsPassed, &[("count", &passed.to_string())]),
            passed,
        ),
        (
            "c-bad-fill",
            lang.format(Msg::TestsFailed, &[("count", &failed.to_string())]),
            failed,
        ),
        (
            "c-warn-fill",
            lang.format(Msg::TestsErrored, &[("count", &errored.to_string())]),
            errored,
        ),
        (
            "c-track",
            lang.format(Msg::TestsSkipped, &[("count", &skipped.to_string())]),
            skipped,
        ),
    ];
    let title = lang.format(Msg::ChartTests, &[("source", record.source.as_str())]);
    let svg = charts::stacked_counts(&parts, &title);
    let _ = write!(
        out,
        r#"<figure class="wide">{svg}<figcaption>{}</figcaption></figure>"#,
        esc(&title)
    );
    if let Some(failing) = details
        .get("failing")
        .and_then(|f| f.as_array())
        .filter(|f| !f.is_empty())
    {
        let text = |v: &serde_json::Value, key: &str| {
            v.get(key).and_then(|x| x.as_str()).unwrap_or("").to_owned()
        };
        let _ = write!(
            out,
            r#"<div class="wide"><h4>{}</h4><table class="list"><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr>"#,
            esc(lang.text(Msg::TestsFailing)),
            esc(lang.text(Msg::ColumnTest)),
            esc(lang.text(Msg::ColumnLocation)),
            esc(lang.text(Msg::ColumnMessage)),
        );
        for test in failing {
            let mut location = text(test, "file");
            if let Some(line) = test.get("line").and_then(|l| l.as_u64()) {
                location.push_str(&format!(":{line}"));
            }
            let _ = write!(
                out,
                r#"<tr><td class="test-name"><code>{}</code><br><span class="sub">{}</span></td><td><code>{}</code></td><td><pre>{}</pre></td></tr>"#,
                esc(&text(test, "name")),
                esc(&text(test, "classname")),
                esc(&location),
                esc(&text(test, "message")),
            );
        }
        out.push_str("</table>");
        if let Some(more) = details
            .get("failing_not_listed")
            .and_then(|v| v.as_u64())
            .filter(|n| *n > 0)
        {
            let _ = write!(
                out,
                r#"<p class="note">{}</p>"#,
                esc(&lang.format(Msg::TestsNotListed, &[("count", &more.to_string())]))
            );
        }
        out.push_str("</div>");
    }
}

fn availability(out: &mut String, record: &Evidence, outages: &[serde_json::Value], lang: Lang) {
    let details = &record.details;
    let number = |v: &serde_json::Value, key: &str| v.get(key).and_then(|x| x.as_f64());
    let intervals: Vec<Outage> = outages
        .iter()
        .filter_map(|o| {
            Some(Outage {
                start: number(o, "start_offset_s")?,
                end: number(o, "end_offset_s")?,
            })
        })
        .collect();
    let attempts: Vec<(f64, bool)> = details
        .get("attempt_log")
        .and_then(|l| l.as_array())
        .map(|log| {
            log.iter()
                .filter_map(|a| {
                    Some((
                        number(a, "offset_ms")? / 1e3,
                        a.get("success").and_then(|s| s.as_bool())?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let window = number(details, "window_s")
        .or_else(|| intervals.iter().map(|o| o.end).reduce(f64::max))
        .or_else(|| attempts.iter().map(|a| a.0).reduce(f64::max))
        .unwrap_or(1.0);
    let target = details
        .get("target")
        .and_then(|t| t.as_str())
        .unwrap_or(record.source.as_str());
    let title = lang.format(Msg::ChartAvailability, &[("target", target)]);
    let svg = charts::availability_timeline(
        window,
        &intervals,
        &attempts,
        &title,
        lang.text(Msg::AxisSeconds),
        (lang.text(Msg::LegendUp), lang.text(Msg::LegendOutage)),
    );
    let ratio = record
        .metrics
        .iter()
        .find(|(name, _)| name.ends_with(".availability"))
        .and_then(|(_, m)| m.value.as_ratio());
    let summary = lang.format(
        Msg::OutageSummary,
        &[
            ("count", &intervals.len().to_string()),
            (
                "downtime",
                // A duration: never below zero, and never `-0.0` (issue 17).
                &format!(
                    "{:.1}",
                    non_negative(
                        number(details, "downtime_s")
                            .unwrap_or_else(|| intervals.iter().map(|o| o.end - o.start).sum())
                    )
                ),
            ),
            ("window", &format!("{window:.1}")),
            ("k", &ratio.map(|r| r.k.to_string()).unwrap_or_default()),
            ("n", &ratio.map(|r| r.n.to_string()).unwrap_or_default()),
        ],
    );
    let _ = write!(
        out,
        r#"<figure class="wide">{svg}<figcaption>{}<br>{}</figcaption>"#,
        esc(&title),
        esc(&summary)
    );
    if !outages.is_empty() {
        out.push_str(r#"<table class="list">"#);
        for outage in outages.iter().take(50) {
            let reasons: Vec<&str> = outage
                .get("reasons")
                .and_then(|r| r.as_array())
                .map(|r| r.iter().filter_map(|x| x.as_str()).collect())
                .unwrap_or_default();
            let ongoing = outage
                .get("ongoing")
                .and_then(|o| o.as_bool())
                .unwrap_or(false);
            let _ = write!(
                out,
                "<tr><td>{} s – {} s</td><td>{}</td><td><code>{}</code>{}</td></tr>",
                esc(&format!(
                    "{:.1}",
                    number(outage, "start_offset_s").unwrap_or(0.0)
                )),
                esc(&format!(
                    "{:.1}",
                    number(outage, "end_offset_s").unwrap_or(0.0)
                )),
                esc(outage.get("start").and_then(|s| s.as_str()).unwrap_or("")),
                esc(&lang.list(&reasons)),
                if ongoing {
                    format!(" · {}", esc(lang.text(Msg::OutageOngoing)))
                } else {
                    String::new()
                },
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</figure>");
}

/// A duration as shown: a negative or NaN figure (float noise, `-0.0`) is zero.
fn non_negative(seconds: f64) -> f64 {
    if seconds > 0.0 { seconds } else { 0.0 }
}

fn gates_section(
    out: &mut String,
    verdict: &Verdict,
    cx: &RenderContext<'_>,
    charted: &BTreeSet<usize>,
) {
    let (evidence, lang) = (cx.evidence, cx.lang);
    let _ = write!(
        out,
        r#"<section id="gates" aria-labelledby="gates-h"><h2 id="gates-h">{}</h2>"#,
        esc(lang.text(Msg::SectionGates))
    );
    let mut by_area: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, gate) in verdict.gates.iter().enumerate() {
        by_area.entry(gate.area.as_str()).or_default().push(i);
    }
    let mut names: Vec<(&str, &str, AreaStatus)> = verdict
        .areas
        .iter()
        .map(|a| (a.name.as_str(), a.title.as_str(), a.status))
        .collect();
    for gate in &verdict.gates {
        if !names.iter().any(|(n, _, _)| *n == gate.area) {
            names.push((&gate.area, &gate.area, AreaStatus::Grey));
        }
    }
    for (name, title, status) in names {
        let _ = write!(
            out,
            r#"<section class="area" id="area-{id}" aria-labelledby="area-{id}-h"><h3 id="area-{id}-h"><span class="pill a-{status}">{sw}</span> {title}</h3>"#,
            id = anchor(name),
            status = status.as_str(),
            sw = esc(words::area_status(lang, status)),
            title = esc(&area_title(lang, name, title)),
        );
        let indices = by_area.get(name).map(Vec::as_slice).unwrap_or(&[]);
        if indices.is_empty() {
            let _ = write!(
                out,
                r#"<p class="empty">{}</p>"#,
                esc(lang.text(Msg::AreaNoGates))
            );
        }
        for &i in indices {
            let gate = &verdict.gates[i];
            let _ = write!(
                out,
                r#"<details class="gate s-{status}" id="gate-{i}"><summary><span class="pill s-{status}">{sw}</span> <b>{name}</b> <code>{expect}</code> <span class="sub">{measured}{severity}</span></summary><div class="body">"#,
                status = gate.status.as_str(),
                sw = esc(words::status(lang, gate.status)),
                name = esc(&gate.name),
                expect = esc(&gate.expect.to_string()),
                // Labelled, so `value == 0` is not followed by a bare `0` (issue 17).
                measured = esc(&lang.format(
                    Msg::LabelValue,
                    &[
                        ("label", lang.text(Msg::ColumnMeasured)),
                        ("value", &words::measured(lang, gate)),
                    ]
                )),
                severity = if gate.severity == GateSeverity::Warn {
                    format!(" · {}", esc(words::severity(lang, GateSeverity::Warn)))
                } else {
                    String::new()
                },
            );
            figures(out, lang, gate);
            trend_chart(out, verdict, cx.trends, lang, gate);
            explanation(out, verdict, lang, gate, charted, true);
            notes(out, verdict, evidence, lang, gate);
            findings_list(out, verdict, evidence, lang, gate);
            out.push_str("</div></details>");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</section>\n");
}

/// Every waiver in force or expired: the gate, owner, reason, expiry and days left.
fn waivers_section(out: &mut String, verdict: &Verdict, lang: Lang) {
    let waivers = words::waiver_list(lang, verdict);
    if waivers.is_empty() {
        return;
    }
    let _ = write!(
        out,
        r#"<section id="waivers"><h2>{}</h2><ul>"#,
        esc(lang.text(Msg::SectionWaivers))
    );
    for (gate, sentence) in &waivers {
        let _ = write!(out, "<li><b>{}</b>: {}</li>", esc(gate), esc(sentence));
    }
    out.push_str("</ul></section>\n");
}

/// The most findings or problems one gate lists in the page (the evidence file has all).
const MAX_LISTED_IN_HTML: usize = 50;

/// The hardening findings (with the request and response that prove each) and the lint
/// problems a gate's count is made of (issue 17).
fn findings_list(
    out: &mut String,
    verdict: &Verdict,
    evidence: &crate::EvidenceMap,
    lang: Lang,
    gate: &GateResult,
) {
    let listed = crate::findings::for_gate(verdict, gate, evidence);
    if listed.is_empty() {
        return;
    }
    out.push_str(r#"<ul class="findings">"#);
    let mut shown = 0;
    for finding in listed.findings.iter().take(MAX_LISTED_IN_HTML) {
        shown += 1;
        let _ = write!(
            out,
            "<li><b>{severity}</b> <code>{check}</code>{asvs}: {message}<details><summary>{proof}</summary><pre>{request}</pre><pre>{response}</pre></details></li>",
            severity = esc(&finding.severity),
            check = esc(&finding.check),
            asvs = if finding.asvs.is_empty() {
                String::new()
            } else {
                format!(" (ASVS {})", esc(&finding.asvs))
            },
            message = esc(&finding.message),
            proof = esc(lang.text(Msg::FindingProof)),
            request = esc(&finding.request),
            response = esc(&finding.response),
        );
    }
    for problem in listed
        .problems
        .iter()
        .take(MAX_LISTED_IN_HTML.saturating_sub(shown))
    {
        shown += 1;
        let _ = write!(
            out,
            "<li>{}</li>",
            esc(&crate::findings::problem_line(problem))
        );
    }
    let more = listed.more_than(shown);
    if more > 0 {
        let _ = write!(
            out,
            "<li>{}</li>",
            esc(&lang.format(Msg::MoreInEvidence, &[("count", &more.to_string())]))
        );
    }
    out.push_str("</ul>");
}

/// `gate --compare`: the gates that flip against an earlier verdict, before → after.
fn comparison_section(out: &mut String, comparison: &crate::json::ComparisonV1, lang: Lang) {
    let (headline, flips) = crate::common::comparison_text(comparison, lang);
    out.push_str(r#"<section id="comparison">"#);
    if flips.is_empty() {
        let _ = write!(out, "<p>{}</p>", esc(&headline));
    } else {
        let _ = write!(out, "<h2>{}</h2><ul>", esc(&headline));
        for (gate, before, after) in flips {
            let _ = write!(
                out,
                "<li><b>{}</b>: {} → {}</li>",
                esc(&gate),
                esc(&before),
                esc(&after)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>\n");
}

/// The gate across the history's previous runs and this one, when the verdict carries a
/// trend for it (`trends`, filled by the binary from the history).
fn trend_chart(
    out: &mut String,
    verdict: &Verdict,
    trends: &[crate::json::TrendV1],
    lang: Lang,
    gate: &GateResult,
) {
    let Some(trend) = trends.iter().find(|t| t.gate == gate.name) else {
        return;
    };
    let mut dots: Vec<charts::TrendDot> = trend
        .points
        .iter()
        .filter_map(|p| {
            Some(charts::TrendDot {
                label: format!(
                    "{} · {} · {}{}",
                    p.run.get(..8).unwrap_or(&p.run),
                    crate::common::shown_time(&p.evaluated_at),
                    p.decision,
                    if p.judged_in_past { " (re-judged)" } else { "" }
                ),
                point: p.point.filter(|v| v.is_finite())?,
                lower: p.lower,
                upper: p.upper,
                bad: p.decision != "GO",
                current: false,
            })
        })
        .collect();
    if dots.is_empty() {
        return;
    }
    let Some(measured) = gate.measured.as_ref() else {
        return;
    };
    dots.push(charts::TrendDot {
        label: format!(
            "{} · {}",
            lang.text(Msg::LegendThisRun),
            words::measured(lang, gate)
        ),
        point: measured.point,
        lower: ends(measured).0,
        upper: ends(measured).1,
        bad: verdict.decision != Decision::Go,
        current: true,
    });
    let runs = dots.len().to_string();
    let label = lang.format(Msg::ChartTrend, &[("gate", &gate.name), ("runs", &runs)]);
    let _ = write!(
        out,
        r#"<figure class="trend">{}<figcaption>{}</figcaption></figure>"#,
        charts::trend(
            &dots,
            gate.threshold,
            measured.dimension,
            &label,
            lang.text(Msg::AxisRuns),
            (
                lang.text(Msg::LegendGo),
                lang.text(Msg::LegendNoGo),
                lang.text(Msg::LegendThisRun),
            ),
        ),
        esc(&label)
    );
}

/// Caveats the evidence attaches to the gate's metric (e.g. a closed-model latency).
fn notes(
    out: &mut String,
    verdict: &Verdict,
    evidence: &EvidenceMap,
    lang: Lang,
    gate: &GateResult,
) {
    for e in words::cited(verdict, gate) {
        if let Some(note) = evidence
            .get(&e.sha256)
            .and_then(|r| r.metrics.get(&gate.metric))
            .and_then(|m| words::metric_note(m, lang))
        {
            let _ = write!(
                out,
                r#"<p class="note">{}</p>"#,
                esc(&lang.labelled(Msg::LabelNote, &note))
            );
        }
    }
}

fn evidence_section(out: &mut String, verdict: &Verdict, lang: Lang) {
    let _ = write!(
        out,
        r#"<section id="evidence" aria-labelledby="evidence-h"><h2 id="evidence-h">{}</h2>"#,
        esc(lang.text(Msg::SectionEvidence))
    );
    if verdict.evidence.is_empty() {
        let _ = write!(
            out,
            r#"<p class="empty">{}</p>"#,
            esc(lang.text(Msg::EvidenceNone))
        );
    } else {
        let _ = write!(
            out,
            r#"<table class="prov"><tr><th scope="col">#</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr>"#,
            esc(lang.text(Msg::LabelKind)),
            esc(lang.text(Msg::LabelSource)),
            esc(lang.text(Msg::LabelSha256)),
            esc(lang.text(Msg::LabelCollectedAt)),
            esc(lang.text(Msg::LabelTool)),
        );
        for (id, e) in verdict.evidence.iter().enumerate() {
            let _ = write!(
                out,
                r#"<tr id="ev-{id}"><td>{id}</td><td>{}</td><td>{} <code>{}</code></td><td><code class="sha">{}</code></td><td>{}</td><td>{}</td></tr>"#,
                esc(&e.kind),
                esc(e.source.type_name()),
                esc(e.source.as_str()),
                esc(&e.sha256),
                esc(&words::to_the_second(e.collected_at).to_string()),
                esc(&e.tool),
                id = id,
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_attribute_quotes() {
        assert_eq!(
            escape_html(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn the_policy_allows_exactly_the_print_script() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        // base64 of a SHA-256 is 44 characters.
        let hash = csp
            .split("'sha256-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert_eq!(hash.len(), 44);
    }

    #[test]
    fn percentiles_parse_from_aggregates() {
        assert_eq!(percentile_of(Aggregate::Percentile(99.9)), Some(99.9));
        assert_eq!(percentile_of(Aggregate::Median), None);
        assert_eq!(percentile_of(Aggregate::Rate), None);
    }
}
