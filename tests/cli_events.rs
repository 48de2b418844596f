//! `panelscope events` as users script it: DESIGN.md's JSON schema, CSV and text, the
//! thresholds, and bad input.

mod common;
use common::{panelscope, s, sample};

use serde_json::Value;

fn run_ok(args: &[&str]) -> (String, String) {
    let out = panelscope().args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn json_follows_the_schema_and_finds_the_planted_events() {
    let capture = sample("split-phase-10s.parquet");
    let (stdout, _) = run_ok(&["events", s(&capture), "--json"]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let events = v["events"].as_array().unwrap();
    let mut last = f64::NEG_INFINITY;
    for e in events {
        for field in ["kind", "channel", "start_s", "end_s", "magnitude", "unit"] {
            assert!(e.get(field).is_some(), "{field} missing in {e}");
        }
        let start = e["start_s"].as_f64().unwrap();
        assert!(start >= last, "not sorted by start_s");
        last = start;
        assert!(
            ["load_on", "load_off", "sag", "swell", "interruption", "transient"].contains(&e["kind"].as_str().unwrap())
        );
    }
    assert!((v["frequency_hz"].as_f64().unwrap() - 60.0).abs() < 0.05);
    assert_eq!(v["nominal_frequency_hz"], 60.0);

    // Every planted event is found on its channel within a cycle.
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(sample("split-phase-10s.parquet.events.json")).unwrap()).unwrap();
    for p in truth["events"].as_array().unwrap() {
        let found = events.iter().any(|e| {
            e["kind"] == p["kind"]
                && e["channel"] == p["channel"]
                && (e["start_s"].as_f64().unwrap() - p["start_s"].as_f64().unwrap()).abs() < 1.0 / 60.0
        });
        assert!(found, "planted {p} not found");
    }
}

#[test]
fn csv_has_a_header_and_a_row_per_event() {
    let capture = sample("three-phase-4s.cfg");
    let (csv, _) = run_ok(&["events", s(&capture), "--csv"]);
    let (json, _) = run_ok(&["events", s(&capture), "--json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("kind,channel,start_s,end_s,magnitude,unit"));
    assert_eq!(lines.len() - 1, v["events"].as_array().unwrap().len());
    let first: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(first[0], v["events"][0]["kind"]);
    assert_eq!(first[1], v["events"][0]["channel"]);
}

#[test]
fn text_names_the_references_and_events() {
    let (text, _) = run_ok(&["events", s(&sample("split-phase-10s.parquet"))]);
    assert!(text.contains("V_A: 1 pu = 120.0 V (nominal, shared by V_A, V_B)"), "{text}");
    assert!(text.contains("sag") && text.contains("swell") && text.contains("load_on"), "{text}");
}

#[test]
fn thresholds_from_the_command_line() {
    let capture = sample("split-phase-10s.parquet");
    let count = |extra: &[&str]| {
        let mut args = vec!["events", s(&capture), "--json"];
        args.extend_from_slice(extra);
        let (out, _) = run_ok(&args);
        let v: Value = serde_json::from_str(&out).unwrap();
        v["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let default = count(&[]);
    assert!(default.iter().any(|k| k == "sag"));
    // A sag threshold below the planted sag's depth (0.6-0.8 pu) hides it.
    assert!(!count(&["--sag-pu", "0.5"]).iter().any(|k| k == "sag"));
    // A huge minimum step hides every load switching.
    assert!(!count(&["--min-step-a", "1000"]).iter().any(|k| k.starts_with("load_")));
    // A transient threshold above the impulse hides it.
    assert!(!count(&["--transient-pu", "5"]).iter().any(|k| k == "transient"));
    // The reference voltage can be given.
    let (out, _) = run_ok(&["events", s(&capture), "--json", "--nominal-v", "100"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["references"][0]["reference"], 100.0);
    assert_eq!(v["references"][0]["source"], "given");
}

#[test]
fn bad_input_is_one_error_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let flat = dir.path().join("flat.csv");
    let mut text = String::from("time_s,V_A [V]\n");
    for i in 0..2000 {
        text.push_str(&format!("{},{}\n", i as f64 / 1000.0, 1.0));
    }
    std::fs::write(&flat, text).unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["events".into(), s(&flat).into()], "no line frequency"),
        (vec!["events".into(), s(&dir.path().join("missing.csv")).into()], "missing.csv"),
        (
            vec!["events".into(), s(&sample("split-phase-2s.csv")).into(), "--sag-pu".into(), "1.5".into()],
            "invalid threshold",
        ),
        (
            vec!["events".into(), s(&sample("split-phase-2s.csv")).into(), "--frequency-hz".into(), "5000".into()],
            "frequency",
        ),
    ];
    for (args, expected) in cases {
        let out = panelscope().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(expected), "{args:?}: {stderr}");
    }
    // The flat file is named in its error.
    let out = panelscope().args(["events", s(&flat)]).output().unwrap();
    assert!(String::from_utf8(out.stderr).unwrap().contains("flat.csv"));
}
