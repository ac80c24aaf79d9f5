//! Audits the built-in demo target and prints the table `gonogo harden` prints:
//! `cargo run -p gonogo-harden --example audit_demo [weak|hardened]`.
//!
//! It starts the demo target on a loopback port, opens a session, mints the tokens
//! the auth checks need, and runs the audit with the demo's `[harden]` table (the same one
//! `docs/harden.md` shows).

use gonogo_demo_target::{Mode, jwt_secret, mint_token, spawn};
use gonogo_harden::{AuthSecrets, audit, cli};

const DEMO_POLICY: &str = r#"
[harden]
paths = ["/app", "/api/items", "/api/public", "/api/partner"]
json_endpoints = ["/api/items"]
strict_secure_cookies = true

[harden.rate_limit]
path = "/login"
max_requests = 30

[harden.auth]
protected = ["/api/admin", "/api/reports"]

[harden.csrf]
path = "/api/cart"
body = '{"item": 1}'
"#;

fn main() -> anyhow::Result<()> {
    let mode = match std::env::args().nth(1).as_deref() {
        None | Some("weak") => Mode::Weak,
        Some("hardened") => Mode::Hardened,
        Some(other) => anyhow::bail!("unknown mode `{other}`: weak or hardened"),
    };
    let server = spawn(mode)?;
    let config = cli::parse_policy(DEMO_POLICY).map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let session = server.session();
    let secrets = AuthSecrets {
        valid_token: Some(mint_token(mode, "admin", "admin", 600)),
        lower_role_token: Some(mint_token(mode, "alice", "user", 600)),
        hmac_secret: Some(jwt_secret(mode).to_owned()),
        session_cookie: Some(session.cookie),
        csrf_token: session.csrf_token,
        ..AuthSecrets::default()
    };
    let report = runtime.block_on(audit(&server.base_url(), &config, &secrets))?;
    print!("{}", cli::render_table(&report));
    Ok(())
}
