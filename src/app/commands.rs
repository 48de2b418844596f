//! One table of commands: each with its label, its shortcut, the message it sends and when
//! it is enabled. The menus, the keyboard and the tooltips all read it, so they cannot
//! drift apart.

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers};

use super::App;
use super::message::{EditorAction, ExplorerMessage, Message, Mode, Purpose, RemoteMessage};
use super::state::{ExportSpan, Selection};

/// Where a command's shortcut works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Anywhere.
    Global,
    /// In the explorer, when no text field has the keyboard (single keys).
    Explorer,
    /// In the panel editor.
    Editor,
}

/// Everything the menus and the keyboard can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Open,
    Server,
    ApplyInstallConfig,
    ClearInstallConfig,
    VerifyWiring,
    ExportView,
    ExportCursors,
    ExportEvents,
    SavePng,
    Close,
    Quit,
    Fit,
    ZoomIn,
    ZoomOut,
    PanLeft,
    PanRight,
    Trend,
    PerUnit,
    ClearCursors,
    Undo,
    Redo,
    Save,
    SaveAs,
    Delete,
}

const fn key(modifiers: Modifiers, key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(modifiers, key)
}

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers::COMMAND.plus(Modifiers::SHIFT);
const NONE: Modifiers = Modifiers::NONE;

impl Command {
    /// Every command, in menu order.
    pub const ALL: [Command; 24] = [
        Self::Open,
        Self::Server,
        Self::ApplyInstallConfig,
        Self::ClearInstallConfig,
        Self::VerifyWiring,
        Self::ExportView,
        Self::ExportCursors,
        Self::ExportEvents,
        Self::SavePng,
        Self::Close,
        Self::Quit,
        Self::Fit,
        Self::ZoomIn,
        Self::ZoomOut,
        Self::PanLeft,
        Self::PanRight,
        Self::Trend,
        Self::PerUnit,
        Self::ClearCursors,
        Self::Undo,
        Self::Redo,
        Self::Save,
        Self::SaveAs,
        Self::Delete,
    ];

    /// The shortcuts, the first shown beside the label.
    pub fn shortcuts(self) -> &'static [KeyboardShortcut] {
        match self {
            Self::Open => const { &[key(CMD, Key::O)] },
            Self::Close => const { &[key(CMD, Key::W)] },
            Self::ExportView => const { &[key(CMD, Key::E)] },
            Self::ExportCursors => const { &[key(CMD_SHIFT, Key::E)] },
            Self::SavePng => const { &[key(CMD_SHIFT, Key::S)] },
            Self::Fit => const { &[key(NONE, Key::F), key(NONE, Key::Home)] },
            Self::ZoomIn => const { &[key(NONE, Key::Plus), key(NONE, Key::Equals)] },
            Self::ZoomOut => const { &[key(NONE, Key::Minus)] },
            Self::PanLeft => const { &[key(NONE, Key::ArrowLeft)] },
            Self::PanRight => const { &[key(NONE, Key::ArrowRight)] },
            Self::Trend => const { &[key(NONE, Key::T)] },
            Self::PerUnit => const { &[key(NONE, Key::U)] },
            Self::ClearCursors => const { &[key(NONE, Key::Escape)] },
            Self::Redo => const { &[key(CMD, Key::Y), key(CMD_SHIFT, Key::Z)] },
            Self::Undo => const { &[key(CMD, Key::Z)] },
            Self::Save => const { &[key(CMD, Key::S)] },
            Self::Delete => const { &[key(NONE, Key::Delete)] },
            Self::Server
            | Self::ApplyInstallConfig
            | Self::ClearInstallConfig
            | Self::VerifyWiring
            | Self::ExportEvents
            | Self::Quit => &[],
            Self::SaveAs => &[],
        }
    }

    pub fn scope(self) -> Scope {
        match self {
            Self::Fit
            | Self::ZoomIn
            | Self::ZoomOut
            | Self::PanLeft
            | Self::PanRight
            | Self::Trend
            | Self::PerUnit
            | Self::ClearCursors => Scope::Explorer,
            Self::Undo | Self::Redo | Self::Save | Self::SaveAs | Self::Delete => Scope::Editor,
            _ => Scope::Global,
        }
    }

    /// The menu entry's text (some say what a toggle will do).
    pub fn label(self, app: &App) -> &'static str {
        let s = app.settings();
        match self {
            Self::Open => "Open…",
            Self::Server => "Server…",
            Self::ApplyInstallConfig => "Apply install configuration…",
            Self::ClearInstallConfig => "Clear install configuration",
            Self::VerifyWiring => "Verify wiring",
            Self::ExportView => "Export visible window…",
            Self::ExportCursors => "Export cursor window…",
            Self::ExportEvents => "Export events (CSV)…",
            Self::SavePng => "Save plots as PNG…",
            Self::Close => "Close",
            Self::Quit => "Quit",
            Self::Fit => "Zoom to fit",
            Self::ZoomIn => "Zoom in",
            Self::ZoomOut => "Zoom out",
            Self::PanLeft => "Pan left",
            Self::PanRight => "Pan right",
            Self::Trend if s.show_trends => "Hide RMS trend",
            Self::Trend => "Show RMS trend",
            Self::PerUnit if s.per_unit => "Engineering units",
            Self::PerUnit => "Per-unit values",
            Self::ClearCursors => "Clear cursors",
            Self::Undo => "Undo",
            Self::Redo => "Redo",
            Self::Save => "Save",
            Self::SaveAs => "Save as…",
            Self::Delete => "Delete breaker",
        }
    }

    /// Whether the command can run now.
    pub fn enabled(self, app: &App) -> bool {
        let shown = app.explorer().shown();
        let has_capture = shown.is_some();
        let editor = app.editor();
        match self {
            Self::Open | Self::Server | Self::Quit | Self::Trend | Self::PerUnit => true,
            Self::ApplyInstallConfig
            | Self::ExportView
            | Self::SavePng
            | Self::Close
            | Self::Fit
            | Self::ZoomIn
            | Self::ZoomOut
            | Self::PanLeft
            | Self::PanRight => has_capture,
            Self::ClearInstallConfig | Self::VerifyWiring => shown.is_some_and(|c| c.install.is_some()),
            Self::ExportCursors => shown.is_some_and(|c| c.view.cursor_span().is_some()),
            Self::ExportEvents => shown.is_some_and(|c| matches!(c.events, Some(Ok(_)))),
            Self::ClearCursors => shown.is_some_and(|c| c.view.cursors.iter().any(Option::is_some)),
            Self::Undo => editor.is_some_and(|e| e.can_undo()),
            Self::Redo => editor.is_some_and(|e| e.can_redo()),
            Self::Save | Self::SaveAs => editor.is_some(),
            Self::Delete => editor.is_some_and(|e| matches!(e.selection, Some(Selection::Breaker(_)))),
        }
    }

    /// The message the command sends, as the state is now.
    pub fn message(self, app: &App) -> Option<Message> {
        let s = app.settings();
        let explorer = app.explorer();
        Some(match self {
            Self::Open => Message::Choose(Purpose::OpenCaptures),
            Self::Server => RemoteMessage::ShowWindow(true).into(),
            Self::ApplyInstallConfig => Message::Choose(Purpose::ApplyInstallConfig),
            Self::ClearInstallConfig => ExplorerMessage::ClearInstallConfig.into(),
            Self::VerifyWiring => ExplorerMessage::SetSideTab(super::state::SideTab::Verify).into(),
            Self::ExportView => Message::Choose(Purpose::ExportWindow(ExportSpan::Visible)),
            Self::ExportCursors => Message::Choose(Purpose::ExportWindow(ExportSpan::Cursors)),
            Self::ExportEvents => Message::Choose(Purpose::ExportEvents),
            Self::SavePng => Message::Choose(Purpose::SavePng),
            Self::Close => ExplorerMessage::CloseCapture(explorer.selected).into(),
            Self::Quit => return None,
            Self::Fit => ExplorerMessage::ZoomFit.into(),
            Self::ZoomIn => ExplorerMessage::Zoom(0.5).into(),
            Self::ZoomOut => ExplorerMessage::Zoom(2.0).into(),
            Self::PanLeft => ExplorerMessage::Pan(-0.25).into(),
            Self::PanRight => ExplorerMessage::Pan(0.25).into(),
            Self::Trend => ExplorerMessage::ShowTrends(!s.show_trends).into(),
            Self::PerUnit => ExplorerMessage::SetPerUnit(!s.per_unit).into(),
            Self::ClearCursors => ExplorerMessage::ClearCursors.into(),
            Self::Undo => EditorAction::Undo.into(),
            Self::Redo => EditorAction::Redo.into(),
            Self::Save => match app.editor()?.path.clone() {
                Some(path) => EditorAction::Save(path).into(),
                None => Message::Choose(Purpose::SaveProjectAs),
            },
            Self::SaveAs => Message::Choose(Purpose::SaveProjectAs),
            Self::Delete => match app.editor()?.selection {
                Some(Selection::Breaker(i)) => EditorAction::Edit(crate::panel::Edit::DeleteBreaker(i)).into(),
                _ => return None,
            },
        })
    }

    /// The label with its shortcut, for a tooltip.
    pub fn hint(self, app: &App, ctx: &egui::Context) -> String {
        match self.shortcuts().first() {
            Some(s) => format!("{} ({})", self.label(app).trim_end_matches('…'), ctx.format_shortcut(s)),
            None => self.label(app).to_string(),
        }
    }

    /// A menu entry for the command; pushes its message when clicked.
    pub fn menu_item(self, app: &App, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        let mut button = egui::Button::new(self.label(app));
        if let Some(s) = self.shortcuts().first() {
            button = button.shortcut_text(ui.ctx().format_shortcut(s));
        }
        if ui.add_enabled(self.enabled(app), button).clicked() {
            if self == Self::Quit {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
            messages.extend(self.message(app));
            ui.close();
        }
    }
}

/// The messages of the shortcuts pressed this frame, in the half of the window shown.
pub fn pressed(app: &App, ctx: &egui::Context) -> Vec<Message> {
    let typing = ctx.egui_wants_keyboard_input();
    let mut messages = Vec::new();
    for command in Command::ALL {
        let active = match command.scope() {
            Scope::Global => true,
            Scope::Explorer => app.mode() == Mode::Explorer && !typing,
            Scope::Editor => app.mode() == Mode::Panel && (command != Command::Delete || !typing),
        };
        if !active {
            continue;
        }
        let hit = command.shortcuts().iter().any(|s| ctx.input_mut(|i| i.consume_shortcut(s)));
        if hit && command.enabled(app) {
            messages.extend(command.message(app));
        }
    }
    messages
}
