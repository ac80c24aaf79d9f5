//! Resilience drills during `gonogo run`: every `[[fault]]` section (one dependency each,
//! `gonogo fault`'s flags as keys) runs its proxy and timeline on a thread of its own while
//! the engines run, so load and probes meet the faults; each drill has a hard end and
//! restores its link at the end and on SIGINT/SIGTERM. The engines never depend on
//! `gonogo-fault` nor on each other: this module is where they meet. During drills, `[load.*]`
//! and `[[probe]]` sections all run at once beside the drills' timelines (`run.rs` starts
//! them on threads of their own, the other engines after them). They get the drills' phases
//! (wall-clock windows from each drill's start and its timeline) and record their figures
//! per phase: `probe.NAME.availability[during:PHASE]`, `load.NAME.errors[during:PHASE]`,
//! `[before]`, `[after]`; the load engine also gets harden's leak detector for the bodies of
//! error responses (`load.NAME.leaks[...]`).

use std::thread::JoinHandle;
use std::time::Duration;

use gonogo_core::text::Inert;
use gonogo_fault::cli::{DrillError, FaultArgs, describe, run_drill};
use gonogo_fault::drill::{DrillReport, Event};
use gonogo_fault::fault::Timeline;
use gonogo_probe::probe::PhaseWindow;

/// Harden's leak detector (stack traces, database errors, framework versions; the checks of
/// `error-stack-trace`, `error-sql-message` and `error-version-string`) as the load engine's
/// [`gonogo_load::engine::LeakScan`]: true when an error body shows any of them.
pub fn leak_scan() -> gonogo_load::engine::LeakScan {
    gonogo_load::engine::LeakScan(std::sync::Arc::new(|body: &[u8]| {
        !gonogo_harden::checks::errors::scan(&String::from_utf8_lossy(body)).is_empty()
    }))
}

type Outcome = Result<(Timeline, DrillReport), DrillError>;

/// Drills under way.
pub struct Drills {
    running: Vec<(String, JoinHandle<Outcome>)>,
    phases: Vec<PhaseWindow>,
}

/// How long a drill's proxy may take to listen before the engines start without it.
const LISTEN_WAIT: Duration = Duration::from_secs(10);

/// Starts every drill and returns once each proxy listens (or failed); each drill's phases,
/// in wall-clock time, are its timeline's offsets from that moment.
pub fn start(drills: Vec<FaultArgs>) -> Drills {
    let mut phases = Vec::new();
    let running = drills
        .into_iter()
        .map(|args| {
            let (listening_tx, listening) = std::sync::mpsc::channel();
            let timeline = args.timeline().ok();
            let name = args.name.clone();
            eprintln!(
                "  ▶ fault {}: {} → {}",
                Inert(&name),
                args.listen.map(|a| a.to_string()).unwrap_or_default(),
                Inert(&args.upstream)
            );
            let label = name.clone();
            let handle = std::thread::spawn(move || {
                run_drill(&args, move |event| match event {
                    Event::Listening(_) => {
                        let _ = listening_tx.send(());
                    }
                    Event::Started { name } => eprintln!("    fault {label}: + {name}"),
                    Event::Ended { name } => eprintln!("    fault {label}: - {name}"),
                    Event::Finished => {}
                })
            });
            // The timeline starts right after the proxy listens; a drill that fails to start
            // drops its sender and has no phases.
            if listening.recv_timeout(LISTEN_WAIT).is_ok() {
                let start = jiff::Timestamp::now();
                let at = |offset: Duration| {
                    start
                        .checked_add(jiff::SignedDuration::try_from(offset).unwrap_or_default())
                        .unwrap_or(start)
                };
                for step in timeline.iter().flat_map(|t| t.steps.iter()) {
                    phases.push(PhaseWindow {
                        name: step.name.clone(),
                        start: at(step.start),
                        end: at(step.end()),
                    });
                }
            }
            (name, handle)
        })
        .collect();
    Drills { running, phases }
}

impl Drills {
    /// The drills' phases in wall-clock time (empty without drills).
    pub fn phases(&self) -> &[PhaseWindow] {
        &self.phases
    }

    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// Waits for every drill's hard end and says how each went.
    pub fn finish(self) -> Vec<(String, Outcome)> {
        let mut done = Vec::new();
        for (name, handle) in self.running {
            let outcome = handle.join().unwrap_or_else(|_| {
                Err(DrillError::Settings("the drill's thread panicked".into()))
            });
            match &outcome {
                Ok((timeline, report)) => {
                    eprintln!(
                        "  ✓ fault {}{}",
                        Inert(&name),
                        if report.interrupted {
                            " (interrupted; link restored)"
                        } else {
                            ""
                        }
                    );
                    eprint!("{}", describe(timeline, report));
                }
                Err(e) => eprintln!("  ✗ fault {}: {}", Inert(&name), Inert(&e.to_string())),
            }
            done.push((name, outcome));
        }
        done
    }
}
