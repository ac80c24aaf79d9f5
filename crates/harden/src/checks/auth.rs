//! Authentication and role enforcement on the declared protected routes (H-20 to H-25, H-28,
//! H-29), and the caching of authenticated responses (H-08).
//!
//! For each protected path:
//! 1. **Baseline**: the valid token (from `token_env`) must get a 2xx, whose response must
//!    carry `Cache-Control: no-store` (H-08). Otherwise every
//!    token-based check on that path is an `error` ("inconclusive"): a service that rejects
//!    everything would pass them all.
//! 2. No token (H-20); malformed tokens (H-21: `Bearer`, `Bearer x.y`, a Basic credential,
//!    10 kB of garbage).
//! 3. Forged variants of the valid token: expired (H-22, re-signed with `hmac_secret_env` or
//!    taken from `expired_token_env`), corrupted signature (H-23), `alg` none in four spellings
//!    with an empty signature (H-24), the original header with an empty signature (H-25), the
//!    claims signed with gonogo's own ES256 key embedded as `jwk` (H-27) or named by a `jku`
//!    URL whose key set gonogo serves on loopback meanwhile ([`crate::checks::jwks`]; whether
//!    the service fetched it is noted), an RS/ES/PS token
//!    re-signed as HS256 keyed with the service's public key (H-26, needs `public_key_file`);
//!    and the lower-role token (H-29).
//! 4. **Persistence**: the valid token again; if it is now refused (a lock-out), refusals
//!    above prove nothing and become errors.
//!
//! A forged token is refused when the status is one of `deny_statuses` (default 401, 403).
//! 2xx is *accepted* (the rule's severity), a refusal whose body equals the baseline's body
//! still leaks the data (high), 5xx is a crash (medium), anything else (404, 302) is low.
//! H-28 sends nothing: it checks offline whether the valid HS256/384/512 token's signature
//! verifies with an empty or common secret.
//!
//! Tokens are secrets: excerpts show only the first characters of the supplied tokens.

use crate::checks::jwks::{Fetch, JwksServer};
use crate::config::{AuthConfig, AuthSecrets};
use crate::http::{Exchange, Probe, Session};
use crate::report::{Confidence, Finding, Outcomes};
use crate::rules::{FindingSeverity, Rule, rule};
use base64::Engine as _;

/// Secrets tried offline against an HMAC-signed token (H-28): the jwt_tool / hashcat classics.
const COMMON_SECRETS: &[&str] = &[
    "",
    "secret",
    "password",
    "changeme",
    "123456",
    "jwt",
    "key",
    "secretkey",
    "secret123",
    "your-256-bit-secret",
    "your-secret-key",
    "test",
    "admin",
    "default",
    "jwt_secret",
    "mysecret",
    "supersecret",
    "s3cr3t",
    "qwerty",
    "letmein",
];

/// gonogo's own, published, throw-away ES256 key (H-27): a token signed with it and carrying
/// its public half as `jwk` is accepted only by a service that trusts keys from the token.
const EMBEDDED_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjZK4IgG2j2LpIxlD
U3JJZ1CSTx5GqdiFz7id42yJKMuhRANCAARMgogwGVI0QJ6MpkRxAi2l9zND2Ubv
hMdyP0dFFLrleNYeUyWx1ahXbJW7/yYHXMOnamquyW7LU8NIK60iAYSs
-----END PRIVATE KEY-----
";
const EMBEDDED_KEY_X: &str = "TIKIMBlSNECejKZEcQItpfczQ9lG74THcj9HRRS65Xg";
const EMBEDDED_KEY_Y: &str = "1h5TJbHVqFdslbv_Jgdcw6dqaq7JbstTw0grrSIBhKw";

/// The key id gonogo's key carries in its key set and in `jku` tokens.
const JKU_KEY_ID: &str = "gonogo-harden-jku";

/// `claims` (base64url segment) signed with gonogo's key, the public key in the header.
fn embedded_jwk_token(payload_segment: &str) -> Option<String> {
    let header = serde_json::json!({
        "alg": "ES256",
        "typ": "JWT",
        "jwk": {"kty": "EC", "crv": "P-256", "x": EMBEDDED_KEY_X, "y": EMBEDDED_KEY_Y},
    });
    sign_es256(&header, payload_segment)
}

/// `claims` signed with gonogo's key, the header pointing `jku` at the key set gonogo serves.
fn jku_token(payload_segment: &str, jku: &str) -> Option<String> {
    let header = serde_json::json!({
        "alg": "ES256",
        "typ": "JWT",
        "kid": JKU_KEY_ID,
        "jku": jku,
    });
    sign_es256(&header, payload_segment)
}

/// The key set served for the `jku` variant: gonogo's public key.
fn jwks_document() -> String {
    serde_json::json!({
        "keys": [{
            "kty": "EC",
            "crv": "P-256",
            "x": EMBEDDED_KEY_X,
            "y": EMBEDDED_KEY_Y,
            "kid": JKU_KEY_ID,
            "use": "sig",
            "alg": "ES256",
        }]
    })
    .to_string()
}

/// `header` (a JSON object) and the payload segment, signed ES256 with gonogo's key.
fn sign_es256(header: &serde_json::Value, payload_segment: &str) -> Option<String> {
    let header = encode_json(header.as_object()?);
    let input = format!("{header}.{payload_segment}");
    let der: String = EMBEDDED_KEY_PEM
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD.decode(der).ok()?;
    let key = jsonwebtoken::EncodingKey::from_ec_der(&der);
    let signature =
        jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::ES256).ok()?;
    Some(format!("{input}.{signature}"))
}

const TOKEN_RULES: &[&str] = &[
    "auth-key-confusion-accepted",
    "auth-embedded-jwk-accepted",
    "auth-jku-accepted",
    "auth-response-cacheable",
    "auth-expired-token-accepted",
    "auth-bad-signature-accepted",
    "auth-alg-none-accepted",
    "auth-empty-signature-accepted",
    "auth-lower-role-accepted",
];

/// A JWT split into its three segments.
struct Jwt<'a> {
    header_segment: &'a str,
    payload_segment: &'a str,
    signature: &'a str,
    header: serde_json::Map<String, serde_json::Value>,
    claims: serde_json::Map<String, serde_json::Value>,
}

fn decode_json(segment: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn encode_json(value: &serde_json::Map<String, serde_json::Value>) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(value).unwrap_or_default())
}

impl<'a> Jwt<'a> {
    fn parse(token: &'a str) -> Option<Jwt<'a>> {
        let mut segments = token.split('.');
        let (header_segment, payload_segment, signature) =
            (segments.next()?, segments.next()?, segments.next()?);
        if segments.next().is_some() {
            return None;
        }
        Some(Jwt {
            header_segment,
            payload_segment,
            signature,
            header: decode_json(header_segment)?,
            claims: decode_json(payload_segment)?,
        })
    }

    fn algorithm(&self) -> Option<jsonwebtoken::Algorithm> {
        match self.header.get("alg")?.as_str()? {
            "HS256" => Some(jsonwebtoken::Algorithm::HS256),
            "HS384" => Some(jsonwebtoken::Algorithm::HS384),
            "HS512" => Some(jsonwebtoken::Algorithm::HS512),
            _ => None,
        }
    }

    fn signing_input(&self) -> String {
        format!("{}.{}", self.header_segment, self.payload_segment)
    }
}

fn hmac(message: &str, secret: &str, algorithm: jsonwebtoken::Algorithm) -> Option<String> {
    jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        algorithm,
    )
    .ok()
}

/// How the service answered a token.
enum Answer {
    Accepted,
    Refused,
    RefusedWithData,
    Crashed,
    Other,
}

impl Answer {
    fn is_refused(&self) -> bool {
        matches!(self, Answer::Refused)
    }
}

fn judge(exchange: &Exchange, deny: &[u16], baseline_body: Option<&[u8]>) -> Answer {
    if exchange.is_success() {
        Answer::Accepted
    } else if deny.contains(&exchange.status) {
        match baseline_body {
            Some(body) if !body.is_empty() && exchange.body == body => Answer::RefusedWithData,
            _ => Answer::Refused,
        }
    } else if exchange.status >= 500 {
        Answer::Crashed
    } else {
        Answer::Other
    }
}

/// Records the finding a non-refusal deserves, if any.
fn grade(
    out: &mut Outcomes,
    rule: &'static Rule,
    exchange: &Exchange,
    what: &str,
    deny: &[u16],
    baseline_body: Option<&[u8]>,
) {
    out.ran(rule);
    let path = &exchange.path;
    let status = exchange.status;
    let finding = match judge(exchange, deny, baseline_body) {
        Answer::Refused => return,
        Answer::Accepted => Finding::new(
            rule,
            exchange,
            format!("{path}: {what} was accepted ({status})"),
            None,
        ),
        Answer::RefusedWithData => Finding::new(
            rule,
            exchange,
            format!("{path}: {what} got {status} but the body is the protected response"),
            None,
        )
        .severity(FindingSeverity::High),
        Answer::Crashed => Finding::new(
            rule,
            exchange,
            format!("{path}: {what} crashed the handler ({status}) instead of being refused"),
            None,
        )
        .severity(FindingSeverity::Medium),
        Answer::Other => Finding::new(
            rule,
            exchange,
            format!("{path}: {what} got {status}, not a refusal ({deny:?})"),
            None,
        )
        .severity(FindingSeverity::Low),
    };
    out.finding(finding);
}

/// How a token shows in a request excerpt: nothing of it (issue 15: even a prefix helps to find
/// or guess a token).
fn shown(_token: &str, description: &str) -> String {
    format!("Bearer {} ({description})", gonogo_core::redact::REDACTED)
}

pub async fn check(
    session: &mut Session,
    config: Option<&AuthConfig>,
    secrets: &AuthSecrets,
    out: &mut Outcomes,
) {
    let all_ids = [
        "auth-missing-token-accepted",
        "auth-www-authenticate-missing",
        "auth-malformed-token-not-refused",
        "auth-expired-token-accepted",
        "auth-bad-signature-accepted",
        "auth-alg-none-accepted",
        "auth-empty-signature-accepted",
        "auth-weak-hmac-secret",
        "auth-lower-role-accepted",
        "auth-response-cacheable",
        "auth-embedded-jwk-accepted",
        "auth-jku-accepted",
        "auth-key-confusion-accepted",
    ];
    let Some(config) = config.filter(|config| !config.protected.is_empty()) else {
        for id in all_ids {
            out.skipped(rule(id), "no [harden.auth] protected routes declared");
        }
        return;
    };
    let deny = &config.deny_statuses;
    let valid_token = secrets.valid_token.as_deref();
    let jwt = valid_token.and_then(Jwt::parse);

    // H-28, offline.
    let weak_secret = rule("auth-weak-hmac-secret");
    match (&valid_token, &jwt) {
        (None, _) => out.skipped(
            weak_secret,
            format!("no valid token (set ${})", config.token_env),
        ),
        (Some(_), None) => out.not_applicable(weak_secret, "the valid token is not a JWT"),
        (Some(_), Some(jwt)) => match jwt.algorithm() {
            None => out.not_applicable(
                weak_secret,
                "the valid token is not HMAC-signed (HS256/384/512)",
            ),
            Some(algorithm) => {
                out.ran(weak_secret);
                let input = jwt.signing_input();
                if let Some(secret) = COMMON_SECRETS.iter().find(|secret| {
                    hmac(&input, secret, algorithm).as_deref() == Some(jwt.signature)
                }) {
                    let shown_secret = if secret.is_empty() {
                        "(empty)".to_owned()
                    } else {
                        format!("`{secret}`")
                    };
                    out.finding(Finding {
                        check: weak_secret.id,
                        severity: weak_secret.severity,
                        confidence: Confidence::Confirmed,
                        message: format!("the valid token's {algorithm:?} signature verifies with the secret {shown_secret}: anyone can mint tokens"),
                        request: "(offline) HMAC(header.payload of the valid token) with each common secret".into(),
                        response: format!("signature matches with the secret {shown_secret}"),
                    });
                }
            }
        },
    }
    let token_reason = if valid_token.is_none() {
        Some(format!(
            "no valid token to forge from or compare with (set ${})",
            config.token_env
        ))
    } else if jwt.is_none() {
        Some("the valid token is not a JWT (three base64url JSON segments)".to_owned())
    } else {
        None
    };

    // H-27 `jku`: gonogo's key set, served on loopback while the paths are checked. A target
    // elsewhere could not reach it (its own 127.0.0.1 is another machine).
    let jku_rule = rule("auth-jku-accepted");
    let mut jwks: Option<JwksServer> = None;
    // Fetches of the key set already reported in a note.
    let mut fetches_reported = 0;
    if token_reason.is_none() {
        if !session.target().is_loopback() {
            out.not_applicable(
                jku_rule,
                "the target is not on loopback: it cannot reach the key set gonogo serves on 127.0.0.1",
            );
        } else {
            match JwksServer::start(jwks_document(), session.timeout()).await {
                Ok(server) => jwks = Some(server),
                Err(error) => out.error(
                    jku_rule,
                    format!("cannot serve the key set on 127.0.0.1: {error}"),
                ),
            }
        }
    }

    for path in &config.protected {
        let path = path.as_str();
        let mut baseline_body: Option<Vec<u8>> = None;
        let mut baseline_ok = false;
        if let Some(token) = valid_token {
            let probe = Probe::get(path)
                .authorization(format!("Bearer {token}"), shown(token, "the valid token"));
            match session.send(&probe).await {
                Ok(exchange) if exchange.is_success() => {
                    baseline_ok = true;
                    baseline_body = Some(exchange.body.clone());
                    // H-08: an authenticated response must not be stored by caches.
                    let cacheable = rule("auth-response-cacheable");
                    out.ran(cacheable);
                    let no_store = exchange.header_all("cache-control").any(|value| {
                        value
                            .split(',')
                            .any(|directive| directive.trim().eq_ignore_ascii_case("no-store"))
                    });
                    if !no_store {
                        out.finding(Finding::new(
                            cacheable,
                            &exchange,
                            format!(
                                "{path}: the authenticated response has no Cache-Control: no-store"
                            ),
                            None,
                        ));
                    }
                }
                Ok(exchange) => {
                    for id in TOKEN_RULES {
                        out.error(
                            rule(id),
                            format!("inconclusive on {path}: the valid token got {} (expected 2xx), so refusals prove nothing", exchange.status),
                        );
                    }
                }
                Err(error) => {
                    for id in TOKEN_RULES {
                        out.error(
                            rule(id),
                            format!("{path}: baseline request failed: {error}"),
                        );
                    }
                }
            }
        }
        let baseline = baseline_body.as_deref();

        // H-20: no token.
        match session.send(&Probe::get(path)).await {
            Ok(exchange) => {
                grade(
                    out,
                    rule("auth-missing-token-accepted"),
                    &exchange,
                    "a request without a token",
                    deny,
                    baseline,
                );
                out.ran(rule("auth-www-authenticate-missing"));
                if exchange.status == 401 && exchange.header("www-authenticate").is_none() {
                    out.finding(Finding::new(
                        rule("auth-www-authenticate-missing"),
                        &exchange,
                        format!("{path}: 401 without WWW-Authenticate"),
                        None,
                    ));
                }
            }
            Err(error) => {
                out.error(rule("auth-missing-token-accepted"), error.to_string());
                out.error(rule("auth-www-authenticate-missing"), error.to_string());
            }
        }

        // H-21: malformed.
        let garbage = "A".repeat(10 * 1024);
        let malformed = [
            ("Bearer".to_owned(), "an empty Bearer credential"),
            ("Bearer x.y".to_owned(), "a two-segment token"),
            (
                "Basic Z29ub2dvOmdvbm9nbw==".to_owned(),
                "a Basic credential",
            ),
            (format!("Bearer {garbage}"), "10 kB of garbage"),
        ];
        for (value, what) in &malformed {
            let shown_value = crate::http::shorten(value, 40);
            let probe = Probe::get(path).authorization(value.clone(), shown_value);
            match session.send(&probe).await {
                Ok(exchange) => {
                    let malformed_rule = rule("auth-malformed-token-not-refused");
                    out.ran(malformed_rule);
                    if !out.has_findings(malformed_rule) {
                        match judge(&exchange, deny, baseline) {
                            Answer::Accepted | Answer::RefusedWithData => out.finding(
                                Finding::new(
                                    malformed_rule,
                                    &exchange,
                                    format!("{path}: {what} was accepted ({})", exchange.status),
                                    None,
                                )
                                .severity(FindingSeverity::High),
                            ),
                            Answer::Crashed => out.finding(Finding::new(
                                malformed_rule,
                                &exchange,
                                format!("{path}: {what} crashed the handler ({})", exchange.status),
                                None,
                            )),
                            // Any other 4xx (400, 431 for the 10 kB header) refuses too.
                            Answer::Other if (400..500).contains(&exchange.status) => {}
                            Answer::Other => out.finding(
                                Finding::new(
                                    malformed_rule,
                                    &exchange,
                                    format!(
                                        "{path}: {what} got {}, not a refusal",
                                        exchange.status
                                    ),
                                    None,
                                )
                                .severity(FindingSeverity::Low),
                            ),
                            Answer::Refused => {}
                        }
                    }
                }
                Err(error) => {
                    out.error(rule("auth-malformed-token-not-refused"), error.to_string())
                }
            }
        }

        if let Some(reason) = &token_reason {
            for id in TOKEN_RULES {
                out.skipped(rule(id), reason.clone());
            }
            continue;
        }
        if !baseline_ok {
            continue;
        }
        let (Some(token), Some(jwt)) = (valid_token, jwt.as_ref()) else {
            continue;
        };

        // Forged variants: (rule, token sent, description shown).
        let mut variants: Vec<(&'static str, String, String)> = Vec::new();
        let expired = match (
            &secrets.hmac_secret,
            jwt.algorithm(),
            &secrets.expired_token,
        ) {
            (Some(secret), Some(algorithm), _) => {
                let now = jiff::Timestamp::now().as_second();
                let mut claims = jwt.claims.clone();
                claims.insert("exp".into(), (now - 3600).into());
                if claims.contains_key("iat") {
                    claims.insert("iat".into(), (now - 7200).into());
                }
                if claims.contains_key("nbf") {
                    claims.insert("nbf".into(), (now - 7200).into());
                }
                let input = format!("{}.{}", jwt.header_segment, encode_json(&claims));
                hmac(&input, secret, algorithm).map(|signature| format!("{input}.{signature}"))
            }
            (_, _, Some(expired)) => Some(expired.clone()),
            _ => None,
        };
        match expired {
            Some(expired) => variants.push((
                "auth-expired-token-accepted",
                expired,
                "the valid claims with exp = now - 3600, correctly signed".into(),
            )),
            None => out.skipped(
                rule("auth-expired-token-accepted"),
                format!(
                    "needs ${} (an HS* secret of the test environment) or ${}",
                    config.hmac_secret_env, config.expired_token_env
                ),
            ),
        }
        let flipped: String = {
            let keep = jwt.signature.len().saturating_sub(4);
            let tail: String = jwt.signature[keep..]
                .chars()
                .map(|c| if c == 'A' { 'B' } else { 'A' })
                .collect();
            format!("{}.{}{}", jwt.signing_input(), &jwt.signature[..keep], tail)
        };
        variants.push((
            "auth-bad-signature-accepted",
            flipped,
            "the valid token with the last 4 signature characters changed".into(),
        ));
        for spelling in ["none", "None", "NONE", "nOnE"] {
            let mut header = jwt.header.clone();
            header.insert("alg".into(), spelling.into());
            variants.push((
                "auth-alg-none-accepted",
                format!("{}.{}.", encode_json(&header), jwt.payload_segment),
                format!("alg \"{spelling}\", the valid claims, an empty signature"),
            ));
        }
        variants.push((
            "auth-empty-signature-accepted",
            format!("{}.", jwt.signing_input()),
            "the valid header and claims with an empty signature".into(),
        ));
        // H-26: the public key as an HMAC secret, as the file has it, trimmed, and with one
        // trailing newline (libraries differ in what they hand the HMAC).
        let confusion = rule("auth-key-confusion-accepted");
        let asymmetric = jwt
            .header
            .get("alg")
            .and_then(|alg| alg.as_str())
            .is_some_and(|alg| {
                ["RS", "PS", "ES"]
                    .iter()
                    .any(|family| alg.starts_with(family))
            });
        match (&config.public_key_file, asymmetric) {
            (_, false) => out.not_applicable(confusion, "the valid token is not RS/PS/ES-signed"),
            (None, true) => out.skipped(confusion, "no [harden.auth] public_key_file"),
            (Some(path), true) => match std::fs::read_to_string(path) {
                Err(error) => out.error(confusion, format!("{}: {error}", path.display())),
                Ok(pem) => {
                    let mut header = jwt.header.clone();
                    header.insert("alg".into(), "HS256".into());
                    let input = format!("{}.{}", encode_json(&header), jwt.payload_segment);
                    let mut secrets = vec![pem.clone(), pem.trim_end().to_owned()];
                    secrets.push(format!("{}\n", pem.trim_end()));
                    secrets.dedup();
                    for (n, secret) in secrets.iter().enumerate() {
                        if let Some(signature) =
                            hmac(&input, secret, jsonwebtoken::Algorithm::HS256)
                        {
                            variants.push((
                                "auth-key-confusion-accepted",
                                format!("{input}.{signature}"),
                                format!("the valid claims as HS256 keyed with the public key (variant {})", n + 1),
                            ));
                        }
                    }
                }
            },
        }
        match embedded_jwk_token(jwt.payload_segment) {
            Some(token) => variants.push((
                "auth-embedded-jwk-accepted",
                token,
                "the valid claims signed with gonogo's own ES256 key, embedded as jwk".into(),
            )),
            None => out.error(
                rule("auth-embedded-jwk-accepted"),
                "could not sign with the embedded key",
            ),
        }
        if let Some(server) = &jwks {
            match jku_token(jwt.payload_segment, server.url()) {
                Some(token) => variants.push((
                    "auth-jku-accepted",
                    token,
                    format!("gonogo's ES256 key, jku {}", server.url()),
                )),
                None => out.error(jku_rule, "could not sign with gonogo's key"),
            }
        }
        match &secrets.lower_role_token {
            Some(lower) => variants.push((
                "auth-lower-role-accepted",
                lower.clone(),
                "the lower-role token".into(),
            )),
            None => out.skipped(
                rule("auth-lower-role-accepted"),
                format!("no lower-role token (set ${})", config.lower_role_token_env),
            ),
        }
        // Several spellings of one attack: once one gets through on this path, the rest of
        // that rule's variants are not needed here.
        let mut accepted_here: Vec<&str> = Vec::new();
        for (id, forged, description) in &variants {
            if accepted_here.contains(id) {
                continue;
            }
            let probe = Probe::get(path)
                .authorization(format!("Bearer {forged}"), shown(forged, description));
            match session.send(&probe).await {
                Ok(exchange) => {
                    if !matches!(judge(&exchange, deny, baseline), Answer::Refused) {
                        accepted_here.push(id);
                    }
                    let mut what = description.clone();
                    if *id == "auth-jku-accepted" {
                        let server = jwks.as_ref().expect("a jku variant has a key-set server");
                        let all = server.fetches();
                        let fetched = &all[fetches_reported..];
                        fetches_reported = all.len();
                        if fetched.is_empty() {
                            out.note(
                                jku_rule,
                                format!(
                                    "{path}: the service did not fetch {} before answering {}",
                                    server.url(),
                                    exchange.status
                                ),
                            );
                        } else {
                            what.push_str("; the service fetched that key set");
                            out.note(
                                jku_rule,
                                format!(
                                    "{path}: the service fetched {} ({}) before answering {}: it follows key URLs taken from tokens{}",
                                    server.url(),
                                    fetched.iter().map(Fetch::describe).collect::<Vec<_>>().join(", "),
                                    exchange.status,
                                    if judge(&exchange, deny, baseline).is_refused() {
                                        " (a server-side request an attacker steers, even though the token was refused)"
                                    } else {
                                        ""
                                    }
                                ),
                            );
                        }
                    }
                    grade(out, rule(id), &exchange, &what, deny, baseline);
                }
                Err(error) => out.error(rule(id), format!("{path}: {error}")),
            }
        }

        // Persistence: the valid token must still work.
        let again = Probe::get(path).authorization(
            format!("Bearer {token}"),
            shown(token, "the valid token, again"),
        );
        let still_valid =
            matches!(session.send(&again).await, Ok(exchange) if exchange.is_success());
        // Fetches after the `jku` token was answered: the service fetches key URLs late (after
        // answering), or on other requests.
        if let Some(server) = &jwks {
            let n_fetches = server.fetches().len();
            if n_fetches > fetches_reported {
                out.note(
                    jku_rule,
                    format!(
                        "{path}: {} more request(s) for {} arrived after the jku token was answered",
                        n_fetches - fetches_reported,
                        server.url()
                    ),
                );
                fetches_reported = n_fetches;
            }
        }
        if !still_valid {
            for id in TOKEN_RULES {
                out.error(
                    rule(id),
                    format!("inconclusive on {path}: the valid token was refused after the forged ones (a lock-out?), so their refusals prove nothing"),
                );
            }
        }
    }
    if let Some(server) = jwks {
        server.stop().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_jwk_token_verifies_with_its_own_header_key() {
        let token = embedded_jwk_token("eyJzdWIiOiJhIn0").unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        let jwk = header.jwk.unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).unwrap();
        assert_eq!(data.claims["sub"], "a");
    }

    #[test]
    fn a_token_signed_with_a_common_secret_is_recognised_offline() {
        let header = encode_json(
            &serde_json::json!({"alg": "HS256", "typ": "JWT"})
                .as_object()
                .unwrap()
                .clone(),
        );
        let claims = encode_json(&serde_json::json!({"sub": "a"}).as_object().unwrap().clone());
        let input = format!("{header}.{claims}");
        let signature = hmac(&input, "secret", jsonwebtoken::Algorithm::HS256).unwrap();
        let token = format!("{input}.{signature}");
        let jwt = Jwt::parse(&token).unwrap();
        assert_eq!(jwt.algorithm(), Some(jsonwebtoken::Algorithm::HS256));
        let found = COMMON_SECRETS.iter().find(|secret| {
            hmac(&jwt.signing_input(), secret, jsonwebtoken::Algorithm::HS256).as_deref()
                == Some(jwt.signature)
        });
        assert_eq!(found, Some(&"secret"));
        assert!(Jwt::parse("x.y").is_none());
        assert!(Jwt::parse("a.b.c.d").is_none());
    }
}
