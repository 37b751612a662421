//! The background embedding: on start the server answers lexically at once, while a thread of its own
//! embeds every record without a cached vector (cached in the store by text hash, so a restart
//! recomputes nothing), builds the vector index, and then switches matching to hybrid.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crate::state::AppState;

/// Starts the embedding thread. Without encoder weights it records why and returns.
pub fn start(state: Arc<AppState>, handle: tokio::runtime::Handle) {
    let path = state
        .config
        .model
        .clone()
        .unwrap_or_else(|| encoder::default_model_path(&state.config.data_dir));
    let options = encoder::Options {
        threads: state.config.embed_threads.max(1),
        kernel: None,
        verify_checksum: true,
    };
    let encoder = match encoder::Encoder::load(&path, &options) {
        Ok(e) => e,
        Err(e) => {
            // The detail (a path, an OS error) goes to the log, not to every visitor.
            tracing::warn!(
                error = %e,
                "encoder weights unavailable; matching stays lexical (fix: run `scripts/fetch-model ./shuanglian-data`, \
                 which `demo` never clears, then restart)"
            );
            state.embedding.set_state("unavailable");
            handle.spawn(async move {
                let mut engines = state.engines.write().await;
                for n in engines.notes.iter_mut() {
                    if n.contains("embeddings are computed") {
                        *n = "lexical only: the encoder weights are not installed \
                              (scripts/fetch-model ./shuanglian-data, then restart)"
                            .to_string();
                    }
                }
            });
            return;
        }
    };
    start_with(state, Arc::new(encoder), handle);
}

/// Starts the embedding thread with `embedder` (the encoder, or in tests the deterministic double).
pub fn start_with(
    state: Arc<AppState>,
    embedder: Arc<dyn engine::Embedder>,
    handle: tokio::runtime::Handle,
) {
    state.embedding.set_state("embedding");
    std::thread::Builder::new()
        .name("embedding".into())
        .spawn(move || {
            let started = Instant::now();
            match handle.block_on(run(&state, embedder)) {
                Ok(()) => {
                    tracing::info!(
                        seconds = started.elapsed().as_secs_f64(),
                        "embeddings ready: matching is hybrid"
                    );
                }
                Err(e) => {
                    tracing::error!(error = %e, "background embedding failed; matching stays lexical");
                    state.embedding.set_state("failed");
                }
            }
        })
        .expect("spawning the embedding thread");
}

async fn run(state: &AppState, encoder: Arc<dyn engine::Embedder>) -> engine::Result<()> {
    let progress = state.embedding.clone();
    let mut last_log = Instant::now();
    let done = engine::indexing::embed_registry(&state.store, encoder.as_ref(), |seen, total| {
        progress.done.store(seen, Ordering::Relaxed);
        progress.total.store(total, Ordering::Relaxed);
        if last_log.elapsed().as_secs() >= 5 {
            tracing::info!(seen, total, "embedding the registry");
            last_log = Instant::now();
        }
    })
    .await?;
    tracing::info!(
        encoded = done.encoded,
        reused = done.reused,
        "registry embedded"
    );
    progress.encoded.store(done.encoded, Ordering::Relaxed);
    progress.reused.store(done.reused, Ordering::Relaxed);
    let data_dir = &state.config.data_dir;
    engine::indexing::rebuild_vectors(
        &state.store,
        data_dir,
        state.ranking.vector,
        encoder.model(),
    )
    .await?;
    let path = engine::vector_path(&state.config.data_dir);
    let mut index = search::VectorIndex::load(&path)?.ok_or_else(|| {
        engine::EngineError::Setup("the vector index just built is missing".into())
    })?;
    index.set_params(state.ranking.vector);
    let mut engines = state.engines.write().await;
    engines.vectors = Some(index);
    engines.encoder = Some(encoder);
    engines
        .notes
        .retain(|n| !n.contains("embeddings are computed"));
    drop(engines);
    // The English encoder's index of the English records, when it was fetched (never fatal).
    if let Err(e) = english(state).await {
        tracing::warn!(error = %e, "the English encoder is not used");
    }
    // With every vector cached, chain assignment adds semantic similarity (a full run, once).
    let _guard = state.sync_lock.lock().await;
    let engines = state.engines.read().await;
    let run = engine::chains::sync_assignments(
        &state.store,
        &state.chains,
        engines.encoder.as_deref(),
        false,
    )
    .await?;
    tracing::info!(
        records = run.records,
        semantic = run.semantic,
        full = run.full,
        "chain nodes assigned"
    );
    drop(engines);
    state.embedding.set_state("ready");
    Ok(())
}

/// Embeds the English records with the English encoder (bge-small-en, when fetched and used by the
/// ranking file), builds their index and hands both to matching.
async fn english(state: &AppState) -> engine::Result<()> {
    use engine::indexing::{embed_space, rebuild_space, Space};
    if state.ranking.fusion.english_dense <= 0.0 {
        return Ok(());
    }
    let spec = &encoder::registry::BGE_SMALL_EN;
    let data_dir = &state.config.data_dir;
    let path = encoder::default_path_for(spec, data_dir);
    if !path.exists() {
        tracing::info!(
            "no English encoder (scripts/fetch-model fetches it): English text is matched by the multilingual encoder alone"
        );
        return Ok(());
    }
    let options = encoder::Options {
        threads: state.config.embed_threads.max(1),
        kernel: None,
        verify_checksum: true,
    };
    let loaded = encoder::Encoder::load_model(spec, &path, &options)
        .map_err(|e| engine::EngineError::Setup(e.to_string()))?;
    let enc: Arc<dyn engine::Embedder> = Arc::new(loaded);
    let done = embed_space(&state.store, enc.as_ref(), Space::English, |_, _| {}).await?;
    rebuild_space(
        &state.store,
        data_dir,
        state.ranking.vector,
        enc.model(),
        Space::English,
    )
    .await?;
    let Some(mut index) = search::VectorIndex::load(&Space::English.path(data_dir))? else {
        return Ok(());
    };
    index.set_params(state.ranking.vector);
    tracing::info!(
        records = index.len(),
        encoded = done.encoded,
        "English encoder ready"
    );
    let mut engines = state.engines.write().await;
    if !index.is_empty() {
        engines.english = Some(index);
        engines.english_encoder = Some(enc);
    }
    Ok(())
}
