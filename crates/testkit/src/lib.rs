//! For gonogo's tests only (a dev-dependency, never published): real servers started on free
//! loopback ports in temporary folders and stopped on drop, the `gonogo` binary runner the
//! end-to-end tests share, and what a test does when a tool it needs is missing.
//!
//! - [`tools`]: [`require_tool`] finds a program or, when it is missing, skips the test with a
//!   printed reason, or fails it under `GONOGO_REQUIRE_TOOLS=1` (set by `.ci/run`).
//! - [`net`]: [`free_port`], [`wait_listening`] (readiness by polling, with a deadline).
//! - [`server`]: [`Server`], one child process listening on loopback, killed on drop.
//! - [`nginx`], [`prometheus`] (and Alertmanager), [`redis`]: the real tools, configured for a
//!   test; `postgres` (feature `postgres`) and [`demo_target`] (feature `demo`).
//! - [`cli`]: the `gonogo` binary with a clean environment (no colour, no CI variables).
//! - [`pki`]: a throw-away CA and a leaf with chosen dates (rcgen).

pub mod cli;
pub mod net;
pub mod nginx;
pub mod pki;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod prometheus;
pub mod redis;
pub mod server;
pub mod tools;

pub use cli::{console, gonogo, gonogo_command, junit_project, text};
pub use net::{free_port, wait_listening};
pub use nginx::Nginx;
pub use prometheus::{Alertmanager, Prometheus};
pub use redis::Redis;
pub use server::Server;
pub use tools::{missing_tool, require_tool, tools_required};

/// The demo target (hardened) on a free loopback port, stopped on drop.
#[cfg(feature = "demo")]
pub fn demo_target() -> gonogo_demo_target::DemoServer {
    gonogo_demo_target::spawn(gonogo_demo_target::Mode::Hardened)
        .expect("the demo target starts on loopback")
}
