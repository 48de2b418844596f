//! The headless commands behind `panelscope info`, `convert`, `export`, `events`,
//! `measure` and `generate`. `main.rs` parses the arguments; these functions do the work
//! and print the results.

pub mod batch;
pub mod events;
pub mod measure;
pub mod panel;
pub mod remote;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::analysis::decimate::{analog_extremes, digital_extremes, window_buckets};
use crate::analysis::stats::Stats;
use crate::capture::{self, Bits, Capture, Channel, Samples, Scan, Timebase};
use crate::info::{CaptureInfo, channel_stats};

/// `panelscope info FILE [--json] [--stats]`. The file is scanned: Parquet and binary
/// COMTRADE are read batch by batch into running statistics, never held whole.
pub fn info(path: &Path, as_json: bool, with_stats: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let scan = capture::scan(path, with_stats)?;
    let value = scan_json(&scan, with_stats);
    if as_json {
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        write_info_text(path, &scan, &value, out)?;
    }
    Ok(())
}

/// The `info --json` document (DESIGN.md) of a capture held in memory, with statistics
/// per analog channel when asked (null where a channel has no sample).
pub fn info_json(capture: &Capture, with_stats: bool) -> Value {
    let stats = if with_stats { channel_stats(capture) } else { Vec::new() };
    document(CaptureInfo::of(capture), capture, &stats, with_stats)
}

/// The `info --json` document of a scan.
pub fn scan_json(scan: &Scan, with_stats: bool) -> Value {
    document(CaptureInfo::of_scan(scan), &scan.capture, &scan.stats, with_stats)
}

fn document(mut info: CaptureInfo, capture: &Capture, stats: &[Option<Stats>], with_stats: bool) -> Value {
    if with_stats {
        info = info.with_stats(stats);
    }
    let mut value = serde_json::to_value(&info).unwrap_or(Value::Null);
    if with_stats && let Some(channels) = value["channels"].as_array_mut() {
        for (v, ch) in channels.iter_mut().zip(&capture.channels) {
            if matches!(ch.samples, Samples::Analog(_)) {
                for key in ["min", "max", "mean", "rms"] {
                    if v.get(key).is_none() {
                        v[key] = Value::Null;
                    }
                }
            }
        }
    }
    value
}

fn write_info_text(path: &Path, scan: &Scan, value: &Value, out: &mut impl Write) -> anyhow::Result<()> {
    let capture = &scan.capture;
    writeln!(out, "file:      {}", path.display())?;
    writeln!(out, "format:    {}", capture.format.as_str())?;
    let rate = match capture.sample_rate_hz() {
        Some(r) => format!("{r} Hz"),
        None => "irregular time".to_string(),
    };
    writeln!(out, "samples:   {} at {rate}, {:.6} s", scan.sample_count, scan.duration_s())?;
    if let Some(start) = capture.start {
        writeln!(out, "start:     {}", start.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))?;
    }
    if let Some(f) = capture.line_frequency_hz {
        writeln!(out, "line:      {f} Hz")?;
    }
    if let Some(t) = capture.trigger_s {
        writeln!(out, "trigger:   {t:.6} s")?;
    }
    for (k, v) in &capture.metadata {
        writeln!(out, "{:<10} {v}", format!("{k}:"))?;
    }
    writeln!(out, "channels:  {} analog, {} digital", capture.analog_count(), capture.digital_count())?;
    let channels = value["channels"].as_array().cloned().unwrap_or_default();
    let width = capture.channels.iter().map(|c| c.name.chars().count()).max().unwrap_or(4).max(4);
    let has_stats = channels.iter().any(|c| c.get("rms").is_some());
    write!(out, "  {:<width$}  {:<8} {:<6}", "name", "kind", "unit")?;
    if has_stats {
        write!(out, " {:>12} {:>12} {:>12} {:>12}", "min", "max", "mean", "rms")?;
    }
    writeln!(out)?;
    for c in &channels {
        let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
        write!(out, "  {:<width$}  {:<8} {:<6}", s("name"), s("kind"), s("unit"))?;
        if c.get("rms").is_some() {
            for key in ["min", "max", "mean", "rms"] {
                match c[key].as_f64() {
                    Some(x) => write!(out, " {x:>12.5}")?,
                    None => write!(out, " {:>12}", "-")?,
                }
            }
        }
        writeln!(out)?;
    }
    Ok(())
}

/// `panelscope convert IN OUT`: the output format follows OUT's extension.
pub fn convert(input: &Path, output: &Path) -> anyhow::Result<()> {
    capture::FileFormat::from_path(output)?;
    let capture = capture::read(input)?;
    capture::write(&capture, output)?;
    Ok(())
}

/// What `panelscope export` writes.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub from_s: Option<f64>,
    pub to_s: Option<f64>,
    /// Channel names; all channels when empty.
    pub channels: Vec<String>,
    pub max_points: Option<usize>,
}

/// `panelscope export IN --out OUT [--from S] [--to S] [--channels A,B] [--max-points N]`.
pub fn export(input: &Path, output: &Path, options: &ExportOptions) -> anyhow::Result<()> {
    capture::FileFormat::from_path(output)?;
    let capture = capture::read(input)?;
    let result = export_capture(&capture, options).with_context(|| input.display().to_string())?;
    capture::write(&result, output)?;
    Ok(())
}

/// Selects the window and channels, then decimates when `max_points` asks for it.
pub fn export_capture(capture: &Capture, options: &ExportOptions) -> anyhow::Result<Capture> {
    let keep = capture.channel_indices(&options.channels)?;
    let range = capture.window(options.from_s, options.to_s)?;
    let lo = range.start;
    match options.max_points {
        Some(n) if n < 2 => bail!("--max-points {n} is too small: at least 2 points (one min/max bucket)"),
        Some(n) if range.len() > n => {
            let duration = capture.duration_s();
            let t_end = options.to_s.map_or(duration, |to| to.min(duration));
            let span_s = t_end - capture.time_s(lo);
            Ok(match capture.timebase {
                // Straight from the capture's samples: the window is never copied.
                Timebase::Fixed { .. } => {
                    let header = capture.slice(range.clone(), Some(&[]));
                    min_max_buckets(capture, &keep, range, n / 2, span_s, header)
                }
                // Irregular time: bucket edges from the window's own times, from 0.
                Timebase::Irregular { .. } => decimate_min_max(&capture.slice(range, Some(&keep)), n / 2, span_s),
            })
        }
        _ => Ok(capture.slice(range, Some(&keep))),
    }
}

/// Keeps the minimum and maximum of each of `buckets` equal time buckets, in time order.
/// Every channel gets two points per bucket on a shared uniform grid (bucket start and
/// bucket middle), so the result is a fixed-rate capture whose extremes are exact in
/// value and within one bucket in time.
pub fn decimate_min_max(capture: &Capture, buckets: usize, span_s: f64) -> Capture {
    let all: Vec<usize> = (0..capture.channels.len()).collect();
    min_max_buckets(capture, &all, 0..capture.sample_count(), buckets, span_s, capture.clone_header())
}

/// [`decimate_min_max`] of channels `keep` over samples `range` of `capture` (from its
/// first sample's time when irregular), each channel on its own thread, into `header`.
fn min_max_buckets(
    capture: &Capture,
    keep: &[usize],
    range: std::ops::Range<usize>,
    buckets: usize,
    span_s: f64,
    header: Capture,
) -> Capture {
    use rayon::prelude::*;
    let from_s = if range.start < capture.sample_count() { capture.time_s(range.start) } else { 0.0 };
    let ranges = window_buckets(&capture.timebase, range.clone(), from_s, from_s + span_s, buckets);
    let equal_index = matches!(capture.timebase, Timebase::Fixed { .. });
    let channels = keep
        .par_iter()
        .map(|&ci| {
            let ch = &capture.channels[ci];
            let samples = match &ch.samples {
                Samples::Analog(v) => Samples::Analog(
                    analog_extremes(v, None, range.clone(), &ranges, equal_index)
                        .into_iter()
                        .flatten()
                        .map(|x| x.unwrap_or(f32::NAN))
                        .collect(),
                ),
                // An empty bucket (irregular time) holds the state that follows it.
                Samples::Digital(bits) => Samples::Digital(
                    digital_extremes(bits, &ranges)
                        .into_iter()
                        .zip(&ranges)
                        .flat_map(|(pair, r)| pair.map(|b| b.unwrap_or_else(|| bits.get(r.start).unwrap_or(false))))
                        .collect::<Bits>(),
                ),
            };
            Channel { name: ch.name.clone(), kind: ch.kind, unit: ch.unit.clone(), samples }
        })
        .collect();
    Capture {
        timebase: Timebase::Fixed { sample_rate_hz: 2.0 * buckets as f64 / span_s },
        channels,
        metadata: capture.metadata.clone(),
        ..header
    }
}

/// `panelscope generate OUT`: a realistic sample capture plus its planted events as
/// ground truth in `OUT.events.json`.
pub fn generate(output: &Path, options: &crate::generate::GenerateOptions) -> anyhow::Result<PathBuf> {
    capture::FileFormat::from_path(output)?;
    let generated = crate::generate::generate(options);
    capture::write(&generated.capture, output)?;
    let truth_path = ground_truth_path(output);
    let text = serde_json::to_string_pretty(&json!({ "events": generated.events }))?;
    let mut pending = capture::PendingFile::create(&truth_path)?;
    pending.write_all(text.as_bytes()).with_context(|| truth_path.display().to_string())?;
    pending.commit()?;
    Ok(truth_path)
}

/// Where `generate` writes the planted events for a capture file.
pub fn ground_truth_path(capture_path: &Path) -> PathBuf {
    let mut name = capture_path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".events.json");
    capture_path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenerateOptions, generate};

    /// Decimating straight from the capture's samples gives what decimating a copy of the
    /// window did, header and all.
    #[test]
    fn decimating_in_place_equals_decimating_the_window() {
        let mut capture = generate(&GenerateOptions { duration_s: 2.0, ..Default::default() }).capture;
        capture.trigger_s = Some(1.0);
        capture.channels.push(Channel::digital("bit", (0..capture.sample_count()).map(|i| i % 700 < 300).collect()));
        let options = ExportOptions {
            from_s: Some(0.3),
            to_s: Some(1.7),
            channels: vec!["V_B".into(), "I_03".into(), "bit".into()],
            max_points: Some(501),
        };
        let direct = export_capture(&capture, &options).unwrap();
        let keep = capture.channel_indices(&options.channels).unwrap();
        let range = capture.window(options.from_s, options.to_s).unwrap();
        let span_s = 1.7 - capture.time_s(range.start);
        let copied = decimate_min_max(&capture.slice(range, Some(&keep)), 250, span_s);
        assert_eq!(direct, copied);
        assert_eq!(direct.channels.len(), 3);
        assert_eq!(direct.sample_count(), 500);
        assert_eq!(direct.trigger_s, copied.trigger_s);
        assert!(direct.start.is_some());
    }
}
