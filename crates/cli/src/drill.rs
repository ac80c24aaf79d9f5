//! Resilience drills during `gonogo run`: every `[[fault]]` section (one dependency each,
//! `gonogo fault`'s flags as keys) runs its proxy and timeline on a thread of its own while
//! the engines run, so load and probes meet the faults; each drill has a hard end and
//! restores its link at the end and on SIGINT/SIGTERM. The engines never depend on
//! `gonogo-fault`: this module is where they meet.

use std::thread::JoinHandle;

use gonogo_core::text::Inert;
use gonogo_fault::cli::{DrillError, FaultArgs, describe, run_drill};
use gonogo_fault::drill::{DrillReport, Event};
use gonogo_fault::fault::Timeline;

type Outcome = Result<(Timeline, DrillReport), DrillError>;

/// Drills under way.
pub struct Drills {
    running: Vec<(String, JoinHandle<Outcome>)>,
}

/// Starts every drill now (their offsets count from here).
pub fn start(drills: Vec<FaultArgs>) -> Drills {
    let running = drills
        .into_iter()
        .map(|args| {
            let name = args.name.clone();
            eprintln!(
                "  ▶ fault {}: {} → {}",
                Inert(&name),
                args.listen,
                Inert(&args.upstream)
            );
            let label = name.clone();
            let handle = std::thread::spawn(move || {
                run_drill(&args, move |event| match event {
                    Event::Started { name } => eprintln!("    fault {label}: + {name}"),
                    Event::Ended { name } => eprintln!("    fault {label}: - {name}"),
                    Event::Listening(_) | Event::Finished => {}
                })
            });
            (name, handle)
        })
        .collect();
    Drills { running }
}

impl Drills {
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
