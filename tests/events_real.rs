//! Event detection on the real COMTRADE records in `../shared/data/comtrade/`, checked
//! against what each folder's MANIFEST says happened.

use panelscope::analysis::events::{DetectOptions, Detection, Event, EventKind, detect};
use panelscope::capture;

mod common;

fn record(path: &str) -> Option<Detection> {
    let path = common::shared_data("comtrade")?.join(path);
    let capture = capture::read(&path).expect("record loads");
    Some(detect(&capture, &DetectOptions::default()).expect("detection runs"))
}

fn find<'a>(d: &'a Detection, kind: EventKind, channel: &str) -> Vec<&'a Event> {
    d.events.iter().filter(|e| e.kind == kind && e.channel == channel).collect()
}

fn starts_within(events: &[&Event], from_s: f64, to_s: f64) -> bool {
    events.iter().any(|e| (from_s..=to_s).contains(&e.start_s))
}

/// ABB line relay, phase L1 to earth fault: the relay picks up at 0.306 s and drops off at
/// 0.387-0.390 s when the breaker has opened.
#[test]
fn abb_line_fault_and_trip() {
    let Some(d) = record("abb-testrecord1/TestRecord1_ASCII.CFG") else { return };
    assert!((d.frequency_hz - 50.0).abs() < 0.05);
    // Fault inception: L1 sags, before the relay's pickup.
    assert!(starts_within(&find(&d, EventKind::Sag, "LINE_UL1"), 0.29, 0.306), "{:#?}", d.events);
    // The trip: every phase voltage of the (line-side) VT goes to zero until the end.
    for ch in ["LINE_UL1", "LINE_UL2", "LINE_UL3"] {
        let i = find(&d, EventKind::Interruption, ch);
        assert!(starts_within(&i, 0.37, 0.39), "{ch}: {:#?}", d.events);
        assert!(i.iter().all(|e| e.end_s.is_none()));
    }
    // Nothing on the voltages before the fault.
    assert!(d.events.iter().all(|e| e.start_s > 0.29), "{:#?}", d.events);
}

/// SEL-311L, C-phase to ground fault: 51G picks up at 0.0531 s, TRP asserts at 0.0656 s.
#[test]
fn sel_c_phase_to_ground_fault() {
    let Some(d) = record("sel-relay-comtradejl/1991-ascii-sel.cfg") else { return };
    assert!((d.frequency_hz - 60.0).abs() < 0.2, "{}", d.frequency_hz);
    let c = find(&d, EventKind::Sag, "VC(kV)");
    assert!(starts_within(&c, 0.04, 0.0656), "{:#?}", d.events);
    // The faulted phase sags first and deepest.
    let first_sag = d.events.iter().find(|e| e.kind == EventKind::Sag).expect("a sag");
    assert_eq!(first_sag.channel, "VC(kV)");
    assert!(c[0].magnitude_pu.unwrap() < 0.3);
    // After the trip the line is dead.
    assert!(!find(&d, EventKind::Interruption, "VC(kV)").is_empty());
}

/// ATP simulation, phase B to ground fault at bus 1 from t = 0.15238 s.
#[test]
fn atp_single_phase_fault() {
    let Some(d) = record("sim-atp-ieee123-float32/f1_1b274run.cfg") else { return };
    let cycle_s = 1.0 / d.frequency_hz;
    let fault = find(&d, EventKind::LoadOn, "FAULTB        I-branch");
    assert_eq!(fault.len(), 1, "{:#?}", d.events);
    assert!((fault[0].start_s - 0.15238).abs() < cycle_s, "{:?}", fault[0]);
    assert!(starts_within(&find(&d, EventKind::Sag, "SBUS B          V-node"), 0.15238 - cycle_s, 0.15238 + cycle_s));
    // The healthy phases' fault channels stay quiet.
    for ch in ["FAULTA        I-branch", "FAULTC        I-branch"] {
        assert!(d.events.iter().all(|e| e.channel != ch), "{ch}: {:#?}", d.events);
    }
}

/// ATP simulation, three-phase fault at bus 43 from t = 0.15724 s.
#[test]
fn atp_three_phase_fault() {
    let Some(d) = record("sim-atp-ieee123-float32/f3_43abc675run.cfg") else { return };
    let cycle_s = 1.0 / d.frequency_hz;
    for ch in ["FAULTA        I-branch", "FAULTB        I-branch", "FAULTC        I-branch"] {
        let fault = find(&d, EventKind::LoadOn, ch);
        assert_eq!(fault.len(), 1, "{ch}: {:#?}", d.events);
        assert!((fault[0].start_s - 0.15724).abs() < cycle_s, "{:?}", fault[0]);
    }
}

/// GE relay, an oscillography test trigger: nothing happened on the power system, and the
/// idle CTs sit at their last bit.
#[test]
fn ge_test_trigger_has_no_events() {
    let Some(d) = record("geur-brazil-2013/bt_teste16B.CFG") else { return };
    assert!(d.events.is_empty(), "{:#?}", d.events);
}

/// Brazilian DFR, generator 4 locked out (86_G4) at 0.316 s: its breaker opens a couple of
/// cycles later and its currents fall to nearly zero.
#[test]
fn dfr_generator_trip() {
    let Some(d) = record("br-dfr-pycomtrade/test3.cfg") else { return };
    for ch in ["IA_G4", "IB_G4", "IC_G4"] {
        let off = find(&d, EventKind::LoadOff, ch);
        assert!(starts_within(&off, 0.316, 0.37), "{ch}: {:#?}", d.events);
        assert!(off[0].level_after.unwrap() < 0.05 * off[0].level_before.unwrap());
    }
    // Generator 2 is out of service: its voltages are not analysed.
    assert!(d.warnings.iter().any(|w| w.starts_with("VA_G2")), "{:?}", d.warnings);
    assert!(d.events.iter().all(|e| !e.channel.ends_with("_G2")));
}
