//! Engagements (对接) as stored: the row, its hash-chained timeline, and the one write that moves it.
//!
//! Every move — opening included — is one transaction: the row changes only if its version is the one
//! the mover saw (so of two concurrent moves exactly one wins), the event is appended with the hash
//! of the previous one, and whatever the move brings with it (a contract, a placement, an NDA
//! signature, a relevance label, notifications and their deliveries, an audit row) is written with
//! it or not at all. Which moves are allowed is not decided here: the engine checks the workflow
//! definition first.

use sha2::{Digest, Sha256};

use crate::notices::{insert_notices, NewNotice};
use crate::{dispatch, dispatch_write, Result, Store, WriteTx};

/// An engagement as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct EngagementRow {
    pub id: i64,
    /// `transfer` (a technology deal) or `placement` (a researcher serving in an enterprise).
    pub purpose: String,
    pub demand_id: Option<i64>,
    pub item_kind: String,
    pub item_id: i64,
    pub seeker_org: i64,
    pub provider_org: i64,
    pub opened_by: i64,
    /// `seeker` or `provider`.
    pub opener_side: String,
    pub seeker_contact: Option<i64>,
    pub provider_contact: Option<i64>,
    pub broker_user: Option<i64>,
    pub broker_wanted: i64,
    pub expert_id: Option<i64>,
    pub stage: String,
    pub version: i64,
    pub furthest_grade: Option<i64>,
    pub close_reason: Option<String>,
    pub evaluation_kind: Option<String>,
    pub evaluation_org: Option<i64>,
    pub message: String,
    pub created_at: i64,
    pub stage_at: i64,
    pub reminded_at: Option<i64>,
}

const COLUMNS: &str = "id, purpose, demand_id, item_kind, item_id, seeker_org, provider_org, \
    opened_by, opener_side, seeker_contact, provider_contact, broker_user, broker_wanted, expert_id, \
    stage, version, furthest_grade, close_reason, evaluation_kind, evaluation_org, message, created_at, \
    stage_at, reminded_at";

/// One event of an engagement's timeline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct EventRow {
    pub id: i64,
    pub engagement_id: i64,
    pub at: i64,
    pub actor_user: Option<i64>,
    pub actor_party: String,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub reason_code: Option<String>,
    pub note: String,
    /// JSON: what the move recorded besides the stage (evaluation kind, follow-up report …).
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// An engagement to open (in the workflow's initial stage).
#[derive(Debug, Clone)]
pub struct NewEngagement {
    pub purpose: String,
    pub demand_id: Option<i64>,
    pub item_kind: String,
    pub item_id: i64,
    pub seeker_org: i64,
    pub provider_org: i64,
    pub opened_by: i64,
    pub opener_side: String,
    pub broker_wanted: bool,
    pub expert_id: Option<i64>,
    pub stage: String,
    pub message: String,
    /// Who is told (the other side; the broker).
    pub notify: Vec<NewNotice>,
    /// Who opened it, for the audit log.
    pub actor: String,
}

/// A technology contract recorded with the move to `contracted`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ContractRow {
    pub id: i64,
    pub engagement_id: i64,
    pub contract_type: String,
    pub amount_fen: i64,
    pub seller_org: i64,
    pub buyer_org: i64,
    pub ip_ownership: String,
    pub signed_on: String,
    pub registration_no: Option<String>,
    pub registered_on: Option<String>,
    pub buyer_local: i64,
    pub created_at: i64,
}

/// A placement (科技副总 / 产业教授) recorded with the move to `contracted`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct PlacementRow {
    pub engagement_id: i64,
    pub expert_id: i64,
    pub post: String,
    pub start_on: String,
    pub end_on: Option<String>,
    pub days_per_month: i64,
    pub created_at: i64,
}

/// An NDA signature recorded with a move.
#[derive(Debug, Clone)]
pub struct NewSignature {
    pub demand_id: i64,
    pub org_id: i64,
    pub user_id: i64,
    pub text_version: i64,
    pub text_sha256: String,
}

/// One move of an engagement and everything written with it.
#[derive(Debug, Clone, Default)]
pub struct Move {
    pub engagement_id: i64,
    /// The version the mover saw.
    pub version: i64,
    pub from: String,
    pub to: String,
    pub actor_user: Option<i64>,
    pub actor_party: String,
    pub reason_code: Option<String>,
    pub note: String,
    pub detail: serde_json::Value,
    /// The engagement's furthest grade after the move (kept when `None`).
    pub grade: Option<i64>,
    /// The relevance label the move leaves for the pair (demand, item).
    pub label: Option<i64>,
    /// Who acts for the seeker or provider from now on (`(side, user)`).
    pub contact: Option<(String, i64)>,
    pub evaluation: Option<(String, Option<i64>)>,
    pub broker: Option<i64>,
    pub contract: Option<ContractRow>,
    pub placement: Option<PlacementRow>,
    pub signature: Option<NewSignature>,
    pub notify: Vec<NewNotice>,
    /// Who moved it, for the audit log.
    pub actor: String,
}

/// What became of a move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moved {
    /// Written; the engagement's new version.
    Done(i64),
    /// Someone moved it first (the version changed): nothing was written.
    Stale,
}

/// Which engagements a listing reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngagementScope {
    /// Those where this organization is a side.
    Org(i64),
    /// Those assigned to this broker.
    Broker(i64),
    /// Every engagement (operators).
    All,
}

/// The hash of an event: the previous event's hash and this event's content, length-prefixed.
fn event_hash(prev: &str, e: &EventRow) -> String {
    let mut h = Sha256::new();
    let fields: [String; 9] = [
        e.engagement_id.to_string(),
        e.at.to_string(),
        e.actor_user.map(|u| u.to_string()).unwrap_or_default(),
        e.actor_party.clone(),
        e.from_stage.clone().unwrap_or_default(),
        e.to_stage.clone(),
        e.reason_code.clone().unwrap_or_default(),
        e.note.clone(),
        e.detail.clone(),
    ];
    h.update(prev.as_bytes());
    for f in fields {
        h.update((f.len() as u64).to_le_bytes());
        h.update(f.as_bytes());
    }
    format!("{:x}", h.finalize())
}

/// Whether the events (oldest first) form an unbroken hash chain.
pub fn chain_holds(events: &[EventRow]) -> bool {
    let mut prev = String::new();
    for e in events {
        if e.prev_hash != prev || event_hash(&prev, e) != e.hash {
            return false;
        }
        prev = e.hash.clone();
    }
    true
}

macro_rules! append_event {
    ($tx:expr, $e:expr) => {{
        let prev: Option<String> = sqlx::query_scalar(
            "SELECT hash FROM engagement_events WHERE engagement_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind($e.engagement_id)
        .fetch_optional(&mut *$tx)
        .await?;
        let mut e: EventRow = $e;
        e.prev_hash = prev.unwrap_or_default();
        e.hash = event_hash(&e.prev_hash, &e);
        sqlx::query(
            "INSERT INTO engagement_events (engagement_id, at, actor_user, actor_party, from_stage, \
             to_stage, reason_code, note, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(e.engagement_id)
        .bind(e.at)
        .bind(e.actor_user)
        .bind(&e.actor_party)
        .bind(&e.from_stage)
        .bind(&e.to_stage)
        .bind(&e.reason_code)
        .bind(&e.note)
        .bind(&e.detail)
        .bind(&e.prev_hash)
        .bind(&e.hash)
        .execute(&mut *$tx)
        .await?;
    }};
}

macro_rules! audit_row {
    ($tx:expr, $actor:expr, $action:expr, $id:expr, $detail:expr) => {
        crate::audit::append_audit!(
            $tx,
            [crate::AuditEntry {
                actor: ($actor).to_string(),
                action: ($action).to_string(),
                kind: "engagement".into(),
                record_id: Some($id),
                detail: Some(($detail).to_string()),
            }]
        )
    };
}

impl Store {
    /// Opens an engagement (with its first event, its notifications and an audit row); its id.
    pub async fn open_engagement(&self, n: &NewEngagement) -> Result<i64> {
        let now = self.now_ts();
        let (seeker_contact, provider_contact) = if n.opener_side == "seeker" {
            (Some(n.opened_by), None)
        } else {
            (None, Some(n.opened_by))
        };
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO engagements (purpose, demand_id, item_kind, item_id, seeker_org, provider_org, \
                 opened_by, opener_side, seeker_contact, provider_contact, broker_wanted, expert_id, stage, \
                 message, created_at, stage_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
            )
            .bind(&n.purpose)
            .bind(n.demand_id)
            .bind(&n.item_kind)
            .bind(n.item_id)
            .bind(n.seeker_org)
            .bind(n.provider_org)
            .bind(n.opened_by)
            .bind(&n.opener_side)
            .bind(seeker_contact)
            .bind(provider_contact)
            .bind(i64::from(n.broker_wanted))
            .bind(n.expert_id)
            .bind(&n.stage)
            .bind(&n.message)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            append_event!(tx, EventRow {
                id: 0,
                engagement_id: id,
                at: now,
                actor_user: Some(n.opened_by),
                actor_party: n.opener_side.clone(),
                from_stage: None,
                to_stage: n.stage.clone(),
                reason_code: None,
                note: String::new(),
                detail: "{}".into(),
                prev_hash: String::new(),
                hash: String::new(),
            });
            insert_notices!(tx, now, id, None::<String>, Some(n.stage.clone()), &n.notify);
            audit_row!(tx, &n.actor, "engagement_open", id, format!("engagement #{id} opened"));
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Makes one move (see the module's doc): [`Moved::Stale`] when the version is no longer the
    /// one the mover saw.
    pub async fn move_engagement(&self, m: &Move) -> Result<Moved> {
        let now = self.now_ts();
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (contact_side, contact_user) = match &m.contact {
                Some((side, user)) => (Some(side.as_str()), Some(*user)),
                None => (None, None),
            };
            let (eval_kind, eval_org) = match &m.evaluation {
                Some((k, o)) => (Some(k.as_str()), *o),
                None => (None, None),
            };
            let version: Option<i64> = sqlx::query_scalar(
                "UPDATE engagements SET stage = $1, version = version + 1, \
                 stage_at = CASE WHEN stage = $1 THEN stage_at ELSE $2 END, \
                 furthest_grade = COALESCE($3, furthest_grade), \
                 close_reason = COALESCE($4, close_reason), \
                 seeker_contact = CASE WHEN $5 = 'seeker' THEN $6 ELSE seeker_contact END, \
                 provider_contact = CASE WHEN $5 = 'provider' THEN $6 ELSE provider_contact END, \
                 evaluation_kind = COALESCE($7, evaluation_kind), \
                 evaluation_org = COALESCE($8, evaluation_org), \
                 broker_user = COALESCE($9, broker_user), reminded_at = NULL \
                 WHERE id = $10 AND version = $11 AND stage = $12 RETURNING version",
            )
            .bind(&m.to)
            .bind(now)
            .bind(m.grade)
            .bind(&m.reason_code)
            .bind(contact_side)
            .bind(contact_user)
            .bind(eval_kind)
            .bind(eval_org)
            .bind(m.broker)
            .bind(m.engagement_id)
            .bind(m.version)
            .bind(&m.from)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(version) = version else {
                return Ok(Moved::Stale);
            };
            append_event!(tx, EventRow {
                id: 0,
                engagement_id: m.engagement_id,
                at: now,
                actor_user: m.actor_user,
                actor_party: m.actor_party.clone(),
                from_stage: Some(m.from.clone()),
                to_stage: m.to.clone(),
                reason_code: m.reason_code.clone(),
                note: m.note.clone(),
                detail: m.detail.to_string(),
                prev_hash: String::new(),
                hash: String::new(),
            });
            if let Some(c) = &m.contract {
                crate::deals::insert_contract!(tx, c, m.engagement_id, now);
            }
            if let Some(p) = &m.placement {
                crate::deals::insert_placement!(tx, p, m.engagement_id, now);
            }
            if let Some(s) = &m.signature {
                crate::deals::insert_signature!(tx, s, m.engagement_id, now);
            }
            if let Some(grade) = m.label {
                crate::deals::upsert_label!(tx, m.engagement_id, grade, now);
            }
            insert_notices!(tx, now, m.engagement_id, Some(m.from.clone()), Some(m.to.clone()), &m.notify);
            audit_row!(tx, &m.actor, "engagement_move", m.engagement_id,
                format!("engagement #{}: {} → {}", m.engagement_id, m.from, m.to));
            tx.commit().await?;
            Ok(Moved::Done(version))
        })
    }

    /// The open engagement (in one of `open_stages`) on exactly this pair, if any: one indexed
    /// lookup, whatever the organizations' history.
    pub async fn open_engagement_on(
        &self,
        seeker_org: i64,
        provider_org: i64,
        demand_id: Option<i64>,
        item: (&str, i64),
        open_stages: &[&str],
    ) -> Result<Option<i64>> {
        if open_stages.is_empty() {
            return Ok(None);
        }
        let list: Vec<String> = (0..open_stages.len())
            .map(|i| format!("${}", i + 6))
            .collect();
        let sql = format!(
            "SELECT id FROM engagements WHERE seeker_org = $1 AND provider_org = $2 \
             AND ((demand_id IS NULL AND $3 IS NULL) OR demand_id = $3) AND item_kind = $4 AND item_id = $5 \
             AND stage IN ({}) ORDER BY id LIMIT 1",
            list.join(", ")
        );
        dispatch!(self, pool => {
            let mut q = sqlx::query_scalar(&sql)
                .bind(seeker_org)
                .bind(provider_org)
                .bind(demand_id)
                .bind(item.0)
                .bind(item.1);
            for s in open_stages {
                q = q.bind(*s);
            }
            Ok(q.fetch_optional(pool).await?)
        })
    }

    /// How many engagements users of `org` opened since `since` (Unix seconds).
    pub async fn engagements_opened_by_org(&self, org: i64, since: i64) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM engagements WHERE created_at >= $2 AND \
                   ((opener_side = 'seeker' AND seeker_org = $1) OR (opener_side = 'provider' AND provider_org = $1))";
        Ok(
            dispatch!(self, pool => sqlx::query_scalar(sql).bind(org).bind(since).fetch_one(pool).await?),
        )
    }

    pub async fn engagement(&self, id: i64) -> Result<Option<EngagementRow>> {
        let sql = format!("SELECT {COLUMNS} FROM engagements WHERE id = $1");
        Ok(dispatch!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// The engagement's timeline, oldest first.
    pub async fn engagement_events(&self, id: i64) -> Result<Vec<EventRow>> {
        let sql = "SELECT id, engagement_id, at, actor_user, actor_party, from_stage, to_stage, reason_code, \
                   note, detail, prev_hash, hash FROM engagement_events WHERE engagement_id = $1 ORDER BY id";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).bind(id).fetch_all(pool).await?))
    }

    /// The engagements of a scope, most recently moved first, at most `limit`.
    pub async fn engagements(
        &self,
        scope: &EngagementScope,
        limit: i64,
    ) -> Result<Vec<EngagementRow>> {
        let (cond, arg) = match scope {
            EngagementScope::Org(o) => ("seeker_org = $1 OR provider_org = $1", *o),
            EngagementScope::Broker(u) => ("broker_user = $1", *u),
            EngagementScope::All => ("$1 = $1", 0),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM engagements WHERE {cond} ORDER BY stage_at DESC, id DESC LIMIT $2"
        );
        Ok(
            dispatch!(self, pool => sqlx::query_as(&sql).bind(arg).bind(limit).fetch_all(pool).await?),
        )
    }

    /// Engagements in one of `stages` that have not moved since `before` (Unix seconds), oldest first.
    pub async fn engagements_idle(
        &self,
        stages: &[&str],
        before: i64,
        limit: i64,
    ) -> Result<Vec<EngagementRow>> {
        if stages.is_empty() {
            return Ok(vec![]);
        }
        let list: Vec<String> = (0..stages.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM engagements WHERE stage_at < $1 AND stage IN ({}) \
             ORDER BY stage_at, id LIMIT $2",
            list.join(", ")
        );
        dispatch!(self, pool => {
            let mut q = sqlx::query_as(&sql).bind(before).bind(limit);
            for s in stages {
                q = q.bind(*s);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// Records that a reminder about an idle engagement went out at `now` (with its
    /// notifications), unless it moved meanwhile; whether it was recorded.
    pub async fn remind_engagement(
        &self,
        e: &EngagementRow,
        notify: &[NewNotice],
        now: i64,
    ) -> Result<bool> {
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE engagements SET reminded_at = $1 WHERE id = $2 AND version = $3")
                .bind(now)
                .bind(e.id)
                .bind(e.version)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            insert_notices!(tx, now, e.id, Some(e.stage.clone()), Some(e.stage.clone()), notify);
            tx.commit().await?;
            Ok(true)
        })
    }
}
