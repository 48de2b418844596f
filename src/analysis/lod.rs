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

/// Level number of raw samples in a [`Piece`].
const RAW: usize = usize::MAX;

/// Part of a queried range: samples `from..to` (`level == RAW`) or blocks `from..to` of a
/// level.
#[derive(Clone, Copy, Default)]
struct Piece {
    level: usize,
    from: usize,
    to: usize,
}

/// The pieces of one range: two per level at most, on the stack.
struct Pieces {
    items: [Piece; 2 * MAX_LEVELS + 2],
    len: usize,
}

impl Default for Pieces {
    fn default() -> Self {
        Self { items: [Piece::default(); 2 * MAX_LEVELS + 2], len: 0 }
    }
}

/// More levels than any array that fits in memory needs (32 * 8^20 samples).
const MAX_LEVELS: usize = 20;

impl Pieces {
    fn push(&mut self, piece: Piece) {
        if self.len < self.items.len() {
            self.items[self.len] = piece;
            self.len += 1;
        }
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
        // The range as pieces: raw samples at both ends, runs of blocks at each level, and
        // the middle at the coarsest level that fits. The middle goes first; a piece at the
        // edge is read only if the block around it could still beat what is known, which
        // on wide ranges spares most reads far apart in memory.
        let mut pieces = Pieces::default();
        pieces.push(Piece { level: RAW, from: a, to: a0 * BASE });
        pieces.push(Piece { level: RAW, from: b0 * BASE, to: b });
        let (mut level, mut i, mut j) = (0, a0, b0);
        loop {
            let i1 = i.div_ceil(FANOUT);
            let j1 = j / FANOUT;
            if level + 1 < self.levels.len() && i1 < j1 {
                pieces.push(Piece { level, from: i, to: i1 * FANOUT });
                pieces.push(Piece { level, from: j1 * FANOUT, to: j });
                (level, i, j) = (level + 1, i1, j1);
            } else {
                self.level_into(level, i, j, BASE * FANOUT.pow(level as u32), acc);
                break;
            }
        }
        // Coarse to fine: coarse pieces tighten the bounds the fine ones are checked against.
        for piece in pieces.items[..pieces.len].iter().rev() {
            if piece.from >= piece.to || self.cannot_improve(piece, acc) {
                continue;
            }
            if piece.level == RAW {
                raw_into(values, piece.from, piece.to, acc);
            } else {
                self.level_into(piece.level, piece.from, piece.to, BASE * FANOUT.pow(piece.level as u32), acc);
            }
        }
    }

    /// True when the blocks enclosing `piece` (one and two levels up) hold nothing below the
    /// minimum or above the maximum found so far, strictly (an equal value earlier in time
    /// would move the first occurrence, so it is read).
    fn cannot_improve(&self, piece: &Piece, acc: &Acc) -> bool {
        let first_up = if piece.level == RAW { 0 } else { piece.level + 1 };
        let span = if piece.level == RAW { 1 } else { BASE * FANOUT.pow(piece.level as u32) };
        let sample = piece.from * span;
        for up in [first_up + 1, first_up] {
            let Some(level) = self.levels.get(up) else { continue };
            let k = sample / (BASE * FANOUT.pow(up as u32));
            if k < level.min.len() && level.min[k] > acc.min && level.max[k] < acc.max {
                return true;
            }
        }
        false
    }

    #[inline]
    fn level_into(&self, level: usize, i: usize, j: usize, block: usize, acc: &mut Acc) {
        if i >= j {
            return;
        }
        let l = &self.levels[level];
        // The run's extremes and their first blocks in one pass; keys only for those.
        let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
        let (mut at_min, mut at_max) = (usize::MAX, usize::MAX);
        for (k, (&lo, &hi)) in l.min[i..j].iter().zip(&l.max[i..j]).enumerate() {
            if lo < min {
                min = lo;
                at_min = k;
            }
            if hi > max {
                max = hi;
                at_max = k;
            }
        }
        if at_min != usize::MAX && min <= acc.min {
            let k = i + at_min;
            acc.add_min(min, 2 * (k * block) as u64 + u64::from(!l.is_min_first(k)));
        }
        if at_max != usize::MAX && max >= acc.max {
            let k = i + at_max;
            acc.add_max(max, 2 * (k * block) as u64 + u64::from(l.is_min_first(k)));
        }
    }

    /// The extremes of each of `buckets` equal parts of `values[range]` (pixel columns).
    pub fn query(&self, values: &[f32], range: Range<usize>, buckets: usize) -> Vec<Option<MinMax>> {
        let end = range.end.min(self.len).min(values.len());
        let start = range.start.min(end);
        let len = end - start;
        let buckets = buckets.max(1);
        let boundary = |k: usize| start + (k as u128 * len as u128 / buckets as u128) as usize;
        let bucket = |k: usize| self.range_min_max(values, boundary(k)..boundary(k + 1));
        // Wide buckets read memory far apart: worth spreading over the cores.
        if buckets >= PARALLEL_BUCKETS && len / buckets >= BASE * FANOUT {
            (0..buckets).into_par_iter().with_min_len(PARALLEL_BUCKETS / 4).map(bucket).collect()
        } else {
            (0..buckets).map(bucket).collect()
        }
    }
}

#[inline]
fn raw_into(values: &[f32], a: usize, b: usize, acc: &mut Acc) {
    // One pass; a strict comparison keeps the first occurrence, and skips NaN.
    let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
    let (mut at_min, mut at_max) = (usize::MAX, usize::MAX);
    for (i, &v) in values[a..b].iter().enumerate() {
        if v < min {
            min = v;
            at_min = i;
        }
        if v > max {
            max = v;
            at_max = i;
        }
    }
    if at_min != usize::MAX {
        acc.add_min(min, 2 * (a + at_min) as u64);
    }
    if at_max != usize::MAX {
        acc.add_max(max, 2 * (a + at_max) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The brute-force answer the pyramid must equal, from the independent sample scan in
    /// `decimate`.
    fn brute(values: &[f32], range: Range<usize>) -> Option<MinMax> {
        let e = crate::analysis::decimate::bucket_extremes(values, range)?;
        let (first, second) = (e.first.1, e.second.1);
        // The first extreme is the minimum unless it is strictly above the other.
        let min_first = first <= second;
        Some(MinMax { min: first.min(second), max: first.max(second), min_first })
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
    fn ties_keep_the_first_occurrence() {
        // Few distinct values: extremes tie everywhere, so skipping a piece that holds an
        // equal value earlier in time would show up as a wrong order.
        let mut s = 99u64;
        let values: Vec<f32> = (0..200_003)
            .map(|i| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let level = ((s >> 60) % 3) as f32 - 1.0;
                if i % 5000 < 2500 { level } else { 0.5 * level }
            })
            .collect();
        let p = Pyramid::build(&values);
        let n = values.len();
        for buckets in [1, 3, 17, 640, 2000] {
            for r in [0..n, 777..n - 3, 40_000..41_001, 31..n / 2] {
                let got = p.query(&values, r.clone(), buckets);
                for (k, g) in got.iter().enumerate() {
                    let lo = r.start + k * r.len() / buckets;
                    let hi = r.start + (k + 1) * r.len() / buckets;
                    assert_eq!(*g, brute(&values, lo..hi), "buckets {buckets} k {k} {r:?}");
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
