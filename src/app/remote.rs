//! The explorer's side of the HTTP API: connect to a `panelscope serve`, browse its
//! captures and panels, open a capture progressively (an overview first, then detail for
//! the span in view), download one for offline use, and upload an install configuration.
//! Every request is an effect the task layer runs on the network runtime; its answer
//! comes back as a [`RemoteTask`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use eframe::egui;

use super::editor::PanelEditor;
use super::explorer::Explorer;
use super::message::{EditorAction, Message, Mode, RemoteMessage, RemoteTask, TaskMessage};
use super::state::{Detail, DetailRequest, OpenCapture, RemoteView};
use super::tasks::{Effect, Outcome, files};
use crate::api::client::Client;
use crate::api::{CaptureSummary, Health, PanelSummary, WindowQuery};
use crate::panel::InstallConfig;

/// Points per channel of a remote capture's overview.
const OVERVIEW_POINTS: usize = 8000;

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

/// A capture being opened from the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    /// Tells the answer apart (and cancels it).
    pub request: u64,
    pub name: String,
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
    pub opening: Vec<Opening>,
    /// Which server panel the editor uploads to.
    pub upload_panel: Option<String>,
    pub uploading: bool,
    /// The token store; `None` in tests (nothing is written).
    pub token_store: Option<PathBuf>,
}

impl RemoteState {
    /// The token file's effect: write the token when it is to be remembered, else remove it.
    fn keep_token(&self) -> Option<Effect> {
        let store = self.token_store.clone()?;
        let token = Some(self.token.trim().to_string()).filter(|t| self.remember_token && !t.is_empty());
        Some(Effect::work("token-file", move || {
            RemoteTask::TokenKept(files::keep_token(&store, token.as_deref())).into()
        }))
    }

    /// Applies what the user asked of the connection. Opening captures and panels reaches
    /// into the explorer (for ids) and the editor (for the project to upload).
    pub fn update(
        &mut self,
        explorer: &mut Explorer,
        editor: Option<&PanelEditor>,
        message: RemoteMessage,
        out: &mut Outcome,
    ) {
        match message {
            RemoteMessage::ShowWindow(show) => self.window_open = show,
            RemoteMessage::SetUrl(url) => self.url = url,
            RemoteMessage::SetToken(token) => self.token = token,
            RemoteMessage::SetRememberToken(on) => {
                self.remember_token = on;
                if !on {
                    out.effects.extend(self.keep_token());
                }
            }
            RemoteMessage::Connect => {
                let token = Some(self.token.clone()).filter(|t| !t.trim().is_empty());
                match Client::new(&self.url, token) {
                    Err(e) => self.connection = Connection::Failed(e.to_string()),
                    Ok(client) => {
                        out.effects.extend(self.keep_token());
                        self.connection = Connection::Connecting;
                        self.client = Some(client.clone());
                        out.effects.push(Effect::net(fetch_lists(client)));
                    }
                }
            }
            RemoteMessage::Refresh => {
                if let Some(client) = self.client.clone() {
                    out.effects.push(Effect::net(fetch_lists(client)));
                }
            }
            RemoteMessage::Disconnect => {
                self.connection = Connection::Disconnected;
                self.client = None;
                self.captures.clear();
                self.panels.clear();
            }
            RemoteMessage::Open(capture_id) => self.open(explorer, capture_id, out),
            RemoteMessage::CancelOpen(request) => self.opening.retain(|o| o.request != request),
            RemoteMessage::Download { capture_id, path } => self.download(explorer, capture_id, path, out),
            RemoteMessage::CancelDownload(id) => {
                if let Some(d) = self.downloads.iter().find(|d| d.id == id) {
                    d.cancel.store(true, Ordering::Relaxed);
                }
            }
            RemoteMessage::OpenPanel(panel_id) => {
                let Some(client) = self.client.clone() else { return };
                out.effects.push(Effect::net(async move {
                    let result = client.panel(&panel_id).await.map(|p| (panel_id, p)).map_err(|e| e.to_string());
                    RemoteTask::PanelFetched(result).into()
                }));
            }
            RemoteMessage::SetUploadPanel(id) => self.upload_panel = Some(id),
            RemoteMessage::Upload => self.upload(editor, out),
        }
    }

    /// Applies what the network answered.
    pub fn finished(&mut self, explorer: &mut Explorer, task: RemoteTask, out: &mut Outcome) {
        match task {
            RemoteTask::Connected(result) => match result {
                Ok((health, captures, panels)) => {
                    self.connection = Connection::Connected(health);
                    self.captures = captures;
                    self.panels = panels;
                }
                Err(e) => {
                    self.connection = Connection::Failed(e);
                    self.client = None;
                }
            },
            RemoteTask::TokenKept(result) => {
                if let Err(e) = result {
                    out.errors.push(e);
                }
            }
            RemoteTask::Opened { request, result, client, capture_id } => {
                if !self.opening.iter().any(|o| o.request == request) {
                    return; // cancelled
                }
                self.opening.retain(|o| o.request != request);
                match result {
                    Ok(boxed) => {
                        let (info, overview) = *boxed;
                        let id = explorer.next_id();
                        let path = PathBuf::from(format!("{}/{}", client.base(), info.name));
                        let mut open = OpenCapture::build(id, path, overview);
                        // Statistics of every sample, from the server (not of the overview).
                        for (c, stats) in open.channels.iter_mut().zip(info.stats()) {
                            c.stats = stats;
                        }
                        // Events come from the server, detected on every sample.
                        let events = {
                            let (client, capture_id) = (client.clone(), capture_id.clone());
                            Effect::net(async move {
                                let result = client.events(&capture_id).await.map_err(|e| e.to_string());
                                TaskMessage::EventsDetected { id, result, trends: Vec::new() }.into()
                            })
                        };
                        open.remote = Some(RemoteView { client, capture_id, info, detail: None, pending: None });
                        explorer.add(open);
                        out.effects.push(events);
                    }
                    Err(e) => out.errors.push(e),
                }
            }
            RemoteTask::DetailReady { open_id, span, result } => {
                let Some(open) = explorer.captures.iter_mut().find(|c| c.id == open_id) else { return };
                let Some(remote) = open.remote.as_mut() else { return };
                if remote.pending == Some(span) {
                    remote.pending = None;
                }
                match result {
                    Ok(window) => remote.detail = Some(Detail::of(&window, &open.capture.name)),
                    Err(e) => out.status = Some(format!("detail not loaded: {e}")),
                }
            }
            RemoteTask::DownloadDone { id, result } => {
                let Some(k) = self.downloads.iter().position(|d| d.id == id) else { return };
                let download = self.downloads.remove(k);
                match result {
                    Ok(paths) => {
                        out.status = Some(format!("downloaded {} to {}", download.name, download.path.display()));
                        if let Some(first) = paths.into_iter().next() {
                            out.effects.push(Effect::Then(Message::OpenFile(first)));
                        }
                    }
                    Err(e) if e == "cancelled" => out.status = Some(format!("download of {} cancelled", download.name)),
                    Err(e) => out.errors.push(format!("downloading {}: {e}", download.name)),
                }
            }
            RemoteTask::PanelFetched(result) => match result {
                Ok((panel_id, project)) => {
                    self.upload_panel = Some(panel_id);
                    out.effects.push(Effect::Then(EditorAction::Adopt(Box::new(project)).into()));
                    out.effects.push(Effect::Then(Message::SetMode(Mode::Panel)));
                }
                Err(e) => out.errors.push(e),
            },
            RemoteTask::Uploaded(result) => {
                self.uploading = false;
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
                        out.status = Some(format!("install configuration uploaded{kept}{warnings}"));
                        out.effects.push(Effect::Then(RemoteMessage::Refresh.into()));
                    }
                    Err(e) => out.errors.push(format!("upload refused: {e}")),
                }
            }
        }
    }

    /// Fetches the capture's description and overview, then shows it.
    fn open(&mut self, explorer: &mut Explorer, capture_id: String, out: &mut Outcome) {
        let Some(client) = self.client.clone() else { return };
        let name =
            self.captures.iter().find(|c| c.id == capture_id).map_or_else(|| capture_id.clone(), |c| c.name.clone());
        let request = explorer.next_id();
        self.opening.push(Opening { request, name });
        out.effects.push(Effect::net(async move {
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
            RemoteTask::Opened { request, result, client, capture_id }.into()
        }));
    }

    fn download(&mut self, explorer: &mut Explorer, capture_id: String, path: PathBuf, out: &mut Outcome) {
        let Some(client) = self.client.clone() else { return };
        let Some(summary) = self.captures.iter().find(|c| c.id == capture_id).cloned() else { return };
        let id = explorer.next_id();
        let done = Arc::new(AtomicU64::new(0));
        let cancel = Arc::new(AtomicBool::new(false));
        self.downloads.push(Download {
            id,
            name: summary.name.clone(),
            path: path.clone(),
            done: done.clone(),
            total: summary.bytes,
            started: Instant::now(),
            cancel: cancel.clone(),
        });
        out.effects.push(Effect::Net(Box::new(move |report| {
            Box::pin(async move {
                let repaint = report.clone();
                let progress = move |d: u64, _total: u64| {
                    done.store(d, Ordering::Relaxed);
                    repaint.repaint_after(std::time::Duration::from_millis(100));
                };
                let result = client.download(&capture_id, &path, &progress, &cancel).await.map_err(|e| e.to_string());
                report.send(RemoteTask::DownloadDone { id, result });
            })
        })));
    }

    /// PUTs the editor's install configuration to the chosen server panel.
    fn upload(&mut self, editor: Option<&PanelEditor>, out: &mut Outcome) {
        let (Some(client), Some(panel_id)) = (self.client.clone(), self.upload_panel.clone()) else {
            out.errors.push("connect to a server and choose its panel first (File > Server…)".into());
            return;
        };
        let Some(editor) = editor else { return };
        let config: InstallConfig = match editor.project.install_config() {
            Ok(c) => c,
            Err(report) => {
                out.errors.push(format!(
                    "{} errors: fix them before uploading (first: {})",
                    report.errors.len(),
                    report.errors.first().map_or("", |f| f.message.as_str())
                ));
                return;
            }
        };
        self.uploading = true;
        out.effects.push(Effect::net(async move {
            let result = client.put_install_config(&panel_id, &config).await.map_err(|e| match e {
                crate::api::client::ClientError::Invalid { message, errors, .. } if !errors.is_empty() => {
                    let list: Vec<String> = errors.iter().map(|f| f.message.clone()).collect();
                    format!("{message} ({})", list.join("; "))
                }
                other => other.to_string(),
            });
            RemoteTask::Uploaded(result).into()
        }));
    }
}

/// After a frame: when the overview of the remote capture shown is too coarse for the
/// span in view, fetch that span (with a margin either side, so that small pans need
/// nothing new) at the plots' width.
pub fn request_detail(open: &mut OpenCapture, width_px: usize) -> Option<Effect> {
    let (x0, x1) = open.view.span?.pair();
    let overview_density = open.density();
    let detail = open.remote_detail(x0, x1).map(|d| (d.density, d.decimated));
    let remote = open.remote.as_mut()?;
    if remote.pending.is_some() || x1.partial_cmp(&x0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    let duration = remote.info.duration_s;
    let in_view = (x1 - x0) * overview_density;
    if in_view >= 2.0 * width_px as f64 {
        return None; // the overview is fine enough
    }
    let wanted = 2.0 * width_px as f64 / (x1 - x0);
    if let Some((density, decimated)) = detail
        && (density >= wanted * 0.9 || !decimated)
    {
        return None;
    }
    let margin = (x1 - x0) * 0.5;
    let (from, to) = ((x0 - margin).max(0.0), (x1 + margin).min(duration));
    if to <= from || from >= duration {
        return None;
    }
    let max_points = (4 * width_px).clamp(200, crate::api::MAX_MAX_POINTS);
    let span = DetailRequest { from_s: from, to_s: to, max_points };
    remote.pending = Some(span);
    let (client, capture_id, open_id) = (remote.client.clone(), remote.capture_id.clone(), open.id);
    Some(Effect::net(async move {
        let query =
            WindowQuery { from_s: Some(from), to_s: Some(to), channels: Vec::new(), max_points: Some(max_points) };
        let result = client.window(&capture_id, &query).await.map_err(|e| e.to_string());
        RemoteTask::DetailReady { open_id, span, result }.into()
    }))
}

async fn fetch_lists(client: Client) -> Message {
    let result = async {
        let health = client.health().await?;
        let (captures, panels) = tokio::try_join!(client.captures(), client.panels())?;
        Ok::<_, crate::api::client::ClientError>((health, captures, panels))
    }
    .await
    .map_err(|e| e.to_string());
    RemoteTask::Connected(result).into()
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
