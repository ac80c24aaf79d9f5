//! Writes the sample evidence under `examples/evidence/` that the README's first command
//! judges. Deterministic: the same files every time (`cargo run -p gonogo-core --example
//! sample_evidence`). The figures are synthetic and say so in each record's `details`; real
//! runs come from `gonogo load`, `gonogo collect` and the other engines.

use gonogo_core::evidence::{Evidence, Metric, Ratio, Source, Tool, latency_histogram, sha256_hex};
use gonogo_core::units::Unit;
use gonogo_core::wire;

fn record(kind: &str, source: Source, raw: &str) -> Evidence {
    let mut evidence = Evidence::new(
        kind,
        source,
        sha256_hex(raw.as_bytes()),
        "2026-11-25T09:00:00Z".parse().unwrap(),
        Tool::new("gonogo-sample", env!("CARGO_PKG_VERSION")),
    );
    evidence.details =
        serde_json::json!({ "synthetic": "sample evidence for the README; not a measurement" });
    evidence
}

fn main() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/evidence");
    std::fs::create_dir_all(&out).unwrap();

    let mut junit = record(
        "junit",
        Source::File("target/nextest/ci/junit.xml".into()),
        "junit",
    );
    junit
        .insert(
            "tests.failed",
            Metric::ratio(Ratio::new(0, 1240).unwrap(), Unit::count("tests")),
        )
        .insert(
            "tests.passed",
            Metric::ratio(Ratio::new(1240, 1240).unwrap(), Unit::count("tests")),
        )
        .insert(
            "tests.skipped",
            Metric::ratio(Ratio::new(12, 1252).unwrap(), Unit::count("tests")),
        );

    let mut coverage = record(
        "coverage",
        Source::File("coverage/lcov.info".into()),
        "lcov",
    );
    coverage.insert(
        "coverage.lines",
        Metric::ratio(Ratio::new(8_421, 10_000).unwrap(), Unit::count("lines")),
    );

    // 2,000 requests: most around 40 ms, a slow tail of 8 % between 300 and 700 ms.
    let mut latency = latency_histogram();
    for i in 0..2_000u64 {
        let micros = if i % 25 < 2 {
            300_000 + (i * 197) % 400_000
        } else {
            30_000 + (i * 31) % 20_000
        };
        latency.record(micros).unwrap();
    }
    let mut load = record(
        "load",
        Source::Url("http://127.0.0.1:8080/api/checkout".into()),
        "load",
    );
    load.insert(
        "load.checkout.latency",
        Metric::distribution(latency, Unit::parse("us")),
    )
    .insert(
        "load.checkout.errors",
        Metric::ratio(Ratio::new(2, 2_000).unwrap(), Unit::count("requests")),
    );

    // 13 probes, 11 successful: the "availability 84.62 %" of a hand-written report.
    let mut probe = record(
        "probe",
        Source::Url("http://127.0.0.1:8080/readyz".into()),
        "probe",
    );
    probe
        .insert(
            "probe.readyz.availability",
            Metric::ratio(Ratio::new(11, 13).unwrap(), Unit::count("probes")),
        )
        .insert(
            "probe.readyz.cert_expiry",
            Metric::value(41.0, Unit::parse("d")),
        );

    for (name, evidence) in [
        ("junit", junit),
        ("coverage", coverage),
        ("load", load),
        ("probe", probe),
    ] {
        std::fs::write(
            out.join(format!("{name}.json")),
            wire::to_json_pretty(&evidence) + "\n",
        )
        .unwrap();
    }
    println!("wrote {}", out.display());
}
