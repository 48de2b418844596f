//! The plain decimal numbers of a CSV cell (`-5.0679817`, `0.0001000`, `2e3`), read to the
//! correctly rounded value in a few operations: the digits into an integer, then one
//! multiplication or division by a power of ten. Anything else (more than 19
//! digits, an exponent beyond ±22, `inf`, `nan`, whitespace) is left to
//! `fast_float2`, which reads every number. Nearly every cell of a capture takes this path,
//! and `info --stats` on a CSV of 8 × 16 M samples takes a quarter less time than with
//! `fast_float2` alone (its general algorithm, Eisel-Lemire, is most of a cell's cost).
//! Reading eight digits at a time in one word was tried and was slower: a cell's digits
//! rarely come in eights.
//!
//! Why one rounding is exact: with an integer `m < 2^53` and `|e| <= 22`, both `m` and
//! `10^|e|` are exact in `f64`, so `m * 10^e` (or `m / 10^-e`) is the value rounded once,
//! to the nearest `f64` (Clinger's fast path). For an `f32` that `f64` is rounded again,
//! which gives the nearest `f32` unless the `f64` fell exactly on the midpoint between two
//! `f32`s: the midpoint is itself an `f64`, and rounding is monotonic, so a value on one
//! side of it rounds, in `f64`, to that side or onto it. Those midpoints are sent to
//! `fast_float2`. The values reachable here lie between 1e-22 and 9e37, inside the range of
//! normal `f32`s, where an `f32` step is 2^29 `f64` steps. An `f32` with a fraction is
//! first tried by a multiplication by the nearest `f64` to `10^-k`, within 2 `f64` steps
//! of the exact value, which is kept when it lies more than 16 steps from an `f32`
//! midpoint (see `from_decimal`).

/// The powers of ten that are exact in `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// A type a cell is read as.
pub(crate) trait Plain: Sized + Copy {
    /// The correctly rounded value of `negative`, `digits * 10^exponent`, or `None` when
    /// one rounding cannot be shown to give it.
    fn from_decimal(negative: bool, digits: u64, exponent: i32) -> Option<Self>;

    /// Whether it is an infinity (which [`from_decimal`](Plain::from_decimal) never gives:
    /// its values lie within the normal `f32` range).
    fn is_infinite(self) -> bool;
}

/// Whether `digits` and `10^|exponent|` are both exact in `f64`.
#[inline]
fn exact_operands(digits: u64, exponent: i32) -> bool {
    digits <= 1 << 53 && (-22..=22).contains(&exponent)
}

/// `digits * 10^exponent` rounded once to `f64`, when that is exact arithmetic's answer.
#[inline]
fn clinger(digits: u64, exponent: i32) -> Option<f64> {
    if !exact_operands(digits, exponent) {
        return None;
    }
    let m = digits as f64;
    Some(if exponent < 0 { m / POW10[exponent.unsigned_abs() as usize] } else { m * POW10[exponent as usize] })
}

impl Plain for f64 {
    fn is_infinite(self) -> bool {
        f64::is_infinite(self)
    }

    #[inline]
    fn from_decimal(negative: bool, digits: u64, exponent: i32) -> Option<Self> {
        let v = clinger(digits, exponent)?;
        Some(if negative { -v } else { v })
    }
}

impl Plain for f32 {
    fn is_infinite(self) -> bool {
        f32::is_infinite(self)
    }

    #[inline]
    fn from_decimal(negative: bool, digits: u64, exponent: i32) -> Option<Self> {
        if !exact_operands(digits, exponent) {
            return None;
        }
        // A multiplication by the nearest f64 to 10^-k, not a division by 10^k: the
        // product is within 2 f64 steps of the exact value (two roundings of half a step,
        // relative), so far from an f32 midpoint it rounds to the same f32. A division takes
        // several times as long and was most of a cell's cost. Near a midpoint, the exact
        // division decides.
        let v = match exponent {
            e if e < 0 => {
                let near = digits as f64 * INV10[e.unsigned_abs() as usize];
                if (near.to_bits() & BELOW_F32).abs_diff(MIDPOINT) > 16 {
                    near
                } else {
                    off_midpoint(clinger(digits, e)?)?
                }
            }
            e => off_midpoint(clinger(digits, e)?)?,
        };
        let v = v as f32;
        Some(if negative { -v } else { v })
    }
}

/// The f64 steps below an f32 step, in the normal range: the low 29 bits of the significand.
const BELOW_F32: u64 = (1 << 29) - 1;
/// Those bits on an f32 midpoint: 1 then zeros.
const MIDPOINT: u64 = 1 << 28;

/// The nearest f64s to 10^-k (a float literal is correctly rounded).
const INV10: [f64; 23] = [
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17,
    1e-18, 1e-19, 1e-20, 1e-21, 1e-22,
];

/// `v`, the correctly rounded f64 of a decimal, unless it lies exactly on an f32 midpoint,
/// where its f32 rounding may not be the decimal's.
#[inline]
fn off_midpoint(v: f64) -> Option<f64> {
    (v.to_bits() & BELOW_F32 != MIDPOINT).then_some(v)
}

/// Powers of ten up to the eighth, as integers.
const POW10_U64: [u64; 9] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/// Appends the run of digits at `text[*i..]` to `digits` (`digits * 10^n + run`, wrapping
/// past 19 digits, which the caller declines), moves `*i` past it and returns its length
/// `n`. Eight bytes are looked at in one word while eight remain: which of them are digits
/// comes from two additions, and the run's value from three multiplications, so a cell's
/// digits cost the same whatever their count and no branch depends on it.
#[inline(always)]
fn digit_run(text: &[u8], i: &mut usize, digits: &mut u64) -> usize {
    let from = *i;
    while let Some(chunk) = text.get(*i..*i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // Each byte less '0': a digit leaves 0..=9 and no borrow. A byte below '0' borrows
        // from the bytes after it, which come after the run and are not used.
        let d = word.wrapping_sub(0x3030_3030_3030_3030);
        // The top bit of a byte is set when it is above 9 (adding 0x76 carries it past 0x7f)
        // or wrapped below 0.
        let not_digit = (d | d.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080;
        let n = (not_digit.trailing_zeros() / 8) as usize;
        if n == 0 {
            break;
        }
        // The run's bytes moved to the top of the word (the first digit lowest), zeros
        // below them: an eight-digit number with leading zeros.
        *digits = digits.wrapping_mul(POW10_U64[n]).wrapping_add(eight_digits(d << (8 * (8 - n))));
        *i += n;
        if n < 8 {
            return *i - from;
        }
    }
    while let Some(d) = text.get(*i).map(|c| c.wrapping_sub(b'0')).filter(|&d| d <= 9) {
        *digits = digits.wrapping_mul(10).wrapping_add(u64::from(d));
        *i += 1;
    }
    *i - from
}

/// The number whose eight decimal digits are the bytes of `v` (values 0..=9), the first
/// (most significant) in the lowest byte: pairs of digits, then fours, then all eight, each
/// step one multiplication that adds a lane times its weight to the lane above.
#[inline(always)]
fn eight_digits(v: u64) -> u64 {
    let pairs = (v.wrapping_mul(10 << 8 | 1) >> 8) & 0x00ff_00ff_00ff_00ff;
    let fours = (pairs.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_ffff_0000_ffff;
    fours.wrapping_mul(10_000 << 32 | 1) >> 32
}

/// The plain number at the start of `text` and how many bytes it takes: an optional sign,
/// digits with an optional point (at least one digit), an optional exponent. `None` for
/// anything else, or when [`Plain::from_decimal`] declines; the caller then reads the cell
/// the general way.
#[inline]
pub(crate) fn scan<T: Plain>(text: &[u8]) -> Option<(T, usize)> {
    let mut i = 0;
    let negative = match text.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let mut digits = 0u64;
    let mut take = |i: &mut usize| digit_run(text, i, &mut digits);
    let mut count = take(&mut i);
    let mut exponent = 0i32;
    if text.get(i) == Some(&b'.') {
        i += 1;
        let fraction = take(&mut i);
        count += fraction;
        exponent = -i32::try_from(fraction).ok()?;
    }
    // 19 digits (leading zeros included) always fit in a u64; more go the general way.
    if count == 0 || count > 19 {
        return None;
    }
    if let Some(b'e' | b'E') = text.get(i) {
        i += 1;
        let sign = match text.get(i) {
            Some(b'-') => {
                i += 1;
                -1
            }
            Some(b'+') => {
                i += 1;
                1
            }
            _ => 1,
        };
        let from = i;
        let mut e = 0i32;
        while let Some(d) = text.get(i).map(|c| c.wrapping_sub(b'0')).filter(|&d| d <= 9) {
            if e > 1000 {
                return None;
            }
            e = e * 10 + i32::from(d);
            i += 1;
        }
        if i == from {
            return None;
        }
        exponent += sign * e;
    }
    Some((T::from_decimal(negative, digits, exponent)?, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `text` took the fast path, which must agree with fast_float.
    fn both<T: Plain + fast_float2::FastFloat>(text: &str, bits: impl Fn(T) -> u64) -> bool {
        let Some((v, used)) = scan::<T>(text.as_bytes()) else { return false };
        let (expected, expected_used) = fast_float2::parse_partial::<T, _>(text.as_bytes()).expect("a number");
        assert_eq!((bits(v), used), (bits(expected), expected_used), "{text}");
        true
    }

    /// Whether `text` took the fast path as an `f32`.
    fn check(text: &str) -> bool {
        both::<f64>(text, f64::to_bits);
        both::<f32>(text, |v| u64::from(v.to_bits()))
    }

    /// Runs of 0 to 24 digits, after and before every kind of byte, read as a digit at a
    /// time reads them.
    #[test]
    fn a_run_of_digits_reads_as_one_digit_at_a_time() {
        let slow = |text: &[u8], at: usize| {
            let (mut i, mut digits) = (at, 7u64);
            while let Some(d) = text.get(i).map(|c| c.wrapping_sub(b'0')).filter(|&d| d <= 9) {
                digits = digits.wrapping_mul(10).wrapping_add(u64::from(d));
                i += 1;
            }
            (i, digits)
        };
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 25) as usize;
            let mut text: Vec<u8> = (0..3).map(|k| b"-.5"[k]).collect();
            text.extend((0..len).map(|k| b'0' + ((state >> (k % 60)) % 10) as u8));
            // What ends the run: below '0', above '9', a byte past ASCII, or the end.
            match (state >> 40) % 6 {
                0 => text.push(b','),
                1 => text.push(b'/'),
                2 => text.push(b':'),
                3 => text.push(0xc3),
                4 => text.extend_from_slice(b"e-7,1.25,"),
                _ => {}
            }
            text.extend((0..(state >> 50) % 9).map(|k| [b'9', b'0', b' '][k as usize % 3]));
            for at in [2, 3] {
                let (mut i, mut digits) = (at, 7u64);
                let n = digit_run(&text, &mut i, &mut digits);
                assert_eq!((i, digits), slow(&text, at), "{:?} at {at}", String::from_utf8_lossy(&text));
                assert_eq!(n, i - at);
            }
        }
    }

    #[test]
    fn plain_numbers_read_as_fast_float_reads_them() {
        for text in [
            "0",
            "-0",
            "+0",
            "0.0",
            "-0.0",
            "1",
            "2.",
            ".5",
            "-.5",
            "5.0679817",
            "0.00006150767",
            "0.0001000",
            "2e3",
            "2E-3",
            "1e22",
            "1e23",
            "1e-22",
            "1e-23",
            "123456789012345678",
            "1234567890123456789",
            "9007199254740993",
            "3.4028235e38",
            "1e39",
            "0.000000000000000000000001",
            "7,1",
            "1e",
            "1e+",
            "-",
            "+",
            ".",
            "e5",
            "1.5e+07",
        ] {
            check(text);
        }
        assert!(scan::<f32>(b"1e").is_none() && scan::<f32>(b".").is_none() && scan::<f32>(b"-").is_none());
        assert_eq!(scan::<f32>(b"7,1"), Some((7.0, 1)));
        assert_eq!(scan::<f64>(b"-0").map(|(v, _)| v.to_bits()), Some((-0.0f64).to_bits()));
    }

    /// Random f32s as they are written (shortest round trip), random digit strings with a
    /// point anywhere and an exponent, and the decimal midpoints between neighbouring f32s,
    /// where one rounding in f64 is not enough: every answer equals fast_float's.
    #[test]
    fn random_numbers_and_midpoints_read_as_fast_float_reads_them() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut buffer = ryu::Buffer::new();
        let mut fast = 0;
        for _ in 0..200_000 {
            let x = f32::from_bits(next() as u32);
            if x.is_finite() && check(buffer.format(x)) {
                fast += 1;
            }
            let digits = next() % 10u64.pow(1 + (next() % 18) as u32);
            let mut text = digits.to_string();
            let point = (next() as usize) % (text.len() + 1);
            text.insert(point, '.');
            if next() % 2 == 0 {
                text.push_str(&format!("e{}", (next() % 60) as i32 - 30));
            }
            fast += usize::from(check(&text));
            // The midpoint between an f32 and the next, written exactly (it has few enough
            // digits in f64 terms) and also rounded to a few digits either side.
            let a = f32::from_bits((next() as u32) & 0x7f7f_ffff);
            let b = f32::from_bits(a.to_bits() + 1);
            let mid = (f64::from(a) + f64::from(b)) / 2.0;
            for precision in [6, 8, 9, 12, 16, 17, 20] {
                check(&format!("{mid:.precision$e}"));
            }
        }
        assert!(fast > 250_000, "most numbers take the fast path: {fast} of 400,000");
        let midpoint_hits = (0..10_000u32)
            .filter(|k| {
                let a = 1.0f32 + *k as f32 * f32::EPSILON;
                let mid = (f64::from(a) + f64::from(f32::from_bits(a.to_bits() + 1))) / 2.0;
                let text = format!("{mid}");
                check(&text);
                scan::<f32>(text.as_bytes()).is_none()
            })
            .count();
        assert!(midpoint_hits > 5_000, "midpoints go the general way: {midpoint_hits}");
    }
}
