//! The write protocol shared by every output: a file that a later step trusts is written under a
//! temporary name beside it (`NAME.tmp`), flushed, and renamed over `NAME`, so a process killed at
//! any instant leaves either the old file, no file, or the whole new one, never a part of it.
//!
//! [`Durability::Synced`] also `fsync`s the file before the rename and its folder after it, so the
//! file survives a power loss as well (used for the run folder: config, inputs, checkpoints,
//! trajectory, summary). [`Durability::Atomic`] skips the syncs (figures and reports, which the
//! same command rewrites if they are lost).

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// How far a written file is guaranteed to survive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Whole or absent after a process kill.
    Atomic,
    /// Whole or absent after a kill or a power loss (file and folder fsynced).
    Synced,
}

/// The temporary name of `path` while it is written: `NAME.tmp` in the same folder.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

/// `fsync` a folder, so the renames and removals inside it are on disk.
pub fn sync_dir(dir: &Path) -> Result<()> {
    let d = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(d)
        .and_then(|f| f.sync_all())
        .map_err(|e| Error::io(d, e))
}

/// Write `path` by the protocol: `write` fills a buffered writer on `NAME.tmp`, which is then
/// flushed (and synced), and renamed over `path`.
pub fn write_with(
    path: &Path,
    durability: Durability,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let tmp = tmp_path(path);
    let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let mut w = BufWriter::new(file);
    let written = write(&mut w).and_then(|()| w.flush().map_err(|e| Error::io(&tmp, e)));
    if let Err(e) = written {
        drop(w);
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    let file = w.into_inner().map_err(|e| Error::io(&tmp, e.into_error()))?;
    commit(file, &tmp, path, durability)
}

/// Finish a file written at `tmp`: sync it (when asked), rename it to `path`, sync the folder.
pub fn commit(file: File, tmp: &Path, path: &Path, durability: Durability) -> Result<()> {
    if durability == Durability::Synced {
        file.sync_all().map_err(|e| Error::io(tmp, e))?;
    }
    drop(file);
    std::fs::rename(tmp, path).map_err(|e| Error::io(path, e))?;
    if durability == Durability::Synced {
        sync_dir(path.parent().unwrap_or(Path::new(".")))?;
    }
    Ok(())
}

/// Write `bytes` to `path` by the protocol.
pub fn write_bytes(path: &Path, bytes: impl AsRef<[u8]>, durability: Durability) -> Result<()> {
    write_with(path, durability, |w| {
        w.write_all(bytes.as_ref())
            .map_err(|e| Error::io(tmp_path(path), e))
    })
}

/// Write `value` as pretty JSON to `path` by the protocol.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T, durability: Durability) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::format(path, e.to_string()))?;
    write_bytes(path, text.as_bytes(), durability)
}

/// The folder and file name of an output file given as `--out PATH` (the folder `.` for a bare
/// name), or an error naming `--out` when the path has no UTF-8 file name.
pub fn out_parts(out: &Path) -> Result<(&Path, &str)> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::invalid("--out", format!("{} is not a file name", out.display())))?;
    Ok((parent, name))
}

/// The one output guard of the commands (`analyze`, `embed`, `reduced`, `bifurcate`): a command
/// that writes the set `files` into `dir` is refused when all of them exist (a finished output,
/// replaced only with `--force`), and allowed when none or only some do (some: what an
/// interrupted run of the same command left; each file is whole or absent, so it simply writes
/// them again). Creates `dir`. (`train`, `sweep` and `reproduce` resume their own folders instead:
/// [`crate::run_folder::FolderState`], the sweep manifest, the `reproduce` marker.)
pub fn check_outputs(dir: &Path, files: &[&str], force: bool) -> Result<()> {
    check_finished(dir, files, force)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}

/// The refusal of [`check_outputs`] alone, creating nothing (for a check made before the work
/// whose inputs may still turn out to be bad).
pub fn check_finished(dir: &Path, files: &[&str], force: bool) -> Result<()> {
    let all = !files.is_empty() && files.iter().all(|f| dir.join(f).exists());
    if all && !force {
        return Err(Error::Exists {
            path: dir.to_path_buf(),
            message: format!(
                "already exists as a finished output ({}); choose another folder or pass --force to \
                 replace it",
                files.join(", ")
            ),
        });
    }
    Ok(())
}

/// An exclusive lock on a folder, held while the value lives (an `flock` on the folder itself, so
/// no lock file is left behind; the kernel drops it when the process dies, however it dies).
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

impl FolderLock {
    /// Lock `dir` (which must exist), waiting while another process holds it.
    pub fn wait(dir: &Path) -> Result<FolderLock> {
        let file = File::open(dir).map_err(|e| Error::io(dir, e))?;
        file.lock().map_err(|e| Error::io(dir, e))?;
        Ok(FolderLock { _file: file })
    }

    /// Lock `dir` (which must exist), or fail at once with a message naming the folder and what
    /// holds it.
    pub fn acquire(dir: &Path, what: &str) -> Result<FolderLock> {
        let file = File::open(dir).map_err(|e| Error::io(dir, e))?;
        match file.try_lock() {
            Ok(()) => Ok(FolderLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::Busy {
                path: dir.to_path_buf(),
                message: format!(
                    "is in use by another waddington process ({what}); wait for it to finish or stop it first"
                ),
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io(dir, e)),
        }
    }
}
