//! Notifications: the in-app inbox, and the deliveries beyond it (e-mail, an organization's
//! webhook) that a background worker sends with retries. A notification stores facts (the event,
//! the engagement, the stages), never text: what it says is rendered for its reader, with the
//! reader's rights, when it is read or sent.

use crate::{dispatch, dispatch_write, Result, Store};

/// A notification to write with a move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub user_id: i64,
    /// `opened`, `moved`, `reminder`, `escalated`, `broker_assigned`, `nda_signed` …
    pub event: String,
    /// Deliveries beyond the inbox: (`email` | `webhook`, address or URL).
    pub deliveries: Vec<(String, String)>,
}

/// A notification as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct NoticeRow {
    pub id: i64,
    pub user_id: i64,
    pub at: i64,
    pub event: String,
    pub engagement_id: Option<i64>,
    pub from_stage: Option<String>,
    pub to_stage: Option<String>,
    pub read_at: Option<i64>,
    /// The challenge or scenario it concerns (challenge events).
    pub challenge_id: Option<i64>,
    /// The equipment booking it concerns (booking events).
    pub booking_id: Option<i64>,
    /// The PoC application it concerns (PoC events).
    pub poc_application_id: Option<i64>,
}

/// A delivery waiting to be sent, with its notification.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub channel: String,
    pub target: String,
    pub attempts: i64,
    pub notification_id: i64,
    pub user_id: i64,
    pub at: i64,
    pub event: String,
    pub engagement_id: Option<i64>,
    pub from_stage: Option<String>,
    pub to_stage: Option<String>,
    pub challenge_id: Option<i64>,
    pub booking_id: Option<i64>,
    pub poc_application_id: Option<i64>,
}

/// A delivery is given up after this many failed attempts.
pub const MAX_ATTEMPTS: i64 = 6;

/// Writes notifications (and their deliveries) inside a write transaction.
macro_rules! insert_notices {
    ($tx:expr, $now:expr, $engagement:expr, $from:expr, $to:expr, $notices:expr) => {
        for n in $notices.iter() {
            let nid: i64 = sqlx::query_scalar(
                "INSERT INTO notifications (user_id, at, event, engagement_id, from_stage, to_stage) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(n.user_id)
            .bind($now)
            .bind(&n.event)
            .bind($engagement)
            .bind(&$from)
            .bind(&$to)
            .fetch_one(&mut *$tx)
            .await?;
            for (channel, target) in &n.deliveries {
                sqlx::query(
                    "INSERT INTO deliveries (notification_id, channel, target, next_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(nid)
                .bind(channel)
                .bind(target)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            }
        }
    };
}
pub(crate) use insert_notices;

/// Writes notifications about a challenge (and their deliveries) inside a write transaction.
macro_rules! insert_challenge_notices {
    ($tx:expr, $now:expr, $challenge:expr, $to:expr, $notices:expr) => {
        for n in $notices.iter() {
            let nid: i64 = sqlx::query_scalar(
                "INSERT INTO notifications (user_id, at, event, challenge_id, to_stage) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(n.user_id)
            .bind($now)
            .bind(&n.event)
            .bind($challenge)
            .bind($to)
            .fetch_one(&mut *$tx)
            .await?;
            for (channel, target) in &n.deliveries {
                sqlx::query(
                    "INSERT INTO deliveries (notification_id, channel, target, next_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(nid)
                .bind(channel)
                .bind(target)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            }
        }
    };
}
pub(crate) use insert_challenge_notices;

const NOTICE_COLUMNS: &str =
    "id, user_id, at, event, engagement_id, from_stage, to_stage, read_at, challenge_id, booking_id, poc_application_id";

impl Store {
    /// A user's newest notifications, at most `limit`.
    pub async fn inbox(&self, user_id: i64, limit: i64) -> Result<Vec<NoticeRow>> {
        let sql = format!(
            "SELECT {NOTICE_COLUMNS} FROM notifications WHERE user_id = $1 ORDER BY id DESC LIMIT $2"
        );
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(user_id).bind(limit).fetch_all(pool).await?),
        )
    }

    /// How many of a user's notifications are unread.
    pub async fn unread(&self, user_id: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL";
        Ok(dispatch!(self, pool => sqlx::query_scalar(sql).bind(user_id).fetch_one(pool).await?))
    }

    /// Marks a user's notifications read: one (`Some(id)`) or all; how many changed.
    pub async fn mark_read(&self, user_id: i64, id: Option<i64>) -> Result<u64> {
        let sql = "UPDATE notifications SET read_at = $1 \
                   WHERE user_id = $2 AND read_at IS NULL AND ($3 IS NULL OR id = $3)";
        let now = self.now_ts();
        Ok(dispatch_write!(self, pool => sqlx::query(sql)
            .bind(now)
            .bind(user_id)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()))
    }

    /// Deliveries due at `now`, oldest first, at most `limit`.
    pub async fn due_deliveries(&self, now: i64, limit: i64) -> Result<Vec<DeliveryRow>> {
        let sql = "SELECT d.id, d.channel, d.target, d.attempts, n.id AS notification_id, n.user_id, n.at, \
                   n.event, n.engagement_id, n.from_stage, n.to_stage, n.challenge_id, n.booking_id, n.poc_application_id \
                   FROM deliveries d JOIN notifications n ON n.id = d.notification_id \
                   WHERE d.status = 'pending' AND d.next_at <= $1 ORDER BY d.next_at, d.id LIMIT $2";
        Ok(
            dispatch!(self, pool => sqlx::query_as(sql).bind(now).bind(limit).fetch_all(pool).await?),
        )
    }

    /// Records a delivery's attempt: sent, or failed (retried later with a growing delay, given up
    /// after [`MAX_ATTEMPTS`]).
    pub async fn delivery_attempted(&self, id: i64, error: Option<&str>) -> Result<()> {
        let now = self.now_ts();
        let sql = "UPDATE deliveries SET attempts = attempts + 1, last_error = $1, \
                   status = CASE WHEN $1 IS NULL THEN 'sent' WHEN attempts + 1 >= $2 THEN 'failed' ELSE 'pending' END, \
                   next_at = $3 + 30 * (attempts + 1) * (attempts + 1) WHERE id = $4";
        dispatch_write!(self, pool => sqlx::query(sql)
            .bind(error)
            .bind(MAX_ATTEMPTS)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?.rows_affected());
        Ok(())
    }

    /// Deliveries by status (`pending`, `sent`, `failed`): how many of each.
    pub async fn delivery_counts(&self) -> Result<Vec<(String, i64)>> {
        let sql = "SELECT status, COUNT(*) FROM deliveries GROUP BY status ORDER BY status";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// An organization's webhook URL, if it set one.
    pub async fn org_webhook(&self, org_id: i64) -> Result<Option<String>> {
        let sql = "SELECT webhook_url FROM org_channels WHERE org_id = $1";
        let v: Option<Option<String>> = dispatch!(self, pool => sqlx::query_scalar(sql).bind(org_id).fetch_optional(pool).await?);
        Ok(v.flatten())
    }

    /// Sets (or with `None` clears) an organization's webhook URL.
    pub async fn set_org_webhook(&self, org_id: i64, url: Option<&str>) -> Result<()> {
        let sql = "INSERT INTO org_channels (org_id, webhook_url, updated_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (org_id) DO UPDATE SET webhook_url = excluded.webhook_url, updated_at = excluded.updated_at";
        dispatch_write!(self, pool => sqlx::query(sql)
            .bind(org_id)
            .bind(url)
            .bind(self.now_ts())
            .execute(pool)
            .await?.rows_affected());
        Ok(())
    }
}
