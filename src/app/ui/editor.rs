//! The panel editor: the panel drawn as it looks (two columns of spaces with phase colours,
//! breakers spanning their spaces, the sensor over each space), an inspector for the
//! selection, and the live validation list. Large targets for a tablet on site.

use eframe::egui::{self, Color32, Rect, Sense, pos2, vec2};

use super::super::editor::PanelEditor;
use super::super::message::{EditorAction, Message, Purpose, RemoteMessage};
use super::super::remote::RemoteState;
use super::super::state::Selection;
use crate::panel::{BreakerKind, Edit, Layout, Phase, Project, SensorRef};

/// Size of one space in the drawing (points): big enough for a finger.
const CELL: egui::Vec2 = vec2(240.0, 44.0);
/// Room between the two columns for the strips.
const GAP: f32 = 90.0;

fn phase_color(phase: Phase) -> Color32 {
    match phase {
        Phase::A => Color32::from_rgb(214, 39, 40),
        Phase::B => Color32::from_rgb(120, 120, 120),
        Phase::C => Color32::from_rgb(31, 119, 180),
    }
}

/// Where space `space` is drawn, from the drawing's top-left corner.
fn cell(project: &Project, origin: egui::Pos2, space: u32) -> Rect {
    let (col, row) = match project.layout() {
        Layout::NorthAmerican => ((space + 1) % 2, (space - 1) / 2),
        Layout::DinRail => (0, space - 1),
    };
    Rect::from_min_size(origin + vec2(col as f32 * (CELL.x + GAP), row as f32 * CELL.y), CELL)
}

/// The strip position over `space`, if any.
fn sensor_over(project: &Project, space: u32) -> Option<(SensorRef, &str)> {
    project.strips.iter().enumerate().find_map(|(s, strip)| {
        (0..strip.positions.len())
            .find(|&k| strip.space_of(k) == Some(space))
            .map(|k| (SensorRef { strip: s, position: k }, strip.positions[k].channel.as_str()))
    })
}

pub(super) fn toolbar_ui(
    editor: Option<&PanelEditor>,
    remote: &RemoteState,
    has_capture: bool,
    ui: &mut egui::Ui,
    messages: &mut Vec<Message>,
) {
    let Some(editor) = editor else {
        ui.horizontal(|ui| {
            ui.label("No panel project open.");
            new_menu(ui, messages);
            if ui.button("Open project…").clicked() {
                messages.push(Message::Choose(Purpose::OpenProject));
            }
        });
        return;
    };
    ui.horizontal_wrapped(|ui| {
        new_menu(ui, messages);
        if ui.button("Open project…").clicked() {
            messages.push(Message::Choose(Purpose::OpenProject));
        }
        let save = ui.button(if editor.dirty { "Save*" } else { "Save" }).on_hover_text("Ctrl+S");
        if save.clicked() {
            match &editor.path {
                Some(path) => messages.push(Message::Editor(EditorAction::Save(path.clone()))),
                None => messages.push(Message::Choose(Purpose::SaveProjectAs)),
            }
        }
        if ui.button("Save as…").clicked() {
            messages.push(Message::Choose(Purpose::SaveProjectAs));
        }
        ui.separator();
        if ui.add_enabled(editor.can_undo(), egui::Button::new("Undo")).on_hover_text("Ctrl+Z").clicked() {
            messages.push(Message::Editor(EditorAction::Undo));
        }
        if ui.add_enabled(editor.can_redo(), egui::Button::new("Redo")).on_hover_text("Ctrl+Y").clicked() {
            messages.push(Message::Editor(EditorAction::Redo));
        }
        ui.separator();
        if ui.button("Export install config…").clicked() {
            messages.push(Message::Choose(Purpose::ExportInstallConfig));
        }
        if ui.button("Export directory…").clicked() {
            messages.push(Message::Choose(Purpose::ExportDirectory));
        }
        let monitor = editor.project.monitor.as_ref().map(|m| m.device);
        let hint = match monitor {
            Some(device) => format!("Write the {}'s configuration file", device.label()),
            None => "Choose the monitor first (in the panel's properties)".to_string(),
        };
        let button = ui.add_enabled(monitor.is_some(), egui::Button::new("Export monitor config…"));
        if button.on_hover_text(&hint).on_disabled_hover_text(&hint).clicked()
            && let Some(device) = monitor
        {
            messages.push(Message::Choose(Purpose::ExportDevice(device)));
        }
        let can_apply = has_capture && editor.report.is_ok();
        if ui
            .add_enabled(can_apply, egui::Button::new("Apply to capture"))
            .on_hover_text("Name the open capture's channels by this panel's circuits")
            .clicked()
        {
            messages.push(Message::Editor(EditorAction::ApplyToCapture));
        }
        upload_ui(remote, ui, editor.report.is_ok(), messages);
        ui.separator();
        let name = editor.path.as_ref().map_or("unsaved".to_string(), |p| p.display().to_string());
        ui.weak(name);
        if let Some(error) = &editor.autosave_error {
            ui.colored_label(ui.visuals().warn_fg_color, "not autosaved").on_hover_text(error);
        }
    });
    if editor.held_back.is_some() {
        ui.horizontal(|ui| {
            ui.colored_label(ui.visuals().warn_fg_color, "This project has unsaved changes.");
            if ui.button("Discard them").clicked() {
                messages.push(Message::Editor(EditorAction::DiscardChanges));
            }
            if ui.button("Keep editing").clicked() {
                messages.push(Message::Editor(EditorAction::KeepEditing));
            }
        });
    }
    if let Some(recovered) = &editor.recovered {
        ui.horizontal(|ui| {
            ui.colored_label(ui.visuals().warn_fg_color, "Unsaved changes from an earlier session were found.");
            if ui.button("Recover them").clicked() {
                messages.push(Message::Editor(EditorAction::Edit(Edit::Replace(Box::new(recovered.clone())))));
                messages.push(Message::Editor(EditorAction::DismissRecovery));
            }
            if ui.button("Discard").clicked() {
                messages.push(Message::Editor(EditorAction::DismissRecovery));
            }
        });
    }
}

/// The panel drawing.
pub(super) fn panel_ui(editor: Option<&PanelEditor>, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
    let Some(editor) = editor else {
        ui.centered_and_justified(|ui| {
            ui.label("Start a panel from a template (New) or open a project (.ron).");
        });
        return;
    };
    let p = &editor.project;
    egui::ScrollArea::both().id_salt("panel-drawing").show(ui, |ui| {
        ui.heading(format!("{} · {} · {} spaces", p.panel.name, p.panel.service.as_str(), p.panel.spaces));
        let spaces = p.panel.spaces.max(1);
        let rows = match p.layout() {
            Layout::NorthAmerican => spaces.div_ceil(2),
            Layout::DinRail => spaces,
        };
        let columns = if p.layout() == Layout::NorthAmerican { 2.0 } else { 1.0 };
        let size = vec2(columns * CELL.x + (columns - 1.0) * GAP + 120.0, rows as f32 * CELL.y + 20.0);
        let (area, _) = ui.allocate_exact_size(size, Sense::hover());
        let origin = area.min + vec2(60.0, 0.0);
        let painter = ui.painter_at(area);
        let text = ui.visuals().text_color();
        let covered: Vec<u32> = p.breakers.iter().flat_map(|b| p.spaces_of(b)).collect();
        for space in 1..=spaces {
            let r = cell(p, origin, space);
            painter.rect_filled(Rect::from_min_size(r.min, vec2(6.0, r.height())), 0.0, phase_color(p.phase_of(space)));
            let number_at = if space % 2 == 1 || p.layout() == Layout::DinRail {
                pos2(r.min.x - 8.0, r.center().y)
            } else {
                pos2(r.max.x + 8.0, r.center().y)
            };
            let align = if number_at.x < r.min.x { egui::Align2::RIGHT_CENTER } else { egui::Align2::LEFT_CENTER };
            painter.text(number_at, align, space.to_string(), egui::FontId::proportional(14.0), text);
            // The strip position over this space, between the columns (or beside).
            if let Some((sensor, channel)) = sensor_over(p, space) {
                let mapped = p.circuits().any(|(_, _, c)| c.sensors.contains(&sensor));
                let chip = if space % 2 == 1 || p.layout() == Layout::DinRail {
                    Rect::from_min_size(pos2(r.max.x + 4.0, r.min.y + 8.0), vec2(GAP / 2.0 - 8.0, r.height() - 16.0))
                } else {
                    Rect::from_min_size(
                        pos2(r.min.x - GAP / 2.0 + 4.0, r.min.y + 8.0),
                        vec2(GAP / 2.0 - 8.0, r.height() - 16.0),
                    )
                };
                let fill = if mapped { Color32::from_rgb(60, 140, 80) } else { Color32::from_gray(90) };
                let selected = editor.selection == Some(Selection::Strip(sensor.strip));
                let port = editor.ports.get(channel);
                let text = match port {
                    Some(port) => egui::RichText::new(format!("{channel}\n#{port}")).size(11.0),
                    None => egui::RichText::new(channel),
                };
                let chip_button = egui::Button::new(text.monospace().color(Color32::WHITE))
                    .wrap_mode(egui::TextWrapMode::Extend)
                    .fill(fill)
                    .selected(selected);
                let hover = match (port, &p.monitor) {
                    (Some(port), Some(m)) => format!("{} · {} port {port}", p.sensor_slot(sensor), m.device.label()),
                    _ => p.sensor_slot(sensor),
                };
                let response = ui.put(chip, chip_button).on_hover_text(hover);
                if response.clicked() {
                    messages.push(Message::Editor(EditorAction::Select(Some(Selection::Strip(sensor.strip)))));
                }
                // A breaker dropped on a sensor: its (first) circuit is measured there.
                if let Some(dragged) = response.dnd_release_payload::<Dragged>() {
                    messages.push(Message::Editor(EditorAction::Edit(Edit::MapSensor {
                        index: dragged.0,
                        circuit: 0,
                        sensor,
                    })));
                }
            }
            if !covered.contains(&space) {
                let selected = editor.selection == Some(Selection::Space(space));
                let button = egui::Button::new(format!("space {space}")).selected(selected).frame(true);
                let response = ui.put(r.shrink2(vec2(10.0, 3.0)).translate(vec2(4.0, 0.0)), button);
                if response.clicked() {
                    messages.push(Message::Editor(EditorAction::Select(Some(Selection::Space(space)))));
                }
                // A breaker dropped on an empty space moves there.
                if let Some(dragged) = response.dnd_release_payload::<Dragged>() {
                    messages.push(Message::Editor(EditorAction::Edit(Edit::MoveBreaker { index: dragged.0, space })));
                }
            }
        }
        for (i, b) in p.breakers.iter().enumerate() {
            let slots = p.spaces_of(b);
            let (Some(&first), Some(&last)) = (slots.first(), slots.last()) else { continue };
            if first == 0 || last > spaces {
                continue;
            }
            let r =
                cell(p, origin, first).union(cell(p, origin, last)).shrink2(vec2(10.0, 3.0)).translate(vec2(4.0, 0.0));
            let label = match b.kind {
                BreakerKind::Space => "(blank)".to_string(),
                BreakerKind::Spare => format!("spare · {} A", b.rating_a),
                _ => {
                    let names: Vec<&str> = b
                        .circuits
                        .iter()
                        .map(|c| if c.label.is_empty() { "(no label)" } else { c.label.as_str() })
                        .collect();
                    format!("{} · {}P {} A", names.join(" / "), b.poles, b.rating_a)
                }
            };
            let has_error = editor.report.errors.iter().any(|f| f.slot.as_deref() == Some(p.slot(b).as_str()));
            let fill = match (has_error, b.kind) {
                (true, _) => Color32::from_rgb(120, 40, 40),
                (_, BreakerKind::Space) => ui.visuals().faint_bg_color,
                _ => ui.visuals().widgets.inactive.bg_fill,
            };
            let selected = editor.selection == Some(Selection::Breaker(i));
            let button = egui::Button::new(label).fill(fill).selected(selected);
            // Drag a breaker onto an empty space to move it, or onto a sensor to map it.
            let response = ui.put(r, button).interact(Sense::click_and_drag()).on_hover_text(p.slot(b));
            if response.clicked() {
                messages.push(Message::Editor(EditorAction::Select(Some(Selection::Breaker(i)))));
            }
            response.dnd_set_drag_payload(Dragged(i));
        }
    });
}

/// The inspector of the selection (or the panel's own properties).
pub(super) fn inspector_ui(editor: &PanelEditor, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
    let p = &editor.project;
    let edit = |e: Edit| Message::Editor(EditorAction::Edit(e));
    egui::ScrollArea::vertical().id_salt("inspector").show(ui, |ui| match editor.selection {
        None => {
            ui.heading("Panel");
            let mut name = p.panel.name.clone();
            if ui.add(egui::TextEdit::singleline(&mut name).hint_text("panel name")).changed() {
                messages.push(edit(Edit::SetPanelName(name)));
            }
            let mut service = p.panel.service;
            egui::ComboBox::from_label("service").selected_text(service.as_str()).show_ui(ui, |ui| {
                for s in crate::panel::Service::ALL {
                    ui.selectable_value(&mut service, s, s.as_str());
                }
            });
            if service != p.panel.service {
                messages.push(edit(Edit::SetService(service)));
            }
            ui.horizontal(|ui| {
                let mut breaker = matches!(p.panel.main, crate::panel::Main::Breaker { .. });
                if ui.checkbox(&mut breaker, "main breaker (else lugs)").changed() {
                    messages.push(edit(Edit::SetMainBreaker(breaker)));
                }
                let mut bottom = p.panel.feed == crate::panel::FeedEnd::Bottom;
                if ui.checkbox(&mut bottom, "fed from the bottom").changed() {
                    let feed = if bottom { crate::panel::FeedEnd::Bottom } else { crate::panel::FeedEnd::Top };
                    messages.push(edit(Edit::SetFeed(feed)));
                }
            });
            let mut spaces = p.panel.spaces;
            ui.horizontal(|ui| {
                let name = ui.label("spaces");
                if ui.add(egui::DragValue::new(&mut spaces).range(1..=200)).labelled_by(name.id).changed() {
                    messages.push(edit(Edit::SetSpaces(spaces)));
                }
            });
            let mut fed_from = p.panel.fed_from.clone();
            if ui.add(egui::TextEdit::singleline(&mut fed_from).hint_text("fed from")).changed() {
                messages.push(edit(Edit::SetFedFrom(fed_from)));
            }
            let (crate::panel::Main::Breaker { rating_a } | crate::panel::Main::Lugs { rating_a }) = p.panel.main;
            let mut main = rating_a;
            ui.horizontal(|ui| {
                let name = ui.label("main A");
                if ui.add(egui::DragValue::new(&mut main).range(1.0..=4000.0)).labelled_by(name.id).changed() {
                    messages.push(edit(Edit::SetMainRating(main)));
                }
            });
            let mut notes = p.panel.notes.clone();
            if ui.add(egui::TextEdit::multiline(&mut notes).hint_text("notes").desired_rows(2)).changed() {
                messages.push(edit(Edit::SetNotes(notes)));
            }
            ui.separator();
            ui.strong("Per phase: voltage channel, mains sensor");
            egui::Grid::new("phase-grid").num_columns(5).show(ui, |ui| {
                for &phase in p.panel.service.phases() {
                    let name = ui.label(phase.name(p.layout()));
                    let mut voltage =
                        p.voltage_refs.iter().find(|v| v.phase == phase).map_or(String::new(), |v| v.channel.clone());
                    let field =
                        egui::TextEdit::singleline(&mut voltage).hint_text("voltage channel").desired_width(90.0);
                    if ui.add(field).labelled_by(name.id).changed() {
                        let channel = (!voltage.trim().is_empty()).then_some(voltage);
                        messages.push(edit(Edit::SetVoltageRef { phase, channel }));
                    }
                    let mains = p.mains.iter().find(|m| m.phase == phase);
                    let mut channel = mains.map_or(String::new(), |m| m.channel.clone());
                    let rating = mains.map_or(rating_a, |m| m.rating_a);
                    let field = egui::TextEdit::singleline(&mut channel).hint_text("mains channel").desired_width(90.0);
                    if ui.add(field).labelled_by(name.id).changed() {
                        let channel = (!channel.trim().is_empty()).then_some(channel);
                        messages.push(edit(Edit::SetMains { phase, channel, rating_a: rating }));
                    }
                    ui.label(mains.map_or(String::new(), |m| format!("{} A", m.rating_a)));
                    let voltage = p.voltage_refs.iter().find(|v| v.phase == phase).map(|v| v.channel.as_str());
                    let ports: Vec<String> = [(voltage, "V"), (mains.map(|m| m.channel.as_str()), "I")]
                        .into_iter()
                        .filter_map(|(ch, what)| Some(format!("{what} #{}", editor.ports.get(ch?)?)))
                        .collect();
                    ui.weak(ports.join(" · "));
                    ui.end_row();
                }
            });
            ui.separator();
            monitor_ui(editor, ui, messages);
            ui.separator();
            ui.weak("Click a space to add a breaker or a strip, a breaker to edit it, a sensor to edit its strip.");
            ui.weak(
                "Keys: with a space selected, 1, 2, 3 add a breaker of that many poles, T a tandem, S a spare, \
                     B a blank; the arrows move the selection; Delete removes a breaker.",
            );
        }
        Some(Selection::Space(space)) => {
            ui.heading(format!("Space {space}"));
            ui.label(format!("phase {}", p.phase_of(space).name(p.layout())));
            for (label, poles, kind) in [
                ("Add 1-pole", 1, BreakerKind::Breaker),
                ("Add 2-pole", 2, BreakerKind::Breaker),
                ("Add 3-pole", 3, BreakerKind::Breaker),
                ("Add tandem", 1, BreakerKind::Tandem),
                ("Add spare", 1, BreakerKind::Spare),
                ("Add blank", 1, BreakerKind::Space),
            ] {
                if ui.add_sized(vec2(200.0, 36.0), egui::Button::new(label)).clicked() {
                    messages.push(edit(Edit::AddBreaker { space, poles, kind }));
                }
            }
            if sensor_over(p, space).is_none() {
                ui.separator();
                if ui.add_sized(vec2(200.0, 36.0), egui::Button::new("Add a strip from here")).clicked() {
                    messages.push(edit(Edit::AddStrip { first_space: space, positions: 8 }));
                }
            }
        }
        Some(Selection::Strip(s)) => {
            let Some(strip) = p.strips.get(s) else { return };
            ui.heading(format!("Strip {}", strip.name));
            ui.label(&strip.model);
            let mut first = strip.first_space;
            let mut count = strip.positions.len();
            ui.horizontal(|ui| {
                let name = ui.label("first space");
                let value = egui::DragValue::new(&mut first).range(1..=p.panel.spaces.max(1));
                if ui.add(value).labelled_by(name.id).changed() {
                    messages.push(edit(Edit::SetStripFirstSpace { strip: s, first_space: first }));
                }
                let name = ui.label("positions");
                if ui.add(egui::DragValue::new(&mut count).range(1..=64)).labelled_by(name.id).changed() {
                    messages.push(edit(Edit::SetStripPositions { strip: s, positions: count }));
                }
            });
            egui::Grid::new("strip-grid").striped(true).num_columns(5).show(ui, |ui| {
                for (k, q) in strip.positions.iter().enumerate() {
                    let over = strip.space_of(k).map_or("-".to_string(), |sp| format!("space {sp}"));
                    let name = ui.label(format!("{} · {over}", k + 1));
                    let mut channel = q.channel.clone();
                    let field = egui::TextEdit::singleline(&mut channel).desired_width(70.0);
                    if ui.add(field).labelled_by(name.id).changed() {
                        messages.push(edit(Edit::SetChannel { strip: s, position: k, channel }));
                    }
                    let mut rating = q.rating_a;
                    let value = egui::DragValue::new(&mut rating).range(1.0..=2000.0).suffix(" A");
                    if ui.add(value).labelled_by(name.id).changed() {
                        messages.push(edit(Edit::SetPositionRating { strip: s, position: k, rating_a: rating }));
                    }
                    let mut reversed = q.reversed;
                    if ui.checkbox(&mut reversed, "reversed").changed() {
                        messages.push(edit(Edit::SetPositionReversed { strip: s, position: k, reversed }));
                    }
                    ui.weak(editor.ports.get(&q.channel).map_or(String::new(), |port| format!("#{port}")));
                    ui.end_row();
                }
            });
            if ui.add_sized(vec2(140.0, 32.0), egui::Button::new("Delete strip")).clicked() {
                messages.push(edit(Edit::DeleteStrip(s)));
            }
        }
        Some(Selection::Breaker(i)) => {
            let Some(b) = p.breakers.get(i) else { return };
            ui.heading(format!("{} · {}", b.kind.as_str(), p.slot(b)));
            let phases: Vec<&str> = p.phases_of(b).iter().map(|ph| ph.name(p.layout())).collect();
            ui.label(format!("phases {} · {} V", phases.join(" "), p.circuit_voltage(b)));
            if b.kind == BreakerKind::Breaker {
                ui.horizontal(|ui| {
                    ui.label("poles");
                    for poles in 1..=3u8 {
                        if ui.selectable_label(b.poles == poles, poles.to_string()).clicked() && b.poles != poles {
                            messages.push(edit(Edit::SetPoles { index: i, poles }));
                        }
                    }
                });
            }
            if b.kind != BreakerKind::Space {
                let mut rating = b.rating_a;
                ui.horizontal(|ui| {
                    let name = ui.label("rating A");
                    if ui.add(egui::DragValue::new(&mut rating).range(0.0..=1200.0)).labelled_by(name.id).changed() {
                        messages.push(edit(Edit::SetRating { index: i, rating_a: rating }));
                    }
                });
            }
            let step = if p.layout() == Layout::NorthAmerican { 2 } else { 1 };
            ui.horizontal(|ui| {
                if ui.add_sized(vec2(90.0, 32.0), egui::Button::new("Move up")).clicked() && b.space > step {
                    messages.push(edit(Edit::MoveBreaker { index: i, space: b.space - step }));
                }
                if ui.add_sized(vec2(90.0, 32.0), egui::Button::new("Move down")).clicked() {
                    messages.push(edit(Edit::MoveBreaker { index: i, space: b.space + step }));
                }
                if ui.add_sized(vec2(90.0, 32.0), egui::Button::new("Delete")).on_hover_text("Del").clicked() {
                    messages.push(edit(Edit::DeleteBreaker(i)));
                }
            });
            let spaces = p.spaces_of(b);
            for (k, c) in b.circuits.iter().enumerate() {
                ui.separator();
                ui.strong(if b.circuits.len() > 1 { format!("circuit {}", k + 1) } else { "circuit".into() });
                let mut label = c.label.clone();
                if ui.add(egui::TextEdit::singleline(&mut label).hint_text("label")).changed() {
                    messages.push(edit(Edit::SetLabel { index: i, circuit: k, label }));
                }
                let mut load = c.load_type.clone();
                if ui.add(egui::TextEdit::singleline(&mut load).hint_text("load type")).changed() {
                    messages.push(edit(Edit::SetLoadType { index: i, circuit: k, load_type: load }));
                }
                let mut notes = c.notes.clone();
                if ui.add(egui::TextEdit::singleline(&mut notes).hint_text("notes")).changed() {
                    messages.push(edit(Edit::SetCircuitNotes { index: i, circuit: k, notes }));
                }
                let mut generation = c.direction == crate::panel::Direction::Generation;
                if ui.checkbox(&mut generation, "generation (solar, backfeed)").changed() {
                    messages.push(edit(Edit::SetGeneration { index: i, circuit: k, generation }));
                }
                let mut multiplier = c.multiplier;
                ui.horizontal(|ui| {
                    let name = ui.label("multiplier");
                    let value = egui::DragValue::new(&mut multiplier).range(0.1..=10.0).speed(0.1);
                    if ui.add(value).labelled_by(name.id).changed() {
                        messages.push(edit(Edit::SetMultiplier { index: i, circuit: k, multiplier }));
                    }
                });
                ui.label("sensors over its spaces:");
                ui.horizontal_wrapped(|ui| {
                    let mut any = false;
                    for &space in &spaces {
                        let Some((sensor, channel)) = sensor_over(p, space) else { continue };
                        any = true;
                        let mut on = c.sensors.contains(&sensor);
                        let text = match editor.ports.get(channel) {
                            Some(port) => format!("{channel} ({}) · #{port}", p.sensor_slot(sensor)),
                            None => format!("{channel} ({})", p.sensor_slot(sensor)),
                        };
                        if ui.toggle_value(&mut on, text).clicked() {
                            messages.push(edit(if on {
                                Edit::MapSensor { index: i, circuit: k, sensor }
                            } else {
                                Edit::UnmapSensor { index: i, circuit: k, sensor }
                            }));
                        }
                    }
                    if !any {
                        ui.weak("no strip position over these spaces");
                    }
                });
            }
        }
    });
}

/// The monitor the sensors plug into, and the port of each: chosen, or the next free one.
fn monitor_ui(editor: &PanelEditor, ui: &mut egui::Ui, messages: &mut Vec<Message>) {
    let p = &editor.project;
    let edit = |e: Edit| Message::Editor(EditorAction::Edit(e));
    let current = p.monitor.as_ref().map(|m| m.device);
    ui.horizontal(|ui| {
        let name = ui.strong("Monitor");
        egui::ComboBox::from_id_salt("monitor")
            .selected_text(current.map_or("none", |d| d.label()))
            .show_ui(ui, |ui| {
                if ui.selectable_label(current.is_none(), "none").clicked() && current.is_some() {
                    messages.push(edit(Edit::SetMonitor(None)));
                }
                for d in crate::panel::Device::ALL {
                    if ui.selectable_label(current == Some(d), d.label()).clicked() && current != Some(d) {
                        messages.push(edit(Edit::SetMonitor(Some(d))));
                    }
                }
            })
            .response
            .labelled_by(name.id);
    });
    let Some(monitor) = &p.monitor else {
        ui.weak("Choose the monitor to see its ports beside the spaces and apply its rules.");
        return;
    };
    let ports = monitor.device.ports();
    let roles = p.install_config_unchecked().channel_roles();
    if roles.is_empty() {
        ui.weak("No sensors yet: their ports appear here.");
        return;
    }
    egui::Grid::new("port-grid").striped(true).num_columns(3).show(ui, |ui| {
        for role in &roles {
            let name = ui.label(&role.label);
            ui.monospace(&role.channel);
            let chosen = monitor.ports.get(&role.channel);
            let shown = match (chosen, editor.ports.get(&role.channel)) {
                (Some(port), _) => format!("#{port}"),
                (None, Some(port)) => format!("auto (#{port})"),
                // IoTaWatt's other phases come from its one VT (vphase).
                (None, None) if role.kind == crate::panel::RoleKind::Voltage && !editor.ports.is_empty() => {
                    "from the VT".to_string()
                }
                (None, None) => "auto".to_string(),
            };
            egui::ComboBox::from_id_salt(("port", &role.channel))
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    if ui.selectable_label(chosen.is_none(), "auto: next free port").clicked() && chosen.is_some() {
                        messages.push(edit(Edit::SetPort { channel: role.channel.clone(), port: None }));
                    }
                    for port in &ports {
                        let on = chosen == Some(port);
                        if ui.selectable_label(on, format!("#{port}")).clicked() && !on {
                            let port = Some(port.clone());
                            messages.push(edit(Edit::SetPort { channel: role.channel.clone(), port }));
                        }
                    }
                })
                .response
                .labelled_by(name.id);
            ui.end_row();
        }
    });
    if editor.ports.is_empty() {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("The {} cannot take this panel as it is: see the errors.", monitor.device.label()),
        );
    }
}

/// The live validation list.
pub(super) fn findings_ui(editor: &PanelEditor, ui: &mut egui::Ui) {
    let r = &editor.report;
    ui.strong(format!("{} errors, {} warnings", r.errors.len(), r.warnings.len()));
    egui::ScrollArea::vertical().id_salt("findings").auto_shrink([false, false]).show(ui, |ui| {
        for (color, what, findings) in
            [(ui.visuals().error_fg_color, "error", &r.errors), (ui.visuals().warn_fg_color, "warning", &r.warnings)]
        {
            for f in findings {
                let slot = f.slot.as_deref().map_or(String::new(), |s| format!(" [{s}]"));
                ui.colored_label(color, format!("{what} {}{slot}: {}", f.code, f.message));
            }
        }
    });
}

/// What is being dragged: a breaker, by index.
#[derive(Clone, Copy)]
struct Dragged(usize);

fn new_menu(ui: &mut egui::Ui, messages: &mut Vec<Message>) {
    ui.menu_button("New", |ui| {
        for t in crate::panel::TEMPLATES {
            if ui.button(t.description).clicked() {
                messages.push(Message::Editor(EditorAction::New(t.name.to_string())));
                ui.close();
            }
        }
    });
}

/// Upload the install configuration to a panel of the connected server.
fn upload_ui(r: &RemoteState, ui: &mut egui::Ui, valid: bool, messages: &mut Vec<Message>) {
    if r.client.is_none() {
        if ui.button("Server…").on_hover_text("Connect to a server to upload the install configuration").clicked() {
            messages.push(Message::Remote(RemoteMessage::ShowWindow(true)));
        }
        return;
    }
    ui.separator();
    let chosen = r.upload_panel.as_ref().and_then(|id| r.panels.iter().find(|p| p.id == *id));
    let label = ui.label("Server panel");
    egui::ComboBox::from_id_salt("upload-panel")
        .selected_text(chosen.map_or("choose...".to_string(), |p| p.name.clone()))
        .show_ui(ui, |ui| {
            for p in &r.panels {
                if ui.selectable_label(chosen.is_some_and(|c| c.id == p.id), &p.name).on_hover_text(&p.file).clicked() {
                    messages.push(Message::Remote(RemoteMessage::SetUploadPanel(p.id.clone())));
                }
            }
        })
        .response
        .labelled_by(label.id);
    let hint = if !valid {
        "Fix the errors first"
    } else if chosen.is_none() {
        "Choose the server panel to store it with"
    } else {
        "Validate and store the install configuration on the server (the previous version is kept)"
    };
    let enabled = valid && chosen.is_some() && !r.uploading;
    if ui.add_enabled(enabled, egui::Button::new("Upload")).on_hover_text(hint).on_disabled_hover_text(hint).clicked() {
        messages.push(Message::Remote(RemoteMessage::Upload));
    }
    if r.uploading {
        ui.spinner();
    }
}

/// The editor's single keys: arrows move the selection, 1/2/3/T/S/B fill an empty space.
pub(super) fn editor_keys(editor: &PanelEditor, ctx: &egui::Context, messages: &mut Vec<Message>) {
    if ctx.egui_wants_keyboard_input() {
        return;
    }
    let key = |k: egui::Key| ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, k));
    let p = &editor.project;
    let step = if p.layout() == Layout::NorthAmerican { 2 } else { 1 };
    // The first and last space the selection is on, to move from.
    let at = match editor.selection {
        Some(Selection::Space(s)) => Some((s, s)),
        Some(Selection::Breaker(i)) => p.breakers.get(i).map(|b| {
            let spaces = p.spaces_of(b);
            (b.space, spaces.last().copied().unwrap_or(b.space))
        }),
        _ => None,
    };
    let select_space = |space: u32| {
        let selection = match p.breaker_at(space) {
            Some((i, _)) => Selection::Breaker(i),
            None => Selection::Space(space),
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
    if let Some(Selection::Space(space)) = editor.selection {
        for (k, poles, kind) in [
            (egui::Key::Num1, 1, BreakerKind::Breaker),
            (egui::Key::Num2, 2, BreakerKind::Breaker),
            (egui::Key::Num3, 3, BreakerKind::Breaker),
            (egui::Key::T, 1, BreakerKind::Tandem),
            (egui::Key::S, 1, BreakerKind::Spare),
            (egui::Key::B, 1, BreakerKind::Space),
        ] {
            if key(k) {
                messages.push(Message::Editor(EditorAction::Edit(Edit::AddBreaker { space, poles, kind })));
            }
        }
    }
}
