//! `panelscope measure`: statistics, frequency, THD, powers and sequence components over a
//! window, as text or JSON.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::fmt_value;
use crate::analysis::measure::{MeasureReport, measure_report};
use crate::capture;

/// Reads `path`, measures the window `from_s`..`to_s` and prints the report to `out`.
pub fn measure(
    path: &Path,
    from_s: Option<f64>,
    to_s: Option<f64>,
    as_json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let capture = capture::read(path)?;
    let report = measure_report(&capture, from_s, to_s).with_context(|| format!("{}", path.display()))?;
    if as_json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write_text(path, &report, out)?;
    }
    Ok(())
}

fn write_text(path: &Path, r: &MeasureReport, out: &mut impl Write) -> std::io::Result<()> {
    let f = r.frequency_hz.map_or("no fundamental".to_string(), |f| format!("{f:.3} Hz"));
    writeln!(out, "{}: {:.4} s to {:.4} s, {f}", path.display(), r.from_s, r.to_s)?;
    let width = r.channels.iter().map(|c| c.name.len()).max().unwrap_or(7).max(7);
    writeln!(out)?;
    writeln!(
        out,
        "{:<width$}  {:<5}  {:>11}  {:>11}  {:>11}  {:>11}  {:>11}  {:>6}  {:>9}  {:>7}",
        "channel", "unit", "rms", "mean", "min", "max", "p2p", "crest", "f_hz", "thd_%"
    )?;
    let num = |v: Option<f64>| v.map_or("-".to_string(), fmt_value);
    for c in &r.channels {
        writeln!(
            out,
            "{:<width$}  {:<5}  {:>11}  {:>11}  {:>11}  {:>11}  {:>11}  {:>6}  {:>9}  {:>7}",
            c.name,
            c.unit,
            num(c.rms),
            num(c.mean),
            num(c.min),
            num(c.max),
            num(c.p2p),
            c.crest_factor.map_or("-".into(), |v| format!("{v:.3}")),
            c.frequency_hz.map_or("-".into(), |v| format!("{v:.3}")),
            c.thd.map_or("-".into(), |v| format!("{:.2}", 100.0 * v)),
        )?;
    }
    if !r.pairs.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{:<24}  {:>12}  {:>12}  {:>12}  {:>7}  {:>7}  paired by",
            "pair", "P_W", "Q_var", "S_VA", "PF", "DPF"
        )?;
        for p in &r.pairs {
            let pair = format!("{} x {}", p.voltage, p.current);
            writeln!(
                out,
                "{pair:<24}  {:>12.2}  {:>12}  {:>12.2}  {:>7}  {:>7}  {}",
                p.power.p_w,
                p.power.q_var.map_or("-".into(), |q| format!("{q:.2}")),
                p.power.s_va,
                p.power.pf.map_or("-".into(), |v| format!("{v:.3}")),
                p.power.dpf.map_or("-".into(), |v| format!("{v:.3}")),
                p.paired_by
            )?;
        }
    }
    if !r.phasors.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "phasors (fundamental RMS, angle to {}):",
            r.phasors.iter().find(|p| p.angle_deg == 0.0).map_or("-", |p| p.name.as_str())
        )?;
        for p in &r.phasors {
            writeln!(out, "  {:<width$}  {:>12.4} {:<4} {:>8.2}°", p.name, p.magnitude, p.unit, p.angle_deg)?;
        }
    }
    for s in &r.three_phase {
        writeln!(out)?;
        writeln!(out, "sequence components of {} / {} / {}:", s.channels[0], s.channels[1], s.channels[2])?;
        for (name, c) in [("positive", s.positive), ("negative", s.negative), ("zero", s.zero)] {
            writeln!(out, "  {name:<8}  {:>12.4} {:<4} {:>8.2}°", c.magnitude, s.unit, c.angle_deg)?;
        }
        if let Some(u) = s.negative_unbalance {
            writeln!(out, "  unbalance (negative / positive) {:.3} %", 100.0 * u)?;
        }
    }
    for n in &r.notes {
        writeln!(out, "note: {n}")?;
    }
    Ok(())
}
