//! SIGINT and SIGTERM as a request to stop, for `gonogo run`: the handler only records the
//! signal (an atomic store, async-signal-safe); the command runner and the run's steps look
//! at [`stop_requested`], end the running command's whole process group, write what was
//! measured so far, and exit 128 + the signal (130 or 143). A second signal while stopping
//! ends the process at once with that code.

use std::sync::atomic::{AtomicI32, Ordering};

/// SIGINT's number, for callers without libc.
pub const SIGINT: i32 = libc::SIGINT;
/// SIGTERM's number.
pub const SIGTERM: i32 = libc::SIGTERM;

static STOP: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: libc::c_int) {
    if STOP.swap(signal, Ordering::SeqCst) != 0 {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(128 + signal) };
    }
}

/// Installs the handlers for SIGINT and SIGTERM (idempotent).
pub fn install_stop_handlers() -> std::io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with a handler that only touches an atomic and _exit.
        let result = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if result != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The signal that asked this process to stop, if any (`libc::SIGINT`, `libc::SIGTERM`).
pub fn stop_requested() -> Option<i32> {
    match STOP.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// The exit code for a stop by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM).
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(130)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_is_recorded_not_fatal_once_handlers_are_installed() {
        install_stop_handlers().unwrap();
        assert_eq!(stop_requested(), None);
        // SAFETY: raising a signal whose handler is installed above.
        assert_eq!(unsafe { libc::raise(libc::SIGTERM) }, 0);
        assert_eq!(stop_requested(), Some(libc::SIGTERM));
        assert_eq!(exit_code(libc::SIGTERM), 143);
        assert_eq!(exit_code(libc::SIGINT), 130);
    }
}
