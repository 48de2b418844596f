//! `panelscope batch` and `batch compare` as a user runs them: the dataset, resuming after
//! SIGKILL, duplicates, error rows, `--strict`, an unwritable output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use panelscope::generate::{GenerateOptions, Service, generate};

fn panelscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_panelscope")).args(args).output().unwrap()
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data")
}

/// An archive of generated captures in two folders, a broken file and a copy of one.
fn archive(dir: &Path, count: u64) -> PathBuf {
    let root = dir.join("archive");
    for k in 0..count {
        let folder = root.join(if k % 2 == 0 { "site-a" } else { "site-b/2026" });
        std::fs::create_dir_all(&folder).unwrap();
        let service = if k % 3 == 0 { Service::ThreePhase400_230 } else { Service::SplitPhase120_240 };
        let options =
            GenerateOptions { service, duration_s: 2.0, sample_rate_hz: 2000.0, seed: k, ..Default::default() };
        let ext = ["parquet", "csv", "cfg"][k as usize % 3];
        panelscope::capture::write(&generate(&options).capture, &folder.join(format!("c{k:02}.{ext}"))).unwrap();
    }
    std::fs::write(root.join("site-a/broken.csv"), "time_s,I [A]\n0,1\n0.001,oops\n").unwrap();
    std::fs::copy(root.join("site-a/c00.parquet"), root.join("site-a/copy-of-c00.parquet")).unwrap();
    std::fs::write(root.join("site-a/.hidden.csv"), "not, a capture").unwrap();
    root
}

/// Every visible file of the dataset with its bytes.
fn files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut all = BTreeMap::new();
    for table in ["captures", "events"] {
        for entry in std::fs::read_dir(out.join(table)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            all.insert(format!("{table}/{name}"), std::fs::read(&path).unwrap());
        }
    }
    all
}

#[test]
fn a_batch_writes_one_row_per_content_and_a_second_run_skips_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = archive(dir.path(), 6);
    let out = dir.path().join("out");
    let run = panelscope(&["batch", root.to_str().unwrap(), "--out", out.to_str().unwrap(), "--jobs", "2"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    // 6 captures, the broken one, and the copy analysed once.
    assert!(stderr.contains("8 captures found: 7 analysed, 0 already done, 1 duplicates; 1 errors"), "{stderr}");
    let first = files(&out);
    assert_eq!(first.keys().filter(|k| k.starts_with("captures/")).count(), 7);
    assert!(first.keys().all(|k| !k.contains("/.")), "{:?}", first.keys());
    let again = panelscope(&["batch", root.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 analysed, 7 already done, 1 duplicates"));
    assert_eq!(files(&out), first);
    // --strict fails on the error row, even when it was written by an earlier run.
    let strict = panelscope(&["batch", root.to_str().unwrap(), "--out", out.to_str().unwrap(), "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert!(stderr.lines().last().unwrap().starts_with("error: 1 captures could not be analysed"), "{stderr}");
    // The same dataset compared with itself: identical.
    let same = panelscope(&["batch", "compare", out.to_str().unwrap(), out.to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&same.stdout).unwrap();
    assert!(doc["totals"].as_object().unwrap().values().all(|c| c["only_a"] == 0 && c["only_b"] == 0));
    let broken = doc["captures"].as_array().unwrap().iter().find(|c| c["status_a"] == "error").unwrap();
    assert!(broken["path"].as_str().unwrap().ends_with("broken.csv"));
}

#[test]
fn a_batch_killed_at_any_moment_resumes_to_the_rows_of_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = archive(dir.path(), 12);
    let whole = dir.path().join("whole");
    assert!(
        panelscope(&["batch", root.to_str().unwrap(), "--out", whole.to_str().unwrap(), "--jobs", "2"])
            .status
            .success()
    );
    let reference = files(&whole);
    let out = dir.path().join("killed");
    let mut kills = 0;
    for delay_ms in [30u64, 80, 150, 250, 400, 600] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_panelscope"))
            .args(["batch", root.to_str().unwrap(), "--out", out.to_str().unwrap(), "--jobs", "2"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        // What a reader sees at any moment: only complete files, each a valid Parquet file.
        for (name, bytes) in files(&out) {
            if !name.contains("/.") {
                assert_eq!(reference.get(&name), Some(&bytes), "{name} is not complete");
            }
        }
    }
    assert!(kills > 0, "every run finished before it could be killed; the archive is too small");
    let last = panelscope(&["batch", root.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(last.status.success());
    assert_eq!(files(&out), reference);
}

#[test]
fn compare_lists_what_another_version_finds_differently() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let input = sample().join("split-phase-10s.parquet");
    assert!(panelscope(&["batch", input.to_str().unwrap(), "--out", a.to_str().unwrap()]).status.success());
    let strict = ["batch", input.to_str().unwrap(), "--out", b.to_str().unwrap(), "--min-step-a", "4"];
    assert!(panelscope(&strict).status.success());
    let text = panelscope(&["batch", "compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("1 captures, 1 differ"), "{text}");
    assert!(text.contains("only A:") && !text.contains("only B:"), "{text}");
    let json = panelscope(&["batch", "compare", a.to_str().unwrap(), b.to_str().unwrap(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_ne!(doc["versions_a"], doc["versions_b"]);
    let load_on = &doc["totals"]["load_on"];
    assert!(load_on["only_a"].as_u64().unwrap() > 0 && load_on["only_b"] == 0 && load_on["both"].as_u64().unwrap() > 0);
    // Both versions in one folder: compare asks which.
    assert!(
        panelscope(&["batch", input.to_str().unwrap(), "--out", a.to_str().unwrap(), "--min-step-a", "4"])
            .status
            .success()
    );
    let mixed = panelscope(&["batch", "compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(mixed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("--a-version"));
}

#[test]
fn bad_inputs_and_outputs_stop_with_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = panelscope(&["batch", dir.path().join("nowhere").to_str().unwrap(), "--out", "x"]);
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("nowhere") && stderr.lines().count() == 1, "{stderr}");
    // An output that is a file.
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let input = sample().join("split-phase-2s.csv");
    let blocked = panelscope(&["batch", input.to_str().unwrap(), "--out", file.to_str().unwrap()]);
    assert_eq!(blocked.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&blocked.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("file"), "{stderr}");
    assert!(!String::from_utf8_lossy(&blocked.stderr).contains("panicked"));
    let none = panelscope(&["batch", "compare", dir.path().join("a").to_str().unwrap(), file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&none.stderr).contains("not a dataset folder"));
}
