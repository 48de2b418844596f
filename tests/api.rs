//! The HTTP API end to end: the real server on 127.0.0.1:0 over a temporary directory,
//! exercised through the real client (and raw HTTP where the client would not go).

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use panelscope::analysis::events::{DetectOptions, detect};
use panelscope::analysis::lod::Pyramid;
use panelscope::api::client::{Client, ClientError};
use panelscope::api::server::{ServerConfig, ServerHandle, spawn};
use panelscope::api::{CaptureInfo, WindowQuery, window};
use panelscope::capture;
use panelscope::panel::InstallConfig;

const TOKEN: &str = "s3cret-token";

/// A served directory: captures at the top and in a folder, the sample panel, a file that
/// is not a capture, and a link that points outside.
fn served_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::copy(common::sample("split-phase-2s.csv"), root.join("split-phase-2s.csv")).unwrap();
    std::fs::create_dir(root.join("site")).unwrap();
    std::fs::copy(common::sample("three-phase-4s.cfg"), root.join("site/three-phase-4s.cfg")).unwrap();
    std::fs::copy(common::sample("three-phase-4s.dat"), root.join("site/three-phase-4s.dat")).unwrap();
    std::fs::copy(common::sample("split-phase-10s.parquet"), root.join("site/split-phase-10s.parquet")).unwrap();
    std::fs::copy(common::sample("sample-panel.ron"), root.join("sample-panel.ron")).unwrap();
    std::fs::write(root.join("notes.csv"), "this is not,a capture\nat,all\n").unwrap();
    std::fs::write(root.join(".hidden.csv"), "time_s,V\n0,1\n").unwrap();
    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().unwrap().keep();
        std::fs::copy(common::sample("split-phase-2s.csv"), outside.join("secret.csv")).unwrap();
        std::os::unix::fs::symlink(outside.join("secret.csv"), root.join("link-out.csv")).unwrap();
    }
    dir
}

async fn start(dir: &Path, tokens: &[&str]) -> (String, ServerHandle) {
    let mut config = ServerConfig::new(dir);
    config.tokens = tokens.iter().map(|t| t.to_string()).collect();
    config.body_limit = 64 * 1024;
    let (addr, handle) = spawn("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    (format!("http://{addr}"), handle)
}

fn client(url: &str, token: Option<&str>) -> Client {
    Client::new(url, token.map(str::to_string)).unwrap()
}

fn pyramids(c: &capture::Capture) -> Vec<Option<Pyramid>> {
    c.channels.iter().map(|ch| ch.analog_values().map(Pyramid::build)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_what_the_directory_holds() {
    let dir = served_dir();
    let (url, server) = start(dir.path(), &[]).await;
    let c = client(&url, None);
    let health = c.health().await.unwrap();
    assert_eq!(health.status, "ok");
    assert!(!health.auth);

    let captures = c.captures().await.unwrap();
    let names: Vec<&str> = captures.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["site/split-phase-10s.parquet", "site/three-phase-4s.cfg", "split-phase-2s.csv"]);
    for summary in &captures {
        assert!(summary.id.chars().all(|ch| ch.is_ascii_alphanumeric()), "opaque id {}", summary.id);
        let local = capture::read(&dir.path().join(&summary.name)).unwrap();
        assert_eq!(summary.channels, local.channels.len());
        assert_eq!(summary.sample_count, local.sample_count());
        assert_eq!(summary.sample_rate_hz, local.sample_rate_hz());
        assert_eq!(summary.duration_s, local.duration_s());
        // The info document is `info --json`'s.
        let info = c.capture(&summary.id).await.unwrap();
        let expected = CaptureInfo { id: summary.id.clone(), name: summary.name.clone(), ..CaptureInfo::of(&local) };
        assert_eq!(info, expected);
        // With statistics: those of `info --stats`, over every sample.
        let with_stats = c.capture_with_stats(&summary.id).await.unwrap();
        let cli = panelscope::cli::info_json(&local, true);
        for (k, ch) in with_stats.channels.iter().enumerate() {
            assert_eq!(ch.rms, cli["channels"][k]["rms"].as_f64(), "{}", ch.name);
            assert_eq!(ch.max, cli["channels"][k]["max"].as_f64(), "{}", ch.name);
        }
        let cli = panelscope::cli::info_json(&local, false);
        assert_eq!(serde_json::to_value(&info).unwrap()["channels"], cli["channels"]);
        assert_eq!(serde_json::to_value(&info).unwrap()["sample_count"], cli["sample_count"]);
    }
    let cfg = captures.iter().find(|c| c.format == "comtrade").unwrap();
    let on_disk = std::fs::metadata(dir.path().join("site/three-phase-4s.cfg")).unwrap().len()
        + std::fs::metadata(dir.path().join("site/three-phase-4s.dat")).unwrap().len();
    assert_eq!(cfg.bytes, on_disk);
    assert_eq!(cfg.parts, ["main", "dat"]);

    let panels = c.panels().await.unwrap();
    assert_eq!(panels.len(), 1);
    assert_eq!(panels[0].file, "sample-panel.ron");
    assert!(!panels[0].has_install_config);
    let project = c.panel(&panels[0].id).await.unwrap();
    assert_eq!(project, panelscope::panel::Project::load(&dir.path().join("sample-panel.ron")).unwrap());

    // The listing follows the directory: a new file appears, a removed one goes.
    std::fs::copy(common::sample("split-phase-2s.csv"), dir.path().join("site/copy.csv")).unwrap();
    std::fs::remove_file(dir.path().join("split-phase-2s.csv")).unwrap();
    let names: Vec<String> = c.captures().await.unwrap().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["site/copy.csv", "site/split-phase-10s.parquet", "site/three-phase-4s.cfg"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_match_the_local_query() {
    let dir = served_dir();
    let (url, server) = start(dir.path(), &[]).await;
    let c = client(&url, None);
    for summary in c.captures().await.unwrap() {
        let local = capture::read(&dir.path().join(&summary.name)).unwrap();
        let p = pyramids(&local);
        let names: Vec<String> = local.channels.iter().take(3).map(|c| c.name.clone()).collect();
        let queries = [
            WindowQuery::default(),
            WindowQuery { max_points: Some(400), ..Default::default() },
            WindowQuery { from_s: Some(0.25), to_s: Some(0.75), channels: names.clone(), max_points: Some(100) },
            WindowQuery { from_s: Some(0.5), to_s: Some(0.52), channels: names, max_points: Some(100_000) },
        ];
        for q in queries {
            let remote = c.window(&summary.id, &q).await.unwrap();
            let expected = window(&local, &p, &q).unwrap();
            assert_eq!(remote, expected, "{} {q:?}", summary.name);
        }
    }
    // A decimated window keeps every extreme of the samples it covers.
    let parquet = c.captures().await.unwrap().into_iter().find(|c| c.format == "parquet").unwrap();
    let w = c.window(&parquet.id, &WindowQuery { max_points: Some(64), ..Default::default() }).await.unwrap();
    assert!(w.decimated);
    let local = capture::read(&dir.path().join(&parquet.name)).unwrap();
    let values = local.channels[0].analog_values().unwrap();
    let max = values.iter().copied().fold(f32::MIN, f32::max);
    assert!(w.channels[0].values.contains(&Some(max)));

    // Bad windows are 400s that say why.
    let err = c.window(&parquet.id, &WindowQuery { from_s: Some(1e9), ..Default::default() }).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Status { status: 400, message, .. } if message.contains("past the end")),
        "{err}"
    );
    let err =
        c.window(&parquet.id, &WindowQuery { channels: vec!["nope".into()], ..Default::default() }).await.unwrap_err();
    assert!(err.to_string().contains("no channel named 'nope'"), "{err}");
    let raw = reqwest::get(format!("{url}/api/v1/captures/{}/window?max_points=abc", parquet.id)).await.unwrap();
    assert_eq!(raw.status(), 400);
    let raw = reqwest::get(format!("{url}/api/v1/captures/{}/window?form=1", parquet.id)).await.unwrap();
    assert_eq!(raw.status(), 400);
    assert!(raw.text().await.unwrap().contains("unknown parameter 'form'"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_the_local_detection() {
    let dir = served_dir();
    let (url, server) = start(dir.path(), &[]).await;
    let c = client(&url, None);
    let parquet = c.captures().await.unwrap().into_iter().find(|c| c.format == "parquet").unwrap();
    let remote = c.events(&parquet.id).await.unwrap();
    let local = detect(&capture::read(&dir.path().join(&parquet.name)).unwrap(), &DetectOptions::default()).unwrap();
    assert_eq!(remote, local);
    assert!(!remote.events.is_empty());
    // Cached: the second answer is the same.
    assert_eq!(c.events(&parquet.id).await.unwrap(), local);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_are_byte_identical_and_ranges_work() {
    let dir = served_dir();
    let (url, server) = start(dir.path(), &[TOKEN]).await;
    let c = client(&url, Some(TOKEN));
    let out = tempfile::tempdir().unwrap();
    let captures = c.captures().await.unwrap();
    for summary in &captures {
        let name = Path::new(&summary.name).file_name().unwrap().to_owned();
        let target = out.path().join(&name);
        let seen = std::sync::Mutex::new(Vec::new());
        let progress = |done: u64, total: u64| seen.lock().unwrap().push((done, total));
        let written = c.download(&summary.id, &target, &progress, &AtomicBool::new(false)).await.unwrap();
        for path in &written {
            let original = dir.path().join(&summary.name).with_file_name(path.file_name().unwrap());
            assert_eq!(std::fs::read(path).unwrap(), std::fs::read(&original).unwrap(), "{}", path.display());
        }
        let seen = seen.into_inner().unwrap();
        assert_eq!(seen.last(), Some(&(summary.bytes, summary.bytes)));
        // The download reads back as the same capture.
        let back = capture::read(&target).unwrap();
        assert_eq!(back.sample_count(), summary.sample_count);
    }
    let cfg = captures.iter().find(|c| c.format == "comtrade").unwrap();
    assert!(out.path().join("three-phase-4s.dat").is_file());

    // Range requests, on the raw endpoint.
    let csv = captures.iter().find(|c| c.format == "csv").unwrap();
    let original = std::fs::read(dir.path().join(&csv.name)).unwrap();
    let http = reqwest::Client::new();
    let get = |range: &str, part: &str| {
        http.get(format!("{url}/api/v1/captures/{}/file?part={part}", if part == "dat" { &cfg.id } else { &csv.id }))
            .bearer_auth(TOKEN)
            .header("Range", range.to_string())
            .send()
    };
    let r = get("bytes=10-99", "main").await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], format!("bytes 10-99/{}", original.len()).as_str());
    assert_eq!(r.bytes().await.unwrap(), &original[10..100]);
    let r = get("bytes=-5", "main").await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap(), &original[original.len() - 5..]);
    let r = get(&format!("bytes={}-", original.len() + 10), "main").await.unwrap();
    assert_eq!(r.status(), 416);
    let dat = std::fs::read(dir.path().join("site/three-phase-4s.dat")).unwrap();
    let r = get("bytes=0-3", "dat").await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap(), &dat[..4]);
    let r =
        http.get(format!("{url}/api/v1/captures/{}/file?part=dat", csv.id)).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // A cancelled download leaves nothing behind.
    let target = out.path().join("cancelled.csv");
    let cancelled = c.download(&csv.id, &target, &|_, _| {}, &AtomicBool::new(true)).await.unwrap_err();
    assert!(matches!(cancelled, ClientError::Cancelled));
    assert!(!target.exists());
    let leftovers: Vec<PathBuf> = std::fs::read_dir(out.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(leftovers.iter().all(|p| !p.to_string_lossy().contains("cancelled")), "{leftovers:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_required_when_given() {
    let dir = served_dir();
    let (url, server) = start(dir.path(), &[TOKEN, "second"]).await;
    // Health stays open, and says that a token is needed.
    assert!(client(&url, None).health().await.unwrap().auth);
    let err = client(&url, None).captures().await.unwrap_err();
    assert!(matches!(&err, ClientError::Unauthorized { message, .. } if message.contains("token is needed")), "{err}");
    let err = client(&url, Some("wrong")).captures().await.unwrap_err();
    assert!(matches!(&err, ClientError::Unauthorized { message, .. } if message.contains("not valid")), "{err}");
    let raw = reqwest::get(format!("{url}/api/v1/panels")).await.unwrap();
    assert_eq!(raw.status(), 401);
    assert_eq!(raw.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = raw.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("token"));
    assert_eq!(client(&url, Some("second")).captures().await.unwrap().len(), 3);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_and_path_tricks_are_404() {
    let dir = served_dir();
    let (url, server) = start(dir.path(), &[]).await;
    let c = client(&url, None);
    let err = c.capture("c0000000000000000").await.unwrap_err();
    assert!(matches!(&err, ClientError::NotFound { message, .. } if message.contains("no capture with id")), "{err}");
    assert!(matches!(c.panel("nope").await.unwrap_err(), ClientError::NotFound { .. }));
    // Nothing outside the directory is listed, even through a link.
    let names: Vec<String> = c.captures().await.unwrap().into_iter().map(|c| c.name).collect();
    assert!(!names.iter().any(|n| n.contains("link-out") || n.contains("hidden") || n.contains("notes")), "{names:?}");
    let http = reqwest::Client::new();
    for path in [
        "/api/v1/captures/..%2F..%2F..%2Fetc%2Fpasswd/file",
        "/api/v1/captures/%2Fetc%2Fpasswd/file",
        "/api/v1/captures/split-phase-2s.csv/file",
        "/api/v1/captures/..%5C..%5Cwindows/file",
        "/api/v1/panels/..%2Fsample-panel.ron",
        "/api/v1/captures/link-out.csv/file",
        "/etc/passwd",
        "/api/v2/captures",
    ] {
        let r = http.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    // Raw dot segments, which the client library would have normalised away.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    stream
        .write_all(b"GET /api/v1/captures/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(!answer.contains("root:"), "{answer}");
    let r = http.delete(format!("{url}/api/v1/captures")).send().await.unwrap();
    assert_eq!(r.status(), 401, "writes need a token before anything else");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_configs_are_validated_and_kept() {
    let dir = served_dir();
    let (url, server) = start(dir.path(), &[TOKEN]).await;
    let c = client(&url, Some(TOKEN));
    let panel = c.panels().await.unwrap().remove(0);
    let err = c.install_config(&panel.id).await.unwrap_err();
    assert!(matches!(&err, ClientError::NotFound { message, .. } if message.contains("no install configuration")));

    let config: InstallConfig =
        panelscope::panel::load_install_config(&common::sample("sample-panel.install.json")).unwrap();
    let stored = c.put_install_config(&panel.id, &config).await.unwrap();
    assert_eq!(stored.status, "stored");
    assert!(!stored.kept_previous);
    assert_eq!(c.install_config(&panel.id).await.unwrap(), config);
    let on_disk = dir.path().join("sample-panel.install.json");
    assert_eq!(panelscope::panel::load_install_config(&on_disk).unwrap(), config);
    assert!(c.panels().await.unwrap()[0].has_install_config);

    // A second version keeps the first beside it.
    let mut second = config.clone();
    second.circuits[0].label = "Kitchen (renamed)".into();
    let stored = c.put_install_config(&panel.id, &second).await.unwrap();
    assert!(stored.kept_previous);
    assert_eq!(c.install_config(&panel.id).await.unwrap(), second);
    let previous = dir.path().join("sample-panel.install.prev.json");
    assert_eq!(panelscope::panel::load_install_config(&previous).unwrap(), config);

    // Invalid: a channel on two circuits. 422 with the findings, and nothing changes.
    let mut invalid = second.clone();
    let taken = invalid.circuits[0].channels[0].channel.clone();
    invalid.circuits[1].channels[0].channel = taken;
    let err = c.put_install_config(&panel.id, &invalid).await.unwrap_err();
    match &err {
        ClientError::Invalid { errors, message, .. } => {
            assert!(errors.iter().any(|f| f.code == "channel-twice"), "{errors:?}");
            assert!(message.contains("error"), "{message}");
        }
        other => panic!("expected 422, got {other}"),
    }
    assert_eq!(c.install_config(&panel.id).await.unwrap(), second);
    // Not JSON at all: 422 naming the line.
    let err = c.put_raw_install_config(&panel.id, b"{\n  \"schema_version\": oops\n}".to_vec()).await.unwrap_err();
    assert!(matches!(&err, ClientError::Invalid { message, .. } if message.contains("line 2")), "{err}");
    // Too large: 413.
    let err = c.put_raw_install_config(&panel.id, vec![b' '; 200 * 1024]).await.unwrap_err();
    assert!(matches!(err, ClientError::TooLarge { .. }), "{err}");
    // Without a token, or on a server without tokens: 401.
    let err = client(&url, None).put_install_config(&panel.id, &config).await.unwrap_err();
    assert!(matches!(err, ClientError::Unauthorized { .. }), "{err}");
    let (open_url, open_server) = start(dir.path(), &[]).await;
    let err = client(&open_url, Some(TOKEN)).put_install_config(&panel.id, &config).await.unwrap_err();
    assert!(matches!(&err, ClientError::Unauthorized { message, .. } if message.contains("--token-file")), "{err}");
    assert_eq!(c.install_config(&panel.id).await.unwrap(), second);
    open_server.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_named() {
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = client(&format!("http://127.0.0.1:{port}"), None).captures().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{text}");
    assert!(text.contains("cannot reach the server at http://127.0.0.1:") && text.contains("refused"), "{text}");
    assert!(matches!(Client::new("127.0.0.1:7878", None), Err(ClientError::BadUrl(_))));
}

/// A `.dat` that links outside is never listed nor served, and a capture swapped for a
/// link after it was listed is refused when it is opened.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_part_of_a_capture_is_served_from_outside() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.dat"), "not yours").unwrap();
    std::fs::copy(common::sample("three-phase-4s.cfg"), root.join("pair.cfg")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.dat"), root.join("pair.dat")).unwrap();
    std::fs::copy(common::sample("split-phase-2s.csv"), root.join("swap.csv")).unwrap();
    std::fs::copy(common::sample("split-phase-2s.csv"), outside.path().join("other.csv")).unwrap();
    let (url, server) = start(root, &[]).await;
    let c = client(&url, None);
    let captures = c.captures().await.unwrap();
    let names: Vec<&str> = captures.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["swap.csv"], "the pair whose .dat leads outside is not listed");

    // Listed, then swapped for a link to a file outside.
    let id = captures[0].id.clone();
    std::fs::remove_file(root.join("swap.csv")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("other.csv"), root.join("swap.csv")).unwrap();
    let file = reqwest::get(format!("{url}/api/v1/captures/{id}/file")).await.unwrap();
    assert_eq!(file.status(), 404);
    assert!(file.text().await.unwrap().contains("outside"));
    let window = reqwest::get(format!("{url}/api/v1/captures/{id}/window")).await.unwrap();
    assert_eq!(window.status(), 404);
    server.shutdown().await;
}

/// A client that sends its headers slowly is cut off, and the server keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = served_dir();
    let mut config = ServerConfig::new(dir.path());
    config.header_timeout = std::time::Duration::from_millis(500);
    let (addr, server) = spawn("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.unwrap();
    // The rest of the headers never comes: the server closes the connection.
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), slow.read(&mut buf)).await;
    let closed = match read {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(n)) => {
            String::from_utf8_lossy(&buf[..n]).contains("408") || slow.read(&mut buf).await.is_ok_and(|n| n == 0)
        }
        Err(_) => false,
    };
    assert!(closed, "the slow connection is still open");
    let health = client(&format!("http://{addr}"), None).health().await.unwrap();
    assert_eq!(health.status, "ok");
    server.shutdown().await;
}

/// Past its connection caps (per client address, and in all) the server closes new
/// connections at once, keeps serving the ones it holds, and takes new ones when a slot
/// frees: idle clients cannot lock everyone out.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_capped_per_client_and_in_all() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpSocket, TcpStream};
    let dir = served_dir();
    let mut config = ServerConfig::new(dir.path());
    config.header_timeout = std::time::Duration::from_secs(30);
    config.max_connections = 5;
    config.max_connections_per_client = 3;
    let (addr, server) = spawn("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    let connect_from = |ip: &'static str| async move {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
        socket.connect(addr).await.unwrap()
    };
    // Closed by the server within a moment (end of stream or reset), not held.
    async fn closed_at_once(stream: &mut TcpStream) -> bool {
        let mut buf = [0u8; 64];
        matches!(
            tokio::time::timeout(std::time::Duration::from_secs(3), stream.read(&mut buf)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
    async fn answers(stream: &mut TcpStream) -> bool {
        let request = "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if stream.write_all(request.as_bytes()).await.is_err() {
            return false;
        }
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200")
    }

    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from("127.0.0.1").await);
    }
    let mut fourth = connect_from("127.0.0.1").await;
    assert!(closed_at_once(&mut fourth).await, "a fourth connection from one address is refused");
    held.push(connect_from("127.0.0.2").await);
    held.push(connect_from("127.0.0.2").await);
    let mut sixth = connect_from("127.0.0.3").await;
    assert!(closed_at_once(&mut sixth).await, "a sixth connection in all is refused");
    // The held connections are served...
    assert!(answers(&mut held[0]).await);
    // ...and the slot it gave back is taken by a newcomer.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut newcomer = connect_from("127.0.0.3").await;
    assert!(answers(&mut newcomer).await, "a freed slot is used again");
    drop(held);
    server.shutdown().await;
}

/// One request cannot ask for gigabytes: a channel asked twice and an answer past the
/// documented size are refused with a reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_answer_is_bounded() {
    let dir = served_dir();
    let (url, server) = start(dir.path(), &[]).await;
    let captures = client(&url, None).captures().await.unwrap();
    let id = &captures.iter().find(|c| c.name == "site/split-phase-10s.parquet").unwrap().id;
    let twice =
        reqwest::get(format!("{url}/api/v1/captures/{id}/window?channels=V_A,V_A&max_points=200000")).await.unwrap();
    assert_eq!(twice.status(), 400);
    assert!(twice.text().await.unwrap().contains("asked for twice"));
    let many = vec!["V_A"; 1000].join(",");
    let repeated =
        reqwest::get(format!("{url}/api/v1/captures/{id}/window?channels={many}&max_points=200000")).await.unwrap();
    assert_eq!(repeated.status(), 400, "a channel repeated 1000 times is refused");
    server.shutdown().await;
}

/// A body announced as larger than the limit is refused at once, before any of it arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announced_huge_body_is_refused_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = served_dir();
    let (url, server) = start(dir.path(), &[TOKEN]).await;
    let panels = client(&url, Some(TOKEN)).panels().await.unwrap();
    let addr = url.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "PUT /api/v1/panels/{}/install-config HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{{",
        panels[0].id
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    server.shutdown().await;
}

/// Without tokens, only loopback host names are answered (a rebinding page is refused).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_tokens_only_loopback_names_are_answered() {
    let dir = served_dir();
    let (url, server) = start(dir.path(), &[]).await;
    let http = reqwest::Client::new();
    let get = |host: &'static str| http.get(format!("{url}/api/v1/captures")).header("Host", host).send();
    assert_eq!(get("evil.example:7878").await.unwrap().status(), 403);
    assert_eq!(get("192.168.1.20").await.unwrap().status(), 403);
    for host in ["localhost:7878", "127.0.0.1", "[::1]:7878", "LOCALHOST."] {
        assert_eq!(get(host).await.unwrap().status(), 200, "{host}");
    }
    server.shutdown().await;
    // With tokens, the token is what counts.
    let (url, server) = start(dir.path(), &[TOKEN]).await;
    let answer =
        http.get(format!("{url}/api/v1/captures")).header("Host", "panels.example").bearer_auth(TOKEN).send().await;
    assert_eq!(answer.unwrap().status(), 200);
    server.shutdown().await;
}
