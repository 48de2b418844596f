//! Harmonics and THD as IEC 61000-4-7 measures them: rectangular windows of 10 cycles on
//! 50 Hz systems and 12 on 60 Hz (about 200 ms), an FFT per window, and per harmonic the
//! root-sum-square of its bin and the two beside it (the harmonic subgroup), which keeps a
//! fundamental slightly off its window's frequency from leaking out of its group.
//! Windows are aggregated as the RMS of each harmonic over all whole windows in the range.

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
    /// Whole windows aggregated.
    pub windows: usize,
}

/// Cycles per window: 10 for 50 Hz systems, 12 for 60 Hz ones (200 ms either way).
pub fn cycles_per_window(nominal_frequency_hz: f64) -> usize {
    if nominal_frequency_hz > 55.0 { 12 } else { 10 }
}

/// Computes spectra of many channels with one FFT plan per window length.
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

impl HarmonicAnalyzer {
    /// An analyzer with no plan yet.
    pub fn new() -> Self {
        Self { planner: FftPlanner::new(), plan: None, buffer: Vec::new(), scratch: Vec::new() }
    }

    fn plan(&mut self, len: usize) -> Arc<dyn Fft<f64>> {
        match &self.plan {
            Some((n, fft)) if *n == len => fft.clone(),
            _ => {
                let fft = self.planner.plan_fft_forward(len);
                self.scratch = vec![Complex64::default(); fft.get_inplace_scratch_len()];
                self.plan = Some((len, fft.clone()));
                fft
            }
        }
    }

    /// The spectrum of `values` (the range to analyse) for a fundamental of
    /// `frequency_hz` on a system of `nominal_frequency_hz`. `None` when not even one
    /// cycle fits, or every window has missing samples.
    pub fn spectrum(
        &mut self,
        values: &[f32],
        sample_rate_hz: f64,
        frequency_hz: f64,
        nominal_frequency_hz: f64,
    ) -> Option<Spectrum> {
        if !(frequency_hz > 0.0 && sample_rate_hz > 2.0 * frequency_hz) {
            return None;
        }
        let period = sample_rate_hz / frequency_hz;
        let fitting = (values.len() as f64 / period).floor() as usize;
        let cycles = cycles_per_window(nominal_frequency_hz).min(fitting);
        if cycles == 0 {
            return None;
        }
        let len = (cycles as f64 * period).round() as usize;
        if len < 4 || len > values.len() {
            return None;
        }
        // Subgroups need room: with fewer than 3 cycles per window neighbours would overlap.
        let side = usize::from(cycles >= 3);
        let max_order = MAX_ORDER.min((len / 2).saturating_sub(1 + side) / cycles);
        if max_order == 0 {
            return None;
        }
        let fft = self.plan(len);
        let mut power = vec![0f64; max_order];
        let mut windows = 0;
        let scale = 2.0 / (len as f64 * len as f64);
        for start in (0..=values.len() - len).step_by(len) {
            let window = &values[start..start + len];
            if window.iter().any(|v| !v.is_finite()) {
                continue;
            }
            self.buffer.clear();
            self.buffer.extend(window.iter().map(|&v| Complex64::new(f64::from(v), 0.0)));
            fft.process_with_scratch(&mut self.buffer, &mut self.scratch);
            for (h, p) in power.iter_mut().enumerate() {
                let centre = (h + 1) * cycles;
                // |X|^2 * 2 / N^2 is the squared RMS of a bin.
                let group: f64 = (centre - side..=centre + side).map(|k| self.buffer[k].norm_sqr()).sum();
                *p += group * scale;
            }
            windows += 1;
        }
        if windows == 0 {
            return None;
        }
        let harmonics: Vec<f64> = power.iter().map(|p| (p / windows as f64).sqrt()).collect();
        let total_rms = {
            let ms: f64 = values.iter().filter(|v| v.is_finite()).map(|&v| f64::from(v).powi(2)).sum::<f64>()
                / values.len().max(1) as f64;
            ms.sqrt()
        };
        let fundamental = harmonics[0];
        // Without a fundamental worth the name (noise on an idle channel, DC) a THD would
        // only say how small the fundamental is.
        let thd = (fundamental >= MIN_FUNDAMENTAL_SHARE * total_rms && fundamental > 0.0)
            .then(|| harmonics[1..].iter().map(|h| h * h).sum::<f64>().sqrt() / fundamental);
        Some(Spectrum { harmonics, thd, cycles_per_window: cycles, windows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{SQRT_2, TAU};

    /// RMS amplitudes `rms[h - 1]` of harmonics of `f`, phases shifted so they do not align.
    fn signal(f: f64, rate: f64, seconds: f64, rms: &[f64]) -> Vec<f32> {
        let n = (rate * seconds).round() as usize;
        (0..n)
            .map(|i| {
                let t = i as f64 / rate;
                rms.iter()
                    .enumerate()
                    .map(|(k, a)| SQRT_2 * a * (TAU * (k + 1) as f64 * f * t + 0.3 * k as f64).sin())
                    .sum::<f64>() as f32
            })
            .collect()
    }

    #[test]
    fn known_mix_at_50_and_60_hz() {
        // Fundamental 100, 3rd 20%, 5th 10%: THD = sqrt(0.2^2 + 0.1^2).
        let rms = [100.0, 0.0, 20.0, 0.0, 10.0];
        let thd = (0.2f64 * 0.2 + 0.1 * 0.1).sqrt();
        for (f, nominal, rate, cycles) in [
            (50.0, 50.0, 10_000.0, 10),
            (60.0, 60.0, 7680.0, 12),
            (59.95, 60.0, 15_360.0, 12),
            (50.0, 50.0, 1000.0, 10),
            (60.0, 60.0, 100_000.0, 12),
        ] {
            let v = signal(f, rate, 1.0, &rms);
            let s = HarmonicAnalyzer::new().spectrum(&v, rate, f, nominal).unwrap();
            assert_eq!(s.cycles_per_window, cycles);
            assert_eq!(s.windows, (f / cycles as f64).floor() as usize);
            for (h, expected) in rms.iter().enumerate() {
                assert!(
                    (s.harmonics[h] - expected).abs() < 1e-3 * 100.0,
                    "{f} Hz {rate}: h{} = {}",
                    h + 1,
                    s.harmonics[h]
                );
            }
            assert!((s.thd.unwrap() - thd).abs() < 1e-3, "{f} Hz {rate}: thd {:?}", s.thd);
            // Up to the 50th, or what the sample rate allows.
            let nyquist_order = ((rate / 2.0 / f) as usize).min(MAX_ORDER);
            assert!(
                s.harmonics.len() <= nyquist_order && s.harmonics.len() >= nyquist_order - 2,
                "{}",
                s.harmonics.len()
            );
        }
    }

    #[test]
    fn short_ranges_flat_and_missing() {
        let mut a = HarmonicAnalyzer::new();
        let v = signal(50.0, 5000.0, 0.05, &[10.0, 1.0]);
        // 2.5 cycles: two-cycle windows, centre bins only.
        let s = a.spectrum(&v, 5000.0, 50.0, 50.0).unwrap();
        assert_eq!(s.cycles_per_window, 2);
        assert!((s.harmonics[0] - 10.0).abs() < 1e-3 && (s.harmonics[1] - 1.0).abs() < 1e-3);
        assert!(a.spectrum(&v[..50], 5000.0, 50.0, 50.0).is_none());
        let flat = a.spectrum(&[3.0; 5000], 5000.0, 50.0, 50.0).unwrap();
        assert_eq!(flat.thd, None);
        assert!(a.spectrum(&[f32::NAN; 5000], 5000.0, 50.0, 50.0).is_none());
        assert!(a.spectrum(&v, 5000.0, 0.0, 50.0).is_none());
    }
}
