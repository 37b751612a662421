//! Challenges (揭榜挂帅) and open application scenarios as stored: the row, its timeline, and the
//! writes that create, edit and move it. Every write is one transaction that ends with its audit row
//! on the hash chain (and its notifications); a change of the challenge names the version it saw,
//! so of two concurrent changes one wins and the other is refused. Which moves are allowed is not
//! decided here: the engine checks the workflow definition first.

use crate::audit::{append_audit, AuditEntry};
use crate::notices::NewNotice;
use crate::{dispatch, dispatch_write, Result, Store, WriteTx};

/// A challenge or scenario as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ChallengeRow {
    pub id: i64,
    /// `challenge` or `scenario`.
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub demand_id: Option<i64>,
    pub poster_org: i64,
    /// `enterprise` (企业发榜) or `government` (政府发榜).
    pub track: String,
    pub end_user_org: Option<i64>,
    pub budget_fen: i64,
    pub matching_fen: i64,
    /// Applications close at the end of this day (YYYY-MM-DD, Beijing time).
    pub deadline: Option<String>,
    /// `public` or `registered`.
    pub visibility: String,
    pub winners_max: i64,
    pub blind: i64,
    pub notice_days: i64,
    /// JSON: target metrics, market targets, IP terms, scoring form, the scenario's offer.
    pub detail: String,
    pub stage: String,
    pub version: i64,
    pub created_by: i64,
    pub created_at: i64,
    pub stage_at: i64,
    pub notice_from: Option<i64>,
    /// JSON: the end user's final measurements.
    pub acceptance: Option<String>,
}

pub(crate) const COLUMNS: &str = "id, kind, title, summary, demand_id, poster_org, track, \
    end_user_org, budget_fen, matching_fen, deadline, visibility, winners_max, blind, notice_days, \
    detail, stage, version, created_by, created_at, stage_at, notice_from, acceptance";

/// The fields a poster or operator sets (creating, or editing before publication).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeFields {
    pub title: String,
    pub summary: String,
    pub demand_id: Option<i64>,
    pub end_user_org: Option<i64>,
    pub budget_fen: i64,
    pub matching_fen: i64,
    pub deadline: Option<String>,
    pub visibility: String,
    pub winners_max: i64,
    pub blind: bool,
    pub notice_days: i64,
    pub detail: String,
}

/// One event of a challenge's timeline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ChallengeEventRow {
    pub id: i64,
    pub challenge_id: i64,
    pub at: i64,
    pub actor_user: Option<i64>,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub note: String,
}

/// A stage move to write.
#[derive(Debug, Clone)]
pub struct ChallengeMove {
    pub challenge_id: i64,
    pub from: String,
    pub to: String,
    pub version: i64,
    pub actor_user: i64,
    pub actor: String,
    pub note: String,
    /// The notice starts now (the move to `notice`).
    pub start_notice: bool,
    /// Winners named with the move: these applications become `winner`, the other submitted ones
    /// `not_selected`. `Some(vec![])` clears every result (back to review).
    pub winners: Option<Vec<i64>>,
    /// The end user's final measurements (the move to `accepted`).
    pub acceptance: Option<String>,
    pub notify: Vec<NewNotice>,
}

/// Who reads a list of challenges.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChallengeReader {
    pub signed_in: bool,
    pub operator: bool,
    pub org: Option<i64>,
}

/// Whether a write took, and if not why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Done; the id of what was created (or of what was changed).
    Done(i64),
    /// The version seen is not the current one.
    Stale,
    /// The challenge is (no longer) in a stage that allows this; its stage now.
    Stage(String),
    /// Nothing with that id (or it does not belong to this challenge).
    Missing,
}

/// Locks the challenge row (PostgreSQL) and reads its stage, inside a write transaction.
macro_rules! lock_stage {
    ($tx:expr, $id:expr) => {{
        let s: Option<String> = sqlx::query_scalar(
            "UPDATE challenges SET version = version WHERE id = $1 RETURNING stage",
        )
        .bind($id)
        .fetch_optional(&mut *$tx)
        .await?;
        s
    }};
}

impl Store {
    /// Creates a challenge or scenario in `stage` (the workflow's initial one); its id.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_challenge(
        &self,
        kind: &str,
        track: &str,
        poster_org: i64,
        f: &ChallengeFields,
        stage: &str,
        actor_user: i64,
        actor: &str,
    ) -> Result<i64> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO challenges (kind, title, summary, demand_id, poster_org, track, end_user_org, \
                 budget_fen, matching_fen, deadline, visibility, winners_max, blind, notice_days, detail, \
                 stage, created_by, created_at, stage_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) \
                 RETURNING id",
            )
            .bind(kind).bind(&f.title).bind(&f.summary).bind(f.demand_id).bind(poster_org).bind(track)
            .bind(f.end_user_org).bind(f.budget_fen).bind(f.matching_fen).bind(&f.deadline)
            .bind(&f.visibility).bind(f.winners_max).bind(i64::from(f.blind)).bind(f.notice_days)
            .bind(&f.detail).bind(stage).bind(actor_user).bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO challenge_events (challenge_id, at, actor_user, from_stage, to_stage, note) \
                 VALUES ($1, $2, $3, NULL, $4, '')",
            )
            .bind(id).bind(now).bind(actor_user).bind(stage)
            .execute(&mut *tx).await?;
            append_audit!(tx, [AuditEntry::new(actor, &format!("{kind}_create"), kind, Some(id), &f.title)]);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Replaces the fields of a challenge still in one of `stages`, at `version`.
    pub async fn edit_challenge(
        &self,
        id: i64,
        version: i64,
        stages: &[&str],
        f: &ChallengeFields,
        actor: &str,
    ) -> Result<Written> {
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let Some(stage) = lock_stage!(tx, id) else { return Ok(Written::Missing) };
            if !stages.contains(&stage.as_str()) {
                return Ok(Written::Stage(stage));
            }
            let n = sqlx::query(
                "UPDATE challenges SET title = $1, summary = $2, demand_id = $3, end_user_org = $4, \
                 budget_fen = $5, matching_fen = $6, deadline = $7, visibility = $8, winners_max = $9, \
                 blind = $10, notice_days = $11, detail = $12, version = version + 1 \
                 WHERE id = $13 AND version = $14",
            )
            .bind(&f.title).bind(&f.summary).bind(f.demand_id).bind(f.end_user_org).bind(f.budget_fen)
            .bind(f.matching_fen).bind(&f.deadline).bind(&f.visibility).bind(f.winners_max)
            .bind(i64::from(f.blind)).bind(f.notice_days).bind(&f.detail).bind(id).bind(version)
            .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Ok(Written::Stale);
            }
            append_audit!(tx, [AuditEntry::new(actor, "challenge_edit", "challenge", Some(id), &f.title)]);
            tx.commit().await?;
            Ok(Written::Done(id))
        })
    }

    /// Moves a challenge from `from` to `to` at `version`, with its event, results, notifications and
    /// audit row, or not at all.
    pub async fn move_challenge(&self, m: &ChallengeMove) -> Result<Written> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "UPDATE challenges SET stage = $1, stage_at = $2, version = version + 1, \
                 notice_from = CASE WHEN $3 = 1 THEN $2 ELSE notice_from END, \
                 acceptance = COALESCE($4, acceptance) \
                 WHERE id = $5 AND stage = $6 AND version = $7",
            )
            .bind(&m.to).bind(now).bind(i64::from(m.start_notice)).bind(&m.acceptance)
            .bind(m.challenge_id).bind(&m.from).bind(m.version)
            .execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Ok(Written::Stale);
            }
            if let Some(winners) = &m.winners {
                sqlx::query("UPDATE applications SET result = NULL WHERE challenge_id = $1 AND result IN ('winner', 'not_selected')")
                    .bind(m.challenge_id).execute(&mut *tx).await?;
                if !winners.is_empty() {
                    sqlx::query("UPDATE applications SET result = 'not_selected' WHERE challenge_id = $1 AND status = 'submitted' AND result IS NULL")
                        .bind(m.challenge_id).execute(&mut *tx).await?;
                    for w in winners {
                        sqlx::query("UPDATE applications SET result = 'winner' WHERE id = $1 AND challenge_id = $2")
                            .bind(w).bind(m.challenge_id).execute(&mut *tx).await?;
                    }
                }
            }
            sqlx::query(
                "INSERT INTO challenge_events (challenge_id, at, actor_user, from_stage, to_stage, note) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(m.challenge_id).bind(now).bind(m.actor_user).bind(&m.from).bind(&m.to).bind(&m.note)
            .execute(&mut *tx).await?;
            crate::notices::insert_challenge_notices!(tx, now, m.challenge_id, Some(&m.to), m.notify);
            let detail = if m.note.is_empty() {
                format!("{} → {}", m.from, m.to)
            } else {
                format!("{} → {}: {}", m.from, m.to, m.note)
            };
            append_audit!(tx, [AuditEntry::new(&m.actor, "challenge_move", "challenge", Some(m.challenge_id), &detail)]);
            tx.commit().await?;
            Ok(Written::Done(m.challenge_id))
        })
    }

    pub async fn challenge(&self, id: i64) -> Result<Option<ChallengeRow>> {
        let sql = format!("SELECT {COLUMNS} FROM challenges WHERE id = $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// The challenges (or scenarios) a reader may see, most recently moved first, without their
    /// detail (a list shows summaries): operators every one; others the published ones — public, or
    /// registered ones when signed in — and their own organization's drafts. `stages` empty: any.
    pub async fn visible_challenges(
        &self,
        kind: &str,
        stages: &[&str],
        reader: ChallengeReader,
        limit: i64,
    ) -> Result<Vec<ChallengeRow>> {
        let list = stages.join(",");
        let cols = COLUMNS
            .replace("detail,", "'{}' AS detail,")
            .replace("acceptance", "NULL AS acceptance");
        let sql = format!(
            "SELECT {cols} FROM challenges WHERE kind = $1 \
             AND ($2 = '' OR ',' || $2 || ',' LIKE '%,' || stage || ',%') \
             AND ($3 = 1 \
                  OR (stage NOT IN ('draft', 'refining') AND (visibility = 'public' OR $4 = 1)) \
                  OR poster_org = $5 OR end_user_org = $5) \
             ORDER BY stage_at DESC, id DESC LIMIT $6"
        );
        Ok(dispatch!(self, pool => sqlx::query_as(&sql)
            .bind(kind)
            .bind(&list)
            .bind(i64::from(reader.operator))
            .bind(i64::from(reader.signed_in))
            .bind(reader.org.unwrap_or(-1))
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }

    /// How many challenges an organization posted since `since` (Unix seconds).
    pub async fn challenges_posted_since(&self, org: i64, since: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM challenges WHERE poster_org = $1 AND created_at >= $2";
        Ok(
            dispatch!(self, pool => sqlx::query_scalar(sql).bind(org).bind(since).fetch_one(pool).await?),
        )
    }

    pub async fn challenge_events(&self, id: i64) -> Result<Vec<ChallengeEventRow>> {
        let sql = "SELECT id, challenge_id, at, actor_user, from_stage, to_stage, note \
                   FROM challenge_events WHERE challenge_id = $1 ORDER BY id";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await?))
    }
}
