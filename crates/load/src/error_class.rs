//! The error taxonomy of a load run: why a request did not succeed.
//!
//! Every failed request falls into exactly one [`ErrorClass`]. The classes are keyed by a stable
//! snake_case code ([`ErrorClass::code`]) that appears in evidence `details`, in `--json` and in
//! the terminal summary; the codes never change meaning, so dashboards and policies can key on
//! them (oha keys its error counts the same way).
//!
//! The order of precedence for a response that is wrong in several ways is: rate limited (unless
//! its status is named in `--expect-status`, as when testing a rate limiter), then
//! HTTP 5xx, then HTTP 4xx, then a failed `--expect-*` check.

use std::fmt;

/// Why a request failed. See the module doc for precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorClass {
    /// The TCP connection was refused (nothing listens on the port).
    ConnectRefused,
    /// The TCP (or TLS) connection was not established within the timeout.
    ConnectTimeout,
    /// Connecting failed for another reason (unreachable network, DNS, too many open files).
    ConnectOther,
    /// The response did not arrive within `--timeout`.
    RequestTimeout,
    /// The connection was reset or closed while a request was outstanding.
    ConnectionReset,
    /// The TLS handshake failed.
    Tls,
    /// The server answered with something that is not HTTP/1.1 (or a frame we cannot parse).
    Protocol,
    /// A 4xx status other than 429.
    Http4xx,
    /// A 5xx status, except 503 with `Retry-After`.
    Http5xx,
    /// 429, or 503 with a `Retry-After` header.
    RateLimited,
    /// The status was acceptable but an `--expect-status` / `--expect-body-contains` check failed.
    CheckFailed,
    /// Open model: the request was due but the in-flight cap was reached, so it was never sent.
    Dropped,
}

impl ErrorClass {
    /// Every class, in a fixed order (used as array indices).
    pub const ALL: [ErrorClass; 12] = [
        ErrorClass::ConnectRefused,
        ErrorClass::ConnectTimeout,
        ErrorClass::ConnectOther,
        ErrorClass::RequestTimeout,
        ErrorClass::ConnectionReset,
        ErrorClass::Tls,
        ErrorClass::Protocol,
        ErrorClass::Http4xx,
        ErrorClass::Http5xx,
        ErrorClass::RateLimited,
        ErrorClass::CheckFailed,
        ErrorClass::Dropped,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ErrorClass::ConnectRefused => "connect_refused",
            ErrorClass::ConnectTimeout => "connect_timeout",
            ErrorClass::ConnectOther => "connect_error",
            ErrorClass::RequestTimeout => "request_timeout",
            ErrorClass::ConnectionReset => "connection_reset",
            ErrorClass::Tls => "tls",
            ErrorClass::Protocol => "protocol",
            ErrorClass::Http4xx => "http_4xx",
            ErrorClass::Http5xx => "http_5xx",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::CheckFailed => "check_failed",
            ErrorClass::Dropped => "dropped",
        }
    }

    /// The class for a code, the inverse of [`ErrorClass::code`].
    pub fn from_code(code: &str) -> Option<ErrorClass> {
        ErrorClass::ALL
            .into_iter()
            .find(|class| class.code() == code)
    }

    /// The index in [`ErrorClass::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Classifies an I/O error raised while a request was outstanding.
    pub fn from_request_io(error: &std::io::Error) -> ErrorClass {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::TimedOut => ErrorClass::RequestTimeout,
            ErrorKind::InvalidData => ErrorClass::Protocol,
            _ => ErrorClass::ConnectionReset,
        }
    }

    /// Classifies an I/O error raised while connecting.
    pub fn from_connect_io(error: &std::io::Error) -> ErrorClass {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::ConnectionRefused => ErrorClass::ConnectRefused,
            ErrorKind::TimedOut => ErrorClass::ConnectTimeout,
            _ => ErrorClass::ConnectOther,
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_indices_match_order() {
        for (position, class) in ErrorClass::ALL.into_iter().enumerate() {
            assert_eq!(ErrorClass::from_code(class.code()), Some(class));
            assert_eq!(class.index(), position);
        }
        assert_eq!(ErrorClass::from_code("nope"), None);
    }
}
