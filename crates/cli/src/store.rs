//! Where evidence and verdicts are kept: the one place the binary reads and writes them.
//!
//! [`Store`] is what judging reads: the evidence records to judge, a verdict held there (for
//! `--compare`) and the baseline of relative gates (`--baseline`). Two stores answer it:
//!
//! - [`Folder`]: an evidence folder (`.gonogo/evidence`, a run's `<out>/evidence`) and the
//!   verdict beside it. Reading refuses a record dated in the future (naming its file) and sets
//!   aside a collected file's record whose input changed since; writing is atomic
//!   (`gonogo_io::atomic`) and a run holds its output folder's lock ([`Folder::lock`]).
//!   [`Folder`] alone is also [`WriteStore`]: `run`, `collect` and `record` put records in
//!   it, and `gate` and `run` write the verdict and its reports through it.
//! - [`HistoryRun`]: one run of the history (crates/history, SQLite or PostgreSQL), picked by
//!   `--baseline RUN`, `--compare RUN` or `gate --run RUN`: its stored evidence records, its
//!   verdict, its gates' measurements as a baseline. The history is written by
//!   `history::record` (a history that cannot be written is a warning, never an exit code).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::anyhow;
use gonogo_core::eval::Baseline;
use gonogo_core::evidence::{Evidence, Sha256Stream, Source, sha256_hex};
use gonogo_core::verdict::{BaselineRef, Verdict};
use gonogo_history::{Location, StoredRun};
use gonogo_report::i18n::Lang;
use gonogo_report::json as verdict_json;

use crate::evidence_dir;
use crate::exit::Failure;
use crate::gate::{LoadedPolicy, Shown};

/// A verdict a store holds (read back through verdict.json's codec into the typed verdict),
/// with the label `--compare` prints for it.
pub struct HeldVerdict {
    pub verdict: Verdict,
    pub label: String,
}

/// What judging reads from where evidence and verdicts are kept.
pub trait Store {
    /// The evidence records to judge at `now`.
    fn evidence(&self, now: jiff::Timestamp) -> Result<Vec<Evidence>, Failure>;

    /// The verdict it holds.
    fn verdict(&self) -> Result<HeldVerdict, Failure>;

    /// Its verdict as the baseline of `loaded`'s relative gates.
    fn baseline(&self, loaded: &LoadedPolicy) -> Result<Baseline, Failure>;
}

/// What `run`, `collect`, `record` and `gate` write.
pub trait WriteStore: Store {
    /// Puts one record in; where it went.
    fn put_evidence(&self, record: &Evidence) -> anyhow::Result<PathBuf>;

    /// Writes `verdict` as it is asked for: a `verdict.json` with every report beside it (so
    /// report.md and report.html never show another verdict), or one JSON file of another
    /// name alone. `shown` is what the reports show beside it (trends, a comparison), asked
    /// for only when reports are written. Returns the HTML report's path when they were.
    fn put_verdict<'a>(
        &self,
        verdict: &Verdict,
        shown: &dyn Fn() -> Shown<'a>,
        evidence: &gonogo_report::EvidenceMap,
        lang: Lang,
    ) -> Result<Option<PathBuf>, Failure>;
}

/// Where a folder store's verdict is.
#[derive(Debug, Clone)]
pub enum VerdictAt {
    /// A file: `verdict.json` is written with its reports beside it, any other name alone.
    File(PathBuf),
    /// A report folder: verdict.json and every report in it (`run`).
    Reports(PathBuf),
}

/// An evidence folder and the verdict beside it.
#[derive(Debug, Clone)]
pub struct Folder {
    evidence: PathBuf,
    verdict: Option<VerdictAt>,
}

impl Folder {
    /// The evidence folder `evidence`, with no verdict.
    pub fn new(evidence: impl Into<PathBuf>) -> Folder {
        Folder {
            evidence: evidence.into(),
            verdict: None,
        }
    }

    /// The same, with its verdict at `verdict`.
    pub fn with_verdict(mut self, verdict: VerdictAt) -> Folder {
        self.verdict = Some(verdict);
        self
    }

    /// A verdict file alone (`--baseline FILE`, `--compare FILE`).
    pub fn verdict_file(path: impl Into<PathBuf>) -> Folder {
        Folder {
            evidence: PathBuf::new(),
            verdict: Some(VerdictAt::File(path.into())),
        }
    }

    /// Where a verdict's evidence is by default: `<folder of the verdict>/evidence` when it
    /// exists (a run's), else `.gonogo/evidence`, where the engines write by default.
    pub fn default_for_verdict(verdict_path: &Path) -> PathBuf {
        let beside = verdict_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("evidence");
        if beside.is_dir() {
            beside
        } else {
            PathBuf::from(evidence_dir::DEFAULT_DIR)
        }
    }

    /// Holds `folder` for this process until the lock is dropped: one run per output folder
    /// (`wait`: until the other run ends, else exit 4 at once).
    pub fn lock(folder: &Path, wait: bool) -> Result<gonogo_io::lock::FolderLock, Failure> {
        crate::interrupt::lock_output(folder, wait)
    }

    /// Whether the evidence folder is there (a folder that is not holds no records).
    pub fn exists(&self) -> bool {
        self.evidence.is_dir()
    }

    /// The folder's records with the file each came from, for a consumer that cites files
    /// (`audit`), read as [`Store::evidence`] reads them: a record dated in the future refused
    /// (naming its file), a collected file's record whose input changed set aside.
    pub fn named_evidence(
        &self,
        now: jiff::Timestamp,
    ) -> Result<Vec<(PathBuf, Evidence)>, Failure> {
        let named = evidence_dir::read_dir_named(&self.evidence).map_err(Failure::evidence)?;
        evidence_dir::refuse_future(&named, now).map_err(Failure::evidence)?;
        Ok(named
            .into_iter()
            .filter(|(_, record)| input_unchanged(record))
            .collect())
    }

    /// Empties the evidence folder of evidence files (and nothing else), creating it. A folder
    /// that cannot be made or emptied is an output not written (`WriteError`: exit 4).
    pub fn clear(&self) -> anyhow::Result<()> {
        use anyhow::Context as _;
        let dir = &self.evidence;
        evidence_dir::create_dir(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        for file in evidence_dir::evidence_files(dir)? {
            std::fs::remove_file(&file)
                .map_err(|source| gonogo_io::atomic::WriteError::Io {
                    path: file.clone(),
                    source,
                })
                .with_context(|| format!("cannot remove the old {}", file.display()))?;
        }
        Ok(())
    }

    /// Stamps every unstamped record with the candidate's commit, so a later `gonogo gate`
    /// on another commit sets them aside.
    pub fn stamp_commit(&self, commit: &str) -> anyhow::Result<()> {
        for file in evidence_dir::evidence_files(&self.evidence)? {
            let mut records = evidence_dir::read_file(&file)?;
            if records.iter().all(|r| r.commit.is_some()) {
                continue;
            }
            for record in &mut records {
                record.commit.get_or_insert_with(|| commit.to_owned());
            }
            let text = if records.len() == 1 {
                gonogo_core::wire::to_json_pretty(&records[0]) + "\n"
            } else {
                records
                    .iter()
                    .map(|r| gonogo_core::wire::to_json_line(r) + "\n")
                    .collect()
            };
            crate::fsutil::write_atomic(&file, text.as_bytes())?;
        }
        Ok(())
    }

    fn verdict_path(&self) -> Option<PathBuf> {
        match self.verdict.as_ref()? {
            VerdictAt::File(path) => Some(path.clone()),
            VerdictAt::Reports(folder) => Some(folder.join("verdict.json")),
        }
    }

    /// The verdict file read back as the typed verdict, and the SHA-256 of its bytes.
    fn read_verdict(&self) -> Result<(PathBuf, Verdict, String), Failure> {
        let (path, verdict, _, sha256) = self.saved_verdict().map_err(Failure::usage)?;
        Ok((path, verdict, sha256))
    }

    /// The saved verdict as `gonogo report` re-renders it: the typed verdict, the document it
    /// was read from (its trends and comparison), its path and the SHA-256 of its bytes. A
    /// FIFO or device in its place is refused, not read.
    pub fn saved_verdict(
        &self,
    ) -> anyhow::Result<(PathBuf, Verdict, verdict_json::VerdictV1, String)> {
        let path = self
            .verdict_path()
            .ok_or_else(|| anyhow!("no verdict is kept here"))?;
        let text = evidence_dir::read_regular(&path)
            .map_err(|e| anyhow!("cannot read the verdict {}: {e}", path.display()))?;
        let (verdict, document) = verdict_json::parse_verdict(&text).map_err(|e| {
            anyhow!(
                "{} is not a gonogo verdict: {}",
                path.display(),
                gonogo_core::text::inert(&e.to_string())
            )
        })?;
        let sha256 = sha256_hex(text.as_bytes());
        Ok((path, verdict, document, sha256))
    }

    /// The folder's records, for a report that lists what stands behind a gate's count and
    /// draws charts (`gonogo_report::evidence_map` looks them up by SHA-256). Nothing here is
    /// judged, so a file that cannot be read is a warning (returned) and the report is drawn
    /// without it; a missing folder is one too.
    pub fn evidence_for_report(&self) -> (Vec<Evidence>, Vec<String>) {
        let mut records = Vec::new();
        let mut warnings = Vec::new();
        if !self.evidence.is_dir() {
            warnings.push(format!(
                "no charts from evidence: {} is not a folder",
                self.evidence.display()
            ));
            return (records, warnings);
        }
        let files = match evidence_dir::evidence_files(&self.evidence) {
            Ok(files) => files,
            Err(error) => {
                warnings.push(format!("{error:#}"));
                return (records, warnings);
            }
        };
        let mut budget = evidence_dir::Budget::default();
        for file in files {
            match evidence_dir::read_file_within(&file, &mut budget) {
                Ok(read) => records.extend(read),
                Err(error) => warnings.push(format!("skipped {}: {error:#}", file.display())),
            }
        }
        (records, warnings)
    }
}

impl Store for Folder {
    /// The folder's records, with the future refused and changed inputs set aside.
    fn evidence(&self, now: jiff::Timestamp) -> Result<Vec<Evidence>, Failure> {
        Ok(self
            .named_evidence(now)?
            .into_iter()
            .map(|(_, record)| record)
            .collect())
    }

    fn verdict(&self) -> Result<HeldVerdict, Failure> {
        let (path, verdict, _) = self.read_verdict()?;
        Ok(HeldVerdict {
            verdict,
            label: path.display().to_string(),
        })
    }

    fn baseline(&self, _loaded: &LoadedPolicy) -> Result<Baseline, Failure> {
        let (path, verdict, sha256) = self.read_verdict()?;
        Ok(Baseline::of(
            &verdict,
            Some(BaselineRef {
                source: path.display().to_string(),
                sha256,
            }),
        ))
    }
}

impl WriteStore for Folder {
    fn put_evidence(&self, record: &Evidence) -> anyhow::Result<PathBuf> {
        evidence_dir::write_record(&self.evidence, record)
    }

    fn put_verdict<'a>(
        &self,
        verdict: &Verdict,
        shown: &dyn Fn() -> Shown<'a>,
        evidence: &gonogo_report::EvidenceMap,
        lang: Lang,
    ) -> Result<Option<PathBuf>, Failure> {
        use anyhow::Context as _;
        let folder = match &self.verdict {
            None => return Err(Failure::usage(anyhow!("no place to write the verdict"))),
            Some(VerdictAt::Reports(folder)) => folder.clone(),
            Some(VerdictAt::File(path))
                if path.file_name().is_some_and(|n| n == "verdict.json") =>
            {
                path.parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."))
                    .to_path_buf()
            }
            Some(VerdictAt::File(path)) => {
                // As in a report folder: with the findings behind each gate's count.
                let document = verdict_json::document(
                    verdict,
                    &gonogo_report::RenderContext::new(lang).with_evidence(evidence),
                );
                let json =
                    serde_json::to_string_pretty(&document).context("serialising the verdict")?;
                crate::fsutil::write_atomic(path, format!("{json}\n").as_bytes())?;
                return Ok(None);
            }
        };
        crate::gate::write_reports(verdict, &shown(), evidence, &folder, lang).map(Some)
    }
}

/// A collected file's record whose input still exists at its path must still hash to its
/// SHA-256; otherwise the file changed after it was collected and the record is refused (with
/// a warning naming it). Inputs that are gone are not checked, nor the files the engines read
/// while measuring (a service's live log grows after `observe` read it).
fn input_unchanged(record: &Evidence) -> bool {
    let Source::File(path) = &record.source else {
        return true;
    };
    if gonogo_core::eval::ENGINE_KINDS.contains(&record.kind.as_str()) {
        return true;
    }
    match sha256_of_file(Path::new(path)) {
        Some(hash) if hash != record.sha256 => {
            eprintln!(
                "warning: {path} changed after it was collected (its SHA-256 is no longer the record's): its {} record is refused",
                record.kind
            );
            false
        }
        _ => true,
    }
}

/// The SHA-256 of a regular file, streamed; `None` when it is not a readable regular file.
fn sha256_of_file(path: &Path) -> Option<String> {
    let mut file = gonogo_ingest::input::open_regular(path).ok()?;
    let mut hash = Sha256Stream::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer).ok()?;
        if read == 0 {
            break;
        }
        hash.update(&buffer[..read]);
    }
    Some(hash.finish())
}

/// One run of the history, as `--baseline RUN`, `--compare RUN` and `gate --run RUN` read it.
pub struct HistoryRun {
    pub run: StoredRun,
    pub location: Location,
    /// How the command line named it (`last`, `last-go`, a run id, a pinned name).
    pub selector: String,
}

impl Store for HistoryRun {
    /// The evidence records the run judged, read back from the history (each stored once, by
    /// identity). A record that is gone (pruned, or a damaged history) is an error, never a
    /// silently smaller sample. They are the run's as it judged them: `now` changes nothing.
    fn evidence(&self, _now: jiff::Timestamp) -> Result<Vec<Evidence>, Failure> {
        let run = &self.run;
        let store = gonogo_history::open(&self.location)
            .map_err(|e| Failure::usage(anyhow!("the history cannot be read: {e}")))?;
        let mut records = Vec::with_capacity(run.evidence.len());
        for identity in &run.evidence {
            let line = store
                .evidence(identity)
                .map_err(|e| Failure::evidence(anyhow!("run {}: {e}", run.id)))?
                .ok_or_else(|| {
                    Failure::evidence(anyhow!(
                        "run {}: its evidence record {identity} is not in the history {}",
                        run.id,
                        self.location.display()
                    ))
                })?;
            let parsed =
                gonogo_core::wire::parse_records(&line, gonogo_catalog::CATALOG).map_err(|e| {
                    Failure::evidence(anyhow!("run {}: record {identity}: {e}", run.id))
                })?;
            records.extend(parsed);
        }
        Ok(records)
    }

    fn verdict(&self) -> Result<HeldVerdict, Failure> {
        let run = &self.run;
        let (verdict, _) = verdict_json::parse_verdict(&run.verdict)
            .map_err(|e| Failure::usage(anyhow!("run {}: its stored verdict: {e}", run.id)))?;
        Ok(HeldVerdict {
            verdict,
            label: format!("run {} ({})", run.id, run.meta.decision),
        })
    }

    /// The run's measurements matched to this policy's gates by metric and aggregate (never by
    /// gate name), with their n, k and pair intervals, so the two-sample rules apply as with
    /// a verdict file.
    fn baseline(&self, loaded: &LoadedPolicy) -> Result<Baseline, Failure> {
        Ok(crate::history::baseline_from(
            &self.run,
            loaded,
            &self.selector,
            &self.location,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: &str, at: &str) -> Evidence {
        let mut record = Evidence::new(
            kind,
            Source::Command("test".into()),
            sha256_hex(at.as_bytes()),
            at.parse().unwrap(),
            gonogo_core::evidence::Tool::new("test", "1"),
        );
        record.insert(
            "tests.total",
            gonogo_core::evidence::Metric::value(
                3.0,
                gonogo_core::units::Unit::Count("tests".into()),
            ),
        );
        record
    }

    /// A report reads every record below the folder; a file that is not evidence is a
    /// warning naming it, and the report is drawn without it.
    #[test]
    fn a_report_reads_records_below_the_folder_and_warns_of_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("load/run-1");
        std::fs::create_dir_all(&nested).unwrap();
        let good = record("junit", "2026-11-25T09:00:00Z");
        std::fs::write(
            nested.join("a.json"),
            gonogo_core::wire::to_json_pretty(&good),
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.json"), "{").unwrap();
        let (records, warnings) = Folder::new(dir.path()).evidence_for_report();
        let map = gonogo_report::evidence_map(&records);
        assert_eq!(map.len(), 1);
        assert!(map.contains_key(&good.sha256));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("broken.json"), "{warnings:?}");

        let (records, warnings) = Folder::new("/nonexistent/gonogo-evidence").evidence_for_report();
        assert!(records.is_empty());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("not a folder"), "{warnings:?}");
    }

    #[test]
    fn a_folder_gives_back_what_was_put_in_and_refuses_the_future() {
        let dir = tempfile::tempdir().unwrap();
        let store = Folder::new(dir.path().join("evidence"));
        let now: jiff::Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
        let put = record("junit", "2026-12-01T11:00:00Z");
        let path = store.put_evidence(&put).unwrap();
        assert!(path.starts_with(dir.path().join("evidence")));
        let read = store.evidence(now).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].sha256, put.sha256);

        store.stamp_commit("abcdef1234567").unwrap();
        let stamped = store.evidence(now).unwrap();
        assert_eq!(stamped[0].commit.as_deref(), Some("abcdef1234567"));

        store
            .put_evidence(&record("junit", "2026-12-01T13:00:00Z"))
            .unwrap();
        let refused = store.evidence(now).expect_err("a future record is refused");
        let message = format!("{:#}", refused.error.unwrap());
        assert!(message.contains("in the future"), "{message}");

        // Read with their files, as `audit` cites them: the same refusal.
        let refused = store.named_evidence(now).expect_err("the same rules");
        assert!(format!("{:#}", refused.error.unwrap()).contains("in the future"));
        let later: jiff::Timestamp = "2026-12-01T13:00:00Z".parse().unwrap();
        let named = store.named_evidence(later).unwrap();
        assert_eq!(named.len(), 2);
        assert!(
            named
                .iter()
                .all(|(file, _)| file.parent() == Some(&*dir.path().join("evidence")))
        );
        assert!(
            named
                .iter()
                .any(|(file, record)| *file == path && record.sha256 == put.sha256)
        );

        store.clear().unwrap();
        assert!(store.evidence(now).unwrap().is_empty());
        assert!(dir.path().join("evidence").is_dir());
    }

    fn judged() -> Verdict {
        let policy = gonogo_core::policy::Policy::parse(
            "[[gate]]\nname = \"tests\"\narea = \"functionality\"\nmetric = \"tests.total\"\nexpect = \"value >= 1\"\n",
            None, gonogo_catalog::CATALOG,
        )
        .unwrap();
        let now: jiff::Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
        let records = [record("junit", "2026-12-01T11:00:00Z")];
        gonogo_core::eval::evaluate_for(
            &policy,
            &records,
            now,
            None,
            &gonogo_core::eval::Candidate { commit: None },
        )
    }

    #[test]
    fn a_verdict_file_is_written_alone_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("judged.json");
        let store = Folder::new(dir.path()).with_verdict(VerdictAt::File(path.clone()));
        let missing = store.verdict().err().expect("no verdict yet");
        assert!(format!("{:#}", missing.error.unwrap()).contains("cannot read the verdict"));
        std::fs::write(&path, "{}").unwrap();
        let bad = store.verdict().err().expect("not a verdict");
        assert!(format!("{:#}", bad.error.unwrap()).contains("is not a gonogo verdict"));

        let verdict = judged();
        let written = store
            .put_verdict(
                &verdict,
                &|| unreachable!("a lone verdict file has no reports"),
                &gonogo_report::EvidenceMap::new(),
                Lang::En,
            )
            .unwrap();
        assert_eq!(written, None);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("}\n"), "{text}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let held = store.verdict().unwrap();
        assert_eq!(held.label, path.display().to_string());
        assert_eq!(
            serde_json::to_value(verdict_json::VerdictV1::from(&held.verdict)).unwrap(),
            serde_json::to_value(verdict_json::VerdictV1::from(&verdict)).unwrap()
        );
        // As a baseline it cites the file and the SHA-256 of its bytes.
        let baseline = Folder::verdict_file(&path).read_verdict().unwrap();
        assert_eq!(baseline.2, sha256_hex(text.as_bytes()));
    }

    #[test]
    fn a_verdict_json_is_written_with_its_reports() {
        let dir = tempfile::tempdir().unwrap();
        let store = Folder::new(dir.path().join("evidence"))
            .with_verdict(VerdictAt::File(dir.path().join("verdict.json")));
        let verdict = judged();
        let asked = std::cell::Cell::new(0);
        let html = store
            .put_verdict(
                &verdict,
                &|| {
                    asked.set(asked.get() + 1);
                    Shown::default()
                },
                &gonogo_report::EvidenceMap::new(),
                Lang::En,
            )
            .unwrap()
            .expect("reports were written");
        assert_eq!(asked.get(), 1);
        assert_eq!(html, dir.path().join("report.html"));
        for name in ["verdict.json", "report.md", "report.html"] {
            assert!(dir.path().join(name).is_file(), "{name}");
        }
        let reports = Folder::new(dir.path().join("evidence"))
            .with_verdict(VerdictAt::Reports(dir.path().to_owned()));
        let held = reports.verdict().unwrap();
        assert_eq!(held.verdict.decision, verdict.decision);
    }
}
