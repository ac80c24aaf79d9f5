//! The ranges of every number a flag or a policy engine section takes (engine sections reach
//! the engines as flags, so one check covers both), and the checked conversions behind them:
//! no duration, rate or count can overflow, abort or reserve unbounded memory.
//!
//! | what | range | why |
//! |---|---|---|
//! | a load's `--duration`, a stage's duration, their sum | up to 7 days | a release check, not a soak test |
//! | request and connect timeouts | 1 ms to 1 hour | |
//! | `--rate`, a stage's rate | up to 10,000,000/s (fractions allowed) | beyond what one machine sends |
//! | `--concurrency`, `--connections` | 1 to 20,000 | 8 KiB of buffer each at start: 160 MB at the cap |
//! | `--max-in-flight` | 1 to 100,000 | |
//! | `--threads` | 1 to 1,024 | one event loop per thread |
//! | `--max-requests` | 1 to 10^12 | |

use std::time::Duration;

/// The longest load run (and ramping schedule).
pub const MAX_LOAD_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);
/// The longest request or connect timeout.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);
/// The shortest request or connect timeout.
pub const MIN_TIMEOUT: Duration = Duration::from_millis(1);
/// The highest request rate, per second.
pub const MAX_RATE: f64 = 10_000_000.0;
/// The most connections (closed model `--concurrency`, open model `--connections`).
pub const MAX_CONNECTIONS: u64 = 20_000;
/// The most requests outstanding in the open model.
pub const MAX_IN_FLIGHT: u64 = 100_000;
/// The most worker threads.
pub const MAX_THREADS: u64 = 1_024;
/// The most requests one run may send (`--max-requests`).
pub const MAX_REQUESTS: u64 = 1_000_000_000_000;
/// The longest any duration may be written as (larger ones overflow nothing: they are refused).
pub const MAX_ANY_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Seconds as a `Duration`, refusing what is not finite, negative or beyond
/// [`MAX_ANY_DURATION`] (`Duration::from_secs_f64` would panic on `1e20`).
pub fn seconds(seconds: f64, text: &str) -> Result<Duration, String> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("`{text}` is not a duration of zero or more"));
    }
    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if duration <= MAX_ANY_DURATION => Ok(duration),
        _ => Err(format!(
            "`{text}` is too long a duration (at most 100 years)"
        )),
    }
}

/// `duration` if it lies in `min..=max`, else a message naming the range.
pub fn duration_in(
    duration: Duration,
    min: Duration,
    max: Duration,
    text: &str,
) -> Result<Duration, String> {
    if duration < min {
        Err(format!("`{text}` is too short: at least {}", human(min)))
    } else if duration > max {
        Err(format!("`{text}` is too long: at most {}", human(max)))
    } else {
        Ok(duration)
    }
}

/// A whole number in `min..=max`, parsed from a flag's text.
pub fn count_in(text: &str, min: u64, max: u64) -> Result<u64, String> {
    let value: u64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    if value < min || value > max {
        return Err(format!(
            "`{text}` is out of range: {} to {}",
            group(min),
            group(max)
        ));
    }
    Ok(value)
}

/// A rate per second (`100`, `0.5`, `100/s`) in `(0, MAX_RATE]`, or `[0, MAX_RATE]` when zero
/// is allowed (a ramping stage may go down to zero).
pub fn rate(text: &str, allow_zero: bool) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .trim_end_matches("/s")
        .parse()
        .map_err(|_| format!("`{text}` is not a rate in requests per second"))?;
    if !value.is_finite() || value < 0.0 || (value == 0.0 && !allow_zero) {
        return Err(format!(
            "`{text}`: the rate must be a {} number of requests per second",
            if allow_zero {
                "zero or positive"
            } else {
                "positive"
            }
        ));
    }
    if value > MAX_RATE {
        return Err(format!(
            "`{text}` is above the highest rate, {}/s",
            group(MAX_RATE as u64)
        ));
    }
    Ok(value)
}

/// A duration in words for messages: `7 days`, `1 hour`, `1ms`.
pub fn human(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if seconds >= 86400 && seconds % 86400 == 0 {
        plural(seconds / 86400, "day")
    } else if seconds >= 3600 && seconds % 3600 == 0 {
        plural(seconds / 3600, "hour")
    } else if seconds >= 60 && seconds % 60 == 0 {
        plural(seconds / 60, "minute")
    } else if duration.subsec_nanos() == 0 {
        format!("{seconds}s")
    } else {
        format!("{}ms", duration.as_millis())
    }
}

/// `20000` as `20,000`.
pub fn group(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_and_invalid_seconds_are_errors_not_panics() {
        assert!(seconds(99999999999999999999.0 * 3600.0, "99999999999999999999h").is_err());
        assert!(seconds(f64::INFINITY, "1e309ms").is_err());
        assert!(seconds(f64::NAN, "nan").is_err());
        assert!(seconds(-1.0, "-1s").is_err());
        assert_eq!(seconds(1.5, "1.5s"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn ranges_name_their_bounds() {
        let week = duration_in(
            Duration::from_secs(8 * 86400),
            Duration::ZERO,
            MAX_LOAD_DURATION,
            "8d",
        );
        assert_eq!(week, Err("`8d` is too long: at most 7 days".to_owned()));
        assert_eq!(
            count_in("100000", 1, MAX_CONNECTIONS),
            Err("`100000` is out of range: 1 to 20,000".to_owned())
        );
        assert_eq!(count_in("64", 1, MAX_CONNECTIONS), Ok(64));
        assert!(count_in("-3", 1, 10).is_err());
        assert_eq!(
            rate("1e10", false),
            Err("`1e10` is above the highest rate, 10,000,000/s".to_owned())
        );
        assert_eq!(rate("0.5", false), Ok(0.5));
        assert_eq!(rate("100/s", false), Ok(100.0));
        assert!(rate("0", false).is_err());
        assert_eq!(rate("0", true), Ok(0.0));
        assert!(rate("inf", true).is_err());
    }
}
