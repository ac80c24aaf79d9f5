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
    pub fn usage(error: anyhow::Error) -> Failure {
        Failure {
            exit: Exit::Usage,
            error: Some(error),
        }
    }

    pub fn evidence(error: anyhow::Error) -> Failure {
        Failure {
            exit: Exit::Evidence,
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
            exit: Exit::Usage,
            error: Some(error),
        }
    }
}
