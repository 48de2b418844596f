//! The batch dataset on disk: `DIR/captures/ID.parquet` and `DIR/events/ID.parquet`, one
//! file of each per capture, so a run that is killed and started again rewrites at most the
//! capture it was on, and no row can be written twice.
//!
//! Every file is written beside its final name under a hidden name (`.ID.parquet.PID.tmp`,
//! which Arrow, polars, DuckDB and Spark skip), synced and renamed. The events file of a
//! capture lands before its captures file, and the captures file is what marks the capture
//! done. A lock file (`DIR/_lock`) keeps two batches from writing one folder at once.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::Processed;
use super::table::{captures_batch, events_batch};
use crate::capture::PendingFile;

/// A failure that stops a batch: the output folder cannot be made, locked or written.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DatasetError(pub String);

fn io(path: &Path, e: impl std::fmt::Display) -> DatasetError {
    DatasetError(format!("{}: {e}", path.display()))
}

/// An output folder open for writing.
pub struct Dataset {
    root: PathBuf,
    // Held for the life of the run; the lock goes with the file.
    _lock: File,
}

impl Dataset {
    /// Creates (or reopens) the dataset at `root` and locks it; removes what an earlier,
    /// killed run left half-written.
    pub fn open(root: &Path) -> Result<Self, DatasetError> {
        for part in ["captures", "events"] {
            let dir = root.join(part);
            std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        }
        let lock_path = root.join("_lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io(&lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DatasetError(format!("{}: another batch is writing to this folder", root.display())));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(&lock_path, e)),
        }
        for part in ["captures", "events"] {
            let dir = root.join(part);
            let entries = std::fs::read_dir(&dir).map_err(|e| io(&dir, e))?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.ends_with(".tmp") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(Self { root: root.to_path_buf(), _lock: lock })
    }

    /// The dataset's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a capture's row goes.
    pub fn capture_file(&self, capture_id: &str) -> PathBuf {
        self.root.join("captures").join(format!("{capture_id}.parquet"))
    }

    /// Where a capture's events go.
    pub fn events_file(&self, capture_id: &str) -> PathBuf {
        self.root.join("events").join(format!("{capture_id}.parquet"))
    }

    /// True when the capture's rows are complete in the dataset.
    pub fn is_done(&self, capture_id: &str) -> bool {
        self.capture_file(capture_id).is_file()
    }

    /// The `status` of a capture already in the dataset (`ok` or `error`).
    pub fn status(&self, capture_id: &str) -> Option<String> {
        let path = self.capture_file(capture_id);
        let file = File::open(&path).ok()?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).and_then(|b| b.build()).ok()?;
        let batch = reader.flatten().next()?;
        super::table::text(super::table::string_column(&batch, "status"), 0).map(str::to_string)
    }

    /// Writes one capture's rows: its events (when it has any), then its captures row.
    pub fn write(&self, processed: &Processed) -> Result<(), DatasetError> {
        let id = &processed.capture.capture_id;
        if !processed.events.is_empty() {
            let batch = events_batch(&processed.events).map_err(|e| DatasetError(e.to_string()))?;
            write_parquet(&self.events_file(id), &batch)?;
        }
        let batch =
            captures_batch(std::slice::from_ref(&processed.capture)).map_err(|e| DatasetError(e.to_string()))?;
        write_parquet(&self.capture_file(id), &batch)
    }
}

/// Writes `batch` to `path` atomically (hidden temporary file, fsync, rename), zstd-compressed.
pub fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<(), DatasetError> {
    let pending = PendingFile::create(path).map_err(|e| DatasetError(e.to_string()))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .build();
    let mut writer = ArrowWriter::try_new(pending, batch.schema(), Some(props)).map_err(|e| io(path, e))?;
    writer.write(batch).map_err(|e| io(path, e))?;
    let pending = writer.into_inner().map_err(|e| io(path, e))?;
    pending.commit().map_err(|e| DatasetError(e.to_string()))
}

/// The visible Parquet files of one table (`captures` or `events`) of the dataset at
/// `root`, sorted by name.
pub fn table_files(root: &Path, table: &str) -> Result<Vec<PathBuf>, DatasetError> {
    let dir = root.join(table);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| io(&dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            !name.starts_with('.') && !name.starts_with('_') && name.ends_with(".parquet")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Every record batch of one table of the dataset at `root`.
pub fn read_table(root: &Path, table: &str) -> Result<Vec<RecordBatch>, DatasetError> {
    let mut batches = Vec::new();
    for path in table_files(root, table)? {
        let file = File::open(&path).map_err(|e| io(&path, e))?;
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(file).and_then(|b| b.build()).map_err(|e| io(&path, e))?;
        for batch in reader {
            batches.push(batch.map_err(|e| io(&path, e))?);
        }
    }
    Ok(batches)
}
