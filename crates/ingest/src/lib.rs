//! gonogo's evidence collectors: files that CI already produced, turned into [`Evidence`].
//!
//! | [`Kind`] | reads | evidence kind | metrics |
//! |---|---|---|---|
//! | `junit` | JUnit XML of every common producer ([`junit`]) | `junit` | `tests.failed`, `tests.passed`, `tests.errored`, `tests.skipped`, `tests.flaky` (ratios), `tests.duration` |
//! | `lcov`, `cobertura`, `jacoco`, `clover`, `coverage` | coverage reports ([`coverage`]) | `coverage` | `coverage.lines`, `coverage.branches`, `coverage.functions` (ratios) |
//! | `sarif` | SARIF 2.1.0, streamed ([`sarif`]) | `sarif` | `sarif.error`, `.warning`, `.note`, `.none`, `.suppressed`, `sarif.new.*` |
//! | `cargo-audit`, `npm-audit`, `pip-audit`, `osv` | dependency audits ([`audit`]) | `audit` | `audit.critical`, `.high`, `.moderate`, `.low`, `.unknown` |
//! | `k6` | `--summary-export` and `handleSummary` JSON ([`k6`]) | `k6` | `k6.<metric>.p95` ..., `k6.<metric>.rate`, `k6.<metric>.count` |
//! | `ci-history` | CI run lists: `gh run list --json`, GitHub's workflow-runs API, GitLab's pipelines API, a generic CSV ([`ci_history`]) | `ci` | `ci.<workflow>.success`, `.flaky` (ratios), `.duration` (distribution), and `ci.<workflow>.<branch>.*` |
//! | `k6-json`, `k6-csv`, `jmeter`, `hey`, `vegeta`, `gatling`, `locust`, `load` | load tools' raw per-request results ([`loadlog`], docs/load-results.md) | `load` | `load.<scenario>.latency` (histogram), `.errors`, `.status_4xx`, `.status_5xx`, `.requests`, `.throughput`, `.url.<N>.*` |
//! | `auto` | any of the above, recognised from the content ([`detect`]) | | |
//!
//! Every parser reads a [`std::io::BufRead`] in one streaming pass; [`collect_file`] hashes the
//! bytes in the same pass ([`input::HashingReader`]) so each record carries the SHA-256 of the
//! input it came from, and turns a parser's byte offset into `file:line:column` with an excerpt
//! when the input is malformed. An input that proves nothing (an empty file, zero tests run, an
//! audit that did not reach its database) is an [`IngestError::NoEvidence`], never a record
//! that could pass a gate.
//!
//! ```no_run
//! use gonogo_ingest::{collect_path, Kind};
//! let records = collect_path(Kind::Junit, "target/nextest/ci/*.xml").unwrap();
//! for record in &records {
//!     println!("{}: {:?}", record.source, record.metrics["tests.failed"].value);
//! }
//! ```

pub mod audit;
mod catalog;
pub mod ci_history;
pub mod cli;
pub mod coverage;
pub mod detect;
pub mod error;
pub mod input;
pub mod junit;
pub mod k6;
pub mod loadlog;
pub mod sarif;
mod xml;
pub use catalog::METRICS;

use std::io::BufRead;
use std::path::{Path, PathBuf};

use gonogo_core::evidence::{Evidence, Metric, NoteCode, Ratio, Source, Tool};
use gonogo_core::units::Unit;

use crate::detect::Detected;
pub use crate::error::{IngestError, ParseError};

/// This collector's name and version, written in every record's details.
pub const COLLECTOR: &str = concat!("gonogo-ingest ", env!("CARGO_PKG_VERSION"));

/// The input formats `gonogo collect` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Kind {
    /// JUnit XML (Surefire, Gradle, pytest, jest-junit, mocha, vitest, Playwright, gotestsum, nextest, ctest, PHPUnit, bats, RSpec...).
    Junit,
    /// LCOV tracefile (lcov, gcovr, coverage.py `coverage lcov`, istanbul, c8, cargo-llvm-cov).
    Lcov,
    /// Cobertura XML (coverage.py `coverage xml`, istanbul, gcovr, PHPUnit).
    Cobertura,
    /// JaCoCo XML report.
    Jacoco,
    /// Clover XML (PHPUnit `--coverage-clover`, OpenClover, istanbul's `clover` reporter).
    Clover,
    /// Any coverage format (LCOV, Cobertura, JaCoCo, Clover), recognised from the content.
    Coverage,
    /// SARIF 2.1.0 static-analysis results.
    Sarif,
    /// `cargo audit --json`.
    CargoAudit,
    /// `npm audit --json` (npm 6 and npm 7+ shapes).
    NpmAudit,
    /// `pip-audit -f json`.
    PipAudit,
    /// `osv-scanner --format json`.
    Osv,
    /// k6 `--summary-export` or `handleSummary` JSON.
    K6,
    /// A CI run history: `gh run list --json ...`, GitHub's workflow-runs API JSON, GitLab's
    /// pipelines API JSON, or the generic CSV (`workflow,branch,conclusion,started_at,finished_at[,attempt]`).
    CiHistory,
    /// k6 raw results, `k6 run --out json=FILE`.
    K6Json,
    /// k6 raw results, `k6 run --out csv=FILE`.
    K6Csv,
    /// JMeter results (JTL), CSV with its header or XML.
    Jmeter,
    /// `hey -o csv`.
    Hey,
    /// Vegeta results, `vegeta encode --to json` or `--to csv`.
    Vegeta,
    /// Gatling's `simulation.log`: text (Gatling 2.x to 3.12) or binary (3.13 and later).
    Gatling,
    /// Locust's `--csv` stats or stats-history file (counts exact, latency only estimates).
    Locust,
    /// Any load tool's raw results above, recognised from the content.
    Load,
    /// Recognise the format from the content.
    Auto,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Junit => "junit",
            Kind::Lcov => "lcov",
            Kind::Cobertura => "cobertura",
            Kind::Jacoco => "jacoco",
            Kind::Clover => "clover",
            Kind::Coverage => "coverage",
            Kind::Sarif => "sarif",
            Kind::CargoAudit => "cargo-audit",
            Kind::NpmAudit => "npm-audit",
            Kind::PipAudit => "pip-audit",
            Kind::Osv => "osv",
            Kind::K6 => "k6",
            Kind::CiHistory => "ci-history",
            Kind::K6Json => "k6-json",
            Kind::K6Csv => "k6-csv",
            Kind::Jmeter => "jmeter",
            Kind::Hey => "hey",
            Kind::Vegeta => "vegeta",
            Kind::Gatling => "gatling",
            Kind::Locust => "locust",
            Kind::Load => "load",
            Kind::Auto => "auto",
        }
    }

    /// The format's name in messages ("this is Cobertura XML, not JUnit XML").
    pub fn description(self) -> &'static str {
        match self {
            Kind::Junit => "JUnit XML",
            Kind::Lcov => "an LCOV tracefile",
            Kind::Cobertura => "Cobertura XML",
            Kind::Jacoco => "JaCoCo XML",
            Kind::Clover => "Clover XML",
            Kind::Coverage => "a coverage report",
            Kind::Sarif => "SARIF",
            Kind::CargoAudit => "a cargo-audit report",
            Kind::NpmAudit => "an npm audit report",
            Kind::PipAudit => "a pip-audit report",
            Kind::Osv => "an osv-scanner report",
            Kind::K6 => "a k6 summary",
            Kind::CiHistory => "a CI run history",
            Kind::K6Json => "k6 JSON output (--out json)",
            Kind::K6Csv => "k6 CSV output (--out csv)",
            Kind::Jmeter => "a JMeter JTL",
            Kind::Hey => "hey CSV output",
            Kind::Vegeta => "Vegeta results",
            Kind::Gatling => "a Gatling simulation.log",
            Kind::Locust => "Locust CSV stats",
            Kind::Load => "a load tool's results",
            Kind::Auto => "a known format",
        }
    }

    /// Whether a file recognised as `detected` may be read when `self` was asked for.
    fn accepts(self, detected: Kind) -> bool {
        self == detected
            || self == Kind::Auto
            || (self == Kind::Coverage
                && matches!(
                    detected,
                    Kind::Lcov | Kind::Cobertura | Kind::Jacoco | Kind::Clover
                ))
            || (self == Kind::Load && detected.is_load_result())
    }

    /// Whether this is one of the load tools' raw results ([`loadlog`]).
    pub fn is_load_result(self) -> bool {
        matches!(
            self,
            Kind::K6Json
                | Kind::K6Csv
                | Kind::Jmeter
                | Kind::Hey
                | Kind::Vegeta
                | Kind::Gatling
                | Kind::Locust
        )
    }

    /// File extensions looked at when a folder is given.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Junit | Kind::Cobertura | Kind::Jacoco | Kind::Clover => &["xml"],
            Kind::Lcov => &["info", "lcov"],
            Kind::Coverage => &["xml", "info", "lcov"],
            Kind::Sarif => &["sarif", "json"],
            Kind::CargoAudit | Kind::NpmAudit | Kind::PipAudit | Kind::Osv | Kind::K6 => &["json"],
            Kind::CiHistory => &["json", "csv"],
            Kind::K6Json => &["json"],
            Kind::K6Csv | Kind::Hey | Kind::Locust => &["csv"],
            Kind::Jmeter => &["jtl", "csv", "xml"],
            Kind::Vegeta => &["json", "csv"],
            Kind::Gatling => &["log"],
            Kind::Load => &["json", "csv", "jtl", "xml", "log"],
            Kind::Auto => &["xml", "info", "lcov", "sarif", "json", "csv"],
        }
    }
}

/// What a parser turned an input into, before provenance is attached.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The evidence kind (`junit`, `coverage`, ...).
    pub kind: &'static str,
    /// The producer, when the input says (`pytest`, `Semgrep OSS 1.185`...).
    pub tool: Tool,
    pub metrics: Vec<(String, Metric)>,
    pub details: serde_json::Value,
    /// What the producer did not cover (see [`Evidence::incomplete`]), each sentence with its
    /// code when the collector gives one ([`NoteCode`]: reports word it in their language).
    pub incomplete: Vec<(String, Option<NoteCode>)>,
}

impl Parsed {
    /// Attaches provenance.
    pub fn into_evidence(self, source: Source, sha256: String) -> Evidence {
        let mut evidence =
            Evidence::new(self.kind, source, sha256, jiff::Timestamp::now(), self.tool);
        for (name, metric) in self.metrics {
            evidence.insert(name, metric);
        }
        let mut details = self.details;
        if let Some(object) = details.as_object_mut() {
            object.insert("collector".into(), serde_json::json!(COLLECTOR));
        }
        evidence.details = details;
        for (what, code) in self.incomplete {
            match code {
                Some(code) => evidence.mark_incomplete_coded(what, code),
                None => evidence.mark_incomplete(what),
            };
        }
        evidence
    }
}

/// Options of a collection that come from the policy.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Accepted vulnerabilities, applied to dependency audits.
    pub audit_ignores: Vec<audit::AuditIgnore>,
    /// The day ignore rules are judged on (the caller's clock; the core has none). The
    /// default is today in UTC.
    pub today: jiff::civil::Date,
}

impl Default for CollectOptions {
    fn default() -> CollectOptions {
        CollectOptions {
            audit_ignores: Vec::new(),
            today: jiff::tz::TimeZone::UTC
                .to_datetime(jiff::Timestamp::now())
                .date(),
        }
    }
}

/// Parses one input of a known kind (use [`detect::sniff`] first for `auto`).
pub fn parse_reader(kind: Kind, input: impl BufRead) -> Result<Parsed, ParseError> {
    parse_reader_with(kind, input, &CollectOptions::default())
}

/// [`parse_reader`] with the policy's options.
///
/// Encodings: a UTF-8 byte order mark is skipped (JSON and LCOV readers refuse it otherwise);
/// a UTF-16 input (byte order mark, or XML starting `<?` in 16-bit units) and XML whose
/// declaration names another encoding (`ISO-8859-1`, `windows-1252`...) are decoded to UTF-8
/// as they stream ([`input::Transcoder`]); an encoding no decoder exists for is refused by name.
pub fn parse_reader_with(
    kind: Kind,
    mut input: impl BufRead,
    options: &CollectOptions,
) -> Result<Parsed, ParseError> {
    match input::input_encoding(input.fill_buf()?) {
        input::InputEncoding::Utf8 { bom } => {
            if bom
                && !matches!(
                    kind,
                    Kind::Junit | Kind::Cobertura | Kind::Jacoco | Kind::Clover
                )
            {
                // XML parsers skip the BOM themselves (and count it in their offsets).
                let prefix = input.fill_buf()?;
                let text_follows = prefix[3..]
                    .iter()
                    .find(|b| !b.is_ascii_whitespace())
                    .is_none_or(|&b| b != b'<');
                if text_follows {
                    input.consume(3);
                }
            }
            parse_utf8(kind, input, options)
        }
        input::InputEncoding::Decode(encoding) => {
            parse_utf8(kind, input::Transcoder::new(input, encoding), options)
        }
        input::InputEncoding::Unsupported(label) => Err(ParseError::malformed_at(
            0,
            format!(
                "the XML declares the encoding {label:?}, which gonogo cannot decode; \
                 convert the file to UTF-8"
            ),
        )),
    }
}

/// [`parse_reader_with`] once the input is UTF-8.
fn parse_utf8(
    kind: Kind,
    mut input: impl BufRead,
    options: &CollectOptions,
) -> Result<Parsed, ParseError> {
    let prefix = input.fill_buf()?;
    let detected = detect::sniff(prefix);
    let kind = match detected {
        Detected::Empty => return Err(ParseError::NoEvidence("the file is empty".into())),
        // Let the npm parser quote the error document's own summary.
        Detected::NotRun(_) if matches!(kind, Kind::NpmAudit | Kind::Auto) => Kind::NpmAudit,
        Detected::NotRun(reason) => return Err(ParseError::NoEvidence(reason.into())),
        Detected::Known(found) if kind.accepts(found) => {
            if matches!(kind, Kind::Auto | Kind::Coverage | Kind::Load) {
                found
            } else {
                kind
            }
        }
        Detected::Known(found) => {
            return Err(ParseError::WrongKind {
                expected: kind.description(),
                found: found.description().to_string(),
            });
        }
        Detected::Other(description) => {
            // The JUnit parser gives a more precise message for XML; JSON errors are best
            // explained by what the document looks like.
            if kind == Kind::Junit && prefix_starts_with(prefix, b'<') {
                kind
            } else {
                return Err(ParseError::WrongKind {
                    expected: kind.description(),
                    found: description.to_string(),
                });
            }
        }
        Detected::Unknown => match kind {
            Kind::Auto | Kind::Coverage | Kind::Load => {
                return Err(ParseError::WrongKind {
                    expected: kind.description(),
                    found: "content of an unknown format".into(),
                });
            }
            other => other,
        },
    };
    match kind {
        Kind::Junit => junit::parse(input).and_then(junit_evidence),
        Kind::Lcov => coverage::lcov::parse(input).and_then(|c| c.into_parsed("lcov")),
        Kind::Cobertura => {
            coverage::cobertura::parse(input).and_then(|c| c.into_parsed("cobertura"))
        }
        Kind::Jacoco => coverage::jacoco::parse(input).and_then(|c| c.into_parsed("jacoco")),
        Kind::Clover => coverage::clover::parse(input).and_then(|c| c.into_parsed("clover")),
        Kind::Sarif => sarif::parse(input).and_then(sarif::SarifSummary::into_parsed),
        Kind::CargoAudit | Kind::NpmAudit | Kind::PipAudit | Kind::Osv => {
            audit::parse_summary(kind, input).map(|mut summary| {
                summary.apply_ignores(&options.audit_ignores, options.today);
                summary.into_parsed()
            })
        }
        Kind::K6 => k6::parse(input),
        Kind::CiHistory => ci_history::parse(input),
        Kind::K6Json => loadlog::k6raw::parse_json(input),
        Kind::K6Csv => loadlog::k6raw::parse_csv(input),
        Kind::Jmeter if prefix_starts_with(input.fill_buf()?, b'<') => {
            loadlog::jmeter::parse_xml(input)
        }
        Kind::Jmeter => loadlog::jmeter::parse_csv(input),
        Kind::Hey => loadlog::hey::parse(input),
        Kind::Vegeta if prefix_starts_with(input.fill_buf()?, b'{') => {
            loadlog::vegeta::parse_json(input)
        }
        Kind::Vegeta => loadlog::vegeta::parse_csv(input),
        Kind::Gatling => loadlog::gatling::parse(input),
        Kind::Locust => loadlog::locust::parse(input),
        Kind::Coverage | Kind::Auto | Kind::Load => unreachable!("resolved above"),
    }
}

fn prefix_starts_with(prefix: &[u8], byte: u8) -> bool {
    let prefix = prefix.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(prefix);
    prefix.iter().find(|b| !b.is_ascii_whitespace()) == Some(&byte)
}

/// The metrics of a JUnit summary; zero tests run is no evidence.
pub fn junit_evidence(summary: junit::JunitSummary) -> Result<Parsed, ParseError> {
    if summary.testcases == 0 {
        return Err(ParseError::NoEvidence(
            "the report holds no testcase: zero tests ran, which proves nothing".into(),
        ));
    }
    let run = summary.run();
    if run == 0 {
        return Err(ParseError::NoEvidence(format!(
            "all {} tests were skipped: none ran, which proves nothing",
            summary.testcases
        )));
    }
    let tests = Unit::count("tests");
    let ratio =
        |k: u64, n: u64| Metric::ratio(Ratio::new(k.min(n), n).expect("k <= n"), tests.clone());
    let metrics = vec![
        (
            "tests.failed".to_string(),
            ratio(summary.failed + summary.errored, run),
        ),
        ("tests.passed".to_string(), ratio(summary.passed, run)),
        ("tests.errored".to_string(), ratio(summary.errored, run)),
        (
            "tests.skipped".to_string(),
            ratio(summary.skipped, summary.testcases),
        ),
        ("tests.flaky".to_string(), ratio(summary.flaky, run)),
        (
            "tests.duration".to_string(),
            Metric::value(summary.duration_seconds, Unit::parse("s")),
        ),
    ];
    let tool = Tool::new(
        summary.producer.clone().unwrap_or_else(|| "junit".into()),
        "unknown",
    );
    Ok(Parsed {
        kind: "junit",
        tool,
        metrics,
        details: summary.details(),
        incomplete: Vec::new(),
    })
}

/// Reads one file into evidence: one streaming pass that parses and hashes.
pub fn collect_file(kind: Kind, path: &Path) -> Result<Evidence, IngestError> {
    collect_file_with(kind, path, &CollectOptions::default())
}

/// [`collect_file`] with the policy's options (audit ignore list).
pub fn collect_file_with(
    kind: Kind,
    path: &Path,
    options: &CollectOptions,
) -> Result<Evidence, IngestError> {
    let display = path.display().to_string();
    let io_error = |source| IngestError::Io {
        path: display.clone(),
        source,
    };
    let file = input::open_regular(path).map_err(io_error)?;
    let mut hashing = input::HashingReader::new(file);
    let result = parse_reader_with(kind, &mut hashing, options);
    let parsed = match result {
        Ok(parsed) => parsed,
        Err(error) => return Err(attach_path(kind, path, error)),
    };
    let (sha256, _length) = hashing.finish().map_err(io_error)?;
    Ok(parsed.into_evidence(Source::File(display), sha256))
}

/// Gives a parser's error its file, line, column and excerpt.
pub fn attach_path(kind: Kind, path: &Path, error: ParseError) -> IngestError {
    let display = path.display().to_string();
    match error {
        ParseError::Io(source) => IngestError::Io {
            path: display,
            source,
        },
        ParseError::NoEvidence(reason) => IngestError::NoEvidence {
            path: display,
            reason,
        },
        ParseError::WrongKind { expected, found } => {
            let dotnet = ["NUnit", "xUnit.net", "Visual Studio TRX"]
                .iter()
                .any(|name| found.contains(name));
            let hint = match suggestion_for(&found) {
                _ if dotnet => "convert it to JUnit XML first (`dotnet test --logger junit` with \
                    JunitXml.TestLogger, trx2junit, or the NUnit-to-JUnit stylesheet of \
                    Jenkins' NUnit plugin), then collect it as `junit`"
                    .into(),
                Some(kind) => format!("collect it as `{kind}`, or with `auto`"),
                None => "gonogo collect reads junit, lcov, cobertura, jacoco, sarif, cargo-audit, npm-audit, pip-audit, osv, k6 and ci-history files, and load results (k6-json, k6-csv, jmeter, hey, vegeta, gatling, locust, or load for any of them)".into(),
            };
            IngestError::WrongKind {
                path: display,
                expected,
                found,
                hint,
            }
        }
        ParseError::Malformed { at, message } => {
            let located = input::open_regular(path).and_then(|file| input::locate(file, at));
            let (line, column, byte_offset, excerpt) = match located {
                Ok(found) => (found.line, found.column, found.byte_offset, found.excerpt),
                Err(_) => match at {
                    error::Position::Offset(offset) => (0, 0, Some(offset), String::new()),
                    error::Position::LineColumn { line, column } => {
                        (line, column, None, String::new())
                    }
                },
            };
            IngestError::Malformed {
                path: display,
                format: kind_format(kind),
                line,
                column,
                byte_offset,
                message,
                excerpt,
            }
        }
    }
}

fn kind_format(kind: Kind) -> &'static str {
    match kind {
        Kind::Junit | Kind::Cobertura | Kind::Jacoco | Kind::Clover => "XML",
        Kind::Lcov => "LCOV",
        Kind::Coverage | Kind::Auto | Kind::CiHistory | Kind::Load => "input",
        Kind::K6Json => "k6 JSON output",
        Kind::K6Csv | Kind::Hey | Kind::Locust => "CSV",
        Kind::Jmeter => "JTL",
        Kind::Vegeta => "Vegeta results",
        Kind::Gatling => "Gatling log",
        _ => "JSON",
    }
}

fn suggestion_for(found: &str) -> Option<&'static str> {
    let candidates = [
        Kind::Junit,
        Kind::Lcov,
        Kind::Cobertura,
        Kind::Jacoco,
        Kind::Clover,
        Kind::Sarif,
        Kind::CargoAudit,
        Kind::NpmAudit,
        Kind::PipAudit,
        Kind::Osv,
        Kind::K6,
        Kind::CiHistory,
        Kind::K6Json,
        Kind::K6Csv,
        Kind::Jmeter,
        Kind::Hey,
        Kind::Vegeta,
        Kind::Gatling,
        Kind::Locust,
    ];
    candidates
        .iter()
        .find(|kind| kind.description() == found)
        .map(|kind| kind.as_str())
}

/// Expands a path that is a file, a folder (searched recursively for the kind's extensions)
/// or a glob (`target/**/junit*.xml`) into the files it names, sorted.
pub fn expand_path(kind: Kind, pattern: &str) -> Result<Vec<PathBuf>, IngestError> {
    let path = Path::new(pattern);
    let mut files = Vec::new();
    if path.is_file() {
        files.push(path.to_path_buf());
    } else if path.is_dir() {
        let extensions = kind.extensions();
        for entry in walkdir::WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|error| IngestError::Io {
                path: pattern.to_string(),
                source: error.into(),
            })?;
            let matches_extension = entry
                .path()
                .extension()
                .and_then(|ext| ext.to_str())
                .is_some_and(|ext| extensions.contains(&ext.to_ascii_lowercase().as_str()));
            if entry.file_type().is_file() && matches_extension {
                files.push(entry.into_path());
            }
        }
    } else if pattern.contains(['*', '?', '[']) {
        let paths = glob::glob(pattern).map_err(|error| IngestError::BadPattern {
            pattern: pattern.to_string(),
            message: error.to_string(),
        })?;
        for entry in paths {
            let entry = entry.map_err(|error| IngestError::Io {
                path: error.path().display().to_string(),
                source: error.into(),
            })?;
            if entry.is_file() {
                files.push(entry);
            }
        }
        files.sort();
    } else if let Some(kind) = gonogo_io::atomic::special_kind(path) {
        // A FIFO, device or socket is not "missing": say what it is.
        return Err(IngestError::Io {
            path: pattern.to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("it is {kind}, not a regular file"),
            ),
        });
    } else {
        // Not a file, a folder or a glob: say what it is (a FIFO is not "missing").
        let source = match std::fs::metadata(path) {
            Ok(metadata) => match input::special_file_kind(metadata.file_type()) {
                Some(kind) => input::special_file_error(kind),
                None => std::io::Error::other("is neither a file nor a folder"),
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder")
            }
            Err(error) => error,
        };
        return Err(IngestError::Io {
            path: pattern.to_string(),
            source,
        });
    }
    if files.is_empty() {
        return Err(IngestError::NoInput {
            pattern: pattern.to_string(),
        });
    }
    Ok(files)
}

/// Collects every input `path` names (a file, a folder or a glob): one record per file.
/// Stops at the first input that cannot become evidence; use [`collect_each`] to see them all.
/// This is what `gonogo gate` calls for a policy's `[[collect]]` entries.
pub fn collect_path(kind: Kind, path: &str) -> Result<Vec<Evidence>, IngestError> {
    collect_path_with(kind, path, &CollectOptions::default())
}

/// [`collect_path`] with the policy's options (audit ignore list).
pub fn collect_path_with(
    kind: Kind,
    path: &str,
    options: &CollectOptions,
) -> Result<Vec<Evidence>, IngestError> {
    let (records, mut errors) = collect_each_with(kind, path, options);
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(errors.swap_remove(0))
    }
}

/// Collects every input `path` names, keeping going past bad ones: the records, and one error
/// per input that could not become evidence.
pub fn collect_each(kind: Kind, path: &str) -> (Vec<Evidence>, Vec<IngestError>) {
    collect_each_with(kind, path, &CollectOptions::default())
}

/// [`collect_each`] with the policy's options (audit ignore list).
pub fn collect_each_with(
    kind: Kind,
    path: &str,
    options: &CollectOptions,
) -> (Vec<Evidence>, Vec<IngestError>) {
    let files = match expand_path(kind, path) {
        Ok(files) => files,
        Err(error) => return (Vec::new(), vec![error]),
    };
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match collect_file_with(kind, &file, options) {
            Ok(record) => records.push(record),
            Err(error) => errors.push(error),
        }
    }
    (records, errors)
}

/// Parses several coverage inputs (LCOV, Cobertura, JaCoCo, recognised from content) and
/// merges them into one record, as a union of hits (see [`coverage::Coverage::merge`]).
///
/// The record's source lists the inputs joined by ` + `; its `sha256` is the SHA-256 of the
/// inputs' own SHA-256 hex digests, each followed by a newline, in the order given, so it
/// changes whenever any input does. The details list each input with its hash.
pub fn collect_coverage_merged(paths: &[PathBuf]) -> Result<Evidence, IngestError> {
    let mut merged = coverage::Coverage::default();
    let mut formats = Vec::new();
    let mut inputs = Vec::new();
    let mut combined_hash = gonogo_core::evidence::Sha256Stream::new();
    for path in paths {
        let display = path.display().to_string();
        let file = input::open_regular(path).map_err(|source| IngestError::Io {
            path: display.clone(),
            source,
        })?;
        let mut hashing = input::HashingReader::new(file);
        let reader = &mut hashing;
        let prefix = reader.fill_buf().map_err(|source| IngestError::Io {
            path: display.clone(),
            source,
        })?;
        let detected = match detect::sniff(prefix) {
            Detected::Known(
                kind @ (Kind::Lcov | Kind::Cobertura | Kind::Jacoco | Kind::Clover),
            ) => kind,
            Detected::Empty => {
                return Err(IngestError::NoEvidence {
                    path: display,
                    reason: "the file is empty".into(),
                });
            }
            Detected::Known(other) => {
                return Err(attach_path(
                    Kind::Coverage,
                    path,
                    ParseError::WrongKind {
                        expected: "a coverage report",
                        found: other.description().into(),
                    },
                ));
            }
            _ => {
                return Err(attach_path(
                    Kind::Coverage,
                    path,
                    ParseError::WrongKind {
                        expected: "a coverage report",
                        found: "content of an unknown format".into(),
                    },
                ));
            }
        };
        if detected == Kind::Lcov && prefix.starts_with(&[0xEF, 0xBB, 0xBF]) {
            reader.consume(3);
        }
        let parsed = match detected {
            Kind::Lcov => coverage::lcov::parse(reader),
            Kind::Cobertura => coverage::cobertura::parse(reader),
            Kind::Clover => coverage::clover::parse(reader),
            _ => coverage::jacoco::parse(reader),
        }
        .map_err(|error| attach_path(detected, path, error))?;
        let (sha256, _) = hashing.finish().map_err(|source| IngestError::Io {
            path: display.clone(),
            source,
        })?;
        combined_hash.update(sha256.as_bytes());
        combined_hash.update(b"\n");
        merged.merge(&parsed);
        formats.push(detected.as_str());
        inputs.push(
            serde_json::json!({"path": display, "sha256": sha256, "format": detected.as_str()}),
        );
    }
    let source = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" + ");
    formats.dedup();
    let mut parsed = merged
        .into_parsed(&formats.join("+"))
        .map_err(|error| match error {
            ParseError::NoEvidence(reason) => IngestError::NoEvidence {
                path: source.clone(),
                reason,
            },
            other => IngestError::NoEvidence {
                path: source.clone(),
                reason: other.to_string(),
            },
        })?;
    parsed.details["merged_inputs"] = serde_json::Value::Array(inputs);
    Ok(parsed.into_evidence(Source::File(source), combined_hash.finish()))
}
