//! A selected PoC seed sent to a PoC centre as an application; the centre's staff accept or decline
//! it (with a reason), the sender may withdraw it while it waits. Officials, operators and the
//! outcome's owning organization send; the centre's staff and the senders read.

use model::{Record, RecordKind};

use super::Library;
use crate::engagements::Actor;
use crate::{EngineError, Result};

/// An application as its reader sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PocApplicationFace {
    pub id: i64,
    pub outcome_id: i64,
    pub outcome: String,
    pub platform_id: i64,
    pub centre: String,
    /// `sent`, `accepted`, `declined`, `withdrawn`.
    pub status: String,
    pub note: String,
    pub answer: String,
    pub sent_at: i64,
    pub decided_at: Option<i64>,
    pub version: i64,
    /// The reader is the centre's staff (may answer).
    pub may_answer: bool,
}

/// What sending a seed takes.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PocApplicationInput {
    pub outcome_id: i64,
    /// The PoC centre (a library entry of type `poc_centre`).
    pub platform_id: i64,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub note: String,
}

/// A centre's answer, or a withdrawal.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PocDecisionInput {
    /// `accepted`, `declined` (the centre) or `withdrawn` (the sender).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(accepted|declined|withdrawn)$")
    )]
    pub to: String,
    /// Why (required to decline).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub answer: String,
    pub version: i64,
}

impl Library {
    async fn outcome_title(&self, id: i64) -> Result<(String, Vec<String>)> {
        match self.store.get(RecordKind::Outcome, id).await? {
            Some(s) => match s.record {
                Record::Outcome(o) => Ok((o.title, o.owners)),
                _ => Err(EngineError::NotFound(format!("no outcome #{id}"))),
            },
            None => Err(EngineError::NotFound(format!("no outcome #{id}"))),
        }
    }

    /// Whether the actor's organization owns the outcome (by name among its owners).
    async fn owns(&self, actor: &Actor, owners: &[String]) -> Result<bool> {
        let Some(org) = actor.org else {
            return Ok(false);
        };
        let name = self.deals.org_face(org).await?.name;
        Ok(owners.contains(&name))
    }

    async fn application_face(
        &self,
        actor: &Actor,
        a: &store::PocApplicationRow,
    ) -> Result<PocApplicationFace> {
        let centre = self.platform_row(a.platform_id).await?;
        let (outcome, _) = self.outcome_title(a.outcome_id).await.unwrap_or_default();
        Ok(PocApplicationFace {
            id: a.id,
            outcome_id: a.outcome_id,
            outcome,
            platform_id: a.platform_id,
            centre: centre.org_name.clone(),
            status: a.status.clone(),
            note: a.note.clone(),
            answer: a.answer.clone(),
            sent_at: a.sent_at,
            decided_at: a.decided_at,
            version: a.version,
            may_answer: a.status == "sent" && actor.org == Some(centre.org_id),
        })
    }

    /// Sends a selected seed to a PoC centre.
    pub async fn send_to_centre(
        &self,
        actor: &Actor,
        req: &PocApplicationInput,
    ) -> Result<PocApplicationFace> {
        super::check_len("note", &req.note, 2_000)?;
        let (_, owners) = self.outcome_title(req.outcome_id).await?;
        if !(actor.official || actor.operator || self.owns(actor, &owners).await?) {
            return Err(EngineError::Forbidden(
                "officials, the operators and the outcome's owner send a seed to a PoC centre"
                    .into(),
            ));
        }
        if !self
            .store
            .seeds()
            .await?
            .iter()
            .any(|s| s.outcome_id == req.outcome_id)
        {
            return Err(EngineError::Input(format!(
                "outcome_id: #{} is not a selected PoC seed; an official selects it first",
                req.outcome_id
            )));
        }
        let centre = self.platform_row(req.platform_id).await?;
        if centre.kind != "poc_centre" {
            return Err(EngineError::Input(format!(
                "platform_id: #{} is not a PoC centre (概念验证中心)",
                req.platform_id
            )));
        }
        let day_ago = self.store.now_ts() - 24 * 3600;
        if self
            .store
            .poc_applications_sent_since(actor.user_id, day_ago)
            .await?
            >= 50
        {
            return Err(EngineError::Limited(
                "at most 50 applications a day from one sender; try again tomorrow".into(),
            ));
        }
        let notify = self
            .deals
            .notices(&[centre.org_id], &[], actor.user_id, "poc_sent")
            .await?;
        let id = self
            .store
            .send_poc_application(
                req.outcome_id,
                req.platform_id,
                req.note.trim(),
                actor.user_id,
                &actor.username,
                &notify,
            )
            .await?
            .ok_or_else(|| {
                EngineError::Conflict(format!(
                    "outcome #{} already has an open application at this centre",
                    req.outcome_id
                ))
            })?;
        let row = self
            .store
            .poc_application(id)
            .await?
            .ok_or_else(|| EngineError::NotFound(format!("no application #{id}")))?;
        self.application_face(actor, &row).await
    }

    /// The centre answers, or the sender withdraws.
    pub async fn decide_application(
        &self,
        actor: &Actor,
        id: i64,
        req: &PocDecisionInput,
    ) -> Result<PocApplicationFace> {
        super::check_len("answer", &req.answer, 2_000)?;
        let missing = || EngineError::NotFound(format!("no PoC application #{id}"));
        let a = self.store.poc_application(id).await?.ok_or_else(missing)?;
        let centre = self.platform_row(a.platform_id).await?;
        let staff = actor.org == Some(centre.org_id);
        let sender = actor.user_id == a.sent_by || actor.operator;
        if !(staff || sender || actor.official) {
            return Err(missing());
        }
        let mut parties = std::collections::BTreeSet::new();
        if staff {
            parties.insert("centre");
        }
        if sender {
            parties.insert("sender");
        }
        let reason = !req.answer.trim().is_empty();
        self.poc_application
            .check(&a.status, &req.to, &parties, |g| {
                g == "reason_given" && reason
            })
            .map_err(|r| match r {
                flow::Refusal::WrongParty { .. } => EngineError::Forbidden(r.to_string()),
                flow::Refusal::Guard(_) => {
                    EngineError::Input("answer: say why the centre declines".into())
                }
                flow::Refusal::UnknownState(_) => EngineError::Input(format!(
                    "to: `{}`: use accepted, declined or withdrawn",
                    req.to
                )),
                _ => EngineError::Conflict(format!("PoC application #{id}: {r}")),
            })?;
        let notify = self
            .deals
            .notices(&[], &[a.sent_by], actor.user_id, &format!("poc_{}", req.to))
            .await?;
        match self
            .store
            .decide_poc_application(
                id,
                req.version,
                &req.to,
                req.answer.trim(),
                actor.user_id,
                &actor.username,
                &notify,
            )
            .await?
        {
            store::Written::Done(_) => {}
            _ => {
                return Err(EngineError::Conflict(format!(
                    "PoC application #{id} was answered or changed meanwhile; reload it"
                )))
            }
        }
        let row = self.store.poc_application(id).await?.ok_or_else(missing)?;
        self.application_face(actor, &row).await
    }

    /// Applications the actor may read: a centre's staff its own; officials, operators all; others
    /// those they sent.
    pub async fn applications(&self, actor: &Actor) -> Result<Vec<PocApplicationFace>> {
        let rows = if actor.official || actor.operator {
            self.store.poc_applications(None, None).await?
        } else if let Some(p) = self.mine(actor).await?.filter(|p| p.kind == "poc_centre") {
            self.store.poc_applications(Some(p.id), None).await?
        } else {
            self.store
                .poc_applications(None, None)
                .await?
                .into_iter()
                .filter(|a| a.sent_by == actor.user_id)
                .collect()
        };
        let mut out = vec![];
        for r in rows {
            out.push(self.application_face(actor, &r).await?);
        }
        Ok(out)
    }
}
