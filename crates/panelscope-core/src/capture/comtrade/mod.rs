//! COMTRADE (IEEE C37.111) reader and writer.
//!
//! Reads the 1991, 1999 and 2013 revisions (other year strings as the closest),
//! ASCII, BINARY, BINARY32 and FLOAT32 data, `.cfg` + `.dat` pairs (either path, any
//! extension case) and single `.cff` files. Analog values are `a * x + b` in the CFG's
//! unit; digital channels stay digital. Deviations real recorders produce are read:
//! CFG text in UTF-8 (with or without BOM), GBK, cp1251 or Latin-1; blank lines,
//! trailing blanks, CRLF and `^Z`; 1991 `mm/dd/yy` dates; a zero sample rate (times
//! from the DAT timestamps times `timemult`: a fixed rate when they are uniform
//! within 1%, else irregular times); several rate segments; timestamp gaps under a
//! fixed rate (the CFG rate wins); missing values (empty ASCII field, 99999/999999
//! above the declared maximum, `0x8000`, `0x80000000`, NaN) as NaN; set unused bits
//! in the digital words (masked); more DAT records than the CFG says (the CFG count
//! is read). A DAT with fewer records than the CFG says is an error naming the record.
//!
//! The start time is converted to UTC with the 2013 time code when it gives one
//! (`-3h00`), else taken as UTC. The writer produces 2013 FLOAT32 files; see
//! [`write_cfg_dat`] for its conventions.

mod cff;
mod cfg;
mod dat;
mod text;
mod time;
mod write;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{Datelike, TimeDelta};

use self::cfg::{Cfg, DataType};
use self::dat::DatData;
use super::{Capture, CaptureError, Channel, Format, Keep, Result, Scan};

pub use self::write::{write_cff, write_cfg_dat};

/// Reads a COMTRADE record from a `.cfg`, `.dat` or `.cff` path.
pub fn read(path: &Path, open: &super::Opener<'_>) -> Result<Capture> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "cff" => read_cff(path, open),
        _ => {
            let (cfg_path, dat_path) = pair_of(path)?;
            read_pair(&cfg_path, &dat_path, open)
        }
    }
}

/// The `.cfg` and `.dat` of a pair, from either path.
fn pair_of(path: &Path) -> Result<(PathBuf, PathBuf)> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("dat")) {
        let cfg_path = sibling(path, "cfg").ok_or_else(|| missing_sibling(path, "configuration", "cfg"))?;
        return Ok((cfg_path, path.to_path_buf()));
    }
    // The file asked for first: "no such file" names it, not its missing .dat.
    std::fs::metadata(path).map_err(|e| CaptureError::io(path, e))?;
    let dat_path = sibling(path, "dat").ok_or_else(|| missing_sibling(path, "data", "dat"))?;
    Ok((path.to_path_buf(), dat_path))
}

/// The summary of a `.cfg` + `.dat` pair from the `.cfg` and the size of the `.dat`, when
/// the `.cfg` gives one sample rate; `None` when only reading the records would tell
/// (timestamps, several rates).
pub fn summary(path: &Path, open: &super::Opener<'_>) -> Result<Option<super::Summary>> {
    let (cfg_path, dat_path) = pair_of(path)?;
    let cfg = cfg::parse(&text::decode_text(&read_bytes(&cfg_path, open)?), &cfg_path, 1)?;
    let ([rate], Some(promised)) = (cfg.rates.as_slice(), cfg.sample_count()) else { return Ok(None) };
    if cfg.uses_timestamps() || !(rate.rate_hz.is_finite() && rate.rate_hz > 0.0) {
        return Ok(None);
    }
    let dat_bytes = open(&dat_path).and_then(|f| f.metadata()).map_err(|e| CaptureError::io(&dat_path, e))?.len();
    let count = match cfg.data_type.binary_width() {
        Some(w) => {
            let w = w as u64;
            let record = 8 + w * cfg.analog.len() as u64 + 2 * cfg.digital.len().div_ceil(16) as u64;
            promised.min(dat_bytes / record)
        }
        None => promised,
    };
    let sample_count = usize::try_from(count).unwrap_or(usize::MAX);
    Ok(Some(super::Summary {
        format: Format::Comtrade,
        sample_count,
        sample_rate_hz: Some(rate.rate_hz),
        duration_s: sample_count as f64 / rate.rate_hz,
        channels: cfg.analog.len() + cfg.digital.len(),
    }))
}

fn read_bytes(path: &Path, open: &super::Opener<'_>) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut file = open(path).map_err(|e| CaptureError::io(path, e))?;
    let len = file.metadata().map_or(0, |m| m.len());
    let mut bytes = crate::capture::room_for(path, usize::try_from(len).unwrap_or(usize::MAX), "the file")?;
    file.read_to_end(&mut bytes).map_err(|e| CaptureError::io(path, e))?;
    Ok(bytes)
}

fn read_pair(cfg_path: &Path, dat_path: &Path, open: &super::Opener<'_>) -> Result<Capture> {
    let cfg = cfg::parse(&text::decode_text(&read_bytes(cfg_path, open)?), cfg_path, 1)?;
    let data = match cfg.data_type.binary_width() {
        Some(width) => read_binary(dat_path, open, &cfg, width, Keep::Samples)?,
        None => dat::decode(&read_bytes(dat_path, open)?, dat_path, 1, &cfg)?,
    };
    assemble(cfg_path, &cfg, data, cfg_path, dat_path)
}

/// Binary records, read from the file a block at a time (never held whole).
fn read_binary(dat_path: &Path, open: &super::Opener<'_>, cfg: &Cfg, width: usize, keep: Keep) -> Result<DatData> {
    let mut file = open(dat_path).map_err(|e| CaptureError::io(dat_path, e))?;
    let len = file.metadata().map_err(|e| CaptureError::io(dat_path, e))?.len();
    dat::decode_binary_from(&mut file, len, dat_path, cfg, width, cfg.uses_timestamps(), keep)
}

/// Scans a `.cfg` + `.dat` pair (either path): binary records into running statistics
/// (or a count) as `keep` says; ASCII ones read whole.
pub(crate) fn scan(path: &Path, open: &super::Opener<'_>, keep: Keep) -> Result<Scan> {
    let (cfg_path, dat_path) = pair_of(path)?;
    let cfg = cfg::parse(&text::decode_text(&read_bytes(&cfg_path, open)?), &cfg_path, 1)?;
    let Some(width) = cfg.data_type.binary_width() else {
        let data = dat::decode(&read_bytes(&dat_path, open)?, &dat_path, 1, &cfg)?;
        let capture = assemble(&cfg_path, &cfg, data, &cfg_path, &dat_path)?;
        capture.check_consistent().map_err(|m| CaptureError::invalid(&cfg_path, m))?;
        return Ok(Scan::of(capture, keep == Keep::Stats));
    };
    let mut data = read_binary(&dat_path, open, &cfg, width, keep)?;
    let sample_count = data.records;
    let mut stats = data.analog_stats.take().unwrap_or_else(|| vec![None; cfg.analog.len()]);
    stats.resize(cfg.analog.len() + cfg.digital.len(), None);
    let capture = assemble(&cfg_path, &cfg, data, &cfg_path, &dat_path)?;
    Ok(Scan { capture, sample_count, stats })
}

fn read_cff(path: &Path, open: &super::Opener<'_>) -> Result<Capture> {
    let bytes = read_bytes(path, open)?;
    let parts = cff::split(&bytes, path)?;
    let cfg = cfg::parse(&text::decode_text(parts.cfg), path, parts.cfg_first_line)?;
    if let Some(section_type) = parts.dat_type
        && (section_type == DataType::Ascii) != (cfg.data_type == DataType::Ascii)
    {
        return Err(CaptureError::line(
            path,
            parts.dat_line,
            format!("the DAT section is {} but the CFG says {}", section_type.as_str(), cfg.data_type.as_str()),
        ));
    }
    let data = dat::decode(parts.dat, path, parts.dat_line, &cfg)?;
    assemble(path, &cfg, data, path, path)
}

/// The data file a `.cfg` reads (its `.dat`, in any case), when there is one.
pub fn dat_of(cfg_path: &Path) -> Option<PathBuf> {
    sibling(cfg_path, "dat")
}

/// The file beside `path` with the same stem and extension `ext` in any case
/// (`X.CFG` finds `X.DAT`; also `X.Dat`, or a stem in another case).
fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    let stem = path.file_stem()?;
    let upper_first = path.extension().is_some_and(|e| e.to_string_lossy().chars().any(|c| c.is_ascii_uppercase()));
    let (lower, upper) = (ext.to_ascii_lowercase(), ext.to_ascii_uppercase());
    let order = if upper_first { [&upper, &lower] } else { [&lower, &upper] };
    for candidate_ext in order {
        let mut name = stem.to_os_string();
        name.push(".");
        name.push(candidate_ext);
        let candidate = path.with_file_name(name);
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stem = stem.to_string_lossy().to_lowercase();
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x.eq_ignore_ascii_case(ext))
                && p.file_stem().is_some_and(|s| s.to_string_lossy().to_lowercase() == stem)
                && p.is_file()
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

fn missing_sibling(path: &Path, what: &str, ext: &str) -> CaptureError {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    CaptureError::invalid(
        path,
        format!("{what} file {stem}.{} (or {stem}.{}) not found beside it", ext, ext.to_ascii_uppercase()),
    )
}

/// Makes channel names unique by appending ` (2)`, ` (3)`, ...
#[derive(Default)]
struct UniqueNames {
    taken: HashSet<String>,
    /// The next suffix to try per name, so many equal names stay linear.
    next_suffix: HashMap<String, usize>,
}

impl UniqueNames {
    fn unique(&mut self, name: &str, fallback: impl FnOnce() -> String) -> String {
        let base = if name.is_empty() { fallback() } else { name.to_owned() };
        let mut candidate = base.clone();
        let k = self.next_suffix.entry(base.clone()).or_insert(2);
        while self.taken.contains(&candidate) {
            candidate = format!("{base} ({k})");
            *k += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

/// Seconds in a time difference.
fn seconds(delta: TimeDelta) -> f64 {
    delta.num_seconds() as f64 + f64::from(delta.subsec_nanos()) / 1e9
}

/// Builds the capture from a parsed CFG and decoded samples.
fn assemble(source: &Path, cfg: &Cfg, data: DatData, cfg_path: &Path, dat_path: &Path) -> Result<Capture> {
    let n = data.sample_count();
    if n == 0 {
        return Err(CaptureError::invalid(dat_path, "no samples: the data holds no complete record"));
    }
    let (timebase, first_sample_s) = match &data.ticks {
        Some(ticks) => {
            let tick_us = match (cfg.timemult, &cfg.timemult_field) {
                (Some(m), _) => m,
                (None, None) => 1.0,
                (None, Some((line, field))) => {
                    return Err(CaptureError::line(
                        cfg_path,
                        *line,
                        format!(
                            "timestamp multiplier '{field}' is not a positive number (the times come from the timestamps)"
                        ),
                    ));
                }
            };
            let base_us = if cfg.timestamps_in_ns { 1e-3 } else { 1.0 };
            time::timebase_from_ticks(ticks, tick_us * base_us)
        }
        None => (time::timebase_from_rates(&cfg.rates, n), 0.0),
    };

    // The recorded clock runs `utc_offset_s` ahead of UTC; the first sample may sit
    // after the CFG start when its timestamp is not zero.
    let first_sample = TimeDelta::nanoseconds((first_sample_s * 1e9).round() as i64);
    let recorded_start = cfg.start.map(|s| s.checked_add_signed(first_sample).unwrap_or(s));
    let start = recorded_start
        .and_then(|s| s.checked_sub_signed(TimeDelta::seconds(cfg.utc_offset_s.unwrap_or(0))))
        .map(|s| s.and_utc());
    // 01/01/1970 00:00:00 is what an unset clock (and our writer, for an unknown start)
    // records: it means "no absolute time", and a trigger equal to it means "no trigger".
    let unset_clock = cfg.start.is_some_and(|s| s.and_utc().timestamp_nanos_opt() == Some(0));
    let start = if unset_clock { None } else { start };
    // A clock past the year 9999 in UTC cannot be written as RFC 3339: kept as unknown.
    let start_out_of_range = start.is_some_and(|s| !(1..=9999).contains(&s.year()));
    let start = start.filter(|_| !start_out_of_range);
    let trigger_s = match (cfg.trigger, cfg.start) {
        (Some(trigger), Some(start)) if !(unset_clock && trigger == start) => {
            Some(seconds(trigger - start) - first_sample_s)
        }
        _ => None,
    };

    let mut names = UniqueNames::default();
    let mut channels = Vec::with_capacity(cfg.analog.len() + cfg.digital.len());
    for (i, (def, values)) in cfg.analog.iter().zip(data.analog).enumerate() {
        let name = names.unique(&def.name, || format!("A{}", i + 1));
        channels.push(Channel::analog(name, def.unit.clone(), None, values));
    }
    for (i, (def, bits)) in cfg.digital.iter().zip(data.digital).enumerate() {
        let name = names.unique(&def.name, || format!("D{}", i + 1));
        channels.push(Channel::digital(name, bits));
    }

    let revision = if cfg.revision_field.is_empty() { "1991" } else { cfg.revision_field.as_str() };
    let mut metadata = vec![
        ("station".to_owned(), cfg.station.clone()),
        ("recording_device".to_owned(), cfg.recording_device.clone()),
        ("revision".to_owned(), revision.to_owned()),
        ("data_type".to_owned(), cfg.data_type.as_str().to_owned()),
        ("start_time".to_owned(), cfg.start_field.clone()),
        ("trigger_time".to_owned(), cfg.trigger_field.clone()),
    ];
    if let Some(time_code) = &cfg.time_code_field {
        metadata.push(("time_code".to_owned(), time_code.clone()));
    }
    if start_out_of_range {
        metadata.push(("start_note".to_owned(), "the start is past the year 9999 in UTC: kept as unknown".to_owned()));
    }

    let name = source.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Capture {
        name,
        format: Format::Comtrade,
        start,
        timebase,
        channels,
        line_frequency_hz: cfg.line_frequency_hz,
        trigger_s,
        metadata,
    })
}
