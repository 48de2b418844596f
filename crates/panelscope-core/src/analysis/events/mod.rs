//! Event detection: loads switching on and off, voltage sags, swells and interruptions
//! (IEEE 1159), and impulsive transients.
//!
//! Everything works from one pass over the samples ([`half_cycle_series`]): the half-cycle
//! energies give the one-cycle RMS refreshed every half cycle for the voltage events and the
//! current levels for the load steps; the largest departure of each half cycle from the
//! cycle before flags the few places the transient search then looks at sample by sample.
//! Onsets are placed inside the half cycle where they happen by how far its energy moved
//! from the level before to the level after ([`locate_edge`]).
//!
//! See [`DetectOptions`] for the thresholds and their defaults.

pub mod csv;
mod loads;
mod transients;
mod voltage;

use serde::{Deserialize, Serialize};

use super::cycles::{HalfCycleSeries, HalfCycles, half_cycle_series, patch_with_previous_cycle};
use super::frequency::{nominal_frequency_hz, zero_crossing_frequency};
use super::units::unit_scale;
use crate::capture::{Capture, ChannelKind, Timebase};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A load switched on: a step up in RMS current or active power between steady levels.
    LoadOn,
    /// A load switched off: a step down between steady levels.
    LoadOff,
    /// RMS voltage between the interruption and the sag threshold (0.1-0.9 pu by default).
    Sag,
    /// RMS voltage above the swell threshold (1.1 pu by default).
    Swell,
    /// RMS voltage below the interruption threshold (0.1 pu by default).
    Interruption,
    /// Samples departing sharply from the previous cycle's shape, for a short time.
    Transient,
    /// A load whose level goes up and down again and again (a motor under a varying
    /// load): one event for the stretch, with its span (`start_s` to `end_s`), its range
    /// (`magnitude`, lowest to highest level) and its rate (in `note`).
    Fluctuation,
}

impl EventKind {
    /// Every kind, in the order the schema lists them.
    pub const ALL: [EventKind; 7] =
        [Self::LoadOn, Self::LoadOff, Self::Sag, Self::Swell, Self::Interruption, Self::Transient, Self::Fluctuation];

    /// The name used in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoadOn => "load_on",
            Self::LoadOff => "load_off",
            Self::Sag => "sag",
            Self::Swell => "swell",
            Self::Interruption => "interruption",
            Self::Transient => "transient",
            Self::Fluctuation => "fluctuation",
        }
    }
}

/// One detected event. The first six fields are the schema of `events --json`; the others
/// are present where they apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub channel: String,
    /// Onset, seconds from the first sample.
    pub start_s: f64,
    /// End for voltage events and transients; `None` for load switching or an event still
    /// going on at the end of the capture.
    pub end_s: Option<f64>,
    /// Load steps: the step in RMS current or mean power (positive). Sags and
    /// interruptions: the lowest one-cycle RMS voltage; swells: the highest. Transients:
    /// the largest departure from the previous cycle (positive).
    pub magnitude: f64,
    /// Unit of `magnitude` (the channel's).
    pub unit: String,
    /// Voltage events: `magnitude` per unit of the reference voltage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magnitude_pu: Option<f64>,
    /// `end_s - start_s` where both are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// Load steps: the steady level before (RMS current or mean power).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_before: Option<f64>,
    /// Load steps: the steady level after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_after: Option<f64>,
    /// Load switching on with an inrush: the largest instantaneous absolute value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inrush_peak: Option<f64>,
    /// How long the inrush lasts: from the onset until the half-cycle RMS has come within
    /// a tenth of the way from its peak to the steady level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inrush_duration_s: Option<f64>,
    /// Transients: the largest departure from the previous cycle, with its sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_deviation: Option<f64>,
    /// Context in words (e.g. a current step during a voltage sag).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl Event {
    fn new(kind: EventKind, channel: &str, start_s: f64, magnitude: f64, unit: &str) -> Self {
        Self {
            kind,
            channel: channel.to_string(),
            start_s,
            end_s: None,
            magnitude,
            unit: unit.to_string(),
            magnitude_pu: None,
            duration_s: None,
            level_before: None,
            level_after: None,
            inrush_peak: None,
            inrush_duration_s: None,
            peak_deviation: None,
            note: String::new(),
        }
    }
}

/// Thresholds. The defaults suit 50 and 60 Hz systems from 1 kHz to 100 kHz sampling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetectOptions {
    /// Fundamental frequency; measured from the voltages (else the currents) when `None`.
    pub frequency_hz: Option<f64>,
    /// Reference voltage for every voltage channel, in its unit; when `None`, each channel's
    /// median one-cycle RMS, rounded to a standard nominal voltage within 5%.
    pub nominal_v: Option<f64>,
    /// A sag starts below this (per unit of the reference). IEEE 1159: 0.9.
    pub sag_pu: f64,
    /// A swell starts above this. IEEE 1159: 1.1.
    pub swell_pu: f64,
    /// A dip whose lowest RMS is below this is an interruption. IEEE 1159: 0.1.
    pub interruption_pu: f64,
    /// An event ends only once the RMS is this far back inside the normal band.
    pub hysteresis_pu: f64,
    /// Smallest load step on a current channel, in A. `None` (the default): from the
    /// channel itself, a step must stand out from its own noise (three times the band its
    /// quiet half cycles move in: four times their median movement, at least 1% of the
    /// level, and twice their median movement while its load draws) and be at least two
    /// steps of its resolution (the ADC step), so a quiet sub-metering sensor shows a 10 W
    /// load while noise and quantisation never trigger.
    pub min_step_a: Option<f64>,
    /// Smallest load step on a power channel, in W; `None` as for currents.
    pub min_step_w: Option<f64>,
    /// A level is steady when it holds (within its noise) for this many cycles.
    pub steady_cycles: f64,
    /// A transient departs from the previous cycle by more than this fraction of the
    /// channel's peak (the nominal peak for voltages, the typical peak for others).
    pub transient_pu: f64,
    /// Longest departure that is still a transient rather than a change of level.
    pub transient_max_s: f64,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self {
            frequency_hz: None,
            nominal_v: None,
            sag_pu: 0.9,
            swell_pu: 1.1,
            interruption_pu: 0.1,
            hysteresis_pu: 0.02,
            min_step_a: None,
            min_step_w: None,
            steady_cycles: 3.0,
            transient_pu: 0.2,
            transient_max_s: 0.010,
        }
    }
}

/// Why detection could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DetectError {
    #[error("invalid threshold: {0}")]
    Option(String),
    #[error(
        "no line frequency found: no voltage or current channel is periodic between 10 Hz and 1 kHz \
         (give it with --frequency-hz)"
    )]
    NoFrequency,
    #[error(
        "sample rate {sample_rate_hz} Hz gives {per_cycle:.1} samples per {frequency_hz} Hz cycle; \
         event detection needs at least 8"
    )]
    TooSlow { sample_rate_hz: f64, frequency_hz: f64, per_cycle: f64 },
}

impl DetectOptions {
    /// Checks that the thresholds make sense together.
    pub fn validate(&self) -> Result<(), DetectError> {
        let bad = |what: &str| Err(DetectError::Option(what.to_string()));
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if let Some(f) = self.frequency_hz
            && !(10.0..=1000.0).contains(&f)
        {
            return bad(&format!("frequency {f} Hz must be between 10 Hz and 1 kHz"));
        }
        if self.nominal_v.is_some_and(|v| !positive(v)) {
            return bad("the nominal voltage must be positive");
        }
        if !(0.0 <= self.interruption_pu && self.interruption_pu < self.sag_pu && self.sag_pu < 1.0) {
            return bad("expected 0 <= interruption < sag < 1 pu");
        }
        if !(self.swell_pu > 1.0 && self.swell_pu.is_finite()) {
            return bad("the swell threshold must be above 1 pu");
        }
        if !(0.0..=0.1).contains(&self.hysteresis_pu) {
            return bad("hysteresis must be between 0 and 0.1 pu");
        }
        if self.min_step_a.is_some_and(|v| !positive(v)) || self.min_step_w.is_some_and(|v| !positive(v)) {
            return bad("minimum load steps must be positive");
        }
        if !(self.steady_cycles >= 1.0 && self.steady_cycles <= 1000.0) {
            return bad("steady cycles must be between 1 and 1000");
        }
        if !positive(self.transient_pu) || !positive(self.transient_max_s) {
            return bad("the transient threshold and longest transient must be positive");
        }
        Ok(())
    }
}

/// The reference a voltage channel's events are measured against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoltageReference {
    pub channel: String,
    /// Reference RMS voltage (1 pu), in the channel's unit.
    pub reference: f64,
    pub unit: String,
    /// `given` (from the options), `nominal` (a standard voltage near the median) or
    /// `median` (the channel's median one-cycle RMS).
    pub source: String,
}

/// Detected events and what they were measured against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Sorted by `start_s`, then channel, then kind.
    pub events: Vec<Event>,
    /// Fundamental frequency used for the cycle windows.
    pub frequency_hz: f64,
    /// The power system's nominal frequency (50 or 60 Hz), when recognised.
    pub nominal_frequency_hz: Option<f64>,
    /// Per voltage channel, its 1 pu.
    pub references: Vec<VoltageReference>,
    /// What could not be analysed, and why.
    pub warnings: Vec<String>,
}

/// Without a given minimum step, a load step is at least this many steps of the channel's
/// resolution.
const RESOLUTION_STEPS: f64 = 2.0;

/// Fewest samples per cycle the detector accepts.
const MIN_SAMPLES_PER_CYCLE: f64 = 8.0;
/// Frequency is measured on at most this much of the capture.
const FREQUENCY_SPAN_S: f64 = 5.0;

/// Detects the events in `capture`. Irregularly sampled captures are first resampled
/// linearly at their median interval.
pub fn detect(capture: &Capture, options: &DetectOptions) -> Result<Detection, DetectError> {
    options.validate()?;
    let mut warnings = Vec::new();
    let resampled;
    let capture = match &capture.timebase {
        Timebase::Fixed { .. } => capture,
        Timebase::Irregular { .. } => {
            resampled = super::resample::to_fixed_rate(capture);
            match &resampled {
                Some(c) => {
                    warnings.push(format!(
                        "irregular time: resampled linearly at {} Hz for detection",
                        c.sample_rate_hz().unwrap_or(0.0)
                    ));
                    c
                }
                None => {
                    warnings.push("irregular time with fewer than two distinct times: nothing to detect".into());
                    return Ok(empty(options.frequency_hz.unwrap_or(0.0), warnings));
                }
            }
        }
    };
    let rate = capture.sample_rate_hz().unwrap_or(0.0);
    let frequency_hz = match options.frequency_hz {
        Some(f) => f,
        None => line_frequency(capture, rate).ok_or(DetectError::NoFrequency)?,
    };
    let per_cycle = rate / frequency_hz;
    if per_cycle < MIN_SAMPLES_PER_CYCLE {
        return Err(DetectError::TooSlow { sample_rate_hz: rate, frequency_hz, per_cycle });
    }
    let nominal_frequency_hz = nominal_frequency_hz(frequency_hz).or(capture.line_frequency_hz);
    let grid = HalfCycles::new(capture.sample_count(), rate, frequency_hz);
    let mut detection =
        Detection { events: Vec::new(), frequency_hz, nominal_frequency_hz, references: Vec::new(), warnings };
    if grid.count() < 4 {
        detection.warnings.push(format!(
            "the capture is shorter than two cycles at {frequency_hz:.2} Hz ({:.4} s): nothing to detect",
            capture.duration_s()
        ));
        return Ok(detection);
    }

    let analog: Vec<(&crate::capture::Channel, &[f32])> =
        capture.channels.iter().filter_map(|c| c.analog_values().map(|v| (c, v))).collect();
    let mut series: Vec<HalfCycleSeries> = analog.iter().map(|(_, v)| half_cycle_series(v, &grid)).collect();
    // A sensor's DC offset (raw ADC counts, a drifting clamp) is not part of an AC level.
    for ((channel, _), s) in analog.iter().zip(series.iter_mut()) {
        if matches!(channel.kind, ChannelKind::Voltage | ChannelKind::Current) {
            remove_offset(s);
        }
    }

    // Each voltage's 1 pu, one per supply system, without the de-energised ones.
    let mut levels = Vec::new();
    for ((channel, _), s) in analog.iter().zip(&series) {
        if channel.kind != ChannelKind::Voltage {
            continue;
        }
        match voltage::level(channel, s, &grid, capture.trigger_s, nominal_frequency_hz, options) {
            Some(level) => levels.push(level),
            None => detection.warnings.push(format!(
                "{}: no voltage to compare against (flat, zero or missing); give --nominal-v",
                channel.name
            )),
        }
    }
    detection.references = voltage::system_references(&levels, nominal_frequency_hz);
    let dead = voltage::drop_dead(&mut detection.references);
    detection.warnings.extend(dead);

    // Transients first: they are taken out of the levels the other detectors read.
    let mut edges = Vec::new();
    for ((channel, values), s) in analog.iter().zip(series.iter_mut()) {
        let peak = match channel.kind {
            ChannelKind::Voltage => detection
                .references
                .iter()
                .find(|r| r.channel == channel.name)
                .map(|r| r.reference * std::f64::consts::SQRT_2),
            ChannelKind::Digital => None,
            _ => transients::typical_peak(s),
        };
        let Some(peak) = peak else {
            continue;
        };
        let found = transients::find(channel, values, s, &grid, peak, options);
        for t in &found {
            let from = (t.start_s * rate).round() as usize;
            let to = t.end_s.map_or(from + 1, |e| (e * rate).round() as usize);
            patch_with_previous_cycle(values, &grid, s, from..to);
        }
        detection.events.extend(found);
    }
    for reference in &detection.references {
        let Some(i) = analog.iter().position(|(c, _)| c.name == reference.channel) else {
            continue;
        };
        let found = voltage::events(analog[i].0, &series[i], &grid, reference, options);
        edges.extend(found.edges);
        edges.extend(voltage::level_edges(analog[i].0, &series[i], &grid, reference, options));
        detection.events.extend(found.events);
    }
    for ((channel, values), s) in analog.iter().zip(&series) {
        let given = match channel.kind {
            ChannelKind::Current => options.min_step_a.map(|a| a / unit_scale(&channel.unit, "A")),
            ChannelKind::Power => options.min_step_w.map(|w| w / unit_scale(&channel.unit, "W")),
            _ => continue,
        };
        let min_step = match given {
            Some(v) => loads::MinStep::Given(v),
            None => {
                let q = f64::from(transients::resolution(values));
                loads::MinStep::FromNoise { resolution: if q.is_finite() { RESOLUTION_STEPS * q } else { 0.0 } }
            }
        };
        let is_power = channel.kind == ChannelKind::Power;
        detection.events.extend(loads::find(channel, values, s, &grid, is_power, min_step, &edges, options));
    }
    detection.events.sort_by(|a, b| {
        a.start_s.total_cmp(&b.start_s).then_with(|| a.channel.cmp(&b.channel)).then_with(|| a.kind.cmp(&b.kind))
    });
    Ok(detection)
}

fn empty(frequency_hz: f64, warnings: Vec<String>) -> Detection {
    Detection { events: Vec::new(), frequency_hz, nominal_frequency_hz: None, references: Vec::new(), warnings }
}

/// The capture's fundamental: from the first periodic voltage, else the strongest periodic
/// current; else the frequency the file declares. Measured before the trigger when there
/// are at least three cycles of it (a fault distorts the rest), else on the first seconds.
fn line_frequency(capture: &Capture, rate: f64) -> Option<f64> {
    let pre_trigger = capture.trigger_s.filter(|&t| t >= 3.0 / 50.0).map(|t| (t * rate) as usize);
    let span = pre_trigger.unwrap_or((FREQUENCY_SPAN_S * rate) as usize).min(capture.sample_count());
    // A record whose supply dies early (an interruption) is periodic only at its start:
    // shorter and shorter prefixes are tried, down to three cycles at 50 Hz.
    let shortest = ((3.0 / 50.0) * rate) as usize;
    let measure = |values: &[f32]| {
        std::iter::successors(Some(span), |&n| (n / 2 >= shortest).then_some(n / 2))
            .find_map(|n| zero_crossing_frequency(&values[..n], rate).filter(|f| (10.0..=1000.0).contains(f)))
    };
    let analog = || capture.channels.iter().filter_map(|c| c.analog_values().map(|v| (c, v)));
    if let Some(f) = analog().filter(|(c, _)| c.kind == ChannelKind::Voltage).find_map(|(_, v)| measure(v)) {
        return Some(f);
    }
    let mut currents: Vec<(f64, &[f32])> = analog()
        .filter(|(c, _)| c.kind == ChannelKind::Current)
        .map(|(_, v)| (super::stats::stats(&v[..span]).map_or(0.0, |s| s.rms), v))
        .collect();
    currents.sort_by(|a, b| b.0.total_cmp(&a.0));
    currents.iter().find_map(|(_, v)| measure(v)).or(capture.line_frequency_hz)
}

/// Where, within the half-cycle windows `search`, a level series moves from `before` to
/// `after`: the first window that has moved more than a tenth of the way, split by how far
/// it moved (a window half at each level has moved half way). Returns a fractional sample
/// index; `None` when no window in `search` moved.
pub fn locate_edge(
    series: &[f64],
    grid: &HalfCycles,
    search: std::ops::Range<usize>,
    before: f64,
    after: f64,
) -> Option<f64> {
    let step = after - before;
    if !(step.is_finite() && step != 0.0) {
        return None;
    }
    let end = search.end.min(series.len());
    for (k, &v) in series.iter().enumerate().take(end).skip(search.start) {
        if !v.is_finite() {
            continue;
        }
        let moved = (v - before) / step;
        if moved > 0.1 {
            let still = (1.0 - moved).clamp(0.0, 1.0);
            return Some(grid.edge(k) + still * grid.half_samples());
        }
    }
    None
}

/// Takes a channel's DC offset (the median of its one-cycle means) out of its half-cycle
/// levels: `mean((x - dc)^2) = mean(x^2) - 2 dc mean(x) + dc^2`.
fn remove_offset(series: &mut HalfCycleSeries) {
    let cycle_means = series.mean.windows(2).step_by(2).map(|w| 0.5 * (w[0] + w[1]));
    let Some(dc) = median(cycle_means) else { return };
    if dc == 0.0 {
        return;
    }
    for (ms, mean) in series.mean_square.iter_mut().zip(series.mean.iter_mut()) {
        *ms = (*ms - 2.0 * dc * *mean + dc * dc).max(0.0);
        *mean -= dc;
    }
}

/// Median of the finite values (`None` if there are none).
fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    Some(*m)
}

#[cfg(test)]
mod tests;
