//! Realistic sample captures whose answers are known: what a panel of non-contact sensors
//! records, with loads switching and voltage disturbances planted at recorded times.
//!
//! [`generate`] builds a [`Capture`] (fixed rate, `f32` samples) and the ground truth of
//! everything planted in it. Everything comes from [`GenerateOptions::seed`]: the same
//! options always give the same samples.
//!
//! # Channels
//!
//! - `V_A`, `V_B` (split-phase 120/240 V, 60 Hz, `V_B` at 180°) or `V_A`, `V_B`, `V_C`
//!   (three-phase 400/230 V, 50 Hz, ABC sequence, 120° apart), volts: each leg's RMS within
//!   ±0.4 % of nominal, flat-topped by 1.5 % 3rd, 2 % 5th and 0.8 % 7th harmonic, the
//!   frequency wandering by at most ±0.018 Hz (two slow sines whose phase is integrated in
//!   closed form, so the waveform stays continuous).
//! - `I_MAIN_A`, `I_MAIN_B` (, `I_MAIN_C`), amps: each leg's mains, the sum of the branch
//!   currents on that leg (plus its own sensor noise).
//! - `I_01` ... `I_08`, amps: one sensor per breaker space, a typical load on each. Split
//!   phase: 240 V water heater on spaces 1 (leg A) and 3 (leg B, current reversed), space
//!   heater (2, A), furnace blower motor (4, B), LED lighting (5, A), receptacles (6, A,
//!   always on), refrigerator compressor (7, B), kitchen and network equipment (8, B, always
//!   on). Three phase: star-connected heater on ways 1-3 (A, B, C), kettle (4, A),
//!   circulation pump (5, B), LED lighting (6, C), refrigerator compressor (7, A), sockets
//!   (8, B, always on). The capture's metadata describes every channel.
//!
//! Loads are constant-impedance: their currents follow the voltage, so a sag lowers them in
//! proportion (that is not switching). Resistive loads draw the voltage's own waveform;
//! motors lag (PF 0.8-0.85) and start with a locked-rotor inrush of 5-7x decaying
//! exponentially (time constant 50-120 ms) plus the DC offset that lets an inductive
//! current start from zero; LED lighting draws rectifier pulses at the voltage peaks (PF
//! about 0.6, crest factor about 3); always-on loads mix the three and wander slowly within
//! ±3 %, far too slowly to look like switching. Every channel carries gaussian noise of
//! [`GenerateOptions::noise_fraction`] times its nominal RMS and is quantised like an ADC of
//! [`GenerateOptions::adc_bits`] over a per-channel full scale (in the metadata).
//!
//! # Ground truth
//!
//! [`Generated::events`] lists every planted event, sorted by `start_s` then channel. No
//! event is within 0.5 s of either end of the capture; voltage disturbances are at least
//! 1 s apart; a load's switch operates at most once a second (a `load_off` lands up to half
//! a cycle after its switch opens), never within 0.6 s before or 0.3 s after a voltage
//! disturbance, and never within 0.2 s of another load's switch.
//!
//! - `load_on` / `load_off`, on every branch channel of the load (both poles of the 240 V
//!   load, each phase of the three-phase heater). `start_s` is the instant the contacts
//!   close (anywhere in the cycle), or for `load_off` the instant the current stops: the
//!   first zero of that pole's current after the contacts open, as an AC switch interrupts.
//!   `end_s` is `None`. `magnitude` is the load's running RMS current in A at the pre-event
//!   voltage (the step size, positive both ways; inrush not included).
//! - `sag` / `swell`, one per affected voltage channel (a sag hits one leg or all of them,
//!   a swell one leg). `start_s` is where the RMS starts to leave 1 pu, `end_s` where it is
//!   back (a whole number of nominal cycles later; both raised-cosine ramps of 0.5-2 ms lie
//!   inside). `magnitude` is the RMS voltage held between the ramps, in V; the note gives
//!   it in pu of the leg's pre-event RMS (sags 0.6-0.8 pu for 3-20 cycles, swells 1.12-1.2 pu
//!   for 3-10 cycles: clear of IEEE 1159's 1.1 pu even on a leg 0.4 % below nominal).
//! - `transient`, on one voltage channel: an impulse, or above 7.5 kHz sampling possibly a
//!   damped 1.5-4 kHz oscillation. `start_s` is a sample instant, and that sample holds the
//!   largest deviation; `end_s` is when it has died away (0.5-0.95 ms later). `magnitude` is
//!   that largest deviation in V, 1-2x the nominal peak (its sign is in the note).
//!
//! Effects that follow from these are not listed: the steps and blips the mains channels
//! see, the current of loads that follow a sag or swell, and the smaller current blip a
//! transient causes in the loads on its leg. The capture has no interruptions.
//!
//! # Hard cases
//!
//! [`GenerateOptions::hard_cases`] adds what real panels do (the sample panel is unchanged
//! by it, seed for seed):
//!
//! - `I_09` to `I_11`: three small electronic loads on sensors sized for their circuit
//!   (15 A at 120 V, 16 A at 230 V: full scale from that rating, noise from a tenth of
//!   it): an LED lamp (15-25 W at 120 V, 8-15 W at 230 V), a television (60-120 W), a phone
//!   charger (8-15 W; 8-12 W). Split phase: legs A, B, A; three phase: C, A, B.
//! - `I_12`: a washing machine's drum motor (leg B; three phase: C), running from the start
//!   and stopping once between 55 % and 80 % of a capture of 5 s or more. Its load changes
//!   every 0.2-0.5 s from 0.5 s on (holding for 0.3 s before it stops), heavier and lighter in turn, by 15-35 % of its rated current, over a
//!   smooth transition of 2-4 cycles. Planted as one `fluctuation` per span of conduction
//!   with at least four changes: `start_s` where the first change starts (0.5 s or more
//!   after a switch-on and from either end), `end_s` where the last one before the stop ends, `magnitude` the
//!   range of its running RMS current in A. Its stop is a `load_off` as any other.
//! - `interruption`, about one per 10 s, on every leg or on one: 5-30 cycles at 0.00-0.05 pu
//!   of the leg's pre-event RMS, with the sags' ramps and spacing; fields as for a sag. Every
//!   load rides through it (its current follows the voltage down and back): that is not
//!   switching.
//! - A switching has a 30 % chance of landing 0.1-0.9 cycle after another load's, instead of
//!   0.2 s or more away.
//!
//! Harder noise is [`GenerateOptions::noise_fraction`] (0.003 is three times the default).

mod loads;
mod plan;
mod render;
mod rng;
mod supply;
#[cfg(test)]
mod tests;
mod wiring;

pub use wiring::{Mistake, WiringCapture, WiringOptions, wiring_capture, wiring_panel};

use std::f64::consts::{PI, SQRT_2};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::capture::{Capture, Channel, Format};

use plan::{Switching, on_intervals};
use render::PlannedPole;
use rng::Rng;
use supply::Supply;

/// The electrical service feeding the sample panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Service {
    /// North American split phase: legs A and B at 120 V to neutral, 180° apart, 60 Hz.
    #[default]
    #[serde(rename = "split-phase-120-240")]
    SplitPhase120_240,
    /// Three phase 400/230 V, 50 Hz: legs A, B and C at 230 V to neutral, 120° apart.
    #[serde(rename = "three-phase-400-230")]
    ThreePhase400_230,
}

impl Service {
    /// Every service, in the order the command line lists them.
    pub const ALL: [Service; 2] = [Self::SplitPhase120_240, Self::ThreePhase400_230];

    /// Parses the name written by [`Service::as_str`] (case and surrounding space ignored).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SplitPhase120_240 => "split-phase-120-240",
            Self::ThreePhase400_230 => "three-phase-400-230",
        }
    }

    /// Nominal line frequency.
    pub fn line_frequency_hz(self) -> f64 {
        match self {
            Self::SplitPhase120_240 => 60.0,
            Self::ThreePhase400_230 => 50.0,
        }
    }

    /// Nominal line-to-neutral RMS voltage.
    pub fn nominal_v(self) -> f64 {
        match self {
            Self::SplitPhase120_240 => 120.0,
            Self::ThreePhase400_230 => 230.0,
        }
    }

    fn leg_names(self) -> &'static [&'static str] {
        match self {
            Self::SplitPhase120_240 => &["A", "B"],
            Self::ThreePhase400_230 => &["A", "B", "C"],
        }
    }

    fn leg_angles_rad(self) -> &'static [f64] {
        match self {
            Self::SplitPhase120_240 => &[0.0, PI],
            Self::ThreePhase400_230 => &[0.0, -2.0 * PI / 3.0, 2.0 * PI / 3.0],
        }
    }

    fn capture_name(self) -> &'static str {
        match self {
            Self::SplitPhase120_240 => "sample-split-phase",
            Self::ThreePhase400_230 => "sample-three-phase",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to generate. Values [`generate`] cannot use fall back to the defaults (see there).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerateOptions {
    /// Which panel and supply to simulate.
    pub service: Service,
    /// Default 4000.
    pub sample_rate_hz: f64,
    /// Default 10.
    pub duration_s: f64,
    /// Everything random (ratings, times, noise) follows from it.
    pub seed: u64,
    /// Sensor noise (gaussian) as a fraction of each channel's nominal RMS; default 0.001.
    pub noise_fraction: f64,
    /// Quantise like an ADC with this many bits (2-24) over each channel's full scale;
    /// `None` keeps the exact values. Default 16.
    pub adc_bits: Option<u32>,
    /// Adds what real panels do and the sample panel does not (see the module docs): small
    /// loads of tens of watts, a motor whose load fluctuates, interruptions the loads ride
    /// through, loads switching within a cycle of each other. Default off.
    pub hard_cases: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            service: Service::default(),
            sample_rate_hz: 4000.0,
            duration_s: 10.0,
            seed: 1,
            noise_fraction: 0.001,
            adc_bits: Some(16),
            hard_cases: false,
        }
    }
}

/// One planted event: the answer an event detector should find.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlantedEvent {
    /// `load_on`, `load_off`, `sag`, `swell`, `transient`, and with the hard cases
    /// `interruption` and `fluctuation`.
    pub kind: String,
    /// The channel it is on (a branch current for loads, a voltage for the others).
    pub channel: String,
    /// Exact onset in seconds from the first sample (see the module docs per kind).
    pub start_s: f64,
    /// End for sags, swells, interruptions, transients and fluctuations; `None` for load
    /// switching.
    pub end_s: Option<f64>,
    /// Step in RMS amps (loads), range in RMS amps (fluctuation), retained RMS volts (sag,
    /// swell, interruption), peak deviation in volts (transient); always positive.
    pub magnitude: f64,
    /// `A` or `V`.
    pub unit: String,
    /// What was planted, in words (load, inrush, pu level, polarity).
    pub note: String,
}

/// A generated capture and its ground truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The capture, as a reader would return it (`Format::Memory`).
    pub capture: Capture,
    /// Every planted event, sorted by `start_s` then channel.
    pub events: Vec<PlantedEvent>,
}

/// Most samples per channel [`generate`] produces (about 2 GB per channel as `f32`).
pub const MAX_SAMPLES: usize = 500_000_000;

/// Random streams, one per part of the generator.
#[derive(Clone, Copy)]
enum Stream {
    Supply = 1,
    Disturbances = 2,
    Loads = 3,
    Switching = 4,
    /// The hard cases' loads and interruptions.
    HardLoads = 5,
    HardDisturbances = 6,
    /// Noise of channel `i` uses `Noise + i`.
    Noise = 100,
}

/// Generates a sample capture and the events planted in it.
///
/// Never panics on odd options: a sample rate that is not a positive finite number becomes
/// the default, a duration that is not a finite non-negative number becomes 0 (an empty
/// capture), the sample count is capped at [`MAX_SAMPLES`], a noise fraction that is not a
/// finite non-negative number becomes 0, and `adc_bits` is clamped to 2-24. Captures shorter
/// than 3 s get no voltage disturbances, shorter than 6 s no swell.
pub fn generate(opts: &GenerateOptions) -> Generated {
    let defaults = GenerateOptions::default();
    let sample_rate_hz = if opts.sample_rate_hz.is_finite() && opts.sample_rate_hz > 0.0 {
        opts.sample_rate_hz
    } else {
        defaults.sample_rate_hz
    };
    let wanted =
        if opts.duration_s.is_finite() && opts.duration_s > 0.0 { opts.duration_s * sample_rate_hz } else { 0.0 };
    let n = (wanted.round() as usize).min(MAX_SAMPLES);
    let duration_s = n as f64 / sample_rate_hz;
    let noise_fraction =
        if opts.noise_fraction.is_finite() && opts.noise_fraction > 0.0 { opts.noise_fraction } else { 0.0 };
    let adc_bits = opts.adc_bits.map(|bits| bits.clamp(2, 24));
    let stream = |purpose: Stream| Rng::stream(opts.seed, purpose as u64);

    let mut supply = Supply::new(opts.service, &mut stream(Stream::Supply));
    plan::plant_disturbances(&mut stream(Stream::Disturbances), &mut supply, duration_s, sample_rate_hz);
    let mut loads = loads::panel(opts.service, &supply, &mut stream(Stream::Loads));
    if opts.hard_cases {
        plan::plant_interruptions(&mut stream(Stream::HardDisturbances), &mut supply, duration_s);
        loads.extend(loads::hard_cases(opts.service, &supply, &mut stream(Stream::HardLoads), duration_s));
    }
    let within_cycle_s = opts.hard_cases.then_some(1.0 / supply.line_frequency_hz);
    let switching = plan::plan_switching(
        &mut stream(Stream::Switching),
        &loads,
        duration_s,
        &supply.disturbance_windows(),
        within_cycle_s,
    );
    for (load, plan) in loads.iter_mut().zip(&switching) {
        if let loads::Model::Motor(loads::Motor { swing: Some(swing), .. }) = &mut load.model {
            for &t in &plan.times_s {
                swing.hold_before(t, SWING_HOLD_S);
            }
        }
    }
    let poles = plan_poles(&supply, &loads, &switching);

    let phases = render::phases(&supply, n, sample_rate_hz);
    let mut signals = render::voltages(&supply, &phases, sample_rate_hz);
    let (mains, branches) = render::currents(&supply, &loads, &poles, &phases, sample_rate_hz);
    drop(phases);
    signals.extend(mains);
    signals.extend(branches);

    let mut metadata = vec![
        ("generator".to_owned(), "panelscope sample generator (synthetic data)".to_owned()),
        ("seed".to_owned(), opts.seed.to_string()),
        ("service".to_owned(), opts.service.as_str().to_owned()),
        ("noise".to_owned(), format!("{:.3} % of each channel's nominal RMS", noise_fraction * 100.0)),
        ("adc".to_owned(), adc_bits.map_or_else(|| "none (exact values)".to_owned(), |b| format!("{b} bit"))),
    ];
    if opts.hard_cases {
        metadata.push((
            "hard cases".to_owned(),
            "small loads, a fluctuating motor, interruptions, loads switching within a cycle".to_owned(),
        ));
    }
    let mut channels = Vec::with_capacity(signals.len());
    for (i, mut signal) in signals.into_iter().enumerate() {
        let mut rng = Rng::stream(opts.seed, Stream::Noise as u64 + i as u64);
        let full_scale = render::digitise(&mut signal, noise_fraction, adc_bits, &mut rng);
        let mut description = signal.description;
        if let Some(full_scale) = full_scale {
            description.push_str(&format!("; sensor full scale +/-{full_scale} {}", signal.unit));
        }
        metadata.push((signal.name.clone(), description));
        channels.push(Channel::analog(signal.name, signal.unit, Some(signal.kind), signal.values));
    }

    let capture = Capture {
        name: opts.service.capture_name().to_owned(),
        format: Format::Memory,
        start: start_time(opts.seed),
        channels,
        line_frequency_hz: Some(supply.line_frequency_hz),
        metadata,
        ..Capture::new("", Format::Memory, sample_rate_hz)
    };
    let events = planted_events(&supply, &loads, &poles, duration_s);
    Generated { capture, events }
}

/// Every load pole's conduction, in branch channel order.
fn plan_poles(supply: &Supply, loads: &[loads::Load], switching: &[Switching]) -> Vec<PlannedPole> {
    let mut poles: Vec<PlannedPole> = loads
        .iter()
        .zip(switching)
        .enumerate()
        .flat_map(|(li, (load, plan))| {
            (0..load.poles.len()).map(move |pole| PlannedPole {
                load: li,
                pole,
                intervals: on_intervals(supply, load, pole, plan),
            })
        })
        .collect();
    poles.sort_by(|a, b| loads[a.load].poles[a.pole].channel.cmp(&loads[b.load].poles[b.pole].channel));
    poles
}

/// A plausible recording time chosen by the seed: a whole minute between 09:00 and 17:00
/// UTC on one of 200 days from 2026-03-14 (seed 0 gives 2026-03-14T09:00:00Z).
fn start_time(seed: u64) -> Option<DateTime<Utc>> {
    const BASE_S: i64 = 1_773_478_800; // 2026-03-14T09:00:00Z
    let days = (seed % 200) as i64;
    let minutes = ((seed / 200) % 480) as i64;
    DateTime::from_timestamp(BASE_S + days * 86_400 + minutes * 60, 0)
}

/// The ground truth: every planted event, sorted by start then channel.
fn planted_events(supply: &Supply, loads: &[loads::Load], poles: &[PlannedPole], duration_s: f64) -> Vec<PlantedEvent> {
    let mut events = Vec::new();
    for step in &supply.steps {
        let scope = if step.legs.len() == supply.legs.len() && step.legs.len() > 1 { "all legs" } else { "one leg" };
        for &leg in &step.legs {
            let pre_v = supply.rms_v(leg);
            events.push(PlantedEvent {
                kind: step.kind.as_str().to_owned(),
                channel: format!("V_{}", supply.legs[leg].name),
                start_s: step.start_s,
                end_s: Some(step.end_s),
                magnitude: step.pu * pre_v,
                unit: "V".to_owned(),
                note: format!(
                    "{} to {:.2} pu of the leg's {pre_v:.1} V for {} cycles ({scope}), {:.1} ms ramps; magnitude is the retained RMS voltage",
                    step.kind.as_str(),
                    step.pu,
                    step.cycles,
                    step.ramp_s * 1e3
                ),
            });
        }
    }
    for tr in &supply.transients {
        let leg = &supply.legs[tr.leg];
        let shape = tr.ring_hz.map_or_else(|| "impulsive".to_owned(), |f| format!("oscillatory ({f:.0} Hz)"));
        events.push(PlantedEvent {
            kind: "transient".to_owned(),
            channel: format!("V_{}", leg.name),
            start_s: tr.start_s,
            end_s: Some(tr.end_s),
            magnitude: tr.peak_v.abs(),
            unit: "V".to_owned(),
            note: format!(
                "{shape} transient, {:+.1} V ({:.2}x the nominal peak) at its first sample, gone after {:.2} ms; loads on leg {} see a smaller current blip",
                tr.peak_v,
                tr.peak_v.abs() / (SQRT_2 * supply.nominal_v),
                (tr.end_s - tr.start_s) * 1e3,
                leg.name
            ),
        });
    }
    for planned in poles {
        let load = &loads[planned.load];
        let channel = &load.poles[planned.pole].channel;
        let magnitude = load.steady_rms_a(supply, planned.pole);
        for interval in &planned.intervals {
            let mut push = |kind: &str, start_s: f64, what: &str| {
                events.push(PlantedEvent {
                    kind: kind.to_owned(),
                    channel: channel.clone(),
                    start_s,
                    end_s: None,
                    magnitude,
                    unit: "A".to_owned(),
                    note: format!("{}; {what}", load.character()),
                });
            };
            if interval.on_s.is_finite() {
                push("load_on", interval.on_s, "switched on");
            }
            if interval.off_s.is_finite() {
                push("load_off", interval.off_s, "switched off, stops at its current zero");
            }
        }
        if let loads::Model::Motor(loads::Motor { swing: Some(swing), .. }) = &load.model {
            events.extend(fluctuations(supply, load, planned, swing, duration_s));
        }
    }
    events.sort_by(|a, b| a.start_s.total_cmp(&b.start_s).then_with(|| a.channel.cmp(&b.channel)));
    events
}

/// A swinging load holds its level this long before its switch operates.
const SWING_HOLD_S: f64 = 0.3;

/// Changes of a swinging load that make a fluctuation: at least this many within one span
/// of conduction (fewer are steps a detector may report one by one).
const FLUCTUATION_CHANGES: usize = 4;

/// The `fluctuation` of a motor whose load swings, per span of conduction: from its first
/// change (once any inrush is over) to the end of the last one before it stops; magnitude
/// the range of its running RMS current in A.
fn fluctuations(
    supply: &Supply,
    load: &loads::Load,
    planned: &PlannedPole,
    swing: &loads::Swing,
    duration_s: f64,
) -> Vec<PlantedEvent> {
    let per_unit = load.steady_rms_a(supply, planned.pole);
    let mut events = Vec::new();
    for interval in &planned.intervals {
        let settled_s = (interval.on_s + 0.5).max(plan::EDGE_MARGIN_S);
        let until_s = interval.off_s.min(duration_s - plan::EDGE_MARGIN_S);
        let inside: Vec<usize> = (0..swing.changes.len())
            .filter(|&k| {
                let t = swing.changes[k].0;
                t >= settled_s && t + swing.transition_s < until_s
            })
            .collect();
        let (Some(&first), Some(&last)) = (inside.first(), inside.last()) else { continue };
        if inside.len() < FLUCTUATION_CHANGES {
            continue;
        }
        let before = if first == 0 { swing.first } else { swing.changes[first - 1].1 };
        let (low, high) = loads::low_high(inside.iter().map(|&k| swing.changes[k].1).chain([before]));
        let (start_s, end_s) = (swing.changes[first].0, swing.changes[last].0 + swing.transition_s);
        events.push(PlantedEvent {
            kind: "fluctuation".to_owned(),
            channel: load.poles[planned.pole].channel.clone(),
            start_s,
            end_s: Some(end_s),
            magnitude: (high - low) * per_unit,
            unit: "A".to_owned(),
            note: format!(
                "{}; {} changes of its load over {:.2} s, between {:.2} and {:.2} A RMS",
                load.character(),
                inside.len(),
                end_s - start_s,
                low * per_unit,
                high * per_unit
            ),
        });
    }
    events
}

/// A 60 Hz sine of `amplitude` sampled at 10 kHz plus ±0.5 of noise, cheap to make for
/// 10^8 samples (a rotating phasor, renormalised now and then; no sin calls): the signal
/// the benchmarks share.
pub fn bench_wave(n: usize, seed: u64, amplitude: f32) -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1d ^ seed;
    let step = 2.0 * std::f32::consts::PI * 60.0 / 10_000.0;
    let (c, s) = (step.cos(), step.sin());
    let (mut x, mut y) = (1.0f32, 0.0f32);
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (x, y) = (x * c - y * s, x * s + y * c);
            if i % 4096 == 0 {
                let r = (x * x + y * y).sqrt();
                (x, y) = (x / r, y / r);
            }
            amplitude * y + ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
        })
        .collect()
}
