//! `shuanglian serve`: the web platform and HTTP API over the data directory's store and indexes.

use std::net::SocketAddr;

use anyhow::Context;
use server::{AppState, ServerConfig};
use store::Store;

use crate::args::{Global, ServeArgs, ServeOptions};

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
    let cfg = crate::config::server_config(&data_dir, args.config.as_deref(), &args.serve)?;
    serve_store(store, cfg, &args.serve, |url| {
        println!("Shuanglian serving on {url} (Ctrl-C stops)");
    })
    .await
}
