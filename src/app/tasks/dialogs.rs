//! File dialogs, asked for by purpose: the dialog runs on a worker (rfd's asynchronous
//! dialog, driven there), and the chosen paths come back as a message that turns into the
//! intent the purpose names. The frame never waits for the user.

use std::path::PathBuf;

use crate::app::message::Purpose;
use crate::app::state::ExportSpan;
use crate::panel::Device;

/// Whether a dialog opens files or names one to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKind {
    OpenOne,
    OpenMany,
    Save,
}

impl Purpose {
    pub fn kind(&self) -> DialogKind {
        match self {
            Self::OpenCaptures => DialogKind::OpenMany,
            Self::ApplyInstallConfig | Self::OpenProject => DialogKind::OpenOne,
            _ => DialogKind::Save,
        }
    }

    /// The filters offered, first the default: (name, extensions).
    pub fn filters(&self) -> &'static [(&'static str, &'static [&'static str])] {
        const CAPTURES: &[&str] = &["csv", "parquet", "cfg", "cff", "dat", "ron", "psession", "CFG", "CFF", "DAT"];
        match self {
            Self::OpenCaptures => &[("captures, panel projects and sessions", CAPTURES)],
            Self::SaveSession => &[("panelscope session", &["psession"])],
            Self::ApplyInstallConfig => &[("install configuration", &["json", "ron"])],
            Self::ExportWindow(_) => &[("Parquet", &["parquet"]), ("CSV", &["csv"]), ("COMTRADE", &["cfg", "cff"])],
            Self::ExportEvents => &[("CSV", &["csv"])],
            Self::SavePng => &[("PNG", &["png"])],
            Self::OpenProject | Self::SaveProjectAs => &[("panel project", &["ron"])],
            Self::ExportInstallConfig => &[("JSON", &["json"]), ("RON", &["ron"])],
            Self::ExportDirectory => &[("SVG", &["svg"]), ("CSV", &["csv"])],
            Self::ExportDevice(Device::IoTaWatt) => &[("IoTaWatt configuration", &["txt", "json"])],
            Self::ExportDevice(_) => &[("ESPHome YAML", &["yaml", "yml"])],
            Self::Download { .. } => &[],
        }
    }

    /// The file name a save dialog proposes.
    pub fn file_name(&self) -> Option<String> {
        Some(
            match self {
                Self::ExportWindow(ExportSpan::Visible) => "window.parquet",
                Self::ExportWindow(ExportSpan::Cursors) => "cursors.parquet",
                Self::ExportEvents => "events.csv",
                Self::SavePng => "plots.png",
                Self::SaveProjectAs => "panel.ron",
                Self::ExportInstallConfig => "install.json",
                Self::ExportDirectory => "directory.svg",
                Self::ExportDevice(Device::IoTaWatt) => "config.txt",
                Self::ExportDevice(_) => "emporia-vue.yaml",
                Self::SaveSession => "bench.psession",
                Self::Download { file_name, .. } => file_name,
                Self::OpenCaptures | Self::ApplyInstallConfig | Self::OpenProject => return None,
            }
            .to_string(),
        )
    }
}

/// Asks the user for files. Called on a worker thread, so it may take as long as the
/// user does.
pub trait FileDialogs: Send + Sync {
    fn choose(&self, purpose: &Purpose) -> Vec<PathBuf>;
}

/// The desktop's own dialogs (rfd).
pub struct SystemDialogs;

impl FileDialogs for SystemDialogs {
    fn choose(&self, purpose: &Purpose) -> Vec<PathBuf> {
        let mut dialog = rfd::AsyncFileDialog::new();
        for (name, extensions) in purpose.filters() {
            dialog = dialog.add_filter(*name, extensions);
        }
        if let Some(name) = purpose.file_name() {
            dialog = dialog.set_file_name(name);
        }
        let chosen = match purpose.kind() {
            DialogKind::OpenMany => pollster::block_on(dialog.pick_files()).unwrap_or_default(),
            DialogKind::OpenOne => pollster::block_on(dialog.pick_file()).into_iter().collect(),
            DialogKind::Save => pollster::block_on(dialog.save_file()).into_iter().collect(),
        };
        chosen.into_iter().map(|f| f.path().to_path_buf()).collect()
    }
}
