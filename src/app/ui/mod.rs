//! Drawing the explorer, and turning what the user does into [`Message`]s. Nothing here
//! changes state directly or computes more than what it shows.

mod channels;
mod editor;
mod envelope;
mod events;
mod plots;
mod remote;
mod side;

use std::path::PathBuf;

use eframe::egui;

use super::{App, CursorMode, EditorAction, ExportSpan, LoadStage, Message, Mode, RemoteMessage, TimeMode};

/// Keyboard shortcuts, shown beside their menu entries.
use crate::cli::human_bytes;

mod keys {
    use eframe::egui::{Key, KeyboardShortcut, Modifiers};

    pub const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
    pub const CLOSE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::W);
    pub const EXPORT_VIEW: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::E);
    pub const EXPORT_CURSORS: KeyboardShortcut =
        KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::E);
    pub const SAVE_PNG: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::S);
    pub const FIT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::F);
    pub const ZOOM_IN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::Plus);
    pub const ZOOM_IN_EQUALS: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::Equals);
    pub const ZOOM_OUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::Minus);
    pub const PAN_LEFT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::ArrowLeft);
    pub const PAN_RIGHT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::ArrowRight);
    pub const TREND: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::T);
    pub const PER_UNIT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::U);
    pub const CLEAR_CURSORS: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::Escape);
    pub const UNDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Z);
    pub const REDO: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Y);
    pub const REDO_SHIFT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::Z);
    pub const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
    pub const DELETE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::Delete);
}

impl App {
    /// Draws the whole window and applies what the user did.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.drain_messages();
        let mut messages = Vec::new();
        self.input(ui.ctx(), &mut messages);
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| self.menu_ui(ui, &mut messages));
        });
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui, &mut messages));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui, &mut messages));
        if self.mode == Mode::Panel {
            self.editor_input(ui.ctx(), &mut messages);
            egui::Panel::top("editor-toolbar").show(ui, |ui| self.editor_toolbar_ui(ui, &mut messages));
            egui::Panel::right("inspector")
                .default_size(320.0)
                .resizable(true)
                .show(ui, |ui| self.editor_inspector_ui(ui, &mut messages));
            egui::Panel::bottom("findings")
                .default_size(160.0)
                .resizable(true)
                .show(ui, |ui| self.editor_findings_ui(ui));
            egui::CentralPanel::default().show(ui, |ui| self.editor_panel_ui(ui, &mut messages));
            self.server_window(ui.ctx(), &mut messages);
            for message in messages {
                self.apply(message);
            }
            return;
        }
        let mut filter = std::mem::take(&mut self.filter);
        egui::Panel::left("channels")
            .default_size(330.0)
            .resizable(true)
            .show(ui, |ui| self.channels_ui(ui, &mut filter, &mut messages));
        self.filter = filter;
        egui::Panel::right("side").default_size(320.0).resizable(true).show(ui, |ui| self.side_ui(ui, &mut messages));
        egui::Panel::bottom("events")
            .default_size(210.0)
            .min_size(140.0)
            .resizable(true)
            .show(ui, |ui| self.events_ui(ui, &mut messages));
        let zoom = self.pending_zoom.take();
        let fit = std::mem::take(&mut self.pending_fit);
        let (view, rect) =
            egui::CentralPanel::default().show(ui, |ui| self.plots_ui(ui, zoom, fit, &mut messages)).inner;
        self.view_s = view;
        self.plots_rect = rect;
        if let Some(rect) = rect {
            self.request_remote_detail(rect.width().max(100.0) as usize);
        }
        self.server_window(ui.ctx(), &mut messages);
        // The table scrolled to the highlighted event this frame.
        if let Some((_, scroll)) = &mut self.selected_event {
            *scroll = false;
        }
        for message in messages {
            self.apply(message);
        }
    }

    /// The editor's shortcuts: undo, redo, save, delete.
    fn editor_input(&self, ctx: &egui::Context, messages: &mut Vec<Message>) {
        let Some(editor) = &self.editor else { return };
        let pressed = |shortcut: &egui::KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(shortcut));
        if pressed(&keys::REDO) || pressed(&keys::REDO_SHIFT) {
            messages.push(Message::Editor(EditorAction::Redo));
        }
        if pressed(&keys::UNDO) {
            messages.push(Message::Editor(EditorAction::Undo));
        }
        if pressed(&keys::SAVE)
            && let Some(path) = &editor.path
        {
            messages.push(Message::Editor(EditorAction::Save(path.clone())));
        }
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let key = |k: egui::Key| ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, k));
        let p = &editor.project;
        let step = if p.layout() == crate::panel::Layout::NorthAmerican { 2 } else { 1 };
        // The first and last space the selection is on, to move from.
        let at = match editor.selection {
            Some(super::Selection::Space(s)) => Some((s, s)),
            Some(super::Selection::Breaker(i)) => p.breakers.get(i).map(|b| {
                let spaces = p.spaces_of(b);
                (b.space, spaces.last().copied().unwrap_or(b.space))
            }),
            _ => None,
        };
        let select_space = |space: u32| {
            let selection = match p.breaker_at(space) {
                Some((i, _)) => super::Selection::Breaker(i),
                None => super::Selection::Space(space),
            };
            Message::Editor(EditorAction::Select(Some(selection)))
        };
        if let Some((space, last)) = at {
            if key(egui::Key::ArrowDown) && last + step <= p.panel.spaces {
                messages.push(select_space(last + step));
            }
            if key(egui::Key::ArrowUp) && space > step {
                messages.push(select_space(space - step));
            }
            if key(egui::Key::ArrowRight) && step == 2 && space % 2 == 1 && space < p.panel.spaces {
                messages.push(select_space(space + 1));
            }
            if key(egui::Key::ArrowLeft) && step == 2 && space % 2 == 0 {
                messages.push(select_space(space - 1));
            }
        }
        if let Some(super::Selection::Space(space)) = editor.selection {
            use crate::panel::BreakerKind;
            for (k, poles, kind) in [
                (egui::Key::Num1, 1, BreakerKind::Breaker),
                (egui::Key::Num2, 2, BreakerKind::Breaker),
                (egui::Key::Num3, 3, BreakerKind::Breaker),
                (egui::Key::T, 1, BreakerKind::Tandem),
                (egui::Key::S, 1, BreakerKind::Spare),
                (egui::Key::B, 1, BreakerKind::Space),
            ] {
                if key(k) {
                    messages.push(Message::Editor(EditorAction::Edit(super::Edit::AddBreaker { space, poles, kind })));
                }
            }
        }
        if pressed(&keys::DELETE)
            && let Some(super::Selection::Breaker(i)) = editor.selection
        {
            messages.push(Message::Editor(EditorAction::Edit(super::Edit::DeleteBreaker(i))));
        }
    }

    /// Dropped files and keyboard shortcuts.
    fn input(&self, ctx: &egui::Context, messages: &mut Vec<Message>) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        messages.extend(dropped.into_iter().map(Message::OpenFile));
        let pressed = |shortcut: &egui::KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(shortcut));
        if pressed(&keys::OPEN) {
            messages.extend(pick_captures().into_iter().map(Message::OpenFile));
        }
        let has_capture = !self.captures.is_empty();
        if pressed(&keys::CLOSE) && has_capture {
            messages.push(Message::CloseCapture(self.selected));
        }
        if pressed(&keys::EXPORT_VIEW) && has_capture {
            messages.extend(
                save_capture_as("window.parquet").map(|path| Message::ExportWindow { span: ExportSpan::Visible, path }),
            );
        }
        if pressed(&keys::EXPORT_CURSORS) && has_capture {
            messages.extend(
                save_capture_as("cursors.parquet")
                    .map(|path| Message::ExportWindow { span: ExportSpan::Cursors, path }),
            );
        }
        if pressed(&keys::SAVE_PNG) && has_capture {
            messages.extend(save_png_as().map(Message::SavePng));
        }
        // Single keys only when no text field has the keyboard.
        if self.mode == Mode::Panel || ctx.egui_wants_keyboard_input() || !has_capture {
            return;
        }
        if pressed(&keys::FIT) || ctx.input(|i| i.key_pressed(egui::Key::Home)) {
            messages.push(Message::ZoomFit);
        }
        if pressed(&keys::ZOOM_IN) || pressed(&keys::ZOOM_IN_EQUALS) {
            messages.push(Message::Zoom(0.5));
        }
        if pressed(&keys::ZOOM_OUT) {
            messages.push(Message::Zoom(2.0));
        }
        if pressed(&keys::PAN_LEFT) {
            messages.push(Message::Pan(-0.25));
        }
        if pressed(&keys::PAN_RIGHT) {
            messages.push(Message::Pan(0.25));
        }
        if pressed(&keys::TREND) {
            messages.push(Message::ShowTrends(!self.show_trends));
        }
        if pressed(&keys::PER_UNIT) {
            messages.push(Message::SetPerUnit(!self.per_unit));
        }
        if pressed(&keys::CLEAR_CURSORS) {
            messages.push(Message::ClearCursors);
        }
    }

    fn menu_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        let ctx = ui.ctx().clone();
        let item = |ui: &mut egui::Ui, label: &str, shortcut: Option<&egui::KeyboardShortcut>, enabled: bool| {
            let mut button = egui::Button::new(label);
            if let Some(s) = shortcut {
                button = button.shortcut_text(ctx.format_shortcut(s));
            }
            ui.add_enabled(enabled, button).clicked()
        };
        let has_capture = !self.captures.is_empty();
        let has_events = matches!(self.captures.get(self.selected).map(|c| &c.events), Some(Some(Ok(_))));
        ui.menu_button("File", |ui| {
            if item(ui, "Open…", Some(&keys::OPEN), true) {
                messages.extend(pick_captures().into_iter().map(Message::OpenFile));
                ui.close();
            }
            ui.add_enabled_ui(!self.recent.is_empty(), |ui| {
                ui.menu_button("Open recent", |ui| {
                    for path in &self.recent {
                        if ui.button(path.display().to_string()).clicked() {
                            messages.push(Message::OpenFile(path.clone()));
                            ui.close();
                        }
                    }
                });
            });
            if item(ui, "Server…", None, true) {
                messages.push(Message::Remote(RemoteMessage::ShowWindow(true)));
                ui.close();
            }
            ui.separator();
            if item(ui, "Apply install configuration…", None, has_capture) {
                messages.extend(pick_install_config().map(Message::ApplyInstallConfig));
                ui.close();
            }
            let applied = self.captures.get(self.selected).is_some_and(|c| c.install.is_some());
            if item(ui, "Clear install configuration", None, applied) {
                messages.push(Message::ClearInstallConfig);
                ui.close();
            }
            ui.separator();
            if item(ui, "Export visible window…", Some(&keys::EXPORT_VIEW), has_capture) {
                messages.extend(
                    save_capture_as("window.parquet")
                        .map(|path| Message::ExportWindow { span: ExportSpan::Visible, path }),
                );
                ui.close();
            }
            if item(ui, "Export cursor window…", Some(&keys::EXPORT_CURSORS), self.cursor_span().is_some()) {
                messages.extend(
                    save_capture_as("cursors.parquet")
                        .map(|path| Message::ExportWindow { span: ExportSpan::Cursors, path }),
                );
                ui.close();
            }
            if item(ui, "Export events (CSV)…", None, has_events) {
                messages.extend(save_events_as().map(Message::ExportEvents));
                ui.close();
            }
            if item(ui, "Save plots as PNG…", Some(&keys::SAVE_PNG), has_capture) {
                messages.extend(save_png_as().map(Message::SavePng));
                ui.close();
            }
            ui.separator();
            if item(ui, "Close", Some(&keys::CLOSE), has_capture) {
                messages.push(Message::CloseCapture(self.selected));
                ui.close();
            }
            if item(ui, "Quit", None, true) {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        });
        ui.menu_button("View", |ui| {
            if item(ui, "Zoom to fit", Some(&keys::FIT), has_capture) {
                messages.push(Message::ZoomFit);
                ui.close();
            }
            if item(ui, "Zoom in", Some(&keys::ZOOM_IN), has_capture) {
                messages.push(Message::Zoom(0.5));
                ui.close();
            }
            if item(ui, "Zoom out", Some(&keys::ZOOM_OUT), has_capture) {
                messages.push(Message::Zoom(2.0));
                ui.close();
            }
            if item(ui, "Pan left", Some(&keys::PAN_LEFT), has_capture) {
                messages.push(Message::Pan(-0.25));
            }
            if item(ui, "Pan right", Some(&keys::PAN_RIGHT), has_capture) {
                messages.push(Message::Pan(0.25));
            }
            ui.separator();
            if item(ui, if self.show_trends { "Hide RMS trend" } else { "Show RMS trend" }, Some(&keys::TREND), true) {
                messages.push(Message::ShowTrends(!self.show_trends));
                ui.close();
            }
            if item(
                ui,
                if self.per_unit { "Engineering units" } else { "Per-unit values" },
                Some(&keys::PER_UNIT),
                true,
            ) {
                messages.push(Message::SetPerUnit(!self.per_unit));
                ui.close();
            }
            ui.separator();
            ui.label("Time");
            let mut mode = self.time_mode;
            ui.radio_value(&mut mode, TimeMode::Relative, "seconds from the first sample");
            ui.radio_value(&mut mode, TimeMode::Absolute, "clock time (UTC)");
            if mode != self.time_mode {
                messages.push(Message::SetTimeMode(mode));
            }
            ui.separator();
            ui.label("A click in a plot places");
            let mut cursor = self.cursor_mode;
            ui.radio_value(&mut cursor, CursorMode::AThenShiftB, "A (B with right-click or Shift)");
            ui.radio_value(&mut cursor, CursorMode::Alternate, "A and B in turn");
            if cursor != self.cursor_mode {
                messages.push(Message::SetCursorMode(cursor));
            }
            if item(ui, "Clear cursors", Some(&keys::CLEAR_CURSORS), self.cursors.iter().any(Option::is_some)) {
                messages.push(Message::ClearCursors);
                ui.close();
            }
            ui.separator();
            let mut light = self.light;
            if ui.checkbox(&mut light, "Light theme").changed() {
                messages.push(Message::SetLight(light));
            }
        });
        ui.menu_button("Help", |ui| {
            ui.label("Drag or scroll to pan in time, Ctrl+scroll to zoom in time, right-drag to zoom into a box.");
            ui.label("Double-click a plot to fit it.");
            ui.label("Click: cursor A; right-click or Shift+click: cursor B.");
            ui.label("Click an event in the table to zoom to it; click near a marker to find it in the table.");
            ui.label(format!("panelscope {}", env!("CARGO_PKG_VERSION")));
        });
    }

    /// Capture tabs, quick switches, and the loads in progress.
    fn toolbar_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        ui.horizontal_wrapped(|ui| {
            for (mode, label) in [(Mode::Explorer, "Explorer"), (Mode::Panel, "Panel editor")] {
                if ui.selectable_label(self.mode == mode, label).clicked() {
                    messages.push(Message::SetMode(mode));
                }
            }
            ui.separator();
            let open = ui.button("Open…").on_hover_text(format!(
                "Open captures ({}); or drop files on the window",
                ui.ctx().format_shortcut(&keys::OPEN)
            ));
            if open.clicked() {
                messages.extend(pick_captures().into_iter().map(Message::OpenFile));
            }
            let mut light = self.light;
            if ui.checkbox(&mut light, "Light").on_hover_text("Light or dark theme").changed() {
                messages.push(Message::SetLight(light));
            }
            let mut trends = self.show_trends;
            let toggle = ui.checkbox(&mut trends, "RMS trend");
            let hint = format!(
                "Overlay the one-cycle RMS, refreshed every half cycle ({})",
                ui.ctx().format_shortcut(&keys::TREND)
            );
            if toggle.on_hover_text(hint).changed() {
                messages.push(Message::ShowTrends(trends));
            }
            let mut per_unit = self.per_unit;
            let hint = format!(
                "Voltages in per unit of their nominal, other channels of their RMS over the capture ({})",
                ui.ctx().format_shortcut(&keys::PER_UNIT)
            );
            if ui.checkbox(&mut per_unit, "pu").on_hover_text(hint).changed() {
                messages.push(Message::SetPerUnit(per_unit));
            }
            let has_start = self.captures.get(self.selected).is_some_and(|c| c.capture.start.is_some());
            let mut absolute = self.time_mode == TimeMode::Absolute;
            let toggle = ui.add_enabled(has_start, egui::Checkbox::new(&mut absolute, "UTC"));
            if toggle.on_hover_text("Clock time instead of seconds from the first sample").changed() {
                messages.push(Message::SetTimeMode(if absolute { TimeMode::Absolute } else { TimeMode::Relative }));
            }
            if ui
                .button("Fit")
                .on_hover_text(format!("Zoom to fit ({})", ui.ctx().format_shortcut(&keys::FIT)))
                .clicked()
            {
                messages.push(Message::ZoomFit);
            }
            ui.separator();
            for (i, c) in self.captures.iter().enumerate() {
                let name =
                    if c.remote.is_some() { format!("{} (server)", c.capture.name) } else { c.capture.name.clone() };
                if ui.selectable_label(i == self.selected, name).on_hover_text(c.path.display().to_string()).clicked() {
                    messages.push(Message::Select(i));
                }
                if i == self.selected
                    && ui
                        .small_button("×")
                        .on_hover_text(format!("Close ({})", ui.ctx().format_shortcut(&keys::CLOSE)))
                        .clicked()
                {
                    messages.push(Message::CloseCapture(i));
                }
            }
        });
        for (request, name) in &self.remote.opening {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("opening {name} from the server…"));
                if ui.button("Cancel").clicked() {
                    messages.push(Message::Remote(RemoteMessage::CancelOpen(*request)));
                }
            });
        }
        for job in &self.loading {
            ui.horizontal(|ui| {
                let name = job
                    .path
                    .file_name()
                    .map_or_else(|| job.path.display().to_string(), |n| n.to_string_lossy().into_owned());
                let size = job.bytes.map_or(String::new(), |b| format!(" ({})", human_bytes(b)));
                let what = match job.stage() {
                    LoadStage::Reading => "reading",
                    LoadStage::Indexing => "indexing",
                };
                let elapsed = job.started.elapsed().as_secs_f32();
                let fraction = match job.stage() {
                    LoadStage::Reading => 0.1,
                    LoadStage::Indexing => 0.7,
                };
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(360.0)
                        .animate(true)
                        .text(format!("{what} {name}{size}… {elapsed:.1} s")),
                );
                if ui.button("Cancel").on_hover_text(job.path.display().to_string()).clicked() {
                    messages.push(Message::CancelLoad(job.id));
                }
            });
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    /// Errors (until dismissed) and the last finished export.
    fn status_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        ui.horizontal_wrapped(|ui| {
            if !self.errors.is_empty() {
                if ui.small_button("Dismiss").clicked() {
                    messages.push(Message::DismissErrors);
                }
                ui.vertical(|ui| {
                    for error in &self.errors {
                        ui.colored_label(ui.visuals().error_fg_color, format!("error: {error}"));
                    }
                });
            } else if let Some(status) = &self.status {
                ui.label(status);
            } else {
                ui.weak("Ready.");
            }
        });
    }
}

/// Asks the user for capture files (none when cancelled).
fn pick_captures() -> Vec<PathBuf> {
    rfd::FileDialog::new()
        .add_filter("captures", &["csv", "parquet", "cfg", "cff", "dat", "CFG", "CFF", "DAT"])
        .pick_files()
        .unwrap_or_default()
}

fn pick_install_config() -> Option<PathBuf> {
    rfd::FileDialog::new().add_filter("install configuration", &["json", "ron"]).pick_file()
}

fn save_capture_as(name: &str) -> Option<PathBuf> {
    rfd::FileDialog::new()
        .add_filter("Parquet", &["parquet"])
        .add_filter("CSV", &["csv"])
        .add_filter("COMTRADE", &["cfg", "cff"])
        .set_file_name(name)
        .save_file()
}

fn save_events_as() -> Option<PathBuf> {
    rfd::FileDialog::new().add_filter("CSV", &["csv"]).set_file_name("events.csv").save_file()
}

fn save_png_as() -> Option<PathBuf> {
    rfd::FileDialog::new().add_filter("PNG", &["png"]).set_file_name("plots.png").save_file()
}
