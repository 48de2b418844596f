//! `panelscope batch compare A B`: the events of two datasets side by side, the check run
//! against every big job. Events are matched by capture (content hash, else path), channel
//! and kind, with onsets within half a cycle of the capture's frequency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use super::dataset::{DatasetError, read_table};
use super::table::{f64_column, number, string_column, text};

/// One event as compare sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventKey {
    pub channel: String,
    pub kind: String,
    pub start_s: f64,
    pub magnitude: Option<f64>,
}

/// Counts for one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub only_a: usize,
    pub only_b: usize,
    pub both: usize,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.only_a += o.only_a;
        self.only_b += o.only_b;
        self.both += o.both;
    }
}

/// One capture in the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaptureComparison {
    pub path: String,
    pub content_hash: Option<String>,
    /// `ok`, `error`, or `absent` in that dataset.
    pub status_a: String,
    pub status_b: String,
    /// Half a cycle: the onset tolerance used.
    pub tolerance_s: f64,
    pub kinds: BTreeMap<String, Counts>,
    pub only_a: Vec<EventKey>,
    pub only_b: Vec<EventKey>,
}

/// The whole comparison: `batch compare --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub versions_a: Vec<String>,
    pub versions_b: Vec<String>,
    pub totals: BTreeMap<String, Counts>,
    pub captures: Vec<CaptureComparison>,
}

impl Comparison {
    /// True when both datasets hold the same events for the same captures.
    pub fn identical(&self) -> bool {
        self.captures.iter().all(|c| c.status_a == c.status_b && c.only_a.is_empty() && c.only_b.is_empty())
    }
}

#[derive(Default)]
struct Side {
    versions: BTreeSet<String>,
    /// key -> (path, status, frequency)
    captures: BTreeMap<String, (String, String, Option<f64>)>,
    events: BTreeMap<String, Vec<EventKey>>,
    by_path: BTreeMap<String, String>,
}

fn load(root: &Path, version: Option<&str>) -> Result<Side, DatasetError> {
    if !root.is_dir() {
        return Err(DatasetError(format!("{}: not a dataset folder (no such folder)", root.display())));
    }
    let mut side = Side::default();
    let keep = |v: Option<&str>| version.is_none() || v == version;
    for batch in read_table(root, "captures")? {
        let (paths, hashes) = (string_column(&batch, "path"), string_column(&batch, "content_hash"));
        let (versions, statuses, freq) =
            (string_column(&batch, "version"), string_column(&batch, "status"), f64_column(&batch, "frequency_hz"));
        for i in 0..batch.num_rows() {
            if !keep(text(versions, i)) {
                continue;
            }
            let path = text(paths, i).unwrap_or_default().to_string();
            let key = text(hashes, i).map_or_else(|| format!("path:{path}"), str::to_string);
            side.versions.insert(text(versions, i).unwrap_or_default().to_string());
            side.by_path.insert(path.clone(), key.clone());
            side.captures.insert(key, (path, text(statuses, i).unwrap_or("ok").to_string(), number(freq, i)));
        }
    }
    for batch in read_table(root, "events")? {
        let (paths, hashes, versions) =
            (string_column(&batch, "path"), string_column(&batch, "content_hash"), string_column(&batch, "version"));
        let (channels, kinds) = (string_column(&batch, "channel"), string_column(&batch, "kind"));
        let (starts, magnitudes) = (f64_column(&batch, "start_s"), f64_column(&batch, "magnitude"));
        if channels.is_none() || kinds.is_none() || starts.is_none() {
            return Err(DatasetError(format!(
                "{}: events need the columns channel, kind and start_s",
                root.join("events").display()
            )));
        }
        for i in 0..batch.num_rows() {
            if !keep(text(versions, i)) {
                continue;
            }
            let path = text(paths, i).unwrap_or_default();
            let key = match text(hashes, i) {
                Some(h) => h.to_string(),
                None => side.by_path.get(path).cloned().unwrap_or_else(|| format!("path:{path}")),
            };
            if !side.captures.contains_key(&key) {
                // A labels dataset may list events only.
                side.captures.insert(key.clone(), (path.to_string(), "ok".to_string(), None));
            }
            let Some(start_s) = number(starts, i) else { continue };
            side.events.entry(key).or_default().push(EventKey {
                channel: text(channels, i).unwrap_or_default().to_string(),
                kind: text(kinds, i).unwrap_or_default().to_string(),
                start_s,
                magnitude: number(magnitudes, i),
            });
        }
    }
    Ok(side)
}

/// Compares the datasets at `a` and `b` (each restricted to one version when given).
pub fn compare(
    a: &Path,
    b: &Path,
    version_a: Option<&str>,
    version_b: Option<&str>,
) -> Result<Comparison, DatasetError> {
    let (sa, sb) = (load(a, version_a)?, load(b, version_b)?);
    for (side, root, flag) in [(&sa, a, "--a-version"), (&sb, b, "--b-version")] {
        if side.versions.len() > 1 {
            return Err(DatasetError(format!(
                "{}: holds versions {}; choose one with {flag}",
                root.display(),
                side.versions.iter().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let keys: BTreeSet<&String> = sa.captures.keys().chain(sb.captures.keys()).collect();
    let mut captures = Vec::new();
    let mut totals: BTreeMap<String, Counts> = BTreeMap::new();
    let empty = Vec::new();
    for key in keys {
        let (ca, cb) = (sa.captures.get(key), sb.captures.get(key));
        let frequency = ca.and_then(|c| c.2).or_else(|| cb.and_then(|c| c.2)).filter(|f| *f > 0.0).unwrap_or(50.0);
        let tolerance_s = 0.5 / frequency;
        let (ea, eb) = (sa.events.get(key).unwrap_or(&empty), sb.events.get(key).unwrap_or(&empty));
        let (kinds, only_a, only_b) = match_events(ea, eb, tolerance_s);
        for (kind, counts) in &kinds {
            totals.entry(kind.clone()).or_default().add(*counts);
        }
        let status = |c: Option<&(String, String, Option<f64>)>| c.map_or("absent".to_string(), |c| c.1.clone());
        captures.push(CaptureComparison {
            path: ca.or(cb).map(|c| c.0.clone()).unwrap_or_default(),
            content_hash: (!key.starts_with("path:")).then(|| key.clone()),
            status_a: status(ca),
            status_b: status(cb),
            tolerance_s,
            kinds,
            only_a,
            only_b,
        });
    }
    captures.sort_by(|x, y| x.path.cmp(&y.path));
    Ok(Comparison {
        a: a.display().to_string(),
        b: b.display().to_string(),
        versions_a: sa.versions.into_iter().collect(),
        versions_b: sb.versions.into_iter().collect(),
        totals,
        captures,
    })
}

/// Matches events of one capture: same channel and kind, onsets within `tolerance_s`, each
/// event at most once, nearest first.
fn match_events(
    a: &[EventKey],
    b: &[EventKey],
    tolerance_s: f64,
) -> (BTreeMap<String, Counts>, Vec<EventKey>, Vec<EventKey>) {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            let d = (x.start_s - y.start_s).abs();
            if x.channel == y.channel && x.kind == y.kind && d <= tolerance_s {
                pairs.push((d, i, j));
            }
        }
    }
    pairs.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)).then(p.2.cmp(&q.2)));
    let (mut used_a, mut used_b) = (vec![false; a.len()], vec![false; b.len()]);
    let mut kinds: BTreeMap<String, Counts> = BTreeMap::new();
    for (_, i, j) in pairs {
        if !used_a[i] && !used_b[j] {
            used_a[i] = true;
            used_b[j] = true;
            kinds.entry(a[i].kind.clone()).or_default().both += 1;
        }
    }
    let only_a: Vec<EventKey> = a.iter().zip(&used_a).filter(|(_, u)| !**u).map(|(e, _)| e.clone()).collect();
    let only_b: Vec<EventKey> = b.iter().zip(&used_b).filter(|(_, u)| !**u).map(|(e, _)| e.clone()).collect();
    for e in &only_a {
        kinds.entry(e.kind.clone()).or_default().only_a += 1;
    }
    for e in &only_b {
        kinds.entry(e.kind.clone()).or_default().only_b += 1;
    }
    (kinds, only_a, only_b)
}

/// The comparison as the table a reviewer reads: per kind in all, then per capture that
/// differs, with the first differing events.
pub fn write_text(c: &Comparison, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let versions = |v: &[String]| if v.is_empty() { "no rows".to_string() } else { v.join(", ") };
    writeln!(out, "A: {} ({})", c.a, versions(&c.versions_a))?;
    writeln!(out, "B: {} ({})", c.b, versions(&c.versions_b))?;
    let differing: Vec<&CaptureComparison> = c
        .captures
        .iter()
        .filter(|x| x.status_a != x.status_b || !x.only_a.is_empty() || !x.only_b.is_empty())
        .collect();
    writeln!(out, "{} captures, {} differ", c.captures.len(), differing.len())?;
    writeln!(out)?;
    writeln!(out, "{:<14} {:>8} {:>8} {:>8}", "kind", "both", "only A", "only B")?;
    let mut all = Counts::default();
    for (kind, n) in &c.totals {
        writeln!(out, "{kind:<14} {:>8} {:>8} {:>8}", n.both, n.only_a, n.only_b)?;
        all.add(*n);
    }
    writeln!(out, "{:<14} {:>8} {:>8} {:>8}", "all", all.both, all.only_a, all.only_b)?;
    for x in differing {
        writeln!(out)?;
        let status =
            if x.status_a == x.status_b { String::new() } else { format!(" [A {}, B {}]", x.status_a, x.status_b) };
        let counts: Vec<String> = x
            .kinds
            .iter()
            .filter(|(_, n)| n.only_a + n.only_b > 0)
            .map(|(k, n)| format!("{k} +{}A/+{}B", n.only_a, n.only_b))
            .collect();
        writeln!(out, "{}{status}: {}", x.path, counts.join(", "))?;
        const SHOWN: usize = 5;
        for (side, events) in [("A", &x.only_a), ("B", &x.only_b)] {
            for e in events.iter().take(SHOWN) {
                let m = e.magnitude.map_or(String::new(), |m| format!(" {}", crate::format::fmt_value(m)));
                writeln!(out, "  only {side}: {:>10.4} s  {:<12} {}{m}", e.start_s, e.kind, e.channel)?;
            }
            if events.len() > SHOWN {
                writeln!(out, "  only {side}: ... {} more", events.len() - SHOWN)?;
            }
        }
    }
    Ok(())
}
