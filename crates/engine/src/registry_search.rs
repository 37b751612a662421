//! Searching the registry as one viewer may see it: the shared lexical index (public records; a
//! hit's score is its BM25 relative to the best hit) and the confidential demands the viewer's pass
//! opens (a hit's score is the share of the query's terms its own text holds — no statistic over
//! demands the viewer cannot see), merged by one rule, counted at most [`DEPTH`] deep, and every
//! hit shown read back from the store through the pass.

use std::collections::HashSet;

use model::{Confidentiality, RecordKind};
use store::{DemandPass, Store, Stored};

use crate::{ConfidentialHit, Result};

/// Most hits a search counts.
pub const DEPTH: usize = 1000;

/// A hit as searched.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub kind: RecordKind,
    pub id: i64,
    /// In 0..1 (see the module's rule).
    pub score: f32,
    /// A confidential demand's level when searched; `None` for the shared index.
    pub level: Option<Confidentiality>,
}

/// Both sources under one rule, best first (ties by id).
pub fn merge(shared: Vec<search::Hit>, confidential: Vec<ConfidentialHit>) -> Vec<Found> {
    let top = shared
        .first()
        .map_or(1.0, |h| h.score.max(f32::MIN_POSITIVE));
    let mut found: Vec<Found> = shared
        .into_iter()
        .map(|h| Found {
            kind: h.record_kind,
            id: h.id as i64,
            score: h.score / top,
            level: None,
        })
        .chain(confidential.into_iter().map(|h| Found {
            kind: RecordKind::Demand,
            id: h.id,
            score: h.score,
            level: Some(h.level),
        }))
        .collect();
    found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    found
}

/// Keeps a demand hit only under the level it has now. When the store has moved past `synced` (the
/// outbox position the indexes held when they were read), another process may have changed a
/// level the indexes do not know yet: the levels are read back (one query for all the hits, all of
/// which the viewer may see, so its cost reveals nothing). Otherwise the read is spared.
pub async fn keep_current_levels(store: &Store, found: &mut Vec<Found>, synced: i64) -> Result<()> {
    let ids: Vec<i64> = found
        .iter()
        .filter(|f| f.kind == RecordKind::Demand)
        .map(|f| f.id)
        .collect();
    if ids.is_empty() || store.outbox_head().await? <= synced {
        return Ok(());
    }
    let now = store.demand_levels(&ids).await?;
    found.retain(|f| {
        f.kind != RecordKind::Demand
            || now.get(&f.id).map(String::as_str)
                == Some(f.level.unwrap_or(Confidentiality::Public).as_str())
    });
    Ok(())
}

/// The hits `offset..offset + limit` read back from the store (demands through `pass`), and how
/// many hits there are among the first [`DEPTH`]: every distinct hit counts, except one shown that
/// the store no longer gives.
pub async fn page(
    store: &Store,
    pass: &DemandPass,
    found: Vec<Found>,
    offset: usize,
    limit: usize,
) -> Result<(Vec<(Found, Stored)>, usize)> {
    let mut shown = vec![];
    let mut total = 0;
    let mut seen = HashSet::new();
    for f in found.into_iter().take(DEPTH) {
        if !seen.insert((f.kind, f.id)) {
            continue;
        }
        let on_page = total >= offset && shown.len() < limit;
        total += 1;
        if !on_page {
            continue;
        }
        let read = match f.kind {
            RecordKind::Demand => store.get_demand(f.id, pass).await?,
            kind => store.get(kind, f.id).await?,
        };
        match read {
            Some(s) => shown.push((f, s)),
            None => total -= 1,
        }
    }
    Ok((shown, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_both_sources() {
        let shared = vec![
            search::Hit {
                record_kind: RecordKind::Outcome,
                id: 7,
                score: 8.0,
            },
            search::Hit {
                record_kind: RecordKind::Outcome,
                id: 3,
                score: 2.0,
            },
        ];
        let hidden = vec![ConfidentialHit {
            id: 5,
            level: Confidentiality::Nda,
            score: 0.5,
        }];
        let found = merge(shared, hidden);
        let order: Vec<(i64, f32)> = found.iter().map(|f| (f.id, f.score)).collect();
        assert_eq!(order, vec![(7, 1.0), (5, 0.5), (3, 0.25)]);
        assert_eq!(found[1].level, Some(Confidentiality::Nda));
    }
}
