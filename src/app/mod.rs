//! The eframe application. For now a capture overview: open captures (in the background),
//! list their channels with units and statistics, plot the visible channels from their
//! level-of-detail pyramids at the plot's pixel width, and list the detected events (found
//! in the background once a capture is loaded; a click zooms to one). The full explorer
//! grows from here.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints, VLine};
use rayon::prelude::*;

use crate::analysis::cycles::{CycleRms, cycle_rms};
use crate::analysis::events::{DetectOptions, Detection, EventKind, detect};
use crate::analysis::lod::Pyramid;
use crate::analysis::measure::{MeasureReport, measure_report};
use crate::analysis::stats::{Stats, stats};
use crate::capture::{self, Capture, ChannelKind, Samples};

/// The bundled sample capture opened when no file is given.
pub fn default_sample_path() -> PathBuf {
    let relative = Path::new("sample-data").join("split-phase-10s.parquet");
    if relative.exists() { relative } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(relative) }
}

/// Opens the GUI on `files`, or on the bundled sample capture when there are none.
pub fn run(files: Vec<PathBuf>) -> anyhow::Result<()> {
    let files = if files.is_empty() { vec![default_sample_path()] } else { files };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1280.0, 800.0]).with_title("panelscope"),
        ..Default::default()
    };
    eframe::run_native(
        "panelscope",
        options,
        Box::new(move |cc| {
            let mut app = App::new(cc.egui_ctx.clone());
            if let Some(settings) = cc.storage.and_then(|s| eframe::get_value::<Settings>(s, eframe::APP_KEY)) {
                app.restore(settings);
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

/// Intents and completions that change the app state.
#[derive(Debug)]
pub enum Message {
    OpenFile(PathBuf),
    CaptureLoaded(Box<OpenCapture>),
    LoadFailed {
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
    /// Show this time span (seconds) in every plot.
    ZoomTo {
        from_s: f64,
        to_s: f64,
    },
    /// Place cursor 0 (A) or 1 (B) at a time, seconds from the first sample.
    SetCursor {
        which: usize,
        t_s: f64,
    },
    /// Measurements between the cursors of capture `id` are ready.
    ReadoutReady {
        id: u64,
        span_s: (f64, f64),
        result: Result<Box<MeasureReport>, String>,
    },
    Select(usize),
    ToggleChannel {
        capture: usize,
        channel: usize,
    },
    CloseCapture(usize),
}

/// A loaded capture with what the overview shows of it.
#[derive(Debug)]
pub struct OpenCapture {
    /// Tells captures apart in messages from background work.
    pub id: u64,
    pub path: PathBuf,
    pub capture: std::sync::Arc<Capture>,
    /// Per channel: statistics and level-of-detail pyramid (analog only), and visibility.
    pub stats: Vec<Option<Stats>>,
    pub pyramids: Vec<Option<Pyramid>>,
    pub visible: Vec<bool>,
    /// Detected events: `None` while detection runs.
    pub events: Option<Result<Detection, String>>,
    /// Per channel: the one-cycle RMS refreshed every half cycle (voltages and currents),
    /// computed with the events.
    pub trends: Vec<Option<Trend>>,
}

/// What the window remembers between runs (runtime state is never saved).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Captures opened lately, newest first.
    pub recent: Vec<PathBuf>,
    /// Overlay the one-cycle RMS trends.
    pub show_trends: bool,
    /// Light theme instead of dark.
    pub light: bool,
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
    loading: Vec<PathBuf>,
    errors: Vec<String>,
    tx: Sender<Message>,
    rx: Receiver<Message>,
    next_id: u64,
    /// A time span every plot shows in the next frame.
    pending_zoom: Option<(f64, f64)>,
    /// The time span the plots showed in the last frame.
    view_s: Option<(f64, f64)>,
    /// Channel list search text.
    filter: String,
    /// Overlay the one-cycle RMS trends.
    show_trends: bool,
    /// Captures opened lately, newest first.
    recent: Vec<PathBuf>,
    /// Light theme instead of dark.
    light: bool,
    /// Cursors A and B of the capture shown, seconds from its first sample.
    cursors: [Option<f64>; 2],
    /// Measurements between the cursors: the span they are for, and the result (`None`
    /// while they are computed).
    readout: Option<((f64, f64), Option<Readout>)>,
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
            tx,
            rx,
            next_id: 0,
            pending_zoom: None,
            view_s: None,
            filter: String::new(),
            show_trends: false,
            recent: Vec::new(),
            light: false,
            cursors: [None, None],
            readout: None,
        }
    }

    /// Open captures.
    pub fn captures(&self) -> &[OpenCapture] {
        &self.captures
    }

    /// Errors shown in the window.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }

    /// Takes back what an earlier run saved.
    pub fn restore(&mut self, settings: Settings) {
        self.show_trends = settings.show_trends;
        self.recent = settings.recent;
        self.recent.truncate(RECENT_FILES);
        self.set_light(settings.light);
    }

    /// What to save for the next run.
    pub fn settings(&self) -> Settings {
        Settings { recent: self.recent.clone(), show_trends: self.show_trends, light: self.light }
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

    /// Applies one message to the state.
    pub fn apply(&mut self, message: Message) {
        match message {
            Message::OpenFile(path) => self.spawn_load(path),
            Message::CaptureLoaded(open) => {
                self.loading.retain(|p| p != &open.path);
                self.recent.retain(|p| p != &open.path);
                self.recent.insert(0, open.path.clone());
                self.recent.truncate(RECENT_FILES);
                self.spawn_detection(open.id, open.capture.clone());
                self.captures.push(*open);
                self.selected = self.captures.len() - 1;
            }
            Message::EventsDetected { id, result, trends } => {
                if let Some(open) = self.captures.iter_mut().find(|c| c.id == id) {
                    open.events = Some(result);
                    open.trends = trends;
                }
            }
            Message::ShowTrends(show) => self.show_trends = show,
            Message::SetLight(light) => self.set_light(light),
            Message::ZoomTo { from_s, to_s } => self.pending_zoom = Some((from_s, to_s)),
            Message::SetCursor { which, t_s } => {
                if let Some(c) = self.cursors.get_mut(which) {
                    *c = Some(t_s);
                }
                self.spawn_readout();
            }
            Message::ReadoutReady { id, span_s, result } => {
                let current = self.captures.get(self.selected).map(|c| c.id);
                if current == Some(id) && self.readout.as_ref().is_some_and(|(s, _)| *s == span_s) {
                    self.readout = Some((span_s, Some(result)));
                }
            }
            Message::LoadFailed { path, error } => {
                self.loading.retain(|p| p != &path);
                self.errors.push(error);
            }
            Message::Select(i) => {
                self.selected = i.min(self.captures.len().saturating_sub(1));
                self.cursors = [None, None];
                self.readout = None;
            }
            Message::ToggleChannel { capture, channel } => {
                if let Some(v) = self.captures.get_mut(capture).and_then(|c| c.visible.get_mut(channel)) {
                    *v = !*v;
                }
            }
            Message::CloseCapture(i) => {
                if i < self.captures.len() {
                    self.captures.remove(i);
                    self.selected = self.selected.min(self.captures.len().saturating_sub(1));
                }
            }
        }
    }

    fn spawn_load(&mut self, path: PathBuf) {
        self.loading.push(path.clone());
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        let id = self.next_id;
        self.next_id += 1;
        let spawned = std::thread::Builder::new().name("load-capture".into()).spawn(move || {
            let message = match capture::read(&path) {
                Ok(capture) => {
                    // Statistics and pyramids of all channels, in parallel.
                    let (stats, pyramids) = capture
                        .channels
                        .par_iter()
                        .map(|c| match &c.samples {
                            Samples::Analog(v) => (stats(v), Some(Pyramid::build(v))),
                            Samples::Digital(_) => (None, None),
                        })
                        .unzip();
                    let visible = capture.channels.iter().map(|c| c.kind != ChannelKind::Digital).collect();
                    let capture = std::sync::Arc::new(capture);
                    Message::CaptureLoaded(Box::new(OpenCapture {
                        id,
                        path,
                        capture,
                        stats,
                        pyramids,
                        visible,
                        events: None,
                        trends: Vec::new(),
                    }))
                }
                Err(e) => Message::LoadFailed { path, error: e.to_string() },
            };
            let _ = tx.send(message);
            ctx.request_repaint();
        });
        if let Err(e) = spawned {
            self.errors.push(format!("cannot start loading: {e}"));
        }
    }

    fn spawn_detection(&mut self, id: u64, capture: std::sync::Arc<Capture>) {
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new().name("detect-events".into()).spawn(move || {
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
            let _ = tx.send(Message::EventsDetected { id, result, trends });
            ctx.request_repaint();
        });
        if let Err(e) = spawned {
            self.errors.push(format!("cannot start event detection: {e}"));
        }
    }

    /// Measures the span between the cursors in the background (when both are placed).
    fn spawn_readout(&mut self) {
        let (Some(a), Some(b)) = (self.cursors[0], self.cursors[1]) else {
            return;
        };
        let Some(open) = self.captures.get(self.selected) else {
            return;
        };
        let span_s = (a.min(b), a.max(b));
        if span_s.1 <= span_s.0 {
            self.readout = None;
            return;
        }
        self.readout = Some((span_s, None));
        let (id, capture, tx, ctx) = (open.id, open.capture.clone(), self.tx.clone(), self.ctx.clone());
        let spawned = std::thread::Builder::new().name("measure-cursors".into()).spawn(move || {
            let result = measure_report(&capture, Some(span_s.0.max(0.0)), Some(span_s.1))
                .map(Box::new)
                .map_err(|e| e.to_string());
            let _ = tx.send(Message::ReadoutReady { id, span_s, result });
            ctx.request_repaint();
        });
        if let Err(e) = spawned {
            self.errors.push(format!("cannot start measuring: {e}"));
        }
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

    /// Applies the messages that background work has sent.
    pub fn drain_messages(&mut self) {
        while let Ok(message) = self.rx.try_recv() {
            self.apply(message);
        }
    }

    /// Draws the whole window and applies what the user did.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.drain_messages();
        let mut messages = Vec::new();
        // Files dropped on the window, and the keyboard shortcuts the menu shows.
        let dropped: Vec<PathBuf> = ui.ctx().input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        messages.extend(dropped.into_iter().map(Message::OpenFile));
        if ui.ctx().input_mut(|i| i.consume_shortcut(&OPEN_SHORTCUT)) {
            messages.extend(pick_files().into_iter().map(Message::OpenFile));
        }
        if ui.ctx().input_mut(|i| i.consume_shortcut(&CLOSE_SHORTCUT)) && !self.captures.is_empty() {
            messages.push(Message::CloseCapture(self.selected));
        }
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui, &mut messages));
        let mut filter = std::mem::take(&mut self.filter);
        egui::Panel::left("channels")
            .default_size(330.0)
            .show(ui, |ui| self.channels_ui(ui, &mut filter, &mut messages));
        self.filter = filter;
        egui::Panel::right("cursors").default_size(300.0).show(ui, |ui| self.cursors_ui(ui));
        egui::Panel::bottom("events")
            .default_size(200.0)
            .min_size(140.0)
            .resizable(true)
            .show(ui, |ui| self.events_ui(ui, &mut messages));
        let zoom = self.pending_zoom.take();
        self.view_s = egui::CentralPanel::default().show(ui, |ui| self.plots_ui(ui, zoom, &mut messages)).inner;
        for message in messages {
            self.apply(message);
        }
    }

    fn menu_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        ui.horizontal(|ui| {
            let open = ui.button("Open…").on_hover_text(format!(
                "Open captures ({}); or drop files on the window",
                ui.ctx().format_shortcut(&OPEN_SHORTCUT)
            ));
            if open.clicked() {
                messages.extend(pick_files().into_iter().map(Message::OpenFile));
            }
            ui.add_enabled_ui(!self.recent.is_empty(), |ui| {
                ui.menu_button("Recent", |ui| {
                    for path in &self.recent {
                        if ui.button(path.display().to_string()).clicked() {
                            messages.push(Message::OpenFile(path.clone()));
                            ui.close();
                        }
                    }
                });
            });
            let mut light = self.light;
            if ui.checkbox(&mut light, "Light").on_hover_text("Light or dark theme").changed() {
                messages.push(Message::SetLight(light));
            }
            let mut trends = self.show_trends;
            let toggle = ui.checkbox(&mut trends, "RMS trend");
            if toggle.on_hover_text("Overlay the one-cycle RMS, refreshed every half cycle").changed() {
                messages.push(Message::ShowTrends(trends));
            }
            ui.separator();
            for (i, c) in self.captures.iter().enumerate() {
                if ui
                    .selectable_label(i == self.selected, &c.capture.name)
                    .on_hover_text(c.path.display().to_string())
                    .clicked()
                {
                    messages.push(Message::Select(i));
                }
                if i == self.selected
                    && ui
                        .small_button("×")
                        .on_hover_text(format!("Close ({})", ui.ctx().format_shortcut(&CLOSE_SHORTCUT)))
                        .clicked()
                {
                    messages.push(Message::CloseCapture(i));
                }
            }
            if !self.loading.is_empty() {
                ui.spinner();
                ui.label(format!(
                    "loading {}",
                    self.loading.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
                ));
            }
        });
        for error in &self.errors {
            ui.colored_label(ui.visuals().error_fg_color, format!("error: {error}"));
        }
    }

    fn channels_ui(&self, ui: &mut egui::Ui, filter: &mut String, messages: &mut Vec<Message>) {
        let Some(open) = self.captures.get(self.selected) else {
            ui.label("No capture open.");
            return;
        };
        let c = &open.capture;
        ui.heading(&c.name);
        let rate = c.sample_rate_hz().map(|r| format!("{r} Hz")).unwrap_or_else(|| "irregular time".into());
        ui.label(format!("{} samples at {rate}, {:.3} s", c.sample_count(), c.duration_s()));
        if let Some(start) = c.start {
            ui.label(format!("start {}", start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
        }
        ui.label(format!("{} analog, {} digital channels", c.analog_count(), c.digital_count()));
        ui.separator();
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.add(egui::TextEdit::singleline(filter).hint_text("search channels"));
            let wanted = filter.trim().to_lowercase();
            egui::Grid::new("channel-grid").striped(true).show(ui, |ui| {
                ui.strong("channel");
                ui.strong("kind");
                ui.strong("unit");
                ui.strong("RMS");
                ui.end_row();
                for (i, ch) in c.channels.iter().enumerate() {
                    if !wanted.is_empty() && !ch.name.to_lowercase().contains(&wanted) {
                        continue;
                    }
                    let mut shown = open.visible[i];
                    if ui.checkbox(&mut shown, &ch.name).changed() {
                        messages.push(Message::ToggleChannel { capture: self.selected, channel: i });
                    }
                    ui.label(ch.kind.as_str());
                    ui.label(&ch.unit);
                    ui.label(open.stats[i].map(|s| format!("{:.4}", s.rms)).unwrap_or_default());
                    ui.end_row();
                }
            });
        });
    }

    fn events_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        let Some(open) = self.captures.get(self.selected) else {
            return;
        };
        let detection = match &open.events {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("detecting events…");
                });
                return;
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("event detection: {e}"));
                return;
            }
            Some(Ok(d)) => d,
        };
        ui.horizontal(|ui| {
            ui.strong(format!("{} events", detection.events.len()));
            ui.label(format!("at {:.3} Hz", detection.frequency_hz));
            for w in &detection.warnings {
                ui.label(format!("· {w}"));
            }
        });
        let cycle_s = 1.0 / detection.frequency_hz;
        egui::ScrollArea::vertical().id_salt("event-table").show(ui, |ui| {
            egui::Grid::new("event-grid").striped(true).num_columns(5).show(ui, |ui| {
                for title in ["start s", "kind", "channel", "magnitude", ""] {
                    ui.strong(title);
                }
                ui.end_row();
                for e in &detection.events {
                    if ui.link(format!("{:.4}", e.start_s)).on_hover_text("Zoom to this event").clicked() {
                        let end = e.end_s.unwrap_or(e.start_s);
                        messages.push(Message::ZoomTo { from_s: e.start_s - 3.0 * cycle_s, to_s: end + 3.0 * cycle_s });
                    }
                    ui.colored_label(kind_color(e.kind), e.kind.as_str());
                    ui.label(&e.channel);
                    ui.label(format!("{:.4} {}", e.magnitude, e.unit));
                    ui.label(&e.note);
                    ui.end_row();
                }
            });
        });
    }

    /// Draws the stacked plots; returns the time span they show.
    fn cursors_ui(&self, ui: &mut egui::Ui) {
        ui.heading("Cursors");
        ui.label("Click a plot for cursor A; right-click or Shift+click for B.");
        let [a, b] = self.cursors;
        let t = |c: Option<f64>| c.map_or("-".to_string(), |t| format!("{t:.6} s"));
        egui::Grid::new("cursor-times").num_columns(2).show(ui, |ui| {
            ui.label("A");
            ui.label(t(a));
            ui.end_row();
            ui.label("B");
            ui.label(t(b));
            ui.end_row();
            if let (Some(a), Some(b)) = (a, b) {
                let dt = (b - a).abs();
                ui.label("Δt");
                ui.label(format!("{:.6} s", dt));
                ui.end_row();
                ui.label("1/Δt");
                ui.label(if dt > 0.0 { format!("{:.4} Hz", 1.0 / dt) } else { "-".into() });
                ui.end_row();
            }
        });
        let report = match &self.readout {
            None => return,
            Some((_, None)) => {
                ui.spinner();
                return;
            }
            Some((_, Some(Err(e)))) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
                return;
            }
            Some((_, Some(Ok(r)))) => r,
        };
        ui.separator();
        let Some(open) = self.captures.get(self.selected) else { return };
        let num = |v: Option<f64>| v.map_or("-".to_string(), crate::cli::fmt_value);
        egui::ScrollArea::vertical().id_salt("readout").show(ui, |ui| {
            egui::Grid::new("readout-grid").striped(true).show(ui, |ui| {
                for title in ["channel", "RMS", "mean", "min", "max", "f Hz"] {
                    ui.strong(title);
                }
                ui.end_row();
                for c in &report.channels {
                    let shown =
                        open.capture.channels.iter().position(|ch| ch.name == c.name).is_some_and(|i| open.visible[i]);
                    if !shown {
                        continue;
                    }
                    ui.label(format!("{} [{}]", c.name, c.unit));
                    ui.label(num(c.rms));
                    ui.label(num(c.mean));
                    ui.label(num(c.min));
                    ui.label(num(c.max));
                    ui.label(c.frequency_hz.map_or("-".into(), |f| format!("{f:.3}")));
                    ui.end_row();
                }
            });
            if !report.pairs.is_empty() {
                ui.separator();
                egui::Grid::new("pairs-grid").striped(true).show(ui, |ui| {
                    for title in ["pair", "P W", "Q var", "S VA", "PF"] {
                        ui.strong(title);
                    }
                    ui.end_row();
                    for p in &report.pairs {
                        ui.label(format!("{} × {}", p.voltage, p.current));
                        ui.label(crate::cli::fmt_value(p.power.p_w));
                        ui.label(num(p.power.q_var));
                        ui.label(crate::cli::fmt_value(p.power.s_va));
                        ui.label(p.power.pf.map_or("-".into(), |v| format!("{v:.3}")));
                        ui.end_row();
                    }
                });
            }
        });
    }

    fn plots_ui(&self, ui: &mut egui::Ui, zoom: Option<(f64, f64)>, messages: &mut Vec<Message>) -> Option<(f64, f64)> {
        let Some(open) = self.captures.get(self.selected) else {
            ui.centered_and_justified(|ui| ui.label("Open a capture (.csv, .parquet, .cfg, .cff)."));
            return None;
        };
        let kinds: Vec<ChannelKind> = {
            let mut k: Vec<ChannelKind> = open
                .capture
                .channels
                .iter()
                .enumerate()
                .filter(|(i, _)| open.visible[*i])
                .map(|(_, c)| c.kind)
                .collect();
            k.sort();
            k.dedup();
            k
        };
        if kinds.is_empty() {
            ui.label("No channel is shown.");
            return None;
        }
        let height = (ui.available_height() / kinds.len() as f32 - 8.0).max(80.0);
        let width_px = ui.available_width().max(100.0) as usize;
        let link = ui.scope_id().with("time-axis");
        let cursor_color = ui.visuals().strong_text_color();
        let mut view = None;
        for kind in kinds {
            Plot::new(("plot", kind.as_str()))
                .height(height)
                .legend(Legend::default())
                .link_axis(link, [true, false])
                .y_axis_label(kind.as_str())
                .show(ui, |plot_ui| {
                    if let Some((from_s, to_s)) = zoom {
                        plot_ui.set_plot_bounds_x(from_s..=to_s);
                        plot_ui.set_auto_bounds([false, true]);
                    }
                    // While the time axis fits itself, give it the whole capture; once the
                    // user zooms or pans, only what is visible.
                    let bounds = plot_ui.plot_bounds();
                    let (x0, x1) = match zoom {
                        Some(span) => span,
                        None if plot_ui.auto_bounds().x => (0.0, open.capture.duration_s()),
                        None => (bounds.min()[0], bounds.max()[0]),
                    };
                    view = Some((x0, x1));
                    for (i, ch) in open.capture.channels.iter().enumerate() {
                        if ch.kind != kind || !open.visible[i] {
                            continue;
                        }
                        let points = decimated_points(&open.capture, open.pyramids[i].as_ref(), i, x0, x1, width_px);
                        plot_ui.line(Line::new(ch.name.clone(), PlotPoints::from(points)));
                        if self.show_trends
                            && let Some(Some(trend)) = open.trends.get(i)
                        {
                            let points = trend_points(trend, x0, x1, width_px);
                            plot_ui.line(Line::new(format!("{} RMS", ch.name), PlotPoints::from(points)).width(2.0));
                        }
                    }
                    for (which, cursor) in self.cursors.iter().enumerate() {
                        if let Some(t) = cursor {
                            let name = if which == 0 { "cursor A" } else { "cursor B" };
                            plot_ui.vline(VLine::new(name, *t).color(cursor_color).width(1.5));
                        }
                    }
                    let (primary, secondary) = (plot_ui.response().clicked(), plot_ui.response().secondary_clicked());
                    if (primary || secondary)
                        && let Some(pointer) = plot_ui.pointer_coordinate()
                    {
                        let shift = plot_ui.ctx().input(|i| i.modifiers.shift);
                        let which = usize::from(secondary || shift);
                        messages.push(Message::SetCursor { which, t_s: pointer.x });
                    }
                    if let Some(Ok(d)) = &open.events {
                        for e in d.events.iter().filter(|e| (x0..=x1).contains(&e.start_s)) {
                            plot_ui.vline(VLine::new(e.kind.as_str(), e.start_s).color(kind_color(e.kind)).width(1.0));
                        }
                    }
                });
        }
        view
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

/// Points of a one-cycle RMS trend between `x0` and `x1` seconds: every value when few,
/// else min and max per pixel column from its pyramid.
fn trend_points(trend: &Trend, x0: f64, x1: f64, width_px: usize) -> Vec<[f64; 2]> {
    let (first_s, step_s, values) = (trend.rms.first_s, trend.rms.step_s, &trend.rms.values);
    let n = values.len();
    let index = |t: f64| (((t - first_s) / step_s).max(0.0) as usize).min(n);
    let (lo, hi) = (index(x0).saturating_sub(1), (index(x1) + 2).min(n));
    if lo >= hi {
        return Vec::new();
    }
    let time = |k: f64| first_s + k * step_s;
    let width_px = width_px.max(1);
    if hi - lo <= 2 * width_px {
        return (lo..hi).filter(|&k| values[k].is_finite()).map(|k| [time(k as f64), f64::from(values[k])]).collect();
    }
    let per_px = (hi - lo) as f64 / width_px as f64;
    let mut points = Vec::with_capacity(2 * width_px);
    for (k, m) in trend.pyramid.query(values, lo..hi, width_px).into_iter().enumerate() {
        let Some(m) = m else { continue };
        let [a, b] = m.in_order();
        points.push([time(lo as f64 + k as f64 * per_px), f64::from(a)]);
        points.push([time(lo as f64 + (k as f64 + 0.5) * per_px), f64::from(b)]);
    }
    points
}

/// Opens the file dialog.
const OPEN_SHORTCUT: egui::KeyboardShortcut = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O);
/// Closes the capture shown.
const CLOSE_SHORTCUT: egui::KeyboardShortcut = egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::W);

/// Asks the user for capture files (none when cancelled).
fn pick_files() -> Vec<PathBuf> {
    rfd::FileDialog::new()
        .add_filter("captures", &["csv", "parquet", "cfg", "cff", "dat", "CFG", "CFF", "DAT"])
        .pick_files()
        .unwrap_or_default()
}

/// The colour events of a kind are marked with.
fn kind_color(kind: EventKind) -> egui::Color32 {
    match kind {
        EventKind::LoadOn => egui::Color32::from_rgb(80, 170, 90),
        EventKind::LoadOff => egui::Color32::from_rgb(120, 140, 160),
        EventKind::Sag => egui::Color32::from_rgb(230, 150, 40),
        EventKind::Swell => egui::Color32::from_rgb(200, 90, 200),
        EventKind::Interruption => egui::Color32::from_rgb(220, 60, 60),
        EventKind::Transient => egui::Color32::from_rgb(70, 150, 230),
    }
}

/// Min/max points of channel `index` between `x0` and `x1` seconds, two per pixel column,
/// from its pyramid (analog channels) or the bits themselves (digital).
fn decimated_points(
    capture: &Capture,
    pyramid: Option<&Pyramid>,
    index: usize,
    x0: f64,
    x1: f64,
    width_px: usize,
) -> Vec<[f64; 2]> {
    let n = capture.sample_count();
    let (lo, hi) = if x1 > x0 && x0.is_finite() && x1.is_finite() {
        (capture.index_at_or_after(x0).saturating_sub(1), (capture.index_at_or_after(x1) + 1).min(n))
    } else {
        (0, n)
    };
    let (lo, hi) = if hi <= lo { (0, n) } else { (lo, hi) };
    let width_px = width_px.max(1);
    match (&capture.channels[index].samples, pyramid) {
        (Samples::Analog(v), _) if hi - lo <= 2 * width_px => {
            (lo..hi).filter(|&i| v[i].is_finite()).map(|i| [capture.time_s(i), f64::from(v[i])]).collect()
        }
        (Samples::Analog(v), Some(p)) => {
            // Two points per column, at the column's start and middle: exact in value and
            // in order, within a column in time.
            let per_px = (hi - lo) as f64 / width_px as f64;
            let mut points = Vec::with_capacity(2 * width_px);
            for (k, m) in p.query(v, lo..hi, width_px).into_iter().enumerate() {
                let Some(m) = m else { continue };
                let t = |offset: f64| capture.time_s(lo + (k as f64 * per_px + offset * per_px) as usize);
                let [a, b] = m.in_order();
                points.push([t(0.0), f64::from(a)]);
                points.push([t(0.5), f64::from(b)]);
            }
            points
        }
        (Samples::Analog(_), None) => Vec::new(),
        (Samples::Digital(b), _) => {
            // Per column: its first state, and the other one if it changes inside.
            // TODO(digital pyramids): a scan of the bits in view each frame.
            let bit = |i: usize| if b.get(i) == Some(true) { 1.0 } else { 0.0 };
            let columns = width_px.min(hi - lo);
            let mut points = Vec::with_capacity(2 * columns);
            for k in 0..columns {
                let a = lo + k * (hi - lo) / columns;
                let z = lo + (k + 1) * (hi - lo) / columns;
                let first = bit(a);
                points.push([capture.time_s(a), first]);
                if let Some(change) = (a + 1..z).find(|&i| bit(i) != first) {
                    points.push([capture.time_s(change), 1.0 - first]);
                }
            }
            points
        }
    }
}
