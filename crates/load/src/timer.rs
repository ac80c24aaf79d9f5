//! A precise sleep for the open-model schedule.
//!
//! tokio's timer wheel has a resolution of one millisecond, so at 1,000 requests per second a
//! request due at t would often leave at t + 0.5 ms, and that lateness would be counted in its
//! latency (timed from the intended start). On Linux, [`PreciseTimer`] arms a `timerfd`
//! (nanosecond resolution) and waits for it through the runtime's reactor, so the scheduler
//! wakes within tens of microseconds of the due time without spinning. Elsewhere, or if the
//! timerfd cannot be created, it falls back to `tokio::time::sleep_until`.

use std::time::Instant;

/// A one-shot timer re-armed for every due time. Not `Sync`: one per scheduler task.
pub struct PreciseTimer {
    #[cfg(target_os = "linux")]
    timerfd: Option<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>>,
}

impl Default for PreciseTimer {
    fn default() -> Self {
        PreciseTimer::new()
    }
}

impl PreciseTimer {
    /// Must be called inside a tokio runtime with I/O enabled.
    pub fn new() -> PreciseTimer {
        #[cfg(target_os = "linux")]
        {
            use rustix::time::{TimerfdClockId, TimerfdFlags, timerfd_create};
            let timerfd = timerfd_create(
                TimerfdClockId::Monotonic,
                TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
            )
            .ok()
            .and_then(|fd| {
                // SAFETY: the timerfd was just created and is owned by the `AsyncFd`, which
                // never replaces or closes it while it is registered.
                unsafe { tokio::io::unix::AsyncFd::register(fd) }.ok()
            });
            PreciseTimer { timerfd }
        }
        #[cfg(not(target_os = "linux"))]
        {
            PreciseTimer {}
        }
    }

    /// Waits until `when`; returns at once if it has passed.
    pub async fn sleep_until(&mut self, when: Instant) {
        let now = Instant::now();
        if when <= now {
            return;
        }
        #[cfg(target_os = "linux")]
        if let Some(timerfd) = &self.timerfd {
            if wait_timerfd(timerfd, when - now).await.is_ok() {
                return;
            }
        }
        tokio::time::sleep_until(when.into()).await;
    }
}

#[cfg(target_os = "linux")]
async fn wait_timerfd(
    timerfd: &tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
    remaining: std::time::Duration,
) -> std::io::Result<()> {
    use rustix::time::{Itimerspec, TimerfdTimerFlags, Timespec, timerfd_settime};
    let value = Itimerspec {
        it_interval: Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: Timespec {
            tv_sec: remaining.as_secs() as _,
            tv_nsec: remaining.subsec_nanos().max(1) as _,
        },
    };
    timerfd_settime(timerfd.get_ref(), TimerfdTimerFlags::empty(), &value)?;
    loop {
        let mut guard = timerfd.readable().await?;
        let mut expirations = [0u8; 8];
        match guard.try_io(|fd| {
            rustix::io::read(fd.get_ref(), &mut expirations).map_err(std::io::Error::from)
        }) {
            Ok(Ok(_)) => {
                // The timer is drained: forget the readiness now, or the next wait would start
                // with a read that can only fail with WouldBlock.
                guard.clear_ready();
                return Ok(());
            }
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::WouldBlock => continue,
            Ok(Err(error)) => return Err(error),
            Err(_would_block) => continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn wakes_at_or_after_the_due_time() {
        let mut timer = PreciseTimer::new();
        for micros in [50u64, 300, 1500] {
            let due = Instant::now() + Duration::from_micros(micros);
            timer.sleep_until(due).await;
            assert!(Instant::now() >= due);
        }
        // A time in the past returns at once.
        timer
            .sleep_until(Instant::now() - Duration::from_millis(5))
            .await;
    }
}
