//! Archive reanalysis: one capture file in, the rows of the batch dataset out.
//!
//! [`process_file`] is the unit of work that `panelscope batch`, the Python package and the
//! Ray engine all run: it hashes the capture's bytes, reads it, detects its events and,
//! with an install configuration beside it, measures each circuit. A capture that cannot
//! be read becomes an `error` row naming the file and the place; nothing here fails.
//!
//! The dataset (`DIR/captures/*.parquet`, `DIR/events/*.parquet`) is written by
//! [`dataset`]; [`table`] turns rows into Arrow record batches; [`compare`] sets two
//! datasets side by side.

pub mod compare;
pub mod dataset;
pub mod table;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::analysis::events::{DetectOptions, Event, detect};
use crate::analysis::units::unit_scale;
use crate::capture::{self, Capture, ChannelKind, Timebase};
use crate::panel::InstallConfig;

/// Bumped whenever a change to reading, detection or measurement can change a row: a new
/// version is analysed again, an old one is kept beside it.
pub const ALGORITHM_VERSION: u32 = 1;

/// What the batch runs, and so what its rows depend on.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchOptions {
    pub detect: DetectOptions,
}

impl BatchOptions {
    /// The `version` column: the core's release and [`ALGORITHM_VERSION`], plus a short hash
    /// of the detection options when they are not the defaults (`0.1.0+a1`,
    /// `0.1.0+a1.o1a2b3c4d`). Two runs share a version exactly when they compute the same rows.
    pub fn version(&self) -> String {
        let base = format!("{}+a{ALGORITHM_VERSION}", env!("CARGO_PKG_VERSION"));
        if self.detect == DetectOptions::default() {
            return base;
        }
        let options = serde_json::to_string(&self.detect).unwrap_or_default();
        format!("{base}.o{}", &blake3::hash(options.as_bytes()).to_hex()[..9])
    }
}

/// One row of `captures`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaptureRow {
    /// A hash of the content, the version and the install configuration used: the row's
    /// identity, and the name of its files in the dataset.
    pub capture_id: String,
    pub path: String,
    /// BLAKE3 of the capture's bytes (a COMTRADE `.cfg` then its `.dat`), hex; `None` when
    /// the file could not be read at all.
    pub content_hash: Option<String>,
    pub version: String,
    /// `ok` or `error`.
    pub status: &'static str,
    /// For `error`: the message `panelscope` prints, naming the file and the place.
    pub error: Option<String>,
    pub bytes: Option<u64>,
    pub format: Option<String>,
    pub sample_count: Option<u64>,
    pub sample_rate_hz: Option<f64>,
    pub duration_s: Option<f64>,
    /// Absolute time of the first sample, RFC 3339, when the file gives it.
    pub start: Option<String>,
    pub channels: Vec<ChannelRow>,
    pub event_count: Option<u32>,
    pub frequency_hz: Option<f64>,
    pub nominal_frequency_hz: Option<f64>,
    /// What detection or measurement could not do, and why.
    pub warnings: Vec<String>,
    /// The install configuration beside the capture that named its circuits.
    pub install_config: Option<String>,
    /// Per circuit of that configuration (empty without one).
    pub circuits: Vec<CircuitRow>,
}

/// A channel of a capture, as `info --json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelRow {
    pub name: String,
    pub kind: String,
    pub unit: String,
}

/// One circuit's figures over a capture, from its current channels and their phases'
/// voltages (signs and multipliers of the configuration applied).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CircuitRow {
    pub label: String,
    pub slot: String,
    /// Its phases, e.g. `A` or `A,B`.
    pub phases: String,
    /// Its current channels found in the capture.
    pub channels: Vec<String>,
    /// Mean active power over whole cycles, W; `None` when no channel could be measured.
    pub mean_w: Option<f64>,
    /// The highest one-cycle active power, W.
    pub peak_w: Option<f64>,
    /// `mean_w` over the capture's duration, Wh.
    pub energy_wh: Option<f64>,
    /// Active over apparent power (summed over its channels).
    pub pf: Option<f64>,
}

/// One row of `events`: an event of `events --json` with the capture it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub capture_id: String,
    pub path: String,
    pub content_hash: Option<String>,
    pub version: String,
    #[serde(flatten)]
    pub event: Event,
    /// With an install configuration: the circuit the channel senses.
    pub circuit: Option<String>,
    /// With an install configuration: its phase.
    pub phase: Option<String>,
}

/// Everything the batch writes for one capture file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Processed {
    pub capture: CaptureRow,
    pub events: Vec<EventRow>,
}

/// The identity of a capture's rows: `content` hashed with the version and the install
/// configuration's bytes (32 hex digits).
pub fn capture_id(content: &str, version: &str, config: Option<&[u8]>) -> String {
    let mut h = blake3::Hasher::new();
    h.update(content.as_bytes()).update(b"\0").update(version.as_bytes()).update(b"\0");
    if let Some(config) = config {
        h.update(blake3::hash(config).as_bytes());
    }
    h.finalize().to_hex()[..32].to_string()
}

/// BLAKE3 of the files a capture is read from ([`capture::source_files`]), in order, and
/// their total size.
pub fn content_hash(path: &Path) -> std::io::Result<(String, u64)> {
    let mut hasher = blake3::Hasher::new();
    for file in capture::source_files(path) {
        let f = std::fs::File::open(&file).map_err(|e| named(&file, e))?;
        hasher.update_reader(f).map_err(|e| named(&file, e))?;
    }
    Ok((hasher.finalize().to_hex().to_string(), hasher.count()))
}

fn named(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// The install configuration that applies to a capture at `path`: `STEM.install.json` (or
/// `.ron`) beside it, else `install.json` / `install.ron` in its folder, else the folder's
/// only `*.install.json` / `*.install.ron`.
pub fn install_config_beside(path: &Path) -> Option<PathBuf> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    for name in
        [format!("{stem}.install.json"), format!("{stem}.install.ron"), "install.json".into(), "install.ron".into()]
    {
        let candidate = dir.join(name);
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
            (name.ends_with(".install.json") || name.ends_with(".install.ron")) && p.is_file()
        })
        .collect();
    found.sort();
    (found.len() == 1).then(|| found.remove(0))
}

/// What [`process_file`] needs besides the path.
#[derive(Debug, Clone, Default)]
pub struct Job {
    /// The capture, as it is to appear in the `path` column (a local path or a URI).
    pub path: String,
    /// Where to read it (the same as `path` for local files; a local copy for a URI).
    pub local: PathBuf,
    /// Its content hash, when already known (the CLI hashes first to skip what is done).
    pub content_hash: Option<(String, u64)>,
}

impl Job {
    /// A job for a local file.
    pub fn local(path: &Path) -> Self {
        Self { path: path.display().to_string(), local: path.to_path_buf(), content_hash: None }
    }
}

/// The identity of a job's rows before reading the capture: its content hash and size (or
/// the reason it cannot be read), and the install configuration beside it with its bytes.
pub struct Identity {
    pub capture_id: String,
    pub content: Result<(String, u64), String>,
    pub config: Option<(PathBuf, Vec<u8>)>,
}

/// Hashes `job`'s capture and finds its install configuration.
pub fn identify(job: &Job, options: &BatchOptions) -> Identity {
    let version = options.version();
    let content = match &job.content_hash {
        Some(known) => Ok(known.clone()),
        None => content_hash(&job.local).map_err(|e| e.to_string()),
    };
    let config = install_config_beside(&job.local).and_then(|p| std::fs::read(&p).ok().map(|b| (p, b)));
    let capture_id = match &content {
        Ok((hash, _)) => capture_id(hash, &version, config.as_ref().map(|(_, b)| b.as_slice())),
        // Unreadable: one row per path, written again by every run until it can be read.
        Err(_) => capture_id(&format!("path:{}", job.path), &version, None),
    };
    Identity { capture_id, content, config }
}

/// Reads, analyses and measures one capture. Never fails: what cannot be read is an
/// `error` row.
pub fn process_file(job: &Job, options: &BatchOptions) -> Processed {
    process_identified(job, identify(job, options), options)
}

/// [`process_file`] once the job is identified.
pub fn process_identified(job: &Job, identity: Identity, options: &BatchOptions) -> Processed {
    let version = options.version();
    let mut row = CaptureRow {
        capture_id: identity.capture_id.clone(),
        path: job.path.clone(),
        content_hash: identity.content.as_ref().ok().map(|(h, _)| h.clone()),
        version: version.clone(),
        status: "ok",
        error: None,
        bytes: identity.content.as_ref().ok().map(|(_, b)| *b),
        format: None,
        sample_count: None,
        sample_rate_hz: None,
        duration_s: None,
        start: None,
        channels: Vec::new(),
        event_count: None,
        frequency_hz: None,
        nominal_frequency_hz: None,
        warnings: Vec::new(),
        install_config: None,
        circuits: Vec::new(),
    };
    let fail = |mut row: CaptureRow, message: String| {
        row.status = "error";
        row.error = Some(as_named(job, message));
        Processed { capture: row, events: Vec::new() }
    };
    if let Err(message) = &identity.content {
        return fail(row, message.clone());
    }
    let capture = match crate::capture::read(&job.local) {
        Ok(c) => c,
        Err(e) => return fail(row, e.to_string()),
    };
    row.format = Some(capture.format.as_str().to_string());
    row.sample_count = Some(capture.sample_count() as u64);
    row.sample_rate_hz = capture.sample_rate_hz();
    row.duration_s = Some(capture.duration_s());
    row.start = capture.start.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    row.channels = capture
        .channels
        .iter()
        .map(|c| ChannelRow { name: c.name.clone(), kind: c.kind.as_str().to_string(), unit: c.unit.clone() })
        .collect();
    let detection = match detect(&capture, &options.detect) {
        Ok(d) => d,
        Err(e) => return fail(row, format!("{}: {e}", job.path)),
    };
    row.frequency_hz = Some(detection.frequency_hz).filter(|f| f.is_finite());
    row.nominal_frequency_hz = detection.nominal_frequency_hz;
    row.warnings = detection.warnings.clone();
    row.event_count = Some(u32::try_from(detection.events.len()).unwrap_or(u32::MAX));
    let mut roles = Vec::new();
    if let Some((config_path, bytes)) = &identity.config {
        match parse_config(config_path, bytes) {
            Ok(config) if applies(&config, &capture) => {
                // Named beside the capture as the `path` column names it (a URI stays a URI).
                let name = config_path.file_name().unwrap_or_default();
                row.install_config = Some(Path::new(&job.path).with_file_name(name).display().to_string());
                row.circuits = circuit_figures(&capture, &config, row.frequency_hz);
                roles = config.channel_roles();
            }
            Ok(_) => {}
            Err(e) => row.warnings.push(format!("install configuration not used: {e}")),
        }
    }
    let events = detection
        .events
        .into_iter()
        .map(|event| {
            let role = roles.iter().find(|r| r.channel == event.channel);
            EventRow {
                capture_id: row.capture_id.clone(),
                path: row.path.clone(),
                content_hash: row.content_hash.clone(),
                version: version.clone(),
                circuit: role.map(|r| r.label.clone()),
                phase: role.map(|r| format!("{:?}", r.phase)),
                event,
            }
        })
        .collect();
    Processed { capture: row, events }
}

/// `message` with the capture's files named as the rows name the capture (its URI or the
/// path given, not a worker's copy or an absolute path).
fn as_named(job: &Job, message: String) -> String {
    let local = job.local.display().to_string();
    if local == job.path {
        return message;
    }
    let message = message.replace(&local, &job.path);
    let folder = |p: &str| Path::new(p).parent().map(|d| d.display().to_string()).filter(|d| !d.is_empty());
    match (folder(&local), folder(&job.path)) {
        (Some(from), Some(to)) if from != to => message.replace(&format!("{from}/"), &format!("{to}/")),
        (Some(from), None) => message.replace(&format!("{from}/"), ""),
        _ => message,
    }
}

/// Parses the bytes that were hashed into the id, not the file read again.
fn parse_config(path: &Path, bytes: &[u8]) -> Result<InstallConfig, String> {
    crate::panel::parse_install_config_of(&String::from_utf8_lossy(bytes), path).map_err(|e| e.to_string())
}

/// A configuration applies to a capture that has at least one of its channels.
fn applies(config: &InstallConfig, capture: &Capture) -> bool {
    let mut names = config.circuits.iter().flat_map(|c| c.channels.iter().map(|ch| ch.channel.as_str()));
    names.any(|n| capture.channel(n).is_some()) || config.mains.iter().any(|m| capture.channel(&m.channel).is_some())
}

/// Each circuit's mean and peak (one-cycle) active power, energy and power factor over the
/// whole capture: every current channel of the circuit times its phase's voltage, with the
/// configuration's sign and multiplier, over whole cycles of `frequency_hz`.
pub fn circuit_figures(capture: &Capture, config: &InstallConfig, frequency_hz: Option<f64>) -> Vec<CircuitRow> {
    let rate = match capture.timebase {
        Timebase::Fixed { sample_rate_hz } => Some(sample_rate_hz),
        _ => None,
    };
    let period = rate.zip(frequency_hz.filter(|f| *f > 0.0)).map(|(r, f)| r / f).filter(|p| *p >= 2.0);
    let voltage_of = |phase, given: &Option<String>| {
        given.clone().or_else(|| config.voltages.iter().find(|v| v.phase == phase).map(|v| v.channel.clone()))
    };
    config
        .circuits
        .iter()
        .map(|circuit| {
            let mut cycles: Vec<f64> = Vec::new();
            let (mut apparent, mut channels, mut measured) = (0.0f64, Vec::new(), 0usize);
            for ch in &circuit.channels {
                let Some(current) = capture.channel(&ch.channel) else { continue };
                channels.push(ch.channel.clone());
                let (Some(period), Some(i)) = (period, current.analog_values()) else { continue };
                if current.kind != ChannelKind::Current {
                    continue;
                }
                let Some(voltage) = voltage_of(ch.phase, &ch.voltage_channel).and_then(|n| capture.channel(&n)) else {
                    continue;
                };
                let Some(v) = voltage.analog_values() else { continue };
                let scale = unit_scale(&voltage.unit, "V") * unit_scale(&current.unit, "A");
                let factor = scale * ch.sign * circuit.multiplier;
                let n = v.len().min(i.len());
                let count = (n as f64 / period).floor() as usize;
                if count == 0 {
                    continue;
                }
                cycles.resize(cycles.len().max(count), 0.0);
                let (mut vv, mut ii, mut samples) = (0.0f64, 0.0f64, 0usize);
                for (k, cycle) in cycles.iter_mut().enumerate().take(count) {
                    let (a, b) = ((k as f64 * period).round() as usize, (((k + 1) as f64) * period).round() as usize);
                    let (mut vi, mut m) = (0.0f64, 0usize);
                    for (&x, &y) in v[a..b.min(n)].iter().zip(&i[a..b.min(n)]) {
                        let (x, y) = (f64::from(x), f64::from(y));
                        if x.is_finite() && y.is_finite() {
                            vi += x * y;
                            vv += x * x;
                            ii += y * y;
                            m += 1;
                        }
                    }
                    if m > 0 {
                        *cycle += vi / m as f64 * factor;
                    }
                    samples += m;
                }
                if samples > 0 {
                    apparent +=
                        (vv / samples as f64).sqrt() * (ii / samples as f64).sqrt() * scale * circuit.multiplier.abs();
                    measured += 1;
                }
            }
            let mean_w = (measured > 0 && !cycles.is_empty()).then(|| cycles.iter().sum::<f64>() / cycles.len() as f64);
            CircuitRow {
                label: circuit.label.clone(),
                slot: circuit.slot.clone(),
                phases: circuit.phases.iter().map(|p| format!("{p:?}")).collect::<Vec<_>>().join(","),
                channels,
                mean_w,
                peak_w: mean_w.and_then(|_| cycles.iter().copied().reduce(f64::max)),
                energy_wh: mean_w.map(|p| p * capture.duration_s() / 3600.0),
                pf: mean_w.filter(|_| apparent > 0.0).map(|p| (p / apparent).clamp(-1.0, 1.0)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
