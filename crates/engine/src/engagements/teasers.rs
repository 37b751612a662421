//! Which NDA-only needs an item could answer, read from their public summaries alone: the holder
//! of an outcome, expert or platform finds needs it cannot read in full and asks to engage.

use std::collections::BTreeSet;

use model::{Record, RecordKind};

use super::{Desk, ItemRef};
use crate::Result;

/// An NDA-only need's public summary that fits an item, with why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeaserMatch {
    pub demand_id: i64,
    pub summary: String,
    /// Words the summary shares with the item.
    pub shared: Vec<String>,
    /// The need is tagged with a cluster the item is in.
    pub same_cluster: bool,
}

/// Most summaries read for one item (open NDA needs with a summary are few; this bounds the work).
const SCANNED: i64 = 2000;

impl Desk {
    /// Open NDA-only needs whose public summary shares at least two words with the item (or one
    /// and a cluster), best first, at most `limit`.
    pub async fn teasers_for(&self, item: &ItemRef, limit: usize) -> Result<Vec<TeaserMatch>> {
        let kind = match item.kind.as_str() {
            "outcome" => RecordKind::Outcome,
            "expert" => RecordKind::Person,
            _ => RecordKind::Organization,
        };
        let Some(s) = self.store.get(kind, item.id).await? else {
            return Ok(vec![]);
        };
        let clusters: BTreeSet<String> = match &s.record {
            Record::Outcome(o) => o.clusters.iter().cloned().collect(),
            Record::Person(p) => p.clusters.iter().cloned().collect(),
            Record::Organization(o) => o.clusters.iter().cloned().collect(),
            Record::Demand(_) => BTreeSet::new(),
        };
        let terms: BTreeSet<String> =
            search::matching::distinct_terms(&crate::matching::search_text(&s.record))
                .into_iter()
                .collect();
        let mut out = vec![];
        for t in self.store.teasers(SCANNED).await? {
            let shared: Vec<String> = search::matching::distinct_terms(&t.summary)
                .into_iter()
                .filter(|w| terms.contains(w) && w.chars().count() >= 2)
                .collect();
            let same_cluster = t.cluster_codes().iter().any(|c| clusters.contains(*c));
            if shared.len() >= 2 || (same_cluster && !shared.is_empty()) {
                out.push(TeaserMatch {
                    demand_id: t.id,
                    summary: t.summary.clone(),
                    shared,
                    same_cluster,
                });
            }
        }
        out.sort_by(|a, b| {
            (b.shared.len() + 2 * usize::from(b.same_cluster))
                .cmp(&(a.shared.len() + 2 * usize::from(a.same_cluster)))
                .then(b.demand_id.cmp(&a.demand_id))
        });
        out.truncate(limit);
        Ok(out)
    }
}
