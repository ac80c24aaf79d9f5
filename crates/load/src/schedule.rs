//! The open-model arrival schedule: when the k-th request is due.
//!
//! A schedule is a list of stages. Each stage ramps the arrival rate linearly from the rate at
//! its start to its target over its duration (k6's ramping-arrival-rate); a constant rate is one
//! stage whose start and target are equal.
//!
//! ```text
//!  rate (1/s)
//!   1000 |             ________
//!        |           /          \
//!    100 |  ______ /              \
//!        | /                        \
//!      0 +-------------------------------> t
//!          30s:100  10s:1000 ...  20s:0
//! ```
//!
//! The number of arrivals due by time t is the area under the curve, N(t) = ∫ r(s) ds. Request
//! k (counting from 0) is due at the t where N(t) = k, so the first request leaves at t = 0 and a
//! constant rate r gives t_k = k / r. Inside a stage that starts at T0 with N(T0) = N0, rate r0
//! and slope a = (r1 - r0) / D:
//!
//! ```text
//!   N(T0 + u) = N0 + r0·u + a·u²/2          solved for u with m = k - N0:
//!   u = 2m / (r0 + sqrt(r0² + 2·a·m))       (stable for a > 0, a < 0 and a = 0)
//! ```
//!
//! These are *intended* start times; the engine times latency from them, so a stalled server
//! cannot hide behind a generator that waited for it (coordinated omission).

use std::time::Duration;

/// One ramp: from the previous stage's target (or the start rate) to `target_rate` over `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    pub duration: Duration,
    /// Requests per second at the end of the stage.
    pub target_rate: f64,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    start_seconds: f64,
    duration_seconds: f64,
    start_rate: f64,
    end_rate: f64,
    arrivals_before: f64,
    arrivals_after: f64,
}

/// A sequence of linear-rate segments with the cumulative arrival count at each boundary.
#[derive(Debug, Clone)]
pub struct Schedule {
    segments: Vec<Segment>,
}

impl Schedule {
    /// A constant `rate` for `duration`.
    pub fn constant(rate: f64, duration: Duration) -> Schedule {
        Schedule::ramping(
            rate,
            &[Stage {
                duration,
                target_rate: rate,
            }],
        )
    }

    /// Stages starting from `start_rate`.
    pub fn ramping(start_rate: f64, stages: &[Stage]) -> Schedule {
        let mut segments = Vec::with_capacity(stages.len());
        let mut start_seconds = 0.0;
        let mut arrivals = 0.0;
        let mut rate = start_rate.max(0.0);
        for stage in stages {
            let duration_seconds = stage.duration.as_secs_f64();
            let end_rate = stage.target_rate.max(0.0);
            let area = (rate + end_rate) / 2.0 * duration_seconds;
            segments.push(Segment {
                start_seconds,
                duration_seconds,
                start_rate: rate,
                end_rate,
                arrivals_before: arrivals,
                arrivals_after: arrivals + area,
            });
            start_seconds += duration_seconds;
            arrivals += area;
            rate = end_rate;
        }
        Schedule { segments }
    }

    /// The total length of the schedule.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(
            self.segments
                .last()
                .map(|s| s.start_seconds + s.duration_seconds)
                .unwrap_or(0.0),
        )
    }

    /// How many requests the schedule holds (arrivals due strictly before its end).
    pub fn total_arrivals(&self) -> u64 {
        let total = self
            .segments
            .last()
            .map(|s| s.arrivals_after)
            .unwrap_or(0.0);
        // Arrival k is due at N(t) = k, so arrivals 0..ceil(total) fall inside [0, end).
        total.ceil() as u64
    }

    /// The rate (requests per second) at `seconds` since the start; 0 after the end.
    pub fn rate_at(&self, seconds: f64) -> f64 {
        for segment in &self.segments {
            if seconds < segment.start_seconds + segment.duration_seconds {
                let u = (seconds - segment.start_seconds).max(0.0);
                let slope = if segment.duration_seconds > 0.0 {
                    (segment.end_rate - segment.start_rate) / segment.duration_seconds
                } else {
                    0.0
                };
                return segment.start_rate + slope * u;
            }
        }
        0.0
    }

    /// When request `k` (from 0) is due, in seconds since the start; `None` after the end.
    pub fn due_seconds(&self, k: u64) -> Option<f64> {
        let k = k as f64;
        for segment in &self.segments {
            if k >= segment.arrivals_after {
                continue;
            }
            let m = k - segment.arrivals_before;
            let slope = if segment.duration_seconds > 0.0 {
                (segment.end_rate - segment.start_rate) / segment.duration_seconds
            } else {
                0.0
            };
            let discriminant = segment.start_rate * segment.start_rate + 2.0 * slope * m;
            let denominator = segment.start_rate + discriminant.max(0.0).sqrt();
            let u = if m <= 0.0 {
                0.0
            } else if denominator > 0.0 {
                2.0 * m / denominator
            } else {
                continue;
            };
            return Some(segment.start_seconds + u.min(segment.duration_seconds));
        }
        None
    }
}

/// Which share of a test this process runs (`gonogo load --segment I/N`): arrival `k` of the
/// one machine's schedule belongs to segment `k mod N`, so the N segments together send exactly
/// the one machine's arrivals, each at its intended time (interleaved, like the threads of one
/// process). `0/1` is the whole test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// 0-based: `0..count`.
    pub index: u64,
    /// How many segments the test is split into: `1..=MAX_SEGMENTS`.
    pub count: u64,
}

/// The most segments one test may be split into.
pub const MAX_SEGMENTS: u64 = 1024;

impl Default for Share {
    fn default() -> Share {
        Share::WHOLE
    }
}

impl Share {
    /// The whole test: one segment.
    pub const WHOLE: Share = Share { index: 0, count: 1 };

    /// Whether this is the whole test.
    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// Parses `I/N` (0-based I) or k6's execution-segment fraction `FROM:TO` (`0:1/4`,
    /// `1/4:2/4`, `25%:50%`) whose width is `1/N` and whose start is `I/N`.
    pub fn parse(text: &str) -> Result<Share, String> {
        let text = text.trim();
        let share = if let Some((from, to)) = text.split_once(':') {
            let bad = || {
                format!(
                    "`{text}` is not a segment: a k6-style fraction must be `I/N:(I+1)/N`, e.g. `0:1/4` or `1/4:2/4`"
                )
            };
            let (a, b) = fraction(from).ok_or_else(bad)?;
            let (c, d) = fraction(to).ok_or_else(bad)?;
            // width = c/d - a/b = (c·b - a·d) / (b·d); N = (b·d) / width numerator.
            let width = (c * b)
                .checked_sub(a * d)
                .filter(|w| *w > 0)
                .ok_or_else(bad)?;
            if (b * d) % width != 0 || (a * (b * d / width)) % b != 0 {
                return Err(bad());
            }
            let count = b * d / width;
            Share {
                index: a * count / b,
                count,
            }
        } else {
            let (index, count) = text.split_once('/').ok_or_else(|| {
                format!("`{text}` is not a segment: write I/N, e.g. 0/4 (0-based) or 0:1/4")
            })?;
            let number = |s: &str| {
                s.trim().parse::<u64>().map_err(|_| {
                    format!("`{text}` is not a segment: write I/N with whole numbers, e.g. 0/4")
                })
            };
            Share {
                index: number(index)?,
                count: number(count)?,
            }
        };
        if !(1..=MAX_SEGMENTS).contains(&share.count) {
            return Err(format!(
                "`{text}`: the number of segments must be between 1 and {MAX_SEGMENTS}"
            ));
        }
        if share.index >= share.count {
            return Err(format!(
                "`{text}`: the segment index is 0-based and must be below {} (the last is {}/{})",
                share.count,
                share.count - 1,
                share.count
            ));
        }
        Ok(share)
    }

    /// The first arrival index thread `thread` of `threads` of this segment takes, and the
    /// step to its next: arrivals `index + count·(thread + j·threads)`.
    pub fn arrivals(self, thread: usize, threads: usize) -> (u64, u64) {
        (
            self.index + self.count * thread as u64,
            self.count * threads as u64,
        )
    }

    /// This segment's part of `total` things that split evenly (connections, a request
    /// budget): the first `total mod count` segments take one more.
    pub fn part(self, total: u64) -> u64 {
        total / self.count + u64::from(self.index < total % self.count)
    }
}

impl std::fmt::Display for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `0`, `1`, `a/b` or `p%` as a fraction with a non-zero denominator, each term at most 10^6.
fn fraction(text: &str) -> Option<(u64, u64)> {
    let text = text.trim();
    let small = |s: &str| s.trim().parse::<u64>().ok().filter(|n| *n <= 1_000_000);
    let (n, d) = if let Some(percent) = text.strip_suffix('%') {
        (small(percent)?, 100)
    } else if let Some((n, d)) = text.split_once('/') {
        (small(n)?, small(d)?)
    } else {
        (small(text)?, 1)
    };
    (d > 0 && n <= d).then_some((n, d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn constant_rate_spaces_requests_evenly() {
        let schedule = Schedule::constant(100.0, Duration::from_secs(2));
        assert_eq!(schedule.total_arrivals(), 200);
        assert!(close(schedule.due_seconds(0).unwrap(), 0.0));
        assert!(close(schedule.due_seconds(1).unwrap(), 0.01));
        assert!(close(schedule.due_seconds(199).unwrap(), 1.99));
        assert_eq!(schedule.due_seconds(200), None);
    }

    #[test]
    fn ramp_up_from_zero_follows_the_area() {
        // 0 -> 100/s over 10 s: 500 arrivals; N(t) = 5 t², so arrival k is due at sqrt(k / 5).
        let schedule = Schedule::ramping(
            0.0,
            &[Stage {
                duration: Duration::from_secs(10),
                target_rate: 100.0,
            }],
        );
        assert_eq!(schedule.total_arrivals(), 500);
        for k in [1u64, 20, 125, 499] {
            assert!(
                close(schedule.due_seconds(k).unwrap(), (k as f64 / 5.0).sqrt()),
                "k={k}"
            );
        }
        assert!(close(schedule.rate_at(5.0), 50.0));
    }

    #[test]
    fn ramp_down_and_stage_chains_are_monotonic() {
        let schedule = Schedule::ramping(
            50.0,
            &[
                Stage {
                    duration: Duration::from_secs(2),
                    target_rate: 200.0,
                },
                Stage {
                    duration: Duration::from_secs(3),
                    target_rate: 200.0,
                },
                Stage {
                    duration: Duration::from_secs(2),
                    target_rate: 0.0,
                },
            ],
        );
        // 250 + 600 + 200 arrivals.
        assert_eq!(schedule.total_arrivals(), 1050);
        let mut previous = -1.0;
        for k in 0..schedule.total_arrivals() {
            let due = schedule.due_seconds(k).unwrap();
            assert!(due >= previous, "k={k} due={due} previous={previous}");
            assert!(due <= 7.0);
            previous = due;
        }
        // Inside the constant stage: 250 arrivals before it, 200/s.
        assert!(close(schedule.due_seconds(450).unwrap(), 3.0));
    }

    #[test]
    fn shares_parse_both_syntaxes_and_refuse_out_of_range() {
        assert_eq!(Share::parse("2/4"), Ok(Share { index: 2, count: 4 }));
        assert_eq!(Share::parse("0:1/4"), Ok(Share { index: 0, count: 4 }));
        assert_eq!(Share::parse("1/4:2/4"), Ok(Share { index: 1, count: 4 }));
        assert_eq!(Share::parse("3/4:1"), Ok(Share { index: 3, count: 4 }));
        assert_eq!(Share::parse("50%:100%"), Ok(Share { index: 1, count: 2 }));
        assert_eq!(Share::parse("0:1"), Ok(Share::WHOLE));
        assert_eq!(Share::parse("1/3:2/4"), Ok(Share { index: 2, count: 6 }));
        assert_eq!(Share::parse("1023/1024").map(|s| s.index), Ok(1023));
        for bad in [
            "4/4", "0/0", "0/1025", "1", "a/4", "0:2/3", "1/3:3/4", "2/4:1/4", "1/8:5/8",
        ] {
            assert!(Share::parse(bad).is_err(), "{bad}");
        }
        assert!(Share::parse("4/4").unwrap_err().contains("0-based"));
    }

    #[test]
    fn segments_take_each_arrival_exactly_once() {
        // Every (segment, thread) pair's arrivals, for N segments of T threads, cover 0..K once.
        for count in [1u64, 2, 4, 7] {
            for threads in [1usize, 3] {
                let mut seen = vec![0u32; 500];
                for index in 0..count {
                    let share = Share { index, count };
                    for thread in 0..threads {
                        let (mut k, step) = share.arrivals(thread, threads);
                        while k < 500 {
                            seen[k as usize] += 1;
                            k += step;
                        }
                    }
                }
                assert!(seen.iter().all(|n| *n == 1), "N={count} T={threads}");
            }
            let parts: u64 = (0..count)
                .map(|index| Share { index, count }.part(10))
                .sum();
            assert_eq!(parts, 10);
        }
    }
}
