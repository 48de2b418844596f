//! The Verify tab: the wiring as the capture shows it, against the install configuration
//! applied. Each finding gives its evidence and fix, and links to its waveform in the
//! explorer and to its breaker in the panel editor; below, every circuit as measured.

use eframe::egui;

use super::super::message::{EditorAction, ExplorerMessage, Message, Purpose};
use super::Shown;
use crate::format::count;
use crate::panel::{Severity, VerifyFinding, VerifyReport};

impl Shown<'_> {
    pub(super) fn verify_ui(&self, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
        let Some(installed) = &self.open.install else {
            ui.label("Apply the panel's install configuration to check its wiring against this capture.");
            ui.weak(
                "A few seconds with the loads running is enough: each clamp's direction, phase and legs are checked.",
            );
            if ui.button("Apply install configuration…").clicked() {
                messages.push(Message::Choose(Purpose::ApplyInstallConfig));
            }
            ui.weak("or, in the panel editor, Apply to capture.");
            return;
        };
        let report = match &installed.verify {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("checking the wiring…");
                });
                return;
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
                return;
            }
            Some(Ok(report)) => report,
        };
        let (errors, warnings) = (report.errors(), report.warnings());
        ui.label(format!("{} against {}", self.open.capture.name, installed.config.panel))
            .on_hover_text(installed.path.display().to_string());
        if errors == 0 && warnings == 0 {
            ui.colored_label(ok_color(ui), format!("All {} circuits read as wired", report.circuits.len()));
        } else {
            let color = if errors > 0 { ui.visuals().error_fg_color } else { ui.visuals().warn_fg_color };
            ui.colored_label(color, format!("{}, {}", count(errors, "error"), count(warnings, "warning")));
        }
        ui.separator();
        // Where a finding's breaker lives: the project applied, when it is one.
        let project = installed.path.extension().is_some_and(|e| e == "ron").then(|| installed.path.clone());
        egui::ScrollArea::vertical().id_salt("verify").auto_shrink([false, false]).show(ui, |ui| {
            for f in &report.findings {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    finding_ui(ui, f, &installed.config.panel, project.as_ref(), messages);
                });
            }
            ui.add_space(6.0);
            circuits_ui(ui, report, messages);
        });
    }
}

fn ok_color(ui: &egui::Ui) -> egui::Color32 {
    if ui.visuals().dark_mode { egui::Color32::from_rgb(110, 200, 120) } else { egui::Color32::from_rgb(30, 130, 50) }
}

fn finding_ui(
    ui: &mut egui::Ui,
    f: &VerifyFinding,
    panel: &str,
    project: Option<&std::path::PathBuf>,
    messages: &mut Vec<Message>,
) {
    let (color, what) = match f.severity {
        Severity::Error => (ui.visuals().error_fg_color, "error"),
        Severity::Warning => (ui.visuals().warn_fg_color, "warning"),
        Severity::Info => (ui.visuals().weak_text_color(), "note"),
    };
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(color, egui::RichText::new(format!("{what} {}", f.code)).strong());
        let place: Vec<&str> =
            [f.slot.as_deref(), f.circuit.as_deref(), f.channel.as_deref()].into_iter().flatten().collect();
        ui.label(place.join(" · "));
    });
    ui.label(&f.message);
    if !f.evidence.is_empty() {
        let evidence: Vec<String> =
            f.evidence.iter().map(|(key, value)| format!("{} {}", key.replace('_', " "), value_text(value))).collect();
        ui.weak(evidence.join(" · "));
    }
    if !f.fix.is_empty() {
        ui.label(egui::RichText::new(format!("Fix: {}", f.fix)).italics());
    }
    ui.horizontal(|ui| {
        if let Some(channel) = &f.channel
            && ui
                .small_button("Waveform")
                .on_hover_text("Show this channel beside its voltage, a few cycles, cursors on two")
                .clicked()
        {
            messages.push(ExplorerMessage::FocusChannel(channel.clone()).into());
        }
        // Slots of breakers (`space 3`, `spaces 1, 3`), not of mains or phases.
        if let Some(slot) = f.slot.as_ref().filter(|s| s.starts_with("space"))
            && ui.small_button("In editor").on_hover_text("Select this breaker in the panel editor").clicked()
        {
            messages.push(Message::Editor(EditorAction::ShowSlot {
                slot: slot.clone(),
                panel: panel.to_string(),
                project: project.cloned(),
            }));
        }
    });
}

/// A measured figure as the evidence shows it: numbers to four significant digits.
fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() != 0.0 => crate::format::fmt_value(x),
            _ => n.to_string(),
        },
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every circuit as measured: power, PF and verdict.
fn circuits_ui(ui: &mut egui::Ui, report: &VerifyReport, messages: &mut Vec<Message>) {
    egui::CollapsingHeader::new(format!("{} circuits", report.circuits.len())).default_open(true).show(ui, |ui| {
        egui::Grid::new("verify-circuits").striped(true).num_columns(4).show(ui, |ui| {
            ui.strong("circuit");
            ui.strong("P");
            ui.strong("PF");
            ui.strong("verdict");
            ui.end_row();
            for c in &report.circuits {
                let name = ui.add(egui::Label::new(&c.label).sense(egui::Sense::click()));
                if name.on_hover_text(format!("{} · {} (click: waveform)", c.slot, c.channels.join(", "))).clicked()
                    && let Some(channel) = c.channels.first()
                {
                    messages.push(ExplorerMessage::FocusChannel(channel.clone()).into());
                }
                ui.label(c.p_w.map_or("-".to_string(), |p| format!("{} W", crate::format::fmt_value(p))));
                ui.label(c.pf.map_or("-".to_string(), |pf| format!("{pf:.2}")));
                if c.verdict == "ok" {
                    ui.colored_label(ok_color(ui), "ok");
                } else {
                    ui.colored_label(ui.visuals().error_fg_color, &c.verdict);
                }
                ui.end_row();
            }
        });
    });
}
