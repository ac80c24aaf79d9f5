//! Renderers: each reads the typed verdict ([`gonogo_core::verdict::Verdict`]) and a
//! [`RenderContext`] (the evidence it cites, by SHA-256, the language, the history's trends and
//! a `--compare` result, the terminal's colour), and nothing else. Every renderer has the one
//! signature `fn render(verdict: &Verdict, cx: &RenderContext) -> String`.
//!
//! - [`json`]: `verdict.json`, versioned, with a JSON Schema: the edge codec, `From<&Verdict>`
//!   to write it and `TryFrom<VerdictV1> for Verdict` to read it back (baselines, history,
//!   `gonogo report`).
//! - [`terminal`]: the compact summary `gonogo gate` prints.
//! - [`markdown`]: the pull-request comment and GitHub step summary, and workflow annotations.
//! - [`html`]: one self-contained page with inline SVG [`charts`].
//! - [`junit`]: JUnit XML, every gate a test case.
//! - [`findings`]: the hardening findings and lint problems behind a count, for every renderer.
//! - [`i18n`]: the message catalogue (English and `zh-CN`) every renderer takes its words from.
//! - [`cli`]: `gonogo report`'s flags and [`cli::render_all`], the only place with I/O (writes
//!   only: the binary's folder store reads saved verdicts and evidence).
//!
//! ```no_run
//! use gonogo_report::{cli, i18n::Lang, json, EvidenceMap};
//!
//! let text = std::fs::read_to_string("gonogo-report/verdict.json").unwrap();
//! let (verdict, document) = json::parse_verdict(&text).unwrap();
//! let evidence = EvidenceMap::new(); // records by SHA-256, for charts and listed findings
//! let cx = gonogo_report::RenderContext::from_document(&document, &evidence, Lang::En);
//! cli::render_all(&verdict, &cx, "gonogo-report".as_ref()).unwrap();
//! ```

pub mod charts;
pub mod cli;
mod common;
pub mod findings;
pub mod html;
pub mod i18n;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod terminal;
mod words;

pub use common::{EvidenceMap, evidence_map};

use crate::i18n::Lang;
use crate::json::{ComparisonV1, TrendV1, VerdictV1};

static NO_EVIDENCE: EvidenceMap<'static> = EvidenceMap::new();

/// What a renderer reads besides the verdict.
#[derive(Debug, Clone, Copy)]
pub struct RenderContext<'a> {
    /// The evidence records the verdict cites, by SHA-256 (charts, annotations); a record
    /// that is absent only loses its chart.
    pub evidence: &'a EvidenceMap<'a>,
    /// The language of the fixed text.
    pub lang: Lang,
    /// Each gate's earlier measurements, from the history (oldest first).
    pub trends: &'a [TrendV1],
    /// `gate --compare`: the gates whose status flips against an earlier verdict.
    pub comparison: Option<&'a ComparisonV1>,
    /// The terminal renderer's ANSI colours.
    pub color: bool,
    /// The saved verdict.json this verdict was read from, if any: what it listed behind each
    /// gate's count stands when the evidence is not at hand (`json::document`).
    pub saved: Option<&'a VerdictV1>,
}

impl<'a> RenderContext<'a> {
    /// No evidence, no trends, no comparison, no colour.
    pub fn new(lang: Lang) -> RenderContext<'a> {
        RenderContext {
            evidence: &NO_EVIDENCE,
            lang,
            trends: &[],
            comparison: None,
            color: false,
            saved: None,
        }
    }

    pub fn with_evidence(self, evidence: &'a EvidenceMap<'a>) -> RenderContext<'a> {
        RenderContext { evidence, ..self }
    }

    pub fn with_trends(self, trends: &'a [TrendV1]) -> RenderContext<'a> {
        RenderContext { trends, ..self }
    }

    pub fn with_comparison(self, comparison: Option<&'a ComparisonV1>) -> RenderContext<'a> {
        RenderContext { comparison, ..self }
    }

    pub fn with_color(self, color: bool) -> RenderContext<'a> {
        RenderContext { color, ..self }
    }

    /// The context of a saved verdict.json: its trends, comparison and listed findings, with
    /// the evidence.
    pub fn from_document(
        document: &'a VerdictV1,
        evidence: &'a EvidenceMap<'a>,
        lang: Lang,
    ) -> RenderContext<'a> {
        RenderContext {
            saved: Some(document),
            ..RenderContext::new(lang)
                .with_evidence(evidence)
                .with_trends(&document.trends)
                .with_comparison(document.comparison.as_ref())
        }
    }
}
