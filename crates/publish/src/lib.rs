//! Posting a verdict where reviewers look: a GitHub pull-request comment and check run
//! ([`github`]), a GitLab merge-request note with GitLab's code-quality and JUnit report files
//! ([`gitlab`]), and a webhook on NO-GO ([`webhook`]).
//!
//! # The one exception to "traffic only to loopback"
//!
//! gonogo's engines send traffic only to loopback unless a host is allowed explicitly. This
//! crate talks to the configured API host (`GITHUB_API_URL`, default `https://api.github.com`;
//! `CI_API_V4_URL`) or webhook URL instead: posting a result is not traffic to a service under
//! test, and the host is the one the CI (or the user) configured for exactly this. Nothing else
//! is contacted: pagination links are followed only on the API's own origin, redirects are not
//! followed, every request has a timeout and every loop a bound (retries, pages). The tests post
//! only to a recording server on loopback ([`testing`], feature `testing`).
//!
//! # Failures never change the verdict
//!
//! Every function returns a typed error ([`ApiError`], [`webhook::NotifyError`]) that names
//! what was attempted (method, path, HTTP status, the API's message); the binary prints it and
//! keeps the exit code of the verdict. Tokens and webhook URLs never appear in an error: the
//! token travels only in a header, and a webhook URL is shown as its scheme and host.

pub mod github;
pub mod gitlab;
pub mod http;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhook;

pub use http::ApiError;

/// The hidden marker that identifies gonogo's comment or note, so a later run updates it
/// instead of adding a second one.
pub const MARKER: &str = "<!-- gonogo -->";
