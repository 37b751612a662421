//! Moving an engagement: a stage transition (checked against the workflow definition: the move, the
//! party, the guards), signing the need's NDA, assigning a broker. Each is one store write with an
//! optimistic version: of two concurrent moves one wins and the other is answered "conflict".

use std::collections::BTreeSet;

use chrono::NaiveDate;
use model::{Record, RecordKind};
use store::{ContractRow, EngagementRow, Move, Moved, NewSignature, PlacementRow};

use super::{check_note, Actor, Desk};
use crate::{EngineError, Result};

/// A technology contract, as the `contracted` move records it.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// `development_commissioned`, `development_cooperative`, `transfer`, `licence`, `consulting`, `service`.
    pub contract_type: String,
    /// Integer fen (1 yuan = 100 fen).
    pub amount_fen: i64,
    /// Which side sells the technology: `provider` (default) or `seeker`.
    #[serde(default)]
    pub seller: Option<String>,
    /// `buyer`, `seller`, `joint` or `as_agreed`.
    pub ip_ownership: String,
    /// YYYY-MM-DD, not in the future.
    pub signed_on: String,
    /// The registration number (技术合同登记号), once registered.
    #[serde(default)]
    pub registration_no: Option<String>,
    /// YYYY-MM-DD, on or after signing.
    #[serde(default)]
    pub registered_on: Option<String>,
}

/// A placement, as the `contracted` move of a `placement` engagement records it.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlacementInput {
    /// `tech_vice_president` (科技副总) or `industry_professor` (产业教授).
    pub post: String,
    pub start_on: String,
    #[serde(default)]
    pub end_on: Option<String>,
    /// Days a month served, 1–31.
    pub days_per_month: i64,
}

/// How the solution is tested at the `evaluation` stage.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EvaluationInput {
    /// `sample_test`, `poc` or `pilot`.
    pub kind: String,
    /// The PoC centre or pilot platform (an organization id), if one is used.
    #[serde(default)]
    pub platform_org_id: Option<i64>,
}

/// A follow-up report after the contract.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    /// `delivered`, `in_production` or `revenue_reported`.
    pub kind: String,
    /// Revenue the adopted technology brought, integer fen (with `revenue_reported`).
    #[serde(default)]
    pub revenue_fen: Option<i64>,
}

/// A move of an engagement.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The stage to move to.
    pub to: String,
    /// The engagement's version as read.
    pub version: i64,
    /// Why it ends (required for `closed_lost`): not_relevant, trl_too_low, price, ip_terms,
    /// capacity, timing, chose_other, no_response, other.
    #[serde(default)]
    pub reason_code: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub contract: Option<ContractInput>,
    #[serde(default)]
    pub placement: Option<PlacementInput>,
    #[serde(default)]
    pub evaluation: Option<EvaluationInput>,
    #[serde(default)]
    pub report: Option<ReportInput>,
}

/// Most a contract may be worth: 10^14 fen (a trillion yuan), far beyond any real one.
const MAX_AMOUNT_FEN: i64 = 100_000_000_000_000;

fn date(field: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        EngineError::Input(format!(
            "{field}: `{s}` is not a date; write it as YYYY-MM-DD"
        ))
    })
}

fn one_of(field: &str, v: &str, allowed: &[String]) -> Result<()> {
    if allowed.iter().any(|a| a == v) {
        Ok(())
    } else {
        Err(EngineError::Input(format!(
            "{field}: `{v}` is not one of {}",
            allowed.join(", ")
        )))
    }
}

/// The side a party set acts as, for the timeline.
fn acting_party(parties: &BTreeSet<&str>) -> &'static str {
    ["seeker", "provider", "broker", "operator"]
        .into_iter()
        .find(|p| parties.contains(p))
        .unwrap_or("platform")
}

impl Desk {
    /// Makes a move; the engagement as the actor now reads it.
    pub async fn transition(
        &self,
        actor: &Actor,
        pass: &store::DemandPass,
        id: i64,
        req: &TransitionRequest,
    ) -> Result<super::EngagementView> {
        let (e, parties) = self.engagement_for(actor, id).await?;
        if req.version != e.version {
            return Err(EngineError::Conflict(format!(
                "engagement #{id} changed since you read it (version {} now, you sent {}); read it again",
                e.version, req.version
            )));
        }
        let note = req.note.clone().unwrap_or_default().trim().to_string();
        check_note("note", &note)?;
        if let Some(r) = &req.reason_code {
            if self.flow.reason(r).is_none() {
                let codes: Vec<&str> = self.flow.reasons.iter().map(|r| r.code.as_str()).collect();
                return Err(EngineError::Input(format!(
                    "reason_code: `{r}` is not a reason; use one of {}",
                    codes.join(", ")
                )));
            }
        }
        let contract = match &req.contract {
            Some(c) if req.to == "contracted" && e.purpose == "transfer" => {
                Some(self.contract_row(&e, c).await?)
            }
            _ => None,
        };
        let placement = match &req.placement {
            Some(p) if req.to == "contracted" && e.purpose == "placement" => {
                Some(self.placement_row(&e, p)?)
            }
            _ => None,
        };
        let evaluation = match &req.evaluation {
            Some(ev) if req.to == "evaluation" => Some(self.evaluation(ev).await?),
            _ => None,
        };
        if let Some(r) = &req.report {
            one_of("report.kind", &r.kind, &self.vocab.report_kinds)?;
            if r.revenue_fen
                .is_some_and(|f| !(0..=MAX_AMOUNT_FEN).contains(&f))
            {
                return Err(EngineError::Input(
                    "report.revenue_fen: give the revenue in fen, from 0 up".into(),
                ));
            }
        }
        let signed = self.nda_signed(&e).await?;
        let required = self.nda_required(e.demand_id).await?;
        let holds = |g: &str| match g {
            "reason_given" => req.reason_code.is_some(),
            "nda_signature" => signed,
            "nda_settled" => signed || !required,
            "agreement_given" => contract.is_some() || placement.is_some(),
            "report_given" => req.report.is_some(),
            _ => false,
        };
        self.flow
            .check(&e.stage, &req.to, &parties, holds)
            .map_err(|r| refusal(id, r))?;
        let mut reached: Vec<String> = self
            .store
            .engagement_events(id)
            .await?
            .into_iter()
            .map(|ev| ev.to_stage)
            .collect();
        reached.push(req.to.clone());
        let state_grade = self
            .flow
            .state(&req.to)
            .and_then(|s| s.grade)
            .map(i64::from);
        let grade = state_grade.filter(|g| e.furthest_grade.is_none_or(|f| *g > f));
        let label = self
            .flow
            .grade(
                reached.iter().map(String::as_str),
                req.reason_code.as_deref(),
            )
            .map(i64::from)
            .filter(|_| e.demand_id.is_some());
        let contact = (req.to == "introduced").then(|| {
            let side = if e.opener_side == "seeker" {
                "provider"
            } else {
                "seeker"
            };
            (side.to_string(), actor.user_id)
        });
        let mut detail = serde_json::Map::new();
        if let Some((kind, org)) = &evaluation {
            detail.insert("evaluation".into(), kind.clone().into());
            if let Some(o) = org {
                detail.insert("platform_org_id".into(), (*o).into());
            }
        }
        if let Some(r) = &req.report {
            detail.insert("report".into(), serde_json::to_value(r).unwrap_or_default());
        }
        let notify = self.notices_for_move(&e, actor.user_id, "moved").await?;
        let m = Move {
            engagement_id: id,
            version: e.version,
            from: e.stage.clone(),
            to: req.to.clone(),
            actor_user: Some(actor.user_id),
            actor_party: acting_party(&parties).into(),
            reason_code: req.reason_code.clone().filter(|_| req.to == "closed_lost"),
            note,
            detail: serde_json::Value::Object(detail),
            grade,
            label,
            contact,
            evaluation,
            broker: None,
            contract,
            placement,
            signature: None,
            notify,
            actor: actor.username.clone(),
        };
        self.write(m).await?;
        self.show(actor, pass, id).await
    }

    /// Signs the need's NDA for the provider's organization (moving `introduced` → `nda_signed`);
    /// from then on that organization reads the need's full brief everywhere.
    /// The caller reads the engagement again with a pass made after signing.
    pub async fn sign_nda(&self, actor: &Actor, id: i64, version: i64) -> Result<()> {
        let (e, parties) = self.engagement_for(actor, id).await?;
        if !parties.contains("provider") {
            return Err(EngineError::Forbidden(
                "the NDA is signed by the side that reads the need: the provider's users".into(),
            ));
        }
        let Some(demand) = e.demand_id else {
            return Err(EngineError::Input(
                "this engagement has no need, so there is no NDA to sign".into(),
            ));
        };
        if version != e.version {
            return Err(EngineError::Conflict(format!(
                "engagement #{id} changed since you read it (version {} now); read it again",
                e.version
            )));
        }
        if self.nda_signed(&e).await? {
            return Err(EngineError::Conflict(
                "your organization has signed this need's NDA already".into(),
            ));
        }
        let required = self.nda_required(Some(demand)).await?;
        let to = if e.stage == "introduced" {
            self.flow
                .check(&e.stage, "nda_signed", &parties, |g| g == "nda_signature")
                .map_err(|r| refusal(id, r))?;
            "nda_signed".to_string()
        } else if !required && matches!(e.stage.as_str(), "evaluation" | "negotiation") {
            e.stage.clone()
        } else {
            return Err(EngineError::Conflict(format!(
                "the NDA is signed once introduced; engagement #{id} is at `{}`",
                e.stage
            )));
        };
        let text = self.nda_text(demand).await?;
        let Some(org) = actor.org else {
            return Err(EngineError::Forbidden("no organization to sign for".into()));
        };
        let notify = self
            .notices_for_move(&e, actor.user_id, "nda_signed")
            .await?;
        let grade = self
            .flow
            .state(&to)
            .and_then(|s| s.grade)
            .map(i64::from)
            .filter(|g| e.furthest_grade.is_none_or(|f| *g > f));
        self.write(Move {
            engagement_id: id,
            version: e.version,
            from: e.stage.clone(),
            to,
            actor_user: Some(actor.user_id),
            actor_party: "provider".into(),
            detail: serde_json::json!({"nda_version": text.version, "nda_sha256": text.sha256}),
            grade,
            signature: Some(NewSignature {
                demand_id: demand,
                org_id: org,
                user_id: actor.user_id,
                text_version: text.version,
                text_sha256: text.sha256.clone(),
            }),
            notify,
            actor: actor.username.clone(),
            ..Move::default()
        })
        .await
    }

    /// Assigns a broker (one of the sides or an operator does); the broker is told.
    pub async fn assign_broker(
        &self,
        actor: &Actor,
        pass: &store::DemandPass,
        id: i64,
        version: i64,
        broker_user: i64,
    ) -> Result<super::EngagementView> {
        let (e, parties) = self.engagement_for(actor, id).await?;
        if !["seeker", "provider", "operator"]
            .iter()
            .any(|p| parties.contains(p))
        {
            return Err(EngineError::Forbidden(
                "a broker is assigned by one of the two sides or an operator".into(),
            ));
        }
        if !self.flow.is_open(&e.stage) {
            return Err(EngineError::Conflict(format!(
                "engagement #{id} is no longer open"
            )));
        }
        match self.store.user(broker_user).await? {
            Some(u) if u.role == "broker" && u.disabled == 0 => {}
            _ => {
                return Err(EngineError::Input(format!(
                    "broker_user_id: user #{broker_user} is not a broker"
                )))
            }
        }
        if version != e.version {
            return Err(EngineError::Conflict(format!(
                "engagement #{id} changed since you read it (version {} now); read it again",
                e.version
            )));
        }
        let mut notify = self
            .notices(&[], &[broker_user], actor.user_id, "broker_assigned")
            .await?;
        notify.extend(
            self.notices_for_move(&e, actor.user_id, "broker_assigned")
                .await?,
        );
        self.write(Move {
            engagement_id: id,
            version: e.version,
            from: e.stage.clone(),
            to: e.stage.clone(),
            actor_user: Some(actor.user_id),
            actor_party: acting_party(&parties).into(),
            detail: serde_json::json!({ "broker_user_id": broker_user }),
            broker: Some(broker_user),
            notify,
            actor: actor.username.clone(),
            ..Move::default()
        })
        .await?;
        self.show(actor, pass, id).await
    }

    async fn write(&self, m: Move) -> Result<()> {
        match self.store.move_engagement(&m).await? {
            Moved::Done(_) => Ok(()),
            Moved::Stale => Err(EngineError::Conflict(format!(
                "engagement #{} was moved by someone else just now; read it again",
                m.engagement_id
            ))),
        }
    }

    /// Who hears of a move: both sides' users and the broker, the mover excepted.
    pub(crate) async fn notices_for_move(
        &self,
        e: &EngagementRow,
        actor: i64,
        event: &str,
    ) -> Result<Vec<store::NewNotice>> {
        let brokers: Vec<i64> = e.broker_user.into_iter().collect();
        self.notices(&[e.seeker_org, e.provider_org], &brokers, actor, event)
            .await
    }

    async fn contract_row(&self, e: &EngagementRow, c: &ContractInput) -> Result<ContractRow> {
        one_of(
            "contract.contract_type",
            &c.contract_type,
            &self.vocab.contract_types,
        )?;
        one_of(
            "contract.ip_ownership",
            &c.ip_ownership,
            &self.vocab.ip_ownership,
        )?;
        if !(0..=MAX_AMOUNT_FEN).contains(&c.amount_fen) {
            return Err(EngineError::Input(
                "contract.amount_fen: give the amount in integer fen, from 0 up".into(),
            ));
        }
        let signed = date("contract.signed_on", &c.signed_on)?;
        if signed > chrono::Utc::now().date_naive() {
            return Err(EngineError::Input(
                "contract.signed_on: a contract is recorded once signed; the date is in the future"
                    .into(),
            ));
        }
        let registered = match &c.registered_on {
            Some(r) => {
                let d = date("contract.registered_on", r)?;
                if d < signed {
                    return Err(EngineError::Input(
                        "contract.registered_on: registration comes after signing".into(),
                    ));
                }
                Some(d.to_string())
            }
            None => None,
        };
        let reg_no = c
            .registration_no
            .as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if reg_no.as_ref().is_some_and(|s| s.chars().count() > 40) {
            return Err(EngineError::Input(
                "contract.registration_no: at most 40 characters".into(),
            ));
        }
        let (seller, buyer) = match c.seller.as_deref().unwrap_or("provider") {
            "provider" => (e.provider_org, e.seeker_org),
            "seeker" => (e.seeker_org, e.provider_org),
            other => {
                return Err(EngineError::Input(format!(
                    "contract.seller: `{other}` is not a side; use provider or seeker"
                )))
            }
        };
        Ok(ContractRow {
            id: 0,
            engagement_id: e.id,
            contract_type: c.contract_type.clone(),
            amount_fen: c.amount_fen,
            seller_org: seller,
            buyer_org: buyer,
            ip_ownership: c.ip_ownership.clone(),
            signed_on: signed.to_string(),
            registration_no: reg_no,
            registered_on: registered,
            buyer_local: i64::from(self.is_local(buyer).await?),
            created_at: 0,
        })
    }

    fn placement_row(&self, e: &EngagementRow, p: &PlacementInput) -> Result<PlacementRow> {
        one_of("placement.post", &p.post, &self.vocab.placement_posts)?;
        let start = date("placement.start_on", &p.start_on)?;
        let end = match &p.end_on {
            Some(s) => {
                let d = date("placement.end_on", s)?;
                if d < start {
                    return Err(EngineError::Input(
                        "placement.end_on: the end comes after the start".into(),
                    ));
                }
                Some(d.to_string())
            }
            None => None,
        };
        if !(1..=31).contains(&p.days_per_month) {
            return Err(EngineError::Input(
                "placement.days_per_month: give 1 to 31 days a month".into(),
            ));
        }
        Ok(PlacementRow {
            engagement_id: e.id,
            expert_id: e.expert_id.unwrap_or(e.item_id),
            post: p.post.clone(),
            start_on: start.to_string(),
            end_on: end,
            days_per_month: p.days_per_month,
            created_at: 0,
        })
    }

    async fn evaluation(&self, ev: &EvaluationInput) -> Result<(String, Option<i64>)> {
        one_of("evaluation.kind", &ev.kind, &self.vocab.evaluation_kinds)?;
        if let Some(o) = ev.platform_org_id {
            let ok = matches!(
                self.store.get(RecordKind::Organization, o).await?.map(|s| s.record),
                Some(Record::Organization(org))
                    if matches!(org.kind, model::OrgKind::PocCentre | model::OrgKind::PilotPlatform | model::OrgKind::Lab)
            );
            if !ok {
                return Err(EngineError::Input(format!(
                    "evaluation.platform_org_id: #{o} is not a PoC centre, pilot platform or lab"
                )));
            }
        }
        Ok((ev.kind.clone(), ev.platform_org_id))
    }

    /// Whether an organization is in Chongqing (its region's tier).
    pub(crate) async fn is_local(&self, org: i64) -> Result<bool> {
        Ok(matches!(
            self.store.get(RecordKind::Organization, org).await?.map(|s| s.record),
            Some(Record::Organization(o))
                if o.region.as_ref().is_some_and(|r| r.tier() == model::RegionTier::Chongqing)
        ))
    }
}

/// A workflow refusal as the caller reads it: a wrong party is forbidden; a move that does not fit
/// the stage is a conflict; a missing guard is bad input naming what to add.
fn refusal(id: i64, r: flow::Refusal) -> EngineError {
    match r {
        flow::Refusal::WrongParty { .. } => EngineError::Forbidden(r.to_string()),
        flow::Refusal::NotAllowed { .. } => {
            EngineError::Conflict(format!("engagement #{id}: {r}"))
        }
        flow::Refusal::UnknownState(s) => EngineError::Input(format!(
            "to: `{s}` is not a stage; use interest, introduced, nda_signed, evaluation, negotiation, contracted, follow_up, closed_lost or withdrawn"
        )),
        flow::Refusal::Guard(g) => EngineError::Input(match g.as_str() {
            "reason_given" => "reason_code: say why it ends (one of the close reasons)".into(),
            "nda_signature" | "nda_settled" => {
                "this need is NDA-only: the provider signs its NDA first (POST …/nda)".into()
            }
            "agreement_given" => {
                "contract (or placement, for a placement): record the signed agreement with this move".into()
            }
            "report_given" => "report: say what was delivered, put into production or earned".into(),
            other => format!("this move needs `{other}`"),
        }),
    }
}
