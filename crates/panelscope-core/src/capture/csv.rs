//! Wide CSV captures: a header row, a time column (`time_s` or RFC 3339 `time`), then one
//! column per channel with an optional unit in brackets (`V_A [V]`).
//!
//! Parsing is done by polars; a streaming pre-pass checks the shape of every line first so
//! that errors name the line, and a diagnostic pass finds the cell polars could not parse.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::{Bits, Capture, CaptureError, Channel, ChannelKind, Format, PendingFile, Result, Samples, Timebase};

/// What the header says about one column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnHeader {
    pub name: String,
    pub unit: String,
    pub kind: ChannelKind,
}

/// Splits `V_A [V]` into name and unit; `[digital]` marks a digital channel.
pub(crate) fn parse_column_header(raw: &str) -> ColumnHeader {
    let raw = raw.trim().trim_matches('"').trim();
    let (name, unit) = match (raw.rfind('['), raw.ends_with(']')) {
        (Some(open), true) if open > 0 => (raw[..open].trim(), raw[open + 1..raw.len() - 1].trim()),
        _ => (raw, ""),
    };
    if unit.eq_ignore_ascii_case("digital") {
        return ColumnHeader { name: name.to_string(), unit: String::new(), kind: ChannelKind::Digital };
    }
    ColumnHeader { name: name.to_string(), unit: unit.to_string(), kind: ChannelKind::infer(name, unit) }
}

/// The header text for a channel, the inverse of [`parse_column_header`].
pub(crate) fn column_header_text(channel: &Channel) -> String {
    match (&channel.samples, channel.unit.is_empty()) {
        (Samples::Digital(_), _) => format!("{} [digital]", channel.name),
        (Samples::Analog(_), true) => channel.name.clone(),
        (Samples::Analog(_), false) => format!("{} [{}]", channel.name, channel.unit),
    }
}

/// How the time column is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TimeColumn {
    /// Seconds as a float.
    Seconds,
    /// RFC 3339 timestamps.
    Timestamp,
}

/// Recognises the time column's header.
pub(crate) fn time_column_kind(name: &str) -> Option<TimeColumn> {
    let header = parse_column_header(name);
    match header.name.to_ascii_lowercase().as_str() {
        "time_s" | "t_s" => Some(TimeColumn::Seconds),
        "time" | "t" | "timestamp" if header.unit.eq_ignore_ascii_case("s") => Some(TimeColumn::Seconds),
        "time" | "timestamp" => Some(TimeColumn::Timestamp),
        _ => None,
    }
}

/// Reads a wide CSV capture.
pub fn read(path: &Path) -> Result<Capture> {
    let file = File::open(path).map_err(|e| CaptureError::io(path, e))?;
    let (header_fields, data_lines) = prescan(path, file)?;
    let Some(time_kind) = time_column_kind(&header_fields[0]) else {
        return Err(CaptureError::line(
            path,
            1,
            format!("first column is '{}', expected 'time_s' (seconds) or 'time' (RFC 3339)", header_fields[0].trim()),
        ));
    };
    if header_fields.len() < 2 {
        return Err(CaptureError::line(path, 1, "no channel columns after the time column"));
    }
    if data_lines == 0 {
        return Err(CaptureError::invalid(path, "no data rows after the header"));
    }
    let headers: Vec<ColumnHeader> = header_fields[1..].iter().map(|h| parse_column_header(h)).collect();
    check_unique_names(path, &headers)?;

    // Column names are replaced by positional ones so that odd header text (quotes,
    // duplicates) never reaches polars.
    let mut schema = Schema::with_capacity(header_fields.len());
    let time_dtype = match time_kind {
        TimeColumn::Seconds => DataType::Float64,
        TimeColumn::Timestamp => DataType::String,
    };
    schema.insert("c0".into(), time_dtype);
    for (i, _) in headers.iter().enumerate() {
        schema.insert(format!("c{}", i + 1).into(), DataType::Float32);
    }
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .map_parse_options(|o| o.with_truncate_ragged_lines(false))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|r| r.finish())
        .map_err(|e| diagnose(path, &headers, time_kind, e))?;

    // Columns are converted one at a time and dropped, so that polars' copy and ours
    // never both hold the whole capture.
    let mut columns = df.into_columns().into_iter();
    let Some(time) = columns.next() else {
        return Err(CaptureError::invalid(path, "no columns"));
    };
    let (timebase, start, offset_s) = read_time_column(path, time.as_materialized_series(), time_kind)?;
    drop(time);
    let mut channels = Vec::with_capacity(headers.len());
    for (header, column) in headers.into_iter().zip(columns) {
        let ca =
            column.take_materialized_series().f32().cloned().map_err(|e| CaptureError::invalid(path, e.to_string()))?;
        let values = f32_values_owned(ca);
        if let Some(row) = values.iter().position(|v| v.is_infinite()) {
            return Err(CaptureError::line(
                path,
                row + 2,
                format!("column '{}' holds an infinite value; expected a finite number or an empty cell", header.name),
            ));
        }
        channels.push(channel_from_values(path, header, values)?);
    }
    let mut capture = Capture {
        name: file_name(path),
        format: Format::Csv,
        start,
        timebase,
        channels,
        line_frequency_hz: None,
        trigger_s: None,
        metadata: Vec::new(),
    };
    if offset_s != 0.0 {
        capture.metadata.push(("time_offset_s".into(), offset_s.to_string()));
    }
    Ok(capture)
}

/// The final component of `path`, for naming a capture.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// Refuses two channels of one name: every later step looks channels up by name.
pub(crate) fn check_unique_names(path: &Path, headers: &[ColumnHeader]) -> Result<()> {
    let mut names: Vec<&str> = headers.iter().map(|h| h.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(CaptureError::line(path, 1, format!("two columns are named '{}'", w[0])));
    }
    if headers.iter().any(|h| h.name.is_empty()) {
        return Err(CaptureError::line(path, 1, "a column has an empty name"));
    }
    Ok(())
}

/// Copies a float column out of polars; nulls become NaN (missing samples).
pub(crate) fn f32_values(ca: &Float32Chunked) -> Vec<f32> {
    let mut out = Vec::with_capacity(ca.len());
    for arr in ca.downcast_iter() {
        let values = arr.values().as_slice();
        match arr.validity().filter(|v| v.unset_bits() > 0) {
            None => out.extend_from_slice(values),
            Some(validity) => {
                out.extend(values.iter().zip(validity.iter()).map(|(&v, ok)| if ok { v } else { f32::NAN }))
            }
        }
    }
    out
}

/// Takes a float column out of polars without copying when polars' buffer is ours alone.
pub(crate) fn f32_values_owned(ca: Float32Chunked) -> Vec<f32> {
    if ca.null_count() > 0 {
        return f32_values(&ca);
    }
    let mut parts = ca
        .downcast_into_iter()
        .map(|array| array.into_inner().1.into_mut().either(|shared| shared.to_vec(), |owned| owned));
    let first = parts.next().unwrap_or_default();
    parts.fold(first, |mut all, part| {
        all.extend_from_slice(&part);
        all
    })
}

/// Builds an analog or digital channel from parsed values.
pub(crate) fn channel_from_values(path: &Path, header: ColumnHeader, values: Vec<f32>) -> Result<Channel> {
    if header.kind != ChannelKind::Digital {
        return Ok(Channel {
            name: header.name,
            kind: header.kind,
            unit: header.unit,
            samples: Samples::Analog(values),
        });
    }
    let mut bits = Bits::with_capacity(values.len());
    for (row, v) in values.iter().enumerate() {
        match *v {
            0.0 => bits.push(false),
            1.0 => bits.push(true),
            _ => {
                return Err(CaptureError::line(
                    path,
                    row + 2,
                    format!("digital column '{}' holds {v}, expected 0 or 1", header.name),
                ));
            }
        }
    }
    Ok(Channel::digital(header.name, bits))
}

/// Reads the header fields and checks that every data line has as many fields.
/// Returns the header fields and the number of data lines.
fn prescan(path: &Path, file: File) -> Result<(Vec<String>, usize)> {
    let mut reader = BufReader::with_capacity(1 << 22, file);
    let mut header = Vec::new();
    reader.read_until(b'\n', &mut header).map_err(|e| CaptureError::io(path, e))?;
    let header = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&header);
    let header = std::str::from_utf8(header)
        .map_err(|_| CaptureError::line(path, 1, "the header is not UTF-8 text"))?
        .trim_end_matches(['\r', '\n']);
    if header.trim().is_empty() {
        return Err(CaptureError::invalid(path, "the file is empty: expected a header row"));
    }
    let fields: Vec<String> = header.split(',').map(str::to_string).collect();
    let expected_commas = fields.len() - 1;

    let mut line_no = 1usize;
    let mut data_lines = 0usize;
    let mut commas = 0usize;
    let mut line_has_text = false;
    let mut buf = vec![0u8; 1 << 22];
    loop {
        let n = reader.read(&mut buf).map_err(|e| CaptureError::io(path, e))?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        if memchr::memchr2(b'"', 0, chunk).is_some() {
            let bad = memchr::memchr(0, chunk).map(|_| "a NUL byte").unwrap_or("a quote character");
            return Err(CaptureError::invalid(path, format!("data rows contain {bad}; expected plain numbers")));
        }
        let mut pos = 0;
        for nl in memchr::memchr_iter(b'\n', chunk).chain(std::iter::once(n)) {
            let part = &chunk[pos..nl];
            commas += memchr::memchr_iter(b',', part).count();
            line_has_text |= part.iter().any(|b| !b.is_ascii_whitespace());
            if nl == n {
                break;
            }
            line_no += 1;
            finish_line(path, line_no, &mut commas, &mut line_has_text, expected_commas, &mut data_lines)?;
            pos = nl + 1;
        }
    }
    if line_has_text || commas > 0 {
        line_no += 1;
        finish_line(path, line_no, &mut commas, &mut line_has_text, expected_commas, &mut data_lines)?;
    }
    Ok((fields, data_lines))
}

fn finish_line(
    path: &Path,
    line_no: usize,
    commas: &mut usize,
    has_text: &mut bool,
    expected_commas: usize,
    data_lines: &mut usize,
) -> Result<()> {
    if !*has_text && *commas == 0 {
        // A blank line: polars skips it too, but it would shift every later line number.
        return Err(CaptureError::line(path, line_no, "blank line inside the data"));
    }
    if *commas != expected_commas {
        return Err(CaptureError::line(
            path,
            line_no,
            format!("{} fields, expected {} as in the header", *commas + 1, expected_commas + 1),
        ));
    }
    *data_lines += 1;
    *commas = 0;
    *has_text = false;
    Ok(())
}

/// Finds the line and cell polars could not parse, by reading the file again line by line.
fn diagnose(path: &Path, headers: &[ColumnHeader], time_kind: TimeColumn, polars_error: PolarsError) -> CaptureError {
    let Ok(file) = File::open(path) else {
        return CaptureError::invalid(path, polars_error.to_string());
    };
    for (i, line) in BufReader::new(file).lines().enumerate().skip(1) {
        let Ok(line) = line else {
            return CaptureError::line(path, i + 1, "not UTF-8 text");
        };
        for (col, cell) in line.trim_end_matches('\r').split(',').enumerate() {
            let cell = cell.trim();
            let ok = match (col, time_kind) {
                (0, TimeColumn::Seconds) => cell.parse::<f64>().is_ok(),
                (0, TimeColumn::Timestamp) => DateTime::parse_from_rfc3339(cell).is_ok(),
                _ => cell.is_empty() || cell.parse::<f32>().is_ok(),
            };
            if !ok {
                let column = if col == 0 { "time".to_string() } else { format!("'{}'", headers[col - 1].name) };
                return CaptureError::line(path, i + 1, format!("column {column}: '{cell}' is not a number"));
            }
        }
    }
    CaptureError::invalid(path, polars_error.to_string())
}

/// Turns the time column into a timebase, the absolute start, and the offset of the
/// first sample in the file's own seconds.
fn read_time_column(path: &Path, series: &Series, kind: TimeColumn) -> Result<(Timebase, Option<DateTime<Utc>>, f64)> {
    let (times, start) = match kind {
        TimeColumn::Seconds => {
            let ca = series.f64().map_err(|e| CaptureError::invalid(path, e.to_string()))?;
            let mut times = Vec::with_capacity(ca.len());
            for (row, t) in ca.iter().enumerate() {
                match t {
                    Some(t) if t.is_finite() => times.push(t),
                    _ => return Err(CaptureError::line(path, row + 2, "time is empty or not finite")),
                }
            }
            (times, None)
        }
        TimeColumn::Timestamp => {
            let ca = series.str().map_err(|e| CaptureError::invalid(path, e.to_string()))?;
            let (times, first) = seconds_from_rfc3339(ca, |row, text| {
                CaptureError::line(path, row + 2, format!("time '{text}' is not an RFC 3339 timestamp"))
            })?;
            (times, first)
        }
    };
    let offset_s = times[0];
    let (timebase, _) = timebase_from_times(path, times)?;
    Ok((timebase, start, offset_s))
}

/// Seconds of each timestamp after the first, and the first as absolute UTC time.
/// `error(row, text)` builds the error for a cell that is not an RFC 3339 timestamp.
pub(crate) fn seconds_from_rfc3339(
    ca: &StringChunked,
    error: impl Fn(usize, &str) -> CaptureError,
) -> Result<(Vec<f64>, Option<DateTime<Utc>>)> {
    let mut times = Vec::with_capacity(ca.len());
    let mut first: Option<DateTime<Utc>> = None;
    for (row, text) in ca.iter().enumerate() {
        let text = text.unwrap_or("");
        let parsed = DateTime::parse_from_rfc3339(text.trim()).map_err(|_| error(row, text))?.with_timezone(&Utc);
        let t0 = *first.get_or_insert(parsed);
        times.push((parsed - t0).num_nanoseconds().unwrap_or(i64::MAX) as f64 * 1e-9);
    }
    Ok((times, first))
}

/// Infers a fixed rate when every interval is within 1% of the mean interval; otherwise
/// keeps the times (relative to the first). Errors when time goes backwards.
pub(crate) fn timebase_from_times(path: &Path, mut times: Vec<f64>) -> Result<(Timebase, f64)> {
    let t0 = times[0];
    if let Some(i) = times.windows(2).position(|w| w[1] <= w[0]) {
        return Err(CaptureError::line(
            path,
            i + 3,
            format!("time {} is not after the previous row's {}", times[i + 1], times[i]),
        ));
    }
    if times.len() == 1 {
        return Err(CaptureError::invalid(
            path,
            "a single row: at least two samples are needed to know the sample rate",
        ));
    }
    let n = times.len();
    let mean_dt = (times[n - 1] - t0) / (n - 1) as f64;
    let uniform = times.windows(2).all(|w| ((w[1] - w[0]) - mean_dt).abs() <= 0.01 * mean_dt);
    let rate = 1.0 / mean_dt;
    if uniform && rate.is_finite() && rate > 0.0 {
        return Ok((Timebase::Fixed { sample_rate_hz: round_rate(rate) }, t0));
    }
    for t in &mut times {
        *t -= t0;
    }
    Ok((Timebase::Irregular { times_s: times }, t0))
}

/// Snaps a measured rate to a nearby round value (4000.0000001 Hz is 4000 Hz).
pub(crate) fn round_rate(rate: f64) -> f64 {
    let rounded = (rate * 1000.0).round() / 1000.0;
    if ((rounded - rate) / rate).abs() < 1e-6 { rounded } else { rate }
}

/// Writes `time_s` (seconds from the first sample), the analog channels, then digital
/// channels as 0/1; a missing sample is an empty cell.
pub fn write(capture: &Capture, path: &Path) -> Result<()> {
    let mut out = PendingFile::create(path)?;
    write_to(capture, &mut out).map_err(|e| CaptureError::io(path, e))?;
    out.commit()
}

fn write_to(capture: &Capture, w: &mut impl Write) -> std::io::Result<()> {
    let ordered: Vec<&Channel> = capture
        .channels
        .iter()
        .filter(|c| c.is_analog())
        .chain(capture.channels.iter().filter(|c| !c.is_analog()))
        .collect();
    write!(w, "time_s")?;
    for ch in &ordered {
        write!(w, ",{}", column_header_text(ch).replace(',', ";"))?;
    }
    writeln!(w)?;
    let decimals = match capture.sample_rate_hz() {
        Some(rate) => (rate.log10().ceil().max(0.0) as usize + 3).min(12),
        None => 9,
    };
    let mut floats = ryu::Buffer::new();
    let mut line = String::with_capacity(16 * (ordered.len() + 1));
    for i in 0..capture.sample_count() {
        line.clear();
        use std::fmt::Write as _;
        let _ = write!(line, "{:.*}", decimals, capture.time_s(i));
        for ch in &ordered {
            line.push(',');
            match &ch.samples {
                Samples::Analog(v) if v[i].is_nan() => {}
                Samples::Analog(v) => line.push_str(floats.format(v[i])),
                Samples::Digital(b) => line.push(if b.get(i) == Some(true) { '1' } else { '0' }),
            }
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn header_units_and_kinds() {
        assert_eq!(
            parse_column_header("V_A [V]"),
            ColumnHeader { name: "V_A".into(), unit: "V".into(), kind: ChannelKind::Voltage }
        );
        assert_eq!(parse_column_header(" I_01 [A] ").kind, ChannelKind::Current);
        assert_eq!(parse_column_header("P_total").kind, ChannelKind::Power);
        assert_eq!(parse_column_header("U1").kind, ChannelKind::Voltage);
        assert_eq!(parse_column_header("temp [degC]").kind, ChannelKind::Other);
        assert_eq!(parse_column_header("TRIP [digital]").kind, ChannelKind::Digital);
    }

    #[test]
    fn reads_fixed_rate_with_units_and_missing_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "a.csv", "time_s,V_A [V],I_1 [A]\n0.000,1.5,2\n0.001,,3\n0.002,-1.25,4\n");
        let c = read(&path).unwrap();
        assert_eq!(c.sample_rate_hz(), Some(1000.0));
        assert_eq!(c.sample_count(), 3);
        assert_eq!(c.channels[0].unit, "V");
        assert_eq!(c.channels[0].kind, ChannelKind::Voltage);
        let v = c.channels[0].analog_values().unwrap();
        assert_eq!(v[0], 1.5);
        assert!(v[1].is_nan());
        assert_eq!(c.channels[1].analog_values().unwrap(), &[2.0, 3.0, 4.0]);
    }

    #[test]
    fn irregular_time_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, "a.csv", "time_s,x\n10.0,1\n10.1,2\n10.5,3\n");
        let c = read(&path).unwrap();
        let Timebase::Irregular { times_s } = &c.timebase else { panic!("expected irregular") };
        assert!((times_s[2] - 0.5).abs() < 1e-12);
        assert!(c.metadata.iter().any(|(k, v)| k == "time_offset_s" && v == "10"));
    }

    #[test]
    fn rfc3339_time_gives_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(
            &dir,
            "a.csv",
            "time,V\n2026-01-02T03:04:05Z,1\n2026-01-02T03:04:05.5Z,2\n2026-01-02T03:04:06Z,3\n",
        );
        let c = read(&path).unwrap();
        assert_eq!(c.sample_rate_hz(), Some(2.0));
        assert_eq!(c.start.unwrap().to_rfc3339(), "2026-01-02T03:04:05+00:00");
    }

    #[test]
    fn errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("empty.csv", "", "empty"),
            ("header.csv", "time_s,a\n", "no data rows"),
            ("ragged.csv", "time_s,a,b\n0,1,2\n1,2\n", "line 3: 2 fields, expected 3"),
            ("long.csv", "time_s,a\n0,1\n1,2,3\n", "line 3: 3 fields, expected 2"),
            ("text.csv", "time_s,a\n0,1\n1,abc\n", "line 3: column 'a': 'abc' is not a number"),
            ("inf.csv", "time_s,a\n0,1\n1,inf\n", "line 3: column 'a' holds an infinite value"),
            ("notime.csv", "x,a\n0,1\n", "line 1: first column is 'x'"),
            ("back.csv", "time_s,a\n0,1\n1,1\n0.5,1\n", "line 4: time 0.5 is not after"),
            ("nan_time.csv", "time_s,a\n0,1\nNaN,1\n", "line 3: time is empty or not finite"),
            ("blank.csv", "time_s,a\n0,1\n\n1,2\n", "line 3: blank line"),
            ("dup.csv", "time_s,a,a\n0,1,2\n", "two columns are named 'a'"),
            ("fast.csv", "time_s,a\n0,1\n1e-12,2\n2e-12,3\n", "absurd"),
            ("digital.csv", "time_s,T [digital]\n0,1\n1,2\n", "line 3: digital column 'T' holds 2"),
        ];
        for (name, text, expected) in cases {
            let path = write_file(&dir, name, text);
            let err = crate::capture::read(&path).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
            assert!(err.contains(expected), "{name}: {err}");
        }
    }

    #[test]
    fn round_trip_keeps_values_bit_exact() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Capture::new("x", Format::Memory, 4000.0);
        c.channels.push(Channel::analog("V_A", "V", None, vec![0.1, -170.123_46, f32::NAN, 1e-7]));
        c.channels.push(Channel::digital("TRIP", [false, true, true, false].into_iter().collect()));
        c.channels.push(Channel::analog("I_1", "A", None, vec![1.0, 2.0, 3.0, f32::MIN_POSITIVE]));
        let path = dir.path().join("out.csv");
        write(&c, &path).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back.sample_rate_hz(), Some(4000.0));
        assert_eq!(back.channels.len(), 3);
        // Analog first, then digital.
        assert_eq!(back.channels[0].name, "V_A");
        assert_eq!(back.channels[1].name, "I_1");
        assert_eq!(back.channels[2], c.channels[1]);
        let v = back.channels[0].analog_values().unwrap();
        let orig = c.channels[0].analog_values().unwrap();
        for (a, b) in v.iter().zip(orig) {
            assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()));
        }
    }
}
