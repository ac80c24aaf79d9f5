//! Renderers: they read a [`gonogo_core::verdict::Verdict`] (and the evidence it cites) and
//! nothing else.
//!
//! - [`json`]: `verdict.json`, versioned, with a JSON Schema; also read back as a baseline.
//! - [`terminal`]: the compact summary `gonogo gate` prints.

pub mod json;
pub mod terminal;
