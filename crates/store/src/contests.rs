//! What happens inside a challenge besides its moves: applications and their consortium members,
//! reviewers, recusals, scores, objections, milestones, evidence files, market records, invitations.
//! Each change is one [`Store::challenge_write`]: the challenge row is locked and its stage checked
//! against the stages the change is allowed in (so a score cannot land after review closed, however
//! the requests interleave), the change is made, and its audit row and notifications are written
//! with it or not at all.

use crate::audit::{append_audit, AuditEntry};
use crate::challenges::Written;
use crate::notices::NewNotice;
use crate::{dispatch, dispatch_write, Result, Store, WriteTx};

/// An application as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ApplicationRow {
    pub id: i64,
    pub challenge_id: i64,
    pub lead_org: i64,
    pub created_by: i64,
    /// `draft`, `submitted`, `withdrawn`.
    pub status: String,
    /// JSON: plan, pledge, team, budget split.
    pub content: String,
    /// SHA-256 of the content as frozen at the deadline (set on submission, renewed by edits).
    pub content_hash: Option<String>,
    /// `winner`, `not_selected`, `stopped` (a horse-race team stopped at a milestone).
    pub result: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
}

const APP_COLUMNS: &str = "id, challenge_id, lead_org, created_by, status, content, content_hash, \
    result, version, created_at, updated_at, submitted_at";

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct MemberRow {
    pub application_id: i64,
    pub org_id: i64,
    pub confirmed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ReviewerRow {
    pub challenge_id: i64,
    pub user_id: i64,
    pub expert_id: i64,
    pub assigned_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ScoreRow {
    pub application_id: i64,
    pub reviewer_user: i64,
    /// JSON: criterion → score.
    pub sheet: String,
    pub comment: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct ObjectionRow {
    pub id: i64,
    pub challenge_id: i64,
    pub application_id: Option<i64>,
    pub by_user: i64,
    pub body: String,
    /// `open`, `upheld`, `dismissed`.
    pub status: String,
    pub resolution: Option<String>,
    pub created_at: i64,
    pub resolved_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct MilestoneRow {
    pub id: i64,
    pub challenge_id: i64,
    pub application_id: i64,
    pub seq: i64,
    pub title: String,
    pub due_on: String,
    pub metric: String,
    pub tranche_fen: i64,
    /// `pending`, `reported`, `accepted`, `rejected`.
    pub status: String,
    pub report: Option<String>,
    pub reported_at: Option<i64>,
    pub decision_note: Option<String>,
    pub decided_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct EvidenceRow {
    pub id: i64,
    pub challenge_id: i64,
    pub application_id: Option<i64>,
    pub milestone_id: Option<i64>,
    pub market_id: Option<i64>,
    pub sha256: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub uploaded_by: i64,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct MarketRow {
    pub id: i64,
    pub challenge_id: i64,
    pub months: i64,
    /// JSON: indicator → value.
    pub figures: String,
    pub note: String,
    pub recorded_by: i64,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct InvitationRow {
    pub challenge_id: i64,
    pub org_id: i64,
    pub item_kind: String,
    pub item_id: i64,
    pub at: i64,
}

/// One change inside a challenge.
#[derive(Debug, Clone)]
pub enum ChallengeOp {
    /// A new application (draft) by `lead_org`, with its consortium members (unconfirmed).
    NewApplication {
        lead_org: i64,
        user: i64,
        content: String,
        members: Vec<i64>,
    },
    /// New content (and members) for an application at `version`; `submit` sets it submitted and
    /// stores `hash`.
    EditApplication {
        id: i64,
        version: i64,
        content: String,
        members: Vec<i64>,
        submit: bool,
        hash: String,
    },
    WithdrawApplication {
        id: i64,
        version: i64,
    },
    ConfirmMember {
        application_id: i64,
        org_id: i64,
        user: i64,
    },
    AssignReviewer {
        user_id: i64,
        expert_id: i64,
        by: i64,
    },
    RemoveReviewer {
        user_id: i64,
    },
    Recuse {
        user_id: i64,
        reason: String,
    },
    Score {
        application_id: i64,
        reviewer: i64,
        sheet: String,
        comment: String,
    },
    Object {
        application_id: Option<i64>,
        by: i64,
        body: String,
    },
    Resolve {
        objection_id: i64,
        status: String,
        resolution: String,
        by: i64,
    },
    /// Replaces a winner's milestones that are still pending.
    SetMilestones {
        application_id: i64,
        list: Vec<(String, String, String, i64)>,
    },
    Report {
        milestone_id: i64,
        report: String,
    },
    /// Accept or reject a reported milestone; `stop` marks the team stopped (horse race).
    Decide {
        milestone_id: i64,
        status: String,
        note: String,
        by: i64,
        stop: bool,
    },
    Market {
        months: i64,
        figures: String,
        note: String,
        by: i64,
    },
    Evidence {
        application_id: Option<i64>,
        milestone_id: Option<i64>,
        market_id: Option<i64>,
        sha256: String,
        name: String,
        mime: String,
        size: i64,
        by: i64,
    },
    Invite {
        org_id: i64,
        item_kind: String,
        item_id: i64,
        by: i64,
    },
}

/// A change with what comes with it.
#[derive(Debug, Clone)]
pub struct ChallengeWrite {
    pub challenge_id: i64,
    /// Stages the change is allowed in (empty: any).
    pub stages: Vec<String>,
    pub op: ChallengeOp,
    pub actor: String,
    /// The audit action and detail.
    pub action: String,
    pub detail: String,
    pub notify: Vec<NewNotice>,
}

/// Everything recorded inside one challenge, read at once (a page needs all of it).
#[derive(Debug, Clone, Default)]
pub struct ChallengeFile {
    pub applications: Vec<ApplicationRow>,
    pub members: Vec<MemberRow>,
    pub reviewers: Vec<ReviewerRow>,
    pub recusals: Vec<(i64, String)>,
    pub scores: Vec<ScoreRow>,
    pub objections: Vec<ObjectionRow>,
    pub milestones: Vec<MilestoneRow>,
    pub evidence: Vec<EvidenceRow>,
    pub market: Vec<MarketRow>,
    pub invitations: Vec<InvitationRow>,
}

impl Store {
    /// Makes one change inside a challenge (see the module doc).
    pub async fn challenge_write(&self, w: &ChallengeWrite) -> Result<Written> {
        let now = self.now_ts();
        let cid = w.challenge_id;
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Every change inside a challenge raises its version, so a move decided on what was
            // read (sheets, objections, milestones) cannot commit over a change it did not see.
            let Some(stage) = sqlx::query_scalar::<_, String>(
                "UPDATE challenges SET version = version + 1 WHERE id = $1 RETURNING stage")
                .bind(cid).fetch_optional(&mut *tx).await? else { return Ok(Written::Missing) };
            if !w.stages.is_empty() && !w.stages.contains(&stage) {
                return Ok(Written::Stage(stage));
            }
            let done: Option<i64> = match &w.op {
                ChallengeOp::NewApplication { lead_org, user, content, members } => {
                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO applications (challenge_id, lead_org, created_by, status, content, created_at, updated_at) \
                         VALUES ($1, $2, $3, 'draft', $4, $5, $5) ON CONFLICT (challenge_id, lead_org) DO NOTHING RETURNING id",
                    )
                    .bind(cid).bind(lead_org).bind(user).bind(content).bind(now)
                    .fetch_optional(&mut *tx).await?;
                    if let Some(id) = id {
                        for m in members {
                            sqlx::query("INSERT INTO consortium_members (application_id, org_id) VALUES ($1, $2)")
                                .bind(id).bind(m).execute(&mut *tx).await?;
                        }
                    }
                    id
                }
                ChallengeOp::EditApplication { id, version, content, members, submit, hash } => {
                    let n = sqlx::query(
                        "UPDATE applications SET content = $1, version = version + 1, updated_at = $2, \
                         status = CASE WHEN $3 = 1 THEN 'submitted' WHEN status = 'withdrawn' THEN 'draft' ELSE status END, \
                         submitted_at = CASE WHEN $3 = 1 THEN $2 ELSE submitted_at END, \
                         content_hash = CASE WHEN status = 'submitted' OR $3 = 1 THEN $4 ELSE content_hash END \
                         WHERE id = $5 AND challenge_id = $6 AND version = $7",
                    )
                    .bind(content).bind(now).bind(i64::from(*submit)).bind(hash).bind(id).bind(cid).bind(version)
                    .execute(&mut *tx).await?.rows_affected();
                    if n == 0 {
                        return Ok(Written::Stale);
                    }
                    let old: Vec<(i64, Option<i64>)> = sqlx::query_as(
                        "SELECT org_id, confirmed_at FROM consortium_members WHERE application_id = $1")
                        .bind(id).fetch_all(&mut *tx).await?;
                    for (org, _) in old.iter().filter(|(o, _)| !members.contains(o)) {
                        sqlx::query("DELETE FROM consortium_members WHERE application_id = $1 AND org_id = $2")
                            .bind(id).bind(org).execute(&mut *tx).await?;
                    }
                    for m in members.iter().filter(|m| !old.iter().any(|(o, _)| o == *m)) {
                        sqlx::query("INSERT INTO consortium_members (application_id, org_id) VALUES ($1, $2)")
                            .bind(id).bind(m).execute(&mut *tx).await?;
                    }
                    Some(*id)
                }
                ChallengeOp::WithdrawApplication { id, version } => {
                    let n = sqlx::query(
                        "UPDATE applications SET status = 'withdrawn', version = version + 1, updated_at = $1 \
                         WHERE id = $2 AND challenge_id = $3 AND version = $4")
                        .bind(now).bind(id).bind(cid).bind(version)
                        .execute(&mut *tx).await?.rows_affected();
                    if n == 0 {
                        return Ok(Written::Stale);
                    }
                    Some(*id)
                }
                ChallengeOp::ConfirmMember { application_id, org_id, user } => {
                    let n = sqlx::query(
                        "UPDATE consortium_members SET confirmed_at = $1, confirmed_by = $2 \
                         WHERE application_id = $3 AND org_id = $4 AND confirmed_at IS NULL \
                         AND application_id IN (SELECT id FROM applications WHERE challenge_id = $5)")
                        .bind(now).bind(user).bind(application_id).bind(org_id).bind(cid)
                        .execute(&mut *tx).await?.rows_affected();
                    (n > 0).then_some(*application_id)
                }
                ChallengeOp::AssignReviewer { user_id, expert_id, by } => {
                    let n = sqlx::query(
                        "INSERT INTO challenge_reviewers (challenge_id, user_id, expert_id, assigned_by, assigned_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                        .bind(cid).bind(user_id).bind(expert_id).bind(by).bind(now)
                        .execute(&mut *tx).await?.rows_affected();
                    (n > 0).then_some(*user_id)
                }
                ChallengeOp::RemoveReviewer { user_id } => {
                    let n = sqlx::query("DELETE FROM challenge_reviewers WHERE challenge_id = $1 AND user_id = $2")
                        .bind(cid).bind(user_id).execute(&mut *tx).await?.rows_affected();
                    sqlx::query("DELETE FROM review_scores WHERE reviewer_user = $1 AND application_id IN \
                                 (SELECT id FROM applications WHERE challenge_id = $2)")
                        .bind(user_id).bind(cid).execute(&mut *tx).await?;
                    (n > 0).then_some(*user_id)
                }
                ChallengeOp::Recuse { user_id, reason } => {
                    sqlx::query("INSERT INTO recusals (challenge_id, user_id, reason, at) VALUES ($1, $2, $3, $4) \
                                 ON CONFLICT (challenge_id, user_id) DO UPDATE SET reason = excluded.reason, at = excluded.at")
                        .bind(cid).bind(user_id).bind(reason).bind(now).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM challenge_reviewers WHERE challenge_id = $1 AND user_id = $2")
                        .bind(cid).bind(user_id).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM review_scores WHERE reviewer_user = $1 AND application_id IN \
                                 (SELECT id FROM applications WHERE challenge_id = $2)")
                        .bind(user_id).bind(cid).execute(&mut *tx).await?;
                    Some(*user_id)
                }
                ChallengeOp::Score { application_id, reviewer, sheet, comment } => {
                    sqlx::query(
                        "INSERT INTO review_scores (application_id, reviewer_user, sheet, comment, at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (application_id, reviewer_user) \
                         DO UPDATE SET sheet = excluded.sheet, comment = excluded.comment, at = excluded.at")
                        .bind(application_id).bind(reviewer).bind(sheet).bind(comment).bind(now)
                        .execute(&mut *tx).await?;
                    Some(*application_id)
                }
                ChallengeOp::Object { application_id, by, body } => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO objections (challenge_id, application_id, by_user, body, created_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id")
                        .bind(cid).bind(application_id).bind(by).bind(body).bind(now)
                        .fetch_one(&mut *tx).await?;
                    Some(id)
                }
                ChallengeOp::Resolve { objection_id, status, resolution, by } => {
                    let n = sqlx::query(
                        "UPDATE objections SET status = $1, resolution = $2, resolved_by = $3, resolved_at = $4 \
                         WHERE id = $5 AND challenge_id = $6 AND status = 'open'")
                        .bind(status).bind(resolution).bind(by).bind(now).bind(objection_id).bind(cid)
                        .execute(&mut *tx).await?.rows_affected();
                    (n > 0).then_some(*objection_id)
                }
                ChallengeOp::SetMilestones { application_id, list } => {
                    sqlx::query("DELETE FROM milestones WHERE challenge_id = $1 AND application_id = $2 AND status = 'pending'")
                        .bind(cid).bind(application_id).execute(&mut *tx).await?;
                    let base: i64 = sqlx::query_scalar(
                        "SELECT COALESCE(MAX(seq), 0) FROM milestones WHERE challenge_id = $1 AND application_id = $2")
                        .bind(cid).bind(application_id).fetch_one(&mut *tx).await?;
                    for (i, (title, due, metric, tranche)) in list.iter().enumerate() {
                        sqlx::query(
                            "INSERT INTO milestones (challenge_id, application_id, seq, title, due_on, metric, tranche_fen) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)")
                            .bind(cid).bind(application_id).bind(base + i as i64 + 1).bind(title).bind(due)
                            .bind(metric).bind(tranche).execute(&mut *tx).await?;
                    }
                    Some(*application_id)
                }
                ChallengeOp::Report { milestone_id, report } => {
                    let n = sqlx::query(
                        "UPDATE milestones SET status = 'reported', report = $1, reported_at = $2 \
                         WHERE id = $3 AND challenge_id = $4 AND status IN ('pending', 'reported', 'rejected')")
                        .bind(report).bind(now).bind(milestone_id).bind(cid)
                        .execute(&mut *tx).await?.rows_affected();
                    (n > 0).then_some(*milestone_id)
                }
                ChallengeOp::Decide { milestone_id, status, note, by, stop } => {
                    let app: Option<i64> = sqlx::query_scalar(
                        "UPDATE milestones SET status = $1, decision_note = $2, decided_by = $3, decided_at = $4 \
                         WHERE id = $5 AND challenge_id = $6 AND status = 'reported' RETURNING application_id")
                        .bind(status).bind(note).bind(by).bind(now).bind(milestone_id).bind(cid)
                        .fetch_optional(&mut *tx).await?;
                    if let (Some(app), true) = (app, *stop) {
                        sqlx::query("UPDATE applications SET result = 'stopped' WHERE id = $1")
                            .bind(app).execute(&mut *tx).await?;
                        sqlx::query("DELETE FROM milestones WHERE application_id = $1 AND status = 'pending'")
                            .bind(app).execute(&mut *tx).await?;
                    }
                    app.map(|_| *milestone_id)
                }
                ChallengeOp::Market { months, figures, note, by } => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO market_records (challenge_id, months, figures, note, recorded_by, at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (challenge_id, months) \
                         DO UPDATE SET figures = excluded.figures, note = excluded.note, \
                         recorded_by = excluded.recorded_by, at = excluded.at RETURNING id")
                        .bind(cid).bind(months).bind(figures).bind(note).bind(by).bind(now)
                        .fetch_one(&mut *tx).await?;
                    Some(id)
                }
                ChallengeOp::Evidence { application_id, milestone_id, market_id, sha256, name, mime, size, by } => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO evidence_files (challenge_id, application_id, milestone_id, market_id, sha256, \
                         name, mime, size, uploaded_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
                        .bind(cid).bind(application_id).bind(milestone_id).bind(market_id).bind(sha256)
                        .bind(name).bind(mime).bind(size).bind(by).bind(now)
                        .fetch_one(&mut *tx).await?;
                    Some(id)
                }
                ChallengeOp::Invite { org_id, item_kind, item_id, by } => {
                    let n = sqlx::query(
                        "INSERT INTO challenge_invitations (challenge_id, org_id, item_kind, item_id, invited_by, at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
                        .bind(cid).bind(org_id).bind(item_kind).bind(item_id).bind(by).bind(now)
                        .execute(&mut *tx).await?.rows_affected();
                    (n > 0).then_some(*org_id)
                }
            };
            let Some(done) = done else { return Ok(Written::Missing) };
            crate::notices::insert_challenge_notices!(tx, now, cid, None::<String>, w.notify);
            append_audit!(tx, [AuditEntry::new(&w.actor, &w.action, "challenge", Some(cid), &w.detail)]);
            tx.commit().await?;
            Ok(Written::Done(done))
        })
    }

    /// Everything recorded inside one challenge.
    pub async fn challenge_file(&self, id: i64) -> Result<ChallengeFile> {
        dispatch!(self, pool => {
            let applications: Vec<ApplicationRow> = sqlx::query_as(&format!(
                "SELECT {APP_COLUMNS} FROM applications WHERE challenge_id = $1 ORDER BY id"))
                .bind(id).fetch_all(pool).await?;
            let members = sqlx::query_as(
                "SELECT m.application_id, m.org_id, m.confirmed_at FROM consortium_members m \
                 JOIN applications a ON a.id = m.application_id WHERE a.challenge_id = $1 ORDER BY m.application_id, m.org_id")
                .bind(id).fetch_all(pool).await?;
            let reviewers = sqlx::query_as(
                "SELECT challenge_id, user_id, expert_id, assigned_at FROM challenge_reviewers WHERE challenge_id = $1 ORDER BY assigned_at, user_id")
                .bind(id).fetch_all(pool).await?;
            let recusals = sqlx::query_as("SELECT user_id, reason FROM recusals WHERE challenge_id = $1 ORDER BY user_id")
                .bind(id).fetch_all(pool).await?;
            let scores = sqlx::query_as(
                "SELECT s.application_id, s.reviewer_user, s.sheet, s.comment, s.at FROM review_scores s \
                 JOIN applications a ON a.id = s.application_id WHERE a.challenge_id = $1 ORDER BY s.application_id, s.reviewer_user")
                .bind(id).fetch_all(pool).await?;
            let objections = sqlx::query_as(
                "SELECT id, challenge_id, application_id, by_user, body, status, resolution, created_at, resolved_at \
                 FROM objections WHERE challenge_id = $1 ORDER BY id")
                .bind(id).fetch_all(pool).await?;
            let milestones = sqlx::query_as(
                "SELECT id, challenge_id, application_id, seq, title, due_on, metric, tranche_fen, status, report, \
                 reported_at, decision_note, decided_at FROM milestones WHERE challenge_id = $1 ORDER BY application_id, seq")
                .bind(id).fetch_all(pool).await?;
            let evidence = sqlx::query_as(
                "SELECT id, challenge_id, application_id, milestone_id, market_id, sha256, name, mime, size, uploaded_by, at \
                 FROM evidence_files WHERE challenge_id = $1 ORDER BY id")
                .bind(id).fetch_all(pool).await?;
            let market = sqlx::query_as(
                "SELECT id, challenge_id, months, figures, note, recorded_by, at FROM market_records WHERE challenge_id = $1 ORDER BY months")
                .bind(id).fetch_all(pool).await?;
            let invitations = sqlx::query_as(
                "SELECT challenge_id, org_id, item_kind, item_id, at FROM challenge_invitations WHERE challenge_id = $1 ORDER BY at, org_id")
                .bind(id).fetch_all(pool).await?;
            Ok(ChallengeFile { applications, members, reviewers, recusals, scores, objections, milestones, evidence, market, invitations })
        })
    }

    /// The challenges an organization applied to (as lead or consortium member), and those a user reviews.
    pub async fn challenges_touching(&self, org: Option<i64>, user: i64) -> Result<Vec<i64>> {
        let sql = "SELECT challenge_id FROM applications WHERE lead_org = $1 \
                   UNION SELECT a.challenge_id FROM consortium_members m JOIN applications a ON a.id = m.application_id WHERE m.org_id = $1 \
                   UNION SELECT challenge_id FROM challenge_reviewers WHERE user_id = $2 \
                   ORDER BY 1 DESC LIMIT 500";
        Ok(
            dispatch!(self, pool => sqlx::query_scalar(sql).bind(org.unwrap_or(-1)).bind(user).fetch_all(pool).await?),
        )
    }

    /// The challenge an application belongs to.
    pub async fn application_challenge(&self, id: i64) -> Result<Option<i64>> {
        let sql = "SELECT challenge_id FROM applications WHERE id = $1";
        Ok(dispatch!(self, pool => sqlx::query_scalar(sql).bind(id).fetch_optional(pool).await?))
    }

    /// One evidence file's record.
    pub async fn evidence(&self, id: i64) -> Result<Option<EvidenceRow>> {
        let sql = "SELECT id, challenge_id, application_id, milestone_id, market_id, sha256, name, mime, size, uploaded_by, at \
                   FROM evidence_files WHERE id = $1";
        Ok(dispatch!(self, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await?))
    }

    /// Outcome author lists that name `name` (for co-author conflicts): the `owners` of outcomes
    /// whose document mentions the name, at most 500.
    pub async fn owner_lists_naming(&self, name: &str) -> Result<Vec<Vec<String>>> {
        if name.trim().chars().count() < 2 {
            return Ok(vec![]);
        }
        let sql = "SELECT doc FROM outcomes WHERE instr(doc, $1) > 0 LIMIT 500";
        let sql_pg = "SELECT doc FROM outcomes WHERE strpos(doc, $1) > 0 LIMIT 500";
        let docs: Vec<String> = match &self.backend {
            crate::Backend::Sqlite(pool) => {
                sqlx::query_scalar(sql)
                    .bind(name.trim())
                    .fetch_all(pool)
                    .await?
            }
            crate::Backend::Postgres(pool) => {
                sqlx::query_scalar(sql_pg)
                    .bind(name.trim())
                    .fetch_all(pool)
                    .await?
            }
        };
        Ok(docs
            .iter()
            .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .filter_map(|v| {
                v.get("owners").and_then(|o| o.as_array()).map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect::<Vec<_>>()
                })
            })
            .collect())
    }

    /// Organizations `orgs` had an engagement with since `since` (Unix seconds): the other side's ids.
    pub async fn partners_since(&self, orgs: &[i64], since: i64) -> Result<Vec<i64>> {
        let mut out = vec![];
        for o in orgs {
            let sql = "SELECT CASE WHEN seeker_org = $1 THEN provider_org ELSE seeker_org END FROM engagements \
                       WHERE (seeker_org = $1 OR provider_org = $1) AND created_at >= $2";
            let v: Vec<i64> = dispatch!(self, pool => sqlx::query_scalar(sql).bind(o).bind(since).fetch_all(pool).await?);
            out.extend(v);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}
