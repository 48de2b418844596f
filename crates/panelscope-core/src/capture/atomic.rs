//! Atomic file writes: write a temporary file beside the target, then rename.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::error::{CaptureError, Result};

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
        self.writer.as_mut().expect("writer is present until commit")
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the temporary file over the target.
    pub fn commit(mut self) -> Result<()> {
        let target = self.target.clone();
        let writer = self.writer.take().expect("writer is present until commit");
        let file = writer.into_inner().map_err(|e| CaptureError::io(&target, e.into_error()))?;
        file.sync_all().map_err(|e| CaptureError::io(&target, e))?;
        drop(file);
        std::fs::rename(&self.temp, &target).map_err(|e| CaptureError::io(&target, e))?;
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
