//! Whole-array statistics at memory speed: min, max, mean and RMS, skipping missing
//! (NaN) samples.

use rayon::prelude::*;

/// Summary of an analog array; `count` is the number of samples that are not missing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub count: usize,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub rms: f64,
}

#[derive(Clone, Copy)]
struct Partial {
    count: usize,
    min: f32,
    max: f32,
    sum: f64,
    sum_sq: f64,
}

impl Partial {
    const EMPTY: Self = Self { count: 0, min: f32::INFINITY, max: f32::NEG_INFINITY, sum: 0.0, sum_sq: 0.0 };

    fn merge(self, o: Self) -> Self {
        Self {
            count: self.count + o.count,
            min: self.min.min(o.min),
            max: self.max.max(o.max),
            sum: self.sum + o.sum,
            sum_sq: self.sum_sq + o.sum_sq,
        }
    }

    /// Folds a kernel's lanes, in lane order, then the samples that did not fill a row.
    fn of_lanes(
        count: usize,
        min: &[f32; LANES],
        max: &[f32; LANES],
        sum: &[f64; LANES],
        sum_sq: &[f64; LANES],
        rest: &[f32],
    ) -> Self {
        let mut p = Partial { count, ..Partial::EMPTY };
        for l in 0..LANES {
            p.min = p.min.min(min[l]);
            p.max = p.max.max(max[l]);
            p.sum += sum[l];
            p.sum_sq += sum_sq[l];
        }
        for &v in rest {
            p.min = p.min.min(v);
            p.max = p.max.max(v);
            p.sum += v as f64;
            p.sum_sq += v as f64 * v as f64;
        }
        p
    }
}

/// Accumulators per block: sample `i` goes to lane `i % LANES`. The portable kernel and
/// [`simd::sum_lanes`](crate::analysis::simd::sum_lanes) keep exactly this layout, and
/// [`Partial::of_lanes`] adds the lanes of either in the same order, so they give the same
/// bits.
pub(crate) const LANES: usize = 16;
const BLOCK: usize = 1 << 16;

/// Sums a block assuming no NaN. Returns NaN sums if a NaN was present (the caller then
/// takes [`block_skipping_nan`]); min and max are then meaningless and are not used.
fn block_fast(values: &[f32]) -> Partial {
    match crate::analysis::simd::sum_lanes(values) {
        Some(l) => Partial::of_lanes(values.len(), &l.min, &l.max, &l.sum, &l.sum_sq, l.rest),
        None => block_fast_portable(values),
    }
}

/// The kernel in plain Rust, which the compiler vectorises for the baseline target (SSE2 on
/// x86-64; about 70% of one core's read bandwidth): the lanes are independent, so min and
/// max become packed compares and the sums packed adds. `if v < m { v } else { m }` rather
/// than `f32::min`, whose NaN rule would cost a compare and a blend per step; NaN is dealt
/// with by the caller.
fn block_fast_portable(values: &[f32]) -> Partial {
    let mut min = [f32::INFINITY; LANES];
    let mut max = [f32::NEG_INFINITY; LANES];
    let mut sum = [0f64; LANES];
    let mut sum_sq = [0f64; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for l in 0..LANES {
            let v = chunk[l];
            min[l] = if v < min[l] { v } else { min[l] };
            max[l] = if v > max[l] { v } else { max[l] };
        }
        for l in 0..LANES {
            let d = chunk[l] as f64;
            sum[l] += d;
            sum_sq[l] += d * d;
        }
    }
    Partial::of_lanes(values.len(), &min, &max, &sum, &sum_sq, rest)
}

/// The slow path for a block that holds missing samples.
fn block_skipping_nan(values: &[f32]) -> Partial {
    values.iter().filter(|v| !v.is_nan()).fold(Partial::EMPTY, |p, &v| Partial {
        count: p.count + 1,
        min: p.min.min(v),
        max: p.max.max(v),
        sum: p.sum + v as f64,
        sum_sq: p.sum_sq + v as f64 * v as f64,
    })
}

fn block(values: &[f32]) -> Partial {
    let p = block_fast(values);
    if p.sum.is_nan() { block_skipping_nan(values) } else { p }
}

/// Statistics of `values`, ignoring NaN; `None` when every sample is missing.
///
/// The sums are those of blocks of [`BLOCK`] samples added in order, whichever thread
/// summed each block, so the figures are the same on every run and equal those of a
/// [`Running`] fed the same samples in any slices.
pub fn stats(values: &[f32]) -> Option<Stats> {
    let p = if values.len() > 4 * BLOCK {
        let blocks: Vec<Partial> = values.par_chunks(BLOCK).map(block).collect();
        blocks.into_iter().fold(Partial::EMPTY, Partial::merge)
    } else {
        values.chunks(BLOCK).map(block).fold(Partial::EMPTY, Partial::merge)
    };
    p.finish()
}

/// Statistics over samples that arrive in slices (a file read batch by batch), without
/// holding them: the same figures as [`stats`] over all of them at once.
#[derive(Clone)]
pub struct Running {
    total: Partial,
    /// The samples of the block being filled (fewer than [`BLOCK`]).
    pending: Vec<f32>,
}

impl Default for Running {
    fn default() -> Self {
        Self { total: Partial::EMPTY, pending: Vec::new() }
    }
}

impl Running {
    /// Adds the next samples.
    pub fn push(&mut self, mut values: &[f32]) {
        if !self.pending.is_empty() {
            let take = (BLOCK - self.pending.len()).min(values.len());
            self.pending.extend_from_slice(&values[..take]);
            values = &values[take..];
            if self.pending.len() < BLOCK {
                return;
            }
            self.total = self.total.merge(block(&self.pending));
            self.pending.clear();
        }
        let whole = values.len() / BLOCK * BLOCK;
        for chunk in values[..whole].chunks_exact(BLOCK) {
            self.total = self.total.merge(block(chunk));
        }
        if whole < values.len() {
            self.pending.reserve_exact(BLOCK);
            self.pending.extend_from_slice(&values[whole..]);
        }
    }

    /// The statistics of every sample pushed; `None` when every one was missing.
    pub fn finish(mut self) -> Option<Stats> {
        if !self.pending.is_empty() {
            self.total = self.total.merge(block(&self.pending));
            self.pending = Vec::new();
        }
        self.total.finish()
    }
}

impl Partial {
    fn finish(self) -> Option<Stats> {
        let p = self;
        (p.count > 0).then(|| Stats {
            count: p.count,
            min: p.min as f64,
            max: p.max as f64,
            mean: p.sum / p.count as f64,
            rms: (p.sum_sq / p.count as f64).sqrt(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_rms_is_peak_over_root_two() {
        let n = 1_000_000;
        let v: Vec<f32> =
            (0..n).map(|i| (170.0 * (2.0 * std::f64::consts::PI * 60.0 * i as f64 / 6000.0).sin()) as f32).collect();
        let s = stats(&v).unwrap();
        assert!((s.rms - 170.0 / 2f64.sqrt()).abs() < 1e-3, "{}", s.rms);
        assert!(s.mean.abs() < 1e-3);
        assert!((s.max - 170.0).abs() < 1e-3 && (s.min + 170.0).abs() < 1e-3);
        assert_eq!(s.count, n);
    }

    #[test]
    fn running_statistics_equal_those_of_the_whole_array_whatever_the_slices() {
        let n = 5 * BLOCK + 12_345;
        let mut v: Vec<f32> = (0..n).map(|i| ((i as f32) * 0.37).sin() * 300.0 + 0.1).collect();
        v[BLOCK + 7] = f32::NAN;
        let whole = stats(&v).unwrap();
        assert_eq!(stats(&v), Some(whole), "the same on every run");
        for slice in [1usize, 1000, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 5, n] {
            let mut running = Running::default();
            v.chunks(slice).for_each(|c| running.push(c));
            assert_eq!(running.finish(), Some(whole), "slices of {slice}");
        }
        assert_eq!(Running::default().finish(), None);
    }

    #[test]
    fn every_kernel_gives_the_same_bits() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut v: Vec<f32> = (0..3 * LANES * 1000 + 13)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / 3.0e3 - 2.5e3
            })
            .collect();
        v[17] = -0.0;
        v[18] = 0.0;
        v[40] = f32::INFINITY;
        for len in [0, 1, LANES - 1, LANES, LANES + 1, 1000, v.len()] {
            let portable = block_fast_portable(&v[..len]);
            let chosen = block_fast(&v[..len]);
            assert_eq!(
                (chosen.count, chosen.min.to_bits(), chosen.max.to_bits()),
                (portable.count, portable.min.to_bits(), portable.max.to_bits()),
                "{len} samples"
            );
            assert_eq!(
                (chosen.sum.to_bits(), chosen.sum_sq.to_bits()),
                (portable.sum.to_bits(), portable.sum_sq.to_bits()),
                "{len} samples"
            );
        }
    }

    #[test]
    fn nan_is_skipped_and_all_nan_is_none() {
        let mut v = vec![1.0f32; 300_000];
        v[5] = f32::NAN;
        v[200_000] = -3.0;
        let s = stats(&v).unwrap();
        assert_eq!(s.count, 299_999);
        assert_eq!(s.min, -3.0);
        assert!((s.mean - (299_998.0 - 3.0) / 299_999.0).abs() < 1e-12);
        assert!(stats(&[f32::NAN, f32::NAN]).is_none());
        assert!(stats(&[]).is_none());
    }
}
