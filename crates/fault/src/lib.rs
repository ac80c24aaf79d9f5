//! Resilience drills (`gonogo fault`, `[[fault]]` in the policy): a TCP proxy on loopback
//! between the service under test and one of its dependencies, with a timeline of faults in
//! toxiproxy's model (toxics on a link, upstream or downstream).
//!
//! - [`fault`]: the fault kinds (latency with jitter, bandwidth, reset, refuse, black hole,
//!   slow close, partition, HTTP error statuses), a drill's timeline and the set active now.
//! - [`proxy`]: the proxy itself, on tokio; listens on loopback only, changes every
//!   connection's faults at once, restores the link when cleared and on shutdown.
//! - [`drill`]: a timeline run against a proxy with a hard end, the phases as they happened,
//!   and the link restored at the end, on error and on a stop request.
//!
//! toxiproxy itself is a Go program not packaged for Debian; the model is small enough to be
//! the product's own, and this way the phases' instants come from the same clock as the
//! load's and probes' samples.

pub mod cli;
pub mod drill;
pub mod fault;
pub mod proxy;

pub use fault::{Active, Direction, FaultKind, Step, Timeline};
pub use proxy::{LinkConfig, Proxy, ProxyError};
