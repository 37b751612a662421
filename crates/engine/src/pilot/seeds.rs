//! The PoC seed list (概念验证"种子"清单): outcomes in the TRL band scored by IP strength, local market
//! pull, chain priority and team (`pilot::poc`, weights in `data/rules/poc.toml`), each criterion
//! explained; officials select seeds and send them to PoC centres, which accept or decline.
//!
//! Market pull counts only PUBLIC open needs of Chongqing enterprises (the shared index holds no
//! other), chain standing counts public needs only, and filings (unpublished applications) shape
//! the score but are not shown: the list is for officials, operators and PoC centres' staff.

use std::collections::{HashMap, HashSet};

use model::{Confidentiality, DemandStatus, Record, RecordKind};
use pilot::poc::{IpRight, NodeStanding, SeedFacts};

use super::Library;
use crate::chains::{ChainMap, DemandScope};
use crate::engagements::Actor;
use crate::matching::{Engines, Need};
use crate::{EngineError, Result};

/// What screening reads besides the store: the matching engines and the chain map.
pub struct ScreenContext<'a> {
    pub engines: &'a Engines,
    pub ranking: &'a search::matching::RankingConfig,
    pub chains: &'a ChainMap,
}

/// A local need an outcome matches.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullNeed {
    pub demand_id: i64,
    pub title: String,
    pub relevance: f64,
}

/// One criterion's part of a seed's score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeedPart {
    /// `ip`, `market`, `chain`, `team`.
    pub criterion: String,
    pub points: f64,
    pub max: u32,
    /// What would raise it (`ip_file`, `ip_grant`, `ip_claims`, `market_needs`, `chain_node`,
    /// `team_conversions`); none when full.
    pub raise: Option<String>,
}

/// A screened outcome.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeedFace {
    pub outcome_id: i64,
    pub title: String,
    pub owners: Vec<String>,
    pub trl: u8,
    /// 0–100.
    pub score: f64,
    pub parts: Vec<SeedPart>,
    /// `granted_invention`, `utility_model`, `application`, `none`.
    pub ip: String,
    /// Σ relevance × budget factor of the matching local needs.
    pub pull: f64,
    pub needs: Vec<PullNeed>,
    /// The chain node it sits on and its standing (`missing`, `weak`, `covered`, `unknown`).
    pub node: Option<String>,
    pub node_standing: String,
    pub conversions: u32,
    pub selected: bool,
    pub selection_note: String,
    /// Its applications to PoC centres: (application id, centre, status).
    pub applications: Vec<(i64, String, String)>,
}

/// Most outcomes a screening reads, and local needs it matches.
const MAX_OUTCOMES: i64 = 20_000;
const MAX_NEEDS: usize = 500;

fn today(store: &store::Store) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp(store.now_ts() + 8 * 3600, 0)
        .unwrap_or_default()
        .date_naive()
}

/// The IP an outcome shows the public: an application when it carries a patent number (of an
/// invention or utility model), nothing known about claims or term.
pub(crate) fn public_ip(o: &model::Outcome) -> (IpRight, u32, Option<f64>, bool) {
    match &o.patent_no {
        Some(p) if pilot::poc::patent_type(p.as_str()).is_some_and(|t| t != "design") => {
            (IpRight::Application, 0, None, false)
        }
        _ => (IpRight::None, 0, None, false),
    }
}

impl Library {
    /// Officials, operators and PoC centres' staff read the seed list.
    pub async fn may_screen(&self, actor: &Actor) -> Result<bool> {
        if actor.operator || actor.official {
            return Ok(true);
        }
        Ok(self
            .mine(actor)
            .await?
            .is_some_and(|p| p.kind == "poc_centre"))
    }

    /// The strongest right an outcome holds, its claims and the years left of its term: from its
    /// filings when recorded, else from its patent number's type (status unknown: an application).
    pub(crate) async fn ip_of(
        &self,
        outcome: i64,
        o: &model::Outcome,
    ) -> Result<(IpRight, u32, Option<f64>, bool)> {
        let r = &self.poc.ip;
        let today = today(&self.store);
        let mut best = (IpRight::None, 0u32, None, false);
        for f in self.store.filings_of_outcome(outcome).await? {
            let right = match (f.stage.as_str(), f.kind.as_str()) {
                ("granted", "invention") => IpRight::GrantedInvention,
                ("granted", "utility_model") => IpRight::UtilityModel,
                ("rejected" | "withdrawn", _) => continue,
                _ => IpRight::Application,
            };
            let years = if f.kind == "invention" {
                r.invention_years
            } else {
                r.utility_years
            };
            let left = chrono::NaiveDate::parse_from_str(&f.filed_on, "%Y-%m-%d")
                .ok()
                .map(|d| {
                    let end = d + chrono::Duration::days(i64::from(years) * 365);
                    (end - today).num_days() as f64 / 365.0
                });
            if right > best.0 {
                best = (right, u32::try_from(f.claims).unwrap_or(0), left, true);
            }
        }
        if best.0 == IpRight::None {
            if let Some(p) = &o.patent_no {
                if pilot::poc::patent_type(p.as_str()).is_some_and(|t| t != "design") {
                    best = (IpRight::Application, 0, None, false);
                }
            }
        }
        Ok(best)
    }

    /// outcome id → matching open public needs of Chongqing enterprises, with relevance and budget.
    async fn market(
        &self,
        cx: &ScreenContext<'_>,
        public: &[i64],
    ) -> Result<HashMap<i64, Vec<(PullNeed, Option<i64>)>>> {
        let mut out: HashMap<i64, Vec<(PullNeed, Option<i64>)>> = HashMap::new();
        for &id in public.iter().take(MAX_NEEDS) {
            let Some(s) = self.store.get(RecordKind::Demand, id).await? else {
                continue;
            };
            let Record::Demand(d) = &s.record else {
                continue;
            };
            if d.confidentiality != Confidentiality::Public || d.status != DemandStatus::Open {
                continue;
            }
            let local = match &d.region {
                Some(r) => r.tier() == model::RegionTier::Chongqing,
                None => {
                    let uscc = d.owner_uscc.as_ref().map(|u| u.to_string());
                    self.store
                        .find_organization(&d.owner, uscc.as_deref())
                        .await?
                        .is_some_and(|o| match &o.record {
                            Record::Organization(org) => org
                                .region
                                .as_ref()
                                .is_some_and(|r| r.tier() == model::RegionTier::Chongqing),
                            _ => false,
                        })
                }
            };
            if !local {
                continue;
            }
            let Some((text, ctx)) = crate::matching::need_of_demand(&s.record) else {
                continue;
            };
            let need = Need {
                text,
                ctx,
                filters: search::Filters {
                    record_kinds: vec![RecordKind::Outcome],
                    ..Default::default()
                },
                limit: 30,
                own: None,
            };
            let answer =
                crate::matching::match_need(&self.store, cx.engines, cx.ranking, &need).await?;
            let budget = d.budget.max.or(d.budget.min).map(|f| f.0);
            for h in answer.hits {
                out.entry(h.id as i64).or_default().push((
                    PullNeed {
                        demand_id: id,
                        title: d.title.clone(),
                        relevance: f64::from(h.relevance),
                    },
                    budget,
                ));
            }
        }
        Ok(out)
    }

    /// Names of people with past conversions: per contract, the expert engaged or the owners of
    /// the outcome sold.
    async fn converters(&self) -> Result<HashMap<String, u32>> {
        let mut out: HashMap<String, u32> = HashMap::new();
        for c in self.store.contracts(None, 5_000).await? {
            let Some(e) = self.store.engagement(c.engagement_id).await? else {
                continue;
            };
            let kind = match e.item_kind.as_str() {
                "expert" => RecordKind::Person,
                "outcome" => RecordKind::Outcome,
                _ => continue,
            };
            let Some(s) = self.store.get(kind, e.item_id).await? else {
                continue;
            };
            let names: HashSet<String> = match &s.record {
                Record::Person(p) => [p.name.clone()].into(),
                Record::Outcome(o) => o.owners.iter().cloned().collect(),
                _ => continue,
            };
            for n in names {
                *out.entry(n).or_default() += 1;
            }
        }
        Ok(out)
    }

    /// Screens the registry's outcomes in the TRL band, best first.
    pub async fn screen(
        &self,
        actor: &Actor,
        cx: &ScreenContext<'_>,
        band: Option<(u8, u8)>,
        limit: usize,
    ) -> Result<Vec<SeedFace>> {
        if !self.may_screen(actor).await? {
            return Err(EngineError::Forbidden(
                "the PoC seed list is read by officials, the operators and PoC centres' staff"
                    .into(),
            ));
        }
        let (lo, hi) = band.unwrap_or((self.poc.trl_min, self.poc.trl_max));
        if !(1..=9).contains(&lo) || !(lo..=9).contains(&hi) {
            return Err(EngineError::Input(
                "trl_min, trl_max: levels 1–9, min ≤ max".into(),
            ));
        }
        let rules = pilot::poc::PocRules {
            trl_min: lo,
            trl_max: hi,
            ..self.poc.clone()
        };
        // The public needs, read once: market pull and chain standing both count them.
        let public_ids = self.store.public_demand_ids().await?;
        let market = self.market(cx, &public_ids).await?;
        let converters = self.converters().await?;
        let mut candidates = vec![];
        let mut after = 0;
        let mut read = 0;
        'pages: loop {
            let page = self.store.list(RecordKind::Outcome, after, 500).await?;
            if page.is_empty() {
                break;
            }
            for s in page {
                after = s.id;
                read += 1;
                if read > MAX_OUTCOMES {
                    break 'pages;
                }
                if let Record::Outcome(o) = s.record {
                    if o.trl.is_some_and(|t| (lo..=hi).contains(&t.get())) {
                        candidates.push((s.id, o));
                    }
                }
            }
        }
        // The chain nodes each candidate sits on (assigned by the chain map, or declared), and the
        // standing of those nodes in Chongqing, counting public needs only.
        let mut nodes_of: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, o) in &candidates {
            let mut n: Vec<String> = self
                .store
                .chain_assignments_of("outcome", *id)
                .await?
                .into_iter()
                .map(|a| a.node)
                .collect();
            n.extend(o.chain_nodes.iter().cloned());
            n.dedup();
            nodes_of.insert(*id, n);
        }
        let clusters: Vec<String> = nodes_of
            .values()
            .flatten()
            .filter_map(|n| n.split('.').next().map(str::to_string))
            .chain(candidates.iter().flat_map(|(_, o)| o.clusters.clone()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let public: HashSet<i64> = public_ids.into_iter().collect();
        let region = crate::chains::analysis_region(None)?;
        let mut standing: HashMap<String, NodeStanding> = HashMap::new();
        for g in crate::chains::gaps_for(
            &self.store,
            cx.chains,
            &clusters,
            &region,
            DemandScope::Only(&public),
            today(&self.store),
        )
        .await?
        {
            for n in g.nodes {
                standing.insert(
                    n.node.clone(),
                    match n.status {
                        chain::GapStatus::Missing => NodeStanding::Missing,
                        chain::GapStatus::Weak => NodeStanding::Weak,
                        chain::GapStatus::Strong => NodeStanding::Covered,
                    },
                );
            }
        }
        let selected: HashMap<i64, String> = self
            .store
            .seeds()
            .await?
            .into_iter()
            .map(|s| (s.outcome_id, s.note))
            .collect();
        // Officials and operators read filings and every application; a centre's staff read the
        // public patent numbers only (an unpublished filing is its applicant's) and their own
        // centre's applications.
        let all = actor.official || actor.operator;
        let own_centre = match self.mine(actor).await? {
            Some(p) if !all => Some(p.id),
            _ => None,
        };
        let mut apps: HashMap<i64, Vec<(i64, String, String)>> = HashMap::new();
        for a in self.store.poc_applications(own_centre, None).await? {
            let name = self
                .store
                .platform(a.platform_id)
                .await?
                .map(|p| p.org_name)
                .unwrap_or_default();
            apps.entry(a.outcome_id)
                .or_default()
                .push((a.id, name, a.status));
        }
        let mut out = vec![];
        for (id, o) in candidates {
            let (ip, claims, years_left, _) = if all {
                self.ip_of(id, &o).await?
            } else {
                public_ip(&o)
            };
            let needs = market.get(&id).cloned().unwrap_or_default();
            let rank = |s: NodeStanding| match s {
                NodeStanding::Missing => 0,
                NodeStanding::Weak => 1,
                NodeStanding::Covered => 2,
                NodeStanding::Unknown => 3,
            };
            let node = nodes_of
                .get(&id)
                .into_iter()
                .flatten()
                .map(|n| {
                    (
                        n.clone(),
                        standing.get(n).copied().unwrap_or(NodeStanding::Unknown),
                    )
                })
                .min_by_key(|(_, s)| rank(*s));
            let conversions = o
                .owners
                .iter()
                .filter_map(|n| converters.get(n))
                .copied()
                .max()
                .unwrap_or(0);
            let facts = SeedFacts {
                trl: o.trl.map(|t| t.get()),
                ip,
                claims,
                years_left,
                needs: needs.iter().map(|(n, b)| (n.relevance, *b)).collect(),
                node: node.as_ref().map_or(NodeStanding::Unknown, |n| n.1),
                conversions,
            };
            let s = rules.score(&facts);
            let mut shown: Vec<PullNeed> = needs
                .into_iter()
                .filter(|(n, _)| n.relevance >= rules.market.min_relevance)
                .map(|(n, _)| n)
                .collect();
            shown.sort_by(|a, b| b.relevance.total_cmp(&a.relevance));
            shown.truncate(3);
            out.push(SeedFace {
                outcome_id: id,
                title: o.title.clone(),
                owners: o.owners.clone(),
                trl: facts.trl.unwrap_or(0),
                score: s.score,
                parts: s
                    .parts
                    .into_iter()
                    .map(|p| SeedPart {
                        criterion: p.criterion,
                        points: p.points,
                        max: p.max,
                        raise: p.raise,
                    })
                    .collect(),
                ip: serde_json::to_value(ip)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                pull: (s.pull * 100.0).round() / 100.0,
                needs: shown,
                node_standing: serde_json::to_value(facts.node)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                node: node.map(|n| n.0),
                conversions,
                selected: selected.contains_key(&id),
                selection_note: selected.get(&id).cloned().unwrap_or_default(),
                applications: apps.remove(&id).unwrap_or_default(),
            });
        }
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.outcome_id.cmp(&b.outcome_id))
        });
        out.truncate(limit.clamp(1, 1_000));
        Ok(out)
    }

    /// Selects (or, with `selected` false, unselects) an outcome as a seed: officials and operators.
    pub async fn select_seed(
        &self,
        actor: &Actor,
        outcome: i64,
        selected: bool,
        note: &str,
        snapshot: &str,
    ) -> Result<()> {
        if !(actor.official || actor.operator) {
            return Err(EngineError::Forbidden(
                "officials and the operators select PoC seeds".into(),
            ));
        }
        super::check_len("note", note, 2_000)?;
        match self.store.get(RecordKind::Outcome, outcome).await? {
            Some(s) if matches!(s.record, Record::Outcome(_)) => {}
            _ => return Err(EngineError::NotFound(format!("no outcome #{outcome}"))),
        }
        if selected {
            self.store
                .select_seed(
                    outcome,
                    actor.user_id,
                    note.trim(),
                    snapshot,
                    &actor.username,
                )
                .await?;
        } else {
            self.store.unselect_seed(outcome, &actor.username).await?;
        }
        Ok(())
    }
}
