//! The channel list: what the capture is, and per channel visibility, colour, kind, unit
//! and RMS, grouped by kind; search by name.

use eframe::egui;

use super::super::state::{Installed, SideTab};
use super::super::{
    OpenCapture,
    message::{ExplorerMessage, Message},
};
use super::Shown;
use crate::capture::ChannelKind;

impl Shown<'_> {
    pub(super) fn channels_ui(&self, ui: &mut egui::Ui, search: &str, messages: &mut Vec<Message>) {
        let open = self.open;
        let c = &open.capture;
        ui.heading(&c.name);
        match &open.remote {
            Some(r) => {
                let rate = r.info.sample_rate_hz.map(|r| format!("{r} Hz")).unwrap_or_else(|| "irregular time".into());
                ui.label(format!("{} samples at {rate}, {:.3} s", r.info.sample_count, r.info.duration_s));
                ui.label(format!("from {}", r.client.base())).on_hover_text(&r.info.name);
                let detail = match (&r.pending, &r.detail) {
                    (Some(_), _) => "detail: loading…".to_string(),
                    (None, Some(d)) if !d.decimated => {
                        format!("detail: samples {:.3} to {:.3} s", d.from_s, d.to_s)
                    }
                    (None, Some(d)) => format!("detail: {:.3} to {:.3} s", d.from_s, d.to_s),
                    (None, None) => "overview: zoom in for detail".to_string(),
                };
                ui.weak(detail);
            }
            None => {
                let rate = c.sample_rate_hz().map(|r| format!("{r} Hz")).unwrap_or_else(|| "irregular time".into());
                ui.label(format!("{} samples at {rate}, {:.3} s", c.sample_count(), c.duration_s()));
            }
        }
        if let Some(start) = c.start {
            ui.label(format!("start {}", start.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)));
        }
        // Always one line, so that the list below does not move when detection ends.
        match &open.events {
            Some(Ok(d)) => {
                let nominal = d.nominal_frequency_hz.map_or(String::new(), |f| format!(" (nominal {f} Hz)"));
                ui.label(format!("fundamental {:.3} Hz{nominal}", d.frequency_hz))
            }
            Some(Err(_)) => ui.label("fundamental: not found"),
            None => ui.label("fundamental: measuring…"),
        };
        ui.label(format!("{} analog, {} digital channels", c.analog_count(), c.digital_count()));
        if let Some(Installed { path, config, verify }) = &open.install {
            ui.horizontal(|ui| {
                ui.label(format!("install config: {} ({} circuits)", config.panel, config.circuits.len()))
                    .on_hover_text(path.display().to_string());
                if ui.small_button("×").on_hover_text("Clear the install configuration").clicked() {
                    messages.push(ExplorerMessage::ClearInstallConfig.into());
                }
            });
            let (text, color) = match verify {
                None => ("wiring: checking…".to_string(), ui.visuals().weak_text_color()),
                Some(Err(_)) => ("wiring: not checked".to_string(), ui.visuals().weak_text_color()),
                Some(Ok(r)) if r.errors() > 0 => {
                    (format!("wiring: {}", crate::format::count(r.errors(), "error")), ui.visuals().error_fg_color)
                }
                Some(Ok(r)) if r.warnings() > 0 => {
                    (format!("wiring: {}", crate::format::count(r.warnings(), "warning")), ui.visuals().warn_fg_color)
                }
                Some(Ok(_)) => ("wiring: checks out".to_string(), ui.visuals().text_color()),
            };
            let link = ui.add(egui::Label::new(egui::RichText::new(text).color(color)).sense(egui::Sense::click()));
            if link.on_hover_text("Show the wiring check (side panel: Verify)").clicked() {
                messages.push(ExplorerMessage::SetSideTab(SideTab::Verify).into());
            }
        }
        ui.separator();
        ui.horizontal(|ui| {
            let mut text = search.to_string();
            let edit = ui.add(egui::TextEdit::singleline(&mut text).hint_text("search channels").desired_width(170.0));
            if edit.changed() {
                messages.push(ExplorerMessage::SetSearch(text).into());
            }
            if ui.small_button("all").on_hover_text("Show every channel").clicked() {
                messages.push(ExplorerMessage::ShowAll(true).into());
            }
            if ui.small_button("none").on_hover_text("Hide every channel").clicked() {
                messages.push(ExplorerMessage::ShowAll(false).into());
            }
        });
        let wanted = search.trim().to_lowercase();
        let unit_header = if self.settings.per_unit { "1 pu" } else { "RMS" };
        egui::ScrollArea::vertical().id_salt("channel-list").show(ui, |ui| {
            egui::Grid::new("channel-grid").striped(true).num_columns(4).show(ui, |ui| {
                let matches = |i: &usize| wanted.is_empty() || c.channels[*i].name.to_lowercase().contains(&wanted);
                for (title, members) in groups(open) {
                    let members: Vec<usize> = members.into_iter().filter(matches).collect();
                    if members.is_empty() {
                        continue;
                    }
                    let digital = members.iter().all(|&i| c.channels[i].kind == ChannelKind::Digital);
                    ui.label("");
                    ui.strong(format!("{title} ({})", members.len()));
                    ui.strong("unit");
                    ui.strong(if digital { "" } else { unit_header });
                    ui.end_row();
                    for i in members {
                        let ch = &c.channels[i];
                        let mut color = open.channels[i].color;
                        if ui.color_edit_button_srgba(&mut color).on_hover_text("Trace colour").changed() {
                            let rgb = [color.r(), color.g(), color.b()];
                            messages.push(ExplorerMessage::SetColor { channel: i, rgb }.into());
                        }
                        let mut shown = open.channels[i].visible;
                        if ui.checkbox(&mut shown, &ch.name).changed() {
                            messages.push(ExplorerMessage::ToggleChannel { capture: self.index, channel: i }.into());
                        }
                        match open.role(i) {
                            Some(role) => ui.label(format!("{} {role}", ch.unit)),
                            None => ui.label(&ch.unit),
                        };
                        let value = if self.settings.per_unit {
                            open.per_unit_base(i)
                                .map(|(base, what)| format!("{} ({what})", crate::format::fmt_value(base)))
                                .unwrap_or_default()
                        } else {
                            open.channels[i].stats.map(|s| crate::format::fmt_value(s.rms)).unwrap_or_default()
                        };
                        ui.label(value);
                        ui.end_row();
                    }
                }
            });
        });
    }
}

/// The channel list's groups: by kind; with an install configuration, by circuit (in panel
/// order, with slot and voltage), then mains, voltages and whatever it does not name.
fn groups(open: &OpenCapture) -> Vec<(String, Vec<usize>)> {
    let c = &open.capture;
    let index = |name: &str| c.channels.iter().position(|ch| ch.name == name);
    let Some(Installed { config, .. }) = &open.install else {
        return ChannelKind::ALL
            .into_iter()
            .map(|kind| {
                (kind.as_str().to_string(), (0..c.channels.len()).filter(|&i| c.channels[i].kind == kind).collect())
            })
            .collect();
    };
    let mut named = Vec::new();
    let mut out = Vec::new();
    let voltages: Vec<usize> = config.voltages.iter().filter_map(|v| index(&v.channel)).collect();
    let mains: Vec<usize> = config.mains.iter().filter_map(|m| index(&m.channel)).collect();
    named.extend(&voltages);
    named.extend(&mains);
    out.push(("voltages".to_string(), voltages));
    out.push(("mains".to_string(), mains));
    for circuit in &config.circuits {
        let members: Vec<usize> = circuit.channels.iter().filter_map(|ch| index(&ch.channel)).collect();
        named.extend(&members);
        out.push((format!("{} · {} · {} V", circuit.label, circuit.slot, circuit.voltage_v), members));
    }
    let rest: Vec<usize> = (0..c.channels.len()).filter(|i| !named.contains(i)).collect();
    out.push(("not in the install configuration".to_string(), rest));
    out
}
