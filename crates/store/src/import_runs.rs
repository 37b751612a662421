//! Import runs: what each import of a file did, kept for the record.

use chrono::{DateTime, Utc};
use model::RecordKind;

use crate::{dispatch, dispatch_write, Result, Store};

/// Summary of one import run, kept in `import_runs`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportRun {
    pub kind: RecordKind,
    pub file: String,
    pub file_sha256: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub rejected: i64,
    pub actor: String,
}

impl Store {
    /// Appends a finished import run.
    pub async fn record_import_run(&self, run: &ImportRun) -> Result<()> {
        let sql = "INSERT INTO import_runs (kind, file, file_sha256, started_at, finished_at, \
                   inserted, updated, unchanged, rejected, actor) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        dispatch_write!(self, pool => {
            sqlx::query(sql)
                .bind(run.kind.as_str())
                .bind(&run.file)
                .bind(&run.file_sha256)
                .bind(run.started_at)
                .bind(run.finished_at)
                .bind(run.inserted)
                .bind(run.updated)
                .bind(run.unchanged)
                .bind(run.rejected)
                .bind(&run.actor)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Number of import runs recorded.
    pub async fn import_run_count(&self) -> Result<i64> {
        Ok(dispatch!(self, pool =>
            sqlx::query_scalar("SELECT COUNT(*) FROM import_runs").fetch_one(pool).await?))
    }
}
