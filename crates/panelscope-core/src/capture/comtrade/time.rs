//! Dates, time codes and the time base of a COMTRADE record.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::cfg::RateSegment;
use crate::capture::Timebase;

/// The highest sample rate accepted, from a CFG or inferred from timestamps.
pub(super) const MAX_RATE_HZ: f64 = 100e6;

/// Parses a CFG date/time field `dd/mm/yyyy,hh:mm:ss.ssssss` (up to nanoseconds).
/// `month_first` reads `mm/dd/yy` (1991 files); the order flips when the month would
/// be over 12. Two-digit years are 2000+yy below 70, else 1900+yy. `None` when it is
/// not a date.
pub(super) fn parse_datetime(raw: &str, month_first: bool) -> Option<NaiveDateTime> {
    let raw = raw.trim();
    let (date, time) = raw.split_once(',').or_else(|| raw.split_once(' '))?;
    Some(parse_date(date.trim(), month_first)?.and_time(parse_time(time.trim())?))
}

fn parse_date(date: &str, month_first: bool) -> Option<NaiveDate> {
    let parts: Vec<&str> = date.split(['/', '-', '.']).map(str::trim).collect();
    let &[p0, p1, p2] = parts.as_slice() else { return None };
    let num = |p: &str| if p.bytes().all(|b| b.is_ascii_digit()) { p.parse::<u32>().ok() } else { None };
    if p0.len() == 4 {
        return NaiveDate::from_ymd_opt(i32::try_from(num(p0)?).ok()?, num(p1)?, num(p2)?);
    }
    let (first, second, year) = (num(p0)?, num(p1)?, num(p2)?);
    let year = match (p2.len(), year) {
        (0..=2, y) if y < 70 => 2000 + y,
        (0..=2, y) => 1900 + y,
        (_, y) => y,
    };
    let (mut day, mut month) = if month_first { (second, first) } else { (first, second) };
    if month > 12 && day <= 12 {
        std::mem::swap(&mut day, &mut month);
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

fn parse_time(time: &str) -> Option<NaiveTime> {
    let mut parts = time.splitn(3, ':');
    let digits =
        |p: &str| if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) { p.parse::<u32>().ok() } else { None };
    let hour = digits(parts.next()?.trim())?;
    let minute = digits(parts.next()?.trim())?;
    let seconds = parts.next().unwrap_or("0").trim();
    let (whole, frac) = seconds.split_once('.').unwrap_or((seconds, ""));
    let second = digits(whole)?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos = 0u32;
    for d in frac.bytes().take(9) {
        nanos = nanos * 10 + u32::from(d - b'0');
    }
    for _ in frac.len().min(9)..9 {
        nanos *= 10;
    }
    // A leap second (ss = 60) is how chrono spells it: 59 s plus a second of nanos.
    let (second, nanos) = if second == 60 { (59, nanos + 1_000_000_000) } else { (second, nanos) };
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
}

/// Parses a 2013 time code (`-3h00`, `+5h30`, `5`, `0`, `-1h`): how far the recorded
/// clock is ahead of UTC, in seconds. `None` for `NA`, `x` or anything else.
pub(super) fn parse_time_code(raw: &str) -> Option<i64> {
    let code = raw.trim();
    let (sign, rest) = match code.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, code.strip_prefix('+').unwrap_or(code)),
    };
    let (hours, minutes) = rest.split_once(['h', 'H']).unwrap_or((rest, ""));
    let minutes = if minutes.is_empty() { "0" } else { minutes };
    let valid = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if !(valid(hours) && valid(minutes)) {
        return None;
    }
    let (hours, minutes) = (hours.parse::<i64>().ok()?, minutes.parse::<i64>().ok()?);
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
}

/// The time base given by the CFG's sample-rate segments (all rates positive): one
/// rate gives a fixed rate, several different rates give irregular times where each
/// sample follows the previous one by the period of its own segment.
pub(super) fn timebase_from_rates(segments: &[RateSegment], n: usize) -> Timebase {
    let first_rate = segments.first().map_or(1.0, |s| s.rate_hz);
    if segments.iter().all(|s| (s.rate_hz - first_rate).abs() <= 1e-9 * first_rate) {
        return Timebase::Fixed { sample_rate_hz: first_rate };
    }
    let mut times_s = Vec::with_capacity(n);
    let (mut seg, mut base_i, mut base_t) = (0usize, 0usize, 0.0f64);
    for i in 0..n {
        let sample_no = i as u64 + 1;
        let mut switched = false;
        while seg + 1 < segments.len() && segments.get(seg).is_some_and(|s| sample_no > s.end_sample) {
            seg += 1;
            switched = true;
        }
        if switched && i > 0 {
            base_i = i - 1;
            base_t = times_s.last().copied().unwrap_or(0.0);
        }
        let rate = segments.get(seg).map_or(first_rate, |s| s.rate_hz);
        times_s.push(base_t + (i - base_i) as f64 / rate);
    }
    Timebase::Irregular { times_s }
}

/// The time base given by non-decreasing DAT timestamps (`ticks`, each `tick_us`
/// microseconds): a fixed rate when every step is within 1% (plus one tick of
/// rounding) of the mean step, else irregular times from the first sample. Also
/// returns the first sample's time after the CFG start, in seconds.
pub(super) fn timebase_from_ticks(ticks: &[f64], tick_us: f64) -> (Timebase, f64) {
    let (Some(&first), Some(&last)) = (ticks.first(), ticks.last()) else {
        return (Timebase::Irregular { times_s: Vec::new() }, 0.0);
    };
    let first_s = first * tick_us / 1e6;
    if ticks.len() >= 2 {
        let mean_us = (last - first) * tick_us / (ticks.len() - 1) as f64;
        let tolerance_us = 0.01 * mean_us + tick_us;
        let rate_hz = 1e6 / mean_us;
        let uniform = mean_us > 0.0
            && rate_hz.is_finite()
            && rate_hz <= MAX_RATE_HZ
            && ticks.windows(2).all(|w| ((w[1] - w[0]) * tick_us - mean_us).abs() <= tolerance_us);
        if uniform {
            return (Timebase::Fixed { sample_rate_hz: rate_hz }, first_s);
        }
    }
    let times_s = ticks.iter().map(|t| (t - first) * tick_us / 1e6).collect();
    (Timebase::Irregular { times_s }, first_s)
}
