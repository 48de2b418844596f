//! The eframe application: the waveform explorer and the panel editor.
//!
//! - [`message`]: one message tree; intents are verbs, completions past tense.
//! - [`App::update`]: the one place that changes state. It hands each message to the part
//!   of the state it is about ([`explorer`], [`editor`], [`remote`]); those sub-updates
//!   return [`tasks::Effect`]s (a dialog, a file to read or write, a job, a request) that
//!   the task layer carries out off the frame and answers with a message.
//! - [`ui`]: drawing only: each function gets the view it draws and pushes messages.
//! - [`commands`]: the one table behind menus, shortcuts and tooltips.

pub mod commands;
pub mod editor;
pub mod explorer;
pub mod lanes;
pub mod message;
pub mod notes;
pub mod remote;
pub mod session;
pub mod settings;
pub mod state;
pub mod tasks;
mod ui;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui;

pub use editor::PanelEditor;
pub use message::{EditorAction, ExplorerMessage, Message, Mode, Purpose, RemoteMessage, RemoteTask, TaskMessage};
pub use remote::{Connection, Download, RemoteState, default_token_store};
pub use settings::Settings;
pub use state::{
    ChannelView, CursorMode, CursorReadout, Detail, DetailRequest, EventFilter, EventSort, ExportSpan, Installed,
    LoadJob, LoadStage, OpenCapture, REMOTE_NEEDS_SAMPLES, RemoteView, SelectedEvent, Selection, SideTab, Span,
    TimeMode, Trend, View,
};
pub use tasks::{Effect, FileDialogs, Outcome};

use crate::analysis::measure::MeasureReport;
pub use crate::panel::{Balance, Edit};
use explorer::Explorer;
use tasks::Tasks;

/// The bundled sample capture opened when no file is given.
pub fn default_sample_path() -> PathBuf {
    let relative = Path::new("sample-data").join("split-phase-10s.parquet");
    if relative.exists() { relative } else { Path::new(env!("CARGO_MANIFEST_DIR")).join(relative) }
}

/// The window icon, from `assets/`.
fn icon() -> Option<egui::IconData> {
    eframe::icon_data::from_png_bytes(include_bytes!("../../assets/panelscope.png")).ok()
}

/// Opens the GUI on `files`; with none, on the captures open when the window last closed,
/// or on the bundled sample capture the first time.
pub fn run(files: Vec<PathBuf>) -> anyhow::Result<()> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_inner_size([1400.0, 860.0])
        .with_title("panelscope")
        .with_app_id("panelscope");
    if let Some(icon) = icon() {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    let options = eframe::NativeOptions { viewport, ..Default::default() };
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
                app.update(ExplorerMessage::OpenWithInstallConfig { capture, config }.into());
            }
            for file in files {
                app.update(Message::OpenFile(file));
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// The application state, and the task layer that carries out its effects.
pub struct App {
    /// Remembered between runs.
    settings: Settings,
    explorer: Explorer,
    editor: Option<PanelEditor>,
    remote: RemoteState,
    mode: Mode,
    errors: Vec<String>,
    /// The last finished export, for the status line.
    status: Option<String>,
    tasks: Tasks,
}

impl App {
    /// A new app with nothing open.
    pub fn new(ctx: egui::Context) -> Self {
        Self {
            settings: Settings { server_url: crate::api::DEFAULT_URL.into(), ..Settings::default() },
            explorer: Explorer::default(),
            editor: None,
            remote: RemoteState { url: crate::api::DEFAULT_URL.into(), ..Default::default() },
            mode: Mode::Explorer,
            errors: Vec::new(),
            status: None,
            tasks: Tasks::new(ctx),
        }
    }

    /// Applies one message, then the effects it asks for; the only code that changes state.
    pub fn update(&mut self, message: Message) {
        let mut queue = std::collections::VecDeque::from([message]);
        while let Some(message) = queue.pop_front() {
            let mut out = Outcome::default();
            self.update_one(message, &mut out);
            self.errors.extend(out.errors);
            if out.status.is_some() {
                self.status = out.status;
            }
            for effect in out.effects {
                queue.extend(self.tasks.run(effect));
            }
        }
    }

    /// The same as [`Self::update`] (the name the first tests used).
    pub fn apply(&mut self, message: Message) {
        self.update(message);
    }

    fn update_one(&mut self, message: Message, out: &mut Outcome) {
        match message {
            Message::OpenFile(path) if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ron")) => {
                self.mode = Mode::Panel;
                editor::update(&mut self.editor, None, EditorAction::Open(path), out);
            }
            Message::OpenFile(path) if session::is_session(&path) => {
                out.effects.push(Effect::work("read-session", move || {
                    let result = session::Session::load(&path);
                    TaskMessage::SessionRead { path, result }.into()
                }));
            }
            Message::OpenFile(path) => self.explorer.load(path, out),
            Message::SaveSession(path) => {
                let captures: Vec<session::SavedCapture> = self
                    .explorer
                    .captures
                    .iter()
                    .filter(|c| c.remote.is_none())
                    .map(session::SavedCapture::of)
                    .collect();
                if captures.is_empty() {
                    out.errors.push("no capture from a file is open: nothing to save in a session".into());
                } else {
                    let selected = self.explorer.selected.min(captures.len() - 1);
                    let text =
                        session::Session { schema_version: session::SESSION_SCHEMA, captures, selected }.to_json();
                    out.effects.push(Effect::work("save-session", move || {
                        match tasks::files::write_text(&path, &text) {
                            Ok(()) => TaskMessage::Done(format!("saved the session to {}", path.display())),
                            Err(e) => TaskMessage::Failed(e),
                        }
                        .into()
                    }));
                }
            }
            Message::Choose(purpose) => out.effects.push(Effect::Choose(purpose)),
            Message::SetMode(mode) => self.mode = mode,
            Message::SetLight(light) => {
                self.settings.light = light;
                out.effects.push(Effect::Theme { light });
            }
            Message::DismissErrors => self.errors.clear(),
            Message::Explorer(m) => self.explorer.update(&mut self.settings, m, out),
            Message::Editor(action) => {
                if matches!(action, EditorAction::New(_) | EditorAction::Open(_) | EditorAction::Adopt(_)) {
                    self.mode = Mode::Panel;
                }
                let shown = self.explorer.shown().map(|c| c.id);
                editor::update(&mut self.editor, shown, action, out);
            }
            Message::Remote(m) => {
                if let RemoteMessage::SetUrl(url) = &m {
                    self.settings.server_url = url.clone();
                }
                self.remote.update(&mut self.explorer, self.editor.as_ref(), m, out);
            }
            Message::Task(task) => match *task {
                TaskMessage::Chosen { purpose, paths } => {
                    out.effects.extend(purpose.messages(paths).into_iter().map(Effect::Then));
                }
                TaskMessage::Done(status) => out.status = Some(status),
                TaskMessage::Failed(error) => out.errors.push(error),
                TaskMessage::Remote(t) => self.remote.finished(&mut self.explorer, t, out),
                TaskMessage::SessionRead { result: Err(e), .. } => out.errors.push(e),
                TaskMessage::SessionRead { path, result: Ok(session) } => {
                    out.status = Some(format!("opening the session {}", path.display()));
                    self.mode = Mode::Explorer;
                    self.explorer.open_session(session, out);
                }
                t @ (TaskMessage::ProjectRead { .. }
                | TaskMessage::ProjectSaved { .. }
                | TaskMessage::Autosaved { .. }) => editor::finished(&mut self.editor, t, out),
                t => self.explorer.finished(&mut self.settings, t, out),
            },
            Message::FrameShown { span, plots, time_axis, pixels_per_point } => {
                explorer::shown_frame(&mut self.explorer, span, plots, pixels_per_point);
                self.explorer.time_axis = time_axis;
                if let (Some(rect), Some(open)) =
                    (time_axis.or(plots), self.explorer.captures.get_mut(self.explorer.selected))
                {
                    out.effects.extend(remote::request_detail(open, rect.width().max(100.0) as usize));
                }
            }
        }
    }

    /// Applies the messages that background work has sent.
    pub fn drain_messages(&mut self) {
        for message in self.tasks.finished() {
            self.update(message);
        }
    }

    /// Where file dialogs come from (tests answer them without a desktop).
    pub fn set_dialogs(&mut self, dialogs: Arc<dyn FileDialogs>) {
        self.tasks.set_dialogs(dialogs);
    }

    /// Takes back what an earlier run saved (the files to reopen are the caller's choice).
    pub fn restore(&mut self, mut settings: Settings) {
        settings.recent.truncate(settings::RECENT_FILES);
        if settings.server_url.trim().is_empty() {
            settings.server_url = crate::api::DEFAULT_URL.into();
        }
        self.remote.url = settings.server_url.clone();
        let light = settings.light;
        self.settings = settings;
        self.tasks.run(Effect::Theme { light });
    }

    /// What to save for the next run.
    pub fn settings(&self) -> Settings {
        Settings {
            open: self.explorer.captures.iter().filter(|c| c.remote.is_none()).map(|c| c.path.clone()).collect(),
            ..self.settings.clone()
        }
    }

    /// Remembers the token in (and takes it back from) `path`; tests leave it unset. Read
    /// once, before the first frame.
    pub fn set_token_store(&mut self, path: Option<PathBuf>) {
        if let Some(token) = path.as_deref().and_then(tasks::files::read_token) {
            self.remote.token = token;
            self.remote.remember_token = true;
        }
        self.remote.token_store = path;
    }

    /// Adds a capture built elsewhere (see [`OpenCapture::build`]) and shows it; events are
    /// detected in the background when `detect_events` is set.
    pub fn add_capture(&mut self, open: OpenCapture, detect_events: bool) {
        if detect_events {
            self.tasks.run(open.detect_events());
        }
        self.explorer.add(open);
    }

    /// The explorer's state: captures, the tab shown, loads.
    pub fn explorer(&self) -> &Explorer {
        &self.explorer
    }

    /// Open captures.
    pub fn captures(&self) -> &[OpenCapture] {
        &self.explorer.captures
    }

    /// Index of the capture shown.
    pub fn selected(&self) -> usize {
        self.explorer.selected
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
        &self.explorer.loading
    }

    /// True while a file is loading.
    pub fn is_loading(&self) -> bool {
        !self.explorer.loading.is_empty()
    }

    /// The view of the capture shown.
    pub fn view(&self) -> Option<&View> {
        self.explorer.shown().map(|c| &c.view)
    }

    /// The time span (seconds) the plots showed in the last frame, if any.
    pub fn view_s(&self) -> Option<(f64, f64)> {
        self.view()?.span.map(Span::pair)
    }

    /// The cursors (A, B) of the capture shown, seconds from the first sample.
    pub fn cursors(&self) -> [Option<f64>; 2] {
        self.view().map_or([None, None], |v| v.cursors)
    }

    /// The cursor window, ordered, when both cursors are placed and apart.
    pub fn cursor_span(&self) -> Option<(f64, f64)> {
        self.view()?.cursor_span().map(Span::pair)
    }

    /// Measurements between the cursors, once computed.
    pub fn readout(&self) -> Option<&MeasureReport> {
        match &self.view()?.readout.as_ref()?.result {
            Some(Ok(r)) => Some(r),
            _ => None,
        }
    }

    /// Per phase, mains minus circuits over the cursor window (with an install
    /// configuration applied).
    pub fn balances(&self) -> &[Balance] {
        self.readout().map_or(&[], |r| &r.balances)
    }

    /// The event table's filter and order.
    pub fn event_filter(&self) -> EventFilter {
        self.view().map(|v| v.event_filter.clone()).unwrap_or_default()
    }

    /// The highlighted event (index in the detection's list).
    pub fn selected_event(&self) -> Option<usize> {
        self.view()?.selected_event.map(|s| s.index)
    }

    /// Indices of the events of the capture shown that the table lists, in its order.
    pub fn listed_events(&self) -> Vec<usize> {
        self.explorer.shown().map(OpenCapture::listed_events).unwrap_or_default()
    }

    /// Where the plots were drawn in the last frame, in points.
    pub fn plots_rect(&self) -> Option<egui::Rect> {
        self.explorer.plots_rect
    }

    /// The panel editor, when a project is open.
    pub fn editor(&self) -> Option<&PanelEditor> {
        self.editor.as_ref()
    }

    /// Which half of the window is shown.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The connection and what the server holds.
    pub fn remote(&self) -> &RemoteState {
        &self.remote
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
