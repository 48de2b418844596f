//! The installer's commands as scripted on site: `panel verify` on captures with planted
//! wiring mistakes (split phase, 208Y/120 V, 400/230 V), `panel export --device` for the
//! monitors and its refusals, and `panel import-device` back to a project.

mod common;
use common::{panelscope, s, sample};
use panelscope::generate::{Mistake, WiringOptions, wiring_capture, wiring_panel};
use panelscope::panel::{Phase, Project, Service};

/// The first one-pole circuit with a sensor, and another on a different phase.
fn one_pole_circuits(p: &Project) -> (String, String, Phase) {
    let config = p.install_config_unchecked();
    let one_pole: Vec<_> = config.circuits.iter().filter(|c| c.poles == 1 && !c.channels.is_empty()).collect();
    let first = one_pole[0];
    let other = one_pole.iter().find(|c| c.channels[0].phase != first.channels[0].phase).expect("two phases");
    (first.label.clone(), other.label.clone(), other.channels[0].phase)
}

/// Writes the project as configured and the capture, runs `panel verify --json`.
fn verify(dir: &std::path::Path, service: Service, mistakes: Vec<Mistake>) -> (Option<i32>, serde_json::Value) {
    let panel = wiring_panel(service);
    let w = wiring_capture(&panel, &WiringOptions { mistakes, ..WiringOptions::default() });
    let (project, capture) = (dir.join("panel.ron"), dir.join("capture.parquet"));
    w.configured.save(&project).unwrap();
    panelscope::capture::write(&w.capture, &capture).unwrap();
    let out = panelscope().args(["panel", "verify", s(&project), s(&capture), "--json"]).output().unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

fn findings<'a>(v: &'a serde_json::Value, severity: &str) -> Vec<&'a serde_json::Value> {
    v["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == severity).collect()
}

#[test]
fn verify_finds_each_planted_mistake_on_three_services() {
    for service in [Service::SplitPhase120_240, Service::Wye208_120, Service::ThreePhase400_230] {
        let dir = tempfile::tempdir().unwrap();
        let (code, v) = verify(dir.path(), service, Vec::new());
        assert_eq!(code, Some(0), "{service:?}: a correct panel passes: {v:#}");
        assert!(findings(&v, "error").is_empty(), "{service:?}: {v:#}");
        let circuits = v["circuits"].as_array().unwrap();
        assert!(circuits.iter().all(|c| c["verdict"] == "ok"), "{service:?}: {v:#}");

        let (reversed, unplugged, _) = one_pole_circuits(&wiring_panel(service));
        let planted = vec![Mistake::Reversed(reversed.clone()), Mistake::Unplugged(unplugged.clone())];
        let (code, v) = verify(dir.path(), service, planted);
        assert_eq!(code, Some(1), "{service:?}: errors fail the command");
        let errors = findings(&v, "error");
        let of = |code: &str, circuit: &str| errors.iter().find(|f| f["code"] == code && f["circuit"] == circuit);
        let r = of("reversed", &reversed).unwrap_or_else(|| panic!("{service:?}: {v:#}"));
        assert!(r["fix"].as_str().unwrap().contains("flip"), "{r}");
        assert!(r["channel"].is_string() && r["slot"].is_string() && !r["evidence"].as_object().unwrap().is_empty());
        assert_eq!(errors.len(), 1, "{service:?}: nothing else is an error: {v:#}");
        // An unplugged clamp reads like a load that was off: a warning, named.
        let all = v["findings"].as_array().unwrap();
        let silent = all.iter().find(|f| f["code"] == "no-signal" && f["circuit"] == unplugged.as_str());
        assert_eq!(silent.unwrap_or_else(|| panic!("{service:?}: {v:#}"))["severity"], "warning");
    }
}

#[test]
fn verify_names_the_phase_a_breaker_is_really_on() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::Wye208_120;
    let (circuit, _, other_phase) = one_pole_circuits(&wiring_panel(service));
    let (code, v) = verify(dir.path(), service, vec![Mistake::WrongPhase(circuit.clone(), other_phase)]);
    assert_eq!(code, Some(1));
    let f = findings(&v, "error").into_iter().find(|f| f["code"] == "wrong-phase").unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(f["circuit"], circuit.as_str());
    assert_eq!(f["fits"], format!("{other_phase:?}").as_str(), "{f}");
    // The text form says the same, for a person.
    let (project, capture) = (dir.path().join("panel.ron"), dir.path().join("capture.parquet"));
    let out = panelscope().args(["panel", "verify", s(&project), s(&capture)]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("wrong-phase") && text.contains(&circuit), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("panel.ron"), "{stderr}");
}

#[test]
fn verify_refuses_a_capture_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "t,V_A\n0,1\n0.001,x\n").unwrap();
    let out = panelscope().args(["panel", "verify", s(&sample("sample-panel.ron")), s(&bad)]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("bad.csv"), "{stderr}");
}

#[test]
fn device_exports_load_back_as_the_same_panel() {
    let dir = tempfile::tempdir().unwrap();
    let panel = sample("sample-panel.ron");
    let original = Project::load(&panel).unwrap();
    for (device, name) in [("iotawatt", "config.txt"), ("emporia-vue2", "vue2.yaml"), ("emporia-vue3", "vue3.yaml")] {
        let config = dir.path().join(name);
        let out = panelscope()
            .args(["panel", "export", s(&panel), "--device", device, "--out", s(&config)])
            .output()
            .unwrap();
        assert!(out.status.success(), "{device}: {}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&config).unwrap();
        if device == "iotawatt" {
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(doc["inputs"][0]["type"], "VT");
        } else {
            assert!(text.contains("emporia_vue") && text.contains("ct_clamps"), "{text}");
        }
        let back = dir.path().join(format!("{device}.ron"));
        let out = panelscope().args(["panel", "import-device", s(&config), "--out", s(&back)]).output().unwrap();
        assert!(out.status.success(), "{device}: {}", String::from_utf8_lossy(&out.stderr));
        let imported = Project::load(&back).unwrap();
        let labels = |p: &Project| {
            let config = p.install_config_unchecked();
            let sensed = config.circuits.iter().filter(|c| !c.channels.is_empty());
            let mut l: Vec<String> = sensed.map(|c| c.label.clone()).collect();
            l.sort();
            l
        };
        // The circuits with sensors (a device knows only those); IoTaWatt names are
        // shortened to its rules, so compare the count there.
        if device == "iotawatt" {
            assert_eq!(labels(&imported).len(), labels(&original).len(), "{device}");
        } else {
            assert_eq!(labels(&imported), labels(&original), "{device}");
        }
        assert_eq!(imported.monitor.as_ref().map(|m| m.device.as_str()), Some(device));
        let out = panelscope().args(["panel", "validate", s(&back)]).output().unwrap();
        assert!(out.status.success(), "{device}: {}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn an_export_the_device_would_refuse_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // 13 circuit clamps and 3 mains: more than an IoTaWatt's 14 inputs.
    let project = dir.path().join("big.ron");
    wiring_panel(Service::Wye208_120).save(&project).unwrap();
    let config = dir.path().join("config.txt");
    let out = panelscope()
        .args(["panel", "export", s(&project), "--device", "iotawatt", "--out", s(&config)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: ") && stderr.contains("IoTaWatt"), "{stderr}");
    assert!(!config.exists(), "nothing written");
    let out = panelscope()
        .args(["panel", "export", s(&project), "--device", "shelly", "--out", s(&config)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shelly") && stderr.contains("iotawatt, emporia-vue2, emporia-vue3"), "{stderr}");
}

#[test]
fn import_device_names_the_file_and_line_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("config.txt");
    std::fs::write(
        &broken,
        "{\n  \"device\": {\"name\": \"IotaWatt\"},\n  \"inputs\": [\n    {\"channel\": 0,,}\n  ]\n}\n",
    )
    .unwrap();
    let out = panelscope()
        .args(["panel", "import-device", s(&broken), "--out", s(&dir.path().join("x.ron"))])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("config.txt") && stderr.contains("line 4"), "{stderr}");
    assert!(!dir.path().join("x.ron").exists());
}
