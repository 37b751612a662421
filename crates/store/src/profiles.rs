//! Enterprise profiles (confidential business facts, kept as the JSON the rules crate reads) and
//! credit evaluations (append-only: a grade is never rewritten, only superseded by a newer one).

use crate::pass::{CreditPass, EveryProfilePass, ProfilePass};
use crate::{dispatch, dispatch_write, Result, Store, WriteTx};

/// An enterprise's profile as stored: the JSON document and where it came from.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProfileRow {
    pub uscc: String,
    pub name: String,
    /// The profile as JSON (`docs/data-formats.md`, enterprise profiles).
    pub profile: String,
    /// The file or form it came from.
    pub source: String,
    pub updated_by: String,
    pub updated_at: i64,
}

/// One credit evaluation with everything needed to reproduce it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CreditEvaluationRow {
    /// Set by the store.
    pub id: i64,
    pub uscc: String,
    pub scheme: String,
    pub version: String,
    /// Fingerprint of the scorecard text the score came from.
    pub card_fingerprint: String,
    pub as_of: String,
    /// The inputs as JSON (profile and extra tiers).
    pub inputs: String,
    /// The result as JSON.
    pub result: String,
    pub grade: Option<String>,
    pub score: f64,
    pub created_by: String,
    pub created_at: i64,
}

/// An assessor's judgments for one enterprise: assessor key → value (points, or 1/0).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AssessorRow {
    pub uscc: String,
    /// JSON object.
    pub inputs: String,
    pub updated_by: String,
    pub updated_at: i64,
}

/// A profiled enterprise on a lender's list: its name and its newest evaluation, if any.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CreditRosterRow {
    pub uscc: String,
    pub name: String,
    pub evaluation_id: Option<i64>,
    pub grade: Option<String>,
    pub score: Option<f64>,
    /// The newest evaluation's result JSON.
    pub result: Option<String>,
    pub created_at: Option<i64>,
}

const PROFILE_COLUMNS: &str = "uscc, name, profile, source, updated_by, updated_at";
const EVALUATION_COLUMNS: &str = "id, uscc, scheme, version, card_fingerprint, as_of, inputs, result, grade, score, created_by, created_at";

impl Store {
    /// Inserts or replaces profiles by USCC, all in one transaction.
    pub async fn put_profiles(&self, rows: &[ProfileRow]) -> Result<()> {
        let sql = "INSERT INTO enterprise_profiles (uscc, name, profile, source, updated_by, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (uscc) DO UPDATE SET name = excluded.name, \
                   profile = excluded.profile, source = excluded.source, updated_by = excluded.updated_by, \
                   updated_at = excluded.updated_at";
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for r in rows {
                sqlx::query(sql)
                    .bind(&r.uscc)
                    .bind(&r.name)
                    .bind(&r.profile)
                    .bind(&r.source)
                    .bind(&r.updated_by)
                    .bind(r.updated_at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The profile the pass opens.
    pub async fn profile(&self, pass: &ProfilePass) -> Result<Option<ProfileRow>> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM enterprise_profiles WHERE uscc = $1");
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(pass.uscc()).fetch_optional(pool).await?),
        )
    }

    /// Whether a profile is stored for `uscc` (to refuse judgments on a profile that is not there;
    /// says nothing of what it holds).
    pub async fn has_profile(&self, uscc: &str) -> Result<bool> {
        let sql = "SELECT COUNT(*) FROM enterprise_profiles WHERE uscc = $1";
        let n: i64 =
            dispatch!(self, pool => sqlx::query_scalar(sql).bind(uscc).fetch_one(pool).await?);
        Ok(n > 0)
    }

    /// Every profile, by USCC.
    pub async fn profiles(&self, _pass: &EveryProfilePass) -> Result<Vec<ProfileRow>> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM enterprise_profiles ORDER BY uscc");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// Sets (replaces) an enterprise's assessor inputs.
    pub async fn put_assessor_inputs(&self, r: &AssessorRow) -> Result<()> {
        let sql = "INSERT INTO assessor_inputs (uscc, inputs, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (uscc) DO UPDATE SET inputs = excluded.inputs, \
                   updated_by = excluded.updated_by, updated_at = excluded.updated_at";
        dispatch_write!(self, pool => {
            sqlx::query(sql)
                .bind(&r.uscc)
                .bind(&r.inputs)
                .bind(&r.updated_by)
                .bind(r.updated_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The assessor inputs of the enterprise the pass opens.
    pub async fn assessor_inputs(&self, pass: &ProfilePass) -> Result<Option<AssessorRow>> {
        let sql =
            "SELECT uscc, inputs, updated_by, updated_at FROM assessor_inputs WHERE uscc = $1";
        Ok(
            dispatch!(self, pool => sqlx::query_as(sql).bind(pass.uscc()).fetch_optional(pool).await?),
        )
    }

    /// Every enterprise's assessor inputs.
    pub async fn all_assessor_inputs(&self, _pass: &EveryProfilePass) -> Result<Vec<AssessorRow>> {
        let sql = "SELECT uscc, inputs, updated_by, updated_at FROM assessor_inputs ORDER BY uscc";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// Appends an evaluation; returns its id.
    pub async fn add_credit_evaluation(&self, r: &CreditEvaluationRow) -> Result<i64> {
        let sql = "INSERT INTO credit_evaluations (uscc, scheme, version, card_fingerprint, as_of, inputs, \
                   result, grade, score, created_by, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
        Ok(dispatch_write!(self, pool => sqlx::query_scalar(sql)
            .bind(&r.uscc)
            .bind(&r.scheme)
            .bind(&r.version)
            .bind(&r.card_fingerprint)
            .bind(&r.as_of)
            .bind(&r.inputs)
            .bind(&r.result)
            .bind(&r.grade)
            .bind(r.score)
            .bind(&r.created_by)
            .bind(r.created_at)
            .fetch_one(pool)
            .await?))
    }

    /// The enterprise an evaluation is of (to decide which pass to ask for).
    pub async fn credit_evaluation_of(&self, id: i64) -> Result<Option<String>> {
        let sql = "SELECT uscc FROM credit_evaluations WHERE id = $1";
        Ok(dispatch!(self, pool => sqlx::query_scalar(sql).bind(id).fetch_optional(pool).await?))
    }

    /// One evaluation, when the pass opens its enterprise (`None` otherwise, as for a missing id).
    pub async fn credit_evaluation(
        &self,
        id: i64,
        pass: &CreditPass,
    ) -> Result<Option<CreditEvaluationRow>> {
        let sql = format!("SELECT {EVALUATION_COLUMNS} FROM credit_evaluations WHERE id = $1");
        let row: Option<CreditEvaluationRow> =
            dispatch!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?);
        Ok(row.filter(|r| pass.opens(&r.uscc)))
    }

    /// The evaluations the pass opens, newest first.
    pub async fn credit_evaluations(&self, pass: &CreditPass) -> Result<Vec<CreditEvaluationRow>> {
        Ok(match pass.uscc() {
            Some(u) => {
                let sql = format!(
                    "SELECT {EVALUATION_COLUMNS} FROM credit_evaluations WHERE uscc = $1 ORDER BY id DESC"
                );
                dispatch!(self, pool => sqlx::query_as(&sql).bind(u).fetch_all(pool).await?)
            }
            None => {
                let sql =
                    format!("SELECT {EVALUATION_COLUMNS} FROM credit_evaluations ORDER BY id DESC");
                dispatch!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?)
            }
        })
    }

    /// The profiled enterprises the pass opens, each with its newest evaluation, by name. Names
    /// are public (the registry shows them); the profiles are not read.
    pub async fn credit_roster(&self, pass: &CreditPass) -> Result<Vec<CreditRosterRow>> {
        let base = "SELECT p.uscc, p.name, e.id AS evaluation_id, e.grade, e.score, e.result, \
                    e.created_at FROM enterprise_profiles p \
                    LEFT JOIN (SELECT uscc, MAX(id) AS id FROM credit_evaluations GROUP BY uscc) n \
                    ON n.uscc = p.uscc LEFT JOIN credit_evaluations e ON e.id = n.id";
        Ok(match pass.uscc() {
            Some(u) => {
                let sql = format!("{base} WHERE p.uscc = $1");
                dispatch!(self, pool => sqlx::query_as(&sql).bind(u).fetch_all(pool).await?)
            }
            None => {
                let sql = format!("{base} ORDER BY p.name, p.uscc");
                dispatch!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?)
            }
        })
    }
}
