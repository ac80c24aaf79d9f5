//! Expectations: the `p(95) < 500ms` part of a gate.
//!
//! The syntax follows k6 thresholds, with units:
//!
//! ```text
//! expectation = aggregate op threshold
//! aggregate   = "p(" number ")"         ; a percentile of a distribution, 0 < q < 100
//!             | "med"                    ; p(50)
//!             | "mean" | "avg"           ; mean of a distribution
//!             | "min" | "max"            ; observed extremes of a distribution
//!             | "rate"                   ; k / n of a ratio
//!             | "count"                  ; k of a ratio, or the samples of a distribution
//!             | "total"                  ; n of a ratio
//!             | "value"                  ; a plain value
//! op          = "<" | "<=" | ">" | ">=" | "==" | "!="
//! threshold   = number suffix?           ; absolute: 500ms, 0.5%, 100, 10MiB, 50/s
//!             | ("+" | "-") number "%"   ; relative to the baseline: +10%
//! suffix      = "ns" | "us" | "µs" | "ms" | "s" | "m" | "min" | "h" | "d"
//!             | "%" | "B" | "KB" | "MB" | "GB" | "KiB" | "MiB" | "GiB" | "/s"
//! ```
//!
//! Spaces are allowed between the parts. A threshold is converted to base units when the gate is
//! checked against its metric (see [`crate::units`]). `==` and `!=` only apply to exact
//! aggregates (`value`, `count`, `total`, `min`, `max`), since an interval is never equal to a
//! number.
//!
//! ```
//! use gonogo_core::expect::{Aggregate, Expectation};
//! let e: Expectation = "p(99) <= 1.2s".parse().unwrap();
//! assert_eq!(e.aggregate, Aggregate::Percentile(99.0));
//! assert_eq!(e.to_string(), "p(99) <= 1.2s");
//! ```

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::evidence::Shape;
use crate::units::Suffix;

/// A parsed expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    pub aggregate: Aggregate,
    pub op: Op,
    pub threshold: Threshold,
}

/// What is computed from the metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregate {
    /// `p(q)`, with `q` in percent (0 < q < 100). `med` is `Percentile(50)` printed as `med`.
    Percentile(f64),
    Median,
    Mean,
    Min,
    Max,
    Rate,
    Count,
    Total,
    Value,
}

impl Aggregate {
    /// The metric shapes this aggregate applies to.
    pub fn shapes(self) -> &'static [Shape] {
        match self {
            Aggregate::Percentile(_)
            | Aggregate::Median
            | Aggregate::Mean
            | Aggregate::Min
            | Aggregate::Max => &[Shape::Distribution],
            Aggregate::Rate | Aggregate::Total => &[Shape::Ratio],
            Aggregate::Count => &[Shape::Ratio, Shape::Distribution],
            Aggregate::Value => &[Shape::Value],
        }
    }

    /// The quantile (0 to 1) for percentile aggregates.
    pub fn quantile(self) -> Option<f64> {
        match self {
            Aggregate::Percentile(q) => Some(q / 100.0),
            Aggregate::Median => Some(0.5),
            _ => None,
        }
    }

    /// The quantile as the exact fraction the policy wrote (`p(99.9)` is 999/1000).
    pub fn fraction(self) -> Option<crate::stats::Fraction> {
        match self {
            Aggregate::Percentile(q) => crate::stats::Fraction::from_percent(q),
            Aggregate::Median => crate::stats::Fraction::from_percent(50.0),
            _ => None,
        }
    }

    /// Whether the aggregate has no sampling error (compared directly, no interval).
    pub fn is_exact(self) -> bool {
        matches!(
            self,
            Aggregate::Min
                | Aggregate::Max
                | Aggregate::Count
                | Aggregate::Total
                | Aggregate::Value
        )
    }

    /// Aggregates that suit a shape, for hints.
    pub fn suggestions(shape: Shape) -> &'static str {
        match shape {
            Shape::Distribution => "p(95), med, mean, min, max or count",
            Shape::Ratio => "rate, count or total",
            Shape::Value => "value",
        }
    }
}

impl fmt::Display for Aggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Aggregate::Percentile(q) => write!(f, "p({q})"),
            Aggregate::Median => f.write_str("med"),
            Aggregate::Mean => f.write_str("mean"),
            Aggregate::Min => f.write_str("min"),
            Aggregate::Max => f.write_str("max"),
            Aggregate::Rate => f.write_str("rate"),
            Aggregate::Count => f.write_str("count"),
            Aggregate::Total => f.write_str("total"),
            Aggregate::Value => f.write_str("value"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    /// Whether `measured op threshold` holds for one number.
    pub fn holds(self, measured: f64, threshold: f64) -> bool {
        match self {
            Op::Lt => measured < threshold,
            Op::Le => measured <= threshold,
            Op::Gt => measured > threshold,
            Op::Ge => measured >= threshold,
            Op::Eq => measured == threshold,
            Op::Ne => measured != threshold,
        }
    }

    /// `true` for `<`/`<=` (smaller is better), `false` for `>`/`>=`; `None` for `==`/`!=`.
    pub fn upper_bound(self) -> Option<bool> {
        match self {
            Op::Lt | Op::Le => Some(true),
            Op::Gt | Op::Ge => Some(false),
            Op::Eq | Op::Ne => None,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// The right-hand side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// A number as written, with its suffix (not yet in base units).
    Absolute { number: f64, suffix: Suffix },
    /// `+10%` or `-5%`: the baseline's point estimate times `1 + percent / 100`.
    Relative { percent: f64 },
}

impl Threshold {
    /// The absolute threshold in base units (`500ms` → 0.5).
    pub fn base_value(self) -> Option<f64> {
        match self {
            Threshold::Absolute { number, suffix } => Some(number * suffix.to_base()),
            Threshold::Relative { .. } => None,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::Absolute { number, suffix } => write!(f, "{number}{suffix}"),
            Threshold::Relative { percent } if *percent >= 0.0 => {
                // `-0%` prints as `+0%`.
                write!(f, "+{}%", percent.abs())
            }
            Threshold::Relative { percent } => write!(f, "{percent}%"),
        }
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.aggregate, self.op, self.threshold)
    }
}

/// A syntax error with the byte range (within the expectation string) it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExpectError {
    pub message: String,
    pub span: Range<usize>,
    pub help: Option<String>,
}

impl ExpectError {
    fn new(message: impl Into<String>, span: Range<usize>) -> ExpectError {
        ExpectError {
            message: message.into(),
            span,
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> ExpectError {
        self.help = Some(help.into());
        self
    }
}

const EXAMPLES: &str =
    "examples: `p(95) < 500ms`, `rate < 0.5%`, `count >= 100`, `value >= 80%`, `p(95) <= +10%`";

impl FromStr for Expectation {
    type Err = ExpectError;

    fn from_str(text: &str) -> Result<Expectation, ExpectError> {
        let mut cursor = Cursor { text, pos: 0 };
        cursor.skip_spaces();
        let aggregate = cursor.aggregate()?;
        cursor.skip_spaces();
        let op = cursor.op()?;
        cursor.skip_spaces();
        let threshold = cursor.threshold()?;
        cursor.skip_spaces();
        if cursor.pos < text.len() {
            return Err(ExpectError::new(
                format!("unexpected `{}` after the threshold", &text[cursor.pos..]),
                cursor.pos..text.len(),
            ));
        }
        if matches!(op, Op::Eq | Op::Ne) && !aggregate.is_exact() {
            return Err(ExpectError::new(
                format!("`{op}` cannot be decided for `{aggregate}`, which is estimated with an interval"),
                0..text.trim_end().len(),
            )
            .help("use <, <=, > or >=; == and != only suit value, count, total, min and max"));
        }
        Ok(Expectation {
            aggregate,
            op,
            threshold,
        })
    }
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_spaces(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn aggregate(&mut self) -> Result<Aggregate, ExpectError> {
        let start = self.pos;
        let word_len = self
            .rest()
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(self.rest().len());
        let word = &self.rest()[..word_len];
        let simple = match word {
            "med" => Some(Aggregate::Median),
            "mean" | "avg" => Some(Aggregate::Mean),
            "min" => Some(Aggregate::Min),
            "max" => Some(Aggregate::Max),
            "rate" => Some(Aggregate::Rate),
            "count" => Some(Aggregate::Count),
            "total" => Some(Aggregate::Total),
            "value" => Some(Aggregate::Value),
            _ => None,
        };
        if let Some(aggregate) = simple {
            self.pos += word_len;
            return Ok(aggregate);
        }
        if word == "p" && self.rest()[1..].starts_with('(') {
            self.pos += 2;
            let number_start = self.pos;
            let close = self.rest().find(')').ok_or_else(|| {
                ExpectError::new("`p(` is not closed", start..self.text.len())
                    .help("write a percentile as p(95) or p(99.9)")
            })?;
            let inner = self.rest()[..close].trim();
            let span = number_start..number_start + close;
            let q: f64 = inner.parse().map_err(|_| {
                ExpectError::new(format!("`{inner}` is not a percentile"), span.clone())
                    .help("write a percentile as p(95) or p(99.9)")
            })?;
            if !(q > 0.0 && q < 100.0) {
                return Err(ExpectError::new(
                    format!("percentile {inner} is not between 0 and 100"),
                    span,
                )
                .help("p(100) is the maximum: write `max`; p(0) is `min`"));
            }
            if crate::stats::Fraction::from_percent(q).is_none() {
                return Err(ExpectError::new(
                    format!("percentile {inner} has too many decimals"),
                    span,
                )
                .help("write at most 20 decimals, e.g. p(99.999)"));
            }
            self.pos += close + 1;
            return Ok(Aggregate::Percentile(q));
        }
        let span_end = if word.is_empty() {
            (start + self.rest().chars().next().map_or(0, char::len_utf8)).max(start)
        } else {
            start + word_len
        };
        let found = if word.is_empty() {
            self.rest()
                .chars()
                .next()
                .map(String::from)
                .unwrap_or_default()
        } else {
            word.to_owned()
        };
        let mut error = if found.is_empty() {
            ExpectError::new("the expectation is empty", start..start)
        } else {
            ExpectError::new(format!("unknown aggregate `{found}`"), start..span_end)
        };
        let names = [
            "p(95)", "med", "mean", "min", "max", "rate", "count", "total", "value",
        ];
        let close = crate::suggest::closest(&found, names.iter().copied());
        error = match close.first() {
            Some(best) => error.help(format!("did you mean `{best}`? {EXAMPLES}")),
            None => error.help(EXAMPLES),
        };
        Err(error)
    }

    fn op(&mut self) -> Result<Op, ExpectError> {
        let rest = self.rest();
        let (op, len) = if rest.starts_with("<=") {
            (Op::Le, 2)
        } else if rest.starts_with(">=") {
            (Op::Ge, 2)
        } else if rest.starts_with("==") {
            (Op::Eq, 2)
        } else if rest.starts_with("!=") {
            (Op::Ne, 2)
        } else if rest.starts_with('<') {
            (Op::Lt, 1)
        } else if rest.starts_with('>') {
            (Op::Gt, 1)
        } else {
            let len = rest.chars().next().map_or(0, char::len_utf8);
            let message = if rest.starts_with('=') {
                "`=` is not a comparison".to_owned()
            } else if rest.is_empty() {
                "the comparison is missing".to_owned()
            } else {
                format!("expected a comparison, found `{}`", &rest[..len])
            };
            return Err(ExpectError::new(message, self.pos..self.pos + len)
                .help("compare with <, <=, >, >=, == or !="));
        };
        self.pos += len;
        Ok(op)
    }

    fn threshold(&mut self) -> Result<Threshold, ExpectError> {
        let start = self.pos;
        let rest = self.rest();
        let sign = match rest.chars().next() {
            Some('+') => Some(1.0),
            Some('-') => Some(-1.0),
            _ => None,
        };
        let number_start = start + usize::from(sign.is_some());
        let body = &self.text[number_start..];
        let number_len = number_prefix_len(body);
        if number_len == 0 {
            let found = body.split_whitespace().next().unwrap_or("");
            return Err(ExpectError::new(
                if found.is_empty() {
                    "the threshold is missing".to_owned()
                } else {
                    format!("expected a number, found `{found}`")
                },
                start
                    ..(number_start + found.len())
                        .max(start + 1)
                        .min(self.text.len().max(start)),
            )
            .help(EXAMPLES));
        }
        let number: f64 = body[..number_len].parse().map_err(|_| {
            ExpectError::new(
                format!("`{}` is not a number", &body[..number_len]),
                number_start..number_start + number_len,
            )
        })?;
        if !number.is_finite() {
            return Err(ExpectError::new(
                format!("`{}` is too large for a number", &body[..number_len]),
                number_start..number_start + number_len,
            )
            .help("a threshold must be a finite number"));
        }
        let suffix_start = number_start + number_len;
        let after_number = &self.text[suffix_start..];
        let suffix_text = &after_number[..after_number
            .find(char::is_whitespace)
            .unwrap_or(after_number.len())];
        let suffix_span = suffix_start..suffix_start + suffix_text.len();
        let suffix = Suffix::parse(suffix_text).ok_or_else(|| {
            ExpectError::new(format!("unknown unit `{suffix_text}`"), suffix_span.clone())
                .help(format!("units: {}", Suffix::ACCEPTED))
        })?;
        self.pos = suffix_span.end;
        match sign {
            Some(sign) => {
                if suffix != Suffix::Percent {
                    return Err(ExpectError::new(
                        "a signed threshold is relative to the baseline and must be a percentage",
                        start..suffix_span.end,
                    )
                    .help("write `p(95) <= +10%` for at most 10 % above the baseline"));
                }
                Ok(Threshold::Relative {
                    percent: sign * number,
                })
            }
            None if !(number * suffix.to_base()).is_finite() => Err(ExpectError::new(
                format!(
                    "`{}` overflows in base units",
                    &self.text[number_start..suffix_span.end]
                ),
                number_start..suffix_span.end,
            )
            .help("a threshold must be a finite number")),
            None => Ok(Threshold::Absolute { number, suffix }),
        }
    }
}

/// Length of the leading decimal number (digits, one dot, optional exponent).
fn number_prefix_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i == 0 || (i == 1 && bytes[0] == b'.') {
        return 0;
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        let digits_start = j;
        while j < bytes.len() && bytes[j].is_ascii_digit() {
            j += 1;
        }
        if j > digits_start {
            i = j;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::TimeUnit;
    use proptest::prelude::*;

    fn check(text: &str, expected: &str) {
        let parsed: Expectation = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(parsed.to_string(), expected);
    }

    fn error(text: &str) -> (String, Range<usize>) {
        let e = text.parse::<Expectation>().unwrap_err();
        (e.message, e.span)
    }

    #[test]
    fn parses_the_k6_forms() {
        check("p(95) < 500ms", "p(95) < 500ms");
        check("p(99)<=1.2s", "p(99) <= 1.2s");
        check("rate < 0.5%", "rate < 0.5%");
        check("count >= 100", "count >= 100");
        check("value >= 80%", "value >= 80%");
        check("max < 2s", "max < 2s");
        check("avg < 200ms", "mean < 200ms");
        check("med<10ms", "med < 10ms");
        check("p(99.9) < 1s", "p(99.9) < 1s");
        check("p(95) <= +10%", "p(95) <= +10%");
        check("value >= -2%", "value >= -2%");
        check("value == 0", "value == 0");
        check("value > 30d", "value > 30d");
        check("value < 1e3", "value < 1000");
    }

    #[test]
    fn thresholds_convert_to_base_units() {
        let e: Expectation = "p(95) < 500ms".parse().unwrap();
        assert_eq!(
            e.threshold,
            Threshold::Absolute {
                number: 500.0,
                suffix: Suffix::Time(TimeUnit::Milliseconds)
            }
        );
        assert_eq!(e.threshold.base_value(), Some(0.5));
        let rate: Expectation = "rate < 0.5%".parse().unwrap();
        assert!((rate.threshold.base_value().unwrap() - 0.005).abs() < 1e-15);
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(error("p95 < 1s"), ("unknown aggregate `p`".into(), 0..1));
        assert_eq!(
            error("p(95) = 1s"),
            ("`=` is not a comparison".into(), 6..7)
        );
        assert_eq!(
            error("p(95) < 5parsecs"),
            ("unknown unit `parsecs`".into(), 9..16)
        );
        assert_eq!(
            error("p(100) < 1s"),
            ("percentile 100 is not between 0 and 100".into(), 2..5)
        );
        assert_eq!(error("rate < +5ms").1, 7..11);
        assert_eq!(
            error("p(95) == 1s").0,
            "`==` cannot be decided for `p(95)`, which is estimated with an interval"
        );
        assert_eq!(error("rate <").0, "the threshold is missing");
        assert_eq!(error("").0, "the expectation is empty");
        assert_eq!(
            error("rate < 1% extra").0,
            "unexpected `extra` after the threshold"
        );
    }

    fn aggregate_strategy() -> impl Strategy<Value = Aggregate> {
        prop_oneof![
            (1u32..9999).prop_map(|q| Aggregate::Percentile(f64::from(q) / 100.0)),
            Just(Aggregate::Median),
            Just(Aggregate::Mean),
            Just(Aggregate::Min),
            Just(Aggregate::Max),
            Just(Aggregate::Rate),
            Just(Aggregate::Count),
            Just(Aggregate::Total),
            Just(Aggregate::Value),
        ]
    }

    fn suffix_strategy() -> impl Strategy<Value = Suffix> {
        prop_oneof![
            Just(Suffix::None),
            Just(Suffix::Percent),
            Just(Suffix::PerSecond),
            Just(Suffix::Time(TimeUnit::Milliseconds)),
            Just(Suffix::Time(TimeUnit::Seconds)),
            Just(Suffix::Time(TimeUnit::Hours)),
            Just(Suffix::Bytes(crate::units::ByteUnit::MiB)),
        ]
    }

    proptest! {
        /// parse, print, parse gives back the same expectation.
        #[test]
        fn print_then_parse_is_identity(
            aggregate in aggregate_strategy(),
            op_index in 0usize..6,
            number in 0.0f64..1e9,
            suffix in suffix_strategy(),
            relative in any::<bool>(),
            spaces in "[ ]{0,2}",
        ) {
            let op = [Op::Lt, Op::Le, Op::Gt, Op::Ge, Op::Eq, Op::Ne][op_index];
            prop_assume!(!matches!(op, Op::Eq | Op::Ne) || aggregate.is_exact());
            let threshold = if relative {
                Threshold::Relative { percent: number }
            } else {
                Threshold::Absolute { number, suffix }
            };
            let expectation = Expectation { aggregate, op, threshold };
            let text = expectation.to_string().replace(' ', &spaces);
            let parsed: Expectation = text.parse().unwrap();
            prop_assert_eq!(&parsed, &expectation);
            prop_assert_eq!(parsed.to_string().parse::<Expectation>().unwrap(), parsed);
        }

        /// Any input gives a value or an error whose span lies inside the input; never a panic.
        #[test]
        fn never_panics(text in ".{0,24}") {
            if let Err(e) = text.parse::<Expectation>() {
                prop_assert!(e.span.start <= e.span.end && e.span.end <= text.len(), "{:?} in {:?}", e.span, text);
                prop_assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
            }
        }
    }
}
