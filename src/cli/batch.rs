//! `panelscope batch INPUT... --out DIR`: every capture under the inputs analysed once per
//! content and version into the Parquet dataset of DESIGN.md; `batch compare A B`.
//!
//! The work per capture is `panelscope_core::batch::process_file`, the same function the
//! Python package and its Ray engine call. Here: finding the captures, hashing each to skip
//! what is done, `--jobs` captures in flight (so memory is bounded by the largest captures
//! in flight, not by the archive), a progress bar on a terminal, and a summary.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::batch::compare::{compare, write_text};
use crate::batch::dataset::Dataset;
use crate::batch::{BatchOptions, Job, identify, process_identified};

/// What `panelscope batch` runs.
#[derive(Debug, Clone)]
pub struct BatchRun {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    /// Captures in flight (default: the number of cores).
    pub jobs: Option<usize>,
    pub strict: bool,
    pub options: BatchOptions,
    /// Draw the progress bar (on a terminal).
    pub progress: bool,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Capture files found under the inputs.
    pub found: usize,
    /// Analysed and written by this run.
    pub analysed: usize,
    /// Already in the dataset from an earlier run.
    pub skipped: usize,
    /// Same content (and configuration) as another file of this run: analysed once.
    pub duplicates: usize,
    /// Error rows among those analysed (and, with `--strict`, among those skipped).
    pub errors: usize,
    /// Event rows written.
    pub events: u64,
    /// Bytes of the captures analysed.
    pub bytes: u64,
    pub elapsed: Duration,
    /// Captures analysed at once.
    pub workers: usize,
}

/// The extensions of files a folder walk treats as captures (a COMTRADE `.dat` is read
/// with its `.cfg`).
const CAPTURE_EXTENSIONS: [&str; 4] = ["csv", "parquet", "cfg", "cff"];

/// Every capture file under `inputs`, sorted, without the output folder. A file named on
/// the command line is taken whatever its extension; folders are searched recursively,
/// skipping hidden entries (`.x`, `_x`) and symbolic links to folders.
pub fn find_captures(inputs: &[PathBuf], out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let out = out.canonicalize().ok();
    let mut found = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).with_context(|| format!("{}: cannot read", input.display()))?;
        if meta.is_file() {
            found.push(input.clone());
        } else {
            walk(input, out.as_deref(), &mut found).with_context(|| format!("{}: cannot list", input.display()))?;
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn walk(dir: &Path, out: Option<&Path>, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if out.is_some() && dir.canonicalize().ok().as_deref() == out {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, out, found)?;
        } else if (kind.is_file() || kind.is_symlink() && path.is_file())
            && path.extension().is_some_and(|e| CAPTURE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
        {
            found.push(path);
        }
    }
    Ok(())
}

/// Runs the batch and prints its summary to stderr. Fails (one `error:`) only when the
/// inputs cannot be listed or the dataset cannot be written; what was written stays readable.
pub fn batch(run: &BatchRun) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let files = find_captures(&run.inputs, &run.out)?;
    let dataset = Dataset::open(&run.out)?;
    let jobs = run.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build().context("cannot start the workers")?;
    let bar = if run.progress && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(files.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} captures  {per_sec}  ETA {eta}  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let (analysed, skipped, duplicates, errors) =
        (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    let (events, bytes) = (AtomicU64::new(0), AtomicU64::new(0));
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    pool.install(|| {
        // Every file's identity (its content hash) first: of files with the same content,
        // the first in the listing's order analyses it and names the row, whichever worker
        // would have reached it first, so a run writes the same rows every time.
        let identified: Vec<_> = files
            .par_iter()
            .with_max_len(1)
            .map(|path| {
                let job = Job::local(path);
                let identity = identify(&job, &run.options);
                (job, identity)
            })
            .collect();
        let mut owners: HashMap<String, usize> = HashMap::new();
        for (k, (_, identity)) in identified.iter().enumerate() {
            owners.entry(identity.capture_id.clone()).or_insert(k);
        }
        identified.into_par_iter().enumerate().with_max_len(1).for_each(|(k, (job, identity))| {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let id = identity.capture_id.clone();
            if owners.get(&id) != Some(&k) {
                duplicates.fetch_add(1, Ordering::Relaxed);
            } else if dataset.is_done(&id) {
                skipped.fetch_add(1, Ordering::Relaxed);
                if run.strict && dataset.status(&id).as_deref() == Some("error") {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            } else {
                let processed = process_identified(&job, identity, &run.options);
                if let Err(e) = dataset.write(&processed) {
                    stop.store(true, Ordering::Relaxed);
                    if let Ok(mut slot) = failed.lock() {
                        slot.get_or_insert(e.into());
                    }
                    return;
                }
                analysed.fetch_add(1, Ordering::Relaxed);
                if processed.capture.status == "error" {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                events.fetch_add(processed.events.len() as u64, Ordering::Relaxed);
                let size = processed.capture.bytes.unwrap_or(0);
                let b = bytes.fetch_add(size, Ordering::Relaxed) + size;
                let seconds = started.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(format!("{:.1} MB/s", b as f64 / 1e6 / seconds));
            }
            bar.inc(1);
        });
    });
    bar.finish_and_clear();
    if let Some(e) = failed.into_inner().ok().flatten() {
        return Err(e.context(format!(
            "batch stopped: {} captures written to {} are complete and readable",
            analysed.load(Ordering::Relaxed),
            run.out.display()
        )));
    }
    Ok(Summary {
        found: files.len(),
        analysed: analysed.into_inner(),
        skipped: skipped.into_inner(),
        duplicates: duplicates.into_inner(),
        errors: errors.into_inner(),
        events: events.into_inner(),
        bytes: bytes.into_inner(),
        elapsed: started.elapsed(),
        workers: jobs,
    })
}

/// The closing lines of a run.
pub fn write_summary(s: &Summary, out_dir: &Path, out: &mut impl Write) -> std::io::Result<()> {
    let seconds = s.elapsed.as_secs_f64().max(1e-9);
    writeln!(
        out,
        "batch: {} captures found: {} analysed, {} already done, {} duplicates; {} errors; {} events",
        s.found, s.analysed, s.skipped, s.duplicates, s.errors, s.events
    )?;
    writeln!(
        out,
        "batch: {:.1} MB in {seconds:.2} s ({:.2} captures/s, {:.2} GB/min) with {} workers, into {}",
        s.bytes as f64 / 1e6,
        s.analysed as f64 / seconds,
        s.bytes as f64 / 1e9 / seconds * 60.0,
        s.workers,
        out_dir.display()
    )
}

/// `panelscope batch compare A B [--json]`.
pub fn compare_command(
    a: &Path,
    b: &Path,
    version_a: Option<&str>,
    version_b: Option<&str>,
    as_json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let comparison = compare(a, b, version_a, version_b)?;
    if as_json {
        serde_json::to_writer_pretty(&mut *out, &comparison)?;
        writeln!(out)?;
    } else {
        write_text(&comparison, out)?;
    }
    Ok(())
}

/// Checks the `--jobs` value.
pub fn check_jobs(jobs: Option<usize>) -> anyhow::Result<()> {
    if jobs == Some(0) {
        bail!("--jobs 0: at least one worker");
    }
    Ok(())
}
