//! The audit log as a hash chain. Every row holds the SHA-256 of the row before it and of its own
//! canonical content, and `audit_head` holds the last row's id and hash: an edited, removed,
//! reordered or cut-off row breaks the chain, and [`Store::verify_audit`] names the first row that
//! does not verify. Appenders take the head's row lock first (PostgreSQL) or hold the one writer
//! (SQLite), so concurrent writers extend one chain, never fork it.
//!
//! The chain carries no secret: someone who can rewrite the whole table can rehash it. An operator
//! who keeps the head hash `audit verify` prints somewhere else (a ticket, a printed report) can
//! tell later that nothing before it was rewritten.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::{dispatch, dispatch_write, Result, Store, WriteTx};

/// One audit row to append.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub actor: String,
    pub action: String,
    pub kind: String,
    pub record_id: Option<i64>,
    pub detail: Option<String>,
}

impl AuditEntry {
    pub fn new(
        actor: &str,
        action: &str,
        kind: &str,
        record_id: Option<i64>,
        detail: &str,
    ) -> Self {
        AuditEntry {
            actor: actor.into(),
            action: action.into(),
            kind: kind.into(),
            record_id,
            detail: Some(detail.into()),
        }
    }
}

/// The audit clock, at microseconds (what both back-ends keep exactly, so the hash reads back).
pub(crate) fn audit_now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// The hash of a row given the hash before it.
pub(crate) fn row_hash(prev: &str, at: &DateTime<Utc>, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    let fields = [
        at.timestamp_micros().to_string(),
        e.actor.clone(),
        e.action.clone(),
        e.kind.clone(),
        e.record_id.map(|i| i.to_string()).unwrap_or_default(),
        e.detail.clone().unwrap_or_default(),
    ];
    for f in fields {
        h.update((f.len() as u64).to_le_bytes());
        h.update(f.as_bytes());
    }
    format!("{:x}", h.finalize())
}

/// Rows per `INSERT` (8 values each: well under either back-end's bound-parameter limit).
pub(crate) const CHUNK: usize = 300;

/// `INSERT … VALUES (…), (…) RETURNING id` for `rows` audit rows.
pub(crate) fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO audit_log (at, actor, action, kind, record_id, detail, prev_hash, hash) VALUES ",
    );
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        let cols: Vec<String> = (1..=8).map(|c| format!("${}", r * 8 + c)).collect();
        sql.push_str(&cols.join(", "));
        sql.push(')');
    }
    sql.push_str(" RETURNING id");
    sql
}

/// Appends audit rows inside a write transaction (call it last: it takes the chain's lock).
macro_rules! append_audit {
    ($tx:expr, $entries:expr) => {{
        let entries: &[$crate::audit::AuditEntry] = &$entries;
        if !entries.is_empty() {
            sqlx::query("UPDATE audit_head SET last_id = last_id WHERE id = 1")
                .execute(&mut *$tx)
                .await?;
            let mut prev: String = sqlx::query_scalar("SELECT hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *$tx)
                .await?;
            let at = $crate::audit::audit_now();
            let mut last = 0i64;
            for chunk in entries.chunks($crate::audit::CHUNK) {
                let mut hashes = Vec::with_capacity(chunk.len());
                for e in chunk {
                    let hash = $crate::audit::row_hash(&prev, &at, e);
                    hashes.push((std::mem::replace(&mut prev, hash.clone()), hash));
                }
                let sql = $crate::audit::insert_sql(chunk.len());
                let mut q = sqlx::query_scalar(&sql);
                for (e, (before, hash)) in chunk.iter().zip(&hashes) {
                    q = q
                        .bind(at)
                        .bind(&e.actor)
                        .bind(&e.action)
                        .bind(&e.kind)
                        .bind(e.record_id)
                        .bind(&e.detail)
                        .bind(before)
                        .bind(hash);
                }
                let ids: Vec<i64> = q.fetch_all(&mut *$tx).await?;
                last = ids.into_iter().max().unwrap_or(last);
            }
            sqlx::query("UPDATE audit_head SET last_id = $1, hash = $2 WHERE id = 1")
                .bind(last)
                .bind(&prev)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use append_audit;

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditCheck {
    /// Rows read.
    pub rows: u64,
    /// The head: the last row's id and hash.
    pub head_id: i64,
    pub head_hash: String,
    /// The first row that does not verify, and why (`None`: the chain holds).
    pub broken: Option<(i64, String)>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    kind: String,
    record_id: Option<i64>,
    detail: Option<String>,
    prev_hash: String,
    hash: String,
}

const PAGE: i64 = 5_000;

impl Store {
    /// Walks the audit chain from its first row, a page at a time.
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        let (head_id, head_hash): (i64, String) = dispatch!(self, pool =>
            sqlx::query_as("SELECT last_id, hash FROM audit_head WHERE id = 1").fetch_one(pool).await?);
        let mut check = AuditCheck {
            rows: 0,
            head_id,
            head_hash,
            broken: None,
        };
        let mut prev = String::new();
        let mut after = 0i64;
        let mut last_id = 0i64;
        loop {
            let sql = "SELECT id, at, actor, action, kind, record_id, detail, prev_hash, hash \
                       FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2";
            let rows: Vec<AuditRow> = dispatch!(self, pool =>
                sqlx::query_as(sql).bind(after).bind(PAGE).fetch_all(pool).await?);
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                check.rows += 1;
                let e = AuditEntry {
                    actor: r.actor.clone(),
                    action: r.action.clone(),
                    kind: r.kind.clone(),
                    record_id: r.record_id,
                    detail: r.detail.clone(),
                };
                if r.id > check.head_id {
                    // Appended since the head was read (a live server)? The head moves with
                    // every append in the same transaction: read it again.
                    let (id, hash): (i64, String) = dispatch!(self, pool =>
                        sqlx::query_as("SELECT last_id, hash FROM audit_head WHERE id = 1").fetch_one(pool).await?);
                    check.head_id = id;
                    check.head_hash = hash;
                }
                let why = if r.prev_hash != prev {
                    Some("it does not follow the row before it (a row was removed, inserted or reordered)")
                } else if row_hash(&prev, &r.at, &e) != r.hash {
                    Some("its content does not match its hash (the row was changed)")
                } else if r.id > check.head_id {
                    Some("it lies beyond the chain's recorded head (written around the chain)")
                } else {
                    None
                };
                if let Some(why) = why {
                    check.broken = Some((r.id, why.into()));
                    return Ok(check);
                }
                prev = r.hash.clone();
                last_id = r.id;
            }
            after = rows.last().map(|r| r.id).unwrap_or(after);
        }
        if last_id != check.head_id || prev != check.head_hash {
            check.broken = Some((
                check.head_id,
                "the chain ends before its recorded head (rows at the end were removed)".into(),
            ));
        }
        Ok(check)
    }

    /// Chains the rows written before the chain existed (once: while the head is still empty).
    pub(crate) async fn seal_audit(&self) -> Result<()> {
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The head's lock first: two servers starting together seal once.
            sqlx::query("UPDATE audit_head SET last_id = last_id WHERE id = 1").execute(&mut *tx).await?;
            let (last, hash): (i64, String) =
                sqlx::query_as("SELECT last_id, hash FROM audit_head WHERE id = 1").fetch_one(&mut *tx).await?;
            if last != 0 || !hash.is_empty() {
                return Ok(());
            }
            let rows: Vec<AuditRow> = sqlx::query_as(
                "SELECT id, at, actor, action, kind, record_id, detail, prev_hash, hash FROM audit_log ORDER BY id",
            )
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut prev = String::new();
            for r in &rows {
                let at = DateTime::from_timestamp_micros(r.at.timestamp_micros()).unwrap_or(r.at);
                let e = AuditEntry {
                    actor: r.actor.clone(),
                    action: r.action.clone(),
                    kind: r.kind.clone(),
                    record_id: r.record_id,
                    detail: r.detail.clone(),
                };
                let h = row_hash(&prev, &at, &e);
                sqlx::query("UPDATE audit_log SET at = $1, prev_hash = $2, hash = $3 WHERE id = $4")
                    .bind(at).bind(&prev).bind(&h).bind(r.id)
                    .execute(&mut *tx).await?;
                prev = h;
            }
            let last = rows.last().map(|r| r.id).unwrap_or(0);
            sqlx::query("UPDATE audit_head SET last_id = $1, hash = $2 WHERE id = 1")
                .bind(last).bind(&prev).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Number of audit-log entries (for tests and the operations page).
    pub async fn audit_count(&self) -> Result<i64> {
        Ok(dispatch!(self, pool =>
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(pool).await?))
    }

    /// Appends audit rows in their own transaction.
    pub async fn append_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            append_audit!(tx, entries);
            tx.commit().await?;
        });
        Ok(())
    }
}
