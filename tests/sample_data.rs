//! The bundled sample captures load, and their ground truth names their channels.

use std::path::Path;

use panelscope::capture;

fn check(capture_file: &str, expected_channels: usize, expected_rate: f64) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let c = capture::read(&dir.join(capture_file)).unwrap();
    assert_eq!(c.channels.len(), expected_channels, "{capture_file}");
    assert_eq!(c.sample_rate_hz(), Some(expected_rate), "{capture_file}");
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{capture_file}.events.json"))).unwrap()).unwrap();
    let events = truth["events"].as_array().unwrap();
    assert!(events.len() >= 3, "{capture_file}");
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for kind in ["load_on", "sag", "transient"] {
        assert!(kinds.contains(&kind), "{capture_file} has no {kind}");
    }
    for e in events {
        assert!(c.channel(e["channel"].as_str().unwrap()).is_some(), "{e}");
        assert!(e["start_s"].as_f64().unwrap() < c.duration_s());
    }
}

#[test]
fn split_phase_sample() {
    check("split-phase-10s.parquet", 12, 4000.0);
    let csv = capture::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/split-phase-2s.csv")).unwrap();
    assert_eq!(csv.sample_count(), 8000);
    assert_eq!(csv.sample_rate_hz(), Some(4000.0));
}

#[test]
fn three_phase_sample() {
    check("three-phase-4s.cfg", 14, 6400.0);
}

#[test]
fn gui_default_is_the_split_phase_sample() {
    assert!(panelscope::app::default_sample_path().exists());
}
