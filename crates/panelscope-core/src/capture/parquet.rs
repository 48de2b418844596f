//! Parquet captures, the canonical export format: one column per channel (float32 analog,
//! boolean digital), with key/value metadata that replaces the time column at a fixed rate:
//! `panelscope.sample_rate_hz`, `panelscope.start` (RFC 3339) and `panelscope.channels`
//! (JSON list of `{"name", "kind", "unit"}`). Files from other tools are read like CSV: a
//! `time_s` or `time` column, units in brackets in the column names.

use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, BooleanArray, Float32Array, Float64Array, PrimitiveArray, RecordBatch,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::csv::{
    ColumnHeader, TimeColumn, TimeTrack, channel_from_values, check_unique_names, file_name, parse_column_header,
    time_column_kind, timebase_from_times,
};
use super::{
    AnalogSink, Bits, Capture, CaptureError, Channel, ChannelKind, Format, Keep, PendingFile, Result, Samples, Scan,
    Timebase, room_for,
};

/// Metadata key for the fixed sample rate.
pub const KEY_SAMPLE_RATE: &str = "panelscope.sample_rate_hz";
/// Metadata key for the absolute start time.
pub const KEY_START: &str = "panelscope.start";
/// Metadata key for channel kinds and units.
pub const KEY_CHANNELS: &str = "panelscope.channels";
/// Metadata key for the nominal line frequency.
pub const KEY_LINE_FREQUENCY: &str = "panelscope.line_frequency_hz";
/// Metadata key for the trigger time.
pub const KEY_TRIGGER: &str = "panelscope.trigger_s";
/// Metadata key for free-form facts about the capture (JSON list of `[key, value]`).
pub const KEY_METADATA: &str = "panelscope.metadata";

/// One channel's description in `panelscope.channels`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ChannelMeta {
    name: String,
    kind: ChannelKind,
    #[serde(default)]
    unit: String,
}

/// Rows decoded at a time: large enough that per-batch work is negligible, small enough
/// that the batches in flight (one per reader) hold little beside the capture.
const BATCH_ROWS: usize = 1 << 16;

/// Rows written at a time, and per row group.
const WRITE_BATCH_ROWS: usize = 1 << 18;
const ROW_GROUP_ROWS: usize = 1 << 20;

/// A column's values as they are decoded, batch by batch, straight into the capture's
/// buffers.
enum Sink {
    Analog(AnalogSink),
    Digital(Bits),
    /// The time column: seconds, or RFC 3339 text turned into seconds from the first row,
    /// with that row's absolute time.
    Time {
        /// Every time when `keep`, else the batch being read.
        seconds: Vec<f64>,
        keep: bool,
        track: TimeTrack,
        first: Option<DateTime<Utc>>,
        first_raw: Option<i64>,
    },
}

/// Reads a Parquet capture.
pub fn read(path: &Path, open: &super::Opener<'_>) -> Result<Capture> {
    read_keeping(path, open, Keep::Samples).map(|scan| scan.capture)
}

/// Reads a Parquet capture batch by batch, keeping of each analog channel what `keep` says
/// (a channel whose samples are not kept has none in the capture).
pub(crate) fn read_keeping(path: &Path, open: &super::Opener<'_>, keep: Keep) -> Result<Scan> {
    let file = open(path).map_err(|e| CaptureError::io(path, e))?;
    let bad = |e: ParquetError| CaptureError::invalid(path, format!("not a readable Parquet file: {e}"));
    // A decoder may panic on a corrupt file; that must not bring the program down.
    let decoded = caught(move || -> std::result::Result<_, ParquetError> {
        let footer = ArrowReaderMetadata::load(&file, Default::default())?;
        let pairs: Vec<(String, String)> = footer
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .into_iter()
            .flatten()
            .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?)))
            .collect();
        let rows = usize::try_from(footer.metadata().file_metadata().num_rows()).unwrap_or(0);
        let groups: Vec<usize> =
            footer.metadata().row_groups().iter().map(|g| usize::try_from(g.num_rows()).unwrap_or(0)).collect();
        Ok((pairs, rows, groups, footer))
    });
    let (pairs, rows, groups, footer) = decoded
        .ok_or_else(|| CaptureError::invalid(path, "corrupt Parquet file (the decoder failed)"))?
        .map_err(bad)?;
    let schema = footer.schema().clone();
    let meta = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());

    let channel_meta: Option<Vec<ChannelMeta>> = meta(KEY_CHANNELS)
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| CaptureError::invalid(path, format!("metadata {KEY_CHANNELS} is not valid JSON: {e}")))?;
    // Looked up per column: by name, so that a file of many columns is not read in
    // quadratic time.
    let by_name: std::collections::HashMap<&str, &ChannelMeta> =
        channel_meta.iter().flatten().map(|m| (m.name.as_str(), m)).collect();
    let rate = meta(KEY_SAMPLE_RATE)
        .map(|r| {
            r.trim().parse::<f64>().ok().filter(|r| r.is_finite() && *r > 0.0).ok_or_else(|| {
                CaptureError::invalid(path, format!("metadata {KEY_SAMPLE_RATE} is '{r}', expected a positive number"))
            })
        })
        .transpose()?;
    let mut start = meta(KEY_START)
        .map(|s| {
            DateTime::parse_from_rfc3339(s.trim()).map(|d| d.with_timezone(&Utc)).map_err(|_| {
                CaptureError::invalid(path, format!("metadata {KEY_START} is '{s}', expected an RFC 3339 time"))
            })
        })
        .transpose()?;

    if schema.fields().len() > super::MAX_CHANNELS + 1 {
        return Err(CaptureError::invalid(
            path,
            format!("{} columns: at most {} channels", schema.fields().len(), super::MAX_CHANNELS),
        ));
    }
    // What each column becomes: the time column first (when it leads), then channels.
    let mut time_index = None;
    let mut headers = Vec::new();
    for (i, field) in schema.fields().iter().enumerate() {
        let raw_name = field.name().as_str();
        if i == 0 && time_column_kind(raw_name).is_some() {
            time_index = Some(0);
            continue;
        }
        let header = match by_name.get(raw_name) {
            Some(m) => ColumnHeader { name: m.name.clone(), unit: m.unit.clone(), kind: m.kind },
            None if field.data_type() == &DataType::Boolean => ColumnHeader {
                name: parse_column_header(raw_name).name,
                unit: String::new(),
                kind: ChannelKind::Digital,
            },
            None => parse_column_header(raw_name),
        };
        if !(is_number(field.data_type()) || field.data_type() == &DataType::Boolean) {
            return Err(CaptureError::invalid(
                path,
                format!("column '{}' has type {}, expected numbers or booleans", header.name, field.data_type()),
            ));
        }
        headers.push(header);
    }
    check_unique_names(path, &headers)
        .map_err(|_| CaptureError::invalid(path, "two columns have the same channel name"))?;
    if headers.is_empty() {
        return Err(CaptureError::invalid(path, "no channel columns"));
    }
    if rows == 0 {
        return Err(CaptureError::invalid(path, "no rows"));
    }
    let time_kind = time_index.and_then(|i| time_column_kind(schema.field(i).name()));
    let mut sinks: Vec<Sink> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, field)| {
            Ok(if Some(i) == time_index {
                // The times are followed, not held: read again only when they are irregular.
                Sink::Time {
                    seconds: Vec::new(),
                    keep: false,
                    track: TimeTrack::default(),
                    first: None,
                    first_raw: None,
                }
            } else if field.data_type() == &DataType::Boolean {
                Sink::Digital(Bits::with_capacity(rows))
            } else {
                let header = &headers[i - usize::from(time_index.is_some())];
                // A column of 0/1 read as digital is checked sample by sample: kept.
                let keep = if header.kind == ChannelKind::Digital { Keep::Samples } else { keep };
                Sink::Analog(AnalogSink::new(path, keep, rows, &format!("column '{}'", field.name()))?)
            })
        })
        .collect::<Result<_>>()?;
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    // A large file is read by several readers at once, each decoding (and decompressing)
    // its own columns; a small one by one reader.
    let columns = sinks.len();
    let parts = if rows < 2 * BATCH_ROWS { 1 } else { rayon::current_num_threads().clamp(1, columns) };
    let mut work: Vec<(usize, &mut [Sink], &[String])> = Vec::with_capacity(parts);
    let (mut rest_sinks, mut rest_names, mut first) = (sinks.as_mut_slice(), names.as_slice(), 0);
    for count in part_sizes(footer.metadata(), columns, parts) {
        let (these, others) = rest_sinks.split_at_mut(count);
        let (these_names, other_names) = rest_names.split_at(count);
        work.push((first, these, these_names));
        (rest_sinks, rest_names, first) = (others, other_names, first + count);
    }
    let read: Vec<std::result::Result<usize, (usize, CaptureError)>> = work
        .into_par_iter()
        .map(|(first, sinks, names)| {
            let file = open(path).map_err(|e| (0, CaptureError::io(path, e)))?;
            let (footer, count) = (footer.clone(), sinks.len());
            let built = caught(move || {
                let columns = ProjectionMask::roots(footer.parquet_schema(), first..first + count);
                ParquetRecordBatchReaderBuilder::new_with_metadata(file, footer)
                    .with_batch_size(BATCH_ROWS)
                    .with_projection(columns)
                    .build()
            });
            let mut batches = built
                .ok_or_else(|| CaptureError::invalid(path, "corrupt Parquet file (the decoder failed)"))
                .and_then(|b| b.map_err(bad))
                .map_err(|e| (0, e))?;
            let mut row0 = 0usize;
            while let Some(batch) = next_batch(path, open, &groups, row0, &mut batches).map_err(|e| (row0, e))? {
                sinks
                    .par_iter_mut()
                    .zip(batch.columns().par_iter())
                    .zip(names.par_iter())
                    .try_for_each(|((sink, column), name)| append(path, name, time_kind, row0, sink, column))
                    .map_err(|e| (row0, e))?;
                row0 += batch.num_rows();
            }
            Ok(row0)
        })
        .collect();
    // The failure nearest the start, as one reader would have met it first.
    let mut failures: Vec<(usize, CaptureError)> = Vec::new();
    let mut counts = Vec::new();
    for r in read {
        match r {
            Ok(n) => counts.push(n),
            Err(failure) => failures.push(failure),
        }
    }
    if let Some((_, error)) = failures.into_iter().min_by_key(|(row, _)| *row) {
        return Err(error);
    }
    let row0 = counts.first().copied().unwrap_or(0);
    if let Some(n) = counts.iter().find(|&&n| n != row0) {
        return Err(CaptureError::invalid(path, format!("columns of {row0} and {n} rows")));
    }

    let mut sinks = sinks.into_iter();
    let time = if time_index.is_some() { sinks.next() } else { None };
    let mut stats = Vec::with_capacity(headers.len());
    let channels: Vec<Channel> = headers
        .into_iter()
        .zip(sinks)
        .map(|(header, sink)| match sink {
            Sink::Digital(bits) if header.kind == ChannelKind::Digital => {
                stats.push(None);
                Ok(Channel::digital(header.name, bits))
            }
            Sink::Digital(bits) => {
                let values: Vec<f32> = bits.iter().map(f32::from).collect();
                stats.push(if keep == Keep::Stats { crate::analysis::stats::stats(&values) } else { None });
                Ok(Channel {
                    name: header.name,
                    kind: header.kind,
                    unit: header.unit,
                    samples: Samples::Analog(if keep == Keep::Samples { values } else { Vec::new() }),
                })
            }
            Sink::Analog(sink) => {
                let (values, running) = sink.finish();
                let channel = channel_from_values(path, header, values).map_err(|e| match e {
                    CaptureError::Line { line, message, .. } => {
                        CaptureError::invalid(path, format!("row {}: {message}", line - 1))
                    }
                    other => other,
                })?;
                stats.push(match (running, &channel.samples) {
                    (Some(running), _) => running,
                    (None, Samples::Analog(v)) if keep == Keep::Stats => crate::analysis::stats::stats(v),
                    (None, _) => None,
                });
                Ok(channel)
            }
            Sink::Time { .. } => Err(CaptureError::invalid(path, "two time columns")),
        })
        .collect::<Result<_>>()?;

    let mut metadata: Vec<(String, String)> =
        meta(KEY_METADATA).and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default();
    let timebase = match (rate, time) {
        (Some(rate), _) => Timebase::Fixed { sample_rate_hz: rate },
        (None, Some(Sink::Time { track, first, .. })) => {
            start = start.or(first);
            let (timebase, offset_s) = match track.fixed_rate() {
                Some((sample_rate_hz, first_s)) => (Timebase::Fixed { sample_rate_hz }, first_s),
                None => timebase_from_times(path, times_again(path, open, time_kind, &names[0], rows, &groups)?)?,
            };
            if offset_s != 0.0 && first.is_none() {
                metadata.push(("time_offset_s".to_string(), offset_s.to_string()));
            }
            timebase
        }
        (None, _) => {
            return Err(CaptureError::invalid(
                path,
                format!("no time: expected a 'time_s' or 'time' column or the metadata key {KEY_SAMPLE_RATE}"),
            ));
        }
    };
    let parse_opt = |key: &str| meta(key).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite());
    let capture = Capture {
        name: file_name(path),
        format: Format::Parquet,
        start,
        timebase,
        channels,
        line_frequency_hz: parse_opt(KEY_LINE_FREQUENCY),
        trigger_s: parse_opt(KEY_TRIGGER),
        metadata,
    };
    Ok(Scan { capture, sample_count: row0, stats })
}

/// How many of the `columns` columns each of `parts` readers takes, in order, so that each
/// decodes about as many bytes (a float64 time column weighs two float32 channels; the
/// size before compression, which decompression's cost follows). Equal counts when the
/// sizes are not one per column.
fn part_sizes(metadata: &parquet::file::metadata::ParquetMetaData, columns: usize, parts: usize) -> Vec<usize> {
    let parts = parts.clamp(1, columns.max(1));
    let mut bytes = vec![0u64; columns];
    let flat = metadata.row_groups().iter().all(|g| g.num_columns() == columns);
    if flat {
        for group in metadata.row_groups() {
            for (c, b) in bytes.iter_mut().enumerate() {
                *b += u64::try_from(group.column(c).uncompressed_size()).unwrap_or(0);
            }
        }
    }
    let total: u64 = bytes.iter().sum();
    if !flat || total == 0 {
        let per = columns.div_ceil(parts);
        return (0..columns).step_by(per.max(1)).map(|start| per.min(columns - start)).collect();
    }
    balanced_parts(&bytes, parts)
}

/// `parts` runs of consecutive columns (every one non-empty) whose `bytes` are about equal:
/// each cut at the column boundary nearest its share of the total, leaving a column for
/// every part still to come.
fn balanced_parts(bytes: &[u64], parts: usize) -> Vec<usize> {
    let columns = bytes.len();
    let parts = parts.clamp(1, columns.max(1));
    // before[c]: the bytes of the columns before column c.
    let before: Vec<u64> = std::iter::once(0)
        .chain(bytes.iter().scan(0u64, |sum, &b| {
            *sum += b;
            Some(*sum)
        }))
        .collect();
    let total = before[columns];
    let mut sizes = Vec::with_capacity(parts);
    let mut start = 0usize;
    for cut in 1..parts {
        let share = total as u128 * cut as u128 / parts as u128;
        let distance = |c: usize| (before[c] as u128).abs_diff(share);
        let boundary = (start + 1..=columns - (parts - cut)).min_by_key(|&c| distance(c)).unwrap_or(start + 1);
        sizes.push(boundary - start);
        start = boundary;
    }
    sizes.push(columns - start);
    sizes
}

/// The next batch of rows, the first being `row0`; an error names the row group and
/// column that failed.
fn next_batch(
    path: &Path,
    open: &super::Opener<'_>,
    groups: &[usize],
    row0: usize,
    batches: &mut ParquetRecordBatchReader,
) -> Result<Option<RecordBatch>> {
    let failed =
        |why: String| CaptureError::invalid(path, format!("{}: {why}", failure_place(path, open, groups, row0)));
    let next = caught(|| batches.next()).ok_or_else(|| failed("the decoder failed (corrupt data)".into()))?;
    next.map(|batch| batch.map_err(|e| failed(e.to_string()))).transpose()
}

/// The time column (the file's first, `name`) read again whole: the first reading found
/// its times irregular, so the capture keeps them.
fn times_again(
    path: &Path,
    open: &super::Opener<'_>,
    time_kind: Option<TimeColumn>,
    name: &str,
    rows: usize,
    groups: &[usize],
) -> Result<Vec<f64>> {
    let file = open(path).map_err(|e| CaptureError::io(path, e))?;
    let built = caught(move || -> std::result::Result<_, ParquetError> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(BATCH_ROWS);
        let only_time = ProjectionMask::roots(builder.parquet_schema(), [0]);
        builder.with_projection(only_time).build()
    });
    let mut batches = built
        .ok_or_else(|| CaptureError::invalid(path, "corrupt Parquet file (the decoder failed)"))?
        .map_err(|e| CaptureError::invalid(path, format!("not a readable Parquet file: {e}")))?;
    let mut sink = Sink::Time {
        seconds: room_for(path, rows, "the time column")?,
        keep: true,
        track: TimeTrack::default(),
        first: None,
        first_raw: None,
    };
    let mut row0 = 0;
    while let Some(batch) = next_batch(path, open, groups, row0, &mut batches)? {
        let column = batch.columns().first().ok_or_else(|| CaptureError::invalid(path, "the time column vanished"))?;
        append(path, name, time_kind, row0, &mut sink, column)?;
        row0 += batch.num_rows();
    }
    match sink {
        Sink::Time { seconds, .. } => Ok(seconds),
        _ => unreachable!("the sink is the time column's"),
    }
}

/// The summary of a Parquet capture from its footer, when the footer gives panelscope's
/// sample rate; `None` when only the time column would tell.
pub fn summary(path: &Path, open: &super::Opener<'_>) -> Result<Option<super::Summary>> {
    let file = open(path).map_err(|e| CaptureError::io(path, e))?;
    let footer = caught(move || ParquetRecordBatchReaderBuilder::try_new(file))
        .ok_or_else(|| CaptureError::invalid(path, "corrupt Parquet file (the decoder failed)"))?
        .map_err(|e| CaptureError::invalid(path, format!("not a readable Parquet file: {e}")))?;
    let meta = footer.metadata().file_metadata();
    let rate = meta
        .key_value_metadata()
        .into_iter()
        .flatten()
        .find(|kv| kv.key == KEY_SAMPLE_RATE)
        .and_then(|kv| kv.value.as_deref()?.trim().parse::<f64>().ok())
        .filter(|r| r.is_finite() && *r > 0.0);
    let Some(rate) = rate else { return Ok(None) };
    let fields = footer.schema().fields();
    let time_first = fields.first().is_some_and(|f| time_column_kind(f.name()).is_some());
    let sample_count = usize::try_from(meta.num_rows()).unwrap_or(0);
    Ok(Some(super::Summary {
        format: Format::Parquet,
        sample_count,
        sample_rate_hz: Some(rate),
        duration_s: sample_count as f64 / rate,
        channels: fields.len() - usize::from(time_first),
    }))
}

/// Where a batch starting at row `row0` failed to decode: the first row group from there
/// on, and the column in it, that fails when decoded alone (a second look, made only once
/// something failed; a batch can span row groups).
fn failure_place(path: &Path, open: &super::Opener<'_>, groups: &[usize], row0: usize) -> String {
    let starts: Vec<usize> = groups.iter().scan(0usize, |at, &n| Some(std::mem::replace(at, *at + n))).collect();
    let first_group = starts.iter().rposition(|&s| s <= row0).unwrap_or(0);
    let Ok(file) = open(path) else { return format!("rows from {}", row0 + 1) };
    let found = caught(move || -> Option<(usize, String)> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).ok()?;
        let schema = builder.metadata().file_metadata().schema_descr_ptr();
        (first_group..groups.len()).find_map(|group| {
            (0..schema.num_columns()).find_map(|leaf| {
                let only = ParquetRecordBatchReaderBuilder::try_new(open(path).ok()?)
                    .ok()?
                    .with_row_groups(vec![group])
                    .with_projection(ProjectionMask::leaves(&schema, [leaf]))
                    .build()
                    .ok()?;
                let fails = caught(move || only.into_iter().any(|b| b.is_err())).unwrap_or(true);
                fails.then(|| (group, schema.column(leaf).name().to_string()))
            })
        })
    })
    .flatten();
    match found {
        Some((group, column)) => format!(
            "row group {} (rows {}-{}), column '{column}'",
            group + 1,
            starts[group] + 1,
            starts[group] + groups[group]
        ),
        None => format!("rows from {}", row0 + 1),
    }
}

/// Runs `f`, turning a decoder's panic on a corrupt file into `None`. The panic is an
/// answer about the file, reported as an error naming it, so the panic message the runtime
/// would print is kept quiet here (panics anywhere else still print).
fn caught<T>(f: impl FnOnce() -> T) -> Option<T> {
    use std::cell::Cell;
    thread_local!(static QUIET: Cell<bool> = const { Cell::new(false) });
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.ok()
}

/// Whether a column of this type holds numbers a channel can take.
fn is_number(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Timestamp(..) | DataType::Date32 | DataType::Date64)
}

/// Appends one batch of a column to its sink; `row0` is the batch's first row (0-based).
fn append(
    path: &Path,
    name: &str,
    time_kind: Option<TimeColumn>,
    row0: usize,
    sink: &mut Sink,
    column: &ArrayRef,
) -> Result<()> {
    match sink {
        Sink::Digital(bits) => {
            let b = column.as_boolean_opt().ok_or_else(|| {
                CaptureError::invalid(path, format!("column '{name}' changes type between row groups"))
            })?;
            (0..b.len()).for_each(|i| bits.push(b.is_valid(i) && b.value(i)));
        }
        // Infinite values are kept as they are: a COMTRADE FLOAT32 record may hold them,
        // and what panelscope writes it reads back.
        Sink::Analog(sink) => {
            sink.fill(|values| numbers_into(column, values)).ok_or_else(|| {
                CaptureError::invalid(
                    path,
                    format!("column '{name}' has type {}, expected numbers", column.data_type()),
                )
            })?;
        }
        Sink::Time { seconds, keep, track, first, first_raw } => {
            if !*keep {
                seconds.clear();
            }
            let before = seconds.len();
            if time_kind == Some(TimeColumn::Timestamp)
                && let Some(text) = column.as_string_opt::<i32>()
            {
                for i in 0..text.len() {
                    let cell = if text.is_valid(i) { text.value(i) } else { "" };
                    let at = DateTime::parse_from_rfc3339(cell.trim())
                        .map_err(|_| {
                            CaptureError::invalid(
                                path,
                                format!("row {}: time is not an RFC 3339 timestamp", row0 + i + 1),
                            )
                        })?
                        .with_timezone(&Utc);
                    let t0 = *first.get_or_insert(at);
                    seconds.push((at - t0).num_nanoseconds().unwrap_or(i64::MAX) as f64 * 1e-9);
                }
                track.push(&seconds[before..]);
                return Ok(());
            }
            if let Some((raw, unit_ns)) = epoch_units(column) {
                // Clock times: seconds from the first row (in whole units first, so that no
                // precision is lost to the size of the epoch), which is the start.
                let Some(t0) = first_raw.or_else(|| raw.iter().flatten().next().copied()) else {
                    return Err(CaptureError::invalid(path, format!("row {}: time is empty", row0 + 1)));
                };
                if first_raw.is_none() {
                    *first_raw = Some(t0);
                    *first = DateTime::from_timestamp_nanos(t0.saturating_mul(unit_ns)).into();
                }
                let scale = unit_ns as f64 * 1e-9;
                seconds.extend(raw.iter().map(|v| v.map_or(f64::NAN, |v| (v - t0) as f64 * scale)));
            } else {
                let mut as_f32 = Vec::new();
                float64_into(column, seconds)
                    .or_else(|| {
                        numbers_into(column, &mut as_f32).map(|()| seconds.extend(as_f32.iter().map(|&v| f64::from(v))))
                    })
                    .ok_or_else(|| {
                        CaptureError::invalid(
                            path,
                            format!("time column has type {}, expected seconds", column.data_type()),
                        )
                    })?;
            }
            if let Some(k) = seconds[before..].iter().position(|t| !t.is_finite()) {
                return Err(CaptureError::invalid(path, format!("row {}: time is empty or not finite", row0 + k + 1)));
            }
            track.push(&seconds[before..]);
        }
    }
    Ok(())
}

/// A float64 column's values (nulls as NaN), exactly.
fn float64_into(column: &ArrayRef, out: &mut Vec<f64>) -> Option<()> {
    let a = column.as_primitive_opt::<Float64Type>()?;
    match a.nulls().filter(|n| n.null_count() > 0) {
        None => out.extend_from_slice(a.values()),
        Some(nulls) => out.extend(a.values().iter().zip(nulls.iter()).map(|(&v, ok)| if ok { v } else { f64::NAN })),
    }
    Some(())
}

/// The raw values of a timestamp or date column (units since 1970; nulls as `None`) and
/// the unit in nanoseconds; `None` for other types.
fn epoch_units(column: &ArrayRef) -> Option<(Vec<Option<i64>>, i64)> {
    Some(match column.data_type() {
        DataType::Date32 => {
            (column.as_primitive_opt::<Date32Type>()?.iter().map(|v| v.map(i64::from)).collect(), 86_400_000_000_000)
        }
        DataType::Date64 => (column.as_primitive_opt::<Date64Type>()?.iter().collect(), 1_000_000),
        DataType::Timestamp(TimeUnit::Second, _) => {
            (column.as_primitive_opt::<TimestampSecondType>()?.iter().collect(), 1_000_000_000)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            (column.as_primitive_opt::<TimestampMillisecondType>()?.iter().collect(), 1_000_000)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            (column.as_primitive_opt::<TimestampMicrosecondType>()?.iter().collect(), 1_000)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            (column.as_primitive_opt::<TimestampNanosecondType>()?.iter().collect(), 1)
        }
        _ => return None,
    })
}

/// Appends a numeric column as `f32` (nulls become NaN, missing samples); `None` when the
/// column does not hold numbers.
fn numbers_into(column: &ArrayRef, out: &mut Vec<f32>) -> Option<()> {
    fn push<T: ArrowPrimitiveType>(a: &PrimitiveArray<T>, out: &mut Vec<f32>, f: impl Fn(T::Native) -> f32) {
        match a.nulls().filter(|n| n.null_count() > 0) {
            None => out.extend(a.values().iter().map(|&v| f(v))),
            Some(nulls) => {
                out.extend(a.values().iter().zip(nulls.iter()).map(|(&v, ok)| if ok { f(v) } else { f32::NAN }))
            }
        }
    }
    macro_rules! cast {
        ($t:ty) => {
            push(column.as_primitive_opt::<$t>()?, out, |v| v as f32)
        };
    }
    match column.data_type() {
        DataType::Float32 => {
            let a = column.as_primitive_opt::<Float32Type>()?;
            match a.nulls().filter(|n| n.null_count() > 0) {
                None => out.extend_from_slice(a.values()),
                Some(_) => push(a, out, |v| v),
            }
        }
        DataType::Float64 => cast!(Float64Type),
        DataType::Float16 => push(column.as_primitive_opt::<Float16Type>()?, out, |v| v.to_f32()),
        DataType::Int8 => cast!(Int8Type),
        DataType::Int16 => cast!(Int16Type),
        DataType::Int32 => cast!(Int32Type),
        DataType::Int64 => cast!(Int64Type),
        DataType::UInt8 => cast!(UInt8Type),
        DataType::UInt16 => cast!(UInt16Type),
        DataType::UInt32 => cast!(UInt32Type),
        DataType::UInt64 => cast!(UInt64Type),
        DataType::Decimal32(_, scale) => {
            let k = 10f64.powi(-i32::from(*scale));
            push(column.as_primitive_opt::<Decimal32Type>()?, out, |v| (f64::from(v) * k) as f32)
        }
        DataType::Decimal64(_, scale) => {
            let k = 10f64.powi(-i32::from(*scale));
            push(column.as_primitive_opt::<Decimal64Type>()?, out, |v| (v as f64 * k) as f32)
        }
        DataType::Decimal128(_, scale) => {
            let k = 10f64.powi(-i32::from(*scale));
            push(column.as_primitive_opt::<Decimal128Type>()?, out, |v| (v as f64 * k) as f32)
        }
        DataType::Boolean => {
            let b = column.as_boolean_opt()?;
            out.extend((0..b.len()).map(|i| if b.is_valid(i) { f32::from(b.value(i)) } else { f32::NAN }));
        }
        _ => {
            let (raw, unit_ns) = epoch_units(column)?;
            out.extend(raw.iter().map(|v| v.map_or(f32::NAN, |v| (v as f64 * unit_ns as f64 * 1e-9) as f32)));
        }
    }
    Some(())
}

/// Writes a capture as Parquet with panelscope metadata, atomically.
pub fn write(capture: &Capture, path: &Path) -> Result<()> {
    let n = capture.sample_count();
    let mut pairs = Vec::new();
    let mut fields = Vec::with_capacity(capture.channels.len() + 1);
    if let Timebase::Irregular { .. } = capture.timebase {
        fields.push(Field::new("time_s", DataType::Float64, false));
    }
    for ch in &capture.channels {
        let dtype = if ch.is_analog() { DataType::Float32 } else { DataType::Boolean };
        fields.push(Field::new(ch.name.as_str(), dtype, false));
    }
    if let Timebase::Fixed { sample_rate_hz } = capture.timebase {
        pairs.push((KEY_SAMPLE_RATE.to_string(), sample_rate_hz.to_string()));
    }
    let meta: Vec<ChannelMeta> = capture
        .channels
        .iter()
        .map(|c| ChannelMeta { name: c.name.clone(), kind: c.kind, unit: c.unit.clone() })
        .collect();
    pairs.push((KEY_CHANNELS.to_string(), serde_json::to_string(&meta).unwrap_or_default()));
    if let Some(start) = capture.start {
        pairs.push((KEY_START.to_string(), start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)));
    }
    if let Some(f) = capture.line_frequency_hz {
        pairs.push((KEY_LINE_FREQUENCY.to_string(), f.to_string()));
    }
    if let Some(t) = capture.trigger_s {
        pairs.push((KEY_TRIGGER.to_string(), t.to_string()));
    }
    if !capture.metadata.is_empty() {
        pairs.push((KEY_METADATA.to_string(), serde_json::to_string(&capture.metadata).unwrap_or_default()));
    }
    let schema = Arc::new(Schema::new(fields));
    let properties = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_key_value_metadata(Some(pairs.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect()))
        .build();
    let failed = |e: &dyn std::fmt::Display| CaptureError::invalid(path, format!("cannot write Parquet: {e}"));
    let mut out = PendingFile::create(path)?;
    {
        let mut writer = ArrowWriter::try_new(&mut out, schema.clone(), Some(properties)).map_err(|e| failed(&e))?;
        // A batch at a time, so that the copy handed to the encoder stays small.
        for lo in (0..n).step_by(WRITE_BATCH_ROWS) {
            let hi = (lo + WRITE_BATCH_ROWS).min(n);
            let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
            if let Timebase::Irregular { times_s } = &capture.timebase {
                columns.push(Arc::new(Float64Array::from(times_s[lo..hi].to_vec())));
            }
            for ch in &capture.channels {
                columns.push(match &ch.samples {
                    Samples::Analog(v) => Arc::new(Float32Array::from(v[lo..hi].to_vec())),
                    Samples::Digital(b) => {
                        Arc::new(BooleanArray::from((lo..hi).map(|i| b.get(i) == Some(true)).collect::<Vec<bool>>()))
                    }
                });
            }
            let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| failed(&e))?;
            writer.write(&batch).map_err(|e| failed(&e))?;
        }
        writer.close().map_err(|e| failed(&e))?;
    }
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> Result<Capture> {
        super::read(path, &crate::capture::open_file)
    }
    use crate::capture::Bits;
    use std::fs::File;

    fn sample() -> Capture {
        let mut c = Capture::new("x", Format::Memory, 2000.0);
        c.start = Some("2026-03-14T09:00:00.25Z".parse().unwrap());
        c.line_frequency_hz = Some(60.0);
        c.trigger_s = Some(0.001);
        c.metadata.push(("station".into(), "Panel 3, Bldg 7".into()));
        c.channels.push(Channel::analog("V_A", "V", None, vec![1.0, f32::NAN, -3.5]));
        c.channels.push(Channel::analog("temp", "degC", Some(ChannelKind::Other), vec![20.0, 21.0, 22.0]));
        c.channels.push(Channel::digital("TRIP", Bits::from_iter([true, false, true])));
        c
    }

    #[test]
    fn round_trip_with_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.parquet");
        let c = sample();
        write(&c, &path).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back.sample_rate_hz(), Some(2000.0));
        assert_eq!(back.start, c.start);
        assert_eq!(back.line_frequency_hz, Some(60.0));
        assert_eq!(back.trigger_s, Some(0.001));
        assert_eq!(back.metadata, c.metadata);
        assert_eq!(back.channels.len(), 3);
        assert_eq!(back.channels[1], c.channels[1]);
        assert_eq!(back.channels[2], c.channels[2]);
        let v = back.channels[0].analog_values().unwrap();
        assert_eq!(v[0], 1.0);
        assert!(v[1].is_nan());
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn irregular_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.parquet");
        let mut c = sample();
        c.timebase = Timebase::Irregular { times_s: vec![0.0, 0.1, 0.5] };
        write(&c, &path).unwrap();
        assert_eq!(read(&path).unwrap().timebase, c.timebase);
    }

    /// Writes columns as another tool would (no panelscope metadata).
    fn foreign(path: &Path, columns: Vec<(&str, ArrayRef)>) {
        let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
        let mut writer = ArrowWriter::try_new(File::create(path).unwrap(), schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
    }

    #[test]
    fn foreign_file_with_time_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        foreign(
            &path,
            vec![
                ("time_s", Arc::new(Float64Array::from(vec![0.0, 0.01, 0.02]))),
                ("I_1 [A]", Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0]))),
                ("count", Arc::new(arrow_array::Int32Array::from(vec![1, 2, 3]))),
            ],
        );
        let c = read(&path).unwrap();
        assert_eq!(c.sample_rate_hz(), Some(100.0));
        assert_eq!(c.channels[0].name, "I_1");
        assert_eq!(c.channels[0].kind, ChannelKind::Current);
        assert_eq!(c.channels[1].analog_values().unwrap(), &[1.0, 2.0, 3.0]);
    }

    /// Times are followed, not held, as they are read: irregular ones (here past the first
    /// batch) are read again and kept; regular ones give a fixed rate; time going backwards
    /// is refused naming the row, as before. The file is large enough to be read by one
    /// reader per core, each with its own columns.
    #[test]
    fn a_time_column_is_followed_and_read_again_only_when_irregular() {
        let dir = tempfile::tempdir().unwrap();
        let n = 2 * BATCH_ROWS + 1000;
        let values =
            |k: f32| -> ArrayRef { Arc::new(Float32Array::from((0..n).map(|i| k * i as f32).collect::<Vec<_>>())) };
        let write = |name: &str, times: Vec<f64>| {
            let path = dir.path().join(name);
            let columns = vec![
                ("time_s", Arc::new(Float64Array::from(times)) as ArrayRef),
                ("I_1 [A]", values(1.0)),
                ("I_2 [A]", values(-2.0)),
                ("V_A [V]", values(0.5)),
            ];
            foreign(&path, columns);
            path
        };
        let regular: Vec<f64> = (0..n).map(|i| 5.0 + i as f64 / 4000.0).collect();
        let c = read(&write("regular.parquet", regular)).unwrap();
        assert_eq!(c.timebase, Timebase::Fixed { sample_rate_hz: 4000.0 });
        for (channel, k) in c.channels.iter().zip([1.0f32, -2.0, 0.5]) {
            let v = channel.analog_values().unwrap();
            assert!(v.len() == n && v.iter().enumerate().all(|(i, &x)| x == k * i as f32), "{}", channel.name);
        }
        assert_eq!(c.metadata, [("time_offset_s".to_string(), "5".to_string())]);

        // Regular but for one long interval in the second batch.
        let mut irregular: Vec<f64> = (0..n).map(|i| i as f64 / 4000.0).collect();
        irregular.iter_mut().skip(BATCH_ROWS + 10).for_each(|t| *t += 0.5);
        let c = read(&write("irregular.parquet", irregular.clone())).unwrap();
        assert_eq!(c.timebase, Timebase::Irregular { times_s: irregular });
        assert_eq!(c.channels[0].analog_values().unwrap().len(), n);
        let scan = super::super::scan(&dir.path().join("irregular.parquet"), true).unwrap();
        assert_eq!((scan.sample_count, scan.capture.timebase), (n, c.timebase.clone()));

        let mut backwards: Vec<f64> = (0..n).map(|i| i as f64 / 4000.0).collect();
        backwards[BATCH_ROWS + 3] = 0.0;
        let error = read(&write("backwards.parquet", backwards)).unwrap_err().to_string();
        assert!(error.contains(&format!("line {}", BATCH_ROWS + 3 + 2)) && error.contains("is not after"), "{error}");
    }

    #[test]
    fn readers_share_the_columns_by_their_bytes() {
        // A float64 time column and eight float32 channels, on two cores.
        assert_eq!(balanced_parts(&[118, 55, 55, 55, 55, 55, 55, 55, 55], 2), [4, 5]);
        // pyarrow's zstd file of 8 x 16 M samples: the first cut past half would be [5, 4].
        assert_eq!(balanced_parts(&[132, 73, 73, 73, 73, 73, 73, 73, 73], 2), [4, 5]);
        assert_eq!(balanced_parts(&[10, 10, 10, 10], 2), [2, 2]);
        assert_eq!(balanced_parts(&[1000, 1, 1], 3), [1, 1, 1]);
        assert_eq!(balanced_parts(&[1, 1, 1000], 3), [1, 1, 1]);
        assert_eq!(balanced_parts(&[5, 5, 5], 1), [3]);
        for parts in 1..6 {
            let sizes = balanced_parts(&[3, 1, 4, 1, 5, 9, 2, 6], parts);
            assert!(sizes.len() == parts && sizes.iter().all(|&n| n > 0) && sizes.iter().sum::<usize>() == 8);
        }
    }

    #[test]
    fn every_numeric_type_and_clock_times_are_read() {
        use arrow_array::{
            Decimal128Array, Float16Array, Int8Array, Int16Array, TimestampMicrosecondArray, UInt8Array, UInt16Array,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("types.parquet");
        let t0 = 1_773_565_200_000_000i64; // 2026-03-15T09:00:00Z in microseconds
        foreign(
            &path,
            vec![
                ("time", Arc::new(TimestampMicrosecondArray::from(vec![t0, t0 + 500, t0 + 1000]).with_timezone("UTC"))),
                ("i8", Arc::new(Int8Array::from(vec![-1, 0, 1]))),
                ("i16", Arc::new(Int16Array::from(vec![Some(-300), None, Some(300)]))),
                ("u8", Arc::new(UInt8Array::from(vec![0, 128, 255]))),
                ("u16", Arc::new(UInt16Array::from(vec![0, 1, 65535]))),
                ("f16", Arc::new(Float16Array::from(vec![half_f16(0.5), half_f16(-2.0), half_f16(1.0)]))),
                ("dec", Arc::new(Decimal128Array::from(vec![12345, -5, 0]).with_precision_and_scale(10, 2).unwrap())),
            ],
        );
        let c = read(&path).unwrap();
        assert_eq!(c.sample_rate_hz(), Some(2000.0));
        assert_eq!(c.start, Some("2026-03-15T09:00:00Z".parse().unwrap()));
        let v = |name: &str| c.channel(name).unwrap().analog_values().unwrap().to_vec();
        assert_eq!(v("i8"), [-1.0, 0.0, 1.0]);
        let i16 = v("i16");
        assert!(i16[0] == -300.0 && i16[1].is_nan() && i16[2] == 300.0, "a null is a missing sample");
        assert_eq!(v("u8"), [0.0, 128.0, 255.0]);
        assert_eq!(v("u16"), [0.0, 1.0, 65535.0]);
        assert_eq!(v("f16"), [0.5, -2.0, 1.0]);
        assert_eq!(v("dec"), [123.45, -0.05, 0.0]);
    }

    fn half_f16(v: f32) -> <Float16Type as ArrowPrimitiveType>::Native {
        <Float16Type as ArrowPrimitiveType>::Native::from_f32(v)
    }

    #[test]
    fn bad_files_are_clean_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.parquet");
        std::fs::write(&path, b"PAR1 this is not parquet").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("bad.parquet"), "{err}");

        let good = dir.path().join("good.parquet");
        write(&sample(), &good).unwrap();
        let bytes = std::fs::read(&good).unwrap();
        for cut in [0, 4, bytes.len() / 2, bytes.len() - 9, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(read(&path).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn what_is_written_reads_back_infinite_values_and_repeated_times_included() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd.parquet");
        let mut c = sample();
        c.channels[0] = Channel::analog("V_A", "V", None, vec![1.0, f32::INFINITY, f32::NEG_INFINITY]);
        c.timebase = Timebase::Irregular { times_s: vec![0.0, 0.1, 0.1] };
        write(&c, &path).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back.channels[0].analog_values().unwrap(), &[1.0, f32::INFINITY, f32::NEG_INFINITY]);
        assert_eq!(back.timebase, c.timebase);
    }

    /// A corrupt page deep in a file is reported by its row group, rows and column, and the
    /// decoder's own panic text (if it panics) is not printed.
    #[test]
    fn a_corrupt_page_is_named_by_row_group_and_column() {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep.parquet");
        let schema = Arc::new(Schema::new(vec![
            Field::new("time_s", DataType::Float64, false),
            Field::new("V_A [V]", DataType::Float32, false),
            Field::new("I_7 [A]", DataType::Float32, false),
        ]));
        let properties = WriterProperties::builder().set_max_row_group_row_count(Some(1000)).build();
        let mut writer = ArrowWriter::try_new(File::create(&path).unwrap(), schema.clone(), Some(properties)).unwrap();
        let time: Float64Array = (0..3000).map(|i| f64::from(i) / 1000.0).collect();
        let values: Float32Array = (0..3000).map(|i| i as f32).collect();
        let batch =
            RecordBatch::try_new(schema, vec![Arc::new(time), Arc::new(values.clone()), Arc::new(values)]).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        assert_eq!(read(&path).unwrap().sample_count(), 3000);

        // Overwrite the page header of row group 2's third column with garbage.
        let offset = {
            let reader = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
            let metadata = reader.metadata();
            assert_eq!(metadata.num_row_groups(), 3);
            metadata.row_group(1).column(2).data_page_offset() as usize
        };
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[offset..offset + 24].fill(0xff);
        std::fs::write(&path, bytes).unwrap();

        let error = read(&path).unwrap_err().to_string();
        assert!(error.contains("deep.parquet"), "{error}");
        assert!(error.contains("row group 2 (rows 1001-2000)"), "{error}");
        assert!(error.contains("column 'I_7 [A]'"), "{error}");
    }
}
