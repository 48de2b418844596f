//! The HTTP API (DESIGN.md, "HTTP API"): the documents both ends exchange, the windowed
//! read they share, the server (`panelscope serve`, axum) and the client (reqwest).
//!
//! Every document here is plain serde; the server and the client never build JSON by hand,
//! so the two cannot drift apart.

mod catalog;
pub mod client;
pub mod server;
mod window;

use serde::{Deserialize, Serialize};

pub use crate::info::{CaptureInfo, ChannelInfo};
pub use window::{DEFAULT_MAX_POINTS, MAX_MAX_POINTS, WindowQuery, window};

/// Where every route lives.
pub const PREFIX: &str = "/api/v1";

/// The port `serve` listens on unless told otherwise.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7878";

/// Where clients look when told nothing else: a server on this machine.
pub const DEFAULT_URL: &str = "http://127.0.0.1:7878";

/// `GET /api/v1/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
    /// Whether the server asks for a token (it always does for writes).
    #[serde(default)]
    pub auth: bool,
}

/// One entry of `GET /api/v1/captures`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaptureSummary {
    /// Opaque: never a path.
    pub id: String,
    /// The file name, relative to the served directory (`/` separated).
    pub name: String,
    pub format: String,
    /// Bytes on disk, companion files included (a COMTRADE `.dat`).
    pub bytes: u64,
    pub sample_rate_hz: Option<f64>,
    pub duration_s: f64,
    /// Number of channels (analog and digital).
    pub channels: usize,
    /// Samples per channel.
    #[serde(default)]
    pub sample_count: usize,
    /// The file's modification time (RFC 3339).
    #[serde(default)]
    pub modified: Option<String>,
    /// The parts `file?part=` serves: `main`, and `dat` for a `.cfg` + `.dat` pair.
    #[serde(default)]
    pub parts: Vec<String>,
}

/// `GET /api/v1/captures/{id}/window`: the samples of a time window, decimated when there
/// are more than `max_points`.
///
/// Undecimated, `time_s` holds each sample's time. Decimated, the window is cut into
/// `max_points / 2` buckets of equal sample count, and each channel gets two values per
/// bucket: its minimum and maximum in the order they occur, placed at the bucket's first
/// and middle sample times. Every extreme is exact in value; `null` stands for a missing
/// sample (or a bucket with none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Window {
    /// The window's first sample time and the end of the window (seconds from the capture's
    /// first sample).
    pub from_s: f64,
    pub to_s: f64,
    /// Samples per channel in the window, before decimation.
    pub sample_count: usize,
    pub decimated: bool,
    /// Shared by every channel.
    pub time_s: Vec<f64>,
    pub channels: Vec<WindowChannel>,
}

/// One channel of a [`Window`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowChannel {
    pub name: String,
    pub kind: String,
    pub unit: String,
    /// Digital channels carry 0 and 1.
    pub values: Vec<Option<f32>>,
}

/// One entry of `GET /api/v1/panels`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelSummary {
    pub id: String,
    /// The panel's own name (from the project).
    pub name: String,
    /// The project file's modification time (RFC 3339).
    pub updated: Option<String>,
    /// The project file, relative to the served directory.
    #[serde(default)]
    pub file: String,
    /// Whether an install configuration is stored beside it.
    #[serde(default)]
    pub has_install_config: bool,
}

/// The answer to a valid `PUT /api/v1/panels/{id}/install-config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    pub status: String,
    /// Warnings of the validation (errors would have refused the upload).
    #[serde(default)]
    pub warnings: Vec<crate::panel::Finding>,
    /// Whether an earlier version was kept (as `NAME.install.prev.json`).
    #[serde(default)]
    pub kept_previous: bool,
}

/// Every error the server answers: `{"error": "..."}`, with the validation findings of a
/// refused install configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<crate::panel::Finding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<crate::panel::Finding>,
}

/// Reads a token file: one token per line; blank lines and `#` comments are skipped.
pub fn read_token_file(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("{}: cannot read the token file", path.display()))?;
    let tokens: Vec<String> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect();
    if let Some((line, _)) =
        text.lines().map(str::trim).enumerate().find(|(_, l)| {
            !l.is_empty() && !l.starts_with('#') && l.chars().any(|c| c.is_whitespace() || c.is_control())
        })
    {
        anyhow::bail!("{}: line {}: a token cannot contain spaces", path.display(), line + 1);
    }
    if tokens.is_empty() {
        anyhow::bail!("{}: no token in the file (one per line; # starts a comment)", path.display());
    }
    Ok(tokens)
}
