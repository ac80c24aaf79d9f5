//! Fuzzes the policy loader (`gonogo_core::policy::Policy::parse`): any text gives a policy or
//! a list of problems, never a panic; every problem's byte span lies inside the text (the
//! binary renders it with a caret); and the loader is deterministic. Mutation is
//! structure-aware (`toml_mutator.rs`): most mutants stay valid TOML, so the resolver behind
//! the parser is reached.
#![no_main]

mod toml_mutator;

use gonogo_core::policy::Policy;
use libfuzzer_sys::{fuzz_crossover, fuzz_mutator, fuzz_target};

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    toml_mutator::mutate(data, size, max_size, seed)
});

fuzz_crossover!(|data1: &[u8], data2: &[u8], out: &mut [u8], seed: u32| {
    toml_mutator::crossover(data1, data2, out, seed)
});

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
