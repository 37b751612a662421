//! What every request shares: the store, the engines (lexical and vector indexes, the encoder), the
//! index of confidential demands, the configuration and the background embedding's progress.
//!
//! The derived indexes follow the store's outbox in a background task (see [`AppState::follow`]),
//! whoever wrote to the store — this server, another instance, or the command line — so a reader
//! never waits on a writer: a search reads the last committed state. A write made through this
//! server waits (in [`AppState::refresh`]) until the indexes hold it, so its author finds it at once;
//! concurrent writers share one catch-up, and with it one index commit.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use engine::indexing;
use engine::ConfidentialIndex;
use engine::Engines;
use search::matching::RankingConfig;
use search::LexicalIndex;
use store::Store;

use crate::auth::hash_password;
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
    /// CPU-heavy tasks (password checks, simulations) that may run at once; 0: one per core.
    pub cpu_tasks: usize,
    /// Heavy requests (loan-book simulations) one user may make a minute.
    pub heavy_per_minute: usize,
    /// Seconds a heavy request may compute before it is stopped with an error.
    pub heavy_budget_secs: u64,
    /// Bearer token `GET /metrics` requires; without one the metrics are not served (they count
    /// activity, which is not for anyone to read).
    pub metrics_token: Option<String>,
    /// An SMTP relay for e-mail notifications (`smtp://[user:password@]host:port`); none: inbox
    /// and webhooks only.
    pub smtp_url: Option<String>,
    /// The sender address of notification mail.
    pub mail_from: String,
    /// Let organizations' webhooks point inside the platform's own network (tests, closed networks).
    pub webhook_allow_private: bool,
    /// Days without a move before an engagement's awaited side is reminded (default: the workflow's).
    pub reminder_days: Option<i64>,
    /// Lets operators move the workflow clock forward (`POST /api/v1/test/clock`) so a browser
    /// test can pass a deadline or a notice period. Test set-ups only (env
    /// `SHUANGLIAN_TEST_CLOCK=1`); never in production.
    pub test_clock: bool,
    /// Where users reach the platform, for links in notification mail.
    pub public_url: Option<String>,
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
            cpu_tasks: 0,
            heavy_per_minute: 6,
            heavy_budget_secs: 10,
            metrics_token: None,
            smtp_url: None,
            mail_from: "noreply@shuanglian.local".into(),
            webhook_allow_private: false,
            reminder_days: None,
            test_clock: false,
            public_url: None,
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

/// How often the follower looks at the outbox when nothing woke it (writes by other processes are
/// in the indexes within this time).
pub const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// How long the follower, woken by a write, waits for more writes before it commits them together.
pub const FOLLOW_BATCH: Duration = Duration::from_millis(100);

/// The longest a user's search waits for the indexes to hold that user's own last write.
pub const OWN_WRITES_WAIT: Duration = Duration::from_secs(3);

pub struct AppState {
    pub store: Store,
    pub config: ServerConfig,
    pub ranking: RankingConfig,
    pub engines: tokio::sync::RwLock<Engines>,
    /// Registered-only and NDA-only demands, by who may read them, apart from the shared index so
    /// their text is never in an index every request reads (see `engine::confidential`). Locked only
    /// for in-memory work, never across an await.
    pub confidential: std::sync::RwLock<ConfidentialIndex>,
    /// Outbox position the lexical and confidential indexes have caught up to.
    synced_to: AtomicI64,
    pub(crate) sync_lock: tokio::sync::Mutex<()>,
    /// Wakes the follower early (a write was made through this server).
    wake: Arc<tokio::sync::Notify>,
    /// The outbox position the indexes hold, for those who wait on it (see [`AppState::sees_own_writes`]).
    synced: tokio::sync::watch::Sender<i64>,
    /// Per user, the outbox position of their last write through this server that the indexes may
    /// not hold yet: that user's next search waits for it (read-your-writes); nobody else waits.
    own_writes: Mutex<HashMap<i64, i64>>,
    /// A hash verified when a username is unknown, so a failed sign-in takes the same time either way.
    pub dummy_hash: String,
    pub embedding: Arc<EmbedProgress>,
    /// The bounded pool for CPU-heavy work (see `cpu`).
    pub cpu: crate::cpu::CpuPool,
    /// Heavy requests per user and minute.
    pub heavy: crate::cpu::HeavyLimiter,
    pub metrics: crate::metrics::Metrics,
    /// The chain taxonomy and its rules; assignments are kept current with the outbox.
    pub chains: engine::chains::ChainMap,
    /// The tier schemes and ladders (`data/rules`).
    pub rulebook: engine::tiers::Rulebook,
    /// The tech-credit scorecard in force (`data/credit/scorecard.toml`).
    pub card: credit::Card,
    /// The access policy with the store's pass issuer (see `access`).
    pub policy: crate::access::Policy,
    /// Engagements: the workflow and its use cases (see `engine::engagements`).
    pub desk: engine::engagements::Desk,
    /// Challenges and scenarios: the workflows and their use cases (see `engine::challenges`).
    pub board: engine::challenges::Board,
    /// Pilot platforms and PoC centres: the library, bookings, PoC seeds, the conversion path.
    pub library: engine::pilot::Library,
    /// Seed screenings and path plans running at once (each runs many matches and calendar
    /// searches): past this many, a request is told to try again (429).
    pub planners: tokio::sync::Semaphore,
    /// Wakes the delivery worker (a notification was queued).
    pub(crate) deliveries: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// Opens the indexes (building the lexical one when absent) with the dense side off; the
    /// background embedding turns it on when it is done.
    pub async fn open(store: Store, config: ServerConfig) -> engine::Result<Arc<AppState>> {
        let policy = crate::access::Policy::new(&store).ok_or_else(|| {
            engine::EngineError::Setup(
                "the store's pass issuer was taken before the server opened: open a store of its own for the server".into(),
            )
        })?;
        let ranking = engine::matching::ranking_config(&config.data_dir, None)?;
        let chains = engine::chains::ChainMap::open(config.taxonomy.as_deref())?
            .with_demands(policy.platform_demand_pass());
        let rulebook = engine::tiers::Rulebook::shipped().map_err(engine::EngineError::Setup)?;
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
        let head = store.outbox_head().await?;
        let confidential = ConfidentialIndex::build(&store, &policy.platform_demand_pass()).await?;
        let cpu = crate::cpu::CpuPool::new(if config.cpu_tasks == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            config.cpu_tasks
        });
        let heavy = crate::cpu::HeavyLimiter::new(config.heavy_per_minute);
        let mut desk = engine::engagements::Desk::new(
            store.clone(),
            policy.platform_demand_pass(),
            config.smtp_url.is_some(),
        )?;
        if let Some(d) = config.reminder_days {
            desk.reminder_days = d;
        }
        let board = engine::challenges::Board::new(
            store.clone(),
            policy.platform_demand_pass(),
            policy.platform_demand_pass(),
            config.smtp_url.is_some(),
            Some(config.data_dir.join("evidence")),
        )?;
        let library = engine::pilot::Library::new(
            store.clone(),
            policy.platform_demand_pass(),
            config.smtp_url.is_some(),
        )?
        .with_taxonomy(&chains.taxonomy);
        let state = Arc::new(AppState {
            policy,
            store,
            config,
            ranking,
            engines: tokio::sync::RwLock::new(engines),
            confidential: std::sync::RwLock::new(confidential),
            synced_to: AtomicI64::new(head),
            sync_lock: tokio::sync::Mutex::new(()),
            wake: Arc::new(tokio::sync::Notify::new()),
            synced: tokio::sync::watch::Sender::new(head),
            own_writes: Mutex::new(HashMap::new()),
            dummy_hash: hash_password("not a password anyone has"),
            embedding: Arc::new(EmbedProgress::default()),
            cpu,
            heavy,
            metrics: crate::metrics::Metrics::default(),
            chains,
            rulebook,
            card: credit::shipped(),
            desk,
            board,
            library,
            planners: tokio::sync::Semaphore::new(4),
            deliveries: Arc::new(tokio::sync::Notify::new()),
        });
        {
            // The lexical index keeps its own outbox position: bring it (and the chain map) up to date.
            let engines = state.engines.read().await;
            indexing::sync_lexical(&state.store, &engines.lexical).await?;
        }
        state.sync_chains().await;
        state.clone().follow();
        crate::deliver::start(&state);
        Ok(state)
    }

    /// Starts the follower: it applies the store's outbox to the indexes when woken by a write here
    /// and at least every [`FOLLOW_EVERY`] otherwise (writes by other processes), and prunes old
    /// sign-in counters now and then. It holds the state weakly and stops when the state is dropped.
    fn follow(self: Arc<Self>) {
        let weak = Arc::downgrade(&self);
        let wake = self.wake.clone();
        drop(self);
        tokio::spawn(async move {
            let mut rounds: u64 = 0;
            loop {
                let Some(state) = weak.upgrade() else { return };
                if let Err(e) = state.catch_up().await {
                    tracing::warn!(error = %e, "indexes not brought up to date; retried");
                }
                rounds += 1;
                if rounds.is_multiple_of(600) {
                    let window = crate::auth::LoginLimiter::WINDOW.as_secs() as i64;
                    if let Err(e) = state
                        .store
                        .prune_login_limits(crate::auth::now() - window)
                        .await
                    {
                        tracing::warn!(error = %e, "old sign-in counters not pruned");
                    }
                }
                drop(state);
                let woken = wake.notified();
                if tokio::time::timeout(FOLLOW_EVERY, woken).await.is_ok() {
                    // Woken by a write: let the writes of the next moment join it, so a steady
                    // writer costs one index commit per batch, not one per write.
                    tokio::time::sleep(FOLLOW_BATCH).await;
                }
            }
        });
    }

    /// Brings the indexes up to the store's outbox head and returns when they hold it (an import
    /// page, which shows what it imported). Readers never call it.
    pub async fn refresh(&self) -> ApiResult<()> {
        self.wake.notify_one();
        self.catch_up().await.map_err(ApiError::from)
    }

    /// Tells the follower that `user` wrote: it applies the write (with whatever else arrived
    /// meanwhile, in one index commit) without the writer waiting for the commit; the writer's own next
    /// search waits for it ([`AppState::sees_own_writes`]).
    pub async fn written_by(&self, user: i64) -> ApiResult<()> {
        let head = self.store.outbox_head().await?;
        if head > self.synced_to.load(Ordering::Acquire) {
            self.own_writes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(user, head);
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Waits (at most [`OWN_WRITES_WAIT`]) until the indexes hold the viewer's own last write, so an
    /// author finds what they just posted. Anonymous viewers and users with nothing pending return
    /// at once: a reader never waits on anyone else's write.
    pub async fn sees_own_writes(&self, viewer: &crate::access::Viewer) {
        let Some(user) = viewer.user_id() else { return };
        let pending = self
            .own_writes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&user)
            .copied();
        let Some(pos) = pending else { return };
        if self.synced_to.load(Ordering::Acquire) < pos {
            self.wake.notify_one();
            let mut rx = self.synced.subscribe();
            let _ = tokio::time::timeout(OWN_WRITES_WAIT, rx.wait_for(|v| *v >= pos)).await;
        }
        let mut map = self
            .own_writes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map
            .get(&user)
            .is_some_and(|p| *p <= self.synced_to.load(Ordering::Acquire))
        {
            map.remove(&user);
        }
    }

    async fn catch_up(&self) -> engine::Result<()> {
        let head = self.store.outbox_head().await?;
        // Another process (a command run with another taxonomy) may have reassigned the store.
        let foreign = self.chains_foreign().await?;
        if head <= self.synced_to.load(Ordering::Acquire) && !foreign {
            return Ok(());
        }
        // Concurrent writers queue here; the first one applies everything, the rest find it done.
        let _guard = self.sync_lock.lock().await;
        let from = self.synced_to.load(Ordering::Acquire);
        let head = self.store.outbox_head().await?;
        if head > from {
            {
                let engines = self.engines.read().await;
                indexing::sync_lexical(&self.store, &engines.lexical).await?;
            }
            let mut pos = from;
            loop {
                let entries = self.store.outbox_since(pos, 1000).await?;
                let Some(last) = entries.last() else { break };
                pos = last.id;
                let wanted = self.read_confidential().wanted(&entries);
                let all = self.policy.platform_demand_pass();
                let changes = ConfidentialIndex::read_changes(&self.store, &all, &wanted).await?;
                self.confidential
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .apply(changes);
            }
        }
        self.sync_chains().await;
        self.synced_to.store(head, Ordering::Release);
        self.synced.send_replace(head);
        Ok(())
    }

    /// The confidential index for reading (a poisoned lock still holds a consistent index: every
    /// change is applied whole under the write lock).
    pub fn read_confidential(&self) -> std::sync::RwLockReadGuard<'_, ConfidentialIndex> {
        self.confidential
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changed records go on their chain nodes (rules and cached vectors; a taxonomy change
    /// reassigns everything). A failure here is logged, not turned into a failed request.
    async fn sync_chains(&self) {
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
    }

    /// Whether the stored chain assignments were made under another taxonomy or other rules.
    async fn chains_foreign(&self) -> engine::Result<bool> {
        Ok(self.store.chain_state("fingerprint").await?.as_deref()
            != Some(self.chains.fingerprint.as_str()))
    }
}

impl From<search::vector::VectorError> for ApiError {
    fn from(e: search::vector::VectorError) -> ApiError {
        ApiError::internal(e)
    }
}

impl AppState {
    /// The outbox position the lexical and confidential indexes hold now: every change up to it is
    /// in them.
    pub fn synced_position(&self) -> i64 {
        self.synced_to.load(Ordering::Acquire)
    }
}
