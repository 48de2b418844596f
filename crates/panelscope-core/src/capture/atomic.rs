//! Atomic file writes: write a temporary file beside the target, then rename.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::error::{CaptureError, Result};

/// The steps of a commit, for injecting failures in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommitStep {
    Flush,
    Sync,
    Rename,
}

/// A file being written beside its final path; it replaces the target only on
/// [`PendingFile::commit`], and is removed if dropped before that.
pub struct PendingFile {
    target: PathBuf,
    temp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl PendingFile {
    /// Starts writing a temporary file in the target's folder.
    pub fn create(target: &Path) -> Result<Self> {
        Self::create_with(target, false)
    }

    /// As [`Self::create`], for a file only its owner may read (a token, a secret): the
    /// temporary file is created that way, so the secret is never readable by others.
    pub fn create_private(target: &Path) -> Result<Self> {
        Self::create_with(target, true)
    }

    fn create_with(target: &Path, private: bool) -> Result<Self> {
        let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let file_name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        remove_stale_temps(dir, &file_name);
        let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let file = options.open(&temp).map_err(|e| CaptureError::io(target, e))?;
        Ok(Self { target: target.to_path_buf(), temp, writer: Some(BufWriter::with_capacity(1 << 20, file)) })
    }

    /// The buffered writer for the temporary file.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        match self.writer.as_mut() {
            Some(w) => w,
            None => unreachable!("the writer is there until commit, which consumes the file"),
        }
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the temporary file over the target. On any failure the
    /// temporary file is removed and the target is as it was.
    pub fn commit(self) -> Result<()> {
        self.commit_checked(|_| Ok(()))
    }

    /// [`Self::commit`], asking `fault` before each step whether it fails (tests inject a
    /// failure at every step this way).
    fn commit_checked(mut self, fault: impl Fn(CommitStep) -> std::io::Result<()>) -> Result<()> {
        let target = self.target.clone();
        let Some(writer) = self.writer.take() else {
            return Err(CaptureError::invalid(&target, "written twice"));
        };
        let temp = self.temp.clone();
        let failed = |e: std::io::Error| {
            let _ = std::fs::remove_file(&temp);
            CaptureError::io(&target, e)
        };
        fault(CommitStep::Flush).map_err(failed)?;
        let file = writer.into_inner().map_err(|e| failed(e.into_error()))?;
        fault(CommitStep::Sync).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        drop(file);
        fault(CommitStep::Rename).map_err(failed)?;
        std::fs::rename(&self.temp, &target).map_err(failed)?;
        // The rename itself reaches the disk only with its folder.
        #[cfg(unix)]
        if let Some(dir) = target.parent().map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p })
            && let Ok(dir) = File::open(dir)
        {
            dir.sync_all().map_err(|e| CaptureError::io(&target, e))?;
        }
        Ok(())
    }
}

/// Removes the temporary files of writers of `file_name` that died before committing
/// (their process is gone), so that killed writes do not pile up.
fn remove_stale_temps(dir: &Path, file_name: &str) {
    #[cfg(target_os = "linux")]
    {
        let prefix = format!(".{file_name}.");
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(&prefix))
                .and_then(|rest| rest.strip_suffix(".tmp"))
                .and_then(|pid| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (dir, file_name);
}

impl Write for PendingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer().flush()
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_commit_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a folder: the rename fails.
        let target = dir.path().join("out.csv");
        std::fs::create_dir(&target).unwrap();
        let mut file = PendingFile::create(&target).unwrap();
        file.write_all(b"time_s,a\n").unwrap();
        let error = file.commit().unwrap_err().to_string();
        assert!(error.contains("out.csv"), "{error}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, [std::ffi::OsString::from("out.csv")], "only the folder that was there");
    }

    #[test]
    fn a_failure_at_any_step_keeps_the_old_file_and_leaves_no_temporary_one() {
        for step in [CommitStep::Flush, CommitStep::Sync, CommitStep::Rename] {
            let dir = tempfile::tempdir().unwrap();
            let target = dir.path().join("out.csv");
            std::fs::write(&target, "old").unwrap();
            let mut file = PendingFile::create(&target).unwrap();
            file.write_all(b"new").unwrap();
            let result =
                file.commit_checked(|at| if at == step { Err(std::io::Error::other("injected")) } else { Ok(()) });
            let error = result.unwrap_err().to_string();
            assert!(error.contains("out.csv") && error.contains("injected"), "{step:?}: {error}");
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "old", "{step:?}: the old file is kept");
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "{step:?}: no temporary file left");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn temporary_files_of_dead_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // A pid that cannot be running (above the kernel's limit), and a live one (ours).
        let stale = dir.path().join(".a.parquet.4294967295.tmp");
        let other = dir.path().join(".b.parquet.4294967295.tmp");
        std::fs::write(&stale, "half").unwrap();
        std::fs::write(&other, "half").unwrap();
        let mut file = PendingFile::create(&dir.path().join("a.parquet")).unwrap();
        assert!(!stale.exists(), "a dead writer's temporary file is removed");
        assert!(other.exists(), "another file's temporary files are not touched");
        file.write_all(b"x").unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.parquet")).unwrap(), b"x");
    }
}
