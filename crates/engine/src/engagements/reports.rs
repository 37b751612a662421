//! What engagements add up to: the inbox, technology contracts, broker proposals and performance,
//! the operators' board of stalled engagements, each side's reasons for losing, the relevance labels
//! for the matching engine, and the reminders that keep deals from stalling.

use std::collections::{BTreeMap, BTreeSet};

use model::{Record, RecordKind};
use store::{ContractRow, DemandPass, EngagementRow, EngagementScope, LabelRow};

use super::{Actor, Desk, EngagementSummary, ItemFace, OrgFace};
use crate::{EngineError, Result};

/// A notification for its reader: facts, put into words by the page or mail that shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeFace {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub read: bool,
    /// `opened`, `moved`, `nda_signed`, `broker_assigned`, `reminder`, `escalated`.
    pub event: String,
    pub engagement_id: Option<i64>,
    /// The challenge it concerns (challenge events; `item` then holds the challenge's title).
    pub challenge_id: Option<i64>,
    /// The equipment booking it concerns (booking events; `item` then holds the equipment's name).
    pub booking_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The engagement's supply item (public registry data; never the need's text).
    pub item: Option<ItemFace>,
}

/// A technology contract with its parties by name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractFace {
    pub id: i64,
    pub engagement_id: i64,
    pub contract_type: String,
    pub amount_fen: i64,
    pub seller: OrgFace,
    pub buyer: OrgFace,
    pub ip_ownership: String,
    pub signed_on: String,
    pub registration_no: Option<String>,
    pub registered_on: Option<String>,
    /// The buyer is in Chongqing.
    pub buyer_local: bool,
}

/// A broker proposed for an engagement, with why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrokerProposal {
    pub user_id: i64,
    pub name: String,
    pub score: f64,
    /// Clusters the broker covers that the item or the seeker is in.
    pub clusters: Vec<String>,
    /// The broker's keywords found in the item.
    pub keywords: Vec<String>,
    /// The broker works in the seeker's region.
    pub region: bool,
    /// Open engagements the broker accompanies now.
    pub load: i64,
}

/// Median days spent in one stage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageDays {
    pub stage: String,
    pub median_days: f64,
    /// Engagements that left the stage (the median's sample).
    pub count: usize,
}

/// How a broker's engagements went.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrokerPerformance {
    pub user_id: i64,
    pub name: String,
    pub handled: usize,
    pub open: usize,
    pub introduced: usize,
    pub contracted: usize,
    /// introduced ÷ handled (0 when none).
    pub introduced_rate: f64,
    /// contracted ÷ handled.
    pub contracted_rate: f64,
    pub contract_value_fen: i64,
    pub stage_days: Vec<StageDays>,
}

/// An engagement that has not moved for too long.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stalled {
    pub engagement: EngagementSummary,
    pub idle_days: i64,
    /// Whose move it waits for: `counterpart`, `both`.
    pub awaits: String,
    pub broker: bool,
}

/// Why an organization's engagements ended without a contract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LossReasons {
    pub engagements: usize,
    pub contracted: usize,
    pub closed_lost: usize,
    pub withdrawn: usize,
    /// (reason code, count), most frequent first.
    pub by_reason: Vec<(String, usize)>,
}

const SECONDS_A_DAY: i64 = 86_400;

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

impl Desk {
    /// The actor's newest notifications and how many are unread.
    pub async fn inbox(&self, actor: &Actor, limit: i64) -> Result<(Vec<NoticeFace>, i64)> {
        let rows = self.store.inbox(actor.user_id, limit).await?;
        let mut items: BTreeMap<i64, ItemFace> = BTreeMap::new();
        let mut out = vec![];
        for n in rows {
            let item = match n.engagement_id {
                Some(eid) => match items.get(&eid) {
                    Some(i) => Some(i.clone()),
                    None => match self.store.engagement(eid).await? {
                        Some(e) => {
                            let i = self.item_face(&e.item_kind, e.item_id).await?;
                            items.insert(eid, i.clone());
                            Some(i)
                        }
                        None => None,
                    },
                },
                None => match n.challenge_id {
                    Some(cid) => self.store.challenge(cid).await?.map(|c| ItemFace {
                        kind: c.kind,
                        id: c.id,
                        title: c.title,
                    }),
                    None => match n.booking_id {
                        Some(bid) => match self.store.booking(bid).await? {
                            Some(b) => {
                                self.store
                                    .equipment(b.equipment_id)
                                    .await?
                                    .map(|e| ItemFace {
                                        kind: "booking".into(),
                                        id: bid,
                                        title: e.name,
                                    })
                            }
                            None => None,
                        },
                        None => None,
                    },
                },
            };
            out.push(NoticeFace {
                id: n.id,
                at: n.at,
                read: n.read_at.is_some(),
                event: n.event,
                engagement_id: n.engagement_id,
                challenge_id: n.challenge_id,
                booking_id: n.booking_id,
                from: n.from_stage,
                to: n.to_stage,
                item,
            });
        }
        Ok((out, self.store.unread(actor.user_id).await?))
    }

    /// Contracts: every one for operators and officials, an organization's own for its users.
    pub async fn contracts(&self, actor: &Actor, limit: i64) -> Result<Vec<ContractFace>> {
        let rows = if actor.operator || actor.official {
            self.store.contracts(None, limit).await?
        } else if let Some(org) = actor.org {
            self.store.contracts(Some(org), limit).await?
        } else {
            return Err(EngineError::Forbidden(
                "contracts are read by their parties, operators and government users".into(),
            ));
        };
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            out.push(self.contract_face(c).await?);
        }
        Ok(out)
    }

    pub(crate) async fn contract_face(&self, c: ContractRow) -> Result<ContractFace> {
        Ok(ContractFace {
            id: c.id,
            engagement_id: c.engagement_id,
            contract_type: c.contract_type,
            amount_fen: c.amount_fen,
            seller: self.org_face(c.seller_org).await?,
            buyer: self.org_face(c.buyer_org).await?,
            ip_ownership: c.ip_ownership,
            signed_on: c.signed_on,
            registration_no: c.registration_no,
            registered_on: c.registered_on,
            buyer_local: c.buyer_local != 0,
        })
    }

    /// The workflow's open stages.
    pub(crate) fn open_stages(&self) -> Vec<&str> {
        self.flow
            .states
            .iter()
            .filter(|s| s.open)
            .map(|s| s.code.as_str())
            .collect()
    }

    /// Brokers for an engagement, best fit first: clusters of the item and the seeker, the
    /// broker's keywords in the item, the seeker's region, less the broker's current load.
    pub async fn propose_brokers(&self, actor: &Actor, id: i64) -> Result<Vec<BrokerProposal>> {
        let (e, _) = self.engagement_for(actor, id).await?;
        let mut clusters: BTreeSet<String> = BTreeSet::new();
        let mut text = String::new();
        let item_kind = match e.item_kind.as_str() {
            "outcome" => RecordKind::Outcome,
            "expert" => RecordKind::Person,
            _ => RecordKind::Organization,
        };
        if let Some(s) = self.store.get(item_kind, e.item_id).await? {
            text = crate::matching::search_text(&s.record).to_lowercase();
            match &s.record {
                Record::Outcome(o) => clusters.extend(o.clusters.iter().cloned()),
                Record::Person(p) => clusters.extend(p.clusters.iter().cloned()),
                Record::Organization(o) => clusters.extend(o.clusters.iter().cloned()),
                Record::Demand(_) => {}
            }
        }
        let mut region = None;
        if let Some(s) = self
            .store
            .get(RecordKind::Organization, e.seeker_org)
            .await?
        {
            if let Record::Organization(o) = &s.record {
                clusters.extend(o.clusters.iter().cloned());
                region = o.region.as_ref().map(|r| r.key().to_string());
            }
        }
        let mut out = vec![];
        for (b, load) in self.store.brokers(&self.open_stages()).await? {
            let Some(u) = self.store.user(b.user_id).await? else {
                continue;
            };
            if u.disabled != 0 || u.role != "broker" {
                continue;
            }
            let cl: Vec<String> = b
                .clusters
                .iter()
                .filter(|c| clusters.contains(*c))
                .cloned()
                .collect();
            let kw: Vec<String> = b
                .keywords
                .iter()
                .filter(|k| !k.trim().is_empty() && text.contains(&k.to_lowercase()))
                .cloned()
                .collect();
            let in_region = region.as_ref().is_some_and(|r| b.regions.contains(r));
            let score = 2.0 * cl.len() as f64 + kw.len() as f64 + f64::from(u8::from(in_region))
                - 0.25 * load as f64;
            out.push(BrokerProposal {
                user_id: b.user_id,
                name: u.display_name,
                score,
                clusters: cl,
                keywords: kw,
                region: in_region,
                load,
            });
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.load.cmp(&b.load)));
        Ok(out)
    }

    /// A broker's record: the broker, operators and government users read it.
    pub async fn broker_performance(
        &self,
        actor: &Actor,
        broker: i64,
    ) -> Result<BrokerPerformance> {
        let missing = || EngineError::NotFound(format!("no broker #{broker}"));
        if !(actor.operator || actor.official || actor.user_id == broker) {
            return Err(missing());
        }
        let u = self.store.user(broker).await?.ok_or_else(missing)?;
        if u.role != "broker" {
            return Err(missing());
        }
        let rows = self
            .store
            .engagements(&EngagementScope::Broker(broker), 100_000)
            .await?;
        let mut days: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        let mut value = 0;
        for e in &rows {
            let events = self.store.engagement_events(e.id).await?;
            for w in events.windows(2) {
                if w[0].to_stage != w[1].to_stage {
                    days.entry(w[0].to_stage.clone())
                        .or_default()
                        .push((w[1].at - w[0].at) as f64 / SECONDS_A_DAY as f64);
                }
            }
            if let Some(c) = self.store.contract_of(e.id).await? {
                value += c.amount_fen;
            }
        }
        let handled = rows.len();
        let introduced = rows
            .iter()
            .filter(|e| e.furthest_grade.is_some_and(|g| g >= 1))
            .count();
        let contracted = rows
            .iter()
            .filter(|e| matches!(e.stage.as_str(), "contracted" | "follow_up"))
            .count();
        let rate = |n: usize| {
            if handled == 0 {
                0.0
            } else {
                n as f64 / handled as f64
            }
        };
        let order: Vec<&str> = self.flow.states.iter().map(|s| s.code.as_str()).collect();
        let mut stage_days: Vec<StageDays> = days
            .into_iter()
            .map(|(stage, mut v)| StageDays {
                count: v.len(),
                median_days: (median(&mut v) * 10.0).round() / 10.0,
                stage,
            })
            .collect();
        stage_days.sort_by_key(|s| order.iter().position(|o| *o == s.stage));
        Ok(BrokerPerformance {
            user_id: broker,
            name: u.display_name,
            handled,
            open: rows.iter().filter(|e| self.flow.is_open(&e.stage)).count(),
            introduced,
            contracted,
            introduced_rate: rate(introduced),
            contracted_rate: rate(contracted),
            contract_value_fen: value,
            stage_days,
        })
    }

    /// Open engagements idle for `days` or more, longest idle first (the operators' board).
    pub async fn stalled(
        &self,
        actor: &Actor,
        pass: &DemandPass,
        days: i64,
        now: i64,
    ) -> Result<Vec<Stalled>> {
        if !actor.operator {
            return Err(EngineError::Forbidden(
                "the board of stalled engagements is for platform operators".into(),
            ));
        }
        let rows = self
            .store
            .engagements_idle(&self.open_stages(), now - days * SECONDS_A_DAY, 500)
            .await?;
        let mut out = vec![];
        for e in rows {
            out.push(Stalled {
                idle_days: (now - e.stage_at) / SECONDS_A_DAY,
                awaits: self
                    .flow
                    .state(&e.stage)
                    .and_then(|s| s.awaits.clone())
                    .unwrap_or_default(),
                broker: e.broker_user.is_some(),
                engagement: self.summary(actor, pass, &e).await?,
            });
        }
        Ok(out)
    }

    /// How an organization's engagements ended: contracts, losses by reason, withdrawals.
    pub async fn why_we_lose(&self, org: i64) -> Result<LossReasons> {
        let rows = self
            .store
            .engagements(&EngagementScope::Org(org), 100_000)
            .await?;
        let mut by: BTreeMap<String, usize> = BTreeMap::new();
        for e in rows.iter().filter(|e| e.stage == "closed_lost") {
            *by.entry(e.close_reason.clone().unwrap_or_else(|| "other".into()))
                .or_default() += 1;
        }
        let mut by_reason: Vec<(String, usize)> = by.into_iter().collect();
        by_reason.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(LossReasons {
            engagements: rows.len(),
            contracted: rows
                .iter()
                .filter(|e| matches!(e.stage.as_str(), "contracted" | "follow_up"))
                .count(),
            closed_lost: rows.iter().filter(|e| e.stage == "closed_lost").count(),
            withdrawn: rows.iter().filter(|e| e.stage == "withdrawn").count(),
            by_reason,
        })
    }

    /// The relevance labels engagements left; those of confidential needs only when asked for
    /// (an operator's export).
    pub async fn labels(&self, include_confidential: bool) -> Result<Vec<LabelRow>> {
        Ok(self
            .store
            .relevance_labels()
            .await?
            .into_iter()
            .filter(|l| include_confidential || l.confidentiality == "public")
            .collect())
    }

    /// Reminds the awaited side of every engagement idle for the configured days (not reminded
    /// since), and tells its broker; how many were reminded. Safe to run often.
    pub async fn remind(&self, now: i64) -> Result<usize> {
        let before = now - self.reminder_days * SECONDS_A_DAY;
        let rows: Vec<EngagementRow> = self
            .store
            .engagements_idle(&self.open_stages(), before, 500)
            .await?;
        let mut n = 0;
        for e in rows
            .iter()
            .filter(|e| e.reminded_at.is_none_or(|r| r < before))
        {
            let awaits = self.flow.state(&e.stage).and_then(|s| s.awaits.as_deref());
            let counterpart = if e.opener_side == "seeker" {
                e.provider_org
            } else {
                e.seeker_org
            };
            let orgs: Vec<i64> = match awaits {
                Some("counterpart") => vec![counterpart],
                Some(_) => vec![e.seeker_org, e.provider_org],
                None => continue,
            };
            let mut notify = self.notices(&orgs, &[], 0, "reminder").await?;
            if let Some(b) = e.broker_user {
                notify.extend(self.notices(&[], &[b], 0, "escalated").await?);
            }
            if self.store.remind_engagement(e, &notify, now).await? {
                n += 1;
            }
        }
        Ok(n)
    }
}
