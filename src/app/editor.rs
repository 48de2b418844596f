//! The panel editor's state: the project, the selection, unlimited undo and redo (whole
//! snapshots: a project is small), live validation, and autosave for recovery after a
//! crash. Every change goes through [`PanelEditor::apply`], so the UI stays thin.

use std::path::{Path, PathBuf};

use crate::panel::{
    Breaker, BreakerKind, Circuit, Layout, Main, MainSensor, Phase, Position, Project, Report, SensorRef, Strip,
    StripDirection, VoltageRef,
};

/// What is selected in the drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// An empty space.
    Space(u32),
    /// A breaker (index in the project).
    Breaker(usize),
    /// A sensor strip (index in the project).
    Strip(usize),
}

/// A change to the project.
#[derive(Debug, Clone, PartialEq)]
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
    SetService(crate::panel::Service),
    SetFeed(crate::panel::FeedEnd),
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
    /// Replace the whole project (a template, a file).
    Replace(Box<Project>),
}

/// The editor: a project and its history.
pub struct PanelEditor {
    pub project: Project,
    /// Where it is saved; `None` until saved.
    pub path: Option<PathBuf>,
    pub selection: Option<Selection>,
    pub report: Report,
    /// Changed since the last save.
    pub dirty: bool,
    /// Autosaved changes found when the project was opened (a crash), until recovered or
    /// dismissed.
    pub recovered: Option<Project>,
    undo: Vec<Project>,
    redo: Vec<Project>,
    /// Where changes are autosaved (beside the project, or in the temporary folder).
    autosave: PathBuf,
}

/// The autosave file of a project file.
pub fn autosave_path(project: Option<&Path>) -> PathBuf {
    match project {
        Some(p) => {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "panel.ron".into());
            p.with_file_name(format!(".{name}.autosave"))
        }
        None => std::env::temp_dir().join("panelscope-untitled-autosave.ron"),
    }
}

impl PanelEditor {
    /// An editor on `project`, saved at `path` if given.
    pub fn new(project: Project, path: Option<PathBuf>) -> Self {
        let report = project.validate();
        let autosave = autosave_path(path.as_deref());
        Self {
            project,
            path,
            selection: None,
            report,
            dirty: false,
            recovered: None,
            undo: Vec::new(),
            redo: Vec::new(),
            autosave,
        }
    }

    /// Opens a project file.
    pub fn open(path: &Path) -> Result<Self, String> {
        let project = Project::load(path).map_err(|e| e.to_string())?;
        let mut editor = Self::new(project, Some(path.to_path_buf()));
        editor.recovered = editor.recovery();
        Ok(editor)
    }

    /// An autosaved version newer than the file, if one was left by a crash.
    pub fn recovery(&self) -> Option<Project> {
        let saved = std::fs::metadata(&self.autosave).ok()?.modified().ok()?;
        if let Some(path) = &self.path
            && std::fs::metadata(path).ok()?.modified().ok()? > saved
        {
            return None;
        }
        Project::load(&self.autosave).ok().filter(|p| *p != self.project)
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub fn undo(&mut self) {
        if let Some(previous) = self.undo.pop() {
            self.redo.push(std::mem::replace(&mut self.project, previous));
            self.changed();
        }
    }

    pub fn redo(&mut self) {
        if let Some(next) = self.redo.pop() {
            self.undo.push(std::mem::replace(&mut self.project, next));
            self.changed();
        }
    }

    /// Applies an edit; an edit that would not change anything (or is impossible, like a
    /// move past the panel) leaves the history alone.
    pub fn apply(&mut self, edit: Edit) -> Result<(), String> {
        let mut next = self.project.clone();
        edit_project(&mut next, &edit)?;
        if next == self.project {
            return Ok(());
        }
        if let Edit::AddBreaker { .. } = edit {
            self.selection = Some(Selection::Breaker(next.breakers.len() - 1));
        }
        if let Edit::DeleteBreaker(_) | Edit::DeleteStrip(_) | Edit::Replace(_) = edit {
            self.selection = None;
        }
        if let Edit::AddStrip { .. } = edit {
            self.selection = Some(Selection::Strip(next.strips.len() - 1));
        }
        self.undo.push(std::mem::replace(&mut self.project, next));
        self.redo.clear();
        self.changed();
        Ok(())
    }

    fn changed(&mut self) {
        self.report = self.project.validate();
        self.dirty = true;
        match self.selection {
            Some(Selection::Breaker(i)) if i >= self.project.breakers.len() => self.selection = None,
            Some(Selection::Strip(i)) if i >= self.project.strips.len() => self.selection = None,
            _ => {}
        }
        // Autosave: a failure here must not stop editing; the next change tries again.
        let _ = crate::panel::write_atomic(&self.autosave, &self.project.to_ron());
    }

    /// Saves to `path` (atomically) and forgets the autosave.
    pub fn save(&mut self, path: &Path) -> Result<(), String> {
        self.project.save(path).map_err(|e| e.to_string())?;
        let _ = std::fs::remove_file(&self.autosave);
        self.path = Some(path.to_path_buf());
        self.autosave = autosave_path(Some(path));
        self.dirty = false;
        Ok(())
    }
}

fn circuit_mut(p: &mut Project, index: usize, circuit: usize) -> Result<&mut Circuit, String> {
    p.breakers
        .get_mut(index)
        .and_then(|b| b.circuits.get_mut(circuit))
        .ok_or_else(|| format!("no circuit {circuit} on breaker {index}"))
}

/// Applies one edit to a project.
fn edit_project(p: &mut Project, edit: &Edit) -> Result<(), String> {
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
                if *generation { crate::panel::Direction::Generation } else { crate::panel::Direction::Load }
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
    use crate::panel::{sample_panel, template};

    fn editor() -> PanelEditor {
        let mut e = PanelEditor::new(template("split-phase-20").unwrap(), None);
        // Tests must not share the temporary autosave file.
        e.autosave = tempfile::NamedTempFile::new().unwrap().path().with_extension("autosave");
        e
    }

    #[test]
    fn add_label_undo_redo() {
        let mut e = editor();
        e.apply(Edit::AddBreaker { space: 3, poles: 2, kind: BreakerKind::Breaker }).unwrap();
        assert_eq!(e.selection, Some(Selection::Breaker(0)));
        assert!(e.report.errors.iter().any(|f| f.code == "empty-label"), "live validation");
        e.apply(Edit::SetLabel { index: 0, circuit: 0, label: "Range".into() }).unwrap();
        assert!(e.report.errors.is_empty());
        assert_eq!(e.project.spaces_of(&e.project.breakers[0]), [3, 5]);
        e.undo();
        assert_eq!(e.project.breakers[0].circuits[0].label, "");
        e.undo();
        assert!(e.project.breakers.is_empty() && !e.can_undo());
        e.redo();
        e.redo();
        assert_eq!(e.project.breakers[0].circuits[0].label, "Range");
        assert!(!e.can_redo());
        // A new edit after an undo drops the redo history.
        e.undo();
        e.apply(Edit::SetRating { index: 0, rating_a: 40.0 }).unwrap();
        assert!(!e.can_redo());
    }

    #[test]
    fn mapping_a_sensor_moves_it_between_circuits() {
        let mut e = PanelEditor::new(sample_panel(), None);
        e.autosave = tempfile::NamedTempFile::new().unwrap().path().with_extension("autosave");
        let sensor = SensorRef { strip: 1, position: 0 };
        // From the space heater (breaker 1) to the blower (breaker 2): both now wrong.
        e.apply(Edit::MapSensor { index: 2, circuit: 0, sensor }).unwrap();
        assert!(!e.project.breakers[1].circuits[0].sensors.contains(&sensor));
        assert!(e.report.errors.iter().any(|f| f.code == "sensor-elsewhere"));
        e.undo();
        assert!(e.report.errors.is_empty());
    }

    #[test]
    fn strips_mains_and_references() {
        let mut e = editor();
        e.apply(Edit::AddBreaker { space: 1, poles: 1, kind: BreakerKind::Breaker }).unwrap();
        e.apply(Edit::SetLabel { index: 0, circuit: 0, label: "Lights".into() }).unwrap();
        e.apply(Edit::AddStrip { first_space: 1, positions: 4 }).unwrap();
        assert_eq!(e.selection, Some(Selection::Strip(0)));
        let channels: Vec<&str> = e.project.strips[0].positions.iter().map(|q| q.channel.as_str()).collect();
        assert_eq!(channels, ["I_01", "I_02", "I_03", "I_04"]);
        e.apply(Edit::AddStrip { first_space: 2, positions: 2 }).unwrap();
        assert_eq!(e.project.strips[1].positions[0].channel, "I_05", "numbering continues");
        e.apply(Edit::MapSensor { index: 0, circuit: 0, sensor: SensorRef { strip: 1, position: 0 } }).unwrap();
        assert!(e.report.errors.iter().any(|f| f.code == "sensor-elsewhere"), "space 2 is not the breaker's");
        e.apply(Edit::MapSensor { index: 0, circuit: 0, sensor: SensorRef { strip: 0, position: 0 } }).unwrap();
        e.apply(Edit::UnmapSensor { index: 0, circuit: 0, sensor: SensorRef { strip: 1, position: 0 } }).unwrap();
        e.apply(Edit::SetMains { phase: Phase::A, channel: Some("I_MA".into()), rating_a: 200.0 }).unwrap();
        e.apply(Edit::SetVoltageRef { phase: Phase::A, channel: Some("V_A".into()) }).unwrap();
        assert!(e.report.errors.is_empty(), "{:#?}", e.report.errors);
        // Deleting the first strip drops its sensors and renumbers the rest.
        e.apply(Edit::MapSensor { index: 0, circuit: 0, sensor: SensorRef { strip: 1, position: 1 } }).unwrap();
        e.apply(Edit::DeleteStrip(0)).unwrap();
        assert_eq!(e.project.breakers[0].circuits[0].sensors, [SensorRef { strip: 0, position: 1 }]);
        e.apply(Edit::SetStripPositions { strip: 0, positions: 1 }).unwrap();
        assert!(e.project.breakers[0].circuits[0].sensors.is_empty(), "a removed position is unmapped");
        e.apply(Edit::SetChannel { strip: 0, position: 0, channel: " V_A ".into() }).unwrap();
        assert!(e.report.errors.iter().any(|f| f.code == "channel-twice"));
    }

    #[test]
    fn service_and_main_are_editable() {
        let mut e = editor();
        e.apply(Edit::AddBreaker { space: 1, poles: 3, kind: BreakerKind::Breaker }).unwrap();
        e.apply(Edit::SetLabel { index: 0, circuit: 0, label: "RTU".into() }).unwrap();
        assert!(e.report.errors.iter().any(|f| f.code == "three-pole-on-single-phase"));
        e.apply(Edit::SetService(crate::panel::Service::Wye208_120)).unwrap();
        assert!(e.report.errors.is_empty(), "{:#?}", e.report.errors);
        e.apply(Edit::SetMainBreaker(false)).unwrap();
        e.apply(Edit::SetMainRating(225.0)).unwrap();
        assert_eq!(e.project.panel.main, Main::Lugs { rating_a: 225.0 });
        e.apply(Edit::SetCircuitNotes { index: 0, circuit: 0, notes: "roof".into() }).unwrap();
        assert_eq!(e.project.breakers[0].circuits[0].notes, "roof");
    }

    #[test]
    fn autosave_and_recovery() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.ron");
        let mut e = PanelEditor::new(template("split-phase-30").unwrap(), None);
        e.save(&path).unwrap();
        assert!(!e.dirty);
        e.apply(Edit::SetPanelName("Shop".into())).unwrap();
        assert!(autosave_path(Some(&path)).exists(), "autosaved");
        // A crash now: the file is older than the autosave, which is offered back.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let reopened = PanelEditor::open(&path).unwrap();
        let recovered = reopened.recovered.clone().expect("the autosave is offered");
        assert_eq!(recovered.panel.name, "Shop");
        e.save(&path).unwrap();
        assert!(!autosave_path(Some(&path)).exists(), "a save clears the autosave");
        assert!(PanelEditor::open(&path).unwrap().recovered.is_none());
    }
}
