//! What the window remembers between runs: one serde struct, saved by eframe. Runtime
//! state (captures, caches, tasks) never goes to disk.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::lanes::LaneLayout;
use super::state::{CursorMode, SideTab, TimeMode};

/// How many recent files the menu lists.
pub const RECENT_FILES: usize = 10;
/// How many captures' lane layouts are remembered.
pub const LAYOUTS: usize = 50;

/// The persisted settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Captures opened lately, newest first.
    pub recent: Vec<PathBuf>,
    /// Captures open when the window closed, reopened when it starts without arguments.
    pub open: Vec<PathBuf>,
    /// Overlay the one-cycle RMS trends.
    pub show_trends: bool,
    /// Draw waveforms whose cycles are too dense to read as they are, not as their RMS.
    pub dense_waveforms: bool,
    /// Light theme instead of dark.
    pub light: bool,
    pub time_mode: TimeMode,
    pub per_unit: bool,
    pub cursor_mode: CursorMode,
    pub side_tab: SideTab,
    /// The server last connected to (its token is never kept here).
    pub server_url: String,
    /// The lanes last arranged for each capture file, newest first.
    pub layouts: Vec<(PathBuf, LaneLayout)>,
}

impl Settings {
    /// Puts `path` first in the recent files.
    pub fn remember_recent(&mut self, path: &Path) {
        self.recent.retain(|p| p != path);
        self.recent.insert(0, path.to_path_buf());
        self.recent.truncate(RECENT_FILES);
    }

    /// Remembers the lanes arranged for the capture at `path`.
    pub fn remember_layout(&mut self, path: &Path, layout: &LaneLayout) {
        self.layouts.retain(|(p, _)| p != path);
        self.layouts.insert(0, (path.to_path_buf(), layout.clone()));
        self.layouts.truncate(LAYOUTS);
    }

    /// The lanes last arranged for the capture at `path`.
    pub fn layout_for(&self, path: &Path) -> Option<&LaneLayout> {
        self.layouts.iter().find(|(p, _)| p == path).map(|(_, l)| l)
    }
}
