//! Edits of a panel project, and their undo: every change the editor makes is an [`Edit`]
//! applied by [`History::apply`], so the history can revert it and a test, a script or a
//! session can replay it.

use serde::{Deserialize, Serialize};

use super::{
    Breaker, BreakerKind, Circuit, Layout, Main, MainSensor, Phase, Position, Project, SensorRef, Strip,
    StripDirection, VoltageRef,
};

/// A change to the project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Edit {
    /// Put a breaker of `poles` (or a tandem, spare or blank) in `space`.
    AddBreaker {
        space: u32,
        poles: u8,
        kind: BreakerKind,
    },
    DeleteBreaker(usize),
    /// Move a breaker to start at another space.
    MoveBreaker {
        index: usize,
        space: u32,
    },
    SetPoles {
        index: usize,
        poles: u8,
    },
    SetRating {
        index: usize,
        rating_a: f64,
    },
    SetLabel {
        index: usize,
        circuit: usize,
        label: String,
    },
    SetLoadType {
        index: usize,
        circuit: usize,
        load_type: String,
    },
    SetGeneration {
        index: usize,
        circuit: usize,
        generation: bool,
    },
    SetMultiplier {
        index: usize,
        circuit: usize,
        multiplier: f64,
    },
    /// Map a sensor position to a circuit (taking it from any other circuit).
    MapSensor {
        index: usize,
        circuit: usize,
        sensor: SensorRef,
    },
    UnmapSensor {
        index: usize,
        circuit: usize,
        sensor: SensorRef,
    },
    /// Lay a strip of `positions` sensors from `first_space` down its column; channels are
    /// named `I_01`, `I_02`, ... after the highest already used.
    AddStrip {
        first_space: u32,
        positions: usize,
    },
    DeleteStrip(usize),
    SetStripPositions {
        strip: usize,
        positions: usize,
    },
    SetStripFirstSpace {
        strip: usize,
        first_space: u32,
    },
    SetChannel {
        strip: usize,
        position: usize,
        channel: String,
    },
    SetPositionRating {
        strip: usize,
        position: usize,
        rating_a: f64,
    },
    SetPositionReversed {
        strip: usize,
        position: usize,
        reversed: bool,
    },
    /// The mains sensor of a phase (`None` removes it).
    SetMains {
        phase: Phase,
        channel: Option<String>,
        rating_a: f64,
    },
    /// The voltage channel of a phase (`None` removes it).
    SetVoltageRef {
        phase: Phase,
        channel: Option<String>,
    },
    SetMainRating(f64),
    SetService(super::Service),
    SetFeed(super::FeedEnd),
    /// Main breaker (true) or main lugs.
    SetMainBreaker(bool),
    SetCircuitNotes {
        index: usize,
        circuit: usize,
        notes: String,
    },
    SetFedFrom(String),
    SetNotes(String),
    SetPanelName(String),
    SetSpaces(u32),
    /// The monitor the sensors plug into (`None`: no monitor). Choosing another device
    /// forgets the ports chosen on the previous one.
    SetMonitor(Option<super::Device>),
    /// The port of a channel's sensor on the monitor (`None`: the next free one, in order).
    SetPort {
        channel: String,
        port: Option<String>,
    },
    /// Replace the whole project (a template, a file).
    Replace(Box<Project>),
}

/// Unlimited undo and redo of a project, as whole snapshots (a project is small).
#[derive(Debug, Clone, Default)]
pub struct History {
    undo: Vec<Project>,
    redo: Vec<Project>,
}

impl History {
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Applies `edit` to `project`; returns whether it changed anything (an edit that would
    /// not, or is impossible, like a move past the panel, leaves the history alone).
    pub fn apply(&mut self, project: &mut Project, edit: &Edit) -> Result<bool, String> {
        let mut next = project.clone();
        edit_project(&mut next, edit)?;
        if next == *project {
            return Ok(false);
        }
        self.undo.push(std::mem::replace(project, next));
        self.redo.clear();
        Ok(true)
    }

    /// Goes back one edit; false when there is none.
    pub fn undo(&mut self, project: &mut Project) -> bool {
        let Some(previous) = self.undo.pop() else { return false };
        self.redo.push(std::mem::replace(project, previous));
        true
    }

    /// Redoes the edit last undone; false when there is none.
    pub fn redo(&mut self, project: &mut Project) -> bool {
        let Some(next) = self.redo.pop() else { return false };
        self.undo.push(std::mem::replace(project, next));
        true
    }
}

fn circuit_mut(p: &mut Project, index: usize, circuit: usize) -> Result<&mut Circuit, String> {
    p.breakers
        .get_mut(index)
        .and_then(|b| b.circuits.get_mut(circuit))
        .ok_or_else(|| format!("no circuit {circuit} on breaker {index}"))
}

/// Applies one edit to a project.
pub fn edit_project(p: &mut Project, edit: &Edit) -> Result<(), String> {
    match edit {
        Edit::AddBreaker { space, poles, kind } => {
            let circuits = match kind {
                BreakerKind::Breaker => vec![Circuit::new("")],
                BreakerKind::Tandem => vec![Circuit::new(""), Circuit::new("")],
                BreakerKind::Spare | BreakerKind::Space => Vec::new(),
            };
            let poles = if *kind == BreakerKind::Breaker { (*poles).clamp(1, 3) } else { 1 };
            let rating_a = match (kind, poles) {
                (BreakerKind::Space, _) => 0.0,
                (_, 1) => 20.0,
                _ => 30.0,
            };
            p.breakers.push(Breaker { space: *space, poles, kind: *kind, rating_a, circuits });
        }
        Edit::DeleteBreaker(i) => {
            if *i >= p.breakers.len() {
                return Err(format!("no breaker {i}"));
            }
            p.breakers.remove(*i);
        }
        Edit::MoveBreaker { index, space } => {
            let b = p.breakers.get_mut(*index).ok_or("no such breaker")?;
            if *space >= 1 {
                b.space = *space;
            }
        }
        Edit::SetPoles { index, poles } => {
            let b = p.breakers.get_mut(*index).ok_or("no such breaker")?;
            b.poles = (*poles).clamp(1, 3);
        }
        Edit::SetRating { index, rating_a } => {
            let b = p.breakers.get_mut(*index).ok_or("no such breaker")?;
            if rating_a.is_finite() && *rating_a >= 0.0 {
                b.rating_a = *rating_a;
            }
        }
        Edit::SetLabel { index, circuit, label } => circuit_mut(p, *index, *circuit)?.label = label.clone(),
        Edit::SetLoadType { index, circuit, load_type } => {
            circuit_mut(p, *index, *circuit)?.load_type = load_type.clone()
        }
        Edit::SetGeneration { index, circuit, generation } => {
            circuit_mut(p, *index, *circuit)?.direction =
                if *generation { super::Direction::Generation } else { super::Direction::Load }
        }
        Edit::SetMultiplier { index, circuit, multiplier } => {
            if multiplier.is_finite() && *multiplier > 0.0 {
                circuit_mut(p, *index, *circuit)?.multiplier = *multiplier;
            }
        }
        Edit::MapSensor { index, circuit, sensor } => {
            for b in &mut p.breakers {
                for c in &mut b.circuits {
                    c.sensors.retain(|s| s != sensor);
                }
            }
            let c = circuit_mut(p, *index, *circuit)?;
            c.sensors.push(*sensor);
            c.sensors.sort();
        }
        Edit::UnmapSensor { index, circuit, sensor } => {
            circuit_mut(p, *index, *circuit)?.sensors.retain(|s| s != sensor)
        }
        Edit::AddStrip { first_space, positions } => {
            let next = next_channel_number(p);
            let pitch = if p.layout() == Layout::NorthAmerican { 2 } else { 1 };
            p.strips.push(Strip {
                name: format!("S{}", p.strips.len() + 1),
                model: format!("{positions}-position strip"),
                pitch,
                first_space: *first_space,
                direction: StripDirection::Down,
                reversed: false,
                positions: (0..*positions)
                    .map(|k| Position { channel: format!("I_{:02}", next + k), rating_a: 50.0, reversed: false })
                    .collect(),
            });
        }
        Edit::DeleteStrip(index) => {
            if *index >= p.strips.len() {
                return Err(format!("no strip {index}"));
            }
            p.strips.remove(*index);
            // Sensors of the strip go; later strips move down one.
            for c in p.breakers.iter_mut().flat_map(|b| b.circuits.iter_mut()) {
                c.sensors.retain(|s| s.strip != *index);
                c.sensors.iter_mut().filter(|s| s.strip > *index).for_each(|s| s.strip -= 1);
            }
        }
        Edit::SetStripPositions { strip, positions } => {
            let next = next_channel_number(p);
            let st = p.strips.get_mut(*strip).ok_or("no such strip")?;
            let positions = (*positions).clamp(1, 64);
            let rating_a = st.positions.last().map_or(50.0, |q| q.rating_a);
            let grow = positions.saturating_sub(st.positions.len());
            st.positions.truncate(positions);
            st.positions.extend((0..grow).map(|k| Position {
                channel: format!("I_{:02}", next + k),
                rating_a,
                reversed: false,
            }));
            for c in p.breakers.iter_mut().flat_map(|b| b.circuits.iter_mut()) {
                c.sensors.retain(|s| s.strip != *strip || s.position < positions);
            }
        }
        Edit::SetStripFirstSpace { strip, first_space } => {
            p.strips.get_mut(*strip).ok_or("no such strip")?.first_space = (*first_space).max(1);
        }
        Edit::SetChannel { strip, position, channel } => {
            p.strips.get_mut(*strip).and_then(|s| s.positions.get_mut(*position)).ok_or("no such position")?.channel =
                channel.trim().to_string();
        }
        Edit::SetPositionRating { strip, position, rating_a } => {
            if rating_a.is_finite() && *rating_a > 0.0 {
                p.strips
                    .get_mut(*strip)
                    .and_then(|s| s.positions.get_mut(*position))
                    .ok_or("no such position")?
                    .rating_a = *rating_a;
            }
        }
        Edit::SetPositionReversed { strip, position, reversed } => {
            p.strips.get_mut(*strip).and_then(|s| s.positions.get_mut(*position)).ok_or("no such position")?.reversed =
                *reversed;
        }
        Edit::SetMains { phase, channel, rating_a } => {
            p.mains.retain(|m| m.phase != *phase);
            if let Some(channel) = channel {
                p.mains.push(MainSensor {
                    phase: *phase,
                    channel: channel.trim().to_string(),
                    rating_a: *rating_a,
                    reversed: false,
                });
                p.mains.sort_by_key(|m| m.phase);
            }
        }
        Edit::SetVoltageRef { phase, channel } => {
            p.voltage_refs.retain(|v| v.phase != *phase);
            if let Some(channel) = channel {
                p.voltage_refs.push(VoltageRef { phase: *phase, channel: channel.trim().to_string() });
                p.voltage_refs.sort_by_key(|v| v.phase);
            }
        }
        Edit::SetMainRating(rating_a) => {
            if rating_a.is_finite() && *rating_a > 0.0 {
                p.panel.main = match p.panel.main {
                    Main::Breaker { .. } => Main::Breaker { rating_a: *rating_a },
                    Main::Lugs { .. } => Main::Lugs { rating_a: *rating_a },
                };
            }
        }
        Edit::SetService(service) => p.panel.service = *service,
        Edit::SetFeed(feed) => p.panel.feed = *feed,
        Edit::SetMainBreaker(breaker) => {
            let (Main::Breaker { rating_a } | Main::Lugs { rating_a }) = p.panel.main;
            p.panel.main = if *breaker { Main::Breaker { rating_a } } else { Main::Lugs { rating_a } };
        }
        Edit::SetCircuitNotes { index, circuit, notes } => circuit_mut(p, *index, *circuit)?.notes = notes.clone(),
        Edit::SetFedFrom(text) => p.panel.fed_from = text.clone(),
        Edit::SetNotes(text) => p.panel.notes = text.clone(),
        Edit::SetPanelName(name) => p.panel.name = name.clone(),
        Edit::SetSpaces(n) => p.panel.spaces = (*n).clamp(1, 200),
        Edit::SetMonitor(device) => match (device, &p.monitor) {
            (None, _) => p.monitor = None,
            (Some(d), Some(m)) if m.device == *d => {}
            (Some(d), _) => p.monitor = Some(super::Monitor::new(*d)),
        },
        Edit::SetPort { channel, port } => {
            let monitor = p.monitor.as_mut().ok_or("choose the monitor before its ports")?;
            match port {
                None => {
                    monitor.ports.remove(channel);
                }
                Some(port) => {
                    let port = port.trim().to_ascii_uppercase();
                    if !monitor.device.ports().contains(&port) {
                        return Err(format!("{} has no port {port}", monitor.device.label()));
                    }
                    monitor.ports.insert(channel.trim().to_string(), port);
                }
            }
        }
        Edit::Replace(project) => *p = (**project).clone(),
    }
    Ok(())
}

/// One past the highest `I_nn` channel number on the strips.
fn next_channel_number(p: &Project) -> usize {
    p.strips
        .iter()
        .flat_map(|s| &s.positions)
        .filter_map(|q| q.channel.strip_prefix("I_")?.parse::<usize>().ok())
        .max()
        .map_or(1, |n| n + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panel::template;

    #[test]
    fn undo_and_redo_walk_the_history() {
        let mut p = template("split-phase-20").unwrap();
        let mut h = History::default();
        assert!(h.apply(&mut p, &Edit::AddBreaker { space: 3, poles: 2, kind: BreakerKind::Breaker }).unwrap());
        assert!(!h.apply(&mut p, &Edit::SetPoles { index: 0, poles: 2 }).unwrap(), "no change, no history");
        assert!(h.apply(&mut p, &Edit::SetLabel { index: 0, circuit: 0, label: "Range".into() }).unwrap());
        assert!(h.undo(&mut p) && p.breakers[0].circuits[0].label.is_empty());
        assert!(h.undo(&mut p) && p.breakers.is_empty() && !h.can_undo());
        assert!(h.redo(&mut p) && h.redo(&mut p) && !h.can_redo());
        assert_eq!(p.breakers[0].circuits[0].label, "Range");
        assert!(h.apply(&mut p, &Edit::DeleteBreaker(7)).is_err());
    }

    #[test]
    fn a_monitor_and_its_ports_are_edits_checked_live() {
        let mut p = crate::panel::sample_panel();
        let mut h = History::default();
        let port = |channel: &str, port: &str| Edit::SetPort { channel: channel.into(), port: Some(port.into()) };
        assert!(h.apply(&mut p, &port("I_01", "3")).is_err(), "no monitor yet");
        assert!(h.apply(&mut p, &Edit::SetMonitor(Some(crate::panel::Device::IoTaWatt))).unwrap());
        assert!(p.validate().errors.is_empty(), "{:#?}", p.validate().errors);
        let first = crate::panel::ports_by_channel(&p);
        assert!(!first.is_empty(), "ports are derived in order");
        let (a, b) = {
            let mut it = first.iter().filter(|(_, port)| port.as_str() != "0");
            (it.next().unwrap().0.clone(), it.next().unwrap().0.clone())
        };
        assert!(h.apply(&mut p, &port(&a, "14")).unwrap());
        assert_eq!(crate::panel::ports_by_channel(&p)[&a], "14");
        assert!(h.apply(&mut p, &port(&b, "14")).unwrap());
        assert!(p.validate().errors.iter().any(|f| f.code == "port-twice"), "the device's rules apply live");
        assert!(h.apply(&mut p, &port(&b, "99")).is_err(), "a port the device lacks");
        assert!(h.apply(&mut p, &Edit::SetPort { channel: b.clone(), port: None }).unwrap());
        assert!(p.validate().errors.is_empty());
        // Another device forgets the first one's ports.
        assert!(h.apply(&mut p, &Edit::SetMonitor(Some(crate::panel::Device::EmporiaVue2))).unwrap());
        assert!(p.monitor.as_ref().unwrap().ports.is_empty());
        assert!(h.undo(&mut p) && p.monitor.as_ref().unwrap().ports[&a] == "14");
    }
}
