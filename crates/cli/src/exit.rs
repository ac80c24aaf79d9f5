//! The exit codes of `gonogo`, documented in `--help` and the README.

use std::process::ExitCode;

/// What a run of `gonogo` ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// GO, or the command did what it was asked.
    Go = 0,
    /// NO-GO, or a check or threshold failed.
    NoGo = 1,
    /// The policy or the command line is wrong.
    Usage = 2,
    /// Evidence could not be read.
    Evidence = 3,
    /// An output (evidence, verdict, report) could not be written; the message names the path.
    /// Nothing half-written is left: every write is atomic.
    Write = 4,
    /// `gonogo run` was stopped by SIGINT (Ctrl-C); what was measured so far is written.
    Interrupted = 130,
    /// `gonogo run` was stopped by SIGTERM; what was measured so far is written.
    Terminated = 143,
}

impl Exit {
    /// The exit code an error ends with when nothing more specific was chosen: 4 when an
    /// output could not be written (anywhere in its chain of causes), otherwise `fallback`.
    pub fn for_error(error: &anyhow::Error, fallback: Exit) -> Exit {
        let write = error.chain().any(|cause| {
            cause.is::<gonogo_io::atomic::WriteError>() || cause.is::<gonogo_io::lock::LockError>()
        });
        if write { Exit::Write } else { fallback }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// An error that ends the run with a specific exit code; its message is already printed or is
/// printed by `main`.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub error: Option<anyhow::Error>,
}

impl Failure {
    /// The policy or the command line is wrong (2); an output that could not be written
    /// anywhere in its chain is still 4, whoever called it a usage error.
    pub fn usage(error: anyhow::Error) -> Failure {
        Failure {
            exit: Exit::for_error(&error, Exit::Usage),
            error: Some(error),
        }
    }

    /// Evidence could not be read (3), or could not be written back (4: `run` stamping its
    /// records with the commit).
    pub fn evidence(error: anyhow::Error) -> Failure {
        Failure {
            exit: Exit::for_error(&error, Exit::Evidence),
            error: Some(error),
        }
    }

    /// The message was printed already (diagnostics).
    pub fn reported(exit: Exit) -> Failure {
        Failure { exit, error: None }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure {
            exit: Exit::for_error(&error, Exit::Usage),
            error: Some(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_errors_exit_4_wherever_they_are_in_the_chain() {
        let write = gonogo_io::atomic::WriteError::NotAFile {
            path: "out/verdict.json".into(),
            kind: "a FIFO (named pipe)",
        };
        let error = anyhow::Error::new(write).context("rendering the reports");
        assert_eq!(Failure::from(error).exit, Exit::Write);
        assert_eq!(Exit::Write as u8, 4);
        let other = anyhow::anyhow!("unknown flag");
        assert_eq!(Exit::for_error(&other, Exit::NoGo), Exit::NoGo);
        assert_eq!(Failure::usage(other).exit, Exit::Usage);
        let unwritable = anyhow::Error::new(gonogo_io::atomic::WriteError::NotAFile {
            path: "out/evidence".into(),
            kind: "a folder",
        })
        .context("cannot create out/evidence");
        assert_eq!(
            Failure::usage(unwritable).exit,
            Exit::Write,
            "an output that cannot be written is 4, never 2"
        );
    }
}
