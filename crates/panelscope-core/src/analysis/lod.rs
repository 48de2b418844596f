//! Level of detail: a min/max pyramid per channel, and a query that returns, for any
//! sample range split into equal buckets (pixel columns), the exact minimum and maximum of
//! each bucket and which of the two comes first.
//!
//! Level 0 holds the min and max of every `BASE` samples, each further level those of
//! `FANOUT` blocks of the level below, plus one bit per block saying whether the minimum
//! comes before the maximum. With `BASE = 32` and `FANOUT = 8` the pyramid costs about
//! 7% of the samples' memory. The min and max of a block sit side by side, so one cache
//! line holds both for eight blocks.
//!
//! A bucket is answered top down. Its middle is a run of whole blocks at the coarsest level
//! that fits; what is left at each end (the fringe) lies inside one block of that level, so
//! a single read tells whether the fringe could hold anything beyond the extremes found so
//! far. Only then is it refined, level by level, down to raw samples. On wide views that
//! reads a few values per bucket from levels small enough to stay in cache. Missing samples
//! (NaN) are skipped.

use std::ops::Range;

use rayon::prelude::*;

/// Per channel: statistics and pyramid (`None` for digital channels).
pub type ChannelIndex = (Vec<Option<crate::analysis::stats::Stats>>, Vec<Option<Pyramid>>);

/// Per channel of `capture`: its statistics and pyramid (analog channels; `None` for
/// digital ones), built in parallel. `None` as soon as `cancelled` says so.
pub fn index_channels(
    capture: &crate::capture::Capture,
    cancelled: &(dyn Fn() -> bool + Sync),
) -> Option<ChannelIndex> {
    use crate::capture::Samples;
    let built: Vec<Option<_>> = capture
        .channels
        .par_iter()
        .map(|c| {
            if cancelled() {
                return None;
            }
            Some(match &c.samples {
                Samples::Analog(v) => (crate::analysis::stats::stats(v), Some(Pyramid::build(v))),
                Samples::Digital(_) => (None, None),
            })
        })
        .collect();
    Some(built.into_iter().collect::<Option<Vec<_>>>()?.into_iter().unzip())
}

/// Samples per level-0 block (a power of two).
pub const BASE: usize = 32;
/// Blocks of one level per block of the next (a power of two).
pub const FANOUT: usize = 8;
const BASE_SHIFT: u32 = BASE.trailing_zeros();
const FANOUT_SHIFT: u32 = FANOUT.trailing_zeros();
/// Queries of at least this many buckets, each spanning whole blocks, run in parallel.
const PARALLEL_BUCKETS: usize = 512;

/// Samples covered by one block of `level`, as a shift.
#[inline]
const fn span_shift(level: usize) -> u32 {
    BASE_SHIFT + FANOUT_SHIFT * level as u32
}

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

    /// False when a block with these extremes, lying before everything seen so far, cannot
    /// change the answer: nothing strictly beyond it (an equal value earlier in time would
    /// move the first occurrence).
    #[inline]
    fn earlier_may_improve(&self, [min, max]: [f32; 2]) -> bool {
        min <= self.min || max >= self.max
    }

    /// False when a block with these extremes, lying after everything seen so far, cannot
    /// change the answer (an equal value later in time does not).
    #[inline]
    fn later_may_improve(&self, [min, max]: [f32; 2]) -> bool {
        min < self.min || max > self.max
    }

    fn finish(self) -> Option<MinMax> {
        (self.min <= self.max).then_some(MinMax {
            min: self.min,
            max: self.max,
            min_first: self.min_key <= self.max_key,
        })
    }
}

/// One level: per block `[min, max]` and a bit "min comes first".
#[derive(Debug, Clone, Default)]
struct Level {
    extremes: Vec<[f32; 2]>,
    min_first: Vec<u64>,
}

impl Level {
    fn with_len(n: usize) -> Self {
        Self { extremes: vec![[f32::INFINITY, f32::NEG_INFINITY]; n], min_first: vec![0; n.div_ceil(64)] }
    }

    fn len(&self) -> usize {
        self.extremes.len()
    }

    #[inline]
    fn is_min_first(&self, i: usize) -> bool {
        self.min_first[i / 64] >> (i % 64) & 1 == 1
    }

    fn heap_bytes(&self) -> usize {
        self.extremes.capacity() * 8 + self.min_first.capacity() * 8
    }
}

/// The min/max pyramid of one channel's samples.
#[derive(Debug, Clone, Default)]
pub struct Pyramid {
    len: usize,
    levels: Vec<Level>,
}

/// Min and max of `values`, NaN skipped; infinities (min > max) when nothing is valid. Of
/// -0 and +0 either may be kept. Written out for AVX2 where the CPU has it
/// ([`simd::min_max`](crate::analysis::simd::min_max)).
#[inline]
pub(crate) fn slice_min_max(values: &[f32]) -> (f32, f32) {
    crate::analysis::simd::min_max(values).unwrap_or_else(|| slice_min_max_portable(values))
}

/// [`slice_min_max`] lane-wise with `f32::min`, which ignores a NaN without a branch and
/// which the compiler turns into packed minimums (a compare-and-select is three times
/// slower).
fn slice_min_max_portable(values: &[f32]) -> (f32, f32) {
    const LANES: usize = 16;
    let mut lo = [f32::INFINITY; LANES];
    let mut hi = [f32::NEG_INFINITY; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for l in 0..LANES {
            lo[l] = lo[l].min(chunk[l]);
            hi[l] = hi[l].max(chunk[l]);
        }
    }
    fold_min_max(&lo, &hi, rest)
}

/// The min of `lo` and `rest` and the max of `hi` and `rest`, NaN skipped: a kernel's lanes
/// and the samples after its last whole row.
pub(crate) fn fold_min_max(lo: &[f32], hi: &[f32], rest: &[f32]) -> (f32, f32) {
    let min = lo.iter().chain(rest).fold(f32::INFINITY, |m, &v| m.min(v));
    let max = hi.iter().chain(rest).fold(f32::NEG_INFINITY, |m, &v| m.max(v));
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

/// [`raw_block`] of each block of `values` in order, as `put(block, min, max, min_first)`:
/// the whole blocks in AVX2 where the CPU has it, the rest here.
fn raw_blocks(values: &[f32], mut put: impl FnMut(usize, f32, f32, bool)) {
    const _: () = assert!(BASE == 32, "simd::extremes_of_32s takes blocks of 32");
    let whole = values.len() / BASE;
    let done = if crate::analysis::simd::extremes_of_32s(&values[..whole * BASE], &mut put) { whole } else { 0 };
    for (j, block) in values.chunks(BASE).enumerate().skip(done) {
        let (min, max, min_first) = raw_block(block);
        put(j, min, max, min_first);
    }
}

impl Pyramid {
    /// Builds the pyramid of `values` (in parallel for large arrays).
    pub fn build(values: &[f32]) -> Self {
        let n0 = values.len().div_ceil(BASE);
        let mut level0 = Level::with_len(n0);
        // 64 blocks per task so that each task owns whole words of the order bits.
        const TASK: usize = 64 * 256;
        level0.extremes.par_chunks_mut(TASK).zip(level0.min_first.par_chunks_mut(TASK / 64)).enumerate().for_each(
            |(task, (extremes, bits))| {
                let lo = task * TASK * BASE;
                let hi = (lo + extremes.len() * BASE).min(values.len());
                raw_blocks(&values[lo..hi], |j, min, max, min_first| {
                    extremes[j] = [min, max];
                    if min_first {
                        bits[j / 64] |= 1 << (j % 64);
                    }
                });
            },
        );
        let mut levels = vec![level0];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let below = levels.last().expect("levels is not empty");
            levels.push(Self::coarsen(below));
        }
        Self { len: values.len(), levels }
    }

    fn coarsen(below: &Level) -> Level {
        let n = below.len().div_ceil(FANOUT);
        let mut level = Level::with_len(n);
        for i in 0..n {
            let mut acc = Acc::EMPTY;
            for j in i * FANOUT..((i + 1) * FANOUT).min(below.len()) {
                let first = below.is_min_first(j);
                let [min, max] = below.extremes[j];
                acc.add_min(min, 2 * j as u64 + u64::from(!first));
                acc.add_max(max, 2 * j as u64 + u64::from(first));
            }
            level.extremes[i] = [acc.min, acc.max];
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
        // The coarsest level with a whole block inside the range (none at a level means
        // none above it either).
        let mut top = None;
        for level in 0..self.levels.len() {
            let s = span_shift(level);
            let (i, j) = ((a + (1 << s) - 1) >> s, b >> s);
            if i >= j {
                break;
            }
            top = Some((level, i, j));
        }
        let Some((level, i, j)) = top else {
            raw_into(values, a, b, acc);
            return;
        };
        self.level_into(level, i, j, acc);
        self.left_fringe(values, level, i, a, acc);
        self.right_fringe(values, level, j, b, acc);
    }

    /// Adds the samples from `a` up to block `i` of `level`, which all lie in block `i - 1`:
    /// that block is checked first, then refined a level at a time (the part nearest the
    /// middle first) while what is left could still hold a new extreme.
    #[inline]
    fn left_fringe(&self, values: &[f32], mut level: usize, mut i: usize, a: usize, acc: &mut Acc) {
        while a < i << span_shift(level) {
            if !acc.earlier_may_improve(self.levels[level].extremes[i - 1]) {
                return;
            }
            if level == 0 {
                raw_into(values, a, i << BASE_SHIFT, acc);
                return;
            }
            level -= 1;
            let s = span_shift(level);
            let fine = (a + (1 << s) - 1) >> s;
            self.level_into(level, fine, i << FANOUT_SHIFT, acc);
            i = fine;
        }
    }

    /// Adds the samples from block `j` of `level` up to `b`, which all lie in block `j`, the
    /// same way as [`Self::left_fringe`].
    #[inline]
    fn right_fringe(&self, values: &[f32], mut level: usize, mut j: usize, b: usize, acc: &mut Acc) {
        while j << span_shift(level) < b {
            if !acc.later_may_improve(self.levels[level].extremes[j]) {
                return;
            }
            if level == 0 {
                raw_into(values, j << BASE_SHIFT, b, acc);
                return;
            }
            level -= 1;
            let fine = b >> span_shift(level);
            self.level_into(level, j << FANOUT_SHIFT, fine, acc);
            j = fine;
        }
    }

    /// Adds blocks `i..j` of `level`.
    #[inline]
    fn level_into(&self, level: usize, i: usize, j: usize, acc: &mut Acc) {
        if i >= j {
            return;
        }
        let l = &self.levels[level];
        // The run's extremes and their first blocks in one pass; keys only for those.
        let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
        let (mut at_min, mut at_max) = (usize::MAX, usize::MAX);
        for (k, &[lo, hi]) in l.extremes[i..j].iter().enumerate() {
            if lo < min {
                min = lo;
                at_min = k;
            }
            if hi > max {
                max = hi;
                at_max = k;
            }
        }
        let s = span_shift(level);
        if at_min != usize::MAX && min <= acc.min {
            let k = i + at_min;
            acc.add_min(min, 2 * ((k as u64) << s) + u64::from(!l.is_min_first(k)));
        }
        if at_max != usize::MAX && max >= acc.max {
            let k = i + at_max;
            acc.add_max(max, 2 * ((k as u64) << s) + u64::from(l.is_min_first(k)));
        }
    }

    /// The extremes of each of `buckets` equal parts of `values[range]` (pixel columns):
    /// bucket `k` holds samples from `start + k * len / buckets` up to the next one's.
    pub fn query(&self, values: &[f32], range: Range<usize>, buckets: usize) -> Vec<Option<MinMax>> {
        let end = range.end.min(self.len).min(values.len());
        let start = range.start.min(end);
        let buckets = buckets.max(1);
        let grid = Grid { start, len: end - start, buckets };
        let mut out = vec![None; buckets];
        // Wide buckets read memory far apart: worth spreading over the cores.
        if buckets >= PARALLEL_BUCKETS && grid.len / buckets >= BASE * FANOUT {
            const CHUNK: usize = PARALLEL_BUCKETS / 4;
            out.par_chunks_mut(CHUNK).enumerate().for_each(|(c, chunk)| self.fill(values, &grid, c * CHUNK, chunk));
        } else {
            self.fill(values, &grid, 0, &mut out);
        }
        out
    }

    /// The extremes of buckets `buckets` of `1 << shift` samples each on the grid that
    /// starts at sample 0 (bucket `k` holds samples `k << shift` up to the next bucket's,
    /// the last one cut at the end of the samples; buckets past the end are `None`).
    ///
    /// The grid does not move when a view pans, so a caller can keep the buckets it has
    /// (see [`crate::analysis::decimate::AlignedRun`]). A bucket a block wide or wider is a
    /// run of whole blocks of one level: read without touching a sample.
    pub fn aligned(&self, values: &[f32], shift: u32, buckets: Range<usize>) -> Vec<Option<MinMax>> {
        let len = self.len.min(values.len());
        let one = |k: usize| {
            let a = k.checked_shl(shift).unwrap_or(usize::MAX).min(len);
            let b = (k + 1).checked_shl(shift).unwrap_or(usize::MAX).min(len);
            let mut acc = Acc::EMPTY;
            self.accumulate(values, a, b, &mut acc);
            acc.finish()
        };
        // Buckets of raw samples are quick; wide ones read levels far apart.
        if buckets.len() >= PARALLEL_BUCKETS && shift >= BASE_SHIFT {
            buckets.into_par_iter().with_min_len(PARALLEL_BUCKETS / 4).map(one).collect()
        } else {
            buckets.map(one).collect()
        }
    }

    /// Answers buckets `first..first + out.len()` of `grid`, walking the boundaries without
    /// a division per bucket.
    fn fill(&self, values: &[f32], grid: &Grid, first: usize, out: &mut [Option<MinMax>]) {
        let step = grid.len / grid.buckets;
        let rem = (grid.len % grid.buckets) as u128;
        let buckets = grid.buckets as u128;
        let ahead = first as u128 * rem;
        let mut at = grid.start + first * step + (ahead / buckets) as usize;
        let mut frac = (ahead % buckets) as usize;
        let (rem, buckets) = (rem as usize, grid.buckets);
        for slot in out {
            let mut next = at + step;
            frac += rem;
            if frac >= buckets {
                frac -= buckets;
                next += 1;
            }
            let mut acc = Acc::EMPTY;
            self.accumulate(values, at, next, &mut acc);
            *slot = acc.finish();
            at = next;
        }
    }
}

/// Equal buckets over `start..start + len`.
struct Grid {
    start: usize,
    len: usize,
    buckets: usize,
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

    #[test]
    fn every_block_kernel_gives_the_same_answer() {
        let mut v = signal(BASE * 300 + 7);
        v[..BASE].fill(f32::NAN);
        v[BASE..2 * BASE].fill(4.0);
        v[2 * BASE + 5] = -0.0;
        v[2 * BASE + 6] = 0.0;
        v[3 * BASE + 31] = f32::NEG_INFINITY;
        let mut blocks = Vec::new();
        raw_blocks(&v, |j, min, max, min_first| blocks.push((j, min, max, min_first)));
        let expected: Vec<_> = v
            .chunks(BASE)
            .enumerate()
            .map(|(j, b)| {
                let (min, max, min_first) = raw_block(b);
                (j, min, max, min_first)
            })
            .collect();
        assert_eq!(blocks, expected);
        assert_eq!(blocks[0], (0, f32::INFINITY, f32::NEG_INFINITY, true));
        assert_eq!(blocks[1], (1, 4.0, 4.0, true));
    }

    #[test]
    fn every_min_max_kernel_gives_the_same_answer() {
        let mut v = signal(10_000);
        v[3] = f32::NAN;
        v[64] = f32::NAN;
        v[9_000] = -1.0e9;
        v[9_001] = f32::INFINITY;
        for len in [0, 1, 31, 32, 33, 100, 1000, 9_000, v.len()] {
            let (a, b) = (slice_min_max(&v[..len]), slice_min_max_portable(&v[..len]));
            assert!(a.0 == b.0 && a.1 == b.1, "{len} samples: {a:?} against {b:?}");
        }
        let nan = [f32::NAN; 40];
        assert_eq!(slice_min_max(&nan), (f32::INFINITY, f32::NEG_INFINITY));
        assert_eq!(slice_min_max(&[]), (f32::INFINITY, f32::NEG_INFINITY));
    }

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
    fn aligned_buckets_match_brute_force_at_every_width() {
        let v = signal(70_001);
        let p = Pyramid::build(&v);
        for shift in [0, 1, 3, 5, 6, 7, 8, 9, 11, 12, 14, 17] {
            let w = 1usize << shift;
            let count = v.len().div_ceil(w);
            let first = count / 3;
            let buckets = first..(count + 2).min(first + 700);
            let got = p.aligned(&v, shift, buckets.clone());
            for (k, m) in buckets.zip(got) {
                let (a, b) = ((k * w).min(v.len()), ((k + 1) * w).min(v.len()));
                assert_eq!(m, brute(&v, a..b), "shift {shift}, bucket {k}");
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
    fn random_ranges_on_awkward_signals() {
        // Quantised noise (ties everywhere), a staircase, runs of NaN and spikes placed on
        // block borders, queried over random ranges and bucket counts.
        let mut s = 7u64;
        let mut next = move || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            s >> 33
        };
        let n = 150_001;
        let values: Vec<f32> = (0..n)
            .map(|i| match i {
                _ if (40_000..43_000).contains(&i) => f32::NAN,
                _ if i % (BASE * FANOUT * FANOUT) == 0 => 9.0,
                _ if i % (BASE * FANOUT) == BASE * FANOUT - 1 => -9.0,
                _ if i < 60_000 => (next() % 5) as f32,
                _ => (i / 777) as f32 % 7.0,
            })
            .collect();
        let p = Pyramid::build(&values);
        for _ in 0..300 {
            let a = next() as usize % n;
            let b = (a + next() as usize % (n - a + 1)).min(n);
            let buckets = 1 + next() as usize % 700;
            let got = p.query(&values, a..b, buckets);
            for (k, g) in got.iter().enumerate() {
                let lo = a + k * (b - a) / buckets;
                let hi = a + (k + 1) * (b - a) / buckets;
                assert_eq!(*g, brute(&values, lo..hi), "{a}..{b} / {buckets}, bucket {k}");
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
