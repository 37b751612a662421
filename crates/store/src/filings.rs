//! Patent filings followed on the IP fast track, as stored: the application and its stage, moved
//! through `data/workflows/ip_filing.toml` (the engine checks the move) with the date each stage was
//! reached, an event per move and its audit row.

use crate::audit::{append_audit, AuditEntry};
use crate::{dispatch, dispatch_write, Result, Store, WriteTx, Written};

/// A filing as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct FilingRow {
    pub id: i64,
    pub application_no: String,
    /// `invention`, `utility_model`, `design`.
    pub kind: String,
    /// IPC symbols separated by `;`.
    pub ipc: String,
    pub title: String,
    pub outcome_id: Option<i64>,
    pub applicant_org: Option<i64>,
    pub filed_on: String,
    pub stage: String,
    pub stage_on: String,
    /// It went through the fast track (reached `fast_track`).
    pub fast_track: i64,
    pub granted_on: Option<String>,
    pub claims: i64,
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, application_no, kind, ipc, title, outcome_id, applicant_org, filed_on, \
    stage, stage_on, fast_track, granted_on, claims, version, created_by, created_at";

/// A filing to record.
#[derive(Debug, Clone)]
pub struct NewFiling {
    pub application_no: String,
    pub kind: String,
    pub ipc: String,
    pub title: String,
    pub outcome_id: Option<i64>,
    pub applicant_org: Option<i64>,
    pub filed_on: String,
    pub claims: i64,
    pub created_by: Option<i64>,
}

/// One stage of a filing's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct FilingEventRow {
    pub filing_id: i64,
    pub on_date: String,
    pub from_stage: Option<String>,
    pub to_stage: String,
}

impl Store {
    /// Records a filing at stage `filed`; `None` when its applicant recorded that number already.
    pub async fn add_filing(&self, f: &NewFiling, actor: &str) -> Result<Option<i64>> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let dup: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM ip_filings WHERE application_no = $1 AND applicant_org = $2",
            )
            .bind(&f.application_no).bind(f.applicant_org).fetch_optional(&mut *tx).await?;
            if dup.is_some() {
                return Ok(None);
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO ip_filings (application_no, kind, ipc, title, outcome_id, applicant_org, filed_on, \
                 stage, stage_on, claims, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'filed', $7, $8, $9, $10) RETURNING id",
            )
            .bind(&f.application_no).bind(&f.kind).bind(&f.ipc).bind(&f.title).bind(f.outcome_id)
            .bind(f.applicant_org).bind(&f.filed_on).bind(f.claims).bind(f.created_by).bind(now)
            .fetch_one(&mut *tx).await?;
            sqlx::query("INSERT INTO ip_filing_events (filing_id, on_date, from_stage, to_stage, actor_user, at) VALUES ($1, $2, NULL, 'filed', $3, $4)")
                .bind(id).bind(&f.filed_on).bind(f.created_by).bind(now).execute(&mut *tx).await?;
            append_audit!(tx, [AuditEntry::new(actor, "ip_filing_add", "ip_filing", Some(id), &f.application_no)]);
            tx.commit().await?;
            Ok(Some(id))
        })
    }

    /// Moves a filing from `from` to `to` on `on_date` at `version`.
    #[allow(clippy::too_many_arguments)]
    pub async fn move_filing(
        &self,
        id: i64,
        from: &str,
        to: &str,
        version: i64,
        on_date: &str,
        user: Option<i64>,
        actor: &str,
    ) -> Result<Written> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "UPDATE ip_filings SET stage = $1, stage_on = $2, version = version + 1, \
                 fast_track = CASE WHEN $1 = 'fast_track' THEN 1 ELSE fast_track END, \
                 granted_on = CASE WHEN $1 = 'granted' THEN $2 ELSE granted_on END \
                 WHERE id = $3 AND stage = $4 AND version = $5",
            )
            .bind(to).bind(on_date).bind(id).bind(from).bind(version)
            .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Ok(Written::Stale);
            }
            sqlx::query("INSERT INTO ip_filing_events (filing_id, on_date, from_stage, to_stage, actor_user, at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id).bind(on_date).bind(from).bind(to).bind(user).bind(now).execute(&mut *tx).await?;
            append_audit!(tx, [AuditEntry::new(actor, "ip_filing_move", "ip_filing", Some(id), &format!("{from} → {to} on {on_date}"))]);
            tx.commit().await?;
            Ok(Written::Done(id))
        })
    }

    pub async fn filing(&self, id: i64) -> Result<Option<FilingRow>> {
        let sql = format!("SELECT {COLUMNS} FROM ip_filings WHERE id = $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// Filings of one applicant organization, or (`None`) every filing; newest first.
    pub async fn filings(&self, org: Option<i64>) -> Result<Vec<FilingRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM ip_filings WHERE ($1 IS NULL OR applicant_org = $1) ORDER BY id DESC LIMIT 5000"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(org).fetch_all(pool).await?))
    }

    /// How many filings an organization recorded since `since` (Unix seconds).
    pub async fn filings_recorded_since(&self, org: i64, since: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM ip_filings WHERE applicant_org = $1 AND created_at >= $2";
        Ok(
            dispatch!(self, pool => sqlx::query_scalar(sql).bind(org).bind(since).fetch_one(pool).await?),
        )
    }

    /// The filings linked to an outcome.
    pub async fn filings_of_outcome(&self, outcome: i64) -> Result<Vec<FilingRow>> {
        let sql = format!("SELECT {COLUMNS} FROM ip_filings WHERE outcome_id = $1 ORDER BY id");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(outcome).fetch_all(pool).await?))
    }

    pub async fn filing_events(&self, id: i64) -> Result<Vec<FilingEventRow>> {
        let sql = "SELECT filing_id, on_date, from_stage, to_stage FROM ip_filing_events WHERE filing_id = $1 ORDER BY id";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await?))
    }
}
