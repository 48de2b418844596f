//! Everything that changes the app: one message tree.
//!
//! Intents are verbs (`ZoomTo`, `OpenFile`) and serialisable, so a UI test, a session file
//! or a command palette can be a capture plus a list of them; completions of background
//! work are past tense (`CaptureLoaded`) and live under [`Message::Task`].

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;
use serde::{Deserialize, Serialize};

use super::state::{
    CursorMode, DetailRequest, EventFilter, ExportSpan, OpenCapture, Selection, SideTab, Span, TimeMode, Trend,
};
use crate::analysis::events::Detection;
use crate::analysis::measure::MeasureReport;
use crate::api::client::Client;
use crate::api::{CaptureInfo, CaptureSummary, Health, PanelSummary, Stored};
use crate::capture::Capture;
use crate::panel::{Edit, InstallConfig, Project, VerifyReport};

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
    /// Open a capture (or, for `.ron`, a panel project in the editor; for `.psession`, a
    /// saved session).
    OpenFile(PathBuf),
    /// Write the open captures (their views, lanes, cursors, notes and install
    /// configurations) to a session file.
    SaveSession(PathBuf),
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
        span: Option<Span>,
        plots: Option<egui::Rect>,
        /// Where the time axis maps the span in view (the data area of the lanes).
        time_axis: Option<egui::Rect>,
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
    /// Draw waveforms too dense to read as they are (true) or as their one-cycle RMS.
    SetDenseWaveforms(bool),
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
    /// Pin a note at cursor A (to cursor B, when placed) of the capture shown, about this
    /// channel if given; saved beside the capture file.
    AddNote {
        text: String,
        channel: Option<String>,
    },
    /// Remove note `i` (in time order) of the capture shown.
    DeleteNote(usize),
    /// The note being written, its channel, and the notes list's search text.
    SetNoteDraft(String),
    SetNoteChannel(Option<String>),
    SetNoteSearch(String),
    /// Change the lanes of the capture shown (remembered for its file).
    Lanes(crate::app::lanes::LaneEdit),
    /// Show this channel's waveform beside its voltage: only the two visible, a few cycles
    /// in view, the spectrum on it (a verify finding's "Waveform").
    FocusChannel(String),
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
    Select(Option<Selection>),
    ExportInstallConfig(PathBuf),
    ExportDirectory(PathBuf),
    /// Write the configuration file of the project's monitor (IoTaWatt JSON, ESPHome YAML);
    /// refused, writing nothing, when the device would refuse it.
    ExportDevice(PathBuf),
    /// Apply the project's install configuration to the capture shown.
    ApplyToCapture,
    /// Show the breaker at `slot` (`space 3`, `spaces 1, 3`) of panel `panel` in the
    /// editor, opening `project` first when the editor holds another panel.
    ShowSlot {
        slot: String,
        panel: String,
        project: Option<PathBuf>,
    },
    /// Forget the autosaved changes offered after a crash.
    DismissRecovery,
    /// Drop the unsaved changes and do the New or Open that was held back for them.
    DiscardChanges,
    /// Keep the unsaved changes: forget the New or Open that was held back.
    KeepEditing,
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
        span: Span,
        result: Result<Box<MeasureReport>, String>,
    },
    /// A session file was read.
    SessionRead {
        path: PathBuf,
        result: Result<crate::app::session::Session, String>,
    },
    /// The wiring of capture `id` was checked against `config`.
    Verified {
        id: u64,
        config: Arc<InstallConfig>,
        result: Result<Box<VerifyReport>, String>,
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
        /// The slot to select once it is open (a verify finding's "In editor").
        select: Option<String>,
        result: Result<Box<(Project, Option<Project>)>, String>,
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

/// What the user asks of the server connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RemoteMessage {
    /// Connect to this server (URL and token as typed).
    Connect,
    Disconnect,
    /// Ask for the lists again.
    Refresh,
    ShowWindow(bool),
    SetUrl(String),
    SetToken(String),
    SetRememberToken(bool),
    /// Open a capture of the server in the explorer.
    Open(String),
    /// Stop opening (by request id): its answer is dropped when it comes.
    CancelOpen(u64),
    /// Download capture `id` to a file (then open it).
    Download {
        capture_id: String,
        path: PathBuf,
    },
    CancelDownload(u64),
    /// Open a panel project of the server in the editor.
    OpenPanel(String),
    /// Which server panel the editor uploads to.
    SetUploadPanel(String),
    /// Upload the editor's install configuration to the chosen server panel.
    Upload,
}

/// What the network answers.
#[derive(Debug)]
pub enum RemoteTask {
    Connected(Result<(Health, Vec<CaptureSummary>, Vec<PanelSummary>), String>),
    Opened {
        request: u64,
        result: Result<Box<(CaptureInfo, Capture)>, String>,
        client: Client,
        capture_id: String,
    },
    /// Samples for the span in view arrived.
    DetailReady {
        open_id: u64,
        span: DetailRequest,
        result: Result<crate::api::Window, String>,
    },
    DownloadDone {
        id: u64,
        result: Result<Vec<PathBuf>, String>,
    },
    PanelFetched(Result<(String, Project), String>),
    Uploaded(Result<Stored, String>),
    /// The token file was written or removed (or could not be).
    TokenKept(Result<(), String>),
}

impl From<RemoteTask> for Message {
    fn from(t: RemoteTask) -> Self {
        TaskMessage::Remote(t).into()
    }
}

/// Why a file is asked for, and so what the answer does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Purpose {
    /// Captures (or panel projects) to open.
    OpenCaptures,
    ApplyInstallConfig,
    ExportWindow(ExportSpan),
    ExportEvents,
    SavePng,
    OpenProject,
    SaveProjectAs,
    ExportInstallConfig,
    ExportDirectory,
    /// The configuration file of the project's monitor.
    ExportDevice(crate::panel::Device),
    /// Where to save the session.
    SaveSession,
    /// Where to download a server's capture.
    Download {
        capture_id: String,
        file_name: String,
    },
}

impl Purpose {
    /// What the chosen paths ask for (nothing when the dialog was cancelled).
    pub fn messages(self, paths: Vec<PathBuf>) -> Vec<Message> {
        if let Self::OpenCaptures = self {
            return paths.into_iter().map(Message::OpenFile).collect();
        }
        let Some(path) = paths.into_iter().next() else { return Vec::new() };
        vec![match self {
            Self::OpenCaptures => return Vec::new(),
            Self::ApplyInstallConfig => ExplorerMessage::ApplyInstallConfig(path).into(),
            Self::ExportWindow(span) => ExplorerMessage::ExportWindow { span, path }.into(),
            Self::ExportEvents => ExplorerMessage::ExportEvents(path).into(),
            Self::SavePng => ExplorerMessage::SavePng(path).into(),
            Self::OpenProject => EditorAction::Open(path).into(),
            Self::SaveProjectAs => EditorAction::Save(path).into(),
            Self::ExportInstallConfig => EditorAction::ExportInstallConfig(path).into(),
            Self::ExportDevice(_) => EditorAction::ExportDevice(path).into(),
            Self::SaveSession => Message::SaveSession(path),
            Self::ExportDirectory => EditorAction::ExportDirectory(path).into(),
            Self::Download { capture_id, .. } => RemoteMessage::Download { capture_id, path }.into(),
        }]
    }
}
