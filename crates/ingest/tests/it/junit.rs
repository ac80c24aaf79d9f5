//! JUnit files written by real producers; expected counts come from each producer's own
//! summary line (quoted in the data folder's README), not from the file.

use gonogo_ingest::Kind;

use crate::{collect, collect_error, ratio, value};

/// (failed+errored, passed, errored, skipped, flaky) as ratios: run = testcases - skipped.
fn assert_counts(
    relative: &str,
    failed: u64,
    passed: u64,
    errored: u64,
    skipped: u64,
    flaky: u64,
    testcases: u64,
) {
    let evidence = collect(Kind::Junit, relative);
    let run = testcases - skipped;
    assert_eq!(evidence.kind, "junit");
    assert_eq!(
        ratio(&evidence, "tests.failed"),
        (failed + errored, run),
        "{relative} failed"
    );
    assert_eq!(
        ratio(&evidence, "tests.passed"),
        (passed, run),
        "{relative} passed"
    );
    assert_eq!(
        ratio(&evidence, "tests.errored"),
        (errored, run),
        "{relative} errored"
    );
    assert_eq!(
        ratio(&evidence, "tests.skipped"),
        (skipped, testcases),
        "{relative} skipped"
    );
    assert_eq!(
        ratio(&evidence, "tests.flaky"),
        (flaky, run),
        "{relative} flaky"
    );
    assert_eq!(evidence.details["testcases"], testcases, "{relative}");
    assert_eq!(evidence.sha256.len(), 64);
    assert!(evidence.source.as_str().ends_with(relative));
}

#[test]
fn pytest_xunit2() {
    // "2 failed, 4 passed, 1 skipped, 1 xfailed, 1 error": xfail is a skip, counted apart.
    assert_counts("junit/pytest/junit-xunit2.xml", 2, 4, 1, 2, 0, 9);
    let evidence = collect(Kind::Junit, "junit/pytest/junit-xunit2.xml");
    assert_eq!(evidence.details["xfail"], 1);
    assert_eq!(evidence.tool.name, "pytest");
    let failing = evidence.details["failing"].as_array().unwrap();
    assert_eq!(failing.len(), 3);
    let error = failing.iter().find(|f| f["outcome"] == "errored").unwrap();
    assert_eq!(error["name"], "test_uses_broken_fixture");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("failed on setup with \"RuntimeError: fixture setup failed\"")
    );
    // No file attribute in xunit2: dug out of the traceback.
    assert_eq!(error["file"], "tests/test_calc.py");
}

#[test]
fn pytest_xunit1_has_file_and_line() {
    assert_counts("junit/pytest/junit-xunit1.xml", 2, 4, 1, 2, 0, 9);
    let evidence = collect(Kind::Junit, "junit/pytest/junit-xunit1.xml");
    let failing = evidence.details["failing"].as_array().unwrap();
    let wrong = failing
        .iter()
        .find(|f| f["name"] == "test_add_wrong")
        .unwrap();
    assert_eq!(wrong["file"], "tests/test_calc.py");
    assert_eq!(
        wrong["line"], 8,
        "xunit1's line is the 0-based line of the def"
    );
}

#[test]
fn cargo_nextest_with_retries() {
    // "3 tests run: 2 passed (1 flaky), 1 failed, 1 skipped": the #[ignore]d test is absent
    // from nextest's JUnit, so the file holds 3 testcases and no skip.
    assert_counts("junit/cargo-nextest/junit.xml", 1, 2, 0, 0, 1, 3);
    let evidence = collect(Kind::Junit, "junit/cargo-nextest/junit.xml");
    assert_eq!(evidence.tool.name, "cargo-nextest");
    let failing = &evidence.details["failing"][0];
    assert_eq!(failing["name"], "tests::adds_wrong");
    assert_eq!(failing["file"], "src/lib.rs");
    assert_eq!(failing["line"], 16);
}

#[test]
fn gotestsum() {
    // "DONE 6 tests, 1 skipped, 3 failures" (a parent of a failing subtest fails too).
    assert_counts("junit/gotestsum/junit.xml", 3, 2, 0, 1, 0, 6);
    let evidence = collect(Kind::Junit, "junit/gotestsum/junit.xml");
    assert!(evidence.tool.name.starts_with("go"));
    let failing = evidence.details["failing"].as_array().unwrap();
    let wrong = failing
        .iter()
        .find(|f| f["name"] == "TestAddWrong")
        .unwrap();
    assert_eq!(
        (wrong["file"].as_str(), wrong["line"].as_u64()),
        (Some("calc_test.go"), Some(13))
    );
}

#[test]
fn ctest_disabled_is_skipped() {
    // ctest: "67% tests passed, 1 tests failed out of 3", plus 1 skipped (SKIP_RETURN_CODE,
    // which ctest counts among the passed) and 1 disabled, which has only status="disabled".
    assert_counts("junit/ctest/junit.xml", 1, 1, 0, 2, 0, 4);
    assert_eq!(
        collect(Kind::Junit, "junit/ctest/junit.xml").tool.name,
        "ctest"
    );
}

#[test]
fn jest_junit_todo_reads_as_passed() {
    // jest: "Tests: 2 failed, 1 skipped, 1 todo, 2 passed, 6 total". jest-junit writes the
    // todo as a testcase with no child, so it reads as a third pass (FIXME: no way to tell
    // it apart from the file), and the root's tests="5" disagrees with the 6 testcases.
    assert_counts("junit/jest-junit/jest-junit.xml", 2, 3, 0, 1, 0, 6);
    let evidence = collect(Kind::Junit, "junit/jest-junit/jest-junit.xml");
    assert_eq!(evidence.tool.name, "jest-junit");
    assert_eq!(evidence.details["declared_tests"], 5);
    assert_eq!(evidence.details["warnings"].as_array().unwrap().len(), 1);
    let failing = evidence.details["failing"].as_array().unwrap();
    assert!(
        failing
            .iter()
            .any(|f| f["file"] == "/tmp/prod/js/jtest/calc.test.js" && f["line"] == 8)
    );
}

#[test]
fn vitest() {
    // vitest: "1 failed | 2 passed | 1 skipped | 1 todo (5)": todo is written as skipped.
    assert_counts("junit/vitest/vitest-junit.xml", 1, 2, 0, 2, 0, 5);
    let evidence = collect(Kind::Junit, "junit/vitest/vitest-junit.xml");
    assert_eq!(evidence.tool.name, "vitest");
    assert!(value(&evidence, "tests.duration") > 0.0);
}

#[test]
fn maven_surefire_reruns_and_flakes() {
    // Surefire: "Tests run: 7, Failures: 1, Errors: 1, Skipped: 2, Flakes: 1". The reruns
    // are extra attempts, not extra tests; the flaky test passed.
    assert_counts(
        "junit/maven-surefire/TEST-demo.CalcTest.xml",
        1,
        3,
        1,
        2,
        1,
        7,
    );
    let evidence = collect(Kind::Junit, "junit/maven-surefire/TEST-demo.CalcTest.xml");
    assert_eq!(evidence.tool.name, "maven-surefire");
    let failing = evidence.details["failing"].as_array().unwrap();
    let error = failing.iter().find(|f| f["outcome"] == "errored").unwrap();
    assert_eq!(error["name"], "dividesByZero");
    assert!(error["message"].as_str().unwrap().starts_with("/ by zero"));
}

#[test]
fn mocha_pending_tests_are_absent() {
    // mocha: "2 passing, 2 pending, 2 failing". The reporter writes no testcase for pending
    // tests, so 4 testcases against a declared tests="6".
    assert_counts("junit/mocha/mocha-junit.xml", 2, 2, 0, 0, 0, 4);
    let evidence = collect(Kind::Junit, "junit/mocha/mocha-junit.xml");
    assert_eq!(evidence.tool.name, "mocha-junit-reporter");
    assert_eq!(evidence.details["declared_tests"], 6);
}

#[test]
fn playwright_flaky_reads_as_passed() {
    // Playwright: "1 failed, 1 flaky, 1 skipped, 1 passed". The flaky test is a plain pass
    // in the JUnit file (FIXME: only Playwright's JSON reporter shows flakiness).
    assert_counts("junit/playwright/playwright-junit.xml", 1, 2, 0, 1, 0, 4);
    assert_eq!(
        collect(Kind::Junit, "junit/playwright/playwright-junit.xml")
            .tool
            .name,
        "playwright"
    );
}

#[test]
fn phpunit_risky_is_a_pass_and_incomplete_a_skip() {
    // PHPUnit: "Tests: 9, Assertions: 5, Errors: 1, Failures: 2, Skipped: 1, Incomplete: 1,
    // Risky: 1.": the risky test (written as an error) passed; incomplete is a skip.
    assert_counts("junit/phpunit/junit.xml", 2, 4, 1, 2, 0, 9);
    let evidence = collect(Kind::Junit, "junit/phpunit/junit.xml");
    assert_eq!(evidence.tool.name, "phpunit");
    assert_eq!(evidence.details["risky"], 1);
    assert_eq!(evidence.details["declared_tests"], 9);
    let failing = evidence.details["failing"].as_array().unwrap();
    let bad_set = failing
        .iter()
        .find(|f| f["name"] == "testPairs with data set \"bad\"")
        .unwrap();
    assert_eq!(bad_set["line"], 36);
    let error = failing.iter().find(|f| f["outcome"] == "errored").unwrap();
    assert_eq!(error["name"], "testDividesByZero");
}

#[test]
fn bats_failures_point_at_their_line() {
    // bats: "5 tests, 2 failures, 1 skipped".
    assert_counts("junit/bats/junit.xml", 2, 2, 0, 1, 0, 5);
    let evidence = collect(Kind::Junit, "junit/bats/junit.xml");
    assert_eq!(evidence.tool.name, "bats");
    let failing = evidence.details["failing"].as_array().unwrap();
    let printing = failing
        .iter()
        .find(|f| f["name"] == "prints & fails")
        .unwrap();
    assert_eq!(
        (printing["file"].as_str(), printing["line"].as_u64()),
        (Some("calc.bats"), Some(18))
    );
    assert!(
        printing["message"]
            .as_str()
            .unwrap()
            .contains("some output <with> markup")
    );
}

#[test]
fn rspec_pending_is_skipped_and_lines_come_from_the_backtrace() {
    // RSpec: "7 examples, 2 failures, 3 pending".
    assert_counts("junit/rspec/junit.xml", 2, 2, 0, 3, 0, 7);
    let evidence = collect(Kind::Junit, "junit/rspec/junit.xml");
    assert_eq!(evidence.tool.name, "rspec");
    let failing = evidence.details["failing"].as_array().unwrap();
    let raises = failing.iter().find(|f| f["name"] == "Calc raises").unwrap();
    assert_eq!(
        (raises["file"].as_str(), raises["line"].as_u64()),
        (Some("./spec/calc_spec.rb"), Some(11))
    );
    assert!(
        raises["message"]
            .as_str()
            .unwrap()
            .starts_with("bad <argument> & more")
    );
}

#[test]
fn gradle_exceptions_are_failures_and_the_line_is_the_tests_own_frame() {
    // Gradle: "6 tests completed, 2 failed, 2 skipped".
    assert_counts("junit/gradle/TEST-demo.CalcTest.xml", 2, 2, 0, 2, 0, 6);
    let evidence = collect(Kind::Junit, "junit/gradle/TEST-demo.CalcTest.xml");
    let failing = evidence.details["failing"].as_array().unwrap();
    let wrong = failing.iter().find(|f| f["name"] == "addsWrong").unwrap();
    // The trace starts in org.junit.Assert (Assert.java:89); the test's frame is line 14.
    assert_eq!(
        (wrong["file"].as_str(), wrong["line"].as_u64()),
        (Some("CalcTest.java"), Some(14))
    );
    assert!(
        wrong["message"]
            .as_str()
            .unwrap()
            .starts_with("java.lang.AssertionError: two and two expected:<5> but was:<4>")
    );
}

#[test]
fn nunit2_through_the_jenkins_stylesheet_errors_are_failures_and_inconclusive_a_skip() {
    // NUnit 2.6.4: "Tests run: 10, Errors: 1, Failures: 3, Inconclusive: 1" and "Not run: 2,
    // Invalid: 0, Ignored: 2, Skipped: 0" (the [Explicit] test is in neither the summary nor
    // the file). The Jenkins NUnit plugin's stylesheet writes NUnit's error as a <failure>
    // (errors="0": the converter loses the distinction, so gonogo cannot see it), and the
    // ignored and inconclusive tests as <skipped>: NUnit counts the inconclusive test as run,
    // gonogo reads it as a skip, as the file says.
    let (run, errors, failures, inconclusive, ignored) = (10, 1, 3, 1, 2);
    let relative = "junit/nunit-jenkins-xslt/junit.xml";
    assert_counts(
        relative,
        errors + failures,
        run - errors - failures - inconclusive,
        0,
        inconclusive + ignored,
        0,
        run + ignored,
    );
    let evidence = collect(Kind::Junit, relative);
    // Nothing in the file names NUnit or the converter.
    assert_eq!(evidence.tool.name, "junit");
    assert_eq!(evidence.details["producer"], serde_json::Value::Null);
    // The parameterised cases are a suite of their own, named like their fixture.
    assert_eq!(evidence.details["suites"], 3);
    assert_eq!(evidence.details["declared_tests"], run + ignored);
    assert!(evidence.details["warnings"].as_array().unwrap().is_empty());

    let failing = evidence.details["failing"].as_array().unwrap();
    let names: Vec<&str> = failing
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["AddsWrong", "DividesByZero", "Pairs(2,2,5)", "TrimsWrong"]
    );
    assert!(failing.iter().all(|f| f["outcome"] == "failed"));
    let message = |name: &str| {
        failing.iter().find(|f| f["name"] == name).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // No message attribute: the body is the stylesheet's "MESSAGE:" heading, the message,
    // a "+++" line and the stack trace; the message part is what is kept.
    assert_eq!(
        message("AddsWrong"),
        "  two and two\n  Expected: 5\n  But was:  4"
    );
    assert!(message("DividesByZero").contains("System.DivideByZeroException"));
    assert!(message("TrimsWrong").contains("inner <spaces> & all"));

    // Mono's traces (built with --debug) name the source line of each failing assertion.
    let source =
        std::fs::read_to_string(crate::data("junit/nunit-jenkins-xslt/CalcTests.cs")).unwrap();
    let lines: Vec<&str> = source.lines().collect();
    for (name, classname, statement) in [
        ("AddsWrong", "Calc.Tests.CalcTests", "\"two and two\""),
        ("DividesByZero", "Calc.Tests.CalcTests", "1 / zero"),
        ("Pairs(2,2,5)", "Calc.Tests.CalcTests", "a + b"),
        ("TrimsWrong", "Text.Tests.UpperTests", "Trim()"),
    ] {
        let case = failing.iter().find(|f| f["name"] == name).unwrap();
        assert_eq!(case["classname"], classname, "{name}");
        assert_eq!(case["file"], "/tmp/nunit/CalcTests.cs", "{name}");
        let line = case["line"].as_u64().unwrap() as usize;
        assert!(lines[line - 1].contains(statement), "{name}: line {line}");
    }
}

#[test]
fn raw_nunit2_xml_is_refused_by_name() {
    // The file nunit-console wrote, before the stylesheet: not JUnit, and not read as such.
    let relative = "junit/nunit-jenkins-xslt/TestResult.xml";
    let error = collect_error(Kind::Junit, relative);
    assert_eq!(error.code(), "wrong-kind", "{error}");
    assert!(
        error
            .to_string()
            .contains("this is NUnit 2 XML, not JUnit XML"),
        "{error}"
    );
    assert!(
        error.to_string().contains("convert it to JUnit XML first"),
        "{error}"
    );
    // `gonogo collect auto` says what it is too.
    let error = collect_error(Kind::Auto, relative);
    assert_eq!(error.code(), "wrong-kind", "{error}");
    assert!(error.to_string().contains("this is NUnit 2 XML"), "{error}");
    assert!(
        error.to_string().contains("convert it to JUnit XML first"),
        "{error}"
    );
}
