//! The waveform explorer's state and its update: open captures, each with the view it is
//! shown in (time span, cursors and readout, event filter and selection, channel
//! visibility and colours), and the loads in progress. Switching tabs keeps each view.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use eframe::egui;
use serde::{Deserialize, Serialize};

use super::message::{ExplorerMessage, TaskMessage};
use super::remote::RemoteView;
use super::settings::Settings;
use super::tasks::files::{self, LoadHandle};
use super::tasks::{Effect, export};
use super::{Outcome, REMOTE_NEEDS_SAMPLES};
use crate::analysis::cycles::CycleRms;
use crate::analysis::events::{Detection, EventKind};
use crate::analysis::lod::Pyramid;
use crate::analysis::measure::MeasureReport;
use crate::analysis::stats::Stats;
use crate::capture::{Capture, ChannelKind};
use crate::panel::{InstallConfig, RoleKind};

/// How time is shown on the axis and in the readouts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeMode {
    /// Seconds from the first sample.
    #[default]
    Relative,
    /// Clock time (UTC) when the capture has a start time.
    Absolute,
}

/// Which cursor a plain click places.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CursorMode {
    /// A click places A; right-click or Shift+click places B.
    #[default]
    AThenShiftB,
    /// Clicks place A and B in turn.
    Alternate,
}

/// What the side panel shows for the cursor window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SideTab {
    #[default]
    Readout,
    Spectrum,
    Phasors,
}

/// How the event table is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventSort {
    #[default]
    Start,
    Kind,
    Channel,
    Magnitude,
    Duration,
}

/// Which events the table lists, and in what order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Kinds hidden from the table (and the plots).
    pub hidden_kinds: Vec<EventKind>,
    /// Only events on this channel.
    pub channel: Option<String>,
    /// Only events inside the visible time span.
    pub in_view: bool,
    pub sort: EventSort,
    pub descending: bool,
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportSpan {
    /// The span the plots show.
    Visible,
    /// Between the cursors.
    Cursors,
}

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
    handle: LoadHandle,
}

impl LoadJob {
    pub fn stage(&self) -> LoadStage {
        if self.handle.stage.load(Ordering::Relaxed) == LoadStage::Indexing as u8 {
            LoadStage::Indexing
        } else {
            LoadStage::Reading
        }
    }
}

/// A derived channel: one-cycle RMS every half cycle, with its pyramid for drawing.
#[derive(Debug)]
pub struct Trend {
    pub rms: CycleRms,
    pub pyramid: Pyramid,
}

/// Measurements between the cursors, or why they failed.
pub type Readout = Result<Box<MeasureReport>, String>;

/// One channel of an open capture as the explorer shows it.
#[derive(Debug)]
pub struct ChannelView {
    /// Over the whole capture (analog channels).
    pub stats: Option<Stats>,
    /// The level-of-detail pyramid the plots read (analog channels).
    pub pyramid: Option<Pyramid>,
    /// The one-cycle RMS refreshed every half cycle (voltages and currents), computed with
    /// the events.
    pub trend: Option<Trend>,
    pub visible: bool,
    pub color: egui::Color32,
}

/// How one capture tab is looked at; kept while other tabs are shown.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// The time span the plots showed in the last frame.
    pub span_s: Option<(f64, f64)>,
    /// A time span the plots show in the next frame.
    pub pending_zoom: Option<(f64, f64)>,
    /// Fit the value axes in the next frame.
    pub pending_fit: bool,
    /// Cursors A and B, seconds from the first sample.
    pub cursors: [Option<f64>; 2],
    /// The cursor the next plain click places in the alternate mode.
    pub next_cursor: usize,
    /// Measurements between the cursors: the span they are for, and the result (`None`
    /// while they are computed).
    pub readout: Option<((f64, f64), Option<Readout>)>,
    pub event_filter: EventFilter,
    /// The highlighted event, and whether the table still has to scroll to it.
    pub selected_event: Option<(usize, bool)>,
    /// Which channel the spectrum shows.
    pub spectrum_channel: Option<String>,
}

impl View {
    /// A fresh view of a capture lasting `duration_s`: all of it, values fitted.
    fn whole(duration_s: f64) -> Self {
        Self { pending_zoom: Some((0.0, duration_s.max(f64::MIN_POSITIVE))), pending_fit: true, ..Self::default() }
    }

    /// The cursor window, ordered, when both cursors are placed and apart.
    pub fn cursor_span(&self) -> Option<(f64, f64)> {
        let (Some(a), Some(b)) = (self.cursors[0], self.cursors[1]) else { return None };
        (a != b).then(|| (a.min(b), a.max(b)))
    }
}

/// A loaded capture with what the explorer shows of it.
#[derive(Debug)]
pub struct OpenCapture {
    /// Tells captures apart in messages from background work.
    pub id: u64,
    pub path: PathBuf,
    pub capture: Arc<Capture>,
    /// Per channel of `capture`, in its order.
    pub channels: Vec<ChannelView>,
    /// Detected events: `None` while detection runs.
    pub events: Option<Result<Detection, String>>,
    /// The install configuration applied, and the file it came from.
    pub install: Option<(PathBuf, Arc<InstallConfig>)>,
    /// For a capture opened from a server: where it lives and the detail fetched for the
    /// span in view (`capture` then holds the overview).
    pub remote: Option<RemoteView>,
    pub view: View,
}

impl OpenCapture {
    /// Statistics and pyramids of every channel, built in parallel (the load thread's work).
    pub fn build(id: u64, path: PathBuf, capture: Capture) -> Self {
        match Self::build_with(id, path, capture, &|| false) {
            Some(open) => open,
            None => unreachable!("a build that is never cancelled finishes"),
        }
    }

    /// As [`Self::build`], giving up (`None`) as soon as `cancelled` says so.
    pub fn build_with(id: u64, path: PathBuf, capture: Capture, cancelled: &(dyn Fn() -> bool + Sync)) -> Option<Self> {
        let (stats, pyramids) = crate::analysis::lod::index_channels(&capture, cancelled)?;
        let channels = capture
            .channels
            .iter()
            .zip(stats.into_iter().zip(pyramids))
            .enumerate()
            .map(|(i, (c, (stats, pyramid)))| ChannelView {
                stats,
                pyramid,
                trend: None,
                visible: c.kind != ChannelKind::Digital,
                color: palette(i),
            })
            .collect();
        let view = View::whole(capture.duration_s());
        Some(Self { id, path, capture: Arc::new(capture), channels, events: None, install: None, remote: None, view })
    }

    /// What the install configuration says channel `i` is: `Water heater · A`,
    /// `mains · A`, `voltage · A`.
    pub fn role(&self, i: usize) -> Option<String> {
        let (_, config) = self.install.as_ref()?;
        let name = &self.capture.channels.get(i)?.name;
        let role = config.channel_roles().into_iter().find(|r| &r.channel == name)?;
        Some(match role.kind {
            RoleKind::Circuit => format!("{} · {:?}", role.label, role.phase),
            RoleKind::Mains => format!("mains · {:?}", role.phase),
            RoleKind::Voltage => format!("voltage · {:?}", role.phase),
        })
    }

    /// The name a trace is shown under: the channel, with its circuit when known.
    pub fn display_name(&self, i: usize) -> String {
        let name = self.capture.channels.get(i).map_or("", |c| c.name.as_str());
        match self.role(i) {
            Some(role) => format!("{name} · {role}"),
            None => name.to_string(),
        }
    }

    /// The value that is 1 pu for channel `i`, and what it is: a voltage's nominal from
    /// event detection, otherwise the channel's RMS over the whole capture.
    pub fn per_unit_base(&self, i: usize) -> Option<(f64, &'static str)> {
        let ch = self.capture.channels.get(i)?;
        if ch.kind == ChannelKind::Voltage
            && let Some(Ok(d)) = &self.events
            && let Some(r) = d.references.iter().find(|r| r.channel == ch.name)
            && r.reference > 0.0
        {
            return Some((r.reference, "nominal"));
        }
        let rms = self.channels.get(i)?.stats?.rms;
        (rms.is_finite() && rms > 0.0).then_some((rms, "capture RMS"))
    }

    /// Indices of the events that the table lists, in its order.
    pub fn listed_events(&self) -> Vec<usize> {
        let Some(Ok(d)) = &self.events else { return Vec::new() };
        let f = &self.view.event_filter;
        let mut rows: Vec<usize> = (0..d.events.len())
            .filter(|&i| {
                let e = &d.events[i];
                !f.hidden_kinds.contains(&e.kind)
                    && f.channel.as_ref().is_none_or(|c| *c == e.channel)
                    && (!f.in_view
                        || self.view.span_s.is_none_or(|(a, b)| e.start_s <= b && e.end_s.unwrap_or(e.start_s) >= a))
            })
            .collect();
        let key = |i: &usize| {
            let e = &d.events[*i];
            match f.sort {
                EventSort::Start => (String::new(), e.start_s),
                EventSort::Kind => (e.kind.as_str().to_string(), e.start_s),
                EventSort::Channel => (e.channel.clone(), e.start_s),
                EventSort::Magnitude => (String::new(), e.magnitude_pu.unwrap_or(e.magnitude).abs()),
                EventSort::Duration => (String::new(), e.end_s.map_or(0.0, |end| end - e.start_s)),
            }
        };
        rows.sort_by(|a, b| {
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        });
        if f.descending {
            rows.reverse();
        }
        rows
    }

    /// Highlights the listed event whose marker is within a few pixels of `t_s`.
    fn select_event_near(&mut self, t_s: f64) {
        let Some((a, b)) = self.view.span_s else { return };
        let Some(Ok(d)) = &self.events else { return };
        let tolerance = (b - a) / 300.0;
        let nearest = self
            .listed_events()
            .into_iter()
            .map(|i| (i, (d.events[i].start_s - t_s).abs()))
            .filter(|&(_, dist)| dist <= tolerance)
            .min_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((i, _)) = nearest {
            self.view.selected_event = Some((i, true));
        }
    }

    /// Refits the value axes in the next frame, keeping the time span.
    fn refit_values(&mut self) {
        if self.view.pending_zoom.is_none() {
            self.view.pending_zoom = self.view.span_s;
        }
        self.view.pending_fit = self.view.pending_zoom.is_some();
    }

    /// Shows this tab's own span again (the plots are shared by every tab).
    fn restore_view(&mut self) {
        if self.view.pending_zoom.is_none() {
            let whole = (0.0, self.capture.duration_s().max(f64::MIN_POSITIVE));
            self.view.pending_zoom = Some(self.view.span_s.unwrap_or(whole));
        }
        self.view.pending_fit = true;
    }

    /// Measures between the cursors in the background (when both are placed).
    fn measure_cursors(&mut self) -> Option<Effect> {
        let Some(span_s) = self.view.cursor_span() else {
            self.view.readout = None;
            return None;
        };
        if self.remote.is_some() {
            self.view.readout = Some((span_s, Some(Err(REMOTE_NEEDS_SAMPLES.into()))));
            return None;
        }
        self.view.readout = Some((span_s, None));
        let (id, capture) = (self.id, self.capture.clone());
        let config = self.install.as_ref().map(|(_, c)| c.clone());
        Some(Effect::work("measure-cursors", move || files::measure(id, &capture, config.as_deref(), span_s).into()))
    }
}

/// A distinct colour for channel `i`.
pub fn palette(i: usize) -> egui::Color32 {
    const COLORS: [(u8, u8, u8); 12] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
        (255, 187, 120),
        (152, 223, 138),
    ];
    let (r, g, b) = COLORS[i % COLORS.len()];
    egui::Color32::from_rgb(r, g, b)
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
    /// Install configurations to apply to captures once they are loaded.
    install_on_load: Vec<(PathBuf, PathBuf)>,
    next_id: u64,
    /// Where the plots were drawn in the last frame (points), and the scale, for the PNG.
    pub plots_rect: Option<egui::Rect>,
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
                let (id, capture) = (open.id, open.capture.clone());
                out.effects.push(Effect::work("detect-events", move || files::detect_events(id, &capture).into()));
                let config = self.install_on_load.iter().position(|(p, _)| *p == open.path);
                self.add(*open);
                if let Some(k) = config {
                    let (_, config) = self.install_on_load.remove(k);
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
                    open.events = Some(result);
                    for (c, trend) in open.channels.iter_mut().zip(trends) {
                        c.trend = trend;
                    }
                }
            }
            TaskMessage::ReadoutReady { id, span_s, result } => {
                if let Some(open) = self.captures.iter_mut().find(|c| c.id == id)
                    && open.view.readout.as_ref().is_some_and(|(s, _)| *s == span_s)
                {
                    open.view.readout = Some((span_s, Some(result)));
                }
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

    /// Names the channels of capture `id` by `config` and measures again.
    pub fn install(&mut self, id: u64, path: PathBuf, config: InstallConfig, out: &mut Outcome) {
        let Some(open) = self.captures.iter_mut().find(|c| c.id == id) else { return };
        let roles = config.channel_roles();
        let found = roles.iter().filter(|r| open.capture.channel(&r.channel).is_some()).count();
        out.status =
            Some(format!("{}: {} of its {} channels are in {}", path.display(), found, roles.len(), open.capture.name));
        open.install = Some((path, Arc::new(config)));
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
                self.install_on_load.push((capture.clone(), config));
                self.load(capture, out);
            }
            M::CancelLoad(id) => {
                if let Some(job) = self.loading.iter().find(|j| j.id == id) {
                    job.handle.cancelled.store(true, Ordering::Relaxed);
                }
                self.loading.retain(|j| j.id != id);
            }
            M::ShowTrends(show) => settings.show_trends = show,
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
            ExportSpan::Visible => open.view.span_s,
            ExportSpan::Cursors => open.view.cursor_span(),
        };
        let Some((from_s, to_s)) = window else {
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
        out.effects.push(Effect::work("export-events", move || {
            match export::write_events_csv(&events, &path) {
                Ok(()) => TaskMessage::Done(format!("exported {} events to {}", events.len(), path.display())),
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
            view.pending_zoom = Some((from_s, to_s));
        }
        M::ZoomFit => {
            view.pending_zoom = Some((0.0, open.capture.duration_s().max(f64::MIN_POSITIVE)));
            view.pending_fit = true;
        }
        M::Pan(fraction) => {
            if let Some((a, b)) = view.span_s {
                let d = (b - a) * fraction;
                view.pending_zoom = Some((a + d, b + d));
            }
        }
        M::Zoom(factor) => {
            if let Some((a, b)) = view.span_s {
                let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0 * factor.clamp(1e-3, 1e3));
                // Not below a few samples.
                let min_half = open.capture.sample_rate_hz().map_or(1e-9, |r| 4.0 / r);
                let half = half.max(min_half);
                view.pending_zoom = Some((mid - half, mid + half));
            }
        }
        M::SetCursor { which, t_s } => {
            if let Some(c) = view.cursors.get_mut(which) {
                *c = Some(t_s);
            }
            out.effects.extend(open.measure_cursors());
        }
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
            if let Some(c) = view.cursors.get_mut(which) {
                *c = Some(t_s);
            }
            out.effects.extend(open.measure_cursors());
            open.select_event_near(t_s);
        }
        M::ClearCursors => {
            view.cursors = [None, None];
            view.readout = None;
            view.next_cursor = 0;
        }
        M::SelectEvent(i) => view.selected_event = i.map(|i| (i, true)),
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
        _ => {}
    }
}

/// What the plots showed in a frame: recorded on the view it belongs to.
pub fn shown_frame(explorer: &mut Explorer, span_s: Option<(f64, f64)>, plots: Option<egui::Rect>, ppp: f32) {
    explorer.plots_rect = plots;
    explorer.pixels_per_point = ppp;
    if let Some(open) = explorer.captures.get_mut(explorer.selected) {
        if span_s.is_some() {
            open.view.span_s = span_s;
        }
        open.view.pending_zoom = None;
        open.view.pending_fit = false;
        // The table scrolled to the highlighted event this frame.
        if let Some((_, scroll)) = &mut open.view.selected_event {
            *scroll = false;
        }
    }
}
