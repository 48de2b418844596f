//! Min/max decimation: a window cut into buckets, each kept as its two extremes in the
//! order they occur, so every peak survives at any zoom.
//!
//! One API serves `export --max-points`, the server's windowed reads and the explorer's
//! plots: [`window_buckets`] cuts a window (equal sample counts at a fixed rate, equal time
//! for irregular time), [`bucket_times`] places each bucket's two points, and
//! [`analog_extremes`] / [`digital_extremes`] answer each bucket from the level-of-detail
//! pyramid when there is one, else by one scan. [`bucket_extremes`] is the brute-force
//! reference the pyramid is tested against.

use std::ops::Range;

use crate::analysis::lod::{MinMax, Pyramid};
use crate::capture::{Bits, Samples, Timebase};

/// The extremes of one bucket, in the order they occur; `None` for an empty or
/// all-missing bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketExtremes {
    /// (sample index, value) of the extreme that comes first.
    pub first: (usize, f32),
    /// (sample index, value) of the extreme that comes second.
    pub second: (usize, f32),
}

/// Min and max of `values[range]`, with their indices, skipping NaN.
pub fn bucket_extremes(values: &[f32], range: Range<usize>) -> Option<BucketExtremes> {
    let start = range.start;
    let mut min: Option<(usize, f32)> = None;
    let mut max: Option<(usize, f32)> = None;
    for (i, &v) in values[range].iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if min.is_none_or(|(_, m)| v < m) {
            min = Some((start + i, v));
        }
        if max.is_none_or(|(_, m)| v > m) {
            max = Some((start + i, v));
        }
    }
    let (min, max) = (min?, max?);
    Some(if min.0 <= max.0 {
        BucketExtremes { first: min, second: max }
    } else {
        BucketExtremes { first: max, second: min }
    })
}

/// [`bucket_extremes`] at memory speed: the extremes' values in one pass the compiler
/// vectorises, then their first places in a second pass over the (cache-hot) bucket that
/// stops at the later of the two. The same answer to the bit.
pub fn scan_extremes(values: &[f32], range: Range<usize>) -> Option<BucketExtremes> {
    let start = range.start;
    let bucket = &values[range];
    // Which zero is kept of -0 and +0 does not matter: the values reported are read back
    // from their places.
    let (min, max) = crate::analysis::lod::slice_min_max(bucket);
    if min > max {
        return None;
    }
    // The first sample equal to either extreme comes first (both, when all are equal).
    let i = first_equal(bucket, min, max)?;
    let other = if bucket[i] == min { max } else { min };
    let j = i + first_equal(&bucket[i..], other, other)?;
    Some(BucketExtremes { first: (start + i, bucket[i]), second: (start + j, bucket[j]) })
}

/// The first index of a value equal to `a` or `b`: a branch-free test of 64 values at a
/// time (which the compiler vectorises), then the place inside the 64 that hold one.
fn first_equal(values: &[f32], a: f32, b: f32) -> Option<usize> {
    let mut base = 0;
    for chunk in values.chunks(64) {
        if chunk.iter().fold(false, |hit, &v| hit | (v == a) | (v == b)) {
            return chunk.iter().position(|&v| v == a || v == b).map(|k| base + k);
        }
        base += chunk.len();
    }
    None
}

/// The states of a digital bucket in time order: its first, and the other one if it
/// changes inside (else the first again); `None` for an empty bucket.
pub fn bit_extremes(bits: &Bits, range: Range<usize>) -> Option<[bool; 2]> {
    if range.is_empty() {
        return None;
    }
    let first = bits.get(range.start).unwrap_or(false);
    let other = range.clone().find_map(|i| bits.get(i).filter(|&b| b != first)).unwrap_or(first);
    Some([first, other])
}

/// Cuts the window `range` (from `from_s` to `to_s`, seconds) into `buckets` ranges: of
/// (nearly) equal sample count at a fixed rate, of equal time for irregular time (so an
/// overview is not distorted where samples are dense; a bucket may then be empty).
pub fn window_buckets(
    timebase: &Timebase,
    range: Range<usize>,
    from_s: f64,
    to_s: f64,
    buckets: usize,
) -> Vec<Range<usize>> {
    let buckets = buckets.max(1);
    match timebase {
        Timebase::Fixed { .. } => {
            equal_index_buckets(range.len(), buckets).map(|r| range.start + r.start..range.start + r.end).collect()
        }
        Timebase::Irregular { times_s } => {
            let span = to_s - from_s;
            let edge = |b: usize| {
                let t = from_s + span * b as f64 / buckets as f64;
                times_s[range.clone()].partition_point(|&x| x < t) + range.start
            };
            (0..buckets).map(|b| edge(b)..if b + 1 == buckets { range.end } else { edge(b + 1) }).collect()
        }
    }
}

/// Where each bucket's two points go: its first and its middle sample (an empty bucket at
/// the time of the sample after it, twice). `time_s(i)` is sample `i`'s time; `len` the
/// number of samples.
pub fn bucket_times(buckets: &[Range<usize>], len: usize, time_s: impl Fn(usize) -> f64) -> Vec<f64> {
    buckets
        .iter()
        .flat_map(|r| {
            if r.is_empty() {
                let t = time_s(r.start.min(len.saturating_sub(1)));
                [t, t]
            } else {
                [time_s(r.start), time_s(r.start + r.len() / 2)]
            }
        })
        .collect()
}

/// Each bucket's minimum and maximum in time order, `None` for an empty or all-missing
/// bucket. With a pyramid and buckets of equal sample count over `window`
/// (`equal_index`), one level-of-detail query answers them all; otherwise each bucket is
/// answered from the pyramid, or by a scan when there is none.
pub fn analog_extremes(
    values: &[f32],
    pyramid: Option<&Pyramid>,
    window: Range<usize>,
    buckets: &[Range<usize>],
    equal_index: bool,
) -> Vec<[Option<f32>; 2]> {
    let pair = |m: Option<MinMax>| m.map_or([None, None], |m| m.in_order().map(Some));
    match pyramid {
        Some(p) if equal_index => p.query(values, window, buckets.len()).into_iter().map(pair).collect(),
        Some(p) => buckets.iter().map(|r| pair(p.range_min_max(values, r.clone()))).collect(),
        None => buckets
            .iter()
            .map(|r| scan_extremes(values, r.clone()).map_or([None, None], |e| [Some(e.first.1), Some(e.second.1)]))
            .collect(),
    }
}

/// Each digital bucket's first state and the other one if it changes inside (see
/// [`bit_extremes`]); `None` for an empty bucket.
pub fn digital_extremes(bits: &Bits, buckets: &[Range<usize>]) -> Vec<[Option<bool>; 2]> {
    buckets.iter().map(|r| bit_extremes(bits, r.clone()).map_or([None, None], |b| b.map(Some))).collect()
}

/// [`analog_extremes`] or [`digital_extremes`] (as 0 and 1) for a channel's samples.
pub fn extremes(
    samples: &Samples,
    pyramid: Option<&Pyramid>,
    window: Range<usize>,
    buckets: &[Range<usize>],
    equal_index: bool,
) -> Vec<[Option<f32>; 2]> {
    match samples {
        Samples::Analog(v) => analog_extremes(v, pyramid, window, buckets, equal_index),
        Samples::Digital(bits) => {
            digital_extremes(bits, buckets).into_iter().map(|pair| pair.map(|b| b.map(f32::from))).collect()
        }
    }
}

/// A run of consecutive buckets on one [`Pyramid::aligned`] grid of one channel's samples,
/// kept from one call to the next. Asked for another run on the same grid, it keeps the
/// buckets the two share and reads only the others, so a view that pans reads only the
/// columns that came into sight, and a view that stays reads nothing.
#[derive(Debug, Clone, Default)]
pub struct AlignedRun {
    shift: u32,
    first: usize,
    /// The samples the run was read from (a changed length starts over).
    len: usize,
    extremes: Vec<Option<MinMax>>,
}

impl AlignedRun {
    /// The extremes of `buckets` of `1 << shift` samples of `values` (which `pyramid` was
    /// built over), as [`Pyramid::aligned`] gives them.
    pub fn fetch(&mut self, values: &[f32], pyramid: &Pyramid, shift: u32, buckets: Range<usize>) -> &[Option<MinMax>] {
        let (had, had_end) = (self.first, self.first + self.extremes.len());
        let (keep, keep_end) = (buckets.start.max(had), buckets.end.min(had_end));
        if shift != self.shift || values.len() != self.len || keep >= keep_end {
            self.extremes = pyramid.aligned(values, shift, buckets.clone());
        } else if (keep, keep_end) != (buckets.start, buckets.end) {
            let mut out = Vec::with_capacity(buckets.len());
            out.extend(pyramid.aligned(values, shift, buckets.start..keep));
            out.extend_from_slice(&self.extremes[keep - had..keep_end - had]);
            out.extend(pyramid.aligned(values, shift, keep_end..buckets.end));
            self.extremes = out;
        }
        (self.shift, self.first, self.len) = (shift, buckets.start, values.len());
        &self.extremes
    }
}

/// Splits `0..len` into `buckets` contiguous index ranges of (nearly) equal size.
pub fn equal_index_buckets(len: usize, buckets: usize) -> impl Iterator<Item = Range<usize>> {
    let buckets = buckets.max(1);
    // In u64 when the products fit (a 128-bit division is a call, and dear), else u128:
    // the same bounds either way.
    let narrow = (len as u64).checked_mul(buckets as u64).is_some();
    let edge = move |b: usize| {
        if narrow {
            (b as u64 * len as u64 / buckets as u64) as usize
        } else {
            (b as u128 * len as u128 / buckets as u128) as usize
        }
    };
    (0..buckets).map(move |b| edge(b)..edge(b + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_in_time_order() {
        let v = [0.0, 5.0, -2.0, f32::NAN, 1.0];
        let e = bucket_extremes(&v, 0..5).unwrap();
        assert_eq!(e.first, (1, 5.0));
        assert_eq!(e.second, (2, -2.0));
        assert_eq!(bucket_extremes(&v, 3..4), None);
    }

    /// The fast scan and the plain one agree on every bucket: missing samples, signed
    /// zeros, infinities, ties, constant and empty buckets.
    #[test]
    fn the_fast_scan_equals_the_plain_one() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let pool = [0.0f32, -0.0, 1.0, -1.0, 2.5, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 7.0, -7.0];
        for case in 0..3000 {
            let len = (next() % 70) as usize;
            let mut v: Vec<f32> = (0..len)
                .map(
                    |_| if case % 3 == 0 { (next() % 1000) as f32 * 0.5 - 250.0 } else { pool[(next() % 10) as usize] },
                )
                .collect();
            if case % 7 == 0 {
                v.iter_mut().for_each(|x| *x = f32::NAN);
            }
            let lo = (next() as usize) % (len + 1);
            let hi = lo + (next() as usize) % (len - lo + 1);
            let bits = |e: Option<BucketExtremes>| {
                e.map(|e| (e.first.0, e.first.1.to_bits(), e.second.0, e.second.1.to_bits()))
            };
            assert_eq!(bits(scan_extremes(&v, lo..hi)), bits(bucket_extremes(&v, lo..hi)), "{v:?} {lo}..{hi}");
        }
    }

    #[test]
    fn the_pyramid_and_the_scan_agree_on_any_buckets() {
        let v: Vec<f32> = (0..50_000).map(|i| ((i as f32) * 0.013).sin() * (1.0 + (i % 89) as f32)).collect();
        let pyramid = Pyramid::build(&v);
        let window = 1234..48_000;
        let fixed = Timebase::Fixed { sample_rate_hz: 1.0 };
        let buckets = window_buckets(&fixed, window.clone(), 0.0, 0.0, 333);
        let scanned = analog_extremes(&v, None, window.clone(), &buckets, true);
        assert_eq!(analog_extremes(&v, Some(&pyramid), window.clone(), &buckets, true), scanned);
        assert_eq!(analog_extremes(&v, Some(&pyramid), window, &buckets, false), scanned);
    }

    #[test]
    fn an_aligned_run_kept_across_pans_and_zooms_equals_a_fresh_read() {
        let v: Vec<f32> = (0..200_000).map(|i| ((i as f32) * 0.0021).sin() * (1.0 + (i % 61) as f32)).collect();
        let pyramid = Pyramid::build(&v);
        let mut run = AlignedRun::default();
        // Pans both ways, a jump, a zoom to another width and back, a view that stays.
        let steps =
            [(8, 100..400), (8, 103..403), (8, 97..397), (8, 97..397), (8, 500..700), (6, 400..1900), (8, 90..390)];
        for (shift, buckets) in steps {
            let kept = run.fetch(&v, &pyramid, shift, buckets.clone()).to_vec();
            assert_eq!(kept, pyramid.aligned(&v, shift, buckets.clone()), "shift {shift}, {buckets:?}");
        }
    }

    #[test]
    fn irregular_buckets_are_equal_in_time() {
        let times_s: Vec<f64> = (0..100).map(|i| if i < 50 { i as f64 * 0.001 } else { 1.0 + i as f64 }).collect();
        let tb = Timebase::Irregular { times_s: times_s.clone() };
        let b = window_buckets(&tb, 0..100, 0.0, 100.0, 4);
        assert_eq!(b.len(), 4);
        assert_eq!(b[0], 0..50, "the dense start is one bucket");
        assert!(b.windows(2).all(|w| w[0].end == w[1].start) && b[3].end == 100);
        let t = bucket_times(&b, 100, |i| times_s[i]);
        assert_eq!(t.len(), 8);
        assert_eq!(t[0], 0.0);
    }

    #[test]
    fn digital_buckets_keep_a_change() {
        let bits: Bits = [false, false, true, true, false, false].into_iter().collect();
        assert_eq!(
            digital_extremes(&bits, &[0..2, 1..3, 4..6, 6..6]),
            [[Some(false), Some(false)], [Some(false), Some(true)], [Some(false), Some(false)], [None, None]]
        );
    }

    #[test]
    fn buckets_cover_everything_once() {
        for (len, b) in [(10, 3), (7, 7), (5, 9), (1_000_003, 1000)] {
            let ranges: Vec<_> = equal_index_buckets(len, b).collect();
            assert_eq!(ranges.len(), b);
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges.last().unwrap().end, len);
            assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        }
        // Lengths whose products overflow u64 take the wide path, with the same bounds.
        let len = usize::MAX / 3;
        let wide: Vec<_> = equal_index_buckets(len, 7).collect();
        let expected: Vec<_> = (0..7usize)
            .map(|b| (b as u128 * len as u128 / 7) as usize..((b + 1) as u128 * len as u128 / 7) as usize)
            .collect();
        assert_eq!(wide, expected);
    }
}
