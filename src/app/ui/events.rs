//! The event table: filter by kind, channel and view; sort by any column; a click zooms
//! the plots to the event, and the event picked in a plot is highlighted here.

use eframe::egui;

use super::super::message::{ExplorerMessage, Message};
use super::super::state::{EventSort, Span, TimeMode};
use super::Shown;
use crate::analysis::events::EventKind;

impl Shown<'_> {
    pub(super) fn events_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        let open = self.open;
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
        let rows = self.open.listed_events();
        let mut filter = self.open.view.event_filter.clone();
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!("{} of {} events", rows.len(), detection.events.len()));
            ui.separator();
            for kind in EventKind::ALL {
                let count = detection.events.iter().filter(|e| e.kind == kind).count();
                let mut shown = !filter.hidden_kinds.contains(&kind);
                let label =
                    egui::RichText::new(format!("{} {count}", kind.as_str())).color(super::plots::kind_color(kind));
                if ui.toggle_value(&mut shown, label).on_hover_text("Show or hide this kind").changed() {
                    if shown {
                        filter.hidden_kinds.retain(|k| *k != kind);
                    } else {
                        filter.hidden_kinds.push(kind);
                    }
                }
            }
            ui.separator();
            let mut channels: Vec<&str> = detection.events.iter().map(|e| e.channel.as_str()).collect();
            channels.sort_unstable();
            channels.dedup();
            egui::ComboBox::from_id_salt("event-channel")
                .selected_text(filter.channel.clone().unwrap_or_else(|| "all channels".into()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut filter.channel, None, "all channels");
                    for c in channels {
                        ui.selectable_value(&mut filter.channel, Some(c.to_string()), c);
                    }
                });
            ui.checkbox(&mut filter.in_view, "in view only");
            ui.separator();
            ui.label(format!("{:.3} Hz", detection.frequency_hz));
            // The references and notes fold behind one line: the distinct nominals.
            let mut nominals: Vec<String> = detection
                .references
                .iter()
                .map(|r| format!("{} {}", crate::format::fmt_value(r.reference), r.unit))
                .collect();
            nominals.dedup();
            let mut summary = match nominals.len() {
                0 => "no voltage reference".to_string(),
                _ => format!("1 pu: {}", nominals.join(", ")),
            };
            if !detection.warnings.is_empty() {
                summary.push_str(&format!(" · {}", crate::format::count(detection.warnings.len(), "note")));
            }
            ui.menu_button(summary, |ui| {
                egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
                    for r in &detection.references {
                        ui.label(format!(
                            "{} 1 pu = {} {} ({})",
                            r.channel,
                            crate::format::fmt_value(r.reference),
                            r.unit,
                            r.source
                        ));
                    }
                    for w in &detection.warnings {
                        ui.weak(format!("· {w}"));
                    }
                });
            })
            .response
            .on_hover_text("Each voltage's 1 pu and where it comes from; what could not be analysed");
        });
        let cycle_s = 1.0 / detection.frequency_hz;
        let view = self.open.view.span.map(Span::pair);
        egui::ScrollArea::vertical().id_salt("event-table").auto_shrink([false, false]).show(ui, |ui| {
            egui::Grid::new("event-grid").striped(true).num_columns(7).show(ui, |ui| {
                for (title, sort) in [
                    ("start", Some(EventSort::Start)),
                    ("kind", Some(EventSort::Kind)),
                    ("channel", Some(EventSort::Channel)),
                    ("magnitude", Some(EventSort::Magnitude)),
                    ("duration", Some(EventSort::Duration)),
                    ("before, after", None),
                    ("note", None),
                ] {
                    match sort {
                        Some(sort) => {
                            let arrow = match (filter.sort == sort, filter.descending) {
                                (true, false) => " ^",
                                (true, true) => " v",
                                _ => "",
                            };
                            let header = ui.add(
                                egui::Button::new(egui::RichText::new(format!("{title}{arrow}")).strong()).frame(false),
                            );
                            if header.on_hover_text("Sort by this column").clicked() {
                                filter.descending = filter.sort == sort && !filter.descending;
                                filter.sort = sort;
                            }
                        }
                        None => {
                            ui.strong(title);
                        }
                    }
                }
                ui.end_row();
                for i in rows {
                    let e = &detection.events[i];
                    let selected = self.open.view.selected_event.is_some_and(|s| s.index == i);
                    let in_view = view.is_some_and(|(a, b)| e.start_s >= a && e.start_s <= b);
                    let start = self.format_time(e.start_s, 4);
                    let text = if in_view { egui::RichText::new(start).strong() } else { egui::RichText::new(start) };
                    let link = ui.add(egui::Link::new(text));
                    if selected {
                        ui.painter().rect_stroke(
                            link.rect.expand(2.0),
                            2.0,
                            ui.visuals().selection.stroke,
                            egui::StrokeKind::Outside,
                        );
                        if self.open.view.selected_event.is_some_and(|s| s.scroll) {
                            link.scroll_to_me(Some(egui::Align::Center));
                        }
                    }
                    if link.on_hover_text("Zoom to this event").clicked() {
                        let end = e.end_s.unwrap_or(e.start_s);
                        messages.push(
                            ExplorerMessage::ZoomTo { from_s: e.start_s - 3.0 * cycle_s, to_s: end + 3.0 * cycle_s }
                                .into(),
                        );
                        messages.push(ExplorerMessage::SelectEvent(Some(i)).into());
                    }
                    ui.colored_label(super::plots::kind_color(e.kind), e.kind.as_str());
                    ui.label(&e.channel);
                    let pu = e.magnitude_pu.map_or(String::new(), |pu| format!(" ({pu:.3} pu)"));
                    ui.label(format!("{} {}{pu}", crate::format::fmt_value(e.magnitude), e.unit));
                    ui.label(e.end_s.map_or("-".into(), |end| format_duration(end - e.start_s)));
                    ui.label(match (e.level_before, e.level_after) {
                        (Some(b), Some(a)) => {
                            format!("{} to {} {}", crate::format::fmt_value(b), crate::format::fmt_value(a), e.unit)
                        }
                        _ => String::new(),
                    });
                    let mut note = e.note.clone();
                    if let (Some(peak), Some(d)) = (e.inrush_peak, e.inrush_duration_s) {
                        note = format!(
                            "inrush {} {} for {}{}{note}",
                            crate::format::fmt_value(peak),
                            e.unit,
                            format_duration(d),
                            if note.is_empty() { "" } else { "; " }
                        );
                    }
                    ui.label(note);
                    ui.end_row();
                }
            });
        });
        if filter != self.open.view.event_filter {
            messages.push(ExplorerMessage::SetEventFilter(filter).into());
        }
    }

    /// A time (seconds from the first sample) as the time mode shows it.
    pub(in crate::app) fn format_time(&self, t_s: f64, decimals: usize) -> String {
        let start = self.open.capture.start;
        match (self.settings.time_mode, start) {
            (TimeMode::Absolute, Some(start)) => {
                let micros = (t_s * 1e6).round() as i64;
                let at = start + chrono::Duration::microseconds(micros);
                at.format("%H:%M:%S%.6f").to_string()
            }
            _ => format!("{t_s:.decimals$} s"),
        }
    }
}

/// A duration for people: `16.7 ms`, `1.25 s`.
pub(super) fn format_duration(s: f64) -> String {
    if s < 1.0 { format!("{:.1} ms", s * 1e3) } else { format!("{s:.3} s") }
}
