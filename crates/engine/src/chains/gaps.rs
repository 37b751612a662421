//! Gap analysis over the store: the facts on each node for a region (local and all enterprises,
//! supply by maturity, open needs as the viewer may count them), the gaps of a cluster, and who could
//! fill a node.

use std::collections::{HashMap, HashSet};

use chain::{ClusterGaps, Filler, FillerKind, Fillers, Locality, Member, MemberKind, NodeGap};
use model::{OrgKind, PersonKind, Record, RecordKind, Region, RegionTier};
use store::{Store, Stored};

use super::*;
use crate::{EngineError, Result};

/// The region a gap analysis is local to: a name, alias or code from the region table.
pub fn analysis_region(name: Option<&str>) -> Result<Region> {
    let name = name.unwrap_or("重庆市");
    Region::lookup(name).ok_or_else(|| {
        EngineError::Input(format!(
            "unknown region '{name}': give a district, city or province from data/regions/regions.csv, e.g. 重庆市 or 渝北区"
        ))
    })
}

/// Where a record is, relative to the region analysed.
fn locality(region_key: Option<&str>, local: &HashSet<String>) -> Locality {
    match region_key {
        Some(k) if local.contains(k) => Locality::Local,
        Some(k) => match Region::lookup(k).map(|r| r.tier()) {
            Some(RegionTier::Chongqing | RegionTier::Chengyu) => Locality::Chengyu,
            _ => Locality::Elsewhere,
        },
        None => Locality::Elsewhere,
    }
}

/// A record as the chain map reads it: what it counts as, where it is, its label.
struct Fact {
    member: MemberKind,
    filler: Option<FillerKind>,
    region: Option<String>,
    trl: Option<u8>,
    open: bool,
    tiers: Vec<String>,
    name: String,
    sub_kind: String,
}

async fn fact(
    store: &Store,
    resolver: &mut Resolver,
    s: &Stored,
    as_of: chrono::NaiveDate,
) -> Result<Option<Fact>> {
    let region_of = |r: &Option<Region>| r.as_ref().map(|r| r.key().to_string());
    Ok(match &s.record {
        Record::Organization(o) => {
            let (member, filler) = match o.kind {
                OrgKind::Enterprise => (MemberKind::Enterprise, None),
                OrgKind::Lab
                | OrgKind::University
                | OrgKind::ResearchInstitute
                | OrgKind::NewRdInstitution => (MemberKind::Lab, Some(FillerKind::Lab)),
                OrgKind::PocCentre => (MemberKind::PocCentre, Some(FillerKind::PilotPlatform)),
                OrgKind::PilotPlatform => {
                    (MemberKind::PilotPlatform, Some(FillerKind::PilotPlatform))
                }
                OrgKind::Bank | OrgKind::Fund | OrgKind::Government => return Ok(None),
            };
            let tiers = match o
                .extra
                .get("tiers")
                .or_else(|| o.extra.get("qualifications"))
            {
                Some(serde_json::Value::Array(a)) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
                Some(serde_json::Value::String(s)) => s
                    .split([';', '；', ',', '，'])
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
                _ => vec![],
            };
            Some(Fact {
                member,
                filler,
                region: region_of(&o.region),
                trl: None,
                open: false,
                tiers,
                name: o.name.clone(),
                sub_kind: o.kind.as_str().to_string(),
            })
        }
        Record::Person(p) => match p.kind {
            PersonKind::Expert | PersonKind::Researcher => Some(Fact {
                member: MemberKind::Expert,
                filler: Some(FillerKind::Expert),
                region: region_of(&p.region),
                trl: None,
                open: false,
                tiers: vec![],
                name: p.name.clone(),
                sub_kind: p.kind.as_str().to_string(),
            }),
            _ => None,
        },
        Record::Outcome(o) => {
            let region = resolver
                .outcome_owner(store, o)
                .await?
                .and_then(|org| org.region.map(|r| r.key().to_string()));
            Some(Fact {
                member: MemberKind::Outcome,
                filler: Some(FillerKind::Outcome),
                region,
                trl: o.trl.map(|t| t.get()),
                open: false,
                tiers: vec![],
                name: o.title.clone(),
                sub_kind: o.kind.as_str().to_string(),
            })
        }
        Record::Demand(d) => Some(Fact {
            member: MemberKind::Demand,
            filler: None,
            region: region_of(&d.region),
            trl: d.trl_needed.map(|t| t.get()),
            open: d.status == model::DemandStatus::Open && d.deadline.is_none_or(|dl| dl >= as_of),
            tiers: vec![],
            name: d.title.clone(),
            sub_kind: d.confidentiality.as_str().to_string(),
        }),
    })
}

/// Which demands count: all of them (the operator's command line), or those a viewer may see.
#[derive(Debug, Clone, Copy)]
pub enum DemandScope<'a> {
    All,
    Only(&'a HashSet<i64>),
}

impl DemandScope<'_> {
    fn admits(&self, id: i64) -> bool {
        match self {
            DemandScope::All => true,
            DemandScope::Only(ids) => ids.contains(&id),
        }
    }
}

/// The records on `nodes` with their facts; demands outside `scope` are left out entirely.
async fn facts_on(
    store: &Store,
    map: &ChainMap,
    nodes: &[String],
    scope: DemandScope<'_>,
    as_of: chrono::NaiveDate,
) -> Result<(Vec<ChainAssignmentRow>, HashMap<(String, i64), Fact>)> {
    let rows: Vec<ChainAssignmentRow> = store
        .chain_assignments_on(nodes)
        .await?
        .into_iter()
        .filter(|r| r.record_kind != "demand" || scope.admits(r.record_id))
        .collect();
    let mut facts = HashMap::new();
    let mut resolver = Resolver::default();
    for r in &rows {
        let key = (r.record_kind.clone(), r.record_id);
        if facts.contains_key(&key) {
            continue;
        }
        let Some(kind) = outbox_kind(&r.record_kind) else {
            continue;
        };
        if let Some(s) = map.record(store, kind, r.record_id).await? {
            if let Some(f) = fact(store, &mut resolver, &s, as_of).await? {
                facts.insert(key, f);
            }
        }
    }
    Ok((rows, facts))
}

fn members_of(
    rows: &[ChainAssignmentRow],
    facts: &HashMap<(String, i64), Fact>,
    local: &HashSet<String>,
) -> HashMap<String, Vec<Member>> {
    let mut out: HashMap<String, Vec<Member>> = HashMap::new();
    for r in rows {
        let Some(f) = facts.get(&(r.record_kind.clone(), r.record_id)) else {
            continue;
        };
        out.entry(r.node.clone()).or_default().push(Member {
            kind: f.member,
            id: r.record_id,
            local: f.region.as_deref().is_some_and(|k| local.contains(k)),
            trl: f.trl,
            open: f.open,
            tiers: f.tiers.clone(),
        });
    }
    out
}

fn region_set(region: &Region) -> HashSet<String> {
    region
        .with_descendants()
        .iter()
        .map(|r| r.key().to_string())
        .collect()
}

/// Gap analysis of one cluster for one region.
pub async fn cluster_gaps(
    store: &Store,
    map: &ChainMap,
    cluster: &str,
    region: &Region,
    scope: DemandScope<'_>,
    as_of: chrono::NaiveDate,
) -> Result<Option<ClusterGaps>> {
    let Some(c) = map.taxonomy.cluster(cluster) else {
        return Ok(None);
    };
    Ok(gaps_for(
        store,
        map,
        std::slice::from_ref(&c.code),
        region,
        scope,
        as_of,
    )
    .await?
    .pop())
}

/// Gap analysis of several clusters (unknown codes are skipped), reading the store once.
pub async fn gaps_for(
    store: &Store,
    map: &ChainMap,
    clusters: &[String],
    region: &Region,
    scope: DemandScope<'_>,
    as_of: chrono::NaiveDate,
) -> Result<Vec<ClusterGaps>> {
    let found: Vec<&chain::Cluster> = clusters
        .iter()
        .filter_map(|c| map.taxonomy.cluster(c))
        .collect();
    let nodes: Vec<String> = found
        .iter()
        .flat_map(|c| c.nodes.iter().map(|n| n.code.clone()))
        .collect();
    let (rows, facts) = facts_on(store, map, &nodes, scope, as_of).await?;
    let local = region_set(region);
    let members = members_of(&rows, &facts, &local);
    Ok(found
        .iter()
        .filter_map(|c| {
            chain::cluster_gaps(&map.taxonomy, &c.code, region.key(), &members, &map.gaps)
        })
        .collect())
}

/// One node: its gap and the records on it (with those of its sub-links), and who could fill it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeFillers {
    pub gap: NodeGap,
    pub fillers: Fillers,
    /// Enterprises on the node (so an analyst sees who is already there).
    pub enterprises: Vec<Filler>,
    pub notes: Vec<String>,
}

/// Why a record sits on a link, in words (Chinese, English) from its stored evidence: which of
/// the link's key words it has and where, which patent class, that its organization declares the
/// cluster. At most the three strongest pieces.
fn evidence_words(evidence: &str) -> (String, String) {
    let ev: Vec<chain::Evidence> = serde_json::from_str(evidence).unwrap_or_default();
    let strong: Vec<&chain::Evidence> = ev.iter().filter(|e| e.weight > 0.0).take(3).collect();
    let zh: Vec<String> = strong.iter().map(|e| evidence_zh(e)).collect();
    let en: Vec<String> = strong.iter().map(|e| evidence_en(e)).collect();
    (zh.join("；"), en.join("; "))
}

/// A keyword piece of evidence, `word (field)`, as (word, field).
fn keyword_parts(detail: &str) -> (&str, &str) {
    match detail.rsplit_once(" (") {
        Some((word, field)) => (word, field.trim_end_matches(')')),
        None => (detail, ""),
    }
}

fn evidence_zh(e: &chain::Evidence) -> String {
    match e.kind.as_str() {
        "keyword" => {
            let (word, field) = keyword_parts(&e.detail);
            let place = match field {
                "title" => "标题",
                "keywords" => "关键词",
                _ => "内容",
            };
            format!("{place}含该环节关键词「{word}」")
        }
        "ipc" => format!("专利分类 {}", e.detail.replace('∈', "属于")),
        "industry_code" => format!("国民经济行业代码 {}", e.detail.replace('∈', "属于")),
        "semantic" => "内容在语义上与该环节接近".to_string(),
        "cluster" => "所属单位登记在该产业集群".to_string(),
        "declared" => "记录本身标注了该环节".to_string(),
        "manual" => "平台运营方人工指定".to_string(),
        _ => "其他依据".to_string(),
    }
}

fn evidence_en(e: &chain::Evidence) -> String {
    match e.kind.as_str() {
        "keyword" => {
            let (word, field) = keyword_parts(&e.detail);
            let place = match field {
                "title" => "title",
                "keywords" => "keywords",
                _ => "text",
            };
            format!("the link's key word “{word}” in its {place}")
        }
        "ipc" => format!("patent class {}", e.detail.replace('∈', "within")),
        "industry_code" => format!("industry code {}", e.detail.replace('∈', "within")),
        "semantic" => "close in meaning to the link".to_string(),
        "cluster" => "its organization is registered in this cluster".to_string(),
        "declared" => "the record names this link itself".to_string(),
        "manual" => "placed on this link by hand".to_string(),
        _ => "other evidence".to_string(),
    }
}

/// Search hits scoring under this share of the best hit are not offered as fillers.
const MIN_SEARCH_FIT: f32 = 0.3;

/// The node's gap and its fillers: records assigned to it (or a sub-link), and — when the matching
/// engines are open — what searching with the node's own words finds. Local first, then the
/// Chengdu–Chongqing region, then elsewhere.
#[allow(clippy::too_many_arguments)]
pub async fn node_fillers(
    store: &Store,
    map: &ChainMap,
    engines: Option<(&crate::Engines, &search::RankingConfig)>,
    node: &str,
    region: &Region,
    scope: DemandScope<'_>,
    as_of: chrono::NaiveDate,
    per_kind: usize,
) -> Result<Option<NodeFillers>> {
    let Some(n) = map.taxonomy.node(node) else {
        return Ok(None);
    };
    let cluster = map
        .taxonomy
        .cluster(n.cluster())
        .expect("a node's cluster exists");
    let codes = cluster.with_descendants(&n.code);
    let (rows, facts) = facts_on(store, map, &codes, scope, as_of).await?;
    let local = region_set(region);
    let members = members_of(&rows, &facts, &local);
    let gap = chain::node_gap(cluster, &n.code, &members, &map.gaps).expect("node exists");

    let mut candidates = vec![];
    let mut enterprises = vec![];
    for r in &rows {
        let Some(f) = facts.get(&(r.record_kind.clone(), r.record_id)) else {
            continue;
        };
        let loc = locality(f.region.as_deref(), &local);
        let (ev_zh, ev_en) = evidence_words(&r.evidence);
        let (on, on_en) = map
            .taxonomy
            .node(&r.node)
            .map(|x| (x.zh.clone(), x.en.clone()))
            .unwrap_or_default();
        let filler = Filler {
            kind: f.filler.unwrap_or(FillerKind::Enterprise),
            record_kind: r.record_kind.clone(),
            id: r.record_id,
            name: f.name.clone(),
            sub_kind: f.sub_kind.clone(),
            region: f.region.clone(),
            locality: loc,
            trl: f.trl,
            score: r.confidence as f32,
            reasons_zh: vec![
                format!("归属环节「{on}」（置信度 {:.2}）：{ev_zh}", r.confidence),
                format!(
                    "{}{}",
                    loc.label_zh(),
                    f.trl.map(|t| format!("，TRL {t}")).unwrap_or_default()
                ),
            ],
            reasons_en: vec![
                format!(
                    "on the link “{on_en}” (confidence {:.2}): {ev_en}",
                    r.confidence
                ),
                format!(
                    "{:?}{}",
                    loc,
                    f.trl.map(|t| format!(", TRL {t}")).unwrap_or_default()
                )
                .to_lowercase(),
            ],
        };
        match f.member {
            MemberKind::Enterprise => enterprises.push(filler),
            MemberKind::Demand => {}
            _ => candidates.push(filler),
        }
    }

    let mut notes = vec![];
    if let Some((e, cfg)) = engines {
        let need = crate::matching::Need {
            text: format!("{} {}", n.zh, n.keywords_zh.join(" ")),
            filters: crate::matching::supply_filters(Some("any"))?,
            ctx: search::MatchContext::default(),
            limit: 60,
            own: None,
        };
        let answer = crate::matching::match_need(store, e, cfg, &need).await?;
        notes.extend(answer.notes.iter().cloned());
        let top = answer
            .hits
            .first()
            .map(|h| h.score)
            .unwrap_or(1.0)
            .max(1e-6);
        let mut resolver = Resolver::default();
        for h in &answer.hits {
            let kind = h.record_kind;
            if kind == RecordKind::Demand {
                continue;
            }
            let Some(s) = store.get(kind, h.id as i64).await? else {
                continue;
            };
            let Some(f) = fact(store, &mut resolver, &s, as_of).await? else {
                continue;
            };
            let Some(fk) = f.filler else { continue };
            // A weak search hit is no filler, however near it is.
            if h.score / top < MIN_SEARCH_FIT {
                continue;
            }
            let loc = locality(f.region.as_deref(), &local);
            let terms = h
                .matched_terms
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("、");
            let score = 0.8 * (h.score / top).clamp(0.0, 1.0);
            candidates.push(Filler {
                kind: fk,
                record_kind: kind.as_str().to_string(),
                id: h.id as i64,
                name: f.name.clone(),
                sub_kind: f.sub_kind.clone(),
                region: f.region.clone(),
                locality: loc,
                trl: f.trl,
                score,
                reasons_zh: vec![
                    format!("以环节关键词检索命中「{terms}」（相对得分 {score:.2}）"),
                    format!(
                        "{}{}",
                        loc.label_zh(),
                        f.trl.map(|t| format!("，TRL {t}")).unwrap_or_default()
                    ),
                ],
                reasons_en: vec![
                    format!("found by the link's keywords “{terms}” (relative score {score:.2})"),
                    format!(
                        "{:?}{}",
                        loc,
                        f.trl.map(|t| format!(", TRL {t}")).unwrap_or_default()
                    )
                    .to_lowercase(),
                ],
            });
        }
    } else {
        notes.push(
            "only records assigned to this link are listed: the search index is not open".into(),
        );
    }
    let fillers = chain::rank(candidates, per_kind);
    enterprises.sort_by(|a, b| {
        a.locality
            .cmp(&b.locality)
            .then(b.score.total_cmp(&a.score))
    });
    let mut seen = HashSet::new();
    enterprises.retain(|e| seen.insert(e.id));
    enterprises.truncate(per_kind);
    Ok(Some(NodeFillers {
        gap,
        fillers,
        enterprises,
        notes,
    }))
}
