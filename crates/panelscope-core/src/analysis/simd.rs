//! The inner loops that the compiler does not vectorise well by itself, written out for
//! AVX2 and chosen at run time: the binary targets baseline x86-64 (SSE2), and nearly every
//! x86-64 CPU in use has AVX2. Each function returns `None` when the CPU lacks it (or off
//! x86-64), and its caller then runs its portable loop, which gives the same answer.
//!
//! The crate's `unsafe` is here (and in `memory.rs`, one call to the C allocator): calling a
//! `#[target_feature]` function after the run-time check, and unaligned loads and stores
//! inside slices of the right length.
#![allow(unsafe_code)]

use crate::analysis::stats::LANES;

/// The lanes of one block of statistics (see [`crate::analysis::stats`]): sample `i` of
/// the rows went to lane `i % LANES`; `rest` are the samples after the last whole row.
pub(crate) struct SumLanes<'a> {
    pub min: [f32; LANES],
    pub max: [f32; LANES],
    pub sum: [f64; LANES],
    pub sum_sq: [f64; LANES],
    pub rest: &'a [f32],
}

/// Per-lane min, max, sum and sum of squares of `values`, as the portable statistics kernel
/// computes them, to the bit. NaN propagates into the sums (the caller checks them).
pub(crate) fn sum_lanes(values: &[f32]) -> Option<SumLanes<'_>> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: this CPU has AVX2.
        return Some(unsafe { avx2::sum_lanes(values) });
    }
    let _ = values;
    None
}

/// Min and max of `values` with NaN skipped, infinities (min > max) when nothing is valid:
/// the answer of [`crate::analysis::lod::slice_min_max`]. Of -0 and +0 either may be kept.
pub(crate) fn min_max(values: &[f32]) -> Option<(f32, f32)> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: this CPU has AVX2.
        return Some(unsafe { avx2::min_max(values) });
    }
    let _ = values;
    None
}

/// For each whole block of 32 samples of `values` (in order, `values.len() / 32` of them),
/// calls `put(block, min, max, min_first)`: min and max with NaN skipped (infinities,
/// min > max, when all are missing) and whether the first sample equal to the min comes no
/// later than the first equal to the max. False, having called nothing, without AVX2.
pub(crate) fn extremes_of_32s(values: &[f32], put: &mut impl FnMut(usize, f32, f32, bool)) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: this CPU has AVX2.
        unsafe { avx2::extremes_of_32s(values, put) };
        return true;
    }
    let _ = (values, put);
    false
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{LANES, SumLanes};
    use std::arch::x86_64::*;

    /// Given AVX2 for the portable statistics loop, the compiler pairs each lane's sum with
    /// its sum of squares and converts one sample at a time (30% of the read bandwidth).
    /// Written out, a row of 16 samples is two loads, two min, two max, four widenings and
    /// twelve adds and multiplies, and the pass is bound by memory.
    #[target_feature(enable = "avx2")]
    pub(super) fn sum_lanes(values: &[f32]) -> SumLanes<'_> {
        let mut min = [_mm256_set1_ps(f32::INFINITY); 2];
        let mut max = [_mm256_set1_ps(f32::NEG_INFINITY); 2];
        // sum[k] holds lanes 4k..4k+4.
        let mut sum = [_mm256_setzero_pd(); 4];
        let mut sum_sq = [_mm256_setzero_pd(); 4];
        let rows = values.chunks_exact(LANES);
        let rest = rows.remainder();
        for row in rows {
            let (a, b) = row.split_at(8);
            // SAFETY: `a` and `b` hold 8 f32 each; the loads are unaligned.
            let halves = unsafe { [_mm256_loadu_ps(a.as_ptr()), _mm256_loadu_ps(b.as_ptr())] };
            for (h, v) in halves.into_iter().enumerate() {
                // `_mm256_min_ps(v, m)` is `if v < m { v } else { m }`, as in the portable loop.
                min[h] = _mm256_min_ps(v, min[h]);
                max[h] = _mm256_max_ps(v, max[h]);
                let lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
                let hi = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(v));
                sum[2 * h] = _mm256_add_pd(sum[2 * h], lo);
                sum[2 * h + 1] = _mm256_add_pd(sum[2 * h + 1], hi);
                // A multiply, then an add: a fused multiply-add would round differently
                // from the portable loop.
                sum_sq[2 * h] = _mm256_add_pd(sum_sq[2 * h], _mm256_mul_pd(lo, lo));
                sum_sq[2 * h + 1] = _mm256_add_pd(sum_sq[2 * h + 1], _mm256_mul_pd(hi, hi));
            }
        }
        let mut out = SumLanes { min: [0.0; LANES], max: [0.0; LANES], sum: [0.0; LANES], sum_sq: [0.0; LANES], rest };
        for h in 0..2 {
            // SAFETY: each store writes 8 f32 at 8h inside a 16-f32 array.
            unsafe {
                _mm256_storeu_ps(out.min[8 * h..].as_mut_ptr(), min[h]);
                _mm256_storeu_ps(out.max[8 * h..].as_mut_ptr(), max[h]);
            }
        }
        for k in 0..4 {
            // SAFETY: each store writes 4 f64 at 4k inside a 16-f64 array.
            unsafe {
                _mm256_storeu_pd(out.sum[4 * k..].as_mut_ptr(), sum[k]);
                _mm256_storeu_pd(out.sum_sq[4 * k..].as_mut_ptr(), sum_sq[k]);
            }
        }
        out
    }

    /// Four accumulators of eight for each extreme, so that the compares' latency is
    /// hidden. `_mm256_min_ps(v, m)` returns `m` when `v` is NaN, and `m` never is, so NaN
    /// is skipped without a test.
    #[target_feature(enable = "avx2")]
    pub(super) fn min_max(values: &[f32]) -> (f32, f32) {
        const ROW: usize = 32;
        let mut lo = [_mm256_set1_ps(f32::INFINITY); 4];
        let mut hi = [_mm256_set1_ps(f32::NEG_INFINITY); 4];
        let rows = values.chunks_exact(ROW);
        let rest = rows.remainder();
        for row in rows {
            for k in 0..4 {
                // SAFETY: `row` holds 32 f32, so 8 from 8k are inside it.
                let v = unsafe { _mm256_loadu_ps(row[8 * k..].as_ptr()) };
                lo[k] = _mm256_min_ps(v, lo[k]);
                hi[k] = _mm256_max_ps(v, hi[k]);
            }
        }
        let lo = _mm256_min_ps(_mm256_min_ps(lo[0], lo[1]), _mm256_min_ps(lo[2], lo[3]));
        let hi = _mm256_max_ps(_mm256_max_ps(hi[0], hi[1]), _mm256_max_ps(hi[2], hi[3]));
        let (mut lanes_lo, mut lanes_hi) = ([0f32; 8], [0f32; 8]);
        // SAFETY: each store writes 8 f32 into an 8-f32 array.
        unsafe {
            _mm256_storeu_ps(lanes_lo.as_mut_ptr(), lo);
            _mm256_storeu_ps(lanes_hi.as_mut_ptr(), hi);
        }
        crate::analysis::lod::fold_min_max(&lanes_lo, &lanes_hi, rest)
    }

    /// A block is four registers: their min and max, spread to every lane by three
    /// shuffles, then compared with each register, whose masks give the first places by a
    /// count of trailing zeros. No scalar pass over the samples.
    #[target_feature(enable = "avx2")]
    pub(super) fn extremes_of_32s(values: &[f32], put: &mut impl FnMut(usize, f32, f32, bool)) {
        for (j, block) in values.chunks_exact(32).enumerate() {
            // SAFETY: `block` holds 32 f32, so 8 from 8k are inside it.
            let v: [__m256; 4] = std::array::from_fn(|k| unsafe { _mm256_loadu_ps(block[8 * k..].as_ptr()) });
            // `_mm256_min_ps(x, m)` is `m` when `x` is NaN, and `m` never is.
            let (mut lo, mut hi) = (_mm256_set1_ps(f32::INFINITY), _mm256_set1_ps(f32::NEG_INFINITY));
            for x in v {
                lo = _mm256_min_ps(x, lo);
                hi = _mm256_max_ps(x, hi);
            }
            let lo = _mm256_min_ps(lo, _mm256_permute2f128_ps::<1>(lo, lo));
            let lo = _mm256_min_ps(lo, _mm256_permute_ps::<0b01_00_11_10>(lo));
            let lo = _mm256_min_ps(lo, _mm256_permute_ps::<0b10_11_00_01>(lo));
            let hi = _mm256_max_ps(hi, _mm256_permute2f128_ps::<1>(hi, hi));
            let hi = _mm256_max_ps(hi, _mm256_permute_ps::<0b01_00_11_10>(hi));
            let hi = _mm256_max_ps(hi, _mm256_permute_ps::<0b10_11_00_01>(hi));
            let (min, max) = (_mm256_cvtss_f32(lo), _mm256_cvtss_f32(hi));
            if min > max {
                put(j, f32::INFINITY, f32::NEG_INFINITY, true);
                continue;
            }
            let (mut at_min, mut at_max) = (0u32, 0u32);
            for (k, x) in v.into_iter().enumerate() {
                at_min |= (_mm256_movemask_ps(_mm256_cmp_ps::<_CMP_EQ_OQ>(x, lo)) as u32) << (8 * k);
                at_max |= (_mm256_movemask_ps(_mm256_cmp_ps::<_CMP_EQ_OQ>(x, hi)) as u32) << (8 * k);
            }
            put(j, min, max, at_min.trailing_zeros() <= at_max.trailing_zeros());
        }
    }
}
