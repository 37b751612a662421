//! What deals leave for the ranking: the not-relevant verdicts on public needs (with those needs),
//! a need's own verdicts behind a pass, and each contract's parties and subject (to place it in the
//! chain). Read by the engine's deal memory, refreshed when [`Store::deals_stamp`] changes.

use model::RecordKind;

use crate::{dispatch, DemandPass, Result, Store, Stored};

/// The most verdict rows read for the ranking (newest needs first): bounds the memory and the time
/// a refresh takes.
pub const MAX_VERDICT_ROWS: i64 = 50_000;

/// The most contracts read for the prior (newest first).
pub const MAX_CONTRACT_ROWS: i64 = 200_000;

/// A contract's two organizations and what it was about.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ContractParty {
    pub seller_org: i64,
    pub buyer_org: i64,
    pub demand_id: Option<i64>,
    pub item_kind: String,
    pub item_id: i64,
}

/// The record kind an engagement's `item_kind` names (`outcome`, `expert`, `organization`).
pub fn item_record_kind(item_kind: &str) -> Option<RecordKind> {
    match item_kind {
        "outcome" => Some(RecordKind::Outcome),
        "expert" => Some(RecordKind::Person),
        "organization" => Some(RecordKind::Organization),
        _ => None,
    }
}

impl Store {
    /// Changes whenever a relevance label or a contract is written or changed.
    pub async fn deals_stamp(&self) -> Result<(i64, i64, i64, i64, i64)> {
        let sql = "SELECT (SELECT COUNT(*) FROM relevance_labels), \
                   (SELECT COALESCE(MAX(updated_at), 0) FROM relevance_labels), \
                   (SELECT CAST(COALESCE(SUM(grade * (item_id % 7919 + 1)), 0) AS BIGINT) FROM relevance_labels), \
                   (SELECT COUNT(*) FROM contracts), (SELECT COALESCE(MAX(id), 0) FROM contracts)";
        let row: (i64, i64, i64, i64, i64) =
            dispatch!(self, pool => sqlx::query_as(sql).fetch_one(pool).await?);
        Ok(row)
    }

    /// Public needs with the candidates engagements closed as not relevant for them, newest needs
    /// first (at most [`MAX_VERDICT_ROWS`] verdicts). Confidential needs' verdicts never leave here.
    pub async fn public_not_relevant(&self) -> Result<Vec<(Stored, Vec<(RecordKind, u64)>)>> {
        let sql = "SELECT l.demand_id, l.item_kind, l.item_id FROM relevance_labels l \
                   JOIN demands d ON d.id = l.demand_id \
                   WHERE l.grade = 0 AND d.confidentiality = 'public' \
                   ORDER BY l.demand_id DESC, l.item_kind, l.item_id LIMIT $1";
        let rows: Vec<(i64, String, i64)> = dispatch!(self, pool =>
            sqlx::query_as(sql).bind(MAX_VERDICT_ROWS).fetch_all(pool).await?);
        let mut out: Vec<(Stored, Vec<(RecordKind, u64)>)> = vec![];
        for (demand, kind, item) in rows {
            let Some(kind) = item_record_kind(&kind) else {
                continue;
            };
            if out.last().is_none_or(|(s, _)| s.id != demand) {
                // `get` reads public demands only: said again so that a later change of the query
                // above cannot let a confidential need through.
                let Some(s) = self.get(RecordKind::Demand, demand).await? else {
                    continue;
                };
                out.push((s, vec![]));
            }
            if let Some((s, items)) = out.last_mut() {
                if s.id == demand {
                    items.push((kind, item as u64));
                }
            }
        }
        Ok(out)
    }

    /// The candidates engagements closed as not relevant for one need, if `pass` reaches the need.
    pub async fn not_relevant_of(
        &self,
        demand_id: i64,
        pass: &DemandPass,
    ) -> Result<Option<Vec<(RecordKind, u64)>>> {
        if self.get_demand(demand_id, pass).await?.is_none() {
            return Ok(None);
        }
        let sql = "SELECT item_kind, item_id FROM relevance_labels \
                   WHERE demand_id = $1 AND grade = 0 ORDER BY item_kind, item_id";
        let rows: Vec<(String, i64)> = dispatch!(self, pool =>
            sqlx::query_as(sql).bind(demand_id).fetch_all(pool).await?);
        Ok(Some(
            rows.into_iter()
                .filter_map(|(k, id)| item_record_kind(&k).map(|k| (k, id as u64)))
                .collect(),
        ))
    }

    /// Every contract's parties and subject, newest first (at most [`MAX_CONTRACT_ROWS`]).
    pub async fn contract_parties(&self) -> Result<Vec<ContractParty>> {
        let sql = "SELECT c.seller_org, c.buyer_org, e.demand_id, e.item_kind, e.item_id \
                   FROM contracts c JOIN engagements e ON e.id = c.engagement_id \
                   ORDER BY c.id DESC LIMIT $1";
        Ok(dispatch!(self, pool =>
            sqlx::query_as(sql).bind(MAX_CONTRACT_ROWS).fetch_all(pool).await?))
    }
}
