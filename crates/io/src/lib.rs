//! The small pieces of I/O policy every gonogo crate shares, so that the engines (which never
//! depend on each other) and the binary follow one rule each:
//!
//! - [`atomic`]: every evidence, verdict and report file is written to a `.gonogo-tmp-*` file
//!   in the same folder and renamed into place; temporary files left by a killed process are
//!   removed by the next writer of that folder.
//! - [`lock`]: an output folder is locked (flock) by the run that writes it.
//! - [`net`]: which hosts are loopback (RFC 6761: `localhost`, `*.localhost`, with or without
//!   the final dot, resolve to loopback without asking any resolver) and which are allowed.
//! - [`testing`]: for tests, a missing tool skips or (with `GONOGO_REQUIRE_TOOLS=1`) fails.
//! - [`signals`]: SIGINT/SIGTERM recorded as a request to stop, for `gonogo run`.
//! - [`progress`]: one board of progress bars per process, so bars drawn at once never overlap.
//!
//! `gonogo-core` stays pure; this crate is where the shared I/O lives.

pub mod atomic;
pub mod lock;
pub mod net;
pub mod progress;
pub mod signals;
pub mod testing;
