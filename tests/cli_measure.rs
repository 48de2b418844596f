//! `panelscope measure` as users script it: DESIGN.md's JSON schema on the sample captures
//! and a real relay record, windows, and bad windows.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn panelscope() -> Command {
    Command::cargo_bin("panelscope").expect("binary is built")
}

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data").join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json_of(args: &[&str]) -> Value {
    let out = panelscope().args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn channel<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["channels"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
}

#[test]
fn split_phase_sample_follows_the_schema() {
    let v = json_of(&["measure", s(&sample("split-phase-10s.parquet")), "--json"]);
    for c in v["channels"].as_array().unwrap() {
        for field in ["name", "rms", "mean", "min", "max", "frequency_hz", "thd"] {
            assert!(c.get(field).is_some(), "{field} missing in {c}");
        }
    }
    for p in v["pairs"].as_array().unwrap() {
        for field in ["voltage", "current", "p_w", "q_var", "s_va", "pf"] {
            assert!(p.get(field).is_some(), "{field} missing in {p}");
        }
    }
    let va = channel(&v, "V_A");
    // 120 V legs (±0.4%, sags and swells move the 10 s RMS a little), 60 Hz, a few % THD.
    assert!((va["rms"].as_f64().unwrap() - 120.0).abs() < 2.0, "{va}");
    assert!((va["frequency_hz"].as_f64().unwrap() - 60.0).abs() < 0.05);
    let thd = va["thd"].as_f64().unwrap();
    // The generator's flat top: 1.5% 3rd, 2% 5th, 0.8% 7th.
    assert!((thd - (0.015f64.powi(2) + 0.02f64.powi(2) + 0.008f64.powi(2)).sqrt()).abs() < 0.003, "{thd}");
    // Each leg's mains pairs with its leg by name; the legs are in antiphase.
    let main_b = v["pairs"].as_array().unwrap().iter().find(|p| p["current"] == "I_MAIN_B").unwrap();
    assert_eq!(main_b["voltage"], "V_B");
    assert_eq!(main_b["paired_by"], "name");
    assert!(main_b["p_w"].as_f64().unwrap() > 0.0);
    let vb = v["phasors"].as_array().unwrap().iter().find(|p| p["name"] == "V_B").unwrap();
    assert!((vb["angle_deg"].as_f64().unwrap().abs() - 180.0).abs() < 0.5, "{vb}");
}

#[test]
fn three_phase_sample_has_balanced_sequence_components() {
    let v = json_of(&["measure", s(&sample("three-phase-4s.cfg")), "--json", "--from", "0.1", "--to", "0.5"]);
    assert!((v["frequency_hz"].as_f64().unwrap() - 50.0).abs() < 0.05);
    assert_eq!(v["nominal_frequency_hz"], 50.0);
    assert!((v["from_s"].as_f64().unwrap() - 0.1).abs() < 1e-3);
    let seq = v["three_phase"].as_array().unwrap().iter().find(|s| s["channels"][0] == "V_A").unwrap();
    assert!((seq["positive"]["magnitude"].as_f64().unwrap() - 230.0).abs() < 2.0, "{seq}");
    assert!(seq["negative_unbalance"].as_f64().unwrap() < 0.01, "{seq}");
}

#[test]
fn real_relay_record_before_the_fault_is_balanced() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/comtrade/abb-testrecord1/TestRecord1_ASCII.CFG");
    if !path.exists() {
        return;
    }
    let v = json_of(&["measure", s(&path), "--json", "--to", "0.25"]);
    assert!((v["frequency_hz"].as_f64().unwrap() - 50.0).abs() < 0.05);
    let seq = v["three_phase"].as_array().unwrap().iter().find(|s| s["channels"][0] == "LINE_UL1").unwrap();
    // 400 kV line: about 230 kV to earth, balanced.
    let positive = seq["positive"]["magnitude"].as_f64().unwrap();
    assert!((positive - 230_000.0).abs() < 5000.0, "{seq}");
    assert!(seq["negative_unbalance"].as_f64().unwrap() < 0.005);
    // Phase currents pair with their phase voltages by name.
    let pair = v["pairs"].as_array().unwrap().iter().find(|p| p["current"] == "LINE_A_IL1").unwrap();
    assert_eq!(pair["voltage"], "LINE_UL1");
}

#[test]
fn text_and_bad_windows() {
    let capture = sample("split-phase-2s.csv");
    let out = panelscope().args(["measure", s(&capture)]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("V_A") && text.contains("P_W") && text.contains("phasors"), "{text}");
    for window in [["--from", "1.5", "--to", "1.0"], ["--from", "5", "--to", "6"], ["--from", "-1", "--to", "1"]] {
        let out = panelscope().args(["measure", s(&capture)]).args(window).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{window:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains("split-phase-2s.csv") && stderr.contains("window"),
            "{stderr}"
        );
    }
}
