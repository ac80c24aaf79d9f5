//! Write-temp-then-rename, the only way gonogo writes an output file.
//!
//! The temporary file is `.gonogo-tmp-<pid>-<n>-<name>` in the target's own folder (a rename
//! across file systems would not be atomic), written, flushed to disk and renamed over the
//! target. A failure at any point (a full disk, a writer's error) removes the temporary file and
//! leaves the target as it was: never a truncated `.json`. A process killed mid-write leaves its
//! temporary file behind; the first write into that folder by any later gonogo process removes
//! every `.gonogo-tmp-*` file whose process is gone.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// How every temporary file gonogo writes begins.
pub const TEMP_PREFIX: &str = ".gonogo-tmp-";

/// The longest piece of the target's name kept in a temporary file's name (file names are
/// limited to 255 bytes).
const MAX_NAME_IN_TEMP: usize = 120;

/// An output file that could not be written. The target is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("could not write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not write {}: it is {kind}, not a regular file", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },
}

impl WriteError {
    /// The file that could not be written.
    pub fn path(&self) -> &Path {
        match self {
            WriteError::Io { path, .. } | WriteError::NotAFile { path, .. } => path,
        }
    }
}

/// What a path is when it is not a regular file (`None` for a regular file or a missing
/// path), in words for a message: "a FIFO (named pipe)", "a character device", ...
pub fn special_kind(path: &Path) -> Option<&'static str> {
    let file_type = std::fs::metadata(path).ok()?.file_type();
    if file_type.is_file() {
        None
    } else if file_type.is_dir() {
        Some("a folder")
    } else if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else if file_type.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    }
}

/// Writes `bytes` to `path` atomically (creating its folder if needed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomic_with(path, |out| out.write_all(bytes))
}

/// Writes `path` atomically from a writer: `write` fills the temporary file; if it fails,
/// nothing of it is left and the target is unchanged.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), WriteError> {
    let error = |source| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(kind) = special_kind(path) {
        return Err(WriteError::NotAFile {
            path: path.to_owned(),
            kind,
        });
    }
    let dir = folder_of(path);
    std::fs::create_dir_all(dir).map_err(error)?;
    clean_once(dir);
    let temp = dir.join(temp_name(path.file_name().unwrap_or(OsStr::new("out"))));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&temp)
        .map_err(error)?;
    let written = fill(file, write).and_then(|()| std::fs::rename(&temp, path));
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(error(source));
    }
    // Make the rename itself durable; a folder that cannot be synced is not an error.
    if let Ok(folder) = File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

fn fill(file: File, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, file);
    write(&mut out)?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn temp_name(target: &OsStr) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = target.to_string_lossy();
    let mut end = name.len().min(MAX_NAME_IN_TEMP);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{TEMP_PREFIX}{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        &name[..end]
    )
}

/// Cleans each folder once per process, before its first write.
fn clean_once(dir: &Path) {
    static CLEANED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let mut cleaned = CLEANED.lock().unwrap_or_else(|e| e.into_inner());
    if cleaned.get_or_insert_with(HashSet::new).insert(key) {
        let _ = clean_stale_temps(dir);
    }
}

/// Removes the `.gonogo-tmp-*` files in `dir` whose writing process is gone (killed mid-write);
/// a live process's temporary file is left alone. Returns how many were removed.
pub fn clean_stale_temps(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMP_PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| pid == std::process::id() || process_alive(pid));
        if !alive
            && entry.file_type().is_ok_and(|t| t.is_file())
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    Ok(removed)
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks that the process exists.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_the_whole_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/evidence.json");
        write_atomic(&path, b"{\"a\": 1}\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"a\": 1}\n");
        assert_eq!(names(&dir.path().join("sub")), ["evidence.json"]);
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o644, 0o644, "readable by CI artifacts: {mode:o}");
    }

    #[test]
    fn a_writer_failing_midway_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("load.json");
        std::fs::write(&path, "{\"old\": true}\n").unwrap();
        let result = write_atomic_with(&path, |out| {
            out.write_all(b"{\"half\": ")?;
            Err(io::Error::from_raw_os_error(libc::ENOSPC))
        });
        let error = result.unwrap_err();
        assert_eq!(error.path(), path);
        assert!(error.to_string().contains("load.json"), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"old\": true}\n");
        assert_eq!(names(dir.path()), ["load.json"]);
    }

    #[test]
    fn a_fifo_is_named_as_such_and_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verdict.json");
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let error = write_atomic(&path, b"x").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("a FIFO (named pipe), not a regular file"),
            "{error}"
        );
        assert_eq!(names(dir.path()), ["verdict.json"]);
    }

    #[test]
    fn a_dead_process_temporary_file_is_removed_and_a_live_one_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A pid above the kernel's maximum (4194304) cannot be alive.
        let dead = format!("{TEMP_PREFIX}99999999-0-evidence.json");
        let ours = format!("{TEMP_PREFIX}{}-7-report.html", std::process::id());
        let parent = format!("{TEMP_PREFIX}1-0-x.json"); // init is always alive
        for name in [&dead, &ours, &parent, &"kept.json".to_owned()] {
            std::fs::write(dir.path().join(name), "partial").unwrap();
        }
        assert_eq!(clean_stale_temps(dir.path()).unwrap(), 1);
        let mut expected = vec![ours, parent, "kept.json".to_owned()];
        expected.sort();
        assert_eq!(names(dir.path()), expected);
    }

    #[test]
    fn the_first_write_into_a_folder_cleans_it() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(format!("{TEMP_PREFIX}99999999-3-big.json"));
        std::fs::write(&dead, vec![b'x'; 4096]).unwrap();
        write_atomic(&dir.path().join("new.json"), b"{}").unwrap();
        assert!(!dead.exists());
    }

    #[test]
    fn long_names_still_fit_in_a_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("{}.json", "é".repeat(120));
        write_atomic(&dir.path().join(&name), b"{}").unwrap();
        assert_eq!(names(dir.path()), [name]);
    }
}
