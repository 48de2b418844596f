//! The in-memory capture: channels sampled on one clock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a channel measures; drives plotting, measurements and pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Voltage,
    Current,
    Power,
    Other,
    Digital,
}

impl ChannelKind {
    /// Every kind, in the order the explorer lists them.
    pub const ALL: [ChannelKind; 5] = [Self::Voltage, Self::Current, Self::Power, Self::Other, Self::Digital];

    /// The lower-case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Voltage => "voltage",
            Self::Current => "current",
            Self::Power => "power",
            Self::Other => "other",
            Self::Digital => "digital",
        }
    }

    /// Parses the lower-case name written by [`ChannelKind::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_lowercase().as_str() {
            "voltage" => Self::Voltage,
            "current" => Self::Current,
            "power" => Self::Power,
            "other" => Self::Other,
            "digital" => Self::Digital,
            _ => return None,
        })
    }

    /// Guesses an analog channel's kind from its unit, then from its name
    /// (`V*`/`U*` voltage, `I*` current, `P*` power). A unit that says only how the value
    /// was stored (ADC counts, raw, LSB, per unit) leaves it to the name: `V [adc counts]`
    /// is a voltage sampled without its scale.
    pub fn infer(name: &str, unit: &str) -> Self {
        let unit = unit.trim().to_ascii_lowercase();
        let raw = ["count", "counts", "adc", "adc counts", "adc count", "raw", "lsb", "digits", "pu", "p.u."];
        let unit_kind = match unit.as_str() {
            "v" | "kv" | "mv" | "volt" | "volts" => Some(Self::Voltage),
            "a" | "ka" | "ma" | "amp" | "amps" => Some(Self::Current),
            "w" | "kw" | "mw" | "watt" | "watts" => Some(Self::Power),
            "" => None,
            u if raw.contains(&u) => None,
            _ => Some(Self::Other),
        };
        if let Some(kind) = unit_kind {
            return kind;
        }
        match name.trim().chars().next().map(|c| c.to_ascii_uppercase()) {
            Some('V' | 'U') => Self::Voltage,
            Some('I') => Self::Current,
            Some('P') => Self::Power,
            _ => Self::Other,
        }
    }
}

/// A packed vector of bits for digital (status) channels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    /// An empty bit vector with room for `capacity` bits.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { words: Vec::with_capacity(capacity.div_ceil(64)), len: 0 }
    }

    /// `len` bits, all zero.
    pub fn zeros(len: usize) -> Self {
        Self { words: vec![0; len.div_ceil(64)], len }
    }

    /// Appends one bit.
    pub fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        if bit {
            self.words[self.len / 64] |= 1 << (self.len % 64);
        }
        self.len += 1;
    }

    /// Sets bit `i`; panics if `i >= len` (an internal invariant, not input).
    pub fn set(&mut self, i: usize, bit: bool) {
        let mask = 1u64 << (i % 64);
        if bit {
            self.words[i / 64] |= mask;
        } else {
            self.words[i / 64] &= !mask;
        }
    }

    /// Bit `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<bool> {
        (i < self.len).then(|| self.words[i / 64] >> (i % 64) & 1 == 1)
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Iterates over the bits in order.
    pub fn iter(&self) -> impl Iterator<Item = bool> + '_ {
        (0..self.len).map(|i| self.words[i / 64] >> (i % 64) & 1 == 1)
    }

    /// The bits `range` as a new vector.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Self {
        let mut out = Self::with_capacity(range.len());
        for i in range {
            out.push(self.words[i / 64] >> (i % 64) & 1 == 1);
        }
        out
    }

    /// Bytes of memory held.
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    /// Every index `i > 0` where bit `i` differs from bit `i - 1`, in order, found a word
    /// at a time; `None` once there are more than `limit` (a bit that toggles that often is
    /// better scanned where it is shown).
    pub fn changes(&self, limit: usize) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        let mut previous = self.get(0)?;
        for (w, &word) in self.words.iter().enumerate() {
            let base = w * 64;
            let valid = (self.len - base).min(64);
            let mask = if valid == 64 { u64::MAX } else { (1u64 << valid) - 1 };
            // Bit k of `shifted` is bit k-1 of this word (bit 0: the previous word's last).
            let shifted = (word << 1) | u64::from(previous);
            let mut diff = (word ^ shifted) & mask;
            while diff != 0 {
                let k = diff.trailing_zeros() as usize;
                if base + k > 0 {
                    out.push(base + k);
                    if out.len() > limit {
                        return None;
                    }
                }
                diff &= diff - 1;
            }
            previous = (word >> (valid - 1)) & 1 == 1;
        }
        Some(out)
    }
}

impl FromIterator<bool> for Bits {
    fn from_iter<T: IntoIterator<Item = bool>>(iter: T) -> Self {
        let iter = iter.into_iter();
        let mut bits = Self::with_capacity(iter.size_hint().0);
        for bit in iter {
            bits.push(bit);
        }
        bits
    }
}

/// A channel's samples: `f32` for analog (NaN marks a missing sample), bits for digital.
#[derive(Debug, Clone, PartialEq)]
pub enum Samples {
    Analog(Vec<f32>),
    Digital(Bits),
}

impl Samples {
    /// Number of samples.
    pub fn len(&self) -> usize {
        match self {
            Self::Analog(v) => v.len(),
            Self::Digital(b) => b.len(),
        }
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One channel of a capture.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    /// Engineering unit as recorded (`V`, `kV`, `A`, ...); empty when unknown.
    pub unit: String,
    pub samples: Samples,
}

impl Channel {
    /// An analog channel; the kind is inferred from the unit and name when `kind` is `None`.
    pub fn analog(
        name: impl Into<String>,
        unit: impl Into<String>,
        kind: Option<ChannelKind>,
        values: Vec<f32>,
    ) -> Self {
        let name = name.into();
        let unit = unit.into();
        let kind = kind.unwrap_or_else(|| ChannelKind::infer(&name, &unit));
        Self { name, kind, unit, samples: Samples::Analog(values) }
    }

    /// A digital (status) channel.
    pub fn digital(name: impl Into<String>, bits: Bits) -> Self {
        Self { name: name.into(), kind: ChannelKind::Digital, unit: String::new(), samples: Samples::Digital(bits) }
    }

    /// The analog samples, or `None` for a digital channel.
    pub fn analog_values(&self) -> Option<&[f32]> {
        match &self.samples {
            Samples::Analog(v) => Some(v),
            Samples::Digital(_) => None,
        }
    }

    /// True for analog channels.
    pub fn is_analog(&self) -> bool {
        matches!(self.samples, Samples::Analog(_))
    }
}

/// How sample times are known.
#[derive(Debug, Clone, PartialEq)]
pub enum Timebase {
    /// Fixed rate: sample `i` is at `i / sample_rate_hz` seconds.
    Fixed { sample_rate_hz: f64 },
    /// Irregular: one time per sample, seconds from the first sample, non-decreasing.
    Irregular { times_s: Vec<f64> },
}

/// The file format a capture came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Parquet,
    Comtrade,
    /// Built in memory (generator, tests).
    Memory,
}

impl Format {
    /// The lower-case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Parquet => "parquet",
            Self::Comtrade => "comtrade",
            Self::Memory => "memory",
        }
    }
}

/// The highest sample rate any reader accepts.
pub const MAX_SAMPLE_RATE_HZ: f64 = 1e9;

/// A set of channels sampled on one clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// Where it came from (file name) or what it is.
    pub name: String,
    pub format: Format,
    /// Absolute UTC time of the first sample, when the source knows it.
    pub start: Option<DateTime<Utc>>,
    pub timebase: Timebase,
    /// Every channel has exactly `sample_count()` samples.
    pub channels: Vec<Channel>,
    /// Nominal line frequency, when the source states it (COMTRADE `lf`).
    pub line_frequency_hz: Option<f64>,
    /// Trigger time in seconds from the first sample, when the source states it.
    pub trigger_s: Option<f64>,
    /// Free-form facts from the source (station, device, revision, ...), in order.
    pub metadata: Vec<(String, String)>,
}

impl Capture {
    /// An empty fixed-rate capture to which channels are added.
    pub fn new(name: impl Into<String>, format: Format, sample_rate_hz: f64) -> Self {
        Self {
            name: name.into(),
            format,
            start: None,
            timebase: Timebase::Fixed { sample_rate_hz },
            channels: Vec::new(),
            line_frequency_hz: None,
            trigger_s: None,
            metadata: Vec::new(),
        }
    }

    /// A copy of everything but the samples: no channels, and a placeholder timebase.
    pub fn clone_header(&self) -> Capture {
        Capture {
            name: self.name.clone(),
            format: self.format,
            start: self.start,
            timebase: Timebase::Fixed { sample_rate_hz: self.sample_rate_hz().unwrap_or(1.0) },
            channels: Vec::new(),
            line_frequency_hz: self.line_frequency_hz,
            trigger_s: self.trigger_s,
            metadata: self.metadata.clone(),
        }
    }

    /// Samples per channel.
    pub fn sample_count(&self) -> usize {
        match (&self.timebase, self.channels.first()) {
            (_, Some(ch)) => ch.samples.len(),
            (Timebase::Irregular { times_s }, None) => times_s.len(),
            (Timebase::Fixed { .. }, None) => 0,
        }
    }

    /// The fixed sample rate, or `None` for irregular time.
    pub fn sample_rate_hz(&self) -> Option<f64> {
        match self.timebase {
            Timebase::Fixed { sample_rate_hz } => Some(sample_rate_hz),
            Timebase::Irregular { .. } => None,
        }
    }

    /// Time of sample `i` in seconds from the first sample.
    pub fn time_s(&self, i: usize) -> f64 {
        match &self.timebase {
            Timebase::Fixed { sample_rate_hz } => i as f64 / sample_rate_hz,
            Timebase::Irregular { times_s } => times_s.get(i).copied().unwrap_or(f64::NAN),
        }
    }

    /// Time span from the first to the last sample, plus one sample period at a fixed rate.
    pub fn duration_s(&self) -> f64 {
        let n = self.sample_count();
        match &self.timebase {
            Timebase::Fixed { sample_rate_hz } => n as f64 / sample_rate_hz,
            Timebase::Irregular { times_s } => match (times_s.first(), times_s.last()) {
                (Some(a), Some(b)) => b - a,
                _ => 0.0,
            },
        }
    }

    /// Index of the first sample at or after `t_s` (clamped to `0..=sample_count`).
    pub fn index_at_or_after(&self, t_s: f64) -> usize {
        let n = self.sample_count();
        match &self.timebase {
            Timebase::Fixed { sample_rate_hz } => {
                let i = (t_s * sample_rate_hz - 1e-9).ceil();
                if i.is_nan() || i <= 0.0 { 0 } else { (i as usize).min(n) }
            }
            Timebase::Irregular { times_s } => times_s.partition_point(|&t| t < t_s),
        }
    }

    /// Number of analog channels.
    pub fn analog_count(&self) -> usize {
        self.channels.iter().filter(|c| c.is_analog()).count()
    }

    /// Number of digital channels.
    pub fn digital_count(&self) -> usize {
        self.channels.len() - self.analog_count()
    }

    /// The index of the channel named `name`.
    pub fn channel_index(&self, name: &str) -> Option<usize> {
        self.channels.iter().position(|c| c.name == name)
    }

    /// The channel with this exact name.
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }

    /// Bytes of sample memory held (analog, digital and time arrays).
    pub fn heap_bytes(&self) -> usize {
        let samples: usize = self
            .channels
            .iter()
            .map(|c| match &c.samples {
                Samples::Analog(v) => v.capacity() * 4,
                Samples::Digital(b) => b.heap_bytes(),
            })
            .sum();
        let times = match &self.timebase {
            Timebase::Irregular { times_s } => times_s.capacity() * 8,
            Timebase::Fixed { .. } => 0,
        };
        samples + times
    }

    /// A copy holding samples `range` of the channels chosen by `keep` (all when `None`).
    pub fn slice(&self, range: std::ops::Range<usize>, keep: Option<&[usize]>) -> Capture {
        let all: Vec<usize> = (0..self.channels.len()).collect();
        let keep = keep.unwrap_or(&all);
        let channels = keep
            .iter()
            .map(|&ci| {
                let ch = &self.channels[ci];
                let samples = match &ch.samples {
                    Samples::Analog(v) => Samples::Analog(v[range.clone()].to_vec()),
                    Samples::Digital(b) => Samples::Digital(b.slice(range.clone())),
                };
                Channel { name: ch.name.clone(), kind: ch.kind, unit: ch.unit.clone(), samples }
            })
            .collect();
        let t0 = if range.start < self.sample_count() { self.time_s(range.start) } else { 0.0 };
        let timebase = match &self.timebase {
            Timebase::Fixed { sample_rate_hz } => Timebase::Fixed { sample_rate_hz: *sample_rate_hz },
            Timebase::Irregular { times_s } => {
                Timebase::Irregular { times_s: times_s[range.clone()].iter().map(|t| t - t0).collect() }
            }
        };
        Capture {
            name: self.name.clone(),
            format: self.format,
            start: self.start.map(|s| s + chrono::Duration::nanoseconds((t0 * 1e9).round() as i64)),
            timebase,
            channels,
            line_frequency_hz: self.line_frequency_hz,
            trigger_s: self.trigger_s.map(|t| t - t0),
            metadata: self.metadata.clone(),
        }
    }

    /// Checks the invariants every reader promises: equal channel lengths, a positive
    /// finite rate, and non-decreasing irregular times of the right length.
    pub fn check_consistent(&self) -> Result<(), String> {
        let n = self.sample_count();
        for ch in &self.channels {
            if ch.samples.len() != n {
                return Err(format!("channel '{}' has {} samples, expected {n}", ch.name, ch.samples.len()));
            }
        }
        self.check_timebase(n)
    }

    /// The time base's part of [`Capture::check_consistent`], for `n` samples.
    pub fn check_timebase(&self, n: usize) -> Result<(), String> {
        match &self.timebase {
            Timebase::Fixed { sample_rate_hz } => {
                if !(sample_rate_hz.is_finite() && *sample_rate_hz > 0.0) {
                    return Err(format!("sample rate {sample_rate_hz} Hz is not a positive number"));
                }
                if *sample_rate_hz > MAX_SAMPLE_RATE_HZ {
                    return Err(format!("sample rate {sample_rate_hz} Hz is absurd (more than 1 GHz)"));
                }
            }
            Timebase::Irregular { times_s } => {
                if times_s.len() != n {
                    return Err(format!("{} time stamps for {n} samples", times_s.len()));
                }
                if let Some(i) = times_s.windows(2).position(|w| w[0].partial_cmp(&w[1]).is_none_or(|o| o.is_gt())) {
                    return Err(format!("time goes backwards at sample {}", i + 1));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_changes_are_found_a_word_at_a_time() {
        for n in [1usize, 63, 64, 65, 130, 1000] {
            let bits: Bits = (0..n).map(|i| (i * 7 / 5 + i / 63) % 3 == 0).collect();
            let expected: Vec<usize> = (1..n).filter(|&i| bits.get(i) != bits.get(i - 1)).collect();
            assert_eq!(bits.changes(usize::MAX), Some(expected.clone()), "{n} bits");
            if expected.len() > 2 {
                assert_eq!(bits.changes(2), None, "over the limit");
            }
        }
        assert_eq!(Bits::default().changes(10), None);
    }
}
