//! `shuanglian serve`: the web platform and HTTP API over the data directory's store and indexes.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use server::{AppState, ServerConfig};
use store::Store;

use crate::args::{Global, ServeArgs, ServeOptions};

/// Reads the settings file (when given), then applies the flags and environment.
pub fn config(
    data_dir: &Path,
    file: Option<&Path>,
    opts: &ServeOptions,
) -> anyhow::Result<ServerConfig> {
    let mut cfg = match file {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the server settings {}", p.display()))?;
            toml::from_str::<ServerConfig>(&text)
                .with_context(|| format!("server settings {}", p.display()))?
        }
        None => ServerConfig::default(),
    };
    cfg.data_dir = data_dir.to_path_buf();
    if opts.model.is_some() {
        cfg.model = opts.model.clone();
    }
    cfg.embed_threads = opts.embed_threads.max(1);
    if let Some(dir) = std::env::var_os("SHUANGLIAN_TAXONOMY") {
        cfg.taxonomy = Some(dir.into());
    }
    if let Ok(token) = std::env::var("SHUANGLIAN_METRICS_TOKEN") {
        cfg.metrics_token = Some(token).filter(|t| !t.is_empty());
    }
    if cfg.metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
        anyhow::bail!("metrics_token: give at least 16 characters (it guards /metrics)");
    }
    if cfg.session_ttl_secs < 60 {
        anyhow::bail!(
            "session_ttl_secs = {}: give at least 60 seconds",
            cfg.session_ttl_secs
        );
    }
    if cfg.max_body_bytes < 1024 {
        anyhow::bail!(
            "max_body_bytes = {}: give at least 1024",
            cfg.max_body_bytes
        );
    }
    Ok(cfg)
}

/// Opens the state, starts the background embedding and serves until stopped. `ready` runs once the
/// port is bound (the demo prints its accounts then).
pub async fn serve_store(
    store: Store,
    cfg: ServerConfig,
    opts: &ServeOptions,
    ready: impl FnOnce(&str),
) -> anyhow::Result<u8> {
    let state = AppState::open(store, cfg).await?;
    server::embed::start(state.clone(), tokio::runtime::Handle::current());
    let addr = SocketAddr::new(opts.bind, opts.port);
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr}: is another server using the port? (--port)")
    })?;
    let url = format!("http://{}", listener.local_addr()?);
    ready(&url);
    server::serve_listener(state, listener).await?;
    Ok(0)
}

pub async fn run(global: &Global, args: &ServeArgs) -> anyhow::Result<u8> {
    let store = super::open_store(global).await?;
    let data_dir = super::data_dir(global);
    let cfg = config(&data_dir, args.config.as_deref(), &args.serve)?;
    serve_store(store, cfg, &args.serve, |url| {
        println!("Shuanglian serving on {url} (Ctrl-C stops)");
    })
    .await
}
