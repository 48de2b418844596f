//! The eframe application. For now a capture overview: open captures (in the background),
//! list their channels with units and statistics, and plot the visible channels decimated
//! to the plot's pixel width. The full explorer grows from here.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::analysis::decimate::{bucket_extremes, equal_index_buckets};
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
            for file in files {
                app.apply(Message::OpenFile(file));
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// Intents and completions that change the app state.
#[derive(Debug)]
pub enum Message {
    OpenFile(PathBuf),
    CaptureLoaded(Box<OpenCapture>),
    LoadFailed { path: PathBuf, error: String },
    Select(usize),
    ToggleChannel { capture: usize, channel: usize },
    CloseCapture(usize),
}

/// A loaded capture with what the overview shows of it.
#[derive(Debug)]
pub struct OpenCapture {
    pub path: PathBuf,
    pub capture: Capture,
    /// Per channel: statistics (analog only) and visibility.
    pub stats: Vec<Option<Stats>>,
    pub visible: Vec<bool>,
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
}

impl App {
    /// A new app with nothing open.
    pub fn new(ctx: egui::Context) -> Self {
        let (tx, rx) = channel();
        Self { ctx, captures: Vec::new(), selected: 0, loading: Vec::new(), errors: Vec::new(), tx, rx }
    }

    /// Open captures.
    pub fn captures(&self) -> &[OpenCapture] {
        &self.captures
    }

    /// Errors shown in the window.
    pub fn errors(&self) -> &[String] {
        &self.errors
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
                self.captures.push(*open);
                self.selected = self.captures.len() - 1;
            }
            Message::LoadFailed { path, error } => {
                self.loading.retain(|p| p != &path);
                self.errors.push(error);
            }
            Message::Select(i) => self.selected = i.min(self.captures.len().saturating_sub(1)),
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
        let spawned = std::thread::Builder::new().name("load-capture".into()).spawn(move || {
            let message = match capture::read(&path) {
                Ok(capture) => {
                    let stats = capture
                        .channels
                        .iter()
                        .map(|c| match &c.samples {
                            Samples::Analog(v) => stats(v),
                            Samples::Digital(_) => None,
                        })
                        .collect();
                    let visible = capture.channels.iter().map(|c| c.kind != ChannelKind::Digital).collect();
                    Message::CaptureLoaded(Box::new(OpenCapture { path, capture, stats, visible }))
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
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui, &mut messages));
        egui::Panel::left("channels").default_size(330.0).show(ui, |ui| self.channels_ui(ui, &mut messages));
        egui::CentralPanel::default().show(ui, |ui| self.plots_ui(ui));
        for message in messages {
            self.apply(message);
        }
    }

    fn menu_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        ui.horizontal(|ui| {
            if ui.button("Open…").clicked()
                && let Some(files) = rfd::FileDialog::new()
                    .add_filter("captures", &["csv", "parquet", "cfg", "cff", "dat", "CFG", "CFF", "DAT"])
                    .pick_files()
            {
                messages.extend(files.into_iter().map(Message::OpenFile));
            }
            for (i, c) in self.captures.iter().enumerate() {
                if ui.selectable_label(i == self.selected, &c.capture.name).clicked() {
                    messages.push(Message::Select(i));
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

    fn channels_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
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
            egui::Grid::new("channel-grid").striped(true).show(ui, |ui| {
                ui.strong("channel");
                ui.strong("kind");
                ui.strong("unit");
                ui.strong("RMS");
                ui.end_row();
                for (i, ch) in c.channels.iter().enumerate() {
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

    fn plots_ui(&self, ui: &mut egui::Ui) {
        let Some(open) = self.captures.get(self.selected) else {
            ui.centered_and_justified(|ui| ui.label("Open a capture (.csv, .parquet, .cfg, .cff)."));
            return;
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
            return;
        }
        let height = (ui.available_height() / kinds.len() as f32 - 8.0).max(80.0);
        let width_px = ui.available_width().max(100.0) as usize;
        let link = ui.scope_id().with("time-axis");
        for kind in kinds {
            Plot::new(("plot", kind.as_str()))
                .height(height)
                .legend(Legend::default())
                .link_axis(link, [true, false])
                .y_axis_label(kind.as_str())
                .show(ui, |plot_ui| {
                    // While the time axis fits itself, give it the whole capture; once the
                    // user zooms or pans, only what is visible.
                    let bounds = plot_ui.plot_bounds();
                    let (x0, x1) = if plot_ui.auto_bounds().x {
                        (0.0, open.capture.duration_s())
                    } else {
                        (bounds.min()[0], bounds.max()[0])
                    };
                    for (i, ch) in open.capture.channels.iter().enumerate() {
                        if ch.kind != kind || !open.visible[i] {
                            continue;
                        }
                        let points = decimated_points(&open.capture, i, x0, x1, width_px);
                        plot_ui.line(Line::new(ch.name.clone(), PlotPoints::from(points)));
                    }
                });
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        App::ui(self, ui);
    }
}

/// Min/max points of channel `index` between `x0` and `x1` seconds, two per pixel column.
fn decimated_points(capture: &Capture, index: usize, x0: f64, x1: f64, width_px: usize) -> Vec<[f64; 2]> {
    let n = capture.sample_count();
    let (lo, hi) = if x1 > x0 && x0.is_finite() && x1.is_finite() {
        (capture.index_at_or_after(x0).saturating_sub(1), (capture.index_at_or_after(x1) + 1).min(n))
    } else {
        (0, n)
    };
    let (lo, hi) = if hi <= lo { (0, n) } else { (lo, hi) };
    let values: Vec<f32> = match &capture.channels[index].samples {
        Samples::Analog(v) => v[lo..hi].to_vec(),
        Samples::Digital(b) => (lo..hi).map(|i| if b.get(i) == Some(true) { 1.0 } else { 0.0 }).collect(),
    };
    if values.len() <= 2 * width_px {
        return values.iter().enumerate().map(|(i, &v)| [capture.time_s(lo + i), v as f64]).collect();
    }
    let mut points = Vec::with_capacity(2 * width_px);
    for r in equal_index_buckets(values.len(), width_px) {
        if let Some(e) = bucket_extremes(&values, r) {
            points.push([capture.time_s(lo + e.first.0), e.first.1 as f64]);
            points.push([capture.time_s(lo + e.second.0), e.second.1 as f64]);
        }
    }
    points
}
