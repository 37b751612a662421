//! PoC seeds as stored: the outcomes officials selected (with the score they had), and a selected
//! seed's applications to PoC centres (sent → accepted | declined, or withdrawn). Each write is one
//! transaction with its audit row and notices.

use crate::audit::{append_audit, AuditEntry};
use crate::notices::NewNotice;
use crate::{dispatch, dispatch_write, Result, Store, WriteTx, Written};

/// A selected seed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct SeedRow {
    pub outcome_id: i64,
    pub selected_by: i64,
    pub selected_at: i64,
    pub note: String,
    /// JSON: the score and its parts when selected.
    pub snapshot: String,
}

/// An application of a seed to a PoC centre.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PocApplicationRow {
    pub id: i64,
    pub outcome_id: i64,
    pub platform_id: i64,
    /// `sent`, `accepted`, `declined`, `withdrawn`.
    pub status: String,
    pub note: String,
    pub answer: String,
    pub sent_by: i64,
    pub sent_at: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub version: i64,
}

const APP_COLUMNS: &str = "id, outcome_id, platform_id, status, note, answer, sent_by, sent_at, \
    decided_by, decided_at, version";

macro_rules! poc_notices {
    ($tx:expr, $now:expr, $id:expr, $to:expr, $notices:expr) => {
        for n in $notices.iter() {
            let nid: i64 = sqlx::query_scalar(
                "INSERT INTO notifications (user_id, at, event, poc_application_id, to_stage) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(n.user_id).bind($now).bind(&n.event).bind($id).bind($to)
            .fetch_one(&mut *$tx)
            .await?;
            for (channel, target) in &n.deliveries {
                sqlx::query("INSERT INTO deliveries (notification_id, channel, target, next_at) VALUES ($1, $2, $3, $4)")
                    .bind(nid).bind(channel).bind(target).bind($now)
                    .execute(&mut *$tx).await?;
            }
        }
    };
}

impl Store {
    /// Marks an outcome a selected seed (again: the note and snapshot are replaced).
    pub async fn select_seed(
        &self,
        outcome: i64,
        user: i64,
        note: &str,
        snapshot: &str,
        actor: &str,
    ) -> Result<()> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM poc_seeds WHERE outcome_id = $1").bind(outcome).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO poc_seeds (outcome_id, selected_by, selected_at, note, snapshot) VALUES ($1, $2, $3, $4, $5)")
                .bind(outcome).bind(user).bind(now).bind(note).bind(snapshot)
                .execute(&mut *tx).await?;
            append_audit!(tx, [AuditEntry::new(actor, "poc_seed_select", "outcome", Some(outcome), note)]);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Takes an outcome off the selected seeds; whether it was one.
    pub async fn unselect_seed(&self, outcome: i64, actor: &str) -> Result<bool> {
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("DELETE FROM poc_seeds WHERE outcome_id = $1").bind(outcome).execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                append_audit!(tx, [AuditEntry::new(actor, "poc_seed_unselect", "outcome", Some(outcome), "")]);
            }
            tx.commit().await?;
            Ok(n > 0)
        })
    }

    pub async fn seeds(&self) -> Result<Vec<SeedRow>> {
        let sql = "SELECT outcome_id, selected_by, selected_at, note, snapshot FROM poc_seeds ORDER BY selected_at DESC LIMIT 5000";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// Sends a seed to a PoC centre; `None` when an open application to that centre exists.
    pub async fn send_poc_application(
        &self,
        outcome: i64,
        platform: i64,
        note: &str,
        user: i64,
        actor: &str,
        notify: &[NewNotice],
    ) -> Result<Option<i64>> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let open: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM poc_applications WHERE outcome_id = $1 AND platform_id = $2 AND status IN ('sent', 'accepted')",
            )
            .bind(outcome).bind(platform).fetch_optional(&mut *tx).await?;
            if open.is_some() {
                return Ok(None);
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO poc_applications (outcome_id, platform_id, status, note, sent_by, sent_at) \
                 VALUES ($1, $2, 'sent', $3, $4, $5) RETURNING id",
            )
            .bind(outcome).bind(platform).bind(note).bind(user).bind(now)
            .fetch_one(&mut *tx).await?;
            poc_notices!(tx, now, id, "sent", notify);
            append_audit!(tx, [AuditEntry::new(actor, "poc_application_send", "poc_application", Some(id), &format!("outcome {outcome} → platform {platform}"))]);
            tx.commit().await?;
            Ok(Some(id))
        })
    }

    /// The centre's answer (or the sender's withdrawal) at `version`.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_poc_application(
        &self,
        id: i64,
        version: i64,
        to: &str,
        answer: &str,
        user: i64,
        actor: &str,
        notify: &[NewNotice],
    ) -> Result<Written> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "UPDATE poc_applications SET status = $1, answer = $2, decided_by = $3, decided_at = $4, \
                 version = version + 1 WHERE id = $5 AND version = $6 AND status = 'sent'",
            )
            .bind(to).bind(answer).bind(user).bind(now).bind(id).bind(version)
            .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Ok(Written::Stale);
            }
            poc_notices!(tx, now, id, to, notify);
            append_audit!(tx, [AuditEntry::new(actor, "poc_application_decide", "poc_application", Some(id), &format!("sent → {to}: {answer}"))]);
            tx.commit().await?;
            Ok(Written::Done(id))
        })
    }

    /// How many applications a user sent since `since` (Unix seconds).
    pub async fn poc_applications_sent_since(&self, user: i64, since: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM poc_applications WHERE sent_by = $1 AND sent_at >= $2";
        Ok(
            dispatch!(self, pool => sqlx::query_scalar(sql).bind(user).bind(since).fetch_one(pool).await?),
        )
    }

    pub async fn poc_application(&self, id: i64) -> Result<Option<PocApplicationRow>> {
        let sql = format!("SELECT {APP_COLUMNS} FROM poc_applications WHERE id = $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// Applications, newest first: to one centre, of one outcome, or all (`None`, `None`).
    pub async fn poc_applications(
        &self,
        platform: Option<i64>,
        outcome: Option<i64>,
    ) -> Result<Vec<PocApplicationRow>> {
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM poc_applications WHERE ($1 IS NULL OR platform_id = $1) \
             AND ($2 IS NULL OR outcome_id = $2) ORDER BY id DESC LIMIT 2000"
        );
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(platform).bind(outcome).fetch_all(pool).await?),
        )
    }
}
