//! The eframe application: the waveform explorer.
//!
//! State and the messages that change it live here; background work (loading, detection,
//! measurement, export) in [`jobs`]; drawing in [`ui`]. The UI never blocks a frame: work
//! runs on its own threads and reports back as [`Message`]s.

mod editor;
mod export;
mod install;
mod jobs;
mod remote;
mod ui;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use eframe::egui;

pub use editor::{Edit, PanelEditor, Selection};
pub use install::Balance;
pub use jobs::{LoadJob, LoadStage};
pub use remote::{Connection, Detail, Download, RemoteMessage, RemoteState, RemoteView, default_token_store};

use crate::analysis::cycles::CycleRms;
use crate::analysis::events::{Detection, EventKind};
use crate::analysis::lod::Pyramid;
use crate::analysis::measure::MeasureReport;
use crate::analysis::stats::Stats;
use crate::capture::{Capture, ChannelKind};
use crate::panel::{InstallConfig, RoleKind};

/// The bundled sample capture opened when no file is given.
pub fn default_sample_path() -> PathBuf {
    let relative = Path::new("sample-data").join("split-phase-10s.parquet");
    if relative.exists() { relative } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(relative) }
}

/// Opens the GUI on `files`; with none, on the captures open when the window last closed,
/// or on the bundled sample capture the first time.
pub fn run(files: Vec<PathBuf>) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1400.0, 860.0]).with_title("panelscope"),
        ..Default::default()
    };
    eframe::run_native(
        "panelscope",
        options,
        Box::new(move |cc| {
            let mut app = App::new(cc.egui_ctx.clone());
            let settings = cc.storage.and_then(|s| eframe::get_value::<Settings>(s, eframe::APP_KEY));
            let reopen: Vec<PathBuf> = settings.as_ref().map(|s| s.open.clone()).unwrap_or_default();
            if let Some(settings) = settings {
                app.restore(settings);
            }
            app.set_token_store(default_token_store());
            let files = if !files.is_empty() { files } else { reopen.into_iter().filter(|p| p.exists()).collect() };
            if files.is_empty() {
                // A first start: the sample capture, named by the sample panel's circuits.
                let capture = default_sample_path();
                let config = capture.with_file_name("sample-panel.install.json");
                app.apply(Message::OpenWithInstallConfig { capture, config });
            }
            for file in files {
                app.apply(Message::OpenFile(file));
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// Measurements between the cursors, or why they failed.
type Readout = Result<Box<MeasureReport>, String>;

/// How time is shown on the axis and in the readouts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimeMode {
    /// Seconds from the first sample.
    #[default]
    Relative,
    /// Clock time (UTC) when the capture has a start time.
    Absolute,
}

/// Which cursor a plain click places.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CursorMode {
    /// A click places A; right-click or Shift+click places B.
    #[default]
    AThenShiftB,
    /// Clicks place A and B in turn.
    Alternate,
}

/// What the side panel shows for the cursor window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SideTab {
    #[default]
    Readout,
    Spectrum,
    Phasors,
}

/// How the event table is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EventSort {
    #[default]
    Start,
    Kind,
    Channel,
    Magnitude,
    Duration,
}

/// Which events the table lists, and in what order.
#[derive(Debug, Clone, PartialEq)]
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

impl Default for EventFilter {
    fn default() -> Self {
        Self { hidden_kinds: Vec::new(), channel: None, in_view: false, sort: EventSort::Start, descending: false }
    }
}

/// The two halves of the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    /// The waveform explorer.
    #[default]
    Explorer,
    /// The panel layout editor.
    Panel,
}

/// What the panel editor is asked to do.
#[derive(Debug, Clone)]
pub enum EditorAction {
    /// Start from a template (`split-phase-30`, ..., or `sample`).
    New(String),
    Open(PathBuf),
    Save(PathBuf),
    Undo,
    Redo,
    Edit(Edit),
    Select(Option<Selection>),
    ExportInstallConfig(PathBuf),
    ExportDirectory(PathBuf),
    /// Apply the project's install configuration to the capture shown.
    ApplyToCapture,
    /// Forget the autosaved changes offered after a crash.
    DismissRecovery,
}

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExportSpan {
    /// The span the plots show.
    Visible,
    /// Between the cursors.
    Cursors,
}

/// Intents and completions that change the app state.
#[derive(Debug)]
pub enum Message {
    OpenFile(PathBuf),
    /// Open a capture and apply an install configuration to it once loaded.
    OpenWithInstallConfig {
        capture: PathBuf,
        config: PathBuf,
    },
    /// Stop loading this file (by load id).
    CancelLoad(u64),
    CaptureLoaded(Box<OpenCapture>),
    LoadFailed {
        id: u64,
        path: PathBuf,
        error: String,
    },
    /// Event detection on the capture with this id finished.
    EventsDetected {
        id: u64,
        result: Result<Detection, String>,
        /// Per channel, the one-cycle RMS trend (analog voltage and current channels).
        trends: Vec<Option<Trend>>,
    },
    /// Overlay the one-cycle RMS trends on the plots, or not.
    ShowTrends(bool),
    /// Light theme (true) or dark.
    SetLight(bool),
    SetTimeMode(TimeMode),
    /// Per-unit values (true) or engineering units.
    SetPerUnit(bool),
    SetCursorMode(CursorMode),
    SetSideTab(SideTab),
    /// Show this time span (seconds) in every plot.
    ZoomTo {
        from_s: f64,
        to_s: f64,
    },
    /// Show the whole capture, values fitted.
    ZoomFit,
    /// Move the view by this fraction of its width (negative: earlier).
    Pan(f64),
    /// Narrow (factor < 1) or widen the view around its centre.
    Zoom(f64),
    /// Place cursor 0 (A) or 1 (B) at a time, seconds from the first sample.
    SetCursor {
        which: usize,
        t_s: f64,
    },
    /// A plain click in a plot: places a cursor as the cursor mode says.
    Click {
        t_s: f64,
        secondary: bool,
    },
    ClearCursors,
    /// Measurements between the cursors of capture `id` are ready.
    ReadoutReady {
        id: u64,
        span_s: (f64, f64),
        result: Result<Box<MeasureReport>, String>,
        /// Per phase, mains minus circuits (with an install configuration).
        balances: Vec<Balance>,
    },
    /// Highlight this event (index in the detection's list) in the table.
    SelectEvent(Option<usize>),
    SetEventFilter(EventFilter),
    /// Which channel the spectrum shows.
    SpectrumChannel(String),
    Select(usize),
    ToggleChannel {
        capture: usize,
        channel: usize,
    },
    /// Show (true) or hide every channel of the capture shown.
    ShowAll(bool),
    SetColor {
        channel: usize,
        color: egui::Color32,
    },
    CloseCapture(usize),
    /// Write the visible or cursor window of the visible channels to a capture file.
    ExportWindow {
        span: ExportSpan,
        path: PathBuf,
    },
    /// Write the detected events to a CSV file.
    ExportEvents(PathBuf),
    /// Save the plots as a PNG (a screenshot of their area).
    SavePng(PathBuf),
    /// The window's screenshot for a pending PNG.
    Screenshot {
        path: PathBuf,
        image: Arc<egui::ColorImage>,
    },
    /// Name the channels of the capture shown by the circuits of this install
    /// configuration (.json or .ron), pair its currents and show the balance.
    ApplyInstallConfig(PathBuf),
    /// An install configuration was read for capture `id`.
    InstallConfigRead {
        id: u64,
        path: PathBuf,
        result: Result<InstallConfig, String>,
    },
    ClearInstallConfig,
    SetMode(Mode),
    Editor(EditorAction),
    /// Background work finished with a message for the status line.
    Done(String),
    Failed(String),
    DismissErrors,
    /// The server connection, remote captures, downloads and uploads.
    Remote(RemoteMessage),
}

/// A loaded capture with what the explorer shows of it.
#[derive(Debug)]
pub struct OpenCapture {
    /// Tells captures apart in messages from background work.
    pub id: u64,
    pub path: PathBuf,
    pub capture: Arc<Capture>,
    /// Per channel: statistics and level-of-detail pyramid (analog only), visibility and
    /// colour.
    pub stats: Vec<Option<Stats>>,
    pub pyramids: Vec<Option<Pyramid>>,
    pub visible: Vec<bool>,
    pub colors: Vec<egui::Color32>,
    /// Detected events: `None` while detection runs.
    pub events: Option<Result<Detection, String>>,
    /// Per channel: the one-cycle RMS refreshed every half cycle (voltages and currents),
    /// computed with the events.
    pub trends: Vec<Option<Trend>>,
    /// The install configuration applied, and the file it came from.
    pub install: Option<(PathBuf, Arc<InstallConfig>)>,
    /// For a capture opened from a server: where it lives and the detail fetched for the
    /// span in view (`capture` then holds the overview).
    pub remote: Option<RemoteView>,
}

impl OpenCapture {
    /// Statistics and pyramids of every channel, built in parallel (the load thread's work).
    pub fn build(id: u64, path: PathBuf, capture: Capture) -> Self {
        Self::build_with(id, path, capture, &|| false).expect("never cancelled")
    }

    /// As [`Self::build`], giving up (`None`) as soon as `cancelled` says so.
    pub fn build_with(id: u64, path: PathBuf, capture: Capture, cancelled: &(dyn Fn() -> bool + Sync)) -> Option<Self> {
        let (stats, pyramids) = crate::analysis::lod::index_channels(&capture, cancelled)?;
        let visible = capture.channels.iter().map(|c| c.kind != ChannelKind::Digital).collect();
        let colors = (0..capture.channels.len()).map(palette).collect();
        Some(Self {
            id,
            path,
            capture: Arc::new(capture),
            stats,
            pyramids,
            visible,
            colors,
            events: None,
            trends: Vec::new(),
            install: None,
            remote: None,
        })
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
        let rms = self.stats.get(i).copied().flatten()?.rms;
        (rms.is_finite() && rms > 0.0).then_some((rms, "capture RMS"))
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

/// What the window remembers between runs (runtime state is never saved).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Captures opened lately, newest first.
    pub recent: Vec<PathBuf>,
    /// Captures open when the window closed, reopened when it starts without arguments.
    pub open: Vec<PathBuf>,
    /// Overlay the one-cycle RMS trends.
    pub show_trends: bool,
    /// Light theme instead of dark.
    pub light: bool,
    pub time_mode: TimeMode,
    pub per_unit: bool,
    pub cursor_mode: CursorMode,
    pub side_tab: SideTab,
    /// The server last connected to (its token is never kept here).
    pub server_url: String,
}

/// How many recent files the menu lists.
const RECENT_FILES: usize = 10;

/// A derived channel: one-cycle RMS every half cycle, with its pyramid for drawing.
#[derive(Debug)]
pub struct Trend {
    pub rms: CycleRms,
    pub pyramid: Pyramid,
}

/// The application state.
pub struct App {
    ctx: egui::Context,
    captures: Vec<OpenCapture>,
    selected: usize,
    loading: Vec<LoadJob>,
    errors: Vec<String>,
    /// The last finished export, for the status line.
    status: Option<String>,
    tx: Sender<Message>,
    rx: Receiver<Message>,
    next_id: u64,
    /// A time span every plot shows in the next frame.
    pending_zoom: Option<(f64, f64)>,
    /// Fit both axes in the next frame.
    pending_fit: bool,
    /// The time span the plots showed in the last frame.
    view_s: Option<(f64, f64)>,
    /// Where the plots were drawn in the last frame (for the PNG export).
    plots_rect: Option<egui::Rect>,
    /// Channel list search text.
    filter: String,
    show_trends: bool,
    recent: Vec<PathBuf>,
    light: bool,
    time_mode: TimeMode,
    per_unit: bool,
    cursor_mode: CursorMode,
    /// The cursor the next plain click places in the alternate mode.
    next_cursor: usize,
    side_tab: SideTab,
    /// Cursors A and B of the capture shown, seconds from its first sample.
    cursors: [Option<f64>; 2],
    /// Measurements between the cursors: the span they are for, and the result (`None`
    /// while they are computed).
    readout: Option<((f64, f64), Option<Readout>)>,
    /// Balances over the cursor window (with an install configuration).
    balances: Vec<Balance>,
    /// Install configurations to apply to captures once they are loaded.
    install_on_load: Vec<(PathBuf, PathBuf)>,
    mode: Mode,
    editor: Option<PanelEditor>,
    event_filter: EventFilter,
    /// The highlighted event, and whether the table still has to scroll to it.
    selected_event: Option<(usize, bool)>,
    spectrum_channel: Option<String>,
    remote: RemoteState,
}

impl App {
    /// A new app with nothing open.
    pub fn new(ctx: egui::Context) -> Self {
        let (tx, rx) = channel();
        Self {
            ctx,
            captures: Vec::new(),
            selected: 0,
            loading: Vec::new(),
            errors: Vec::new(),
            status: None,
            tx,
            rx,
            next_id: 0,
            pending_zoom: None,
            pending_fit: false,
            view_s: None,
            plots_rect: None,
            filter: String::new(),
            show_trends: false,
            recent: Vec::new(),
            light: false,
            time_mode: TimeMode::Relative,
            per_unit: false,
            cursor_mode: CursorMode::AThenShiftB,
            next_cursor: 0,
            side_tab: SideTab::Readout,
            cursors: [None, None],
            readout: None,
            balances: Vec::new(),
            install_on_load: Vec::new(),
            mode: Mode::Explorer,
            editor: None,
            event_filter: EventFilter::default(),
            selected_event: None,
            spectrum_channel: None,
            remote: RemoteState { url: crate::api::DEFAULT_URL.into(), ..Default::default() },
        }
    }

    /// Open captures.
    pub fn captures(&self) -> &[OpenCapture] {
        &self.captures
    }

    /// Index of the capture shown.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Errors shown in the window.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// The status line (the last finished export).
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// Files being loaded.
    pub fn loading(&self) -> &[LoadJob] {
        &self.loading
    }

    /// Takes back what an earlier run saved (the files to reopen are the caller's choice).
    pub fn restore(&mut self, settings: Settings) {
        self.show_trends = settings.show_trends;
        self.recent = settings.recent;
        self.recent.truncate(RECENT_FILES);
        self.time_mode = settings.time_mode;
        self.per_unit = settings.per_unit;
        self.cursor_mode = settings.cursor_mode;
        self.side_tab = settings.side_tab;
        if !settings.server_url.trim().is_empty() {
            self.remote.url = settings.server_url;
        }
        self.set_light(settings.light);
    }

    /// What to save for the next run.
    pub fn settings(&self) -> Settings {
        Settings {
            recent: self.recent.clone(),
            open: self.captures.iter().filter(|c| c.remote.is_none()).map(|c| c.path.clone()).collect(),
            show_trends: self.show_trends,
            light: self.light,
            time_mode: self.time_mode,
            per_unit: self.per_unit,
            cursor_mode: self.cursor_mode,
            side_tab: self.side_tab,
            server_url: self.remote.url.clone(),
        }
    }

    fn set_light(&mut self, light: bool) {
        self.light = light;
        self.ctx.set_theme(if light { egui::Theme::Light } else { egui::Theme::Dark });
    }

    /// The time span (seconds) the plots showed in the last frame, if any.
    pub fn view_s(&self) -> Option<(f64, f64)> {
        self.view_s
    }

    /// True while a file is loading.
    pub fn is_loading(&self) -> bool {
        !self.loading.is_empty()
    }

    /// The cursors (A, B), seconds from the first sample.
    pub fn cursors(&self) -> [Option<f64>; 2] {
        self.cursors
    }

    /// Measurements between the cursors, once computed.
    pub fn readout(&self) -> Option<&MeasureReport> {
        match &self.readout {
            Some((_, Some(Ok(r)))) => Some(r),
            _ => None,
        }
    }

    /// Per phase, mains minus circuits over the cursor window (with an install
    /// configuration applied).
    pub fn balances(&self) -> &[Balance] {
        &self.balances
    }

    /// The event table's filter and order.
    pub fn event_filter(&self) -> &EventFilter {
        &self.event_filter
    }

    /// The highlighted event (index in the detection's list).
    pub fn selected_event(&self) -> Option<usize> {
        self.selected_event.map(|(i, _)| i)
    }

    /// Indices of the events of the capture shown that the table lists, in its order.
    pub fn listed_events(&self) -> Vec<usize> {
        let Some(Some(Ok(d))) = self.captures.get(self.selected).map(|c| c.events.as_ref()) else {
            return Vec::new();
        };
        let f = &self.event_filter;
        let mut rows: Vec<usize> = (0..d.events.len())
            .filter(|&i| {
                let e = &d.events[i];
                !f.hidden_kinds.contains(&e.kind)
                    && f.channel.as_ref().is_none_or(|c| *c == e.channel)
                    && (!f.in_view
                        || self.view_s.is_none_or(|(a, b)| e.start_s <= b && e.end_s.unwrap_or(e.start_s) >= a))
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

    /// The cursor window, ordered, when both cursors are placed and apart.
    pub fn cursor_span(&self) -> Option<(f64, f64)> {
        let (Some(a), Some(b)) = (self.cursors[0], self.cursors[1]) else { return None };
        (a != b).then(|| (a.min(b), a.max(b)))
    }

    /// Applies one message to the state.
    pub fn apply(&mut self, message: Message) {
        match message {
            Message::OpenFile(path) if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ron")) => {
                self.apply(Message::Editor(EditorAction::Open(path)));
            }
            Message::OpenFile(path) => self.spawn_load(path),
            Message::SetMode(mode) => self.mode = mode,
            Message::Editor(action) => self.editor_action(action),
            Message::OpenWithInstallConfig { capture, config } => {
                self.install_on_load.push((capture.clone(), config));
                self.spawn_load(capture);
            }
            Message::CancelLoad(id) => {
                if let Some(job) = self.loading.iter().find(|j| j.id == id) {
                    job.cancel();
                }
                self.loading.retain(|j| j.id != id);
            }
            Message::CaptureLoaded(open) => {
                // A cancelled load may still finish; it is dropped.
                if !self.loading.iter().any(|j| j.id == open.id) {
                    return;
                }
                self.loading.retain(|j| j.id != open.id);
                self.recent.retain(|p| p != &open.path);
                self.recent.insert(0, open.path.clone());
                self.recent.truncate(RECENT_FILES);
                self.spawn_detection(open.id, open.capture.clone());
                let config = self.install_on_load.iter().position(|(p, _)| *p == open.path);
                self.captures.push(*open);
                self.select(self.captures.len() - 1);
                if let Some(k) = config {
                    let (_, config) = self.install_on_load.remove(k);
                    self.spawn_read_install_config(config);
                }
            }
            Message::LoadFailed { id, path, error } => {
                if self.loading.iter().any(|j| j.id == id) {
                    self.loading.retain(|j| j.id != id);
                    self.recent.retain(|p| p != &path);
                    self.errors.push(error);
                }
            }
            Message::EventsDetected { id, result, trends } => {
                if let Some(open) = self.captures.iter_mut().find(|c| c.id == id) {
                    open.events = Some(result);
                    open.trends = trends;
                }
            }
            Message::ShowTrends(show) => self.show_trends = show,
            Message::SetLight(light) => self.set_light(light),
            Message::SetTimeMode(mode) => self.time_mode = mode,
            Message::SetPerUnit(on) => {
                self.per_unit = on;
                self.pending_fit_y();
            }
            Message::SetCursorMode(mode) => {
                self.cursor_mode = mode;
                self.next_cursor = 0;
            }
            Message::SetSideTab(tab) => self.side_tab = tab,
            Message::ZoomTo { from_s, to_s } => {
                if from_s.is_finite() && to_s.is_finite() && to_s > from_s {
                    self.pending_zoom = Some((from_s, to_s));
                }
            }
            Message::ZoomFit => {
                if let Some(open) = self.captures.get(self.selected) {
                    self.pending_zoom = Some((0.0, open.capture.duration_s().max(f64::MIN_POSITIVE)));
                    self.pending_fit = true;
                }
            }
            Message::Pan(fraction) => {
                if let Some((a, b)) = self.view_s {
                    let d = (b - a) * fraction;
                    self.pending_zoom = Some((a + d, b + d));
                }
            }
            Message::Zoom(factor) => {
                if let Some((a, b)) = self.view_s {
                    let (mid, half) = ((a + b) / 2.0, (b - a) / 2.0 * factor.clamp(1e-3, 1e3));
                    // Not below a few samples.
                    let min_half = self
                        .captures
                        .get(self.selected)
                        .and_then(|c| c.capture.sample_rate_hz())
                        .map_or(1e-9, |r| 4.0 / r);
                    let half = half.max(min_half);
                    self.pending_zoom = Some((mid - half, mid + half));
                }
            }
            Message::SetCursor { which, t_s } => {
                if let Some(c) = self.cursors.get_mut(which) {
                    *c = Some(t_s);
                }
                self.spawn_readout();
            }
            Message::Click { t_s, secondary } => {
                let which = match self.cursor_mode {
                    CursorMode::AThenShiftB => usize::from(secondary),
                    CursorMode::Alternate if secondary => 1,
                    CursorMode::Alternate => {
                        let w = self.next_cursor;
                        self.next_cursor = 1 - w;
                        w
                    }
                };
                self.apply(Message::SetCursor { which, t_s });
                self.select_event_near(t_s);
            }
            Message::ClearCursors => {
                self.cursors = [None, None];
                self.readout = None;
                self.balances.clear();
                self.next_cursor = 0;
            }
            Message::ReadoutReady { id, span_s, result, balances } => {
                let current = self.captures.get(self.selected).map(|c| c.id);
                if current == Some(id) && self.readout.as_ref().is_some_and(|(s, _)| *s == span_s) {
                    self.readout = Some((span_s, Some(result)));
                    self.balances = balances;
                }
            }
            Message::ApplyInstallConfig(path) => self.spawn_read_install_config(path),
            Message::InstallConfigRead { id, path, result } => match result {
                Ok(config) => {
                    if let Some(open) = self.captures.iter_mut().find(|c| c.id == id) {
                        let roles = config.channel_roles();
                        let found = roles.iter().filter(|r| open.capture.channel(&r.channel).is_some()).count();
                        self.status = Some(format!(
                            "{}: {} of its {} channels are in {}",
                            path.display(),
                            found,
                            roles.len(),
                            open.capture.name
                        ));
                        open.install = Some((path, Arc::new(config)));
                    }
                    self.spawn_readout();
                }
                Err(e) => self.errors.push(e),
            },
            Message::ClearInstallConfig => {
                if let Some(open) = self.captures.get_mut(self.selected) {
                    open.install = None;
                }
                self.balances.clear();
                self.spawn_readout();
            }
            Message::SelectEvent(i) => self.selected_event = i.map(|i| (i, true)),
            Message::SetEventFilter(filter) => self.event_filter = filter,
            Message::SpectrumChannel(name) => self.spectrum_channel = Some(name),
            Message::Select(i) => self.select(i),
            Message::ToggleChannel { capture, channel } => {
                if let Some(v) = self.captures.get_mut(capture).and_then(|c| c.visible.get_mut(channel)) {
                    *v = !*v;
                }
            }
            Message::ShowAll(show) => {
                if let Some(open) = self.captures.get_mut(self.selected) {
                    open.visible.iter_mut().for_each(|v| *v = show);
                }
            }
            Message::SetColor { channel, color } => {
                if let Some(c) = self.captures.get_mut(self.selected).and_then(|o| o.colors.get_mut(channel)) {
                    *c = color;
                }
            }
            Message::CloseCapture(i) => {
                if i < self.captures.len() {
                    self.captures.remove(i);
                    let next = self.selected.min(self.captures.len().saturating_sub(1));
                    self.select(next);
                }
            }
            Message::ExportWindow { span, path } => self.spawn_export_window(span, path),
            Message::ExportEvents(path) => self.spawn_export_events(path),
            Message::SavePng(path) => self.request_screenshot(path),
            Message::Screenshot { path, image } => self.spawn_save_png(path, image),
            Message::Done(status) => self.status = Some(status),
            Message::Failed(error) => self.errors.push(error),
            Message::DismissErrors => self.errors.clear(),
            Message::Remote(m) => self.remote_action(m),
        }
    }

    fn editor_action(&mut self, action: EditorAction) {
        match action {
            EditorAction::New(template) => {
                let project = if template == "sample" {
                    Some(crate::panel::sample_panel())
                } else {
                    crate::panel::template(&template)
                };
                match project {
                    Some(p) => self.editor = Some(PanelEditor::new(p, None)),
                    None => self.errors.push(format!("no panel template \"{template}\"")),
                }
                self.mode = Mode::Panel;
            }
            EditorAction::Open(path) => {
                match PanelEditor::open(&path) {
                    Ok(editor) => self.editor = Some(editor),
                    Err(e) => self.errors.push(e),
                }
                self.mode = Mode::Panel;
            }
            other => {
                let Some(editor) = self.editor.as_mut() else { return };
                let result = match other {
                    EditorAction::Undo => {
                        editor.undo();
                        Ok(())
                    }
                    EditorAction::Redo => {
                        editor.redo();
                        Ok(())
                    }
                    EditorAction::Edit(edit) => editor.apply(edit),
                    EditorAction::Select(selection) => {
                        editor.selection = selection;
                        Ok(())
                    }
                    EditorAction::Save(path) => {
                        editor.save(&path).map(|()| self.status = Some(format!("saved {}", path.display())))
                    }
                    EditorAction::ExportInstallConfig(path) => match editor.project.install_config() {
                        Err(report) => Err(format!(
                            "{} errors: fix them before exporting the install configuration (first: {})",
                            report.errors.len(),
                            report.errors.first().map_or("", |f| f.message.as_str())
                        )),
                        Ok(config) => {
                            let text = if path.extension().is_some_and(|e| e == "ron") {
                                config.to_ron()
                            } else {
                                config.to_json()
                            };
                            crate::panel::write_atomic(&path, &text)
                                .map(|()| {
                                    self.status =
                                        Some(format!("exported the install configuration to {}", path.display()))
                                })
                                .map_err(|e| e.to_string())
                        }
                    },
                    EditorAction::ExportDirectory(path) => {
                        let text = if path.extension().is_some_and(|e| e == "csv") {
                            crate::panel::directory_csv(&editor.project)
                        } else {
                            crate::panel::directory_svg(&editor.project)
                        };
                        crate::panel::write_atomic(&path, &text)
                            .map(|()| self.status = Some(format!("exported the directory to {}", path.display())))
                            .map_err(|e| e.to_string())
                    }
                    EditorAction::ApplyToCapture => match editor.project.install_config() {
                        Err(report) => Err(format!("{} errors: fix them first", report.errors.len())),
                        Ok(config) => {
                            let path = editor.path.clone().unwrap_or_else(|| PathBuf::from("panel editor"));
                            let id = self.captures.get(self.selected).map(|c| c.id);
                            if let Some(id) = id {
                                self.apply(Message::InstallConfigRead { id, path, result: Ok(config) });
                                self.mode = Mode::Explorer;
                            }
                            Ok(())
                        }
                    },
                    EditorAction::DismissRecovery => {
                        editor.recovered = None;
                        Ok(())
                    }
                    EditorAction::New(_) | EditorAction::Open(_) => Ok(()),
                };
                if let Err(e) = result {
                    self.errors.push(e);
                }
            }
        }
    }

    /// The panel editor, when a project is open.
    pub fn editor(&self) -> Option<&PanelEditor> {
        self.editor.as_ref()
    }

    /// Which half of the window is shown.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Shows capture `i` with fresh cursors and view.
    fn select(&mut self, i: usize) {
        self.selected = i.min(self.captures.len().saturating_sub(1));
        self.cursors = [None, None];
        self.readout = None;
        self.next_cursor = 0;
        self.selected_event = None;
        self.event_filter.channel = None;
        self.spectrum_channel = None;
        if let Some(open) = self.captures.get(self.selected) {
            self.pending_zoom = Some((0.0, open.capture.duration_s().max(f64::MIN_POSITIVE)));
            self.pending_fit = true;
        }
    }

    /// Refits the value axes in the next frame, keeping the time span.
    fn pending_fit_y(&mut self) {
        if let Some(view) = self.view_s {
            self.pending_zoom = Some(view);
            self.pending_fit = true;
        }
    }

    /// Highlights the event whose marker is within a few pixels of `t_s`.
    fn select_event_near(&mut self, t_s: f64) {
        let (Some(open), Some((a, b))) = (self.captures.get(self.selected), self.view_s) else { return };
        let Some(Ok(d)) = &open.events else { return };
        let tolerance = (b - a) / 300.0;
        let listed = self.listed_events();
        let nearest = listed
            .into_iter()
            .map(|i| (i, (d.events[i].start_s - t_s).abs()))
            .filter(|&(_, dist)| dist <= tolerance)
            .min_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((i, _)) = nearest {
            self.selected_event = Some((i, true));
        }
    }

    /// Adds a capture built elsewhere (see [`OpenCapture::build`]) and shows it; events are
    /// detected in the background when `detect_events` is set.
    pub fn add_capture(&mut self, open: OpenCapture, detect_events: bool) {
        if detect_events {
            self.spawn_detection(open.id, open.capture.clone());
        }
        self.captures.push(open);
        self.select(self.captures.len() - 1);
    }

    /// Where the plots were drawn in the last frame, in points.
    pub fn plots_rect(&self) -> Option<egui::Rect> {
        self.plots_rect
    }

    /// Applies the messages that background work has sent.
    pub fn drain_messages(&mut self) {
        while let Ok(message) = self.rx.try_recv() {
            self.apply(message);
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        App::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings());
    }
}
