//! Errors from reading and writing captures: each names the file and the place.

use std::path::{Path, PathBuf};

/// Why a capture could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The operating system refused (missing file, permissions, disk full, ...).
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// The file as a whole is wrong (no data, absurd header values, ...).
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    /// A text line is wrong; `line` counts from 1.
    #[error("{} line {line}: {message}", path.display())]
    Line { path: PathBuf, line: usize, message: String },
    /// A binary record (sample) is wrong; `record` counts from 1.
    #[error("{} record {record}: {message}", path.display())]
    Record { path: PathBuf, record: usize, message: String },
    /// The extension names no format panelscope knows.
    #[error("{}: unknown capture format (expected .csv, .parquet, .cfg, .cff or .dat)", path.display())]
    UnknownFormat { path: PathBuf },
}

impl CaptureError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }

    /// A whole-file problem with `path`.
    pub fn invalid(path: &Path, message: impl Into<String>) -> Self {
        Self::Invalid { path: path.to_path_buf(), message: message.into() }
    }

    /// A problem on text line `line` (1-based) of `path`.
    pub fn line(path: &Path, line: usize, message: impl Into<String>) -> Self {
        Self::Line { path: path.to_path_buf(), line, message: message.into() }
    }

    /// A problem in binary record `record` (1-based) of `path`.
    pub fn record(path: &Path, record: usize, message: impl Into<String>) -> Self {
        Self::Record { path: path.to_path_buf(), record, message: message.into() }
    }
}

/// Result of capture reading and writing.
pub type Result<T, E = CaptureError> = std::result::Result<T, E>;
