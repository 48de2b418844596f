//! `panelscope measure`: statistics, frequency, THD, powers, phasors and sequence
//! components over a window, as text or JSON.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::analysis::measure::MeasureReport;
use crate::capture;
use crate::format::fmt_value;

/// `panelscope measure IN [--from S] [--to S] [--json]`: reads `path`, measures the window
/// `from_s`..`to_s` (the whole capture by default) and prints the report to `out`.
pub fn measure(
    path: &Path,
    from_s: Option<f64>,
    to_s: Option<f64>,
    as_json: bool,
    config: Option<&Path>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let capture = capture::read(path)?;
    // With an install configuration: each current paired with its phase's voltage, and
    // the balance of each phase.
    let report = match config {
        Some(config) => crate::panel::load_install_config(config)?.measure(&capture, from_s, to_s),
        None => crate::analysis::measure::measure_report_paired(&capture, from_s, to_s, &[]),
    }
    .with_context(|| path.display().to_string())?;
    if as_json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write_text(path, &report, out)?;
    }
    Ok(())
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), fmt_value)
}

fn fixed(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.digits$}"))
}

/// An angle to two decimals, `180.00` rather than `-180.00`.
fn angle(deg: f64) -> String {
    let text = format!("{deg:.2}");
    if text == "-180.00" { "180.00".to_string() } else { text }
}

fn write_text(path: &Path, r: &MeasureReport, out: &mut impl Write) -> std::io::Result<()> {
    let f = match (r.frequency_hz, r.nominal_frequency_hz) {
        (Some(f), Some(n)) => format!("{f:.3} Hz (nominal {n} Hz)"),
        (Some(f), None) => format!("{f:.3} Hz"),
        (None, _) => "no fundamental".to_string(),
    };
    writeln!(out, "{}: {:.4} s to {:.4} s, {} samples, {f}", path.display(), r.from_s, r.to_s, r.samples)?;
    let width = r.channels.iter().map(|c| c.name.chars().count()).max().unwrap_or(0).max(7);
    let unit_width = r.channels.iter().map(|c| c.unit.chars().count()).max().unwrap_or(0).max(4);
    writeln!(out)?;
    writeln!(
        out,
        "{:<width$}  {:<unit_width$}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>6}  {:>8}  {:>7}",
        "channel", "unit", "rms", "mean", "min", "max", "p2p", "crest", "f_hz", "thd_%"
    )?;
    for c in &r.channels {
        writeln!(
            out,
            "{:<width$}  {:<unit_width$}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>6}  {:>8}  {:>7}",
            c.name,
            c.unit,
            num(c.rms),
            num(c.mean),
            num(c.min),
            num(c.max),
            num(c.p2p),
            fixed(c.crest_factor, 3),
            fixed(c.frequency_hz, 3),
            fixed(c.thd.map(|t| 100.0 * t), 2),
        )?;
    }
    if !r.pairs.is_empty() {
        let labels: Vec<String> = r.pairs.iter().map(|p| format!("{} x {}", p.voltage, p.current)).collect();
        let pw = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0).max(4);
        writeln!(out)?;
        writeln!(
            out,
            "{:<pw$}  {:>10}  {:>10}  {:>10}  {:>6}  {:>6}  paired by",
            "pair", "P_W", "Q_var", "S_VA", "PF", "DPF"
        )?;
        for (p, label) in r.pairs.iter().zip(&labels) {
            writeln!(
                out,
                "{label:<pw$}  {:>10}  {:>10}  {:>10}  {:>6}  {:>6}  {}",
                fmt_value(p.power.p_w),
                num(p.power.q_var),
                fmt_value(p.power.s_va),
                fixed(p.power.pf, 3),
                fixed(p.power.dpf, 3),
                p.paired_by.as_str()
            )?;
        }
    }
    if let Some(reference) = &r.phasor_reference {
        writeln!(out)?;
        writeln!(out, "phasors (fundamental RMS, angle to {reference}):")?;
        for p in &r.phasors {
            writeln!(
                out,
                "  {:<width$}  {:>10} {:<unit_width$}  {:>8}°",
                p.name,
                fmt_value(p.magnitude),
                p.unit,
                angle(p.angle_deg)
            )?;
        }
    }
    for s in &r.three_phase {
        let q = &s.sequence;
        writeln!(out)?;
        writeln!(out, "sequence components of {} / {} / {}:", s.channels[0], s.channels[1], s.channels[2])?;
        for (name, c) in [("positive", q.positive), ("negative", q.negative), ("zero", q.zero)] {
            writeln!(out, "  {name:<8}  {:>10} {:<4}  {:>8}°", fmt_value(c.magnitude), s.unit, angle(c.angle_deg))?;
        }
        if let (Some(neg), Some(zero)) = (q.negative_unbalance, q.zero_unbalance) {
            writeln!(out, "  unbalance  negative/positive {:.3} %, zero/positive {:.3} %", 100.0 * neg, 100.0 * zero)?;
        }
    }
    if !r.balances.is_empty() {
        writeln!(out)?;
        writeln!(out, "balance (mains minus the circuits on the phase, RMS):")?;
        for b in &r.balances {
            let share = if b.mains_rms > 0.0 { format!("{:.1} %", 100.0 * b.rms / b.mains_rms) } else { "-".into() };
            writeln!(
                out,
                "  {:<12}  {:>10}  of mains {:>10}  ({share}, {} circuits)",
                b.name,
                fmt_value(b.rms),
                fmt_value(b.mains_rms),
                b.circuits
            )?;
        }
    }
    if !r.notes.is_empty() {
        writeln!(out)?;
    }
    for n in &r.notes {
        writeln!(out, "note: {n}")?;
    }
    Ok(())
}
