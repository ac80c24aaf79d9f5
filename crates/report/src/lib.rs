//! Renderers: they read a verdict (the versioned [`json::VerdictV1`] document) and the
//! evidence it cites, and nothing else.
//!
//! - [`json`]: `verdict.json`, versioned, with a JSON Schema; also read back as a baseline.
//! - [`terminal`]: the compact summary `gonogo gate` prints.
//! - [`markdown`]: the pull-request comment and GitHub step summary, and workflow annotations.
//! - [`html`]: one self-contained page with inline SVG [`charts`].
//! - [`junit`]: JUnit XML, every gate a test case.
//! - [`findings`]: the hardening findings and lint problems behind a count, for every renderer.
//! - [`i18n`]: the message catalogue (English and `zh-CN`) every renderer takes its words from.
//! - [`cli`]: `gonogo report` and [`cli::render_all`], the only place with I/O.
//!
//! ```no_run
//! use gonogo_report::{cli, i18n::Lang, json};
//!
//! let text = std::fs::read_to_string("gonogo-report/verdict.json").unwrap();
//! let verdict = json::parse_document(&text).unwrap();
//! let (evidence, _warnings) = cli::load_evidence(".gonogo/evidence".as_ref());
//! cli::render_all(&verdict, &evidence, "gonogo-report".as_ref(), Lang::En).unwrap();
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

pub use common::EvidenceMap;
