//! Frequency by zero crossings, and the power system's nominal frequency.
//!
//! Rising zero crossings are found with hysteresis (the signal must go below `-h` and then
//! above `+h`, `h` a tenth of its RMS), so noise near zero and harmonics do not add false
//! crossings; each crossing is placed by linear interpolation between the samples that
//! straddle zero. Missing samples (NaN) break the current crossing.

/// Rising zero crossings, in fractional sample indices, of `values` about their mean.
pub fn rising_crossings(values: &[f32]) -> Vec<f64> {
    let Some((mean, rms)) = mean_and_ac_rms(values) else {
        return Vec::new();
    };
    if rms <= 0.0 {
        return Vec::new();
    }
    let h = 0.1 * rms;
    let mut crossings = Vec::new();
    let mut armed = false;
    // Index of the last sample below zero (the crossing lies just after it).
    let mut last_below: Option<usize> = None;
    for (i, &v) in values.iter().enumerate() {
        let x = f64::from(v) - mean;
        if x.is_nan() {
            armed = false;
            last_below = None;
            continue;
        }
        if x < 0.0 {
            last_below = Some(i);
        }
        if x < -h {
            armed = true;
        } else if armed && x >= h {
            armed = false;
            if let Some(j) = last_below {
                let a = f64::from(values[j]) - mean;
                let b = f64::from(values[j + 1]) - mean;
                let frac = if b > a { (-a / (b - a)).clamp(0.0, 1.0) } else { 0.0 };
                crossings.push(j as f64 + frac);
            }
        }
    }
    crossings
}

/// Mean and RMS about the mean of the finite samples; `None` when there are none.
fn mean_and_ac_rms(values: &[f32]) -> Option<(f64, f64)> {
    let (mut n, mut sum) = (0usize, 0.0f64);
    for &v in values {
        if v.is_finite() {
            n += 1;
            sum += f64::from(v);
        }
    }
    if n == 0 {
        return None;
    }
    let mean = sum / n as f64;
    let ss: f64 = values.iter().filter(|v| v.is_finite()).map(|&v| (f64::from(v) - mean).powi(2)).sum();
    Some((mean, (ss / n as f64).sqrt()))
}

/// The frequency of `values` from its rising zero crossings: whole periods between the first
/// and the last crossing. `None` when there are fewer than two crossings or when the periods
/// are irregular (more than a tenth of them off the median by over 20%): the signal is not
/// periodic (DC, noise, a flat or missing channel).
pub fn zero_crossing_frequency(values: &[f32], sample_rate_hz: f64) -> Option<f64> {
    let crossings = rising_crossings(values);
    if crossings.len() < 2 || sample_rate_hz.is_nan() || sample_rate_hz <= 0.0 {
        return None;
    }
    let mut periods: Vec<f64> = crossings.windows(2).map(|w| w[1] - w[0]).collect();
    periods.sort_by(f64::total_cmp);
    let median = periods[periods.len() / 2];
    let off = periods.iter().filter(|&&p| (p - median).abs() > 0.2 * median).count();
    if off * 10 > periods.len() {
        return None;
    }
    let span = crossings[crossings.len() - 1] - crossings[0];
    // Count whole median periods rather than crossings: a missing stretch skips crossings,
    // an impulse may add one.
    let whole = (span / median).round();
    Some(whole * sample_rate_hz / span).filter(|f| f.is_finite() && *f > 0.0)
}

/// The nominal power-system frequency closest to `measured_hz`: 50 or 60 Hz (16.7, 25 and
/// 400 Hz systems are recognised too). `None` when nothing is within 10%.
pub fn nominal_frequency_hz(measured_hz: f64) -> Option<f64> {
    [50.0, 60.0, 400.0, 16.7, 25.0].into_iter().find(|&f| (measured_hz - f).abs() <= 0.1 * f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    fn wave(f: f64, rate: f64, n: usize, harmonics: &[(f64, f64)], dc: f64) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = i as f64 / rate;
                let mut v = dc + (TAU * f * t + 0.3).sin();
                for &(h, a) in harmonics {
                    v += a * (TAU * h * f * t).sin();
                }
                v as f32
            })
            .collect()
    }

    #[test]
    fn sine_frequency_to_a_millihertz() {
        for (f, rate) in [(50.0, 1000.0), (60.0, 4000.0), (59.97, 10_000.0), (50.02, 100_000.0)] {
            let v = wave(f, rate, (rate * 1.0) as usize, &[], 0.0);
            let got = zero_crossing_frequency(&v, rate).unwrap();
            assert!((got - f).abs() < 1e-3, "{f} Hz at {rate}: got {got}");
        }
    }

    #[test]
    fn harmonics_offset_and_missing_samples() {
        let rate = 4000.0;
        let mut v = wave(60.0, rate, 4000, &[(3.0, 0.3), (5.0, 0.2)], 5.0);
        for x in &mut v[1000..1100] {
            *x = f32::NAN;
        }
        let got = zero_crossing_frequency(&v, rate).unwrap();
        assert!((got - 60.0).abs() < 0.01, "got {got}");
    }

    #[test]
    fn no_frequency_for_flat_dc_or_noise() {
        assert_eq!(zero_crossing_frequency(&[0.0; 1000], 1000.0), None);
        assert_eq!(zero_crossing_frequency(&[3.0; 1000], 1000.0), None);
        assert_eq!(zero_crossing_frequency(&[], 1000.0), None);
        assert_eq!(zero_crossing_frequency(&[f32::NAN; 10], 1000.0), None);
        let mut state = 1u32;
        let noise: Vec<f32> = (0..10_000)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        assert_eq!(zero_crossing_frequency(&noise, 1000.0), None);
    }

    #[test]
    fn nominal() {
        assert_eq!(nominal_frequency_hz(59.93), Some(60.0));
        assert_eq!(nominal_frequency_hz(49.5), Some(50.0));
        assert_eq!(nominal_frequency_hz(120.0), None);
    }
}
