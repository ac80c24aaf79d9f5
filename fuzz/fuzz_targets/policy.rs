//! Fuzzes the policy loader (`gonogo_core::policy::Policy::parse`): any text gives a policy or
//! a list of problems, never a panic; every problem's byte span lies inside the text (the
//! binary renders it with a caret); and the loader is deterministic.
#![no_main]

use gonogo_core::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for env in [None, Some("prod")] {
        match Policy::parse(text, env, gonogo_catalog::CATALOG) {
            Ok(policy) => {
                let again = Policy::parse(text, env, gonogo_catalog::CATALOG).expect("the same text parses again");
                assert_eq!(format!("{policy:?}"), format!("{again:?}"));
            }
            Err(problems) => {
                assert!(!problems.is_empty(), "an error with no problem");
                for problem in &problems {
                    let span = &problem.span;
                    assert!(
                        span.start <= span.end && span.end <= text.len(),
                        "span {span:?} outside a text of {} bytes: {}",
                        text.len(),
                        problem.message
                    );
                }
            }
        }
    }
});
