//! `panelscope serve` as a process, and `panelscope remote list|get` against it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::{panelscope, s, sample};

/// A running `panelscope serve`; stopped with SIGINT (Ctrl-C) when dropped.
struct Served {
    child: Child,
    url: String,
}

fn serve(dir: &std::path::Path, extra: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_panelscope"))
        .args(["serve", s(dir), "--addr", "127.0.0.1:0"])
        .args(extra)
        .env("RUST_LOG", "panelscope=info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The log names the address once it listens.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(at) = line.find("at http://") {
            let rest = &line[at + 3..];
            break rest[..rest.find("/api/v1").unwrap()].to_string();
        }
    };
    // Keep draining the log so that the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Served { child, url }
}

impl Served {
    /// Ctrl-C, then the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        interrupt(&self.child);
        self.child.wait().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn interrupt(child: &Child) {
    // The shell's own kill: no procps needed.
    let status = Command::new("sh").args(["-c", &format!("kill -INT {}", child.id())]).status().unwrap();
    assert!(status.success());
}

fn served_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["split-phase-2s.csv", "three-phase-4s.cfg", "three-phase-4s.dat", "sample-panel.ron"] {
        std::fs::copy(sample(name), dir.path().join(name)).unwrap();
    }
    dir
}

#[test]
fn remote_list_and_get() {
    let dir = served_dir();
    let tokens = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tokens.path(), "# panelscope tokens\n\nfirst-token\n").unwrap();
    let server = serve(dir.path(), &["--token-file", s(tokens.path())]);

    let listed = panelscope().args(["remote", "list", &server.url, "--token-file", s(tokens.path())]).output().unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let text = String::from_utf8(listed.stdout).unwrap();
    assert!(
        text.contains("2 capture(s)") && text.contains("split-phase-2s.csv") && text.contains("1 panel(s)"),
        "{text}"
    );

    let json = common::json_of(&["remote", "list", &server.url, "--token-file", s(tokens.path()), "--json"]);
    let captures = json["captures"].as_array().unwrap();
    let cfg = captures.iter().find(|c| c["format"] == "comtrade").unwrap();
    let id = cfg["id"].as_str().unwrap();

    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("copy.cfg");
    panelscope()
        .args(["remote", "get", &server.url, id, "--out", s(&target), "--token-file", s(tokens.path())])
        .assert()
        .success();
    assert_eq!(std::fs::read(&target).unwrap(), std::fs::read(dir.path().join("three-phase-4s.cfg")).unwrap());
    assert_eq!(
        std::fs::read(out.path().join("copy.dat")).unwrap(),
        std::fs::read(dir.path().join("three-phase-4s.dat")).unwrap()
    );

    // No token: one clear line, exit 1.
    let denied = panelscope().args(["remote", "list", &server.url]).output().unwrap();
    assert_eq!(denied.status.code(), Some(1));
    let err = String::from_utf8_lossy(&denied.stderr);
    assert!(err.starts_with("error: ") && err.contains("token"), "{err}");
    // Unknown id: exit 1, nothing written.
    let missing = out.path().join("missing.csv");
    let failed = panelscope()
        .args(["remote", "get", &server.url, "c0000", "--out", s(&missing), "--token-file", s(tokens.path())])
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("no capture with id 'c0000'"));
    assert!(!missing.exists());

    // Ctrl-C stops it cleanly.
    assert!(server.stop().success());
}

#[test]
fn serve_refuses_the_network_without_tokens() {
    let dir = served_dir();
    let out = panelscope().args(["serve", s(dir.path()), "--addr", "0.0.0.0:0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("only listens on loopback") && err.contains("--token-file"), "{err}");

    let missing = panelscope().args(["serve", "/no/such/dir"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such/dir"));

    let empty = tempfile::NamedTempFile::new().unwrap();
    let out = panelscope().args(["serve", s(dir.path()), "--token-file", s(empty.path())]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token in the file"));
}

#[test]
fn an_unreachable_server_is_one_clear_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = panelscope().args(["remote", "list", &format!("http://127.0.0.1:{port}")]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the server"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
