//! The waveform explorer and its update: the open captures (each with its own view, see
//! [`super::state`]), the tab shown, and the loads in progress. Switching tabs keeps each
//! view.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use eframe::egui;

use super::lanes::{Arrangement, LaneEdit, LaneLayout};
use super::message::{ExplorerMessage, TaskMessage};
use super::settings::Settings;
use super::state::{
    CursorMode, CursorReadout, ExportSpan, Installed, LoadHandle, LoadJob, OpenCapture, REMOTE_NEEDS_SAMPLES,
    SelectedEvent, Span, Trend,
};
use super::tasks::{Effect, Outcome, export, files};
use crate::analysis::events::Detection;
use crate::panel::InstallConfig;

impl OpenCapture {
    /// Keeps a detection's events and the channels' RMS trends.
    pub fn take_detection(&mut self, result: Result<Detection, String>, trends: Vec<Option<Trend>>) {
        self.events = Some(result);
        for (c, trend) in self.channels.iter_mut().zip(trends) {
            c.trend = trend;
        }
    }

    /// Detects the events of the capture (and its RMS trends) in the background.
    pub fn detect_events(&self) -> Effect {
        let (id, capture) = (self.id, self.capture.clone());
        Effect::work("detect-events", move || files::detect_events(id, &capture).into())
    }

    /// Places cursor `which` (0 for A, 1 for B) and measures again.
    fn place_cursor(&mut self, which: usize, t_s: f64) -> Option<Effect> {
        if let Some(c) = self.view.cursors.get_mut(which) {
            *c = Some(t_s);
        }
        self.measure_cursors()
    }

    /// Writes the notes beside the capture file (atomically), unless the sidecar there could
    /// not be read (it is left alone) or the capture lives on a server.
    fn save_notes(&self, out: &mut Outcome) {
        if let Some(e) = &self.notes_error {
            out.errors.push(format!("the notes were not saved, so as not to overwrite what is there: {e}"));
            return;
        }
        if self.remote.is_some() {
            out.status = Some("notes on a server's capture are kept for this session only".into());
            return;
        }
        let path = crate::app::notes::sidecar_path(&self.path);
        let text = crate::app::notes::to_json(&self.path, &self.notes);
        let count = self.notes.len();
        out.effects.push(Effect::work("save-notes", move || {
            match files::write_text(&path, &text) {
                Ok(()) => TaskMessage::Done(format!(
                    "{} beside the capture: {}",
                    crate::format::count(count, "note"),
                    path.display()
                )),
                Err(e) => TaskMessage::Failed(e),
            }
            .into()
        }));
    }

    /// Measures between the cursors in the background (when both are placed).
    fn measure_cursors(&mut self) -> Option<Effect> {
        let Some(span) = self.view.cursor_span() else {
            self.view.readout = None;
            return None;
        };
        if self.remote.is_some() {
            self.view.readout = Some(CursorReadout { span, result: Some(Err(REMOTE_NEEDS_SAMPLES.into())) });
            return None;
        }
        self.view.readout = Some(CursorReadout { span, result: None });
        let (id, capture) = (self.id, self.capture.clone());
        let config = self.install.as_ref().map(|i| i.config.clone());
        Some(Effect::work("measure-cursors", move || files::measure(id, &capture, config.as_deref(), span).into()))
    }
}

/// A capture being loaded that gets an install configuration once it is open.
#[derive(Debug, Clone)]
struct PendingInstall {
    capture: PathBuf,
    config: PathBuf,
}

/// The explorer: open captures, the tab shown, loads in progress.
#[derive(Debug, Default)]
pub struct Explorer {
    pub captures: Vec<OpenCapture>,
    /// Index of the capture tab shown.
    pub selected: usize,
    pub loading: Vec<LoadJob>,
    /// The channel list's search text.
    pub search: String,
    /// The note being written, the channel it is about, and the notes list's search.
    pub note_draft: String,
    pub note_channel: Option<String>,
    pub note_search: String,
    /// Install configurations to apply to captures once they are loaded.
    install_on_load: Vec<PendingInstall>,
    /// Views from a session to put on captures once they are loaded.
    restore_on_load: Vec<crate::app::session::SavedCapture>,
    /// The last session's tabs in their order, and the one it showed: captures it opens
    /// take their places as they load, whatever order the loads finish in.
    session_tabs: Vec<PathBuf>,
    session_shown: Option<PathBuf>,
    next_id: u64,
    /// Where the plots were drawn in the last frame (points), and the scale, for the PNG.
    pub plots_rect: Option<egui::Rect>,
    /// The lanes' data area in the last frame: the span in view runs from its left to its
    /// right edge.
    pub time_axis: Option<egui::Rect>,
    pub pixels_per_point: f32,
}

impl Explorer {
    /// The capture shown.
    pub fn shown(&self) -> Option<&OpenCapture> {
        self.captures.get(self.selected)
    }

    fn shown_mut(&mut self) -> Option<&mut OpenCapture> {
        self.captures.get_mut(self.selected)
    }

    /// An id for a new capture or request.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// Shows a capture built elsewhere (loaded, or from a server) in a new tab.
    pub fn add(&mut self, open: OpenCapture) {
        self.captures.push(open);
        self.select(self.captures.len() - 1);
    }

    /// Adds a capture a session opened at its place among the session's tabs, and shows
    /// the tab the session showed once it is there (until then, the first one loaded).
    fn add_in_session_order(&mut self, open: OpenCapture) {
        let rank = |tabs: &[PathBuf], path: &std::path::Path| tabs.iter().position(|p| p == path);
        let Some(r) = rank(&self.session_tabs, &open.path) else {
            self.add(open);
            return;
        };
        let at = self
            .captures
            .iter()
            .position(|c| rank(&self.session_tabs, &c.path).is_some_and(|q| q > r))
            .unwrap_or(self.captures.len());
        let (first_of_session, shown) = (self.captures.is_empty(), self.shown().map(|c| c.id));
        self.captures.insert(at, open);
        let wanted = self.session_shown.as_ref().and_then(|p| self.captures.iter().position(|c| &c.path == p));
        let keep = shown.and_then(|id| self.captures.iter().position(|c| c.id == id));
        match (wanted, keep) {
            (Some(i), _) => self.select(i),
            (None, Some(i)) if !first_of_session => self.selected = i,
            _ => self.select(at),
        }
        if self.restore_on_load.is_empty() {
            self.session_tabs.clear();
            self.session_shown = None;
        }
    }

    /// Shows tab `i` as it was left.
    fn select(&mut self, i: usize) {
        self.selected = i.min(self.captures.len().saturating_sub(1));
        if let Some(open) = self.shown_mut() {
            open.restore_view();
        }
    }

    /// Starts loading a capture file (once at a time per path).
    pub fn load(&mut self, path: PathBuf, out: &mut Outcome) {
        if self.loading.iter().any(|j| j.path == path) {
            return;
        }
        let id = self.next_id();
        let handle = LoadHandle::default();
        self.loading.push(LoadJob {
            id,
            path: path.clone(),
            bytes: files::capture_bytes(&path),
            started: Instant::now(),
            handle: handle.clone(),
        });
        out.effects.push(Effect::Work {
            name: "load-capture",
            work: Box::new(move |report| {
                if let Some(message) = files::load(id, path, &handle.stage, &handle.cancelled) {
                    report.send(message);
                }
            }),
        });
    }

    /// Applies a completion of the explorer's background work.
    pub fn finished(&mut self, settings: &mut Settings, message: TaskMessage, out: &mut Outcome) {
        match message {
            TaskMessage::CaptureLoaded(open) => {
                // A cancelled load may still finish; it is dropped.
                if !self.loading.iter().any(|j| j.id == open.id) {
                    return;
                }
                self.loading.retain(|j| j.id != open.id);
                settings.remember_recent(&open.path);
                // A local load detects before it indexes; anything else detects now.
                if open.events.is_none() {
                    out.effects.push(open.detect_events());
                }
                let mut open = open;
                if let Some(layout) = settings.layout_for(&open.path) {
                    open.view.lanes = layout.clone().reconcile(&open.capture);
                }
                // A session's view wins over the remembered layout.
                let restored = self.restore_on_load.iter().position(|s| s.path == open.path);
                if let Some(k) = restored {
                    self.restore_on_load.remove(k).restore(&mut open);
                    out.effects.extend(open.measure_cursors());
                }
                let config = self.install_on_load.iter().position(|p| p.capture == open.path);
                if restored.is_some() {
                    self.add_in_session_order(*open);
                } else {
                    self.add(*open);
                }
                if let Some(k) = config {
                    let config = self.install_on_load.remove(k).config;
                    self.read_install_config(config, out);
                }
            }
            TaskMessage::LoadFailed { id, path, error } if self.loading.iter().any(|j| j.id == id) => {
                self.loading.retain(|j| j.id != id);
                settings.recent.retain(|p| p != &path);
                out.errors.push(error);
            }
            TaskMessage::EventsDetected { id, result, trends } => {
                if let Some(open) = self.captures.iter_mut().find(|c| c.id == id) {
                    open.take_detection(result, trends);
                }
            }
            TaskMessage::ReadoutReady { id, span, result } => {
                if let Some(open) = self.captures.iter_mut().find(|c| c.id == id)
                    && open.view.readout.as_ref().is_some_and(|r| r.span == span)
                {
                    open.view.readout = Some(CursorReadout { span, result: Some(result) });
                }
            }
            TaskMessage::Verified { id, config, result } => {
                let Some(open) = self.captures.iter_mut().find(|c| c.id == id) else { return };
                // A configuration applied since replaces this answer.
                let Some(installed) = open.install.as_mut().filter(|i| Arc::ptr_eq(&i.config, &config)) else {
                    return;
                };
                if let Ok(report) = &result {
                    let (errors, warnings) = (report.errors(), report.warnings());
                    out.status = Some(if errors == 0 && warnings == 0 {
                        format!("{}: the wiring checks out against {}", open.capture.name, installed.path.display())
                    } else {
                        format!(
                            "{}: {}, {} in the wiring against {} (side panel: Verify)",
                            open.capture.name,
                            crate::format::count(errors, "error"),
                            crate::format::count(warnings, "warning"),
                            installed.path.display()
                        )
                    });
                }
                installed.verify = Some(result.map(|r| Arc::new(*r)));
            }
            TaskMessage::InstallConfigRead { id, path, result } => match result {
                Ok(config) => self.install(id, path, config, out),
                Err(e) => out.errors.push(e),
            },
            TaskMessage::Screenshot { path, image } => {
                let Some(rect) = self.plots_rect else { return };
                let pixels_per_point = self.pixels_per_point;
                out.effects.push(Effect::work("save-png", move || {
                    match export::write_png(&image, rect, pixels_per_point, &path) {
                        Ok((w, h)) => TaskMessage::Done(format!("saved the plots ({w}×{h} px) to {}", path.display())),
                        Err(e) => TaskMessage::Failed(e),
                    }
                    .into()
                }));
            }
            _ => {}
        }
    }

    /// Opens the captures of a session, each to be shown as it was saved.
    pub fn open_session(&mut self, session: crate::app::session::Session, out: &mut Outcome) {
        self.session_tabs = session.captures.iter().map(|c| c.path.clone()).collect();
        self.session_shown = session.captures.get(session.selected).map(|c| c.path.clone());
        for saved in session.captures {
            if let Some(config) = saved.install.clone() {
                self.install_on_load.push(PendingInstall { capture: saved.path.clone(), config });
            }
            let path = saved.path.clone();
            self.restore_on_load.retain(|s| s.path != path);
            self.restore_on_load.push(saved);
            self.load(path, out);
        }
    }

    /// Names the channels of capture `id` by `config` and measures again.
    pub fn install(&mut self, id: u64, path: PathBuf, config: InstallConfig, out: &mut Outcome) {
        let Some(open) = self.captures.iter_mut().find(|c| c.id == id) else { return };
        let roles = config.channel_roles();
        let found = roles.iter().filter(|r| open.capture.channel(&r.channel).is_some()).count();
        out.status =
            Some(format!("{}: {} of its {} channels are in {}", path.display(), found, roles.len(), open.capture.name));
        let config = Arc::new(config);
        let verify = match open.remote {
            Some(_) => Some(Err(REMOTE_NEEDS_SAMPLES.to_string())),
            None => {
                let (capture, config) = (open.capture.clone(), config.clone());
                out.effects.push(Effect::work("verify-wiring", move || {
                    let result = Ok(Box::new(crate::panel::verify(&config, &capture)));
                    TaskMessage::Verified { id, config, result }.into()
                }));
                None
            }
        };
        open.install = Some(Installed { path, config, verify });
        out.effects.extend(open.measure_cursors());
    }

    fn read_install_config(&mut self, path: PathBuf, out: &mut Outcome) {
        let Some(open) = self.shown() else {
            out.errors.push("open a capture first, then apply its install configuration".into());
            return;
        };
        let id = open.id;
        out.effects.push(Effect::work("read-install-config", move || files::read_install_config(id, path).into()));
    }

    /// Applies what the user asked of the explorer.
    pub fn update(&mut self, settings: &mut Settings, message: ExplorerMessage, out: &mut Outcome) {
        use ExplorerMessage as M;
        match message {
            M::OpenWithInstallConfig { capture, config } => {
                self.install_on_load.push(PendingInstall { capture: capture.clone(), config });
                self.load(capture, out);
            }
            M::CancelLoad(id) => {
                if let Some(job) = self.loading.iter().find(|j| j.id == id) {
                    job.handle.cancelled.store(true, Ordering::Relaxed);
                }
                self.loading.retain(|j| j.id != id);
            }
            M::ShowTrends(show) => settings.show_trends = show,
            M::SetDenseWaveforms(dense) => settings.dense_waveforms = dense,
            M::SetTimeMode(mode) => settings.time_mode = mode,
            M::SetPerUnit(on) => {
                settings.per_unit = on;
                if let Some(open) = self.shown_mut() {
                    open.refit_values();
                }
            }
            M::SetCursorMode(mode) => {
                settings.cursor_mode = mode;
                if let Some(open) = self.shown_mut() {
                    open.view.next_cursor = 0;
                }
            }
            M::SetSideTab(tab) => settings.side_tab = tab,
            M::SetNoteDraft(text) => self.note_draft = text,
            M::SetNoteChannel(channel) => self.note_channel = channel,
            M::SetNoteSearch(text) => self.note_search = text,
            M::AddNote { text, channel } => {
                let Some(open) = self.shown_mut() else { return };
                let Some(from_s) = open.view.cursors[0] else {
                    out.errors.push("place cursor A where the note belongs (and B for a span)".into());
                    return;
                };
                if text.trim().is_empty() {
                    out.errors.push("write the note first".into());
                    return;
                }
                let to_s = open.view.cursors[1].filter(|&b| b != from_s);
                let (from_s, to_s) = match to_s {
                    Some(b) if b < from_s => (b, Some(from_s)),
                    other => (from_s, other),
                };
                let note = crate::app::notes::Note { from_s, to_s, channel, text: text.trim().to_string() };
                let at = open.notes.partition_point(|n| n.from_s <= note.from_s);
                open.notes.insert(at, note);
                open.save_notes(out);
                self.note_draft.clear();
            }
            M::DeleteNote(i) => {
                let Some(open) = self.shown_mut() else { return };
                if i < open.notes.len() {
                    open.notes.remove(i);
                    open.save_notes(out);
                }
            }
            M::Lanes(edit) => {
                let Some(open) = self.shown_mut() else { return };
                let changed = match (&edit, &open.install) {
                    (LaneEdit::Arrange(Arrangement::ByCircuit), Some(installed)) => {
                        open.view.lanes = LaneLayout::by_circuit(&open.capture, &installed.config.channel_roles());
                        true
                    }
                    (LaneEdit::Arrange(Arrangement::ByCircuit), None) => {
                        out.errors
                            .push("apply an install configuration first: it says which circuit each channel is".into());
                        false
                    }
                    _ => open.view.lanes.apply(&edit, &open.capture),
                };
                if changed && open.remote.is_none() {
                    settings.remember_layout(&open.path, &open.view.lanes);
                }
            }
            M::Select(i) => self.select(i),
            M::CloseCapture(i) => {
                if i < self.captures.len() {
                    self.captures.remove(i);
                    self.select(self.selected.min(self.captures.len().saturating_sub(1)));
                }
            }
            M::SetSearch(text) => self.search = text,
            M::ApplyInstallConfig(path) => self.read_install_config(path, out),
            M::ExportWindow { span, path } => self.export_window(span, path, out),
            M::ExportEvents(path) => self.export_events(path, out),
            M::SavePng(path) => {
                if self.plots_rect.is_none() {
                    out.errors.push("nothing to save: no plot is shown".into());
                } else {
                    out.effects.push(Effect::Screenshot(path));
                }
            }
            M::ToggleChannel { capture, channel } => {
                if let Some(c) = self.captures.get_mut(capture).and_then(|o| o.channels.get_mut(channel)) {
                    c.visible = !c.visible;
                }
            }
            other => {
                let Some(open) = self.shown_mut() else { return };
                view_update(open, settings, other, out);
            }
        }
    }

    /// Writes the visible channels over the visible or cursor window, in the format of
    /// `path`'s extension.
    fn export_window(&mut self, span: ExportSpan, path: PathBuf, out: &mut Outcome) {
        let Some(open) = self.shown() else {
            out.errors.push("nothing to export: no capture is open".into());
            return;
        };
        if open.remote.is_some() {
            out.errors.push(REMOTE_NEEDS_SAMPLES.into());
            return;
        }
        let window = match span {
            ExportSpan::Visible => open.view.span,
            ExportSpan::Cursors => open.view.cursor_span(),
        };
        let Some(Span { from_s, to_s }) = window else {
            out.errors.push(match span {
                ExportSpan::Visible => "nothing to export: no plot is shown".into(),
                ExportSpan::Cursors => "place cursors A and B to export the span between them".into(),
            });
            return;
        };
        let keep: Vec<usize> = (0..open.channels.len()).filter(|&i| open.channels[i].visible).collect();
        if keep.is_empty() {
            out.errors.push("nothing to export: every channel is hidden".into());
            return;
        }
        let capture = open.capture.clone();
        out.effects.push(Effect::work("export-window", move || {
            let from = from_s.max(0.0);
            let to = to_s.min(capture.duration_s());
            match export::write_window(&capture, from, to, &keep, &path) {
                Ok(samples) => TaskMessage::Done(format!(
                    "exported {samples} samples × {} channels ({from:.6} to {to:.6} s) to {}",
                    keep.len(),
                    path.display()
                )),
                Err(e) => TaskMessage::Failed(e),
            }
            .into()
        }));
    }

    fn export_events(&mut self, path: PathBuf, out: &mut Outcome) {
        let Some(open) = self.shown() else {
            out.errors.push("no events to export yet".into());
            return;
        };
        let Some(Ok(d)) = &open.events else {
            out.errors.push("no events to export yet".into());
            return;
        };
        let events: Vec<_> = open.listed_events().into_iter().map(|i| d.events[i].clone()).collect();
        // The notes go with them, beside (`NAME.notes.csv`).
        let notes = open.notes.clone();
        out.effects.push(Effect::work("export-events", move || {
            let written = export::write_events_csv(&events, &path).and_then(|()| {
                if notes.is_empty() {
                    return Ok(String::new());
                }
                let beside = crate::app::notes::export_path(&path);
                let text = crate::app::notes::to_csv(&notes).map_err(|e| format!("{}: {e}", beside.display()))?;
                files::write_text(&beside, &text)?;
                Ok(format!(" and {} to {}", crate::format::count(notes.len(), "note"), beside.display()))
            });
            match written {
                Ok(also) => TaskMessage::Done(format!("exported {} events to {}{also}", events.len(), path.display())),
                Err(e) => TaskMessage::Failed(e),
            }
            .into()
        }));
    }
}

/// Applies a message about the view of one capture tab.
fn view_update(open: &mut OpenCapture, settings: &Settings, message: ExplorerMessage, out: &mut Outcome) {
    use ExplorerMessage as M;
    let view = &mut open.view;
    match message {
        M::ZoomTo { from_s, to_s } if from_s.is_finite() && to_s.is_finite() && to_s > from_s => {
            view.pending_zoom = Some(Span::new(from_s, to_s));
        }
        M::ZoomFit => {
            view.pending_zoom = Some(Span::new(0.0, open.capture.duration_s().max(f64::MIN_POSITIVE)));
            view.pending_fit = true;
        }
        M::Pan(fraction) => {
            if let Some(Span { from_s: a, to_s: b }) = view.span {
                let d = (b - a) * fraction;
                view.pending_zoom = Some(Span::new(a + d, b + d));
            }
        }
        M::Zoom(factor) => {
            if let Some(Span { from_s: a, to_s: b }) = view.span {
                let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0 * factor.clamp(1e-3, 1e3));
                // Not below a few samples.
                let min_half = open.capture.sample_rate_hz().map_or(1e-9, |r| 4.0 / r);
                let half = half.max(min_half);
                view.pending_zoom = Some(Span::new(mid - half, mid + half));
            }
        }
        M::SetCursor { which, t_s } => out.effects.extend(open.place_cursor(which, t_s)),
        M::Click { t_s, secondary } => {
            let which = match settings.cursor_mode {
                CursorMode::AThenShiftB => usize::from(secondary),
                CursorMode::Alternate if secondary => 1,
                CursorMode::Alternate => {
                    let w = view.next_cursor;
                    view.next_cursor = 1 - w;
                    w
                }
            };
            out.effects.extend(open.place_cursor(which, t_s));
            open.select_event_near(t_s);
        }
        M::ClearCursors => {
            view.cursors = [None, None];
            view.readout = None;
            view.next_cursor = 0;
        }
        M::SelectEvent(i) => view.selected_event = i.map(|index| SelectedEvent { index, scroll: true }),
        M::SetEventFilter(filter) => view.event_filter = filter,
        M::SpectrumChannel(name) => view.spectrum_channel = Some(name),
        M::ShowAll(show) => open.channels.iter_mut().for_each(|c| c.visible = show),
        M::SetColor { channel, rgb: [r, g, b] } => {
            if let Some(c) = open.channels.get_mut(channel) {
                c.color = egui::Color32::from_rgb(r, g, b);
            }
        }
        M::ClearInstallConfig => {
            open.install = None;
            out.effects.extend(open.measure_cursors());
        }
        M::FocusChannel(name) => {
            let Some(i) = open.capture.channels.iter().position(|c| c.name == name) else {
                out.errors.push(format!("{} has no channel {name}", open.capture.name));
                return;
            };
            let voltage = open.install.as_ref().and_then(|inst| {
                let role = inst.config.channel_roles().into_iter().find(|r| r.channel == name)?;
                open.capture.channels.iter().position(|c| Some(&c.name) == role.voltage_channel.as_ref())
            });
            for (k, c) in open.channels.iter_mut().enumerate() {
                c.visible = k == i || Some(k) == voltage;
            }
            // Three cycles from the middle, cursors on two of them (for the readout and
            // the phasors).
            let hz = match &open.events {
                Some(Ok(d)) if d.frequency_hz > 0.0 => d.frequency_hz,
                _ => 50.0,
            };
            let (mid, cycle) = (open.capture.duration_s() / 2.0, 1.0 / hz);
            open.view.pending_zoom = Some(Span::new(mid - 1.5 * cycle, mid + 1.5 * cycle));
            open.view.pending_fit = true;
            open.view.spectrum_channel = Some(name);
            open.view.cursors = [Some(mid - cycle), Some(mid + cycle)];
            out.effects.extend(open.measure_cursors());
        }
        _ => {}
    }
}

/// What the plots showed in a frame: recorded on the view it belongs to.
pub fn shown_frame(explorer: &mut Explorer, span: Option<Span>, plots: Option<egui::Rect>, ppp: f32) {
    explorer.plots_rect = plots;
    explorer.pixels_per_point = ppp;
    if let Some(open) = explorer.captures.get_mut(explorer.selected) {
        if span.is_some() {
            open.view.span = span;
        }
        open.view.pending_zoom = None;
        open.view.pending_fit = false;
        // The table scrolled to the highlighted event this frame.
        if let Some(selected) = &mut open.view.selected_event {
            selected.scroll = false;
        }
    }
}
