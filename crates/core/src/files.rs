//! Reading a file the process does not control (a model artifact, a registry pointer) with
//! limits: only a regular file (never a FIFO, a device or a directory, so a read can neither
//! block forever nor stream `/dev/zero`), at most a given number of bytes (checked on the
//! file's size before reading and again while reading), and, when asked, never through a
//! symbolic link.
//!
//! On unix the file is opened with `O_NONBLOCK` (opening a FIFO that slipped in between the
//! check and the open does not wait for a writer) and, without symlinks, `O_NOFOLLOW`; the
//! opened file's type and identity (device and inode) are compared with what was checked by
//! path, so a file swapped in between is refused too.
//!
//! Errors name the file and the problem, never its content.

use crate::error::{Error, Result};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Whether a symbolic link at the path itself is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symlinks {
    /// Followed (a file the user named on the command line).
    Follow,
    /// Refused (registry files and the served model: the folder may be writable by others).
    Refuse,
}

/// `n` bytes in words: `4096 bytes (4 KiB)`.
pub fn show_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n / MIB * MIB == n {
        format!("{n} bytes ({} MiB)", n / MIB)
    } else if n >= KIB && n / KIB * KIB == n {
        format!("{n} bytes ({} KiB)", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

fn refused(path: &Path, message: String) -> Error {
    Error::File {
        path: path.display().to_string(),
        message,
    }
}

fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Opens the regular file at `path` for reading (see the module documentation): refused when it
/// is a FIFO, a device, a directory or a socket, when it is over `max_bytes` (if given), when it
/// is a symbolic link and `symlinks` says so, or when another file took its place between the
/// check and the open. Opening never waits (a FIFO's writer) and nothing is read.
pub fn open_regular(path: &Path, max_bytes: Option<u64>, symlinks: Symlinks) -> Result<File> {
    let io = |error| Error::Io {
        path: path.display().to_string(),
        error,
    };
    let checked = match symlinks {
        Symlinks::Follow => std::fs::metadata(path),
        Symlinks::Refuse => std::fs::symlink_metadata(path),
    }
    .map_err(io)?;
    let t = checked.file_type();
    if t.is_symlink() {
        return Err(refused(
            path,
            "is a symbolic link; refused: only regular files are read, never through a link".into(),
        ));
    }
    if !t.is_file() {
        return Err(refused(
            path,
            format!("is {}; refused: only regular files are read", kind_of(t)),
        ));
    }
    if let Some(max) = max_bytes.filter(|max| checked.len() > *max) {
        return Err(too_big(path, show_bytes(checked.len()), max));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK;
        if symlinks == Symlinks::Refuse {
            flags |= libc::O_NOFOLLOW;
        }
        options.custom_flags(flags);
    }
    let file = options.open(path).map_err(|error| {
        #[cfg(unix)]
        if error.raw_os_error() == Some(libc::ELOOP) {
            return refused(
                path,
                "became a symbolic link while being read; refused".into(),
            );
        }
        io(error)
    })?;
    let opened = file.metadata().map_err(io)?;
    regular_as_opened(path, &opened, "read")?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if (opened.dev(), opened.ino()) != (checked.dev(), checked.ino()) {
            return Err(refused(
                path,
                "was replaced while being opened; refused (try again)".into(),
            ));
        }
    }
    Ok(file)
}

/// Holds the operating system's advisory lock on `path` (a lock file, opened as
/// [`open_regular_append`] opens it, created if missing) until the returned file is dropped;
/// when another process holds it, calls `waiting` once and waits for it.
pub fn lock_file(path: &Path, waiting: impl FnOnce(&Path)) -> Result<File> {
    let io = |error| Error::Io {
        path: path.display().to_string(),
        error,
    };
    let (file, _) = open_regular_append(path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            waiting(path);
            file.lock().map_err(io)?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    Ok(file)
}

/// Opens the regular file at `path` for reading and appending, creating it when absent (a
/// registry's promotion log and lock file): never through a symbolic link, and never waiting
/// (a FIFO with no reader is refused, not waited on); a link, a folder, a FIFO or a device
/// there is refused. Returns the file and whether it was created.
pub fn open_regular_append(path: &Path) -> Result<(File, bool)> {
    let io = |error| Error::Io {
        path: path.display().to_string(),
        error,
    };
    let existed = std::fs::symlink_metadata(path).is_ok();
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    let file = options.open(path).map_err(|error| {
        #[cfg(unix)]
        match error.raw_os_error() {
            Some(libc::ELOOP) => {
                return refused(
                    path,
                    "is a symbolic link; refused: never written through a link".into(),
                )
            }
            Some(libc::ENXIO) => {
                return refused(
                    path,
                    "is a FIFO (named pipe); refused: only regular files are written".into(),
                )
            }
            Some(libc::EISDIR) => {
                return refused(
                    path,
                    "is a directory; refused: only regular files are written".into(),
                )
            }
            _ => {}
        }
        io(error)
    })?;
    let opened = file.metadata().map_err(io)?;
    regular_as_opened(path, &opened, "written")?;
    Ok((file, !existed))
}

/// What was opened at `path` is a regular file (checked on the open file: what the path named
/// may have changed since it was looked at); else refused, saying only regular files are
/// `verb` (`read`, `written`).
fn regular_as_opened(path: &Path, opened: &std::fs::Metadata, verb: &str) -> Result<()> {
    if opened.is_file() {
        return Ok(());
    }
    Err(refused(
        path,
        format!(
            "is {}; refused: only regular files are {verb}",
            kind_of(opened.file_type())
        ),
    ))
}

fn too_big(path: &Path, len: String, max_bytes: u64) -> Error {
    refused(
        path,
        format!(
            "is {len}, over the limit of {}; refused",
            show_bytes(max_bytes)
        ),
    )
}

/// Reads the regular file at `path`, at most `max_bytes` of it (see the module documentation).
pub fn read_limited(path: &Path, max_bytes: u64, symlinks: Symlinks) -> Result<Vec<u8>> {
    let io = |error| Error::Io {
        path: path.display().to_string(),
        error,
    };
    let file = open_regular(path, Some(max_bytes), symlinks)?;
    let opened = file.metadata().map_err(io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len().min(max_bytes)).unwrap_or(0));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_big(
            path,
            format!("more than {}", show_bytes(max_bytes)),
            max_bytes,
        ));
    }
    Ok(bytes)
}

/// [`read_limited`], as UTF-8 text (an error, without the content, when it is not).
pub fn read_limited_text(path: &Path, max_bytes: u64, symlinks: Symlinks) -> Result<String> {
    String::from_utf8(read_limited(path, max_bytes, symlinks)?).map_err(|e| {
        refused(
            path,
            format!(
                "is not UTF-8 text (bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The decision log's rotated files' highest number: a `decisions.<n>.jsonl` beyond it was not
/// written by a server (a billion rotations of even a kilobyte is a petabyte) and is not taken
/// for part of the log, so the next number never overflows.
pub const MAX_DECISION_LOG_ROTATION: u64 = 1_000_000_000_000;

/// `n` of a rotated decision log file's name, `decisions.<n>.jsonl` (1 to
/// [`MAX_DECISION_LOG_ROTATION`]); `None` for any other name, `decisions.jsonl` included.
pub fn decision_log_rotation(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("decisions.")?.strip_suffix(".jsonl")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits
        .parse()
        .ok()
        .filter(|n| (1..=MAX_DECISION_LOG_ROTATION).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_within_the_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("f");
        std::fs::write(&p, "hello").unwrap();
        assert_eq!(read_limited(&p, 5, Symlinks::Refuse).unwrap(), b"hello");
        let e = read_limited(&p, 4, Symlinks::Refuse)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("5 bytes") && e.contains("limit of 4 bytes"),
            "{e}"
        );
        assert!(!e.contains("hello"), "{e}");
        let e = read_limited(tmp.path(), 4, Symlinks::Refuse)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a directory"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_fifos_and_devices() {
        let tmp = tempfile::tempdir().unwrap();
        let secret = tmp.path().join("secret");
        std::fs::write(&secret, "TOP-SECRET-CONTENT").unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        let e = read_limited(&link, 1 << 20, Symlinks::Refuse)
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link") && e.contains("link"), "{e}");
        assert!(!e.contains("TOP-SECRET"), "{e}");
        assert_eq!(
            read_limited(&link, 1 << 20, Symlinks::Follow).unwrap(),
            b"TOP-SECRET-CONTENT"
        );
        let zero = tmp.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        for follow in [Symlinks::Follow, Symlinks::Refuse] {
            let e = read_limited(&zero, 1 << 20, follow)
                .unwrap_err()
                .to_string();
            assert!(e.contains("refused"), "{e}");
        }
        let e = read_limited(Path::new("/dev/zero"), 1 << 20, Symlinks::Follow)
            .unwrap_err()
            .to_string();
        assert!(e.contains("a device"), "{e}");
        let fifo = tmp.path().join("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            let e = read_limited(&fifo, 1 << 20, Symlinks::Refuse)
                .unwrap_err()
                .to_string();
            assert!(e.contains("FIFO"), "{e}");
        }
    }
}
