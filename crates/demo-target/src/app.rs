//! The demo target's routes, handlers and the edge middleware that applies each mode's
//! headers, CORS behaviour, method handling, metrics and logs.
//!
//! Every request passes [`edge`] first. In weak mode it answers `TRACE` and `OPTIONS` itself
//! (echoing and over-advertising), reflects CORS origins and adds version headers; in hardened
//! mode it answers `OPTIONS` with the route's real methods and adds the security headers, and a
//! `tower_http` CORS layer with a one-origin allow list sits outside it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::telemetry::Telemetry;
use crate::{Claims, DemoConfig, DemoError, Mode, jwt_secret};

const VERSION_BANNER: &str = "gonogo-demo/0.1.0 axum/0.8.9";
const POWERED_BY: &str = "axum/0.8.9 hyper/1.8.1";
const ALLOWED_ORIGIN: &str = "https://app.example.com";
const HARDENED_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
const WEAK_APP_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' *; style-src 'self' 'unsafe-inline'";

pub(crate) struct AppState {
    mode: Mode,
    dependency_up: bool,
    telemetry: Telemetry,
    slow_counter: AtomicU64,
    checkout_counter: AtomicU64,
    session_counter: AtomicU64,
    login_limit: u32,
    login_window: Duration,
    /// Start of the current `/login` window and the attempts in it (hardened mode).
    login_window_state: Mutex<(Instant, u32)>,
    /// Sessions issued by `/login`, with their CSRF tokens.
    sessions: std::sync::Mutex<std::collections::HashMap<String, String>>,
    cart_items: AtomicU64,
    /// The inventory service this shop depends on (`/api/stock`), started with it.
    pub(crate) inventory: crate::inventory::Inventory,
    /// Where the shop asks: the inventory itself, or a drill's proxy in front of it.
    inventory_target: std::net::SocketAddr,
    /// Hardened mode's breaker in front of the inventory.
    breaker: crate::inventory::Breaker,
    /// Hardened mode's last count from the inventory (`u64::MAX`: none yet).
    last_stock: AtomicU64,
}

type Shared = Arc<AppState>;

/// A session as `/login` creates it: the `Cookie` header a browser would send, and the CSRF
/// token (hardened mode only).
pub(crate) fn open_session(state: &AppState) -> (String, Option<String>) {
    let session_id = new_session_id(state);
    let csrf_token = random_hex(0xc5f);
    state
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(session_id.clone(), csrf_token.clone());
    match state.mode {
        Mode::Weak => (format!("sessionid={session_id}"), None),
        Mode::Hardened => (
            format!("__Host-sessionid={session_id}; __Host-csrf={csrf_token}"),
            Some(csrf_token),
        ),
    }
}

pub(crate) fn router(config: DemoConfig) -> Result<Router, DemoError> {
    build(config).map(|(router, _)| router)
}

/// The router and its state (kept by `DemoServer` to open sessions).
pub(crate) fn build(config: DemoConfig) -> Result<(Router, Arc<AppState>), DemoError> {
    let telemetry = Telemetry::new(config.mode, config.log_file.as_deref())?;
    let inventory = crate::inventory::Inventory::start().map_err(DemoError::Bind)?;
    let inventory_target = config.inventory_via.unwrap_or(inventory.address());
    let state = Arc::new(AppState {
        inventory,
        inventory_target,
        breaker: crate::inventory::Breaker::new(
            crate::inventory::FAILURE_THRESHOLD,
            crate::inventory::OPEN_FOR,
        ),
        last_stock: AtomicU64::new(u64::MAX),
        mode: config.mode,
        dependency_up: config.dependency_up,
        telemetry,
        slow_counter: AtomicU64::new(0),
        checkout_counter: AtomicU64::new(0),
        session_counter: AtomicU64::new(0),
        login_limit: config.login_limit.max(1),
        login_window: Duration::from_secs(config.login_window_secs.max(1)),
        login_window_state: Mutex::new((Instant::now(), 0)),
        sessions: std::sync::Mutex::new(std::collections::HashMap::new()),
        cart_items: AtomicU64::new(0),
    });
    let state_for_caller = state.clone();
    let routes = Router::new()
        .route("/", get(home))
        .route("/app", get(dashboard))
        .route("/api/items", get(list_items).post(create_item))
        .route("/api/public", get(public_data))
        .route("/api/partner", get(partner_feed))
        .route("/api/cart", axum::routing::post(add_to_cart))
        .route("/login", axum::routing::post(login))
        .route("/api/admin", get(admin))
        .route("/api/reports", get(reports))
        .route("/api/slow", get(slow))
        .route("/api/checkout", get(checkout).post(checkout_post))
        .route("/api/stock", get(stock))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/healthz/deps", get(dependencies))
        .route("/metrics", get(metrics))
        .route("/.git/HEAD", get(git_head))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), edge))
        .with_state(state);
    let shared = state_for_caller;
    Ok((
        match config.mode {
            Mode::Weak => routes,
            Mode::Hardened => routes.layer(
                tower_http::cors::CorsLayer::new()
                    .allow_origin(HeaderValue::from_static(ALLOWED_ORIGIN))
                    .allow_credentials(true)
                    .allow_methods([Method::GET, Method::POST])
                    .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
            ),
        },
        shared,
    ))
}

/// The methods each route really has (what hardened `OPTIONS` advertises).
fn route_methods(path: &str) -> &'static str {
    match path {
        "/api/items" | "/api/checkout" => "GET, HEAD, POST, OPTIONS",
        "/login" | "/api/cart" => "POST, OPTIONS",
        _ => "GET, HEAD, OPTIONS",
    }
}

async fn edge(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let origin = request.headers().get(header::ORIGIN).cloned();

    let mut response = if state.mode == Mode::Weak && method == Method::TRACE {
        trace_echo(&request)
    } else if method == Method::OPTIONS && state.mode == Mode::Weak {
        let mut response = StatusCode::OK.into_response();
        response.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE"),
        );
        response
    } else if method == Method::OPTIONS {
        let mut response = StatusCode::NO_CONTENT.into_response();
        response.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static(route_methods(&path)),
        );
        response
    } else {
        next.run(request).await
    };

    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let headers = response.headers_mut();
    match state.mode {
        Mode::Weak => {
            headers.insert(header::SERVER, HeaderValue::from_static(VERSION_BANNER));
            headers.insert(
                HeaderName::from_static("x-powered-by"),
                HeaderValue::from_static(POWERED_BY),
            );
            // `/api/partner` trusts "our" origins with a substring test: look-alikes pass.
            let origin = origin.filter(|origin| {
                path != "/api/partner"
                    || origin.to_str().is_ok_and(|text| text.contains("127.0.0.1"))
            });
            if let Some(origin) = origin {
                if path == "/api/public" {
                    headers.insert(
                        header::ACCESS_CONTROL_ALLOW_ORIGIN,
                        HeaderValue::from_static("*"),
                    );
                } else {
                    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                }
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                    HeaderValue::from_static("true"),
                );
            }
            if path == "/app" {
                headers.insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(WEAK_APP_CSP),
                );
                headers.insert(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("unsafe-url"),
                );
            }
        }
        Mode::Hardened => {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(HARDENED_CSP),
            );
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            headers.insert(
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
            );
            headers.insert(
                HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            );
            headers.insert(
                HeaderName::from_static("cross-origin-resource-policy"),
                HeaderValue::from_static("same-origin"),
            );
            // Behind the TLS terminator this is what browsers see; over plain http they
            // ignore it (RFC 6797 section 8.1).
            headers.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=63072000; includeSubDomains"),
            );
            if !is_html {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
        }
    }

    state.telemetry.record(
        method.as_str(),
        &route,
        &path,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Weak `TRACE`: the request line and headers (cookies and all) come back as the body.
fn trace_echo(request: &Request) -> Response {
    let mut body = format!(
        "{} {} {:?}\r\n",
        request.method(),
        request.uri(),
        request.version()
    );
    for (name, value) in request.headers() {
        body.push_str(name.as_str());
        body.push_str(": ");
        body.push_str(&String::from_utf8_lossy(value.as_bytes()));
        body.push_str("\r\n");
    }
    ([(header::CONTENT_TYPE, "message/http")], body).into_response()
}

// ---------------------------------------------------------------------------------------------
// Errors: the weak service shows a panic with a backtrace; the hardened one a generic problem.

fn error_response(state: &AppState, status: StatusCode, detail: &str) -> Response {
    match state.mode {
        Mode::Weak => verbose_error(status, detail),
        Mode::Hardened => problem(status),
    }
}

fn verbose_error(status: StatusCode, detail: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>{status}</title></head><body>\n\
         <h1>{status}</h1>\n<pre>\n\
         thread 'tokio-runtime-worker' panicked at /home/deploy/gonogo-demo/src/handlers.rs:88:14:\n\
         {detail}\n\
         stack backtrace:\n\
         \x20  0: gonogo_demo_target::app::dispatch\n\
         \x20            at /home/deploy/gonogo-demo/src/app.rs:212:9\n\
         \x20  1: axum::routing::route::Route<E>::call\n\
         \x20            at /root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/axum-0.8.9/src/routing/route.rs:44:18\n\
         \x20  2: hyper::proto::h1::dispatch::Dispatcher<D,Bs,I,T>::poll_catch\n\
         \x20            at /root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/hyper-1.8.1/src/proto/h1/dispatch.rs:123:16\n\
         note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.\n\
         </pre>\n<hr><address>{VERSION_BANNER} (Debian) at 127.0.0.1</address>\n</body></html>\n",
        detail = html_escape(detail),
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn problem(status: StatusCode) -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn not_found(State(state): State<Shared>, request: Request) -> Response {
    let detail = format!("no route for {} {}", request.method(), request.uri().path());
    error_response(&state, StatusCode::NOT_FOUND, &detail)
}

async fn method_not_allowed(State(state): State<Shared>, request: Request) -> Response {
    let detail = format!(
        "method {} not allowed for {}",
        request.method(),
        request.uri().path()
    );
    let mut response = error_response(&state, StatusCode::METHOD_NOT_ALLOWED, &detail);
    response.headers_mut().insert(
        header::ALLOW,
        HeaderValue::from_static(route_methods(request.uri().path())),
    );
    response
}

fn json_rejection(state: &AppState, rejection: JsonRejection) -> Response {
    let detail = format!(
        "called `Result::unwrap()` on an `Err` value: {}",
        rejection.body_text()
    );
    error_response(state, rejection.status(), &detail)
}

// ---------------------------------------------------------------------------------------------
// Pages and data.

fn html(body: &'static str) -> Response {
    html_with_type("text/html; charset=utf-8", body)
}

fn html_with_type(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A new session id: a counter in weak mode (predictable), random in hardened mode.
fn new_session_id(state: &AppState) -> String {
    let n = state.session_counter.fetch_add(1, Ordering::Relaxed);
    match state.mode {
        Mode::Weak => format!("s{n:016x}"),
        Mode::Hardened => format!("{}{}", random_hex(n), random_hex(n ^ 0x5bd1_e995)),
    }
}

fn random_hex(salt: u64) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(salt);
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or(0),
    );
    format!("{:016x}", hasher.finish())
}

fn session_cookie_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Weak => "sessionid",
        Mode::Hardened => "__Host-sessionid",
    }
}

fn session_cookie_for(state: &AppState, id: &str) -> HeaderValue {
    let value = match state.mode {
        Mode::Weak => format!("sessionid={id}; Path=/"),
        Mode::Hardened => {
            format!("__Host-sessionid={id}; Path=/; Secure; HttpOnly; SameSite=Strict")
        }
    };
    HeaderValue::from_str(&value).expect("cookie text is ASCII")
}

fn session_cookie(state: &AppState) -> HeaderValue {
    session_cookie_for(state, &new_session_id(state))
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
}

async fn home(State(state): State<Shared>) -> Response {
    let mut response = html(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gonogo demo shop</title></head>\n<body><h1>gonogo demo shop</h1><p><a href=\"/app\">dashboard</a></p></body></html>\n",
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, session_cookie(&state));
    response
}

async fn dashboard(State(state): State<Shared>) -> Response {
    let mut response = html_with_type(
        match state.mode {
            // Weak: no charset, so browsers guess it.
            Mode::Weak => "text/html",
            Mode::Hardened => "text/html; charset=utf-8",
        },
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>dashboard</title></head>\n<body><h1>dashboard</h1><div id=\"orders\"></div></body></html>\n",
    );
    if state.mode == Mode::Weak {
        // A `__Host-` cookie without Secure: browsers refuse to store it.
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_static("__Host-theme=dark; Path=/"),
        );
    }
    response
}

async fn list_items() -> Response {
    Json(serde_json::json!({
        "items": [
            {"id": 1, "name": "espresso cup", "price_cents": 1200},
            {"id": 2, "name": "milk jug", "price_cents": 2400},
        ]
    }))
    .into_response()
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
}

async fn create_item(
    State(state): State<Shared>,
    body: Result<Json<NewItem>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(item)) => (
            StatusCode::CREATED,
            Json(serde_json::json!({"id": 3, "name": item.name})),
        )
            .into_response(),
        Err(rejection) if state.mode == Mode::Weak => {
            // The weak handler built its SQL from the raw body; the database's error comes back.
            let detail = format!(
                "database error: ERROR:  syntax error at or near \"{{\"\nLINE 1: INSERT INTO items (name) VALUES ('{{\"a\":')\n                                              ^\nSQLSTATE 42601 (PostgreSQL 15.4)\n({})",
                rejection.body_text()
            );
            verbose_error(StatusCode::INTERNAL_SERVER_ERROR, &detail)
        }
        Err(rejection) => json_rejection(&state, rejection),
    }
}

async fn public_data() -> Response {
    Json(serde_json::json!({"opening_hours": "08:00-18:00"})).into_response()
}

async fn partner_feed() -> Response {
    Json(serde_json::json!({"orders_today": 42})).into_response()
}

#[derive(Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

async fn login(
    State(state): State<Shared>,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Response {
    state
        .telemetry
        .login_attempts
        .fetch_add(1, Ordering::Relaxed);
    if state.mode == Mode::Hardened {
        let mut window = state.login_window_state.lock().await;
        let now = Instant::now();
        if now.duration_since(window.0) >= state.login_window {
            *window = (now, 0);
        }
        window.1 += 1;
        if window.1 > state.login_limit {
            // Rounded up: a client that waits this long finds the window over.
            let remaining = state
                .login_window
                .saturating_sub(now.duration_since(window.0));
            let reset = (remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0)).max(1);
            let mut response = problem(StatusCode::TOO_MANY_REQUESTS);
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from(reset));
            headers.insert(
                HeaderName::from_static("ratelimit-policy"),
                HeaderValue::from_str(&format!(
                    "\"login\";q={};w={}",
                    state.login_limit,
                    state.login_window.as_secs()
                ))
                .expect("ASCII"),
            );
            headers.insert(
                HeaderName::from_static("ratelimit"),
                HeaderValue::from_str(&format!("\"login\";r=0;t={reset}")).expect("ASCII"),
            );
            return response;
        }
    }
    let request = match body {
        Ok(Json(request)) => request,
        Err(rejection) => return json_rejection(&state, rejection),
    };
    let role = match (request.username.as_str(), request.password.as_str()) {
        ("alice", "alice-password") => "user",
        ("admin", "admin-password") => "admin",
        _ => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({"error": "invalid credentials"})),
            )
                .into_response();
        }
    };
    let token = crate::mint_token(state.mode, &request.username, role, 3600);
    let session_id = new_session_id(&state);
    let csrf_token = random_hex(0xc5f);
    state
        .sessions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(session_id.clone(), csrf_token.clone());
    let body = match state.mode {
        Mode::Weak => serde_json::json!({"token": token, "role": role}),
        Mode::Hardened => {
            serde_json::json!({"token": token, "role": role, "csrf_token": csrf_token})
        }
    };
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, session_cookie_for(&state, &session_id));
    if state.mode == Mode::Hardened {
        headers.append(
            header::SET_COOKIE,
            HeaderValue::from_str(&format!(
                "__Host-csrf={csrf_token}; Path=/; Secure; SameSite=Strict"
            ))
            .expect("ASCII"),
        );
    }
    response
}

/// `POST /api/cart`: a state change authenticated by the session cookie from `/login`. Weak
/// mode needs nothing else (any origin, any content type, no token: CSRF); hardened mode
/// refuses cross-site requests, wants JSON and the `X-CSRF-Token` issued at login.
async fn add_to_cart(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let session = cookie_value(&headers, session_cookie_name(state.mode));
    let csrf_token = session.as_ref().and_then(|id| {
        state
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    });
    let Some(csrf_token) = csrf_token else {
        return deny(&state, Denial::Missing);
    };
    if state.mode == Mode::Hardened {
        let header_text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        if header_text("sec-fetch-site") == Some("cross-site")
            || header_text("origin").is_some_and(|origin| origin != ALLOWED_ORIGIN)
            || header_text("x-csrf-token") != Some(csrf_token.as_str())
        {
            return problem(StatusCode::FORBIDDEN);
        }
        if !header_text("content-type").is_some_and(|value| value.starts_with("application/json")) {
            return problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
        }
    }
    let item: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(item) => item,
        Err(error) => return error_response(&state, StatusCode::BAD_REQUEST, &error.to_string()),
    };
    let n = state.cart_items.fetch_add(1, Ordering::Relaxed) + 1;
    Json(serde_json::json!({"added": item, "cart_items": n})).into_response()
}

// ---------------------------------------------------------------------------------------------
// Authentication.

enum Denial {
    Missing,
    Invalid,
    Forbidden,
    /// Weak mode: the token parser panicked.
    Crash(String),
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    Some(token.trim().to_owned())
}

fn deny(state: &AppState, denial: Denial) -> Response {
    match (state.mode, denial) {
        (_, Denial::Crash(detail)) => verbose_error(StatusCode::INTERNAL_SERVER_ERROR, &detail),
        (Mode::Weak, Denial::Missing | Denial::Invalid) => (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"error": "unauthorized"})),
        )
            .into_response(),
        (Mode::Hardened, Denial::Missing) => {
            let mut response = problem(StatusCode::UNAUTHORIZED);
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"gonogo-demo\""),
            );
            response
        }
        (Mode::Hardened, Denial::Invalid) => {
            let mut response = problem(StatusCode::UNAUTHORIZED);
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"gonogo-demo\", error=\"invalid_token\""),
            );
            response
        }
        (_, Denial::Forbidden) => problem(StatusCode::FORBIDDEN),
    }
}

/// Hardened verification: HS256 only, signature, `exp` and role `admin`.
fn verify_hardened(headers: &HeaderMap) -> Result<Claims, Denial> {
    let token = bearer(headers).ok_or(Denial::Missing)?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<Claims>(
        &token,
        &jsonwebtoken::DecodingKey::from_secret(jwt_secret(Mode::Hardened).as_bytes()),
        &validation,
    )
    .map_err(|_| Denial::Invalid)?;
    if data.claims.role != "admin" {
        return Err(Denial::Forbidden);
    }
    Ok(data.claims)
}

fn decode_segment(segment: &str) -> Result<serde_json::Value, Denial> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .map_err(|error| {
            Denial::Crash(format!(
                "called `Result::unwrap()` on an `Err` value: {error}"
            ))
        })?;
    serde_json::from_slice(&bytes).map_err(|error| {
        Denial::Crash(format!(
            "called `Result::unwrap()` on an `Err` value: Error(\"{error}\")"
        ))
    })
}

/// The weak `/api/admin` check: a hand-rolled parser with the classic mistakes.
async fn verify_weak_admin(headers: &HeaderMap) -> Result<serde_json::Value, Denial> {
    let token = bearer(headers).ok_or(Denial::Missing)?;
    let segments: Vec<&str> = token.split('.').collect();
    if segments.len() != 3 {
        return Err(Denial::Crash(format!(
            "index out of bounds: the len is {} but the index is 2",
            segments.len()
        )));
    }
    let header = decode_segment(segments[0])?;
    let claims = decode_segment(segments[1])?;
    let algorithm = header.get("alg").and_then(|alg| alg.as_str()).unwrap_or("");
    // Mistake: "no algorithm" or "no signature" means "nothing to verify".
    if algorithm.eq_ignore_ascii_case("none") || segments[2].is_empty() {
        return Ok(claims);
    }
    // Mistake: the verification key comes from wherever the token's `jku` says ("our key
    // service is internal"). The demo fetches from 127.0.0.1 only, so it never reaches out.
    if let Some(jku) = header.get("jku").and_then(|jku| jku.as_str()) {
        return verify_with_jku(&token, &header, jku).await;
    }
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    // Mistakes: expiry is not checked, and neither (below) is the role.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(
        &token,
        &jsonwebtoken::DecodingKey::from_secret(jwt_secret(Mode::Weak).as_bytes()),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|_| Denial::Invalid)
}

/// Weak: verifies `token` with the key the `jku` URL serves (its `kid`, else the first key).
async fn verify_with_jku(
    token: &str,
    header: &serde_json::Value,
    jku: &str,
) -> Result<serde_json::Value, Denial> {
    let jwks = fetch_loopback_json(jku).await.ok_or(Denial::Invalid)?;
    let set: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(jwks).map_err(|_| Denial::Invalid)?;
    let jwk = match header.get("kid").and_then(|kid| kid.as_str()) {
        Some(kid) => set.find(kid),
        None => set.keys.first(),
    }
    .ok_or(Denial::Invalid)?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|_| Denial::Invalid)?;
    let algorithm: jsonwebtoken::Algorithm = header
        .get("alg")
        .and_then(|alg| alg.as_str())
        .and_then(|alg| alg.parse().ok())
        .ok_or(Denial::Invalid)?;
    let mut validation = jsonwebtoken::Validation::new(algorithm);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .map(|data| data.claims)
        .map_err(|_| Denial::Invalid)
}

/// GET `url` when it is `http://127.0.0.1:<port>/<path>` (anything else: `None`, without a
/// request), within 2 s, reading at most 64 KiB; the body as JSON when the status is 200.
/// A minimal HTTP/1.1 client: one request, `Connection: close`, no chunked bodies.
pub(crate) async fn fetch_loopback_json(url: &str) -> Option<serde_json::Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://127.0.0.1:")?;
    let (port, path) = rest.split_at(rest.find('/')?);
    let port: u16 = port.parse().ok()?;
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let exchange = async {
        let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: gonogo-demo-weak-jku\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        socket.write_all(request.as_bytes()).await.ok()?;
        let mut response = Vec::new();
        socket
            .take(64 * 1024)
            .read_to_end(&mut response)
            .await
            .ok()?;
        Some(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(2), exchange)
        .await
        .ok()??;
    let split = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&response[..split]);
    if head.split(' ').nth(1) != Some("200") {
        return None;
    }
    serde_json::from_slice(&response[split + 4..]).ok()
}

fn admin_data() -> serde_json::Value {
    serde_json::json!({
        "users": [
            {"name": "alice", "email": "alice@example.com", "role": "user"},
            {"name": "admin", "email": "admin@example.com", "role": "admin"},
        ]
    })
}

async fn admin(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let verdict = match state.mode {
        Mode::Weak => verify_weak_admin(&headers).await.map(|_| ()),
        Mode::Hardened => verify_hardened(&headers).map(|_| ()),
    };
    match verdict {
        Ok(()) => Json(admin_data()).into_response(),
        Err(denial) => deny(&state, denial),
    }
}

async fn reports(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let verdict = match state.mode {
        // Weak: "the gateway checks the token", so the service checks nothing.
        Mode::Weak => Ok(()),
        Mode::Hardened => verify_hardened(&headers).map(|_| ()),
    };
    match verdict {
        Ok(()) => {
            Json(serde_json::json!({"revenue_cents": 12_345_600, "orders": 4211})).into_response()
        }
        Err(denial) => deny(&state, denial),
    }
}

// ---------------------------------------------------------------------------------------------
// Performance and reliability flaws.

async fn slow(State(state): State<Shared>) -> Response {
    let n = state.slow_counter.fetch_add(1, Ordering::Relaxed);
    if state.mode == Mode::Weak && n % 10 == 9 {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Json(serde_json::json!({"report": "ready", "request": n})).into_response()
}

async fn checkout(State(state): State<Shared>) -> Response {
    let n = state.checkout_counter.fetch_add(1, Ordering::Relaxed);
    if state.mode == Mode::Weak && n % 20 == 19 {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"error": "payment provider unavailable"})),
        )
            .into_response();
    }
    Json(serde_json::json!({"order": n, "status": "confirmed"})).into_response()
}

#[derive(Deserialize)]
struct CheckoutRequest {
    #[allow(dead_code)]
    items: Vec<u64>,
}

async fn checkout_post(
    State(state): State<Shared>,
    body: Result<Json<CheckoutRequest>, JsonRejection>,
) -> Response {
    match body {
        Ok(_) => checkout(State(state)).await,
        Err(rejection) => json_rejection(&state, rejection),
    }
}

/// Weak: the deployment copied the repository into the static folder.
async fn git_head(State(state): State<Shared>, request: Request) -> Response {
    match state.mode {
        Mode::Weak => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ref: refs/heads/main\n",
        )
            .into_response(),
        Mode::Hardened => not_found(State(state), request).await,
    }
}

async fn healthz() -> Response {
    Json(serde_json::json!({"status": "up"})).into_response()
}

async fn readyz(State(state): State<Shared>) -> Response {
    if state.mode == Mode::Weak {
        // Weak: "ready" no matter what the database or the inventory say.
        return Json(serde_json::json!({"status": "ready"})).into_response();
    }
    // Hardened: the inventory counts as up while the breaker is closed; an open breaker whose
    // time is up is tried from here too, so readiness recovers without traffic.
    let breaker = &state.breaker;
    if !breaker.is_closed() && breaker.permit(Instant::now()) {
        let _ = guarded_stock(&state).await;
    }
    let mut failing = Vec::new();
    if !state.dependency_up {
        failing.push("database");
    }
    if !breaker.is_closed() {
        failing.push("inventory");
    }
    if failing.is_empty() {
        Json(serde_json::json!({"status": "ready"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "not ready", "failing": failing})),
        )
            .into_response()
    }
}

/// Hardened: one permitted question to the inventory within the timeout; the breaker learns
/// the outcome.
async fn guarded_stock(state: &AppState) -> Option<u64> {
    let asked = tokio::time::timeout(
        crate::inventory::CALL_TIMEOUT,
        crate::inventory::ask(state.inventory_target, "widget"),
    )
    .await;
    match asked {
        Ok(Ok(count)) => {
            state.breaker.success();
            state.last_stock.store(count, Ordering::Relaxed);
            Some(count)
        }
        _ => {
            state.breaker.failure(Instant::now());
            None
        }
    }
}

/// `GET /api/stock`: the item's count from the inventory dependency.
///
/// Weak: asks with no timeout and no breaker; a failure is a 500 page with a stack trace.
/// Hardened: asks within the timeout through the breaker, and answers from the last known
/// count (`"source": "cache"`) while the inventory fails (503 only before any count is known).
async fn stock(State(state): State<Shared>) -> Response {
    if state.mode == Mode::Weak {
        return match crate::inventory::ask(state.inventory_target, "widget").await {
            Ok(count) => {
                Json(serde_json::json!({"sku": "widget", "stock": count, "source": "live"}))
                    .into_response()
            }
            Err(e) => verbose_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("called `Result::unwrap()` on an `Err` value: inventory: {e}"),
            ),
        };
    }
    if state.breaker.permit(Instant::now())
        && let Some(count) = guarded_stock(&state).await
    {
        return Json(serde_json::json!({"sku": "widget", "stock": count, "source": "live"}))
            .into_response();
    }
    match state.last_stock.load(Ordering::Relaxed) {
        u64::MAX => problem(StatusCode::SERVICE_UNAVAILABLE),
        count => Json(serde_json::json!({
            "sku": "widget",
            "stock": count,
            "source": "cache",
            "breaker": state.breaker.state().name(),
        }))
        .into_response(),
    }
}

async fn dependencies(State(state): State<Shared>) -> Response {
    let (status, word) = if state.dependency_up {
        (StatusCode::OK, "up")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "down")
    };
    (
        status,
        Json(serde_json::json!({
            "status": word,
            "dependencies": {"database": {"status": word}},
        })),
    )
        .into_response()
}

async fn metrics(State(state): State<Shared>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        Body::from(state.telemetry.render_metrics(state.dependency_up)),
    )
        .into_response()
}
