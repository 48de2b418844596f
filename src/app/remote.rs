//! The explorer's side of the HTTP API: connect to a `panelscope serve`, browse its
//! captures and panels, open a capture progressively (an overview first, then detail for
//! the span in view), download one for offline use, and upload an install configuration.
//! Every request runs on the app's tokio runtime and reports back as a [`Message`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use eframe::egui;

use super::{App, Message, OpenCapture};
use crate::analysis::lod::Pyramid;
use crate::api::client::Client;
use crate::api::{CaptureInfo, CaptureSummary, Health, PanelSummary, Stored, WindowQuery};
use crate::capture::Capture;
use crate::panel::InstallConfig;

/// Points per channel of a remote capture's overview.
const OVERVIEW_POINTS: usize = 8000;

/// The runtime every network request of the GUI runs on (two workers; started on first use).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("panelscope-net")
            .enable_all()
            .build()
            .expect("the network runtime starts")
    })
}

/// Where the connection to a server stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Connection {
    #[default]
    Disconnected,
    Connecting,
    Connected(Health),
    Failed(String),
}

/// A download in progress.
#[derive(Debug)]
pub struct Download {
    pub id: u64,
    pub name: String,
    pub path: PathBuf,
    pub done: Arc<AtomicU64>,
    pub total: u64,
    pub started: Instant,
    cancel: Arc<AtomicBool>,
}

impl Download {
    pub fn fraction(&self) -> f32 {
        if self.total == 0 { 0.0 } else { (self.done.load(Ordering::Relaxed) as f64 / self.total as f64) as f32 }
    }
}

/// The server the explorer talks to, and what it holds.
#[derive(Debug, Default)]
pub struct RemoteState {
    /// The address typed (remembered in the settings).
    pub url: String,
    /// The token typed (never in the settings; in the token store when asked to remember).
    pub token: String,
    /// Keep the token in the token store (a file only the user can read).
    pub remember_token: bool,
    /// The connection window is shown.
    pub window_open: bool,
    pub connection: Connection,
    pub client: Option<Client>,
    pub captures: Vec<CaptureSummary>,
    pub panels: Vec<PanelSummary>,
    pub downloads: Vec<Download>,
    /// Captures being opened: (request id, name).
    pub opening: Vec<(u64, String)>,
    /// Which server panel the editor uploads to.
    pub upload_panel: Option<String>,
    pub uploading: bool,
    /// The token store; `None` in tests (nothing is written).
    pub token_store: Option<PathBuf>,
}

/// Where a remote capture comes from, and the detail fetched for the span in view.
#[derive(Debug)]
pub struct RemoteView {
    pub client: Client,
    pub capture_id: String,
    pub info: CaptureInfo,
    /// Samples for part of the capture at a finer resolution than the overview.
    pub detail: Option<Detail>,
    /// The span (and width) a detail request is out for.
    pub pending: Option<(f64, f64, usize)>,
}

/// A window of a remote capture at the resolution of the plots.
#[derive(Debug)]
pub struct Detail {
    pub from_s: f64,
    pub to_s: f64,
    /// Samples per second of capture time it holds.
    pub density: f64,
    pub decimated: bool,
    pub capture: Arc<Capture>,
    pub pyramids: Vec<Option<Pyramid>>,
}

impl OpenCapture {
    /// Points per second of the capture held: the samples, or a remote capture's overview.
    pub fn density(&self) -> f64 {
        self.capture.sample_count() as f64 / self.capture.duration_s().max(f64::MIN_POSITIVE)
    }

    /// For a remote capture: the detail, when it covers `x0..x1` more finely than the
    /// overview does.
    pub fn remote_detail(&self, x0: f64, x1: f64) -> Option<&Detail> {
        let overview = self.density();
        self.remote.as_ref()?.detail.as_ref().filter(|d| d.from_s <= x0 && d.to_s >= x1 && d.density > overview)
    }
}

/// What the network tells the app.
#[derive(Debug)]
pub enum RemoteMessage {
    /// Connect to this server (URL and token as typed).
    Connect,
    Disconnect,
    /// Ask for the lists again.
    Refresh,
    Connected(Result<(Health, Vec<CaptureSummary>, Vec<PanelSummary>), String>),
    ShowWindow(bool),
    SetUrl(String),
    SetToken(String),
    SetRememberToken(bool),
    /// Open a capture of the server in the explorer.
    Open(String),
    Opened {
        request: u64,
        result: Result<Box<(CaptureInfo, Capture)>, String>,
        client: Client,
        capture_id: String,
    },
    /// Stop opening (by request id): its answer is dropped when it comes.
    CancelOpen(u64),
    /// Samples for the span in view arrived.
    DetailReady {
        open_id: u64,
        span: (f64, f64, usize),
        result: Result<crate::api::Window, String>,
    },
    /// Download capture `id` to a file (then open it).
    Download {
        capture_id: String,
        path: PathBuf,
    },
    CancelDownload(u64),
    DownloadDone {
        id: u64,
        result: Result<Vec<PathBuf>, String>,
    },
    /// Open a panel project of the server in the editor.
    OpenPanel(String),
    PanelFetched(Result<(String, crate::panel::Project), String>),
    /// Which server panel the editor uploads to.
    SetUploadPanel(String),
    /// Upload the editor's install configuration to the chosen server panel.
    Upload,
    Uploaded(Result<Stored, String>),
}

impl App {
    /// The connection and what the server holds.
    pub fn remote(&self) -> &RemoteState {
        &self.remote
    }

    /// Remembers the token in (and takes it back from) `path`; tests leave it unset.
    pub fn set_token_store(&mut self, path: Option<PathBuf>) {
        if let Some(token) = path.as_deref().and_then(read_token) {
            self.remote.token = token;
            self.remote.remember_token = true;
        }
        self.remote.token_store = path;
    }

    fn send_later(&self) -> impl Fn(RemoteMessage) + Send + 'static {
        let report = self.reporter();
        move |m| report(Message::Remote(m))
    }

    pub(super) fn remote_action(&mut self, message: RemoteMessage) {
        let send = self.send_later();
        match message {
            RemoteMessage::ShowWindow(show) => self.remote.window_open = show,
            RemoteMessage::SetUrl(url) => self.remote.url = url,
            RemoteMessage::SetToken(token) => self.remote.token = token,
            RemoteMessage::SetRememberToken(on) => {
                self.remote.remember_token = on;
                if !on && let Some(store) = &self.remote.token_store {
                    let _ = std::fs::remove_file(store);
                }
            }
            RemoteMessage::Connect => {
                let token = Some(self.remote.token.clone()).filter(|t| !t.trim().is_empty());
                match Client::new(&self.remote.url, token) {
                    Err(e) => self.remote.connection = Connection::Failed(e.to_string()),
                    Ok(client) => {
                        if let Some(store) = &self.remote.token_store {
                            let saved = if self.remote.remember_token && !self.remote.token.trim().is_empty() {
                                write_token(store, self.remote.token.trim())
                            } else {
                                std::fs::remove_file(store)
                                    .or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) })
                            };
                            if let Err(e) = saved {
                                self.errors.push(format!("{}: cannot keep the token: {e}", store.display()));
                            }
                        }
                        self.remote.connection = Connection::Connecting;
                        self.remote.client = Some(client.clone());
                        runtime().spawn(fetch_lists(client, send));
                    }
                }
            }
            RemoteMessage::Refresh => {
                if let Some(client) = self.remote.client.clone() {
                    runtime().spawn(fetch_lists(client, send));
                }
            }
            RemoteMessage::Disconnect => {
                self.remote.connection = Connection::Disconnected;
                self.remote.client = None;
                self.remote.captures.clear();
                self.remote.panels.clear();
            }
            RemoteMessage::Connected(result) => match result {
                Ok((health, captures, panels)) => {
                    self.remote.connection = Connection::Connected(health);
                    self.remote.captures = captures;
                    self.remote.panels = panels;
                }
                Err(e) => {
                    self.remote.connection = Connection::Failed(e);
                    self.remote.client = None;
                }
            },
            RemoteMessage::Open(capture_id) => self.open_remote(capture_id),
            RemoteMessage::CancelOpen(request) => self.remote.opening.retain(|(r, _)| *r != request),
            RemoteMessage::Opened { request, result, client, capture_id } => {
                if !self.remote.opening.iter().any(|(r, _)| *r == request) {
                    return; // cancelled
                }
                self.remote.opening.retain(|(r, _)| *r != request);
                match result {
                    Ok(boxed) => {
                        let (info, overview) = *boxed;
                        let id = self.next_id;
                        self.next_id += 1;
                        let path = PathBuf::from(format!("{}/{}", client.base(), info.name));
                        let mut open = OpenCapture::build(id, path, overview);
                        // Statistics of every sample, from the server (not of the overview).
                        open.stats = info.stats();
                        open.remote = Some(RemoteView { client, capture_id, info, detail: None, pending: None });
                        // Events come from the server, detected on every sample.
                        self.captures.push(open);
                        self.select(self.captures.len() - 1);
                        self.spawn_remote_events(id);
                    }
                    Err(e) => self.errors.push(e),
                }
            }
            RemoteMessage::DetailReady { open_id, span, result } => {
                let Some(open) = self.captures.iter_mut().find(|c| c.id == open_id) else { return };
                let Some(remote) = open.remote.as_mut() else { return };
                if remote.pending == Some(span) {
                    remote.pending = None;
                }
                match result {
                    Ok(window) => {
                        let capture = window.to_capture(&open.capture.name);
                        let n = capture.sample_count().max(1);
                        let pyramids = capture.channels.iter().map(|c| c.analog_values().map(Pyramid::build)).collect();
                        let span_s = (window.to_s - window.from_s).max(f64::MIN_POSITIVE);
                        remote.detail = Some(Detail {
                            from_s: window.from_s,
                            to_s: window.to_s,
                            density: n as f64 / span_s,
                            decimated: window.decimated,
                            capture: Arc::new(capture),
                            pyramids,
                        });
                    }
                    Err(e) => self.status = Some(format!("detail not loaded: {e}")),
                }
            }
            RemoteMessage::Download { capture_id, path } => self.start_download(capture_id, path),
            RemoteMessage::CancelDownload(id) => {
                if let Some(d) = self.remote.downloads.iter().find(|d| d.id == id) {
                    d.cancel.store(true, Ordering::Relaxed);
                }
            }
            RemoteMessage::DownloadDone { id, result } => {
                let Some(k) = self.remote.downloads.iter().position(|d| d.id == id) else { return };
                let download = self.remote.downloads.remove(k);
                match result {
                    Ok(paths) => {
                        self.status = Some(format!("downloaded {} to {}", download.name, download.path.display()));
                        if let Some(first) = paths.into_iter().next() {
                            self.apply(Message::OpenFile(first));
                        }
                    }
                    Err(e) if e == "cancelled" => {
                        self.status = Some(format!("download of {} cancelled", download.name))
                    }
                    Err(e) => self.errors.push(format!("downloading {}: {e}", download.name)),
                }
            }
            RemoteMessage::OpenPanel(panel_id) => {
                let Some(client) = self.remote.client.clone() else { return };
                runtime().spawn(async move {
                    let result = client.panel(&panel_id).await.map(|p| (panel_id, p)).map_err(|e| e.to_string());
                    send(RemoteMessage::PanelFetched(result));
                });
            }
            RemoteMessage::PanelFetched(result) => match result {
                Ok((panel_id, project)) => {
                    self.editor = Some(super::PanelEditor::new(project, None));
                    self.remote.upload_panel = Some(panel_id);
                    self.mode = super::Mode::Panel;
                }
                Err(e) => self.errors.push(e),
            },
            RemoteMessage::SetUploadPanel(id) => self.remote.upload_panel = Some(id),
            RemoteMessage::Upload => self.upload_install_config(),
            RemoteMessage::Uploaded(result) => {
                self.remote.uploading = false;
                match result {
                    Ok(stored) => {
                        let warnings = if stored.warnings.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " ({} warning{}: {})",
                                stored.warnings.len(),
                                if stored.warnings.len() == 1 { "" } else { "s" },
                                stored.warnings[0].message
                            )
                        };
                        let kept = if stored.kept_previous { "; the previous version was kept" } else { "" };
                        self.status = Some(format!("install configuration uploaded{kept}{warnings}"));
                        self.apply(Message::Remote(RemoteMessage::Refresh));
                    }
                    Err(e) => self.errors.push(format!("upload refused: {e}")),
                }
            }
        }
    }

    /// Fetches the capture's description and overview, then shows it.
    fn open_remote(&mut self, capture_id: String) {
        let Some(client) = self.remote.client.clone() else { return };
        let name = self
            .remote
            .captures
            .iter()
            .find(|c| c.id == capture_id)
            .map_or_else(|| capture_id.clone(), |c| c.name.clone());
        let request = self.next_id;
        self.next_id += 1;
        self.remote.opening.push((request, name));
        let send = self.send_later();
        runtime().spawn(async move {
            let query = WindowQuery { max_points: Some(OVERVIEW_POINTS), ..Default::default() };
            let result = async {
                let info = client.capture_with_stats(&capture_id).await?;
                let window = client.window(&capture_id, &query).await?;
                Ok::<_, crate::api::client::ClientError>((info, window))
            }
            .await
            .map_err(|e| e.to_string())
            .map(|(info, window)| {
                let name = Path::new(&info.name).file_name().map_or(info.name.clone(), |n| n.to_string_lossy().into());
                let mut overview = window.to_capture(&name);
                overview.format = crate::capture::Format::Memory;
                overview.start = info
                    .start
                    .as_deref()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.to_utc());
                Box::new((info, overview))
            });
            send(RemoteMessage::Opened { request, result, client, capture_id });
        });
    }

    /// Asks the server for the events of remote capture `open_id`.
    fn spawn_remote_events(&self, open_id: u64) {
        let Some(remote) = self.captures.iter().find(|c| c.id == open_id).and_then(|c| c.remote.as_ref()) else {
            return;
        };
        let (client, capture_id) = (remote.client.clone(), remote.capture_id.clone());
        let report = self.reporter();
        runtime().spawn(async move {
            let result = client.events(&capture_id).await.map_err(|e| e.to_string());
            report(Message::EventsDetected { id: open_id, result, trends: Vec::new() });
        });
    }

    /// After a frame: when the overview is too coarse for the span in view, fetch that span
    /// (with a margin either side, so that small pans need nothing new) at the plots' width.
    pub(super) fn request_remote_detail(&mut self, width_px: usize) {
        let Some((x0, x1)) = self.view_s else { return };
        let send = self.send_later();
        let Some(open) = self.captures.get_mut(self.selected) else { return };
        let overview_density = open.density();
        let detail = open.remote_detail(x0, x1).map(|d| (d.density, d.decimated));
        let Some(remote) = open.remote.as_mut() else { return };
        if remote.pending.is_some() || x1.partial_cmp(&x0) != Some(std::cmp::Ordering::Greater) {
            return;
        }
        let duration = remote.info.duration_s;
        let in_view = (x1 - x0) * overview_density;
        if in_view >= 2.0 * width_px as f64 {
            return; // the overview is fine enough
        }
        let wanted = 2.0 * width_px as f64 / (x1 - x0);
        if let Some((density, decimated)) = detail
            && (density >= wanted * 0.9 || !decimated)
        {
            return;
        }
        let margin = (x1 - x0) * 0.5;
        let (from, to) = ((x0 - margin).max(0.0), (x1 + margin).min(duration));
        if to <= from || from >= duration {
            return;
        }
        let max_points = (4 * width_px).clamp(200, crate::api::MAX_MAX_POINTS);
        let span = (from, to, max_points);
        remote.pending = Some(span);
        let (client, capture_id, open_id) = (remote.client.clone(), remote.capture_id.clone(), open.id);
        runtime().spawn(async move {
            let query =
                WindowQuery { from_s: Some(from), to_s: Some(to), channels: Vec::new(), max_points: Some(max_points) };
            let result = client.window(&capture_id, &query).await.map_err(|e| e.to_string());
            send(RemoteMessage::DetailReady { open_id, span, result });
        });
    }

    fn start_download(&mut self, capture_id: String, path: PathBuf) {
        let Some(client) = self.remote.client.clone() else { return };
        let Some(summary) = self.remote.captures.iter().find(|c| c.id == capture_id).cloned() else { return };
        let id = self.next_id;
        self.next_id += 1;
        let done = Arc::new(AtomicU64::new(0));
        let cancel = Arc::new(AtomicBool::new(false));
        self.remote.downloads.push(Download {
            id,
            name: summary.name.clone(),
            path: path.clone(),
            done: done.clone(),
            total: summary.bytes,
            started: Instant::now(),
            cancel: cancel.clone(),
        });
        let send = self.send_later();
        let ctx = self.ctx.clone();
        runtime().spawn(async move {
            let progress = move |d: u64, _total: u64| {
                done.store(d, Ordering::Relaxed);
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
            };
            let result = client.download(&capture_id, &path, &progress, &cancel).await.map_err(|e| e.to_string());
            send(RemoteMessage::DownloadDone { id, result });
        });
    }

    /// PUTs the editor's install configuration to the chosen server panel.
    fn upload_install_config(&mut self) {
        let (Some(client), Some(panel_id)) = (self.remote.client.clone(), self.remote.upload_panel.clone()) else {
            self.errors.push("connect to a server and choose its panel first (File > Server…)".into());
            return;
        };
        let Some(editor) = &self.editor else { return };
        let config: InstallConfig = match editor.project.install_config() {
            Ok(c) => c,
            Err(report) => {
                self.errors.push(format!(
                    "{} errors: fix them before uploading (first: {})",
                    report.errors.len(),
                    report.errors.first().map_or("", |f| f.message.as_str())
                ));
                return;
            }
        };
        self.remote.uploading = true;
        let send = self.send_later();
        runtime().spawn(async move {
            let result = client.put_install_config(&panel_id, &config).await.map_err(|e| match e {
                crate::api::client::ClientError::Invalid { message, errors, .. } if !errors.is_empty() => {
                    let list: Vec<String> = errors.iter().map(|f| f.message.clone()).collect();
                    format!("{message} ({})", list.join("; "))
                }
                other => other.to_string(),
            });
            send(RemoteMessage::Uploaded(result));
        });
    }
}

async fn fetch_lists(client: Client, send: impl Fn(RemoteMessage)) {
    let result = async {
        let health = client.health().await?;
        let (captures, panels) = tokio::try_join!(client.captures(), client.panels())?;
        Ok::<_, crate::api::client::ClientError>((health, captures, panels))
    }
    .await
    .map_err(|e| e.to_string());
    send(RemoteMessage::Connected(result));
}

/// The remembered token, if any.
fn read_token(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// Writes the token where only the user can read it (atomically).
fn write_token(path: &Path, token: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temp)?;
    file.write_all(token.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temp, path)
}

/// Where the GUI keeps a remembered token: beside eframe's settings, in its own file
/// readable by the user only.
pub fn default_token_store() -> Option<PathBuf> {
    eframe::storage_dir("panelscope").map(|d| d.join("server-token"))
}

/// A colour for a connection state.
pub fn connection_color(c: &Connection, visuals: &egui::Visuals) -> egui::Color32 {
    match c {
        Connection::Connected(_) => egui::Color32::from_rgb(80, 170, 90),
        Connection::Failed(_) => visuals.error_fg_color,
        _ => visuals.weak_text_color(),
    }
}
