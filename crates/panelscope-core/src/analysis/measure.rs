//! Measurements over a window: per channel the statistics (mean, min, max, peak-to-peak,
//! RMS, crest factor); per voltage/current pair the powers of IEEE 1459 (P, Q1, S, N, PF,
//! DPF). [`measure_report`] adds frequency, harmonics, phasors and symmetrical components
//! over every channel of a capture: it is what `panelscope measure --json` prints.
//!
//! Missing samples (NaN) are skipped; in a pair, a sample missing in either channel is
//! skipped in both. Sums run in `f64` over blocks of `f32` samples, in parallel on long
//! windows, in one pass.

mod report;

pub use report::{
    ChannelReport, MeasureReport, PairReport, PairedBy, PhasorReport, SequenceReport, measure_report,
    measure_report_paired,
};

use rayon::prelude::*;
use rustfft::num_complex::Complex64;
use serde::Serialize;

use super::frequency::nominal_frequency_hz;
use super::harmonics::{HarmonicAnalyzer, fundamental_power};
use super::stats::stats;
use super::units::unit_scale;

/// Statistics of one window of one channel, in the channel's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowStats {
    /// Valid (not missing) samples.
    pub count: usize,
    /// Root mean square (including any DC).
    pub rms: f64,
    /// Mean (the DC component).
    pub mean: f64,
    /// Smallest valid sample.
    pub min: f64,
    /// Largest valid sample.
    pub max: f64,
    /// `max - min`.
    pub p2p: f64,
    /// Largest absolute value over the RMS; `None` when the RMS is 0.
    pub crest_factor: Option<f64>,
}

impl WindowStats {
    fn new(count: usize, rms: f64, mean: f64, min: f64, max: f64) -> Self {
        let peak = max.abs().max(min.abs());
        let crest_factor = (rms > 0.0).then(|| peak / rms).filter(|c| c.is_finite());
        Self { count, rms, mean, min, max, p2p: max - min, crest_factor }
    }
}

/// Statistics of `values` at a fixed rate (missing samples skipped); `None` when none is
/// valid.
pub fn window_stats(values: &[f32]) -> Option<WindowStats> {
    let s = stats(values)?;
    Some(WindowStats::new(s.count, s.rms, s.mean, s.min, s.max))
}

/// Statistics of irregularly timed `values` (`times_s` beside them): mean and RMS weight
/// each stretch between two valid samples by its duration (trapezoids), so a dense stretch
/// counts no more than a sparse one. Falls back to equal weights when no stretch has a
/// duration. `None` when no sample is valid.
pub fn time_weighted_stats(values: &[f32], times_s: &[f64]) -> Option<WindowStats> {
    let s = stats(values)?;
    let (mut span, mut sum, mut sum_sq) = (0f64, 0f64, 0f64);
    for (v, t) in values.windows(2).zip(times_s.windows(2)) {
        let (a, b, dt) = (f64::from(v[0]), f64::from(v[1]), t[1] - t[0]);
        if a.is_nan() || b.is_nan() || dt.is_nan() || dt <= 0.0 {
            continue;
        }
        span += dt;
        sum += (a + b) / 2.0 * dt;
        sum_sq += (a * a + b * b) / 2.0 * dt;
    }
    Some(if span > 0.0 {
        WindowStats::new(s.count, (sum_sq / span).sqrt(), sum / span, s.min, s.max)
    } else {
        WindowStats::new(s.count, s.rms, s.mean, s.min, s.max)
    })
}

/// Powers of a voltage/current pair over a window, in W, var and VA (unit prefixes of the
/// channels applied: kV × A gives W).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Power {
    /// Active power, the mean of v·i over whole cycles.
    pub p_w: f64,
    /// Fundamental reactive power Q1 = V1·I1·sin(θv − θi) (IEEE 1459); positive when the
    /// current lags (inductive load). `None` without a whole cycle of a known fundamental.
    pub q_var: Option<f64>,
    /// Apparent power Vrms·Irms.
    pub s_va: f64,
    /// Non-active power N = sqrt(S² − P²) (IEEE 1459).
    pub n_var: f64,
    /// True power factor P/S; `None` when S is 0.
    pub pf: Option<f64>,
    /// Displacement power factor cos(θv − θi) of the fundamentals.
    pub dpf: Option<f64>,
    /// RMS voltage in V.
    pub v_rms: f64,
    /// RMS current in A.
    pub i_rms: f64,
}

/// Sums of a voltage/current pair over the samples valid in both, in the channels' units.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PairSums {
    /// Samples valid in both channels.
    pub count: usize,
    /// Σ v·i.
    pub vi: f64,
    /// Σ v².
    pub vv: f64,
    /// Σ i².
    pub ii: f64,
}

impl PairSums {
    fn merge(self, o: Self) -> Self {
        Self { count: self.count + o.count, vi: self.vi + o.vi, vv: self.vv + o.vv, ii: self.ii + o.ii }
    }
}

const LANES: usize = 8;
const BLOCK: usize = 1 << 16;

/// A block without missing samples (NaN sums tell otherwise): eight lanes, no branches.
fn pair_block_fast(v: &[f32], i: &[f32]) -> PairSums {
    let (mut vi, mut vv, mut ii) = ([0f64; LANES], [0f64; LANES], [0f64; LANES]);
    let (cv, ci) = (v.chunks_exact(LANES), i.chunks_exact(LANES));
    let (rv, ri) = (cv.remainder(), ci.remainder());
    for (a, b) in cv.zip(ci) {
        for l in 0..LANES {
            let (x, y) = (f64::from(a[l]), f64::from(b[l]));
            vi[l] += x * y;
            vv[l] += x * x;
            ii[l] += y * y;
        }
    }
    let mut s = PairSums { count: v.len(), vi: vi.iter().sum(), vv: vv.iter().sum(), ii: ii.iter().sum() };
    for (&a, &b) in rv.iter().zip(ri) {
        let (x, y) = (f64::from(a), f64::from(b));
        s.vi += x * y;
        s.vv += x * x;
        s.ii += y * y;
    }
    s
}

fn pair_block(v: &[f32], i: &[f32]) -> PairSums {
    let fast = pair_block_fast(v, i);
    if !(fast.vi.is_nan() || fast.vv.is_nan() || fast.ii.is_nan()) {
        return fast;
    }
    let mut s = PairSums::default();
    for (&a, &b) in v.iter().zip(i) {
        if !(a.is_nan() || b.is_nan()) {
            let (x, y) = (f64::from(a), f64::from(b));
            s = s.merge(PairSums { count: 1, vi: x * y, vv: x * x, ii: y * y });
        }
    }
    s
}

/// Σ v·i, Σ v², Σ i² over the samples valid in both `v` and `i` (the shorter length).
pub fn pair_sums(v: &[f32], i: &[f32]) -> PairSums {
    let n = v.len().min(i.len());
    let (v, i) = (&v[..n], &i[..n]);
    if n > 4 * BLOCK {
        v.par_chunks(BLOCK)
            .zip(i.par_chunks(BLOCK))
            .map(|(a, b)| pair_block(a, b))
            .reduce(PairSums::default, PairSums::merge)
    } else {
        v.chunks(BLOCK).zip(i.chunks(BLOCK)).map(|(a, b)| pair_block(a, b)).fold(PairSums::default(), PairSums::merge)
    }
}

/// The longest whole number of cycles of `frequency_hz` in `len` samples, in samples; `len`
/// when not even one cycle fits or the frequency is unknown.
pub fn whole_cycles_len(len: usize, sample_rate_hz: f64, frequency_hz: Option<f64>) -> usize {
    let Some(period) = frequency_hz.filter(|f| *f > 0.0).map(|f| sample_rate_hz / f) else {
        return len;
    };
    let cycles = (len as f64 / period + 1e-9).floor();
    let whole = ((cycles * period).round() as usize).min(len);
    if whole > 0 { whole } else { len }
}

/// The powers of a pair from its sums (over whole cycles) and, when known, its fundamental
/// complex power `V1·conj(I1)`, both in the channels' units; `v_scale` and `i_scale` bring
/// them to V and A. `None` without a valid sample or with infinite values.
pub fn power_from_sums(sums: PairSums, s1: Option<Complex64>, v_scale: f64, i_scale: f64) -> Option<Power> {
    if sums.count == 0 {
        return None;
    }
    let n = sums.count as f64;
    let v_rms = (sums.vv / n).sqrt() * v_scale;
    let i_rms = (sums.ii / n).sqrt() * i_scale;
    let p_w = sums.vi / n * v_scale * i_scale;
    let s_va = v_rms * i_rms;
    if ![v_rms, i_rms, p_w, s_va].iter().all(|x| x.is_finite()) {
        return None;
    }
    let s1 = s1.map(|s| s * v_scale * i_scale).filter(|s| s.re.is_finite() && s.im.is_finite());
    Some(Power {
        p_w,
        q_var: s1.map(|s| s.im),
        s_va,
        n_var: (s_va * s_va - p_w * p_w).max(0.0).sqrt(),
        pf: (s_va > 0.0).then(|| (p_w / s_va).clamp(-1.0, 1.0)),
        dpf: s1.filter(|s| s.norm() > 0.0).map(|s| s.re / s.norm()),
        v_rms,
        i_rms,
    })
}

/// Powers of `v` (in `v_unit`) and `i` (in `i_unit`) at a fixed rate: active power, RMS
/// and apparent power over the longest whole number of cycles of `frequency_hz` from the
/// start (everything when not a cycle fits), the fundamental reactive power and the
/// displacement power factor over IEC 61000-4-7 windows (10 or 12 cycles, fewer on short
/// windows). `None` when no sample is valid in both.
pub fn power(
    v: &[f32],
    i: &[f32],
    v_unit: &str,
    i_unit: &str,
    sample_rate_hz: f64,
    frequency_hz: Option<f64>,
) -> Option<Power> {
    let n = v.len().min(i.len());
    let whole = whole_cycles_len(n, sample_rate_hz, frequency_hz);
    let sums = pair_sums(&v[..whole], &i[..whole]);
    let s1 = frequency_hz.and_then(|f| {
        let nominal = nominal_frequency_hz(f).unwrap_or(f);
        let mut analyzer = HarmonicAnalyzer::new();
        let sv = analyzer.spectrum(&v[..n], sample_rate_hz, f, nominal)?;
        let si = analyzer.spectrum(&i[..n], sample_rate_hz, f, nominal)?;
        fundamental_power(&sv, &si)
    });
    power_from_sums(sums, s1, unit_scale(v_unit, "V"), unit_scale(i_unit, "A"))
}

#[cfg(test)]
mod tests;
