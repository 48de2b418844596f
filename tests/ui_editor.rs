//! The panel editor driven like an installer would: egui_kittest clicks spaces, buttons and
//! sensor toggles, and the tests check the project.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use panelscope::app::{App, EditorAction, Message, Mode};
use panelscope::panel::BreakerKind;

fn editor_on(template: &str) -> Harness<'static, App> {
    let mut app = App::new(egui::Context::default());
    app.apply(Message::Editor(EditorAction::New(template.into())));
    let mut harness =
        Harness::builder().with_size(egui::vec2(1400.0, 1000.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    for _ in 0..4 {
        harness.step();
    }
    harness
}

/// Clicks the widget, then lets the layout settle (a new selection changes the inspector,
/// and the next click must land where the widget is now).
fn click(harness: &mut Harness<'static, App>, label: &str) {
    harness.get_by_label(label).click();
    for _ in 0..4 {
        harness.step();
    }
}

#[test]
fn adding_a_breaker_and_labelling_it() {
    let mut harness = editor_on("split-phase-20");
    assert_eq!(harness.state().mode(), Mode::Panel);
    click(&mut harness, "space 3");
    click(&mut harness, "Add 2-pole");
    let project = &harness.state().editor().unwrap().project;
    assert_eq!(project.breakers.len(), 1);
    assert_eq!((project.breakers[0].space, project.breakers[0].poles), (3, 2));
    assert_eq!(project.spaces_of(&project.breakers[0]), [3, 5]);
    // Live validation: an unlabelled circuit is an error, listed under the drawing.
    assert!(harness.query_by_label_contains("error empty-label").is_some());
    let label = harness.get_all_by_role(egui::accesskit::Role::TextInput).next().expect("the label field");
    label.focus();
    label.type_text("Range");
    harness.step();
    harness.step();
    assert_eq!(harness.state().editor().unwrap().project.breakers[0].circuits[0].label, "Range");
    assert!(harness.query_by_label_contains("error empty-label").is_none());
    assert!(harness.query_by_label("Range · 2P 30 A").is_some(), "the drawing shows it");
}

#[test]
fn mapping_a_sensor_with_its_toggle() {
    let mut harness = editor_on("sample");
    click(&mut harness, "Space heater · 1P 20 A");
    let toggle = "I_02 (strip S2 position 1)";
    let mapped = |h: &Harness<'static, App>| {
        let p = &h.state().editor().unwrap().project;
        let heater = p.breakers.iter().find(|b| b.circuits.first().is_some_and(|c| c.label == "Space heater")).unwrap();
        !heater.circuits[0].sensors.is_empty()
    };
    assert!(mapped(&harness));
    click(&mut harness, toggle);
    assert!(!mapped(&harness), "unmapped");
    assert!(harness.state().editor().unwrap().report.warnings.iter().any(|w| w.code == "no-sensor"));
    click(&mut harness, toggle);
    assert!(mapped(&harness), "mapped again");
}

#[test]
fn undo_and_redo_with_buttons_and_keys() {
    let mut harness = editor_on("split-phase-20");
    click(&mut harness, "space 1");
    click(&mut harness, "Add spare");
    assert_eq!(harness.state().editor().unwrap().project.breakers[0].kind, BreakerKind::Spare);
    click(&mut harness, "Undo");
    assert!(harness.state().editor().unwrap().project.breakers.is_empty());
    click(&mut harness, "Redo");
    assert_eq!(harness.state().editor().unwrap().project.breakers.len(), 1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    harness.step();
    harness.step();
    assert!(harness.state().editor().unwrap().project.breakers.is_empty(), "Ctrl+Z");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Y);
    harness.step();
    assert_eq!(harness.state().editor().unwrap().project.breakers.len(), 1, "Ctrl+Y");
}

#[test]
fn an_error_blocks_the_install_config_export() {
    let mut harness = editor_on("split-phase-20");
    click(&mut harness, "space 5");
    click(&mut harness, "Add 1-pole");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("install.json");
    harness.state_mut().apply(Message::Editor(EditorAction::ExportInstallConfig(out.clone())));
    harness.step();
    assert!(!out.exists(), "nothing written");
    let error = harness.state().errors().first().expect("an error in the window").clone();
    assert!(error.contains("fix them before exporting"), "{error}");
    assert!(harness.query_by_label_contains("fix them before exporting").is_some());
    // Labelled, it exports.
    harness.state_mut().apply(Message::Editor(EditorAction::Edit(panelscope::app::Edit::SetLabel {
        index: 0,
        circuit: 0,
        label: "Garage".into(),
    })));
    harness.state_mut().apply(Message::Editor(EditorAction::ExportInstallConfig(out.clone())));
    // The write runs in the background and reports back on the status line.
    let start = std::time::Instant::now();
    while !harness.state().status().is_some_and(|s| s.contains("exported")) {
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "the export did not report back");
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(out.exists());
    let config = panelscope::panel::parse_install_config(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(config.circuits[0].label, "Garage");
}

#[test]
fn quick_entry_by_keyboard_and_a_strip() {
    let mut harness = editor_on("split-phase-20");
    click(&mut harness, "space 1");
    harness.key_press(egui::Key::Num2);
    harness.step();
    harness.step();
    let p = &harness.state().editor().unwrap().project;
    assert_eq!((p.breakers[0].space, p.breakers[0].poles), (1, 2), "2 adds a 2-pole breaker");
    // Down from the breaker on 1 and 3: space 5, empty; T adds a tandem there.
    harness.key_press(egui::Key::ArrowDown);
    harness.step();
    harness.key_press(egui::Key::T);
    harness.step();
    harness.step();
    let p = &harness.state().editor().unwrap().project;
    assert_eq!(p.breakers.len(), 2);
    assert_eq!((p.breakers[1].space, p.breakers[1].kind), (5, BreakerKind::Tandem));
    // A strip laid from space 7 down the left column (7 is below the tandem).
    harness.key_press(egui::Key::ArrowDown);
    for _ in 0..4 {
        harness.step();
    }
    click(&mut harness, "Add a strip from here");
    let p = &harness.state().editor().unwrap().project;
    assert_eq!(p.strips.len(), 1);
    assert_eq!(p.strips[0].space_of(1), Some(9));
    assert!(harness.query_by_label("I_01").is_some(), "the drawing shows the strip's channels");
}

#[test]
fn choosing_the_monitor_shows_its_ports_and_applies_its_rules() {
    use panelscope::panel::Device;
    let mut harness = editor_on("sample");
    assert!(harness.query_by_label_contains("Export monitor config").is_some());
    harness.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Monitor").click();
    harness.step();
    harness.step();
    click(&mut harness, "IoTaWatt");
    let editor = harness.state().editor().unwrap();
    assert_eq!(editor.project.monitor.as_ref().map(|m| m.device), Some(Device::IoTaWatt));
    assert!(editor.report.errors.is_empty(), "{:#?}", editor.report.errors);
    // Beside the spaces: each sensor's chip names its port.
    let port = editor.ports.get("I_01").expect("I_01 has a port").clone();
    assert!(harness.query_by_label(&format!("I_01\n#{port}")).is_some(), "the chip shows port {port}");
    // Two sensors on one port: the device's rule shows at once.
    let other = editor.ports.keys().find(|c| c.as_str() != "I_01" && c.starts_with("I_")).unwrap().clone();
    for channel in ["I_01", other.as_str()] {
        let edit = panelscope::app::Edit::SetPort { channel: channel.into(), port: Some("9".into()) };
        harness.state_mut().apply(Message::Editor(EditorAction::Edit(edit)));
    }
    harness.step();
    harness.step();
    assert!(harness.query_by_label_contains("error port-twice").is_some());
    // The device's configuration is refused, nothing written, until the ports are fixed.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("config.txt");
    harness.state_mut().apply(Message::Editor(EditorAction::ExportDevice(out.clone())));
    harness.step();
    assert!(!out.exists());
    assert!(
        harness.state().errors().iter().any(|e| e.contains("IoTaWatt would refuse")),
        "{:?}",
        harness.state().errors()
    );
    click(&mut harness, "Undo");
    harness.state_mut().apply(Message::Editor(EditorAction::ExportDevice(out.clone())));
    let start = std::time::Instant::now();
    while !harness.state().status().is_some_and(|s| s.contains("exported")) {
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "the export did not report back");
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["inputs"][0]["type"], "VT");
}
