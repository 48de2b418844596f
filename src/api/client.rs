//! The API client (reqwest with rustls, async on tokio): used by `panelscope remote` and
//! by the GUI. Idempotent requests are retried with backoff; downloads resume with Range
//! requests, report progress and can be cancelled; errors say what went wrong in terms a
//! user can act on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::{CaptureInfo, CaptureSummary, ErrorBody, Health, PREFIX, PanelSummary, Stored, Window, WindowQuery};
use crate::analysis::events::Detection;
use crate::capture::PendingFile;
use crate::panel::{Finding, InstallConfig, Project};

/// Tries of an idempotent request before giving up.
const ATTEMPTS: u32 = 4;
/// The first pause between tries; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// What can go wrong talking to a server.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}: not a server address (expected http://HOST:PORT or https://HOST)")]
    BadUrl(String),
    #[error("cannot reach the server at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{url}: no answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{url}: the server refused the token: {message}")]
    Unauthorized { url: String, message: String },
    #[error("{url}: {message}")]
    NotFound { url: String, message: String },
    #[error("{url}: refused: {message}")]
    Invalid { url: String, message: String, errors: Vec<Finding> },
    #[error("{url}: too large for the server: {message}")]
    TooLarge { url: String, message: String },
    #[error("{url}: HTTP {status}: {message}")]
    Status { url: String, status: u16, message: String },
    #[error("{url}: unexpected answer: {detail}")]
    Decode { url: String, detail: String },
    #[error("{path}: {detail}")]
    Io { path: PathBuf, detail: String },
    #[error("cancelled")]
    Cancelled,
}

impl ClientError {
    /// Worth trying again: the server could not be reached, was too slow or said so.
    fn transient(&self) -> bool {
        match self {
            ClientError::Unreachable { .. } | ClientError::Timeout { .. } => true,
            ClientError::Status { status, .. } => matches!(*status, 502..=504),
            _ => false,
        }
    }
}

type Result<T> = std::result::Result<T, ClientError>;

/// A connection to one server.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
    /// Longest wait for one JSON answer.
    timeout: Duration,
}

impl Client {
    /// A client for the server at `url` (`http://host:port`, with or without `/api/v1`).
    pub fn new(url: &str, token: Option<String>) -> Result<Self> {
        let trimmed = url.trim().trim_end_matches('/');
        let trimmed = trimmed.strip_suffix(PREFIX).unwrap_or(trimmed);
        let valid =
            reqwest::Url::parse(trimmed).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if valid.is_none() {
            return Err(ClientError::BadUrl(url.to_string()));
        }
        // rustls is built without a default crypto provider: pick ring, once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .read_timeout(Duration::from_secs(60))
            .user_agent(concat!("panelscope/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Unreachable { url: url.to_string(), detail: e.to_string() })?;
        Ok(Self {
            base: trimmed.to_string(),
            token: token.filter(|t| !t.trim().is_empty()).map(|t| t.trim().to_string()),
            http,
            timeout: Duration::from_secs(120),
        })
    }

    /// The server's address, as given (without `/api/v1`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sets the longest wait for one JSON answer (120 s by default; downloads stream on).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{PREFIX}{path}", self.base)
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, url);
        match &self.token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    /// A GET answered with JSON, retried with backoff while the failure is transient.
    async fn get_json<T: DeserializeOwned>(&self, path: &str, query: &[(&str, String)]) -> Result<T> {
        let url = self.url(path);
        let mut pause = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let sent = self.request(reqwest::Method::GET, &url).query(query).timeout(self.timeout).send().await;
            let result = match sent {
                Ok(response) => decode(&url, response).await,
                Err(e) => Err(self.transport_error(&url, e)),
            };
            match result {
                Err(e) if e.transient() && attempt < ATTEMPTS => {
                    tracing::debug!("{e}; trying again in {} ms", pause.as_millis());
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    fn transport_error(&self, url: &str, e: reqwest::Error) -> ClientError {
        if e.is_timeout() {
            ClientError::Timeout { url: url.to_string(), secs: self.timeout.as_secs() }
        } else if e.is_connect() || e.is_request() {
            ClientError::Unreachable { url: self.base.clone(), detail: root_cause(&e) }
        } else if e.is_decode() || e.is_body() {
            ClientError::Decode { url: url.to_string(), detail: root_cause(&e) }
        } else {
            ClientError::Unreachable { url: self.base.clone(), detail: root_cause(&e) }
        }
    }

    /// `GET /health`.
    pub async fn health(&self) -> Result<Health> {
        self.get_json("/health", &[]).await
    }

    /// `GET /captures`.
    pub async fn captures(&self) -> Result<Vec<CaptureSummary>> {
        self.get_json("/captures", &[]).await
    }

    /// `GET /captures/{id}`.
    pub async fn capture(&self, id: &str) -> Result<CaptureInfo> {
        self.get_json(&format!("/captures/{}", segment(id)), &[]).await
    }

    /// `GET /captures/{id}?stats=true`: with each analog channel's min, max, mean and RMS.
    pub async fn capture_with_stats(&self, id: &str) -> Result<CaptureInfo> {
        self.get_json(&format!("/captures/{}", segment(id)), &[("stats", "true".to_string())]).await
    }

    /// `GET /captures/{id}/window`.
    pub async fn window(&self, id: &str, query: &WindowQuery) -> Result<Window> {
        let mut params = Vec::new();
        if let Some(from) = query.from_s {
            params.push(("from", from.to_string()));
        }
        if let Some(to) = query.to_s {
            params.push(("to", to.to_string()));
        }
        if !query.channels.is_empty() {
            params.push(("channels", query.channels.join(",")));
        }
        if let Some(n) = query.max_points {
            params.push(("max_points", n.to_string()));
        }
        self.get_json(&format!("/captures/{}/window", segment(id)), &params).await
    }

    /// `GET /captures/{id}/events`.
    pub async fn events(&self, id: &str) -> Result<Detection> {
        self.get_json(&format!("/captures/{}/events", segment(id)), &[]).await
    }

    /// `GET /panels`.
    pub async fn panels(&self) -> Result<Vec<PanelSummary>> {
        self.get_json("/panels", &[]).await
    }

    /// `GET /panels/{id}`.
    pub async fn panel(&self, id: &str) -> Result<Project> {
        self.get_json(&format!("/panels/{}", segment(id)), &[]).await
    }

    /// `GET /panels/{id}/install-config`.
    pub async fn install_config(&self, id: &str) -> Result<InstallConfig> {
        self.get_json(&format!("/panels/{}/install-config", segment(id)), &[]).await
    }

    /// `PUT /panels/{id}/install-config` (not retried: the server may have stored it).
    pub async fn put_install_config(&self, id: &str, config: &InstallConfig) -> Result<Stored> {
        self.put_raw_install_config(id, config.to_json().into_bytes()).await
    }

    /// `PUT /panels/{id}/install-config` with the body as given (JSON or RON).
    pub async fn put_raw_install_config(&self, id: &str, body: Vec<u8>) -> Result<Stored> {
        let url = self.url(&format!("/panels/{}/install-config", segment(id)));
        let response = self
            .request(reqwest::Method::PUT, &url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| self.transport_error(&url, e))?;
        decode(&url, response).await
    }

    /// Downloads capture `id` to `out` (and its `.dat` beside it for a COMTRADE pair),
    /// each file written atomically. `progress(done, total)` is called as bytes arrive;
    /// `cancel` stops it (nothing is left behind). A dropped connection resumes where it
    /// stopped. Returns the paths written.
    pub async fn download(
        &self,
        id: &str,
        out: &Path,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
        cancel: &AtomicBool,
    ) -> Result<Vec<PathBuf>> {
        let summary = self.captures().await?.into_iter().find(|c| c.id == id).ok_or_else(|| ClientError::NotFound {
            url: self.url("/captures"),
            message: format!("no capture with id '{id}'"),
        })?;
        let total = summary.bytes;
        let mut parts = vec![("main", out.to_path_buf())];
        if summary.parts.iter().any(|p| p == "dat") {
            parts.push(("dat", out.with_extension("dat")));
        }
        // Write every part to its temporary file first, then commit them together.
        let mut pending = Vec::new();
        let mut done_before = 0;
        for (part, path) in &parts {
            let file = self.download_part(id, part, path, &|done| progress(done_before + done, total), cancel).await?;
            done_before += file.1;
            pending.push(file.0);
        }
        for file in pending {
            let target = file.target().to_path_buf();
            file.commit().map_err(|e| ClientError::Io { path: target, detail: e.to_string() })?;
        }
        Ok(parts.into_iter().map(|(_, p)| p).collect())
    }

    async fn download_part(
        &self,
        id: &str,
        part: &str,
        path: &Path,
        progress: &(dyn Fn(u64) + Send + Sync),
        cancel: &AtomicBool,
    ) -> Result<(PendingFile, u64)> {
        use std::io::Write;
        let url = self.url(&format!("/captures/{}/file", segment(id)));
        let io = |e: &dyn std::fmt::Display| ClientError::Io { path: path.to_path_buf(), detail: e.to_string() };
        let mut file = PendingFile::create(path).map_err(|e| io(&e))?;
        let mut written: u64 = 0;
        let mut pause = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let mut request = self.request(reqwest::Method::GET, &url).query(&[("part", part)]);
            if written > 0 {
                request = request.header(header::RANGE, format!("bytes={written}-"));
            }
            let result: Result<()> = async {
                let mut response = request.send().await.map_err(|e| self.transport_error(&url, e))?;
                match response.status() {
                    StatusCode::PARTIAL_CONTENT if written > 0 => {}
                    StatusCode::OK if written > 0 => {
                        // The server ignored the range: start over.
                        file = PendingFile::create(path).map_err(|e| io(&e))?;
                        written = 0;
                    }
                    StatusCode::OK => {}
                    _ => return decode::<serde_json::Value>(&url, response).await.map(|_| ()),
                }
                loop {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(ClientError::Cancelled);
                    }
                    match response.chunk().await.map_err(|e| self.transport_error(&url, e))? {
                        Some(chunk) => {
                            file.writer().write_all(&chunk).map_err(|e| io(&e))?;
                            written += chunk.len() as u64;
                            progress(written);
                        }
                        None => return Ok(()),
                    }
                }
            }
            .await;
            match result {
                Ok(()) => break,
                Err(e) if e.transient() && attempt < ATTEMPTS => {
                    tracing::debug!("{e}; resuming at byte {written} in {} ms", pause.as_millis());
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
        file.writer().flush().map_err(|e| io(&e))?;
        Ok((file, written))
    }
}

/// A shared cancel flag.
pub type CancelFlag = Arc<AtomicBool>;

/// An id as one path segment: anything but letters, digits, `-` and `_` is percent-encoded
/// (ids from the server never need it; a hand-typed one must not change the route).
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The JSON body of a successful answer, or the error the server gave.
async fn decode<T: DeserializeOwned>(url: &str, response: reqwest::Response) -> Result<T> {
    let status = response.status();
    let bytes =
        response.bytes().await.map_err(|e| ClientError::Decode { url: url.to_string(), detail: root_cause(&e) })?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
            url: url.to_string(),
            detail: format!("{e} (is this a panelscope server?)"),
        });
    }
    let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
    let message = match &body {
        Some(b) => b.error.clone(),
        None => {
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim();
            if text.is_empty() {
                status.canonical_reason().unwrap_or("error").to_string()
            } else {
                text.chars().take(200).collect()
            }
        }
    };
    let url = url.to_string();
    Err(match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ClientError::Unauthorized { url, message },
        StatusCode::NOT_FOUND => ClientError::NotFound { url, message },
        StatusCode::PAYLOAD_TOO_LARGE => ClientError::TooLarge { url, message },
        StatusCode::UNPROCESSABLE_ENTITY => {
            ClientError::Invalid { url, message, errors: body.map(|b| b.errors).unwrap_or_default() }
        }
        _ => ClientError::Status { url, status: status.as_u16(), message },
    })
}

/// The innermost cause of an error: "Connection refused", not "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    // Strip the OS error number: "Connection refused (os error 111)".
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_normalised() {
        assert!(matches!(Client::new("localhost:7878", None), Err(ClientError::BadUrl(_))));
        assert!(matches!(Client::new("ftp://x", None), Err(ClientError::BadUrl(_))));
        let c = Client::new("http://127.0.0.1:7878/api/v1/", Some(" t ".into())).unwrap();
        assert_eq!(c.base(), "http://127.0.0.1:7878");
        assert_eq!(c.url("/health"), "http://127.0.0.1:7878/api/v1/health");
        assert_eq!(c.token.as_deref(), Some("t"));
    }

    #[test]
    fn ids_stay_one_segment() {
        assert_eq!(segment("c0123abc"), "c0123abc");
        assert_eq!(segment("../etc/passwd"), "%2E%2E%2Fetc%2Fpasswd");
    }
}
