//! gonogo's load engine.
//!
//! Measures an HTTP service under load and turns the run into evidence:
//!
//! - [`target`]: the URL and the loopback-only safety rule;
//! - [`schedule`]: open-model arrival times (constant and ramping rates);
//! - [`engine`]: worker threads running the closed or open model over [`http1`] connections,
//!   timed by [`timer`] and recorded by [`stats`] without locks;
//! - [`error_class`]: the error taxonomy with stable codes;
//! - [`evidence`]: a run as a `gonogo_core` [`Evidence`](gonogo_core::evidence::Evidence) record
//!   of kind `load`, and the `--json` result document;
//! - [`histogram_log`]: the HdrHistogram interval log (`--save-histogram`) and exact merges;
//! - [`http2`]: `--http2`, one multiplexed hyper connection per thread;
//! - [`zmq`]: ZeroMQ REQ/REP round trips for `zmq+tcp://` targets;
//! - [`tls`]: rustls configuration and the plain/TLS transport;
//! - [`summary`]: the terminal summary;
//! - [`url_list`]: `--urls FILE`, several URLs with weights: the parser and the request order;
//! - [`cli`]: `LoadArgs` / [`cli::run`] and `MergeArgs` / [`cli::merge`] for the `gonogo` binary.

mod catalog;
pub mod cli;
pub mod clock;
pub mod engine;
pub mod error_class;
pub mod evidence;
pub mod histogram_log;
pub mod http1;
pub mod http2;
pub mod schedule;
pub mod stats;
pub mod summary;
pub mod target;
pub mod timer;
pub mod tls;
pub mod url_list;
pub mod zmq;
pub use catalog::METRICS;
