//! Figures in a line of text: numbers with their unit, a comparison before them ("<500ms",
//! "≤180秒"), a sign ("+32%"), a denominator ("95/100"), and whether they are a stated target.

use crate::lexicon;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumUnit {
    Percent,
    Millis,
    Seconds,
    Minutes,
    Hours,
    PerSecond,
    Bytes,
    /// 个, 项, 条, 次: a count of things.
    Count,
    None,
}

impl NumUnit {
    /// The value in the unit's base (seconds for times), for comparing figures of one kind.
    pub fn base(self, value: f64) -> f64 {
        match self {
            NumUnit::Millis => value / 1000.0,
            NumUnit::Minutes => value * 60.0,
            NumUnit::Hours => value * 3600.0,
            _ => value,
        }
    }

    pub fn is_time(self) -> bool {
        matches!(
            self,
            NumUnit::Millis | NumUnit::Seconds | NumUnit::Minutes | NumUnit::Hours
        )
    }

    /// Whether two units measure the same kind of thing.
    pub fn same_kind(self, other: NumUnit) -> bool {
        self == other || (self.is_time() && other.is_time())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Num {
    /// Byte range in the text, including the unit.
    pub start: usize,
    pub end: usize,
    pub value: f64,
    /// Digits after the decimal point as written.
    pub decimals: u32,
    pub unit: NumUnit,
    pub op: Option<Op>,
    /// '+' or '-' written right before the number.
    pub sign: Option<char>,
    /// `a/b`: the b.
    pub denominator: Option<f64>,
    /// Written as "1000+" or "95%+".
    pub at_least: bool,
    /// Said to be a target ("目标<500ms", "180秒目标").
    pub target: bool,
    /// "~3-4": the upper end of a range written right after.
    pub range_to: Option<f64>,
}

const UNITS: &[(&str, NumUnit)] = &[
    ("%", NumUnit::Percent),
    ("％", NumUnit::Percent),
    ("毫秒", NumUnit::Millis),
    ("ms", NumUnit::Millis),
    ("秒", NumUnit::Seconds),
    ("sec", NumUnit::Seconds),
    ("s", NumUnit::Seconds),
    ("分钟", NumUnit::Minutes),
    ("min", NumUnit::Minutes),
    ("小时", NumUnit::Hours),
    ("hours", NumUnit::Hours),
    ("hour", NumUnit::Hours),
    ("hrs", NumUnit::Hours),
    ("h", NumUnit::Hours),
    ("rps", NumUnit::PerSecond),
    ("req/s", NumUnit::PerSecond),
    ("qps", NumUnit::PerSecond),
    ("/s", NumUnit::PerSecond),
    ("mb", NumUnit::Bytes),
    ("kb", NumUnit::Bytes),
    ("gb", NumUnit::Bytes),
    ("mib", NumUnit::Bytes),
    ("kib", NumUnit::Bytes),
    ("gib", NumUnit::Bytes),
    ("个", NumUnit::Count),
    ("项", NumUnit::Count),
    ("条", NumUnit::Count),
    ("次", NumUnit::Count),
    ("行", NumUnit::Count),
];

fn is_ascii_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The digits at `i` (with `,` thousands groups and one `.`), as (end, value, decimals).
fn digits(text: &str, i: usize) -> Option<(usize, f64, u32)> {
    let bytes = text.as_bytes();
    let mut j = i;
    let mut clean = String::new();
    while j < bytes.len() && bytes[j].is_ascii_digit() {
        clean.push(bytes[j] as char);
        j += 1;
        // 33,062: a comma followed by exactly three digits.
        if j + 3 < bytes.len() + 1
            && j < bytes.len()
            && bytes[j] == b','
            && bytes
                .get(j + 1..j + 4)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
            && !bytes.get(j + 4).is_some_and(u8::is_ascii_digit)
        {
            j += 1;
        }
        if clean.len() > 12 {
            return None;
        }
    }
    let mut decimals = 0;
    if j + 1 < bytes.len() && bytes[j] == b'.' && bytes[j + 1].is_ascii_digit() {
        clean.push('.');
        j += 1;
        while j < bytes.len() && bytes[j].is_ascii_digit() && decimals < 12 {
            clean.push(bytes[j] as char);
            j += 1;
            decimals += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            return None;
        }
        // 1.2.3: a version, not a figure.
        if j + 1 < bytes.len() && bytes[j] == b'.' && bytes[j + 1].is_ascii_digit() {
            return None;
        }
    }
    clean.parse().ok().map(|v| (j, v, decimals))
}

fn op_before(before: &str) -> Option<Op> {
    let trimmed = before.trim_end_matches([' ', '~', '约']);
    let last = trimmed.chars().last()?;
    match last {
        '<' => Some(Op::Lt),
        '>' => Some(Op::Gt),
        '≤' | '⩽' => Some(Op::Le),
        '≥' | '⩾' => Some(Op::Ge),
        '=' if trimmed.ends_with("<=") => Some(Op::Le),
        '=' if trimmed.ends_with(">=") => Some(Op::Ge),
        _ => {
            let lower = tail(trimmed, 12).to_ascii_lowercase();
            if [
                "低于",
                "小于",
                "不超过",
                "below",
                "under",
                "at most",
                "less than",
            ]
            .iter()
            .any(|w| lower.ends_with(w))
            {
                Some(Op::Lt)
            } else if [
                "高于",
                "大于",
                "不低于",
                "above",
                "at least",
                "more than",
                "over",
            ]
            .iter()
            .any(|w| lower.ends_with(w))
            {
                Some(Op::Gt)
            } else {
                None
            }
        }
    }
}

/// The last `n` characters of `text`.
fn tail(text: &str, n: usize) -> &str {
    let mut start = text.len();
    for (count, (i, _)) in text.char_indices().rev().enumerate() {
        if count >= n {
            break;
        }
        start = i;
    }
    &text[start..]
}

/// The numbers of `text` that are figures (not dates, times, versions, identifiers).
pub fn scan(text: &str) -> Vec<Num> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() && out.len() < 64 {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let prev = text[..i].chars().last();
        // Part of a word (v1, M5, P99, x86, #132): skip the run.
        if prev.is_some_and(|c| is_ascii_word(c) || c == '#' || c == '.') {
            while i < bytes.len() && (bytes[i] as char).is_ascii_alphanumeric() {
                i += 1;
            }
            continue;
        }
        let Some((mut end, value, decimals)) = digits(text, i) else {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            continue;
        };
        let rest = &text[end..];
        // Dates and times (2025-11-02, 10:34:00), identifiers (3-v1), ratios of versions.
        let date_like = (rest.starts_with('-') || rest.starts_with(':'))
            && rest[1..].starts_with(|c: char| c.is_ascii_digit())
            && !text[..i].trim_end().ends_with('~');
        if date_like || (decimals == 0 && end - i > 9) {
            i = end;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || b"-:".contains(&bytes[i]))
            {
                i += 1;
            }
            continue;
        }
        let mut num = Num {
            start: i,
            end,
            value,
            decimals,
            unit: NumUnit::None,
            op: op_before(&text[..i]),
            sign: None,
            denominator: None,
            at_least: false,
            target: false,
            range_to: None,
        };
        match prev {
            Some('+') => num.sign = Some('+'),
            Some('-') | Some('−') => {
                // "-3秒" is signed; "v1-v4" was skipped above; "3-4" is a range (handled below).
                let before = &text[..i - prev.map_or(0, char::len_utf8)];
                if !before.ends_with(|c: char| c.is_ascii_digit()) {
                    num.sign = Some('-');
                }
            }
            _ => {}
        }
        // a/b
        if rest.starts_with('/')
            && let Some((denominator_end, denominator, _)) = digits(text, end + 1)
        {
            num.denominator = Some(denominator);
            end = denominator_end;
        }
        // ~3-4: a range; keep its upper end.
        let rest = &text[end..];
        if num.denominator.is_none()
            && rest.starts_with('-')
            && let Some((range_end, to, _)) = digits(text, end + 1)
            && to > value
        {
            num.range_to = Some(to);
            end = range_end;
        }
        // The unit, after at most one space.
        let rest = &text[end..];
        let spaced = rest.strip_prefix(' ').unwrap_or(rest);
        let lower: String = spaced
            .chars()
            .take(6)
            .collect::<String>()
            .to_ascii_lowercase();
        for (unit, kind) in UNITS {
            if let Some(unit_rest) = lower.strip_prefix(unit) {
                let after = unit_rest.chars().next();
                // "s" must end a word ("145s", not "145 seconds" — that is "sec").
                let word_unit = unit.chars().all(|c| c.is_ascii_alphabetic());
                if word_unit && after.is_some_and(|c| c.is_ascii_alphabetic()) {
                    continue;
                }
                num.unit = *kind;
                // lower-casing keeps byte lengths of these ASCII and CJK units.
                end += (rest.len() - spaced.len()) + unit.len();
                break;
            }
        }
        if num.unit == NumUnit::None && text[end..].starts_with(|c: char| c.is_ascii_alphabetic()) {
            // 2B, 4x, 1st: not a figure we read.
            i = end;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            continue;
        }
        if text[end..].starts_with('+') {
            num.at_least = true;
            end += 1;
        }
        num.end = end;
        // A target: a target word just before (目标<500ms, target: 99.9%), or just after (180秒目标).
        let before = tail(&text[..num.start], 10).to_ascii_lowercase();
        let after: String = text[end..]
            .chars()
            .take(6)
            .collect::<String>()
            .to_ascii_lowercase();
        num.target = lexicon::any(&before, lexicon::TARGET_WORDS)
            || lexicon::TARGET_WORDS
                .iter()
                .any(|w| after.trim_start().starts_with(w));
        out.push(num);
        i = end.max(i + 1);
    }
    out
}

/// The smallest `n` (up to `limit`) with a `k` such that `k/n`, as a percentage rounded to
/// `decimals` places, is `percent`: the sample a precise percentage most likely came from.
pub fn smallest_fraction(percent: f64, decimals: u32, limit: u64) -> Option<(u64, u64)> {
    let half = 0.5 * 10f64.powi(-(decimals as i32));
    let (lo, hi) = ((percent - half) / 100.0, (percent + half) / 100.0);
    for n in 1..=limit {
        let k = (lo * n as f64).ceil().max(0.0);
        if k <= n as f64 && (k / n as f64) < hi && (k / n as f64) >= lo {
            return Some((k as u64, n));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> Num {
        scan(text).into_iter().next().expect("a number")
    }

    #[test]
    fn figures_units_targets_and_signs() {
        let n = first("P95响应时间: 1200ms (目标<500ms)");
        assert_eq!(
            (n.value, n.unit, n.target),
            (1200.0, NumUnit::Millis, false)
        );
        let all = scan("P95响应时间: 1200ms (目标<500ms)");
        assert_eq!(all.len(), 2, "P95 is not a figure");
        assert_eq!(
            (all[1].value, all[1].op, all[1].target),
            (500.0, Some(Op::Lt), true)
        );
        let all = scan("145秒 (远低于180秒目标，提前19%)");
        assert_eq!(all[1].value, 180.0);
        assert!(all[1].target && !all[0].target);
        assert_eq!((all[2].value, all[2].unit), (19.0, NumUnit::Percent));
        let n = first("72/100 → 95/100 (+32% 提升)");
        assert_eq!((n.value, n.denominator), (72.0, Some(100.0)));
        assert_eq!(scan("72/100 → 95/100 (+32% 提升)")[2].sign, Some('+'));
        assert_eq!(first("审查消费: 33,062 tokens").value, 33062.0);
        assert!(scan("2025-11-02 10:34:00, v1.0, run 15803372952, 2B").is_empty());
        assert_eq!(first("P99 样本数说明 (~3-4 条数据)").range_to, Some(4.0));
        assert_eq!(first("与基准对比 -3秒").sign, Some('-'));
        assert!(first("采样至 1000+ 条").at_least);
        assert_eq!(first("84.62%").decimals, 2);
    }

    #[test]
    fn smallest_fractions() {
        assert_eq!(smallest_fraction(84.62, 2, 1000), Some((11, 13)));
        assert_eq!(smallest_fraction(15.38, 2, 1000), Some((2, 13)));
        assert_eq!(smallest_fraction(100.0, 0, 1000), Some((1, 1)));
        assert_eq!(smallest_fraction(99.9, 1, 1000).map(|f| f.1), Some(667));
    }
}
