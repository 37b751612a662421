//! What the ranking remembers of deals: the not-relevant verdicts on public needs, and where each
//! organization signed technology contracts on the platform. Read from the store once and kept until a
//! label or a contract is written (the store's deals stamp changes), so a match costs one small query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use model::{Record, RecordKind};
use search::feedback::{shingles, JudgedNeed, Verdicts};
use search::matching::{ContractPrior, MatchContext};
use store::{DemandPass, Store};

use super::need_of_demand;
use crate::Result;

/// Where a contract sits in the chain: the chain nodes and clusters of what was sold (and of its
/// need, when that need is public; a confidential need's position never leaves the store).
#[derive(Debug, Clone, Default, PartialEq)]
struct Place {
    nodes: Vec<String>,
    clusters: Vec<String>,
}

/// The verdicts and contract places, as of one deals stamp.
#[derive(Debug, Default)]
pub struct DealMemory {
    stamp: (i64, i64, i64, i64, i64),
    pub verdicts: Verdicts,
    /// Organization id → the places of its contracts (as seller or buyer).
    contracts: HashMap<i64, Vec<Place>>,
}

impl DealMemory {
    /// Reads the verdicts and the contracts from the store.
    pub async fn load(store: &Store) -> Result<DealMemory> {
        let stamp = store.deals_stamp().await?;
        let mut verdicts = Verdicts::default();
        for (s, rejected) in store.public_not_relevant().await? {
            if let Some((text, _)) = need_of_demand(&s.record) {
                verdicts.needs.push(JudgedNeed {
                    demand_id: s.id,
                    shingles: shingles(&text),
                    rejected,
                });
            }
        }
        let mut places: HashMap<(RecordKind, i64), Place> = HashMap::new();
        let mut contracts: HashMap<i64, Vec<Place>> = HashMap::new();
        for c in store.contract_parties().await? {
            let mut place = Place::default();
            let mut keys = vec![];
            if let Some(kind) = store::item_record_kind(&c.item_kind) {
                keys.push((kind, c.item_id));
            }
            if let Some(d) = c.demand_id {
                keys.push((RecordKind::Demand, d));
            }
            for key in keys {
                let p = match places.get(&key) {
                    Some(p) => p.clone(),
                    None => {
                        // `get` reads public demands only.
                        let p = store
                            .get(key.0, key.1)
                            .await?
                            .map(|s| place_of(&s.record))
                            .unwrap_or_default();
                        places.insert(key, p.clone());
                        p
                    }
                };
                place.nodes.extend(p.nodes.iter().cloned());
                place.clusters.extend(p.clusters.iter().cloned());
            }
            for org in [c.seller_org, c.buyer_org] {
                contracts.entry(org).or_default().push(place.clone());
            }
        }
        Ok(DealMemory {
            stamp,
            verdicts,
            contracts,
        })
    }

    /// The same contracts with other verdicts (an evaluation's training period).
    pub fn with_verdicts(mut self, verdicts: Verdicts) -> DealMemory {
        self.verdicts = verdicts;
        self
    }

    /// The contracts `org` signed where the asking side sits; `None` when the asking side gives no
    /// chain node or cluster (nothing to compare with).
    pub fn prior(&self, org: Option<i64>, ctx: &MatchContext) -> Option<ContractPrior> {
        if ctx.chain_nodes.is_empty() && ctx.clusters.is_empty() {
            return None;
        }
        let mut prior = ContractPrior::default();
        for place in org
            .and_then(|o| self.contracts.get(&o))
            .into_iter()
            .flatten()
        {
            let nodes: Vec<&String> = place
                .nodes
                .iter()
                .filter(|n| ctx.chain_nodes.contains(n))
                .collect();
            let clusters: Vec<&String> = place
                .clusters
                .iter()
                .filter(|c| ctx.clusters.contains(c))
                .collect();
            let shared = if !nodes.is_empty() {
                prior.in_nodes += 1;
                nodes
            } else if !clusters.is_empty() {
                prior.in_clusters += 1;
                clusters
            } else {
                continue;
            };
            for s in shared {
                if !prior.places.contains(s) {
                    prior.places.push(s.clone());
                }
            }
        }
        Some(prior)
    }
}

fn place_of(r: &Record) -> Place {
    let (nodes, clusters) = match r {
        Record::Outcome(o) => (&o.chain_nodes, &o.clusters),
        Record::Organization(o) => (&o.chain_nodes, &o.clusters),
        Record::Person(p) => (&p.chain_nodes, &p.clusters),
        Record::Demand(d) => (&d.chain_nodes, &d.clusters),
    };
    Place {
        nodes: nodes.clone(),
        clusters: clusters.clone(),
    }
}

/// The deal memory of one set of engines, reloaded when the store's deals stamp moves (or fixed, for
/// an evaluation that must see only the verdicts of its training period).
#[derive(Debug, Default)]
pub struct DealCache {
    cached: Mutex<Option<Arc<DealMemory>>>,
    fixed: bool,
}

impl DealCache {
    /// A cache that always answers `memory`, whatever the store holds.
    pub fn fixed(memory: DealMemory) -> DealCache {
        DealCache {
            cached: Mutex::new(Some(Arc::new(memory))),
            fixed: true,
        }
    }

    /// The memory as of the store's current stamp.
    pub async fn current(&self, store: &Store) -> Result<Arc<DealMemory>> {
        if self.fixed {
            if let Some(m) = self.cached.lock().ok().and_then(|g| g.clone()) {
                return Ok(m);
            }
        }
        let stamp = store.deals_stamp().await?;
        let cached = self.cached.lock().map(|g| g.clone()).unwrap_or_default();
        if let Some(m) = cached.filter(|m| m.stamp == stamp) {
            return Ok(m);
        }
        let fresh = Arc::new(DealMemory::load(store).await?);
        if let Ok(mut g) = self.cached.lock() {
            *g = Some(fresh.clone());
        }
        Ok(fresh)
    }
}

/// The need's own verdicts (whatever its confidentiality), read only through a pass that reaches it.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnVerdicts {
    pub demand_id: i64,
    pub rejected: Vec<(RecordKind, u64)>,
}

impl OwnVerdicts {
    /// The verdicts on need `demand_id`, or `None` when `pass` does not reach it.
    pub async fn read(store: &Store, demand_id: i64, pass: &DemandPass) -> Result<Option<Self>> {
        Ok(store
            .not_relevant_of(demand_id, pass)
            .await?
            .map(|rejected| OwnVerdicts {
                demand_id,
                rejected,
            }))
    }
}
