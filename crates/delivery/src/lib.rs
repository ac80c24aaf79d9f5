//! Delivery evidence: the context a verdict is about, and the commands a policy runs.
//!
//! - [`git`]: branch, commit, tags, deployment target, rollback target, dirty tree (libgit2).
//! - [`ci`]: the CI provider and run URL from the environment.
//! - [`dora`]: deployment frequency, lead time, change failure rate and time to restore from
//!   release tags and commits.
//! - [`command`]: `[[command]]` entries run with a timeout, the full output on disk and a
//!   throttled tail on the console.
//!
//! Each produces [`gonogo_core::evidence::Evidence`] for the delivery area.

mod catalog;
pub mod ci;
pub mod command;
pub mod dora;
pub mod git;
pub use catalog::METRICS;
