//! The panel editor's state and its update: the project, the selection, undo and redo
//! (the core's [`History`] of [`Edit`]s), live validation, and autosave for recovery after
//! a crash. Opening, saving, exporting and autosaving are effects the task layer runs;
//! their failures are shown to the user.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::message::{EditorAction, TaskMessage};
use super::state::Selection;
use super::tasks::{Effect, Outcome, files};
use crate::panel::{Edit, History, Project, Report};

/// The editor: a project and its history.
pub struct PanelEditor {
    pub project: Project,
    /// Where it is saved; `None` until saved.
    pub path: Option<PathBuf>,
    pub selection: Option<Selection>,
    pub report: Report,
    /// The monitor port of each sensor's channel (empty without a monitor, or when the
    /// device cannot take the project: the report says why).
    pub ports: BTreeMap<String, String>,
    /// Changed since the last save.
    pub dirty: bool,
    /// Autosaved changes found when the project was opened (a crash), until recovered or
    /// dismissed. No autosave is written meanwhile, so the crash's changes stay on disk.
    pub recovered: Option<Project>,
    /// The last autosave failed: why (shown until one succeeds).
    pub autosave_error: Option<String>,
    /// A New or Open asked for while there are unsaved changes: held until the user says
    /// to discard them or to keep editing.
    pub held_back: Option<Box<EditorAction>>,
    history: History,
    /// Where changes are autosaved (beside the project, or in the app's data folder).
    autosave: PathBuf,
}

/// The autosave file of a project file; an untitled project's goes in `untitled_dir`
/// (the app's data folder), under a name of its own.
pub fn autosave_path(project: Option<&Path>) -> PathBuf {
    match project {
        Some(p) => {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "panel.ron".into());
            p.with_file_name(format!(".{name}.autosave"))
        }
        None => untitled_dir().join(format!(
            "untitled-{}-{}.autosave.ron",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        )),
    }
}

/// Where untitled projects are autosaved: the app's data folder, else the temporary one.
fn untitled_dir() -> PathBuf {
    eframe::storage_dir("panelscope").map_or_else(std::env::temp_dir, |d| d.join("autosave"))
}

impl PanelEditor {
    /// An editor on `project`, saved at `path` if given.
    pub fn new(project: Project, path: Option<PathBuf>) -> Self {
        let report = project.validate();
        let ports = crate::panel::ports_by_channel(&project);
        let autosave = autosave_path(path.as_deref());
        Self {
            project,
            path,
            selection: None,
            report,
            ports,
            dirty: false,
            recovered: None,
            autosave_error: None,
            held_back: None,
            history: History::default(),
            autosave,
        }
    }

    pub fn can_undo(&self) -> bool {
        self.history.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.history.can_redo()
    }

    /// Where this project is autosaved.
    pub fn autosave_file(&self) -> &Path {
        &self.autosave
    }

    pub fn undo(&mut self) -> Option<Effect> {
        self.history.undo(&mut self.project).then(|| self.changed()).flatten()
    }

    pub fn redo(&mut self) -> Option<Effect> {
        self.history.redo(&mut self.project).then(|| self.changed()).flatten()
    }

    /// Applies an edit; returns the autosave it calls for. An edit that would not change
    /// anything leaves the history alone.
    pub fn apply(&mut self, edit: Edit) -> Result<Option<Effect>, String> {
        if !self.history.apply(&mut self.project, &edit)? {
            return Ok(None);
        }
        match edit {
            Edit::AddBreaker { .. } => self.selection = Some(Selection::Breaker(self.project.breakers.len() - 1)),
            Edit::DeleteBreaker(_) | Edit::DeleteStrip(_) | Edit::Replace(_) => self.selection = None,
            Edit::AddStrip { .. } => self.selection = Some(Selection::Strip(self.project.strips.len() - 1)),
            _ => {}
        }
        Ok(self.changed())
    }

    /// Validates again and autosaves (unless a crash's autosave is still on offer).
    fn changed(&mut self) -> Option<Effect> {
        self.report = self.project.validate();
        self.ports = crate::panel::ports_by_channel(&self.project);
        self.dirty = true;
        match self.selection {
            Some(Selection::Breaker(i)) if i >= self.project.breakers.len() => self.selection = None,
            Some(Selection::Strip(i)) if i >= self.project.strips.len() => self.selection = None,
            _ => {}
        }
        if self.recovered.is_some() {
            return None;
        }
        let (path, text) = (self.autosave.clone(), self.project.to_ron());
        Some(Effect::work("autosave", move || {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let result = files::write_text(&path, &text);
            TaskMessage::Autosaved { path, result }.into()
        }))
    }

    /// Selects the breaker at `slot` (as [`Project::slot`] names it); false when there is none.
    pub fn select_slot(&mut self, slot: &str) -> bool {
        let p = &self.project;
        let Some(i) = p.breakers.iter().position(|b| p.slot(b) == slot) else { return false };
        self.selection = Some(Selection::Breaker(i));
        true
    }

    /// The project's file, or `unsaved`.
    pub fn path_text(&self) -> String {
        self.path.as_ref().map_or("the unsaved project".to_string(), |p| p.display().to_string())
    }

    /// The effect that saves the project to `path` (atomically).
    pub fn save(&self, path: &Path) -> Effect {
        let (path, text) = (path.to_path_buf(), self.project.to_ron());
        Effect::work("save-project", move || {
            let result = files::write_text(&path, &text);
            TaskMessage::ProjectSaved { path, result }.into()
        })
    }

    /// The project is saved at `path`: forget the autosave.
    pub fn saved(&mut self, path: &Path) -> Option<Effect> {
        let old = std::mem::replace(&mut self.autosave, autosave_path(Some(path)));
        self.path = Some(path.to_path_buf());
        self.dirty = false;
        Some(Effect::Work {
            name: "remove-autosave",
            work: Box::new(move |_| {
                let _ = std::fs::remove_file(&old);
            }),
        })
    }
}

/// Applies what the user asked of the editor (`editor` is `None` until a project is open).
/// `shown_capture` is the id of the capture shown in the explorer, for "Apply to capture".
pub fn update(editor: &mut Option<PanelEditor>, shown_capture: Option<u64>, action: EditorAction, out: &mut Outcome) {
    // Nothing unsaved is replaced without asking.
    if matches!(action, EditorAction::New(_) | EditorAction::Open(_) | EditorAction::Adopt(_))
        && let Some(current) = editor.as_mut().filter(|e| e.dirty)
    {
        current.held_back = Some(Box::new(action));
        return;
    }
    match action {
        EditorAction::New(template) => match crate::panel::template(&template) {
            Some(p) => *editor = Some(PanelEditor::new(p, None)),
            None => out.errors.push(format!("no panel template \"{template}\"")),
        },
        EditorAction::Adopt(project) => *editor = Some(PanelEditor::new(*project, None)),
        EditorAction::Open(path) => {
            let autosave = autosave_path(Some(&path));
            out.effects.push(Effect::work("open-project", move || files::read_project(path, &autosave, None).into()));
        }
        EditorAction::ShowSlot { slot, panel, project } => {
            let shown = editor.as_mut().filter(|e| e.project.panel.name == panel).is_some_and(|e| e.select_slot(&slot));
            match (shown, project) {
                (true, _) => out.effects.push(Effect::Then(super::message::Message::SetMode(super::message::Mode::Panel))),
                (false, Some(path)) if editor.as_ref().is_none_or(|e| !e.dirty) => {
                    let autosave = autosave_path(Some(&path));
                    out.effects.push(Effect::work("open-project", move || {
                        files::read_project(path, &autosave, Some(slot)).into()
                    }));
                }
                (false, Some(path)) => out.errors.push(format!(
                    "{slot} is in {}: save or discard the changes to the panel open in the editor first",
                    path.display()
                )),
                (false, None) => out.errors.push(format!(
                    "{slot} of \"{panel}\" is not in the panel open in the editor: open that panel's project (.ron) there"
                )),
            }
        }
        other => {
            let Some(editor) = editor.as_mut() else { return };
            let result = match other {
                EditorAction::Undo => Ok(editor.undo()),
                EditorAction::Redo => Ok(editor.redo()),
                EditorAction::Edit(edit) => editor.apply(edit),
                EditorAction::Select(selection) => {
                    editor.selection = selection;
                    Ok(None)
                }
                EditorAction::Save(path) => Ok(Some(editor.save(&path))),
                EditorAction::ExportInstallConfig(path) => match editor.project.install_config() {
                    Err(report) => Err(format!(
                        "{} errors: fix them before exporting the install configuration (first: {})",
                        report.errors.len(),
                        report.errors.first().map_or("", |f| f.message.as_str())
                    )),
                    Ok(config) => {
                        let text = if path.extension().is_some_and(|e| e == "ron") {
                            config.to_ron()
                        } else {
                            config.to_json()
                        };
                        Ok(Some(write_effect(path, text, "the install configuration")))
                    }
                },
                EditorAction::ExportDirectory(path) => {
                    let text = if path.extension().is_some_and(|e| e == "csv") {
                        crate::panel::directory_csv(&editor.project)
                    } else {
                        crate::panel::directory_svg(&editor.project)
                    };
                    Ok(Some(write_effect(path, text, "the directory")))
                }
                EditorAction::ExportDevice(path) => match &editor.project.monitor {
                    None => Err("choose the monitor first (Panel: monitor)".to_string()),
                    Some(monitor) => match crate::panel::export_device(&editor.project, monitor.device) {
                        Ok(text) => Ok(Some(write_effect(path, text, "the monitor's configuration"))),
                        Err(findings) => Err(format!(
                            "the {} would refuse this project, so nothing was written: {}",
                            monitor.device.label(),
                            findings.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; ")
                        )),
                    },
                },
                EditorAction::ApplyToCapture => match (editor.project.install_config(), shown_capture) {
                    (Err(report), _) => Err(format!("{} errors: fix them first", report.errors.len())),
                    (Ok(_), None) => Ok(None),
                    (Ok(config), Some(id)) => {
                        let path = editor.path.clone().unwrap_or_else(|| PathBuf::from("panel editor"));
                        out.effects
                            .push(Effect::Then(TaskMessage::InstallConfigRead { id, path, result: Ok(config) }.into()));
                        Ok(Some(Effect::Then(super::message::Message::SetMode(super::message::Mode::Explorer))))
                    }
                },
                EditorAction::DismissRecovery => {
                    editor.recovered = None;
                    Ok(None)
                }
                EditorAction::KeepEditing => {
                    editor.held_back = None;
                    Ok(None)
                }
                EditorAction::DiscardChanges => {
                    if let Some(held) = editor.held_back.take() {
                        editor.dirty = false;
                        out.effects.push(Effect::Then((*held).into()));
                    }
                    Ok(None)
                }
                EditorAction::New(_)
                | EditorAction::Open(_)
                | EditorAction::Adopt(_)
                | EditorAction::ShowSlot { .. } => Ok(None),
            };
            match result {
                Ok(effect) => out.effects.extend(effect),
                Err(e) => out.errors.push(e),
            }
        }
    }
}

/// Applies a completion of the editor's background work.
pub fn finished(editor: &mut Option<PanelEditor>, message: TaskMessage, out: &mut Outcome) {
    match message {
        TaskMessage::ProjectRead { path, select, result } => match result {
            Ok(read) => {
                let (project, recovered) = *read;
                let mut opened = PanelEditor::new(project, Some(path));
                opened.recovered = recovered;
                if let Some(slot) = select {
                    if opened.select_slot(&slot) {
                        out.effects.push(Effect::Then(super::message::Message::SetMode(super::message::Mode::Panel)));
                    } else {
                        out.errors.push(format!("no breaker at {slot} in {}", opened.path_text()));
                    }
                }
                *editor = Some(opened);
            }
            Err(e) => out.errors.push(e),
        },
        TaskMessage::ProjectSaved { path, result } => match (result, editor.as_mut()) {
            (Ok(()), Some(e)) => {
                out.effects.extend(e.saved(&path));
                out.status = Some(format!("saved {}", path.display()));
            }
            (Ok(()), None) => {}
            (Err(e), _) => out.errors.push(e),
        },
        TaskMessage::Autosaved { path, result } => {
            if let Some(e) = editor.as_mut().filter(|e| e.autosave == path) {
                e.autosave_error = result.as_ref().err().map(|err| format!("autosave failed: {err}"));
            }
            if let Err(e) = result {
                out.errors.push(format!("autosave failed (your changes are not yet on disk): {e}"));
            }
        }
        _ => {}
    }
}

/// Writes `text` to `path` in the background and says so.
fn write_effect(path: PathBuf, text: String, what: &'static str) -> Effect {
    Effect::work("export", move || {
        match files::write_text(&path, &text) {
            Ok(()) => TaskMessage::Done(format!("exported {what} to {}", path.display())),
            Err(e) => TaskMessage::Failed(e),
        }
        .into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::message::Message;
    use crate::app::tasks::Tasks;
    use crate::panel::{BreakerKind, Main, Phase, SensorRef, sample_panel, template};

    /// Runs an editor's effect here and now; returns what it answered.
    fn run(effect: Option<Effect>) -> Vec<Message> {
        let tasks = Tasks::new(eframe::egui::Context::default());
        effect.map(|e| tasks.run_blocking(e)).unwrap_or_default()
    }

    /// Saves through the effect, as the app does.
    fn save(e: &mut PanelEditor, path: &Path) {
        for m in run(Some(e.save(path))) {
            if let Message::Task(task) = m
                && let TaskMessage::ProjectSaved { path, result } = *task
            {
                result.unwrap();
                run(e.saved(&path));
            }
        }
    }

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
        save(&mut e, &path);
        assert!(!e.dirty);
        run(e.apply(Edit::SetPanelName("Shop".into())).unwrap());
        assert!(autosave_path(Some(&path)).exists(), "autosaved");
        // A crash now: the file is older than the autosave, which is offered back.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let open = |path: &Path| match files::read_project(path.to_path_buf(), &autosave_path(Some(path)), None) {
            TaskMessage::ProjectRead { result, .. } => *result.unwrap(),
            other => panic!("{other:?}"),
        };
        let (_, recovered) = open(&path);
        let recovered = recovered.expect("the autosave is offered");
        assert_eq!(recovered.panel.name, "Shop");
        save(&mut e, &path);
        assert!(!autosave_path(Some(&path)).exists(), "a save clears the autosave");
        assert!(open(&path).1.is_none());
    }

    #[test]
    fn a_failed_autosave_is_shown() {
        let dir = tempfile::tempdir().unwrap();
        let mut e = PanelEditor::new(template("split-phase-20").unwrap(), None);
        // A folder where a file is: no autosave can be written there.
        std::fs::write(dir.path().join("blocked"), "").unwrap();
        e.autosave = dir.path().join("blocked").join("panel.autosave.ron");
        let answers = run(e.apply(Edit::SetPanelName("Shop".into())).unwrap());
        let mut editor = Some(e);
        let mut out = Outcome::default();
        for m in answers {
            if let Message::Task(task) = m {
                finished(&mut editor, *task, &mut out);
            }
        }
        assert!(out.errors.iter().any(|e| e.contains("autosave failed")), "{:?}", out.errors);
        assert!(editor.unwrap().autosave_error.is_some(), "the editor shows it until an autosave succeeds");
    }

    #[test]
    fn no_autosave_overwrites_a_crash_still_on_offer() {
        let mut e = editor();
        e.recovered = Some(template("split-phase-30").unwrap());
        assert!(e.apply(Edit::SetPanelName("Shop".into())).unwrap().is_none(), "no autosave while Recover is asked");
        e.recovered = None;
        assert!(e.apply(Edit::SetPanelName("Shop 2".into())).unwrap().is_some());
    }

    #[test]
    fn unsaved_changes_are_not_replaced_without_asking() {
        let mut state = Some(editor());
        let mut out = Outcome::default();
        let e = state.as_mut().unwrap();
        run(e.apply(Edit::SetPanelName("Shop".into())).unwrap());
        update(&mut state, None, EditorAction::New("din-12".into()), &mut out);
        let e = state.as_ref().unwrap();
        assert_eq!(e.project.panel.name, "Shop", "the unsaved project stays");
        assert_eq!(e.held_back.as_deref(), Some(&EditorAction::New("din-12".into())));
        // Keep editing: the New is forgotten.
        update(&mut state, None, EditorAction::KeepEditing, &mut out);
        assert!(state.as_ref().unwrap().held_back.is_none());
        // Discard: the New goes ahead.
        update(&mut state, None, EditorAction::New("din-12".into()), &mut out);
        update(&mut state, None, EditorAction::DiscardChanges, &mut out);
        let then: Vec<Message> = out
            .effects
            .drain(..)
            .filter_map(|e| match e {
                Effect::Then(m) => Some(m),
                _ => None,
            })
            .collect();
        assert!(matches!(then.as_slice(), [Message::Editor(EditorAction::New(t))] if t == "din-12"));
        let Some(Message::Editor(action)) = then.into_iter().next() else { unreachable!() };
        update(&mut state, None, action, &mut out);
        assert_eq!(state.unwrap().project.panel.spaces, 12, "the din-12 template");
    }
}
