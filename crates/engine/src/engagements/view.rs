//! What a party reads of an engagement: the two sides, the item, the need as far as the reader's
//! rights go, the contacts once introduced, the NDA, the moves open to the reader, the timeline.

use std::collections::BTreeSet;

use model::{Confidentiality, Record, RecordKind};
use store::{DemandPass, EngagementRow, EngagementScope};

use super::{Actor, Desk};
use crate::Result;

/// An organization by id and name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgFace {
    pub id: i64,
    pub name: String,
}

/// The supply item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemFace {
    /// `outcome`, `expert` or `organization`.
    pub kind: String,
    pub id: i64,
    pub title: String,
}

/// The need as the reader may read it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandFace {
    /// `none` (no need: an item offered), `full`, `summary` (an NDA-only need's public summary) or
    /// `hidden` (confidential, nothing readable).
    pub access: String,
    /// The need's id (not given when hidden).
    pub id: Option<i64>,
    pub title: Option<String>,
    /// The public summary (access `summary`).
    pub summary: Option<String>,
    /// The full problem statement (access `full`).
    pub brief: Option<String>,
}

/// A contact person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactFace {
    pub user_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The NDA of the engagement's need.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NdaState {
    /// The need is NDA-only: the provider must sign before evaluation.
    pub required: bool,
    /// The provider's organization signed it (and not revoked).
    pub signed: bool,
    /// The reader may sign now (the provider's side, introduced, not signed).
    pub can_sign: bool,
    /// The text that applies (to the provider's side), its version and SHA-256.
    pub text: Option<String>,
    pub version: Option<i64>,
    pub sha256: Option<String>,
}

/// One event of the timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventFace {
    /// Unix seconds.
    pub at: i64,
    /// Who moved: `seeker`, `provider`, `broker`, `operator`, `platform`.
    pub party: String,
    pub from: Option<String>,
    pub to: String,
    pub reason_code: Option<String>,
    pub note: String,
    /// What the move recorded besides the stage (evaluation, follow-up report, broker …).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub detail: serde_json::Value,
}

/// An engagement as one of its parties reads it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngagementView {
    pub id: i64,
    /// `transfer` or `placement`.
    pub purpose: String,
    pub stage: String,
    /// Send it back with a move: a move made on an older version is refused (409).
    pub version: i64,
    /// Still in progress.
    pub open: bool,
    pub demand: DemandFace,
    pub item: ItemFace,
    pub seeker: OrgFace,
    pub provider: OrgFace,
    pub broker: Option<ContactFace>,
    pub broker_wanted: bool,
    /// The reader's parties: `seeker`, `provider`, `opener`, `counterpart`, `broker`, `operator`.
    pub parties: Vec<String>,
    /// The stages the reader may move to now (guards are checked when the move is sent).
    pub moves: Vec<String>,
    /// Contacts: each side's is shown to the other only from `introduced` on.
    pub seeker_contact: Option<ContactFace>,
    pub provider_contact: Option<ContactFace>,
    pub nda: NdaState,
    pub close_reason: Option<String>,
    pub message: String,
    pub created_at: i64,
    pub stage_at: i64,
    pub evaluation_kind: Option<String>,
    pub evaluation_org: Option<OrgFace>,
    pub contract: Option<super::ContractFace>,
    pub timeline: Vec<EventFace>,
    /// The timeline's hash chain is unbroken.
    pub timeline_intact: bool,
}

/// A line of a board.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngagementSummary {
    pub id: i64,
    pub purpose: String,
    pub stage: String,
    pub version: i64,
    pub open: bool,
    pub demand: DemandFace,
    pub item: ItemFace,
    pub seeker: OrgFace,
    pub provider: OrgFace,
    pub parties: Vec<String>,
    /// Unix seconds the current stage was entered.
    pub stage_at: i64,
    /// The stage waits for the reader's side.
    pub awaits_me: bool,
    pub close_reason: Option<String>,
}

impl Desk {
    /// An engagement as `actor` may read it ("not found" for anyone who is no party).
    pub async fn show(&self, actor: &Actor, pass: &DemandPass, id: i64) -> Result<EngagementView> {
        let (e, parties) = self.engagement_for(actor, id).await?;
        let events = self.store.engagement_events(id).await?;
        let introduced = e.furthest_grade.is_some_and(|g| g >= 1);
        let contact = |side: &str, user: Option<i64>| {
            let may = introduced || parties.contains(side) || parties.contains("operator");
            async move {
                match (may, user) {
                    (true, Some(u)) => self.contact(u).await,
                    _ => Ok(None),
                }
            }
        };
        let seeker_contact = contact("seeker", e.seeker_contact).await?;
        let provider_contact = contact("provider", e.provider_contact).await?;
        let nda = self.nda_state(&e, &parties).await?;
        // Moves whose NDA guard cannot hold yet are not offered (the check still applies them).
        let blocked = nda.required && !nda.signed;
        let moves = self
            .flow
            .moves(&e.stage, &parties)
            .into_iter()
            .filter(|m| *m != "nda_signed")
            .filter(|m| !(blocked && matches!(*m, "evaluation" | "negotiation")))
            .map(str::to_string)
            .collect();
        let broker = match e.broker_user {
            Some(u) => self.contact(u).await?,
            None => None,
        };
        let evaluation_org = match e.evaluation_org {
            Some(o) => Some(self.org_face(o).await?),
            None => None,
        };
        let contract = match self.store.contract_of(e.id).await? {
            Some(c) => Some(self.contract_face(c).await?),
            None => None,
        };
        Ok(EngagementView {
            id: e.id,
            purpose: e.purpose.clone(),
            stage: e.stage.clone(),
            version: e.version,
            open: self.flow.is_open(&e.stage),
            demand: self.demand_face(pass, e.demand_id).await?,
            item: self.item_face(&e.item_kind, e.item_id).await?,
            seeker: self.org_face(e.seeker_org).await?,
            provider: self.org_face(e.provider_org).await?,
            broker,
            broker_wanted: e.broker_wanted != 0,
            parties: parties.iter().map(|p| p.to_string()).collect(),
            moves,
            seeker_contact,
            provider_contact,
            nda,
            close_reason: e.close_reason.clone(),
            message: e.message.clone(),
            created_at: e.created_at,
            stage_at: e.stage_at,
            evaluation_kind: e.evaluation_kind.clone(),
            evaluation_org,
            contract,
            timeline_intact: store::chain_holds(&events),
            timeline: events
                .into_iter()
                .map(|ev| EventFace {
                    at: ev.at,
                    party: ev.actor_party,
                    from: ev.from_stage,
                    to: ev.to_stage,
                    reason_code: ev.reason_code,
                    note: ev.note,
                    detail: serde_json::from_str(&ev.detail).unwrap_or_default(),
                })
                .collect(),
        })
    }

    /// The actor's engagements (their organization's, those assigned to them as broker, or every
    /// one for an operator), most recently moved first; `stage` narrows to one stage.
    pub async fn list(
        &self,
        actor: &Actor,
        pass: &DemandPass,
        stage: Option<&str>,
        limit: i64,
    ) -> Result<Vec<EngagementSummary>> {
        let mut rows: Vec<EngagementRow> = vec![];
        if actor.operator {
            rows = self.store.engagements(&EngagementScope::All, limit).await?;
        } else {
            if let Some(org) = actor.org {
                rows.extend(
                    self.store
                        .engagements(&EngagementScope::Org(org), limit)
                        .await?,
                );
            }
            if actor.broker {
                for r in self
                    .store
                    .engagements(&EngagementScope::Broker(actor.user_id), limit)
                    .await?
                {
                    if !rows.iter().any(|x| x.id == r.id) {
                        rows.push(r);
                    }
                }
                rows.sort_by(|a, b| b.stage_at.cmp(&a.stage_at).then(b.id.cmp(&a.id)));
            }
        }
        let mut out = vec![];
        for e in rows
            .into_iter()
            .filter(|e| stage.is_none_or(|s| e.stage == s))
        {
            out.push(self.summary(actor, pass, &e).await?);
        }
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    pub(crate) async fn summary(
        &self,
        actor: &Actor,
        pass: &DemandPass,
        e: &EngagementRow,
    ) -> Result<EngagementSummary> {
        let parties = self.parties(actor, e);
        Ok(EngagementSummary {
            id: e.id,
            purpose: e.purpose.clone(),
            stage: e.stage.clone(),
            version: e.version,
            open: self.flow.is_open(&e.stage),
            demand: self.demand_face(pass, e.demand_id).await?,
            item: self.item_face(&e.item_kind, e.item_id).await?,
            seeker: self.org_face(e.seeker_org).await?,
            provider: self.org_face(e.provider_org).await?,
            awaits_me: self.awaits(e, &parties),
            parties: parties.iter().map(|p| p.to_string()).collect(),
            stage_at: e.stage_at,
            close_reason: e.close_reason.clone(),
        })
    }

    /// Whether the engagement's stage waits for one of these parties.
    pub(crate) fn awaits(&self, e: &EngagementRow, parties: &BTreeSet<&str>) -> bool {
        match self.flow.state(&e.stage).and_then(|s| s.awaits.as_deref()) {
            Some("both") => parties.contains("seeker") || parties.contains("provider"),
            Some(p) => parties.contains(p),
            None => false,
        }
    }

    /// What `pass` may read of a need.
    pub async fn demand_face(&self, pass: &DemandPass, id: Option<i64>) -> Result<DemandFace> {
        let Some(id) = id else {
            return Ok(DemandFace {
                access: "none".into(),
                id: None,
                title: None,
                summary: None,
                brief: None,
            });
        };
        if let Some(s) = self.store.get_demand(id, pass).await? {
            if let Record::Demand(d) = s.record {
                return Ok(DemandFace {
                    access: "full".into(),
                    id: Some(id),
                    title: Some(d.title),
                    summary: d.public_summary,
                    brief: Some(d.problem),
                });
            }
        }
        Ok(match self.store.teaser(id).await? {
            Some(t) => DemandFace {
                access: "summary".into(),
                id: Some(id),
                title: None,
                summary: Some(t.summary),
                brief: None,
            },
            None => DemandFace {
                access: "hidden".into(),
                id: None,
                title: None,
                summary: None,
                brief: None,
            },
        })
    }

    pub(crate) async fn item_face(&self, kind: &str, id: i64) -> Result<ItemFace> {
        let rk = match kind {
            "outcome" => RecordKind::Outcome,
            "expert" => RecordKind::Person,
            _ => RecordKind::Organization,
        };
        let title = match self.store.get(rk, id).await?.map(|s| s.record) {
            Some(Record::Outcome(o)) => o.title,
            Some(Record::Person(p)) => p.name,
            Some(Record::Organization(o)) => o.name,
            _ => format!("#{id}"),
        };
        Ok(ItemFace {
            kind: kind.to_string(),
            id,
            title,
        })
    }

    /// The supply item's title (public registry data).
    pub async fn item_title(&self, kind: &str, id: i64) -> Result<String> {
        Ok(self.item_face(kind, id).await?.title)
    }

    pub(crate) async fn org_face(&self, id: i64) -> Result<OrgFace> {
        let name = match self.store.get(RecordKind::Organization, id).await? {
            Some(s) => match s.record {
                Record::Organization(o) => o.name,
                _ => format!("#{id}"),
            },
            None => format!("#{id}"),
        };
        Ok(OrgFace { id, name })
    }

    async fn contact(&self, user: i64) -> Result<Option<ContactFace>> {
        Ok(self.store.user(user).await?.map(|u| ContactFace {
            user_id: u.id,
            name: u.display_name,
            email: u.email,
            phone: u.phone,
        }))
    }

    /// Whether the need is NDA-only (read with the platform's pass: the answer, not the need).
    pub(crate) async fn nda_required(&self, demand: Option<i64>) -> Result<bool> {
        let Some(id) = demand else {
            return Ok(false);
        };
        Ok(match self.store.get_demand(id, &self.platform).await? {
            Some(s) => {
                matches!(&s.record, Record::Demand(d) if d.confidentiality == Confidentiality::Nda)
            }
            None => false,
        })
    }

    /// Whether the provider's organization holds a live signature on the need's NDA.
    pub(crate) async fn nda_signed(&self, e: &EngagementRow) -> Result<bool> {
        let Some(d) = e.demand_id else {
            return Ok(false);
        };
        Ok(self
            .store
            .nda_demands_of(e.provider_org)
            .await?
            .binary_search(&d)
            .is_ok())
    }

    async fn nda_state(
        &self,
        e: &EngagementRow,
        parties: &BTreeSet<&'static str>,
    ) -> Result<NdaState> {
        let required = self.nda_required(e.demand_id).await?;
        let signed = self.nda_signed(e).await?;
        let provider = parties.contains("provider");
        let can_sign = provider
            && e.demand_id.is_some()
            && !signed
            && (e.stage == "introduced"
                || (!required && matches!(e.stage.as_str(), "evaluation" | "negotiation")));
        let text = match (e.demand_id, provider && !signed) {
            (Some(d), true) => Some(self.nda_text(d).await?),
            _ => None,
        };
        Ok(NdaState {
            required,
            signed,
            can_sign,
            version: text.as_ref().map(|t| t.version),
            sha256: text.as_ref().map(|t| t.sha256.clone()),
            text: text.map(|t| t.body),
        })
    }

    /// The NDA text for a need: its own, else the platform default (stored on first use, so every
    /// signature names a stored version).
    pub(crate) async fn nda_text(&self, demand: i64) -> Result<store::NdaText> {
        if let Some(t) = self.store.nda_text(demand).await? {
            return Ok(t);
        }
        Ok(self.store.put_nda_text(None, super::DEFAULT_NDA).await?)
    }
}
