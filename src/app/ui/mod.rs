//! Drawing the window, and turning what the user does into [`Message`]s. Nothing here
//! changes state: each function gets the part of the state it draws and pushes messages,
//! which [`App::update`] applies after the frame.

mod channels;
mod editor;
mod envelope;
mod events;
mod notes;
mod plots;
mod remote;
mod side;
mod verify;

use std::path::PathBuf;

use eframe::egui;

use super::App;
use super::commands::{self, Command};
use super::message::{ExplorerMessage, Message, Mode, Purpose, RemoteMessage};
use super::state::{CursorMode, LoadStage, TimeMode};
use crate::format::human_bytes;

impl App {
    /// Draws the whole window, then applies what the user did.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.drain_messages();
        let mut messages = self.input(ui.ctx());
        egui::Panel::top("menu").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| self.menu_ui(ui, &mut messages));
        });
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui, &mut messages));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui, &mut messages));
        if self.mode == Mode::Panel {
            let has_capture = !self.explorer.captures.is_empty();
            if let Some(editor) = &self.editor {
                editor::editor_keys(editor, ui.ctx(), &mut messages);
            }
            egui::Panel::top("editor-toolbar")
                .show(ui, |ui| editor::toolbar_ui(self.editor.as_ref(), &self.remote, has_capture, ui, &mut messages));
            if let Some(editor) = &self.editor {
                egui::Panel::right("inspector")
                    .default_size(320.0)
                    .resizable(true)
                    .show(ui, |ui| editor::inspector_ui(editor, ui, &mut messages));
                egui::Panel::bottom("findings")
                    .default_size(160.0)
                    .resizable(true)
                    .show(ui, |ui| editor::findings_ui(editor, ui));
            }
            egui::CentralPanel::default().show(ui, |ui| editor::panel_ui(self.editor.as_ref(), ui, &mut messages));
        } else {
            self.explorer_ui(ui, &mut messages);
        }
        remote::server_window(&self.remote, ui.ctx(), &mut messages);
        for message in messages {
            self.update(message);
        }
    }

    fn explorer_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        let shown = self.explorer.shown().map(|open| Shown {
            open,
            settings: &self.settings,
            index: self.explorer.selected,
            explorer: &self.explorer,
        });
        egui::Panel::left("channels").default_size(330.0).resizable(true).show(ui, |ui| match &shown {
            Some(shown) => shown.channels_ui(ui, &self.explorer.search, messages),
            None => {
                ui.label("No capture open.");
            }
        });
        egui::Panel::right("side").default_size(320.0).resizable(true).show(ui, |ui| {
            if let Some(shown) = &shown {
                shown.side_ui(ui, messages);
            }
        });
        egui::Panel::bottom("events").default_size(290.0).min_size(140.0).resizable(true).show(ui, |ui| {
            // Fill the panel even before a capture is loaded: egui keeps the size of what
            // it first held, and an empty panel would open at its minimum (three rows).
            ui.set_min_height(ui.available_height());
            if let Some(shown) = &shown {
                shown.events_ui(ui, messages);
            }
        });
        let (span, plots, time_axis) = egui::CentralPanel::default()
            .show(ui, |ui| match &shown {
                Some(shown) => shown.plots_ui(ui, messages),
                None => {
                    ui.centered_and_justified(|ui| {
                        ui.label("Open a capture (.csv, .parquet, .cfg, .cff): File > Open, or drop files here.")
                    });
                    (None, None, None)
                }
            })
            .inner;
        // What this frame drew comes before what the user asked in it (a zoom asked now is
        // for the next frame).
        if shown.is_some() {
            let pixels_per_point = ui.ctx().pixels_per_point();
            messages.insert(0, Message::FrameShown { span, plots, time_axis, pixels_per_point });
        }
    }

    /// Dropped files and keyboard shortcuts.
    fn input(&self, ctx: &egui::Context) -> Vec<Message> {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        let mut messages: Vec<Message> = dropped.into_iter().map(Message::OpenFile).collect();
        messages.extend(commands::pressed(self, ctx));
        messages
    }

    fn menu_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        let s = &self.settings;
        ui.menu_button("File", |ui| {
            Command::Open.menu_item(self, ui, messages);
            ui.add_enabled_ui(!s.recent.is_empty(), |ui| {
                ui.menu_button("Open recent", |ui| {
                    for path in &s.recent {
                        if ui.button(path.display().to_string()).clicked() {
                            messages.push(Message::OpenFile(path.clone()));
                            ui.close();
                        }
                    }
                });
            });
            Command::Server.menu_item(self, ui, messages);
            let session = ui.add_enabled(!self.explorer.captures.is_empty(), egui::Button::new("Save session…"));
            if session
                .on_hover_text("The open captures with their views, lanes, cursors and notes, in one file")
                .clicked()
            {
                messages.push(Message::Choose(Purpose::SaveSession));
                ui.close();
            }
            ui.separator();
            Command::ApplyInstallConfig.menu_item(self, ui, messages);
            Command::ClearInstallConfig.menu_item(self, ui, messages);
            Command::VerifyWiring.menu_item(self, ui, messages);
            ui.separator();
            for command in [Command::ExportView, Command::ExportCursors, Command::ExportEvents, Command::SavePng] {
                command.menu_item(self, ui, messages);
            }
            ui.separator();
            Command::Close.menu_item(self, ui, messages);
            Command::Quit.menu_item(self, ui, messages);
        });
        ui.menu_button("View", |ui| {
            for command in [Command::Fit, Command::ZoomIn, Command::ZoomOut, Command::PanLeft, Command::PanRight] {
                command.menu_item(self, ui, messages);
            }
            ui.separator();
            Command::Trend.menu_item(self, ui, messages);
            Command::PerUnit.menu_item(self, ui, messages);
            let mut envelope = !s.dense_waveforms;
            let text = "RMS where cycles are too dense to read";
            let hint = "Wider than a cycle per few pixels, a voltage or current is drawn as its one-cycle RMS \
                        over a faint band of its waveform";
            if ui.checkbox(&mut envelope, text).on_hover_text(hint).changed() {
                messages.push(ExplorerMessage::SetDenseWaveforms(!envelope).into());
            }
            ui.separator();
            ui.add_enabled_ui(self.explorer.shown().is_some(), |ui| {
                ui.menu_button("Lanes", |ui| {
                    for a in crate::app::lanes::Arrangement::ALL {
                        if ui.button(a.label()).clicked() {
                            let edit = crate::app::lanes::LaneEdit::Arrange(a);
                            messages.push(ExplorerMessage::Lanes(edit).into());
                            ui.close();
                        }
                    }
                    ui.separator();
                    ui.weak("Drag a lane's header to move it (Shift: onto another to overlay);");
                    ui.weak("right-click it for more; drag the line under a lane to resize it.");
                });
            });
            ui.separator();
            ui.label("Time");
            let mut mode = s.time_mode;
            ui.radio_value(&mut mode, TimeMode::Relative, "seconds from the first sample");
            ui.radio_value(&mut mode, TimeMode::Absolute, "clock time (UTC)");
            if mode != s.time_mode {
                messages.push(ExplorerMessage::SetTimeMode(mode).into());
            }
            ui.separator();
            ui.label("A click in a plot places");
            let mut cursor = s.cursor_mode;
            ui.radio_value(&mut cursor, CursorMode::AThenShiftB, "A (B with right-click or Shift)");
            ui.radio_value(&mut cursor, CursorMode::Alternate, "A and B in turn");
            if cursor != s.cursor_mode {
                messages.push(ExplorerMessage::SetCursorMode(cursor).into());
            }
            Command::ClearCursors.menu_item(self, ui, messages);
            ui.separator();
            let mut light = s.light;
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
        let s = &self.settings;
        let ctx = ui.ctx().clone();
        ui.horizontal_wrapped(|ui| {
            for (mode, label) in [(Mode::Explorer, "Explorer"), (Mode::Panel, "Panel editor")] {
                if ui.selectable_label(self.mode == mode, label).clicked() {
                    messages.push(Message::SetMode(mode));
                }
            }
            ui.separator();
            let open = ui
                .button("Open…")
                .on_hover_text(format!("{}; or drop files on the window", Command::Open.hint(self, &ctx)));
            if open.clicked() {
                messages.push(Message::Choose(Purpose::OpenCaptures));
            }
            let mut light = s.light;
            if ui.checkbox(&mut light, "Light").on_hover_text("Light or dark theme").changed() {
                messages.push(Message::SetLight(light));
            }
            let mut trends = s.show_trends;
            let hint = format!(
                "Overlay the one-cycle RMS, refreshed every half cycle ({})",
                ctx.format_shortcut(&Command::Trend.shortcuts()[0])
            );
            if ui.checkbox(&mut trends, "RMS trend").on_hover_text(hint).changed() {
                messages.push(ExplorerMessage::ShowTrends(trends).into());
            }
            let mut per_unit = s.per_unit;
            let hint = format!(
                "Voltages in per unit of their nominal, other channels of their RMS over the capture ({})",
                ctx.format_shortcut(&Command::PerUnit.shortcuts()[0])
            );
            if ui.checkbox(&mut per_unit, "pu").on_hover_text(hint).changed() {
                messages.push(ExplorerMessage::SetPerUnit(per_unit).into());
            }
            let shown = self.explorer.shown();
            let has_start = shown.is_some_and(|c| c.capture.start.is_some());
            let mut absolute = s.time_mode == TimeMode::Absolute;
            let toggle = ui.add_enabled(has_start, egui::Checkbox::new(&mut absolute, "UTC"));
            if toggle.on_hover_text("Clock time instead of seconds from the first sample").changed() {
                let mode = if absolute { TimeMode::Absolute } else { TimeMode::Relative };
                messages.push(ExplorerMessage::SetTimeMode(mode).into());
            }
            if ui.button("Fit").on_hover_text(Command::Fit.hint(self, &ctx)).clicked() {
                messages.push(ExplorerMessage::ZoomFit.into());
            }
            ui.separator();
            for (i, c) in self.explorer.captures.iter().enumerate() {
                let name =
                    if c.remote.is_some() { format!("{} (server)", c.capture.name) } else { c.capture.name.clone() };
                let selected = i == self.explorer.selected;
                if ui.selectable_label(selected, name).on_hover_text(c.path.display().to_string()).clicked() {
                    messages.push(ExplorerMessage::Select(i).into());
                }
                if selected && ui.small_button("×").on_hover_text(Command::Close.hint(self, &ctx)).clicked() {
                    messages.push(ExplorerMessage::CloseCapture(i).into());
                }
            }
        });
        for opening in &self.remote.opening {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("opening {} from the server…", opening.name));
                if ui.button("Cancel").clicked() {
                    messages.push(RemoteMessage::CancelOpen(opening.request).into());
                }
            });
        }
        for job in &self.explorer.loading {
            ui.horizontal(|ui| {
                let name = job
                    .path
                    .file_name()
                    .map_or_else(|| job.path.display().to_string(), |n| n.to_string_lossy().into_owned());
                let size = job.bytes.map_or(String::new(), |b| format!(" ({})", human_bytes(b)));
                let (what, fraction) = match job.stage() {
                    LoadStage::Reading => ("reading", 0.1),
                    LoadStage::Detecting => ("detecting events in", 0.5),
                    LoadStage::Indexing => ("indexing", 0.8),
                };
                let elapsed = job.started.elapsed().as_secs_f32();
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(360.0)
                        .animate(true)
                        .text(format!("{what} {name}{size}… {elapsed:.1} s")),
                );
                if ui.button("Cancel").on_hover_text(job.path.display().to_string()).clicked() {
                    messages.push(ExplorerMessage::CancelLoad(job.id).into());
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

/// What the explorer's panels draw: one capture tab's view, and the settings that say
/// how (units, time, trends).
pub(super) struct Shown<'a> {
    pub open: &'a super::OpenCapture,
    pub settings: &'a super::Settings,
    /// The tab's index.
    pub index: usize,
    /// The explorer around it: the note being written and the notes' search.
    pub explorer: &'a super::explorer::Explorer,
}
