//! The explorer against a real `panelscope serve` (in-process, on 127.0.0.1:0): connect,
//! open a capture progressively, zoom for detail, download it, upload an install
//! configuration from the panel editor.

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use panelscope::api::server::{ServerConfig, ServerHandle, spawn};
use panelscope::app::{App, Connection, ExplorerMessage, Message, RemoteMessage};

const TOKEN: &str = "ui-token";

fn sample(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data").join(name)
}

struct Served {
    url: String,
    dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
    _server: ServerHandle,
}

fn serve() -> Served {
    let dir = tempfile::tempdir().unwrap();
    for name in ["split-phase-10s.parquet", "sample-panel.ron"] {
        std::fs::copy(sample(name), dir.path().join(name)).unwrap();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let mut config = ServerConfig::new(dir.path());
    config.tokens = vec![TOKEN.into()];
    let (addr, server) = runtime.block_on(spawn("127.0.0.1:0".parse().unwrap(), config)).unwrap();
    Served { url: format!("http://{addr}"), dir, _runtime: runtime, _server: server }
}

fn run_until(harness: &mut Harness<'_, App>, what: &str, done: impl Fn(&App) -> bool) {
    let start = Instant::now();
    while !done(harness.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}: {:?}",
            harness.state().errors()
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..4 {
        harness.step();
    }
}

fn harness() -> Harness<'static, App> {
    let app = App::new(egui::Context::default());
    Harness::builder().with_size(egui::vec2(1400.0, 900.0)).build_ui_state(|ui, app: &mut App| app.ui(ui), app)
}

/// Types the URL and token into the Server window and connects.
fn connect(harness: &mut Harness<'_, App>, url: &str, token: &str) {
    // The field starts at the default address; clear it to type this server's.
    assert_eq!(harness.state().remote().url, panelscope::api::DEFAULT_URL);
    harness.state_mut().apply(Message::Remote(RemoteMessage::SetUrl(String::new())));
    harness.state_mut().apply(Message::Remote(RemoteMessage::ShowWindow(true)));
    for _ in 0..3 {
        harness.step();
    }
    harness.get_by_role_and_label(Role::TextInput, "URL").click();
    harness.step();
    harness.get_by_role_and_label(Role::TextInput, "URL").type_text(url);
    harness.step();
    harness.get_by_role_and_label(Role::PasswordInput, "Token").click();
    harness.step();
    harness.get_by_role_and_label(Role::PasswordInput, "Token").type_text(token);
    harness.step();
    harness.get_by_label("Connect").click();
    harness.step();
}

#[test]
fn connects_opens_a_capture_and_zooms_for_detail() {
    let served = serve();
    let mut harness = harness();
    connect(&mut harness, &served.url, "wrong");
    run_until(&mut harness, "the refusal", |app| matches!(app.remote().connection, Connection::Failed(_)));
    let Connection::Failed(message) = &harness.state().remote().connection else { unreachable!() };
    assert!(message.contains("refused the token"), "{message}");
    assert!(harness.query_by_label_contains("refused the token").is_some(), "shown in the window");

    harness.state_mut().apply(Message::Remote(RemoteMessage::SetToken(TOKEN.into())));
    harness.step();
    harness.get_by_label("Connect").click();
    run_until(&mut harness, "the lists", |app| matches!(app.remote().connection, Connection::Connected(_)));
    assert_eq!(harness.state().remote().captures.len(), 1);
    assert_eq!(harness.state().remote().panels.len(), 1);
    assert!(harness.state().settings().server_url.starts_with("http://127.0.0.1:"));

    harness.get_by_label("Open").click();
    run_until(&mut harness, "the overview", |app| app.captures().len() == 1);
    run_until(&mut harness, "the events", |app| matches!(app.captures()[0].events, Some(Ok(_))));
    let open = &harness.state().captures()[0];
    let remote = open.remote.as_ref().expect("a remote capture");
    assert_eq!(remote.info.sample_count, 40_000);
    assert!(open.capture.sample_count() <= 8000, "an overview, not the samples");
    // A remote capture is not reopened as a file next time.
    assert!(harness.state().settings().open.is_empty());

    // Zoom in past the overview's resolution: the span in view is fetched.
    harness.state_mut().apply(ExplorerMessage::ZoomTo { from_s: 2.0, to_s: 2.05 }.into());
    run_until(&mut harness, "the detail", |app| app.captures()[0].remote.as_ref().unwrap().detail.is_some());
    let detail = harness.state().captures()[0].remote.as_ref().unwrap().detail.as_ref().unwrap();
    assert!(detail.from_s <= 2.0 && detail.to_s >= 2.05, "{} {}", detail.from_s, detail.to_s);
    assert!(!detail.decimated, "200 samples in view: the raw samples");

    // Measurements say what to do instead of measuring the overview.
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 0, t_s: 2.0 }.into());
    harness.state_mut().apply(ExplorerMessage::SetCursor { which: 1, t_s: 2.04 }.into());
    for _ in 0..3 {
        harness.step();
    }
    assert!(harness.query_by_label_contains("download it").is_some());
}

#[test]
fn downloads_a_capture_and_uploads_an_install_config() {
    let served = serve();
    let mut harness = harness();
    connect(&mut harness, &served.url, TOKEN);
    run_until(&mut harness, "the lists", |app| matches!(app.remote().connection, Connection::Connected(_)));

    // Opening can be cancelled: the answer is dropped when it comes.
    let id = harness.state().remote().captures[0].id.clone();
    harness.state_mut().apply(Message::Remote(RemoteMessage::Open(id)));
    let request = harness.state().remote().opening[0].request;
    harness.state_mut().apply(Message::Remote(RemoteMessage::CancelOpen(request)));
    for _ in 0..20 {
        harness.step();
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(harness.state().captures().is_empty() && harness.state().remote().opening.is_empty());

    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("copy.parquet");
    let id = harness.state().remote().captures[0].id.clone();
    harness.state_mut().apply(Message::Remote(RemoteMessage::Download { capture_id: id, path: target.clone() }));
    run_until(&mut harness, "the download", |app| app.remote().downloads.is_empty() && app.captures().len() == 1);
    assert_eq!(std::fs::read(&target).unwrap(), std::fs::read(sample("split-phase-10s.parquet")).unwrap());
    assert!(harness.state().captures()[0].remote.is_none(), "opened from the downloaded file");

    // The server's panel, into the editor, and its install configuration back up.
    let panel = harness.state().remote().panels[0].id.clone();
    harness.state_mut().apply(Message::Remote(RemoteMessage::OpenPanel(panel)));
    run_until(&mut harness, "the panel", |app| app.editor().is_some());
    harness.get_by_label("Upload").click();
    run_until(&mut harness, "the upload", |app| {
        !app.errors().is_empty() || app.status().is_some_and(|s| s.contains("uploaded"))
    });
    assert!(harness.state().errors().is_empty(), "{:?}", harness.state().errors());
    assert!(harness.state().status().unwrap().contains("uploaded"));
    let stored = panelscope::panel::load_install_config(&served.dir.path().join("sample-panel.install.json")).unwrap();
    assert_eq!(stored, harness.state().editor().unwrap().project.install_config().unwrap());
}
