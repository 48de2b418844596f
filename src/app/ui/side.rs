//! The side panel: cursor times and, for the window between the cursors, the readout
//! (RMS, mean, min, max, frequency; P, Q, S, PF per pair), the harmonic spectrum with THD,
//! and the phasors with symmetrical components.

use eframe::egui;
use egui_plot::{Arrows, Bar, BarChart, Line, Plot, PlotPoints, Text};

use super::super::message::{ExplorerMessage, Message};
use super::super::state::{CursorReadout, SideTab, Span};
use super::Shown;
use crate::analysis::measure::MeasureReport;
use crate::capture::ChannelKind;
use crate::format::fmt_value;

impl Shown<'_> {
    pub(super) fn side_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        ui.horizontal(|ui| {
            for (tab, label) in [
                (SideTab::Readout, "Readout"),
                (SideTab::Spectrum, "Spectrum"),
                (SideTab::Phasors, "Phasors"),
                (SideTab::Verify, "Verify"),
                (SideTab::Notes, "Notes"),
            ] {
                if ui.selectable_label(self.settings.side_tab == tab, label).clicked() {
                    messages.push(ExplorerMessage::SetSideTab(tab).into());
                }
            }
        });
        ui.separator();
        if self.settings.side_tab == SideTab::Verify {
            self.verify_ui(ui, messages);
            return;
        }
        if self.settings.side_tab == SideTab::Notes {
            self.notes_ui(ui, messages);
            return;
        }
        self.cursor_times_ui(ui, messages);
        let report = match &self.open.view.readout {
            None => {
                ui.weak("Place cursors A and B to measure the window between them.");
                return;
            }
            Some(CursorReadout { result: None, .. }) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("measuring…");
                });
                return;
            }
            Some(CursorReadout { result: Some(Err(e)), .. }) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
                return;
            }
            Some(CursorReadout { result: Some(Ok(r)), .. }) => r,
        };
        ui.separator();
        match self.settings.side_tab {
            SideTab::Readout => self.readout_ui(ui, report),
            SideTab::Spectrum => self.spectrum_ui(ui, report, messages),
            SideTab::Phasors => phasors_ui(ui, report),
            SideTab::Verify | SideTab::Notes => {}
        }
    }

    fn cursor_times_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        let [a, b] = self.open.view.cursors;
        let t = |c: Option<f64>| c.map_or("-".to_string(), |t| self.format_time(t, 6));
        egui::Grid::new("cursor-times").num_columns(2).show(ui, |ui| {
            ui.label("A");
            ui.label(t(a));
            ui.end_row();
            ui.label("B");
            ui.label(t(b));
            ui.end_row();
            if let (Some(a), Some(b)) = (a, b) {
                let dt = (b - a).abs();
                ui.label("Δt");
                ui.label(format!("{dt:.6} s"));
                ui.end_row();
                ui.label("1/Δt");
                ui.label(if dt > 0.0 { format!("{:.4} Hz", 1.0 / dt) } else { "-".into() });
                ui.end_row();
            }
        });
        ui.horizontal(|ui| {
            if let Some(Span { from_s, to_s }) = self.open.view.span
                && ui
                    .small_button("Cursors on the view")
                    .on_hover_text("Place A and B at the edges of the visible span")
                    .clicked()
            {
                let duration = self.open.capture.duration_s();
                messages.push(ExplorerMessage::SetCursor { which: 0, t_s: from_s.max(0.0) }.into());
                messages.push(ExplorerMessage::SetCursor { which: 1, t_s: to_s.min(duration) }.into());
            }
            if let Some(Span { from_s, to_s }) = self.open.view.cursor_span()
                && ui.small_button("Zoom to cursors").clicked()
            {
                messages.push(ExplorerMessage::ZoomTo { from_s, to_s }.into());
            }
            if self.open.view.cursors.iter().any(Option::is_some)
                && ui.small_button("Clear").on_hover_text("Esc").clicked()
            {
                messages.push(ExplorerMessage::ClearCursors.into());
            }
        });
    }

    fn readout_ui(&self, ui: &mut egui::Ui, report: &MeasureReport) {
        let open = self.open;
        let num = |v: Option<f64>| v.map_or("-".to_string(), fmt_value);
        egui::ScrollArea::vertical().id_salt("readout").show(ui, |ui| {
            egui::Grid::new("readout-grid").striped(true).show(ui, |ui| {
                for title in ["channel", "RMS", "mean", "min", "max", "f Hz"] {
                    ui.strong(title);
                }
                ui.end_row();
                for c in &report.channels {
                    let shown =
                        open.capture.channels.iter().position(|ch| ch.name == c.name).is_some_and(|i| open.channels[i].visible);
                    if !shown {
                        continue;
                    }
                    ui.label(format!("{} [{}]", c.name, c.unit));
                    ui.label(num(c.rms));
                    ui.label(num(c.mean));
                    ui.label(num(c.min));
                    ui.label(num(c.max));
                    ui.label(c.frequency_hz.map_or("-".into(), |f| format!("{f:.3}")));
                    ui.end_row();
                }
            });
            if !report.pairs.is_empty() {
                ui.separator();
                egui::Grid::new("pairs-grid").striped(true).show(ui, |ui| {
                    for title in ["pair", "P W", "Q var", "S VA", "PF"] {
                        ui.strong(title);
                    }
                    ui.end_row();
                    for p in &report.pairs {
                        ui.label(format!("{} × {}", p.voltage, p.current));
                        ui.label(fmt_value(p.power.p_w));
                        ui.label(num(p.power.q_var));
                        ui.label(fmt_value(p.power.s_va));
                        ui.label(p.power.pf.map_or("-".into(), |v| format!("{v:.3}")));
                        ui.end_row();
                    }
                });
            }
            if !report.balances.is_empty() {
                ui.separator();
                ui.strong("Balance: mains minus circuits").on_hover_text(
                    "What no circuit sensor sees, per phase: unsensed circuits, or a sensor on the wrong phase or reversed",
                );
                egui::Grid::new("balance-grid").striped(true).show(ui, |ui| {
                    for b in &report.balances {
                        ui.label(&b.name);
                        ui.label(format!("{} A RMS", fmt_value(b.rms)));
                        let share = if b.mains_rms > 0.0 { format!("{:.1} % of mains", 100.0 * b.rms / b.mains_rms) } else { "-".into() };
                        ui.label(share);
                        ui.end_row();
                    }
                });
            }
            for note in &report.notes {
                ui.weak(note);
            }
        });
    }

    fn spectrum_ui(&self, ui: &mut egui::Ui, report: &MeasureReport, messages: &mut Vec<Message>) {
        let with_harmonics: Vec<&crate::analysis::measure::ChannelReport> =
            report.channels.iter().filter(|c| c.harmonics.is_some()).collect();
        if with_harmonics.is_empty() {
            ui.label("No channel has a measurable fundamental in this window (it needs a periodic signal over at least 10 or 12 cycles).");
            return;
        }
        // The chosen channel, else the first current (the usual question), else the first.
        let chosen = self
            .open
            .view
            .spectrum_channel
            .as_ref()
            .and_then(|name| with_harmonics.iter().find(|c| &c.name == name))
            .or_else(|| with_harmonics.iter().find(|c| c.kind == ChannelKind::Current.as_str()))
            .unwrap_or(&with_harmonics[0]);
        egui::ComboBox::from_id_salt("spectrum-channel").selected_text(&chosen.name).show_ui(ui, |ui| {
            for c in &with_harmonics {
                if ui.selectable_label(c.name == chosen.name, &c.name).clicked() {
                    messages.push(ExplorerMessage::SpectrumChannel(c.name.clone()).into());
                }
            }
        });
        let harmonics = chosen.harmonics.as_deref().unwrap_or_default();
        let fundamental = harmonics.first().copied().unwrap_or(0.0);
        ui.horizontal(|ui| {
            ui.strong(format!("THD {}", chosen.thd.map_or("-".into(), |t| format!("{:.2} %", t * 100.0))));
            ui.label(format!("fundamental {} {}", fmt_value(fundamental), chosen.unit));
        });
        if fundamental <= 0.0 {
            return;
        }
        let bars: Vec<Bar> = harmonics
            .iter()
            .enumerate()
            .skip(1)
            .map(|(k, &v)| Bar::new((k + 1) as f64, 100.0 * v / fundamental).name(format!("h{}", k + 1)).width(0.7))
            .collect();
        Plot::new("spectrum")
            .height(220.0)
            .x_axis_label("harmonic order")
            .y_axis_label("% of fundamental")
            .allow_drag(false)
            .allow_scroll(false)
            .show(ui, |plot_ui| {
                plot_ui.bar_chart(
                    BarChart::new(format!("{} harmonics", chosen.name), bars)
                        .color(egui::Color32::from_rgb(70, 150, 230)),
                );
            });
        let mut largest: Vec<(usize, f64)> = harmonics.iter().copied().enumerate().skip(1).collect();
        largest.sort_by(|a, b| b.1.total_cmp(&a.1));
        egui::Grid::new("harmonics-grid").striped(true).show(ui, |ui| {
            for title in ["order", chosen.unit.as_str(), "% fund."] {
                ui.strong(title);
            }
            ui.end_row();
            for (k, v) in largest.into_iter().take(8) {
                ui.label(format!("h{}", k + 1));
                ui.label(fmt_value(v));
                ui.label(format!("{:.2}", 100.0 * v / fundamental));
                ui.end_row();
            }
        });
    }
}

/// Phasor diagram of the fundamentals (voltages and currents each scaled to their largest),
/// with magnitudes, angles and the symmetrical components of three-phase sets.
fn phasors_ui(ui: &mut egui::Ui, report: &MeasureReport) {
    if report.phasors.is_empty() {
        ui.label("No phasors: the window needs periodic channels over whole cycles.");
        return;
    }
    let largest = |unit: &str| {
        report
            .phasors
            .iter()
            .filter(|p| p.unit == unit)
            .map(|p| p.magnitude)
            .fold(0.0f64, f64::max)
            .max(f64::MIN_POSITIVE)
    };
    let units: Vec<&str> = {
        let mut u: Vec<&str> = report.phasors.iter().map(|p| p.unit.as_str()).collect();
        u.dedup();
        u
    };
    Plot::new("phasors")
        .height(260.0)
        .data_aspect(1.0)
        .show_axes(false)
        .show_grid(false)
        .allow_drag(false)
        .allow_scroll(false)
        .show(ui, |plot_ui| {
            let circle: Vec<[f64; 2]> =
                (0..=72).map(|k| (k as f64 * 5.0).to_radians()).map(|a| [a.cos(), a.sin()]).collect();
            plot_ui.line(Line::new("unit circle", PlotPoints::from(circle)).color(egui::Color32::GRAY).width(0.5));
            for (k, p) in report.phasors.iter().enumerate() {
                // Voltages to the full radius, the other units a little shorter.
                let radius = if units.first() == Some(&p.unit.as_str()) { 1.0 } else { 0.7 };
                let r = radius * p.magnitude / largest(&p.unit);
                let a = p.angle_deg.to_radians();
                let tip = [r * a.cos(), r * a.sin()];
                let color = super::super::state::palette(k);
                plot_ui.arrows(
                    Arrows::new(p.name.clone(), PlotPoints::from(vec![[0.0, 0.0]]), PlotPoints::from(vec![tip]))
                        .color(color),
                );
                plot_ui.text(
                    Text::new(p.name.clone(), egui_plot::PlotPoint::new(tip[0] * 1.12, tip[1] * 1.12), p.name.clone())
                        .color(color),
                );
            }
        });
    if let Some(reference) = &report.phasor_reference {
        ui.weak(format!("angles relative to {reference}; each unit scaled to its largest phasor"));
    }
    egui::Grid::new("phasor-grid").striped(true).show(ui, |ui| {
        for title in ["channel", "magnitude", "angle"] {
            ui.strong(title);
        }
        ui.end_row();
        for p in &report.phasors {
            ui.label(&p.name);
            ui.label(format!("{} {}", fmt_value(p.magnitude), p.unit));
            ui.label(format!("{:.2}°", p.angle_deg));
            ui.end_row();
        }
    });
    for set in &report.three_phase {
        ui.separator();
        ui.strong(format!("{} / {} / {}", set.channels[0], set.channels[1], set.channels[2]));
        let s = &set.sequence;
        egui::Grid::new(("sequence", &set.channels[0])).striped(true).show(ui, |ui| {
            for (name, c) in [("positive", &s.positive), ("negative", &s.negative), ("zero", &s.zero)] {
                ui.label(name);
                ui.label(format!("{} {}", fmt_value(c.magnitude), set.unit));
                ui.label(format!("{:.2}°", c.angle_deg));
                ui.end_row();
            }
            ui.label("unbalance");
            ui.label(format!(
                "neg. {}  zero {}",
                s.negative_unbalance.map_or("-".into(), |u| format!("{:.2} %", u * 100.0)),
                s.zero_unbalance.map_or("-".into(), |u| format!("{:.2} %", u * 100.0))
            ));
            ui.end_row();
        });
    }
}
