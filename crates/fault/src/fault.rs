//! The faults (toxiproxy's toxics, written for gonogo) and a drill's timeline of them.
//!
//! Directions follow toxiproxy: `upstream` is what the client sends towards the dependency,
//! `downstream` what the dependency sends back. A fault is active from its start offset for its
//! duration; several may overlap (latencies add, the lowest bandwidth wins).

use std::sync::Arc;
use std::time::Duration;

/// Which way a stream fault (latency, bandwidth) applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client → dependency.
    Upstream,
    /// Dependency → client.
    Downstream,
    /// Both ways.
    Both,
}

impl Direction {
    /// Whether a fault on `self` applies to data flowing `flow` (which is never `Both`).
    pub fn covers(self, flow: Direction) -> bool {
        self == Direction::Both || self == flow
    }

    /// The name used on the command line and in the policy.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Upstream => "upstream",
            Direction::Downstream => "downstream",
            Direction::Both => "both",
        }
    }
}

impl std::str::FromStr for Direction {
    type Err = String;
    fn from_str(text: &str) -> Result<Direction, String> {
        match text {
            "upstream" => Ok(Direction::Upstream),
            "downstream" => Ok(Direction::Downstream),
            "both" => Ok(Direction::Both),
            other => Err(format!(
                "`{other}` is not a direction (upstream, downstream, both)"
            )),
        }
    }
}

/// What a fault does to the link.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// Every chunk of data waits `latency` ± a uniform `jitter` before it is passed on.
    Latency {
        latency: Duration,
        jitter: Duration,
        direction: Direction,
    },
    /// Data passes at most `bytes_per_second`.
    Bandwidth {
        bytes_per_second: u64,
        direction: Direction,
    },
    /// Open connections and every new one are reset (the client sees ECONNRESET).
    Reset,
    /// The proxy stops listening and closes open connections (connects see ECONNREFUSED).
    Refuse,
    /// Connections are accepted, data is read and dropped, nothing is answered; the connections
    /// that saw the black hole are closed when it ends.
    BlackHole,
    /// When either side closes, the close reaches the other side `delay` later.
    SlowClose { delay: Duration },
    /// Nothing passes either way, nothing is lost: data waits (TCP back-pressure) and new
    /// connections wait for their upstream until the partition heals.
    Partition,
    /// HTTP links only: a `share` (0..=1) of requests is answered by the proxy with `status`
    /// instead of reaching the dependency.
    HttpError { status: u16, share: f64 },
}

impl FaultKind {
    /// The kind's name on the command line and in the policy.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Latency { .. } => "latency",
            FaultKind::Bandwidth { .. } => "bandwidth",
            FaultKind::Reset => "reset",
            FaultKind::Refuse => "refuse",
            FaultKind::BlackHole => "black-hole",
            FaultKind::SlowClose { .. } => "slow-close",
            FaultKind::Partition => "partition",
            FaultKind::HttpError { .. } => "http-error",
        }
    }
}

/// One fault of a drill: active from `start` (offset from the drill's start) for `duration`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The phase name (`redis-down`), used in metric names: `[during:redis-down]`.
    pub name: String,
    pub start: Duration,
    pub duration: Duration,
    pub kind: FaultKind,
}

impl Step {
    /// The offset at which the fault ends.
    pub fn end(&self) -> Duration {
        self.start + self.duration
    }
}

/// A drill: its faults and its hard end (every fault is over by then, and the proxy stops).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub steps: Vec<Step>,
    pub end: Duration,
}

/// Why a timeline is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    #[error("fault `{name}` ends at {ends:?}, after the drill's end {end:?}")]
    PastEnd {
        name: String,
        ends: Duration,
        end: Duration,
    },
    #[error("two faults are named `{0}`; phase names must be unique")]
    DuplicateName(String),
    #[error(
        "`{0}` is not a phase name: use letters, digits, `-` and `_` (it appears in metric names)"
    )]
    BadName(String),
    #[error("fault `{0}` lasts zero time")]
    Empty(String),
}

/// Whether `name` may name a phase (`[during:NAME]`): ASCII letters, digits, `-`, `_`, 1..=64.
pub fn valid_phase_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Timeline {
    /// A checked timeline: names unique and valid, every fault non-empty and over by `end`.
    pub fn new(steps: Vec<Step>, end: Duration) -> Result<Timeline, TimelineError> {
        let mut names = std::collections::BTreeSet::new();
        for step in &steps {
            if !valid_phase_name(&step.name) {
                return Err(TimelineError::BadName(step.name.clone()));
            }
            if !names.insert(step.name.as_str()) {
                return Err(TimelineError::DuplicateName(step.name.clone()));
            }
            if step.duration.is_zero() {
                return Err(TimelineError::Empty(step.name.clone()));
            }
            if step.end() > end {
                return Err(TimelineError::PastEnd {
                    name: step.name.clone(),
                    ends: step.end(),
                    end,
                });
            }
        }
        Ok(Timeline { steps, end })
    }

    /// The faults active at `offset` (start inclusive, end exclusive).
    pub fn active_at(&self, offset: Duration) -> Vec<Step> {
        self.steps
            .iter()
            .filter(|s| s.start <= offset && offset < s.end())
            .cloned()
            .collect()
    }

    /// Every offset at which the set of active faults changes, in order, with the drill's end.
    pub fn boundaries(&self) -> Vec<Duration> {
        let mut at: Vec<Duration> = self
            .steps
            .iter()
            .flat_map(|s| [s.start, s.end()])
            .chain([self.end])
            .collect();
        at.sort();
        at.dedup();
        at
    }
}

/// The faults active on a proxy right now, as every connection sees them.
#[derive(Debug, Clone, Default)]
pub struct Active {
    pub faults: Arc<Vec<FaultKind>>,
}

impl Active {
    pub fn new(faults: Vec<FaultKind>) -> Active {
        Active {
            faults: Arc::new(faults),
        }
    }

    fn any(&self, f: impl Fn(&FaultKind) -> bool) -> bool {
        self.faults.iter().any(f)
    }

    pub fn is_clear(&self) -> bool {
        self.faults.is_empty()
    }
    pub fn reset(&self) -> bool {
        self.any(|f| matches!(f, FaultKind::Reset))
    }
    pub fn refuse(&self) -> bool {
        self.any(|f| matches!(f, FaultKind::Refuse))
    }
    pub fn black_hole(&self) -> bool {
        self.any(|f| matches!(f, FaultKind::BlackHole))
    }
    pub fn partition(&self) -> bool {
        self.any(|f| matches!(f, FaultKind::Partition))
    }

    /// The delay for one chunk flowing `flow`: the sum of the active latencies, each with a
    /// uniform jitter drawn from `rng`.
    pub fn delay(&self, flow: Direction, rng: &mut fastrand::Rng) -> Duration {
        let mut total = Duration::ZERO;
        for fault in self.faults.iter() {
            if let FaultKind::Latency {
                latency,
                jitter,
                direction,
            } = fault
            {
                if direction.covers(flow) {
                    let jitter_ns = u64::try_from(jitter.as_nanos()).unwrap_or(u64::MAX);
                    let base_ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
                    let ns = if jitter_ns == 0 {
                        base_ns
                    } else {
                        let low = base_ns.saturating_sub(jitter_ns);
                        let high = base_ns.saturating_add(jitter_ns);
                        rng.u64(low..=high)
                    };
                    total = total.saturating_add(Duration::from_nanos(ns));
                }
            }
        }
        total
    }

    /// The lowest active bandwidth for data flowing `flow`, bytes per second.
    pub fn bandwidth(&self, flow: Direction) -> Option<u64> {
        self.faults
            .iter()
            .filter_map(|f| match f {
                FaultKind::Bandwidth {
                    bytes_per_second,
                    direction,
                } if direction.covers(flow) => Some(*bytes_per_second),
                _ => None,
            })
            .min()
    }

    /// The longest active slow-close delay.
    pub fn slow_close(&self) -> Duration {
        self.faults
            .iter()
            .filter_map(|f| match f {
                FaultKind::SlowClose { delay } => Some(*delay),
                _ => None,
            })
            .max()
            .unwrap_or_default()
    }

    /// The active HTTP error fault, if any: (status, share).
    pub fn http_error(&self) -> Option<(u16, f64)> {
        self.faults.iter().find_map(|f| match f {
            FaultKind::HttpError { status, share } => Some((*status, *share)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, start: u64, duration: u64, kind: FaultKind) -> Step {
        Step {
            name: name.into(),
            start: Duration::from_secs(start),
            duration: Duration::from_secs(duration),
            kind,
        }
    }

    #[test]
    fn a_timeline_is_checked_and_answers_what_is_active_when() {
        let t = Timeline::new(
            vec![
                step("down", 1, 2, FaultKind::Reset),
                step("slow", 2, 2, FaultKind::Partition),
            ],
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(t.active_at(Duration::from_millis(999)).is_empty());
        assert_eq!(t.active_at(Duration::from_secs(2)).len(), 2);
        assert_eq!(t.active_at(Duration::from_secs(3))[0].name, "slow");
        assert!(t.active_at(Duration::from_secs(4)).is_empty());
        let secs: Vec<u64> = t.boundaries().iter().map(|d| d.as_secs()).collect();
        assert_eq!(secs, [1, 2, 3, 4, 5]);

        let past = Timeline::new(
            vec![step("x", 4, 2, FaultKind::Reset)],
            Duration::from_secs(5),
        );
        assert!(matches!(past, Err(TimelineError::PastEnd { .. })));
        let dup = Timeline::new(
            vec![
                step("x", 0, 1, FaultKind::Reset),
                step("x", 1, 1, FaultKind::Reset),
            ],
            Duration::from_secs(5),
        );
        assert_eq!(dup, Err(TimelineError::DuplicateName("x".into())));
        let bad = Timeline::new(
            vec![step("a b]", 0, 1, FaultKind::Reset)],
            Duration::from_secs(5),
        );
        assert!(matches!(bad, Err(TimelineError::BadName(_))));
        let empty = Timeline::new(
            vec![step("e", 0, 0, FaultKind::Reset)],
            Duration::from_secs(5),
        );
        assert!(matches!(empty, Err(TimelineError::Empty(_))));
    }

    #[test]
    fn latencies_add_with_jitter_in_range_and_the_lowest_bandwidth_wins() {
        let active = Active::new(vec![
            FaultKind::Latency {
                latency: Duration::from_millis(100),
                jitter: Duration::from_millis(20),
                direction: Direction::Downstream,
            },
            FaultKind::Latency {
                latency: Duration::from_millis(50),
                jitter: Duration::ZERO,
                direction: Direction::Both,
            },
            FaultKind::Bandwidth {
                bytes_per_second: 1000,
                direction: Direction::Both,
            },
            FaultKind::Bandwidth {
                bytes_per_second: 500,
                direction: Direction::Upstream,
            },
        ]);
        let mut rng = fastrand::Rng::with_seed(7);
        let mut seen_low = false;
        let mut seen_high = false;
        for _ in 0..1000 {
            let d = active.delay(Direction::Downstream, &mut rng).as_millis();
            assert!((130..=170).contains(&d), "{d}");
            seen_low |= d < 140;
            seen_high |= d > 160;
        }
        assert!(seen_low && seen_high, "jitter spreads both ways");
        assert_eq!(
            active.delay(Direction::Upstream, &mut rng),
            Duration::from_millis(50)
        );
        assert_eq!(active.bandwidth(Direction::Upstream), Some(500));
        assert_eq!(active.bandwidth(Direction::Downstream), Some(1000));
        assert!(!active.reset() && !active.is_clear());
    }
}
