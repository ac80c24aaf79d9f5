//! Coverage reports written by real producers; expected figures come from each producer's
//! own report (quoted in the data folder's README).

use gonogo_ingest::{Kind, collect_coverage_merged};

use crate::{collect, collect_error, data, ratio};

#[test]
fn coverage_py_cobertura() {
    // `coverage report`: TOTAL 34 statements, 4 missed, 6 branches, 1 partial (88%).
    let evidence = collect(Kind::Cobertura, "coverage/coverage.py/coverage.xml");
    assert_eq!(evidence.kind, "coverage");
    assert_eq!(ratio(&evidence, "coverage.lines"), (30, 34));
    assert_eq!(ratio(&evidence, "coverage.branches"), (5, 6));
    let files = evidence.details["files"].as_array().unwrap();
    let calc = files.iter().find(|f| f["file"] == "calc.py").unwrap();
    assert_eq!(
        (
            calc["lines"]["hit"].as_u64(),
            calc["lines"]["found"].as_u64()
        ),
        (Some(12), Some(14))
    );
    assert!(evidence.details["warnings"].as_array().unwrap().is_empty());
}

#[test]
fn coverage_py_lcov_agrees_with_its_cobertura() {
    let evidence = collect(Kind::Lcov, "coverage/coverage.py/coverage.lcov");
    assert_eq!(ratio(&evidence, "coverage.lines"), (30, 34));
    assert_eq!(ratio(&evidence, "coverage.branches"), (5, 6));
    // FN/FNDA: add, divide, classify, unused in calc.py plus the test functions.
    let (hit, found) = ratio(&evidence, "coverage.functions");
    assert!(found >= 4 && hit < found, "{hit}/{found}");
    // `coverage` accepts any coverage format.
    let auto = collect(Kind::Coverage, "coverage/coverage.py/coverage.lcov");
    assert_eq!(ratio(&auto, "coverage.lines"), (30, 34));
}

#[test]
fn merging_equals_coverage_combine() {
    // Two partial runs (`-k add`, `-k classify`) merged by gonogo must equal what
    // `coverage combine` made of the same two data files: "TOTAL 34 8 6 0 75%".
    let merged = collect_coverage_merged(&[
        data("coverage/coverage.py/cov-a.lcov"),
        data("coverage/coverage.py/cov-b.lcov"),
    ])
    .unwrap();
    let combined = collect(Kind::Lcov, "coverage/coverage.py/cov-ab.lcov");
    assert_eq!(ratio(&combined, "coverage.lines"), (26, 34));
    for metric in ["coverage.lines", "coverage.branches", "coverage.functions"] {
        assert_eq!(ratio(&merged, metric), ratio(&combined, metric), "{metric}");
    }
    let a = collect(Kind::Lcov, "coverage/coverage.py/cov-a.lcov");
    assert!(ratio(&a, "coverage.lines").0 < 26);
    assert!(merged.source.as_str().contains(" + "));
    assert_eq!(merged.details["merged_inputs"].as_array().unwrap().len(), 2);
    // Mixed formats merge too: LCOV of run a with Cobertura of run b.
    let mixed = collect_coverage_merged(&[
        data("coverage/coverage.py/cov-a.lcov"),
        data("coverage/coverage.py/cov-b.xml"),
    ])
    .unwrap();
    assert_eq!(ratio(&mixed, "coverage.lines"), (26, 34));
    // Arms are numbered per line in every format, so the same branches are not counted twice.
    assert_eq!(
        ratio(&mixed, "coverage.branches").1,
        ratio(&combined, "coverage.branches").1
    );
}

#[test]
fn istanbul_lcov_and_cobertura() {
    // jest --coverage: "All files | 100 | 100 | 100 | 100".
    let lcov = collect(Kind::Lcov, "coverage/jest-istanbul/lcov.info");
    let cobertura = collect(
        Kind::Cobertura,
        "coverage/jest-istanbul/cobertura-coverage.xml",
    );
    for evidence in [&lcov, &cobertura] {
        let (hit, found) = ratio(evidence, "coverage.lines");
        assert_eq!(hit, found);
        assert!(found > 0);
    }
    assert_eq!(
        ratio(&lcov, "coverage.lines"),
        ratio(&cobertura, "coverage.lines")
    );
    assert_eq!(ratio(&lcov, "coverage.functions"), (2, 2));
}

#[test]
fn cobertura_given_as_junit_says_what_it_is() {
    let error = collect_error(Kind::Junit, "coverage/coverage.py/coverage.xml");
    assert_eq!(error.code(), "wrong-kind");
    let message = error.to_string();
    assert!(
        message.contains("this is Cobertura XML, not JUnit XML"),
        "{message}"
    );
    assert!(message.contains("`cobertura`"), "{message}");
}

#[test]
fn jacoco_agent_report() {
    // JaCoCo's own counters: "lines: 5/9 branches: 3/4 methods: 2/5".
    let evidence = collect(Kind::Jacoco, "coverage/jacoco/jacoco.xml");
    assert_eq!(ratio(&evidence, "coverage.lines"), (5, 9));
    assert_eq!(ratio(&evidence, "coverage.branches"), (3, 4));
    assert_eq!(ratio(&evidence, "coverage.functions"), (2, 5));
    assert_eq!(
        collect(Kind::Auto, "coverage/jacoco/jacoco.xml").kind,
        "coverage"
    );
}

#[test]
fn gcovr_three_formats_agree_with_its_summary() {
    // gcovr --print-summary: "lines: 72.7% (8 out of 11)", "functions: 66.7% (2 out of 3)",
    // "branches: 75.0% (3 out of 4)".
    for (kind, file) in [
        (Kind::Lcov, "coverage/gcovr/gcovr.lcov"),
        (Kind::Cobertura, "coverage/gcovr/gcovr-cobertura.xml"),
        (Kind::Jacoco, "coverage/gcovr/gcovr-jacoco.xml"),
    ] {
        let evidence = collect(kind, file);
        assert_eq!(ratio(&evidence, "coverage.lines"), (8, 11), "{file}");
        assert_eq!(ratio(&evidence, "coverage.branches"), (3, 4), "{file}");
        if kind != Kind::Cobertura {
            assert_eq!(ratio(&evidence, "coverage.functions"), (2, 3), "{file}");
        }
    }
}

/// Defect 4 (issue 15): an LCOV tracefile of very many files keeps bounded state: past
/// `MAX_ENTRIES_KEPT` entries files keep their totals only, past `MAX_FILES_KEPT` files their
/// sections are added by their totals; every line is still counted and the record says so.
#[test]
fn lcov_of_very_many_files_keeps_bounded_state_and_counts_every_line() {
    use gonogo_ingest::coverage::{MAX_ENTRIES_KEPT, MAX_FILES_KEPT, lcov};
    let n = MAX_FILES_KEPT + 10;
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "SF:src/f{i}.c\nDA:1,1\nDA:2,0\nDA:3,5\nDA:4,0\nDA:5,1\nDA:6,0\nend_of_record\n"
        ));
    }
    // A kept file's second section is still merged line by line (a union, not a sum).
    text.push_str("SF:src/f0.c\nDA:2,1\nDA:7,0\nend_of_record\n");
    let coverage = lcov::parse(text.as_bytes()).unwrap();
    assert_eq!(coverage.files.len(), MAX_FILES_KEPT);
    assert_eq!(coverage.rest_files, 10);
    assert!(
        coverage.entries_kept <= MAX_ENTRIES_KEPT + 2,
        "{}",
        coverage.entries_kept
    );
    let kept_in_full = MAX_ENTRIES_KEPT / 6;
    assert_eq!(
        coverage.collapsed_files as usize,
        MAX_FILES_KEPT - kept_in_full
    );
    let totals = coverage.totals();
    // 3 of 6 lines hit in each file; f0 gains line 2 (hit) and line 7 (not hit).
    assert_eq!(totals.lines, (3 * n as u64 + 1, 6 * n as u64 + 1));
    let parsed = coverage.into_parsed("lcov").unwrap();
    let truncated = parsed.details["truncated"].as_str().unwrap();
    assert!(
        truncated.starts_with("truncated: 10 sections of files beyond 100000"),
        "{truncated}"
    );
}

/// An independent count over a Clover file (Python's standard library): lines are the distinct
/// `stmt`/`cond` line numbers per file, hit when any of their counts is positive; branches are
/// istanbul's covered/uncovered arms or OpenClover's two sides per `cond`; functions are
/// `method` lines hit when their count is positive, else the file's declared method metrics.
const CLOVER_COUNT_PY: &str = r#"
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
project = root.find("project")
istanbul = root.get("clover") == "3.2.0" and project.get("name") == "All files"
totals = {"lines": [0, 0], "branches": [0, 0], "functions": [0, 0]}
for f in project.iter("file"):
    lines, methods = {}, {}
    for line in f.findall("line"):
        num, kind = int(line.get("num")), line.get("type")
        t, fc = int(line.get("truecount", 0)), int(line.get("falsecount", 0))
        if kind == "method":
            methods[line.get("name", "") + line.get("signature", "")] = int(line.get("count", 0))
            continue
        count = int(line.get("count", t + fc))
        lines[num] = lines.get(num, 0) + count
        if kind == "cond":
            if istanbul:
                totals["branches"][0] += t
                totals["branches"][1] += t + fc
            else:
                totals["branches"][0] += (t > 0) + (fc > 0)
                totals["branches"][1] += 2
    totals["lines"][0] += sum(1 for c in lines.values() if c > 0)
    totals["lines"][1] += len(lines)
    if methods:
        totals["functions"][0] += sum(1 for c in methods.values() if c > 0)
        totals["functions"][1] += len(methods)
    else:
        m = f.find("metrics")
        if m is not None and m.get("methods") is not None:
            totals["functions"][0] += int(m.get("coveredmethods", 0))
            totals["functions"][1] += int(m.get("methods"))
print(json.dumps(totals))
"#;

/// `(hit, found)` of lines, branches and functions as the Python count gives them.
fn clover_count_by_python(relative: &str) -> Option<[(u64, u64); 3]> {
    let output = match std::process::Command::new("python3")
        .arg("-c")
        .arg(CLOVER_COUNT_PY)
        .arg(data(relative))
        .output()
    {
        Ok(output) => output,
        Err(_) => {
            gonogo_io::testing::missing_tool("python3", "clover_count_by_python");
            return None;
        }
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let totals: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let pair = |key: &str| {
        (
            totals[key][0].as_u64().unwrap(),
            totals[key][1].as_u64().unwrap(),
        )
    };
    Some([pair("lines"), pair("branches"), pair("functions")])
}

#[test]
fn phpunit_clover_is_not_taken_for_cobertura() {
    // Regression (issue 19): a PHPUnit Clover file was detected as Cobertura and refused with
    // "the cobertura report has no instrumented line".
    let evidence = collect(Kind::Coverage, "coverage/phpunit-pcov/clover.xml");
    assert_eq!(evidence.details["format"], "clover");
    // PHPUnit's own summary: "Lines: 60.00% (9/15)".
    assert_eq!(ratio(&evidence, "coverage.lines"), (9, 15));
    let error = collect_error(Kind::Cobertura, "coverage/phpunit-pcov/clover.xml");
    assert_eq!(
        error.to_string().lines().next().unwrap().split(": ").last(),
        Some("this is Clover XML, not Cobertura XML"),
        "{error}"
    );
    // And a Cobertura file is still Cobertura, with the same line figures from the same run.
    let cobertura = collect(Kind::Coverage, "coverage/phpunit-pcov/cobertura.xml");
    assert_eq!(cobertura.details["format"], "cobertura");
    assert_eq!(ratio(&cobertura, "coverage.lines"), (9, 15));
}

#[test]
fn clover_figures_equal_an_independent_count() {
    for (relative, expected) in [
        // PHPUnit 9.6.7 + pcov: "Lines: 60.00% (9/15)"; add, divide and classify called,
        // unused not (PHPUnit's own "Methods: 1/4" counts only fully covered methods).
        (
            "coverage/phpunit-pcov/clover.xml",
            [(9, 15), (0, 0), (3, 4)],
        ),
        // nyc 18 (istanbul): "All files | 72.72 | 41.66 | 75 | 72.72": 8/11, 5/12, 3/4.
        (
            "coverage/istanbul-clover/clover.xml",
            [(8, 11), (5, 12), (3, 4)],
        ),
    ] {
        let evidence = collect(Kind::Clover, relative);
        let figure = |metric: &str| {
            if evidence.metrics.contains_key(metric) {
                ratio(&evidence, metric)
            } else {
                (0, 0)
            }
        };
        let gonogo = [
            figure("coverage.lines"),
            figure("coverage.branches"),
            figure("coverage.functions"),
        ];
        assert_eq!(gonogo, expected, "{relative}");
        assert!(
            evidence.details["warnings"].as_array().unwrap().is_empty(),
            "{relative}: {}",
            evidence.details["warnings"]
        );
        if let Some(python) = clover_count_by_python(relative) {
            assert_eq!(
                gonogo, python,
                "{relative}: gonogo and the Python count differ"
            );
        }
    }
}

#[test]
fn istanbul_clover_agrees_with_its_lcov_and_merges_as_a_union() {
    let clover = collect(Kind::Coverage, "coverage/istanbul-clover/clover.xml");
    let lcov = collect(Kind::Lcov, "coverage/istanbul-clover/lcov.info");
    for metric in ["coverage.lines", "coverage.branches", "coverage.functions"] {
        assert_eq!(ratio(&clover, metric), ratio(&lcov, metric), "{metric}");
    }
    // Two reports of the same files (a re-run): a union by file, never a sum.
    let merged = collect_coverage_merged(&[
        data("coverage/istanbul-clover/clover.xml"),
        data("coverage/istanbul-clover/clover.xml"),
    ])
    .unwrap();
    for metric in ["coverage.lines", "coverage.branches", "coverage.functions"] {
        assert_eq!(ratio(&merged, metric), ratio(&clover, metric), "{metric}");
    }
    assert_eq!(merged.details["merged_inputs"][0]["format"], "clover");
}
