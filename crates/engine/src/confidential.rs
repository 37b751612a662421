//! Search over registered-only and NDA-only demands, doing work only on what the asker may see.
//!
//! The shared lexical index holds public records only. Confidential demands live here, split into
//! partitions by who may read them: one for registered-only demands (any signed-in user) and one per
//! owner organization for NDA-only demands. A search walks only the partitions its [`DemandPass`]
//! (made only by the store's pass issuer, held by the server's access policy) opens, so the time a query takes never depends on the words of a demand the asker cannot see
//! (a timing probe learns nothing), and no statistic over hidden demands enters a score: a hit's
//! score is the share of the query's terms its own text holds.
//!
//! The index is kept current from the store's outbox ([`ConfidentialIndex::changes`] reads the
//! store, [`ConfidentialIndex::apply`] swaps entries in memory), so a visibility change moves a
//! demand between partitions at once instead of rebuilding everything.

use std::collections::{BTreeSet, HashMap};

use model::{Confidentiality, Record, RecordKind};
pub use store::DemandPass;
use store::{DemandScope, OutboxEntry, Store};

use crate::Result;

/// Who may search a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    /// Registered-only demands: every signed-in user.
    Registered,
    /// NDA-only demands of one owner organization (`None`: the owner is not a registered
    /// organization, so only those who see everything may search them).
    Nda(Option<i64>),
}

impl Partition {
    /// The demand's confidentiality level as the API names it.
    pub fn level(self) -> Confidentiality {
        match self {
            Partition::Registered => Confidentiality::Registered,
            Partition::Nda(_) => Confidentiality::Nda,
        }
    }
}

/// The partitions a pass opens among those present (cost: the pass's size, not the index's).
fn partitions(pass: &DemandPass, present: &HashMap<Partition, Part>) -> Vec<Partition> {
    match pass.scope() {
        DemandScope::Nothing => vec![],
        DemandScope::Everything => present.keys().copied().collect(),
        DemandScope::Member { orgs, .. } => std::iter::once(Partition::Registered)
            .chain(orgs.iter().map(|o| Partition::Nda(Some(*o))))
            .filter(|p| present.contains_key(p))
            .collect(),
    }
}

/// One partition: each demand's distinct analysed terms and the postings built from them.
#[derive(Debug, Default, Clone)]
struct Part {
    terms: HashMap<i64, Vec<String>>,
    postings: HashMap<String, BTreeSet<i64>>,
}

impl Part {
    fn insert(&mut self, id: i64, terms: Vec<String>) {
        for t in &terms {
            self.postings.entry(t.clone()).or_default().insert(id);
        }
        self.terms.insert(id, terms);
    }

    fn remove(&mut self, id: i64) {
        let Some(terms) = self.terms.remove(&id) else {
            return;
        };
        for t in terms {
            if let Some(set) = self.postings.get_mut(&t) {
                set.remove(&id);
                if set.is_empty() {
                    self.postings.remove(&t);
                }
            }
        }
    }
}

/// A confidential demand found by a search.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfidentialHit {
    pub id: i64,
    pub level: Confidentiality,
    /// Share of the query's distinct terms the demand's text holds, in 0..=1.
    pub score: f32,
}

/// What one demand becomes after a change: where it lives now and its terms, or nowhere.
#[derive(Debug, Clone)]
pub struct Change {
    id: i64,
    place: Option<(Partition, Vec<String>)>,
}

/// Every registered-only and NDA-only demand, by partition.
#[derive(Debug, Default, Clone)]
pub struct ConfidentialIndex {
    parts: HashMap<Partition, Part>,
    home: HashMap<i64, Partition>,
}

impl ConfidentialIndex {
    /// Reads every demand of the store (start-up; later changes come from the outbox) with the
    /// platform's own pass (`all` must reach every demand).
    pub async fn build(store: &Store, all: &DemandPass) -> Result<ConfidentialIndex> {
        let mut index = ConfidentialIndex::default();
        let mut pages = store.pages_with(RecordKind::Demand, 1000, all);
        while let Some(page) = pages.next().await? {
            let mut changes = Vec::with_capacity(page.len());
            for s in &page {
                changes.push(Change {
                    id: s.id,
                    place: place_of(store, &s.record).await?,
                });
            }
            index.apply(changes);
        }
        Ok(index)
    }

    /// The demands to read again after these outbox entries: the demands they name and, when an
    /// organization changed (which may change who owns an NDA demand), every NDA demand. Read them
    /// with [`ConfidentialIndex::read_changes`] and apply the result with
    /// [`ConfidentialIndex::apply`]: kept apart so no lock is held while the store is read.
    pub fn wanted(&self, entries: &[OutboxEntry]) -> Vec<i64> {
        let mut ids: BTreeSet<i64> = entries
            .iter()
            .filter(|e| e.kind == RecordKind::Demand.as_str())
            .map(|e| e.record_id)
            .collect();
        if entries
            .iter()
            .any(|e| e.kind == RecordKind::Organization.as_str())
        {
            ids.extend(
                self.home
                    .iter()
                    .filter(|(_, p)| matches!(p, Partition::Nda(_)))
                    .map(|(id, _)| *id),
            );
        }
        ids.into_iter().collect()
    }

    /// Where each of `ids` belongs now, read from the store with the platform's own pass.
    pub async fn read_changes(store: &Store, all: &DemandPass, ids: &[i64]) -> Result<Vec<Change>> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let place = match store.get_demand(id, all).await? {
                Some(s) => place_of(store, &s.record).await?,
                None => None,
            };
            out.push(Change { id, place });
        }
        Ok(out)
    }

    /// Moves each changed demand to its new partition (or out of the index).
    pub fn apply(&mut self, changes: Vec<Change>) {
        for c in changes {
            if let Some(old) = self.home.remove(&c.id) {
                if let Some(part) = self.parts.get_mut(&old) {
                    part.remove(c.id);
                    if part.terms.is_empty() {
                        self.parts.remove(&old);
                    }
                }
            }
            if let Some((p, terms)) = c.place {
                self.parts.entry(p).or_default().insert(c.id, terms);
                self.home.insert(c.id, p);
            }
        }
    }

    /// The ids of the demands the pass opens (cost: the opened partitions only).
    pub fn ids(&self, pass: &DemandPass) -> Vec<i64> {
        partitions(pass, &self.parts)
            .into_iter()
            .filter_map(|p| self.parts.get(&p))
            .flat_map(|part| part.terms.keys().copied())
            .chain(self.signed_for(pass).map(|(id, _, _)| id))
            .collect()
    }

    /// The NDA-only demands the pass opens one by one (their NDA was signed) outside the partitions
    /// it opens whole: (id, partition, terms). Cost: the pass's list, not the index.
    fn signed_for<'a>(
        &'a self,
        pass: &'a DemandPass,
    ) -> impl Iterator<Item = (i64, Partition, &'a Vec<String>)> + 'a {
        let (orgs, demands): (&[i64], &[i64]) = match pass.scope() {
            DemandScope::Member { orgs, demands } => (orgs, demands),
            _ => (&[], &[]),
        };
        demands.iter().filter_map(move |id| {
            let p = *self.home.get(id)?;
            if let Partition::Nda(Some(owner)) = p {
                if orgs.binary_search(&owner).is_ok() {
                    return None;
                }
            }
            let terms = self.parts.get(&p)?.terms.get(id)?;
            Some((*id, p, terms))
        })
    }

    /// The store's listing filter for a pass (and optionally one level): public demands, registered
    /// ones when signed in, and by id the NDA demands of the partitions the pass opens.
    pub fn filter(&self, pass: &DemandPass, level: Option<Confidentiality>) -> store::DemandFilter {
        let nda_ids = match pass.scope() {
            DemandScope::Member { .. } => partitions(pass, &self.parts)
                .into_iter()
                .filter(|p| matches!(p, Partition::Nda(_)))
                .filter_map(|p| self.parts.get(&p))
                .flat_map(|part| part.terms.keys().copied())
                .chain(self.signed_for(pass).map(|(id, _, _)| id))
                .collect(),
            _ => vec![],
        };
        store::DemandFilter::new(pass, nda_ids, level.map(|l| l.as_str()))
    }

    /// Demands held (all partitions).
    pub fn len(&self) -> usize {
        self.home.len()
    }

    pub fn is_empty(&self) -> bool {
        self.home.is_empty()
    }

    /// The demands the pass opens that hold any of the query's distinct terms (analysed with the same
    /// analyzer as the index), best first, at most `depth`. Only the opened partitions are touched.
    pub fn search(
        &self,
        pass: &DemandPass,
        query_terms: &[String],
        depth: usize,
    ) -> Vec<ConfidentialHit> {
        if query_terms.is_empty() {
            return vec![];
        }
        let mut hits = vec![];
        for p in partitions(pass, &self.parts) {
            let Some(part) = self.parts.get(&p) else {
                continue;
            };
            let mut counts: HashMap<i64, usize> = HashMap::new();
            for t in query_terms {
                if let Some(ids) = part.postings.get(t) {
                    for id in ids {
                        *counts.entry(*id).or_default() += 1;
                    }
                }
            }
            hits.extend(counts.into_iter().map(|(id, n)| ConfidentialHit {
                id,
                level: p.level(),
                score: n as f32 / query_terms.len() as f32,
            }));
        }
        for (id, p, terms) in self.signed_for(pass) {
            let n = query_terms.iter().filter(|t| terms.contains(t)).count();
            if n > 0 {
                hits.push(ConfidentialHit {
                    id,
                    level: p.level(),
                    score: n as f32 / query_terms.len() as f32,
                });
            }
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(depth);
        hits
    }
}

impl ConfidentialIndex {
    /// [`ConfidentialIndex::search`] with the query's words as units (`text::Analyzer::query_units`):
    /// a demand matches a word only when it holds all of its terms, and must match every word of a
    /// short query (up to three) or two thirds of a longer one — as the registry search does.
    pub fn search_words(
        &self,
        pass: &DemandPass,
        units: &[Vec<String>],
        depth: usize,
    ) -> Vec<ConfidentialHit> {
        if units.is_empty() {
            return vec![];
        }
        let need = if units.len() <= 3 {
            units.len()
        } else {
            (units.len() * 2).div_ceil(3)
        };
        let mut hits = vec![];
        for p in partitions(pass, &self.parts) {
            let Some(part) = self.parts.get(&p) else {
                continue;
            };
            let mut held: HashMap<i64, std::collections::HashSet<&str>> = HashMap::new();
            for t in units.iter().flatten() {
                if let Some(ids) = part.postings.get(t) {
                    for id in ids {
                        held.entry(*id).or_default().insert(t.as_str());
                    }
                }
            }
            for (id, terms) in held {
                let n = units
                    .iter()
                    .filter(|u| u.iter().all(|t| terms.contains(t.as_str())))
                    .count();
                if n >= need {
                    hits.push(ConfidentialHit {
                        id,
                        level: p.level(),
                        score: n as f32 / units.len() as f32,
                    });
                }
            }
        }
        for (id, p, terms) in self.signed_for(pass) {
            let n = units
                .iter()
                .filter(|u| u.iter().all(|t| terms.contains(t)))
                .count();
            if n >= need {
                hits.push(ConfidentialHit {
                    id,
                    level: p.level(),
                    score: n as f32 / units.len() as f32,
                });
            }
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(depth);
        hits
    }
}

/// Where a stored record belongs: a non-public demand goes to its partition with its terms.
async fn place_of(store: &Store, record: &Record) -> Result<Option<(Partition, Vec<String>)>> {
    let Record::Demand(d) = record else {
        return Ok(None);
    };
    let partition = match d.confidentiality {
        Confidentiality::Public => return Ok(None),
        Confidentiality::Registered => Partition::Registered,
        Confidentiality::Nda => {
            let uscc = d.owner_uscc.as_ref().map(|u| u.to_string());
            let owner = store.find_organization(&d.owner, uscc.as_deref()).await?;
            Partition::Nda(owner.map(|s| s.id))
        }
    };
    let text = crate::matching::need_of_demand(record)
        .map(|(t, _)| t)
        .unwrap_or_default();
    Ok(Some((partition, search::matching::distinct_terms(&text))))
}
