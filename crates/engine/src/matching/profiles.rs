//! A candidate's profile for the business signals, read from its stored record: region, TRL, chain
//! position, owner and size, and the organization whose contracts count for it.

use model::{Confidentiality, Record, Region};
use search::matching::Profile;
use store::Store;

use super::search_text;
use crate::indexing::Resolver;
use crate::Result;

/// A candidate's profile for the business signals, from its stored record; `None` for a record that
/// must not be shown to everyone (a registered or NDA demand), which drops it from the answer even if
/// an index still listed it.
pub(super) async fn profile(
    store: &Store,
    resolver: &mut Resolver,
    id: i64,
    record: &Record,
) -> Result<Option<(Profile, Option<i64>)>> {
    let text = search_text(record);
    let region_of = |r: &Option<Region>| r.as_ref().map(|r| (r.name_zh().to_string(), r.tier()));
    let mut org = None;
    let p = match record {
        Record::Outcome(o) => {
            let owner = resolver.outcome_owner_with_id(store, o).await?;
            org = owner.as_ref().map(|(id, _)| *id);
            let owner = owner.map(|(_, org)| org);
            let region = owner.as_ref().and_then(|org| region_of(&org.region));
            Profile {
                label: o.title.clone(),
                kind: o.kind.to_string(),
                text,
                region: region.as_ref().map(|r| r.0.clone()),
                region_tier: region.map(|r| r.1),
                trl: o.trl.map(|t| t.get()),
                clusters: o.clusters.clone(),
                chain_nodes: o.chain_nodes.clone(),
                owner_kind: owner.map(|org| org.kind.to_string()),
                ..Profile::default()
            }
        }
        Record::Organization(o) => {
            org = Some(id);
            let region = region_of(&o.region);
            Profile {
                label: o.name.clone(),
                kind: o.kind.to_string(),
                text,
                region: region.as_ref().map(|r| r.0.clone()),
                region_tier: region.map(|r| r.1),
                clusters: o.clusters.clone(),
                chain_nodes: o.chain_nodes.clone(),
                owner_kind: Some(o.kind.to_string()),
                capacity: capacity(o),
                ..Profile::default()
            }
        }
        Record::Person(p) => {
            let mut region = region_of(&p.region);
            if let Some(aff) = &p.affiliation {
                if let Some((id, o)) = resolver.owner_with_id(store, aff, None).await? {
                    org = Some(id);
                    if region.is_none() {
                        region = region_of(&o.region);
                    }
                }
            }
            Profile {
                label: match &p.affiliation {
                    Some(a) => format!("{}（{a}）", p.name),
                    None => p.name.clone(),
                },
                kind: p.kind.to_string(),
                text,
                region: region.as_ref().map(|r| r.0.clone()),
                region_tier: region.map(|r| r.1),
                clusters: p.clusters.clone(),
                owner_kind: Some(p.kind.to_string()),
                ..Profile::default()
            }
        }
        Record::Demand(d) if d.confidentiality != Confidentiality::Public => return Ok(None),
        Record::Demand(d) => {
            let region = region_of(&d.region);
            Profile {
                label: d.title.clone(),
                kind: d.confidentiality.to_string(),
                text,
                region: region.as_ref().map(|r| r.0.clone()),
                region_tier: region.map(|r| r.1),
                trl: d.trl_needed.map(|t| t.get()),
                clusters: d.clusters.clone(),
                chain_nodes: d.chain_nodes.clone(),
                owner_kind: Some("enterprise".to_string()),
                ..Profile::default()
            }
        }
    };
    Ok(Some((p, org)))
}

/// An enterprise's capacity to adopt, 0..1: headcount when the record gives it (`extra.employees`,
/// 1,000 or more counts as full), else the breadth of its product list (five or more as full).
fn capacity(o: &model::Organization) -> Option<f32> {
    if let Some(n) = o.extra.get("employees").and_then(|v| v.as_f64()) {
        return Some(((1.0 + n.max(0.0)).ln() / 1001f64.ln()).min(1.0) as f32);
    }
    (!o.products.is_empty()).then(|| (o.products.len() as f32 / 5.0).min(1.0))
}
