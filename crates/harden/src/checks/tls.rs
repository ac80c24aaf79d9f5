//! Transport checks (H-35): is the service reached over TLS, and how long does its
//! certificate have left?
//!
//! Judged on the baseline exchanges. Chain and hostname verification is the client's: a
//! certificate that does not verify makes every request fail, so every check reports `error`
//! with the reason (add a test CA with `ca_file`), except an expired (or not yet valid)
//! certificate, which is this check's finding: the handshake's refusal is the evidence.
//! rustls never negotiates below TLS 1.2, so "old versions are disabled" cannot be proven
//! from here; the negotiated version is noted.

use crate::http::{Exchange, RequestError, RequestErrorKind, Target, shorten};
use crate::report::{Confidence, Finding, Outcomes};
use crate::rules::rule;

pub fn check(
    exchanges: &[Exchange],
    errors: &[RequestError],
    target: &Target,
    min_certificate_days: u64,
    out: &mut Outcomes,
) {
    let missing = rule("tls-missing");
    let expiring = rule("tls-certificate-expiring");
    let Some(first) = exchanges.first() else {
        out.error(missing, "no response was collected");
        // The handshake refused an expired certificate: that is this check's finding (the
        // service's certificate is out of date), not an error of the check.
        match errors
            .iter()
            .find(|e| e.kind == RequestErrorKind::CertificateExpired)
        {
            Some(refused) => out.finding(Finding {
                check: expiring.id,
                severity: expiring.severity,
                confidence: Confidence::Confirmed,
                message: format!(
                    "the certificate has expired (or is not valid yet): the TLS handshake refused it ({})",
                    shorten(&refused.message, 300)
                ),
                request: refused.request_line.clone(),
                response: "no response: the TLS handshake failed".into(),
            }),
            None => out.error(expiring, "no response was collected"),
        }
        return;
    };
    if !target.is_https() {
        if target.is_loopback() {
            out.not_applicable(missing, "plain http on loopback (a test target)");
        } else {
            out.finding(Finding::new(
                missing,
                first,
                format!("{} is served over plain http", target.base_url()),
                None,
            ));
        }
        out.not_applicable(expiring, "plain http: no certificate");
        return;
    }
    out.ran(missing);
    let Some(tls) = exchanges.iter().find_map(|exchange| exchange.tls.as_ref()) else {
        out.error(
            expiring,
            "the TLS layer did not report the peer certificate",
        );
        return;
    };
    if let Some(version) = &tls.version {
        out.note(missing, format!("negotiated {version}"));
    }
    let Some(not_after) = tls.certificate.as_deref().and_then(certificate_not_after) else {
        out.error(
            expiring,
            "the peer certificate's notAfter could not be read",
        );
        return;
    };
    out.ran(expiring);
    let now = jiff::Timestamp::now().as_second();
    let days_left = (not_after - now).div_euclid(86_400);
    out.note(
        expiring,
        format!(
            "the certificate expires in {days_left} {}",
            if days_left == 1 { "day" } else { "days" }
        ),
    );
    if days_left < min_certificate_days as i64 {
        out.finding(Finding::new(
            expiring,
            first,
            format!(
                "the certificate expires in {days_left} {} (policy: at least {min_certificate_days})",
                if days_left == 1 { "day" } else { "days" }
            ),
            None,
        ));
    }
}

/// Reads one DER TLV at `at`: (tag, content range, end).
fn tlv(der: &[u8], at: usize) -> Option<(u8, std::ops::Range<usize>, usize)> {
    let tag = *der.get(at)?;
    let first = *der.get(at + 1)?;
    let (length, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n_bytes = (first & 0x7f) as usize;
        if n_bytes == 0 || n_bytes > 4 {
            return None;
        }
        let mut length = 0usize;
        for i in 0..n_bytes {
            length = (length << 8) | *der.get(at + 2 + i)? as usize;
        }
        (length, 2 + n_bytes)
    };
    let start = at + header;
    let end = start.checked_add(length)?;
    (end <= der.len()).then_some((tag, start..end, end))
}

/// The `notAfter` of an X.509 certificate (DER), as Unix seconds. RFC 5280 4.1: Certificate ::=
/// SEQUENCE { tbsCertificate SEQUENCE { \[0\] version OPTIONAL, serialNumber, signature,
/// issuer, validity SEQUENCE { notBefore, notAfter }, ... }, ... }.
pub fn certificate_not_after(der: &[u8]) -> Option<i64> {
    let (_, certificate, _) = tlv(der, 0)?;
    let (_, tbs, _) = tlv(der, certificate.start)?;
    let mut at = tbs.start;
    let (tag, _, next) = tlv(der, at)?;
    if tag == 0xa0 {
        at = next;
    }
    for _ in 0..3 {
        let (_, _, next) = tlv(der, at)?; // serialNumber, signature, issuer
        at = next;
    }
    let (_, validity, _) = tlv(der, at)?;
    let (_, _, after_not_before) = tlv(der, validity.start)?;
    let (tag, time, _) = tlv(der, after_not_before)?;
    let text = std::str::from_utf8(&der[time]).ok()?;
    let digits = text.strip_suffix('Z')?;
    let (year, rest) = match tag {
        // UTCTime YYMMDDHHMMSSZ: 50-99 are 1950-1999.
        0x17 => {
            let yy: i16 = digits.get(..2)?.parse().ok()?;
            (
                if yy >= 50 { 1900 + yy } else { 2000 + yy },
                digits.get(2..)?,
            )
        }
        // GeneralizedTime YYYYMMDDHHMMSSZ.
        0x18 => (digits.get(..4)?.parse().ok()?, digits.get(4..)?),
        _ => return None,
    };
    let field = |range: std::ops::Range<usize>| -> Option<i8> { rest.get(range)?.parse().ok() };
    let datetime = jiff::civil::DateTime::new(
        year,
        field(0..2)?,
        field(2..4)?,
        field(4..6)?,
        field(6..8)?,
        field(8..10)?,
        0,
    )
    .ok()?;
    Some(
        jiff::tz::TimeZone::UTC
            .to_timestamp(datetime)
            .ok()?
            .as_second(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plain_http_is_a_finding_only_away_from_loopback() {
        let exchange = Exchange {
            request: "GET /".into(),
            method: reqwest::Method::GET,
            path: "/".into(),
            status: 200,
            headers: vec![],
            body: vec![],
            body_truncated: false,
            tls: None,
        };
        let outcome = |target: &Target| {
            let mut out = Outcomes::default();
            check(std::slice::from_ref(&exchange), &[], target, 14, &mut out);
            out.has_findings(rule("tls-missing"))
        };
        let staging = Target::new(
            "http://staging.example.com",
            &["staging.example.com".into()],
        )
        .await
        .unwrap();
        assert!(outcome(&staging));
        assert!(!outcome(
            &Target::new("http://127.0.0.1:1", &[]).await.unwrap()
        ));
    }

    #[test]
    fn not_after_is_read_from_der() {
        // A minimal certificate skeleton: version, serial, algorithm, issuer, validity.
        let utc = |text: &str| [&[0x17, text.len() as u8][..], text.as_bytes()].concat();
        let validity = [
            &[0x30, 30][..],
            &utc("250101000000Z"),
            &utc("270630123000Z"),
        ]
        .concat();
        let tbs_body = [
            &[0xa0, 3, 2, 1, 2][..], // [0] version v3
            &[2, 1, 7],              // serial 7
            &[0x30, 0],              // algorithm
            &[0x30, 0],              // issuer
            &validity,
        ]
        .concat();
        let tbs = [&[0x30, tbs_body.len() as u8][..], &tbs_body].concat();
        let certificate = [&[0x30, tbs.len() as u8][..], &tbs].concat();
        let expected = jiff::tz::TimeZone::UTC
            .to_timestamp(jiff::civil::date(2027, 6, 30).at(12, 30, 0, 0))
            .unwrap()
            .as_second();
        assert_eq!(certificate_not_after(&certificate), Some(expected));
        assert_eq!(certificate_not_after(&certificate[..10]), None);
        assert_eq!(certificate_not_after(b""), None);
    }
}
