//! A project from a monitor's existing configuration: an IoTaWatt `config.txt` or an
//! ESPHome YAML for an Emporia Vue. A device file knows the circuits, their ports, phases
//! and signs, but not where the breakers sit: breakers are laid into the first spaces whose
//! phases fit, and everything guessed is listed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use super::PanelError;
use super::device::{Device, Monitor};
use super::model::{
    Breaker, BreakerKind, Circuit, Layout, MAX_SPACES, Main, MainSensor, Phase, Position, Project, SensorRef, Service,
    Strip, StripDirection, VoltageRef,
};

/// A project read from a device file, with what had to be guessed.
#[derive(Debug, Clone)]
pub struct ImportedDevice {
    pub project: Project,
    pub device: Device,
    /// One line per guess, for the installer to check.
    pub guesses: Vec<String>,
}

/// One sensed leg read from a device file.
#[derive(Debug, Clone)]
struct Leg {
    port: String,
    channel: String,
    phase: Option<Phase>,
    sign: f64,
    rating_a: f64,
}

/// One circuit read from a device file.
#[derive(Debug, Clone)]
struct DeviceCircuit {
    label: String,
    legs: Vec<Leg>,
    poles: u8,
    multiplier: f64,
}

/// What both readers produce before the layout.
struct Read {
    device: Device,
    service: Service,
    voltages: Vec<(Phase, String, String)>,
    mains: Vec<Leg>,
    circuits: Vec<DeviceCircuit>,
    guesses: Vec<String>,
}

/// Reads an IoTaWatt `config.txt` (JSON) or an ESPHome YAML (told apart by the first
/// character: `{` is JSON).
pub fn import_device(path: &Path) -> Result<ImportedDevice, PanelError> {
    let text = std::fs::read_to_string(path).map_err(|e| PanelError::Io { path: path.to_path_buf(), source: e })?;
    let text = text.trim_start_matches('\u{feff}');
    let read = if text.trim_start().starts_with('{') { read_iotawatt(text, path)? } else { read_esphome(text, path)? };
    Ok(lay_out(read, path))
}

fn invalid(path: &Path, message: String) -> PanelError {
    PanelError::Invalid { path: path.to_path_buf(), message }
}

fn label_of(name: &str) -> String {
    name.replace('_', " ").trim().to_string()
}

fn read_iotawatt(text: &str, path: &Path) -> Result<Read, PanelError> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| PanelError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let mut guesses = Vec::new();
    let inputs = doc
        .get("inputs")
        .and_then(|v| v.as_array())
        .ok_or_else(|| invalid(path, "field inputs: missing or not a list (is this an IoTaWatt config.txt?)".into()))?;
    let mut vt: Option<(usize, String, String, f64)> = None;
    let mut cts: BTreeMap<usize, (String, bool, bool, f64, f64)> = BTreeMap::new();
    for (i, input) in inputs.iter().enumerate() {
        let Some(obj) = input.as_object() else { continue };
        let channel = obj.get("channel").and_then(|c| c.as_u64());
        if channel != Some(i as u64) {
            return Err(invalid(
                path,
                format!(
                    "field inputs[{i}].channel: {:?}, not {i}: IoTaWatt skips an input whose channel is not its place",
                    channel
                ),
            ));
        }
        let name = obj.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string();
        if name.is_empty() {
            return Err(invalid(path, format!("field inputs[{i}].name: missing")));
        }
        let kind = obj.get("type").and_then(|t| t.as_str()).unwrap_or_default();
        let num = |k: &str| obj.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0);
        let flag = |k: &str| obj.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
        match kind {
            "VT" => {
                if vt.is_none() {
                    vt = Some((
                        i,
                        name,
                        obj.get("model").and_then(|m| m.as_str()).unwrap_or_default().to_string(),
                        num("cal"),
                    ));
                } else {
                    guesses.push(format!(
                        "input {i} ({name}) is a second VT: not imported (one voltage reference per phase is derived)"
                    ));
                }
            }
            "CT" => {
                cts.insert(i, (name, flag("reverse"), flag("double"), num("vphase"), num("cal")));
            }
            other => return Err(invalid(path, format!("field inputs[{i}].type: \"{other}\" (VT or CT)"))),
        }
    }
    let three_phase = cts.values().any(|c| (c.3 - 120.0).abs() < 1.0 || (c.3 - 240.0).abs() < 1.0);
    let (vt_model, vt_cal) = vt.as_ref().map(|v| (v.2.clone(), v.3)).unwrap_or_default();
    let european = vt_model.contains("EU") || vt_model.contains("230") || vt_model.contains("240") || vt_cal >= 15.0;
    let service = match (three_phase, european) {
        (true, true) => Service::ThreePhase400_230,
        (true, false) => Service::Wye208_120,
        (false, true) => Service::SinglePhase230,
        (false, false) => Service::SplitPhase120_240,
    };
    guesses.push(format!(
        "service taken as {} (from {}VT model \"{vt_model}\", cal {vt_cal}): check it",
        service.as_str(),
        if three_phase { "CTs with a 120°/240° reference shift and the " } else { "the " }
    ));
    if vt.is_none() {
        guesses.push("no VT input: the project has no voltage reference".into());
    }
    let phase_of = |vphase: f64, reverse: bool| -> (Phase, f64) {
        if three_phase {
            let p = if (vphase - 120.0).abs() < 1.0 {
                Phase::B
            } else if (vphase - 240.0).abs() < 1.0 {
                Phase::C
            } else {
                Phase::A
            };
            (p, if reverse { -1.0 } else { 1.0 })
        } else if service == Service::SplitPhase120_240 && reverse {
            // Split phase with one VT on leg A: a leg B CT is configured reversed.
            (Phase::B, 1.0)
        } else {
            (Phase::A, if reverse { -1.0 } else { 1.0 })
        }
    };
    if service == Service::SplitPhase120_240 && cts.values().any(|c| c.1) {
        guesses.push(
            "split phase: a reversed CT is taken as one on leg B (it may instead be a clamp on backwards)".into(),
        );
    }
    // Outputs: sums of CT inputs are circuits.
    let mut used: Vec<usize> = Vec::new();
    let mut circuits = Vec::new();
    let mains_word = |n: &str| {
        let n = n.to_ascii_lowercase();
        ["main", "grid", "total", "service", "utility", "import"].iter().any(|w| n.contains(w))
    };
    let leg_of = |i: usize| -> Option<Leg> {
        let (name, reverse, _, vphase, cal) = cts.get(&i)?;
        let (phase, sign) = phase_of(*vphase, *reverse);
        Some(Leg {
            port: i.to_string(),
            channel: name.clone(),
            phase: Some(phase),
            sign,
            rating_a: if *cal > 0.0 { *cal } else { 50.0 },
        })
    };
    let mains: Vec<Leg> = cts.iter().filter(|(_, c)| mains_word(&c.0)).filter_map(|(&i, _)| leg_of(i)).collect();
    let mains_inputs: Vec<usize> = cts.iter().filter(|(_, c)| mains_word(&c.0)).map(|(&i, _)| i).collect();
    if !mains.is_empty() {
        guesses.push(format!(
            "mains taken as the inputs named like mains: {}",
            mains.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    for output in doc.get("outputs").and_then(|o| o.as_array()).into_iter().flatten() {
        let name = output.get("name").and_then(|n| n.as_str()).unwrap_or_default();
        let Some(script) = output.get("script").and_then(|s| s.as_str()) else { continue };
        let Some((ins, factor)) = sum_script(script) else {
            guesses.push(format!("output {name} (\"{script}\") is not a sum of inputs: not imported"));
            continue;
        };
        if ins.iter().any(|i| mains_inputs.contains(i)) || ins.iter().any(|i| !cts.contains_key(i)) {
            continue;
        }
        let legs: Vec<Leg> = ins.iter().filter_map(|&i| leg_of(i)).collect();
        let doubled = legs.len() == 1 && cts.get(&ins[0]).is_some_and(|c| c.2);
        let poles = if doubled { 2 } else { legs.len().clamp(1, 3) as u8 };
        used.extend(&ins);
        circuits.push(DeviceCircuit {
            label: label_of(name),
            legs,
            poles,
            multiplier: if doubled { 2.0 } else { factor },
        });
    }
    for (&i, c) in &cts {
        if used.contains(&i) || mains_inputs.contains(&i) {
            continue;
        }
        guesses.push(format!("input {i} ({}) is in no output: made a one-pole circuit of its own", c.0));
        let legs: Vec<Leg> = leg_of(i).into_iter().collect();
        circuits.push(DeviceCircuit {
            label: label_of(&c.0),
            legs,
            poles: if c.2 { 2 } else { 1 },
            multiplier: if c.2 { 2.0 } else { 1.0 },
        });
    }
    let voltages = vt.map(|v| vec![(Phase::A, v.1.clone(), "0".to_string())]).unwrap_or_default();
    Ok(Read { device: Device::IoTaWatt, service, voltages, mains, circuits, guesses })
}

/// `@1+@2`, `(@1+@2)*#2`, `@3*#3`: the inputs and the factor; `None` for anything else.
fn sum_script(script: &str) -> Option<(Vec<usize>, f64)> {
    let s: String = script.chars().filter(|c| !c.is_whitespace()).collect();
    let (body, factor) = match s.rsplit_once("*#") {
        Some((b, f)) => (b.trim_start_matches('(').trim_end_matches(')').to_string(), f.parse::<f64>().ok()?),
        None => (s.clone(), 1.0),
    };
    let mut ins = Vec::new();
    for term in body.split('+') {
        ins.push(term.strip_prefix('@')?.parse::<usize>().ok()?);
    }
    (!ins.is_empty()).then_some((ins, factor))
}

fn yaml_error(path: &Path, e: &yaml_rust2::ScanError) -> PanelError {
    PanelError::Parse {
        path: path.to_path_buf(),
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.to_string(),
    }
}

fn read_esphome(text: &str, path: &Path) -> Result<Read, PanelError> {
    // ESPHome's own tags (!secret, !lambda, !include) carry plain values here.
    let docs = YamlLoader::load_from_str(text).map_err(|e| yaml_error(path, &e))?;
    let doc = docs.first().ok_or_else(|| invalid(path, "empty YAML".into()))?;
    let sensors = doc["sensor"].as_vec().ok_or_else(|| {
        invalid(path, "field sensor: missing or not a list (is this an ESPHome configuration?)".into())
    })?;
    let vue = sensors
        .iter()
        .find(|s| s["platform"].as_str() == Some("emporia_vue"))
        .ok_or_else(|| invalid(path, "field sensor: no entry with platform emporia_vue".into()))?;
    let mut guesses = Vec::new();
    let device = match vue["variant"].as_str() {
        Some("vue3") => Device::EmporiaVue3,
        Some("vue2") => Device::EmporiaVue2,
        _ => {
            guesses.push("no variant: taken as an Emporia Vue 2".into());
            Device::EmporiaVue2
        }
    };
    let phases =
        vue["phases"].as_vec().ok_or_else(|| invalid(path, "field sensor.emporia_vue.phases: missing".into()))?;
    if phases.len() > 3 {
        return Err(invalid(path, format!("field phases: {} entries (the component takes at most 3)", phases.len())));
    }
    let mut phase_by_id: HashMap<String, Phase> = HashMap::new();
    let mut voltages = Vec::new();
    for (k, p) in phases.iter().enumerate() {
        let id = p["id"].as_str().ok_or_else(|| invalid(path, format!("field phases[{k}].id: missing")))?;
        let wire = p["input"].as_str().ok_or_else(|| invalid(path, format!("field phases[{k}].input: missing")))?;
        let phase = match wire {
            "BLACK" => Phase::A,
            "RED" => Phase::B,
            "BLUE" => Phase::C,
            other => return Err(invalid(path, format!("field phases[{k}].input: \"{other}\" (BLACK, RED or BLUE)"))),
        };
        if phase_by_id.values().any(|&q| q == phase) {
            return Err(invalid(path, format!("field phases[{k}].input: {wire} is used twice")));
        }
        phase_by_id.insert(id.to_string(), phase);
        let name = format!("V_{}", ["A", "B", "C"][k.min(2)]);
        voltages.push((phase, p["voltage"]["name"].as_str().map_or(name.clone(), |_| name), wire.to_string()));
    }
    let service = match phases.len() {
        3 => {
            guesses.push("three phases: taken as 208Y/120 V (check it)".into());
            Service::Wye208_120
        }
        _ => Service::SplitPhase120_240,
    };
    let clamps = vue["ct_clamps"].as_vec().ok_or_else(|| invalid(path, "field ct_clamps: missing".into()))?;
    let mut mains = Vec::new();
    let mut branch: Vec<(String, Leg, f64, Option<String>)> = Vec::new();
    let mut ports_seen: HashMap<String, usize> = HashMap::new();
    for (k, c) in clamps.iter().enumerate() {
        let port = match &c["input"] {
            Yaml::String(s) => s.clone(),
            Yaml::Integer(i) => i.to_string(),
            _ => return Err(invalid(path, format!("field ct_clamps[{k}].input: missing"))),
        };
        let valid =
            ["A", "B", "C"].contains(&port.as_str()) || port.parse::<usize>().is_ok_and(|n| (1..=16).contains(&n));
        if !valid {
            return Err(invalid(path, format!("field ct_clamps[{k}].input: \"{port}\" (A, B, C or 1-16)")));
        }
        if let Some(first) = ports_seen.insert(port.clone(), k) {
            return Err(invalid(
                path,
                format!("field ct_clamps[{k}].input: port {port} is already used by ct_clamps[{first}]"),
            ));
        }
        let phase_id =
            c["phase_id"].as_str().ok_or_else(|| invalid(path, format!("field ct_clamps[{k}].phase_id: missing")))?;
        let phase = *phase_by_id
            .get(phase_id)
            .ok_or_else(|| invalid(path, format!("field ct_clamps[{k}].phase_id: \"{phase_id}\" is not a phase id")))?;
        let (factor, known) = clamp_factor(&c["power"]["filters"]);
        let id = c["power"]["id"].as_str().map(str::to_string);
        let name = c["power"]["name"].as_str().map(|n| n.trim_end_matches(" Power").to_string());
        let mains_port = ["A", "B", "C"].contains(&port.as_str());
        let sign = if mains_port { factor.signum() } else { -factor.signum() };
        if !known {
            guesses.push(format!("port {port}: no multiply filter, taken as reading the right way"));
        }
        let leg = Leg {
            port: port.clone(),
            channel: format!("CT_{port}"),
            phase: Some(phase),
            sign: if known { sign } else { 1.0 },
            rating_a: if mains_port { 200.0 } else { 50.0 },
        };
        if mains_port {
            mains.push(leg);
        } else {
            let label = name.unwrap_or_else(|| format!("Port {port}"));
            branch.push((id.unwrap_or_default(), leg, factor.abs(), Some(label)));
        }
    }
    // Template sensors that sum clamps are circuits of several legs.
    let mut circuits = Vec::new();
    let mut grouped: Vec<String> = Vec::new();
    for s in sensors {
        if s["platform"].as_str() != Some("template") {
            continue;
        }
        let Some(lambda) = s["lambda"].as_str() else { continue };
        let ids = lambda_ids(lambda);
        if ids.is_empty() || lambda.contains('-') || !ids.iter().all(|i| branch.iter().any(|b| &b.0 == i)) {
            continue;
        }
        let legs: Vec<Leg> =
            ids.iter().filter_map(|i| branch.iter().find(|b| &b.0 == i)).map(|b| b.1.clone()).collect();
        let mult = ids.iter().filter_map(|i| branch.iter().find(|b| &b.0 == i)).map(|b| b.2).fold(1.0, f64::max);
        let label = s["name"].as_str().map_or_else(|| ids.join("+"), |n| n.trim_end_matches(" Power").to_string());
        grouped.extend(ids.iter().cloned());
        let doubled = legs.len() == 1 && (mult - 2.0).abs() < 1e-9;
        let poles = if doubled { 2 } else { legs.len().clamp(1, 3) as u8 };
        circuits.push(DeviceCircuit { label, legs, poles, multiplier: if ids.len() == 1 { mult } else { 1.0 } });
    }
    for (id, leg, mult, label) in branch {
        if !id.is_empty() && grouped.contains(&id) {
            continue;
        }
        let doubled = (mult - 2.0).abs() < 1e-9;
        circuits.push(DeviceCircuit {
            label: label.unwrap_or_default(),
            legs: vec![leg],
            poles: if doubled { 2 } else { 1 },
            multiplier: mult,
        });
    }
    Ok(Read { device, service, voltages, mains, circuits, guesses })
}

/// The `multiply` factor of a clamp's filters (or -1 for a lambda returning `-x`), and
/// whether one was found.
fn clamp_factor(filters: &Yaml) -> (f64, bool) {
    let Some(list) = filters.as_vec() else { return (1.0, false) };
    for f in list {
        match &f["multiply"] {
            Yaml::Real(r) => return (r.parse().unwrap_or(1.0), true),
            Yaml::Integer(i) => return (*i as f64, true),
            _ => {}
        }
        if let Some(l) = f["lambda"].as_str() {
            let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            if compact.contains("(-x") || compact.contains("-x;") || compact.contains("return-x") {
                return (-1.0, true);
            }
        }
    }
    (1.0, false)
}

/// The ids a lambda reads: `id(ct_1).state + id(ct_2).state` gives `ct_1`, `ct_2`.
fn lambda_ids(lambda: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = lambda;
    while let Some(at) = rest.find("id(") {
        rest = &rest[at + 3..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].trim().to_string());
            rest = &rest[end..];
        }
    }
    out
}

/// Lays the read circuits into spaces whose phases fit their legs, one sensor per clamp.
fn lay_out(read: Read, path: &Path) -> ImportedDevice {
    let Read { device, service, voltages, mains, circuits, mut guesses } = read;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "panel".into());
    let mut project =
        Project::new(format!("{stem} (from {})", device.label()), service, 0, Main::Breaker { rating_a: 200.0 });
    let din = project.layout() == Layout::DinRail;
    let mut occupied: Vec<u32> = Vec::new();
    let mut monitor = Monitor::new(device);
    for (phase, channel, port) in &voltages {
        project.voltage_refs.push(VoltageRef { phase: *phase, channel: channel.clone() });
        monitor.ports.insert(channel.clone(), port.clone());
    }
    for m in &mains {
        let phase = m.phase.unwrap_or(Phase::A);
        project.mains.push(MainSensor {
            phase,
            channel: m.channel.clone(),
            rating_a: m.rating_a,
            reversed: m.sign < 0.0,
        });
        monitor.ports.insert(m.channel.clone(), m.port.clone());
    }
    let pole_space = |s: u32, k: u8| if din { s + u32::from(k) } else { s + 2 * u32::from(k) };
    let mut last = 0;
    for c in &circuits {
        let want: Vec<Option<Phase>> = (0..c.poles).map(|k| c.legs.get(usize::from(k)).and_then(|l| l.phase)).collect();
        let fits = |s: u32| {
            (0..c.poles).all(|k| {
                let space = pole_space(s, k);
                space <= MAX_SPACES
                    && !occupied.contains(&space)
                    && want[usize::from(k)].is_none_or(|p| service.phase_of_space(space) == p)
            })
        };
        let Some(space) = (1..=MAX_SPACES).find(|&s| fits(s)) else {
            guesses.push(format!("\"{}\": no free spaces fit its phases: left out", c.label));
            continue;
        };
        let spaces: Vec<u32> = (0..c.poles).map(|k| pole_space(space, k)).collect();
        occupied.extend(&spaces);
        last = last.max(*spaces.iter().max().unwrap_or(&space));
        let mut circuit = Circuit::new(c.label.clone());
        circuit.multiplier = c.multiplier;
        circuit.notes = format!("imported from the {}: its space is a guess", device.label());
        let sign = c.legs.first().map_or(1.0, |l| l.sign);
        circuit.sign = if sign < 0.0 { -1.0 } else { 1.0 };
        for (k, leg) in c.legs.iter().enumerate() {
            let strip = project.strips.len();
            project.strips.push(Strip {
                name: format!("port {}", leg.port),
                model: format!("{} clamp", device.label()),
                pitch: if din { 1 } else { 2 },
                first_space: spaces.get(k).copied().unwrap_or(space),
                direction: StripDirection::Down,
                // A leg whose sign differs from the circuit's first leg reads the other way.
                reversed: (leg.sign < 0.0) != (sign < 0.0),
                positions: vec![Position { channel: leg.channel.clone(), rating_a: leg.rating_a, reversed: false }],
            });
            circuit.sensors.push(SensorRef { strip, position: 0 });
            monitor.ports.insert(leg.channel.clone(), leg.port.clone());
        }
        project.breakers.push(Breaker {
            space,
            poles: c.poles,
            kind: BreakerKind::Breaker,
            rating_a: 20.0,
            circuits: vec![circuit],
        });
    }
    if !project.breakers.is_empty() {
        guesses.push(format!(
            "{} breakers laid into the first spaces whose phases fit, rated 20 A: move them to their real spaces and set their ratings",
            project.breakers.len()
        ));
    }
    let minimum = if din { 12 } else { 20 };
    project.panel.spaces = if din { last.max(minimum) } else { last.div_ceil(2).max(minimum / 2) * 2 };
    project.monitor = Some(monitor);
    ImportedDevice { project, device, guesses }
}
