//! gonogo's built-in sample service: a small axum shop API that `gonogo demo` and gonogo's own
//! tests measure, probe, observe and audit.
//!
//! It runs in one of two [`Mode`]s. [`Mode::Weak`] carries the realistic flaws readiness reviews
//! keep finding; [`Mode::Hardened`] is the same service with every one of them fixed, so the same
//! policy says NO-GO against the first and GO against the second.
//!
//! # Routes
//!
//! | Route | What it does |
//! |---|---|
//! | `GET /` | HTML home page; sets a session cookie |
//! | `GET /app` | HTML dashboard |
//! | `GET, POST /api/items` | JSON list of items; POST creates one from `{"name": "..."}` |
//! | `GET /api/public` | public JSON (a CORS-enabled resource) |
//! | `GET /api/partner` | JSON for a partner front end (CORS for "our" origins) |
//! | `POST /login` | `{"username", "password"}` -> `{"token"}` (HS256 JWT) and a session cookie (hardened: also `csrf_token` and a `__Host-csrf` cookie) |
//! | `POST /api/cart` | `{"item": ...}`, authenticated by the login session cookie (hardened: plus `X-CSRF-Token`) |
//! | `GET /api/admin`, `GET /api/reports` | protected: need a JWT with role `admin` |
//! | `GET /api/slow` | an endpoint with a latency tail (weak mode) |
//! | `GET, POST /api/checkout` | the endpoint the demo loads |
//! | `GET /api/stock` | the item's count, asked of the inventory dependency ([`inventory`]) |
//! | `GET /healthz` | liveness |
//! | `GET /readyz` | readiness (hardened: the database and the inventory's breaker) |
//! | `GET /healthz/deps` | the state of the (simulated) database dependency |
//! | `GET /metrics` | Prometheus text exposition format 0.0.4 |
//!
//! Users: `alice` / `alice-password` (role `user`) and `admin` / `admin-password` (role `admin`).
//! [`mint_token`] makes tokens for tests without going through `/login`.
//!
//! # The flaws of [`Mode::Weak`]
//!
//! | Flaw | Where | gonogo finding |
//! |---|---|---|
//! | no `Content-Security-Policy` on `/`, no `X-Content-Type-Options`, no framing protection, no `Referrer-Policy`, no `Permissions-Policy` | every response | `csp-missing`, `nosniff-missing`, `framing-unprotected`, `referrer-policy-missing`, `permissions-policy-missing` |
//! | a CSP that does not protect: `script-src 'self' 'unsafe-inline' 'unsafe-eval' *`, no `object-src`, no `base-uri`; `Referrer-Policy: unsafe-url` | `/app` | `csp-unsafe-inline`, `csp-unsafe-eval`, `csp-wildcard-source`, `csp-object-src-missing`, `csp-base-uri-missing`, `referrer-policy-unsafe` |
//! | `Server: gonogo-demo/0.1.0 axum/0.8.9`, `X-Powered-By: axum/0.8.9` | every response | `version-disclosed` |
//! | any `Origin` (also `null`) reflected with `Access-Control-Allow-Credentials: true` | every response | `cors-origin-reflected`, `cors-null-origin` |
//! | `Access-Control-Allow-Origin: *` with credentials | `/api/public` | `cors-wildcard-credentials` |
//! | origins allowed when they *contain* `127.0.0.1`, so `http://127.0.0.1.evil.example` passes | `/api/partner` | `cors-weak-origin-match` |
//! | session cookie `sessionid` without `Secure`, `HttpOnly`, `SameSite` | `/`, `/login` | `cookie-secure-missing`, `cookie-httponly-missing`, `cookie-samesite-missing` |
//! | `TRACE` echoes the request (headers and cookies included) | every path | `trace-enabled` |
//! | `OPTIONS` advertises `PUT, DELETE, PATCH` on read-only routes | every path | `methods-unexpected` |
//! | error pages (404, 405, malformed JSON) show a Rust panic with a backtrace, absolute paths and framework versions | every error | `error-stack-trace`, `error-version-string` |
//! | a malformed body on `POST /api/items` is pasted into SQL and the database error is shown | `/api/items` | `error-sql-message` |
//! | no rate limit on `/login` | `/login` | `rate-limit-missing` |
//! | `/api/admin` skips signature checks when `alg` is `none` (any case) or the signature is empty, never checks `exp` or the role, answers 401 without `WWW-Authenticate`, and panics (500) on a token that is not three segments | `/api/admin` | `auth-alg-none-accepted`, `auth-empty-signature-accepted`, `auth-expired-token-accepted`, `auth-lower-role-accepted`, `auth-www-authenticate-missing`, `auth-malformed-token-not-refused` |
//! | `/api/admin` verifies a token that names a key-set URL (`jku`) with the keys found there: any key set on `http://127.0.0.1:<port>/` is trusted (the demo fetches from 127.0.0.1 only, never elsewhere) | `/api/admin` | `auth-jku-accepted` |
//! | `/api/reports` checks no token at all ("the gateway checks it") | `/api/reports` | `auth-missing-token-accepted`, `auth-bad-signature-accepted`, `auth-embedded-jwk-accepted` (and every other forged token) |
//! | a `__Host-theme` cookie without `Secure` (browsers drop it) | `/app` | `cookie-prefix-invalid` |
//! | `Content-Type: text/html` without charset | `/app` | `content-type-charset-missing` |
//! | no `Cross-Origin-Opener-Policy` / `Cross-Origin-Resource-Policy` | every response | `cross-origin-isolation-missing` |
//! | the admin data is served without `Cache-Control: no-store` | `/api/admin` | `auth-response-cacheable` |
//! | the repository's `/.git/HEAD` is served | `/.git/HEAD` | `source-control-exposed` |
//! | `/metrics` is served on the one listener, without authentication (both modes: Prometheus scrapes it; a finding once the listener is declared public) | `/metrics` | `monitoring-endpoint-exposed` (with `[harden] public_listener = true`) |
//! | tokens are signed with the HMAC secret `secret` | `/login` | `auth-weak-hmac-secret` |
//! | a cross-site, `text/plain`, token-less POST with the session cookie changes the cart | `/api/cart` | `csrf-unprotected` |
//! | `/api/slow`: every 10th request takes 300 ms (counted, not random), so a `p(95) < 200ms` gate fails | `/api/slow` | load |
//! | `/api/checkout`: every 20th request answers 503 | `/api/checkout` | load |
//! | `/readyz` answers 200 while its database is down (`/healthz/deps` says 503 down) | `/readyz` | probe, observe |
//! | `/api/stock` asks its inventory with no timeout and no breaker: a slow inventory makes it slow, an unreachable one hangs it and then answers 500 with a stack trace; `/readyz` stays 200 meanwhile | `/api/stock`, `/readyz` | drill (`[[fault]]`): load and probes per phase, leaks |
//! | `/metrics`: the counter `demo_login_attempts` lacks the `_total` suffix | `/metrics` | observe |
//! | the request log starts with a plain-text line that is not JSON | log file | observe |
//!
//! [`Mode::Hardened`] sends a strict CSP (`default-src 'none'`, `frame-ancestors 'none'`,
//! `object-src 'none'`, `base-uri 'none'`), `X-Content-Type-Options: nosniff`,
//! `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, a `Permissions-Policy`,
//! `Cross-Origin-Opener-Policy` and `-Resource-Policy`, HSTS, charsets, `no-store` on API
//! responses, no `Server` header, no `/.git`; allows CORS only for `https://app.example.com`; sets
//! `__Host-sessionid; Secure; HttpOnly; SameSite=Strict`; refuses `TRACE` and advertises only the
//! methods a route has; answers errors with a generic `application/problem+json` body; limits
//! `/login` to 10 attempts per 10 s (429 with `Retry-After` and `RateLimit` headers); verifies
//! HS256 tokens only (`jwk` and `jku` headers are ignored) with a long secret, their `exp` and
//! their role; has no slow requests, no 5xx, an honest `/readyz`, lint-clean metrics and
//! JSON-only logs; asks its inventory within 150 ms through a circuit breaker, answers from the
//! last known count while it fails, and says not ready while the breaker is open.
//!
//! # Example
//!
//! ```no_run
//! use gonogo_demo_target::{spawn, Mode};
//!
//! let server = spawn(Mode::Weak).expect("bind a loopback port");
//! println!("demo target at {}", server.base_url());
//! // ... measure it ...
//! drop(server); // stops it and waits for the runtime thread
//! ```

mod app;
pub mod inventory;
mod telemetry;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
/// The shutdown signal [`serve_until`] takes, re-exported so callers need no `tokio-util`.
pub use tokio_util::sync::CancellationToken;

/// Which variant of the service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Realistic flaws (see the crate documentation).
    Weak,
    /// The same service with the flaws fixed.
    Hardened,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Weak => "weak",
            Mode::Hardened => "hardened",
        }
    }
}

/// How to run the service. [`DemoConfig::new`] gives each mode its defaults.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    pub mode: Mode,
    /// Where JSON-lines request logs go; `None` logs nothing.
    pub log_file: Option<PathBuf>,
    /// Whether the simulated database is up. Defaults: down in weak mode, up in hardened mode.
    /// Hardened `/readyz` follows it; weak `/readyz` ignores it.
    pub dependency_up: bool,
    /// Hardened `/login` attempts allowed per window (default 10).
    pub login_limit: u32,
    /// Hardened `/login` window in seconds (default 10).
    pub login_window_secs: u64,
    /// Where `/api/stock` reaches its inventory: a drill's proxy (`[[fault]]`) in front of
    /// [`DemoServer::inventory_address`]; `None` asks the inventory directly.
    pub inventory_via: Option<SocketAddr>,
}

impl DemoConfig {
    pub fn new(mode: Mode) -> DemoConfig {
        DemoConfig {
            mode,
            log_file: None,
            dependency_up: mode == Mode::Hardened,
            login_limit: 10,
            login_window_secs: 10,
            inventory_via: None,
        }
    }

    pub fn with_log_file(mut self, path: impl Into<PathBuf>) -> DemoConfig {
        self.log_file = Some(path.into());
        self
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot bind 127.0.0.1:0: {0}")]
    Bind(std::io::Error),
    #[error("cannot open the request log {path}: {source}")]
    LogFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the runtime thread: {0}")]
    Runtime(std::io::Error),
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// The HMAC secret a mode signs its tokens with. The weak one is in every JWT cracking list.
pub fn jwt_secret(mode: Mode) -> &'static str {
    match mode {
        Mode::Weak => "secret",
        Mode::Hardened => "gonogo-demo-hardened-7f3c9a1e5b2d4c8f9e6a0b1d2c3e4f5a",
    }
}

/// The claims of the service's tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// `user` or `admin`.
    pub role: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    pub iat: i64,
}

/// A token the service of `mode` issues for `subject` with `role`, valid for `lifetime_secs`
/// from now (negative: already expired).
pub fn mint_token(mode: Mode, subject: &str, role: &str, lifetime_secs: i64) -> String {
    let now = unix_now();
    let claims = Claims {
        sub: subject.to_owned(),
        role: role.to_owned(),
        exp: now + lifetime_secs,
        iat: now,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(jwt_secret(mode).as_bytes()),
    )
    .expect("HS256 encoding of plain claims cannot fail")
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or(0)
}

/// The axum router of the service, for embedding it into another server or a test.
pub fn router(config: DemoConfig) -> Result<axum::Router, DemoError> {
    app::router(config)
}

/// Serves `mode` with its defaults on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, mode: Mode) -> Result<(), DemoError> {
    serve_until(listener, DemoConfig::new(mode), CancellationToken::new()).await
}

/// Serves on `listener` until `shutdown` is cancelled, then finishes in-flight requests
/// (graceful shutdown) and returns.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    config: DemoConfig,
    shutdown: CancellationToken,
) -> Result<(), DemoError> {
    let app = app::router(config)?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await
    .map_err(DemoError::Serve)
}

/// A logged-in browser session, as `POST /login` creates it.
#[derive(Debug, Clone)]
pub struct DemoSession {
    /// The `Cookie` header value the browser sends.
    pub cookie: String,
    /// The `X-CSRF-Token` the page sends with state changes (hardened mode only).
    pub csrf_token: Option<String>,
}

/// A service running on its own runtime thread on `127.0.0.1:<ephemeral port>`. Dropping it
/// stops the service and waits for the thread.
pub struct DemoServer {
    address: SocketAddr,
    mode: Mode,
    state: std::sync::Arc<app::AppState>,
    shutdown: CancellationToken,
    thread: Option<std::thread::JoinHandle<Result<(), DemoError>>>,
}

/// Starts `mode` with its defaults; see [`spawn_with`].
pub fn spawn(mode: Mode) -> Result<DemoServer, DemoError> {
    spawn_with(DemoConfig::new(mode))
}

/// Binds `127.0.0.1:0` and serves `config` on a new thread with its own tokio runtime. The
/// port is bound before this returns, so the server accepts connections right away.
pub fn spawn_with(config: DemoConfig) -> Result<DemoServer, DemoError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(DemoError::Bind)?;
    listener.set_nonblocking(true).map_err(DemoError::Bind)?;
    let address = listener.local_addr().map_err(DemoError::Bind)?;
    let mode = config.mode;
    // Build the router here so a bad log path fails the call, not the thread.
    let (app, state) = app::build(config)?;
    let shutdown = CancellationToken::new();
    let thread_shutdown = shutdown.clone();
    let thread = std::thread::Builder::new()
        .name(format!("gonogo-demo-{}", mode.as_str()))
        .spawn(move || -> Result<(), DemoError> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(DemoError::Runtime)?;
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).map_err(DemoError::Bind)?;
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .with_graceful_shutdown(async move { thread_shutdown.cancelled().await })
                .await
                .map_err(DemoError::Serve)
            })
        })
        .map_err(DemoError::Runtime)?;
    Ok(DemoServer {
        address,
        mode,
        state,
        shutdown,
        thread: Some(thread),
    })
}

impl DemoServer {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The inventory service `/api/stock` depends on (the real one, not a proxy).
    pub fn inventory_address(&self) -> SocketAddr {
        self.state.inventory.address()
    }

    /// A logged-in session (user `admin`), as `/login` would create it but without a request,
    /// so it spends no login attempt: for CSRF checks and demos.
    pub fn session(&self) -> DemoSession {
        let (cookie, csrf_token) = app::open_session(&self.state);
        DemoSession { cookie, csrf_token }
    }

    /// Stops the service and waits for in-flight requests to finish.
    pub fn stop(mut self) -> Result<(), DemoError> {
        self.stop_inner()
    }

    fn stop_inner(&mut self) -> Result<(), DemoError> {
        self.shutdown.cancel();
        match self.thread.take() {
            Some(thread) => thread.join().unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.stop_inner();
    }
}
