//! gonogo's decision core.
//!
//! Engines and parsers turn the world into [`evidence::Evidence`]; [`policy`] reads a
//! `gonogo.toml`; [`eval`] judges the evidence under the policy into a [`verdict::Verdict`];
//! renderers (in other crates) read only the verdict and the evidence it cites.
//!
//! This crate is pure: no file or network I/O, no clock (the caller passes "now"), no async.
//! That keeps every rule of the decision testable with plain values.

pub mod catalog;
pub mod duration;
pub mod eval;
pub mod evidence;
pub mod expect;
pub mod limits;
pub mod merge;
pub mod policy;
pub mod redact;
pub mod segments;
pub mod settings;
pub mod stats;
pub mod suggest;
pub mod text;
pub mod units;
pub mod verdict;
pub mod wire;
