//! A test that needs a real tool (nginx, Prometheus, redis-server...) asks [`require_tool`]:
//! the program's path, or `None` after [`missing_tool`] printed why the test is skipped (or
//! failed it under `GONOGO_REQUIRE_TOOLS=1`, so a CI machine without the tools is not green by
//! skipping). The rule itself is `gonogo_io::testing`, shared with tests outside the kit.

use std::path::{Path, PathBuf};

pub use gonogo_io::testing::{REQUIRE_TOOLS, missing_tool, tools_required};

/// Folders searched after `PATH`: servers live in `sbin`, which is not on a user's `PATH`.
const SBIN: [&str; 3] = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

/// Where `program` is: a path as given, else the first executable file of that name on
/// `PATH` or in the `sbin` folders.
pub fn find_tool(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return is_executable(Path::new(program)).then(|| PathBuf::from(program));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN.iter().map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `program`'s path, or `None` when it is missing: then the test `test` is reported skipped
/// (printed), or fails under `GONOGO_REQUIRE_TOOLS=1`. The caller returns on `None`.
#[track_caller]
pub fn require_tool(program: &str, test: &str) -> Option<PathBuf> {
    let found = find_tool(program);
    if found.is_none() {
        missing_tool(
            &format!("`{program}` (scripts/deps/ lists the packages; scripts/test installs them)"),
            test,
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_program_on_the_path_and_not_a_missing_one() {
        let sh = find_tool("sh").expect("sh is on every PATH");
        assert!(sh.ends_with("sh") && sh.is_absolute(), "{}", sh.display());
        assert_eq!(find_tool("gonogo-no-such-tool-7f3a"), None);
        assert_eq!(find_tool("/gonogo/no/such/tool"), None);
        assert_eq!(find_tool("/bin/sh"), Some(PathBuf::from("/bin/sh")));
    }

    #[test]
    fn a_file_that_is_not_executable_is_not_a_tool() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tool");
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        assert_eq!(find_tool(file.to_str().unwrap()), None);
    }
}
