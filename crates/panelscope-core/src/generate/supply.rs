//! The supply: line frequency with a slow drift, the distorted voltage shape, each leg's
//! level, and the voltage disturbances planted on top of them.

use std::f64::consts::{PI, SQRT_2, TAU};

use super::Service;
use super::rng::Rng;

/// Voltage harmonics as (order, fraction of the fundamental, phase in the sine basis at the
/// harmonic's own order). These phases flatten the peaks, as the rectifier loads on real
/// distribution feeders do.
const VOLTAGE_HARMONICS: [(f64, f64, f64); 3] = [(3.0, 0.015, 0.0), (5.0, 0.020, PI), (7.0, 0.008, 0.0)];
/// Largest seeded change of a harmonic's phase.
const HARMONIC_PHASE_JITTER_RAD: f64 = 0.25;
/// Largest distance of a leg's RMS level from nominal, as a fraction.
const LEG_LEVEL_SPREAD: f64 = 0.004;
/// Decay rate of a transient's envelope over its length (`exp(-k u) (1 - u)`, `u` in 0..1).
const TRANSIENT_DECAY: f64 = 4.0;

/// One phase conductor of the service.
#[derive(Debug, Clone)]
pub(super) struct Leg {
    /// `A`, `B` or `C`.
    pub name: &'static str,
    /// Phase angle of the fundamental relative to leg A.
    pub angle_rad: f64,
    /// RMS voltage before any disturbance, as a fraction of nominal.
    pub level: f64,
}

/// Which way a [`VoltageStep`] moves the RMS voltage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StepKind {
    Sag,
    Swell,
    /// Below 0.1 pu (IEEE 1159): a recloser opening upstream, a loose neutral.
    Interruption,
}

impl StepKind {
    /// The event kind written in the ground truth.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Sag => "sag",
            Self::Swell => "swell",
            Self::Interruption => "interruption",
        }
    }
}

/// A sag, swell or interruption: the RMS voltage of `legs` leaves 1 pu at `start_s`, reaches `pu` after a
/// raised-cosine ramp of `ramp_s`, holds, and is back at 1 pu at `end_s`.
#[derive(Debug, Clone)]
pub(super) struct VoltageStep {
    pub kind: StepKind,
    pub legs: Vec<usize>,
    pub start_s: f64,
    pub end_s: f64,
    pub ramp_s: f64,
    /// Retained voltage as a fraction of the leg's pre-event RMS.
    pub pu: f64,
    /// Length in nominal cycles (`end_s - start_s` is exactly this many nominal periods).
    pub cycles: u32,
}

impl VoltageStep {
    /// The gain this step applies at `t`.
    fn gain(&self, t: f64) -> f64 {
        if t <= self.start_s || t >= self.end_s {
            return 1.0;
        }
        let weight = raised_cosine((t - self.start_s) / self.ramp_s).min(raised_cosine((self.end_s - t) / self.ramp_s));
        1.0 + (self.pu - 1.0) * weight
    }
}

/// 0 at `x = 0` rising smoothly to 1 at `x = 1` and after.
fn raised_cosine(x: f64) -> f64 {
    if x >= 1.0 { 1.0 } else { 0.5 - 0.5 * (PI * x).cos() }
}

/// A short transient added to one leg's voltage: an impulse (`ring_hz` is `None`) or a
/// damped oscillation, starting at full `peak_v` at `start_s` and gone at `end_s`.
#[derive(Debug, Clone)]
pub(super) struct Transient {
    pub leg: usize,
    pub start_s: f64,
    pub end_s: f64,
    /// Signed deviation at `start_s`, the largest of the transient.
    pub peak_v: f64,
    pub ring_hz: Option<f64>,
}

impl Transient {
    /// The voltage this transient adds at `t`.
    fn value(&self, t: f64) -> f64 {
        if t < self.start_s || t >= self.end_s {
            return 0.0;
        }
        let dt = t - self.start_s;
        let u = dt / (self.end_s - self.start_s);
        let ring = self.ring_hz.map_or(1.0, |f| (TAU * f * dt).cos());
        self.peak_v * (-TRANSIENT_DECAY * u).exp() * (1.0 - u) * ring
    }
}

/// The voltage source feeding the panel.
#[derive(Debug, Clone)]
pub(super) struct Supply {
    pub line_frequency_hz: f64,
    /// Nominal line-to-neutral RMS voltage.
    pub nominal_v: f64,
    pub legs: Vec<Leg>,
    /// Frequency drift as slow sines: (amplitude in Hz, angular rate in rad/s, phase).
    drift: [(f64, f64, f64); 2],
    /// Voltage harmonics with this seed's phases.
    harmonics: [(f64, f64, f64); 3],
    /// Scales [`Supply::shape`] to unit RMS.
    shape_scale: f64,
    /// Sags, swells and interruptions, sorted by start and not overlapping.
    pub steps: Vec<VoltageStep>,
    /// Transients, sorted by start and not overlapping.
    pub transients: Vec<Transient>,
}

impl Supply {
    /// A supply for `service` with this seed's levels, drift and harmonic phases, and no
    /// disturbances yet.
    pub(super) fn new(service: Service, rng: &mut Rng) -> Self {
        let legs = service
            .leg_names()
            .iter()
            .zip(service.leg_angles_rad())
            .map(|(&name, &angle_rad)| Leg {
                name,
                angle_rad,
                level: 1.0 + rng.uniform(-LEG_LEVEL_SPREAD, LEG_LEVEL_SPREAD),
            })
            .collect();
        let drift = [
            (rng.uniform(0.008, 0.012), TAU / rng.uniform(8.0, 20.0), rng.uniform(0.0, TAU)),
            (rng.uniform(0.004, 0.006), TAU / rng.uniform(2.5, 5.0), rng.uniform(0.0, TAU)),
        ];
        let harmonics = VOLTAGE_HARMONICS.map(|(order, fraction, phase)| {
            (order, fraction, phase + rng.uniform(-HARMONIC_PHASE_JITTER_RAD, HARMONIC_PHASE_JITTER_RAD))
        });
        let power: f64 = 1.0 + harmonics.iter().map(|h| h.1 * h.1).sum::<f64>();
        Self {
            line_frequency_hz: service.line_frequency_hz(),
            nominal_v: service.nominal_v(),
            legs,
            drift,
            harmonics,
            shape_scale: SQRT_2 / power.sqrt(),
            steps: Vec::new(),
            transients: Vec::new(),
        }
    }

    /// Phase of the fundamental on leg A at `t`: the integral of the drifting frequency,
    /// in closed form so that the waveform stays continuous over any length.
    pub(super) fn theta(&self, t: f64) -> f64 {
        let mut cycles = self.line_frequency_hz * t;
        for &(amplitude_hz, rate, phase) in &self.drift {
            cycles += amplitude_hz / rate * (phase.cos() - (rate * t + phase).cos());
        }
        TAU * cycles
    }

    /// Instantaneous line frequency at `t`.
    #[cfg(test)]
    pub(super) fn frequency_hz(&self, t: f64) -> f64 {
        self.line_frequency_hz + self.drift.iter().map(|&(a, rate, phase)| a * (rate * t + phase).sin()).sum::<f64>()
    }

    /// The voltage waveform with unit RMS at fundamental phase `x`, harmonics included.
    pub(super) fn shape(&self, x: f64) -> f64 {
        let mut value = x.sin();
        for &(order, fraction, phase) in &self.harmonics {
            value += fraction * (order * x + phase).sin();
        }
        value * self.shape_scale
    }

    /// Pre-event RMS voltage of `leg`.
    pub(super) fn rms_v(&self, leg: usize) -> f64 {
        self.nominal_v * self.legs[leg].level
    }

    /// RMS gain of `leg` at `t` from sags, swells and interruptions (1 outside them).
    pub(super) fn gain(&self, leg: usize, t: f64) -> f64 {
        let after = self.steps.partition_point(|s| s.start_s <= t);
        match after.checked_sub(1).map(|i| &self.steps[i]) {
            Some(step) if step.legs.contains(&leg) => step.gain(t),
            _ => 1.0,
        }
    }

    /// Voltage that transients add to `leg` at `t`.
    pub(super) fn transient_v(&self, leg: usize, t: f64) -> f64 {
        let after = self.transients.partition_point(|tr| tr.start_s <= t);
        match after.checked_sub(1).map(|i| &self.transients[i]) {
            Some(tr) if tr.leg == leg => tr.value(t),
            _ => 0.0,
        }
    }

    /// Voltage of `leg` at `t` (where leg A's phase is `theta`) without transients: what
    /// drives the loads' fundamental currents.
    pub(super) fn clean_v(&self, leg: usize, t: f64, theta: f64) -> f64 {
        self.rms_v(leg) * self.gain(leg, t) * self.shape(theta + self.legs[leg].angle_rad)
    }

    /// Voltage of `leg` at `t`, transients included.
    pub(super) fn voltage(&self, leg: usize, t: f64, theta: f64) -> f64 {
        self.clean_v(leg, t, theta) + self.transient_v(leg, t)
    }

    /// The time spans of every planted disturbance, sorted by start.
    pub(super) fn disturbance_windows(&self) -> Vec<(f64, f64)> {
        let mut windows: Vec<(f64, f64)> = self.steps.iter().map(|s| (s.start_s, s.end_s)).collect();
        windows.extend(self.transients.iter().map(|tr| (tr.start_s, tr.end_s)));
        windows.sort_by(|a, b| a.0.total_cmp(&b.0));
        windows
    }
}
