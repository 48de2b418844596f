//! Level of detail: a min/max pyramid per channel, and a query that returns, for any
//! sample range split into equal buckets (pixel columns), the exact minimum and maximum of
//! each bucket and which of the two comes first.
//!
//! Level 0 holds the min and max of every `BASE` samples, each further level those of
//! `FANOUT` blocks of the level below, plus one bit per block saying whether the minimum
//! comes before the maximum. With `BASE = 32` and `FANOUT = 8` the pyramid costs about
//! 7% of the samples' memory. A bucket is answered like a segment-tree query: whole blocks
//! from the coarsest level that fits, finer levels for the remainders, raw samples only for
//! the last partial blocks at the edges. Missing samples (NaN) are skipped.

use std::ops::Range;

use rayon::prelude::*;

/// Samples per level-0 block.
pub const BASE: usize = 32;
/// Blocks of one level per block of the next.
pub const FANOUT: usize = 8;
/// Queries of at least this many buckets run in parallel.
const PARALLEL_BUCKETS: usize = 512;
/// Bucket borders whose memory is touched together before their buckets are answered.
const WARM_CHUNK: usize = 64;

/// The minimum and maximum of a range, and their order in time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinMax {
    pub min: f32,
    pub max: f32,
    /// True when the (first) minimum comes at or before the (first) maximum.
    pub min_first: bool,
}

impl MinMax {
    /// The two extremes in time order.
    pub fn in_order(self) -> [f32; 2] {
        if self.min_first { [self.min, self.max] } else { [self.max, self.min] }
    }
}

/// Running extremes with position keys: `2 * start` of the piece they came from, plus one
/// for the later of the two extremes of the same block, so that keys order extremes in time.
#[derive(Clone, Copy)]
struct Acc {
    min: f32,
    max: f32,
    min_key: u64,
    max_key: u64,
}

impl Acc {
    const EMPTY: Self = Self { min: f32::INFINITY, max: f32::NEG_INFINITY, min_key: u64::MAX, max_key: u64::MAX };

    #[inline]
    fn add_min(&mut self, v: f32, key: u64) {
        if v < self.min || (v == self.min && key < self.min_key) {
            self.min = v;
            self.min_key = key;
        }
    }

    #[inline]
    fn add_max(&mut self, v: f32, key: u64) {
        if v > self.max || (v == self.max && key < self.max_key) {
            self.max = v;
            self.max_key = key;
        }
    }

    fn finish(self) -> Option<MinMax> {
        (self.min <= self.max).then_some(MinMax {
            min: self.min,
            max: self.max,
            min_first: self.min_key <= self.max_key,
        })
    }
}

/// One level: per block min, max and a bit "min comes first".
#[derive(Debug, Clone, Default)]
struct Level {
    min: Vec<f32>,
    max: Vec<f32>,
    min_first: Vec<u64>,
}

impl Level {
    fn with_len(n: usize) -> Self {
        Self { min: vec![f32::INFINITY; n], max: vec![f32::NEG_INFINITY; n], min_first: vec![0; n.div_ceil(64)] }
    }

    #[inline]
    fn is_min_first(&self, i: usize) -> bool {
        self.min_first[i / 64] >> (i % 64) & 1 == 1
    }

    fn heap_bytes(&self) -> usize {
        self.min.capacity() * 4 + self.max.capacity() * 4 + self.min_first.capacity() * 8
    }
}

/// The min/max pyramid of one channel's samples.
#[derive(Debug, Clone, Default)]
pub struct Pyramid {
    len: usize,
    levels: Vec<Level>,
}

/// Min and max of `values`, NaN skipped (a comparison with NaN is false); infinities
/// (min > max) when nothing is valid. Written lane-wise so that it vectorises.
#[inline]
fn slice_min_max(values: &[f32]) -> (f32, f32) {
    const LANES: usize = 8;
    let mut lo = [f32::INFINITY; LANES];
    let mut hi = [f32::NEG_INFINITY; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for l in 0..LANES {
            lo[l] = if chunk[l] < lo[l] { chunk[l] } else { lo[l] };
            hi[l] = if chunk[l] > hi[l] { chunk[l] } else { hi[l] };
        }
    }
    let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
    for l in 0..LANES {
        min = if lo[l] < min { lo[l] } else { min };
        max = if hi[l] > max { hi[l] } else { max };
    }
    for &v in rest {
        min = if v < min { v } else { min };
        max = if v > max { v } else { max };
    }
    (min, max)
}

/// Min, max, and their first positions in `values`; `None` when every sample is missing.
#[inline]
fn slice_extremes(values: &[f32]) -> Option<(f32, usize, f32, usize)> {
    let (min, max) = slice_min_max(values);
    if min > max {
        return None;
    }
    let first_min = values.iter().position(|&v| v == min).unwrap_or(0);
    let first_max = values.iter().position(|&v| v == max).unwrap_or(0);
    Some((min, first_min, max, first_max))
}

/// Min, max and order of one raw block; NaN samples are skipped.
#[inline]
fn raw_block(values: &[f32]) -> (f32, f32, bool) {
    match slice_extremes(values) {
        Some((min, first_min, max, first_max)) => (min, max, first_min <= first_max),
        None => (f32::INFINITY, f32::NEG_INFINITY, true),
    }
}

impl Pyramid {
    /// Builds the pyramid of `values` (in parallel for large arrays).
    pub fn build(values: &[f32]) -> Self {
        let n0 = values.len().div_ceil(BASE);
        let mut level0 = Level::with_len(n0);
        // 64 blocks per task so that each task owns whole words of the order bits.
        const TASK: usize = 64 * 256;
        level0
            .min
            .par_chunks_mut(TASK)
            .zip(level0.max.par_chunks_mut(TASK))
            .zip(level0.min_first.par_chunks_mut(TASK / 64))
            .enumerate()
            .for_each(|(task, ((mins, maxs), bits))| {
                let first_block = task * TASK;
                for (j, (mn, mx)) in mins.iter_mut().zip(maxs.iter_mut()).enumerate() {
                    let b = first_block + j;
                    let lo = b * BASE;
                    let hi = (lo + BASE).min(values.len());
                    let (min, max, min_first) = raw_block(&values[lo..hi]);
                    *mn = min;
                    *mx = max;
                    if min_first {
                        bits[j / 64] |= 1 << (j % 64);
                    }
                }
            });
        let mut levels = vec![level0];
        while levels.last().is_some_and(|l| l.min.len() > 1) {
            let below = levels.last().expect("levels is not empty");
            levels.push(Self::coarsen(below));
        }
        Self { len: values.len(), levels }
    }

    fn coarsen(below: &Level) -> Level {
        let n = below.min.len().div_ceil(FANOUT);
        let mut level = Level::with_len(n);
        for i in 0..n {
            let mut acc = Acc::EMPTY;
            for j in i * FANOUT..((i + 1) * FANOUT).min(below.min.len()) {
                let first = below.is_min_first(j);
                acc.add_min(below.min[j], 2 * j as u64 + u64::from(!first));
                acc.add_max(below.max[j], 2 * j as u64 + u64::from(first));
            }
            level.min[i] = acc.min;
            level.max[i] = acc.max;
            if acc.min_key <= acc.max_key {
                level.min_first[i / 64] |= 1 << (i % 64);
            }
        }
        level
    }

    /// Number of samples the pyramid was built over.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when built over no samples.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of memory held.
    pub fn heap_bytes(&self) -> usize {
        self.levels.iter().map(Level::heap_bytes).sum()
    }

    /// The extremes of `values[range]`; `values` must be the array the pyramid was built
    /// over. `None` when the range is empty or every sample in it is missing.
    pub fn range_min_max(&self, values: &[f32], range: Range<usize>) -> Option<MinMax> {
        let mut acc = Acc::EMPTY;
        self.accumulate(values, range.start, range.end.min(self.len).min(values.len()), &mut acc);
        acc.finish()
    }

    fn accumulate(&self, values: &[f32], a: usize, b: usize, acc: &mut Acc) {
        if a >= b {
            return;
        }
        let a0 = a.div_ceil(BASE);
        let b0 = b / BASE;
        if a0 >= b0 || self.levels.is_empty() {
            raw_into(values, a, b, acc);
            return;
        }
        raw_into(values, a, a0 * BASE, acc);
        raw_into(values, b0 * BASE, b, acc);
        self.blocks_into(0, a0, b0, acc);
    }

    /// Adds blocks `i..j` of `level`, using coarser levels for the aligned middle.
    fn blocks_into(&self, level: usize, i: usize, j: usize, acc: &mut Acc) {
        let block = BASE * FANOUT.pow(level as u32);
        let i1 = i.div_ceil(FANOUT);
        let j1 = j / FANOUT;
        if level + 1 < self.levels.len() && i1 < j1 {
            self.level_into(level, i, i1 * FANOUT, block, acc);
            self.level_into(level, j1 * FANOUT, j, block, acc);
            self.blocks_into(level + 1, i1, j1, acc);
        } else {
            self.level_into(level, i, j, block, acc);
        }
    }

    #[inline]
    fn level_into(&self, level: usize, i: usize, j: usize, block: usize, acc: &mut Acc) {
        let l = &self.levels[level];
        for k in i..j {
            let first = l.is_min_first(k);
            let key = 2 * (k * block) as u64;
            acc.add_min(l.min[k], key + u64::from(!first));
            acc.add_max(l.max[k], key + u64::from(first));
        }
    }

    /// Reads one value from every cache line a bucket border at sample `at` will need: the
    /// raw block around it and the partial runs of blocks around it at each level.
    fn touch(&self, values: &[f32], at: usize) -> f32 {
        let mut sum = 0f32;
        let last = values.len().saturating_sub(1);
        for i in [at.saturating_sub(BASE), at, at + BASE] {
            sum += values[i.min(last)];
        }
        let mut block = BASE;
        for level in &self.levels {
            let i = at / block;
            let n = level.min.len();
            if n == 0 {
                break;
            }
            for j in [i.saturating_sub(FANOUT), i, i + FANOUT] {
                let j = j.min(n - 1);
                sum += level.min[j] + level.max[j];
            }
            block *= FANOUT;
        }
        sum
    }

    /// The extremes of each of `buckets` equal parts of `values[range]` (pixel columns).
    pub fn query(&self, values: &[f32], range: Range<usize>, buckets: usize) -> Vec<Option<MinMax>> {
        let end = range.end.min(self.len).min(values.len());
        let start = range.start.min(end);
        let len = end - start;
        let buckets = buckets.max(1);
        let boundary = |k: usize| start + (k as u128 * len as u128 / buckets as u128) as usize;
        let bucket = |k: usize| self.range_min_max(values, boundary(k)..boundary(k + 1));
        if len / buckets < BASE * FANOUT {
            // Narrow buckets read neighbouring memory: one pass is fastest.
            return (0..buckets).map(bucket).collect();
        }
        // Wide buckets read memory far apart, a few cache misses per bucket border. Touch
        // everything a chunk of borders needs in one tight loop first, so that the misses
        // overlap instead of coming one after another; then answer from the cache.
        let chunks: Vec<Range<usize>> =
            (0..buckets).step_by(WARM_CHUNK).map(|a| a..(a + WARM_CHUNK).min(buckets)).collect();
        let answer = |chunk: &Range<usize>| {
            let mut touched = 0f32;
            for k in chunk.start..=chunk.end {
                touched += self.touch(values, boundary(k));
            }
            std::hint::black_box(touched);
            chunk.clone().map(bucket).collect::<Vec<_>>()
        };
        if buckets >= PARALLEL_BUCKETS {
            chunks.par_iter().flat_map_iter(answer).collect()
        } else {
            chunks.iter().flat_map(answer).collect()
        }
    }
}

#[inline]
fn raw_into(values: &[f32], a: usize, b: usize, acc: &mut Acc) {
    if let Some((min, first_min, max, first_max)) = slice_extremes(&values[a..b]) {
        acc.add_min(min, 2 * (a + first_min) as u64);
        acc.add_max(max, 2 * (a + first_max) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The brute-force answer the pyramid must equal.
    fn brute(values: &[f32], range: Range<usize>) -> Option<MinMax> {
        let mut acc = Acc::EMPTY;
        raw_into(values, range.start, range.end, &mut acc);
        acc.finish()
    }

    fn signal(n: usize) -> Vec<f32> {
        let mut s = 12345u64;
        (0..n)
            .map(|i| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let noise = (s >> 41) as f32 / (1u64 << 23) as f32;
                if i % 997 == 13 { f32::NAN } else { (i as f32 * 0.01).sin() * 100.0 + noise }
            })
            .collect()
    }

    #[test]
    fn matches_brute_force_at_many_zooms_and_edges() {
        let values = signal(300_007);
        let p = Pyramid::build(&values);
        let n = values.len();
        let mut ranges = vec![0..n, 0..1, n - 1..n, 0..BASE, BASE - 1..BASE + 1, 31..32 * 8 * 8 + 1, 5..n - 5];
        for &w in &[3usize, 64, 255, 4096, 50_000, 299_000] {
            for &s in &[0usize, 1, 31, 32, 33, 1000, n - w] {
                ranges.push(s..(s + w).min(n));
            }
        }
        for r in ranges {
            assert_eq!(p.range_min_max(&values, r.clone()), brute(&values, r.clone()), "{r:?}");
        }
        for buckets in [1, 7, 100, 2000, 40_000] {
            for r in [0..n, 12_345..200_001, 0..5000] {
                let got = p.query(&values, r.clone(), buckets);
                let len = r.len();
                for (k, g) in got.iter().enumerate() {
                    let lo = r.start + k * len / buckets;
                    let hi = r.start + (k + 1) * len / buckets;
                    assert_eq!(*g, brute(&values, lo..hi), "buckets {buckets} k {k}");
                }
            }
        }
    }

    #[test]
    fn order_of_extremes_follows_time() {
        // A falling ramp: the max comes first in every range.
        let values: Vec<f32> = (0..10_000).map(|i| -(i as f32)).collect();
        let p = Pyramid::build(&values);
        for r in [0..10_000, 17..9000, 100..101] {
            let m = p.range_min_max(&values, r).unwrap();
            assert!(!m.min_first || m.min == m.max);
        }
        let rising: Vec<f32> = (0..10_000).map(|i| i as f32).collect();
        let p = Pyramid::build(&rising);
        assert!(p.range_min_max(&rising, 3..9999).unwrap().min_first);
    }

    #[test]
    fn missing_and_tiny_inputs() {
        let nan = vec![f32::NAN; 1000];
        let p = Pyramid::build(&nan);
        assert_eq!(p.range_min_max(&nan, 0..1000), None);
        let empty: Vec<f32> = Vec::new();
        let p = Pyramid::build(&empty);
        assert_eq!(p.query(&empty, 0..0, 4), vec![None; 4]);
        let one = [5.0f32];
        let p = Pyramid::build(&one);
        assert_eq!(p.range_min_max(&one, 0..1), Some(MinMax { min: 5.0, max: 5.0, min_first: true }));
        // A range past the end is clamped.
        assert_eq!(p.range_min_max(&one, 0..100).map(|m| m.max), Some(5.0));
    }

    #[test]
    fn memory_is_under_ten_percent() {
        let values = signal(1 << 20);
        let p = Pyramid::build(&values);
        let ratio = p.heap_bytes() as f64 / (values.len() * 4) as f64;
        assert!(ratio < 0.10, "{ratio}");
    }
}
