//! Notes pinned to a capture: a time (or span), optionally a channel, and text. They live
//! in a sidecar file beside the capture (`NAME.notes.json`), so they travel with it; every
//! change writes it atomically, and a sidecar that cannot be read is never overwritten.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The sidecar's format version.
pub const NOTES_SCHEMA: u32 = 1;

/// One note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// Seconds from the first sample.
    pub from_s: f64,
    /// The end of the span it covers, if it covers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_s: Option<f64>,
    /// The channel it is about, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub text: String,
}

impl Note {
    /// Whether `search` (case-insensitive) is in its text or channel.
    pub fn matches(&self, search: &str) -> bool {
        let search = search.trim().to_lowercase();
        search.is_empty()
            || self.text.to_lowercase().contains(&search)
            || self.channel.as_ref().is_some_and(|c| c.to_lowercase().contains(&search))
    }
}

/// The sidecar file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Sidecar {
    schema_version: u32,
    /// The capture's file name, for a person reading the file.
    capture: String,
    notes: Vec<Note>,
}

/// Where the notes of the capture at `capture` are kept.
pub fn sidecar_path(capture: &Path) -> PathBuf {
    let name = capture.file_name().map_or_else(|| "capture".into(), |n| n.to_string_lossy().into_owned());
    capture.with_file_name(format!("{name}.notes.json"))
}

/// The notes kept beside `capture`: none when there is no sidecar; an error naming the
/// file and line when it cannot be read.
pub fn load(capture: &Path) -> Result<Vec<Note>, String> {
    let path = sidecar_path(capture);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let sidecar: Sidecar = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}: line {}, column {}: {e} (the notes are not shown, and the file is left as it is)",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if sidecar.schema_version > NOTES_SCHEMA {
        return Err(format!(
            "{}: notes schema {} is newer than this panelscope reads ({NOTES_SCHEMA})",
            path.display(),
            sidecar.schema_version
        ));
    }
    Ok(sidecar.notes)
}

/// The sidecar's text for these notes of `capture`.
pub fn to_json(capture: &Path, notes: &[Note]) -> String {
    let capture = capture.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let sidecar = Sidecar { schema_version: NOTES_SCHEMA, capture, notes: notes.to_vec() };
    serde_json::to_string_pretty(&sidecar).expect("notes serialise") + "\n"
}

/// Where the notes go beside an events export: `events.csv` gives `events.notes.csv`.
pub fn export_path(events: &Path) -> PathBuf {
    let stem = events.file_stem().map_or_else(|| "events".into(), |s| s.to_string_lossy().into_owned());
    events.with_file_name(format!("{stem}.notes.csv"))
}

/// The notes as CSV: `start_s,end_s,channel,text` (empty when not set), in time order.
pub fn to_csv(notes: &[Note]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = |e: csv::Error| e.to_string();
    w.write_record(["start_s", "end_s", "channel", "text"]).map_err(e)?;
    for n in notes {
        let end = n.to_s.map_or(String::new(), |t| t.to_string());
        w.write_record([n.from_s.to_string(), end, n.channel.clone().unwrap_or_default(), n.text.clone()])
            .map_err(e)?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_round_trip_through_their_sidecar_and_a_bad_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let capture = dir.path().join("site.parquet");
        assert_eq!(load(&capture), Ok(Vec::new()), "no sidecar, no notes");
        let notes = vec![
            Note { from_s: 1.5, to_s: None, channel: Some("I_02".into()), text: "heater relay chatters".into() },
            Note { from_s: 2.0, to_s: Some(2.5), channel: None, text: "sag from the utility".into() },
        ];
        std::fs::write(sidecar_path(&capture), to_json(&capture, &notes)).unwrap();
        assert_eq!(sidecar_path(&capture), dir.path().join("site.parquet.notes.json"));
        assert_eq!(load(&capture), Ok(notes.clone()));
        assert!(notes[0].matches("RELAY") && notes[0].matches("i_02") && !notes[1].matches("relay"));
        let table = to_csv(&notes).unwrap();
        assert_eq!(table.lines().next(), Some("start_s,end_s,channel,text"));
        assert!(
            table.contains("1.5,,I_02,heater relay chatters") && table.contains("2,2.5,,sag from the utility"),
            "{table}"
        );
        assert_eq!(export_path(Path::new("/x/events.csv")), Path::new("/x/events.notes.csv"));
        std::fs::write(sidecar_path(&capture), "{\"schema_version\": 1,\n \"notes\": [}").unwrap();
        let error = load(&capture).unwrap_err();
        assert!(error.contains("site.parquet.notes.json") && error.contains("line 2"), "{error}");
    }
}
