//! Impulsive transients: samples that depart sharply from the previous cycle's shape, for
//! no longer than [`DetectOptions::transient_max_s`], after which the waveform is back on
//! its old shape (a departure that persists is a change of level: a load or a sag).
//!
//! Only half cycles whose largest departure (from the one-pass series) is over the
//! threshold are looked at sample by sample.

use super::{DetectOptions, Event, EventKind, median};
use crate::analysis::cycles::{HalfCycleSeries, HalfCycles, next_cycle, previous_cycle};
use crate::capture::Channel;

/// The threshold is at least this many times the channel's median half-cycle departure, so
/// that noise and a slightly drifting shape never trigger.
const NOISE_FACTOR: f32 = 6.0;

/// The threshold is at least this many steps of the channel's resolution, so that a channel
/// sitting at its last bit (an idle CT) does not report every bit flip.
const RESOLUTION_FACTOR: f32 = 4.0;

/// Samples looked at to find a channel's resolution.
const RESOLUTION_SAMPLES: usize = 100_000;

/// The channel's resolution: the smallest non-zero difference between neighbouring samples
/// (one ADC step for recorded data; tiny for floating-point data).
pub(super) fn resolution(values: &[f32]) -> f32 {
    let head = &values[..values.len().min(RESOLUTION_SAMPLES)];
    head.windows(2).map(|w| (w[1] - w[0]).abs()).filter(|d| *d > 0.0).fold(f32::INFINITY, f32::min).min(f32::MAX)
}

/// The typical peak of a current, power or other channel: the 99th percentile of its
/// half-cycle RMS, times √2. `None` for a channel that is flat or missing.
pub(super) fn typical_peak(series: &HalfCycleSeries) -> Option<f64> {
    let mut rms: Vec<f64> = series.mean_square.iter().filter(|m| m.is_finite()).map(|m| m.sqrt()).collect();
    if rms.is_empty() {
        return None;
    }
    let at = (rms.len() - 1) * 99 / 100;
    let (_, p99, _) = rms.select_nth_unstable_by(at, f64::total_cmp);
    let peak = *p99 * std::f64::consts::SQRT_2;
    (peak > 0.0).then_some(peak)
}

/// The value `cycles` whole cycles before sample `i`, interpolated.
fn cycles_back(values: &[f32], i: usize, period: f64, cycles: usize) -> Option<f32> {
    previous_cycle(values, i, period * cycles as f64)
}

/// Transients on one channel whose peak (1 pu for the threshold) is `peak`.
pub(super) fn find(
    channel: &Channel,
    values: &[f32],
    series: &HalfCycleSeries,
    grid: &HalfCycles,
    peak: f64,
    options: &DetectOptions,
) -> Vec<Event> {
    let noise = median(series.max_deviation.iter().map(|&d| f64::from(d))).unwrap_or(0.0) as f32;
    let threshold =
        ((options.transient_pu * peak) as f32).max(NOISE_FACTOR * noise).max(RESOLUTION_FACTOR * resolution(values));
    if !(threshold > 0.0 && threshold.is_finite()) {
        return Vec::new();
    }
    let period = grid.period_samples;
    let rate = grid.sample_rate_hz;
    let longest = ((options.transient_max_s * rate).ceil() as usize).max(1);
    let gap = (longest / 2).max(1);
    let whole_period = period.ceil() as usize;
    // Departures one cycle after a transient are its echo, not a new one.
    let mut echoes: Vec<std::ops::Range<usize>> = Vec::new();
    let departure = |i: usize, echoes: &[std::ops::Range<usize>]| -> Option<f32> {
        if echoes.iter().any(|r| r.contains(&i)) {
            return None;
        }
        let x = values[i];
        // In the first cycle there is no cycle before: the one after is the shape (a
        // transient lasts milliseconds, so the next cycle is clean of it).
        let r = previous_cycle(values, i, period).or_else(|| next_cycle(values, i, period))?;
        let d = x - r;
        (d.abs() > threshold).then_some(d)
    };
    let mut events = Vec::new();
    let mut resume = 0usize;
    for k in 0..series.max_deviation.len() {
        // The one-pass series has no departure for the first cycle: it is looked at whole.
        let first_cycle = (grid.window(k).start as f64) < period;
        if series.max_deviation[k] <= threshold && !first_cycle {
            continue;
        }
        let window = grid.window(k);
        let mut i = window.start.max(resume);
        while i < window.end {
            let Some(first) = departure(i, &echoes) else {
                i += 1;
                continue;
            };
            // The burst: departures no more than `gap` apart.
            let start = i;
            let (mut last, mut worst) = (i, first);
            let mut j = i + 1;
            while j < values.len() && j <= last + gap {
                if let Some(d) = departure(j, &echoes) {
                    last = j;
                    if d.abs() > worst.abs() {
                        worst = d;
                    }
                }
                j += 1;
            }
            let settled = if (start as f64) < period {
                periodic_after(values, last + gap, period, threshold)
            } else {
                back_on_shape(values, start, last + gap, period, threshold)
            };
            let impulsive = last - start < longest && settled;
            if impulsive {
                let mut event = Event::new(
                    EventKind::Transient,
                    &channel.name,
                    start as f64 / rate,
                    worst.abs().into(),
                    &channel.unit,
                );
                let end_s = (last + 1) as f64 / rate;
                event.end_s = Some(end_s);
                event.duration_s = Some(end_s - event.start_s);
                event.peak_deviation = Some(worst.into());
                event.magnitude_pu = Some(f64::from(worst.abs()) / peak);
                events.push(event);
                echoes.push(start + period.floor() as usize - 1..last + whole_period + 2);
                resume = last + 1;
            } else {
                // A change of level: its departures last a cycle from where it began.
                resume = (last + 1).max(start + whole_period + gap);
            }
            i = resume;
        }
    }
    events
}

/// For a burst in the first cycle (nothing before it to compare with): true when, from
/// `last` on, each sample of a cycle matches the sample one cycle later within half the
/// `threshold` (the waveform settled on one shape).
fn periodic_after(values: &[f32], last: usize, period: f64, threshold: f32) -> bool {
    let calm = 0.5 * threshold;
    let from = last + 1;
    let to = from + period.ceil() as usize;
    (from..to).all(|j| next_cycle(values, j, period).is_some_and(|r| (values[j] - r).abs() <= calm))
}

/// True when the cycle after `last` (where a burst that began at `start` has settled below
/// the threshold) follows the shape from before the burst again: no sample departs from it
/// by more than half the `threshold`.
/// Near the end of the capture, at least a quarter cycle must be left to tell.
fn back_on_shape(values: &[f32], start: usize, last: usize, period: f64, threshold: f32) -> bool {
    let calm = 0.5 * threshold;
    let from = last + 1;
    let to = (from + period.ceil() as usize).min(values.len());
    if ((to - from.min(to)) as f64) < period / 4.0 {
        return false;
    }
    for j in from..to {
        let x = values[j];
        // Whole cycles back until both samples around the reference lie before the burst.
        let cycles = ((j + 1 - start) as f64 / period).floor() as usize + 1;
        let Some(r) = cycles_back(values, j, period, cycles) else {
            return false;
        };
        if (x - r).abs() > calm {
            return false;
        }
    }
    true
}
