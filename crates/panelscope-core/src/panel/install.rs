//! The install configuration: what the backend (and the explorer) needs to turn sensor
//! channels into circuits: per circuit its channels with phase, voltage reference, sign and
//! multiplier; the mains; the voltage references; and the virtual outputs (mains total,
//! balance). Exported as JSON or RON, only from a project without errors. The schema is in
//! `docs/install-config.md`.

use serde::{Deserialize, Serialize};

use super::model::{Direction, Phase, Project, Service};
use super::validate::{Finding, Report};

/// Version of the install configuration format.
pub const INSTALL_CONFIG_SCHEMA_VERSION: u32 = 1;

/// One sensed conductor of a circuit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigChannel {
    pub channel: String,
    pub phase: Phase,
    /// The voltage channel of the same phase (for power), when the panel has one.
    pub voltage_channel: Option<String>,
    /// +1 or -1: the circuit's sign times -1 for a reversed sensor or strip.
    pub sign: f64,
    pub sensor_rating_a: f64,
}

/// A circuit as the backend meters it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigCircuit {
    pub label: String,
    pub load_type: String,
    /// `space 7` or `spaces 7, 9`.
    pub slot: String,
    pub spaces: Vec<u32>,
    pub poles: u8,
    pub breaker_rating_a: f64,
    pub phases: Vec<Phase>,
    pub voltage_v: f64,
    pub direction: Direction,
    /// Scales the sum of the channels (e.g. 2 for one sensor on a balanced 2-pole load).
    pub multiplier: f64,
    pub channels: Vec<ConfigChannel>,
}

/// A sensor on a main conductor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigMain {
    pub phase: Phase,
    pub channel: String,
    pub voltage_channel: Option<String>,
    pub sign: f64,
    pub sensor_rating_a: f64,
}

/// A voltage reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigVoltage {
    pub phase: Phase,
    pub channel: String,
    pub nominal_v: f64,
}

/// An output computed from others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VirtualOutput {
    pub name: String,
    /// `mains` (the sum of the mains sensors per phase) or `balance` (mains minus the sum
    /// of the circuits on that phase: what no sensor sees).
    pub kind: String,
    pub phase: Phase,
}

/// The install configuration of one panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstallConfig {
    pub schema_version: u32,
    pub panel: String,
    pub service: Service,
    pub line_voltage_v: f64,
    pub voltages: Vec<ConfigVoltage>,
    pub mains: Vec<ConfigMain>,
    pub circuits: Vec<ConfigCircuit>,
    pub virtual_outputs: Vec<VirtualOutput>,
}

/// What a capture channel is, once a configuration is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelRole {
    pub channel: String,
    /// `Dryer`, `mains A`, `voltage A`.
    pub label: String,
    pub phase: Phase,
    pub kind: RoleKind,
    /// The voltage channel to pair with for power (currents).
    pub voltage_channel: Option<String>,
    pub sign: f64,
    pub multiplier: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    Circuit,
    Mains,
    Voltage,
}

impl Project {
    /// The install configuration, or the validation report when it has errors.
    pub fn install_config(&self) -> Result<InstallConfig, Report> {
        let report = self.validate();
        if !report.is_ok() {
            return Err(report);
        }
        Ok(self.install_config_unchecked())
    }

    /// The install configuration as the project stands, errors or not: what `panel verify`
    /// checks against a capture (a site check must run on a half-finished project too).
    pub fn install_config_unchecked(&self) -> InstallConfig {
        let service = self.panel.service;
        let voltage_of = |phase: Phase| self.voltage_refs.iter().find(|v| v.phase == phase).map(|v| v.channel.clone());
        let circuits = self
            .circuits()
            .map(|(_, b, c)| {
                let channels = c
                    .sensors
                    .iter()
                    .filter_map(|&s| {
                        let strip = self.strips.get(s.strip)?;
                        let position = strip.positions.get(s.position)?;
                        let phase = self.phase_of(strip.space_of(s.position)?);
                        let flips = usize::from(strip.reversed) + usize::from(position.reversed);
                        let sign = if flips % 2 == 1 { -c.sign } else { c.sign };
                        Some(ConfigChannel {
                            channel: position.channel.clone(),
                            phase,
                            voltage_channel: voltage_of(phase),
                            sign,
                            sensor_rating_a: position.rating_a,
                        })
                    })
                    .collect();
                ConfigCircuit {
                    label: c.label.clone(),
                    load_type: c.load_type.clone(),
                    slot: self.slot(b),
                    spaces: self.spaces_of(b),
                    poles: b.poles,
                    breaker_rating_a: b.rating_a,
                    phases: self.phases_of(b),
                    voltage_v: self.circuit_voltage(b),
                    direction: c.direction,
                    multiplier: c.multiplier,
                    channels,
                }
            })
            .collect();
        let mains = self
            .mains
            .iter()
            .map(|m| ConfigMain {
                phase: m.phase,
                channel: m.channel.clone(),
                voltage_channel: voltage_of(m.phase),
                sign: if m.reversed { -1.0 } else { 1.0 },
                sensor_rating_a: m.rating_a,
            })
            .collect();
        let voltages = self
            .voltage_refs
            .iter()
            .map(|v| ConfigVoltage {
                phase: v.phase,
                channel: v.channel.clone(),
                nominal_v: service.phase_voltage(v.phase),
            })
            .collect();
        let mut virtual_outputs = Vec::new();
        for &phase in service.phases() {
            if self.mains.iter().any(|m| m.phase == phase) {
                let p = phase.name(self.layout());
                virtual_outputs.push(VirtualOutput { name: format!("mains {p}"), kind: "mains".into(), phase });
                virtual_outputs.push(VirtualOutput { name: format!("balance {p}"), kind: "balance".into(), phase });
            }
        }
        InstallConfig {
            schema_version: INSTALL_CONFIG_SCHEMA_VERSION,
            panel: self.panel.name.clone(),
            service,
            line_voltage_v: service.line_voltage(),
            voltages,
            mains,
            circuits,
            virtual_outputs,
        }
    }
}

impl InstallConfig {
    /// Checks a configuration on its own (as received over the API): version, labels,
    /// channels used once, signs, multipliers, voltage references that exist.
    pub fn validate(&self) -> Report {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut err = |code: &str, slot: Option<String>, message: String| {
            errors.push(Finding { code: code.into(), message, slot });
        };
        if self.schema_version != INSTALL_CONFIG_SCHEMA_VERSION {
            err(
                "schema-version",
                None,
                format!(
                    "schema version {} (this panelscope reads {INSTALL_CONFIG_SCHEMA_VERSION})",
                    self.schema_version
                ),
            );
        }
        let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        let mut claim = |channel: &str, what: String, err: &mut dyn FnMut(&str, Option<String>, String)| {
            if channel.trim().is_empty() {
                err("empty-channel", Some(what.clone()), format!("{what} has no channel"));
            } else if let Some(other) = seen.insert(channel.to_string(), what.clone()) {
                err("channel-twice", Some(what.clone()), format!("channel {channel} is on both {other} and {what}"));
            }
        };
        for v in &self.voltages {
            claim(&v.channel, format!("voltage {:?}", v.phase), &mut err);
        }
        for m in &self.mains {
            claim(&m.channel, format!("mains {:?}", m.phase), &mut err);
            if m.sign != 1.0 && m.sign != -1.0 {
                err(
                    "sign",
                    Some(format!("mains {:?}", m.phase)),
                    format!("mains {:?}: sign {} (+1 or -1)", m.phase, m.sign),
                );
            }
        }
        let voltages: Vec<&str> = self.voltages.iter().map(|v| v.channel.as_str()).collect();
        for c in &self.circuits {
            if c.label.trim().is_empty() {
                err("empty-label", Some(c.slot.clone()), format!("the circuit on {} has no label", c.slot));
            }
            if !(c.multiplier.is_finite() && c.multiplier > 0.0) {
                err("multiplier", Some(c.slot.clone()), format!("\"{}\": the multiplier must be positive", c.label));
            }
            if c.channels.is_empty() {
                warnings.push(Finding {
                    code: "no-sensor".into(),
                    message: format!("\"{}\" has no channel: it will not be metered", c.label),
                    slot: Some(c.slot.clone()),
                });
            }
            for ch in &c.channels {
                claim(&ch.channel, format!("\"{}\" ({})", c.label, c.slot), &mut err);
                if ch.sign != 1.0 && ch.sign != -1.0 {
                    err("sign", Some(c.slot.clone()), format!("\"{}\": sign {} (+1 or -1)", c.label, ch.sign));
                }
                if let Some(v) = &ch.voltage_channel
                    && !voltages.contains(&v.as_str())
                {
                    err(
                        "unknown-voltage",
                        Some(c.slot.clone()),
                        format!("\"{}\": voltage channel {v} is not listed", c.label),
                    );
                }
            }
        }
        Report { errors, warnings }
    }

    /// What each channel is: circuits, mains and voltage references, in that order.
    pub fn channel_roles(&self) -> Vec<ChannelRole> {
        let mut roles = Vec::new();
        for c in &self.circuits {
            for ch in &c.channels {
                roles.push(ChannelRole {
                    channel: ch.channel.clone(),
                    label: c.label.clone(),
                    phase: ch.phase,
                    kind: RoleKind::Circuit,
                    voltage_channel: ch.voltage_channel.clone(),
                    sign: ch.sign,
                    multiplier: c.multiplier,
                });
            }
        }
        for m in &self.mains {
            roles.push(ChannelRole {
                channel: m.channel.clone(),
                label: format!("mains {:?}", m.phase),
                phase: m.phase,
                kind: RoleKind::Mains,
                voltage_channel: m.voltage_channel.clone(),
                sign: m.sign,
                multiplier: 1.0,
            });
        }
        for v in &self.voltages {
            roles.push(ChannelRole {
                channel: v.channel.clone(),
                label: format!("voltage {:?}", v.phase),
                phase: v.phase,
                kind: RoleKind::Voltage,
                voltage_channel: None,
                sign: 1.0,
                multiplier: 1.0,
            });
        }
        roles
    }

    /// `(current, voltage)`: each circuit or mains channel with the voltage channel of its
    /// phase, for power.
    pub fn current_pairs(&self) -> Vec<(String, String)> {
        self.channel_roles()
            .into_iter()
            .filter(|r| r.kind != RoleKind::Voltage)
            .filter_map(|r| Some((r.channel, r.voltage_channel?)))
            .collect()
    }

    /// As JSON (pretty).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("an install configuration serialises")
    }

    /// As RON (pretty).
    pub fn to_ron(&self) -> String {
        ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default())
            .expect("an install configuration serialises")
    }
}
