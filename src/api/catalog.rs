//! What a served directory holds: every capture and panel project under it, indexed once
//! per file version (size and modification time) and looked up by opaque id.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::{CaptureSummary, PanelSummary};
use crate::capture::{self, FileFormat};
use crate::panel::Project;

/// How deep the walk goes below the served directory.
const MAX_DEPTH: usize = 32;

/// A file's version: its size and modification time (of every part, for a pair).
pub type Stamp = Vec<(u64, Option<SystemTime>)>;

/// A capture the directory holds.
#[derive(Debug, Clone)]
pub struct CaptureEntry {
    pub summary: CaptureSummary,
    /// The file named in the listing (`.cfg` for a pair).
    pub path: PathBuf,
    /// The `.dat` of a `.cfg` + `.dat` pair.
    pub dat: Option<PathBuf>,
    pub stamp: Stamp,
}

/// A panel project the directory holds.
#[derive(Debug, Clone)]
pub struct PanelEntry {
    pub summary: PanelSummary,
    pub path: PathBuf,
    pub stamp: Stamp,
}

impl PanelEntry {
    /// Where the install configuration uploaded for this panel is stored: `NAME.install.json`
    /// beside `NAME.ron`.
    pub fn install_config_path(&self) -> PathBuf {
        sibling(&self.path, "install.json")
    }

    /// Where the version before the last upload is kept.
    pub fn previous_install_config_path(&self) -> PathBuf {
        sibling(&self.path, "install.prev.json")
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{stem}.{suffix}"))
}

#[derive(Debug, Clone)]
enum Indexed {
    Capture(Arc<CaptureEntry>),
    Panel(Arc<PanelEntry>),
    /// Not a capture or project we can read; remembered so that it is not read again.
    Unreadable(Stamp),
}

impl Indexed {
    fn stamp(&self) -> &Stamp {
        match self {
            Indexed::Capture(c) => &c.stamp,
            Indexed::Panel(p) => &p.stamp,
            Indexed::Unreadable(s) => s,
        }
    }
}

/// The index of a served directory.
#[derive(Debug)]
pub struct Catalog {
    root: PathBuf,
    files: HashMap<PathBuf, Indexed>,
}

/// What one file found by the walk is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Found {
    Capture,
    Panel,
}

impl Catalog {
    /// An empty index of `root` (which must be canonical); [`Catalog::refresh`] fills it.
    pub fn new(root: PathBuf) -> Self {
        Self { root, files: HashMap::new() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Walks the directory again: new and changed files are read, vanished ones dropped,
    /// unchanged ones kept as they were. Blocking (reads files).
    pub fn refresh(&mut self) {
        let mut found = Vec::new();
        walk(&self.root, &self.root, 0, &mut found);
        let mut next = HashMap::with_capacity(found.len());
        let mut to_read = Vec::new();
        for (path, what) in found {
            let stamp = stamp_of(&path);
            match self.files.remove(&path) {
                Some(old) if *old.stamp() == stamp => {
                    next.insert(path, old);
                }
                _ => to_read.push((path, what, stamp)),
            }
        }
        use rayon::prelude::*;
        let root = &self.root;
        let read: Vec<(PathBuf, Indexed)> = to_read
            .into_par_iter()
            .map(|(path, what, stamp)| {
                let indexed = index(root, &path, what, stamp);
                (path, indexed)
            })
            .collect();
        next.extend(read);
        self.files = next;
    }

    /// Every capture, by name.
    pub fn captures(&self) -> Vec<Arc<CaptureEntry>> {
        let mut v: Vec<_> = self
            .files
            .values()
            .filter_map(|f| match f {
                Indexed::Capture(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        v.sort_by(|a, b| a.summary.name.cmp(&b.summary.name));
        v
    }

    /// Every panel project, by file.
    pub fn panels(&self) -> Vec<Arc<PanelEntry>> {
        let mut v: Vec<_> = self
            .files
            .values()
            .filter_map(|f| match f {
                Indexed::Panel(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        v.sort_by(|a, b| a.summary.file.cmp(&b.summary.file));
        v
    }

    pub fn capture(&self, id: &str) -> Option<Arc<CaptureEntry>> {
        self.files.values().find_map(|f| match f {
            Indexed::Capture(c) if c.summary.id == id => Some(c.clone()),
            _ => None,
        })
    }

    pub fn panel(&self, id: &str) -> Option<Arc<PanelEntry>> {
        self.files.values().find_map(|f| match f {
            Indexed::Panel(p) if p.summary.id == id => Some(p.clone()),
            _ => None,
        })
    }
}

/// Collects the captures and projects under `dir`, skipping hidden entries and anything
/// whose real path leaves `root` (a symbolic link pointing out).
fn walk(root: &Path, dir: &Path, depth: usize, found: &mut Vec<(PathBuf, Found)>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        tracing::warn!(dir = %dir.display(), "cannot list the directory");
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let Ok(real) = entry.path().canonicalize() else { continue };
        if !real.starts_with(root) {
            tracing::warn!(path = %entry.path().display(), "skipped: it leads outside the served directory");
            continue;
        }
        let Ok(meta) = std::fs::metadata(&real) else { continue };
        if meta.is_dir() {
            walk(root, &entry.path(), depth + 1, found);
            continue;
        }
        // FIFOs, sockets and devices would block or never end a read.
        if !meta.is_file() {
            tracing::warn!(path = %entry.path().display(), "skipped: not a regular file");
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".cfg")
            && let Some(dat) = dat_of(&entry.path())
            && !inside(root, &dat)
        {
            tracing::warn!(path = %dat.display(), "skipped: the .dat leads outside the served directory");
            continue;
        }
        if lower.ends_with(".ron") {
            found.push((entry.path(), Found::Panel));
        } else if !lower.ends_with(".dat")
            && !lower.ends_with(".json")
            && FileFormat::from_path(Path::new(&*lower)).is_ok()
        {
            found.push((entry.path(), Found::Capture));
        }
    }
}

/// Whether `path` is a regular file whose real path (links followed) is inside `root`.
pub fn inside(root: &Path, path: &Path) -> bool {
    path.canonicalize().is_ok_and(|real| real.starts_with(root)) && std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Opens `path` for reading and proves that the file it opened is a regular file inside
/// `root`: the proof is about the open file itself, so a link swapped in between a check and
/// the open cannot lead a read outside. Never blocks on a FIFO swapped in for a file.
pub fn open_inside(root: &Path, path: &Path) -> std::io::Result<std::fs::File> {
    use std::io::{Error, ErrorKind};
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    if !opened_path(&file, path)?.starts_with(root) {
        return Err(Error::new(ErrorKind::PermissionDenied, "it leads outside the served directory"));
    }
    Ok(file)
}

/// The real path of an open file: what the kernel opened, not what the name now points to.
#[cfg(target_os = "linux")]
fn opened_path(file: &std::fs::File, _path: &Path) -> std::io::Result<PathBuf> {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
}

/// The real path of an open file, where the system cannot name it: the path's real path,
/// accepted only if it is the very file (device and inode) that was opened.
#[cfg(not(target_os = "linux"))]
fn opened_path(file: &std::fs::File, path: &Path) -> std::io::Result<PathBuf> {
    let real = path.canonicalize()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let (opened, named) = (file.metadata()?, std::fs::metadata(&real)?);
        if (opened.dev(), opened.ino()) != (named.dev(), named.ino()) {
            return Err(std::io::Error::other("the file changed while it was opened"));
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(real)
}

impl CaptureEntry {
    /// Refuses a capture any part of which now leads outside `root` (a link placed or
    /// swapped in after it was listed): checked each time a part is opened.
    pub fn check_inside(&self, root: &Path) -> Result<(), String> {
        for part in std::iter::once(&self.path)
            .chain(&self.dat)
            .chain(if is_cfg(&self.path) { dat_of(&self.path) } else { None }.as_ref())
        {
            if !inside(root, part) {
                return Err(format!("{} leads outside the served directory", self.summary.name));
            }
        }
        Ok(())
    }
}

/// The `.dat` beside a `.cfg` (either case).
fn dat_of(cfg: &Path) -> Option<PathBuf> {
    ["dat", "DAT", "Dat"].iter().map(|ext| cfg.with_extension(ext)).find(|p| p.is_file())
}

fn is_cfg(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("cfg"))
}

/// The version of a file (and of its `.dat` for a `.cfg`).
pub fn stamp_of(path: &Path) -> Stamp {
    let one = |p: &Path| match std::fs::metadata(p) {
        Ok(m) => (m.len(), m.modified().ok()),
        Err(_) => (0, None),
    };
    let mut stamp = vec![one(path)];
    if is_cfg(path)
        && let Some(dat) = dat_of(path)
    {
        stamp.push(one(&dat));
    }
    stamp
}

/// An opaque id for a file: a letter for what it is and a hash of its path relative to the
/// served directory (stable across restarts; never decoded back into a path).
fn id_for(prefix: char, rel: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in rel.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{prefix}{h:016x}")
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn rfc3339(t: Option<SystemTime>) -> Option<String> {
    t.map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn index(root: &Path, path: &Path, what: Found, stamp: Stamp) -> Indexed {
    let rel = relative(root, path);
    match what {
        // The header (or footer) only, where it says enough: a listing does not read the
        // samples (they are read when a capture is opened).
        Found::Capture => match capture::summary_with(path, &|p: &Path| open_inside(root, p)) {
            Ok(c) => {
                let dat = if is_cfg(path) { dat_of(path) } else { None };
                let mut parts = vec!["main".to_string()];
                if dat.is_some() {
                    parts.push("dat".into());
                }
                let summary = CaptureSummary {
                    id: id_for('c', &rel),
                    name: rel,
                    format: c.format.as_str().to_string(),
                    bytes: stamp.iter().map(|s| s.0).sum(),
                    sample_rate_hz: c.sample_rate_hz,
                    duration_s: c.duration_s,
                    channels: c.channels,
                    sample_count: c.sample_count,
                    modified: rfc3339(stamp[0].1),
                    parts,
                };
                Indexed::Capture(Arc::new(CaptureEntry { summary, path: path.to_path_buf(), dat, stamp }))
            }
            Err(e) => {
                tracing::info!("not listed: {e}");
                Indexed::Unreadable(stamp)
            }
        },
        Found::Panel => match Project::load(path) {
            Ok(p) => {
                let entry = PanelEntry {
                    summary: PanelSummary {
                        id: id_for('p', &rel),
                        name: p.panel.name.clone(),
                        updated: rfc3339(stamp[0].1),
                        file: rel,
                        has_install_config: false,
                    },
                    path: path.to_path_buf(),
                    stamp,
                };
                Indexed::Panel(Arc::new(entry))
            }
            Err(e) => {
                tracing::info!("not listed: {e}");
                Indexed::Unreadable(stamp)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_opaque() {
        let a = id_for('c', "site/a.parquet");
        assert_eq!(a, id_for('c', "site/a.parquet"));
        assert_ne!(a, id_for('c', "site/b.parquet"));
        assert!(a.starts_with('c') && a.len() == 17 && !a.contains('/'));
    }

    #[test]
    fn install_configs_live_beside_the_project() {
        let e = PanelEntry {
            summary: PanelSummary {
                id: "p".into(),
                name: "n".into(),
                updated: None,
                file: "x.ron".into(),
                has_install_config: false,
            },
            path: PathBuf::from("/d/main-panel.ron"),
            stamp: Vec::new(),
        };
        assert_eq!(e.install_config_path(), PathBuf::from("/d/main-panel.install.json"));
        assert_eq!(e.previous_install_config_path(), PathBuf::from("/d/main-panel.install.prev.json"));
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("real.csv"), "time_s,V_A [V]\n0,1\n0.001,2\n").unwrap();
        let made = std::process::Command::new("mkfifo").arg(root.join("pipe.csv")).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here
        }
        let mut found = Vec::new();
        walk(&root, &root, 0, &mut found);
        let names: Vec<_> = found.iter().map(|(p, _)| p.file_name().unwrap().to_owned()).collect();
        assert_eq!(names, [std::ffi::OsString::from("real.csv")], "the FIFO would block every listing");
    }

    /// The guarantee behind every read the server makes: what is opened is proven inside
    /// the folder, whatever the name pointed to when it was checked.
    #[cfg(unix)]
    #[test]
    fn only_files_opened_inside_the_folder_are_read() {
        use std::io::ErrorKind;
        let (dir, away) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let root = dir.path().canonicalize().unwrap();
        let csv = "time_s,V_A [V]\n0,1\n0.001,2\n";
        std::fs::write(root.join("real.csv"), csv).unwrap();
        std::fs::write(away.path().join("secret.csv"), csv).unwrap();
        std::fs::write(away.path().join("secret.dat"), "1,0,5\n").unwrap();
        std::os::unix::fs::symlink(away.path().join("secret.csv"), root.join("out.csv")).unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::os::unix::fs::symlink(root.join("real.csv"), root.join("sub/in.csv")).unwrap();

        assert!(open_inside(&root, &root.join("real.csv")).is_ok());
        assert!(open_inside(&root, &root.join("sub/in.csv")).is_ok(), "a link that stays inside is fine");
        let refused = open_inside(&root, &root.join("out.csv")).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::PermissionDenied);
        assert!(open_inside(&root, &root).is_err(), "a directory is not a regular file");

        // A COMTRADE pair whose .dat leads out: the read fails on the .dat, naming it.
        std::fs::write(
            root.join("pair.cfg"),
            "s,1,1999\n1,1A,0D\n1,V,,,V,1,0,0,-9,9,1,1,P\n60\n1\n1000,1\n,\n,\nASCII\n1\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(away.path().join("secret.dat"), root.join("pair.dat")).unwrap();
        let open = |p: &Path| open_inside(&root, p);
        let error = capture::read_with(&root.join("pair.cfg"), &open).unwrap_err().to_string();
        assert!(error.contains("pair.dat") && error.contains("outside the served directory"), "{error}");
        assert!(capture::read(&root.join("pair.cfg")).is_ok(), "the plain reader follows the link");
        assert!(capture::summary_with(&root.join("out.csv"), &open).is_err());

        // A FIFO swapped in for a file is refused at once, not waited on.
        let made = std::process::Command::new("mkfifo").arg(root.join("pipe.csv")).status();
        if made.is_ok_and(|s| s.success()) {
            let refused = open_inside(&root, &root.join("pipe.csv")).unwrap_err();
            assert_eq!(refused.kind(), ErrorKind::InvalidInput);
        }
    }
}
