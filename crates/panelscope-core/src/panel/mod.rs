//! Panels: the project model (panel, breakers, circuits, sensor strips, mapping), its
//! validation, schedule import, the install configuration and the circuit directory. A
//! plain library: no egui.

mod balance;
mod device;
mod directory;
mod edit;
mod import_device;
mod install;
mod model;
mod schedule;
mod templates;
mod validate;
mod verify;

#[cfg(test)]
mod tests;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use balance::{Balance, balances};
pub use device::{
    Device, IOTAWATT_INPUTS, Monitor, PortPlan, PortRole, PortUse, VUE_BRANCH_PORTS, export_device, iotawatt_name,
    is_iotawatt_name, monitor_findings, port_plan, ports_by_channel,
};
pub use directory::{directory_csv, directory_svg};
pub use edit::{Edit, History, edit_project};
pub use import_device::{ImportedDevice, import_device};
pub use install::{
    ChannelRole, ConfigChannel, ConfigCircuit, ConfigMain, ConfigVoltage, INSTALL_CONFIG_SCHEMA_VERSION, InstallConfig,
    RoleKind, VirtualOutput,
};
pub use model::{
    Breaker, BreakerKind, Circuit, Direction, FeedEnd, Layout, MAX_SPACES, Main, MainSensor, PROJECT_SCHEMA_VERSION,
    Panel, Phase, Position, Project, SensorRef, Service, Strip, StripDirection, VoltageRef,
};
pub use schedule::import_schedule;
pub use templates::{TEMPLATES, Template, sample_panel, template, template_names};
pub use validate::{Finding, Report};
pub use verify::{CircuitCheck, Severity, VerifyFinding, VerifyReport, verify};

use crate::capture::atomic::PendingFile;

/// What can go wrong reading or writing panel files.
#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: line {line}, column {column}: {message}")]
    Parse { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{0}")]
    Write(String),
}

impl PanelError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }
}

/// Reads an install configuration in JSON or RON (told apart by the first character:
/// `{` is JSON). Errors carry the line and column.
pub fn parse_install_config(text: &str) -> Result<InstallConfig, PanelError> {
    parse_text(text, Path::new("install configuration"))
}

/// Reads an install configuration file (JSON or RON); errors name the file and the line.
pub fn load_install_config(path: &Path) -> Result<InstallConfig, PanelError> {
    let text = std::fs::read_to_string(path).map_err(|e| PanelError::io(path, e))?;
    parse_text(&text, path)
}

/// A panel project or an install configuration, whichever `path` holds. For a project, the
/// validation findings it has are returned beside its configuration.
pub fn load_config_or_project(path: &Path) -> Result<(InstallConfig, Option<Report>), PanelError> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        return Ok((load_install_config(path)?, None));
    }
    match Project::load(path) {
        Ok(project) => {
            let report = project.validate();
            Ok((project.install_config_unchecked(), Some(report)))
        }
        Err(project_error) => match load_install_config(path) {
            Ok(config) => Ok((config, None)),
            Err(_) => Err(project_error),
        },
    }
}

/// [`parse_install_config`] for text read from `path`: errors name it.
pub fn parse_install_config_of(text: &str, path: &Path) -> Result<InstallConfig, PanelError> {
    parse_text(text, path)
}

/// Parses `text` as JSON when it starts with `{`, else as RON.
fn parse_text<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T, PanelError> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| PanelError::Parse {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    } else {
        ron::from_str(text).map_err(|e| PanelError::Parse {
            path: path.to_path_buf(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
    }
}

/// Writes `text` to `path` atomically.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), PanelError> {
    let mut file = PendingFile::create(path).map_err(|e| PanelError::Write(e.to_string()))?;
    file.writer()
        .write_all(text.as_bytes())
        .and_then(|()| file.writer().flush())
        .map_err(|e| PanelError::io(path, e))?;
    file.commit().map_err(|e| PanelError::Write(e.to_string()))
}

impl Project {
    /// Reads a `.ron` project; a newer schema version is refused.
    pub fn load(path: &Path) -> Result<Self, PanelError> {
        let text = std::fs::read_to_string(path).map_err(|e| PanelError::io(path, e))?;
        let project: Project = parse_text(&text, path)?;
        if project.schema_version > PROJECT_SCHEMA_VERSION {
            return Err(PanelError::Invalid {
                path: path.to_path_buf(),
                message: format!(
                    "schema version {} is newer than this panelscope reads ({PROJECT_SCHEMA_VERSION})",
                    project.schema_version
                ),
            });
        }
        let invalid = |message: String| PanelError::Invalid { path: path.to_path_buf(), message };
        if !(1..=MAX_SPACES).contains(&project.panel.spaces) {
            return Err(invalid(format!(
                "{} spaces is out of range: a panel has 1 to {MAX_SPACES}",
                project.panel.spaces
            )));
        }
        let most = 2 * project.panel.spaces as usize;
        if project.breakers.len() > most {
            return Err(invalid(format!(
                "{} breakers in {} spaces: a panel holds at most {most} (two per space, as tandems)",
                project.breakers.len(),
                project.panel.spaces
            )));
        }
        Ok(project)
    }

    /// The project as pretty RON.
    pub fn to_ron(&self) -> String {
        ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default()).expect("a project serialises")
    }

    /// Writes the project atomically as RON.
    pub fn save(&self, path: &Path) -> Result<(), PanelError> {
        write_atomic(path, &self.to_ron())
    }
}
