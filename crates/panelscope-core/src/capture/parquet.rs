//! Parquet captures, the canonical export format: one column per channel (float32 analog,
//! boolean digital), with key/value metadata that replaces the time column at a fixed rate:
//! `panelscope.sample_rate_hz`, `panelscope.start` (RFC 3339) and `panelscope.channels`
//! (JSON list of `{"name", "kind", "unit"}`). Files from other tools are read like CSV: a
//! `time_s` or `time` column, units in brackets in the column names.

use std::fs::File;
use std::path::Path;

use chrono::{DateTime, Utc};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::csv::{
    ColumnHeader, TimeColumn, channel_from_values, check_unique_names, f32_values_owned, file_name,
    parse_column_header, seconds_from_rfc3339, time_column_kind, timebase_from_times,
};
use super::{Capture, CaptureError, Channel, ChannelKind, Format, PendingFile, Result, Samples, Timebase};

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

/// Reads a Parquet capture.
pub fn read(path: &Path) -> Result<Capture> {
    let file = File::open(path).map_err(|e| CaptureError::io(path, e))?;
    let polars_err = |e: PolarsError| CaptureError::invalid(path, format!("not a readable Parquet file: {e}"));
    // polars may panic on a corrupt file; that must not bring the program down.
    let (pairs, df) = std::panic::catch_unwind(move || -> PolarsResult<_> {
        let mut reader = ParquetReader::new(file);
        let pairs: Vec<(String, String)> = reader
            .get_metadata()?
            .key_value_metadata()
            .iter()
            .flatten()
            .filter_map(|kv| Some((kv.key.clone(), kv.value.clone()?)))
            .collect();
        Ok((pairs, reader.finish()?))
    })
    .map_err(|_| CaptureError::invalid(path, "corrupt Parquet file (the decoder failed)"))?
    .map_err(polars_err)?;
    let meta = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());

    let channel_meta: Option<Vec<ChannelMeta>> = meta(KEY_CHANNELS)
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| CaptureError::invalid(path, format!("metadata {KEY_CHANNELS} is not valid JSON: {e}")))?;
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

    let mut time_column = None;
    let mut pending = Vec::new();
    let mut headers = Vec::new();
    let height = df.height();
    for column in df.into_columns() {
        let series = column.take_materialized_series();
        let raw_name = series.name().as_str();
        if time_column.is_none() && pending.is_empty() && time_column_kind(raw_name).is_some() {
            time_column = Some(series);
            continue;
        }
        let header = match channel_meta.as_ref().and_then(|m| m.iter().find(|c| c.name == raw_name)) {
            Some(m) => ColumnHeader { name: m.name.clone(), unit: m.unit.clone(), kind: m.kind },
            None if series.dtype() == &DataType::Boolean => ColumnHeader {
                name: parse_column_header(raw_name).name,
                unit: String::new(),
                kind: ChannelKind::Digital,
            },
            None => parse_column_header(raw_name),
        };
        headers.push(header.clone());
        pending.push((header, series));
    }
    check_unique_names(path, &headers)
        .map_err(|_| CaptureError::invalid(path, "two columns have the same channel name"))?;
    // Each column becomes an owned array; the copies run in parallel.
    let channels: Vec<Channel> = pending
        .into_par_iter()
        .map(|(header, series)| channel_from_series(path, header, series))
        .collect::<Result<_>>()?;
    if channels.is_empty() {
        return Err(CaptureError::invalid(path, "no channel columns"));
    }
    if height == 0 {
        return Err(CaptureError::invalid(path, "no rows"));
    }

    let mut metadata: Vec<(String, String)> =
        meta(KEY_METADATA).and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default();
    let timebase = match (rate, time_column) {
        (Some(rate), _) => Timebase::Fixed { sample_rate_hz: rate },
        (None, Some(series)) => {
            let (times, first) = time_values(path, &series)?;
            start = start.or(first);
            let (timebase, offset_s) = timebase_from_times(path, times)?;
            if offset_s != 0.0 && first.is_none() {
                metadata.push(("time_offset_s".to_string(), offset_s.to_string()));
            }
            timebase
        }
        (None, None) => {
            return Err(CaptureError::invalid(
                path,
                format!("no time: expected a 'time_s' or 'time' column or the metadata key {KEY_SAMPLE_RATE}"),
            ));
        }
    };
    let parse_opt = |key: &str| meta(key).and_then(|v| v.trim().parse::<f64>().ok()).filter(|v| v.is_finite());
    Ok(Capture {
        name: file_name(path),
        format: Format::Parquet,
        start,
        timebase,
        channels,
        line_frequency_hz: parse_opt(KEY_LINE_FREQUENCY),
        trigger_s: parse_opt(KEY_TRIGGER),
        metadata,
    })
}

/// Converts one column to a channel: numbers to `f32` (nulls are missing samples),
/// booleans to bits.
fn channel_from_series(path: &Path, header: ColumnHeader, series: Series) -> Result<Channel> {
    let dtype = series.dtype();
    if dtype == &DataType::Boolean {
        let ca = series.bool().map_err(|e| CaptureError::invalid(path, e.to_string()))?;
        if header.kind == ChannelKind::Digital {
            return Ok(Channel::digital(header.name, ca.iter().map(|b| b == Some(true)).collect()));
        }
    }
    if !(dtype.is_primitive_numeric() || dtype == &DataType::Boolean) {
        return Err(CaptureError::invalid(
            path,
            format!("column '{}' has type {dtype}, expected numbers or booleans", header.name),
        ));
    }
    let series = if dtype == &DataType::Float32 {
        series
    } else {
        series.cast(&DataType::Float32).map_err(|e| CaptureError::invalid(path, e.to_string()))?
    };
    let ca = series.f32().cloned().map_err(|e| CaptureError::invalid(path, e.to_string()))?;
    drop(series);
    let values = f32_values_owned(ca);
    if let Some(row) = values.iter().position(|v| v.is_infinite()) {
        return Err(CaptureError::invalid(path, format!("column '{}' row {}: infinite value", header.name, row + 1)));
    }
    channel_from_values(path, header, values).map_err(|e| match e {
        CaptureError::Line { line, message, .. } => CaptureError::invalid(path, format!("row {}: {message}", line - 1)),
        other => other,
    })
}

/// Seconds of each row, and the absolute time of the first row when the column holds
/// timestamps.
fn time_values(path: &Path, series: &Series) -> Result<(Vec<f64>, Option<DateTime<Utc>>)> {
    let kind = time_column_kind(series.name().as_str());
    if kind == Some(TimeColumn::Timestamp) && series.dtype() == &DataType::String {
        let ca = series.str().map_err(|e| CaptureError::invalid(path, e.to_string()))?;
        return seconds_from_rfc3339(ca, |row, _| {
            CaptureError::invalid(path, format!("row {}: time is not an RFC 3339 timestamp", row + 1))
        });
    }
    let cast = series.cast(&DataType::Float64).map_err(|_| {
        CaptureError::invalid(path, format!("time column has type {}, expected seconds", series.dtype()))
    })?;
    let ca = cast.f64().map_err(|e| CaptureError::invalid(path, e.to_string()))?;
    let mut times = Vec::with_capacity(ca.len());
    for (row, t) in ca.iter().enumerate() {
        match t {
            Some(t) if t.is_finite() => times.push(t),
            _ => return Err(CaptureError::invalid(path, format!("row {}: time is empty or not finite", row + 1))),
        }
    }
    Ok((times, None))
}

/// Writes a capture as Parquet with panelscope metadata, atomically.
pub fn write(capture: &Capture, path: &Path) -> Result<()> {
    let n = capture.sample_count();
    let mut columns: Vec<Column> = Vec::with_capacity(capture.channels.len() + 1);
    let mut pairs = Vec::new();
    match &capture.timebase {
        Timebase::Fixed { sample_rate_hz } => pairs.push((KEY_SAMPLE_RATE.to_string(), sample_rate_hz.to_string())),
        Timebase::Irregular { times_s } => columns.push(Column::new("time_s".into(), times_s.as_slice())),
    }
    for ch in &capture.channels {
        let column = match &ch.samples {
            Samples::Analog(v) => Column::new(ch.name.as_str().into(), v.as_slice()),
            Samples::Digital(b) => Column::new(ch.name.as_str().into(), b.iter().collect::<Vec<bool>>()),
        };
        columns.push(column);
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
    let mut df = DataFrame::new(n, columns).map_err(|e| CaptureError::invalid(path, e.to_string()))?;
    let mut out = PendingFile::create(path)?;
    ParquetWriter::new(&mut out)
        .with_compression(ParquetCompression::Uncompressed)
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(pairs)))
        .finish(&mut df)
        .map_err(|e| CaptureError::invalid(path, format!("cannot write Parquet: {e}")))?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Bits;

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

    #[test]
    fn foreign_file_with_time_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.parquet");
        let mut df = DataFrame::new(
            3,
            vec![
                Column::new("time_s".into(), &[0.0f64, 0.01, 0.02]),
                Column::new("I_1 [A]".into(), &[1.0f64, 2.0, 3.0]),
                Column::new("count".into(), &[1i32, 2, 3]),
            ],
        )
        .unwrap();
        ParquetWriter::new(File::create(&path).unwrap()).finish(&mut df).unwrap();
        let c = read(&path).unwrap();
        assert_eq!(c.sample_rate_hz(), Some(100.0));
        assert_eq!(c.channels[0].name, "I_1");
        assert_eq!(c.channels[0].kind, ChannelKind::Current);
        assert_eq!(c.channels[1].analog_values().unwrap(), &[1.0, 2.0, 3.0]);
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
}
