//! The Notes tab: write a note at cursor A (to B for a span), about a channel or the whole
//! capture; search the notes; click one to go there. They are saved beside the capture.

use eframe::egui;

use super::super::message::{ExplorerMessage, Message};
use super::Shown;

impl Shown<'_> {
    pub(super) fn notes_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        let open = self.open;
        let explorer = self.explorer;
        if let Some(e) = &open.notes_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let [a, b] = open.view.cursors;
        let place = match (a, b) {
            (Some(a), Some(b)) if a != b => {
                format!("from {} to {}", self.format_time(a.min(b), 4), self.format_time(a.max(b), 4))
            }
            (Some(a), _) => format!("at {}", self.format_time(a, 4)),
            (None, _) => "place cursor A (and B for a span)".to_string(),
        };
        ui.weak(format!("New note {place}"));
        let mut draft = explorer.note_draft.clone();
        let field = egui::TextEdit::multiline(&mut draft).hint_text("what happened here").desired_rows(2);
        if ui.add(field).changed() {
            messages.push(ExplorerMessage::SetNoteDraft(draft.clone()).into());
        }
        ui.horizontal(|ui| {
            let name = ui.label("about");
            let chosen = explorer.note_channel.clone();
            egui::ComboBox::from_id_salt("note-channel")
                .selected_text(chosen.clone().unwrap_or_else(|| "the whole capture".into()))
                .show_ui(ui, |ui| {
                    if ui.selectable_label(chosen.is_none(), "the whole capture").clicked() {
                        messages.push(ExplorerMessage::SetNoteChannel(None).into());
                    }
                    for c in &open.capture.channels {
                        if ui.selectable_label(chosen.as_ref() == Some(&c.name), &c.name).clicked() {
                            messages.push(ExplorerMessage::SetNoteChannel(Some(c.name.clone())).into());
                        }
                    }
                })
                .response
                .labelled_by(name.id);
            let can = a.is_some() && !draft.trim().is_empty();
            if ui.add_enabled(can, egui::Button::new("Add note")).clicked() {
                messages.push(ExplorerMessage::AddNote { text: draft.clone(), channel: chosen }.into());
            }
        });
        ui.separator();
        let mut search = explorer.note_search.clone();
        let field = egui::TextEdit::singleline(&mut search).hint_text("search notes").desired_width(f32::INFINITY);
        if ui.add(field).changed() {
            messages.push(ExplorerMessage::SetNoteSearch(search.clone()).into());
        }
        let shown: Vec<usize> = (0..open.notes.len()).filter(|&i| open.notes[i].matches(&search)).collect();
        ui.weak(format!("{} of {}", shown.len(), crate::format::count(open.notes.len(), "note")));
        let hz = match &open.events {
            Some(Ok(d)) if d.frequency_hz > 0.0 => d.frequency_hz,
            _ => 50.0,
        };
        egui::ScrollArea::vertical().id_salt("notes").auto_shrink([false, false]).show(ui, |ui| {
            for i in shown {
                let n = &open.notes[i];
                ui.horizontal_wrapped(|ui| {
                    let when = match n.to_s {
                        Some(to) => format!("{}–{}", self.format_time(n.from_s, 4), self.format_time(to, 4)),
                        None => self.format_time(n.from_s, 4),
                    };
                    if ui.link(when).on_hover_text("Show it, cursor A on it").clicked() {
                        let margin = 3.0 / hz;
                        let to = n.to_s.unwrap_or(n.from_s);
                        messages.push(ExplorerMessage::ZoomTo { from_s: n.from_s - margin, to_s: to + margin }.into());
                        messages.push(ExplorerMessage::SetCursor { which: 0, t_s: n.from_s }.into());
                    }
                    if let Some(c) = &n.channel {
                        ui.weak(c);
                    }
                    if ui.small_button("×").on_hover_text("Delete this note").clicked() {
                        messages.push(ExplorerMessage::DeleteNote(i).into());
                    }
                });
                ui.label(&n.text);
                ui.separator();
            }
        });
    }
}
