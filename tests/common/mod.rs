//! Helpers the command-line tests share.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The `panelscope` binary of this build.
pub fn panelscope() -> Command {
    Command::cargo_bin("panelscope").expect("binary is built")
}

/// A file of `sample-data/`.
pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data").join(name)
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

/// Runs `panelscope args`, which must succeed, and parses what it prints as JSON.
pub fn json_of(args: &[&str]) -> Value {
    let out = panelscope().args(args).output().expect("the binary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// `../shared/data/REL`, the real records kept beside the repository, when it is there.
///
/// In a clone without it, the calling test says on the terminal that it was skipped (past
/// the test harness's capture, so it shows in a plain `cargo test`) and gets `None`; under
/// CI (`CI=true`) the records are required and their absence fails the test.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    use std::io::Write;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "{} is missing: CI runs with ../shared beside the repository",
        path.display()
    );
    // Once per test (a property test asks for every case).
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.contains(&test) {
        let _ = writeln!(std::io::stderr().lock(), "skipped {test}: {} is not beside the repository", path.display());
        said.push(test);
    }
    None
}
pub mod score;
