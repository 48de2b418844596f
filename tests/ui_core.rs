//! The app core driven as the issue describes it: each capture tab keeps its own view, a
//! slow task (a file dialog waiting for the user) never stalls a frame, and the intents
//! are plain data that a test or a session can replay.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use panelscope::app::{App, ExplorerMessage, FileDialogs, Message, Purpose, default_sample_path};

fn sample(name: &str) -> PathBuf {
    default_sample_path().with_file_name(name)
}

fn harness(app: App) -> Harness<'static, App> {
    Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app)
}

/// Steps until `done` holds (background work reports back on its own threads).
fn run_until(harness: &mut Harness<'_, App>, what: &str, done: impl Fn(&App) -> bool) {
    let start = Instant::now();
    while !done(harness.state()) {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.step();
    harness.step();
}

fn tab_of(app: &App, name: &str) -> usize {
    app.captures().iter().position(|c| c.path.file_name().is_some_and(|n| n == name)).expect(name)
}

#[test]
fn switching_tabs_keeps_each_tabs_cursors_and_zoom() {
    let mut app = App::new(egui::Context::default());
    app.update(Message::OpenFile(default_sample_path()));
    app.update(Message::OpenFile(sample("split-phase-2s.csv")));
    let mut harness = harness(app);
    run_until(&mut harness, "both captures", |app| app.captures().len() == 2);

    let parquet = tab_of(harness.state(), "split-phase-10s.parquet");
    harness.state_mut().update(ExplorerMessage::Select(parquet).into());
    harness.state_mut().update(ExplorerMessage::ZoomTo { from_s: 2.0, to_s: 4.0 }.into());
    harness.state_mut().update(ExplorerMessage::SetCursor { which: 0, t_s: 2.5 }.into());
    harness.state_mut().update(ExplorerMessage::SetCursor { which: 1, t_s: 3.5 }.into());
    run_until(&mut harness, "the readout", |app| app.readout().is_some());
    let (from, to) = harness.state().view_s().expect("plots drawn");
    assert!((from - 2.0).abs() < 1e-6 && (to - 4.0).abs() < 1e-6, "{from} {to}");

    // The other tab has a view of its own: the whole capture, no cursors.
    let csv = tab_of(harness.state(), "split-phase-2s.csv");
    harness.state_mut().update(ExplorerMessage::Select(csv).into());
    harness.step();
    harness.step();
    assert_eq!(harness.state().cursors(), [None, None]);
    let (from, to) = harness.state().view_s().unwrap();
    assert!(from <= 0.0 && to >= 1.99, "the CSV tab shows all of it: {from} {to}");
    harness.state_mut().update(ExplorerMessage::SetCursor { which: 0, t_s: 0.25 }.into());
    harness.state_mut().update(ExplorerMessage::ZoomTo { from_s: 0.1, to_s: 0.3 }.into());
    harness.step();

    // Back: the first tab's zoom, cursors and readout are as they were left.
    harness.state_mut().update(ExplorerMessage::Select(parquet).into());
    harness.step();
    harness.step();
    assert_eq!(harness.state().cursors(), [Some(2.5), Some(3.5)]);
    let (from, to) = harness.state().view_s().unwrap();
    assert!((from - 2.0).abs() < 1e-6 && (to - 4.0).abs() < 1e-6, "zoom kept: {from} {to}");
    let report = harness.state().readout().expect("the readout is kept");
    assert!((report.from_s - 2.5).abs() < 1e-3 && (report.to_s - 3.5).abs() < 1e-3);

    // And the second tab kept its own.
    harness.state_mut().update(ExplorerMessage::Select(csv).into());
    harness.step();
    harness.step();
    assert_eq!(harness.state().cursors(), [Some(0.25), None]);
    let (from, to) = harness.state().view_s().unwrap();
    assert!((from - 0.1).abs() < 1e-6 && (to - 0.3).abs() < 1e-6, "{from} {to}");
}

/// A file dialog that answers only when the test says so: the user taking their time.
struct SlowDialog {
    release: Mutex<Receiver<PathBuf>>,
    asked: Mutex<Sender<Purpose>>,
}

impl FileDialogs for SlowDialog {
    fn choose(&self, purpose: &Purpose) -> Vec<PathBuf> {
        let _ = self.asked.lock().unwrap().send(purpose.clone());
        // A bounded wait, so a frame that did block fails the test rather than hanging it.
        self.release.lock().unwrap().recv_timeout(Duration::from_secs(30)).into_iter().collect()
    }
}

#[test]
fn a_slow_dialog_does_not_stall_frames() {
    let (release, released) = channel();
    let (asked_tx, asked) = channel();
    let mut app = App::new(egui::Context::default());
    app.set_dialogs(Arc::new(SlowDialog { release: Mutex::new(released), asked: Mutex::new(asked_tx) }));
    let mut harness = harness(app);
    harness.step();
    // Ctrl+O, as a user would.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    harness.step();
    assert_eq!(asked.recv_timeout(Duration::from_secs(10)).unwrap(), Purpose::OpenCaptures);
    // The dialog is open on its worker; frames go on meanwhile.
    for _ in 0..20 {
        harness.step();
    }
    assert!(harness.state().captures().is_empty() && !harness.state().is_loading());
    release.send(default_sample_path()).unwrap();
    run_until(&mut harness, "the chosen capture", |app| app.captures().len() == 1);
    assert_eq!(harness.state().captures()[0].path, default_sample_path());
}

#[test]
fn intents_are_data_a_session_can_replay() {
    let intents = vec![
        ExplorerMessage::ZoomTo { from_s: 1.0, to_s: 2.0 },
        ExplorerMessage::SetCursor { which: 0, t_s: 1.2 },
        ExplorerMessage::SetCursor { which: 1, t_s: 1.7 },
        ExplorerMessage::SetPerUnit(true),
    ];
    let text = ron::to_string(&intents).unwrap();
    let replayed: Vec<ExplorerMessage> = ron::from_str(&text).unwrap();
    assert_eq!(replayed, intents);

    let mut app = App::new(egui::Context::default());
    app.update(Message::OpenFile(default_sample_path()));
    let mut harness = harness(app);
    run_until(&mut harness, "the capture", |app| app.captures().len() == 1);
    for m in replayed {
        harness.state_mut().update(m.into());
    }
    harness.step();
    harness.step();
    assert_eq!(harness.state().cursors(), [Some(1.2), Some(1.7)]);
    assert!(harness.state().settings().per_unit);
    let (from, to) = harness.state().view_s().unwrap();
    assert!((from - 1.0).abs() < 1e-6 && (to - 2.0).abs() < 1e-6, "{from} {to}");
}
