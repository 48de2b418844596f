//! The command line as users script it: DESIGN.md's contract for info, convert and export.

mod common;
use common::{json_of, panelscope, s};

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// A 1 kHz CSV: a 60 Hz sine of 100 V peak, a DC current of 2 A with a single spike, and a
/// digital channel.
fn write_sine_csv(dir: &Path, seconds: f64) -> PathBuf {
    let path = dir.join("sine.csv");
    let n = (seconds * 1000.0) as usize;
    let mut text = String::from("time_s,V_A [V],I_1 [A],BRK [digital]\n");
    for i in 0..n {
        let t = i as f64 / 1000.0;
        let v = 100.0 * (2.0 * PI * 60.0 * t).sin();
        let current = if i == n / 3 { 50.0 } else { 2.0 };
        text.push_str(&format!("{t:.3},{v:.6},{current},{}\n", u8::from(i >= n / 2)));
    }
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn info_json_has_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_sine_csv(dir.path(), 1.0);
    let v = json_of(&["info", s(&csv), "--json"]);
    assert_eq!(v["format"], "csv");
    assert_eq!(v["sample_count"], 1000);
    assert_eq!(v["sample_rate_hz"], 1000.0);
    assert!((v["duration_s"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(v["start"], Value::Null);
    assert_eq!(v["analog_count"], 2);
    assert_eq!(v["digital_count"], 1);
    let channels = v["channels"].as_array().unwrap();
    assert_eq!(channels[0], serde_json::json!({"name": "V_A", "kind": "voltage", "unit": "V"}));
    assert_eq!(channels[1]["kind"], "current");
    assert_eq!(channels[2]["kind"], "digital");
    assert!(channels[0].get("rms").is_none());
}

#[test]
fn info_stats_match_closed_form() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_sine_csv(dir.path(), 1.0);
    let v = json_of(&["info", s(&csv), "--json", "--stats"]);
    let va = &v["channels"][0];
    // 60 whole cycles: RMS = peak / sqrt(2), mean 0.
    assert!((va["rms"].as_f64().unwrap() - 100.0 / 2f64.sqrt()).abs() < 1e-3, "{va}");
    assert!(va["mean"].as_f64().unwrap().abs() < 1e-3);
    // 1000/60 samples per cycle never land on the crest: the largest sample is below 100.
    let expected_max = (0..1000).map(|i| 100.0 * (2.0 * PI * 60.0 * i as f64 / 1000.0).sin()).fold(f64::MIN, f64::max);
    assert!((va["max"].as_f64().unwrap() - expected_max).abs() < 1e-4);
    let i = &v["channels"][1];
    assert_eq!(i["max"], 50.0);
    assert_eq!(i["min"], 2.0);
    assert!((i["mean"].as_f64().unwrap() - (999.0 * 2.0 + 50.0) / 1000.0).abs() < 1e-9);
    // Digital channels carry no statistics.
    assert!(v["channels"][2].get("rms").is_none());
}

#[test]
fn info_text_lists_channels() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_sine_csv(dir.path(), 0.1);
    let out = panelscope().args(["info", s(&csv), "--stats"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("100 at 1000 Hz"), "{text}");
    assert!(text.contains("V_A") && text.contains("voltage") && text.contains("rms"), "{text}");
}

#[test]
fn convert_round_trips_through_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_sine_csv(dir.path(), 0.5);
    let original = json_of(&["info", s(&csv), "--json", "--stats"]);
    let mut previous = csv.clone();
    for ext in ["parquet", "cfg", "cff", "csv"] {
        let next = dir.path().join(format!("step.{ext}"));
        panelscope().args(["convert", s(&previous), s(&next)]).assert().success();
        let info = json_of(&["info", s(&next), "--json", "--stats"]);
        assert_eq!(info["sample_count"], original["sample_count"], "{ext}");
        assert_eq!(info["sample_rate_hz"], original["sample_rate_hz"], "{ext}");
        assert_eq!(info["digital_count"], 1, "{ext}");
        for (a, b) in info["channels"].as_array().unwrap().iter().zip(original["channels"].as_array().unwrap()) {
            assert_eq!(a["name"], b["name"], "{ext}");
            assert_eq!(a["kind"], b["kind"], "{ext}");
            assert_eq!(a["unit"], b["unit"], "{ext}");
            assert_eq!(a["rms"], b["rms"], "{ext}: values changed");
        }
        previous = next;
    }
    // The COMTRADE writer leaves a .cfg + .dat pair.
    assert!(dir.path().join("step.dat").exists());
}

#[test]
fn convert_to_csv_writes_the_documented_layout() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.csv");
    std::fs::write(
        &src,
        "time,I_2 [A],D [digital],V_1 [V]\n2026-01-01T00:00:00Z,1.5,1,\n2026-01-01T00:00:00.001Z,2.5,0,7\n",
    )
    .unwrap();
    let out = dir.path().join("out.csv");
    panelscope().args(["convert", s(&src), s(&out)]).assert().success();
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // time_s first, analog channels, then digital as 0/1; a missing sample is an empty cell.
    assert_eq!(lines[0], "time_s,I_2 [A],V_1 [V],D [digital]");
    assert_eq!(lines[1], "0.000000,1.5,,1");
    assert_eq!(lines[2], "0.001000,2.5,7.0,0");
}

#[test]
fn export_max_points_keeps_every_extreme() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_sine_csv(dir.path(), 2.0);
    let out = dir.path().join("small.csv");
    panelscope().args(["export", s(&csv), "--out", s(&out), "--max-points", "100"]).assert().success();
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<f64>> =
        text.lines().skip(1).map(|l| l.split(',').map(|c| c.parse::<f64>().unwrap_or(f64::NAN)).collect()).collect();
    assert!(rows.len() <= 100, "{} rows", rows.len());
    assert_eq!(rows.len(), 100);
    // The single-sample spike survives decimation, as do the sine's peaks.
    assert_eq!(rows.iter().map(|r| r[2]).fold(f64::MIN, f64::max), 50.0);
    // Time is in order, within the source's span.
    assert!(rows.windows(2).all(|w| w[1][0] > w[0][0]));
    assert!(rows.last().unwrap()[0] < 2.0);
    // Every bucket of 40 samples keeps exactly its own min and max, in time order,
    // compared with a brute-force scan of the formula that wrote the file.
    // (Values as the file holds them, read as f32: equal samples tie, the first one counts.)
    let source: Vec<f64> = (0..2000)
        .map(|i| format!("{:.6}", 100.0 * (2.0 * PI * 60.0 * i as f64 / 1000.0).sin()).parse::<f32>().unwrap() as f64)
        .collect();
    for (b, pair) in rows.chunks(2).enumerate() {
        let bucket = &source[b * 40..(b + 1) * 40];
        let (imin, imax) = (0..40).fold((0, 0), |(lo, hi), i| {
            (if bucket[i] < bucket[lo] { i } else { lo }, if bucket[i] > bucket[hi] { i } else { hi })
        });
        let expected = if imin <= imax { [bucket[imin], bucket[imax]] } else { [bucket[imax], bucket[imin]] };
        assert!(
            pair[0][1] as f32 == expected[0] as f32 && pair[1][1] as f32 == expected[1] as f32,
            "bucket {b}: {pair:?} vs {expected:?}"
        );
    }
}

#[test]
fn export_window_and_channels() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_sine_csv(dir.path(), 1.0);
    let out = dir.path().join("w.parquet");
    panelscope()
        .args(["export", s(&csv), "--out", s(&out), "--from", "0.25", "--to", "0.5", "--channels", "I_1,V_A"])
        .assert()
        .success();
    let v = json_of(&["info", s(&out), "--json", "--stats"]);
    assert_eq!(v["sample_count"], 250);
    let names: Vec<&str> = v["channels"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["I_1", "V_A"]);
    // Sample 333 (the spike) is inside the window.
    assert_eq!(v["channels"][0]["max"], 50.0);
}

#[test]
fn bad_input_is_one_error_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "time_s,a\n0,1\n0.001,x\n").unwrap();
    let csv = write_sine_csv(dir.path(), 0.1);
    let out_path = dir.path().join("out.parquet");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["info", s(&bad)], "bad.csv line 3"),
        (vec!["info", "/nonexistent/x.csv"], "/nonexistent/x.csv"),
        (vec!["info", s(&csv).trim_end_matches(".csv")], "unknown capture format"),
        (vec!["convert", s(&bad), s(&out_path)], "bad.csv line 3"),
        (vec!["convert", s(&csv), "out.xyz"], "out.xyz"),
        (vec!["export", s(&csv), "--out", s(&out_path), "--channels", "nope"], "no channel named 'nope'"),
        (vec!["export", s(&csv), "--out", s(&out_path), "--from", "5"], "past the end"),
        (vec!["export", s(&csv), "--out", s(&out_path), "--max-points", "1"], "too small"),
        (vec!["info"], "FILE"),
    ];
    for (args, expected) in cases {
        let out = panelscope().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("error:"), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // No partial output file is left behind.
    assert!(!out_path.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn generate_writes_capture_and_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gen.parquet");
    panelscope().args(["generate", s(&out), "--seconds", "3", "--rate", "2000", "--seed", "7"]).assert().success();
    let v = json_of(&["info", s(&out), "--json"]);
    assert_eq!(v["sample_count"], 6000);
    assert_eq!(v["sample_rate_hz"], 2000.0);
    let truth: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("gen.parquet.events.json")).unwrap()).unwrap();
    let events = truth["events"].as_array().unwrap();
    assert!(!events.is_empty());
    let names: Vec<&str> = v["channels"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    for e in events {
        assert!(names.contains(&e["channel"].as_str().unwrap()), "{e}");
        assert!(e["start_s"].as_f64().unwrap() < 3.0);
    }
}
