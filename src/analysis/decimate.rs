//! Min/max decimation into equal time buckets: every extreme is kept, in time order.
//!
//! This is the brute-force reference; the level-of-detail pyramid answers the same
//! question faster for interactive zoom.

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
pub fn bucket_extremes(values: &[f32], range: std::ops::Range<usize>) -> Option<BucketExtremes> {
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

/// The states of a digital bucket in time order: its first, and the other one if it
/// changes inside (else the first again); `None` for an empty bucket.
pub fn bit_extremes(bits: &crate::capture::Bits, range: std::ops::Range<usize>) -> Option<[bool; 2]> {
    if range.is_empty() {
        return None;
    }
    let first = bits.get(range.start).unwrap_or(false);
    let other = range.clone().find_map(|i| bits.get(i).filter(|&b| b != first)).unwrap_or(first);
    Some([first, other])
}

/// Splits `0..len` into `buckets` contiguous index ranges of (nearly) equal size.
pub fn equal_index_buckets(len: usize, buckets: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let buckets = buckets.max(1);
    (0..buckets).map(move |b| {
        let lo = (b as u128 * len as u128 / buckets as u128) as usize;
        let hi = ((b + 1) as u128 * len as u128 / buckets as u128) as usize;
        lo..hi
    })
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

    #[test]
    fn buckets_cover_everything_once() {
        for (len, b) in [(10, 3), (7, 7), (5, 9), (1_000_003, 1000)] {
            let ranges: Vec<_> = equal_index_buckets(len, b).collect();
            assert_eq!(ranges.len(), b);
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges.last().unwrap().end, len);
            assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        }
    }
}
