//! The COMTRADE writer: 2013 revision, FLOAT32 data (a = 1, b = 0, so every f32
//! sample, NaN included, is stored exactly).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, SubsecRound, TimeDelta, Utc};

use super::time::MAX_RATE_HZ;
use crate::capture::{Bits, Capture, CaptureError, PendingFile, Result, Samples, Timebase};

/// Timestamp multipliers tried, finest first: the finest whose ticks fit a `u32`.
const TICK_US_CHOICES: [f64; 13] = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// The largest timestamp written (`0xFFFFFFFF` means "missing").
const MAX_TICK: f64 = (u32::MAX - 1) as f64;

/// Writes a COMTRADE 2013 `.cfg` + `.dat` pair (FLOAT32); `path` names either file and
/// the other gets the same stem (`X.cfg` + `X.dat`, or `X.CFG` + `X.DAT`). The `.dat`
/// is written first, then the `.cfg`, each atomically, after the old `.cfg` is removed: a
/// crash in between leaves a `.dat` without a `.cfg`, which is refused, never a mixed pair.
///
/// Conventions: analog channels are written before digital ones; commas and control
/// characters in names and units become `;` and spaces; a fixed rate is written as
/// one rate segment, irregular times as `nrates` 0 with timestamps at the finest
/// `timemult` (1 ns and up) that fits a `u32` (so exact to 0.5 ns below 4.29 s, to
/// 0.5 µs below 71 minutes). Times are UTC (time code `+0h00`) to the microsecond;
/// an unknown start is written (and so read back) as 01/01/1970 00:00:00; an unknown
/// trigger is written as the start (read back as 0 s). Kinds are not stored: the
/// reader infers them from the unit and name.
pub fn write_cfg_dat(capture: &Capture, path: &Path) -> Result<()> {
    let (cfg_path, dat_path) = pair_paths(path);
    let plan = Plan::new(capture, path)?;
    let mut dat = PendingFile::create(&dat_path)?;
    write_records(capture, &plan, dat.writer()).map_err(|e| CaptureError::io(&dat_path, e))?;
    let mut cfg = PendingFile::create(&cfg_path)?;
    cfg.writer().write_all(plan.cfg_text.as_bytes()).map_err(|e| CaptureError::io(&cfg_path, e))?;
    // The old .cfg goes first: a crash between the two renames then leaves a .dat with no
    // .cfg (refused, "no .cfg"), never the old .cfg over the new .dat (read as wrong data).
    match std::fs::remove_file(&cfg_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(CaptureError::io(&cfg_path, e)),
        _ => {}
    }
    dat.commit()?;
    cfg.commit()
}

/// Writes a COMTRADE 2013 `.cff` file (FLOAT32), atomically; conventions as in
/// [`write_cfg_dat`].
pub fn write_cff(capture: &Capture, path: &Path) -> Result<()> {
    let plan = Plan::new(capture, path)?;
    let mut file = PendingFile::create(path)?;
    let head = format!(
        "--- file type: CFG ---\r\n{}--- file type: INF ---\r\n--- file type: HDR ---\r\n--- file type: DAT FLOAT32: {} ---\r\n",
        plan.cfg_text, plan.dat_bytes
    );
    let out = file.writer();
    out.write_all(head.as_bytes())
        .and_then(|()| write_records(capture, &plan, out))
        .map_err(|e| CaptureError::io(path, e))?;
    file.commit()
}

/// `X.cfg` and `X.dat` for a path naming either (upper-case when its extension is).
fn pair_paths(path: &Path) -> (PathBuf, PathBuf) {
    let upper = path.extension().is_some_and(|e| {
        let e = e.to_string_lossy();
        !e.is_empty() && e.chars().all(|c| c.is_ascii_uppercase())
    });
    let (cfg, dat) = if upper { ("CFG", "DAT") } else { ("cfg", "dat") };
    (path.with_extension(cfg), path.with_extension(dat))
}

/// What the files will hold, checked before anything is written.
struct Plan {
    cfg_text: String,
    tick_us: f64,
    /// Time of the first sample in seconds (irregular times are written relative to it).
    first_s: f64,
    record_size: usize,
    dat_bytes: u64,
}

impl Plan {
    fn new(capture: &Capture, path: &Path) -> Result<Self> {
        let invalid = |message: String| CaptureError::invalid(path, message);
        capture.check_consistent().map_err(invalid)?;
        if capture.channels.is_empty() {
            return Err(invalid("nothing to write: the capture has no channels".into()));
        }
        let n = capture.sample_count();
        if n as f64 > MAX_TICK {
            return Err(invalid(format!("{n} samples is more than a COMTRADE file can number")));
        }
        let (first_s, span_s) = match &capture.timebase {
            Timebase::Fixed { sample_rate_hz } => {
                if *sample_rate_hz > MAX_RATE_HZ {
                    return Err(invalid(format!("sample rate {sample_rate_hz} Hz is above 100 MHz")));
                }
                (0.0, n.saturating_sub(1) as f64 / sample_rate_hz)
            }
            Timebase::Irregular { times_s } => {
                let first = times_s.first().copied().unwrap_or(0.0);
                let last = times_s.last().copied().unwrap_or(0.0);
                if !(first.is_finite() && last.is_finite()) {
                    return Err(invalid("the sample times are not finite".into()));
                }
                (first, last - first)
            }
        };
        let Some(tick_us) = TICK_US_CHOICES.into_iter().find(|m| span_s * 1e6 / m <= MAX_TICK) else {
            return Err(invalid(format!("a span of {span_s} s does not fit COMTRADE timestamps")));
        };

        let analog = capture.analog_count();
        let digital = capture.digital_count();
        let record_size = 8 + 4 * analog + 2 * digital.div_ceil(16);
        let dat_bytes = (record_size as u64).saturating_mul(n as u64);
        let cfg_text = cfg_text(capture, n, tick_us).map_err(invalid)?;
        Ok(Self { cfg_text, tick_us, first_s, record_size, dat_bytes })
    }

    /// The timestamp of sample `i`, in ticks of `tick_us`.
    fn tick(&self, timebase: &Timebase, i: usize) -> u32 {
        let t_s = match timebase {
            Timebase::Fixed { sample_rate_hz } => i as f64 / sample_rate_hz,
            Timebase::Irregular { times_s } => times_s.get(i).copied().unwrap_or(self.first_s) - self.first_s,
        };
        (t_s * 1e6 / self.tick_us).round().clamp(0.0, MAX_TICK) as u32
    }
}

/// A CFG field: commas (the separator) become `;`, control characters spaces.
fn field(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| match c {
            ',' => ';',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    cleaned.trim().to_owned()
}

/// `dd/mm/yyyy,hh:mm:ss.ffffff`.
fn format_time(t: NaiveDateTime) -> String {
    t.format("%d/%m/%Y,%H:%M:%S%.6f").to_string()
}

fn metadata<'a>(capture: &'a Capture, key: &str) -> Option<&'a str> {
    capture.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

fn cfg_text(capture: &Capture, n: usize, tick_us: f64) -> std::result::Result<String, String> {
    let analog: Vec<_> = capture.channels.iter().filter(|c| c.is_analog()).collect();
    let digital: Vec<_> = capture.channels.iter().filter(|c| !c.is_analog()).collect();
    let station = field(metadata(capture, "station").unwrap_or(&capture.name));
    let device = field(metadata(capture, "recording_device").unwrap_or("panelscope"));

    let start = capture.start.unwrap_or(DateTime::<Utc>::UNIX_EPOCH).round_subsecs(6).naive_utc();
    let trigger = capture
        .trigger_s
        .filter(|t| t.is_finite())
        .and_then(|t| start.checked_add_signed(TimeDelta::nanoseconds((t * 1e9).round() as i64)))
        .map_or(start, |t| t.round_subsecs(6));
    if [start, trigger].iter().any(|t| !(1..=9999).contains(&chrono::Datelike::year(t))) {
        return Err(format!("start or trigger time {start} is outside the years 1 to 9999"));
    }

    let mut text = String::new();
    let mut line = |s: String| {
        text.push_str(&s);
        text.push_str("\r\n");
    };
    line(format!("{station},{device},2013"));
    line(format!("{},{}A,{}D", analog.len() + digital.len(), analog.len(), digital.len()));
    for (i, ch) in analog.iter().enumerate() {
        let (name, unit) = (field(&ch.name), field(&ch.unit));
        line(format!("{},{name},,,{unit},1,0,0,-3.4028235E+38,3.4028235E+38,1,1,P", i + 1));
    }
    for (i, ch) in digital.iter().enumerate() {
        line(format!("{},{},,,0", i + 1, field(&ch.name)));
    }
    line(capture.line_frequency_hz.filter(|f| f.is_finite() && *f > 0.0).unwrap_or(0.0).to_string());
    match &capture.timebase {
        Timebase::Fixed { sample_rate_hz } => line(format!("1\r\n{sample_rate_hz},{n}")),
        Timebase::Irregular { .. } => line(format!("0\r\n0,{n}")),
    }
    line(format_time(start));
    line(format_time(trigger));
    line("FLOAT32".into());
    line(tick_us.to_string());
    line("+0h00,+0h00".into());
    line("0,0".into());
    Ok(text)
}

/// Writes the binary records: sample number, timestamp, f32 values, packed digital words.
fn write_records(capture: &Capture, plan: &Plan, out: &mut impl Write) -> std::io::Result<()> {
    let mut analog: Vec<&[f32]> = Vec::new();
    let mut digital: Vec<&Bits> = Vec::new();
    for ch in &capture.channels {
        match &ch.samples {
            Samples::Analog(values) => analog.push(values),
            Samples::Digital(bits) => digital.push(bits),
        }
    }
    let mut record = Vec::with_capacity(plan.record_size);
    for i in 0..capture.sample_count() {
        record.clear();
        record.extend_from_slice(&u32::try_from(i + 1).unwrap_or(u32::MAX).to_le_bytes());
        record.extend_from_slice(&plan.tick(&capture.timebase, i).to_le_bytes());
        for values in &analog {
            record.extend_from_slice(&values.get(i).copied().unwrap_or(f32::NAN).to_le_bytes());
        }
        for group in digital.chunks(16) {
            let word = group
                .iter()
                .enumerate()
                .filter(|(_, bits)| bits.get(i) == Some(true))
                .fold(0u16, |word, (j, _)| word | 1 << j);
            record.extend_from_slice(&word.to_le_bytes());
        }
        out.write_all(&record)?;
    }
    Ok(())
}
