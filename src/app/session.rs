//! A saved session (`.psession`, JSON): the captures open, and for each its span in view,
//! cursors, lanes, shown channels, notes and install configuration, so that opening the
//! file brings the bench back as it was.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::lanes::LaneLayout;
use super::notes::Note;
use super::state::OpenCapture;

/// The session file's format version.
pub const SESSION_SCHEMA: u32 = 1;
/// The extension of session files.
pub const SESSION_EXTENSION: &str = "psession";

/// One capture as the session keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedCapture {
    pub path: PathBuf,
    /// The span in view, seconds from the first sample.
    pub span: Option<(f64, f64)>,
    pub cursors: [Option<f64>; 2],
    pub lanes: LaneLayout,
    /// Channels hidden (by name).
    #[serde(default)]
    pub hidden: Vec<String>,
    #[serde(default)]
    pub notes: Vec<Note>,
    /// The install configuration applied, if any.
    #[serde(default)]
    pub install: Option<PathBuf>,
}

/// A whole session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub schema_version: u32,
    pub captures: Vec<SavedCapture>,
    /// The tab shown.
    pub selected: usize,
}

impl SavedCapture {
    /// What `open` shows now.
    pub fn of(open: &OpenCapture) -> Self {
        let hidden = open
            .capture
            .channels
            .iter()
            .zip(&open.channels)
            .filter(|(_, v)| !v.visible)
            .map(|(c, _)| c.name.clone())
            .collect();
        Self {
            path: open.path.clone(),
            span: open.view.span.map(|s| s.pair()),
            cursors: open.view.cursors,
            lanes: open.view.lanes.clone(),
            hidden,
            notes: open.notes.clone(),
            install: open.install.as_ref().map(|i| i.path.clone()),
        }
    }

    /// Puts the saved view on `open`, just loaded.
    pub fn restore(&self, open: &mut OpenCapture) {
        if let Some((from_s, to_s)) = self.span.filter(|(a, b)| a.is_finite() && b.is_finite() && b > a) {
            open.view.pending_zoom = Some(super::state::Span::new(from_s, to_s));
            open.view.pending_fit = true;
        }
        open.view.cursors = self.cursors;
        open.view.lanes = self.lanes.clone().reconcile(&open.capture);
        for (c, v) in open.capture.channels.iter().zip(open.channels.iter_mut()) {
            v.visible = !self.hidden.contains(&c.name);
        }
        if !self.notes.is_empty() {
            open.notes = self.notes.clone();
        }
    }
}

impl Session {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a session serialises") + "\n"
    }

    /// Reads a session file; errors name the file and line.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let session: Self = serde_json::from_str(&text)
            .map_err(|e| format!("{}: line {}, column {}: {e}", path.display(), e.line(), e.column()))?;
        if session.schema_version > SESSION_SCHEMA {
            return Err(format!(
                "{}: session schema {} is newer than this panelscope reads ({SESSION_SCHEMA})",
                path.display(),
                session.schema_version
            ));
        }
        Ok(session)
    }
}

/// Whether `path` names a session file.
pub fn is_session(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case(SESSION_EXTENSION))
}
