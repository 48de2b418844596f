//! The work behind the explorer's and the editor's effects: loading and indexing a
//! capture, detection, measurements, install configurations, project files, autosaves and
//! the token file. Plain functions, run by [`super::Tasks`] on worker threads.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use rayon::prelude::*;

use crate::analysis::cycles::cycle_rms;
use crate::analysis::events::{DetectOptions, Detection, detect};
use crate::analysis::measure::{MeasureReport, measure_report_paired};
use crate::app::message::TaskMessage;
use crate::app::state::{LoadStage, OpenCapture, Span, Trend};
use crate::capture::{self, Capture, ChannelKind, PendingFile, Samples};
use crate::panel::{InstallConfig, Project};

/// Bytes on disk of a capture file (both files of a COMTRADE pair).
pub fn capture_bytes(path: &Path) -> Option<u64> {
    let main = std::fs::metadata(path).ok()?.len();
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    let dat = match ext.as_deref() {
        Some("cfg") => ["dat", "DAT"].iter().find_map(|e| std::fs::metadata(path.with_extension(e)).ok()),
        _ => None,
    };
    Some(main + dat.map_or(0, |m| m.len()))
}

/// Reads a capture, detects its events and indexes it; `None` when cancelled on the way.
///
/// Detection comes before the index so that its half-cycle series (0.24 B per sample at
/// 10 kHz and 60 Hz) are freed before the pyramid (0.29 B) is built: the other way round
/// the two met at the peak, 4.55-4.63 B per sample for a large file.
pub fn load(id: u64, path: PathBuf, stage: &AtomicU8, cancelled: &AtomicBool) -> Option<TaskMessage> {
    let is_cancelled = || cancelled.load(Ordering::Relaxed);
    Some(match capture::read(&path) {
        Ok(_) if is_cancelled() => return None,
        Ok(capture) => {
            stage.store(LoadStage::Detecting as u8, Ordering::Relaxed);
            let (result, trends) = detection(&capture);
            if is_cancelled() {
                return None;
            }
            stage.store(LoadStage::Indexing as u8, Ordering::Relaxed);
            let mut open = OpenCapture::build_with(id, path, capture, &is_cancelled)?;
            open.take_detection(result, trends);
            match crate::app::notes::load(&open.path) {
                Ok(notes) => open.notes = notes,
                Err(e) => open.notes_error = Some(e),
            }
            TaskMessage::CaptureLoaded(Box::new(open))
        }
        Err(e) => TaskMessage::LoadFailed { id, path, error: e.to_string() },
    })
}

/// Detects the events of a capture, and the one-cycle RMS trend of its voltages and
/// currents.
pub fn detect_events(id: u64, capture: &Capture) -> TaskMessage {
    let (result, trends) = detection(capture);
    TaskMessage::EventsDetected { id, result, trends }
}

/// The events of a capture and, per channel, its one-cycle RMS trend (voltages and
/// currents; none when detection failed or the rate is not fixed).
fn detection(capture: &Capture) -> (Result<Detection, String>, Vec<Option<Trend>>) {
    let result: Result<Detection, String> = detect(capture, &DetectOptions::default()).map_err(|e| e.to_string());
    let trends = match (&result, capture.sample_rate_hz()) {
        (Ok(d), Some(rate)) => capture
            .channels
            .par_iter()
            .map(|c| match (&c.samples, c.kind) {
                (Samples::Analog(v), ChannelKind::Voltage | ChannelKind::Current) => {
                    Some(Trend::new(cycle_rms(v, rate, d.frequency_hz)))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    (result, trends)
}

/// Measures the span between the cursors; with an install configuration, currents pair
/// with their phase's voltage and each phase's balance comes with it.
pub fn measure(id: u64, capture: &Capture, config: Option<&InstallConfig>, span: Span) -> TaskMessage {
    let (from, to) = (Some(span.from_s.max(0.0)), Some(span.to_s.min(capture.duration_s())));
    let report: Result<MeasureReport, _> = match config {
        Some(config) => config.measure(capture, from, to),
        None => measure_report_paired(capture, from, to, &[]),
    };
    TaskMessage::ReadoutReady { id, span, result: report.map(Box::new).map_err(|e| e.to_string()) }
}

/// Reads an install configuration (or a panel project's) and refuses one with errors.
pub fn read_install_config(id: u64, path: PathBuf) -> TaskMessage {
    let read = crate::panel::load_config_or_project(&path).map(|(config, _)| config);
    let result = read.map_err(|e| e.to_string()).and_then(|config| {
        let problems = config.validate();
        match problems.errors.first() {
            Some(f) => Err(format!("{}: {} ({} errors)", path.display(), f.message, problems.errors.len())),
            None => Ok(config),
        }
    });
    TaskMessage::InstallConfigRead { id, path, result }
}

/// Reads a project for the editor, with the autosave a crash left if it is newer and
/// different.
pub fn read_project(path: PathBuf, autosave: &Path, select: Option<String>) -> TaskMessage {
    let result = Project::load(&path).map_err(|e| e.to_string()).map(|project| {
        let recovered = recovery(&project, Some(&path), autosave);
        Box::new((project, recovered))
    });
    TaskMessage::ProjectRead { path, select, result }
}

/// An autosaved version newer than the file (if any) and different from `project`.
pub fn recovery(project: &Project, path: Option<&Path>, autosave: &Path) -> Option<Project> {
    let saved = std::fs::metadata(autosave).ok()?.modified().ok()?;
    if let Some(path) = path
        && std::fs::metadata(path).ok()?.modified().ok()? > saved
    {
        return None;
    }
    Project::load(autosave).ok().filter(|p| p != project)
}

/// Writes text atomically (a temporary file, synced, then renamed).
pub fn write_text(path: &Path, text: &str) -> Result<(), String> {
    crate::panel::write_atomic(path, text).map_err(|e| e.to_string())
}

/// Writes the token where only the user can read it (atomically), or removes it.
pub fn keep_token(path: &Path, token: Option<&str>) -> Result<(), String> {
    use std::io::Write;
    let failed = |e: &dyn std::fmt::Display| format!("{}: cannot keep the token: {e}", path.display());
    let Some(token) = token else {
        return match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed(&e)),
            _ => Ok(()),
        };
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| failed(&e))?;
    }
    let mut file = PendingFile::create_private(path).map_err(|e| failed(&e))?;
    file.write_all(token.as_bytes()).map_err(|e| failed(&e))?;
    file.commit().map_err(|e| failed(&e))
}

/// The remembered token, if any.
pub fn read_token(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_file_is_private_and_removable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("server-token");
        keep_token(&path, Some("s3cret")).unwrap();
        assert_eq!(read_token(&path).as_deref(), Some("s3cret"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        keep_token(&path, None).unwrap();
        assert!(!path.exists());
        keep_token(&path, None).unwrap();
        assert_eq!(std::fs::read_dir(dir.path().join("sub")).unwrap().count(), 0, "no temporary file left");
    }
}
