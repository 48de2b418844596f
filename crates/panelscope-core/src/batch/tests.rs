use std::path::{Path, PathBuf};

use super::compare::compare;
use super::dataset::{Dataset, read_table};
use super::*;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data").join(name)
}

#[test]
fn the_sample_capture_gives_a_row_its_events_and_its_circuits() {
    let p = process_file(&Job::local(&sample("split-phase-10s.parquet")), &BatchOptions::default());
    let c = &p.capture;
    assert_eq!(c.status, "ok", "{c:?}");
    assert_eq!(c.format.as_deref(), Some("parquet"));
    assert_eq!(c.event_count, Some(p.events.len() as u32));
    assert!(!p.events.is_empty());
    assert_eq!(c.content_hash.as_ref().map(String::len), Some(64));
    assert_eq!(c.capture_id.len(), 32);
    // The folder's one install configuration names the circuits.
    assert!(c.install_config.as_deref().is_some_and(|p| p.ends_with("sample-panel.install.json")), "{c:?}");
    assert!(!c.circuits.is_empty());
    for circuit in &c.circuits {
        if circuit.channels.is_empty() {
            // The sample's solar inverter has no sensor: no figures, not zeros.
            assert!(circuit.mean_w.is_none() && circuit.pf.is_none(), "{circuit:?}");
            continue;
        }
        let (mean, peak, pf) = (circuit.mean_w.unwrap(), circuit.peak_w.unwrap(), circuit.pf.unwrap());
        assert!(peak >= mean && (-1.0..=1.0).contains(&pf), "{circuit:?}");
        let energy = circuit.energy_wh.unwrap();
        assert!((energy - mean * c.duration_s.unwrap() / 3600.0).abs() < 1e-9);
    }
    assert!(c.circuits.iter().any(|c| c.mean_w.unwrap() > 100.0), "{:?}", c.circuits);
    // Events name the circuit their channel senses.
    assert!(p.events.iter().any(|e| e.circuit.is_some()));
    assert!(p.events.iter().all(|e| e.capture_id == c.capture_id && e.version == c.version));
}

#[test]
fn a_capture_that_cannot_be_read_is_an_error_row_naming_file_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, "time_s,I [A]\n0,1\n0.001,oops\n").unwrap();
    let p = process_file(&Job::local(&path), &BatchOptions::default());
    assert_eq!(p.capture.status, "error");
    let error = p.capture.error.as_deref().unwrap();
    assert!(error.contains("bad.csv") && error.contains("line 3"), "{error}");
    assert!(p.events.is_empty() && p.capture.content_hash.is_some());
    let missing = process_file(&Job::local(&dir.path().join("gone.parquet")), &BatchOptions::default());
    assert_eq!(missing.capture.status, "error");
    assert!(missing.capture.content_hash.is_none() && missing.capture.error.unwrap().contains("gone.parquet"));
}

#[test]
fn the_version_follows_the_options_and_the_id_follows_content_version_and_config() {
    let default = BatchOptions::default();
    let mut other = BatchOptions::default();
    other.detect.min_step_a = Some(2.0);
    assert!(!default.version().contains(".o"));
    assert!(other.version().starts_with(&default.version()) && other.version() != default.version());
    let id = capture_id("abc", &default.version(), None);
    assert_ne!(id, capture_id("abd", &default.version(), None));
    assert_ne!(id, capture_id("abc", &other.version(), None));
    assert_ne!(id, capture_id("abc", &default.version(), Some(b"{}")));
}

#[test]
fn a_comtrade_pair_is_hashed_with_its_data_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["three-phase-4s.cfg", "three-phase-4s.dat"] {
        std::fs::copy(sample(name), dir.path().join(name)).unwrap();
    }
    let cfg = dir.path().join("three-phase-4s.cfg");
    let (before, bytes) = content_hash(&cfg).unwrap();
    assert_eq!(
        bytes,
        std::fs::metadata(&cfg).unwrap().len()
            + std::fs::metadata(dir.path().join("three-phase-4s.dat")).unwrap().len()
    );
    let mut dat = std::fs::read(dir.path().join("three-phase-4s.dat")).unwrap();
    let last = dat.len() - 1;
    dat[last] ^= 1;
    std::fs::write(dir.path().join("three-phase-4s.dat"), dat).unwrap();
    assert_ne!(content_hash(&cfg).unwrap().0, before);
}

#[test]
fn a_dataset_reads_back_and_compares_equal_to_itself_and_apart_from_another_version() {
    let out = tempfile::tempdir().unwrap();
    let (a, b) = (out.path().join("a"), out.path().join("b"));
    let inputs = [sample("split-phase-10s.parquet"), sample("three-phase-4s.cfg")];
    let mut strict = BatchOptions::default();
    strict.detect.min_step_a = Some(3.0);
    for (root, options) in [(&a, BatchOptions::default()), (&b, strict)] {
        let dataset = Dataset::open(root).unwrap();
        for input in &inputs {
            let p = process_file(&Job::local(input), &options);
            dataset.write(&p).unwrap();
            assert!(dataset.is_done(&p.capture.capture_id));
        }
        // Two batches cannot write one folder at once.
        assert!(Dataset::open(root).err().unwrap().to_string().contains("another batch"));
    }
    let rows: usize = read_table(&a, "captures").unwrap().iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 2);
    let same = compare(&a, &a, None, None).unwrap();
    assert!(same.identical(), "{same:?}");
    assert!(same.totals.values().all(|c| c.only_a == 0 && c.only_b == 0 && c.both > 0));
    let diff = compare(&a, &b, None, None).unwrap();
    assert!(!diff.identical());
    let all = |f: fn(&compare::Counts) -> usize| diff.totals.values().map(f).sum::<usize>();
    // A higher minimum step finds fewer load steps and nothing new.
    assert!(all(|c| c.only_a) > 0 && all(|c| c.only_b) == 0 && all(|c| c.both) > 0, "{:?}", diff.totals);
    let mut text = Vec::new();
    compare::write_text(&diff, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("load_on") && text.contains("only A"), "{text}");
}
