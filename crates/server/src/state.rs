//! What every request shares: the store, the engines (lexical and vector indexes, the encoder), the
//! index of confidential demands, the sign-in limiter, the configuration and the background
//! embedding's progress.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use engine::indexing;
use engine::Engines;
use model::{Confidentiality, Record, RecordKind};
use search::matching::RankingConfig;
use search::{LexicalIndex, SearchItem};
use store::Store;

use crate::auth::{hash_password, LoginLimiter};
use crate::error::{ApiError, ApiResult};

/// Server settings (from flags, a file or the environment; see `docs/operations.md`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    /// Encoder weights; `None`: the default place in the data directory.
    pub model: Option<PathBuf>,
    pub session_ttl_secs: i64,
    /// Mark cookies `Secure` (behind an HTTPS reverse proxy).
    pub secure_cookies: bool,
    /// Largest request body accepted, bytes.
    pub max_body_bytes: usize,
    /// Threads the background embedding may use (leave the rest to requests).
    pub embed_threads: usize,
    /// A reverse proxy fronts the server and adds the client's address to `X-Forwarded-For`; without
    /// it the header is ignored (a client could write anything there).
    pub trust_forwarded_for: bool,
    /// An edited chain taxonomy directory (see data/chains/README.md); `None`: the shipped one.
    pub taxonomy: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            data_dir: PathBuf::from("shuanglian-data"),
            model: None,
            session_ttl_secs: 8 * 3600,
            secure_cookies: false,
            max_body_bytes: 1 << 20,
            embed_threads: 1,
            trust_forwarded_for: false,
            taxonomy: None,
        }
    }
}

/// Progress of the background embedding of the registry.
#[derive(Default)]
pub struct EmbedProgress {
    pub done: AtomicUsize,
    pub total: AtomicUsize,
    /// Texts the last run encoded, and texts it found cached (a restart encodes none).
    pub encoded: AtomicUsize,
    pub reused: AtomicUsize,
    /// `waiting`, `embedding`, `ready`, `unavailable` (no weights), `failed` (see the log).
    pub state: Mutex<String>,
}

impl EmbedProgress {
    pub fn set_state(&self, s: impl Into<String>) {
        *self.state.lock().expect("progress lock") = s.into();
    }
    pub fn state(&self) -> String {
        self.state.lock().expect("progress lock").clone()
    }
}

pub struct AppState {
    pub store: Store,
    pub config: ServerConfig,
    pub ranking: RankingConfig,
    pub engines: tokio::sync::RwLock<Engines>,
    /// Registered-only and NDA-only demands, searchable apart from the shared index so their text is
    /// never in an index every request reads; hits are checked per viewer.
    pub confidential: tokio::sync::RwLock<LexicalIndex>,
    /// Outbox position the lexical and confidential indexes have caught up to.
    synced_to: AtomicI64,
    pub(crate) sync_lock: tokio::sync::Mutex<()>,
    pub limiter: LoginLimiter,
    /// A hash verified when a username is unknown, so a failed sign-in takes the same time either way.
    pub dummy_hash: String,
    pub embedding: Arc<EmbedProgress>,
    pub metrics: crate::metrics::Metrics,
    /// The chain taxonomy and its rules; assignments are kept current with the outbox.
    pub chains: engine::chains::ChainMap,
    /// The tier schemes and ladders (`data/rules`).
    pub rulebook: engine::tiers::Rulebook,
    /// The tech-credit scorecard in force (`data/credit/scorecard.toml`).
    pub card: credit::Card,
}

impl AppState {
    /// Opens the indexes (building the lexical one when absent) with the dense side off; the
    /// background embedding turns it on when it is done.
    pub async fn open(store: Store, config: ServerConfig) -> engine::Result<Arc<AppState>> {
        let ranking = engine::matching::ranking_config(&config.data_dir, None)?;
        let chains = engine::chains::ChainMap::open(config.taxonomy.as_deref())?;
        let rulebook = engine::tiers::Rulebook::shipped().map_err(engine::EngineError::Input)?;
        let dir = indexing::lexical_dir(&config.data_dir);
        if !dir.join("meta.json").exists() {
            let index = LexicalIndex::open_or_create(&dir)?;
            indexing::rebuild_lexical(&store, &index).await?;
        }
        let engines = Engines::open(
            &store,
            &config.data_dir,
            Err("lexical only while the registry's embeddings are computed".to_string()),
            &ranking,
            0,
        )
        .await?;
        let state = Arc::new(AppState {
            store,
            config,
            ranking,
            engines: tokio::sync::RwLock::new(engines),
            confidential: tokio::sync::RwLock::new(LexicalIndex::in_memory()?),
            synced_to: AtomicI64::new(-1),
            sync_lock: tokio::sync::Mutex::new(()),
            limiter: LoginLimiter::default(),
            dummy_hash: hash_password("not a password anyone has"),
            embedding: Arc::new(EmbedProgress::default()),
            metrics: crate::metrics::Metrics::default(),
            chains,
            rulebook,
            card: credit::shipped(),
        });
        state.catch_up().await?;
        Ok(state)
    }

    /// Brings the lexical index and the confidential-demand index up to the store's outbox head (one
    /// cheap query when nothing changed).
    pub async fn refresh(&self) -> ApiResult<()> {
        self.catch_up().await.map_err(ApiError::from)
    }

    async fn catch_up(&self) -> engine::Result<()> {
        let head = self.store.outbox_head().await?;
        // Another process (a command run with another taxonomy) may have reassigned the store.
        let foreign = self.chains_foreign().await?;
        if head <= self.synced_to.load(Ordering::Acquire) && !foreign {
            return Ok(());
        }
        let _guard = self.sync_lock.lock().await;
        if head > self.synced_to.load(Ordering::Acquire) {
            {
                let engines = self.engines.read().await;
                indexing::sync_lexical(&self.store, &engines.lexical).await?;
            }
            let fresh = confidential_index(&self.store).await?;
            *self.confidential.write().await = fresh;
        }
        // Changed records go on their chain nodes (rules and cached vectors; a taxonomy change
        // reassigns everything). A failure here is logged, not turned into a failed request.
        match engine::chains::sync_assignments(&self.store, &self.chains, None, false).await {
            Ok(run) if run.records > 0 => tracing::info!(
                records = run.records,
                assignments = run.assignments,
                full = run.full,
                "chain nodes assigned"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "chain nodes not assigned; retried on the next change")
            }
        }
        self.synced_to.store(head, Ordering::Release);
        Ok(())
    }

    /// Whether the stored chain assignments were made under another taxonomy or other rules.
    async fn chains_foreign(&self) -> engine::Result<bool> {
        Ok(self.store.chain_state("fingerprint").await?.as_deref()
            != Some(self.chains.fingerprint.as_str()))
    }
}

/// Every non-public demand in an in-memory index of its own.
async fn confidential_index(store: &Store) -> engine::Result<LexicalIndex> {
    let index = LexicalIndex::in_memory()?;
    let mut writer = index.writer()?;
    let mut after = 0;
    loop {
        let page = store.list(RecordKind::Demand, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for s in &page {
            let Record::Demand(d) = &s.record else {
                continue;
            };
            if d.confidentiality == Confidentiality::Public {
                continue;
            }
            // The shared view leaves non-public demands out; this index takes their text as if public,
            // and keeps the level as the item's sub-kind.
            let mut open = d.clone();
            open.confidentiality = Confidentiality::Public;
            if let Some(mut item) = SearchItem::from_record(s.id as u64, &Record::Demand(open)) {
                item.kind = d.confidentiality.to_string();
                writer.upsert(&item)?;
            }
        }
    }
    writer.commit_at_outbox(0)?;
    index.reload()?;
    Ok(index)
}

impl From<search::vector::VectorError> for ApiError {
    fn from(e: search::vector::VectorError) -> ApiError {
        ApiError::internal(e)
    }
}
