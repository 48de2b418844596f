//! The CFG (configuration) file: station, channels, rates, times and data type.
//!
//! Parsing follows the line order of the standard but decides what the optional
//! trailing lines are by their content, so a mislabelled revision still reads.

use std::path::Path;

use chrono::NaiveDateTime;

use super::text::{Lines, count, fields, number};
use super::time::{MAX_RATE_HZ, parse_datetime, parse_time_code};
use crate::capture::{CaptureError, Result};

/// The most channels of one kind a CFG may declare (the standard's field is 6 digits).
const MAX_CHANNELS: u64 = 999_999;

/// The standard revision a file follows (other year strings map to the closest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Revision {
    Y1991,
    Y1999,
    Y2013,
}

impl Revision {
    /// The revision for the year field of the first line (`None` when absent: 1991).
    fn from_field(field: Option<&str>) -> Self {
        let Some(field) = field else { return Self::Y1991 };
        let Ok(year) = field.trim().parse::<u32>() else { return Self::Y1999 };
        let year = match year {
            0..70 => 2000 + year,
            70..100 => 1900 + year,
            _ => year,
        };
        let distance = |y: u32| year.abs_diff(y);
        if distance(1991) < distance(1999) {
            Self::Y1991
        } else if distance(1999) < distance(2013) {
            Self::Y1999
        } else {
            Self::Y2013
        }
    }
}

/// How samples are stored in the DAT file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataType {
    Ascii,
    Binary,
    Binary32,
    Float32,
}

impl DataType {
    /// The type for a CFG or CFF field (case-insensitive).
    pub(super) fn parse(field: &str) -> Option<Self> {
        Some(match field.trim().to_ascii_uppercase().as_str() {
            "ASCII" => Self::Ascii,
            "BINARY" => Self::Binary,
            "BINARY32" => Self::Binary32,
            "FLOAT32" => Self::Float32,
            _ => return None,
        })
    }

    /// The standard's spelling.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Ascii => "ASCII",
            Self::Binary => "BINARY",
            Self::Binary32 => "BINARY32",
            Self::Float32 => "FLOAT32",
        }
    }

    /// Bytes per analog value of a binary type; `None` for ASCII.
    pub(super) fn binary_width(self) -> Option<usize> {
        match self {
            Self::Ascii => None,
            Self::Binary => Some(2),
            Self::Binary32 | Self::Float32 => Some(4),
        }
    }
}

/// One analog channel line.
#[derive(Debug, Clone)]
pub(super) struct AnalogDef {
    pub name: String,
    pub unit: String,
    /// Multiplier and offset: value = a * x + b.
    pub a: f64,
    pub b: f64,
    /// The declared largest raw value, when given (used to spot ASCII missing markers).
    pub max: Option<f64>,
}

/// One digital (status) channel line.
#[derive(Debug, Clone)]
pub(super) struct DigitalDef {
    pub name: String,
}

/// One `samp,endsamp` line: `rate_hz` up to sample number `end_sample` (1-based).
#[derive(Debug, Clone, Copy)]
pub(super) struct RateSegment {
    pub rate_hz: f64,
    pub end_sample: u64,
}

/// A parsed CFG file.
#[derive(Debug, Clone)]
pub(super) struct Cfg {
    pub station: String,
    pub recording_device: String,
    /// The year field as written (empty in 1991 files).
    pub revision_field: String,
    pub analog: Vec<AnalogDef>,
    pub digital: Vec<DigitalDef>,
    pub line_frequency_hz: Option<f64>,
    /// `nrates` as written (0: times come from the DAT timestamps).
    pub nrates: u64,
    pub rates: Vec<RateSegment>,
    /// First-sample and trigger times as recorded (local to the time code), and as written.
    pub start: Option<NaiveDateTime>,
    pub start_field: String,
    pub trigger: Option<NaiveDateTime>,
    pub trigger_field: String,
    /// True when the start time has more than 6 decimals: the 2013 revision then counts
    /// DAT timestamps in nanoseconds instead of microseconds.
    pub timestamps_in_ns: bool,
    pub data_type: DataType,
    /// Timestamp multiplier (µs per tick) when present and a positive number.
    pub timemult: Option<f64>,
    /// The timestamp multiplier line as written, with its number, when present.
    pub timemult_field: Option<(usize, String)>,
    /// The `time_code,local_code` line as written, when present.
    pub time_code_field: Option<String>,
    /// How far the recorded clock is ahead of UTC, in seconds, when the time code says.
    pub utc_offset_s: Option<i64>,
}

impl Cfg {
    /// True when sample times come from the DAT timestamps (`nrates` 0 or a zero rate).
    pub(super) fn uses_timestamps(&self) -> bool {
        self.nrates == 0 || self.rates.iter().any(|r| r.rate_hz == 0.0)
    }

    /// The sample count the CFG promises (the last `endsamp`), when it gives one.
    pub(super) fn sample_count(&self) -> Option<u64> {
        self.rates.last().map(|r| r.end_sample).filter(|&n| n > 0)
    }
}

/// Parses CFG text; `first_line` is the number of its first line in `path` (1 for a
/// `.cfg`, later inside a `.cff`). Errors name `path` and the line.
pub(super) fn parse(text: &str, path: &Path, first_line: usize) -> Result<Cfg> {
    let mut lines = CfgLines { lines: Lines::new(text, first_line), path };
    let mut next = |what: &str| lines.next(what);
    let err = |line: usize, message: String| CaptureError::line(path, line, message);

    let (_, line) = next("station line (station,device,revision)")?;
    let head = fields(line);
    let station = head.first().copied().unwrap_or_default().to_owned();
    let recording_device = head.get(1).copied().unwrap_or_default().to_owned();
    let revision_field = head.get(2).copied().unwrap_or_default().to_owned();
    let revision = Revision::from_field(head.get(2).copied());

    let (line_no, line) = next("channel counts (TT,##A,##D)")?;
    let (total, analog_count, digital_count) = parse_counts(line).map_err(|m| err(line_no, m))?;
    if analog_count.checked_add(digital_count) != Some(total) {
        return Err(err(
            line_no,
            format!("total channel count {total} is not {analog_count} analog + {digital_count} digital"),
        ));
    }
    if total == 0 {
        return Err(err(line_no, "the record declares no channels".into()));
    }

    let mut analog = Vec::new();
    for i in 1..=analog_count {
        let (line_no, line) = next(&format!("line of analog channel {i} of {analog_count}"))?;
        analog.push(parse_analog(line, i, revision).map_err(|m| err(line_no, m))?);
    }
    let mut digital = Vec::new();
    for i in 1..=digital_count {
        let (line_no, line) = next(&format!("line of digital channel {i} of {digital_count}"))?;
        digital.push(parse_digital(line, i, revision).map_err(|m| err(line_no, m))?);
    }

    let (line_no, line) = next("line frequency")?;
    let line_frequency_hz = match number(line) {
        Some(lf) if lf >= 0.0 => (lf > 0.0).then_some(lf),
        _ => return Err(err(line_no, format!("line frequency '{line}' is not a number of hertz"))),
    };

    let (line_no, line) = next("number of sample rates (nrates)")?;
    let nrates =
        count(line).ok_or_else(|| err(line_no, format!("number of sample rates '{line}' is not a whole number")))?;
    let mut rates = Vec::new();
    let mut timestamp_line = None;
    for i in 1..=nrates.max(1) {
        let (line_no, line) = next(&format!("sample rate line {i} of {} (samp,endsamp)", nrates.max(1)))?;
        if nrates == 0 && line.contains(['/', ':']) {
            // No `0,endsamp` line: this is already the start time.
            timestamp_line = Some((line_no, line));
            break;
        }
        let segment = parse_rate(line, nrates).map_err(|m| err(line_no, m))?;
        if let Some(prev) = rates.last().map(|r: &RateSegment| r.end_sample)
            && segment.end_sample < prev
        {
            return Err(err(
                line_no,
                format!(
                    "sample rate segment {i} ends at sample {}, before the previous one ({prev})",
                    segment.end_sample
                ),
            ));
        }
        rates.push(segment);
    }

    let (_, start_field) = match timestamp_line {
        Some(found) => found,
        None => next("start time (dd/mm/yyyy,hh:mm:ss.ssssss)")?,
    };
    let (_, trigger_field) = next("trigger time (dd/mm/yyyy,hh:mm:ss.ssssss)")?;
    let month_first = revision == Revision::Y1991;
    let start = parse_datetime(start_field, month_first);
    let trigger = parse_datetime(trigger_field, month_first);

    let (line_no, data_type_field) = next("data file type (ASCII, BINARY, BINARY32 or FLOAT32)")?;
    let data_type = DataType::parse(data_type_field).ok_or_else(|| {
        err(line_no, format!("data file type '{data_type_field}', expected ASCII, BINARY, BINARY32 or FLOAT32"))
    })?;

    // Optional lines (1999: timemult; 2013: also the time code and time quality).
    let mut rest: Vec<(usize, &str)> = lines.lines.take(3).collect();
    rest.reverse();
    let (mut timemult, mut timemult_field) = (None, None);
    if let Some(&(line_no, line)) = rest.last()
        && !line.contains(',')
    {
        timemult = number(line).filter(|&m| m > 0.0);
        timemult_field = Some((line_no, line.to_owned()));
        rest.pop();
    }
    // `time_code,local_code`: two fields, else not a time code line.
    let time_code_field = rest.pop().map(|(_, line)| line.to_owned()).filter(|line| fields(line).len() == 2);
    let utc_offset_s =
        time_code_field.as_deref().and_then(|line| fields(line).first().and_then(|code| parse_time_code(code)));

    Ok(Cfg {
        station,
        recording_device,
        revision_field,
        analog,
        digital,
        line_frequency_hz,
        nrates,
        rates,
        start,
        start_field: start_field.to_owned(),
        trigger,
        trigger_field: trigger_field.to_owned(),
        timestamps_in_ns: start_field.rsplit_once('.').is_some_and(|(_, frac)| frac.trim().len() > 6),
        data_type,
        timemult,
        timemult_field,
        time_code_field,
        utc_offset_s,
    })
}

/// The CFG's lines, with an error naming the line that is missing.
struct CfgLines<'a> {
    lines: Lines<'a>,
    path: &'a Path,
}

impl<'a> CfgLines<'a> {
    /// The next non-blank line, or an error saying `what` was expected there.
    fn next(&mut self, what: &str) -> Result<(usize, &'a str)> {
        let at = self.lines.last_line() + 1;
        self.lines
            .next()
            .ok_or_else(|| CaptureError::line(self.path, at, format!("expected the {what}, found the end of the file")))
    }
}

/// Parses `TT,##A,##D`.
fn parse_counts(line: &str) -> std::result::Result<(u64, u64, u64), String> {
    let parts = fields(line);
    let bad = || format!("channel counts '{line}', expected TT,##A,##D (for example 10,7A,3D)");
    let &[total, analog, digital] = parts.as_slice() else { return Err(bad()) };
    let whole = |f: &str| if f.bytes().all(|b| b.is_ascii_digit()) { f.parse::<u64>().ok() } else { None };
    let strip =
        |f: &str, suffix: char| whole(f.strip_suffix([suffix, suffix.to_ascii_lowercase()]).unwrap_or(f).trim());
    let (Some(total), Some(analog), Some(digital)) = (whole(total), strip(analog, 'A'), strip(digital, 'D')) else {
        return Err(bad());
    };
    if analog > MAX_CHANNELS || digital > MAX_CHANNELS {
        return Err(format!("{analog} analog and {digital} digital channels is more than the {MAX_CHANNELS} allowed"));
    }
    Ok((total, analog, digital))
}

/// `1 field`, `9 fields`.
fn count_fields(n: usize) -> String {
    if n == 1 { "1 field".into() } else { format!("{n} fields") }
}

/// Drops empty fields beyond `keep` (a trailing comma).
fn trim_trailing_empty(mut parts: Vec<&str>, keep: usize) -> Vec<&str> {
    while parts.len() > keep && parts.last().is_some_and(|f| f.is_empty()) {
        parts.pop();
    }
    parts
}

/// Parses `An,ch_id,ph,ccbm,uu,a,b,skew,min,max[,primary,secondary,PS]`.
fn parse_analog(line: &str, index: u64, revision: Revision) -> std::result::Result<AnalogDef, String> {
    let parts = trim_trailing_empty(fields(line), 13);
    if !(10..=13).contains(&parts.len()) {
        let expected = if revision == Revision::Y1991 { 10 } else { 13 };
        return Err(format!("analog channel {index} has {}, expected {expected}", count_fields(parts.len())));
    }
    let field = |i: usize| parts.get(i).copied().unwrap_or_default();
    let name = field(1).to_owned();
    let a = number(field(5))
        .ok_or_else(|| format!("analog channel {index} ({name}): multiplier a '{}' is not a number", field(5)))?;
    let b = if field(6).is_empty() {
        0.0
    } else {
        number(field(6))
            .ok_or_else(|| format!("analog channel {index} ({name}): offset b '{}' is not a number", field(6)))?
    };
    Ok(AnalogDef { name, unit: field(4).to_owned(), a, b, max: number(field(9)) })
}

/// Parses `Dn,ch_id,ph,ccbm,y` (1991: `Dn,ch_id,y`).
fn parse_digital(line: &str, index: u64, revision: Revision) -> std::result::Result<DigitalDef, String> {
    let parts = trim_trailing_empty(fields(line), 5);
    if !(2..=5).contains(&parts.len()) {
        let expected = if revision == Revision::Y1991 { 3 } else { 5 };
        return Err(format!("digital channel {index} has {}, expected {expected}", count_fields(parts.len())));
    }
    Ok(DigitalDef { name: parts.get(1).copied().unwrap_or_default().to_owned() })
}

/// Parses `samp,endsamp`.
fn parse_rate(line: &str, nrates: u64) -> std::result::Result<RateSegment, String> {
    let parts = trim_trailing_empty(fields(line), 2);
    let &[samp, endsamp] = parts.as_slice() else {
        return Err(format!("sample rate line '{line}', expected samp,endsamp"));
    };
    let rate_hz = number(samp).ok_or_else(|| format!("sample rate '{samp}' is not a number"))?;
    if nrates > 0 && !(0.0..=MAX_RATE_HZ).contains(&rate_hz) {
        return Err(format!("sample rate {rate_hz} Hz is outside 0 to 100 MHz"));
    }
    let end_sample = count(endsamp).ok_or_else(|| format!("last sample number '{endsamp}' is not a whole number"))?;
    // With nrates 0 the rate field carries nothing; times come from the timestamps.
    Ok(RateSegment { rate_hz: if nrates == 0 { 0.0 } else { rate_hz }, end_sample })
}
