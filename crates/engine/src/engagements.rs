//! Engagements (对接): the use cases that take a match to a contract — open, look, move, sign the
//! NDA, assign a broker — on the one workflow mechanism (`flow`) with the engagement definition in
//! `data/workflows/engagement.toml`.
//!
//! Who may do what is decided here from facts, never from the caller's word: the actor's parties in
//! this engagement (seeker, provider, opener, counterpart, broker, operator) come from the store,
//! and someone who is no party learns nothing (the engagement answers "not found"). What a party
//! reads of the demand follows its rights: the full brief with a pass that reaches it, the public
//! summary of an NDA-only need otherwise, or nothing but the fact that it is confidential.

mod moves;
mod reports;
mod teasers;
mod view;

use std::collections::BTreeSet;

use model::{OrgKind, Record, RecordKind};
use store::{DemandPass, EngagementRow, NewEngagement, NewNotice, Store};

use crate::{EngineError, Result};

pub use moves::{ContractInput, EvaluationInput, PlacementInput, ReportInput, TransitionRequest};
pub use reports::{
    BrokerPerformance, BrokerProposal, ContractFace, LossReasons, NoticeFace, StageDays, Stalled,
};
pub use teasers::TeaserMatch;
pub use view::{
    ContactFace, DemandFace, EngagementSummary, EngagementView, EventFace, ItemFace, NdaState,
    OrgFace,
};

/// The parties a workflow definition may name, and the guards the engine evaluates.
pub const PARTIES: &[&str] = &[
    "seeker",
    "provider",
    "opener",
    "counterpart",
    "broker",
    "operator",
];
pub const GUARDS: &[&str] = &[
    "reason_given",
    "nda_signature",
    "nda_settled",
    "agreement_given",
    "report_given",
];

/// The shipped vocabulary of the workflow's records (contract types, IP ownership …).
pub const VOCABULARY: &str = include_str!("../../../data/workflows/vocabulary.toml");
/// The platform's default NDA text (a demand may have its own).
pub const DEFAULT_NDA: &str = include_str!("../../../data/workflows/nda-default.txt");

/// Codes the workflow records besides its stages (see `data/workflows/vocabulary.toml`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    pub contract_types: Vec<String>,
    pub ip_ownership: Vec<String>,
    pub evaluation_kinds: Vec<String>,
    pub report_kinds: Vec<String>,
    pub placement_posts: Vec<String>,
    pub reminder_days: i64,
}

/// The engagement desk: the store, the workflow, and the platform's own pass (to find who owns a
/// demand the actor may not read, so its owner can be told and asked).
pub struct Desk {
    pub store: Store,
    pub flow: flow::Definition,
    pub vocab: Vocabulary,
    platform: DemandPass,
    /// Days without a move before the awaited side is reminded.
    pub reminder_days: i64,
    /// Whether e-mail deliveries are queued (an SMTP server is configured).
    pub email: bool,
}

/// Who acts, as the engine needs to know them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub org: Option<i64>,
    /// Platform operators and administrators.
    pub operator: bool,
    /// Technology brokers.
    pub broker: bool,
    /// Government users (they read contracts and broker performance, not engagements).
    pub official: bool,
}

/// A supply item an engagement is about.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemRef {
    /// `outcome`, `expert`, or `organization` (a lab, PoC centre, pilot platform, university …).
    pub kind: String,
    pub id: i64,
}

/// What opening an engagement takes.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenRequest {
    /// The need (none: an outcome offered to an enterprise named by `seeker_org_id`).
    #[serde(default)]
    pub demand_id: Option<i64>,
    pub item: ItemRef,
    /// What the opener says to the other side (at most 2,000 characters).
    #[serde(default)]
    pub message: String,
    /// `transfer` (default) or `placement` (an expert serving in an enterprise: 科技副总 / 产业教授).
    #[serde(default)]
    pub purpose: Option<String>,
    /// The enterprise an outcome is offered to, when there is no need.
    #[serde(default)]
    pub seeker_org_id: Option<i64>,
    /// Ask for a technology broker to accompany the deal.
    #[serde(default)]
    pub want_broker: bool,
}

/// Longest opening message or note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Most engagements one organization opens in 24 hours: each one lands in another organization's
/// inbox and mail, so opening is bounded like any message others receive.
pub const MAX_OPENED_A_DAY: i64 = 50;

impl Desk {
    /// The desk over `store` with the shipped workflow; `platform` must reach every demand.
    pub fn new(store: Store, platform: DemandPass, email: bool) -> Result<Desk> {
        let flow = flow::Definition::load("engagement.toml", flow::ENGAGEMENT, PARTIES, GUARDS)
            .map_err(|e| EngineError::Setup(e.to_string()))?;
        let vocab: Vocabulary = toml::from_str(VOCABULARY)
            .map_err(|e| EngineError::Setup(format!("vocabulary.toml: {e}")))?;
        Ok(Desk {
            store,
            reminder_days: vocab.reminder_days,
            flow,
            vocab,
            platform,
            email,
        })
    }

    /// The actor's parties in an engagement (empty: no party; they may not see it).
    pub fn parties(&self, actor: &Actor, e: &EngagementRow) -> BTreeSet<&'static str> {
        let mut p = BTreeSet::new();
        let side = if actor.org == Some(e.seeker_org) {
            Some("seeker")
        } else if actor.org == Some(e.provider_org) {
            Some("provider")
        } else {
            None
        };
        if let Some(side) = side {
            p.insert(side);
            p.insert(if side == e.opener_side {
                "opener"
            } else {
                "counterpart"
            });
        }
        if e.broker_user == Some(actor.user_id) {
            p.insert("broker");
        }
        if actor.operator {
            p.insert("operator");
        }
        p
    }

    /// The engagement when the actor is a party to it; "not found" otherwise, alike.
    async fn engagement_for(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(EngagementRow, BTreeSet<&'static str>)> {
        let missing = || EngineError::NotFound(format!("no engagement #{id}"));
        let e = self.store.engagement(id).await?.ok_or_else(missing)?;
        let parties = self.parties(actor, &e);
        if parties.is_empty() {
            return Err(missing());
        }
        Ok((e, parties))
    }

    /// Opens an engagement (see the module doc for who may); its view for the opener.
    pub async fn open(
        &self,
        actor: &Actor,
        pass: &DemandPass,
        req: &OpenRequest,
    ) -> Result<EngagementView> {
        let Some(own) = actor.org else {
            return Err(EngineError::Forbidden(
                "only users of an enterprise, university or institution open engagements".into(),
            ));
        };
        let message = req.message.trim().to_string();
        check_note("message", &message)?;
        let purpose = req.purpose.clone().unwrap_or_else(|| "transfer".into());
        if purpose != "transfer" && purpose != "placement" {
            return Err(EngineError::Input(format!(
                "purpose: `{purpose}` is not a purpose; use `transfer` or `placement`"
            )));
        }
        let provider_org = self.provider_of(&req.item).await?;
        if purpose == "placement" && req.item.kind != "expert" {
            return Err(EngineError::Input(
                "item.kind: a placement is about an expert; name one with kind `expert`".into(),
            ));
        }
        let seeker_org = match req.demand_id {
            Some(d) => {
                let owner = self.demand_owner_for(pass, d).await?;
                if req.seeker_org_id.is_some_and(|s| s != owner) {
                    return Err(EngineError::Input(
                        "seeker_org_id: the need's owner is the seeker; leave seeker_org_id out"
                            .into(),
                    ));
                }
                owner
            }
            None => {
                let Some(s) = req.seeker_org_id else {
                    return Err(EngineError::Input(
                        "demand_id or seeker_org_id: name the need, or the enterprise you offer the item to".into(),
                    ));
                };
                self.enterprise(s).await?;
                s
            }
        };
        if seeker_org == provider_org {
            return Err(EngineError::Input(
                "item: the need and the item belong to the same organization".into(),
            ));
        }
        let opener_side = if own == seeker_org {
            "seeker"
        } else if own == provider_org {
            "provider"
        } else {
            return Err(EngineError::Forbidden(
                "your organization is neither the need's owner nor the item's: only the two sides open an engagement".into(),
            ));
        };
        let day_ago = self.store.now_ts() - 86_400;
        if self.store.engagements_opened_by_org(own, day_ago).await? >= MAX_OPENED_A_DAY {
            return Err(EngineError::Limited(format!(
                "your organization opened {MAX_OPENED_A_DAY} engagements in the last 24 hours; try again later"
            )));
        }
        let open = self.open_stages();
        if let Some(id) = self
            .store
            .open_engagement_on(
                seeker_org,
                provider_org,
                req.demand_id,
                (&req.item.kind, req.item.id),
                &open,
            )
            .await?
        {
            return Err(EngineError::Conflict(format!(
                "engagement #{id} on this need and item is still open; continue it there"
            )));
        }
        let counterpart = if opener_side == "seeker" {
            provider_org
        } else {
            seeker_org
        };
        let notify = self
            .notices(&[counterpart], &[], actor.user_id, "opened")
            .await?;
        let id = self
            .store
            .open_engagement(&NewEngagement {
                purpose,
                demand_id: req.demand_id,
                item_kind: req.item.kind.clone(),
                item_id: req.item.id,
                seeker_org,
                provider_org,
                opened_by: actor.user_id,
                opener_side: opener_side.into(),
                broker_wanted: req.want_broker,
                expert_id: (req.item.kind == "expert").then_some(req.item.id),
                stage: self.flow.workflow.initial.clone(),
                message,
                notify,
                actor: actor.username.clone(),
            })
            .await?;
        self.show(actor, pass, id).await
    }

    /// The organization behind a supply item.
    pub async fn provider_of(&self, item: &ItemRef) -> Result<i64> {
        let kind = match item.kind.as_str() {
            "outcome" => RecordKind::Outcome,
            "expert" => RecordKind::Person,
            "organization" => RecordKind::Organization,
            other => {
                return Err(EngineError::Input(format!(
                    "item.kind: `{other}` is not a supply item; use outcome, expert or organization"
                )))
            }
        };
        let Some(s) = self.store.get(kind, item.id).await? else {
            return Err(EngineError::NotFound(format!(
                "no {} #{}",
                item.kind, item.id
            )));
        };
        let unregistered = || {
            EngineError::Input(format!(
                "item: the organization behind {} #{} is not registered on the platform; ask an operator to register it first",
                item.kind, item.id
            ))
        };
        match &s.record {
            Record::Outcome(o) => {
                let uscc = o.owner_uscc.as_ref().map(|u| u.to_string());
                for name in o.owners.iter().map(String::as_str).chain([""]) {
                    if name.is_empty() && uscc.is_none() {
                        continue;
                    }
                    if let Some(org) = self.store.find_organization(name, uscc.as_deref()).await? {
                        return Ok(org.id);
                    }
                }
                Err(unregistered())
            }
            Record::Person(p) => match &p.affiliation {
                Some(a) => Ok(self
                    .store
                    .find_organization(a, None)
                    .await?
                    .ok_or_else(unregistered)?
                    .id),
                None => Err(unregistered()),
            },
            Record::Organization(o) => {
                if matches!(
                    o.kind,
                    OrgKind::Enterprise | OrgKind::Bank | OrgKind::Fund | OrgKind::Government
                ) {
                    return Err(EngineError::Input(format!(
                        "item: organization #{} is not a lab, institution or platform; name one of its outcomes instead",
                        item.id
                    )));
                }
                Ok(s.id)
            }
            Record::Demand(_) => Err(unregistered()),
        }
    }

    /// The owner organization of a need the actor may open an engagement on: one its pass reaches,
    /// or an NDA-only need with a public summary. Anything else is "not found".
    pub(crate) async fn demand_owner_for(&self, pass: &DemandPass, id: i64) -> Result<i64> {
        let missing = || EngineError::NotFound(format!("no demand #{id}"));
        let readable = self.store.get_demand(id, pass).await?.is_some()
            || self.store.teaser(id).await?.is_some();
        if !readable {
            return Err(missing());
        }
        let s = self
            .store
            .get_demand(id, &self.platform)
            .await?
            .ok_or_else(missing)?;
        let Record::Demand(d) = &s.record else {
            return Err(missing());
        };
        if d.status != model::DemandStatus::Open {
            return Err(EngineError::Input(format!(
                "demand_id: need #{id} is no longer open"
            )));
        }
        let uscc = d.owner_uscc.as_ref().map(|u| u.to_string());
        match self.store.find_organization(&d.owner, uscc.as_deref()).await? {
            Some(o) => Ok(o.id),
            None => Err(EngineError::Input(format!(
                "demand_id: the owner of need #{id} is not a registered organization, so nobody can answer for it yet"
            ))),
        }
    }

    /// An enterprise organization by id.
    async fn enterprise(&self, id: i64) -> Result<()> {
        match self.store.get(RecordKind::Organization, id).await? {
            Some(s) if matches!(&s.record, Record::Organization(o) if o.kind == OrgKind::Enterprise) => {
                Ok(())
            }
            _ => Err(EngineError::Input(format!(
                "seeker_org_id: #{id} is not a registered enterprise"
            ))),
        }
    }

    /// The notifications for the users of `orgs` and the `users` named, the actor excepted: an
    /// e-mail to those with an address (when e-mail is on), and one webhook call per organization
    /// that set a URL.
    pub(crate) async fn notices(
        &self,
        orgs: &[i64],
        users: &[i64],
        actor: i64,
        event: &str,
    ) -> Result<Vec<NewNotice>> {
        let mut out: Vec<NewNotice> = vec![];
        let mut seen = BTreeSet::from([actor]);
        for &org in orgs {
            let hook = self.store.org_webhook(org).await?;
            let mut first = true;
            for u in self.store.users_of_org(org).await? {
                if !seen.insert(u.id) {
                    continue;
                }
                let mut deliveries = vec![];
                if let (true, Some(mail)) = (self.email, u.email.as_ref()) {
                    deliveries.push(("email".to_string(), mail.clone()));
                }
                if let (true, Some(url)) = (first, hook.as_ref()) {
                    deliveries.push(("webhook".to_string(), url.clone()));
                    first = false;
                }
                out.push(NewNotice {
                    user_id: u.id,
                    event: event.into(),
                    deliveries,
                });
            }
        }
        for &uid in users {
            if !seen.insert(uid) {
                continue;
            }
            let Some(u) = self.store.user(uid).await? else {
                continue;
            };
            let mut deliveries = vec![];
            if let (true, Some(mail)) = (self.email, u.email.as_ref()) {
                deliveries.push(("email".to_string(), mail.clone()));
            }
            out.push(NewNotice {
                user_id: u.id,
                event: event.into(),
                deliveries,
            });
        }
        Ok(out)
    }
}

/// A note or message fits: at most [`MAX_NOTE_CHARS`] characters.
fn check_note(field: &str, text: &str) -> Result<()> {
    let n = text.chars().count();
    if n > MAX_NOTE_CHARS {
        return Err(EngineError::Input(format!(
            "{field}: {n} characters; keep it under {MAX_NOTE_CHARS}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
