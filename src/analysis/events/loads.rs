//! Loads switching on and off: steps in half-cycle RMS current (or mean power) between two
//! steady levels.
//!
//! A half cycle is quiet when its level is within the channel's jitter of the one before
//! (a slowly wandering load stays quiet); a level is steady when it stays quiet for
//! [`DetectOptions::steady_cycles`]. Between two steady levels lies a transition (the step
//! itself, an inrush, or a disturbance); it is a switching when the levels differ by the
//! minimum step and by well over the jitter, and the change is not explained by a voltage
//! event at the same moment (a current that follows a sag, swell or interruption).

use super::voltage::VoltageEdge;
use super::{DetectOptions, Event, EventKind, locate_edge, median};
use crate::analysis::cycles::{HalfCycleSeries, HalfCycles};
use crate::capture::Channel;

/// A quiet half cycle moves by at most this fraction of its level ...
const QUIET_FRACTION: f64 = 0.01;
/// ... or this many times the channel's median half-cycle jitter ...
const QUIET_JITTER: f64 = 4.0;
/// ... or this fraction of the minimum step, whichever is largest.
const QUIET_STEP_FRACTION: f64 = 0.25;
/// A step must be this many times the quiet band as well as the minimum step.
const STEP_OVER_QUIET: f64 = 3.0;
/// A current change within this many cycles of a voltage event's edge may follow it.
const FOLLOW_CYCLES: f64 = 1.5;
/// Slack on the current ratio a constant-impedance or constant-power load would show.
const FOLLOW_SLACK: f64 = 1.25;
/// The levels before and after a step are the medians over at most this long of their
/// steady stretches (nearest the step), so that the tail of an inrush counts little.
const LEVEL_SPAN_S: f64 = 1.0;

/// The load switching events of a current (RMS) or power (mean) channel.
#[allow(clippy::too_many_arguments)]
pub(super) fn find(
    channel: &Channel,
    values: &[f32],
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    is_power: bool,
    min_step: f64,
    voltage_edges: &[VoltageEdge],
    options: &DetectOptions,
) -> Vec<Event> {
    // The level per half cycle, and the series whose windows mix linearly across a step.
    let level: Vec<f64> =
        if is_power { series.mean.clone() } else { series.mean_square.iter().map(|m| m.sqrt()).collect() };
    let mixing = if is_power { &series.mean } else { &series.mean_square };
    let n = level.len();
    let jitter = median(level.windows(2).map(|w| (w[1] - w[0]).abs())).unwrap_or(0.0);
    let quiet_band =
        |l: f64| (QUIET_FRACTION * l.abs()).max(QUIET_JITTER * jitter).max(QUIET_STEP_FRACTION * min_step);
    let steady = ((2.0 * options.steady_cycles).round() as usize).max(2);

    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    let mut run_start = 0;
    for k in 1..=n {
        let quiet = k < n && {
            let (a, b) = (level[k - 1], level[k]);
            a.is_finite() && b.is_finite() && (b - a).abs() <= quiet_band(a.abs().max(b.abs()))
        };
        if !quiet {
            if k - run_start >= steady && level[run_start].is_finite() {
                runs.push(run_start..k);
            }
            run_start = k;
        }
    }

    let rate = grid.sample_rate_hz;
    let cycle_s = grid.period_samples / rate;
    let mut events = Vec::new();
    for pair in runs.windows(2) {
        let (before, after) = (&pair[0], &pair[1]);
        let mean = |r: std::ops::Range<usize>, s: &[f64]| s[r.clone()].iter().sum::<f64>() / r.len() as f64;
        let tail = before.end - steady..before.end;
        let span = ((LEVEL_SPAN_S / (cycle_s / 2.0)) as usize).max(steady);
        let median_of = |r: std::ops::Range<usize>| median(level[r].iter().copied()).unwrap_or(f64::NAN);
        let l0 = median_of(before.end.saturating_sub(span).max(before.start)..before.end);
        let l1 = median_of(after.start..(after.start + span).min(after.end));
        let step = l1 - l0;
        if step.abs() < min_step.max(STEP_OVER_QUIET * quiet_band(l0.abs().max(l1.abs()))) {
            continue;
        }
        // The first moving half cycle mixes the level before with the one right after it.
        let first_moving = before.end;
        let mix_after = mixing[(first_moving + 1).min(after.start)];
        let onset = locate_edge(mixing, grid, before.end - 1..after.start + 1, mean(tail, mixing), mix_after)
            .unwrap_or(grid.bound(first_moving) as f64);
        let start_s = onset / rate;
        let kind = if step > 0.0 { EventKind::LoadOn } else { EventKind::LoadOff };
        let mut note = String::new();
        if let Some(edge) = voltage_edges.iter().find(|e| (e.t_s - start_s).abs() <= FOLLOW_CYCLES * cycle_s) {
            let ratio = if l0.abs() > 0.0 { l1.abs() / l0.abs() } else { f64::INFINITY };
            let (lo, hi) = (edge.ratio.min(1.0 / edge.ratio), edge.ratio.max(1.0 / edge.ratio));
            if ratio >= lo / FOLLOW_SLACK && ratio <= hi * FOLLOW_SLACK {
                // The current only follows the voltage.
                continue;
            }
            note = format!(
                "{} by {:.2}x while {} went to {:.2} pu ({}): a fault or a load reacting to it?",
                if step > 0.0 { "rose" } else { "fell" },
                ratio,
                edge.channel,
                edge.event_pu,
                edge.kind.as_str()
            );
        }
        let mut event = Event::new(kind, &channel.name, start_s, step.abs(), &channel.unit);
        event.level_before = Some(l0);
        event.level_after = Some(l1);
        event.note = note;
        if kind == EventKind::LoadOn {
            let settle = (after.start + span).min(after.end);
            inrush(values, &level, grid, first_moving..settle, onset, l1, step, &mut event);
        }
        events.push(event);
    }
    events
}

/// Fills in the inrush of a load switching on: over half cycles `span` (the transition and
/// the start of the new steady level), the largest instantaneous value and how long the
/// half-cycle level takes to come back within a tenth of the way from its peak to `l1`.
/// Left empty when the level never rises a fifth of the step above `l1`.
#[allow(clippy::too_many_arguments)]
fn inrush(
    values: &[f32],
    level: &[f64],
    grid: &HalfCycles,
    span: std::ops::Range<usize>,
    onset: f64,
    l1: f64,
    step: f64,
    event: &mut Event,
) {
    let Some((peak_k, peak_level)) =
        span.clone().filter(|&k| level[k].is_finite()).map(|k| (k, level[k])).max_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return;
    };
    if peak_level < l1 + 0.2 * step.abs() {
        return;
    }
    let settled = l1 + 0.1 * (peak_level - l1);
    let end_k = (peak_k..span.end).find(|&k| level[k] <= settled).unwrap_or(span.end);
    let samples = (onset.floor() as usize).min(values.len())..grid.bound(end_k).min(values.len());
    let peak = values[samples].iter().filter(|v| v.is_finite()).fold(0f32, |m, v| m.max(v.abs()));
    event.inrush_peak = Some(f64::from(peak));
    event.inrush_duration_s = Some(((grid.bound(end_k) as f64 - onset) / grid.sample_rate_hz).max(0.0));
}
