//! The explorer's lanes driven like a user: a relay record opens in lanes with its
//! three-phase sets together and its status bits as compact lanes; lanes move by dragging
//! their header, resize, fold by group, and the layout is remembered for the file; a tick
//! on the event ruler selects its event.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use panelscope::app::lanes::{Arrangement, LaneEdit};
use panelscope::app::{App, ExplorerMessage, Message, default_sample_path};

fn run_until(harness: &mut Harness<'_, App>, what: &str, done: impl Fn(&App) -> bool) {
    let start = Instant::now();
    while !done(harness.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}: {:?}",
            harness.state().errors()
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.step();
    harness.step();
}

fn open(file: PathBuf) -> Harness<'static, App> {
    let mut app = App::new(egui::Context::default());
    app.apply(Message::OpenFile(file));
    let mut harness =
        Harness::builder().with_size(egui::vec2(1500.0, 1000.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    run_until(&mut harness, "the capture", |app| app.captures().len() == 1 && app.captures()[0].events.is_some());
    harness
}

fn lane_channels(app: &App) -> Vec<Vec<Vec<String>>> {
    let lanes = &app.captures()[0].view.lanes;
    lanes.groups.iter().map(|g| g.lanes.iter().map(|l| l.channels.clone()).collect()).collect()
}

#[test]
fn the_relay_record_opens_in_lanes_with_its_three_phase_sets_together() {
    let Some(record) = common::shared_data("comtrade/br-dfr-pycomtrade/test3.cfg") else { return };
    let harness = open(record);
    let lanes = &harness.state().captures()[0].view.lanes;
    let names: Vec<&str> = lanes.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["voltages", "currents", "digital"]);
    let voltages: Vec<Vec<&str>> =
        lanes.groups[0].lanes.iter().map(|l| l.channels.iter().map(String::as_str).collect()).collect();
    assert_eq!(voltages.len(), 5, "four generators and the 69 kV bus: {voltages:?}");
    assert_eq!(voltages[0], ["VA_G1", "VB_G1", "VC_G1"]);
    assert_eq!(voltages[4], ["VA_B69", "VB_B69", "VC_B69"]);
    let currents: Vec<Vec<&str>> =
        lanes.groups[1].lanes.iter().map(|l| l.channels.iter().map(String::as_str).collect()).collect();
    assert_eq!(currents.len(), 5, "{currents:?}");
    assert_eq!(currents[4], ["IA_TF7", "IB_TF7", "IC_TF7", "IN_TF7"], "the neutral joins its set");
    // Each lane's header names its set and each channel, with no legend over the data.
    assert!(harness.query_by_label_contains("V_G1 (A, B, C)").is_some());
    assert!(harness.query_by_label_contains("V_B69 (A, B, C)").is_some());
    // The 32 status bits: compact lanes, the ones that change first.
    let digital = &lanes.groups[2].lanes;
    assert_eq!(digital.len(), 32);
    let capture = &harness.state().captures()[0].capture;
    let first_change = |name: &str| {
        let Some(panelscope::capture::Samples::Digital(bits)) = capture.channel(name).map(|c| &c.samples) else {
            panic!("{name} is digital")
        };
        (1..bits.len()).find(|&k| bits.get(k) != bits.get(0))
    };
    let changes: Vec<Option<usize>> = digital.iter().map(|l| first_change(&l.channels[0])).collect();
    let changing = changes.iter().take_while(|c| c.is_some()).count();
    assert!(changing > 0, "some bits change in this record");
    assert!(changes[..changing].windows(2).all(|w| w[0] <= w[1]), "{changes:?}");
    assert!(changes[changing..].iter().all(Option::is_none), "{changes:?}");
}

#[test]
fn lanes_move_by_dragging_resize_fold_and_are_remembered_for_the_file() {
    let sample = default_sample_path();
    let mut harness = open(sample.clone());
    harness.state_mut().apply(ExplorerMessage::Lanes(LaneEdit::Arrange(Arrangement::PerChannel)).into());
    harness.step();
    harness.step();
    assert!(harness.query_by_label_contains("V_A  V").is_some(), "a lane's header names its channel and unit");
    let before = lane_channels(harness.state());
    let currents = before.iter().position(|g| g.iter().any(|l| l == &["I_01".to_string()])).unwrap();
    let at = |name: &[&str]| before[currents].iter().position(|l| l == name).unwrap();
    let (i01, i02) = (at(&["I_01"]), at(&["I_02"]));
    assert!(i01 < i02);
    // Drag I_02's header onto I_01's: I_02 now comes first.
    let from = harness.get_by_label_contains("I_02 ").rect().center();
    let to = harness.get_by_label_contains("I_01 ").rect().center();
    harness.hover_at(from);
    harness.step();
    harness.drag_at(from);
    harness.step();
    for k in 1..=8 {
        harness.hover_at(from + (to - from) * (k as f32 / 8.0));
        harness.step();
    }
    harness.drop_at(to);
    harness.step();
    harness.step();
    let after = lane_channels(harness.state());
    let order: Vec<&str> = after[currents].iter().map(|l| l[0].as_str()).collect();
    let (a, b) = (order.iter().position(|c| *c == "I_02").unwrap(), order.iter().position(|c| *c == "I_01").unwrap());
    assert_eq!(b, a + 1, "I_02 moved before I_01: {order:?}");
    // Resize a lane and fold the voltages.
    harness.state_mut().apply(ExplorerMessage::Lanes(LaneEdit::Resize { lane: (currents, a), height: 150.0 }).into());
    harness.get_by_label_contains("- voltages").click();
    harness.step();
    harness.step();
    let lanes = harness.state().captures()[0].view.lanes.clone();
    assert!(lanes.groups[0].collapsed, "the voltages are folded");
    assert!(harness.query_by_label_contains("V_A  V").is_none(), "their lanes are not drawn");
    assert_eq!(lanes.groups[currents].lanes[a].height, 150.0);
    // Remembered for the file: closing and opening it again restores the lanes.
    assert_eq!(harness.state().settings().layout_for(&sample), Some(&lanes));
    harness.state_mut().apply(ExplorerMessage::CloseCapture(0).into());
    harness.step();
    harness.state_mut().apply(Message::OpenFile(sample));
    run_until(&mut harness, "the capture again", |app| app.captures().len() == 1);
    assert_eq!(harness.state().captures()[0].view.lanes, lanes);
}

#[test]
fn a_tick_on_the_event_ruler_selects_its_event() {
    let mut harness = open(default_sample_path());
    let d = harness.state().captures()[0].events.clone().unwrap().unwrap();
    let (k, sag) = d.events.iter().enumerate().find(|(_, e)| e.kind.as_str() == "sag").unwrap();
    // Show a tenth of a second around it, so that no other tick is near.
    harness.state_mut().apply(ExplorerMessage::ZoomTo { from_s: sag.start_s - 0.05, to_s: sag.start_s + 0.05 }.into());
    for _ in 0..4 {
        harness.step();
    }
    let axis = harness.state().explorer().time_axis.expect("the lanes' time axis");
    let span = harness.state().captures()[0].view.span.unwrap();
    let x = axis.left() + ((sag.start_s - span.from_s) / (span.to_s - span.from_s)) as f32 * axis.width();
    let at = egui::pos2(x + 2.0, axis.center().y);
    harness.hover_at(at);
    harness.step();
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::default(),
        });
    }
    harness.step();
    harness.step();
    assert_eq!(harness.state().selected_event(), Some(k), "the tick's event is selected in the table");
    assert!(harness.state().captures()[0].view.cursors[0].is_none(), "a tick click places no cursor");
}

#[test]
fn dragging_the_span_in_the_overview_pans_and_its_edge_zooms() {
    let mut harness = open(default_sample_path());
    let duration = harness.state().captures()[0].capture.duration_s();
    harness.state_mut().apply(ExplorerMessage::ZoomTo { from_s: 2.0, to_s: 3.0 }.into());
    for _ in 0..4 {
        harness.step();
    }
    let axis = harness.state().explorer().time_axis.expect("the lanes' time axis");
    let strip_y = harness.get_by_label("overview").rect().center().y;
    let x = |t: f64| axis.left() + (t / duration) as f32 * axis.width();
    let drag = |harness: &mut Harness<'static, App>, from: egui::Pos2, to: egui::Pos2| {
        harness.hover_at(from);
        harness.step();
        harness.drag_at(from);
        harness.step();
        for k in 1..=6 {
            harness.hover_at(from + (to - from) * (k as f32 / 6.0));
            harness.step();
        }
        harness.drop_at(to);
        for _ in 0..3 {
            harness.step();
        }
    };
    // The span's middle, dragged a tenth of the strip: the view moves by a tenth of the capture.
    drag(&mut harness, egui::pos2(x(2.5), strip_y), egui::pos2(x(2.5 + duration / 10.0), strip_y));
    let span = harness.state().captures()[0].view.span.unwrap();
    assert!((span.from_s - 3.0).abs() < 0.1 && (span.to_s - 4.0).abs() < 0.1, "{span:?}");
    // Its right edge, dragged out by a second: the view widens to two seconds.
    drag(&mut harness, egui::pos2(x(span.to_s) - 1.0, strip_y), egui::pos2(x(span.to_s + 1.0), strip_y));
    let wider = harness.state().captures()[0].view.span.unwrap();
    assert!((wider.from_s - span.from_s).abs() < 0.05 && (wider.to_s - wider.from_s - 2.0).abs() < 0.15, "{wider:?}");
}

#[test]
fn notes_are_kept_beside_the_capture_and_survive_closing_it() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("site.parquet");
    std::fs::copy(default_sample_path(), &capture).unwrap();
    let mut harness = open(capture.clone());
    harness.state_mut().apply(ExplorerMessage::SetSideTab(panelscope::app::SideTab::Notes).into());
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 0, t_s: 2.5 }.into());
    harness.step();
    harness.step();
    let field = harness.get_by_role(egui::accesskit::Role::MultilineTextInput);
    field.focus();
    field.type_text("heater relay chatters");
    harness.step();
    harness.step();
    harness.get_by_label("Add note").click();
    run_until(&mut harness, "the notes saved", |app| app.status().is_some_and(|s| s.contains("beside the capture")));
    let sidecar = dir.path().join("site.parquet.notes.json");
    let text = std::fs::read_to_string(&sidecar).expect("the sidecar is written");
    assert!(text.contains("heater relay chatters") && text.contains("2.5"), "{text}");
    assert!(harness.query_by_label("heater relay chatters").is_some(), "listed in the tab");
    // Exported with the events: beside them, as CSV.
    let events = dir.path().join("events.csv");
    harness.state_mut().apply(ExplorerMessage::ExportEvents(events.clone()).into());
    // (The save's status also names "1 note": wait for the export's own.)
    run_until(&mut harness, "the events exported", |app| {
        app.status().is_some_and(|s| s.starts_with("exported") && s.contains("1 note"))
    });
    let table = std::fs::read_to_string(dir.path().join("events.notes.csv")).unwrap();
    assert!(table.contains("2.5,,,heater relay chatters"), "{table}");
    // Closed and opened again, the note is back.
    harness.state_mut().apply(ExplorerMessage::CloseCapture(0).into());
    harness.step();
    harness.state_mut().apply(Message::OpenFile(capture.clone()));
    run_until(&mut harness, "the capture again", |app| app.captures().len() == 1);
    let notes = &harness.state().captures()[0].notes;
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0].from_s, notes[0].text.as_str()), (2.5, "heater relay chatters"));
    // The search finds it, or not.
    harness.state_mut().apply(ExplorerMessage::SetNoteSearch("sag".into()).into());
    harness.step();
    harness.step();
    assert!(harness.query_by_label("heater relay chatters").is_none());
    // A sidecar that cannot be read is reported and never written over.
    harness.state_mut().apply(ExplorerMessage::CloseCapture(0).into());
    std::fs::write(&sidecar, "{ not json").unwrap();
    harness.state_mut().apply(Message::OpenFile(capture));
    run_until(&mut harness, "the capture a third time", |app| app.captures().len() == 1);
    assert!(
        harness.state().captures()[0].notes_error.as_deref().is_some_and(|e| e.contains("site.parquet.notes.json"))
    );
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 0, t_s: 1.0 }.into());
    harness.state_mut().apply(ExplorerMessage::AddNote { text: "another".into(), channel: None }.into());
    harness.step();
    assert_eq!(std::fs::read_to_string(&sidecar).unwrap(), "{ not json", "left as it was");
    assert!(harness.state().errors().iter().any(|e| e.contains("not saved")), "{:?}", harness.state().errors());
}

/// Saves the session of `harness` to `session` and opens it in a new window.
fn save_and_reopen(harness: &mut Harness<'_, App>, session: PathBuf) -> Harness<'static, App> {
    harness.state_mut().apply(Message::SaveSession(session.clone()));
    run_until(harness, "the session saved", |app| app.status().is_some_and(|s| s.contains("saved the session")));
    let mut app = App::new(egui::Context::default());
    app.apply(Message::OpenFile(session));
    Harness::builder().with_size(egui::vec2(1500.0, 1000.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app)
}

#[test]
fn a_saved_session_reopens_the_bench_as_it_was() {
    use panelscope::app::lanes::Arrangement;
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("site.parquet");
    std::fs::copy(default_sample_path(), &capture).unwrap();
    let mut harness = open(capture.clone());
    let app = harness.state_mut();
    app.apply(ExplorerMessage::Lanes(LaneEdit::Arrange(Arrangement::PerChannel)).into());
    app.apply(ExplorerMessage::ZoomTo { from_s: 2.0, to_s: 3.5 }.into());
    app.apply(ExplorerMessage::SetCursor { which: 0, t_s: 2.25 }.into());
    app.apply(ExplorerMessage::SetCursor { which: 1, t_s: 2.75 }.into());
    app.apply(ExplorerMessage::ToggleChannel { capture: 0, channel: 3 }.into());
    app.apply(ExplorerMessage::AddNote { text: "dryer starts".into(), channel: Some("I_02".into()) }.into());
    for _ in 0..4 {
        harness.step();
    }
    let before = {
        let open = &harness.state().captures()[0];
        (
            open.view.span.unwrap(),
            open.view.cursors,
            open.view.lanes.clone(),
            open.notes.clone(),
            open.channels[3].visible,
        )
    };
    assert!(!before.4, "channel 3 is hidden");
    let session = dir.path().join("bench.psession");
    // A new window opens the session: the same capture, span, cursors, lanes, hidden channel, notes.
    let mut again = save_and_reopen(&mut harness, session);
    run_until(&mut again, "the session's capture", |app| app.captures().len() == 1 && app.readout().is_some());
    let open = &again.state().captures()[0];
    assert_eq!(open.path, capture);
    let span = open.view.span.unwrap();
    assert!((span.from_s - before.0.from_s).abs() < 1e-9 && (span.to_s - before.0.to_s).abs() < 1e-9, "{span:?}");
    assert_eq!(open.view.cursors, before.1);
    assert_eq!(open.view.lanes, before.2);
    assert_eq!(open.notes, before.3);
    assert!(!open.channels[3].visible);
    // A session that cannot be read says where.
    let bad = dir.path().join("bad.psession");
    std::fs::write(&bad, "{\"schema_version\": 1,\n \"captures\": [}").unwrap();
    again.state_mut().apply(Message::OpenFile(bad));
    run_until(&mut again, "the error", |app| !app.errors().is_empty());
    assert!(again.state().errors()[0].contains("bad.psession") && again.state().errors()[0].contains("line 2"));
}

#[test]
fn a_session_reopens_its_tabs_in_order_showing_the_one_it_showed() {
    use panelscope::capture::{Capture, Channel, Format};
    let dir = tempfile::tempdir().unwrap();
    // The first tab is much larger than the others, so it finishes loading last.
    let big = dir.path().join("big.parquet");
    let mut capture = Capture::new("big", Format::Memory, 10_000.0);
    for ch in 0..4u64 {
        let wave = panelscope::generate::bench_wave(3_000_000, ch, 10.0);
        capture.channels.push(Channel::analog(format!("I_{ch}"), "A", None, wave));
    }
    panelscope::capture::write(&capture, &big).unwrap();
    let (a, b) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
    std::fs::copy(default_sample_path(), &a).unwrap();
    std::fs::copy(default_sample_path(), &b).unwrap();
    let mut harness = open(big.clone());
    for (k, path) in [&a, &b].into_iter().enumerate() {
        harness.state_mut().apply(Message::OpenFile(path.clone()));
        run_until(&mut harness, "the next tab", |app| app.captures().len() == k + 2);
    }
    harness.state_mut().apply(ExplorerMessage::Select(1).into());
    harness.step();
    let session = dir.path().join("three.psession");
    let mut again = save_and_reopen(&mut harness, session);
    run_until(&mut again, "the session's three captures", |app| app.captures().len() == 3);
    let paths: Vec<&PathBuf> = again.state().captures().iter().map(|c| &c.path).collect();
    assert_eq!(paths, [&big, &a, &b], "the tabs in the session's order");
    assert_eq!(again.state().explorer().selected, 1, "the tab the session showed");
}

#[test]
fn with_an_install_configuration_lanes_group_by_circuit() {
    let mut app = App::new(egui::Context::default());
    let capture = default_sample_path();
    let config = capture.with_file_name("sample-panel.install.json");
    app.apply(ExplorerMessage::OpenWithInstallConfig { capture, config }.into());
    let mut harness =
        Harness::builder().with_size(egui::vec2(1500.0, 1000.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    run_until(&mut harness, "the configured capture", |app| {
        app.captures().first().is_some_and(|c| c.install.is_some())
    });
    harness.state_mut().apply(ExplorerMessage::Lanes(LaneEdit::Arrange(Arrangement::ByCircuit)).into());
    harness.step();
    harness.step();
    let lanes = lane_channels(harness.state());
    let names: Vec<String> = harness.state().captures()[0].view.lanes.groups.iter().map(|g| g.name.clone()).collect();
    assert_eq!(&names[..3], ["voltages", "mains", "Water heater"], "{names:?}");
    assert_eq!(lanes[2], [vec!["I_01".to_string()], vec!["I_03".to_string()]], "a lane per leg");
    let all: Vec<&String> = lanes.iter().flatten().flatten().collect();
    assert_eq!(all.len(), harness.state().captures()[0].capture.channels.len(), "every channel once: {all:?}");
    assert!(harness.query_by_label_contains("- Water heater").is_some());
}

#[test]
fn a_lanes_menu_moves_it_to_a_group_of_its_own() {
    let mut harness = open(default_sample_path());
    harness.state_mut().apply(ExplorerMessage::Lanes(LaneEdit::Arrange(Arrangement::PerChannel)).into());
    harness.step();
    harness.step();
    let groups = harness.state().captures()[0].view.lanes.groups.len();
    harness.get_by_label_contains("V_B  V").click_secondary();
    harness.step();
    harness.step();
    harness.get_by_label("Move to a new group").click();
    harness.step();
    harness.step();
    let lanes = &harness.state().captures()[0].view.lanes;
    assert_eq!(lanes.groups.len(), groups + 1);
    let mine = lanes
        .groups
        .iter()
        .find(|g| g.lanes.len() == 1 && g.lanes[0].channels == ["V_B"])
        .unwrap_or_else(|| panic!("its own group: {:?}", lanes.groups));
    assert!(mine.name.starts_with("group "), "{}", mine.name);
}
