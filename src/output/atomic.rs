//! Atomic file replacement: write a temporary file beside the target, flush
//! it to disk, then rename it over the final name.
//!
//! A rename within one directory is atomic on POSIX file systems, so a reader
//! (or a user after a crash or Ctrl-C) sees either the old complete file or the
//! new complete file, never a truncated one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporaries created by concurrent writers in one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Adds the path to an IO error so the user knows which file failed.
fn context(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("cannot {what} {}: {e}", path.display()))
}

/// The directory that will hold `path`, checked to exist, so that a typo in an
/// output directory is reported as such rather than as an obscure open error.
fn parent_dir(path: &Path) -> io::Result<PathBuf> {
    if path.file_name().is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("cannot write {}: not a file name", path.display()),
        ));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match fs::metadata(&dir) {
        Ok(m) if m.is_dir() => Ok(dir),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!(
                "cannot write {}: {} is not a directory",
                path.display(),
                dir.display()
            ),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "cannot write {}: directory {} does not exist (create it first)",
                path.display(),
                dir.display()
            ),
        )),
        Err(e) => Err(context(e, "write", path)),
    }
}

/// A directory cannot be replaced by a file: refused before a temporary is
/// made.
fn not_a_directory(path: &Path) -> io::Result<()> {
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            format!("cannot write {}: it is a directory", path.display()),
        ));
    }
    Ok(())
}

/// A fresh temporary name in the target's directory. `extension` lets tools
/// that pick a format from the file name (image encoders) see the right one.
fn temp_name(path: &Path, dir: &Path, extension: Option<&str>) -> PathBuf {
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = format!(".{base}.tmp-{}-{n}", std::process::id());
    if let Some(ext) = extension {
        name.push('.');
        name.push_str(ext);
    }
    dir.join(name)
}

/// Best effort: make the rename itself durable. Some file systems refuse to
/// open a directory for syncing; the data is still safe then, so it is ignored.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Keep the permissions of a file being replaced (e.g. a group-readable CSV).
fn copy_permissions(target: &Path, temp: &Path) {
    if let Ok(meta) = fs::metadata(target) {
        let _ = fs::set_permissions(temp, meta.permissions());
    }
}

/// A file being written under a temporary name; it appears under its final
/// name only on [`AtomicFile::commit`]. Dropping it uncommitted deletes the
/// temporary, so streaming writers (e.g. a per-iteration trace) interrupted by
/// an error leave nothing behind and any previous file untouched.
pub struct AtomicFile {
    target: PathBuf,
    dir: PathBuf,
    temp: PathBuf,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `path`; fails early if its directory does not exist.
    pub fn create(path: impl AsRef<Path>) -> io::Result<AtomicFile> {
        let target = path.as_ref().to_path_buf();
        let dir = parent_dir(&target)?;
        not_a_directory(&target)?;
        let temp = temp_name(&target, &dir, None);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| context(e, "create a temporary file for", &target))?;
        Ok(AtomicFile {
            target,
            dir,
            temp,
            file: Some(BufWriter::new(file)),
        })
    }

    /// The final name this file will have once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the temporary over the target.
    /// On any failure the temporary is removed: nothing is left behind.
    pub fn commit(mut self) -> io::Result<()> {
        let Some(writer) = self.file.take() else {
            return Err(io::Error::other("file already committed"));
        };
        let result = writer
            .into_inner()
            .map_err(|e| context(e.into_error(), "write", &self.target))
            .and_then(|file| {
                file.sync_all()
                    .map_err(|e| context(e, "sync", &self.target))
            })
            .and_then(|()| {
                copy_permissions(&self.target, &self.temp);
                fs::rename(&self.temp, &self.target)
                    .map_err(|e| context(e, "replace", &self.target))
            });
        match result {
            Ok(()) => {
                sync_dir(&self.dir);
                Ok(())
            }
            Err(e) => {
                let _ = fs::remove_file(&self.temp);
                Err(e)
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Writes `path` atomically with whatever `write` produces. If `write` (or
/// any file operation) fails, the temporary is removed and a file already
/// under the final name is left exactly as it was.
pub fn write_atomic<F>(path: impl AsRef<Path>, write: F) -> io::Result<()>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let mut file = AtomicFile::create(path)?;
    write(&mut file)?;
    file.commit()
}

/// [`write_atomic`] for content already in memory.
pub fn write_atomic_bytes(path: impl AsRef<Path>, bytes: &[u8]) -> io::Result<()> {
    write_atomic(path, |w| w.write_all(bytes))
}

/// Atomic replacement for writers that insist on opening a path themselves
/// (image encoders): `produce` writes the temporary path it is given, whose
/// name ends in `.extension`; the result is then synced and renamed.
pub fn write_atomic_path<F>(path: impl AsRef<Path>, extension: &str, produce: F) -> io::Result<()>
where
    F: FnOnce(&Path) -> io::Result<()>,
{
    let target = path.as_ref();
    let dir = parent_dir(target)?;
    not_a_directory(target)?;
    let temp = temp_name(target, &dir, Some(extension));
    let result = produce(&temp).and_then(|()| {
        let f = File::open(&temp).map_err(|e| context(e, "reopen the temporary for", target))?;
        f.sync_all().map_err(|e| context(e, "sync", target))?;
        drop(f);
        copy_permissions(target, &temp);
        fs::rename(&temp, target).map_err(|e| context(e, "replace", target))
    });
    match result {
        Ok(()) => {
            sync_dir(&dir);
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&temp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "vippl-atomic-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn dropping_an_uncommitted_file_removes_the_temporary() {
        let dir = scratch("drop");
        let target = dir.join("out.csv");
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"partial").unwrap();
            assert_eq!(entries(&dir).len(), 1, "temporary exists while writing");
        }
        assert!(entries(&dir).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_replacement_leaves_no_temporary() {
        let dir = scratch("dir");
        let target = dir.join("taken");
        fs::create_dir(&target).unwrap();
        let e = write_atomic_bytes(&target, b"draws").unwrap_err();
        assert!(e.to_string().contains("it is a directory"), "{e}");
        assert_eq!(entries(&dir), vec!["taken".to_string()]);
        // A rename that fails after the temporary was written removes it.
        let f = AtomicFile::create(dir.join("x.csv")).unwrap();
        fs::create_dir(dir.join("x.csv")).unwrap();
        fs::write(dir.join("x.csv").join("inside"), b"").unwrap();
        assert!(f.commit().is_err());
        assert_eq!(
            entries(&dir),
            vec!["taken".to_string(), "x.csv".to_string()]
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn path_writer_failure_leaves_old_file() {
        let dir = scratch("path");
        let target = dir.join("plot.png");
        fs::write(&target, b"old").unwrap();
        let err = write_atomic_path(&target, "png", |tmp| {
            fs::write(tmp, b"half")?;
            Err(io::Error::other("encoder failed"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("encoder failed"));
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert_eq!(entries(&dir), vec!["plot.png".to_string()]);
        write_atomic_path(&target, "png", |tmp| {
            assert!(tmp.to_string_lossy().ends_with(".png"));
            fs::write(tmp, b"new")
        })
        .unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        fs::remove_dir_all(dir).unwrap();
    }
}
