//! `panelscope serve`: publishes a directory of captures and panel projects over HTTP
//! (axum on tokio). Captures are read on first use and kept, with their pyramids and
//! detected events, in a cache bounded in bytes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::OnceCell;
use tower::ServiceExt;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};

use super::catalog::{CaptureEntry, Catalog, PanelEntry, Stamp, stamp_of};
use super::{CaptureInfo, ErrorBody, Health, PREFIX, Stored, WindowQuery};
use crate::analysis::events::{DetectOptions, detect};
use crate::analysis::lod::Pyramid;
use crate::capture::Capture;
use crate::panel::{Project, parse_install_config, write_atomic};

/// How a server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The directory served.
    pub root: PathBuf,
    /// Bearer tokens accepted; without any, reads are open (loopback only) and writes
    /// refused.
    pub tokens: Vec<String>,
    /// Bytes of captures (samples and pyramids) kept in memory.
    pub cache_bytes: usize,
    /// Largest request body accepted (install configurations).
    pub body_limit: usize,
    /// Longest a request may take before the answer is 503 (downloads stream beyond it).
    pub timeout: Duration,
    /// A client must send a request's headers within this time, or the connection is
    /// closed.
    pub header_timeout: Duration,
    /// Connections served at once ([`MAX_CONNECTIONS`] by default).
    pub max_connections: usize,
    /// Connections one client address may hold at once ([`MAX_CONNECTIONS_PER_CLIENT`]).
    pub max_connections_per_client: usize,
}

impl ServerConfig {
    /// Defaults for `root`: no tokens, 4 GiB of cache, 1 MiB bodies, 120 s per request,
    /// 10 s for a request's headers.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            tokens: Vec::new(),
            cache_bytes: 4 << 30,
            body_limit: 1 << 20,
            timeout: Duration::from_secs(120),
            header_timeout: HEADER_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_connections_per_client: MAX_CONNECTIONS_PER_CLIENT,
        }
    }
}

/// An error answered as `{"error": ...}` with its status.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, body: ErrorBody { error: message.into(), errors: Vec::new(), warnings: Vec::new() } }
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// A capture read into memory, with what was derived from it.
struct Loaded {
    capture: Capture,
    pyramids: Vec<Option<Pyramid>>,
    /// Per channel, over the whole capture (analog only).
    stats: Vec<Option<crate::analysis::stats::Stats>>,
    /// `events --json`, detected on first request.
    events: OnceCell<Result<Arc<Bytes>, String>>,
    bytes: usize,
}

/// One cache slot: filled once by whichever request comes first.
struct Slot {
    stamp: Stamp,
    cell: OnceCell<Result<Arc<Loaded>, String>>,
    last_used: Mutex<Instant>,
}

struct Shared {
    config: ServerConfig,
    catalog: Arc<tokio::sync::Mutex<Catalog>>,
    loaded: Mutex<HashMap<String, Arc<Slot>>>,
    /// One install-config write at a time.
    writes: tokio::sync::Mutex<()>,
}

type AppState = Arc<Shared>;

/// The routes over `config.root` (canonicalised here; an error when it is not a directory).
pub fn router(mut config: ServerConfig) -> anyhow::Result<Router> {
    let root =
        config.root.canonicalize().map_err(|e| anyhow::anyhow!("{}: cannot serve it: {e}", config.root.display()))?;
    if !root.is_dir() {
        anyhow::bail!("{}: not a directory", config.root.display());
    }
    config.root = root.clone();
    let body_limit = config.body_limit;
    let state: AppState = Arc::new(Shared {
        config,
        catalog: Arc::new(tokio::sync::Mutex::new(Catalog::new(root))),
        loaded: Mutex::new(HashMap::new()),
        writes: tokio::sync::Mutex::new(()),
    });
    let api = Router::new()
        .route("/health", get(health))
        .route("/captures", get(list_captures))
        .route("/captures/{id}", get(capture_info))
        .route("/captures/{id}/file", get(capture_file))
        .route("/captures/{id}/window", get(capture_window))
        .route("/captures/{id}/events", get(capture_events))
        .route("/panels", get(list_panels))
        .route("/panels/{id}", get(panel))
        .route("/panels/{id}/install-config", get(get_install_config).put(put_install_config))
        .method_not_allowed_fallback(method_not_allowed);
    Ok(Router::new()
        .nest(PREFIX, api)
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), refuse_oversized))
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(middleware::from_fn_with_state(state.clone(), time_limit))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state))
}

/// Connections served at once; more are closed as soon as they are accepted, so that no
/// number of idle or slow clients can use up the process's file descriptors.
pub const MAX_CONNECTIONS: usize = 768;
/// Connections one client address may hold at once.
pub const MAX_CONNECTIONS_PER_CLIENT: usize = 256;
/// A client must send a request's headers within this time, or the connection is closed
/// (slow-header clients cannot hold connections open); the default of
/// [`ServerConfig::header_timeout`].
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `config` on `listener` until `shutdown` completes; requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: ServerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limits = Limits::of(&config);
    let app = router(config)?;
    serve_connections(listener, app, limits, shutdown).await;
    Ok(())
}

/// Starts a server on `addr` in the background of the current tokio runtime (tests, the
/// GUI's own server); returns the address it listens on and a handle that stops it.
pub async fn spawn(addr: SocketAddr, config: ServerConfig) -> anyhow::Result<(SocketAddr, ServerHandle)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = Limits::of(&config);
    let app = router(config)?;
    let task = tokio::spawn(serve_connections(listener, app, limits, async {
        let _ = stopped.await;
    }));
    Ok((local, ServerHandle { stop: Some(stop), task }))
}

/// What the accept loop enforces.
#[derive(Debug, Clone, Copy)]
struct Limits {
    header_timeout: Duration,
    connections: usize,
    per_client: usize,
}

impl Limits {
    fn of(config: &ServerConfig) -> Self {
        Self {
            header_timeout: config.header_timeout,
            connections: config.max_connections.max(1),
            per_client: config.max_connections_per_client.max(1),
        }
    }
}

/// The accept loop: HTTP/1.1 connections with a header timeout, under a cap on
/// connections in all and per client; on `shutdown`, stops accepting, lets each connection
/// finish the request it is on, and waits for them.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let Limits { header_timeout, connections, per_client: per_client_cap } = limits;
    let slots = Arc::new(tokio::sync::Semaphore::new(connections));
    let per_client: Arc<Mutex<HashMap<std::net::IpAddr, usize>>> = Arc::default();
    let (stopping, _) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a transient error: wait a moment, go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(client = %peer, "refused: {connections} connections are open");
            continue;
        };
        let client = peer.ip();
        {
            let mut counts = per_client.lock().unwrap_or_else(|p| p.into_inner());
            let count = counts.entry(client).or_default();
            if *count >= per_client_cap {
                tracing::warn!(client = %peer, "refused: {per_client_cap} connections from this client");
                continue;
            }
            *count += 1;
        }
        let service = tower::ServiceBuilder::new()
            .map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                request
            })
            .service(app.clone());
        let (per_client, mut stopping) = (per_client.clone(), stopping.subscribe());
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_timeout);
            let connection = builder.serve_connection(
                hyper_util::rt::TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            );
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopping.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.as_mut().await;
                }
            }
            let mut counts = per_client.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(count) = counts.get_mut(&client) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(&client);
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection gives its slot back when it has finished.
    let _ = slots.acquire_many(u32::try_from(connections).unwrap_or(u32::MAX)).await;
}

/// Stops a server started with [`spawn`] when dropped or told to.
pub struct ServerHandle {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    /// Stops accepting, lets requests in flight finish, and waits for that.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

// ---- middleware --------------------------------------------------------------------

/// Bearer tokens: every request when the server has tokens (health excepted), and every
/// write always.
/// Refuses a body announced as larger than the limit at once (413), before waiting for a
/// byte of it: a client cannot hold a request open by promising gigabytes.
async fn refuse_oversized(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let limit = state.config.body_limit;
    if announced.is_some_and(|n| n > limit as u64) {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is larger than {limit} bytes"))
            .into_response();
    }
    next.run(request).await
}

/// Whether the request's `Host` names this machine (with any port): a loopback address,
/// `localhost`, or a single-label name.
fn loopback_host(request: &Request) -> bool {
    let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok()).or(request.uri().host());
    let Some(host) = host else { return false };
    let name = if let Some(bracketed) = host.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(name, port)| if port.parse::<u16>().is_ok() { name } else { host })
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        // A rebinding page is on a domain name of the attacker's: refused. A name of one
        // label (this machine's own, or a test's) cannot be one.
        Err(_) => name == "localhost" || name.ends_with(".localhost") || !name.contains('.'),
    }
}

async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let write = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let tokens = &state.config.tokens;
    if path == format!("{PREFIX}/health") && !write {
        return next.run(request).await;
    }
    if tokens.is_empty() {
        if write {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this server takes no writes: it was started without --token-file",
            )
            .into_response();
        }
        // Without tokens the server is open to this machine only: a page on another name
        // that resolves here (DNS rebinding) must not read it.
        if !loopback_host(&request) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "this server answers loopback host names only (localhost, 127.0.0.1, [::1]) without --token-file",
            )
            .into_response();
        }
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match given {
        None => ApiError::new(StatusCode::UNAUTHORIZED, "a token is needed: send Authorization: Bearer TOKEN")
            .into_response(),
        Some(token) if tokens.iter().any(|t| same(t.as_bytes(), token.as_bytes())) => next.run(request).await,
        Some(_) => ApiError::new(StatusCode::UNAUTHORIZED, "the token is not valid for this server").into_response(),
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Answers 503 when a request takes longer than the configured time (work it started,
/// such as reading a capture, goes on and serves the next request).
async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.config.timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the request took longer than {} s; try again shortly", limit.as_secs_f64()),
        )
        .into_response(),
    }
}

async fn unknown_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {method} {}; the API lives under {PREFIX}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, format!("{method} is not allowed on {}", uri.path()))
}

// ---- catalog -----------------------------------------------------------------------

/// The catalog, refreshed (new and changed files read) on a blocking thread. The refresh
/// runs in a task of its own that puts the catalog back when it is done, so a client that
/// gives up mid-listing neither empties the index nor wastes the reading.
async fn refreshed(state: &AppState) -> ApiResult<tokio::sync::OwnedMutexGuard<Catalog>> {
    let mut catalog = state.catalog.clone().lock_owned().await;
    tokio::spawn(async move {
        let root = catalog.root().to_path_buf();
        let mut taken = std::mem::replace(&mut *catalog, Catalog::new(root));
        let result = tokio::task::spawn_blocking(move || {
            taken.refresh();
            taken
        })
        .await;
        match result {
            Ok(refreshed) => {
                *catalog = refreshed;
                Ok(catalog)
            }
            Err(e) => Err(ApiError::internal(format!("indexing the directory failed: {e}"))),
        }
    })
    .await
    .map_err(|e| ApiError::internal(format!("indexing the directory failed: {e}")))?
}

async fn find_capture(state: &AppState, id: &str) -> ApiResult<Arc<CaptureEntry>> {
    if let Some(found) = state.catalog.lock().await.capture(id) {
        return Ok(found);
    }
    refreshed(state).await?.capture(id).ok_or_else(|| ApiError::not_found(format!("no capture with id '{id}'")))
}

async fn find_panel(state: &AppState, id: &str) -> ApiResult<Arc<PanelEntry>> {
    if let Some(found) = state.catalog.lock().await.panel(id) {
        return Ok(found);
    }
    refreshed(state).await?.panel(id).ok_or_else(|| ApiError::not_found(format!("no panel with id '{id}'")))
}

// ---- handlers ----------------------------------------------------------------------

async fn health(State(state): State<AppState>) -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        auth: !state.config.tokens.is_empty(),
    })
}

async fn list_captures(State(state): State<AppState>) -> ApiResult<axum::Json<Vec<super::CaptureSummary>>> {
    let catalog = refreshed(&state).await?;
    Ok(axum::Json(catalog.captures().iter().map(|c| c.summary.clone()).collect()))
}

async fn list_panels(State(state): State<AppState>) -> ApiResult<axum::Json<Vec<super::PanelSummary>>> {
    let catalog = refreshed(&state).await?;
    let panels = catalog
        .panels()
        .iter()
        .map(|p| {
            let mut s = p.summary.clone();
            s.has_install_config = p.install_config_path().is_file();
            s
        })
        .collect();
    Ok(axum::Json(panels))
}

/// The capture in memory with its pyramids, read on first use (once, however many requests
/// ask at the same time) and read again when the file changed.
async fn loaded(state: &AppState, entry: &Arc<CaptureEntry>) -> ApiResult<Arc<Loaded>> {
    let id = entry.summary.id.clone();
    let stamp = {
        let path = entry.path.clone();
        tokio::task::spawn_blocking(move || stamp_of(&path)).await.map_err(|e| ApiError::internal(e.to_string()))?
    };
    let slot = {
        let mut map = state.loaded.lock().unwrap_or_else(|p| p.into_inner());
        let slot = map.entry(id.clone()).or_insert_with(|| new_slot(&stamp));
        if slot.stamp != stamp {
            *slot = new_slot(&stamp);
        }
        *slot.last_used.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        slot.clone()
    };
    let (root, checked) = (state.config.root.clone(), entry.clone());
    tokio::task::spawn_blocking(move || checked.check_inside(&root))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::not_found)?;
    let (path, root) = (entry.path.clone(), state.config.root.clone());
    // The read runs in its own task: a client that gives up does not waste it.
    let task_slot = slot.clone();
    let result = tokio::spawn(async move {
        task_slot
            .cell
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || read_loaded(&root, &path))
                    .await
                    .unwrap_or_else(|e| Err(format!("reading failed: {e}")))
            })
            .await
            .clone()
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let loaded = result.map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    evict(state, &id);
    Ok(loaded)
}

fn new_slot(stamp: &Stamp) -> Arc<Slot> {
    Arc::new(Slot { stamp: stamp.clone(), cell: OnceCell::new(), last_used: Mutex::new(Instant::now()) })
}

/// Reads a capture through files proven inside `root` once opened (the check before is
/// for a clear answer; this one is the guarantee).
fn read_loaded(root: &Path, path: &Path) -> Result<Arc<Loaded>, String> {
    let started = Instant::now();
    let open = |p: &Path| super::catalog::open_inside(root, p);
    let capture = crate::capture::read_with(path, &open).map_err(|e| e.to_string())?;
    let (stats, pyramids) = crate::analysis::lod::index_channels(&capture, &|| false).expect("never cancelled");
    let bytes = capture.heap_bytes() + pyramids.iter().flatten().map(Pyramid::heap_bytes).sum::<usize>();
    tracing::info!(file = %path.display(), bytes, elapsed_ms = started.elapsed().as_millis() as u64, "capture loaded");
    Ok(Arc::new(Loaded { capture, pyramids, stats, events: OnceCell::new(), bytes }))
}

/// Drops the least recently used captures beyond the cache budget (never `keep`).
fn evict(state: &AppState, keep: &str) {
    let mut map = state.loaded.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let held: usize =
            map.values().filter_map(|s| s.cell.get().and_then(|r| r.as_ref().ok())).map(|l| l.bytes).sum();
        if held <= state.config.cache_bytes {
            return;
        }
        let oldest = map
            .iter()
            .filter(|(id, s)| id.as_str() != keep && s.cell.get().is_some())
            .min_by_key(|(_, s)| *s.last_used.lock().unwrap_or_else(|p| p.into_inner()))
            .map(|(id, _)| id.clone());
        match oldest {
            Some(id) => {
                tracing::info!(id, "dropped from the cache");
                map.remove(&id);
            }
            None => return,
        }
    }
}

async fn capture_info(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<axum::Json<CaptureInfo>> {
    let with_stats = match params.get("stats").map(String::as_str) {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") | Some("") => true,
        Some(other) => return Err(ApiError::bad_request(format!("stats={other}: true or false"))),
    };
    let entry = find_capture(&state, &id).await?;
    let loaded = loaded(&state, &entry).await?;
    let mut info = CaptureInfo::of(&loaded.capture);
    if with_stats {
        info = info.with_stats(&loaded.stats);
    }
    info.id = entry.summary.id.clone();
    info.name = entry.summary.name.clone();
    Ok(axum::Json(info))
}

/// The original bytes, with Range, If-Modified-Since and HEAD (tower-http's file service).
async fn capture_file(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    Query(params): Query<HashMap<String, String>>,
    request: Request,
) -> ApiResult<Response> {
    let entry = find_capture(&state, &id).await?;
    let path = match params.get("part").map(String::as_str) {
        None | Some("main") => entry.path.clone(),
        Some("dat") => {
            entry.dat.clone().ok_or_else(|| ApiError::not_found(format!("capture '{id}' has no dat part")))?
        }
        Some(other) => return Err(ApiError::bad_request(format!("part '{other}': main or dat"))),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Opened here and proven inside the folder; the bytes served are that open file's.
    let (root, opening) = (state.config.root.clone(), path.clone());
    let file = tokio::task::spawn_blocking(move || super::catalog::open_inside(&root, &opening))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ApiError::not_found(format!("capture '{id}': its file has gone")),
            _ => ApiError::not_found(format!("capture '{id}': its file leads outside the served directory")),
        })?;
    let response = tower_http::services::ServeFile::new(opened_file_path(&file, &path))
        .oneshot(request)
        .await
        .map_err(|e| ApiError::internal(format!("{name}: {e}")))?;
    drop(file);
    let (mut parts, body) = response.into_parts();
    if parts.status == StatusCode::NOT_FOUND {
        return Err(ApiError::not_found(format!("capture '{id}': its file has gone")));
    }
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&name)));
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], "_"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        parts.headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(Response::from_parts(parts, Body::new(body)))
}

/// A path that opens the very file `file` is (on Linux, its descriptor's entry in
/// `/proc/self/fd`, valid while `file` is open); elsewhere the path it was opened by.
fn opened_file_path(file: &std::fs::File, path: &Path) -> PathBuf {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let _ = path;
        PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        path.to_path_buf()
    }
}

/// The media type of a served capture part, by its name.
fn content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        "text/csv"
    } else if lower.ends_with(".cfg") {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

async fn capture_window(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let query = window_query(&params)?;
    let entry = find_capture(&state, &id).await?;
    let loaded = loaded(&state, &entry).await?;
    let body = tokio::task::spawn_blocking(move || {
        super::window(&loaded.capture, &loaded.pyramids, &query)
            .map_err(ApiError::bad_request)
            .and_then(|w| serde_json::to_vec(&w).map_err(|e| ApiError::internal(e.to_string())))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Reads `from`, `to`, `channels` and `max_points`; anything else is refused by name.
fn window_query(params: &HashMap<String, String>) -> ApiResult<WindowQuery> {
    let number = |key: &str| -> ApiResult<Option<f64>> {
        params
            .get(key)
            .map(|v| v.trim().parse::<f64>().map_err(|_| ApiError::bad_request(format!("{key}={v}: not a number"))))
            .transpose()
    };
    if let Some(unknown) = params.keys().find(|k| !["from", "to", "channels", "max_points"].contains(&k.as_str())) {
        return Err(ApiError::bad_request(format!("unknown parameter '{unknown}': from, to, channels, max_points")));
    }
    let max_points = params
        .get("max_points")
        .map(|v| v.trim().parse::<usize>().map_err(|_| ApiError::bad_request(format!("max_points={v}: not a count"))))
        .transpose()?;
    let channels = params
        .get("channels")
        .map(|c| c.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    Ok(WindowQuery { from_s: number("from")?, to_s: number("to")?, channels, max_points })
}

async fn capture_events(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> ApiResult<Response> {
    let entry = find_capture(&state, &id).await?;
    let loaded = loaded(&state, &entry).await?;
    let task = loaded.clone();
    let result = tokio::spawn(async move {
        let inner = task.clone();
        task.events
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    let detection = detect(&inner.capture, &DetectOptions::default()).map_err(|e| e.to_string())?;
                    serde_json::to_vec(&detection).map(|v| Arc::new(Bytes::from(v))).map_err(|e| e.to_string())
                })
                .await
                .unwrap_or_else(|e| Err(e.to_string()))
            })
            .await
            .clone()
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let body = result.map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], Bytes::clone(&body)).into_response())
}

async fn panel(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> ApiResult<axum::Json<Project>> {
    let entry = find_panel(&state, &id).await?;
    let path = entry.path.clone();
    let project = tokio::task::spawn_blocking(move || Project::load(&path))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    Ok(axum::Json(project))
}

async fn get_install_config(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> ApiResult<Response> {
    let entry = find_panel(&state, &id).await?;
    let path = entry.install_config_path();
    let text = match tokio::fs::read_to_string(&path).await {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError::not_found(format!(
                "panel '{id}' has no install configuration stored yet (PUT one to {PREFIX}/panels/{id}/install-config)"
            )));
        }
        Err(e) => return Err(ApiError::internal(format!("reading the install configuration: {e}"))),
    };
    // Stored files were validated on the way in; check anyway that it still parses.
    parse_install_config(&text).map_err(|e| ApiError::internal(format!("the stored install configuration: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// Validates the body (JSON or RON) and stores it as `NAME.install.json` beside the
/// project, keeping the version before it as `NAME.install.prev.json`.
async fn put_install_config(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, axum::Json<Stored>)> {
    let entry = find_panel(&state, &id).await?;
    let body = body.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(status, format!("the body is larger than {} bytes", state.config.body_limit))
        } else {
            ApiError::new(status, e.body_text())
        }
    })?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("the body is not UTF-8: {e}")))?;
    let config =
        parse_install_config(text).map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let report = config.validate();
    let mut warnings = report.warnings;
    if !report.errors.is_empty() {
        let first = &report.errors[0];
        return Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: ErrorBody {
                error: format!(
                    "the install configuration has {} error{}: {}",
                    report.errors.len(),
                    if report.errors.len() == 1 { "" } else { "s" },
                    first.message
                ),
                errors: report.errors,
                warnings,
            },
        });
    }
    let _one_at_a_time = state.writes.lock().await;
    let (path, previous) = (entry.install_config_path(), entry.previous_install_config_path());
    let project_path = entry.path.clone();
    let kept_previous = tokio::task::spawn_blocking(move || -> Result<(bool, Option<String>), String> {
        // A configuration for another panel is kept, with a warning.
        let project_name = Project::load(&project_path).ok().map(|p| p.panel.name);
        let mismatch = project_name
            .filter(|name| *name != config.panel)
            .map(|name| format!("the configuration names panel \"{}\" but this project is \"{name}\"", config.panel));
        let kept = match std::fs::read_to_string(&path) {
            Ok(old) => {
                write_atomic(&previous, &old).map_err(|e| e.to_string())?;
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        write_atomic(&path, &config.to_json()).map_err(|e| e.to_string())?;
        Ok((kept, mismatch))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| ApiError::internal(format!("storing the install configuration: {e}")))?;
    let (kept_previous, mismatch) = kept_previous;
    if let Some(message) = mismatch {
        warnings.push(crate::panel::Finding { code: "other-panel".into(), message, slot: None });
    }
    tracing::info!(panel = id, "install configuration stored");
    Ok((StatusCode::OK, axum::Json(Stored { status: "stored".into(), warnings, kept_previous })))
}
