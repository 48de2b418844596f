//! Captures: the model, and readers and writers per format.

pub mod atomic;
pub mod comtrade;
pub mod csv;
pub mod error;
pub mod model;
pub mod parquet;
mod window;

use std::path::Path;

pub use atomic::PendingFile;
pub use error::{CaptureError, Result};
pub use model::{Bits, Capture, Channel, ChannelKind, Format, Samples, Timebase};
pub use window::{UnknownChannel, WindowError};

/// The most channels one capture may have: real recorders and monitors have hundreds at
/// most; a file asking for more is refused before anything is allocated for them.
pub const MAX_CHANNELS: usize = 100_000;

/// An empty vector with room for `n` values, or an error naming `path` (and `what`) when
/// memory cannot hold them: a huge file is refused with its size, never an abort.
pub(crate) fn room_for<T>(path: &Path, n: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| {
        let bytes = n.saturating_mul(std::mem::size_of::<T>());
        CaptureError::invalid(path, format!("{what}: {n} values ({bytes} bytes) do not fit in memory"))
    })?;
    Ok(v)
}

/// The on-disk formats, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Parquet,
    /// `.cfg` + `.dat` pair (either path may be given when reading).
    ComtradeCfg,
    /// Single-file `.cff`.
    ComtradeCff,
}

impl FileFormat {
    /// The format for `path`'s extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        Ok(match ext.as_str() {
            "csv" => Self::Csv,
            "parquet" | "pq" => Self::Parquet,
            "cfg" | "dat" => Self::ComtradeCfg,
            "cff" => Self::ComtradeCff,
            _ => return Err(CaptureError::UnknownFormat { path: path.to_path_buf() }),
        })
    }
}

/// What a listing shows of a capture.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub format: Format,
    pub sample_count: usize,
    /// `None` for irregular time.
    pub sample_rate_hz: Option<f64>,
    pub duration_s: f64,
    /// Analog and digital channels.
    pub channels: usize,
}

impl Summary {
    /// The summary of a capture held in memory.
    pub fn of(capture: &Capture) -> Self {
        Self {
            format: capture.format,
            sample_count: capture.sample_count(),
            sample_rate_hz: capture.sample_rate_hz(),
            duration_s: capture.duration_s(),
            channels: capture.channels.len(),
        }
    }
}

/// A capture's summary, from its header alone where the format has one that says it all
/// (a COMTRADE `.cfg` with one sample rate, a Parquet footer with panelscope's rate), else
/// from reading it. A listing of many large files then reads kilobytes, not gigabytes.
pub fn summary(path: &Path) -> Result<Summary> {
    let quick = match FileFormat::from_path(path)? {
        FileFormat::ComtradeCfg => comtrade::summary(path)?,
        FileFormat::Parquet => parquet::summary(path)?,
        FileFormat::Csv => csv::summary(path)?,
        FileFormat::ComtradeCff => None,
    };
    match quick {
        Some(summary) => Ok(summary),
        None => read(path).map(|c| Summary::of(&c)),
    }
}

/// Reads a capture, choosing the reader by extension.
pub fn read(path: &Path) -> Result<Capture> {
    let capture = match FileFormat::from_path(path)? {
        FileFormat::Csv => csv::read(path)?,
        FileFormat::Parquet => parquet::read(path)?,
        FileFormat::ComtradeCfg | FileFormat::ComtradeCff => comtrade::read(path)?,
    };
    capture.check_consistent().map_err(|m| CaptureError::invalid(path, m))?;
    Ok(capture)
}

/// Writes a capture atomically, choosing the writer by extension
/// (`.cfg` writes a COMTRADE 2013 FLOAT32 `.cfg` + `.dat` pair; `.cff` one file).
pub fn write(capture: &Capture, path: &Path) -> Result<()> {
    match FileFormat::from_path(path)? {
        FileFormat::Csv => csv::write(capture, path),
        FileFormat::Parquet => parquet::write(capture, path),
        FileFormat::ComtradeCfg => comtrade::write_cfg_dat(capture, path),
        FileFormat::ComtradeCff => comtrade::write_cff(capture, path),
    }
}
