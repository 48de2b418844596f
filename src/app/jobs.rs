//! Background work of the explorer: each job runs on its own thread and reports back as a
//! [`Message`], then asks for a repaint.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Instant;

use eframe::egui;
use rayon::prelude::*;

use super::{App, ExportSpan, Message, OpenCapture, Trend, export};
use crate::analysis::cycles::cycle_rms;
use crate::analysis::events::{DetectOptions, detect};
use crate::analysis::lod::Pyramid;
use crate::analysis::measure::measure_report_paired;
use crate::capture::{self, Capture, ChannelKind, Samples};
use crate::panel::InstallConfig;

/// Why a capture shown from a server is not measured or exported here.
pub const REMOTE_NEEDS_SAMPLES: &str =
    "this capture is shown from the server at plot resolution: download it (File > Server...) to measure or export it";

/// Where a load is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LoadStage {
    Reading = 0,
    Indexing = 1,
}

/// A file being loaded: its stage, and a flag that cancels it.
#[derive(Debug)]
pub struct LoadJob {
    pub id: u64,
    pub path: PathBuf,
    /// Size of the file (and of a COMTRADE `.dat` beside it), when known.
    pub bytes: Option<u64>,
    pub started: Instant,
    stage: Arc<AtomicU8>,
    cancelled: Arc<AtomicBool>,
}

impl LoadJob {
    pub fn stage(&self) -> LoadStage {
        if self.stage.load(Ordering::Relaxed) == LoadStage::Indexing as u8 {
            LoadStage::Indexing
        } else {
            LoadStage::Reading
        }
    }

    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

/// Bytes on disk of a capture file (both files of a COMTRADE pair).
fn capture_bytes(path: &std::path::Path) -> Option<u64> {
    let main = std::fs::metadata(path).ok()?.len();
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    let dat = match ext.as_deref() {
        Some("cfg") => ["dat", "DAT"].iter().find_map(|e| std::fs::metadata(path.with_extension(e)).ok()),
        _ => None,
    };
    Some(main + dat.map_or(0, |m| m.len()))
}

impl App {
    /// Sends a message from a worker and wakes the window.
    pub(super) fn reporter(&self) -> impl Fn(Message) + Send + 'static {
        let (tx, ctx) = (self.tx.clone(), self.ctx.clone());
        move |message| {
            let _ = tx.send(message);
            ctx.request_repaint();
        }
    }

    fn spawn(&mut self, name: &str, work: impl FnOnce() + Send + 'static) {
        if let Err(e) = std::thread::Builder::new().name(name.into()).spawn(work) {
            self.errors.push(format!("cannot start {name}: {e}"));
        }
    }

    pub(super) fn spawn_load(&mut self, path: PathBuf) {
        if self.loading.iter().any(|j| j.path == path) {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        let stage = Arc::new(AtomicU8::new(LoadStage::Reading as u8));
        let cancelled = Arc::new(AtomicBool::new(false));
        self.loading.push(LoadJob {
            id,
            path: path.clone(),
            bytes: capture_bytes(&path),
            started: Instant::now(),
            stage: stage.clone(),
            cancelled: cancelled.clone(),
        });
        let report = self.reporter();
        self.spawn("load-capture", move || {
            let is_cancelled = || cancelled.load(Ordering::Relaxed);
            let message = match capture::read(&path) {
                Ok(_) if is_cancelled() => return,
                Ok(capture) => {
                    stage.store(LoadStage::Indexing as u8, Ordering::Relaxed);
                    match OpenCapture::build_with(id, path, capture, &is_cancelled) {
                        Some(open) => Message::CaptureLoaded(Box::new(open)),
                        None => return,
                    }
                }
                Err(e) => Message::LoadFailed { id, path, error: e.to_string() },
            };
            report(message);
        });
    }

    pub(super) fn spawn_detection(&mut self, id: u64, capture: Arc<Capture>) {
        let report = self.reporter();
        self.spawn("detect-events", move || {
            let result = detect(&capture, &DetectOptions::default()).map_err(|e| e.to_string());
            let trends = match (&result, capture.sample_rate_hz()) {
                (Ok(d), Some(rate)) => capture
                    .channels
                    .par_iter()
                    .map(|c| match (&c.samples, c.kind) {
                        (Samples::Analog(v), ChannelKind::Voltage | ChannelKind::Current) => {
                            let rms = cycle_rms(v, rate, d.frequency_hz);
                            let pyramid = Pyramid::build(&rms.values);
                            Some(Trend { rms, pyramid })
                        }
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            report(Message::EventsDetected { id, result, trends });
        });
    }

    /// Measures the span between the cursors in the background (when both are placed).
    pub(super) fn spawn_readout(&mut self) {
        let Some(span_s) = self.cursor_span() else {
            self.readout = None;
            return;
        };
        let Some(open) = self.captures.get(self.selected) else {
            return;
        };
        if open.remote.is_some() {
            self.readout = Some((span_s, Some(Err(REMOTE_NEEDS_SAMPLES.into()))));
            return;
        }
        self.readout = Some((span_s, None));
        let (id, capture, report) = (open.id, open.capture.clone(), self.reporter());
        let config = open.install.as_ref().map(|(_, c)| c.clone());
        self.spawn("measure-cursors", move || {
            let (from, to) = (Some(span_s.0.max(0.0)), Some(span_s.1.min(capture.duration_s())));
            let pairs = config.as_deref().map(InstallConfig::current_pairs).unwrap_or_default();
            let result = measure_report_paired(&capture, from, to, &pairs).map(Box::new).map_err(|e| e.to_string());
            let balances = match (&config, capture.window(from, to)) {
                (Some(config), Ok(range)) => super::install::balances(&capture, config, range),
                _ => Vec::new(),
            };
            report(Message::ReadoutReady { id, span_s, result, balances });
        });
    }

    /// Reads and checks an install configuration for the capture shown.
    pub(super) fn spawn_read_install_config(&mut self, path: PathBuf) {
        let Some(open) = self.captures.get(self.selected) else {
            self.errors.push("open a capture first, then apply its install configuration".into());
            return;
        };
        let (id, report) = (open.id, self.reporter());
        self.spawn("read-install-config", move || {
            let result = crate::panel::load_install_config(&path).map_err(|e| e.to_string()).and_then(|config| {
                let problems = config.validate();
                match problems.errors.first() {
                    Some(f) => Err(format!("{}: {} ({} errors)", path.display(), f.message, problems.errors.len())),
                    None => Ok(config),
                }
            });
            report(Message::InstallConfigRead { id, path, result });
        });
    }

    /// Writes the visible channels over the visible or cursor window, in the format of
    /// `path`'s extension.
    pub(super) fn spawn_export_window(&mut self, span: ExportSpan, path: PathBuf) {
        let Some(open) = self.captures.get(self.selected) else {
            self.errors.push("nothing to export: no capture is open".into());
            return;
        };
        if open.remote.is_some() {
            self.errors.push(REMOTE_NEEDS_SAMPLES.into());
            return;
        }
        let window = match span {
            ExportSpan::Visible => self.view_s,
            ExportSpan::Cursors => self.cursor_span(),
        };
        let Some((from_s, to_s)) = window else {
            self.errors.push(match span {
                ExportSpan::Visible => "nothing to export: no plot is shown".into(),
                ExportSpan::Cursors => "place cursors A and B to export the span between them".into(),
            });
            return;
        };
        let keep: Vec<usize> = (0..open.visible.len()).filter(|&i| open.visible[i]).collect();
        if keep.is_empty() {
            self.errors.push("nothing to export: every channel is hidden".into());
            return;
        }
        let (capture, report) = (open.capture.clone(), self.reporter());
        self.spawn("export-window", move || {
            let from = from_s.max(0.0);
            let to = to_s.min(capture.duration_s());
            report(match export::write_window(&capture, from, to, &keep, &path) {
                Ok(samples) => Message::Done(format!(
                    "exported {samples} samples × {} channels ({from:.6} to {to:.6} s) to {}",
                    keep.len(),
                    path.display()
                )),
                Err(e) => Message::Failed(e),
            });
        });
    }

    pub(super) fn spawn_export_events(&mut self, path: PathBuf) {
        let Some(Some(Ok(d))) = self.captures.get(self.selected).map(|c| c.events.as_ref()) else {
            self.errors.push("no events to export yet".into());
            return;
        };
        let events: Vec<_> = self.listed_events().into_iter().map(|i| d.events[i].clone()).collect();
        let report = self.reporter();
        self.spawn("export-events", move || {
            report(match export::write_events_csv(&events, &path) {
                Ok(()) => Message::Done(format!("exported {} events to {}", events.len(), path.display())),
                Err(e) => Message::Failed(e),
            });
        });
    }

    /// Asks the window for a screenshot; it arrives as [`Message::Screenshot`].
    pub(super) fn request_screenshot(&mut self, path: PathBuf) {
        if self.plots_rect.is_none() {
            self.errors.push("nothing to save: no plot is shown".into());
            return;
        }
        let report = self.reporter();
        self.ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(egui::ScreenshotCallback::new(move |image| {
            report(Message::Screenshot { path, image })
        })));
    }

    pub(super) fn spawn_save_png(&mut self, path: PathBuf, image: Arc<egui::ColorImage>) {
        let Some(rect) = self.plots_rect else { return };
        let (report, pixels_per_point) = (self.reporter(), self.ctx.pixels_per_point());
        self.spawn("save-png", move || {
            report(match export::write_png(&image, rect, pixels_per_point, &path) {
                Ok((w, h)) => Message::Done(format!("saved the plots ({w}×{h} px) to {}", path.display())),
                Err(e) => Message::Failed(e),
            });
        });
    }
}
