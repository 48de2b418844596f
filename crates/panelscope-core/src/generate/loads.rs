//! Branch loads: what each sensor position of the sample panel carries, and the current each
//! kind of load draws from its voltage.
//!
//! Every load is constant-impedance: its current scales with its voltage, so a sag lowers
//! the currents in proportion and that is not switching.

use std::f64::consts::{FRAC_PI_2, PI, SQRT_2, TAU};

use super::Service;
use super::rng::Rng;
use super::supply::Supply;

/// Where a capacitor-input rectifier's current pulse peaks, before the voltage peak.
const PULSE_LEAD_RAD: f64 = 12.0 * PI / 180.0;
/// Half the conduction angle of a rectifier pulse (gives a power factor near 0.6).
const PULSE_HALF_WIDTH_RAD: f64 = 25.0 * PI / 180.0;
/// Largest slow variation of an always-on load's RMS current, as a fraction.
const BASE_FLUCTUATION: f64 = 0.03;
/// Power factor of a motor at standstill (locked rotor), while the inrush lasts.
const LOCKED_ROTOR_PF: f64 = 0.35;

/// The voltage a pole is connected across.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Drive {
    /// Line to neutral.
    Leg(usize),
    /// Line to line on a split-phase service (240 V), in phase with the first leg.
    SplitPair(usize, usize),
}

/// How a load turns voltage into current.
#[derive(Debug, Clone)]
pub(super) enum Model {
    /// Heating element: the voltage over a resistance, harmonics and all.
    Resistive,
    /// Induction motor: lagging current with locked-rotor inrush decaying to the running current.
    Motor(Motor),
    /// Capacitor-input rectifier (LED drivers, switched-mode supplies): current pulses at the
    /// voltage peaks.
    Electronic(Electronic),
    /// Always-on mix of small loads whose RMS wanders slowly.
    Mixed(Mixed),
}

/// Parameters of [`Model::Motor`].
#[derive(Debug, Clone)]
pub(super) struct Motor {
    /// Running power factor (lagging).
    pub pf: f64,
    /// Peak inrush as a multiple of the running current.
    pub inrush_x: f64,
    /// Time constant with which the inrush decays to the running current.
    pub inrush_tau_s: f64,
    /// L/R time constant of the switching DC offset at locked rotor.
    pub dc_tau_s: f64,
    /// Small current harmonics: (order, fraction, phase).
    harmonics: [(f64, f64, f64); 2],
    norm: f64,
    /// A mechanical load that changes every few hundred milliseconds (hard cases only).
    pub swing: Option<Swing>,
}

/// How a motor's mechanical load varies: its running current moves to a new level every
/// 0.2-0.5 s, heavier and lighter in turn (a drum reversing, a compressor unloading), over
/// a smooth transition of a few cycles.
#[derive(Debug, Clone)]
pub(super) struct Swing {
    /// When each change starts, and the level (times the rated current) it goes to; sorted.
    pub changes: Vec<(f64, f64)>,
    /// Level before the first change.
    pub first: f64,
    pub transition_s: f64,
}

/// The lowest and highest of `levels` (fractions of a rated current).
pub(super) fn low_high(levels: impl Iterator<Item = f64>) -> (f64, f64) {
    levels.fold((f64::INFINITY, 0.0f64), |(lo, hi), l| (lo.min(l), hi.max(l)))
}

impl Swing {
    /// Changes over `0..duration_s`, from this seed.
    fn new(rng: &mut Rng, duration_s: f64, line_frequency_hz: f64) -> Self {
        let first = rng.uniform(0.75, 1.0);
        let mut level = first;
        let mut heavier = false;
        let mut changes = Vec::new();
        let mut t = rng.uniform(0.5, 0.8);
        while t < duration_s {
            let by = rng.uniform(0.15, 0.35);
            level = if heavier { (level + by).min(1.0) } else { (level - by).max(0.45) };
            heavier = !heavier;
            changes.push((t, level));
            t += rng.uniform(0.2, 0.5);
        }
        Self { changes, first, transition_s: rng.uniform(2.0, 4.0) / line_frequency_hz }
    }

    /// Holds the level for `hold_s` before `t_s` (the load settles before it stops).
    pub(super) fn hold_before(&mut self, t_s: f64, hold_s: f64) {
        self.changes.retain(|c| c.0 + self.transition_s < t_s - hold_s || c.0 > t_s);
    }

    /// The level at `t`.
    pub(super) fn level(&self, t: f64) -> f64 {
        let after = self.changes.partition_point(|c| c.0 <= t);
        let Some(k) = after.checked_sub(1) else {
            return self.first;
        };
        let (start_s, to) = self.changes[k];
        let from = if k == 0 { self.first } else { self.changes[k - 1].1 };
        let u = ((t - start_s) / self.transition_s).min(1.0);
        from + (to - from) * (0.5 - 0.5 * (PI * u).cos())
    }
}

impl Motor {
    fn new(rng: &mut Rng, pf: f64, inrush_x: (f64, f64), inrush_tau_s: (f64, f64), line_frequency_hz: f64) -> Self {
        let harmonics = [
            (3.0, rng.uniform(0.015, 0.03), rng.uniform(0.0, TAU)),
            (5.0, rng.uniform(0.01, 0.02), rng.uniform(0.0, TAU)),
        ];
        let locked_x_over_r = LOCKED_ROTOR_PF.acos().tan();
        Self {
            pf,
            inrush_x: rng.uniform(inrush_x.0, inrush_x.1),
            inrush_tau_s: rng.uniform(inrush_tau_s.0, inrush_tau_s.1),
            dc_tau_s: locked_x_over_r / (TAU * line_frequency_hz),
            harmonics,
            norm: (1.0 + harmonics.iter().map(|h| h.1 * h.1).sum::<f64>()).sqrt(),
            swing: None,
        }
    }

    /// Unit-RMS running waveform (times the inrush and the swing) at voltage phase `x` at
    /// `t`, `since_on_s` after start.
    fn waveform(&self, x: f64, t: f64, since_on_s: f64) -> f64 {
        let decay = (-since_on_s / self.inrush_tau_s).exp();
        let swing = self.swing.as_ref().map_or(1.0, |s| s.level(t));
        let scale = swing + (self.inrush_x - 1.0) * decay;
        let running = self.pf.acos();
        let lag = running + (LOCKED_ROTOR_PF.acos() - running) * decay;
        let mut value = (x - lag).sin();
        for &(order, fraction, phase) in &self.harmonics {
            value += fraction * (order * x + phase).sin();
        }
        SQRT_2 * scale * value / self.norm
    }
}

/// Parameters of [`Model::Electronic`].
#[derive(Debug, Clone)]
pub(super) struct Electronic {
    /// First-cycle current as a multiple of the running current (bulk capacitor charging).
    pub inrush_x: f64,
    pub inrush_tau_s: f64,
    norm: f64,
}

impl Electronic {
    fn new(rng: &mut Rng, line_frequency_hz: f64) -> Self {
        Self {
            inrush_x: rng.uniform(1.5, 2.0),
            inrush_tau_s: 2.0 / line_frequency_hz,
            norm: rms_over_cycle(rectifier_pulse),
        }
    }

    fn waveform(&self, x: f64, since_on_s: f64) -> f64 {
        let scale = 1.0 + (self.inrush_x - 1.0) * (-since_on_s / self.inrush_tau_s).exp();
        scale * rectifier_pulse(x) / self.norm
    }
}

/// Parameters of [`Model::Mixed`].
#[derive(Debug, Clone)]
pub(super) struct Mixed {
    /// Weights of the resistive, rectifier and motor parts.
    weights: [f64; 3],
    motor_lag_rad: f64,
    /// Slow variation as sines: (weight, angular rate in rad/s, phase); weights sum to 1.
    wander: [(f64, f64, f64); 3],
    norm: f64,
    pulse_norm: f64,
}

impl Mixed {
    fn new(rng: &mut Rng, supply: &Supply) -> Self {
        let weights = [rng.uniform(0.5, 0.7), rng.uniform(0.2, 0.35), rng.uniform(0.1, 0.2)];
        let motor_lag_rad = rng.uniform(0.6, 0.8);
        let wander = [
            (0.5, TAU / rng.uniform(9.0, 20.0), rng.uniform(0.0, TAU)),
            (0.3, TAU / rng.uniform(4.0, 9.0), rng.uniform(0.0, TAU)),
            (0.2, TAU / rng.uniform(1.5, 4.0), rng.uniform(0.0, TAU)),
        ];
        let pulse_norm = rms_over_cycle(rectifier_pulse);
        let mut mixed = Self { weights, motor_lag_rad, wander, norm: 1.0, pulse_norm };
        mixed.norm = rms_over_cycle(|x| mixed.cycle_shape(supply, x));
        mixed
    }

    fn cycle_shape(&self, supply: &Supply, x: f64) -> f64 {
        let [resistive, rectifier, motor] = self.weights;
        resistive * supply.shape(x)
            + rectifier * rectifier_pulse(x) / self.pulse_norm
            + motor * SQRT_2 * (x - self.motor_lag_rad).sin()
    }

    /// RMS multiplier at `t`: within `1 ± BASE_FLUCTUATION`, changing over seconds.
    pub(super) fn wander(&self, t: f64) -> f64 {
        1.0 + BASE_FLUCTUATION * self.wander.iter().map(|&(w, rate, phase)| w * (rate * t + phase).sin()).sum::<f64>()
    }

    fn waveform(&self, supply: &Supply, x: f64, t: f64) -> f64 {
        self.wander(t) * self.cycle_shape(supply, x) / self.norm
    }
}

/// One cycle of a capacitor-input rectifier's current, not normalised: a pulse of
/// half-width [`PULSE_HALF_WIDTH_RAD`] peaking [`PULSE_LEAD_RAD`] before each voltage peak,
/// negative on the negative half-cycle, zero in between.
fn rectifier_pulse(x: f64) -> f64 {
    let c = (x + PULSE_LEAD_RAD).rem_euclid(TAU);
    let (sign, c) = if c < PI { (1.0, c) } else { (-1.0, c - PI) };
    let y = c - FRAC_PI_2;
    if y.abs() >= PULSE_HALF_WIDTH_RAD {
        return 0.0;
    }
    let edge = PULSE_HALF_WIDTH_RAD.cos();
    let q = (y.cos() - edge) / (1.0 - edge);
    sign * q * q
}

/// RMS of a 2π-periodic function over one period.
fn rms_over_cycle(f: impl Fn(f64) -> f64) -> f64 {
    const POINTS: usize = 2048;
    let sum: f64 = (0..POINTS).map(|k| f(TAU * k as f64 / POINTS as f64).powi(2)).sum();
    (sum / POINTS as f64).sqrt()
}

/// When a load is on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Schedule {
    AlwaysOn,
    /// Switches about `rate_per_s` times a second; starts on at random unless `starts_off`.
    Switched {
        rate_per_s: f64,
        starts_off: bool,
    },
    /// Running from the start; stops once, between 55 % and 80 % of the capture (when it is
    /// at least 5 s long).
    RunsThenStops,
}

/// One breaker pole of a load, with the sensor (branch channel) on it.
#[derive(Debug, Clone)]
pub(super) struct Pole {
    pub channel: String,
    /// The leg whose mains carries this pole's current.
    pub leg: usize,
    pub drive: Drive,
    /// +1, or -1 where the current flows back out through this pole.
    pub sign: f64,
}

/// A load on the panel: one, two or three poles switched together.
#[derive(Debug, Clone)]
pub(super) struct Load {
    /// What it is, for notes and channel descriptions (`space heater 1500 W`).
    pub label: String,
    pub model: Model,
    /// Running RMS current per pole at nominal voltage.
    pub rated_a: f64,
    pub poles: Vec<Pole>,
    pub schedule: Schedule,
    /// The circuit rating its sensors are sized for, where that is well above the load
    /// (hard cases: a lamp on a 15 A circuit): sets their full scale and noise.
    pub sensor_a: Option<f64>,
}

impl Load {
    /// Running RMS current of pole `pole` at the pre-event voltage: the size of its steps.
    pub(super) fn steady_rms_a(&self, supply: &Supply, pole: usize) -> f64 {
        self.rated_a * drive_level(supply, self.poles[pole].drive)
    }

    /// Current into `pole` at `t` (leg A at phase `theta`), `since_on_s` after the load
    /// switched on (infinite when it was running from the start), without the DC offset of
    /// the switching instant.
    pub(super) fn current(&self, supply: &Supply, pole: usize, t: f64, theta: f64, since_on_s: f64) -> f64 {
        let Pole { drive, sign, .. } = self.poles[pole];
        let (first, nominal_v) = match drive {
            Drive::Leg(a) => (a, supply.nominal_v),
            Drive::SplitPair(a, _) => (a, 2.0 * supply.nominal_v),
        };
        let x = theta + supply.legs[first].angle_rad;
        let running = match &self.model {
            Model::Resistive => {
                let v = match drive {
                    Drive::Leg(a) => supply.clean_v(a, t, theta),
                    Drive::SplitPair(a, b) => supply.clean_v(a, t, theta) - supply.clean_v(b, t, theta),
                };
                return sign * (self.rated_a * v / nominal_v + self.blip(supply, drive, t, nominal_v));
            }
            Model::Motor(motor) => motor.waveform(x, t, since_on_s),
            Model::Electronic(electronic) => electronic.waveform(x, since_on_s),
            Model::Mixed(mixed) => mixed.waveform(supply, x, t),
        };
        let gain = match drive {
            Drive::Leg(a) => supply.legs[a].level * supply.gain(a, t),
            Drive::SplitPair(a, b) => {
                0.5 * (supply.legs[a].level * supply.gain(a, t) + supply.legs[b].level * supply.gain(b, t))
            }
        };
        sign * (self.rated_a * gain * running + self.blip(supply, drive, t, nominal_v))
    }

    /// The current a voltage transient pushes through the load: a fraction of what its
    /// running impedance would pass (wiring inductance and motor windings filter it; an
    /// input capacitor lets more through).
    fn blip(&self, supply: &Supply, drive: Drive, t: f64, nominal_v: f64) -> f64 {
        let transient_v = match drive {
            Drive::Leg(a) => supply.transient_v(a, t),
            Drive::SplitPair(a, b) => supply.transient_v(a, t) - supply.transient_v(b, t),
        };
        if transient_v == 0.0 {
            return 0.0;
        }
        let fraction = match self.model {
            Model::Resistive => 0.5,
            Model::Motor(_) => 0.1,
            Model::Electronic(_) => 0.6,
            Model::Mixed(_) => 0.35,
        };
        fraction * self.rated_a * transient_v / nominal_v
    }

    /// DC time constant of the switch-on offset (motors only; others start without one).
    pub(super) fn dc_tau_s(&self) -> Option<f64> {
        match &self.model {
            Model::Motor(motor) => Some(motor.dc_tau_s),
            _ => None,
        }
    }

    /// What the load is, for notes: label plus its electrical character.
    pub(super) fn character(&self) -> String {
        match &self.model {
            Model::Resistive => format!("{}, resistive", self.label),
            Model::Motor(Motor { swing: Some(swing), pf, .. }) => {
                let (low, high) = low_high(swing.changes.iter().map(|c| c.1).chain([swing.first]));
                format!(
                    "{}, motor PF {pf:.2} lagging, its load changing every 0.2-0.5 s between {:.0} % and {:.0} % of its rated current",
                    self.label,
                    100.0 * low,
                    100.0 * high
                )
            }
            Model::Motor(m) => format!(
                "{}, motor PF {:.2} lagging, inrush {:.1}x decaying with a {:.0} ms time constant",
                self.label,
                m.pf,
                m.inrush_x,
                m.inrush_tau_s * 1e3
            ),
            Model::Electronic(e) => format!(
                "{}, rectifier pulses (PF about 0.6), capacitor inrush {:.1}x for a few cycles",
                self.label, e.inrush_x
            ),
            Model::Mixed(_) => format!(
                "{}, always on, mixed resistive/electronic/motor, RMS wanders slowly within +/-{:.0} %",
                self.label,
                BASE_FLUCTUATION * 100.0
            ),
        }
    }
}

/// Pre-event RMS of a drive as a fraction of its nominal voltage.
fn drive_level(supply: &Supply, drive: Drive) -> f64 {
    match drive {
        Drive::Leg(a) => supply.legs[a].level,
        Drive::SplitPair(a, b) => 0.5 * (supply.legs[a].level + supply.legs[b].level),
    }
}

/// `x` rounded to a multiple of `step`.
fn round_to(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

fn single(channel: &str, leg: usize) -> Vec<Pole> {
    vec![Pole { channel: channel.to_owned(), leg, drive: Drive::Leg(leg), sign: 1.0 }]
}

fn switched(rate_per_s: f64) -> Schedule {
    Schedule::Switched { rate_per_s, starts_off: false }
}

/// Motors start off, so that every capture shows at least one inrush.
fn motor_schedule(rate_per_s: f64) -> Schedule {
    Schedule::Switched { rate_per_s, starts_off: true }
}

/// The sample panel for `service`, with this seed's ratings.
pub(super) fn panel(service: Service, supply: &Supply, rng: &mut Rng) -> Vec<Load> {
    match service {
        Service::SplitPhase120_240 => split_phase_panel(supply, rng),
        Service::ThreePhase400_230 => three_phase_panel(supply, rng),
    }
}

/// What the hard cases add to the panel of `service`, on sensors `I_09` to `I_12`: three
/// small electronic loads of tens of watts (an LED lamp, a television, a charger) on
/// sensors sized for their 15 A (16 A) circuits, and a motor whose load fluctuates, running
/// from the start and stopping once.
pub(super) fn hard_cases(service: Service, supply: &Supply, rng: &mut Rng, duration_s: f64) -> Vec<Load> {
    let f = supply.line_frequency_hz;
    let v = supply.nominal_v;
    let (legs, circuit_a, lamp_w, charger_w): ([usize; 4], f64, (f64, f64), (f64, f64)) = match service {
        Service::SplitPhase120_240 => ([0, 1, 0, 1], 15.0, (15.0, 25.0), (8.0, 15.0)),
        Service::ThreePhase400_230 => ([2, 0, 1, 2], 16.0, (8.0, 15.0), (8.0, 12.0)),
    };
    let small = |label: String, w: f64, channel: &str, leg: usize, rate_per_s: f64, rng: &mut Rng| Load {
        label,
        model: Model::Electronic(Electronic::new(rng, f)),
        rated_a: w / v,
        poles: single(channel, leg),
        schedule: switched(rate_per_s),
        sensor_a: Some(circuit_a),
    };
    let lamp = round_to(rng.uniform(lamp_w.0, lamp_w.1), 1.0);
    let tv = round_to(rng.uniform(60.0, 120.0), 5.0);
    let charger = round_to(rng.uniform(charger_w.0, charger_w.1), 1.0);
    let mut motor = Motor::new(rng, 0.8, (4.0, 5.0), (0.08, 0.12), f);
    motor.swing = Some(Swing::new(rng, duration_s, f));
    vec![
        small(format!("LED lamp {lamp:.0} W"), lamp, "I_09", legs[0], 0.3, rng),
        small(format!("television {tv:.0} W"), tv, "I_10", legs[1], 0.2, rng),
        small(format!("phone charger {charger:.0} W"), charger, "I_11", legs[2], 0.3, rng),
        Load {
            label: "washing machine (drum motor)".into(),
            model: Model::Motor(motor),
            rated_a: round_to(rng.uniform(2.0, 3.5), 0.1),
            poles: single("I_12", legs[3]),
            schedule: Schedule::RunsThenStops,
            sensor_a: None,
        },
    ]
}

/// North American numbering: spaces 1-2 on leg A, 3-4 on B, 5-6 on A, 7-8 on B; sensor
/// `I_0n` sits on space `n`. The 240 V water heater's two-pole breaker takes spaces 1 and 3.
fn split_phase_panel(supply: &Supply, rng: &mut Rng) -> Vec<Load> {
    const A: usize = 0;
    const B: usize = 1;
    let f = supply.line_frequency_hz;
    let v = supply.nominal_v;
    let water_w = round_to(rng.uniform(3500.0, 4500.0), 100.0);
    let heater_w = round_to(rng.uniform(1000.0, 1500.0), 100.0);
    let pair = Drive::SplitPair(A, B);
    vec![
        Load {
            label: format!("water heater {water_w:.0} W, 240 V two-pole (spaces 1+3)"),
            model: Model::Resistive,
            rated_a: water_w / (2.0 * v),
            poles: vec![
                Pole { channel: "I_01".into(), leg: A, drive: pair, sign: 1.0 },
                Pole { channel: "I_03".into(), leg: B, drive: pair, sign: -1.0 },
            ],
            schedule: switched(0.2),
            sensor_a: None,
        },
        Load {
            label: format!("space heater {heater_w:.0} W"),
            model: Model::Resistive,
            rated_a: heater_w / v,
            poles: single("I_02", A),
            schedule: switched(0.25),
            sensor_a: None,
        },
        Load {
            label: "furnace blower".into(),
            model: Model::Motor(Motor::new(rng, 0.8, (5.0, 7.0), (0.06, 0.12), f)),
            rated_a: round_to(rng.uniform(4.0, 7.0), 0.1),
            poles: single("I_04", B),
            schedule: motor_schedule(0.2),
            sensor_a: None,
        },
        Load {
            label: "LED lighting".into(),
            model: Model::Electronic(Electronic::new(rng, f)),
            rated_a: round_to(rng.uniform(1.2, 2.5), 0.1),
            poles: single("I_05", A),
            schedule: switched(0.25),
            sensor_a: None,
        },
        Load {
            label: "receptacles (electronics, standby)".into(),
            model: Model::Mixed(Mixed::new(rng, supply)),
            rated_a: round_to(rng.uniform(2.0, 4.0), 0.1),
            poles: single("I_06", A),
            schedule: Schedule::AlwaysOn,
            sensor_a: None,
        },
        Load {
            label: "refrigerator compressor".into(),
            model: Model::Motor(Motor::new(rng, 0.85, (5.0, 6.5), (0.05, 0.08), f)),
            rated_a: round_to(rng.uniform(1.2, 2.0), 0.1),
            poles: single("I_07", B),
            schedule: motor_schedule(0.2),
            sensor_a: None,
        },
        Load {
            label: "kitchen and network equipment".into(),
            model: Model::Mixed(Mixed::new(rng, supply)),
            rated_a: round_to(rng.uniform(1.0, 3.0), 0.1),
            poles: single("I_08", B),
            schedule: Schedule::AlwaysOn,
            sensor_a: None,
        },
    ]
}

/// Ways 1-8 of a three-phase board rotate L1, L2, L3 (legs A, B, C); sensor `I_0n` sits on
/// way `n`. The three-phase heater (star-connected) takes ways 1-3.
fn three_phase_panel(supply: &Supply, rng: &mut Rng) -> Vec<Load> {
    const A: usize = 0;
    const B: usize = 1;
    const C: usize = 2;
    let f = supply.line_frequency_hz;
    let v = supply.nominal_v;
    let heater_w = round_to(rng.uniform(6000.0, 9000.0), 500.0);
    let kettle_w = round_to(rng.uniform(2000.0, 3000.0), 100.0);
    vec![
        Load {
            label: format!("three-phase heater {heater_w:.0} W (ways 1-3)"),
            model: Model::Resistive,
            rated_a: heater_w / (3.0 * v),
            poles: [("I_01", A), ("I_02", B), ("I_03", C)]
                .into_iter()
                .map(|(channel, leg)| Pole { channel: channel.into(), leg, drive: Drive::Leg(leg), sign: 1.0 })
                .collect(),
            schedule: switched(0.2),
            sensor_a: None,
        },
        Load {
            label: format!("kettle {kettle_w:.0} W"),
            model: Model::Resistive,
            rated_a: kettle_w / v,
            poles: single("I_04", A),
            schedule: switched(0.25),
            sensor_a: None,
        },
        Load {
            label: "circulation pump".into(),
            model: Model::Motor(Motor::new(rng, 0.8, (5.0, 7.0), (0.06, 0.12), f)),
            rated_a: round_to(rng.uniform(3.0, 5.0), 0.1),
            poles: single("I_05", B),
            schedule: motor_schedule(0.2),
            sensor_a: None,
        },
        Load {
            label: "LED lighting".into(),
            model: Model::Electronic(Electronic::new(rng, f)),
            rated_a: round_to(rng.uniform(0.8, 1.5), 0.1),
            poles: single("I_06", C),
            schedule: switched(0.25),
            sensor_a: None,
        },
        Load {
            label: "refrigerator compressor".into(),
            model: Model::Motor(Motor::new(rng, 0.85, (5.0, 6.5), (0.05, 0.08), f)),
            rated_a: round_to(rng.uniform(0.8, 1.2), 0.1),
            poles: single("I_07", A),
            schedule: motor_schedule(0.2),
            sensor_a: None,
        },
        Load {
            label: "sockets (electronics, standby)".into(),
            model: Model::Mixed(Mixed::new(rng, supply)),
            rated_a: round_to(rng.uniform(1.5, 3.0), 0.1),
            poles: single("I_08", B),
            schedule: Schedule::AlwaysOn,
            sensor_a: None,
        },
    ]
}
