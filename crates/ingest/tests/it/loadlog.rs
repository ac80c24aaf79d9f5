//! Raw load results: for each producer, gonogo's counts, errors and percentiles equal those of
//! an independent Python reading of the same file (`tests/data/loadlog/check.py`), and hostile
//! inputs get a clear error with their line.

use std::process::Command;

use gonogo_core::evidence::{Evidence, MetricValue};
use gonogo_ingest::Kind;
use serde_json::Value;

use crate::{collect, data, ratio};

/// What the Python reading says about `relative`, read as `format`.
fn python(format: &str, relative: &str) -> Value {
    let output = Command::new("python3")
        .arg(data("loadlog/check.py"))
        .arg(format)
        .arg(data(relative))
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "check.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("check.py prints JSON")
}

/// Whether HDR's percentile `got` is the exact `want` within 3 significant digits (the
/// histogram reports the highest value of the sample's bucket, so never below it).
fn within_hdr(got: u64, want: u64) -> bool {
    got >= want && (got - want) as f64 <= (want as f64 * 0.001).max(1.0)
}

/// The name of entry `N` of scenario `s` (`details.scenarios.S.urls`).
fn entry_names(evidence: &Evidence, scenario: &str) -> Vec<String> {
    evidence.details["scenarios"][scenario]["urls"]
        .as_array()
        .map(|urls| {
            urls.iter()
                .map(|u| u["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// gonogo's record of `relative` agrees with the Python reading, scenario by scenario.
fn agrees(kind: Kind, format: &str, relative: &str, producer: &str) -> Evidence {
    let evidence = collect(kind, relative);
    assert_eq!(evidence.kind, "load");
    assert_eq!(evidence.tool.name, producer);
    let expected = python(format, relative);
    let scenarios = expected.as_object().unwrap();
    assert!(!scenarios.is_empty());
    for (scenario, want) in scenarios {
        let metric = |suffix: &str| format!("load.{scenario}.{suffix}");
        assert_eq!(
            ratio(&evidence, &metric("errors")),
            (
                want["errors"].as_u64().unwrap(),
                want["due"].as_u64().unwrap()
            ),
            "{relative} {scenario} errors"
        );
        if format != "locust" {
            for status in ["status_4xx", "status_5xx"] {
                if !format.starts_with("gatling") {
                    assert_eq!(
                        ratio(&evidence, &metric(status)).0,
                        want[status].as_u64().unwrap(),
                        "{relative} {scenario} {status}"
                    );
                }
            }
            let histogram = match &evidence.metrics[&metric("latency")].value {
                MetricValue::Distribution(h) => h.histogram().into_owned(),
                other => panic!("{other:?}"),
            };
            assert_eq!(histogram.len(), want["answered"].as_u64().unwrap());
            assert_eq!(
                crate::value(&evidence, &metric("requests")) as u64,
                want["answered"].as_u64().unwrap()
            );
            for (label, quantile) in [("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)] {
                let got = histogram.value_at_quantile(quantile);
                let exact = want["latency_us"][label].as_u64().unwrap();
                assert!(
                    within_hdr(got, exact),
                    "{relative} {scenario} {label}: gonogo {got} µs, exact {exact} µs"
                );
            }
            let max = want["latency_us"]["max"].as_u64().unwrap();
            assert!(within_hdr(histogram.max(), max), "{relative} max");
        }
        let names = entry_names(&evidence, scenario);
        let want_names = want["names"].as_object().unwrap();
        assert_eq!(names.len(), want_names.len(), "{relative} request names");
        for (index, name) in names.iter().enumerate() {
            let w = &want_names[name];
            assert_eq!(
                ratio(
                    &evidence,
                    &format!("load.{scenario}.url.{}.errors", index + 1)
                ),
                (w["errors"].as_u64().unwrap(), w["due"].as_u64().unwrap()),
                "{relative} {scenario} {name}"
            );
        }
    }
    evidence
}

#[test]
fn k6_json_agrees_with_an_independent_reading() {
    let evidence = agrees(
        Kind::K6Json,
        "k6-json",
        "loadlog/k6/k6-json-synthetic.json",
        "k6",
    );
    // Same names as gonogo's own load engine, per k6 scenario.
    assert!(evidence.metrics.contains_key("load.browse.latency"));
    assert!(evidence.metrics.contains_key("load.checkout.throughput"));
    assert!(evidence.metrics.contains_key("load.browse.checks_failed"));
    // Recognised from the content too.
    let auto = collect(Kind::Auto, "loadlog/k6/k6-json-synthetic.json");
    assert_eq!(auto.metrics.len(), evidence.metrics.len());
}

#[test]
fn k6_csv_agrees_with_an_independent_reading() {
    agrees(
        Kind::K6Csv,
        "k6-csv",
        "loadlog/k6/k6-csv-synthetic.csv",
        "k6",
    );
    collect(Kind::Load, "loadlog/k6/k6-csv-synthetic.csv");
}

#[test]
fn jmeter_csv_and_xml_agree_with_an_independent_reading() {
    let csv = agrees(
        Kind::Jmeter,
        "jmeter-csv",
        "loadlog/jmeter/jmeter-csv-synthetic.jtl",
        "jmeter",
    );
    let xml = agrees(
        Kind::Jmeter,
        "jmeter-xml",
        "loadlog/jmeter/jmeter-xml-synthetic.jtl",
        "jmeter",
    );
    // The same samples in the two formats: the same evidence (sub-samples are not counted).
    assert_eq!(
        ratio(&csv, "load.default.errors"),
        ratio(&xml, "load.default.errors")
    );
    collect(Kind::Load, "loadlog/jmeter/jmeter-xml-synthetic.jtl");
}

#[test]
fn real_jmeter_2_13_csv_and_xml_agree_with_an_independent_reading() {
    // Written by JMeter 2.13 itself (jmeter/RealPlan.java, commands in the README): 4 threads x
    // 15 loops over 5 samplers, and 3 requests to a port where nothing listens. The failure
    // messages of `missing` span several lines (quoted in the CSV).
    for (format, relative) in [
        ("jmeter-csv", "loadlog/jmeter/jmeter-2.13-csv.jtl"),
        ("jmeter-xml", "loadlog/jmeter/jmeter-2.13-xml.jtl"),
    ] {
        let evidence = agrees(Kind::Jmeter, format, relative, "jmeter");
        // Every sample the plan made, once: the redirects JMeter followed are sub-samples in
        // the XML and are not counted again.
        assert_eq!(ratio(&evidence, "load.default.errors").1, 303, "{relative}");
        // The refused connections have no HTTP answer and so no latency.
        assert_eq!(
            crate::value(&evidence, "load.default.requests") as u64,
            300,
            "{relative}"
        );
        let names = entry_names(&evidence, "default");
        for name in ["flaky, with a comma", "ok-asserted", "refused", "moved"] {
            assert!(names.iter().any(|n| n == name), "{relative}: {names:?}");
        }
        // JMeter's own verdict is kept: a 200 whose assertion failed is an error, and so is a
        // 404 whose multi-line failure message must not split the record.
        for name in ["ok-asserted", "missing"] {
            let entry = names.iter().position(|n| n == name).unwrap() + 1;
            assert_eq!(
                ratio(&evidence, &format!("load.default.url.{entry}.errors")),
                (60, 60),
                "{relative} {name}"
            );
        }
        // Recognised from the content too.
        let auto = collect(Kind::Auto, relative);
        assert_eq!(auto.tool.name, "jmeter", "{relative}");
        assert_eq!(
            ratio(&auto, "load.default.errors"),
            ratio(&evidence, "load.default.errors"),
            "{relative}"
        );
    }
}

#[test]
fn hey_agrees_with_an_independent_reading() {
    let evidence = agrees(Kind::Hey, "hey", "loadlog/hey/hey-0.1.4.csv", "hey");
    // hey's offsets are relative: a throughput, but no interval on the clock.
    assert!(crate::value(&evidence, "load.default.throughput") > 0.0);
    assert_eq!(
        evidence.details["scenarios"]["default"]["intervals"],
        serde_json::json!([])
    );
}

#[test]
fn vegeta_agrees_with_an_independent_reading() {
    let json = agrees(
        Kind::Vegeta,
        "vegeta-json",
        "loadlog/vegeta/vegeta-json-synthetic.json",
        "vegeta",
    );
    let csv = agrees(
        Kind::Vegeta,
        "vegeta-csv",
        "loadlog/vegeta/vegeta-csv-synthetic.csv",
        "vegeta",
    );
    assert_eq!(
        ratio(&json, "load.smoke.errors"),
        ratio(&csv, "load.smoke.errors")
    );
    assert_eq!(
        crate::value(&json, "load.smoke.throughput"),
        crate::value(&csv, "load.smoke.throughput")
    );
}

#[test]
fn gatling_agrees_with_an_independent_reading() {
    let evidence = agrees(
        Kind::Gatling,
        "gatling",
        "loadlog/gatling/simulation-3.9-synthetic.log",
        "gatling",
    );
    assert_eq!(evidence.tool.version, "3.9.5");
}

#[test]
fn gatling_binary_agrees_with_an_independent_reading() {
    let evidence = agrees(
        Kind::Gatling,
        "gatling-binary",
        "loadlog/gatling/simulation-3.15-binary-synthetic.log",
        "gatling",
    );
    assert_eq!(evidence.tool.version, "3.15.1");
    assert_eq!(evidence.details["format"], "binary simulation.log");
    // A Latin-1 and a UTF-16 name, behind their groups.
    let names = entry_names(&evidence, "basicsimulation");
    assert!(
        names.contains(&"shop / café / flaky".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"shop / 支払い missing".to_string()),
        "{names:?}"
    );
    // Found by its content.
    let auto = collect(
        Kind::Load,
        "loadlog/gatling/simulation-3.15-binary-synthetic.log",
    );
    assert_eq!(
        ratio(&auto, "load.basicsimulation.errors"),
        ratio(&evidence, "load.basicsimulation.errors")
    );
}

#[test]
fn locust_stats_are_exact_counts_and_estimated_latency() {
    let evidence = agrees(
        Kind::Locust,
        "locust",
        "loadlog/locust/locust-2.47.0_stats.csv",
        "locust",
    );
    let p95 = &evidence.metrics["locust.default.p95"];
    assert!(p95.estimate, "Locust's percentiles are estimates");
    assert!(!evidence.metrics.contains_key("load.default.latency"));
    let history = collect(Kind::Auto, "loadlog/locust/locust-2.47.0_stats_history.csv");
    assert_eq!(ratio(&history, "load.default.errors"), (63, 349));
}

#[test]
fn locust_request_hook_samples_are_read_as_a_jtl() {
    // The listener of docs/load-results.md, run with Locust 2.47.0: every request it timed,
    // as its own end-of-run summary counted them (496 requests, 99 failures).
    let evidence = agrees(
        Kind::Jmeter,
        "jmeter-csv",
        "loadlog/locust/locust-2.47.0-samples.jtl.csv",
        "jmeter",
    );
    assert_eq!(ratio(&evidence, "load.default.errors"), (99, 496));
}

/// Writes `text` to a fresh file and collects it as `kind`, which must fail.
fn hostile(kind: Kind, name: &str, text: &[u8]) -> gonogo_ingest::IngestError {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    match gonogo_ingest::collect_file(kind, &path) {
        Ok(evidence) => panic!(
            "{name}: expected an error, got {:?}",
            evidence.metrics.keys()
        ),
        Err(error) => error,
    }
}

/// The line an error names (0 when it names none).
fn line_of(error: &gonogo_ingest::IngestError) -> u64 {
    match error {
        gonogo_ingest::IngestError::Malformed { line, .. } => *line,
        other => panic!("not a malformed-input error: {other}"),
    }
}

const K6_LINE: &str = r#"{"metric":"http_req_duration","type":"Point","data":{"time":"2026-12-06T10:00:01Z","value":12.5,"tags":{"scenario":"default","name":"N","status":"200"}}}"#;
const JTL_HEADER: &str = "timeStamp,elapsed,label,responseCode,success\n";

#[test]
fn truncated_lines_are_named() {
    let k6 = format!("{K6_LINE}\n{}", &K6_LINE[..60]);
    let error = hostile(Kind::K6Json, "k6.json", k6.as_bytes());
    assert_eq!(line_of(&error), 2, "{error}");
    assert!(error.to_string().contains("truncated"), "{error}");

    let jtl = format!("{JTL_HEADER}1796551200000,4,home,200,true\n1796551200001,4,ho");
    let error = hostile(Kind::Jmeter, "a.jtl", jtl.as_bytes());
    assert_eq!(line_of(&error), 3, "{error}");

    let xml = "<testResults version=\"1.2\">\n<httpSample t=\"1\" ts=\"1\" s=\"true\" lb=\"a\" rc=\"200\"/>\n<httpSample t=\"1\"";
    let error = hostile(Kind::Jmeter, "a.xml", xml.as_bytes());
    assert!(
        matches!(error, gonogo_ingest::IngestError::Malformed { .. }),
        "{error}"
    );

    let gatling = "RUN\tsim\tsim\t1\t \t3.9.5\nREQUEST\t\thome\t1796551200000\t1796551200";
    let error = hostile(Kind::Gatling, "simulation.log", gatling.as_bytes());
    assert_eq!(line_of(&error), 2, "{error}");

    let vegeta = "{\"attack\":\"\",\"seq\":0,\"code\":200,\"timestamp\":\"2026-12-06T10:00:00Z\",\"latency\":1000,\"error\":\"\"}\n{\"attack\":\"\",\"seq\":1,\"code\":200,\"timest";
    let error = hostile(Kind::Vegeta, "v.json", vegeta.as_bytes());
    assert_eq!(line_of(&error), 2, "{error}");

    let hey = "response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n0.0010,0,0,0,0,0,200,0.1\n0.0010,0,0";
    let error = hostile(Kind::Hey, "hey.csv", hey.as_bytes());
    assert_eq!(line_of(&error), 3, "{error}");
}

#[test]
fn wrong_types_are_named() {
    let k6 = K6_LINE.replace("12.5", "\"fast\"");
    let error = hostile(
        Kind::K6Json,
        "k6.json",
        format!("{K6_LINE}\n{k6}\n").as_bytes(),
    );
    assert_eq!(line_of(&error), 2, "{error}");
    let k6 = K6_LINE.replace("\"200\"", "\"OK\"");
    let error = hostile(Kind::K6Json, "k6.json", format!("{k6}\n").as_bytes());
    assert!(error.to_string().contains("not an HTTP status"), "{error}");

    let jtl = format!("{JTL_HEADER}1796551200000,4,home,200,maybe\n");
    let error = hostile(Kind::Jmeter, "a.jtl", jtl.as_bytes());
    assert!(
        error.to_string().contains("neither true nor false"),
        "{error}"
    );
    let jtl = format!("{JTL_HEADER}1796551200000,-4,home,200,true\n");
    let error = hostile(Kind::Jmeter, "a.jtl", jtl.as_bytes());
    assert_eq!(line_of(&error), 2, "{error}");

    let gatling = "REQUEST\t\thome\t1796551200009\t1796551200000\tOK\t \n";
    let error = hostile(Kind::Gatling, "simulation.log", gatling.as_bytes());
    assert!(error.to_string().contains("before it starts"), "{error}");

    let vegeta = "1796551200000000000,abc,1000,0,0,,,,0,GET,http://a/,\n";
    let error = hostile(Kind::Vegeta, "v.csv", vegeta.as_bytes());
    assert!(
        matches!(
            error,
            gonogo_ingest::IngestError::Malformed { .. }
                | gonogo_ingest::IngestError::WrongKind { .. }
        ),
        "{error}"
    );
    let error = hostile(
        Kind::Locust,
        "l.csv",
        b"Type,Name,Request Count,Failure Count\nGET,/a,10,11\n,Aggregated,10,11\n",
    );
    assert_eq!(line_of(&error), 2, "{error}");
}

#[test]
fn huge_fields_are_refused_with_bounded_memory() {
    // A 3 MiB label: more than one line may hold.
    let label = "x".repeat(3 << 20);
    let jtl = format!("{JTL_HEADER}1796551200000,4,{label},200,true\n");
    let error = hostile(Kind::Jmeter, "a.jtl", jtl.as_bytes());
    assert_eq!(line_of(&error), 2, "{error}");
    assert!(error.to_string().contains("longer than"), "{error}");
    let k6 = K6_LINE.replace("\"N\"", &format!("\"{label}\""));
    let error = hostile(Kind::K6Json, "k6.json", k6.as_bytes());
    assert!(error.to_string().contains("longer than"), "{error}");
    // An unterminated quoted field does not swallow the file.
    let jtl = format!("{JTL_HEADER}1796551200000,4,\"{}\n", "y\n".repeat(1 << 20));
    let error = hostile(Kind::Jmeter, "b.jtl", jtl.as_bytes());
    assert!(error.to_string().contains("longer than"), "{error}");
}

#[test]
fn a_million_distinct_groups_stop_at_the_cap() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.json");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..1_000_000u32 {
        writeln!(
            out,
            "{}",
            K6_LINE.replace("\"N\"", &format!("\"/item/{i}\""))
        )
        .unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let error = gonogo_ingest::collect_file(Kind::K6Json, &path).unwrap_err();
    // The cap is reached at the 1001st name, long before the end of the file.
    assert_eq!(
        line_of(&error),
        gonogo_ingest::loadlog::MAX_NAMES as u64 + 1,
        "{error}"
    );
    assert!(
        error.to_string().contains("distinct request names"),
        "{error}"
    );
    let path = dir.path().join("many.jtl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    write!(out, "{JTL_HEADER}").unwrap();
    for i in 0..1_000_000u32 {
        writeln!(out, "1796551200000,4,label {i},200,true").unwrap();
    }
    drop(out);
    let error = gonogo_ingest::collect_file(Kind::Jmeter, &path).unwrap_err();
    assert_eq!(
        line_of(&error),
        gonogo_ingest::loadlog::MAX_NAMES as u64 + 2,
        "{error}"
    );
}
