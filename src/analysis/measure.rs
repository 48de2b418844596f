//! Measurements over a window of a capture: per channel the statistics, frequency and
//! harmonics; per voltage/current pair the powers; phasors and symmetrical components of
//! three-phase sets. [`measure_report`] is what `panelscope measure --json` prints.

use rustfft::num_complex::Complex64;
use serde::Serialize;

use super::frequency::{nominal_frequency_hz, zero_crossing_frequency};
use super::harmonics::HarmonicAnalyzer;
use super::phasors::{Polar, fundamental, phase_of, symmetrical_components, three_phase_sets};
use super::stats::stats;
use super::units::unit_scale;
use crate::capture::{Capture, ChannelKind, Timebase};

/// Why a window cannot be measured.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    #[error("window {from_s} s to {to_s} s: {why}")]
    Window { from_s: f64, to_s: f64, why: String },
}

/// Statistics of one window of one channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowStats {
    pub rms: f64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// `max - min`.
    pub p2p: f64,
    /// Largest absolute value over the RMS; `None` when the RMS is 0.
    pub crest_factor: Option<f64>,
}

/// Statistics of `values` (missing samples skipped); `None` when none is valid.
pub fn window_stats(values: &[f32]) -> Option<WindowStats> {
    let s = stats(values)?;
    let peak = s.max.abs().max(s.min.abs());
    Some(WindowStats {
        rms: s.rms,
        mean: s.mean,
        min: s.min,
        max: s.max,
        p2p: s.max - s.min,
        crest_factor: (s.rms > 0.0).then(|| peak / s.rms),
    })
}

/// Powers of a voltage/current pair over a window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Power {
    /// Active power, the mean of v·i, in W.
    pub p_w: f64,
    /// Fundamental reactive power V1·I1·sin(θv - θi) (IEEE 1459), in var; positive when the
    /// current lags.
    pub q_var: Option<f64>,
    /// Apparent power Vrms·Irms, in VA.
    pub s_va: f64,
    /// Non-active power sqrt(S² - P²) (IEEE 1459), in var.
    pub n_var: f64,
    /// Power factor P/S; `None` when S is 0.
    pub pf: Option<f64>,
    /// Displacement power factor cos(θv - θi) of the fundamentals.
    pub dpf: Option<f64>,
    pub v_rms: f64,
    pub i_rms: f64,
}

/// Powers of `v` (in `v_unit`) and `i` (in `i_unit`), over the longest whole number of
/// cycles of `frequency_hz` from the start when at least one fits, else over everything.
/// Samples missing in either channel are skipped in both. `None` when nothing is valid.
pub fn power(
    v: &[f32],
    i: &[f32],
    v_unit: &str,
    i_unit: &str,
    sample_rate_hz: f64,
    frequency_hz: Option<f64>,
) -> Option<Power> {
    let n = v.len().min(i.len());
    let whole = frequency_hz.map(|f| {
        let period = sample_rate_hz / f;
        let cycles = (n as f64 / period).floor();
        ((cycles * period).round() as usize).min(n)
    });
    let n = whole.filter(|&w| w > 0).unwrap_or(n);
    let (v, i) = (&v[..n], &i[..n]);
    let (mut pp, mut vv, mut ii, mut count) = (0f64, 0f64, 0f64, 0usize);
    for (&a, &b) in v.iter().zip(i) {
        if a.is_finite() && b.is_finite() {
            let (a, b) = (f64::from(a), f64::from(b));
            pp += a * b;
            vv += a * a;
            ii += b * b;
            count += 1;
        }
    }
    if count == 0 {
        return None;
    }
    let scale = unit_scale(v_unit, "V") * unit_scale(i_unit, "A");
    let c = count as f64;
    let v_rms = (vv / c).sqrt() * unit_scale(v_unit, "V");
    let i_rms = (ii / c).sqrt() * unit_scale(i_unit, "A");
    let p_w = pp / c * scale;
    let s_va = v_rms * i_rms;
    let fundamentals = frequency_hz.and_then(|f| {
        let vf = fundamental(v, sample_rate_hz, f)?;
        let i_f = fundamental(i, sample_rate_hz, f)?;
        Some((vf, i_f))
    });
    let q_var = fundamentals.map(|(vf, i_f)| (vf * i_f.conj()).im * scale);
    let dpf = fundamentals.and_then(|(vf, i_f)| {
        let s1 = vf * i_f.conj();
        (s1.norm() > 0.0).then(|| s1.re / s1.norm())
    });
    Some(Power {
        p_w,
        q_var,
        s_va,
        n_var: (s_va * s_va - p_w * p_w).max(0.0).sqrt(),
        pf: (s_va > 0.0).then(|| (p_w / s_va).clamp(-1.0, 1.0)),
        dpf,
        v_rms,
        i_rms,
    })
}

/// One channel in [`MeasureReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelReport {
    pub name: String,
    pub kind: &'static str,
    pub unit: String,
    pub rms: Option<f64>,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub p2p: Option<f64>,
    pub crest_factor: Option<f64>,
    /// By zero crossings; `None` when the channel is not periodic.
    pub frequency_hz: Option<f64>,
    /// THD as a fraction of the fundamental.
    pub thd: Option<f64>,
    /// RMS of harmonics 1, 2, ... (IEC 61000-4-7 subgroups), in the channel's unit.
    pub harmonics: Vec<f64>,
}

/// One voltage/current pair in [`MeasureReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairReport {
    pub voltage: String,
    pub current: String,
    #[serde(flatten)]
    pub power: Power,
    /// `name` (same phase in both names), `only_voltage` (the capture has one) or
    /// `phase_angle` (the voltage whose fundamental is closest in phase).
    pub paired_by: &'static str,
}

/// One channel's fundamental phasor, its angle relative to the reference channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhasorReport {
    pub name: String,
    pub unit: String,
    /// RMS of the fundamental.
    pub magnitude: f64,
    pub angle_deg: f64,
}

/// Symmetrical components of one three-phase set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceReport {
    /// Phases A, B, C.
    pub channels: [String; 3],
    pub unit: String,
    pub zero: Polar,
    pub positive: Polar,
    pub negative: Polar,
    /// Negative over positive sequence magnitude (the unbalance factor).
    pub negative_unbalance: Option<f64>,
    /// Zero over positive sequence magnitude.
    pub zero_unbalance: Option<f64>,
}

/// Everything `measure` reports over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureReport {
    pub from_s: f64,
    pub to_s: f64,
    /// The system's fundamental, measured on the first periodic voltage (else current).
    pub frequency_hz: Option<f64>,
    pub nominal_frequency_hz: Option<f64>,
    pub channels: Vec<ChannelReport>,
    pub pairs: Vec<PairReport>,
    /// Fundamental phasors relative to the reference (the first voltage, else the first
    /// channel with a fundamental), which is at 0°.
    pub phasors: Vec<PhasorReport>,
    pub three_phase: Vec<SequenceReport>,
    /// What could not be computed, and why.
    pub notes: Vec<String>,
}

/// Measures `capture` from `from_s` to `to_s` (seconds from the first sample; the whole
/// capture by default).
pub fn measure_report(
    capture: &Capture,
    from_s: Option<f64>,
    to_s: Option<f64>,
) -> Result<MeasureReport, MeasureError> {
    let duration_s = capture.duration_s();
    let (from, to) = (from_s.unwrap_or(0.0), to_s.unwrap_or(duration_s));
    let bad = |why: &str| MeasureError::Window { from_s: from, to_s: to, why: why.to_string() };
    if !(from.is_finite() && to.is_finite()) {
        return Err(bad("not a number"));
    }
    if from < 0.0 {
        return Err(bad("starts before the capture"));
    }
    if from >= to {
        return Err(bad("must end after it starts"));
    }
    if from >= duration_s {
        return Err(bad(&format!("starts after the capture ends ({duration_s} s)")));
    }
    let range = capture.index_at_or_after(from)..capture.index_at_or_after(to);
    if range.is_empty() {
        return Err(bad("holds no sample"));
    }
    let mut notes = Vec::new();
    let window = capture.slice(range, None);
    let resampled;
    let fixed = match &window.timebase {
        Timebase::Fixed { .. } => &window,
        Timebase::Irregular { .. } => {
            resampled = super::resample::to_fixed_rate(&window);
            notes.push("irregular time: frequency, harmonics, powers and phasors from a linear resampling".into());
            resampled.as_ref().unwrap_or(&window)
        }
    };
    let rate = fixed.sample_rate_hz();
    let analog: Vec<(&crate::capture::Channel, &[f32])> =
        fixed.channels.iter().filter_map(|c| c.analog_values().map(|v| (c, v))).collect();
    let digital = fixed.digital_count();
    if digital > 0 {
        notes.push(format!("{digital} digital channels are not measured"));
    }

    let frequencies: Vec<Option<f64>> =
        analog.iter().map(|(_, v)| rate.and_then(|r| zero_crossing_frequency(v, r))).collect();
    let first_of = |kind: ChannelKind| {
        analog.iter().zip(&frequencies).find_map(|((c, _), f)| if c.kind == kind { *f } else { None })
    };
    let frequency_hz = first_of(ChannelKind::Voltage).or_else(|| first_of(ChannelKind::Current));
    let nominal = frequency_hz.and_then(nominal_frequency_hz).or(capture.line_frequency_hz);
    if frequency_hz.is_none() {
        notes.push("no periodic voltage or current: no harmonics, reactive power or phasors".into());
    }

    let mut analyzer = HarmonicAnalyzer::new();
    let mut channels = Vec::with_capacity(analog.len());
    for ((ch, values), f) in analog.iter().zip(&frequencies) {
        let st = window_stats(values);
        let spectrum = match (rate, frequency_hz, nominal) {
            (Some(r), Some(f), Some(nom)) => analyzer.spectrum(values, r, f, nom),
            _ => None,
        };
        channels.push(ChannelReport {
            name: ch.name.clone(),
            kind: ch.kind.as_str(),
            unit: ch.unit.clone(),
            rms: st.map(|s| s.rms),
            mean: st.map(|s| s.mean),
            min: st.map(|s| s.min),
            max: st.map(|s| s.max),
            p2p: st.map(|s| s.p2p),
            crest_factor: st.and_then(|s| s.crest_factor),
            frequency_hz: *f,
            thd: spectrum.as_ref().and_then(|s| s.thd),
            harmonics: spectrum.map(|s| s.harmonics).unwrap_or_default(),
        });
    }
    if frequency_hz.is_some() && channels.iter().all(|c| c.harmonics.is_empty()) {
        notes.push("the window is shorter than a cycle: no harmonics".into());
    }

    // Fundamentals over whole cycles, for phasors and pairing.
    let fundamentals: Vec<Option<Complex64>> = analog
        .iter()
        .map(|(_, v)| {
            let (r, f) = (rate?, frequency_hz?);
            let whole = ((v.len() as f64 * f / r).floor() * r / f).round() as usize;
            if whole == 0 {
                return None;
            }
            fundamental(&v[..whole.min(v.len())], r, f).filter(|p| p.norm() > 0.0)
        })
        .collect();

    let pairs = pair_up(&analog, &fundamentals, rate, frequency_hz);
    if pairs.is_empty() && analog.iter().any(|(c, _)| c.kind == ChannelKind::Current) {
        notes.push("no voltage channel to pair the currents with: no powers".into());
    }

    let reference = analog
        .iter()
        .zip(&fundamentals)
        .position(|((c, _), f)| c.kind == ChannelKind::Voltage && f.is_some())
        .or_else(|| fundamentals.iter().position(Option::is_some));
    let rotate = reference.and_then(|r| fundamentals[r]).map(|f| f.conj() / f.norm());
    let relative: Vec<Option<Complex64>> = fundamentals.iter().map(|f| Some((*f)? * rotate?)).collect();
    let phasors = analog
        .iter()
        .zip(&relative)
        .filter_map(|((c, _), p)| {
            let polar = Polar::from((*p)?);
            Some(PhasorReport {
                name: c.name.clone(),
                unit: c.unit.clone(),
                magnitude: polar.magnitude,
                angle_deg: polar.angle_deg,
            })
        })
        .collect();

    let names: Vec<&str> = analog.iter().map(|(c, _)| c.name.as_str()).collect();
    let three_phase =
        three_phase_sets(&names, |a, b| analog[a].0.kind == analog[b].0.kind && analog[a].0.unit == analog[b].0.unit)
            .into_iter()
            .filter_map(|set| {
                let abc = [relative[set[0]]?, relative[set[1]]?, relative[set[2]]?];
                let [zero, positive, negative] = symmetrical_components(abc);
                let ratio = |x: Complex64| (positive.norm() > 0.0).then(|| x.norm() / positive.norm());
                Some(SequenceReport {
                    channels: set.map(|i| analog[i].0.name.clone()),
                    unit: analog[set[0]].0.unit.clone(),
                    zero: zero.into(),
                    positive: positive.into(),
                    negative: negative.into(),
                    negative_unbalance: ratio(negative),
                    zero_unbalance: ratio(zero),
                })
            })
            .collect();

    Ok(MeasureReport {
        from_s: capture.time_s(capture.index_at_or_after(from)),
        to_s: to.min(duration_s),
        frequency_hz,
        nominal_frequency_hz: nominal,
        channels,
        pairs,
        phasors,
        three_phase,
        notes,
    })
}

/// Each current with the voltage of its phase: by name, else the only voltage, else the
/// voltage whose fundamental is closest in phase.
fn pair_up(
    analog: &[(&crate::capture::Channel, &[f32])],
    fundamentals: &[Option<Complex64>],
    rate: Option<f64>,
    frequency_hz: Option<f64>,
) -> Vec<PairReport> {
    let Some(rate) = rate else {
        return Vec::new();
    };
    let voltages: Vec<usize> = (0..analog.len()).filter(|&i| analog[i].0.kind == ChannelKind::Voltage).collect();
    let mut pairs = Vec::new();
    for (ci, (current, i_values)) in analog.iter().enumerate() {
        if current.kind != ChannelKind::Current {
            continue;
        }
        let by_name = phase_of(&current.name).and_then(|(phase, _)| {
            voltages
                .iter()
                .filter(|&&v| phase_of(&analog[v].0.name).is_some_and(|(p, _)| p == phase))
                .max_by_key(|&&v| common_suffix(&analog[v].0.name, &current.name))
                .copied()
        });
        let (vi, paired_by) = match (by_name, voltages.as_slice()) {
            (Some(v), _) => (v, "name"),
            (None, [only]) => (*only, "only_voltage"),
            (None, _) => {
                let Some(i_f) = fundamentals[ci] else { continue };
                let closest = voltages.iter().filter_map(|&v| Some((v, fundamentals[v]?))).max_by(|a, b| {
                    let cos = |p: Complex64| (p * i_f.conj()).re / (p.norm() * i_f.norm());
                    cos(a.1).total_cmp(&cos(b.1))
                });
                let Some((v, _)) = closest else { continue };
                (v, "phase_angle")
            }
        };
        let (voltage, v_values) = analog[vi];
        if let Some(power) = power(v_values, i_values, &voltage.unit, &current.unit, rate, frequency_hz) {
            pairs.push(PairReport { voltage: voltage.name.clone(), current: current.name.clone(), power, paired_by });
        }
    }
    pairs
}

/// Length of the common suffix of two names (`VA_G1` and `IA_G1` share `A_G1`).
fn common_suffix(a: &str, b: &str) -> usize {
    a.bytes().rev().zip(b.bytes().rev()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests;
