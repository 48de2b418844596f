//! Event detection scored against real recordings with labelled events
//! (`../shared/data/events/`, and the fault records of `../shared/data/comtrade/`): the
//! labels below are transcribed from each folder's MANIFEST.txt, with the uncertainty it
//! states. A detection matches a label of its kind on one of the label's channels when its
//! onset (its end, for a label that marks where a disturbance ends) is within half a cycle
//! (transients: 1 ms) or the stated uncertainty if that is wider; matches outside the stated
//! uncertainty are listed. Detections near a labelled event on other channels or of other kinds (the
//! other phases of a sag, a current following its voltage, the inrush of a switch-on) are
//! counted as explained; any other detection is unlabelled.
//!
//! `cargo test --release --test events_labelled -- --nocapture` prints the table that
//! README.md quotes.

use panelscope::analysis::events::{DetectOptions, EventKind, detect};
use panelscope::capture;

mod common;
use common::score::Board;

/// A labelled event.
struct Label {
    kind: EventKind,
    /// The channels it shows on (any one matches).
    channels: &'static [&'static str],
    /// Seconds, in the file's own time (its `time_s` column).
    time_s: f64,
    /// The uncertainty the MANIFEST states, in seconds.
    within_s: f64,
    /// The label marks where the disturbance ends (the record starts inside it).
    at_end: bool,
}

/// A recording: its files (under `../shared/data/`) and what happened in it.
struct Record {
    source: &'static str,
    files: &'static [&'static str],
    labels: Vec<Label>,
}

const fn on(channels: &'static [&'static str], time_s: f64, within_s: f64) -> Label {
    Label { kind: EventKind::LoadOn, channels, time_s, within_s, at_end: false }
}

const fn label(kind: EventKind, channels: &'static [&'static str], time_s: f64, within_s: f64) -> Label {
    Label { kind, channels, time_s, within_s, at_end: false }
}

const fn ends(kind: EventKind, channels: &'static [&'static str], time_s: f64, within_s: f64) -> Label {
    Label { kind, channels, time_s, within_s, at_end: true }
}

const VAB: &[&str] = &["Waveform_VAB"];
const VBC: &[&str] = &["Waveform_VBC"];
/// "VBC (also IB, IC)".
const VBC_IB_IC: &[&str] = &["Waveform_VBC", "Waveform_IB", "Waveform_IC"];
const VBC_VCA: &[&str] = &["Waveform_VBC", "Waveform_VCA"];
const VAB_VCA: &[&str] = &["Waveform_VAB", "Waveform_VCA"];
const V_ALL: &[&str] = &["Waveform_VAB", "Waveform_VBC", "Waveform_VCA"];
const I: &[&str] = &["I"];
const THESIS_V: &[&str] = &["VA", "VB", "VC"];

fn records() -> Vec<Record> {
    use EventKind::*;
    let tabanelli = |file, labels| Record { source: "tabanelli-mcu-nilm-10khz", files: file, labels };
    let thesis = |file, labels| Record { source: "thesis-ups-sel751-1920hz", files: file, labels };
    let pqdif = |file, labels| Record { source: "pqdif-pass8010-34kv", files: file, labels };
    vec![
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0212_1400_HeadPhones.csv"], vec![on(I, 15.7012, 0.002)]),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0212_1400_SmartPhoneCharger.csv"], vec![on(I, 15.9025, 0.002)]),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0212_1400_PowerBank.csv"], vec![on(I, 15.7509, 0.002)]),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0212_1400_Monitor.csv"], vec![on(I, 15.6208, 0.002)]),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0212_1400_Fan1.csv"], vec![on(I, 15.9438, 0.002)]),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0212_1400_LightBulb.csv"], vec![on(I, 15.7749, 0.002)]),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0212_1400_Laptop.csv"], vec![on(I, 15.4810, 0.002)]),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0212_1400_ElectricMoka.csv"], vec![on(I, 15.2224, 0.002)]),
        tabanelli(
            &["events/tabanelli-mcu-nilm-10khz/0212_1400_Microwave1.csv"],
            vec![
                on(I, 14.9319, 0.002),
                on(I, 17.0897, 0.005),
                on(I, 20.2731, 0.020),
                label(LoadOff, I, 22.7701, 0.010),
            ],
        ),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0312_1000_HeadPhones.csv"], vec![on(I, 15.6541, 0.002)]),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0312_1000_SmartPhoneCharger.csv"], vec![on(I, 15.7749, 0.002)]),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0312_1000_PowerBank.csv"], vec![on(I, 15.9252, 0.002)]),
        tabanelli(&["events/tabanelli-mcu-nilm-10khz/0212_1400_Nothing_1.csv"], vec![]),
        thesis(&["events/thesis-ups-sel751-1920hz/CEV_10031_R.csv"], vec![label(Sag, THESIS_V, 0.1040, 0.004)]),
        thesis(&["events/thesis-ups-sel751-1920hz/CEV_10057_R.csv"], vec![label(Sag, THESIS_V, 0.0838, 0.004)]),
        thesis(
            &["events/thesis-ups-sel751-1920hz/CEV_10037_R.csv"],
            vec![label(Interruption, THESIS_V, 0.0870, 0.004)],
        ),
        thesis(
            &["events/thesis-ups-sel751-1920hz/CEV_10042_R.csv"],
            vec![label(Interruption, THESIS_V, 0.0484, 0.004)],
        ),
        thesis(
            &["events/thesis-ups-sel751-1920hz/CEV_10045_R.csv"],
            vec![label(Interruption, THESIS_V, 0.0443, 0.005)],
        ),
        thesis(
            &["events/thesis-ups-sel751-1920hz/CEV_10049_R.csv"],
            vec![label(Interruption, THESIS_V, 0.0516, 0.004)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs01_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs01_wave_i7680Hz.csv",
            ],
            vec![label(Transient, VBC_IB_IC, 0.0009, 0.0010)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs03_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs03_wave_i7680Hz.csv",
            ],
            vec![label(Sag, VBC_VCA, 0.0326, 0.005)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs04_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs04_wave_i7680Hz.csv",
            ],
            vec![ends(Sag, V_ALL, 0.0251, 0.005)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs07_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs07_wave_i7680Hz.csv",
            ],
            vec![label(Sag, VBC, 0.0278, 0.005)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs09_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs09_wave_i7680Hz.csv",
            ],
            vec![ends(Sag, VBC, 0.0268, 0.005)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs13_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs13_wave_i7680Hz.csv",
            ],
            vec![label(Sag, VAB, 0.0226, 0.005)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs23_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs23_wave_i7680Hz.csv",
            ],
            vec![label(Sag, VBC, 0.0274, 0.005)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs24_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs24_wave_i7680Hz.csv",
            ],
            vec![label(Sag, VAB_VCA, 0.0321, 0.006)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs25_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs25_wave_i7680Hz.csv",
            ],
            vec![ends(Sag, V_ALL, 0.0235, 0.005)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs20_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs20_wave_i7680Hz.csv",
            ],
            vec![label(Transient, V_ALL, 0.01217, 0.0002)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs28_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs28_wave_i7680Hz.csv",
            ],
            vec![label(Transient, V_ALL, 0.01211, 0.0002)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs30_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs30_wave_i7680Hz.csv",
            ],
            vec![label(Transient, V_ALL, 0.00898, 0.0002)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs35_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs35_wave_i7680Hz.csv",
            ],
            vec![label(Transient, V_ALL, 0.02087, 0.0002)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs37_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs37_wave_i7680Hz.csv",
            ],
            vec![label(Transient, V_ALL, 0.01823, 0.0002)],
        ),
        pqdif(
            &[
                "events/pqdif-pass8010-34kv/obs43_wave_v15360Hz.csv",
                "events/pqdif-pass8010-34kv/obs43_wave_i7680Hz.csv",
            ],
            vec![label(Transient, V_ALL, 0.01429, 0.0002)],
        ),
        // ABB line relay, L1-to-earth fault: L1 sags from inception (before the relay's
        // pickup at 0.306 s); the breaker opens and the line VT reads zero from 0.37-0.39 s.
        Record {
            source: "comtrade-abb-testrecord1",
            files: &["comtrade/abb-testrecord1/TestRecord1_ASCII.CFG"],
            labels: vec![
                label(Sag, &["LINE_UL1"], 0.298, 0.008),
                label(Interruption, &["LINE_UL1"], 0.38, 0.01),
                label(Interruption, &["LINE_UL2"], 0.38, 0.01),
                label(Interruption, &["LINE_UL3"], 0.38, 0.01),
            ],
        },
        // SEL-311L, C-phase-to-ground fault, tripped (HDR: EVENT=CG T): C sags from the
        // inception, before TRP asserts at 0.0656 s (the window 0.04-0.0656 s); once the
        // breaker has opened the line is dead (its VT reads zero), at a time the MANIFEST
        // does not give beyond "after the trip" (taken as 0.0656-0.25 s).
        Record {
            source: "comtrade-sel-311l",
            files: &["comtrade/sel-relay-comtradejl/1991-ascii-sel.cfg"],
            labels: vec![
                label(Sag, &["VC(kV)"], 0.0528, 0.0128),
                label(Interruption, &["VA(kV)"], 0.158, 0.092),
                label(Interruption, &["VB(kV)"], 0.158, 0.092),
                label(Interruption, &["VC(kV)"], 0.158, 0.092),
            ],
        },
    ]
}

/// Scores every record; `None` when `../shared/data` is absent.
fn board() -> Option<Board> {
    let root = common::shared_data("events")?.parent().unwrap().to_path_buf();
    let mut board = Board::default();
    for record in records() {
        let cycle_s = |f: f64| 1.0 / f;
        let mut detected = Vec::new();
        let mut minutes = 0.0;
        for file in record.files {
            let path = root.join(file);
            let capture = capture::read(&path).unwrap_or_else(|e| panic!("{e}"));
            let offset: f64 =
                capture.metadata.iter().find(|(k, _)| k == "time_offset_s").map_or(0.0, |(_, v)| v.parse().unwrap());
            minutes += capture.channels.iter().filter(|c| c.analog_values().is_some()).count() as f64
                * capture.duration_s()
                / 60.0;
            match detect(&capture, &DetectOptions::default()) {
                Ok(d) => {
                    for mut e in d.events {
                        e.start_s += offset;
                        e.end_s = e.end_s.map(|t| t + offset);
                        detected.push((file.to_string(), e, d.frequency_hz));
                    }
                }
                Err(e) => board.notes.push(format!("{file}: detection failed: {e}")),
            }
        }
        *board.channel_minutes.entry(record.source.to_string()).or_default() += minutes;
        let mut used = vec![false; detected.len()];
        for l in &record.labels {
            board.tally(record.source, l.kind.as_str()).known += 1;
            let at = |e: &panelscope::analysis::events::Event| if l.at_end { e.end_s } else { Some(e.start_s) };
            let hit = detected.iter().enumerate().position(|(i, (_, e, frequency_hz))| {
                let rule = if l.kind == EventKind::Transient { 0.001 } else { 0.5 / frequency_hz };
                !used[i]
                    && e.kind == l.kind
                    && l.channels.contains(&e.channel.as_str())
                    && at(e).is_some_and(|t| (t - l.time_s).abs() <= l.within_s.max(rule))
            });
            match hit {
                Some(i) => {
                    used[i] = true;
                    board.tally(record.source, l.kind.as_str()).found += 1;
                    let off = (at(&detected[i].1).unwrap_or(f64::NAN) - l.time_s).abs();
                    if off > l.within_s {
                        board.notes.push(format!(
                            "outside its stated uncertainty: {} {} at {} s ± {} s, found {:.1} ms off",
                            record.files[0],
                            l.kind.as_str(),
                            l.time_s,
                            l.within_s,
                            1000.0 * off
                        ));
                    }
                }
                None => board.notes.push(format!(
                    "missed: {} {} on {:?} at {} s ± {} s{}",
                    record.files[0],
                    l.kind.as_str(),
                    l.channels,
                    l.time_s,
                    l.within_s,
                    if l.at_end { " (its end)" } else { "" }
                )),
            }
        }
        for (i, (file, e, frequency_hz)) in detected.iter().enumerate() {
            if used[i] {
                continue;
            }
            let window = |l: &Label| l.within_s + cycle_s(*frequency_hz);
            let near = |t: f64| record.labels.iter().any(|l| (t - l.time_s).abs() <= window(l));
            let explained = near(e.start_s) || e.end_s.is_some_and(near);
            let tally = board.tally(record.source, e.kind.as_str());
            if explained {
                tally.explained += 1;
            } else {
                tally.unlabelled += 1;
                board.notes.push(format!(
                    "unlabelled: {file} {} on {} at {:.4} s{}",
                    e.kind.as_str(),
                    e.channel,
                    e.start_s,
                    e.end_s.map_or(String::new(), |t| format!(" to {t:.4} s"))
                ));
            }
        }
    }
    Some(board)
}

/// The quick part, run by CI: the table, and the floor each source must keep.
#[test]
fn labelled_real_events_are_found() {
    let Some(board) = board() else { return };
    println!("{}", board.table());
    for note in &board.notes {
        println!("{note}");
    }
    // Floors at today's figures (README.md): a change that loses ground here fails.
    let total = board.total();
    assert!(total.known >= 44, "{} labels", total.known);
    assert!(total.f1() >= 0.73, "F1 {:.3}", total.f1());
    assert!(total.found >= 39, "{} found", total.found);
    for source in ["comtrade-abb-testrecord1", "comtrade-sel-311l", "thesis-ups-sel751-1920hz"] {
        assert_eq!(board.source_total(source).recall(), 1.0, "{source}");
    }
    assert!(board.source_total("pqdif-pass8010-34kv").recall() >= 0.73);
    assert!(board.source_total("tabanelli-mcu-nilm-10khz").recall() >= 0.93);
}
