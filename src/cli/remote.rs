//! `panelscope serve` and `panelscope remote list|get`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context, bail};

use crate::api::client::Client;
use crate::api::server::ServerConfig;
use crate::api::{self, read_token_file};
use crate::format::human_bytes;

/// Options of `serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub dir: PathBuf,
    pub addr: String,
    pub token_file: Option<PathBuf>,
    /// Megabytes of captures kept in memory.
    pub cache_mb: usize,
}

/// Serves until Ctrl-C (or SIGTERM), then lets requests in flight finish.
pub fn serve(options: &ServeOptions) -> anyhow::Result<()> {
    let addr: SocketAddr = options
        .addr
        .parse()
        .with_context(|| format!("--addr {}: expected IP:PORT, such as 127.0.0.1:7878", options.addr))?;
    if !options.dir.is_dir() {
        bail!("{}: not a directory to serve", options.dir.display());
    }
    let tokens = match &options.token_file {
        Some(path) => {
            warn_if_readable_by_others(path);
            read_token_file(path)?
        }
        None => Vec::new(),
    };
    if tokens.is_empty() && !addr.ip().is_loopback() {
        bail!(
            "--addr {addr}: without --token-file the server only listens on loopback (127.0.0.1 or ::1), \
             or anyone on the network could read the captures"
        );
    }
    let mut config = ServerConfig::new(&options.dir);
    config.tokens = tokens;
    config.cache_bytes = options.cache_mb.saturating_mul(1 << 20);
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("--addr {addr}: cannot listen"))?;
        let local = listener.local_addr()?;
        if config.tokens.is_empty() {
            tracing::warn!(
                "no --token-file: serving read-only on loopback only; give --token-file to take install configurations or to listen on the network"
            );
        } else {
            tracing::info!("{} token(s) accepted", config.tokens.len());
        }
        tracing::info!("serving {} at http://{local}{}", options.dir.display(), api::PREFIX);
        api::server::serve(listener, config, shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Request logs to stderr; `RUST_LOG` overrides the level.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("panelscope=info,tower_http=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        eprintln!("warning: {}: other users can read the token file (chmod 600 it)", path.display());
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// A client for `url` with the first token of `token_file`.
fn client(url: &str, token_file: Option<&Path>) -> anyhow::Result<Client> {
    let token = match token_file {
        Some(path) => read_token_file(path)?.into_iter().next(),
        None => None,
    };
    Ok(Client::new(url, token)?)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// `remote list URL`: the captures and panels a server holds.
pub fn list(url: &str, token_file: Option<&Path>, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    let client = client(url, token_file)?;
    let (captures, panels) = runtime()?.block_on(async { tokio::try_join!(client.captures(), client.panels()) })?;
    if json {
        let value = serde_json::json!({ "captures": captures, "panels": panels });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    writeln!(out, "{} capture(s) at {}", captures.len(), client.base())?;
    for c in &captures {
        let rate = c.sample_rate_hz.map_or("irregular".to_string(), |r| format!("{r} Hz"));
        writeln!(
            out,
            "  {}  {}  {}, {} channel(s), {rate}, {:.3} s, {}",
            c.id,
            c.name,
            c.format,
            c.channels,
            c.duration_s,
            human_bytes(c.bytes)
        )?;
    }
    writeln!(out, "{} panel(s)", panels.len())?;
    for p in &panels {
        let config = if p.has_install_config { ", install configuration stored" } else { "" };
        writeln!(out, "  {}  {}  ({}{config})", p.id, p.name, p.file)?;
    }
    Ok(())
}

/// `remote get URL ID --out FILE`: downloads a capture (a COMTRADE pair as FILE and its
/// `.dat`), atomically.
pub fn get(
    url: &str,
    id: &str,
    out_path: &Path,
    token_file: Option<&Path>,
    quiet: bool,
) -> anyhow::Result<Vec<PathBuf>> {
    let client = client(url, token_file)?;
    let cancel = AtomicBool::new(false);
    let show = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let progress = move |done: u64, total: u64| {
        if show {
            let pct = if total > 0 { 100.0 * done as f64 / total as f64 } else { 0.0 };
            eprint!("\r{} of {} ({pct:.0}%)   ", human_bytes(done), human_bytes(total));
        }
    };
    let written = runtime()?.block_on(client.download(id, out_path, &progress, &cancel))?;
    if show {
        eprintln!();
    }
    Ok(written)
}
