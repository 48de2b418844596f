//! `panelscope events`: detect events in a capture and print them as text, JSON or CSV.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::analysis::events::{DetectOptions, Detection, detect};
use crate::capture;
use crate::format::fmt_value;

/// How `events` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsFormat {
    Text,
    Json,
    Csv,
}

/// Reads `path`, detects its events and prints them to `out` (warnings go to stderr in the
/// text and CSV formats; JSON carries them).
pub fn events(
    path: &Path,
    options: &DetectOptions,
    format: EventsFormat,
    config: Option<&Path>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let capture = capture::read(path)?;
    let roles = match config {
        Some(config) => crate::panel::load_install_config(config)?.channel_roles(),
        None => Vec::new(),
    };
    let detection = detect(&capture, options).with_context(|| format!("{}", path.display()))?;
    match format {
        EventsFormat::Json => {
            // With an install configuration, each event names its circuit and phase.
            let mut value = serde_json::to_value(&detection)?;
            if let Some(events) = value.get_mut("events").and_then(|e| e.as_array_mut()) {
                for event in events {
                    let channel = event.get("channel").and_then(|c| c.as_str()).unwrap_or_default().to_string();
                    if let Some(role) = roles.iter().find(|r| r.channel == channel) {
                        event["circuit"] = role.label.clone().into();
                        event["phase"] = format!("{:?}", role.phase).into();
                    }
                }
            }
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)?;
        }
        EventsFormat::Csv => {
            write_csv(&detection.events, out)?;
            print_warnings(&detection);
        }
        EventsFormat::Text => {
            write_text(path, &detection, out)?;
            print_warnings(&detection);
        }
    }
    Ok(())
}

fn print_warnings(detection: &Detection) {
    for w in &detection.warnings {
        eprintln!("warning: {}", crate::format::escape_control(w));
    }
}

pub use crate::analysis::events::csv::{CSV_HEADER, write_csv};

fn write_text(path: &Path, detection: &Detection, out: &mut impl Write) -> std::io::Result<()> {
    let nominal = detection.nominal_frequency_hz.map_or(String::new(), |f| format!(" (a {f} Hz system)"));
    writeln!(
        out,
        "{}: {} events at {:.3} Hz{nominal}",
        path.display(),
        detection.events.len(),
        detection.frequency_hz
    )?;
    for r in &detection.references {
        writeln!(out, "  {}: 1 pu = {} {} ({})", r.channel, fmt_value(r.reference), r.unit, r.source)?;
    }
    if detection.events.is_empty() {
        return Ok(());
    }
    let width = detection.events.iter().map(|e| e.channel.len()).max().unwrap_or(7).max(7);
    writeln!(out)?;
    writeln!(out, "{:>10}  {:>10}  {:<12}  {:<width$}  magnitude", "start_s", "end_s", "kind", "channel")?;
    for e in &detection.events {
        let end = e.end_s.map_or("-".to_string(), |t| format!("{t:.4}"));
        let mut detail = format!("{} {}", fmt_value(e.magnitude), e.unit);
        if let Some(pu) = e.magnitude_pu.filter(|_| e.level_before.is_none()) {
            detail.push_str(&format!(" ({pu:.3} pu)"));
        }
        if let (Some(a), Some(b)) = (e.level_before, e.level_after) {
            detail.push_str(&format!(", {} -> {} {}", fmt_value(a), fmt_value(b), e.unit));
        }
        if let (Some(peak), Some(d)) = (e.inrush_peak, e.inrush_duration_s) {
            detail.push_str(&format!(", inrush {} {} peak for {:.0} ms", fmt_value(peak), e.unit, d * 1000.0));
        }
        if !e.note.is_empty() {
            detail.push_str(&format!("; {}", e.note));
        }
        writeln!(out, "{:>10.4}  {end:>10}  {:<12}  {:<width$}  {detail}", e.start_s, e.kind.as_str(), e.channel)?;
    }
    Ok(())
}
