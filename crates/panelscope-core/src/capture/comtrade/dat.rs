//! The DAT file: samples stored as ASCII, BINARY, BINARY32 or FLOAT32.
//!
//! Binary records are `u32` sample number, `u32` timestamp, one value per analog
//! channel (`i16`, `i32` or `f32`), then the digital channels packed 16 to a `u16`
//! word (first channel in the lowest bit), all little-endian.

use crate::capture::room_for;
use rayon::prelude::*;
use std::path::Path;

use super::cfg::{AnalogDef, Cfg, DataType};
use crate::analysis::stats::Stats;
use crate::capture::{AnalogSink, Bits, CaptureError, Keep, Result};

/// Bytes of records read and decoded at a time: large enough that the channels of a block
/// are decoded in parallel for little overhead, small enough to stay in cache while each
/// channel is pulled out of it.
const READ_BLOCK_BYTES: usize = 1 << 20;

/// Decoded samples: `a * x + b` per analog channel (NaN where missing), bits per
/// digital channel, and the raw timestamps when the time base needs them.
#[derive(Debug)]
pub(super) struct DatData {
    /// Records decoded.
    pub records: usize,
    /// Each analog channel's samples (none when they were not kept).
    pub analog: Vec<Vec<f32>>,
    /// Each analog channel's statistics, when they were kept instead of the samples.
    pub analog_stats: Option<Vec<Option<Stats>>>,
    pub digital: Vec<Bits>,
    /// Non-decreasing timestamps in ticks (multiply by `timemult` for µs).
    pub ticks: Option<Vec<f64>>,
}

impl DatData {
    /// Number of samples decoded.
    pub(super) fn sample_count(&self) -> usize {
        self.records
    }
}

/// Decodes a DAT file (or a CFF's DAT section) as the CFG describes. `first_line` is
/// the line number of the first ASCII line within `path`.
pub(super) fn decode(data: &[u8], path: &Path, first_line: usize, cfg: &Cfg) -> Result<DatData> {
    check_channel_count(cfg, path)?;
    let need_ticks = cfg.uses_timestamps();
    match cfg.data_type.binary_width() {
        None => decode_ascii(data, path, first_line, cfg, need_ticks),
        Some(width) => decode_binary(data, path, cfg, width, need_ticks),
    }
}

fn check_channel_count(cfg: &Cfg, path: &Path) -> Result<()> {
    let channels = cfg.analog.len() + cfg.digital.len();
    if channels > crate::capture::MAX_CHANNELS {
        return Err(CaptureError::invalid(
            path,
            format!("{channels} channels: at most {}", crate::capture::MAX_CHANNELS),
        ));
    }
    Ok(())
}

fn decode_binary(data: &[u8], path: &Path, cfg: &Cfg, width: usize, need_ticks: bool) -> Result<DatData> {
    let mut reader = data;
    decode_binary_from(&mut reader, data.len() as u64, path, cfg, width, need_ticks, Keep::Samples)
}

/// Decodes binary records read from `reader`, which holds `len` bytes, a block of records at
/// a time: the file is never held whole, and each block's channels are decoded in parallel.
pub(super) fn decode_binary_from<R: std::io::Read + Send>(
    reader: &mut R,
    len: u64,
    path: &Path,
    cfg: &Cfg,
    width: usize,
    need_ticks: bool,
    keep: Keep,
) -> Result<DatData> {
    check_channel_count(cfg, path)?;
    let words = cfg.digital.len().div_ceil(16);
    let record_size = cfg
        .analog
        .len()
        .checked_mul(width)
        .and_then(|a| a.checked_add(words.checked_mul(2)?))
        .and_then(|s| s.checked_add(8))
        .ok_or_else(|| CaptureError::invalid(path, "the record size overflows"))?;
    let complete = usize::try_from(len / record_size as u64).unwrap_or(usize::MAX);
    let n = match cfg.sample_count() {
        Some(expected) if (complete as u64) < expected => {
            return Err(CaptureError::record(
                path,
                complete + 1,
                format!(
                    "truncated: expected {expected} records of {record_size} bytes, the file ends after {complete} \
                     complete records ({len} bytes)"
                ),
            ));
        }
        // More records than the CFG says: read the CFG's count.
        Some(expected) => usize::try_from(expected).unwrap_or(complete).min(complete),
        None if !len.is_multiple_of(record_size as u64) => {
            return Err(CaptureError::record(
                path,
                complete + 1,
                format!(
                    "truncated: the file ends {} bytes into this record of {record_size} bytes",
                    len % record_size as u64
                ),
            ));
        }
        None => complete,
    };

    let mut analog: Vec<AnalogSink> = cfg
        .analog
        .iter()
        .map(|def| AnalogSink::new(path, keep, n, &format!("channel '{}'", def.name)))
        .collect::<Result<_>>()?;
    let mut digital: Vec<Bits> = (0..cfg.digital.len()).map(|_| Bits::zeros(n)).collect();
    let mut ticks = if need_ticks { Some((Ticks::default(), room_for(path, n, "the timestamps")?)) } else { None };
    let block_records = (READ_BLOCK_BYTES / record_size).max(1);
    let room = block_records.min(n).saturating_mul(record_size);
    let (mut block, mut next) =
        (room_for::<u8>(path, room, "a block of records")?, room_for::<u8>(path, room, "a block")?);
    let words_offset = 8 + cfg.analog.len() * width;
    // Reads the block of records from record `first` (0-based): how many it holds.
    let read_block = |reader: &mut R, block: &mut Vec<u8>, first: usize| -> Result<usize> {
        let records = block_records.min(n - first);
        block.resize(records * record_size, 0);
        reader.read_exact(block).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                CaptureError::record(path, first + 1, "truncated: the file ended while it was read")
            } else {
                CaptureError::io(path, e)
            }
        })?;
        Ok(records)
    };
    let mut first = 0;
    let mut records = if n > 0 { read_block(reader, &mut block, 0)? } else { 0 };
    while records > 0 {
        let after = first + records;
        // The next block is read while this one is decoded.
        let ((), read_next) = rayon::join(
            || {
                let block = block.as_slice();
                rayon::join(
                    || {
                        analog.par_iter_mut().zip(&cfg.analog).enumerate().for_each(|(c, (out, def))| {
                            let offset = 8 + c * width;
                            match cfg.data_type {
                                DataType::Binary => {
                                    column::<2>(out, block, record_size, offset, |raw| binary16(raw, def))
                                }
                                DataType::Binary32 => {
                                    column::<4>(out, block, record_size, offset, |raw| binary32(raw, def))
                                }
                                DataType::Float32 | DataType::Ascii => {
                                    column::<4>(out, block, record_size, offset, |raw| float32(raw, def))
                                }
                            }
                        });
                    },
                    || {
                        digital.par_iter_mut().enumerate().for_each(|(d, bits)| {
                            // Only this channel's bit is read: unused high bits of the last
                            // word may be set.
                            let offset = words_offset + (d / 16) * 2;
                            let mask = 1u16 << (d % 16);
                            for (i, record) in block.chunks_exact(record_size).enumerate() {
                                if let Some(&[lo, hi]) = record.get(offset..offset + 2)
                                    && u16::from_le_bytes([lo, hi]) & mask != 0
                                {
                                    bits.set(first + i, true);
                                }
                            }
                        });
                    },
                );
            },
            || if after < n { read_block(&mut *reader, &mut next, after) } else { Ok(0) },
        );
        // This block's timestamps come before any failure to read the next one.
        if let Some((state, out)) = ticks.as_mut() {
            state.extend(out, &block, record_size, first, path)?;
        }
        records = read_next?;
        std::mem::swap(&mut block, &mut next);
        first = after;
    }
    let (analog, stats): (Vec<Vec<f32>>, Vec<Option<Option<Stats>>>) =
        analog.into_iter().map(AnalogSink::finish).unzip();
    let analog_stats = (keep == Keep::Stats).then(|| stats.into_iter().map(Option::flatten).collect());
    Ok(DatData { records: n, analog, analog_stats, digital, ticks: ticks.map(|(_, t)| t) })
}

/// Appends one channel's values from every record of `block`.
fn column<const W: usize>(
    out: &mut AnalogSink,
    block: &[u8],
    record_size: usize,
    offset: usize,
    decode: impl Fn([u8; W]) -> f32,
) {
    out.extend(block.chunks_exact(record_size).map(|record| {
        match record.get(offset..offset + W).and_then(|raw| <[u8; W]>::try_from(raw).ok()) {
            Some(raw) => decode(raw),
            None => f32::NAN,
        }
    }));
}

fn binary16(raw: [u8; 2], def: &AnalogDef) -> f32 {
    match i16::from_le_bytes(raw) {
        i16::MIN => f32::NAN,
        x => (def.a * f64::from(x) + def.b) as f32,
    }
}

fn binary32(raw: [u8; 4], def: &AnalogDef) -> f32 {
    match i32::from_le_bytes(raw) {
        i32::MIN => f32::NAN,
        x => (def.a * f64::from(x) + def.b) as f32,
    }
}

fn float32(raw: [u8; 4], def: &AnalogDef) -> f32 {
    let x = f32::from_le_bytes(raw);
    // Exact (also for -0.0 and NaN payloads) in the common a = 1, b = 0 case.
    if def.a == 1.0 && def.b == 0.0 { x } else { (def.a * f64::from(x) + def.b) as f32 }
}

/// The record timestamps as non-decreasing ticks, block after block: a `u32` that wraps
/// around counts on, a missing one (`0xFFFFFFFF`) repeats the previous time, one that goes
/// back is an error.
#[derive(Default)]
struct Ticks {
    previous: Option<u32>,
    total: f64,
}

impl Ticks {
    /// Appends the ticks of `block`, whose first record is record `first` (0-based).
    fn extend(
        &mut self,
        out: &mut Vec<f64>,
        block: &[u8],
        record_size: usize,
        first: usize,
        path: &Path,
    ) -> Result<()> {
        for (i, record) in block.chunks_exact(record_size).enumerate() {
            let Some(&[b0, b1, b2, b3]) = record.get(4..8) else { break };
            let stamp = u32::from_le_bytes([b0, b1, b2, b3]);
            if stamp != u32::MAX {
                match self.previous {
                    None => self.total = f64::from(stamp),
                    Some(prev) => {
                        let step = stamp.wrapping_sub(prev);
                        if step >= 1 << 31 {
                            return Err(CaptureError::record(
                                path,
                                first + i + 1,
                                format!("timestamp {stamp} is before the previous record's ({prev})"),
                            ));
                        }
                        self.total += f64::from(step);
                    }
                }
                self.previous = Some(stamp);
            }
            out.push(self.total);
        }
        Ok(())
    }
}

/// True for a 1991-style ASCII missing-value marker: 99999 or 999999 above the
/// channel's declared maximum.
fn is_missing_marker(x: f64, def: &AnalogDef) -> bool {
    (x == 99_999.0 || x == 999_999.0) && def.max.is_some_and(|max| x > max)
}

/// Trims whitespace, CR and `^Z` from both ends of a line.
fn trim_line(mut line: &[u8]) -> &[u8] {
    let filler = |b: &u8| b.is_ascii_whitespace() || *b == 0x1a;
    while let [first, rest @ ..] = line
        && filler(first)
    {
        line = rest;
    }
    while let [rest @ .., last] = line
        && filler(last)
    {
        line = rest;
    }
    line
}

/// Parses one ASCII value: `Ok(None)` for an empty (missing) field.
fn ascii_value(field: &str) -> std::result::Result<Option<f64>, ()> {
    let field = field.trim();
    if field.is_empty() {
        return Ok(None);
    }
    if let Ok(x) = field.parse::<i64>() {
        return Ok(Some(x as f64));
    }
    field.parse::<f64>().map(Some).map_err(|_| ())
}

fn decode_ascii(data: &[u8], path: &Path, first_line: usize, cfg: &Cfg, need_ticks: bool) -> Result<DatData> {
    let (analog_n, digital_n) = (cfg.analog.len(), cfg.digital.len());
    let expected_fields = 2 + analog_n + digital_n;
    let limit = cfg.sample_count();
    // Each line holds at least one byte per field, which bounds what a header can ask for.
    let capacity =
        (data.len() / expected_fields + 1).min(limit.map_or(usize::MAX, |l| l.try_into().unwrap_or(usize::MAX)));
    let mut analog: Vec<Vec<f32>> = cfg
        .analog
        .iter()
        .map(|def| room_for(path, capacity, &format!("channel '{}'", def.name)))
        .collect::<Result<_>>()?;
    let mut digital: Vec<Bits> = (0..digital_n).map(|_| Bits::with_capacity(capacity)).collect();
    let mut ticks = need_ticks.then(|| Vec::with_capacity(capacity));
    let mut previous_tick = None::<f64>;

    let (mut count, mut line_no, mut last_data_line, mut start) = (0u64, first_line.saturating_sub(1), 0usize, 0usize);
    for end in memchr::memchr_iter(b'\n', data).chain(std::iter::once(data.len())) {
        let raw = data.get(start..end).unwrap_or_default();
        start = end.saturating_add(1);
        line_no += 1;
        if limit.is_some_and(|l| count >= l) {
            break;
        }
        let line = trim_line(raw);
        if line.is_empty() {
            continue;
        }
        let err = |message: String| CaptureError::line(path, line_no, message);
        let text = std::str::from_utf8(line).map_err(|_| err("not a text line of numbers".into()))?;
        let wrong_count = || {
            err(format!(
                "{} fields, expected {expected_fields} (sample number, timestamp, {analog_n} analog, {digital_n} digital)",
                text.split(',').count()
            ))
        };
        let mut parts = text.split(',');
        let (Some(_sample_number), Some(stamp)) = (parts.next(), parts.next()) else { return Err(wrong_count()) };
        if let Some(ticks) = ticks.as_mut() {
            let tick = match ascii_value(stamp) {
                Ok(Some(t)) if t.is_finite() => t,
                // A missing timestamp repeats the previous time.
                Ok(None) => previous_tick.unwrap_or(0.0),
                _ => return Err(err(format!("timestamp '{}' is not a number", stamp.trim()))),
            };
            if let Some(prev) = previous_tick
                && tick < prev
            {
                return Err(err(format!("timestamp {tick} is before the previous line's ({prev})")));
            }
            previous_tick = Some(tick);
            ticks.push(tick);
        }
        for (c, (out, def)) in analog.iter_mut().zip(&cfg.analog).enumerate() {
            let Some(field) = parts.next() else { return Err(wrong_count()) };
            let value = match ascii_value(field) {
                Ok(Some(x)) if !is_missing_marker(x, def) => (def.a * x + def.b) as f32,
                Ok(_) => f32::NAN,
                Err(()) => {
                    let name = &def.name;
                    return Err(err(format!(
                        "analog channel {} ({name}) value '{}' is not a number",
                        c + 1,
                        field.trim()
                    )));
                }
            };
            out.push(value);
        }
        for (d, (bits, def)) in digital.iter_mut().zip(&cfg.digital).enumerate() {
            let Some(field) = parts.next() else { return Err(wrong_count()) };
            match ascii_value(field) {
                Ok(x) => bits.push(x.is_some_and(|x| x != 0.0)),
                Err(()) => {
                    let name = &def.name;
                    return Err(err(format!(
                        "digital channel {} ({name}) value '{}' is not 0 or 1",
                        d + 1,
                        field.trim()
                    )));
                }
            }
        }
        if parts.any(|f| !f.trim().is_empty()) {
            return Err(wrong_count());
        }
        count += 1;
        last_data_line = line_no;
    }
    if let Some(expected) = limit
        && count < expected
    {
        return Err(CaptureError::line(
            path,
            last_data_line.max(first_line.saturating_sub(1)) + 1,
            format!("truncated: expected {expected} samples, the file ends after {count}"),
        ));
    }
    Ok(DatData { records: usize::try_from(count).unwrap_or(usize::MAX), analog, analog_stats: None, digital, ticks })
}
