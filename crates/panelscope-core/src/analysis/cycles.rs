//! Cycle-by-cycle views of a waveform: half-cycle windows on the fundamental's period, the
//! energy and mean of each, how far each strays from the cycle before, and the one-cycle
//! RMS refreshed every half cycle (IEC 61000-4-30's `Urms(1/2)`).
//!
//! The windows tile the samples from the first one: window `k` covers samples
//! `round(k * P / 2) .. round((k + 1) * P / 2)` for a period of `P` samples (fractional).
//! Any whole cycle of a sinusoid has the same RMS wherever it starts, so the windows need
//! not be aligned with zero crossings. One pass over the samples computes everything the
//! event detector needs, at memory speed and in parallel.

use rayon::prelude::*;

/// Half-cycle windows over a channel of `len` samples at a period of `period_samples`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HalfCycles {
    /// Samples per cycle of the fundamental (fractional).
    pub period_samples: f64,
    /// Samples in the channel.
    pub len: usize,
    /// Sample rate, to turn indices into seconds.
    pub sample_rate_hz: f64,
}

impl HalfCycles {
    /// The grid for a fundamental of `frequency_hz` sampled at `sample_rate_hz`.
    pub fn new(len: usize, sample_rate_hz: f64, frequency_hz: f64) -> Self {
        Self { period_samples: sample_rate_hz / frequency_hz, len, sample_rate_hz }
    }

    /// Samples per half cycle (fractional).
    pub fn half_samples(&self) -> f64 {
        self.period_samples / 2.0
    }

    /// Number of whole half-cycle windows.
    pub fn count(&self) -> usize {
        let half = self.half_samples();
        if half.is_nan() || half < 1.0 || self.len == 0 {
            return 0;
        }
        // The last window's end must fall inside the last sample.
        let mut n = ((self.len - 1) as f64 / half).floor() as usize;
        while n > 0 && self.edge(n) > (self.len - 1) as f64 {
            n -= 1;
        }
        n
    }

    /// Where window `k` starts, in fractional samples (each sample holds its value for one
    /// sample interval).
    #[inline]
    pub fn edge(&self, k: usize) -> f64 {
        k as f64 * self.half_samples()
    }

    /// First sample of window `k`'s tile: the samples `bound(k)..bound(k + 1)` tile the
    /// channel, and window `k` takes all of them but the part of the first that lies
    /// before [`HalfCycles::edge`], plus the part of the next one before the next edge.
    #[inline]
    pub fn bound(&self, k: usize) -> usize {
        self.edge(k).floor() as usize
    }

    /// The samples of window `k`'s tile.
    pub fn window(&self, k: usize) -> std::ops::Range<usize> {
        self.bound(k)..self.bound(k + 1)
    }

    /// Time in seconds of sample index `i` (fractional).
    pub fn time_s(&self, i: f64) -> f64 {
        i / self.sample_rate_hz
    }

    /// The window holding sample `i`.
    pub fn window_of(&self, i: usize) -> usize {
        let mut k = (i as f64 / (self.period_samples / 2.0)).floor() as usize;
        while k > 0 && self.bound(k) > i {
            k -= 1;
        }
        while self.bound(k + 1) <= i {
            k += 1;
        }
        k
    }
}

/// Per half-cycle window of one channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HalfCycleSeries {
    /// Mean of the squares of the valid samples (NaN when none are valid).
    pub mean_square: Vec<f64>,
    /// Mean of the valid samples (NaN when none are valid).
    pub mean: Vec<f64>,
    /// Largest absolute difference between a sample and the same point one cycle earlier
    /// (interpolated); 0 for the first cycle and where samples are missing.
    pub max_deviation: Vec<f32>,
}

impl HalfCycleSeries {
    /// RMS of window `k`.
    pub fn rms(&self, k: usize) -> f64 {
        self.mean_square[k].sqrt()
    }
}

/// The value at fractional sample index `at`, interpolated between the two samples around
/// it (the last sample stands for itself); `None` outside the samples.
#[inline]
pub fn interpolated(values: &[f32], at: f64) -> Option<f32> {
    if at < 0.0 {
        return None;
    }
    let j = at.floor() as usize;
    let frac = (at - j as f64) as f32;
    let a = *values.get(j)?;
    let b = values.get(j + 1).copied().unwrap_or(a);
    Some(a + (b - a) * frac)
}

/// The value one cycle before sample `i`, interpolated between the two samples around it.
#[inline]
pub fn previous_cycle(values: &[f32], i: usize, period_samples: f64) -> Option<f32> {
    interpolated(values, i as f64 - period_samples)
}

/// The value one cycle after sample `i`, interpolated; `None` past the end.
#[inline]
pub fn next_cycle(values: &[f32], i: usize, period_samples: f64) -> Option<f32> {
    interpolated(values, i as f64 + period_samples)
}

/// Lanes of the vectorised inner loop.
const LANES: usize = 8;

/// Sum, sum of squares and largest previous-cycle deviation of `values[range]`, where every
/// index in the range is at least `n0 + 1` (so the reference samples exist). NaN samples
/// make the sums NaN (the caller then takes the slow path) and never count as deviations.
#[inline]
fn window_fast(values: &[f32], range: std::ops::Range<usize>, n0: usize, frac: f32) -> (f64, f64, f32) {
    let cur = &values[range.clone()];
    let r0 = &values[range.start - n0..range.end - n0];
    let r1 = &values[range.start - n0 - 1..range.end - n0 - 1];
    let mut sum = [0f32; LANES];
    let mut sq = [0f32; LANES];
    let mut dev = [0f32; LANES];
    let chunks = cur.len() / LANES * LANES;
    for ((c, a), b) in
        cur[..chunks].chunks_exact(LANES).zip(r0[..chunks].chunks_exact(LANES)).zip(r1.chunks_exact(LANES))
    {
        for l in 0..LANES {
            let x = c[l];
            sum[l] += x;
            sq[l] += x * x;
            // One cycle back lies between r1 (earlier) and r0, `frac` of the way back from r0.
            let d = (x - (a[l] + (b[l] - a[l]) * frac)).abs();
            dev[l] = if d > dev[l] { d } else { dev[l] };
        }
    }
    let mut s: f64 = sum.iter().map(|&v| f64::from(v)).sum();
    let mut q: f64 = sq.iter().map(|&v| f64::from(v)).sum();
    let mut m = dev.iter().fold(0f32, |m, &d| if d > m { d } else { m });
    for j in chunks..cur.len() {
        let x = cur[j];
        s += f64::from(x);
        q += f64::from(x) * f64::from(x);
        let d = (x - (r0[j] + (r1[j] - r0[j]) * frac)).abs();
        m = if d > m { d } else { m };
    }
    (s, q, m)
}

/// Mean and mean square over window `tile` with its edge weights (see
/// [`half_cycle_series`]), of the samples `value` gives; NaN skipped; NaN when none is valid.
fn weighted_moments(
    tile: std::ops::Range<usize>,
    cut_first: f32,
    add_last: f32,
    value: impl Fn(usize) -> f32,
) -> (f64, f64) {
    let (mut w, mut s, mut q) = (0f64, 0f64, 0f64);
    let mut add = |x: f32, weight: f64| {
        if !x.is_nan() && weight > 0.0 {
            w += weight;
            s += weight * f64::from(x);
            q += weight * f64::from(x) * f64::from(x);
        }
    };
    for i in tile.clone() {
        let weight = if i == tile.start { 1.0 - f64::from(cut_first) } else { 1.0 };
        add(value(i), weight);
    }
    add(value(tile.end), f64::from(add_last));
    if w <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    (s / w, q / w)
}

/// The same as [`window_fast`] for any window, with the edge weights applied: skips NaN,
/// and the first cycle for the deviation.
fn window_slow(
    values: &[f32],
    tile: std::ops::Range<usize>,
    cut_first: f32,
    add_last: f32,
    period_samples: f64,
) -> (f64, f64, f32) {
    let (s, q) = weighted_moments(tile.clone(), cut_first, add_last, |i| values[i]);
    let mut m = 0f32;
    for i in tile {
        if let Some(r) = previous_cycle(values, i, period_samples) {
            let d = (values[i] - r).abs();
            m = if d > m { d } else { m };
        }
    }
    (s, q, m)
}

/// Edge weights of window `k`: the part of its first sample before its edge, and the part
/// of the sample after its tile that it takes.
fn edge_weights(grid: &HalfCycles, k: usize) -> (f32, f32) {
    let tile = grid.window(k);
    ((grid.edge(k) - tile.start as f64) as f32, (grid.edge(k + 1) - tile.end as f64) as f32)
}

/// Recomputes the mean and mean square of the windows that `samples` touch as if those
/// samples had followed the previous cycle's shape: takes an impulsive transient out of
/// the RMS levels (it is an event of its own, not a swell). The deviations are kept.
pub fn patch_with_previous_cycle(
    values: &[f32],
    grid: &HalfCycles,
    series: &mut HalfCycleSeries,
    samples: std::ops::Range<usize>,
) {
    if samples.is_empty() || series.mean_square.is_empty() {
        return;
    }
    let first = grid.window_of(samples.start).saturating_sub(1);
    let last = grid.window_of(samples.end - 1).min(series.mean_square.len() - 1);
    let value = |i: usize| {
        if samples.contains(&i) {
            previous_cycle(values, i, grid.period_samples).unwrap_or(values[i])
        } else {
            values[i]
        }
    };
    for k in first..=last {
        let (cut_first, add_last) = edge_weights(grid, k);
        let (s, q) = weighted_moments(grid.window(k), cut_first, add_last, value);
        series.mean[k] = s;
        series.mean_square[k] = q;
    }
}

/// Windows per parallel task.
const TASK_WINDOWS: usize = 512;

/// The half-cycle series of `values` on `grid` (in parallel for long channels).
pub fn half_cycle_series(values: &[f32], grid: &HalfCycles) -> HalfCycleSeries {
    let count = grid.count();
    let period = grid.period_samples;
    let back = period.floor();
    let n0 = back as usize;
    // x(i - P) = x[i - n0 - frac']; with r0 = x[i - n0], r1 = x[i - n0 - 1], the point lies
    // `period - n0` of the way from r0 to r1.
    let frac = (period - back) as f32;
    let first_fast = n0 + 1;
    let half = grid.half_samples();
    let mut out =
        HalfCycleSeries { mean_square: vec![0.0; count], mean: vec![0.0; count], max_deviation: vec![0.0; count] };
    out.mean_square
        .par_chunks_mut(TASK_WINDOWS)
        .zip(out.mean.par_chunks_mut(TASK_WINDOWS))
        .zip(out.max_deviation.par_chunks_mut(TASK_WINDOWS))
        .enumerate()
        .for_each(|(task, ((ms, mean), dev))| {
            for j in 0..ms.len() {
                let k = task * TASK_WINDOWS + j;
                let tile = grid.window(k);
                // The tile counts its first sample whole and misses the start of the next:
                // take off the part before this window's edge, add the part before the next.
                let (cut_first, add_last) = edge_weights(grid, k);
                let (first, next) = (values[tile.start], values[tile.end]);
                let fast = if tile.start >= first_fast && !tile.is_empty() {
                    let (s, q, m) = window_fast(values, tile.clone(), n0, frac);
                    let s = s - f64::from(first * cut_first) + f64::from(next * add_last);
                    let q = q - f64::from(first * first * cut_first) + f64::from(next * next * add_last);
                    (s.is_finite() && q.is_finite()).then_some((s / half, q / half, m))
                } else {
                    None
                };
                let (s, q, m) = fast.unwrap_or_else(|| window_slow(values, tile, cut_first, add_last, period));
                ms[j] = q;
                mean[j] = s;
                dev[j] = m;
            }
        });
    out
}

/// One-cycle RMS refreshed every half cycle, as a derived channel: value `k` is the RMS
/// of windows `k` and `k + 1` (one whole cycle), time-stamped at the end of that cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleRms {
    /// Time of the first value (the end of the first whole cycle), seconds from the first
    /// sample.
    pub first_s: f64,
    /// Time between values: half a cycle.
    pub step_s: f64,
    /// RMS values; NaN where a cycle has no valid samples.
    pub values: Vec<f32>,
}

/// One-cycle RMS of each pair of consecutive half-cycle windows.
pub fn cycle_rms_from(series: &HalfCycleSeries, grid: &HalfCycles) -> CycleRms {
    let values = series
        .mean_square
        .windows(2)
        .map(|w| {
            let ms = match (w[0].is_nan(), w[1].is_nan()) {
                (false, false) => 0.5 * (w[0] + w[1]),
                (true, false) => w[1],
                (false, true) => w[0],
                (true, true) => f64::NAN,
            };
            ms.sqrt() as f32
        })
        .collect();
    CycleRms { first_s: grid.time_s(grid.edge(2)), step_s: grid.half_samples() / grid.sample_rate_hz, values }
}

/// The one-cycle RMS refreshed every half cycle of `values` (IEC 61000-4-30 `Urms(1/2)`),
/// for a fundamental of `frequency_hz`.
pub fn cycle_rms(values: &[f32], sample_rate_hz: f64, frequency_hz: f64) -> CycleRms {
    let grid = HalfCycles::new(values.len(), sample_rate_hz, frequency_hz);
    cycle_rms_from(&half_cycle_series(values, &grid), &grid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::{SQRT_2, TAU};

    fn sine(f: f64, rate: f64, n: usize, amp: f64) -> Vec<f32> {
        (0..n).map(|i| (amp * (TAU * f * i as f64 / rate + 0.7).sin()) as f32).collect()
    }

    #[test]
    fn grid_tiles_the_samples() {
        let grid = HalfCycles::new(10_000, 4000.0, 60.0);
        let n = grid.count();
        assert_eq!(grid.bound(0), 0);
        for k in 0..n {
            assert!(grid.window(k).len() >= 33 && grid.window(k).len() <= 34);
            assert!(grid.edge(k) >= grid.bound(k) as f64 && grid.edge(k) < grid.bound(k) as f64 + 1.0);
            assert_eq!(grid.window(k).end, grid.window(k + 1).start);
            assert_eq!(grid.window_of(grid.bound(k)), k);
            assert_eq!(grid.window_of(grid.bound(k + 1) - 1), k);
        }
        assert!(grid.edge(n) <= 9_999.0 && grid.edge(n + 1) > 9_999.0);
        assert_eq!(HalfCycles::new(10, 10.0, 60.0).count(), 0);
    }

    #[test]
    fn cycle_rms_of_a_sine_and_a_step() {
        for (f, rate) in [(60.0, 4000.0), (50.0, 1000.0), (59.9, 100_000.0)] {
            let n = (rate * 0.5) as usize;
            let mut v = sine(f, rate, n, 170.0);
            // From the middle on, the amplitude halves.
            for x in &mut v[n / 2..] {
                *x *= 0.5;
            }
            let trend = cycle_rms(&v, rate, f);
            let step = trend.step_s;
            assert!((step - 0.5 / f).abs() < 1e-9);
            for (k, &r) in trend.values.iter().enumerate() {
                let end_s = trend.first_s + k as f64 * step;
                let start_s = end_s - 1.0 / f;
                let mid_s = n as f64 / 2.0 / rate;
                let expected = if end_s <= mid_s {
                    170.0 / SQRT_2
                } else if start_s >= mid_s {
                    85.0 / SQRT_2
                } else {
                    continue;
                };
                // Fractional window edges make the RMS of any cycle exact to 0.05%.
                let tolerance = expected * 5e-4;
                assert!((f64::from(r) - expected).abs() < tolerance, "{f} Hz {rate}: {r} vs {expected} at {k}");
            }
        }
    }

    #[test]
    fn deviation_from_the_previous_cycle() {
        let (f, rate) = (60.0, 10_000.0);
        let mut v = sine(f, rate, 5000, 170.0);
        let grid = HalfCycles::new(v.len(), rate, f);
        let quiet = half_cycle_series(&v, &grid);
        // A fractional period (166.67 samples) is interpolated: the residue is tiny.
        assert!(quiet.max_deviation.iter().all(|&d| d < 0.1), "{:?}", quiet.max_deviation);
        v[2500] += 50.0;
        let spiked = half_cycle_series(&v, &grid);
        let k = grid.window_of(2500);
        assert!((spiked.max_deviation[k] - 50.0).abs() < 0.2);
        // The echo one cycle later.
        let echo = grid.window_of(2500 + 167);
        assert!(spiked.max_deviation[echo] > 30.0);
        // Taking the spike out of the levels gives back the quiet ones.
        let mut patched = spiked.clone();
        patch_with_previous_cycle(&v, &grid, &mut patched, 2500..2501);
        assert_ne!(spiked.mean_square, quiet.mean_square);
        for (a, b) in patched.mean_square.iter().zip(&quiet.mean_square) {
            assert!((a - b).abs() < 1e-3 * b, "{a} {b}");
        }
    }

    #[test]
    fn missing_samples_and_flat_channels() {
        let (f, rate) = (50.0, 1000.0);
        let mut v = sine(f, rate, 1000, 10.0);
        for x in &mut v[100..110] {
            *x = f32::NAN;
        }
        let grid = HalfCycles::new(v.len(), rate, f);
        let s = half_cycle_series(&v, &grid);
        assert!(s.mean_square[10].is_nan());
        assert!(s.mean_square.iter().enumerate().all(|(k, m)| k == 10 || m.is_finite()));
        let trend = cycle_rms_from(&s, &grid);
        assert!(trend.values.iter().all(|r| r.is_finite()));
        let flat = cycle_rms(&[0.0; 500], rate, f);
        assert!(flat.values.iter().all(|&r| r == 0.0));
        assert!(cycle_rms(&[1.0; 5], rate, f).values.is_empty());
    }
}
