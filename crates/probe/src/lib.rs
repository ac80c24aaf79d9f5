//! gonogo's probe and observe engines.
//!
//! - [`exposition`]: streaming, strict parsers for OpenMetrics 1.0 and the Prometheus text
//!   format 0.0.4.
//! - [`lint`]: `promtool check metrics` rules and required series over a parse.
//! - [`observe`]: `/metrics` from a URL or a file, and structured logs, as evidence.
//! - [`probe`]: HTTP(S)/TCP/TLS/DNS probes with Gatus-style conditions, once or watched.
//! - [`prometheus`]: PromQL queries and alerting rules of a real Prometheus, as evidence.
//! - [`cli`]: the subcommands' arguments and `run` functions.
//! - [`net`]: the loopback-by-default host policy and one timed HTTP/TLS exchange.
//!
//! Every engine turns what it measured into [`gonogo_core::evidence::Evidence`].

mod catalog;
pub mod cli;
pub mod exposition;
pub mod lint;
pub mod net;
pub mod observe;
pub mod probe;
pub mod prometheus;
pub use catalog::METRICS;
