//! The description of a capture: the document behind `panelscope info --json` and
//! `GET /api/v1/captures/{id}` (DESIGN.md). One type, so the CLI and the server cannot
//! drift apart.

use serde::{Deserialize, Serialize};

use crate::analysis::stats::{Stats, stats};
use crate::capture::{Capture, Samples, Scan};

/// A channel as `info --json` describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelInfo {
    pub name: String,
    pub kind: String,
    pub unit: String,
    /// Over the whole capture, when statistics were asked for (analog channels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rms: Option<f64>,
}

/// The fields of `info --json`; the server adds the capture's id and name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureInfo {
    /// The server's opaque id (empty, and not written, outside the server).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The server's name for the file (empty, and not written, outside the server).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub format: String,
    pub sample_count: usize,
    pub sample_rate_hz: Option<f64>,
    pub duration_s: f64,
    /// RFC 3339, or null when the capture has no absolute start.
    pub start: Option<String>,
    pub analog_count: usize,
    pub digital_count: usize,
    pub channels: Vec<ChannelInfo>,
}

impl CaptureInfo {
    /// The description of a capture held in memory, without statistics.
    pub fn of(capture: &Capture) -> Self {
        Self::of_parts(capture, capture.sample_count(), capture.duration_s())
    }

    /// The description of a scan, without statistics (see [`CaptureInfo::with_stats`]).
    pub fn of_scan(scan: &Scan) -> Self {
        Self::of_parts(&scan.capture, scan.sample_count, scan.duration_s())
    }

    /// The description of `capture` with `sample_count` samples over `duration_s`.
    fn of_parts(capture: &Capture, sample_count: usize, duration_s: f64) -> Self {
        Self {
            id: String::new(),
            name: String::new(),
            format: capture.format.as_str().to_string(),
            sample_count,
            sample_rate_hz: capture.sample_rate_hz(),
            duration_s,
            start: capture.start.map(|s| s.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            analog_count: capture.analog_count(),
            digital_count: capture.digital_count(),
            channels: capture
                .channels
                .iter()
                .map(|c| ChannelInfo {
                    name: c.name.clone(),
                    kind: c.kind.as_str().to_string(),
                    unit: c.unit.clone(),
                    min: None,
                    max: None,
                    mean: None,
                    rms: None,
                })
                .collect(),
        }
    }

    /// Adds each analog channel's statistics (`stats[i]` for channel `i`; `None` for a
    /// digital channel or one with no sample).
    pub fn with_stats(mut self, stats: &[Option<Stats>]) -> Self {
        for (c, s) in self.channels.iter_mut().zip(stats) {
            if let Some(s) = s {
                (c.min, c.max, c.mean, c.rms) = (Some(s.min), Some(s.max), Some(s.mean), Some(s.rms));
            }
        }
        self
    }

    /// The statistics carried per channel.
    pub fn stats(&self) -> Vec<Option<Stats>> {
        self.channels
            .iter()
            .map(|c| match (c.min, c.max, c.mean, c.rms) {
                (Some(min), Some(max), Some(mean), Some(rms)) => Some(Stats { count: 0, min, max, mean, rms }),
                _ => None,
            })
            .collect()
    }
}

/// Statistics of every analog channel over the whole capture (`None` for digital channels
/// and channels with no sample).
pub fn channel_stats(capture: &Capture) -> Vec<Option<Stats>> {
    capture
        .channels
        .iter()
        .map(|c| match &c.samples {
            Samples::Analog(v) => stats(v),
            Samples::Digital(_) => None,
        })
        .collect()
}
