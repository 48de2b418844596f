//! `panelscope measure` as users script it: DESIGN.md's JSON schema on the sample captures
//! and a real relay record, windows, text, and bad windows.

mod common;
use common::{json_of, panelscope, s, sample, shared_data};

use serde_json::Value;

fn find<'a>(v: &'a Value, list: &str, key: &str, name: &str) -> &'a Value {
    v[list].as_array().unwrap().iter().find(|c| c[key] == name).unwrap_or_else(|| panic!("no {name} in {list}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

#[test]
fn split_phase_sample_follows_the_schema() {
    let v = json_of(&["measure", s(&sample("split-phase-10s.parquet")), "--json"]);
    let channels = v["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 12);
    for c in channels {
        for field in ["name", "rms", "mean", "min", "max", "frequency_hz", "thd"] {
            assert!(c.get(field).is_some(), "{field} missing in {c}");
        }
        for field in ["unit", "kind", "p2p", "crest_factor", "harmonics"] {
            assert!(c.get(field).is_some(), "{field} missing in {c}");
        }
    }
    let pairs = v["pairs"].as_array().unwrap();
    // Every current (2 mains, 8 branches) pairs with a leg.
    assert_eq!(pairs.len(), 10);
    for p in pairs {
        for field in ["voltage", "current", "p_w", "q_var", "s_va", "pf", "n_var", "dpf", "v_rms", "i_rms", "paired_by"]
        {
            assert!(p.get(field).is_some(), "{field} missing in {p}");
        }
        // S ≥ |P| and N² = S² - P².
        let (p_w, s_va, n_var) = (f(&p["p_w"]), f(&p["s_va"]), f(&p["n_var"]));
        assert!(s_va >= p_w.abs() && (n_var * n_var - (s_va * s_va - p_w * p_w)).abs() < 1e-6 * s_va * s_va, "{p}");
    }
    for key in ["from_s", "to_s", "frequency_hz", "nominal_frequency_hz", "phasors", "three_phase", "notes"] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert_eq!(v["nominal_frequency_hz"], 60.0);
    assert!((f(&v["frequency_hz"]) - 60.0).abs() < 0.05);

    // 120 V legs (sags and swells move the 10 s RMS a little), 60 Hz.
    for leg in ["V_A", "V_B"] {
        let c = find(&v, "channels", "name", leg);
        assert!((f(&c["rms"]) - 120.0).abs() < 2.0, "{c}");
        assert!((f(&c["frequency_hz"]) - 60.0).abs() < 0.05);
        assert_eq!(c["harmonics"].as_array().unwrap().len(), 33, "4 kHz: harmonics below 2 kHz");
    }
    // The generator's flat top: 1.5% 3rd, 2% 5th, 0.8% 7th.
    let thd = f(&find(&v, "channels", "name", "V_A")["thd"]);
    assert!((thd - (0.015f64.powi(2) + 0.02f64.powi(2) + 0.008f64.powi(2)).sqrt()).abs() < 0.003, "{thd}");

    // Each mains pairs with its leg by name, and draws power from it.
    for (current, leg) in [("I_MAIN_A", "V_A"), ("I_MAIN_B", "V_B")] {
        let p = find(&v, "pairs", "current", current);
        assert_eq!((p["voltage"].as_str(), p["paired_by"].as_str()), (Some(leg), Some("name")), "{p}");
        assert!(f(&p["p_w"]) > 0.0 && f(&p["pf"]) > 0.0 && f(&p["pf"]) <= 1.0, "{p}");
    }
    // Branch circuits carry no phase in their names: each goes with the leg it is in phase
    // with, and the 240 V water heater's two halves (I_01, I_03) land on opposite legs.
    let leg_of = |c: &str| find(&v, "pairs", "current", c)["voltage"].as_str().unwrap().to_string();
    assert_eq!(find(&v, "pairs", "current", "I_01")["paired_by"], "phase_angle");
    assert_ne!(leg_of("I_01"), leg_of("I_03"));
    // The legs are in antiphase; V_A is the reference.
    assert_eq!(v["phasor_reference"], "V_A");
    let vb = find(&v, "phasors", "name", "V_B");
    assert!((f(&vb["angle_deg"]).abs() - 180.0).abs() < 0.5, "{vb}");
    // Two legs are no three-phase set.
    assert!(v["three_phase"].as_array().unwrap().is_empty());
}

#[test]
fn three_phase_sample_has_balanced_sequence_components() {
    let v = json_of(&["measure", s(&sample("three-phase-4s.cfg")), "--json"]);
    assert!((f(&v["frequency_hz"]) - 50.0).abs() < 0.05);
    assert_eq!(v["nominal_frequency_hz"], 50.0);
    assert_eq!(v["samples"], 25_600);
    let seq = find(&v, "three_phase", "unit", "V");
    assert_eq!(seq["channels"], serde_json::json!(["V_A", "V_B", "V_C"]));
    assert!((f(&seq["positive"]["magnitude"]) - 230.0).abs() < 2.0, "{seq}");
    assert!(f(&seq["positive"]["angle_deg"]).abs() < 0.5, "{seq}");
    assert!(f(&seq["negative"]["magnitude"]) < 2.0 && f(&seq["zero"]["magnitude"]) < 2.0, "{seq}");
    assert!(f(&seq["negative_unbalance"]) < 0.01, "{seq}");
    // Mains currents are a set too (their loads are not balanced).
    let currents = find(&v, "three_phase", "unit", "A");
    assert_eq!(currents["channels"][0], "I_MAIN_A");
    for phase in ["A", "B", "C"] {
        let p = find(&v, "pairs", "current", &format!("I_MAIN_{phase}"));
        assert_eq!(p["voltage"], format!("V_{phase}"));
    }
    // V_B lags V_A by 120°, V_C leads by 120°.
    assert!((f(&find(&v, "phasors", "name", "V_B")["angle_deg"]) + 120.0).abs() < 0.5);
    assert!((f(&find(&v, "phasors", "name", "V_C")["angle_deg"]) - 120.0).abs() < 0.5);
}

#[test]
fn windows_select_samples() {
    let path = sample("three-phase-4s.cfg");
    let v = json_of(&["measure", s(&path), "--json", "--from", "0.1", "--to", "0.5"]);
    assert!((f(&v["from_s"]) - 0.1).abs() < 1e-3 && (f(&v["to_s"]) - 0.5).abs() < 1e-9);
    // 6.4 kHz for 0.4 s.
    assert_eq!(v["samples"], 2560);
    assert!((f(&find(&v, "channels", "name", "V_A")["rms"]) - 230.0).abs() < 3.0);
    // An end past the capture stops at its end.
    let v = json_of(&["measure", s(&path), "--json", "--from", "3.5", "--to", "100"]);
    assert_eq!(v["samples"], 3200);
    assert!((f(&v["to_s"]) - 4.0).abs() < 1e-9);
    // Less than a cycle: statistics, no harmonics, a note.
    let v = json_of(&["measure", s(&path), "--json", "--from", "1", "--to", "1.01"]);
    let va = find(&v, "channels", "name", "V_A");
    assert!(va["rms"].is_number() && va["harmonics"].is_null() && va["thd"].is_null(), "{va}");
    assert!(!v["notes"].as_array().unwrap().is_empty());
    for p in v["pairs"].as_array().unwrap() {
        assert!(p["q_var"].is_null() && p["p_w"].is_number(), "{p}");
    }
}

#[test]
fn real_relay_record_before_the_fault_is_balanced() {
    // ABB TestRecord1: a 400 kV line (50 Hz, 1 kHz sampling); the fault comes after 0.3 s.
    let Some(path) = shared_data("comtrade/abb-testrecord1/TestRecord1_ASCII.CFG") else { return };
    let v = json_of(&["measure", s(&path), "--json", "--from", "0", "--to", "0.25"]);
    assert!((f(&v["frequency_hz"]) - 50.0).abs() < 0.05, "{}", v["frequency_hz"]);
    assert_eq!(v["nominal_frequency_hz"], 50.0);
    assert_eq!(v["phasor_reference"], "LINE_UL1");
    let seq = find(&v, "three_phase", "unit", "V");
    assert_eq!(seq["channels"], serde_json::json!(["LINE_UL1", "LINE_UL2", "LINE_UL3"]));
    // 400 kV between phases: about 231 kV to earth, balanced.
    let positive = f(&seq["positive"]["magnitude"]);
    assert!((positive - 400e3 / 3f64.sqrt()).abs() < 0.05 * positive, "{seq}");
    assert!(f(&seq["negative_unbalance"]) < 0.005 && f(&seq["zero_unbalance"]) < 0.005, "{seq}");
    // The phase currents are balanced too, and pair with their phase voltages by name (`IL1`
    // with `UL1`); the neutral current's `A` names the line, not a phase.
    let currents = find(&v, "three_phase", "unit", "A");
    assert_eq!(currents["channels"][0], "LINE_A_IL1");
    assert!(f(&currents["negative_unbalance"]) < 0.01, "{currents}");
    for phase in 1..=3 {
        let p = find(&v, "pairs", "current", &format!("LINE_A_IL{phase}"));
        assert_eq!((p["voltage"].as_str(), p["paired_by"].as_str()), (Some(&*format!("LINE_UL{phase}")), Some("name")));
        // Real power flows through a line at a high power factor.
        assert!(f(&p["pf"]).abs() > 0.9, "{p}");
    }
    assert_ne!(find(&v, "pairs", "current", "LINE_A_IN")["paired_by"], "name");
    // Digital channels are left out, and said so.
    assert_eq!(v["channels"].as_array().unwrap().len(), 7);
    assert!(v["notes"].as_array().unwrap().iter().any(|n| n.as_str().unwrap().contains("digital")));
}

#[test]
fn text_report() {
    let capture = sample("three-phase-4s.cfg");
    let out = panelscope().args(["measure", s(&capture), "--to", "1"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in ["V_A", "thd_%", "P_W", "Q_var", "PF", "phasors", "angle to V_A", "sequence components", "positive"]
    {
        assert!(text.contains(expected), "{expected} missing in\n{text}");
    }
}

#[test]
fn bad_windows_are_one_error_line() {
    let capture = sample("split-phase-2s.csv");
    for window in [["--from", "1.5", "--to", "1.0"], ["--from", "5", "--to", "6"], ["--from", "-1", "--to", "1"]] {
        for json in [false, true] {
            let mut cmd = panelscope();
            cmd.args(["measure", s(&capture)]).args(window);
            if json {
                cmd.arg("--json");
            }
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{window:?}");
            assert!(out.stdout.is_empty(), "{window:?}");
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(
                stderr.starts_with("error: ") && stderr.contains("split-phase-2s.csv") && stderr.contains("window"),
                "{stderr}"
            );
        }
    }
}
