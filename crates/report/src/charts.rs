//! Charts as inline SVG, drawn in Rust from the evidence a verdict cites: no script, no font,
//! no network. Colours come from the page's CSS classes (`.c-bar`, `.c-bad`, ...), so the
//! charts follow the light or dark theme and print in black and white.
//!
//! - [`latency_distribution`]: an HDR histogram as bars over log-spaced latency bins;
//! - [`percentile_curve`]: latency (log scale) against the percentile on a "nines" axis
//!   (`x = -log10(1 - q)`: 90 %, 99 %, 99.9 % equally spaced), the plot HdrHistogram users know;
//! - [`throughput_series`] and [`error_share_series`]: completed requests per second, and the
//!   share of them that failed on an axis of its own, from a load record's
//!   `details.series`;
//! - [`availability_timeline`]: the probe window with its outage intervals and attempts;
//! - [`ratio_bar`]: k of n with its interval and the threshold (coverage, pass rate);
//! - [`stacked_counts`]: test results (passed, failed, errored, skipped).
//!
//! Gates drawn on a chart ([`Marker`]) show their threshold as a dashed line and their measured
//! point with its confidence interval. Coordinates are rounded to 0.1 to keep the page small.

use std::fmt::Write as _;

use gonogo_core::units::{Dimension, format_base};
use hdrhistogram::Histogram;

use crate::html::escape_html as esc;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 40.0;

/// A gate drawn on a chart: its threshold and its measured point and interval (base units).
#[derive(Debug, Clone)]
pub struct Marker {
    pub label: String,
    /// For percentile charts: the gate's percentile (0 to 100).
    pub percentile: Option<f64>,
    pub threshold: Option<f64>,
    pub point: Option<f64>,
    pub lower: Option<f64>,
    /// `None` for an unbounded upper end.
    pub upper: Option<f64>,
    pub bad: bool,
}

fn r(x: f64) -> String {
    let rounded = (x * 10.0).round() / 10.0;
    if rounded == rounded.trunc() {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

fn open(out: &mut String, label: &str, height: f64) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{l}" preserveAspectRatio="xMidYMid meet"><title>{l}</title>"#,
        w = WIDTH,
        h = height,
        l = esc(label)
    );
}

fn plot_right() -> f64 {
    WIDTH - RIGHT
}

fn plot_bottom(height: f64) -> f64 {
    height - BOTTOM
}

fn axis_frame(out: &mut String, height: f64, x_label: &str, y_label: &str) {
    let bottom = plot_bottom(height);
    let _ = write!(
        out,
        r#"<path class="c-axis" d="M{l} {t}V{b}H{rt}"/><text class="c-label" x="{cx}" y="{ly}" text-anchor="middle">{xl}</text><text class="c-label" transform="translate(13 {cy}) rotate(-90)" text-anchor="middle">{yl}</text>"#,
        l = r(LEFT),
        t = r(TOP),
        b = r(bottom),
        rt = r(plot_right()),
        cx = r((LEFT + plot_right()) / 2.0),
        ly = r(height - 6.0),
        cy = r((TOP + bottom) / 2.0),
        xl = esc(x_label),
        yl = esc(y_label),
    );
}

fn x_tick(out: &mut String, x: f64, height: f64, label: &str) {
    let bottom = plot_bottom(height);
    let _ = write!(
        out,
        r#"<path class="c-grid" d="M{x} {t}V{b}"/><text class="c-tick" x="{x}" y="{y}" text-anchor="middle">{l}</text>"#,
        x = r(x),
        t = r(TOP),
        b = r(bottom + 4.0),
        y = r(bottom + 16.0),
        l = esc(label)
    );
}

fn y_tick(out: &mut String, y: f64, label: &str) {
    let _ = write!(
        out,
        r#"<path class="c-grid" d="M{l} {y}H{rt}"/><text class="c-tick" x="{tx}" y="{ty}" text-anchor="end">{lab}</text>"#,
        l = r(LEFT - 4.0),
        y = r(y),
        rt = r(plot_right()),
        tx = r(LEFT - 6.0),
        ty = r(y + 4.0),
        lab = esc(label)
    );
}

/// 1, 2, 5 × 10^k values within `[lo, hi]` (positive).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    if !(lo > 0.0 && hi >= lo) {
        return ticks;
    }
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi * 1.0001 {
        for m in [1.0, 2.0, 5.0] {
            let v = decade * m;
            if v >= lo * 0.9999 && v <= hi * 1.0001 {
                ticks.push(v);
            }
        }
        decade *= 10.0;
    }
    if ticks.len() > 8 {
        ticks.retain(|v| {
            let m = v / 10f64.powf(v.log10().floor());
            (m - 1.0).abs() < 1e-6
        });
    }
    ticks
}

/// Linear ticks: about five round values from 0 to `hi`.
fn linear_ticks(hi: f64) -> Vec<f64> {
    if hi <= 0.0 {
        return vec![0.0];
    }
    let raw = hi / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    let mut ticks = Vec::new();
    let mut v = 0.0;
    while v <= hi * 1.0001 {
        ticks.push(v);
        v += step;
    }
    ticks
}

fn count_label(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", r(v / 1e6))
    } else if v >= 1e4 {
        format!("{}k", r(v / 1e3))
    } else {
        r(v)
    }
}

/// The latency distribution: bars over log-spaced bins. `step_seconds` converts histogram
/// values to seconds (1e-6 for microseconds).
pub fn latency_distribution(
    histogram: &Histogram<u64>,
    step_seconds: f64,
    markers: &[Marker],
    label: &str,
    x_label: &str,
    y_label: &str,
) -> String {
    let height = HEIGHT;
    let mut out = String::new();
    open(&mut out, label, height);
    let bottom = plot_bottom(height);
    let lo_value = histogram.min().max(1) as f64;
    let hi_value = (histogram.max().max(1) as f64).max(lo_value * 2.0);
    let (mut lo, mut hi) = (lo_value * step_seconds, hi_value * step_seconds);
    // The axis also reaches every threshold, so a line is never pinned to an edge.
    for threshold in markers.iter().filter_map(|m| m.threshold) {
        if threshold.is_finite() && threshold > 0.0 {
            lo = lo.min(threshold);
            hi = hi.max(threshold);
        }
    }
    let (lo, hi) = (lo / 1.05, hi * 1.05);
    let span = (hi / lo).ln();
    let x_of =
        |seconds: f64| LEFT + (seconds.max(lo).min(hi) / lo).ln() / span * (plot_right() - LEFT);
    const BINS: usize = 48;
    let mut counts = [0u64; BINS];
    for value in histogram.iter_recorded() {
        let seconds = histogram.median_equivalent(value.value_iterated_to()) as f64 * step_seconds;
        let position = ((seconds.max(lo) / lo).ln() / span * BINS as f64).floor();
        let bin = (position.max(0.0) as usize).min(BINS - 1);
        counts[bin] += value.count_at_value();
    }
    let max_count = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let y_of = |count: f64| bottom - count / max_count * (bottom - TOP);
    for tick in linear_ticks(max_count) {
        y_tick(&mut out, y_of(tick), &count_label(tick));
    }
    for tick in log_ticks(lo, hi) {
        x_tick(
            &mut out,
            x_of(tick),
            height,
            &format_base(tick, Dimension::Time),
        );
    }
    let bin_width = (plot_right() - LEFT) / BINS as f64;
    out.push_str(r#"<path class="c-bar" d=""#);
    for (i, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let x = LEFT + i as f64 * bin_width;
        let y = y_of(count as f64);
        let _ = write!(
            out,
            "M{} {}h{}V{}h{}Z",
            r(x + 0.5),
            r(bottom),
            r(bin_width - 1.0),
            r(y),
            r(-(bin_width - 1.0))
        );
    }
    out.push_str(r#""/>"#);
    for (index, marker) in markers.iter().enumerate() {
        draw_vertical_marker(&mut out, marker, index, &x_of, height);
    }
    axis_frame(&mut out, height, x_label, y_label);
    out.push_str("</svg>");
    out
}

fn draw_vertical_marker(
    out: &mut String,
    marker: &Marker,
    index: usize,
    x_of: &dyn Fn(f64) -> f64,
    height: f64,
) {
    let bottom = plot_bottom(height);
    if let (Some(lower), Some(point)) = (marker.lower, marker.point) {
        let upper = marker.upper.unwrap_or(f64::INFINITY);
        let x0 = x_of(lower);
        let x1 = if upper.is_finite() {
            x_of(upper)
        } else {
            plot_right()
        };
        let _ = write!(
            out,
            r#"<rect class="c-band{bad}" x="{x}" y="{t}" width="{w}" height="{h}"><title>{l}</title></rect><path class="c-point{bad}" d="M{px} {t}V{b}"/>"#,
            bad = if marker.bad { " bad" } else { "" },
            x = r(x0),
            t = r(TOP),
            w = r((x1 - x0).max(1.0)),
            h = r(bottom - TOP),
            px = r(x_of(point)),
            b = r(bottom),
            l = esc(&marker.label),
        );
    }
    if let Some(threshold) = marker.threshold {
        let x = x_of(threshold);
        let _ = write!(
            out,
            r#"<path class="c-threshold" d="M{x} {t}V{b}"/><text class="c-tick" x="{tx}" y="{ty}" text-anchor="end">{l}</text>"#,
            x = r(x),
            t = r(TOP),
            b = r(bottom),
            tx = r((x - 4.0).max(LEFT + 110.0)),
            ty = r(TOP + 12.0 + 15.0 * index as f64),
            l = esc(&marker.label),
        );
    }
}

/// The percentile curve: latency (log scale) against `-log10(1 - q)`.
pub fn percentile_curve(
    histogram: &Histogram<u64>,
    step_seconds: f64,
    markers: &[Marker],
    label: &str,
    x_label: &str,
    y_label: &str,
) -> String {
    let height = HEIGHT;
    let mut out = String::new();
    open(&mut out, label, height);
    let bottom = plot_bottom(height);
    let n = histogram.len().max(1) as f64;
    // The last percentile the samples can speak for: 1 - 1/n, at most five nines.
    let x_max = (n.log10()).clamp(1.0, 5.0);
    let lo = histogram.min().max(1) as f64 * step_seconds;
    let mut hi = (histogram.max().max(1) as f64 * step_seconds).max(lo * 2.0);
    for marker in markers {
        for v in [marker.threshold, marker.upper].into_iter().flatten() {
            if v.is_finite() && v > hi {
                hi = v;
            }
        }
    }
    let hi = hi * 1.1;
    let span = (hi / lo).ln();
    let x_of = |nines: f64| LEFT + nines.clamp(0.0, x_max) / x_max * (plot_right() - LEFT);
    let y_of = |seconds: f64| bottom - (seconds.clamp(lo, hi) / lo).ln() / span * (bottom - TOP);
    for tick in log_ticks(lo, hi) {
        y_tick(&mut out, y_of(tick), &format_base(tick, Dimension::Time));
    }
    let mut nines = 0.0;
    while nines <= x_max + 1e-9 {
        let percent = 100.0 * (1.0 - 10f64.powf(-nines));
        let text = match nines as i64 {
            0 => "0 %".to_owned(),
            k => format!("{percent:.*} %", (k - 2).max(0) as usize),
        };
        x_tick(&mut out, x_of(nines), height, &text);
        nines += 1.0;
    }
    out.push_str(r#"<path class="c-line" d=""#);
    let steps = 100;
    for i in 0..=steps {
        let nines = x_max * i as f64 / steps as f64;
        let q = 1.0 - 10f64.powf(-nines);
        let value = histogram.value_at_quantile(q.min(1.0)) as f64 * step_seconds;
        let _ = write!(
            out,
            "{}{} {}",
            if i == 0 { "M" } else { "L" },
            r(x_of(nines)),
            r(y_of(value.max(lo)))
        );
    }
    out.push_str(r#""/>"#);
    for marker in markers {
        let Some(percentile) = marker.percentile else {
            continue;
        };
        let nines = -(1.0 - percentile / 100.0).max(1e-9).log10();
        let x = x_of(nines);
        if let Some(threshold) = marker.threshold {
            let _ = write!(
                out,
                r#"<path class="c-threshold" d="M{x0} {y}H{x1}"/><text class="c-tick" x="{tx}" y="{ty}" text-anchor="end">{l}</text>"#,
                x0 = r(LEFT),
                x1 = r(plot_right()),
                y = r(y_of(threshold)),
                tx = r(plot_right() - 2.0),
                ty = r(y_of(threshold) - 4.0),
                l = esc(&marker.label),
            );
        }
        if let Some(point) = marker.point {
            let y_low = marker.lower.map(&y_of).unwrap_or(bottom);
            let y_high = match marker.upper {
                Some(u) if u.is_finite() => y_of(u),
                _ => TOP,
            };
            let _ = write!(
                out,
                r#"<g class="c-marker{bad}"><title>{l}</title><path d="M{x} {yl}V{yh}M{xa} {yl}h8M{xa} {yh}h8"/><circle cx="{x}" cy="{y}" r="4"/></g>"#,
                bad = if marker.bad { " bad" } else { "" },
                l = esc(&marker.label),
                x = r(x),
                xa = r(x - 4.0),
                yl = r(y_low),
                yh = r(y_high),
                y = r(y_of(point)),
            );
        }
    }
    axis_frame(&mut out, height, x_label, y_label);
    out.push_str("</svg>");
    out
}

/// One second of a load run.
#[derive(Debug, Clone, Copy)]
pub struct SeriesPoint {
    pub second: f64,
    pub completed: f64,
    pub errors: f64,
}

/// Completed requests per second (a line). Errors are drawn apart, as a share, by
/// [`error_share_series`]: on the requests axis a 2 % error rate is a flat line at the bottom.
pub fn throughput_series(
    points: &[SeriesPoint],
    label: &str,
    x_label: &str,
    y_label: &str,
    legend: &str,
) -> String {
    let height = HEIGHT;
    let mut out = String::new();
    open(&mut out, label, height);
    let bottom = plot_bottom(height);
    let (first, last) = series_span(points);
    let max_y = points.iter().map(|p| p.completed).fold(1.0, f64::max) * 1.15;
    let x_of = |s: f64| LEFT + (s - first) / (last - first) * (plot_right() - LEFT);
    let y_of = |v: f64| bottom - v / max_y * (bottom - TOP);
    for tick in linear_ticks(max_y) {
        y_tick(&mut out, y_of(tick), &count_label(tick));
    }
    for tick in linear_ticks(last - first) {
        x_tick(&mut out, x_of(first + tick), height, &r(first + tick));
    }
    out.push_str(r#"<path class="c-line" d=""#);
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            out,
            "{}{} {}H{}",
            if i == 0 { "M" } else { "L" },
            r(x_of(p.second)),
            r(y_of(p.completed)),
            r(x_of(p.second + 1.0))
        );
    }
    out.push_str(r#""/>"#);
    legend_row(&mut out, &[("c-line-key", legend)]);
    axis_frame(&mut out, height, x_label, y_label);
    out.push_str("</svg>");
    out
}

/// The seconds a series covers, `[first, last + 1)`.
fn series_span(points: &[SeriesPoint]) -> (f64, f64) {
    let first = points.first().map(|p| p.second).unwrap_or(0.0);
    let last = points
        .last()
        .map(|p| p.second + 1.0)
        .unwrap_or(1.0)
        .max(first + 1.0);
    (first, last)
}

/// The share of each second's completed requests that failed (bars), on an axis of its own in
/// percent, scaled to the largest share (at least 1 %), so a 2 % error rate is visible.
/// `None` when no second had an error.
pub fn error_share_series(
    points: &[SeriesPoint],
    label: &str,
    x_label: &str,
    y_label: &str,
    legend: &str,
) -> Option<String> {
    let share = |p: &SeriesPoint| {
        if p.completed > 0.0 {
            (p.errors / p.completed).clamp(0.0, 1.0) * 100.0
        } else if p.errors > 0.0 {
            100.0
        } else {
            0.0
        }
    };
    if points.iter().all(|p| share(p) == 0.0) {
        return None;
    }
    let height = HEIGHT;
    let mut out = String::new();
    open(&mut out, label, height);
    let bottom = plot_bottom(height);
    let (first, last) = series_span(points);
    let max_y = (points.iter().map(share).fold(1.0, f64::max) * 1.15).min(100.0);
    let x_of = |s: f64| LEFT + (s - first) / (last - first) * (plot_right() - LEFT);
    let y_of = |v: f64| bottom - v / max_y * (bottom - TOP);
    for tick in linear_ticks(max_y) {
        y_tick(&mut out, y_of(tick), &format!("{} %", percent_label(tick)));
    }
    for tick in linear_ticks(last - first) {
        x_tick(&mut out, x_of(first + tick), height, &r(first + tick));
    }
    let width = ((plot_right() - LEFT) / (last - first)).max(0.5);
    out.push_str(r#"<path class="c-bad-fill" d=""#);
    for p in points.iter().filter(|p| share(p) > 0.0) {
        let _ = write!(
            out,
            "M{} {}h{}V{}h{}Z",
            r(x_of(p.second)),
            r(bottom),
            r(width),
            r(y_of(share(p))),
            r(-width)
        );
    }
    out.push_str(r#""/>"#);
    legend_row(&mut out, &[("c-bad-key", legend)]);
    axis_frame(&mut out, height, x_label, y_label);
    out.push_str("</svg>");
    Some(out)
}

/// A percentage tick: whole numbers as such, else up to two decimals.
fn percent_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round())
    } else {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// About how wide `text` is at the charts' 13 px: wide (CJK) characters take a full em.
fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if c >= '\u{2e80}' { 13.5 } else { 7.5 })
        .sum()
}

fn legend_row(out: &mut String, items: &[(&str, &str)]) {
    let mut x = LEFT + 8.0;
    for (class, text) in items {
        let _ = write!(
            out,
            r#"<rect class="{class}" x="{x}" y="{y}" width="10" height="10"/><text class="c-tick" x="{tx}" y="{ty}">{t}</text>"#,
            x = r(x),
            y = r(TOP + 2.0),
            tx = r(x + 14.0),
            ty = r(TOP + 11.0),
            t = esc(text)
        );
        x += 24.0 + text_width(text);
    }
}

/// One outage of a probe window, in seconds from the window's start.
#[derive(Debug, Clone, Copy)]
pub struct Outage {
    pub start: f64,
    pub end: f64,
}

/// The probe window as a bar: up in green, outages in red, attempts as ticks above.
pub fn availability_timeline(
    window_s: f64,
    outages: &[Outage],
    attempts: &[(f64, bool)],
    label: &str,
    x_label: &str,
    legend: (&str, &str),
) -> String {
    let height = 110.0;
    let mut out = String::new();
    open(&mut out, label, height);
    let window = window_s.max(1e-3);
    let x_of = |s: f64| LEFT + s.clamp(0.0, window) / window * (plot_right() - LEFT);
    let bar_top = 40.0;
    let bar_height = 22.0;
    let _ = write!(
        out,
        r#"<rect class="c-good-fill" x="{x}" y="{y}" width="{w}" height="{h}"/>"#,
        x = r(LEFT),
        y = r(bar_top),
        w = r(plot_right() - LEFT),
        h = r(bar_height)
    );
    for outage in outages {
        let x0 = x_of(outage.start);
        let x1 = x_of(outage.end);
        let _ = write!(
            out,
            r#"<rect class="c-bad-fill" x="{x}" y="{y}" width="{w}" height="{h}"><title>{a}–{b} s</title></rect>"#,
            x = r(x0),
            y = r(bar_top),
            w = r((x1 - x0).max(1.5)),
            h = r(bar_height),
            a = r(outage.start),
            b = r(outage.end),
        );
    }
    out.push_str(r#"<path class="c-good" d=""#);
    for (offset, _) in attempts.iter().filter(|(_, ok)| *ok) {
        let _ = write!(out, "M{} {}v8", r(x_of(*offset)), r(bar_top - 12.0));
    }
    out.push_str(r#""/><path class="c-bad" d=""#);
    for (offset, _) in attempts.iter().filter(|(_, ok)| !*ok) {
        let _ = write!(out, "M{} {}v8", r(x_of(*offset)), r(bar_top - 12.0));
    }
    out.push_str(r#""/>"#);
    for tick in linear_ticks(window) {
        let x = x_of(tick);
        let _ = write!(
            out,
            r#"<path class="c-axis" d="M{x} {t}v4"/><text class="c-tick" x="{x}" y="{ty}" text-anchor="middle">{l}</text>"#,
            x = r(x),
            t = r(bar_top + bar_height),
            ty = r(bar_top + bar_height + 16.0),
            l = r(tick)
        );
    }
    let _ = write!(
        out,
        r#"<text class="c-label" x="{cx}" y="{y}" text-anchor="middle">{l}</text>"#,
        cx = r((LEFT + plot_right()) / 2.0),
        y = r(height - 6.0),
        l = esc(x_label)
    );
    let mut x = LEFT;
    for (class, text) in [("c-good-fill", legend.0), ("c-bad-fill", legend.1)] {
        let _ = write!(
            out,
            r#"<rect class="{class}" x="{x}" y="6" width="10" height="10"/><text class="c-tick" x="{tx}" y="15">{t}</text>"#,
            x = r(x),
            tx = r(x + 14.0),
            t = esc(text)
        );
        x += 24.0 + text_width(text);
    }
    out.push_str("</svg>");
    out
}

/// k of n as a horizontal bar from 0 to 100 %, with the interval and the threshold.
pub fn ratio_bar(
    k: u64,
    n: u64,
    interval: Option<(f64, f64)>,
    threshold: Option<f64>,
    label: &str,
) -> String {
    let height = 54.0;
    let mut out = String::new();
    open(&mut out, label, height);
    let x_of = |fraction: f64| LEFT + fraction.clamp(0.0, 1.0) * (plot_right() - LEFT);
    let fraction = if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let _ = write!(
        out,
        r#"<rect class="c-track" x="{x}" y="10" width="{w}" height="16"/><rect class="c-bar" x="{x}" y="10" width="{f}" height="16"/>"#,
        x = r(LEFT),
        w = r(plot_right() - LEFT),
        f = r(x_of(fraction) - LEFT)
    );
    if let Some((lower, upper)) = interval {
        let _ = write!(
            out,
            r#"<path class="c-point" d="M{a} 18H{b}M{a} 13v10M{b} 13v10"/>"#,
            a = r(x_of(lower)),
            b = r(x_of(upper))
        );
    }
    if let Some(threshold) = threshold {
        let _ = write!(
            out,
            r#"<path class="c-threshold" d="M{x} 4V32"/>"#,
            x = r(x_of(threshold))
        );
    }
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            out,
            r#"<text class="c-tick" x="{x}" y="46" text-anchor="middle">{l} %</text>"#,
            x = r(x_of(tick)),
            l = r(tick * 100.0)
        );
    }
    out.push_str("</svg>");
    out
}

/// Counts as one stacked bar (test results): `(css class, legend text, count)`.
pub fn stacked_counts(parts: &[(&str, String, u64)], label: &str) -> String {
    let height = 58.0;
    let mut out = String::new();
    open(&mut out, label, height);
    let total: u64 = parts.iter().map(|p| p.2).sum::<u64>().max(1);
    let mut x = LEFT;
    let width = plot_right() - LEFT;
    for (class, _, count) in parts {
        let w = *count as f64 / total as f64 * width;
        if w > 0.0 {
            let _ = write!(
                out,
                r#"<rect class="{class}" x="{x}" y="8" width="{w}" height="18"/>"#,
                x = r(x),
                w = r(w.max(1.0))
            );
        }
        x += w;
    }
    let mut x = LEFT;
    for (class, text, _) in parts {
        let _ = write!(
            out,
            r#"<rect class="{class}" x="{x}" y="38" width="10" height="10"/><text class="c-tick" x="{tx}" y="47">{t}</text>"#,
            x = r(x),
            tx = r(x + 14.0),
            t = esc(text)
        );
        x += 30.0 + text_width(text);
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(
            log_ticks(0.001, 0.1),
            vec![0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1]
        );
        assert_eq!(linear_ticks(100.0), vec![0.0, 25.0, 50.0, 75.0, 100.0]);
        assert_eq!(r(1.25), "1.3");
        assert_eq!(r(2.0), "2");
    }

    #[test]
    fn a_histogram_draws_bars_and_a_curve() {
        let mut histogram = gonogo_core::evidence::latency_histogram();
        for micros in [1_000u64, 2_000, 3_000, 50_000, 400_000] {
            histogram.record(micros).unwrap();
        }
        let marker = Marker {
            label: "p(95) < 500 ms".into(),
            percentile: Some(95.0),
            threshold: Some(0.5),
            point: Some(0.4),
            lower: Some(0.05),
            upper: None,
            bad: false,
        };
        let bars = latency_distribution(
            &histogram,
            1e-6,
            std::slice::from_ref(&marker),
            "t",
            "x",
            "y",
        );
        assert!(bars.starts_with("<svg") && bars.ends_with("</svg>"));
        assert!(bars.contains("c-bar") && bars.contains("c-threshold"));
        let curve = percentile_curve(&histogram, 1e-6, &[marker], "t <b>", "x", "y");
        assert!(curve.contains("c-line") && curve.contains("c-marker"));
        assert!(curve.contains("t &lt;b&gt;"));
    }
}

/// One run on a trend chart: its measured point and interval (base units), and whether the
/// run was NO-GO. `current` marks the run the report is about (drawn last, hollow).
#[derive(Debug, Clone)]
pub struct TrendDot {
    pub label: String,
    pub point: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub bad: bool,
    pub current: bool,
}

/// A gate across runs: each run's point with its interval as a whisker (an unbounded end runs
/// to the plot's edge), coloured by the run's verdict, and the gate's threshold as a dashed
/// line. Runs are evenly spaced, oldest first; the y axis is linear from zero.
pub fn trend(
    dots: &[TrendDot],
    threshold: Option<f64>,
    dimension: Dimension,
    label: &str,
    x_label: &str,
    legend: (&str, &str, &str),
) -> String {
    let height = 180.0;
    let mut out = String::new();
    open(&mut out, label, height);
    let bottom = plot_bottom(height);
    let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
    let top_value = dots
        .iter()
        .flat_map(|d| [Some(d.point), finite(d.upper), finite(d.lower)])
        .chain([finite(threshold)])
        .flatten()
        .fold(0.0_f64, f64::max);
    let max_y = if top_value > 0.0 {
        top_value * 1.15
    } else {
        1.0
    };
    let y_of = |v: f64| bottom - (v / max_y).clamp(0.0, 1.0) * (bottom - TOP);
    let slots = dots.len().max(1) as f64;
    let x_of = |i: usize| LEFT + (i as f64 + 0.5) / slots * (plot_right() - LEFT);
    for tick in linear_ticks(max_y) {
        y_tick(&mut out, y_of(tick), &format_base(tick, dimension));
    }
    if let Some(threshold) = finite(threshold) {
        let _ = write!(
            out,
            r#"<path class="c-threshold" d="M{l} {y}H{rt}"/>"#,
            l = r(LEFT),
            y = r(y_of(threshold)),
            rt = r(plot_right()),
        );
    }
    for (i, dot) in dots.iter().enumerate() {
        let x = x_of(i);
        let class = if dot.bad { "c-bad" } else { "c-good" };
        // Both ends absent: an exact figure, no whisker. One end absent: unbounded that way.
        let exact = dot.lower.is_none() && dot.upper.is_none();
        let (low, high) = if exact {
            (y_of(dot.point), y_of(dot.point))
        } else {
            (
                finite(dot.lower).map_or(bottom, y_of),
                finite(dot.upper).map_or(TOP, y_of),
            )
        };
        let _ = write!(
            out,
            r#"<g><title>{t}</title><path class="{class}" d="M{x} {low}V{high}M{a} {low}h8M{a} {high}h8"/><circle class="{dot_class}" cx="{x}" cy="{y}" r="{rad}"/></g>"#,
            t = esc(&dot.label),
            x = r(x),
            a = r(x - 4.0),
            low = r(low),
            high = r(high),
            y = r(y_of(dot.point)),
            rad = if dot.current { "5" } else { "3.5" },
            dot_class = match (dot.current, dot.bad) {
                (true, false) => "c-marker",
                (true, true) => "c-marker bad",
                (false, false) => "c-good-fill",
                (false, true) => "c-bad-fill",
            },
        );
    }
    legend_row(
        &mut out,
        &[
            ("c-good-fill", legend.0),
            ("c-bad-fill", legend.1),
            ("c-marker", legend.2),
        ],
    );
    let _ = write!(
        out,
        r#"<text class="c-label" x="{cx}" y="{y}" text-anchor="middle">{l}</text><path class="c-axis" d="M{l0} {t}V{b}H{rt}"/>"#,
        cx = r((LEFT + plot_right()) / 2.0),
        y = r(height - 6.0),
        l = esc(x_label),
        l0 = r(LEFT),
        t = r(TOP),
        b = r(bottom),
        rt = r(plot_right()),
    );
    out.push_str("</svg>");
    out
}
