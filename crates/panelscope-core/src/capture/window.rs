//! Time windows of a capture, as `--from`/`--to` (and the GUI's selections) give them.

use std::ops::Range;

use super::Capture;

/// Why a time window selects nothing from a capture.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WindowError {
    /// The start is negative or not a number.
    #[error("window from {from_s} s: the start must be a time of 0 s or later")]
    BeforeStart { from_s: f64 },
    /// The end is not after the start.
    #[error("window {from_s} s to {to_s} s: the end must be after the start")]
    Reversed { from_s: f64, to_s: f64 },
    /// The start is at or after the last sample.
    #[error("window from {from_s} s: starts past the end of the capture ({duration_s} s)")]
    PastEnd { from_s: f64, duration_s: f64 },
    /// The window falls between two samples.
    #[error("window {from_s} s to {to_s} s holds no sample")]
    Empty { from_s: f64, to_s: f64 },
}

/// A channel asked for by name that the capture does not have.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("no channel named '{name}'; the capture has: {known}")]
pub struct UnknownChannel {
    pub name: String,
    /// The capture's channel names, comma separated.
    pub known: String,
}

impl Capture {
    /// Indices of the named channels, in the order given; every channel for an empty list.
    pub fn channel_indices(&self, names: &[String]) -> Result<Vec<usize>, UnknownChannel> {
        if names.is_empty() {
            return Ok((0..self.channels.len()).collect());
        }
        names
            .iter()
            .map(|name| {
                self.channels.iter().position(|c| c.name == *name).ok_or_else(|| UnknownChannel {
                    name: name.clone(),
                    known: self.channels.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "),
                })
            })
            .collect()
    }

    /// The sample indices from `from_s` (default: the first sample) up to, not including,
    /// `to_s` (default: the end; an end past the capture is the end), in seconds from the
    /// first sample.
    pub fn window(&self, from_s: Option<f64>, to_s: Option<f64>) -> Result<Range<usize>, WindowError> {
        let from_s = from_s.unwrap_or(0.0);
        let to_s = to_s.unwrap_or(f64::INFINITY);
        if !(from_s.is_finite() && from_s >= 0.0) {
            return Err(WindowError::BeforeStart { from_s });
        }
        if to_s.is_nan() || to_s <= from_s {
            return Err(WindowError::Reversed { from_s, to_s });
        }
        let duration_s = self.duration_s();
        if from_s >= duration_s {
            return Err(WindowError::PastEnd { from_s, duration_s });
        }
        let lo = self.index_at_or_after(from_s);
        let hi = if to_s.is_finite() { self.index_at_or_after(to_s) } else { self.sample_count() };
        if hi <= lo {
            return Err(WindowError::Empty { from_s, to_s });
        }
        Ok(lo..hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Channel, Format, Timebase};

    #[test]
    fn windows_and_bad_windows() {
        let mut c = Capture::new("t", Format::Memory, 100.0);
        c.channels.push(Channel::analog("V_A", "V", None, vec![0.0; 200]));
        assert_eq!(c.window(None, None), Ok(0..200));
        assert_eq!(c.window(Some(0.5), Some(1.0)), Ok(50..100));
        assert_eq!(c.window(Some(1.5), Some(9.0)), Ok(150..200));
        assert!(matches!(c.window(Some(-1.0), None), Err(WindowError::BeforeStart { .. })));
        assert!(matches!(c.window(Some(f64::NAN), None), Err(WindowError::BeforeStart { .. })));
        assert!(matches!(c.window(Some(1.0), Some(1.0)), Err(WindowError::Reversed { .. })));
        assert!(matches!(c.window(None, Some(f64::NAN)), Err(WindowError::Reversed { .. })));
        assert!(matches!(c.window(Some(2.0), None), Err(WindowError::PastEnd { .. })));
        assert!(matches!(c.window(Some(0.501), Some(0.505)), Err(WindowError::Empty { .. })));
        let text = c.window(Some(5.0), Some(6.0)).unwrap_err().to_string();
        assert!(text.contains("past the end") && text.contains("window"), "{text}");
        c.timebase = Timebase::Irregular { times_s: (0..200).map(|i| i as f64 * 0.01).collect() };
        assert_eq!(c.window(Some(0.5), Some(1.0)), Ok(50..100));
    }
}
