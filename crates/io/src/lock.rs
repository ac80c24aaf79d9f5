//! Exclusive output folders: the run that writes a folder holds an flock(2) on
//! `<folder>/.gonogo.lock` until it ends (the kernel drops it when the process dies, even by
//! `kill -9`, so a stale lock cannot outlive its run). The file holds the holder's pid for the
//! message a second run prints.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::os::fd::AsRawFd as _;
use std::path::{Path, PathBuf};

/// The lock file's name inside the locked folder.
pub const LOCK_FILE: &str = ".gonogo.lock";

/// Why a folder could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{} is in use by another gonogo run{}; wait for it to finish, pass --wait, or choose another --out",
        folder.display(),
        holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default()
    )]
    Held {
        folder: PathBuf,
        holder: Option<u32>,
    },
    #[error("could not lock {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A held lock; dropping it releases the folder.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
    path: PathBuf,
}

impl FolderLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Locks `folder` (created if needed) for this process. With `wait`, blocks until the holder
/// is done; otherwise refuses at once, naming the holder's pid.
pub fn lock_folder(folder: &Path, wait: bool) -> Result<FolderLock, LockError> {
    let path = folder.join(LOCK_FILE);
    let error = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(folder).map_err(error)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(error)?;
    let operation = if wait {
        libc::LOCK_EX
    } else {
        libc::LOCK_EX | libc::LOCK_NB
    };
    loop {
        // SAFETY: flock on a file descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), operation) } == 0 {
            break;
        }
        let last = io::Error::last_os_error();
        match last.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(LockError::Held {
                    folder: folder.to_owned(),
                    holder: text.trim().parse().ok(),
                });
            }
            _ => return Err(error(last)),
        }
    }
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .map_err(error)?;
    Ok(FolderLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_folder_is_refused_with_the_holders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_folder(dir.path(), false).unwrap();
        // flock locks belong to the open file description: a second open conflicts even in
        // the same process, as a second `gonogo run` would.
        let error = lock_folder(dir.path(), false).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains(&format!("(pid {})", std::process::id())),
            "{message}"
        );
        assert!(message.contains("--wait"), "{message}");
        drop(first);
        lock_folder(dir.path(), false).expect("free once the holder is gone");
    }

    #[test]
    fn waiting_takes_the_lock_when_the_holder_releases_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_folder(dir.path(), false).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let folder = dir.path().to_owned();
        let waiter = std::thread::spawn(move || {
            let lock = lock_folder(&folder, true);
            tx.send(()).unwrap();
            lock.map(|_| ())
        });
        // The waiter must still be blocked while the first lock is held.
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err()
        );
        drop(first);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("the waiter gets the lock");
        waiter.join().unwrap().unwrap();
    }
}
