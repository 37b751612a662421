//! Demand listings and counts filtered in SQL by what a viewer may see, so a page and its count cost
//! a fixed number of queries whatever the number of demands — and no work is done on a demand the
//! viewer may not see. A filter is made from a [`DemandPass`] (which only the store's pass issuer
//! makes): who the reader is cannot be widened here, only narrowed to the NDA ids the confidential
//! index found in the pass's partitions.

use model::RecordKind;

use crate::pass::{DemandPass, DemandScope};
use crate::{dispatch, stored_from_row, Result, Store, Stored};

/// Which demands a query may touch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemandFilter {
    /// Every demand (an administrator).
    all: bool,
    /// Registered-only demands (any signed-in user).
    registered: bool,
    /// The NDA-only demands this viewer may see, by id.
    nda_ids: Vec<i64>,
    /// Only this level (`public`, `registered`, `nda`).
    level: Option<String>,
    /// Further conditions that only narrow what the pass admits.
    narrow: DemandNarrowing,
}

/// Conditions a listing adds to a filter: each one only takes demands away.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemandNarrowing {
    /// Posted by the organization with this USCC, or (without one) of this name.
    pub owner: Option<(String, Option<String>)>,
    /// `open`, `closed`, … (`model::DemandStatus` codes).
    pub status: Option<String>,
    /// Region keys (a district and what lies within it).
    pub regions: Vec<String>,
    /// The stage needed lies in this TRL range (inclusive).
    pub trl: Option<(u8, u8)>,
    /// Tagged with this cluster code.
    pub cluster: Option<String>,
}

/// Most ids one filter binds (far under SQLite's and PostgreSQL's parameter limits).
const MAX_NDA_IDS: usize = 20_000;

impl DemandFilter {
    /// The filter of `pass`: everything, or public and (signed in) registered demands plus the
    /// NDA-only ones among `nda_ids` (ignored for a pass that opens none); optionally one level.
    pub fn new(pass: &DemandPass, nda_ids: Vec<i64>, level: Option<&str>) -> DemandFilter {
        DemandFilter {
            all: *pass.scope() == DemandScope::Everything,
            registered: *pass.scope() != DemandScope::Nothing,
            nda_ids: match pass.scope() {
                DemandScope::Member { .. } => nda_ids,
                _ => vec![],
            },
            level: level.map(str::to_string),
            narrow: DemandNarrowing::default(),
        }
    }

    /// The same filter with `n`'s conditions added (never admitting more than before).
    pub fn narrowed(mut self, n: DemandNarrowing) -> DemandFilter {
        self.narrow = n;
        self
    }

    /// The WHERE clause (after `first` parameters already bound) and its parameters in order.
    fn clause(&self, first: usize) -> (String, Vec<Param<'_>>) {
        let mut params: Vec<Param<'_>> = vec![];
        let mut parts = vec![];
        if !self.all {
            let mut visible = vec!["confidentiality = 'public'".to_string()];
            if self.registered {
                visible.push("confidentiality = 'registered'".into());
            }
            let ids = &self.nda_ids[..self.nda_ids.len().min(MAX_NDA_IDS)];
            if !ids.is_empty() {
                let list: Vec<String> = ids
                    .iter()
                    .map(|id| {
                        params.push(Param::Id(*id));
                        format!("${}", first + params.len())
                    })
                    .collect();
                visible.push(format!(
                    "(confidentiality = 'nda' AND id IN ({}))",
                    list.join(", ")
                ));
            }
            parts.push(format!("({})", visible.join(" OR ")));
        }
        if let Some(level) = &self.level {
            params.push(Param::Text(level));
            parts.push(format!("confidentiality = ${}", first + params.len()));
        }
        let n = &self.narrow;
        if let Some((name, uscc)) = &n.owner {
            match uscc {
                Some(u) => {
                    params.push(Param::Text(u));
                    parts.push(format!("owner_uscc = ${}", first + params.len()));
                }
                None => {
                    params.push(Param::Text(name));
                    parts.push(format!("owner = ${}", first + params.len()));
                }
            }
        }
        if let Some(status) = &n.status {
            params.push(Param::Text(status));
            parts.push(format!("status = ${}", first + params.len()));
        }
        if !n.regions.is_empty() {
            let list: Vec<String> = n
                .regions
                .iter()
                .map(|r| {
                    params.push(Param::Text(r));
                    format!("${}", first + params.len())
                })
                .collect();
            parts.push(format!("region_code IN ({})", list.join(", ")));
        }
        if let Some((lo, hi)) = n.trl {
            params.push(Param::Id(i64::from(lo)));
            params.push(Param::Id(i64::from(hi)));
            parts.push(format!(
                "trl_needed BETWEEN ${} AND ${}",
                first + params.len() - 1,
                first + params.len()
            ));
        }
        if let Some(c) = &n.cluster {
            params.push(Param::Pattern(format!("%|{c}|%")));
            parts.push(format!("clusters LIKE ${}", first + params.len()));
        }
        if parts.is_empty() {
            parts.push("1 = 1".into());
        }
        (parts.join(" AND "), params)
    }
}

enum Param<'a> {
    Id(i64),
    Text(&'a str),
    Pattern(String),
}

macro_rules! bind_all {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                Param::Id(id) => q.bind(*id),
                Param::Text(t) => q.bind(*t),
                Param::Pattern(p) => q.bind(p.clone()),
            };
        }
        q
    }};
}

impl Store {
    /// Up to `limit` demands the filter admits with an id above `after`, in id order; `newest`: the
    /// latest created first, skipping the first `after` of them (ids are random, so they say
    /// nothing of order; a page of the newest is an offset).
    pub async fn demand_page(
        &self,
        filter: &DemandFilter,
        after: i64,
        limit: i64,
        newest: bool,
    ) -> Result<Vec<Stored>> {
        let (clause, params) = filter.clause(2);
        let sql = if newest {
            format!(
                "SELECT id, doc, created_at, updated_at FROM demands WHERE {clause} \
                 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $1"
            )
        } else {
            format!(
                "SELECT id, doc, created_at, updated_at FROM demands WHERE id > $1 AND {clause} \
                 ORDER BY id LIMIT $2"
            )
        };
        dispatch!(self, pool => {
            let q = sqlx::query(&sql).bind(after).bind(limit);
            let rows = bind_all!(q, &params).fetch_all(pool).await?;
            rows.iter().map(|r| stored_from_row(RecordKind::Demand, r)).collect()
        })
    }

    /// How many demands the filter admits.
    pub async fn demand_count(&self, filter: &DemandFilter) -> Result<i64> {
        let (clause, params) = filter.clause(0);
        let sql = format!("SELECT COUNT(*) FROM demands WHERE {clause}");
        Ok(dispatch!(self, pool => {
            let q = sqlx::query_scalar(&sql);
            bind_all!(q, &params).fetch_one(pool).await?
        }))
    }
}
