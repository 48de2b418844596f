//! Captures: the model, and readers and writers per format.

pub mod atomic;
pub mod comtrade;
pub mod csv;
mod decimal;
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
    summary_with(path, &open_file)
}

/// [`summary`], opening every file through `open`.
pub fn summary_with(path: &Path, open: &Opener<'_>) -> Result<Summary> {
    let quick = match FileFormat::from_path(path)? {
        FileFormat::ComtradeCfg => comtrade::summary(path, open)?,
        FileFormat::Parquet => parquet::summary(path, open)?,
        FileFormat::Csv => csv::summary(path, open)?,
        FileFormat::ComtradeCff => None,
    };
    match quick {
        Some(summary) => Ok(summary),
        None => read_with(path, open).map(|c| Summary::of(&c)),
    }
}

/// Opens one file of a capture for reading. Readers open every file they read (a COMTRADE
/// `.cfg` and its `.dat`, say) through one, and read only from what it returned, so a
/// caller that must vouch for what is read (the server: only files inside its folder) checks
/// the file it opened, not a path that could be swapped between a check and the open.
pub type Opener<'a> = dyn Fn(&Path) -> std::io::Result<std::fs::File> + Sync + 'a;

/// The plain [`Opener`]: `File::open`.
pub fn open_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// The files a capture at `path` is read from, in reading order: the file itself and, for
/// a COMTRADE `.cfg`, its `.dat` when one is beside it.
pub fn source_files(path: &Path) -> Vec<std::path::PathBuf> {
    let mut files = vec![path.to_path_buf()];
    if matches!(FileFormat::from_path(path), Ok(FileFormat::ComtradeCfg))
        && let Some(dat) = comtrade::dat_of(path)
    {
        files.push(dat);
    }
    files
}

/// Reads a capture, choosing the reader by extension.
pub fn read(path: &Path) -> Result<Capture> {
    read_with(path, &open_file)
}

/// [`read`], opening every file through `open`.
pub fn read_with(path: &Path, open: &Opener<'_>) -> Result<Capture> {
    let capture = match FileFormat::from_path(path)? {
        FileFormat::Csv => csv::read(path, open)?,
        FileFormat::Parquet => parquet::read(path, open)?,
        FileFormat::ComtradeCfg | FileFormat::ComtradeCff => comtrade::read(path, open)?,
    };
    capture.check_consistent().map_err(|m| CaptureError::invalid(path, m))?;
    // What the readers freed, before the caller builds on the samples.
    crate::memory::release_free();
    Ok(capture)
}

/// A capture read for its description and statistics: what `info` prints. The samples of
/// its analog channels may not be kept (Parquet and binary COMTRADE are read batch by
/// batch into running statistics, so a scan holds a few megabytes whatever the file's
/// size); everything else is as [`read`] gives it.
#[derive(Debug, Clone)]
pub struct Scan {
    /// The capture; an analog channel whose samples were not kept has none.
    pub capture: Capture,
    /// Samples per channel in the file.
    pub sample_count: usize,
    /// Per channel: its statistics when asked for (analog channels with a sample), else `None`.
    pub stats: Vec<Option<crate::analysis::stats::Stats>>,
}

impl Scan {
    /// The scan of a capture held in memory.
    pub fn of(capture: Capture, with_stats: bool) -> Self {
        let stats = if with_stats { crate::info::channel_stats(&capture) } else { vec![None; capture.channels.len()] };
        Self { sample_count: capture.sample_count(), stats, capture }
    }

    /// Time span from the first to the last sample, plus one sample period at a fixed rate
    /// (as [`Capture::duration_s`]).
    pub fn duration_s(&self) -> f64 {
        match &self.capture.timebase {
            Timebase::Fixed { sample_rate_hz } => self.sample_count as f64 / sample_rate_hz,
            Timebase::Irregular { .. } => self.capture.duration_s(),
        }
    }
}

/// Scans a capture: its description and, when `with_stats`, each analog channel's
/// statistics, equal to those of [`read`] followed by [`crate::info::channel_stats`].
pub fn scan(path: &Path, with_stats: bool) -> Result<Scan> {
    scan_with(path, with_stats, &open_file)
}

/// [`scan`], opening every file through `open`.
pub fn scan_with(path: &Path, with_stats: bool, open: &Opener<'_>) -> Result<Scan> {
    let keep = if with_stats { Keep::Stats } else { Keep::Nothing };
    let scan = match FileFormat::from_path(path)? {
        FileFormat::Parquet => parquet::read_keeping(path, open, keep)?,
        FileFormat::ComtradeCfg => comtrade::scan(path, open, keep)?,
        FileFormat::Csv => csv::read_keeping(path, open, keep)?,
        FileFormat::ComtradeCff => Scan::of(read_with(path, open)?, with_stats),
    };
    check_scan(path, &scan)?;
    Ok(scan)
}

/// [`Capture::check_consistent`] for a scan, whose analog channels may hold no sample.
fn check_scan(path: &Path, scan: &Scan) -> Result<()> {
    let n = scan.sample_count;
    let kept = |c: &Channel| !(c.is_analog() && c.samples.is_empty());
    if let Some(c) = scan.capture.channels.iter().find(|c| kept(c) && c.samples.len() != n) {
        return Err(CaptureError::invalid(
            path,
            format!("channel '{}' has {} samples, expected {n}", c.name, c.samples.len()),
        ));
    }
    scan.capture.check_timebase(n).map_err(|m| CaptureError::invalid(path, m))
}

/// What a reader keeps of each analog channel's samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Every sample, in the capture.
    Samples,
    /// Running statistics only.
    Stats,
    /// Nothing: the count alone.
    Nothing,
}

/// One analog channel's samples as a reader decodes them, kept as [`Keep`] says.
pub(crate) enum AnalogSink {
    Values(Vec<f32>),
    /// `scratch` holds one batch for a moment.
    Stats {
        running: crate::analysis::stats::Running,
        scratch: Vec<f32>,
    },
    Count {
        count: usize,
        scratch: Vec<f32>,
    },
}

impl AnalogSink {
    /// A sink for `keep` with room for `n` samples when it keeps them (`what` names the
    /// channel in the error when memory cannot hold them).
    pub(crate) fn new(path: &Path, keep: Keep, n: usize, what: &str) -> Result<Self> {
        Ok(match keep {
            Keep::Samples => Self::Values(room_for(path, n, what)?),
            Keep::Stats => Self::Stats { running: Default::default(), scratch: Vec::new() },
            Keep::Nothing => Self::Count { count: 0, scratch: Vec::new() },
        })
    }

    /// Room for `more` samples when they are kept (an estimate: nothing is refused).
    pub(crate) fn reserve(&mut self, more: usize) {
        if let Self::Values(v) = self {
            let _ = v.try_reserve_exact(more);
        }
    }

    /// Adds what `decode` appends to the vector it is given.
    pub(crate) fn fill<R>(&mut self, decode: impl FnOnce(&mut Vec<f32>) -> R) -> R {
        match self {
            Self::Values(v) => decode(v),
            Self::Stats { running, scratch } => {
                scratch.clear();
                let r = decode(scratch);
                running.push(scratch);
                r
            }
            Self::Count { count, scratch } => {
                scratch.clear();
                let r = decode(scratch);
                *count += scratch.len();
                r
            }
        }
    }

    /// Adds samples decoded elsewhere (no copy through the scratch buffer).
    pub(crate) fn push(&mut self, values: &[f32]) {
        match self {
            Self::Values(v) => v.extend_from_slice(values),
            Self::Stats { running, .. } => running.push(values),
            Self::Count { count, .. } => *count += values.len(),
        }
    }

    /// Adds decoded samples.
    pub(crate) fn extend(&mut self, values: impl Iterator<Item = f32>) {
        self.fill(|v| v.extend(values));
    }

    /// The samples kept (none when they were not) and, when statistics were the point,
    /// those statistics (`Some(None)` for a channel with no sample that is not missing).
    pub(crate) fn finish(self) -> (Vec<f32>, Option<Option<crate::analysis::stats::Stats>>) {
        match self {
            Self::Values(v) => (v, None),
            Self::Stats { running, .. } => (Vec::new(), Some(running.finish())),
            Self::Count { .. } => (Vec::new(), None),
        }
    }
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
