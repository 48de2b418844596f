//! The explorer window driven like a user: egui_kittest finds widgets by label, clicks them,
//! and the tests check what changed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use panelscope::app::{App, ExplorerMessage, ExportSpan, Message, default_sample_path};

/// Steps the harness until `done` holds (background loads and detection report back on
/// their own threads), for at most a minute.
fn run_until(harness: &mut Harness<'_, App>, done: impl Fn(&App) -> bool) {
    let start = Instant::now();
    while !done(harness.state()) {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out; errors: {:?}", harness.state().errors());
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.step();
    harness.step();
}

fn harness_with(file: PathBuf) -> Harness<'static, App> {
    let mut app = App::new(egui::Context::default());
    app.apply(Message::OpenFile(file));
    Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app)
}

#[test]
fn opens_the_sample_and_hides_a_channel() {
    let mut harness = harness_with(default_sample_path());
    run_until(&mut harness, |app| app.captures().len() == 1);
    assert!(harness.state().captures()[0].channels[0].visible);
    // The channel list's V_A check box.
    harness.get_all_by_role_and_label(egui::accesskit::Role::CheckBox, "V_A").next().expect("V_A").click();
    harness.step();
    harness.step();
    assert!(!harness.state().captures()[0].channels[0].visible, "V_A is still shown");
    // The others stay.
    assert!(harness.state().captures()[0].channels[1].visible);
}

#[test]
fn clicking_an_event_zooms_the_plots_to_it() {
    let mut harness = harness_with(default_sample_path());
    run_until(&mut harness, |app| app.captures().first().is_some_and(|c| c.events.is_some()));
    let (from, to) = harness.state().view_s().expect("plots drawn");
    assert!(from <= 0.0 && to >= 9.99, "full view first: {from} {to}");
    let events = harness.state().captures()[0].events.clone().unwrap().unwrap();
    let sag = events.events.iter().find(|e| e.kind.as_str() == "sag").expect("the sample's sag");
    let label = format!("{:.4} s", sag.start_s);
    // The table scrolls the row into view (an animation of a few frames), then a click.
    harness.get_by_role_and_label(egui::accesskit::Role::Link, &label).scroll_to_me();
    for _ in 0..10 {
        harness.step();
    }
    harness.get_by_role_and_label(egui::accesskit::Role::Link, &label).click();
    harness.step();
    harness.step();
    let (from, to) = harness.state().view_s().unwrap();
    assert!(from < sag.start_s && to > sag.end_s.unwrap(), "{from} {to}");
    assert!(to - from < 1.0, "zoomed in: {from} {to}");
}

#[test]
fn a_bad_file_shows_an_error_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.csv");
    std::fs::write(&bad, "time_s,V_A [V]\n0,1\n0.001,oops\n").unwrap();
    let mut harness = harness_with(bad);
    run_until(&mut harness, |app| !app.errors().is_empty());
    let shown = harness.query_all_by_label_contains("broken.csv").count();
    assert!(shown > 0, "the error names the file in the window");
    assert!(harness.state().captures().is_empty());
}

#[test]
fn searching_narrows_the_channel_list() {
    let mut harness = harness_with(default_sample_path());
    run_until(&mut harness, |app| app.captures().len() == 1);
    let check_boxes =
        |h: &Harness<'_, App>, name: &str| h.query_all_by_role_and_label(egui::accesskit::Role::CheckBox, name).count();
    // In the channel list (the lanes name their channels in their headers, no legend).
    assert_eq!(check_boxes(&harness, "I_MAIN_A"), 1);
    assert_eq!(check_boxes(&harness, "V_A"), 1);
    let search = harness.get_by_role(egui::accesskit::Role::TextInput);
    search.focus();
    search.type_text("main");
    harness.step();
    harness.step();
    assert_eq!(check_boxes(&harness, "I_MAIN_A"), 1);
    assert_eq!(check_boxes(&harness, "V_A"), 0, "V_A is not listed");
}

#[test]
fn cursors_give_a_readout_of_the_span_between_them() {
    let mut harness = harness_with(default_sample_path());
    run_until(&mut harness, |app| app.captures().len() == 1);
    // A quiet second of the sample (no sag or swell): 60 whole cycles.
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 0, t_s: 0.6 }.into());
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 1, t_s: 1.6 }.into());
    run_until(&mut harness, |app| app.readout().is_some());
    let report = harness.state().readout().unwrap().clone();
    assert!((report.from_s - 0.6).abs() < 1e-3 && (report.to_s - 1.6).abs() < 1e-3);
    let va = report.channels.iter().find(|c| c.name == "V_A").unwrap();
    assert!((va.rms.unwrap() - 120.0).abs() < 1.5, "{:?}", va.rms);
    assert!((va.frequency_hz.unwrap() - 60.0).abs() < 0.05);
    assert!(report.pairs.iter().any(|p| p.current == "I_MAIN_A" && p.power.p_w > 0.0));
    // The window shows it: Δt, 1/Δt and the RMS of V_A.
    assert!(harness.query_by_label("1.000000 s").is_some(), "Δt shown");
    assert!(harness.query_by_label("1.0000 Hz").is_some(), "1/Δt shown");
    let rms = egui_rms_label(va.rms.unwrap());
    assert!(harness.query_by_label(&rms).is_some(), "V_A RMS {rms} shown");
}

/// How the readout prints a value (four significant digits).
fn egui_rms_label(v: f64) -> String {
    format!("{v:.1}")
}

#[test]
fn rms_trend_overlay() {
    let mut harness = harness_with(default_sample_path());
    run_until(&mut harness, |app| app.captures().first().is_some_and(|c| c.events.is_some()));
    let trend = harness.state().captures()[0].channels[0].trend.as_ref().expect("V_A has a trend");
    // 10 s at 60 Hz, a value every half cycle; about 120 V away from the sag and swell.
    assert!((trend.rms.values.len() as i64 - 1199).abs() <= 2, "{}", trend.rms.values.len());
    assert!((trend.rms.values[100] - 120.0).abs() < 1.5, "{}", trend.rms.values[100]);
    // At full view (more than a cycle a pixel) each waveform is drawn as its RMS over a
    // faint band.
    assert!(harness.query_by_label_contains("V_A  V · RMS").is_some(), "the header says the lane shows the RMS");
    harness.state_mut().apply(ExplorerMessage::SetDenseWaveforms(true).into());
    harness.step();
    harness.step();
    assert!(harness.query_by_label_contains("V_A  V · RMS").is_none(), "or as it is, when asked");
    harness.state_mut().apply(ExplorerMessage::SetDenseWaveforms(false).into());
    // A second in view: the cycles can be read, the waveform is drawn.
    harness.state_mut().apply(ExplorerMessage::ZoomTo { from_s: 0.6, to_s: 1.6 }.into());
    for _ in 0..3 {
        harness.step();
    }
    assert!(harness.query_by_label_contains(" · RMS").is_none());
    assert!(harness.query_by_label_contains("+ RMS").is_none());
    harness.get_by_role_and_label(egui::accesskit::Role::CheckBox, "RMS trend").click();
    harness.step();
    harness.step();
    assert!(harness.state().settings().show_trends);
    assert!(harness.query_by_label_contains("V_A  V + RMS").is_some(), "the lane's header says the trend is drawn");
}

#[test]
fn recent_files_theme_and_trends_are_remembered() {
    let mut harness = harness_with(default_sample_path());
    run_until(&mut harness, |app| app.captures().len() == 1);
    harness.get_by_role_and_label(egui::accesskit::Role::CheckBox, "Light").click();
    harness.get_by_role_and_label(egui::accesskit::Role::CheckBox, "RMS trend").click();
    harness.step();
    harness.step();
    let saved = harness.state().settings();
    assert_eq!(saved.recent, vec![default_sample_path()]);
    assert!(saved.light && saved.show_trends);
    // Saved as eframe saves it (RON), read back by a new window.
    let text = ron::to_string(&saved).unwrap();
    assert_eq!(saved.open, vec![default_sample_path()], "the open capture is reopened next time");
    let mut next = App::new(egui::Context::default());
    next.restore(ron::from_str(&text).unwrap());
    // Everything but the open files, which the window reopens itself.
    assert_eq!(next.settings(), panelscope::app::Settings { open: Vec::new(), ..saved });
}

/// The sample with its events detected.
fn sample_with_events() -> Harness<'static, App> {
    let mut harness = harness_with(default_sample_path());
    run_until(&mut harness, |app| app.captures().first().is_some_and(|c| c.events.is_some()));
    harness
}

#[test]
fn the_event_table_filters_by_kind_and_sorts_by_column() {
    let mut harness = sample_with_events();
    let all = harness.state().listed_events().len();
    let transients = harness.state().captures()[0]
        .events
        .as_ref()
        .unwrap()
        .as_ref()
        .unwrap()
        .events
        .iter()
        .filter(|e| e.kind.as_str() == "transient")
        .count();
    assert!(transients > 0);
    harness.get_by_label(&format!("transient {transients}")).click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().listed_events().len(), all - transients, "transients hidden");
    harness.get_by_label("magnitude").click();
    harness.step();
    harness.step();
    let d = harness.state().captures()[0].events.clone().unwrap().unwrap();
    let magnitude = |i: usize| d.events[i].magnitude_pu.unwrap_or(d.events[i].magnitude).abs();
    let listed = harness.state().listed_events();
    assert!(listed.windows(2).all(|w| magnitude(w[0]) <= magnitude(w[1])), "sorted by magnitude");
    // A second click reverses the order.
    harness.get_by_label("magnitude ^").click();
    harness.step();
    harness.step();
    let listed = harness.state().listed_events();
    assert!(listed.windows(2).all(|w| magnitude(w[0]) >= magnitude(w[1])), "descending");
}

#[test]
fn a_click_near_an_event_marker_finds_it_in_the_table() {
    let mut harness = sample_with_events();
    let d = harness.state().captures()[0].events.clone().unwrap().unwrap();
    let (k, sag) = d.events.iter().enumerate().find(|(_, e)| e.kind.as_str() == "sag").unwrap();
    harness.state_mut().apply(ExplorerMessage::Click { t_s: sag.start_s + 0.001, secondary: false }.into());
    harness.step();
    assert_eq!(harness.state().selected_event(), Some(k));
    assert_eq!(harness.state().cursors()[0], Some(sag.start_s + 0.001), "and cursor A is placed");
}

#[test]
fn keys_pan_zoom_and_fit_the_view() {
    let mut harness = sample_with_events();
    harness.state_mut().apply(ExplorerMessage::ZoomTo { from_s: 2.0, to_s: 4.0 }.into());
    harness.step();
    harness.step();
    let (a, b) = harness.state().view_s().unwrap();
    assert!((a - 2.0).abs() < 1e-6 && (b - 4.0).abs() < 1e-6, "{a} {b}");
    harness.key_press(egui::Key::ArrowRight);
    harness.step();
    harness.step();
    let (a, b) = harness.state().view_s().unwrap();
    assert!((a - 2.5).abs() < 1e-6 && (b - 4.5).abs() < 1e-6, "panned a quarter: {a} {b}");
    harness.key_press(egui::Key::Minus);
    harness.step();
    harness.step();
    let (a, b) = harness.state().view_s().unwrap();
    assert!((b - a - 4.0).abs() < 1e-6, "zoomed out twice as wide: {a} {b}");
    harness.key_press(egui::Key::F);
    harness.step();
    harness.step();
    let (a, b) = harness.state().view_s().unwrap();
    assert!(a <= 0.0 && b >= 9.99, "fitted: {a} {b}");
}

#[test]
fn exports_the_visible_window_the_cursor_window_and_the_events() {
    let mut harness = sample_with_events();
    let dir = tempfile::tempdir().unwrap();
    // Hide V_B, zoom to 1..3 s, export what is shown.
    harness.get_all_by_role_and_label(egui::accesskit::Role::CheckBox, "V_B").next().unwrap().click();
    harness.state_mut().apply(ExplorerMessage::ZoomTo { from_s: 1.0, to_s: 3.0 }.into());
    harness.step();
    harness.step();
    let visible = dir.path().join("visible.parquet");
    harness
        .state_mut()
        .apply(ExplorerMessage::ExportWindow { span: ExportSpan::Visible, path: visible.clone() }.into());
    run_until(&mut harness, |app| app.status().is_some() || !app.errors().is_empty());
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    let part = panelscope::capture::read(&visible).unwrap();
    assert_eq!(part.channels.len(), 11, "every channel but V_B");
    assert!(part.channel("V_B").is_none());
    assert!((part.duration_s() - 2.0).abs() < 0.01, "{}", part.duration_s());
    assert!(harness.query_by_label_contains("visible.parquet").is_some(), "the status line says where");

    // Without cursors the cursor export is refused, in the window.
    let cursors = dir.path().join("cursors.csv");
    harness
        .state_mut()
        .apply(ExplorerMessage::ExportWindow { span: ExportSpan::Cursors, path: cursors.clone() }.into());
    harness.step();
    assert!(!harness.state().errors().is_empty());
    assert!(!cursors.exists());
    harness.state_mut().apply(Message::DismissErrors);
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 0, t_s: 1.5 }.into());
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 1, t_s: 1.25 }.into());
    harness
        .state_mut()
        .apply(ExplorerMessage::ExportWindow { span: ExportSpan::Cursors, path: cursors.clone() }.into());
    run_until(&mut harness, |app| app.status().is_some_and(|s| s.contains("cursors.csv")));
    let part = panelscope::capture::read(&cursors).unwrap();
    assert!((part.duration_s() - 0.25).abs() < 0.01, "{}", part.duration_s());

    let events = dir.path().join("events.csv");
    harness.state_mut().apply(ExplorerMessage::ExportEvents(events.clone()).into());
    run_until(&mut harness, |app| app.status().is_some_and(|s| s.contains("events.csv")));
    let text = std::fs::read_to_string(&events).unwrap();
    assert!(text.starts_with("kind,channel,start_s"));
    assert_eq!(text.lines().count(), 1 + harness.state().listed_events().len());
}

#[test]
fn cancelling_a_load_leaves_nothing_open() {
    let mut app = App::new(egui::Context::default());
    app.apply(Message::OpenFile(default_sample_path()));
    let id = app.loading()[0].id;
    app.apply(ExplorerMessage::CancelLoad(id).into());
    assert!(!app.is_loading());
    let mut harness =
        Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    for _ in 0..50 {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(harness.state().captures().is_empty(), "the cancelled capture was dropped");
    assert!(harness.state().errors().is_empty());
}

#[test]
fn the_load_shows_progress_and_a_cancel_button() {
    let mut harness = harness_with(default_sample_path());
    harness.step();
    if harness.state().is_loading() {
        assert!(harness.query_by_label("Cancel").is_some());
    }
    run_until(&mut harness, |app| app.captures().len() == 1);
    assert!(harness.query_by_label("Cancel").is_none());
}

#[test]
fn spectrum_and_thd_of_the_cursor_window() {
    let mut harness = sample_with_events();
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 0, t_s: 0.6 }.into());
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 1, t_s: 1.6 }.into());
    run_until(&mut harness, |app| app.readout().is_some());
    harness.get_by_label("Spectrum").click();
    harness.step();
    harness.step();
    assert!(harness.query_by_label_contains("THD").is_some(), "THD shown");
    assert!(harness.query_by_label("h3").is_some(), "the largest harmonics listed");
}

#[test]
fn phasors_and_sequence_components_of_a_three_phase_capture() {
    let three_phase = default_sample_path().with_file_name("three-phase-4s.cfg");
    let mut harness = harness_with(three_phase);
    run_until(&mut harness, |app| app.captures().len() == 1);
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 0, t_s: 0.1 }.into());
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 1, t_s: 0.5 }.into());
    run_until(&mut harness, |app| app.readout().is_some());
    harness.get_by_label("Phasors").click();
    harness.step();
    harness.step();
    let report = harness.state().readout().unwrap().clone();
    assert!(!report.three_phase.is_empty(), "a three-phase set is recognised");
    assert_eq!(harness.query_all_by_label("positive").count(), report.three_phase.len());
    assert_eq!(harness.query_all_by_label("unbalance").count(), report.three_phase.len());
}

#[test]
fn per_unit_scales_voltages_by_their_nominal() {
    let mut harness = sample_with_events();
    let base = harness.state().captures()[0].per_unit_base(0).unwrap();
    assert_eq!(base, (120.0, "nominal"));
    harness.get_by_role_and_label(egui::accesskit::Role::CheckBox, "pu").click();
    harness.step();
    harness.step();
    assert!(harness.state().settings().per_unit);
    assert!(harness.query_all_by_label("1 pu").count() >= 2, "the channel list gives the base per kind");
    assert_eq!(harness.query_all_by_label("120.0 (nominal)").count(), 2, "of V_A and V_B");
}

#[test]
fn the_sample_install_config_names_every_trace_and_shows_the_balance() {
    let mut app = App::new(egui::Context::default());
    let capture = default_sample_path();
    let config = capture.with_file_name("sample-panel.install.json");
    app.apply(ExplorerMessage::OpenWithInstallConfig { capture, config }.into());
    let mut harness =
        Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    run_until(&mut harness, |app| app.captures().first().is_some_and(|c| c.install.is_some() && c.events.is_some()));
    let open = &harness.state().captures()[0];
    for i in 0..open.capture.channels.len() {
        assert!(open.role(i).is_some(), "{} is named by the install config", open.capture.channels[i].name);
    }
    assert!(harness.query_by_label("A Water heater · A").is_some(), "the channel list shows the circuit");
    assert!(
        harness.query_by_label("Water heater · spaces 1, 3 · 240 V (2)").is_some(),
        "grouped by circuit, with its slot and voltage"
    );
    assert!(harness.query_all_by_label_contains("I_03 · Water heater · B").count() > 0, "so does its lane's header");
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 0, t_s: 0.6 }.into());
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 1, t_s: 1.6 }.into());
    run_until(&mut harness, |app| app.readout().is_some());
    let report = harness.state().readout().unwrap().clone();
    let heater_b = report.pairs.iter().find(|p| p.current == "I_03").expect("I_03 paired");
    assert_eq!((heater_b.voltage.as_str(), heater_b.paired_by.as_str()), ("V_B", "install_config"));
    let balances = harness.state().balances().to_vec();
    assert_eq!(balances.len(), 2);
    assert!(balances.iter().all(|b| b.rms < 0.05 * b.mains_rms), "{balances:?}");
    assert!(harness.query_by_label("balance A").is_some(), "the readout shows the balance");
    harness.state_mut().apply(ExplorerMessage::ClearInstallConfig.into());
    harness.step();
    assert!(harness.state().captures()[0].role(0).is_none());
}

#[test]
fn a_bad_install_config_is_an_error_in_the_window() {
    let mut harness = sample_with_events();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("install.json");
    std::fs::write(&bad, "{\"schema_version\": 1,\n \"panel\": }").unwrap();
    harness.state_mut().apply(ExplorerMessage::ApplyInstallConfig(bad).into());
    run_until(&mut harness, |app| !app.errors().is_empty());
    assert!(harness.state().errors()[0].contains("install.json") && harness.state().errors()[0].contains("line 2"));
    assert!(harness.state().captures()[0].install.is_none());
}

/// A capture of the sample panel with one clamp on backwards, and the project as
/// configured: (project, capture, the reversed circuit).
fn planted_reversal(dir: &std::path::Path) -> (PathBuf, PathBuf, String) {
    use panelscope::generate::{Mistake, WiringOptions, wiring_capture};
    let panel = panelscope::panel::sample_panel();
    let config = panel.install_config_unchecked();
    let label = config.circuits.iter().find(|c| c.poles == 1 && !c.channels.is_empty()).unwrap().label.clone();
    let opts = WiringOptions { mistakes: vec![Mistake::Reversed(label.clone())], ..WiringOptions::default() };
    let w = wiring_capture(&panel, &opts);
    let (project, capture) = (dir.join("panel.ron"), dir.join("site.parquet"));
    w.configured.save(&project).unwrap();
    panelscope::capture::write(&w.capture, &capture).unwrap();
    (project, capture, label)
}

#[test]
fn the_verify_tab_lists_a_planted_mistake_and_links_to_its_waveform_and_breaker() {
    let dir = tempfile::tempdir().unwrap();
    let (project, capture, label) = planted_reversal(dir.path());
    let mut app = App::new(egui::Context::default());
    app.apply(ExplorerMessage::OpenWithInstallConfig { capture, config: project.clone() }.into());
    let mut harness =
        Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    run_until(&mut harness, |app| {
        app.captures().first().is_some_and(|c| c.install.as_ref().is_some_and(|i| i.verify.is_some()))
    });
    let report = match &harness.state().captures()[0].install.as_ref().unwrap().verify {
        Some(Ok(report)) => report.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(report.errors(), 1, "{report:#?}");
    let finding = report.of_code("reversed").next().expect("the reversal is found").clone();
    assert_eq!(finding.circuit.as_deref(), Some(label.as_str()));
    // The channel list says so, and leads to the tab.
    harness.get_by_label("wiring: 1 error").click();
    harness.step();
    harness.step();
    assert!(harness.query_by_label("error reversed").is_some(), "the tab lists it");
    assert!(harness.query_by_label_contains(&format!("Fix: {}", finding.fix)).is_some());
    // Its waveform: the channel beside its voltage, a few cycles.
    harness.get_by_label("Waveform").click_accesskit();
    run_until(&mut harness, |app| app.readout().is_some());
    let open = &harness.state().captures()[0];
    let shown: Vec<&str> = (0..open.channels.len())
        .filter(|&i| open.channels[i].visible)
        .map(|i| open.capture.channels[i].name.as_str())
        .collect();
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(shown.contains(&finding.channel.as_deref().unwrap()), "{shown:?}");
    assert!(shown.iter().any(|c| c.starts_with('V')), "{shown:?}");
    let span = open.view.cursor_span().unwrap();
    assert!((span.to_s - span.from_s) < 0.05, "two cycles between the cursors: {span:?}");
    // Its breaker: the project opens in the editor with the breaker selected.
    harness.get_by_label("In editor").click_accesskit();
    run_until(&mut harness, |app| app.editor().is_some_and(|e| e.selection.is_some()));
    assert_eq!(harness.state().mode(), panelscope::app::Mode::Panel);
    let editor = harness.state().editor().unwrap();
    assert_eq!(editor.path.as_deref(), Some(project.as_path()));
    let Some(panelscope::app::Selection::Breaker(i)) = editor.selection else { panic!("{:?}", editor.selection) };
    assert_eq!(Some(editor.project.slot(&editor.project.breakers[i])), finding.slot);
}

#[test]
fn the_verify_tab_on_the_sample_finds_no_wiring_errors() {
    let mut app = App::new(egui::Context::default());
    let capture = default_sample_path();
    let config = capture.with_file_name("sample-panel.install.json");
    app.apply(ExplorerMessage::OpenWithInstallConfig { capture, config }.into());
    app.apply(ExplorerMessage::SetSideTab(panelscope::app::SideTab::Verify).into());
    let mut harness =
        Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
    run_until(&mut harness, |app| {
        app.captures().first().is_some_and(|c| c.install.as_ref().is_some_and(|i| i.verify.is_some()))
    });
    let Some(Ok(report)) = &harness.state().captures()[0].install.as_ref().unwrap().verify else { panic!() };
    assert_eq!(report.errors(), 0, "{report:#?}");
    assert!(report.circuits.iter().all(|c| c.verdict == "ok"), "{:#?}", report.circuits);
    assert!(harness.query_by_label_contains("circuits read as wired").is_some() || report.warnings() > 0);
}

#[test]
fn the_verify_tab_finds_a_wrong_phase_on_three_phase_services() {
    use panelscope::generate::{Mistake, WiringOptions, wiring_capture, wiring_panel};
    use panelscope::panel::Service;
    for service in [Service::Wye208_120, Service::ThreePhase400_230] {
        let dir = tempfile::tempdir().unwrap();
        let panel = wiring_panel(service);
        let config = panel.install_config_unchecked();
        let first = config.circuits.iter().find(|c| c.poles == 1 && !c.channels.is_empty()).unwrap();
        let elsewhere = *service.phases().iter().find(|p| **p != first.channels[0].phase).unwrap();
        let opts = WiringOptions {
            mistakes: vec![Mistake::WrongPhase(first.label.clone(), elsewhere)],
            ..WiringOptions::default()
        };
        let w = wiring_capture(&panel, &opts);
        let (project, capture) = (dir.path().join("panel.ron"), dir.path().join("site.parquet"));
        w.configured.save(&project).unwrap();
        panelscope::capture::write(&w.capture, &capture).unwrap();
        let mut app = App::new(egui::Context::default());
        app.apply(ExplorerMessage::OpenWithInstallConfig { capture, config: project }.into());
        app.apply(ExplorerMessage::SetSideTab(panelscope::app::SideTab::Verify).into());
        let mut harness =
            Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app);
        run_until(&mut harness, |app| {
            app.captures().first().is_some_and(|c| c.install.as_ref().is_some_and(|i| i.verify.is_some()))
        });
        assert!(harness.query_by_label("error wrong-phase").is_some(), "{service:?}");
        assert!(harness.query_by_label("wiring: 1 error").is_some(), "{service:?}: no other error");
    }
}

#[test]
fn the_event_table_opens_about_eight_rows_tall() {
    let mut harness = sample_with_events();
    for _ in 0..4 {
        harness.step();
    }
    // The table's rows start under its header line; the window is 900 points tall.
    let header = harness.get_by_label_contains("of 35 events").rect();
    let rows = harness.get_all_by_label_contains(" s").filter(|n| n.rect().top() > header.bottom() + 30.0).count();
    assert!(900.0 - header.top() > 260.0, "the events panel is {} points tall", 900.0 - header.top());
    assert!(rows >= 7, "{rows} rows shown");
}
