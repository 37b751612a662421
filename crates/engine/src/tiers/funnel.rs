//! The funnel officials read: per cluster and district, how many enterprises hold each tier, how
//! many qualify on their data, how many wait only on an assessor, and how many are a step away —
//! and, for any cell, which enterprises they are.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use model::{Record, RecordKind};
use rules::{AssessorInputs, EnterpriseEvaluation, Outcome, Profile};
use serde::Serialize;
use store::{EveryProfilePass, Store};

use super::{all_assessor_inputs, profiles, Rulebook};
use crate::Result;

/// The cells of a scheme's column, in the order a page shows them.
pub const CELLS: [&str; 7] = [
    "held",
    "qualify",
    "qualify_not_held",
    "unknown",
    "pending_assessor",
    "fail",
    "next_step",
];

/// Counts for one scheme in one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierCounts {
    /// Enterprises declaring the qualification.
    pub held: usize,
    /// Enterprises whose data pass the scheme now.
    pub qualify: usize,
    /// Qualify on their data but do not hold it: candidates to encourage to apply.
    pub qualify_not_held: usize,
    /// Whose result turns on unknown data or an assessor's input.
    pub unknown: usize,
    /// Of the unknown, those whose data are complete: only an assessor's judgment is missing.
    pub pending_assessor: usize,
    pub fail: usize,
    /// Fail, and this scheme is their next step on a ladder.
    pub next_step: usize,
}

/// One row of the funnel: a cluster, a district, or the whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunnelRow {
    /// Cluster code, district name, or `all`.
    pub group: String,
    pub enterprises: usize,
    /// Scheme code → counts, in ladder order.
    pub schemes: BTreeMap<String, TierCounts>,
}

/// The funnel over every stored profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Funnel {
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub as_of: NaiveDate,
    /// Scheme codes, lowest tier first.
    pub schemes: Vec<String>,
    pub total: FunnelRow,
    pub by_cluster: Vec<FunnelRow>,
    pub by_district: Vec<FunnelRow>,
    /// Profiles the funnel could not evaluate (impossible values), by USCC.
    pub refused: Vec<String>,
}

/// Where each enterprise sits, by USCC: its clusters and district, from the organization records
/// (read once, page by page, rather than one lookup per profile).
async fn placements(store: &Store) -> Result<HashMap<String, (Vec<String>, Option<String>)>> {
    let mut out = HashMap::new();
    let mut pages = store.pages(RecordKind::Organization, 1000);
    while let Some(page) = pages.next().await? {
        for s in page {
            if let Record::Organization(o) = s.record {
                if let Some(u) = &o.uscc {
                    out.insert(
                        u.as_str().to_string(),
                        (
                            o.clusters.clone(),
                            o.region.as_ref().map(|r| r.name_zh().to_string()),
                        ),
                    );
                }
            }
        }
    }
    Ok(out)
}

/// Which cells of scheme `code` an enterprise counts in.
fn cells_of(eval: &EnterpriseEvaluation, held: &[String], code: &str) -> Vec<&'static str> {
    let Some(r) = eval.schemes.iter().find(|r| r.scheme == code) else {
        return vec![];
    };
    let mut out = vec![];
    let holds = held.iter().any(|h| h == code);
    if holds {
        out.push("held");
    }
    match r.result {
        Outcome::Pass => {
            out.push("qualify");
            if !holds {
                out.push("qualify_not_held");
            }
        }
        Outcome::Unknown => {
            out.push("unknown");
            let only_judgment = r
                .criteria
                .iter()
                .filter(|x| x.result == Outcome::Unknown && x.kind != "direct_pass")
                .all(|x| x.assessor.is_some());
            if only_judgment {
                out.push("pending_assessor");
            }
        }
        Outcome::Fail => {
            out.push("fail");
            if eval.next.iter().any(|n| n.scheme == code) {
                out.push("next_step");
            }
        }
    }
    out
}

impl TierCounts {
    fn add(&mut self, cells: &[&str]) {
        for c in cells {
            match *c {
                "held" => self.held += 1,
                "qualify" => self.qualify += 1,
                "qualify_not_held" => self.qualify_not_held += 1,
                "unknown" => self.unknown += 1,
                "pending_assessor" => self.pending_assessor += 1,
                "fail" => self.fail += 1,
                "next_step" => self.next_step += 1,
                _ => {}
            }
        }
    }
}

/// One evaluated enterprise, placed.
struct Placed {
    profile: Profile,
    clusters: Vec<String>,
    district: Option<String>,
    /// `None`: impossible values, not evaluated.
    eval: Option<EnterpriseEvaluation>,
}

/// Every stored profile within the cluster and district asked, evaluated (CPU work, off the
/// async worker).
async fn evaluated(
    store: &Store,
    pass: &EveryProfilePass,
    book: &Rulebook,
    as_of: NaiveDate,
    cluster: Option<&str>,
    district: Option<&str>,
) -> Result<Vec<Placed>> {
    let placed = placements(store).await?;
    let assessed = all_assessor_inputs(store, pass).await?;
    let all = profiles(store, pass).await?;
    let none = AssessorInputs::new();
    crate::cpu::cpu_bound(move || {
        Ok(all
            .into_iter()
            .filter_map(|p| {
                let (cl, dist) = placed.get(&p.uscc).cloned().unwrap_or_default();
                if cluster.is_some_and(|c| !cl.iter().any(|x| x == c))
                    || district.is_some_and(|d| dist.as_deref() != Some(d))
                {
                    return None;
                }
                let inputs = assessed.get(&p.uscc).unwrap_or(&none);
                let eval = book.evaluate(&p, &[], as_of, inputs).ok();
                Some(Placed {
                    profile: p,
                    clusters: cl,
                    district: dist,
                    eval,
                })
            })
            .collect())
    })
}

fn held_codes(p: &Profile) -> Vec<String> {
    p.qualifications
        .iter()
        .map(|q| rules::qualification_code(q))
        .collect()
}

/// Evaluates every stored profile and counts per cluster and district. `district` keeps only one
/// district; `cluster` only one cluster.
pub async fn funnel(
    store: &Store,
    pass: &EveryProfilePass,
    book: &Rulebook,
    as_of: NaiveDate,
    cluster: Option<&str>,
    district: Option<&str>,
) -> Result<Funnel> {
    let order = book.ladder_order();
    let mut total = FunnelRow {
        group: "all".into(),
        ..Default::default()
    };
    let mut clusters: BTreeMap<String, FunnelRow> = BTreeMap::new();
    let mut districts: BTreeMap<String, FunnelRow> = BTreeMap::new();
    let mut refused = vec![];
    let group_row = |g: &str| FunnelRow {
        group: g.to_string(),
        ..Default::default()
    };
    for e in evaluated(store, pass, book, as_of, cluster, district).await? {
        let Some(eval) = &e.eval else {
            refused.push(e.profile.uscc.clone());
            continue;
        };
        let held = held_codes(&e.profile);
        let mut cluster_keys = e.clusters.clone();
        if cluster_keys.is_empty() {
            cluster_keys.push("—".into());
        }
        for c in &cluster_keys {
            clusters.entry(c.clone()).or_insert_with(|| group_row(c));
        }
        let dkey = e.district.clone().unwrap_or_else(|| "—".into());
        districts
            .entry(dkey.clone())
            .or_insert_with(|| group_row(&dkey));
        let mut rows: Vec<&mut FunnelRow> = vec![&mut total];
        rows.extend(
            clusters
                .iter_mut()
                .filter(|(k, _)| cluster_keys.contains(k))
                .map(|(_, r)| r),
        );
        rows.push(districts.get_mut(&dkey).expect("inserted"));
        for row in rows {
            row.enterprises += 1;
            for code in &order {
                let cells = cells_of(eval, &held, code);
                if !cells.is_empty() {
                    row.schemes.entry(code.clone()).or_default().add(&cells);
                }
            }
        }
    }
    Ok(Funnel {
        as_of,
        schemes: order,
        total,
        by_cluster: clusters.into_values().collect(),
        by_district: districts.into_values().collect(),
        refused,
    })
}

/// An enterprise in a funnel cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunnelMember {
    pub uscc: String,
    pub name: String,
    pub clusters: Vec<String>,
    pub district: Option<String>,
    /// Every cell of the scheme it counts in (`held`, `qualify`, …).
    pub cells: Vec<String>,
}

/// The enterprises of one cell: scheme `code`, cell `cell` (one of [`CELLS`]), within the cluster
/// and district asked, by name.
#[allow(clippy::too_many_arguments)]
pub async fn funnel_members(
    store: &Store,
    pass: &EveryProfilePass,
    book: &Rulebook,
    as_of: NaiveDate,
    cluster: Option<&str>,
    district: Option<&str>,
    code: &str,
    cell: &str,
) -> Result<Vec<FunnelMember>> {
    let mut out: Vec<FunnelMember> = evaluated(store, pass, book, as_of, cluster, district)
        .await?
        .into_iter()
        .filter_map(|e| {
            let eval = e.eval.as_ref()?;
            let cells = cells_of(eval, &held_codes(&e.profile), code);
            cells.contains(&cell).then(|| FunnelMember {
                uscc: e.profile.uscc.clone(),
                name: e.profile.name.clone(),
                clusters: e.clusters.clone(),
                district: e.district.clone(),
                cells: cells.iter().map(|c| c.to_string()).collect(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.uscc.cmp(&b.uscc)));
    Ok(out)
}
