//! Claims on registered records: an organization says a record registered by someone else is its
//! own (a patent or paper registered first by another party). The claim goes to an operator; the
//! claim and its decision are in the audit log.

use chrono::Utc;

use crate::{dispatch, dispatch_write, Result, Store, WriteTx};

/// A claim as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Claim {
    pub id: i64,
    pub record_kind: String,
    pub record_id: i64,
    pub claimant_user: i64,
    pub claimant_org: Option<i64>,
    pub note: String,
    /// `open`, `accepted` or `rejected`.
    pub status: String,
    pub created_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

const CLAIM_COLUMNS: &str =
    "id, record_kind, record_id, claimant_user, claimant_org, note, status, \
                             created_at, decided_by, decided_at";

/// A claim to file.
#[derive(Debug, Clone)]
pub struct NewClaim<'a> {
    pub record_kind: &'a str,
    pub record_id: i64,
    pub claimant_user: i64,
    pub claimant_org: Option<i64>,
    pub note: &'a str,
    /// Who files it, for the audit log.
    pub actor: &'a str,
}

impl Store {
    /// Files a claim (and its audit row, in one transaction); returns its id.
    pub async fn add_claim(&self, c: &NewClaim<'_>) -> Result<i64> {
        let now = Utc::now();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO claims (record_kind, record_id, claimant_user, claimant_org, note, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(c.record_kind)
            .bind(c.record_id)
            .bind(c.claimant_user)
            .bind(c.claimant_org)
            .bind(c.note)
            .bind(now.timestamp())
            .fetch_one(&mut *tx)
            .await?;
            crate::audit::append_audit!(tx, [crate::AuditEntry {
                actor: c.actor.to_string(),
                action: "claim".to_string(),
                kind: c.record_kind.to_string(),
                record_id: Some(c.record_id),
                detail: Some(format!("claim #{id}")),
            }]);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Claims with `status` (all when `None`), newest first.
    pub async fn claims(&self, status: Option<&str>) -> Result<Vec<Claim>> {
        let sql = format!(
            "SELECT {CLAIM_COLUMNS} FROM claims WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT 1000"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(status).fetch_all(pool).await?))
    }

    /// Records an operator's decision on an open claim (`accepted` or `rejected`); false when there
    /// is no open claim with that id.
    pub async fn decide_claim(&self, id: i64, status: &str, actor: &str) -> Result<bool> {
        let now = Utc::now();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<(String, i64)> = sqlx::query_as(
                "UPDATE claims SET status = $1, decided_by = $2, decided_at = $3 \
                 WHERE id = $4 AND status = 'open' RETURNING record_kind, record_id",
            )
            .bind(status)
            .bind(actor)
            .bind(now.timestamp())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((kind, record_id)) = row else {
                return Ok(false);
            };
            crate::audit::append_audit!(tx, [crate::AuditEntry {
                actor: actor.to_string(),
                action: format!("claim_{status}"),
                kind: kind.to_string(),
                record_id: Some(record_id),
                detail: Some(format!("claim #{id}")),
            }]);
            tx.commit().await?;
            Ok(true)
        })
    }
}
