//! gonogo's probe and observe engines.
//!
//! - [`exposition`]: streaming, strict parsers for OpenMetrics 1.0 and the Prometheus text
//!   format 0.0.4.
//!
//! Every engine turns what it measured into [`gonogo_core::evidence::Evidence`].

pub mod exposition;
