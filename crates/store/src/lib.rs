//! Shuanglian's system of record: one repository API over SQLite (embedded, the default) and
//! PostgreSQL (production).
//!
//! Each back-end has its own pool type and its own migrations (`migrations/sqlite`,
//! `migrations/postgres`); queries are written once with `$N` placeholders, which both accept, and
//! [`dispatch!`] runs the same body against whichever pool is open. Every write goes through
//! [`Store::write_batch`], inside one transaction, and appends to the outbox and the audit log.

mod accounts;
mod admin;
mod audit;
mod bookings;
mod chains;
mod challenges;
mod claims;
mod clock;
mod contests;
mod deals;
mod demands;
mod embeddings;
mod engagements;
mod error;
mod filings;
mod import_runs;
mod limits;
mod notices;
mod pages;
mod pass;
mod platforms;
mod profiles;
mod related;
mod seeds;
mod target;
mod teasers;
mod verdicts;
mod write;

use chrono::{DateTime, Utc};
use model::{Record, RecordKind};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

pub use accounts::{NewUser, User};
pub use admin::Grant;
pub use audit::{AuditCheck, AuditEntry};
pub use bookings::{Booked, BookingEventRow, BookingMove, BookingRow, NewBooking, HOLDING};
pub use chains::{ChainAssignmentRow, ChainOverride, Replace, MANUAL_EVIDENCE};
pub use challenges::{
    ChallengeEventRow, ChallengeFields, ChallengeMove, ChallengeReader, ChallengeRow, Written,
};
pub use claims::{Claim, NewClaim};
pub use contests::{
    ApplicationRow, ChallengeFile, ChallengeOp, ChallengeWrite, EvidenceRow, InvitationRow,
    MarketRow, MemberRow, MilestoneRow, ObjectionRow, ReviewerRow, ScoreRow,
};
pub use deals::{sha256_hex, BrokerRow, LabelRow, NdaText, SignatureRow};
pub use demands::{DemandFilter, DemandNarrowing};
pub use embeddings::text_hash;
pub use engagements::{
    chain_holds, ContractRow, EngagementRow, EngagementScope, EventRow, Move, Moved, NewEngagement,
    NewSignature, PlacementRow,
};
pub use error::StoreError;
pub use filings::{FilingEventRow, FilingRow, NewFiling};
pub use import_runs::ImportRun;
pub use limits::LimitCount;
pub use notices::{DeliveryRow, NewNotice, NoticeRow, MAX_ATTEMPTS};
pub use pages::Pages;
pub use pass::{CreditPass, DemandPass, DemandScope, EveryProfilePass, PassIssuer, ProfilePass};
pub use platforms::{EquipmentFields, EquipmentRow, PlatformFields, PlatformRow, Upserted};
pub use profiles::{AssessorRow, CreditEvaluationRow, CreditRosterRow, ProfileRow};
pub use seeds::{PocApplicationRow, SeedRow};
pub use target::Target;
pub use teasers::Teaser;
pub use verdicts::{item_record_kind, ContractParty, MAX_CONTRACT_ROWS, MAX_VERDICT_ROWS};
pub use write::WriteOutcome;

pub type Result<T> = std::result::Result<T, StoreError>;

/// Runs `$body` with `$pool` bound to the open back-end's pool; the body is compiled once per back-end.
macro_rules! dispatch {
    ($store:expr, $pool:ident => $body:expr) => {{
        $store
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match &$store.backend {
            $crate::Backend::Sqlite($pool) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    }};
}
pub(crate) use dispatch;

/// Like [`dispatch!`], for a body that writes. On SQLite the body runs under the store's write gate:
/// SQLite has one writer at a time, and two connections of one process that both try to upgrade a
/// read into a write fail with `database is locked` (the busy timeout does not apply to that case).
/// Serialising writers in the process makes every accepted write wait its turn instead of failing;
/// transactions also start with `BEGIN IMMEDIATE` ([`WriteTx::begin_write`]), so another process's
/// writer is waited for with the busy timeout rather than met mid-transaction.
macro_rules! dispatch_write {
    ($store:expr, $pool:ident => $body:expr) => {{
        $store
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match &$store.backend {
            $crate::Backend::Sqlite($pool) => {
                let _turn = $store.gate.lock().await;
                $body
            }
            $crate::Backend::Postgres($pool) => $body,
        }
    }};
}
pub(crate) use dispatch_write;

/// Opens a write transaction the right way for each back-end.
pub(crate) trait WriteTx {
    type Db: sqlx::Database;
    async fn begin_write(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl WriteTx for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl WriteTx for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

#[derive(Clone)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A handle on the store; cheap to clone (it holds a connection pool).
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    /// One writer at a time on SQLite (see [`dispatch_write!`]); shared by every clone.
    pub(crate) gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Store calls made (each one or more statements): tests check that a page costs a bounded number.
    pub(crate) calls: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Whether the pass issuer was handed out (see [`pass`]).
    pub(crate) issuer_taken: pass::IssuerTaken,
    /// Seconds added to the clock of workflow writes (engagements, notifications, signatures):
    /// zero except while the demo replays a believable history in the past.
    pub(crate) clock_offset: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

/// A record as stored, with its id and timestamps.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub record: Record,
}

/// Number of records of each kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub organizations: i64,
    pub persons: i64,
    pub outcomes: i64,
    pub demands: i64,
}

impl Counts {
    pub fn get(&self, kind: RecordKind) -> i64 {
        match kind {
            RecordKind::Organization => self.organizations,
            RecordKind::Person => self.persons,
            RecordKind::Outcome => self.outcomes,
            RecordKind::Demand => self.demands,
        }
    }
}

/// One entry of the change feed the indexers follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub kind: String,
    pub record_id: i64,
    pub op: String,
}

pub(crate) fn table(kind: RecordKind) -> &'static str {
    kind.plural()
}

impl Store {
    /// Opens (creating if needed) the store at `target` and applies pending migrations.
    pub async fn open(target: &Target) -> Result<Store> {
        let store = match target {
            Target::Sqlite(path) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
                        path: dir.display().to_string(),
                        source: e,
                    })?;
                }
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // WAL + NORMAL: a killed process never loses a committed transaction.
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30));
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .connect_with(opts)
                    .await
                    .map_err(|e| StoreError::connect(target, e))?;
                sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
                Store {
                    backend: Backend::Sqlite(pool),
                    gate: Default::default(),
                    issuer_taken: Default::default(),
                    clock_offset: Default::default(),
                    calls: Default::default(),
                }
            }
            Target::Postgres { url, schema } => {
                let mut opts =
                    PgConnectOptions::from_str(url).map_err(|e| StoreError::connect(target, e))?;
                if let Some(schema) = schema {
                    ensure_pg_schema(&opts, schema)
                        .await
                        .map_err(|e| StoreError::connect(target, e))?;
                    opts = opts.options([("search_path", schema.as_str())]);
                }
                let pool = PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await
                    .map_err(|e| StoreError::connect(target, e))?;
                sqlx::migrate!("./migrations/postgres").run(&pool).await?;
                Store {
                    backend: Backend::Postgres(pool),
                    gate: Default::default(),
                    issuer_taken: Default::default(),
                    clock_offset: Default::default(),
                    calls: Default::default(),
                }
            }
        };
        store.seal_audit().await?;
        Ok(store)
    }

    /// Store calls made so far through this handle and its clones (a test counts what a page costs).
    pub fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        dispatch!(self, pool => pool.close().await)
    }

    /// Record counts per kind.
    pub async fn counts(&self) -> Result<Counts> {
        let mut c = Counts::default();
        for kind in RecordKind::ALL {
            let sql = format!("SELECT COUNT(*) FROM {}", table(kind));
            let n: i64 = dispatch!(self, pool => sqlx::query_scalar(&sql).fetch_one(pool).await?);
            match kind {
                RecordKind::Organization => c.organizations = n,
                RecordKind::Person => c.persons = n,
                RecordKind::Outcome => c.outcomes = n,
                RecordKind::Demand => c.demands = n,
            }
        }
        Ok(c)
    }

    /// Counts of one kind grouped by a sub-kind column (`kind`, or `confidentiality` for demands).
    pub async fn counts_by(&self, kind: RecordKind) -> Result<Vec<(String, i64)>> {
        let col = if kind == RecordKind::Demand {
            "confidentiality"
        } else {
            "kind"
        };
        let sql = format!(
            "SELECT {col}, COUNT(*) FROM {} GROUP BY {col} ORDER BY {col}",
            table(kind)
        );
        let rows: Vec<(String, i64)> =
            dispatch!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        Ok(rows)
    }

    /// One record by id whatever its level (inside the store only: callers go through a pass).
    pub(crate) async fn get_any(&self, kind: RecordKind, id: i64) -> Result<Option<Stored>> {
        let sql = format!(
            "SELECT id, doc, created_at, updated_at FROM {} WHERE id = $1",
            table(kind)
        );
        dispatch!(self, pool => {
            let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
            row.map(|r| stored_from_row(kind, &r)).transpose()
        })
    }

    /// One record by id. A demand comes back only when it is public: a registered-only or NDA-only
    /// one needs a pass ([`Store::get_demand`]).
    pub async fn get(&self, kind: RecordKind, id: i64) -> Result<Option<Stored>> {
        let sql = format!(
            "SELECT id, doc, created_at, updated_at FROM {} WHERE id = $1{}",
            table(kind),
            public_only(kind)
        );
        dispatch!(self, pool => {
            let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
            row.map(|r| stored_from_row(kind, &r)).transpose()
        })
    }

    /// The organization with this USCC, else the first with exactly this name: how outcomes and demands
    /// name their owners.
    pub async fn find_organization(
        &self,
        name: &str,
        uscc: Option<&str>,
    ) -> Result<Option<Stored>> {
        let kind = RecordKind::Organization;
        let sql = "SELECT id, doc, created_at, updated_at FROM organizations \
                   WHERE uscc = $1 OR name = $2 ORDER BY CASE WHEN uscc = $1 THEN 0 ELSE 1 END, id LIMIT 1";
        dispatch!(self, pool => {
            let row = sqlx::query(sql).bind(uscc.unwrap_or("")).bind(name).fetch_optional(pool).await?;
            row.map(|r| stored_from_row(kind, &r)).transpose()
        })
    }

    /// [`Store::find_organization`] for many (name, USCC) pairs in one query, with the same
    /// precedence: an organization with that USCC first, else one with that exact name; the lowest
    /// id among equals. Returns the organization id for each pair, in order.
    pub async fn find_organization_ids(
        &self,
        pairs: &[(String, Option<String>)],
    ) -> Result<Vec<Option<i64>>> {
        if pairs.is_empty() {
            return Ok(vec![]);
        }
        let mut params: Vec<&str> = vec![];
        for (name, uscc) in pairs {
            params.push(name);
            params.push(uscc.as_deref().unwrap_or(""));
        }
        params.sort_unstable();
        params.dedup();
        let list: Vec<String> = (1..=params.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, name, uscc FROM organizations WHERE name IN ({0}) OR uscc IN ({0}) ORDER BY id",
            list.join(", ")
        );
        let rows: Vec<(i64, String, Option<String>)> = dispatch!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for p in &params {
                q = q.bind(*p);
            }
            q.fetch_all(pool).await?
        });
        Ok(pairs
            .iter()
            .map(|(name, uscc)| {
                let by_uscc = uscc.as_deref().unwrap_or("");
                rows.iter()
                    .find(|(_, _, u)| u.as_deref() == Some(by_uscc))
                    .or_else(|| rows.iter().find(|(_, n, _)| n == name))
                    .map(|(id, _, _)| *id)
            })
            .collect())
    }

    /// A page of records in id order, starting after `after_id`. Demands: public ones only (see
    /// [`Store::pages_with`] for the others).
    pub async fn list(&self, kind: RecordKind, after_id: i64, limit: i64) -> Result<Vec<Stored>> {
        self.list_inner(kind, after_id, limit, false).await
    }

    /// [`Store::list`], with confidential demands when `confidential`.
    pub(crate) async fn list_inner(
        &self,
        kind: RecordKind,
        after_id: i64,
        limit: i64,
        confidential: bool,
    ) -> Result<Vec<Stored>> {
        let only = if confidential { "" } else { public_only(kind) };
        let sql = format!(
            "SELECT id, doc, created_at, updated_at FROM {} WHERE id > $1{only} ORDER BY id LIMIT $2",
            table(kind)
        );
        dispatch!(self, pool => {
            let rows = sqlx::query(&sql).bind(after_id).bind(limit).fetch_all(pool).await?;
            rows.iter().map(|r| stored_from_row(kind, r)).collect()
        })
    }

    /// Every public demand's id (one query; what anyone may see).
    pub async fn public_demand_ids(&self) -> Result<Vec<i64>> {
        Ok(dispatch!(self, pool => sqlx::query_scalar(
            "SELECT id FROM demands WHERE confidentiality = 'public' ORDER BY id"
        ).fetch_all(pool).await?))
    }

    /// The confidentiality level (`public`, `registered`, `nda`) of each of `ids` that exists, one
    /// query per 500 ids. A search checks its demand hits with it, so a demand whose level another
    /// process changed is never shown or counted under its old level before the indexes follow.
    pub async fn demand_levels(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let params: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, confidentiality FROM demands WHERE id IN ({})",
                params.join(", ")
            );
            let found: Vec<(i64, String)> = dispatch!(self, pool => {
                let mut q = sqlx::query_as(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await?
            });
            out.extend(found);
        }
        Ok(out)
    }

    /// Changes after `after_id`, oldest first.
    pub async fn outbox_since(&self, after_id: i64, limit: i64) -> Result<Vec<OutboxEntry>> {
        let sql = "SELECT id, kind, record_id, op FROM outbox WHERE id > $1 ORDER BY id LIMIT $2";
        let rows: Vec<(i64, String, i64, String)> = dispatch!(self, pool =>
            sqlx::query_as(sql).bind(after_id).bind(limit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(id, kind, record_id, op)| OutboxEntry {
                id,
                kind,
                record_id,
                op,
            })
            .collect())
    }

    /// The newest outbox entry's id (0 when empty).
    pub async fn outbox_head(&self) -> Result<i64> {
        let id: Option<i64> = dispatch!(self, pool =>
            sqlx::query_scalar("SELECT MAX(id) FROM outbox").fetch_one(pool).await?);
        Ok(id.unwrap_or(0))
    }

    /// Checks the database: SQLite's own integrity check, then that every record is findable by its
    /// keys and parses. Returns the problems found (empty when consistent).
    pub async fn check_consistency(&self) -> Result<Vec<String>> {
        let mut problems = vec![];
        if let Backend::Sqlite(pool) = &self.backend {
            let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(pool)
                .await?;
            if rows != ["ok"] {
                problems.extend(rows.into_iter().map(|r| format!("sqlite: {r}")));
            }
        }
        for kind in RecordKind::ALL {
            let t = table(kind);
            let sql = format!(
                "SELECT COUNT(*) FROM {t} r WHERE NOT EXISTS \
                 (SELECT 1 FROM record_keys k WHERE k.kind = $1 AND k.record_id = r.id)"
            );
            let orphans: i64 = dispatch!(self, pool =>
                sqlx::query_scalar(&sql).bind(kind.as_str()).fetch_one(pool).await?);
            if orphans > 0 {
                problems.push(format!("{orphans} {t} have no identity key"));
            }
            // Every stored document must still parse (a page that does not is an error here).
            let mut after = 0;
            while let Some(last) = self.list_inner(kind, after, 1000, true).await?.last() {
                after = last.id;
            }
        }
        Ok(problems)
    }
}

async fn ensure_pg_schema(
    opts: &PgConnectOptions,
    schema: &str,
) -> std::result::Result<(), sqlx::Error> {
    use sqlx::ConnectOptions;
    if !schema
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(sqlx::Error::Configuration(
            format!("schema name '{schema}' may only use letters, digits and _").into(),
        ));
    }
    let mut conn = opts.connect().await?;
    sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// The condition that keeps a read of demands to public ones (none for other kinds).
fn public_only(kind: RecordKind) -> &'static str {
    if kind == RecordKind::Demand {
        " AND confidentiality = 'public'"
    } else {
        ""
    }
}

pub(crate) fn stored_from_row<R>(kind: RecordKind, row: &R) -> Result<Stored>
where
    R: Row,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
{
    let id: i64 = row.try_get("id")?;
    let doc: String = row.try_get("doc")?;
    let record = Record::from_json(kind, &doc).map_err(|e| StoreError::Corrupt {
        kind,
        id,
        message: e.to_string(),
    })?;
    Ok(Stored {
        id,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        record,
    })
}
