//! The measurement report over a window of a whole capture: what `panelscope measure`
//! prints and what the GUI shows for a selection.

use rayon::prelude::*;
use rustfft::num_complex::Complex64;
use serde::Serialize;

use super::{Power, WindowStats, pair_sums, power_from_sums, time_weighted_stats, whole_cycles_len, window_stats};
use crate::analysis::frequency::{nominal_frequency_hz, zero_crossing_frequency};
use crate::analysis::harmonics::{HarmonicAnalyzer, Spectrum, fundamental_power, relative_phasor};
use crate::analysis::phasors::{Polar, Sequence, phase_names, sequence, three_phase_sets};
use crate::analysis::resample::to_fixed_rate;
use crate::analysis::units::unit_scale;
use crate::capture::{Capture, Channel, ChannelKind, Timebase, WindowError};

/// One analog channel in [`MeasureReport`]; values in the channel's unit, `None` (JSON
/// `null`) where they cannot be computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelReport {
    /// Channel name as recorded.
    pub name: String,
    /// `voltage`, `current`, `power` or `other`.
    pub kind: &'static str,
    /// Unit as recorded.
    pub unit: String,
    /// RMS over the window (DC included).
    pub rms: Option<f64>,
    /// Mean over the window.
    pub mean: Option<f64>,
    /// Smallest sample.
    pub min: Option<f64>,
    /// Largest sample.
    pub max: Option<f64>,
    /// Peak to peak, `max - min`.
    pub p2p: Option<f64>,
    /// Largest absolute sample over the RMS.
    pub crest_factor: Option<f64>,
    /// By zero crossings; `None` when the channel is not periodic.
    pub frequency_hz: Option<f64>,
    /// THD as a fraction of the fundamental.
    pub thd: Option<f64>,
    /// RMS of harmonics 1, 2, ... (IEC 61000-4-7 subgroups): index 0 is the fundamental.
    pub harmonics: Option<Vec<f64>>,
}

/// How a current found its voltage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairedBy {
    /// The same phase in both names (`I_MAIN_A` and `V_A`, `IL1` and `UL1`).
    Name,
    /// The capture has a single voltage.
    OnlyVoltage,
    /// The voltage whose fundamental is closest in phase to the current's.
    PhaseAngle,
    /// As an install configuration says.
    InstallConfig,
}

impl PairedBy {
    /// The name used in JSON: `name`, `only_voltage` or `phase_angle`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::OnlyVoltage => "only_voltage",
            Self::PhaseAngle => "phase_angle",
            Self::InstallConfig => "install_config",
        }
    }
}

/// One voltage/current pair in [`MeasureReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairReport {
    /// The voltage channel's name.
    pub voltage: String,
    /// The current channel's name.
    pub current: String,
    /// Powers, flattened into the pair in JSON.
    #[serde(flatten)]
    pub power: Power,
    /// How the current found its voltage.
    pub paired_by: PairedBy,
}

/// One channel's fundamental phasor, its angle relative to the reference channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhasorReport {
    /// Channel name.
    pub name: String,
    /// Channel unit.
    pub unit: String,
    /// RMS of the fundamental, in the channel's unit.
    pub magnitude: f64,
    /// In (-180°, 180°], the reference at 0°.
    pub angle_deg: f64,
}

/// Symmetrical components of one three-phase set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceReport {
    /// Phases A, B, C.
    pub channels: [String; 3],
    /// Their unit.
    pub unit: String,
    /// The components, flattened into the set in JSON.
    #[serde(flatten)]
    pub sequence: Sequence,
}

/// Everything measured over a window of a capture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureReport {
    /// Time of the window's first sample, seconds from the capture's first sample.
    pub from_s: f64,
    /// End of the window (the end of the capture at most).
    pub to_s: f64,
    /// Samples in the window.
    pub samples: usize,
    /// The system's fundamental, measured by zero crossings on the first voltage (else
    /// current) at a power-system frequency (50, 60, 16.7, 25 or 400 Hz, ±10%); on any
    /// periodic one when the file states no line frequency.
    pub frequency_hz: Option<f64>,
    /// 50 or 60 Hz (or 16.7, 25, 400): from the measured frequency, else the file's.
    pub nominal_frequency_hz: Option<f64>,
    /// Analog channels in capture order.
    pub channels: Vec<ChannelReport>,
    /// Each current with its voltage.
    pub pairs: Vec<PairReport>,
    /// The channel whose fundamental is at 0°: the first voltage with a fundamental, else
    /// the first channel with one.
    pub phasor_reference: Option<String>,
    /// Fundamental phasors of the voltage, current and other channels.
    pub phasors: Vec<PhasorReport>,
    /// Symmetrical components of each three-phase set recognised by name.
    pub three_phase: Vec<SequenceReport>,
    /// Per phase with a mains sensor, mains minus the circuits on it (with an install
    /// configuration; see `InstallConfig::measure`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub balances: Vec<crate::panel::Balance>,
    /// What could not be computed, and why.
    pub notes: Vec<String>,
}

/// What one channel gives before the cross-channel work.
struct Measured {
    stats: Option<WindowStats>,
    frequency_hz: Option<f64>,
}

/// A finite value, else `None`.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Measures `capture` from `from_s` to `to_s` (seconds from the first sample; the whole
/// capture by default). Fails only on a window that selects nothing.
pub fn measure_report(capture: &Capture, from_s: Option<f64>, to_s: Option<f64>) -> Result<MeasureReport, WindowError> {
    measure_report_paired(capture, from_s, to_s, &[])
}

/// As [`measure_report`], pairing the currents named in `given` (`(current, voltage)`, from
/// an install configuration) with their voltage; the others as usual.
pub fn measure_report_paired(
    capture: &Capture,
    from_s: Option<f64>,
    to_s: Option<f64>,
    given: &[(String, String)],
) -> Result<MeasureReport, WindowError> {
    let range = capture.window(from_s, to_s)?;
    let mut notes = Vec::new();
    let analog: Vec<&Channel> = capture.channels.iter().filter(|c| c.is_analog()).collect();
    let digital = capture.digital_count();
    if digital > 0 {
        notes.push(format!("{digital} digital channel(s) not measured"));
    }
    let raw: Vec<&[f32]> = analog.iter().map(|c| c.analog_values().map_or(&[][..], |v| &v[range.clone()])).collect();

    // The analyses in cycles need a fixed rate: an irregular window is resampled.
    let resampled;
    let (rate, series): (Option<f64>, Vec<&[f32]>) = match &capture.timebase {
        Timebase::Fixed { sample_rate_hz } => (Some(*sample_rate_hz), raw.clone()),
        Timebase::Irregular { .. } => {
            resampled = to_fixed_rate(&capture.slice(range.clone(), None));
            match &resampled {
                Some(fixed) => {
                    notes.push(
                        "irregular time: frequency, harmonics, powers and phasors from a linear resampling at \
                         the median sample interval; mean and RMS weighted by time"
                            .into(),
                    );
                    let values = fixed.channels.iter().filter_map(Channel::analog_values).collect();
                    (fixed.sample_rate_hz(), values)
                }
                None => {
                    notes.push("irregular time that cannot be resampled: statistics only".into());
                    (None, raw.clone())
                }
            }
        }
    };

    let measured: Vec<Measured> = raw
        .par_iter()
        .zip(&series)
        .map(|(raw, series)| Measured {
            stats: match &capture.timebase {
                Timebase::Fixed { .. } => window_stats(raw),
                Timebase::Irregular { times_s } => time_weighted_stats(raw, &times_s[range.clone()]),
            },
            frequency_hz: rate.and_then(|r| zero_crossing_frequency(series, r)),
        })
        .collect();

    // The first voltage (else current) at a power-system frequency; any periodic one only
    // when the file states no line frequency to contradict it.
    let first_of = |kind: ChannelKind, plausible: bool| {
        analog.iter().zip(&measured).find_map(|(c, m)| {
            m.frequency_hz.filter(|&f| c.kind == kind && (!plausible || nominal_frequency_hz(f).is_some()))
        })
    };
    let unstated = capture.line_frequency_hz.is_none();
    let frequency_hz = first_of(ChannelKind::Voltage, true)
        .or_else(|| first_of(ChannelKind::Current, true))
        .or_else(|| first_of(ChannelKind::Voltage, false).filter(|_| unstated))
        .or_else(|| first_of(ChannelKind::Current, false).filter(|_| unstated));
    let nominal = frequency_hz.and_then(nominal_frequency_hz).or(capture.line_frequency_hz);
    let fundamental_hz = match (frequency_hz, capture.line_frequency_hz) {
        (Some(f), _) => Some(f),
        (None, Some(line)) if rate.is_some() => {
            notes.push(format!(
                "no voltage or current periodic at a power-system frequency: harmonics at the file's line \
                 frequency {line} Hz"
            ));
            Some(line)
        }
        _ => {
            notes.push("no periodic voltage or current: no harmonics, reactive power or phasors".into());
            None
        }
    };

    let spectra: Vec<Option<Spectrum>> = match (rate, fundamental_hz) {
        (Some(r), Some(f)) => {
            let cycles_of = nominal.unwrap_or(f);
            series.par_iter().map_init(HarmonicAnalyzer::new, |a, v| a.spectrum(v, r, f, cycles_of)).collect()
        }
        _ => vec![None; analog.len()],
    };
    if let (Some(r), Some(f)) = (rate, fundamental_hz) {
        let samples = series.iter().map(|v| v.len()).max().unwrap_or(0);
        if r <= 2.0 * f {
            notes.push(format!("{r:.3} Hz sampling is too slow for a {f:.3} Hz fundamental: no harmonics or phasors"));
        } else if (samples as f64) < r / f {
            notes.push("the window is shorter than a cycle: no harmonics, reactive power or phasors".into());
        }
    }
    for (ch, spectrum) in analog.iter().zip(&spectra) {
        let Some(s) = spectrum else { continue };
        let dropped = s.fundamentals.len() - s.windows;
        if dropped > 0 {
            let total = s.fundamentals.len();
            notes.push(format!(
                "{}: {dropped} of {total} harmonic windows have missing samples and are left out",
                ch.name
            ));
        }
    }

    let channels = analog
        .iter()
        .zip(&measured)
        .zip(&spectra)
        .map(|((ch, m), spectrum)| {
            let st = m.stats;
            ChannelReport {
                name: ch.name.clone(),
                kind: ch.kind.as_str(),
                unit: ch.unit.clone(),
                rms: st.and_then(|s| finite(s.rms)),
                mean: st.and_then(|s| finite(s.mean)),
                min: st.and_then(|s| finite(s.min)),
                max: st.and_then(|s| finite(s.max)),
                p2p: st.and_then(|s| finite(s.p2p)),
                crest_factor: st.and_then(|s| s.crest_factor),
                frequency_hz: m.frequency_hz,
                thd: spectrum.as_ref().and_then(|s| s.thd).and_then(finite),
                harmonics: spectrum.as_ref().map(|s| s.harmonics.clone()),
            }
        })
        .collect();

    // Phasors of everything but power channels (whose "fundamental" is meaningless), relative
    // to the first voltage with a real fundamental, else the first channel with one.
    let phasor_kind = |c: &Channel| c.kind != ChannelKind::Power;
    let real = |i: usize| phasor_kind(analog[i]) && spectra[i].as_ref().is_some_and(|s| s.thd.is_some());
    let reference = (0..analog.len())
        .find(|&i| analog[i].kind == ChannelKind::Voltage && real(i))
        .or_else(|| (0..analog.len()).find(|&i| real(i)));
    let relative: Vec<Option<Complex64>> = (0..analog.len())
        .map(|i| {
            let r = spectra[reference?].as_ref()?;
            relative_phasor(spectra[i].as_ref().filter(|_| phasor_kind(analog[i]))?, r)
        })
        .collect();
    let phasors = analog
        .iter()
        .zip(&relative)
        .filter_map(|(c, p)| {
            let polar = Polar::from((*p)?);
            Some(PhasorReport {
                name: c.name.clone(),
                unit: c.unit.clone(),
                magnitude: finite(polar.magnitude)?,
                angle_deg: finite(polar.angle_deg)?,
            })
        })
        .collect();
    if fundamental_hz.is_some() && reference.is_none() && spectra.iter().any(Option::is_some) {
        notes.push("no channel has a fundamental worth the name: no phasors".into());
    }

    let candidates: Vec<&Channel> = analog.iter().copied().filter(|c| phasor_kind(c)).collect();
    let index_of = |c: &Channel| analog.iter().position(|a| std::ptr::eq(*a, c));
    let three_phase = three_phase_sets(&candidates)
        .into_iter()
        .filter_map(|set| {
            let idx = set.map(|k| index_of(candidates[k]));
            let abc = [relative[idx[0]?]?, relative[idx[1]?]?, relative[idx[2]?]?];
            Some(SequenceReport {
                channels: set.map(|k| candidates[k].name.clone()),
                unit: candidates[set[0]].unit.clone(),
                sequence: sequence(abc),
            })
        })
        .collect();

    let pairs = rate.map_or_else(Vec::new, |r| {
        pair_up(&analog, &relative, given, &mut notes)
            .into_iter()
            .filter_map(|(vi, ci, paired_by)| {
                let n = series[vi].len().min(series[ci].len());
                let whole = whole_cycles_len(n, r, fundamental_hz);
                let sums = pair_sums(&series[vi][..whole], &series[ci][..whole]);
                let s1 = spectra[vi].as_ref().zip(spectra[ci].as_ref()).and_then(|(v, i)| fundamental_power(v, i));
                let (v, i) = (analog[vi], analog[ci]);
                let Some(power) = power_from_sums(sums, s1, unit_scale(&v.unit, "V"), unit_scale(&i.unit, "A")) else {
                    notes.push(format!("{} x {}: no sample valid in both", v.name, i.name));
                    return None;
                };
                Some(PairReport { voltage: v.name.clone(), current: i.name.clone(), power, paired_by })
            })
            .collect()
    });
    if pairs.iter().any(|p| p.power.q_var.is_none()) {
        notes.push("reactive power needs a whole cycle of a known fundamental: q_var is null".into());
    }

    let duration_s = capture.duration_s();
    Ok(MeasureReport {
        from_s: capture.time_s(range.start),
        to_s: to_s.unwrap_or(duration_s).min(duration_s),
        samples: range.len(),
        frequency_hz,
        nominal_frequency_hz: nominal,
        channels,
        pairs,
        phasor_reference: reference.map(|r| analog[r].name.clone()),
        phasors,
        three_phase,
        balances: Vec::new(),
        notes,
    })
}

/// Each current with the voltage of its phase: `(voltage, current, how)` as indices into
/// `analog`. By name (same phase written the same way; the closest name wins), else the
/// only voltage, else the voltage whose fundamental is closest in phase.
fn pair_up(
    analog: &[&Channel],
    relative: &[Option<Complex64>],
    given: &[(String, String)],
    notes: &mut Vec<String>,
) -> Vec<(usize, usize, PairedBy)> {
    let names: Vec<&str> = analog.iter().map(|c| c.name.as_str()).collect();
    let phases = phase_names(&names);
    let voltages: Vec<usize> = (0..analog.len()).filter(|&i| analog[i].kind == ChannelKind::Voltage).collect();
    let currents = (0..analog.len()).filter(|&i| analog[i].kind == ChannelKind::Current);
    if voltages.is_empty() {
        if analog.iter().any(|c| c.kind == ChannelKind::Current) {
            notes.push("no voltage channel to pair the currents with: no powers".into());
        }
        return Vec::new();
    }
    let mut pairs = Vec::new();
    for ci in currents {
        let by_name = phases[ci].as_ref().and_then(|pc| {
            voltages
                .iter()
                .copied()
                .filter(|&v| phases[v].as_ref().is_some_and(|pv| pv.phase == pc.phase && pv.style == pc.style))
                .max_by_key(|&v| (likeness(names[v], names[ci]), std::cmp::Reverse(v)))
        });
        let configured = given
            .iter()
            .find(|(current, _)| *current == names[ci])
            .and_then(|(_, voltage)| voltages.iter().copied().find(|&v| names[v] == voltage));
        if let Some(v) = configured {
            pairs.push((v, ci, PairedBy::InstallConfig));
            continue;
        }
        let pick = match (by_name, voltages.as_slice()) {
            (Some(v), _) => Some((v, PairedBy::Name)),
            (None, [only]) => Some((*only, PairedBy::OnlyVoltage)),
            (None, _) => relative[ci].filter(|i| i.norm() > 0.0).and_then(|i| {
                let cos = |v: Complex64| (v * i.conj()).re / (v.norm() * i.norm());
                voltages
                    .iter()
                    .filter_map(|&v| Some((v, relative[v].filter(|p| p.norm() > 0.0)?)))
                    .max_by(|a, b| cos(a.1).total_cmp(&cos(b.1)))
                    .map(|(v, _)| (v, PairedBy::PhaseAngle))
            }),
        };
        match pick {
            Some((v, how)) => pairs.push((v, ci, how)),
            None => notes.push(format!(
                "{}: no phase in its name and no fundamental to compare with the voltages: not paired",
                analog[ci].name
            )),
        }
    }
    pairs
}

/// How alike two names are: the lengths of their common prefix and suffix (`F5-VA` is
/// closer to `F1-IA` than `M5-VA` is; `VA_G1` closer to `IA_G1` than `VA_G2` is).
fn likeness(a: &str, b: &str) -> usize {
    let prefix = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let suffix = a.bytes().rev().zip(b.bytes().rev()).take_while(|(x, y)| x == y).count();
    prefix + suffix
}
