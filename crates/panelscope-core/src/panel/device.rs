//! Monitors that read the panel's sensors: IoTaWatt and the Emporia Vue 2 and 3 (flashed
//! with ESPHome and the `emporia_vue` external component). Which port each sensor is
//! plugged into, the device's rules, and its configuration file.
//!
//! Rules encoded here, from each project's own sources:
//! - **IoTaWatt** (firmware `getConfig.cpp`/`setConfig.cpp`): 15 inputs; input 0 is the
//!   voltage transformer (`type: VT`), inputs 1-14 are current transformers (`type: CT`)
//!   whose power uses the VT named by `vchan`; an input object's `channel` must equal its
//!   index in `inputs` (the firmware skips it otherwise); `reverse` flips a CT, `double`
//!   doubles it (a 240 V load on one clamp), `vphase` shifts the reference voltage for a CT
//!   on another phase; outputs are `{name, units, script}` with scripts such as `@1+@2`,
//!   `#2` for a constant. Names are at most 16 letters, digits or `_`, starting with a letter,
//!   and unique across inputs and outputs.
//! - **Emporia Vue** (`emporia_vue/sensor.py`): at most three `phases`, one per input wire
//!   (`BLACK`, `RED`, `BLUE`), each at most once; `ct_clamps` on ports `A`, `B`, `C` (the
//!   mains clamps) and `1`-`16`; each clamp names its `phase_id`. One clamp per port.
//!   Branch clamps read negative for a load as installed (the project's reference
//!   configuration inverts them), mains clamps positive.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::model::{Direction, Phase, Project};
use super::validate::Finding;

/// A monitor the project can configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Device {
    #[serde(rename = "iotawatt")]
    IoTaWatt,
    #[serde(rename = "emporia-vue2")]
    EmporiaVue2,
    #[serde(rename = "emporia-vue3")]
    EmporiaVue3,
}

/// The most inputs an IoTaWatt has.
pub const IOTAWATT_INPUTS: usize = 15;
/// Branch ports of an Emporia Vue.
pub const VUE_BRANCH_PORTS: usize = 16;
/// Longest IoTaWatt input or output name.
pub const IOTAWATT_NAME_MAX: usize = 16;

impl Device {
    pub const ALL: [Device; 3] = [Self::IoTaWatt, Self::EmporiaVue2, Self::EmporiaVue3];

    /// The name on the command line and in project files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IoTaWatt => "iotawatt",
            Self::EmporiaVue2 => "emporia-vue2",
            Self::EmporiaVue3 => "emporia-vue3",
        }
    }

    /// What a menu shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::IoTaWatt => "IoTaWatt",
            Self::EmporiaVue2 => "Emporia Vue 2 (ESPHome)",
            Self::EmporiaVue3 => "Emporia Vue 3 (ESPHome)",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == name.trim().to_ascii_lowercase())
    }

    /// Ports for voltage references.
    pub fn voltage_ports(self) -> Vec<String> {
        match self {
            Self::IoTaWatt => vec!["0".into()],
            _ => ["BLACK", "RED", "BLUE"].map(String::from).to_vec(),
        }
    }

    /// Ports for mains sensors.
    pub fn mains_ports(self) -> Vec<String> {
        match self {
            Self::IoTaWatt => (1..IOTAWATT_INPUTS).map(|i| i.to_string()).collect(),
            _ => ["A", "B", "C"].map(String::from).to_vec(),
        }
    }

    /// Ports for circuit sensors.
    pub fn circuit_ports(self) -> Vec<String> {
        match self {
            Self::IoTaWatt => (1..IOTAWATT_INPUTS).map(|i| i.to_string()).collect(),
            _ => (1..=VUE_BRANCH_PORTS).map(|i| i.to_string()).collect(),
        }
    }

    /// Every port, in the device's order.
    pub fn ports(self) -> Vec<String> {
        let mut all = self.voltage_ports();
        for p in self.mains_ports().into_iter().chain(self.circuit_ports()) {
            if !all.contains(&p) {
                all.push(p);
            }
        }
        all
    }
}

/// The monitor installed, and the port of each sensor (by its capture channel). Channels
/// without a port get the next free one, in the project's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    pub device: Device,
    #[serde(default)]
    pub ports: BTreeMap<String, String>,
}

impl Monitor {
    pub fn new(device: Device) -> Self {
        Self { device, ports: BTreeMap::new() }
    }
}

/// What a port carries.
#[derive(Debug, Clone, PartialEq)]
pub enum PortRole {
    Voltage {
        phase: Phase,
    },
    Mains {
        phase: Phase,
        sign: f64,
    },
    /// Leg `leg` (its phase) of circuit `circuit` (an index into [`Project::circuits`]).
    Circuit {
        circuit: usize,
        phase: Phase,
        sign: f64,
    },
}

/// One port in use.
#[derive(Debug, Clone, PartialEq)]
pub struct PortUse {
    pub port: String,
    pub channel: String,
    pub role: PortRole,
}

/// Every port the project uses on its monitor, or why the device cannot take it.
#[derive(Debug, Clone, PartialEq)]
pub struct PortPlan {
    pub device: Device,
    pub uses: Vec<PortUse>,
}

impl PortPlan {
    /// The port a channel is on.
    pub fn port_of(&self, channel: &str) -> Option<&str> {
        self.uses.iter().find(|u| u.channel == channel).map(|u| u.port.as_str())
    }
}

fn refusal(code: &str, slot: Option<String>, message: String) -> Finding {
    Finding { code: code.into(), message, slot }
}

/// A circuit flattened for export: its label, direction, legs and multiplier.
struct FlatCircuit {
    label: String,
    direction: Direction,
    poles: u8,
    multiplier: f64,
    slot: String,
    /// (channel, phase, sign) per sensed leg.
    legs: Vec<(String, Phase, f64)>,
}

fn flat_circuits(project: &Project) -> Vec<FlatCircuit> {
    let config = project.install_config_unchecked();
    config
        .circuits
        .iter()
        .map(|c| FlatCircuit {
            label: c.label.clone(),
            direction: c.direction,
            poles: c.poles,
            multiplier: c.multiplier,
            slot: c.slot.clone(),
            legs: c.channels.iter().map(|ch| (ch.channel.clone(), ch.phase, ch.sign)).collect(),
        })
        .collect()
}

/// Assigns every sensor a port of `device`: the project's own assignments first, then the
/// next free port in order (voltages, mains, circuits in breaker order). Refuses a port the
/// device lacks, a port used twice and more sensors than ports.
pub fn port_plan(
    project: &Project,
    device: Device,
    assigned: &BTreeMap<String, String>,
) -> Result<PortPlan, Vec<Finding>> {
    let mut errors = Vec::new();
    let layout = project.layout();
    let config = project.install_config_unchecked();
    let mut wanted: Vec<(String, PortRole, Vec<String>, String)> = Vec::new();
    let voltage_ports = device.voltage_ports();
    let mut voltages = config.voltages.clone();
    voltages.sort_by_key(|v| v.phase);
    for v in &voltages {
        if device == Device::IoTaWatt && v.phase != voltages[0].phase {
            // One VT; the other phases are derived from it (vphase).
            continue;
        }
        wanted.push((
            v.channel.clone(),
            PortRole::Voltage { phase: v.phase },
            voltage_ports.clone(),
            format!("voltage {}", v.phase.name(layout)),
        ));
    }
    for m in &config.mains {
        wanted.push((
            m.channel.clone(),
            PortRole::Mains { phase: m.phase, sign: m.sign },
            device.mains_ports(),
            format!("mains {}", m.phase.name(layout)),
        ));
    }
    for (i, c) in config.circuits.iter().enumerate() {
        for ch in &c.channels {
            wanted.push((
                ch.channel.clone(),
                PortRole::Circuit { circuit: i, phase: ch.phase, sign: ch.sign },
                device.circuit_ports(),
                format!("\"{}\" ({})", c.label, c.slot),
            ));
        }
    }
    let all_ports = device.ports();
    let mut taken: HashMap<String, String> = HashMap::new();
    let mut uses: Vec<Option<PortUse>> = vec![None; wanted.len()];
    // Assigned ports first.
    for (k, (channel, role, allowed, what)) in wanted.iter().enumerate() {
        let Some(port) = assigned.get(channel) else { continue };
        let port = port.trim().to_ascii_uppercase();
        if !all_ports.contains(&port) {
            errors.push(refusal(
                "device-port",
                Some(what.clone()),
                format!(
                    "{what}: {channel} is on port {port}, which the {} does not have (ports {})",
                    device.label(),
                    all_ports.join(", ")
                ),
            ));
            continue;
        }
        if !allowed.contains(&port) {
            errors.push(refusal(
                "device-port",
                Some(what.clone()),
                format!(
                    "{what}: {channel} cannot go on port {port} of the {}: use one of {}",
                    device.label(),
                    allowed.join(", ")
                ),
            ));
            continue;
        }
        if let Some(other) = taken.insert(port.clone(), what.clone()) {
            errors.push(refusal(
                "port-twice",
                Some(what.clone()),
                format!("port {port} of the {} is used twice: by {other} and by {what}", device.label()),
            ));
            continue;
        }
        uses[k] = Some(PortUse { port, channel: channel.clone(), role: role.clone() });
    }
    // Vue mains go to the port of their phase when free.
    for (k, (channel, role, allowed, _)) in wanted.iter().enumerate() {
        if uses[k].is_some() || assigned.contains_key(channel) {
            continue;
        }
        let natural = match (device, role) {
            (Device::IoTaWatt, _) => None,
            (_, PortRole::Voltage { phase }) => Some(["BLACK", "RED", "BLUE"][*phase as usize].to_string()),
            (_, PortRole::Mains { phase, .. }) => Some(["A", "B", "C"][*phase as usize].to_string()),
            _ => None,
        };
        if let Some(port) = natural.filter(|p| allowed.contains(p) && !taken.contains_key(p)) {
            taken.insert(port.clone(), channel.clone());
            uses[k] = Some(PortUse { port, channel: channel.clone(), role: role.clone() });
        }
    }
    let mut short: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (k, (channel, role, allowed, what)) in wanted.iter().enumerate() {
        if uses[k].is_some() || assigned.contains_key(channel) {
            continue;
        }
        match allowed.iter().find(|p| !taken.contains_key(*p)) {
            Some(port) => {
                taken.insert(port.clone(), what.clone());
                uses[k] = Some(PortUse { port: port.clone(), channel: channel.clone(), role: role.clone() });
            }
            None => {
                let kind = match role {
                    PortRole::Voltage { .. } => "voltage",
                    PortRole::Mains { .. } => "mains",
                    PortRole::Circuit { .. } => "current",
                };
                *short.entry(kind).or_default() += 1;
            }
        }
    }
    for (kind, missing) in short {
        let (have, ports) = match kind {
            "voltage" => (voltage_ports.len(), "voltage inputs"),
            "mains" => (device.mains_ports().len(), "mains ports"),
            _ => (device.circuit_ports().len(), "current ports"),
        };
        let count = wanted
            .iter()
            .filter(|w| match w.1 {
                PortRole::Voltage { .. } => kind == "voltage",
                PortRole::Mains { .. } => kind == "mains",
                PortRole::Circuit { .. } => kind == "current",
            })
            .count();
        let shared = if device == Device::IoTaWatt && kind != "voltage" {
            " (its 14 CT inputs serve mains and circuits alike)"
        } else {
            ""
        };
        errors.push(refusal(
            "device-ports",
            None,
            format!(
                "the project has {count} {kind} sensors but the {} has {have} {ports}{shared}: {missing} have no port; use a second monitor or fewer sensors",
                device.label()
            ),
        ));
    }
    if errors.is_empty() { Ok(PortPlan { device, uses: uses.into_iter().flatten().collect() }) } else { Err(errors) }
}

/// True for a name IoTaWatt accepts: 1-16 letters, digits or `_`, starting with a letter.
pub fn is_iotawatt_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= IOTAWATT_NAME_MAX
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A label made into an IoTaWatt name: other characters become `_`, runs of `_` one, a
/// leading digit gets a `C` before it, cut to 16.
pub fn iotawatt_name(label: &str) -> String {
    let mut out = String::new();
    for c in label.trim().chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if !(c == '_' && (out.is_empty() || out.ends_with('_'))) {
            out.push(c);
        }
    }
    let mut out = out.trim_end_matches('_').to_string();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'C');
    }
    out.truncate(IOTAWATT_NAME_MAX);
    out.trim_end_matches('_').to_string()
}

/// An ESPHome id: lower case letters, digits and `_`, starting with a letter.
fn esphome_id(text: &str) -> String {
    let name = iotawatt_name(text).to_ascii_lowercase();
    if name.is_empty() { "x".into() } else { name }
}

/// YAML double-quoted scalar (JSON escapes are valid YAML).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

/// The checks a device export must pass before any file is written: ports, names.
pub fn device_rules(project: &Project, device: Device) -> Vec<Finding> {
    match export_device(project, device) {
        Ok(_) => Vec::new(),
        Err(findings) => findings,
    }
}

/// The device's configuration file for the project, or every reason the device would
/// refuse it.
pub fn export_device(project: &Project, device: Device) -> Result<String, Vec<Finding>> {
    let assigned = project.monitor.as_ref().filter(|m| m.device == device).map(|m| m.ports.clone()).unwrap_or_default();
    let plan = port_plan(project, device, &assigned)?;
    let circuits = flat_circuits(project);
    let mut errors = Vec::new();
    if project.voltage_refs.is_empty() {
        errors.push(refusal(
            "device-voltage",
            None,
            format!("the {} needs a voltage reference: add one to the project", device.label()),
        ));
    }
    for c in &circuits {
        if c.legs.is_empty() {
            continue;
        }
        if c.label.trim().is_empty() {
            errors.push(refusal(
                "device-name",
                Some(c.slot.clone()),
                format!("the circuit on {} has no label to name it by", c.slot),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    match device {
        Device::IoTaWatt => iotawatt(project, &plan, &circuits),
        _ => emporia(project, device, &plan, &circuits),
    }
}

fn iotawatt(project: &Project, plan: &PortPlan, circuits: &[FlatCircuit]) -> Result<String, Vec<Finding>> {
    let service = project.panel.service;
    let mut errors = Vec::new();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut claim = |name: &str, what: &str, errors: &mut Vec<Finding>| {
        if !is_iotawatt_name(name) {
            errors.push(refusal(
                "device-name",
                None,
                format!("{what}: \"{name}\" is not an IoTaWatt name (at most 16 letters, digits or _, starting with a letter)"),
            ));
        } else if let Some(other) = names.insert(name.to_ascii_lowercase(), what.to_string()) {
            errors.push(refusal(
                "device-name",
                None,
                format!("{what} and {other} both become the IoTaWatt name \"{name}\": rename one (names are cut to 16 characters)"),
            ));
        }
    };
    let reference = project.voltage_refs.iter().map(|v| v.phase).min().unwrap_or(Phase::A);
    let vt_model = if service.phase_voltage(Phase::A) > 200.0 { ("generic", 19.0) } else { ("generic", 10.0) };
    let mut inputs: Vec<serde_json::Value> = vec![serde_json::Value::Null; IOTAWATT_INPUTS];
    let mut outputs: Vec<serde_json::Value> = Vec::new();
    let input_of = |port: &str| port.parse::<usize>().ok();
    // Per circuit: the inputs of its legs, for the output scripts.
    let mut circuit_inputs: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut mains_inputs: Vec<usize> = Vec::new();
    for u in &plan.uses {
        let Some(index) = input_of(&u.port) else { continue };
        match &u.role {
            PortRole::Voltage { phase } => {
                let name = iotawatt_name(&format!("Voltage_{}", phase.name(project.layout())));
                claim(&name, "the voltage input", &mut errors);
                inputs[index] = serde_json::json!({
                    "channel": index, "name": name, "type": "VT", "model": vt_model.0, "cal": vt_model.1, "phase": 0.0,
                });
            }
            PortRole::Mains { phase, sign } | PortRole::Circuit { phase, sign, .. } => {
                // A CT on another phase than the VT: shift the reference, or flip it when
                // the shift is 180° (split phase leg B).
                let shift = (service.phase_angle_deg(reference) - service.phase_angle_deg(*phase)).rem_euclid(360.0);
                let (vphase, flip) = if (shift - 180.0).abs() < 1e-6 { (0.0, true) } else { (shift, false) };
                let (name, double) = match &u.role {
                    PortRole::Mains { phase, .. } => {
                        mains_inputs.push(index);
                        (iotawatt_name(&format!("Mains_{}", phase.name(project.layout()))), false)
                    }
                    PortRole::Circuit { circuit, .. } => {
                        let c = &circuits[*circuit];
                        circuit_inputs.entry(*circuit).or_default().push(index);
                        // Inputs are named by their channel (what a capture calls them);
                        // outputs by the circuit's label.
                        let double = c.legs.len() == 1 && c.poles == 2 && (c.multiplier - 2.0).abs() < 1e-9;
                        (iotawatt_name(&u.channel), double)
                    }
                    PortRole::Voltage { .. } => unreachable!("handled above"),
                };
                claim(&name, &format!("input {index} ({})", u.channel), &mut errors);
                let rating = project
                    .strips
                    .iter()
                    .flat_map(|s| &s.positions)
                    .find(|p| p.channel == u.channel)
                    .map(|p| p.rating_a)
                    .or_else(|| project.mains.iter().find(|m| m.channel == u.channel).map(|m| m.rating_a))
                    .unwrap_or(50.0);
                inputs[index] = serde_json::json!({
                    "channel": index, "name": name, "type": "CT", "model": "generic", "cal": rating, "phase": 0.0,
                    "vchan": 0, "vphase": vphase, "reverse": (*sign < 0.0) != flip, "double": double, "signed": false,
                });
                if let Some(input) = inputs[index].as_object_mut()
                    && let PortRole::Circuit { circuit, .. } = &u.role
                    && circuits[*circuit].direction == Direction::Generation
                {
                    input.insert("signed".into(), serde_json::Value::Bool(true));
                }
            }
        }
    }
    let script = |ins: &[usize]| ins.iter().map(|i| format!("@{i}")).collect::<Vec<_>>().join("+");
    for (&ci, ins) in &circuit_inputs {
        let c = &circuits[ci];
        let name = iotawatt_name(&c.label);
        claim(&name, &format!("the output of \"{}\"", c.label), &mut errors);
        let doubled = c.legs.len() == 1 && c.poles == 2 && (c.multiplier - 2.0).abs() < 1e-9;
        let mut s = script(ins);
        if !doubled && (c.multiplier - 1.0).abs() > 1e-9 {
            s = format!("({s})*#{}", c.multiplier);
        }
        outputs.push(serde_json::json!({"name": name, "units": "Watts", "script": s}));
    }
    if !mains_inputs.is_empty() {
        claim("Mains", "the mains output", &mut errors);
        claim("Balance", "the balance output", &mut errors);
        let all_circuits: Vec<usize> = circuit_inputs.values().flatten().copied().collect();
        outputs.push(serde_json::json!({"name": "Mains", "units": "Watts", "script": script(&mains_inputs)}));
        let balance = if all_circuits.is_empty() {
            script(&mains_inputs)
        } else {
            format!("{}-({})", script(&mains_inputs), script(&all_circuits))
        };
        outputs.push(serde_json::json!({"name": "Balance", "units": "Watts", "script": balance}));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let doc = serde_json::json!({
        "format": 2,
        "timezone": 0,
        "update": "MINOR",
        "device": {
            "name": "IotaWatt",
            "version": 3,
            "channels": IOTAWATT_INPUTS,
            "burden": vec![0; IOTAWATT_INPUTS],
        },
        "inputs": inputs,
        "outputs": outputs,
    });
    Ok(serde_json::to_string_pretty(&doc).expect("JSON serialises") + "\n")
}

fn emporia(
    project: &Project,
    device: Device,
    plan: &PortPlan,
    circuits: &[FlatCircuit],
) -> Result<String, Vec<Finding>> {
    let layout = project.layout();
    let mut errors = Vec::new();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut claim = |name: &str, what: &str, errors: &mut Vec<Finding>| {
        if name.trim().is_empty() {
            errors.push(refusal("device-name", None, format!("{what} has no name")));
        } else if let Some(other) = names.insert(name.to_ascii_lowercase(), what.to_string()) {
            errors.push(refusal(
                "device-name",
                None,
                format!("{what} and {other} are both named \"{name}\": ESPHome needs unique names"),
            ));
        }
    };
    let variant = if device == Device::EmporiaVue3 { "vue3" } else { "vue2" };
    let node = {
        let mut n: String = project
            .panel
            .name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        while n.contains("--") {
            n = n.replace("--", "-");
        }
        let n = n.trim_matches('-').chars().take(31).collect::<String>();
        let n = n.trim_matches('-').to_string();
        if n.is_empty() { "emporia-vue".to_string() } else { n }
    };
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# ESPHome configuration for an Emporia {} written by panelscope",
        if variant == "vue3" { "Vue 3" } else { "Vue 2" }
    );
    let _ = writeln!(
        y,
        "# from the panel project \"{}\" ({}).",
        project.panel.name.replace('\n', " "),
        project.panel.service.as_str()
    );
    let _ = writeln!(
        y,
        "# Component: github://emporia-vue-local/esphome@dev (emporia_vue). Check with: esphome config FILE"
    );
    let _ = writeln!(y, "# Branch clamps read negative for a load as installed, so their power is multiplied by -1;");
    let _ = writeln!(y, "# a clamp marked reversed in the project by +1; a 240 V load on one clamp by -2.");
    let _ = writeln!(y, "esphome:\n  name: {node}\n  friendly_name: {}", quoted(&project.panel.name));
    let _ = writeln!(y, "\nesp32:\n  board: esp32dev\n  framework:\n    type: esp-idf\n    version: recommended");
    let _ = writeln!(
        y,
        "\nexternal_components:\n  - source: github://emporia-vue-local/esphome@dev\n    components:\n      - emporia_vue"
    );
    let _ = writeln!(y, "\napi:\n\nota:\n  - platform: esphome\n\nlogger:\n  logs:\n    sensor: INFO");
    let _ = writeln!(y, "\nwifi:\n  ssid: !secret wifi_ssid\n  password: !secret wifi_password");
    let _ = writeln!(y, "\npreferences:\n  flash_write_interval: \"48h\"\n\ntime:\n  - platform: homeassistant");
    if variant == "vue3" {
        let _ = writeln!(
            y,
            "\ni2c:\n  sda:\n    number: 5\n    ignore_strapping_warning: true\n  scl: 18\n  scan: false\n  frequency: 400kHz\n  timeout: 1ms\n  id: i2c_a"
        );
    } else {
        let _ = writeln!(
            y,
            "\ni2c:\n  sda: 21\n  scl: 22\n  scan: false\n  frequency: 400kHz\n  timeout: 1ms\n  id: i2c_a"
        );
    }
    let _ = writeln!(y, "\nsensor:\n  - platform: emporia_vue\n    variant: {variant}\n    i2c_id: i2c_a\n    phases:");
    let phase_id = |p: Phase| format!("phase_{}", p.name(layout).to_ascii_lowercase());
    let mut phases_used: Vec<Phase> = Vec::new();
    for u in &plan.uses {
        if let PortRole::Voltage { phase } = u.role {
            let name = format!("Voltage {}", phase.name(layout));
            claim(&name, &format!("voltage {}", phase.name(layout)), &mut errors);
            let _ = writeln!(
                y,
                "      - id: {}\n        input: {}\n        voltage:\n          name: {}",
                phase_id(phase),
                u.port,
                quoted(&name)
            );
            if u.port == "BLACK" {
                let _ = writeln!(y, "        frequency:\n          name: \"Frequency\"");
            }
            phases_used.push(phase);
        }
    }
    let mut clamp_lines = String::new();
    let mut total: Vec<String> = Vec::new();
    let mut per_circuit: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut templates = String::new();
    for u in &plan.uses {
        let (phase, factor, id) = match &u.role {
            PortRole::Voltage { .. } => continue,
            PortRole::Mains { phase, sign } => {
                let id = format!("mains_{}", phase.name(layout).to_ascii_lowercase());
                total.push(id.clone());
                (*phase, *sign, id)
            }
            PortRole::Circuit { circuit, phase, sign } => {
                let c = &circuits[*circuit];
                let doubled = c.legs.len() == 1 && c.poles == 2 && (c.multiplier - 2.0).abs() < 1e-9;
                let mult = if doubled || c.legs.len() == 1 { c.multiplier } else { 1.0 };
                let id = format!("ct_{}", u.port);
                per_circuit.entry(*circuit).or_default().push(id.clone());
                (*phase, -sign * mult, id)
            }
        };
        if !phases_used.contains(&phase) {
            errors.push(refusal(
                "device-phase",
                None,
                format!(
                    "{} on port {} is on phase {}, which has no voltage input on the {}",
                    u.channel,
                    u.port,
                    phase.name(layout),
                    device.label()
                ),
            ));
        }
        let _ = writeln!(
            clamp_lines,
            "      - phase_id: {}\n        input: \"{}\"\n        power:\n          id: {id}\n          internal: true\n          filters:\n            - multiply: {factor}",
            phase_id(phase),
            u.port
        );
    }
    let _ = writeln!(y, "    ct_clamps:");
    y.push_str(&clamp_lines);
    let mut updates: Vec<String> = Vec::new();
    for (&ci, ids) in &per_circuit {
        let c = &circuits[ci];
        let id = format!("circuit_{}", esphome_id(&c.label));
        let name = format!("{} Power", c.label.trim());
        claim(&name, &format!("\"{}\" ({})", c.label, c.slot), &mut errors);
        let sum = ids.iter().map(|i| format!("id({i}).state")).collect::<Vec<_>>().join(" + ");
        let _ = writeln!(
            templates,
            "  - platform: template\n    id: {id}\n    name: {}\n    lambda: return {sum};\n    update_interval: never\n    device_class: power\n    state_class: measurement\n    unit_of_measurement: W",
            quoted(&name)
        );
        let _ = writeln!(
            templates,
            "  - platform: total_daily_energy\n    name: {}\n    power_id: {id}\n    restore: false",
            quoted(&format!("{} Daily Energy", c.label.trim()))
        );
        updates.push(id);
    }
    if !total.is_empty() {
        let sum = total.iter().map(|i| format!("id({i}).state")).collect::<Vec<_>>().join(" + ");
        let circuits_sum: Vec<String> = per_circuit.values().flatten().map(|i| format!(" - id({i}).state")).collect();
        let _ = writeln!(
            templates,
            "  - platform: template\n    id: total_power\n    name: \"Total Power\"\n    lambda: return {sum};\n    update_interval: never\n    device_class: power\n    state_class: measurement\n    unit_of_measurement: W"
        );
        let _ = writeln!(
            templates,
            "  - platform: template\n    id: balance_power\n    name: \"Balance Power\"\n    lambda: return {sum}{};\n    update_interval: never\n    device_class: power\n    state_class: measurement\n    unit_of_measurement: W",
            circuits_sum.join("")
        );
        let _ = writeln!(
            templates,
            "  - platform: total_daily_energy\n    name: \"Total Daily Energy\"\n    power_id: total_power\n    restore: false"
        );
        claim("Total Power", "the mains total", &mut errors);
        claim("Balance Power", "the balance", &mut errors);
        updates.push("total_power".into());
        updates.push("balance_power".into());
    }
    if !updates.is_empty() {
        let _ = writeln!(y, "    on_update:\n      then:");
        for u in &updates {
            let _ = writeln!(y, "        - component.update: {u}");
        }
    }
    y.push_str(&templates);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(y)
}

/// Checks a project against its chosen monitor (for validation and the editor).
pub fn monitor_findings(project: &Project) -> Vec<Finding> {
    let Some(monitor) = &project.monitor else { return Vec::new() };
    let config = project.install_config_unchecked();
    if config.circuits.iter().all(|c| c.channels.is_empty()) && config.mains.is_empty() {
        return Vec::new();
    }
    device_rules(project, monitor.device)
}

/// For the editor: the port of every channel on the chosen monitor (empty when the device
/// cannot take the project).
pub fn ports_by_channel(project: &Project) -> BTreeMap<String, String> {
    let Some(monitor) = &project.monitor else { return BTreeMap::new() };
    match port_plan(project, monitor.device, &monitor.ports) {
        Ok(plan) => plan.uses.into_iter().map(|u| (u.channel, u.port)).collect(),
        Err(_) => BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::wiring_panel;
    use crate::panel::{Service, import_device, sample_panel};

    fn write(text: &str, name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn iotawatt_export_follows_the_firmware_rules() {
        let text = export_device(&sample_panel(), Device::IoTaWatt).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let inputs = doc["inputs"].as_array().unwrap();
        assert_eq!(inputs.len(), IOTAWATT_INPUTS);
        assert_eq!(inputs[0]["type"], "VT");
        let mut names = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            if input.is_null() {
                continue;
            }
            assert_eq!(input["channel"].as_u64(), Some(i as u64), "channel equals its place");
            if i > 0 {
                assert_eq!(input["type"], "CT");
                assert_eq!(input["vchan"], 0);
            }
            names.push(input["name"].as_str().unwrap().to_string());
        }
        for output in doc["outputs"].as_array().unwrap() {
            names.push(output["name"].as_str().unwrap().to_string());
        }
        assert!(names.iter().all(|n| is_iotawatt_name(n)), "{names:?}");
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        // Leg B CTs are flipped against the one VT on leg A; the water heater sums two.
        let by_name = |n: &str| inputs.iter().find(|i| i["name"] == n).unwrap().clone();
        assert_eq!(by_name("I_02")["reverse"], false, "space 2 is leg A");
        assert_eq!(by_name("I_04")["reverse"], true, "space 4 is leg B");
        let outputs = doc["outputs"].as_array().unwrap();
        let heater = outputs.iter().find(|o| o["name"] == "Water_heater").unwrap();
        assert_eq!(heater["script"].as_str().unwrap().matches('@').count(), 2);
        assert!(outputs.iter().any(|o| o["name"] == "Balance" && o["script"].as_str().unwrap().contains('-')));
    }

    #[test]
    fn emporia_export_follows_the_component_rules() {
        for device in [Device::EmporiaVue2, Device::EmporiaVue3] {
            let text = export_device(&wiring_panel(Service::Wye208_120), device).unwrap();
            let doc = &yaml_rust2::YamlLoader::load_from_str(&text).unwrap()[0];
            let vue =
                doc["sensor"].as_vec().unwrap().iter().find(|s| s["platform"].as_str() == Some("emporia_vue")).unwrap();
            assert_eq!(vue["variant"].as_str(), Some(if device == Device::EmporiaVue3 { "vue3" } else { "vue2" }));
            let phases = vue["phases"].as_vec().unwrap();
            assert!(phases.len() <= 3);
            let ids: Vec<&str> = phases.iter().map(|p| p["id"].as_str().unwrap()).collect();
            let mut wires: Vec<&str> = phases.iter().map(|p| p["input"].as_str().unwrap()).collect();
            wires.sort();
            wires.dedup();
            assert_eq!(wires.len(), phases.len(), "one entry per wire colour");
            let mut ports = Vec::new();
            for c in vue["ct_clamps"].as_vec().unwrap() {
                assert!(ids.contains(&c["phase_id"].as_str().unwrap()));
                let port = c["input"].as_str().unwrap().to_string();
                assert!(["A", "B", "C"].contains(&port.as_str()) || (1..=16).contains(&port.parse::<u32>().unwrap()));
                ports.push(port);
            }
            let n = ports.len();
            ports.sort();
            ports.dedup();
            assert_eq!(ports.len(), n, "one clamp per port");
            assert_eq!(n, 3 + 13, "three mains and thirteen branch clamps");
            // The two-pole water heater is one template summing its two clamps.
            assert!(text.contains("name: \"Water heater Power\""), "{text}");
        }
    }

    #[test]
    fn devices_refuse_with_the_reason() {
        // 13 branch and 3 mains sensors: more than IoTaWatt's 14 CT inputs.
        let big = wiring_panel(Service::Wye208_120);
        let e = export_device(&big, Device::IoTaWatt).unwrap_err();
        assert!(e[0].message.contains("14 current ports"), "{e:?}");
        // A port used twice, a port the device lacks.
        let mut p = sample_panel();
        let mut monitor = Monitor::new(Device::EmporiaVue2);
        monitor.ports.insert("I_01".into(), "3".into());
        monitor.ports.insert("I_02".into(), "3".into());
        monitor.ports.insert("I_03".into(), "17".into());
        p.monitor = Some(monitor);
        let e = export_device(&p, Device::EmporiaVue2).unwrap_err();
        assert!(e.iter().any(|f| f.code == "port-twice" && f.message.contains("port 3")), "{e:?}");
        assert!(e.iter().any(|f| f.code == "device-port" && f.message.contains("17")), "{e:?}");
        // Validation applies the chosen monitor's rules.
        assert!(p.validate().errors.iter().any(|f| f.code == "port-twice"));
        // Two labels that become one IoTaWatt name.
        let mut p = sample_panel();
        p.breakers[1].circuits[0].label = "Kitchen receptacles north".into();
        p.breakers[2].circuits[0].label = "Kitchen receptacles south".into();
        let e = export_device(&p, Device::IoTaWatt).unwrap_err();
        assert!(e.iter().any(|f| f.code == "device-name" && f.message.contains("Kitchen_receptac")), "{e:?}");
    }

    #[test]
    fn names_the_device_accepts() {
        assert!(is_iotawatt_name("Water_heater"));
        assert!(!is_iotawatt_name("1st_floor"));
        assert!(!is_iotawatt_name("Kitchen and more"));
        assert!(!is_iotawatt_name("A_very_long_name_x"));
        assert_eq!(iotawatt_name("Kitchen & network"), "Kitchen_network");
        assert_eq!(iotawatt_name("2nd floor"), "C2nd_floor");
        assert!(is_iotawatt_name(&iotawatt_name("Receptacles (electronics, standby)")));
    }

    #[test]
    fn exports_import_back() {
        for device in Device::ALL {
            let panel = if device == Device::IoTaWatt { sample_panel() } else { wiring_panel(Service::Wye208_120) };
            let text = export_device(&panel, device).unwrap();
            let (_dir, path) = write(&text, if device == Device::IoTaWatt { "config.txt" } else { "vue.yaml" });
            let imported = import_device(&path).unwrap();
            let p = &imported.project;
            assert_eq!(p.monitor.as_ref().unwrap().device, device);
            let original: Vec<_> =
                panel.install_config_unchecked().circuits.into_iter().filter(|c| !c.channels.is_empty()).collect();
            let back = p.install_config_unchecked().circuits;
            assert_eq!(back.len(), original.len(), "{device:?}: {:?}", imported.guesses);
            for (a, b) in original.iter().zip(&back) {
                assert_eq!(a.channels.len(), b.channels.len(), "{device:?} {}", a.label);
                let pa: Vec<_> = a.channels.iter().map(|c| (c.phase, c.sign)).collect();
                let pb: Vec<_> = b.channels.iter().map(|c| (c.phase, c.sign)).collect();
                assert_eq!(pa, pb, "{device:?} {}: phases and signs", a.label);
            }
            assert!(p.validate().is_ok(), "{device:?}: {:?}", p.validate());
            assert!(!imported.guesses.is_empty());
        }
    }
}
