//! `panelscope panel ...` as installers script it: schedule import, validate (text and
//! JSON, exit codes), exports, and the bundled sample panel against the sample capture.

mod common;
use common::{json_of, panelscope, s, sample};

#[test]
fn the_bundled_sample_panel_validates_and_matches_the_sample_capture() {
    let panel = sample("sample-panel.ron");
    let v = json_of(&["panel", "validate", s(&panel), "--json"]);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{v}");
    // Its install configuration is the bundled one, and names the capture's channels.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("install.json");
    panelscope().args(["panel", "export", s(&panel), "--install-config", s(&out)]).assert().success();
    let written = std::fs::read_to_string(&out).unwrap();
    let bundled = std::fs::read_to_string(sample("sample-panel.install.json")).unwrap();
    assert_eq!(written.trim(), bundled.trim(), "sample-data/sample-panel.install.json is up to date");
    let config = panelscope::panel::parse_install_config(&written).unwrap();
    let capture = panelscope::capture::read(&sample("split-phase-10s.parquet")).unwrap();
    let mut in_capture: Vec<&str> = capture.channels.iter().map(|c| c.name.as_str()).collect();
    let roles = config.channel_roles();
    let mut in_config: Vec<&str> = roles.iter().map(|r| r.channel.as_str()).collect();
    in_capture.sort_unstable();
    in_config.sort_unstable();
    assert_eq!(in_config, in_capture);
}

#[test]
fn import_validate_and_export_a_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let schedule = dir.path().join("garage.csv");
    std::fs::write(
        &schedule,
        "slot,label,poles,rating_a,kind,room\n1,Lights,1,15,breaker,garage\n2,EV charger,2,50,breaker,\n3,Door/Freezer,1,20,tandem,\n",
    )
    .unwrap();
    let project = dir.path().join("garage.ron");
    let out = panelscope()
        .args(["panel", "import-schedule", s(&schedule), "--out", s(&project), "--spaces", "12"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 breakers on 12 spaces"));
    // Unsensed circuits are warnings: validate passes.
    let out = panelscope().args(["panel", "validate", s(&project)]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("warning no-sensor [space 1]"), "{text}");
    for (flag, name, head) in [
        ("--directory", "dir.csv", "slot,label,kind"),
        ("--directory", "dir.svg", "<svg"),
        ("--install-config", "install.ron", "("),
        ("--install-config", "install.json", "{"),
    ] {
        let path = dir.path().join(name);
        panelscope().args(["panel", "export", s(&project), flag, s(&path)]).assert().success();
        assert!(std::fs::read_to_string(&path).unwrap().starts_with(head), "{name}");
    }
}

#[test]
fn errors_block_the_export_and_fail_validate() {
    let dir = tempfile::tempdir().unwrap();
    let schedule = dir.path().join("bad.csv");
    // Two breakers in space 3; a 3-pole breaker on a split-phase panel.
    std::fs::write(
        &schedule,
        "slot,label,poles,rating_a,kind\n1,Range,2,40,breaker\n3,Dryer,1,30,breaker\n5,RTU,3,30,breaker\n",
    )
    .unwrap();
    let project = dir.path().join("bad.ron");
    panelscope().args(["panel", "import-schedule", s(&schedule), "--out", s(&project)]).assert().success();
    let out = panelscope().args(["panel", "validate", s(&project), "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"space-conflict") && codes.contains(&"three-pole-on-single-phase"), "{codes:?}");
    assert!(v["errors"].as_array().unwrap().iter().all(|e| e["message"].is_string() && e.get("slot").is_some()));
    let config = dir.path().join("install.json");
    let out = panelscope().args(["panel", "export", s(&project), "--install-config", s(&config)]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: ") && stderr.contains("bad.ron"), "{stderr}");
    assert!(!config.exists(), "nothing written");
}

#[test]
fn bad_input_names_the_file_and_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let schedule = dir.path().join("typo.csv");
    std::fs::write(&schedule, "slot,label,poles,rating_a,kind\n1,Lights,1,15,breaker\n2,Fan,one,15,breaker\n").unwrap();
    let out = panelscope()
        .args(["panel", "import-schedule", s(&schedule), "--out", s(&dir.path().join("x.ron"))])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("typo.csv") && stderr.contains("line 3"), "{stderr}");
    let out = panelscope()
        .args(["panel", "import-schedule", s(&schedule), "--out", "x.ron", "--service", "wye"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("208y-120"));
    let broken = dir.path().join("broken.ron");
    std::fs::write(&broken, "(schema_version: 1, panel: (name: \"x\"").unwrap();
    let out = panelscope().args(["panel", "validate", s(&broken)]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.ron: line 1"));
    let missing = dir.path().join("missing.ron");
    let out = panelscope().args(["panel", "validate", s(&missing)]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.ron"));
}

#[test]
fn measure_and_events_take_the_install_config() {
    let capture = sample("split-phase-10s.parquet");
    let config = sample("sample-panel.install.json");
    let v = json_of(&["measure", s(&capture), "--from", "0.6", "--to", "1.6", "--json", "--config", s(&config)]);
    let pair = v["pairs"].as_array().unwrap().iter().find(|p| p["current"] == "I_03").expect("I_03 paired");
    assert_eq!(pair["voltage"], "V_B");
    assert_eq!(pair["paired_by"], "install_config");
    let v = json_of(&["events", s(&capture), "--json", "--config", s(&config)]);
    let events = v["events"].as_array().unwrap();
    let heater = events.iter().find(|e| e["channel"] == "I_01").expect("the water heater switches");
    assert_eq!(heater["circuit"], "Water heater");
    assert_eq!(heater["phase"], "A");
    let out = panelscope().args(["measure", s(&capture), "--config", "no-such.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such.json"));
}

#[test]
fn measure_with_the_install_config_reports_each_phase_balance() {
    let capture = sample("split-phase-10s.parquet");
    let config = sample("sample-panel.install.json");
    let v = json_of(&["measure", s(&capture), "--from", "0.6", "--to", "1.6", "--json", "--config", s(&config)]);
    let balances = v["balances"].as_array().expect("balances with an install configuration");
    let names: Vec<&str> = balances.iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["balance A", "balance B"]);
    for b in balances {
        // The generator's mains are the sum of the branch currents plus sensor noise.
        assert_eq!(b["circuits"], 4, "{b}");
        let (rms, mains) = (b["rms"].as_f64().unwrap(), b["mains_rms"].as_f64().unwrap());
        assert!(mains > 5.0 && rms < 0.05 * mains, "{b}");
    }
    let plain = json_of(&["measure", s(&capture), "--from", "0.6", "--to", "1.6", "--json"]);
    assert!(plain.get("balances").is_none(), "no balance without a configuration");
    let out = panelscope().args(["measure", s(&capture), "--config", s(&config)]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("balance A") && text.contains("of mains"), "{text}");
}
