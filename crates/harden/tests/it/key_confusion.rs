//! RS256 services and the HS256 key-confusion attack (H-26): a vulnerable verifier that takes
//! the algorithm from the token and keys HMAC with its public key PEM, and a fixed one that
//! accepts RS256 only. The RSA key pair comes from the openssl CLI; without it the test prints
//! why and returns.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use axum::http::{HeaderMap, StatusCode};
use gonogo_harden::{AuthConfig, AuthSecrets, HardenConfig, Status, audit};

fn rsa_key_pair() -> Option<(PathBuf, Vec<u8>, Vec<u8>)> {
    let dir = std::env::temp_dir().join(format!("gonogo-rsa-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let run = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !(run(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "key.pem",
    ]) && run(&["pkey", "-in", "key.pem", "-pubout", "-out", "public.pem"]))
    {
        gonogo_testkit::missing_tool(
            "openssl (the CLI is missing or failed; apt-get install openssl)",
            "key_confusion",
        );
        return None;
    }
    let private = std::fs::read(dir.join("key.pem")).unwrap();
    let public = std::fs::read(dir.join("public.pem")).unwrap();
    Some((dir, private, public))
}

/// Serves `/api/secret` behind a JWT check; `vulnerable` trusts the token's `alg`.
async fn rs256_service(
    public_pem: Vec<u8>,
    vulnerable: bool,
) -> (String, tokio::task::JoinHandle<()>) {
    let check = move |headers: HeaderMap| {
        let public_pem = public_pem.clone();
        async move {
            let Some(token) = headers
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "))
            else {
                return (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Bearer")],
                    "{}",
                );
            };
            let Ok(header) = jsonwebtoken::decode_header(token) else {
                return (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Bearer")],
                    "{}",
                );
            };
            let (algorithm, key) = match header.alg {
                jsonwebtoken::Algorithm::RS256 => (
                    jsonwebtoken::Algorithm::RS256,
                    jsonwebtoken::DecodingKey::from_rsa_pem(&public_pem).unwrap(),
                ),
                // The classic mistake: the token chooses HMAC, and the "key" is the PEM text.
                jsonwebtoken::Algorithm::HS256 if vulnerable => (
                    jsonwebtoken::Algorithm::HS256,
                    jsonwebtoken::DecodingKey::from_secret(&public_pem),
                ),
                _ => {
                    return (
                        StatusCode::UNAUTHORIZED,
                        [("www-authenticate", "Bearer")],
                        "{}",
                    );
                }
            };
            let validation = jsonwebtoken::Validation::new(algorithm);
            match jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation) {
                Ok(_) => (
                    StatusCode::OK,
                    [("cache-control", "no-store")],
                    r#"{"secret":42}"#,
                ),
                Err(_) => (
                    StatusCode::UNAUTHORIZED,
                    [("www-authenticate", "Bearer")],
                    "{}",
                ),
            }
        }
    };
    let app = axum::Router::new().route("/api/secret", axum::routing::get(check));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_rs256_service_that_lets_the_token_pick_hmac_is_caught() {
    let Some((dir, private_pem, public_pem)) = rsa_key_pair() else {
        return;
    };
    let now = jiff::Timestamp::now().as_second();
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &serde_json::json!({"sub": "admin", "role": "admin", "exp": now + 600}),
        &jsonwebtoken::EncodingKey::from_rsa_pem(&private_pem).unwrap(),
    )
    .unwrap();
    let config = HardenConfig {
        auth: Some(AuthConfig {
            protected: vec!["/api/secret".into()],
            public_key_file: Some(dir.join("public.pem")),
            ..AuthConfig::default()
        }),
        ..HardenConfig::default()
    };
    let secrets = AuthSecrets {
        valid_token: Some(token),
        ..AuthSecrets::default()
    };
    for (vulnerable, expected) in [(true, Status::Fail), (false, Status::Pass)] {
        let (url, server) = rs256_service(public_pem.clone(), vulnerable).await;
        let report = audit(&url, &config, &secrets).await.unwrap();
        let check = report.check("auth-key-confusion-accepted").unwrap();
        assert_eq!(
            check.status, expected,
            "vulnerable = {vulnerable}: {check:?}"
        );
        // The other token checks ran against a working baseline and pass on both services.
        for id in [
            "auth-alg-none-accepted",
            "auth-bad-signature-accepted",
            "auth-embedded-jwk-accepted",
            "auth-jku-accepted",
            "auth-empty-signature-accepted",
        ] {
            assert_eq!(report.check(id).unwrap().status, Status::Pass, "{id}");
        }
        // HMAC secret guessing does not apply to an RS256 token.
        assert_eq!(
            report.check("auth-weak-hmac-secret").unwrap().status,
            Status::NotApplicable
        );
        server.abort();
    }
    std::fs::remove_dir_all(dir).unwrap();
}
