//! Validation of a panel project, as an installer or engineer would check it. Errors block
//! the export of an install configuration; warnings are listed. Every finding names its
//! slot (space, strip position, mains) and the circuit.

use super::model::MAX_SPACES;
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::model::{BreakerKind, Direction, Layout, Project, SensorRef, Service};

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Finding {
    /// Stable identifier of the rule, e.g. `space-conflict`.
    pub code: String,
    pub message: String,
    /// Where: `space 7`, `spaces 7, 9`, `strip S1 position 3`, `mains A`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
}

/// What validation found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Report {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    fn error(&mut self, code: &str, slot: Option<String>, message: String) {
        self.errors.push(Finding { code: code.into(), message, slot });
    }

    fn warn(&mut self, code: &str, slot: Option<String>, message: String) {
        self.warnings.push(Finding { code: code.into(), message, slot });
    }

    /// Findings of the given code (errors and warnings), for tests and the editor.
    pub fn codes(&self) -> Vec<&str> {
        self.errors.iter().chain(&self.warnings).map(|f| f.code.as_str()).collect()
    }
}

/// Words in a label or load type that mean a source, not a load.
const GENERATION_WORDS: [&str; 7] = ["solar", "pv", "photovoltaic", "inverter", "generator", "battery", "backfeed"];

impl Project {
    /// Checks the whole project.
    pub fn validate(&self) -> Report {
        let mut r = Report::default();
        let layout = self.layout();
        let service = self.panel.service;
        let unit = if layout == Layout::DinRail { "module" } else { "space" };
        if self.panel.spaces == 0 {
            r.error("no-spaces", None, "the panel has no spaces".into());
        }
        if self.panel.spaces > MAX_SPACES {
            r.error(
                "too-many-spaces",
                None,
                format!("{} {unit}s; real panels have at most {MAX_SPACES}", self.panel.spaces),
            );
            // Every rule below walks the spaces: not for an absurd panel.
            return r;
        }
        if self.panel.name.trim().is_empty() {
            r.warn("panel-name", None, "the panel has no name".into());
        }

        // Breakers: where they sit, their poles and their circuits.
        let mut occupied: BTreeMap<u32, usize> = BTreeMap::new();
        for (i, b) in self.breakers.iter().enumerate() {
            let slot = self.slot(b);
            let name = self.breaker_name(i);
            if !(1..=3).contains(&b.poles) {
                r.error("poles", Some(slot.clone()), format!("{name}: {} poles; a breaker has 1 to 3", b.poles));
                continue;
            }
            if b.space == 0 {
                r.error("past-last-space", Some(slot.clone()), format!("{name}: {unit}s are numbered from 1"));
                continue;
            }
            for s in self.spaces_of(b) {
                if s > self.panel.spaces {
                    r.error(
                        "past-last-space",
                        Some(slot.clone()),
                        format!("{name}: {unit} {s} is past the last {unit} ({})", self.panel.spaces),
                    );
                } else if let Some(&other) = occupied.get(&s) {
                    r.error(
                        "space-conflict",
                        Some(format!("{unit} {s}")),
                        format!(
                            "{name} and {} are both in {unit} {s} (two circuits in one space need a tandem)",
                            self.breaker_name(other)
                        ),
                    );
                } else {
                    occupied.insert(s, i);
                }
            }
            let phases = self.phases_of(b);
            if b.poles == 3 && matches!(service, Service::SplitPhase120_240 | Service::SinglePhase230) {
                r.error(
                    "three-pole-on-single-phase",
                    Some(slot.clone()),
                    format!("{name}: a 3-pole breaker on a {} panel", service.as_str()),
                );
            } else if b.poles >= 2 && service != Service::SinglePhase230 {
                let mut distinct = phases.clone();
                distinct.sort();
                distinct.dedup();
                if distinct.len() < phases.len() {
                    r.error(
                        "poles-same-phase",
                        Some(slot.clone()),
                        format!("{name}: its {} poles do not span {} phases", b.poles, b.poles),
                    );
                }
            }
            match b.kind {
                BreakerKind::Tandem if b.poles != 1 => {
                    r.error("tandem-poles", Some(slot.clone()), format!("{name}: a tandem takes one space"));
                }
                BreakerKind::Tandem if b.circuits.len() != 2 => r.error(
                    "tandem-circuits",
                    Some(slot.clone()),
                    format!("{name}: a tandem feeds two circuits, not {}", b.circuits.len()),
                ),
                BreakerKind::Breaker if b.circuits.len() != 1 => r.error(
                    "breaker-circuits",
                    Some(slot.clone()),
                    format!("{name}: a breaker feeds one circuit, not {} (mark it spare if unused)", b.circuits.len()),
                ),
                BreakerKind::Spare | BreakerKind::Space if !b.circuits.is_empty() => r.error(
                    "spare-with-circuit",
                    Some(slot.clone()),
                    format!("{name}: a {} has no circuit", b.kind.as_str()),
                ),
                _ => {}
            }
            if b.kind != BreakerKind::Space && !(b.rating_a > 0.0 && b.rating_a.is_finite()) {
                r.error("rating", Some(slot.clone()), format!("{name}: no trip rating"));
            }
        }

        // Circuits: labels, sensors, generation.
        let mut labels: HashMap<String, Vec<String>> = HashMap::new();
        let mut sensed_by: HashMap<SensorRef, String> = HashMap::new();
        for (i, b, c) in self.circuits() {
            let slot = self.slot(b);
            if c.label.trim().is_empty() {
                r.error("empty-label", Some(slot.clone()), format!("the circuit on {slot} has no label"));
            } else {
                labels.entry(c.label.trim().to_lowercase()).or_default().push(slot.clone());
            }
            let name = circuit_name(&c.label, &slot);
            let spaces = self.spaces_of(b);
            if c.sensors.is_empty() {
                r.warn("no-sensor", Some(slot.clone()), format!("{name} has no sensor: it will not be metered"));
            }
            for &sensor in &c.sensors {
                let at = self.sensor_slot(sensor);
                let Some(position) = self.position(sensor) else {
                    r.error(
                        "sensor-missing",
                        Some(at.clone()),
                        format!("{name} is mapped to {at}, which does not exist"),
                    );
                    continue;
                };
                if let Some(other) = sensed_by.insert(sensor, name.clone()) {
                    r.error("sensor-twice", Some(at.clone()), format!("{at} is mapped to both {other} and {name}"));
                }
                match self.strips[sensor.strip].space_of(sensor.position) {
                    Some(space) if spaces.contains(&space) => {}
                    Some(space) => r.error(
                        "sensor-elsewhere",
                        Some(at.clone()),
                        format!("{at} sits over {unit} {space}, not over {name}"),
                    ),
                    None => r.error("sensor-elsewhere", Some(at.clone()), format!("{at} sits before {unit} 1")),
                }
                if b.rating_a > position.rating_a {
                    r.warn(
                        "rating-beyond-sensor",
                        Some(at.clone()),
                        format!(
                            "{name}: breaker {} A, sensor {} ({}) rated {} A",
                            b.rating_a, at, position.channel, position.rating_a
                        ),
                    );
                }
            }
            let sensed = c.sensors.len();
            if b.poles > 1 && sensed > 0 && sensed < usize::from(b.poles) && c.multiplier == 1.0 {
                r.error(
                    "unsensed-pole",
                    Some(slot.clone()),
                    format!(
                        "{name}: {} of its {} poles sensed and no multiplier (set {} for a balanced load)",
                        sensed,
                        b.poles,
                        b.poles as usize / sensed
                    ),
                );
            }
            if !(c.multiplier.is_finite() && c.multiplier > 0.0) {
                r.error("multiplier", Some(slot.clone()), format!("{name}: the multiplier must be positive"));
            }
            if c.sign != 1.0 && c.sign != -1.0 {
                r.error("sign", Some(slot.clone()), format!("{name}: the sign is +1 or -1, not {}", c.sign));
            }
            let text = format!("{} {}", c.label, c.load_type).to_lowercase();
            let looks_generating = text.split(|ch: char| !ch.is_alphanumeric()).any(|w| GENERATION_WORDS.contains(&w));
            match c.direction {
                Direction::Load if looks_generating => r.warn(
                    "generation-as-load",
                    Some(slot.clone()),
                    format!("{name} looks like a source: mark it generation (its power is expected negative)"),
                ),
                Direction::Generation if b.poles < 2 && service.phases().len() > 1 && spaces.len() == 1 => r.warn(
                    "generation-single-pole",
                    Some(slot.clone()),
                    format!("{name}: generation on one pole; backfed inverters usually take two"),
                ),
                _ => {}
            }
            let _ = i;
        }
        for (label, slots) in labels {
            if slots.len() > 1 {
                r.warn(
                    "duplicate-label",
                    Some(slots.join("; ")),
                    format!(
                        "the label \"{label}\" is on {}: the directory will not tell them apart",
                        slots.join(" and ")
                    ),
                );
            }
        }

        // Strips: where they sit.
        let mut covered: BTreeMap<u32, String> = BTreeMap::new();
        for (s, strip) in self.strips.iter().enumerate() {
            if strip.pitch == 0 {
                r.error("strip-pitch", Some(strip.name.clone()), format!("strip {}: pitch 0", strip.name));
                continue;
            }
            for k in 0..strip.positions.len() {
                let at = self.sensor_slot(SensorRef { strip: s, position: k });
                match strip.space_of(k) {
                    Some(space) if space <= self.panel.spaces => {
                        if let Some(other) = covered.insert(space, strip.name.clone())
                            && other != strip.name
                        {
                            r.error(
                                "strips-overlap",
                                Some(format!("{unit} {space}")),
                                format!("strips {other} and {} both lie over {unit} {space}", strip.name),
                            );
                        }
                        if layout == Layout::NorthAmerican
                            && let Some(first) = strip.space_of(0)
                            && first % 2 != space % 2
                        {
                            r.error("strip-column", Some(at), format!("strip {} crosses columns", strip.name));
                        }
                    }
                    _ => r.warn("strip-past-panel", Some(at.clone()), format!("{at} lies outside the panel")),
                }
            }
        }

        // Channels: each names one thing.
        let mut channels: HashMap<String, String> = HashMap::new();
        let mut claim = |r: &mut Report, channel: &str, what: String| {
            if channel.trim().is_empty() {
                r.error("empty-channel", Some(what.clone()), format!("{what} has no channel"));
            } else if let Some(other) = channels.insert(channel.to_string(), what.clone()) {
                r.error(
                    "channel-twice",
                    Some(what.clone()),
                    format!("channel {channel} is on both {other} and {what}"),
                );
            }
        };
        for (s, strip) in self.strips.iter().enumerate() {
            for (k, p) in strip.positions.iter().enumerate() {
                claim(&mut r, &p.channel, self.sensor_slot(SensorRef { strip: s, position: k }));
            }
        }
        for m in &self.mains {
            claim(&mut r, &m.channel, format!("mains {}", m.phase.name(layout)));
            if let super::model::Main::Breaker { rating_a } | super::model::Main::Lugs { rating_a } = self.panel.main
                && rating_a > m.rating_a
            {
                r.warn(
                    "rating-beyond-sensor",
                    Some(format!("mains {}", m.phase.name(layout))),
                    format!("main rated {rating_a} A, its sensor {} rated {} A", m.channel, m.rating_a),
                );
            }
        }
        for v in &self.voltage_refs {
            claim(&mut r, &v.channel, format!("voltage {}", v.phase.name(layout)));
        }

        // Mains and voltage references per phase.
        for &phase in service.phases() {
            let used = self.circuits().any(|(_, b, _)| self.phases_of(b).contains(&phase));
            if used && !self.voltage_refs.iter().any(|v| v.phase == phase) {
                r.warn(
                    "no-voltage-ref",
                    Some(format!("phase {}", phase.name(layout))),
                    format!("no voltage reference for phase {}: its circuits get no power", phase.name(layout)),
                );
            }
        }
        if self.mains.is_empty() {
            r.warn("no-mains", None, "no mains sensors: the balance (mains minus circuits) cannot be computed".into());
        }
        // The chosen monitor's own rules: ports, port counts, names.
        r.errors.extend(super::device::monitor_findings(self));
        r
    }

    /// `breaker on spaces 7, 9 ("Dryer")`.
    fn breaker_name(&self, i: usize) -> String {
        let b = &self.breakers[i];
        let labels: Vec<&str> = b.circuits.iter().map(|c| c.label.as_str()).filter(|l| !l.is_empty()).collect();
        if labels.is_empty() {
            format!("the {} on {}", b.kind.as_str(), self.slot(b))
        } else {
            format!("the {} on {} (\"{}\")", b.kind.as_str(), self.slot(b), labels.join("\", \""))
        }
    }

    /// `strip S1 position 3` (positions counted from 1 for people).
    pub fn sensor_slot(&self, sensor: SensorRef) -> String {
        match self.strips.get(sensor.strip) {
            Some(strip) => format!("strip {} position {}", strip.name, sensor.position + 1),
            None => format!("strip #{} position {}", sensor.strip + 1, sensor.position + 1),
        }
    }
}

fn circuit_name(label: &str, slot: &str) -> String {
    if label.trim().is_empty() { format!("the circuit on {slot}") } else { format!("\"{label}\" ({slot})") }
}
