//! Everything that changes the app: one message tree.
//!
//! Intents are verbs (`ZoomTo`, `OpenFile`) and serialisable, so a UI test, a session file
//! or a command palette can be a capture plus a list of them; completions of background
//! work are past tense (`CaptureLoaded`) and live under [`Message::Task`].

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;
use serde::{Deserialize, Serialize};

use super::explorer::{CursorMode, EventFilter, ExportSpan, OpenCapture, SideTab, TimeMode, Trend};
use super::remote::{RemoteMessage, RemoteTask};
use super::tasks::Purpose;
use crate::analysis::events::Detection;
use crate::analysis::measure::MeasureReport;
use crate::panel::{Edit, InstallConfig, Project};

/// The two halves of the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// The waveform explorer.
    #[default]
    Explorer,
    /// The panel layout editor.
    Panel,
}

/// Every message the app's one `update` applies.
#[derive(Debug)]
pub enum Message {
    /// Open a capture (or, for `.ron`, a panel project in the editor).
    OpenFile(PathBuf),
    /// Ask the user for a file (a dialog on a worker); the answer comes back as
    /// [`TaskMessage::Chosen`].
    Choose(Purpose),
    SetMode(Mode),
    /// Light theme (true) or dark.
    SetLight(bool),
    DismissErrors,
    Explorer(ExplorerMessage),
    Editor(EditorAction),
    Remote(RemoteMessage),
    /// Background work finished.
    Task(Box<TaskMessage>),
    /// What the plots showed in the frame just drawn (the time span, where they are, and
    /// the scale), kept on the view of the capture shown.
    FrameShown {
        span_s: Option<(f64, f64)>,
        plots: Option<egui::Rect>,
        pixels_per_point: f32,
    },
}

/// What the user asks of the explorer (the capture tab shown, unless a message names one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ExplorerMessage {
    /// Open a capture and apply an install configuration to it once loaded.
    OpenWithInstallConfig {
        capture: PathBuf,
        config: PathBuf,
    },
    /// Stop loading this file (by load id).
    CancelLoad(u64),
    /// Overlay the one-cycle RMS trends on the plots, or not.
    ShowTrends(bool),
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
    /// Highlight this event (index in the detection's list) in the table.
    SelectEvent(Option<usize>),
    SetEventFilter(EventFilter),
    /// Which channel the spectrum shows.
    SpectrumChannel(String),
    /// Show capture tab `i`.
    Select(usize),
    ToggleChannel {
        capture: usize,
        channel: usize,
    },
    /// Show (true) or hide every channel of the capture shown.
    ShowAll(bool),
    /// A channel's colour (RGB).
    SetColor {
        channel: usize,
        rgb: [u8; 3],
    },
    /// The channel list's search text.
    SetSearch(String),
    CloseCapture(usize),
    /// Write the visible or cursor window of the visible channels to a capture file.
    ExportWindow {
        span: ExportSpan,
        path: PathBuf,
    },
    /// Write the listed events to a CSV file.
    ExportEvents(PathBuf),
    /// Save the plots as a PNG (a screenshot of their area).
    SavePng(PathBuf),
    /// Name the channels of the capture shown by the circuits of this install
    /// configuration (.json or .ron), pair its currents and show the balance.
    ApplyInstallConfig(PathBuf),
    ClearInstallConfig,
}

/// What the panel editor is asked to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EditorAction {
    /// Start from a template (`split-phase-30`, ..., or `sample`).
    New(String),
    Open(PathBuf),
    /// Edit this project (from a server), as a new unsaved one.
    Adopt(Box<Project>),
    Save(PathBuf),
    Undo,
    Redo,
    Edit(Edit),
    Select(Option<super::editor::Selection>),
    ExportInstallConfig(PathBuf),
    ExportDirectory(PathBuf),
    /// Apply the project's install configuration to the capture shown.
    ApplyToCapture,
    /// Forget the autosaved changes offered after a crash.
    DismissRecovery,
}

/// Completions of background work, each answering an effect.
#[derive(Debug)]
pub enum TaskMessage {
    /// A file dialog closed; no paths when cancelled.
    Chosen {
        purpose: Purpose,
        paths: Vec<PathBuf>,
    },
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
    /// Measurements between the cursors of capture `id` are ready (with the per-phase
    /// balance when an install configuration is applied).
    ReadoutReady {
        id: u64,
        span_s: (f64, f64),
        result: Result<Box<MeasureReport>, String>,
    },
    /// An install configuration was read for capture `id`.
    InstallConfigRead {
        id: u64,
        path: PathBuf,
        result: Result<InstallConfig, String>,
    },
    /// The window's screenshot for a pending PNG.
    Screenshot {
        path: PathBuf,
        image: Arc<egui::ColorImage>,
    },
    /// A project file was read for the editor.
    ProjectRead {
        path: PathBuf,
        result: Result<(Project, Option<Project>), String>,
    },
    /// The editor's project was saved to `path`.
    ProjectSaved {
        path: PathBuf,
        result: Result<(), String>,
    },
    /// An autosave of the editor's project was written (or failed).
    Autosaved {
        path: PathBuf,
        result: Result<(), String>,
    },
    Remote(RemoteTask),
    /// Work finished with a line for the status bar.
    Done(String),
    Failed(String),
}

impl From<ExplorerMessage> for Message {
    fn from(m: ExplorerMessage) -> Self {
        Self::Explorer(m)
    }
}

impl From<EditorAction> for Message {
    fn from(m: EditorAction) -> Self {
        Self::Editor(m)
    }
}

impl From<RemoteMessage> for Message {
    fn from(m: RemoteMessage) -> Self {
        Self::Remote(m)
    }
}

impl From<TaskMessage> for Message {
    fn from(m: TaskMessage) -> Self {
        Self::Task(Box::new(m))
    }
}
