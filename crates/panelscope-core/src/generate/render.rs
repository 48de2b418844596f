//! Sampling: evaluates the planned signals on the sample grid, then adds sensor noise and
//! quantises like an ADC.

use crate::capture::ChannelKind;

use super::loads::Load;
use super::plan::{OnInterval, pole_current};
use super::rng::Rng;
use super::supply::Supply;

/// A channel being built: name, kind, unit, the RMS its noise is relative to, values, and
/// what it measures (for the capture's metadata).
#[derive(Debug, Clone)]
pub(super) struct Signal {
    pub name: String,
    pub kind: ChannelKind,
    pub unit: &'static str,
    pub nominal_rms: f64,
    /// A sensor sized for this circuit rating rather than for the load: full scale and
    /// noise follow it.
    pub sensor_a: Option<f64>,
    pub values: Vec<f32>,
    pub description: String,
}

/// The planned conduction of one load pole.
#[derive(Debug, Clone)]
pub(super) struct PlannedPole {
    pub load: usize,
    pub pole: usize,
    pub intervals: Vec<OnInterval>,
}

/// Index of the first sample at or after `t_s` (as [`crate::capture::Capture::index_at_or_after`]).
pub(super) fn index_at_or_after(t_s: f64, sample_rate_hz: f64, n: usize) -> usize {
    let i = (t_s * sample_rate_hz - 1e-9).ceil();
    if i.is_nan() || i <= 0.0 { 0 } else { (i as usize).min(n) }
}

/// Leg A's fundamental phase at every sample.
pub(super) fn phases(supply: &Supply, n: usize, sample_rate_hz: f64) -> Vec<f64> {
    (0..n).map(|k| supply.theta(k as f64 / sample_rate_hz)).collect()
}

/// `V_A`, `V_B` (, `V_C`): each leg's voltage, disturbances included.
pub(super) fn voltages(supply: &Supply, phases: &[f64], sample_rate_hz: f64) -> Vec<Signal> {
    (0..supply.legs.len())
        .map(|leg| {
            let values = phases
                .iter()
                .enumerate()
                .map(|(k, &theta)| supply.voltage(leg, k as f64 / sample_rate_hz, theta) as f32);
            Signal {
                name: format!("V_{}", supply.legs[leg].name),
                kind: ChannelKind::Voltage,
                unit: "V",
                nominal_rms: supply.nominal_v,
                sensor_a: None,
                values: values.collect(),
                description: format!(
                    "leg {} to neutral, {:.1} V RMS before disturbances, {:.0} Hz nominal",
                    supply.legs[leg].name,
                    supply.rms_v(leg),
                    supply.line_frequency_hz
                ),
            }
        })
        .collect()
}

/// The mains current of every leg (`I_MAIN_x`, the sum of its branches) and the branch
/// currents of `poles`, in that order.
pub(super) fn currents(
    supply: &Supply,
    loads: &[Load],
    poles: &[PlannedPole],
    phases: &[f64],
    sample_rate_hz: f64,
) -> (Vec<Signal>, Vec<Signal>) {
    let n = phases.len();
    let mut mains = vec![vec![0.0f64; n]; supply.legs.len()];
    let mut mains_rated = vec![0.0f64; supply.legs.len()];
    let mut branches = Vec::with_capacity(poles.len());
    for planned in poles {
        let load = &loads[planned.load];
        let pole = &load.poles[planned.pole];
        let mut values = vec![0.0f32; n];
        for interval in &planned.intervals {
            let first = index_at_or_after(interval.on_s, sample_rate_hz, n);
            let end = index_at_or_after(interval.off_s, sample_rate_hz, n);
            let span = values[first..end].iter_mut().zip(&mut mains[pole.leg][first..end]).zip(&phases[first..end]);
            for (k, ((value, main), &theta)) in (first..).zip(span) {
                let current = pole_current(supply, load, planned.pole, interval, k as f64 / sample_rate_hz, theta);
                *value = current as f32;
                *main += current;
            }
        }
        mains_rated[pole.leg] += load.rated_a;
        branches.push(Signal {
            name: pole.channel.clone(),
            kind: ChannelKind::Current,
            unit: "A",
            nominal_rms: load.rated_a,
            sensor_a: load.sensor_a,
            values,
            description: format!(
                "{}; leg {}; {:.2} A RMS when running",
                load.character(),
                supply.legs[pole.leg].name,
                load.steady_rms_a(supply, planned.pole)
            ),
        });
    }
    let mains = mains
        .into_iter()
        .zip(mains_rated)
        .enumerate()
        .map(|(leg, (values, rated))| Signal {
            name: format!("I_MAIN_{}", supply.legs[leg].name),
            kind: ChannelKind::Current,
            unit: "A",
            nominal_rms: rated,
            sensor_a: None,
            values: values.into_iter().map(|v| v as f32).collect(),
            description: format!("mains of leg {}: the sum of the branch currents on it", supply.legs[leg].name),
        })
        .collect();
    (mains, branches)
}

/// A sensor sized for a circuit rating is as noisy as one sized for this fraction of it.
const SENSOR_NOISE_SHARE: f64 = 0.1;

/// Adds gaussian noise of `noise_fraction` times the signal's nominal RMS and, with
/// `adc_bits`, rounds to the steps of an ADC whose full scale is the first 1-2-2.5-5 value
/// above both 1.2 times the signal's largest magnitude and twice its nominal peak. A signal
/// whose sensor is sized for a circuit rating takes that rating as its nominal for the full
/// scale, and a tenth of it for the noise. Returns the full scale when quantising.
pub(super) fn digitise(signal: &mut Signal, noise_fraction: f64, adc_bits: Option<u32>, rng: &mut Rng) -> Option<f64> {
    let (noise_rms, scale_rms) = match signal.sensor_a {
        Some(rating) => (SENSOR_NOISE_SHARE * rating, rating),
        None => (signal.nominal_rms, signal.nominal_rms),
    };
    let sigma = noise_fraction * noise_rms;
    let full_scale = adc_bits.map(|bits| {
        let largest = signal.values.iter().fold(0.0f64, |m, &v| m.max(f64::from(v).abs()));
        let full_scale = nice_ceil((1.2 * largest).max(2.0 * std::f64::consts::SQRT_2 * scale_rms));
        (full_scale, bits)
    });
    if sigma == 0.0 && full_scale.is_none() {
        return None;
    }
    for value in &mut signal.values {
        let mut x = f64::from(*value);
        if sigma > 0.0 {
            x += sigma * rng.normal();
        }
        if let Some((full_scale, bits)) = full_scale {
            let half_codes = f64::from(1u32 << (bits - 1));
            let step = full_scale / half_codes;
            x = (x / step).round().clamp(-half_codes, half_codes - 1.0) * step;
        }
        *value = x as f32;
    }
    full_scale.map(|(full_scale, _)| full_scale)
}

/// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `x` (1 for `x <= 0`).
fn nice_ceil(x: f64) -> f64 {
    if !(x > 0.0 && x.is_finite()) {
        return 1.0;
    }
    let decade = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * decade)
        .find(|&v| v >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * decade)
}
