//! Progress on a terminal: every bar of the process is drawn by one [`MultiProgress`], so the
//! loads and probes that `gonogo run` starts side by side during drills each keep a line of
//! their own instead of drawing over each other. The standalone `gonogo load` and
//! `gonogo probe --watch` draw through it too, so both look the same everywhere.
//!
//! Callers decide whether to show progress at all (only on a terminal, never with `--json` or
//! `--quiet`); a CI log gets the summary lines only.

use std::borrow::Cow;
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A set of bars drawn together on one target: one line each, in the order they were added.
pub struct Board(MultiProgress);

impl Board {
    /// A board drawing on `target` (tests draw on an in-memory terminal).
    pub fn with_target(target: ProgressDrawTarget) -> Self {
        Board(MultiProgress::with_draw_target(target))
    }

    /// The process's board, drawing on standard error.
    pub fn stderr() -> &'static Board {
        static BOARD: OnceLock<Board> = OnceLock::new();
        BOARD.get_or_init(|| Board::with_target(ProgressDrawTarget::stderr()))
    }

    /// A new bar of `length` units (milliseconds of a planned duration) on this board: a
    /// spinner, the time elapsed, the bar and a message. It leaves the board when dropped.
    pub fn bar(&self, length: u64) -> Bar<'_> {
        let bar = ProgressBar::new(length).with_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} [{wide_bar}] {msg}")
                .expect("a static template")
                .progress_chars("=> "),
        );
        Bar {
            bar: self.0.add(bar),
            board: self,
        }
    }
}

/// One bar of a [`Board`]; cleared and removed when dropped.
pub struct Bar<'a> {
    bar: ProgressBar,
    board: &'a Board,
}

impl Bar<'_> {
    pub fn set_position(&self, position: u64) {
        self.bar.set_position(position);
    }

    pub fn set_message(&self, message: impl Into<Cow<'static, str>>) {
        self.bar.set_message(message);
    }

    /// Prints a line above the board's bars (never through them).
    pub fn println(&self, line: impl AsRef<str>) {
        self.bar.println(line);
    }
}

impl Drop for Bar<'_> {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        self.board.0.remove(&self.bar);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::InMemoryTerm;

    fn screen(term: &InMemoryTerm) -> Vec<String> {
        term.contents()
            .lines()
            .map(str::to_owned)
            .filter(|l| !l.trim().is_empty())
            .collect()
    }

    #[test]
    fn two_bars_at_once_keep_a_line_each_and_leave_when_dropped() {
        let term = InMemoryTerm::new(10, 80);
        let board = Board::with_target(ProgressDrawTarget::term_like(Box::new(term.clone())));
        let load = board.bar(1000);
        let probe = board.bar(1000);
        load.set_message("load `checkout`: 120 done");
        probe.set_message("probe `ready`: 7 attempts");
        load.set_position(500);
        probe.set_position(250);
        let lines = screen(&term);
        assert_eq!(lines.len(), 2, "one line per bar: {lines:?}");
        assert!(lines[0].contains("load `checkout`: 120 done"), "{lines:?}");
        assert!(lines[1].contains("probe `ready`: 7 attempts"), "{lines:?}");

        drop(load);
        probe.set_message("probe `ready`: 8 attempts");
        let lines = screen(&term);
        assert_eq!(lines.len(), 1, "the dropped bar is gone: {lines:?}");
        assert!(lines[0].contains("8 attempts"), "{lines:?}");
        drop(probe);
        assert!(screen(&term).is_empty(), "{:?}", term.contents());
    }
}
