//! Harmonics and THD as IEC 61000-4-7 measures them: rectangular windows of 10 cycles on
//! 50 Hz systems and 12 on 60 Hz (about 200 ms), sized to the measured fundamental, an FFT
//! per window, and per harmonic the root-sum-square of its bin and the two beside it (the
//! harmonic subgroup), which keeps a fundamental slightly off its window from leaking out of
//! its group. Windows are aggregated as the RMS of each harmonic over all whole windows in
//! the range. The fundamental phasor of every window is kept, so that angles between
//! channels (and the fundamental reactive power) are averaged window by window and hold
//! over long ranges even when the frequency drifts.

use std::sync::Arc;

use rustfft::num_complex::Complex64;
use rustfft::{Fft, FftPlanner};
use serde::Serialize;

/// THD is reported only when the fundamental carries at least this share of the RMS.
pub const MIN_FUNDAMENTAL_SHARE: f64 = 0.1;

/// Highest harmonic order reported.
pub const MAX_ORDER: usize = 50;

/// Harmonic content of a channel over a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spectrum {
    /// RMS amplitude of harmonic `h` at index `h - 1` (the fundamental first), in the
    /// channel's unit, up to the 50th or the highest below the Nyquist frequency.
    pub harmonics: Vec<f64>,
    /// Total harmonic distortion (subgroups 2..=H over the fundamental), as a fraction;
    /// `None` when the fundamental is under [`MIN_FUNDAMENTAL_SHARE`] of the RMS.
    pub thd: Option<f64>,
    /// Cycles per window (10 or 12, fewer when the range is shorter).
    pub cycles_per_window: usize,
    /// Samples per window: `round(cycles * sample_rate / frequency)`.
    pub window_len: usize,
    /// Whole windows aggregated (windows with missing samples are left out).
    pub windows: usize,
    /// The fundamental phasor of each whole window of the range (RMS; angle of a cosine at
    /// the window's first sample), `None` where the window has missing samples.
    #[serde(skip)]
    pub fundamentals: Vec<Option<Complex64>>,
}

impl Spectrum {
    /// RMS of the fundamental.
    pub fn fundamental_rms(&self) -> f64 {
        self.harmonics.first().copied().unwrap_or(0.0)
    }
}

/// Cycles per window: 10 for 50 Hz (and slower) systems, 12 for 60 Hz (and faster) ones.
pub fn cycles_per_window(nominal_frequency_hz: f64) -> usize {
    if nominal_frequency_hz > 55.0 { 12 } else { 10 }
}

/// The fundamental phasor of `channel` relative to `reference` over the windows where both
/// have one: the RMS magnitude of `channel`'s fundamental, at the angle of the window
/// average of `channel / reference` (0 for a channel without fundamental). `None` when the
/// spectra share no window (different window lengths) or the reference has no fundamental.
pub fn relative_phasor(channel: &Spectrum, reference: &Spectrum) -> Option<Complex64> {
    let mean = mean_over_windows(channel, reference, |x, r| (r.norm() > 0.0).then(|| x * r.conj() / r.norm()))?;
    Some(if mean.norm() > 0.0 { mean / mean.norm() * channel.fundamental_rms() } else { Complex64::default() })
}

/// The fundamental complex power `V1·conj(I1)` of a voltage and a current (in the product of
/// their units): the real part is the fundamental active power P1, the imaginary part the
/// fundamental reactive power Q1 of IEEE 1459 (positive when the current lags). Averaged
/// over the windows both have; `None` when they share none.
pub fn fundamental_power(voltage: &Spectrum, current: &Spectrum) -> Option<Complex64> {
    mean_over_windows(voltage, current, |v, i| Some(v * i.conj()))
}

fn mean_over_windows(
    a: &Spectrum,
    b: &Spectrum,
    f: impl Fn(Complex64, Complex64) -> Option<Complex64>,
) -> Option<Complex64> {
    if a.window_len != b.window_len {
        return None;
    }
    let (mut sum, mut n) = (Complex64::default(), 0usize);
    for (x, y) in a.fundamentals.iter().zip(&b.fundamentals) {
        if let Some(z) = x.zip(*y).and_then(|(x, y)| f(x, y)) {
            sum += z;
            n += 1;
        }
    }
    (n > 0).then(|| sum / n as f64)
}

/// Window geometry for a range.
struct Plan {
    cycles: usize,
    len: usize,
    /// Bins each side of a harmonic's bin in its subgroup.
    side: usize,
    max_order: usize,
}

fn plan(samples: usize, sample_rate_hz: f64, frequency_hz: f64, nominal_frequency_hz: f64) -> Option<Plan> {
    if !(frequency_hz > 0.0 && sample_rate_hz > 2.0 * frequency_hz && sample_rate_hz.is_finite()) {
        return None;
    }
    let period = sample_rate_hz / frequency_hz;
    let fitting = (samples as f64 / period + 1e-9).floor() as usize;
    let cycles = cycles_per_window(nominal_frequency_hz).min(fitting);
    if cycles == 0 {
        return None;
    }
    let len = ((cycles as f64 * period).round() as usize).min(samples);
    // Subgroups need room: with fewer than 3 cycles per window the neighbours of a
    // harmonic's bin are half-way to the next harmonic.
    let side = usize::from(cycles >= 3);
    // Every bin of the highest subgroup below the Nyquist bin.
    let max_order = MAX_ORDER.min((len.div_ceil(2)).saturating_sub(1 + side) / cycles);
    (len >= 4 && max_order > 0).then_some(Plan { cycles, len, side, max_order })
}

/// Computes spectra of many channels, reusing the FFT plan and buffers.
pub struct HarmonicAnalyzer {
    planner: FftPlanner<f64>,
    plan: Option<(usize, Arc<dyn Fft<f64>>)>,
    buffer: Vec<Complex64>,
    scratch: Vec<Complex64>,
}

impl Default for HarmonicAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for HarmonicAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HarmonicAnalyzer").field("len", &self.plan.as_ref().map(|(n, _)| *n)).finish()
    }
}

impl HarmonicAnalyzer {
    /// An analyzer with no plan yet.
    pub fn new() -> Self {
        Self { planner: FftPlanner::new(), plan: None, buffer: Vec::new(), scratch: Vec::new() }
    }

    fn fft(&mut self, len: usize) -> Arc<dyn Fft<f64>> {
        match &self.plan {
            Some((n, fft)) if *n == len => fft.clone(),
            _ => {
                let fft = self.planner.plan_fft_forward(len);
                self.scratch.resize(fft.get_inplace_scratch_len(), Complex64::default());
                self.plan = Some((len, fft.clone()));
                fft
            }
        }
    }

    /// The spectrum of `values` (the range to analyse) for a fundamental of `frequency_hz`
    /// (measured) on a system of `nominal_frequency_hz` (which sets 10 or 12 cycles per
    /// window). `None` when not even one cycle fits, the sample rate is below twice the
    /// fundamental, or every window has missing samples.
    pub fn spectrum(
        &mut self,
        values: &[f32],
        sample_rate_hz: f64,
        frequency_hz: f64,
        nominal_frequency_hz: f64,
    ) -> Option<Spectrum> {
        let Plan { cycles, len, side, max_order } =
            plan(values.len(), sample_rate_hz, frequency_hz, nominal_frequency_hz)?;
        let fft = self.fft(len);
        let windows: Vec<&[f32]> = values.chunks_exact(len).collect();
        let mut fundamentals = Vec::with_capacity(windows.len());
        let mut power = vec![0f64; max_order];
        let (mut used, mut mean_square) = (0usize, 0f64);
        // |X|² · 2 / N² is the squared RMS of a bin; X·√2/N the RMS phasor.
        let scale = 2.0 / (len as f64 * len as f64);
        let phasor_scale = std::f64::consts::SQRT_2 / len as f64;
        // Two real windows per complex FFT: x in the real part, y in the imaginary part.
        for pair in windows.chunks(2) {
            let valid = [0, 1].map(|k| pair.get(k).filter(|w| w.iter().all(|v| v.is_finite())));
            if valid.iter().all(Option::is_none) {
                fundamentals.extend(pair.iter().map(|_| None));
                continue;
            }
            let part = |w: Option<&&[f32]>, n: usize| w.map_or(0.0, |w| f64::from(w[n]));
            self.buffer.clear();
            self.buffer.extend((0..len).map(|n| Complex64::new(part(valid[0], n), part(valid[1], n))));
            fft.process_with_scratch(&mut self.buffer, &mut self.scratch);
            let z = &self.buffer;
            for (k, w) in valid.iter().enumerate().take(pair.len()) {
                let Some(w) = w else {
                    fundamentals.push(None);
                    continue;
                };
                // Split Z into the spectra of the two real windows.
                let bin = |b: usize| {
                    let (p, q) = (z[b], z[(len - b) % len].conj());
                    if k == 0 { (p + q) * 0.5 } else { (p - q) * Complex64::new(0.0, -0.5) }
                };
                for (h, p) in power.iter_mut().enumerate() {
                    let centre = (h + 1) * cycles;
                    *p += (centre - side..=centre + side).map(|b| bin(b).norm_sqr()).sum::<f64>() * scale;
                }
                fundamentals.push(Some(bin(cycles) * phasor_scale));
                mean_square += w.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / len as f64;
                used += 1;
            }
        }
        if used == 0 {
            return None;
        }
        let harmonics: Vec<f64> = power.iter().map(|p| (p / used as f64).sqrt()).collect();
        let rms = (mean_square / used as f64).sqrt();
        let fundamental = harmonics[0];
        // Without a fundamental worth the name (noise on an idle channel, DC) a THD would
        // only say how small the fundamental is.
        // (And without a harmonic below the Nyquist frequency there is nothing to sum.)
        let thd = (fundamental > 0.0 && fundamental >= MIN_FUNDAMENTAL_SHARE * rms && harmonics.len() >= 2)
            .then(|| harmonics[1..].iter().fold(0.0, |sum, h| sum + h * h).sqrt() / fundamental);
        Some(Spectrum { harmonics, thd, cycles_per_window: cycles, window_len: len, windows: used, fundamentals })
    }

    /// The fundamental phasor of `values` relative to `reference` (same range, same sample
    /// rate): see [`relative_phasor`].
    pub fn phasor_relative_to(
        &mut self,
        values: &[f32],
        reference: &[f32],
        sample_rate_hz: f64,
        frequency_hz: f64,
        nominal_frequency_hz: f64,
    ) -> Option<Complex64> {
        let channel = self.spectrum(values, sample_rate_hz, frequency_hz, nominal_frequency_hz)?;
        let reference = self.spectrum(reference, sample_rate_hz, frequency_hz, nominal_frequency_hz)?;
        relative_phasor(&channel, &reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{SQRT_2, TAU};

    /// RMS amplitudes `rms[h - 1]` of harmonics of `f`, phases shifted so they do not align.
    fn signal(f: f64, rate: f64, seconds: f64, rms: &[f64], phase: f64) -> Vec<f32> {
        let n = (rate * seconds).round() as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / rate;
                rms.iter()
                    .enumerate()
                    .map(|(k, a)| SQRT_2 * a * (TAU * (k + 1) as f64 * f * t + 0.3 * k as f64 + phase).sin())
                    .sum::<f64>() as f32
            })
            .collect()
    }

    #[test]
    fn known_mix_at_50_and_60_hz() {
        // Fundamental 100, 3rd 20%, 5th 10%: THD = sqrt(0.2² + 0.1²).
        let rms = [100.0, 0.0, 20.0, 0.0, 10.0];
        let thd = (0.2f64 * 0.2 + 0.1 * 0.1).sqrt();
        for (f, nominal, cycles) in [(50.0, 50.0, 10), (60.0, 60.0, 12), (59.95, 60.0, 12), (50.04, 50.0, 10)] {
            for rate in [1000.0, 7680.0, 100_000.0] {
                let v = signal(f, rate, 1.0, &rms, 0.0);
                let measured = crate::analysis::frequency::zero_crossing_frequency(&v, rate).unwrap();
                // Harmonics bend the zero crossings: a few mHz at 17 samples a cycle.
                assert!((measured - f).abs() < 5e-3, "{f} Hz at {rate}: measured {measured}");
                let s = HarmonicAnalyzer::new().spectrum(&v, rate, measured, nominal).unwrap();
                assert_eq!(s.cycles_per_window, cycles);
                assert_eq!(s.window_len, (cycles as f64 * rate / measured).round() as usize);
                assert_eq!(s.windows, v.len() / s.window_len);
                // IEC 61000-4-7 allows the window 0.03% off 10 or 12 cycles; a window of
                // whole samples at 1 kHz is up to 0.25% off an off-nominal fundamental, and
                // leakage between harmonics then costs up to 0.5%.
                let exact = cycles as f64 * rate / f;
                let sync = (s.window_len as f64 - exact).abs() / exact;
                let tolerance = if sync <= 3e-4 { 1e-3 } else { 5e-3 };
                for (h, expected) in rms.iter().enumerate() {
                    let got = s.harmonics[h];
                    let err = if *expected > 0.0 { (got - expected).abs() / expected } else { got / 100.0 };
                    assert!(err < tolerance, "{f} Hz at {rate}: h{} = {got}, want {expected}", h + 1);
                }
                assert!((s.thd.unwrap() - thd).abs() < tolerance * thd, "{f} Hz at {rate}: thd {:?}", s.thd);
                // Up to the 50th, or the highest below the Nyquist frequency.
                let nyquist_order = (((rate / 2.0 / f) - 1e-9) as usize).min(MAX_ORDER);
                assert_eq!(s.harmonics.len(), nyquist_order, "{f} Hz at {rate}");
            }
        }
    }

    #[test]
    fn short_ranges_flat_and_missing() {
        let mut a = HarmonicAnalyzer::new();
        let v = signal(50.0, 5000.0, 0.05, &[10.0, 1.0], 0.0);
        // 2.5 cycles: two-cycle windows, centre bins only.
        let s = a.spectrum(&v, 5000.0, 50.0, 50.0).unwrap();
        assert_eq!((s.cycles_per_window, s.window_len, s.windows), (2, 200, 1));
        assert!((s.harmonics[0] - 10.0).abs() < 1e-3 && (s.harmonics[1] - 1.0).abs() < 1e-3);
        // Shorter than a cycle.
        assert!(a.spectrum(&v[..50], 5000.0, 50.0, 50.0).is_none());
        let flat = a.spectrum(&[3.0; 5000], 5000.0, 50.0, 50.0).unwrap();
        assert_eq!(flat.thd, None);
        assert_eq!(a.spectrum(&[0.0; 5000], 5000.0, 50.0, 50.0).unwrap().thd, None);
        assert!(a.spectrum(&[f32::NAN; 5000], 5000.0, 50.0, 50.0).is_none());
        assert!(a.spectrum(&v, 5000.0, 0.0, 50.0).is_none());
        assert!(a.spectrum(&v, 80.0, 50.0, 50.0).is_none());
        // At 120 Hz sampling only the fundamental is below the Nyquist frequency: no THD.
        let slow = signal(50.0, 120.0, 1.0, &[10.0], 0.0);
        let s = a.spectrum(&slow, 120.0, 50.0, 50.0).unwrap();
        assert_eq!((s.harmonics.len(), s.thd), (1, None));
        assert!((s.harmonics[0] - 10.0).abs() < 1e-6);
        // A missing sample drops its window only (either of a pair that shares an FFT, or
        // the odd one at the end); the others still measure 10.
        let long = signal(50.0, 5000.0, 1.0, &[10.0, 0.0, 1.0], 0.0);
        for gap in [10, 1234, 4321] {
            let mut v = long.clone();
            v[gap] = f32::NAN;
            let s = a.spectrum(&v, 5000.0, 50.0, 50.0).unwrap();
            assert_eq!((s.windows, s.fundamentals.len()), (4, 5));
            assert!(s.fundamentals[gap / 1000].is_none());
            assert!((s.harmonics[0] - 10.0).abs() < 1e-6 && (s.harmonics[2] - 1.0).abs() < 1e-6, "{s:?}");
            let reference = a.spectrum(&long, 5000.0, 50.0, 50.0).unwrap();
            let p = relative_phasor(&s, &reference).unwrap();
            assert!((p.norm() - 10.0).abs() < 1e-6 && p.arg().abs() < 1e-9);
        }
    }

    #[test]
    fn relative_phasors_and_fundamental_power_hold_over_a_drifting_hour() {
        // 2 minutes at 50.01 Hz analysed at 50 Hz: a whole-range correlation would average
        // the fundamental away, the window average does not.
        let (rate, f) = (2000.0, 50.0);
        let v = signal(50.01, rate, 120.0, &[230.0], 0.0);
        let i = signal(50.01, rate, 120.0, &[10.0], -0.5);
        let mut a = HarmonicAnalyzer::new();
        let sv = a.spectrum(&v, rate, f, 50.0).unwrap();
        let si = a.spectrum(&i, rate, f, 50.0).unwrap();
        let p = relative_phasor(&si, &sv).unwrap();
        assert!((p.norm() - 10.0).abs() < 1e-3 && (p.arg() + 0.5).abs() < 1e-3, "{p}");
        let s1 = fundamental_power(&sv, &si).unwrap();
        assert!((s1.re - 2300.0 * 0.5f64.cos()).abs() < 0.5 && (s1.im - 2300.0 * 0.5f64.sin()).abs() < 0.5, "{s1}");
        let direct = a.phasor_relative_to(&i, &v, rate, f, 50.0).unwrap();
        assert!((direct - p).norm() < 1e-9);
    }
}
