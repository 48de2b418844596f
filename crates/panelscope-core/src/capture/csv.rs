//! Wide CSV captures: a header row, a time column (`time_s` or RFC 3339 `time`), then one
//! column per channel with an optional unit in brackets (`V_A [V]`).
//!
//! One streaming pass reads the file in blocks, splits each block at line ends and parses
//! its lines on every core; every error names its line (and its cell), and the file is
//! never held whole beside the samples.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use super::{
    AnalogSink, Bits, Capture, CaptureError, Channel, ChannelKind, Format, Keep, PendingFile, Result, Samples, Scan,
    Timebase,
};

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

/// Bytes read per block; each block is parsed in parallel.
const BLOCK_BYTES: usize = 1 << 23;

/// Reads a wide CSV capture.
pub fn read(path: &Path, open: &super::Opener<'_>) -> Result<Capture> {
    read_keeping(path, open, Keep::Samples).map(|scan| scan.capture)
}

/// Reads a CSV capture keeping of each analog channel what `keep` says (a channel whose
/// samples are not kept has none in the capture). A `time_s` column is followed, not
/// held, and read again only when its times are irregular.
pub(crate) fn read_keeping(path: &Path, open: &super::Opener<'_>, keep: Keep) -> Result<Scan> {
    let file = open(path).map_err(|e| CaptureError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let header_fields = read_header(path, &mut reader)?;
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
    if header_fields.len() - 1 > super::MAX_CHANNELS {
        return Err(CaptureError::line(
            path,
            1,
            format!("{} channel columns: at most {}", header_fields.len() - 1, super::MAX_CHANNELS),
        ));
    }
    let headers: Vec<ColumnHeader> = header_fields[1..].iter().map(|h| parse_column_header(h)).collect();
    check_unique_names(path, &headers)?;

    let file_bytes = reader.get_ref().metadata().map_or(0, |m| m.len());
    let mut rows = Collected {
        track: TimeTrack::default(),
        clock: Vec::new(),
        sinks: headers
            .iter()
            .map(|h| {
                // A 0/1 column read as digital is checked sample by sample: kept.
                let keep = if h.kind == ChannelKind::Digital { Keep::Samples } else { keep };
                AnalogSink::new(path, keep, 0, &format!("column '{}'", h.name))
            })
            .collect::<Result<_>>()?,
        rows: 0,
    };
    // The next block is read while this one is parsed.
    let fill = |reader: &mut BufReader<std::fs::File>, block: &mut Vec<u8>| -> Result<bool> {
        // Into the spare capacity, which is never zeroed first (zeroing 8 MB a block was
        // 6% of a read's time); the slack keeps `read_to_end` from growing the buffer.
        block.reserve(BLOCK_BYTES + 64);
        let n = reader.take(BLOCK_BYTES as u64).read_to_end(block).map_err(|e| CaptureError::io(path, e))?;
        Ok(n == 0)
    };
    let mut block: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + (1 << 16));
    let mut next: Vec<u8> = Vec::with_capacity(BLOCK_BYTES + (1 << 16));
    let mut at_end = fill(&mut reader, &mut block)?;
    let (mut next_line, mut parsed_bytes) = (2usize, 0u64);
    loop {
        // Whole lines now; a partial last line waits for the next block.
        let cut = if at_end { block.len() } else { memchr::memrchr(b'\n', &block).map_or(0, |i| i + 1) };
        next.clear();
        next.extend_from_slice(&block[cut..]);
        let (parsed, next_at_end) = rayon::join(
            || match cut {
                0 => Ok(next_line),
                _ => parse_block(path, &headers, time_kind, &block[..cut], next_line, &mut rows),
            },
            || if at_end { Ok(true) } else { fill(&mut reader, &mut next) },
        );
        next_line = parsed?;
        if parsed_bytes == 0 && cut > 0 {
            // Room for the whole file's rows, at this block's bytes per line and then
            // some: room never written to costs address space, not memory.
            let per_line = cut as f64 / (next_line - 2).max(1) as f64;
            rows.reserve((file_bytes as f64 / per_line * 1.25) as usize);
        }
        parsed_bytes += cut as u64;
        if at_end {
            break;
        }
        at_end = next_at_end?;
        std::mem::swap(&mut block, &mut next);
    }
    if rows.rows == 0 {
        return Err(CaptureError::invalid(path, "no data rows after the header"));
    }
    let ((timebase, offset_s), start) = match time_kind {
        TimeColumn::Seconds => match rows.track.fixed_rate() {
            Some((sample_rate_hz, first_s)) => ((Timebase::Fixed { sample_rate_hz }, first_s), None),
            None => (timebase_from_times(path, seconds_again(path, open, rows.rows)?)?, None),
        },
        TimeColumn::Timestamp => {
            let t0 = rows.clock[0];
            let times =
                rows.clock.iter().map(|t| (*t - t0).num_nanoseconds().unwrap_or(i64::MAX) as f64 * 1e-9).collect();
            ((timebase_from_times(path, times)?.0, 0.0), Some(t0))
        }
    };
    let mut stats = Vec::with_capacity(headers.len());
    let channels = headers
        .into_iter()
        .zip(rows.sinks)
        .map(|(header, sink)| {
            let (values, running) = sink.finish();
            let channel = channel_from_values(path, header, values)?;
            stats.push(match (running, &channel.samples) {
                (Some(running), _) => running,
                (None, Samples::Analog(v)) if keep == Keep::Stats => crate::analysis::stats::stats(v),
                (None, _) => None,
            });
            Ok(channel)
        })
        .collect::<Result<Vec<_>>>()?;
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
    Ok(Scan { capture, sample_count: rows.rows, stats })
}

/// The `time_s` column read again, line by line: the first reading found its times
/// irregular (or refused by [`timebase_from_times`]), so they are needed after all. Every
/// line was checked by then; a line that no longer parses means the file changed.
fn seconds_again(path: &Path, open: &super::Opener<'_>, rows: usize) -> Result<Vec<f64>> {
    let file = open(path).map_err(|e| CaptureError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    read_header(path, &mut reader)?;
    let mut times = super::room_for(path, rows, "the time column")?;
    let mut line = Vec::new();
    while times.len() < rows {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(|e| CaptureError::io(path, e))? == 0 {
            break;
        }
        let cell = line.split(|&b| b == b',').next().unwrap_or_default().trim_ascii();
        let t = fast_float2::parse::<f64, _>(cell).map_err(|_| {
            CaptureError::line(path, times.len() + 2, "the file changed while it was read: the time no longer parses")
        })?;
        times.push(t);
    }
    if times.len() < rows {
        return Err(CaptureError::invalid(path, "the file changed while it was read: it is shorter"));
    }
    Ok(times)
}

/// The rows as they are kept: the seconds followed (clock times kept), each channel into
/// its sink, in file order.
struct Collected {
    track: TimeTrack,
    clock: Vec<DateTime<Utc>>,
    sinks: Vec<AnalogSink>,
    rows: usize,
}

impl Collected {
    /// Adds parts parsed in order; the channels in parallel.
    fn append(&mut self, parts: &[Rows]) {
        for part in parts {
            match &part.time {
                Times::Seconds(t) => self.track.push(t),
                Times::Clock(t) => self.clock.extend_from_slice(t),
            }
            self.rows += part.len();
        }
        self.sinks.par_iter_mut().enumerate().for_each(|(c, sink)| {
            for part in parts {
                sink.push(&part.columns[c]);
            }
        });
    }

    /// Room for about `rows` rows in all (an estimate: nothing is refused if it is off).
    fn reserve(&mut self, rows: usize) {
        let more = rows.saturating_sub(self.rows);
        for sink in &mut self.sinks {
            sink.reserve(more);
        }
    }
}

/// The summary of a CSV capture from its time column alone, in one streaming pass of
/// constant memory (no sample is kept); `None` when the time is RFC 3339 or a line does not
/// parse, where only a full read can say what is wrong.
pub fn summary(path: &Path, open: &super::Opener<'_>) -> Result<Option<super::Summary>> {
    let file = open(path).map_err(|e| CaptureError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let header_fields = read_header(path, &mut reader)?;
    if time_column_kind(&header_fields[0]) != Some(TimeColumn::Seconds) || header_fields.len() < 2 {
        return Ok(None);
    }
    let mut track = TimeTrack::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(|e| CaptureError::io(path, e))? == 0 {
            break;
        }
        let cell = line.split(|&b| b == b',').next().unwrap_or_default().trim_ascii();
        let Ok(t) = fast_float2::parse::<f64, _>(cell) else { return Ok(None) };
        if !t.is_finite() {
            return Ok(None);
        }
        track.push(&[t]);
    }
    if track.count() < 2 || track.backwards {
        return Ok(None);
    }
    let n = track.count();
    let sample_rate_hz = track.fixed_rate().map(|(rate, _)| rate);
    Ok(Some(super::Summary {
        format: Format::Csv,
        sample_count: n,
        sample_rate_hz,
        duration_s: sample_rate_hz.map_or(track.previous - track.first, |rate| n as f64 / rate),
        channels: header_fields.len() - 1,
    }))
}

/// The header row's fields (a byte-order mark is skipped).
fn read_header(path: &Path, reader: &mut impl BufRead) -> Result<Vec<String>> {
    let mut header = Vec::new();
    reader.read_until(b'\n', &mut header).map_err(|e| CaptureError::io(path, e))?;
    let header = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&header);
    let header = std::str::from_utf8(header)
        .map_err(|_| CaptureError::line(path, 1, "the header is not UTF-8 text"))?
        .trim_end_matches(['\r', '\n']);
    if header.trim().is_empty() {
        return Err(CaptureError::invalid(path, "the file is empty: expected a header row"));
    }
    Ok(header.split(',').map(str::to_string).collect())
}

/// The time column as read: seconds, or clock times.
enum Times {
    Seconds(Vec<f64>),
    Clock(Vec<DateTime<Utc>>),
}

/// Parsed rows: the time column and one array per channel.
struct Rows {
    time: Times,
    columns: Vec<Vec<f32>>,
}

impl Rows {
    /// Room for `rows` rows of `channels` channels, the time as `kind` says.
    fn new(kind: TimeColumn, channels: usize, rows: usize) -> Self {
        let time = match kind {
            TimeColumn::Seconds => Times::Seconds(Vec::with_capacity(rows)),
            TimeColumn::Timestamp => Times::Clock(Vec::with_capacity(rows)),
        };
        Self { time, columns: (0..channels).map(|_| Vec::with_capacity(rows)).collect() }
    }

    fn len(&self) -> usize {
        match &self.time {
            Times::Seconds(t) => t.len(),
            Times::Clock(t) => t.len(),
        }
    }
}

/// Parses the whole lines of `block` (its first is line `first_line` of the file) in
/// parallel and appends them to `rows`; returns the number of the line after the block.
fn parse_block(
    path: &Path,
    headers: &[ColumnHeader],
    time_kind: TimeColumn,
    block: &[u8],
    first_line: usize,
    rows: &mut Collected,
) -> Result<usize> {
    let mut starts = vec![0usize];
    starts.extend(memchr::memchr_iter(b'\n', block).map(|i| i + 1));
    // A block that ends with a line end has no line after it.
    if starts.last() == Some(&block.len()) {
        starts.pop();
    }
    let lines = starts.len();
    let parts = (rayon::current_num_threads() * 4).clamp(1, lines.max(1));
    let bounds: Vec<(usize, usize)> = (0..parts).map(|p| (p * lines / parts, (p + 1) * lines / parts)).collect();
    let parsed: Vec<Result<Rows>> = bounds
        .par_iter()
        .map(|&(lo, hi)| {
            let mut part = Rows::new(time_kind, headers.len(), hi - lo);
            for k in lo..hi {
                let end = starts.get(k + 1).map_or(block.len(), |&e| e - 1);
                let line = &block[starts[k]..end];
                parse_line(path, headers, line, &block[starts[k]..], first_line + k, &mut part)?;
            }
            Ok(part)
        })
        .collect();
    let parsed = parsed.into_iter().collect::<Result<Vec<Rows>>>()?;
    rows.append(&parsed);
    Ok(first_line + lines)
}

/// Parses one data line into `rows`: bytes straight to numbers, an error naming the line
/// (and the cell) for anything else.
fn parse_line(
    path: &Path,
    headers: &[ColumnHeader],
    line: &[u8],
    after: &[u8],
    line_no: usize,
    rows: &mut Rows,
) -> Result<()> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if parse_plain_line(line, after, rows) {
        return Ok(());
    }
    parse_line_checked(path, headers, line, line_no, rows)
}

/// The common line, in one pass: seconds and numbers (or empty cells) between commas, as
/// many as the header has. Anything else returns `false` having added nothing, and the
/// checked parse says what is wrong.
fn parse_plain_line(line: &[u8], after: &[u8], rows: &mut Rows) -> bool {
    debug_assert!(after.starts_with(line));
    /// The number in the cell at `at` (`None` when empty) and where the next cell starts:
    /// past its comma, or past the line's end after the last cell; `None` for a cell that
    /// is no plain number, or an infinity.
    fn cell<T: fast_float2::FastFloat + super::decimal::Plain>(
        line: &[u8],
        after: &[u8],
        at: usize,
    ) -> Option<(Option<T>, usize)> {
        // Nearly every cell: a plain number right up to the comma or the line's end. It is
        // scanned in the block, so that the last cell's digits too are read eight at a
        // time: the line's end (a line feed, a carriage return) stops the number.
        if let Some((v, used)) = after.get(at..).and_then(super::decimal::scan::<T>) {
            let end = at + used;
            if end == line.len() || (end < line.len() && line[end] == b',') {
                return Some((Some(v), end + 1));
            }
        }
        let skip = |mut i: usize| {
            while line.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            i
        };
        let i = skip(at);
        let (value, i) = match line.get(i) {
            None | Some(b',') => (None, i),
            Some(_) => {
                let (v, used) = fast_float2::parse_partial::<T, _>(line.get(i..)?).ok()?;
                if v.is_infinite() {
                    return None;
                }
                (Some(v), i + used)
            }
        };
        let i = skip(i);
        match line.get(i) {
            None | Some(b',') => Some((value, i + 1)),
            Some(_) => None,
        }
    }
    let Times::Seconds(times) = &mut rows.time else { return false };
    let Some((Some(t), mut at)) = cell::<f64>(line, after, 0) else { return false };
    if !t.is_finite() {
        return false;
    }
    // Straight into the columns; a line that turns out not to be plain is taken back out.
    let taken_back = |columns: &mut [Vec<f32>]| {
        columns.iter_mut().for_each(|c| {
            c.pop();
        });
        false
    };
    for c in 0..rows.columns.len() {
        // A cell before the last must end at a comma, not at the line's end.
        if at > line.len() {
            return taken_back(&mut rows.columns[..c]);
        }
        match cell::<f32>(line, after, at) {
            // (A plain decimal is never infinite: only the general parse is checked.)
            Some((value, next)) => {
                rows.columns[c].push(value.unwrap_or(f32::NAN));
                at = next;
            }
            None => return taken_back(&mut rows.columns[..c]),
        }
    }
    // The last cell ends the line.
    if at != line.len() + 1 {
        return taken_back(&mut rows.columns);
    }
    times.push(t);
    true
}

/// [`parse_line`] cell by cell, with an error for each way a line can be wrong.
fn parse_line_checked(
    path: &Path,
    headers: &[ColumnHeader],
    line: &[u8],
    line_no: usize,
    rows: &mut Rows,
) -> Result<()> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(CaptureError::line(path, line_no, "blank line inside the data"));
    }
    if let Some(i) = memchr::memchr2(b'"', 0, line) {
        let what = if line[i] == 0 { "a NUL byte" } else { "a quote character" };
        return Err(CaptureError::line(path, line_no, format!("{what}; expected plain numbers")));
    }
    let fields = memchr::memchr_iter(b',', line).count() + 1;
    if fields != headers.len() + 1 {
        return Err(CaptureError::line(
            path,
            line_no,
            format!("{fields} fields, expected {} as in the header", headers.len() + 1),
        ));
    }
    let text = |cell: &[u8]| String::from_utf8_lossy(cell).into_owned();
    let mut cells = line.split(|&b| b == b',').map(<[u8]>::trim_ascii);
    let time = cells.next().unwrap_or_default();
    match &mut rows.time {
        Times::Seconds(t) => match fast_float2::parse::<f64, _>(time) {
            Ok(v) if v.is_finite() => t.push(v),
            Err(_) if !time.is_empty() => {
                return Err(CaptureError::line(
                    path,
                    line_no,
                    format!("column time: '{}' is not a number", text(time)),
                ));
            }
            _ => return Err(CaptureError::line(path, line_no, "time is empty or not finite")),
        },
        Times::Clock(t) => match std::str::from_utf8(time).ok().and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
            Some(at) => t.push(at.with_timezone(&Utc)),
            None => {
                let message = format!("time '{}' is not an RFC 3339 timestamp", text(time));
                return Err(CaptureError::line(path, line_no, message));
            }
        },
    }
    for ((cell, column), header) in cells.zip(rows.columns.iter_mut()).zip(headers) {
        let value = if cell.is_empty() {
            f32::NAN
        } else {
            fast_float2::parse::<f32, _>(cell).map_err(|_| {
                CaptureError::line(path, line_no, format!("column '{}': '{}' is not a number", header.name, text(cell)))
            })?
        };
        if value.is_infinite() {
            return Err(CaptureError::line(
                path,
                line_no,
                format!("column '{}' holds an infinite value; expected a finite number or an empty cell", header.name),
            ));
        }
        column.push(value);
    }
    Ok(())
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

/// Infers a fixed rate when every interval is within 1% of the mean interval; otherwise
/// keeps the times (relative to the first; a repeated time is kept, as the model allows).
/// Errors when time goes backwards.
pub(crate) fn timebase_from_times(path: &Path, mut times: Vec<f64>) -> Result<(Timebase, f64)> {
    let t0 = times[0];
    if let Some(i) = times.windows(2).position(|w| w[1] < w[0]) {
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

/// A time column followed as it is read, without holding it: enough to tell the fixed rate
/// [`timebase_from_times`] would infer. When it would not infer one (irregular times, time
/// going backwards, a single row), the times are needed after all and the caller reads
/// them again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeTrack {
    count: usize,
    first: f64,
    previous: f64,
    min_dt: f64,
    max_dt: f64,
    backwards: bool,
}

impl Default for TimeTrack {
    fn default() -> Self {
        Self { count: 0, first: 0.0, previous: 0.0, min_dt: f64::INFINITY, max_dt: f64::NEG_INFINITY, backwards: false }
    }
}

impl TimeTrack {
    /// Follows the next times.
    pub(crate) fn push(&mut self, times: &[f64]) {
        let (Some(&head), Some(&last)) = (times.first(), times.last()) else { return };
        if self.count == 0 {
            self.first = head;
        } else {
            self.interval(self.previous, head);
        }
        // The intervals inside the slice, lane by lane so that the compiler vectorises them
        // (one interval at a time, each step waited on the one before).
        const LANES: usize = 4;
        let (mut lo, mut hi, mut back) = ([f64::INFINITY; LANES], [f64::NEG_INFINITY; LANES], [false; LANES]);
        let (earlier, later) = (&times[..times.len() - 1], &times[1..]);
        let rows = earlier.chunks_exact(LANES).zip(later.chunks_exact(LANES));
        let done = rows.len() * LANES;
        for (a, b) in rows {
            for l in 0..LANES {
                let dt = b[l] - a[l];
                back[l] |= b[l] < a[l];
                lo[l] = lo[l].min(dt);
                hi[l] = hi[l].max(dt);
            }
        }
        for l in 0..LANES {
            self.backwards |= back[l];
            self.min_dt = self.min_dt.min(lo[l]);
            self.max_dt = self.max_dt.max(hi[l]);
        }
        for (&a, &b) in earlier[done..].iter().zip(&later[done..]) {
            self.interval(a, b);
        }
        self.previous = last;
        self.count += times.len();
    }

    fn interval(&mut self, a: f64, b: f64) {
        let dt = b - a;
        self.backwards |= b < a;
        self.min_dt = self.min_dt.min(dt);
        self.max_dt = self.max_dt.max(dt);
    }

    /// The times followed.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The fixed rate and first time [`timebase_from_times`] gives for these times, exactly;
    /// `None` when it would keep the times or refuse them.
    pub(crate) fn fixed_rate(&self) -> Option<(f64, f64)> {
        if self.backwards || self.count < 2 {
            return None;
        }
        let mean_dt = (self.previous - self.first) / (self.count - 1) as f64;
        // Every interval's distance to the mean is largest at the shortest or the longest.
        let near = |dt: f64| (dt - mean_dt).abs() <= 0.01 * mean_dt;
        let rate = 1.0 / mean_dt;
        (near(self.min_dt) && near(self.max_dt) && rate.is_finite() && rate > 0.0)
            .then(|| (round_rate(rate), self.first))
    }
}

/// Snaps a measured rate to a nearby round value (4000.0000001 Hz is 4000 Hz).
pub(crate) fn round_rate(rate: f64) -> f64 {
    let rounded = (rate * 1000.0).round() / 1000.0;
    if ((rounded - rate) / rate).abs() < 1e-6 { rounded } else { rate }
}

/// Writes `time_s` (seconds from the first sample), the analog channels, then digital
/// channels as 0/1; a missing sample is an empty cell.
pub fn write(capture: &Capture, path: &Path) -> Result<()> {
    // CSV reads an infinite value as an error, so none is written (Parquet and COMTRADE
    // keep them).
    for ch in &capture.channels {
        if let Samples::Analog(v) = &ch.samples
            && let Some(i) = v.iter().position(|x| x.is_infinite())
        {
            return Err(CaptureError::invalid(
                path,
                format!(
                    "channel '{}' sample {} is infinite, which CSV cannot hold: write Parquet or COMTRADE",
                    ch.name,
                    i + 1
                ),
            ));
        }
    }
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

    fn read(path: &Path) -> Result<Capture> {
        super::read(path, &crate::capture::open_file)
    }

    fn summary(path: &Path) -> Result<Option<crate::capture::Summary>> {
        super::summary(path, &crate::capture::open_file)
    }

    fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The one-pass parse of a plain line takes exactly the lines the checked parse takes,
    /// with the same values, and leaves every other line to it.
    #[test]
    fn the_plain_line_parse_agrees_with_the_checked_one() {
        let headers: Vec<ColumnHeader> = ["A [A]", "B [A]"].iter().map(|h| parse_column_header(h)).collect();
        let lines = [
            "0.5,1,2",
            " 0.5 , 1 , 2 ",
            "0.5,,2",
            "0.5,1,",
            "0.5,,",
            "1,nan,2",
            "1,NaN,-0",
            "1,2e3,-4.5",
            "1,+2,.5",
            "1,2.,3",
            "1\t,2,3\t",
            "1,2,3,4",
            "1,2",
            "1",
            "",
            " ",
            ",1,2",
            "x,1,2",
            "1,inf,2",
            "1,-inf,2",
            "inf,1,2",
            "1,2 3,4",
            "1,0x10,2",
            "1,-,3",
            "1,2,\"3\"",
            "1,2,3\0",
            "1,1e39,2",
            "1,2,3 x",
            "1e400,1,2",
            "1,2,,",
            "1,,,",
        ];
        for line in lines {
            let mut plain = Rows::new(TimeColumn::Seconds, 2, 0);
            let mut checked = Rows::new(TimeColumn::Seconds, 2, 0);
            // The block goes on after the line: its next line must not be read into it.
            let after = format!("{line}\n9876543,21");
            let taken = parse_plain_line(line.as_bytes(), after.as_bytes(), &mut plain);
            let result = parse_line_checked(Path::new("t.csv"), &headers, line.as_bytes(), 2, &mut checked);
            if taken {
                assert!(result.is_ok(), "{line:?}: plain took it, checked says {result:?}");
            }
            let bits = |rows: &Rows| -> Vec<u32> { rows.columns.iter().flatten().map(|v| v.to_bits()).collect() };
            let times = |rows: &Rows| match &rows.time {
                Times::Seconds(t) => t.clone(),
                Times::Clock(_) => unreachable!(),
            };
            if taken || result.is_ok() {
                assert_eq!(taken, result.is_ok(), "{line:?}: only the checked parse took it");
                assert_eq!((bits(&plain), times(&plain)), (bits(&checked), times(&checked)), "{line:?}");
            } else {
                assert!(plain.columns.iter().all(Vec::is_empty) && times(&plain).is_empty(), "{line:?}");
            }
        }
    }

    #[test]
    fn a_time_track_is_the_same_whatever_the_slices() {
        let mut times: Vec<f64> = (0..1000).map(|i| i as f64 * 1e-4 + if i % 7 == 3 { 3e-7 } else { 0.0 }).collect();
        times[500] = times[499] - 1e-5;
        let reference = {
            let dts: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
            let min = dts.iter().copied().fold(f64::INFINITY, f64::min);
            let max = dts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (min, max, times.windows(2).any(|w| w[1] < w[0]))
        };
        for slice in [1, 2, 3, 4, 5, 9, 1000] {
            let mut track = TimeTrack::default();
            times.chunks(slice).for_each(|c| track.push(c));
            assert_eq!((track.min_dt, track.max_dt, track.backwards), reference, "slices of {slice}");
            assert_eq!((track.count, track.first, track.previous), (1000, times[0], times[999]), "slices of {slice}");
        }
        let mut regular = TimeTrack::default();
        (0..1001).map(|i| i as f64 / 4000.0).collect::<Vec<_>>().chunks(7).for_each(|c| regular.push(c));
        assert_eq!(regular.fixed_rate(), Some((4000.0, 0.0)));
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

    /// The line an error names is the file's, wherever in a block (and in which part of
    /// it) the line falls: the first bad line of several, in a file of many blocks.
    #[test]
    fn errors_far_into_a_file_name_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let lines = 2 * BLOCK_BYTES / 20;
        for bad in [3, 1_000, BLOCK_BYTES / 20 + 17, lines - 2] {
            let mut text = String::from("time_s,a\n");
            for i in 0..lines {
                // File line i + 2; two bad lines, the first at `bad`.
                let line = i + 2;
                if line == bad || line == bad + 5 {
                    text.push_str("1,x\n");
                } else {
                    text.push_str(&format!("{:.6},{}\n", i as f64 * 1e-4, i % 97));
                }
            }
            let path = write_file(&dir, "many.csv", &text);
            let err = crate::capture::read(&path).unwrap_err().to_string();
            assert!(err.contains(&format!("line {bad}: column 'a': 'x' is not a number")), "{bad}: {err}");
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

    #[test]
    fn too_many_columns_and_too_much_memory_are_errors_not_aborts() {
        let dir = tempfile::tempdir().unwrap();
        let header: String = std::iter::once("time_s".to_string())
            .chain((0..=crate::capture::MAX_CHANNELS).map(|i| format!("c{i}")))
            .collect::<Vec<_>>()
            .join(",");
        let path = write_file(&dir, "wide.csv", &format!("{header}\n"));
        let error = read(&path).unwrap_err().to_string();
        assert!(error.contains("wide.csv") && error.contains("line 1") && error.contains("at most"), "{error}");
        let huge = crate::capture::room_for::<f32>(&path, usize::MAX / 8, "column 'x'").unwrap_err().to_string();
        assert!(huge.contains("wide.csv") && huge.contains("do not fit in memory"), "{huge}");
    }

    #[test]
    fn the_summary_agrees_with_a_full_read() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("fixed.csv", "time_s,V_A [V],I [A]\n0,1,2\n0.001,2,3\n0.002,3,4\n0.003,,5\n"),
            ("irregular.csv", "time_s,x\n10.0,1\n10.1,2\n10.5,3\n"),
            ("repeated.csv", "time_s,x\n0,1\n0.1,2\n0.1,3\n"),
        ] {
            let path = write_file(&dir, name, text);
            let quick = summary(&path).unwrap().expect("seconds: a summary from the time column");
            assert_eq!(quick, crate::capture::Summary::of(&read(&path).unwrap()), "{name}");
        }
        let stamped = write_file(&dir, "clock.csv", "time,V\n2026-01-02T03:04:05Z,1\n2026-01-02T03:04:06Z,2\n");
        assert_eq!(summary(&stamped).unwrap(), None, "RFC 3339 time: a full read");
    }
}
