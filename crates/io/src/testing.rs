//! For tests only: what a test does when a real tool it needs (nginx, openssl, Prometheus,
//! the Observatory CLI, root for a tmpfs...) is missing. By default it prints why it is
//! skipped and passes; with `GONOGO_REQUIRE_TOOLS=1` (set by `.ci/run`) it fails instead, so
//! a CI machine without the tools is not green by skipping.

/// The environment variable that turns a missing tool into a failure.
pub const REQUIRE_TOOLS: &str = "GONOGO_REQUIRE_TOOLS";

/// Whether missing tools must fail tests (`GONOGO_REQUIRE_TOOLS` set to anything but empty
/// or `0`).
pub fn tools_required() -> bool {
    std::env::var(REQUIRE_TOOLS).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Reports that `tool` is missing for `test`: panics with "required tool X is missing" under
/// `GONOGO_REQUIRE_TOOLS=1`, otherwise prints that the test is skipped. The caller returns
/// after it.
#[track_caller]
pub fn missing_tool(tool: &str, test: &str) {
    if tools_required() {
        panic!("required tool {tool} is missing ({test}; {REQUIRE_TOOLS}=1)");
    }
    eprintln!("skipped {test}: {tool} is missing (set {REQUIRE_TOOLS}=1 to fail instead)");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_fails_only_when_tools_are_required() {
        // Both branches, in one test so that the environment is not raced by another test.
        // SAFETY: no other test of this crate reads or writes this variable.
        unsafe { std::env::set_var(REQUIRE_TOOLS, "1") };
        let panic = std::panic::catch_unwind(|| missing_tool("nginx", "a test"));
        let message = panic
            .unwrap_err()
            .downcast::<String>()
            .map(|s| *s)
            .unwrap_or_default();
        assert!(
            message.contains("required tool nginx is missing"),
            "{message}"
        );
        unsafe { std::env::set_var(REQUIRE_TOOLS, "0") };
        assert!(!tools_required());
        missing_tool("nginx", "a test");
        unsafe { std::env::remove_var(REQUIRE_TOOLS) };
        assert!(!tools_required());
    }
}
