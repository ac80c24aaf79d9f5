//! The one duration syntax of gonogo, for every flag, policy key and engine section: one or
//! more `<number><unit>` parts, `500ms`, `10s`, `1m30s`, `2h`, `7d`, `1.5s`, with the units
//! `us` (or `µs`), `ms`, `s`, `m` (or `min`), `h` and `d`.
//!
//! A bare number is refused with a hint ("write 30s"): whether `30` meant seconds or
//! milliseconds depended on the flag before, and a gate read the wrong one silently. Values are
//! checked (no overflow, no NaN, at most 100 years: [`crate::limits::MAX_ANY_DURATION`]); the
//! range a particular flag allows is its own check ([`crate::limits::duration_in`]).

use std::fmt;
use std::time::Duration;

/// Why a text is not a duration. The message always shows how to write one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    Empty,
    /// `30`: a number without a unit.
    BareNumber(String),
    /// `5x`: the unit is not one of gonogo's.
    UnknownUnit {
        text: String,
        unit: String,
    },
    /// `ms`, `1..5s`, `-3s`: no number (or not one) before a unit.
    NotANumber(String),
    /// More than 100 years, or beyond what a number can hold.
    TooLong(String),
}

const EXAMPLES: &str = "e.g. 500ms, 10s, 1m30s, 2h, 7d";

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Empty => write!(f, "empty duration ({EXAMPLES})"),
            DurationError::BareNumber(text) => write!(
                f,
                "`{text}` needs a unit: write `{text}s` for seconds or `{text}ms` for milliseconds"
            ),
            DurationError::UnknownUnit { text, unit } => write!(
                f,
                "`{text}`: unknown unit `{unit}` (units: us, ms, s, m, h, d; {EXAMPLES})"
            ),
            DurationError::NotANumber(text) => {
                write!(f, "`{text}` is not a duration ({EXAMPLES})")
            }
            DurationError::TooLong(text) => {
                write!(f, "`{text}` is too long a duration (at most 100 years)")
            }
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration in gonogo's one syntax (see the module docs).
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text.parse::<f64>().is_ok() {
        return Err(DurationError::BareNumber(text.to_owned()));
    }
    let mut seconds = 0.0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let unit_end = rest[number_end..]
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .map_or(rest.len(), |i| number_end + i);
        let (number, unit) = (&rest[..number_end], &rest[number_end..unit_end]);
        let number: f64 = number
            .parse()
            .map_err(|_| DurationError::NotANumber(text.to_owned()))?;
        let factor = match unit {
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "" => return Err(DurationError::BareNumber(text.to_owned())),
            other => {
                return Err(DurationError::UnknownUnit {
                    text: text.to_owned(),
                    unit: other.to_owned(),
                });
            }
        };
        seconds += number * factor;
        rest = &rest[unit_end..];
    }
    crate::limits::seconds(seconds, text).map_err(|_| DurationError::TooLong(text.to_owned()))
}

/// [`parse`] in seconds.
pub fn parse_seconds(text: &str) -> Result<f64, DurationError> {
    parse(text).map(|d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_and_compound_parses() {
        let cases = [
            ("250us", Duration::from_micros(250)),
            ("250µs", Duration::from_micros(250)),
            ("500ms", Duration::from_millis(500)),
            ("1.5s", Duration::from_millis(1500)),
            (" 10s ", Duration::from_secs(10)),
            ("2m", Duration::from_secs(120)),
            ("2min", Duration::from_secs(120)),
            ("1m30s", Duration::from_secs(90)),
            ("2h", Duration::from_secs(7200)),
            ("1h30m", Duration::from_secs(5400)),
            ("7d", Duration::from_secs(7 * 86_400)),
            ("0s", Duration::ZERO),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), Ok(expected), "{text}");
        }
        assert_eq!(parse_seconds("1.5d"), Ok(129_600.0));
    }

    #[test]
    fn bare_numbers_and_nonsense_are_refused_with_a_hint() {
        assert_eq!(parse("30"), Err(DurationError::BareNumber("30".into())));
        assert_eq!(
            parse("30").unwrap_err().to_string(),
            "`30` needs a unit: write `30s` for seconds or `30ms` for milliseconds"
        );
        assert!(matches!(parse("1m30"), Err(DurationError::BareNumber(_))));
        assert!(matches!(
            parse("5x"),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse("5%"),
            Err(DurationError::UnknownUnit { .. })
        ));
        for text in ["s", "ms", "1..5s", "-3s", "1e3s", "h"] {
            assert!(
                matches!(
                    parse(text),
                    Err(DurationError::NotANumber(_) | DurationError::UnknownUnit { .. })
                ),
                "{text}: {:?}",
                parse(text)
            );
        }
        assert_eq!(parse(""), Err(DurationError::Empty));
        assert_eq!(parse("   "), Err(DurationError::Empty));
    }

    #[test]
    fn huge_durations_are_errors_not_panics() {
        for text in [
            "99999999999999999999h",
            "1e309s",
            "101y",
            "36600000d",
            &format!("{}s", "9".repeat(400)),
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert!(parse("36500d").is_ok());
    }
}
