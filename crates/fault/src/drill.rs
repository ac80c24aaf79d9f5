//! Running a drill: the timeline's faults applied to a proxy at their offsets, the instants at
//! which each phase really began and ended (what the load and probes split their samples by),
//! a hard end, and the link restored at the end, on error and when a stop is requested
//! (Ctrl-C through `gonogo_io::signals`).

use std::time::Duration;

use tokio::time::{Instant, sleep_until};

use crate::fault::Timeline;
use crate::proxy::{Proxy, ProxyError};

/// How often a running drill looks for a stop request.
const STOP_POLL: Duration = Duration::from_millis(50);

/// One fault's phase as it happened: when the proxy applied it and when it cleared it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseRecord {
    pub name: String,
    pub kind: &'static str,
    pub started: std::time::Instant,
    pub ended: std::time::Instant,
}

/// What a drill did.
#[derive(Debug, Clone)]
pub struct DrillReport {
    pub started: std::time::Instant,
    pub ended: std::time::Instant,
    pub phases: Vec<PhaseRecord>,
    /// Stopped early by a stop request (the link was restored at once).
    pub interrupted: bool,
}

/// Something the drill did, as it happens (for a progress line, and for tests to wait on
/// instead of sleeping).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The proxy listens (sent by [`crate::cli::run_drill`] before the timeline starts).
    Listening(std::net::SocketAddr),
    Started {
        name: String,
    },
    Ended {
        name: String,
    },
    Finished,
}

/// Runs `timeline` on `proxy` from now: at each boundary the active set becomes the faults
/// active at that offset; at the end (or when `stop` says so) every fault is cleared. The
/// proxy keeps running; the caller shuts it down.
pub async fn run(
    proxy: &Proxy,
    timeline: &Timeline,
    stop: impl Fn() -> bool,
    events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
) -> Result<DrillReport, ProxyError> {
    let start = Instant::now();
    let started = std::time::Instant::now();
    let mut open: Vec<(String, &'static str, std::time::Instant)> = Vec::new();
    let mut phases = Vec::new();
    let mut interrupted = false;
    let send = |event: Event| {
        if let Some(events) = &events {
            let _ = events.send(event);
        }
    };
    let mut outcome = Ok(());
    'boundaries: for offset in timeline.boundaries() {
        let due = start + offset;
        while Instant::now() < due {
            if stop() {
                interrupted = true;
                break 'boundaries;
            }
            sleep_until(due.min(Instant::now() + STOP_POLL)).await;
        }
        let active = if offset >= timeline.end {
            Vec::new()
        } else {
            timeline.active_at(offset)
        };
        if let Err(e) = proxy
            .apply(active.iter().map(|s| s.kind.clone()).collect())
            .await
        {
            outcome = Err(e);
            break;
        }
        let now = std::time::Instant::now();
        // Close the phases no longer active, open the new ones.
        open.retain(|(name, kind, began)| {
            if active.iter().any(|s| &s.name == name) {
                return true;
            }
            phases.push(PhaseRecord {
                name: name.clone(),
                kind,
                started: *began,
                ended: now,
            });
            send(Event::Ended { name: name.clone() });
            false
        });
        for step in &active {
            if !open.iter().any(|(name, _, _)| name == &step.name) {
                open.push((step.name.clone(), step.kind.name(), now));
                send(Event::Started {
                    name: step.name.clone(),
                });
            }
        }
    }
    // Restore the link whatever happened above.
    let cleared = proxy.clear().await;
    let ended = std::time::Instant::now();
    for (name, kind, began) in open {
        phases.push(PhaseRecord {
            name: name.clone(),
            kind,
            started: began,
            ended,
        });
        send(Event::Ended { name });
    }
    send(Event::Finished);
    outcome?;
    cleared?;
    Ok(DrillReport {
        started,
        ended,
        phases,
        interrupted,
    })
}
