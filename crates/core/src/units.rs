//! Units of metrics and thresholds, and the conversion of both into one base per dimension.
//!
//! Every comparison happens in a base unit: seconds for time, a fraction (0 to 1) for
//! percentages and rates, bytes for sizes, events per second for throughput, plain numbers for
//! counts. A [`Unit`] belongs to a metric ("this histogram counts microseconds"); a threshold
//! carries a [`Dimension`] and is already in base units after parsing.
//!
//! Unit strings (as written in evidence files and `[[metric]]` declarations):
//!
//! | string                                | unit                       |
//! |---------------------------------------|----------------------------|
//! | `ns` `us` `µs` `ms` `s` `min` `h` `d` | time                       |
//! | `%`                                   | percent (a value 0 to 100) |
//! | `B`                                   | bytes                      |
//! | `1/s`                                 | per second                 |
//! | anything else (`tests`, `requests`)   | a count of that thing      |

use std::fmt;

/// The unit of a metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    Time(TimeUnit),
    Percent,
    Bytes,
    PerSecond,
    /// A count of things, named (`tests`, `requests`, `findings`); `1` for a bare number.
    Count(String),
}

/// What a quantity measures; values of the same dimension compare in base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Time,
    Fraction,
    Bytes,
    PerSecond,
    Number,
}

impl Dimension {
    pub fn describe(self) -> &'static str {
        match self {
            Dimension::Time => "a duration (e.g. 500ms, 2s)",
            Dimension::Fraction => "a percentage (e.g. 0.5%)",
            Dimension::Bytes => "a size (e.g. 10MiB)",
            Dimension::PerSecond => "a rate per second (e.g. 100/s)",
            Dimension::Number => "a plain number (e.g. 100)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    pub fn seconds(self) -> f64 {
        match self {
            TimeUnit::Nanoseconds => 1e-9,
            TimeUnit::Microseconds => 1e-6,
            TimeUnit::Milliseconds => 1e-3,
            TimeUnit::Seconds => 1.0,
            TimeUnit::Minutes => 60.0,
            TimeUnit::Hours => 3600.0,
            TimeUnit::Days => 86400.0,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            TimeUnit::Nanoseconds => "ns",
            TimeUnit::Microseconds => "us",
            TimeUnit::Milliseconds => "ms",
            TimeUnit::Seconds => "s",
            TimeUnit::Minutes => "min",
            TimeUnit::Hours => "h",
            TimeUnit::Days => "d",
        }
    }

    fn parse(s: &str) -> Option<TimeUnit> {
        Some(match s {
            "ns" => TimeUnit::Nanoseconds,
            "us" | "µs" => TimeUnit::Microseconds,
            "ms" => TimeUnit::Milliseconds,
            "s" => TimeUnit::Seconds,
            "m" | "min" => TimeUnit::Minutes,
            "h" => TimeUnit::Hours,
            "d" => TimeUnit::Days,
            _ => return None,
        })
    }
}

impl Unit {
    /// A count of `thing`s.
    pub fn count(thing: &str) -> Unit {
        Unit::Count(thing.to_owned())
    }

    /// Parses a unit string as written in evidence files; never fails (an unknown word is a
    /// count of that thing). An empty string is a bare number.
    pub fn parse(s: &str) -> Unit {
        let s = s.trim();
        if let Some(time) = TimeUnit::parse(s) {
            return Unit::Time(time);
        }
        match s {
            "%" | "percent" => Unit::Percent,
            "B" | "bytes" => Unit::Bytes,
            "1/s" | "/s" | "rps" => Unit::PerSecond,
            "" => Unit::Count("1".to_owned()),
            other => Unit::Count(other.to_owned()),
        }
    }

    pub fn dimension(&self) -> Dimension {
        match self {
            Unit::Time(_) => Dimension::Time,
            Unit::Percent => Dimension::Fraction,
            Unit::Bytes => Dimension::Bytes,
            Unit::PerSecond => Dimension::PerSecond,
            Unit::Count(_) => Dimension::Number,
        }
    }

    /// Multiply a value in this unit by this to get base units.
    pub fn to_base(&self) -> f64 {
        match self {
            Unit::Time(t) => t.seconds(),
            Unit::Percent => 0.01,
            Unit::Bytes | Unit::PerSecond | Unit::Count(_) => 1.0,
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unit::Time(t) => f.write_str(t.symbol()),
            Unit::Percent => f.write_str("%"),
            Unit::Bytes => f.write_str("B"),
            Unit::PerSecond => f.write_str("1/s"),
            Unit::Count(thing) => f.write_str(thing),
        }
    }
}

/// A threshold's unit suffix, as written in an expectation (`500ms`, `0.5%`, `10MiB`, `100/s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suffix {
    None,
    Time(TimeUnit),
    Percent,
    Bytes(ByteUnit),
    PerSecond,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteUnit {
    B,
    KB,
    MB,
    GB,
    KiB,
    MiB,
    GiB,
}

impl ByteUnit {
    fn factor(self) -> f64 {
        match self {
            ByteUnit::B => 1.0,
            ByteUnit::KB => 1e3,
            ByteUnit::MB => 1e6,
            ByteUnit::GB => 1e9,
            ByteUnit::KiB => 1024.0,
            ByteUnit::MiB => 1024.0 * 1024.0,
            ByteUnit::GiB => 1024.0 * 1024.0 * 1024.0,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            ByteUnit::B => "B",
            ByteUnit::KB => "KB",
            ByteUnit::MB => "MB",
            ByteUnit::GB => "GB",
            ByteUnit::KiB => "KiB",
            ByteUnit::MiB => "MiB",
            ByteUnit::GiB => "GiB",
        }
    }
}

impl Suffix {
    /// All suffixes an expectation accepts, for error messages.
    pub const ACCEPTED: &'static str =
        "ns, us, ms, s, m, h, d, %, B, KB, MB, GB, KiB, MiB, GiB, /s";

    pub fn parse(s: &str) -> Option<Suffix> {
        if s.is_empty() {
            return Some(Suffix::None);
        }
        if let Some(time) = TimeUnit::parse(s) {
            return Some(Suffix::Time(time));
        }
        Some(match s {
            "%" => Suffix::Percent,
            "B" => Suffix::Bytes(ByteUnit::B),
            "KB" => Suffix::Bytes(ByteUnit::KB),
            "MB" => Suffix::Bytes(ByteUnit::MB),
            "GB" => Suffix::Bytes(ByteUnit::GB),
            "KiB" => Suffix::Bytes(ByteUnit::KiB),
            "MiB" => Suffix::Bytes(ByteUnit::MiB),
            "GiB" => Suffix::Bytes(ByteUnit::GiB),
            "/s" => Suffix::PerSecond,
            _ => return None,
        })
    }

    /// `None` for a bare number, whose dimension comes from the metric.
    pub fn dimension(self) -> Option<Dimension> {
        match self {
            Suffix::None => None,
            Suffix::Time(_) => Some(Dimension::Time),
            Suffix::Percent => Some(Dimension::Fraction),
            Suffix::Bytes(_) => Some(Dimension::Bytes),
            Suffix::PerSecond => Some(Dimension::PerSecond),
        }
    }

    /// Multiply a number written with this suffix by this to get base units.
    pub fn to_base(self) -> f64 {
        match self {
            Suffix::None | Suffix::PerSecond => 1.0,
            Suffix::Time(t) => t.seconds(),
            Suffix::Percent => 0.01,
            Suffix::Bytes(b) => b.factor(),
        }
    }
}

impl fmt::Display for Suffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Suffix::None => Ok(()),
            Suffix::Time(t) => f.write_str(t.symbol()),
            Suffix::Percent => f.write_str("%"),
            Suffix::Bytes(b) => f.write_str(b.symbol()),
            Suffix::PerSecond => f.write_str("/s"),
        }
    }
}

/// Significant digits of a figure shown to people, in every unit (a plain number too:
/// `[0.582, 1.661]`, not `[0.581977, 1.66078]`).
pub const DISPLAY_DIGITS: i32 = 4;

/// Formats a base-unit quantity for people: `512 ms`, `0.4996 %`, `41 d`, `1.2 MiB`, `0.582`,
/// at most [`DISPLAY_DIGITS`] significant digits whatever the unit.
pub fn format_base(value: f64, dimension: Dimension) -> String {
    format_digits(value, dimension, DISPLAY_DIGITS)
}

/// Formats `value` as [`format_base`] does, with as many more significant digits as it takes
/// to tell it from `beside` (the threshold it is compared with) when the two differ: an upper
/// bound of 1.50004 beside a threshold of 1.5 reads `1.50004`, never `1.5`.
pub fn format_base_beside(value: f64, dimension: Dimension, beside: Option<f64>) -> String {
    let text = format_base(value, dimension);
    let Some(beside) = beside.filter(|b| b.is_finite() && value.is_finite() && *b != value) else {
        return text;
    };
    let mut digits = DISPLAY_DIGITS;
    let mut text = text;
    while digits < 15 && text == format_digits(beside, dimension, digits) {
        digits += 1;
        text = format_digits(value, dimension, digits);
    }
    text
}

fn format_digits(value: f64, dimension: Dimension, digits: i32) -> String {
    if value.is_infinite() {
        return if value > 0.0 {
            "∞".into()
        } else {
            "-∞".into()
        };
    }
    if value.is_nan() {
        return "NaN".into();
    }
    match dimension {
        Dimension::Time => {
            let abs = value.abs();
            let (scaled, symbol) = if abs == 0.0 {
                (0.0, "ms")
            } else if abs < 1e-3 {
                (value * 1e6, "µs")
            } else if abs < 1.0 {
                (value * 1e3, "ms")
            } else if abs < 120.0 {
                (value, "s")
            } else if abs < 7200.0 {
                (value / 60.0, "min")
            } else if abs < 3.0 * 86400.0 {
                (value / 3600.0, "h")
            } else {
                (value / 86400.0, "d")
            };
            format!("{} {symbol}", significant(scaled, digits))
        }
        Dimension::Fraction => format!("{} %", significant(value * 100.0, digits)),
        Dimension::Bytes => {
            let abs = value.abs();
            let (scaled, symbol) = if abs >= 1024.0 * 1024.0 * 1024.0 {
                (value / (1024.0 * 1024.0 * 1024.0), "GiB")
            } else if abs >= 1024.0 * 1024.0 {
                (value / (1024.0 * 1024.0), "MiB")
            } else if abs >= 1024.0 {
                (value / 1024.0, "KiB")
            } else {
                (value, "B")
            };
            format!("{} {symbol}", significant(scaled, digits))
        }
        Dimension::PerSecond => format!("{}/s", significant(value, digits)),
        Dimension::Number => significant(value, digits),
    }
}

/// `value` with at most `digits` significant digits, no trailing zeros, no exponent for
/// everyday magnitudes.
fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 {
        return "0".into();
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_parse_and_print() {
        assert_eq!(Unit::parse("us"), Unit::Time(TimeUnit::Microseconds));
        assert_eq!(Unit::parse("µs"), Unit::Time(TimeUnit::Microseconds));
        assert_eq!(Unit::parse("%"), Unit::Percent);
        assert_eq!(Unit::parse("tests"), Unit::count("tests"));
        assert_eq!(Unit::parse("tests").to_string(), "tests");
        assert_eq!(Unit::Time(TimeUnit::Microseconds).to_base(), 1e-6);
    }

    #[test]
    fn a_figure_beside_its_threshold_gets_the_digits_that_tell_them_apart() {
        // Far from the threshold: the usual four digits.
        assert_eq!(
            format_base_beside(1.660_78, Dimension::Number, Some(1.5)),
            "1.661"
        );
        // Four digits would print the threshold itself: more, until they differ.
        assert_eq!(
            format_base_beside(1.500_04, Dimension::Number, Some(1.5)),
            "1.50004"
        );
        assert_eq!(
            format_base_beside(0.500_2, Dimension::Time, Some(0.5)),
            "500.2 ms"
        );
        assert_eq!(
            format_base_beside(0.500_02, Dimension::Time, Some(0.5)),
            "500.02 ms"
        );
        // Equal figures, no threshold, or an unbounded end: as format_base.
        assert_eq!(format_base_beside(1.5, Dimension::Number, Some(1.5)), "1.5");
        assert_eq!(format_base_beside(1.500_04, Dimension::Number, None), "1.5");
        assert_eq!(
            format_base_beside(f64::INFINITY, Dimension::Number, Some(1.5)),
            "∞"
        );
    }

    #[test]
    fn base_values_format_for_people() {
        assert_eq!(format_base(0.512, Dimension::Time), "512 ms");
        assert_eq!(format_base(0.000_02, Dimension::Time), "20 µs");
        assert_eq!(format_base(0.004_996, Dimension::Fraction), "0.4996 %");
        assert_eq!(format_base(41.0 * 86400.0, Dimension::Time), "41 d");
        assert_eq!(
            format_base(1.5 * 1024.0 * 1024.0, Dimension::Bytes),
            "1.5 MiB"
        );
        assert_eq!(format_base(100.0, Dimension::Number), "100");
        // A plain number follows the same significant-digit policy as a figure with a unit.
        assert_eq!(format_base(0.581_977, Dimension::Number), "0.582");
        assert_eq!(format_base(1.660_78, Dimension::Number), "1.661");
        assert_eq!(format_base(123_456.0, Dimension::Number), "123456");
        assert_eq!(format_base(f64::INFINITY, Dimension::Time), "∞");
    }
}
