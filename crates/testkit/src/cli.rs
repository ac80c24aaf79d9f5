//! The `gonogo` binary as the end-to-end tests run it: in the test's folder, no colour, and
//! none of the CI's variables (a test that wants one sets it on the command).
//!
//! The binary's path is known only to the binary's own test crates
//! (`env!("CARGO_BIN_EXE_gonogo")`), so they pass it in.

use std::path::Path;
use std::process::{Command, Output};

/// Variables of the CI (and of the user's history) that would change what the binary does.
const CLEARED: [&str; 7] = [
    "GITHUB_ACTIONS",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_SHA",
    "GITLAB_CI",
    "CI_COMMIT_SHA",
    "CI",
    "GONOGO_HISTORY",
];

/// `binary args` in `dir` with `NO_COLOR=1` and the CI's variables removed.
pub fn gonogo_command(binary: &str, args: &[&str], dir: &Path) -> Command {
    let mut command = Command::new(binary);
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    for name in CLEARED {
        command.env_remove(name);
    }
    command
}

/// Runs [`gonogo_command`] to the end; its output.
pub fn gonogo(binary: &str, args: &[&str], dir: &Path) -> Output {
    gonogo_command(binary, args, dir)
        .output()
        .expect("the binary runs")
}

/// Bytes as text, lossily.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// stdout then stderr, lossily.
pub fn console(output: &Output) -> String {
    format!("{}{}", text(&output.stdout), text(&output.stderr))
}

/// The smallest honest project: `reports/junit.xml` with two tests, the second failing with
/// `failure`'s message when given, and `gonogo.toml`: `before` (a `[notify]` table, ...), then
/// `[[collect]] junit = "reports/*.xml"` and the gate `tests pass` (`tests.failed count == 0`).
/// GO when both tests pass.
pub fn junit_project(before: &str, failure: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::create_dir_all(dir.path().join("reports")).expect("reports/ made");
    let failure = failure
        .map(|message| format!(r#"<failure message="{message}"/>"#))
        .unwrap_or_default();
    std::fs::write(
        dir.path().join("reports/junit.xml"),
        format!(r#"<testsuite name="s"><testcase name="a"/><testcase name="b">{failure}</testcase></testsuite>"#),
    )
    .expect("junit.xml written");
    std::fs::write(
        dir.path().join("gonogo.toml"),
        format!("{before}[[collect]]\njunit = \"reports/*.xml\"\n\n[[gate]]\nname = \"tests pass\"\narea = \"functionality\"\nmetric = \"tests.failed\"\nexpect = \"count == 0\"\n"),
    )
    .expect("gonogo.toml written");
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_is_clean() {
        let dir = tempfile::tempdir().unwrap();
        let mut command =
            gonogo_command("sh", &["-c", "echo $NO_COLOR:${CI-unset}:$PWD"], dir.path());
        command.env("CI", "true");
        let output = command.output().unwrap();
        let printed = text(&output.stdout);
        assert!(printed.starts_with("1:true:"), "{printed}");
        let output = gonogo(
            "sh",
            &["-c", "echo ${GITHUB_ACTIONS-unset}; echo err >&2"],
            dir.path(),
        );
        assert_eq!(console(&output), "unset\nerr\n");
    }
}
