//! Sags, swells and interruptions per IEEE 1159, on the one-cycle RMS refreshed every half
//! cycle, with hysteresis on the way out.

use super::{DetectOptions, Event, EventKind, VoltageReference, locate_edge, median};
use crate::analysis::cycles::{HalfCycleSeries, HalfCycles, cycle_rms_from};
use crate::capture::Channel;

/// Standard nominal RMS voltages (line to neutral and line to line, and the usual VT
/// secondaries) that a channel's median is rounded to when within 5%.
const STANDARD_V: [f64; 21] = [
    57.7, 63.5, 66.4, 69.3, 100.0, 110.0, 115.0, 120.0, 127.0, 208.0, 220.0, 230.0, 240.0, 277.0, 347.0, 380.0,
    400.0, 415.0, 480.0, 600.0, 690.0,
];

/// A step in a voltage's RMS at an event's start or end: the load detector uses it to tell
/// currents that merely follow the voltage from loads switching.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct VoltageEdge {
    pub t_s: f64,
    /// RMS after over RMS before.
    pub ratio: f64,
    pub channel: String,
    /// What the voltage did, in words.
    pub what: String,
}

/// Events of one voltage channel and their edges.
pub(super) struct Found {
    pub events: Vec<Event>,
    pub edges: Vec<VoltageEdge>,
}

/// The channel's 1 pu: given, else its median one-cycle RMS rounded to a standard voltage
/// within 5%. `None` for a flat, zero or missing channel.
pub(super) fn reference(
    channel: &Channel,
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    options: &DetectOptions,
) -> Option<VoltageReference> {
    let make = |reference: f64, source: &str| VoltageReference {
        channel: channel.name.clone(),
        reference,
        unit: channel.unit.clone(),
        source: source.to_string(),
    };
    if let Some(v) = options.nominal_v {
        return Some(make(v, "given"));
    }
    let trend = cycle_rms_from(series, grid);
    let m = median(trend.values.iter().map(|&v| f64::from(v)))?;
    if !(m > 0.0) {
        return None;
    }
    if channel.unit.trim() == "V" {
        let closest = STANDARD_V.iter().copied().min_by(|a, b| (a - m).abs().total_cmp(&(b - m).abs()));
        if let Some(nominal) = closest.filter(|n| (n - m).abs() <= 0.05 * n) {
            return Some(make(nominal, "nominal"));
        }
    }
    Some(make(m, "median"))
}

#[derive(Clone, Copy)]
struct Open {
    kind: EventKind,
    /// Index in the one-cycle RMS trend where it crossed the threshold.
    at: usize,
    extreme_pu: f64,
}

/// Sags, swells and interruptions of one voltage channel.
pub(super) fn events(
    channel: &Channel,
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    reference: &VoltageReference,
    options: &DetectOptions,
) -> Found {
    let trend = cycle_rms_from(series, grid);
    let one_pu = reference.reference;
    let mut found = Found { events: Vec::new(), edges: Vec::new() };
    let mut open: Option<Open> = None;
    for (k, &rms) in trend.values.iter().enumerate() {
        let pu = f64::from(rms) / one_pu;
        if !pu.is_finite() {
            continue;
        }
        match &mut open {
            None => {
                if pu < options.sag_pu {
                    open = Some(Open { kind: EventKind::Sag, at: k, extreme_pu: pu });
                } else if pu > options.swell_pu {
                    open = Some(Open { kind: EventKind::Swell, at: k, extreme_pu: pu });
                }
            }
            Some(o) if o.kind == EventKind::Sag => {
                o.extreme_pu = o.extreme_pu.min(pu);
                if pu >= options.sag_pu + options.hysteresis_pu {
                    close(channel, series, grid, one_pu, *o, Some(k), options, &mut found);
                    open = None;
                }
            }
            Some(o) => {
                o.extreme_pu = o.extreme_pu.max(pu);
                if pu <= options.swell_pu - options.hysteresis_pu {
                    close(channel, series, grid, one_pu, *o, Some(k), options, &mut found);
                    open = None;
                }
            }
        }
    }
    if let Some(o) = open {
        close(channel, series, grid, one_pu, o, None, options, &mut found);
    }
    found
}

/// Places the start and end of an event found between trend indices `o.at` and `end_at`
/// (where the RMS came back, if it did) and records it.
#[allow(clippy::too_many_arguments)]
fn close(
    channel: &Channel,
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    one_pu: f64,
    o: Open,
    end_at: Option<usize>,
    options: &DetectOptions,
    found: &mut Found,
) {
    let ms = &series.mean_square;
    let n = ms.len();
    let d = o.at;
    let rate = grid.sample_rate_hz;
    let energy = |lo: usize, hi: usize| median((lo.min(n)..hi.min(n)).map(|k| ms[k]));
    let e_pre = if d >= 3 { energy(d.saturating_sub(6), d - 2) } else { None }.unwrap_or(one_pu * one_pu);
    let inner_end = end_at.map_or(n, |r| r.saturating_sub(1));
    let e_in = energy(d + 2, inner_end).unwrap_or((o.extreme_pu * one_pu).powi(2));
    // Trend value `d` covers half cycles `d` and `d + 1` and ends at `bound(d + 2)`.
    let start = locate_edge(ms, grid, d.saturating_sub(2)..d + 3, e_pre, e_in).unwrap_or(grid.bound(d + 2) as f64);
    let start_s = start / rate;
    let start_window = grid.window_of(start.floor() as usize);
    let kind = if o.kind == EventKind::Sag && o.extreme_pu < options.interruption_pu {
        EventKind::Interruption
    } else {
        o.kind
    };
    let mut event = Event::new(kind, &channel.name, start_s, o.extreme_pu * one_pu, &channel.unit);
    event.magnitude_pu = Some(o.extreme_pu);
    let ratio_in = (e_in / e_pre).sqrt();
    found.edges.push(VoltageEdge {
        t_s: start_s,
        ratio: ratio_in,
        channel: channel.name.clone(),
        what: format!("{} start", kind.as_str()),
    });
    if let Some(r) = end_at {
        let e_post = energy(r + 2, r + 7).unwrap_or(one_pu * one_pu);
        let search = r.saturating_sub(2).max(start_window + 1)..r + 3;
        let end = locate_edge(ms, grid, search, e_in, e_post).unwrap_or(grid.bound(r) as f64).max(start);
        let end_s = end / rate;
        event.end_s = Some(end_s);
        event.duration_s = Some(end_s - start_s);
        found.edges.push(VoltageEdge {
            t_s: end_s,
            ratio: (e_post / e_in).sqrt(),
            channel: channel.name.clone(),
            what: format!("{} end", kind.as_str()),
        });
    }
    let frequency_hz = rate / grid.period_samples;
    event.note = ieee1159_category(kind, event.duration_s, frequency_hz);
    found.events.push(event);
}

/// IEEE 1159 duration category of a voltage event.
fn ieee1159_category(kind: EventKind, duration_s: Option<f64>, frequency_hz: f64) -> String {
    let Some(d) = duration_s else {
        return "still going on at the end of the capture".into();
    };
    let cycles = d * frequency_hz;
    let class = if cycles < 30.0 {
        if kind == EventKind::Interruption { "momentary" } else { "instantaneous" }
    } else if d < 3.0 {
        "momentary"
    } else if d < 60.0 {
        "temporary"
    } else {
        "sustained"
    };
    format!("IEEE 1159 {class} {}, {cycles:.1} cycles", kind.as_str())
}

/// Smallest voltage step (per unit) that currents are checked against.
const VOLTAGE_STEP_PU: f64 = 0.01;

/// Steps in a voltage's RMS between steady levels, events or not (a 1.08 pu swell still
/// raises the currents of its loads): edges the load detector checks currents against.
pub(super) fn level_edges(
    channel: &Channel,
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    reference: &VoltageReference,
    options: &DetectOptions,
) -> Vec<VoltageEdge> {
    let level: Vec<f64> = series.mean_square.iter().map(|m| m.sqrt()).collect();
    let min_step = VOLTAGE_STEP_PU * reference.reference;
    super::loads::steady_steps(&level, &series.mean_square, grid, min_step, options.steady_cycles)
        .into_iter()
        .map(|s| VoltageEdge {
            t_s: s.onset / grid.sample_rate_hz,
            ratio: s.level_after / s.level_before,
            channel: channel.name.clone(),
            what: format!("RMS step {:.3} -> {:.3} pu", s.level_before / reference.reference, s.level_after / reference.reference),
        })
        .collect()
}
